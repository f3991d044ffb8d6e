"""The package's xDSL `Universe`: what the `xdsl.universe` entry point names."""

from xdsl.universe import Universe


def _drop_zero_emissions():
    from symir_plugin_example.branch_drop_zero_emissions import BranchDropZeroEmissionsPass

    return BranchDropZeroEmissionsPass


UNIVERSE = Universe(all_passes={"branch-drop-zero-emissions": _drop_zero_emissions})
