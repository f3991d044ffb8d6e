"""The dialects split into modules by role offer everything at the package.

`sym/` and `branch/` (like `stablehlo/`) define their ops in one module per role and
re-export them from `__init__.py`: `from symir.dialects.sym import X` and `sym.X` work
whichever module defines `X`. The expression ops (`sym.EXPRESSION_OPS`) and their `branch`
counterparts (`branch.COUNTERPARTS`, most of them generated) are names of the package by
themselves; any other new op or helper must be imported in the package's `__init__.py`
and named in `__all__`. These tests name the ones that are not.
"""

from __future__ import annotations

import ast
from importlib import import_module
from pathlib import Path

import pytest

from symir.dialects import get_all_dialects

SPLIT = ["sym", "branch"]


def public_definitions(file: Path) -> list[str]:
    """The public names a module defines at its top level (classes, functions, constants)."""
    names = []
    for node in ast.parse(file.read_text()).body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef):
            names.append(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names += [t.id for t in targets if isinstance(t, ast.Name)]
    return [n for n in names if not n.startswith("_")]


@pytest.mark.parametrize("name", SPLIT)
def test_every_public_name_of_a_module_is_exported_by_the_package(name):
    package = import_module(f"symir.dialects.{name}")
    missing = []
    for file in sorted(Path(package.__file__).parent.glob("*.py")):
        if file.stem == "__init__":
            continue
        module = import_module(f"symir.dialects.{name}.{file.stem}")
        missing += [
            f"{file.stem}.{n}"
            for n in public_definitions(file)
            if n not in package.__all__ or getattr(package, n, None) is not getattr(module, n)
        ]
    assert missing == [], f"import them in dialects/{name}/__init__.py and name them in __all__"


@pytest.mark.parametrize("name", [*SPLIT, "stablehlo"])
def test_every_op_of_the_dialect_is_a_name_of_the_package(name):
    package = import_module(f"symir.dialects.{name}")
    dialect = get_all_dialects()[name]()
    missing = [
        op.__name__
        for op in dialect.operations
        if getattr(package, op.__name__, None) is not op or op.__name__ not in package.__all__
    ]
    assert missing == [], f"ops of {name} that symir.dialects.{name} does not offer"
