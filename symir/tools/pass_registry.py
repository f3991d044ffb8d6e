"""The MLIR-style names of symir's passes and where each is defined.

Every factory imports its module only when the pass is used (no JAX anywhere here).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from xdsl.passes import ModulePass


def _lazy(module: str, cls: str) -> Callable[[], type[ModulePass]]:
    def factory() -> type[ModulePass]:
        return getattr(import_module(module), cls)

    return factory


PASS_FACTORIES: dict[str, Callable[[], type[ModulePass]]] = {
    "convert-sym-to-branch": _lazy(
        "symir.lowering.conversion.convert_sym_to_branch", "ConvertSymToBranchPass"
    ),
    "branch-coalesce-diagonal": _lazy(
        "symir.lowering.branch.branch_coalesce_diagonal", "BranchCoalesceDiagonalPass"
    ),
    "branch-merge-exclusive-emissions": _lazy(
        "symir.lowering.branch.branch_merge_exclusive_emissions",
        "BranchMergeExclusiveEmissionsPass",
    ),
    "branch-sort-summed-rows": _lazy(
        "symir.lowering.branch.branch_sort_summed_rows", "BranchSortSummedRowsPass"
    ),
    "convert-branch-to-stablehlo": _lazy(
        "symir.lowering.conversion.convert_branch_to_stablehlo", "ConvertBranchToStablehloPass"
    ),
    "symbolic-validation": _lazy(
        "symir.lowering.sym.symbolic_validation", "SymbolicValidationPass"
    ),
    "symbolic-normalization": _lazy(
        "symir.lowering.sym.symbolic_normalization", "SymbolicNormalizationPass"
    ),
    "symbolic-fanout-analysis": _lazy(
        "symir.lowering.sym.symbolic_fanout_analysis", "SymbolicFanoutAnalysisPass"
    ),
    "symbolic-fusion-planning": _lazy(
        "symir.lowering.sym.symbolic_fusion_planning", "SymbolicFusionPlanningPass"
    ),
}
"""Pass name -> factory returning the pass class."""
