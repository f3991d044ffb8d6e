"""`sym-tabulate-terms` and its DSL twin (`symir.frontend.tabulate`): an operator written
one term at a time lowers as one term per shape.

Checked against NetKet's dense matrices (1e-10), against the reference interpreter on
every basis state (the pass alone on the untabulated IR), and on the IR and reports:
fusion and coalescing still work on the tabulated terms, and the cost model's decisions
are reported.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from xdsl.context import Context

import symir as sym
from symir.interpreter import reference_get_conn_padded, reference_to_dense
from symir.ir import SymbolicOperatorIR
from symir.lowering import make_pass
from symir.lowering.analyses import read_analysis
from symir.lowering.sym.sym_tabulate_terms import REASONS, digits, encode, integer_column
from symir.testing import dense_matrix, first_difference

nk = pytest.importorskip("netket")


def fermion_terms(n_orbitals: int, n_terms: int, seed: int):
    """Random two-body products `w cdag(i) cdag(j) c(k) c(l)`, one DSL term each, and
    NetKet's `FermionOperator2nd` of the same list."""
    rng = np.random.default_rng(seed)
    hi = nk.hilbert.SpinOrbitalFermions(n_orbitals)
    builder = sym.DOperator(hi, "two_body")
    terms, weights = [], []
    for _ in range(n_terms):
        i, j, k, m = (int(v) for v in rng.choice(n_orbitals, 4, replace=False))
        w = float(rng.normal())
        builder = builder.globally().emit(
            sym.cdag(i) * sym.cdag(j) * sym.c(k) * sym.c(m), matrix_element=w
        )
        terms.append(((i, 1), (j, 1), (k, 0), (m, 0)))
        weights.append(w)
    return builder.build(), nk.operator.FermionOperator2nd(hi, terms, weights)


def spin_couplings(n_sites: int, n_pairs: int, seed: int, qubits: bool = False):
    """Random `J Z_i Z_j` (diagonal) and `K X_i X_j` couplings written one term each, and
    NetKet's `PauliStrings` of the same list: on spins `Z_i = s_i` and X writes `-s_i`,
    on qubits (`qubits`) `Z_i = 1 - 2 n_i` and X writes `1 - n_i`."""
    rng = np.random.default_rng(seed)
    hi = nk.hilbert.Qubit(n_sites) if qubits else nk.hilbert.Spin(0.5, n_sites)
    builder = sym.DOperator(hi, "couplings")
    strings, weights = [], []
    for _ in range(n_pairs):
        i, j = (int(v) for v in rng.choice(n_sites, 2, replace=False))
        J, K = (float(v) for v in rng.normal(size=2))
        si, sj = sym.site(i), sym.site(j)
        if qubits:
            zz = J * (1 - 2 * si) * (1 - 2 * sj)
            flip = sym.write(i, 1 - si).write(j, 1 - sj)
        else:
            zz, flip = J * si * sj, sym.write(i, -si).write(j, -sj)
        builder = builder.globally().emit(sym.identity(), matrix_element=zz)
        builder = builder.globally().emit(flip, matrix_element=K)
        for letter, w in (("Z", J), ("X", K)):
            s = ["I"] * n_sites
            s[i] = s[j] = letter
            strings.append("".join(s))
            weights.append(w)
    return builder.build(), nk.operator.PauliStrings(hi, strings, weights)


def tabulated_ir(ir: SymbolicOperatorIR, min_terms: int = 2) -> SymbolicOperatorIR:
    module = ir.module
    for name in ("symbolic-normalization", "sym-lift-constant-sites"):
        make_pass(name).apply(Context(), module)
    make_pass("sym-tabulate-terms", min_terms=min_terms).apply(Context(), module)
    return SymbolicOperatorIR(module)


def test_digits_and_columns():
    assert [digits(k, 5) for k in (1, 5, 6, 25, 26)] == [1, 1, 2, 2, 3]
    assert encode(10, 5, 2) == [0, 2]
    column = integer_column([3, 5, 4], 5)  # 5 = N is no site: 3 + a digit
    assert (column.offset, column.rows) == (3, [[0], [2], [1]])
    assert integer_column([0, 4], 5).offset == 0


def test_fermion_two_body_terms_equal_netkets_and_the_reference():
    op, ref = fermion_terms(6, 24, seed=11)
    expected = dense_matrix(ref)
    compiled = op.compile(cache=False)
    np.testing.assert_allclose(compiled.to_dense(), expected, atol=1e-10)
    # the DSL built one term per shape (a fermion product with or without a sign factor)
    ir, _ = op.canonical_ir()
    assert ir.term_count <= 2 < len(op.terms)
    # the pass alone, on the IR written term by term, agrees with the reference
    plain, _ = op.canonical_ir(tabulate_terms=False)
    assert plain.term_count == len(op.terms)
    passed = tabulated_ir(plain)
    assert passed.term_count <= 2
    np.testing.assert_allclose(reference_to_dense(passed), reference_to_dense(plain), atol=1e-12)
    np.testing.assert_allclose(reference_to_dense(plain), expected, atol=1e-10)


