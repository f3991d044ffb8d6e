"""A network's complex arithmetic carried as pairs of float64 arrays, on CPU.

XLA's CPU backend does not vectorise a loop that reads or writes complex128 elements: a
fused loop that only builds a complex array from two float64 arrays costs about 8 ns an
element, against about 1 for the same loop writing float64, and a complex `exp`, `log`
or `log1p` costs 25-50 ns, made of `sin`, `cos` and `atan2` that run one element at a
time. A complex network's evaluation on its connected states (a complex RBM's or MLP's
`log_cosh` on every hidden unit) is mostly that.

`complex_pairs(fn)` evaluates `fn`'s traced program equation by equation with every
complex value held as its real and imaginary parts (`Pair`; an imaginary part known to
be `+0` is not stored), so that XLA sees float64 loops only. The sign of a zero
imaginary part is XLA's, since it decides the branch of a `log` of a negative real part
(`+-i pi`; after `0.5 log`, a sign of psi): `neg` and `conj` make it `-0` (computed from
the values: XLA folds a sum of a constant `-0` array to `-0`), a sum with a part not
stored `+0` (`_add`), a product and a quotient by a real value follow XLA's formulas
(`_mul`, `_divided`), `exp` and `tanh` give `+0` for either zero as XLA's do, and a
constant is split on the host (`_split`). Measured against XLA on 34 compositions
(`log(conj(t))`, `log(-t / 2)`, `log(1 - exp(t))`, `log(tanh(-t))`, ... of a real `t`;
tests/unit/symir/test_network_sweep27.py), 8 of which took the other branch before:

- `add`, `sub`, `neg`, `mul`, `conj`, `real`, `imag`, `complex`, `convert_element_type`,
  a division by a value with no imaginary part, `integer_pow` to the powers 1 to 8, and
  `dot_general` (four real products, or two where one side is real) by their formulas;
- `exp`, `log`, `log1p` and `tanh` from `symir.runtime.fast_trig` and
  `symir.runtime.fast_logs` (and XLA's vectorised real `expm1`),
  where every element of the array is in the range those are written for (one `lax.cond`
  per array on a float64 test; elsewhere XLA's own function);
- the ops that act on each part alone (shapes, slices, gathers, `select_n`, sums) on
  each part;
- the body of a `jit` call, equation by equation;
- a program with no complex `exp`, `log`, `log1p` or `tanh`, or with a complex op that has no
  rule (an `fft`, a complex `sqrt`), runs as written: joining and splitting its operands around that op would cost about what the
  pairs save (`applies`); inside a program that does apply, an equation without a rule
  (a division by a complex value, a power above 8) runs as written on the joined
  values.

On other platforms (`jax.lax.platform_dependent`) and inside `shard_map`'s manual axes
the program runs as written. The values are those of the program to rounding: a few
ulps on each equation (tests/unit/symir/test_complex_pairs.py). The derivatives are
the program's own: `exp`, `log`, `log1p` and `tanh` carry theirs (`jax.custom_jvp`), the rest is
real arithmetic that JAX differentiates.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.extend import core as jex_core

from symir.runtime import fast_logs, fast_trig
from symir.runtime.jaxpr_eval import bind
from symir.runtime.manual_axes import manual_axes

__all__ = ["Pair", "applies", "complex_pairs"]

_PARTWISE = frozenset(
    {
        "reshape",
        "squeeze",
        "expand_dims",
        "broadcast_in_dim",
        "transpose",
        "slice",
        "dynamic_slice",
        "dynamic_update_slice",
        "concatenate",
        "gather",
        "select_n",
        "reduce_sum",
        "copy",
        "copy_p",
        "rev",
        "pad",
        "cumsum",
    }
)
"""Ops that act on the real and the imaginary part of their complex operands alone."""

_MODERATE = 2.0**500
"""`log`/`log1p` pairs: moduli kept within `2^+-500` (squares stay normal numbers)."""


@dataclass(frozen=True)
class Pair:
    """A complex array as its real part and its imaginary part (None: zero)."""

    re: Any
    im: Any = None

    def imag(self) -> Any:
        return jnp.zeros_like(self.re) if self.im is None else self.im


def _is_complex(dtype: Any) -> bool:
    return jnp.issubdtype(dtype, jnp.complexfloating)


def _complex_ops(jaxpr: Any) -> set[str]:
    """The names of the ops of the program (and of its `jit` calls) that read or write a
    complex value; `"complex64"` among them where one is single precision."""
    names = set()
    for eqn in jaxpr.eqns:
        if eqn.primitive.name in ("pjit", "jit"):
            names |= _complex_ops(eqn.params["jaxpr"].jaxpr)
        avals = [getattr(v, "aval", None) for v in (*eqn.invars, *eqn.outvars)]
        dtypes = [getattr(a, "dtype", np.float64) for a in avals]
        if any(_is_complex(d) for d in dtypes):
            names.add(eqn.primitive.name)
        if any(d == jnp.complex64 for d in dtypes):
            names.add("complex64")
    return names


def applies(jaxpr: Any) -> bool:
    """Whether the program takes a complex `exp`, `log`, `log1p` or `tanh` (what the pairs save
    on: a complex Jastrow's sums and products alone were 5-10% slower as pairs, the
    splitting of its tables not repaid) and every op on complex values has a rule on
    pairs (an op without one, an `fft` say, would join and split its operands around
    it, at a cost like the one the pairs save), all in double precision (`fast_logs` is
    float64): else the program runs as written."""
    names = _complex_ops(jaxpr) - {"pjit", "jit"}
    ruled = _ARITHMETIC.keys() | _PARTWISE | {"convert_element_type"}
    return bool(names & _TRANSCENDENTAL.keys()) and names <= ruled


def _split(value: Any) -> Any:
    """A complex array as a `Pair`; other values as they are."""
    if isinstance(value, Pair) or not _is_complex(jnp.result_type(value)):
        return value
    if not isinstance(value, jax.core.Tracer):
        # a constant is read on the host: inside `jit`, `jnp.imag` of it is a traced
        # value, and XLA folds `0 + v` of its zero to `v` (`-0` where XLA's complex
        # arithmetic gives `+0`: `1 - exp(t)` of a real `t > 0` had `log`'s branch `-i pi`)
        host = np.asarray(value)
        if not np.any(np.signbit(host.imag) | (host.imag != 0)):
            return Pair(jnp.asarray(host.real))  # every imaginary part +0 (`-0` is kept)
    value = jnp.asarray(value)
    return Pair(jnp.real(value), jnp.imag(value))


def _join(value: Any, dtype: Any) -> Any:
    """A `Pair` as a complex array of `dtype`; other values as they are."""
    if not isinstance(value, Pair):
        return value
    return jax.lax.complex(value.re, value.imag()).astype(dtype)


def _real_pair(value: Any, dtype: Any) -> Pair:
    """A real or integer operand of a complex equation as a `Pair` of the parts' float
    type (an integer configuration times complex weights: its `dot_general`)."""
    value = jnp.asarray(value)
    if _is_complex(dtype) and not jnp.issubdtype(value.dtype, jnp.floating):
        value = value.astype(jnp.finfo(dtype).dtype)
    return Pair(value)


def _plus_zero(v: Any) -> Any:
    """`v + 0` as IEEE adds it (`-0 + 0` is `+0`), which XLA's simplifier would fold to
    `v`."""
    return jnp.where(v == 0, 0.0, v).astype(v.dtype)


def _add(p: Pair, q: Pair, sign: float = 1.0) -> Pair:
    """`p + sign q` with the imaginary part XLA gives, the sign of a zero included: a
    part not stored is `+0`, and `-0 + 0`, `0 - 0` are `+0` (the sign decides the branch
    of a `log` of a negative real part: `-t + 1`, `1 - z`)."""
    if p.im is None and q.im is None:
        im = None
    elif q.im is None:
        im = _plus_zero(p.im) if sign > 0 else p.im
    elif p.im is None:
        im = _plus_zero(sign * q.im)
    else:
        im = p.im + sign * q.im
    return Pair(p.re + sign * q.re, im)


def _mul(p: Pair, q: Pair) -> Pair:
    """`p q`; the imaginary part by XLA's formula `p.re q.im + p.im q.re` with a part
    not stored taken as `+0`, its product with the other real part kept (`x * 0` is `-0`
    for `x < 0`: the sign of a zero sum, and the branch of a `log` of a negative real
    part after it: `log(-2 exp(t))`, `log(-(s t))` of real `s, t < 0`)."""
    if p.im is None and q.im is None:
        return Pair(p.re * q.re, p.re * 0.0 + 0.0 * q.re)
    if q.im is None:
        return Pair(p.re * q.re, p.re * 0.0 + p.im * q.re)
    if p.im is None:
        return Pair(p.re * q.re, p.re * q.im + 0.0 * q.re)
    return Pair(p.re * q.re - p.im * q.im, p.re * q.im + p.im * q.re)


def _dot(eqn: Any, p: Pair, q: Pair) -> Pair:
    params = dict(eqn.params)
    if params.get("preferred_element_type") is not None:
        params["preferred_element_type"] = jnp.dtype(p.re.dtype)

    def dot(a, b):
        return bind(eqn, [a, b], params)[0]

    re = dot(p.re, q.re)
    if p.im is not None and q.im is not None:
        re = re - dot(p.im, q.im)
    im = None
    if p.im is not None:
        im = dot(p.im, q.re)
    if q.im is not None:
        im = dot(p.re, q.im) if im is None else im + dot(p.re, q.im)
    return Pair(re, im)


# exp, log, log1p of pairs: the vectorised formulas where the whole array is in their
# range (one float64 test), else XLA's own on the joined complex array


def _guarded(usual: Any, vectorised: Callable, function: Callable, re: Any, im: Any) -> tuple:
    """`vectorised(re, im)` where `usual`, else XLA's own complex `function`."""

    def xla(a, b):
        z = function(jax.lax.complex(a, b))
        return jnp.real(z), jnp.imag(z)

    return jax.lax.cond(usual, vectorised, xla, re, im)


