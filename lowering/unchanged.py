"""Passes that say they left a verified module unchanged, or verified.

A pass that knows it changed nothing (no rewrite applied) calls `mark_unchanged`; one
that changed a few ops and verified those itself (their verifiers, SSA dominance) calls
`mark_verified`. The pipeline's recorder (`symir.lowering.pipelines`) and the compiler's
stages ask `left_as` after the pass: a level whose input was verified and that no pass
changed unverified is not verified again, and one that no pass changed at all is not
copied either (docs/compiler.md#verification). A pass that says nothing is taken to have
changed the module. Analyses a pass writes on the module (`symir.lowering.analyses`) do
not count as changes: the verifiers do not read them.
"""

from __future__ import annotations

import weakref
from typing import Literal

from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

Left = Literal["unchanged", "verified"] | None

_MARKS: weakref.WeakKeyDictionary[ModuleOp, tuple[str, str]] = weakref.WeakKeyDictionary()


def mark_unchanged(module: ModuleOp, p: ModulePass) -> None:
    """Records that `p`, run on `module`, left its operations as they were."""
    _MARKS[module] = (p.name, "unchanged")


def mark_verified(module: ModuleOp, p: ModulePass) -> None:
    """Records that `p`, run on a verified `module`, verified every op it changed (so
    the module is verified as a whole)."""
    _MARKS[module] = (p.name, "verified")


def left_as(module: ModuleOp, p: ModulePass) -> Left:
    """What `p` said of `module` on the run that just ended: `unchanged`, `verified`, or
    None (nothing: it may have changed it). The mark is taken: a later run of any pass
    must say so again."""
    name, left = _MARKS.pop(module, (None, None))
    return left if name == p.name else None  # type: ignore[return-value]


def forget_marks(module: ModuleOp) -> None:
    """Drops a mark left on `module` (before a pass runs: only its own mark counts)."""
    _MARKS.pop(module, None)


__all__ = ["forget_marks", "left_as", "mark_unchanged", "mark_verified"]
