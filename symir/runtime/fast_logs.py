"""Float64 logarithms that XLA's CPU backend vectorises.

XLA's CPU backend evaluates a float64 `log` and `log1p` one element at a time (about 4
and 7 ns an element, against about 1 ns for `exp` or `tanh`, which it vectorises), so a
network whose activation takes a logarithm (`log_cosh`: `|x| + log1p(exp(-2|x|)) - log
2`; `softplus`) spends most of each connected state's evaluation there. `log` and
`log1p` here are the same functions written with arithmetic XLA vectorises:

    u = 2^k m,  m in [sqrt(1/2), sqrt(2)),  f = m - 1 (exact),  s = f / (2 + f)
    log(u) = k log(2) + log(1 + f),  log(1 + f) = 2 atanh(s) = f - s (f - R(s^2)),
    R(z) = sum_{j=1..11} 2 z^j / (2 j + 1)

(`|s| <= 0.1716`, so the series' remainder is below 1e-18 of the result). `log1p(y)`
takes `f = y`, `k = 0` where `y` is small (`1 + y` in `[sqrt(1/2), sqrt(2))`), so that
no digit of `y` is lost to the rounding of `1 + y`, and `log(1 + y)` elsewhere (there the
rounding of `1 + y` moves the result by at most an ulp). Within 3 ulps of NumPy's values
for every finite input; zeros, negative inputs, infinities and NaN as `jnp.log` /
`jnp.log1p` give them (XLA flushes subnormal inputs to zero on CPU, so `log` of one is
`-inf`, as `jnp.log`'s). Derivatives are the functions' own (`1/u`, `1/(1 + y)`:
`jax.custom_jvp`), not those of the arithmetic.

`FewerLogs` (`symir/runtime/fewer_logs.py`) evaluates a network's float64 `log` and
`log1p` equations with these on CPU (`replaces`: XLA's own on other platforms), so the
derived local energies (`symir.runtime.fast_updates`) and the sampler's incremental
step use them.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["log", "log1p", "replaces"]

# log(2) as a sum: its leading 21 bits (k * _LN2_HI is exact for any exponent k) and
# the rest
_LN2_HI = float((np.array(np.log(2.0)).view(np.int64) & ~((1 << 32) - 1)).view(np.float64))
_LN2_LO = float(np.log(2.0) - _LN2_HI)
_SERIES = tuple(2.0 / (2 * j + 1) for j in range(1, 12))
_MANTISSA = 0x000FFFFFFFFFFFFF
_ONE = 0x3FF0000000000000
_SQRT2 = float(np.sqrt(2.0))
_SQRT_HALF = float(np.sqrt(0.5))
_TINY = float(np.finfo(np.float64).tiny)


def _exponent_and_fraction(u: Any) -> tuple[Any, Any]:
    """`(k, f)` with `u = 2^k (1 + f)`, `1 + f` in `[sqrt(1/2), sqrt(2))`, for a normal
    positive `u` (other values give values the callers replace)."""
    bits = jax.lax.bitcast_convert_type(u, jnp.int64)
    k = (bits >> 52) - 1023
    m = jax.lax.bitcast_convert_type((bits & _MANTISSA) | _ONE, jnp.float64)
    high = m >= _SQRT2
    m = jnp.where(high, m * 0.5, m)
    return (k + high).astype(jnp.float64), m - 1.0


def _log_one_plus(f: Any) -> Any:
    """`log(1 + f)` for `1 + f` in `[sqrt(1/2), sqrt(2))`, from the series of `atanh`."""
    s = f / (2.0 + f)
    z = s * s
    r = _SERIES[-1]
    for c in _SERIES[-2::-1]:
        r = r * z + c
    return f - s * (f - z * r)


def _special(u: Any, value: Any) -> Any:
    """`value` where `u` is a positive normal number, else `log(u)` of the special
    cases: `-inf` at zero (and at subnormals, which XLA's CPU flushes to zero), NaN
    below zero and at NaN, `inf` at `inf`."""
    value = jnp.where(u < _TINY, -jnp.inf, value)
    value = jnp.where(u < 0, jnp.nan, value)
    value = jnp.where(u == jnp.inf, jnp.inf, value)
    return jnp.where(jnp.isnan(u), u, value)


@jax.custom_jvp
def log(u: Any) -> Any:
    """`jnp.log(u)` of a float64 array, vectorised (the module docstring)."""
    k, f = _exponent_and_fraction(u)
    value = k * _LN2_HI + (_log_one_plus(f) + k * _LN2_LO)
    return _special(u, value)


@log.defjvp
def _log_jvp(primals: tuple, tangents: tuple) -> tuple:
    (u,), (du,) = primals, tangents
    return log(u), du / u


@jax.custom_jvp
def log1p(y: Any) -> Any:
    """`jnp.log1p(y)` of a float64 array, vectorised (the module docstring)."""
    u = 1.0 + y
    small = (u >= _SQRT_HALF) & (u < _SQRT2)
    k, f = _exponent_and_fraction(u)
    k = jnp.where(small, 0.0, k)
    f = jnp.where(small, y, f)
    value = k * _LN2_HI + (_log_one_plus(f) + k * _LN2_LO)
    return _special(u, value)


@log1p.defjvp
def _log1p_jvp(primals: tuple, tangents: tuple) -> tuple:
    (y,), (dy,) = primals, tangents
    return log1p(y), dy / (1.0 + y)


_REPLACEMENTS = {"log": (log, jnp.log), "log1p": (log1p, jnp.log1p)}


def replaces(eqn: Any) -> Any:
    """The function that evaluates the equation `eqn` (a float64 `log` or `log1p` with
    XLA's default accuracy) by this module on CPU and by XLA's own elsewhere (a GPU's
    logarithms are vectorised), else None."""
    functions = _REPLACEMENTS.get(eqn.primitive.name)
    if functions is None or len(eqn.invars) != 1:
        return None
    aval = getattr(eqn.invars[0], "aval", None)
    if aval is None or aval.dtype != jnp.float64:
        return None
    if eqn.params.get("accuracy") is not None:
        return None
    vectorised, xla = functions
    return lambda u: jax.lax.platform_dependent(u, cpu=vectorised, default=xla)
