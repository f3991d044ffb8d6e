"""How `convert-branch-to-stablehlo` lowers `branch.count` (particles on a range of sites)
and `branch.parity`, and the cost model that picks the lowering of a count.

`branch.count %x, %lo, %hi` is, per batch entry `b` and row `m`,
`x[b, lo[b, m]] + ... + x[b, hi[b, m] - 1]` with the bounds clamped to `[0, N]`. Two
lowerings:

* **masked** reduction: `x` broadcast to `(B, M, N)`, multiplied by the mask
  `lo <= k < hi` of each row (a constant when the bounds are row-table columns), reduced
  over the sites: `M * N` multiply-adds per configuration;
* **prefix** sum: the cumulative sum `P[b, k] = x[b, 0] + ... + x[b, k-1]` (`N + 1`
  entries, `ceil(log2 N)` shifted adds), then `P[hi] - P[lo]` by two batched gathers:
  `N log N` adds and `2 M` gathered elements per configuration.

Bounds that are the same constants in every row of a term of several rows (the electrons
of some orbitals, a molecule's per-irrep counts: symir/chemistry/irrep_slots.py) are
counted once, two columns of the prefix sums, and broadcast over the rows (unless the
op's `strategy` is set).

`choose` compares the two estimates: `M * N` for the masked reduction against
`N ceil(log2 N) + 2 M G` for the prefix sum, so the masked reduction is kept for a few
rows (a global term: `M <= log2 N` or so) and the prefix sum taken otherwise. The
constants were measured on CPU (jax 0.10.2, batch 2048, a kernel of one count per row,
each lowering forced): the prefix sum was 1.7x to 180x faster from 8 rows on (N = 16..128,
M = 8..256; the `(B, M, N)` product of the masked reduction runs out of cache), the masked
reduction 1.3x to 2.3x faster for 1 to 4 rows of 16 to 64 sites. The `strategy` property of
the op, when set, fixes the choice. Sums are taken in `i32` (in `i64` when the
configurations' type is wider or a sum of N local states might not fit `i32`), then
converted to the `i64` of the `branch` value.
"""

from __future__ import annotations

import math

import numpy as np
from xdsl.dialects.builtin import DYNAMIC_INDEX as DYN
from xdsl.dialects.builtin import IntegerType, i64
from xdsl.ir import Attribute, SSAValue

from symir.dialects import branch, stablehlo
from symir.dialects.types import numpy_dtype
from symir.lowering.conversion.stablehlo_builder import StablehloBuilder, static_column

MASKED_COST = 1.0
"""Relative cost of one masked multiply-add (per configuration, row and site)."""
PREFIX_ADD_COST = 1.0
"""Relative cost of one element of one shifted add of the prefix sum."""
PREFIX_GATHER_COST = 0.5
"""Relative cost of one gathered element (per configuration and row, two per row)."""
DYNAMIC_MASK_COST = 2.0
"""Extra cost per masked element when the mask is computed at run time (two compares
and an and, against a constant mask)."""


def masked_cost(rows: int, sites: int, static: bool) -> float:
    """The estimated cost of the masked reduction, per configuration."""
    per = MASKED_COST + (0.0 if static else DYNAMIC_MASK_COST)
    return per * rows * sites


def prefix_cost(rows: int, sites: int) -> float:
    """The estimated cost of the prefix sum, per configuration."""
    steps = max(1, math.ceil(math.log2(max(sites, 2))))
    return PREFIX_ADD_COST * sites * steps + PREFIX_GATHER_COST * 2 * rows


def choose(rows: int, sites: int, static: bool) -> str:
    """`"masked"` or `"prefix"`: the cheaper by the cost model (masked on a tie)."""
    masked = masked_cost(rows, sites, static)
    return "masked" if masked <= prefix_cost(rows, sites) else "prefix"


def _sum_type(low: StablehloBuilder) -> IntegerType:
    """`i32` where no sum of N local states can leave it, else `i64` (whose sums wrap
    around as the reference's `i64` values do)."""
    largest = max(abs(s) for s in low.local_states) * low.n
    width = low.x_elem.width.data
    return IntegerType(64) if width > 32 or largest >= 2**31 else IntegerType(32)


