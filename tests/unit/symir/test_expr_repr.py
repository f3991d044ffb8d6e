"""`repr` of a DSL expression (`Expr.__repr__`, `bounded_repr`): a shared subexpression
was printed once per path to it (2^k copies for a chain of k selects over one value: a
repr in an error message hung), and a chain thousands deep raised RecursionError."""

from __future__ import annotations

import re

import symir as sym
from symir.frontend.expr import REPR_LIMIT, bounded_repr


def _shared_chain(k: int):
    e = sym.site(0) * 1.0
    for j in range(k):
        e = sym.select(sym.site(j % 4) > 0, e, e * 2.0)  # e twice: 2^k paths
    return e


def test_a_shared_chain_of_sixty_selects_is_printed_by_its_first_characters():
    text = repr(_shared_chain(60))
    assert text.startswith("select(cmp('gt', read(const(3)), const(0)), select(")
    found = re.search(r" \.\.\. \(([\d,]+) characters\)$", text)
    assert found and int(found.group(1).replace(",", "")) > 2**60
    assert len(text) < 200


def test_a_sum_five_thousand_deep_is_printed_without_recursion():
    text = repr(sum(sym.site(i % 8) * 1.0 for i in range(5000)))
    assert text.startswith("add(add(add(") and text.endswith(" characters)")


def test_a_short_expression_is_printed_whole_as_before():
    e = sym.site("i") * 2 + sym.select(sym.site(1) > 0, 1.5, -0.5)
    assert repr(e) == (
        "add(mul(read(label('i')), const(2)), select(cmp('gt', read(const(1)), const(0)), "
        "const(1.5), const(-0.5)))"
    )
    long = sum(sym.site(i % 8) * 1.0 for i in range(60))
    assert len(repr(long)) <= REPR_LIMIT and "..." not in repr(long)
    assert bounded_repr(long, 100).endswith(f"({len(repr(long)):,} characters)")
