"""OpenFermion's `InteractionOperator` and `FermionOperator` as symir operators.

Read duck-typed: nothing here imports OpenFermion (a heavy install, the `openfermion`
extra), the objects are read through their attributes:

* an `InteractionOperator` through `constant`, `one_body_tensor[p, q]` (the
  coefficient of `a+_p a_q`) and `two_body_tensor[p, q, r, s]` (of `a+_p a+_q a_r a_s`);
* a `FermionOperator` through `terms`, a dict from tuples of `(index, action)` (`1`
  creates, `0` annihilates) to coefficients, `()` the constant. Terms need not be
  normal ordered; normal ordered with the anticommutation relations, each must conserve
  the particle number and act on at most two particles (a Hamiltonian's terms).

OpenFermion numbers spin orbitals interleaved, `2p` spin up (alpha) and `2p + 1` spin
down (beta) of spatial orbital `p`; NetKet's `SpinOrbitalFermions(M, s=1/2)` (and
symir's `Fermions(M, 2)`) puts spin down first, sites `0 .. M-1`, then spin up, `M ..
2M-1`. `openfermion_sites(M)[i]` is the site of OpenFermion's spin orbital `i`; the
tensors are permuted to that order before the operator is written
(`spin_orbital_hamiltonian`: the compact form of docs/molecules.md).
"""

from __future__ import annotations

import numbers

import numpy as np

from symir.chemistry.hamiltonian import MolecularHamiltonian, spin_orbital_hamiltonian


def openfermion_sites(n_orbitals: int) -> np.ndarray:
    """`sites[i]`: the site, in NetKet's order (spin down first), of OpenFermion's spin
    orbital `i` (`2p` up, `2p + 1` down) of `n_orbitals` spatial orbitals."""
    i = np.arange(2 * n_orbitals)
    return i // 2 + np.where(i % 2 == 0, n_orbitals, 0)


def from_openfermion(
    operator,
    *,
    n_fermions_per_spin: tuple[int, int] | None = None,
    n_orbitals: int | None = None,
    threshold: float | None = None,
    name: str = "openfermion",
    slots: str = "auto",
) -> MolecularHamiltonian:
    """The operator of an OpenFermion `InteractionOperator` or `FermionOperator` (read
    through its attributes; OpenFermion need not be installed) on `Fermions(M, 2,
    n_fermions_per_spin=...)`, NetKet's `SpinOrbitalFermions(M, s=1/2, ...)`.

    `n_fermions_per_spin` is in NetKet's order, `(N_down, N_up)` = `(N_beta, N_alpha)`
    (None: every particle number). `n_orbitals`, the spatial orbitals M, defaults to half
    the tensors' size (`InteractionOperator`) or to what the largest index needs
    (`FermionOperator`). OpenFermion's interleaved spin orbitals are mapped to NetKet's
    order (`openfermion_sites`); `threshold` screens and `slots` indexes the slots as
    `molecular_hamiltonian` does."""
    if _is_interaction_operator(operator):
        constant, t, v = _interaction_tensors(operator)
        m = _orbitals(t.shape[0], n_orbitals)
    elif hasattr(operator, "terms") and isinstance(operator.terms, dict):
        m = _orbitals(_modes_needed(operator.terms), n_orbitals)
        constant, t, v = _normal_ordered_tensors(operator.terms, 2 * m)
    else:
        raise TypeError(
            "from_openfermion reads an InteractionOperator (constant, one_body_tensor, "
            "two_body_tensor) or a FermionOperator (terms), got "
            f"{type(operator).__name__}"
        )
    if isinstance(constant, complex):
        raise ValueError(f"OpenFermion input: the constant {constant} is not real")
    if t.shape[0] < 2 * m:  # an InteractionOperator padded to more orbitals
        t, v = _pad(t, 2 * m), _pad(v, 2 * m)
    order = np.argsort(openfermion_sites(m))  # order[site] = OpenFermion's index
    t = t[np.ix_(order, order)]
    v = v[np.ix_(order, order, order, order)]
    from symir.hilbert import Fermions

    if n_fermions_per_spin is None:
        hilbert = Fermions(m, 2)
    else:
        hilbert = Fermions(m, 2, n_fermions_per_spin=tuple(int(k) for k in n_fermions_per_spin))
    return spin_orbital_hamiltonian(
        t, v, constant, hilbert, threshold=threshold, name=name, slots=slots
    )


