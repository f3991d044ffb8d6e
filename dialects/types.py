"""What the levels share: value types and their promotion, the comparison predicate, and
element types between MLIR and numpy.

- Value types: `i1 < i64 < f64 < complex<f64>` (`VALUE_TYPES`), promoted to the common
  type by `promote`; `NUMERIC` and `REAL` are the operand sets the verifiers accept.
- `CmpPredicate` / `CmpPredicateAttr`: the one comparison predicate of `sym.cmp` and
  `branch.cmp` (`lt le gt ge eq ne`), with its Python meaning and its StableHLO
  `comparison_direction`; printed as a bare keyword in both ops' custom forms and as
  `#sym<cmp_predicate lt>` in the generic form.
- `numpy_dtype` / `element_type`: the one map between MLIR element types and numpy dtypes
  (configurations `i8`..`i64`, values, and the operator dtypes `float64`/`complex128`).

Adding a value type: a place in `VALUE_TYPES` (its promotion rank), a numpy dtype in
`NUMPY_DTYPES`, and the ops that accept it (their `ALLOWED`).
"""

from __future__ import annotations

import operator as pyop
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from xdsl.dialects.builtin import (
    ComplexType,
    Float16Type,
    Float64Type,
    IntegerType,
    Signedness,
    f32,
    f64,
    i1,
    i8,
    i16,
    i32,
    i64,
)
from xdsl.dialects.utils import EnumAttribute
from xdsl.ir import Attribute, SpacedOpaqueSyntaxAttribute, SSAValue
from xdsl.irdl import base, irdl_attr_definition
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException
from xdsl.utils.str_enum import StrEnum

c64 = ComplexType(f64)
"""`complex<f64>`, the complex value type."""

c32 = ComplexType(f32)
"""`complex<f32>`, the single-precision operator dtype (complex64)."""

OPERATOR_DTYPES: tuple[Attribute, ...] = (f64, c64, f32, c32)
"""The matrix-element types of an operator (`sym.operator`'s `dtype`): float64,
complex128, float32, complex64. Single precision is a storage type: matrix elements are
computed in `compute_type(dtype)` and rounded once, at the kernel's output."""


def float_of_bits(bits: int, width: int) -> float:
    """The float of `width` bits (16, 32 or 64) whose bit pattern is `bits`: MLIR's hex
    form of a float literal (`0x7FF0000000000000 : f64` is inf), which xDSL 0.74 reads as
    an integer in some places (a dense literal's elements)."""
    np_float = {16: np.float16, 32: np.float32, 64: np.float64}[width]
    np_uint = {16: np.uint16, 32: np.uint32, 64: np.uint64}[width]
    if not 0 <= bits < 2**width:
        raise ValueError(f"hex float literal {bits:#x} has more than {width} bits")
    return float(np.array(bits, dtype=np_uint).view(np_float))


def compute_type(dtype: Attribute) -> Attribute:
    """The type an operator of `dtype` computes its matrix elements in: `f64` or
    `complex<f64>` (`f32`/`complex<f32>` operators round at the kernel's output)."""
    return c64 if isinstance(dtype, ComplexType) else f64


VALUE_TYPES: tuple[Attribute, ...] = (i1, i64, f64, c64)
"""The value types of `sym` (and the element types of `branch` values), in promotion order."""
NUMERIC: tuple[Attribute, ...] = (i64, f64, c64)
"""The types arithmetic accepts."""
REAL: tuple[Attribute, ...] = (i64, f64)
"""The real numeric types (ordered comparisons, `min`, `max`, `floor`...)."""

NumericType = base(IntegerType) | base(Float64Type) | base(ComplexType)
"""The IRDL constraint of a numeric operand (the verifier narrows it to `VALUE_TYPES`)."""


def type_rank(t: Attribute) -> int:
    """Position of a value type in the promotion order i1 < i64 < f64 < complex<f64>."""
    if t not in VALUE_TYPES:
        raise VerifyException(f"unsupported sym value type {t}")
    return VALUE_TYPES.index(t)


def promote(*types: Attribute, at_least: Attribute | None = None) -> Attribute:
    """The common type of `types` (and `at_least`, if given)."""
    ranks = [type_rank(t) for t in types]
    if at_least is not None:
        ranks.append(type_rank(at_least))
    return VALUE_TYPES[max(ranks)]


# --------------------------------------------------------------------------- comparisons


class CmpPredicate(StrEnum):
    """The predicate of a comparison."""

    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"
    EQ = "eq"
    NE = "ne"

    @property
    def python(self) -> Callable[[Any, Any], bool]:
        """Its meaning on Python (and numpy) values."""
        return _PYTHON[self]

    @property
    def direction(self) -> str:
        """StableHLO's `comparison_direction` (`LT`, ...)."""
        return self.value.upper()

    @property
    def ordered(self) -> bool:
        """Whether it needs an order (so it is not defined on complex values)."""
        return self not in (CmpPredicate.EQ, CmpPredicate.NE)


_PYTHON = {
    CmpPredicate.LT: pyop.lt,
    CmpPredicate.LE: pyop.le,
    CmpPredicate.GT: pyop.gt,
    CmpPredicate.GE: pyop.ge,
    CmpPredicate.EQ: pyop.eq,
    CmpPredicate.NE: pyop.ne,
}

CMP_PREDICATES: tuple[str, ...] = tuple(p.value for p in CmpPredicate)
"""The predicate keywords, in order."""


