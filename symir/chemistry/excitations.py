"""A molecular Hamiltonian whose slots are the excitations of a configuration's own
particles: the k-th particle of a spin sector moved to its l-th hole (singles), two of
its particles to two of its holes (same-spin doubles), one particle of each of two
sectors (opposite-spin doubles).

On a space that fixes the number of fermions of every spin sector (`SpinOrbitalFermions
(M, s=1/2, n_fermions_per_spin=(N_down, N_up))`), a configuration reaches exactly

    1 + sum_s N_s (M - N_s) + sum_s C(N_s, 2) C(M - N_s, 2) + prod_s N_s (M - N_s)

distinct states (the diagonal, singles, same-spin and opposite-spin doubles), whichever
orbitals it occupies. The terms here iterate over those excitations by *rank*, not by
orbital: a row `(k, l)` of the singles of sector `s` names the sites
`P = nth_site(k, 1, sites_s)` (its k-th particle) and `Q = nth_site(l, 0, sites_s)` (its
l-th hole), found per configuration, and emits `c+_P c_Q` (the branch `x' = c+_Q c_P x`)
with the matrix element read from a coefficient table at the run-time key of `(P, Q)`.
So the kernel's fan-out `F` is that count exactly, every slot of a configuration holds a
different `x'` (different ranks are different orbitals), and no slot is wasted on an
excitation the configuration cannot make.

The matrix element of each slot is the Slater-Condon rule, as in the orbital-indexed form
(`hamiltonian.py`): for a single, `t[P, Q] + sum_R U[P, Q, R] x_R` (the one-body
coefficient and every two-body product with a spectator `R`), for a double the
antisymmetrised `W[PR, QS]`. The tables are keyed by the orbitals' offsets in their
sectors (`(P - lo) m + (Q - lo)`, and the like with four offsets), read with
`sym.lookup` at keys known only at run time: a gather from a dense table in the kernel.
The Jordan-Wigner signs are those of the fermion products at sites found at run time
(symir/frontend/fermion.py): `sym.count`s between the sites, lowered as prefix sums.
"""

from __future__ import annotations

from itertools import combinations, product
from typing import TYPE_CHECKING

import numpy as np

from symir.frontend import expr as E
from symir.frontend.builder import DOperator
from symir.frontend.fermion import c, cdag

if TYPE_CHECKING:
    from symir.chemistry.tables import Coefficients

Block = tuple[int, int, int]
"""A spin sector: its sites `lo .. hi-1` and its number of fermions."""


def excitation_count(blocks: list[Block]) -> int:
    """The distinct states a configuration reaches: 1 + singles + doubles."""
    from math import comb, prod

    holes = [(n, hi - lo - n) for lo, hi, n in blocks]
    singles = sum(n * h for n, h in holes)
    same = sum(comb(n, 2) * comb(h, 2) for n, h in holes)
    opposite = sum(prod(a) * prod(b) for i, a in enumerate(holes) for b in holes[i + 1 :])
    return 1 + singles + same + opposite


