"""Makes NetKet's `vstate.expect(op)` / `expect_and_grad(op)` accept a `SymbolicOperator`."""

from __future__ import annotations


def register_netket_dispatch() -> None:
    """Makes `vstate.expect(op)` / `expect_and_grad(op)` accept a `SymbolicOperator`:
    when NetKet is imported, its integration (found by entry point, as for
    `to_netket`) registers the dispatch rules on import (symir/integrations/
    netket_dispatch.py)."""
    import sys

    if "netket" in sys.modules:
        from symir.runtime.integrations import integration

        integration("netket")
