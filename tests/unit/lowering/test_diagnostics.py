"""Every diagnostic code of `symbolic-validation` is triggered by its documented example,
reads `<code> term @t[, emission k]: <message>`, is listed in docs/diagnostics.md, and can
be turned into an error or silenced by option."""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from xdsl.context import Context
from xdsl.dialects.builtin import IntAttr

import symir as sym
from symir.interpreter import reference_to_dense
from symir.lowering.sym.diagnostics import CODES
from symir.lowering.sym.symbolic_validation import SymbolicValidationPass

DOCS = Path(__file__).resolve().parents[3] / "docs" / "diagnostics.md"
SPIN = sym.Spin(0.5, 3)
FOCK = sym.Fock(2, 3)


def D(hi=SPIN):
    return sym.DOperator(hi, "d")


def _unverifiable():
    module = D().for_each_site("i").emit(sym.write("i", -sym.site("i"))).build().to_ir().module
    (operator,) = module.ops
    operator.properties["num_sites"] = IntAttr(1)  # rows now name site 2 of 1
    return module


def _hinted():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return (
            D()
            .for_each_site("i")
            .fanout(1)
            .emit(sym.write("i", -sym.site("i")))
            .emit(sym.write("i", 1))
        )


EXAMPLES = {
    "SYMIR-E001": _unverifiable,
    "SYMIR-E002": lambda: D().for_each_site("i").emit(sym.shift("i", 1)).build(),
    "SYMIR-E003": lambda: D().globally().emit(sym.scatter([0, 1], [1, 3])).build(),
    "SYMIR-E004": lambda: D().for_each_site("i").emit(matrix_element=sym.site("i") / 0).build(),
    "SYMIR-E008": lambda: (
        D()
        .for_each_site("i")
        .emit(sym.write("i", -sym.site("i")), matrix_element=complex(1.0, float("inf")))
        .build()
    ),
    "SYMIR-W101": lambda: (
        D()
        .for_each_site("i")
        .where(sym.site("i") > 5)
        .where(sym.site("i") < -5)
        .where(False)
        .emit(sym.write("i", -sym.site("i")))
        .build()
    ),
    "SYMIR-W102": lambda: (
        D().for_each_site("i").emit_if(False, sym.write("i", -sym.site("i"))).build()
    ),
    "SYMIR-W103": lambda: (
        D()
        .for_each_site("i")
        .emit(sym.write("i", -sym.site("i")))
        .emit(sym.write("i", -sym.site("i")))
        .build()
    ),
    "SYMIR-W104": lambda: _hinted().build(),
    "SYMIR-W105": lambda: (
        D(FOCK).for_each_site("i").emit(matrix_element=1.0 / sym.site("i")).build()
    ),
}


FERMIONS = sym.Fermions(2, 2, n_fermions_per_spin=(1, 1))

DEFINITION_EXAMPLES = {
    "SYMIR-E005": lambda: D().globally().emit(sym.cdag(0) * sym.c(1)).build(),
    "SYMIR-E006": lambda: D(sym.Fermions(3)).for_each_site("i").emit(sym.write("i", 1)).build(),
    "SYMIR-E007": lambda: D(FERMIONS).globally().emit(sym.cdag(0) * sym.c(2)).build(),
}
"""Examples of the codes the DSL raises while it defines an operator (stage
`definition`): a `SymbolicDefinitionError` with the diagnostic's text and code."""


def _two_colours():
    nk = pytest.importorskip("netket")
    graph = nk.graph.Square(3, max_neighbor_order=2)
    return sym.DOperator(sym.Spin(0.5, 9), "d").for_each(("i", "j"), over=graph)


DEFINITION_WARNINGS = {
    "SYMIR-W106": _two_colours,
    "SYMIR-W107": lambda: (
        sym.DOperator(sym.Spin(0.5, 4, total_sz=0), "d")
        .for_each_site("i")
        .emit(sym.write("i", -sym.site("i")))
        .build()
    ),
}
"""Examples of the warnings the DSL issues while it defines an operator: a
`SymbolicDefinitionWarning` with the diagnostic's text and code."""


def summary(example, **options):
    built = example()
    module = built if not hasattr(built, "to_ir") else built.to_ir().module
    SymbolicValidationPass(strict=False, **options).apply(Context(), module)
    from symir.lowering.analyses import read_analyses

    return read_analyses(module)["validation_summary"]


