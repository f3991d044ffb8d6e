"""The opt driver, pipeline text, `compile()` options, parse and DSL errors (issue 35,
items 8-14): each names the problem and where it is.

- 8: a misspelled pass (or option) says which registered names are close.
- 9: a plugin pass named as one of symir's (or as another plugin's) is reported once,
  naming both packages; calls that do not name it keep working.
- 10: options of a pass separated by commas are accepted; syntax errors point into the
  pipeline as typed, not into a re-quoted one.
- 11: an unquoted merge group (`force_fusion=a+b`) says that it must be quoted.
- 12: `SymbolicCompiler.compile` takes the options `op.compile` takes; `LoweringOptions`
  is public.
- 13: an unknown op is reported at its name; a missing operand at the end of the op,
  not at the next line.
- 14: a compile error is raised once, without a chained copy of itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
from pathlib import Path

import pytest

import symir as sym
from symir.errors import PassNameClashWarning, SymbolicCompilerError
from symir.lowering import (
    _REPORTED,
    get_all_passes,
    make_pass,
    pass_clashes,
    plugin_universes,
)
from symir.lowering.pipeline_text import PipelineError, build_pipeline, parse_specs
from symir.lowering.pipelines import LoweringOptions, lower_ir

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[3]
SYM_MODULE = ROOT / "tests" / "lit" / "lowering" / "pipelines-wrong-level.mlir"


def opt(*args: str, env: dict | None = None, stdin: str | None = None):
    return subprocess.run(
        [str(BIN / "symir-opt"), *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        check=False,
    )


def flips(n: int = 3) -> sym.SymbolicOperator:
    """Two terms (`term0`, `term1`) with equal connected states: one fusion group."""
    return (
        sym.DOperator(sym.Spin(0.5, n), "flips")
        .for_each_site("k")
        .emit(sym.write("k", -sym.site("k")), amplitude=0.5)
        .for_each_site("k")
        .emit(sym.write("k", -sym.site("k")), amplitude=0.25)
        .build()
    )


def compiler() -> sym.SymbolicCompiler:
    return sym.SymbolicCompiler(sym.SymbolicCompilerOptions(cache_enabled=False))


# ----------------------------------------------------------------------------- item 8


@pytest.mark.parametrize("pipeline", ["branch-fuse-equal-state", "symir-lower,branch-sort-row"])
def test_a_misspelled_pass_names_the_close_ones(pipeline):
    proc = opt(str(SYM_MODULE), "-p", pipeline)
    assert proc.returncode == 1
    assert "did you mean branch-" in proc.stderr and "Unrecognized passes" not in proc.stderr
    with pytest.raises(SymbolicCompilerError, match="did you mean branch-") as e:
        compiler().compile(flips(), pipeline=pipeline)
    assert e.value.stage == "pipeline"


def test_a_misspelled_option_names_the_close_ones():
    with pytest.raises(
        PipelineError, match=r"no option 'enable_fusoin' \(did you mean enable_fusion"
    ):
        build_pipeline("symir-lower{enable_fusoin=false}", LoweringOptions())
    with pytest.raises(PipelineError, match=r"no option 'group' \(did you mean groups"):
        build_pipeline('branch-fuse-equal-states{group="a+b"}', LoweringOptions())


# ----------------------------------------------------------------------------- item 9


def fake_plugin(site: Path, package: str, names: list[str]) -> None:
    """An installed distribution `package` whose `xdsl.universe` registers `names`."""
    module = package.replace("-", "_")
    (site / module).mkdir()
    (site / module / "__init__.py").write_text("")
    (site / module / "universe.py").write_text(
        "from xdsl.universe import Universe\n\n\n"
        "def _pass():\n"
        "    from symir.lowering.branch.branch_sort_rows import BranchSortRowsPass\n\n"
        "    return BranchSortRowsPass\n\n\n"
        f"UNIVERSE = Universe(all_passes=dict.fromkeys({names!r}, _pass))\n"
    )
    info = site / f"{module}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        f"[xdsl.universe]\n{module} = {module}.universe:UNIVERSE\n"
    )


@pytest.fixture
def clashing_plugins(tmp_path):
    """`clash-pkg` registers `branch-sort-rows` (symir's) and `shared-pass`;
    `other-pkg` registers `shared-pass` too and `other-pass`."""
    fake_plugin(tmp_path, "clash-pkg", ["branch-sort-rows", "shared-pass"])
    fake_plugin(tmp_path, "other-pkg", ["shared-pass", "other-pass"])
    sys.path.insert(0, str(tmp_path))
    plugin_universes.cache_clear()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), *sys.path[1:]]))
    yield env
    sys.path.remove(str(tmp_path))
    plugin_universes.cache_clear()
    for name in [m for m in sys.modules if m.split(".")[0] in ("clash_pkg", "other_pkg")]:
        del sys.modules[name]


def test_a_clashing_plugin_pass_leaves_unrelated_symir_opt_calls_working(clashing_plugins):
    proc = opt(str(SYM_MODULE), "-p", "symir-lower", env=clashing_plugins)
    assert proc.returncode == 0, proc.stderr
    assert "func.func @main" in proc.stdout
    assert "Duplicate definition" not in proc.stderr
    # reported once each, naming both packages
    assert proc.stderr.count("'branch-sort-rows'") == 1
    assert "'symir' and 'clash-pkg'" in proc.stderr
    assert "'clash-pkg' and 'other-pkg'" in proc.stderr
    # the plugin's pass of a name nobody else registers is there
    assert "other-pass" in opt("--help", env=clashing_plugins).stdout


@pytest.mark.parametrize(
    "pipeline, packages",
    [
        ("symir-lower,branch-sort-rows", "'symir' and 'clash-pkg'"),
        ("symir-lower{after=branch-fuse-equal-states:shared-pass}", "'clash-pkg' and 'other-pkg'"),
    ],
)
def test_naming_a_clashing_pass_is_an_error_naming_both_packages(
    clashing_plugins, pipeline, packages
):
    proc = opt(str(SYM_MODULE), "-p", pipeline, env=clashing_plugins)
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and packages in errors[0], proc.stderr
    with pytest.raises(SymbolicCompilerError, match=packages) as e:
        compiler().compile(flips(), pipeline=pipeline)
    assert e.value.stage == "pipeline"


def test_a_clashing_plugin_pass_leaves_compile_working(clashing_plugins):
    assert set(pass_clashes()) == {"branch-sort-rows", "shared-pass"}
    _REPORTED.clear()  # each clash is reported once per process: as if none was yet
    with pytest.warns(PassNameClashWarning) as record:
        assert "other-pass" in get_all_passes() and "shared-pass" not in get_all_passes()
    said = sorted(str(w.message) for w in record)
    assert len(said) == 2 and "'symir' and 'clash-pkg'" in said[0], said
    # symir's own pass, where symir runs it (the default lowering, make_pass)
    assert type(make_pass("branch-sort-rows")).__module__.startswith("symir.lowering")
    with pytest.raises(KeyError, match="'clash-pkg' and 'other-pkg'"):
        make_pass("shared-pass")
    artifact = compiler().compile(flips())
    assert "branch-sort-rows" in artifact.passes_run
    assert artifact.compiled_operator.max_conn_size == 3


def test_help_lists_a_clashing_name_under_symir_only(clashing_plugins):
    out = opt("--help", env=clashing_plugins).stdout
    own, plugins = out.split("passes of symir:")[1].split("passes of clash-pkg")
    assert "branch-sort-rows" in own and "branch-sort-rows" not in plugins
    assert "shared-pass" not in out and "other-pass" in plugins


# ---------------------------------------------------------------------------- item 10

INSERTIONS = (
    "symir-lower{after=branch-fuse-equal-states:cse,before=convert-branch-to-stablehlo:dce}"
)


def test_options_separated_by_a_comma_are_accepted():
    spaced = INSERTIONS.replace(",before", " before")
    names = [p.name for p in build_pipeline(INSERTIONS, LoweringOptions())]
    assert names == [p.name for p in build_pipeline(spaced, LoweringOptions())]
    k = names.index("branch-fuse-equal-states")
    assert names[k + 1] == "cse" and names[names.index("convert-branch-to-stablehlo") - 1] == "dce"
    proc = opt(str(SYM_MODULE), "-p", INSERTIONS)
    assert proc.returncode == 0, proc.stderr
    comma = "symir-lower{x_dtype=i16,sort_rows=false}"
    assert "tensor<?x2xi16>" in opt(str(SYM_MODULE), "-p", comma).stdout


@pytest.mark.parametrize(
    "pipeline, column",
    [
        ("symir-lower{after=a:b before}x", 30),
        ("symir-lower{after=branch-sort-rows:cse,x", 41),
        ("symir-lower{after=a:b,,}", 23),
    ],
)
def test_a_syntax_error_points_into_the_pipeline_as_typed(pipeline, column):
    proc = opt(str(SYM_MODULE), "-p", pipeline)
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert f"at column {column}:" in lines[0]
    assert lines[1] == pipeline  # as typed: no quotes added
    assert lines[2] == " " * (column - 1) + "^"
    with pytest.raises(PipelineError) as e:
        build_pipeline(pipeline, LoweringOptions())
    assert str(e.value).splitlines()[1:3] == lines[1:3]


# ---------------------------------------------------------------------------- item 11


def test_an_unquoted_merge_group_says_to_quote_it():
    proc = opt(str(SYM_MODULE), "-p", "symir-lower{force_fusion=term0+term1}")
    assert proc.returncode == 1
    assert 'must be quoted: "term0+term1"' in proc.stderr
    with pytest.raises(SymbolicCompilerError, match='must be quoted: "term0\\+term1"'):
        compiler().compile(flips(), pipeline="symir-lower{force_fusion=term0+term1}")
    quoted = compiler().compile(flips(), pipeline='symir-lower{force_fusion="term0+term1"}')
    assert quoted.compiled_operator.max_conn_size == 3


# ---------------------------------------------------------------------------- item 12


def test_symbolic_compiler_compile_takes_the_lowering_options():
    op = flips()
    forced = compiler().compile(op, force_fusion=("term0+term1",))
    assert forced.compiled_operator.max_conn_size == 3
    assert compiler().compile(op, enable_fusion=False).compiled_operator.max_conn_size == 6
    wide = compiler().compile(op, x_dtype="i16", pipeline="symir-lower")
    assert "xi16>" in wide.levels["stablehlo"]
    assert compiler().options == sym.SymbolicCompilerOptions(cache_enabled=False)  # per call
    with pytest.raises(TypeError, match=r"unknown option.*'force_fusoin'.*force_fusion"):
        compiler().compile(op, force_fusoin=("term0+term1",))


def test_lowering_options_is_public():
    assert sym.LoweringOptions is LoweringOptions
    assert "LoweringOptions" in sym.__all__ and "LoweringOptions" in dir(sym)
    assert issubclass(sym.SymbolicCompilerOptions, sym.LoweringOptions)


# ---------------------------------------------------------------------------- item 13

FLIP = """sym.operator @x sites 2 states [-1, 1] dtype f64 {{
  sym.term @flip kind "site" labels ["i"] rows [[0], [1]] {{
    %i = sym.label "i"
    sym.emission {{
      %xi = sym.read %i : i64
      {line}
    }} amplitude {{
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }}
  }}
}}
"""


@pytest.mark.parametrize(
    "line, column, message",
    [
        ("%f = sym.negate %xi : i64 -> i64", 12, "Operation sym.negate is not registered"),
        ("sym.negate %xi : i64 -> i64", 7, "Operation sym.negate is not registered"),
        ('"sym.negate"(%xi) : (i64) -> i64', 7, "Operation sym.negate is not registered"),
        ("sym.write %i", 19, "Expected ','"),
        ("sym.write %i,", 20, "operand expected"),
        ("sym.write %i, // the value was to come here", 20, "operand expected"),
    ],
)
def test_a_parse_error_is_reported_where_the_problem_is(line, column, message):
    text = FLIP.format(line=line)
    with pytest.raises(sym.SymbolicDefinitionError) as e:
        sym.parse_ir(text)
    where, source, caret, said = str(e.value).splitlines()[:4]
    assert where.endswith(f"<sym>:6:{column}") and said.strip() == message
    assert source == text.splitlines()[5] and caret.index("^") == column - 1
    proc = opt(stdin=text)
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[0].endswith(f":6:{column}: error: {message}")


# ---------------------------------------------------------------------------- item 14


def shown(error: BaseException) -> str:
    return "".join(traceback.format_exception(error))


def test_a_validation_error_is_shown_once():
    op = sym.DOperator(sym.Spin(0.5, 3), "shifted").for_each_site("i").emit(sym.shift("i", 1))
    with pytest.raises(SymbolicCompilerError) as e:
        op.build().compile(cache=False)
    text = shown(e.value)
    assert text.count("SYMIR-E002") == 1, text
    assert "above exception" not in text and "During handling" not in text
    assert e.value.__cause__ is None and type(e.value.cause).__name__ == "SymbolicValidationError"


def test_a_lowering_error_is_shown_once():
    with pytest.raises(SymbolicCompilerError) as e:
        compiler().compile(flips(), force_fusion=("term0+nope",))
    text = shown(e.value)
    assert text.count("names ['nope']") == 1 and "above exception" not in text, text
    assert isinstance(e.value.cause, ValueError)


def test_a_bug_inside_a_stage_keeps_its_traceback():
    class Broken:
        name = "broken"

        def run(self, context):
            raise AssertionError("an invariant of symir")

    broken = compiler()
    broken.pipeline.add_pre_cache(Broken())
    with pytest.raises(SymbolicCompilerError) as e:
        broken.compile(flips())
    assert isinstance(e.value.__cause__, AssertionError) and e.value.cause is e.value.__cause__
    assert "in run" in shown(e.value)


# ------------------------------------------------------------------- items 10, 11, 15

DOCS = ROOT / "docs"


def test_the_pipeline_texts_the_docs_show_are_read_as_they_say():
    page = (DOCS / "your-own-pass.md").read_text()
    both = "symir-lower{after=branch-fuse-equal-states:my-pass,before=convert-branch-to-stablehlo:other-pass}"
    assert f"`{both}`" in page
    spec = parse_specs(both)
    assert dict(spec[0].parameters) == {
        "after": ("branch-fuse-equal-states:my-pass",),
        "before": ("convert-branch-to-stablehlo:other-pass",),
    }
    passes = (DOCS / "passes.md").read_text()
    assert 'symir-lower{force_fusion="xx+yy","p+q"}' in passes
    groups = build_pipeline('symir-lower{force_fusion="xx+yy","p+q"}', LoweringOptions())
    fuse = next(p for p in groups if p.name == "branch-fuse-equal-states")
    assert fuse.groups == ("xx+yy", "p+q")


def test_the_docs_say_that_an_emits_term_is_a_property():
    page = (DOCS / "your-own-pass.md").read_text()
    assert 'emit.attributes.get("term")`' in page
    assert 'emit.properties["term"]' in page and "emit.term.data" in page
    # what the page says
    from symir.dialects import branch

    lowered = lower_ir(flips().to_ir()).modules["branch"]
    emit = next(op for op in lowered.walk() if isinstance(op, branch.EmitOp))
    assert emit.attributes.get("term") is None
    assert emit.term.data == emit.properties["term"].data == "term0"
    assert '{term = "term0"}' in str(emit)


def test_the_lit_page_names_the_test_extra():
    page = (DOCS / "lit-tests.md").read_text()
    assert "from the `test` extra" in page and "'.[test]'" in page


def test_dir_lists_no_module_imports():
    names = dir(sym)
    assert "annotations" not in names and "importlib" not in names and "Any" not in names
    assert "sqrt" in names and "SymbolicCompiler" in names
