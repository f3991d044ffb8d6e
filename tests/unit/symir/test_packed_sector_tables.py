"""Sectors of 4,096 to 8,192 configurations read from a table (twenty-fifth session):
the tables keep each slot's state packed 8 sites a byte and its changed sites, not the
state itself (symir/runtime/sector_table.py), so few electrons in many orbitals fit the
64 MiB budget. Li in aug-cc-pVDZ (ROHF, one electron down and two up in 23 orbitals:
5,819 configurations on 46 spin orbitals) kept the symmetry slots: F 257 against
NetKet's PNC operator's 251, and a kernel as slow as NetKet's; the table has F 237 and
about 0.2 of NetKet's kernel. References: NetKet's PNC operator's connected elements."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from symir.chemistry import from_pyscf, molecular_hamiltonian
from symir.chemistry.hamiltonian import TABULATE_STATES

pytest.importorskip("pyscf")
nk = pytest.importorskip("netket")

sys.path.insert(0, str(Path(__file__).resolve().parent))
# NetKet's PNC operator built by pydata sparse's helpers uncompiled (11 s of numba)
from test_chemistry_symmetry import sparse_helpers_uncompiled  # noqa: E402


def _connected(xp, mels) -> list[dict]:
    """Each row's connected states and summed elements (above 1e-10)."""
    rows = []
    for states, elements in zip(np.asarray(xp), np.asarray(mels)):
        found: dict = {}
        for state, value in zip(states.astype(np.int8), elements):
            found[state.tobytes()] = found.get(state.tobytes(), 0.0) + float(value)
        rows.append({k: v for k, v in found.items() if abs(v) > 1e-10})
    return rows


def test_few_electrons_in_many_orbitals_are_tabulated_below_netkets_fan_out():
    import jax
    from pyscf import gto, scf

    mol = gto.M(atom="Li 0 0 0", basis="aug-cc-pvdz", spin=1, symmetry=True, verbose=0)
    mf = scf.ROHF(mol).run()
    ints = from_pyscf(mf)
    per_spin = ints.n_fermions_per_spin
    assert sorted(per_spin) == [1, 2] and ints.n_orbitals == 23
    assert 4096 < 23 * 253 <= TABULATE_STATES
    mh = molecular_hamiltonian(ints)
    assert mh.tabulated
    H = mh.compile()
    pnc = nk.experimental.operator.ParticleNumberAndSpinConservingFermioperator2nd
    with sparse_helpers_uncompiled():
        reference = pnc.from_pyscf_molecule(mol, mf.mo_coeff)
    assert H.max_conn_size <= reference.max_conn_size
    x = np.asarray(reference.hilbert.random_state(jax.random.PRNGKey(0), 48))
    # NetKet's from_pyscf_molecule puts the spin of two electrons first, symir the
    # spin of one (ROHF's alpha, beta): the same states with the spins' blocks swapped
    assert reference.hilbert.n_fermions_per_spin == per_spin[::-1]
    m = ints.n_orbitals
    xp, mels = H.get_conn_padded(np.roll(x, m, axis=1).astype(np.int8))
    got = _connected(np.roll(np.asarray(xp), m, axis=2), mels)
    expected = _connected(*reference.get_conn_padded(x))
    for row, (mine, theirs) in enumerate(zip(got, expected, strict=True)):
        assert mine.keys() == theirs.keys(), row
        for state, value in theirs.items():
            assert abs(mine[state] - value) < 1e-10, row
