"""Molecular Hamiltonians (symir.chemistry): FCIDUMP and array input, the operator against
NetKet's FermionOperator2nd built term by term from the textbook formula, and the FCI
energies of the shipped molecules (made by symir/chemistry/make_fcidumps.py from PySCF)."""

from __future__ import annotations

import json
import warnings
from math import comb
from types import SimpleNamespace

import jax
import numpy as np
import pytest

import symir as sym
from symir.chemistry import (
    from_arrays,
    from_openfermion,
    molecular_hamiltonian,
    openfermion_sites,
    read_fcidump,
    spin_orbital_hamiltonian,
    write_fcidump,
)
from symir.chemistry.make_fcidumps import DATA
from symir.interpreter import reference_get_conn_padded, reference_to_dense
from symir.testing import dense_matrix, first_difference

REFERENCES = json.loads((DATA / "references.json").read_text())


def random_integrals(m: int, seed: int = 0):
    """Real integrals with the 8-fold symmetry, every one non-zero."""
    rng = np.random.default_rng(seed)
    h1 = rng.normal(size=(m, m))
    h1 = h1 + h1.T
    h2 = rng.normal(size=(m,) * 4)
    h2 = h2 + h2.transpose(1, 0, 2, 3)
    h2 = h2 + h2.transpose(0, 1, 3, 2)
    h2 = h2 + h2.transpose(2, 3, 0, 1)
    return h1, 0.1 * h2


def netket_reference(integrals):
    """H = E + sum h1 c+_ps c_qs + 1/2 sum (pq|rs) c+_ps c+_rt c_st c_qs, every index
    written out, on NetKet's SpinOrbitalFermions (spin down first)."""
    import netket as nk

    m = integrals.n_orbitals
    hi = nk.hilbert.SpinOrbitalFermions(m, s=0.5, n_fermions_per_spin=integrals.n_fermions_per_spin)
    site = {(p, s): p + (m if s == 1 else 0) for p in range(m) for s in (-1, 1)}
    terms, weights = [], []
    h1, h2 = integrals.h1, integrals.h2
    for p in range(m):
        for q in range(m):
            for s in (-1, 1):
                terms.append(((site[p, s], 1), (site[q, s], 0)))
                weights.append(h1[p, q])
    for p, q, r, t in np.ndindex(m, m, m, m):
        for s in (-1, 1):
            for u in (-1, 1):
                terms.append(((site[p, s], 1), (site[r, u], 1), (site[t, u], 0), (site[q, s], 0)))
                weights.append(0.5 * h2[p, q, r, t])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nk.operator.FermionOperator2nd(hi, terms, weights, constant=integrals.constant)


