"""Sums of Pauli strings as table-driven terms (`symir.pauli_strings`).

A Pauli string `P = w s_0 s_1 ... s_{N-1}` (`s_j` in `I X Y Z`) maps a configuration `x`
to one configuration `x'`: `x` with the sites of its X and Y flipped. Strings with the
same X/Y pattern reach the same `x'`, so the operator has one slot per distinct flip
pattern (as NetKet's `PauliStrings`), and the matrix element of a pattern is the sum over
its strings of `w (-i)^(#Y) (-1)^(#sites of Z or Y holding the "down" state in x)`
(NetKet's convention: `Y = -i Z X`, the Z read on the source configuration).

The operator is written with two table ops, whatever the number of strings:

| term | rows | emits |
|---|---|---|
| `diagonal` (when a string has no X or Y) | one | `x' = x`, `sym.parity_sum` of the diagonal strings |
| `strings` | one per distinct flip pattern, its index in base-N digits `p0, p1, ...` | `sym.flip_sites` of the pattern, `sym.parity_sum` of its strings |

The pattern index `k = sum_i p_i N^(D-1-i)` is an integer expression of the row's labels
(folded to a constant column when lowered; `D` depends on N only); the tables (packed site masks, offsets,
coefficients) are properties of the two ops, so the IR has the same ops for 10 strings or
100,000 (docs/pauli-strings.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from numbers import Number
from typing import Any

import numpy as np

from symir.dialects.sym.site_masks import pack_masks
from symir.frontend import expr as E
from symir.frontend.builder import DOperator
from symir.frontend.operator import SymbolicOperator
from symir.frontend.update import flip_sites, identity
from symir.hilbert import as_hilbert

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


def _parse(strings: Any, weights: Any, n: int) -> tuple[list[str], np.ndarray]:
    """The input as strings of `n` letters and their weights."""
    if hasattr(strings, "terms") and not isinstance(strings, Mapping):
        strings = strings.terms  # OpenFermion's QubitOperator (duck-typed)
    if isinstance(strings, Mapping):
        if weights is not None:
            raise ValueError(
                "pauli_strings: a mapping {term: coefficient} carries its own weights; "
                "do not pass weights="
            )
        items = list(strings.items())
        return [_from_term(k, n) for k, _ in items], np.asarray([c for _, c in items])
    if isinstance(strings, str):
        strings = [strings]
    strings = list(strings)
    if (
        weights is None
        and strings
        and all(
            isinstance(s, tuple | list) and len(s) == 2 and isinstance(s[1], Number)
            for s in strings
        )
    ):
        pairs = strings
        strings = [s for s, _ in pairs]
        weights = [w for _, w in pairs]
        strings = [s if isinstance(s, str) else _from_term(s, n) for s in strings]
    w = _weights(weights, len(strings))
    for k, s in enumerate(strings):
        if not isinstance(s, str):
            raise ValueError(f"pauli_strings: string {k} is {s!r}, not a str of I, X, Y, Z")
    return strings, w


def _weights(weights: Any, count: int) -> np.ndarray:
    """One weight per string: `weights` given per string, one number, or 1."""
    if weights is None:
        return np.ones(count)
    if isinstance(weights, Number):
        return np.full(count, weights)
    w = np.asarray(weights if isinstance(weights, np.ndarray) else list(weights))
    if w.shape != (count,):
        raise ValueError(f"pauli_strings: {count} strings but weights of shape {w.shape}")
    return w


def _from_term(term: Iterable, n: int) -> str:
    """OpenFermion's `((site, "X"), (site2, "Z"), ...)` as a string of `n` letters."""
    letters = ["I"] * n
    for entry in term:
        try:
            site, letter = entry
            site = int(site)
        except (TypeError, ValueError):
            raise ValueError(
                f"pauli_strings: term {term!r}: each factor must be (site, 'X'|'Y'|'Z')"
            ) from None
        if letter not in ("X", "Y", "Z"):
            raise ValueError(
                f"pauli_strings: term {term!r} has the letter {letter!r}, not X, Y or Z"
            )
        if not 0 <= site < n:
            raise ValueError(f"pauli_strings: term {term!r} acts on site {site}, outside [0, {n})")
        if letters[site] != "I":
            raise ValueError(f"pauli_strings: term {term!r} acts twice on site {site}")
        letters[site] = letter
    return "".join(letters)


def _letters(strings: list[str], n: int) -> np.ndarray:
    """`(S, n)` uint8 letters, checked."""
    for k, s in enumerate(strings):
        if len(s) != n:
            raise ValueError(
                f"pauli_strings: string {k} {s[:60]!r} has {len(s)} letters, the space has "
                f"{n} sites"
            )
    if not strings:
        return np.zeros((0, n), np.uint8)
    try:
        a = np.frombuffer("".join(strings).encode("ascii"), dtype=np.uint8).reshape(len(strings), n)
    except UnicodeEncodeError:
        a = None
    bad = None if a is not None else 0
    if a is not None:
        ok = np.isin(a, _LETTERS)
        if not ok.all():
            bad = int(np.flatnonzero(~ok.all(axis=1))[0])
    if bad is not None:
        s = strings[bad]
        letter = next(c for c in s if c not in "IXYZ")
        raise ValueError(
            f"pauli_strings: string {bad} {s[:60]!r} has the letter {letter!r}; "
            "letters are I, X, Y, Z"
        )
    return a


