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
        "symir.lowering.convert_sym_to_branch", "ConvertSymToBranchPass"
    ),
    "branch-coalesce-diagonal": _lazy(
        "symir.transforms.branch_coalesce_diagonal", "BranchCoalesceDiagonalPass"
    ),
    "branch-merge-exclusive-emissions": _lazy(
        "symir.transforms.branch_merge_exclusive_emissions", "BranchMergeExclusiveEmissionsPass"
    ),
    "branch-sort-summed-rows": _lazy(
        "symir.transforms.branch_sort_summed_rows", "BranchSortSummedRowsPass"
    ),
    "convert-branch-to-stablehlo": _lazy(
        "symir.lowering.convert_branch_to_stablehlo", "ConvertBranchToStablehloPass"
    ),
    "symbolic-validation": _lazy("symir.compiler.passes.validation", "SymbolicValidationPass"),
    "symbolic-normalization": _lazy(
        "symir.compiler.passes.normalization", "SymbolicNormalizationPass"
    ),
    "symbolic-fanout-analysis": _lazy("symir.compiler.passes.fanout", "SymbolicFanoutAnalysisPass"),
    "symbolic-fusion-planning": _lazy("symir.compiler.passes.fusion", "SymbolicFusionPlanningPass"),
}
"""Pass name -> factory returning the pass class."""
