"""Runtime deduplication of the connected states of one sample, for the local-energy path.

The static fusion (`branch-fuse-equal-states`) merges slots whose states it proves equal
for every input; slots that are equal only for some inputs stay apart: a single
excitation `c+_P c_Q` and a two-body product `c+_P c+_R c_R c_Q` reach the same `x'`
when `R` is occupied (they write different sites), a `swap(i, j)` and the double flip
of the same bond agree when the spins differ. `local_energies(..., dedup=True)` calls
`representatives` on the candidate slots of each sample and evaluates the network once
per distinct `x'`:

1. each row `x'` gets a 32-bit hash: every site's value as 32-bit words (integers
   widened, floats by their bits), each word mixed with its position (murmur3's
   finaliser) and the mixed words summed;
2. the slots of a sample are sorted by (hash, slot), the non-candidates last (one sort
   of packed integer keys);
3. a slot is a duplicate when it and the slot before it in that order are candidates
   with the same hash and the same `x'`, compared site by site: equal hashes only
   select the pairs to compare, so a hash collision costs a missed merge, never a wrong
   answer; runs of duplicates share the run's first slot, its *representative*.

The caller evaluates the network on the representatives only and gives every candidate
its representative's value (`jnp.take_along_axis(values, source, axis=1)`), so each
term `mel * exp(logpsi(x') - logpsi(x))` is the one of NetKet's sum, and reverse mode
adds the cotangents of a state's duplicates onto its one evaluation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

__all__ = [
    "candidate_positions",
    "compact_positions",
    "only_active",
    "repeated_samples",
    "representatives",
    "row_hashes",
    "row_ranks",
]

_SEED = 0x5EED


def _words(rows: jax.Array) -> jax.Array:
    """`rows (..., n)` as 32-bit words `(..., n * w)`, one or two per site (an exact
    encoding: equal rows give equal words; -0.0 and 0.0 differ, which only costs a merge)."""
    dtype = rows.dtype
    if dtype == jnp.bool_ or jnp.issubdtype(dtype, jnp.integer):
        if jnp.dtype(dtype).itemsize < 4:
            rows = rows.astype(jnp.int32)
    elif jnp.issubdtype(dtype, jnp.floating):
        if jnp.dtype(dtype).itemsize < 4:
            rows = rows.astype(jnp.float32)
    else:
        raise TypeError(f"configurations of dtype {dtype} cannot be hashed for deduplication")
    words = jax.lax.bitcast_convert_type(rows, jnp.uint32)
    return jnp.reshape(words, (*rows.shape[:-1], -1))


def _fmix(h: jax.Array) -> jax.Array:
    """murmur3's 32-bit finaliser: every input bit affects every output bit."""
    h = h ^ (h >> 16)
    h = h * jnp.uint32(0x85EBCA6B)
    h = h ^ (h >> 13)
    h = h * jnp.uint32(0xC2B2AE35)
    return h ^ (h >> 16)


def row_hashes(rows: jax.Array) -> jax.Array:
    """A 32-bit hash of each row of `rows (..., n)`: `(...)`, `uint32`."""
    words = _words(rows)
    salt = np.random.default_rng(_SEED).integers(0, 2**32, words.shape[-1], dtype=np.uint32)
    return jnp.sum(_fmix(words ^ jnp.asarray(salt)), axis=-1, dtype=jnp.uint32)


def _sorted(hashes: jax.Array, needed: jax.Array, wide: bool) -> tuple[jax.Array, jax.Array]:
    """Each row's slots sorted by (hash, slot), the non-candidates last: `(hashes, order)`
    in that order. One sort of packed keys (hash in the high bits, slot in the low ones):
    64-bit keys if `wide`, else 32-bit ones with the hash's high bits only (more
    collisions, still exact)."""
    c = hashes.shape[1]
    slot = jnp.arange(c, dtype=jnp.uint32)
    if wide:
        keys = jnp.where(needed, hashes, jnp.uint32(2**32 - 1)).astype(jnp.uint64)
        keys = jnp.sort((keys << 32) | slot.astype(jnp.uint64), axis=1)
        return (keys >> 32).astype(jnp.uint32), (keys & (2**32 - 1)).astype(jnp.int32)
    bits = max(1, (c - 1).bit_length())
    top = jnp.uint32(2 ** (32 - bits) - 1)
    keys = jnp.where(needed, hashes >> bits, top)
    keys = jnp.sort((keys << bits) | slot, axis=1)
    return keys >> bits, (keys & (2**bits - 1)).astype(jnp.int32)


