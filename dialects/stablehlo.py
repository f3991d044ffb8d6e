"""The subset of the StableHLO dialect that symir lowers to.

Op names, operand/result names and property names are the upstream ones
(https://github.com/openxla/stablehlo/blob/main/docs/spec.md), and the printed form of
every op is one that jaxlib's MLIR parser accepts:

* elementwise ops, ``compare``, ``select``, ``constant``, ``convert``, ``reshape``,
  ``clamp``, ``dynamic_update_slice`` and ``return`` print in their upstream pretty form
  (xDSL declarative assembly formats that match the upstream custom parsers);
* ops whose upstream pretty form cannot be written as an xDSL declarative format
  (``iota``, ``broadcast_in_dim``, ``gather``, ``scatter``, ``reduce``, ``slice``, ...)
  print in the generic form, ``"stablehlo.iota"() <{iota_dimension = 0 : i64}> : ...``,
  which jaxlib parses as well.

Both forms round-trip through xDSL's parser. jaxlib silently ignores unknown properties
in the generic form, so every op is tested by *executing* it through JAX
(``tests/unit/test_stablehlo_ops.py``).

This module must not import jax: the opt driver imports it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    I64,
    AnyFloat,
    ArrayAttr,
    BoolAttr,
    ComplexType,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    Float16Type,
    Float32Type,
    Float64Type,
    IntAttr,
    IntegerAttr,
    IntegerType,
    TensorType,
    i1,
    i32,
    i64,
)
from xdsl.dialects.utils import EnumAttribute
from xdsl.ir import (
    Attribute,
    Block,
    Dialect,
    ParametrizedAttribute,
    Region,
    SpacedOpaqueSyntaxAttribute,
    SSAValue,
)
from xdsl.irdl import (
    IRDLOperation,
    SameVariadicOperandSize,
    VarConstraint,
    base,
    irdl_attr_definition,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
    var_result_def,
)
from xdsl.parser import AttrParser, Parser
from xdsl.printer import Printer
from xdsl.traits import IsTerminator, Pure
from xdsl.utils.exceptions import VerifyException
from xdsl.utils.str_enum import StrEnum

DYNAMIC = DYNAMIC_INDEX
"""Marker of a dynamic dimension in shapes passed to the builders (``DYNAMIC_INDEX``, printed ``?``)."""

_TensorConstr = base(TensorType)


def _tensor(value: SSAValue | Attribute) -> TensorType:
    typ = value.type if isinstance(value, SSAValue) else value
    if not isinstance(typ, TensorType):
        raise VerifyException(f"expected a ranked tensor, got {typ}")
    return typ


def _i64_array(values: Sequence[int]) -> DenseArrayBase:
    return DenseArrayBase.from_list(i64, [int(v) for v in values])


# ------------------------------------------------------------------------------------
# Attributes
# ------------------------------------------------------------------------------------


class ComparisonDirection(StrEnum):
    EQ = "EQ"
    NE = "NE"
    GE = "GE"
    GT = "GT"
    LE = "LE"
    LT = "LT"


class ComparisonType(StrEnum):
    NOTYPE = "NOTYPE"
    FLOAT = "FLOAT"
    TOTALORDER = "TOTALORDER"
    SIGNED = "SIGNED"
    UNSIGNED = "UNSIGNED"


@irdl_attr_definition
class ComparisonDirectionAttr(EnumAttribute[ComparisonDirection], SpacedOpaqueSyntaxAttribute):
    """``#stablehlo<comparison_direction LT>``"""

    name = "stablehlo.comparison_direction"


@irdl_attr_definition
class ComparisonTypeAttr(EnumAttribute[ComparisonType], SpacedOpaqueSyntaxAttribute):
    """``#stablehlo<comparison_type FLOAT>``"""

    name = "stablehlo.comparison_type"


class _DimensionNumbersAttr(ParametrizedAttribute):
    """Shared printing/parsing of upstream ``#stablehlo.gather<...>``-style structs.

    Every field is an ``ArrayAttr`` of ``IntAttr`` except ``index_vector_dim`` (an
    ``IntAttr``). Empty lists are omitted when printing, as upstream does, and fields
    may be given in any order when parsing.
    """

    LIST_FIELDS: ClassVar[tuple[str, ...]]

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[Attribute]:
        values: dict[str, Attribute] = {}
        names = (*cls.LIST_FIELDS, "index_vector_dim")

        def parse_field() -> None:
            key = parser.parse_identifier()
            if key not in names:
                parser.raise_error(f"unknown field '{key}' in {cls.name}, expected one of {names}")
            if key in values:
                parser.raise_error(f"duplicate field '{key}' in {cls.name}")
            parser.parse_punctuation("=")
            if key == "index_vector_dim":
                values[key] = IntAttr(parser.parse_integer())
            else:
                ints = parser.parse_comma_separated_list(
                    parser.Delimiter.SQUARE, parser.parse_integer
                )
                values[key] = ArrayAttr(IntAttr(i) for i in ints)

        parser.parse_comma_separated_list(parser.Delimiter.ANGLE, parse_field)
        if "index_vector_dim" not in values:
            parser.raise_error(f"{cls.name} needs 'index_vector_dim'")
        return [values.get(n, ArrayAttr(())) for n in cls.LIST_FIELDS] + [
            values["index_vector_dim"]
        ]

    def print_parameters(self, printer: Printer) -> None:
        parts: list[str] = []
        for n in self.LIST_FIELDS:
            arr = getattr(self, n)
            if len(arr.data):
                parts.append(f"{n} = [{', '.join(str(a.data) for a in arr.data)}]")
        parts.append(f"index_vector_dim = {self.index_vector_dim.data}")  # pyright: ignore
        printer.print_string("<" + ", ".join(parts) + ">")

    def get(self, field: str) -> tuple[int, ...]:
        return tuple(a.data for a in getattr(self, field).data)


def _int_list(values: Sequence[int]) -> ArrayAttr[IntAttr]:
    return ArrayAttr(IntAttr(int(v)) for v in values)


@irdl_attr_definition
class GatherDimensionNumbers(_DimensionNumbersAttr):
    """Upstream ``#stablehlo.gather<...>``, e.g.

    ```mlir
    #stablehlo.gather<offset_dims = [1], collapsed_slice_dims = [0],
                      start_index_map = [0], index_vector_dim = 1>
    ```
    """

    name = "stablehlo.gather"
    LIST_FIELDS = (
        "offset_dims",
        "collapsed_slice_dims",
        "operand_batching_dims",
        "start_indices_batching_dims",
        "start_index_map",
    )

    offset_dims: ArrayAttr[IntAttr]
    collapsed_slice_dims: ArrayAttr[IntAttr]
    operand_batching_dims: ArrayAttr[IntAttr]
    start_indices_batching_dims: ArrayAttr[IntAttr]
    start_index_map: ArrayAttr[IntAttr]
    index_vector_dim: IntAttr

    def __init__(
        self,
        *,
        offset_dims: Sequence[int] = (),
        collapsed_slice_dims: Sequence[int] = (),
        operand_batching_dims: Sequence[int] = (),
        start_indices_batching_dims: Sequence[int] = (),
        start_index_map: Sequence[int] = (),
        index_vector_dim: int,
    ):
        super().__init__(
            _int_list(offset_dims),
            _int_list(collapsed_slice_dims),
            _int_list(operand_batching_dims),
            _int_list(start_indices_batching_dims),
            _int_list(start_index_map),
            IntAttr(index_vector_dim),
        )


