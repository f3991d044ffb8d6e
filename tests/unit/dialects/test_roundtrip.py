"""Round trip of the printed `sym` IR of every DSL construct through `symir-opt`.

`print(op.to_ir())` piped through `symir-opt` comes back byte-identical, also through
`symir-opt --print-op-generic | symir-opt`; `parse_ir(str(ir)) == ir`. Broken IR gives the
verifier's message on stderr and exit code 1, without a traceback.

All operators go through one `symir-opt --split-input-file` process per pipeline, so the
file stays fast.
"""

from __future__ import annotations

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import symir as sym

SYMIR_OPT = str(Path(sys.executable).parent / "symir-opt")
SPLIT = "// -----\n"

SPIN = sym.Spin(0.5, 4)
FOCK = sym.Fock(2, 3)


def D(name, hilbert=SPIN, **kw):
    return sym.DOperator(hilbert, name, **kw)


s = sym.site


class Chain4:
    """A graph as `for_each(over=)` sees one (NetKet's `Chain(4)` edges; NetKet graphs
    themselves are tested in test_dsl.py, this file avoids importing NetKet)."""

    def edges(self):
        return [(0, 1), (1, 2), (0, 3), (2, 3)]


CASES = {
    "globally": lambda: D("g").globally().emit(sym.identity(), 0.5),
    "for_each_site": lambda: D("s").for_each_site("i").emit(sym.write("i", 1)),
    "for_each_pair": lambda: D("p").for_each_pair("i", "j").emit(sym.swap("i", "j")),
    "for_each_distinct_pair": lambda: D("dp").for_each_distinct_pair("i", "j").emit(),
    "for_each_triplet": lambda: D("t").for_each_triplet("a", "b", "c", over=[(0, 1, 2)]).emit(),
    "for_each_plaquette": lambda: (
        D("q").for_each_plaquette("a", "b", "c", "d", over=[(0, 1, 3, 2)]).emit()
    ),
    "for_each_graph": lambda: (
        D("e").for_each(("i", "j"), over=Chain4()).emit(sym.identity(), s("i") * s("j"))
    ),
    "where_and": lambda: (
        D("w", FOCK)
        .for_each_site("i")
        .where(s("i") > 0)
        .where(s("i") <= 2)
        .emit(sym.shift("i", -1), sym.sqrt(s("i")))
    ),
    "tags": lambda: D("tg").globally().emit(tag="first").emit(sym.write(0, 1), 2.0, tag="second"),
    "emit_chain": lambda: (
        D("c", FOCK)
        .for_each_site("i")
        .emit_if(s("i") == 0, sym.shift("i", 1), 1.0, tag="a")
        .emit_elseif(s("i") == 1, sym.shift("i", 1), 2.0)
        .emit_else(sym.invalidate(), 0.0)
    ),
    "named_fanout": lambda: D("n").for_each_site("i").named("flip").emit().fanout(2),
    "max_conn_size": lambda: D("m").for_each_site("i").emit().max_conn_size(0),
    "hermitian": lambda: D("h", hermitian=True).globally().emit(),
    "complex_dtype": lambda: D("cd", dtype="complex128").globally().emit(),
    "selectors": lambda: (
        D("sel")
        .for_each_site("i")
        .emit(
            sym.identity(),
            s("i").value + s("i").index + s("i").abs() + sym.source_index(3),
        )
    ),
    "emitted": lambda: (
        D("em").for_each_site("i").emit(sym.write("i", 1), sym.emitted("i") * sym.target_index(0))
    ),
    "symbol": lambda: D("sy").globally().emit(sym.identity(), sym.symbol("J", 1.25)),
    "symbol_no_default": lambda: D("sy").globally().emit(sym.identity(), sym.symbol("J")),
    "symbol_complex": lambda: D("syc").globally().emit(sym.identity(), sym.symbol("g", 0.5 - 2j)),
    "complex_constant": lambda: D("cc").globally().emit(sym.identity(), 0.25 + 1j),
    "write_expr": lambda: D("we").for_each_pair("i", "j").emit(sym.write("i", -s("j"))),
    "shift": lambda: D("sh", FOCK).for_each_site("i").emit(sym.shift("i", 1)),
    "shift_mod": lambda: D("shm", FOCK).for_each_site("i").emit(sym.shift_mod("i", -1)),
    "hop": lambda: D("hp", FOCK).for_each_distinct_pair("i", "j").emit(sym.hop("i", "j")),
    "permute": lambda: (
        D("pm").for_each_triplet("a", "b", "c", over=[(0, 1, 2)]).emit(sym.permute("a", "b", "c"))
    ),
    "affine": lambda: D("af").for_each_site("i").emit(sym.affine("i", scale=-1, bias=0)),
    "scatter": lambda: D("sc").for_each_site("i").emit(sym.scatter(["i", 0], [1, -1])),
    "invalidate": lambda: D("iv").globally().emit(sym.invalidate()),
    "cond": lambda: (
        D("cn")
        .for_each_site("i")
        .emit(sym.Update.cond(s("i") > 0, if_true=sym.write("i", -1), if_false=sym.invalidate()))
        .emit(sym.cond(s("i") < 0, sym.write("i", 1)))
    ),
    "arith": lambda: (
        D("ar", FOCK)
        .for_each_site("i")
        .emit(
            sym.identity(),
            s("i") ** 2 + abs(-s("i")) - 2 ** s("i") / (s("i") + 1) * 0.5,
        )
    ),
    "functions": lambda: (
        D("fn", FOCK)
        .for_each_site("i")
        .emit(
            sym.identity(),
            sym.exp(s("i"))
            + sym.log(s("i") + 1)
            + sym.sin(s("i"))
            + sym.cos(s("i"))
            + sym.minimum(s("i"), 1)
            + sym.maximum(s("i"), 0.5)
            + sym.select(s("i") > 0, 1.0, 2)
            + sym.wrap_mod(s("i") + 1),
        )
    ),
    "complex_functions": lambda: (
        D("cf")
        .globally()
        .emit(
            sym.identity(),
            sym.conj(sym.complex_(s(0), 1)) + sym.real(1j * s(1)) + sym.imag(1j * s(2)),
        )
    ),
    "logic": lambda: (
        D("lg", FOCK)
        .for_each_site("i")
        .where(sym.all_of(s("i") >= 0, sym.any_of(s("i") == 1, ~(s("i") != 2)), True))
        .emit()
    ),
    "integer_amplitude": lambda: D("ia").for_each_site("i").emit(sym.identity(), s("i")),
}

