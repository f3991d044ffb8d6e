"""`symir.dialects.printing`: large dense arrays printed in one piece give exactly the text
of xDSL's printer (which the parsers read back), and what it cannot print in one piece is
left to xDSL."""

from __future__ import annotations

from io import StringIO

import numpy as np
import pytest
from xdsl.dialects.builtin import DenseArrayBase, IntegerType, Signedness, f32, f64, i1, i8, i64
from xdsl.printer import Printer

from symir.dialects.printing import MIN_FAST, ArrayPrinter, array_text


def printed(printer_class, attribute) -> str:
    out = StringIO()
    printer_class(stream=out).print_attribute(attribute)
    return out.getvalue()


def values(kind: str) -> list:
    rng = np.random.default_rng(0)
    if kind == "f64":
        # short decimals (%.6e reads back), full-precision values (%.17g), integers,
        # signed zeros, tiny and huge magnitudes
        return [
            0.5, -1.25, 3.0, -0.0, 0.0, 1e-300, 1.5e300, 0.1, 1 / 3, -2 / 7,
            *rng.normal(size=40).tolist(), *(rng.normal(size=10) * 1e-12).tolist(),
        ]  # fmt: skip
    return [0, -1, 2**62, -(2**63), 2**63 - 1, *rng.integers(-1000, 1000, size=40).tolist()]


@pytest.mark.parametrize(("element_type", "kind"), [(f64, "f64"), (i64, "int")])
def test_large_arrays_print_as_xdsl_prints_them(element_type, kind):
    attribute = DenseArrayBase.from_list(element_type, values(kind))
    assert len(attribute) >= MIN_FAST
    assert array_text(attribute) is not None  # printed in one piece
    assert printed(ArrayPrinter, attribute) == printed(Printer, attribute)


@pytest.mark.parametrize(
    ("element_type", "data"),
    [
        (f64, [float("nan")] + [0.5] * 40),  # hex
        (f64, [123456789.0] + [0.5] * 40),  # %.17g without a point: hex
        (f32, [0.5] * 40),
        (i1, [1, 0] * 20),
        (IntegerType(8, Signedness.UNSIGNED), [200] * 40),
        (i8, [3] * 4),  # too small to bother
    ],
)
def test_other_arrays_are_left_to_xdsl(element_type, data):
    attribute = DenseArrayBase.from_list(element_type, data)
    assert printed(ArrayPrinter, attribute) == printed(Printer, attribute)
    if len(data) >= MIN_FAST and element_type in (f64, f32, i1):
        assert array_text(attribute) is None