def _quotient(dre: Any, dim: Any, u: Any, v: Any) -> tuple[Any, Any]:
    """`(dre + i dim) / (u + i v)` as pairs: `dz conj(w) / |w|^2`."""
    size = u * u + v * v
    return (dre * u + dim * v) / size, (dim * u - dre * v) / size


@jax.custom_jvp
def _exp(re: Any, im: Any) -> tuple[Any, Any]:
    def vectorised(x, y):
        sin, cos = fast_trig.sin_cos(y)
        size = jnp.exp(x)
        return size * cos, size * sin

    return _guarded(_trig_range(re, im), vectorised, jnp.exp, re, im)


def _trig_range(re: Any, im: Any) -> Any:
    """Whether every `|Im z|` is within `sin_cos`'s range and every `Re z` finite (`0 *
    inf` and NaN fail the test)."""
    return fast_trig.in_range(im + 0.0 * re)


def _product(a: Any, b: Any, c: Any, d: Any) -> tuple[Any, Any]:
    """`(a + ib)(c + id)` as pairs."""
    return a * c - b * d, a * d + b * c


@_exp.defjvp
def _exp_jvp(primals: tuple, tangents: tuple) -> tuple:
    (re, im), (dre, dim) = primals, tangents
    a, b = _exp(re, im)
    return (a, b), _product(a, b, dre, dim)


