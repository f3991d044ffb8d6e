"""Writes the FCIDUMP files of the molecules the tests and docs use, from PySCF, with
PySCF's FCI energies (`python -m symir.chemistry.make_fcidumps [OUT_DIR]`; needs the
`chem` extra: `pip install symir[chem]`).

Each molecule: restricted Hartree-Fock, then the integrals of its active orbitals (all,
or a frozen core and a window of orbitals, CASCI style: the frozen orbitals' energy goes
into the core energy) written by PySCF's `fcidump.from_mo`-equivalent
`fcidump.from_integrals`, and the FCI energy of exactly that Hamiltonian (`fci.direct_spin1`
on the same integrals, so the reference is FCI within the active space). The energies go
to `references.json` beside the files.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Molecule:
    name: str
    atom: str
    basis: str
    n_frozen: int = 0
    """Lowest doubly occupied orbitals frozen (into the core energy)."""
    n_active: int | None = None
    """Active orbitals after the frozen ones (None: all the rest)."""


MOLECULES = (
    Molecule("h2_sto3g", "H 0 0 0; H 0 0 0.7414", "sto-3g"),
    Molecule("lih_sto3g", "Li 0 0 0; H 0 0 1.5949", "sto-3g"),
    Molecule(
        "h2o_sto3g", "O 0 0 0.1173; H 0 0.7572 -0.4692; H 0 -0.7572 -0.4692", "sto-3g", n_frozen=1
    ),
    Molecule("n2_631g", "N 0 0 0; N 0 0 1.0977", "6-31g", n_frozen=2, n_active=8),
)


def integrals(mol: Molecule):
    """(h1, h2 in chemists' notation (4-index), core energy, n_electrons, orbsym, E_FCI)."""
    import numpy as np
    from pyscf import ao2mo, fci, gto, scf

    m = gto.M(atom=mol.atom, basis=mol.basis, symmetry=True, verbose=0)
    hf = scf.RHF(m).run(conv_tol=1e-12)
    mo = hf.mo_coeff
    core = mo[:, : mol.n_frozen]
    stop = None if mol.n_active is None else mol.n_frozen + mol.n_active
    act = mo[:, mol.n_frozen : stop]
    hcore = hf.get_hcore()
    e_core = m.energy_nuc()
    veff = np.zeros_like(hcore)
    if mol.n_frozen:
        dm_core = 2 * core @ core.T
        veff = hf.get_veff(m, dm_core)
        e_core += np.einsum("ij,ji", dm_core, hcore + 0.5 * veff)
    h1 = act.T @ (hcore + veff) @ act
    n = act.shape[1]
    h2 = ao2mo.restore(1, ao2mo.kernel(m, act), n)
    ne = m.nelectron - 2 * mol.n_frozen
    solver = fci.direct_spin1.FCI()
    solver.conv_tol = 1e-13
    e_fci, _ = solver.kernel(h1, h2, n, ne, ecore=e_core)
    orbsym = [int(s) + 1 for s in hf.orbsym[mol.n_frozen : stop]]
    return h1, h2, float(e_core), ne, orbsym, float(e_fci)


def main(argv: list[str] | None = None) -> int:
    from pyscf.tools import fcidump

    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0]) if argv else DATA
    out.mkdir(parents=True, exist_ok=True)
    refs = {}
    for mol in MOLECULES:
        h1, h2, e_core, ne, orbsym, e_fci = integrals(mol)
        path = out / f"{mol.name}.fcidump"
        fcidump.from_integrals(
            str(path),
            h1,
            h2,
            h1.shape[0],
            ne,
            nuc=e_core,
            ms=0,
            orbsym=orbsym,
            tol=1e-14,
            float_format=" %.16g",
        )
        refs[mol.name] = {
            "atom": mol.atom,
            "basis": mol.basis,
            "n_frozen": mol.n_frozen,
            "n_orbitals": int(h1.shape[0]),
            "n_electrons": ne,
            "e_fci": e_fci,
        }
        print(f"{mol.name}: {h1.shape[0]} orbitals, {ne} electrons, E_FCI = {e_fci:.10f}")
    (out / "references.json").write_text(json.dumps(refs, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