def representatives(
    xp: jax.Array, needed: jax.Array, *, wide: bool | None = None
) -> tuple[jax.Array, jax.Array]:
    """For the connected states `xp (b, c, n)` of `b` samples and the candidate mask
    `needed (b, c)`: `(evaluate, source)`, both `(b, c)`: `evaluate` marks one candidate
    per distinct `x'` of each sample, `source` the slot whose evaluation each slot takes
    (its representative; itself where it is not a duplicate). `wide`: sort 64-bit keys
    (default: when JAX's x64 is on) or 32-bit ones."""
    b, c, _ = xp.shape
    slot = jnp.broadcast_to(jnp.arange(c, dtype=jnp.int32), (b, c))
    if c < 2:
        return needed, slot
    if wide is None:
        wide = bool(jax.config.read("jax_enable_x64"))
    hashes, order = _sorted(row_hashes(xp), needed, wide)
    in_order = jnp.take_along_axis(needed, order, axis=1)
    rows = jnp.take_along_axis(xp, order[..., None], axis=1)
    same = (
        in_order[:, 1:]
        & in_order[:, :-1]
        & (hashes[:, 1:] == hashes[:, :-1])
        & jnp.all(rows[:, 1:] == rows[:, :-1], axis=-1)
    )
    # runs of equal rows: run k starts at position start[k]; each position takes its
    # run's start (cumsum and a scatter: cheaper than a cumulative max on CPU)
    starts = jnp.concatenate([jnp.ones((b, 1), bool), ~same], axis=1)
    run = jnp.cumsum(starts, axis=1, dtype=jnp.int32) - 1
    rows_b = jnp.arange(b)[:, None]
    start = (
        jnp.zeros((b, c), jnp.int32).at[rows_b, jnp.where(starts, run, c)].set(slot, mode="drop")
    )
    rep = jnp.take_along_axis(order, jnp.take_along_axis(start, run, axis=1), axis=1)
    source = jnp.zeros((b, c), jnp.int32).at[rows_b, order].set(rep)
    return needed & (source == slot), source


def repeated_samples(x: Any) -> tuple[Any, Any]:
    """`(source, active)` for a batch of configurations `x (b, N)`: `source[i]` the first
    row of the run of equal consecutive rows that row `i` is in, `active[i]` whether row
    `i` starts its run. A Markov chain repeats its state at every rejected move, and
    NetKet lays a chain's samples out consecutively; the local energies of a repeat are
    those of the run's first row (`local_energies(..., repeated=True)`). Equal rows that
    are not consecutive are evaluated each (finding them costs a sort of the batch, about
    as much as it saves on lattice models)."""
    b = x.shape[0]
    index = jnp.arange(b, dtype=jnp.int32)
    starts = jnp.concatenate([jnp.ones((1,), bool), jnp.any(x[1:] != x[:-1], axis=-1)])
    source = jax.lax.cummax(jnp.where(starts, index, 0))
    return source, starts


def only_active(needed: Any, active: Any) -> Any:
    """`needed (b, F)` with the rows of inactive samples (`active (b,)` False) cleared."""
    return needed if active is None else needed & active[:, None]


def compact_positions(mask: Any, size: int, *, ranks: bool = False) -> Any:
    """The positions of the True entries of `mask (m,)` in order, then `m` up to `size`
    entries (`size >= m`): `jnp.nonzero(mask, size=size, fill_value=m)[0]`, by one
    cumulative sum and one scatter (JAX's `nonzero` adds a scatter-add of `m` entries
    and a second cumulative sum: 2.8 against 2.2 ms CPU for 131,072 entries). The sum
    is an associative scan: `jnp.cumsum` lowers to `reduce_window`s that took 1.34 ms
    CPU on 147,456 entries, the scan 0.56. With `ranks`, `(positions, rank)`: `rank[i]`
    the index of entry `i` among the positions where `mask[i]` (unspecified elsewhere)."""
    rank = jax.lax.associative_scan(jnp.add, mask.astype(jnp.int32)) - 1
    positions = _positions(mask, rank, size)
    return (positions, rank) if ranks else positions


def _positions(mask: Any, rank: Any, size: int) -> Any:
    """`compact_positions` of `mask (m,)` from the `rank` of each entry: one scatter."""
    m = mask.shape[0]
    target = jnp.where(mask, rank, size)
    return (
        jnp.full((size,), m, jnp.int32)
        .at[target]
        .set(jnp.arange(m, dtype=jnp.int32), mode="drop", unique_indices=True)
    )


