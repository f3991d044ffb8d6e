"""The DSL builds the `sym` IR it should: one test per construct, and its errors.

Each test builds a small operator and inspects `op.to_ir()`: its `terms` (TermInfo), the
`sym.operator` ops, or substrings of the printed IR.
"""

from __future__ import annotations

import math

import netket as nk
import pytest

import symir as sym
from symir.dialects import sym as d

SPIN = sym.Spin(0.5, 4)  # local states -1, +1
FOCK = sym.Fock(2, 3)  # local states 0, 1, 2 (contiguous)


def build(op_builder) -> sym.SymbolicOperator:
    return op_builder.build()


def ops_named(ir: sym.SymbolicOperatorIR, name: str) -> list:
    return [op for op in ir.operator.walk() if op.name == name]


def emissions(ir: sym.SymbolicOperatorIR, term: int = 0) -> list[d.EmissionOp]:
    return ir.operator.terms[term].emissions


def update_ops(em: d.EmissionOp) -> list:
    return [op for op in em.update.block.ops if op.name in {o.name for o in d.UPDATE_OPS}]


def amplitude_value(em: d.EmissionOp):
    return em.amplitude_value


def one(spec, update=None, amplitude=1.0, hilbert=SPIN, iterator="globally"):
    """An operator with one term (iterator `iterator`) and one emission."""
    b = sym.DOperator(hilbert, "t")
    b = getattr(b, iterator)() if iterator == "globally" else iterator(b)
    return b.emit(update if update is not None else sym.identity(), amplitude).build()


def amp_op(amplitude, hilbert=SPIN):
    """The op computing the matrix element of a one-term, one-site operator."""
    op = sym.DOperator(hilbert, "t").for_each_site("i").emit(sym.identity(), amplitude).build()
    ir = op.to_ir()
    return amplitude_value(emissions(ir)[0]).owner, ir


# --------------------------------------------------------------------------- iterators


def test_globally():
    ir = sym.DOperator(SPIN, "g").globally().emit(sym.identity(), 0.5).build().to_ir()
    (t,) = ir.terms
    assert t.kind == "global" and t.labels == () and t.rows == ((),)
    assert t.emission_count == 1 and not t.has_predicate and t.fanout is None
    assert 'kind "global" labels [] rows [[]]' in str(ir)


def test_for_each_site():
    ir = sym.DOperator(SPIN, "s").for_each_site("i").emit().build().to_ir()
    (t,) = ir.terms
    assert (t.kind, t.labels, t.rows) == ("site", ("i",), ((0,), (1,), (2,), (3,)))


def test_for_each_pair_is_ordered_and_includes_diagonal():
    ir = sym.DOperator(sym.Spin(0.5, 3), "p").for_each_pair("i", "j").emit().build().to_ir()
    (t,) = ir.terms
    assert t.kind == "pair" and t.labels == ("i", "j")
    assert t.rows == tuple((a, b) for a in range(3) for b in range(3))
    assert (1, 1) in t.rows and (0, 2) in t.rows and (2, 0) in t.rows


def test_for_each_distinct_pair():
    ir = (
        sym.DOperator(sym.Spin(0.5, 3), "p").for_each_distinct_pair("a", "b").emit().build()
    ).to_ir()
    (t,) = ir.terms
    assert t.kind == "distinct_pair" and t.labels == ("a", "b")
    assert t.rows == ((0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1))


def test_for_each_triplet():
    rows = [(0, 1, 2), (1, 2, 3), (3, 0, 1)]
    ir = sym.DOperator(SPIN, "t").for_each_triplet("a", "b", "c", over=rows).emit().build()
    (t,) = ir.to_ir().terms
    assert t.kind == "triplet" and t.labels == ("a", "b", "c") and t.rows == tuple(rows)


def test_for_each_plaquette():
    rows = [(0, 1, 3, 2)]
    op = sym.DOperator(SPIN, "q").for_each_plaquette("a", "b", "c", "d", over=rows).emit()
    (t,) = op.build().to_ir().terms
    assert t.kind == "plaquette" and t.labels == ("a", "b", "c", "d") and t.rows == ((0, 1, 3, 2),)
    assert "rows [[0, 1, 3, 2]]" in str(op.build().to_ir())


@pytest.mark.parametrize("over", ["object", "edges"])
def test_for_each_over_netket_graph(over):
    graph = nk.graph.Chain(4)
    rows = graph if over == "object" else graph.edges()
    ir = sym.DOperator(SPIN, "e").for_each(("i", "j"), over=rows).emit().build().to_ir()
    (t,) = ir.terms
    assert t.kind == "rows" and t.labels == ("i", "j")
    assert t.rows == tuple(tuple(e) for e in graph.edges())
    assert len(t.rows) == 4  # periodic chain


def test_for_each_any_k_body_rows_and_single_label():
    three = sym.DOperator(SPIN, "k").for_each(["a", "b", "c"], over=[[0, 1, 2]]).emit().build()
    assert three.to_ir().terms[0].rows == ((0, 1, 2),)
    single = sym.DOperator(SPIN, "k").for_each("i", over=[3, 1]).emit().build()
    assert single.to_ir().terms[0].rows == ((3,), (1,))
    assert single.to_ir().terms[0].labels == ("i",)


