"""One evaluation per distinct connected state of a whole batch of samples.

On a small space a batch of Markov-chain samples reaches the same connected states
from many samples: Heisenberg 4x4 in its `S_z = 0` sector (12,870 states), 1,024
samples: 17,382 non-zero off-diagonal elements on 9,093 distinct states; Bose-Hubbard
3x3 with 9 bosons: 22,586 on 9,325. The network then runs once per distinct state.

Each connected state gets an exact integer key, its digits in the local states as a
mixed-radix number (`state_keys`: the sample's key plus the changes of its slot, so x'
is never written out). `first_of_equal` hashes the keys into a table twice as long as
the slots and keeps, per bucket, the first slot (a scatter-min); a slot whose key equals
its bucket's first slot's key reads that slot's value, any other slot (the first, or a
different key that shares the bucket) is evaluated itself. Equal keys are equal states,
so no value is ever taken from another state; a shared bucket only costs an evaluation.

Whether it pays is decided before tracing from the space (`pays`): the size of the
sector the operator's space fixes (NetKet's `Spin(total_sz=)`, `Fock(n_particles=)`)
against the batch's slots; where the cost of a network row is known (the derived
split), also the rows it is expected to save against what the keys and their table
cost (`SLOT_COST`). Within one sample, `dedup.representatives` finds equal
connected states by sorting; here the states of different samples are matched.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

STATES_PER_SLOT = 2.0
"""Deduplicate where the space has at most this many states per slot of the batch (a
sector of 12,870 states and 1,024 x 33 slots: 0.4). Above it, distinct samples rarely
share a connected state (Bose-Hubbard 4x4 with 16 bosons, 40,116 elements on 40,080
states), and the keys, their hash and the table (0.2-0.4 ms for 23k-65k slots) would
be spent for nothing."""

SLOT_COST = {"cache": 225, "memory": 700}
"""Element operations (the units of `local_energy.choose_path`'s costs) that the
deduplication costs per slot of the batch: its keys, their hash, the table's fill,
scatter-min and reads, and each slot's value taken from its source. `"cache"` where the
table (`2^bits` int32, two entries a slot) fits in a core's L2 cache (`CACHED_TABLE`),
`"memory"` where it does not and every scatter and read is a cache miss. Calibrated on
CPU, `E_loc` with it on and off in one process (1,024 samples, the derived split, rows
costed by `local_energy.derived_row_cost`, saved rows by `expected_repeats`): H2O 6-31G
(1.16M slots, 1.66M states) `MLP(64, 64)` 716 and 720 ms (even: 783M operations saved
against 1.16M slots), `MLP((52,))` 440 and 384 (169M saved: off); Bose-Hubbard 3x3 with
9 bosons (36,864 slots, 13,051 states) `MLP((18,))` 5.4 and 5.0 (6.4M saved: off), a
Dense(18)-tanh-Dense(18)-tanh-Dense module 6.1 and 7.4 (10.3M: on); Heisenberg 4x4
`S_z = 0` `MLP(32, 32)` 7.9 and 9.6 (21.5M: on)."""

CACHED_TABLE = 1 << 20
"""Bytes of a core's L2 cache (1 MiB on the 2-core CPU machine) for `SLOT_COST`."""

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def sector_size(space: Any, sectors: tuple = ()) -> int:
    """The number of configurations of `space` within the fixed sums `sectors` (`(first,
    end, total)` site ranges; by default the space's own), counted, not enumerated."""
    states = [int(v) for v in space.local_states]
    sectors = tuple(sectors or getattr(space, "sectors", ()) or ())
    free = int(space.size) - sum(stop - first for first, stop, _ in sectors)
    total = len(states) ** free
    for first, stop, target in sectors:
        sums = {0: 1}
        for _ in range(stop - first):
            nxt: dict[int, int] = {}
            for s, n in sums.items():
                for v in states:
                    nxt[s + v] = nxt.get(s + v, 0) + n
            sums = nxt
        total *= sums.get(int(target), 0)
    return total


def pays(
    space: Any,
    slots: int,
    sectors: tuple = (),
    *,
    expected: float | None = None,
    row_cost: float | None = None,
) -> str | None:
    """None where deduplicating `slots` connected states of a batch pays on `space`
    (with the fixed sums `sectors` of the operator's constrained space, if any), else
    the reason it is not done (printable, like the other path decisions). With the
    `expected` number of slots evaluated without it and the `row_cost` of evaluating
    one (element operations), it also has to save more than it costs: the repeats
    `expected_repeats` times `row_cost` against `slots` times `SLOT_COST`."""
    radix = len(space.local_states)
    bits = _key_bits()
    if radix ** int(space.size) >= 2**bits:
        return f"keys: {radix}^{space.size} configurations do not fit in {bits} bits"
    states = sector_size(space, sectors)
    if states > STATES_PER_SLOT * slots:
        return (
            f"{states} states for {slots} slots: more than {STATES_PER_SLOT:g} a slot, "
            "few connected states repeat"
        )
    if expected is None or row_cost is None:
        return None
    repeats = expected_repeats(states, expected)
    saved, cost = repeats * row_cost, slots * slot_cost(slots)
    if saved < cost:
        return (
            f"{repeats:.3g} repeats expected among "
            f"{expected:.3g} evaluations save {saved:.3g} operations, less than the "
            f"{cost:.3g} of the keys and their table"
        )
    return None


def expected_repeats(states: int, draws: float) -> float:
    """The draws that repeat an earlier one among `draws` uniform draws of `states`
    states: `draws - states (1 - exp(-draws / states))`. Markov chains repeat more (H2O
    6-31G, 1,024 samples: 128k repeats of 675k, 91k expected), so this errs towards
    not deduplicating."""
    if states <= 0 or draws <= 0:
        return 0.0
    return float(draws - states * -np.expm1(-draws / states))


def slot_cost(slots: int) -> int:
    """`SLOT_COST` of a batch of `slots` slots: whether its table fits in cache."""
    table = 4 << _table_bits(slots)
    return SLOT_COST["cache" if table <= CACHED_TABLE else "memory"]


def _table_bits(slots: int) -> int:
    """The table of `first_of_equal` has `2^bits` entries, at least twice the slots."""
    return max(1, int(np.ceil(np.log2(2 * slots))))


def _key_bits() -> int:
    """The bits a key may use: 62 of an int64, or 30 of an int32 where JAX's x64 is off
    (its integers are then 32-bit)."""
    return 62 if jax.config.read("jax_enable_x64") else 30


def _key_type() -> Any:
    return jnp.int64 if jax.config.read("jax_enable_x64") else jnp.int32


def describe(space: Any, slots: int, sectors: tuple = (), **costs: float | None) -> str:
    """The decision of `pays` (`costs`: its `expected` and `row_cost`) as a line of
    `choose_path`'s reason."""
    why = pays(space, slots, sectors, **costs)
    if why is None:
        return f"batch dedup: one evaluation per distinct connected state ({slots} slots)"
    return f"batch dedup: not done ({why})"


def state_keys(sample_index: Any, sites: Any, old: Any, new: Any, radix: int) -> Any:
    """The key of each connected state `(b, c)`: the sample's digits (`sample_index (b,
    N)`, each site's local state index) as a mixed-radix int64, plus `(new - old) *
    radix^site` of each of the slot's changes (`sites, old, new (b, c, k)`; a change
    that repeats an earlier site must have `new == old`)."""
    weights = _weights(sample_index.shape[-1], radix)
    delta = (new.astype(weights.dtype) - old.astype(weights.dtype)) * weights[sites]
    return sample_keys(sample_index, radix)[:, None] + jnp.sum(delta, axis=-1)


def sample_keys(sample_index: Any, radix: int) -> Any:
    """The key of each sample `(b,)`: its digits `sample_index (b, N)` as a mixed-radix
    number, site `i` weighted `radix^i` (`state_keys` without changes)."""
    weights = _weights(sample_index.shape[-1], radix)
    return jnp.sum(sample_index.astype(weights.dtype) * weights, axis=-1)


def _weights(n: int, radix: int) -> Any:
    """`radix^i` of each site `i < n`, in the keys' integer type."""
    return jnp.asarray(radix ** np.arange(n, dtype=np.int64), _key_type())


MAX_LOG_GAP = 300.0
"""A value moves from sample `a` to sample `b` only where `|Re(logpsi(x_a) -
logpsi(x_b))|` is below this: its factor `exp(...)` then stays far from float64's range
(1e308) whatever the network's scale; farther samples evaluate their own copy."""


def first_of_equal(needed: Any, keys: Any, logpsi_x: Any = None) -> tuple[Any, Any]:
    """`(evaluate, source)` for the slots `needed (b, c)` with `keys (b, c)`: `evaluate`
    marks the needed slots that are evaluated (the first of their bucket, or a key other
    than the first's), `source (b, c)` the flat position whose value each slot takes (its
    own where evaluated). With the samples' `logpsi_x (b,)`, a slot takes a value from
    another sample only within `MAX_LOG_GAP` of its own (`shared`)."""
    m = needed.size
    flat_keys = jnp.reshape(keys, (m,))
    mask = jnp.reshape(needed, (m,))
    bits = _table_bits(m)
    if flat_keys.dtype == jnp.int64:  # `state_keys`' type: int64 where x64 is on
        mixed = flat_keys.astype(jnp.uint64) * jnp.uint64(_GOLDEN)
        bucket = (mixed >> jnp.uint64(64 - bits)).astype(jnp.int32)
    else:  # 32-bit keys: the high word of the golden ratio
        mixed = flat_keys.astype(jnp.uint32) * jnp.uint32(int(_GOLDEN) >> 32)
        bucket = (mixed >> jnp.uint32(32 - bits)).astype(jnp.int32)
    position = jnp.arange(m, dtype=jnp.int32)
    table = jnp.full((1 << bits,), m, jnp.int32)
    table = table.at[jnp.where(mask, bucket, 1 << bits)].min(position, mode="drop")
    first = table[bucket]
    copy = mask & (first != position) & (flat_keys[jnp.minimum(first, m - 1)] == flat_keys)
    if logpsi_x is not None:
        c = needed.shape[-1]
        gap = jnp.real(logpsi_x[jnp.minimum(first, m - 1) // c] - logpsi_x[position // c])
        copy = copy & (jnp.abs(gap) < MAX_LOG_GAP)
    source = jnp.where(copy, first, position)
    return jnp.reshape(mask & ~copy, needed.shape), jnp.reshape(source, needed.shape)


def shared(values: Any, source: Any, logpsi_x: Any, slots: int, ratios: bool) -> Any:
    """Each slot's value from its source slot `(b, c)`: `values (b, c)` are
    `logpsi(x') - logpsi(x_b)` (or with `ratios`, `psi(x') / psi(x_b)`) of the
    evaluated slots; a copied slot's value is its source's, moved from the source's
    sample to its own by `logpsi(x_source) - logpsi(x_b)`."""
    flat = jnp.reshape(values, (-1,))[source]
    shift = logpsi_x[source // slots] - logpsi_x[:, None]
    if ratios:
        return flat * jnp.exp(shift)
    return flat + shift


__all__ = [
    "CACHED_TABLE",
    "MAX_LOG_GAP",
    "SLOT_COST",
    "STATES_PER_SLOT",
    "describe",
    "expected_repeats",
    "first_of_equal",
    "pays",
    "sample_keys",
    "sector_size",
    "shared",
    "slot_cost",
    "state_keys",
]
