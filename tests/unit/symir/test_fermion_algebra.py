"""The algebra of fermion strings (symir/frontend/fermion_algebra.py).

Operators made by `fermion_terms`, or by a DOperator of `globally()` ladder products on
constant sites with numbers for matrix elements, keep their strings: `@`, `.H`, `.T`,
`.conj()`, sums and numbers times them are done on the strings and built as tables, as
NetKet multiplies its `FermionOperator2nd`. Sweep 15: `fermion_terms @ dsl.H` of 40
products each, by the general product, had not finished after 13 minutes (4.3 GB).
References: NetKet's `FermionOperator2nd` matrices.
"""

from __future__ import annotations

import numpy as np
import pytest

import symir as sym
from symir.testing import dense_matrix

nk = pytest.importorskip("netket")

SITES = 8


@pytest.fixture(scope="module")
def written():
    rng = np.random.default_rng(11)
    terms, weights = [], []
    for _ in range(4):  # 6 terms (4 + 2, was 6 + 3): their products are 36 pairs, not 81
        i, j = (int(s) for s in rng.choice(SITES, 2, replace=False))
        terms.append(((i, 1), (j, 0)))
        weights.append(complex(rng.normal(), rng.normal()))
    for _ in range(2):
        a, b, c, d = (int(s) for s in rng.choice(SITES, 4, replace=False))
        terms.append(((a, 1), (b, 1), (c, 0), (d, 0)))
        weights.append(float(rng.normal()))
    return terms, weights


@pytest.fixture(scope="module")
def hi():
    return nk.hilbert.SpinOrbitalFermions(SITES, n_fermions=3)


def _dsl(hi, terms, weights):
    op = sym.DOperator(hi, "dsl", dtype="complex128")
    for term, w in zip(terms, weights, strict=True):
        product = None
        for site, dagger in term:
            factor = sym.cdag(site) if dagger else sym.c(site)
            product = factor if product is None else product * factor
        op = op.globally().emit(product, matrix_element=w)
    return op.build()


def test_products_adjoints_and_sums_of_strings_equal_netkets(hi, written):
    terms, weights = written
    table = sym.fermion_terms(hi, terms, weights)
    loop = _dsl(hi, terms, weights)
    assert table._fermion_strings is not None and loop._fermion_strings is not None
    r = dense_matrix(nk.operator.FermionOperator2nd(hi, terms, weights))
    one = 1.5 * np.eye(len(r))
    cases = {
        "table @ loop.H": (table @ loop.H, r @ r.conj().T),
        "loop @ table": (loop @ table, r @ r),
        "(2j * table + loop).T @ table.conj()": (
            (2j * table + loop).T @ table.conj(),
            ((1 + 2j) * r).T @ r.conj(),
        ),
        "(table - loop / 2) @ table.H": ((table - loop / 2) @ table.H, 0.5 * r @ r.conj().T),
        "(table - 1.5) @ (table - 1.5)": ((table - 1.5) @ (table - 1.5), (r - one) @ (r - one)),
    }
    for text, (op, expected) in cases.items():
        assert op._fermion_strings is not None, text  # the strings' algebra was used
        np.testing.assert_allclose(op.compile().to_dense(), expected, atol=1e-12, err_msg=text)
    assert (table @ table.H).is_hermitian
    other = sym.fermion_terms(nk.hilbert.SpinOrbitalFermions(SITES), terms, weights)
    with pytest.raises(ValueError, match="cannot multiply operators on different Hilbert"):
        table @ other


def test_operators_without_strings_take_the_general_product(hi):
    """A term with rows, a predicate, or a matrix element of the configuration keeps no
    strings: the general product, the same matrix."""
    hop = sym.DOperator(hi, "hop").for_each(("i", "j"), over=[(0, 1), (2, 5)])
    hop = hop.emit(sym.cdag("i") * sym.c("j"), matrix_element=0.7).build()
    where = sym.DOperator(hi, "where").globally().where(sym.site(3) == 1)
    where = where.emit(sym.cdag(1) * sym.c(0), matrix_element=1.5).build()
    dense = sym.DOperator(hi, "n").globally()
    dense = dense.emit(sym.cdag(2) * sym.c(2), matrix_element=1.0 + sym.site(4)).build()
    plain = sym.fermion_terms(hi, [((1, 1), (0, 0))], [1.5])
    for op in (hop, where, dense):
        assert op._fermion_strings is None, op.name
        product = plain @ op
        assert product._fermion_strings is None
        np.testing.assert_allclose(
            product.compile().to_dense(),
            plain.compile().to_dense() @ op.compile().to_dense(),
            atol=1e-12,
            err_msg=op.name,
        )


