"""The example plugin package of docs/your-own-pass.md (docs/examples/symir-plugin-example),
installed as a user installs it and exercised through `symir-opt`, its own lit suite,
`op.compile(pipeline=...)` and `SymbolicCompiler`; the textual pipelines, the level checks
and the IR after every pass of the lowering (issue 19, items 1-3)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import symir as sym
from symir.errors import SymbolicCompilerError
from symir.interpreter import reference_to_dense
from symir.lowering import plugin_universes
from symir.lowering.pipeline_text import PipelineError, build_pipeline, quote_insertions
from symir.lowering.pipelines import LoweringOptions, lower_ir

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "symir-plugin-example"
BIN = Path(sys.executable).parent
INSERT = "symir-lower{after=branch-fuse-equal-states:branch-drop-zero-emissions}"


def install(source: Path, target: Path) -> None:
    """`pip install --target` of the package, as a user installs it (built by its own
    pyproject.toml: setuptools and `wheel`, which the `test` extra pins; no build
    isolation, so nothing is downloaded), from a copy so that the build leaves nothing in
    the repository."""
    work = target.with_name(f"{target.name}-src")
    shutil.copytree(source, work)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(work),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    entry_points = next(target.glob("symir_plugin_example-*.dist-info")) / "entry_points.txt"
    assert "symir_plugin_example.universe:UNIVERSE" in entry_points.read_text()


@pytest.fixture(scope="module")
def plugin(tmp_path_factory):
    """The plugin installed into a fresh directory, on `sys.path` (for this process)
    and in `PYTHONPATH` (for the tools); removed after the module's tests."""
    target = tmp_path_factory.mktemp("site")
    install(EXAMPLE, target)
    sys.path.insert(0, str(target))
    plugin_universes.cache_clear()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(target), *sys.path[1:]]))
    yield env
    sys.path.remove(str(target))
    plugin_universes.cache_clear()
    for name in [m for m in sys.modules if m.startswith("symir_plugin_example")]:
        del sys.modules[name]


def zero_swap(n: int = 4):
    """Flips with amplitude -0.5 and swaps of amplitude 0 (the plugin drops the latter)."""
    return (
        sym.DOperator(sym.Spin(0.5, n), "zero_swap")
        .for_each_site("k")
        .emit(sym.write("k", -sym.site("k")), amplitude=-0.5)
        .for_each(("i", "j"), over=[(i, i + 1) for i in range(n - 1)])
        .emit(sym.swap("i", "j"), amplitude=0.0)
        .build()
    )


def opt(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "symir-opt"), *args], capture_output=True, text=True, env=env, check=False
    )


def test_help_lists_the_plugin_pass_under_its_package(plugin):
    out = opt("--help", env=plugin).stdout
    section = out.split("passes of symir-plugin-example (xdsl.universe plugin):")[1]
    assert "branch-drop-zero-emissions" in section
    assert (
        "branch-drop-zero-emissions"
        not in out.split("passes of symir:")[1].split("passes of symir-plugin-example")[0]
    )


