"""`DerivedKernels`: the kernels made from one operator's `branch` level.

A compile lowers an operator once, to the `get_conn_padded` kernel. The other kernels a
`CompiledOperator` may need are made from that lowering's `branch` level (after every
branch pass), on first use, by the passes that make them:

- `derivatives(order)`: the derivative kernel of order `order` (`branch-differentiate`
  applied `order` times; `symir.lowering.pipelines.lower_derivatives`), which `jax.grad`
  with respect to the parameters calls;
- `tables()`: the table-derivative kernel and the names of its records
  (`branch-differentiate{tables=true}`; `lower_table_derivatives`);
- `deltas(order)`: the delta kernel (`branch-return-deltas`; `lower_deltas`), for
  `get_conn_delta` and the fast-update local energies;
- `slot_kinds()`: what each slot of the kernel can hold (`slot_kinds.kernel_slot_kinds`),
  for the local-energy plan.

Each returns StableHLO text (or data); the runtime loads it. The compiler's lowerer gives
the runtime the `DerivedKernels` of the module its lowering kept
(`DerivedKernels.of(result)`): nothing is printed, parsed or lowered again up to the `branch`
level. An artifact loaded from a store, which holds the printed levels, gets
`DerivedKernels.from_text(levels["branch"])` (parsed on first use). This is the one seam
between the runtime and the lowering: the runtime reads kernels from the object it was
given (`KernelSource` in `symir.runtime.compiled`) and imports no pass.
"""

from __future__ import annotations

import threading
from typing import Any

from xdsl.context import Context
from xdsl.dialects.builtin import Builtin, ModuleOp
from xdsl.parser import Parser

from symir.dialects import branch, print_module


class DerivedKernels:
    """The kernels made from one `branch` module (a private copy, never mutated), each
    made once, on first use."""

    def __init__(self, module: ModuleOp | None = None, *, text: str | None = None):
        if (module is None) == (text is None):
            raise ValueError("DerivedKernels takes a branch module or its text, not both")
        self._module = module
        self._text = text
        self._lock = threading.Lock()
        self._made: dict[Any, Any] = {}

    @classmethod
    def of(cls, result: Any) -> DerivedKernels | None:
        """Of the `branch` level a lowering kept (`LoweringResult.modules["branch"]`; None
        when it had none)."""
        module = result.modules.get("branch")
        return cls(module) if module is not None else None

    @classmethod
    def from_text(cls, text: str) -> DerivedKernels:
        """Of a printed `branch` module (an artifact's `levels["branch"]`)."""
        return cls(text=text)

    @property
    def module(self) -> ModuleOp:
        """The `branch` module (parsed on first use when given as text); not to mutate."""
        with self._lock:
            if self._module is None:
                ctx = Context()
                ctx.load_dialect(Builtin)
                ctx.load_dialect(branch.Branch)
                self._module = Parser(ctx, self._text or "").parse_module()
            return self._module

    @property
    def text(self) -> str:
        """The printed `branch` module."""
        if self._text is None:
            self._text = print_module(self.module)
        return self._text

    def _once(self, key: Any, make: Any) -> Any:
        with self._lock:
            if key in self._made:
                return self._made[key]
        found = make()
        with self._lock:
            return self._made.setdefault(key, found)

    def derivatives(self, order: int = 1) -> str:
        """The StableHLO text of the derivative kernel of order `order` >= 1."""
        from symir.lowering.pipelines import lower_derivatives

        return self._once(
            ("derivatives", order), lambda: lower_derivatives(self.module, order).stablehlo_text
        )

    def tables(self) -> tuple[str, tuple[str, ...]]:
        """The StableHLO text of the table-derivative kernel and its record names."""
        from symir.lowering.pipelines import lower_table_derivatives

        def make() -> tuple[str, tuple[str, ...]]:
            result, names = lower_table_derivatives(self.module)
            return result.stablehlo_text, names

        return self._once("tables", make)

    def deltas(self, order: int = 0) -> str:
        """The StableHLO text of the delta kernel (after `order` derivatives)."""
        from symir.lowering.pipelines import lower_deltas

        return self._once(
            ("deltas", order), lambda: lower_deltas(self.module, order).stablehlo_text
        )

    def slot_kinds(self) -> tuple[str, ...] | None:
        """What each slot of the kernel can hold (None when it cannot be told)."""
        from symir.lowering.branch.slot_kinds import kernel_slot_kinds

        return self._once("slot_kinds", lambda: kernel_slot_kinds(self.module))

    def __reduce__(self):
        # pickled with a CompiledOperator: travels as its text, parsed again on first use
        return (DerivedKernels.from_text, (self.text,))

    def __repr__(self) -> str:
        return f"DerivedKernels({'module' if self._module is not None else 'text'})"


__all__ = ["DerivedKernels"]
