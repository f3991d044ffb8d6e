"""symir's local-energy kernel inside NetKet: `MCState` + `NetKetOperator`.

`register(NetKetOperator)` (the NetKet adapter, `symir.integrations.netket`, calls it on
import; this module does not import the adapter) registers NetKet's dispatch rules `get_local_kernel(vstate: MCState, op: NetKetOperator)` and its
chunked variant `get_local_kernel(vstate, op, chunk_size: int)`, so that
`vstate.expect(op)`, `vstate.expect_and_grad(op)`, `vstate.local_estimators(op)` and the
VMC drivers compute local energies with `symir.local_energies`
(`symir/runtime/local_energy.py`): the network is evaluated only on the connected states
that differ from the sample. `get_local_kernel_arguments` is NetKet's own for a
`DiscreteJaxOperator` (the samples and the operator).

With NetKet's sharding on (`nk.config.netket_sharding`, its default) and several
devices the kernel runs on each device's samples inside `shard_map` (NetKet's
`sharding_decorator`), so that the compaction of connected states is per device, not a
global operation; with it off, or on one device, it is the plain function (inside
`shard_map` the network's rest runs without `symir.runtime.fewer_logs`' rewrites).

`set_local_energy_kernel(False)` (or `SYMIR_NETKET_LOCAL_ENERGY=0` in the environment)
gives NetKet's own kernels back for symir operators. The kernel is chosen by
measurement the first time (`symir.integrations.netket_measured`): symir's, or NetKet's
padded or packed kernel on symir's operator where that ran faster (small systems), so
that it is never slower than NetKet's; with a `chunk_size`, symir's chunked kernel or
NetKet's.

Fast updates are picked automatically: when the state's model supports them (NetKet's
`RBM`, `RBMModPhase`, or a module with `fast_theta` / `fast_logpsi`:
`symir/runtime/fast_updates.py`), the kernel is `local_value_kernel` with
`fast_updates=model`, which evaluates the connected states from the first layer and the
operator's deltas (exact like the full evaluation, to rounding). `set_fast_updates(False)`
(or `SYMIR_FAST_UPDATES=0`) turns this off.

`set_local_energy_dedup(True)` (or `SYMIR_NETKET_LOCAL_ENERGY_DEDUP=1`) makes the kernel
`local_value_kernel_dedup`: `symir.local_energies(..., dedup=True)`, which evaluates the
connected states of one sample that are equal at run time once (off by default:
docs/local-energy.md says when it pays; when on, it is used instead of fast updates, which
never build the connected states it compares). A separate function, so that NetKet's
jitted `expect` compiles anew when the switch changes.

`vstate.expect_and_grad(op)` and `vstate.expect_and_forces(op)` of a hermitian operator
run NetKet's program (`forces_expect_hermitian`, or its chunked variant: the local
energies, their statistics and the gradient pass over the samples) with every LAPACK
call of the whole program in one order (`ordered_expect_and_forces`,
`symir.runtime.lapack_order`); with real parameters and no mutable state, its gradient
pass is one backward pass of `logpsi` (`symir_expect_and_forces`; chunked, one per chunk
of samples), where NetKet's `nkjax.vjp` (and `vjp_chunked`) makes four for a complex `logpsi` (`Slater2nd`, `RBMModPhase`) and
two for complex local energies: the same forces to rounding. The order matters because
independent batched LAPACK calls (the two spin sectors of `Slater2nd` in the gradient
pass, or the gradient pass beside the local energies' loops) deadlocked XLA's CPU pool
on a two-core machine (issue 36); for a network without LAPACK calls it changes nothing.
"""

import functools
import os
from typing import Any

import jax
import jax.numpy as jnp
from netket.jax.sharding import sharding_decorator
from netket.operator import DiscreteJaxOperator
from netket.stats import statistics
from netket.utils import HashablePartial
from netket.vqs import MCMixedState, MCState, expect_and_forces
from netket.vqs.mc import get_local_kernel, get_local_kernel_arguments, kernels
from netket.vqs.mc.common import check_hilbert
from netket.vqs.mc.mc_state.expect_grad import expect_and_grad_nonhermitian

