"""Sums of logarithms taken as logarithms of products: a rewrite of a network's program.

A float64 `log1p` costs about as much as the rest of an element-wise activation on CPU
(~3-5 ns per element). Where a program sums `log1p` values (an RBM's `log_cosh`, `|x| +
log1p(exp(-2|x|)) - log 2`, summed over its hidden units; a `softplus` summed), the sum is
the logarithm of the product of the factors `1 + y`: one logarithm per `LOG_BLOCK` factors
instead of one per element. `FewerLogs(closed_jaxpr)` evaluates a program with every such
sum rewritten; `fewer_logs(fn)` wraps a function.

Before that, a `softplus` (`jax.nn.softplus` is `logaddexp(x, 0)`, a custom derivative
around `select(isnan(x - 0), x + 0, max(x, 0) + log1p(exp(-|x - 0|)))`) whose second
operand is a finite constant is evaluated without its select (`_plain_logaddexp`): that
select is taken only where `x` is NaN, and then the other branch is NaN too, so the
values are the same for every input; on CPU the select kept XLA from vectorising the
fusion (float64, 2.9M elements: 38.8 ms against 7.7 without it). Its `log1p` is then
visible to the sums above. The sampler's incremental step
(`symir.integrations.netket_sampler`) and the derived local energies
(`symir.runtime.fast_updates`) evaluate the network's rest through it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.extend import core as jex_core

from symir.runtime import fast_logs, fast_trig
from symir.runtime.jaxpr_eval import bind
from symir.runtime.manual_axes import manual_axes

__all__ = ["LOG_BLOCK", "FewerLogs", "fewer_logs", "log_of_products"]


LOG_BLOCK = 16
"""Factors per product in `log_of_products` (a block's logarithm read once)."""

VECTORISED_LOGS = True
"""The program's float64 `log` and `log1p` equations (those not in a sum taken as a
logarithm of products) evaluated by `symir.runtime.fast_logs` (arithmetic XLA
vectorises) in place of XLA's (one element at a time on CPU), and its float64 `sin` and
`cos` by `symir.runtime.fast_trig`: Heisenberg 6x6 with
NetKet's `MLP(hidden_dims=(72,), hidden_activations=log_cosh)`, the derived local
energies of 1,024 samples 41.0 -> 17.8 ms of CPU (one process, 15 interleaved rounds,
load 4-5)."""


def log_of_products(y: jax.Array, axes: tuple[int, ...]) -> jax.Array:
    """`sum(log1p(y), axes)` with one logarithm per `LOG_BLOCK` elements: the logarithm
    of the block's product of `1 + y`, where every block's product is a normal number
    (its modulus, for complex `y`); else (some chain's factors too large or too close to
    zero) `log1p` per element. For complex `y` the imaginary part may differ from the sum
    of the `log1p` values by a multiple of `2 pi` (the logarithm's branch): the same
    `exp` of it."""
    rest_axes = [a for a in range(y.ndim) if a not in axes]
    moved = jnp.transpose(y, (*rest_axes, *axes))
    shape = moved.shape[: len(rest_axes)]
    flat = jnp.reshape(moved, (*shape, -1))
    n = flat.shape[-1]
    pad = -n % LOG_BLOCK
    blocks = jnp.pad(1 + flat, [(0, 0)] * len(shape) + [(0, pad)], constant_values=1)
    products = jnp.prod(jnp.reshape(blocks, (*shape, -1, LOG_BLOCK)), axis=-1)
    size = jnp.abs(products)  # complex factors: the product's modulus
    normal = (size > 2.0**-1000) & (size < 2.0**1000)  # NaN: not normal
    return jax.lax.cond(
        jnp.all(normal),
        lambda: jnp.sum(jnp.log(products), axis=-1),
        lambda: jnp.sum(jnp.log1p(flat), axis=-1),
    )


_DOUBLE = (np.dtype(np.float64), np.dtype(np.complex128))
"""The dtypes whose sums of `log1p` are taken as logarithms of products. Not single
precision: there the products' rounding (1e-7 per factor) made the local energies of a
float32 RBM 3x less accurate than NetKet's (sweep 9: 1.7e-5 against 5.1e-6 at alpha 4),
and XLA vectorises a float32 logarithm on CPU anyway."""


class FewerLogs:
    """A program (a closed jaxpr) evaluated with its sums of `log1p` taken as logarithms
    of products: `reduce_sum(a + log1p(y) - c)` (a tree of `add`, `sub`, `neg` whose
    values nothing else reads, over values of the sum's shape and scalars) is evaluated
    as `reduce_sum(a) - c n + sum log(prod(1 + y))` (`log_of_products`). An RBM's
    `log_cosh` summed over its hidden units (`|x| + log1p(exp(-2|x|)) - log 2`) then
    costs one logarithm per 16 units instead of one each: on CPU a float64 `log1p` per
    element is most of an incremental Metropolis step (16 chains, 16 hidden units: ~1.5
    of ~4.5 us). Rounding: each factor `1 + y` rounds by at most half an ulp of it, the
    sum moves by ~1e-16 per element, as a sum of `log1p` values does. Complex `log1p`
    values are summed so too: the result's imaginary part (the phase of `psi = exp(log
    psi)`) is then known modulo `2 pi`, all that the local energies' ratios `exp(logpsi(x')
    - logpsi(x))` and the sampler's `|psi|^2` read (the two users of this rewrite), with
    the same derivatives; in double precision only (`_DOUBLE`). Every other float64
    `log` and `log1p` of the program (`VECTORISED_LOGS`) is evaluated by
    `symir.runtime.fast_logs` (vectorised on CPU, within 2 ulps of NumPy's)."""

    def __init__(self, closed: Any):
        closed = _plain_logaddexp(closed)
        self.closed = closed
        jaxpr = closed.jaxpr
        uses, producer = self._uses(jaxpr)
        self.rewrites: dict[int, Any] = {}
        self.skipped: set[int] = set()
        for eqn in jaxpr.eqns:
            aval = getattr(eqn.invars[0], "aval", None) if eqn.invars else None
            if eqn.primitive.name != "reduce_sum" or aval is None:
                continue
            if not jnp.issubdtype(aval.dtype, jnp.inexact):
                continue
            found = self._terms(eqn.invars[0], aval.shape, uses, producer)
            if found[2] and (
                not jnp.issubdtype(aval.dtype, jnp.complexfloating)
                or _phase_only(eqn.outvars[0], jaxpr, dict(zip(jaxpr.constvars, closed.consts)))
            ):
                self.rewrites[id(eqn)] = found
                self.skipped.update(id(e) for e in found[3])

    @staticmethod
    def _uses(jaxpr: Any) -> tuple[dict, dict]:
        """How many times each value is read (outputs count as read twice) and the
        equation producing it."""
        uses: dict[Any, int] = {}
        producer: dict[Any, Any] = {}
        reads = [v for eqn in jaxpr.eqns for v in eqn.invars] + 2 * list(jaxpr.outvars)
        for v in reads:
            if not isinstance(v, jex_core.Literal):
                uses[v] = uses.get(v, 0) + 1
        for eqn in jaxpr.eqns:
            for v in eqn.outvars:
                producer[v] = eqn
        return uses, producer

    @staticmethod
    def _terms(root, shape, uses, producer):
        """`(full, scalars, logs, eqns)`: the signed terms of the tree under `root` (values
        of the sum's shape, scalars, `log1p`'s operands) and the tree's equations."""
        full, scalars, logs, eqns = [], [], [], []
        stack = [(root, 1)]
        while stack:
            var, sign = stack.pop()
            eqn = producer.get(var) if uses.get(var) == 1 else None
            name = eqn.primitive.name if eqn is not None else None
            if name in ("add", "sub"):
                shapes = [getattr(getattr(a, "aval", None), "shape", None) for a in eqn.invars]
                if any(sh not in (shape, ()) for sh in shapes):
                    full.append((sign, var))
                    continue
                eqns.append(eqn)
                for a, sh, s in zip(
                    eqn.invars, shapes, (sign, sign if name == "add" else -sign), strict=True
                ):
                    if sh == shape:
                        stack.append((a, s))
                    else:
                        scalars.append((s, a))
            elif name == "neg":
                eqns.append(eqn)
                stack.append((eqn.invars[0], -sign))
            elif name == "log1p" and var.aval.dtype in _DOUBLE:
                eqns.append(eqn)
                logs.append((sign, eqn.invars[0]))
            else:
                full.append((sign, var))
        return full, scalars, logs, eqns

    def __call__(self, *args: Any) -> list[Any]:
        jaxpr = self.closed.jaxpr
        env: dict[Any, Any] = {}

        def read(v):
            return v.val if isinstance(v, jex_core.Literal) else env[v]

        env.update(zip(jaxpr.constvars, self.closed.consts, strict=True))
        env.update(zip(jaxpr.invars, args, strict=True))
        for eqn in jaxpr.eqns:
            if id(eqn) in self.skipped:
                continue
            found = self.rewrites.get(id(eqn))
            if found is not None:
                env[eqn.outvars[0]] = self._sum(eqn, found, read)
                continue
            vectorised = (
                (fast_logs.replaces(eqn) or fast_trig.replaces(eqn)) if VECTORISED_LOGS else None
            )
            if vectorised is not None:
                env[eqn.outvars[0]] = vectorised(read(eqn.invars[0]))
                continue
            env.update(zip(eqn.outvars, bind(eqn, [read(v) for v in eqn.invars]), strict=True))
        return [read(v) for v in jaxpr.outvars]

    @staticmethod
    def _sum(eqn, found, read):
        full, scalars, logs, _ = found
        axes = tuple(eqn.params["axes"])
        aval = eqn.outvars[0].aval
        shape = eqn.invars[0].aval.shape
        total = jnp.zeros(aval.shape, aval.dtype)
        if full:
            terms = sum(sign * read(v) for sign, v in full)
            total = total + jnp.sum(terms, axis=axes)
        count = int(np.prod([shape[a] for a in axes], dtype=np.int64))
        for sign, v in scalars:
            total = total + sign * count * read(v)
        for sign, v in logs:
            total = total + sign * log_of_products(read(v), axes)
        return total.astype(aval.dtype)


_CARRIES_SHIFT = frozenset(
    {
        "add",
        "add_any",
        "sub",
        "neg",
        "reduce_sum",
        "reshape",
        "squeeze",
        "expand_dims",
        "broadcast_in_dim",
        "slice",
        "concatenate",
        "transpose",
        "copy",
        "copy_p",
    }
)
"""Equations that carry a value's imaginary shift by `2 pi k` (`k` integers) to their
output as such a shift: sums, differences, reshapes and copies."""


def _phase_only(var: Any, jaxpr: Any, consts: dict) -> bool:
    """Whether a complex value `var` of `jaxpr` reaches the program's outputs only as
    (part of) their imaginary parts: through `_CARRIES_SHIFT` equations, products with
    real integer constants and conversions to a real type (`real`, the real part, which
    drops the shift). A sum of complex `log1p` values taken as the logarithm of products
    differs from it by `2 pi k i`, which then moves the outputs' phases by multiples of
    `2 pi` only; anything else (a product with `1j`, as `RBMModPhase` with complex
    parameters weighs its phase branch, `imag`, a non-linear function) would turn the
    shift into a change of `|psi|`: `exp(2 pi)` at 25 sites, `RBMModPhase(alpha=2,
    param_dtype=complex)` (sweep 25)."""
    readers: dict[Any, list] = {}
    for eqn in jaxpr.eqns:
        for v in eqn.invars:
            if not isinstance(v, jex_core.Literal):
                readers.setdefault(v, []).append(eqn)
    shifted, stack = {var}, [var]
    while stack:
        v = stack.pop()
        for eqn in readers.get(v, ()):
            carried = _carries(eqn, v, consts)
            if carried is None:
                continue  # the real part: the shift is gone
            if not carried:
                return False
            for o in eqn.outvars:
                if o not in shifted:
                    shifted.add(o)
                    stack.append(o)
    return True


def _carries(eqn: Any, v: Any, consts: dict) -> bool | None:
    """Whether `eqn` carries its input `v`'s imaginary shift by `2 pi k` to its output as
    such a shift (True), turns it into something else (False), or drops it by taking a
    real part (None)."""
    name = eqn.primitive.name
    if name == "convert_element_type":  # complex to complex keeps it, to real drops it
        return True if jnp.issubdtype(eqn.outvars[0].aval.dtype, jnp.complexfloating) else None
    if name == "real":
        return None
    if name == "mul":
        others = [u for u in eqn.invars if u is not v]
        return len(others) == 1 and _real_integers(others[0], consts)
    return name in _CARRIES_SHIFT


def _real_integers(v: Any, consts: dict) -> bool:
    """Whether `v` is a literal or a constant of the program whose every value is a real
    integer (a complex one with zero imaginary parts included)."""
    if isinstance(v, jex_core.Literal):
        value = v.val
    elif v in consts:
        value = consts[v]
    else:
        return False
    try:
        value = np.asarray(value)
    except Exception:  # a tracer: not a known constant
        return False
    if not np.issubdtype(value.dtype, np.number):
        return False
    return bool(np.all(np.imag(value) == 0) and np.all(np.real(value) == np.round(np.real(value))))


def fewer_logs(fn: Callable) -> Callable:
    """`fn` (a function of arrays and pytrees of arrays, returning a pytree of arrays)
    evaluated by `FewerLogs` on its traced program: the same values, to rounding; `fn`
    itself inside `shard_map`."""

    @functools.wraps(fn)
    def wrapped(*args: Any) -> Any:
        if manual_axes():
            # inside shard_map's manual axes (NetKet's gradient of a non-hermitian
            # operator differentiates the local energies there) the retraced program's
            # constants would not vary as its inputs do: the program runs as written
            return fn(*args)
        closed, shape = jax.make_jaxpr(fn, return_shape=True)(*args)
        out = FewerLogs(closed)(*jax.tree_util.tree_leaves(args))
        return jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(shape), out)

    return wrapped