def print_cmp(printer: Printer, op: Any, *, attributes: bool = False, result: bool = False):
    """Print a comparison as `<predicate> %lhs, %rhs [attr-dict] : tL, tR [-> tResult]`."""
    printer.print_string(f" {op.predicate.data} ")
    printer.print_operand(op.lhs)
    printer.print_string(", ")
    printer.print_operand(op.rhs)
    if attributes:
        printer.print_op_attributes(op.attributes)
    printer.print_string(" : ")
    printer.print_attribute(op.lhs.type)
    printer.print_string(", ")
    printer.print_attribute(op.rhs.type)
    if result:
        printer.print_string(" -> ")
        printer.print_attribute(op.result.type)


def parse_cmp(
    parser: Parser, *, attributes: bool = False, result: bool = False
) -> tuple[str, SSAValue, SSAValue, dict[str, Attribute], Attribute | None]:
    """Parse what `print_cmp` prints: the predicate, the operands, the attributes and the
    result type (empty and None where the form has none)."""
    pred = parser.parse_keyword_in(CMP_PREDICATES)
    lhs = parser.parse_unresolved_operand()
    parser.parse_punctuation(",")
    rhs = parser.parse_unresolved_operand()
    attrs = parser.parse_optional_attr_dict() if attributes else {}
    parser.parse_punctuation(":")
    lt = parser.parse_type()
    parser.parse_punctuation(",")
    rt = parser.parse_type()
    result_type = None
    if result:
        parser.parse_punctuation("->")
        result_type = parser.parse_type()
    return (
        pred,
        parser.resolve_operand(lhs, lt),
        parser.resolve_operand(rhs, rt),
        attrs,
        result_type,
    )


@irdl_attr_definition
class CmpPredicateAttr(EnumAttribute[CmpPredicate], SpacedOpaqueSyntaxAttribute):
    """The predicate of `sym.cmp` and `branch.cmp`: `#sym<cmp_predicate lt>`."""

    name = "sym.cmp_predicate"


# --------------------------------------------------------------------------- numpy

NUMPY_DTYPES: dict[Attribute, np.dtype] = {
    i1: np.dtype(np.bool_),
    i8: np.dtype(np.int8),
    i16: np.dtype(np.int16),
    i32: np.dtype(np.int32),
    i64: np.dtype(np.int64),
    IntegerType(8, Signedness.UNSIGNED): np.dtype(np.uint8),
    IntegerType(16, Signedness.UNSIGNED): np.dtype(np.uint16),
    IntegerType(32, Signedness.UNSIGNED): np.dtype(np.uint32),
    IntegerType(64, Signedness.UNSIGNED): np.dtype(np.uint64),
    Float16Type(): np.dtype(np.float16),
    f32: np.dtype(np.float32),
    f64: np.dtype(np.float64),
    ComplexType(f32): np.dtype(np.complex64),
    c64: np.dtype(np.complex128),
}
"""The one map between MLIR element types and numpy dtypes (its printed keys, `i8`,
`complex<f64>`, are also how jaxlib spells them)."""
_MLIR = {dtype: t for t, dtype in NUMPY_DTYPES.items()}


def numpy_dtype(t: Attribute) -> np.dtype:
    """The numpy dtype of an MLIR element type."""
    if t not in NUMPY_DTYPES:
        raise ValueError(f"no numpy dtype for the element type {t}")
    return NUMPY_DTYPES[t]


def element_type(dtype: Any) -> Attribute:
    """The MLIR element type of a numpy dtype (or a name numpy understands: `"float64"`)."""
    dt = np.dtype(dtype)
    if dt not in _MLIR:
        raise ValueError(f"no MLIR element type for numpy dtype {dt}")
    return _MLIR[dt]


def _fits(states: Sequence[int], width: int) -> bool:
    return -(2 ** (width - 1)) <= min(states) and max(states) <= 2 ** (width - 1) - 1


_X_DTYPES = ("i8", "i16", "i32", "i64")


def x_element_type_for(states: Sequence[int], requested: str) -> IntegerType:
    """The integer type of configurations (`i8`..`i64`) of an operator on the local states
    `states`: `requested` (`"i8"`, ..., `"i64"`), or with `"auto"` the smallest that holds
    them. The conversion types `%x` with it and the compiler's cache key holds it."""
    if requested != "auto":
        if requested not in _X_DTYPES:
            raise ValueError(
                f"x_dtype must be one of {['auto', *_X_DTYPES]} (the integer type of the "
                f"configurations), got {requested!r}"
            )
        width = int(requested.lstrip("i"))
        if not _fits(states, width):
            raise ValueError(
                f"x_dtype={requested!r}: the local states (from {min(states)} to "
                f"{max(states)}) do not fit in {requested}; leave x_dtype='auto' or take a "
                "wider type"
            )
        return IntegerType(width)
    for width in (8, 16, 32, 64):
        if _fits(states, width):
            return IntegerType(width)
    raise ValueError(f"the local states (from {min(states)} to {max(states)}) do not fit in i64")


__all__ = [
    "CMP_PREDICATES",
    "NUMERIC",
    "NUMPY_DTYPES",
    "OPERATOR_DTYPES",
    "REAL",
    "VALUE_TYPES",
    "CmpPredicate",
    "CmpPredicateAttr",
    "NumericType",
    "c32",
    "c64",
    "compute_type",
    "element_type",
    "numpy_dtype",
    "parse_cmp",
    "print_cmp",
    "promote",
    "type_rank",
    "x_element_type_for",
]
