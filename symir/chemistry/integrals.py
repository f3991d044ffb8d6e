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

import re
from dataclasses import dataclass, field
from pathlib import Path

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
        if h2.shape != (m, m, m, m):
            raise ValueError(f"h2 must be ({m}, {m}, {m}, {m}) for {m} orbitals, got {h2.shape}")
        if self.n_electrons is not None:
            ne, ms2 = self.n_electrons, self.ms2
            if not 0 <= ne <= 2 * m or (ne + ms2) % 2 or abs(ms2) > ne:
                raise ValueError(
                    f"NELEC={ne} and MS2={ms2} do not fit {m} orbitals "
                    "(need 0 <= NELEC <= 2M, |MS2| <= NELEC and NELEC + MS2 even)"
                )
            if (ne + ms2) // 2 > m or (ne - ms2) // 2 > m:
                raise ValueError(f"NELEC={ne}, MS2={ms2}: more electrons of one spin than {m}")
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


def from_arrays(
    h1,
    h2,
    constant: float = 0.0,
    *,
    notation: str,
    n_electrons: int | None = None,
    ms2: int = 0,
) -> MolecularIntegrals:
    """Integrals from arrays of M restricted orbitals: `h1[M, M]` and `h2[M, M, M, M]` in
    `notation="chemist"` (`h2[p, q, r, s] = (pq|rs)`) or `"physicist"` (`h2[p, q, r, s] =
    <pq|rs> = (pr|qs)`), and the constant (core energy)."""
    if notation not in NOTATIONS:
        raise ValueError(f"notation must be one of {NOTATIONS}, got {notation!r}")
    h2 = np.asarray(h2)
    if notation == "physicist":
        if h2.ndim != 4:
            raise ValueError(f"h2 must be (M, M, M, M), got shape {h2.shape}")
        h2 = np.transpose(h2, (0, 2, 1, 3))  # (pq|rs) = <pr|qs>
    return MolecularIntegrals(np.asarray(h1), h2, float(constant), n_electrons=n_electrons, ms2=ms2)


# --------------------------------------------------------------------------- FCIDUMP

_HEADER = re.compile(r"&FCI(.*?)(&END|/)", re.IGNORECASE | re.DOTALL)


def _header_fields(text: str) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    key = None
    for token in re.split(r"[\s,]+", text):
        if not token:
            continue
        if "=" in token:
            key, _, value = token.partition("=")
            key = key.upper()
            fields[key] = [value] if value else []
        elif key is not None:
            fields[key].append(token)
    return fields


def read_fcidump(source: str | Path) -> MolecularIntegrals:
    """Reads an FCIDUMP (Knowles and Handy's format, as PySCF and Molpro write it) of
    restricted orbitals: the header `&FCI NORB=, NELEC=, MS2=, ORBSYM=, ... &END` (or
    `/`), then one integral per line, `value i j k l` (1-based): `(ij|kl)` for `k, l >
    0`, `h1[i, j]` for `k = l = 0`, the core energy for `i = j = k = l = 0`. Orbital
    energies (`i > 0, j = k = l = 0`) are ignored. Real orbitals: each listed integral
    fills its 8 (two-body) or 2 (one-body) permutations; an entry given twice must agree.
    `source` is a path or the text itself (it starts with `&FCI`)."""
    text = str(source)
    if not text.lstrip().upper().startswith("&FCI"):
        text = Path(source).read_text()
    match = _HEADER.search(text)
    if match is None:
        raise ValueError("FCIDUMP: no header `&FCI ... &END` found")
    m, ne, ms2, orbsym = _header(_header_fields(match.group(1)))
    tables = _Tables(m)
    for lineno, line in enumerate(text[match.end() :].splitlines(), 1):
        if line.split():
            tables.add(line, lineno)
    return MolecularIntegrals(
        tables.h1, tables.h2, tables.constant, n_electrons=ne, ms2=ms2, orbsym=orbsym
    )