def _moderate(a: Any, b: Any, zero: bool) -> Any:
    """Finite `a, b` whose sizes keep squares and quotients normal numbers (one pass: NaN
    fails the test), and with `zero` False no element with both parts zero."""
    size = jnp.abs(a) + jnp.abs(b)
    if not zero:
        size = jnp.maximum(size, 1.0 / size)  # 1/0 = inf fails the test
    return jnp.max(size, initial=0.0) < _MODERATE


@jax.custom_jvp
def _log(re: Any, im: Any) -> tuple[Any, Any]:
    def vectorised(a, b):
        return 0.5 * fast_logs.log(a * a + b * b), fast_trig.atan2(b, a)

    return _guarded(_moderate(re, im, zero=False), vectorised, jnp.log, re, im)


@_log.defjvp
def _log_jvp(primals: tuple, tangents: tuple) -> tuple:
    (re, im), (dre, dim) = primals, tangents
    return _log(re, im), _quotient(dre, dim, re, im)  # d log z = dz / z


@jax.custom_jvp
def _log1p(re: Any, im: Any) -> tuple[Any, Any]:
    def vectorised(a, b):
        u = 1.0 + a
        squared = u * u + b * b  # |1 + w|^2
        # near 1, |1 + w|^2 - 1 = a (2 + a) + b^2 without cancellation
        near = 0.5 * fast_logs.log1p(a * (2.0 + a) + b * b)
        far = 0.5 * fast_logs.log(squared)
        return jnp.where((squared > 0.5) & (squared < 2.0), near, far), fast_trig.atan2(b, u)

    return _guarded(_moderate(re, im, zero=True), vectorised, jnp.log1p, re, im)


@_log1p.defjvp
def _log1p_jvp(primals: tuple, tangents: tuple) -> tuple:
    (re, im), (dre, dim) = primals, tangents
    return _log1p(re, im), _quotient(dre, dim, 1.0 + re, im)  # d log1p w = dw / (1 + w)


_TANH_SATURATED = 20.0
"""`tanh(a + ib)` for `|a|` above this: `sign(a) + 4 i sin b cos b e^(-2|a|)` (the real
part's distance to 1 is below 1e-17)."""


