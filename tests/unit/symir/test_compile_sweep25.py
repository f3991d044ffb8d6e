"""Compile-time sweep 25: DSL rewrites that grew exponentially with the depth of an
expression DAG. Each test checks the structure of the work (calls), never a wall-clock
time."""

from __future__ import annotations

import pytest

import symir as sym
from symir.errors import SymbolicDefinitionError
from symir.frontend import product
from symir.frontend.expr import Expr
from symir.testing import dense_matrix


def _conditional_swaps(k: int, n: int = 4) -> sym.SymbolicOperator:
    """One branch whose update swaps sites 0 and 1 under each of `k` conditions in turn:
    after it, x'[0] is a chain of k selects whose two arms share the chain below."""
    u = sym.identity()
    for m in range(k):
        u = u.when(sym.site(m % n) > 0, sym.identity().swap(0, 1), sym.identity())
    return sym.DOperator(sym.Spin(0.5, n), "c").globally().emit(u, matrix_element=1.0).build()


def test_product_asks_once_per_value_whether_it_is_a_local_state(monkeypatch):
    """`a @ b` checks that the values `a` writes are local states (`_local`) through
    selects, both arms: a chain of k conditional swaps was 2^k calls (k = 22: 2.1 s,
    and growing 2x a swap); by identity, once per distinct value."""
    calls = []
    local = product._local

    def counted(*args):
        calls.append(args[0])
        return local(*args)

    monkeypatch.setattr(product, "_local", counted)
    op = _conditional_swaps(16)
    x = sym.DOperator(op.space, "x").globally().emit(sym.write(0, -sym.site(0)), 1.0).build()
    op @ x
    assert calls and len(calls) < 500  # 2^16 = 65,536 without the memo

    small = _conditional_swaps(5)
    assert (dense_matrix(small @ x) == dense_matrix(small) @ dense_matrix(x)).all()


def test_adjoint_refusal_names_a_shared_value_without_printing_it_whole(monkeypatch):
    """`.T` of a product after a chain of k conditional swaps is refused (a select has
    no inverse), and the message printed the value: its repr prints the shared arms
    once per path, 2^k copies (k = 20: 40 MB and 4 s for one error). It names its first
    characters and its length, computed once per distinct node."""
    op = _conditional_swaps(16)
    x = sym.DOperator(op.space, "x").globally().emit(sym.write(0, -sym.site(0)), 1.0).build()
    p = op @ x
    calls = []
    expr_repr = Expr.__repr__

    def counted(self):
        calls.append(self.op)
        return expr_repr(self)

    monkeypatch.setattr(Expr, "__repr__", counted)
    with pytest.raises(SymbolicDefinitionError, match=r"cannot invert .* characters\)"):
        p.transpose()
    assert len(calls) < 1000  # the whole repr: over 2^16 nodes printed


def test_an_expression_nested_past_the_recursion_limit_is_a_definition_error():
    """`sum(...)` of 1,000 products is a chain 1,000 deep: the compiler's recursive walks
    raised a bare RecursionError at build; now a SymbolicDefinitionError that says what
    to write instead."""
    # a long sum at the top of a matrix element, or in a product, is split
    # (test_wide_terms.py), not one under abs
    amp = abs(sum(sym.site(i % 8) * sym.site((i + 1) % 8) for i in range(1000)))
    d = sym.DOperator(sym.Spin(0.5, 8), "deep").globally()
    with pytest.raises(SymbolicDefinitionError, match="'deep': an expression is nested too"):
        d.emit(sym.identity(), matrix_element=amp).build()
