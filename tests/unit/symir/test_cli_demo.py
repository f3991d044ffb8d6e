"""`symir demo` says which model it built and what each printed level is (issue 21,
item 4)."""

from __future__ import annotations

import pytest

from symir.tools.cli import demo, main


def test_demo_says_what_it_built_and_what_each_level_is(capsys):
    assert demo(n_sites=4, batch=8, show_ir=False) == 0
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert first.startswith("// symir demo: the transverse-field Ising chain H = sum_i Z_i")
    assert "on 4 spin-1/2 sites with periodic boundaries, h = 1.0" in out.replace("\n// ", " ")
    for level, words in [
        ("sym", "the operator as written"),
        ("branch", "one `branch.kernel`"),
        ("stablehlo", "the kernel JAX runs: `@main(x: tensor<?x4xi8>, h)`"),
    ]:
        section = out.split(f"// ===== {level} =====\n")[1]
        assert section.startswith(f"// {words}"), section[:120]
    assert "sym.operator @tfim" not in out  # show_ir=False: no IR
    assert "operator: SymbolicOperator('tfim' on 4 sites" in out and "F=5)" in out
    assert "checked 8 samples against the reference interpreter: OK" in out


def test_demo_prints_each_level_after_its_explanation(capsys):
    with pytest.raises(SystemExit) as done:
        main(["demo", "--sites", "4", "--batch", "8"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    sym_part = out.split("// ===== sym =====\n")[1].split("// ===== branch")[0]
    assert sym_part.index("// the operator as written") < sym_part.index("sym.operator @tfim")
    assert "branch.kernel @tfim" in out and "func.func @main" in out