SHAPES = sym.SymbolicCompilerOptions(cache_enabled=False, route_pauli_products=False)
"""Tabulation by shape alone: spin couplings are otherwise Pauli products, written as
`pauli_strings` writes them (tests/unit/symir/test_pauli_terms.py)."""


def test_couplings_fuse_and_coalesce_after_tabulation():
    op, ref = spin_couplings(7, 30, seed=5)
    artifact = sym.SymbolicCompiler(SHAPES).compile(op)
    compiled = artifact.compiled_operator
    np.testing.assert_allclose(compiled.to_dense(), dense_matrix(ref), atol=1e-10)
    # pairs drawn twice share a slot (fusion), the diagonal is one slot (coalescing), as
    # NetKet's operator, and the diagonal is one quadratic form of the table
    assert compiled.max_conn_size == ref.max_conn_size
    assert "branch.quadratic_form" in artifact.ir("branch")
    report = artifact.metadata["tabulation"]
    assert report["terms"] == [60, 2]
    assert [(d["terms"], d["decision"], d["by"]) for d in report["decisions"]] == [
        (30, "tabulated", "dsl"),
        (30, "tabulated", "dsl"),
    ]
    # every term written is in a fusion group
    assert sum(map(len, artifact.metadata["fusion_groups"])) == 60
    # a pair drawn twice is one row of each term, its couplings summed: the flip's
    # coefficient K and the diagonal's J, a factor of J * s_i * s_j
    assert all(d["rows"][1] < d["rows"][0] == 30 for d in report["decisions"])


@pytest.mark.parametrize(("n_sites", "qubits"), [(20, False), (32, True)])
def test_flipping_writes_build_x_prime_in_one_select(n_sites, qubits):
    """Where the states are `projected` (sites enough for XLA's loop to stay a vector
    loop), the two writes of each flip (`-s_i`, `1 - n_i`) and the diagonal's row are
    one select of `s0 + s1 - x` (lowering/branch/_flips.py), equal to the reference."""
    op, _ = spin_couplings(n_sites, 40, seed=4, qubits=qubits)
    artifact = sym.SymbolicCompiler(SHAPES).compile(op)
    compiled = artifact.compiled_operator
    rows = f"tensor<?x{compiled.max_conn_size}x{n_sites}xi1>"
    selects = [s for s in artifact.ir("stablehlo").splitlines() if "stablehlo.select" in s]
    assert sum(f"{rows}, tensor" in s for s in selects) == 1 + qubits  # qubits: checked
    x = np.random.default_rng(n_sites).integers(0, 2, (16, n_sites)).astype(np.int8)
    x = x if qubits else 2 * x - 1
    ref = reference_get_conn_padded(op.to_ir(), x)
    assert first_difference(compiled.get_conn_padded(x), ref, x) is None


def test_the_pass_reports_its_decisions_and_keeps_small_groups_apart():
    op, _ = spin_couplings(5, 4, seed=2)
    plain, _ = op.canonical_ir(tabulate_terms=False)
    module = plain.module
    make_pass("sym-tabulate-terms").apply(Context(), module)
    report = read_analysis(module, "tabulation")
    assert [d["reason"] for d in report["decisions"]] == ["below_min_terms"] * 2
    assert report["terms"] == [8, 8] and report["tabulated"] == {}
    assert all(d["reason"] in REASONS for d in report["decisions"])
    # the DSL twin decides alike: four terms of a shape stay as written
    report = op.tabulation(route_pauli_products=False)
    assert report["decisions"][0]["reason"] == "below_min_terms"


def test_the_lowering_tabulates_parsed_ir():
    op, ref = spin_couplings(6, 12, seed=8)
    plain, _ = op.canonical_ir(tabulate_terms=False)
    parsed = SymbolicOperatorIR.parse(str(plain))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        artifact = sym.SymbolicCompiler(sym.SymbolicCompilerOptions(cache_enabled=False)).compile(
            parsed
        )
    assert artifact.metadata["tabulation"]["terms"] == [24, 2]
    assert {d["by"] for d in artifact.metadata["tabulation"]["decisions"]} == {"pass"}
    np.testing.assert_allclose(artifact.compiled_operator.to_dense(), dense_matrix(ref), atol=1e-10)


