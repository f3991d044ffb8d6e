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
    if len(configurations) * op.max_conn_size * n > 2 * max_bytes:  # F only shrinks
        return None
    table_x, table_m, valid = _compact(op, configurations, batch)
    f = table_x.shape[1]
    sites, values = _deltas(configurations, table_x)
    nbytes = table_x.nbytes + table_m.nbytes + sites.nbytes + values.nbytes
    if nbytes > max_bytes:
        return None
    weights = _rank_weights(sectors, n)
    return _operator(op, sectors, weights, table_x, table_m, sites, values, valid, f)


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


def _compact(op: Any, x: np.ndarray, batch: int):
    """Each configuration's distinct connected states with a non-zero element (equal
    states' elements summed), the diagonal in slot 0 (its element, zero or not), padded
    with `x` and 0; and the number of non-zero off-diagonal slots every row has. `op`
    runs on `batch` configurations at a time."""
    import jax

    fn = jax.jit(op.get_conn_padded)
    owners, states, elements = [], [], []
    for start in range(0, len(x), batch):
        xp, mels = fn(x[start : start + batch].astype(op.x_dtype))
        xp, mels = np.asarray(xp, np.int8), np.asarray(mels)
        row, slot = np.nonzero(mels)
        owners.append(start + row)
        states.append(xp[row, slot])
        elements.append(mels[row, slot])
    owner, state, element = (np.concatenate(a) for a in (owners, states, elements))
    # group equal (configuration, state) pairs: sort by the state's bits, then its owner
    words = _words(state)
    order = np.lexsort((*words.T[::-1], owner))
    owner, state, element, words = owner[order], state[order], element[order], words[order]
    new = np.ones(len(owner), bool)
    new[1:] = (owner[1:] != owner[:-1]) | np.any(words[1:] != words[:-1], axis=1)
    starts = np.flatnonzero(new)
    owner, state = owner[starts], state[starts]
    summed = np.add.reduceat(element, starts) if len(starts) else element[:0]
    diagonal = np.all(state == x[owner], axis=1)
    table_m_diagonal = np.zeros(len(x), element.dtype)
    table_m_diagonal[owner[diagonal]] = summed[diagonal]
    off = ~diagonal & (summed != 0)
    owner, state, summed = owner[off], state[off], summed[off]
    counts = np.bincount(owner, minlength=len(x))
    f = 1 + int(counts.max(initial=0))
    slot = 1 + np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
    table_x = np.repeat(x[:, None, :], f, axis=1)
    table_m = np.zeros((len(x), f), element.dtype)
    table_m[:, 0] = table_m_diagonal
    table_x[owner, slot] = state
    table_m[owner, slot] = summed
    return table_x, table_m, int(counts.min(initial=0))


def _words(state: np.ndarray) -> np.ndarray:
    """Each 0/1 state's bits packed into 64-bit words `(rows, words)`."""
    packed = np.packbits(state.astype(np.uint8), axis=1)
    pad = -packed.shape[1] % 8
    packed = np.pad(packed, ((0, 0), (0, pad)))
    return packed.view(np.uint64)


def _deltas(x: np.ndarray, table_x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sites each slot changes and their new values (`get_conn_delta`), padded with
    the slot's first change again (site 0 and `x[0]` where it changes nothing)."""
    changed = table_x != x[:, None, :]
    count = changed.sum(axis=2)
    k = max(int(count.max(initial=0)), 1)
    # the changed sites first, in order, then the others
    order = np.argsort(~changed, axis=2, kind="stable")[:, :, :k]
    first = np.where(count > 0, order[:, :, 0], 0)
    sites = np.where(np.arange(k) < count[:, :, None], order, first[:, :, None])
    values = np.take_along_axis(table_x, sites, axis=2)
    return sites.astype(np.int32), values.astype(np.int8)


def _lookup_text(sectors, weights: np.ndarray, tables: tuple[np.ndarray, ...], x_dtype) -> str:
    """The StableHLO of `x -> tables[rank(x)]` (JAX's export, batch dimension symbolic,
    the tables constants of the text)."""
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
        return tuple(jnp.asarray(t)[rank] for t in tables)

    (b,) = export.symbolic_shape("b")
    spec = jax.ShapeDtypeStruct((b, n), np.dtype(x_dtype))
    return export.export(jax.jit(kernel))(spec).mlir_module()


class TableKernels:
    """The kernels a tabulated operator gives beside `get_conn_padded` (a
    `KernelSource`): the delta kernel and the slot kinds; no parameters, so no
    derivatives or tables."""

    def __init__(self, deltas_text: str, kinds: tuple):
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
        return self._deltas

    def slot_kinds(self) -> tuple:
        return self._kinds

    def __repr__(self) -> str:
        return "TableKernels()"


def _operator(op, sectors, weights, table_x, table_m, sites, values, valid: int, f: int) -> Any:
    from symir.dialects.branch.slot_kinds import SlotKind

    kinds = (SlotKind.DIAGONAL,) + (SlotKind.VALID,) * valid + (SlotKind.MAYBE,) * (f - 1 - valid)
    main = _lookup_text(sectors, weights, (table_x.astype(op.x_dtype), table_m), op.x_dtype)
    deltas = _lookup_text(sectors, weights, (sites, values.astype(op.x_dtype), table_m), op.x_dtype)
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
