"""Values that are the same in every row, computed once per sample.

A molecule's symmetry slots decode each slot from counts of the state's electrons per
irrep (`branch.count` of constant bounds) and arithmetic on them: values of shape
`(batch, rows)` whose rows are all equal. XLA:CPU fuses their computation into every
per-row loop that reads them, and where that loop runs over the rows flattened (a
gather's `(batch * rows, 1)` output) it cannot hoist it out of the loop over the rows:
H2O 6-31G's kernel recomputed about a hundred of them for each of its 850 slots, in six
gathers, 60% of its time.

So, before `convert-branch-to-stablehlo` lowers a kernel, `mark_row_uniform` finds the
values that are row-uniform (`uniform`): constants, columns of one value, parameters;
`branch.read`, `branch.count`, `branch.nth_site` and `branch.member` of row-uniform
operands; elementwise ops of row-uniform operands. Each one that is computed from `x` at
run time by `MIN_OPS` ops or more and used by an op that is not row-uniform gets a
stand-in (an `unrealized_conversion_cast` marked `UNIFORM`) between it and those users,
where a kernel has at most `MAX_VALUES` of them; the ops computing them are moved first
in the kernel, the stand-ins after them. Once the kernel is lowered,
`materialize_row_uniform` replaces the stand-ins by their values' first rows, each
paired with its identity along a new axis and all reduced by one `reduce` (an OR, a sum
or a max per input: `_combine`; XLA never fuses a reduction into its consumers, so they
are computed once per sample, and one reduction is one computation for XLA to compile,
where one per value made N2 cc-pVDZ's first call 13-16 s of CPU instead of 8.5-10.5),
each broadcast back to the rows. Every value is unchanged.
"""

from __future__ import annotations

from itertools import islice

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX as DYN,
)
from xdsl.dialects.builtin import (
    AnyFloat,
    IntegerType,
    TensorType,
    UnitAttr,
    UnrealizedConversionCastOp,
)
from xdsl.ir import Block, BlockArgument, Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter
from xdsl.rewriter import InsertPoint, Rewriter

from symir.dialects import branch, stablehlo
from symir.lowering.conversion.stablehlo_builder import StablehloBuilder, element_type

UNIFORM = "branch.row_uniform"
"""Marks the stand-in for a row-uniform value computed from `x` (`mark_row_uniform`)."""

MIN_OPS = 3
"""The fewest ops computing a row-uniform value from `x` that are worth a reduction of
their own (a read or a count alone, or one op on it, are computed again in each row:
each a load or two)."""

MAX_VALUES = 32
"""The most row-uniform values a kernel reduces; with more it reduces none. Measured on
thirteen molecules' kernels (2026-11-29, docs/molecules.md): the one whose kernel they
sped up, H2O 6-31G (2x), has 19, LiH cc-pVDZ and Li2 6-31G (16 and 25) were unchanged,
and the ten with 55-241 (N2, CO, NH3, CH4, H2CO, C2H4, H2O cc-pVDZ, HF cc-pVDZ) were
unchanged or up to 7% slower, with XLA's compile up to 3 s longer (N2 cc-pVDZ). A bound
fitted on those, not a model of when XLA recomputes them."""

_OF_X = (branch.ReadOp, branch.CountOp, branch.NthSiteOp)
"""Ops that read `x`: row-uniform where their other operands are."""


def _rows(v: SSAValue) -> int | None:
    t = v.type
    if not isinstance(t, TensorType) or len(t.get_shape()) != 2:
        return None
    return t.get_shape()[1]


def _uniform_op(op: Operation, uniform: dict[SSAValue, bool], x: SSAValue) -> bool | None:
    """Whether the results of `op` are row-uniform, and computed from `x` (the kernel's
    input: True) or not (False); None where they are not row-uniform."""
    if isinstance(op, branch.ConstantOp | branch.SplatOp):
        return False
    if isinstance(op, branch.ColumnOp):
        values = op.values.get_values()
        return False if len(set(values)) <= 1 else None
    operands = [v for v in op.operands if v is not x]
    if isinstance(op, _OF_X):
        if any(v not in uniform for v in operands):
            return None
        return True
    if isinstance(op, branch.ElementwiseBase | branch.MemberOp):
        if any(v not in uniform and not _parameter(v) for v in operands):
            return None
        return any(uniform.get(v, False) for v in operands)
    return None


def _parameter(v: SSAValue) -> bool:
    """A kernel parameter (a block argument other than `x`): the same in every row."""
    return isinstance(v, BlockArgument) and v.index > 0


def _row_uniform(
    kernel: branch.KernelOp,
) -> tuple[dict[SSAValue, bool], dict[SSAValue, frozenset]]:
    """The row-uniform values of `kernel` (value -> computed from `x`) and, for those
    computed from `x`, run-time ops that compute them: all of them where fewer than
    `MIN_OPS`, else `MIN_OPS` of them (all `_worth` reads; a union of such sets has
    `MIN_OPS` ops exactly where the whole cone has, without copying cones of hundreds of
    ops at every op)."""
    uniform: dict[SSAValue, bool] = {}
    cone: dict[SSAValue, frozenset[Operation]] = {}
    for op in kernel.body.block.ops:
        found = _uniform_op(op, uniform, kernel.x)
        if found is None:
            continue
        for r in op.results:
            uniform[r] = found
            if found:
                parts = [cone.get(v, frozenset()) for v in op.operands]
                ops = frozenset().union(*parts) | {op}
                cone[r] = ops if len(ops) <= MIN_OPS else frozenset(islice(ops, MIN_OPS))
    return uniform, cone


