"""``reduce`` and ``return``, the terminator of its body, with builders of scalar bodies."""

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
    return pairwise_body([el], [combine])


def pairwise_body(
    element_types: Sequence[Attribute], combines: Sequence[type[ElementwiseBinaryOp]]
) -> Region:
    """The body of a ``reduce`` of ``n`` inputs that combines each input on its own: its
    ``2 n`` arguments the ``n`` accumulators then the ``n`` input elements, result ``i``
    ``combines[i](accumulator i, element i)``."""
    types = [TensorType(el, ()) for el in element_types]
    block = Block(arg_types=[*types, *types])
    n = len(types)
    ops = [combine(block.args[i], block.args[n + i]) for i, combine in enumerate(combines)]
    block.add_ops([*ops, ReturnOp(*(op.result for op in ops))])
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
        """The constraints (C1)-(C8) of ``reduce`` in the StableHLO specification
        (https://github.com/openxla/stablehlo/blob/main/docs/spec.md#reduce), which
        jaxlib's verifier checks; the body's element types must be the inputs' (the
        specification also allows promoted ones, which symir never emits)."""
        n = len(self.inputs)
        if n != len(self.init_values) or n != len(self.results_) or n == 0:  # (C3)
            raise VerifyException(
                "'stablehlo.reduce' needs as many init_values and results as inputs (at "
                f"least one), got {n} inputs, {len(self.init_values)} init_values and "
                f"{len(self.results_)} results"
            )
        shape = tensor_of(self.inputs[0]).get_shape()
        for v in self.inputs[1:]:  # (C1)
            if not _compatible(shape, tensor_of(v).get_shape()):
                raise VerifyException("'stablehlo.reduce' inputs have different shapes")
        elements = [tensor_of(v).get_element_type() for v in self.inputs]
        for v, el in zip(self.init_values, elements):  # (C2)
            if tensor_of(v) != TensorType(el, ()):
                raise VerifyException(
                    f"'stablehlo.reduce' init_value must be a tensor<{el}>, got {v.type}"
                )
        dims = self.dimensions.get_values()
        self._verify_dimensions(dims, len(shape))
        self._verify_body([TensorType(el, ()) for el in elements])
        kept = [s for i, s in enumerate(shape) if i not in dims]
        for r, el in zip(self.results_, elements):  # (C7), (C8)
            t = tensor_of(r)
            if t.get_element_type() != el or not _compatible(kept, t.get_shape()):
                raise VerifyException(
                    f"'stablehlo.reduce' result {t} does not match the inferred type "
                    f"{TensorType(el, kept)}"
                )

    def _verify_dimensions(self, dims: Sequence[int], rank: int) -> None:
        """(C4), (C5): dimensions in range, none twice."""
        for d in dims:
            if not 0 <= d < rank:
                raise VerifyException(
                    f"'stablehlo.reduce' dimension {d} out of range for rank {rank}"
                )
        if len(set(dims)) != len(dims):
            raise VerifyException(f"'stablehlo.reduce' dimensions {list(dims)} repeat")

    def _verify_body(self, scalars: list[TensorType]) -> None:
        """(C6): the body maps two scalars per input to one per input."""
        block = self.body.block
        if len(block.args) != 2 * len(scalars):
            raise VerifyException(
                f"'stablehlo.reduce' body must take {2 * len(scalars)} arguments, got "
                f"{len(block.args)}"
            )
        if list(block.arg_types) != scalars + scalars:
            types = ", ".join(str(t) for t in scalars + scalars)
            raise VerifyException(f"'stablehlo.reduce' body must take ({types})")
        last = block.last_op
        if not isinstance(last, ReturnOp) or [r.type for r in last.results_] != scalars:
            types = ", ".join(str(t) for t in scalars)
            raise VerifyException(f"'stablehlo.reduce' body must return ({types})")


def _compatible(a: Sequence[int], b: Sequence[int]) -> bool:
    """Equal shapes: a dynamic dimension is the batch size, equal to a dynamic one only
    (`base.BATCH`)."""
    return tuple(a) == tuple(b)