from symir.integrations import netket_measured
from symir.runtime.lapack_order import lapack_ordered
from symir.runtime.local_energy import local_energies

__all__ = [
    "local_value_kernel",
    "local_value_kernel_dedup",
    "nonhermitian_expect_and_grad",
    "ordered_expect_and_forces",
    "register",
    "set_fast_updates",
    "set_local_energy_dedup",
    "set_local_energy_kernel",
]

_OFF = ("0", "false", "False")
_ENABLED = [os.environ.get("SYMIR_NETKET_LOCAL_ENERGY", "1") not in _OFF]
_FAST = [os.environ.get("SYMIR_FAST_UPDATES", "1") not in _OFF]
_DEDUP = [os.environ.get("SYMIR_NETKET_LOCAL_ENERGY_DEDUP", "0") not in (*_OFF, "")]


def set_fast_updates(enabled: bool) -> None:
    """Use fast updates in symir's kernel where the state's model supports them (True,
    the default) or always evaluate the network on the connected states (False). Takes
    effect for the next `expect` call."""
    _FAST[0] = bool(enabled)


def set_local_energy_dedup(enabled: bool) -> None:
    """Evaluate equal connected states of one sample once (True) or not (False, the
    default) in symir's kernel for symir operators in NetKet. Takes effect for the next
    `expect` call."""
    _DEDUP[0] = bool(enabled)


def set_local_energy_kernel(enabled: bool) -> None:
    """Use symir's local-energy kernel for symir operators in NetKet (True, the default)
    or NetKet's own padded kernels (False). Takes effect for the next `expect` call."""
    _ENABLED[0] = bool(enabled)


def local_value_kernel(
    logpsi: Any,
    pars: Any,
    samples: Any,
    op: Any,
    *,
    chunk_size: int | None = None,
    fast_updates: Any = False,
) -> Any:
    """NetKet's local kernel signature (`local_value_kernel_jax`, and with `chunk_size`
    its chunked variant): `symir.local_energies` on each device's samples
    (`fast_updates`: its option, the state's model when the kernel is picked for one)."""
    kernel = HashablePartial(_per_device, logpsi, chunk_size=chunk_size, fast_updates=fast_updates)
    return _on_each_device(kernel)(pars, samples, op)


def local_value_kernel_dedup(
    logpsi: Any, pars: Any, samples: Any, op: Any, *, chunk_size: int | None = None
) -> Any:
    """`local_value_kernel` with runtime deduplication (`dedup=True`)."""
    kernel = HashablePartial(_per_device, logpsi, chunk_size=chunk_size, dedup=True)
    return _on_each_device(kernel)(pars, samples, op)


def _on_each_device(kernel: Any) -> Any:
    """`kernel(pars, samples, op)` on each device's samples: NetKet's `sharding_decorator`
    (`shard_map` with its sharding on) over several devices, the kernel itself on one.
    Inside `shard_map`'s manual axes the network's rest runs as written
    (`symir.runtime.fewer_logs`), without its logarithms of products and vectorised
    logarithms: on one device the `shard_map` would cost those and split nothing."""
    if jax.device_count() == 1:
        return kernel
    return sharding_decorator(
        kernel, sharded_args_tree=(False, True, False), pvary_args_tree=(True, False, False)
    )


def _per_device(logpsi, pars, samples, op, *, chunk_size, fast_updates=False, dedup=False):
    if not isinstance(fast_updates, bool | str) and not _are_variables(pars):
        # NetKet's gradient of a non-hermitian operator passes the bare parameters and
        # a `logpsi` of its own (`apply({"params": w, ...})`), not the model's variables
        # the adapter reads: the network's own program is split instead
        fast_updates = "auto"
    return local_energies(
        logpsi,
        pars,
        samples,
        op,
        chunk_size=chunk_size,
        fast_updates=fast_updates,
        dedup=dedup,
    )