# --------------------------------------------------------------------------- term clauses


def test_where_repeated_calls_are_anded_into_one_sym_and():
    ir = (
        sym.DOperator(FOCK, "w")
        .for_each_site("i")
        .where(sym.site("i") > 0)
        .where(sym.site("i") < 2)
        .where(sym.site("i") != 1)
        .emit(sym.shift("i", -1))
        .build()
        .to_ir()
    )
    assert ir.terms[0].has_predicate
    (where,) = ops_named(ir, "sym.where")
    (conj,) = ops_named(ir, "sym.and")
    assert where.predicate.owner is conj
    assert [i.owner.predicate.data for i in conj.inputs] == ["gt", "lt", "ne"]


def test_single_where_has_no_and():
    ir = one(None, iterator=lambda b: b.for_each_site("i").where(sym.site("i") > 0)).to_ir()
    (where,) = ops_named(ir, "sym.where")
    assert isinstance(where.predicate.owner, d.CmpOp)
    assert not ops_named(ir, "sym.and")


def test_where_with_and_inside_flattens():
    p, q, r = sym.site("i") > -1, sym.site("i") < 1, sym.site("i") == 1
    ir = sym.DOperator(SPIN, "w").for_each_site("i").where(p & q).where(r).emit().build().to_ir()
    (conj,) = ops_named(ir, "sym.and")
    assert len(conj.inputs) == 3


def test_emit_matrix_element_and_tag():
    ir = (
        sym.DOperator(SPIN, "e")
        .for_each_site("i")
        .emit(sym.write("i", 1), matrix_element=0.25, tag="up")
        .emit(sym.write("i", -1), 0.75)
        .build()
        .to_ir()
    )
    (t,) = ir.terms
    assert t.emission_count == 2 and t.tags == ("up", None)
    first, second = emissions(ir)
    assert amplitude_value(first).owner.value.value.data == 0.25
    assert amplitude_value(second).owner.value.value.data == 0.75
    assert 'sym.emission "up" {' in str(ir)


def test_amplitude_alias_equals_matrix_element():
    a = sym.DOperator(SPIN, "a").globally().emit(sym.identity(), matrix_element=0.5).build()
    b = sym.DOperator(SPIN, "a").globally().emit(sym.identity(), amplitude=0.5).build()
    assert a.to_ir() == b.to_ir() and str(a.to_ir()) == str(b.to_ir())


def test_emit_defaults_identity_and_one():
    ir = sym.DOperator(SPIN, "a").globally().emit().build().to_ir()
    (em,) = emissions(ir)
    assert not list(em.update.block.ops)
    assert amplitude_value(em).owner.value.value.data == 1.0


def test_emit_if_elseif_else_predicates_are_the_chain():
    ir = (
        sym.DOperator(FOCK, "c")
        .for_each_site("i")
        .emit_if(sym.site("i") == 0, sym.shift("i", 1), 1.0, tag="a")
        .emit_elseif(sym.site("i") == 1, sym.shift("i", 1), 2.0, tag="b")
        .emit_else(sym.shift("i", -1), amplitude=3.0, tag="c")
        .build()
        .to_ir()
    )
    assert ir.terms[0].tags == ("a", "b", "c")
    e0, e1, e2 = emissions(ir)
    p = e0.condition
    assert isinstance(p.owner, d.CmpOp) and p.owner.predicate.data == "eq"
    # elseif: ~p & q
    and1 = e1.condition.owner
    assert isinstance(and1, d.AndOp) and len(and1.inputs) == 2
    assert isinstance(and1.inputs[0].owner, d.NotOp) and and1.inputs[0].owner.input is p
    q = and1.inputs[1]
    assert isinstance(q.owner, d.CmpOp) and q.owner.predicate.data == "eq"
    # else: ~p & ~q
    and2 = e2.condition.owner
    assert isinstance(and2, d.AndOp) and len(and2.inputs) == 2
    assert [i.owner.input for i in and2.inputs] == [p, q]
    assert all(isinstance(i.owner, d.NotOp) for i in and2.inputs)


def test_emit_if_then_plain_emit_has_no_condition():
    ir = (
        sym.DOperator(SPIN, "c")
        .for_each_site("i")
        .emit_if(sym.site("i") > 0, sym.write("i", -1))
        .emit(sym.identity(), 0.5)
        .build()
        .to_ir()
    )
    e0, e1 = emissions(ir)
    assert e0.condition is not None and e1.condition is None


def test_named():
    ir = (
        sym.DOperator(SPIN, "n")
        .globally()
        .named("diag")
        .emit()
        .for_each_site("i")
        .emit(sym.write("i", 1))
        .named("flip")
        .build()
        .to_ir()
    )
    assert [t.name for t in ir.terms] == ["diag", "flip"]
    assert "sym.term @diag" in str(ir) and "sym.term @flip" in str(ir)


