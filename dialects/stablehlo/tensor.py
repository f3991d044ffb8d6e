"""Ops that make tensors and change their shape: ``constant``, ``get_dimension_size``,
``reshape``, ``concatenate`` and ``dynamic_broadcast_in_dim``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import (
    I64,
    BytesAttr,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    IntegerAttr,
    IntegerType,
    TensorType,
    i32,
    i64,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from symir.dialects.types import element_type

from . import hex_float
from .base import BATCH, DYNAMIC, TensorConstr, dim_text, i64_array, known_entries, tensor_of


def element_type_of_dtype(dtype: np.dtype | str | type) -> Attribute:
    """The MLIR element type of a numpy dtype (bool -> i1, int8 -> i8, complex128 ->
    complex<f64>, ...): `symir.dialects.types.element_type`."""
    return element_type(dtype)


@irdl_op_definition
class ConstantOp(IRDLOperation):
    """A dense constant.

    ```mlir
    %c = stablehlo.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf64>
    %z = stablehlo.constant dense<(0.000000e+00,1.000000e+00)> : tensor<complex<f64>>
    ```

    The custom form is written by hand rather than as an ``assembly_format``: the result
    type is the type of ``value``, which a declarative format cannot infer, and values
    holding inf/nan go through the ``hex_float`` workaround.
    """

    name = "stablehlo.constant"

    value = prop_def(DenseIntOrFPElementsAttr)
    output = result_def(TensorConstr)

    traits = traits_def(Pure())

    def __init__(self, value: DenseIntOrFPElementsAttr):
        super().__init__(properties={"value": value}, result_types=[value.type])

    @staticmethod
    def from_array(array: np.ndarray | complex | float | int | bool, dtype=None) -> ConstantOp:
        """A constant holding ``np.asarray(array, dtype)`` (any rank, complex included).

        The attribute's bytes are written by numpy in the layout xDSL's ``from_list``
        packs (little-endian; ``i1`` true as all ones, xDSL's normalised signless
        value), without a Python call per element."""
        arr = np.asarray(array, dtype=dtype)
        typ = TensorType(element_type_of_dtype(arr.dtype), arr.shape)
        if arr.dtype == np.bool_:
            arr = -arr.astype(np.int8)  # true -> -1: xDSL's normalised i1
        data = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<"), copy=False)
        return ConstantOp(DenseIntOrFPElementsAttr(typ, BytesAttr(data.tobytes())))

    def verify_(self) -> None:
        if self.value.type != self.output.type:
            raise VerifyException(
                f"'stablehlo.constant' result type {self.output.type} differs from the "
                f"value type {self.value.type}"
            )

    def print(self, printer: Printer) -> None:
        printer.print_op_attributes(self.attributes)
        printer.print_string(" ")
        hex_float.print_dense(printer, self.value)

    @classmethod
    def parse(cls, parser: Parser) -> ConstantOp:
        attrs = parser.parse_optional_attr_dict()
        value = hex_float.parse_dense(parser) or parser.parse_attribute()
        if not isinstance(value, DenseIntOrFPElementsAttr):
            parser.raise_error(f"expected a dense elements attribute, got {value}")
        op = cls(value)
        op.attributes.update(attrs)
        return op


@irdl_op_definition
class GetDimensionSizeOp(IRDLOperation):
    """The size of one dimension as a ``tensor<i32>``.

    ```mlir
    %n = "stablehlo.get_dimension_size"(%x) <{dimension = 0 : i64}>
           : (tensor<?x16xi8>) -> tensor<i32>
    ```
    """

    name = "stablehlo.get_dimension_size"

    operand = operand_def(TensorConstr)
    dimension = prop_def(IntegerAttr[I64])
    result = result_def(TensorConstr)

    traits = traits_def(Pure())

    def __init__(self, operand: SSAValue, dimension: int):
        super().__init__(
            operands=[operand],
            properties={"dimension": IntegerAttr(dimension, i64)},
            result_types=[TensorType(i32, ())],
        )

    def verify_(self) -> None:
        rank = tensor_of(self.operand).get_num_dims()
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

    operand = operand_def(TensorConstr)
    result = result_def(TensorConstr)

    traits = traits_def(Pure())

    assembly_format = "$operand attr-dict `:` functional-type(operands, results)"

    def __init__(self, operand: SSAValue, result_type: Attribute):
        super().__init__(operands=[operand], result_types=[result_type])

    def verify_(self) -> None:
        op_t, res_t = tensor_of(self.operand), tensor_of(self.result)
        if op_t.get_element_type() != res_t.get_element_type():
            raise VerifyException(f"'stablehlo.reshape' element types differ: {op_t} vs {res_t}")
        if DYNAMIC not in op_t.get_shape() and DYNAMIC not in res_t.get_shape():
            if op_t.element_count() != res_t.element_count():
                raise VerifyException(
                    f"'stablehlo.reshape' element counts differ: {op_t} vs {res_t}"
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

    inputs = var_operand_def(TensorConstr)
    dimension = prop_def(IntegerAttr[I64])
    result = result_def(TensorConstr)

    traits = traits_def(Pure())

    def __init__(self, inputs: Sequence[SSAValue], dimension: int):
        types = [tensor_of(v) for v in inputs]
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
        types = [tensor_of(v) for v in self.inputs]
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
        self._verify_shapes(d, types, tensor_of(self.result))

    def _verify_shapes(self, d: int, types: list[TensorType], result: TensorType) -> None:
        """spec.md#concatenate (C1), (C6): equal sizes but along ``dimension``, where the
        result's is their sum; a dynamic dimension is the batch size (``base.BATCH``), so
        concatenating along one is refused."""
        shapes = [t.get_shape() for t in types]
        for shape in shapes:
            if shape[d] == DYNAMIC:
                raise VerifyException(
                    f"'stablehlo.concatenate' along dimension {d}, which is dynamic (the "
                    f"batch size) in {types[shapes.index(shape)]}"
                )
        expected = list(shapes[0])
        expected[d] = sum(s[d] for s in shapes)
        for shape in shapes:
            if any(a != b for k, (a, b) in enumerate(zip(shape, expected)) if k != d):
                raise VerifyException(
                    f"'stablehlo.concatenate' inputs differ outside dimension {d}: {types}"
                )
        if result != TensorType(types[0].get_element_type(), expected):
            raise VerifyException(
                f"'stablehlo.concatenate' result {result} does not match the inferred type "
                f"{TensorType(types[0].get_element_type(), expected)}"
            )


@irdl_op_definition
class DynamicBroadcastInDimOp(IRDLOperation):
    """Broadcast to a shape given at run time by a 1-D integer tensor; operand dimension
    ``i`` maps to result dimension ``broadcast_dimensions[i]``.

    ```mlir
    %r = "stablehlo.dynamic_broadcast_in_dim"(%a, %shape)
           <{broadcast_dimensions = array<i64: 1>}> : (tensor<4xf64>, tensor<2xi64>)
           -> tensor<?x4xf64>
    ```
    """

    name = "stablehlo.dynamic_broadcast_in_dim"

    operand = operand_def(TensorConstr)
    output_dimensions = operand_def(TensorConstr)
    broadcast_dimensions = prop_def(DenseArrayBase[I64])
    known_expanding_dimensions = opt_prop_def(DenseArrayBase[I64])
    known_nonexpanding_dimensions = opt_prop_def(DenseArrayBase[I64])
    result = result_def(TensorConstr)

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
            properties={"broadcast_dimensions": i64_array(broadcast_dimensions)},
            result_types=[result_type],
        )

    def verify_(self) -> None:
        op_t, res_t = tensor_of(self.operand), tensor_of(self.result)
        if op_t.get_element_type() != res_t.get_element_type():
            raise VerifyException(
                f"'stablehlo.dynamic_broadcast_in_dim' element types differ: {op_t} vs {res_t}"
            )
        dims = self.broadcast_dimensions.get_values()
        if len(dims) != op_t.get_num_dims():
            raise VerifyException(
                f"'{self.name}' broadcast_dimensions has {len(dims)} entries, operand rank is "
                f"{op_t.get_num_dims()}"
            )
        if len(set(dims)) != len(dims):
            raise VerifyException(f"'{self.name}' broadcast_dimensions {list(dims)} has duplicates")
        for i, (d, size) in enumerate(zip(dims, op_t.get_shape())):
            _check_broadcast_dim(i, size, d, res_t.get_shape())
        self._verify_output_dimensions(dims, op_t.get_shape(), res_t.get_shape())

    def _verify_output_dimensions(self, dims, operand_shape, result_shape) -> None:
        """``output_dimensions`` gives the result shape: one integer per result dimension,
        and those known before it runs (what shape refinement sees) equal the result's
        static sizes and can be broadcast to from the operand's."""
        out_t = tensor_of(self.output_dimensions)
        rank = len(result_shape)
        if out_t.get_shape() != (rank,) or not isinstance(out_t.get_element_type(), IntegerType):
            raise VerifyException(
                f"'{self.name}' output_dimensions must be a tensor<{rank}xiK>, got {out_t}"
            )
        known = known_entries(self.output_dimensions) or [None] * rank
        for d, (k, size) in enumerate(zip(known, result_shape)):
            if k is not None and k != (BATCH if size == DYNAMIC else size):
                raise VerifyException(
                    f"'{self.name}' output dimension {d} is {k}, but the result is "
                    f"{tensor_of(self.result)} (a dynamic dimension is the batch size)"
                )


