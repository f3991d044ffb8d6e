"""``reduce`` and ``return``, the terminator of its body, with a builder of scalar bodies."""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import I64, DenseArrayBase, TensorType
from xdsl.ir import Attribute, Block, Region, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    SameVariadicOperandSize,
    irdl_op_definition,
    prop_def,
    region_def,
    traits_def,
    var_operand_def,
    var_result_def,
)
from xdsl.traits import IsTerminator, Pure
from xdsl.utils.exceptions import VerifyException

from .base import TensorConstr, i64_array, tensor_of
from .elementwise import ElementwiseBinaryOp


@irdl_op_definition
class ReturnOp(IRDLOperation):
    """Terminator of ``reduce`` bodies.

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


def scalar_body(element_types: Sequence[Attribute], combine: type[ElementwiseBinaryOp]) -> Region:
    """The body ``^bb0(%a: tensor<T>, %b: tensor<T>): stablehlo.return combine(%a, %b)``
    of a ``reduce`` with one input."""
    (el,) = element_types
    t = TensorType(el, ())
    block = Block(arg_types=[t, t])
    op = combine(block.args[0], block.args[1])
    block.add_ops([op, ReturnOp(op.result)])
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

    inputs = var_operand_def(TensorConstr)
    init_values = var_operand_def(TensorConstr)
    dimensions = prop_def(DenseArrayBase[I64])
    body = region_def("single_block")
    results_ = var_result_def(TensorConstr)

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
            t = tensor_of(v)
            shape = [s for i, s in enumerate(t.get_shape()) if i not in dimensions]
            result_types.append(TensorType(t.get_element_type(), shape))
        super().__init__(
            operands=[list(inputs), list(init_values)],
            properties={"dimensions": i64_array(dimensions)},
            regions=[body],
            result_types=[result_types],
        )

    def verify_(self) -> None:
        if len(self.inputs) != len(self.init_values):
            raise VerifyException(
                "'stablehlo.reduce' needs as many init_values as inputs, got "
                f"{len(self.inputs)} and {len(self.init_values)}"
            )
        rank = tensor_of(self.inputs[0]).get_num_dims() if self.inputs else 0
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
