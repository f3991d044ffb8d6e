"""`symbolic-fusion-planning`: groups of terms sharing one row table.

Terms visiting the same rows could share one iterator in a fusing lowerer. The default
`jax_symbolic_v1` lowerer still lowers one runner per term: the groups are metadata.
`enable-fusion=false` puts every term in its own group.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from symir.lowering.sym._attrs import operator_of, set_analysis


@dataclass(frozen=True)
class SymbolicFusionPlanningPass(ModulePass):
    """Groups the terms that share one row table: `sym.fusion_groups` (metadata)."""

    name = "symbolic-fusion-planning"

    enable_fusion: bool = True

    def apply(self, ctx: Context, module: ModuleOp) -> None:
        operator = operator_of(module)
        groups: list[list[str]] = []
        if self.enable_fusion:
            by_rows: dict[tuple, list[str]] = {}
            for term in operator.terms:
                by_rows.setdefault(term.row_table, []).append(term.sym_name.data)
            groups = list(by_rows.values())
        else:
            groups = [[t.sym_name.data] for t in operator.terms]
        set_analysis(module, "fusion_groups", groups)
