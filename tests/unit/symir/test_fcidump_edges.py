"""FCIDUMP and array input at their edges (issue 35, items 2, 3 and 7): a non-finite
integral, a file cut short, a malformed line or a header that does not match the
integrals is a ValueError that names the line and the problem, never a Hamiltonian that
is silently wrong; integrals given as arrays must be finite too."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import symir as sym
from symir.chemistry import (
    FcidumpWarning,
    MolecularIntegrals,
    from_arrays,
    molecular_hamiltonian,
    read_fcidump,
    spin_orbital_hamiltonian,
    write_fcidump,
)
from symir.chemistry.make_fcidumps import DATA

H2 = (DATA / "h2_sto3g.fcidump").read_text()
LINES = H2.splitlines()
"""Lines 1-4 the header, 5-8 the two-body integrals, 9-10 the one-body ones, 11 the core
energy."""


def replaced(lineno: int, line: str) -> str:
    """H2's FCIDUMP with its line `lineno` (1-based) replaced."""
    return "\n".join([*LINES[: lineno - 1], line, *LINES[lineno:]]) + "\n"


def inserted(lineno: int, line: str) -> str:
    """H2's FCIDUMP with `line` inserted as its line `lineno`."""
    return "\n".join([*LINES[: lineno - 1], line, *LINES[lineno - 1 :]]) + "\n"


def read_error(text: str) -> str:
    with pytest.raises(ValueError) as info:
        read_fcidump(text)
    return str(info.value)


def test_the_shipped_files_read():
    for path in sorted(DATA.glob("*.fcidump")):
        ints = read_fcidump(path)
        assert ints.n_electrons and ints.orbsym and len(ints.orbsym) == ints.n_orbitals
    h2 = read_fcidump(H2)
    assert h2.constant == 0.7137539936876182 and h2.h1[1, 1] == -0.4759487152209642


# --------------------------------------------------------------------------- item 2


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "Infinity", "-NAN"])
@pytest.mark.parametrize(
    ("lineno", "indices"),
    [(5, "1 1 1 1"), (6, "2 1 2 1"), (9, "1 1 0 0"), (11, "0 0 0 0")],
    ids=["two-body", "two-body-offdiagonal", "one-body", "core"],
)
def test_a_non_finite_integral_is_an_error_naming_its_line(value, lineno, indices):
    """Today a NaN is read, then dropped by the screening (`|W| > threshold` is False for
    NaN): H2's ground energy comes out -1.806 instead of -1.137."""
    message = read_error(replaced(lineno, f" {value} {indices}"))
    assert f"line {lineno}:" in message and "not a finite number" in message
    assert repr(value) in message


def test_a_non_finite_orbital_energy_is_an_error_too():
    """Orbital energies (`value i 0 0 0`) are ignored, but a NaN there is a broken file."""
    message = read_error(inserted(11, " nan 1 0 0 0"))
    assert "line 11:" in message and "not a finite number" in message


