"""What MLIR's verifier refuses in a whole module and xDSL's does not, so that a module
symir-opt verifies is one jaxlib accepts.

- SSA dominance (`symir.dialects.dominance.check_dominance`);
- symbol declarations: a `func.func` without a body is a declaration, and MLIR's symbol
  table refuses a public one ("symbol declaration cannot have public visibility"); it
  must be `func.func private @f(...)`. xDSL's `func.func` verifier accepts it.

`verify_module(module)` runs xDSL's verifier and both checks; the tools (`symir-opt`, the
fuzz harness) call it on what they read.
"""

from __future__ import annotations

from xdsl.ir import Operation
from xdsl.utils.exceptions import VerifyException

from symir.dialects.dominance import check_dominance


def check_declarations(op: Operation) -> None:
    """Every body-less `func.func` inside `op` is private."""
    for inner in op.walk():
        if inner.name != "func.func" or inner.regions[0].blocks:
            continue
        visibility = inner.properties.get("sym_visibility") or inner.attributes.get(
            "sym_visibility"
        )
        if getattr(visibility, "data", "public") == "public":
            name = inner.properties["sym_name"].data  # type: ignore[union-attr]
            raise VerifyException(
                f"'func.func' @{name} has no body: a declaration must be private "
                f"(`func.func private @{name}(...)`), MLIR refuses a public one"
            )


def verify_module(module: Operation) -> None:
    """xDSL's verifier, then SSA dominance and the declarations' visibility."""
    module.verify()
    check_dominance(module)
    check_declarations(module)


__all__ = ["check_declarations", "verify_module"]
