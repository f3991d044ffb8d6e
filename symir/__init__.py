"""symir: a multi-level compiler for symbolic discrete quantum operators.

`import symir as sym` gives the DSL (`DOperator`, `site`, `shift`, ...), the IR
(`SymbolicOperatorIR`) and the compiler entry points; `sym.to_netket` loads the NetKet
adapter on first use.

What lives in `symir/` (the user-facing package; the dialects and the passes are the
sibling trees `dialects/` and `lowering/`, installed as `symir.dialects` and
`symir.lowering`):

- `frontend/`: the DSL and building its `sym` IR;
- `ir.py`: `SymbolicOperatorIR`, `parse_ir`, the fingerprint;
- `hilbert.py`, `errors.py`: Hilbert spaces, the errors;
- `interpreter.py`: the reference interpreter, what an operator means (docs/semantics.md);
- `compiler/`: the caching `SymbolicCompiler`;
- `runtime/`: all JAX glue, `CompiledOperator`;
- `integrations/`: adapters to other frameworks (NetKet);
- `tools/`: the commands `symir`, `symir-opt`, `symir-run`;
- `universe.py`: the xDSL universe behind the `xdsl.universe` entry point.

Adding a public name: import it here and add it to `__all__` (a name that needs an
optional dependency goes through `__getattr__` below instead), and list it in the API
section of docs/index.md. Which room a change belongs to: docs/where-does-my-change-go.md.

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
from symir.errors import (
    SymbolicCompilerError,
    SymbolicDefinitionError,
    SymbolicDefinitionWarning,
    SymbolicError,
    SymbolicValidationWarning,
)
from symir.frontend.expr import (
    Expr,
    SiteSelector,
    all_of,
    any_of,
    complex_,
    conj,
    cos,
    count,
    emitted,
    exp,
    floor,
    imag,
    log,
    lookup,
    maximum,
    minimum,
    nth_site,
    parity,
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
from symir.frontend.fermion import FermionProduct, FermionSum, c, cdag, n
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
from symir.hilbert import (
    DiscreteHilbert,
    FermionHilbert,
    Fermions,
    Fock,
    SectorHilbert,
    Spin,
    as_hilbert,
    states_of,
)
from symir.ir import SymbolicOperatorIR, parse_ir


def __getattr__(name: str):
    # `sym.to_netket` / `sym.NetKetOperator`: NetKet is optional and slow to import, so
    # `symir.integrations.netket` is loaded on first use (and left out of `__all__`, so that
    # `from symir import *` works without NetKet).
    if name in ("NetKetOperator", "to_netket"):
        from symir.integrations import netket

        return getattr(netket, name)
    if name == "to_local_operator":  # NetKet's LocalOperator (symir/integrations/netket_local.py)
        from symir.integrations import netket_local

        return netket_local.to_local_operator
    if name == "local_energies":  # JAX glue, loaded on first use like the runtime
        from symir.runtime.local_energy import local_energies

        return local_energies
    raise AttributeError(f"module 'symir' has no attribute {name!r}")


__all__ = [
    "DOperator",
    "DiscreteHilbert",
    "DiskArtifactStore",
    "Expr",
    "FermionHilbert",
    "FermionProduct",
    "FermionSum",
    "Fermions",
    "Fock",
    "InMemoryArtifactStore",
    "JAXSymbolicLowerer",
    "JaxSymbolicLowerer",
    "SectorHilbert",
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
    "SymbolicDefinitionWarning",
    "SymbolicError",
    "SymbolicLowererRegistry",
    "SymbolicOperator",
    "SymbolicOperatorIR",
    "SymbolicOperatorSum",
    "SymbolicPassPipeline",
    "SymbolicPassReport",
    "SymbolicValidationWarning",
    "Update",
    "affine",
    "all_of",
    "any_of",
    "as_hilbert",
    "c",
    "cdag",
    "complex_",
    "cond",
    "conj",
    "cos",
    "count",
    "emitted",
    "exp",
    "floor",
    "hop",
    "identity",
    "imag",
    "invalidate",
    "log",
    "lookup",
    "maximum",
    "minimum",
    "n",
    "nth_site",
    "parity",
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