def lower_count(low: StablehloBuilder, op: branch.CountOp) -> SSAValue:
    """`op` lowered with `low` (the kernel's `KernelLowering`): the `tensor<?xMxi64>`,
    its bounds recorded (`StablehloBuilder.bounds`: `k` local states summed, `k` at most
    the sites of the longest range)."""
    result = _lower_count(low, op)
    lo, hi = static_column(op.lo), static_column(op.hi)
    k = low.n
    if lo is not None and hi is not None:
        k = int(np.max(np.clip(hi, 0, low.n) - np.clip(lo, 0, low.n), initial=0))
    k = max(k, 0)
    states = low.local_states
    low.bounds[result] = (min(0, k * min(states)), max(0, k * max(states)))
    return result


def _lower_count(low: StablehloBuilder, op: branch.CountOp) -> SSAValue:
    rows = op.result.type.get_shape()[1]  # type: ignore[union-attr]
    n = low.n
    lo, hi = static_column(op.lo), static_column(op.hi)
    static = lo is not None and hi is not None
    strategy = op.strategy.data if op.strategy is not None else choose(rows, n, static)
    t = _sum_type(low)
    xs = low.once(("count_states", op.x, t), lambda: low.convert(op.x, t))
    if op.strategy is None and static and rows > 1 and _one_range(lo, hi):
        # the same range in every row: counted once and broadcast over the rows (not a
        # gather of every row's bounds)
        once = _prefix_once(low, xs, int(lo[0]), int(hi[0]))
        return low.convert(low.broadcast(once, [0, 1], [DYN, rows]), i64)
    if strategy == "masked":
        if static:
            result = _masked_static(low, xs, np.clip(lo, 0, n), np.clip(hi, 0, n))
        else:
            result = _masked_dynamic(low, xs, op.lo, op.hi, rows)
    else:
        result = _prefix(low, xs, op.lo, op.hi, lo, hi, rows)
    return low.convert(result, i64)


def _one_range(lo: np.ndarray, hi: np.ndarray) -> bool:
    return bool((lo == lo[0]).all() and (hi == hi[0]).all())


def _prefix_once(low: StablehloBuilder, xs: SSAValue, lo: int, hi: int) -> SSAValue:
    """`P[hi] - P[lo]` for one static range, `tensor<?x1x...>`: two columns of the prefix
    sums taken."""
    n = low.n
    clo = min(max(lo, 0), n)
    chi = max(min(max(hi, 0), n), clo)
    p = prefix_sums(low, xs)
    upper = low.take(p, np.array([chi]))
    lower = low.take(p, np.array([clo]))
    return low.add(stablehlo.SubtractOp(upper, lower))


def _reduce_sites(low: StablehloBuilder, values: SSAValue) -> SSAValue:
    t = values.type.element_type  # type: ignore[union-attr]
    body = stablehlo.scalar_body([t], stablehlo.AddOp)
    return low.add(stablehlo.ReduceOp([values], [low.const(0, t)], [2], body))


def _masked_static(low: StablehloBuilder, xs: SSAValue, lo: np.ndarray, hi: np.ndarray) -> SSAValue:
    """`sum_k x[b, k] * mask[m, k]` with the constant mask of the rows' ranges."""
    t: Attribute = xs.type.element_type  # type: ignore[union-attr]
    sites = np.arange(low.n)
    mask = (sites[None, :] >= lo[:, None]) & (sites[None, :] < hi[:, None])
    shape = [DYN, len(lo), low.n]
    c = low.add(stablehlo.ConstantOp.from_array(mask.astype(numpy_dtype(t))))
    x3 = low.broadcast(xs, [0, 2], shape)
    return _reduce_sites(low, low.add(stablehlo.MultiplyOp(x3, low.broadcast(c, [1, 2], shape))))


def _masked_dynamic(
    low: StablehloBuilder, xs: SSAValue, lo: SSAValue, hi: SSAValue, rows: int
) -> SSAValue:
    """`sum_k x[b, k] [lo[b, m] <= k < hi[b, m]]`, the mask compared at run time."""
    t: Attribute = xs.type.element_type  # type: ignore[union-attr]
    shape = [DYN, rows, low.n]
    iota = low.add(stablehlo.ConstantOp.from_array(np.arange(low.n, dtype=np.int64)))
    iota = low.broadcast(iota, [2], shape)
    above = low.add(stablehlo.CompareOp("GE", iota, low.broadcast(lo, [0, 1], shape)))
    below = low.add(stablehlo.CompareOp("LT", iota, low.broadcast(hi, [0, 1], shape)))
    inside = low.add(stablehlo.AndOp(above, below))
    zero = low.broadcast(low.const(0, t), [], shape)
    x3 = low.broadcast(xs, [0, 2], shape)
    return _reduce_sites(low, low.add(stablehlo.SelectOp(inside, x3, zero)))


