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
most `MAX_ENUMERATED` integers whose every point a `v != c` excludes. Where those rules
do not prove it, the masks are decided as formulas (`decided_exclusive`): `and`, `or` and
`not` of atoms, an atom a comparison of an integer value with a constant, a
`branch.member` of an integer value, a comparison of two integer values (a flag of its
canonical form: `v != w` is `not (v == w)`), or any other `i1` value (a free flag). Such a
formula in one integer value changes its truth only at the constants, so it is
evaluated at each constant and its two neighbours (every region between two constants
holds one of them); values and flags are taken as independent, which can only make the
pair look satisfiable, never exclusive wrongly. Up to `MAX_ASSIGNMENTS` assignments are
tried: `(v == -1) | (v == 0)` against `v == 1`, `v in {-1, 0}` against `v > 0`. Masks
that cannot be proved exclusive stay in separate slots.

Only emissions of the same `term`, with the same row count and tag, whose branches go
straight to the kernel's output `branch.concat`s are merged (a diagonal emission summed by
`branch-coalesce-diagonal` is left alone). Emissions are grouped greedily in program order
(an emission joins the first group all of whose members it excludes); a merged group
takes the output position of its first member. A second run finds nothing to merge.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
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


MAX_ASSIGNMENTS = 4096
"""The most assignments of two masks' atoms `decided_exclusive` evaluates."""

Formula = tuple
"""`("and" | "or", parts)`, `("not", part)`, `("cmp", v, pred, c)`, `("in", v, states)`
or `("flag", key)` (an `i1` value, or a canonical comparison of two values)."""


def formula(mask: SSAValue) -> Formula:
    """`mask` as a formula of its atoms (module docstring)."""
    owner = mask.owner
    if isinstance(owner, branch.AndOp | branch.OrOp):
        kind = "and" if isinstance(owner, branch.AndOp) else "or"
        return (kind, tuple(formula(v) for v in owner.inputs))
    if isinstance(owner, branch.NotOp):
        return ("not", formula(owner.operand))
    found = _bound((mask, True))
    if found is not None:
        return ("cmp", *found)
    if isinstance(owner, branch.CmpOp):
        return _relation(owner, mask)
    if isinstance(owner, branch.MemberOp):
        return ("in", owner.value, frozenset(owner.states.get_values()))
    return ("flag", mask)


def _relation(op: branch.CmpOp, mask: SSAValue) -> Formula:
    """A comparison of two values as a flag of one canonical comparison, negated where
    needed: `v != w` is `not (v == w)`, `v >= w` is `not (v < w)`, `v > w` is `w < v`
    (so `v == w` and `v != w` exclude each other); the flag is the mask itself where the
    values are not integers (`<` of floats is not `not >=`: NaN)."""
    elem = getattr(op.lhs.type, "element_type", None)
    if not isinstance(elem, IntegerType):
        return ("flag", mask)
    pred, v, w = CmpPredicate(op.predicate.data), op.lhs, op.rhs
    if pred in (CmpPredicate.EQ, CmpPredicate.NE):
        flag = ("flag", ("eq", frozenset((v, w))))
        return flag if pred == CmpPredicate.EQ else ("not", flag)
    if pred in (CmpPredicate.GT, CmpPredicate.LE):
        v, w = w, v  # v > w is w < v; v <= w is not (w < v)
    flag = ("flag", ("lt", v, w))
    return flag if pred in (CmpPredicate.LT, CmpPredicate.GT) else ("not", flag)


def _atoms(f: Formula, flags: set, points: dict[SSAValue, set[int]]) -> None:
    kind = f[0]
    if kind in ("and", "or"):
        for part in f[1]:
            _atoms(part, flags, points)
    elif kind == "not":
        _atoms(f[1], flags, points)
    elif kind == "flag":
        flags.add(f[1])
    else:
        constants = (f[3],) if kind == "cmp" else f[2]
        points.setdefault(f[1], set()).update(c + d for c in constants for d in (-1, 0, 1))


def _holds(f: Formula, env: dict) -> bool:
    kind = f[0]
    if kind == "and":
        return all(_holds(part, env) for part in f[1])
    if kind == "or":
        return any(_holds(part, env) for part in f[1])
    if kind == "not":
        return not _holds(f[1], env)
    if kind == "flag":
        return bool(env[f[1]])
    if kind == "cmp":
        return bool(f[2].python(env[f[1]], f[3]))
    return env[f[1]] in f[2]


