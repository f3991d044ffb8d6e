"""The one module of symir that reads JAX's private API (`jax._src`).

Parsing StableHLO text into an MLIR module with JAX's own context and dialects, and
naming the StableHLO version a portable artifact targets, have no public JAX API. Every
use of `jax._src` is here, so that a JAX upgrade is checked in one place:
`tests/unit/symir/test_jax_private.py` fails on a JAX version not in
`CHECKED_JAX_VERSIONS` (check these functions against it, then add it).
"""

from __future__ import annotations

from typing import Any

CHECKED_JAX_VERSIONS = ("0.10.2", "0.11.2")
"""The JAX versions these functions were checked against (pyproject.toml pins one)."""


def mlir_modules() -> tuple[Any, Any]:
    """Return JAX's `interpreters.mlir` (its `make_ir_context`) and its MLIR `ir`."""
    from jax._src.interpreters import mlir
    from jax._src.lib.mlir import ir

    return mlir, ir


def stablehlo_target_version() -> str:
    """Return the StableHLO version a portable artifact targets: four weeks of
    compatibility (`WEEK_4`)."""
    from jax._src.lib.mlir.dialects import hlo

    return hlo.get_version_from_compatibility_requirement(
        hlo.StablehloCompatibilityRequirement.WEEK_4
    )
