"""Molecules with point-group symmetry (issue 37): the integral cutoff, ORBSYM checked
against the integrals, the ground energies of PySCF molecules built with
`symmetry=True` against PySCF's FCI / CASCI, and the connected elements and F against
NetKet's particle-number and spin conserving operator."""

from __future__ import annotations

import contextlib
import sys
import warnings
from dataclasses import replace

import jax
import numpy as np
import pytest

import symir.chemistry.hamiltonian as hamiltonian_module
from symir.chemistry import from_arrays, from_pyscf, molecular_hamiltonian, read_fcidump
from symir.chemistry.excitations import excitation_count
from symir.chemistry.hamiltonian import SYMMETRY_FROM, SYMMETRY_RATIO
from symir.chemistry.make_fcidumps import DATA
from symir.chemistry.symmetry import (
    CUTOFF,
    bound_state,
    check_orbsym,
    connected_bound,
    pyscf_orbsym,
)
from symir.testing import sparse_matrix

pyscf = pytest.importorskip("pyscf")

MOLECULES = {
    # name: (atom, basis, frozen core orbitals, active orbitals or None)
    "lih": ("Li 0 0 0; H 0 0 1.5949", "sto-3g", 0, None),
    "h2o": ("O 0 0 0.1173; H 0 0.7572 -0.4692; H 0 -0.7572 -0.4692", "sto-3g", 1, None),
    "beh2": ("Be 0 0 0; H 0 0 1.3264; H 0 0 -1.3264", "sto-3g", 1, None),
    "n2": ("N 0 0 0; N 0 0 1.0977", "sto-3g", 2, 6),
}


def pyscf_molecule(name: str):
    from pyscf import gto, scf

    atom, basis, ncore, ncas = MOLECULES[name]
    symmetry = "D2h" if name == "n2" else True  # N2's (10e, 6o) cuts its pi pairs
    mol = gto.M(atom=atom, basis=basis, symmetry=symmetry, verbose=0)
    return scf.RHF(mol).run(), ncore, ncas


def pyscf_energy(mf, ncore: int, ncas: int | None) -> float:
    """PySCF's FCI energy (all orbitals) or CASCI energy of the active space."""
    from pyscf import fci, mcscf

    if ncore == 0 and ncas is None:
        return float(fci.FCI(mf).kernel()[0])
    n_mo = mf.mo_coeff.shape[1]
    ncas = n_mo - ncore if ncas is None else ncas
    return float(mcscf.CASCI(mf, ncas, mf.mol.nelectron - 2 * ncore, ncore=ncore).kernel()[0])


def lowest(H) -> float:
    return float(np.linalg.eigvalsh(np.asarray(H.to_dense()))[0])


@pytest.mark.parametrize("name", ["h2o", "beh2"])
def test_ground_energy_equals_pyscf_with_symmetry(name):
    """`from_pyscf(mf)` (ORBSYM from `mol.symmetry`) -> `molecular_hamiltonian(...)
    .compile()`: its lowest eigenvalue in the sector is PySCF's CASCI energy (frozen
    core) to 1e-8. LiH (FCI) and N2 (an active space) are checked the same way by the
    tests below that compile them (one compile each)."""
    mf, ncore, ncas = pyscf_molecule(name)
    ints = from_pyscf(mf, ncore=ncore, ncas=ncas)
    assert ints.orbsym is not None and len(set(ints.orbsym)) > 1
    mh = molecular_hamiltonian(ints)
    assert mh.threshold == CUTOFF
    assert abs(lowest(mh.compile()) - pyscf_energy(mf, ncore, ncas)) < 1e-8


def test_wrong_orbsym_is_an_error_naming_the_integral():
    """ORBSYM that forbids an integral above the cutoff: a ValueError naming it; the
    right ORBSYM (or none) builds."""
    ints = read_fcidump(DATA / "lih_sto3g.fcidump")
    assert ints.orbsym is not None
    molecular_hamiltonian(ints)  # the file's own ORBSYM holds
    wrong = list(ints.orbsym)
    wrong[0] = 2 if wrong[0] != 2 else 3  # orbital 0 into another irrep
    bad = from_arrays(
        ints.h1, ints.h2, ints.constant, notation="chemist", n_electrons=4, orbsym=wrong
    )
    with pytest.raises(ValueError, match=r"ORBSYM contradicts the integrals: h1\[0, \d+\]"):
        molecular_hamiltonian(bad)
    # a two-body integral alone: h1 diagonal, orbitals 0, 1 in different irreps
    h1 = np.diag([-1.0, -0.5])
    h2 = np.zeros((2,) * 4)
    h2[0, 0, 1, 1] = h2[1, 1, 0, 0] = 0.3
    h2[0, 1, 0, 0] = h2[1, 0, 0, 0] = h2[0, 0, 0, 1] = h2[0, 0, 1, 0] = 0.05
    two = from_arrays(h1, h2, 0.0, notation="chemist", n_electrons=2, orbsym=(1, 2))
    with pytest.raises(ValueError, match=r"h2\[0, 0, 0, 1\] = 5\.000e-02 is above the cutoff"):
        molecular_hamiltonian(two)
    with pytest.raises(ValueError, match=r"ORBSYM\[1\] = 9: labels are 1\.\.8"):
        check_orbsym(h1, h2, (1, 9), CUTOFF)
    # below the cutoff it is a numerical zero: no error, and no table entry
    h2[0, 1, 0, 0] = h2[1, 0, 0, 0] = h2[0, 0, 0, 1] = h2[0, 0, 1, 0] = 1e-13
    small = from_arrays(h1, h2, 0.0, notation="chemist", n_electrons=2, orbsym=(1, 2))
    assert molecular_hamiltonian(small).screening["max_dropped"] <= 1e-12


