"""Molecular Hamiltonians: integrals in (FCIDUMP, arrays, spin-orbital tensors), a symir operator
on spin-orbital fermions out (docs/molecules.md).

- `integrals.py`: `MolecularIntegrals` (restricted orbitals, chemists' notation), the
  FCIDUMP reader and writer, `from_arrays` (chemists' or physicists' notation);
- `hamiltonian.py`: `molecular_hamiltonian` / `spin_orbital_hamiltonian`, the operator
  as a few terms whose matrix elements read coefficient tables (`sym.lookup`), with
  screening, its slots indexed by the excitations of each state's electrons (on a space
  of fixed electron numbers per spin: `excitations.py`) or by spin orbitals;
  `term_by_term_hamiltonian`, the same operator as a plain sum of products (for
  comparison: its connected states repeat);
- `symmetry.py`: the integral cutoff (`CUTOFF`, NetKet's 1e-11) and ORBSYM, checked
  against the integrals (`check_orbsym`) or, where none is given, found from their
  zeros (`orbsym_from_integrals`);
- `excitations.py`: the terms over ranks of a state's electrons and holes (the k-th
  electron of a spin to its l-th hole, ...), `F` = the states a state reaches;
- `irrep_slots.py`: `slots="symmetry"`, slots only for the excitations ORBSYM allows,
  numbered per state and decoded at run time (`F` within 3% of
  `symmetry.connected_bound`);
- `openfermion_input.py`: `from_openfermion`, OpenFermion's `InteractionOperator` and
  `FermionOperator` read through their attributes (no OpenFermion import), its
  interleaved spin orbitals mapped to NetKet's order (`openfermion_sites`);
- `make_fcidumps.py`: the shipped FCIDUMPs and FCI energies, from PySCF (`chem` extra).
"""

from symir.chemistry.hamiltonian import (
    MolecularHamiltonian,
    molecular_hamiltonian,
    spin_orbital_hamiltonian,
    term_by_term_hamiltonian,
)
from symir.chemistry.integrals import (
    FcidumpWarning,
    MolecularIntegrals,
    from_arrays,
    from_pyscf,
    read_fcidump,
    write_fcidump,
)
from symir.chemistry.openfermion_input import from_openfermion, openfermion_sites

__all__ = [
    "FcidumpWarning",
    "MolecularHamiltonian",
    "MolecularIntegrals",
    "from_arrays",
    "from_openfermion",
    "from_pyscf",
    "molecular_hamiltonian",
    "openfermion_sites",
    "read_fcidump",
    "spin_orbital_hamiltonian",
    "term_by_term_hamiltonian",
    "write_fcidump",
]