ROW_RANKS = True
"""`candidate_positions` of slots `(b, c)` ranks them by rows (`row_ranks`): one matrix
product for the ranks inside each row and a scan of the `b` row counts, in place of a
scan of all `b c` slots (16 levels of two small XLA kernels each on Bose-Hubbard 4x4's
65,536 slots, each kernel a fork and join of the CPU pool's threads). `E_loc` of 1,024
samples, CPU time, one process, 21 rounds, load 2-3.5: Bose-Hubbard 4x4 MLP(32, 32)
9.37 -> 9.11 ms, Heisenberg 4x4 MLP(32, 32) 4.40 -> 4.24."""

EXACT_COUNTS = 1 << 24
"""Counts below this are exact in float32 (`row_ranks`' matrix product)."""


def row_ranks(needed: Any) -> Any:
    """`rank (b, c)`: the index of each True slot of `needed (b, c)` among the True ones
    in row-major order (elsewhere: that of the last True slot before it, -1 if none).
    The ranks inside a row are the product of `needed` and the upper triangle of ones,
    in float32 (exact: at most `c < EXACT_COUNTS` ones summed); each row's offset is a
    scan of the `b` row counts."""
    c = needed.shape[1]
    if c >= EXACT_COUNTS:
        raise ValueError(
            f"row_ranks: {c} slots a row; float32 counts are exact below {EXACT_COUNTS}"
        )
    inside = _inclusive_counts(needed.astype(jnp.float32)).astype(jnp.int32)
    counts = inside[:, -1]
    before = jax.lax.associative_scan(jnp.add, counts) - counts
    return before[:, None] + inside - 1


ROW_BLOCK = 64
"""Rows longer than `2 * ROW_BLOCK` slots are counted in blocks of this many
(`_inclusive_counts`)."""


def _upper(n: int, *, strict: bool = False) -> Any:
    return jnp.asarray(np.triu(np.ones((n, n), np.float32), 1 if strict else 0))


def _inclusive_counts(ones: Any) -> Any:
    """`cumsum(ones (b, c), axis=1)` as float32 matrix products. A row of at most
    `2 * ROW_BLOCK` slots is one product with the `(c, c)` upper triangle of ones. A
    longer row is cut into blocks of `ROW_BLOCK`: the counts inside each block (one
    product with the block's triangle), plus the blocks' totals before it (a product
    with the strict upper triangle of the `c / ROW_BLOCK` blocks). That is `b c
    ROW_BLOCK` products in place of `b c^2`: on H2O 6-31G (1,135 slots a row, 512
    samples) the one product took 22 of the 150 ms of the local energies."""
    b, c = ones.shape
    exact = jax.lax.Precision.HIGHEST
    if c <= 2 * ROW_BLOCK:
        return jnp.dot(ones, _upper(c), precision=exact)
    blocks = -(-c // ROW_BLOCK)
    padded = jnp.pad(ones, ((0, 0), (0, blocks * ROW_BLOCK - c)))
    inside = jnp.dot(
        jnp.reshape(padded, (b * blocks, ROW_BLOCK)), _upper(ROW_BLOCK), precision=exact
    )
    inside = jnp.reshape(inside, (b, blocks, ROW_BLOCK))
    before = jnp.dot(inside[:, :, -1], _upper(blocks, strict=True), precision=exact)
    return jnp.reshape(inside + before[:, :, None], (b, blocks * ROW_BLOCK))[:, :c]


def candidate_positions(
    needed: Any, capacity: int, tail: Callable[[int], int], *, ranks: bool = False
) -> tuple:
    """The chunked loop's inputs for the slots `needed (b, c)`: the flat positions of the
    needed ones (ranked by `row_ranks` where `ROW_RANKS`, else `compact_positions`;
    padded by `tail(capacity)` entries for the loop's last chunks), their count and the
    capacity, at most the `b c` slots; with `ranks`, then each slot's rank among the
    needed ones `(b, c)`."""
    m = needed.size
    capacity = min(capacity, m)
    mask = jnp.reshape(needed, (m,))
    size = m + tail(capacity)
    if ROW_RANKS and needed.ndim == 2 and needed.shape[1] < EXACT_COUNTS:
        rank = jnp.reshape(row_ranks(needed), (m,))
        positions = _positions(mask, rank, size)
    elif not ranks:
        count = jnp.sum(mask, dtype=jnp.int32)
        return compact_positions(mask, size), count, capacity
    else:
        positions, rank = compact_positions(mask, size, ranks=True)
    count = rank[-1] + 1
    if not ranks:
        return positions, count, capacity
    return positions, count, capacity, jnp.reshape(rank, needed.shape)
