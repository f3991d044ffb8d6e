"""Printing IR text: xDSL's printer, with large dense arrays printed in one piece.

A coefficient table (`sym.lookup`'s keys and values, a row-table column) holds tens of
thousands of numbers, and xDSL prints each through a few Python calls (`print_list`,
`print_float` with its round-trip check, `print_string` counting newlines): seconds for
a molecular Hamiltonian, whose IR is printed for its fingerprint and at each level.
`ArrayPrinter` prints an `array<i64: ...>` or `array<f64: ...>` of `MIN_FAST` values or
more as one string, with the text xDSL's printer gives (`array_text`: integers in
decimal, floats as `%.6e` where that reads back exactly, else `%.17g`; an array of other
values, NaN or infinities among them, is left to xDSL). `print_module` (symir.dialects)
prints with it, and `attribute_text` is `str(attribute)` with it.
"""

from __future__ import annotations

from io import StringIO

import numpy as np
from xdsl.dialects.builtin import (
    DenseArrayBase,
    Float64Type,
    IntegerType,
    Signedness,
    TensorType,
)
from xdsl.ir import Attribute
from xdsl.printer import Printer

MIN_FAST = 32
"""The fewest values an array must have to be printed in one piece."""


def _float_text(value: float) -> str | None:
    """`value` as xDSL prints an `f64` (None where it would print hex)."""
    text = f"{value:.5e}"
    if float(text) == value:
        e = text.index("e")
        return f"{text[:e]}0{text[e:]}"
    text = f"{value:.17g}"
    return text if "." in text else None


def array_text(attribute: DenseArrayBase) -> str | None:
    """The values of an `i8`..`i64` (signless) or `f64` dense array as xDSL prints them,
    comma separated; None for other element types, `i1`, NaN, infinities or a value
    xDSL prints in hex."""
    t = attribute.elt_type
    data = attribute.data.data
    if isinstance(t, IntegerType) and t.width.data in (8, 16, 32, 64):
        if t.signedness.data != Signedness.SIGNLESS:
            return None
        values = np.frombuffer(data, dtype=f"<i{t.width.data // 8}")
        return ", ".join(map(str, values.tolist()))
    if isinstance(t, Float64Type):
        values = np.frombuffer(data, dtype="<f8")
        if not np.isfinite(values).all():
            return None
        texts = [_float_text(v) for v in values.tolist()]
        return None if None in texts else ", ".join(texts)  # type: ignore[arg-type]
    return None


def attribute_text(attribute: Attribute) -> str:
    """`str(attribute)` (what xDSL's printer gives), large arrays printed in one piece."""
    out = StringIO()
    ArrayPrinter(stream=out).print_attribute(attribute)
    return out.getvalue()


class ArrayPrinter(Printer):
    """xDSL's `Printer`, printing dense arrays of `MIN_FAST` numbers or more in one piece
    (the same text), a tensor type once per printer (a StableHLO kernel names a few
    types thousands of times) and a string without a newline straight to the stream
    (the same text: xDSL's `print_string` then only counts the column)."""

    def print_string(self, text: str, *, indent: int | None = None) -> None:
        if "\n" in text or self.stream is None:
            super().print_string(text, indent=indent)
            return
        self._current_column += len(text)
        self.stream.write(text)

    def print_attribute(self, attribute: Attribute) -> None:
        if isinstance(attribute, TensorType):
            types = self.__dict__.setdefault("_type_texts", {})
            text = types.get(attribute)
            if text is None:
                out, self.stream = self.stream, StringIO()
                column = self._current_column
                try:
                    super().print_attribute(attribute)
                    text = types[attribute] = self.stream.getvalue()
                finally:
                    self.stream, self._current_column = out, column
            self.print_string(text)
            return
        if isinstance(attribute, DenseArrayBase) and len(attribute) >= MIN_FAST:
            text = array_text(attribute)
            if text is not None:
                self.print_string("array<")
                super().print_attribute(attribute.elt_type)
                self.print_string(f": {text}>")
                return
        super().print_attribute(attribute)


__all__ = ["MIN_FAST", "ArrayPrinter", "array_text", "attribute_text"]
