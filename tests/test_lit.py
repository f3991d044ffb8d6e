"""Runs the lit/FileCheck suite from pytest, one test per `.mlir` file.

Each file's RUN lines run inside the pytest worker (`tests/lit_in_process.py`: lit's own
parsing of the file, of `tests/lit/lit.cfg.py` and of the shell line; the tools' `main()`
called in this process instead of a process per command). `lit -v tests/lit` runs the
same files through lit's processes.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from lit_in_process import LIT_DIR, UnsupportedRunLine, run_file

LIT_FILES = sorted(p for p in LIT_DIR.rglob("*.mlir") if "Output" not in p.parts)


def test_lit_suite_is_not_empty():
    assert LIT_FILES, "no lit tests found under tests/lit"


@pytest.mark.parametrize("path", LIT_FILES, ids=lambda p: str(p.relative_to(LIT_DIR)))
def test_lit_file(path, tmp_path):
    assert "RUN:" in path.read_text(), f"{path} has no RUN line"
    assert "CHECK" in path.read_text(), f"{path} has no CHECK line"
    outcome = run_file(path, tmp_path)
    assert outcome.exit_code == 0, outcome.text


# The runner itself: what would fail under lit fails here too.

_MODULE = """
sym.operator @op sites 2 states [-1, 1] dtype f64 hermitian {
  sym.term @zz kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
    } amplitude {
      %coupling = sym.param "J" default 1.0 : f64
      %xi = sym.read %i : i64
      %xj = sym.read %j : i64
      %cxi = sym.mul %coupling, %xi : f64, i64 -> f64
      %zz = sym.mul %cxi, %xj : f64, i64 -> f64
      sym.yield %zz : f64
    }
  }
}
"""


def _file(tmp_path: Path, run: str, checks: str) -> Path:
    path = tmp_path / "case.mlir"
    path.write_text(f"// RUN: {run}\n{checks}\n{_MODULE}")
    (tmp_path / "out").mkdir()
    return path


def _outcome(tmp_path: Path, run: str, checks: str = "// CHECK: sym.operator @op"):
    return run_file(_file(tmp_path, run, checks), tmp_path / "out")


def test_a_matching_check_passes(tmp_path):
    outcome = _outcome(tmp_path, "symir-opt %s | filecheck %s")
    assert outcome.exit_code == 0, outcome.text


def test_a_wrong_check_fails(tmp_path):
    outcome = _outcome(tmp_path, "symir-opt %s | filecheck %s", "// CHECK: sym.operator @other")
    assert outcome.exit_code == 1, outcome.text
    assert "sym.operator @other" in outcome.text


def test_not_of_a_succeeding_command_fails(tmp_path):
    outcome = _outcome(tmp_path, "not symir-opt %s")
    assert outcome.exit_code == 1, outcome.text


def test_not_of_a_failing_command_passes(tmp_path):
    outcome = _outcome(
        tmp_path, "not symir-opt %s -p no-such-pass 2>&1 | filecheck %s", "// CHECK: no-such-pass"
    )
    assert outcome.exit_code == 0, outcome.text


def test_a_failing_command_in_the_middle_of_a_pipe_fails(tmp_path):
    # the last command passes on its own (CHECK-NOT on the empty output of the middle one)
    outcome = _outcome(
        tmp_path,
        "symir-opt %s | symir-opt -p no-such-pass | filecheck %s --allow-empty",
        "// CHECK-NOT: sym.operator",
    )
    assert outcome.exit_code == 1, outcome.text
    assert "no-such-pass" in outcome.text


def test_a_failing_line_stops_the_file(tmp_path):
    path = _file(tmp_path, "not symir-opt %s", "// RUN: symir-opt %s -o %t.mlir")
    outcome = run_file(path, tmp_path / "out")
    assert outcome.exit_code == 1
    assert not (tmp_path / "out" / "case.mlir.tmp.mlir").exists()


def test_files_diff_and_redirections(tmp_path):
    path = _file(
        tmp_path,
        "symir-opt %s -o %t.1.mlir && symir-opt %t.1.mlir > %t.2.mlir 2>/dev/null",
        "// RUN: diff %t.1.mlir %t.2.mlir && symir-opt < %t.2.mlir | diff %t.1.mlir -\n"
        "// RUN: filecheck %s < %t.1.mlir\n// CHECK: sym.operator @op",
    )
    outcome = run_file(path, tmp_path / "out")
    assert outcome.exit_code == 0, outcome.text
    assert (tmp_path / "out" / "case.mlir.tmp.2.mlir").read_text().startswith("builtin.module")


def test_diff_of_different_files_fails(tmp_path):
    outcome = _outcome(tmp_path, "symir-opt %s -o %t.mlir && diff %t.mlir %s")
    assert outcome.exit_code == 1, outcome.text
    assert "+// RUN: symir-opt" in outcome.text  # the unified diff


def test_the_runner_agrees_with_lit(tmp_path):
    """Files that pass and fail (a wrong CHECK, `not` of a success, a failing command in
    the middle of a pipe, a diff of different files) pass and fail under lit itself, run
    with tests/lit's configuration, as in process."""
    cases = {
        "pass": ("symir-opt %s | symir-opt | filecheck %s", "// CHECK: sym.operator @op"),
        "wrong-check": ("symir-opt %s | filecheck %s", "// CHECK: sym.operator @other"),
        "not-success": ("not symir-opt %s", "// CHECK: x"),
        "middle": (
            "symir-opt %s | symir-opt -p no-such-pass | filecheck %s --allow-empty",
            "// CHECK-NOT: sym.operator",
        ),
        "diff": ("symir-opt %s -o %t.mlir && diff %t.mlir %s", "// CHECK: x"),
    }
    suite = tmp_path / "suite"
    suite.mkdir()
    cfg = LIT_DIR / "lit.cfg.py"
    (suite / "lit.cfg.py").write_text(
        f"exec(compile(open({str(cfg)!r}).read(), __file__, 'exec'))\n"
    )
    in_process = {}
    for name, (run, checks) in cases.items():
        path = suite / f"{name}.mlir"
        path.write_text(f"// RUN: {run}\n{checks}\n{_MODULE}")
        (tmp_path / name).mkdir()
        in_process[name] = run_file(path, tmp_path / name).exit_code == 0
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "lit"), str(suite)],
        capture_output=True,
        text=True,
        check=False,
    )
    under_lit = {
        m.group(2): m.group(1) == "PASS"
        for m in re.finditer(r"^(PASS|FAIL): symir :: (\S+)\.mlir", proc.stdout, re.M)
    }
    assert under_lit == in_process == {name: name == "pass" for name in cases}, proc.stdout


