"""`symbolic-fanout-analysis`: per-term static fan-out (hint, else rows x emissions)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from symir.interpreter import term_fanouts
from symir.lowering.sym._attrs import operator_of, set_analysis


@dataclass(frozen=True)
class SymbolicFanoutAnalysisPass(ModulePass):
    name = "symbolic-fanout-analysis"

    def run_on(self, module: ModuleOp) -> dict[str, Any]:
        fanouts = term_fanouts(operator_of(module))
        total = sum(fanouts.values())
        set_analysis(module, "fanout_analysis", {"term_fanouts": fanouts, "total_fanout": total})
        return {"term_fanouts": fanouts, "total_fanout": total}

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        self.run_on(op)
