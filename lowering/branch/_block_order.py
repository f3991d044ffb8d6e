"""Ops of one block in program order, for the passes that copy a slice of a kernel
(`branch-fuse-equal-states`, `branch-sort-summed-rows`)."""

from __future__ import annotations

from collections.abc import Mapping

from xdsl.ir import Block, Operation


def block_positions(block: Block) -> dict[Operation, int]:
    """The place of each op of `block`; valid while ops are only inserted, never moved."""
    return {op: k for k, op in enumerate(block.ops)}


def in_block_order(
    found: set[Operation], block: Block | None, positions: Mapping[Operation, int] | None
) -> list[Operation]:
    """The ops `found` (all of `block`) in program order: by `positions` where it knows
    them all (`block_positions` taken once, not a walk of the whole block per slice: a
    product of two operators has 660 slices of a block of 7,000 ops), else by a walk."""
    if positions is not None and all(op in positions for op in found):
        return sorted(found, key=positions.__getitem__)
    return [op for op in block.ops if op in found] if block is not None else []
