"""symir: a multi-level compiler for symbolic discrete quantum operators.

`import symir as sym` gives the DSL (`DOperator`, `site`, `shift`, ...), the IR
(`SymbolicOperatorIR`) and the compiler entry points.

The functions of the expression ops (`sqrt`, `minimum`, `select`, `complex_`, ...) are made
from the op table (`DSL_FUNCTION` of the ops in dialects/sym.py, collected in
`symir.frontend.expr.FUNCTIONS`); a new one is exported here by name.
"""

from symir.compiler import (
    DiskArtifactStore,
    InMemoryArtifactStore,
    JAXSymbolicLowerer,
    JaxSymbolicLowerer,
    SymbolicCacheKey,
    SymbolicCompilationContext,
    SymbolicCompilationSignature,
    SymbolicCompiledArtifact,
    SymbolicCompiler,
    SymbolicCompilerOptions,
    SymbolicLowererRegistry,
    SymbolicPassPipeline,
    SymbolicPassReport,
)
from symir.errors import SymbolicCompilerError, SymbolicDefinitionError, SymbolicError
from symir.frontend.expr import (
    Expr,
    SiteSelector,
    all_of,
    any_of,
    complex_,
    conj,
    cos,
    emitted,
    exp,
    floor,
    imag,
    log,
    maximum,
    minimum,
    real,
    select,
    sin,
    site,
    source_index,
    sqrt,
    symbol,
    target_index,
    wrap_mod,
)
from symir.frontend.operator import DOperator, SymbolicOperator, SymbolicOperatorSum
from symir.frontend.update import (
    Update,
    affine,
    cond,
    hop,
    identity,
    invalidate,
    permute,
    scatter,
    shift,
    shift_mod,
    swap,
    write,
)
from symir.hilbert import DiscreteHilbert, Fock, Spin, as_hilbert, states_of
from symir.ir import SymbolicOperatorIR, parse_ir


def __getattr__(name: str):
    # `sym.to_netket` / `sym.NetKetOperator`: NetKet is optional and slow to import, so
    # `symir.integrations.netket` is loaded on first use (and left out of `__all__`, so that
    # `from symir import *` works without NetKet).
    if name in ("NetKetOperator", "to_netket"):
        from symir.integrations import netket

        return getattr(netket, name)
    raise AttributeError(f"module 'symir' has no attribute {name!r}")


__all__ = [
    "DOperator",
    "DiscreteHilbert",
    "DiskArtifactStore",
    "Expr",
    "Fock",
    "InMemoryArtifactStore",
    "JAXSymbolicLowerer",
    "JaxSymbolicLowerer",
    "SiteSelector",
    "Spin",
    "SymbolicCacheKey",
    "SymbolicCompilationContext",
    "SymbolicCompilationSignature",
    "SymbolicCompiledArtifact",
    "SymbolicCompiler",
    "SymbolicCompilerError",
    "SymbolicCompilerOptions",
    "SymbolicDefinitionError",
    "SymbolicError",
    "SymbolicLowererRegistry",
    "SymbolicOperator",
    "SymbolicOperatorIR",
    "SymbolicOperatorSum",
    "SymbolicPassPipeline",
    "SymbolicPassReport",
    "Update",
    "affine",
    "all_of",
    "any_of",
    "as_hilbert",
    "complex_",
    "cond",
    "conj",
    "cos",
    "emitted",
    "exp",
    "floor",
    "hop",
    "identity",
    "imag",
    "invalidate",
    "log",
    "maximum",
    "minimum",
    "parse_ir",
    "permute",
    "real",
    "scatter",
    "select",
    "shift",
    "shift_mod",
    "sin",
    "site",
    "source_index",
    "sqrt",
    "states_of",
    "swap",
    "symbol",
    "target_index",
    "wrap_mod",
    "write",
]
