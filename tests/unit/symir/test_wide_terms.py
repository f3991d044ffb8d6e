"""Wide terms (symir/frontend/wide_terms.py): a matrix element written as one long sum,
and many emissions of one update in one term, are written as terms of one summand each,
which the DSL's tabulation makes one table-driven term. Before, a sum of ~450 summands
or more raised a SymbolicDefinitionError at build (Python's recursion limit), and a term
of 780 emissions of one update took 47 s to lower and then made XLA's CPU compile fail
with std::bad_alloc (the fused amplitude was one 780-summand expression)."""

from __future__ import annotations

import netket as nk
import numpy as np

import symir as sym
from symir.frontend.expr import Expr
from symir.frontend.wide_terms import WIDE_SUMMANDS, split_wide_terms, summands
from symir.testing import assert_connections_match

N = 40
PAIRS = [(i, j) for i in range(N) for j in range(i + 1, N)]  # 780 pairs


def _couplings(seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=len(PAIRS))


def _reference(hi, J: np.ndarray, h: np.ndarray) -> nk.operator.LocalOperator:
    """NetKet's operator: sum_k J_k Z_i Z_j + X_0 (sum_k h_k Z_i Z_j)."""
    zz = sum(
        J[k] * nk.operator.spin.sigmaz(hi, i) * nk.operator.spin.sigmaz(hi, j)
        for k, (i, j) in enumerate(PAIRS)
    )
    field = sum(
        h[k] * nk.operator.spin.sigmaz(hi, i) * nk.operator.spin.sigmaz(hi, j)
        for k, (i, j) in enumerate(PAIRS[:200])
    )
    return zz + nk.operator.spin.sigmax(hi, 0) @ field


def _samples(hi, n: int = 32) -> np.ndarray:
    return np.asarray(hi.random_state(nk.jax.PRNGKey(7), n), dtype=np.int8)


def test_a_matrix_element_of_hundreds_of_summands_builds_and_equals_netket():
    hi = nk.hilbert.Spin(0.5, N)
    J, h = _couplings(), _couplings(4)
    si = sym.site
    op = (
        sym.DOperator(hi, "long_range")
        .globally()
        .emit(
            sym.identity(),
            matrix_element=sum(J[k] * si(i) * si(j) for k, (i, j) in enumerate(PAIRS)),
        )
        .emit(
            sym.write(0, -si(0)),
            # X_0 on the left: the field's Z_i Z_j read on the emitted state
            matrix_element=sum(
                h[k] * sym.emitted(i) * sym.emitted(j) for k, (i, j) in enumerate(PAIRS[:200])
            ),
        )
        .build()
    )
    compiled = op.compile()
    assert compiled.max_conn_size == 2
    assert_connections_match(compiled, _reference(hi, J, h), _samples(hi))


def test_a_sum_scaled_and_divided_is_distributed_and_equals_netket():
    hi = nk.hilbert.Spin(0.5, N)
    J = _couplings()
    si = sym.site
    zz = sum(J[k] * si(i) * si(j) for k, (i, j) in enumerate(PAIRS))
    op = (
        sym.DOperator(hi, "scaled").globally().emit(sym.identity(), matrix_element=-0.5 * zz / 4.0)
    ).build()
    assert len(op.terms) == len(PAIRS)
    reference = (-0.125) * sum(
        J[k] * nk.operator.spin.sigmaz(hi, i) * nk.operator.spin.sigmaz(hi, j)
        for k, (i, j) in enumerate(PAIRS)
    )
    assert_connections_match(op.compile(), reference, _samples(hi))


def test_many_emissions_of_one_update_are_fused_into_one_slot_and_equal_netket():
    hi = nk.hilbert.Spin(0.5, N)
    J = _couplings()
    term = sym.DOperator(hi, "many_emissions").globally()
    for k, (i, j) in enumerate(PAIRS):
        term = term.emit(
            sym.write(0, -sym.site(0)), matrix_element=J[k] * sym.emitted(i) * sym.emitted(j)
        )
    compiled = term.build().compile()
    assert compiled.max_conn_size == 1
    reference = nk.operator.spin.sigmax(hi, 0) @ sum(
        J[k] * nk.operator.spin.sigmaz(hi, i) * nk.operator.spin.sigmaz(hi, j)
        for k, (i, j) in enumerate(PAIRS)
    )
    assert_connections_match(compiled, reference, _samples(hi))


