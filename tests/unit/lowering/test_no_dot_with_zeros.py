"""No `dot_general` against a matrix of zeros in the StableHLO the lowering writes.

XLA's CPU compiler (jaxlib 0.10) miscompiles, in about one compile in four, a program
holding a `dot_general` of a constant all-zero matrix beside another `dot_general`: a
complex `pauli_strings` sum with real `Z_i Z_j` couplings, whose diagonal's imaginary
quadratic form was such a product, had imaginary diagonal elements of 4, 10 or 1e254
(sweep 24). Which compile goes wrong is chance, so these tests read the program: the
lowering must not write the product (`site_mask_lowering._linear_rows`,
`quadratic_form_lowering`'s zero weights dropped); the elements are checked against
NetKet's too.
"""

from __future__ import annotations

import re

import netket as nk
import numpy as np
import pytest

import symir as sym
from symir import DOperator, identity, site
from symir.testing import dense_matrix

_ZERO_CONSTANT = re.compile(r"(%\w+) = stablehlo\.constant dense<(?:0\.0+e\+00|0|false)> ")
_DOT = re.compile(r'"stablehlo\.dot_general"\(([^)]*)\)')


def dots_with_zeros(text: str) -> list[str]:
    """The `dot_general` lines of `text` with an operand that is a constant of zeros."""
    zeros = {m.group(1) for m in _ZERO_CONSTANT.finditer(text)}
    return [
        m.group(0)
        for m in _DOT.finditer(text)
        if any(v.strip() in zeros for v in m.group(1).split(","))
    ]


def test_the_check_sees_a_dot_with_zeros():
    text = (
        "%3 = stablehlo.constant dense<0.000000e+00> : tensor<1x6x6xf64>\n"
        '%4 = "stablehlo.dot_general"(%2, %3) <{}> : (tensor<?x6xf64>, tensor<1x6x6xf64>)\n'
        '%5 = "stablehlo.dot_general"(%2, %1) <{}> : (tensor<?x6xf64>, tensor<1x6x6xf64>)\n'
    )
    assert dots_with_zeros(text) == ['"stablehlo.dot_general"(%2, %3)']


def _dm_chain(n: int, with_zz: bool):
    """XY (and ZZ) with a Dzyaloshinskii-Moriya term `0.4 (X_i Y_j - Y_i X_j)`."""
    letters = [("X", "X", 1.0), ("Y", "Y", 1.0), ("X", "Y", 0.4), ("Y", "X", -0.4)]
    if with_zz:
        letters.append(("Z", "Z", 1.0))
    strings, weights = [], []
    for i, j in nk.graph.Chain(n).edges():
        for a, b, w in letters:
            s = ["I"] * n
            s[i], s[j] = a, b
            strings.append("".join(s))
            weights.append(w)
    return strings, weights


@pytest.mark.parametrize("with_zz", [True, False])
def test_a_complex_pauli_sum_with_real_zz_has_no_dot_with_zeros(with_zz):
    hi = nk.hilbert.Spin(0.5, 8)
    strings, weights = _dm_chain(8, with_zz)
    compiled = sym.pauli_strings(hi, strings, weights).compile(cache=False)
    assert "dot_general" in compiled.stablehlo_text or not with_zz
    assert dots_with_zeros(compiled.stablehlo_text) == []
    reference = dense_matrix(nk.operator.PauliStrings(hi, strings, weights))
    np.testing.assert_allclose(dense_matrix(compiled, hi), reference, atol=1e-10)


def test_a_diagonal_of_zero_couplings_has_no_dot_with_zeros():
    hi = nk.hilbert.Spin(0.5, 6)
    edges = nk.graph.Chain(6).edges()
    op = (
        DOperator(hi, "zero_zz")
        .for_each(("i", "j"), over=edges)
        .emit(identity(), matrix_element=0.0 * site("i") * site("j"))
        .for_each(("i", "j"), over=edges)
        .emit(identity(), matrix_element=1.0 * site("i") * site("j"))
        .build()
    )
    compiled = op.compile(cache=False)
    assert dots_with_zeros(compiled.stablehlo_text) == []
    reference = dense_matrix(nk.operator.Ising(hi, nk.graph.Chain(6), h=0.0, J=1.0))
    np.testing.assert_allclose(dense_matrix(compiled, hi), reference, atol=1e-10)