@irdl_attr_definition
class ScatterDimensionNumbers(_DimensionNumbersAttr):
    """Upstream ``#stablehlo.scatter<...>``, e.g.

    ```mlir
    #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0],
                       scatter_dims_to_operand_dims = [0], index_vector_dim = 1>
    ```
    """

    name = "stablehlo.scatter"
    LIST_FIELDS = (
        "update_window_dims",
        "inserted_window_dims",
        "input_batching_dims",
        "scatter_indices_batching_dims",
        "scatter_dims_to_operand_dims",
    )

    update_window_dims: ArrayAttr[IntAttr]
    inserted_window_dims: ArrayAttr[IntAttr]
    input_batching_dims: ArrayAttr[IntAttr]
    scatter_indices_batching_dims: ArrayAttr[IntAttr]
    scatter_dims_to_operand_dims: ArrayAttr[IntAttr]
    index_vector_dim: IntAttr

    def __init__(
        self,
        *,
        update_window_dims: Sequence[int] = (),
        inserted_window_dims: Sequence[int] = (),
        input_batching_dims: Sequence[int] = (),
        scatter_indices_batching_dims: Sequence[int] = (),
        scatter_dims_to_operand_dims: Sequence[int] = (),
        index_vector_dim: int,
    ):
        super().__init__(
            _int_list(update_window_dims),
            _int_list(inserted_window_dims),
            _int_list(input_batching_dims),
            _int_list(scatter_indices_batching_dims),
            _int_list(scatter_dims_to_operand_dims),
            IntAttr(index_vector_dim),
        )


# ------------------------------------------------------------------------------------
# Op bases
# ------------------------------------------------------------------------------------


class ElementwiseBinaryOp(IRDLOperation):
    """Base of ``%r = stablehlo.<op> %lhs, %rhs : tensor<...>`` (same operand/result types)."""

    T: ClassVar = VarConstraint("T", _TensorConstr)

    lhs = operand_def(T)
    rhs = operand_def(T)
    result = result_def(T)

    traits = traits_def(Pure())

    assembly_format = "$lhs `,` $rhs attr-dict `:` type($result)"

    def __init__(self, lhs: SSAValue, rhs: SSAValue, result_type: Attribute | None = None):
        super().__init__(operands=[lhs, rhs], result_types=[result_type or lhs.type])


class ElementwiseUnaryOp(IRDLOperation):
    """Base of ``%r = stablehlo.<op> %operand : tensor<...>`` (same operand/result type)."""

    T: ClassVar = VarConstraint("T", _TensorConstr)

    operand = operand_def(T)
    result = result_def(T)

    traits = traits_def(Pure())

    assembly_format = "$operand attr-dict `:` type($result)"

    def __init__(self, operand: SSAValue, result_type: Attribute | None = None):
        super().__init__(operands=[operand], result_types=[result_type or operand.type])


class _ConvertingUnaryOp(IRDLOperation):
    """Base of unary ops whose result element type may differ from the operand's:
    ``%r = stablehlo.<op> %operand : (tensor<4xcomplex<f32>>) -> tensor<4xf32>``."""

    operand = operand_def(_TensorConstr)
    result = result_def(_TensorConstr)

    traits = traits_def(Pure())

    assembly_format = "$operand attr-dict `:` functional-type(operands, results)"

    def __init__(self, operand: SSAValue, result_type: Attribute | None = None):
        if result_type is None:
            result_type = self.infer_result_type(_tensor(operand))
        super().__init__(operands=[operand], result_types=[result_type])

    @classmethod
    def infer_result_type(cls, operand: TensorType) -> TensorType:
        raise VerifyException(f"{cls.name} needs an explicit result type")

    def verify_(self) -> None:
        op_t, res_t = _tensor(self.operand), _tensor(self.result)
        if op_t.get_shape() != res_t.get_shape():
            raise VerifyException(
                f"'{self.name}' operand and result shapes differ: {op_t} vs {res_t}"
            )


def _real_of(typ: TensorType) -> TensorType:
    el = typ.get_element_type()
    if isinstance(el, ComplexType):
        el = el.element_type
    return TensorType(el, typ.get_shape())


def _check_real_of_complex(op: IRDLOperation, operand: TensorType, result: TensorType) -> None:
    if result.get_element_type() != _real_of(operand).get_element_type():
        raise VerifyException(
            f"'{op.name}' result element type must be {_real_of(operand).get_element_type()}, "
            f"got {result.get_element_type()}"
        )


# ------------------------------------------------------------------------------------
# Elementwise binary ops
# ------------------------------------------------------------------------------------


@irdl_op_definition
class AddOp(ElementwiseBinaryOp):
    """Elementwise addition.

    ```mlir
    %r = stablehlo.add %a, %b : tensor<?x4xf64>
    ```
    """

    name = "stablehlo.add"


@irdl_op_definition
class SubtractOp(ElementwiseBinaryOp):
    """Elementwise subtraction.

    ```mlir
    %r = stablehlo.subtract %a, %b : tensor<4xf32>
    ```
    """

    name = "stablehlo.subtract"


@irdl_op_definition
class MultiplyOp(ElementwiseBinaryOp):
    """Elementwise multiplication.

    ```mlir
    %r = stablehlo.multiply %a, %b : tensor<4xcomplex<f64>>
    ```
    """

    name = "stablehlo.multiply"


@irdl_op_definition
class DivideOp(ElementwiseBinaryOp):
    """Elementwise division (integer division truncates toward zero).

    ```mlir
    %r = stablehlo.divide %a, %b : tensor<4xf32>
    ```
    """

    name = "stablehlo.divide"


@irdl_op_definition
class RemainderOp(ElementwiseBinaryOp):
    """Elementwise remainder, sign of the dividend (C ``fmod`` / ``%``).

    ```mlir
    %r = stablehlo.remainder %a, %b : tensor<4xi32>
    ```
    """

    name = "stablehlo.remainder"


@irdl_op_definition
class PowerOp(ElementwiseBinaryOp):
    """Elementwise power ``lhs ** rhs``.

    ```mlir
    %r = stablehlo.power %a, %b : tensor<4xf64>
    ```
    """

    name = "stablehlo.power"


@irdl_op_definition
class MaxOp(ElementwiseBinaryOp):
    """Elementwise maximum.

    ```mlir
    %r = stablehlo.maximum %a, %b : tensor<4xi8>
    ```
    """

    name = "stablehlo.maximum"


@irdl_op_definition
class MinOp(ElementwiseBinaryOp):
    """Elementwise minimum.

    ```mlir
    %r = stablehlo.minimum %a, %b : tensor<4xi8>
    ```
    """

    name = "stablehlo.minimum"


@irdl_op_definition
class AndOp(ElementwiseBinaryOp):
    """Elementwise logical (i1) or bitwise (integers) and.

    ```mlir
    %r = stablehlo.and %a, %b : tensor<4xi1>
    ```
    """

    name = "stablehlo.and"


@irdl_op_definition
class OrOp(ElementwiseBinaryOp):
    """Elementwise logical (i1) or bitwise (integers) or.

    ```mlir
    %r = stablehlo.or %a, %b : tensor<4xi1>
    ```
    """

    name = "stablehlo.or"


@irdl_op_definition
class XorOp(ElementwiseBinaryOp):
    """Elementwise logical (i1) or bitwise (integers) exclusive or.

    ```mlir
    %r = stablehlo.xor %a, %b : tensor<4xi1>
    ```
    """

    name = "stablehlo.xor"


@irdl_op_definition
class Atan2Op(ElementwiseBinaryOp):
    """Elementwise ``atan2(lhs, rhs)``.

    ```mlir
    %r = stablehlo.atan2 %a, %b : tensor<4xf64>
    ```
    """

    name = "stablehlo.atan2"


