"""The fan-out F of one model written in different ways (`branch-merge-exclusive-emissions`).

Arms that can never fire in the same row share a slot: a spin-1 exchange written one
`emit_if` per pair of local states, a hop and its conjugate written as two emissions, arms
told apart by `<` and `>=` of one site. Each form's matrix equals NetKet's operator of the
same model (`symir.testing.dense_matrix`, 1e-12) and its F is NetKet's `LocalOperator`'s,
the number of distinct connected states a row can have; the delta kernel's sites stay the
same in every row (`static_sites`) and give `get_conn_padded`'s states.
"""

from __future__ import annotations

import warnings

import netket as nk
import numpy as np
import pytest

import symir as sym
from symir import site
from symir.testing import dense_matrix


def _quiet(make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make()


def _spin_one_exchange(hi, graph) -> sym.SymbolicOperator:
    """sum over bonds of (S+_i S-_j + S-_i S+_j), one `emit_if` per pair of local states
    (NetKet's Spin(1) holds 2 m: -2, 0, 2), each with its element sqrt(..) sqrt(..)."""

    def raised(m):  # <m+1|S+|m> for spin 1, m in {-1, 0}
        return np.sqrt(2.0 - m * (m + 1))

    op = sym.DOperator(hi, "xy_spin1", hermitian=True).for_each(("i", "j"), over=graph)
    for mi in (-1, 0):
        for mj in (0, 1):  # S+_i S-_j: i up one, j down one
            op = op.emit_if(
                (site("i") == 2 * mi) & (site("j") == 2 * mj),
                sym.write("i", 2 * mi + 2).write("j", 2 * mj - 2),
                raised(mi) * raised(mj - 1),
            )
            op = op.emit_if(  # its conjugate S-_i S+_j, from the state it reaches
                (site("i") == 2 * mi + 2) & (site("j") == 2 * mj - 2),
                sym.write("i", 2 * mi).write("j", 2 * mj),
                raised(mi) * raised(mj - 1),
            )
    return op.build()


def _netket_xy(hi, graph):
    """NetKet's sigma+- of spin 1 are S+- (elements sqrt 2)."""
    sp, sm = nk.operator.spin.sigmap, nk.operator.spin.sigmam
    return sum(sp(hi, i) @ sm(hi, j) + sm(hi, i) @ sp(hi, j) for i, j in graph.edges())


def test_spin_one_exchange_one_emission_per_pair_of_local_states():
    graph = nk.graph.Chain(6, pbc=True)
    hi = nk.hilbert.Spin(1.0, graph.n_nodes)
    ours = _quiet(lambda: _spin_one_exchange(hi, graph).compile())
    theirs = _quiet(lambda: _netket_xy(hi, graph).to_numba_operator())
    np.testing.assert_allclose(dense_matrix(ours), theirs.to_dense(), atol=1e-12)
    # (0, 0) reaches (2, -2) and (-2, 2): two slots per bond (8 emissions before)
    assert ours.max_conn_size == 2 * graph.n_edges == theirs.max_conn_size
    _check_deltas(ours, hi)


def test_hop_and_its_conjugate_as_two_emissions():
    """`cdag_i c_j` and `cdag_j c_i` as two emissions of one term (fermions.md writes
    them as one sum): they need opposite occupations, one slot per hop."""
    hi = nk.hilbert.SpinOrbitalFermions(4, s=0.5, n_fermions_per_spin=(2, 1))
    edges = [(0, 1), (1, 3), (3, 2), (2, 0)]
    hops = [(i + 4 * s, j + 4 * s) for i, j in edges for s in (0, 1)]  # within a spin
    op = (
        sym.DOperator(hi, "hops", hermitian=True)
        .for_each(("i", "j"), over=hops)
        .emit(sym.cdag("i") * sym.c("j"), matrix_element=-1.0)
        .emit(sym.cdag("j") * sym.c("i"), matrix_element=-1.0)
        .build()
    )
    ours = _quiet(op.compile)
    terms = [t for i, j in hops for t in (((i, 1), (j, 0)), ((j, 1), (i, 0)))]
    theirs = nk.operator.FermionOperator2nd(hi, terms, [-1.0] * len(terms))
    np.testing.assert_allclose(dense_matrix(ours), dense_matrix(theirs), atol=1e-12)
    assert ours.max_conn_size == len(hops)  # 2 * len(hops) without the merge
    _check_deltas(ours, hi)


@pytest.mark.parametrize("split", ["lt-ge", "le-gt", "constant-first", "or-eq", "or-not"])
def test_arms_told_apart_by_an_order_comparison(split):
    """A clock step up where x_i is below 2, a wrap to 0 where it is not, written with
    `<` / `>=`, `<=` / `>`, the constant on the left, or a disjunction of local states
    (`(x == 0) | (x == 1)` against `x == 2`, or against `~((x == 0) | (x == 1))`: decided
    as formulas): one slot per site."""
    hi = nk.hilbert.Fock(n_max=2, N=4)
    low = (site("i") == 0) | (site("i") == 1)
    below, above = {
        "lt-ge": (site("i") < 2, site("i") >= 2),
        "le-gt": (site("i") <= 1, site("i") > 1),
        "constant-first": (2 > site("i"), 1 < site("i")),
        "or-eq": (low, site("i") == 2),
        "or-not": (low, ~low),
    }[split]
    op = (
        sym.DOperator(hi, "clock")
        .for_each_site("i")
        .emit_if(below, sym.write("i", site("i") + 1), 1.0)
        .emit_if(above, sym.write("i", 0), 1.0)
        .build()
    )
    ours = _quiet(op.compile)
    step = np.roll(np.eye(3), 1, axis=1)  # <n|step|n + 1 mod 3> = 1
    theirs = dense_matrix(sum(nk.operator.LocalOperator(hi, step, [k]) for k in range(hi.size)))
    np.testing.assert_allclose(dense_matrix(ours), theirs, atol=1e-12)
    assert ours.max_conn_size == hi.size
    _check_deltas(ours, hi)


def _check_deltas(compiled, hi):
    """The delta kernel's sites are static and the deltas applied to x give
    `get_conn_padded`'s states wherever an element is non-zero."""
    assert compiled.static_sites() is not None
    x = np.asarray(hi.all_states(), np.int8)
    xp, mels = (np.asarray(a) for a in compiled.get_conn_padded(x))
    sites, values, dmels = (np.asarray(a) for a in compiled.get_conn_delta(x))
    np.testing.assert_allclose(dmels, mels, atol=1e-14)
    applied = np.repeat(x[:, None, :], xp.shape[1], axis=1).astype(np.int64)
    b, f = np.indices(sites.shape[:2])
    for k in range(sites.shape[2]):
        applied[b, f, sites[..., k]] = values[..., k]
    live = mels != 0
    np.testing.assert_array_equal(applied[live], xp[live].astype(np.int64))
