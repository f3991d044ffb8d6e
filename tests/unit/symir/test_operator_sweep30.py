"""Operators and inputs symir had not seen (sweep 30): each case a defect found by
writing them, checked against NetKet's own operators or PySCF's energies."""

from __future__ import annotations

import numpy as np
import pytest

import symir as sym
from symir.testing import assert_same_expect_and_grad, dense_matrix

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


def test_a_sum_of_fermion_products_started_at_zero_takes_subtraction():
    """`terms = 0` then `terms = terms - t * cdag(a) * c(b)` (a Peierls-phase hopping,
    written as NetKet's examples write their sums): `0 - product` raised `TypeError:
    unsupported operand type(s) for -: 'int' and 'FermionProduct'` where `0 + product`
    worked. Checked on the spinful ring of 4 with (2, 1) fermions against NetKet's."""
    from netket.operator.fermion import create, destroy, number

    sites = 4
    hi = nk.hilbert.SpinOrbitalFermions(sites, s=0.5, n_fermions_per_spin=(2, 1))
    t = np.exp(0.37j)
    reference, terms = 0, 0
    for spin, offset in ((-1, 0), (1, sites)):
        for i in range(sites):
            j = (i + 1) % sites
            reference = reference - t * create(hi, i, spin) @ destroy(hi, j, spin)
            reference = reference - np.conj(t) * create(hi, j, spin) @ destroy(hi, i, spin)
            a, b = i + offset, j + offset
            terms = terms - t * sym.cdag(a) * sym.c(b)
            terms = terms - np.conj(t) * sym.cdag(b) * sym.c(a)
    for i in range(sites):
        reference = reference + 3.0 * number(hi, i, -1) @ number(hi, i, 1)
        terms = terms + 3.0 * sym.n(i) * sym.n(i + sites)
    op = sym.DOperator(hi, "peierls").globally().emit(terms, matrix_element=1.0).build()
    np.testing.assert_allclose(
        dense_matrix(op.compile(), hi), reference.to_dense(), atol=1e-12, rtol=0
    )
    assert op.is_hermitian
    assert (0 - sym.cdag(0) * sym.c(1)).products[0].factors == (sym.cdag(0) * sym.c(1)).factors
    assert len((0.0 - (sym.cdag(0) + sym.c(1))).products) == 2
    hopping = sym.cdag(0) + sym.c(1)
    assert hopping - 0 is hopping
    # a constant is not a fermion product: said so, not Python's "unsupported operand"
    for constant_added in (lambda: 1 - sym.cdag(0), lambda: hopping + 2.0, lambda: 0.5j + hopping):
        with pytest.raises(TypeError, match="which is not a ladder product: emit it on its own"):
            constant_added()


def _ground_energy(integrals) -> float:
    from symir.chemistry import molecular_hamiltonian

    matrix = dense_matrix(molecular_hamiltonian(integrals).operator.compile())
    return float(np.linalg.eigvalsh(matrix)[0])


def test_a_density_fitted_mean_field_gives_pyscfs_casci_energy():
    """`from_pyscf(mf.density_fit())`: the active space's two-electron integrals were the
    exact ones (`ao2mo.full(mol, C)`) while the frozen core's mean field in `h1` was
    density-fitted, a Hamiltonian of neither kind: H2O STO-3G CAS(5, 8) was 4.8e-5 Ha
    below PySCF's CASCI (a `DFCASCI` on such a mean field). They are now PySCF's own
    (`CASCI.get_h2eff`)."""
    pyscf = pytest.importorskip("pyscf")
    from pyscf import mcscf, scf

    from symir.chemistry import from_pyscf

    mol = pyscf.gto.M(
        atom="O 0 0 0.1173; H 0 0.7572 -0.4692; H 0 -0.7572 -0.4692",
        basis="sto-3g",
        symmetry=True,
        verbose=0,
    )
    mf = scf.RHF(mol).density_fit().run()
    expected = mcscf.CASCI(mf, 5, 8, ncore=1).kernel()[0]
    assert abs(_ground_energy(from_pyscf(mf, ncore=1, ncas=5)) - expected) < 1e-8


def test_a_model_hamiltonian_given_to_pyscf_through_its_eri():
    """A Hubbard ring written for PySCF as its documentation does (`mf.get_hcore`,
    `mf.get_ovlp`, `mf._eri` on a molecule without atoms): `from_pyscf` recomputed the
    integrals from the (empty) molecule and failed with a bare `AssertionError` from
    inside PySCF's `ao2mo`. It now takes `mf._eri`, as PySCF's CASCI does."""
    pytest.importorskip("pyscf")
    from pyscf import ao2mo, gto, mcscf, scf

    from symir.chemistry import from_pyscf

    n, u = 6, 4.0
    mol = gto.M(verbose=0)
    mol.nelectron = n
    mol.incore_anyway = True
    h1 = np.zeros((n, n))
    for i in range(n):
        h1[i, (i + 1) % n] = h1[(i + 1) % n, i] = -1.0
    eri = np.zeros((n,) * 4)
    for i in range(n):
        eri[i, i, i, i] = u
    mf = scf.RHF(mol)
    mf.get_hcore = lambda *args: h1
    mf.get_ovlp = lambda *args: np.eye(n)
    mf._eri = ao2mo.restore(8, eri, n)
    mf.kernel()
    expected = mcscf.CASCI(mf, n, n).kernel()[0]
    assert abs(_ground_energy(from_pyscf(mf)) - expected) < 1e-8


