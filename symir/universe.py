"""symir's xDSL `Universe`: its dialects and passes, for every xDSL tool.

Registered in `pyproject.toml` under `[project.entry-points."xdsl.universe"]`, so the
stock `xdsl-opt` (and `symir-opt`, which is `xdsl-opt` with friendlier errors) can parse,
verify and lower `sym`, `branch` and `stablehlo` IR with symir's passes. Both registries
are lazy: nothing is imported until a dialect or pass is used.

`all_dialects` / `all_targets` merge the universes of every installed package for
`symir-opt` as xDSL's `Universe.get_multiverse` does, but a name that two packages
register keeps its first definition instead of failing every call (the passes:
`symir.lowering.pass_clashes`).
"""

from collections.abc import Callable

from xdsl.universe import Universe

from symir.dialects import get_all_dialects
from symir.lowering import get_symir_passes

SYMIR_UNIVERSE = Universe(all_dialects=get_all_dialects(), all_passes=get_symir_passes())
"""The dialects `sym`, `branch`, `stablehlo` and every pass of `symir.lowering`."""


def _universes() -> list[Universe]:
    """symir's universe, xDSL's, then each plugin package's (`plugin_universes`)."""
    from xdsl.universe import XDSL_UNIVERSE

    from symir.lowering import plugin_universes

    return [SYMIR_UNIVERSE, XDSL_UNIVERSE, *plugin_universes().values()]


def all_dialects() -> dict[str, Callable]:
    """Every installed package's dialects (name -> factory); the first definition of a
    name wins."""
    found: dict[str, Callable] = {}
    for universe in _universes():
        for name, factory in universe.all_dialects.items():
            found.setdefault(name, factory)
    return found


XDSL_TARGETS = ("mlir",)
"""xDSL's own targets that `symir-opt` offers: its others (`riscv-asm`, `x86-asm`, `wgsl`,
`llvm`, ...) print xDSL's low-level dialects, and given `sym`, `branch` or `stablehlo` IR
printed nothing, a stray bracket or a bare `NotImplementedError` (sweep 16); `xdsl-opt`
still has them all."""


def all_targets() -> dict[str, Callable]:
    """The targets of symir's and every plugin package's universe, and xDSL's
    `XDSL_TARGETS` (name -> factory); the first definition of a name wins."""
    from xdsl.universe import XDSL_UNIVERSE

    found: dict[str, Callable] = {}
    for universe in _universes():
        for name, factory in universe.all_targets.items():
            if universe is not XDSL_UNIVERSE or name in XDSL_TARGETS:
                found.setdefault(name, factory)
    return found
