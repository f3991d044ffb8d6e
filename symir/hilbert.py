"""Hilbert spaces: a number of sites, each taking one of a few integer local states.

symir has its own small description (`DiscreteHilbert`, built by `Spin`, `Fock` or from
local states directly) and accepts NetKet's `DiscreteHilbert` objects as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np


@dataclass(frozen=True)
class DiscreteHilbert:
    """`size` sites, each in one of `local_states` (strictly increasing integers)."""

    local_states: tuple[int, ...]
    size: int

    def __post_init__(self):
        if self.size < 1:
            raise ValueError(f"a Hilbert space needs at least one site, got size={self.size}")
        states = tuple(self.local_states)
        if not states:
            raise ValueError("a Hilbert space needs at least one local state")
        if list(states) != sorted(set(states)):
            raise ValueError(f"local states must be strictly increasing, got {list(states)}")

    @property
    def local_size(self) -> int:
        return len(self.local_states)

    @property
    def n_states(self) -> int:
        return self.local_size**self.size

    def all_states(self) -> np.ndarray:
        """All basis states, first site most significant (NetKet's order)."""
        states = np.asarray(self.local_states, dtype=np.int64)
        idx = np.indices((self.local_size,) * self.size).reshape(self.size, -1).T
        return states[idx]

    def states_to_numbers(self, x: np.ndarray) -> np.ndarray:
        """Index of each configuration in `all_states()`."""
        x = np.asarray(x)
        lookup = {s: k for k, s in enumerate(self.local_states)}
        digits = np.vectorize(lambda v: lookup[int(v)])(x)
        weights = self.local_size ** np.arange(self.size - 1, -1, -1)
        return (digits * weights).sum(axis=-1)


def Spin(s: float, N: int) -> DiscreteHilbert:
    """Spin-`s` sites with NetKet's local states `-2s, -2s+2, ..., 2s`."""
    two_s = Fraction(s) * 2
    if two_s.denominator != 1 or two_s < 1:
        raise ValueError(f"spin must be a positive multiple of 1/2, got {s}")
    n = int(two_s)
    return DiscreteHilbert(tuple(range(-n, n + 1, 2)), N)


def Fock(n_max: int, N: int) -> DiscreteHilbert:
    """Bosonic sites with occupations `0 .. n_max`."""
    if n_max < 1:
        raise ValueError(f"n_max must be >= 1, got {n_max}")
    return DiscreteHilbert(tuple(range(n_max + 1)), N)


def as_hilbert(hilbert: object) -> DiscreteHilbert:
    """A `DiscreteHilbert` from symir's own or NetKet's description.

    A NetKet space's local states are taken as a set, in increasing order.
    """
    if isinstance(hilbert, DiscreteHilbert):
        return hilbert
    local_states = getattr(hilbert, "local_states", None)
    size = getattr(hilbert, "size", None)
    if local_states is None or size is None:
        raise TypeError(
            f"expected a symir DiscreteHilbert or a NetKet DiscreteHilbert, got "
            f"{type(hilbert).__name__}"
        )
    if _is_fermionic(hilbert):
        raise ValueError(
            f"{hilbert} is a fermionic space: symir does not model fermions yet (an operator "
            "on it would get hard-core-boson semantics, without the Jordan-Wigner signs); "
            "build the operator on NetKet's fermion operators, or write the signs explicitly "
            "on a Fock(1, N) space"
        )
    if getattr(hilbert, "constrained", False):
        raise ValueError(
            f"constrained Hilbert spaces are not supported yet ({hilbert}); "
            "use the unconstrained space"
        )
    values = np.asarray(local_states, dtype=float)
    if not np.all(values == np.round(values)):
        raise ValueError(f"local states must be integers, got {list(values)}")
    # NetKet's Spin lists its local states in descending order ([1, -1] since 3.14); the
    # IR keeps the set of local states, in increasing order.
    return DiscreteHilbert(tuple(sorted({int(v) for v in values})), int(size))


def _is_fermionic(hilbert: object) -> bool:
    """A NetKet fermionic space (`SpinOrbitalFermions`, or any space built on
    `netket.hilbert.SpinOrbitalFermions`/`FermionicDiscreteHilbert`), recognised without
    importing NetKet."""
    names = {c.__name__ for c in type(hilbert).__mro__}
    return bool(names & {"SpinOrbitalFermions", "FermionicDiscreteHilbert"})


def states_of(local_states: Sequence[int], size: int) -> DiscreteHilbert:
    """A Hilbert space from its local states and number of sites."""
    return DiscreteHilbert(tuple(int(v) for v in local_states), int(size))
