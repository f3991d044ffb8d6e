"""The excitations of a spin sector's configurations read from tables, where the sector
has few configurations: few electrons of a spin in many orbitals (LiH and H4 in
cc-pVDZ, BeH in aug-cc-pVDZ), whose joint sector is too large to tabulate whole
(`symir/runtime/sector_table.py`) but whose spins' own sectors are small.

`irrep_slots` decodes a slot `j` into its excitation at run time from the counts of
electrons and holes per irrep (segments, digits, `nth_site`): a chain of `select`s
and divisions per slot. Here a sector with at most `CONFIGURATIONS` configurations (the
`C(m, n)` ways of its `n` electrons in `m` orbitals) numbers its configuration `c` once
per state (the combinatorial number system: `c = sum_k C(o_k, k + 1)` over its
occupied orbitals `o_0 < o_1 < ...`, `n` `nth_site`s and `n` lookups), and a slot reads
its excitation from a table at `c` and the slot's index:

* the *moves* of one electron (`P -> Q`, both of the sector), grouped by the product
  `h = g_P ^ g_Q` of their irreps: block `h` holds at most `width[h]` moves (the most
  any configuration has), at `c * stride + base[h] + i`, as the electron's rank among
  the configuration's electrons times its holes plus the hole's rank among its holes
  (-1 past the configuration's own moves). The singles are the moves of product 0, the
  opposite-spin doubles a move of product `h` in each sector;
* the *pair moves* (same-spin doubles `P, R -> Q, S`, `P < R`, `Q < S`, `g_P ^ g_R =
  g_Q ^ g_S`), at `c * width + j`, as the four ranks (two electrons', two holes') in
  one number, -1 past the configuration's own.

The ranks go to `nth_site` (a fermion's site is a label, a constant or an `nth_site`),
as `irrep_slots`' decoded ranks do.

The widths are the largest counts over the configurations, which are `irrep_slots`'
largest counts over the occupations of the irreps: the same F, the same excitations and
elements (in another order within a configuration's slots)."""

from __future__ import annotations

import math
from functools import cached_property
from itertools import combinations

import numpy as np

from symir.frontend import expr as E

CONFIGURATIONS = 20_000
"""The most configurations of a sector whose excitations are read from tables."""

ENTRIES = 1 << 19
"""The most entries of a sector's tables together (moves and pair moves; `f64`
constants in the kernel: 4 MiB)."""


