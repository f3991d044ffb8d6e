"""A split network's rest recognised as a log-cosh sum (`network_split`, `fast_updates`).

The rest of a split (`network_split`: the equations that run on the cached values of
each connected state) is often NetKet's RBM form,

    logpsi = sum_g coef_g sum_{h in g} log_cosh(u_g[h]) + (terms affine in the cut)

with each `u_g` an affine map of the cached values (the cut itself, a reshape, a
slice, a concatenation of them). `recognise` proves that form from the program: the
output is walked back through sums (`add`, `sub`, `neg`, `reduce_sum`, reshapes,
size-changing broadcasts counted, conversions to a wider type) and products with
scalar constants that do not depend on the parameters (`1j`, `0.5`), down to

- values affine in the cached values (`_affine`: structural maps, additions, products
  with constants, conversions): the *linear* terms (a visible bias `x . a`);
- an element-wise function `F` of one such value `u` (every equation between them
  element-wise, its constants static) that equals `log cosh` numerically: `F` is run on
  real (and, for a complex `u`, complex) test points, from `1e-3` to `400` in modulus
  and branches of the phase, against `log(cosh(z))` (its phase modulo `2 pi`), so a
  function merely named `log_cosh` is not trusted, and NetKet's formula, which is
  inlined into the program (a `jit` call in some versions), is recognised by its values;
- constants (they cancel in `logpsi(x') - logpsi(x)`).

Anything else (a `log_cosh` squared, weighed by an array, of a non-linear value, or a
coefficient computed from the parameters) leaves the rest as it is, with the reason
(`str(split)`). A recognised rest is evaluated by the cosh-ratio tables of NetKet's
RBM adapters (`fast_updates._cosh_ratio`): the columns `theta = (u_1, ..., u_G)` of
each sample, the change of those columns when a site goes from one local state to
another (`network_split.tables` of `columns`: differences of the affine map, exact for
any local states) and its exponential: no transcendental function per hidden unit and
connected state, one logarithm per `fast_updates.GROUP` of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from symir.runtime.jaxpr_eval import bind, run_now

__all__ = ["LogCoshRest", "columns", "recognise"]


@dataclass(frozen=True, eq=False)
class LogCoshRest:
    """A rest recognised as `sum_g coef_g sum log_cosh(u_g) + sum_l coef_l sum(v_l)`."""

    groups: tuple[tuple[int, complex], ...]
    """`(u, coef)`: a value id of the program (affine in the cut) and its weight."""
    linear: tuple[tuple[int, complex], ...]
    """`(v, coef)`: value ids affine in the cut, summed over their elements, weighed."""
    eqns: tuple[Any, ...]
    """The rest's equations that compute every `u` and `v` from the cached values."""
    widths: tuple[int, ...]
    """The elements of each `u` (its columns)."""
    theta_dtype: Any
    out_dtype: Any

    @property
    def width(self) -> int:
        return int(sum(self.widths))

    def spans(self) -> tuple[tuple[int, int, complex], ...]:
        """`(start, stop, coef)` of each group: its columns `start:stop` of the
        concatenated `u_g` (`columns`), weighed by `coef` (the linear terms apart)."""
        spans, at = [], 0
        for (_, coef), width in zip(self.groups, self.widths, strict=True):
            spans.append((at, at + width, coef.real if coef.imag == 0 else coef))
            at += width
        return tuple(spans)

    def describe(self) -> str:
        coefs = ", ".join(
            f"{w} columns x {_fmt(c)}" for (_, c), w in zip(self.groups, self.widths, strict=True)
        )
        return (
            f"a log-cosh sum ({coefs}; {len(self.linear)} linear term(s)): evaluated by "
            "cosh-ratio tables"
        )


def _fmt(c: complex) -> str:
    c = complex(c)
    if c.imag == 0:
        return f"{c.real:g}"
    if c.real == 0:
        return f"{c.imag:g}j"
    return f"({c.real:g}{c.imag:+g}j)"


class _NotLogCosh(Exception):
    """Why a rest is not a log-cosh sum."""


_AFFINE_ARITHMETIC = frozenset(
    {"neg", "real", "imag", "conj", "reduce_sum", "add", "sub", "add_any"}
)
"""With the split's structural maps (`network_split._STRUCTURAL`, read through the
vocabulary), the maps that keep a value affine in its affine operands (any number of
them)."""