def test_strings_that_vanish_are_dropped():
    """`c(0) @ c(0)` is zero on every configuration (which `fermion_terms` leaves out as
    written): the product leaves it out, and a product of only such strings is the zero
    operator."""
    hi = nk.hilbert.SpinOrbitalFermions(4)
    down = sym.fermion_terms(hi, [((0, 0),), ((1, 0),)], [1.0, 2.0])
    up = sym.fermion_terms(hi, [((0, 1),)], [3.0])
    np.testing.assert_array_equal((up @ up).compile().to_dense(), np.zeros((16, 16)))
    number = (up @ down).compile().to_dense()
    expected = dense_matrix(nk.operator.FermionOperator2nd(hi, ["0^ 0", "0^ 1"], [3.0, 6.0]))
    np.testing.assert_allclose(number, expected, atol=1e-12)


def _random_strings(rng, n_sites, count):
    """Strings of one to four ladder operators, sites repeated as they fall."""
    strings = []
    for _ in range(count):
        length = int(rng.integers(1, 5))
        string = tuple((int(rng.integers(n_sites)), int(rng.integers(2))) for _ in range(length))
        strings.append((string, complex(rng.normal(), rng.normal())))
    return strings


def _netket_matrix(hilbert, strings):
    terms, weights = [s for s, _ in strings], [w for _, w in strings]
    return dense_matrix(nk.operator.FermionOperator2nd(hilbert, terms, weights, dtype=complex))


# two draws of 15 random strings, not four: the same paths (each NetKet matrix of new
# strings is an XLA compile of its own, about a second)
@pytest.mark.parametrize("seed", [0, 3])
def test_strings_in_normal_order_and_their_products_equal_netkets(seed):
    """Any string (sites repeated, creators after annihilators) in normal order, and the
    product of two sums by Wick's theorem, on NumPy's masks and on Python's integers (the
    path above 63 sites), against NetKet's matrices of the strings as written."""
    from symir.frontend import fermion_normal_order as normal_order

    rng = np.random.default_rng(seed)
    hilbert = nk.hilbert.SpinOrbitalFermions(6)
    a, b = _random_strings(rng, 6, 8), _random_strings(rng, 6, 7)
    left, right = normal_order.Sum.of(a), normal_order.Sum.of(b)
    for written, ordered in ((a, left), (b, right)):
        strings = ordered.strings(0.0)
        for string, _ in strings:  # creators ascending, then annihilators descending
            creators = [s for s, d in string if d]
            annihilators = [s for s, d in string if not d]
            assert string == tuple((s, 1) for s in creators) + tuple((s, 0) for s in annihilators)
            assert creators == sorted(set(creators))
            assert annihilators == sorted(set(annihilators), reverse=True)
        np.testing.assert_allclose(
            _netket_matrix(hilbert, strings), _netket_matrix(hilbert, written), atol=1e-12
        )
    expected = _netket_matrix(hilbert, a) @ _netket_matrix(hilbert, b)
    for found in (normal_order.product(left, right, 6), normal_order._python_product(left, right)):
        keys = list(zip(np.asarray(found.c).tolist(), np.asarray(found.a).tolist()))
        assert len(set(keys)) == len(keys)  # equal strings summed
        np.testing.assert_allclose(
            _netket_matrix(hilbert, found.strings(1e-14)), expected, atol=1e-12
        )


def test_a_product_past_the_limit_of_pairs_is_refused(monkeypatch):
    """Past `MAX_PRODUCT_PAIRS` pairs of strings, a `ValueError` with the sizes, before
    any work (the general product of their terms would make as many rows)."""
    from symir.frontend import fermion_algebra

    hi = nk.hilbert.SpinOrbitalFermions(4)
    hops = sym.fermion_terms(hi, [((i, 1), (j, 0)) for i in range(4) for j in range(4)], 0.5)
    monkeypatch.setattr(fermion_algebra, "MAX_PRODUCT_PAIRS", 100)
    with pytest.raises(
        ValueError, match=r"\(16 fermion strings in normal order\) and .* 256 pairs"
    ):
        hops @ hops
