"""The coefficient tables of a molecular Hamiltonian: static, or table parameters.

The builders (`hamiltonian.py`, `excitations.py`) describe each coefficient table by its
keys and a function `values(t, W, xp)` of the spin-orbital one-body coefficients `t` and
the antisymmetrised pair coefficients `W`, written with the array module `xp` (numpy, or
`jax.numpy`), linear in them. `Coefficients.lookup` turns it into the matrix element's
`lookup`:

* static (`parametric=False`): screened (`|value| <= threshold` dropped, reported), the
  zero entries left out, the values written into the IR;
* a table parameter (`parametric=True`): every key kept (a zero coefficient stays an
  entry, so the derivative with respect to it exists), the values the parameter's
  default; `values_from(t, v)` gives the parameters of other integrals, with `jax.numpy`
  arrays too, so that `jax.grad` reaches the integrals through it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from symir.frontend import expr as E

Values = Callable[[Any, Any, Any], Any]
"""`(t, W, xp) -> values`, one per key, linear in `t` and `W`."""


def pair_coefficients(v: Any, p: np.ndarray, r: np.ndarray) -> Any:
    """`W[i, j]`: the coefficient of `c+_{p_i} c+_{r_i} c_{r_j} c_{p_j}` (pairs i, j)."""
    P, R = p[:, None], r[:, None]
    Q, S = p[None, :], r[None, :]
    return v[P, R, S, Q] - v[R, P, S, Q] - v[P, R, Q, S] + v[R, P, Q, S]


def pair_positions(n_sites: int, p: np.ndarray, r: np.ndarray) -> np.ndarray:
    """`(n_sites, n_sites)`: the index `i` of the pair `(p_i, r_i)` at `[p_i, r_i]` and
    `[r_i, p_i]`, -1 elsewhere (the diagonal)."""
    index = np.full((n_sites, n_sites), -1, np.int64)
    index[p, r] = index[r, p] = np.arange(len(p))
    return index


class RestrictedPairs:
    """`W` of restricted real integrals (`h2[p, q, r, s] = (pq|rs)`, chemists' notation,
    M orbitals, spin orbital `s M + p`) computed where it is read, `W[i, j]` for arrays
    of pair indices `i`, `j` (`pair_coefficients` of `spin_orbital_arrays(h1, h2)`
    without its `(2M)^4` tensor `v` and `(2M (2M - 1) / 2)^2` matrix `W`: 1.7 GB and
    0.4 GB at 120 spin orbitals). `v[A, B, C, D] = 1/2 (ad|bc)` where the spins of A, D
    and of B, C agree."""

    def __init__(self, h2: np.ndarray, p: np.ndarray, r: np.ndarray):
        self.h2, self.p, self.r = h2, p, r
        self.m = h2.shape[0]

    def _v(self, a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
        m = self.m
        same = (a // m == d // m) & (b // m == c // m)
        return np.where(same, 0.5 * self.h2[a % m, d % m, b % m, c % m], 0.0)

    def __getitem__(self, key: tuple[Any, Any]) -> np.ndarray:
        i, j = np.broadcast_arrays(np.asarray(key[0]), np.asarray(key[1]))
        P, R, Q, S = self.p[i], self.r[i], self.p[j], self.r[j]
        v = self._v
        return v(P, R, S, Q) - v(R, P, S, Q) - v(P, R, Q, S) + v(R, P, Q, S)


class Coefficients:
    """Builds the lookups of the coefficient tables (see the module docstring)."""

    def __init__(self, t: np.ndarray, W: np.ndarray, screen: Any, parametric: bool):
        self.t, self.W, self.screen, self.parametric = t, W, screen, parametric
        self.recipes: dict[str, tuple[Values, np.ndarray]] = {}
        self.kept = np.zeros(0, np.int64)
        """The keys the last `lookup` kept (every key of a table parameter)."""

    def lookup(self, name: str, keys: np.ndarray, values: Values, index: E.Expr) -> E.Expr | None:
        """`lookup(table, index)` of the table `name` (None: a static table left empty)."""
        found = np.asarray(values(self.t, self.W, np), dtype=float)
        keys = np.asarray(keys, np.int64)
        if not self.parametric:
            found = np.where(self.screen(found), found, 0.0)
            keep = found != 0
            self.kept = keys[keep]
            if not keep.any():
                return None
            return E.lookup(
                dict(zip(keys[keep].tolist(), found[keep].tolist(), strict=True)), index
            )
        order = np.argsort(keys, kind="stable")
        self.kept = keys
        self.recipes[name] = (values, order)
        return E.lookup(E.table(name, found[order], keys=keys[order]), index)

    def values_from(self, t: Any, W: Any, xp: Any) -> dict[str, Any]:
        """The entries of every table parameter for the coefficients `t` and `W`."""
        return {name: values(t, W, xp)[order] for name, (values, order) in self.recipes.items()}


def spin_orbital_arrays(h1: Any, h2: Any, xp: Any = np) -> tuple[Any, Any]:
    """`(t, v)` of restricted-orbital integrals (chemists' notation), as
    `MolecularIntegrals.spin_orbital_tensors` gives them, with the array module `xp`:
    `t[P, Q] = h1[p, q]` and `v[A, B, C, D] = 1/2 (AD|BC)` for equal spins of A, D and of
    B, C (spin-orbital index = spin * M + orbital)."""
    h1, h2 = xp.asarray(h1), xp.asarray(h2)
    m = h1.shape[0]
    eye = xp.eye(2, dtype=h1.dtype)
    t = xp.einsum("sS,ab->saSb", eye, h1).reshape(2 * m, 2 * m)
    h2t = 0.5 * xp.transpose(h2, (0, 2, 3, 1))
    v = xp.einsum("sS,uU,abcd->saubUcSd", eye, eye, h2t).reshape((2 * m,) * 4)
    return t, v


__all__ = [
    "Coefficients",
    "RestrictedPairs",
    "pair_coefficients",
    "pair_positions",
    "spin_orbital_arrays",
]
