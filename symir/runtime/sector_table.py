"""A compiled operator tabulated over a small sector: its connected states and elements
for every configuration, looked up by the configuration's rank.

Where a space's fixed sums leave few configurations (a molecule's active space with one
electron of each spin: 324 configurations on 36 spin orbitals), the kernel's decoding of
each slot (the symmetry slots' select chains, a few hundred element-wise ops on every
row) costs more than reading its result from a table. `tabulate(op)` runs `op` once on
every configuration of the sector, keeps each configuration's distinct connected states
with a non-zero element (the elements of equal states summed; the diagonal in slot 0),
and returns an operator whose kernel is the configuration's rank (the combinatorial
number system, per sector: `sum_j C(p_j, j)` over the sector's occupied positions
`p_1 < p_2 < ...`) and two gathers. Its `F` is the largest number of distinct non-zero
connected states over the whole sector: the exact minimum of a static fan-out.

A slot's state is stored packed, 8 sites a byte (in `np.packbits` order), and unpacked
by the kernel (a shift and a mask per site), beside its element and the sites it
changes (at most 4 for a molecule, in the narrowest integer that holds them) and their
new values for `get_conn_delta`: 8 + N/8 + 2k bytes a slot instead of 8 + N + 5k with
the state itself, so a sector of few electrons in many orbitals fits the budget (Li
aug-cc-pVDZ, 5,819 configurations, F 237, 46 spin orbitals: 32 MB, 110 MB unpacked),
at the speed of the unpacked table's gather (LiH cc-pVDZ 1s frozen 0.17 against 0.16 ms
a call at batch 128; writing the changed sites into `x` with a scatter instead took
twice as long).

Applies to an operator without parameters on a space of 0/1 sites whose fixed sums
(`CompiledOperator.sectors`) cover every site, at most `MAX_STATES` configurations and
`MAX_TABLE_BYTES` of tables; `tabulate` returns None otherwise, and `why_not` says why.
The kernel is StableHLO like any other (JAX's export of the lookup, the tables bound as
constants), with a delta kernel (`get_conn_delta`) and slot kinds, so the local-energy
path and NetKet's adapter take it as they take the compiled one. For `x` outside the
sector the rank means nothing: its elements are NaN (`assumed_sectors`), and concrete
`x` outside it is refused, as for any kernel that relies on its sector."""

from __future__ import annotations

import hashlib
from math import comb, prod
from typing import Any

import numpy as np

MAX_STATES = 1 << 16
"""The most configurations `tabulate` enumerates."""

MAX_TABLE_BYTES = 64 << 20
"""The most bytes of tables (connected states, elements, deltas) `tabulate` builds."""


def why_not(op: Any) -> str | None:
    """Why `op` cannot be tabulated (None: it can)."""
    if op.param_names:
        return f"it has parameters ({', '.join(op.param_names)}): its tables would change"
    if tuple(op.space.local_states) != (0, 1):
        return f"its sites are not 0/1 (local states {tuple(op.space.local_states)})"
    sectors = op.sectors
    covered = sorted((first, end) for first, end, _ in sectors)
    ends = [0] + [end for _, end in covered]
    if not sectors or [first for first, _ in covered] != ends[:-1] or ends[-1] != op.space.size:
        return "its fixed sums do not cover every site once (no sector to enumerate)"
    states = _count(sectors)
    if states > MAX_STATES:
        return f"its sector has {states:,} configurations (MAX_STATES {MAX_STATES:,})"
    return None


def tabulate(op: Any, *, max_bytes: int = MAX_TABLE_BYTES, batch: int = 4096) -> Any:
    """`op` tabulated over its sector (module docstring), or None where it does not
    apply (`why_not`) or its tables would pass `max_bytes`."""
    if why_not(op) is not None:
        return None
    sectors = tuple(sorted(op.sectors))
    n = op.space.size
    configurations = _configurations(sectors, n)
    # what `_compact` keeps of every slot before dropping the zeros (F only shrinks)
    if len(configurations) * op.max_conn_size * 8 > 4 * max_bytes:
        return None
    packed, table_m, sites, values, valid = _compact(op, configurations, batch, max_bytes)
    f = table_m.shape[1]
    nbytes = packed.nbytes + table_m.nbytes + sites.nbytes + values.nbytes
    if nbytes > max_bytes:
        return None
    weights = _rank_weights(sectors, n)
    return _operator(op, sectors, weights, packed, table_m, sites, values, valid, f)


