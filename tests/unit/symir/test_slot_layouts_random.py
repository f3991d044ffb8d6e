"""The symmetry slots' layouts against the excitation slots on random integrals: every
element of the sector equal (the excitation slots keep every excitation; they equal
NetKet's PNC operator, test_chemistry_symmetry.py). Random orbitals' irreps (2-4 of
D2h's), random real integrals that respect them, electrons per spin from 1 to 3:

- one range of slots for every kind (`irrep_slots.JOINT_RATIO` forced to 1e-9, so that
  every case takes it), and the kinds' own ranges (forced to infinity);
- forbidden integrals of 1e-8 added (with all their orderings, so still hermitian):
  the finer grading's symmetry slots plus rows of their own (forbidden_rows.py), which
  must keep every one of them.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import symir.chemistry.hamiltonian as hamiltonian
import symir.chemistry.irrep_slots as irrep_slots
from symir.chemistry import from_arrays, molecular_hamiltonian
from symir.testing import dense_matrix

pytest.importorskip("netket")


def symmetric_integrals(rng, g: np.ndarray):
    """Random `h1`, `h2` (chemists', 8-fold symmetric) zero where the irreps `g` forbid."""
    m = len(g)
    h1 = rng.normal(size=(m, m))
    h1 = (h1 + h1.T) * (g[:, None] == g[None, :])
    h2 = rng.normal(size=(m,) * 4)
    for axes in ((1, 0, 2, 3), (0, 1, 3, 2), (2, 3, 0, 1)):
        h2 = h2 + np.transpose(h2, axes)
    allowed = (g[:, None, None, None] ^ g[None, :, None, None] ^ g[None, None, :, None]) == g[
        None, None, None, :
    ]
    return h1, h2 * allowed


def orderings(p, q, r, s):
    pairs = {(p, q, r, s), (q, p, r, s), (p, q, s, r), (q, p, s, r)}
    return pairs | {(c, d, a, b) for a, b, c, d in pairs}


JOINT, SEPARATE = 1e-9, float("inf")  # `JOINT_RATIO`: every case takes one, or the other

# seed 0: two irreps, seed 1: three. One electron of each spin (only singles and
# opposite-spin doubles: the kinds' largest counts at different occupations), a pair of
# one spin (same-spin doubles of one spin), pairs of both; each in the layout that
# test_sector_moves.py does not run for those electron counts (it runs the other, with
# and without the per-spin tables, on 2-5 irreps), so that both files together take
# both layouts of each.
CASES = [(0, (1, 1), SEPARATE), (1, (2, 1), JOINT), (0, (2, 3), SEPARATE)]


@pytest.mark.parametrize("seed, per_spin, ratio", CASES)
def test_joint_and_separate_ranges_equal_the_excitation_slots(seed, per_spin, ratio, monkeypatch):
    rng = np.random.default_rng(seed)
    m = 6
    g = rng.choice([0, 1, 2, 3][: 2 + seed % 3], size=m)
    g[:2] = [0, 1]  # at least two irreps
    h1, h2 = symmetric_integrals(rng, g)
    ints = from_arrays(
        h1, h2, 0.5, notation="chemist", n_electrons=sum(per_spin),
        ms2=per_spin[1] - per_spin[0], orbsym=tuple(int(a) + 1 for a in g),
    )  # fmt: skip
    if ints.n_fermions_per_spin != per_spin:  # NetKet's order: (beta, alpha)
        ints = from_arrays(
            h1, h2, 0.5, notation="chemist", n_electrons=sum(per_spin),
            ms2=per_spin[0] - per_spin[1], orbsym=tuple(int(a) + 1 for a in g),
        )  # fmt: skip
    expected = dense_matrix(molecular_hamiltonian(ints, slots="excitations").compile().to_netket())
    monkeypatch.setattr(irrep_slots, "JOINT_RATIO", ratio)
    mh = molecular_hamiltonian(ints, slots="symmetry")
    assert ("singles_doubles" in mh.rows) == (ratio == JOINT), mh.rows
    got = dense_matrix(mh.compile().to_netket())
    np.testing.assert_allclose(got, expected, atol=1e-12, rtol=0, err_msg=str(ratio))


def test_forbidden_rows_keep_every_forbidden_integral(monkeypatch):
    """Three forbidden doubles (a second seed took the same path: one draw kept)."""
    rng = np.random.default_rng(10)
    m = 6
    g = np.array([0, 1, 2, 3, 0, 1])[rng.permutation(m)]
    h1, h2 = symmetric_integrals(rng, g)
    forbidden = [
        index
        for index in itertools.product(range(m), repeat=4)
        if g[index[0]] ^ g[index[1]] ^ g[index[2]] ^ g[index[3]]
    ]
    for k in rng.choice(len(forbidden), size=3, replace=False):
        for index in orderings(*forbidden[k]):
            h2[index] = 1e-8 * (1 + k % 3)
    p, q = next((a, b) for a in range(m) for b in range(m) if g[a] != g[b])
    h1[p, q] = h1[q, p] = 2e-8
    ints = from_arrays(h1, h2, 0.0, notation="chemist", n_electrons=4)  # no ORBSYM
    monkeypatch.setattr(hamiltonian, "SYMMETRY_FROM", 0)
    monkeypatch.setattr(hamiltonian, "SYMMETRY_RATIO", 1.0)
    mh = molecular_hamiltonian(ints)
    assert mh.slots == "symmetry" and any(k.startswith("forbidden") for k in mh.rows), mh.rows
    expected = dense_matrix(molecular_hamiltonian(ints, slots="excitations").compile().to_netket())
    np.testing.assert_allclose(dense_matrix(mh.compile().to_netket()), expected, atol=1e-12, rtol=0)