_SUMMED_THROUGH = frozenset(
    {"reshape", "transpose", "squeeze", "expand_dims", "reduce_sum", "rev", "copy", "copy_p"}
)
"""Maps that keep the sum of all elements (`_Walk.terms`)."""

_VARYING_CASTS = frozenset({"pvary", "pcast"})
"""Casts of a value to vary over `shard_map`'s manual axes (the same values)."""

_BITWISE = frozenset({"bitcast_convert_type"})
"""Element-wise maps besides `network_split._ELEMENTWISE` (NetKet's `signbit`)."""

GROUP_CHECK_POINTS = 4
"""Samples of test points of `F` (`_is_log_cosh`), each the shape of its operand."""


def recognise(plan: Any, kinds: dict, ns: Any) -> tuple[LogCoshRest | None, str]:
    """The rest of the split `plan` (`network_split._Plan`) as a `LogCoshRest`, or None
    and the reason it is not one (`kinds`: each value's kind; `ns`: the vocabulary of
    the split's programs, `network_split.VOCABULARY`, given by the module that imports
    this one)."""
    try:
        return _Walk(plan, kinds, ns).run(), ""
    except _NotLogCosh as why:
        return None, str(why)


class _Walk:
    def __init__(self, plan: Any, kinds: dict, ns: Any):
        self.ns = ns
        self.plan = plan
        self.program = plan.program
        self.kinds = kinds
        self.producer = {o: e for e in plan.rest_eqns for o in e.outs}
        self.const_producer = {o: e for e in plan.program.eqns for o in e.outs}
        self.cut = set(plan.cut_ids)
        self.affine_memo: dict[int, bool] = {}
        self.static_memo: dict[int, Any] = {}
        self.groups: list[tuple[int, complex]] = []
        self.linear: list[tuple[int, complex]] = []

    # -------------------------------------------------------------- values

    def shape(self, v: Any) -> tuple:
        if isinstance(v, self.ns._Lit):
            return tuple(np.shape(v.value))
        return tuple(self.program.avals[v].shape)

    def dtype(self, v: Any) -> Any:
        if isinstance(v, self.ns._Lit):
            return jnp.result_type(v.value)
        return self.program.avals[v].dtype

    def size(self, v: Any) -> int:
        return int(np.prod(self.shape(v), dtype=np.int64))

    def const(self, v: Any) -> bool:
        return isinstance(v, self.ns._Lit) or self.kinds[v] == self.ns.CONST

    def static(self, v: Any) -> Any:
        """The value of a constant that depends on no parameter (a literal, a constant of
        the program, or computed from those), else None."""
        if isinstance(v, self.ns._Lit):
            return np.asarray(v.value)
        if v in self.static_memo:
            return self.static_memo[v]
        value = None
        if v in self.program.consts:
            value = np.asarray(self.program.consts[v])
        elif v not in self.plan.param_ids and v in self.const_producer:
            eqn = self.const_producer[v]
            ins = [self.static(i) for i in eqn.ins]
            if eqn.primitive.name in _VARYING_CASTS and len(ins) == 1:
                value = ins[0]  # a constant made to vary over shard_map's axes: the same
            elif all(i is not None for i in ins) and len(eqn.outs) == 1:
                try:
                    with jax.ensure_compile_time_eval():
                        value = np.asarray(bind(eqn, [jnp.asarray(i) for i in ins])[0])
                except Exception:  # an equation that does not run here: not static
                    value = None
        self.static_memo[v] = value
        return value

    def scalar(self, v: Any, eqn: Any) -> complex:
        value = self.static(v)
        if value is None:
            raise _NotLogCosh(
                f"{self.where(eqn)} weighs it by a value computed from the parameters"
            )
        if value.size != 1:
            raise _NotLogCosh(f"{self.where(eqn)} weighs it by an array, not a number")
        return complex(value.reshape(()))

    def affine(self, v: Any) -> bool:
        """Whether `v` is an affine map of the cached values (or a constant)."""
        if self.const(v) or v in self.cut:
            return True
        if v in self.affine_memo:
            return self.affine_memo[v]
        self.affine_memo[v] = False  # (no cycles in a program; a guard)
        eqn = self.producer.get(v)
        ok = False
        if eqn is not None and len(eqn.outs) == 1:
            name = eqn.primitive.name
            dependent = [i for i in eqn.ins if not self.const(i)]
            if (
                name in self.ns._STRUCTURAL
                or name in _AFFINE_ARITHMETIC
                or (name == "convert_element_type" and self.exact_convert(eqn, v))
            ):
                ok = name != "pad" or self.const(eqn.ins[1])
            elif name in ("mul", "dot_general"):
                ok = len(dependent) == 1
            elif name == "div":
                ok = self.const(eqn.ins[1]) and self.ns.keeps_sums(self.program, eqn)
            ok = ok and all(self.affine(i) for i in dependent)
        self.affine_memo[v] = ok
        return ok

    def exact_convert(self, eqn: Any, v: Any) -> bool:
        """Whether the conversion `eqn` (to `v`) keeps an affine map affine: between
        inexact types, or from an integer that is no sum over sites (`x` itself). An
        integer sum may have wrapped around (int8 samples summed in int8): as a float it
        is no longer the sum of its terms."""
        source = eqn.ins[0]
        separable = not self.const(source) and self.kinds[source] == self.ns.SEPARABLE
        keeps = not separable or self.ns.keeps_sums(self.program, eqn)
        return jnp.issubdtype(self.dtype(v), jnp.inexact) and keeps

    def where(self, eqn: Any) -> str:
        return f"{eqn.primitive.name} @ {eqn.source}"

    # -------------------------------------------------------------- the walk

    def run(self) -> LogCoshRest:
        plan = self.plan
        if not plan.rest_eqns or isinstance(plan.out, self.ns._Lit):
            raise _NotLogCosh("no rest")
        out_dtype = self.dtype(plan.out)
        if not jnp.issubdtype(out_dtype, jnp.inexact):
            raise _NotLogCosh(f"logpsi is of type {out_dtype}")
        self.terms(plan.out, 1.0)
        if not self.groups:
            raise _NotLogCosh("no log_cosh summed in it")
        dtypes = [self.dtype(u) for u, _ in self.groups]
        theta_dtype = jnp.result_type(*dtypes)
        if jnp.issubdtype(theta_dtype, jnp.complexfloating):
            for _, coef in self.groups:
                if coef.imag != 0 or not float(coef.real).is_integer():
                    raise _NotLogCosh(
                        f"a complex log_cosh weighed by {_fmt(coef)}: the sum's phase is "
                        "known modulo 2 pi only, a non-integer weight changes psi"
                    )
        needed = {u for u, _ in self.groups} | {v for v, _ in self.linear}
        return LogCoshRest(
            tuple(self.groups),
            tuple(self.linear),
            self.chain(needed),
            tuple(self.size(u) for u, _ in self.groups),
            theta_dtype,
            out_dtype,
        )

    def chain(self, needed: set) -> tuple:
        """The rest's equations that compute `needed` from the cut and the constants."""
        wanted: set = set()
        stack = [v for v in needed if not self.const(v) and v not in self.cut]
        while stack:
            v = stack.pop()
            if v in wanted:
                continue
            wanted.add(v)
            eqn = self.producer[v]
            stack.extend(
                i for i in eqn.ins if not self.const(i) and i not in self.cut and i not in wanted
            )
        return tuple(e for e in self.plan.rest_eqns if e.outs[0] in wanted)

    def terms(self, v: Any, coef: complex) -> None:
        """`coef` times the sum of the elements of `v`, into groups and linear terms."""
        if self.const(v):
            return  # a constant: cancels in logpsi(x') - logpsi(x)
        if self.affine(v):
            self.linear.append((v, complex(coef)))
            return
        eqn = self.producer[v]
        found = self.elementwise(v)
        why = None
        if found is not None and not self.affine(found[0]):
            why = (
                f"{self.where(eqn)}: an element-wise function of "
                f"{self.where(self.producer[found[0]])}, which is not affine in the cached "
                "values"
            )
        elif found is not None:
            u, feqns = found
            why = _is_log_cosh(self, u, v, feqns)
            if why is None:
                self.groups.append((u, complex(coef)))
                return
        try:
            self.split_sum(v, coef, eqn)
        except _NotLogCosh:
            if why is not None:  # the element-wise function's reason says more
                raise _NotLogCosh(why) from None
            raise

    def split_sum(self, v: Any, coef: complex, eqn: Any) -> None:
        """`terms` of the operands of `v`'s equation (a sum, a product by a number, a
        map that keeps the sum)."""
        name = eqn.primitive.name
        size = self.size(v)
        ins = eqn.ins
        if len(eqn.outs) != 1:
            raise _NotLogCosh(f"{self.where(eqn)}: not a sum of log_cosh and linear terms")
        if name in ("add", "sub", "add_any"):
            for i, sign in zip(ins, (1, -1 if name == "sub" else 1), strict=True):
                self.terms(i, coef * sign * size / self.size(i))
        elif name == "neg":
            self.terms(ins[0], -coef)
        elif name in ("mul", "div"):
            self.product(v, coef, eqn)
        elif name == "convert_element_type":
            self.check_convert(v, eqn)
            self.terms(ins[0], coef)
        elif name in _SUMMED_THROUGH:
            self.terms(ins[0], coef)
        elif name == "broadcast_in_dim":
            self.terms(ins[0], coef * size / self.size(ins[0]))
        else:
            raise _NotLogCosh(f"{self.where(eqn)}: not a sum of log_cosh and linear terms")

    def check_convert(self, v: Any, eqn: Any) -> None:
        """A conversion in the sum keeps it one: not from an integer sum, and not
        dropping an imaginary part."""
        if not self.exact_convert(eqn, v):
            raise _NotLogCosh(
                f"{self.where(eqn)} converts an integer sum (it may have wrapped around)"
            )
        src = self.dtype(eqn.ins[0])
        if jnp.issubdtype(src, jnp.complexfloating) and not jnp.issubdtype(
            self.dtype(v), jnp.complexfloating
        ):
            raise _NotLogCosh(f"{self.where(eqn)} drops an imaginary part")

    def product(self, v: Any, coef: complex, eqn: Any) -> None:
        """`terms` of a product (a quotient) of `v` by a number."""
        ins, size = eqn.ins, self.size(v)
        if eqn.primitive.name == "div" and self.const(ins[1]):
            self.terms(ins[0], coef / self.scalar(ins[1], eqn) * size / self.size(ins[0]))
        elif eqn.primitive.name == "mul" and sum(not self.const(i) for i in ins) == 1:
            (other,) = [i for i in ins if not self.const(i)]
            (c,) = [i for i in ins if self.const(i)]
            self.terms(other, coef * self.scalar(c, eqn) * size / self.size(other))
        else:
            raise _NotLogCosh(f"{self.where(eqn)}: a product of two values that depend on x")

    def elementwise(self, v: Any) -> tuple[int, tuple] | None:
        """`(u, equations)` where `v` is an element-wise function of the one value `u`
        of its shape (every other operand a constant), else None."""
        primitives = self.ns._ELEMENTWISE
        shape = self.shape(v)
        roots: set = set()
        visited: dict[int, Any] = {}
        stack = [v]
        while stack:
            w = stack.pop()
            if self.const(w) or w in visited or w in roots:
                continue
            eqn = self.producer.get(w)
            name = None if eqn is None else eqn.primitive.name
            elementwise = (
                eqn is not None
                and len(eqn.outs) == 1
                and (name in primitives or name in _BITWISE)
                and self.shape(w) == shape
                and all(self.const(i) or self.shape(i) == shape for i in eqn.ins)
            )
            if not elementwise or w in self.cut:
                if self.shape(w) != shape:
                    return None
                roots.add(w)
                continue
            visited[w] = eqn
            stack.extend(eqn.ins)
        if len(roots) != 1 or not visited or v not in visited:
            return None
        (u,) = roots
        order = {id(e): n for n, e in enumerate(self.plan.rest_eqns)}
        eqns = tuple(
            sorted({id(e): e for e in visited.values()}.values(), key=lambda e: order[id(e)])
        )
        return u, eqns