def _are_variables(pars: Any) -> bool:
    """Whether `pars` are a Flax module's variables (`{"params": ..., ...}`), what
    NetKet's `expect` passes its kernel, and not the bare parameters."""
    return hasattr(pars, "keys") and "params" in pars


def _kernel_for(vstate: MCState) -> Any:
    """`local_value_kernel`, with `fast_updates=model` when the state's model (a Flax
    module, whose `apply` NetKet calls) has an adapter and they are on, else
    `fast_updates="auto"` (the network's own split where it pays);
    `local_value_kernel_dedup` when runtime deduplication is on."""
    if _DEDUP[0]:
        return local_value_kernel_dedup
    if _FAST[0]:
        from flax import linen

        from symir.runtime.fast_updates import fast_updates_for

        model = getattr(vstate, "model", None)
        if isinstance(model, linen.Module) and fast_updates_for(model) is not None:
            return HashablePartial(local_value_kernel, fast_updates=model)
        # any other network: its own program split where that applies and pays
        # (symir/runtime/network_split.py; local_energies' choose_path)
        return HashablePartial(local_value_kernel, fast_updates="auto")
    return local_value_kernel


def ordered_expect_and_forces(
    vstate: MCState, op: Any, chunk_size: int | None = None, *, mutable: Any = False
) -> Any:
    """NetKet's `expect_and_forces(vstate, op, chunk_size)` (any operator NetKet has a
    local kernel for: symir's, NetKet's own, with its default or packed kernel) computed
    by NetKet's jitted implementation with the LAPACK calls of the whole program in one
    order (`lapack_ordered`). Returns the statistics and the forces."""
    from netket.vqs.mc.mc_state import expect_forces, expect_forces_chunked

    samples, arguments = get_local_kernel_arguments(vstate, op)
    if chunk_size is None:
        impl = expect_forces.forces_expect_hermitian
        static = (get_local_kernel(vstate, op), vstate._apply_fun, mutable)
    else:
        impl = expect_forces_chunked.forces_expect_hermitian_chunked
        kernel = get_local_kernel(vstate, op, chunk_size)
        static = (chunk_size, kernel, vstate._apply_fun, mutable)
    stats, forces, model_state = _ordered_forces(
        impl, static, vstate.parameters, vstate.model_state, samples, arguments
    )
    if mutable is not False:
        vstate.model_state = model_state
    return stats, forces


@functools.partial(jax.jit, static_argnums=(0, 1))
def _ordered_forces(impl: Any, static: tuple, *args: Any) -> Any:
    """`impl` (one of NetKet's jitted `forces_expect_hermitian*`) on `static` and `args`,
    traced from its Python function and evaluated with its LAPACK calls in order."""
    return lapack_ordered(functools.partial(impl.__wrapped__, *static))(*args)


def symir_expect_and_forces(
    vstate: MCState, op: Any, chunk_size: int | None = None, *, mutable: Any = False
) -> Any:
    """`expect_and_forces(vstate, op, chunk_size)` for a symir operator: NetKet's
    `forces_expect_hermitian` program, or its chunked variant (the local energies, their
    statistics, the forces `conj(J^T conj(O_loc - mean) / n)`, `J` the Jacobian of
    `logpsi` on the samples), with its LAPACK calls in one order, except that for real
    parameters the forces take one backward pass of `logpsi` (`_real_parameter_forces`)
    where NetKet's `nkjax.vjp` (and `vjp_chunked`, per chunk) takes four (a complex
    `logpsi`: the real and imaginary parts each pulled back with the real and imaginary
    cotangents) or two (a real `logpsi` and complex local energies). Chunked, the pass
    runs on `chunk_size` samples at a time, as NetKet's does (`_chunked_forces`). A
    mutable model state, or complex parameters, run NetKet's program
    (`ordered_expect_and_forces`)."""
    parameters = vstate.parameters
    if mutable is not False or any(
        jnp.iscomplexobj(leaf) for leaf in jax.tree_util.tree_leaves(parameters)
    ):
        return ordered_expect_and_forces(vstate, op, chunk_size, mutable=mutable)
    samples, arguments, kernel = _kernel_and_arguments(vstate, op, chunk_size)
    if chunk_size is not None:
        kernel = HashablePartial(kernel, chunk_size=chunk_size)
    return _symir_forces(
        kernel,
        vstate._apply_fun,
        chunk_size,
        parameters,
        vstate.model_state,
        samples,
        arguments,
    )


