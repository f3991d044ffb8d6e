"""Pauli strings written one term at a time in the DSL (`symir.frontend.pauli_terms`):
routed into the two table terms of `pauli_strings`, equal to NetKet's `PauliStrings`
(dense at 1e-10) and to the reference interpreter."""

from __future__ import annotations

import numpy as np
import pytest

import symir as sym
from symir.frontend.pauli_terms import pauli_product
from symir.interpreter import reference_to_dense
from symir.testing import dense_matrix

nk = pytest.importorskip("netket")


def _strings(rng, count: int, n: int) -> list[str]:
    return ["".join(rng.choice(list("IXYZ"), n)) for _ in range(count)]


def _written(builder, strings, weights, rng):
    """One term per string: X, Y flip (`write(i, -s_i)`), Z, Y a factor `s_i`, `-1j`
    per Y; the factors in a random order, some as `neg`, some sites read twice."""
    for string, w in zip(strings, weights, strict=True):
        update, factors = sym.identity(), [w]
        for i in rng.permutation(len(string)):
            letter = string[i]
            si = sym.site(int(i))
            if letter in "XY":
                update = update.write(int(i), -si)
            if letter in "ZY":
                factors.append(si)
            if letter == "Y":
                factors.append(-1j)
            if letter == "X" and rng.random() < 0.2:
                factors += [si, si]  # s_i^2 = 1
        rng.shuffle(factors)
        element = factors[0]
        for f in factors[1:]:
            element = element * f
        if rng.random() < 0.3:
            element = -(-1 * element)
        builder = builder.globally().emit(update, matrix_element=element)
    return builder


@pytest.mark.parametrize(("n", "complex_weights", "seed"), [(5, False, 0), (6, True, 1)])
def test_dsl_strings_equal_netkets_and_the_reference(n, complex_weights, seed):
    rng = np.random.default_rng(seed)
    strings = _strings(rng, 60, n)
    strings += [strings[0], "I" * n, "Y" * n]  # a repeat, the identity, all Y
    w = rng.normal(size=len(strings))
    if complex_weights:
        w = w + 1j * rng.normal(size=len(strings))
    hi = nk.hilbert.Spin(0.5, n)
    weights = [complex(v) if complex_weights else float(v) for v in w]
    op = _written(sym.DOperator(hi, "pauli"), strings, weights, rng).build()
    ref = nk.operator.PauliStrings(hi, strings, w)
    expected = dense_matrix(ref)
    np.testing.assert_allclose(op.compile(cache=False).to_dense(), expected, atol=1e-10, rtol=0)
    ir, _ = op.canonical_ir()
    assert ir.term_count <= 2 < len(op.terms)  # the strings' two table terms
    # the reference interpreter (its own basis order): the routed terms as the terms written
    routed, written = reference_to_dense(ir), reference_to_dense(op.to_ir())
    np.testing.assert_allclose(routed, written, atol=1e-10, rtol=0)
    decision = op.tabulation()["decisions"][0]
    assert (decision["decision"], decision["terms"]) == ("pauli_strings", len(strings))
    # without the tabulation, term by term: the same matrix
    plain = op.compile(cache=False, tabulate_terms=False).to_dense()
    np.testing.assert_allclose(plain, expected, atol=1e-10, rtol=0)


