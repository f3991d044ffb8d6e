"""Integrations with other frameworks, found by entry point (the runtime imports none).

An integration is a callable `(compiled_operator, **options) -> object` registered under
`[project.entry-points."symir.integrations"]` (symir's own: `netket`). The runtime looks it
up by name when a user asks for it (`CompiledOperator.to_netket()`), so the runtime never
imports an integration and an integration may import the runtime freely.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib.metadata import entry_points
from typing import Any


@cache
def integration(name: str) -> Callable[..., Any]:
    """The integration registered as `name` (a clear error when there is none)."""
    found = entry_points(group="symir.integrations", name=name)
    if not found:
        known = sorted(e.name for e in entry_points(group="symir.integrations"))
        raise LookupError(
            f"no symir integration named {name!r} is installed (installed: {known}); "
            "is symir installed with its entry points (pip install symir)?"
        )
    return next(iter(found)).load()
