"""`symir.runtime`: running compiled operators; all of symir's JAX glue lives here.

- `stablehlo_exec.py`: StableHLO text -> a JAX callable (jaxlib parses and verifies it,
  `jax.export` wraps it), x64, the persistent compilation cache;
- `compiled.py`: `CompiledOperator` (`get_conn_padded`, `with_params`, `to_dense`), a JAX
  pytree with a batching rule and a clear error for differentiation;
- `conn_delta.py`: `get_conn_delta` (what each connected state changes, from the delta
  kernel), `apply_deltas`, `site_changes`; `static_outputs.py`: which outputs of a module
  no input reaches (the delta kernel's sites, made numpy constants);
- `local_energy.py`, `fast_updates.py`: `symir.local_energies` and its fast-update path;
- `integrations.py`: integrations (NetKet) found by entry point, so that the runtime
  imports none of them;
- `local_energy.py`: `local_energies`, the network evaluated only on the connected states
  that need it (docs/local-energy.md), and `dedup.py`, its runtime deduplication of equal
  connected states within a sample.

JAX is imported lazily: `import symir.runtime` stays JAX-free. What `get_conn_padded`
returns is defined in docs/semantics.md, how it runs in docs/runtime.md.

Adding to it: code that calls JAX goes in `stablehlo_exec.py` or `compiled.py` (the
compiler, the frontend and the passes do not import JAX); a name of `stablehlo_exec`
re-exported here is added to `_EXEC_NAMES`. A new integration is a module
in `symir/integrations/` registered under the `symir.integrations` entry point, not an
import here. Tests: tests/unit/symir/test_jit.py, tests/unit/dialects/test_stablehlo_ops.py.
"""

from __future__ import annotations

from typing import Any

_EXEC_NAMES = (
    "LoadedModule",
    "StableHLOError",
    "X64Error",
    "clear_cache",
    "ensure_x64",
    "load_stablehlo",
    "module_uses_x64",
    "parse_and_verify",
    "verify_and_print",
)

__all__ = list(_EXEC_NAMES)


def __getattr__(name: str) -> Any:
    if name in _EXEC_NAMES:
        from symir.runtime import stablehlo_exec

        return getattr(stablehlo_exec, name)
    raise AttributeError(f"module 'symir.runtime' has no attribute {name!r}")