_REGISTERED: set = set()
"""The operator types `register` put in NetKet's dispatch."""


def _kernel_and_arguments(vstate: MCState, op: Any, chunk_size: int | None) -> tuple:
    """`(samples, arguments, kernel)`: what NetKet's `get_local_kernel_arguments` and
    `get_local_kernel` return for `op`, without their dispatch where `op` is of a type
    `register`ed here (NetKet's arguments of a `DiscreteJaxOperator`, the samples and the
    operator after the Hilbert spaces' check; the kernel `_local_kernel`): the two
    dispatches cost 0.37 ms of CPU a call (Heisenberg 4x4 MLP(32, 32), `expect_and_grad`
    6.6 ms; the compiled program 6.2)."""
    if type(op) not in _REGISTERED:
        args = get_local_kernel_arguments(vstate, op)
        if chunk_size is None:
            return (*args, get_local_kernel(vstate, op))
        return (*args, get_local_kernel(vstate, op, chunk_size))
    check_hilbert(vstate.hilbert, op.hilbert)
    return vstate.samples, op, _local_kernel(vstate, op, chunk_size)


def _local_kernel(vstate: MCState, op: Any, chunk_size: int | None = None) -> Any:
    """The local kernel NetKet runs for a registered `op`: symir's kernel or NetKet's,
    whichever ran faster (`netket_measured`, measured once), chunked with a
    `chunk_size`; NetKet's own where symir's local-energy kernel is off."""
    if not _ENABLED[0]:
        if chunk_size is None:
            return kernels.local_value_kernel_jax
        return kernels.local_value_kernel_jax_chunked
    kernel = _kernel_for(vstate)
    alternatives = (
        {}
        if kernel in (local_value_kernel, local_value_kernel_dedup)
        else {"symir-plain": local_value_kernel}
    )
    if netket_measured.measures(vstate, op, kernel, chunk_size) and _split_not_chosen(
        vstate, op, kernel
    ):
        alternatives["symir-split"] = HashablePartial(local_value_kernel, fast_updates=True)
    return netket_measured.choose(vstate, op, kernel, chunk_size, alternatives)


def _split_not_chosen(vstate: MCState, op: Any, kernel: Any) -> bool:
    """Whether `kernel` is symir's `"auto"` kernel, the network's program splits, and the
    cost model takes another path for it (the padded or compacted evaluation): the split
    is then measured too, the model's estimate of it being a guess (TFIM 4x4 with
    `MLP(32, 32)`, 1,024 samples: the model takes the padded path, 4.2 ms of CPU, where
    the split takes 3.7)."""
    from symir.runtime.local_energy import choose_path, local_energy_plan

    if getattr(kernel, "keywords", {}).get("fast_updates") != "auto":
        return False
    x = vstate.samples.reshape(-1, vstate.samples.shape[-1])
    path = choose_path(
        vstate._apply_fun, vstate.variables, x, op, local_energy_plan(op), padded=True
    )
    # the split was costed only where it applies
    return "derived" in path.costs and path.name not in ("derived", "determinant")


