"""Fermion strings in normal order, and their products by Wick's theorem, on bit masks.

A string in *normal order* is `c+_{i1} ... c+_{ik} c_{jl} ... c_{j1}` with `i1 < ... <
ik` and `j1 < ... < jl`: the creators ascending, then the annihilators descending (so
that `c+_P c+_R c_R c_P` is `n_P n_R`). It is given by two bit masks, `C` (the
creators' sites) and `A` (the annihilators'), and a sum of strings by three arrays
(`C`, `A` and the weights), each `(C, A)` once.

The product of two normal-ordered strings is, by Wick's theorem, a sum over the sets `T`
of sites that the first string's annihilators and the second's creators share
(`A1 & C2`): each site of `T` contracted (`c_t c+_t = 1 - c+_t c_t`, its `1`), the rest
moved into normal order, zero where a creator or an annihilator then repeats. Its sign:

* contracting `t`: `(-1)` to the number of operators between `c_t` and `c+_t`, those of
  `A1` and of `C2` below `t` (contracting the sites of `T` upwards, each earlier one
  removes one of each, which keeps the parity);
* the remaining annihilators `Ar` of the first past the remaining creators `Cr` of the
  second: `(-1)^(|Ar| |Cr|)`;
* merging `C1` and `Cr` into ascending order: a sign per pair `x in C1 > y in Cr`;
  merging `Ar` and `A2` into descending order: a sign per pair `x in Ar < y in A2`.

`fermion_algebra.product` multiplies sums of strings this way, all pairs at once with
NumPy (`uint64` masks: up to 63 sites), and sums the products that land on the same
string: `H @ H` of a molecular Hamiltonian of 12 spin orbitals is about 20 million
pairs of strings, but at most `sum_k C(12, k)^2` distinct strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from symir.frontend.fermion_tables import _merged

Product = tuple[tuple[int, int], ...]

MAX_MASK_SITES = 63
"""Sites that fit a `uint64` mask (the NumPy product); above it, Python's integers."""

_PAIRS_PER_CHUNK = 1 << 21


def _bits(mask: int) -> Iterator[int]:
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def wick(c1: int, a1: int, c2: int, a2: int) -> list[tuple[int, int, int]]:
    """The normal-ordered strings `(C, A, sign)` of the product of the normal-ordered
    strings `(c1, a1)` and `(c2, a2)` (Python integers as masks: any number of sites)."""
    shared = a1 & c2
    found = []
    contracted = shared
    while True:
        parity = 0
        for t in _bits(contracted):
            below = (1 << t) - 1
            parity += (a1 & below).bit_count() + (c2 & below).bit_count()
        ar, cr = a1 & ~contracted, c2 & ~contracted
        if not (c1 & cr) and not (ar & a2):
            parity += ar.bit_count() * cr.bit_count()
            parity += sum((c1 >> (y + 1)).bit_count() for y in _bits(cr))
            parity += sum((ar & ((1 << y) - 1)).bit_count() for y in _bits(a2))
            found.append((c1 | cr, ar | a2, -1 if parity & 1 else 1))
        if contracted == 0:
            return found
        contracted = (contracted - 1) & shared


def normal_order(string: Product) -> list[tuple[int, int, int]]:
    """The normal-ordered strings `(C, A, sign)` whose sum is `string` (`((site,
    dagger), ...)`, applied right to left): the string multiplied out one operator at a
    time from the left."""
    terms: dict[tuple[int, int], int] = {(0, 0): 1}
    for site, dagger in string:
        c2, a2 = (1 << site, 0) if dagger else (0, 1 << site)
        following: dict[tuple[int, int], int] = {}
        for (c1, a1), sign in terms.items():
            for c, a, s in wick(c1, a1, c2, a2):
                following[c, a] = following.get((c, a), 0) + sign * s
        terms = {key: s for key, s in following.items() if s}
    return [(c, a, s) for (c, a), s in terms.items()]


def as_product(c: int, a: int) -> Product:
    """The string `(C, A)` as `((site, dagger), ...)`, creators ascending, then the
    annihilators descending."""
    ascending = list(_bits(c))
    descending = sorted(_bits(a), reverse=True)
    return tuple((i, 1) for i in ascending) + tuple((j, 0) for j in descending)


class Sum:
    """A sum of normal-ordered strings: masks `c`, `a` (Python integers or `uint64`
    arrays) and weights `w`, each `(c, a)` once."""

    def __init__(self, c: list[int], a: list[int], w: np.ndarray):
        self.c, self.a, self.w = c, a, w

    def __len__(self) -> int:
        return len(self.w)

    @classmethod
    def of(cls, strings: Iterable[tuple[Product, Any]]) -> Sum:
        """The strings given as `(product, weight)`, in normal order, equal ones summed."""
        total: dict[tuple[int, int], Any] = {}
        for product, weight in strings:
            for c, a, s in normal_order(product):
                total[c, a] = total.get((c, a), 0) + s * weight
        keys = [key for key, w in total.items() if w != 0]
        w = np.array([total[key] for key in keys])
        if not keys:
            w = np.zeros(0)
        return cls([c for c, _ in keys], [a for _, a in keys], w)

    def strings(self, cut: float) -> tuple[tuple[Product, Any], ...]:
        """As `((site, dagger), ...)` products and Python numbers, weights with
        `|w| <= cut` left out."""
        real = not np.iscomplexobj(self.w)
        kept = []
        for c, a, w in zip(self.c, self.a, self.w.tolist(), strict=True):
            if abs(w) > cut:
                kept.append((as_product(int(c), int(a)), float(w) if real else complex(w)))
        return tuple(kept)


