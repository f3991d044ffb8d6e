"""The docs site: its generated reference (docs/gen_reference.py) covers every op and pass,
every op has a docstring example and a lit case, the level diagram is current, and every
page is in the nav. `mkdocs build --strict` itself runs in .ci/run (the `docs` extra)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from symir.dialects import get_all_dialects
from symir.lowering import _PASSES, get_all_passes

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


gen = _load("symir_docs_gen_reference", DOCS / "gen_reference.py")
levels = _load("symir_docs_levels", DOCS / "images" / "levels.py")
DIALECTS = list(get_all_dialects())


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    return gen.pages()


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_op_has_a_docstring_example(dialect):
    ops = gen.dialect_data(dialect).ops
    assert gen.missing_examples(ops) == [], "ops without an ```mlir example in the docstring"


def test_an_op_without_an_example_is_found():
    class NoExample:
        """An op whose docstring shows no IR."""

        name = "test.no_example"

    class Example:
        """An op.

        ```mlir
        test.example
        ```
        """

        name = "test.example"

    assert gen.missing_examples([NoExample, Example]) == ["test.no_example"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_op_has_a_lit_case(dialect):
    data = gen.dialect_data(dialect)
    missing = [op.name for op in gen.unused_ops(data)]
    assert missing == [], f"ops used by no case under tests/lit/dialects/{dialect}/"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_verifier_has_an_invalid_case(dialect):
    data = gen.dialect_data(dialect)
    assert gen.uncovered_verifiers(data) == []
    assert sum(len(cases) for cases in data.invalid.values()) > 0


def test_invalid_cases_are_attributed_to_their_op():
    sym = gen.dialect_data("sym")
    messages = [gen.case_message(c) for c in sym.invalid["sym.operator"]]
    assert "'sym.operator' @op needs at least one site, got 0" in messages
    # the description names the op whose verifier raises, not the op the message names
    assert any(
        "expects parent op 'sym.operator'" in gen.case_message(c) for c in sym.invalid["sym.term"]
    )
    # a case with no description and no op in its message: the one op it uses
    stablehlo = gen.dialect_data("stablehlo")
    assert any("'rhs'" in gen.case_message(c) for c in stablehlo.invalid["stablehlo.add"])


def test_case_attribution_rules():
    case = gen.LitCase(
        "dialects/sym/x.mlir", 1, 1, "", ("some parse error",), (), '"sym.write"(%a, %b)'
    )
    names = {"sym.write", "sym.shift"}
    assert gen.case_subjects(case, names) == {"sym.write"}
    both = gen.LitCase("f", 1, 1, "", ("error",), (), "sym.write %a, %b\nsym.shift %a, %b")
    assert gen.case_subjects(both, names) == set()


@pytest.mark.parametrize("dialect", DIALECTS)
def test_reference_has_a_section_per_op(pages, dialect):
    page = pages[f"reference/dialects/{dialect}.md"]
    for op in get_all_dialects()[dialect]().operations:
        assert f"## `{op.name}` {{ #{op.name.replace('.', '-')} }}" in page, op.name


def test_every_pass_has_a_section_and_a_lit_file(pages):
    page = pages["reference/passes.md"]
    for name in get_all_passes():
        assert f"## `{name}` {{ #{name} }}" in page, name
    assert [n for n in _PASSES if not gen.pass_lit_files(n)] == []
    assert gen.pass_lit_files("symir-lower") == ["lowering/pipelines-symir-lower.mlir"]


def test_pass_options_come_with_their_docstrings(pages):
    page = pages["reference/passes.md"]
    section = page.split("## `symir-lower`")[1].split("\n## ")[0]
    assert (
        f"| {gen.name_cell('coalesce_diagonal')} | `bool` | `True` | Run `branch-coalesce-diagonal`"
    ) in section


def test_every_pass_option_has_a_description():
    assert gen.undocumented_options() == []
    assert "target" in gen.field_docs(get_all_passes()["branch-choose-lowering"]())


def test_an_option_without_a_description_is_found():
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Options:
        first: str = "a"  # the next field's string default is no docstring
        second: str = "b"
        third: int = 0
        """documented"""

    assert gen.field_docs(Options) == {"third": "documented"}


def test_names_in_reference_tables_do_not_wrap(pages):
    """Every name in the first column of a reference table is kept on one line."""
    nowrap = '<code style="white-space: nowrap">'
    for uri in ["reference/passes.md", *(f"reference/dialects/{d}.md" for d in DIALECTS)]:
        rows = [r for r in pages[uri].splitlines() if r.startswith("| ") and "---" not in r]
        names = [r.split(" | ")[0] for r in rows if "`" in r.split(" | ")[0] or "<code" in r]
        assert names, uri
        wrapping = [c for c in names if nowrap not in c]
        assert not wrapping, (uri, wrapping[:3])
    assert (
        f"| [{nowrap}sym.read_emitted</code>](#sym-read_emitted) |"
        in pages["reference/dialects/sym.md"]
    )
