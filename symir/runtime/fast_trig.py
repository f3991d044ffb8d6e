"""Float64 `sin`, `cos` and `atan2` that XLA's CPU backend vectorises.

XLA's CPU backend evaluates a float64 `sin`, `cos` and `atan2` one element at a time
(about 11, 11 and 15 ns an element, against about 1 ns for `exp` or `tanh`), and a
complex `exp`, `log` or `log1p` is made of them. Written with arithmetic XLA vectorises
(`symir.runtime.complex_pairs` uses them for a complex network's program on CPU):

- `sin y`, `cos y` for `|y| < 2^19` (`SIN_COS_LIMIT`): `y = k pi/2 + r` with `pi/2` in
  three parts (the first two carry 20 bits less than a float64, so `k pi/2` is
  subtracted exactly for `|k| < 2^20`), `|r| <= pi/4`, the Taylor series of `sin r` and
  `cos r` to `r^25` and `r^24` (remainders below 1e-20), the quadrant from `k`;
- `atan2(b, a)` for finite `a, b`: `atan(t)` of `t = n/m` (`m, n` the larger and
  smaller of `|a|, |b|`), or `pi/4 + atan((n - m)/(n + m))` where `t > sqrt(2) - 1`, the
  Taylor series of `atan` to `u^45` on `|u| <= 0.4143` (remainder below 1e-19), then the
  octant; both zero give `0` or `pi` by the sign of `a`, with the sign of `b`, as
  `atan2`.

Within a few ulps of NumPy's values (tests/unit/symir/test_complex_pairs.py). The callers
keep values outside these ranges (`|y| >= 2^19`, a component that is not finite) away
from these functions.

`replaces(eqn)` evaluates a network's float64 `sin` and `cos` equations this way on CPU
(`symir.runtime.fewer_logs.FewerLogs`, as `fast_logs.replaces` its logarithms): an
array with an element outside the range goes to XLA's own function (one `lax.cond`).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import jax
import jax.numpy as jnp

__all__ = ["SIN_COS_LIMIT", "atan2", "in_range", "replaces", "sin_cos"]

SIN_COS_LIMIT = 2.0**19
"""`sin_cos` is exact to a few ulps for `|y|` below this."""

_PI = Fraction("3.141592653589793238462643383279502884197169399375105820974944")


def _leading(value: Fraction, drop: int = 20) -> float:
    """`value` rounded down to a float64 whose `drop` lowest mantissa bits are zero."""
    mantissa, exponent = math.frexp(float(value))
    scale = 2 ** (53 - drop)
    return math.ldexp(math.floor(mantissa * scale) / scale, exponent)


_HALF_PI_1 = _leading(_PI / 2)
_HALF_PI_2 = _leading(_PI / 2 - Fraction(_HALF_PI_1))
_HALF_PI_3 = float(_PI / 2 - Fraction(_HALF_PI_1) - Fraction(_HALF_PI_2))
_TWO_OVER_PI = float(2 / _PI)
_QUARTER_PI = float(_PI / 4)
_HALF_PI = float(_PI / 2)
_PI_FLOAT = float(_PI)
_SIN = tuple(float(Fraction((-1) ** j, math.factorial(2 * j + 1))) for j in range(13))
_COS = tuple(float(Fraction((-1) ** j, math.factorial(2 * j))) for j in range(13))
_ATAN = tuple(float(Fraction((-1) ** j, 2 * j + 1)) for j in range(23))
_TAN_EIGHTH = math.sqrt(2.0) - 1.0


def _horner(coefficients: tuple, z: Any) -> Any:
    value = coefficients[-1]
    for c in coefficients[-2::-1]:
        value = value * z + c
    return value


def sin_cos(y: Any) -> tuple[Any, Any]:
    """`(sin y, cos y)` of a float64 array with `|y| < SIN_COS_LIMIT`."""
    # the nearest integer, or one of two where y is halfway: |r| <= pi/4 either way (XLA's
    # round to nearest even runs one element at a time, floor is vectorised)
    k = jnp.floor(y * _TWO_OVER_PI + 0.5)
    r = ((y - k * _HALF_PI_1) - k * _HALF_PI_2) - k * _HALF_PI_3
    z = r * r
    s = r * _horner(_SIN, z)
    c = _horner(_COS, z)
    # the quadrant k mod 4: sin y is s, c, -s, -c and cos y is c, -s, -c, s
    quadrant = k.astype(jnp.int64)
    odd = jnp.bitwise_and(quadrant, 1) == 1
    sin = jnp.where(odd, c, s)
    cos = jnp.where(odd, s, c)
    sin = jnp.where(jnp.bitwise_and(quadrant, 2) == 2, -sin, sin)
    cos = jnp.where(jnp.bitwise_and(quadrant + 1, 2) == 2, -cos, cos)
    return sin, cos


def atan2(b: Any, a: Any) -> Any:
    """`atan2(b, a)` of finite float64 arrays (the module docstring)."""
    aa, ab = jnp.abs(a), jnp.abs(b)
    large, small = jnp.maximum(aa, ab), jnp.minimum(aa, ab)
    high = small > _TAN_EIGHTH * large
    numerator = jnp.where(high, small - large, small)
    denominator = jnp.where(high, small + large, jnp.where(large > 0, large, 1.0))
    u = numerator * (1.0 / denominator)
    angle = u * _horner(_ATAN, u * u) + jnp.where(high, _QUARTER_PI, 0.0)
    angle = jnp.where(ab > aa, _HALF_PI - angle, angle)
    angle = jnp.where(jnp.signbit(a), _PI_FLOAT - angle, angle)
    return jnp.copysign(angle, b)


def in_range(y: Any) -> Any:
    """Whether every element of `y` is finite with `|y| < SIN_COS_LIMIT` (NaN fails): one
    float64 test for a whole array, the guard of `sin`, `cos` and the complex pairs'
    `exp` and `tanh` (`symir.runtime.complex_pairs`)."""
    return jnp.max(jnp.abs(y), initial=0.0) < SIN_COS_LIMIT


@jax.custom_jvp
def sin(y: Any) -> Any:
    """`jnp.sin(y)` of a float64 array: `sin_cos` where the whole array is in its range,
    else XLA's."""
    return jax.lax.cond(in_range(y), lambda y: sin_cos(y)[0], jnp.sin, y)


