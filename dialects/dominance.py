"""SSA dominance for symir's single-block regions: every use after its definition.

xDSL's parser accepts forward references (graph regions allow them) and its verifier
does not check dominance, so `%1 = sym.add %2, %0` before `%2` is defined verifies, and
the StableHLO lowered from it is rejected by jaxlib ("operand #0 does not dominate this
use"). Every region of symir's levels is an SSACFG region of one block: a value is
visible after its definition in its block and in the regions nested below it.

`check_dominance(op)` raises a `VerifyException` naming the using op and the operand; the
region-holding ops of each level (`sym.operator`, `branch.kernel`) call it from their
verifier, and the tools run it on whole modules (a `func.func` at the `stablehlo` level).
"""

from __future__ import annotations

from xdsl.ir import Block, Operation, SSAValue
from xdsl.utils.exceptions import VerifyException


def _check_block(block: Block, visible: set[SSAValue]) -> None:
    scope = set(visible)
    scope.update(block.args)
    for op in block.ops:
        for k, operand in enumerate(op.operands):
            if operand not in scope:
                where = (
                    "is used before its definition"
                    if isinstance(operand.owner, Operation)
                    and operand.owner.parent_block() is block
                    else "is not defined in an enclosing scope"
                )
                name = (
                    f"%{operand.name_hint} (operand #{k})" if operand.name_hint else f"operand #{k}"
                )
                raise VerifyException(
                    f"'{op.name}': {name} {where} (SSA values must be defined before they are used)"
                )
        for region in op.regions:
            for inner in region.blocks:
                _check_block(inner, scope)
        scope.update(op.results)


def check_dominance(op: Operation) -> None:
    """Every operand inside `op`'s regions is defined before its use, in its block or in
    an enclosing one (the values defined above `op` are not visible: `op` is isolated)."""
    for region in op.regions:
        for block in region.blocks:
            _check_block(block, set())


__all__ = ["check_dominance"]
