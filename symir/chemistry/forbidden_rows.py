"""The excitations a grading of the orbitals forbids but the integrals do not: rows of
their own beside the symmetry slots.

A mean field run without symmetry (PySCF's default) leaves the integrals that the
molecule's point group forbids at about its convergence tolerance: CO2 in 6-31G, an RHF
converged to 1e-9, has 668 of them above the cutoff 1e-11 (up to 8.9e-10) among 398,384
that its irreps `C2h` forbid, and 124,873 allowed ones. The grading the zeros show at
the cutoff is then coarser (two irreps: F 38,919, where NetKet's PNC operator has
34-37k), and the finer one drops coefficients of up to 1e-9 that NetKet keeps.

Here the finer grading's symmetry slots (F 22,097) take every excitation it allows, and
each excitation it forbids whose coefficient is above the cutoff for some configuration
gets an explicit row, as `slots="orbitals"` gives them (`hamiltonian._singles`,
`_doubles`: a row per single `P -> Q` with `t[P, Q] + sum_R U[P, Q, R] n_R`, a row per
hermitian pair of doubles with one emission each way): a few hundred rows. The two
sets are disjoint (a single `P -> Q` is forbidden where `g_P != g_Q`, and then every
coefficient it has, `t[P, Q]` and each `U[P, Q, R]`, is a forbidden integral; a double
likewise), so every connected state has its whole matrix element in one slot.
"""

from __future__ import annotations

import numpy as np

from symir.chemistry.symmetry import irreps


def singles(orbsym, m: int) -> tuple[np.ndarray, np.ndarray]:
    """The ordered spin-orbital pairs `(P, Q)` of one spin whose irreps differ (spin
    orbital `s m + p`, restricted orbitals of ORBSYM `orbsym`)."""
    g = irreps(orbsym)
    p, q = np.nonzero(g[:, None] != g[None, :])
    return np.concatenate([p, p + m]), np.concatenate([q, q + m])


def doubles(h2: np.ndarray, orbsym, pair_index: np.ndarray, threshold: float):
    """Pairs `i < j` of spin-orbital pairs (indices of `pair_index`) whose coefficient
    `W[i, j] = (PQ|RS) - (PS|RQ)` may be above `threshold` though the irreps forbid it:
    those of every integral `(ab|cd) = h2[a, b, c, d]` above `threshold / 2` (a
    coefficient is the difference of two) whose irreps do not multiply to the identity,
    with `P, Q` orbitals `a, b` of one spin and `R, S` orbitals `c, d` of either."""
    g = irreps(orbsym).astype(np.uint8)
    m = len(g)
    # the mask before the indices: every integral's four indices would take 32 bytes
    # each (416 MB at 60 orbitals), the forbidden ones above the cutoff are a few hundred
    product = g[:, None, None, None] ^ g[None, :, None, None] ^ g[None, None, :, None]
    forbidden = (product ^ g[None, None, None, :]) != 0
    a, b, c, d = np.nonzero(forbidden & (np.abs(h2) > threshold / 2))
    first, second = [], []
    for s in (0, 1):
        for u in (0, 1):
            P, Q, R, S = s * m + a, s * m + b, u * m + c, u * m + d
            ok = (P != R) & (Q != S)
            first.append(pair_index[P[ok], R[ok]])
            second.append(pair_index[Q[ok], S[ok]])
    i, j = np.concatenate(first), np.concatenate(second)
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    keys = np.unique(np.stack([lo[lo != hi], hi[lo != hi]], 1), axis=0)
    return keys[:, 0], keys[:, 1]


__all__ = ["doubles", "singles"]
