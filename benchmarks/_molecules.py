"""Real molecules for the benchmarks, from PySCF or from FCIDUMP files it wrote.

`load(name)` gives symir's integrals (`symir.chemistry.MolecularIntegrals`, ORBSYM from the
point group) and NetKet's `ParticleNumberAndSpinConservingFermioperator2nd` of the same
Hamiltonian. With PySCF installed: restricted Hartree-Fock with `symmetry=True`,
`symir.chemistry.from_pyscf(mf)` and NetKet's `from_pyscf_molecule(mol, mf.mo_coeff)`.
Where the environment variable `SYMIR_FCIDUMPS` names a folder holding `NAME.fcidump`
(a machine without PySCF, such as the GPU machine), both come from that file instead:
`symir.chemistry.read_fcidump`, and NetKet's `from_pyscf_molecule` given the molecular
orbitals' integrals as a molecule's (`_OrbitalBasis`, with the identity as `mo_coeff`),
so that both operators are the same Hamiltonian as on a machine with PySCF (integrals
below 1e-12, which the FCIDUMP leaves out, aside).

    .venv/bin/python benchmarks/_molecules.py DIR h2o_631g n2_631g ...  # writes DIR/NAME.fcidump
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

# geometries (Angstrom) used in several bases
_H2O = "O 0 0 0.1173; H 0 0.7572 -0.4692; H 0 -0.7572 -0.4692"
_N2 = "N 0 0 0; N 0 0 1.0977"
_C2H4 = (
    "C 0 0 0.6695; C 0 0 -0.6695; H 0 0.9289 1.2321; H 0 -0.9289 1.2321; "
    "H 0 0.9289 -1.2321; H 0 -0.9289 -1.2321"
)

MOLECULES = {
    "h2o_sto3g": (_H2O, "sto-3g"),
    "h2o_631g": (_H2O, "6-31g"),
    "c2h4_sto3g": (_C2H4, "sto-3g"),
    "n2_631g": (_N2, "6-31g"),
    "n2_ccpvdz": (_N2, "cc-pvdz"),
    # issue 37's done-when: molecules outside the table above
    "nh3_631g": (
        "N 0 0 0.1173; H 0 0.9377 -0.2737; H 0.8121 -0.4689 -0.2737; H -0.8121 -0.4689 -0.2737",
        "6-31g",
    ),
    "co_631g": ("C 0 0 0; O 0 0 1.1283", "6-31g"),
    "hf_ccpvdz": ("H 0 0 0; F 0 0 0.9168", "cc-pvdz"),
    # measured after the symmetry slots' decoding was made cheaper (docs/molecules.md)
    "ch4_631g": (
        "C 0 0 0; H 0.6276 0.6276 0.6276; H 0.6276 -0.6276 -0.6276; "
        "H -0.6276 0.6276 -0.6276; H -0.6276 -0.6276 0.6276",
        "6-31g",
    ),
    "h2co_631g": ("C 0 0 0; O 0 0 1.205; H 0 0.9429 -0.5876; H 0 -0.9429 -0.5876", "6-31g"),
    "c2h2_631g": ("C 0 0 0.6013; C 0 0 -0.6013; H 0 0 1.6644; H 0 0 -1.6644", "6-31g"),
    # outside every table before (2026-11-26, sixth session's successor)
    "h2o_ccpvdz": (_H2O, "cc-pvdz"),
    "hcn_631g": ("H 0 0 -1.0640; C 0 0 0; N 0 0 1.1560", "6-31g"),
    # narrow_integers.py's
    "c2h4_631g": (_C2H4, "6-31g"),
    "f2_ccpvdz": ("F 0 0 0; F 0 0 1.4119", "cc-pvdz"),
    # 100+ spin orbitals (issue 37 item 3)
    "c6h6_sto3g": (
        "C 0 1.397 0; C 1.2098 0.6985 0; C 1.2098 -0.6985 0; C 0 -1.397 0; "
        "C -1.2098 -0.6985 0; C -1.2098 0.6985 0; H 0 2.481 0; H 2.1486 1.2405 0; "
        "H 2.1486 -1.2405 0; H 0 -2.481 0; H -2.1486 -1.2405 0; H -2.1486 1.2405 0",
        "sto-3g",
    ),
    "n2_ccpvtz": (_N2, "cc-pvtz"),
    # sweep 22's C1 failure: integrals its point group forbids at 1e-9 (forbidden_rows.py)
    "co2_631g": ("C 0 0 0; O 0 0 1.16; O 0 0 -1.16", "6-31g"),
    # few electrons of a spin in many orbitals: per-spin tables (sector_moves.py)
    "lih_ccpvdz": ("Li 0 0 0; H 0 0 1.5949", "cc-pvdz"),
    "h4_ccpvdz": ("H 0 0 0; H 0 0 1.0; H 0 0 2.0; H 0 0 3.0", "cc-pvdz"),
    "li2_631g": ("Li 0 0 0; Li 0 0 2.673", "6-31g"),
}


class _OrbitalBasis:
    """The molecular orbitals' integrals dressed as a PySCF molecule, for NetKet's
    `from_pyscf_molecule(mol, mo_coeff=identity)`: it reads `nao`, `nelec`,
    `energy_nuc()` and `intor` of `int1e_kin`, `int1e_nuc` and `int2e` (chemists'
    notation, all four indices)."""

    def __init__(self, ints):
        self.nao = ints.n_orbitals
        beta, alpha = ints.n_fermions_per_spin
        self.nelec = (alpha, beta)  # PySCF's order
        self._ints = ints

    def energy_nuc(self) -> float:
        return float(self._ints.constant)

    def intor(self, name: str) -> np.ndarray:
        return {
            "int1e_kin": self._ints.h1,
            "int1e_nuc": np.zeros_like(self._ints.h1),
            "int2e": self._ints.h2,
        }[name]


def _pyscf(name: str, symmetry: bool = True):
    from pyscf import gto, scf

    atom, basis = MOLECULES[name]
    mol = gto.M(atom=atom, basis=basis, symmetry=symmetry, verbose=0)
    return mol, scf.RHF(mol).run()


def load(name: str, symmetry: bool = True):
    """`(integrals, netket_operator)` of molecule `name` (see the module's docstring);
    `symmetry=False`: PySCF's run without `symmetry=True` (its default: no ORBSYM, the
    orbitals only as symmetric as the mean field's numerics leave them), not from a file."""
    import netket as nk

    from symir.chemistry import from_pyscf, read_fcidump

    pnc = nk.experimental.operator.ParticleNumberAndSpinConservingFermioperator2nd
    folder = os.environ.get("SYMIR_FCIDUMPS")
    if symmetry and folder and (Path(folder) / f"{name}.fcidump").exists():
        ints = read_fcidump(Path(folder) / f"{name}.fcidump")
        return ints, pnc.from_pyscf_molecule(_OrbitalBasis(ints), np.eye(ints.n_orbitals))
    mol, mf = _pyscf(name, symmetry)
    return from_pyscf(mf), pnc.from_pyscf_molecule(mol, mf.mo_coeff)


def write(folder: str, names: list[str]) -> None:
    from symir.chemistry import from_pyscf, write_fcidump

    Path(folder).mkdir(parents=True, exist_ok=True)
    for name in names:
        write_fcidump(Path(folder) / f"{name}.fcidump", from_pyscf(_pyscf(name)[1]))
        print(f"wrote {folder}/{name}.fcidump")


if __name__ == "__main__":
    write(sys.argv[1], sys.argv[2:])
