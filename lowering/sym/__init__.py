"""The compiler's analysis/normalization passes, as xDSL `ModulePass`es.

Each pass works on a `sym` module, writes its results as discardable attributes on the
`builtin.module` (`sym.validation_summary`, `sym.normalization`, `sym.fanout_analysis`,
`sym.fusion_groups`: the custom formats of `sym.operator`/`sym.term` do not print extra
attributes, the module's attr-dict does) and returns them as Python values from
`run_on(module)`, which is what `SymbolicCompiler` puts into `context.analyses`.
"""

from symir.lowering.sym.symbolic_fanout_analysis import SymbolicFanoutAnalysisPass
from symir.lowering.sym.symbolic_fusion_planning import SymbolicFusionPlanningPass
from symir.lowering.sym.symbolic_normalization import SymbolicNormalizationPass
from symir.lowering.sym.symbolic_validation import SymbolicValidationPass

__all__ = [
    "SymbolicFanoutAnalysisPass",
    "SymbolicFusionPlanningPass",
    "SymbolicNormalizationPass",
    "SymbolicValidationPass",
]
