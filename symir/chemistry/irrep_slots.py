"""Excitation slots that follow the molecule's point-group symmetry (ORBSYM): a slot for
every excitation whose coefficient symmetry allows, numbered per configuration.

A single `P -> Q` needs `g_P = g_Q`; a double `P, R -> Q, S` needs `g_P ^ g_R = g_Q ^
g_S` (irreps of D2h and its subgroups, product by XOR, symir/chemistry/symmetry.py). How
many a configuration has depends only on how many electrons of each spin each irrep
holds, `n[s, a]` (and the holes `h[s, a] = m_a - n[s, a]`):

* singles of spin s: `sum_a n[s, a] h[s, a]`;
* same-spin doubles: `sum_h Y[s, h] Z[s, h]`, the particle pairs and the hole pairs
  whose irreps multiply to `h`;
* opposite-spin doubles: `sum_h X[0, h] X[1, h]`, `X[s, h] = sum_a n[s, a] h[s, a ^ h]`
  the moves of one electron of spin s whose irreps multiply to `h`.

Each of the five terms (singles and same-spin doubles per spin, opposite-spin doubles)
has one row per slot, `j = 0 .. F_T - 1`, `F_T` the largest count of its kind over the
occupations of the irreps (`symmetry._patterns`): the sum over the terms is within a few
per cent of `symmetry.connected_bound` (the largest total, which no fixed layout can
beat) on real molecules. Where it is `JOINT_RATIO` (1.25) or more above it (the kinds' largest
counts reached at different occupations: one electron of each spin), one term holds
every kind in `connected_bound - 1` rows, the kinds one after the other at run time
(`_joint`). Row `j` of a configuration is decoded at run time into its excitation, as
a mixed-radix number whose digits' sizes are the configuration's counts:

1. the segment it falls in (the product irrep `h`, then the irrep `a` of the first
   electron, ...): cumulative sums of the segments' sizes compared with `j`, the
   segment's values picked with `select`s;
2. the digits in the segment: `sym.quotient` by the run-time size of the next digit
   (`k = r / h[s, a]`, `l = r - k h[s, a]`), a pair of one irrep by the triangular
   numbers;
3. the sites: each spin's orbitals are listed irrep by irrep (`sites`), so the k-th
   electron of irrep `a` is the `(sum_{b < a} n[s, b] + k)`-th electron of that list,
   `nth_site(rank, 1, sites)` (holes likewise with state 0).

A row past the configuration's count gets rank -1: its site is not found and its branch
is dropped. A spin sector with few configurations (`sector_moves.SectorMoves.fits`) reads
steps 1-3 of its singles, same-spin doubles and its moves in opposite-spin doubles from
tables of its configurations instead (symir/chemistry/sector_moves.py). The matrix elements are those of `excitations.py` (Slater-Condon singles,
antisymmetrised doubles) read at run-time keys. A double's table holds only what the
irreps allow, numbered densely block by block (`_compact`: the pairs or moves of one
irrep product `h` after those of the products before, `O_h + p1 n2_h + p2`), so that it
has about `1/8` of the entries of a table keyed by four orbital offsets (N2 cc-pVTZ, 60
orbitals per spin, fits): the key is the sum of two small lookups of the halves (`p1`
from the first pair or move, `p2` from the second, `sym.trunc` of each). A same-spin
double's pairs are read unordered (`P`, `R` and `Q`, `S` come in irrep order, not site
order), the sign of the reordering `sign(R - P) sign(S - Q)` applied at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from symir.chemistry.excitations import _lookup, _offset, _spectator_column
from symir.chemistry.sector_moves import SectorMoves
from symir.chemistry.symmetry import (
    _excitations_by_irrep,
    _patterns,
    connected_bound,
    irreps,
    pair_max,
)
from symir.frontend import expr as E
from symir.frontend.builder import DOperator
from symir.frontend.fermion import c, cdag

if TYPE_CHECKING:
    from symir.chemistry.tables import Coefficients

Block = tuple[int, int, int]


def _sum(parts: list) -> E.Expr | int:
    total: E.Expr | int = 0
    for p in parts:
        total = p if isinstance(total, int) and total == 0 else total + p
    return total


def _pick(j, segments: list[tuple[object, tuple]]):
    """`(r, payload, valid)`: the segment of the flat index `j` (segments in order, each
    `(size, payload)`), `j` less the segment's start, its payload, and whether `j` is
    below the total."""
    r: object = j
    payload = segments[0][1]  # j >= 0: the first segment unless a later one starts at j
    start: object = segments[0][0]
    for size, values in segments[1:]:
        # the last segment that starts at or below j holds it (where j is below the
        # total): a later one starts at or past the end of j's, above j, even if empty
        inside = j >= start
        r = E.select(inside, j - start, r)
        payload = tuple(E.select(inside, v, p) for v, p in zip(values, payload, strict=True))
        start = start + size
    return r, payload, j < start


def _xor_permute(values: dict[int, object], hval, irreps: list[int]) -> dict[int, object]:
    """`{a: values[a ^ hval]}` for the run-time irrep product `hval` (0 where `a ^ hval`
    has no entry): a butterfly of `select`s, one layer per bit that the irreps span
    (`values[a ^ hval]` is `values[a]` with the bits of `hval` flipped one at a time),
    `8 * 3` selects at most where a chain per irrep over the values of `hval` took `8 *
    7`."""
    span = 0
    for a in irreps:
        span |= a
    spanned = [a for a in range(8) if not a & ~span]  # closed under XOR with span's bits
    vec: dict[int, object] = {a: values.get(a, 0) for a in spanned}
    for bit, flip in _flips(hval, irreps):
        vec = {a: E.select(flip, vec[a ^ bit], vec[a]) for a in spanned}
    return {a: vec[a] for a in irreps}


def _flips(hval, irreps: list[int]) -> list[tuple[int, E.Expr]]:
    """`(bit, whether hval has it)` for each bit that some irrep has, lowest first (a
    product of the irreps has no other bits)."""
    span = 0
    for a in irreps:
        span |= a
    return [
        (bit, E.quotient(hval, bit) - E.quotient(hval, 2 * bit) * 2 == 1)
        for bit in (1, 2, 4)
        if span & bit
    ]


def _counts(lo: int, orbitals: list[int]) -> list[E.Expr]:
    """The electrons on `orbitals` (offsets from `lo`, increasing): one `sym.count` per
    run of consecutive orbitals. Counts, not reads of `x` at constant sites, so that no
    site is lifted into a column of the term's thousands of rows (`sym-lift-constant-
    sites`); the same range in every row is counted once and broadcast."""
    runs: list[list[int]] = []
    for o in orbitals:
        if runs and runs[-1][1] == o:
            runs[-1][1] = o + 1
        else:
            runs.append([o, o + 1])
    return [E.count(lo + a, lo + b) for a, b in runs]


@dataclass
class _Sector:
    """A spin sector's orbitals by irrep, and its run-time occupations per irrep."""

    lo: int
    m: int
    n: int
    g: np.ndarray  # irrep of each orbital (0..7)
    by_irrep: tuple | None = None  # `_patterns_of`, once computed

    def __post_init__(self):
        self.irreps = sorted({int(a) for a in self.g})
        self.orbitals = {a: [int(o) for o in np.flatnonzero(self.g == a)] for a in self.irreps}
        self.sites = [self.lo + o for a in self.irreps for o in self.orbitals[a]]
        self.size = {a: len(self.orbitals[a]) for a in self.irreps}
        self.particles = {a: _sum(_counts(self.lo, self.orbitals[a])) for a in self.irreps}
        self.holes = {a: self.size[a] - self.particles[a] for a in self.irreps}
        self.first_particle, self.first_hole = {}, {}
        pc: object = 0
        hc: object = 0
        for a in self.irreps:
            self.first_particle[a], self.first_hole[a] = pc, hc
            pc = pc + self.particles[a]
            hc = hc + self.holes[a]

        moves = SectorMoves(self.lo, self.m, self.n, self.g)
        self.tables = moves if moves.fits() else None  # sector_moves.py
        self._number = None

    @property
    def number(self):
        """The run-time configuration's number in `tables` (built once)."""
        if self._number is None:
            self._number = self.tables.number()
        return self._number

    def count(self, state: int) -> dict:
        return self.particles if state == 1 else self.holes

    def first(self, state: int) -> dict:
        return self.first_particle if state == 1 else self.first_hole

    def moves(self, hval) -> list[tuple[object, tuple]]:
        """The segments of the moves of one electron whose irreps multiply to the
        run-time `hval`, by the electron's irrep `a` (its hole's is `a ^ hval`):
        `(size, (holes of a ^ h, first particle rank of a, first hole rank of a ^ h))`."""
        holes = _xor_permute(self.holes, hval, self.irreps)
        firsts = _xor_permute(self.first_hole, hval, self.irreps)
        return [
            (self.particles[a] * holes[a], (holes[a], self.first_particle[a], firsts[a]))
            for a in self.irreps
        ]

    def move_count(self, h: int):
        return _sum(
            [self.particles[a] * self.holes[a ^ h] for a in self.irreps if a ^ h in self.size]
        )

    def pair_count(self, h: int, state: int):
        count = self.count(state)
        parts = []
        for a in self.irreps:
            b = a ^ h
            if b not in self.size or b < a:
                continue
            if a == b:
                parts.append(E.quotient(count[a] * (count[a] - 1), 2))
            else:
                parts.append(count[a] * count[b])
        return _sum(parts)

    def pair(self, index, hval, state: int):
        """The ranks (among the electrons, state 1, or holes, 0, in `sites`' order) of
        the two sites of the `index`-th pair (of particles, state 1, or holes, 0)
        whose irreps multiply to the run-time `hval`: the pair's first irrep `a`, then
        `a < b = a ^ h` as two digits, or `a = b` (h = 0) by the triangular numbers."""
        count, first = self.count(state), self.first(state)
        seconds = _xor_permute(count, hval, self.irreps)  # count[a ^ h]
        firsts = _xor_permute(first, hval, self.irreps)
        flips = _flips(hval, self.irreps)
        segments = []
        for a in self.irreps:
            size = E.select(
                hval == 0, E.quotient(count[a] * (count[a] - 1), 2), count[a] * seconds[a]
            )
            # a ^ h < a (h's highest bit set in a): the pair is counted under a ^ h
            below: object = 0
            for bit, flip in flips:  # lowest bit first: the highest one set decides
                below = E.select(flip, 1 if a & bit else 0, below)
            if any(a & bit for bit, _ in flips):
                size = E.select(below == 1, 0, size)
            segments.append((size, (seconds[a], first[a], firsts[a])))
        q, (second, first_a, first_b), _ = _pick(index, segments)
        k1 = _divide(q, E.maximum(second, 1))
        k2 = q - k1 * second
        # a pair of one irrep: q = C(t2, 2) + t1 with t1 < t2
        biggest = max(self.size.values())
        t2 = 1 + _sum([E.select(q >= t * (t - 1) // 2, 1, 0) for t in range(2, biggest)])
        t1 = q - E.quotient(t2 * (t2 - 1), 2)
        same = hval == 0
        r1 = E.select(same, first_a + t1, first_a + k1)
        r2 = E.select(same, first_a + t2, first_b + k2)
        return r1, r2


def _divide(a, d):
    """`quotient(a, d)` (rounded toward zero) for a run-time `d >= 1`, as the truncated
    float division `trunc(a / d)`: exact for `|a| < 2^53` (a non-integer `a / d` is at
    least `1 / d` from an integer, and the division's rounding error is at most `2^-53
    |a| / d`, below it), and the values here are below `2^53` (`_once` checks). A 64-bit
    integer division is one scalar instruction per element on the CPU; `f64` divides
    vectorise (HF cc-pVDZ: the kernel 14% faster, its results the same bit for bit)."""
    return E.trunc(a / d)


def _once(ranks: list, valid, divisor, m: int) -> list:
    """`ranks` (each in `[0, m)` where `valid`), `-1` each where not, decoded once per
    configuration and row: packed into one integer (digits of a power of two `>= m`)
    that goes through `_divide(v * divisor, divisor)` (the identity, `divisor >= 1` a
    run-time value) and unpacked. XLA copies cheap element-wise producers into each
    of their consumers, so the select chains of the decoding ran once per site gathered
    (four times for a double); a division by a run-time value is no cheap
    producer to XLA, so the packed value is computed once and stored (N2 6-31G: the
    kernel 2.2 times faster)."""
    radix = 1 << max(1, (m - 1).bit_length())
    if radix ** len(ranks) * m * m >= 1 << 53:  # the divisors are counts below m^2
        raise ValueError(f"{m} orbitals per spin: the packed ranks do not fit 53 bits")
    packed: object = 0
    for rank in ranks:
        packed = packed * radix + rank
    packed = E.select(valid, packed, -1)
    stored = _divide(packed * divisor, divisor)
    out = []
    for n in range(len(ranks)):
        scale = radix ** (len(ranks) - 1 - n)
        digit = E.quotient(stored, scale) - E.quotient(stored, scale * radix) * radix
        out.append(E.select(stored >= 0, digit, -1))
    return out


def _blocks(first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every `(i, k)` with `first[i] == second[k]` (a coefficient the irreps allow)."""
    i, k = np.nonzero(first[:, None] == second[None, :])
    return i, k


def _compact(first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keys of the allowed `(i, k)` numbered densely, `base[i] + position[k]`: the
    blocks of one irrep product `h` one after the other, `i` and `k` by their positions
    `p1`, `p2` among the items of product `h` (`base = O_h + p1 n2_h`, `position = p2`);
    `sum_h n1_h n2_h` keys instead of the dense product of the orbital indices."""
    base = np.zeros(len(first), np.int64)
    position = np.zeros(len(second), np.int64)
    offset = 0
    for h in range(8):
        one, two = np.flatnonzero(first == h), np.flatnonzero(second == h)
        position[two] = np.arange(len(two))
        base[one] = offset + np.arange(len(one)) * len(two)
        offset += len(one) * len(two)
    return base, position


def _dense(values: np.ndarray, keys: np.ndarray | None = None) -> dict:
    keys = np.arange(len(values)) if keys is None else keys
    return dict(zip(np.asarray(keys).tolist(), np.asarray(values, float).tolist(), strict=True))


def _pair_key(u: E.Expr, v: E.Expr, m: int) -> E.Expr:
    """The index of the unordered pair `{u, v}` (`u != v`) among `np.triu_indices`' pairs
    of sites below `m`, `lo (2 m - lo - 1) / 2 + hi - lo - 1` with `lo < hi`."""
    low, high = E.minimum(u, v), E.maximum(u, v)
    return E.quotient(low * (2 * m - low - 1), 2) + high - low - 1


_DIGITS = ("j0", "j1", "j2")
"""A row's slot number `j` as three base-N digits (row labels are sites, below N)."""


def _base(op: DOperator) -> int:
    return int(op.hilbert.size)


def _slot_index(op: DOperator) -> E.Expr:
    n = _base(op)
    j0, j1, j2 = (E.site(d).index for d in _DIGITS)
    return (j0 * n + j1) * n + j2


def _slot_rows(op: DOperator, slots: int) -> list[tuple[int, int, int]]:
    n = _base(op)
    if slots > n**3:
        raise ValueError(f"{slots} slots do not fit three digits of base {n}")
    return [(j // (n * n), (j // n) % n, j % n) for j in range(slots)]


def _most(per_pattern: np.ndarray) -> int:
    return int(per_pattern.max(initial=0))


def _patterns_of(sector: _Sector):
    """`(X, Y, Z)` of `_excitations_by_irrep` over the sector's occupations of its
    irreps, computed once per sector (benzene 6-31G: 178,172 occupations)."""
    if sector.by_irrep is None:
        sizes = np.zeros(8, np.int64)
        for a, k in sector.size.items():
            sizes[a] = k
        sector.by_irrep = _excitations_by_irrep(sizes, _patterns(sizes, sector.n))
    return sector.by_irrep


def _spectator_sum(coefficients, pair_index, P1, Q1, keys, key, name: str, other: _Sector):
    """`sum_R U[P, Q, R] x_R` over the sites R of the sector `other`: over its electrons
    R_k (`nth_site(k, 1, ...)`, k < n), each read from one table keyed by `(P, Q)`'s key
    and R's offset as two digits (`key + K (R - lo)`, `K` past the pairs' keys), zero
    where R is P or Q: one lookup per electron, where a table per site R times `x_R`
    made one per site."""
    lo, m = other.lo, other.m
    R = np.repeat(np.arange(lo, lo + m), len(P1))
    span = int(keys.max(initial=0)) + 1
    table_keys = np.tile(keys, m) + span * (R - lo)
    spectator = _spectator_column(pair_index, np.tile(P1, m), np.tile(Q1, m), R)
    sites = range(lo, lo + m)
    first = coefficients.lookup(name, table_keys, spectator, key)  # screened once
    if first is None:
        return []
    table = first.args[:2]  # (keys, values), read at each electron's key
    return [
        E.Expr("lookup", *table, key + span * _offset(E.nth_site(k, 1, sites), lo))
        for k in range(other.n)
    ]


@dataclass
class _Arm:
    """One kind of excitation read at a slot index: at most `slots` per configuration,
    `total` of them for the run-time configuration, the fermion product and its element."""

    slots: int
    total: object
    product: object
    element: object


def singles(j, sector: _Sector, spectators, coefficients: Coefficients, pair_index, name):
    """`c+_P c_Q (t[P, Q] + sum_R U[P, Q, R] x_R)`, P and Q of one irrep, R over the
    electrons of every sector (`spectators`), the `j`-th of the configuration's."""
    slots = _single_slots(sector)
    if slots == 0:
        return None
    lo, m = sector.lo, sector.m
    segments = [
        (
            sector.particles[a] * sector.holes[a],
            (sector.holes[a], sector.first_particle[a], sector.first_hole[a]),
        )
        for a in sector.irreps
    ]
    total = _sum([size for size, _ in segments])
    if sector.tables is not None:  # the moves of product 0 (sector_moves.py)
        particle, hole, key = sector.tables.move(sector.number, 0, j, (j >= 0) & (j < slots))
    else:
        r, (holes, first_p, first_h), valid = _pick(j, segments)
        k = _divide(r, E.maximum(holes, 1))
        ranks = _once([first_p + k, first_h + r - k * holes], valid, E.maximum(holes, 1), m)
        particle = E.nth_site(ranks[0], 1, sector.sites)
        hole = E.nth_site(ranks[1], 0, sector.sites)
        key = _offset(particle, lo) * m + _offset(hole, lo)
    g = sector.g
    P1, Q1 = (v + lo for v in np.nonzero((g[:, None] == g[None, :]) & ~np.eye(m, dtype=bool)))
    keys = (P1 - lo) * m + (Q1 - lo)
    parts = [coefficients.lookup(f"{name}_t", keys, lambda t, W, xp: t[P1, Q1], key)]
    for b, other in enumerate(spectators):
        parts += _spectator_sum(coefficients, pair_index, P1, Q1, keys, key, f"{name}_u{b}", other)
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    return _Arm(slots, total, cdag(particle) * c(hole), _sum(parts))


def same_sector_doubles(j, sector: _Sector, coefficients, pair_index, name):
    """`c+_P c+_R c_S c_Q`: particles `P, R` to holes `Q, S` of one spin, `g_P ^ g_R =
    g_Q ^ g_S`, the `j`-th of the configuration's."""
    _, Y, Z = _patterns_of(sector)
    slots = _same_sector_slots(sector)
    if slots == 0:
        return None
    lo, m = sector.lo, sector.m
    hs = [h for h in range(8) if _most(Y[:, h] * Z[:, h]) > 0]
    segments = [
        (sector.pair_count(h, 1) * sector.pair_count(h, 0), (h, sector.pair_count(h, 0)))
        for h in hs
    ]
    total = _sum([size for size, _ in segments])
    if sector.tables is not None:  # P < R, Q < S (sector_moves.py)
        P, R, Q, S = sector.tables.pair_move(sector.number, j, (j >= 0) & (j < slots))
    else:
        r, (hval, hole_pairs), valid = _pick(j, segments)
        first = _divide(r, E.maximum(hole_pairs, 1))
        ranks = [*sector.pair(first, hval, 1), *sector.pair(r - first * hole_pairs, hval, 0)]
        rP, rR, rQ, rS = _once(ranks, valid, E.maximum(hole_pairs, 1), m)
        P, R = E.nth_site(rP, 1, sector.sites), E.nth_site(rR, 1, sector.sites)
        Q, S = E.nth_site(rQ, 0, sector.sites), E.nth_site(rS, 0, sector.sites)
    a, b = np.triu_indices(m, k=1)
    product = sector.g[a] ^ sector.g[b]
    base, position = _compact(product, product)
    i, k = _blocks(product, product)
    a, b, q, s = a[i], b[i], a[k], b[k]
    distinct = (a != q) & (a != s) & (b != q) & (b != s)
    a, b, q, s, i, k = (v[distinct] for v in (a, b, q, s, i, k))
    before, after = pair_index[a + lo, b + lo], pair_index[q + lo, s + lo]
    keys = base[i] + position[k]
    first_pair = _pair_key(_offset(P, lo), _offset(R, lo), m)
    second_pair = _pair_key(_offset(Q, lo), _offset(S, lo), m)
    key = E.trunc(E.lookup(_dense(base), first_pair)) + E.trunc(
        E.lookup(_dense(position), second_pair)
    )
    sign = 1 if sector.tables is not None else E.select(P < R, 1, -1) * E.select(Q < S, 1, -1)
    element = _lookup(coefficients, name, keys, before, after, key)
    if element is None:
        return None
    return _Arm(slots, total, cdag(P) * cdag(R) * c(S) * c(Q), sign * element)


def cross_sector_doubles(j, first: _Sector, second: _Sector, coefficients, pair_index, name):
    """`c+_P c+_R c_S c_Q`: P to Q in the first sector, R to S in the second, `g_P ^ g_Q
    = g_R ^ g_S`, the `j`-th of the configuration's."""
    X0, _, _ = _patterns_of(first)
    X1, _, _ = _patterns_of(second)
    slots = _cross_slots(first, second)
    if slots == 0:
        return None
    hs = [h for h in range(8) if _most(X0[:, h]) > 0 and _most(X1[:, h]) > 0]
    lo, m, lo2, m2 = first.lo, first.m, second.lo, second.m
    tabled = first.tables is not None and second.tables is not None
    bases = [(first.tables.moves[2][h], second.tables.moves[2][h]) if tabled else () for h in hs]
    segments = [
        (first.move_count(h) * second.move_count(h), (h, second.move_count(h), *base))
        for h, base in zip(hs, bases, strict=True)
    ]
    r, (hval, moves, *block), valid = _pick(j, segments)
    total = _sum([size for size, _ in segments])
    i = _divide(r, E.maximum(moves, 1))
    if tabled:  # a move of product h in each sector (sector_moves.py)
        P, Q, key_first = first.tables.move(first.number, block[0], i, valid)
        R, S, key_second = second.tables.move(second.number, block[1], r - i * moves, valid)
    else:
        ranks = []
        for sector, index in ((first, i), (second, r - i * moves)):
            r2, (holes, first_p, first_h), _ = _pick(index, sector.moves(hval))
            k = _divide(r2, E.maximum(holes, 1))
            ranks += [first_p + k, first_h + r2 - k * holes]
        rP, rQ, rR, rS = _once(ranks, valid, E.maximum(moves, 1), max(first.m, second.m))
        P, Q = E.nth_site(rP, 1, first.sites), E.nth_site(rQ, 0, first.sites)
        R, S = E.nth_site(rR, 1, second.sites), E.nth_site(rS, 0, second.sites)
        key_first = _offset(P, lo) * m + _offset(Q, lo)
        key_second = _offset(R, lo2) * m2 + _offset(S, lo2)
    a, q = (v.ravel() for v in np.nonzero(~np.eye(m, dtype=bool)))
    b, s = (v.ravel() for v in np.nonzero(~np.eye(m2, dtype=bool)))
    one, two = first.g[a] ^ first.g[q], second.g[b] ^ second.g[s]
    base, position = _compact(one, two)
    i, k = _blocks(one, two)
    before, after = pair_index[a[i] + lo, b[k] + lo2], pair_index[q[i] + lo, s[k] + lo2]
    keys = base[i] + position[k]
    key = E.trunc(E.lookup(_dense(base, a * m + q), key_first)) + E.trunc(
        E.lookup(_dense(position, b * m2 + s), key_second)
    )
    element = _lookup(coefficients, name, keys, before, after, key)
    if element is None:
        return None
    return _Arm(slots, total, cdag(P) * cdag(R) * c(S) * c(Q), element)


def sectors(blocks: list[Block], orbsym) -> list[_Sector]:
    """The spin sectors of restricted orbitals of ORBSYM `orbsym` (one irrep per
    spatial orbital, the same for every spin)."""
    g = irreps(orbsym)
    out = []
    for lo, hi, n in blocks:
        if hi - lo != len(g):
            raise ValueError(f"ORBSYM has {len(g)} entries for sectors of {hi - lo} orbitals")
        out.append(_Sector(lo, hi - lo, n, g))
    return out


JOINT_RATIO = 1.25
"""`terms` puts every kind of excitation in one range of slots where the kinds' own
ranges would take this many times more: the kinds' largest counts are then reached at
different occupations of the irreps (LiH cc-pVDZ with its 1s frozen, one electron of
each spin: 8 + 8 singles at A1, 113 opposite-spin doubles at A2, at most 113 together;
F 130 -> 114, NetKet's PNC operator 128). Each slot then decodes every kind that can
reach it (the kinds fewest slots first; a row past the most slots of the kinds before
a kind's end leaves that kind out) and keeps the one whose range holds it (an `emit_if`
chain, merged into one slot by `branch-merge-exclusive-emissions`), so the kernel does
more work per slot. Measured (batch 128, CPU time per call, `slots="symmetry"`), the
joint range was the slower kernel on every molecule where it was taken at 1.1: LiH
cc-pVDZ 1s frozen 0.95 vs 0.65 ms (F 114 vs 130), Li cc-pVDZ ROHF 1.43 vs 0.72 ms (F 86
vs 95), C2 cc-pVDZ CAS(4e, 16o) 1.82 vs 0.83 ms (F 179 vs 197; NetKet's 3.2-3.5 ms, F
211), with build + compile 1.9-8.4 s against 1.1-2.4 s. The StableHLO has 1.7 times
the ops of the kinds' own ranges (LiH) where the decoded rows are only 1.06 times more:
the count of decoded rows does not predict it. So the joint range is taken only where
F drops by a quarter or more (the network's B x F work, which it saves, then outweighs
a kernel about twice as slow); symir's local-energy path, which runs the network only
on the non-zero elements, does not pay for the difference in F at all."""


def _kinds(found: list[_Sector]):
    """`(name, arm builder of a slot index)` of every kind of excitation: the singles
    and same-spin doubles of each sector, the doubles of each pair of sectors."""
    kinds = []
    for b, sector in enumerate(found):
        kinds.append((f"singles_{b}", lambda j, k, s=sector: singles(j, s, found, *k)))
    for b, sector in enumerate(found):
        kinds.append((f"doubles_{b}", lambda j, k, s=sector: same_sector_doubles(j, s, *k)))
    for b, one in enumerate(found):
        for b2 in range(b + 1, len(found)):
            kinds.append(
                (
                    f"doubles_{b}_{b2}",
                    lambda j, k, a=one, b=found[b2]: cross_sector_doubles(j, a, b, *k),
                )
            )
    return kinds


def _single_slots(sector: _Sector) -> int:
    """The most singles of the sector over the occupations of its irreps."""
    X, _, _ = _patterns_of(sector)
    return _most(X[:, 0])


def _same_sector_slots(sector: _Sector) -> int:
    """The most same-spin doubles of the sector over the occupations of its irreps."""
    _, Y, Z = _patterns_of(sector)
    return _most((Y * Z).sum(1))


def _cross_slots(first: _Sector, second: _Sector) -> int:
    """The most doubles across two sectors over pairs of their occupations."""
    X0, _, _ = _patterns_of(first)
    X1, _, _ = _patterns_of(second)
    zero0, zero1 = np.zeros(len(X0), np.int64), np.zeros(len(X1), np.int64)
    return pair_max(zero0, X0, zero1, X1)[0]


def _kind_slots(found: list[_Sector]) -> list[int]:
    """The largest count of each kind of `_kinds` over the occupations of the irreps
    (each builder's `slots`), in `_kinds`' order."""
    out = [_single_slots(sector) for sector in found]
    out += [_same_sector_slots(sector) for sector in found]
    for b, first in enumerate(found):
        out += [_cross_slots(first, second) for second in found[b + 1 :]]
    return out


def terms(op: DOperator, blocks: list[Block], orbsym, coefficients, pair_index, rows) -> DOperator:
    """The singles and doubles of every sector and pair of sectors, in symmetry slots:
    a term per kind, or one term for them all where that cuts F by `JOINT_RATIO`."""
    found = sectors(blocks, orbsym)
    separate = sum(_kind_slots(found))
    joint = connected_bound(orbsym, tuple(b[2] for b in blocks)) - 1 if len(found) == 2 else 0
    if not 0 < JOINT_RATIO * joint <= separate:
        j = _slot_index(op)
        for name, build in _kinds(found):
            arm = build(j, (coefficients, pair_index, name))
            if arm is None:
                continue
            rows[name] = arm.slots
            op = (
                op.for_each(_DIGITS, over=_slot_rows(op, arm.slots))
                .named(name)
                .emit(arm.product, matrix_element=arm.element)
            )
        return op
    return _joint(op, found, coefficients, pair_index, rows, joint)


def _joint(op: DOperator, found, coefficients, pair_index, rows, joint: int) -> DOperator:
    """Every kind in one range of `joint` slots: the kinds one after the other (fewest
    slots first), slot `j` of the configuration in the first kind whose run-time range
    reaches past it, read at `j` less the counts of the kinds before.

    A slot decodes only the kinds that can hold it: kind `k` ends at or below the most
    slots of the kinds up to it together (`reach`), so the rows from there on leave it
    out of their chain, a term of their own (every row decoded every kind before)."""
    j = _slot_index(op)
    kinds, slots = _kinds(found), _kind_slots(found)
    arms = []
    start: object = 0
    for k in sorted(range(len(kinds)), key=lambda k: slots[k]):
        name, build = kinds[k]
        arm = build(j - start, (coefficients, pair_index, name))
        if arm is not None:  # a kind without a coefficient takes no slot
            start = start + arm.total
            arms.append((start, arm))
    if not arms:
        return op
    reach, most = [], 0
    for _, arm in arms:
        most += arm.slots
        reach.append(min(most, joint))
    reach[-1] = joint
    every_row = _slot_rows(op, joint)
    lo = 0
    for first, hi in enumerate(reach):
        if hi <= lo:
            continue
        name = "singles_doubles" if lo == 0 else f"singles_doubles_{lo}"
        op = op.for_each(_DIGITS, over=every_row[lo:hi]).named(name)
        for k, (end, arm) in enumerate(arms[first:]):
            emit = op.emit_elseif if k else op.emit_if
            op = emit(j < end, arm.product, matrix_element=arm.element)
        lo = hi
    rows["singles_doubles"] = joint
    return op


def check(t: np.ndarray, W: np.ndarray, p, r, orbsym, threshold: float) -> None:
    """A ValueError naming the first coefficient above `threshold` that ORBSYM forbids
    (the symmetry slots have no place for it: it would be dropped silently)."""
    g = irreps(orbsym)
    n = t.shape[0]
    if n % len(g):
        raise ValueError(f"ORBSYM has {len(g)} entries for {n} spin orbitals")
    gs = np.tile(g, n // len(g))
    P, Q = np.nonzero((np.abs(t) > threshold) & (gs[:, None] != gs[None, :]))
    if len(P):
        raise ValueError(
            f"ORBSYM contradicts the coefficients: t[{P[0]}, {Q[0]}] = {t[P[0], Q[0]]:.3e} is "
            f"above the cutoff {threshold:g} but joins irreps {gs[P[0]] + 1} and {gs[Q[0]] + 1}"
        )
    product = gs[p] ^ gs[r]
    i, k = np.nonzero((np.abs(W) > threshold) & (product[:, None] != product[None, :]))
    if len(i):
        sites = (int(p[i[0]]), int(r[i[0]]), int(r[k[0]]), int(p[k[0]]))
        raise ValueError(
            "ORBSYM contradicts the coefficients: the two-body coefficient of "
            f"c+_{sites[0]} c+_{sites[1]} c_{sites[2]} c_{sites[3]} is {W[i[0], k[0]]:.3e}, "
            f"above the cutoff {threshold:g}, but its irreps do not multiply to the identity"
        )


__all__ = ["check", "sectors", "terms"]
