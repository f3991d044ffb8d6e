"""Connection deltas: what each connected configuration changes, without building it.

`CompiledOperator.get_conn_delta(x)` (symir/runtime/compiled.py) returns, slot for slot
with `get_conn_padded(x)`,

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

from symir.runtime.compiled import CompiledOperator, repeated_sites

__all__ = ["apply_deltas", "delta_width", "site_changes"]


def delta_width(op: CompiledOperator) -> int:
    """`k`: the entries per slot of `op`'s deltas (builds the delta kernel)."""
    return op.delta_width


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
    change = jnp.where(repeated_sites(idx), jnp.zeros((), wide), new - old)
    change = jnp.reshape(change, (*batch, f, k))
    return change.astype(x.dtype if dtype is None else dtype)


def needed_slots(
    x: Any, sites: Any, values: Any, mels: Any, skip_zero_mels: bool, active: Any = None
) -> Any:
    """`(b, F)`: the slots whose network value is needed, those that change `x` (and, with
    `skip_zero_mels`, have a nonzero matrix element), of the samples `active` (b,) keeps
    (all when None: `dedup.only_active`)."""
    from symir.runtime.dedup import only_active

    needed = jnp.any(site_changes(x, sites, values) != 0, axis=-1)
    if skip_zero_mels:
        needed = needed & (mels != 0)
    return only_active(needed, active)


def apply_deltas(x: Any, sites: Any, values: Any) -> Any:
    """`xp (..., F, N)` from `x (..., N)` and the deltas: `x` with `x[sites] = values`
    in each slot (for tests and small batches: it builds what the deltas avoid)."""
    x = jnp.asarray(x)
    f = sites.shape[-2]
    xp = jnp.broadcast_to(x[..., None, :], (*x.shape[:-1], f, x.shape[-1]))
    return jnp.put_along_axis(xp, sites, jnp.asarray(values, x.dtype), axis=-1, inplace=False)
