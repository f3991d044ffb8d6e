"""Every fusion decision explained (issue 19, item 6): for Heisenberg as xx + yy + zz, a
Kitaev honeycomb and a J1-J2 sum, `metadata["fusion"]["decisions"]` lists each pair of
emissions with rows writing the same sites, merged or not, with reasons from the fixed
set (never `unknown`); replaying the printed merge groups (`force_fusion`) gives the same
kernel, and an unsound group is refused."""

from __future__ import annotations

import pytest

import symir as sym
from symir.errors import SymbolicCompilerError
from symir.lowering.branch.fusion_decisions import REASONS

site = sym.site


def pauli_bonds(hi, edges, name, xx=0.0, yy=0.0, zz=0.0):
    si, sj = site("i"), site("j")
    flip = sym.write("i", -si).write("j", -sj)
    d = sym.DOperator(hi, name, hermitian=True)
    if xx:
        d = d.for_each(("i", "j"), over=edges).named("xx").emit(flip, matrix_element=xx)
    if yy:
        d = d.for_each(("i", "j"), over=edges).named("yy").emit(flip, matrix_element=-yy * si * sj)
    if zz:
        d = (
            d.for_each(("i", "j"), over=edges)
            .named("zz")
            .emit(sym.identity(), matrix_element=zz * si * sj)
        )
    return d.build()


def square(side, nnn=False):
    def s(r, c):
        return (r % side) * side + c % side

    cells = [(r, c) for r in range(side) for c in range(side)]
    if nnn:
        return [(s(r, c), s(r + 1, c + 1)) for r, c in cells] + [
            (s(r, c), s(r + 1, c - 1)) for r, c in cells
        ]
    return [(s(r, c), s(r, c + 1)) for r, c in cells] + [(s(r, c), s(r + 1, c)) for r, c in cells]


def honeycomb(cells):
    def s(a, b, k):
        return 2 * ((a % cells) * cells + b % cells) + k

    cs = [(a, b) for a in range(cells) for b in range(cells)]
    return {
        "x": [(s(a, b, 1), s(a + 1, b, 0)) for a, b in cs],
        "y": [(s(a, b, 1), s(a, b + 1, 0)) for a, b in cs],
        "z": [(s(a, b, 0), s(a, b, 1)) for a, b in cs],
    }


def heisenberg():
    return pauli_bonds(sym.Spin(0.5, 16), square(4), "heis", 1.0, 1.0, 1.0)


def kitaev():
    bonds = honeycomb(3)
    hi = sym.Spin(0.5, 18)
    kx = pauli_bonds(hi, bonds["x"], "kx", xx=1.0)
    ky = pauli_bonds(hi, bonds["y"], "ky", yy=0.8)
    kz = pauli_bonds(hi, bonds["z"], "kz", zz=0.6)
    return kx + ky + kz


def j1j2():
    hi = sym.Spin(0.5, 16)
    return pauli_bonds(hi, square(4), "j1", 1.0, 1.0, 1.0) + pauli_bonds(
        hi, square(4, nnn=True), "j2", 0.5, 0.5, 0.5
    )


MODELS = {"heisenberg": heisenberg, "kitaev": kitaev, "j1j2": j1j2}


@pytest.fixture(scope="module")
def artifacts():
    compiler = sym.SymbolicCompiler(sym.SymbolicCompilerOptions(cache_enabled=False))
    return {name: compiler.compile(build()) for name, build in MODELS.items()}


@pytest.mark.parametrize("model", list(MODELS))
def test_every_decision_has_a_known_reason(artifacts, model):
    fusion = artifacts[model].metadata["fusion"]
    for d in fusion["decisions"]:
        assert d["decision"] in ("merged", "apart", "partly")
        assert set(d["rows"]) <= set(REASONS) - {"unknown"}, d
    assert "unknown" not in fusion["reasons"]


def test_heisenberg_xx_and_yy_merge_on_every_bond(artifacts):
    fusion = artifacts["heisenberg"].metadata["fusion"]
    assert fusion["decisions"] == [
        {"emissions": ["xx", "yy"], "decision": "merged", "rows": {"merged": 32}}
    ]
    assert fusion["fanout"] == [96, 33]


def test_j1j2_merges_within_each_coupling_and_kitaev_has_no_candidates(artifacts):
    j1j2 = artifacts["j1j2"].metadata["fusion"]
    assert [d["emissions"] for d in j1j2["decisions"]] == [
        ["j1_0_xx", "j1_0_yy"],
        ["j2_1_xx", "j2_1_yy"],
    ]
    assert j1j2["reasons"] == {"merged": 64}
    # x, y and z bonds of a honeycomb touch different site pairs: nothing to decide
    assert artifacts["kitaev"].metadata["fusion"]["decisions"] == []


def test_replaying_the_printed_groups_gives_the_same_kernel(artifacts):
    artifact = artifacts["j1j2"]
    groups = tuple("+".join(m["emissions"]) for m in artifact.metadata["fusion"]["merged"])
    assert groups == ("j1_0_xx+j1_0_yy", "j2_1_xx+j2_1_yy")
    compiler = sym.SymbolicCompiler(
        sym.SymbolicCompilerOptions(cache_enabled=False, force_fusion=groups)
    )
    replayed = compiler.compile(j1j2())
    assert replayed.ir("stablehlo") == artifact.ir("stablehlo")
    # forcing one group only: the other coupling's xx and yy keep their slots
    one = sym.SymbolicCompiler(
        sym.SymbolicCompilerOptions(cache_enabled=False, force_fusion=groups[:1])
    ).compile(j1j2())
    assert one.compiled_operator.max_conn_size == artifact.compiled_operator.max_conn_size + 32
    assert {"not_in_forced_group": 32} in [d["rows"] for d in one.metadata["fusion"]["decisions"]]


def test_an_unsound_group_is_refused():
    compiler = sym.SymbolicCompiler(
        sym.SymbolicCompilerOptions(cache_enabled=False, force_fusion=("j1_0_xx+j2_1_xx",))
    )
    with pytest.raises(SymbolicCompilerError, match="unsound fusion group 'j1_0_xx\\+j2_1_xx'"):
        compiler.compile(j1j2())