def product(left: Sum, right: Sum, n_sites: int) -> Sum:
    """`left @ right` in normal order, equal strings summed (NumPy up to 63 sites)."""
    if n_sites > MAX_MASK_SITES:
        return _python_product(left, right)
    c1, a1 = (np.array(x, dtype=np.uint64) for x in (left.c, left.a))
    c2, a2 = (np.array(x, dtype=np.uint64) for x in (right.c, right.a))
    dtype = np.result_type(left.w, right.w, np.float64)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    rows = max(1, _PAIRS_PER_CHUNK // max(1, len(right)))
    for start in range(0, len(left), rows):
        part = slice(start, start + rows)
        pairs = _pair_product(c1[part, None], a1[part, None], c2[None, :], a2[None, :], n_sites)
        if pairs is None:
            continue
        i, j, c, a, sign = pairs
        w = sign * left.w[part][i] * right.w[j]
        parts.append(_summed(c, a, w.astype(dtype)))
    if not parts:
        return Sum([], [], np.zeros(0, dtype))
    c, a, w = _summed(*(np.concatenate(x) for x in zip(*parts, strict=True)))
    return Sum(c, a, w)


def _pair_product(c1, a1, c2, a2, n_sites: int):
    """Every product of a row of `(c1, a1)` (column vectors) by one of `(c2, a2)` (row
    vectors): the pair's indices `i`, `j`, the strings and their signs; None if none."""
    c1, a1, c2, a2 = np.broadcast_arrays(c1, a1, c2, a2)
    shape = c1.shape
    c1, a1, c2, a2 = (x.ravel() for x in (c1, a1, c2, a2))
    shared = a1 & c2
    contracted = shared.copy()
    live = np.ones(len(c1), dtype=bool)
    one = np.uint64(1)
    found = []
    while live.any():
        k = np.flatnonzero(live)
        t_mask, s_mask = contracted[k], shared[k]
        x1, y1, x2, y2 = c1[k], a1[k], c2[k], a2[k]
        ar, cr = y1 & ~t_mask, x2 & ~t_mask
        ok = ((x1 & cr) == 0) & ((ar & y2) == 0)
        parity = np.bitwise_count(ar).astype(np.int64) * np.bitwise_count(cr)
        for t in range(n_sites):
            bit = np.uint64(t)
            below = (one << bit) - one
            in_t = ((t_mask >> bit) & one).astype(bool)
            in_cr = ((cr >> bit) & one).astype(bool)
            in_a2 = ((y2 >> bit) & one).astype(bool)
            parity += in_t * (np.bitwise_count(y1 & below) + np.bitwise_count(x2 & below))
            parity += in_cr * np.bitwise_count(x1 >> (bit + one))
            parity += in_a2 * np.bitwise_count(ar & below)
        sign = 1 - 2 * (parity & 1)
        found.append((k[ok], (x1 | cr)[ok], (ar | y2)[ok], sign[ok]))
        live[k[t_mask == 0]] = False
        contracted[k] = (t_mask - one) & s_mask
    k, c, a, sign = (np.concatenate(x) for x in zip(*found, strict=True))
    if not len(k):
        return None
    i, j = np.unravel_index(k, shape)
    return i, j, c, a, sign


def _summed(c: np.ndarray, a: np.ndarray, w: np.ndarray):
    """The distinct `(c, a)` and their summed weights (`fermion_tables._merged`: as one
    integer per string where it fits), real where `w` is."""
    rows, total = _merged(np.stack([c, a], axis=1).astype(np.int64), w)
    return (
        rows[:, 0].astype(np.uint64),
        rows[:, 1].astype(np.uint64),
        (total if np.iscomplexobj(w) else total.real),
    )


def _python_product(left: Sum, right: Sum) -> Sum:
    total: dict[tuple[int, int], Any] = {}
    for c1, a1, w1 in zip(left.c, left.a, left.w.tolist(), strict=True):
        for c2, a2, w2 in zip(right.c, right.a, right.w.tolist(), strict=True):
            for c, a, s in wick(int(c1), int(a1), int(c2), int(a2)):
                total[c, a] = total.get((c, a), 0) + s * w1 * w2
    keys = list(total)
    w = np.array([total[key] for key in keys]) if keys else np.zeros(0)
    return Sum([c for c, _ in keys], [a for _, a in keys], w)


__all__ = ["MAX_MASK_SITES", "Sum", "as_product", "normal_order", "product", "wick"]
