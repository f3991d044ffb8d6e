"""`symir.chemistry.from_openfermion` against real OpenFermion (the `openfermion` extra,
too heavy for CI: the CI tests read OpenFermion-shaped objects built from its documented
convention instead).

For H2 and LiH (the shipped FCIDUMPs, STO-3G), random restricted integrals with every
entry non-zero (3 orbitals, sector `(N_down, N_up) = (1, 2)`) and random spin-orbital
tensors that conserve the number of each spin but treat the spins differently (6 spin
orbitals, the same sector: only these tell up from down, a restricted Hamiltonian is the
same with the spins swapped; a swapped map fails here with a difference of 7):
OpenFermion's own `InteractionOperator` (`get_tensors_from_integrals`, its interleaved
spin orbitals, its two-body ordering `(ps|qr)`) and `FermionOperator`
(`get_fermion_operator`) go through `from_openfermion`; then

* the dense matrix of each equals OpenFermion's `get_sparse_operator` of the same
  operator, restricted to the sector and brought to NetKet's site order: the state `x`
  is OpenFermion's basis state with `n[i] = x[openfermion_sites(M)[i]]`, times the sign
  of the permutation between the two orders of its occupied spin orbitals (both
  conventions put the Jordan-Wigner string on the lower modes) — `max |diff|`;
* the lowest eigenvalue equals PySCF's FCI energy (`references.json`) — `E - E_FCI`;
* the time `from_openfermion` takes (the OpenFermion import not included).

    /path/to/venv-with-openfermion/bin/python benchmarks/openfermion_check.py
"""

from __future__ import annotations

import json
import time

import numpy as np

from symir.chemistry import from_openfermion, openfermion_sites, read_fcidump
from symir.chemistry.make_fcidumps import DATA


def random_integrals(m: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    h1 = rng.normal(size=(m, m))
    h1 = h1 + h1.T
    h2 = rng.normal(size=(m,) * 4)
    h2 = h2 + h2.transpose(1, 0, 2, 3)
    h2 = h2 + h2.transpose(0, 1, 3, 2)
    h2 = h2 + h2.transpose(2, 3, 0, 1)
    return h1, 0.1 * h2


def openfermion_matrix_in_sector(fop, hilbert, m: int) -> np.ndarray:
    """OpenFermion's sparse matrix of `fop`, rows and columns the sector's states in
    symir's order, with the reordering signs."""
    import openfermion as of

    n_modes = 2 * m
    sparse = of.get_sparse_operator(fop, n_qubits=n_modes).tocsr()
    sites = openfermion_sites(m)
    states = np.asarray(hilbert.all_states(), dtype=int)
    index, sign = [], []
    for x in states:
        occupation = x[sites]  # OpenFermion's n[i]
        index.append(int(sum(int(b) << (n_modes - 1 - i) for i, b in enumerate(occupation))))
        modes = [int(i) for i in np.argsort(sites) if x[sites[i]]]  # OpenFermion indices, by site
        inversions = sum(a > b for k, a in enumerate(modes) for b in modes[k + 1 :])
        sign.append(-1 if inversions % 2 else 1)
    sign = np.asarray(sign)
    return sign[:, None] * sparse[index][:, index].toarray() * sign[None, :]


def random_spin_orbital_tensors(n: int, seed: int = 0):
    """A hermitian InteractionOperator's tensors that conserve the number of each spin
    but are otherwise random, with no symmetry between the spins (what tells the spin
    orbitals apart: restricted integrals are the same for both spins)."""
    rng = np.random.default_rng(seed)
    spin = np.arange(n) % 2  # OpenFermion: 2p up, 2p + 1 down
    a, b, c, d = np.ix_(spin, spin, spin, spin)
    one = rng.normal(size=(n, n)) * (spin[:, None] == spin[None, :])
    two = rng.normal(size=(n,) * 4) * (((a == d) & (b == c)) | ((a == c) & (b == d)))
    return one + one.T, 0.1 * (two + two.transpose(3, 2, 1, 0))


def molecule(h1, h2_chem, constant):
    import openfermion as of

    one, two = of.ops.representations.get_tensors_from_integrals(
        h1,
        np.transpose(h2_chem, (0, 2, 3, 1)),  # OpenFermion's ordering: [p,q,r,s] = (ps|qr)
    )
    return of.InteractionOperator(constant, one, two)


def check(name: str, iop, per_spin, e_fci=None) -> dict:
    import openfermion as of

    m = iop.one_body_tensor.shape[0] // 2
    fop = of.get_fermion_operator(iop)
    result = {"molecule": name, "M": m, "per_spin": per_spin, "terms": len(fop.terms)}
    for kind, obj in (("InteractionOperator", iop), ("FermionOperator", fop)):
        start = time.perf_counter()
        mh = from_openfermion(obj, n_fermions_per_spin=per_spin)
        result[f"{kind} s"] = time.perf_counter() - start
        dense = mh.compile().to_dense()
        reference = openfermion_matrix_in_sector(fop, mh.hilbert, m)
        result[f"{kind} max|diff|"] = float(np.abs(dense - reference).max())
        e0 = float(np.linalg.eigvalsh(dense)[0])
        if e_fci is not None:
            result[f"{kind} E-E_FCI"] = e0 - e_fci
        assert result[f"{kind} max|diff|"] < 1e-10, result
        assert e_fci is None or abs(e0 - e_fci) < 1e-8, result
    return result


def main() -> None:
    import openfermion as of

    references = json.loads((DATA / "references.json").read_text())
    print(f"openfermion {of.__version__}")
    rows = []
    for name in ("h2_sto3g", "lih_sto3g"):
        ints = read_fcidump(DATA / f"{name}.fcidump")
        iop = molecule(ints.h1, ints.h2, ints.constant)
        rows.append(check(name, iop, ints.n_fermions_per_spin, references[name]["e_fci"]))
    h1, h2 = random_integrals(3)
    rows.append(check("random integrals", molecule(h1, h2, 0.25), (1, 2)))
    one, two = random_spin_orbital_tensors(6)
    rows.append(check("random spin orbitals", of.InteractionOperator(0.25, one, two), (1, 2)))
    print(
        "| molecule | M | (N_down, N_up) | FermionOperator terms | "
        "max diff (Interaction / Fermion) | E - E_FCI (Interaction / Fermion) | "
        "from_openfermion s (Interaction / Fermion) |"
    )
    print("|---" * 7 + "|")
    for r in rows:
        energies = (
            f"{r['InteractionOperator E-E_FCI']:.1e} / {r['FermionOperator E-E_FCI']:.1e}"
            if "InteractionOperator E-E_FCI" in r
            else "-"
        )
        print(
            f"| {r['molecule']} | {r['M']} | {tuple(r['per_spin'])} | {r['terms']} | "
            f"{r['InteractionOperator max|diff|']:.1e} / {r['FermionOperator max|diff|']:.1e} | "
            f"{energies} | {r['InteractionOperator s']:.2f} / {r['FermionOperator s']:.2f} |"
        )


if __name__ == "__main__":
    main()
