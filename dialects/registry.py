"""The op classes a module defines, in the order it defines them: the one source of a
dialect's op list and of an op table, so that a new op is written once, as its class.

`operations_defined_in(module)` returns every concrete op class (one that sets its own
`name`, not an abstract base such as `sym.UnaryOpBase`) defined in `module` (not imported
into it), optionally only the subclasses of `base`.
"""

from __future__ import annotations

import inspect
from types import ModuleType
from typing import TypeVar

from xdsl.irdl import IRDLOperation

T = TypeVar("T", bound=IRDLOperation)


def operations_defined_in(module: ModuleType, base: type[T] = IRDLOperation) -> tuple[type[T], ...]:
    """Return the concrete op classes `module` defines, subclasses of `base`, in order."""
    return tuple(
        cls
        for cls in vars(module).values()
        if inspect.isclass(cls)
        and issubclass(cls, base)
        and cls.__module__ == module.__name__
        and "name" in cls.__dict__
    )


__all__ = ["operations_defined_in"]
