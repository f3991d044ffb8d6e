"""The generated op tables of the docs (docs/gen_tables.py) are what the code says now:
a new expression op, StableHLO op or derivative rule needs no row written by hand, and a
stale page fails here, naming the table and the command that regenerates it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _load():
    spec = importlib.util.spec_from_file_location("symir_docs_gen_tables", DOCS / "gen_tables.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = _load()


@pytest.mark.parametrize("name", sorted(gen.TABLES))
def test_the_generated_table_is_current(name):
    page, make = gen.TABLES[name]
    text = (DOCS / page).read_text()
    assert gen.regenerate(text, name, make()) == text, (
        f"the table {name!r} of docs/{page} is stale: run python docs/gen_tables.py"
    )


def test_every_op_and_rule_has_its_generated_row():
    from symir.dialects import stablehlo, sym
    from symir.lowering.derivatives import DERIVATIVES

    text = {page: (DOCS / page).read_text() for page, _ in gen.TABLES.values()}
    for op in sym.EXPRESSION_OPS.values():
        assert f"| `{op.name}` |" in text["dialects/sym.md"], op.name
    for op in stablehlo.OPERATIONS:
        assert f"| `{op.name}` |" in text["dialects/stablehlo.md"], op.name
    for mnemonic in DERIVATIVES:
        assert f"`{mnemonic}`" in gen.derivative_rules(), mnemonic


def test_a_page_without_the_markers_is_named():
    with pytest.raises(ValueError, match="no '<!-- generated: x -->'"):
        gen.regenerate("no markers here", "x", "| table |")
    stale = gen.regenerate("a\n<!-- generated: x -->\nold\n<!-- end: x -->\nb", "x", "new")
    assert stale == "a\n<!-- generated: x -->\nnew\n<!-- end: x -->\nb"
