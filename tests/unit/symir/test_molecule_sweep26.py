"""Sweep 26 of molecules outside every table (issue 37's checker): what it found wrong.

`from_pyscf` took ORBSYM from the tag `mf.mo_coeff.orbsym` where there was one and from
PySCF's `label_orb_symm` otherwise. Orbitals that mix irreps (localized, or rotated as
a user does to pick an active space) on a molecule built with `symmetry=True` were
refused with PySCF's bare `ValueError: orbitals [1 2] not symmetrized`, and columns
reordered in place kept the stale tag, so `molecular_hamiltonian` called the right
integrals' ORBSYM wrong (`ORBSYM contradicts the integrals: h1[0, 3] = ...`). Both are
valid Hamiltonians: the active orbitals are now labelled from themselves, and orbitals
that mix irreps get no ORBSYM (the irreps are then found from the integrals' zeros)."""

from __future__ import annotations

import numpy as np
import pytest

from symir.chemistry import from_pyscf, molecular_hamiltonian

pytest.importorskip("pyscf")


@pytest.fixture(scope="module")
def water():
    from pyscf import gto, mcscf, scf

    mol = gto.M(
        atom="O 0 0 0.1173; H 0 0.7572 -0.4692; H 0 -0.7572 -0.4692",
        basis="6-31g",
        symmetry=True,
        verbose=0,
    )
    mf = scf.RHF(mol).run()
    cas = mcscf.CASCI(mf, 6, 8, ncore=1)
    cas.fcisolver.conv_tol = 1e-12
    return mf, cas.kernel()[0], from_pyscf(mf, ncore=1, ncas=6).orbsym


def _ground_energy(ints) -> float:
    H = molecular_hamiltonian(ints).compile()
    return float(np.linalg.eigvalsh(H.to_dense())[0])


def test_active_orbitals_that_mix_irreps_build_without_orbsym(water):
    """Orbitals 1 and 2 (A1, B2) rotated into each other: the CASCI energy of the
    active space they span is PySCF's of the canonical orbitals."""
    mf, e_casci, _ = water
    C = np.array(mf.mo_coeff)
    c, s = np.cos(0.5), np.sin(0.5)
    C[:, [1, 2]] = C[:, [1, 2]] @ np.array([[c, -s], [s, c]])
    rotated = mf.copy()
    rotated.mo_coeff = C
    ints = from_pyscf(rotated, ncore=1, ncas=6)
    assert ints.orbsym is None
    assert abs(_ground_energy(ints) - e_casci) < 1e-8


def test_orbitals_reordered_in_place_are_labelled_from_themselves(water):
    """Columns 4 and 5 swapped in `mf.mo_coeff` itself: its tag `orbsym` is stale."""
    mf, e_casci, orbsym = water
    swapped = mf.copy()
    swapped.mo_coeff = mf.mo_coeff.copy()
    swapped.mo_coeff.orbsym = np.asarray(mf.mo_coeff.orbsym)
    swapped.mo_coeff[:, [4, 5]] = swapped.mo_coeff[:, [5, 4]]
    ints = from_pyscf(swapped, ncore=1, ncas=6)
    expected = list(orbsym)
    expected[3], expected[4] = expected[4], expected[3]
    assert ints.orbsym == tuple(expected) != orbsym
    assert abs(_ground_energy(ints) - e_casci) < 1e-8


def test_an_orbsym_label_outside_both_ranges_is_the_one_named():
    """PySCF's raw irrep ids of a linear molecule (`E2x` is 10) written with
    `fcidump.from_integrals(..., orbsym=mo_coeff.orbsym)`: the error named `ORBSYM=0`, a
    valid PySCF id, instead of the 10."""
    from symir.chemistry import read_fcidump

    text = (
        "&FCI NORB=2,NELEC=2,MS2=0,\n ORBSYM=0,10,\n ISYM=1,\n&END\n"
        " 0.5 1 1 1 1\n 0.4 2 2 2 2\n 0.1 1 1 2 2\n -1.0 1 1 0 0\n -0.5 2 2 0 0\n"
        " 0.7 0 0 0 0\n"
    )
    with pytest.raises(ValueError, match=r"line 2: ORBSYM=10: .* written as id % 10"):
        read_fcidump(text)


def test_a_sector_whose_compacted_tables_fit_is_tabulated():
    """NH in cc-pVDZ (ROHF triplet, 2 frozen orbitals, 4 electrons in 13 orbitals: 3,718
    configurations on 26 spin orbitals). `slots="auto"` judged the tables' bytes with F at
    most every excitation (538: 108 MB, past the 64 MiB budget) and kept the symmetry
    slots (F 208, 0.86 of NetKet's PNC kernel); the table has F 195, the bound of the
    irreps, 39 MB (0.19 of NetKet's kernel). Its elements are the excitation slots'."""
    from pyscf import gto, scf

    from symir.chemistry.symmetry import connected_bound

    mol = gto.M(atom="N 0 0 0; H 0 0 1.0362", basis="cc-pvdz", spin=2, symmetry=True, verbose=0)
    ints = from_pyscf(scf.ROHF(mol).run(), ncore=2, ncas=13)
    assert ints.n_fermions_per_spin == (1, 3)
    mh = molecular_hamiltonian(ints)
    assert mh.tabulated
    H = mh.compile()
    assert H.max_conn_size <= connected_bound(ints.orbsym, (1, 3))
    kernel = molecular_hamiltonian(ints, slots="excitations").compile()
    rng = np.random.default_rng(0)
    x = np.zeros((64, 26), np.int8)
    for row in x:
        row[rng.choice(13, 1, replace=False)] = 1
        row[13 + rng.choice(13, 3, replace=False)] = 1
    for table_row, kernel_row in zip(_connected(H, x), _connected(kernel, x), strict=True):
        assert table_row.keys() == kernel_row.keys()
        assert all(abs(table_row[k] - v) < 1e-10 for k, v in kernel_row.items())


def _connected(H, x) -> list[dict]:
    """Each row's connected states and summed elements (above 1e-12)."""
    xp, mels = (np.asarray(a) for a in H.get_conn_padded(x))
    rows = []
    for states, elements in zip(xp, mels):
        found: dict = {}
        for state, value in zip(states.astype(np.int8), elements):
            found[state.tobytes()] = found.get(state.tobytes(), 0.0) + float(value)
        rows.append({k: v for k, v in found.items() if abs(v) > 1e-12})
    return rows