@functools.partial(jax.jit, static_argnums=(0, 1, 2))
def _symir_forces(kernel, apply_fun, chunk_size, parameters, model_state, samples, arguments):
    def program(parameters, model_state, samples, arguments):
        chains = samples.shape[0]
        x = jax.lax.collapse(samples, 0, 2) if samples.ndim >= 3 else samples
        local = kernel(apply_fun, {"params": parameters, **model_state}, x, arguments)
        stats = statistics(local.reshape((chains, -1)))
        centered = jnp.conjugate(local - stats.mean) / x.shape[0]

        def logpsi(w, x):
            return apply_fun({"params": w, **model_state}, x)

        forces = _chunked_forces(logpsi, parameters, x, centered, chunk_size)
        return stats, forces

    return lapack_ordered(program)(parameters, model_state, samples, arguments)


def _chunked_forces(
    logpsi: Any, parameters: Any, x: Any, cotangent: Any, chunk_size: int | None
) -> Any:
    """`_real_parameter_forces` of `w -> logpsi(w, x)`, on all of `x` at once
    (`chunk_size` None or at least the samples) or summed over chunks of `chunk_size`
    samples (a `lax.scan` over the whole chunks, then the remaining samples), so that a
    backward pass holds one chunk's intermediates, as NetKet's `vjp_chunked`."""
    n = x.shape[0]
    if chunk_size is None or chunk_size >= n:
        return _real_parameter_forces(lambda w: logpsi(w, x), parameters, cotangent)
    whole = n - n % chunk_size

    def chunk(x, c):
        return _real_parameter_forces(lambda w: logpsi(w, x), parameters, c)

    def body(total, xc):
        part = chunk(*xc)
        return jax.tree_util.tree_map(jnp.add, total, part), None

    split = (
        jnp.reshape(x[:whole], (-1, chunk_size, *x.shape[1:])),
        jnp.reshape(cotangent[:whole], (-1, chunk_size)),
    )
    first = chunk(split[0][0], split[1][0])
    total, _ = jax.lax.scan(body, first, (split[0][1:], split[1][1:]))
    if whole < n:
        total = jax.tree_util.tree_map(jnp.add, total, chunk(x[whole:], cotangent[whole:]))
    return total


def _real_parameter_forces(
    logpsi: Any, parameters: Any, cotangent: Any, *, batched: bool = True
) -> Any:
    """The forces of `_value_and_forces`, without the value."""
    return _value_and_forces(logpsi, parameters, cotangent, batched=batched)[1]


def _value_and_forces(
    logpsi: Any, parameters: Any, cotangent: Any, *, batched: bool = True
) -> tuple[Any, Any]:
    """`(logpsi(parameters), conj(J^T c))` for real `parameters`, `J` the Jacobian of
    `logpsi` and `c` the cotangent, as NetKet's `nkjax.vjp(..., conjugate=True)` gives
    it, in one forward and one backward pass. A real `logpsi` and a real `c`: `J^T c`,
    real. Otherwise, with `g(w) = (Re logpsi, Im logpsi)`, `Re J^T c = g^T (Re c, -Im c)`
    and `Im J^T c = g^T (Im c, Re c)`, the two pulled back together (`vmap` over the
    cotangents), complex; with `batched` False, one after the other (a `logpsi` with a
    reverse-mode rule of its own, such as `local_energies` inside NetKet's `shard_map`,
    whose rule `vmap` cannot batch)."""
    c = jnp.asarray(cotangent)
    if not jnp.iscomplexobj(c) and not jnp.iscomplexobj(jax.eval_shape(logpsi, parameters)):
        out, pullback = jax.vjp(logpsi, parameters)
        return out, pullback(c.astype(out.dtype))[0]
    out, pullback = jax.vjp(lambda w: _parts(logpsi(w)), parameters)
    value = jax.lax.complex(out[0], out[1])
    re, im = jnp.real(c).astype(out.dtype), jnp.imag(c).astype(out.dtype)
    if batched:
        (pulled,) = jax.vmap(pullback)(jnp.stack([jnp.stack([re, -im]), jnp.stack([im, re])]))
        return value, jax.tree_util.tree_map(lambda g: jnp.conjugate(g[0] + 1j * g[1]), pulled)
    (real,), (imag,) = pullback(jnp.stack([re, -im])), pullback(jnp.stack([im, re]))
    return value, jax.tree_util.tree_map(lambda a, b: jnp.conjugate(a + 1j * b), real, imag)


