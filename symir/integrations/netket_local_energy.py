"""symir's local-energy kernel inside NetKet: `MCState` + `NetKetOperator`.

`register(NetKetOperator)` (the NetKet adapter, `symir.integrations.netket`, calls it on
import; this module does not import the adapter) registers NetKet's dispatch rules `get_local_kernel(vstate: MCState, op: NetKetOperator)` and its
chunked variant `get_local_kernel(vstate, op, chunk_size: int)`, so that
`vstate.expect(op)`, `vstate.expect_and_grad(op)`, `vstate.local_estimators(op)` and the
VMC drivers compute local energies with `symir.local_energies`
(`symir/runtime/local_energy.py`): the network is evaluated only on the connected states
that differ from the sample. `get_local_kernel_arguments` is NetKet's own for a
`DiscreteJaxOperator` (the samples and the operator).

With NetKet's sharding on (`nk.config.netket_sharding`, its default) the kernel runs on
each device's samples inside `shard_map` (NetKet's `sharding_decorator`), so that the
compaction of connected states is per device, not a global operation; with it off, or
on one device, it is the plain function.

`set_local_energy_kernel(False)` (or `SYMIR_NETKET_LOCAL_ENERGY=0` in the environment)
gives NetKet's own kernels back for symir operators.

Fast updates are picked automatically: when the state's model supports them (NetKet's
`RBM`, `RBMModPhase`, `Jastrow`, or a module with `fast_theta` / `fast_logpsi`:
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
"""

import os
from typing import Any

from netket.jax.sharding import sharding_decorator
from netket.utils import HashablePartial
from netket.vqs import MCState
from netket.vqs.mc import get_local_kernel, kernels

from symir.runtime.local_energy import local_energies

__all__ = [
    "local_value_kernel",
    "local_value_kernel_dedup",
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
    return sharding_decorator(
        kernel, sharded_args_tree=(False, True, False), pvary_args_tree=(True, False, False)
    )(pars, samples, op)


def local_value_kernel_dedup(
    logpsi: Any, pars: Any, samples: Any, op: Any, *, chunk_size: int | None = None
) -> Any:
    """`local_value_kernel` with runtime deduplication (`dedup=True`)."""
    kernel = HashablePartial(_per_device, logpsi, chunk_size=chunk_size, dedup=True)
    return sharding_decorator(
        kernel, sharded_args_tree=(False, True, False), pvary_args_tree=(True, False, False)
    )(pars, samples, op)


def _per_device(logpsi, pars, samples, op, *, chunk_size, fast_updates=False, dedup=False):
    return local_energies(
        logpsi,
        pars,
        samples,
        op,
        chunk_size=chunk_size,
        fast_updates=fast_updates,
        dedup=dedup,
    )


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


def register(operator_type: type) -> None:
    """Registers the kernel in NetKet's dispatch for `MCState` and `operator_type` (the
    adapter's `NetKetOperator`), unchunked and chunked."""

    @get_local_kernel.dispatch
    def _get_local_kernel(vstate: MCState, op: operator_type):
        if not _ENABLED[0]:
            return kernels.local_value_kernel_jax
        return _kernel_for(vstate)

    @get_local_kernel.dispatch
    def _get_local_kernel_chunked(vstate: MCState, op: operator_type, chunk_size: int):
        if not _ENABLED[0]:
            return kernels.local_value_kernel_jax_chunked
        return _kernel_for(vstate)