def test_auto_takes_the_symmetry_slots_where_they_cut_f_enough():
    """`slots="auto"`: the symmetry slots where ORBSYM cuts a configuration's
    excitations by `SYMMETRY_RATIO` on `SYMMETRY_FROM` or more (18 orbitals in 8 irreps,
    14 electrons: 8,394 against a bound of 1,734), not with one irrep, nor on a small
    space (N2 (10e, 8o): 316 excitations, five times its bound); from `SYMMETRY_FROM`
    on (an active space of 20 spin orbitals, 610 excitations) they are."""
    m = 18
    h1 = np.diag(np.linspace(-2.0, 1.0, m))
    h2 = np.zeros((m,) * 4)
    h2[np.arange(m)[:, None], np.arange(m)[:, None], np.arange(m), np.arange(m)] = 0.1
    orbsym = [1 + k % 8 for k in range(m)]
    ints = from_arrays(h1, h2, 0.0, notation="chemist", n_electrons=14, orbsym=orbsym)
    assert excitation_count(list(ints.hilbert().sectors)) == 8394 >= SYMMETRY_FROM
    assert 8394 >= SYMMETRY_RATIO * connected_bound(orbsym, (7, 7)) == SYMMETRY_RATIO * 1734
    assert molecular_hamiltonian(ints).slots == "symmetry"
    # one irrep and no zeros in the tables: nothing to follow
    rng = np.random.default_rng(0)
    dense1 = rng.normal(size=(m, m))
    dense2 = rng.normal(size=(m,) * 4)
    dense2 = dense2 + dense2.transpose(1, 0, 3, 2)
    one = from_arrays(
        dense1 + dense1.T, dense2, 0.0, notation="chemist", n_electrons=14, orbsym=[1] * m
    )
    assert molecular_hamiltonian(one).slots == "excitations"
    assert molecular_hamiltonian(read_fcidump(DATA / "n2_631g.fcidump")).slots == "excitations"
    # from 24 spin orbitals on, however few the excitations (one electron of each spin
    # in 12 orbitals: 144 excitations, bound 31)
    few = from_arrays(
        h1[:12, :12],
        h2[:12, :12, :12, :12],
        0.0,
        notation="chemist",
        n_electrons=2,
        orbsym=orbsym[:12],
    )
    assert excitation_count(list(few.hilbert().sectors)) == 144 < SYMMETRY_FROM
    assert 144 >= SYMMETRY_RATIO * connected_bound(orbsym[:12], (1, 1))
    # (its 144 configurations are few enough to tabulate: symir/runtime/sector_table.py)
    tabulated = molecular_hamiltonian(few)
    assert tabulated.tabulated and tabulated.slots == "excitations"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hamiltonian_module, "TABULATE_STATES", 0)
        assert molecular_hamiltonian(few).slots == "symmetry"
    # an active space of 20 spin orbitals, 3 electrons of each spin: 610 excitations
    # (BH3 6-31G (6e, 10o) kept them, F above NetKet's 538)
    cas = from_arrays(
        h1[:10, :10],
        h2[:10, :10, :10, :10],
        0.0,
        notation="chemist",
        n_electrons=6,
        orbsym=orbsym[:10],
    )
    assert excitation_count(list(cas.hilbert().sectors)) == 610 >= SYMMETRY_FROM
    assert molecular_hamiltonian(cas).slots == "symmetry"


def test_fcidump_orbsym_of_pyscf_irrep_ids():
    """PySCF's `fcidump.from_scf` writes its irrep ids (0..7) as ORBSYM: an ORBSYM with a
    0 reads as those plus one (the labels 1..8, whose product is the XOR of `label - 1`
    too) and builds; a label outside both is a ValueError naming the line."""
    ints = read_fcidump(DATA / "lih_sto3g.fcidump")
    text = (DATA / "lih_sto3g.fcidump").read_text()
    line = "ORBSYM=" + ",".join(map(str, ints.orbsym))
    assert text.count(line) == 1

    def with_orbsym(labels) -> str:
        return text.replace(line, "ORBSYM=" + ",".join(map(str, labels)))

    assert read_fcidump(with_orbsym(ints.orbsym)).orbsym == ints.orbsym
    assert "ORBSYM=0," in with_orbsym([o - 1 for o in ints.orbsym])
    read = read_fcidump(with_orbsym([o - 1 for o in ints.orbsym]))
    assert read.orbsym == ints.orbsym
    assert molecular_hamiltonian(read).rows == molecular_hamiltonian(ints).rows
    bad = with_orbsym([1, 9] + [1] * (len(ints.orbsym) - 2))
    with pytest.raises(ValueError, match=r"line \d+: ORBSYM=9: the labels are 1\.\.8"):
        read_fcidump(bad)


