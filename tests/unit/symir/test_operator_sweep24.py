"""Operators symir had not seen (sweep 24): each case a defect found by writing them, its
matrix checked against NumPy's product or conjugate transpose of the factors' matrices
(the reference interpreter's) or against NetKet's own operators.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import symir as sym
from symir.interpreter import reference_to_dense
from symir.testing import dense_matrix

site = sym.site


def _matrices(op, expected: np.ndarray) -> None:
    """The kernel and the reference interpreter both give `expected` (1e-10)."""
    np.testing.assert_allclose(dense_matrix(op.compile()), expected, atol=1e-10, rtol=0)
    np.testing.assert_allclose(reference_to_dense(op, hilbert=op.hilbert), expected, atol=1e-10)


def test_a_site_one_before_a_label_composes():
    """`site(site("i").index - 1)` (the left neighbour, taken modulo N) in a product or an
    adjoint: the composition simplified `i - 1` to `i + -1` and looked that up among the
    term's sites by its text, so `op.H` and `op @ op` were refused, saying the site
    'depends on the configuration or a parameter' (it depends on a label only)."""
    bosons = sym.Fock(2, 3)
    left = site("i").index - 1
    hop = (
        sym.DOperator(bosons, "hop_left")
        .for_each_site("i")
        .emit(sym.hop("i", left), matrix_element=sym.sqrt(site("i") * sym.emitted(left)))
        .build()
    )
    shifted = (
        sym.DOperator(bosons, "shift_back")
        .for_each_site("i")
        .emit(sym.shift((site("i").index + 1) - 1, 1), matrix_element=1.0 + site(left))
        .build()
    )
    a = reference_to_dense(hop, hilbert=bosons)
    b = reference_to_dense(shifted, hilbert=bosons)
    _matrices(hop.H, a.conj().T)
    _matrices(hop @ shifted, a @ b)
    _matrices(shifted.H @ hop, b.conj().T @ a)


def test_an_operator_scales_and_shifts_by_the_same_numbers():
    """`op * True` built an operator whose compile failed inside the IR ('sym.mul' lhs
    must be one of i64, f64, complex<f64>, got i1) where `op + True` is refused at once;
    `op - jnp.array(1.5)` was refused (`TypeError`) where `op * jnp.array(1.5)` scaled
    (a concrete 0-d array is a number); `op / np.array(0.0)` gave infinite elements where
    `op / 0.0` is a `ZeroDivisionError`."""
    import jax
    import jax.numpy as jnp

    spins = sym.Spin(0.5, 3)
    flips = (
        sym.DOperator(spins, "flips")
        .for_each_site("i")
        .emit(sym.write("i", -site("i")), matrix_element=0.5)
        .emit(sym.identity(), matrix_element=0.25 * site("i"))
        .build()
    )
    m = reference_to_dense(flips, hilbert=spins)
    one = np.eye(len(m))
    for flag in (True, np.False_):
        with pytest.raises(TypeError, match="cannot scale the operator 'flips' by"):
            flips * flag
        with pytest.raises(TypeError, match="unsupported operand"):
            flips + flag
    _matrices(flips - jnp.array(1.5), m - 1.5 * one)
    _matrices(np.array(2.0) - flips, 2.0 * one - m)
    _matrices(jnp.array(0.5) * flips / np.float32(4.0), m / 8)
    with pytest.raises(ZeroDivisionError, match="'flips' divided by zero"):
        flips / np.array(0.0)
    with pytest.raises(TypeError, match=r"sym\.symbol"):  # a traced value is no number
        jax.jit(lambda v: (flips + v).max_conn_size)(1.0)
    # a Fraction, as the NetKet adapter and NetKet's operators take it (was a TypeError)
    _matrices(flips * Fraction(1, 3) - Fraction(1, 2), m / 3 - one / 2)
    _matrices(flips / Fraction(4), m / 4)


def test_the_models_refuse_spaces_they_are_not_written_for():
    """`models.tfim` and `models.heisenberg` on a qubit space (local states 0 and 1) built
    other operators than NetKet's `Ising` and `Heisenberg` on the same space, without a
    word (the flip `write(i, -x_i)` leaves 0 as it is; `Z_i Z_j` was 0 or 1): matrices 3.3
    and 3.0 apart; on spin 1 they, and `bose_hubbard`, built models NetKet refuses."""
    nk = pytest.importorskip("netket")
    from symir import models

    chain = [(0, 1), (1, 2)]
    for space in (nk.hilbert.Qubit(3), nk.hilbert.Spin(1, 3), sym.Fock(2, 3)):
        for build in (models.tfim, models.heisenberg):
            with pytest.raises(ValueError, match="local states -1 and 1 of spin 1/2"):
                build(space, chain)
        with pytest.raises(ValueError, match="local states -1 and 1 of spin 1/2"):
            models.j1j2(space, (chain, [(0, 2)]))
    with pytest.raises(ValueError, match=r"the occupations 0 \.\. n_max"):
        models.bose_hubbard(nk.hilbert.Spin(1, 3), chain)
    # fermi_hubbard on spins: a bare AttributeError ('DiscreteHilbert' object has no
    # attribute 'index'); on spinless fermions: 'no spin projection, got sz=-1'
    for space in (nk.hilbert.Spin(0.5, 6), nk.hilbert.SpinOrbitalFermions(3)):
        with pytest.raises(ValueError, match="fermi_hubbard is written for spin-1/2 fermions"):
            models.fermi_hubbard(space, chain)
    # the spaces they are written for: constrained too; hard-core bosons on 0 and 1
    sector = nk.hilbert.Spin(0.5, 4, total_sz=0)
    heis = models.heisenberg(sector, [(0, 1), (1, 2), (2, 3)], J=0.5)
    expected = dense_matrix(nk.operator.Heisenberg(sector, nk.graph.Chain(4, pbc=False), J=0.5))
    np.testing.assert_allclose(dense_matrix(heis.compile()), expected, atol=1e-10)
    qubits = nk.hilbert.Qubit(3)
    hard_core = models.bose_hubbard(qubits, chain, U=1.0, J=0.5, mu=0.2)
    fock = nk.hilbert.Fock(1, 3)
    expected = nk.operator.BoseHubbard(fock, nk.graph.Chain(3, pbc=False), U=1.0, J=0.5, mu=0.2)
    np.testing.assert_allclose(dense_matrix(hard_core.compile(), qubits), dense_matrix(expected))


def test_an_infinite_complex_element_is_compared_part_by_part():
    """`inf + 11.537408154893415j` against `inf + 11.537408154893411j` (a kernel and the
    reference interpreter rounding the finite part apart, on an operator whose element
    divides by zero) differed by `inf - inf = nan` as complex numbers: `first_difference`
    reported two equal rows as different."""
    from symir.testing import first_difference

    x = np.array([[0, 1]])
    xp = np.array([[[1, 1], [0, 1]]])
    got = np.array([[complex(np.inf, 11.537408154893415), 0.5]])
    assert (
        first_difference((xp, got), (xp, np.array([[complex(np.inf, 11.537408154893411), 0.5]])), x)
        is None
    )
    for other in (complex(np.inf, 12.0), complex(-np.inf, 11.5), complex(np.inf, np.inf)):
        assert first_difference((xp, got), (xp, np.array([[other, 0.5]])), x) is not None


def test_a_product_of_no_active_branch_is_the_zero_operator():
    """An operator whose every branch is invalidated is the zero operator, and so are its
    products: `inv @ inv` and `inv @ flips` raised "has no branch that can be active"
    though `inv` itself was accepted (sweep 24)."""
    spins = sym.Spin(0.5, 3)
    inv = sym.DOperator(spins, "inv").for_each_site("i").emit(sym.invalidate()).build()
    flips = (
        sym.DOperator(spins, "flips")
        .for_each_site("i")
        .emit(sym.write("i", -site("i")), matrix_element=0.5)
        .build()
    )
    zero = np.zeros((8, 8))
    for product in (inv @ inv, inv @ flips, flips @ inv):
        _matrices(product, zero)
        assert product.compile().max_conn_size == 1
    _matrices(flips @ inv + flips, reference_to_dense(flips, hilbert=spins))


def test_a_dtype_too_narrow_for_many_local_states_is_named_in_short():
    """The int8 message listed all 301 local states of Fock(300) (sweep 24)."""
    bosons = sym.Fock(300, 2)
    hop = (
        sym.DOperator(bosons, "n")
        .for_each_site("i")
        .emit(sym.identity(), matrix_element=1.0 * site("i"))
        .build()
        .compile()
    )
    message = r"cannot hold the local states \[0, 1, 2, \.\.\., 299, 300\] \(301 of them\)"
    with pytest.raises(ValueError, match=message):
        hop.get_conn_padded(np.zeros((1, 2), np.int8))
