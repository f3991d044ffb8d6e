"""Bounds on the values of a StableHLO function: an interval `(lo, hi)` per tensor,
holding every element, by interval arithmetic over its ops in program order.

Integer tensors get Python `int` bounds, float tensors `float` ones (`-inf`, `inf`:
unbounded); `i1` is `(0, 1)`; complex tensors and the values of ops not listed below
get the full range of their type (`type_range`). An integer op whose exact result could
leave its type (where it wraps around) gets the full range too. Float bounds are exact:
IEEE addition, multiplication and division round monotonically, so the op applied to
the corners of its operands' intervals bounds it. Used by `narrow_integers`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from xdsl.dialects.builtin import AnyFloat, Float64Type, IntegerType, TensorType
from xdsl.ir import Attribute, Block, Operation, SSAValue

from symir.dialects import stablehlo
from symir.dialects.types import numpy_dtype

Interval = tuple[float, float]
UNBOUNDED: Interval = (-math.inf, math.inf)


def type_range(t: Attribute) -> Interval:
    """Every value of the element type of the tensor type `t`."""
    el = t.element_type if isinstance(t, TensorType) else t
    if isinstance(el, IntegerType):
        w = el.width.data
        return (0, 1) if w == 1 else (-(1 << (w - 1)), (1 << (w - 1)) - 1)
    return UNBOUNDED


def is_int(t: Attribute) -> bool:
    return isinstance(t, TensorType) and isinstance(t.element_type, IntegerType)


def _clip(r: Interval, t: Attribute) -> Interval:
    """`r` where the type of `t` holds it, else the type's range (the op may wrap)."""
    lo, hi = type_range(t)
    if is_int(t):
        return r if lo <= r[0] and r[1] <= hi else (lo, hi)
    return (-math.inf, math.inf) if any(math.isnan(v) for v in r) else r


def _corners(f: Callable[[float, float], float], a: Interval, b: Interval) -> Interval:
    values = [f(x, y) for x in a for y in b]
    if any(isinstance(v, float) and math.isnan(v) for v in values):
        return UNBOUNDED
    return (min(values), max(values))


def _quotient(x: int, y: int) -> int:
    """`x / y` rounded toward zero (StableHLO's integer `divide`)."""
    q = abs(x) // abs(y)
    return q if (x < 0) == (y < 0) else -q


def _divide(a: Interval, b: Interval, integer: bool) -> Interval:
    if b[0] > 0 or b[1] < 0:
        if integer:
            return _corners(_quotient, a, b)
        return _corners(lambda x, y: x / y, a, b)
    if not integer:
        return UNBOUNDED
    # a divisor interval holding 0: |quotient| <= |a|, and x / 0 is -1
    m = max(abs(a[0]), abs(a[1]))
    return (min(-m, -1), max(m, -1))


def _remainder(a: Interval, b: Interval) -> Interval:
    """Integer `remainder` (the sign of the dividend, below the divisor in size; `x rem
    0` is `x`)."""
    m = max(abs(b[0]), abs(b[1]))
    lo = 0 if a[0] >= 0 else max(a[0], -(m - 1))
    hi = 0 if a[1] <= 0 else min(a[1], m - 1)
    if b[0] <= 0 <= b[1]:
        lo, hi = min(lo, a[0]), max(hi, a[1])
    return (lo, hi)


def _union(*rs: Interval) -> Interval:
    return (min(r[0] for r in rs), max(r[1] for r in rs))


def _constant(op: stablehlo.ConstantOp) -> Interval:
    t = op.output.type
    el = t.element_type  # type: ignore[union-attr]
    if not isinstance(el, IntegerType | AnyFloat) or (is_int(t) and el.width.data == 1):
        return type_range(t)
    values = np.frombuffer(op.value.data.data, dtype=np.dtype(numpy_dtype(el)).newbyteorder("<"))
    if values.size == 0:
        return type_range(t)
    if isinstance(el, IntegerType):
        return (int(values.min()), int(values.max()))
    if np.isnan(values).any():
        return UNBOUNDED
    return (float(values.min()), float(values.max()))


def _convert(r: Interval, source: Attribute, target: Attribute) -> Interval:
    if is_int(target):
        if not is_int(source):  # toward zero: within floor(lo) .. ceil(hi)
            if not (math.isfinite(r[0]) and math.isfinite(r[1])):
                return type_range(target)
            r = (math.floor(r[0]), math.ceil(r[1]))
        return _clip(r, target)
    if not isinstance(target.element_type, AnyFloat):  # type: ignore[union-attr]
        return type_range(target)
    if max(abs(r[0]), abs(r[1])) > 2**53:  # not every integer is a float any more
        return UNBOUNDED
    return (float(r[0]), float(r[1]))