@pytest.fixture(scope="module")
def three_orbitals():
    """Random integrals of 3 orbitals in the sector (N_down, N_up) = (1, 2), NetKet's
    dense matrix of them and NetKet's connected states of every state of the sector."""
    h1, h2 = random_integrals(3)
    ints = from_arrays(h1, h2, 0.25, notation="chemist", n_electrons=3, ms2=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # NetKet's matrix through one get_conn_padded call (its own to_dense() of the
        # JAX operator compiles a sparse assembly per shape: most of a minute here)
        reference = netket_reference(ints)
        x = np.asarray(reference.hilbert.all_states())
        xp, mels = reference.get_conn_padded(x)
        return ints, dense_matrix(reference), (x, (np.asarray(xp), np.asarray(mels)))


def test_dense_matrix_equals_netket_fermion_operator(three_orbitals):
    ints, expected, _ = three_orbitals
    for slots in ("excitations", "orbitals"):
        mh = molecular_hamiltonian(ints, slots=slots)
        assert mh.hilbert == sym.Fermions(3, 2, n_fermions_per_spin=(1, 2))
        assert mh.slots == slots
        assert np.abs(mh.compile().to_dense() - expected).max() < 1e-10


@pytest.fixture(scope="module")
def three_orbitals_kernel(three_orbitals):
    """The excitation-indexed operator of `three_orbitals`, compiled."""
    mh = molecular_hamiltonian(three_orbitals[0])
    return mh, mh.compile()


def test_connected_states_equal_netket_s_and_the_reference_interpreter_s(
    three_orbitals, three_orbitals_kernel
):
    """Slot by slot on every state of the sector: NetKet's `get_conn` (its duplicates
    summed) and the reference interpreter (the coalesced diagonal summed) have the
    connected states and matrix elements of the kernel indexed by excitations."""
    _, _, (x, netket_conn) = three_orbitals
    mh, H = three_orbitals_kernel
    xp, mels = (np.asarray(a) for a in H.get_conn_padded(x.astype(np.int8)))
    assert first_difference((xp, mels), netket_conn, x, atol=1e-10) is None
    rxp, rmels = reference_get_conn_padded(mh.operator, x)
    assert first_difference((xp, mels), (rxp, rmels), x, merge="diagonal", atol=1e-12) is None


def test_delta_kernel_names_the_sites_each_excitation_moves(three_orbitals, three_orbitals_kernel):
    """The delta kernel (`get_conn_delta`) of the excitation-indexed form: at most four
    sites per slot (a double excitation), which applied to x give `get_conn_padded`'s x'."""
    from symir.runtime.conn_delta import apply_deltas

    _, _, (x, _) = three_orbitals
    _, H = three_orbitals_kernel
    x = x.astype(np.int8)
    xp, mels = (np.asarray(a) for a in H.get_conn_padded(x))
    sites, values, delta_mels = H.get_conn_delta(x)
    assert np.asarray(sites).shape[-1] == 4
    assert np.array_equal(np.asarray(apply_deltas(x, sites, values)), xp)
    assert np.array_equal(np.asarray(delta_mels), mels)


def reachable(per_spin, m: int) -> int:
    """1 + singles + same-spin doubles + opposite-spin doubles of one state."""
    singles = sum(k * (m - k) for k in per_spin)
    same = sum(comb(k, 2) * comb(m - k, 2) for k in per_spin)
    return 1 + singles + same + int(np.prod([k * (m - k) for k in per_spin]))


@pytest.mark.parametrize("per_spin", [(1, 1), (2, 1), (0, 2), (3, 2)])
def test_slots_are_the_distinct_states_a_state_reaches(per_spin):
    """Indexed by excitations of each state's own electrons: F is the number of states it
    reaches (every integral non-zero: each slot has a non-zero element), no two slots of
    a state hold the same x', and the matrix is the orbital-indexed form's (which
    NetKet checks above; here by the reference interpreter). Sectors with no electron or
    no hole of a spin, and with one electron of a spin (no same-spin doubles), included."""
    m = 3
    h1, h2 = random_integrals(m, seed=sum(per_spin))
    ints = from_arrays(
        h1, h2, 0.5, notation="chemist", n_electrons=sum(per_spin), ms2=per_spin[1] - per_spin[0]
    )
    assert ints.n_fermions_per_spin == per_spin
    mh = molecular_hamiltonian(ints)
    H = mh.compile()
    assert H.max_conn_size == reachable(per_spin, m)
    x = np.asarray(mh.hilbert.all_states())
    xp, mels = (np.asarray(a) for a in H.get_conn_padded(x))
    for b in range(len(x)):
        active = {tuple(s) for s, v in zip(xp[b], mels[b], strict=True) if v != 0}
        assert len(active) == H.max_conn_size  # every slot a different state
    # the orbital-indexed form, by the reference interpreter (no second kernel)
    orbitals = reference_to_dense(
        molecular_hamiltonian(ints, slots="orbitals").operator, hilbert=mh.hilbert
    )
    assert np.abs(H.to_dense() - orbitals).max() < 1e-12


def test_connected_states_are_distinct_and_minimal_over_absolute_excitations():
    """Indexed by orbitals: one slot per distinct excitation (1 + singles + doubles over
    spin orbitals of one spin sector pattern), a double and its conjugate (a row's two
    emissions, which need opposite occupations) in one slot: no sample has two slots
    with the same x' (ignoring padding)."""
    h1, h2 = random_integrals(3, seed=1)
    ints = from_arrays(h1, h2, 0.0, notation="chemist", n_electrons=2, ms2=0)
    mh = molecular_hamiltonian(ints, slots="orbitals")
    H = mh.compile()
    m = 3
    singles = 2 * m * (m - 1)
    doubles = 2 * (m * (m - 1) // 2) * ((m - 2) * (m - 3) // 2) + (m * (m - 1)) ** 2
    assert H.max_conn_size == 1 + singles + doubles // 2
    x = np.asarray(mh.hilbert.all_states())
    xp, mels = (np.asarray(a) for a in H.get_conn_padded(x))
    for b in range(len(x)):
        active = [tuple(s) for s, v in zip(xp[b], mels[b], strict=True) if v != 0]
        assert len(active) == len(set(active))


def test_physicists_notation_is_transposed():
    h1, h2 = random_integrals(2)
    chem = from_arrays(h1, h2, 1.0, notation="chemist", n_electrons=2)
    phys = from_arrays(h1, h2.transpose(0, 2, 1, 3), 1.0, notation="physicist", n_electrons=2)
    assert np.array_equal(chem.h2, phys.h2)
    with pytest.raises(ValueError, match="notation must be one of"):
        from_arrays(h1, h2, notation="dirac")


FCIDUMP = """ &FCI NORB=2,NELEC=2,MS2=0,
  ORBSYM=1,2,
  ISYM=1,
 &END
  0.5   1 1 1 1
  0.25  2 1 1 1
  0.125 2 1 2 1
  0.75  2 2 2 2
  0.3   2 2 1 1
 -1.25  1 1 0 0
  0.1   2 1 0 0
 -0.5   2 2 0 0
  0.7   0 0 0 0
"""


def test_fcidump_header_integrals_and_symmetries():
    ints = read_fcidump(FCIDUMP)
    assert (ints.n_orbitals, ints.n_electrons, ints.ms2, ints.orbsym) == (2, 2, 0, (1, 2))
    assert ints.constant == 0.7
    assert ints.h1.tolist() == [[-1.25, 0.1], [0.1, -0.5]]
    h2 = ints.h2
    for idx in [(1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (0, 0, 0, 1)]:
        assert h2[idx] == 0.25
    for idx in [(1, 0, 1, 0), (0, 1, 1, 0), (1, 0, 0, 1), (0, 1, 0, 1)]:
        assert h2[idx] == 0.125
    assert h2[0, 0, 1, 1] == h2[1, 1, 0, 0] == 0.3
    assert ints.n_fermions_per_spin == (1, 1)


def test_fcidump_round_trip(tmp_path):
    h1, h2 = random_integrals(3, seed=2)
    ints = from_arrays(h1, h2, -3.5, notation="chemist", n_electrons=4, ms2=2)
    write_fcidump(tmp_path / "x.fcidump", ints)
    back = read_fcidump(tmp_path / "x.fcidump")
    assert np.allclose(back.h1, ints.h1, atol=1e-14) and np.allclose(back.h2, ints.h2, atol=1e-14)
    assert (back.constant, back.n_electrons, back.ms2) == (-3.5, 4, 2)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (" &FCI NELEC=2 &END\n", "no NORB"),
        ("nothing here", "no header"),
        (" &FCI NORB=1,NELEC=2 &END\n 1.0 1 1 1\n", "expected `value i j k l`"),
        (" &FCI NORB=1,NELEC=2 &END\n 1.0 2 1 0 0\n", "index outside 0..1"),
        (" &FCI NORB=2,NELEC=2 &END\n 1.0 2 1 1 1\n 2.0 1 2 1 1\n", "contradicts"),
        (" &FCI NORB=1,NELEC=3 &END\n", "do not fit 1 orbitals"),
    ],
)
def test_fcidump_errors_name_the_problem(text, message, tmp_path):
    path = tmp_path / "bad.fcidump"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        read_fcidump(path)


def test_screening_drops_small_coefficients_and_reports_them():
    h1, h2 = random_integrals(2, seed=3)
    h2 = h2 + 0.0
    h2[0, 1, 0, 1] = h2[1, 0, 0, 1] = h2[0, 1, 1, 0] = h2[1, 0, 1, 0] = 1e-9
    ints = from_arrays(h1, h2, 0.0, notation="chemist", n_electrons=2)
    full = molecular_hamiltonian(ints)
    screened = molecular_hamiltonian(ints, threshold=1e-6)
    assert full.screening["dropped"] == 0
    assert screened.screening["dropped"] > 0
    assert 0 < screened.screening["max_dropped"] <= 1e-6
    assert screened.screening["kept"] + screened.screening["dropped"] == full.screening["kept"]
    d_full = full.compile().to_dense()
    d_screened = screened.compile().to_dense()
    assert 0 < np.abs(d_full - d_screened).max() < 1e-7
    # a NaN compared false with every coefficient: all of them were dropped silently
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="threshold must be a finite number >= 0"):
            molecular_hamiltonian(ints, threshold=bad)
    with pytest.raises(ValueError, match="threshold must be a real number >= 0, got '1e-6'"):
        molecular_hamiltonian(ints, threshold="1e-6")


