"""Symmetry slots plus rows of their own for the excitations the irreps forbid
(symir/chemistry/forbidden_rows.py): integrals a mean field run without symmetry leaves
at about its convergence tolerance (CO2 6-31G: up to 9e-10), which the tables' zeros at
the cutoff cannot grade finely. Made deterministic here: N2's active space from a run in
D2h, ORBSYM removed, forbidden integrals set to 1e-8-3e-8 (all their orderings). The
operator must keep every one of them: the same matrix as the excitation slots', which
keep every excitation (equal to NetKet's PNC operator, test_chemistry_symmetry.py)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import symir.chemistry.hamiltonian as hamiltonian
from symir.chemistry import from_pyscf, molecular_hamiltonian
from symir.chemistry.hamiltonian import RestrictedPairs, _forbidden_row_counts, _pairs
from symir.chemistry.symmetry import CUTOFF, connected_bound, orbsym_from_integrals
from symir.testing import sparse_matrix

pyscf = pytest.importorskip("pyscf")


def orderings(p: int, q: int, r: int, s: int) -> set[tuple[int, int, int, int]]:
    """The eight orderings of a real chemists' integral `(pq|rs)` equal to it."""
    pairs = {(p, q, r, s), (q, p, r, s), (p, q, s, r), (q, p, s, r)}
    return pairs | {(c, d, a, b) for a, b, c, d in pairs}


@pytest.fixture(scope="module")
def noisy_n2():
    from pyscf import gto, scf

    mol = gto.M(atom="N 0 0 0; N 0 0 1.0977", basis="6-31g", symmetry="D2h", verbose=0)
    symmetric = from_pyscf(scf.RHF(mol).run(), ncore=2, ncas=8)
    g = np.asarray(symmetric.orbsym)
    p, q = (int(k) for k in np.argwhere(g[:, None] != g[None, :])[0])
    r, s = next(
        (a, b)
        for a in range(8)
        for b in range(a + 1, 8)
        if len({p, q, a, b}) == 4 and g[p] ^ g[q] ^ g[a] ^ g[b] != g[p] ^ g[p]
    )
    h1, h2 = symmetric.h1.copy(), symmetric.h2.copy()
    h1[p, q] = h1[q, p] = 1e-8  # a single's one-body part
    for index in orderings(p, q, r, r):  # a single's spectator part, (pq|rr)
        h2[index] = 2e-8
    for index in orderings(p, q, r, s):  # a double
        h2[index] = -3e-8
    return symmetric, replace(symmetric, h1=h1, h2=h2, orbsym=None)


def test_forbidden_integrals_get_rows_and_nothing_is_dropped(noisy_n2, monkeypatch):
    symmetric, ints = noisy_n2
    monkeypatch.setattr(hamiltonian, "SYMMETRY_FROM", 0)  # a small space, to enumerate
    per_spin = ints.n_fermions_per_spin
    coarse = orbsym_from_integrals(ints.h1, ints.h2, CUTOFF)
    mh = molecular_hamiltonian(ints)
    assert mh.slots == "symmetry"
    assert len(set(mh.orbsym)) == len(set(symmetric.orbsym)) > len(set(coarse))
    assert mh.rows["forbidden_singles"] > 0 and mh.rows["forbidden_doubles"] > 0
    H = mh.compile()
    default = molecular_hamiltonian(ints, slots="excitations").compile()
    bound = connected_bound(mh.orbsym, per_spin)
    extra = mh.rows["forbidden_singles"] + 2 * mh.rows["forbidden_doubles"]
    symmetric_slots = sum(v for k, v in mh.rows.items() if k.startswith(("singles", "doubles")))
    # (a single and a double of the same row may share a slot: exclusive emissions)
    assert bound <= H.max_conn_size <= 1 + symmetric_slots + extra
    assert H.max_conn_size < default.max_conn_size
    difference = abs(sparse_matrix(H.to_netket()) - sparse_matrix(default.to_netket())).max()
    assert difference < 1e-12  # 1e-8 elements kept: nothing dropped
    # the rows `molecular_hamiltonian` counted to choose are the rows it built
    t = np.kron(np.eye(2), ints.h1)
    p, r = _pairs(t.shape[0])
    W = RestrictedPairs(ints.h2, p, r)
    n_singles, n_doubles = _forbidden_row_counts(t, W, p, r, mh.orbsym, CUTOFF)
    assert (n_singles, n_doubles) == (mh.rows["forbidden_singles"], mh.rows["forbidden_doubles"])


