"""The branches and how they are joined: `branch.emit`, `branch.sum_rows`, `branch.concat`
and `branch.stack`.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import DYNAMIC_INDEX as DYN
from xdsl.dialects.builtin import StringAttr, TensorType, i1
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from symir.dialects.branch.states import _state_of
from symir.dialects.branch.types import (
    StateType,
    _elem,
    _input_sites,
    _rows_of,
    _same_rows,
    values_type,
)
from symir.dialects.types import c64


@irdl_op_definition
class EmitOp(IRDLOperation):
    """The branches of one emission, with the runtime contract applied: where `mask` is
    false or the state invalid, `xp = x` and `mel = 0`; `mel` is cast to `dtype`.

    ```mlir
    %xp, %mel = branch.emit %x, %s, %amp, %mask {term = "hop"} : tensor<?x4xi8>, !branch.state<3x4xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x4xi8>, tensor<?x3xf64>
    ```
    """

    name = "branch.emit"

    x = operand_def(TensorType)
    state = operand_def(StateType)
    amplitude = operand_def(TensorType)
    mask = operand_def(TensorType)
    term = prop_def(StringAttr)
    tag = opt_prop_def(StringAttr)
    xp = result_def(TensorType)
    mel = result_def(TensorType)

    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = (
        "$x `,` $state `,` $amplitude `,` $mask attr-dict `:` type($x) `,` type($state) `,` "
        "type($amplitude) `,` type($mask) `->` type($xp) `,` type($mel)"
    )

    def __init__(
        self,
        x: SSAValue,
        state: SSAValue,
        amplitude: SSAValue,
        mask: SSAValue,
        dtype: Attribute,
        term: str,
        tag: str | None = None,
    ):
        s = state.type
        assert isinstance(s, StateType) and isinstance(x.type, TensorType)
        m, n = s.rows.data, s.sites.data
        props: dict[str, Attribute] = {"term": StringAttr(term)}
        if tag is not None:
            props["tag"] = StringAttr(tag)
        super().__init__(
            operands=[x, state, amplitude, mask],
            properties=props,
            result_types=[
                TensorType(x.type.element_type, [DYN, m, n]),
                values_type(m, dtype),
            ],
        )

    def verify_(self):
        s = _state_of(self, self.state)
        m, n = s.rows.data, s.sites.data
        if _input_sites(self, self.x.type) != n:
            raise VerifyException("'branch.emit' state and input have different site counts")
        if _rows_of(self, self.amplitude.type, "amplitude") != m:
            raise VerifyException("'branch.emit' amplitude rows differ from the state's")
        if self.mask.type != values_type(m, i1):
            raise VerifyException(f"'branch.emit' mask must be {values_type(m, i1)}")
        if self.xp.type != TensorType(s.element_type, [DYN, m, n]):
            raise VerifyException("'branch.emit' xp must be tensor<?xMxNxT> of the state")
        if _rows_of(self, self.mel.type, "mel") != m:
            raise VerifyException("'branch.emit' mel rows differ from the state's")
        if _elem(self.amplitude.type) == c64 and _elem(self.mel.type) != c64:
            raise VerifyException("'branch.emit' cannot cast a complex amplitude to a real mel")


@irdl_op_definition
class SumRowsOp(IRDLOperation):
    """Sums the rows: `tensor<?xMxT> -> tensor<?x1xT>` (used by diagonal coalescing).

    ```mlir
    %d = branch.sum_rows %mel : tensor<?x4xf64> -> tensor<?x1xf64>
    ```
    """

    name = "branch.sum_rows"

    input = operand_def(TensorType)
    result = result_def(TensorType)

    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, value: SSAValue):
        super().__init__(operands=[value], result_types=[values_type(1, _elem(value.type))])

    def verify_(self):
        _rows_of(self, self.input.type, "input")
        if self.result.type != values_type(1, _elem(self.input.type)):
            raise VerifyException("'branch.sum_rows' result must be tensor<?x1xT>")


@irdl_op_definition
class ConcatOp(IRDLOperation):
    """Joins branches along the row axis (dimension 1).

    ```mlir
    %all = branch.concat %a, %b : tensor<?x1xf64>, tensor<?x4xf64> -> tensor<?x5xf64>
    ```
    """

    name = "branch.concat"

    inputs = var_operand_def(TensorType)
    result = result_def(TensorType)

    traits = traits_def(Pure())
    assembly_format = "$inputs attr-dict `:` type($inputs) `->` type($result)"

    def __init__(self, inputs: Sequence[SSAValue]):
        first = inputs[0].type
        assert isinstance(first, TensorType)
        shape = list(first.get_shape())
        shape[1] = sum(v.type.get_shape()[1] for v in inputs)  # type: ignore[union-attr]
        super().__init__(
            operands=[list(inputs)], result_types=[TensorType(first.element_type, shape)]
        )

    def verify_(self):
        if not self.inputs:
            raise VerifyException("'branch.concat' needs at least one input")
        shapes = [v.type.get_shape() for v in self.inputs]  # type: ignore[union-attr]
        elems = {v.type.element_type for v in self.inputs}  # type: ignore[union-attr]
        rest = {(s[0], *s[2:]) for s in shapes}
        if len(elems) != 1 or len(rest) != 1:
            raise VerifyException("'branch.concat' inputs must agree except in dimension 1")
        expected = list(shapes[0])
        expected[1] = sum(s[1] for s in shapes)
        if self.result.type != TensorType(elems.pop(), expected):
            dims = "x".join("?" if d == DYN else str(d) for d in expected)
            raise VerifyException(f"'branch.concat' result must have shape {dims}")


@irdl_op_definition
class StackOp(IRDLOperation):
    """Joins K values of each row along a new last axis: K `tensor<?xMxT>` ->
    `tensor<?xMxKxT>` (the K entries of a connection delta, `branch-return-deltas`).

    ```mlir
    %s = branch.stack %a, %b : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3x2xi64>
    ```
    """

    name = "branch.stack"

    inputs = var_operand_def(TensorType)
    result = result_def(TensorType)

    traits = traits_def(Pure())
    assembly_format = "$inputs attr-dict `:` type($inputs) `->` type($result)"

    def __init__(self, inputs: Sequence[SSAValue]):
        first = inputs[0].type
        assert isinstance(first, TensorType)
        rows = first.get_shape()[1]
        super().__init__(
            operands=[list(inputs)],
            result_types=[TensorType(first.element_type, [DYN, rows, len(inputs)])],
        )

    def verify_(self):
        if not self.inputs:
            raise VerifyException("'branch.stack' needs at least one input")
        rows = _same_rows(self, self.inputs)
        elems = {_elem(v.type) for v in self.inputs}
        if len(elems) != 1:
            raise VerifyException("'branch.stack' inputs must have one element type")
        expected = TensorType(elems.pop(), [DYN, rows, len(self.inputs)])
        if self.result.type != expected:
            raise VerifyException(
                f"'branch.stack' result must be {expected}, got {self.result.type}"
            )