@pytest.mark.parametrize("method", ["fanout", "max_conn_size"])
def test_fanout_hint(method):
    b = sym.DOperator(SPIN, "f").for_each_site("i").emit(sym.write("i", 1)).emit()
    with pytest.warns(UserWarning, match="hints do not compact the kernel"):
        op = getattr(b, method)(3).globally().emit().build()
    ir = op.to_ir()
    assert [t.fanout for t in ir.terms] == [3, None]
    assert "fanout 3 {" in str(ir)
    # the hint does not compact: F is the compiled kernel's, 4 writes + 1 diagonal slot
    # (the identity emissions of both terms coalesced)
    assert op.max_conn_size == op.compile().max_conn_size == 4 + 1


def test_max_conn_size_is_the_compiled_fanout():
    # identity emissions of every term share the one diagonal slot
    op = sym.DOperator(SPIN, "f").for_each_site("i").emit().emit().globally().emit().build()
    assert op.max_conn_size == op.compile().max_conn_size == 1
    # TFIM on 6 sites: 6 flips + 1 diagonal (rows x emissions would say 12)
    edges = [(i, (i + 1) % 6) for i in range(6)]
    tfim = (
        sym.DOperator(sym.Spin(0.5, 6), "tfim6")
        .for_each_site("i")
        .emit(sym.write("i", -sym.site("i")), matrix_element=-1.0)
        .for_each(("i", "j"), over=edges)
        .emit(sym.identity(), matrix_element=sym.site("i") * sym.site("j"))
        .build()
    )
    assert tfim.max_conn_size == 7
    assert tfim.max_conn_size == tfim.compile().max_conn_size
    # a hint of 0 does not make the kernel empty
    with pytest.warns(UserWarning):
        hinted = sym.DOperator(sym.Spin(0.5, 6), "h0").for_each_site("i").fanout(0)
    hinted = hinted.emit(sym.write("i", -sym.site("i"))).build()
    assert hinted.max_conn_size == hinted.compile(strict_validation=False).max_conn_size == 6


def test_build_returns_operator_with_ir():
    op = sym.DOperator(SPIN, "b", hermitian=True).globally().emit().build()
    assert isinstance(op, sym.SymbolicOperator)
    ir = op.to_ir()
    assert isinstance(ir, sym.SymbolicOperatorIR) and op.to_ir() is ir
    assert ir.operator_name == "b" and ir.hilbert_size == 4 and ir.local_states == (-1, 1)
    assert ir.is_hermitian and op.is_hermitian and ir.dtype_str == "float64"
    assert "sym.operator @b sites 4 states [-1, 1] dtype f64 hermitian {" in str(ir)


def test_netket_hilbert_accepted_as_is():
    op = sym.DOperator(nk.hilbert.Spin(0.5, 3), "nk").for_each_site("i").emit().build()
    assert op.to_ir().local_states == (-1, 1) and op.to_ir().hilbert_size == 3
    fock = sym.DOperator(nk.hilbert.Fock(3, 2), "nk").globally().emit().build()
    assert fock.to_ir().local_states == (0, 1, 2, 3)


# --------------------------------------------------------------------------- selectors


def test_site_value_reads_source():
    op, _ = amp_op(sym.site("i").value)
    assert isinstance(op, d.ReadOp) and isinstance(op.site.owner, d.LabelOp)
    assert op.site.owner.label.data == "i"


def test_site_selector_acts_as_its_value():
    op, _ = amp_op(sym.site("i"))
    assert isinstance(op, d.ReadOp)


def test_site_index():
    op, _ = amp_op(sym.site("i").index)
    assert isinstance(op, d.LabelOp) and op.result.type == d.i64


def test_site_abs():
    op, _ = amp_op(sym.site("i").abs())
    assert isinstance(op, d.AbsOp) and isinstance(op.operand.owner, d.ReadOp)


def test_site_by_flat_index_and_expression():
    op, _ = amp_op(sym.site(2))
    assert isinstance(op, d.ReadOp) and op.site.owner.value.value.data == 2
    op, _ = amp_op(sym.site(sym.site("i").index + 1))
    assert isinstance(op, d.ReadOp) and isinstance(op.site.owner, d.AddOp)


@pytest.mark.parametrize(
    ("make", "pred"),
    [
        (lambda s: s < 1, "lt"),
        (lambda s: s <= 1, "le"),
        (lambda s: s > 1, "gt"),
        (lambda s: s >= 1, "ge"),
        (lambda s: s == 1, "eq"),
        (lambda s: s != 1, "ne"),
        (lambda s: 1 < s, "gt"),
    ],
)
def test_site_comparisons(make, pred):
    ir = sym.DOperator(SPIN, "c").for_each_site("i").where(make(sym.site("i"))).emit().build()
    (cmp,) = ops_named(ir.to_ir(), "sym.cmp")
    assert cmp.predicate.data == pred and isinstance(cmp.lhs.owner, d.ReadOp)


def test_emitted_reads_target_in_matrix_element():
    op, _ = amp_op(sym.emitted("i").value)
    assert isinstance(op, d.ReadEmittedOp) and isinstance(op.site.owner, d.LabelOp)


def test_source_index():
    op, _ = amp_op(sym.source_index(3))
    assert isinstance(op, d.ReadOp) and op.site.owner.value.value.data == 3


def test_target_index():
    op, _ = amp_op(sym.target_index(1))
    assert isinstance(op, d.ReadEmittedOp) and op.site.owner.value.value.data == 1


