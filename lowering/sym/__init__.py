"""`symir.lowering.sym`: passes on the `sym` level.

- `symbolic_validation.py`: `symbolic-validation`, the checks the verifier cannot make;
- `symbolic_normalization.py`: `symbolic-normalization`, the canonical form and the
  fingerprint;
- `symbolic_fanout_analysis.py`: `symbolic-fanout-analysis`, per-term static fan-out;
- `_attrs.py`: analyses <-> module attributes.

Each pass works on a `sym` module and writes what it finds as discardable attributes on
the `builtin.module` (`sym.validation_summary`, `sym.normalization`, `sym.fanout_analysis`; the custom formats of `sym.operator`/`sym.term` do not print extra
attributes, the module's attr-dict does). `SymbolicCompiler` runs them as plain xDSL
passes and reads those attributes back into `context.analyses` (`_attrs.read_analyses`).

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
