"""The connected configurations being built: `branch.state`, `branch.write`,
`branch.state_read`, `branch.flip_sites`, `branch.invalidate`, `branch.select_state`, and the lowering
choices of `state`.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import (
    DenseArrayBase,
    IntegerAttr,
    StringAttr,
    TensorType,
    UnitAttr,
    i1,
    i64,
)
from xdsl.ir import Operation, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from symir.dialects import sym
from symir.dialects.branch.kernel import kernel_states
from symir.dialects.branch.types import StateType, _elem, _input_sites, _rows_of, values_type
from symir.dialects.branch.values import ConstantOp


def _state_of(op: Operation, v: SSAValue) -> StateType:
    if not isinstance(v.type, StateType):
        raise VerifyException(f"'{op.name}' expects a !branch.state, got {v.type}")
    return v.type


def _check_values_for_state(op: Operation, state: StateType, values: Sequence[SSAValue]):
    for v in values:
        rows = _rows_of(op, v.type, "operand")
        if rows != state.rows.data:
            raise VerifyException(
                f"'{op.name}' operand has {rows} rows but the state has {state.rows.data}"
            )
        if _elem(v.type) != i64:
            raise VerifyException(f"'{op.name}' sites and values must be i64, got {_elem(v.type)}")


@irdl_op_definition
class StateOp(IRDLOperation):
    """The initial connected configurations: `x` repeated for each of M rows, all valid.

    `lowering`, set by `branch-choose-lowering` (`STATE_LOWERINGS`), says how its rows
    become StableHLO (docs/cost-model.md): `concat` (absent: the writes compare a site
    iota, and each emission's `x'` is built alone and concatenated to the others'),
    `merged` (a write of static sites selects with a constant mask, and the `x'` of all
    the emissions a `branch.concat` joins are one select per write over all their rows)
    or `projected` (`merged`, the rows starting from `x` projected onto evenly spaced
    local states `s0, s0 + d, ..., s1`, `clamp(s0 + d floor((x - s0) / d), s0, s1)`: `x`
    itself on local states, in a form that XLA:CPU vectorises from fewer sites on).

    ```mlir
    %s = branch.state %x : tensor<?x4xi8> -> !branch.state<3x4xi8>
    %t = branch.state %x {lowering = "merged"} : tensor<?x4xi8> -> !branch.state<4x4xi8>
    ```
    """

    name = "branch.state"

    x = operand_def(TensorType)
    lowering = opt_prop_def(StringAttr)
    result = result_def(StateType)

    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$x attr-dict `:` type($x) `->` type($result)"

    def __init__(self, x: SSAValue, rows: int, lowering: str | None = None):
        assert isinstance(x.type, TensorType)
        n = x.type.get_shape()[1]
        props = {"lowering": StringAttr(lowering)} if lowering is not None else {}
        super().__init__(
            operands=[x],
            properties=props,
            result_types=[StateType(rows, n, x.type.element_type)],
        )

    def verify_(self):
        n = _input_sites(self, self.x.type)
        s = _state_of(self, self.result)
        if s.sites.data != n or s.element_type != _elem(self.x.type):
            raise VerifyException(f"'branch.state' result {s} does not match input {self.x.type}")
        if self.lowering is not None and self.lowering.data not in STATE_LOWERINGS:
            raise VerifyException(
                f"'branch.state' lowering must be one of {STATE_LOWERINGS}, "
                f"got {self.lowering.data!r}"
            )


STATE_LOWERINGS = ("concat", "merged", "projected")
"""The ways the rows of a `branch.state` can be lowered (`StateOp.lowering`)."""


@irdl_op_definition
class WriteOp(IRDLOperation):
    """`x'[b, m, sites[b, m] mod N] = values[b, m]`. `checked` says the value may not be a
    local state: then the branch is valid only if its final configuration (at
    `branch.emit`) is entirely made of local states.

    ```mlir
    %s1 = branch.write %s0, %i, %v {checked} : !branch.state<3x4xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x4xi8>
    ```
    """

    name = "branch.write"

    state = operand_def(StateType)
    sites = operand_def(TensorType)
    values = operand_def(TensorType)
    checked = opt_prop_def(UnitAttr)
    result = result_def(StateType)

    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = (
        "$state `,` $sites `,` $values attr-dict `:` type($state) `,` type($sites) `,` type($values) "
        "`->` type($result)"
    )

    def __init__(self, state: SSAValue, sites: SSAValue, values: SSAValue, checked: bool):
        props = {"checked": UnitAttr()} if checked else {}
        super().__init__(
            operands=[state, sites, values], properties=props, result_types=[state.type]
        )

    def verify_(self):
        s = _state_of(self, self.state)
        _check_values_for_state(self, s, (self.sites, self.values))
        if self.result.type != s:
            raise VerifyException("'branch.write' result must have the state's type")
        constant = self.values.owner
        states = kernel_states(self)
        if (
            self.checked is None
            and states is not None
            and isinstance(constant, ConstantOp)
            and isinstance(constant.value, IntegerAttr)
            and constant.value.value.data not in states
        ):
            raise VerifyException(
                f"'branch.write' writes {constant.value.value.data}, which is not a local "
                f"state {list(states)} (a write that may leave them is {{checked}})"
            )


@irdl_op_definition
class StateReadOp(IRDLOperation):
    """Reads the connected configuration: `x'[b, m, sites[b, m] mod N]`.

    ```mlir
    %v = branch.state_read %s, %i : !branch.state<3x4xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
    ```
    """

    name = "branch.state_read"

    state = operand_def(StateType)
    sites = operand_def(TensorType)
    result = result_def(TensorType)

    traits = traits_def(Pure())
    assembly_format = (
        "$state `,` $sites attr-dict `:` type($state) `,` type($sites) `->` type($result)"
    )

    def __init__(self, state: SSAValue, sites: SSAValue):
        s = state.type
        assert isinstance(s, StateType)
        super().__init__(operands=[state, sites], result_types=[values_type(s.rows.data, i64)])

    def verify_(self):
        s = _state_of(self, self.state)
        _check_values_for_state(self, s, (self.sites,))


@irdl_op_definition
class InvalidateOp(IRDLOperation):
    """Marks every branch of the state invalid.

    ```mlir
    %s1 = branch.invalidate %s0 : !branch.state<3x4xi8> -> !branch.state<3x4xi8>
    ```
    """

    name = "branch.invalidate"

    state = operand_def(StateType)
    result = result_def(StateType)

    traits = traits_def(Pure())
    assembly_format = "$state attr-dict `:` type($state) `->` type($result)"

    def __init__(self, state: SSAValue):
        super().__init__(operands=[state], result_types=[state.type])


@irdl_op_definition
class SelectStateOp(IRDLOperation):
    """Per row: the `if_true` state where `condition` holds, else `if_false`.

    ```mlir
    %s = branch.select_state %p, %a, %b : tensor<?x3xi1>, !branch.state<3x4xi8>, !branch.state<3x4xi8> -> !branch.state<3x4xi8>
    ```
    """

    name = "branch.select_state"

    condition = operand_def(TensorType)
    if_true = operand_def(StateType)
    if_false = operand_def(StateType)
    result = result_def(StateType)

    traits = traits_def(Pure())
    assembly_format = (
        "$condition `,` $if_true `,` $if_false attr-dict `:` type($condition) `,` type($if_true) "
        "`,` type($if_false) `->` type($result)"
    )

    def __init__(self, condition: SSAValue, if_true: SSAValue, if_false: SSAValue):
        super().__init__(operands=[condition, if_true, if_false], result_types=[if_true.type])

    def verify_(self):
        s = _state_of(self, self.result)
        if self.if_true.type != s or self.if_false.type != s:
            raise VerifyException("'branch.select_state' states must have one type")
        if self.condition.type != values_type(s.rows.data, i1):
            raise VerifyException(
                f"'branch.select_state' condition must be {values_type(s.rows.data, i1)}"
            )


@irdl_op_definition
class FlipSitesOp(IRDLOperation):
    """Flips the sites of the `index[b, m]`-th mask of the table in each row's
    configuration (two local states `s0 < s1`: `x' = s0 + s1 - x'` there; the
    counterpart of `sym.flip_sites`); lowered when the indices are a row-table column:
    one `select` with the rows' constant masks.

    ```mlir
    %s1 = branch.flip_sites %s0, %k {masks = array<i64: 1, 6>} : !branch.state<2x4xi8>, tensor<?x2xi64> -> !branch.state<2x4xi8>
    ```
    """

    name = "branch.flip_sites"

    state = operand_def(StateType)
    index = operand_def(TensorType)
    masks = prop_def(DenseArrayBase)
    result = result_def(StateType)

    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = (
        "$state `,` $index attr-dict `:` type($state) `,` type($index) `->` type($result)"
    )

    def __init__(self, state: SSAValue, index: SSAValue, masks: DenseArrayBase):
        super().__init__(
            operands=[state, index], properties={"masks": masks}, result_types=[state.type]
        )

    def words(self):
        return sym.FlipSitesOp.words(self)  # type: ignore[arg-type]

    def verify_(self):
        s = _state_of(self, self.state)
        _check_values_for_state(self, s, (self.index,))
        if self.result.type != s:
            raise VerifyException("'branch.flip_sites' result must have the state's type")
        problem = sym.check_words(self.words(), s.sites.data)
        if problem is not None:
            raise VerifyException(f"'branch.flip_sites' {problem}")
        states = kernel_states(self)
        if states is not None and len(states) != 2:
            raise VerifyException(
                f"'branch.flip_sites' needs two local states, the kernel has {list(states)}"
            )
