"""What several benchmark scripts share: the comma-separated name lists of their command
lines (the scripts import it as `_common`: `python benchmarks/<script>.py` puts this
folder on `sys.path`). The comparison of two kernels' connected states is the public
`symir.testing.first_difference`; the models are `symir.models`."""

from __future__ import annotations

import sys


def names(text: str, known, what: str) -> list[str]:
    """The comma-separated names in `text`; exits naming any not in `known`."""
    found = [s for s in text.split(",") if s]
    unknown = [s for s in found if s not in known]
    if unknown:
        sys.exit(f"unknown {what} {unknown}; known: {', '.join(known)}")
    return found