@irdl_op_definition
class ComplexOp(IRDLOperation):
    """Builds complex numbers from real and imaginary parts.

    ```mlir
    %r = stablehlo.complex %re, %im : (tensor<4xf64>, tensor<4xf64>) -> tensor<4xcomplex<f64>>
    ```
    """

    name = "stablehlo.complex"

    T: ClassVar = VarConstraint("T", _TensorConstr)

    lhs = operand_def(T)
    rhs = operand_def(T)
    result = result_def(_TensorConstr)

    traits = traits_def(Pure())

    assembly_format = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)"

    def __init__(self, lhs: SSAValue, rhs: SSAValue, result_type: Attribute | None = None):
        if result_type is None:
            t = _tensor(lhs)
            result_type = TensorType(ComplexType(t.get_element_type()), t.get_shape())
        super().__init__(operands=[lhs, rhs], result_types=[result_type])

    def verify_(self) -> None:
        lhs_t, res_t = _tensor(self.lhs), _tensor(self.result)
        expected = TensorType(ComplexType(lhs_t.get_element_type()), lhs_t.get_shape())
        if res_t != expected:
            raise VerifyException(
                f"'stablehlo.complex' result type must be {expected}, got {res_t}"
            )


# ------------------------------------------------------------------------------------
# Elementwise unary ops
# ------------------------------------------------------------------------------------


@irdl_op_definition
class NegOp(ElementwiseUnaryOp):
    """Elementwise negation.

    ```mlir
    %r = stablehlo.negate %a : tensor<4xf64>
    ```
    """

    name = "stablehlo.negate"


@irdl_op_definition
class SqrtOp(ElementwiseUnaryOp):
    """Elementwise square root.

    ```mlir
    %r = stablehlo.sqrt %a : tensor<4xf64>
    ```
    """

    name = "stablehlo.sqrt"


@irdl_op_definition
class ExpOp(ElementwiseUnaryOp):
    """Elementwise exponential.

    ```mlir
    %r = stablehlo.exponential %a : tensor<4xcomplex<f64>>
    ```
    """

    name = "stablehlo.exponential"


@irdl_op_definition
class LogOp(ElementwiseUnaryOp):
    """Elementwise natural logarithm.

    ```mlir
    %r = stablehlo.log %a : tensor<4xf64>
    ```
    """

    name = "stablehlo.log"


@irdl_op_definition
class SineOp(ElementwiseUnaryOp):
    """Elementwise sine.

    ```mlir
    %r = stablehlo.sine %a : tensor<4xf64>
    ```
    """

    name = "stablehlo.sine"


@irdl_op_definition
class CosineOp(ElementwiseUnaryOp):
    """Elementwise cosine.

    ```mlir
    %r = stablehlo.cosine %a : tensor<4xf64>
    ```
    """

    name = "stablehlo.cosine"


@irdl_op_definition
class NotOp(ElementwiseUnaryOp):
    """Elementwise logical (i1) or bitwise (integers) not.

    ```mlir
    %r = stablehlo.not %a : tensor<4xi1>
    ```
    """

    name = "stablehlo.not"


@irdl_op_definition
class SignOp(ElementwiseUnaryOp):
    """Elementwise sign (-1, 0, 1).

    ```mlir
    %r = stablehlo.sign %a : tensor<4xf64>
    ```
    """

    name = "stablehlo.sign"


@irdl_op_definition
class FloorOp(ElementwiseUnaryOp):
    """Elementwise floor.

    ```mlir
    %r = stablehlo.floor %a : tensor<4xf64>
    ```
    """

    name = "stablehlo.floor"


@irdl_op_definition
class AbsOp(_ConvertingUnaryOp):
    """Elementwise absolute value; the modulus (a real tensor) for complex operands.

    ```mlir
    %r = stablehlo.abs %a : (tensor<4xcomplex<f64>>) -> tensor<4xf64>
    ```
    """

    name = "stablehlo.abs"

    @classmethod
    def infer_result_type(cls, operand: TensorType) -> TensorType:
        return _real_of(operand)

    def verify_(self) -> None:
        super().verify_()
        _check_real_of_complex(self, _tensor(self.operand), _tensor(self.result))


@irdl_op_definition
class RealOp(_ConvertingUnaryOp):
    """Real part (identity for real operands).

    ```mlir
    %r = stablehlo.real %a : (tensor<4xcomplex<f64>>) -> tensor<4xf64>
    ```
    """

    name = "stablehlo.real"

    @classmethod
    def infer_result_type(cls, operand: TensorType) -> TensorType:
        return _real_of(operand)

    def verify_(self) -> None:
        super().verify_()
        _check_real_of_complex(self, _tensor(self.operand), _tensor(self.result))


@irdl_op_definition
class ImagOp(_ConvertingUnaryOp):
    """Imaginary part (zero for real operands).

    ```mlir
    %r = stablehlo.imag %a : (tensor<4xcomplex<f64>>) -> tensor<4xf64>
    ```
    """

    name = "stablehlo.imag"

    @classmethod
    def infer_result_type(cls, operand: TensorType) -> TensorType:
        return _real_of(operand)

    def verify_(self) -> None:
        super().verify_()
        _check_real_of_complex(self, _tensor(self.operand), _tensor(self.result))


@irdl_op_definition
class ConvertOp(_ConvertingUnaryOp):
    """Elementwise element-type conversion.

    ```mlir
    %r = stablehlo.convert %a : (tensor<?x16xi8>) -> tensor<?x16xf64>
    ```
    """

    name = "stablehlo.convert"

    def __init__(self, operand: SSAValue, element_type: Attribute):
        """``element_type`` is the result element type, or a full result tensor type."""
        if not isinstance(element_type, TensorType):
            element_type = TensorType(element_type, _tensor(operand).get_shape())
        super().__init__(operand, element_type)


# ------------------------------------------------------------------------------------
# Comparison and selection
# ------------------------------------------------------------------------------------


def _default_compare_type(element_type: Attribute) -> ComparisonType:
    if isinstance(element_type, AnyFloat | ComplexType):
        return ComparisonType.FLOAT
    if isinstance(element_type, IntegerType):
        if element_type.width.data == 1:
            return ComparisonType.UNSIGNED
        if element_type.signedness.data.name == "UNSIGNED":
            return ComparisonType.UNSIGNED
        return ComparisonType.SIGNED
    return ComparisonType.NOTYPE


@irdl_op_definition
class CompareOp(IRDLOperation):
    """Elementwise comparison producing ``i1``.

    ``compare_type`` is filled in by the builder from the element type (FLOAT for floats,
    SIGNED for signless/signed integers, UNSIGNED for i1 and unsigned integers), so
    comparisons involving NaN follow IEEE semantics.

    ```mlir
    %r = stablehlo.compare LT, %a, %b, FLOAT : (tensor<4xf64>, tensor<4xf64>) -> tensor<4xi1>
    ```
    """

    name = "stablehlo.compare"

    T: ClassVar = VarConstraint("T", _TensorConstr)

    lhs = operand_def(T)
    rhs = operand_def(T)
    result = result_def(_TensorConstr)

    comparison_direction = prop_def(ComparisonDirectionAttr)
    compare_type = opt_prop_def(ComparisonTypeAttr)

    traits = traits_def(Pure())

    assembly_format = (
        "$comparison_direction `,` $lhs `,` $rhs (`,` $compare_type^)? "
        "attr-dict `:` functional-type(operands, results)"
    )

    def __init__(
        self,
        direction: ComparisonDirection | str,
        lhs: SSAValue,
        rhs: SSAValue,
        compare_type: ComparisonType | str | None = None,
    ):
        t = _tensor(lhs)
        if compare_type is None:
            compare_type = _default_compare_type(t.get_element_type())
        super().__init__(
            operands=[lhs, rhs],
            result_types=[TensorType(i1, t.get_shape())],
            properties={
                "comparison_direction": ComparisonDirectionAttr(ComparisonDirection(direction)),
                "compare_type": ComparisonTypeAttr(ComparisonType(compare_type)),
            },
        )

    def verify_(self) -> None:
        lhs_t, res_t = _tensor(self.lhs), _tensor(self.result)
        if res_t != TensorType(i1, lhs_t.get_shape()):
            raise VerifyException(
                f"'stablehlo.compare' result must be {TensorType(i1, lhs_t.get_shape())}, "
                f"got {res_t}"
            )