def test_irreps_found_from_the_tables_zeros():
    """Without ORBSYM (PySCF without `symmetry=True`, an FCIDUMP without it) the irreps
    come from the integrals' own zeros (`orbsym_from_integrals`): they hold against the
    integrals and give LiH (STO-3G, C2v) PySCF's irreps up to their names; LiH computed
    in C1 gets symmetry slots whose operator is the default slots' (every state of the
    sector) with PySCF's FCI energy."""
    from pyscf import fci, gto, scf

    from symir.chemistry.symmetry import orbsym_from_integrals

    atom, basis = MOLECULES["lih"][:2]
    found_of, ints_of, mf_of = {}, {}, {}
    for symmetry in (True, False):
        mol = gto.M(atom=atom, basis=basis, symmetry=symmetry, verbose=0)
        mf_of[symmetry] = scf.RHF(mol).run()
        ints_of[symmetry] = from_pyscf(mf_of[symmetry])
        ints = ints_of[symmetry]
        found_of[symmetry] = orbsym_from_integrals(ints.h1, ints.h2, CUTOFF)
        check_orbsym(ints.h1, ints.h2, found_of[symmetry], CUTOFF)
    given = ints_of[True].orbsym
    pairs = set(zip(given, found_of[True], strict=True))  # the same partition, names aside
    assert len(pairs) == len(set(given)) == len({b for _, b in pairs}) > 1
    ints = ints_of[False]
    mh = molecular_hamiltonian(ints, slots="symmetry")
    assert ints.orbsym is None and mh.orbsym == found_of[False]
    H = mh.compile()
    default = molecular_hamiltonian(ints, slots="excitations").compile()
    dense = np.asarray(H.to_dense())
    assert np.abs(dense - np.asarray(default.to_dense())).max() < 1e-10
    assert abs(np.linalg.eigvalsh(dense)[0] - fci.FCI(mf_of[False]).kernel()[0]) < 1e-8
    assert H.max_conn_size < default.max_conn_size
    # more than 64 orbitals (equations of two words): the irreps of 65 orbitals
    g = np.arange(65) % 8
    rng = np.random.default_rng(3)
    p, q, r = rng.integers(0, 65, (3, 3000))
    s = 8 * rng.integers(0, 8, 3000) + (g[p] ^ g[q] ^ g[r])  # g[s] = g[p] ^ g[q] ^ g[r]
    keep = s < 65
    h2 = np.zeros((65,) * 4, np.int8)
    h2[p[keep], q[keep], r[keep], s[keep]] = 1
    found = orbsym_from_integrals(np.eye(65), h2, CUTOFF)
    assert len(set(zip(g.tolist(), found, strict=True))) == len(set(found)) == 8
    # no zeros, no irreps: every integral non-zero gives one irrep
    rng = np.random.default_rng(2)
    h2 = rng.normal(size=(4,) * 4)
    assert orbsym_from_integrals(np.eye(4), h2 + h2.transpose(1, 0, 3, 2), CUTOFF) == (1,) * 4


def test_pyscf_orbsym_takes_the_d2h_part_of_the_ids():
    assert pyscf_orbsym([0, 5, 2, 3, 10, 11, 7]) == (1, 6, 3, 4, 1, 2, 8)
    with pytest.raises(ValueError, match="ids are >= 0"):
        pyscf_orbsym([-1])


def test_cutoff_is_settable_and_zero_keeps_numerical_zeros():
    mf, ncore, ncas = pyscf_molecule("h2o")
    ints = from_pyscf(mf, ncore=ncore, ncas=ncas)
    default = molecular_hamiltonian(ints)
    exact = molecular_hamiltonian(ints, threshold=0.0)
    assert default.screening["dropped"] > 0 and default.screening["max_dropped"] <= CUTOFF
    assert exact.screening["kept"] == default.screening["kept"] + default.screening["dropped"]
    assert molecular_hamiltonian(ints, threshold=1e-3).screening["max_dropped"] > CUTOFF


def netket_conn(op, x) -> list[dict]:
    """Per state: each connected state (its occupations as one integer) -> the summed
    element, zeros below 1e-10 dropped."""
    xp, mels = (np.asarray(a) for a in op.get_conn_padded(x))
    codes = (xp.astype(np.int64) << np.arange(xp.shape[-1])).sum(-1)  # occupations 0/1
    out = []
    for b in range(len(x)):
        keys, where = np.unique(codes[b], return_inverse=True)
        sums = np.zeros(len(keys), dtype=mels.dtype)
        np.add.at(sums, where.ravel(), mels[b])
        keep = np.abs(sums) > 1e-10
        out.append(dict(zip(keys[keep].tolist(), sums[keep].tolist(), strict=True)))
    return out


def test_connected_bound_is_the_most_connected_states_orbsym_allows():
    """`connected_bound`: the maximum over the sector of `connected_count`, which bounds
    each state's distinct connected states with a non-zero element (H2O, C2v, every
    state of the sector); the kernel's F is at least the bound."""
    from symir.chemistry.symmetry import connected_bound, connected_count

    mf, ncore, ncas = pyscf_molecule("h2o")
    ints = from_pyscf(mf, ncore=ncore, ncas=ncas)
    H = molecular_hamiltonian(ints).compile()
    x = np.asarray(H.hilbert.all_states()).astype(np.int8)
    xp, mels = (np.asarray(a) for a in H.get_conn_padded(x))
    counts = []
    for b in range(len(x)):
        reached = len(np.unique(xp[b][np.abs(mels[b]) > 1e-10], axis=0))
        allowed = connected_count(ints.orbsym, x[b], ints.n_orbitals)
        assert reached <= allowed
        counts.append(allowed)
    bound = connected_bound(ints.orbsym, ints.n_fermions_per_spin)
    assert bound == max(counts) <= H.max_conn_size
    # the bound's own state: in the sector, and as many distinct non-zero connected states
    top = bound_state(ints.orbsym, ints.n_fermions_per_spin)
    b = int(np.flatnonzero((x == top).all(1))[0])
    assert len(np.unique(xp[b][np.abs(mels[b]) > 1e-10], axis=0)) == bound


@pytest.mark.parametrize("seed", range(6))
def test_bound_state_has_the_bound_orbsym_allows(seed):
    """`bound_state` on random ORBSYM labels and electron counts: a state with each
    spin's electrons, whose `connected_count` is `connected_bound`, and no state of a
    small sector has more."""
    from itertools import combinations

    from symir.chemistry.symmetry import connected_bound, connected_count

    rng = np.random.default_rng(seed)
    m = int(rng.integers(4, 9))
    orbsym = tuple(int(v) for v in rng.integers(1, 9 if seed % 2 else 3, size=m))
    n = (int(rng.integers(1, m)), int(rng.integers(0, m + 1)))
    top = bound_state(orbsym, n)
    assert top.shape == (2 * m,) and set(top.tolist()) <= {0, 1}
    assert (top[:m].sum(), top[m:].sum()) == n
    bound = connected_bound(orbsym, n)
    assert connected_count(orbsym, top, m) == bound
    most = 0
    for a in combinations(range(m), n[0]):
        for b in combinations(range(m), n[1]):
            state = np.zeros(2 * m, np.int64)
            state[list(a)] = 1
            state[[m + k for k in b]] = 1
            most = max(most, connected_count(orbsym, state, m))
    assert most == bound