def _is_softplus(eqn: Any) -> bool:
    """A `logaddexp` (JAX's custom derivative of that name) of a real value and a finite
    real constant: `softplus` and its shifts."""
    if eqn.primitive.name != "custom_jvp_call":
        return False
    debug = getattr(getattr(eqn.params.get("call_jaxpr"), "jaxpr", None), "debug_info", None)
    if getattr(debug, "func_name", None) != "logaddexp":
        return False
    if len(eqn.invars) != 2 or len(eqn.outvars) != 1:
        return False
    if not jnp.issubdtype(eqn.outvars[0].aval.dtype, jnp.floating):
        return False
    constants = [v for v in eqn.invars if isinstance(v, jex_core.Literal)]
    return len(constants) == 1 and bool(np.all(np.isfinite(np.asarray(constants[0].val))))


def _inner(eqn: Any) -> Any:
    """The closed program of a `jit` call (`pjit`), else None."""
    if eqn.primitive.name not in ("pjit", "jit"):
        return None
    return eqn.params.get("jaxpr")


def _has_softplus(jaxpr: Any) -> bool:
    """Whether `jaxpr` or a `jit` call in it has an `_is_softplus` equation."""
    for eqn in jaxpr.eqns:
        inner = _inner(eqn)
        if _is_softplus(eqn) or (inner is not None and _has_softplus(inner.jaxpr)):
            return True
    return False


