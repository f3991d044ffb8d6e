"""NetKet interop at the API's edges (issue 24).

- `symbolic + netket_operator` (and `-`, both orders) is NetKet's sum, through the adapter;
  its matrix is the sum of NetKet's matrices.
- `to_local_operator()` gives NetKet's `LocalOperator`, equal to the symir operator's
  matrix at 1e-10 (spins with a parameter and a constant; bosons with a `count` term).
- Hilbert-space mismatches name what differs (sites, local states, statistics, NetKet
  space types).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import symir as sym
from symir.hilbert import hilbert_difference
from symir.testing import dense_matrix

nk = pytest.importorskip("netket")

N = 4
EDGES = [(i, (i + 1) % N) for i in range(N)]


def chain(n):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nk.graph.Chain(n)


@pytest.fixture(scope="module")
def hi():
    return nk.hilbert.Spin(0.5, N)


@pytest.fixture(scope="module")
def tfim(hi):
    return (
        sym.DOperator(hi, "tfim", hermitian=True)
        .for_each_site("i")
        .emit(sym.write("i", -sym.site("i")), matrix_element=-sym.symbol("h", 0.7))
        .for_each(("i", "j"), over=EDGES)
        .emit(sym.identity(), matrix_element=1.3 * sym.site("i") * sym.site("j"))
        .globally()
        .emit(sym.identity(), 0.25)
        .build()
    )


def test_symbolic_plus_netket(hi, tfim):
    ising = nk.operator.IsingJax(hi, chain(N), h=1.1)
    # NetKet's operators through scipy (their to_dense compiles a jax sparse kernel)
    mine = sym.to_netket(tfim).to_dense()
    ref = ising.to_sparse().toarray()
    combined = tfim + ising
    assert isinstance(combined, nk.operator.DiscreteJaxOperator) and combined.hilbert == hi
    np.testing.assert_allclose(combined.to_sparse().toarray(), mine + ref, atol=1e-12)
    for combined in (ising + tfim, tfim - ising, ising - tfim):
        assert isinstance(combined, nk.operator.DiscreteJaxOperator) and combined.hilbert == hi
    # on symir's own space, converted to the NetKet operand's
    own = (
        sym.DOperator(sym.Spin(0.5, N), "x")
        .for_each_site("i")
        .emit(sym.write("i", -sym.site("i")), 1.0)
        .build()
    )
    assert (own + ising).hilbert == hi


def test_symbolic_times_netket_in_either_order(hi, tfim):
    """`netket_operator @ symbolic` and `symbolic @ netket_operator` are NetKet's products
    (`nk.operator.Ising @ op` was `unsupported operand type(s) for @`, and with the
    adapter of `op.compile()` NetKet's product asked for the symbolic operator, sweep 9);
    their matrices are the products of the matrices, with a complex non-hermitian factor
    too (`symir.testing.dense_matrix` of each product's `get_conn_padded`; NetKet's own
    `to_dense()` of one, which compiles JAX's sparse assembly anew for each: 30 s for
    the eight)."""
    raising = (
        sym.DOperator(hi, "raising")
        .for_each_site("i")
        .where(sym.site("i") == -1)
        .emit(sym.write("i", 1), matrix_element=0.5j)
        .build()
    )
    for op in (tfim, raising):
        mine = sym.to_netket(op).to_dense()
        for other in (nk.operator.IsingJax(hi, chain(N), h=1.1), nk.operator.spin.sigmay(hi, 1)):
            theirs = other.to_sparse().toarray()
            for product, expected in ((other @ op, theirs @ mine), (op @ other, mine @ theirs)):
                assert isinstance(product, nk.operator.DiscreteJaxOperator)
                np.testing.assert_allclose(dense_matrix(product), expected, atol=1e-12)
    np.testing.assert_allclose(product.to_dense(), expected, atol=1e-12)  # NetKet's way


def test_symbolic_plus_netket_on_another_space(tfim):
    other = nk.operator.IsingJax(nk.hilbert.Spin(0.5, N + 1), chain(N + 1), h=1.0)
    with pytest.raises(ValueError, match=r"differ in the number of sites: 4 and 5"):
        tfim + other
    qubits = nk.operator.spin.sigmax(nk.hilbert.Qubit(N), 0)
    with pytest.raises(ValueError, match=r"differ in the local states: \[-1, 1\] and \[0, 1\]"):
        qubits + tfim


def test_to_local_operator(hi, tfim):
    from symir.integrations.netket_local import to_local_operator

    adapter = sym.to_netket(tfim)
    local = adapter.to_local_operator()
    assert isinstance(local, nk.operator._local_operator.LocalOperatorBase)
    np.testing.assert_allclose(local.to_sparse().toarray(), adapter.to_dense(), atol=1e-10)
    # the adapter's parameter values, or given ones
    other = sym.to_netket(tfim.compile(params={"h": 2.0}))
    np.testing.assert_allclose(
        to_local_operator(tfim, params={"h": 2.0}).to_sparse().toarray(),
        other.to_dense(),
        atol=1e-10,
    )
    with pytest.raises(TypeError, match="made from a CompiledOperator"):
        sym.to_netket(tfim.compile()).to_local_operator()


def test_to_local_operator_bosons():
    from symir.integrations.netket_local import to_local_operator

    hb = nk.hilbert.Fock(2, N)
    bh = (
        sym.DOperator(hb, "bh")
        .for_each(("i", "j"), over=[(0, 1), (1, 2), (2, 3)])
        .emit(sym.hop("i", "j"), -sym.sqrt(sym.site("i") * (sym.site("j") + 1.0)))
        .for_each_site("i")
        .emit(sym.identity(), 0.5 * sym.site("i") * (sym.site("i") - 1.0))
        .globally()
        .emit(sym.identity(), 0.1 * sym.count(0, 2))
        .build()
    )
    local = to_local_operator(bh)
    assert max(len(s) for s in local.acting_on) == 2  # bonds; sites; count(0, 2): a pair
    np.testing.assert_allclose(
        local.to_sparse().toarray(), sym.to_netket(bh).to_dense(), atol=1e-10
    )


def test_hilbert_difference_messages(tfim):
    assert hilbert_difference(sym.Spin(0.5, 4), nk.hilbert.Spin(0.5, 4)) is None
    assert hilbert_difference(sym.Spin(0.5, 4), sym.Spin(1, 4)) == (
        "the local states: [-1, 1] and [-2, 0, 2]"
    )
    assert "the statistics: fermionic and not fermionic" in hilbert_difference(
        sym.Fermions(4), sym.Fock(1, 4)
    )
    assert "n_fermions=2" in hilbert_difference(sym.Fermions(4, n_fermions=2), sym.Fermions(4))
    b = sym.DOperator(sym.Spin(0.5, 5), "b").globally().emit(sym.identity(), 1.0).build()
    with pytest.raises(ValueError, match="'tfim' and 'b' differ in the number of sites: 4 and 5"):
        tfim + b
    with pytest.raises(ValueError, match="differ in the number of sites: 4 and 5"):
        tfim @ b
    with pytest.raises(ValueError, match="differ in the local states"):
        sym.to_netket(tfim.compile(), nk.hilbert.Qubit(N))
    # a sector constraint is a difference too (it was "differ in None", sweep 10)
    assert hilbert_difference(sym.Spin(0.5, 4, total_sz=0), nk.hilbert.Spin(0.5, 4)) == (
        "the sector constraints: sites 0..3 sum to 0 and none"
    )
    assert (
        hilbert_difference(sym.Spin(0.5, 4, total_sz=0), nk.hilbert.Spin(0.5, 4, total_sz=0))
        is None
    )
    sector = sym.DOperator(sym.Spin(0.5, 4, total_sz=0), "s").globally().emit(sym.identity(), 1.0)
    for combine in (lambda: tfim + sector.build(), lambda: sector.build() @ tfim):
        with pytest.raises(ValueError, match=r"differ in the sector constraints: "):
            combine()


def test_a_scaled_adapter_takes_a_number_added(hi, tfim):
    """`2j * adapter` was NetKet's lazy sum with a coefficient, which takes no number:
    `(2j * adapter) + 1` raised NetKet's `TypeError` (IsingJax's `(2j * op) + 1` works),
    and `adapter / 2` had no operator at all. A number times an adapter made from a
    symbolic operator is now that operator scaled and compiled, with the adapter's
    parameter values; one made from a `CompiledOperator` keeps NetKet's lazy sum."""
    a = sym.to_netket(tfim).with_params(h=1.9)
    dense, one = a.to_dense(), np.eye(hi.n_states)
    cases = {
        "(2j * a) + 1": ((2j * a) + 1, 2j * dense + one),
        "(a * 2) - 1": ((a * 2) - 1, 2 * dense - one),
        "-a + 1": (-a + 1, one - dense),
        "a / 4 + 1": (a / 4 + 1, dense / 4 + one),
        "np.float64(3) * a": (np.float64(3) * a, 3 * dense),
    }
    for text, (total, expected) in cases.items():
        np.testing.assert_allclose(total.to_dense(), expected, atol=1e-12, err_msg=text)
    assert not (2j * a).is_hermitian and (3 * a).is_hermitian
    assert isinstance(3 * a, type(a)) and (3 * a).params["h"] == 1.9
    assert isinstance(3 * tfim.compile().to_netket(), type(a))  # compile() keeps the source
    bare = tfim.compile().with_params(h=0.7).to_netket()  # no symbolic operator to scale
    lazy = 2 * bare
    assert not isinstance(lazy, type(a))
    np.testing.assert_allclose(lazy.to_dense(), 2 * bare.to_dense(), atol=1e-12)


