"""The tables of a sum of Pauli strings (`symir.pauli_strings`, docs/pauli-strings.md),
as the terms that write them: used by `pauli_strings` and by the DSL's Pauli products
(`symir.frontend.pauli_terms`), without the builder (no import cycle through it)."""

from __future__ import annotations

from typing import Any

import numpy as np

from symir.dialects.sym.site_masks import pack_masks
from symir.frontend import expr as E
from symir.frontend.update import flip_sites, identity

_LETTERS = np.frombuffer(b"IXYZ", dtype=np.uint8)


def _down_state(hilbert: Any, states: tuple[int, ...]) -> int:
    """The local state on which Z is -1: NetKet's second local state (`Spin`: -1,
    `Qubit`: 1); for a symir space, the negative one of `(-s, s)` (Z = the spin's sign),
    else the larger (Z = 1 on `s0`, as on a qubit's 0)."""
    listed = getattr(hilbert, "local_states", None)
    if type(hilbert).__module__.startswith("netket") and listed is not None:
        return int(np.asarray(listed)[1])
    if states[0] == -states[1]:
        return states[0]
    return states[1]


def table_terms(
    letters: np.ndarray, w: np.ndarray, down: int
) -> tuple[list[tuple[str, tuple[str, ...], tuple | None, Any, Any]], bool, bool]:
    """The terms of `sum_k w_k P_k` (checked `(S, N)` uint8 letters `I X Y Z`, finite
    weights, Z = -1 on the local state `down`): (name, labels, rows or None for a
    global term, update, matrix element) each; whether a coefficient is complex; whether
    the sum is hermitian."""
    x = (letters == ord("X")) | (letters == ord("Y"))
    z = (letters == ord("Z")) | (letters == ord("Y"))
    return bit_table_terms(x, z, w, down)