def test_k_local_strings_give_few_terms_among_other_terms():
    """4-local strings on 12 sites (up to 15 signatures: many shapes by the tabulation),
    mixed with terms that are not Pauli products (a sum of signs, a hop of `s_i + 1`),
    which keep their own terms."""
    rng = np.random.default_rng(3)
    n = 12
    strings = []
    for _ in range(80):
        s = ["I"] * n
        for i in rng.choice(n, 4, replace=False):
            s[i] = str(rng.choice(list("XYZ")))
        strings.append("".join(s))
    w = [float(v) for v in rng.normal(size=len(strings))]
    hi = nk.hilbert.Spin(0.5, n)
    b = sym.DOperator(hi, "mixed")
    b = b.globally().emit(sym.identity(), matrix_element=0.5 * (sym.site(0) + sym.site(1)))
    b = _written(b, strings, w, rng)
    b = b.globally().emit(sym.write(2, -sym.site(2)), matrix_element=0.25 * (sym.site(2) + 1))
    op = b.build()
    ir, _ = op.canonical_ir()
    assert ir.term_count <= 4
    extra = ["ZIIIIIIIIIII", "IZIIIIIIIIII", "IIXIIIIIIIII", "IIYIIIIIIIII"]
    # 0.25 (s_2 + 1) X_2 = 0.25 (Z_2 X_2 + X_2) = 0.25 (i Y_2 + X_2)
    ref = nk.operator.PauliStrings(hi, strings + extra, [*w, 0.5, 0.5, 0.25, 0.25j])
    dense, want = op.compile(cache=False).to_dense(), dense_matrix(ref)
    np.testing.assert_allclose(dense, want, atol=1e-10, rtol=0)


def test_what_is_a_pauli_product():
    hi = nk.hilbert.Spin(0.5, 4)
    s0, s1 = sym.site(0), sym.site(1)

    def term(update, element):
        return sym.DOperator(hi, "t").globally().emit(update, matrix_element=element).build()

    flips, odd, c = pauli_product(term(sym.write(1, -s1), 2.0 * s1 * -1j * s0 * s0).terms[0])
    assert (flips, odd, c) == ([1], [1], -2j)
    for update, element in [
        (sym.write(1, 1 - s1), 1.0),  # not a flip of a spin
        (sym.write(1, -s0), 1.0),  # writes another site's value
        (sym.identity(), s0 + s1),  # a sum
        (sym.identity(), s0 * (s1 + 1)),  # a product with a sum
    ]:
        assert pauli_product(term(update, element).terms[0]) is None


def test_shared_and_unshared_nodes_are_one_pauli_product():
    """`site(i)`, `-site(i)`, its flip step and `-1j` are shared nodes, recognised by id;
    the same product written with nodes of its own (an expression, not `site(i)`) is
    recognised by its structure, alike."""
    from symir.frontend.expr import Expr, source_index
    from symir.frontend.update import Update

    hi = nk.hilbert.Spin(0.5, 4)
    s1, s2 = sym.site(1), sym.site(2)
    shared = sym.write(1, -s1).write(2, -s2), 0.5 * s1 * -1j * s2 * s2 * sym.site(3)
    read1 = source_index(1)
    own = (
        Update().write(1, -read1).write(Expr("const", 2), -source_index(2)),
        Expr("mul", Expr("const", 0.5), Expr("mul", read1, Expr("neg", source_index(3))))
        * Expr("complex", Expr("const", 0.0), Expr("const", 1.0)),
    )
    assert shared[0].steps[0][2] is (-sym.site(1))  # one node
    assert own[0].steps[0][2] is not shared[0].steps[0][2]
    found = []
    for update, element in (shared, own):
        op = sym.DOperator(hi, "t").globally().emit(update, matrix_element=element).build()
        found.append(pauli_product(op.terms[0]))
    assert found == [([1, 2], [1, 3], -0.5j), ([1, 2], [1, 3], -0.5j)]


def test_shared_flip_updates_are_one_object_and_give_the_records_of_their_steps():
    """`write(i, -site(i)).write(j, -site(j))` is one shared update per (i, j), in the
    order written, up to `_MAX_SHARED_FLIPS` flips to distinct sites: its record (read
    by one lookup) is that of the same steps in an update of its own. A site flipped
    twice, or a longer chain, is an update of its own, and no Pauli product for the
    former."""
    from symir.frontend.pauli_terms import pauli_record
    from symir.frontend.update import _MAX_SHARED_FLIPS, FLIPPED, Update

    s = [sym.site(k) for k in range(8)]

    def chain(sites):
        u = sym.identity()
        for k in sites:
            u = u.write(k, -s[k])
        return u

    def own(sites):  # the same steps, an update no cache knows
        return Update(tuple(chain(sites).steps))

    for sites in [(3,), (3, 5), (5, 3), (0, 6, 2), tuple(range(_MAX_SHARED_FLIPS))]:
        first = chain(sites)
        assert chain(sites) is first and FLIPPED[id(first)] == sites
        assert first.steps == own(sites).steps and first == own(sites)
        for c in (0.5, 1j, 0.25 * s[1] * s[4]):
            assert pauli_record(first, c) == pauli_record(own(sites), c)
        assert pauli_record(first, 0.5) == (sites, (), 0.5)
    assert chain((3, 5)) is not chain((5, 3))
    longer = tuple(range(_MAX_SHARED_FLIPS + 1))
    long_chain = chain(longer)
    assert chain(longer) is not long_chain and id(long_chain) not in FLIPPED
    assert pauli_record(long_chain, 2.0) == (longer, (), 2.0)
    twice = chain((3, 3))
    assert chain((3, 3)) is not twice and id(twice) not in FLIPPED
    assert len(twice.steps) == 2 and pauli_record(twice, 1.0) is None