def pauli_strings(
    hilbert: Any,
    strings: Any,
    weights: Any = None,
    *,
    name: str = "pauli_strings",
) -> SymbolicOperator:
    """The operator `sum_k weights[k] P_k` of Pauli strings on a space of two local
    states per site (spin-1/2, qubits), equal to NetKet's `PauliStrings(hilbert, strings,
    weights)`.

    `strings`: a string of `I X Y Z` (one letter per site, site 0 first) or a list of
    them with `weights` (a number or one per string; default 1); a list of `(string,
    coefficient)` pairs; a mapping `{((site, "X"), (site2, "Z"), ...): coefficient}`
    (OpenFermion's `QubitOperator.terms`, `()` the identity); or any object with such a
    `.terms` (a `QubitOperator`, read without importing OpenFermion).

    The operator is one slot per distinct X/Y pattern (plus one for the strings without
    X or Y), built from tables (docs/pauli-strings.md): its IR does not grow with the
    number of strings."""
    space = as_hilbert(hilbert)
    n = space.size
    states = tuple(int(s) for s in space.local_states)
    if len(states) != 2:
        raise ValueError(
            f"pauli_strings needs two local states per site (spin-1/2, qubits), the space "
            f"has {len(states)}: {list(states)}"
        )
    strings, w = _parse(strings, weights, n)
    letters = _letters(strings, n)
    if not np.all(np.isfinite(w)):
        raise ValueError("pauli_strings: the weights must be finite")
    return from_letters(hilbert, states, letters, w, name)


def from_letters(
    hilbert: Any, states: tuple[int, ...], letters: np.ndarray, w: np.ndarray, name: str
) -> SymbolicOperator:
    """`pauli_strings` of checked `(S, N)` uint8 letters (`I X Y Z`) and finite weights
    on a space of the two local `states`: the DSL's recognised Pauli products
    (`symir.frontend.pauli_terms`) are written so."""
    n = letters.shape[1]
    letters, w = _combined(letters, w)
    x_or_y = (letters == ord("X")) | (letters == ord("Y"))
    z_or_y = (letters == ord("Z")) | (letters == ord("Y"))
    n_y = (letters == ord("Y")).sum(axis=1)
    c = w.astype(np.complex128) * (-1j) ** (n_y % 4)
    hermitian = _hermitian(letters, w)
    complex_ = bool(np.any(c.imag != 0))
    down = _down_state(hilbert, states)
    op = DOperator(
        hilbert, name, dtype="complex128" if complex_ else "float64", hermitian=hermitian
    )
    coefficients = c if complex_ else c.real
    flips = pack_masks(x_or_y).reshape(len(letters), -1)
    phases = pack_masks(z_or_y)
    patterns, which = (
        _unique_rows(flips)
        if len(letters)
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
    terms = 0
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
        op = op.globally().named("diagonal").emit(identity(), matrix_element=element)
        terms += 1
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
        op = (
            op.for_each(labels, over=rows.tolist())
            .named("strings")
            .emit(flip_sites(key, patterns[off].reshape(-1)), matrix_element=element)
        )
        terms += 1
    if not terms:  # no string (or all weights zero): the zero operator
        op = op.globally().named("diagonal").emit(identity(), matrix_element=0.0)
    return op.build()


def _unique_rows(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`np.unique(a, axis=0, return_inverse=True)` (rows sorted) for a 2-d integer
    array, by a lexicographic sort of its int64 columns (`np.unique` on rows sorts
    them as structured items: 2 s for 100,000 strings of 36 letters)."""
    if len(a) == 0:
        return a, np.zeros(0, np.int64)
    a = np.ascontiguousarray(a)
    order = np.lexsort(a.T[::-1].astype(np.int64))
    ranked = a[order]
    new = np.ones(len(a), bool)
    new[1:] = (ranked[1:] != ranked[:-1]).any(axis=1)
    group = np.cumsum(new) - 1
    inverse = np.empty(len(a), np.int64)
    inverse[order] = group
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


def _combined(letters: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct string once, its weights summed (NetKet's `PauliStrings` does so),
    and the strings whose weight is zero dropped: a sum of couplings names the same
    string many times, and each string costs the kernel a column of its tables."""
    if len(letters) > 1:
        _, inverse = _unique_rows(_packed_letters(letters))
        count = int(inverse.max()) + 1
        if count < len(letters):
            total = np.zeros(count, np.result_type(w, np.float64))
            np.add.at(total, inverse, w)
            first = np.full(count, len(letters))
            np.minimum.at(first, inverse, np.arange(len(letters)))
            letters, w = letters[first], total
    keep = w != 0
    return letters[keep], w[keep]


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


def _hermitian(letters: np.ndarray, w: np.ndarray) -> bool:
    """Pauli strings are hermitian and independent: the sum is hermitian when the weight
    of every distinct string (summed over repeats) is real."""
    if not np.iscomplexobj(w) or not len(w):
        return True
    _, inverse = _unique_rows(_packed_letters(letters))
    total = np.zeros(int(np.max(inverse)) + 1, np.complex128)
    np.add.at(total, np.asarray(inverse).reshape(-1), w)
    return bool(np.allclose(total.imag, 0.0, atol=1e-14))


__all__ = ["from_letters", "pauli_strings"]
