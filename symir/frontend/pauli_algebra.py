"""The operator algebra of sums of Pauli strings, done on the strings.

An operator made by `sym.pauli_strings` keeps its strings beside its terms
(`SymbolicOperator._pauli`: `(S, N)` letters `I X Y Z` and `S` weights). Then

* `a @ b` is the strings of every pair multiplied site by site (`X Y = i Z`, `Y X = -i Z`,
  ... `P P = I`), the phases into the weights, equal strings summed,
* `a.H` the weights conjugated (a Pauli string is hermitian), `a.T` each string times
  `(-1)^(#Y)` (`Y^T = -Y`), `a.conj()` both,
* a number times `a`, a number added, and sums of such operators, the strings scaled or
  listed,

and the result is built by `pauli_strings`' tables, as NetKet multiplies its
`PauliStrings`. The general product of `symir/frontend/product.py` cannot compose the
tables' `flip_sites` updates: it refused `pauli_strings(...) @ pauli_strings(...)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

MAX_PRODUCT_PAIRS = 20_000_000
"""The most pairs of strings `a @ b` multiplies (a `ValueError` past it)."""

_PAIRS_PER_CHUNK = 1 << 20

_INDEX = np.zeros(256, np.uint8)
_INDEX[np.frombuffer(b"IXYZ", np.uint8)] = np.arange(4)
_LETTER = np.frombuffer(b"IXYZ", np.uint8)

# I X Y Z as indices 0-3: the product's letter and its phase as a power of i
_PRODUCT = np.array([[0, 1, 2, 3], [1, 0, 3, 2], [2, 3, 0, 1], [3, 2, 1, 0]], np.uint8)
_PHASE = np.array([[0, 0, 0, 0], [0, 0, 1, 3], [0, 3, 0, 1], [0, 1, 3, 0]], np.int64)
_POWERS_OF_I = np.array([1, 1j, -1, -1j])


@dataclass(frozen=True)
class PauliSum:
    """`sum_k weights[k] P_k`: `letters` `(S, N)` uint8 (`I X Y Z`), `weights` `(S,)`, on
    a space whose two local states are `states`; `build(hilbert, states, letters,
    weights, name)` makes the operator of such strings (`pauli.from_letters`, given by
    `pauli_strings`, which the operator module may not import: it imports the builder)."""

    letters: np.ndarray
    weights: np.ndarray
    states: tuple[int, ...]
    build: Callable[..., Any]

    def operator(self, hilbert: Any, name: str) -> Any:
        """The operator of these strings, keeping them."""
        return self.build(hilbert, self.states, self.letters, self.weights, name)

    def scaled(self, factor: complex | float) -> PauliSum:
        return replace(self, weights=self.weights * factor)

    def identity(self, value: complex | float) -> PauliSum:
        """`value` times the identity, on the same space."""
        letters = np.full((1, self.letters.shape[1]), ord("I"), np.uint8)
        return replace(self, letters=letters, weights=np.asarray([value]))

    def adjoint(self, conj: bool) -> PauliSum:
        """The adjoint (`conj`) or the transpose."""
        if conj:
            return replace(self, weights=np.conj(self.weights))
        return replace(self, weights=self.weights * self._y_signs())

    def conjugate(self) -> PauliSum:
        return replace(self, weights=np.conj(self.weights) * self._y_signs())

    def _y_signs(self) -> np.ndarray:
        return 1 - 2 * ((self.letters == ord("Y")).sum(axis=1) % 2)


def joined(parts: list[PauliSum]) -> PauliSum:
    """The strings of a sum of operators."""
    letters = np.concatenate([p.letters for p in parts])
    weights = np.concatenate([np.asarray(p.weights) for p in parts])
    return replace(parts[0], letters=letters, weights=weights)


def product(a: PauliSum, b: PauliSum, names: tuple[str, str] = ("a", "b")) -> PauliSum:
    """`a @ b`: every pair's strings multiplied site by site, equal strings summed."""
    left, right = _summed(a.letters, a.weights), _summed(b.letters, b.weights)
    pairs = len(left[1]) * len(right[1])
    if pairs > MAX_PRODUCT_PAIRS:
        raise ValueError(
            f"the product of {names[0]!r} ({len(left[1]):,} distinct Pauli strings) and "
            f"{names[1]!r} ({len(right[1]):,}) is {pairs:,} pairs of strings, more than "
            f"symir.frontend.pauli_algebra's limit of {MAX_PRODUCT_PAIRS:,}: raise it to "
            "wait for it"
        )
    la, lb = _INDEX[left[0]], _INDEX[right[0]]
    wa, wb = left[1], right[1]
    rows = max(1, _PAIRS_PER_CHUNK // max(1, len(wb)))
    parts = []
    for start in range(0, len(wa), rows):
        block = la[start : start + rows, None, :]
        letters = _PRODUCT[block, lb[None, :, :]]
        phase = _PHASE[block, lb[None, :, :]].sum(axis=2) % 4
        weights = wa[start : start + rows, None] * wb[None, :] * _POWERS_OF_I[phase]
        parts.append(_summed(_LETTER[letters.reshape(-1, la.shape[1])], weights.reshape(-1)))
    if not parts:
        return replace(a, letters=np.zeros((0, la.shape[1]), np.uint8), weights=np.zeros(0))
    letters, weights = _summed(
        np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    )
    if not np.iscomplexobj(a.weights) and not np.iscomplexobj(b.weights):
        if np.all(weights.imag == 0):  # a real product: phases that cancelled
            weights = weights.real
    return replace(a, letters=letters, weights=weights)


def _summed(letters: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct strings and their summed (complex) weights."""
    weights = np.asarray(weights, np.complex128)
    if not len(weights):
        return letters, weights
    rows = np.ascontiguousarray(letters).view(np.dtype((np.void, letters.shape[1])))[:, 0]
    unique, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    total = np.bincount(inverse, weights=weights.real, minlength=len(unique))
    total = total + 1j * np.bincount(inverse, weights=weights.imag, minlength=len(unique))
    return letters[first], total


__all__ = ["MAX_PRODUCT_PAIRS", "PauliSum", "joined", "product"]
