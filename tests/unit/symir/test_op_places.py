"""Every place an op with a derivative and a StableHLO counterpart is written has a test
that names it when it is missing (docs/adding-an-op.md, "Where a new op is written").

The op table (`sym.EXPRESSION_OPS`), the rule table (`DERIVATIVES` of
lowering/derivatives.py) and the `Stablehlo` dialect are the sources; these tests ask
each of them for its lit case, its executed or finite-difference case and its docs row.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from symir.dialects.stablehlo import Stablehlo
from symir.lowering import derivatives

ROOT = Path(__file__).resolve().parents[3]
STABLEHLO_CLASSES = {op.name: op for op in Stablehlo.operations}
STABLEHLO_OPS = sorted(STABLEHLO_CLASSES)
RULES = sorted(derivatives.DERIVATIVES)


def _code(path: Path) -> str:
    """Return the lines of a lit file that are not comments."""
    lines = path.read_text().splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith("//"))


def _checks(path: Path) -> str:
    """Return the CHECK lines of a lit file."""
    return "\n".join(line for line in path.read_text().splitlines() if "CHECK" in line)


def _table_rows(path: Path) -> list[str]:
    """Return the rows of the Markdown tables of a docs page."""
    return [line for line in path.read_text().splitlines() if line.startswith("| ")]


@pytest.mark.parametrize("name", STABLEHLO_OPS)
def test_every_stablehlo_op_has_a_lit_round_trip_case(name):
    path = ROOT / "tests/lit/dialects/stablehlo/ops.mlir"
    word = rf"{re.escape(name)}\b"
    assert re.search(word, _code(path)) and re.search(word, _checks(path)), (
        f"'{name}' has no round-trip case with CHECK lines in {path.relative_to(ROOT)}"
    )


@pytest.mark.parametrize("name", STABLEHLO_OPS)
def test_every_stablehlo_op_has_an_executed_case(name):
    op = STABLEHLO_CLASSES[name]
    path = ROOT / "tests/unit/dialects/test_stablehlo_ops.py"
    text = path.read_text()
    assert re.search(rf"\bsh\.{op.__name__}\b|{re.escape(name)}\b", text), (
        f"'{name}' is never executed through JAX: add a case using sh.{op.__name__} to "
        f"{path.relative_to(ROOT)}"
    )


@pytest.mark.parametrize("name", STABLEHLO_OPS)
def test_every_stablehlo_op_has_a_docs_row(name):
    path = ROOT / "docs/dialects/stablehlo.md"
    rows = [row.split("|")[1] for row in _table_rows(path)]
    assert any(re.search(rf"`{re.escape(name)}`", cell) for cell in rows), (
        f"'{name}' has no row in the op tables of {path.relative_to(ROOT)}"
    )


@pytest.mark.parametrize("mnemonic", RULES)
def test_every_rule_has_a_lit_case(mnemonic):
    path = ROOT / "tests/lit/lowering/sym/sym-differentiate.mlir"
    word = rf"sym\.{mnemonic}\b"
    assert re.search(word, _code(path)), (
        f"the derivative rule of 'sym.{mnemonic}' has no case in {path.relative_to(ROOT)}"
    )


@pytest.mark.parametrize("mnemonic", RULES)
def test_every_rule_has_a_finite_difference_entry(mnemonic):
    path = ROOT / "tests/unit/symir/test_derivatives.py"
    text = path.read_text()
    table = text[text.index("\nRULES = {") : text.index("\n}\n", text.index("\nRULES = {"))]
    assert re.search(rf'^    "{mnemonic}(_\w+)?":', table, re.M), (
        f"the derivative rule of 'sym.{mnemonic}' has no entry in RULES of "
        f"{path.relative_to(ROOT)} (finite differences)"
    )


@pytest.mark.parametrize("mnemonic", RULES)
def test_every_rule_has_a_docs_row(mnemonic):
    path = ROOT / "docs/derivatives.md"
    text = path.read_text()
    rules = text[text.index("| op | tangent |") :].split("\n\n", 1)[0]
    cells = [row.split("|")[1] for row in rules.splitlines()[2:]]
    assert any(re.search(rf"`{mnemonic}`", cell) for cell in cells), (
        f"the derivative rule of 'sym.{mnemonic}' has no row in the rule table of "
        f"{path.relative_to(ROOT)}"
    )


def _defined_stablehlo_ops() -> list[type]:
    """Return the op classes defined in the modules of dialects/stablehlo/."""
    import inspect

    from symir.dialects.stablehlo import (
        contraction,
        elementwise,
        indexing,
        reduction,
        tensor,
    )

    found = []
    for module in (contraction, elementwise, indexing, reduction, tensor):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            name = getattr(cls, "name", None)
            if cls.__module__ == module.__name__ and isinstance(name, str):
                found.append(cls)
    return found


def test_every_defined_stablehlo_op_is_in_the_dialect_and_exported():
    import symir.dialects.stablehlo as package

    listed = set(Stablehlo.operations)
    for op in _defined_stablehlo_ops():
        assert op in listed, (
            f"'{op.name}' ({op.__module__}.{op.__name__}) is not in the Stablehlo list of "
            "dialects/stablehlo/__init__.py"
        )
        assert op.__name__ in package.__all__, (
            f"'{op.name}': import {op.__name__} in dialects/stablehlo/__init__.py and name it "
            "in __all__"
        )


def test_every_expression_op_class_is_in_the_table():
    import inspect

    from symir.dialects.sym import expression_ops

    table = set(expression_ops.EXPRESSION_OPS.values())
    for _, cls in inspect.getmembers(expression_ops, inspect.isclass):
        defined_here = cls.__module__ == expression_ops.__name__
        if defined_here and issubclass(cls, expression_ops.ExpressionOp):
            if isinstance(getattr(cls, "name", None), str):
                assert cls in table, (
                    f"'{cls.name}' ({cls.__name__}) is not in EXPRESSION_OPS of "
                    "dialects/sym/expression_ops.py"
                )


GUIDE = ROOT / "docs/adding-an-op.md"


def test_the_guide_s_table_of_places_is_true():
    """The guide's count of files and places is its table's, and each test it names exists."""
    text = GUIDE.read_text()
    section = text[text.index("## Every place, and the test that names it") :]
    table = section[section.index("| place | file |") :].split("\n\n", 1)[0]
    rows = table.splitlines()[2:]
    files = set()
    for row in rows:
        _, _, file, test, _ = (cell.strip() for cell in row.split("|"))
        file, test = file.strip("`"), test.split("`")[1]
        assert (ROOT / file).exists(), file
        files.add(file)
        path, name = test.split("::")
        assert re.search(rf"^def {name}\(", (ROOT / path).read_text(), re.M), test
    m = re.search(r"is written in (\d+) files, (\d+) places", section)
    assert m is not None, "the guide states the count of files and places"
    assert (int(m[1]), int(m[2])) == (len(files), len(rows))
