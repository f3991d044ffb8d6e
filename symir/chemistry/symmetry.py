"""Point-group symmetry of restricted orbitals (ORBSYM) and the integral cutoff.

`CUTOFF = 1e-11` is the default integral cutoff of `molecular_hamiltonian` (NetKet's
`ParticleNumberAndSpinConservingFermioperator2nd` drops the same): a coefficient with
`|value| <= cutoff` is a numerical zero (symmetry-forbidden integrals come out of the
integral transformation at about 1e-12 to 1e-15) and gets no table entry.

ORBSYM gives each orbital an irreducible representation of an abelian point group
(D2h and its subgroups; a linear molecule's D-infinity-h or C-infinity-v through its D2h
or C2v subgroup). Labels are FCIDUMP's (Molpro's), 1 to 8: the product of two irreps is
`((a - 1) ^ (b - 1)) + 1` (XOR), so an integral can be non-zero only where the XOR of
its orbitals' `label - 1` is 0 (`h1[p, q]`: equal irreps; `(pq|rs)`: `g_p ^ g_q ^ g_r ^
g_s = 0`). PySCF's irrep ids (`mol.irrep_id`, `mf.mo_coeff.orbsym`) map to such labels
by `id % 10 + 1` (`pyscf_orbsym`): XOR is PySCF's product rule on the ids' last digit.

`check_orbsym` holds ORBSYM against the tables: an integral above the cutoff that
ORBSYM says vanishes is a ValueError naming it, so a wrong ORBSYM is never a wrong
Hamiltonian.

`orbsym_from_integrals` finds such labels from the tables' own zeros, where no ORBSYM
is given (an FCIDUMP without it, PySCF without `symmetry=True`): the finest grading of
the orbitals by `Z2^3` under which every integral above the cutoff is allowed, the
solutions of one linear equation over GF(2) per integral.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

CUTOFF = 1e-11
"""The default integral cutoff (NetKet's PNC operator's `cutoff`)."""


def pyscf_orbsym(ids: Iterable[int]) -> tuple[int, ...]:
    """FCIDUMP-style labels (1..8, product by XOR of `label - 1`) of PySCF's irrep ids
    (`mf.mo_coeff.orbsym`, `pyscf.symm.label_orb_symm(..., mol.irrep_id, ...)`): the
    D2h-subgroup part of the id, `id % 10`, plus one."""
    listed = [int(i) for i in ids]
    if any(i < 0 for i in listed):
        raise ValueError(f"PySCF irrep ids are >= 0, got {listed}")
    return tuple(i % 10 + 1 for i in listed)


def irreps(orbsym: Iterable[int]) -> np.ndarray:
    """The 0-based irreps (`label - 1`, 0..7) of FCIDUMP-style ORBSYM labels, checked."""
    g = np.asarray(list(orbsym), np.int64)
    bad = np.flatnonzero((g < 1) | (g > 8))
    if len(bad):
        k = int(bad[0])
        raise ValueError(
            f"ORBSYM[{k}] = {int(g[k])}: labels are 1..8 (an irrep of D2h or a subgroup, "
            "FCIDUMP's convention; pyscf_orbsym converts PySCF's irrep ids)"
        )
    return g - 1


def forbidden_integrals(orbsym: Iterable[int]) -> tuple[np.ndarray, np.ndarray]:
    """`(M, M)` and `(M, M, M, M)` masks of the one- and two-body integrals (chemists'
    notation) that ORBSYM makes vanish: those whose irreps' product is not the totally
    symmetric one (the irreps of D2h and its subgroups combine by XOR)."""
    g = irreps(orbsym).astype(np.int8)  # 0..7: the (M,)^4 products in int8
    product = g[:, None, None, None] ^ g[None, :, None, None] ^ g[None, None, :, None]
    return g[:, None] != g[None, :], (product ^ g[None, None, None, :]) != 0


def check_orbsym(h1: np.ndarray, h2: np.ndarray, orbsym: Iterable[int], cutoff: float) -> None:
    """A ValueError naming the first integral with `|value| > cutoff` that ORBSYM says is
    zero (chemists' notation, 0-based indices), and how many there are."""
    g = irreps(orbsym)
    m = len(g)
    if h1.shape[0] != m:
        raise ValueError(f"ORBSYM has {m} entries for {h1.shape[0]} orbitals")
    found = []
    forbidden1, forbidden2 = forbidden_integrals(orbsym)
    bad1 = np.argwhere(forbidden1 & (np.abs(h1) > cutoff))
    if len(bad1):
        found.append(("h1", bad1, h1))
    bad2 = np.argwhere(forbidden2 & (np.abs(h2) > cutoff))
    if len(bad2):
        found.append(("h2", bad2, h2))
    if not found:
        return
    name, where, table = found[0]
    idx = tuple(int(k) for k in where[0])
    labels = ", ".join(str(int(g[k]) + 1) for k in idx)
    total = sum(len(w) for _, w, _ in found)
    raise ValueError(
        f"ORBSYM contradicts the integrals: {name}[{', '.join(map(str, idx))}] = "
        f"{table[idx]:.3e} is above the cutoff {cutoff:g}, but the orbitals' irreps "
        f"({labels}) make it vanish ({total} such integrals); give the right ORBSYM, none "
        "(orbsym=None: the irreps are then found from the integrals' zeros), or a larger "
        "cutoff"
    )


def orbsym_from_integrals(h1: np.ndarray, h2: np.ndarray, cutoff: float) -> tuple[int, ...]:
    """FCIDUMP-style labels (1..8) of the M orbitals that every integral above the cutoff
    allows (`check_orbsym` holds them: `|h1| > cutoff` and `|h2| > cutoff / 2`, so that no
    antisymmetrised coefficient `(pq|rs) - (ps|rq)` they forbid is above the cutoff):
    the tables' own structural zeros as a point group. Orbital `p` gets bits `x_p` over
    GF(2); each such integral asks `x_p + x_q (+ x_r + x_s) = 0`; the labels are three
    independent solutions (those of the elimination's free orbitals, taken as each
    other's complement of the all-ones solution every table has), all 1 where there are
    none. More than three (accidental zeros) give a coarser grading, still exact."""
    h1, h2 = np.asarray(h1), np.asarray(h2)
    m = h1.shape[0]
    words = (m + 63) // 64
    bit = np.zeros((m, words), np.uint64)
    bit[np.arange(m), np.arange(m) // 64] = np.uint64(1) << (np.arange(m) % 64).astype(np.uint64)
    rows = [bit[a] ^ bit[b] for a, b in np.argwhere(np.abs(h1) > cutoff)]
    found = np.argwhere(np.abs(h2) > cutoff / 2)
    two_body = bit[found[:, 0]] ^ bit[found[:, 1]] ^ bit[found[:, 2]] ^ bit[found[:, 3]]
    equations = np.concatenate([np.asarray(rows, np.uint64).reshape(-1, words), two_body])
    equations = equations[equations.any(1)]
    if words == 1:
        equations = np.unique(equations[:, 0]).reshape(-1, 1)
    else:  # rows as single items: numpy's unique of rows (axis=0) is slower
        rows_as_one = np.ascontiguousarray(equations).view(np.dtype((np.void, 8 * words)))
        equations = np.unique(rows_as_one).view(np.uint64).reshape(-1, words)
    pivots = []
    for p in range(m):  # Gauss-Jordan over GF(2), one orbital (bit) at a time
        w, b = p // 64, np.uint64(1) << np.uint64(p % 64)
        has = (equations[:, w] & b) != 0
        if not has.any():
            continue
        k = int(np.argmax(has))
        row = equations[k].copy()
        equations = equations[np.arange(len(equations)) != k]
        equations[has[np.arange(len(has)) != k]] ^= row
        for _, prow in pivots:  # keep the earlier pivot rows reduced
            if prow[w] & b:
                prow ^= row
        pivots.append((p, row))
    pivot_of = dict(pivots)
    free = [p for p in range(m) if p not in pivot_of]
    labels = np.zeros(m, np.int64)
    # one solution per free orbital f: x_f = 1, the other free orbitals 0, each pivot
    # orbital the bit f of its reduced row; the all-ones solution is their sum, so the
    # solutions of free[1:] span the rest
    for chosen, f in enumerate(free[1:4]):
        x = np.zeros(m, np.int64)
        x[f] = 1
        for p, row in pivot_of.items():
            x[p] = int((row[f // 64] >> np.uint64(f % 64)) & np.uint64(1))
        labels |= x << chosen
    return tuple(int(g) + 1 for g in labels)


def _patterns(sizes: np.ndarray, n: int) -> np.ndarray:
    """Every occupation `(n_g)` of the irrep blocks of `sizes` with `sum n_g = n`."""
    found = np.zeros((1, 0), np.int64)
    for size in sizes:
        k = np.arange(int(size) + 1)
        found = np.concatenate(
            [np.repeat(found, len(k), axis=0), np.tile(k, len(found))[:, None]], axis=1
        )
        found = found[found.sum(1) <= n]
    return found[found.sum(1) == n].reshape(-1, len(sizes))


def _excitations_by_irrep(sizes: np.ndarray, P: np.ndarray):
    """Per occupation pattern (rows of `P`) and product irrep h: the single excitations
    `X[:, h]` (particle of irrep a to a hole of irrep a ^ h), the particle pairs
    `Y[:, h]` and the hole pairs `Z[:, h]` whose irreps multiply to h."""
    holes = sizes[None, :] - P
    X = np.zeros((len(P), 8), np.int64)
    Y, Z = np.zeros_like(X), np.zeros_like(X)
    for h in range(8):
        for a in range(8):
            b = a ^ h
            X[:, h] += P[:, a] * holes[:, b]
            if a < b:
                Y[:, h] += P[:, a] * P[:, b]
                Z[:, h] += holes[:, a] * holes[:, b]
            elif a == b:
                Y[:, h] += P[:, a] * (P[:, a] - 1) // 2
                Z[:, h] += holes[:, a] * (holes[:, a] - 1) // 2
    return X, Y, Z


def pair_max(A: np.ndarray, X: np.ndarray, B: np.ndarray, Y: np.ndarray) -> tuple[int, int, int]:
    """`(value, i, j)`: the largest `A[i] + B[j] + X[i] . Y[j]` over every pair of rows
    (non-negative integers), exactly, without the `(len(X), len(Y))` table of them all:
    benzene in 6-31G has 178,172 occupations of 21 electrons of each spin, a table of 237
    GiB (sweep 22 found `connected_bound` out of memory). `A[i] + max(B) + X[i] .
    max(Y)` bounds every pair of row `i` (the entries are non-negative), and likewise
    each `j`; the best pair of the row and the column with the largest bounds is a first
    value, every row and column whose bound does not exceed it is left out (none of
    their pairs can), and the rest is evaluated in blocks of rows in decreasing order of
    their bounds, stopping at the first below the best found (benzene: 630 rows and
    columns of 178,172, 17 ms)."""
    A, B = np.asarray(A, np.int64), np.asarray(B, np.int64)
    X, Y = np.asarray(X, np.int64), np.asarray(Y, np.int64)
    bound_i = A + B.max() + X @ Y.max(0)
    bound_j = B + A.max() + Y @ X.max(0)
    i0, j0 = int(np.argmax(bound_i)), int(np.argmax(bound_j))
    row, column = B + Y @ X[i0], A + X @ Y[j0]
    best, i_best, j_best = int(A[i0] + row.max()), i0, int(np.argmax(row))
    if int(B[j0] + column.max()) > best:
        best, i_best, j_best = int(B[j0] + column.max()), int(np.argmax(column)), j0
    rows = np.flatnonzero(bound_i > best)
    rows = rows[np.argsort(-bound_i[rows], kind="stable")]
    columns = np.flatnonzero(bound_j > best)
    if len(rows) == 0 or len(columns) == 0:
        return best, i_best, j_best
    # float64 products: the counts are exact integers there (far below 2^53)
    Yc = Y[columns].astype(np.float64).T
    Bc = B[columns].astype(np.float64)
    block = max(1, _PAIR_CELLS // len(columns))
    for start in range(0, len(rows), block):
        chunk = rows[start : start + block]
        if bound_i[chunk[0]] <= best:
            break
        table = X[chunk].astype(np.float64) @ Yc + Bc[None, :]
        totals = table.max(1) + A[chunk]
        r = int(np.argmax(totals))
        value = round(float(totals[r]))
        if value > best:
            best = value
            i_best, j_best = int(chunk[r]), int(columns[np.argmax(table[r])])
    return best, i_best, j_best


_PAIR_CELLS = 1 << 22
"""The most pairs `pair_max` evaluates at once (32 MiB of float64)."""


def _best_pair(orbsym: Iterable[int], n_fermions_per_spin: tuple[int, int]):
    """The most connected states ORBSYM allows a state, `1 + singles + same-spin
    doubles + opposite-spin doubles` at its best pair of occupation patterns (`pair_max`),
    with those two patterns (electrons per irrep) and the irrep of each orbital."""
    g = irreps(orbsym)
    sizes = np.bincount(g, minlength=8)
    parts = []
    for n in n_fermions_per_spin:
        P = _patterns(sizes, int(n))
        X, Y, Z = _excitations_by_irrep(sizes, P)
        parts.append((P, X[:, 0] + (Y * Z).sum(1), X))
    (P0, a0, X0), (P1, a1, X1) = parts
    value, i, j = pair_max(a0, X0, a1, X1)
    return 1 + value, (P0[i], P1[j]), g


def connected_bound(orbsym: Iterable[int], n_fermions_per_spin: tuple[int, int]) -> int:
    """The most connected states (the state itself included) that ORBSYM allows a state
    of the sector: the maximum over every occupation of the irrep blocks, per spin, of
    `1 + singles + same-spin doubles + opposite-spin doubles` whose irreps multiply to
    the identity (a single within an irrep; a double `P, R -> Q, S` with `g_P ^ g_R =
    g_Q ^ g_S`). It depends on how many electrons each irrep holds only, so the maximum
    runs over those occupations, not over the states. No kernel with a fixed number of
    slots can have fewer: it bounds F from below for every exact layout
    (`bound_state` is a state that has them all)."""
    return _best_pair(orbsym, n_fermions_per_spin)[0]


def bound_state(orbsym: Iterable[int], n_fermions_per_spin: tuple[int, int]) -> np.ndarray:
    """A state of the sector (0/1 over the 2M spin orbitals, NetKet's order: the first
    spin's M orbitals, then the second's) whose occupation of the irreps is one where
    `connected_bound` is reached: `connected_count` of it is the bound. Where no
    coefficient that ORBSYM allows vanishes, its distinct connected states with a
    non-zero element are as many, so an exact kernel cannot have fewer slots than this
    state has connected states: the bound is reached, not only approached."""
    _, patterns, g = _best_pair(orbsym, n_fermions_per_spin)
    halves = []
    for pattern in patterns:
        occupied = np.zeros(len(g), np.int8)
        for irrep, count in enumerate(pattern):
            occupied[np.flatnonzero(g == irrep)[: int(count)]] = 1
        halves.append(occupied)
    return np.concatenate(halves)


def connected_count(orbsym: Iterable[int], occupied: np.ndarray, n_orbitals: int) -> int:
    """The connected states ORBSYM allows the state `occupied` (a 0/1 vector of the 2M
    spin orbitals, NetKet's order): `connected_bound`'s count at its own occupation."""
    g = irreps(orbsym)
    sizes = np.bincount(g, minlength=8)
    occupied = np.asarray(occupied)
    parts = []
    for s in (0, 1):
        pattern = np.bincount(
            g, weights=occupied[s * n_orbitals : (s + 1) * n_orbitals], minlength=8
        )
        X, Y, Z = _excitations_by_irrep(sizes, pattern.astype(np.int64)[None, :])
        parts.append((int(X[0, 0] + (Y * Z).sum()), X[0]))
    return int(1 + parts[0][0] + parts[1][0] + parts[0][1] @ parts[1][1])


__all__ = [
    "CUTOFF",
    "bound_state",
    "check_orbsym",
    "connected_bound",
    "connected_count",
    "irreps",
    "orbsym_from_integrals",
    "pair_max",
    "pyscf_orbsym",
]