@irdl_op_definition
class SelectOp(IRDLOperation):
    """Elementwise ``pred ? on_true : on_false``; ``pred`` is ``tensor<i1>`` or has the
    shape of the operands.

    ```mlir
    %r = stablehlo.select %p, %a, %b : tensor<4xi1>, tensor<4xf64>
    ```
    """

    name = "stablehlo.select"

    T: ClassVar = VarConstraint("T", _TensorConstr)

    pred = operand_def(_TensorConstr)
    on_true = operand_def(T)
    on_false = operand_def(T)
    result = result_def(T)

    traits = traits_def(Pure())

    assembly_format = "$pred `,` $on_true `,` $on_false attr-dict `:` type($pred) `,` type($result)"

    def __init__(self, pred: SSAValue, on_true: SSAValue, on_false: SSAValue):
        super().__init__(operands=[pred, on_true, on_false], result_types=[on_true.type])

    def verify_(self) -> None:
        p, r = _tensor(self.pred), _tensor(self.result)
        if p.get_element_type() != i1:
            raise VerifyException(f"'stablehlo.select' predicate must have i1 elements, got {p}")
        if p.get_shape() != () and p.get_shape() != r.get_shape():
            raise VerifyException(
                f"'stablehlo.select' predicate shape {p.get_shape()} must be scalar or "
                f"equal to the operand shape {r.get_shape()}"
            )


@irdl_op_definition
class ClampOp(IRDLOperation):
    """Elementwise ``min(max(operand, min), max)``; ``min``/``max`` are scalar tensors or
    have the operand's shape.

    ```mlir
    %r = stablehlo.clamp %lo, %x, %hi : (tensor<f64>, tensor<4xf64>, tensor<f64>) -> tensor<4xf64>
    ```
    """

    name = "stablehlo.clamp"

    T: ClassVar = VarConstraint("T", _TensorConstr)

    min = operand_def(_TensorConstr)
    operand = operand_def(T)
    max = operand_def(_TensorConstr)
    result = result_def(T)

    traits = traits_def(Pure())

    assembly_format = "$min `,` $operand `,` $max attr-dict `:` functional-type(operands, results)"

    def __init__(self, min: SSAValue, operand: SSAValue, max: SSAValue):
        super().__init__(operands=[min, operand, max], result_types=[operand.type])

    def verify_(self) -> None:
        t = _tensor(self.operand)
        for name, v in (("min", self.min), ("max", self.max)):
            vt = _tensor(v)
            if vt.get_element_type() != t.get_element_type():
                raise VerifyException(
                    f"'stablehlo.clamp' {name} element type {vt.get_element_type()} differs "
                    f"from operand element type {t.get_element_type()}"
                )
            if vt.get_shape() != () and vt.get_shape() != t.get_shape():
                raise VerifyException(
                    f"'stablehlo.clamp' {name} must be a scalar tensor or have the operand shape"
                )


# ------------------------------------------------------------------------------------
# Constants, iota, shapes
# ------------------------------------------------------------------------------------


def element_type_of_dtype(dtype: np.dtype | str | type) -> Attribute:
    """The MLIR element type of a numpy dtype (bool -> i1, int8 -> i8, complex128 ->
    complex<f64>, ...)."""
    dt = np.dtype(dtype)
    if dt == np.bool_:
        return i1
    if dt.kind == "i":
        return IntegerType(dt.itemsize * 8)
    if dt.kind == "u":
        from xdsl.dialects.builtin import Signedness

        return IntegerType(dt.itemsize * 8, Signedness.UNSIGNED)
    if dt.kind == "f":
        return {2: Float16Type(), 4: Float32Type(), 8: Float64Type()}[dt.itemsize]
    if dt.kind == "c":
        return ComplexType({8: Float32Type(), 16: Float64Type()}[dt.itemsize])
    raise ValueError(f"no MLIR element type for numpy dtype {dt}")


_HEX_DENSE = re.compile(r"dense<(?!\")([^<>\"]*\b0[xX][0-9a-fA-F]+[^<>\"]*)>")


def _parse_hex_float_dense(parser: Parser) -> DenseIntOrFPElementsAttr | None:
    """Parse ``dense<0x7FF0000000000000>`` / ``dense<[1.0, 0xFF800000]>`` bit-exactly.

    MLIR (and jaxlib's printer) writes non-finite float elements as hex bit patterns;
    xDSL 0.74 reads those as integer *values*. Returns None (consuming nothing) when the
    next attribute is not a dense literal with hex elements.
    """
    content = parser.lexer.input.content
    start = parser._current_token.span.start  # pyright: ignore[reportPrivateUsage]
    m = _HEX_DENSE.match(content, start)
    if m is None:
        return None
    parser.lexer.pos = m.end()
    parser._parser_state.current_token = parser.lexer.lex()  # pyright: ignore[reportPrivateUsage]
    parser.parse_punctuation(":")
    typ = parser.parse_type()
    if not isinstance(typ, TensorType):
        parser.raise_error(f"expected a tensor type for a dense constant, got {typ}")
    el = typ.get_element_type()
    scalar = el.element_type if isinstance(el, ComplexType) else el
    if not isinstance(scalar, AnyFloat):
        parser.raise_error("hex dense elements are only supported for float types here")
    width = scalar.bitwidth
    np_float = {16: np.float16, 32: np.float32, 64: np.float64}[width]
    np_uint = {16: np.uint16, 32: np.uint32, 64: np.uint64}[width]
    vals = []
    for tok in re.findall(r"[^\s\[\](),]+", m.group(1)):
        if tok.lower().startswith("0x"):
            vals.append(float(np.array(int(tok, 16), dtype=np_uint).view(np_float)))
        else:
            vals.append(float(tok))
    per = 2 if isinstance(el, ComplexType) else 1
    count = math.prod(typ.get_shape())
    if len(vals) == per:
        vals = vals * count
    if len(vals) != per * count:
        parser.raise_error(
            f"dense literal has {len(vals) // per} elements, type {typ} needs {count}"
        )
    if per == 2:
        data = [(vals[i], vals[i + 1]) for i in range(0, len(vals), 2)]
    else:
        data = vals
    return DenseIntOrFPElementsAttr.from_list(typ, data)  # pyright: ignore


def _has_nonfinite(value: DenseIntOrFPElementsAttr) -> bool:
    el = value.get_element_type()
    if not isinstance(el, AnyFloat | ComplexType):
        return False
    return not bool(np.all(np.isfinite(np.asarray(value.get_values(), dtype=np.float64))))


