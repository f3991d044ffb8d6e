"""Programs that call LAPACK, evaluated without deadlocking XLA's CPU pool.

jaxlib's CPU kernels of the batched linear-algebra primitives (`lu` behind `det`,
`slogdet` and `solve`, `triangular_solve` in their derivatives, `eigh`, `svd`, `qr`,
`cholesky`, ...) split a batch whose cost passes a threshold (about 2e5 flops, 512 8x8
LUs) over XLA's intra-op thread pool and block the calling thread until every piece is
done (`ParallelBatchMap`, a blocking counter). XLA's CPU runtime runs a program's
independent operations on the threads of that same pool, at the top level of the
program and inside loop bodies. Two such kernels that do not depend on each other (the
two spin sectors of NetKet's `Slater2nd`, or their derivatives in the gradient) can
then each hold a pool thread and wait for pieces that no free thread is left to run: on
a machine whose pool has two threads the program stops at 0% CPU, at random (issue 35,
item 5; issue 36). The same happens in NetKet's own `expect_and_grad` of such a network.

`lapack_ordered(fn)` returns `fn` evaluated so that these kernels run one after another:
the inputs of each one are made to depend on the outputs of the one before (`_barrier`),
so at most one of them holds a pool thread while its pieces run on the others. The
order goes through the whole program: calls (`jit`, custom derivative rules) are
inlined, a loop (`while`, `scan`) or branch (`cond`) that calls LAPACK is rebuilt
with its own calls in order and a token carried from one iteration to the next, so the
last call of an iteration precedes the first of the next one (even where a loop is
unrolled), and a `shard_map` body is ordered inside. A program without such a primitive is called as it is (no cost).
The order is for XLA's CPU pool only: the ordered program and the program as written
are both traced into `jax.lax.platform_dependent`, and lowering keeps the ordered one
for the CPU and the one as written for other platforms (on an H200 the order cost a
Slater network's local energies 10-25%, and a GPU's solvers do not share the pool).
`unordered_lapack_calls(jaxpr)` names the pairs of calls that may run at the same time
(empty for a program this module ordered); the tests check programs with it.

Derivatives of the ordered function go through the primitives' own rules: a custom
derivative rule inside is inlined, not applied (the same values wherever the function
is differentiable). symir's NetKet integration orders the whole `expect_and_forces`
program (local energies and NetKet's gradient pass) this way
(`symir/integrations/netket_local_energy.py`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax.extend import core

from symir.runtime.jaxpr_eval import bind
from symir.runtime.manual_axes import type_axes, varying_axes

__all__ = [
    "LAPACK_PRIMITIVES",
    "calls_lapack",
    "lapack_ordered",
    "network_calls_lapack",
    "unordered_lapack_calls",
]

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

_INLINED = {
    "jit": "jaxpr",
    "pjit": "jaxpr",
    "closed_call": "call_jaxpr",
    "core_call": "call_jaxpr",
    "custom_jvp_call": "call_jaxpr",
    "custom_vjp_call": "call_jaxpr",
    "custom_vjp_call_jaxpr": "fun_jaxpr",
}
"""Calls evaluated through their body (the parameter naming it) when it calls LAPACK.
`while`, `scan`, `cond` and `shard_map` are rebuilt (`_while`, `_scan`, `_cond`,
`_shard_map`); any other higher-order primitive around a LAPACK call (a linear solve)
runs as one unit, after the call before it."""

_TOKEN = jnp.float32
"""The token between two calls: a float32 zero computed from the earlier call's outputs."""


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
        flat = jax.tree_util.tree_leaves(args)
        tree = jax.tree_util.tree_structure(shape)
        if not calls_lapack(closed):  # the program as traced, not `fn` traced again
            return jax.tree_util.tree_unflatten(tree, core.jaxpr_as_fun(closed)(*flat))

        def in_order(*flat: Any) -> list[Any]:
            return _run(closed.jaxpr, closed.consts, list(flat), None)[0]

        def as_written(*flat: Any) -> list[Any]:
            return core.jaxpr_as_fun(closed)(*flat)

        # the order is for XLA's CPU pool: other platforms run the program as written
        outs = jax.lax.platform_dependent(*flat, cpu=in_order, default=as_written)
        return jax.tree_util.tree_unflatten(tree, outs)

    return ordered


