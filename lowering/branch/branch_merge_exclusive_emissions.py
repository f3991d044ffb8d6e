"""`branch-merge-exclusive-emissions`: one slot per row for emissions that never fire together.

An `emit_if / emit_elseif / emit_else` chain gives one `branch.emit` per arm, with the
masks `c1`, `!c1 & c2`, `!c1 & !c2`: in a row at most one arm is active, yet each arm
takes M slots of the output. This pass merges emissions of one term whose masks are
pairwise provably exclusive into one `branch.emit` with

    state     = select_state(m1, s1, select_state(m2, s2, ... sk))
    amplitude = select(m1, a1, select(m2, a2, ... ak))
    mask      = or(m1, ..., mk)

Row r of the merged branch is row r of the one arm whose mask holds there (its state, its
validity, its amplitude), or padding when none does: the same branches in k-fold fewer
slots (a three-arm clock term on N sites goes from F = 3N to F = N).

Exclusivity is proved, never assumed: a mask is read as a conjunction of literals
(`branch.and` flattened; a literal is a value or the `branch.not` of one), and two masks
are exclusive when one has a literal `p` and the other `not p`, for the same SSA value `p`,
or when their comparisons of one integer value `v` with integer `branch.constant`s (a
`branch.cmp` either way round, negated or not) allow no integer together: `v == c1` and
`v == c2` with `c1 != c2`, `v < c` and `v >= c`, `v <= 0` and `v > 0`, or a range of at
most `MAX_ENUMERATED` integers whose every point a `v != c` excludes. Masks that cannot be
proved exclusive this way stay in separate slots.

Only emissions of the same `term`, with the same row count and tag, whose branches go
straight to the kernel's output `branch.concat`s are merged (a diagonal emission summed by
`branch-coalesce-diagonal` is left alone). Emissions are grouped greedily in program order
(an emission joins the first group all of whose members it excludes); a merged group
takes the output position of its first member. A second run finds nothing to merge.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import IntegerAttr, IntegerType, ModuleOp, TensorType
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass

from symir.dialects import branch
from symir.dialects.types import CmpPredicate
from symir.lowering.branch._kernel_outputs import (
    check_slots_movable,
    output_concats,
    set_output_emits,
)

Literal = tuple[SSAValue, bool]


def literals(mask: SSAValue) -> set[Literal]:
    """The conjuncts of `mask`: (value, True) for `value`, (value, False) for `not value`."""
    found: set[Literal] = set()
    stack: list[Literal] = [(mask, True)]
    while stack:
        value, positive = stack.pop()
        owner = value.owner
        if positive and isinstance(owner, branch.AndOp):
            stack.extend((v, True) for v in owner.inputs)
        elif isinstance(owner, branch.NotOp):
            stack.append((owner.operand, not positive))
        else:
            found.add((value, positive))
    return found


_FLIPPED = {
    CmpPredicate.LT: CmpPredicate.GT,
    CmpPredicate.LE: CmpPredicate.GE,
    CmpPredicate.GT: CmpPredicate.LT,
    CmpPredicate.GE: CmpPredicate.LE,
    CmpPredicate.EQ: CmpPredicate.EQ,
    CmpPredicate.NE: CmpPredicate.NE,
}
"""`c pred v` as `v flipped(pred) c`."""

_NEGATED = {
    CmpPredicate.LT: CmpPredicate.GE,
    CmpPredicate.LE: CmpPredicate.GT,
    CmpPredicate.GT: CmpPredicate.LE,
    CmpPredicate.GE: CmpPredicate.LT,
    CmpPredicate.EQ: CmpPredicate.NE,
    CmpPredicate.NE: CmpPredicate.EQ,
}
"""`not (v pred c)` as `v negated(pred) c`: exact on integers (no NaN)."""

MAX_ENUMERATED = 64
"""The widest range of an integer value whose points are each checked against the
constants it must differ from (`v != c` literals)."""


def _bound(literal: Literal) -> tuple[SSAValue, CmpPredicate, int] | None:
    """`(v, pred, c)` where the literal says `v pred c` of an integer value `v` and an
    integer `branch.constant` `c` (either side of a `branch.cmp`, the literal positive or
    negated), else None."""
    value, positive = literal
    op = value.owner
    if not isinstance(op, branch.CmpOp):
        return None
    pred = CmpPredicate(op.predicate.data)
    for v, c, p in ((op.lhs, op.rhs, pred), (op.rhs, op.lhs, _FLIPPED[pred])):
        const = c.owner
        elem = getattr(v.type, "element_type", None)
        if (
            isinstance(const, branch.ConstantOp)
            and isinstance(const.value, IntegerAttr)
            and isinstance(elem, IntegerType)
            and elem.width.data > 1
        ):
            return v, p if positive else _NEGATED[p], const.value.value.data
    return None


def _unsatisfiable(bounds: list[tuple[CmpPredicate, int]]) -> bool:
    """Whether no integer satisfies every `v pred c` of `bounds`."""
    low, high, others = None, None, set()
    for pred, c in bounds:
        if pred in (CmpPredicate.LT, CmpPredicate.LE, CmpPredicate.EQ):
            top = c - 1 if pred == CmpPredicate.LT else c
            high = top if high is None else min(high, top)
        if pred in (CmpPredicate.GT, CmpPredicate.GE, CmpPredicate.EQ):
            bottom = c + 1 if pred == CmpPredicate.GT else c
            low = bottom if low is None else max(low, bottom)
        if pred == CmpPredicate.NE:
            others.add(c)
    if low is not None and high is not None:
        if low > high:
            return True
        if high - low < MAX_ENUMERATED:
            return all(v in others for v in range(low, high + 1))
    return False


def exclusive(a: set[Literal], b: set[Literal]) -> bool:
    """Whether two conjunctions can never hold together: `p` in one and `not p` in the
    other, or comparisons of one integer value `v` with constants that no integer meets
    together (`v == -1` and `v == 1`: the arms of an exchange written as one `emit_if` per
    pair of local states; `v < 1` and `v >= 1`; `v != 0`, `v != 1` and `0 <= v <= 1`)."""
    if any((value, not positive) in b for value, positive in a):
        return True
    bounds: dict[SSAValue, list[tuple[CmpPredicate, int]]] = {}
    for literal in (*a, *b):
        found = _bound(literal)
        if found is not None:
            bounds.setdefault(found[0], []).append(found[1:])
    return any(_unsatisfiable(found) for found in bounds.values())


def _output_emits(xp_concat: branch.ConcatOp, mel_concat: branch.ConcatOp):
    """The emissions feeding the output concats position by position, or None when the
    concats are not made of whole emissions used nowhere else."""
    if len(xp_concat.inputs) != len(mel_concat.inputs):
        return None
    emits: list[branch.EmitOp] = []
    for xp, mel in zip(xp_concat.inputs, mel_concat.inputs):
        e = xp.owner
        if not isinstance(e, branch.EmitOp) or mel is not e.mel:
            return None
        if not (e.xp.has_one_use() and e.mel.has_one_use()):
            return None
        emits.append(e)
    return emits


def _group(emits: list[branch.EmitOp]) -> list[list[branch.EmitOp]]:
    groups: list[tuple[tuple, list[branch.EmitOp], list[set[Literal]]]] = []
    for e in emits:
        compat = (e.term.data, e.tag.data if e.tag else None, e.state.type)
        lits = literals(e.mask)
        for key, members, member_lits in groups:
            if key == compat and all(exclusive(lits, other) for other in member_lits):
                members.append(e)
                member_lits.append(lits)
                break
        else:
            groups.append((compat, [e], [lits]))
    return [members for _, members, _ in groups]


def _merged(members: list[branch.EmitOp]) -> tuple[list[Operation], branch.EmitOp]:
    last = members[-1]
    state, amplitude = last.state, last.amplitude
    ops: list[Operation] = []
    for e in reversed(members[:-1]):
        select_state = branch.SelectStateOp(e.mask, e.state, state)
        select = branch.SelectOp(e.mask, e.amplitude, amplitude)
        ops += [select_state, select]
        state, amplitude = select_state.result, select.result
    mask = branch.OrOp([e.mask for e in members])
    mel_type = members[0].mel.type
    assert isinstance(mel_type, TensorType)
    first = members[0]
    emit = branch.EmitOp(
        first.x,
        state,
        amplitude,
        mask.result,
        mel_type.element_type,
        first.term.data,
        first.tag.data if first.tag else None,
    )
    return [*ops, mask, emit], emit


def merge_kernel(kernel: branch.KernelOp) -> bool:
    """Merges the exclusive emissions of `kernel`; returns whether anything changed."""
    block = kernel.body.block
    concats = output_concats(kernel)
    if concats is None:
        return False
    xp_concat, mel_concat = concats
    emits = _output_emits(xp_concat, mel_concat)
    if emits is None:
        return False
    groups = _group(emits)
    if all(len(g) == 1 for g in groups):
        return False
    check_slots_movable(kernel, "branch-merge-exclusive-emissions")
    replacement: dict[branch.EmitOp, branch.EmitOp] = {}
    for members in groups:
        if len(members) > 1:
            ops, emit = _merged(members)
            block.insert_ops_before(ops, xp_concat)
            replacement[members[0]] = emit
    set_output_emits(kernel, [replacement.get(g[0], g[0]) for g in groups])
    return True


@dataclass(frozen=True)
class BranchMergeExclusiveEmissionsPass(ModulePass):
    """Merges the emissions of a term that are never active in the same row."""

    name = "branch-merge-exclusive-emissions"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for kernel in [o for o in op.walk() if isinstance(o, branch.KernelOp)]:
            merge_kernel(kernel)
