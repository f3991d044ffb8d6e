"""``dot_general``: a contraction of two tensors (a matrix product with batching)."""

from __future__ import annotations

from xdsl.dialects.builtin import TensorType
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    operand_def,
    prop_def,
    result_def,
    traits_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from .attributes import DotDimensionNumbers
from .base import DYNAMIC, TensorConstr, dim_text, tensor_of


def dot_general_shape(
    lhs: TensorType, rhs: TensorType, dims: DotDimensionNumbers
) -> tuple[int, ...]:
    """Upstream's result shape: the batching dimensions, then the free dimensions of
    ``lhs``, then those of ``rhs``."""
    lb, rb = dims.get("lhs_batching_dimensions"), dims.get("rhs_batching_dimensions")
    lc, rc = dims.get("lhs_contracting_dimensions"), dims.get("rhs_contracting_dimensions")
    ls, rs = lhs.get_shape(), rhs.get_shape()
    free_l = [s for i, s in enumerate(ls) if i not in lb and i not in lc]
    free_r = [s for i, s in enumerate(rs) if i not in rb and i not in rc]
    return tuple([ls[i] for i in lb] + free_l + free_r)


@irdl_op_definition
class DotGeneralOp(IRDLOperation):
    """Contracts ``lhs`` and ``rhs`` over the contracting dimensions, batched over the
    batching dimensions; the result holds the batching dimensions, then the remaining
    dimensions of ``lhs``, then those of ``rhs``.

    ```mlir
    %r = "stablehlo.dot_general"(%a, %b) <{dot_dimension_numbers =
           #stablehlo.dot<lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [0]>}>
           : (tensor<?x4xf64>, tensor<4x4xf64>) -> tensor<?x4xf64>
    ```
    """

    name = "stablehlo.dot_general"

    lhs = operand_def(TensorConstr)
    rhs = operand_def(TensorConstr)
    dot_dimension_numbers = prop_def(DotDimensionNumbers)
    result = result_def(TensorConstr)

    traits = traits_def(Pure())

    def __init__(
        self,
        lhs: SSAValue,
        rhs: SSAValue,
        dims: DotDimensionNumbers,
        result_type: Attribute | None = None,
    ):
        if result_type is None:
            lt, rt = tensor_of(lhs), tensor_of(rhs)
            result_type = TensorType(lt.get_element_type(), dot_general_shape(lt, rt, dims))
        super().__init__(
            operands=[lhs, rhs],
            properties={"dot_dimension_numbers": dims},
            result_types=[result_type],
        )

    def verify_(self) -> None:
        lt, rt, res = tensor_of(self.lhs), tensor_of(self.rhs), tensor_of(self.result)
        dims = self.dot_dimension_numbers
        for side, t in (("lhs", lt), ("rhs", rt)):
            for kind in ("batching", "contracting"):
                for d in dims.get(f"{side}_{kind}_dimensions"):
                    if not 0 <= d < t.get_num_dims():
                        raise VerifyException(
                            f"'stablehlo.dot_general' {side} {kind} dimension {d} out of range "
                            f"for rank {t.get_num_dims()}"
                        )
        for kind in ("batching", "contracting"):
            ld, rd = dims.get(f"lhs_{kind}_dimensions"), dims.get(f"rhs_{kind}_dimensions")
            if len(ld) != len(rd):
                raise VerifyException(
                    f"'stablehlo.dot_general' has {len(ld)} lhs and {len(rd)} rhs {kind} dimensions"
                )
            for a, b in zip(ld, rd):
                sa, sb = lt.get_shape()[a], rt.get_shape()[b]
                if DYNAMIC not in (sa, sb) and sa != sb:
                    raise VerifyException(
                        f"'stablehlo.dot_general' {kind} dimensions {a} and {b} differ in size "
                        f"({sa} vs {sb})"
                    )
        expected = dot_general_shape(lt, rt, dims)
        if len(expected) != res.get_num_dims() or any(
            DYNAMIC not in (e, g) and e != g for e, g in zip(expected, res.get_shape())
        ):
            shape = "x".join(dim_text(d) for d in expected)
            raise VerifyException(f"'stablehlo.dot_general' result must have shape {shape}")
