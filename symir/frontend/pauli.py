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

from symir.frontend.builder import DOperator
from symir.frontend.operator import SymbolicOperator
from symir.frontend.pauli_algebra import PauliSum
from symir.frontend.pauli_tables import _LETTERS, _down_state, table_terms
from symir.hilbert import as_hilbert


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
    if w.dtype.kind not in "biufc":  # a bare TypeError from np.isfinite before (sweep 26)
        kinds = sorted({type(x).__name__ for x in w.reshape(-1) if not isinstance(x, Number)})
        raise TypeError(
            f"pauli_strings: the weights must be numbers, got {', '.join(kinds)}; for a "
            "parameter, scale the operator: sym.symbol('g', 1.0) * pauli_strings(...)"
        )
    if not np.all(np.isfinite(w)):
        raise ValueError("pauli_strings: the weights must be finite")
    return from_letters(hilbert, states, letters, w, name)


def from_letters(
    hilbert: Any, states: tuple[int, ...], letters: np.ndarray, w: np.ndarray, name: str
) -> SymbolicOperator:
    """`pauli_strings` of checked `(S, N)` uint8 letters (`I X Y Z`) and finite weights
    on a space of the two local `states`."""
    found, complex_, hermitian = table_terms(letters, w, _down_state(hilbert, states))
    op = DOperator(
        hilbert, name, dtype="complex128" if complex_ else "float64", hermitian=hermitian
    )
    for term, labels, rows, update, element in found:
        op = op.globally() if rows is None else op.for_each(labels, over=rows)
        op = op.named(term).emit(update, matrix_element=element)
    built = op.build()
    # its strings, for `@`, `.H`, sums (symir/frontend/pauli_algebra.py)
    built._pauli = PauliSum(letters, np.asarray(w), states, from_letters)
    return built


__all__ = ["from_letters", "pauli_strings"]
