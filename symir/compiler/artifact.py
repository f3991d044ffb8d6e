"""`SymbolicCompiledArtifact`: what a compile produces (and what the stores keep)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from symir.compiler.core import SymbolicCacheKey, SymbolicPassReport

LEVELS = ("sym", "branch", "stablehlo")


@dataclass(frozen=True)
class SymbolicCompiledArtifact:
    """The compiled operator plus everything needed to explain it.

    `source` says where this artifact came from on this call: "lowered" (a miss),
    "memory" or "disk" (a hit in that kind of store); `cache_hit` is True on a hit.
    """

    backend: str
    lowerer_name: str
    compiled_operator: Any
    metadata: dict[str, Any] = field(default_factory=dict)
    levels: Mapping[str, str] = field(default_factory=dict)
    """The printed IR of each level (a lowerer may print them on first read)."""
    pass_reports: tuple[SymbolicPassReport, ...] = ()
    analyses: dict[str, Any] = field(default_factory=dict)
    cache_key: SymbolicCacheKey | None = None
    cache_hit: bool = False
    source: str = "lowered"

    def cache_token(self) -> str | None:
        return self.cache_key.token if self.cache_key is not None else None

    def ir(self, level: str = "sym") -> str:
        """The printed IR at `level` ("sym" (normalized and annotated), "branch",
        "stablehlo"); parseable by `symir-opt`."""
        if level not in LEVELS:
            raise ValueError(f"unknown IR level {level!r}; expected one of {LEVELS}")
        if level not in self.levels:
            raise ValueError(f"this artifact's lowerer kept no {level!r} IR")
        return self.levels[level]

    @property
    def pass_names(self) -> list[str]:
        return [r.pass_name for r in self.pass_reports]

    def replace(self, **changes: Any) -> SymbolicCompiledArtifact:
        return dataclasses.replace(self, **changes)
