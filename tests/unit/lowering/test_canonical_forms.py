"""The canonical form of a model (issue 19, item 5): the same bonds written with
`globally()` and constant sites, with one-row `for_each`s, as a `SymbolicOperatorSum` of
single-bond operators or with one `for_each` over the edges reach the same kernel, both
through the DSL's canonical form (`symir.frontend.canonical`, what the compiler lowers)
and through the passes `sym-lift-constant-sites` + `sym-merge-row-terms` on the IR as
written; the operator is unchanged (the reference interpreter on every basis state)."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest

import symir as sym
from symir.errors import SymbolicDefinitionError
from symir.frontend.canonical import canonical_terms, lift_constant_sites
from symir.interpreter import reference_to_dense
from symir.lowering.pipelines import LoweringOptions, lower_ir

_SSA = re.compile(r"%[A-Za-z0-9_.$-]+")


def kernel(text: str) -> str:
    """The `func.func @main` of a StableHLO module, SSA names numbered in order."""
    text = text[text.index("func.func @main") :]
    names: dict[str, str] = {}
    return _SSA.sub(lambda m: names.setdefault(m.group(0), f"%v{len(names)}"), text)


def chain(n: int) -> list[tuple[int, int]]:
    return [(k, (k + 1) % n) for k in range(n)]


def heisenberg_terms(d: sym.DOperator, a, b, open_) -> sym.DOperator:
    """XX + YY + ZZ of one bond; `a`, `b` are labels or constant sites; `open_` opens
    each term's iterator."""
    sa, sb = sym.site(a), sym.site(b)
    flip = sym.write(a, -sa).write(b, -sb)
    d = open_(d).emit(flip, matrix_element=1.0)
    d = open_(d).emit(flip, matrix_element=-1.0 * sa * sb)
    return open_(d).emit(sym.identity(), matrix_element=sa * sb)


def compact(hi, bonds) -> sym.SymbolicOperator:
    d = sym.DOperator(hi, "heis", hermitian=True)
    return heisenberg_terms(d, "i", "j", lambda d: d.for_each(("i", "j"), over=bonds)).build()


def one_operator(hi, bonds, form: str) -> sym.SymbolicOperator:
    """All bonds in one DOperator, one term per bond and Pauli product."""
    d = sym.DOperator(hi, "heis", hermitian=True)
    for bond in bonds:
        if form == "globally":
            d = heisenberg_terms(d, *bond, lambda d: d.globally())
        else:
            d = heisenberg_terms(
                d, "a", "b", lambda d, bond=bond: d.for_each(("a", "b"), over=[bond])
            )
    return d.build()


def per_bond_sum(hi, bonds, form: str) -> sym.SymbolicOperatorSum:
    ops = []
    for k, bond in enumerate(bonds):
        d = sym.DOperator(hi, f"b{k}", hermitian=True)
        if form == "globally":
            ops.append(heisenberg_terms(d, *bond, lambda d: d.globally()).build())
        else:
            ops.append(
                heisenberg_terms(
                    d, "i", "j", lambda d, bond=bond: d.for_each(("i", "j"), over=[bond])
                ).build()
            )
    return sym.SymbolicOperatorSum(ops)


@pytest.fixture(scope="module")
def compact_216():
    hi = sym.Spin(0.5, 216)
    return hi, kernel(lower_ir(compact(hi, chain(216)).canonical_ir()[0]).stablehlo_text)


@pytest.mark.parametrize("form", ["globally", "for_each"])
def test_216_single_bond_terms_give_the_compact_forms_kernel(compact_216, form):
    hi, expected = compact_216
    op = one_operator(hi, chain(216), form)
    ir, merged = op.canonical_ir()
    assert len(op.terms) == 648 and len(ir.terms) == 3
    assert sum(len(v) for v in merged.values()) == 645
    assert kernel(lower_ir(ir).stablehlo_text) == expected


@pytest.mark.parametrize("form", ["globally", "for_each"])
def test_a_sum_of_single_bond_operators_gives_the_compact_forms_kernel(form):
    hi = sym.Spin(0.5, 8)
    bonds = chain(8)
    expected = kernel(compact(hi, bonds).compile().stablehlo_text)
    op = per_bond_sum(hi, bonds, form)
    assert len(op.terms) == 24
    # the compiler's path: the DSL's canonical form
    assert kernel(op.compile().stablehlo_text) == expected
    # the IR as written (24 terms) reaches the compact IR's kernel through the passes of
    # the default lowering (neither normalized: the compiler normalizes both alike)
    result = lower_ir(op.to_ir())
    assert kernel(result.stablehlo_text) == kernel(
        lower_ir(compact(hi, bonds).to_ir()).stablehlo_text
    )
    assert result.levels["sym-merge-row-terms"].count("sym.term @") == 3


@pytest.mark.parametrize("form", ["globally", "for_each"])
def test_the_operator_is_unchanged(form):
    hi = sym.Spin(0.5, 5)
    op = per_bond_sum(hi, chain(5), form)
    reference = reference_to_dense(op.to_ir().module)  # as written, one term per bond
    np.testing.assert_allclose(reference_to_dense(op.canonical_ir()[0].module), reference)
    np.testing.assert_allclose(op.compile().to_dense(), reference, atol=1e-12)
    off = op.compile(merge_row_terms=False, lift_constant_sites=False)
    np.testing.assert_allclose(off.to_dense(), reference, atol=1e-12)


