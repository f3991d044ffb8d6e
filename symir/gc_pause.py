"""`gc_paused`: Python's cyclic garbage collector paused while symir builds many objects.

Building an operator's terms, verifying them and compiling them allocate many small
objects (expressions, xDSL ops and their use lists, which are cycles) and so trigger
collections; in a process that has imported JAX and NetKet a full collection walks some
300k objects and takes 0.1-0.2 s, several times the work it interrupts. Nothing is lost:
the garbage is collected after.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_LOCK = threading.Lock()
_HOLDERS = 0
_WAS_ENABLED = True


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pauses the cyclic garbage collector for the duration. Nested and concurrent uses
    count: the collector is enabled again when the last one ends, if it was on when the
    first began."""
    global _HOLDERS, _WAS_ENABLED
    with _LOCK:
        if _HOLDERS == 0:
            _WAS_ENABLED = gc.isenabled()
            gc.disable()
        _HOLDERS += 1
    try:
        yield
    finally:
        with _LOCK:
            _HOLDERS -= 1
            if _HOLDERS == 0 and _WAS_ENABLED:
                gc.enable()


__all__ = ["gc_paused"]