def test_random_couplings_are_routed_a_lattice_model_is_not_and_qubits_never():
    """Random `J Z_i Z_j` and `K X_i X_j` (two signatures, coefficients that differ)
    are routed; one coefficient per kind of bond (a lattice written bond by bond) is
    merged as before; on qubits `s_i` is an occupation, not a sign: no Pauli product."""
    rng = np.random.default_rng(5)
    pairs = [tuple(int(v) for v in rng.choice(6, 2, replace=False)) for _ in range(20)]
    for hi, random, routed in [
        (nk.hilbert.Spin(0.5, 6), True, True),
        (nk.hilbert.Spin(0.5, 6), False, False),
        (nk.hilbert.Qubit(6), True, False),
    ]:
        b = sym.DOperator(hi, "couplings")
        for i, j in pairs:
            J = float(rng.normal()) if random else 1.0
            si, sj = sym.site(i), sym.site(j)
            b = b.globally().emit(sym.identity(), matrix_element=J * si * sj)
            b = b.globally().emit(sym.write(i, -si).write(j, -sj), matrix_element=0.5)
        op = b.build()
        decisions = [d["decision"] for d in op.tabulation().get("decisions", [])]
        assert ("pauli_strings" in decisions) == routed
        off = op.tabulation(route_pauli_products=False).get("decisions", [])
        assert "pauli_strings" not in [d["decision"] for d in off]
        plain = op.compile(cache=False, tabulate_terms=False).to_dense()
        np.testing.assert_allclose(op.compile(cache=False).to_dense(), plain, atol=1e-10)


def _couplings(hi, pairs, rng, builder=None):
    b = builder or sym.DOperator(hi, "couplings")
    for i, j in pairs:
        si, sj = sym.site(i), sym.site(j)
        b = b.globally().emit(sym.identity(), matrix_element=float(rng.normal()) * si * sj)
        b = b.globally().emit(sym.write(i, -si).write(j, -sj), matrix_element=float(rng.normal()))
    return b


def test_a_loop_of_pauli_products_keeps_no_expressions(frozen_heap):
    """Once its products are sure to be routed, a builder keeps each Pauli product as a
    record Python's collector does not track: the operator holds no object per term
    (a coupling term written was 7), and `op.terms` makes the terms again, the same
    operator (dense matrices with the routing off equal NetKet's)."""
    import gc

    rng = np.random.default_rng(11)
    n = 6
    hi = nk.hilbert.Spin(0.5, n)
    pairs = [tuple(int(v) for v in rng.choice(n, 2, replace=False)) for _ in range(2000)]
    _couplings(hi, pairs[:20], rng).build()  # first uses
    gc.collect()
    before = len(gc.get_objects())
    op = _couplings(hi, pairs, np.random.default_rng(3)).build()
    gc.collect()
    assert (len(gc.get_objects()) - before) / len(op.terms) < 0.5
    assert len(op.terms) == 4000
    pairs = pairs[:150]  # the matrices of a smaller operator written alike
    op = _couplings(hi, pairs, np.random.default_rng(3)).build()
    rng = np.random.default_rng(3)
    strings, weights = [], []
    for i, j in pairs:
        for letter in "ZX":
            s = ["I"] * n
            s[i] = s[j] = letter
            strings.append("".join(s))
            weights.append(float(rng.normal()))
    ref = dense_matrix(nk.operator.PauliStrings(hi, strings, weights))
    t = op.terms[-1]  # made again from its record: the last X X coupling
    assert isinstance(t, sym.frontend.term_spec.TermSpec) and t.name == "term299"
    assert pauli_product(t) == (sorted(pairs[-1]), [], weights[-1])
    assert [u.name for u in op.terms[-3:]] == ["term297", "term298", "term299"]
    for options in ({}, {"route_pauli_products": False}):
        dense = op.compile(cache=False, **options).to_dense()
        np.testing.assert_allclose(dense, ref, atol=1e-10, rtol=0)
    np.testing.assert_allclose(reference_to_dense(op.to_ir()), ref, atol=1e-10, rtol=0)