def test_symbol_real_default():
    op, ir = amp_op(sym.symbol("J", 1.5))
    assert isinstance(op, d.ParamOp) and op.result.type == d.f64
    assert ir.parameters == {"J": 1.5} and ir.free_symbols == ("J",)
    assert ir.dtype_str == "float64"
    assert 'sym.param "J" default 1.5 : f64' in str(ir)


def test_symbol_without_default():
    op, ir = amp_op(sym.symbol("h"))
    assert isinstance(op, d.ParamOp) and ir.parameters == {"h": None}
    assert 'sym.param "h" : f64' in str(ir)


def test_symbol_complex_default_is_complex_param_and_complex_operator():
    op, ir = amp_op(sym.symbol("g", 0.5 + 2j))
    assert isinstance(op, d.ParamOp) and op.result.type == d.c64
    assert ir.parameters == {"g": 0.5 + 2j}
    assert ir.dtype_str == "complex128"
    assert "dtype complex<f64>" in str(ir)
    assert 'sym.param "g" default (0.5, 2.0) : complex<f64>' in str(ir)


def test_symbol_used_twice_is_one_parameter():
    j = sym.symbol("J", 1.0)
    ir = (
        sym.DOperator(SPIN, "p")
        .for_each_site("i")
        .emit(sym.identity(), j)
        .globally()
        .emit(sym.identity(), 2 * j)
        .build()
        .to_ir()
    )
    assert ir.parameters == {"J": 1.0}


# --------------------------------------------------------------------------- updates


def upd(update, hilbert=SPIN, labels=("i", "j", "k")):
    op = sym.DOperator(hilbert, "u").for_each(labels, over=[(0, 1, 2)]).emit(update).build()
    (em,) = emissions(op.to_ir())
    return update_ops(em), op.to_ir()


def site_label(value) -> str | int:
    owner = value.owner
    if isinstance(owner, d.LabelOp):
        return owner.label.data
    return owner.value.value.data


def const(value) -> int:
    return value.owner.value.value.data


def test_identity_is_empty_update_region():
    ops, ir = upd(sym.identity())
    assert ops == [] and not list(emissions(ir)[0].update.block.ops)


def test_write():
    (w,), _ = upd(sym.write("j", -1))
    assert isinstance(w, d.WriteOp) and site_label(w.site) == "j" and const(w.value) == -1


def test_write_value_from_expression():
    (w,), _ = upd(sym.write("i", -sym.site("j")))
    assert isinstance(w.value.owner, d.NegOp)


def test_shift():
    (s,), _ = upd(sym.shift("i", 2), hilbert=FOCK)
    assert isinstance(s, d.ShiftOp) and site_label(s.site) == "i" and const(s.delta) == 2


def test_shift_mod():
    (s,), _ = upd(sym.shift_mod("k", -1), hilbert=FOCK)
    assert isinstance(s, d.ShiftModOp) and site_label(s.site) == "k" and const(s.delta) == -1


def test_hop_is_two_shifts():
    ops, _ = upd(sym.hop("i", "j"), hilbert=FOCK)
    assert [type(o) for o in ops] == [d.ShiftOp, d.ShiftOp]
    assert [(site_label(o.site), const(o.delta)) for o in ops] == [("i", -1), ("j", 1)]


def test_swap():
    (s,), _ = upd(sym.swap("i", "k"))
    assert isinstance(s, d.SwapOp) and (site_label(s.a), site_label(s.b)) == ("i", "k")


def test_permute():
    (p,), _ = upd(sym.permute("k", "i", "j"))
    assert isinstance(p, d.PermuteOp)
    assert [site_label(s) for s in p.site_list] == ["k", "i", "j"]


def test_affine():
    (a,), _ = upd(sym.affine("i", scale=-1, bias=0))
    assert isinstance(a, d.AffineOp) and (const(a.scale), const(a.bias)) == (-1, 0)


def test_scatter():
    (s,), _ = upd(sym.scatter(["i", 2], [1, -1]))
    assert isinstance(s, d.ScatterOp)
    assert [site_label(v) for v in s.site_list] == ["i", 2]
    assert [const(v) for v in s.value_list] == [1, -1]


def test_invalidate():
    (s,), _ = upd(sym.invalidate())
    assert isinstance(s, d.InvalidateOp)


def test_update_chain_keeps_order():
    ops, _ = upd(sym.write("i", 1).swap("i", "j").shift("k", 0).invalidate(), hilbert=FOCK)
    assert [type(o) for o in ops] == [d.WriteOp, d.SwapOp, d.ShiftOp, d.InvalidateOp]


def test_update_cond_with_both_branches():
    upd_prog = sym.Update.cond(
        sym.site("i") > 0, if_true=sym.write("i", -1), if_false=sym.invalidate()
    )
    (c,), _ = upd(upd_prog)
    assert isinstance(c, d.CondOp) and isinstance(c.condition.owner, d.CmpOp)
    then_ops = [o for o in c.then_region.block.ops if isinstance(o, d.UPDATE_OPS)]
    else_ops = [o for o in c.else_region.block.ops if isinstance(o, d.UPDATE_OPS)]
    assert [type(o) for o in then_ops] == [d.WriteOp]
    assert [type(o) for o in else_ops] == [d.InvalidateOp]