def _why_not_hermitian(op: Any) -> str:
    """What symir knows of why `op` (its NetKet adapter) is not hermitian, and how to
    declare it, for the error of a non-hermitian gradient: an operator written by hand
    (a Heisenberg exchange `emit_if(x_i != x_j, swap("i", "j"), ...)` on 16 sites, not
    declared) is hermitian more often than symir can prove it."""
    source = getattr(op, "_source", None)
    how = getattr(source, "hermiticity", None)
    if not how or how[0]:
        return ""
    return (
        f". symir did not establish that operator {source.name!r} is hermitian ({how[1]}); "
        "if it is, declare it: sym.DOperator(hilbert, name, hermitian=True)"
    )


def nonhermitian_expect_and_grad(
    vstate: MCState, op: Any, chunk_size: int | None = None, *, mutable: Any = False
) -> Any:
    """`vstate.expect_and_grad(op)` of a non-hermitian symir operator: NetKet's
    `expect_and_grad_nonhermitian`, except for real parameters, where the gradient is
    computed here: `conj(G)`, `G = d/dw mean(dO machine_pow Re logpsi(w) + O_loc(w))`
    (`dO = O_loc - mean`, NetKet's estimator of `d<O>/dw`, the real and imaginary parts
    differentiated apart), which is what NetKet's own code gives wherever it is right.

    NetKet's program (`_grad_expect_nonherm_kernel`: `nkjax.vjp` of `nkjax.expect`, whose
    backward pass calls `nkjax.vjp` again on the parameters, the samples and the
    operator) takes its real-to-complex path twice when no input is complex, and that
    nesting doubles the gradient: real parameters and complex local energies, with an
    operator of no complex array (a symir operator's pytree holds its parameters only,
    NetKet's `LocalOperatorJax` holds its complex matrix elements). Measured: an RBM of
    real parameters, `0.3+0.2i sum_i sigma^-_i` on 8 spins, the gradient twice NetKet's
    `LocalOperator`'s and its `LocalOperatorJax`'s, both equal to the estimator above;
    NetKet's own `RBMModPhase` with a real non-hermitian `LocalOperator` is doubled the same
    way (the value here is the estimator's there too, not NetKet's).

    Complex parameters and mutable model states keep NetKet's program. With a
    `chunk_size` NetKet has no chunked program (it warns and runs the whole batch); here
    the gradient of `Re logpsi` is taken in chunks of `chunk_size` samples."""
    from netket import config

    parameters = vstate.parameters
    if mutable is not False or any(
        jnp.iscomplexobj(leaf) for leaf in jax.tree_util.tree_leaves(parameters)
    ):
        netket = expect_and_grad_nonhermitian.invoke(MCState, object, type(None))
        return netket(vstate, op, None, mutable=mutable)
    if not config.netket_experimental:
        raise RuntimeError(
            "the gradient of a non-hermitian operator is experimental in NetKet; set "
            "NETKET_EXPERIMENTAL=1 to compute it (NetKet's own condition)" + _why_not_hermitian(op)
        )
    samples, arguments, kernel = _kernel_and_arguments(vstate, op, None)
    return _nonhermitian_grad(
        kernel,
        vstate._apply_fun,
        chunk_size,
        vstate.sampler.machine_pow,
        parameters,
        vstate.model_state,
        samples,
        arguments,
    )