# ------------------------------------------------------------------ the numerical check

_CHECKED: dict[Any, str | None] = {}
"""`_is_log_cosh`'s answers by the text of the function checked (one compilation each:
NetKet's `log_cosh` of any width is one function of a value of a given rank and type)."""

CHECK_WIDTH = 64
"""The last axis of the test points where `F`'s constants are scalars (`_is_log_cosh`)."""


def _is_log_cosh(walk: _Walk, u: int, v: int, eqns: tuple) -> str | None:
    """None where `v = F(u)` equals `log cosh(u)` on test points (`_test_points`), else
    why not. Where every constant of `F` is a scalar, `F` (element-wise) is checked on
    test points of `u`'s rank and `CHECK_WIDTH` along its last axis, whatever its
    width."""
    statics = _statics(walk, eqns)
    if isinstance(statics, str):
        return statics
    for eqn in eqns:
        if eqn.primitive.name in _DERIVATIVE_CHANGING:
            return (
                f"an element-wise function of a cached value has a {eqn.primitive.name} "
                f"({walk.where(eqn)}): its derivative is not log_cosh's"
            )
    shape, dtype = walk.shape(u), walk.dtype(u)
    if not jnp.issubdtype(dtype, jnp.inexact):
        return f"an element-wise function of an {dtype} value, not log_cosh"
    if all(np.ndim(value) == 0 for value in statics.values()) and shape:
        shape = (*(1,) * (len(shape) - 1), CHECK_WIDTH)
    names: dict[Any, int] = {u: 0}

    def name(i: Any) -> Any:
        if isinstance(i, walk.ns._Lit):
            return ("lit", repr(i.value))
        if i in statics:
            return ("static", statics[i].tobytes(), str(statics[i].dtype), statics[i].shape)
        return names.setdefault(i, len(names))

    key = (
        shape,
        str(dtype),
        tuple(
            (e.primitive.name, repr(e.params), tuple(map(name, e.ins)), tuple(map(name, e.outs)))
            for e in eqns
        ),
        name(v),
    )
    if key not in _CHECKED:
        _CHECKED[key] = _check(walk, u, v, eqns, statics, shape, dtype)
    return _CHECKED[key]


