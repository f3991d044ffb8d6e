"""Workaround for xDSL 0.74 reading hex float literals as integer values.

MLIR writes float elements of a dense literal that have no exact decimal form (``inf``,
``nan``) as hex bit patterns: ``dense<0xFF800000> : tensor<f32>`` is ``-inf``. jaxlib
prints constants that way, and xDSL's printer does too, but xDSL 0.74's *parser* reads
``0xFF800000`` as the integer ``4286578688`` and stores ``4.28657869e+09``: a non-finite
constant does not survive a round trip through xDSL, and hand-written or jaxlib-printed
text would silently change meaning.

``stablehlo.constant`` is the only op with float literals, and its custom form and
symir's parser are the places this module is used:

* ``parse_dense`` reads a dense literal with hex elements bit-exactly (and leaves any
  other attribute to xDSL's parser): the custom form of ``stablehlo.constant``;
* ``parse_dense_body`` does the same after the ``dense`` keyword, for any dense
  attribute symir's parser reads (``symir.dialects.locations.LocatingParser``, which
  ``symir-opt``, ``symir-run`` and ``parse_ir`` use): the generic form
  (``--print-op-generic``), where xDSL prints a non-finite element as a hex literal,
  reads back bit-exactly. xDSL's own parser (``xdsl-opt``) still misreads it;
* ``print_dense`` prints a value holding inf/nan in MLIR's raw hex-*string* form,
  ``dense<"0x0000807F..."> : tensor<...>`` (the little-endian bytes of the buffer), which
  both xDSL and jaxlib read exactly. Finite values print as xDSL prints them.

When it can go: once xDSL's parser reads ``dense<0xFF800000> : tensor<f32>`` as ``-inf``
(``test_xdsl_still_misreads_hex_floats`` in ``tests/unit/dialects/test_stablehlo_ops.py``
starts failing then). Delete this module and ``LocatingParser._parse_builtin_dense_attr``,
let ``ConstantOp`` print and parse its value with ``print_attribute``/``parse_attribute``,
and update the CHECK lines of
``tests/lit/dialects/stablehlo/constant_nonfinite.mlir`` to the hex bit-pattern form.
"""

from __future__ import annotations

import math
import re

import numpy as np
from xdsl.dialects.builtin import AnyFloat, ComplexType, DenseIntOrFPElementsAttr, TensorType
from xdsl.parser import Parser
from xdsl.printer import Printer

from symir.dialects.types import float_of_bits

_HEX_BODY = re.compile(r"<(?!\")([^<>\"]*\b0[xX][0-9a-fA-F]+[^<>\"]*)>")
"""The body of a dense literal with hex elements, from its `<`."""
_ELEMENT = re.compile(r"[^\s\[\](),]+")


def parse_dense(parser: Parser) -> DenseIntOrFPElementsAttr | None:
    """Parses ``dense<0x7FF0000000000000> : tensor<f64>`` / ``dense<[1.0, 0xFF800000]> :
    tensor<2xf32>`` bit-exactly (the custom form of ``stablehlo.constant``).

    Returns None (consuming nothing) when the next attribute is not a dense literal with
    hex elements.
    """
    token = parser._current_token  # pyright: ignore[reportPrivateUsage]
    if token.text != "dense":
        return None
    m = _HEX_BODY.match(parser.lexer.input.content, token.span.end)
    if m is None:
        return None
    return _parse_hex_elements(parser, m, strict=True)


def parse_dense_body(parser: Parser) -> DenseIntOrFPElementsAttr | None:
    """The rest of a dense literal whose `dense` keyword was just consumed (any dense
    attribute xDSL's generic parser reads, `--print-op-generic`'s output), read
    bit-exactly when it has hex elements and a float or complex-float tensor type.

    Returns None, consuming nothing, otherwise (an integer tensor's hex elements are
    integers: xDSL reads those right)."""
    token = parser._current_token  # pyright: ignore[reportPrivateUsage]
    m = _HEX_BODY.match(parser.lexer.input.content, token.span.start)
    if m is None:
        return None
    saved = parser.lexer.pos
    value = _parse_hex_elements(parser, m, strict=False)
    if value is None:
        parser.lexer.pos = saved
        parser._parser_state.current_token = token  # pyright: ignore[reportPrivateUsage]
    return value


def _parse_hex_elements(
    parser: Parser, m: re.Match[str], strict: bool
) -> DenseIntOrFPElementsAttr | None:
    """The dense literal whose body `m` matched, with its `: type` (after it); None for
    a type that is not a float tensor unless `strict` (then an error)."""
    parser.lexer.pos = m.end()
    parser._parser_state.current_token = parser.lexer.lex()  # pyright: ignore[reportPrivateUsage]
    parser.parse_punctuation(":")
    typ = parser.parse_type()
    el = typ.get_element_type() if isinstance(typ, TensorType) else None
    scalar = el.element_type if isinstance(el, ComplexType) else el
    if not isinstance(scalar, AnyFloat):
        if not strict:
            return None
        if not isinstance(typ, TensorType):
            parser.raise_error(f"expected a tensor type for a dense constant, got {typ}")
        parser.raise_error("hex dense elements are only supported for float types here")
    assert isinstance(typ, TensorType)
    vals = [_float_of(tok, scalar.bitwidth) for tok in _ELEMENT.findall(m.group(1))]
    per = 2 if isinstance(el, ComplexType) else 1
    count = math.prod(typ.get_shape())
    if len(vals) == per:
        vals = vals * count
    if len(vals) != per * count:
        parser.raise_error(
            f"dense literal has {len(vals) // per} elements, type {typ} needs {count}"
        )
    data = list(zip(vals[::2], vals[1::2])) if per == 2 else vals
    return DenseIntOrFPElementsAttr.from_list(typ, data)  # pyright: ignore


def _float_of(token: str, width: int) -> float:
    """A decimal literal, or a hex bit pattern of a float of ``width`` bits."""
    if not token.lower().startswith("0x"):
        return float(token)
    return float_of_bits(int(token, 16), width)


def print_dense(printer: Printer, value: DenseIntOrFPElementsAttr) -> None:
    """Prints ``value`` with its type, in the raw hex-string form if it holds inf/nan."""
    if _has_nonfinite(value):
        printer.print_string(f'dense<"0x{value.data.data.hex().upper()}"> : ')
        printer.print_attribute(value.type)
    else:
        printer.print_attribute(value)


def _has_nonfinite(value: DenseIntOrFPElementsAttr) -> bool:
    if not isinstance(value.get_element_type(), AnyFloat | ComplexType):
        return False
    return not bool(np.all(np.isfinite(np.asarray(value.get_values(), dtype=np.float64))))