def _check_broadcast_dim(i: int, size: int, d: int, result_shape: Sequence[int]) -> None:
    """Operand dimension ``i`` of ``size`` can broadcast to result dimension ``d``."""
    name = DynamicBroadcastInDimOp.name
    if not 0 <= d < len(result_shape):
        raise VerifyException(
            f"'{name}' broadcast dimension {d} out of range for result rank {len(result_shape)}"
        )
    if size not in (1, result_shape[d]):  # a dynamic one is the batch size (base.BATCH)
        raise VerifyException(
            f"'{name}' operand dimension {i} of size {dim_text(size)} cannot broadcast to "
            f"result dimension {d} of size {dim_text(result_shape[d])}"
        )


@irdl_op_definition
class IotaOp(IRDLOperation):
    """A static tensor counting 0, 1, 2, ... along ``iota_dimension``.

    ```mlir
    %r = "stablehlo.iota"() <{iota_dimension = 1 : i64}> : () -> tensor<3x4xi64>
    ```
    """

    name = "stablehlo.iota"

    iota_dimension = prop_def(IntegerAttr[I64])
    output = result_def(TensorConstr)

    traits = traits_def(Pure())

    def __init__(self, iota_dimension: int, result_type: Attribute):
        super().__init__(
            properties={"iota_dimension": IntegerAttr(iota_dimension, i64)},
            result_types=[result_type],
        )

    def verify_(self) -> None:
        t = tensor_of(self.output)
        d = self.iota_dimension.value.data
        if not 0 <= d < t.get_num_dims():
            raise VerifyException(
                f"'stablehlo.iota' iota_dimension {d} out of range for rank {t.get_num_dims()}"
            )
        if DYNAMIC in t.get_shape():
            raise VerifyException(f"'stablehlo.iota' result must have a static shape, got {t}")
