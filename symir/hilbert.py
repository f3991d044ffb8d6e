"""Hilbert spaces: a number of sites, each taking one of a few integer local states.

symir has its own small description (`DiscreteHilbert`, built by `Spin`, `Fock` or from
local states directly; `FermionHilbert`, built by `Fermions`) and accepts NetKet's
`DiscreteHilbert` objects as they are (`SpinOrbitalFermions` included).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

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
        states = np.asarray(self.local_states)  # strictly increasing: a sorted table
        digits = np.minimum(np.searchsorted(states, x), len(states) - 1)
        wrong = states[digits] != x
        if np.any(wrong):
            values = sorted({v.item() for v in x[wrong][:1000]})[:5]
            raise ValueError(f"values {values} are not local states of {self}")
        weights = self.local_size ** np.arange(self.size - 1, -1, -1, dtype=np.int64)
        return (digits * weights).sum(axis=-1)


@dataclass(frozen=True)
class SectorHilbert(DiscreteHilbert):
    """A constrained space: `size` sites in `local_states`, restricted to the
    configurations whose values on the sites `first .. end-1` sum to `total`, for every
    `(first, end, total)` of `sectors` (disjoint site ranges).

    `Spin(s, N, total_sz=m)` is one sector summing to `2m` (the local states are `2 s_z`),
    `Fock(n_max, N, n_particles=n)` one summing to `n`; NetKet's constrained `Spin`, `Fock`
    and their `TensorHilbert` become one sector per constrained factor. `all_states()`
    enumerates the sector only (in the unconstrained order).
    """

    sectors: tuple[tuple[int, int, int], ...] = ()

    def __post_init__(self):
        super().__post_init__()
        if not self.sectors:
            raise ValueError("a SectorHilbert needs at least one sector; use DiscreteHilbert")
        end = 0
        for first, stop, total in self.sectors:
            if not (end <= first < stop <= self.size):
                raise ValueError(
                    f"sectors must be disjoint, increasing site ranges inside [0, {self.size}), "
                    f"got {list(self.sectors)}"
                )
            end = stop
            lo, hi = self.local_states[0] * (stop - first), self.local_states[-1] * (stop - first)
            step = int(np.gcd.reduce(np.diff(self.local_states))) if self.local_size > 1 else 1
            if not lo <= total <= hi or (total - lo) % step:
                raise ValueError(
                    f"sites {first}..{stop - 1} cannot sum to {total}: the sums are "
                    f"{lo}, {lo + step}, ..., {hi}"
                )

    @property
    def constrained(self) -> bool:
        return True

    def in_sector(self, x: np.ndarray) -> np.ndarray:
        """Whether each configuration of `x (..., N)` has the fixed sums."""
        x = np.asarray(x)
        inside = np.ones(x.shape[:-1], dtype=bool)
        for lo, hi, total in self.sectors:
            inside &= x[..., lo:hi].sum(axis=-1) == total
        return inside

    @property
    def n_states(self) -> int:
        return len(_sector_numbers(self))

    def all_states(self) -> np.ndarray:
        """The states of the sector, first site most significant."""
        return np.asarray(self.local_states, dtype=np.int64)[_sector_digits(self)]

    def states_to_numbers(self, x: np.ndarray) -> np.ndarray:
        """Index of each configuration in `all_states()`; one outside the sector is a
        `ValueError`."""
        numbers = DiscreteHilbert.states_to_numbers(self, x)
        table = _sector_numbers(self)
        where = np.searchsorted(table, numbers)
        found = (where < len(table)) & (table[np.minimum(where, len(table) - 1)] == numbers)
        if not np.all(found):
            raise ValueError(f"configurations outside the sector of {self}")
        return where

    def __repr__(self) -> str:
        states, n = self.local_states, self.size
        if len(self.sectors) == 1 and self.sectors[0][:2] == (0, n):
            total = self.sectors[0][2]
            if states == tuple(range(1 - len(states), len(states), 2)):
                return f"Spin({(len(states) - 1) / 2:g}, {n}, total_sz={total / 2:g})"
            if states == tuple(range(len(states))):
                return f"Fock({len(states) - 1}, {n}, n_particles={total})"
        return f"SectorHilbert({list(states)}, {n}, sectors={list(self.sectors)})"


@functools.lru_cache(maxsize=64)
def _sector_numbers(space: SectorHilbert) -> np.ndarray:
    return _numbers(space, _sector_digits(space))


def _numbers(space: DiscreteHilbert, digits: np.ndarray) -> np.ndarray:
    """The numbers of configurations given by their digits (indices into the local
    states) in the unconstrained order, first site most significant."""
    weights = space.local_size ** np.arange(space.size - 1, -1, -1, dtype=np.int64)
    return digits @ weights


def _sector_digits(space: Any) -> np.ndarray:
    """The digits (indices into the local states) of the configurations of a constrained
    `space` (its `sectors`: site ranges with a fixed sum), in increasing order of their
    number, built site by site: the sector only, never the `local_size ** size`
    configurations of the unconstrained space (36 spin orbitals with a few electrons per
    spin: hundreds of states, not 2^36)."""
    values = np.asarray(space.local_states, dtype=np.int64)
    starts = {first: (stop, total) for first, stop, total in space.sectors}
    digits = np.zeros((1, 0), dtype=np.int64)
    site = 0
    while site < space.size:
        if site in starts:
            stop, total = starts[site]
            block = _block_digits(values, stop - site, total)
        else:
            stop = min((f for f in starts if f > site), default=space.size)
            width = stop - site
            block = np.indices((len(values),) * width).reshape(width, -1).T
        digits = np.concatenate(
            [np.repeat(digits, len(block), axis=0), np.tile(block, (len(digits), 1))], axis=1
        )
        site = stop
    return digits


def _block_digits(values: np.ndarray, width: int, total: int) -> np.ndarray:
    """The digits of the `width` sites whose values sum to `total`, in increasing order:
    each site's digit appended to every kept prefix, the prefixes that can no longer
    reach `total` dropped."""
    low, high = int(values.min()), int(values.max())
    digits = np.zeros((1, 0), dtype=np.int64)
    sums = np.zeros(1, dtype=np.int64)
    s = len(values)
    for k in range(width):
        rest = width - k - 1
        new = np.tile(np.arange(s, dtype=np.int64), len(digits))
        sums = np.repeat(sums, s) + values[new]
        keep = (sums + rest * low <= total) & (sums + rest * high >= total)
        digits = np.concatenate([np.repeat(digits, s, axis=0), new[:, None]], axis=1)[keep]
        sums = sums[keep]
    return digits[sums == total]


def Spin(s: float, N: int, total_sz: float | None = None) -> DiscreteHilbert:
    """Spin-`s` sites with NetKet's local states `-2s, -2s+2, ..., 2s`; `total_sz` fixes
    the total magnetisation (a `SectorHilbert`: the local states sum to `2 total_sz`)."""
    two_s = Fraction(s) * 2
    if two_s.denominator != 1 or two_s < 1:
        raise ValueError(f"spin must be a positive multiple of 1/2, got {s}")
    n = int(two_s)
    states = tuple(range(-n, n + 1, 2))
    if total_sz is None:
        return DiscreteHilbert(states, N)
    two_m = Fraction(total_sz) * 2
    if two_m.denominator != 1 or (int(two_m) - n * N) % 2:
        raise ValueError(
            f"total_sz={total_sz} is not reachable by {N} spin-{Fraction(two_s, 2)} sites "
            f"(2 total_sz must be an integer of the parity of {n * N})"
        )
    return SectorHilbert(states, N, ((0, N, int(two_m)),))


def Fock(n_max: int, N: int, n_particles: int | None = None) -> DiscreteHilbert:
    """Bosonic sites with occupations `0 .. n_max`; `n_particles` fixes the total number
    of particles (a `SectorHilbert`)."""
    if n_max < 1:
        raise ValueError(f"n_max must be >= 1, got {n_max}")
    states = tuple(range(n_max + 1))
    if n_particles is None:
        return DiscreteHilbert(states, N)
    if isinstance(n_particles, bool) or not isinstance(n_particles, int | np.integer):
        raise ValueError(f"n_particles must be an integer, got {n_particles!r}")
    return SectorHilbert(states, N, ((0, N, int(n_particles)),))


@dataclass(frozen=True)
class FermionHilbert(DiscreteHilbert):
    """Spin-orbital fermions: `size = n_orbitals * n_spin_subsectors` sites, each empty
    (0) or occupied (1), in NetKet's `SpinOrbitalFermions` order: the orbitals of the first
    spin subsector (the lowest `sz`), then those of the next (`index(orbital, sz)`).

    `n_fermions` fixes the total number of fermions, `n_fermions_per_spin` the number in
    each spin subsector (a constrained space: `all_states()` enumerates the sector only).
    Build it with `Fermions(...)`, or from NetKet's `SpinOrbitalFermions` (`as_hilbert`).
    """

    n_orbitals: int = 0
    n_spin_subsectors: int = 1
    n_fermions: int | None = None
    n_fermions_per_spin: tuple[int, ...] | None = None

    def __post_init__(self):
        super().__post_init__()
        if self.local_states != (0, 1):
            raise ValueError(f"fermionic sites are empty or occupied, got {self.local_states}")
        if self.n_orbitals < 1 or self.n_spin_subsectors < 1:
            raise ValueError(
                f"fermions need n_orbitals >= 1 and n_spin_subsectors >= 1, got "
                f"{self.n_orbitals} and {self.n_spin_subsectors}"
            )
        if self.size != self.n_orbitals * self.n_spin_subsectors:
            raise ValueError(
                f"{self.n_orbitals} orbitals x {self.n_spin_subsectors} spin subsector(s) are "
                f"{self.n_orbitals * self.n_spin_subsectors} sites, not {self.size}"
            )
        if self.n_fermions is not None and self.n_fermions_per_spin is not None:
            raise ValueError("give n_fermions or n_fermions_per_spin, not both")
        if self.n_fermions is not None and not 0 <= self.n_fermions <= self.size:
            raise ValueError(f"n_fermions={self.n_fermions} is outside [0, {self.size}]")
        per = self.n_fermions_per_spin
        if per is not None:
            if len(per) != self.n_spin_subsectors:
                raise ValueError(
                    f"n_fermions_per_spin={list(per)} needs one number per spin subsector "
                    f"({self.n_spin_subsectors})"
                )
            if any(not 0 <= n <= self.n_orbitals for n in per):
                raise ValueError(
                    f"n_fermions_per_spin={list(per)}: each must lie in [0, {self.n_orbitals}]"
                )

    @property
    def constrained(self) -> bool:
        return bool(self.sectors)

    @property
    def sectors(self) -> tuple[tuple[int, int, int], ...]:
        """The fixed particle numbers, as `(first site, end site, count)`: the sites
        `first .. end-1` hold `count` fermions in every state of the space."""
        if self.n_fermions is not None:
            return ((0, self.size, self.n_fermions),)
        if self.n_fermions_per_spin is not None:
            n = self.n_orbitals
            return tuple((k * n, (k + 1) * n, c) for k, c in enumerate(self.n_fermions_per_spin))
        return ()

    def spin_subsector(self, sz: int | None) -> int:
        """NetKet's subsector of the spin projection `sz` (`2 * m`: -1 and 1 for spin-1/2;
        None for spinless fermions)."""
        if self.n_spin_subsectors == 1:
            if sz not in (None, 0):
                raise ValueError(f"spinless fermions have no spin projection, got sz={sz}")
            return 0
        if sz is None:
            raise ValueError("spinful fermions need sz= (2m: -1 or 1 for spin 1/2)")
        two_s = self.n_spin_subsectors - 1
        if not (isinstance(sz, int) and -two_s <= sz <= two_s and (sz + two_s) % 2 == 0):
            raise ValueError(f"sz must be one of {list(range(-two_s, two_s + 1, 2))}, got {sz!r}")
        return (sz + two_s) // 2

    def index(self, orbital: int, sz: int | None = None) -> int:
        """The site of `orbital` with spin projection `sz` (NetKet's `_get_index`)."""
        if not 0 <= orbital < self.n_orbitals:
            raise ValueError(f"orbital {orbital} is outside [0, {self.n_orbitals})")
        return self.spin_subsector(sz) * self.n_orbitals + orbital

    def in_sector(self, x: np.ndarray) -> np.ndarray:
        """Whether each configuration of `x (..., N)` has the fixed particle numbers."""
        x = np.asarray(x)
        inside = np.ones(x.shape[:-1], dtype=bool)
        for lo, hi, count in self.sectors:
            inside &= x[..., lo:hi].sum(axis=-1) == count
        return inside

    @property
    def n_states(self) -> int:
        return len(self._sector_numbers()) if self.constrained else super().n_states

    def all_states(self) -> np.ndarray:
        """The basis states, first site most significant (NetKet's order); for a
        constrained space, those of the sector only, in the same order."""
        if not self.constrained:
            return super().all_states()
        return np.asarray(self.local_states, dtype=np.int64)[_sector_digits(self)]

    def states_to_numbers(self, x: np.ndarray) -> np.ndarray:
        """Index of each configuration in `all_states()`; a configuration outside the
        sector of a constrained space is a `ValueError`."""
        numbers = super().states_to_numbers(x)
        if not self.constrained:
            return numbers
        table = self._sector_numbers()
        where = np.searchsorted(table, numbers)
        found = (where < len(table)) & (table[np.minimum(where, len(table) - 1)] == numbers)
        if not np.all(found):
            raise ValueError(f"configurations outside the particle-number sector of {self}")
        return where

    def _sector_numbers(self) -> np.ndarray:
        return _numbers(self, _sector_digits(self))

    def __repr__(self) -> str:
        extra = f", n_spin_subsectors={self.n_spin_subsectors}" * (self.n_spin_subsectors > 1)
        if self.n_fermions is not None:
            extra += f", n_fermions={self.n_fermions}"
        if self.n_fermions_per_spin is not None:
            extra += f", n_fermions_per_spin={self.n_fermions_per_spin}"
        return f"Fermions({self.n_orbitals}{extra})"


def Fermions(
    n_orbitals: int,
    n_spin_subsectors: int = 1,
    *,
    n_fermions: int | None = None,
    n_fermions_per_spin: Sequence[int] | None = None,
) -> FermionHilbert:
    """Fermions on `n_orbitals` orbitals with `n_spin_subsectors` spin projections (2 for
    spin-1/2), in NetKet's `SpinOrbitalFermions` site order; `n_fermions` or
    `n_fermions_per_spin` fix a particle-number sector."""
    per = None if n_fermions_per_spin is None else tuple(int(n) for n in n_fermions_per_spin)
    return FermionHilbert(
        (0, 1),
        int(n_orbitals) * int(n_spin_subsectors),
        int(n_orbitals),
        int(n_spin_subsectors),
        n_fermions,
        per,
    )


def as_hilbert(hilbert: object) -> DiscreteHilbert:
    """A `DiscreteHilbert` from symir's own or NetKet's description.

    A NetKet space's local states are taken as a set, in increasing order; NetKet's
    `SpinOrbitalFermions` becomes a `FermionHilbert` (its particle-number constraints
    included).
    """
    if isinstance(hilbert, DiscreteHilbert):
        return hilbert
    if getattr(hilbert, "subspaces", None) is not None:
        return _netket_tensor(hilbert)
    local_states = getattr(hilbert, "local_states", None)
    size = getattr(hilbert, "size", None)
    if local_states is None or size is None:
        raise TypeError(
            f"expected a symir DiscreteHilbert or a NetKet DiscreteHilbert, got "
            f"{type(hilbert).__name__}"
        )
    if getattr(hilbert, "is_finite", True) is False:
        raise ValueError(
            f"{hilbert} has no bound on its local states (NetKet's Fock without n_max): "
            "symir's kernels need every local state, so give n_max, e.g. Fock(n_max=4, N=...)"
        )
    if _is_fermionic(hilbert):
        return _netket_fermions(hilbert)
    if getattr(hilbert, "constrained", False):
        return _netket_sectors(hilbert)
    values = np.asarray(local_states, dtype=float)
    if not np.all(values == np.round(values)):
        raise ValueError(_NON_INTEGER.format(hilbert=hilbert, states=values.tolist()))
    # NetKet's Spin lists its local states in descending order ([1, -1] since 3.14); the
    # IR keeps the set of local states, in increasing order.
    return DiscreteHilbert(tuple(sorted({int(v) for v in values})), int(size))


_NON_INTEGER = (
    "{hilbert} has the local states {states}, which are not integers: symir's kernels work "
    "on integer local states (its writes, shifts and the int8 configurations are exact). "
    "Build the operator on a space with integer local states that label the same basis, "
    "e.g. the states times 2 (nk.hilbert.Spin(0.5, N): -1, 1 for -0.5, 0.5), and write "
    "its matrix elements with the physical value, e.g. site('i') / 2"
)


def _netket_sectors(hilbert: object) -> SectorHilbert:
    """symir's description of NetKet's constrained `Spin` (`total_sz`) or `Fock`
    (`n_particles`): a `SumConstraint` on all sites (recognised by duck typing); any other
    constraint is refused, naming the space."""
    constraint = getattr(hilbert, "constraint", None)
    total = getattr(constraint, "sum_value", None)
    if type(constraint).__name__ != "SumConstraint" or total is None:
        raise ValueError(
            f"{hilbert} has the constraint {constraint!r}: symir supports the sum "
            "constraints of Spin (total_sz) and Fock (n_particles), and the particle-number "
            "constraints of SpinOrbitalFermions"
        )
    free = as_hilbert(_unconstrained_twin(hilbert))
    return SectorHilbert(free.local_states, free.size, ((0, free.size, int(total)),))


def _unconstrained_twin(hilbert: object) -> object:
    """A stand-in with the local states and size of `hilbert` and no constraint."""

    class _Free:
        local_states = hilbert.local_states
        size = hilbert.size
        constrained = False

    return _Free()


def _netket_tensor(hilbert: object) -> DiscreteHilbert:
    """symir's description of NetKet's `TensorHilbert` of spaces with the same local
    states: one sector per constrained factor, placed at that factor's sites."""
    parts = [as_hilbert(h) for h in hilbert.subspaces]
    if any(isinstance(p, FermionHilbert) for p in parts):
        raise ValueError(
            f"{hilbert}: a TensorHilbert with fermionic factors is not supported (the "
            "Jordan-Wigner order across factors is not defined); use one SpinOrbitalFermions"
        )
    states = {p.local_states for p in parts}
    if len(states) != 1:
        raise ValueError(
            f"{hilbert}: symir needs the same local states on every site, but the factors "
            f"have {sorted(list(s) for s in states)}"
        )
    sectors, offset = [], 0
    for p in parts:
        sectors += [(lo + offset, hi + offset, t) for lo, hi, t in getattr(p, "sectors", ())]
        offset += p.size
    if not sectors:
        return DiscreteHilbert(states.pop(), offset)
    return SectorHilbert(states.pop(), offset, tuple(sectors))


def _netket_fermions(hilbert: object) -> FermionHilbert:
    """symir's description of NetKet's `SpinOrbitalFermions` (recognised by duck typing:
    no NetKet import here). Its particle-number constraints are kept; any other
    constraint is refused, naming the space."""
    n_orbitals = getattr(hilbert, "n_orbitals", None)
    subsectors = getattr(hilbert, "n_spin_subsectors", None)
    if n_orbitals is None or subsectors is None:
        raise ValueError(
            f"{hilbert} is a fermionic space symir does not know: use NetKet's "
            "SpinOrbitalFermions or symir's Fermions"
        )
    per = tuple(getattr(hilbert, "n_fermions_per_spin", ()) or ())
    n_fermions = getattr(hilbert, "n_fermions", None)
    if all(n is not None for n in per) and len(per) > 1:
        space = Fermions(n_orbitals, subsectors, n_fermions_per_spin=per)
    else:
        space = Fermions(n_orbitals, subsectors, n_fermions=n_fermions)
    constraint = getattr(hilbert, "constraint", None)
    if getattr(hilbert, "constrained", False) and not _is_particle_number(constraint, space):
        raise ValueError(
            f"{hilbert} has the constraint {constraint!r}: symir supports the particle-number "
            "constraints of SpinOrbitalFermions (n_fermions, n_fermions_per_spin) only"
        )
    return space


def _is_particle_number(constraint: object, space: FermionHilbert) -> bool:
    """Whether NetKet's `constraint` is exactly the particle-number sector of `space`."""
    name = type(constraint).__name__
    if name == "SumConstraint":
        return space.n_fermions is not None and getattr(constraint, "sum_value", None) == (
            space.n_fermions
        )
    if name == "SumOnPartitionConstraint":
        values = tuple(getattr(constraint, "sum_values", ()))
        return space.n_fermions_per_spin is not None and values == space.n_fermions_per_spin
    return False


def _is_fermionic(hilbert: object) -> bool:
    """A NetKet fermionic space (`SpinOrbitalFermions`, or any space built on
    `netket.hilbert.SpinOrbitalFermions`/`FermionicDiscreteHilbert`), recognised without
    importing NetKet."""
    names = {c.__name__ for c in type(hilbert).__mro__}
    return bool(names & {"SpinOrbitalFermions", "FermionicDiscreteHilbert"})


def states_of(local_states: Sequence[int], size: int) -> DiscreteHilbert:
    """A Hilbert space from its local states and number of sites."""
    return DiscreteHilbert(tuple(int(v) for v in local_states), int(size))


def hilbert_difference(a: object, b: object) -> str | None:
    """What differs between the Hilbert spaces `a` and `b` (symir's or NetKet's), in
    words (`"the number of sites: 4 and 5"`), or None when they are the same space.
    Error messages about operators on different spaces quote it."""
    if a is b:
        return None
    try:
        sa, sb = as_hilbert(a), as_hilbert(b)
    except (TypeError, ValueError):
        return None if a == b else f"{a} and {b}"
    found = []
    if sa.size != sb.size:
        found.append(f"the number of sites: {sa.size} and {sb.size}")
    if sa.local_states != sb.local_states:
        found.append(f"the local states: {list(sa.local_states)} and {list(sb.local_states)}")
    fa, fb = isinstance(sa, FermionHilbert), isinstance(sb, FermionHilbert)
    if fa != fb:
        found.append(
            f"the statistics: {'fermionic' if fa else 'not fermionic'} and "
            f"{'fermionic' if fb else 'not fermionic'}"
        )
    elif fa and sa != sb:
        found.append(f"the fermion spaces: {sa!r} and {sb!r}")
    if not fa and not fb and _sectors(sa) != _sectors(sb):
        found.append(f"the sector constraints: {_sectors_text(sa)} and {_sectors_text(sb)}")
    if found:
        return "; ".join(found)
    if _is_netket(a) and _is_netket(b) and a != b:
        # the same sites and local states, but NetKet compares the spaces themselves
        return (
            f"the NetKet spaces: {a} and {b} (the same sites and local states, but NetKet "
            "compares the space objects)"
        )
    return None


def _sectors(space: object) -> tuple[tuple[int, int, int], ...]:
    return tuple(getattr(space, "sectors", ()))


def _sectors_text(space: object) -> str:
    """`"none"`, or each sector as `sites a..b sum to t`."""
    sectors = _sectors(space)
    if not sectors:
        return "none"
    return ", ".join(f"sites {a}..{b - 1} sum to {t}" for a, b, t in sectors)


def _is_netket(h: object) -> bool:
    return type(h).__module__.split(".")[0] == "netket"
