"""Locations of ops (issue 19, item 4): parsed ops carry file:line:col, verifier errors
of parsed IR are printed as MLIR prints them, an undefined value is reported at its use,
and DSL-built ops are named by term and emission."""

from __future__ import annotations

import pytest
from xdsl.dialects.builtin import ArrayAttr, DenseArrayBase, FileLineColLoc, i64
from xdsl.utils.exceptions import ParseError, VerifyException

import symir as sym
from symir.dialects import sym as sym_dialect
from symir.dialects.locations import describe, located_parse_error, located_verify_error
from symir.dialects.parsing import parse_module
from symir.errors import SymbolicDefinitionError
from symir.ir import SymbolicOperatorIR, sym_context

TEXT = """sym.operator @x sites 4 states [-1, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i"] rows [[0], [1]] {
    %i = sym.label "i"
    sym.emission "flip" {
      %xi = sym.read %i : i64
      %f = sym.neg %xi : i64 -> i64
      sym.write %i, %f
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}
"""


def test_parsed_ops_carry_their_file_line_and_column():
    module = parse_module(sym_context(), TEXT, "model.mlir")
    term = next(o for o in module.walk() if isinstance(o, sym_dialect.TermOp))
    write = next(o for o in module.walk() if isinstance(o, sym_dialect.WriteOp))
    for op, line, col in ((term, 2, 3), (write, 7, 7)):
        assert isinstance(op.location, FileLineColLoc)
        assert (op.location.filename.data, op.location.line.data, op.location.column.data) == (
            "model.mlir",
            line,
            col,
        )


def test_a_verifier_error_of_parsed_ir_points_at_the_op():
    module = parse_module(sym_context(), TEXT.replace("[[0], [1]]", "[[0], [7]]"), "m.mlir")
    with pytest.raises(VerifyException) as e:
        module.verify()
    assert located_verify_error(module, e.value) == (
        "m.mlir:2:3: error: 'sym.term' @t row 1 [7] has site index 7 outside [0, 4)\n"
        '  sym.term @t kind "rows" labels ["i"] rows [[0], [7]] {\n'
        "  ^"
    )


def test_an_undefined_value_is_reported_at_its_use():
    text = TEXT.replace("sym.yield %a", "sym.yield %nowhere")
    with pytest.raises(ParseError) as e:
        parse_module(sym_context(), text, "u.mlir")
    assert located_parse_error(e.value) == (
        "u.mlir:10:17: error: use of undefined value '%nowhere'\n"
        "      sym.yield %nowhere : f64\n"
        "                ^"
    )


def test_dsl_built_ops_are_named_by_term_and_emission():
    op = (
        sym.DOperator(sym.Spin(0.5, 4), "h")
        .for_each_site("k")
        .named("flips")
        .emit(sym.write("k", -sym.site("k")), amplitude=1.0, tag="flip")
        .build()
    )
    module = op.to_ir().module
    write = next(o for o in module.walk() if isinstance(o, sym_dialect.WriteOp))
    assert describe(write) == "term 'flips', emission 0 ('flip'), op 'sym.write'"
    term = next(o for o in module.walk() if isinstance(o, sym_dialect.TermOp))
    term.rows = ArrayAttr([DenseArrayBase.from_list(i64, [9])] * 4)
    with pytest.raises(SymbolicDefinitionError, match=r"term 'flips': 'sym.term' @flips row 0"):
        SymbolicOperatorIR(module)