ALGEBRA = {
    "scaled": lambda: 2.0 * CASES["for_each_site"]().build(),
    "neg": lambda: -CASES["globally"]().build(),
    "sum": lambda: CASES["globally"]().build() + CASES["for_each_site"]().build(),
    "builtin_sum": lambda: sum([CASES[k]().build() for k in ("globally", "tags", "affine")]),
    "complex_scaled": lambda: 1j * CASES["for_each_site"]().build(),
}


def operator(name: str) -> sym.SymbolicOperator:
    if name in ALGEBRA:
        return ALGEBRA[name]()
    return CASES[name]().build()


NAMES = list(CASES) + list(ALGEBRA)


def symir_opt(*args: str, stdin: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SYMIR_OPT, *args], input=stdin, capture_output=True, text=True, timeout=120
    )


def printed(ir: sym.SymbolicOperatorIR) -> str:
    """What `print(ir)` writes."""
    return f"{ir}\n"


@pytest.fixture(scope="module")
def irs() -> dict[str, sym.SymbolicOperatorIR]:
    return {name: operator(name).to_ir() for name in NAMES}


@pytest.fixture(scope="module")
def through_opt(irs) -> dict[str, tuple[list[str], list[str]]]:
    """Per pipeline, the chunks `symir-opt` printed back, in NAMES order."""
    joined = SPLIT.join(str(irs[n]) for n in NAMES)

    def custom():
        return symir_opt("--split-input-file", stdin=joined)

    def generic():
        g = symir_opt("--split-input-file", "--print-op-generic", stdin=joined)
        assert g.returncode == 0, g.stderr
        return g, symir_opt("--split-input-file", stdin=g.stdout)

    with ThreadPoolExecutor(2) as pool:
        fc, fg = pool.submit(custom), pool.submit(generic)
        c, (g, gc) = fc.result(), fg.result()
    for proc in (c, gc):
        assert proc.returncode == 0, proc.stderr
    return {
        "custom": c.stdout.split(SPLIT),
        "generic_text": g.stdout.split(SPLIT),
        "generic": gc.stdout.split(SPLIT),
    }


@pytest.mark.parametrize("name", NAMES)
def test_symir_opt_custom_round_trip_is_byte_identical(name, irs, through_opt):
    assert through_opt["custom"][NAMES.index(name)] == printed(irs[name])


@pytest.mark.parametrize("name", NAMES)
def test_symir_opt_generic_round_trip_is_byte_identical(name, irs, through_opt):
    generic = through_opt["generic_text"][NAMES.index(name)]
    assert '"sym.operator"() <{' in generic
    assert through_opt["generic"][NAMES.index(name)] == printed(irs[name])


@pytest.mark.parametrize("name", NAMES)
def test_parse_ir_round_trip(name, irs):
    ir = irs[name]
    back = sym.parse_ir(str(ir))
    assert back == ir
    assert back.static_fingerprint() == ir.static_fingerprint()
    assert str(back) == str(ir)
    assert back.terms == ir.terms and back.parameters == ir.parameters
    assert back.dtype_str == ir.dtype_str and back.local_states == ir.local_states
    generic = sym.parse_ir(ir.to_generic())
    assert generic == ir and str(generic) == str(ir)