def test_update_cond_one_branch_and_module_function():
    (c,), _ = upd(sym.cond(sym.site("j") == 1, sym.swap("i", "j")))
    assert isinstance(c, d.CondOp) and not list(c.else_region.block.ops)
    (c2,), _ = upd(sym.Update.cond(sym.site("j") == 1, if_false=sym.swap("i", "j")))
    assert not list(c2.then_region.block.ops) and list(c2.else_region.block.ops)


def test_update_then_and_when():
    ops, _ = upd(
        sym.write("i", 1).then(sym.swap("i", "j")).when(sym.site("k") > 0, sym.invalidate())
    )
    assert [type(o) for o in ops] == [d.WriteOp, d.SwapOp, d.CondOp]


# --------------------------------------------------------------------------- expressions


@pytest.mark.parametrize(
    ("make", "cls", "result"),
    [
        (lambda s: s**2, d.PowOp, d.f64),
        (lambda s: 2**s, d.PowOp, d.f64),
        (lambda s: abs(s), d.AbsOp, d.i64),
        (lambda s: -s, d.NegOp, d.i64),
        (lambda s: s + 1, d.AddOp, d.i64),
        (lambda s: 1 - s, d.SubOp, d.i64),
        (lambda s: s * 0.5, d.MulOp, d.f64),
        (lambda s: s / 2, d.DivOp, d.f64),
        (lambda s: sym.sqrt(s + 2), d.SqrtOp, d.f64),
        (lambda s: sym.exp(s), d.ExpOp, d.f64),
        (lambda s: sym.log(s + 2), d.LogOp, d.f64),
        (lambda s: sym.sin(s), d.SinOp, d.f64),
        (lambda s: sym.cos(s), d.CosOp, d.f64),
        (lambda s: sym.minimum(s, 0.5), d.MinOp, d.f64),
        (lambda s: sym.maximum(s, 0), d.MaxOp, d.i64),
        (lambda s: sym.select(s > 0, 1.0, s), d.SelectOp, d.f64),
        (lambda s: sym.conj(s * 1j), d.ConjOp, d.c64),
        (lambda s: sym.real(s * 1j), d.RealOp, d.f64),
        (lambda s: sym.imag(s * 1j), d.ImagOp, d.f64),
        (lambda s: sym.complex_(s, 1), d.ComplexOp, d.c64),
        (lambda s: sym.wrap_mod(s.value + 1), d.WrapModOp, d.i64),
    ],
)
def test_expression_op(make, cls, result):
    op, ir = amp_op(make(sym.site("i")), hilbert=FOCK)
    assert isinstance(op, cls) and op.results[0].type == result
    expected = "complex128" if result == d.c64 else "float64"
    assert ir.dtype_str == expected


def test_expr_methods():
    for make, cls in [
        (lambda s: s.value.abs(), d.AbsOp),
        (lambda s: s.value.sqrt(), d.SqrtOp),
        (lambda s: s.value.conj(), d.ConjOp),
        (lambda s: s.value.wrap_mod(), d.WrapModOp),
    ]:
        op, _ = amp_op(make(sym.site("i")), hilbert=FOCK)
        assert isinstance(op, cls)


@pytest.mark.parametrize(("fn", "cls"), [(sym.all_of, d.AndOp), (sym.any_of, d.OrOp)])
def test_all_of_any_of_are_n_ary(fn, cls):
    s = sym.site("i")
    ir = (
        sym.DOperator(FOCK, "l").for_each_site("i").where(fn(s > 0, s < 2, s != 1)).emit().build()
    ).to_ir()
    (where,) = ops_named(ir, "sym.where")
    assert isinstance(where.predicate.owner, cls) and len(where.predicate.owner.inputs) == 3


def test_logic_operators():
    s = sym.site("i")
    ir = (
        (sym.DOperator(FOCK, "l").for_each_site("i").where(~((s > 0) | (s < 2)) & (s == 1)).emit())
        .build()
        .to_ir()
    )
    (where,) = ops_named(ir, "sym.where")
    conj = where.predicate.owner
    assert isinstance(conj, d.AndOp)
    assert isinstance(conj.inputs[0].owner, d.NotOp)
    assert isinstance(conj.inputs[0].owner.input.owner, d.OrOp)


def test_equal_subexpressions_are_emitted_once():
    s = sym.site("i")
    _, ir = amp_op(s * s + s * s)
    assert len(ops_named(ir, "sym.mul")) == 1 and len(ops_named(ir, "sym.read")) == 1


def test_complex_constant_promotes_dtype():
    real = sym.DOperator(SPIN, "r").globally().emit(sym.identity(), 2.0).build()
    cplx = sym.DOperator(SPIN, "r").globally().emit(sym.identity(), 2.0j).build()
    assert real.dtype == "float64" and real.to_ir().dtype_str == "float64"
    assert cplx.dtype == "complex128" and "dtype complex<f64>" in str(cplx.to_ir())
    (c,) = ops_named(cplx.to_ir(), "sym.complex")
    assert const_f(c.re) == 0.0 and const_f(c.im) == 2.0


