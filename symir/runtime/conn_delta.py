"""Connection deltas: what each connected configuration changes, without building it.

`CompiledOperator.get_conn_delta(x)` returns, slot for slot with `get_conn_padded(x)`,

- `sites (..., F, k)` (int32): the sites the slot's branch writes, `k` the most sites any
  branch of the operator writes (known statically, at least 1: `delta_width(op)`);
- `values (..., F, k)` (x's dtype): the values of `xp` at those sites;
- `mels (..., F)`: the matrix elements, equal to `get_conn_padded`'s.

Convention: `values[..., f, j] == xp[..., f, sites[..., f, j]]` for every entry. A slot
that writes fewer than `k` sites repeats its first entry (same site, same value), a
slot that writes nothing (the diagonal) has `k` entries `(0, x[0])`, and a padding or
invalid branch keeps its sites with the values of `x` there. So setting
`x[sites] = values` (in any order: repeated sites carry equal values) gives exactly
`xp` (`apply_deltas`). A sum over the changes must count each site once:
`site_changes` gives `values - x[sites]` with the repeats zeroed.

The kernel is the operator's *delta kernel*: the pass `branch-return-deltas` on the
operator's `branch` level (lowering/branch/branch_return_deltas.py), lowered to
StableHLO and run through JAX like the main kernel (`compiled._delta_module`, built on
first use). It never writes `xp[B, F, N]`. It has the main kernel's batching and
differentiation rules (`compiled._kernel_call(..., outputs="deltas")`: `jax.grad` with
respect to the operator's parameters goes through `mels`). On a constrained space (a
sector) a branch that leaves the sector is padding, as in `get_conn_padded`. An
operator loaded without its branch-level IR cannot give deltas: a
`SymbolicCompilerError` of stage `deltas`.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from symir.runtime.compiled import CompiledOperator, _kernel_call, _sectors_of

__all__ = ["apply_deltas", "delta_width", "get_conn_delta", "site_changes"]


def delta_width(op: CompiledOperator) -> int:
    """`k`: the entries per slot of `op`'s deltas (builds the delta kernel)."""
    from symir.runtime.compiled import _delta_module

    return int(_delta_module(op._spec, 0).out_specs[0][0][2])


def get_conn_delta(op: CompiledOperator, x: Any) -> tuple[Any, Any, Any]:
    """`CompiledOperator.get_conn_delta`: `(sites, values, mels)` (the module docstring)."""
    flat, batch, dtype = op._kernel_input(x, "get_conn_delta")
    sites, values, mels = conn_delta_flat(op, flat)
    f, k = sites.shape[1:]
    sites = jnp.reshape(sites, (*batch, f, k))
    values = jnp.reshape(values, (*batch, f, k)).astype(dtype)
    mels = jnp.reshape(mels, (*batch, f))
    if mels.dtype != op._spec.dtype:
        mels = mels.astype(op._spec.dtype)
    return sites, values, mels


def conn_delta_flat(op: CompiledOperator, flat: Any) -> tuple[Any, Any, Any]:
    """The delta kernel on `flat (b, N)` in the kernel's configuration dtype (what
    `CompiledOperator._kernel_input` gives), the sector rule applied: `sites (b, F, k)`
    int32, `values (b, F, k)` in that dtype, `mels (b, F)`."""
    sites, values, mels = _kernel_call(op._spec, 0, "deltas")(flat, *op._params)[:3]
    sectors = _sectors_of(op._spec.hilbert)
    if sectors:
        sites, values, mels = _keep_in_sectors(flat, sites, values, mels, sectors)
    return sites, values, mels


def site_changes(x: Any, sites: Any, values: Any, dtype: Any = None) -> Any:
    """`values - x[sites]` per entry `(..., F, k)`, zero for an entry whose site an
    earlier entry of its slot names, in `dtype` (default: x's; the difference is taken
    in at least int32): summed over `k`, each changed site counts once."""
    x = jnp.asarray(x)
    n = x.shape[-1]
    batch = x.shape[:-1]
    f, k = sites.shape[-2:]
    flat = jnp.reshape(x, (-1, n))
    idx = jnp.reshape(sites, (flat.shape[0], f, k))
    wide = jnp.promote_types(flat.dtype, jnp.int32)
    old = flat[jnp.arange(flat.shape[0])[:, None, None], idx].astype(wide)
    new = jnp.reshape(values, idx.shape).astype(wide)
    change = jnp.where(_repeats(idx), jnp.zeros((), wide), new - old)
    change = jnp.reshape(change, (*batch, f, k))
    return change.astype(x.dtype if dtype is None else dtype)


def apply_deltas(x: Any, sites: Any, values: Any) -> Any:
    """`xp (..., F, N)` from `x (..., N)` and the deltas: `x` with `x[sites] = values`
    in each slot (for tests and small batches: it builds what the deltas avoid)."""
    x = jnp.asarray(x)
    f = sites.shape[-2]
    xp = jnp.broadcast_to(x[..., None, :], (*x.shape[:-1], f, x.shape[-1]))
    return jnp.put_along_axis(xp, sites, jnp.asarray(values, x.dtype), axis=-1, inplace=False)


def _repeats(sites: Any) -> Any:
    """`(..., k)`: whether an earlier entry of the slot names the same site."""
    k = sites.shape[-1]
    earlier = np.tril(np.ones((k, k), bool), -1)  # [j, l]: l < j
    same = sites[..., :, None] == sites[..., None, :]
    return jnp.any(same & earlier, axis=-1)


def _keep_in_sectors(
    x: Any, sites: Any, values: Any, mels: Any, sectors: tuple
) -> tuple[Any, Any, Any]:
    """The constrained-space rule on deltas: a connected state outside the sector is an
    invalid branch (values of `x`, `mel = 0`), as `compiled._keep_in_sectors`."""
    wide = jnp.int32
    old = x[jnp.arange(x.shape[0])[:, None, None], sites]
    change = jnp.where(_repeats(sites), 0, values.astype(wide) - old.astype(wide))
    inside = None
    for first, end, total in sectors:
        held = jnp.sum(x[:, first:end], axis=-1, dtype=wide)
        moved = jnp.sum(jnp.where((sites >= first) & (sites < end), change, 0), axis=-1)
        ok = held[:, None] + moved == total
        inside = ok if inside is None else inside & ok
    values = jnp.where(inside[..., None], values, old)
    return sites, values, jnp.where(inside, mels, jnp.zeros((), mels.dtype))
