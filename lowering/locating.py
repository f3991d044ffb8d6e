"""Failures of rewrite patterns that say which op they were rewriting.

A pattern that raises (a value it cannot lower, a missing StableHLO op) leaves xDSL's
walker without saying where. `LocatingPattern` wraps the pattern a pass walks with:
the exception gets the op (`symir.dialects.locations.attach_op`), and `symir-opt` and the
compiler print it with the op's `file:line:col` and source line (parsed IR) or its term
and emission (DSL-built IR): `symir.dialects.locations.located_failure`.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.ir import Operation
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern

from symir.dialects.locations import attach_op


@dataclass
class LocatingPattern(RewritePattern):
    """`pattern`, whose exceptions carry the op it was applied to (`error.op`)."""

    pattern: RewritePattern

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /) -> None:
        try:
            self.pattern.match_and_rewrite(op, rewriter)
        except Exception as error:
            attach_op(error, op)
            raise


__all__ = ["LocatingPattern"]
