"""Molecular integrals in, spin-orbital coefficient tensors out.

`MolecularIntegrals` holds the integrals of restricted (spatial) orbitals: the one-body
`h1[p, q]`, the two-body `h2[p, q, r, s] = (pq|rs)` in chemists' notation and the
constant (core energy, nuclear repulsion), with the number of electrons and `MS2 =
N_alpha - N_beta`. They come from an FCIDUMP file (`read_fcidump`), from arrays
(`from_arrays`, chemists' or physicists' notation).

The Hamiltonian they define is

    H = E_core + sum_{pq, s} h1[p, q] c+_{p s} c_{q s}
               + 1/2 sum_{pqrs, s t} (pq|rs) c+_{p s} c+_{r t} c_{s t} c_{q s}

Spin orbitals are in NetKet's order (`SpinOrbitalFermions(M, s=1/2)`): the M orbitals of
spin down (`sz = -1`, beta) are sites `0 .. M-1`, those of spin up (`sz = +1`, alpha)
sites `M .. 2M-1`; so `n_fermions_per_spin = (N_beta, N_alpha)`.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

NOTATIONS = ("chemist", "physicist")


@dataclass(frozen=True)
class MolecularIntegrals:
    """Integrals of M restricted orbitals (real or complex), chemists' notation."""

    h1: np.ndarray
    """`(M, M)`: `h1[p, q]`, the coefficient of `c+_p c_q` (each spin)."""
    h2: np.ndarray
    """`(M, M, M, M)`: `(pq|rs)`, chemists' notation."""
    constant: float = 0.0
    """The core energy (nuclear repulsion and frozen-core energy), in the same unit."""
    n_electrons: int | None = None
    ms2: int = 0
    """`N_alpha - N_beta` (FCIDUMP's MS2)."""
    orbsym: tuple[int, ...] | None = field(default=None)
    """The irreducible representation of each orbital (FCIDUMP's ORBSYM), if known."""

    def __post_init__(self):
        h1, h2 = np.asarray(self.h1), np.asarray(self.h2)
        if h1.ndim != 2 or h1.shape[0] != h1.shape[1]:
            raise ValueError(f"h1 must be (M, M), got shape {h1.shape}")
        m = h1.shape[0]
        if m == 0:
            raise ValueError(
                "h1 is (0, 0): no orbital, no Hamiltonian to build (an active space needs at "
                "least one orbital)"
            )
        if h2.shape != (m, m, m, m):
            raise ValueError(f"h2 must be ({m}, {m}, {m}, {m}) for {m} orbitals, got {h2.shape}")
        check_finite(h1, "h1")
        check_finite(h2, "h2")
        check_finite(np.asarray(self.constant), "the constant")
        if self.n_electrons is not None:
            problem = _electrons_problem(m, self.n_electrons, self.ms2)
            if problem:
                raise ValueError(problem)
        if self.orbsym is not None and len(self.orbsym) != m:
            raise ValueError(f"ORBSYM has {len(self.orbsym)} entries for {m} orbitals")
        object.__setattr__(self, "h1", h1)
        object.__setattr__(self, "h2", h2)

    @property
    def n_orbitals(self) -> int:
        return int(self.h1.shape[0])

    @property
    def n_fermions_per_spin(self) -> tuple[int, int] | None:
        """`(N_beta, N_alpha)`: NetKet's order, spin down first."""
        if self.n_electrons is None:
            return None
        return ((self.n_electrons - self.ms2) // 2, (self.n_electrons + self.ms2) // 2)

    def hilbert(self):
        """`sym.Fermions(M, 2, n_fermions_per_spin=...)` (unconstrained without NELEC)."""
        from symir.hilbert import Fermions

        per = self.n_fermions_per_spin
        if per is None:
            return Fermions(self.n_orbitals, 2)
        return Fermions(self.n_orbitals, 2, n_fermions_per_spin=per)

    def spin_orbital_tensors(self) -> tuple[np.ndarray, np.ndarray]:
        """`(t, v)` on the 2M spin orbitals in NetKet's order: `t[P, Q]` the coefficient of
        `c+_P c_Q` and `v[A, B, C, D]` that of `c+_A c+_B c_C c_D` (OpenFermion's
        `InteractionOperator` convention): `v[A, B, C, D] = 1/2 (AD|BC)` with the spins of
        A, D and of B, C equal."""
        m = self.n_orbitals
        n = 2 * m
        dtype = np.result_type(self.h1, self.h2, float)
        t = np.zeros((n, n), dtype)
        v = np.zeros((n, n, n, n), dtype)
        for s in (0, 1):
            o = slice(s * m, (s + 1) * m)
            t[o, o] = self.h1
            for u in (0, 1):
                p = slice(u * m, (u + 1) * m)
                # v[a, b, c, d] = 1/2 (ad|bc): a, d of spin s; b, c of spin u
                v[o, p, p, o] = 0.5 * np.transpose(self.h2, (0, 2, 3, 1))
        return t, v


def _electrons_problem(m: int, ne: int, ms2: int) -> str | None:
    """What is wrong with NELEC and MS2 for m orbitals, if anything."""
    if not 0 <= ne <= 2 * m or (ne + ms2) % 2 or abs(ms2) > ne:
        return (
            f"NELEC={ne} and MS2={ms2} do not fit {m} orbitals "
            "(need 0 <= NELEC <= 2M, |MS2| <= NELEC and NELEC + MS2 even)"
        )
    if (ne + ms2) // 2 > m or (ne - ms2) // 2 > m:
        return f"NELEC={ne}, MS2={ms2}: more electrons of one spin than {m}"
    return None


def check_finite(values: np.ndarray, name: str, note: str = "") -> None:
    """A ValueError naming the first entry of `values` (integrals, coefficients) that is
    not a finite number (NaN, inf), and how many are not: screening (`|value| >
    threshold`, False for NaN) would drop it silently."""
    if not (np.issubdtype(values.dtype, np.number) and values.dtype != np.bool_):
        raise ValueError(f"{name} must be numbers, got dtype {values.dtype}")
    bad = np.argwhere(~np.isfinite(values))
    if len(bad):
        first = tuple(int(k) for k in bad[0])
        at = f"{name}[{', '.join(map(str, first))}]" if first else name
        more = f" ({len(bad)} entries are not)" if len(bad) > 1 else ""
        raise ValueError(f"{at}{note} is {values[first]}: integrals must be finite{more}")


def from_arrays(
    h1,
    h2,
    constant: float = 0.0,
    *,
    notation: str,
    n_electrons: int | None = None,
    ms2: int = 0,
    orbsym=None,
) -> MolecularIntegrals:
    """Integrals from arrays of M restricted orbitals: `h1[M, M]` and `h2[M, M, M, M]` in
    `notation="chemist"` (`h2[p, q, r, s] = (pq|rs)`) or `"physicist"` (`h2[p, q, r, s] =
    <pq|rs> = (pr|qs)`), and the constant (core energy). A value that is not a finite number
    (NaN, inf) is a ValueError naming the table and the index. `orbsym`: each orbital's
    irrep, FCIDUMP's labels 1..8 (`symir.chemistry.symmetry`; `pyscf_orbsym(ids)` converts
    PySCF's irrep ids), checked against the integrals when the operator is built."""
    if notation not in NOTATIONS:
        raise ValueError(f"notation must be one of {NOTATIONS}, got {notation!r}")
    h1, h2 = np.asarray(h1), np.asarray(h2)
    check_finite(h1, "h1")
    check_finite(h2, "h2", f" ({notation}s' notation)")
    check_finite(np.asarray(constant), "the constant")
    if notation == "physicist":
        if h2.ndim != 4:
            raise ValueError(f"h2 must be (M, M, M, M), got shape {h2.shape}")
        h2 = np.transpose(h2, (0, 2, 1, 3))  # (pq|rs) = <pr|qs>
    if orbsym is not None:
        orbsym = tuple(int(o) for o in orbsym)
    return MolecularIntegrals(
        h1, h2, float(constant), n_electrons=n_electrons, ms2=ms2, orbsym=orbsym
    )


def from_pyscf(mf, *, ncore: int = 0, ncas: int | None = None) -> MolecularIntegrals:
    """The integrals of a PySCF restricted Hartree-Fock `mf` in its molecular orbitals
    (`mf.mo_coeff`): all of them, or the active space of `ncas` orbitals after `ncore`
    frozen doubly occupied ones (their energy in the constant, their mean field in
    `h1`, the active space's integrals as CASCI takes them, density-fitted for a
    density-fitted `mf` or `mf._eri` where set: PySCF's CASCI Hamiltonian), with the
    electrons, `MS2 = mol.spin` and, for a molecule built with `symmetry=True`, ORBSYM
    (`pyscf_orbsym` of the active orbitals' irrep ids, labelled from the orbitals; None
    where they mix irreps, as localized or rotated orbitals do). Needs PySCF (the `chem`
    extra). An unrestricted (UHF) or generalized (GHF) mean field, or one not run yet, is
    a ValueError saying so."""
    from pyscf import ao2mo, mcscf, symm
    from pyscf.scf import hf

    from symir.chemistry.symmetry import pyscf_orbsym

    if not isinstance(mf, hf.RHF):
        raise ValueError(
            f"from_pyscf needs a restricted mean field (RHF, ROHF, RKS: one set of orbitals "
            f"for both spins), got {type(mf).__name__}; unrestricted or generalized orbitals "
            "are not supported"
        )
    if getattr(mf, "mo_coeff", None) is None or np.ndim(mf.mo_coeff) != 2:
        raise ValueError(
            f"from_pyscf needs the orbitals of a run mean field (mf.run() or mf.kernel()): "
            f"{type(mf).__name__}.mo_coeff is {type(getattr(mf, 'mo_coeff', None)).__name__}"
        )
    mol = mf.mol
    n_mo = mf.mo_coeff.shape[1]
    _check_active_space(ncore, ncas, n_mo, mol.nelectron)
    ncas = n_mo - ncore if ncas is None else ncas
    nelecas = mol.nelectron - 2 * ncore
    cas = mcscf.CASCI(mf, ncas, nelecas, ncore=ncore)
    h1, e_core = cas.get_h1eff(mf.mo_coeff)
    C = mf.mo_coeff[:, ncore : ncore + ncas]
    # PySCF's own active-space integrals, as its CASCI takes them: density-fitted for a
    # density-fitted mean field (`mf.density_fit()`), `mf._eri` where it is set (a model
    # Hamiltonian given to PySCF), else the molecule's exact ones
    h2 = ao2mo.restore(1, cas.get_h2eff(C), ncas)
    orbsym = None
    if mol.symmetry:
        # the active orbitals' own irreps, not the tag `mo_coeff.orbsym`, which an
        # in-place reorder of the columns leaves stale; orbitals that mix irreps
        # (localized, rotated) have none: the irreps are then found from the zeros
        try:
            ids = symm.label_orb_symm(mol, mol.irrep_id, mol.symm_orb, C)
        except ValueError:  # PySCF's "orbitals [...] not symmetrized"
            ids = None
        orbsym = None if ids is None else pyscf_orbsym(np.asarray(ids))
    return from_arrays(
        h1,
        h2,
        float(e_core),
        notation="chemist",
        n_electrons=nelecas,
        ms2=mol.spin,
        orbsym=orbsym,
    )


def _check_active_space(ncore: Any, ncas: Any, n_mo: int, n_electrons: int) -> None:
    """`from_pyscf`'s `ncore` and `ncas` as a ValueError naming them where they do not
    pick orbitals of the mean field's `n_mo` (PySCF's own errors are bare)."""
    given = {"ncore": ncore} if ncas is None else {"ncore": ncore, "ncas": ncas}
    for name, value in given.items():
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise ValueError(f"from_pyscf: {name} must be an integer, got {value!r}")
        if value < 0:
            raise ValueError(f"from_pyscf: {name} must be >= 0, got {value}")
    if ncas is not None and ncas == 0:
        raise ValueError("from_pyscf: ncas=0 leaves no active orbital (ncas must be >= 1)")
    if 2 * ncore > n_electrons:
        raise ValueError(
            f"from_pyscf: ncore={ncore} doubly occupied orbitals hold {2 * ncore} "
            f"electrons, more than the molecule's {n_electrons}"
        )
    if ncore + (0 if ncas is None else ncas) > n_mo:
        raise ValueError(
            f"from_pyscf: ncore + ncas = {ncore} + {ncas} orbitals, more than the mean "
            f"field's {n_mo} molecular orbitals"
        )


# --------------------------------------------------------------------------- FCIDUMP


class FcidumpWarning(UserWarning):
    """An FCIDUMP that reads, but leaves something to a default (a header without MS2)."""


_HEADER = re.compile(r"\s*&FCI(.*?)(&END|/)", re.IGNORECASE | re.DOTALL)
_KEY = re.compile(r"([A-Za-z_]\w*)\s*=")
_INTEGER_KEYS = ("NORB", "NELEC", "MS2", "ISYM")
_REQUIRED_KEYS = ("NORB", "NELEC")


def read_fcidump(source: str | Path) -> MolecularIntegrals:
    """Reads an FCIDUMP (Knowles and Handy's format, as PySCF and Molpro write it) of
    restricted orbitals: the header `&FCI NORB=, NELEC=, MS2=, ORBSYM=, ... &END` (or
    `/`), then one integral per line, `value i j k l` (1-based): `(ij|kl)` for `k, l >
    0`, `h1[i, j]` for `k = l = 0`, the core energy for `i = j = k = l = 0`. Orbital
    energies (`i > 0, j = k = l = 0`) are ignored. Real orbitals: each listed integral
    fills its 8 (two-body) or 2 (one-body) permutations; an entry given twice must agree.
    `source` is a path or the text itself (it starts with `&FCI`).

    A cut or malformed file is refused, a ValueError naming the line and the problem: a
    header without NORB or NELEC, a key given twice, a value that is not an integer,
    ORBSYM of other than NORB entries, NELEC and MS2 that do not fit NORB; an integral
    line of other than 5 fields, a value that is not a finite number (NaN, inf), an
    index that is not an integer, above NORB or of no integral (`0 j 0 0`); no
    core-energy line `value 0 0 0 0` (PySCF and Molpro always write it, last: its
    absence is the mark of a file cut short; write `0.0 0 0 0 0` for a zero core
    energy); an orbital of NORB in no integral (the header does not match the
    integrals), an ORBSYM label outside 1..8. A header without MS2 reads as MS2=0 (the
    namelist's default) with a `FcidumpWarning`. ORBSYM with a 0 in it is PySCF's (its
    `fcidump.from_scf` writes its irrep ids, 0..7): it reads as those ids plus one, the
    labels `MolecularIntegrals.orbsym` holds. Without a 0 (an active space with no
    orbital of irrep 0) it reads as labels, unless they contradict the integrals and the
    ids plus one fit them: then as ids, with a `FcidumpWarning`."""
    text, where = _fcidump_text(source)
    match = _HEADER.match(text)
    if match is None:
        if text.lstrip().upper().startswith("&FCI"):
            raise ValueError(f"{where}: the header `&FCI` is not closed by `&END` or `/`")
        raise ValueError(f"{where}: no header `&FCI ... &END` at the start")
    header_lines = (1, _line_of(text, match.end()))
    fields = _header_fields(text, match, where)
    m, ne, ms2, orbsym = _header(fields, where, header_lines)
    tables = _Tables(m, where)
    first = header_lines[1]  # the rest of the header's last line, then the integrals
    for lineno, line in enumerate(text[match.end() :].splitlines(), first):
        if line.split():
            tables.add(line, lineno)
    tables.check_complete(header_lines)
    if "MS2" not in fields:
        warnings.warn(
            f"{where}, header (lines {header_lines[0]}-{header_lines[1]}): no MS2, taken as 0 "
            "(the namelist's default: as many electrons of each spin); write MS2= to say so",
            FcidumpWarning,
            stacklevel=2,
        )
    orbsym = _orbsym_reading(orbsym, tables, where)
    return MolecularIntegrals(
        tables.h1, tables.h2, tables.constant, n_electrons=ne, ms2=ms2, orbsym=orbsym
    )


def _orbsym_reading(orbsym: Any, tables: Any, where: str) -> Any:
    """ORBSYM without a 0 reads as Molpro's labels 1..8, but PySCF writes its irrep ids
    0..7, and an active space may hold no orbital of irrep 0: where the labels contradict
    the integrals and the same labels plus one (PySCF's ids) fit them, those are taken,
    with a `FcidumpWarning` (a valid file was refused as a wrong ORBSYM)."""
    from symir.chemistry.symmetry import CUTOFF, check_orbsym

    def fits(labels: tuple[int, ...]) -> bool:
        try:
            check_orbsym(tables.h1, tables.h2, labels, CUTOFF)
        except ValueError:
            return False
        return True

    if orbsym is None or max(orbsym) > 7 or fits(orbsym):
        return orbsym
    shifted = tuple(o + 1 for o in orbsym)
    if not fits(shifted):
        return orbsym  # neither fits: the Hamiltonian's check names the integral
    warnings.warn(
        f"{where}: ORBSYM {','.join(map(str, orbsym))} as Molpro's labels contradicts the "
        "integrals, as PySCF's irrep ids (labels minus one) it fits them: read as "
        f"{','.join(map(str, shifted))}",
        FcidumpWarning,
        stacklevel=3,
    )
    return shifted


def _fcidump_text(source: str | Path) -> tuple[str, str]:
    """The FCIDUMP text and what errors call it: a string that starts with `&FCI` or has
    several lines is the text, any other string or path names a file."""
    if isinstance(source, str):
        if not source.strip():
            raise ValueError(
                "read_fcidump: the input is empty (give a path, or the FCIDUMP text, which "
                "starts with `&FCI`)"
            )
        if source.lstrip().upper().startswith("&FCI") or "\n" in source.strip():
            return source, "FCIDUMP text"
    path = Path(source)
    text = path.read_text()
    if not text.strip():
        raise ValueError(f"FCIDUMP {path}: the file is empty")
    return text, f"FCIDUMP {path}"


def _line_of(text: str, position: int) -> int:
    """The 1-based line number of `text[position]`."""
    return text.count("\n", 0, position) + 1


def _header_fields(text: str, match: re.Match, where: str) -> dict[str, tuple[list[str], int]]:
    """Each key of the header (`KEY=value, ...`), its values and its line."""
    header, offset = match.group(1), match.start(1)
    keys = list(_KEY.finditer(header))
    stray = header[: keys[0].start() if keys else len(header)].replace(",", " ").split()
    if stray:
        lineno = _line_of(text, offset + header.index(stray[0]))
        raise ValueError(f"{where}, line {lineno}: {stray[0]!r} in the header is not `KEY=value`")
    fields: dict[str, tuple[list[str], int]] = {}
    for key, after in zip(keys, [*keys[1:], None], strict=True):
        name, lineno = key.group(1).upper(), _line_of(text, offset + key.start())
        if name in fields:
            raise ValueError(
                f"{where}, line {lineno}: {name} given twice in the header "
                f"(before on line {fields[name][1]})"
            )
        values = header[key.end() : after.start() if after else len(header)]
        fields[name] = (values.replace(",", " ").split(), lineno)
    return fields


def _header(
    fields: dict[str, tuple[list[str], int]], where: str, lines: tuple[int, int]
) -> tuple[int, int, int, tuple[int, ...] | None]:
    """NORB, NELEC, MS2 and ORBSYM, checked."""
    for required in _REQUIRED_KEYS:
        if required not in fields:
            raise ValueError(f"{where}, header (lines {lines[0]}-{lines[1]}): no {required}")
    values = {key: _header_integer(fields, key, where) for key in _INTEGER_KEYS if key in fields}
    uhf = fields.get("UHF", ([""], 0))[0] or [""]
    if uhf[0].upper().strip(".") in ("TRUE", "T"):
        raise ValueError(
            f"{where}, line {fields['UHF'][1]}: unrestricted (UHF) integrals are not supported"
        )
    m, ne, ms2 = values["NORB"], values["NELEC"], values.get("MS2", 0)
    if m < 1:
        raise ValueError(f"{where}, line {fields['NORB'][1]}: NORB={m}, not a positive number")
    problem = _electrons_problem(m, ne, ms2)
    if problem:
        no_ms2 = "" if "MS2" in values else " (the header has no MS2: taken as 0)"
        raise ValueError(f"{where}, line {fields['NELEC'][1]}: {problem}{no_ms2}")
    if "ORBSYM" not in fields:
        return m, ne, ms2, None
    given, lineno = fields["ORBSYM"]
    orbsym = tuple(_integer(v, f"{where}, line {lineno}: ORBSYM") for v in given)
    if len(orbsym) != m:
        raise ValueError(f"{where}, line {lineno}: ORBSYM has {len(orbsym)} entries for NORB={m}")
    if 0 in orbsym and max(orbsym) <= 7:
        # PySCF's `fcidump.from_scf` (and `from_mo`, `from_mcscf`) writes its own irrep
        # ids, 0-based, whose product is the XOR too: Molpro's labels are those plus one
        orbsym = tuple(o + 1 for o in orbsym)
    # name a label outside both ranges first (a 0 is bad only beside an 8)
    bad = [o for o in orbsym if not 0 <= o <= 8] or [o for o in orbsym if not 1 <= o <= 8]
    if bad:
        linear = (
            " (PySCF's ids of a linear molecule's irreps, 10 and up, are written as id % 10, "
            "their D2h irrep, by fcidump.from_mo, from_scf and from_mcscf)"
            if bad[0] >= 10
            else ""
        )
        raise ValueError(
            f"{where}, line {lineno}: ORBSYM={bad[0]}: the labels are 1..8 (Molpro's, an "
            f"irrep of D2h or a subgroup) or 0..7 (PySCF's irrep ids){linear}"
        )
    return m, ne, ms2, orbsym


def _header_integer(fields: dict[str, tuple[list[str], int]], key: str, where: str) -> int:
    given, lineno = fields[key]
    if len(given) != 1:
        raise ValueError(f"{where}, line {lineno}: {key} has {len(given)} values, not one")
    return _integer(given[0], f"{where}, line {lineno}: {key}")


def _integer(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{what}={text!r} is not an integer") from None


class _Tables:
    """The integrals read so far, each with its permutations and the line that gave it."""

    def __init__(self, m: int, where: str):
        self.m = m
        self.where = where
        self.h1 = np.zeros((m, m))
        self.h2 = np.zeros((m, m, m, m))
        self.line1 = np.zeros((m, m), np.int32)
        self.line2 = np.zeros((m, m, m, m), np.int32)
        self.constant = 0.0
        self.constant_line = 0
        self.used = np.zeros(m, bool)
        """The orbitals in a one- or two-body integral."""

    def error(self, lineno: int, what: str, line: str | None = None) -> ValueError:
        shown = f": {line.strip()!r}" if line is not None else ""
        return ValueError(f"{self.where}, line {lineno}: {what}{shown}")

    def add(self, line: str, lineno: int) -> None:
        value, idx = self.parse(line, lineno)
        i, j, k, l_ = idx
        if idx == (0, 0, 0, 0):
            if self.constant_line and not _agree(self.constant, value):
                raise self.error(
                    lineno,
                    f"the core energy {value} contradicts {self.constant} given on line "
                    f"{self.constant_line}",
                )
            self.constant, self.constant_line = value, lineno
        elif i > 0 and j == k == l_ == 0:
            pass  # an orbital energy
        elif i > 0 and j > 0 and k == l_ == 0:
            for a, b in ((i - 1, j - 1), (j - 1, i - 1)):
                self.put(self.h1, self.line1, (a, b), value, lineno)
            self.used[[i - 1, j - 1]] = True
        elif min(idx) > 0:
            p, q, r, s = i - 1, j - 1, k - 1, l_ - 1
            for pq in {(p, q), (q, p)}:
                for rs in {(r, s), (s, r)}:
                    self.put(self.h2, self.line2, (*pq, *rs), value, lineno)
                    self.put(self.h2, self.line2, (*rs, *pq), value, lineno)
            self.used[[p, q, r, s]] = True
        else:
            raise self.error(
                lineno,
                f"indices {i} {j} {k} {l_} name no integral (a zero index where `i j k l`, "
                "`i j 0 0`, `i 0 0 0` or `0 0 0 0` is expected)",
                line,
            )

    def parse(self, line: str, lineno: int) -> tuple[float, tuple[int, ...]]:
        """`value i j k l`: a finite number and four indices in 0..NORB."""
        parts = line.split()
        if len(parts) != 5:
            raise self.error(lineno, f"expected `value i j k l`, got {len(parts)} fields", line)
        value = self.value(parts[0], line, lineno)
        idx = tuple(self.index(x, line, lineno) for x in parts[1:])
        for k in idx:
            if not 0 <= k <= self.m:
                raise self.error(lineno, f"index outside 0..{self.m} (NORB={self.m}): {k}", line)
        return value, idx

    def value(self, text: str, line: str, lineno: int) -> float:
        try:
            value = float(text.replace("D", "E").replace("d", "e"))
        except ValueError:
            raise self.error(lineno, f"the value {text!r} is not a number", line) from None
        if not math.isfinite(value):
            raise self.error(lineno, f"the value {text!r} is not a finite number", line)
        return value

    def index(self, text: str, line: str, lineno: int) -> int:
        try:
            return int(text)
        except ValueError:
            raise self.error(lineno, f"the index {text!r} is not an integer", line) from None

    def put(self, table: np.ndarray, lines: np.ndarray, idx: tuple, value: float, lineno: int):
        if lines[idx] and not _agree(table[idx], value):
            raise self.error(
                lineno,
                f"{value} contradicts {table[idx]} given on line {lines[idx]} for the same "
                f"integral {tuple(int(v) + 1 for v in idx)} (8-fold symmetry)",
            )
        table[idx] = value
        lines[idx] = lineno

    def check_complete(self, header_lines: tuple[int, int]) -> None:
        """A file cut short has no core-energy line (written last); NORB must match the
        orbitals of the integrals."""
        if not self.constant_line:
            raise ValueError(
                f"{self.where}: no core-energy line `value 0 0 0 0` (a file cut short? "
                "PySCF and Molpro write it last; write `0.0 0 0 0 0` for a zero core energy)"
            )
        unused = [int(p) + 1 for p in np.flatnonzero(~self.used)]
        if unused:
            raise ValueError(
                f"{self.where}, header (lines {header_lines[0]}-{header_lines[1]}): "
                f"NORB={self.m} does not match the integrals: orbital"
                f"{'s' if len(unused) > 1 else ''} {', '.join(map(str, unused))} in no "
                "one- or two-body integral (write `0.0 p p 0 0` for an orbital p without "
                "integrals)"
            )


def _agree(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-10 * max(1.0, abs(b))


def write_fcidump(
    path: str | Path, integrals: MolecularIntegrals, *, threshold: float = 1e-12
) -> None:
    """Writes real restricted integrals as an FCIDUMP (each 8-fold symmetric two-body
    integral once, `|value| > threshold`; the diagonal one-body integrals always, so that
    every orbital is in one), readable by `read_fcidump` and PySCF. Integrals without
    that symmetry (which `from_arrays` takes) are a `ValueError` naming a pair that
    differs by more than `threshold`: the file would hold another Hamiltonian."""
    if not isinstance(integrals, MolecularIntegrals):
        raise TypeError(
            f"write_fcidump(path, integrals): integrals must be MolecularIntegrals, got "
            f"{type(integrals).__name__} (the arguments swapped?)"
        )
    if np.iscomplexobj(integrals.h1) or np.iscomplexobj(integrals.h2):
        raise ValueError("FCIDUMP holds real integrals only")
    _check_eightfold(integrals.h1, integrals.h2, threshold)
    m = integrals.n_orbitals
    orbsym = integrals.orbsym or (1,) * m
    lines = [
        f" &FCI NORB={m},NELEC={integrals.n_electrons or 0},MS2={integrals.ms2},",
        "  ORBSYM=" + ",".join(str(o) for o in orbsym) + ",",
        "  ISYM=1,",
        " &END",
    ]
    pairs = [(p, q) for p in range(m) for q in range(p + 1)]  # p >= q
    for a, (p, q) in enumerate(pairs):
        for r, s in pairs[: a + 1]:
            v = integrals.h2[p, q, r, s]
            if abs(v) > threshold:
                lines.append(f"{v: .16e} {p + 1:4d} {q + 1:4d} {r + 1:4d} {s + 1:4d}")
    for p, q in pairs:
        if abs(integrals.h1[p, q]) > threshold or p == q:  # each orbital in an integral
            lines.append(f"{integrals.h1[p, q]: .16e} {p + 1:4d} {q + 1:4d}    0    0")
    lines.append(f"{integrals.constant: .16e}    0    0    0    0")
    Path(path).write_text("\n".join(lines) + "\n")


def _check_eightfold(h1: np.ndarray, h2: np.ndarray, threshold: float) -> None:
    """A `ValueError` where `h1` is not symmetric or `h2` (chemist's) lacks one of its
    8-fold permutations by more than `threshold`: an FCIDUMP lists one of each."""
    if h1.size and np.max(np.abs(h1 - h1.T)) > threshold:
        p, q = np.unravel_index(np.argmax(np.abs(h1 - h1.T)), h1.shape)
        raise ValueError(
            f"FCIDUMP holds a symmetric h1 only: h1[{p}, {q}] = {h1[p, q]:.6g} but "
            f"h1[{q}, {p}] = {h1[q, p]:.6g} (the file would hold another Hamiltonian)"
        )
    for axes, form in (
        ((1, 0, 2, 3), "(qp|rs)"),
        ((0, 1, 3, 2), "(pq|sr)"),
        ((2, 3, 0, 1), "(rs|pq)"),
    ):
        other = np.transpose(h2, axes)
        if h2.size and np.max(np.abs(h2 - other)) > threshold:
            p, q, r, s = np.unravel_index(np.argmax(np.abs(h2 - other)), h2.shape)
            swapped = tuple(int(i) for i in np.array([p, q, r, s])[list(axes)])
            raise ValueError(
                f"FCIDUMP holds two-body integrals with 8-fold symmetry only, (pq|rs) = "
                f"{form}: h2[{p}, {q}, {r}, {s}] = {h2[p, q, r, s]:.6g} (chemist's) but "
                f"h2{list(swapped)} = {h2[swapped]:.6g} (the file would hold another "
                "Hamiltonian)"
            )


__all__ = [
    "NOTATIONS",
    "FcidumpWarning",
    "MolecularIntegrals",
    "from_arrays",
    "from_pyscf",
    "read_fcidump",
    "write_fcidump",
]
