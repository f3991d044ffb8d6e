"""`SymbolicOperatorIR.static_fingerprint()` tells apart everything that changes an operator.

nkDSL's fingerprint omits the iterator rows (and neuraLQX's every emission after the first):
two operators on different edges got the same cached kernel. Here every difference counts,
equal constructions agree (also across processes), and SSA names do not matter.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys

import pytest

import symir as sym

SPIN = sym.Spin(0.5, 4)


def tfim(
    hilbert=SPIN,
    edges=((0, 1), (1, 2), (2, 3)),
    labels=("i", "j"),
    name="tfim",
    default=1.0,
    dtype="float64",
    tag="flip",
    second=True,
):
    b = (
        sym.DOperator(hilbert, name, dtype=dtype)
        .for_each(labels, over=list(edges))
        .emit(sym.identity(), sym.symbol("J", default) * sym.site(labels[0]) * sym.site(labels[1]))
        .for_each_site("k")
        .emit(sym.write("k", -sym.site("k")), -0.5, tag=tag)
    )
    if second:
        b = b.emit(sym.identity(), 0.25)
    return b.build()


def fp(op) -> str:
    return op.to_ir().static_fingerprint()


VARIANTS = {
    "reference": lambda: tfim(),
    "graph edges": lambda: tfim(edges=((0, 1), (1, 2), (2, 3), (3, 0))),
    "row order": lambda: tfim(edges=((1, 2), (0, 1), (2, 3))),
    "row orientation": lambda: tfim(edges=((1, 0), (1, 2), (2, 3))),
    "second emission": lambda: tfim(second=False),
    "parameter default": lambda: tfim(default=2.0),
    "local states": lambda: tfim(hilbert=sym.Fock(1, 4)),
    "site count": lambda: tfim(hilbert=sym.Spin(0.5, 5)),
    "label name": lambda: tfim(labels=("a", "j")),
    "dtype": lambda: tfim(dtype="complex128"),
    "tag": lambda: tfim(tag="x"),
    "no tag": lambda: tfim(tag=None),
    "operator name": lambda: tfim(name="other"),
}


def test_spin_half_and_fock_one_have_two_states_each():
    assert sym.Spin(0.5, 4).local_size == sym.Fock(1, 4).local_size == 2


def test_every_difference_changes_the_fingerprint():
    prints = {name: fp(make()) for name, make in VARIANTS.items()}
    for a, b in itertools.combinations(prints, 2):
        assert prints[a] != prints[b], (a, b)


@pytest.mark.parametrize("name", [n for n in VARIANTS if n != "reference"])
def test_differs_from_reference(name):
    assert fp(VARIANTS[name]()) != fp(tfim())
    assert VARIANTS[name]().to_ir() != tfim().to_ir()


def test_more_differences():
    def one(amp=1.0, update=None, where=None, fanout=None, hermitian=False):
        b = sym.DOperator(SPIN, "x", hermitian=hermitian).for_each_site("i")
        if where is not None:
            b = b.where(where)
        b = b.emit(update if update is not None else sym.write("i", 1), amp)
        if fanout is not None:
            b = b.fanout(fanout)
        return fp(b.build())

    prints = [
        one(),
        one(amp=1.0000000001),
        one(amp=sym.site("i")),
        one(update=sym.write("i", -1)),
        one(update=sym.shift("i", 2)),
        one(where=sym.site("i") > 0),
        one(where=sym.site("i") >= 0),
        one(fanout=2),
        one(fanout=3),
        one(hermitian=True),
        one(amp=sym.symbol("J")),
        one(amp=sym.symbol("K")),
        one(amp=sym.symbol("J", 1.0)),
        one(amp=sym.symbol("J", 1j)),
        # tables of 40 entries (fingerprinted by the digest of their bytes) that differ
        # in one value, in one key, in being integers
        one(amp=sym.lookup([float(k) for k in range(40)], sym.site("i") + 1)),
        one(amp=sym.lookup([float(k) for k in range(39)] + [39.5], sym.site("i") + 1)),
        one(amp=sym.lookup({k + (k == 39): float(k) for k in range(40)}, sym.site("i") + 1)),
    ]
    assert len(set(prints)) == len(prints)


def test_equal_constructions_have_equal_fingerprints():
    a, b = tfim(), tfim()
    assert a is not b and a.to_ir() is not b.to_ir()
    assert fp(a) == fp(b)
    assert a.to_ir() == b.to_ir() and hash(a.to_ir()) == hash(b.to_ir())
    assert re.fullmatch(r"[0-9a-f]{64}", fp(a))


def test_netket_hilbert_and_graph_give_the_same_fingerprint_as_symir_ones():
    import netket as nk

    graph = nk.graph.Chain(4, pbc=False)
    a = tfim(hilbert=nk.hilbert.Spin(0.5, 4), edges=graph.edges())
    b = tfim(hilbert=SPIN, edges=[tuple(e) for e in graph.edges()])
    assert fp(a) == fp(b)


def test_algebra_is_deterministic():
    assert fp(2.0 * tfim() + tfim(name="b")) == fp(2.0 * tfim() + tfim(name="b"))
    assert fp(tfim() + tfim(name="b")) != fp(tfim(name="b") + tfim())


CROSS_PROCESS = """
import json, sys
sys.path.insert(0, {here!r})
from test_fingerprint import VARIANTS
print(json.dumps({{name: make().to_ir().static_fingerprint() for name, make in VARIANTS.items()}}))
"""


def test_fingerprints_agree_across_processes():
    here = str(__import__("pathlib").Path(__file__).parent)
    proc = subprocess.run(
        [sys.executable, "-c", CROSS_PROCESS.format(here=here)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONHASHSEED": "12345", **__import__("os").environ},
    )
    assert proc.returncode == 0, proc.stderr
    other = json.loads(proc.stdout.strip().splitlines()[-1])
    assert other == {name: fp(make()) for name, make in VARIANTS.items()}


def test_ssa_names_do_not_matter():
    ir = tfim().to_ir()
    text = str(ir)
    renamed = re.sub(r"%(\d+)", lambda m: f"%v_{int(m.group(1)) * 7 + 3}_x", text)
    assert renamed != text and "%v_3_x" in renamed
    back = sym.parse_ir(renamed)
    assert back.static_fingerprint() == ir.static_fingerprint()
    assert back == ir
    assert back.canonical_text() == ir.canonical_text()
    assert "%v_" not in back.canonical_text()


def test_generic_form_has_the_same_fingerprint():
    ir = tfim().to_ir()
    assert sym.parse_ir(ir.to_generic()).static_fingerprint() == ir.static_fingerprint()
