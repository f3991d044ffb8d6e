"""The symmetry slots' excitations read from per-spin tables (symir/chemistry/sector_moves.py)
against their arithmetic decoding (`sector_moves.CONFIGURATIONS` set to 0) and the
excitation slots: the same F and the same matrix on random integrals whose irreps forbid
some coefficients; and on LiH in cc-pVDZ, the connected elements of NetKet's PNC operator."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import symir.chemistry.irrep_slots as irrep_slots
import symir.chemistry.sector_moves as sector_moves
from symir.chemistry import from_arrays, molecular_hamiltonian
from symir.chemistry.sector_moves import SectorMoves
from symir.testing import dense_matrix

pytest.importorskip("netket")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_chemistry_symmetry import sparse_helpers_uncompiled
from test_slot_layouts_random import symmetric_integrals


def _integrals(seed: int, m: int, per_spin: tuple[int, int]):
    rng = np.random.default_rng(seed)
    g = rng.choice([0, 1, 2, 3, 5][: 2 + seed % 4], size=m)
    g[:2] = [0, 1]
    h1, h2 = symmetric_integrals(rng, g)
    down, up = per_spin
    return from_arrays(
        h1, h2, 0.3, notation="chemist", n_electrons=down + up, ms2=up - down,
        orbsym=tuple(int(a) + 1 for a in g),
    )  # fmt: skip


@pytest.mark.parametrize(
    "seed, m, per_spin, ratio",
    # 1e-9: one range of slots for every kind (`_joint`); inf: the kinds' own ranges
    # (test_slot_layouts_random.py runs the other layout of (1, 1), (2, 1) and (2, 3))
    [(0, 7, (1, 1), 1e-9), (1, 6, (2, 1), float("inf")), (2, 6, (2, 3), 1e-9),
     (3, 7, (3, 3), float("inf"))],
)  # fmt: skip
def test_tables_and_arithmetic_decoding_give_the_same_operator(
    seed, m, per_spin, ratio, monkeypatch
):
    ints = _integrals(seed, m, per_spin)
    assert ints.n_fermions_per_spin == per_spin
    expected = dense_matrix(molecular_hamiltonian(ints, slots="excitations").compile().to_netket())
    monkeypatch.setattr(irrep_slots, "JOINT_RATIO", ratio)
    sizes = {}
    for limit in (sector_moves.CONFIGURATIONS, 0):
        monkeypatch.setattr(sector_moves, "CONFIGURATIONS", limit)
        blocks = [(0, m, per_spin[0]), (m, 2 * m, per_spin[1])]
        tabled = [s.tables is not None for s in irrep_slots.sectors(blocks, ints.orbsym)]
        assert tabled == [limit > 0] * 2
        mh = molecular_hamiltonian(ints, slots="symmetry")
        assert ("singles_doubles" in mh.rows) == (ratio < 1)
        H = mh.compile()
        sizes[limit] = H.max_conn_size
        got = dense_matrix(H.to_netket())
        np.testing.assert_allclose(got, expected, atol=1e-12, rtol=0, err_msg=f"{limit}")
    assert sizes[0] == sizes[sector_moves.CONFIGURATIONS]


def test_only_small_sectors_are_tabled():
    g = np.arange(30) % 4
    assert SectorMoves(0, 30, 2, g).fits()  # 435 configurations
    assert not SectorMoves(0, 30, 7, g).fits()  # 2,035,800
    assert not SectorMoves(0, 30, 0, g).fits()  # nothing to move
    assert not SectorMoves(0, 18, 6, g[:18]).fits()  # 18,564 configurations, 5.6M entries


def test_the_numbers_of_the_configurations_are_their_rows():
    """`number()`'s combinatorial numbering is the row of each configuration in the
    tables: `sum_k C(o_k, k + 1)` runs over `0 .. C(m, n) - 1` in `configurations`' order."""
    from math import comb

    moves = SectorMoves(0, 9, 3, np.arange(9) % 2)
    numbers = [sum(comb(int(o), k + 1) for k, o in enumerate(row)) for row in moves.configurations]
    assert numbers == list(range(comb(9, 3)))


def test_lih_in_cc_pvdz_equals_netkets_pnc_operator():
    """LiH cc-pVDZ (19 orbitals, two electrons of each spin: 29,241 configurations, too
    many to tabulate whole; 171 per spin, tabled): F below NetKet's and the same connected
    elements on random states of the sector."""
    gto = pytest.importorskip("pyscf.gto")
    scf = pytest.importorskip("pyscf.scf")
    import jax
    import netket as nk

    from symir.chemistry import from_pyscf

    mol = gto.M(atom="Li 0 0 0; H 0 0 1.5949", basis="cc-pvdz", symmetry=True, verbose=0)
    mf = scf.RHF(mol).run()
    ints = from_pyscf(mf)
    mh = molecular_hamiltonian(ints)
    assert mh.slots == "symmetry" and not mh.tabulated
    blocks = [(0, 19, 2), (19, 38, 2)]
    assert all(s.tables is not None for s in irrep_slots.sectors(blocks, ints.orbsym))
    H = mh.compile()
    pnc = nk.experimental.operator.ParticleNumberAndSpinConservingFermioperator2nd
    # pydata sparse's helpers uncompiled, as test_chemistry_symmetry builds LiH's (the
    # same Python functions numba compiles: 10 s of numba compilation less)
    with sparse_helpers_uncompiled():
        reference = pnc.from_pyscf_molecule(mol, mf.mo_coeff)
    assert H.max_conn_size < reference.max_conn_size
    x = np.asarray(reference.hilbert.random_state(jax.random.PRNGKey(3), 24))
    ours, theirs = H.get_conn_padded(x.astype(np.int8)), reference.get_conn_padded(x)
    for b in range(len(x)):
        got, want = _connected(ours, b), _connected(theirs, b)
        assert got.keys() == want.keys()
        assert all(abs(got[k] - v) < 1e-10 for k, v in want.items())


def _connected(out, b: int) -> dict:
    xp, mels = (np.asarray(a)[b] for a in out)
    found: dict = {}
    for state, value in zip(xp.astype(np.int8), mels):
        found[state.tobytes()] = found.get(state.tobytes(), 0.0) + float(value)
    return {k: v for k, v in found.items() if abs(v) > 1e-10}