def _reduce(op: stablehlo.ReduceOp, bounds: dict[SSAValue, Interval], k: int = 0) -> Interval:
    """Result `k` of a reduction whose body combines each input on its own (result `k`
    of the body computed from its arguments `k` and `n + k` only, `n` inputs) by an
    addition, a maximum or a minimum."""
    t = op.results[k].type
    n = len(op.inputs)
    block = op.body.block
    ret = block.last_op
    if not isinstance(ret, stablehlo.ReturnOp) or len(ret.operands) != n:
        return type_range(t)
    combine = ret.operands[k].owner
    if not isinstance(combine, Operation) or set(combine.operands) != {
        block.args[k],
        block.args[n + k],
    }:
        return type_range(t)
    a, init = bounds[op.inputs[k]], bounds[op.init_values[k]]
    if isinstance(combine, stablehlo.MaximumOp | stablehlo.MinimumOp):
        return _union(a, init)
    if not isinstance(combine, stablehlo.AddOp):
        return type_range(t)
    shape = op.inputs[k].type.get_shape()  # type: ignore[union-attr]
    sizes = [shape[d] for d in op.dimensions.get_values()]
    if any(s < 0 for s in sizes):
        return type_range(t)
    m = math.prod(sizes)
    return _clip((init[0] + m * min(a[0], 0), init[1] + m * max(a[1], 0)), t)


_BINARY: dict[type[Operation], Callable[[float, float], float]] = {
    stablehlo.AddOp: lambda x, y: x + y,
    stablehlo.SubtractOp: lambda x, y: x - y,
    stablehlo.MultiplyOp: lambda x, y: x * y,
    stablehlo.MaximumOp: max,
    stablehlo.MinimumOp: min,
}


def _iota(op, t) -> Interval:
    size = t.get_shape()[op.iota_dimension.value.data]
    return (0, size - 1) if size > 0 else type_range(t)


def _negate(op, bounds, t) -> Interval:
    lo, hi = bounds[op.operand]
    return _clip((-hi, -lo), t)


def _abs(op, bounds, t) -> Interval:
    lo, hi = bounds[op.operand]
    if not is_int(op.operand.type):
        return type_range(t)
    return _clip((0 if lo <= 0 <= hi else min(abs(lo), abs(hi)), max(abs(lo), abs(hi))), t)


def _floor(op, bounds, t) -> Interval:
    lo, hi = bounds[op.operand]
    return (float(math.floor(lo)) if math.isfinite(lo) else lo, hi)


def _select(op, bounds, t) -> Interval:
    pred, a, b = op.operands
    return _union(_chosen(pred, a, bounds, True), _chosen(pred, b, bounds, False))


def _converted(op, bounds, t) -> Interval:
    same = _multiplied_back(op, bounds)
    return same if same is not None else _convert(bounds[op.operand], op.operand.type, t)


def _remainder_of(op, bounds, t) -> Interval:
    if not is_int(t):
        return type_range(t)
    return _clip(_remainder(bounds[op.lhs], bounds[op.rhs]), t)


_RULES: dict[type[Operation], Callable[..., Interval]] = {
    stablehlo.ConstantOp: lambda op, bounds, t: _constant(op),
    stablehlo.IotaOp: lambda op, bounds, t: _iota(op, t),
    stablehlo.GetDimensionSizeOp: lambda op, bounds, t: (0, (1 << 31) - 1),
    stablehlo.ConcatenateOp: lambda op, bounds, t: _union(*(bounds[v] for v in op.inputs)),
    stablehlo.SelectOp: _select,
    stablehlo.ConvertOp: _converted,
    stablehlo.ReduceOp: lambda op, bounds, t: _reduce(op, bounds),
    stablehlo.NegateOp: _negate,
    stablehlo.AbsOp: _abs,
    stablehlo.FloorOp: _floor,
    stablehlo.DivideOp: lambda op, bounds, t: _clip(
        _divide(bounds[op.lhs], bounds[op.rhs], is_int(t)), t
    ),
    stablehlo.RemainderOp: _remainder_of,
    **{
        k: lambda op, bounds, t: bounds[op.operands[0]]
        for k in (
            stablehlo.DynamicBroadcastInDimOp,
            stablehlo.ReshapeOp,
            stablehlo.RealDynamicSliceOp,
            stablehlo.GatherOp,
            stablehlo.DynamicGatherOp,
        )
    },
    **{
        k: lambda op, bounds, t, f=f: _clip(_corners(f, *(bounds[v] for v in op.operands)), t)
        for k, f in _BINARY.items()
    },
}
"""The bounds of an op's result from its operands' (`op`, `bounds`, the result type);
a gather, broadcast, reshape or slice holds only values of its first operand."""


