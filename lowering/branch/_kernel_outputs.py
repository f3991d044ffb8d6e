"""The outputs of a `branch.kernel`: the two `branch.concat`s its `branch.return` takes.

Passes that change which emissions a kernel returns (diagonal coalescing, merging
exclusive emissions) read the output concats with `output_concats` and replace them with
`set_output_emits`.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.transforms.dead_code_elimination import region_dce

from symir.dialects import branch


def output_concats(
    kernel: branch.KernelOp,
) -> tuple[branch.ConcatOp, branch.ConcatOp] | None:
    """The concats of the configurations and of the matrix elements the kernel returns,
    or None when its `branch.return` does not take two `branch.concat`s."""
    ret = kernel.body.block.last_op
    assert isinstance(ret, branch.ReturnOp)
    xp, mels = ret.xp.owner, ret.mels.owner
    if isinstance(xp, branch.ConcatOp) and isinstance(mels, branch.ConcatOp):
        return xp, mels
    return None


def set_output_emits(kernel: branch.KernelOp, emits: Sequence[branch.EmitOp]) -> None:
    """Makes the kernel return the branches of `emits`, in this order: new output concats
    replace the old ones, and what only the old ones used is removed."""
    block = kernel.body.block
    ret = block.last_op
    assert isinstance(ret, branch.ReturnOp)
    old = output_concats(kernel)
    xp = branch.ConcatOp([e.xp for e in emits])
    mels = branch.ConcatOp([e.mel for e in emits])
    block.insert_ops_before([xp, mels], ret)
    ret.operands = [xp.result, mels.result]
    for concat in old or ():
        concat.detach()
        concat.erase()
    region_dce(kernel.body)
