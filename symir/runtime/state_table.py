"""Local energies from a table of the network on every configuration of a small space.

Where the space has few configurations against the batch's connected states (TFIM 3x4:
4,096 configurations, 1,024 samples x 12 flips), evaluating the network once on every
configuration costs less than evaluating it on the connected states, even once per
distinct state (`batch_dedup`): one batched call of the whole network (no compaction,
no keys, no hash table, no gathered rows), after which each connected state's value is
one read of the table at its index. The index is the mixed-radix number of the state's
digits (its local states' positions), site `i` weighted by `S^i` (`S` local states), so
a connected state's index is its sample's plus `(new - old) S^site` of each change of
its slot (`batch_dedup.state_keys`, from the operator's deltas): `x'` is never written.

    E_loc(x) = sum_x' <x|H|x'> exp(table[index(x')] - table[index(x)])

`local_energy.choose_path` costs it (`"table"`: `S^N (P + R) / B` per sample for the
network, `P + R` its cost on one state, plus `SLOT_COST` per candidate slot) against the
other paths, where the space has no fixed sum (a constrained space's configurations
outside its sector are not states a network is meant to see) and has at most
`MAX_STATES` configurations, and where no `chunk_size` or `capacity` bounds the rows of
one network call. The table is evaluated `BLOCK` configurations at a time, so its
memory is that of one such block of the network, not of the whole space.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from symir.runtime.batch_dedup import sector_size, state_keys

__all__ = ["BLOCK", "MAX_STATES", "SLOT_COST", "table_block", "why_not"]

MAX_STATES = 1 << 16
"""The most configurations of a space whose table is considered."""

BLOCK = 4096
"""Configurations per network call while the table is filled (a `lax.map` over blocks
above this): the memory of the network's activations on one block."""

SLOT_COST = 40
"""Element operations per candidate slot (`local_energy.choose_path`'s units): the
slot's index from its changes, the table's two reads, the exponential and the sum."""


def why_not(compiled: Any) -> str | None:
    """None where the table path may be costed for `compiled`'s space, else why not."""
    space = compiled.space
    states = len(space.local_states) ** int(space.size)
    if states > MAX_STATES:
        return f"table: {states} configurations, more than {MAX_STATES}"
    if sector_size(space, compiled.sectors) != states:
        return "table: the space fixes a sum (a sector), not every configuration is a state"
    return None


def configurations(states: np.ndarray, sites: int, dtype: Any) -> Any:
    """Every configuration of `sites` sites `(S^sites, sites)` in index order (site `i`
    weighted `S^i`), computed in the program by broadcasts, not stored in it: site `i`'s
    digit is axis `sites - 1 - i` of the `(S,) * sites` index grid."""
    s = len(states)
    values = jnp.asarray(states, dtype)
    grid = (s,) * sites
    columns = [jax.lax.broadcast_in_dim(values, grid, (sites - 1 - i,)) for i in range(sites)]
    return jnp.reshape(jnp.stack(columns, axis=-1), (s**sites, sites))


def table(logpsi: Any, params: Any, states: np.ndarray, n: int, dtype: Any) -> Any:
    """`logpsi` of every configuration `(S^N,)`, in index order, at most `BLOCK` (or
    `S` times fewer) at a time: a block is every configuration of the first `m` sites
    with the last `N - m` sites' digits from the block's number."""
    s = len(states)
    m = n
    while m > 1 and s**m > BLOCK:
        m -= 1
    low = configurations(states, m, dtype)
    if m == n:
        return logpsi(params, low)
    values = jnp.asarray(states, dtype)
    weights = jnp.asarray(s ** np.arange(n - m, dtype=np.int64), jnp.int32)

    def block(number: Any) -> Any:
        high = values[(number // weights) % s]
        rows = jnp.broadcast_to(high[None, :], (low.shape[0], n - m))
        return logpsi(params, jnp.concatenate([low, rows], axis=-1))

    values_of = jax.lax.map(block, jnp.arange(s ** (n - m), dtype=jnp.int32))
    return jnp.reshape(values_of, (s**n,))


def table_block(
    logpsi: Any,
    params: Any,
    x: Any,
    compiled: Any,
    plan: Any,
    capacity: int,
    skip_zero_mels: bool,
    active: Any = None,
) -> Any:
    """The local energies of one block of samples `x (b, N)` from the table of every
    configuration (the module docstring). With `skip_zero_mels`, a slot whose matrix
    element is zero reads its own sample's value (a term `0 x 1`, as the other paths
    leave it out: no `0 x inf` where the network gives that state a far larger
    amplitude). `capacity` and `active` are not used (no row is evaluated, the repeated
    samples' reads cost nothing)."""
    from symir.runtime.compiled import repeated_sites
    from symir.runtime.fast_updates import state_index
    from symir.runtime.slots import split_diagonal

    del capacity, active
    n = x.shape[1]
    states = np.asarray(compiled.space.local_states)
    flat, _, _ = compiled._kernel_input(x, "local_energies")
    sites, values, mels, old, keep = compiled._conn_delta_parts(flat)
    if mels.dtype != compiled.dtype:
        mels = mels.astype(compiled.dtype)
    if keep is not None:  # the sector rule: a slot not kept has no element, no change
        values = jnp.where(keep[..., None], values, old)
        mels = jnp.where(keep, mels, jnp.zeros((), mels.dtype))
    values_of = table(logpsi, params, states, n, flat.dtype)
    index = state_index(states, flat.dtype)
    digits = index(flat)
    weights = jnp.asarray(len(states) ** np.arange(n, dtype=np.int64), jnp.int32)
    own = jnp.sum(digits * weights, axis=-1)
    logpsi_x = values_of[own]
    total, (sites, values, mels, old) = split_diagonal(
        plan, mels, logpsi_x.dtype, (sites, values, mels, old)
    )
    if not plan.candidates:
        return total
    sites = sites.astype(jnp.int32)
    old_i = index(old)
    new_i = jnp.where(repeated_sites(sites), old_i, index(values.astype(flat.dtype)))
    keys = state_keys(digits, sites, old_i, new_i, len(states)).astype(jnp.int32)
    if skip_zero_mels:
        keys = jnp.where(mels != 0, keys, own[:, None])
    ratio = jnp.exp(values_of[keys] - logpsi_x[:, None])
    return total + jnp.sum(mels * ratio, axis=-1)
