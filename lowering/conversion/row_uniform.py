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
operands; elementwise ops of row-uniform operands. Each one that is computed from `x`
at run time by `MIN_OPS` ops or more and used by an op that is not row-uniform gets a
stand-in (an `unrealized_conversion_cast` marked `UNIFORM`) between it and those users.
Once the kernel is lowered, `materialize_row_uniform` replaces each stand-in by the
value's first row reduced with its identity along a new axis (an OR, a sum or a max:
`_combine`; XLA never fuses a reduction into its consumers, so it is computed once per
sample), broadcast back to the rows. Every value is unchanged.
"""

from __future__ import annotations

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
from xdsl.ir import BlockArgument, Operation, SSAValue
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
    computed from `x`, the run-time ops that compute them."""
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
                cone[r] = frozenset().union(*parts) | {op}
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
    its users that are not row-uniform; returns how many."""
    uniform, cone = _row_uniform(kernel)
    count = 0
    for op in list(kernel.body.block.ops):
        for r in op.results:
            if not _worth(r, uniform, cone):
                continue
            # users that are not row-uniform (a terminator has no results)
            outside = [
                u
                for u in r.uses
                if not u.operation.results or not all(v in uniform for v in u.operation.results)
            ]
            if not outside:
                continue
            cast = UnrealizedConversionCastOp.build(
                operands=[[r]], result_types=[[r.type]], attributes={UNIFORM: UnitAttr()}
            )
            Rewriter.insert_op(cast, InsertPoint.after(op))
            for use in outside:
                use.operation.operands[use.index] = cast.results[0]
            count += 1
    return count


def _combine(t) -> tuple[type, object]:
    """How the reduction combines `[row, identity]` and the identity: an OR of `i1`, a
    sum of integers (with 0: the bounds that `narrow_integers` finds stay the value's,
    where a max with the type's least value would lose them), a max of floats (with
    `-inf`, which keeps a `-0.0`)."""
    if isinstance(t, IntegerType):
        return (stablehlo.OrOp, 0) if t.width.data == 1 else (stablehlo.AddOp, 0)
    return stablehlo.MaximumOp, -np.inf


def materialize_row_uniform(fn: func.FuncOp, low: StablehloBuilder) -> None:
    """Replaces each stand-in `mark_row_uniform` left by its value's first row reduced
    (once per sample) and broadcast back to the rows."""
    # one builder: the constants and shapes it builds before a stand-in, once, serve the
    # later ones (in block order, so they dominate them)
    b = StablehloBuilder(low.x, low.n, low.local_states, None, low.batch)
    for cast in [o for o in fn.body.block.ops if UNIFORM in o.attributes]:
        assert isinstance(cast, UnrealizedConversionCastOp)
        value = cast.operands[0]
        rows = _rows(value)
        t = element_type(value)
        b.rewriter = PatternRewriter(cast)
        first = b._slice(value, 0, 1, 1)  # not read_columns: its (0, N, 1) is x itself
        combine, identity = _combine(t)
        pair = [
            b.broadcast(first, [0, 1], [DYN, 1, 1]),
            b.broadcast(b.const(identity, t), [], [DYN, 1, 1]),
        ]
        stacked = b.add(stablehlo.ConcatenateOp(pair, 2))
        body = stablehlo.scalar_body([t], combine)
        once = b.add(stablehlo.ReduceOp([stacked], [b.const(identity, t)], [2], body))
        cast.results[0].replace_all_uses_with(b.broadcast(once, [0, 1], [DYN, rows]))
        Rewriter.erase_op(cast)