def _without_softplus_selects(jaxpr: Any, consts: Any, args: Any) -> list[Any]:
    """`jaxpr` evaluated with each `_is_softplus` equation as `max(a, b) + log1p(exp(-|a
    - b|))`, the `jit` calls that hold one inlined."""
    env: dict[Any, Any] = {}

    def read(v):
        return v.val if isinstance(v, jex_core.Literal) else env[v]

    env.update(zip(jaxpr.constvars, consts, strict=True))
    env.update(zip(jaxpr.invars, args, strict=True))
    for eqn in jaxpr.eqns:
        inner = _inner(eqn)
        if _is_softplus(eqn):
            out = _softplus_form(*map(read, eqn.invars))
            outs = [out.astype(eqn.outvars[0].aval.dtype)]
        elif inner is not None and _has_softplus(inner.jaxpr):
            outs = _without_softplus_selects(inner.jaxpr, inner.consts, map(read, eqn.invars))
        else:
            outs = bind(eqn, [read(v) for v in eqn.invars])
        env.update(zip(eqn.outvars, outs, strict=True))
    return [read(v) for v in jaxpr.outvars]


def _softplus_form(a: Any, b: Any) -> Any:
    """`logaddexp(a, b)` for a finite `b`, without the NaN select: `max(a, b) +
    log1p(exp(-|a - b|))`, `|d|` written `max(d, -d)` (the same value) so that the
    derivative at `a = b` is JAX's `1/2` (JAX's `abs` has derivative 1 at 0)."""
    d = a - b
    return jnp.maximum(a, b) + jnp.log1p(jnp.exp(-jnp.maximum(d, -d)))


def _plain_logaddexp(closed: Any) -> Any:
    """`closed` with each `_is_softplus` equation replaced by `max(a, b) + log1p(exp(-|a -
    b|))` (retraced, the `jit` calls that hold one inlined; `closed` itself where there is
    none). With `b` a finite constant, `a - b` is NaN only where `a` is, and both forms
    are then NaN: the same values; the derivative is the logistic function of `a - b`, as
    by JAX's rule (`_softplus_form`)."""
    jaxpr = closed.jaxpr
    if not _has_softplus(jaxpr):
        return closed
    avals = [jax.ShapeDtypeStruct(v.aval.shape, v.aval.dtype) for v in jaxpr.invars]
    return jax.make_jaxpr(lambda *args: _without_softplus_selects(jaxpr, closed.consts, args))(
        *avals
    )
