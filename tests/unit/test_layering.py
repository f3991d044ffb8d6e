"""The import graph of symir: no cycles, and no import from a lower room to a higher one.

Every `import` counts, at module level or inside a function (a lazy import is still a
dependency). The rooms, lowest first: the dialects; errors; the passes (`lowering`); the
IR object and Hilbert spaces; the runtime; the compiler; the frontend (the DSL, whose
`.compile()` calls the compiler) and the reference interpreter; the integrations; the
tools, the xDSL universe and the public `symir` package. Run this file alone to check
(`pytest tests/unit/test_layering.py`).
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TREES = {
    "symir": ROOT / "symir",
    "symir.dialects": ROOT / "dialects",
    "symir.lowering": ROOT / "lowering",
}

RANKS = [
    ("symir.dialects", 0),
    ("symir.errors", 1),
    ("symir.gc_pause", 1),
    ("symir.lowering", 2),
    ("symir.hilbert", 3),
    ("symir.ir", 3),
    ("symir.runtime", 4),
    ("symir.compiler", 5),
    ("symir.frontend", 6),
    ("symir.interpreter", 6),
    ("symir.integrations", 7),
    ("symir.models", 7),
    ("symir.testing", 8),
    ("symir.tools", 8),
    ("symir.universe", 8),
    ("symir", 8),
]


def rank(module: str) -> int:
    for prefix, r in RANKS:
        if module == prefix or module.startswith(prefix + "."):
            return r
    raise AssertionError(f"{module} belongs to no room: add it to RANKS")


def modules() -> dict[str, Path]:
    found = {}
    for package, path in TREES.items():
        for file in sorted(path.rglob("*.py")):
            parts = list(file.relative_to(path).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([package, *parts])] = file
    return found


def imports(file: Path, known: set[str]) -> set[str]:
    """The symir modules `file` imports (a `from P import name` of a submodule counts as
    an import of that submodule)."""
    out = set()
    for node in ast.walk(ast.parse(file.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}
    return {m for m in out if m in known}


MODULES = modules()


@functools.cache
def graph() -> dict[str, set[str]]:
    """Each module's symir imports: the files parsed once, on first use in a test (not
    at collection, where every xdist worker would parse all of them: ~6 s of CPU a
    worker, with the module list read again for each file)."""
    known = set(MODULES)
    return {name: imports(file, known) - {name} for name, file in MODULES.items()}


def test_the_graph_covers_the_three_trees():
    assert {"symir.dialects.sym", "symir.lowering.pipelines", "symir.ir"} <= set(graph())
    assert "symir.dialects.sym" in graph()["symir.lowering.conversion.convert_sym_to_branch"]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_upward_import(module):
    upward = sorted(m for m in graph()[module] if rank(m) > rank(module))
    assert not upward, f"{module} (room {rank(module)}) imports higher rooms: {upward}"


def test_no_import_cycle():
    deps = graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(deps[m]):
            if state.get(n) == 1:
                cycle = [*stack[stack.index(n) :], n]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(deps):
        if m not in state:
            visit(m)


@pytest.mark.parametrize(
    "imports, absent",
    [
        # the dialects (what `symir-opt` parses with) load neither the rooms above them nor JAX
        (
            "symir.dialects.sym, symir.dialects.branch, symir.dialects.stablehlo",
            ("symir.compiler", "symir.frontend", "symir.runtime", "symir.lowering", "jax"),
        ),
        # the public package loads its names on first use
        ("symir", ("symir.compiler", "symir.frontend", "symir.dialects", "jax", "netket")),
        # the DSL does not load the runtime (JAX) or NetKet until an operator is compiled
        (
            "symir.frontend.operator, symir.frontend.expr",
            ("symir.compiler", "symir.runtime", "jax", "netket"),
        ),
    ],
)
def test_what_an_import_loads_at_run_time(imports, absent):
    # a fresh interpreter: this process has imported everything already
    import subprocess
    import sys

    code = f"import sys, {imports}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    loaded = sorted(m for m in out if any(m == a or m.startswith(a + ".") for a in absent))
    assert not loaded, f"import {imports} loaded {loaded}"


# --------------------------------------------------------------------------- seams


def test_the_runtime_runs_no_pass():
    """The runtime gets the kernels made from an operator's `branch` level from the object
    the compiler gave it (`KernelSource`, `symir.lowering.derived_kernels.DerivedKernels`):
    it imports neither the lowering nor the compiler."""
    found = {
        (m, i)
        for m, deps in graph().items()
        if m.startswith("symir.runtime")
        for i in deps
        if i.startswith(("symir.lowering", "symir.compiler"))
    }
    assert not found, found


def private_reads(file: Path) -> list[str]:
    """The `x._spec` / `x._params` reads of `file` whose object is not `self`."""
    out = []
    for node in ast.walk(ast.parse(file.read_text())):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ("_spec", "_params")
            and not (isinstance(node.value, ast.Name) and node.value.id == "self")
        ):
            out.append(f"{file.name}:{node.lineno} .{node.attr}")
    return out


def test_only_the_compiled_operator_reads_its_private_state():
    """The rest of the runtime, the compiler, the NetKet adapter and the rest use
    `CompiledOperator`'s public surface (`space`, `x_dtype`, `params`, `key`, `kernels`,
    `delta_width`, `kept`, `with_hilbert`)."""
    found = [
        read
        for name, file in modules().items()
        if name != "symir.runtime.compiled"
        for read in private_reads(file)
    ]
    assert not found, found
