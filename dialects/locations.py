"""Where an op comes from, and diagnostics that say so, as MLIR prints them.

- Parsed IR: `LocatingParser` (used by `symir.dialects.parsing.parse_module`) gives
  every op it parses the location of its first token, a `FileLineColLoc` (an explicit
  `loc(...)` in the text wins), and reports a value used but never defined at its
  first use, not at the end of the input, an unknown op at its name, and an error at
  a token that starts its line (the token after a missing one) at the end of the token
  before it, as MLIR does. The text itself is kept (`remember_source`,
  the last few inputs) so that a diagnostic can quote the line.
- DSL-built IR has no file: `describe` names the term, the row and the emission instead.
- `located_verify_error(module, error)` finds the op whose verifier raised `error` and
  returns the message as MLIR writes it:

      f.mlir:2:3: error: 'sym.term' @t row 1 [1, 9] has site index 9 outside [0, 4)
        sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1], [1, 9]] {
        ^
"""

from __future__ import annotations

import re
from collections import OrderedDict

from xdsl.dialects.builtin import (
    FileLineColLoc,
    IntAttr,
    IntegerAttr,
    IntegerType,
    ModuleOp,
    Signedness,
    StringAttr,
)
from xdsl.ir import Operation
from xdsl.parser import Parser
from xdsl.utils.exceptions import ParseError, VerifyException
from xdsl.utils.lexer import Span
from xdsl.utils.mlir_lexer import MLIRTokenKind

_SOURCES: OrderedDict[str, str] = OrderedDict()
_MAX_SOURCES = 16


def remember_source(name: str, text: str, line_offset: int = 0) -> None:
    """Keep `text` (lines from `line_offset + 1` of the file `name`) to quote it."""
    key = name
    if line_offset:
        old = _SOURCES.get(name, "")
        lines = old.split("\n")
        lines += [""] * max(0, line_offset - len(lines))
        text = "\n".join(lines[:line_offset] + text.split("\n"))
    _SOURCES[key] = text
    _SOURCES.move_to_end(key)
    while len(_SOURCES) > _MAX_SOURCES:
        _SOURCES.popitem(last=False)


def source_line(name: str, line: int) -> str | None:
    text = _SOURCES.get(name)
    if text is None:
        return None
    lines = text.split("\n")
    return lines[line - 1] if 0 < line <= len(lines) else None


def format_diagnostic(name: str, line: int, col: int, message: str) -> str:
    """`name:line:col: error: message`, the source line and a caret under `col`."""
    head = f"{name}:{line}:{col}: error: {message}"
    text = source_line(name, line)
    if text is None:
        return head
    return f"{head}\n{text}\n{' ' * (col - 1)}^"


I64_MIN, I64_END = -(2**63), 2**63
"""symir's `i64` values are signed: an `i64` literal must lie in `[I64_MIN, I64_END)`."""


def _is_signless_i64(t: object) -> bool:
    return (
        isinstance(t, IntegerType)
        and t.width.data == 64
        and t.signedness.data == Signedness.SIGNLESS
    )