def _header(fields: dict[str, list[str]]) -> tuple[int, int, int, tuple[int, ...] | None]:
    for required in ("NORB", "NELEC"):
        if not fields.get(required):
            raise ValueError(f"FCIDUMP: the header has no {required}")
    if fields.get("UHF") and fields["UHF"][0].upper().strip(".") in ("TRUE", "T"):
        raise ValueError("FCIDUMP: unrestricted (UHF) integrals are not supported")
    ms2 = int(fields["MS2"][0]) if fields.get("MS2") else 0
    orbsym = tuple(int(v) for v in fields["ORBSYM"]) if fields.get("ORBSYM") else None
    return int(fields["NORB"][0]), int(fields["NELEC"][0]), ms2, orbsym


class _Tables:
    """The integrals read so far, each with its permutations."""

    def __init__(self, m: int):
        self.m = m
        self.h1 = np.zeros((m, m))
        self.h2 = np.zeros((m, m, m, m))
        self.seen1 = np.zeros((m, m), bool)
        self.seen2 = np.zeros((m, m, m, m), bool)
        self.constant = 0.0

    def add(self, line: str, lineno: int) -> None:
        parts = line.split()
        if len(parts) != 5:
            raise ValueError(f"FCIDUMP integral line {lineno}: expected `value i j k l`: {line!r}")
        value = float(parts[0].replace("D", "E").replace("d", "e"))
        idx = tuple(int(x) for x in parts[1:])
        if not all(0 <= k <= self.m for k in idx):
            raise ValueError(f"FCIDUMP integral line {lineno}: index outside 0..{self.m}: {line!r}")
        i, j, k, l_ = idx
        if idx == (0, 0, 0, 0):
            self.constant = value
        elif k == l_ == 0:
            if j > 0:  # j == 0: an orbital energy
                for a, b in ((i - 1, j - 1), (j - 1, i - 1)):
                    _put(self.h1, self.seen1, (a, b), value, lineno)
        elif 0 in idx:
            raise ValueError(f"FCIDUMP integral line {lineno}: a zero index: {line!r}")
        else:
            p, q, r, s = i - 1, j - 1, k - 1, l_ - 1
            for pq in {(p, q), (q, p)}:
                for rs in {(r, s), (s, r)}:
                    _put(self.h2, self.seen2, (*pq, *rs), value, lineno)
                    _put(self.h2, self.seen2, (*rs, *pq), value, lineno)


def _put(table: np.ndarray, seen: np.ndarray, idx: tuple, value: float, lineno: int) -> None:
    if seen[idx] and abs(table[idx] - value) > 1e-10 * max(1.0, abs(value)):
        raise ValueError(
            f"FCIDUMP integral line {lineno}: {value} contradicts {table[idx]} given before "
            f"for the same integral {tuple(int(v) + 1 for v in idx)} (8-fold symmetry)"
        )
    table[idx] = value
    seen[idx] = True


def write_fcidump(
    path: str | Path, integrals: MolecularIntegrals, *, threshold: float = 1e-12
) -> None:
    """Writes real restricted integrals as an FCIDUMP (each 8-fold symmetric two-body
    integral once, `|value| > threshold`), readable by `read_fcidump` and PySCF."""
    if np.iscomplexobj(integrals.h1) or np.iscomplexobj(integrals.h2):
        raise ValueError("FCIDUMP holds real integrals only")
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
        if abs(integrals.h1[p, q]) > threshold:
            lines.append(f"{integrals.h1[p, q]: .16e} {p + 1:4d} {q + 1:4d}    0    0")
    lines.append(f"{integrals.constant: .16e}    0    0    0    0")
    Path(path).write_text("\n".join(lines) + "\n")


__all__ = [
    "NOTATIONS",
    "MolecularIntegrals",
    "from_arrays",
    "read_fcidump",
    "write_fcidump",
]
