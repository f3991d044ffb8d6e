"""Which level (dialect) a pass reads and which it leaves, and the checks of a pipeline.

A pass declares its level with class attributes (a plugin's pass as symir's own):

- `level`: the level it reads, one of `sym`, `branch`, `stablehlo`;
- `result_level`: the level it leaves (a conversion's target; default: `level`).

A pass that declares neither gets them from the naming rule of symir's passes:
`convert-<a>-to-<b>` reads `a` and leaves `b`; `sym-...` and `symbolic-...` read `sym`;
`branch-...` reads `branch`; `stablehlo-...` reads `stablehlo`. Any other pass (xDSL's
generic `cse`, `canonicalize`, `dce`, ...) runs at every level. `check_levels` walks a
pipeline from a start level and refuses a pass given the wrong level, naming the pass,
the level it reads and the level it would get; `LevelCheck` does the same on the module
while a pipeline runs (the module's level is read from the IR, `level_of`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from symir.dialects import LEVELS, level_of

_PREFIXES = {"sym-": "sym", "symbolic-": "sym", "branch-": "branch", "stablehlo-": "stablehlo"}


class PassLevelError(ValueError):
    """A pass given IR of another level than the one it reads."""

    def __init__(self, pass_name: str, expected: str, actual: str, where: str = ""):
        self.pass_name, self.expected, self.actual = pass_name, expected, actual
        super().__init__(
            f"pass '{pass_name}' reads the '{expected}' level, but {where or 'its input'} "
            f"is at the '{actual}' level"
        )


def pass_levels(p: ModulePass | type[ModulePass]) -> tuple[str | None, str | None]:
    """(the level `p` reads, the level it leaves), or (None, None) for a pass that runs
    at every level."""
    level = getattr(p, "level", None)
    if level is not None:
        if level not in LEVELS:
            raise ValueError(f"pass '{p.name}' declares level {level!r}, not one of {LEVELS}")
        result = getattr(p, "result_level", None) or level
        if result not in LEVELS:
            raise ValueError(
                f"pass '{p.name}' declares result_level {result!r}, not one of {LEVELS}"
            )
        return level, result
    name = p.name
    if name.startswith("convert-") and "-to-" in name:
        source, _, target = name[len("convert-") :].partition("-to-")
        if source in LEVELS and target in LEVELS:
            return source, target
    for prefix, lvl in _PREFIXES.items():
        if name.startswith(prefix):
            return lvl, lvl
    return None, None


def check_levels(passes: Iterable[ModulePass], start: str = "sym", end: str | None = None) -> str:
    """The level at the end of `passes` run from `start`; raises `PassLevelError` at the
    first pass given another level than the one it reads (and when `end` is given and
    the pipeline does not end there)."""
    current = start
    last = None
    for p in passes:
        reads, leaves = pass_levels(p)
        if reads is not None and reads != current:
            where = f"after '{last}' the IR" if last else "the pipeline's input"
            raise PassLevelError(p.name, reads, current, where)
        current = leaves or current
        last = p.name
    if end is not None and current != end:
        raise ValueError(
            f"the pipeline ends at the '{current}' level; it must end at the '{end}' level "
            f"(the last pass is {last!r})"
        )
    return current


class LevelCheck:
    """A `PassPipeline` callback that, before each pass runs, checks that the module is
    at the level the pass reads (then calls `inner`, another callback, if given)."""

    def __init__(self, inner: Any = None):
        self.inner = inner

    def __call__(self, done: Any, module: ModuleOp, upcoming: Any) -> None:
        if self.inner is not None:
            self.inner(done, module, upcoming)
        if upcoming is not None:
            reads, _ = pass_levels(upcoming)
            if reads is not None:
                try:
                    actual = level_of(module)
                except ValueError:
                    actual = "no symir"
                if actual != reads:
                    raise PassLevelError(upcoming.name, reads, actual)


__all__ = ["LevelCheck", "PassLevelError", "check_levels", "pass_levels"]
