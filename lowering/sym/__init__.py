"""`symir.lowering.sym`: passes on the `sym` level.

- `symbolic_validation.py`: `symbolic-validation`, the checks the verifier cannot make;
- `symbolic_normalization.py`: `symbolic-normalization`, the canonical form and the
  fingerprint;
- `symbolic_fanout_analysis.py`: `symbolic-fanout-analysis`, per-term static fan-out;
Each pass works on a `sym` module and reports what it finds as analyses, discardable
attributes on the `builtin.module` (`sym.validation_summary`, `sym.normalization`,
`sym.fanout_analysis`; the custom formats of `sym.operator`/`sym.term` do not print extra
attributes, the module's attr-dict does), through the public protocol of
`symir.lowering.analyses` (`write_analysis`; `SymbolicCompiler` takes them off the module
after each pass into `context.analyses`: `take_analyses`).

Adding a pass: `sym_foo.py` (a `ModulePass` named `sym-foo`), one line in the registry
`symir.lowering._PASSES`, `tests/lit/lowering/sym/sym-foo.mlir`, a section in
docs/passes.md (docs/adding-a-pass.md); to run it in every compile, a
`ModulePassStage.of("sym-foo")` in `symir/compiler/compiler.py`.
"""

from symir.lowering.sym.symbolic_fanout_analysis import SymbolicFanoutAnalysisPass
from symir.lowering.sym.symbolic_normalization import SymbolicNormalizationPass
from symir.lowering.sym.symbolic_validation import SymbolicValidationPass

__all__ = [
    "SymbolicFanoutAnalysisPass",
    "SymbolicNormalizationPass",
    "SymbolicValidationPass",
]