def decided_exclusive(a: Formula, b: Formula) -> bool:
    """Whether no assignment of the atoms satisfies both formulas: each flag either way,
    each integer value at the constants it is compared with and their neighbours (False
    past `MAX_ASSIGNMENTS` assignments: not proved)."""
    flags: set = set()
    points: dict[SSAValue, set[int]] = {}
    _atoms(a, flags, points)
    _atoms(b, flags, points)
    if 2 ** len(flags) * math.prod(len(p) for p in points.values()) > MAX_ASSIGNMENTS:
        return False
    names = [*flags, *points]
    choices = [(False, True)] * len(flags) + [sorted(p) for p in points.values()]
    for assignment in itertools.product(*choices):
        env = dict(zip(names, assignment, strict=True))
        if _holds(a, env) and _holds(b, env):
            return False
    return True


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


class _Mask:
    """An emission's mask, read as literals and, where they do not decide, a formula."""

    def __init__(self, mask: SSAValue):
        self.literals = literals(mask)
        self.mask = mask
        self._formula: Formula | None = None

    @property
    def formula(self) -> Formula:
        if self._formula is None:
            self._formula = formula(self.mask)
        return self._formula

    def excludes(self, other: _Mask) -> bool:
        return exclusive(self.literals, other.literals) or decided_exclusive(
            self.formula, other.formula
        )


def _state_keys(emits: list[branch.EmitOp]) -> list[int]:
    """A structural key of each emission's state (its defining ops, their properties and
    attributes, operands by key, block arguments by position): equal keys are the same
    writes of the same values, which `branch-fuse-equal-states` gives one slot. Each
    distinct structure is numbered once, so a key is one integer: as nested tuples the
    keys of a DAG were hashed once per path through it (LiH cc-pVDZ's kernel: 915
    million calls of `hash`, 65 s of CPU)."""
    memo: dict[SSAValue, int] = {}
    numbers: dict[tuple, int] = {}

    def key(value: SSAValue) -> int:
        found = memo.get(value)
        if found is None:
            op = value.owner
            if not isinstance(op, Operation):
                structure: tuple = ("arg", getattr(value, "index", None))
            else:
                structure = (
                    op.name,
                    tuple(op.properties.items()),
                    tuple(op.attributes.items()),
                    tuple(key(v) for v in op.operands),
                    tuple(op.results).index(value),
                )
            found = numbers.setdefault(structure, len(numbers))
            memo[value] = found
        return found

    return [key(e.state) for e in emits]


def _group(emits: list[branch.EmitOp]) -> list[list[branch.EmitOp]]:
    """Groups of pairwise exclusive emissions, greedily in program order, chosen by the
    slots they leave (`_slots`) among three groupings: any emissions merged; an emission
    whose state another emission writes too merged only with emissions of that state;
    none merged (on a tie, the first of these). `branch-fuse-equal-states` gives the
    emissions of one state one slot whatever their masks, which a merge hides behind its
    `select_state`: arms `x_i -> 1` twice and `x_i -> -3` three times, one of the latter
    never active, merged with the first arm: 3 slots per site, fused: 2 (sweep 21). A
    chain whose first and last arm write one state and whose middle arm another is one
    slot merged, two fused."""
    keys = _state_keys(emits)
    shared = {k for k, count in Counter(keys).items() if count > 1}
    masks = [_Mask(e.mask) for e in emits]
    blind = _grouping(emits, masks, [None] * len(emits))
    if not shared:
        return [[emits[k] for k in g] for g in blind]
    candidates = [blind, _grouping(emits, masks, [k if k in shared else None for k in keys])]
    candidates.append([[k] for k in range(len(emits))])
    best = min(candidates, key=lambda groups: _slots(groups, emits, keys))
    return [[emits[k] for k in g] for g in best]


def _grouping(emits: list[branch.EmitOp], masks: list[_Mask], keys: list) -> list[list[int]]:
    """Greedy groups (indices) of pairwise exclusive emissions of one term, tag, state
    type and `keys` entry."""
    groups: list[tuple[tuple, list[int]]] = []
    for k, e in enumerate(emits):
        compat = (e.term.data, e.tag.data if e.tag else None, e.state.type, keys[k])
        for key, members in groups:
            if key == compat and all(masks[k].excludes(masks[m]) for m in members):
                members.append(k)
                break
        else:
            groups.append((compat, [k]))
    return [members for _, members in groups]


def _slots(groups: list[list[int]], emits: list[branch.EmitOp], keys: list) -> int:
    """The slot groups left after fusion, as estimated: a merged group is one, emissions
    left alone one per state and tag."""
    alone = {
        (keys[g[0]], emits[g[0]].tag.data if emits[g[0]].tag else None)
        for g in groups
        if len(g) == 1
    }
    return sum(len(g) > 1 for g in groups) + len(alone)


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