@jax.custom_jvp
def cos(y: Any) -> Any:
    """`jnp.cos(y)` of a float64 array, as `sin`."""
    return jax.lax.cond(in_range(y), lambda y: sin_cos(y)[1], jnp.cos, y)


@sin.defjvp
def _sin_jvp(primals: tuple, tangents: tuple) -> tuple:
    (y,), (dy,) = primals, tangents
    return sin(y), cos(y) * dy


@cos.defjvp
def _cos_jvp(primals: tuple, tangents: tuple) -> tuple:
    (y,), (dy,) = primals, tangents
    return cos(y), -sin(y) * dy


_REPLACEMENTS = {"sin": (sin, jnp.sin), "cos": (cos, jnp.cos)}


def replaces(eqn: Any) -> Any:
    """The function that evaluates the equation `eqn` (a float64 `sin` or `cos` with
    XLA's default accuracy) by this module on CPU and by XLA's own elsewhere, else None."""
    functions = _REPLACEMENTS.get(eqn.primitive.name)
    if functions is None or len(eqn.invars) != 1:
        return None
    aval = getattr(eqn.invars[0], "aval", None)
    if aval is None or aval.dtype != jnp.float64 or eqn.params.get("accuracy") is not None:
        return None
    vectorised, xla = functions
    return lambda y: jax.lax.platform_dependent(y, cpu=vectorised, default=xla)