@irdl_op_definition
class ConstantOp(IRDLOperation):
    """A dense constant.

    ```mlir
    %c = stablehlo.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf64>
    %z = stablehlo.constant dense<(0.000000e+00,1.000000e+00)> : tensor<complex<f64>>
    ```
    """

    name = "stablehlo.constant"

    value = prop_def(DenseIntOrFPElementsAttr)
    output = result_def(_TensorConstr)

    traits = traits_def(Pure())

    def __init__(self, value: DenseIntOrFPElementsAttr):
        super().__init__(properties={"value": value}, result_types=[value.type])

    @staticmethod
    def from_array(array: np.ndarray | complex | float | int | bool, dtype=None) -> ConstantOp:
        """A constant holding ``np.asarray(array, dtype)`` (any rank, complex included)."""
        arr = np.asarray(array, dtype=dtype)
        el = element_type_of_dtype(arr.dtype)
        typ = TensorType(el, arr.shape)
        flat = arr.reshape(-1)
        if arr.dtype.kind == "c":
            values = [(float(v.real), float(v.imag)) for v in flat]
        elif arr.dtype.kind == "f":
            values = [float(v) for v in flat]
        else:
            values = [int(v) for v in flat]
        return ConstantOp(DenseIntOrFPElementsAttr.from_list(typ, values))  # pyright: ignore

    def verify_(self) -> None:
        if self.value.type != self.output.type:
            raise VerifyException(
                f"'stablehlo.constant' result type {self.output.type} differs from the "
                f"value type {self.value.type}"
            )

    def print(self, printer: Printer) -> None:
        printer.print_op_attributes(self.attributes)
        printer.print_string(" ")
        if _has_nonfinite(self.value):
            # xDSL prints inf/nan as hex integer literals, which its own parser then
            # reads as integer *values*; the raw hex-string form is exact in both parsers.
            printer.print_string(f'dense<"0x{self.value.data.data.hex().upper()}"> : ')
            printer.print_attribute(self.value.type)
        else:
            printer.print_attribute(self.value)

    @classmethod
    def parse(cls, parser: Parser) -> ConstantOp:
        attrs = parser.parse_optional_attr_dict()
        value = _parse_hex_float_dense(parser) or parser.parse_attribute()
        if not isinstance(value, DenseIntOrFPElementsAttr):
            parser.raise_error(f"expected a dense elements attribute, got {value}")
        op = cls(value)
        op.attributes.update(attrs)
        return op


@irdl_op_definition
class IotaOp(IRDLOperation):
    """``output[i0, ..., in] = i_{iota_dimension}`` (static shape).

    ```mlir
    %r = "stablehlo.iota"() <{iota_dimension = 0 : i64}> : () -> tensor<4x3xi32>
    ```
    """

    name = "stablehlo.iota"

    iota_dimension = prop_def(IntegerAttr[I64])
    output = result_def(_TensorConstr)

    traits = traits_def(Pure())

    def __init__(self, iota_dimension: int, result_type: Attribute):
        super().__init__(
            properties={"iota_dimension": IntegerAttr(iota_dimension, i64)},
            result_types=[result_type],
        )

    def verify_(self) -> None:
        rank = _tensor(self.output).get_num_dims()
        if not 0 <= self.iota_dimension.value.data < rank:
            raise VerifyException(
                f"'stablehlo.iota' iota_dimension {self.iota_dimension.value.data} out of "
                f"range for rank {rank}"
            )


@irdl_op_definition
class DynamicIotaOp(IRDLOperation):
    """Iota whose shape is given at run time by a 1-D integer tensor.

    ```mlir
    %r = "stablehlo.dynamic_iota"(%shape) <{iota_dimension = 1 : i64}>
           : (tensor<2xi64>) -> tensor<?x4xi32>
    ```
    """

    name = "stablehlo.dynamic_iota"

    output_shape = operand_def(_TensorConstr)
    iota_dimension = prop_def(IntegerAttr[I64])
    result = result_def(_TensorConstr)

    traits = traits_def(Pure())

    def __init__(self, output_shape: SSAValue, iota_dimension: int, result_type: Attribute):
        super().__init__(
            operands=[output_shape],
            properties={"iota_dimension": IntegerAttr(iota_dimension, i64)},
            result_types=[result_type],
        )

    def verify_(self) -> None:
        rank = _tensor(self.result).get_num_dims()
        if not 0 <= self.iota_dimension.value.data < rank:
            raise VerifyException(
                f"'stablehlo.dynamic_iota' iota_dimension {self.iota_dimension.value.data} "
                f"out of range for rank {rank}"
            )


def _check_broadcast_dims(op: IRDLOperation, operand: TensorType, result: TensorType, dims):
    if len(dims) != operand.get_num_dims():
        raise VerifyException(
            f"'{op.name}' broadcast_dimensions has {len(dims)} entries, operand rank is "
            f"{operand.get_num_dims()}"
        )
    rshape = result.get_shape()
    for i, (d, size) in enumerate(zip(dims, operand.get_shape())):
        if not 0 <= d < len(rshape):
            raise VerifyException(
                f"'{op.name}' broadcast dimension {d} out of range for result rank {len(rshape)}"
            )
        if size != 1 and size != DYNAMIC and rshape[d] != DYNAMIC and rshape[d] != size:
            raise VerifyException(
                f"'{op.name}' operand dimension {i} of size {size} cannot broadcast to "
                f"result dimension {d} of size {rshape[d]}"
            )


@irdl_op_definition
class BroadcastInDimOp(IRDLOperation):
    """Broadcast; operand dimension ``i`` maps to result dimension
    ``broadcast_dimensions[i]``.

    ```mlir
    %r = "stablehlo.broadcast_in_dim"(%a) <{broadcast_dimensions = array<i64: 1>}>
           : (tensor<4xf64>) -> tensor<3x4xf64>
    ```
    """

    name = "stablehlo.broadcast_in_dim"

    operand = operand_def(_TensorConstr)
    broadcast_dimensions = prop_def(DenseArrayBase[I64])
    result = result_def(_TensorConstr)

    traits = traits_def(Pure())

    def __init__(
        self, operand: SSAValue, broadcast_dimensions: Sequence[int], result_type: Attribute
    ):
        super().__init__(
            operands=[operand],
            properties={"broadcast_dimensions": _i64_array(broadcast_dimensions)},
            result_types=[result_type],
        )

    def verify_(self) -> None:
        op_t, res_t = _tensor(self.operand), _tensor(self.result)
        if op_t.get_element_type() != res_t.get_element_type():
            raise VerifyException(
                f"'stablehlo.broadcast_in_dim' element types differ: {op_t} vs {res_t}"
            )
        _check_broadcast_dims(self, op_t, res_t, self.broadcast_dimensions.get_values())


@irdl_op_definition
class DynamicBroadcastInDimOp(IRDLOperation):
    """Broadcast to a shape given at run time by a 1-D integer tensor.

    ```mlir
    %r = "stablehlo.dynamic_broadcast_in_dim"(%a, %shape)
           <{broadcast_dimensions = array<i64: 1>}> : (tensor<4xf64>, tensor<2xi64>)
           -> tensor<?x4xf64>
    ```
    """

    name = "stablehlo.dynamic_broadcast_in_dim"

    operand = operand_def(_TensorConstr)
    output_dimensions = operand_def(_TensorConstr)
    broadcast_dimensions = prop_def(DenseArrayBase[I64])
    known_expanding_dimensions = opt_prop_def(DenseArrayBase[I64])
    known_nonexpanding_dimensions = opt_prop_def(DenseArrayBase[I64])
    result = result_def(_TensorConstr)

    traits = traits_def(Pure())

    def __init__(
        self,
        operand: SSAValue,
        output_dimensions: SSAValue,
        broadcast_dimensions: Sequence[int],
        result_type: Attribute,
    ):
        super().__init__(
            operands=[operand, output_dimensions],
            properties={"broadcast_dimensions": _i64_array(broadcast_dimensions)},
            result_types=[result_type],
        )

    def verify_(self) -> None:
        op_t, res_t = _tensor(self.operand), _tensor(self.result)
        if op_t.get_element_type() != res_t.get_element_type():
            raise VerifyException(
                f"'stablehlo.dynamic_broadcast_in_dim' element types differ: {op_t} vs {res_t}"
            )
        _check_broadcast_dims(self, op_t, res_t, self.broadcast_dimensions.get_values())