_DERIVATIVE_CHANGING = frozenset({"stop_gradient"})
"""Element-wise equations whose value is their operand's but whose derivative is not: a
function with one (`u + stop_gradient(log_cosh(u) - u)`, log cosh by its values) is not
log_cosh for the gradient, which the tables would give log_cosh's (sweep 11)."""


def _statics(walk: _Walk, eqns: tuple) -> dict | str:
    """The constants `eqns` read, by value id (none depends on a parameter), or why not."""
    statics: dict[Any, Any] = {}
    for eqn in eqns:
        for i in eqn.ins:
            if walk.const(i) and not isinstance(i, walk.ns._Lit):
                value = walk.static(i)
                if value is None:
                    return (
                        f"{walk.where(eqn)}: an element-wise function of a cached value with "
                        "parameters in it, not log_cosh"
                    )
                statics[i] = value
    return statics


def _test_points(shape: tuple, dtype: Any) -> np.ndarray:
    """`GROUP_CHECK_POINTS` arrays of `shape`: random values (a quarter of moduli spread
    from 1 to 1e9) and, first, moduli from 0 to 1e30 of either sign (and phases past
    `pi / 2` for complex values); none where `|cosh z| < 0.05` (the logarithm's
    condition number there). A function equal to log cosh on these points but not
    between them (a cut-off at a modulus none of them has) is not told apart: the
    points are chosen to catch clipping (`clip(u, -500, 500)` was taken for log cosh when
    they reached 400, sweep 11)."""
    rng = np.random.default_rng(0)
    size = int(np.prod(shape, dtype=np.int64)) * GROUP_CHECK_POINTS
    fixed = np.array([0.0, 1e-3, 0.5, 1.0, 3.0, 8.0, 19.0, 25.0, 60.0, 400.0, 1e3, 1e4, 1e8])
    fixed = np.concatenate([fixed, -fixed[1:], [1e30, -1e30]])
    re = 3 * rng.normal(size=size)
    far = rng.uniform(size=size) < 0.25  # a quarter spread over moduli 1 to 1e9
    re[far] = np.sign(re[far]) * 10 ** rng.uniform(0, 9, size=int(far.sum()))
    re[: min(size, len(fixed))] = fixed[:size]
    if jnp.issubdtype(dtype, jnp.complexfloating):
        im = rng.uniform(-4, 4, size=size)
        im[: min(size, len(fixed))] = 2.5  # past pi / 2: the branch of the phase
        z = re + 1j * im
        z[np.abs(np.cosh(np.clip(re, -30, 30) + 1j * im)) < 0.05] = 0.3 + 0.7j
    else:
        z = re
    return np.reshape(z, (GROUP_CHECK_POINTS, *shape)).astype(dtype)