def test_every_code_has_an_example_and_a_docs_row():
    definition = set(DEFINITION_EXAMPLES) | set(DEFINITION_WARNINGS)
    assert {k[:10] for k in EXAMPLES} | definition == set(CODES)
    assert not {k[:10] for k in EXAMPLES} & definition
    for code in DEFINITION_EXAMPLES:
        assert CODES[code].stage == "definition" and CODES[code].severity == "error"
    for code in DEFINITION_WARNINGS:
        assert CODES[code].stage == "definition" and CODES[code].severity == "warning"
    documented = set(re.findall(r"^\| `(SYMIR-[EW]\d{3})` \|", DOCS.read_text(), re.M))
    assert documented == set(CODES)


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_example_triggers_its_code(example):
    code = example[:10]
    s = summary(EXAMPLES[example])
    found = s["errors"] if CODES[code].severity == "error" else s["warnings"]
    mine = [t for t in found if t.startswith(code + " ")]
    assert mine, found
    if code != "SYMIR-E001":
        assert re.match(rf"{code} term @\w+(, emission \d+)?: \S", mine[0]), mine[0]
    assert s["ok"] == (CODES[code].severity != "error")


@pytest.mark.parametrize("code", sorted(DEFINITION_EXAMPLES))
def test_definition_example_raises_its_code(code):
    with pytest.raises(sym.SymbolicDefinitionError) as info:
        DEFINITION_EXAMPLES[code]()
    assert re.match(rf"{code} term @\w+: \S", str(info.value)), str(info.value)
    assert info.value.code == code


@pytest.mark.parametrize("code", sorted(DEFINITION_WARNINGS))
def test_definition_warning_is_issued_with_its_code(code):
    with pytest.warns(sym.SymbolicDefinitionWarning) as caught:
        DEFINITION_WARNINGS[code]()
    (found,) = [w.message for w in caught if isinstance(w.message, sym.SymbolicDefinitionWarning)]
    assert re.match(rf"{code} term @\w+(, emission \d+)?: \S", str(found)), str(found)
    assert found.code == code


@pytest.mark.parametrize(
    "code", sorted(c for c in CODES if CODES[c].severity == "warning" and c in EXAMPLES)
)
def test_warning_codes_can_be_errors_or_silenced(code):
    loud = summary(EXAMPLES[code], warnings_as_errors=(code,))
    assert not loud["ok"] and any(t.startswith(code) for t in loud["errors"])
    quiet = summary(EXAMPLES[code], ignore_warnings=(code,))
    assert not any(t.startswith(code) for t in quiet["warnings"] + quiet["errors"])


def test_unknown_code_is_a_clear_error():
    with pytest.raises(ValueError, match=r"unknown diagnostic code\(s\) \['SYMIR-W999'\]"):
        summary(EXAMPLES["SYMIR-W103"], ignore_warnings=("SYMIR-W999",))
    with pytest.raises(ValueError, match="warnings_as_errors"):
        D().globally().emit().build().compile(warnings_as_errors=("W101",))


def test_compile_options_do_not_change_the_cache_key():
    from symir.compiler import SymbolicCompilerOptions

    a = SymbolicCompilerOptions().static_signature()
    b = SymbolicCompilerOptions(ignore_warnings=("all",)).static_signature()
    assert a == b


def test_validation_leaves_no_use_behind():
    """The duplicate-emission check (SYMIR-W103) printed clones of the emissions, which
    kept using their conditions: `symbolic-normalization` then folded such a condition
    (`and(not c)` of an `emit_else` in a product) and followed the clone's use to an op
    in no block ("Operation insertion point must have a parent block")."""
    hi = sym.DiscreteHilbert((-1, 0, 2), 2)
    site = sym.site
    a = (
        D(hi)
        .for_each_site("i")
        .where(site("i") != -1)
        .emit(sym.identity(), matrix_element=1.0)
        .emit(sym.write("i", 2), matrix_element=1.5)
        .build()
    )
    b = (
        D(hi)
        .for_each_site("i")
        .emit_if(site("i") == 2, sym.shift("i", 2), 1.0)
        .emit_else(sym.write("i", 0), 0.5)
        .build()
    )
    module = (a @ b).to_ir().module
    SymbolicValidationPass().apply(Context(), module)
    users = [u.operation for op in module.walk() for r in op.results for u in r.uses]
    assert all(user.parent is not None for user in users)
    dense = np.asarray((a @ b).compile().to_dense())
    assert abs(dense).max() > 0
    np.testing.assert_allclose(dense, reference_to_dense(a @ b), atol=1e-12)