@pytest.mark.parametrize("notation", ["chemist", "physicist"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_arrays_are_an_error_naming_the_table_and_index(notation, bad):
    h1, h2 = np.diag([-1.0, -0.5]), np.full((2,) * 4, 0.1)
    h1_bad = h1.copy()
    h1_bad[1, 0] = bad
    with pytest.raises(ValueError, match=re.escape(f"h1[1, 0] is {bad}")):
        from_arrays(h1_bad, h2, 0.5, notation=notation, n_electrons=2)
    h2_bad = h2.copy()
    h2_bad[0, 1, 1, 0] = bad
    with pytest.raises(ValueError, match=re.escape(f"h2[0, 1, 1, 0] ({notation}s' notation)")):
        from_arrays(h1, h2_bad, 0.5, notation=notation, n_electrons=2)
    with pytest.raises(ValueError, match=r"the constant is .*must be finite"):
        from_arrays(h1, h2, bad, notation=notation, n_electrons=2)


def test_every_non_finite_entry_is_counted_and_direct_input_is_checked():
    h2 = np.full((2,) * 4, np.nan)
    with pytest.raises(ValueError, match=r"h2\[0, 0, 0, 0\] is nan.*\(16 entries are not\)"):
        MolecularIntegrals(np.eye(2), h2)
    with pytest.raises(ValueError, match="h1 must be numbers"):
        from_arrays([["a", "b"], ["c", "d"]], np.zeros((2,) * 4), notation="chemist")


def test_spin_orbital_tensors_must_be_finite():
    """The spin-orbital input (and OpenFermion's, which goes through it) screens the same
    way, so it is checked the same way."""
    hi = sym.Fermions(2, 2, n_fermions_per_spin=(1, 1))
    t, v = np.eye(4), np.zeros((4,) * 4)
    t[2, 3] = t[3, 2] = np.nan
    with pytest.raises(ValueError, match=re.escape("t[2, 3] is nan")):
        spin_orbital_hamiltonian(t, v, 0.0, hi)
    v[0, 2, 2, 0] = np.inf
    with pytest.raises(ValueError, match=re.escape("v[0, 2, 2, 0] is inf")):
        spin_orbital_hamiltonian(np.eye(4), v, 0.0, hi)
    with pytest.raises(ValueError, match="the constant is nan"):
        spin_orbital_hamiltonian(np.eye(4), np.zeros((4,) * 4), float("nan"), hi)


# --------------------------------------------------------------------------- item 3


def test_the_issues_truncated_file_is_refused():
    """Header and the first three integral lines: today it reads, E0 = -0.046."""
    message = read_error("\n".join(LINES[:7]) + "\n")
    assert "no core-energy line `value 0 0 0 0`" in message and "cut short" in message


@pytest.mark.parametrize("name", ["h2_sto3g", "lih_sto3g"])
def test_a_file_cut_at_any_line_is_refused(name, tmp_path):
    lines = (DATA / f"{name}.fcidump").read_text().splitlines(keepends=True)
    path = tmp_path / "cut.fcidump"
    for n in range(1, len(lines)):
        path.write_text("".join(lines[:n]))
        with pytest.raises(ValueError, match=re.escape(f"FCIDUMP {path}")):
            read_fcidump(path)


def test_a_file_cut_at_any_character_is_refused():
    text = H2.rstrip()
    for n in range(text.index("&FCI") + 4, len(text)):
        with pytest.raises(ValueError):
            read_fcidump(text[:n])
    read_fcidump(text)


@pytest.mark.parametrize(
    ("lineno", "line", "message"),
    [
        (6, " 0.18 3 1 2 1", "index outside 0..2 (NORB=2): 3"),
        (6, " 0.18 2 -1 2 1", "index outside 0..2 (NORB=2): -1"),
        (9, " -1.25 1 3 0 0", "index outside 0..2 (NORB=2): 3"),
        (6, " 0.18 2 1 2", "expected `value i j k l`, got 4 fields"),
        (6, " 0.18 2 1 2 1 7", "expected `value i j k l`, got 6 fields"),
        (9, " -1.25", "expected `value i j k l`, got 1 fields"),
        (6, " x0.18 2 1 2 1", "the value 'x0.18' is not a number"),
        (6, " ******** 2 1 2 1", "the value '********' is not a number"),
        (6, " 0.18 2 1 2 1.0", "the index '1.0' is not an integer"),
        (6, " 0.18 2 one 2 1", "the index 'one' is not an integer"),
        (9, " -1.25 0 1 0 0", "indices 0 1 0 0 name no integral"),
        (6, " 0.18 2 1 0 1", "indices 2 1 0 1 name no integral"),
        (6, " 0.18 2 0 2 1", "indices 2 0 2 1 name no integral"),
    ],
)
def test_a_malformed_line_is_an_error_naming_the_line(lineno, line, message):
    error = read_error(replaced(lineno, line))
    assert f"line {lineno}: {message}" in error and repr(line.strip()) in error


def test_errors_name_the_line_of_the_file():
    """Numbered from the file's first line (the header is lines 1-4), not from the end
    of the header."""
    lines = (DATA / "lih_sto3g.fcidump").read_text().splitlines()
    lines[100] = " nan 1 1 1 1"
    assert "line 101: the value 'nan' is not a finite number" in read_error("\n".join(lines))


def test_a_core_energy_given_twice_must_agree():
    read_fcidump(inserted(5, LINES[10]))  # the same value twice: fine
    error = read_error(inserted(5, " 0.5 0 0 0 0"))
    assert "line 12: the core energy 0.7137539936876182 contradicts 0.5 given on line 5" in error


def test_an_integral_given_twice_must_agree_naming_both_lines():
    error = read_error(inserted(9, " 0.2 1 2 1 2"))  # (12|12) = (21|21), line 6
    assert "line 9: 0.2 contradicts 0.1812888082114958 given on line 6" in error


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("NORB=   2,", "", "header (lines 1-4): no NORB"),
        ("NELEC= 2,", "", "header (lines 1-4): no NELEC"),
        ("NORB=   2", "NORB=two", "line 1: NORB='two' is not an integer"),
        ("NORB=   2", "NORB=2 3", "line 1: NORB has 2 values, not one"),
        ("NORB=   2", "NORB=", "line 1: NORB has 0 values, not one"),
        ("NORB=   2", "NORB=0", "line 1: NORB=0, not a positive number"),
        ("MS2=0", "MS2=0.5", "line 1: MS2='0.5' is not an integer"),
        (
            "ISYM=1,",
            "ISYM=1, NELEC=2",
            "line 3: NELEC given twice in the header (before on line 1)",
        ),
        ("ORBSYM=1,6", "ORBSYM=1", "line 2: ORBSYM has 1 entries for NORB=2"),
        ("ORBSYM=1,6", "ORBSYM=1,6,1", "line 2: ORBSYM has 3 entries for NORB=2"),
        ("ORBSYM=1,6", "ORBSYM=1,B1u", "line 2: ORBSYM='B1u' is not an integer"),
        ("NELEC= 2", "NELEC= 5", "NELEC=5 and MS2=0 do not fit 2 orbitals"),
        ("NELEC= 2", "NELEC= 3", "NELEC=3 and MS2=0 do not fit 2 orbitals"),
        ("MS2=0", "MS2=4", "NELEC=2 and MS2=4 do not fit 2 orbitals"),
        ("&FCI", "&FCI junk", "line 1: 'junk' in the header is not `KEY=value`"),
        ("&END", "", "the header `&FCI` is not closed by `&END` or `/`"),
        ("ISYM=1,", "ISYM=1, UHF=.TRUE.", "line 3: unrestricted (UHF) integrals"),
    ],
)
def test_a_header_that_does_not_fit_is_an_error(old, new, message):
    assert old in H2
    assert message in read_error(H2.replace(old, new))