def _reference(z: np.ndarray) -> np.ndarray:
    """`log cosh z` by NumPy: `log(cosh z)` where it does not overflow, `s z - log 2 +
    exp(-2 s z)` (`s` the sign of the real part) past `|Re z| = 20`."""
    z = np.asarray(z, np.complex128)
    s = np.where(z.real >= 0, 1.0, -1.0)
    w = s * z
    small = np.abs(z.real) < 20
    direct = np.log(np.cosh(np.where(small, z, 0)))
    return np.where(small, direct, w - np.log(2.0) + np.exp(-2 * np.where(small, 1.0, w)))


LOG_COSH_TOLERANCE = 2e-13
"""`F` equals log cosh within this, relative to `1 + |log cosh z|`, in double precision
(NetKet's formula and NumPy's differ by a few units in the last place); 1e-11 took
`log_cosh(u) + 8e-12 |u|` for log cosh, 4.5e-9 relative off at large weights (sweep 11)."""


def _check(walk: _Walk, u, v, eqns, statics, shape, dtype) -> str | None:
    ns = walk.ns
    z = _test_points(shape, dtype)

    def f(z):
        def one(zi):
            env = {k: jnp.asarray(val) for k, val in statics.items()}
            env[u] = zi
            ns._run(eqns, env)
            return env[v]

        return jax.vmap(one)(z)

    try:
        got = np.asarray(run_now(f, z))
    except Exception as error:  # a function that does not run on these points
        return f"the element-wise function of a cached value could not be checked ({error})"
    if got.shape != z.shape:
        return "the element-wise function of a cached value changes its shape"
    ref = _reference(z)
    tol = (LOG_COSH_TOLERANCE if np.finfo(np.dtype(dtype)).bits >= 64 else 1e-4) * (1 + np.abs(ref))
    got = got.astype(np.complex128)
    re_err = np.abs(got.real - ref.real)
    im_err = np.abs(np.angle(np.exp(1j * (got.imag - ref.imag))))
    bad = ~((re_err <= tol) & (im_err <= tol))
    if np.any(bad):
        at = np.argmax(bad.ravel())
        zz, gg, rr = z.ravel()[at], got.ravel()[at], ref.ravel()[at]
        if not jnp.issubdtype(dtype, jnp.complexfloating):
            zz, gg, rr = zz.real, gg.real, rr.real
        names = ", ".join(sorted({e.primitive.name for e in eqns}))
        return (
            f"an element-wise function of a cached value ({names} @ {eqns[-1].source}) "
            f"is not log_cosh: at z = {zz:.4g} it gives {gg:.6g}, log cosh z = {rr:.6g}"
        )
    return None