@pytest.mark.parametrize("seed", range(8))
def test_pair_max_is_the_largest_pair_without_the_table(seed):
    """`pair_max` against the whole table of pairs on random non-negative counts, some
    drawn so that the bounds it prunes by are loose (one large column, rows alike)."""
    from symir.chemistry.symmetry import pair_max

    rng = np.random.default_rng(seed)
    n0, n1 = int(rng.integers(1, 300)), int(rng.integers(1, 300))
    X, Y = rng.integers(0, 30, (n0, 8)), rng.integers(0, 30, (n1, 8))
    if seed % 2:
        X[:, int(rng.integers(8))] *= 50  # one dominant product irrep
        Y[rng.integers(n1, size=3)] = 0
    A, B = rng.integers(0, 500, n0), rng.integers(0, 500, n1)
    table = A[:, None] + B[None, :] + X @ Y.T
    value, i, j = pair_max(A, X, B, Y)
    assert value == table.max() == table[i, j]


def test_bound_of_benzene_occupations_without_the_table_of_pairs():
    """Benzene in 6-31G with its D2h irreps (132 spin orbitals, 21 electrons of each
    spin): 178,172 occupations per spin, whose table of pairs (237 GiB) ran
    `connected_bound` out of memory (sweep 22); the bound's state reaches it, and no
    sampled pair of occupations beats it."""
    from symir.chemistry.symmetry import (
        _excitations_by_irrep,
        _patterns,
        connected_bound,
        connected_count,
    )

    sizes = [16, 2, 4, 11, 2, 16, 11, 4]
    orbsym = tuple(a + 1 for a, k in enumerate(sizes) for _ in range(k))
    bound = connected_bound(orbsym, (21, 21))
    assert connected_count(orbsym, bound_state(orbsym, (21, 21)), len(orbsym)) == bound
    P = _patterns(np.asarray(sizes), 21)
    X, Y, Z = _excitations_by_irrep(np.asarray(sizes), P)
    a = X[:, 0] + (Y * Z).sum(1)
    rng = np.random.default_rng(0)
    i, j = rng.integers(len(P), size=(2, 20_000))
    assert 1 + (a[i] + a[j] + (X[i] * X[j]).sum(1)).max() <= bound


@contextlib.contextmanager
def sparse_helpers_uncompiled():
    """pydata `sparse`'s numba helpers (which NetKet's particle-conserving operators are
    built with) run as the Python functions numba compiles (each dispatcher's `py_func`):
    the same code and results, without compiling them first (LiH's operator: 10 s of
    numba compilation, 1.2 s built uncompiled)."""
    from numba.core.dispatcher import Dispatcher

    patched = []
    for name, module in list(sys.modules.items()):
        if name == "sparse" or name.startswith("sparse."):
            for attr, value in list(vars(module).items()):
                if isinstance(value, Dispatcher):
                    patched.append((module, attr, value))
                    setattr(module, attr, value.py_func)
    assert patched, "no numba function found in sparse: has its backend changed?"
    try:
        yield
    finally:
        for module, attr, value in patched:
            setattr(module, attr, value)


def test_connected_elements_equal_netket_pnc():
    """Every state of the sector of LiH (C2v): the connected states and matrix elements
    of NetKet's `ParticleNumberAndSpinConservingFermioperator2nd.from_pyscf_molecule`
    (numerical zeros below 1e-10 aside), with the default slots and with
    `slots="symmetry"` (symir/chemistry/irrep_slots.py); for the latter F the sum
    of the five terms' largest counts over the irreps' occupations, between the exact
    bound and NetKet's F, within 1.25 times the most distinct connected states of a
    state of the sector, and no two slots of a state on one connected state."""
    import netket as nk

    from symir.chemistry.symmetry import connected_bound

    mf, _, _ = pyscf_molecule("lih")
    with warnings.catch_warnings(), sparse_helpers_uncompiled():
        warnings.simplefilter("ignore")
        pnc = nk.experimental.operator.ParticleNumberAndSpinConservingFermioperator2nd
        reference = pnc.from_pyscf_molecule(mf.mol, mf.mo_coeff)
    ints = from_pyscf(mf)
    x = np.asarray(reference.hilbert.all_states())
    expected = netket_conn(reference, x)
    for slots in ("auto", "symmetry"):
        mh = molecular_hamiltonian(ints, slots=slots)
        H = mh.compile()
        if slots == "auto":  # LiH's FCI energy (as test_ground_energy_... checks others)
            assert mh.threshold == CUTOFF
            assert abs(lowest(H) - pyscf_energy(mf, 0, None)) < 1e-8
        got = netket_conn(H, x.astype(np.int8))
        for b in range(len(x)):
            assert got[b].keys() == expected[b].keys(), (slots, b)
            for k, v in expected[b].items():
                assert abs(got[b][k] - v) < 1e-10
    assert H.max_conn_size <= 1.25 * max(len(row) for row in got)
    bound = connected_bound(ints.orbsym, ints.n_fermions_per_spin)
    slots = sum(v for k, v in mh.rows.items() if k.startswith(("singles", "doubles")))
    assert H.max_conn_size == 1 + slots
    assert bound <= H.max_conn_size < reference.max_conn_size
    xp, mels = (np.asarray(a) for a in H.get_conn_padded(x.astype(np.int8)))
    for b in range(len(x)):
        active = xp[b][mels[b] != 0]
        assert len(np.unique(active, axis=0)) == len(active), b  # no slot twice


