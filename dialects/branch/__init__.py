"""The `branch` dialect: an operator as tensors of branches over a batch of configurations.

A `branch.kernel` computes, for a batch `x : tensor<?xNxi8>`, the connected configurations
and matrix elements of every branch. Every term becomes tensors with one column per
iterator row: a value is a `tensor<?xMxT>` (batch x rows), a partially built connected
configuration is a `!branch.state<MxNxi8>` (for every batch entry and row: the
configuration `x'` and whether the branch is still valid). `branch.emit` applies the
runtime contract (an inactive branch is `x' = x`, `mel = 0`), `branch.concat` joins the
branches of all terms and `branch.return` ends the kernel.

Element types and promotion are the `sym` dialect's (`i1 < i64 < f64 < complex<f64>`).

What lives where (one module per role, as in `stablehlo/`):

* `types`: The `!branch.state` type and the helpers the op modules share: value types
  (`values_type`), `i64_array`, and the checks of row counts and configuration shapes.
* `kernel`: The kernel and its terminators: `branch.kernel`, `branch.return` and
  `branch.return_deltas`.
* `values`: The ops that make values (one per batch entry and row) from constants, the
  iterator's rows and the configuration: `branch.constant`, `branch.column`,
  `branch.splat`, `branch.read`, `branch.quadratic_form`, `branch.count`, and the
  lowering choices of `read` and `count`.
* `elementwise`: The elementwise ops, the counterparts of the `sym` expression ops (same
  mnemonic: `ELEMENTWISE` pairs them), on their bases (`ElementwiseBase`, `BinaryBase`,
  `UnaryBase`, `LogicBase`), and `branch.member`: generated from the `sym` op's class
  for a plain op (`counterpart_op`), written by hand for the others (`HAND_WRITTEN`).
* `states`: The connected configurations being built: `branch.state`, `branch.write`,
  `branch.state_read`, `branch.invalidate`, `branch.select_state`, and the lowering
  choices of `state`.
* `branches`: The branches and how they are joined: `branch.emit`, `branch.sum_rows`,
  `branch.concat` and `branch.stack`.
* this `__init__`: the `Branch` dialect, `ELEMENTWISE` / `counterpart` (each `sym`
  expression op -> its `branch` op), and the re-exports: every counterpart
  (`COUNTERPARTS`) is listed in `Branch` and is a name of the package by itself; any
  other new op is defined in the module of its role, imported here, listed in `Branch`
  and named in `__all__`.
"""

from __future__ import annotations

from xdsl.ir import Dialect

from symir.dialects import sym
from symir.dialects.branch.branches import ConcatOp, EmitOp, StackOp, SumRowsOp
from symir.dialects.branch.elementwise import (
    COUNTERPARTS,
    HAND_WRITTEN,
    BinaryBase,
    ElementwiseBase,
    LogicBase,
    MemberOp,
    UnaryBase,
    counterpart_op,
    plain_base,
)
from symir.dialects.branch.kernel import (
    X_ELEMENT_TYPES,
    KernelOp,
    KernelReturnBase,
    ReturnDeltasOp,
    ReturnOp,
    kernel_states,
)
from symir.dialects.branch.slot_kinds import SlotKind
from symir.dialects.branch.states import (
    STATE_LOWERINGS,
    FlipSitesOp,
    InvalidateOp,
    SelectStateOp,
    StateOp,
    StateReadOp,
    WriteOp,
)
from symir.dialects.branch.types import Numeric, StateType, i64_array, values_type
from symir.dialects.branch.values import (
    COUNT_STRATEGIES,
    READ_LOWERINGS,
    ColumnOp,
    ConstantOp,
    CountOp,
    NthSiteOp,
    ParitySumOp,
    QuadraticFormOp,
    ReadOp,
    SplatOp,
)

Branch = Dialect(
    "branch",
    [
        KernelOp,
        ReturnOp,
        ReturnDeltasOp,
        ConstantOp,
        ColumnOp,
        SplatOp,
        ReadOp,
        QuadraticFormOp,
        CountOp,
        NthSiteOp,
        ParitySumOp,
        *COUNTERPARTS.values(),
        MemberOp,
        StateOp,
        WriteOp,
        FlipSitesOp,
        StateReadOp,
        InvalidateOp,
        SelectStateOp,
        EmitOp,
        SumRowsOp,
        ConcatOp,
        StackOp,
    ],
    [StateType],
)


# Every counterpart is a name of the package (`branch.FloorOp`), whether generated from its
# `sym` op or written by hand: a new one needs no line here.
for _op in COUNTERPARTS.values():
    globals()[_op.__name__] = _op

ELEMENTWISE: dict[type[sym.ExpressionOp], type[ElementwiseBase]] = {
    sym.EXPRESSION_OPS[mnemonic]: op for mnemonic, op in COUNTERPARTS.items()
}
"""Every `sym` expression op -> its `branch` counterpart, the op of the same mnemonic
(`sym.add` -> `branch.add`): what `convert-sym-to-branch` converts it to."""


def counterpart(op: type[sym.ExpressionOp]) -> type[ElementwiseBase]:
    """The `branch` op a `sym` expression op converts to (`ELEMENTWISE`)."""
    found = ELEMENTWISE.get(op)
    if found is None:
        raise KeyError(
            f"'{op.name}' has no branch counterpart: it is not a plain op (on "
            "BinaryOpBase, UnaryOpBase or LogicOpBase, without properties), so define "
            f"'branch.{op.name.removeprefix('sym.')}' by hand in "
            "dialects/branch/elementwise.py and add it to HAND_WRITTEN (docs/adding-an-op.md)"
        )
    return found


__all__ = [
    "COUNTERPARTS",
    "COUNT_STRATEGIES",
    "ELEMENTWISE",
    "HAND_WRITTEN",
    "READ_LOWERINGS",
    "STATE_LOWERINGS",
    "X_ELEMENT_TYPES",
    "BinaryBase",
    "Branch",
    "ColumnOp",
    "ConcatOp",
    "ConstantOp",
    "CountOp",
    "ElementwiseBase",
    "EmitOp",
    "FlipSitesOp",
    "InvalidateOp",
    "KernelOp",
    "KernelReturnBase",
    "LogicBase",
    "MemberOp",
    "NthSiteOp",
    "Numeric",
    "ParitySumOp",
    "QuadraticFormOp",
    "ReadOp",
    "ReturnDeltasOp",
    "ReturnOp",
    "SelectStateOp",
    "SlotKind",
    "SplatOp",
    "StackOp",
    "StateOp",
    "StateReadOp",
    "StateType",
    "SumRowsOp",
    "UnaryBase",
    "WriteOp",
    "counterpart",
    "counterpart_op",
    "i64_array",
    "kernel_states",
    "plain_base",
    "values_type",
    *(op.__name__ for op in COUNTERPARTS.values()),
]