@irdl_op_definition
class GetDimensionSizeOp(IRDLOperation):
    """The size of one dimension as a ``tensor<i32>``.

    ```mlir
    %n = "stablehlo.get_dimension_size"(%x) <{dimension = 0 : i64}>
           : (tensor<?x16xi8>) -> tensor<i32>
    ```
    """

    name = "stablehlo.get_dimension_size"

    operand = operand_def(_TensorConstr)
    dimension = prop_def(IntegerAttr[I64])
    result = result_def(_TensorConstr)

    traits = traits_def(Pure())

    def __init__(self, operand: SSAValue, dimension: int):
        super().__init__(
            operands=[operand],
            properties={"dimension": IntegerAttr(dimension, i64)},
            result_types=[TensorType(i32, ())],
        )

    def verify_(self) -> None:
        rank = _tensor(self.operand).get_num_dims()
        if not 0 <= self.dimension.value.data < rank:
            raise VerifyException(
                f"'stablehlo.get_dimension_size' dimension {self.dimension.value.data} out "
                f"of range for rank {rank}"
            )


@irdl_op_definition
class ReshapeOp(IRDLOperation):
    """Reshape (row-major) to a static shape with the same number of elements.

    ```mlir
    %r = stablehlo.reshape %a : (tensor<2x3xf64>) -> tensor<6xf64>
    ```
    """

    name = "stablehlo.reshape"

    operand = operand_def(_TensorConstr)
    result = result_def(_TensorConstr)

    traits = traits_def(Pure())

    assembly_format = "$operand attr-dict `:` functional-type(operands, results)"

    def __init__(self, operand: SSAValue, result_type: Attribute):
        super().__init__(operands=[operand], result_types=[result_type])

    def verify_(self) -> None:
        op_t, res_t = _tensor(self.operand), _tensor(self.result)
        if op_t.get_element_type() != res_t.get_element_type():
            raise VerifyException(f"'stablehlo.reshape' element types differ: {op_t} vs {res_t}")
        if DYNAMIC not in op_t.get_shape() and DYNAMIC not in res_t.get_shape():
            if op_t.element_count() != res_t.element_count():
                raise VerifyException(
                    f"'stablehlo.reshape' element counts differ: {op_t} vs {res_t}"
                )


@irdl_op_definition
class DynamicReshapeOp(IRDLOperation):
    """Reshape to a shape given at run time by a 1-D integer tensor.

    ```mlir
    %r = "stablehlo.dynamic_reshape"(%a, %shape) : (tensor<?x4xf64>, tensor<3xi64>)
           -> tensor<?x2x2xf64>
    ```
    """

    name = "stablehlo.dynamic_reshape"

    operand = operand_def(_TensorConstr)
    output_shape = operand_def(_TensorConstr)
    result = result_def(_TensorConstr)

    traits = traits_def(Pure())

    def __init__(self, operand: SSAValue, output_shape: SSAValue, result_type: Attribute):
        super().__init__(operands=[operand, output_shape], result_types=[result_type])


@irdl_op_definition
class TransposeOp(IRDLOperation):
    """Permutes dimensions: ``result.shape[i] = operand.shape[permutation[i]]``.

    ```mlir
    %r = "stablehlo.transpose"(%a) <{permutation = array<i64: 1, 0>}>
           : (tensor<2x3xf64>) -> tensor<3x2xf64>
    ```
    """

    name = "stablehlo.transpose"

    operand = operand_def(_TensorConstr)
    permutation = prop_def(DenseArrayBase[I64])
    result = result_def(_TensorConstr)

    traits = traits_def(Pure())

    def __init__(self, operand: SSAValue, permutation: Sequence[int]):
        t = _tensor(operand)
        shape = [t.get_shape()[p] for p in permutation]
        super().__init__(
            operands=[operand],
            properties={"permutation": _i64_array(permutation)},
            result_types=[TensorType(t.get_element_type(), shape)],
        )

    def verify_(self) -> None:
        perm = self.permutation.get_values()
        op_t = _tensor(self.operand)
        if sorted(perm) != list(range(op_t.get_num_dims())):
            raise VerifyException(
                f"'stablehlo.transpose' permutation {list(perm)} is not a permutation of "
                f"0..{op_t.get_num_dims() - 1}"
            )


@irdl_op_definition
class ConcatenateOp(IRDLOperation):
    """Concatenation along ``dimension``.

    ```mlir
    %r = "stablehlo.concatenate"(%a, %b) <{dimension = 0 : i64}>
           : (tensor<2xf64>, tensor<3xf64>) -> tensor<5xf64>
    ```
    """

    name = "stablehlo.concatenate"

    inputs = var_operand_def(_TensorConstr)
    dimension = prop_def(IntegerAttr[I64])
    result = result_def(_TensorConstr)

    traits = traits_def(Pure())

    def __init__(self, inputs: Sequence[SSAValue], dimension: int):
        types = [_tensor(v) for v in inputs]
        if not types:
            raise VerifyException("'stablehlo.concatenate' needs at least one input")
        shape = list(types[0].get_shape())
        sizes = [t.get_shape()[dimension] for t in types]
        shape[dimension] = DYNAMIC if DYNAMIC in sizes else sum(sizes)
        super().__init__(
            operands=[list(inputs)],
            properties={"dimension": IntegerAttr(dimension, i64)},
            result_types=[TensorType(types[0].get_element_type(), shape)],
        )

    def verify_(self) -> None:
        d = self.dimension.value.data
        types = [_tensor(v) for v in self.inputs]
        if not types:
            raise VerifyException("'stablehlo.concatenate' needs at least one input")
        rank = types[0].get_num_dims()
        if not 0 <= d < rank:
            raise VerifyException(
                f"'stablehlo.concatenate' dimension {d} out of range for rank {rank}"
            )
        for t in types:
            if t.get_element_type() != types[0].get_element_type() or t.get_num_dims() != rank:
                raise VerifyException(
                    f"'stablehlo.concatenate' inputs must have equal element types and ranks, "
                    f"got {types[0]} and {t}"
                )


