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

Importing `symir` (or any of its subpackages, `symir.dialects.sym` say) loads nothing
else: every public name is loaded on first use (`_PUBLIC`, PEP 562's module
`__getattr__`), so `symir-opt` and the dialects do not pay for the compiler, the DSL or
JAX. Adding a public name: add it to `_PUBLIC` with the module that defines it (it is in
`__all__` unless it needs an optional dependency, like `to_netket`: `_NOT_IN_ALL`), and
list it in the API section of docs/index.md. Which room a change belongs to:
docs/where-does-my-change-go.md.

The functions of the expression ops (`sqrt`, `minimum`, `select`, `complex_`, ...) are made
from the op table (`DSL_FUNCTION` of the ops in dialects/sym/expression_ops.py, collected in
`symir.frontend.expr.FUNCTIONS`) and are public names by themselves: `symir.sqrt`,
`dir(symir)` and `__all__` (computed on first use) find them there, with no line here.
"""

import importlib as _importlib
from typing import Any as _Any

_PUBLIC: dict[str, str] = {
    # symir.compiler
    "DiskArtifactStore": "symir.compiler",
    "InMemoryArtifactStore": "symir.compiler",
    "JAXSymbolicLowerer": "symir.compiler",
    "JaxSymbolicLowerer": "symir.compiler",
    "SymbolicCacheKey": "symir.compiler",
    "SymbolicCompilationContext": "symir.compiler",
    "SymbolicCompilationSignature": "symir.compiler",
    "SymbolicCompiledArtifact": "symir.compiler",
    "SymbolicCompiler": "symir.compiler",
    "SymbolicCompilerOptions": "symir.compiler",
    "SymbolicLowererRegistry": "symir.compiler",
    "SymbolicPassPipeline": "symir.compiler",
    "SymbolicPassReport": "symir.compiler",
    # symir.lowering.pipelines
    "LoweringOptions": "symir.lowering.pipelines",
    # symir.errors
    "SymbolicCompilerError": "symir.errors",
    "SymbolicDefinitionError": "symir.errors",
    "SymbolicDefinitionWarning": "symir.errors",
    "SymbolicError": "symir.errors",
    "SymbolicValidationWarning": "symir.errors",
    # symir.frontend.expr (and the functions of the expression ops: `_op_functions`)
    "Expr": "symir.frontend.expr",
    "SiteSelector": "symir.frontend.expr",
    "all_of": "symir.frontend.expr",
    "any_of": "symir.frontend.expr",
    "count": "symir.frontend.expr",
    "emitted": "symir.frontend.expr",
    "lookup": "symir.frontend.expr",
    "nth_site": "symir.frontend.expr",
    "site": "symir.frontend.expr",
    "source_index": "symir.frontend.expr",
    "symbol": "symir.frontend.expr",
    "table": "symir.frontend.expr",
    "target_index": "symir.frontend.expr",
    # symir.frontend.fermion
    "FermionProduct": "symir.frontend.fermion",
    "FermionSum": "symir.frontend.fermion",
    "c": "symir.frontend.fermion",
    "cdag": "symir.frontend.fermion",
    "n": "symir.frontend.fermion",
    # symir.frontend.builder, symir.frontend.operator
    "DOperator": "symir.frontend.builder",
    "SymbolicOperator": "symir.frontend.operator",
    "SymbolicOperatorSum": "symir.frontend.operator",
    # symir.frontend.update
    "Update": "symir.frontend.update",
    "affine": "symir.frontend.update",
    "cond": "symir.frontend.update",
    "hop": "symir.frontend.update",
    "identity": "symir.frontend.update",
    "invalidate": "symir.frontend.update",
    "permute": "symir.frontend.update",
    "scatter": "symir.frontend.update",
    "shift": "symir.frontend.update",
    "shift_mod": "symir.frontend.update",
    "swap": "symir.frontend.update",
    "write": "symir.frontend.update",
    # symir.frontend.pauli
    "pauli_strings": "symir.frontend.pauli",
    # symir.frontend.fermion_terms
    "fermion_terms": "symir.frontend.fermion_terms",
    # symir.hilbert
    "DiscreteHilbert": "symir.hilbert",
    "FermionHilbert": "symir.hilbert",
    "Fermions": "symir.hilbert",
    "Fock": "symir.hilbert",
    "SectorHilbert": "symir.hilbert",
    "Spin": "symir.hilbert",
    "as_hilbert": "symir.hilbert",
    "states_of": "symir.hilbert",
    # symir.ir
    "SymbolicOperatorIR": "symir.ir",
    "parse_ir": "symir.ir",
    # optional or slow dependencies (NetKet, JAX)
    "NetKetOperator": "symir.integrations.netket",
    "to_netket": "symir.integrations.netket",
    "to_local_operator": "symir.integrations.netket_local",
    "local_energies": "symir.runtime.local_energy",
    "MetropolisSampler": "symir.integrations.netket_sampler",
    "MetropolisLocal": "symir.integrations.netket_sampler",
    "MetropolisExchange": "symir.integrations.netket_sampler",
    "MetropolisFermionHop": "symir.integrations.netket_sampler",
}
"""Every public name of `symir` -> the module that defines it (loaded on first use), but for
the functions of the expression ops (`_op_functions`)."""

_NOT_IN_ALL = frozenset(
    {
        "NetKetOperator",
        "to_netket",
        "to_local_operator",
        "local_energies",
        "MetropolisSampler",
        "MetropolisLocal",
        "MetropolisExchange",
        "MetropolisFermionHop",
    }
)
"""The names left out of `__all__`, so that `from symir import *` works without NetKet."""

_SUBPACKAGES = frozenset(
    {
        "compiler",
        "dialects",
        "errors",
        "frontend",
        "hilbert",
        "integrations",
        "interpreter",
        "ir",
        "lowering",
        "runtime",
        "testing",
        "tools",
        "universe",
        "models",
        "chemistry",
    }
)


def _op_functions() -> dict[str, _Any]:
    """The public functions of the expression ops (`sqrt`, `minimum`, `select`, ...): one per
    `DSL_FUNCTION` of the op table, made by `symir.frontend.expr` (`FUNCTIONS`)."""
    return _importlib.import_module("symir.frontend.expr").FUNCTIONS


def __getattr__(name: str) -> _Any:
    module = _PUBLIC.get(name)
    if module is not None:
        value = getattr(_importlib.import_module(module), name)
        globals()[name] = value  # the next access is a plain attribute
        return value
    if name in _SUBPACKAGES:  # `symir.compiler` without importing it first
        return _importlib.import_module(f"symir.{name}")
    if name == "__all__":  # `from symir import *`
        value = sorted({*_PUBLIC, *_op_functions()} - _NOT_IN_ALL)
        globals()[name] = value
        return value
    if not name.startswith("__") and name in _op_functions():
        value = _op_functions()[name]
        globals()[name] = value
        return value
    raise AttributeError(f"module 'symir' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC, *_op_functions()})