def _interval(op: Operation, bounds: dict[SSAValue, Interval], k: int = 0) -> Interval:
    """The bounds of `op`'s result `k`, from its operands' `bounds` (results past the
    first: those of a `reduce` only)."""
    t = op.results[k].type
    if not isinstance(t, TensorType) or not isinstance(t.element_type, IntegerType | AnyFloat):
        return UNBOUNDED
    if is_int(t) and t.element_type.width.data == 1:
        return (0, 1)
    if k:
        return _reduce(op, bounds, k) if isinstance(op, stablehlo.ReduceOp) else type_range(t)
    rule = _RULES.get(type(op))
    return type_range(t) if rule is None else rule(op, bounds, t)


_AT_LEAST = {"GE": 0, "GT": 1}
"""`p - q` where `compare(p, q)` holds: at least this."""
_FLIPPED = {"LE": "GE", "LT": "GT", "GE": "LE", "GT": "LT"}


def _chosen(pred: SSAValue, v: SSAValue, bounds: dict[SSAValue, Interval], taken: bool) -> Interval:
    """The bounds of `v` where `select(pred, ...)` takes it (`taken`: as its true
    operand): `p - q` under `p >= q` is at least 0 (`_pick` of irrep_slots.py: the
    offset of a flat index in the segment that starts at or below it)."""
    found = bounds[v]
    compare, difference = pred.owner, v.owner
    if not isinstance(compare, stablehlo.CompareOp) or not isinstance(
        difference, stablehlo.SubtractOp
    ):
        return found
    direction = compare.comparison_direction.data.value
    if not taken:
        direction = {"GE": "LT", "GT": "LE", "LE": "GT", "LT": "GE"}.get(direction, "")
    p, q = compare.lhs, compare.rhs
    if (difference.lhs, difference.rhs) == (q, p):
        direction = _FLIPPED.get(direction, "")
    elif (difference.lhs, difference.rhs) != (p, q):
        return found
    if direction in _AT_LEAST:
        return (max(found[0], _AT_LEAST[direction]), found[1])
    return found


def _multiplied_back(op: stablehlo.ConvertOp, bounds: dict[SSAValue, Interval]) -> Interval | None:
    """The bounds of `v` for `convert(convert(v * d) / convert(d))` to an integer, `d >=
    1` and `|v * d| <= 2^53` (the quotient is `v` exactly: `irrep_slots._once`, which
    stores a value through such a division); None for any other op."""
    quotient = op.operand.owner
    if not is_int(op.result.type) or not isinstance(quotient, stablehlo.DivideOp):
        return None
    top, bottom = quotient.lhs.owner, quotient.rhs.owner
    if not (isinstance(top, stablehlo.ConvertOp) and isinstance(bottom, stablehlo.ConvertOp)):
        return None
    product, d = top.operand.owner, bottom.operand
    if not isinstance(product, stablehlo.MultiplyOp) or not is_int(d.type):
        return None
    if product.lhs is d:
        v = product.rhs
    elif product.rhs is d:
        v = product.lhs
    else:
        return None
    if not all(_is_f64(w.type) for w in (top.result, bottom.result, quotient.result)):
        return None  # in f32 the product is exact only below 2^24
    # the product's exact bounds (not clipped: where it may wrap around, it is not v d)
    exact = _corners(lambda x, y: x * y, bounds[v], bounds[d])
    lo, hi = type_range(product.results[0].type)
    if bounds[d][0] < 1 or not (lo <= exact[0] and exact[1] <= hi):
        return None
    if max(abs(exact[0]), abs(exact[1])) > 2**53:
        return None
    return _clip(bounds[v], op.result.type)


def _is_f64(t: Attribute) -> bool:
    return isinstance(t, TensorType) and isinstance(t.element_type, Float64Type)


def intervals(
    block: Block, given: dict[SSAValue, Interval] | None = None
) -> dict[SSAValue, Interval]:
    """The bounds of every value of `block` (its arguments, `given` or their type's
    range, and its ops' results; the ops of nested regions are not looked into)."""
    given_ = given or {}
    bounds: dict[SSAValue, Interval] = {a: type_range(a.type) for a in block.args}
    bounds.update({a: r for a, r in given_.items() if a in block.args})
    for op in block.ops:
        if not op.results:
            continue
        first = _interval(op, bounds)
        if op.results[0] in given_:
            lo, hi = given_[op.results[0]]
            first = (max(first[0], lo), min(first[1], hi))
            if first[0] > first[1]:
                first = (lo, hi)
        bounds[op.results[0]] = first
        for k, r in enumerate(op.results[1:], 1):
            bounds[r] = _interval(op, bounds, k)
    return bounds
