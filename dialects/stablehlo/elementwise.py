"""Elementwise ops: binary and unary arithmetic, logic, complex parts, ``convert``,
``compare`` and ``select``. All print in their upstream pretty form."""

from __future__ import annotations

from typing import ClassVar

from xdsl.dialects.builtin import AnyFloat, ComplexType, IntegerType, TensorType, i1
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    VarConstraint,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from .attributes import (
    ComparisonDirection,
    ComparisonDirectionAttr,
    ComparisonType,
    ComparisonTypeAttr,
)
from .base import TensorConstr, tensor_of

# ------------------------------------------------------------------------------------
# Op bases
# ------------------------------------------------------------------------------------


class ElementwiseBinaryOp(IRDLOperation):
    """Base of ``%r = stablehlo.<op> %lhs, %rhs : tensor<...>`` (same operand/result types)."""

    T: ClassVar = VarConstraint("T", TensorConstr)

    lhs = operand_def(T)
    rhs = operand_def(T)
    result = result_def(T)

    traits = traits_def(Pure())

    assembly_format = "$lhs `,` $rhs attr-dict `:` type($result)"

    def __init__(self, lhs: SSAValue, rhs: SSAValue, result_type: Attribute | None = None):
        super().__init__(operands=[lhs, rhs], result_types=[result_type or lhs.type])


class ElementwiseUnaryOp(IRDLOperation):
    """Base of ``%r = stablehlo.<op> %operand : tensor<...>`` (same operand/result type)."""

    T: ClassVar = VarConstraint("T", TensorConstr)

    operand = operand_def(T)
    result = result_def(T)

    traits = traits_def(Pure())

    assembly_format = "$operand attr-dict `:` type($result)"

    def __init__(self, operand: SSAValue, result_type: Attribute | None = None):
        super().__init__(operands=[operand], result_types=[result_type or operand.type])


class _ConvertingUnaryOp(IRDLOperation):
    """Base of unary ops whose result element type may differ from the operand's:
    ``%r = stablehlo.<op> %operand : (tensor<4xcomplex<f32>>) -> tensor<4xf32>``."""

    operand = operand_def(TensorConstr)
    result = result_def(TensorConstr)

    traits = traits_def(Pure())

    assembly_format = "$operand attr-dict `:` functional-type(operands, results)"

    def __init__(self, operand: SSAValue, result_type: Attribute | None = None):
        if result_type is None:
            result_type = self.infer_result_type(tensor_of(operand))
        super().__init__(operands=[operand], result_types=[result_type])

    @classmethod
    def infer_result_type(cls, operand: TensorType) -> TensorType:
        raise VerifyException(f"{cls.name} needs an explicit result type")

    def verify_(self) -> None:
        op_t, res_t = tensor_of(self.operand), tensor_of(self.result)
        if op_t.get_shape() != res_t.get_shape():
            raise VerifyException(
                f"'{self.name}' operand and result shapes differ: {op_t} vs {res_t}"
            )


def _real_of(typ: TensorType) -> TensorType:
    el = typ.get_element_type()
    if isinstance(el, ComplexType):
        el = el.element_type
    return TensorType(el, typ.get_shape())


class _RealPartOp(_ConvertingUnaryOp):
    """Base of unary ops whose result is real: the operand's element type, or the element
    type of its complex parts."""

    @classmethod
    def infer_result_type(cls, operand: TensorType) -> TensorType:
        return _real_of(operand)

    def verify_(self) -> None:
        super().verify_()
        expected = _real_of(tensor_of(self.operand)).get_element_type()
        got = tensor_of(self.result).get_element_type()
        if got != expected:
            raise VerifyException(
                f"'{self.name}' result element type must be {expected}, got {got}"
            )


# ------------------------------------------------------------------------------------
# Binary ops
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
class MaximumOp(ElementwiseBinaryOp):
    """Elementwise maximum.

    ```mlir
    %r = stablehlo.maximum %a, %b : tensor<4xi8>
    ```
    """

    name = "stablehlo.maximum"


