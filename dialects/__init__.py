"""`symir.dialects`: the IR levels of symir, one xDSL dialect per module or package.

- `sym/`: the symbolic level (operator, terms, predicates, emissions, updates, and the
  expression ops, which are the table the DSL, the interpreter and the conversions derive
  from);
- `branch/`: the vectorised level (tensors of branches, `!branch.state`);
- `stablehlo/`: the subset of StableHLO symir emits, split by op category;
- `types.py`: what the levels share (type promotion, numeric constraints, the comparison
  predicate, numpy <-> MLIR element types);
- `printing.py`: xDSL's printer with large dense arrays printed in one piece.

Adding a dialect: a module here with its `Dialect` object, one entry in `_DIALECTS`
below, `tests/lit/dialects/<name>/ops.mlir` and `invalid.mlir`, and
`docs/dialects/<name>.md`. Dialects are loaded lazily (`get_all_dialects`), so tools that
need only one never import the others.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from io import StringIO

from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Dialect

_DIALECTS: dict[str, tuple[str, str]] = {
    "sym": ("sym", "Sym"),
    "branch": ("branch", "Branch"),
    "stablehlo": ("stablehlo", "Stablehlo"),
}
"""Dialect name -> (module under `symir.dialects`, the `Dialect` object's name)."""

LEVELS = ("sym", "branch", "stablehlo")
"""The IR levels, from the DSL's down to the executed one."""


def _lazy(module: str, name: str) -> Callable[[], Dialect]:
    def factory() -> Dialect:
        return getattr(import_module(f"{__name__}.{module}"), name)

    return factory


def get_all_dialects() -> dict[str, Callable[[], Dialect]]:
    """symir's dialects: name -> factory returning the `Dialect` (imported lazily)."""
    return {name: _lazy(module, obj) for name, (module, obj) in _DIALECTS.items()}


def level_of(module: ModuleOp) -> str:
    """The level a module is at, read from the IR: the dialect of its top-level op
    (`sym.operator`, `branch.kernel`), or `stablehlo` for a `func.func` kernel."""
    names = {op.dialect_name() for op in module.ops}
    for level in LEVELS:
        if level in names:
            return level
    if "func" in names:
        return "stablehlo"
    raise ValueError(f"a module of no symir level (top-level dialects: {sorted(names)})")


def print_module(module: ModuleOp, *, generic: bool = False) -> str:
    """The printed form of `module` (custom form unless `generic`), as xDSL's printer
    gives it (large dense arrays printed in one piece: `printing.ArrayPrinter`)."""
    from symir.dialects.printing import ArrayPrinter

    out = StringIO()
    ArrayPrinter(stream=out, print_generic_format=generic).print_op(module)
    return out.getvalue()


__all__ = ["LEVELS", "get_all_dialects", "level_of", "print_module"]
