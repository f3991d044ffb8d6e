"""Second-quantised molecular Hamiltonians as a few symir terms with coefficient tables.

Two ways to index the slots (`slots=`): by the excitations of each state's electrons
(`"excitations"`, symir/chemistry/excitations.py: the default on a space that fixes the
number of electrons of each spin, `F` the number of states a state reaches), or by spin
orbitals (`"orbitals"`, below). Both share the coefficients and the diagonal terms.

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

Indexed by orbitals, each coefficient is read from a table, `sym.lookup`, at a key made
of the row's labels (`((P N + R) N + Q) N + S`), so an operator of thousands of rows is
five terms:

| term | rows | emits |
|---|---|---|
| `constant` | one | the core energy |
| `diagonal_one_body`, `diagonal_two_body` | `P`; `P < R` | `n_P`, `n_P n_R` (coalesced into one diagonal slot) |
| `singles` | ordered `P != Q` | `c+_P c_Q (t[P, Q] + sum_R U[P, Q, R] n_R)` |
| `doubles` | `(P, R) < (Q, S)`, four distinct sites | `O(P, R; Q, S)` and its conjugate |

The singles gather every product that reaches the same state: the one-body `c+_P c_Q`
and the two-body products with one site `R` created and annihilated (`c+_P c+_R c_R c_Q
= c+_P c_Q n_R` for `R` not `P` or `Q`, up to the order of the pairs), so their matrix
element is the Slater-Condon sum `t[P, Q] + sum_R U[P, Q, R] x_R` (`U` from `W` with
the signs of the reordering) read from N tables. Each slot of the kernel is then one
distinct excitation of the spin orbitals: no two slots of a sample hold the same `x'`
(what `branch-fuse-equal-states` would otherwise have to find; it finds nothing left).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field, replace
from math import comb, prod
from typing import Any

import numpy as np

import symir.chemistry.excitations as excitations
import symir.chemistry.forbidden_rows as forbidden_rows
import symir.chemistry.irrep_slots as irrep_slots
from symir.chemistry.integrals import MolecularIntegrals, check_finite
from symir.chemistry.symmetry import (
    CUTOFF,
    check_orbsym,
    connected_bound,
    forbidden_integrals,
    orbsym_from_integrals,
)
from symir.chemistry.tables import (
    Coefficients,
    RestrictedPairs,
    pair_coefficients,
    pair_positions,
    spin_orbital_arrays,
)
from symir.frontend import expr as E
from symir.frontend.builder import DOperator
from symir.frontend.fermion import c, cdag, n
from symir.frontend.fermion_algebra import LazyStrings
from symir.frontend.fermion_tables import MAX_KEPT_STRINGS
from symir.frontend.operator import SymbolicOperator
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
    slots: str = "orbitals"
    """How the slots are indexed: `"excitations"` (of a configuration's own particles),
    `"symmetry"` (those ORBSYM allows) or `"orbitals"` (`spin_orbital_hamiltonian(...,
    slots=)`)."""
    coefficients: Coefficients | None = None
    """The table parameters' recipes (`parametric=True`), else None."""
    pairs: tuple[np.ndarray, np.ndarray] | None = None
    """The pairs `p < r` indexing `W`."""
    orbsym: tuple[int, ...] | None = None
    """The irreps the symmetry slots follow (`slots="symmetry"`): the integrals' ORBSYM,
    or, without one, those of the tables' zeros (`symmetry.orbsym_from_integrals`)."""
    tabulated: bool = False
    """`compile()` reads the connected states from a table of every configuration of the
    sector (`CompiledOperator.tabulated`): what `slots="auto"` takes on a small sector
    (`TABULATE_STATES`)."""

    def parameters(self, t: Any, v: Any) -> dict[str, Any]:
        """The table parameters of the operator of spin-orbital coefficients `t[P, Q]` and
        `v[A, B, C, D]` (as `spin_orbital_hamiltonian` takes them; numpy or `jax.numpy`
        arrays: differentiable), for `with_params`. The constant is not a parameter."""
        if self.coefficients is None or self.pairs is None:
            raise ValueError(
                f"operator {self.operator.name!r} was built with static coefficient tables: "
                "build it with parametric=True to give its coefficients at run time"
            )
        xp = _array_module(t, v)
        p, r = self.pairs
        return self.coefficients.values_from(t, _two_body_coefficients(v, p, r), xp)

    def parameters_from_integrals(self, h1: Any, h2: Any) -> dict[str, Any]:
        """`parameters` of restricted-orbital integrals `h1[M, M]` and `h2[M, M, M, M]`
        (chemists' notation, as `MolecularIntegrals` holds them; differentiable)."""
        xp = _array_module(h1, h2)
        return self.parameters(*spin_orbital_arrays(h1, h2, xp))

    @property
    def hilbert(self):
        return self.operator.hilbert

    def compile(self, *, tabulate: bool | None = None, **options):
        """The compiled operator, without the runtime's sector check
        (`CompiledOperator.keeping_sectors`): every term is the constant or a fermion
        product, which the DSL checks keeps each spin's number on every row (HCN 6-31G:
        29.6 -> 22.0 ms per batch of 64, docs/molecules.md).

        `tabulate`: read the connected states from a table of every configuration of the
        sector (`CompiledOperator.tabulated`, symir/runtime/sector_table.py). None (the
        default) does where `molecular_hamiltonian(slots="auto")` chose it
        (`tabulated`: a sector of at most `TABULATE_STATES` configurations); True asks
        for it (a ValueError where it does not apply), False keeps the kernel."""
        compiled = self.operator.compile(**options).keeping_sectors()
        if tabulate:
            return compiled.tabulated()
        if tabulate is None and self.tabulated:
            from symir.runtime import sector_table

            return sector_table.tabulate(compiled) or compiled
        return compiled

    # Arithmetic is the operator's (`mh + penalty`, `2 * mh`, `mh @ mh`): the result is a
    # `SymbolicOperator`, compiled with its own checks.
    def __add__(self, other: Any) -> Any:
        return self.operator + _operand(other)

    def __radd__(self, other: Any) -> Any:
        return _operand(other) + self.operator

    def __sub__(self, other: Any) -> Any:
        return self.operator - _operand(other)

    def __rsub__(self, other: Any) -> Any:
        return _operand(other) - self.operator

    def __mul__(self, other: Any) -> Any:
        return self.operator * _operand(other)

    def __rmul__(self, other: Any) -> Any:
        return _operand(other) * self.operator

    def __truediv__(self, other: Any) -> Any:
        return self.operator / other

    def __neg__(self) -> Any:
        return -self.operator

    def __matmul__(self, other: Any) -> Any:
        return self.operator @ _operand(other)

    def __rmatmul__(self, other: Any) -> Any:
        return _operand(other) @ self.operator


def _operand(value: Any) -> Any:
    """A `MolecularHamiltonian` as its operator, anything else as it is."""
    return value.operator if isinstance(value, MolecularHamiltonian) else value


def _array_module(*arrays: Any) -> Any:
    """`jax.numpy` when one of `arrays` is a JAX array (or tracer), else numpy."""
    if any(type(a).__module__.startswith("jax") for a in arrays):
        import jax.numpy as jnp

        return jnp
    return np


def _pairs(n_sites: int) -> tuple[np.ndarray, np.ndarray]:
    p, r = np.triu_indices(n_sites, k=1)
    return p.astype(np.int64), r.astype(np.int64)


_two_body_coefficients = pair_coefficients


class _Screen:
    """Drops coefficients with `|value| <= threshold` and counts what it kept and dropped."""

    def __init__(self, threshold: float):
        self.threshold = threshold
        self.kept = self.dropped = 0
        self.max_dropped = 0.0

    def __call__(self, values: np.ndarray) -> np.ndarray:
        a = np.abs(values)
        keep = a > self.threshold
        gone = (a > 0) & ~keep
        self.kept += int(np.count_nonzero(keep))
        self.dropped += int(np.count_nonzero(gone))
        if gone.any():
            self.max_dropped = max(self.max_dropped, float(a[gone].max()))
        return keep

    def report(self) -> dict[str, float | int]:
        return {"kept": self.kept, "dropped": self.dropped, "max_dropped": self.max_dropped}


_LABEL = {k: E.site(k).index for k in "prqs"}


def _check(t, v, hilbert: FermionHilbert, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    t, v = np.asarray(t), np.asarray(v)
    nsites = hilbert.size
    if t.shape != (nsites, nsites) or v.shape != (nsites,) * 4:
        raise ValueError(
            f"t must be ({nsites}, {nsites}) and v ({nsites},)*4 for {hilbert}, got "
            f"{t.shape} and {v.shape}"
        )
    check_finite(t, "t")
    check_finite(v, "v")
    if np.iscomplexobj(t) or np.iscomplexobj(v):
        if np.abs(np.imag(t)).max(initial=0) > 0 or np.abs(np.imag(v)).max(initial=0) > 0:
            raise ValueError("complex integrals are not supported yet (sym.lookup is real)")
        t, v = t.real, v.real
    return t, v


def _threshold(threshold: Any, parametric: bool) -> float:
    """The integral cutoff: `CUTOFF` by default (0 with `parametric=True`), else a finite
    real number >= 0 (a NaN compared false with every coefficient and dropped them all)."""
    if threshold is None:
        return 0.0 if parametric else CUTOFF
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real):
        raise ValueError(f"threshold must be a real number >= 0, got {threshold!r}")
    if not np.isfinite(threshold) or threshold < 0:
        raise ValueError(f"threshold must be a finite number >= 0, got {threshold}")
    return float(threshold)


SLOTS = ("auto", "excitations", "orbitals", "symmetry")
"""How the terms index their slots (`spin_orbital_hamiltonian(..., slots=)`)."""


def spin_orbital_hamiltonian(
    t: np.ndarray,
    v: np.ndarray,
    constant: float,
    hilbert: FermionHilbert,
    *,
    threshold: float | None = None,
    name: str = "molecule",
    slots: str = "auto",
    parametric: bool = False,
    orbsym=None,
) -> MolecularHamiltonian:
    """The operator `constant + sum t[P,Q] c+_P c_Q + sum v[A,B,C,D] c+_A c+_B c_C c_D`
    on `hilbert` (N spin orbitals, NetKet's site order), coefficients with `|value| <=
    threshold` dropped (default `symir.chemistry.symmetry.CUTOFF`, 1e-11, NetKet's PNC
    operator's cutoff: numerical zeros get no table entry; 0 with `parametric=True`).

    `slots`: `"excitations"` indexes the slots by the excitations of a configuration's
    own particles (the k-th particle of a sector to its l-th hole, ...: `F` is the number
    of states a configuration reaches; symir/chemistry/excitations.py), which needs a
    space that fixes the number of fermions of every sector; `"orbitals"` by spin
    orbitals (`F = 1 + singles + doubles` over all orbitals, rows without a coefficient
    dropped); `"auto"` (default): excitations on such a space, else orbitals.

    `parametric=True`: every coefficient table is a table parameter (`symir.table`, every
    symmetry-allowed entry kept, zeros too): `with_params(**h.parameters(t2, v2))` gives
    the operator of other integrals without recompiling, and the matrix elements are
    differentiable with respect to them (`jax.grad` through `parameters`, whose arrays
    may be `jax.numpy` ones; docs/molecules.md). Needs `slots="excitations"` and
    `threshold=0`.

    `slots="symmetry"` with `orbsym`, the irreps of the spatial orbitals (FCIDUMP labels
    1..8, the same for every spin: restricted orbitals): excitation slots that follow
    the point-group symmetry (symir/chemistry/irrep_slots.py: a slot only for the
    excitations ORBSYM allows, numbered per configuration; `F` within a few per cent of
    `symmetry.connected_bound`), on a space that fixes the electrons of each spin, with
    static tables; a coefficient above the cutoff that ORBSYM forbids is a ValueError
    naming it. `molecular_hamiltonian(slots="auto")` takes it where it pays
    (`SYMMETRY_RATIO`); here it is asked for."""
    threshold = _threshold(threshold, parametric)
    t, v = _check(t, v, hilbert, threshold)
    check_finite(np.asarray(constant), "the constant")
    slots = _slots(slots, hilbert)
    p, r = _pairs(hilbert.size)
    W = _two_body_coefficients(v, p, r)
    return _hamiltonian(t, W, (p, r), constant, hilbert, threshold, name, slots, parametric, orbsym)


def _hamiltonian(
    t,
    W,
    pairs,
    constant: float,
    hilbert: FermionHilbert,
    threshold: float,
    name: str,
    slots: str,
    parametric: bool,
    orbsym,
    checked: bool = False,
    forbidden: bool = False,
) -> MolecularHamiltonian:
    """The operator of `spin_orbital_hamiltonian` from `t` and the pair coefficients `W`
    (an array, or `RestrictedPairs` read where needed); `checked`: `W` is known to be
    hermitian (with `t`), to conserve each spin and to hold nothing above `threshold`
    that ORBSYM forbids (`molecular_hamiltonian` checked the integrals instead), or, with
    `forbidden` (`W` a `RestrictedPairs`), what it forbids gets rows of its own
    (symir/chemistry/forbidden_rows.py)."""
    p, r = pairs
    if parametric and (slots != "excitations" or threshold != 0.0):
        raise ValueError(
            "parametric=True (coefficient tables as parameters) needs slots='excitations' "
            f"(a space that fixes the electrons of each spin) and threshold=0, got "
            f"slots={slots!r}, threshold={threshold}"
        )
    screen = _Screen(threshold)
    coefficients = Coefficients(t, W, screen, parametric)
    op = DOperator(hilbert, name, hermitian=checked or _hermitian(t, W))
    rows: dict[str, int] = {}
    if constant != 0.0:
        op = op.globally().named("constant").emit(identity(), matrix_element=float(constant))
        rows["constant"] = 1
    op = _diagonal(op, coefficients, p, r, rows)
    if slots == "symmetry":
        if orbsym is None or parametric or not hilbert.sectors:
            raise ValueError(
                "slots='symmetry' needs orbsym= (the orbitals' irreps), a space that fixes "
                "the electrons of each spin and static tables (parametric=False)"
            )
        if not checked:
            irrep_slots.check(t, W, p, r, orbsym, threshold)
        op = _excitations(op, t, W, p, r, hilbert, coefficients, rows, orbsym, checked)
        if forbidden:
            op = _forbidden(op, t, W, p, r, orbsym, screen, rows)
    elif slots == "excitations":
        op = _excitations(op, t, W, p, r, hilbert, coefficients, rows)
    else:
        op = _singles(op, t, W, p, r, screen, rows)
        op = _doubles(op, W, p, r, screen, rows)
    N = hilbert.size
    operator = op.build()
    # its fermion strings, listed when first read (`mh @ mh`: fermion_algebra.py)
    operator._fermion_strings = LazyStrings(
        lambda: molecular_strings(t, W, pairs, float(constant), threshold)
    )
    return MolecularHamiltonian(
        operator=operator,
        constant=float(constant),
        threshold=float(threshold),
        rows=rows,
        screening=screen.report(),
        naive_rows=N**2 + N**4,
        slots=slots,
        coefficients=coefficients if parametric else None,
        pairs=(p, r),
        orbsym=tuple(orbsym) if slots == "symmetry" else None,
    )


def _forbidden_candidates(t, W: RestrictedPairs, p, r, orbsym, threshold: float) -> tuple:
    """`(ordered, pairs)`: the singles and the pairs of doubles ORBSYM forbids whose
    coefficients may be above `threshold` (symir/chemistry/forbidden_rows.py), for
    `_single_rows` and `_double_rows`."""
    n_sites = t.shape[0]
    ordered = forbidden_rows.singles(orbsym, n_sites // 2)
    pair_index = pair_positions(n_sites, p, r)
    return ordered, forbidden_rows.doubles(W.h2, orbsym, pair_index, threshold)


def _forbidden(op: DOperator, t, W: RestrictedPairs, p, r, orbsym, screen, rows) -> DOperator:
    """Rows of their own for the excitations ORBSYM forbids whose coefficients are above
    the cutoff (symir/chemistry/forbidden_rows.py)."""
    ordered, pairs = _forbidden_candidates(t, W, p, r, orbsym, screen.threshold)
    op = _singles(op, t, W, p, r, screen, rows, ordered, "forbidden_singles")
    return _doubles(op, W, p, r, screen, rows, pairs, "forbidden_doubles")


def _forbidden_row_counts(t, W: RestrictedPairs, p, r, orbsym, threshold: float) -> tuple:
    """`(singles, pairs of doubles)`: the rows `_forbidden` builds (each single row one
    slot, each pair of doubles two), from the same selection (`_single_rows`,
    `_double_rows`) without building them."""
    ordered, pairs = _forbidden_candidates(t, W, p, r, orbsym, threshold)
    singles = _single_rows(t, W, p, r, _Screen(threshold), ordered)[0]
    doubles = _double_rows(W, p, r, _Screen(threshold), pairs)[0]
    return len(singles), len(doubles)


def molecular_strings(t, W, pairs, constant: float, threshold: float) -> tuple:
    """The operator's fermion strings, `((site, dagger), ...)` and weights
    (symir/frontend/fermion_algebra.py): the constant, `t[P, Q] c+_P c_Q` and `W[i, j]
    c+_{p_i} c+_{r_i} c_{r_j} c_{p_j}` (`W` an array or `RestrictedPairs`, read a block of
    rows at a time), coefficients with `|value| <= threshold` left out, as the tables
    leave them out. A `ValueError` past `MAX_KEPT_STRINGS` strings (the product of two
    such operators would be refused anyway)."""
    p, r = pairs
    t = np.asarray(t)
    strings: list = [((), constant)] if constant != 0.0 else []
    P, Q = np.nonzero(np.abs(t) > threshold)
    strings += [(((a, 1), (b, 0)), w) for a, b, w in zip(P.tolist(), Q.tolist(), t[P, Q].tolist())]
    n = len(p)
    rows = max(1, (1 << 20) // max(1, n))
    columns = np.arange(n)
    for start in range(0, n, rows):
        i = np.arange(start, min(n, start + rows))
        block = np.asarray(W[i[:, None], columns[None, :]])
        rows_kept, J = np.nonzero(np.abs(block) > threshold)
        if len(strings) + len(rows_kept) > MAX_KEPT_STRINGS:
            raise ValueError(
                f"the molecular Hamiltonian has more than {MAX_KEPT_STRINGS:,} fermion "
                "strings above its threshold: too many for the algebra of strings (`@`)"
            )
        a, b = i[rows_kept], J
        strings += [
            (((pa, 1), (ra, 1), (rb, 0), (pb, 0)), w)
            for pa, ra, pb, rb, w in zip(
                p[a].tolist(),
                r[a].tolist(),
                p[b].tolist(),
                r[b].tolist(),
                block[rows_kept, J].tolist(),
            )
        ]
    return tuple(strings)


def _slots(slots: str, hilbert: FermionHilbert) -> str:
    if slots not in SLOTS:
        raise ValueError(f"slots must be one of {SLOTS}, got {slots!r}")
    fixed = bool(hilbert.sectors)
    if slots == "auto":
        return "excitations" if fixed else "orbitals"
    if slots == "excitations" and not fixed:
        raise ValueError(
            f"slots='excitations' needs a space that fixes the number of fermions of every "
            f"spin sector (n_fermions_per_spin= or n_fermions=), got {hilbert}"
        )
    return slots


def _excitations(
    op: DOperator,
    t,
    W,
    p,
    r,
    hilbert: FermionHilbert,
    coefficients,
    rows,
    orbsym=None,
    checked: bool = False,
):
    """The singles and doubles indexed by the ranks of a configuration's particles and
    holes in each sector (symir/chemistry/excitations.py), or with ORBSYM by its
    symmetry-allowed excitations (symir/chemistry/irrep_slots.py)."""
    blocks = list(hilbert.sectors)
    if not checked:
        excitations.check_conserving(t, W, p, r, blocks)
    pair_index = pair_positions(hilbert.size, p, r)
    if orbsym is not None:
        return irrep_slots.terms(op, blocks, orbsym, coefficients, pair_index, rows)
    for b, block in enumerate(blocks):
        op = excitations.singles(op, block, coefficients, pair_index, rows, f"singles_{b}")
    for b, block in enumerate(blocks):
        op = excitations.same_sector_doubles(
            op, block, coefficients, pair_index, rows, f"doubles_{b}"
        )
    for b, first in enumerate(blocks):
        for b2 in range(b + 1, len(blocks)):
            name = f"doubles_{b}_{b2}"
            op = excitations.cross_sector_doubles(
                op, first, blocks[b2], coefficients, pair_index, rows, name
            )
    return op


def _diagonal(op: DOperator, coefficients: Coefficients, p, r, rows: dict) -> DOperator:
    """`t[P, P] n_P` and `W[PR, PR] n_P n_R` (P < R)."""
    N = coefficients.t.shape[0]
    sites = np.arange(N)
    element = coefficients.lookup(
        "diagonal_one_body", sites, lambda t, W, xp: xp.diagonal(t), _LABEL["p"]
    )
    if element is not None:
        kept = coefficients.kept
        op = (
            op.for_each(("p",), over=[(int(s),) for s in kept])
            .named("diagonal_one_body")
            .emit(n("p"), matrix_element=element)
        )
        rows["diagonal_one_body"] = len(kept)
    pairs = np.arange(len(p))
    element = coefficients.lookup(
        "diagonal_two_body",
        p * N + r,
        lambda t, W, xp: W[pairs, pairs],
        _LABEL["p"] * N + _LABEL["r"],
    )
    if element is not None:
        kept = coefficients.kept
        op = (
            op.for_each(("p", "r"), over=np.stack([kept // N, kept % N], 1).tolist())
            .named("diagonal_two_body")
            .emit(n("p") * n("r"), matrix_element=element)
        )
        rows["diagonal_two_body"] = len(kept)
    return op


def _singles(
    op: DOperator, t, W, p, r, screen: _Screen, rows: dict, ordered=None, name="singles"
) -> DOperator:
    """`c+_P c_Q (t[P, Q] + sum_R U[P, Q, R] n_R)`, one row per ordered P != Q (or per
    pair of `ordered`, `(P, Q)` arrays): the one-body part and every two-body product
    with one site R created and annihilated (`c+_P c+_R c_R c_Q = c+_P c_Q n_R` up to the
    order of the pairs), which reach the same state; `n_R` reads x (R is neither P nor
    Q, so x'_R = x_R)."""
    N = t.shape[0]
    P1, Q1, t1, U = _single_rows(t, W, p, r, screen, ordered)
    if not len(P1):
        return op
    key = _LABEL["p"] * N + _LABEL["q"]
    element = E.lookup(dict(zip((P1 * N + Q1).tolist(), t1.tolist(), strict=True)), key)
    for R in np.flatnonzero(np.any(U != 0, axis=0)):
        nz = U[:, R] != 0
        table = dict(zip((P1[nz] * N + Q1[nz]).tolist(), U[nz, R].tolist(), strict=True))
        element = element + E.lookup(table, key) * E.source_index(int(R))
    rows[name] = len(P1)
    return (
        op.for_each(("p", "q"), over=np.stack([P1, Q1], 1).tolist())
        .named(name)
        .emit(cdag("p") * c("q"), matrix_element=element)
    )


def _single_rows(t, W, p, r, screen: _Screen, ordered=None) -> tuple:
    """`(P, Q, t[P, Q], U[P, Q, :])` of `_singles`' rows: those with a coefficient above
    the screen's threshold, the others' coefficients 0."""
    N = t.shape[0]
    pair_index = pair_positions(N, p, r)
    P1, Q1 = np.nonzero(~np.eye(N, dtype=bool)) if ordered is None else ordered
    U = np.zeros((len(P1), N))
    for R in range(N):
        other = (P1 != R) & (Q1 != R)
        a, b = P1[other], Q1[other]
        # W[(P, R) sorted, (Q, R) sorted] is the coefficient of c+_min c+_max c_max' c_min'
        U[other, R] = W[pair_index[a, R], pair_index[b, R]] * np.sign(R - a) * np.sign(R - b)
    t1 = t[P1, Q1]
    keep_t, keep_u = screen(t1), screen(U)
    U = np.where(keep_u, U, 0.0)
    t1 = np.where(keep_t, t1, 0.0)
    keep = keep_t | keep_u.any(axis=1)
    return P1[keep], Q1[keep], t1[keep], U[keep]


def _double_rows(W, p, r, screen: _Screen, pairs=None) -> tuple:
    """`(P, R, Q, S, forward, backward)` of `_doubles`' rows: four distinct sites and a
    coefficient above the screen's threshold either way, the other way's 0 where not."""
    i, j = np.triu_indices(len(p), k=1) if pairs is None else pairs
    P, R, Q, S = p[i], r[i], p[j], r[j]
    distinct = (P != Q) & (P != S) & (R != Q) & (R != S)
    i, j, P, R, Q, S = i[distinct], j[distinct], P[distinct], R[distinct], Q[distinct], S[distinct]
    forward, backward = W[i, j], W[j, i]
    k_f, k_b = screen(forward), screen(backward)
    keep = k_f | k_b
    forward = np.where(k_f, forward, 0.0)[keep]
    backward = np.where(k_b, backward, 0.0)[keep]
    return P[keep], R[keep], Q[keep], S[keep], forward, backward


def _doubles(
    op: DOperator, W, p, r, screen: _Screen, rows: dict, pairs=None, name="doubles"
) -> DOperator:
    """`c+_P c+_R c_S c_Q` on 4 distinct sites (P < R, Q < S), a row per hermitian pair
    `(P, R) < (Q, S)` (or per pair `i < j` of pair indices of `pairs`) with one emission
    each way."""
    N = int(max(p.max(initial=0), r.max(initial=0))) + 1
    label = _LABEL
    P, R, Q, S, forward, backward = _double_rows(W, p, r, screen, pairs)
    if not len(P):
        return op
    key_f = ((P * N + R) * N + Q) * N + S
    key_b = ((Q * N + S) * N + P) * N + R
    table = dict(zip(key_f.tolist(), forward.tolist(), strict=True))
    table.update(zip(key_b.tolist(), backward.tolist(), strict=True))
    key_expr_f = ((label["p"] * N + label["r"]) * N + label["q"]) * N + label["s"]
    key_expr_b = ((label["q"] * N + label["s"]) * N + label["p"]) * N + label["r"]
    product = cdag("p") * cdag("r") * c("s") * c("q")
    rows[name] = len(P)
    return (
        op.for_each(("p", "r", "q", "s"), over=np.stack([P, R, Q, S], 1).tolist())
        .named(name)
        .emit(product, matrix_element=E.lookup(table, key_expr_f))
        .emit(product.dagger(), matrix_element=E.lookup(table, key_expr_b))
    )


def _hermitian(t: np.ndarray, W: np.ndarray) -> bool:
    """`(c+_P c+_R c_S c_Q)^dagger = c+_Q c+_S c_R c_P`: hermitian when `t` and the
    antisymmetrised `W` are (whatever order the products of `v` were written in)."""
    return _nearly_equal(t, t.T.conj()) and _nearly_equal(W, W.T.conj())


HERMITIAN_TOLERANCE = 1e-12
"""How far from its adjoint a table may be, relative to its largest value (at least 1),
for the operator to be marked hermitian (which NetKet's gradient estimator reads): the
rounding of PySCF's integral transformation (about 1e-16), not a real asymmetry (`h1`
asymmetric by 3e-9 was marked hermitian by numpy's `allclose` defaults)."""


def _nearly_equal(a: Any, b: Any) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    scale = max(1.0, float(np.abs(a).max(initial=0.0)))
    return bool(np.abs(a - b).max(initial=0.0) <= HERMITIAN_TOLERANCE * scale)


def molecular_hamiltonian(
    integrals: MolecularIntegrals,
    *,
    threshold: float | None = None,
    name: str = "molecule",
    slots: str = "auto",
    parametric: bool = False,
) -> MolecularHamiltonian:
    """The Hamiltonian of restricted-orbital integrals on `SpinOrbitalFermions(M,
    s=1/2, n_fermions_per_spin=(N_beta, N_alpha))` (unconstrained without NELEC); its
    slots indexed by excitations of each configuration's electrons (`slots`, see
    `spin_orbital_hamiltonian`; `slots="symmetry"` with the integrals' ORBSYM: only
    those the symmetry allows, which `"auto"` takes where ORBSYM cuts F by
    `SYMMETRY_RATIO` or more, from `SYMMETRY_FROM` excitations); `parametric=True`: the coefficient tables are table
    parameters (`MolecularHamiltonian.parameters_from_integrals`).

    `threshold`: the integral cutoff (default `CUTOFF` = 1e-11, NetKet's; 0 with
    `parametric=True`). With ORBSYM (`integrals.orbsym`, from the FCIDUMP or PySCF) every
    integral above the cutoff is checked against it (`check_orbsym`): one that ORBSYM
    says vanishes is a ValueError naming it (against the larger of `threshold` and
    `ORBSYM_NOISE`: below it, a correct ORBSYM's forbidden integrals are the
    transformation's noise, kept in rows of their own where above the threshold). The symmetry slots leave out what ORBSYM forbids, so `"auto"` takes them only
    where no forbidden integral is above `threshold`, and `"symmetry"` asked for there
    (`threshold=0` on PySCF's integrals, whose forbidden ones are about 1e-15) is a
    ValueError naming the largest.
    Without ORBSYM, or with every orbital in one irrep (PySCF's FCIDUMP of a molecule
    without `symmetry=True`), the irreps are found from the tables' own zeros
    (`symmetry.orbsym_from_integrals`, with a cutoff above 0 and static tables), and
    again at `SYMMETRY_NOISE` (a run without symmetry leaves integrals of about 1e-11 that
    the point group forbids: those irreps are taken where every coefficient they leave
    out is below it, the largest in `screening["symmetry_noise"]`); the result's
    `orbsym` says which irreps the symmetry slots follow. Where the integrals those
    irreps forbid are above the cutoff (a mean field converged to 1e-9 leaves them at
    about that, and PySCF's own ORBSYM can leave out a few at 1e-11), `"auto"` also
    tries ORBSYM's irreps and finer ones with a row of its own for each
    excitation they forbid that has a coefficient (`FORBIDDEN_SEARCH`,
    symir/chemistry/forbidden_rows.py: nothing dropped; `rows["forbidden_singles"]`,
    `rows["forbidden_doubles"]`)."""
    threshold = _threshold(threshold, parametric)
    if integrals.orbsym is not None:
        check_orbsym(integrals.h1, integrals.h2, integrals.orbsym, max(threshold, ORBSYM_NOISE))
    if slots == "auto" and not parametric and _tabulates(integrals, threshold):
        # every configuration's excitations, compacted into a table at compile()
        exact = molecular_hamiltonian(
            integrals, threshold=threshold, name=name, slots="excitations"
        )
        return replace(exact, tabulated=True)
    given = integrals.orbsym
    integrals, noise = _with_found_orbsym(integrals, threshold, slots, parametric)
    # irreps found at SYMMETRY_NOISE leave out nothing above it (checked exactly)
    kept = _forbidden_kept(integrals, threshold) if noise is None else None
    forbidden = None
    if (
        slots == "auto"
        and noise is None
        and (given is None or len(set(given)) == 1 or kept is not None)
    ):
        # a finer grading, or ORBSYM's own whose noise is above the cutoff, with rows for
        # what it forbids (forbidden_rows.py)
        forbidden = _graded_with_rows(integrals, threshold, parametric, kept is None)
        if forbidden is not None:
            integrals, slots, kept = forbidden, "symmetry", None
    if slots == "auto" and _symmetry_pays(integrals, parametric) and kept is None:
        slots = "symmetry"
    if slots == "symmetry" and integrals.orbsym is None and not parametric:
        raise ValueError(
            "slots='symmetry' needs the orbitals' irreps: the integrals give no ORBSYM (or "
            "one irrep) and none were found in their zeros at threshold="
            f"{threshold:g} (the search needs a threshold above 0; every orbital may be "
            "joined to every other by an integral above it): use slots='excitations'"
        )
    if slots == "symmetry" and not parametric and kept is not None:
        raise ValueError(
            f"slots='symmetry' leaves out what ORBSYM forbids, but {kept} is above "
            f"threshold={threshold:g} (ORBSYM was checked against the integrals at "
            f"{max(threshold, CUTOFF):g}: this is the transformation's numerical noise); "
            "keep the default threshold (CUTOFF, NetKet's) or a larger one to drop it, or "
            "slots='excitations' to keep it"
        )
    if slots == "symmetry" and not parametric and _restricted_checked(integrals):
        # the tables read W where they need it, from the orbitals' integrals
        hilbert = integrals.hilbert()
        t = np.kron(np.eye(2), np.asarray(integrals.h1, float))  # t[sM + p, sM + q] = h1
        p, r = _pairs(hilbert.size)
        W = RestrictedPairs(np.asarray(integrals.h2, float), p, r)
        constant = integrals.constant
        check_finite(np.asarray(constant), "the constant")
        result = _hamiltonian(
            t,
            W,
            (p, r),
            constant,
            hilbert,
            threshold,
            name,
            slots,
            False,
            integrals.orbsym,
            True,
            forbidden is not None,
        )
        if noise is not None:
            result.screening["symmetry_noise"] = noise
        return result
    t, v = integrals.spin_orbital_tensors()
    return spin_orbital_hamiltonian(
        t,
        v,
        integrals.constant,
        integrals.hilbert(),
        threshold=threshold,
        name=name,
        slots=slots,
        parametric=parametric,
        orbsym=integrals.orbsym,
    )


SYMMETRY_NOISE = 1e-10
"""Where a molecule's integrals come without ORBSYM (a PySCF run without `symmetry=True`,
its FCIDUMP), `molecular_hamiltonian` looks for irreps in the tables' zeros at the
cutoff, and again at twice this and at this (the cutoffs `orbsym_from_integrals` then
ignores integrals below, `|h2|` up to half of each): a mean field run
without symmetry leaves integrals of 1e-11 to 6e-11 (different from run to run) that the
molecule's point group forbids (N2, C2H2, C2H4), where the cutoff alone finds a coarser
grading (2 irreps for 4, 3 for 6). The finer irreps are taken where they bound F lower
and every coefficient they leave out, over every configuration
(`_largest_forbidden_coefficient`, exact), is at most this (issue 37's numerical zeros:
elements below 1e-10); that largest coefficient is then
`MolecularHamiltonian.screening["symmetry_noise"]`. Only at a cutoff from `CUTOFF` (the
default) up: a smaller one asks to keep more, the noise too. ORBSYM given by the file or
PySCF is never relaxed this way: it is checked at `ORBSYM_NOISE`, and what it forbids
above the cutoff is kept in rows."""

ORBSYM_NOISE = 1e-8
"""A given ORBSYM is called wrong (a ValueError naming the integral) where an integral it
forbids is above this or the threshold, whichever is larger. Below, it is the integral
transformation's noise, not a wrong label: PySCF's own ORBSYM of H2 in aug-cc-pVTZ
(`symmetry=True`) forbids 2,740 integrals of 1e-11 to 2e-11 (it was refused at the
cutoff, 1e-11, before 2026-11-28). Noise above the threshold is never dropped: `"auto"`
keeps it in rows of its own beside ORBSYM's slots (forbidden_rows.py) or takes the
excitation slots, and `slots="symmetry"` asked for is a ValueError naming it."""

SYMMETRY_FROM = 500
"""`molecular_hamiltonian(slots="auto")` keeps the default slots below this many
excitations per configuration (`excitation_count`) on fewer than `SYMMETRY_SITES` spin
orbitals: on small spaces XLA's compile of the symmetry slots' decoding takes longer
than their kernel saves (`SYMMETRY_RATIO`). Was 1,000, which left active spaces of 20
spin orbitals with F above NetKet's PNC operator's (sweep 22, 2026-11-28: BH3 6-31G
(6e, 10o) 610 excitation slots against NetKet's 538, symmetry slots 444; CH2 6-31G in
C1, 610 / 442 / 344; C2H2 STO-3G (6e, 10o) 876 / 746 / 262) for 0.4-1.2 s less of
compile and 1.3-2.1 s less of XLA's first call, with kernels within 10%. The shipped
FCIDUMPs (at most 316 excitations on 16 spin orbitals) keep the excitation slots."""

TABULATE_STATES = 8192
"""`molecular_hamiltonian(slots="auto")` builds the excitation slots and marks the result
`tabulated` (its `compile()` reads the connected states from a table of every
configuration, `CompiledOperator.tabulated`) where the sector has at most this many
configurations, on `SYMMETRY_SITES` spin orbitals or more: one or two electrons of a
spin in dozens of orbitals (H2 in aug-cc-pVDZ or cc-pVTZ, LiH with a frozen core, Li),
where the symmetry slots' decoding cost 1.5-2.4 times NetKet's PNC kernel and the
lookup costs 0.2-0.3 times, with F the largest number of distinct non-zero connected
states over the sector (docs/molecules.md). The excitation slots are the cheaper ones
to compile for the table (XLA compiles their kernel once, to fill it). Was 4,096 until
the tables kept their states packed (twenty-fifth session): Li aug-cc-pVDZ ROHF (5,819
configurations) and NH cc-pVDZ CAS(4e, 14o) (5,096) now take the table, F 257 -> 237
and 268 -> 252 (NetKet's 251 and 300), kernel 0.81 -> 0.16 and 0.98 -> 0.25 of
NetKet's, build + compile 3.0 and 2.1 s. At 16,384 C2 cc-pVDZ CAS(4e, 16o) (14,400)
took it too, kernel 0.23 -> 0.07 of NetKet's, but build + compile 1.5 -> 3.6 s (the
excitation slots run on every configuration): past the 3 s that issue 37 allows."""

SYMMETRY_SITES = 24
"""From this many spin orbitals on, `slots="auto"` takes the symmetry slots where they cut
F by `SYMMETRY_RATIO` however few the excitations: H2 in aug-cc-pVDZ (36 spin orbitals,
1 electron of each spin) has 324 excitations, a bound of 66, and NetKet's PNC operator
F 74."""

SYMMETRY_RATIO = 1.25
"""`molecular_hamiltonian(slots="auto")` takes the symmetry slots (`slots="symmetry"`)
when ORBSYM is known (or found from the tables' zeros), a configuration has at least
`SYMMETRY_FROM` excitations (`excitation_count`, the default slots' F) or the space
`SYMMETRY_SITES` spin orbitals, and this many times more than the bound on the symmetry
slots (`connected_bound`): N2 and CO in 6-31G (36 spin orbitals, 8,394 against 1,960
and 3,342), H2O in 6-31G (2,241 against 1,105), C2H4 in STO-3G, N2 in cc-pVDZ, HF in
cc-pVDZ (6,861 against 3,545: NetKet's F is 4,501), NH3 in 6-31G (3,501 and 2,261). On
N2 6-31G the symmetry slots' kernel is 2.4 times faster than the default slots', on H2O
6-31G 1.1 to 1.4 times, for 6 to 11 s more of XLA's first compile (docs/molecules.md)."""


def _with_found_orbsym(
    integrals: MolecularIntegrals, threshold: float, slots: str, parametric: bool
) -> tuple[MolecularIntegrals, float | None]:
    """`integrals` with the irreps of their own zeros (`orbsym_from_integrals`) where the
    symmetry slots may be taken (fixed electrons of each spin, static tables, a cutoff
    above 0: exact zeros alone rarely show the symmetry) and they give no ORBSYM, one
    irrep only, or a coarser one than the zeros show (a molecule run in a subgroup of
    its point group, Cs for N2: F 204 against 104). Found irreps hold by construction;
    none found leaves `integrals` as they are. The second value is None, or the largest
    coefficient the irreps leave out when they were found at `SYMMETRY_NOISE` rather
    than at `threshold` (see there: never for a given ORBSYM)."""
    per_spin = integrals.n_fermions_per_spin
    if parametric or threshold <= 0 or slots not in ("auto", "symmetry") or per_spin is None:
        return integrals, None
    h1, h2 = integrals.h1, integrals.h2
    found = orbsym_from_integrals(h1, h2, threshold)
    given = integrals.orbsym
    if given is not None and len(set(given)) > 1:  # checked: a finer grading is exact too
        refined = connected_bound(found, per_spin) < connected_bound(given, per_spin)
        return (replace(integrals, orbsym=found) if refined else integrals), None
    best = replace(integrals, orbsym=found) if len(set(found)) > 1 else None
    plain = (integrals if best is None else best), None
    # a threshold below the default asks to keep more: the noise is kept too
    if not CUTOFF <= threshold < SYMMETRY_NOISE or np.iscomplexobj(h1) or np.iscomplexobj(h2):
        return plain
    bound = connected_bound(found, per_spin) if best is not None else None
    # the widest search first (its grading is the finest); the exact check decides
    for search in (2 * SYMMETRY_NOISE, SYMMETRY_NOISE):
        finer = orbsym_from_integrals(h1, h2, search)
        if len(set(finer)) == 1 or (
            bound is not None and connected_bound(finer, per_spin) >= bound
        ):
            continue
        left_out = _largest_forbidden_coefficient(h1, h2, finer, per_spin)
        candidate = replace(integrals, orbsym=finer)
        if left_out <= SYMMETRY_NOISE and _restricted_checked(candidate):
            return candidate, left_out
    return plain


FORBIDDEN_SEARCH = (1e-9, 1e-8, 1e-7, 1e-6)
"""Where the tables' zeros at the cutoff show no grading that pays (`slots="auto"`, no
ORBSYM given), `molecular_hamiltonian` looks for a finer one among the integrals below
each of these (`orbsym_from_integrals`), and takes the one with the fewest slots where
it cuts F by `SYMMETRY_RATIO`: its symmetry slots plus a row for each excitation it
forbids that has a coefficient above the cutoff (symir/chemistry/forbidden_rows.py;
nothing is dropped). CO2 in 6-31G from an RHF run without symmetry: two irreps at the
cutoff (bound 38,919, so the 44,528 excitation slots), `C2h` at 1e-8 with 22,097 symmetry
slots and about 500 forbidden rows: F 22,597 against NetKet's 37,137. The searches cost
3.1 s of N2 cc-pVTZ's 19 s build in C1 (120 spin orbitals; none pays there)."""


def _graded_with_rows(
    integrals: MolecularIntegrals, threshold: float, parametric: bool, exact: bool
) -> MolecularIntegrals | None:
    """`integrals` with the irreps of `FORBIDDEN_SEARCH` whose symmetry slots plus rows
    for what they forbid are fewest, where that cuts F by `SYMMETRY_RATIO` from what
    `slots="auto"` takes without them (`connected_bound` of the irreps at the cutoff if
    their slots pay and leave nothing out, `exact`, else the excitation slots); None
    where none does."""
    per_spin = integrals.n_fermions_per_spin
    h1, h2 = integrals.h1, integrals.h2
    if (
        parametric
        or per_spin is None
        or threshold <= 0
        or not _restricted_checked(replace(integrals, orbsym=(1,) * integrals.n_orbitals))
    ):
        return None
    reach = excitations.excitation_count(list(integrals.hilbert().sectors))
    if reach < SYMMETRY_FROM and 2 * integrals.n_orbitals < SYMMETRY_SITES:
        return None
    current = integrals.orbsym
    candidates = _graded_candidates(integrals, threshold, exact)
    if not candidates:
        return None
    baseline = reach
    if exact and current is not None and _symmetry_pays(integrals, parametric):
        baseline = min(baseline, connected_bound(current, per_spin))
    t = np.kron(np.eye(2), np.asarray(h1, float))
    p, r = _pairs(t.shape[0])
    W = RestrictedPairs(np.asarray(h2, float), p, r)
    best, best_slots = None, baseline / SYMMETRY_RATIO
    seen = set() if candidates[0] == current else {current}
    for found in candidates:
        if found in seen or len(set(found)) == 1:
            continue
        seen.add(found)
        bound = connected_bound(found, per_spin)
        if bound >= best_slots:
            continue
        n_singles, n_doubles = _forbidden_row_counts(t, W, p, r, found, threshold)
        total = bound + n_singles + 2 * n_doubles
        if total < best_slots:
            best, best_slots = found, total
    return None if best is None else replace(integrals, orbsym=best)


def _tabulates(integrals: MolecularIntegrals, threshold: float) -> bool:
    """Whether `slots="auto"` reads the connected states from a table of the sector
    (`TABULATE_STATES`): fixed electrons of each spin, at most that many configurations,
    at least `SYMMETRY_SITES` spin orbitals, and the compacted tables within their budget
    (`sector_table.MAX_TABLE_BYTES`; 8 bytes of every excitation slot's element within
    four times it, `tabulate`'s first check)."""
    from symir.runtime import sector_table

    per_spin = integrals.n_fermions_per_spin
    m = integrals.n_orbitals
    if per_spin is None or 2 * m < SYMMETRY_SITES:
        return False
    states = prod(comb(m, k) for k in per_spin)
    if states > TABULATE_STATES:
        return False
    reach = excitations.excitation_count(list(integrals.hilbert().sectors))
    if states * reach * 8 > 4 * sector_table.MAX_TABLE_BYTES:
        return False
    # F after compaction is at most `reach`, and at most the bound of the irreps of the
    # tables' zeros at the threshold (every coefficient it keeps is one they allow):
    # NH cc-pVDZ (4e, 13o), 538 and 195. Per slot: its state packed 8 sites a byte, its
    # element (8 bytes) and deltas (at most 4 sites of 3 bytes)
    most = reach
    if threshold > 0:
        found = orbsym_from_integrals(integrals.h1, integrals.h2, threshold)
        most = min(reach, connected_bound(found, per_spin))
    return states * most * (-(-2 * m // 8) + 8 + 12) <= sector_table.MAX_TABLE_BYTES


def _graded_candidates(integrals: MolecularIntegrals, threshold: float, exact: bool) -> list:
    """The irreps `_graded_with_rows` weighs: ORBSYM's own (given and checked) where it
    leaves out a coefficient above the cutoff (not `exact`: H2 aug-cc-pVDZ in Dooh,
    `(9 9|9 10)` 5.8e-12), then those of the tables' zeros at each `FORBIDDEN_SEARCH`
    cutoff above `threshold`, unless ORBSYM has D2h's eight irreps (none is finer)."""
    current = integrals.orbsym
    candidates = []
    if current is not None and not exact and len(set(current)) > 1:
        candidates.append(current)
    if current is None or len(set(current)) < 8:
        candidates += [
            orbsym_from_integrals(integrals.h1, integrals.h2, search)
            for search in FORBIDDEN_SEARCH
            if search > threshold
        ]
    return candidates


def _largest_forbidden_coefficient(
    h1: np.ndarray, h2: np.ndarray, orbsym, per_spin: tuple[int, int]
) -> float:
    """The largest coefficient, over every configuration of `per_spin` electrons, of an
    excitation that `orbsym` forbids (real integrals). A double's is `(PQ|RS)` (opposite
    spins) or `(PQ|RS) - (PS|RQ)` (one spin). A single `P -> Q`'s is `h1[P, Q] + sum_R
    v[R]` over the other electrons of P's spin (`v = (PQ|RR) - (PR|RQ)`, R not P or Q)
    plus `sum_R (PQ|RR)` over those of the other spin: its largest value is that of the
    largest `v` and `(PQ|RR)` as many as there are electrons, its smallest that of the
    smallest ones."""
    forbidden1, forbidden2 = forbidden_integrals(orbsym)
    f2 = forbidden2 != 0  # only the forbidden entries are copied below
    direct, exchanged = h2[f2], np.transpose(h2, (0, 3, 2, 1))[f2]
    doubles = max(np.abs(direct).max(initial=0.0), np.abs(direct - exchanged).max(initial=0.0))
    m = h1.shape[0]
    coulomb = np.einsum("pqrr->pqr", h2)
    same = coulomb - np.einsum("prrq->pqr", h2)
    p, q = np.nonzero(forbidden1)
    if len(p) == 0:
        return float(doubles)
    others = np.ones((len(p), m), bool)  # R other than P and Q, for P's spin
    others[np.arange(len(p)), p] = False
    others[np.arange(len(p)), q] = False
    ordered_same = np.sort(np.where(others, same[p, q], np.nan), axis=-1)  # nan (P, Q) last
    ordered_other = np.sort(coulomb[p, q], axis=-1)
    base = h1[p, q]
    singles = 0.0
    for n_same, n_other in (per_spin, per_spin[::-1]):
        if n_same in (0, m):  # no electron of this spin, or no hole: no single
            continue
        k = n_same - 1  # P is one of its spin's electrons
        for pick_same, pick_other in (
            (ordered_same[:, :k], ordered_other[:, :n_other]),
            (ordered_same[:, m - 2 - k : m - 2], ordered_other[:, m - n_other :]),
        ):
            value = base + pick_same.sum(-1) + pick_other.sum(-1)
            singles = max(singles, float(np.abs(value).max()))
    return float(max(singles, doubles))


def _symmetry_pays(integrals: MolecularIntegrals, parametric: bool) -> bool:
    """Whether `slots="auto"` takes the symmetry slots (`SYMMETRY_FROM`,
    `SYMMETRY_SITES`, `SYMMETRY_RATIO`)."""
    if parametric or integrals.orbsym is None or integrals.n_fermions_per_spin is None:
        return False
    reach = excitations.excitation_count(list(integrals.hilbert().sectors))
    large = reach >= SYMMETRY_FROM or 2 * integrals.n_orbitals >= SYMMETRY_SITES
    return large and reach >= SYMMETRY_RATIO * connected_bound(
        integrals.orbsym, integrals.n_fermions_per_spin
    )


def _forbidden_kept(integrals: MolecularIntegrals, threshold: float) -> str | None:
    """Where the symmetry slots would leave out a coefficient that `threshold` keeps: an
    integral ORBSYM forbids whose coefficient may be above it (`|h1|`, or twice `|h2|`:
    an antisymmetrised coefficient is at most the sum of two), as text naming the
    largest; None where none is (or no ORBSYM, or complex integrals: those are checked
    coefficient by coefficient, `irrep_slots.check`)."""
    h1, h2 = integrals.h1, integrals.h2
    if integrals.orbsym is None or np.iscomplexobj(h1) or np.iscomplexobj(h2):
        return None
    forbidden1, forbidden2 = forbidden_integrals(integrals.orbsym)
    for name, a, forbidden, factor in (("h1", h1, forbidden1, 1), ("h2", h2, forbidden2, 2)):
        values = np.abs(np.asarray(a)[forbidden])  # only the forbidden entries copied
        if values.size == 0 or factor * values.max() <= threshold:
            continue
        at = np.unravel_index(int(np.flatnonzero(forbidden)[np.argmax(values)]), forbidden.shape)
        text = f"{name}[{', '.join(map(str, at))}] = {values.max():.3g}"
        if factor > 1:
            text += f" (its coefficients up to {factor * values.max():.3g})"
        return text
    return None


def _restricted_checked(integrals: MolecularIntegrals) -> bool:
    """Whether the checks `spin_orbital_hamiltonian` makes on `W` hold from the integrals
    alone (then `W` need not be made whole): real integrals with ORBSYM and fixed
    numbers of electrons, `h1` symmetric and `(pq|rs) = (qp|sr)` (hermitian), and every
    integral ORBSYM forbids small enough that no antisymmetrised coefficient it makes,
    at most twice it, is above the threshold (`_forbidden_kept`, which the caller
    checked; spins are conserved by restricted orbitals). Otherwise the whole tensors are
    built and checked as before."""
    h1, h2 = integrals.h1, integrals.h2
    if integrals.orbsym is None or integrals.n_fermions_per_spin is None:
        return False
    if np.iscomplexobj(h1) or np.iscomplexobj(h2):
        return False
    return _nearly_equal(h1, h1.T) and _nearly_equal(h2, np.transpose(h2, (1, 0, 3, 2)))


def term_by_term_hamiltonian(
    t: np.ndarray, v: np.ndarray, constant: float, hilbert: FermionHilbert, *, name: str = "terms"
) -> SymbolicOperator:
    """The operator of `spin_orbital_hamiltonian` written as a plain sum of products, the
    way a list of terms (OpenFermion's, NetKet's `FermionOperator2nd`) gives it: the
    constant, `t[P, Q] c+_P c_Q` for every non-zero `t[P, Q]`, and `W[PR, QS] c+_P c+_R
    c_S c_Q` (`P < R`, `Q < S`, the antisymmetrised coefficients) for every non-zero `W`,
    one emission each, with no gathering of the products that reach the same state.

    Same matrix; more slots, and connected states that repeat within a sample: the
    single excitation `c+_P c_Q` is also reached by each `c+_P c+_R c_R c_Q` with `R`
    occupied, which the static fusion cannot merge (they write different sites) and
    `local_energies(..., dedup=True)` merges at run time (docs/local-energy.md)."""
    t, v = _check(t, v, hilbert, 0.0)
    N = hilbert.size
    p, r = _pairs(N)
    W = _two_body_coefficients(v, p, r)
    op = DOperator(hilbert, name, hermitian=_hermitian(t, W))
    if constant != 0.0:
        op = op.globally().named("constant").emit(identity(), matrix_element=float(constant))
    a, b = np.nonzero(t)
    if len(a):
        table = dict(zip((a * N + b).tolist(), t[a, b].tolist(), strict=True))
        op = (
            op.for_each(("p", "q"), over=np.stack([a, b], 1).tolist())
            .named("one_body")
            .emit(cdag("p") * c("q"), matrix_element=E.lookup(table, _LABEL["p"] * N + _LABEL["q"]))
        )
    i, j = np.nonzero(W)
    if len(i):
        P, R, Q, S = p[i], r[i], p[j], r[j]
        key = ((P * N + R) * N + Q) * N + S
        table = dict(zip(key.tolist(), W[i, j].tolist(), strict=True))
        label = _LABEL
        key_expr = ((label["p"] * N + label["r"]) * N + label["q"]) * N + label["s"]
        op = (
            op.for_each(("p", "r", "q", "s"), over=np.stack([P, R, Q, S], 1).tolist())
            .named("two_body")
            .emit(cdag("p") * cdag("r") * c("s") * c("q"), matrix_element=E.lookup(table, key_expr))
        )
    return op.build()


__all__ = [
    "MolecularHamiltonian",
    "molecular_hamiltonian",
    "spin_orbital_hamiltonian",
    "term_by_term_hamiltonian",
]