def check_conserving(t: np.ndarray, W: np.ndarray, p, r, blocks: list[Block]) -> None:
    """Every non-zero coefficient keeps the number of fermions of every sector (else the
    excitations of a configuration's own particles miss it)."""
    sector = np.empty(t.shape[0], np.int64)
    for b, (lo, hi, _) in enumerate(blocks):
        sector[lo:hi] = b
    P, Q = np.nonzero(t)
    bad = sector[P] != sector[Q]
    if bad.any():
        a, b = int(P[bad][0]), int(Q[bad][0])
        raise ValueError(
            f"t[{a}, {b}] = {t[a, b]} moves a fermion between the sectors of sites {a} and "
            f"{b}, whose numbers the space fixes: excitations within the sectors cannot hold it"
        )
    i, j = np.nonzero(W)
    before = np.sort(np.stack([sector[p[i]], sector[r[i]]]), axis=0)
    after = np.sort(np.stack([sector[p[j]], sector[r[j]]]), axis=0)
    bad = (before != after).any(axis=0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        sites = [int(p[i[k]]), int(r[i[k]]), int(r[j[k]]), int(p[j[k]])]
        raise ValueError(
            f"the two-body coefficient of c+_{sites[0]} c+_{sites[1]} c_{sites[2]} c_{sites[3]} "
            f"is {W[i[k], j[k]]}: it changes the number of fermions of a sector the space fixes"
        )


def _offset(site: E.Expr, lo: int) -> E.Expr:
    return site - lo if lo else site


def singles(op: DOperator, block: Block, coefficients: Coefficients, pair_index, rows, name):
    """`c+_P c_Q (t[P, Q] + sum_R U[P, Q, R] x_R)` for the k-th particle P and the l-th
    hole Q of the sector, one row per `(k, l)`."""
    lo, hi, n = block
    m = hi - lo
    if n in (0, m):
        return op
    P1, Q1 = (a.ravel() + lo for a in np.nonzero(~np.eye(m, dtype=bool)))
    sites = range(lo, hi)
    particle, hole = E.nth_site("k", 1, sites), E.nth_site("l", 0, sites)
    key = _offset(particle, lo) * m + _offset(hole, lo)
    keys = (P1 - lo) * m + (Q1 - lo)
    parts = [coefficients.lookup(f"{name}_t", keys, lambda t, W, xp: t[P1, Q1], key)]
    for R in range(coefficients.t.shape[0]):
        if not ((P1 != R) & (Q1 != R)).any():
            continue
        column = _spectator_column(pair_index, P1, Q1, R)
        found = coefficients.lookup(f"{name}_u{R}", keys, column, key)
        parts.append(None if found is None else found * E.source_index(int(R)))
    parts = [p for p in parts if p is not None]
    if not parts:
        return op
    element = parts[0]
    for part in parts[1:]:
        element = element + part
    table = [(k, h) for k in range(n) for h in range(m - n)]
    rows[name] = len(table)
    return (
        op.for_each(("k", "l"), over=table)
        .named(name)
        .emit(cdag(particle) * c(hole), matrix_element=element)
    )


CHUNK = 1 << 20
"""The most keys of one coefficient lookup (the dense tables of the kernel's lookups
span at most 2^20 entries): a larger table is read as several lookups of disjoint key
ranges, summed (each reads 0.0 outside its own range). The doubles of more than 31
orbitals per spin have keys of four offsets past it (ethanol 6-31G in C1, 39 orbitals:
2,252,401; its compile was refused, sweep 22)."""


def _lookup(coefficients, name: str, keys, before, after, key) -> E.Expr | None:
    """`W[before, after]` at the run-time `key` (`keys`: the compact keys of the
    entries), in lookups of at most `CHUNK` consecutive keys."""
    parts = []
    for chunk, start in enumerate(range(0, int(keys.max(initial=0)) + 1, CHUNK)):
        inside = (keys >= start) & (keys < start + CHUNK)
        found = coefficients.lookup(
            name if chunk == 0 else f"{name}_{chunk}",
            keys[inside],
            lambda t, W, xp, b=before[inside], a=after[inside]: W[b, a],
            key,
        )
        if found is not None:
            parts.append(found)
    if not parts:
        return None
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return total


def _spectator_column(pair_index, P1, Q1, R: int):
    """`(t, W, xp) -> U[:, R]`: the coefficient of `c+_P c_Q n_R` (`P, Q = P1[i], Q1[i]`)
    from the two-body product `c+_P c+_R c_R c_Q` written with sorted pairs (the signs of
    the reordering); 0 for `R` = `P` or `Q`."""
    other = (P1 != R) & (Q1 != R)
    a, b = pair_index[P1, R], pair_index[Q1, R]
    sign = np.sign(R - P1) * np.sign(R - Q1)
    return lambda t, W, xp: xp.where(other, W[a, b] * sign, 0.0)


def spectator_coefficients(W, pair_index, P1, Q1, n_sites: int) -> np.ndarray:
    """`U[i, R]`: the coefficient of `c+_P c_Q n_R` (`P, Q = P1[i], Q1[i]`), every R."""
    columns = [_spectator_column(pair_index, P1, Q1, R)(None, W, np) for R in range(n_sites)]
    return np.stack(columns, axis=1) if columns else np.zeros((len(P1), 0))


def same_sector_doubles(op: DOperator, block: Block, coefficients, pair_index, rows, name):
    """`c+_P c+_R c_S c_Q` for the particles `P < R` (ranks `k1 < k2`) and the holes
    `Q < S` (ranks `l1 < l2`) of one sector."""
    lo, hi, n = block
    m = hi - lo
    if n < 2 or m - n < 2:
        return op
    quads = np.array(
        [(a, b, c_, d) for (a, b), (c_, d) in product(combinations(range(m), 2), repeat=2)],
        np.int64,
    ).reshape(-1, 4)
    a, b, q, s = quads.T
    distinct = (a != q) & (a != s) & (b != q) & (b != s)
    a, b, q, s = a[distinct], b[distinct], q[distinct], s[distinct]
    before, after = pair_index[a + lo, b + lo], pair_index[q + lo, s + lo]
    keys = ((a * m + b) * m + q) * m + s
    sites = range(lo, hi)
    P, R = E.nth_site("k1", 1, sites), E.nth_site("k2", 1, sites)
    Q, S = E.nth_site("l1", 0, sites), E.nth_site("l2", 0, sites)
    key = ((_offset(P, lo) * m + _offset(R, lo)) * m + _offset(Q, lo)) * m + _offset(S, lo)
    element = _lookup(coefficients, name, keys, before, after, key)
    if element is None:
        return op
    table = [
        (k1, k2, l1, l2)
        for k1, k2 in combinations(range(n), 2)
        for l1, l2 in combinations(range(m - n), 2)
    ]
    rows[name] = len(table)
    return (
        op.for_each(("k1", "k2", "l1", "l2"), over=table)
        .named(name)
        .emit(cdag(P) * cdag(R) * c(S) * c(Q), matrix_element=element)
    )


def cross_sector_doubles(
    op: DOperator, first: Block, second: Block, coefficients, pair_index, rows, name
):
    """`c+_P c+_R c_S c_Q` for a particle P and a hole Q of the first sector and a
    particle R and a hole S of the second (all of whose sites come after the first's)."""
    (lo, hi, n), (lo2, hi2, n2) = first, second
    m, m2 = hi - lo, hi2 - lo2
    if n in (0, m) or n2 in (0, m2):
        return op
    a, q, b, s = (v.ravel() for v in np.indices((m, m, m2, m2)))
    distinct = (a != q) & (b != s)
    a, q, b, s = a[distinct], q[distinct], b[distinct], s[distinct]
    before, after = pair_index[a + lo, b + lo2], pair_index[q + lo, s + lo2]
    keys = ((a * m + q) * m2 + b) * m2 + s
    P, Q = E.nth_site("k1", 1, range(lo, hi)), E.nth_site("l1", 0, range(lo, hi))
    R, S = E.nth_site("k2", 1, range(lo2, hi2)), E.nth_site("l2", 0, range(lo2, hi2))
    key = ((_offset(P, lo) * m + _offset(Q, lo)) * m2 + _offset(R, lo2)) * m2 + _offset(S, lo2)
    element = _lookup(coefficients, name, keys, before, after, key)
    if element is None:
        return op
    table = [
        (k1, k2, l1, l2)
        for k1 in range(n)
        for k2 in range(n2)
        for l1 in range(m - n)
        for l2 in range(m2 - n2)
    ]
    rows[name] = len(table)
    return (
        op.for_each(("k1", "k2", "l1", "l2"), over=table)
        .named(name)
        .emit(cdag(P) * cdag(R) * c(S) * c(Q), matrix_element=element)
    )


__all__ = ["check_conserving", "excitation_count", "spectator_coefficients"]
