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