def const_f(value) -> float:
    return value.owner.value.value.data


def test_requested_complex_dtype():
    op = sym.DOperator(SPIN, "c", dtype="complex128").globally().emit().build()
    assert op.dtype == "complex128" and "dtype complex<f64>" in str(op.to_ir())
    op2 = sym.DOperator(SPIN, "c", dtype=complex).globally().emit().build()
    assert op2.to_ir() == op.to_ir()


# --------------------------------------------------------------------------- algebra


def simple(name="a", amp=1.0, hilbert=SPIN):
    return sym.DOperator(hilbert, name).for_each_site("i").emit(sym.write("i", 1), amp).build()


def test_scalar_multiplication():
    op = 2.0 * simple()
    assert isinstance(op, sym.SymbolicOperator)
    (em,) = emissions(op.to_ir())
    mul = amplitude_value(em).owner
    assert isinstance(mul, d.MulOp) and const_f(mul.lhs) == 2.0 and const_f(mul.rhs) == 1.0
    assert (simple() * 2.0).to_ir() == op.to_ir()


def test_multiplication_by_an_expression_on_either_side():
    h = sym.symbol("h", 0.5)
    left, right = h * simple(), simple() * h
    assert isinstance(left, sym.SymbolicOperator)
    assert left.to_ir() == right.to_ir() and left.to_ir().parameters == {"h": 0.5}
    (em,) = emissions(left.to_ir())
    assert isinstance(amplitude_value(em).owner.lhs.owner, d.ParamOp)
    assert (sym.site(0) * simple()).to_ir().term_count == 1


def test_negation():
    (em,) = emissions((-simple()).to_ir())
    mul = amplitude_value(em).owner
    assert isinstance(mul, d.MulOp) and const_f(mul.lhs) == -1.0


def test_sum_fuses_terms_into_one_operator():
    a = simple("a")
    b = sym.DOperator(SPIN, "b").globally().emit(sym.identity(), 0.5).named("diag").build()
    s = a + b
    ir = s.to_ir()
    assert isinstance(s, sym.SymbolicOperatorSum)
    assert len(list(ir.module.walk())) > 0 and len(ops_named(ir, "sym.operator")) == 1
    assert ir.term_count == 2
    assert [t.name for t in ir.terms] == ["a_0_term0", "b_1_diag"]
    assert [t.kind for t in ir.terms] == ["site", "global"]
    assert ir.operator_name == "a_plus_b"


def test_builtin_sum_and_difference():
    ops = [simple("a"), simple("b"), simple("c")]
    total = sum(ops)
    assert total.to_ir().term_count == 3 and isinstance(total, sym.SymbolicOperatorSum)
    assert len(total.operators) == 3
    diff = simple("a") - simple("b")
    assert diff.to_ir().term_count == 2
    (em,) = emissions(diff.to_ir(), term=1)
    assert const_f(amplitude_value(em).owner.lhs) == -1.0


def test_sum_dtype_promotes():
    s = simple("a") + simple("b", amp=1j)
    assert s.dtype == "complex128"
    s2 = simple("a") + 1j * simple("b")
    assert s2.dtype == "complex128"


def test_operator_times_operator_is_type_error():
    with pytest.raises(TypeError):
        simple() * simple()


# --------------------------------------------------------------------------- errors


BOOL_WORDS = ("&", "|", "~")


@pytest.mark.parametrize(
    "misuse",
    [
        lambda: (sym.site("i") > 0) and (sym.site("i") < 3),
        lambda: (sym.site("i") > 0) or (sym.site("i") < 3),
        lambda: not (sym.site("i") > 0),
        lambda: 0 < sym.site("i") < 3,
        lambda: 0 < sym.site("i").value < 3,
        lambda: bool(sym.site("i")),
        lambda: 1 if sym.site("i") == 1 else 0,
    ],
    ids=["and", "or", "not", "chained", "chained-value", "bool", "if"],
)
def test_python_logic_on_symbolic_values_raises(misuse):
    with pytest.raises(TypeError) as e:
        misuse()
    assert all(w in str(e.value) for w in BOOL_WORDS)


def test_attribute_typo_raises_at_definition():
    with pytest.raises(AttributeError, match="foo"):
        sym.site("i").foo  # noqa: B018
    with pytest.raises(AttributeError, match="valeu"):
        sym.site("i").valeu  # noqa: B018
    with pytest.raises(AttributeError):
        sym.site("i").value.foo  # noqa: B018


def expect_error(fn, exc, *words):
    with pytest.raises(exc) as e:
        fn()
    for w in words:
        assert w in str(e.value), (w, str(e.value))
    return e.value


def D(hilbert=SPIN):
    return sym.DOperator(hilbert, "x")


def test_label_not_in_term():
    expect_error(
        lambda: D().for_each_site("i").emit(sym.shift("j", 1)).build(),
        sym.SymbolicDefinitionError,
        '"j"',
        "not a label",
    )
    expect_error(
        lambda: D().for_each_site("i").where(sym.site("k") > 0).emit().build(),
        sym.SymbolicDefinitionError,
        '"k"',
        "not a label",
    )


