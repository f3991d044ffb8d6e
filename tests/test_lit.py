"""Runs the lit/FileCheck suite from pytest, one test per `.mlir` file."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

LIT_DIR = Path(__file__).parent / "lit"
LIT_FILES = sorted(p for p in LIT_DIR.rglob("*.mlir") if "Output" not in p.parts)


def test_lit_suite_is_not_empty():
    assert LIT_FILES, "no lit tests found under tests/lit"


@pytest.mark.parametrize("path", LIT_FILES, ids=lambda p: str(p.relative_to(LIT_DIR)))
def test_lit_file(path):
    assert "RUN:" in path.read_text(), f"{path} has no RUN line"
    assert "CHECK" in path.read_text(), f"{path} has no CHECK line"
    lit = Path(sys.executable).parent / "lit"
    env = dict(os.environ, JAX_PLATFORMS=os.environ.get("JAX_PLATFORMS", "cpu"))
    proc = subprocess.run(
        [str(lit), "-v", str(path)], capture_output=True, text=True, env=env, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