def test_fermion_products_of_one_pattern_share_their_emissions():
    """Products with constant sites are built once per pattern (order, coincidences and
    sectors of their sites) with the sites lifted into columns: here with coinciding
    sites, sums of products and a space of fixed particle numbers per spin."""
    rng = np.random.default_rng(3)
    hi = nk.hilbert.SpinOrbitalFermions(3, s=0.5, n_fermions_per_spin=(1, 2))
    builder = sym.DOperator(hi, "hops")
    terms, weights = [], []
    for _ in range(20):
        s = 3 * int(rng.integers(2))  # one spin sector: the particle numbers are kept
        i, j = (s + int(v) for v in rng.choice(3, 2, replace=False))
        k, m = (s + int(v) for v in rng.choice(3, 2, replace=False))
        w, t = (float(v) for v in rng.normal(size=2))
        builder = builder.globally().emit(
            sym.cdag(i) * sym.cdag(j) * sym.c(k) * sym.c(m), matrix_element=w
        )
        builder = builder.globally().emit(t * (sym.cdag(i) * sym.c(k) + sym.cdag(k) * sym.c(i)))
        terms += [((i, 1), (j, 1), (k, 0), (m, 0)), ((i, 1), (k, 0)), ((k, 1), (i, 0))]
        weights += [w, t, t]
    op = builder.build()
    assert all(t.labels and t.labels[0] == "site0" for t in op.terms)
    updates = [t.emissions[0].update for t in op.terms[::2]]
    assert len({id(u) for u in updates}) < len(updates)  # patterns shared
    # the same list given to fermion_terms (NetKet's FermionOperator2nd on such spaces:
    # tests/unit/symir/test_pauli_fermion_terms.py), in the reference interpreter, on
    # every state of the sector (NetKet's to_dense and all_states here cost seconds of
    # compiling): one fermion among sites 0-2, two among 3-5
    basis = np.indices((2,) * 6).reshape(6, -1).T
    states = basis[(basis[:, :3].sum(1) == 1) & (basis[:, 3:].sum(1) == 2)].astype(np.int8)
    ours = op.compile(cache=False).get_conn_padded(states)
    ref = reference_get_conn_padded(sym.fermion_terms(hi, terms, weights).to_ir(), states)
    assert first_difference(ours, ref, states) is None


def test_a_builder_of_many_terms_defers_full_collections_until_built():
    """From `DEFER_AFTER` terms on, an open builder defers Python's full collections (a
    loop of thousands of terms: symir.frontend.tabulate); build() restores them."""
    import gc

    from symir.frontend.tabulate import DEFER_AFTER

    before = gc.get_threshold()
    builder = sym.DOperator(nk.hilbert.Spin(0.5, 4), "many")
    for k in range(DEFER_AFTER):
        assert gc.get_threshold() == before
        builder = builder.globally().emit(sym.identity(), matrix_element=0.5 + k)
    assert gc.get_threshold()[2] > before[2]
    builder.build()
    assert gc.get_threshold() == before


def test_tabulating_leaves_no_cyclic_garbage(frozen_heap):
    """The DSL's tabulation remembers the walks of expressions shared by many terms (a
    fermion loop's emissions, one per pattern; the nodes of constant sites, one per
    site): what it keeps refers to no walk, so nothing it leaves needs Python's cyclic
    collector (100,000 terms left a cycle per term, freed only by a full collection)."""
    import gc

    from symir.frontend.tabulate import tabulate_terms

    hi = nk.hilbert.SpinOrbitalFermions(6)
    fermions = sym.DOperator(hi, "two_body")
    couplings = sym.DOperator(nk.hilbert.Spin(0.5, 6), "couplings")
    for k in range(12):
        i, j, a, b = k % 6, (k + 1) % 6, (k + 2) % 6, (k + 4) % 6
        w = 0.5 + k
        fermions = fermions.globally().emit(
            sym.cdag(i) * sym.cdag(j) * sym.c(a) * sym.c(b), matrix_element=w
        )
        si, sj = sym.site(i), sym.site(j)
        couplings = couplings.globally().emit(sym.identity(), matrix_element=w * si * sj)
        couplings = couplings.globally().emit(sym.write(i, -si).write(j, -sj), matrix_element=w)
    for op in (fermions.build(), couplings.build()):
        enabled = gc.isenabled()
        gc.collect()
        gc.disable()
        try:
            terms, tabulated, _ = tabulate_terms(op.terms, 6)
            assert len(terms) < len(op.terms) and tabulated
            del terms, tabulated
            assert gc.collect() == 0
        finally:
            if enabled:
                gc.enable()


def test_a_coupling_drawn_in_both_orders_is_one_row():
    """`write(i, -s_i).write(j, -s_j)` and `write(j, -s_j).write(i, -s_i)` commute (a
    written value reads `x`): the DSL's tabulation orders such writes by site, so a pair
    drawn as `(i, j)` and as `(j, i)` is one row of the flip term, its couplings summed,
    and no slot is left for `branch-fuse-equal-states` to merge."""
    op, ref = spin_couplings(6, 40, seed=2)
    flips = [t for t in op.terms if t.emissions[0].update.steps]
    pairs = {tuple(s[1].args[0] for s in t.emissions[0].update.steps) for t in flips}
    assert any((j, i) in pairs for i, j in pairs)  # some pair is written in both orders
    artifact = sym.SymbolicCompiler(SHAPES).compile(op)
    np.testing.assert_allclose(artifact.compiled_operator.to_dense(), dense_matrix(ref), atol=1e-10)
    ir, _ = op.canonical_ir(route_pauli_products=False)
    flip = next(t for t in ir.terms if t.name == flips[0].name)  # the flip term, kept
    sites = [flip.labels.index("site0"), flip.labels.index("site1")]
    assert sorted(tuple(row[k] for k in sites) for row in flip.rows) == sorted(
        {tuple(sorted(p)) for p in pairs}
    )
    assert not artifact.metadata["fusion"]["merged"]
