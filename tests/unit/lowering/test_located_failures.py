"""A pass whose rewrite pattern raises says which op it was rewriting (issue 19): the
op's term and emission for DSL-built IR (through the compiler's `SymbolicCompilerError`,
naming the pass), its file:line:col and source line for parsed IR (symir-opt; the lit
tests convert-sym-to-branch-errors.mlir and symbolic-validation.mlir)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, PatternRewriteWalker, RewritePattern

import symir as sym
from symir.dialects import sym as sym_dialect
from symir.dialects.locations import located_failure
from symir.dialects.parsing import parse_module
from symir.errors import SymbolicCompilerError
from symir.ir import sym_context
from symir.lowering.locating import LocatingPattern
from symir.lowering.pipelines import lower_ir


class RefuseWrites(RewritePattern):
    """Raises on every `sym.write` (a pattern that cannot handle what it finds)."""

    def match_and_rewrite(self, op, rewriter: PatternRewriter, /) -> None:
        if isinstance(op, sym_dialect.WriteOp):
            raise NotImplementedError("cannot lower this write")


@dataclass(frozen=True)
class RefuseWritesPass(ModulePass):
    name = "sym-refuse-writes"
    level = "sym"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(LocatingPattern(RefuseWrites())).rewrite_module(op)


def flips():
    return (
        sym.DOperator(sym.Spin(0.5, 3), "flips")
        .for_each_site("i")
        .emit(sym.identity(), matrix_element=1.0)
        .emit(sym.write("i", -sym.site("i")), matrix_element=0.5, tag="flip")
        .build()
    )


def test_the_compiler_names_the_pass_and_the_term_emission_and_op():
    with pytest.raises(SymbolicCompilerError) as info:
        lower_ir(flips().to_ir(), extra_passes=[RefuseWritesPass()])
    message = str(info.value)
    assert "sym-refuse-writes" in message
    assert "NotImplementedError: cannot lower this write" in message
    assert "(at term 'term0', " in message and "emission 1 ('flip'), op 'sym.write')" in message


def test_parsed_ir_gives_the_file_line_and_caret():
    text = str(flips().to_ir().module)
    module = parse_module(sym_context(), text, "flips.mlir")
    line = next(k for k, s in enumerate(text.split("\n"), 1) if "sym.write" in s)
    with pytest.raises(NotImplementedError) as info:
        RefuseWritesPass().apply(Context(), module)
    located = located_failure(info.value)
    head, source, caret = located.split("\n")
    column = len(source) - len(source.lstrip()) + 1
    assert (
        head == f"flips.mlir:{line}:{column}: error: NotImplementedError: cannot lower this write"
    )
    assert "sym.write" in source and caret == " " * (column - 1) + "^"


def test_an_error_without_an_op_is_reported_as_before():
    assert located_failure(ValueError("plain")) is None