def shifted(low: StablehloBuilder, y: SSAValue, s: int) -> SSAValue:
    """`y` shifted by `s` sites to the right along dimension 1, zeros entering."""
    t: Attribute = y.type.element_type  # type: ignore[union-attr]
    width = y.type.get_shape()[1]  # type: ignore[union-attr]
    zeros = low.broadcast(low.const(0, t), [], [DYN, s])
    kept = low.read_columns(y, [(0, width - s, 1)])
    return low.add(stablehlo.ConcatenateOp([zeros, kept], 1))


def prefix_sums(low: StablehloBuilder, xs: SSAValue) -> SSAValue:
    """`P (B, N + 1)`: `P[b, k] = x[b, 0] + ... + x[b, k-1]` (Hillis-Steele: `log2 N`
    shifted adds, then a leading 0), built once per kernel and `xs` (`low.once`): the
    counts of a molecule's irreps (170 at 56 spin orbitals) read the same prefix sums,
    which were built for each and merged by `cse` afterwards."""
    return low.once(("prefix_sums", xs), lambda: _prefix_sums(low, xs))


def _prefix_sums(low: StablehloBuilder, xs: SSAValue) -> SSAValue:
    y, s = xs, 1
    while s < low.n:
        y = low.add(stablehlo.AddOp(y, shifted(low, y, s)))
        s *= 2
    return _shifted_into(low, y)


def _shifted_into(low: StablehloBuilder, y: SSAValue) -> SSAValue:
    t: Attribute = y.type.element_type  # type: ignore[union-attr]
    zero = low.broadcast(low.const(0, t), [], [DYN, 1])
    return low.add(stablehlo.ConcatenateOp([zero, y], 1))


def _bounds(
    low: StablehloBuilder,
    lo: SSAValue,
    hi: SSAValue,
    slo: np.ndarray | None,
    shi: np.ndarray | None,
    rows: int,
) -> tuple[SSAValue, SSAValue]:
    """The bounds clamped to `[0, N]`, with `hi >= lo` (an empty range reads `P[lo]`
    twice)."""
    n = low.n
    if slo is not None and shi is not None:
        clo = np.clip(slo, 0, n)
        chi = np.maximum(np.clip(shi, 0, n), clo)
        cols = []
        for values in (clo, chi):
            c = low.add(stablehlo.ConstantOp.from_array(values.astype(np.int64)))
            cols.append(low.broadcast(c, [1], [DYN, rows]))
        return cols[0], cols[1]
    shape = [DYN, rows]
    zero = low.broadcast(low.const(0, i64), [], shape)
    top = low.broadcast(low.const(n, i64), [], shape)

    def clamp(v: SSAValue) -> SSAValue:
        return low.add(stablehlo.MinimumOp(low.add(stablehlo.MaximumOp(v, zero)), top))

    clo = clamp(lo)
    return clo, low.add(stablehlo.MaximumOp(clamp(hi), clo))


def _prefix(
    low: StablehloBuilder,
    xs: SSAValue,
    lo: SSAValue,
    hi: SSAValue,
    slo: np.ndarray | None,
    shi: np.ndarray | None,
    rows: int,
) -> SSAValue:
    """`P[hi] - P[lo]` with `P` the prefix sums of `x`."""
    p = prefix_sums(low, xs)
    clo, chi = _bounds(low, lo, hi, slo, shi, rows)
    upper = low.gather(p, chi, 1)
    lower = low.gather(p, clo, 1)
    return low.add(stablehlo.SubtractOp(upper, lower))


def lower_parity(low: StablehloBuilder, n: SSAValue) -> SSAValue:
    """`(-1)^n = 1 - 2 |n rem 2|`."""
    shape = n.type.get_shape()  # type: ignore[union-attr]
    one = low.broadcast(low.const(1, i64), [], shape)
    two = low.broadcast(low.const(2, i64), [], shape)
    odd = low.add(stablehlo.AbsOp(low.add(stablehlo.RemainderOp(n, two))))
    return low.add(stablehlo.SubtractOp(one, low.add(stablehlo.MultiplyOp(two, odd))))


__all__ = [
    "choose",
    "lower_count",
    "lower_parity",
    "masked_cost",
    "prefix_cost",
    "prefix_sums",
    "shifted",
]