def _worth(r: SSAValue, uniform: dict, cone: dict) -> bool:
    """Whether `r` is computed from `x` by `MIN_OPS` ops or more, in several rows, as an
    integer or a float."""
    return (
        uniform.get(r, False)
        and (_rows(r) or 1) > 1
        and len(cone[r]) >= MIN_OPS
        and isinstance(element_type(r), IntegerType | AnyFloat)
    )


def mark_row_uniform(kernel: branch.KernelOp) -> int:
    """Puts a stand-in (`UNIFORM`) between each row-uniform value computed from `x` and
    its users that are not row-uniform; returns how many (none where there are more than
    `MAX_VALUES`). The ops computing those values are moved first in the kernel
    (`_hoist`) and the stand-ins follow them, together, so that `materialize_row_uniform`
    reduces them all in one op."""
    uniform, cone = _row_uniform(kernel)
    block = kernel.body.block
    marked: list[tuple[SSAValue, list]] = []
    for r in (r for op in block.ops for r in op.results):
        if not _worth(r, uniform, cone):
            continue
        # users that are not row-uniform (a terminator has no results)
        outside = [
            u
            for u in r.uses
            if not u.operation.results or not all(v in uniform for v in u.operation.results)
        ]
        if outside:
            marked.append((r, outside))
            if len(marked) > MAX_VALUES:
                return 0
    if not marked:
        return 0
    last = _hoist(block, [r for r, _ in marked])
    for r, outside in marked:
        cast = UnrealizedConversionCastOp.build(
            operands=[[r]], result_types=[[r.type]], attributes={UNIFORM: UnitAttr()}
        )
        Rewriter.insert_op(cast, InsertPoint.after(last))
        last = cast
        for use in outside:
            use.operation.operands[use.index] = cast.results[0]
    return len(marked)


def _hoist(block: Block, values: list[SSAValue]) -> Operation:
    """Moves the ops computing `values` (and what they read, but block arguments) to the
    start of `block`, in their order; returns the last one moved. Valid because a
    row-uniform value is computed from `x`, parameters and other row-uniform values
    only, which those ops are."""
    needed: set[Operation] = set()
    stack = [v.owner for v in values]
    while stack:
        op = stack.pop()
        if isinstance(op, Operation) and op not in needed:
            needed.add(op)
            stack.extend(v.owner for v in op.operands)
    moved = [op for op in block.ops if op in needed]
    for op in reversed(moved):
        op.detach()
        first = block.first_op
        assert first is not None  # the kernel's terminator stays
        block.insert_op_before(op, first)
    return moved[-1]


def _combine(t) -> tuple[type, object]:
    """How the reduction combines `[row, identity]` and the identity: an OR of `i1`, a
    sum of integers (with 0: the bounds that `narrow_integers` finds stay the value's,
    where a max with the type's least value would lose them), a max of floats (with
    `-inf`, which keeps a `-0.0`)."""
    if isinstance(t, IntegerType):
        return (stablehlo.OrOp, 0) if t.width.data == 1 else (stablehlo.AddOp, 0)
    return stablehlo.MaximumOp, -np.inf


def materialize_row_uniform(fn: func.FuncOp, low: StablehloBuilder) -> None:
    """Replaces the stand-ins `mark_row_uniform` left (one after the other) by their
    values' first rows reduced together, once per sample, by one `reduce` of as many
    inputs (one reduction for XLA to compile and run, not one per value), each
    broadcast back to the rows."""
    casts = [o for o in fn.body.block.ops if UNIFORM in o.attributes]
    if not casts:
        return
    # one builder: the constants and shapes it builds before the stand-ins serve them all
    b = StablehloBuilder(low.x, low.n, low.local_states, None, low.batch)
    b.rewriter = PatternRewriter(casts[0])
    pairs, identities, combines = [], [], []
    for cast in casts:
        value = cast.operands[0]
        t = element_type(value)
        first = b._slice(value, 0, 1, 1)  # not read_columns: its (0, N, 1) is x itself
        combine, identity = _combine(t)
        pair = [
            b.broadcast(first, [0, 1], [DYN, 1, 1]),
            b.broadcast(b.const(identity, t), [], [DYN, 1, 1]),
        ]
        pairs.append(b.add(stablehlo.ConcatenateOp(pair, 2)))
        identities.append(b.const(identity, t))
        combines.append(combine)
    body = stablehlo.pairwise_body([element_type(p) for p in pairs], combines)
    once = stablehlo.ReduceOp(pairs, identities, [2], body)
    b.add(once)
    back = [
        b.broadcast(row, [0, 1], [DYN, _rows(c.operands[0])])
        for c, row in zip(casts, once.results, strict=True)
    ]
    for cast, value in zip(casts, back, strict=True):  # the builder inserts before casts[0]
        cast.results[0].replace_all_uses_with(value)
        Rewriter.erase_op(cast)
