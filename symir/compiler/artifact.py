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

    def ir(self, level: str = "sym", *, after: str | None = None) -> str:
        """The printed IR at `level` ("sym" (normalized and annotated), "branch",
        "stablehlo"), or, with `after`, the IR right after the lowering's pass of that
        name (`artifact.passes_run` lists them; `cse#2` is the second `cse`); parseable
        by `symir-opt`."""
        if after is not None:
            names = self.passes_run
            if after not in names:
                raise ValueError(f"no lowering pass {after!r} kept its IR; the passes run: {names}")
            return self.levels[after]
        if level not in LEVELS:
            raise ValueError(f"unknown IR level {level!r}; expected one of {LEVELS}")
        if level not in self.levels:
            raise ValueError(f"this artifact's lowerer kept no {level!r} IR")
        return self.levels[level]

    @property
    def passes_run(self) -> list[str]:
        """The lowering's passes whose output `ir(after=...)` gives, in the order they ran."""
        return list(getattr(self.levels, "after", ()))

    @property
    def pass_names(self) -> list[str]:
        return [r.pass_name for r in self.pass_reports]

    def replace(self, **changes: Any) -> SymbolicCompiledArtifact:
        return dataclasses.replace(self, **changes)
