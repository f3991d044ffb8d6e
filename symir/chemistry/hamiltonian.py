"""Second-quantised molecular Hamiltonians as a few symir terms with coefficient tables.

From spin-orbital coefficients `t[P, Q]` (of `c+_P c_Q`) and `v[A, B, C, D]` (of
`c+_A c+_B c_C c_D`, OpenFermion's `InteractionOperator` convention) the operator is
written with the symmetries that hold for any such operator:

* two-body: `c+_A c+_B c_C c_D` is antisymmetric in `(A, B)` and in `(C, D)`, so the
  N^4 products collapse onto the canonical `O(P, R; Q, S) = c+_P c+_R c_S c_Q` with `P <
  R`, `Q < S` and the coefficient
  `W[PR, QS] = v[P,R,S,Q] - v[R,P,S,Q] - v[P,R,Q,S] + v[R,P,Q,S]`
  (for restricted real integrals, `W = (PQ|RS) - (PS|RQ)`);
* hermitian pairs: `O(P, R; Q, S)` and its conjugate `O(Q, S; P, R)` share one row
  `(P, R, Q, S)` with `(P, R) < (Q, S)`, one emission each (coefficients `W[PR, QS]`
  and `W[QS, PR]`, which are equal for real integrals); `(P, R) = (Q, S)` is the
  diagonal `n_P n_R`. Together an 8-fold cut of the N^4 rows, like the 8-fold symmetry
  of real integrals;
* one-body likewise: rows `P < Q` with `c+_P c_Q` and `c+_Q c_P`, and `n_P`;
* screening: a row whose coefficients are all `|W| <= threshold` is dropped (reported).

Each coefficient is read from a table, `sym.lookup`, at a key made of the row's labels
(`((P N + R) N + Q) N + S`), so an operator of thousands of rows is a handful of terms.
The two-body rows are split by which of their four sites coincide (all distinct: double
excitations; one shared: single excitations through the two-body part, such as `c+_P
c+_R c_R c_Q`), so that on every row of a term the same factors sit on the same site: the
fermion lowering then checks and writes only the sites that change, and a single
excitation reached from the one-body term and from several two-body rows has the same
update program, which `branch-fuse-equal-states` proves equal and merges into one slot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from symir.chemistry.integrals import MolecularIntegrals
from symir.frontend import expr as E
from symir.frontend.fermion import c, cdag, n
from symir.frontend.operator import DOperator, SymbolicOperator
from symir.frontend.update import identity
from symir.hilbert import FermionHilbert


@dataclass(frozen=True)
class MolecularHamiltonian:
    """A molecular Hamiltonian as a symir operator, with what the builder did."""

    operator: SymbolicOperator
    constant: float
    threshold: float
    rows: dict[str, int]
    """Rows per term."""
    screening: dict[str, float | int] = field(default_factory=dict)
    """`kept` and `dropped` coefficients (non-zero ones only), and `max_dropped`, the
    largest magnitude dropped."""
    naive_rows: int = 0
    """`N^2 + N^4`: the rows of the one- and two-body sums written out index by index."""

    @property
    def hilbert(self):
        return self.operator.hilbert

    def compile(self, **options):
        return self.operator.compile(**options)


def _pairs(n_sites: int) -> tuple[np.ndarray, np.ndarray]:
    p, r = np.triu_indices(n_sites, k=1)
    return p.astype(np.int64), r.astype(np.int64)


def _two_body_coefficients(v: np.ndarray, p: np.ndarray, r: np.ndarray) -> np.ndarray:
    """`W[i, j]`: the coefficient of `c+_{p_i} c+_{r_i} c_{r_j} c_{p_j}` (pairs i, j)."""
    P, R = p[:, None], r[:, None]
    Q, S = p[None, :], r[None, :]
    return v[P, R, S, Q] - v[R, P, S, Q] - v[P, R, Q, S] + v[R, P, Q, S]


def spin_orbital_hamiltonian(
    t: np.ndarray,
    v: np.ndarray,
    constant: float,
    hilbert: FermionHilbert,
    *,
    threshold: float = 0.0,
    name: str = "molecule",
) -> MolecularHamiltonian:
    """The operator `constant + sum t[P,Q] c+_P c_Q + sum v[A,B,C,D] c+_A c+_B c_C c_D`
    on `hilbert` (N spin orbitals, NetKet's site order), coefficients with `|value| <=
    threshold` dropped."""
    t, v = np.asarray(t), np.asarray(v)
    nsites = hilbert.size
    if t.shape != (nsites, nsites) or v.shape != (nsites,) * 4:
        raise ValueError(
            f"t must be ({nsites}, {nsites}) and v ({nsites},)*4 for {hilbert}, got "
            f"{t.shape} and {v.shape}"
        )
    if threshold < 0:
        raise ValueError(f"threshold must be >= 0, got {threshold}")
    if np.iscomplexobj(t) or np.iscomplexobj(v):
        if np.abs(np.imag(t)).max(initial=0) > 0 or np.abs(np.imag(v)).max(initial=0) > 0:
            raise ValueError("complex integrals are not supported yet (sym.lookup is real)")
        t, v = t.real, v.real
    kept = dropped = 0
    max_dropped = 0.0

    def screen(values: np.ndarray) -> np.ndarray:
        nonlocal kept, dropped, max_dropped
        a = np.abs(values)
        keep = a > threshold
        nz = a > 0
        kept += int(np.count_nonzero(keep))
        gone = nz & ~keep
        dropped += int(np.count_nonzero(gone))
        if gone.any():
            max_dropped = max(max_dropped, float(a[gone].max()))
        return keep

    op = DOperator(hilbert, name, hermitian=bool(np.allclose(t, t.T) and _hermitian(v)))
    rows: dict[str, int] = {}
    N = nsites
    label = {k: E.site(k).index for k in "prqs"}

    # -- constant
    if constant != 0.0:
        op = op.globally().named("constant").emit(identity(), matrix_element=float(constant))
        rows["constant"] = 1

    # -- diagonal: n_P and n_P n_R
    diag = np.diagonal(t).copy()
    keep = screen(diag)
    if keep.any():
        sites = np.flatnonzero(keep)
        table = {int(s): float(diag[s]) for s in sites}
        op = (
            op.for_each(("p",), over=[(int(s),) for s in sites])
            .named("diagonal_one_body")
            .emit(n("p"), matrix_element=E.lookup(table, label["p"]))
        )
        rows["diagonal_one_body"] = len(sites)
    p, r = _pairs(N)
    W = _two_body_coefficients(v, p, r)
    dW = np.diagonal(W).copy()
    keep = screen(dW)
    if keep.any():
        idx = np.flatnonzero(keep)
        table = {int(p[i] * N + r[i]): float(dW[i]) for i in idx}
        op = (
            op.for_each(("p", "r"), over=np.stack([p[idx], r[idx]], 1).tolist())
            .named("diagonal_two_body")
            .emit(n("p") * n("r"), matrix_element=E.lookup(table, label["p"] * N + label["r"]))
        )
        rows["diagonal_two_body"] = len(idx)

    # -- singles: c+_P c_Q (t[P, Q] + sum_R U[P, Q, R] n_R), one row per ordered P != Q
    pair_index = np.full((N, N), -1, np.int64)
    pair_index[p, r] = pair_index[r, p] = np.arange(len(p))
    P1, Q1 = np.nonzero(~np.eye(N, dtype=bool))
    U = np.zeros((len(P1), N))
    for R in range(N):
        other = (P1 != R) & (Q1 != R)
        a, b = P1[other], Q1[other]
        U[other, R] = W[pair_index[a, R], pair_index[b, R]] * np.sign(R - a) * np.sign(R - b)
    t1 = t[P1, Q1]
    keep_t, keep_u = screen(t1), screen(U)
    U = np.where(keep_u, U, 0.0)
    t1 = np.where(keep_t, t1, 0.0)
    keep = keep_t | keep_u.any(axis=1)
    if keep.any():
        P1, Q1, t1, U = P1[keep], Q1[keep], t1[keep], U[keep]
        keys = (P1 * N + Q1).tolist()
        element = E.lookup(dict(zip(keys, t1.tolist(), strict=True)), label["p"] * N + label["q"])
        for R in np.flatnonzero(np.any(U != 0, axis=0)):
            nz = U[:, R] != 0
            table = dict(zip((P1[nz] * N + Q1[nz]).tolist(), U[nz, R].tolist(), strict=True))
            element = element + E.lookup(table, label["p"] * N + label["q"]) * E.source_index(
                int(R)
            )
        op = (
            op.for_each(("p", "q"), over=np.stack([P1, Q1], 1).tolist())
            .named("singles")
            .emit(cdag("p") * c("q"), matrix_element=element)
        )
        rows["singles"] = int(len(P1))

    # -- doubles: c+_P c+_R c_S c_Q on 4 distinct sites, a row per hermitian pair
    i, j = np.triu_indices(len(p), k=1)
    P, R, Q, S = p[i], r[i], p[j], r[j]
    distinct = (P != Q) & (P != S) & (R != Q) & (R != S)
    i, j, P, R, Q, S = i[distinct], j[distinct], P[distinct], R[distinct], Q[distinct], S[distinct]
    forward, backward = W[i, j], W[j, i]
    k_f, k_b = screen(forward), screen(backward)
    keep = k_f | k_b
    if keep.any():
        P, R, Q, S = P[keep], R[keep], Q[keep], S[keep]
        forward = np.where(k_f, forward, 0.0)[keep]
        backward = np.where(k_b, backward, 0.0)[keep]
        key_f = ((P * N + R) * N + Q) * N + S
        key_b = ((Q * N + S) * N + P) * N + R
        table = dict(zip(key_f.tolist(), forward.tolist(), strict=True))
        table.update(zip(key_b.tolist(), backward.tolist(), strict=True))
        key_expr_f = ((label["p"] * N + label["r"]) * N + label["q"]) * N + label["s"]
        key_expr_b = ((label["q"] * N + label["s"]) * N + label["p"]) * N + label["r"]
        product = cdag("p") * cdag("r") * c("s") * c("q")
        op = (
            op.for_each(("p", "r", "q", "s"), over=np.stack([P, R, Q, S], 1).tolist())
            .named("doubles")
            .emit(product, matrix_element=E.lookup(table, key_expr_f))
            .emit(product.dagger(), matrix_element=E.lookup(table, key_expr_b))
        )
        rows["doubles"] = int(len(P))
    return MolecularHamiltonian(
        operator=op.build(),
        constant=float(constant),
        threshold=float(threshold),
        rows=rows,
        screening={"kept": kept, "dropped": dropped, "max_dropped": max_dropped},
        naive_rows=N**2 + N**4,
    )


def _hermitian(v: np.ndarray) -> bool:
    # (c+_A c+_B c_C c_D)^dagger = c+_D c+_C c_B c_A
    return bool(np.allclose(v, np.transpose(v, (3, 2, 1, 0)).conj()))


def molecular_hamiltonian(
    integrals: MolecularIntegrals, *, threshold: float = 0.0, name: str = "molecule"
) -> MolecularHamiltonian:
    """The Hamiltonian of restricted-orbital integrals on `SpinOrbitalFermions(M,
    s=1/2, n_fermions_per_spin=(N_beta, N_alpha))` (unconstrained without NELEC)."""
    t, v = integrals.spin_orbital_tensors()
    return spin_orbital_hamiltonian(
        t, v, integrals.constant, integrals.hilbert(), threshold=threshold, name=name
    )


__all__ = ["MolecularHamiltonian", "molecular_hamiltonian", "spin_orbital_hamiltonian"]