def _vary(x: Any, axes: frozenset) -> Any:
    """`x` made to vary over `axes` too (`shard_map`'s types must match where values meet)."""
    missing = tuple(sorted(axes - varying_axes(x)))
    return jax.lax.pcast(x, missing, to="varying") if missing else x


def _zero(values: list[Any]) -> Any:
    """A float32 zero that depends on `values` by data (one element of each non-empty
    numeric value): XLA's CPU runtime orders its operations by the buffers they read
    and write, and it does not fold `0 * t` for floats (`t` might be NaN; non-finite
    elements, after the conversion to float32, and a non-finite sum are replaced by 0
    first, so the zero is exact: a float64 element of 1e39 was finite before the
    conversion and `inf x 0` made every energy NaN, sweep 12)."""
    terms = []
    for v in values:
        dtype = jnp.result_type(v)
        if jnp.size(v) == 0 or dtype == jnp.bool_ or not jnp.issubdtype(dtype, jnp.number):
            continue
        t = jnp.real(jnp.ravel(v)[0]).astype(_TOKEN)
        terms.append(jnp.where(jnp.isfinite(t), t, 0))  # after the cast: 1e39 is inf there
    if not terms:
        return None
    axes = frozenset().union(*(varying_axes(t) for t in terms))
    total = functools.reduce(jnp.add, [_vary(t, axes) for t in terms])
    return jnp.where(jnp.isfinite(total), total, 0) * _TOKEN(0)


def _after(outs: list[Any], token: Any) -> Any:
    """The token after a unit with outputs `outs` (`token` where none is numeric)."""
    zero = _zero(outs)
    return token if zero is None else zero


def _barrier(values: list[Any], token: Any, *, every: bool = False) -> list[Any]:
    """`values` with their smallest numeric one (`every`: each numeric one) made to
    depend on `token` (adding the zero): an operation cannot start before all its inputs
    are written. A LAPACK primitive reads all its inputs; a higher-order primitive may
    not (`custom_linear_solve` lowers only its `solve`, and XLA drops the inputs only
    the others read, the dependency with them), so it takes the token in each. Inside
    `shard_map` only a value varying over the token's axes can take it (its type stays);
    where none does, the values are returned as they are (`unordered_lapack_calls` then
    reports the pair)."""
    if token is None:
        return values
    axes = varying_axes(token)
    numeric = [
        i
        for i, v in enumerate(values)
        if jnp.issubdtype(jnp.result_type(v), jnp.number)
        and jnp.size(v) > 0
        and axes <= varying_axes(v)
    ]
    if not numeric:
        return values
    if not every:
        numeric = [min(numeric, key=lambda k: jnp.size(values[k]))]
    out = list(values)
    for i in numeric:
        out[i] = values[i] + token.astype(jnp.result_type(values[i]))
    return out


def _run(jaxpr: Any, consts: Any, args: list[Any], token: Any) -> tuple[list[Any], Any]:
    """Evaluates `jaxpr`, threading `token` through its LAPACK calls; returns the outputs
    and the token after the last call (`token` itself when there was none)."""
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
    if name in LAPACK_PRIMITIVES:
        outs = bind(eqn, _barrier(invals, token))
        return outs, _after(outs, token)
    if not any(calls_lapack(j) for j in _sub_jaxprs(eqn)):
        return bind(eqn, invals), token
    body = eqn.params.get(_INLINED.get(name, ""))
    if isinstance(body, core.ClosedJaxpr | core.Jaxpr):
        consts = body.consts if isinstance(body, core.ClosedJaxpr) else ()
        return _run(getattr(body, "jaxpr", body), consts, invals, token)
    rebuild = {"while": _while, "scan": _scan, "cond": _cond, "shard_map": _shard_map}.get(name)
    if rebuild is not None:
        return rebuild(eqn, invals, token)
    # any other primitive around a LAPACK call: one unit, after the last call
    outs = bind(eqn, _barrier(invals, token, every=True))
    return outs, _after(outs, token)


