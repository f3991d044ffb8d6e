"""An operator tabulated over its sector (symir/runtime/sector_table.py,
`CompiledOperator.tabulated`): every configuration's distinct non-zero connected states,
looked up by the configuration's rank. The same matrix as the kernel it was made from
(to 1e-14), deltas that rebuild its connected states, local energies equal to the
plain sum, and a refusal that says why where it does not apply."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import symir as sym
import symir.chemistry.hamiltonian as hamiltonian
from symir.chemistry import from_pyscf, molecular_hamiltonian
from symir.runtime.local_energy import local_energies
from symir.testing import dense_matrix

nk = pytest.importorskip("netket")


def _hubbard(per_spin=(2, 1), length=6):
    hi = nk.hilbert.SpinOrbitalFermions(length, s=0.5, n_fermions_per_spin=per_spin)
    graph = nk.graph.Chain(length, pbc=True)
    return hi, sym.models.fermi_hubbard(hi, graph, t=1.0, U=3.0).compile()


def _most_connected(x, xp, mels) -> int:
    """1 + the most distinct non-zero connected states other than `x` over the rows (the
    tabulated operator's F: the diagonal keeps slot 0)."""
    xp, mels = np.asarray(xp), np.asarray(mels)
    counts = []
    for b in range(len(mels)):
        other = (mels[b] != 0) & np.any(xp[b] != x[b], axis=1)
        counts.append(len(np.unique(xp[b][other], axis=0)))
    return 1 + max(counts)


@pytest.mark.parametrize(
    ("per_spin", "length"),
    # 70 sites: the states are stored two 64-bit words a slot, the sites as int8
    [((2, 1), 6), ((1, 3), 6), ((0, 2), 6), ((1, 1), 35)],
)
def test_hubbard_sector_table_is_the_same_operator(per_spin, length):
    hi, op = _hubbard(per_spin, length)
    table = op.tabulated()
    assert np.abs(dense_matrix(table, hi) - dense_matrix(op, hi)).max() < 1e-14
    x = np.asarray(hi.all_states()).astype(op.x_dtype)
    # F: the most distinct non-zero connected states of any configuration (the diagonal
    # keeps its slot), never more than the kernel's
    assert table.max_conn_size == _most_connected(x, *op.get_conn_padded(x))
    assert table.max_conn_size <= op.max_conn_size
    xp, mels = (np.asarray(a) for a in table.get_conn_padded(x))
    sites, values, delta_mels = (np.asarray(a) for a in table.get_conn_delta(x))
    rebuilt = np.repeat(x[:, None, :], table.max_conn_size, axis=1)
    rows, slots = np.indices(sites.shape[:2])
    for k in range(sites.shape[2]):
        rebuilt[rows, slots, sites[..., k]] = values[..., k]
    assert np.array_equal(rebuilt, xp)
    assert np.array_equal(delta_mels, mels)


def test_local_energies_of_a_tabulated_operator_equal_the_plain_sum():
    hi, op = _hubbard()
    table = op.tabulated()
    x = np.asarray(hi.all_states()).astype(np.int8)
    rng = np.random.default_rng(0)
    weights = rng.normal(size=hi.size)

    def logpsi(w, s):
        return (s.astype(w.dtype) @ w) ** 2 / 7

    xp, mels = (np.asarray(a) for a in op.get_conn_padded(x))
    expected = np.sum(mels * np.exp(logpsi(weights, xp) - logpsi(weights, x)[:, None]), axis=1)
    import jax.numpy as jnp

    def jlogpsi(w, s):
        return (s.astype(w.dtype) @ w) ** 2 / 7

    got = np.asarray(local_energies(jlogpsi, jnp.asarray(weights), x, table))
    assert np.abs(expected).min() > 0
    assert np.abs(got - expected).max() < 1e-10


def test_a_configuration_outside_the_sector_is_refused():
    hi, op = _hubbard()
    table = op.tabulated()
    outside = np.zeros((1, hi.size), np.int8)
    with pytest.raises(ValueError):
        table.get_conn_padded(outside)


def test_pickled_tabulated_operator_gives_the_same_results():
    hi, op = _hubbard()
    table = op.tabulated()
    again = pickle.loads(pickle.dumps(table))
    x = np.asarray(hi.all_states())[:7].astype(np.int8)
    for a, b in zip(table.get_conn_padded(x), again.get_conn_padded(x), strict=True):
        assert np.array_equal(np.asarray(a), np.asarray(b))


def test_what_cannot_be_tabulated_says_why():
    spins = nk.hilbert.Spin(0.5, 4)
    ising = sym.models.tfim(spins, nk.graph.Chain(4), h=1.0).compile()
    with pytest.raises(ValueError, match=r"'tfim' cannot be tabulated: it has parameters \(J\)"):
        ising.tabulated()
    hi = nk.hilbert.SpinOrbitalFermions(4, s=0.5)  # no fixed numbers: no sector
    free = sym.models.fermi_hubbard(hi, nk.graph.Chain(4)).compile()
    with pytest.raises(ValueError, match="cannot be tabulated: its fixed sums"):
        free.tabulated()


def test_a_molecule_with_one_electron_of_each_spin_is_tabulated(monkeypatch):
    """H2 in aug-cc-pVDZ (36 spin orbitals, 324 configurations): `slots="auto"` builds the
    excitation slots and `compile()` reads them from a table, F the largest distinct
    non-zero count (66; NetKet's PNC operator's 74, the symmetry slots' 72); the same
    matrix as the symmetry slots' kernel and as the untabulated one."""
    from pyscf import gto, scf

    mol = gto.M(atom="H 0 0 0; H 0 0 0.7414", basis="aug-cc-pvdz", symmetry=True, verbose=0)
    ints = from_pyscf(scf.RHF(mol).run())
    mh = molecular_hamiltonian(ints)
    assert mh.tabulated and mh.slots == "excitations"
    table = mh.compile()
    plain = mh.compile(tabulate=False)
    with monkeypatch.context() as m:
        m.setattr(hamiltonian, "TABULATE_STATES", 0)
        symmetry = molecular_hamiltonian(ints)
    assert symmetry.slots == "symmetry" and not symmetry.tabulated
    symmetry = symmetry.compile()
    assert table.max_conn_size == 66 < symmetry.max_conn_size < plain.max_conn_size
    hi = table.hilbert
    dense = dense_matrix(table, hi)
    assert np.abs(dense - dense_matrix(plain, hi)).max() < 1e-14
    assert np.abs(dense - dense_matrix(symmetry, hi)).max() < 1e-12


def test_a_large_sector_keeps_the_kernel(monkeypatch):
    from pyscf import gto, scf

    monkeypatch.setattr(hamiltonian, "TABULATE_STATES", 10)
    mol = gto.M(atom="H 0 0 0; H 0 0 0.7414", basis="aug-cc-pvdz", symmetry=True, verbose=0)
    mh = molecular_hamiltonian(from_pyscf(scf.RHF(mol).run()))
    assert not mh.tabulated and mh.slots == "symmetry"


@pytest.mark.parametrize("n", [5, 64, 65, 130])
def test_deltas_read_from_packed_states_rebuild_them(n):
    """`_deltas` reads the changed sites from the XOR of packed 64-bit words (one word,
    several, sites past int8's range): random changes of 1-4 sites, put back in place,
    give the states again, each slot's changed sites in increasing order."""
    from symir.runtime.sector_table import _deltas, _words

    rng = np.random.default_rng(n)
    x = rng.integers(0, 2, (20, n)).astype(np.int8)
    owner, slot = np.repeat(np.arange(20), 3), np.tile(np.arange(1, 4), 20)
    states = x[owner].copy()
    changed = []
    for r in range(len(owner)):
        where = np.sort(rng.choice(n, rng.integers(1, 5), replace=False))
        states[r, where] ^= 1
        changed.append(where)
    sites, values = _deltas(x, owner, slot, _words(states) ^ _words(x)[owner], 4)
    rebuilt = np.repeat(x[:, None, :], 4, axis=1)
    np.put_along_axis(rebuilt, sites.astype(np.int64), values, axis=2)
    expected = np.repeat(x[:, None, :], 4, axis=1)
    expected[owner, slot] = states
    assert np.array_equal(rebuilt, expected)
    for r, where in enumerate(changed):
        assert list(sites[owner[r], slot[r], : len(where)]) == list(where)
