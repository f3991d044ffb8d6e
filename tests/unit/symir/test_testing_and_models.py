"""`symir.testing` (connected states compared as multisets) and `symir.models` (lattice
models equal to NetKet's operators).

References nobody here wrote: NetKet's `Ising`, `Heisenberg` (with and without the sign
rule), `GraphOperator` (J1-J2 by bond colour), `BoseHubbard` and the Fermi-Hubbard model
from `create`/`destroy`/`number`: matrices at 1e-10 and `get_conn` on random states. The
comparison itself is checked on hand-made outputs: it must see a missing state, an extra
one, a different matrix element, a NaN and an infinity, and must not see padding, order or
a matrix element split over two slots.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import symir as sym
from symir import models
from symir.testing import (
    assert_connections_match,
    assert_same_connections,
    connections,
    dense_matrix,
    first_difference,
)

nk = pytest.importorskip("netket")


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def random_states(hi, count=12, seed=0):
    return np.asarray(hi.random_state(nk.jax.PRNGKey(seed), count), dtype=np.int8)


# --------------------------------------------------------------------------- comparison

X = np.array([[1, 1]])
# one configuration: the diagonal split over two slots, a hop, and a padding slot
XP = np.array([[[1, 1], [0, 1], [1, 1], [1, 1]]])
MELS = np.array([[1.0, 0.5, 2.0, 0.0]])


def test_order_padding_and_split_diagonal_do_not_matter():
    other = (np.array([[[0, 1], [1, 1]]]), np.array([[0.5, 3.0]]))
    assert first_difference((XP, MELS), other) is None
    assert first_difference((XP, MELS), other, X, merge="diagonal") is None
    # without merging, the split diagonal is two branches, not one
    found = first_difference((XP, MELS), other, merge="none")
    assert found is not None and found.sample == 0
    assert connections(XP[0], MELS[0], merge="none") == [
        ((0, 1), 0.5),
        ((1, 1), 1.0),
        ((1, 1), 2.0),
    ]
    assert connections(XP[0], MELS[0]) == [((0, 1), 0.5), ((1, 1), 3.0)]


@pytest.mark.parametrize(
    "xp,mels,message",
    [
        ([[[1, 1], [0, 1]]], [[3.0, 0.5000001]], "1 with different mels"),
        ([[[1, 1], [1, 0]]], [[3.0, 0.5]], "1 only in got: [1, 0]"),
        ([[[1, 1], [1, 1]]], [[3.0, 0.0]], "1 only in expected: [0, 1]"),
        ([[[1, 1], [0, 1]]], [[np.nan, 0.5]], "1 with different mels"),
        ([[[1, 1], [0, 1]]], [[np.inf, 0.5]], "1 with different mels"),
    ],
)
def test_differences_are_found_and_named(xp, mels, message):
    expected = (XP, MELS)
    with pytest.raises(AssertionError, match="sample 0 \\(x = \\[1, 1\\]\\)") as info:
        assert_same_connections((np.array(xp), np.array(mels)), expected, X)
    assert message in str(info.value)


def test_nan_and_inf_equal_only_themselves():
    for value in (np.nan, np.inf, -np.inf):
        out = (XP[:, :1], np.array([[value]]))
        assert_same_connections(out, out)
    with pytest.raises(AssertionError):
        assert_same_connections(
            (XP[:, :1], np.array([[np.inf]])), (XP[:, :1], np.array([[-np.inf]]))
        )


def test_batches_of_any_shape_and_bad_input():
    xp = np.broadcast_to(XP, (2, 3, 4, 2))
    mels = np.broadcast_to(MELS, (2, 3, 4))
    changed = mels.copy()
    changed[1, 2, 1] = 0.25
    found = first_difference((xp, changed), (xp, mels))
    assert found is not None and found.sample == 5
    with pytest.raises(ValueError, match="merge must be one of"):
        first_difference((xp, mels), (xp, mels), merge="sum")
    with pytest.raises(ValueError, match="needs the configuration x"):
        first_difference((xp, mels), (xp, mels), merge="diagonal")
    with pytest.raises(ValueError, match=re.escape("xp (..., F, N) and mels (..., F)")):
        first_difference((xp, mels[..., 0]), (xp, mels))
    with pytest.raises(ValueError, match="6 configurations got, 1 expected"):
        first_difference((xp, mels), (XP, MELS))
    # no slots at all (a zero operator, F = 0): equal to all-zero elements, not a
    # reshape error (sweep 21)
    empty = (np.zeros((2, 3, 0, 2), np.int8), np.zeros((2, 3, 0)))
    zeros = (xp, np.zeros((2, 3, 4)))
    assert first_difference(empty, zeros) is None and first_difference(zeros, empty) is None
    assert first_difference(empty, (xp, mels)) is not None


def test_dense_matrix_equals_netkets_to_dense():
    """`dense_matrix` (the other tests' way to NetKet's matrices) against NetKet's own
    `to_dense()`, literally, on a complex non-hermitian JAX operator; and on a symir
    adapter, whose `to_dense` is symir's."""
    from netket.operator.spin import sigmam, sigmap, sigmaz

    hi = nk.hilbert.Spin(0.5, 3)
    op = (1 + 0.5j) * sigmap(hi, 0) @ sigmam(hi, 2) + 0.3 * sigmaz(hi, 1) - 0.2j * sigmap(hi, 1)
    assert isinstance(op, nk.operator.DiscreteJaxOperator)
    expected = np.asarray(op.to_dense())
    assert not np.allclose(expected, expected.conj().T)
    np.testing.assert_allclose(dense_matrix(op), expected, atol=1e-12, rtol=0)
    adapter = models.tfim(hi, [(0, 1), (1, 2)]).compile().to_netket()
    np.testing.assert_allclose(dense_matrix(adapter), adapter.to_dense(), atol=1e-12, rtol=0)