def _spec(aval: Any) -> Any:
    """`aval` as `make_jaxpr` takes it (with its sharding and manual axes, in `shard_map`)."""
    mat = getattr(aval, "mat", None)
    if mat is None or not mat.varying:
        return jax.ShapeDtypeStruct(aval.shape, aval.dtype, weak_type=aval.weak_type)
    return jax.ShapeDtypeStruct(
        aval.shape,
        aval.dtype,
        weak_type=aval.weak_type,
        sharding=aval.sharding,
        manual_axis_type=mat,
    )


def _token_axes(closed: Any, token: Any) -> frozenset:
    """The axes a loop's or branch's token varies over: those of its inputs and of the
    token before it (inside `shard_map`; empty outside)."""
    axes = frozenset() if token is None else varying_axes(token)
    for v in closed.jaxpr.invars:
        axes |= type_axes(v.aval)
    return axes


def _start(token: Any, axes: frozenset) -> Any:
    return _vary(jnp.zeros((), _TOKEN) if token is None else token, axes)


def _ordered_body(closed: Any, token_at: int, axes: frozenset) -> Any:
    """`closed` (a ClosedJaxpr) with one more input, a token at position `token_at`
    varying over `axes`, and one more output at the end, the token after its last
    LAPACK call."""
    specs = [_spec(v.aval) for v in closed.jaxpr.invars]
    specs.insert(token_at, _token_spec(axes))

    def body(*args: Any) -> Any:
        args = list(args)
        token = args.pop(token_at)
        outs, token = _run(closed.jaxpr, closed.consts, args, token)
        return (*outs, _vary(jnp.asarray(token, _TOKEN), axes))

    return jax.make_jaxpr(body)(*specs)


def _token_spec(axes: frozenset) -> Any:
    return _spec(jax.typeof(_start(None, axes)))


def _while(eqn: Any, invals: list[Any], token: Any) -> tuple[list[Any], Any]:
    """A `while` whose body calls LAPACK, with the token carried: its calls in order
    within an iteration and from one iteration to the next."""
    params = dict(eqn.params)
    cond, body = params["cond_jaxpr"], params["body_jaxpr"]
    if calls_lapack(cond):  # a condition that calls LAPACK: one unit
        outs = bind(eqn, _barrier(invals, token, every=True), params)
        return outs, _after(outs, token)
    n_carry = len(invals) - params["cond_nconsts"] - params["body_nconsts"]
    axes = _token_axes(body, token)
    specs = [_spec(v.aval) for v in cond.jaxpr.invars] + [_token_spec(axes)]
    params["cond_jaxpr"] = jax.make_jaxpr(lambda *a: core.jaxpr_as_fun(cond)(*a[:-1]))(*specs)
    params["body_jaxpr"] = _ordered_body(body, len(body.jaxpr.invars), axes)
    outs = bind(eqn, [*invals, _start(token, axes)], params)
    assert len(outs) == n_carry + 1
    return outs[:-1], outs[-1]


def _scan(eqn: Any, invals: list[Any], token: Any) -> tuple[list[Any], Any]:
    """A `scan` whose body calls LAPACK, with the token as one more carry."""
    params = dict(eqn.params)
    at = params["num_consts"] + params["num_carry"]
    axes = _token_axes(params["jaxpr"], token)
    params["jaxpr"] = _ordered_body(params["jaxpr"], at, axes)
    # the body's outputs: carry, token (moved from the end), ys
    closed = params["jaxpr"]
    jaxpr = closed.jaxpr
    n_carry = params["num_carry"]
    outvars = list(jaxpr.outvars)
    outvars.insert(n_carry, outvars.pop())
    params["jaxpr"] = core.ClosedJaxpr(jaxpr.replace(outvars=outvars), closed.consts)
    params["num_carry"] = n_carry + 1
    if "linear" in params:
        linear = list(params["linear"])
        linear.insert(at, False)
        params["linear"] = tuple(linear)
    outs = bind(eqn, [*invals[:at], _start(token, axes), *invals[at:]], params)
    return [*outs[:n_carry], *outs[n_carry + 1 :]], outs[n_carry]