def test_spin_orbital_input_is_checked():
    hi = sym.Fermions(2, 2)
    with pytest.raises(ValueError, match=r"t must be \(4, 4\)"):
        spin_orbital_hamiltonian(np.zeros((3, 3)), np.zeros((4,) * 4), 0.0, hi)
    t, v = np.eye(4), np.zeros((4,) * 4)
    with pytest.raises(ValueError, match="slots must be one of"):
        spin_orbital_hamiltonian(t, v, 0.0, hi, slots="ranks")
    with pytest.raises(ValueError, match="slots='excitations' needs a space that fixes"):
        spin_orbital_hamiltonian(t, v, 0.0, hi, slots="excitations")
    assert spin_orbital_hamiltonian(t, v, 0.0, hi).slots == "orbitals"  # unconstrained
    fixed = sym.Fermions(2, 2, n_fermions_per_spin=(1, 1))
    t[0, 2] = t[2, 0] = 0.5  # orbital 0: spin down to spin up
    with pytest.raises(ValueError, match=r"t\[0, 2\] = 0.5 moves a fermion between the sectors"):
        spin_orbital_hamiltonian(t, v, 0.0, fixed)
    v[0, 1, 2, 3] = 1.0  # two down to two up
    with pytest.raises(ValueError, match="changes the number of fermions of a sector"):
        spin_orbital_hamiltonian(np.eye(4), v, 0.0, fixed)