def test_symmetry_slots_equal_the_default_slots_in_d2h(monkeypatch):
    """N2 (D2h, a (10e, 6o) active space: the symmetry slots' segments over several
    irreps and irrep products): the same matrix as the default slots (1e-10), also with
    the double-excitation tables read in chunks of 64 keys (as tables of more than 2^20
    keys are, in both kinds of slots), F at least the exact bound and at most 1.25 times the most distinct
    connected states of a state of the sector."""
    import symir.chemistry.excitations as excitations
    from symir.chemistry.symmetry import connected_bound

    mf, ncore, ncas = pyscf_molecule("n2")
    ints = from_pyscf(mf, ncore=ncore, ncas=ncas)
    assert len(set(ints.orbsym)) > 2
    default = molecular_hamiltonian(ints).compile()
    symmetry = molecular_hamiltonian(ints, slots="symmetry")
    H = symmetry.compile()
    dense = np.asarray(default.to_dense())
    # N2's CASCI energy (as test_ground_energy_... checks the others)
    assert abs(np.linalg.eigvalsh(dense)[0] - pyscf_energy(mf, ncore, ncas)) < 1e-8
    assert np.abs(np.asarray(H.to_dense()) - dense).max() < 1e-10

    def lookups(op) -> int:
        return sum(o.name == "sym.lookup" for o in op.to_ir().module.walk())

    whole = lookups(symmetry.operator)
    whole_excitations = lookups(molecular_hamiltonian(ints, slots="excitations").operator)
    monkeypatch.setattr(excitations, "CHUNK", 64)
    chunked = molecular_hamiltonian(ints, slots="symmetry").operator
    assert lookups(chunked) > whole
    assert np.abs(np.asarray(chunked.compile().to_dense()) - dense).max() < 1e-10
    # the excitation slots' doubles likewise (ethanol 6-31G in C1, 39 orbitals per spin:
    # keys up to 39^4, a compile error before)
    by_excitations = molecular_hamiltonian(ints, slots="excitations").operator
    assert lookups(by_excitations) > whole_excitations
    assert np.abs(np.asarray(by_excitations.compile().to_dense()) - dense).max() < 1e-10
    x = np.asarray(H.hilbert.all_states()).astype(np.int8)
    xp, mels = (np.asarray(a) for a in H.get_conn_padded(x))
    distinct = max(len(np.unique(xp[b][np.abs(mels[b]) > 1e-10], axis=0)) for b in range(len(x)))
    bound = connected_bound(ints.orbsym, ints.n_fermions_per_spin)
    assert distinct <= bound <= H.max_conn_size <= 1.25 * distinct < default.max_conn_size


def test_symmetry_slots_refuse_a_coefficient_orbsym_forbids():
    """Spin-orbital tensors with ORBSYM that forbids one of their coefficients: a
    ValueError naming it (the symmetry slots would have no place for it)."""
    from symir.chemistry import spin_orbital_hamiltonian

    ints = read_fcidump(DATA / "lih_sto3g.fcidump")
    t, v = ints.spin_orbital_tensors()
    wrong = list(ints.orbsym)
    wrong[0] = 2 if wrong[0] != 2 else 3
    with pytest.raises(ValueError, match=r"ORBSYM contradicts the coefficients: t\[0, \d+\]"):
        spin_orbital_hamiltonian(
            t, v, ints.constant, ints.hilbert(), slots="symmetry", orbsym=wrong
        )
    with pytest.raises(ValueError, match="slots='symmetry' needs orbsym="):
        spin_orbital_hamiltonian(t, v, ints.constant, ints.hilbert(), slots="symmetry")


def test_symmetry_slots_read_the_pair_coefficients_from_the_integrals():
    """`molecular_hamiltonian(..., slots="symmetry")` reads the antisymmetrised pair
    coefficients from the orbitals' integrals where the tables need them
    (`RestrictedPairs`: no `(2M)^4` tensor): the same entries as `pair_coefficients` of
    the spin-orbital tensors (also of integrals without the 8-fold symmetry), and for
    LiH the same operator as `spin_orbital_hamiltonian` of those tensors."""
    from symir.chemistry import spin_orbital_hamiltonian
    from symir.chemistry.tables import RestrictedPairs, pair_coefficients, spin_orbital_arrays

    rng = np.random.default_rng(1)
    h1, h2 = rng.normal(size=(3, 3)), rng.normal(size=(3,) * 4)
    p, r = np.triu_indices(6, k=1)
    dense = pair_coefficients(spin_orbital_arrays(h1, h2)[1], p, r)
    i, j = np.indices(dense.shape)
    assert np.array_equal(RestrictedPairs(h2, p, r)[i, j], dense)
    ints = read_fcidump(DATA / "lih_sto3g.fcidump")
    t, v = ints.spin_orbital_tensors()
    read = molecular_hamiltonian(ints, slots="symmetry")
    whole = spin_orbital_hamiltonian(
        t, v, ints.constant, ints.hilbert(), slots="symmetry", orbsym=ints.orbsym
    )
    assert str(read.operator.to_ir()) == str(whole.operator.to_ir())
    assert read.screening == whole.screening and read.rows == whole.rows


def test_a_hamiltonian_built_twice_compares_its_keys_once_per_node():
    """The symmetry slots' decoding is a deep expression DAG (select chains sharing their
    subexpressions). Two operators built alike have equal keys that are not the same
    objects; comparing them (`check_definition` of the second finds the first's key)
    walks each pair of nodes once (`expr.Key.__eq__`), not the tree: a chain of 64
    shared levels, 2^64 paths, compares at once, and LiH's symmetry slots build twice
    with the same operator (the second took 9 s)."""
    from symir.frontend import expr as E
    from symir.frontend.canonical import _key

    def chain(depth: int):
        v = E.site("j").index
        for k in range(depth):
            v = E.select(v > k, v + 1, v * 2)  # v used twice: shared
        return v

    one, two = _key(chain(64), {}), _key(chain(64), {})
    assert one is not two and one == two and not one != two
    assert _key(chain(63), {}) != one
    ints = read_fcidump(DATA / "lih_sto3g.fcidump")
    first = molecular_hamiltonian(ints, slots="symmetry")
    second = molecular_hamiltonian(ints, slots="symmetry")
    assert str(first.operator.to_ir()) == str(second.operator.to_ir())