@irdl_op_definition
class MinimumOp(ElementwiseBinaryOp):
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
class ComplexOp(IRDLOperation):
    """Builds complex numbers from real and imaginary parts.

    ```mlir
    %r = stablehlo.complex %re, %im : (tensor<4xf64>, tensor<4xf64>) -> tensor<4xcomplex<f64>>
    ```
    """

    name = "stablehlo.complex"

    T: ClassVar = VarConstraint("T", TensorConstr)

    lhs = operand_def(T)
    rhs = operand_def(T)
    result = result_def(TensorConstr)

    traits = traits_def(Pure())

    assembly_format = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)"

    def __init__(self, lhs: SSAValue, rhs: SSAValue, result_type: Attribute | None = None):
        if result_type is None:
            t = tensor_of(lhs)
            result_type = TensorType(ComplexType(t.get_element_type()), t.get_shape())
        super().__init__(operands=[lhs, rhs], result_types=[result_type])

    def verify_(self) -> None:
        lhs_t, res_t = tensor_of(self.lhs), tensor_of(self.result)
        expected = TensorType(ComplexType(lhs_t.get_element_type()), lhs_t.get_shape())
        if res_t != expected:
            raise VerifyException(
                f"'stablehlo.complex' result type must be {expected}, got {res_t}"
            )


# ------------------------------------------------------------------------------------
# Unary ops
# ------------------------------------------------------------------------------------


@irdl_op_definition
class NegateOp(ElementwiseUnaryOp):
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
class ExponentialOp(ElementwiseUnaryOp):
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
class FloorOp(ElementwiseUnaryOp):
    """Elementwise floor of floating-point values (StableHLO has no integer floor).

    ```mlir
    %r = stablehlo.floor %a : tensor<4xf64>
    ```
    """

    name = "stablehlo.floor"

    def verify_(self) -> None:
        if not isinstance(tensor_of(self.operand).get_element_type(), AnyFloat):
            raise VerifyException(
                f"'stablehlo.floor' operand must be a tensor of floats, got {self.operand.type}"
            )


@irdl_op_definition
class NotOp(ElementwiseUnaryOp):
    """Elementwise logical (i1) or bitwise (integers) not.

    ```mlir
    %r = stablehlo.not %a : tensor<4xi1>
    ```
    """

    name = "stablehlo.not"


@irdl_op_definition
class PopcntOp(ElementwiseUnaryOp):
    """Elementwise number of bits set in integers.

    ```mlir
    %r = stablehlo.popcnt %a : tensor<4xi32>
    ```
    """

    name = "stablehlo.popcnt"

    def verify_(self) -> None:
        el = tensor_of(self.operand).get_element_type()
        if not isinstance(el, IntegerType) or el.width.data == 1:
            raise VerifyException(
                f"'stablehlo.popcnt' operand must be a tensor of integers, got {self.operand.type}"
            )


@irdl_op_definition
class AbsOp(_RealPartOp):
    """Elementwise absolute value; the modulus (a real tensor) for complex operands.

    ```mlir
    %r = stablehlo.abs %a : (tensor<4xcomplex<f64>>) -> tensor<4xf64>
    ```
    """

    name = "stablehlo.abs"


@irdl_op_definition
class RealOp(_RealPartOp):
    """Real part (identity for real operands).

    ```mlir
    %r = stablehlo.real %a : (tensor<4xcomplex<f64>>) -> tensor<4xf64>
    ```
    """

    name = "stablehlo.real"


@irdl_op_definition
class ImagOp(_RealPartOp):
    """Imaginary part (zero for real operands).

    ```mlir
    %r = stablehlo.imag %a : (tensor<4xcomplex<f64>>) -> tensor<4xf64>
    ```
    """

    name = "stablehlo.imag"


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
            element_type = TensorType(element_type, tensor_of(operand).get_shape())
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

    T: ClassVar = VarConstraint("T", TensorConstr)

    lhs = operand_def(T)
    rhs = operand_def(T)
    result = result_def(TensorConstr)

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
        t = tensor_of(lhs)
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
        lhs_t, res_t = tensor_of(self.lhs), tensor_of(self.result)
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

    T: ClassVar = VarConstraint("T", TensorConstr)

    pred = operand_def(TensorConstr)
    on_true = operand_def(T)
    on_false = operand_def(T)
    result = result_def(T)

    traits = traits_def(Pure())

    assembly_format = "$pred `,` $on_true `,` $on_false attr-dict `:` type($pred) `,` type($result)"

    def __init__(self, pred: SSAValue, on_true: SSAValue, on_false: SSAValue):
        super().__init__(operands=[pred, on_true, on_false], result_types=[on_true.type])

    def verify_(self) -> None:
        p, r = tensor_of(self.pred), tensor_of(self.result)
        if p.get_element_type() != i1:
            raise VerifyException(f"'stablehlo.select' predicate must have i1 elements, got {p}")
        if p.get_shape() != () and p.get_shape() != r.get_shape():
            raise VerifyException(
                f"'stablehlo.select' predicate shape {p.get_shape()} must be scalar or "
                f"equal to the operand shape {r.get_shape()}"
            )