def test_without_forbidden_integrals_no_rows(noisy_n2, monkeypatch):
    """The symmetric integrals with ORBSYM removed: the cutoff's zeros show D2h, the
    symmetry slots take every coefficient, no forbidden rows."""
    symmetric, _ = noisy_n2
    monkeypatch.setattr(hamiltonian, "SYMMETRY_FROM", 0)
    mh = molecular_hamiltonian(replace(symmetric, orbsym=None))
    assert mh.slots == "symmetry"
    assert not any(k.startswith("forbidden") for k in mh.rows)


@pytest.mark.parametrize("noise", [0.7 * CUTOFF, 5e-10])
def test_given_orbsym_with_noise_above_the_cutoff_keeps_it_in_rows(noisy_n2, monkeypatch, noise):
    """ORBSYM given (PySCF's, checked at the cutoff) but a coefficient it forbids above the
    cutoff (H2 aug-cc-pVDZ in Dooh: `(9 9|9 10)` 5.8e-12, coefficients to 1.2e-11): the
    given irreps' slots plus a row for each such excitation, not every excitation's slot
    (F 72 there, was 324 against NetKet's 74); nothing dropped. Integrals ORBSYM forbids
    up to `ORBSYM_NOISE` are noise, not a wrong ORBSYM (5e-10 was a ValueError)."""
    symmetric, _ = noisy_n2
    monkeypatch.setattr(hamiltonian, "SYMMETRY_FROM", 0)
    g = np.asarray(symmetric.orbsym)
    p, q, r, s = next(
        (a, b, c, d)
        for a in range(8)
        for b in range(a + 1, 8)
        for c in range(8)
        for d in range(c + 1, 8)
        if len({a, b, c, d}) == 4 and (g[a] - 1) ^ (g[b] - 1) ^ (g[c] - 1) ^ (g[d] - 1) != 0
    )
    h2 = symmetric.h2.copy()
    # each below the cutoff ORBSYM is checked at; a same-spin double's (pq|rs) - (ps|rq)
    # above the cutoff the operator keeps
    for index in orderings(p, q, r, s):
        h2[index] = noise
    for index in orderings(p, s, r, q):
        h2[index] = -noise
    ints = replace(symmetric, h2=h2)
    mh = molecular_hamiltonian(ints)
    assert mh.slots == "symmetry" and mh.orbsym == symmetric.orbsym
    assert mh.rows["forbidden_doubles"] > 0
    H = mh.compile()
    default = molecular_hamiltonian(ints, slots="excitations").compile()
    assert H.max_conn_size < default.max_conn_size
    assert abs(sparse_matrix(H.to_netket()) - sparse_matrix(default.to_netket())).max() < 1e-15


def test_h2_in_dooh_takes_its_orbsym(monkeypatch):
    from pyscf import gto, scf

    monkeypatch.setattr(hamiltonian, "TABULATE_STATES", 0)  # its 324 would be tabulated
    mol = gto.M(atom="H 0 0 0; H 0 0 0.7414", basis="aug-cc-pvdz", symmetry=True, verbose=0)
    mh = molecular_hamiltonian(from_pyscf(scf.RHF(mol).run()))
    assert mh.slots == "symmetry"
    assert mh.compile().max_conn_size <= 74  # NetKet's PNC operator's F