def test_print_piped_through_symir_opt_one_process():
    """The literal pipeline `python -c 'print(op.to_ir())' | symir-opt`, once."""
    code = (
        "import symir as sym\n"
        "op = (sym.DOperator(sym.Spin(0.5, 4), 'demo').for_each_site('i')"
        ".where(sym.site('i') > 0).emit(sym.shift('i', -1), amplitude=1.0).build())\n"
        "print(op.to_ir())\n"
    )
    printed_text = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    back = symir_opt(stdin=printed_text)
    assert back.returncode == 0, back.stderr
    assert back.stdout == printed_text


@pytest.mark.parametrize("default", [1e-30, 1e16, 1e-30j, 2.5e-7, 1 / 3])
def test_parameter_default_in_exponent_notation_round_trips(default):
    ir = D("p").globally().emit(sym.identity(), sym.symbol("J", default)).build().to_ir()
    back = sym.parse_ir(str(ir))
    assert back == ir and back.parameters == {"J": default}


# --------------------------------------------------------------------------- broken IR

GOOD = str(CASES["where_and"]().build().to_ir())

BROKEN = {
    "zero sites": (
        str(CASES["globally"]().build().to_ir()).replace("sites 4", "sites 0"),
        "needs at least one site",
    ),
    "duplicate labels": (
        GOOD.replace('labels ["i"] rows [[0], [1], [2]]', 'labels ["i", "i"] rows [[0, 0]]'),
        "duplicate labels",
    ),
    "row outside": (GOOD.replace("rows [[0], [1], [2]]", "rows [[0], [5]]"), "outside [0, 3)"),
    "row arity": (GOOD.replace("rows [[0], [1], [2]]", "rows [[0, 1]]"), "has 2 entries"),
    "unknown label": (GOOD.replace('sym.label "i"', 'sym.label "k"', 1), "not a label"),
    "non-contiguous shift_mod": (
        str(CASES["shift_mod"]().build().to_ir()).replace("states [0, 1, 2]", "states [0, 2, 4]"),
        "contiguous",
    ),
    "unsorted states": (GOOD.replace("states [0, 1, 2]", "states [2, 1, 0]"), "increasing"),
    "complex yield on f64": (
        str(CASES["complex_constant"]().build().to_ir()).replace("dtype complex<f64>", "dtype f64"),
        "declare the operator complex",
    ),
    "negative fanout": (
        str(CASES["named_fanout"]().build().to_ir()).replace("fanout 2", "fanout -2"),
        "fan-out hint must be >= 0",
    ),
    "parse error": (GOOD.replace("sym.where", "sym.wher"), "sym.wher"),
}


# One plain `symir-opt` process per kind of failure (operator, term and op verifiers, and
# the parser); every case's message is also checked in one `--verify-diagnostics` run.
EXIT_CODE_CASES = ("zero sites", "row outside", "non-contiguous shift_mod", "parse error")


@pytest.fixture(scope="module")
def broken_results() -> dict[str, subprocess.CompletedProcess]:
    with ThreadPoolExecutor(4) as pool:
        futures = {k: pool.submit(symir_opt, stdin=BROKEN[k][0]) for k in EXIT_CODE_CASES}
        return {k: f.result() for k, f in futures.items()}


@pytest.fixture(scope="module")
def diagnostics() -> list[str]:
    joined = SPLIT.join(text for text, _ in BROKEN.values())
    proc = symir_opt(
        "--split-input-file", "--verify-diagnostics", "--parsing-diagnostics", stdin=joined
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    chunks = proc.stdout.split(SPLIT)
    assert len(chunks) == len(BROKEN), proc.stdout
    return chunks


@pytest.mark.parametrize("name", EXIT_CODE_CASES)
def test_broken_ir_exits_1_with_the_message(name, broken_results):
    proc = broken_results[name]
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert BROKEN[name][1] in proc.stderr, proc.stderr
    # parse and verifier errors at the op, as MLIR prints them (the input is stdin)
    assert proc.stderr.startswith(("symir-opt: error:", "stdin:")), proc.stderr
    if proc.stderr.startswith("stdin:"):
        assert re.match(r"stdin:\d+:\d+: error: ", proc.stderr), proc.stderr
        assert proc.stderr.rstrip().endswith("^"), proc.stderr  # a caret under the op
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


@pytest.mark.parametrize("name", list(BROKEN))
def test_broken_ir_reports_verifier_message(name, diagnostics):
    text, message = BROKEN[name]
    assert text != GOOD or name == "parse error"
    assert message in diagnostics[list(BROKEN).index(name)]
    with pytest.raises(sym.SymbolicDefinitionError) as e:
        sym.parse_ir(text)
    assert message in str(e.value)