class SectorMoves:
    """The tables of one spin sector: orbitals `lo .. lo + m - 1`, `n` electrons, the
    irrep of each orbital `g`."""

    def __init__(self, lo: int, m: int, n: int, g: np.ndarray):
        self.lo, self.m, self.n = lo, m, n
        self.g = np.asarray(g, np.int64)

    @cached_property
    def configurations(self) -> np.ndarray:
        """Every configuration's occupied orbitals (rows, increasing), in the order of
        their numbers `sum_k C(o_k, k + 1)`."""
        found = np.array(list(combinations(range(self.m), self.n)), np.int64)
        found = found.reshape(-1, self.n)
        return found[np.argsort(self._number(found), kind="stable")]

    def _number(self, occupied: np.ndarray) -> np.ndarray:
        return sum(
            np.array([math.comb(int(o), k + 1) for o in occupied[:, k]], np.int64)
            for k in range(self.n)
        ) + np.zeros(len(occupied), np.int64)

    @cached_property
    def _holes(self) -> np.ndarray:
        """Every configuration's empty orbitals (rows, increasing)."""
        occupied = np.zeros((len(self.configurations), self.m), bool)
        np.put_along_axis(occupied, self.configurations, True, axis=1)
        return np.nonzero(~occupied)[1].reshape(len(occupied), self.m - self.n)

    @cached_property
    def moves(self) -> tuple[tuple, list[int], list[int], int]:
        """`(table, width, base, stride)`: the moves table (key -> the ranks of the
        electron and the hole, -1 past a configuration's own) and each product's
        block."""
        electrons, holes = self.configurations, self._holes
        count, n, k = len(electrons), self.n, self.m - self.n
        product = (self.g[electrons][:, :, None] ^ self.g[holes][:, None, :]).reshape(count, -1)
        ranks = (np.arange(n)[:, None] * k + np.arange(k)[None, :]).ravel()
        per = np.stack([(product == h).sum(1) for h in range(8)], axis=1)  # (count, 8)
        width = [int(w) for w in per.max(0)]
        base = [int(sum(width[:h])) for h in range(8)]
        stride = int(sum(width))
        values = np.full(count * stride, -1, np.int64)
        # the i-th move of product h of a configuration: its place among that product's
        position = np.zeros_like(product)
        for h in range(8):
            hit = product == h
            position[hit] = (np.cumsum(hit, axis=1) - 1)[hit]
        rows = np.repeat(np.arange(count), n * k).reshape(count, -1)
        at = rows * stride + np.asarray(base)[product] + position
        values[at.ravel()] = np.broadcast_to(ranks, product.shape).ravel()
        return _table(values), width, base, stride

    @cached_property
    def pair_moves(self) -> tuple[tuple, int]:
        """`(table, width)`: the pair moves table (key -> the ranks of the electrons
        and the holes, -1 past a configuration's own)."""
        electrons, holes = self.configurations, self._holes
        count, n, k = len(electrons), self.n, self.m - self.n
        e1, e2 = np.triu_indices(n, 1)
        h1, h2 = np.triu_indices(k, 1)
        g = self.g
        before = g[electrons[:, e1]] ^ g[electrons[:, e2]]  # (count, electron pairs)
        after = g[holes[:, h1]] ^ g[holes[:, h2]]  # (count, hole pairs)
        allowed = (before[:, :, None] == after[:, None, :]).reshape(count, -1)
        ranks = (((e1 * n + e2) * k)[:, None] * k + (h1 * k + h2)[None, :]).ravel()
        width = int(allowed.sum(1).max(initial=0))
        values = np.full(count * width, -1, np.int64)
        position = np.cumsum(allowed, axis=1) - 1
        rows = np.repeat(np.arange(count), allowed.shape[1]).reshape(count, -1)
        values[(rows * width + position)[allowed]] = np.broadcast_to(ranks, allowed.shape)[allowed]
        return _table(values), width

    def fits(self) -> bool:
        """Whether the sector's tables are small enough (`CONFIGURATIONS`, `ENTRIES`)."""
        count = math.comb(self.m, self.n)
        if not 0 < self.n < self.m or count > CONFIGURATIONS:
            return False
        moves = self.n * (self.m - self.n)
        pairs = math.comb(self.n, 2) * math.comb(self.m - self.n, 2)
        return count * (moves + pairs) <= ENTRIES

    def number(self) -> E.Expr:
        """The run-time configuration's number `sum_k C(o_k, k + 1)` (per state)."""
        sites = range(self.lo, self.lo + self.m)
        parts = []
        for k in range(self.n):
            offset = E.nth_site(k, 1, sites) - self.lo if self.lo else E.nth_site(k, 1, sites)
            binomials = [float(math.comb(o, k + 1)) for o in range(self.m)]
            parts.append(E.trunc(E.lookup(binomials, offset)))
        total = parts[0]
        for part in parts[1:]:
            total = total + part
        return total

    def _sites(self) -> range:
        return range(self.lo, self.lo + self.m)

    def _ranks(self, value, radices: list[int]) -> list:
        """The digits of `value` (most significant first) in `radices`."""
        digits = []
        for n, radix in enumerate(radices):
            scale = int(np.prod(radices[n + 1 :], dtype=np.int64))
            digit = E.quotient(value, scale)
            digits.append(digit if n == 0 else digit - E.quotient(value, scale * radix) * radix)
        return [E.select(value >= 0, d, -1) for d in digits]

    def move(self, number, h_base, index, valid=None):
        """`(P, Q, key)` of the `index`-th move in the block starting at `h_base` (a
        run-time or static offset) of configuration `number`: `nth_site`s of the
        electron's and the hole's ranks (-1 where the configuration has none or `valid`
        is false) and the orbital-offset key `P' m + Q'`."""
        table, _, _, stride = self.moves
        value = E.trunc(_lookup(table, number * stride + h_base + index))
        if valid is not None:
            value = E.select(valid, value, -1)
        electron, hole = self._ranks(value, [self.n, self.m - self.n])
        P, Q = E.nth_site(electron, 1, self._sites()), E.nth_site(hole, 0, self._sites())
        return P, Q, (P - self.lo) * self.m + (Q - self.lo)

    def pair_move(self, number, index, valid):
        """`(P, R, Q, S)` of the `index`-th pair move of configuration `number` (`P <
        R`, `Q < S`): `nth_site`s, -1 each where it has none or `valid` is false."""
        table, width = self.pair_moves
        value = E.select(valid, E.trunc(_lookup(table, number * width + index)), -1)
        holes = self.m - self.n
        e1, e2, h1, h2 = self._ranks(value, [self.n, self.n, holes, holes])
        sites = self._sites()
        return (
            E.nth_site(e1, 1, sites),
            E.nth_site(e2, 1, sites),
            E.nth_site(h1, 0, sites),
            E.nth_site(h2, 0, sites),
        )


def _table(values: np.ndarray) -> tuple[tuple, tuple]:
    """The keys and values of a `sym.lookup` of `values` (one pair of tuples shared by
    every lookup of the table: keyed once by the canonical forms, not per lookup)."""
    return tuple(range(len(values))), tuple(values.astype(float).tolist())


def _lookup(table: tuple[tuple, tuple], index) -> E.Expr:
    return E.Expr("lookup", *table, E.as_expr(index))
