"""`symbolic-fanout-analysis`: per-term static fan-out (hint, else rows x emissions)."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from symir.dialects import sym
from symir.dialects.sym import operator_of
from symir.lowering.analyses import write_analysis


def term_fanouts(operator: sym.OperatorOp) -> dict[str, int]:
    """Per-term static fan-out: the hint if given, else `len(rows) * len(emissions)`."""
    return {
        term.sym_name.data: term.fanout.data
        if term.fanout is not None
        else len(term.row_table) * len(term.emissions)
        for term in operator.terms
    }


@dataclass(frozen=True)
class SymbolicFanoutAnalysisPass(ModulePass):
    """Per-term static fan-out (the hint, else rows x emissions): `sym.fanout_analysis`."""

    name = "symbolic-fanout-analysis"

    def apply(self, ctx: Context, module: ModuleOp) -> None:
        fanouts = term_fanouts(operator_of(module, self.name))
        total = sum(fanouts.values())
        write_analysis(module, "fanout_analysis", {"term_fanouts": fanouts, "total_fanout": total})