def test_lifting_touches_only_sites():
    hi = sym.Spin(1.0, 4)
    d = (
        sym.DOperator(hi, "t")
        .globally()
        .emit(sym.write(2, 2).shift(3, -2), matrix_element=sym.site(2) * 2 + sym.count(0, 4))
    )
    (term,) = d.build().terms
    lifted = lift_constant_sites(term)
    assert lifted.kind == "rows" and lifted.labels == ("site0", "site1")
    assert lifted.rows == ((2, 3),)
    # the written value 2, the delta -2, the factor 2 and the count bounds stay constants
    assert "count(const(0), const(4))" in repr(lifted.emissions[0].amplitude)
    assert "('write', label('site0'), const(2))" in repr(lifted.emissions[0].update)
    terms, merged = canonical_terms((term,))
    assert merged == {} and repr(terms[0].emissions[0].update) == repr(lifted.emissions[0].update)


def test_different_bodies_stay_apart():
    hi = sym.Spin(0.5, 4)
    d = sym.DOperator(hi, "t")
    d = d.globally().emit(sym.write(0, -sym.site(0)), matrix_element=1.0)
    d = d.globally().emit(sym.write(1, -sym.site(1)), matrix_element=2.0)  # another amplitude
    d = d.globally().emit(sym.write(2, -sym.site(2)), matrix_element=1.0, tag="x")  # a tag
    d = d.globally().emit(sym.write(3, -sym.site(3)), matrix_element=1.0)  # merges with 0
    terms, merged = canonical_terms(d.build().terms)
    assert [t.rows for t in terms] == [((0,), (3,)), ((1,),), ((2,),)]
    assert merged == {"term0": ["term3"]}


def test_options_switch_the_canonical_form_off():
    hi = sym.Spin(0.5, 4)
    op = per_bond_sum(hi, chain(4), "globally")
    on = LoweringOptions()
    assert "sym-lift-constant-sites" in [p.name for p in on.passes()]
    off = LoweringOptions(lift_constant_sites=False)
    assert "sym-lift-constant-sites" not in [p.name for p in off.passes()]
    artifact = op.compile(lift_constant_sites=False, cache=False)
    assert artifact.max_conn_size == op.compile().max_conn_size  # fusion merges them anyway


def test_build_verifies_one_body_for_operators_that_differ_only_in_sites():
    """`build()` verifies an operator's canonical IR once per body: a second operator
    that differs only in the sites of its rows is checked without building its IR (the
    IR is built when first used), and still gets the verifier's errors."""
    from symir.frontend import operator as frontend

    def bond(a, b, sign=1.0):
        return (
            sym.DOperator(sym.Spin(0.5, 6), f"bond_{a}_{b}")
            .globally()
            .emit(sym.swap(a, b), matrix_element=sign * sym.site(a) * sym.site(b))
            .build()
        )

    first = bond(0, 1, sign=-0.25)
    assert "_canonical" in first.__dict__  # verified: the first of its kind
    second = bond(2, 5, sign=-0.25)
    assert "_canonical" not in second.__dict__  # same body: rows checked only
    assert "_canonical" in bond(2, 5, sign=0.5).__dict__  # another body: verified
    reference = reference_to_dense(second.to_ir().module)
    np.testing.assert_allclose(second.compile().to_dense(), reference, atol=1e-12)
    terms, _ = canonical_terms(second.terms)
    bad = replace(terms[0], rows=((2, 7),))
    with pytest.raises(SymbolicDefinitionError, match=r"row 0 \[2, 7\] has site index 7"):
        frontend.check_definition(frontend.SymbolicOperator(second.hilbert, "bad", (bad,)))


@pytest.mark.parametrize(
    "update, amplitude",
    [
        (sym.shift(sym.site(2).index + 1, 1), 1.0),  # folds to site 3: site 0
        (sym.swap(sym.site(0).index - 1, 1), 1.0),  # -1: the last site
        (sym.identity(), sym.site(sym.site(2).index + 4)),  # a read of site 6: site 0
        (sym.permute(1, sym.site(1).index + 4, 0), 1.0),  # 5: site 2
    ],
)
def test_folded_constant_sites_are_taken_modulo_n(update, amplitude):
    """A site given by a value is taken modulo N; folding `site(2).index + 1` made the
    constant site 3 on 3 sites, which the verifier refuses (a VerifyException from
    `sym-merge-row-terms`, with or without lifting): normalization wraps it."""
    op = (
        sym.DOperator(sym.Fock(2, 3), "folded")
        .globally()
        .emit(update, matrix_element=amplitude)
        .build()
    )
    for options in ({}, {"lift_constant_sites": False, "merge_row_terms": False}):
        compiled = op.compile(**options)
        dense = np.asarray(compiled.to_dense())
        assert np.abs(dense).max() > 0
        np.testing.assert_allclose(dense, reference_to_dense(op), atol=1e-12)


def test_a_long_table_is_hashed_once():
    """A long tuple of numbers (a lookup's keys or values, a sector's configurations) is
    keyed as a `Key`, which keeps its hash: a tuple does not, and each key of an
    expression above the table held it, so every first hash of one hashed the whole
    table again (H2O 6-31G's first build 1.65 -> 0.59 s, BH3 6-31G 2.75 -> 1.01 s).
    Equal tables still give equal keys, different ones different keys."""
    from symir.frontend import canonical
    from symir.frontend.expr import Key

    table = tuple(range(1000))
    key = canonical._sequence_key(table, {}, None)
    assert isinstance(key, Key)
    assert key.__dict__.get("_hash") is None
    hash(key)
    assert key.__dict__["_hash"] == hash(key)
    assert canonical._sequence_key(table, {}, None) is key  # by identity, kept
    assert canonical._sequence_key(tuple(range(1000)), {}, None) == key
    assert canonical._sequence_key(tuple(range(1, 1001)), {}, None) != key
    short = canonical._sequence_key((1, 2, 3), {}, None)
    assert short == ("numbers", ("int",), (1, 2, 3))