# ------------------------------------------------------------------ evaluation


def columns(
    split: Any, rest: LogCoshRest, consts: tuple, cached: tuple, ns: Any
) -> tuple[Any, Any]:
    """`(theta (r, H), linear (r,))` of rows of cached values (`(r, *shape)` arrays, as
    `network_split.theta` returns them): the columns `u_g` of the log-cosh groups, one
    after the other, and the sum of the linear terms (`ns`: as for `recognise`)."""
    plan = split.program

    def one(values):
        env = ns._env(plan, consts)
        env.update(zip(plan.cut_ids, values, strict=True))
        ns._run(rest.eqns, env)
        theta = jnp.concatenate(
            [jnp.reshape(_read(ns, env, u), (-1,)).astype(rest.theta_dtype) for u, _ in rest.groups]
        )
        linear = jnp.zeros((), rest.out_dtype)
        for w, coef in rest.linear:
            term = jnp.sum(_read(ns, env, w)).astype(rest.out_dtype)
            linear = linear + _weighed(term, coef, rest.out_dtype)
        return theta, linear

    return jax.vmap(one)(cached)


def _read(ns: Any, env: dict, v: Any) -> Any:
    return v.value if isinstance(v, ns._Lit) else env[v]


def _weighed(value: Any, coef: complex, dtype: Any) -> Any:
    if coef == 1:
        return value
    if coef.imag == 0 or not jnp.issubdtype(dtype, jnp.complexfloating):
        return value * jnp.asarray(coef.real, dtype)
    return value * jnp.asarray(coef, dtype)


def column_map(split: Any, rest: LogCoshRest, consts: tuple, ns: Any) -> Callable:
    """`cached -> (theta, linear)` (`columns`), for `network_split.tables`."""
    return lambda cached: columns(split, rest, consts, cached, ns)