def test_compile_skips_the_sector_check_with_the_same_results():
    """`MolecularHamiltonian.compile()` drops the runtime's check that connected states
    stay in the sector (`keeping_sectors`: every emission is a fermion product the DSL
    proved keeps each spin's number): the same connected states, elements and deltas as
    the operator compiled with the check, on every state of LiH's sector. States outside
    it have no row in either (the slots are the excitations of the sector's electrons,
    `assumed_sectors`): NaN elements in both inside `jax.jit`."""
    ints = read_fcidump(DATA / "lih_sto3g.fcidump")
    for slots in ("excitations", "symmetry"):
        mh = molecular_hamiltonian(ints, slots=slots)
        fast, checked = mh.compile(), mh.operator.compile()
        assert fast.keeps_sectors and not checked.keeps_sectors
        x = np.asarray(checked.hilbert.all_states()).astype(np.int8)
        outside = np.zeros((3, x.shape[1]), np.int8)
        outside[1, :5] = 1  # 5 electrons of spin down
        outside[2, [0, 6, 7, 8]] = 1
        states = np.concatenate([x, outside])
        n = len(x)
        methods = [("get_conn_padded", 1)]
        if slots == "symmetry":  # the deltas' kernel: one compile more
            methods.append(("get_conn_delta", 2))
        for method, mels in methods:
            ours = [np.asarray(a) for a in jax.jit(getattr(fast, method))(states)]
            theirs = [np.asarray(a) for a in jax.jit(getattr(checked, method))(states)]
            for a, b in zip(ours, theirs):
                assert np.array_equal(a[:n], b[:n]), (slots, method)
            assert np.isnan(ours[mels][n:]).all() and np.isnan(theirs[mels][n:]).all()


def test_from_pyscf_refuses_unrestricted_or_unrun_mean_fields():
    """`from_pyscf` reads restricted orbitals: a UHF or GHF mean field (an AttributeError
    and a bare AssertionError from inside PySCF before) or one not run yet is a
    ValueError saying so; ROHF reads (O2's triplet: 7 electrons down, 9 up)."""
    from pyscf import gto, scf

    mol = gto.M(atom="O 0 0 0; O 0 0 1.2075", basis="sto-3g", spin=2, verbose=0)
    for mf in (scf.UHF(mol).run(), scf.GHF(mol).run()):
        with pytest.raises(ValueError, match=r"needs a restricted mean field .* got .*HF"):
            from_pyscf(mf)
    with pytest.raises(ValueError, match=r"orbitals of a run mean field \(mf.run\(\)"):
        from_pyscf(scf.ROHF(mol))
    assert from_pyscf(scf.ROHF(mol).run()).n_fermions_per_spin == (7, 9)


