"""Networks that call LAPACK, evaluated inside a loop without deadlocking XLA's CPU pool.

jaxlib's CPU kernels of the batched linear-algebra primitives (`lu` behind `det`,
`slogdet` and `solve`, `eigh`, `svd`, `qr`, `cholesky`, ...) split their batch over
XLA's intra-op thread pool and block the calling thread until every piece is done
(`ParallelBatchMap`, with a blocking counter). Inside a `lax.while_loop`, XLA's CPU
runtime runs the loop body's independent operations on the threads of that same pool.
Two such kernels that do not depend on each other (the two spin sectors of NetKet's
`Slater2nd`, say) then each occupy one pool thread and wait for pieces that no free
thread is left to run: on a machine whose pool has two threads, the program hangs at 0%
CPU (issue 35, item 5). The local-energy path evaluates the network in chunks inside
such loops (`symir/runtime/local_energy.py`).

`lapack_ordered(fn)` returns `fn` evaluated so that these kernels run one after another:
the inputs of each one are made to depend on the outputs of the one before (`_barrier`),
so at most one of them holds a pool thread while its pieces run on the others.
The function's program (`jax.make_jaxpr`) is read; one without such a primitive is
called as it is (no cost), one with them is evaluated equation by equation, inlining the
calls (`jit`, custom derivatives) that contain them. Derivatives then go through the
primitives' own rules (a custom JVP rule inside is inlined, not applied: the same values
wherever the function is differentiable).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax.extend import core

__all__ = ["LAPACK_PRIMITIVES", "calls_lapack", "lapack_ordered", "network_calls_lapack"]

LAPACK_PRIMITIVES = frozenset(
    {
        "lu",
        "lu_pivots_to_permutation",
        "eigh",
        "eig",
        "svd",
        "qr",
        "geqrf",
        "geqp3",
        "householder_product",
        "cholesky",
        "cholesky_update",
        "triangular_solve",
        "schur",
        "hessenberg",
        "tridiagonal",
        "tridiagonal_solve",
    }
)
"""The primitives whose CPU kernels are jaxlib's LAPACK calls."""

_INLINED = frozenset({"jit", "pjit", "closed_call", "core_call"})
"""Calls evaluated through their body when it calls LAPACK; any other higher-order
primitive around a LAPACK call (a loop, a branch, a custom derivative rule, a linear
solve) runs as one unit, after the call before it (its own rule kept)."""


def _sub_jaxprs(eqn: Any) -> list[Any]:
    out = []
    for value in eqn.params.values():
        for item in value if isinstance(value, tuple | list) else (value,):
            if isinstance(item, core.ClosedJaxpr):
                out.append(item.jaxpr)
            elif isinstance(item, core.Jaxpr):
                out.append(item)
    return out


def calls_lapack(jaxpr: Any) -> bool:
    """Whether `jaxpr` (a `Jaxpr` or `ClosedJaxpr`) has a LAPACK primitive, at any depth."""
    jaxpr = getattr(jaxpr, "jaxpr", jaxpr)
    return any(
        eqn.primitive.name in LAPACK_PRIMITIVES or any(calls_lapack(j) for j in _sub_jaxprs(eqn))
        for eqn in jaxpr.eqns
    )


def network_calls_lapack(logpsi: Callable, params: Any, x: Any) -> bool:
    """Whether `logpsi(params, x)` calls LAPACK (traced on `x`, one sample is enough;
    False where it does not trace: the evaluation itself then reports why)."""
    try:
        closed = jax.make_jaxpr(logpsi)(params, x)
    except Exception:
        return False
    return calls_lapack(closed)


def lapack_ordered(fn: Callable) -> Callable:
    """`fn` with its LAPACK calls made to run one after another (the module docstring)."""

    @functools.wraps(fn)
    def ordered(*args: Any) -> Any:
        closed, shape = jax.make_jaxpr(fn, return_shape=True)(*args)
        if not calls_lapack(closed):
            return fn(*args)
        flat = jax.tree_util.tree_leaves(args)
        outs, _ = _run(closed.jaxpr, closed.consts, flat, None)
        return jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(shape), outs)

    return ordered


def _barrier(values: list[Any], token: Any) -> list[Any]:
    """`values` made to depend on `token` (the outputs of the previous LAPACK call) by
    data, not only in the program: XLA's CPU runtime orders its operations by the buffers
    they read and write, so each floating input gets `+ 0 * t`, `t` one element of the
    previous call's first floating output (XLA does not fold `0 * t` for floats, where
    `t` may be NaN; the sum is the input's value unless that call gave NaN or inf)."""
    if token is None or not values:
        return values
    floats = [t for t in token if jnp.issubdtype(jnp.result_type(t), jnp.inexact)]
    if not floats:
        return values
    t = jnp.ravel(floats[0])[0]
    out = []
    for v in values:
        dtype = jnp.result_type(v)
        if jnp.issubdtype(dtype, jnp.inexact):
            zero = t * 0 if jnp.issubdtype(dtype, jnp.complexfloating) else jnp.real(t) * 0
            v = v + zero.astype(dtype)
        out.append(v)
    return out


def _run(jaxpr: Any, consts: Any, args: list[Any], token: Any) -> tuple[list[Any], Any]:
    """Evaluates `jaxpr`, threading `token` through its LAPACK calls; returns the outputs
    and the token after the last call."""
    env: dict[Any, Any] = {}

    def read(v: Any) -> Any:
        return v.val if isinstance(v, core.Literal) else env[v]

    for var, value in zip(jaxpr.constvars, consts, strict=True):
        env[var] = value
    for var, value in zip(jaxpr.invars, args, strict=True):
        env[var] = value
    for eqn in jaxpr.eqns:
        invals = [read(v) for v in eqn.invars]
        outs, token = _equation(eqn, invals, token)
        for var, value in zip(eqn.outvars, outs, strict=True):
            if not isinstance(var, core.DropVar):
                env[var] = value
    return [read(v) for v in jaxpr.outvars], token


def _equation(eqn: Any, invals: list[Any], token: Any) -> tuple[list[Any], Any]:
    name = eqn.primitive.name
    inner = [j for j in _sub_jaxprs(eqn) if calls_lapack(j)]
    if name not in LAPACK_PRIMITIVES and not inner:
        return _bind(eqn, invals), token
    body = eqn.params.get("jaxpr")
    if inner and name in _INLINED and body is not None:
        closed = body if isinstance(body, core.ClosedJaxpr) else None
        consts = closed.consts if closed is not None else ()
        jaxpr = closed.jaxpr if closed is not None else body
        return _run(jaxpr, consts, invals, token)
    # a LAPACK call, or a loop / branch / custom rule around one: one unit, after the last
    outs = _bind(eqn, _barrier(invals, token))
    return outs, outs


def _bind(eqn: Any, invals: list[Any]) -> list[Any]:
    params = eqn.primitive.get_bind_params(eqn.params)
    with eqn.ctx.manager:
        outs = eqn.primitive.bind(*invals, **params)
    return list(outs) if eqn.primitive.multiple_results else [outs]
