"""Ops that read parts of a tensor: ``real_dynamic_slice``, ``gather`` and ``dynamic_gather``."""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import I64, BoolAttr, DenseArrayBase, IntegerAttr, i1
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from .attributes import GatherDimensionNumbers
from .base import TensorConstr, i64_array, tensor_of


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

    operand = operand_def(TensorConstr)
    start_indices = operand_def(TensorConstr)
    limit_indices = operand_def(TensorConstr)
    strides = operand_def(TensorConstr)
    result = result_def(TensorConstr)

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
        op_t, res_t = tensor_of(self.operand), tensor_of(self.result)
        rank = op_t.get_num_dims()
        if op_t.get_element_type() != res_t.get_element_type() or res_t.get_num_dims() != rank:
            raise VerifyException(
                f"'stablehlo.real_dynamic_slice' result {res_t} does not match operand {op_t}"
            )
        for n in ("start_indices", "limit_indices", "strides"):
            t = tensor_of(getattr(self, n))
            if t.get_shape() != (rank,):
                raise VerifyException(
                    f"'stablehlo.real_dynamic_slice' {n} must be a tensor<{rank}x...>, got {t}"
                )


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

    operand = operand_def(TensorConstr)
    start_indices = operand_def(TensorConstr)
    dimension_numbers = prop_def(GatherDimensionNumbers)
    slice_sizes = prop_def(DenseArrayBase[I64])
    indices_are_sorted = opt_prop_def(BoolAttr)
    result = result_def(TensorConstr)

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
                "slice_sizes": i64_array(slice_sizes),
                "indices_are_sorted": IntegerAttr(int(indices_are_sorted), i1),
            },
            result_types=[result_type],
        )

    def verify_(self) -> None:
        op_t = tensor_of(self.operand)
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
class DynamicGatherOp(IRDLOperation):
    """``gather`` whose slice sizes are a 1-D integer tensor (one entry per operand
    dimension), so that a slice can span a dynamic dimension whole: ``x[:, cols]`` for
    static ``cols`` on a symbolic batch, without batching dimensions. With constant sizes,
    shape refinement turns it into a ``gather``.

    ```mlir
    %r = "stablehlo.dynamic_gather"(%x, %idx, %sizes) <{dimension_numbers =
           #stablehlo.gather<offset_dims = [0], collapsed_slice_dims = [1],
           start_index_map = [1], index_vector_dim = 1>, indices_are_sorted = false}>
           : (tensor<?x16xi8>, tensor<3x1xi64>, tensor<2xi64>) -> tensor<?x3xi8>
    ```
    """

    name = "stablehlo.dynamic_gather"

    operand = operand_def(TensorConstr)
    start_indices = operand_def(TensorConstr)
    slice_sizes = operand_def(TensorConstr)
    dimension_numbers = prop_def(GatherDimensionNumbers)
    indices_are_sorted = opt_prop_def(BoolAttr)
    result = result_def(TensorConstr)

    traits = traits_def(Pure())

    def __init__(
        self,
        operand: SSAValue,
        start_indices: SSAValue,
        slice_sizes: SSAValue,
        dimension_numbers: GatherDimensionNumbers,
        result_type: Attribute,
        indices_are_sorted: bool = False,
    ):
        super().__init__(
            operands=[operand, start_indices, slice_sizes],
            properties={
                "dimension_numbers": dimension_numbers,
                "indices_are_sorted": IntegerAttr(int(indices_are_sorted), i1),
            },
            result_types=[result_type],
        )

    def verify_(self) -> None:
        rank = tensor_of(self.operand).get_num_dims()
        sizes = tensor_of(self.slice_sizes)
        if sizes.get_shape() != (rank,):
            raise VerifyException(
                f"'stablehlo.dynamic_gather' slice_sizes must be a tensor<{rank}x...>, got {sizes}"
            )
        if tensor_of(self.result).get_element_type() != tensor_of(self.operand).get_element_type():
            raise VerifyException(
                "'stablehlo.dynamic_gather' result element type differs from the operand's"
            )
