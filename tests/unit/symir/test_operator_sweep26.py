"""Operators symir had not seen (sweep 26): each case a defect found by writing them,
checked against NumPy's products and adjoints of the reference interpreter's matrices or
against NetKet's own operators.
"""

from __future__ import annotations

import numpy as np
import pytest

import symir as sym
from symir.interpreter import reference_to_dense
from symir.testing import dense_matrix

nk = pytest.importorskip("netket")

site = sym.site


def test_an_adapter_times_netkets_lazy_adjoint_is_an_operator_a_state_takes():
    """`a @ a.H`, `a + a.H`, `a - a.T` of an adapter (`a.H` is NetKet's lazy `Adjoint`):
    our algebra took the lazy wrapper as an operand and gave NetKet's generic product or
    sum, which no variational state takes (`FullSumState.expect` raised
    `NotFoundLookupError`), where NetKet's own `LocalOperatorJax` collects the adjoint."""
    hi = nk.hilbert.Spin(0.5, 3)
    raising = (
        sym.DOperator(hi, "raise")
        .for_each_site("i")
        .emit_if(site("i") < 0, sym.write("i", 1), matrix_element=1.0 + 0.5j)
        .build()
    )
    m = reference_to_dense(raising, hilbert=hi)
    a = raising.to_netket()
    state = nk.vqs.FullSumState(hi, nk.models.RBM(alpha=1, param_dtype=complex), seed=0)
    psi = state.to_array()
    cases = {
        "a @ a.H": (a @ a.H, m @ m.conj().T),
        "a + a.H": (a + a.H, m + m.conj().T),
        "a - a.T": (a - a.T, m - m.T),
        "(a + 1) @ a.H": ((a + 1) @ a.H, (m + np.eye(8)) @ m.conj().T),
        "raising @ a.H": (raising @ a.H, m @ m.conj().T),
    }
    for name, (op, matrix) in cases.items():
        np.testing.assert_allclose(op.to_dense(), matrix, atol=1e-10, err_msg=name)
        expected = psi.conj() @ matrix @ psi
        np.testing.assert_allclose(state.expect(op).mean, expected, atol=1e-10, err_msg=name)
    assert (a @ a.H).is_hermitian and (a + a.H).is_hermitian


@pytest.mark.parametrize("diagonal", ["auto", "dense"])
def test_a_diagonal_whose_folded_weights_overflow_is_summed_by_rows(diagonal):
    """`(1e200 x_i) (1e200 x_j) 1e-300` on bosons: each row is `0` or `inf`, but the
    quadratic form's weight `1e400 * 1e-300` overflows to `inf` when the constants are
    folded. `branch-choose-lowering` crashed (`OverflowError: cannot convert Infinity to
    integer ratio`, a `SymbolicCompilerError` of the pass; also `big @ big` of 1e300
    elements), and the form would give `inf * 0 = nan` where a row gives 0."""
    bosons = sym.Fock(1, 3)
    op = (
        sym.DOperator(bosons, "overflowing")
        .for_each(("i", "j"), over=[(0, 1), (1, 2)])
        .emit(sym.identity(), matrix_element=(1e200 * site("i")) * (1e200 * site("j")) * 1e-300)
        .build()
    )
    expected = np.diag([0, 0, 0, np.inf, 0, 0, np.inf, np.inf])
    np.testing.assert_array_equal(reference_to_dense(op, hilbert=bosons), expected)
    compiled = op.compile(cache=False, diagonal_lowering=diagonal)
    np.testing.assert_array_equal(dense_matrix(compiled), expected)


@pytest.mark.parametrize(
    ("strings", "weights"),
    [
        (["ZII", "XXX"], [sym.symbol("g", 0.3), 2.0]),
        (["ZII", "XXX"], ["a", "b"]),
        ({((0, "Z"),): None, ((0, "X"), (1, "X"), (2, "X")): 1.0}, None),
    ],
)
def test_pauli_weights_that_are_not_numbers_are_named(strings, weights):
    """A parameter (or anything else but a number) among `pauli_strings`' weights raised
    NumPy's bare `TypeError` ("ufunc 'isfinite' not supported for the input types"); a
    parameter scales the operator instead."""
    hi = sym.Spin(0.5, 3)
    with pytest.raises(TypeError, match=r"pauli_strings: the weights must be numbers, got"):
        sym.pauli_strings(hi, strings, weights)
    scaled = sym.symbol("g", 0.3) * sym.pauli_strings(hi, "ZII") + sym.pauli_strings(hi, "XXX")
    z, x = np.diag([-1.0, 1.0]), np.array([[0.0, 1.0], [1.0, 0.0]])
    expected = 0.3 * np.kron(z, np.eye(4)) + np.kron(np.kron(x, x), x)
    np.testing.assert_allclose(dense_matrix(scaled.compile()), expected, atol=1e-12)


def test_the_adjoint_of_a_shift_mod_by_zero_or_a_wrapped_negation():
    """`shift_mod(t, 0)` (folded to `wrap_mod(x[t])`), `wrap_mod(c - x[t])` and
    `wrap_mod(-x[t])` are bijections of the contiguous local states, but the adjoint took
    only `wrap_mod(x[t] + c)`: `op.H` was refused ('cannot invert the update'), also
    of a tabulated `permute(i, j, l).shift_mod(i, k)` at `k = 0`."""
    bosons = sym.Fock(2, 3)
    updates = [
        sym.shift_mod(0, 0),
        sym.permute(0, 1, 2).shift_mod(1, 0),
        sym.write(0, sym.wrap_mod(1 - site(0))),
        sym.write(0, sym.wrap_mod(-(site(1) + 2))).write(1, site(0)),
    ]
    for update in updates:
        op = (
            sym.DOperator(bosons, "u")
            .globally()
            .emit(update, matrix_element=1.0 + site(2) + 0.5j * site(0))
            .build()
        )
        m = reference_to_dense(op, hilbert=bosons)
        np.testing.assert_allclose(dense_matrix(op.H.compile()), m.conj().T, atol=1e-12)
        np.testing.assert_allclose(dense_matrix((op.T @ op).compile()), m.T @ m, atol=1e-12)


def test_a_number_added_keeps_single_precision():
    """`op + 1` of a `float32` operator was `float64` (and `op + 1j` `complex128`) where
    `op * 2` stays `float32` and NetKet's `LocalOperator(dtype=float32) + 1` is
    `float32`: the number's identity was a `float64` operator."""
    spins = sym.Spin(0.5, 3)
    flips = (
        sym.DOperator(spins, "flips", dtype="float32")
        .for_each_site("i")
        .emit(sym.write("i", -site("i")), matrix_element=0.1)
        .build()
    )
    m = reference_to_dense(flips, hilbert=spins)
    one = np.eye(len(m))
    cases = {
        "float32": (flips + 1, 1 - flips, flips - np.float32(0.5)),
        "complex64": (flips + 1j, (1j * flips) + 2),
    }
    for dtype, ops in cases.items():
        for op in ops:
            assert op.dtype == dtype and op.compile().dtype == dtype
    mels = (flips + 1j).compile().get_conn_padded(spins.all_states())[1]
    assert mels.dtype == np.complex64
    np.testing.assert_allclose(dense_matrix((1 - flips).compile()), one - m, atol=1e-7)