@functools.partial(jax.jit, static_argnums=(0, 1, 2))
def _nonhermitian_grad(
    kernel, apply_fun, chunk_size, machine_pow, parameters, model_state, samples, arguments
):
    def program(parameters, model_state, samples, arguments):
        chains = samples.shape[0]
        x = jax.lax.collapse(samples, 0, 2) if samples.ndim >= 3 else samples
        n = x.shape[0]

        def logpsi(w, x):
            return apply_fun({"params": w, **model_state}, x)

        def local(w):  # bare parameters, as NetKet's program passes them
            return kernel(logpsi, w, x, arguments)

        # the local energies and conj(d mean(O_loc)/dw) from one forward pass
        values, direct = _value_and_forces(
            local, parameters, jnp.full((n,), 1.0 / n), batched=False
        )
        stats = statistics(values.reshape((chains, -1)))

        def log_pdf(w, x):
            return machine_pow * jnp.real(apply_fun({"params": w, **model_state}, x))

        # + conj(d mean(dO log_pdf)/dw), dO held constant
        score = _chunked_forces(log_pdf, parameters, x, (values - stats.mean) / n, chunk_size)
        return stats, jax.tree_util.tree_map(jnp.add, direct, score)

    return lapack_ordered(program)(parameters, model_state, samples, arguments)


def _parts(value: Any) -> Any:
    """`(Re value, Im value)` stacked (a real value's imaginary part is zero)."""
    return jnp.stack([jnp.real(value), jnp.imag(value)])


def register(operator_type: type) -> None:
    """Registers the kernel in NetKet's dispatch for `MCState` and `operator_type` (the
    adapter's `NetKetOperator`), unchunked and chunked, and `expect_and_forces` with its
    LAPACK calls in order (`ordered_expect_and_forces`), and the gradient of a
    non-hermitian operator (`nonhermitian_expect_and_grad`)."""

    @get_local_kernel.dispatch
    def _get_local_kernel(vstate: MCState, op: operator_type):
        return _local_kernel(vstate, op)

    @get_local_kernel.dispatch
    def _get_local_kernel_chunked(vstate: MCState, op: operator_type, chunk_size: int):
        return _local_kernel(vstate, op, chunk_size)

    # an MCMixedState is an MCState: NetKet's own rule for the mixed state and a jax
    # operator (the adapter is one) is taken, not plum's ambiguity between the two
    @get_local_kernel.dispatch
    def _get_local_kernel_mixed(vstate: MCMixedState, op: operator_type):
        return get_local_kernel.invoke(MCMixedState, DiscreteJaxOperator)(vstate, op)

    @get_local_kernel.dispatch
    def _get_local_kernel_mixed_chunked(vstate: MCMixedState, op: operator_type, chunk_size: int):
        rule = get_local_kernel.invoke(MCMixedState, DiscreteJaxOperator, int)
        return rule(vstate, op, chunk_size)

    _REGISTERED.add(operator_type)

    @expect_and_grad_nonhermitian.dispatch
    def _nonhermitian(vstate: MCState, op: operator_type, chunk_size: None, *, mutable=False):
        return nonhermitian_expect_and_grad(vstate, op, mutable=mutable)

    @expect_and_grad_nonhermitian.dispatch
    def _nonhermitian_chunked(
        vstate: MCState, op: operator_type, chunk_size: int, *, mutable=False
    ):
        return nonhermitian_expect_and_grad(vstate, op, chunk_size, mutable=mutable)

    @expect_and_forces.dispatch
    def _expect_and_forces(vstate: MCState, op: operator_type, chunk_size: None, *, mutable=False):
        return symir_expect_and_forces(vstate, op, mutable=mutable)

    @expect_and_forces.dispatch
    def _expect_and_forces_chunked(
        vstate: MCState, op: operator_type, chunk_size: int, *, mutable=False
    ):
        return symir_expect_and_forces(vstate, op, chunk_size, mutable=mutable)