def ground_energy(name: str) -> float:
    mh = molecular_hamiltonian(read_fcidump(DATA / f"{name}.fcidump"))
    return float(np.linalg.eigvalsh(mh.compile().to_dense())[0])


@pytest.mark.parametrize("name", ["h2_sto3g", "lih_sto3g"])
def test_ground_energy_equals_pyscf_fci(name):
    """The FCIDUMPs and FCI energies were written by make_fcidumps.py with PySCF."""
    assert abs(ground_energy(name) - REFERENCES[name]["e_fci"]) < 1e-8


def test_kernel_constants_are_reported():
    """The compiled kernel's constant data (row tables, coefficient columns) in the
    artifact's metadata and on the operator; H2's doubles term has 2 rows."""
    mh = molecular_hamiltonian(read_fcidump(DATA / "h2_sto3g.fcidump"))
    artifact = sym.SymbolicCompiler().compile(mh.operator)
    constants = artifact.compiled_operator.constants
    assert artifact.metadata["constants"] == constants
    assert artifact.compiled_operator.constant_bytes == constants["bytes"]
    assert constants["bytes"] >= constants["splat_bytes"] + sum(
        c["bytes"] for c in constants["largest"]
    )
    assert constants["count"] >= len(constants["largest"]) > 0


def test_pyscf_integrals_reproduce_the_shipped_file():
    """PySCF (the `chem` extra, in the test extra too) recomputes H2's integrals and FCI
    energy; the operator built from them has that energy."""
    from symir.chemistry.make_fcidumps import MOLECULES, integrals

    (h2_molecule,) = [m for m in MOLECULES if m.name == "h2_sto3g"]
    h1, h2, e_core, ne, _, e_fci = integrals(h2_molecule)
    assert abs(e_fci - REFERENCES["h2_sto3g"]["e_fci"]) < 1e-9
    ints = from_arrays(h1, h2, e_core, notation="chemist", n_electrons=ne)
    H = molecular_hamiltonian(ints).compile()
    assert abs(np.linalg.eigvalsh(H.to_dense())[0] - e_fci) < 1e-8


# --------------------------------------------------------------------------- OpenFermion
# OpenFermion is too heavy an install for CI (the `openfermion` extra); these objects have
# the attributes from_openfermion reads, filled by OpenFermion's documented convention:
# spin orbital 2p is orbital p spin up, 2p + 1 spin down; H = c + sum one[p, q] a+_p a_q +
# sum two[p, q, r, s] a+_p a+_q a_r a_s. benchmarks/openfermion_check.py checks the real
# thing (dense matrices against OpenFermion's own, FCI energies).