class LocatingParser(Parser):
    """xDSL's parser, recording where each op starts (`op.location`), where each value
    is first used (an undefined value is reported at its use) and the token last
    consumed (an unknown op is reported at its name, a missing token after the one
    before it). It refuses an `i64` literal in `[2**63, 2**64)`, which xDSL's signless
    `i64` accepts and stores as the negative number of the same bits (symir's `i64`
    values are signed: `9223372036854775808 : i64` would read back as `-2**63`); the
    verifiers cannot see it, the attribute holds the negative number already."""

    def __init__(self, ctx, text: str, name: str = "<input>", line_offset: int = 0):
        super().__init__(ctx, text, name)
        self._line_offset = line_offset
        self._first_use: dict[str, object] = {}
        self._previous: Span | None = None
        self._op_names: list[str | None] = []  # the ops being parsed, innermost last

    def _refuse_outside_i64(self, value: int, span: Span) -> None:
        if not I64_MIN <= value < I64_END:
            op = self._op_names[-1] if self._op_names else None
            who = f"'{op}' " if op else ""
            self.raise_error(
                f"{who}integer {value} is outside the signed range of i64 "
                f"[-2**63, 2**63) (symir's i64 values are signed)",
                span,
            )

    def parse_optional_builtin_int_or_float_attr(self):
        token = self._current_token
        attr = super().parse_optional_builtin_int_or_float_attr()
        if (
            isinstance(attr, IntegerAttr)
            and _is_signless_i64(attr.type)
            and token.kind == MLIRTokenKind.INTEGER_LIT
        ):
            self._refuse_outside_i64(int(token.text, 0), token.span)
        return attr

    def _parse_builtin_dense_attr(self):
        """xDSL's `dense<...>`, except that hex elements of a float tensor are bit
        patterns (`dense<0xff800000> : tensor<f32>` is -inf, as MLIR reads it), not
        integers converted to float (xDSL 0.74): what `--print-op-generic` prints for a
        non-finite `stablehlo.constant` reads back as itself."""
        from symir.dialects.stablehlo.hex_float import parse_dense_body

        return parse_dense_body(self) or super()._parse_builtin_dense_attr()

    def _parse_typed_integer(self, type, *args, **kwargs) -> int:
        start = self._current_token.span
        value = super()._parse_typed_integer(type, *args, **kwargs)
        if _is_signless_i64(type):
            self._refuse_outside_i64(value, Span(start.start, self._previous.end, start.input))  # type: ignore[union-attr]
        return value

    def _consume_token(self, expected_kind=None):
        token = super()._consume_token(expected_kind)
        self._previous = token.span
        return token

    def _get_op_by_name(self, name: str) -> type[Operation]:
        """The op class `name`; an unknown name is reported at the name (just consumed),
        not at the token after it."""
        if self._op_names:
            self._op_names[-1] = name
        if self.ctx.get_optional_op(name, dialect_stack=self._parser_state.dialect_stack):
            return super()._get_op_by_name(name)
        self.raise_error(f"Operation {name} is not registered", self._previous)

    def raise_error(self, msg, at_position=None, end_position=None):
        """xDSL's `raise_error`; an error at a token that starts its line (the
        token after a missing one: `sym.write %0` with its value missing) is reported
        at the end of the previous token instead, as MLIR does, not on the next line."""
        token = self._current_token.span
        at_token = at_position is None or (
            isinstance(at_position, Span) and at_position.start == token.start
        )
        if end_position is None and at_token and self._previous is not None:
            text = token.input.content
            if text[token.input.get_start_of_line(token.start) : token.start].strip() == "":
                end = self._previous.end
                at_position = Span(end, end, token.input)
        super().raise_error(msg, at_position, end_position)

    def parse_optional_operation(self) -> Operation | None:
        span = self._current_token.span
        self._op_names.append(None)
        try:
            op = super().parse_optional_operation()
        finally:
            self._op_names.pop()
        if op is not None and not isinstance(op.location, FileLineColLoc):
            where = span.get_location()
            op.location = FileLineColLoc(
                StringAttr(where.file),
                IntAttr(where.line + self._line_offset),
                IntAttr(where.col),
            )
        return op

    def resolve_operand(self, operand, type):
        name = operand.operand_name
        if name not in self.ssa_values and name not in self._first_use:
            self._first_use[name] = operand.span
        return super().resolve_operand(operand, type)

    def parse_module(self, allow_implicit_module: bool = True) -> ModuleOp:
        try:
            return super().parse_module(allow_implicit_module)
        except ParseError as e:
            if "values used but not defined" not in str(e):
                raise
            undefined = [n for n in self.forward_ssa_references if n in self._first_use]
            if not undefined:
                raise
            first = min(undefined, key=lambda n: self._first_use[n].start)  # type: ignore[attr-defined]
            self.raise_error(f"use of undefined value '%{first}'", self._first_use[first])  # type: ignore[arg-type]


def file_location(op: Operation) -> tuple[str, int, int] | None:
    """(file, line, column) of a parsed op, or None."""
    loc = op.location
    if isinstance(loc, FileLineColLoc):
        return loc.filename.data, loc.line.data, loc.column.data
    return None


