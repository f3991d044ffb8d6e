"""What several benchmark scripts share: the comma-separated name lists of their command
lines and the printing of a table row (the scripts import it as `_common`: `python benchmarks/<script>.py` puts this
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


def print_row(row: dict, cols: list[str]) -> None:
    """One row of a ` | `-separated table: floats to 3 significant digits, `-` for a
    column the row lacks."""
    print(
        " | ".join(
            f"{row[c]:.3g}" if isinstance(row.get(c), float) else str(row.get(c, "-")) for c in cols
        ),
        flush=True,
    )
