"""`symir-opt`: xDSL's opt driver with symir's dialects and passes registered.

It never imports JAX: dialects and passes are registered through factories that import
their module only when used, and none of them touches JAX.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from xdsl.ir import Dialect
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import DiagnosticException, ParseError, VerifyException
from xdsl.xdsl_opt_main import xDSLOptMain


def _sym() -> Dialect:
    from symir.dialects.sym import Sym

    return Sym


def _branch() -> Dialect:
    from symir.dialects.branch import Branch

    return Branch


def _stablehlo() -> Dialect:
    from symir.dialects.stablehlo import Stablehlo

    return Stablehlo


SYMIR_DIALECTS: dict[str, Callable[[], Dialect]] = {
    "sym": _sym,
    "branch": _branch,
    "stablehlo": _stablehlo,
}
"""The project's dialects, by name."""

SYMIR_PASSES: dict[str, Callable[[], type[ModulePass]]] = {}
"""The project's passes, by their MLIR-style name (filled in by `register_symir_pass`)."""


def register_symir_pass(name: str, factory: Callable[[], type[ModulePass]]) -> None:
    SYMIR_PASSES[name] = factory


def _register_builtin_passes() -> None:
    # Each entry imports its pass module lazily: symir-opt stays JAX-free and fast.
    from symir.tools.pass_registry import PASS_FACTORIES

    for name, factory in PASS_FACTORIES.items():
        register_symir_pass(name, factory)


class SymirOptMain(xDSLOptMain):
    """xDSLOptMain with the sym, branch and stablehlo dialects and symir's passes."""

    def register_all_dialects(self):
        super().register_all_dialects()
        for name, factory in SYMIR_DIALECTS.items():
            if name not in self.ctx.registered_dialect_names:
                self.ctx.register_dialect(name, factory)

    def register_all_passes(self):
        super().register_all_passes()
        _register_builtin_passes()
        for name, factory in SYMIR_PASSES.items():
            self.register_pass(name, factory)

    def apply_passes(self, prog):
        # Verify the input even when no pass runs, so broken IR is always reported.
        prog.verify()
        super().apply_passes(prog)


def main(args: list[str] | None = None) -> None:
    try:
        SymirOptMain(description="symir modular optimizer driver", args=args).run()
    except (ParseError, VerifyException, DiagnosticException) as e:
        print(f"symir-opt: error: {e}", file=sys.stderr)
        sys.exit(1)
    except Exception as e:  # a pass failed: report it, not a traceback (SYMIR_DEBUG=1 shows it)
        if os.environ.get("SYMIR_DEBUG"):
            raise
        print(f"symir-opt: error: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
