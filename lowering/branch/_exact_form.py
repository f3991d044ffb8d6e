"""When a quadratic form can be computed exactly in f32 (docs/cost-model.md).

`x^T A x + w . x` over integer configurations is a sum of integers times the weights. If
every weight is an integer multiple `k u` of one unit `u` (the weights of a bond table,
`J` on every bond; `J1` and `J2 = J1 / 2`), the form is `u` times an integer, and that
integer is computed exactly in f32 as long as every partial sum stays below 2^24: then
`convert-branch-to-stablehlo` computes `x^T K x (+ l . x)` with f32 matrix products (half
the work of f64) and multiplies by `u` in f64 once. The rounding is then one product,
where the f64 form rounds every partial sum.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import gcd, lcm

F32_EXACT = 2**24
"""Every integer of magnitude up to 2^24 is an f32."""


@dataclass(frozen=True)
class ExactForm:
    """The integer coefficients of a form: weights `k u` of the pairs, `l u` of the
    linear sites (None: the linear part is not a multiple of `u`, it stays in f64)."""

    unit: float
    pairs: tuple[int, ...]
    linear: tuple[int, ...] | None


def _unit(weights: Sequence[float]) -> tuple[Fraction, list[int]] | None:
    """The largest `u` with every weight an integer multiple of it, and the multiples."""
    fractions = [Fraction(float(w)) for w in weights]  # exact: a float is a binary fraction
    if not fractions or any(f == 0 for f in fractions):
        return None
    denominator = lcm(*(f.denominator for f in fractions))
    numerators = [f.numerator * (denominator // f.denominator) for f in fractions]
    g = gcd(*numerators)
    return Fraction(g, denominator), [n // g for n in numerators]


def exact_form(
    weights: Sequence[float], linear: Sequence[float], states: Sequence[int]
) -> ExactForm | None:
    """The f32 coefficients of the form with pair `weights` and `linear` weights on
    configurations of local `states`, or None when it is not exactly an f32 computation
    (no common unit, or a partial sum that could reach 2^24)."""
    found = _unit(weights)
    if found is None:
        return None
    unit, ks = found
    if float(unit) != unit:
        return None
    x = max(abs(int(s)) for s in states)
    bound = x * x * sum(abs(k) for k in ks)
    ls: list[int] | None = None
    if len(linear):
        ratios = [Fraction(float(w)) / unit for w in linear]
        if all(r.denominator == 1 for r in ratios):
            ls = [int(r) for r in ratios]
            bound += x * sum(abs(v) for v in ls)
    if bound >= F32_EXACT:
        return None
    return ExactForm(float(unit), tuple(ks), None if ls is None else tuple(ls))