def openfermion_shaped(ints) -> SimpleNamespace:
    """An InteractionOperator of restricted integrals: one[2p+s, 2q+s] = h1[p, q] and
    two[2p+s, 2q+u, 2r+u, 2s'+s] = 1/2 (ps'|qr) for the spins s, u."""
    m = ints.n_orbitals
    one = np.zeros((2 * m,) * 2)
    two = np.zeros((2 * m,) * 4)
    for s in (0, 1):
        one[s::2, s::2] = ints.h1
        for u in (0, 1):
            two[s::2, u::2, u::2, s::2] = 0.5 * ints.h2.transpose(0, 2, 3, 1)
    return SimpleNamespace(constant=ints.constant, one_body_tensor=one, two_body_tensor=two)


def fermion_operator_terms(iop) -> dict:
    """The InteractionOperator as a FermionOperator's terms, with every other product
    written out of normal order (a+_p a+_q a_r a_s = delta_qr a+_p a_s - a+_p a_r a+_q a_s,
    a+_p a_q = delta_pq - a_q a+_p), so reading it needs the anticommutators."""
    terms = {(): iop.constant}

    def add(term, value):
        terms[term] = terms.get(term, 0.0) + value

    for k, (p, q) in enumerate(zip(*np.nonzero(iop.one_body_tensor), strict=True)):
        value = iop.one_body_tensor[p, q]
        if k % 2:
            add(((q, 0), (p, 1)), -value)
            add((), value if p == q else 0.0)
        else:
            add(((p, 1), (q, 0)), value)
    for k, (p, q, r, s) in enumerate(zip(*np.nonzero(iop.two_body_tensor), strict=True)):
        value = iop.two_body_tensor[p, q, r, s]
        if k % 2:
            add(((p, 1), (r, 0), (q, 1), (s, 0)), -value)
            if q == r:
                add(((p, 1), (s, 0)), value)
        else:
            add(((p, 1), (q, 1), (r, 0), (s, 0)), value)
    return {tuple((int(i), a) for i, a in term): v for term, v in terms.items()}


def netket_site(hilbert, orbital: int, sz: int) -> int:
    """NetKet's own site of (orbital, sz), read off its number operator."""
    import netket as nk

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ((site, _), _), *_ = nk.operator.fermion.number(hilbert, orbital, sz=sz).terms
    return int(site)


