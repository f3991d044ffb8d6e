"""Operators symir had not seen (sweep 30): each case a defect found by writing them,
checked against NetKet's own operators."""

from __future__ import annotations

import numpy as np
import pytest

import symir as sym
from symir.testing import dense_matrix

nk = pytest.importorskip("netket")


def test_a_complex_coefficient_of_a_fermion_product_in_a_sum():
    """`t c+_i c_j + conj(t) c+_j c_i` with a complex `t`, and pairing terms, emitted
    `globally()`: reading the strings of the emission (for hermiticity and products)
    raised `NameError: cannot access free variable 'number'` from inside the DSL, where
    a complex coefficient (a `complex` node) was read by `fermion_algebra.number`, whose
    local variable shadowed the function."""
    from netket.operator.fermion import create, destroy, number

    hi = nk.hilbert.SpinOrbitalFermions(4)
    t = 0.5 * np.exp(0.3j)
    reference, terms = 0, 0
    for i in range(4):
        j = (i + 1) % 4
        reference = reference + (
            t * create(hi, i) @ destroy(hi, j)
            + np.conj(t) * create(hi, j) @ destroy(hi, i)
            + 0.25 * (create(hi, i) @ create(hi, j) + destroy(hi, j) @ destroy(hi, i))
            + 0.9 * number(hi, i) @ number(hi, j)
        )
        terms = terms + (
            t * sym.cdag(i) * sym.c(j)
            + np.conj(t) * sym.cdag(j) * sym.c(i)
            + 0.25 * (sym.cdag(i) * sym.cdag(j) + sym.c(j) * sym.c(i))
            + 0.9 * sym.n(i) * sym.n(j)
        )
    op = sym.DOperator(hi, "pairing").globally().emit(terms, matrix_element=1.0).build()
    np.testing.assert_allclose(
        dense_matrix(op.compile(), hi), reference.to_dense(), atol=1e-12, rtol=0
    )
    assert op.is_hermitian
