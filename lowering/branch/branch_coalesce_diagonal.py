"""`branch-coalesce-diagonal`: sums every diagonal branch into one.

A `branch.emit` whose state comes straight from `branch.state %x` (an update program that
is the identity) has `x' = x` in every row. Its matrix elements are already masked by
`branch.emit` (an inactive row contributes 0), so all such emissions of all terms can be
summed over rows (`branch.sum_rows` of their masked `mel`) and over emissions into one
branch of width 1, put first. An emission that is the identity only under a predicate (a `branch.select_state`)
is not an identity state and is left alone. A transverse-field Ising chain of N sites
goes from 2N branches to N + 1, as in NetKet.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, i1
from xdsl.passes import ModulePass

from symir.dialects import branch
from symir.lowering.branch._kernel_outputs import (
    check_slots_movable,
    output_concats,
    set_output_emits,
)


def is_diagonal(emit: branch.EmitOp) -> bool:
    """An identity-update emission not already summed by an earlier run of the pass."""
    summed = any(isinstance(use.operation, branch.SumRowsOp) for use in emit.mel.uses)
    return isinstance(emit.state.owner, branch.StateOp) and not summed


def coalesce_kernel(kernel: branch.KernelOp) -> None:
    block = kernel.body.block
    concats = output_concats(kernel)
    if concats is None:
        return
    xp_concat, _ = concats
    emits = [
        o
        for o in block.ops
        if isinstance(o, branch.EmitOp) and (o.xp in xp_concat.inputs or is_diagonal(o))
    ]
    diagonal = [e for e in emits if is_diagonal(e)]
    rest = [e for e in emits if e not in diagonal]
    if not diagonal or (len(diagonal) == 1 and diagonal[0].mel.type.get_shape()[1] == 1):
        return
    check_slots_movable(kernel, "branch-coalesce-diagonal")
    x = kernel.x
    new_ops = []
    total = None
    for e in diagonal:
        summed = branch.SumRowsOp(e.mel)
        new_ops.append(summed)
        if total is None:
            total = summed.result
        else:
            add = branch.AddOp(total, summed.result)
            new_ops.append(add)
            total = add.result
    state = branch.StateOp(x, 1)
    true = branch.ConstantOp(x, IntegerAttr(1, i1), 1)
    emit = branch.EmitOp(x, state.result, total, true.result, kernel.dtype, "diagonal")
    new_ops += [state, true, emit]
    block.insert_ops_before(new_ops, xp_concat)
    set_output_emits(kernel, [emit, *rest])


@dataclass(frozen=True)
class BranchCoalesceDiagonalPass(ModulePass):
    """Sums all identity-update branches of a `branch.kernel` into one."""

    name = "branch-coalesce-diagonal"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for kernel in [o for o in op.walk() if isinstance(o, branch.KernelOp)]:
            coalesce_kernel(kernel)
