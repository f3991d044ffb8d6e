"""`branch-drop-zero-emissions`: a kernel's slots whose matrix element is the constant 0
are dropped (a zero matrix element is a padding slot: dropping it lowers F and changes
no connected element with a non-zero weight)."""

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import FloatAttr, ModuleOp
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)

from symir.dialects import branch


def _is_zero_emission(xp, mel) -> bool:
    """Whether the slots `(xp, mel)` are one `branch.emit`'s, with a zero amplitude."""
    emit = mel.owner
    if not isinstance(emit, branch.EmitOp) or xp is not emit.xp or mel is not emit.mel:
        return False
    amplitude = emit.amplitude.owner
    return (
        isinstance(amplitude, branch.ConstantOp)
        and isinstance(amplitude.value, FloatAttr)
        and amplitude.value.value.data == 0.0
    )


class DropZeroEmissions(RewritePattern):
    """On a `branch.return` of two `branch.concat`s: drops every input pair that comes
    from a `branch.emit` of a constant zero amplitude (keeping at least one)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.ReturnOp, rewriter: PatternRewriter) -> None:
        xps, mels = op.xp.owner, op.mels.owner
        if not isinstance(xps, branch.ConcatOp) or not isinstance(mels, branch.ConcatOp):
            return
        pairs = list(zip(xps.inputs, mels.inputs, strict=True))
        kept = [(a, b) for a, b in pairs if not _is_zero_emission(a, b)] or pairs[:1]
        if len(kept) == len(pairs):
            return
        new_xps = branch.ConcatOp([a for a, _ in kept])
        new_mels = branch.ConcatOp([b for _, b in kept])
        new_return = branch.ReturnOp(new_xps.result, new_mels.result)
        rewriter.replace(op, [new_xps, new_mels, new_return], new_results=[])


@dataclass(frozen=True)
class BranchDropZeroEmissionsPass(ModulePass):
    """Drops the slots of constant zero matrix elements (an example plugin pass)."""

    name = "branch-drop-zero-emissions"
    level = "branch"  # the level it reads: symir checks it before the pass runs

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(DropZeroEmissions()).rewrite_module(op)
