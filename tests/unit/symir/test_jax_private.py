"""JAX's private API (`jax._src`) is read in one module, checked against named versions."""

from __future__ import annotations

from pathlib import Path

import jax

from symir.runtime import jax_private

ROOT = Path(__file__).resolve().parents[3]


def test_jax_private_api_is_read_in_one_module_only():
    readers = sorted(
        str(f.relative_to(ROOT))
        for tree in ("symir", "dialects", "lowering")
        for f in (ROOT / tree).rglob("*.py")
        if "jax._src" in f.read_text()
    )
    assert readers == ["symir/runtime/jax_private.py"], readers


def test_the_installed_jax_is_one_the_private_api_was_checked_against():
    assert jax.__version__ in jax_private.CHECKED_JAX_VERSIONS, (
        f"JAX {jax.__version__}: check symir/runtime/jax_private.py against it, then add it "
        "to CHECKED_JAX_VERSIONS"
    )


def test_the_private_api_still_answers():
    mlir, ir = jax_private.mlir_modules()
    with mlir.make_ir_context() as ctx, ir.Location.unknown(ctx):
        assert ir.Module.parse("module {}") is not None
    assert jax_private.stablehlo_target_version().count(".") == 2
