"""Every place an op with a derivative and a StableHLO counterpart is written has a test
that names it when it is missing (docs/adding-an-op.md, "Where a new op is written").

The op table (`sym.EXPRESSION_OPS`), the rule table (`DERIVATIVES` of
lowering/derivatives.py) and the `Stablehlo` dialect are the sources, each derived from
the classes and functions as they are written (`operations_defined_in`, `@rule`); these
tests ask for the lit cases no test can generate. What is derived is tested elsewhere:
every rule against finite differences (`test_derivatives.py`), every StableHLO one-op
lowering round-tripped and executed through its `sym` op (`test_op_table.py`), every docs
row generated (`test_docs_tables.py`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from symir.dialects.stablehlo import Stablehlo
from symir.lowering import derivatives
from symir.lowering.conversion.convert_branch_to_stablehlo import ELEMENTWISE

ROOT = Path(__file__).resolve().parents[3]
STABLEHLO_CLASSES = {op.name: op for op in Stablehlo.operations}
ONE_OP_LOWERINGS = {op.name for op in ELEMENTWISE.values()}
STABLEHLO_OPS = sorted(set(STABLEHLO_CLASSES) - ONE_OP_LOWERINGS)
"""The StableHLO ops that need a lit case and an executed case of their own: a one-op
lowering of a `branch` elementwise op (`ELEMENTWISE`) is round-tripped and executed through
its `sym` op by `test_op_table.py::test_every_op_round_trips_and_runs_through_stablehlo`."""
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


@pytest.mark.parametrize("mnemonic", RULES)
def test_every_rule_has_a_lit_case(mnemonic):
    path = ROOT / "tests/lit/lowering/sym/sym-differentiate.mlir"
    word = rf"sym\.{mnemonic}\b"
    assert re.search(word, _code(path)), (
        f"the derivative rule of 'sym.{mnemonic}' has no case in {path.relative_to(ROOT)}"
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