def test_static_index_out_of_range():
    expect_error(
        lambda: D().globally().emit(sym.identity(), sym.source_index(99)).build(),
        sym.SymbolicDefinitionError,
        "99",
        "outside [0, 4)",
    )
    expect_error(
        lambda: D().globally().emit(sym.write(7, 1)).build(),
        sym.SymbolicDefinitionError,
        "7",
        "outside [0, 4)",
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda: D().for_each_site("i").where(sym.emitted("i") > 0).emit(),
        lambda: D().for_each_site("i").emit(sym.write("i", sym.emitted("i"))),
        lambda: D().globally().where(sym.target_index(0) > 0).emit(),
        lambda: D().for_each_site("i").emit_if(sym.emitted("i") > 0, sym.identity()),
        lambda: D().for_each_site("i").emit(sym.cond(sym.emitted("i") > 0, sym.invalidate())),
    ],
    ids=["where", "update", "target-where", "emit_if", "cond"],
)
def test_emitted_outside_matrix_element(make):
    expect_error(lambda: make().build(), sym.SymbolicDefinitionError, "emitted", "matrix element")


@pytest.mark.parametrize("pred", [sym.site("i"), 1.0, sym.symbol("h", 1.0)])
def test_non_boolean_where(pred):
    expect_error(
        lambda: D().for_each_site("i").where(pred).emit().build(),
        sym.SymbolicDefinitionError,
        "predicate",
        "must be i1",
    )


def test_term_without_emission():
    expect_error(lambda: D().for_each_site("i").build(), ValueError, "term0", "no emission")
    expect_error(
        lambda: D().globally().for_each_site("i").emit().build(), ValueError, "no emission"
    )


def test_operator_without_terms():
    expect_error(lambda: D().build(), ValueError, "no terms")


def test_permute_one_site():
    expect_error(lambda: sym.permute("i"), ValueError, "permute", "two sites")


def test_shift_mod_needs_contiguous_local_states():
    hi = sym.DiscreteHilbert((-1, 1), 3)
    expect_error(
        lambda: D(hi).for_each_site("i").emit(sym.shift_mod("i", 1)).build(),
        sym.SymbolicDefinitionError,
        "shift_mod",
        "contiguous",
    )
    expect_error(
        lambda: (
            D(sym.Spin(0.5, 3)).globally().emit(sym.identity(), sym.wrap_mod(sym.site(0))).build()
        ),
        sym.SymbolicDefinitionError,
        "wrap_mod",
        "contiguous",
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda: D().for_each(("i", "j"), over=[(0, 1), (1, 2, 3)]),
        lambda: D().for_each_triplet("a", "b", "c", over=[(0, 1)]),
        lambda: D().for_each_plaquette("a", "b", "c", "d", over=[(0, 1, 2)]),
        lambda: D().for_each("i", over=[(0, 1)]),
    ],
)
def test_row_of_wrong_arity(make):
    expect_error(make, ValueError, "row", "expected")


def test_rows_errors():
    expect_error(lambda: D().for_each(("i", "j"), over=[(0, 4)]), ValueError, "4", "outside")
    expect_error(lambda: D().for_each_triplet("a", "b", "c"), ValueError, "over=")
    expect_error(lambda: D().for_each(("i", "j"), over=[]), ValueError, "no rows")
    expect_error(lambda: D().for_each(("i", "j"), over=[(0.5, 1)]), ValueError, "integers")
    expect_error(lambda: D().for_each(("i", "i"), over=[(0, 1)]), ValueError, "distinct")


@pytest.mark.parametrize("method", ["fanout", "max_conn_size"])
def test_negative_fanout_hint(method):
    expect_error(lambda: getattr(D().for_each_site("i"), method)(-1), ValueError, "fan-out", "-1")


def test_clause_ordering_errors():
    expect_error(lambda: D().where(sym.site(0) > 0), ValueError, "where", "iterator")
    expect_error(lambda: D().emit(), ValueError, "emit", "iterator")
    expect_error(
        lambda: D().globally().emit().where(sym.site(0) > 0), ValueError, "before", "emissions"
    )
    expect_error(lambda: D().globally().emit_else(), ValueError, "emit_else", "emit_if")
    expect_error(lambda: D().globally().emit_elseif(sym.site(0) > 0), ValueError, "emit_elseif")
    expect_error(
        lambda: D().globally().emit(sym.identity(), 1.0, amplitude=2.0),
        ValueError,
        "matrix_element",
        "amplitude",
    )
    expect_error(lambda: D().globally().emit(3), TypeError, "Update")
    expect_error(
        lambda: D().globally().named("a").emit().globally().named("a").emit().build(),
        ValueError,
        "two terms named",
    )


def test_update_value_errors():
    expect_error(lambda: sym.write(0, 1.5), ValueError, "write value", "1.5")
    expect_error(
        lambda: D().globally().emit(sym.write(0, sym.site(1) * 0.5)).build(),
        sym.SymbolicDefinitionError,
        "write value",
        "i64",
    )
    expect_error(
        lambda: D().globally().emit(sym.write(0, 0)).build(),
        sym.SymbolicDefinitionError,
        "writes 0",
        "local state",
    )
    expect_error(lambda: sym.scatter([0, 1], [1]), ValueError, "2 sites", "1 values")
    expect_error(lambda: sym.cond(sym.site(0) > 0, 3), TypeError, "Update")
    expect_error(lambda: bool(sym.identity()), TypeError, "truth value")