def test_norb_above_the_integrals_orbitals_is_an_error():
    """NORB=3 over H2's two orbitals: today orbital 3 reads as an empty orbital."""
    text = H2.replace("NORB=   2", "NORB=   3").replace("ORBSYM=1,6", "ORBSYM=1,6,1")
    error = read_error(text)
    assert "NORB=3 does not match the integrals: orbital 3 in no one- or two-body" in error


def test_norb_below_the_integrals_orbitals_is_an_error():
    text = H2.replace("NORB=   2", "NORB=   1").replace("ORBSYM=1,6", "ORBSYM=1")
    assert "line 6: index outside 0..1 (NORB=1): 2" in read_error(text)


def test_a_header_without_ms2_warns_and_takes_zero():
    with pytest.warns(FcidumpWarning, match=r"header \(lines 1-4\): no MS2, taken as 0"):
        ints = read_fcidump(H2.replace("MS2=0,", ""))
    assert ints.ms2 == 0 and ints.n_fermions_per_spin == (1, 1)
    odd = H2.replace("MS2=0,", "").replace("NELEC= 2", "NELEC= 3")
    assert "(the header has no MS2: taken as 0)" in read_error(odd)


def test_header_keys_may_be_spaced_and_closed_by_a_slash():
    text = H2.replace("NORB=   2", "NORB = 2").replace("&END", "/")
    ints = read_fcidump(text)
    assert ints.n_orbitals == 2 and ints.constant == read_fcidump(H2).constant


def test_the_writer_lists_every_orbital(tmp_path):
    """An orbital without a non-zero integral still gets its diagonal one-body line, so
    the reader's check that NORB matches the integrals passes on what the writer wrote."""
    h1 = np.diag([-1.0, 0.0])
    h2 = np.zeros((2,) * 4)
    h2[0, 0, 0, 0] = 0.5
    ints = from_arrays(h1, h2, 0.25, notation="chemist", n_electrons=2)
    write_fcidump(tmp_path / "x.fcidump", ints)
    back = read_fcidump(tmp_path / "x.fcidump")
    assert np.array_equal(back.h1, h1) and np.array_equal(back.h2, h2)


