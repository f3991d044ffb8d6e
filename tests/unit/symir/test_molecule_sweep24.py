"""Sweep 24 of molecules outside every table (issue 37's checker): what it found wrong.

An active space chosen by irreps that the point group does not have (PySCF names the
irreps of `Dooh` `E1ux`, ..., not D2h's `B2u`) holds no orbital: `from_arrays` of the
(0, 0) and (0, 0, 0, 0) tables it gives was accepted, and `molecular_hamiltonian` then
failed deep in the search for irreps (`orbsym_from_integrals`: "cannot reshape array of
size 0 into shape (0)"), a bare traceback. It is now a ValueError at the input, as
`from_pyscf(ncas=0)` and an FCIDUMP with `NORB=0` already were."""

from __future__ import annotations

import numpy as np
import pytest

from symir.chemistry import from_arrays, molecular_hamiltonian
from symir.chemistry.integrals import MolecularIntegrals


@pytest.mark.parametrize("notation", ["chemist", "physicist"])
def test_integrals_of_no_orbital_are_an_error_at_the_input(notation):
    with pytest.raises(ValueError, match=r"h1 is \(0, 0\): no orbital"):
        from_arrays(np.zeros((0, 0)), np.zeros((0,) * 4), 1.0, notation=notation, n_electrons=0)
    with pytest.raises(ValueError, match="no orbital"):
        MolecularIntegrals(np.zeros((0, 0)), np.zeros((0,) * 4))


def test_one_orbital_still_builds():
    h1, h2 = np.array([[-1.0]]), np.full((1, 1, 1, 1), 0.5)
    ints = from_arrays(h1, h2, 0.25, notation="chemist", n_electrons=2)
    H = molecular_hamiltonian(ints).compile()
    x = np.array([[1, 1]], np.int8)
    mels = np.asarray(H.get_conn_padded(x)[1])
    assert abs(mels.sum() - (0.25 - 2.0 + 0.5)) < 1e-12


def test_joint_slots_of_four_kinds_equal_every_excitation(monkeypatch):
    """Li in cc-pVDZ (ROHF, one electron down, two up): singles of each spin, same-spin
    and opposite-spin doubles share one range of symmetry slots (`irrep_slots._joint`),
    each row decoding only the kinds that can reach it (the joint range's kernel was 2.4
    times NetKet's with every row decoding all four). Every element is the excitation
    slots' on every state of the sector. The joint range cuts F by 1.11 here, below the
    default `JOINT_RATIO`, so the test lowers it to take that range."""
    pytest.importorskip("pyscf")
    from pyscf import gto, scf

    from symir.chemistry import from_pyscf
    from symir.testing import dense_matrix

    mol = gto.M(atom="Li 0 0 0", basis="cc-pvdz", spin=1, symmetry=True, verbose=0)
    ints = from_pyscf(scf.ROHF(mol).run())
    assert ints.n_fermions_per_spin == (1, 2)
    from symir.chemistry import irrep_slots

    monkeypatch.setattr(irrep_slots, "JOINT_RATIO", 1.1)
    mh = molecular_hamiltonian(ints, slots="symmetry")
    assert [name for name in mh.rows if name.startswith("singles")] == ["singles_doubles"]
    H = mh.compile()
    assert H.max_conn_size == 1 + mh.rows["singles_doubles"]
    expected = molecular_hamiltonian(ints, slots="excitations").compile()
    np.testing.assert_allclose(
        dense_matrix(H.to_netket()), dense_matrix(expected.to_netket()), atol=1e-12, rtol=0
    )