def describe(op: Operation) -> str:
    """Where a DSL-built op sits: its term (and row, for a term op), emission and op.

    `term 'zz', emission 1 ('flip'), op 'sym.write'`."""
    from symir.dialects import sym

    parts: list[str] = []
    node: Operation | None = op
    emission = None
    term = None
    while node is not None:
        if isinstance(node, sym.EmissionOp) and emission is None:
            emission = node
        if isinstance(node, sym.TermOp):
            term = node
            break
        node = node.parent_op()
    if term is not None:
        parts.append(f"term '{term.sym_name.data}'")
        if emission is not None:
            index = [o for o in term.body.block.ops if isinstance(o, sym.EmissionOp)].index(
                emission
            )
            tag = getattr(emission, "tag", None)
            parts.append(f"emission {index}" + (f" ('{tag.data}')" if tag is not None else ""))
    if op is not term and op is not emission:
        parts.append(f"op '{op.name}'")
    return ", ".join(parts) if parts else f"op '{op.name}'"


def failing_op(module: Operation, error: Exception) -> Operation | None:
    """The op whose own verifier raises `error`'s message (xDSL's exception does not
    say which op it came from); None if none does alone."""
    message = str(error)
    for op in module.walk():
        try:
            op.verify(verify_nested_ops=False)
        except VerifyException as e:
            if str(e) == message:
                return op
        except Exception:
            continue
    return _failing_region_owner(module, message)


_EMPTY_BLOCK = re.compile(r"Operation (\S+) contains empty block")


def _failing_region_owner(module: Operation, message: str) -> Operation | None:
    """The op a region check of xDSL's blames by name only (`func.func` with an empty
    body): the first op of that name with an empty block."""
    m = _EMPTY_BLOCK.match(message)
    if m is None:
        return None
    for op in module.walk():
        if op.name == m.group(1) and any(b.first_op is None for r in op.regions for b in r.blocks):
            return op
    return None


_REDEFINITION = re.compile(r'Redefinition of symbol "([^"]+)"')


def _redefinition(op: Operation, message: str) -> Operation | None:
    """The second definition of the symbol a symbol table `op` (a module) defines twice."""
    m = _REDEFINITION.search(message)
    if m is None:
        return None
    seen = False
    for region in op.regions:
        for child in region.ops:
            name = child.properties.get("sym_name") or child.attributes.get("sym_name")
            if isinstance(name, StringAttr) and name.data == m.group(1):
                if seen:
                    return child
                seen = True
    return None


def located_verify_error(module: Operation, error: Exception) -> str | None:
    """`error` (a verifier's) as a located diagnostic: `file:line:col: error: ...` with
    the source line and a caret for parsed IR, the term, row and emission for
    DSL-built IR; None when the op is not found."""
    op = failing_op(module, error)
    if op is None:
        return None
    where = file_location(op)
    if where is None and (twice := _redefinition(op, str(error))) is not None:
        where = file_location(twice)  # an implicit module has no location: the symbol's
    if where is not None:
        return format_diagnostic(*where, str(error))
    return f"{describe(op)}: {error}"


def attach_op(error: BaseException, op: Operation) -> BaseException:
    """Records on `error` the op a pass was rewriting when it raised (`error.op`; the
    innermost op wins: an op already recorded is kept). Returns `error`."""
    if getattr(error, "op", None) is None:
        try:
            error.op = op  # type: ignore[attr-defined]
        except AttributeError:  # an exception type that takes no attributes
            pass
    return error


def located_failure(error: BaseException) -> str | None:
    """A pass's failure with where it happened, from the op `attach_op` recorded:
    `file:line:col: error: Type: message`, the source line and a caret for parsed IR;
    `Type: message (at term 'zz', emission 1, op 'sym.write')` for DSL-built IR; None
    when no op was recorded."""
    op = getattr(error, "op", None)
    if not isinstance(op, Operation):
        return None
    message = f"{type(error).__name__}: {error}"
    where = file_location(op)
    if where is not None:
        return format_diagnostic(*where, message)
    return f"{message} (at {describe(op)})"


def located_parse_error(error: ParseError) -> str:
    """A `ParseError` as MLIR prints one: `file:line:col: error: message`, the line, a caret."""
    span = error.span
    where = span.get_location()
    message = error.msg if hasattr(error, "msg") else str(error)
    text = span.input.content
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    start = span.input.get_start_of_line(span.start)
    end = span.input.get_end_of_line(span.start)
    line_text = text[start:end]
    return f"{where.file}:{where.line}:{where.col}: error: {message}\n{line_text}\n{' ' * (where.col - 1)}^"


__all__ = [
    "LocatingParser",
    "attach_op",
    "describe",
    "failing_op",
    "file_location",
    "format_diagnostic",
    "located_failure",
    "located_parse_error",
    "located_verify_error",
    "remember_source",
]