@jax.custom_jvp
def _tanh(re: Any, im: Any) -> tuple[Any, Any]:
    def vectorised(a, b):
        # tanh(a + ib) = (sinh a cosh a + i sin b cos b) / (sinh^2 a + cos^2 b): the
        # denominator is (cosh 2a + cos 2b) / 2 without its cancellation near the poles
        size = jnp.minimum(jnp.abs(a), _TANH_SATURATED)
        u = jnp.expm1(size)  # sinh and cosh of |a| from e^|a| - 1 >= 0: no cancellation
        w = 1.0 / (u + 1.0)  # e^-|a|
        sinh = jnp.copysign(0.5 * (u + u * w), a)
        cosh = 0.5 * ((u + 1.0) + w)
        sin, cos = fast_trig.sin_cos(b)
        inverse = 1.0 / (sinh * sinh + cos * cos)
        saturated = jnp.abs(a) > _TANH_SATURATED
        real = jnp.where(saturated, jnp.sign(a), sinh * cosh * inverse)
        imag = sin * cos * jnp.where(saturated, 4.0 * jnp.exp(-2.0 * jnp.abs(a)), inverse)
        return real, imag

    return _guarded(_trig_range(re, im), vectorised, jnp.tanh, re, im)


@_tanh.defjvp
def _tanh_jvp(primals: tuple, tangents: tuple) -> tuple:
    (re, im), (dre, dim) = primals, tangents
    a, b = _tanh(re, im)
    # d tanh z = (1 - tanh^2 z) dz
    return (a, b), _product(1.0 - a * a + b * b, -2.0 * a * b, dre, dim)


_TRANSCENDENTAL = {"exp": _exp, "log": _log, "log1p": _log1p, "tanh": _tanh}


def _transcendental(function: Callable) -> Callable:
    def rule(eqn: Any, p: Pair) -> Pair:
        re, im = function(p.re, p.imag())
        if function in (_exp, _tanh):
            im = _plus_zero(im)  # XLA's complex exp and tanh: +0 for a zero of either sign
        return Pair(re, im)

    return rule


def _negative_imag(p: Pair) -> Any:
    """`-Im p`: `-0` where the part is not stored (`+0`), as XLA's `neg` and `conj` of a
    complex value give it: `log(conj(t))` and `log(-t)` of `t` made complex take the
    branch `-i pi` where their real part is negative, and `0.5 log` of them a factor
    `-1` on psi (sweep 27: the pairs kept `+0`, and every path's local energies of such
    a network differed from NetKet's)."""
    if p.im is not None:
        return -p.im
    # -0 computed from the values, not a constant: XLA folds a sum of a constant -0
    # array to -0 where its sum of computed zeros is +0
    return jnp.where(jnp.isfinite(p.re), -jnp.abs(p.re * 0.0), -0.0)


def _negated(p: Pair) -> Pair:
    return Pair(-p.re, _negative_imag(p))


def _power(p: Pair, y: int) -> Pair | None:
    """`p ** y` for `1 <= y <= 8` by products (as XLA's `integer_pow`: binary powers),
    else None."""
    if not 1 <= y <= 8:
        return None
    result, square = None, p
    while y:
        if y & 1:
            result = square if result is None else _mul(result, square)
        y >>= 1
        if y:
            square = _mul(square, square)
    return result


def _divided(eqn: Any, p: Pair, d: Pair) -> Pair | None:
    if d.im is not None:
        return None  # a complex divisor: as written
    if p.im is None:  # XLA's quotient of zeros, `(0 - a (0 / c)) / c`: -0 for c < 0
        return Pair(p.re / d.re, (0.0 - p.re * (0.0 / d.re)) / d.re)
    return Pair(p.re / d.re, p.im / d.re)


_ARITHMETIC: dict[str, Callable] = {
    "add": lambda eqn, p, q: _add(p, q),
    "sub": lambda eqn, p, q: _add(p, q, -1.0),
    "neg": lambda eqn, p: _negated(p),
    "mul": lambda eqn, p, q: _mul(p, q),
    "div": _divided,
    "integer_pow": lambda eqn, p: _power(p, eqn.params["y"]),
    "conj": lambda eqn, p: Pair(p.re, _negative_imag(p)),
    "real": lambda eqn, p: p.re,
    "imag": lambda eqn, p: p.imag(),
    "complex": lambda eqn, p, q: Pair(p.re, q.re),
    "dot_general": _dot,
    **{name: _transcendental(f) for name, f in _TRANSCENDENTAL.items()},
}
"""Rules on pairs: `rule(eqn, *operands as Pair)` -> a `Pair` (or a real array), or None
for the equation as written."""