def _count(sectors) -> int:
    return prod(comb(end - first, total) for first, end, total in sectors)


def _configurations(sectors, n: int) -> np.ndarray:
    """Every configuration of the sector, row `rank(x)`."""
    from itertools import combinations, product

    per_sector = [list(combinations(range(first, end), total)) for first, end, total in sectors]
    rows = np.zeros((_count(sectors), n), np.int8)
    weights = _rank_weights(sectors, n)
    for k, choice in enumerate(product(*per_sector)):
        for occupied in choice:
            rows[k, list(occupied)] = 1
    ranks = _ranks(rows, sectors, weights)
    out = np.empty_like(rows)
    out[ranks] = rows
    return out


def _rank_weights(sectors, n: int) -> np.ndarray:
    """`w[i, c]`: what site `i` adds to the rank when occupied as the `c`-th particle of
    its sector (`c` from 1), `C(i - first, c)` times the sector's stride."""
    most = max(total for _, _, total in sectors)
    w = np.zeros((n, most + 1), np.int64)
    stride = 1
    for first, end, total in reversed(sectors):
        for i in range(first, end):
            for c in range(1, total + 1):
                w[i, c] = comb(i - first, c) * stride
        stride *= comb(end - first, total)
    return w


def _ranks(x: np.ndarray, sectors, weights: np.ndarray) -> np.ndarray:
    c = (x.astype(np.int64) @ _running_counts(sectors, x.shape[1])).clip(0, weights.shape[1] - 1)
    return np.where(x != 0, weights[np.arange(x.shape[1]), c], 0).sum(axis=1)


def _running_counts(sectors, n: int) -> np.ndarray:
    """`T[l, i] = 1` where site `l` is at or before `i` in the same sector: `x @ T` counts
    each site's particles so far."""
    t = np.zeros((n, n), np.int64)
    for first, end, _ in sectors:
        t[first:end, first:end] = np.triu(np.ones((end - first, end - first), np.int64))
    return t


