"""`lower_ir` and the default lowering's bookkeeping: the IR of each level is verified at
the end of its level and printed only when read; `verify_each` names the pass that broke
the IR; the fast constant builders give exactly what xDSL's own builders give."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from xdsl.context import Context
from xdsl.dialects.builtin import (
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    ModuleOp,
    TensorType,
    i64,
)
from xdsl.passes import ModulePass

import symir as sym
import symir.dialects.stablehlo as sh
from symir.compiler import InMemoryArtifactStore, SymbolicCompiler
from symir.dialects import branch, print_module
from symir.dialects import sym as sym_dialect
from symir.errors import SymbolicCompilerError
from symir.lowering import pipelines
from symir.lowering.pipelines import LazyLevels, LoweringOptions, lower_ir


def tfim(n: int = 6):
    hi = sym.Spin(0.5, n)
    bonds = [(i, (i + 1) % n) for i in range(n)]
    return (
        sym.DOperator(hi, "tfim")
        .for_each(("i", "j"), over=bonds)
        .emit(sym.identity(), amplitude=sym.site("i") * sym.site("j"))
        .for_each_site("k")
        .emit(sym.write("k", -sym.site("k")), amplitude=-0.5)
        .build()
    )


def test_levels_are_printed_when_read(monkeypatch):
    printed: list[str] = []
    real = pipelines.print_module

    def counting(module, **kw):
        printed.append(pipelines.level_of(module))
        return real(module, **kw)

    monkeypatch.setattr(pipelines, "print_module", counting)
    result = lower_ir(tfim().to_ir())
    assert list(result.levels) == ["sym", "branch", "stablehlo"]
    assert printed == []  # nothing printed by the lowering itself
    text = result.levels["branch"]
    assert printed == ["branch"] and "branch.kernel" in text and "branch.sum_rows" in text
    assert result.levels["branch"] is text and printed == ["branch"]  # printed once
    assert "func.func @main" in result.stablehlo_text and printed == ["branch", "stablehlo"]
    assert "sym.operator" in result.levels["sym"]
    assert dict(result.levels).keys() == {"sym", "branch", "stablehlo"}


def test_kept_level_is_the_ir_at_the_end_of_its_level():
    # the branch text is the IR after the last branch pass, not after the conversion
    # that followed it (the lowering transforms one module in place)
    eager = []

    def record(done, module, upcoming):
        if upcoming is not None and upcoming.name == "convert-branch-to-stablehlo":
            eager.append(print_module(module))

    from xdsl.passes import PassPipeline

    module = tfim().to_ir().module
    PassPipeline(LoweringOptions().passes(), record).apply(Context(), module)
    assert lower_ir(tfim().to_ir()).levels["branch"] == eager[0]


def test_lazy_levels_mapping():
    calls = []
    levels = LazyLevels({"a": lambda: calls.append("a") or "A"})
    levels.set("b", lambda: "B")
    assert len(levels) == 2 and "a" in levels and "c" not in levels
    assert calls == []
    assert levels["a"] == "A" and levels["a"] == "A" and calls == ["a"]
    with pytest.raises(KeyError):
        levels["c"]
    assert dict(levels) == {"a": "A", "b": "B"}


@dataclass(frozen=True)
class _BreakBranch(ModulePass):
    """Makes a `branch.column` disagree with its row count (the verifier fails)."""

    name = "test-break-branch"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        column = next(o for o in op.walk() if isinstance(o, branch.ColumnOp))
        column.values = DenseArrayBase.from_list(i64, [0])


@dataclass(frozen=True)
class _Nothing(ModulePass):
    name = "test-nothing"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        pass


def test_broken_ir_is_caught_at_the_end_of_its_level(monkeypatch):
    default = LoweringOptions.passes

    def passes(self):
        passes = list(default(self))
        k = next(i for i, p in enumerate(passes) if p.name == "convert-branch-to-stablehlo")
        return (*passes[:k], _BreakBranch(), _Nothing(), *passes[k:])

    monkeypatch.setattr(LoweringOptions, "passes", passes)
    options = LoweringOptions()
    with pytest.raises(SymbolicCompilerError) as end_of_level:
        lower_ir(tfim().to_ir(), options)
    assert "branch.column" in str(end_of_level.value)
    # verified at the end of the branch level: the last pass of that level is named
    assert end_of_level.value.pass_name == "test-nothing"
    with pytest.raises(SymbolicCompilerError) as each:
        lower_ir(tfim().to_ir(), options, verify_each=True)
    assert each.value.pass_name == "test-break-branch"


def test_in_place_lowers_the_module_itself_and_keeps_its_sym_level():
    ir = tfim().to_ir()
    module = ir.module  # a private copy
    result = lower_ir(module, in_place=True)
    assert list(result.levels) == ["sym", "branch", "stablehlo"]
    assert result.levels["sym"].strip() == str(ir).strip()  # kept before the conversion
    assert print_module(module) == result.stablehlo_text  # the module became the kernel
    assert result.stablehlo_text == lower_ir(ir).stablehlo_text


def test_an_unverified_working_ir_is_verified_by_the_lowering():
    # the compiler wraps its working IR without verifying it: a broken module must still
    # be refused, by the lowering's check at the end of the sym level
    module = tfim().to_ir().module
    term = next(o for o in module.walk() if isinstance(o, sym_dialect.TermOp))
    term.rows = term.rows.__class__([term.rows.data[0], DenseArrayBase.from_list(i64, [0])])
    broken = sym.SymbolicOperatorIR.unverified(module)
    with pytest.raises(SymbolicCompilerError, match="row 1"):
        lower_ir(broken.readonly_module(), in_place=True)


@pytest.mark.parametrize(
    "array",
    [
        np.array([1, -2, 3], np.int64),
        np.array([[1, -2], [3, 4]], np.int8),
        np.array([7, 9], np.int16),
        np.array([-7, 9], np.int32),
        np.array([True, False, True]),
        np.array(True),
        np.array(2.5),
        np.array([1.5, -np.inf, 1e-300]),
        np.array([1 + 2j, -3.5j]),
        np.array([[0.5, 1.0]], np.float32),
    ],
)
def test_constant_from_array_is_from_list(array):
    fast = sh.ConstantOp.from_array(array).value
    typ = TensorType(sh.element_type_of_dtype(array.dtype), array.shape)
    flat = array.reshape(-1)
    if array.dtype.kind == "c":
        values = [(float(v.real), float(v.imag)) for v in flat]
    elif array.dtype.kind == "f":
        values = [float(v) for v in flat]
    else:
        values = [int(v) for v in flat]
    assert fast == DenseIntOrFPElementsAttr.from_list(typ, values)


def test_i64_array_is_from_list():
    values = [0, -1, 5, 2**40, -(2**63)]
    assert branch.i64_array(values) == DenseArrayBase.from_list(i64, values)
    assert branch.i64_array(np.array(values)) == DenseArrayBase.from_list(i64, values)


def test_row_table_unpacked_once_per_rows_attribute():
    module = tfim(5).to_ir().module
    term = next(o for o in module.walk() if isinstance(o, sym_dialect.TermOp))
    table = term.row_table
    assert table == tuple((i, (i + 1) % 5) for i in range(5))
    assert term.row_table is table  # cached
    term.rows = type(term.rows)([sym_dialect._int_array([4, 0])])
    assert term.row_table == ((4, 0),)  # a new attribute: unpacked again


@dataclass(frozen=True)
class _BreakStablehlo(ModulePass):
    """Moves `@main`'s second op before its first, which it reads: a use before its
    definition, which xDSL's dominance check and jaxlib's verifier both refuse."""

    name = "test-break-stablehlo"
    level = "stablehlo"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        body = next(o for o in op.walk() if o.name == "func.func").regions[0].block
        for first in body.ops:
            user = next((u.operation for r in first.results for u in r.uses), None)
            if user is not None and user.parent_block() is body:
                user.detach()
                body.insert_op_before(user, first)
                return
        raise AssertionError("no op of @main reads another")


def test_the_last_level_is_left_to_its_reader_without_verify_all(monkeypatch):
    # the compiler does not verify the StableHLO with xDSL's verifiers: jaxlib parses and
    # verifies the text right after; SYMIR_VERIFY_ALL (the tests' default) verifies it too
    monkeypatch.setattr(pipelines, "VERIFY_ALL", False)
    extra = (_BreakStablehlo(),)
    with pytest.raises(SymbolicCompilerError, match=r"before its definition|dominate") as verified:
        lower_ir(tfim().to_ir(), extra_passes=extra)
    assert verified.value.pass_name == "test-break-stablehlo"
    lower_ir(tfim().to_ir(), extra_passes=extra, verify_last=False)  # not verified
    monkeypatch.setattr(pipelines, "VERIFY_ALL", True)
    with pytest.raises(SymbolicCompilerError, match=r"before its definition|dominate"):
        lower_ir(tfim().to_ir(), extra_passes=extra, verify_last=False)
    # through the compiler, jaxlib's verifier refuses it
    monkeypatch.setattr(pipelines, "VERIFY_ALL", False)
    compiler = SymbolicCompiler(artifact_store=InMemoryArtifactStore())
    compiler.pipeline.add_lowering(_BreakStablehlo())
    with pytest.raises(SymbolicCompilerError, match=r"before its definition|dominate"):
        compiler.compile(tfim())


def fixed_flips(n: int = 6):
    """A flip of site 0 and of site 1, each a term of fixed sites: compiled without the
    DSL's canonical form (`merge_row_terms=False`), `sym-lift-constant-sites` makes the
    sites row-table columns, which changes the `sym` level."""
    flip = sym.DOperator(sym.Spin(0.5, n), "flips")
    for k in (0, 1):
        flip = flip.globally().emit(sym.write(k, -sym.site(k)), amplitude=-0.5)
    return flip.build()


@pytest.mark.parametrize(
    "make, options, verify_all, verifications",
    [
        (tfim, {}, False, 1),
        (tfim, {}, True, 4),
        (fixed_flips, {"merge_row_terms": False}, False, 2),
        (fixed_flips, {"merge_row_terms": False}, True, 4),
    ],
)
def test_each_level_is_verified_once_by_the_compiler(
    monkeypatch, make, options, verify_all, verifications
):
    # the operator's IR verified when it is made; normalization verifies what it
    # reorders; then the compiler verifies the end of the sym level only if a sym pass
    # changed it (tfim: none does; fixed_flips: sym-lift-constant-sites lifts its sites), the
    # end of the branch level, and jaxlib the StableHLO; SYMIR_VERIFY_ALL adds the
    # validation's, the unchanged sym level's and the StableHLO's verification
    op = make()
    op.to_ir()  # made (and verified) before counting
    monkeypatch.setattr(pipelines, "VERIFY_ALL", verify_all)
    calls = []
    verify = ModuleOp.verify

    def counting(self, *args, **kwargs):
        calls.append(self)
        return verify(self, *args, **kwargs)

    monkeypatch.setattr(ModuleOp, "verify", counting)
    SymbolicCompiler(artifact_store=InMemoryArtifactStore()).compile(op, **options)
    assert len(calls) == verifications
