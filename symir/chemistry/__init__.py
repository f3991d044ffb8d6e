"""Molecular Hamiltonians: integrals in (FCIDUMP, arrays, spin-orbital tensors), a symir operator
on spin-orbital fermions out (docs/molecules.md).

- `integrals.py`: `MolecularIntegrals` (restricted orbitals, chemists' notation), the
  FCIDUMP reader and writer, `from_arrays` (chemists' or physicists' notation);
- `hamiltonian.py`: `molecular_hamiltonian` / `spin_orbital_hamiltonian`, the operator
  as a few terms whose rows are orbital index tuples and whose matrix elements read
  coefficient tables (`sym.lookup`), with screening; `term_by_term_hamiltonian`, the same
  operator as a plain sum of products (for comparison: its connected states repeat);
- `make_fcidumps.py`: the shipped FCIDUMPs and FCI energies, from PySCF (`chem` extra).

OpenFermion objects are not read yet: `spin_orbital_hamiltonian` takes tensors in the
convention of OpenFermion's `InteractionOperator` (after reordering its interleaved spin
orbitals into NetKet's order).
"""

from symir.chemistry.hamiltonian import (
    MolecularHamiltonian,
    molecular_hamiltonian,
    spin_orbital_hamiltonian,
    term_by_term_hamiltonian,
)
from symir.chemistry.integrals import (
    MolecularIntegrals,
    from_arrays,
    read_fcidump,
    write_fcidump,
)

__all__ = [
    "MolecularHamiltonian",
    "MolecularIntegrals",
    "from_arrays",
    "molecular_hamiltonian",
    "read_fcidump",
    "spin_orbital_hamiltonian",
    "term_by_term_hamiltonian",
    "write_fcidump",
]
