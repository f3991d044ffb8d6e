"""The kernel's 64-bit integer arithmetic in 32 bits wherever its values provably fit
(`convert-branch-to-stablehlo{narrow_integers=true}`, the default lowering's).

The conversion computes every integer of a kernel in `i64`, the `branch`
level's type: site indices, ranks, counts, table keys and offsets. On the CPU a 64-bit
lane is half as many per vector as a 32-bit one, and some 64-bit ops do not vectorise at
all (a remainder or a quotient by a constant is a scalar instruction per element: there
is no 64 x 64 -> 128-bit vector multiply). Once the kernel is converted, `narrow_block` bounds every value of the function
(`intervals`, `x` by its local states, the kernel's input contract: constants' values, an iota's range, sums, products, quotients, selects,
the operand's values through broadcasts, reshapes, slices, gathers and concatenations,
an integer from a float by the float's bounds) and retypes to `i32` each `i64` value
whose op computes alike in 32 bits: a `constant`, an elementwise `add`, `subtract`,
`multiply`, `divide`, `remainder`, `maximum`, `minimum`, `negate`, `abs`, a `select`, a
`convert`, a broadcast, reshape, slice, gather or concatenation, when its result and the
operands it computes with all lie in the `i32` range. A `compare` of two such values
compares them in `i32`. A gather's indices and a `convert`'s operand may be either width.
Where a narrowed value meets an op that stays in `i64` (a reduction, the function's
results, a value the bounds do not confine to `i32`) a `convert` back to `i64` goes
before it; an operand that fits but was not narrowed is converted to `i32`.

The results are the same bit for bit: on values within `i32`, with a result within
`i32`, each narrowed op computes what its `i64` form computed (no wrap-around in either;
an integer `x / 0` is -1 and `x rem 0` is `x` in both), and a float converted from an
integer is the same from either width. The shape operands of `dynamic_broadcast_in_dim`,
`real_dynamic_slice` and `dynamic_gather`, and every value they are computed from, stay
as they are. `LoweringOptions.narrow_integers=False` leaves the narrowing out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from xdsl.dialects.builtin import TensorType, i32, i64
from xdsl.ir import Block, Operation, SSAValue
from xdsl.rewriter import InsertPoint, Rewriter

from symir.dialects import stablehlo
from symir.lowering.conversion.intervals import Interval, intervals, type_range

I32 = type_range(i32)

_SHAPE_OPERANDS: dict[type[Operation], tuple[int, ...]] = {
    stablehlo.DynamicBroadcastInDimOp: (1,),
    stablehlo.RealDynamicSliceOp: (1, 2, 3),
    stablehlo.DynamicGatherOp: (2,),
}
"""Operands that are shapes or slice bounds (by position)."""

_ANY_WIDTH: dict[type[Operation], tuple[int, ...]] = {
    stablehlo.GatherOp: (1,),
    stablehlo.DynamicGatherOp: (1,),
    stablehlo.ConvertOp: (0,),
}
"""Operands that may be an integer of either width (the op does not change)."""

_DATA_OPERANDS: dict[type[Operation], tuple[int, ...] | None] = {
    stablehlo.ConstantOp: (),
    stablehlo.AddOp: None,
    stablehlo.SubtractOp: None,
    stablehlo.MultiplyOp: None,
    stablehlo.DivideOp: None,
    stablehlo.RemainderOp: None,
    stablehlo.MaximumOp: None,
    stablehlo.MinimumOp: None,
    stablehlo.NegateOp: None,
    stablehlo.AbsOp: None,
    stablehlo.SelectOp: (1, 2),
    stablehlo.ConcatenateOp: None,
    stablehlo.ReshapeOp: (0,),
    stablehlo.DynamicBroadcastInDimOp: (0,),
    stablehlo.RealDynamicSliceOp: (0,),
    stablehlo.GatherOp: (0,),
    stablehlo.DynamicGatherOp: (0,),
    stablehlo.ConvertOp: (),
    stablehlo.CompareOp: None,
}
"""The ops that can compute in `i32`, and the operands that then are `i32` too (None:
every operand)."""


def _is_i64(v: SSAValue) -> bool:
    return isinstance(v.type, TensorType) and v.type.element_type == i64


def _fits(r: Interval) -> bool:
    return I32[0] <= r[0] and r[1] <= I32[1]


def _data(op: Operation) -> list[SSAValue]:
    positions = _DATA_OPERANDS[type(op)]
    return list(op.operands) if positions is None else [op.operands[k] for k in positions]


def _shape_values(block: Block) -> set[SSAValue]:
    """The values that are shape operands, and every value of the block they are
    computed from."""
    found: set[SSAValue] = set()
    for op in reversed(list(block.ops)):
        positions = _SHAPE_OPERANDS.get(type(op), ())
        found.update(op.operands[k] for k in positions)
        if any(r in found for r in op.results):
            found.update(op.operands)
    return found


def narrowed_ops(
    block: Block, x_range: Interval | None = None, known: dict[SSAValue, Interval] | None = None
) -> tuple[set[Operation], dict[SSAValue, Interval]]:
    """The ops of `block` to compute in `i32`, and the bounds of its values (`x_range`:
    the bounds of its first argument, the configurations; `known`: bounds of some values
    that the lowering knows, `StablehloBuilder.bounds`)."""
    given = dict(known or {})
    if x_range is not None:
        given[block.args[0]] = x_range
    bounds = intervals(block, given)
    shapes = _shape_values(block)
    chosen: set[Operation] = set()
    narrow: set[SSAValue] = set()
    for op in block.ops:
        if type(op) not in _DATA_OPERANDS or len(op.results) != 1:
            continue
        data = _data(op)
        if not all(_is_i64(v) and _fits(bounds[v]) for v in data):
            continue
        if isinstance(op, stablehlo.CompareOp):
            if data and any(v in narrow for v in data):
                chosen.add(op)
            continue
        result = op.results[0]
        if _is_i64(result) and _fits(bounds[result]) and result not in shapes:
            chosen.add(op)
            narrow.add(result)
    return chosen, bounds


def _to(v: SSAValue, t) -> stablehlo.ConvertOp:
    return stablehlo.ConvertOp(v, t)


@dataclass
class _Narrowing:
    """Rewrites one block: the chosen ops in `i32`, converts at their edges."""

    block: Block
    chosen: set[Operation]

    def __post_init__(self):
        self.narrowed: set[SSAValue] = set()
        self.widened: dict[SSAValue, SSAValue] = {}

    def wide(self, v: SSAValue) -> SSAValue:
        """`v` (narrowed) converted back to `i64`, once, just after its definition."""
        if v not in self.widened:
            convert = _to(v, i64)
            Rewriter.insert_op(convert, InsertPoint.after(v.owner))  # type: ignore[arg-type]
            self.widened[v] = convert.result
        return self.widened[v]

    def narrow_operand(self, op: Operation, k: int) -> None:
        v = op.operands[k]
        if v in self.narrowed:
            return
        if isinstance(v.owner, stablehlo.ConstantOp):
            new = _i32_constant(v.owner)
        else:
            new = _to(v, i32)
        Rewriter.insert_op(new, InsertPoint.before(op))
        op.operands[k] = new.results[0]

    def run(self) -> None:
        for op in list(self.block.ops):
            if op in self.chosen:
                self.narrow(op)
            else:
                self.keep(op)
        for op in list(self.block.ops):  # i32 -> i32 (i32 -> i64 narrowed): the operand
            if isinstance(op, stablehlo.ConvertOp) and op.operand.type == op.result.type:
                op.result.replace_all_uses_with(op.operand)
                Rewriter.erase_op(op)

    def keep(self, op: Operation) -> None:
        """`op` stays as it is: its narrowed operands back to `i64`, but where it takes
        either width."""
        either = _ANY_WIDTH.get(type(op), ())
        for k, v in enumerate(op.operands):
            if v in self.narrowed and k not in either:
                op.operands[k] = self.wide(v)

    def narrow(self, op: Operation) -> None:
        positions = _DATA_OPERANDS[type(op)]
        for k in range(len(op.operands)) if positions is None else positions:
            self.narrow_operand(op, k)
        if isinstance(op, stablehlo.CompareOp):
            return
        result = op.results[0]
        if isinstance(op, stablehlo.ConstantOp):
            new = _i32_constant(op)
            Rewriter.replace_op(op, new)
            self.narrowed.add(new.output)
            return
        self.narrowed.add(Rewriter.replace_value_with_new_type(result, _i32_of(result.type)))


def _i32_constant(op: stablehlo.ConstantOp) -> stablehlo.ConstantOp:
    """The `i64` constant `op` (its values within `i32`) as an `i32` one (a splat's one
    value broadcast to the shape)."""
    shape = tuple(op.output.type.get_shape())  # type: ignore[union-attr]
    values = np.frombuffer(op.value.data.data, dtype="<i8").astype(np.int32)
    if values.size != math.prod(shape):
        values = np.broadcast_to(values[0], shape)
    return stablehlo.ConstantOp.from_array(values.reshape(shape))


@lru_cache(maxsize=1024)
def _i32_of(t: TensorType) -> TensorType:
    """`t` with `i32` elements (made once per type: a `TensorType` is costly to build)."""
    return TensorType(i32, t.get_shape())


def narrow_block(
    block: Block, x_range: Interval | None = None, known: dict[SSAValue, Interval] | None = None
) -> None:
    """Narrow the integers of one block (a function's body; `x_range`: the bounds of
    its first argument; `known`: bounds the lowering knows of some values)."""
    chosen, _ = narrowed_ops(block, x_range, known)
    if chosen:
        _Narrowing(block, chosen).run()


__all__ = ["narrow_block", "narrowed_ops"]