def test_packed_ranks_past_53_bits_are_an_error():
    """The symmetry slots' packed ranks go through a float division (`_divide`), exact
    below 2^53: orbitals per spin whose four ranks and divisor do not fit are refused,
    and the float truncation is the integer quotient toward zero at the edges of the
    range (numerators up to 2^53 - 1, either sign)."""
    import symir.chemistry.irrep_slots as irrep_slots
    from symir.frontend import expr as E

    ranks = [E.count(0, 1)] * 4
    assert len(irrep_slots._once(ranks, E.count(0, 1) >= 0, 1, 60)) == 4
    with pytest.raises(ValueError, match="53 bits"):
        irrep_slots._once(ranks, E.count(0, 1) >= 0, 1, 1000)
    rng = np.random.default_rng(0)
    a = np.concatenate([rng.integers(0, 2**53, 20000), 2**53 - 1 - np.arange(2000)])
    d = np.concatenate([rng.integers(1, 2**20, 20000), rng.integers(1, 2**12, 2000)])
    for sign in (1, -1):
        num = sign * a
        exact = np.sign(num) * (np.abs(num) // d)
        assert np.array_equal(np.trunc(num.astype(np.float64) / d.astype(np.float64)), exact)


def test_symmetry_slots_decode_same_spin_pairs_of_every_irrep_product():
    """Random integrals that D2h allows on 8 orbitals in six irreps spanning the three
    bits, two of them twice (3,136 states of 3 electrons of each spin): same-spin
    doubles whose particle and hole pairs join two irreps (`h != 0`: several pairs of
    one product, each counted under its lower irrep, `a ^ h < a` not again) or one (`h
    = 0`). The symmetry slots' matrix equals the default slots' at 1e-10. (N2's (10e,
    6o) space above has one hole per spin: no same-spin doubles.)"""
    g = np.array([0, 1, 2, 3, 4, 5, 0, 5])
    m = len(g)
    rng = np.random.default_rng(5)
    h1 = rng.normal(size=(m, m)) * (g[:, None] == g[None, :])
    h1 = h1 + h1.T
    h2 = rng.normal(size=(m,) * 4)
    h2 = h2 + h2.transpose(1, 0, 2, 3)
    h2 = h2 + h2.transpose(0, 1, 3, 2)
    h2 = h2 + h2.transpose(2, 3, 0, 1)
    allowed = (g[:, None, None, None] ^ g[None, :, None, None]) == (
        g[None, None, :, None] ^ g[None, None, None, :]
    )
    ints = from_arrays(h1, 0.1 * h2 * allowed, 0.0, notation="chemist", n_electrons=6, orbsym=g + 1)
    symmetry = molecular_hamiltonian(ints, slots="symmetry")
    assert symmetry.slots == "symmetry"
    assert symmetry.rows["doubles_0"] > 0 and symmetry.rows["doubles_1"] > 0
    dense = np.asarray(molecular_hamiltonian(ints, slots="excitations").compile().to_dense())
    assert np.abs(np.asarray(symmetry.compile().to_dense()) - dense).max() < 1e-10


def test_threshold_zero_keeps_the_noise_orbsym_forbids(monkeypatch):
    """`threshold=0` on PySCF's integrals (symmetry-forbidden ones of about 1e-15): a
    correct ORBSYM is not called wrong, `"auto"` keeps the excitation slots (the
    symmetry slots would drop the noise `threshold=0` keeps) with PySCF's energy, and
    `"symmetry"` asked for is a ValueError naming the largest forbidden integral; a
    threshold between the noise and `CUTOFF` is checked against `CUTOFF`, and `"auto"`
    keeps the noise above it in rows of its own beside ORBSYM's slots."""
    import symir.chemistry.hamiltonian as hamiltonian

    monkeypatch.setattr(hamiltonian, "SYMMETRY_SITES", 2)  # auto would take the symmetry slots
    monkeypatch.setattr(hamiltonian, "TABULATE_STATES", 0)  # rather than a table
    mf, ncore, ncas = pyscf_molecule("h2o")
    ints = from_pyscf(mf, ncore=ncore, ncas=ncas)
    assert molecular_hamiltonian(ints).slots == "symmetry"
    exact = molecular_hamiltonian(ints, threshold=0.0)
    assert exact.slots == "excitations"
    assert abs(lowest(exact.compile()) - pyscf_energy(mf, ncore, ncas)) < 1e-8
    with pytest.raises(ValueError, match=r"slots='symmetry' leaves out .* h[12]\[[\d, ]+\] = "):
        molecular_hamiltonian(ints, threshold=0.0, slots="symmetry")
    g = np.asarray(ints.orbsym)
    noise = float(np.abs(ints.h1[g[:, None] != g[None, :]]).max())
    assert 0 < noise < CUTOFF
    # between the noise and CUTOFF: ORBSYM's slots and a row for each excitation whose
    # noise is above the threshold (forbidden_rows.py), nothing dropped
    kept = molecular_hamiltonian(ints, threshold=noise / 2)
    assert kept.slots == "symmetry" and kept.orbsym == ints.orbsym
    assert kept.rows["forbidden_singles"] > 0
    every = molecular_hamiltonian(ints, threshold=noise / 2, slots="excitations")
    difference = np.asarray(kept.compile().to_dense()) - np.asarray(every.compile().to_dense())
    assert np.abs(difference).max() < 1e-14
    assert molecular_hamiltonian(ints, threshold=4 * noise).slots == "symmetry"


def test_from_pyscf_checks_the_active_space():
    """`ncore` and `ncas` that do not pick orbitals of the mean field: a ValueError naming
    them (a bare RuntimeError or AssertionError from inside PySCF before)."""
    mf, _, _ = pyscf_molecule("lih")  # 6 orbitals, 4 electrons
    for kwargs, message in [
        ({"ncore": 1, "ncas": 8}, r"ncore \+ ncas = 1 \+ 8 orbitals, more than .* 6"),
        ({"ncas": 7}, r"ncore \+ ncas = 0 \+ 7 orbitals"),
        ({"ncore": -1}, r"ncore must be >= 0, got -1"),
        ({"ncore": 3}, r"ncore=3 doubly occupied orbitals hold 6 electrons, more than .* 4"),
        ({"ncas": 2.5}, r"ncas must be an integer, got 2.5"),
        ({"ncas": 0}, r"ncas=0 leaves no active orbital"),
    ]:
        with pytest.raises(ValueError, match=message):
            from_pyscf(mf, **kwargs)
    assert from_pyscf(mf, ncore=1, ncas=5).n_orbitals == 5


def test_hermitian_only_within_rounding():
    """An `h1` asymmetric by 3e-9 is not hermitian (NetKet's gradient estimator reads
    the flag); one asymmetric by rounding is."""
    m = 4
    rng = np.random.default_rng(3)
    h1 = rng.normal(size=(m, m))
    h1 = h1 + h1.T
    h2 = np.zeros((m,) * 4)
    for shift, hermitian in ((3e-9, False), (1e-16, True)):
        skewed = h1.copy()
        skewed[0, 1] += shift
        ints = from_arrays(skewed, h2, 0.0, notation="chemist", n_electrons=2)
        assert molecular_hamiltonian(ints).operator.is_hermitian is hermitian


def orderings(p: int, q: int, r: int, s: int) -> set[tuple[int, int, int, int]]:
    """The eight orderings of a real chemists' integral `(pq|rs)` equal to it."""
    return {(p, q, r, s), (q, p, r, s), (p, q, s, r), (q, p, s, r)} | {
        (r, s, p, q),
        (s, r, p, q),
        (r, s, q, p),
        (s, r, q, p),
    }


@pytest.mark.parametrize(
    "where, value, taken",
    [
        ("pq|rr", 2e-11, True),  # found ignoring |h2| <= 5e-11
        ("pq|rs", 7e-11, True),  # found ignoring |h2| <= 1e-10; a double's coefficient
        ("pq|rr", 6e-11, False),  # a single's coefficient: up to 2 x 6e-11, above 1e-10
    ],
)
def test_irreps_under_a_run_without_symmetry_leave_out_its_noise_only(where, value, taken):
    """A mean field run without `symmetry=True` leaves integrals of about 1e-11 to 6e-11,
    different from run to run, that the point group forbids (N2 6-31G: the cutoff alone
    then finds 2 irreps where the molecule has 4). Made deterministic here: N2's integrals
    (8 orbitals of 18) from a run in D2h, ORBSYM removed, one forbidden integral set to
    `value` (all its orderings). `molecular_hamiltonian` finds D2h's irreps ignoring
    integrals up to 2 `SYMMETRY_NOISE`, takes them where the largest coefficient they
    leave out is at most `SYMMETRY_NOISE` and reports it: exactly the largest element by
    which the operator differs from the one that keeps every excitation. Its ground energy
    is PySCF's CASCI energy to 1e-8. A threshold below the default keeps the noise."""
    import scipy.sparse.linalg
    from pyscf import gto, mcscf, scf

    from symir.chemistry.hamiltonian import SYMMETRY_NOISE
    from symir.chemistry.symmetry import orbsym_from_integrals

    mol = gto.M(atom="N 0 0 0; N 0 0 1.0977", basis="6-31g", symmetry="D2h", verbose=0)
    mf = scf.RHF(mol).run()
    symmetric = from_pyscf(mf, ncas=8)
    g = np.asarray(symmetric.orbsym)
    p, q = (int(k) for k in np.argwhere(g[:, None] != g[None, :])[0])
    r, s = next(
        (a, b) for a in range(8) for b in range(8) if len({p, q, a, b}) == 4 and g[a] == g[b]
    )
    h2 = symmetric.h2.copy()
    for index in orderings(p, q, r, r if where == "pq|rr" else s):
        h2[index] = value
    ints = replace(symmetric, h2=h2, orbsym=None)
    coarse = orbsym_from_integrals(ints.h1, ints.h2, CUTOFF)
    mh = molecular_hamiltonian(ints, slots="symmetry")
    assert len(set(coarse)) < len(set(g))
    if not taken:
        assert mh.orbsym == coarse and "symmetry_noise" not in mh.screening
        return
    pairs = set(zip(g.tolist(), mh.orbsym, strict=True))  # D2h's partition, names aside
    assert len(pairs) == len(set(g)) == len(set(mh.orbsym))
    per_spin = ints.n_fermions_per_spin
    assert connected_bound(mh.orbsym, per_spin) < connected_bound(coarse, per_spin)
    noise = mh.screening["symmetry_noise"]
    assert value <= noise <= SYMMETRY_NOISE
    H = sparse_matrix(mh.compile().to_netket())
    full = sparse_matrix(molecular_hamiltonian(ints, slots="excitations").compile().to_netket())
    assert abs(H - full).max() == pytest.approx(noise, rel=1e-9)  # the largest left out
    energy = scipy.sparse.linalg.eigsh(H, k=1, which="SA")[0][0]
    casci = mcscf.CASCI(mf, 8, mol.nelectron).kernel()[0]
    assert abs(energy - casci) < 1e-8
    # a threshold below the default (NetKet's) asks to keep more: the noise is kept
    finer_kept = molecular_hamiltonian(ints, threshold=CUTOFF / 10, slots="symmetry")
    assert "symmetry_noise" not in finer_kept.screening
    assert finer_kept.orbsym == orbsym_from_integrals(ints.h1, ints.h2, CUTOFF / 10)


def test_orbsym_of_a_subgroup_is_refined_by_the_tables_zeros():
    """N2 (6-31G, (10e, 8o)) run in Cs, a subgroup of its point group: PySCF's ORBSYM
    has 2 irreps, the integrals' zeros show D2h's finer grading. `molecular_hamiltonian`
    takes the finer one (exact by construction: F 204 -> 104, as a run without symmetry
    got): the same operator as the excitation slots', PySCF's CASCI energy."""
    import scipy.sparse.linalg
    from pyscf import gto, mcscf, scf

    mol = gto.M(atom="N 0 0 0; N 0 0 1.0977", basis="6-31g", symmetry="Cs", verbose=0)
    mf = scf.RHF(mol).run()
    ints = from_pyscf(mf, ncore=2, ncas=8)
    assert len(set(ints.orbsym)) == 2
    mh = molecular_hamiltonian(ints, slots="symmetry")
    per_spin = ints.n_fermions_per_spin
    assert len(set(mh.orbsym)) > 2
    assert connected_bound(mh.orbsym, per_spin) < connected_bound(ints.orbsym, per_spin)
    assert "symmetry_noise" not in mh.screening
    H = mh.compile()
    default = molecular_hamiltonian(ints, slots="excitations").compile()
    assert H.max_conn_size < default.max_conn_size
    matrix = sparse_matrix(H.to_netket())
    assert abs(matrix - sparse_matrix(default.to_netket())).max() < 1e-10
    energy = scipy.sparse.linalg.eigsh(matrix, k=1, which="SA")[0][0]
    assert abs(energy - mcscf.CASCI(mf, 8, 10, ncore=2).kernel()[0]) < 1e-8


def test_symmetry_slots_without_irreps_say_none_were_found():
    """`slots="symmetry"` on integrals without zeros (every orbital joined to every other)
    and without ORBSYM: a ValueError saying none were found, not that `orbsym=` is
    missing (an argument `molecular_hamiltonian` does not take)."""
    rng = np.random.default_rng(5)
    h1 = rng.normal(size=(4, 4))
    h2 = rng.normal(size=(4,) * 4)
    h2 = h2 + h2.transpose(1, 0, 2, 3)
    h2 = h2 + h2.transpose(0, 1, 3, 2)
    h2 = h2 + h2.transpose(2, 3, 0, 1)
    ints = from_arrays(h1 + h1.T, h2, 0.0, notation="chemist", n_electrons=4)
    with pytest.raises(ValueError, match="none were found in their zeros at threshold=1e-11"):
        molecular_hamiltonian(ints, slots="symmetry")
    with pytest.raises(ValueError, match="none were found in their zeros at threshold=0"):
        molecular_hamiltonian(ints, slots="symmetry", threshold=0.0)
