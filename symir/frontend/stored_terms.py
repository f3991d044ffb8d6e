"""An operator's terms as its builder stored them: `TermSpec`s, and for each Pauli
product written one term at a time its record (`symir.frontend.pauli_terms.pauli_record`).

A loop of 100,000 couplings writes 200,000 terms of a few expressions each. Kept as
written, they are 1.4 million objects that Python's cyclic collector tracks, and every
full collection that follows the loop walks them all (1.3 s of the 1.8 s compile of
100,000 pairs of couplings). A record is a tuple of ints and a number, which the
collector stops tracking: the operator keeps the records, the compiler reads them
directly (`route_pauli_products`), and `op.terms` makes each term again when it is read
(`StoredTerms`), the same operator as the term written.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from symir.frontend.pauli_terms import record_name, term_of_record
from symir.frontend.term_spec import TermSpec


def has_records(stored: tuple) -> bool:
    """Whether `stored` holds a record (a tuple) among its `TermSpec`s."""
    return any(t.__class__ is tuple for t in stored)


def term_at(stored: Sequence[Any], k: int) -> TermSpec:
    """`stored[k]` as a `TermSpec` (a record's term made again)."""
    term = stored[k]
    if term.__class__ is tuple:
        return term_of_record(term, record_name(stored, k))
    return term


class StoredTerms(Sequence):
    """The terms of `stored` as `TermSpec`s, each record's term made again on every read
    (nothing is kept: the records stay the operator's only copy)."""

    __slots__ = ("_stored",)

    def __init__(self, stored: tuple):
        self._stored = stored

    def __len__(self) -> int:
        return len(self._stored)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return tuple(self[k] for k in range(*index.indices(len(self._stored))))
        n = len(self._stored)
        k = index + n if index < 0 else index
        if not 0 <= k < n:
            raise IndexError(f"term index {index} out of range for {n} terms")
        return term_at(self._stored, k)

    def __iter__(self) -> Iterator[TermSpec]:
        stored = self._stored
        for k in range(len(stored)):
            yield term_at(stored, k)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StoredTerms | tuple | list):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"StoredTerms({len(self._stored)} terms)"


def as_terms(stored: tuple) -> tuple[TermSpec, ...]:
    """`stored` with every record's term made again (`StoredTerms`), as a tuple."""
    return tuple(StoredTerms(stored)) if has_records(stored) else stored


__all__ = ["StoredTerms", "as_terms", "has_records", "term_at"]
