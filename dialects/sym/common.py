"""Helpers shared by the `sym` op modules: the check of a value's type, `enclosing` (the
closest ancestor of a kind) and the parsers and printers of the custom forms.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import ArrayAttr, BytesAttr, DenseArrayBase, i64
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import OpTrait
from xdsl.utils.exceptions import VerifyException

from symir.dialects.types import float_of_bits


def _check_value_type(op: Operation, what: str, t: Attribute, allowed: Sequence[Attribute]):
    if t not in allowed:
        names = ", ".join(str(a) for a in allowed)
        raise VerifyException(f"'{op.name}' {what} must be one of {names}, got {t}")


def enclosing(op: Operation, kind: type[Operation]) -> Operation | None:
    """The closest ancestor of `op` of class `kind`, or None."""
    parent = op.parent_op()
    while parent is not None and not isinstance(parent, kind):
        parent = parent.parent_op()
    return parent


class InTerm(OpTrait):
    """A value of a term: the op must be inside a `sym.term` (its body, a predicate, an
    emission), as every value the lowering converts is. A detached op (one being built,
    as the DSL verifies its expressions) is not checked."""

    def verify(self, op: Operation) -> None:
        if op.parent is None:
            return
        parent = op.parent_op()
        while parent is not None and parent.name != "sym.term":
            parent = parent.parent_op()
        if parent is None:
            where = op.parent_op()
            found = f"in '{where.name}'" if where is not None else "outside any op"
            raise VerifyException(
                f"'{op.name}' must be inside a 'sym.term' of a 'sym.operator', found {found}"
            )


def _parse_defined_operand(parser: Parser) -> SSAValue:
    """An operand printed without its type: it must be defined already, and keeps its own
    type, so that a wrong type is reported by the verifier (with the op), not the parser."""
    operand = parser.parse_unresolved_operand()
    values = parser.ssa_values.get(operand.operand_name, ())
    if operand.index >= len(values):
        parser.raise_error("SSA value used before assignment", operand.span)
    return parser.resolve_operand(operand, values[operand.index].type)


def _print_string_list(printer: Printer, items: Sequence[str]):
    printer.print_string("[")
    printer.print_list(items, printer.print_string_literal)
    printer.print_string("]")


def _parse_string_list(parser: Parser) -> list[str]:
    return parser.parse_comma_separated_list(parser.Delimiter.SQUARE, parser.parse_str_literal)


def _parse_i64(parser: Parser, what: str) -> int:
    """An integer literal that must be a signed `i64` (a site index of a row, a local
    state): one outside `[-2**63, 2**63)` is refused where it is written (numpy would
    refuse it later without a position, or xDSL store it as the negative number of the
    same bits)."""
    start = parser.pos
    value = parser.parse_integer()
    if not -(2**63) <= value < 2**63:
        parser.raise_error(
            f"{what} {value} is outside the signed range of i64 [-2**63, 2**63)",
            start,
            parser.pos,
        )
    return value


def _parse_int_list(parser: Parser, what: str) -> list[int]:
    return parser.parse_comma_separated_list(
        parser.Delimiter.SQUARE, lambda: _parse_i64(parser, what)
    )


def _parse_block_region(parser: Parser) -> Region:
    """Parses `{ ... }`; an empty `{}` becomes a region with one empty block."""
    region = parser.parse_region()
    if not region.blocks:
        region.add_block(Block())
    return region


def _parse_f64_literal(parser: Parser) -> float:
    """A number as an `f64`: a decimal literal, or MLIR's hex form of a float, its bit
    pattern (`0x7FF8000000000000` is nan), read bit-exactly as `sym.constant`'s
    attribute is (`float_of_bits`; xDSL's `parse_number` gives the integer)."""
    start = parser.pos
    hex_form = parser.lexer.input.content[start : start + 2].lower() == "0x"
    value = parser.parse_number()
    if not hex_form:
        return float(value)
    try:
        return float_of_bits(int(value), 64)
    except ValueError as e:
        parser.raise_error(str(e), start, parser.pos)


def _float_literal(value: float) -> str:
    """A float as an MLIR float literal that parses back to the same value (by
    `_parse_f64_literal`): a non-finite one in MLIR's hex form, its bit pattern (a
    `sym.param` default, which the verifier then refuses, still prints)."""
    if value != value or value in (float("inf"), float("-inf")):
        return f"0x{np.float64(value).view(np.uint64).item():016X}"
    text = repr(float(value))
    if "e" in text and "." not in text.split("e")[0]:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}.0e{exponent}"
    return text


def _int_array(values: Sequence[int]) -> DenseArrayBase:
    return DenseArrayBase.from_list(i64, list(values))


def packed_array(
    element_type: Attribute, values: Sequence[int] | Sequence[float]
) -> DenseArrayBase:
    """`array<i64: ...>` or `array<f64: ...>` of `values`, packed by numpy (what
    `DenseArrayBase.from_list` gives, without a Python call per value: a coefficient table
    has tens of thousands)."""
    dtype = "<i8" if element_type == i64 else "<f8"
    data = np.asarray(values, dtype=dtype)
    return DenseArrayBase(element_type, BytesAttr(data.tobytes()))  # type: ignore[arg-type]


def _unpack_rows(rows: ArrayAttr) -> tuple[tuple[int, ...], ...]:
    """The values of an `ArrayAttr` of i64 `DenseArrayBase`s, unpacked by numpy in one go
    when every row is i64 and has the same length (a row table), else row by row."""
    arrays = rows.data
    if arrays and all(
        isinstance(r, DenseArrayBase)
        and r.elt_type == i64
        and len(r.data.data) == len(arrays[0].data.data)
        for r in arrays
    ):
        flat = np.frombuffer(b"".join(r.data.data for r in arrays), dtype="<i8")
        return tuple(map(tuple, flat.reshape(len(arrays), -1).tolist()))
    return tuple(tuple(r.get_values()) for r in arrays)