def test_a_folded_write_outside_the_local_states_drops_the_branch():
    """A value in between may leave the local states (docs/semantics.md), and folding
    makes such constants: `write(i, site(0).index + 1)` folds to `write(i, 1)` on spin 1
    (states [-2, 0, 2]), and the product of `write(i, 2)` and a `cond` whose predicate
    folds (`x'[i] > -2`) to `write(i, 2 - 1)`. The `sym.write` verifier refused the
    folded constant (a VerifyException from `sym-merge-row-terms`); the branch is
    invalid, as the reference interpreter says, and lowers to a checked write."""
    hi, site = sym.Spin(1, 2), sym.site
    one_site = D(hi).for_each_site("i")
    folded = one_site.emit(sym.write("i", site(0).index + 1), matrix_element=1.0).build()
    write = D(hi).for_each_site("i").emit(sym.write("i", 2), matrix_element=1.0).build()
    step = sym.cond(site("i") > -2, sym.shift("i", -1), sym.write("i", 0))
    lower = D(hi).for_each_site("i").emit(step, matrix_element=0.5).build()
    for op in (folded, write @ lower, folded + write):
        np.testing.assert_allclose(op.compile().to_dense(), reference_to_dense(op), atol=1e-12)
    assert abs(reference_to_dense(write @ lower)).max() > 0
    # a constant the DSL is given stays an error where the operator is defined
    with pytest.raises(sym.SymbolicDefinitionError, match="writes 1, which is not a local"):
        D(hi).globally().emit(sym.cond(site(0) > 0, sym.write(0, 1))).build()


def test_a_parsed_write_of_a_constant_outside_the_local_states_is_e003():
    module = D(FOCK).for_each_site("i").emit(sym.write("i", 2), matrix_element=1.0).build().to_ir()
    text = str(module).replace("sym.constant 2 : i64", "sym.constant 3 : i64")
    findings = summary(lambda: sym.parse_ir(text).module)
    assert any(
        "SYMIR-E003" in f and "'sym.write' writes 3, which is not a local state" in f
        for f in findings["errors"]
    ), findings


def test_emissions_under_different_conditions_are_no_duplicates():
    """`emit_if(p, u)` and `emit_elseif(q, u)` (the same update and amplitude) printed
    alike, their conditions being values from outside the emission: SYMIR-W103 said
    "duplicate emissions (kept: multiset)" of two exclusive branches."""
    site = sym.site
    chain = (
        D()
        .for_each_site("i")
        .emit_if(site("i") > 0, sym.write("i", -site("i")), 1.0)
        .emit_elseif(site(0) > 0, sym.write("i", -site("i")), 1.0)
    )
    assert not any("SYMIR-W103" in w for w in summary(lambda: chain.build())["warnings"])
    twice = D().for_each_site("i").emit_if(site("i") > 0, sym.write("i", -site("i")), 1.0)
    twice = twice.emit_if(site("i") > 0, sym.write("i", -site("i")), 1.0)
    assert any("SYMIR-W103" in w for w in summary(lambda: twice.build())["warnings"])


def test_pass_options_out_of_their_range_are_named(tmp_path):
    """`convert-sym-to-branch{x_dtype=f32}` said "invalid literal for int()", and
    `symbolic-normalization{backend=xyz}` was taken unchecked (found by a sweep)."""
    from symir.tools.opt import main as opt_main

    path = tmp_path / "op.mlir"
    path.write_text(
        str(D().for_each_site("i").emit(sym.write("i", -sym.site("i"))).build().to_ir())
    )
    for option, message in [
        ("convert-sym-to-branch{x_dtype=f32}", "x_dtype must be one of .* got 'f32'"),
        ("symbolic-normalization{backend=xyz}", "backend must be 'auto' or 'jax' .* got 'xyz'"),
    ]:
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            with pytest.raises(SystemExit) as stop:
                opt_main([str(path), "-p", option])
        assert stop.value.code != 0
        assert re.search(message, err.getvalue()), err.getvalue()