def test_summands_are_found_without_recursion_with_their_signs():
    a, b, c = (sym.site(k) * 1.0 for k in range(3))
    e = 0 + a - (b - c) + -a
    got = summands(e)
    assert [s.op for s in got] == ["mul", "neg", "mul", "neg"]
    deep = sum(sym.site(k % 4) * 2.0 for k in range(5000))  # 5,000 deep
    assert len(summands(deep)) == 5000
    scaled = summands(-0.5 * (a + sym.site(3) * (b - c)) / 4.0)
    assert [repr(s) for s in scaled] == [
        "div(mul(const(-0.5), mul(read(const(0)), const(1.0))), const(4.0))",
        "div(mul(const(-0.5), mul(read(const(3)), mul(read(const(1)), const(1.0)))), const(4.0))",
        "neg(div(mul(const(-0.5), mul(read(const(3)), mul(read(const(2)), const(1.0)))), "
        "const(4.0)))",
    ]


def test_narrow_terms_are_kept_as_written():
    amp = sum(sym.site(k % 4) * 2.0 for k in range(WIDE_SUMMANDS))
    op = (
        sym.DOperator(sym.Spin(0.5, 4), "narrow")
        .globally()
        .emit(sym.identity(), matrix_element=amp)
        .build()
    )
    assert [t.name for t in op.terms] == ["term0"]
    assert split_wide_terms(list(op.terms)) == list(op.terms)


def test_a_wide_term_keeps_its_place_and_its_rows():
    labels = ("i",)
    amp = sum(float(k) * sym.site("i") * sym.site(k % 6) for k in range(WIDE_SUMMANDS + 1))
    op = (
        sym.DOperator(sym.Spin(0.5, 6), "rows")
        .for_each_site("i")
        .emit(sym.write("i", -sym.site("i")), matrix_element=1.0)
        .emit(sym.identity(), matrix_element=amp)
        .globally()
        .emit(sym.identity(), matrix_element=0.5)
        .build()
    )
    names = [t.name for t in op.terms]
    assert names[:2] == ["term0", "term1"]
    assert len(names) == 2 + WIDE_SUMMANDS + 1
    assert all(t.labels == labels and len(t.rows) == 6 for t in op.terms[2:])
    assert len(op.terms[0].emissions) == 1  # the flip stays in place
    assert all(isinstance(e.amplitude, Expr) for t in op.terms for e in t.emissions)


def test_a_fermion_sum_of_many_products_in_one_emission_keeps_its_strings_and_equals_netket():
    L = 16
    fermion_pairs = [(i, j) for i in range(L) for j in range(i + 1, L)]  # 120 > 96
    w = np.random.default_rng(5).normal(size=len(fermion_pairs))
    products = [
        w[k] * (sym.cdag(i) * sym.c(i) * sym.cdag(j) * sym.c(j))
        for k, (i, j) in enumerate(fermion_pairs)
    ]
    hops = [sym.cdag(i) * sym.c(i + 3) + sym.cdag(i + 3) * sym.c(i) for i in range(L - 3)]
    total = products[0]
    for p in products[1:] + hops:
        total = total + p
    op = (
        sym.DOperator(sym.Fermions(L), "dense_pairs", hermitian=True).globally().emit(total).build()
    )
    assert len(op.terms) > 1 and op._fermion_strings is not None
    hi = nk.hilbert.SpinOrbitalFermions(L)
    terms = [((i, 1), (i, 0), (j, 1), (j, 0)) for i, j in fermion_pairs]
    terms += [t for i in range(L - 3) for t in (((i, 1), (i + 3, 0)), ((i + 3, 1), (i, 0)))]
    weights = [*w, *([1.0] * (2 * (L - 3)))]
    reference = nk.operator.FermionOperator2nd(hi, terms, weights)
    x = np.asarray(hi.random_state(nk.jax.PRNGKey(2), 24), dtype=np.int8)
    assert_connections_match(op.compile(), reference, x)
