"""The default lowering pipeline: `sym` -> `branch` -> `stablehlo` -> StableHLO text.

These are the same xDSL passes `symir-opt -p ...` runs. The IR given in is never mutated:
the passes run on a clone. Every level's printed IR is kept for inspection.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from symir.errors import SymbolicCompilerError
from symir.ir import SymbolicOperatorIR, print_module
from symir.lowering.branch.branch_coalesce_diagonal import BranchCoalesceDiagonalPass
from symir.lowering.branch.branch_merge_exclusive_emissions import BranchMergeExclusiveEmissionsPass
from symir.lowering.branch.branch_sort_summed_rows import BranchSortSummedRowsPass
from symir.lowering.conversion.convert_branch_to_stablehlo import ConvertBranchToStablehloPass
from symir.lowering.conversion.convert_sym_to_branch import ConvertSymToBranchPass


@dataclass(frozen=True)
class LoweringOptions:
    """Options of the default lowering."""

    coalesce_diagonal: bool = True
    merge_exclusive_emissions: bool = True
    """Run `branch-merge-exclusive-emissions` (after coalescing, which it must follow so
    that an identity arm of a chain still goes to the diagonal slot)."""
    sort_summed_rows: bool = True
    """Run `branch-sort-summed-rows` after coalescing (it only changes summation order)."""
    x_dtype: str = "auto"

    def passes(self) -> list[ModulePass]:
        passes: list[ModulePass] = [ConvertSymToBranchPass(x_dtype=self.x_dtype)]
        if self.coalesce_diagonal:
            passes.append(BranchCoalesceDiagonalPass())
        if self.merge_exclusive_emissions:
            passes.append(BranchMergeExclusiveEmissionsPass())
        if self.coalesce_diagonal and self.sort_summed_rows:
            passes.append(BranchSortSummedRowsPass())
        passes.append(ConvertBranchToStablehloPass())
        return passes


@dataclass
class LoweringResult:
    """The printed IR of every level and what each pass cost."""

    levels: dict[str, str]
    pass_times: dict[str, float] = field(default_factory=dict)

    @property
    def stablehlo_text(self) -> str:
        return self.levels["stablehlo"]


_LEVEL_AFTER = {
    "convert-sym-to-branch": "branch",
    "branch-coalesce-diagonal": "branch",
    "branch-merge-exclusive-emissions": "branch",
    "branch-sort-summed-rows": "branch",
    "convert-branch-to-stablehlo": "stablehlo",
}


def lower_ir(ir: SymbolicOperatorIR, options: LoweringOptions | None = None) -> LoweringResult:
    """Runs the lowering passes on a clone of `ir`'s module."""
    options = options or LoweringOptions()
    module: ModuleOp = ir.module
    ctx = Context()
    result = LoweringResult(levels={"sym": str(ir)})
    for p in options.passes():
        start = time.perf_counter()
        try:
            p.apply(ctx, module)
            module.verify()
        except Exception as e:
            raise SymbolicCompilerError(
                f"{type(e).__name__}: {e}", stage="lowering", pass_name=p.name
            ) from e
        result.pass_times[p.name] = time.perf_counter() - start
        result.levels[_LEVEL_AFTER[p.name]] = print_module(module)
    return result