def test_lookup_takes_a_label_name_as_its_sites_index():
    """`lookup(eps, "i")`, a label's name as updates take them (`write("i", ...)`), raised
    `TypeError: cannot use 'i' of type str in a symbolic expression`; and `lookup`'s
    docstring showed `lookup(h, "p" * n + "q")`, Python's string repetition. A name is
    now its site's index, as `site("i").index`."""
    from symir.interpreter import reference_get_conn_padded

    bosons = sym.Fock(3, 5)
    eps = sym.table("eps", [0.1, 0.2, -0.3, 0.4, 0.5])
    by_name, by_index = (
        sym.DOperator(bosons, "onsite")
        .for_each_site("i")
        .emit(sym.identity(), matrix_element=sym.lookup(eps, index) * sym.site("i"))
        .build()
        for index in ("i", sym.site("i").index)
    )
    assert str(by_name.to_ir()) == str(by_index.to_ir())
    x = np.array([[0, 1, 2, 3, 1], [3, 3, 0, 0, 2]])
    _, mels = by_name.compile().with_params(eps=[1.0, 2.0, 3.0, 4.0, 5.0]).get_conn_padded(x)
    np.testing.assert_allclose(np.asarray(mels).sum(axis=1), x @ np.arange(1.0, 6.0))
    np.testing.assert_allclose(
        reference_get_conn_padded(by_name, x)[1].sum(axis=1), x @ [0.1, 0.2, -0.3, 0.4, 0.5]
    )


def _hopping(space, coefficient, back=None):
    """`sum_<ij> coefficient c+_i c_j + back c+_j c_i + 0.5 n_i n_j` on a ring, one
    `globally()` emission."""
    back = coefficient if back is None else back
    terms = 0
    sites = space.size
    for i in range(sites):
        j = (i + 1) % sites
        terms = terms + coefficient * sym.cdag(i) * sym.c(j) + back * sym.cdag(j) * sym.c(i)
        terms = terms + 0.5 * sym.n(i) * sym.n(j)
    return sym.DOperator(space, "hopping").globally().emit(terms, matrix_element=1.0).build()


def test_fermion_strings_with_a_real_parameter_are_proved_hermitian():
    """`J (c+_i c_j + c+_j c_i)` with `J = symbol("J", 0.7)`: its strings were kept only
    where every coefficient is a number, and its adjoint (built by the general product,
    with Jordan-Wigner signs as updates) compiles to another kernel, so it was "not
    proved" hermitian; NetKet's `expect_and_grad` then refused it (`FullSumState`: "not
    yet implemented"; `MCState`: experimental). The strings multiplying each product of
    real parameters are now checked alone: hermitian for every value of `J`."""
    from netket.operator.fermion import create, destroy, number

    space = nk.hilbert.SpinOrbitalFermions(4, n_fermions=2)
    op = _hopping(space, sym.symbol("J", 0.7))
    hermitian, how = op.hermiticity
    assert hermitian and how.startswith("proved for every value of its real parameters")
    reference = 0
    for i in range(4):
        j = (i + 1) % 4
        hop = create(space, i) @ destroy(space, j) + create(space, j) @ destroy(space, i)
        reference = reference + 0.7 * hop + 0.5 * number(space, i) @ number(space, j)
    state = nk.vqs.FullSumState(space, nk.models.MLP(hidden_dims=(8,), param_dtype=float))
    assert_same_expect_and_grad(state, op.to_netket(), reference, atol=1e-10)
    phase = _hopping(space, 1j * sym.symbol("J", 0.7), -1j * sym.symbol("J", 0.7))
    assert phase.is_hermitian


@pytest.mark.parametrize(
    "coefficient, back",
    [
        (sym.symbol("J", 0.7), sym.symbol("K", 0.7)),  # equal only by their defaults
        (sym.symbol("K", 0.5 + 0.5j), sym.conj(sym.symbol("K", 0.5 + 0.5j))),  # complex
        (sym.symbol("J", 0.7), 2.0 * sym.symbol("J", 0.7)),
    ],
    ids=["two-parameters", "complex-parameter", "unequal-weights"],
)
def test_fermion_strings_with_parameters_not_proved_hermitian(coefficient, back):
    """What the proof does not claim: strings hermitian only for some values of the
    parameters, or with a complex parameter (whose conjugate is another expression)."""
    space = nk.hilbert.SpinOrbitalFermions(3, n_fermions=1)
    hermitian, how = _hopping(space, coefficient, back).hermiticity
    assert not hermitian and how.startswith("not proved"), how


def test_a_gradient_refused_as_non_hermitian_says_why_and_how_to_declare():
    """An exchange written by hand with a parameter added to its element, not declared
    hermitian, is not proved (not a factor of the element, so not checked bond by bond,
    and its adjoint compiles to another kernel): NetKet's `expect_and_grad` refused
    it with NetKet's words only ("set NETKET_EXPERIMENTAL=1"), which sent users to an
    experimental estimator for a hermitian operator. The error now gives symir's reason
    and the declaration."""
    space = nk.hilbert.Spin(0.5, 8)
    chain = [(i, i + 1) for i in range(7)]
    exchange = (
        sym.DOperator(space, "exchange")
        .for_each(("i", "j"), over=chain)
        .emit_if(
            sym.site("i") != sym.site("j"),
            sym.swap("i", "j"),
            sym.symbol("J", 1.0) + sym.site("i") * sym.site("j"),  # not a factor of it
        )
        .build()
    )
    sampler = nk.sampler.MetropolisLocal(space, n_chains=4)
    state = nk.vqs.MCState(sampler, nk.models.RBM(alpha=1, param_dtype=float), n_samples=16)
    with pytest.raises(RuntimeError, match="NETKET_EXPERIMENTAL=1") as error:
        state.expect_and_grad(exchange.to_netket())
    assert "symir did not establish that operator 'exchange' is hermitian (not proved" in str(
        error.value
    )
    assert "hermitian=True" in str(error.value)
