"""Execution runtime. JAX is imported lazily: `import symir.runtime` stays JAX-free."""

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