def test_the_writer_refuses_integrals_an_fcidump_cannot_hold(tmp_path):
    """`from_arrays` takes integrals without the 8-fold symmetry (real, hermitian, but
    `(pq|rs) != (qp|rs)`), and symir builds their Hamiltonian; an FCIDUMP lists one
    integral of each 8-fold group, so the file held another Hamiltonian (sweep 20: E0
    -3.649 read back as -4.411). Refused, naming a pair; arguments swapped are named too.
    The 8-fold symmetric part of the same integrals is written and read back exactly."""
    rng = np.random.default_rng(3)
    h1 = rng.normal(size=(4, 4))
    h1 = (h1 + h1.T) / 2
    h2 = 0.2 * rng.normal(size=(4,) * 4)
    h2 = (h2 + h2.transpose(1, 0, 3, 2)) / 2
    h2 = (h2 + h2.transpose(2, 3, 0, 1)) / 2  # hermitian, not 8-fold
    ints = from_arrays(h1, h2, 0.0, notation="chemist", n_electrons=4, ms2=0)
    with pytest.raises(ValueError, match=r"8-fold symmetry only, \(pq\|rs\) = \(qp\|rs\): h2\["):
        write_fcidump(tmp_path / "x.fcidump", ints)
    assert not (tmp_path / "x.fcidump").exists()
    lopsided = from_arrays(h1 + np.triu(h1, 1), h2, 0.0, notation="chemist", n_electrons=4)
    with pytest.raises(ValueError, match=r"symmetric h1 only: h1\[0, 1\]"):
        write_fcidump(tmp_path / "x.fcidump", lopsided)
    with pytest.raises(TypeError, match="must be MolecularIntegrals, got str"):
        write_fcidump(ints, str(tmp_path / "x.fcidump"))
    h2 = (h2 + h2.transpose(1, 0, 2, 3)) / 2
    h2 = (h2 + h2.transpose(0, 1, 3, 2)) / 2
    eightfold = from_arrays(h1, h2, 0.0, notation="chemist", n_electrons=4, ms2=0)
    write_fcidump(tmp_path / "x.fcidump", eightfold)
    back = read_fcidump(tmp_path / "x.fcidump")
    np.testing.assert_allclose(back.h2, eightfold.h2, atol=1e-15)


def test_a_full_file_still_gives_the_fci_energy():
    """Fortran's `D` exponent too."""
    core = LINES[10].replace("0.7137539936876182", "7.137539936876182D-01")
    ints = read_fcidump(replaced(11, core))
    e0 = np.linalg.eigvalsh(molecular_hamiltonian(ints).compile().to_dense())[0]
    e_fci = json.loads((DATA / "references.json").read_text())["h2_sto3g"]["e_fci"]
    assert abs(e0 - e_fci) < 1e-8


# --------------------------------------------------------------------------- item 7


@pytest.mark.parametrize("source", ["", "   ", "\n\n", " \t\n"])
def test_empty_input_is_an_error_not_a_path(source):
    with pytest.raises(ValueError, match="read_fcidump: the input is empty"):
        read_fcidump(source)


def test_an_empty_file_or_text_without_a_header_is_named(tmp_path):
    path = tmp_path / "empty.fcidump"
    path.write_text("\n")
    with pytest.raises(ValueError, match=f"FCIDUMP {re.escape(str(path))}: the file is empty"):
        read_fcidump(path)
    with pytest.raises(
        ValueError, match=re.escape("FCIDUMP text: no header `&FCI ... &END` at the start")
    ):
        read_fcidump("0.5 1 1 1 1\n0.7 0 0 0 0\n")  # several lines: text, not a path


def test_pyscf_irrep_ids_without_a_zero_read_where_they_fit(tmp_path):
    """PySCF's FCIDUMP writes its irrep ids 0..7 as ORBSYM; an active space may hold no
    orbital of irrep 0, so no 0 tells them from Molpro's labels 1..8. Read as labels they
    contradict these integrals and as ids (labels minus one) they fit: taken so, with a
    warning (a valid file was refused, sweep 20). Labels that fit stay as given."""
    ids = np.array([1, 2, 4, 7])  # PySCF's ids of D2h: (01|23) allowed, 1 ^ 2 = 4 ^ 7
    rng = np.random.default_rng(0)
    h1 = rng.normal(size=(4, 4))
    h1 = np.where(ids[:, None] == ids[None, :], h1 + h1.T, 0.0)
    h2 = rng.normal(size=(4,) * 4)
    for axes in ((1, 0, 2, 3), (0, 1, 3, 2), (2, 3, 0, 1)):
        h2 = h2 + np.transpose(h2, axes)
    allowed = (ids[:, None, None, None] ^ ids[None, :, None, None]) == (
        ids[None, None, :, None] ^ ids[None, None, None, :]
    )
    h2 = np.where(allowed, h2, 0.0)
    ints = from_arrays(h1, h2, 0.0, notation="chemist", n_electrons=2, orbsym=tuple(ids + 1))
    write_fcidump(tmp_path / "ids.fcidump", ints)
    text = (tmp_path / "ids.fcidump").read_text().replace("ORBSYM=2,3,5,8", "ORBSYM=1,2,4,7")
    with pytest.warns(FcidumpWarning, match=r"as PySCF's irrep ids .* read as 2,3,5,8"):
        back = read_fcidump(text)
    assert back.orbsym == (2, 3, 5, 8)
    assert read_fcidump(tmp_path / "ids.fcidump").orbsym == (2, 3, 5, 8)  # labels: as given
