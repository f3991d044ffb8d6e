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
  mnemonic: `ELEMENTWISE` pairs them by name), on their bases (`ElementwiseBase`,
  `BinaryBase`, `UnaryBase`, ...), and `branch.member`.
* `states`: The connected configurations being built: `branch.state`, `branch.write`,
  `branch.state_read`, `branch.invalidate`, `branch.select_state`, and the lowering
  choices of `state`.
* `branches`: The branches and how they are joined: `branch.emit`, `branch.sum_rows`,
  `branch.concat` and `branch.stack`.
* this `__init__`: the `Branch` dialect, `ELEMENTWISE` / `counterpart` (each `sym`
  expression op -> its `branch` op), and the re-exports: a new op is defined in the
  module of its role, imported here, listed in `Branch` and named in `__all__`.
"""

from __future__ import annotations

from xdsl.ir import Dialect

from symir.dialects import sym
from symir.dialects.branch.branches import ConcatOp, EmitOp, StackOp, SumRowsOp
from symir.dialects.branch.elementwise import (
    AbsOp,
    AddOp,
    AndOp,
    BinaryBase,
    CmpOp,
    ComplexOp,
    ConjOp,
    CosOp,
    DivOp,
    ElementwiseBase,
    ExpOp,
    FloatingUnaryBase,
    FloorOp,
    ImagOp,
    LogicBase,
    LogOp,
    LookupOp,
    MaxOp,
    MemberOp,
    MinOp,
    MulOp,
    NegOp,
    NotOp,
    OrOp,
    ParityOp,
    PowOp,
    RealOp,
    SelectOp,
    SinOp,
    SqrtOp,
    SubOp,
    UnaryBase,
    WrapModOp,
)
from symir.dialects.branch.kernel import KernelOp, ReturnDeltasOp, ReturnOp
from symir.dialects.branch.states import (
    STATE_LOWERINGS,
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
        AddOp,
        SubOp,
        MulOp,
        DivOp,
        PowOp,
        MinOp,
        MaxOp,
        NegOp,
        AbsOp,
        ConjOp,
        RealOp,
        ImagOp,
        SqrtOp,
        ExpOp,
        LogOp,
        SinOp,
        CosOp,
        FloorOp,
        WrapModOp,
        ParityOp,
        ComplexOp,
        CmpOp,
        AndOp,
        OrOp,
        NotOp,
        SelectOp,
        LookupOp,
        MemberOp,
        StateOp,
        WriteOp,
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


ELEMENTWISE: dict[type[sym.ExpressionOp], type[ElementwiseBase]] = {
    op: counterpart
    for op in sym.EXPRESSION_OPS.values()
    for counterpart in Branch.operations
    if counterpart.name == f"branch.{op.mnemonic()}"
}
"""Every `sym` expression op -> its `branch` counterpart, the op of the same mnemonic
(`sym.add` -> `branch.add`): what `convert-sym-to-branch` converts it to."""


def counterpart(op: type[sym.ExpressionOp]) -> type[ElementwiseBase]:
    """The `branch` op a `sym` expression op converts to (`ELEMENTWISE`)."""
    found = ELEMENTWISE.get(op)
    if found is None:
        raise KeyError(
            f"'{op.name}' has no branch counterpart: define "
            f"'branch.{op.name.removeprefix('sym.')}' in "
            "dialects/branch/elementwise.py (docs/adding-an-op.md)"
        )
    return found


__all__ = [
    "COUNT_STRATEGIES",
    "ELEMENTWISE",
    "READ_LOWERINGS",
    "STATE_LOWERINGS",
    "AbsOp",
    "AddOp",
    "AndOp",
    "BinaryBase",
    "Branch",
    "CmpOp",
    "ColumnOp",
    "ComplexOp",
    "ConcatOp",
    "ConjOp",
    "ConstantOp",
    "CosOp",
    "CountOp",
    "DivOp",
    "ElementwiseBase",
    "EmitOp",
    "ExpOp",
    "FloatingUnaryBase",
    "FloorOp",
    "ImagOp",
    "InvalidateOp",
    "KernelOp",
    "LogOp",
    "LogicBase",
    "LookupOp",
    "MaxOp",
    "MemberOp",
    "MinOp",
    "MulOp",
    "NegOp",
    "NotOp",
    "NthSiteOp",
    "Numeric",
    "OrOp",
    "ParityOp",
    "PowOp",
    "QuadraticFormOp",
    "ReadOp",
    "RealOp",
    "ReturnDeltasOp",
    "ReturnOp",
    "SelectOp",
    "SelectStateOp",
    "SinOp",
    "SplatOp",
    "SqrtOp",
    "StackOp",
    "StateOp",
    "StateReadOp",
    "StateType",
    "SubOp",
    "SumRowsOp",
    "UnaryBase",
    "WrapModOp",
    "WriteOp",
    "counterpart",
    "i64_array",
    "values_type",
]
