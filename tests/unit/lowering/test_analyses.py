"""What passes report (`symir.lowering.analyses`): every analysis a built-in pass writes is
in `ANALYSES` with its fields and documented; the compiler takes them off the module after
each pass (its working module, memoized and lowered, is the plain operator) and prints them
back on the `sym` level; one fingerprint."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp

import symir as sym
from symir.dialects import print_module
from symir.ir import parse_ir
from symir.lowering import make_pass
from symir.lowering.analyses import (
    ANALYSES,
    annotate,
    fingerprint,
    is_analysis,
    read_analyses,
    take_analyses,
    write_analysis,
)

DOCS = Path(__file__).resolve().parents[3] / "docs"
SYM_PASSES = [
    "symbolic-validation",
    "symbolic-normalization",
    "symbolic-fanout-analysis",
    "sym-lift-constant-sites",
    "sym-tabulate-terms",
    "sym-merge-row-terms",
]
BRANCH_PASSES = [
    "convert-sym-to-branch",
    "branch-coalesce-diagonal",
    "branch-merge-exclusive-emissions",
    "branch-fuse-equal-states",
]


def bonds(n: int = 4) -> sym.SymbolicOperatorSum:
    """Heisenberg on a ring, one operator per bond: terms that merge and fuse."""
    hi = sym.Spin(0.5, n)

    def bond(k: int):
        si, sj = sym.site("i"), sym.site("j")
        flip = sym.write("i", -si).write("j", -sj)
        return (
            sym.DOperator(hi, f"b{k}", hermitian=True)
            .for_each(("i", "j"), over=[(k, (k + 1) % n)])
            .emit(flip, matrix_element=1.0)
            .for_each(("i", "j"), over=[(k, (k + 1) % n)])
            .emit(sym.identity(), matrix_element=si * sj)
            .build()
        )

    return sym.SymbolicOperatorSum([bond(k) for k in range(n)])


def written_by_each_pass() -> dict[str, tuple[str, object]]:
    """Runs the built-in passes in order; the analysis attributes each one added."""
    module = bonds().to_ir().module
    found: dict[str, tuple[str, object]] = {}
    for name in SYM_PASSES + BRANCH_PASSES:
        before = set(module.attributes)
        make_pass(name).apply(Context(), module)
        for key in set(module.attributes) - before:
            assert is_analysis(key), f"{name} wrote {key}, not an analysis name"
            found[key] = (name, read_analyses({key: module.attributes[key]}))
    return found


@pytest.fixture(scope="module")
def written():
    return written_by_each_pass()


def test_every_analysis_a_built_in_pass_writes_is_in_the_table(written):
    by_attribute = {a.attribute: (name, a) for name, a in ANALYSES.items()}
    assert set(written) == set(by_attribute)
    for attribute, (pass_name, values) in written.items():
        name, analysis = by_attribute[attribute]
        assert analysis.written_by == pass_name, attribute
        value = values[name]
        if analysis.fields:
            records = value.values() if name == "fusion" else [value]
            for record in records:
                assert set(record) <= set(analysis.fields), (attribute, set(record))
        if analysis.record:  # its fields are entries of their own
            assert all(values[k] == v for k, v in value.items())


def test_the_compiler_docs_list_every_analysis():
    text = (DOCS / "compiler.md").read_text()
    rows = set(re.findall(r"^\| `([a-z]+\.[a-z_]+)` \| `([a-z-]+)` \|", text, re.M))
    assert rows == {(a.attribute, a.written_by) for a in ANALYSES.values()}


def test_take_and_annotate_round_trip():
    module = bonds().to_ir().module
    write_analysis(module, "seen", {"terms": ["a", "b"], "count": 2, "ok": True})
    write_analysis(module, "fusion", {"k": {"fanout": [2, 1]}}, "branch")
    taken = take_analyses(module)
    assert set(taken) == {"sym.seen", "branch.fusion"}
    assert not any(is_analysis(k) for k in module.attributes)
    values = read_analyses(taken)
    assert values["seen"] == {"terms": ["a", "b"], "count": 2, "ok": True}
    assert values["fusion"] == {"k": {"fanout": [2, 1]}}
    assert read_analyses(annotate(module, taken)) == values
    with pytest.raises(ValueError, match="an analysis is written by a pass of"):
        write_analysis(module, "x", 1, "stablehlo")
    with pytest.raises(TypeError, match="an analysis value is"):
        write_analysis(module, "x", 1.5)


def test_one_fingerprint():
    """The IR's fingerprint, the normalization's `ir_fingerprint` and the fingerprint of
    the same module annotated, renamed or printed and parsed again are one value."""
    ir = bonds().to_ir()
    module = ir.module
    make_pass("symbolic-normalization").apply(Context(), module)
    recorded = read_analyses(module)["ir_fingerprint"]
    assert fingerprint(module) == recorded  # its own analysis does not count
    again = parse_ir(print_module(module))
    assert again.static_fingerprint() == recorded
    write_analysis(module, "anything", 1)
    assert fingerprint(module) == recorded
    (operator,) = module.ops
    for op in operator.walk():
        for r in op.results:
            r.name_hint = "renamed"
    assert fingerprint(module) == recorded
    other = ModuleOp([])
    assert fingerprint(other) != recorded


def test_the_compiler_takes_analyses_off_the_module_and_prints_them_back():
    compiler = sym.SymbolicCompiler(sym.SymbolicCompilerOptions(cache_enabled=False))
    artifact = compiler.compile(bonds())
    for name in ("validation_summary", "normalization", "fanout_analysis", "ir_fingerprint"):
        assert name in artifact.analyses
    text = artifact.ir("sym")
    for attribute in ("sym.validation_summary", "sym.normalization", "sym.fanout_analysis"):
        assert attribute in text
    assert artifact.analyses["ir_fingerprint"] == parse_ir(text).static_fingerprint()
    # the lowering's input is the plain operator: no `sym.` analysis reaches `branch`
    assert "sym.normalization" not in artifact.ir("branch")
    # what the lowering's passes report is the compile's metadata
    assert artifact.metadata["merged_row_terms"]
    assert [p["pass"] for p in artifact.metadata["fusion"]["passes"]]


def test_an_annotated_printout_compiles_to_the_same_kernel():
    """IR parsed from `artifact.ir("sym")` (analyses and all) is the same operator: the
    same fingerprint, the same cache key, the same kernel."""
    compiler = sym.SymbolicCompiler(sym.SymbolicCompilerOptions(cache_enabled=False))
    first = compiler.compile(bonds())
    second = compiler.compile(parse_ir(first.ir("sym")))
    assert second.cache_token() == first.cache_token()
    assert second.compiled_operator.stablehlo_text == first.compiled_operator.stablehlo_text
