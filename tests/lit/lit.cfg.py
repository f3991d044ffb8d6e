# ruff: noqa: F821  (lit injects `config`)
"""lit configuration: every `.mlir` file under tests/lit is a FileCheck test.

Read by `lit tests/lit` and by tests/lit_in_process.py (pytest's runner: lit's discovery
loads this file there too), so the substitutions and the environment are defined here only.
"""

import os
import sys

import lit.formats

config.name = "symir"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.test_source_root, "Output")

# The tools (symir-opt, symir-run, filecheck) live next to the interpreter running lit.
bindir = os.path.dirname(os.path.abspath(sys.executable))
config.environment["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
# JAX_DISABLE_MOST_OPTIMIZATIONS, SYMIR_VERIFY_ALL, JAX_COMPILATION_CACHE_DIR: set by
# tests/conftest.py for the suite's subprocesses (every level verified; XLA's compiles
# shared through the suite's cache)
for name in (
    "PYTHONPATH",
    "JAX_PLATFORMS",
    "HOME",
    "XLA_FLAGS",
    "JAX_ENABLE_X64",
    "JAX_DISABLE_MOST_OPTIMIZATIONS",
    "SYMIR_VERIFY_ALL",
    "JAX_COMPILATION_CACHE_DIR",
):
    if name in os.environ:
        config.environment[name] = os.environ[name]
config.environment.setdefault("JAX_PLATFORMS", "cpu")

# Composite substitutions first, then tool names. The round trips are xDSL's lit idiom:
# print (custom or generic form), parse that back, and check the result.
config.substitutions.append(("SYMIR_ROUNDTRIP", "symir-opt %s | symir-opt | filecheck %s"))
config.substitutions.append(
    ("SYMIR_GENERIC_ROUNDTRIP", "symir-opt %s --print-op-generic | symir-opt | filecheck %s")
)
config.substitutions.append(("%jax-verify", "symir-run --verify-only -"))
