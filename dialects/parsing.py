"""Parsing IR text into a module, with a diagnostic for every malformed input.

xDSL's parser reports most malformed input as a `ParseError`, but some inputs make it
fail inside (an `AssertionError` on an unexpected token in a complex literal, a
`NotImplementedError` for an integer type of an odd width such as `i255`, a
`MemoryError` or `OverflowError` for `i9223372036854775808`, a `ZeroDivisionError` for
`array<i0>`), and an unterminated string literal can make its lexer run for minutes.
`parse_module` turns all of these into a diagnostic that says what is wrong (a
`ParseError` at the token the parser stopped at; a `RecursionError`, input nested too
deeply, a `DiagnosticException`), and refuses an unterminated string literal, an integer
type of no bits or wider than 64 bits and a static tensor type of more than 2**24
elements before the parser sees them. An empty input (blank lines and comments) is an
empty module, as MLIR reads it. Every symir reader of text uses it (`symir-opt`,
`symir-run`, `parse_ir`).
"""

from __future__ import annotations

import re
import sys

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.exceptions import DiagnosticException, ParseError, VerifyException

from symir.dialects.locations import LocatingParser, remember_source

_INTEGER_TYPE = re.compile(r"(?:(?<![\w%@^#.$])|(?<=\dx)|(?<=\?x))[su]?i(\d+)(?!\w)")
"""An integer type (`i8`, `ui16`, `tensor<2xi255>`), not an SSA name or symbol (`%i100`)."""
_MAX_WIDTH = 64


def _check_strings(text: str, name: str) -> None:
    """A string literal must end on its line (MLIR strings hold no raw newline)."""
    for number, line in enumerate(text.splitlines(), 1):
        inside = escaped = False
        for k, c in enumerate(line):
            if not inside and line.startswith("//", k):
                break
            if inside and escaped:
                escaped = False
            elif inside and c == "\\":
                escaped = True
            elif c == '"':
                inside = not inside
        if inside:
            raise DiagnosticException(f"{name}:{number}: unterminated string literal")


def _check_integer_widths(text: str, name: str) -> None:
    """symir's levels use integers of 1 to 64 bits; wider ones (`i255`) and `i0` are
    refused here, before xDSL's parser fails on them."""
    for number, line in enumerate(text.splitlines(), 1):
        code = line.split("//", 1)[0]
        for m in _INTEGER_TYPE.finditer(code):
            width = int(m.group(1))
            if width > _MAX_WIDTH or width == 0:
                what = "has no bits" if width == 0 else f"is wider than {_MAX_WIDTH} bits"
                raise DiagnosticException(
                    f"{name}:{number}: integer type {m.group(0)} {what} (symir's levels "
                    "use i1 to i64)"
                )


_STATIC_DIMS = re.compile(r"tensor<((?:(?:\d+|\?)x)+)")
_MAX_ELEMENTS = 2**24


def _check_tensor_sizes(text: str, name: str) -> None:
    """A static tensor type of more than `_MAX_ELEMENTS` elements is refused (xDSL's
    parser would materialise a splat constant of that size element by element)."""
    for number, line in enumerate(text.splitlines(), 1):
        for m in _STATIC_DIMS.finditer(line.split("//", 1)[0]):
            size = 1
            for d in m.group(1).split("x")[:-1]:
                size *= int(d) if d != "?" else 1
            if size > _MAX_ELEMENTS:
                raise DiagnosticException(
                    f"{name}:{number}: a tensor type with {size} static elements (symir's "
                    f"levels use at most {_MAX_ELEMENTS})"
                )


def parse_module(
    ctx: Context,
    text: str,
    name: str = "<input>",
    *,
    implicit_module: bool = True,
    line_offset: int = 0,
) -> ModuleOp:
    """The module `text` holds; malformed text raises `ParseError` (xDSL's, with the
    position) or `DiagnosticException` (what xDSL's parser cannot report itself). Every
    op gets the location it was parsed at (`symir.dialects.locations.LocatingParser`;
    `line_offset`: the lines of the file before `text`, for a split input), and the
    text is kept to quote in diagnostics."""
    _check_strings(text, name)
    _check_integer_widths(text, name)
    _check_tensor_sizes(text, name)
    if _is_empty(text):
        if implicit_module:
            return ModuleOp([])  # as MLIR reads an empty input
        raise DiagnosticException(
            f"{name}: the input is empty (no builtin.module, which --no-implicit-module requires)"
        )
    remember_source(name, text, line_offset)
    parser = LocatingParser(ctx, text, name, line_offset)
    try:
        return parser.parse_module(implicit_module)
    except RecursionError as e:
        raise DiagnosticException(
            f"{name}: the input nests regions too deeply for xDSL's recursive parser "
            f"(Python's recursion limit, {sys.getrecursionlimit()})"
        ) from e
    except VerifyException as e:
        # an op's constraint that its declarative syntax checks while it is parsed (the
        # result type of `sym.read`): xDSL raises it without a position; it is the
        # parser's (a `DiagnosticException` too, so caught first)
        parser.raise_error(f"{e} (the op just parsed)")
    except ParseError as e:
        if e.msg.strip() == "in block definition":
            # xDSL's message where a block's operations end at a token that starts none
            # (an op given one operand too many: `sym.write %i, %v, %w`)
            got = e.span.text
            raise ParseError(
                e.span,
                f"unexpected `{got}` after an operation: expected the next operation, a "
                "block label or `}` (an operand or attribute the op does not take?)",
            ) from e
        raise
    except DiagnosticException:
        raise
    except (AssertionError, NotImplementedError, ArithmeticError, MemoryError, ValueError) as e:
        # located at the token the parser stopped at (where xDSL gave up)
        parser.raise_error(f"malformed input (xDSL's parser failed here: {e})")


def _is_empty(text: str) -> bool:
    """Whether `text` holds nothing but blank lines and `//` comments."""
    return all(not line.strip() or line.strip().startswith("//") for line in text.splitlines())


__all__ = ["parse_module"]