def _compact(op: Any, x: np.ndarray, batch: int, max_bytes: int):
    """Each configuration's distinct connected states with a non-zero element (equal
    states' elements summed), the diagonal in slot 0 (its element, zero or not), padded
    with the configuration and 0: `(states, elements, sites, values, valid)`, the states
    packed 8 sites a byte (`np.packbits`' order), each slot also as the sites it
    changes and their new values (`_deltas`), and the number of non-zero off-diagonal
    slots every row has. `op` runs on at most `batch` configurations at a time, fewer
    where its output would pass `max_bytes`; the connected states are kept packed."""
    import jax

    fn = jax.jit(op.get_conn_padded)
    n = x.shape[1]
    step = max(1, min(batch, max_bytes // (op.max_conn_size * (n + 8))))
    owners, words, elements = [], [], []
    for start in range(0, len(x), step):
        rows = x[start : start + step]
        # every call the same shape (one XLA compile): the last batch padded, its
        # padding's rows dropped
        padded = np.concatenate([rows, np.repeat(rows[:1], step - len(rows), axis=0)])
        xp, mels = fn(padded.astype(op.x_dtype))
        xp, mels = np.asarray(xp, np.int8)[: len(rows)], np.asarray(mels)[: len(rows)]
        row, slot = np.nonzero(mels)
        owners.append(start + row)
        words.append(_words(xp[row, slot]))
        elements.append(mels[row, slot])
    owner, word, element = (np.concatenate(a) for a in (owners, words, elements))
    # group equal (configuration, state) pairs: sort by the state's bits, then its owner
    order = np.lexsort((*word.T[::-1], owner))
    owner, word, element = owner[order], word[order], element[order]
    new = np.ones(len(owner), bool)
    new[1:] = (owner[1:] != owner[:-1]) | np.any(word[1:] != word[:-1], axis=1)
    starts = np.flatnonzero(new)
    owner, word = owner[starts], word[starts]
    summed = np.add.reduceat(element, starts) if len(starts) else element[:0]
    own = _words(x)
    diagonal = np.all(word == own[owner], axis=1)
    table_m_diagonal = np.zeros(len(x), element.dtype)
    table_m_diagonal[owner[diagonal]] = summed[diagonal]
    off = ~diagonal & (summed != 0)
    owner, word, summed = owner[off], word[off], summed[off]
    counts = np.bincount(owner, minlength=len(x))
    f = 1 + int(counts.max(initial=0))
    slot = 1 + np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
    table_m = np.zeros((len(x), f), element.dtype)
    table_m[:, 0] = table_m_diagonal
    table_m[owner, slot] = summed
    sites, values = _deltas(x, owner, slot, word ^ own[owner], f)
    packed = np.repeat(own[:, None, :], f, axis=1)
    packed[owner, slot] = word
    packed = packed.view(np.uint8)[..., : -(-n // 8)]
    return packed, table_m, sites, values, int(counts.min(initial=0))


def _words(state: np.ndarray) -> np.ndarray:
    """Each 0/1 state's bits packed into 64-bit words `(rows, words)`."""
    packed = np.packbits(state.astype(np.uint8), axis=1)
    pad = -packed.shape[1] % 8
    packed = np.pad(packed, ((0, 0), (0, pad)))
    return packed.view(np.uint64)


def _deltas(x: np.ndarray, owner, slot, flipped, f: int) -> tuple[np.ndarray, np.ndarray]:
    """The sites each slot changes and their new values (`get_conn_delta`, `(rows, f,
    k)`), from the bits each off-diagonal slot flips (`flipped`, packed words, for slot
    `slot` of configuration `owner`): the changed sites in order, padded with the first
    again; a slot that changes nothing (the diagonal, the padding) sets site 0 to `x[0]`.
    Sites are stored in the narrowest integer that holds them."""
    n = x.shape[1]
    words = flipped.shape[1]
    found = [_set_sites(flipped[:, w].copy(), 64 * w, n) for w in range(words)]
    columns = [c for cs in found for c in cs]
    moved = np.stack(columns, axis=1) if columns else np.full((len(owner), 1), n)
    moved = np.sort(moved, axis=1)  # `n` (no site) last
    count = (moved < n).sum(axis=1)
    k = max(int(count.max(initial=0)), 1)
    moved = moved[:, :k]
    moved = np.where(np.arange(k) < count[:, None], moved, moved[:, :1])
    narrow = np.int8 if n <= np.iinfo(np.int8).max else np.int16
    sites = np.zeros((len(x), f, k), narrow)
    values = np.repeat(np.repeat(x[:, None, :1], f, axis=1), k, axis=2)
    sites[owner, slot] = moved
    values[owner, slot] = 1 - x[owner[:, None], moved]
    return sites, values


def _set_sites(word: np.ndarray, first: int, end: int) -> list[np.ndarray]:
    """The sites whose bits are set in `word` (one 64-bit word of `_words` per row, its
    first site `first`), a column per set bit, lowest bit first; `end` (past the last
    site, sorted last) where a row has no more. `_words` packs 8 sites a byte,
    the first at the byte's top bit, bytes in little-endian order."""
    columns = []
    while word.any():
        low = word & (~word + np.uint64(1))  # the lowest set bit
        bit = np.log2(np.where(low == 0, 1, low).astype(np.float64)).astype(np.int64)
        site = first + 8 * (bit // 8) + 7 - bit % 8
        columns.append(np.where(low != 0, site, end))
        word ^= low
    return columns


def _lookup_text(sectors, weights: np.ndarray, tables: tuple, x_dtype, finish) -> str:
    """The StableHLO of `x -> finish(x, tables[rank(x)])` (JAX's export, batch dimension
    symbolic, the tables constants of the text)."""
    import jax
    import jax.numpy as jnp
    from jax import export

    n, width = weights.shape
    counts = _running_counts(sectors, n).astype(np.float64)
    flat = weights.reshape(-1)
    offsets = np.arange(n, dtype=np.int64) * width

    def kernel(x):
        c = (x.astype(jnp.float64) @ counts).astype(jnp.int64)
        c = jnp.clip(c, 0, width - 1)
        rank = jnp.sum(jnp.where(x != 0, jnp.asarray(flat)[offsets + c], 0), axis=1)
        rank = jnp.clip(rank, 0, tables[0].shape[0] - 1)
        return finish(x, *(jnp.asarray(t)[rank] for t in tables))

    (b,) = export.symbolic_shape("b")
    spec = jax.ShapeDtypeStruct((b, n), np.dtype(x_dtype))
    return export.export(jax.jit(kernel))(spec).mlir_module()


def _as_deltas(x, sites, values, mels):
    """The delta kernel's outputs from the looked-up rows (`_lookup_text`'s `finish`)."""
    return sites.astype(np.int32), values, mels


class TableKernels:
    """The kernels a tabulated operator gives beside `get_conn_padded` (a
    `KernelSource`): the delta kernel and the slot kinds; no parameters, so no
    derivatives or tables."""

    def __init__(self, deltas_text: Any, kinds: tuple):
        # the text, or `_lookup_text`'s arguments to make it at the first `deltas()`
        # (the fused local energies ask for it; `get_conn_padded` alone never does)
        self._deltas = deltas_text
        self._kinds = kinds

    def derivatives(self, order: int = 1) -> str:
        from symir.errors import SymbolicCompilerError

        raise SymbolicCompilerError(
            "a tabulated operator has no parameters to differentiate", stage="derivatives"
        )

    def tables(self) -> tuple[str, tuple[str, ...]]:
        from symir.errors import SymbolicCompilerError

        raise SymbolicCompilerError("a tabulated operator has no table parameters", stage="tables")

    def deltas(self, order: int = 0) -> str:
        if order:
            return self.derivatives(order)
        if not isinstance(self._deltas, str):
            self._deltas = _lookup_text(*self._deltas, _as_deltas)
        return self._deltas

    def slot_kinds(self) -> tuple:
        return self._kinds

    def __repr__(self) -> str:
        return "TableKernels()"


def _operator(op, sectors, weights, packed, table_m, sites, values, valid: int, f: int) -> Any:
    import jax.numpy as jnp

    from symir.dialects.branch.slot_kinds import SlotKind

    kinds = (SlotKind.DIAGONAL,) + (SlotKind.VALID,) * valid + (SlotKind.MAYBE,) * (f - 1 - valid)
    tables = (sites, values.astype(op.x_dtype), table_m)

    n = op.space.size
    shifts = jnp.asarray(7 - np.arange(n) % 8, jnp.uint8)

    def connected(x, packed, mels):
        # each slot's state, unpacked from its bytes (most significant bit first)
        bits = (jnp.repeat(packed, 8, axis=-1)[..., :n] >> shifts) & 1
        return bits.astype(x.dtype), mels

    main = _lookup_text(sectors, weights, (packed, table_m), op.x_dtype, connected)
    deltas = (sectors, weights, tables, op.x_dtype)  # its text made when asked for

    digest = hashlib.sha256(main.encode()).hexdigest()[:16]
    tabulated = type(op).from_stablehlo(  # CompiledOperator (not imported: it imports this)
        main,
        name=op.name,
        space=op.space,
        hilbert=op.hilbert,
        dtype=str(op.dtype),
        is_hermitian=op.is_hermitian,
        parameters={},
        key=f"table-{digest}-{op.key}",
        kernels=TableKernels(deltas, kinds),
    )
    return tabulated.assuming_sectors(op.sectors).keeping_sectors()