# --------------------------------------------------------------------------- models


class OneAtATime:
    """Only NetKet's `get_conn(x)` of one configuration."""

    def __init__(self, op):
        self.get_conn = op.get_conn


@pytest.fixture(scope="module")
def spins():
    hi = nk.hilbert.Spin(0.5, 6)
    return hi, random_states(hi)


def test_tfim_equals_ising(spins):
    hi, x = spins
    graph = quiet(nk.graph.Chain, 6)
    compiled = models.tfim(hi, graph).compile().with_params(h=0.8, J=1.1)
    ref = nk.operator.Ising(hi, graph, h=0.8, J=1.1)
    np.testing.assert_allclose(compiled.to_dense(), dense_matrix(ref), atol=1e-10, rtol=0)
    assert_connections_match(compiled, ref, x)
    assert_connections_match(compiled.to_netket(), ref, x)  # the adapter too
    with pytest.raises(AssertionError, match="different mels"):
        assert_connections_match(compiled, nk.operator.Ising(hi, graph, h=0.7, J=1.1), x)


@pytest.mark.parametrize("sign_rule", [None, False])
def test_heisenberg_equals_netkets_with_and_without_sign_rule(spins, sign_rule):
    hi, x = spins
    graph = quiet(nk.graph.Chain, 6)  # bipartite: NetKet's default is the sign rule
    op = models.heisenberg(hi, graph.edges(), sign_rule=sign_rule)
    ref = nk.operator.Heisenberg(hi, graph, J=0.7, sign_rule=sign_rule)
    compiled = op.compile().with_params(J=0.7)
    np.testing.assert_allclose(compiled.to_dense(), dense_matrix(ref), atol=1e-10, rtol=0)
    assert_connections_match(compiled, ref, x)


def test_bipartite_default_follows_netket():
    assert models.is_bipartite([(0, 1), (1, 2), (2, 3), (3, 0)])
    assert not models.is_bipartite([(0, 1), (1, 2), (2, 0)])
    hi = nk.hilbert.Spin(0.5, 3)
    graph = quiet(nk.graph.Chain, 3)  # an odd ring: NetKet applies no sign rule
    ref = nk.operator.Heisenberg(hi, graph)
    np.testing.assert_allclose(
        models.heisenberg(hi, graph).compile().to_dense(), dense_matrix(ref), atol=1e-10
    )


def test_j1j2_equals_graph_operator_by_colour(spins):
    hi, x = spins
    graph = quiet(nk.graph.Chain, 6, max_neighbor_order=2)
    z, sx, sy = np.diag([1.0, -1.0]), np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]])
    bond = np.real(np.kron(z, z) + np.kron(sx, sx) + np.kron(sy, sy))
    ref = nk.operator.GraphOperator(hi, graph, bond_ops=[bond, 0.5 * bond], bond_ops_colors=[0, 1])
    op = models.j1j2(hi, graph)
    np.testing.assert_allclose(op.compile().to_dense(), dense_matrix(ref), atol=1e-10, rtol=0)
    assert_connections_match(op, ref, x)  # a symir operator is compiled by the helper
    by_pairs = models.j1j2(hi, (models.bonds(graph, 0), models.bonds(graph, 1)), J2=0.25)
    ref = nk.operator.GraphOperator(hi, graph, bond_ops=[bond, 0.25 * bond], bond_ops_colors=[0, 1])
    np.testing.assert_allclose(by_pairs.compile().to_dense(), dense_matrix(ref), atol=1e-10)
    with pytest.raises(ValueError, match="an edge colour needs a NetKet graph"):
        models.bonds([(0, 1)], color=0)


def test_bose_hubbard_equals_netkets():
    hi = nk.hilbert.Fock(n_max=2, N=4)
    graph = quiet(nk.graph.Chain, 4)
    params = {"U": 1.1, "V": 0.3, "J": 0.7, "mu": 0.2}
    compiled = models.bose_hubbard(sym.Fock(2, 4), graph).compile().with_params(**params)
    ref = nk.operator.BoseHubbard(hi, graph, **params)
    np.testing.assert_allclose(compiled.to_dense(), dense_matrix(ref), atol=1e-10, rtol=0)
    assert_connections_match(compiled, ref, random_states(hi, seed=1))


def test_fermi_hubbard_equals_netkets():
    hi = nk.hilbert.SpinOrbitalFermions(3, s=0.5, n_fermions_per_spin=(1, 2))
    edges = [(0, 1), (1, 2), (2, 0)]
    ref = quiet(models.netket_fermi_hubbard, hi, edges, t=0.5, U=3.0)
    ours = models.fermi_hubbard(hi, edges, t=0.5, U=3.0).compile().to_netket()
    np.testing.assert_allclose(ours.to_dense(), quiet(dense_matrix, ref), atol=1e-10, rtol=0)
    x = random_states(hi, seed=2)
    assert_connections_match(ours, ref, x)
    # a reference with NetKet's one-configuration get_conn only is padded by the helper
    assert_connections_match(ours, OneAtATime(ref), x)
    assert_connections_match(OneAtATime(ref), ours, x[:1])