def bit_table_terms(
    x: np.ndarray, z: np.ndarray, w: np.ndarray, down: int, which: np.ndarray | None = None
) -> tuple[list[tuple[str, tuple[str, ...], tuple | None, Any, Any]], bool, bool]:
    """`table_terms` of the strings given as their `(S, N)` booleans `x` (X or Y) and
    `z` (Z or Y): the DSL's Pauli products (`symir.frontend.pauli_terms`) are read into
    these, without the letters. With `which`, string `k` is row `which[k]` of `x` and
    `z` (a few hundred rows for 200,000 couplings), weighted `w[k]`."""
    n = x.shape[1]
    x, z, w = _combined(x, z, w, which)
    if len(w) == 0:  # no strings, or all cancelled: the zero operator, as NetKet's
        return [("zero", (), None, identity(), E.as_expr(0.0))], False, True
    x_or_y, z_or_y = x, z
    n_y = (x & z).sum(axis=1)
    c = w.astype(np.complex128) * (-1j) ** (n_y % 4)
    hermitian = _hermitian(w)
    complex_ = bool(np.any(c.imag != 0))
    out: list[tuple[str, tuple[str, ...], tuple | None, Any, Any]] = []
    coefficients = c if complex_ else c.real
    flips = pack_masks(x_or_y).reshape(len(x), -1)
    phases = pack_masks(z_or_y)
    patterns, which = (
        _unique_rows(flips)
        if len(x)
        else (
            np.zeros((0, flips.shape[1]), np.int64),
            np.zeros(0, np.int64),
        )
    )
    which = np.asarray(which).reshape(-1)
    order = np.argsort(which, kind="stable")
    counts = np.bincount(which, minlength=len(patterns))
    w_per = flips.shape[1]
    diagonal = np.flatnonzero(~patterns.any(axis=1))
    if len(diagonal):
        (d,) = diagonal
        mine = order[which[order] == d]
        element = E.parity_sum(
            0,
            [0, len(mine)],
            phases.reshape(-1, w_per)[mine].reshape(-1),
            coefficients[mine],
            down,
        )
        out.append(("diagonal", (), None, identity(), element))
    off = np.flatnonzero(patterns.any(axis=1))
    if len(off):
        # strings ordered by pattern (the diagonal one left out), the patterns renumbered
        rank = np.full(len(patterns), -1)
        rank[off] = np.arange(len(off))
        mine = order[rank[which[order]] >= 0]
        offsets = np.concatenate([[0], np.cumsum(counts[off])])
        base = max(n, 2)
        digits = _digits(n, len(off))
        labels = tuple(f"p{i}" for i in range(digits))
        k = np.arange(len(off))
        rows = np.stack([(k // base ** (digits - 1 - i)) % base for i in range(digits)], 1)
        if n == 1:
            rows[:] = 0
        key = E.site(labels[0]).index
        for lab in labels[1:]:
            key = key * base + E.site(lab).index
        element = E.parity_sum(
            key, offsets, phases.reshape(-1, w_per)[mine].reshape(-1), coefficients[mine], down
        )
        flips = flip_sites(key, patterns[off].reshape(-1))
        out.append(("strings", labels, tuple(map(tuple, rows.tolist())), flips, element))
    if not out:  # no string (or all weights zero): the zero operator
        out.append(("diagonal", (), None, identity(), E.as_expr(0.0)))
    return out, complex_, hermitian


def _unique_rows(a: np.ndarray, firsts: bool = False) -> tuple[np.ndarray, ...]:
    """`np.unique(a, axis=0, return_inverse=True)` (rows sorted) for a 2-d integer
    array, by a lexicographic sort of its int64 columns (`np.unique` on rows sorts
    them as structured items: 2 s for 100,000 strings of 36 letters); with `firsts`,
    also the index of each distinct row's first occurrence."""
    if len(a) == 0:
        none = np.zeros(0, np.int64)
        return (a, none, none) if firsts else (a, none)
    a = np.ascontiguousarray(a)
    order = np.lexsort(a.T[::-1].astype(np.int64))
    ranked = a[order]
    new = np.ones(len(a), bool)
    new[1:] = (ranked[1:] != ranked[:-1]).any(axis=1)
    group = np.cumsum(new) - 1
    inverse = np.empty(len(a), np.int64)
    inverse[order] = group
    if firsts:  # the sort is stable: a group's first row is its first occurrence
        return ranked[new], inverse, order[new]
    return ranked[new], inverse


def _packed_letters(letters: np.ndarray) -> np.ndarray:
    """The letters' codes (I X Y Z: 0-3), two bits each, 31 per int64 word: rows equal
    exactly where the strings are."""
    codes = np.zeros(256, np.int64)
    codes[_LETTERS] = np.arange(4)
    c = codes[letters]
    width = -(-letters.shape[1] // 31) if letters.shape[1] else 1
    words = np.zeros((len(letters), width), np.int64)
    for j in range(letters.shape[1]):
        words[:, j // 31] |= c[:, j] << (2 * (j % 31))
    return words


def _combined(
    x: np.ndarray, z: np.ndarray, w: np.ndarray, which: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each distinct string (`x`, `z` bits; with `which`, string `k` is their row
    `which[k]`) once, its weights summed (NetKet's `PauliStrings` does so), and the
    strings whose weight is zero dropped: a sum of couplings names the same string many
    times, and each string costs the kernel a column of its tables. The distinct strings
    are ordered as their letters' codes (`_packed_letters`) sort, a key made for them
    alone (a few thousand of 200,000 couplings); the strings are grouped by their packed
    bits."""
    s = len(w)
    if s > 1:
        packed = np.concatenate(
            [pack_masks(x).reshape(len(x), -1), pack_masks(z).reshape(len(z), -1)], axis=1
        )
        _, inverse, first = _unique_rows(packed, firsts=True)
        if which is not None:  # per string, and each group's first string
            inverse = inverse[which]
            first = np.full(len(first), s)
            np.minimum.at(first, inverse, np.arange(s))
        count = len(first)
        if count < s:
            total = np.bincount(inverse, w.real, count)  # summed in index order
            if np.iscomplexobj(w):
                total = total + 1j * np.bincount(inverse, w.imag, count)
            rows = first if which is None else which[first]
            by_letters = _packed_letters(_as_letters(x[rows], z[rows]))
            order = np.lexsort(by_letters.T[::-1])
            x, z, w = x[rows[order]], z[rows[order]], total[order]
            which = None
    if which is not None:
        x, z = x[which], z[which]
    keep = w != 0
    return x[keep], z[keep], w[keep]


def _as_letters(x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """The letters `I X Y Z` of `x` (X or Y) and `z` (Z or Y) bits."""
    letters = np.full(x.shape, ord("I"), np.uint8)
    letters[x] = ord("X")
    letters[z] = ord("Z")
    letters[x & z] = ord("Y")
    return letters


def _digits(n: int, patterns: int) -> int:
    """The base-N digits of a pattern index: enough for every pattern of N sites (2^N)
    or for 2^31 patterns, whichever is fewer, so that the number of labels (and the IR)
    does not change with the number of strings; more only for more patterns than that."""
    base = max(n, 2)
    digits = 1
    while base**digits < min(2**n, 2**31):
        digits += 1
    while base**digits < patterns:
        digits += 1
    return digits


def _hermitian(w: np.ndarray) -> bool:
    """Pauli strings are hermitian and independent: the sum of distinct strings
    (`_combined`) is hermitian when every weight is real."""
    if not np.iscomplexobj(w) or not len(w):
        return True
    return bool(np.allclose(w.imag, 0.0, atol=1e-14))


__all__ = ["bit_table_terms", "table_terms"]