def _cond(eqn: Any, invals: list[Any], token: Any) -> tuple[list[Any], Any]:
    """A `cond` whose branches call LAPACK: each branch in order, the token in and out."""
    params = dict(eqn.params)
    axes = frozenset().union(*(_token_axes(b, token) for b in params["branches"]))
    params["branches"] = tuple(
        _ordered_body(b, len(b.jaxpr.invars), axes) for b in params["branches"]
    )
    outs = bind(eqn, [*invals, _start(token, axes)], params)
    return outs[:-1], outs[-1]


def _shard_map(eqn: Any, invals: list[Any], token: Any) -> tuple[list[Any], Any]:
    """A `shard_map` whose body calls LAPACK (NetKet's sharded kernels and chunked
    gradients): its body with its calls in order, mapped again by `jax.shard_map` with
    the same mesh and specs, after the call before it as one unit (each input takes the
    token)."""
    params = eqn.params
    body = params["jaxpr"]
    if getattr(body, "constvars", ()):  # not seen: one unit
        outs = bind(eqn, _barrier(invals, token, every=True), params)
        return outs, _after(outs, token)

    def inner(*args: Any) -> tuple:
        return tuple(_run(body, (), list(args), None)[0])

    mapped = jax.shard_map(
        inner,
        mesh=params["mesh"],
        in_specs=tuple(params["in_specs"]),
        out_specs=tuple(params["out_specs"]),
        axis_names=params.get("newly_manual_axes") or frozenset(),
        check_vma=params.get("check_vma", True),
    )
    outs = list(mapped(*_barrier(invals, token, every=True)))
    return outs, _after(outs, token)


def _cpu_sub_jaxprs(eqn: Any) -> list[Any]:
    """`_sub_jaxprs(eqn)` that run on the CPU: of a `cond` made by
    `jax.lax.platform_dependent`, only the branch the CPU takes."""
    platforms = eqn.params.get("branches_platforms") if eqn.primitive.name == "cond" else None
    if not platforms:
        return _sub_jaxprs(eqn)
    branches = eqn.params["branches"]
    explicit = [b for b, names in zip(branches, platforms, strict=True) if names and "cpu" in names]
    default = [b for b, names in zip(branches, platforms, strict=True) if names is None]
    return [b.jaxpr for b in (explicit or default)]


def unordered_lapack_calls(jaxpr: Any) -> list[tuple[str, str]]:
    """The pairs of LAPACK calls of `jaxpr` (a `Jaxpr` or `ClosedJaxpr`, at any depth)
    that no data dependency orders, so that XLA may run them at the same time; a loop,
    branch or call containing LAPACK counts as one unit at its level (its inside is
    checked on its own). Each call is named `primitive#index` in its jaxpr."""
    jaxpr = getattr(jaxpr, "jaxpr", jaxpr)
    pairs: list[tuple[str, str]] = []
    depends: dict[Any, set[int]] = {}  # var -> indices of the units it depends on
    units: list[tuple[int, str, set[int]]] = []
    for k, eqn in enumerate(jaxpr.eqns):
        before: set[int] = set()
        for v in eqn.invars:
            if not isinstance(v, core.Literal):
                before |= depends.get(v, set())
        inner = [j for j in _cpu_sub_jaxprs(eqn) if calls_lapack(j)]
        for j in inner:
            pairs += unordered_lapack_calls(j)
        if eqn.primitive.name in LAPACK_PRIMITIVES or inner:
            label = f"{eqn.primitive.name}#{k}"
            for i, other, _ in units:
                if i not in before:
                    pairs.append((other, label))
            units.append((k, label, before))
            before = before | {k}
        for v in eqn.outvars:
            depends[v] = before
    return pairs
