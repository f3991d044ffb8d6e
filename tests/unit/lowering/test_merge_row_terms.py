"""`sym-merge-row-terms`: a model written one bond at a time lowers like its compact form.

Checked against NetKet's dense matrices (1e-10), against the reference interpreter on
every basis state (branch multisets, merged and unmerged kernels), and on the IR: the
`sym` level of the lowering has one term per distinct body.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import symir as sym
from symir.dialects import sym as sym_dialect
from symir.interpreter import reference_get_conn_padded
from symir.lowering.pipelines import lower_ir
from symir.lowering.sym.sym_merge_row_terms import merge_row_terms
from symir.testing import assert_same_connections, dense_matrix

nk = pytest.importorskip("netket")

site = sym.site


def bond_terms(hi, edges, name, zz=1.0, xy=1.0):
    """Heisenberg on `edges` as XX, YY and ZZ terms."""
    si, sj = site("i"), site("j")
    flip = sym.write("i", -si).write("j", -sj)
    return (
        sym.DOperator(hi, name, hermitian=True)
        .for_each(("i", "j"), over=edges)
        .emit(flip, matrix_element=xy)
        .for_each(("i", "j"), over=edges)
        .emit(flip, matrix_element=-xy * si * sj)
        .for_each(("i", "j"), over=edges)
        .emit(sym.identity(), matrix_element=zz * si * sj)
        .build()
    )


def square_edges(length):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = nk.graph.Square(length, pbc=True)
    return [(int(i), int(j)) for i, j in graph.edges()]


def netket_heisenberg(hi, edges):
    from netket.operator.spin import sigmax, sigmay, sigmaz

    op = nk.operator.LocalOperator(hi, dtype=complex)
    for i, j in edges:
        for s in (sigmax, sigmay, sigmaz):
            op += s(hi, i) @ s(hi, j)
    return op


def sym_terms(text: str) -> int:
    return text.count("sym.term @")


def test_sum_of_single_bond_operators_lowers_like_the_compact_form():
    edges = square_edges(3)  # 9 sites, 18 bonds: 54 terms written, 3 distinct bodies
    hi = nk.hilbert.Spin(0.5, 9)
    per_bond = sym.SymbolicOperatorSum([bond_terms(hi, [e], f"b{k}") for k, e in enumerate(edges)])
    compact = bond_terms(hi, edges, "heis")
    ref = dense_matrix(netket_heisenberg(hi, edges).to_jax_operator())

    levels = lower_ir(per_bond.to_ir()).levels
    assert sym_terms(str(per_bond.to_ir())) == 3 * len(edges)
    assert sym_terms(levels["sym"]) == 3
    assert levels["stablehlo"].count("\n") <= lower_ir(compact.to_ir()).levels["stablehlo"].count(
        "\n"
    )

    merged = per_bond.compile(cache=False)
    unmerged = per_bond.compile(cache=False, merge_row_terms=False)
    assert merged.max_conn_size == compact.compile(cache=False).max_conn_size == 1 + len(edges)
    assert unmerged.max_conn_size == merged.max_conn_size  # fusion got there too, slower
    np.testing.assert_allclose(merged.to_dense(), ref, atol=1e-10, rtol=0)
    np.testing.assert_allclose(unmerged.to_dense(), ref, atol=1e-10, rtol=0)


def assert_equals_reference(op, compiled, x, params=None):
    if params:
        compiled = compiled.with_params(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = reference_get_conn_padded(op.to_ir(), x, params)
    assert_same_connections(compiled.get_conn_padded(x), reference, x)


def test_predicates_parameters_tags_and_hops_on_a_fock_space():
    # Equal bodies with predicates, a parameter, tags and hops on different rows, mixed
    # with bodies that differ only in a constant or a tag (which must stay apart).
    hi = sym.Fock(n_max=2, N=4)
    ni, nj = site("i"), site("j")
    parts = []
    for k, (i, j) in enumerate([(0, 1), (1, 2), (2, 3), (3, 0), (0, 2)]):
        amp = 0.5 if k % 2 else 0.25  # two distinct amplitudes: two groups
        parts.append(
            sym.DOperator(hi, f"p{k}")
            .for_each(("i", "j"), over=[(i, j)])
            .where(ni > 0)
            .emit(sym.hop("i", "j"), matrix_element=amp * sym.symbol("t", 1.0) * ni)
            .for_each(("i", "j"), over=[(i, j)])
            .emit(sym.identity(), matrix_element=ni * nj, tag="density" if k < 3 else None)
            .build()
        )
    op = sym.SymbolicOperatorSum(parts)
    levels = lower_ir(op.to_ir()).levels
    # hops: two amplitudes; densities: tagged and untagged
    assert sym_terms(levels["sym"]) == 4
    x = np.asarray(hi.all_states(), dtype=np.int8)
    params = {"t": 0.7}
    for options in ({}, {"merge_row_terms": False}, {"enable_fusion": False}):
        compiled = op.compile(cache=False, params=params, **options)
        assert_equals_reference(op, compiled, x, params)


@pytest.mark.filterwarnings("ignore:fan-out hint")
def test_merged_fanout_hints_add_up_and_unhinted_terms_stay_apart():
    hi = sym.Spin(0.5, 3)
    op = (
        sym.DOperator(hi, "h")
        .for_each_site("i")
        .emit(sym.write("i", -site("i")), matrix_element=1.0)
        .fanout(3)
        .for_each_site("i")
        .emit(sym.write("i", -site("i")), matrix_element=1.0)
        .fanout(3)
        .for_each_site("i")
        .emit(sym.write("i", -site("i")), matrix_element=1.0)
        .build()
    )
    module = op.to_ir().module
    (operator,) = [o for o in module.walk() if isinstance(o, sym_dialect.OperatorOp)]
    assert merge_row_terms(operator) == {"term0": ["term1"]}
    terms = operator.terms
    assert [len(t.row_table) for t in terms] == [6, 3]
    assert terms[0].fanout is not None and terms[0].fanout.data == 6
    assert terms[1].fanout is None
    module.verify()


def test_option_is_part_of_the_cache_key():
    hi = sym.Spin(0.5, 4)
    op = sym.SymbolicOperatorSum([bond_terms(hi, [(k, (k + 1) % 4)], f"b{k}") for k in range(4)])
    compiler = sym.SymbolicCompiler(sym.SymbolicCompilerOptions(cache_enabled=False))
    on = compiler.compile(op)
    off = sym.SymbolicCompiler(
        sym.SymbolicCompilerOptions(cache_enabled=False, merge_row_terms=False)
    ).compile(op)
    assert on.cache_token() != off.cache_token()
    # the artifact's `sym` level is the lowering's input; the merge is reported
    assert on.metadata["merged_row_terms"] == {
        f"b0_0_term{t}": [f"b{k}_{k}_term{t}" for k in (1, 2, 3)] for t in range(3)
    }
    assert off.metadata["merged_row_terms"] == {}
    # XX and YY fuse (one slot per bond), ZZ is the diagonal: every bond's terms join them
    groups = sorted(sorted(g) for g in on.metadata["fusion_groups"])
    assert groups == [
        sorted(f"b{k}_{k}_term{t}" for k in range(4) for t in (0, 1)),
        sorted(f"b{k}_{k}_term2" for k in range(4)),
    ]
