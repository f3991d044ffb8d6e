"""`SlotKind`: what an output slot of a `branch.kernel` can hold.

Told by the lowering (`symir.lowering.branch.slot_kinds` reads it off the kernel's
`branch.emit`s) and read by the runtime's local-energy path, which imports no pass.
"""

from __future__ import annotations

from enum import StrEnum


class SlotKind(StrEnum):
    """What an output slot can hold (a `str`: `SlotKind.DIAGONAL == "diagonal"`)."""

    DIAGONAL = "diagonal"
    """`x' = x` in every row: its matrix element is summed as it is."""
    VALID = "valid"
    """Valid in every row (its `x'` may still equal `x`)."""
    MAYBE = "maybe"
    """Valid in some rows only."""
