"""symir's xDSL `Universe`: its dialects and passes, for every xDSL tool.

Registered in `pyproject.toml` under `[project.entry-points."xdsl.universe"]`, so the
stock `xdsl-opt` (and `symir-opt`, which is `xdsl-opt` with friendlier errors) can parse,
verify and lower `sym`, `branch` and `stablehlo` IR with symir's passes. Both registries
are lazy: nothing is imported until a dialect or pass is used.
"""

from xdsl.universe import Universe

from symir.dialects import get_all_dialects
from symir.lowering import get_symir_passes

SYMIR_UNIVERSE = Universe(all_dialects=get_all_dialects(), all_passes=get_symir_passes())
"""The dialects `sym`, `branch`, `stablehlo` and every pass of `symir.lowering`."""