def test_the_plugins_own_lit_suite_runs_through_symir_opt(plugin, tmp_path):
    suite = tmp_path / "lit"
    shutil.copytree(EXAMPLE / "tests" / "lit", suite)
    proc = subprocess.run(
        [str(BIN / "lit"), "-v", str(suite)], capture_output=True, text=True, env=plugin
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PASS: symir-plugin-example :: branch-drop-zero-emissions.mlir" in proc.stdout


def test_compile_with_a_pipeline_runs_the_plugin_pass(plugin):
    op = zero_swap()
    default = op.compile()
    dropped = op.compile(pipeline=INSERT)
    assert (default.max_conn_size, dropped.max_conn_size) == (7, 4)
    reference = reference_to_dense(op.to_ir().module)
    np.testing.assert_allclose(dropped.to_dense(), reference, atol=1e-12)


def test_symbolic_compiler_pipeline_argument_and_added_branch_pass(plugin):
    from symir_plugin_example.branch_drop_zero_emissions import BranchDropZeroEmissionsPass

    op = zero_swap()
    compiler = sym.SymbolicCompiler(sym.SymbolicCompilerOptions(cache_enabled=False))
    assert compiler.compile(op, pipeline=INSERT).compiled_operator.max_conn_size == 4
    # a branch pass added to the compiler's stages runs in the lowering (it used to be
    # run on the sym module, where it found nothing to do)
    compiler.pipeline.add_post_cache(BranchDropZeroEmissionsPass())
    assert "lowering:branch-drop-zero-emissions" in compiler.pipeline.names()
    artifact = compiler.compile(op)
    assert artifact.compiled_operator.max_conn_size == 4
    passes = artifact.passes_run
    assert passes.index("branch-drop-zero-emissions") < passes.index("branch-choose-lowering")


def test_pipeline_text_and_pass_options_are_in_the_cache_key(plugin):
    op = zero_swap()
    compiler = sym.SymbolicCompiler(artifact_store=sym.compiler.stores.InMemoryArtifactStore())
    a = compiler.compile(op)
    b = compiler.compile(op, pipeline=INSERT)
    c = compiler.compile(op, pipeline="symir-lower{enable_fusion=false}")
    assert len({a.cache_token(), b.cache_token(), c.cache_token()}) == 3
    assert not b.cache_hit and compiler.compile(op, pipeline=INSERT).cache_hit
    assert b.compiled_operator.max_conn_size == 4


def test_a_lowering_options_subclass_overriding_passes_is_obeyed(plugin):
    from symir_plugin_example.branch_drop_zero_emissions import BranchDropZeroEmissionsPass

    @dataclass(frozen=True)
    class Dropping(sym.SymbolicCompilerOptions):
        def passes(self):
            passes = list(super().passes())
            k = [p.name for p in passes].index("branch-choose-lowering")
            return (*passes[:k], BranchDropZeroEmissionsPass(), *passes[k:])

    op = zero_swap()
    assert lower_ir(op.to_ir(), Dropping()).pass_times.keys() >= {"branch-drop-zero-emissions"}
    artifact = sym.SymbolicCompiler(Dropping(cache_enabled=False)).compile(op)
    assert artifact.compiled_operator.max_conn_size == 4


def test_bare_insertions_are_quoted_for_xdsls_lexer():
    assert quote_insertions("symir-lower{after=a-b:c-d}") == 'symir-lower{after="a-b:c-d"}'
    assert quote_insertions("symir-lower{after=a:b,cse#2:dce x=1}") == (
        'symir-lower{after="a:b","cse#2:dce" x=1}'
    )
    names = [
        p.name
        for p in build_pipeline(
            "symir-lower{before=convert-sym-to-branch:cse after=cse#2:dce}", LoweringOptions()
        )
    ]
    assert names[:4] == [
        "sym-lift-constant-sites",
        "sym-tabulate-terms",
        "sym-merge-row-terms",
        "cse",
    ]
    assert names[-3:] == ["cse", "dce", "stablehlo-outline-constants"]


@pytest.mark.parametrize(
    "pipeline, message",
    [
        ("symir-lower,branch-nothing", "unknown pass 'branch-nothing'"),
        ("symir-lower{after=branch-nope:cse}", "the default lowering has no pass 'branch-nope'"),
        ("symir-lower{after=cse}", "expected ANCHOR:PASSES"),
        ("symir-lower{sort_rows=maybe}", "symir-lower"),
        ("symir-lower{", "cannot parse the pipeline"),
        (
            "convert-branch-to-stablehlo",
            "pass 'convert-branch-to-stablehlo' reads the 'branch' level, but the "
            "pipeline's input is at the 'sym' level",
        ),
        (
            "symir-lower,branch-sort-rows",
            "pass 'branch-sort-rows' reads the 'branch' level, but after "
            "'stablehlo-outline-constants' the IR is at the 'stablehlo' level",
        ),
        ("convert-sym-to-branch", "the pipeline ends at the 'branch' level"),
    ],
)
def test_a_bad_pipeline_is_refused_before_anything_runs(pipeline, message):
    ran: list[str] = []

    class Probe:
        name = "probe"

        def run(self, context):
            ran.append("post-cache")

    compiler = sym.SymbolicCompiler(sym.SymbolicCompilerOptions(cache_enabled=False))
    compiler.pipeline.add_post_cache(Probe())
    with pytest.raises(SymbolicCompilerError) as e:
        compiler.compile(zero_swap(), pipeline=pipeline)
    assert e.value.stage == "pipeline" and message in str(e.value)
    assert ran == []  # refused before the post-cache stages and the lowering


def test_pipeline_error_is_a_value_error():
    with pytest.raises(PipelineError, match="did you mean branch-sort-rows"):
        build_pipeline("branch-sort-row", LoweringOptions())


def test_the_ir_after_every_pass_of_the_lowering():
    op = zero_swap()
    result = lower_ir(op.to_ir())
    assert list(result.levels) == ["sym", "branch", "stablehlo"]  # the levels alone
    assert result.levels.after == list(result.pass_times)
    assert result.levels.after[:5] == [
        "sym-lift-constant-sites",
        "sym-tabulate-terms",
        "sym-merge-row-terms",
        "convert-sym-to-branch",
        "branch-coalesce-diagonal",
    ]
    assert result.levels["convert-sym-to-branch"].count("branch.emit") == 2
    assert "sym.operator" in result.levels["sym-merge-row-terms"]
    assert result.levels["cse#2"] == result.stablehlo_text
    kept = lower_ir(op.to_ir(), record_each=True).levels
    assert all(kept[k] == result.levels[k] for k in kept.after)

    artifact = sym.SymbolicCompiler(sym.SymbolicCompilerOptions(cache_enabled=False)).compile(op)
    assert artifact.passes_run == result.levels.after
    assert (
        artifact.ir(after="branch-fuse-equal-states") == result.levels["branch-fuse-equal-states"]
    )
    with pytest.raises(ValueError, match="no lowering pass 'branch-nope'"):
        artifact.ir(after="branch-nope")


def test_print_between_passes_shows_every_inner_pass_of_symir_lower():
    src = ROOT / "tests" / "lit" / "lowering" / "pipelines-symir-lower.mlir"
    out = opt(str(src), "-p", "symir-lower", "--print-between-passes").stdout
    shown = [
        line[len("IR after ") : -1] for line in out.splitlines() if line.startswith("IR after")
    ]
    assert shown == [p.name for p in LoweringOptions().passes()][:-1]


PAGE = ROOT / "docs" / "your-own-pass.md"


def test_the_page_shows_the_packages_own_files():
    """docs/your-own-pass.md quotes the example package's files verbatim."""
    text = PAGE.read_text()
    for path in (
        "pyproject.toml",
        "symir_plugin_example/branch_drop_zero_emissions.py",
        "symir_plugin_example/universe.py",
        "tests/lit/lit.cfg.py",
        "tests/lit/branch-drop-zero-emissions.mlir",
    ):
        content = (EXAMPLE / path).read_text().rstrip("\n")
        assert f"\n{content}\n```" in text, f"docs/your-own-pass.md does not quote {path}"


def test_the_pages_examples_run_with_the_plugin_installed(plugin, capsys):
    """The page's `py` blocks (they need the plugin installed, so the docs test, which
    runs the `python` blocks, skips them) run in order in one namespace."""
    import re

    blocks = re.findall(r"^```py\n(.*?)^```", PAGE.read_text(), re.S | re.M)
    assert len(blocks) == 2
    namespace: dict = {"__name__": "docs.your_own_pass"}
    for k, block in enumerate(blocks):
        exec(compile(block, f"your-own-pass.md (py block {k})", "exec"), namespace)
    out = capsys.readouterr().out
    assert "default: F = 12" in out and "with the plugin: F = 6" in out