def test_a_recorded_term_named_given_a_second_emission_or_a_clashing_name():
    """The last term written is still open: `named`, a second `emit` and `fanout` act on
    it as written; another term named as a recorded one (`term{k}`) is an error."""
    rng = np.random.default_rng(2)
    hi = nk.hilbert.Spin(0.5, 4)
    pairs = [(0, 1), (1, 2), (2, 3), (3, 0), (0, 2)] * 4
    b = _couplings(hi, pairs, rng)
    s0, s1 = sym.site(0), sym.site(1)
    b = b.globally().emit(sym.write(0, -s0), matrix_element=0.5 * s1).named("field")
    b = b.globally().emit(sym.identity(), matrix_element=0.25 * s0)
    b = b.emit(sym.write(1, -s1), matrix_element=0.75)
    op = b.build()
    names = [t.name for t in op.terms]
    assert names[-2] == "field" and len(op.terms[-1].emissions) == 2
    assert op.terms[-1].emissions[0].amplitude.op == "mul"
    X, Z = nk.operator.spin.sigmax, nk.operator.spin.sigmaz
    rng = np.random.default_rng(2)
    ref = 0.5 * X(hi, 0) @ Z(hi, 1) + 0.25 * Z(hi, 0) + 0.75 * X(hi, 1)  # s_i: Z_i
    for i, j in pairs:
        ref += float(rng.normal()) * Z(hi, i) @ Z(hi, j)
        ref += float(rng.normal()) * X(hi, i) @ X(hi, j)
    np.testing.assert_allclose(
        op.compile(cache=False).to_dense(), dense_matrix(ref), atol=1e-10, rtol=0
    )
    b = _couplings(hi, pairs, rng)
    b = b.globally().emit(sym.identity(), matrix_element=s0 + s1).named("term3")
    with pytest.raises(ValueError, match="two terms named 'term3'"):
        b.build()


@pytest.mark.parametrize("complex_weights", [False, True])
def test_strings_given_by_their_rows_are_the_strings_expanded(complex_weights):
    """`bit_table_terms(x, z, w, down, which)` (string k is row which[k]: the DSL's
    records, grouped by their sites) writes the tables of the strings expanded: the same
    repeats summed, zero sums dropped, the same order."""
    from symir.frontend.pauli_tables import bit_table_terms

    rng = np.random.default_rng(5)
    x = rng.random((7, 6)) < 0.4
    z = rng.random((7, 6)) < 0.4
    x[0] = False  # a diagonal string
    x[1], z[1] = x[2], z[2]  # two rows of one string
    which = rng.integers(0, 7, 60)
    w = rng.normal(size=60) + (1j * rng.normal(size=60) if complex_weights else 0)
    w[which == 3] = 0.0  # a string whose weights sum to zero
    by_rows = bit_table_terms(x, z, w, -1, which)
    expanded = bit_table_terms(x[which], z[which], w, -1)
    assert by_rows[1:] == expanded[1:]
    assert [t[0] for t in by_rows[0]] == ["diagonal", "strings"]
    for a, b in zip(by_rows[0], expanded[0], strict=True):
        assert a[:3] == b[:3] and repr(a[3:]) == repr(b[3:])
