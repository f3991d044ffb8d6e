"""Every kind of excitation in one range of symmetry slots where the kinds' own ranges
take `irrep_slots.JOINT_RATIO` times more (symir/chemistry/irrep_slots.py): LiH in
cc-pVDZ with its 1s orbital frozen, one electron of each spin, whose singles are most at
A1 and its opposite-spin doubles at A2 (F 130 in five ranges, against NetKet's PNC
operator's 128). The cut, 1.14, is below the default ratio (the joint range's kernel is
the slower one), so the test lowers the ratio to take it. References: the excitation slots' operator (every excitation, equal
to NetKet's, test_chemistry_symmetry.py) on every state of the sector, and PySCF's
CASCI energy."""

from __future__ import annotations

import numpy as np
import pytest

from symir.chemistry import from_pyscf, irrep_slots, molecular_hamiltonian
from symir.chemistry.irrep_slots import JOINT_RATIO, _kind_slots, sectors
from symir.chemistry.symmetry import connected_bound
from symir.testing import dense_matrix

pyscf = pytest.importorskip("pyscf")


def test_one_range_for_every_kind_reaches_the_bound(monkeypatch):
    from pyscf import gto, mcscf, scf

    mol = gto.M(atom="Li 0 0 0; H 0 0 1.5949", basis="cc-pvdz", symmetry=True, verbose=0)
    mf = scf.RHF(mol).run()
    ints = from_pyscf(mf, ncore=1)
    per_spin = ints.n_fermions_per_spin
    assert per_spin == (1, 1)
    bound = connected_bound(ints.orbsym, per_spin)
    blocks = list(ints.hilbert().sectors)
    separate = sum(_kind_slots(sectors(blocks, ints.orbsym)))
    assert separate < JOINT_RATIO * (bound - 1) <= 1.25 * separate
    # by default the kinds keep their own ranges: F 1 + separate, the faster kernel
    assert "singles_doubles" not in molecular_hamiltonian(ints, slots="symmetry").rows
    monkeypatch.setattr(irrep_slots, "JOINT_RATIO", 1.1)
    assert separate >= 1.1 * (bound - 1)
    mh = molecular_hamiltonian(ints, slots="symmetry")
    assert mh.rows["singles_doubles"] == bound - 1
    H = mh.compile()
    assert H.max_conn_size == bound < 1 + separate
    matrix = dense_matrix(H.to_netket())
    expected = dense_matrix(molecular_hamiltonian(ints, slots="excitations").compile().to_netket())
    np.testing.assert_allclose(matrix, expected, atol=1e-12, rtol=0)
    energy = np.linalg.eigvalsh(matrix)[0]
    casci = mcscf.CASCI(mf, ints.n_orbitals, 2, ncore=1).kernel()[0]
    assert abs(energy - casci) < 1e-8
    # no two slots of a state on one connected state
    x = np.asarray(H.to_netket().hilbert.all_states()).astype(np.int8)
    xp, mels = (np.asarray(a) for a in H.get_conn_padded(x))
    for b in range(len(x)):
        active = xp[b][mels[b] != 0]
        assert len(np.unique(active, axis=0)) == len(active), b