def _is_interaction_operator(operator) -> bool:
    return all(hasattr(operator, a) for a in ("constant", "one_body_tensor", "two_body_tensor"))


def _interaction_tensors(operator) -> tuple[complex, np.ndarray, np.ndarray]:
    t = np.asarray(operator.one_body_tensor)
    v = np.asarray(operator.two_body_tensor)
    n = t.shape[0] if t.ndim == 2 else -1
    if t.ndim != 2 or t.shape != (n, n) or v.shape != (n,) * 4:
        raise ValueError(
            "InteractionOperator: one_body_tensor must be (N, N) and two_body_tensor "
            f"(N, N, N, N), got {t.shape} and {v.shape}"
        )
    return _number(operator.constant, "constant"), t, v


def _orbitals(n_modes: int, n_orbitals: int | None) -> int:
    if n_orbitals is None:
        return (n_modes + 1) // 2
    if 2 * n_orbitals < n_modes:
        raise ValueError(
            f"n_orbitals={n_orbitals} is too few: the operator acts on {n_modes} spin orbitals"
        )
    return int(n_orbitals)


def _pad(a: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros((n,) * a.ndim, a.dtype)
    out[tuple(slice(0, k) for k in a.shape)] = a
    return out


def _number(value, what: str) -> complex | float:
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if not isinstance(value, numbers.Number):
        raise TypeError(f"OpenFermion input: the {what} {value!r} is not a number")
    return value.real if complex(value).imag == 0 else complex(value)


def _modes_needed(terms: dict) -> int:
    indices = [i for term in terms for i, _ in _checked(term)]
    return max(indices, default=-1) + 1


def _checked(term) -> tuple[tuple[int, int], ...]:
    try:
        ops = tuple((int(i), int(a)) for i, a in term)
    except (TypeError, ValueError):
        raise ValueError(
            f"FermionOperator: a term must be ((index, action), ...), got {term!r}"
        ) from None
    if any(i < 0 or a not in (0, 1) for i, a in ops):
        raise ValueError(
            f"FermionOperator term {term!r}: indices must be >= 0 and actions 1 (create) "
            "or 0 (annihilate)"
        )
    return ops


def _normal_ordered_tensors(terms: dict, n: int) -> tuple[float, np.ndarray, np.ndarray]:
    """`(constant, t, v)` of the terms normal ordered: creators left of annihilators,
    each in its order of appearance, contractions `a_i a+_i = 1 - a+_i a_i` added."""
    ordered: dict[tuple[tuple[int, int], ...], complex] = {}
    for term, coefficient in terms.items():
        c = _number(coefficient, f"coefficient of {term!r}")
        for product, sign in _normal_order(_checked(term)):
            ordered[product] = ordered.get(product, 0.0) + sign * c
    dtype = complex if any(isinstance(c, complex) for c in ordered.values()) else float
    constant = 0.0
    t = np.zeros((n, n), dtype)
    v = np.zeros((n,) * 4, dtype)
    for product, c in ordered.items():
        created = [i for i, a in product if a == 1]
        destroyed = [i for i, a in product if a == 0]
        if len(created) != len(destroyed) or len(created) > 2:
            if c == 0:
                continue
            raise ValueError(
                f"FermionOperator: the normal-ordered term {product} (coefficient {c}) "
                + (
                    "does not conserve the particle number"
                    if len(created) != len(destroyed)
                    else "acts on more than two particles"
                )
                + "; only Hamiltonians of one- and two-body terms are read"
            )
        if not created:
            constant += c
        elif len(created) == 1:
            t[created[0], destroyed[0]] += c
        else:
            v[created[0], created[1], destroyed[0], destroyed[1]] += c
    return constant, t, v


def _normal_order(ops: tuple[tuple[int, int], ...]):
    """Yields `(product, sign)`: the normal-ordered products (creators first, each kind in
    its order of appearance) whose sum, with signs, is `ops`."""
    for k in range(len(ops) - 1):
        (i, a), (j, b) = ops[k], ops[k + 1]
        if a == 0 and b == 1:  # a_i a+_j = delta_ij - a+_j a_i
            swapped = (*ops[:k], ops[k + 1], ops[k], *ops[k + 2 :])
            for product, sign in _normal_order(swapped):
                yield product, -sign
            if i == j:
                yield from _normal_order((*ops[:k], *ops[k + 2 :]))
            return
    yield ops, 1


__all__ = ["from_openfermion", "openfermion_sites"]
