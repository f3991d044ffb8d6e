"""`symir.fermion_terms`: a sum of fermion products given as a list, as an operator.

Its terms are tables (symir/frontend/fermion_tables.py); the operator keeps the strings
for its algebra (`@`, `.H`, sums: symir/frontend/fermion_algebra.py).
"""

from __future__ import annotations

from typing import Any

from symir.frontend.fermion_tables import term_specs
from symir.frontend.operator import SymbolicOperator, check_definition
from symir.hilbert import FermionHilbert, as_hilbert


def fermion_terms(
    hilbert: Any, terms: Any, weights: Any = None, *, name: str = "fermion_terms"
) -> SymbolicOperator:
    """The operator `sum_k weights[k] P_k` of fermion products on flat sites, equal to
    NetKet's `FermionOperator2nd(hilbert, terms, weights)`.

    `terms`: a list of products, each `((site, dagger), ...)` (`dagger` 1 creates, 0
    annihilates; applied right to left, as written) or NetKet's string `"3^ 2 1^ 0"`,
    with `weights` (a number or one per term; default 1); a list of `(term, weight)`
    pairs; a mapping `{term: weight}` (OpenFermion's `FermionOperator.terms`, `()` the
    constant; its sites are taken as flat sites of the space as they are); or an object
    with such a `.terms`. One term per pattern of products (fermion_tables.py), so that
    the IR does not grow with the number of products."""
    space = as_hilbert(hilbert)
    if not isinstance(space, FermionHilbert):
        raise ValueError(
            f"fermion_terms needs a fermionic space (sym.Fermions or NetKet's "
            f"SpinOrbitalFermions), got {space}"
        )
    specs, complex_, strings = term_specs(space, terms, weights)
    op = SymbolicOperator(hilbert, name, specs, dtype="complex128" if complex_ else "float64")
    check_definition(op)
    op._fermion_strings = strings
    return op


__all__ = ["fermion_terms"]
