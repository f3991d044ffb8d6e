"""What several benchmark scripts share: the comma-separated name lists of their command
lines and the comparison of two kernels' connected states (the scripts import it as
`_common`: `python benchmarks/<script>.py` puts this folder on `sys.path`)."""

from __future__ import annotations

import sys

import numpy as np


def names(text: str, known, what: str) -> list[str]:
    """The comma-separated names in `text`; exits naming any not in `known`."""
    found = [s for s in text.split(",") if s]
    unknown = [s for s in found if s not in known]
    if unknown:
        sys.exit(f"unknown {what} {unknown}; known: {', '.join(known)}")
    return found


def conn_dicts(xp, mels) -> list[dict[bytes, float]]:
    """Per sample, the connected states with their matrix elements summed, zeros dropped."""
    xp = np.asarray(xp).astype(np.int64)
    mels = np.asarray(mels)
    out = []
    for b in range(xp.shape[0]):
        d: dict[bytes, float] = {}
        for f in np.flatnonzero(mels[b] != 0):
            key = xp[b, f].tobytes()
            d[key] = d.get(key, 0.0) + mels[b, f]
        out.append({k: v for k, v in d.items() if abs(v) > 1e-12})
    return out


def first_difference(ours, ref) -> tuple[int, int, int, int, int] | None:
    """Compares two `(xp, mels)` outputs sample by sample: the first sample whose
    connected states or summed matrix elements (1e-10) differ, as (sample, states of
    `ours`, states of `ref`, states not in both, states with different summed mels), or
    None when all agree."""
    for s, (da, db) in enumerate(zip(conn_dicts(*ours), conn_dicts(*ref))):
        only = len(set(da) ^ set(db))
        differ = sum(abs(da[k] - db[k]) > 1e-10 for k in set(da) & set(db))
        if only or differ:
            return s, len(da), len(db), only, differ
    return None