def test_expression_type_errors():
    expect_error(
        lambda: D().globally().emit(sym.identity(), sym.minimum(1j, 2.0)).build(),
        sym.SymbolicDefinitionError,
        "min",
        "complex",
    )
    expect_error(
        lambda: D().globally().where(sym.symbol("a", 1j) < 1).emit().build(),
        sym.SymbolicDefinitionError,
        "lt",
        "complex",
    )
    expect_error(lambda: sym.symbol("not an id"), ValueError, "identifier")
    expect_error(lambda: sym.symbol("J", "1"), TypeError, "default")
    expect_error(lambda: sym.site("i") + "x", TypeError, "symbolic expression")


def test_parameter_declared_with_two_defaults():
    expect_error(
        lambda: (
            D()
            .globally()
            .emit(sym.identity(), sym.symbol("J", 1.0))
            .emit(sym.identity(), sym.symbol("J", 2.0))
            .build()
        ),
        sym.SymbolicDefinitionError,
        '"J"',
        "declared twice",
    )


def test_sum_on_different_hilbert_spaces():
    a = simple("a")
    b = simple("b", hilbert=sym.Fock(1, 4))
    expect_error(lambda: a + b, ValueError, "different Hilbert spaces")


def test_bad_dtype_and_hilbert():
    expect_error(lambda: sym.DOperator(SPIN, "x", dtype="int32"), ValueError, "dtype")
    expect_error(lambda: sym.DOperator(object(), "x"), TypeError, "Hilbert")


def test_constant_sites_and_complex_constants_are_shared_nodes():
    """`site(i)` for a flat index is one selector, its value and `-site(i)` one node
    each; complex constants are one node per value and signs of its zero parts; bad
    sites are refused as before."""
    from symir.frontend.expr import as_expr

    assert sym.site(5) is sym.site(5) and (-sym.site(5)) is (-sym.site(5))
    assert sym.site(5).value is sym.site(5).value and sym.site(5) is not sym.emitted(5)
    assert sym.site("i") is not sym.site("i")  # labels: a selector per call, as before
    assert as_expr(-1j) is as_expr(-1j)
    plus, minus = as_expr(complex(0.0, -1.0)), as_expr(complex(-0.0, -1.0))
    assert plus is not minus
    assert [math.copysign(1, e.args[0].args[0]) for e in (plus, minus)] == [1, -1]
    with pytest.raises(TypeError, match="site must be"):
        sym.site(True)
    with pytest.raises(ValueError, match=">= 0"):
        sym.site(-1)
    with pytest.raises(TypeError, match="site must be"):
        sym.write(1.0, -sym.site(1))


def test_constants_that_differ_in_the_sign_of_a_zero_are_two_values():
    """`log(-1 + 0.0j) - log(-1 - 0.0j)` is `2 pi i`: the two `0.0`s are two constants
    (the emitter's memo once took `-0.0` for `0.0`, and the element was 0), in the
    kernel and in the reference interpreter."""
    import numpy as np

    from symir.interpreter import reference_get_conn

    one, zero = sym.complex_(-1.0, 0.0), sym.complex_(-1.0, -0.0)
    cases = (
        (sym.log(one) - sym.log(zero), 2j * np.pi),
        (sym.log(zero) + 2 * sym.log(one), 1j * np.pi),
    )
    for element, expected in cases:
        op = D().globally().emit(sym.identity(), matrix_element=element).build()
        x = np.array([[1, -1, 1, -1]])
        mels = np.asarray(op.compile().get_conn_padded(x)[1])
        assert mels.shape == (1, 1) and abs(mels[0, 0] - expected) < 1e-12, mels
        reference = reference_get_conn(op, x[0])[1]
        assert abs(reference.sum() - expected) < 1e-12, reference


def test_zero_dimensional_arrays_are_numbers():
    """`jnp.array(0.5)` or `np.array(2)` as a coefficient is its number (was a TypeError
    'cannot use Array(...)'); a traced JAX value is refused, pointing to `sym.symbol`."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    def flips(coefficient):
        return (
            D()
            .for_each_site("i")
            .emit(sym.write("i", -sym.site("i")), matrix_element=coefficient)
            .build()
        )

    x = np.array([[1, 1, 1, 1]])
    for coefficient, value in ((jnp.array(0.5), 0.5), (np.array(2), 2.0), (jnp.array(1j), 1j)):
        mels = np.asarray(flips(coefficient).compile().get_conn_padded(x)[1])
        assert np.allclose(mels[mels != 0], value) and (mels != 0).sum() == 4
        scaled = np.asarray((coefficient * flips(1.0)).compile().get_conn_padded(x)[1])
        assert np.allclose(scaled[scaled != 0], value)
    expect_error(lambda: flips(np.array([1.0, 2.0])), TypeError, "cannot use")
    expect_error(lambda: jax.jit(flips)(0.5), TypeError, "traced value", "sym.symbol")