class _PairEvaluator:
    """Evaluates a jaxpr with complex values as `Pair`s (the module docstring)."""

    def __call__(self, jaxpr: Any, consts: list, args: list) -> list:
        env: dict[Any, Any] = {}

        def read(v):
            if isinstance(v, jex_core.Literal):
                return _split(v.val)
            return env[v]

        for var, value in zip(jaxpr.constvars, consts, strict=True):
            env[var] = _split(value)
        for var, value in zip(jaxpr.invars, args, strict=True):
            env[var] = _split(value)
        for eqn in jaxpr.eqns:
            invals = [read(v) for v in eqn.invars]
            outs = self.equation(eqn, invals)
            env.update(zip(eqn.outvars, outs, strict=True))
        return [read(v) for v in jaxpr.outvars]

    def equation(self, eqn: Any, invals: list) -> list:
        if not any(isinstance(v, Pair) for v in invals) and not any(
            _is_complex(v.aval.dtype) for v in eqn.outvars
        ):
            return bind(eqn, invals)
        rule = self.rule(eqn, invals)
        if rule is not None:
            return rule
        # as written, on the complex values joined from their parts
        joined = [_join(v, var.aval.dtype) for v, var in zip(invals, eqn.invars, strict=True)]
        return [_split(v) for v in bind(eqn, joined)]

    def rule(self, eqn: Any, invals: list) -> list | None:
        """The equation's outputs by a rule on pairs, else None."""
        name = eqn.primitive.name
        out = eqn.outvars[0].aval.dtype
        if name in ("pjit", "jit"):
            inner = eqn.params["jaxpr"]
            return self(inner.jaxpr, inner.consts, invals)
        if name == "convert_element_type":
            return self._convert(eqn, invals[0])
        if name in _PARTWISE and _is_complex(out):
            return self._partwise(eqn, invals)
        arithmetic = _ARITHMETIC.get(name)
        if arithmetic is None or (name in _TRANSCENDENTAL and out != jnp.complex128):
            return None
        pairs = [v if isinstance(v, Pair) else _real_pair(v, out) for v in invals]
        result = arithmetic(eqn, *pairs)
        return None if result is None else [result]

    @staticmethod
    def _convert(eqn: Any, value: Any) -> list | None:
        new = eqn.params["new_dtype"]
        if not _is_complex(new):
            return None  # complex to real: as written
        if isinstance(value, Pair):
            part = jnp.finfo(new).dtype
            return [
                Pair(value.re.astype(part), None if value.im is None else value.im.astype(part))
            ]
        return [Pair(jnp.asarray(value).astype(jnp.finfo(new).dtype))]

    @staticmethod
    def _partwise(eqn: Any, invals: list) -> list:
        complex_at = [_is_complex(v.aval.dtype) for v in eqn.invars]
        zero_imag = all(
            (not c) or (isinstance(v, Pair) and v.im is None)
            for v, c in zip(invals, complex_at, strict=True)
        )

        def part(take):
            values = [
                take(v if isinstance(v, Pair) else Pair(v)) if c else v
                for v, c in zip(invals, complex_at, strict=True)
            ]
            return bind(eqn, values)

        re = part(lambda p: p.re)
        im = [None] * len(re) if zero_imag else part(lambda p: p.imag())
        return [Pair(r, i) for r, i in zip(re, im, strict=True)]


def complex_pairs(fn: Callable) -> Callable:
    """`fn` (a function of arrays and pytrees of arrays, returning a pytree of arrays)
    evaluated on CPU with its complex values as pairs of float64 arrays (the module
    docstring): the same values, to rounding; `fn` itself where it does not apply
    (`applies`), on other platforms, and inside `shard_map`."""

    @functools.wraps(fn)
    def wrapped(*args: Any) -> Any:
        if manual_axes():
            return fn(*args)
        closed, shape = jax.make_jaxpr(fn, return_shape=True)(*args)
        if not applies(closed.jaxpr):
            return fn(*args)
        leaves, tree = jax.tree_util.tree_flatten(args)
        dtypes = [v.aval.dtype for v in closed.jaxpr.outvars]

        def on_cpu(*flat):
            outs = _PairEvaluator()(closed.jaxpr, closed.consts, list(flat))
            return tuple(_join(v, d) for v, d in zip(outs, dtypes, strict=True))

        def as_written(*flat):
            return tuple(jax.tree_util.tree_leaves(fn(*jax.tree_util.tree_unflatten(tree, flat))))

        out = jax.lax.platform_dependent(*leaves, cpu=on_cpu, default=as_written)
        return jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(shape), list(out))

    return wrapped
