"""`symir.fermion_terms`: fermion products given as a list, one term per pattern, equal
to NetKet's `FermionOperator2nd` of the same list (dense at 1e-10, connected sets)."""

from __future__ import annotations

import numpy as np
import pytest

import symir as sym
from symir.interpreter import reference_to_dense
from symir.testing import dense_matrix, first_difference

nk = pytest.importorskip("netket")


def random_terms(n_sites: int, count: int, seed: int, sector: int | None = None):
    """Two-body, one-body and number terms with random weights (sites may coincide
    across factors), and a constant."""
    rng = np.random.default_rng(seed)
    terms, weights = [()], [0.75]
    for _ in range(count):
        lo, hi = (0, n_sites) if sector is None else (sector * (k := n_sites // 2), sector * k + k)
        kind = int(rng.integers(3))
        if kind == 0:
            i, j = (int(v) for v in rng.choice(range(lo, hi), 2, replace=False))
            k_, m = (int(v) for v in rng.choice(range(lo, hi), 2, replace=False))
            terms.append(((i, 1), (j, 1), (k_, 0), (m, 0)))
        elif kind == 1:
            i, j = (int(v) for v in rng.integers(lo, hi, 2))
            terms.append(((i, 1), (j, 0)))
        else:
            i = int(rng.integers(lo, hi))
            terms.append(((i, 1), (i, 0)))
        weights.append(float(rng.normal()))
    return terms, weights


def test_fermion_terms_equal_netkets_operator():
    hi = nk.hilbert.SpinOrbitalFermions(6)
    terms, weights = random_terms(6, 60, seed=1)
    terms += terms[1:4]  # the same products again: their weights are summed
    weights += [0.5, -0.25, 1.0]
    op = sym.fermion_terms(hi, terms, weights)
    ir = op.to_ir()
    assert ir.term_count < 20 < len(terms)  # one term per pattern
    ref = nk.operator.FermionOperator2nd(hi, terms, weights)
    np.testing.assert_allclose(op.compile(cache=False).to_dense(), dense_matrix(ref), atol=1e-10)


def test_fermion_terms_of_one_length_are_grouped_by_numpy():
    """Products of one length (here two-body, sites coinciding, some given twice) take
    the packed path; the same list as strings takes the per-product one: equal."""
    rng = np.random.default_rng(4)
    hi = nk.hilbert.SpinOrbitalFermions(6)
    terms = [
        tuple((int(s), d) for s, d in zip(rng.integers(0, 6, 4), (1, 1, 0, 0), strict=True))
        for _ in range(80)
    ]
    terms = [t for t in terms if t[0][0] != t[1][0] and t[2][0] != t[3][0]]
    terms += terms[:5]
    terms += [(b, a, d, c) for a, b, c, d in terms[5:10]]  # reordered: the same product
    weights = [float(w) for w in rng.normal(size=len(terms))]
    op = sym.fermion_terms(hi, terms, weights)
    assert op.to_ir().term_count <= 4  # distinct sites, or coinciding ones, ...
    # one row per product up to the order of its creators and of its annihilators
    products = {(frozenset(t[:2]), frozenset(t[2:])) for t in terms}
    assert sum(len(t.rows) for t in op.terms) == len(products)
    ref = nk.operator.FermionOperator2nd(hi, terms, weights)
    np.testing.assert_allclose(op.compile(cache=False).to_dense(), dense_matrix(ref), atol=1e-10)
    strings = [" ".join(f"{s}{'^' if d else ''}" for s, d in t) for t in terms]
    np.testing.assert_allclose(
        reference_to_dense(sym.fermion_terms(hi, strings, weights).to_ir()),
        reference_to_dense(op.to_ir()),
        atol=1e-12,
    )


def test_fermion_terms_of_many_lengths_are_grouped_by_numpy_length_by_length():
    """A list of products of 0 to 4 factors (a molecule's list, a product of sums of
    strings) takes the packed path one length at a time; the same list as strings the
    per-product one: equal, and NetKet's on a space with sectors. A bad product among
    them is still named."""
    rng = np.random.default_rng(7)
    hi = nk.hilbert.SpinOrbitalFermions(3, s=0.5, n_fermions_per_spin=(1, 2))
    terms: list = [(), ()]
    for length in (1, 2, 2, 3, 4, 4):
        for _ in range(12):
            terms.append(tuple((int(rng.integers(6)), int(rng.integers(2))) for _ in range(length)))
    assert any(_vanishes(t) for t in terms)  # zero operators among them, as NetKet takes them
    weights = [float(w) for w in rng.normal(size=len(terms))]
    free = nk.hilbert.SpinOrbitalFermions(3, s=0.5)
    from symir.frontend.fermion_tables import _groups_by_length
    from symir.hilbert import as_hilbert

    packed = _groups_by_length(terms, np.asarray(weights, complex), as_hilbert(free))
    assert packed is not None and {len(key) for key in packed[0]} == {2}  # (length, pattern)
    op = sym.fermion_terms(free, terms, weights)
    strings = [" ".join(f"{s}{'^' if d else ''}" for s, d in t) for t in terms]
    np.testing.assert_allclose(
        reference_to_dense(sym.fermion_terms(free, strings, weights).to_ir()),
        reference_to_dense(op.to_ir()),
        atol=1e-12,
    )
    np.testing.assert_allclose(
        reference_to_dense(
            sym.fermion_terms(free, [*terms, ((1, 0), (1, 0))], [*weights, 2.0]).to_ir()
        ),
        reference_to_dense(op.to_ir()),
        atol=1e-12,
    )
    conserving = [(t, w) for t, w in zip(terms, weights, strict=True) if _conserving(t)]
    op = sym.fermion_terms(hi, [t for t, _ in conserving], [w for _, w in conserving])
    ref = nk.operator.FermionOperator2nd(hi, [t for t, _ in conserving], [w for _, w in conserving])
    np.testing.assert_allclose(op.compile(cache=False).to_dense(), dense_matrix(ref), atol=1e-10)


def _vanishes(term) -> bool:
    """Two creations (annihilations) on one site with none between: the zero operator."""
    last: dict[int, int] = {}
    for site, dagger in reversed(term):
        if last.get(site) == dagger:
            return True
        last[site] = dagger
    return False


def _conserving(term) -> bool:
    """Whether the product keeps the number of fermions of each spin (sites 0-2, 3-5)."""
    change = [0, 0]
    for site, dagger in term:
        change[site // 3] += 1 if dagger else -1
    return change == [0, 0]


def test_fermion_terms_inputs_and_sectors():
    hi = nk.hilbert.SpinOrbitalFermions(3, s=0.5, n_fermions_per_spin=(1, 2))
    terms, weights = random_terms(6, 30, seed=2, sector=1)
    ref = dense_matrix(nk.operator.FermionOperator2nd(hi, terms, weights))
    mapping: dict = {}
    for t, w in zip(terms, weights, strict=True):
        mapping[t] = mapping.get(t, 0.0) + w
    strings = [" ".join(f"{s}{'^' if d else ''}" for s, d in t) for t in terms]
    op = sym.fermion_terms(hi, terms, weights)
    np.testing.assert_allclose(op.compile(cache=False).to_dense(), ref, atol=1e-10)
    full = reference_to_dense(op.to_ir())  # the reference interpreter, on every state
    for given in (
        sym.fermion_terms(hi, mapping),
        sym.fermion_terms(hi, list(zip(terms, weights, strict=True))),
        sym.fermion_terms(hi, strings, weights),
    ):
        np.testing.assert_allclose(reference_to_dense(given.to_ir()), full, atol=1e-12)


def test_fermion_terms_complex_weights_and_connected_sets():
    hi = nk.hilbert.SpinOrbitalFermions(12)
    terms, weights = random_terms(12, 300, seed=3)
    w = np.asarray(weights) * np.exp(1j * np.linspace(0, 3, len(weights)))
    op = sym.fermion_terms(hi, terms, w).compile(cache=False)
    ref = nk.operator.FermionOperator2nd(hi, terms, w)
    x = np.asarray(hi.random_state(__import__("jax").random.PRNGKey(0), 16))
    found = first_difference(op.get_conn_padded(x.astype(np.int8)), ref.get_conn_padded(x), x)
    assert found is None, found


@pytest.mark.parametrize(
    ("terms", "weights", "message"),
    [
        ([((6, 1),)], None, "site 6 is not a site"),
        ([((0, 2),)], None, "dagger 2"),
        ([((0, 1),)], [1.0, 2.0], "1 terms but 2 weights"),
        ([((0, 1),)], [np.inf], "finite"),
        (["0^ x"], None, "factors are"),
    ],
)
def test_fermion_terms_refuse_bad_input(terms, weights, message):
    hi = nk.hilbert.SpinOrbitalFermions(6)
    with pytest.raises((ValueError, sym.SymbolicDefinitionError), match=message):
        sym.fermion_terms(hi, terms, weights)


@pytest.mark.parametrize("n_fermions", [None, 2])
def test_fermion_terms_leave_out_products_that_are_zero_operators(n_fermions):
    """`c_2 c_2 cdag_3 cdag_3`, `cdag_2 c_1 cdag_2`, `c_3 cdag_3 c_3 cdag_3` as written are
    the zero operator whatever the sites between: NetKet's `FermionOperator2nd` takes
    them, and so does `fermion_terms` (sweep 21 found them refused). A list of only such
    products is the zero operator."""
    hi = nk.hilbert.SpinOrbitalFermions(4, n_fermions=n_fermions)
    terms = [
        ((2, 0), (2, 0), (3, 1), (3, 1)),
        ((0, 1), (1, 0)),
        ((1, 1), (0, 0)),
        ((2, 1), (1, 0), (2, 1)),
        ((3, 0), (3, 1), (3, 0), (3, 1)),
        ((3, 0), (1, 1), (3, 1), (0, 0)),
    ]
    weights = [1.0, 0.5, 0.5, 2.0, 0.7, -0.3]
    op = sym.fermion_terms(hi, terms, weights).compile(cache=False)
    ref = nk.operator.FermionOperator2nd(hi, terms, weights)
    np.testing.assert_allclose(op.to_dense(), dense_matrix(ref), atol=1e-12)
    zero = sym.fermion_terms(hi, [terms[0], terms[3]], [1.0, 2.0]).compile(cache=False)
    np.testing.assert_array_equal(zero.to_dense(), np.zeros((hi.n_states,) * 2))


def test_fermion_terms_need_a_fermionic_space():
    with pytest.raises(ValueError, match="fermionic space"):
        sym.fermion_terms(nk.hilbert.Spin(0.5, 4), [((0, 1),)])
