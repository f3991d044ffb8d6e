"""`branch.quadratic_form` lowered to StableHLO: `x^T A x + w . x + c` with `dot_general`s."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import DYNAMIC_INDEX as DYN
from xdsl.dialects.builtin import TensorType, f32, f64, i64
from xdsl.ir import Attribute, SSAValue

from symir.dialects import branch, stablehlo
from symir.dialects.types import numpy_dtype
from symir.lowering.branch._exact_form import exact_form
from symir.lowering.conversion.stablehlo_builder import StablehloBuilder, element_type


def lower_quadratic_form(low: StablehloBuilder, op: branch.QuadraticFormOp) -> SSAValue:
    """`x^T A x + w . x + c` per batch entry, `tensor<?x1xT>`: `A` (N x N) a constant
    (`_matrix`; from the pairs as `onehot(i)^T diag(weights) onehot(j)` past
    `DENSE_MATRIX` entries), then `y = x A (+ w)` and `sum(x * y)` are two `dot_general`s. When the weights are
    integer multiples `k u` of one unit and the sums stay below 2^24 (`exact_form`),
    `A` holds the `k`, the products run in f32 (exact: integers) and the f64 result
    is `u` times theirs; a linear part that is not a multiple of `u` is added in f64."""
    n = low.n
    # zero weights dropped: a `dot_general` with a matrix of zeros is what XLA's CPU
    # compiler can miscompile (`site_mask_lowering._linear_rows`)
    weights = np.asarray(op.weights.get_values(), np.float64)
    pairs = [p for p, w in zip(op.pair_sites, weights, strict=True) if w != 0]
    weights = weights[weights != 0]
    linear = np.asarray(op.linear.get_values(), np.float64)
    sites = [s for s, w in zip(op.sites.get_values(), linear, strict=True) if w != 0]
    linear = linear[linear != 0]
    exact = exact_form(weights, linear, low.local_states) if pairs else None
    t = f64 if exact is None else f32
    unit = 1.0 if exact is None else exact.unit
    if exact is not None:
        weights = np.asarray(exact.pairs, np.float64)
        if exact.linear is not None:
            linear = np.asarray(exact.linear, np.float64)
    folded = exact is None or exact.linear is not None  # w in the same products
    xt = low.convert(low.x, t)
    y = None
    if pairs:
        a = _matrix(low, pairs, weights, n, t)
        product = stablehlo.DotDimensionNumbers(
            lhs_contracting_dimensions=[1], rhs_contracting_dimensions=[0]
        )
        y = low.add(stablehlo.DotGeneralOp(xt, a, product))
    if sites and folded:
        y = _plus_linear(low, y, sites, linear, t)
    if y is None:
        total = low.broadcast(low.const(0.0, f64), [], [DYN])
    else:
        total = low.convert(_rowwise(low, xt, y), f64)
    if unit != 1.0:
        total = low.add(stablehlo.MultiplyOp(total, low.broadcast(low.const(unit, f64), [], [DYN])))
    if sites and not folded:
        total = low.add(
            stablehlo.AddOp(
                total,
                _rowwise(low, low.convert(low.x, f64), _plus_linear(low, None, sites, linear, f64)),
            )
        )
    c = op.constant.value.data
    if c != 0.0:
        total = low.add(stablehlo.AddOp(total, low.broadcast(low.const(c, f64), [], [DYN])))
    return low.convert(low.broadcast(total, [0], [DYN, 1]), element_type(op.result))


DENSE_MATRIX = 1 << 16
"""The most entries of `A` written as a constant; a larger one is built from the pairs."""


def _matrix(low: StablehloBuilder, pairs, weights: np.ndarray, n: int, t: Attribute) -> SSAValue:
    """`A` (N x N): a constant where it has at most `DENSE_MATRIX` entries, else
    `onehot(i)^T diag(weights) onehot(j)` (three tables of the pairs' size; XLA does
    not fold that product, so it runs at every call: 2 K N^2 flops, 7.3 M for the
    1,891 pairs of a molecule's diagonal on 62 spin orbitals)."""
    if n * n <= DENSE_MATRIX:
        dense = np.zeros((n, n), np.float64)
        np.add.at(dense, ([p[0] for p in pairs], [p[1] for p in pairs]), weights)
        if dense.any():  # never a dot with a constant of zeros (test_no_dot_with_zeros.py)
            return low.array(dense.astype(numpy_dtype(t)))
    rows = [_one_hot(low, [p[k] for p in pairs], n, t) for k in (0, 1)]
    scale = low.broadcast(low.array(weights.astype(numpy_dtype(t))), [0], [len(pairs), n])
    lhs = low.add(stablehlo.MultiplyOp(rows[0], scale))
    over_rows = stablehlo.DotDimensionNumbers(
        lhs_contracting_dimensions=[0], rhs_contracting_dimensions=[0]
    )
    return low.add(stablehlo.DotGeneralOp(lhs, rows[1], over_rows))


def _plus_linear(
    low: StablehloBuilder, y: SSAValue | None, sites, linear: np.ndarray, t: Attribute
) -> SSAValue:
    """`y + w` (`w` alone when `y` is None), `w[s]` the linear weight of site `s`."""
    w = np.zeros(low.n)
    np.add.at(w, list(sites), linear)
    wb = low.broadcast(low.array(w.astype(numpy_dtype(t))), [1], [DYN, low.n])
    return wb if y is None else low.add(stablehlo.AddOp(y, wb))


def _rowwise(low: StablehloBuilder, a: SSAValue, b: SSAValue) -> SSAValue:
    """`sum(a * b)` over the sites, per batch entry, as a `dot_general`."""
    rowwise = stablehlo.DotDimensionNumbers(
        lhs_batching_dimensions=[0],
        rhs_batching_dimensions=[0],
        lhs_contracting_dimensions=[1],
        rhs_contracting_dimensions=[1],
    )
    return low.add(stablehlo.DotGeneralOp(a, b, rowwise))


def _one_hot(low: StablehloBuilder, sites: Sequence[int], n: int, t: Attribute = f64) -> SSAValue:
    """`tensor<KxnxT>`: row k is 1 at `sites[k]`, else 0."""
    k = len(sites)
    iota = low.once(
        ("iota", k, n),
        lambda: low.add(stablehlo.IotaOp(1, TensorType(i64, [k, n]))),
    )
    at = low.broadcast(low.array(np.asarray(sites, np.int64)), [0], [k, n])
    return low.convert(low.add(stablehlo.CompareOp("EQ", iota, at)), t)