@pytest.mark.parametrize("program", ["1,/^\\/\\/ -----/p", "2,/x/p", "$d"])
def test_sed_equals_sed(tmp_path, program):
    text = "a x\n// ----- b\nc x\n// -----\nd\n"
    (tmp_path / "in.txt").write_text(text)
    quiet = [] if program == "$d" else ["-n"]
    path = _file(tmp_path, f"sed {' '.join(quiet)} '{program}' %S/in.txt > %t.out", "// CHECK: x")
    outcome = run_file(path, tmp_path / "out")
    assert outcome.exit_code == 0, outcome.text
    expected = subprocess.run(
        ["sed", *quiet, program], input=text, capture_output=True, text=True, check=True
    ).stdout
    assert (tmp_path / "out" / "case.mlir.tmp.out").read_text() == expected


@pytest.mark.parametrize(
    "run",
    [
        "symir-opt %s ; filecheck %s",
        "symir-opt %s || filecheck %s",
        "echo hello | filecheck %s",
        "symir-opt %s >> %t | filecheck %s",
        "symir-opt %s 2>&2 | filecheck %s",
        "not --crash symir-opt %s",
        "diff -u %s %s",
        "symir-opt *.mlir | filecheck %s",
        "sed -n '1,/a.*b/p' %s | filecheck %s",
        "sed 's/a/b/' %s | filecheck %s",
        "sed -n '$d' %s | filecheck %s",
    ],
)
def test_what_the_runner_does_not_know_is_an_error(tmp_path, run):
    with pytest.raises(UnsupportedRunLine, match="not supported"):
        _outcome(tmp_path, run)
