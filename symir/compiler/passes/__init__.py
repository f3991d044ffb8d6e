"""The compiler's analysis/normalization passes, as xDSL `ModulePass`es.

Each pass works on a `sym` module, writes its results as discardable attributes on the
`builtin.module` (`sym.validation_summary`, `sym.normalization`, `sym.fanout_analysis`,
`sym.fusion_groups`: the custom formats of `sym.operator`/`sym.term` do not print extra
attributes, the module's attr-dict does) and returns them as Python values from
`run_on(module)`, which is what `SymbolicCompiler` puts into `context.analyses`.
"""

from symir.compiler.passes.fanout import SymbolicFanoutAnalysisPass
from symir.compiler.passes.fusion import SymbolicFusionPlanningPass
from symir.compiler.passes.normalization import SymbolicNormalizationPass
from symir.compiler.passes.validation import SymbolicValidationPass

__all__ = [
    "SymbolicFanoutAnalysisPass",
    "SymbolicFusionPlanningPass",
    "SymbolicNormalizationPass",
    "SymbolicValidationPass",
]
