# ruff: noqa: F821  (lit injects `config`)
"""The plugin's own lit suite: every `.mlir` file here is a FileCheck test of its passes,
run through `symir-opt` (which finds the plugin through its `xdsl.universe` entry point)."""

import os
import sys

import lit.formats

config.name = "symir-plugin-example"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.test_source_root, "Output")

# symir-opt and filecheck live next to the interpreter running lit; lit passes on only
# the environment it is told to (PYTHONPATH: where the plugin is installed, if not in
# the environment's site-packages)
bindir = os.path.dirname(os.path.abspath(sys.executable))
config.environment["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
for name in ("PYTHONPATH", "HOME"):
    if name in os.environ:
        config.environment[name] = os.environ[name]
