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

On a constrained space (NetKet's `Spin(total_sz=)`, `Fock(n_particles=)`, fermions
with fixed particle numbers: fixed sums over site ranges) the network runs on the
sector's states only (H2O STO-3G: 441 of 16,384 configurations), listed once in numpy
with their indices, and the table of every configuration holds their values, `-inf`
elsewhere: an index stays one sum of the changes, and a slot leaving the sector (which
the operator's sector rule gives a zero element) contributes `0 x exp(-inf) = 0`. A
sample outside the sector keeps every branch (docs/semantics.md), on states the table
does not hold: a batch with one takes the compacted plain path (`lax.cond`).

`local_energy.choose_path` costs it (`"table"`: `M (P + R) / B` per sample for the
network on the `M` states, `P + R` its cost on one state, plus `SLOT_COST` per candidate
slot) against the other paths, where the space has at most `MAX_STATES` states and
`MAX_CONFIGURATIONS` configurations, at most `REACH` states per expected connected state
of the batch, and where no `chunk_size` or `capacity` bounds the rows of one network
call. The table is evaluated `BLOCK` states at a time, so its
memory is that of one such block of the network, not of the whole space.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from symir.runtime.batch_dedup import sample_keys, sector_size, state_keys

__all__ = [
    "BLOCK",
    "MAX_CONFIGURATIONS",
    "MAX_STATES",
    "REACH",
    "SLOT_COST",
    "states_of",
    "table_block",
    "why_not",
]

MAX_STATES = 1 << 16
"""The most states (of the space's sector, if it has one) the network is evaluated on."""

MAX_CONFIGURATIONS = 1 << 20
"""The most configurations `S^N` of a space whose table is considered (the table holds
one value per configuration, the sector's states or not)."""

BLOCK = 4096
"""Configurations per network call while the table is filled (a `lax.map` over blocks
above this): the memory of the network's activations on one block."""

REACH = 0.5
"""The table is costed only where the space has at most this many states per expected
connected state of the batch: with more, a batch reaches a fraction of the states
(about `1 - exp(-draws / states)`), which the compacted paths' deduplication evaluates
alone while the table evaluates them all (Bose-Hubbard 3x3 with 9 bosons, 1,024
samples: 18k expected connected states on 8.9k distinct states; the table 7.0 ms of CPU
against 4.6 for the deduplicated plain path)."""

SLOT_COST = 40
"""Element operations per candidate slot (`local_energy.choose_path`'s units): the
slot's index from its changes, the table's two reads, the exponential and the sum."""


def why_not(compiled: Any) -> str | None:
    """None where the table path may be costed for `compiled`'s space, else why not."""
    space = compiled.space
    configurations = len(space.local_states) ** int(space.size)
    if configurations > MAX_CONFIGURATIONS:
        return f"table: {configurations} configurations, more than {MAX_CONFIGURATIONS}"
    states = sector_size(space, compiled.sectors)
    if states > MAX_STATES:
        return f"table: {states} states, more than {MAX_STATES}"
    return None


def states_of(compiled: Any) -> int:
    """The states the table evaluates the network on: the sector's, or every
    configuration."""
    return sector_size(compiled.space, compiled.sectors)


@functools.lru_cache(maxsize=16)
def sector_states(states: tuple, n: int, sectors: tuple) -> tuple[np.ndarray, np.ndarray]:
    """The configurations `(M, N)` of `n` sites whose sums over the `sectors`' site
    ranges are fixed, in index order, and their indices `(M,)` (site `i` weighted
    `S^i`)."""
    s = len(states)
    index = np.arange(s**n, dtype=np.int64)
    digits = (index[:, None] // s ** np.arange(n, dtype=np.int64)[None, :]) % s
    values = np.asarray(states)[digits]
    from symir.runtime.compiled import _in_sectors

    keep = _in_sectors(lambda a, b: np.sum(values[:, a:b], axis=1), sectors)
    return values[keep], index[keep]


def configurations(states: np.ndarray, sites: int, dtype: Any) -> Any:
    """Every configuration of `sites` sites `(S^sites, sites)` in index order (site `i`
    weighted `S^i`), computed in the program by broadcasts, not stored in it: site `i`'s
    digit is axis `sites - 1 - i` of the `(S,) * sites` index grid."""
    s = len(states)
    values = jnp.asarray(states, dtype)
    grid = (s,) * sites
    columns = [jax.lax.broadcast_in_dim(values, grid, (sites - 1 - i,)) for i in range(sites)]
    return jnp.reshape(jnp.stack(columns, axis=-1), (s**sites, sites))


def sector_table(
    logpsi: Any, params: Any, states: np.ndarray, n: int, sectors: tuple, dtype: Any
) -> Any:
    """`logpsi` of every configuration `(S^N,)` in index order: the network's values on
    the sector's states, `-inf` elsewhere; `BLOCK` states at a time."""
    configs, indices = sector_states(tuple(states.tolist()), n, tuple(sectors))
    m = len(configs)
    blocks = -(-m // BLOCK)
    size = -(-m // blocks)
    padded = np.concatenate([configs, np.repeat(configs[:1], blocks * size - m, axis=0)])
    rows = jnp.asarray(np.reshape(padded, (blocks, size, n)), dtype)
    if blocks == 1:
        values = logpsi(params, rows[0])
    else:
        values = jnp.reshape(jax.lax.map(lambda r: logpsi(params, r), rows), (-1,))
    values = values[:m]
    full = jnp.full((len(states) ** n,), -jnp.inf, values.dtype)
    return full.at[jnp.asarray(indices, jnp.int32)].set(values, unique_indices=True)


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
    *,
    fallback: Any,
) -> Any:
    """The local energies of one block of samples `x (b, N)` from the table of every
    configuration (the module docstring). With `skip_zero_mels`, a slot whose matrix
    element is zero reads its own sample's value (a term `0 x 1`, as the other paths
    leave it out: no `0 x inf` where the network gives that state a far larger
    amplitude). On a constrained space a batch with a sample outside the sector takes
    the block `fallback` (`local_energy._delta_block`, a `lax.cond`), the only use of
    `capacity` and `active` (the table evaluates no row twice; the repeated samples'
    reads cost nothing)."""
    states = np.asarray(compiled.space.local_states)
    if states_of(compiled) == len(states) ** x.shape[1]:
        return _from_table(logpsi, params, x, compiled, plan, skip_zero_mels, ())
    # a sample outside the sector keeps every branch (docs/semantics.md), whose states
    # the table of the sector does not hold: such a batch takes the compacted plain path
    from symir.runtime.compiled import _in_sectors

    flat, _, _ = compiled._kernel_input(x, "local_energies")
    wide = jnp.int32  # the sums as the sector rule takes them (`_keep_in_sectors`)
    inside = jnp.all(
        _in_sectors(lambda a, b: jnp.sum(flat[:, a:b], axis=-1, dtype=wide), compiled.sectors)
    )
    return jax.lax.cond(
        inside,
        lambda p, x: _from_table(logpsi, p, x, compiled, plan, skip_zero_mels, compiled.sectors),
        lambda p, x: fallback(logpsi, p, x, compiled, plan, capacity, skip_zero_mels, active),
        params,
        x,
    )


def _from_table(
    logpsi: Any,
    params: Any,
    x: Any,
    compiled: Any,
    plan: Any,
    skip_zero_mels: bool,
    sectors: tuple,
) -> Any:
    """`table_block` where every sample is a state of the table (of the `sectors`' states,
    or of every configuration where there are none)."""
    from symir.runtime.compiled import apply_sector_rule
    from symir.runtime.fast_updates import state_index
    from symir.runtime.slots import split_diagonal

    n = x.shape[1]
    states = np.asarray(compiled.space.local_states)
    flat, _, _ = compiled._kernel_input(x, "local_energies")
    sites, values, mels, old, keep = compiled._conn_delta_parts(flat)
    values, mels = apply_sector_rule(values, mels, old, keep)
    if mels.dtype != compiled.dtype:
        mels = mels.astype(compiled.dtype)
    if sectors:
        values_of = sector_table(logpsi, params, states, n, sectors, flat.dtype)
    else:
        values_of = table(logpsi, params, states, n, flat.dtype)
    digits = state_index(states, flat.dtype)(flat)
    own = sample_keys(digits, len(states)).astype(jnp.int32)
    logpsi_x = values_of[own]
    total, (sites, values, mels, old) = split_diagonal(
        plan, mels, logpsi_x.dtype, (sites, values, mels, old)
    )
    if not plan.candidates:
        return total
    keys = connected_keys(digits, sites, old, values, states).astype(jnp.int32)
    if skip_zero_mels:
        keys = jnp.where(mels != 0, keys, own[:, None])
    ratio = jnp.exp(values_of[keys] - logpsi_x[:, None])
    return total + jnp.sum(mels * ratio, axis=-1)


def connected_keys(digits: Any, sites: Any, old: Any, values: Any, states: np.ndarray) -> Any:
    """The key of each connected state `(b, c)` (`batch_dedup.state_keys`, its index in the
    table) from the samples' digits `(b, N)` and each slot's changes: `sites`, the values
    `old` there and the `values` written `(b, c, k)` (a site an earlier change of the slot
    names changes nothing more: `compiled.repeated_sites`)."""
    from symir.runtime.compiled import repeated_sites
    from symir.runtime.fast_updates import state_index

    index = state_index(states, values.dtype)
    sites = sites.astype(jnp.int32)
    old_i = index(old.astype(values.dtype))
    new_i = jnp.where(repeated_sites(sites), old_i, index(values))
    return state_keys(digits, sites, old_i, new_i, len(states))
