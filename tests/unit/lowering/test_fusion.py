"""`branch-fuse-equal-states` on physics models written term by term, against NetKet.

Each model is written as a user would, one Pauli product per term (or one operator per
bond, summed): Heisenberg as `xx + yy + zz`, XY as `XX + YY`, XXZ, the same as a
`SymbolicOperatorSum` of single-bond operators, J1-J2 on a square lattice as two operators
summed, TFIM with a longitudinal field, a Kitaev honeycomb (x/y/z bond colors: nothing
may merge across bonds) and an all-to-all Heisenberg over ordered pairs. The fused
kernel's dense matrix equals NetKet's at 1e-10 (and the unfused kernel's), its fan-out
is at most NetKet's `max_conn_size`, and on lattices too large for a dense matrix its
connected configurations and matrix elements equal NetKet's `get_conn` (equal
configurations summed) on random samples.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import symir as sym
from symir.testing import assert_connections_match, dense_matrix

nk = pytest.importorskip("netket")

site = sym.site


def pauli_bonds(hi, edges, *, xx=0.0, yy=0.0, zz=0.0, name="bonds"):
    """`sum_<ij> xx X_i X_j + yy Y_i Y_j + zz Z_i Z_j`, one term per Pauli product.

    On spin-1/2 states {-1, 1}: X_i X_j flips both sites (1), Y_i Y_j too (-x_i x_j),
    Z_i Z_j is diagonal (x_i x_j)."""
    si, sj = site("i"), site("j")
    flip = sym.write("i", -si).write("j", -sj)
    b = sym.DOperator(hi, name, hermitian=True)
    if xx:
        b.for_each(("i", "j"), over=edges).emit(flip, matrix_element=xx)
    if yy:
        b.for_each(("i", "j"), over=edges).emit(flip, matrix_element=-yy * si * sj)
    if zz:
        b.for_each(("i", "j"), over=edges).emit(sym.identity(), matrix_element=zz * si * sj)
    return b.build()


def netket_pauli_bonds(hi, edges, *, xx=0.0, yy=0.0, zz=0.0):
    from netket.operator.spin import sigmax, sigmay, sigmaz

    op = nk.operator.LocalOperator(hi, dtype=complex)
    for i, j in edges:
        if xx:
            op += xx * sigmax(hi, i) @ sigmax(hi, j)
        if yy:
            op += yy * sigmay(hi, i) @ sigmay(hi, j)
        if zz:
            op += zz * sigmaz(hi, i) @ sigmaz(hi, j)
    return op


def chain(n):
    return [(i, (i + 1) % n) for i in range(n)]


def square(length, order=1):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = nk.graph.Square(length, max_neighbor_order=order, pbc=True)
    return graph


def honeycomb_bonds(cells: int):
    """A periodic honeycomb of `cells` x `cells` unit cells (two sites each): the z
    bond inside each cell, x and y bonds to the neighbouring cells."""

    def s(a, b, k):
        return 2 * ((a % cells) * cells + b % cells) + k

    cs = [(a, b) for a in range(cells) for b in range(cells)]
    return {
        "x": [(s(a, b, 1), s(a + 1, b, 0)) for a, b in cs],
        "y": [(s(a, b, 1), s(a, b + 1, 0)) for a, b in cs],
        "z": [(s(a, b, 0), s(a, b, 1)) for a, b in cs],
    }


def compile_both(op):
    return op.compile(), op.compile(enable_fusion=False)


def assert_matches(op, nk_op, fanout=None):
    """The fused kernel equals NetKet's matrix and the unfused kernel's; its fan-out is
    at most NetKet's (or `fanout` exactly). Returns the two kernels. (NetKet's matrix from
    its JAX operator's `get_conn_padded`, `dense_matrix`: its `to_dense()` compiles a sparse
    assembly for seconds per operator.)"""
    fused, unfused = compile_both(op)
    ref = dense_matrix(nk_op.to_jax_operator())
    np.testing.assert_allclose(fused.to_dense(), ref, atol=1e-10, rtol=0)
    np.testing.assert_allclose(unfused.to_dense(), ref, atol=1e-10, rtol=0)
    assert fused.max_conn_size <= nk_op.max_conn_size
    if fanout is not None:
        assert fused.max_conn_size == fanout
    return fused, unfused


def assert_same_conn(compiled, nk_op, n_samples=16, seed=0):
    x = np.asarray(nk_op.hilbert.random_state(nk.jax.PRNGKey(seed), n_samples))
    assert_connections_match(compiled, nk_op, x.astype(np.int8))


# --------------------------------------------------------------------------- models


def test_heisenberg_xx_yy_zz():
    n = 6
    hi = nk.hilbert.Spin(0.5, n)
    edges = chain(n)
    op = pauli_bonds(hi, edges, xx=1.0, yy=1.0, zz=1.0, name="heis")
    fused, unfused = assert_matches(op, netket_pauli_bonds(hi, edges, xx=1, yy=1, zz=1), n + 1)
    assert unfused.max_conn_size == 2 * n + 1
    heis = nk.operator.Heisenberg(hi, nk.graph.Chain(n, pbc=True), sign_rule=False)
    np.testing.assert_allclose(fused.to_dense(), dense_matrix(heis.to_jax_operator()), atol=1e-10)
    assert fused.max_conn_size == heis.max_conn_size


def test_xy_xx_plus_yy():
    hi = nk.hilbert.Spin(0.5, 6)
    edges = chain(6)
    op = pauli_bonds(hi, edges, xx=0.7, yy=0.7, name="xy")
    # no diagonal term: one slot per bond
    assert_matches(op, netket_pauli_bonds(hi, edges, xx=0.7, yy=0.7), 6)


def test_xxz():
    hi = nk.hilbert.Spin(0.5, 6)
    edges = chain(6)
    op = pauli_bonds(hi, edges, xx=1.0, yy=1.0, zz=0.4, name="xxz")
    assert_matches(op, netket_pauli_bonds(hi, edges, xx=1, yy=1, zz=0.4), 7)


def test_sum_of_single_bond_operators():
    hi = nk.hilbert.Spin(0.5, 6)
    edges = chain(6)
    op = sym.SymbolicOperatorSum(
        [pauli_bonds(hi, [e], xx=1.0, yy=1.0, zz=1.0, name=f"b{k}") for k, e in enumerate(edges)]
    )
    _fused, unfused = assert_matches(op, netket_pauli_bonds(hi, edges, xx=1, yy=1, zz=1), 7)
    assert unfused.max_conn_size == 13


def test_summands_on_reversed_and_permuted_bonds():
    # XX on the bonds as given, YY on the same bonds reversed and in another order: the
    # row tables align up to a permutation, and (j, i) flips the same two sites as (i, j)
    hi = nk.hilbert.Spin(0.5, 6)
    edges = chain(6)
    other = [(j, i) for i, j in reversed(edges)]
    op = pauli_bonds(hi, edges, xx=1.0, name="x") + pauli_bonds(hi, other, yy=0.5, name="y")
    ref = netket_pauli_bonds(hi, edges, xx=1.0, yy=0.5)
    assert_matches(op, ref, 6)
    compiler = sym.SymbolicCompiler(sym.SymbolicCompilerOptions(cache_enabled=False))
    merged = compiler.compile(op).metadata["fusion"]["merged"]
    assert merged == [
        {"emissions": ["x_0_term0", "y_1_term0"], "terms": ["x_0_term0", "y_1_term0"], "rows": 6}
    ]


def test_j1_j2_square_two_operators_summed():
    graph = square(3, order=2)
    hi = nk.hilbert.Spin(0.5, graph.n_nodes)
    nn, nnn = graph.edges(filter_color=0), graph.edges(filter_color=1)
    j1 = pauli_bonds(hi, nn, xx=1.0, yy=1.0, zz=1.0, name="j1")
    j2 = pauli_bonds(hi, nnn, xx=0.5, yy=0.5, zz=0.5, name="j2")
    ref = nk.operator.Heisenberg(hi, graph, J=[1.0, 0.5], sign_rule=[False, False])
    assert_matches(j1 + j2, ref, len(nn) + len(nnn) + 1)


def test_tfim_with_longitudinal_field():
    hi = nk.hilbert.Spin(0.5, 6)
    edges = chain(6)
    op = (
        sym.DOperator(hi, "tfim_g", hermitian=True)
        .for_each_site("i")
        .emit(sym.write("i", -site("i")), matrix_element=-0.8)
        .for_each_site("i")
        .emit(sym.identity(), matrix_element=0.3 * site("i"))
        .for_each(("i", "j"), over=edges)
        .emit(sym.identity(), matrix_element=site("i") * site("j"))
        .build()
    )
    from netket.operator.spin import sigmax, sigmaz

    ref = netket_pauli_bonds(hi, edges, zz=1.0)
    for i in range(6):
        ref += -0.8 * sigmax(hi, i) + 0.3 * sigmaz(hi, i)
    assert_matches(op, ref, 7)


def test_kitaev_honeycomb_keeps_bonds_apart():
    bonds = honeycomb_bonds(2)
    hi = nk.hilbert.Spin(0.5, 8)
    op = (
        pauli_bonds(hi, bonds["x"], xx=1.0, name="kx")
        + pauli_bonds(hi, bonds["y"], yy=0.8, name="ky")
        + pauli_bonds(hi, bonds["z"], zz=0.6, name="kz")
    )
    ref = (
        netket_pauli_bonds(hi, bonds["x"], xx=1.0)
        + netket_pauli_bonds(hi, bonds["y"], yy=0.8)
        + netket_pauli_bonds(hi, bonds["z"], zz=0.6)
    )
    fused, unfused = assert_matches(op, ref, 1 + 4 + 4)
    assert unfused.max_conn_size == fused.max_conn_size  # x and y bonds never coincide


def all_to_all(hi):
    """Heisenberg on the complete graph over ordered pairs: (i, j) and (j, i) both swap."""
    si, sj = site("i"), site("j")
    return (
        sym.DOperator(hi, "a2a", hermitian=True)
        .for_each_distinct_pair("i", "j")
        .where(si != sj)
        .emit(sym.swap("i", "j"), matrix_element=1.0)
        .for_each_distinct_pair("i", "j")
        .emit(sym.identity(), matrix_element=0.5 * si * sj)
        .build()
    )


def complete_graph(n):
    return nk.graph.Graph(edges=[(i, j) for i in range(n) for j in range(i + 1, n)])


def test_all_to_all_ordered_pairs():
    hi = nk.hilbert.Spin(0.5, 6)
    ref = nk.operator.Heisenberg(hi, complete_graph(6), sign_rule=False)
    _fused, unfused = assert_matches(all_to_all(hi), ref, 16)
    assert unfused.max_conn_size == 31


def test_all_to_all_16_sites_like_explicit_edges():
    hi = nk.hilbert.Spin(0.5, 16)
    fused, unfused = compile_both(all_to_all(hi))
    assert (fused.max_conn_size, unfused.max_conn_size) == (121, 241)
    ref = nk.operator.Heisenberg(hi, complete_graph(16), sign_rule=False)
    assert_same_conn(fused, ref)


def test_heisenberg_terms_square_4x4():
    graph = square(4)
    hi = nk.hilbert.Spin(0.5, 16)
    op = pauli_bonds(hi, graph.edges(), xx=1.0, yy=1.0, zz=1.0, name="heis")
    fused, unfused = compile_both(op)
    assert (fused.max_conn_size, unfused.max_conn_size) == (33, 65)
    ref = nk.operator.Heisenberg(hi, graph, sign_rule=False)
    assert fused.max_conn_size == ref.max_conn_size
    assert_same_conn(fused, ref)
    assert_same_conn(unfused, ref)


# --------------------------------------------------------------------------- rules


def test_tags_keep_branches_apart():
    hi = nk.hilbert.Spin(0.5, 6)
    si, sj = site("i"), site("j")
    flip = sym.write("i", -si).write("j", -sj)
    edges = chain(6)

    def build(tags):
        b = sym.DOperator(hi, "tagged")
        for tag, amp in zip(tags, (1.0, -si * sj)):
            b.for_each(("i", "j"), over=edges).emit(flip, matrix_element=amp, tag=tag)
        return b.build()

    assert build([None, None]).compile().max_conn_size == 6
    assert build(["a", "a"]).compile().max_conn_size == 6
    assert build(["a", "b"]).compile().max_conn_size == 12
    assert build([None, "b"]).compile().max_conn_size == 12
    ref = netket_pauli_bonds(hi, edges, xx=1, yy=1)
    for tags in ([None, None], ["a", "b"]):
        np.testing.assert_allclose(
            build(tags).compile().to_dense(), dense_matrix(ref.to_jax_operator()), atol=1e-10
        )


def test_fusion_report_in_metadata_and_ir():
    hi = sym.Spin(0.5, 4)
    op = pauli_bonds(hi, chain(4), xx=1.0, yy=1.0, zz=1.0, name="heis")
    compiler = sym.SymbolicCompiler(sym.SymbolicCompilerOptions(cache_enabled=False))
    a = compiler.compile(op)
    fusion = a.metadata["fusion"]
    assert fusion["enabled"] is True
    assert fusion["fanout"] == [12, 5]
    # F * (N * sizeof(int8) + sizeof(float64))
    assert fusion["bytes_per_sample"] == [12 * 12, 5 * 12]
    by_pass = {p["pass"]: p["fanout"] for p in fusion["passes"]}
    assert by_pass["branch-coalesce-diagonal"] == [12, 9]
    assert by_pass["branch-fuse-equal-states"] == [9, 5]
    assert fusion["merged"] == [
        {"emissions": ["term0", "term1"], "terms": ["term0", "term1"], "rows": 4}
    ]
    assert a.metadata["fusion_groups"] == [["term0", "term1"], ["term2"]]
    assert "branch.fusion = {heis = {fanout = [9 : i64, 5 : i64]" in a.ir("branch")
    off = sym.SymbolicCompiler(
        sym.SymbolicCompilerOptions(cache_enabled=False, enable_fusion=False)
    ).compile(op)
    assert off.metadata["fusion"]["enabled"] is False
    assert off.metadata["fusion"]["fanout"] == [12, 9] and off.metadata["fusion"]["merged"] == []
    assert off.metadata["fusion_groups"] == [["term0"], ["term1"], ["term2"]]
    assert a.cache_token() != off.cache_token()


def test_fusion_groups_of_a_long_absorbed_run_as_by_the_union_find():
    """A kept term's run of absorbed terms (100,000 couplings routed into `pauli_strings`)
    is grouped without the union-find walking it, to the same groups; a run whose terms
    are named elsewhere goes through the union-find."""
    from symir.compiler.lowerers import _RUN, _absorbed_run, _groups, fusion_groups

    absorbed = [f"term{k}" for k in range(_RUN + 5)]
    terms = ["a", "kept", *absorbed, "b", "c"]
    merged = {"kept": absorbed}
    slots = {"x": {"merged": [{"terms": ["a", "c"]}]}}
    assert _absorbed_run(terms, slots, merged) == ("kept", 2, absorbed)
    expected = [["a", "c"], ["kept", *absorbed], ["b"]]
    assert fusion_groups(terms, slots, merged) == _groups(terms, slots, merged) == expected
    for slots, merged in (
        ({"x": {"merged": [{"terms": ["b", "term7"]}]}}, {"kept": absorbed}),
        ({}, {"kept": absorbed, "b": ["term9"]}),
        ({}, {"kept": [*absorbed, "term3"]}),
    ):
        assert _absorbed_run(terms, slots, merged) is None
        assert fusion_groups(terms, slots, merged) == _groups(terms, slots, merged)
    named = {"x": {"merged": [{"terms": ["b", "term7"]}]}}
    assert fusion_groups(terms, named, {"kept": absorbed})[1] == [
        "kept",
        *absorbed,
        "b",
    ]


def test_invalid_and_checked_branches_merge_soundly():
    # Fock n_max 2: +1 at n = 2 leaves the space (checked write: padding); the two
    # terms shift the same site, the second only under a predicate; an invalidated
    # branch merges only with invalidated ones
    hi = sym.Fock(2, 3)
    n = site("i")
    op = (
        sym.DOperator(hi, "bh")
        .for_each_site("i")
        .emit(sym.shift("i", 1), matrix_element=1.0 + n)
        .for_each_site("i")
        .where(n > 0)
        .emit(sym.shift("i", 1), matrix_element=0.5)
        .for_each_site("i")
        .emit(sym.cond(n == 0, sym.invalidate(), sym.shift("i", -1)), matrix_element=2.0)
        .for_each_site("i")
        .emit(sym.cond(n == 0, sym.invalidate(), sym.shift("i", -1)), matrix_element=-0.5)
        .build()
    )
    fused, unfused = compile_both(op)
    assert (fused.max_conn_size, unfused.max_conn_size) == (6, 12)
    np.testing.assert_allclose(fused.to_dense(), unfused.to_dense(), atol=1e-12)
