"""The outputs of a `branch.kernel`: the `branch.concat`s its terminator takes.

Passes that change which emissions a kernel returns (diagonal coalescing, merging
exclusive emissions) read the output concats with `output_concats` and replace them with
`set_output_emits`. A *delta kernel* (one that ends in `branch.return_deltas`, made by
`branch-return-deltas`) returns no `xp`: it has no output concats of emissions, and those
passes leave it as it is. A kernel that returns derivatives (`branch-differentiate`) has
them slot for slot with `mels`: a pass that would change its slots refuses it
(`check_slots_movable`).
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.transforms.dead_code_elimination import region_dce

from symir.dialects import branch
from symir.dialects.locations import attach_op


def output_concats(
    kernel: branch.KernelOp,
) -> tuple[branch.ConcatOp, branch.ConcatOp] | None:
    """The concats of the configurations and of the matrix elements the kernel returns,
    or None when it does not end with a `branch.return` of two `branch.concat`s (a delta
    kernel, a kernel that returns one emission's outputs directly)."""
    ret = kernel.body.block.last_op
    if not isinstance(ret, branch.ReturnOp):
        return None
    xp, mels = ret.xp.owner, ret.mels.owner
    if isinstance(xp, branch.ConcatOp) and isinstance(mels, branch.ConcatOp):
        return xp, mels
    return None


def check_slots_movable(kernel: branch.KernelOp, pass_name: str) -> None:
    """Refuses, at its `branch.return`, a kernel that returns derivatives: they are slot
    for slot with `mels`, and `pass_name` (about to change the slots) does not move them
    (run it before `branch-differentiate`, as the default lowering does)."""
    ret = kernel.body.block.last_op
    if isinstance(ret, branch.ReturnOp) and ret.derivatives:
        raise attach_op(
            ValueError(
                f"{pass_name}: kernel @{kernel.sym_name.data} returns derivatives "
                f"{list(ret.wrt_names)} slot for slot with its matrix elements, and this "
                "pass would change its slots: run it before branch-differentiate"
            ),
            ret,
        )


def set_output_emits(kernel: branch.KernelOp, emits: Sequence[branch.EmitOp]) -> None:
    """Makes the kernel return the branches of `emits`, in this order: new output concats
    replace the old ones, and what only the old ones used is removed. The kernel ends with
    a `branch.return` of two concats (`output_concats` is not None)."""
    old = output_concats(kernel)
    if old is None:
        raise ValueError(
            f"kernel @{kernel.sym_name.data} does not return two 'branch.concat's "
            "with 'branch.return'"
        )
    ret = kernel.body.block.last_op
    xp = branch.ConcatOp([e.xp for e in emits])
    mels = branch.ConcatOp([e.mel for e in emits])
    kernel.body.block.insert_ops_before([xp, mels], ret)  # type: ignore[arg-type]
    ret.operands = [xp.result, mels.result]  # type: ignore[union-attr]
    for concat in old:
        concat.detach()
        concat.erase()
    region_dce(kernel.body)