@irdl_op_definition
class SliceOp(IRDLOperation):
    """Static strided slice.

    ```mlir
    %r = "stablehlo.slice"(%a) <{start_indices = array<i64: 1>,
           limit_indices = array<i64: 4>, strides = array<i64: 2>}>
           : (tensor<5xf64>) -> tensor<2xf64>
    ```
    """

    name = "stablehlo.slice"

    operand = operand_def(_TensorConstr)
    start_indices = prop_def(DenseArrayBase[I64])
    limit_indices = prop_def(DenseArrayBase[I64])
    strides = prop_def(DenseArrayBase[I64])
    result = result_def(_TensorConstr)

    traits = traits_def(Pure())

    def __init__(
        self,
        operand: SSAValue,
        start_indices: Sequence[int],
        limit_indices: Sequence[int],
        strides: Sequence[int] | None = None,
    ):
        t = _tensor(operand)
        if strides is None:
            strides = [1] * len(start_indices)
        shape = []
        for size, s, lim, st in zip(t.get_shape(), start_indices, limit_indices, strides):
            shape.append(DYNAMIC if size == DYNAMIC else -(-(lim - s) // st))
        super().__init__(
            operands=[operand],
            properties={
                "start_indices": _i64_array(start_indices),
                "limit_indices": _i64_array(limit_indices),
                "strides": _i64_array(strides),
            },
            result_types=[TensorType(t.get_element_type(), shape)],
        )

    def verify_(self) -> None:
        rank = _tensor(self.operand).get_num_dims()
        for n in ("start_indices", "limit_indices", "strides"):
            if len(getattr(self, n).get_values()) != rank:
                raise VerifyException(
                    f"'stablehlo.slice' {n} must have one entry per operand dimension ({rank})"
                )


@irdl_op_definition
class RealDynamicSliceOp(IRDLOperation):
    """Strided slice whose bounds are 1-D integer tensors (one entry per dimension), so a
    dynamic dimension can be sliced whole; with constant bounds, shape refinement turns it
    into a static ``slice``.

    ```mlir
    %r = stablehlo.real_dynamic_slice %a, %start, %limit, %strides
           : (tensor<?x16xi8>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x15xi8>
    ```
    """

    name = "stablehlo.real_dynamic_slice"

    operand = operand_def(_TensorConstr)
    start_indices = operand_def(_TensorConstr)
    limit_indices = operand_def(_TensorConstr)
    strides = operand_def(_TensorConstr)
    result = result_def(_TensorConstr)

    traits = traits_def(Pure())

    assembly_format = (
        "$operand `,` $start_indices `,` $limit_indices `,` $strides attr-dict `:` "
        "functional-type(operands, results)"
    )

    def __init__(
        self,
        operand: SSAValue,
        start_indices: SSAValue,
        limit_indices: SSAValue,
        strides: SSAValue,
        result_type: Attribute,
    ):
        super().__init__(
            operands=[operand, start_indices, limit_indices, strides], result_types=[result_type]
        )

    def verify_(self) -> None:
        op_t, res_t = _tensor(self.operand), _tensor(self.result)
        rank = op_t.get_num_dims()
        if op_t.get_element_type() != res_t.get_element_type() or res_t.get_num_dims() != rank:
            raise VerifyException(
                f"'stablehlo.real_dynamic_slice' result {res_t} does not match operand {op_t}"
            )
        for n in ("start_indices", "limit_indices", "strides"):
            t = _tensor(getattr(self, n))
            if t.get_shape() != (rank,):
                raise VerifyException(
                    f"'stablehlo.real_dynamic_slice' {n} must be a tensor<{rank}x...>, got {t}"
                )


@irdl_op_definition
class DynamicSliceOp(IRDLOperation):
    """Slice of static size at run-time start indices (one scalar tensor per dimension).

    ```mlir
    %r = "stablehlo.dynamic_slice"(%a, %i) <{slice_sizes = array<i64: 2>}>
           : (tensor<5xf64>, tensor<i32>) -> tensor<2xf64>
    ```
    """

    name = "stablehlo.dynamic_slice"

    operand = operand_def(_TensorConstr)
    start_indices = var_operand_def(_TensorConstr)
    slice_sizes = prop_def(DenseArrayBase[I64])
    result = result_def(_TensorConstr)

    traits = traits_def(Pure())

    def __init__(
        self, operand: SSAValue, start_indices: Sequence[SSAValue], slice_sizes: Sequence[int]
    ):
        t = _tensor(operand)
        super().__init__(
            operands=[operand, list(start_indices)],
            properties={"slice_sizes": _i64_array(slice_sizes)},
            result_types=[TensorType(t.get_element_type(), list(slice_sizes))],
        )


@irdl_op_definition
class DynamicUpdateSliceOp(IRDLOperation):
    """Writes ``update`` into ``operand`` at run-time start indices (one scalar tensor per
    dimension; clamped so the update fits).

    ```mlir
    %r = stablehlo.dynamic_update_slice %a, %u, %i, %j
           : (tensor<4x4xf64>, tensor<1x4xf64>, tensor<i32>, tensor<i32>) -> tensor<4x4xf64>
    ```
    """

    name = "stablehlo.dynamic_update_slice"

    T: ClassVar = VarConstraint("T", _TensorConstr)

    operand = operand_def(T)
    update = operand_def(_TensorConstr)
    start_indices = var_operand_def(_TensorConstr)
    result = result_def(T)

    traits = traits_def(Pure())

    assembly_format = (
        "$operand `,` $update `,` $start_indices attr-dict `:` functional-type(operands, results)"
    )

    def __init__(self, operand: SSAValue, update: SSAValue, start_indices: Sequence[SSAValue]):
        super().__init__(
            operands=[operand, update, list(start_indices)], result_types=[operand.type]
        )

    def verify_(self) -> None:
        rank = _tensor(self.operand).get_num_dims()
        if len(self.start_indices) != rank:
            raise VerifyException(
                f"'stablehlo.dynamic_update_slice' needs {rank} start indices, got "
                f"{len(self.start_indices)}"
            )
        if _tensor(self.update).get_num_dims() != rank:
            raise VerifyException(
                "'stablehlo.dynamic_update_slice' update rank differs from operand rank"
            )


# ------------------------------------------------------------------------------------
# Gather / scatter / reduce
# ------------------------------------------------------------------------------------


@irdl_op_definition
class GatherOp(IRDLOperation):
    """Gather slices of ``operand`` at ``start_indices``.

    ```mlir
    %r = "stablehlo.gather"(%x, %idx) <{dimension_numbers = #stablehlo.gather<
           offset_dims = [0], collapsed_slice_dims = [1], start_index_map = [1],
           index_vector_dim = 1>, indices_are_sorted = false,
           slice_sizes = array<i64: 5, 1>}> : (tensor<5x16xi8>, tensor<3x1xi32>) -> tensor<5x3xi8>
    ```
    """

    name = "stablehlo.gather"

    operand = operand_def(_TensorConstr)
    start_indices = operand_def(_TensorConstr)
    dimension_numbers = prop_def(GatherDimensionNumbers)
    slice_sizes = prop_def(DenseArrayBase[I64])
    indices_are_sorted = opt_prop_def(BoolAttr)
    result = result_def(_TensorConstr)

    traits = traits_def(Pure())

    def __init__(
        self,
        operand: SSAValue,
        start_indices: SSAValue,
        dimension_numbers: GatherDimensionNumbers,
        slice_sizes: Sequence[int],
        result_type: Attribute,
        indices_are_sorted: bool = False,
    ):
        super().__init__(
            operands=[operand, start_indices],
            properties={
                "dimension_numbers": dimension_numbers,
                "slice_sizes": _i64_array(slice_sizes),
                "indices_are_sorted": IntegerAttr(int(indices_are_sorted), i1),
            },
            result_types=[result_type],
        )

    def verify_(self) -> None:
        op_t = _tensor(self.operand)
        sizes = self.slice_sizes.get_values()
        if len(sizes) != op_t.get_num_dims():
            raise VerifyException(
                f"'stablehlo.gather' slice_sizes has {len(sizes)} entries, operand rank is "
                f"{op_t.get_num_dims()}"
            )
        for d in self.dimension_numbers.get("collapsed_slice_dims"):
            if not 0 <= d < len(sizes) or sizes[d] > 1:
                raise VerifyException(
                    f"'stablehlo.gather' collapsed slice dimension {d} must have slice size <= 1"
                )


@irdl_op_definition
class ReturnOp(IRDLOperation):
    """Terminator of ``reduce`` and ``scatter`` bodies.

    ```mlir
    stablehlo.return %s : tensor<f64>
    ```
    """

    name = "stablehlo.return"

    results_ = var_operand_def()

    traits = traits_def(IsTerminator(), Pure())

    assembly_format = "$results_ attr-dict (`:` type($results_)^)?"

    def __init__(self, *results: SSAValue):
        super().__init__(operands=[list(results)])


def scalar_body(
    element_types: Sequence[Attribute], combine: type[ElementwiseBinaryOp], n_args: int = 2
) -> Region:
    """A region ``^bb0(%a: tensor<T>, %b: tensor<T>): stablehlo.return combine(%a, %b)``
    for ``reduce`` / ``scatter`` with one operand."""
    (el,) = element_types
    t = TensorType(el, ())
    block = Block(arg_types=[t] * n_args)
    op = combine(block.args[0], block.args[1])
    block.add_ops([op, ReturnOp(op.result)])
    return Region(block)


def replace_body(element_type: Attribute) -> Region:
    """A scatter update region that keeps the update: ``^bb0(%old, %new): return %new``."""
    t = TensorType(element_type, ())
    block = Block(arg_types=[t, t])
    block.add_op(ReturnOp(block.args[1]))
    return Region(block)


@irdl_op_definition
class ReduceOp(IRDLOperation):
    """Reduces ``inputs`` over ``dimensions`` with the body, starting from ``init_values``.

    ```mlir
    %r = "stablehlo.reduce"(%x, %zero) <{dimensions = array<i64: 1>}> ({
    ^bb0(%a: tensor<f64>, %b: tensor<f64>):
      %s = stablehlo.add %a, %b : tensor<f64>
      stablehlo.return %s : tensor<f64>
    }) : (tensor<?x4xf64>, tensor<f64>) -> tensor<?xf64>
    ```
    """

    name = "stablehlo.reduce"

    inputs = var_operand_def(_TensorConstr)
    init_values = var_operand_def(_TensorConstr)
    dimensions = prop_def(DenseArrayBase[I64])
    body = region_def("single_block")
    results_ = var_result_def(_TensorConstr)

    irdl_options = (SameVariadicOperandSize(),)

    traits = traits_def(Pure())

    def __init__(
        self,
        inputs: Sequence[SSAValue],
        init_values: Sequence[SSAValue],
        dimensions: Sequence[int],
        body: Region,
    ):
        result_types = []
        for v in inputs:
            t = _tensor(v)
            shape = [s for i, s in enumerate(t.get_shape()) if i not in dimensions]
            result_types.append(TensorType(t.get_element_type(), shape))
        super().__init__(
            operands=[list(inputs), list(init_values)],
            properties={"dimensions": _i64_array(dimensions)},
            regions=[body],
            result_types=[result_types],
        )

    def verify_(self) -> None:
        if len(self.inputs) != len(self.init_values):
            raise VerifyException(
                "'stablehlo.reduce' needs as many init_values as inputs, got "
                f"{len(self.inputs)} and {len(self.init_values)}"
            )
        rank = _tensor(self.inputs[0]).get_num_dims() if self.inputs else 0
        for d in self.dimensions.get_values():
            if not 0 <= d < rank:
                raise VerifyException(
                    f"'stablehlo.reduce' dimension {d} out of range for rank {rank}"
                )
        nargs = len(self.body.block.args)
        if nargs != 2 * len(self.inputs):
            raise VerifyException(
                f"'stablehlo.reduce' body must take {2 * len(self.inputs)} arguments, got {nargs}"
            )


@irdl_op_definition
class ScatterOp(IRDLOperation):
    """Scatters ``updates`` into ``inputs`` at ``scatter_indices``, combining with the
    update region (which returns the new value from ``(old, update)``).

    ```mlir
    %r = "stablehlo.scatter"(%x, %idx, %upd) <{indices_are_sorted = false,
           scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [0],
           inserted_window_dims = [1], scatter_dims_to_operand_dims = [1],
           index_vector_dim = 1>, unique_indices = false}> ({
    ^bb0(%old: tensor<i8>, %new: tensor<i8>):
      stablehlo.return %new : tensor<i8>
    }) : (tensor<5x16xi8>, tensor<2x1xi32>, tensor<5x2xi8>) -> tensor<5x16xi8>
    ```
    """

    name = "stablehlo.scatter"

    inputs = var_operand_def(_TensorConstr)
    scatter_indices = operand_def(_TensorConstr)
    updates = var_operand_def(_TensorConstr)
    scatter_dimension_numbers = prop_def(ScatterDimensionNumbers)
    indices_are_sorted = opt_prop_def(BoolAttr)
    unique_indices = opt_prop_def(BoolAttr)
    update_computation = region_def("single_block")
    results_ = var_result_def(_TensorConstr)

    irdl_options = (SameVariadicOperandSize(),)

    traits = traits_def(Pure())

    def __init__(
        self,
        inputs: Sequence[SSAValue],
        scatter_indices: SSAValue,
        updates: Sequence[SSAValue],
        scatter_dimension_numbers: ScatterDimensionNumbers,
        update_computation: Region,
        indices_are_sorted: bool = False,
        unique_indices: bool = False,
    ):
        super().__init__(
            operands=[list(inputs), scatter_indices, list(updates)],
            properties={
                "scatter_dimension_numbers": scatter_dimension_numbers,
                "indices_are_sorted": IntegerAttr(int(indices_are_sorted), i1),
                "unique_indices": IntegerAttr(int(unique_indices), i1),
            },
            regions=[update_computation],
            result_types=[[v.type for v in inputs]],
        )

    def verify_(self) -> None:
        if len(self.inputs) != len(self.updates):
            raise VerifyException(
                "'stablehlo.scatter' needs as many updates as inputs, got "
                f"{len(self.inputs)} and {len(self.updates)}"
            )
        for v, r in zip(self.inputs, self.results_):
            if v.type != r.type:
                raise VerifyException(
                    f"'stablehlo.scatter' result type {r.type} differs from input {v.type}"
                )


# ------------------------------------------------------------------------------------
# Helpers for lowering code
# ------------------------------------------------------------------------------------


def tensor_type(element_type: Attribute, shape: Sequence[int]) -> TensorType:
    """``TensorType`` with ``DYNAMIC`` (``DYNAMIC``) for dynamic dimensions."""
    return TensorType(element_type, list(shape))


Stablehlo = Dialect(
    "stablehlo",
    [
        AbsOp,
        AddOp,
        AndOp,
        Atan2Op,
        BroadcastInDimOp,
        ClampOp,
        CompareOp,
        ComplexOp,
        ConcatenateOp,
        ConstantOp,
        ConvertOp,
        CosineOp,
        DivideOp,
        DynamicBroadcastInDimOp,
        DynamicIotaOp,
        DynamicReshapeOp,
        DynamicSliceOp,
        DynamicUpdateSliceOp,
        ExpOp,
        FloorOp,
        GatherOp,
        GetDimensionSizeOp,
        ImagOp,
        IotaOp,
        LogOp,
        MaxOp,
        MinOp,
        MultiplyOp,
        NegOp,
        NotOp,
        OrOp,
        PowerOp,
        RealDynamicSliceOp,
        RealOp,
        ReduceOp,
        RemainderOp,
        ReshapeOp,
        ReturnOp,
        ScatterOp,
        SelectOp,
        SignOp,
        SineOp,
        SliceOp,
        SqrtOp,
        SubtractOp,
        TransposeOp,
        XorOp,
    ],
    [
        ComparisonDirectionAttr,
        ComparisonTypeAttr,
        GatherDimensionNumbers,
        ScatterDimensionNumbers,
    ],
)