def test_openfermion_sites_are_netkets_orbital_and_spin():
    """OpenFermion's 2p is orbital p spin up (sz = +1), 2p + 1 spin down (sz = -1)."""
    import netket as nk

    hi = nk.hilbert.SpinOrbitalFermions(3, s=0.5)
    expected = [netket_site(hi, i // 2, 1 if i % 2 == 0 else -1) for i in range(6)]
    assert openfermion_sites(3).tolist() == expected == [3, 0, 4, 1, 5, 2]


def test_openfermion_interaction_operator_equals_netket(three_orbitals):
    """With a field `b[i] n_i` on each of OpenFermion's spin orbitals: a restricted
    Hamiltonian alone is the same with the spins swapped, the field tells them apart."""
    import netket as nk

    ints, expected, _ = three_orbitals
    iop = openfermion_shaped(ints)
    field = 0.1 + 0.3 * np.arange(6)
    iop.one_body_tensor += np.diag(field)
    mh = from_openfermion(iop, n_fermions_per_spin=(1, 2))
    assert mh.hilbert == sym.Fermions(3, 2, n_fermions_per_spin=(1, 2))
    hi = nk.hilbert.SpinOrbitalFermions(3, s=0.5, n_fermions_per_spin=(1, 2))
    sites = [netket_site(hi, i // 2, 1 if i % 2 == 0 else -1) for i in range(6)]
    x = np.asarray(hi.all_states())
    expected = expected + np.diag(x[:, sites] @ field)
    assert np.abs(mh.compile().to_dense() - expected).max() < 1e-10


def test_openfermion_fermion_operator_is_normal_ordered(three_orbitals):
    ints, expected, _ = three_orbitals
    fop = SimpleNamespace(terms=fermion_operator_terms(openfermion_shaped(ints)))
    assert any(term[0][1] == 0 for term in fop.terms if term)  # out of normal order
    mh = from_openfermion(fop, n_fermions_per_spin=(1, 2))
    assert np.abs(mh.compile().to_dense() - expected).max() < 1e-10


@pytest.mark.parametrize("name", ["h2_sto3g", "lih_sto3g"])
def test_openfermion_molecule_is_the_fcidump_operator(name):
    """The same IR as molecular_hamiltonian of the FCIDUMP (whose ground energy is
    PySCF's FCI energy: test_ground_energy_equals_pyscf_fci)."""
    ints = read_fcidump(DATA / f"{name}.fcidump")
    mh = from_openfermion(
        openfermion_shaped(ints), n_fermions_per_spin=ints.n_fermions_per_spin, name="molecule"
    )
    assert mh.operator.to_ir() == molecular_hamiltonian(ints).operator.to_ir()


def test_openfermion_fermion_operator_reproduces_fci():
    ints = read_fcidump(DATA / "h2_sto3g.fcidump")
    fop = SimpleNamespace(terms=fermion_operator_terms(openfermion_shaped(ints)))
    mh = from_openfermion(fop, n_fermions_per_spin=ints.n_fermions_per_spin)
    e0 = np.linalg.eigvalsh(mh.compile().to_dense())[0]
    assert abs(e0 - REFERENCES["h2_sto3g"]["e_fci"]) < 1e-8


def test_openfermion_anticommutator_is_a_constant():
    # a_0 a+_0 + a+_0 a_0 = 1
    terms = {((0, 0), (0, 1)): 1.5, ((0, 1), (0, 0)): 1.5, (): np.asarray(0.25)}
    mh = from_openfermion(SimpleNamespace(terms=terms))
    assert mh.constant == 1.75
    assert mh.rows == {"constant": 1}


@pytest.mark.parametrize(
    ("source", "options", "error", "message"),
    [
        ({((0, 1),): 1.0}, {}, ValueError, "does not conserve the particle number"),
        (
            {((0, 1), (1, 1), (2, 1), (3, 0), (4, 0), (5, 0)): 1.0},
            {},
            ValueError,
            "acts on more than two particles",
        ),
        ({((0, 2), (0, 0)): 1.0}, {}, ValueError, "actions 1 \\(create\\) or 0"),
        ({(0, 1): 1.0}, {}, ValueError, "a term must be"),
        ({((3, 1), (3, 0)): 1.0}, {"n_orbitals": 1}, ValueError, "n_orbitals=1 is too few"),
        ({(): 1j}, {}, ValueError, "constant 1j is not real"),
        ({(): "x"}, {}, TypeError, "is not a number"),
    ],
)
def test_openfermion_input_errors_name_the_problem(source, options, error, message):
    with pytest.raises(error, match=message):
        from_openfermion(SimpleNamespace(terms=source), **options)
    with pytest.raises(TypeError, match="reads an InteractionOperator"):
        from_openfermion(object())


def test_configurations_outside_the_sector_are_refused_or_nan(
    three_orbitals, three_orbitals_kernel
):
    """The slots are the excitations of the sector's numbers of electrons: a row of a
    configuration with other numbers would miss excitations or read a missing electron
    (`nth_site` = -1) as the last orbital. Concrete configurations outside the sector
    are a ValueError naming them; inside `jax.jit` their elements are NaN, and the rows
    of the sector's states are unchanged. The orbital-indexed form has the whole row of
    any configuration and assumes nothing."""
    ints, _, (x, _) = three_orbitals
    mh, H = three_orbitals_kernel
    x = np.asarray(x, np.int8)
    assert H.keeps_sectors and mh.hilbert.sectors
    assert mh.operator.assumed_sectors() == tuple(mh.hilbert.sectors)
    outside = x[:2].copy()
    outside[:, 0] = 1 - outside[:, 0]  # one electron more or less of the first spin
    for method in (H.get_conn_padded, H.get_conn_delta):
        with pytest.raises(ValueError, match=r"configuration 0 of the batch holds .* outside"):
            method(np.concatenate([outside, x[:1]]))
    both = np.concatenate([outside, x])
    mels = np.asarray(jax.jit(H.get_conn_padded)(both)[1])
    assert np.isnan(mels[:2]).all() and not np.isnan(mels[2:]).any()
    assert np.array_equal(mels[2:], np.asarray(H.get_conn_padded(x)[1]))
    assert np.isnan(np.asarray(jax.jit(H.get_conn_delta)(both)[2])[:2]).all()
    assert molecular_hamiltonian(ints, slots="orbitals").operator.assumed_sectors() == ()
    # the NetKet adapter on a space without the sector: refused when it is made (sweep 20)
    import netket as nk

    free = nk.hilbert.SpinOrbitalFermions(mh.hilbert.size // 2, s=0.5)
    with pytest.raises(ValueError, match=r"does not fix \d+ particle\(s\) on the sites 0\.\."):
        H.to_netket(hilbert=free)
    from symir.integrations.netket import netket_hilbert

    assert H.to_netket(hilbert=netket_hilbert(H.hilbert)).max_conn_size == H.max_conn_size


def test_arithmetic_of_a_molecular_hamiltonian_is_its_operator_s(three_orbitals_kernel):
    """`2 * mh - 1.5`, `mh + mh.operator`, `-mh / 4`: operators of `mh.operator` (a
    `TypeError` before: the builder's record is not itself an operator), their matrices
    those of the numbers (sweep 17). `mh @ mh` is the product of its fermion strings
    (in normal order, symir/frontend/fermion_normal_order.py): it was refused, its
    sites found at run time, and with `slots="orbitals"` it took minutes (sweep 20)."""
    mh, H = three_orbitals_kernel
    D = H.to_dense()
    eye = np.eye(len(D))
    np.testing.assert_allclose((2 * mh - 1.5).compile().to_dense(), 2 * D - 1.5 * eye, atol=1e-12)
    np.testing.assert_allclose((mh + mh.operator).compile().to_dense(), 2 * D, atol=1e-12)
    np.testing.assert_allclose((-mh / 4).compile().to_dense(), -D / 4, atol=1e-12)
    np.testing.assert_allclose((mh @ mh).compile().to_dense(), D @ D, atol=1e-10)
    shifted = (mh - 1.5) @ (2 * mh).H
    np.testing.assert_allclose(shifted.compile().to_dense(), (D - 1.5 * eye) @ D * 2, atol=1e-10)


@pytest.mark.parametrize("slots", ["orbitals", "excitations", "symmetry"])
def test_the_square_of_a_molecular_hamiltonian_is_its_strings_product(slots):
    """`mh @ mh` (the variance's `H^2`) for every kind of slots: the product of the
    strings in normal order, equal ones summed, against the square of the matrix. Four
    orbitals with `slots="orbitals"` had not finished its product after 112 s (sweep
    20); now it is 3,355 strings, the most that two-body products can make."""
    ints = _symmetric_integrals()
    mh = molecular_hamiltonian(ints, slots=slots)
    assert mh.operator._fermion_strings._make is not None  # not listed by the build
    assert (2 * mh + 1)._fermion_strings._make is not None  # nor by arithmetic
    D = mh.compile().to_dense()
    square = mh @ mh
    assert len(square._fermion_strings) <= sum(comb(8, k) ** 2 for k in range(5))
    np.testing.assert_allclose(square.compile().to_dense(), D @ D, atol=1e-10)
    assert square.is_hermitian


def _symmetric_integrals():
    """Four orbitals, two irreps, the integrals ORBSYM forbids zero."""
    h1, h2 = random_integrals(4, seed=4)
    irrep = np.array([0, 0, 1, 1])  # ORBSYM (1, 1, 2, 2): zero what it forbids
    h1 = np.where(irrep[:, None] == irrep[None, :], h1, 0.0)
    allowed = (irrep[:, None, None, None] ^ irrep[None, :, None, None]) == (
        irrep[None, None, :, None] ^ irrep[None, None, None, :]
    )
    h2 = np.where(allowed, h2, 0.0)
    return from_arrays(h1, h2, 0.0, notation="chemist", n_electrons=4, ms2=0, orbsym=(1, 1, 2, 2))


def test_a_product_with_sites_found_by_rank_is_refused_briefly():
    """`mh @ op`, `op` an operator without fermion strings (rows, a predicate), cannot be
    composed with excitation slots (a site found by rank depends on the configuration):
    a `SymbolicDefinitionError` that says so in a few lines; the site's expression is
    cut (it printed 28,000 characters of it, sweep 20)."""
    ints = _symmetric_integrals()
    for slots in ("excitations", "symmetry"):
        mh = molecular_hamiltonian(ints, slots=slots)
        hop = sym.DOperator(mh.hilbert, "hop").for_each(("i", "j"), over=[(0, 1), (4, 5)])
        hop = hop.emit(sym.cdag("i") * sym.c("j"), matrix_element=0.5).build()
        with pytest.raises(sym.SymbolicDefinitionError, match="depends on the configuration") as e:
            (mh @ hop).compile()
        assert len(str(e.value)) < 400, slots
    assert "characters)" in str(e.value)  # the symmetry slots' site, cut