def test_numbers_of_other_kinds_and_conjugates(hi, tfim):
    """Sweep 13: `adapter * Fraction(1, 3)` said it could not be used "in a symbolic
    expression", `adapter / 0` was a bare "unsupported operand", and `(adapter +
    1j).conjugate()` NetKet's `NotImplementedError` without a message (NetKet's sums have
    no `conjugate`, and its `LocalOperator.conjugate()` keeps a complex constant)."""
    from decimal import Decimal
    from fractions import Fraction

    a = sym.to_netket(tfim)
    raising = sym.DOperator(hi, "raising").for_each_site("i")
    raising = raising.emit(sym.write("i", 1), matrix_element=(1 - sym.site("i")) / 2).build()
    r = sym.to_netket(raising)
    dense, up, one = a.to_dense(), r.to_dense(), np.eye(hi.n_states)
    cases = {
        "a * Fraction(1, 3)": (a * Fraction(1, 3), dense / 3),
        "Decimal('0.5') * a": (Decimal("0.5") * a, dense / 2),
        "a / Fraction(4)": (a / Fraction(4), dense / 4),
        "a + Fraction(1, 2)": (a + Fraction(1, 2), dense + one / 2),
        "(r + 1j).conjugate()": ((r + 1j).conjugate(), up - 1j * one),
        "(1j - r).conjugate()": ((1j - r).conjugate(), -up - 1j * one),
        "(2j * r + a).conjugate()": ((2j * r + a).conjugate(), -2j * up + dense),
        "(2j * r).conjugate()": ((2j * r).conjugate(), -2j * up),
        "(a + a).conjugate()": ((a + a).conjugate(), 2 * dense),
    }
    for text, (total, expected) in cases.items():
        np.testing.assert_allclose(total.to_dense(), expected, atol=1e-12, err_msg=text)
    assert not (r + 1j).conjugate().is_hermitian and (a + 1).conjugate().is_hermitian
    # the lazy sums' matrices from one compiled kernel equal NetKet's op-by-op path
    from netket.operator._sum import SumDiscreteJaxOperator

    sigmap = nk.operator.spin.sigmap(hi, 1).to_jax_operator()
    for total in (a + sigmap, 2j * (a + r) + sigmap, (a + a) @ r, r - 1):
        expected = SumDiscreteJaxOperator.to_sparse(total).toarray()
        np.testing.assert_allclose(total.to_dense(), expected, atol=1e-14)
    for zero in (0, 0.0, np.float64(0), Fraction(0)):
        with pytest.raises(ZeroDivisionError, match="'tfim' divided by zero"):
            a / zero


def test_a_symbolic_operator_passes_the_adapter_option(tfim):
    """`op.to_netket(deduplicate_connected_components=False)` said `compile() got
    unknown option(s)`, though `sym.to_netket(op, ...)` takes it (sweep 13)."""
    plain = tfim.to_netket(deduplicate_connected_components=False)
    assert plain.deduplicate_connected_components is False
    assert tfim.to_netket().deduplicate_connected_components is True
    np.testing.assert_allclose(plain.to_dense(), tfim.to_netket().to_dense(), atol=1e-12)


def test_bonds_that_are_not_pairs_name_the_problem(hi):
    """`models.tfim(hilbert, 1.0)` (a number where the graph goes) raised `'float' object
    is not iterable` from inside the list of bonds."""
    from symir import models

    for graph in (1.0, [(0, 1, 2)], "chain"):
        with pytest.raises(TypeError, match="a NetKet graph or a list of \\(i, j\\) site pairs"):
            models.tfim(hi, graph)
