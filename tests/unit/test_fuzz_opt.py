"""Mutated IR never crashes the compiler, never hangs, and verified IR lowers to StableHLO
that jaxlib accepts; no pass, run alone, crashes on any verified lit module.

Seeded, bounded mutations (byte flips, token swaps, swapped SSA names, changed numbers)
of every lit module (each top-level op of each `// -----` chunk of tests/lit) go through
what `symir-opt` does: parse, verify (with SSA dominance), then either the lowering of
the module's level (`symir-lower` for `sym`, `convert-branch-to-stablehlo` for `branch`)
or one registered pass alone (`PASSES`), and, when every step accepted the input and
made StableHLO, jaxlib's own parser and verifier on it. A step may reject the input only
with a diagnostic (`is_diagnostic`: `ParseError`, `VerifyException`,
`DiagnosticException`, `SymbolicError`, or a `ValueError` symir's own code raises on
purpose), never with an internal error (`IndexError`, `KeyError`, `AttributeError`,
`TypeError`, `AssertionError`, `OverflowError`, a `ValueError` from inside xDSL or
numpy, ...), and within a time limit; a pass that accepts its input gives IR that
verifies.

`test_every_pass_alone_on_every_lit_module` runs every pass alone on every unmutated lit
chunk (the inputs the lit tests run only through the passes they name),
`test_every_pass_alone_on_every_lowered_lit_module` on the `branch` and `stablehlo`
forms of every `sym` chunk.

Run more cases by hand: `python tests/unit/test_fuzz_opt.py --cases 3000 --seed 1`.
"""

from __future__ import annotations

import argparse
import random
import re
import signal
import sys
import traceback
import warnings
from collections import Counter
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.parser import Parser
from xdsl.utils.exceptions import DiagnosticException, ParseError, VerifyException

from symir.dialects import get_all_dialects, level_of, print_module
from symir.dialects.module_checks import verify_module
from symir.dialects.parsing import parse_module
from symir.errors import SymbolicError
from symir.lowering import _PASSES, XDSL_PASSES, make_pass

ROOT = Path(__file__).resolve().parents[2]
LIT = ROOT / "tests" / "lit"
REPRODUCERS = sorted((Path(__file__).parent / "fuzz_seeds").glob("*.mlir"))
"""Inputs earlier fuzz runs found a bug with: seeds, each refused cleanly or lowered."""
CLEAN = (ParseError, VerifyException, DiagnosticException, ValueError, SymbolicError)
TIME_LIMIT_S = 10
PASSES = sorted([*_PASSES, *XDSL_PASSES])
"""Every pass symir registers (its own and the xDSL ones it exposes), each run alone with
its default options."""


def is_diagnostic(e: BaseException) -> bool:
    """Whether `e` is a diagnostic a step means to give: a parse or verify error, an xDSL
    `DiagnosticException`, a `SymbolicError`, or a `ValueError` raised by symir's own
    code (not one escaping from xDSL's internals, e.g. `Region.block` of a region of
    several blocks, or from numpy)."""
    if not isinstance(e, CLEAN):
        return False
    if isinstance(e, ValueError) and not isinstance(e, ParseError | VerifyException):
        frames = traceback.extract_tb(e.__traceback__)
        return bool(frames) and _own_code(frames[-1].filename)
    return True


def _own_code(filename: str) -> bool:
    path = Path(filename).resolve()
    return path.is_relative_to(ROOT) and ".venv" not in path.relative_to(ROOT).parts


def lit_chunks() -> list[tuple[str, str]]:
    """(`file#k`, text) of every `// -----` chunk of every lit file."""
    out = []
    for path in sorted(LIT.rglob("*.mlir")):
        if "Output" in path.relative_to(LIT).parts:
            continue  # lit's own outputs
        for k, chunk in enumerate(re.split(r"^// -----$", path.read_text(), flags=re.M)):
            if chunk.strip():
                out.append((f"{path.relative_to(LIT)}#{k}", chunk))
    return out


@cache
def verified_lit_modules() -> tuple[tuple[str, ModuleOp], ...]:
    """The lit chunks that parse and verify (an invalid.mlir case does not), parsed:
    parsed once for both tests that run the passes on them (2.4 s), which only ever
    clone them (`run_pass`, `lowered_lit_modules`)."""
    out = []
    for where, chunk in lit_chunks():
        try:
            module = parse_module(context(), chunk)
            verify_module(module)
        except CLEAN:
            continue
        out.append((where, module))
    return tuple(out)


def run_pass(module: ModuleOp, name: str) -> str:
    """'accepted' when the pass `name` alone, on a copy of the verified `module`, gives
    IR that verifies, 'rejected' for a diagnostic; raises anything else (IR that does not
    verify too: a pass that accepts its input must give valid IR)."""
    copy = module.clone()
    try:
        make_pass(name).apply(context(), copy)
    except CLEAN as e:
        return rejected(e)
    verify_module(copy)
    return "accepted"


@cache
def seeds() -> tuple[str, ...]:
    """One module per top-level op (a `sym.operator`, a `branch.kernel`, a `func.func`) of
    every lit chunk that parses, printed (where that parses again), the `branch` and
    `stablehlo` forms of every `sym` one that verifies, and the reproducers."""
    from xdsl.dialects.builtin import ModuleOp

    texts: dict[str, None] = {}
    for _, chunk in lit_chunks():
        try:
            module = Parser(context(), chunk).parse_module()
        except CLEAN:
            continue  # an invalid.mlir case that does not parse
        for op in module.ops:
            texts.setdefault(print_module(ModuleOp([op.clone()])), None)
    parsed, lowered = [], []
    for text in texts:
        ctx = context()
        try:
            module = Parser(ctx, text).parse_module()
        except CLEAN:
            continue  # an invalid op whose custom form does not parse back
        parsed.append(text)
        try:
            verify_module(module)
            if level_of(module) != "sym":
                continue
            for name in ("convert-sym-to-branch", "branch-coalesce-diagonal"):
                make_pass(name).apply(ctx, module)
            lowered.append(print_module(module))
            make_pass("convert-branch-to-stablehlo").apply(ctx, module)
        except CLEAN:
            continue  # an invalid case, or an operator the lowering refuses on purpose
        lowered.append(print_module(module))
    return (*parsed, *lowered, *(path.read_text() for path in REPRODUCERS))


def context() -> Context:
    ctx = Context(allow_unregistered=False)
    from xdsl.dialects.builtin import Builtin
    from xdsl.dialects.func import Func

    ctx.load_dialect(Builtin)
    ctx.load_dialect(Func)
    for name, factory in get_all_dialects().items():
        ctx.register_dialect(name, factory)
    return ctx


# --------------------------------------------------------------------------- mutations

_TOKEN = re.compile(r"%[\w.]+|@\w+|-?\d+(?:\.\d+)?(?:e[+-]?\d+)?|\w+|\S")
_NUMBER = re.compile(r"-?\d+")
_SSA = re.compile(r"%[\w.]+")


def mutate(text: str, rng: random.Random) -> str:
    kind = rng.choice(["byte", "token", "ssa", "number", "delete_line", "duplicate_line"])
    if kind == "byte":
        data = bytearray(text.encode())
        for _ in range(rng.randint(1, 3)):
            data[rng.randrange(len(data))] = rng.randrange(32, 127)
        return data.decode(errors="replace")
    if kind == "token":
        tokens = [m for m in _TOKEN.finditer(text)]
        a, b = rng.choice(tokens), rng.choice(tokens)
        return text[: a.start()] + b.group() + text[a.end() :]
    if kind == "ssa":
        names = sorted(set(_SSA.findall(text)))
        if len(names) < 2:
            return text
        x, y = rng.sample(names, 2)
        spots = [m for m in re.finditer(re.escape(x) + r"\b", text)]
        m = rng.choice(spots)
        return text[: m.start()] + y + text[m.end() :]
    if kind == "number":
        numbers = [m for m in _NUMBER.finditer(text)]
        if not numbers:
            return text
        m = rng.choice(numbers)
        new = rng.choice([0, -1, 1, 2, 3, 7, 64, 127, 128, 255, 2**31, 2**63, -(2**63), 10**30])
        return text[: m.start()] + str(new) + text[m.end() :]
    lines = text.splitlines()
    k = rng.randrange(len(lines))
    if kind == "delete_line":
        del lines[k]
    else:
        lines.insert(k, lines[rng.randrange(len(lines))])
    return "\n".join(lines)


# --------------------------------------------------------------------------- the pipeline


class Hang(Exception):
    pass


@contextmanager
def time_limit(seconds: int):
    def raise_hang(signum, frame):
        raise Hang(f"more than {seconds} s")

    old = signal.signal(signal.SIGALRM, raise_hang)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def rejected(e: Exception) -> str:
    """'rejected' for a diagnostic (`is_diagnostic`); re-raises anything else (a
    `ValueError` escaping from xDSL's internals, ...): an internal error."""
    if not is_diagnostic(e):
        raise e
    return "rejected"


def run_case(text: str, pass_name: str | None = None) -> str:
    """'rejected' / 'lowered' / 'accepted', or raises what is not a clean diagnostic. The
    module goes through the lowering of its level, or the pass `pass_name` alone."""
    ctx = context()
    try:
        module = parse_module(ctx, text)
        verify_module(module)
        level = level_of(module)
    except CLEAN as e:
        return rejected(e)
    passes = {"sym": ["symir-lower"], "branch": ["convert-branch-to-stablehlo"]}.get(level, [])
    if pass_name is not None:
        passes = [pass_name]
    for name in passes:
        try:
            make_pass(name).apply(ctx, module)
        except CLEAN as e:
            return rejected(e)
        verify_module(module)  # a pass that accepts its input gives IR that verifies
    if not any(op.name == "func.func" and op.sym_name.data == "main" for op in module.ops):
        return "accepted"
    from symir.runtime.stablehlo_exec import parse_and_verify

    parse_and_verify(print_module(module))  # jaxlib must accept what symir accepted
    return "lowered"


def fuzz(cases: int, seed: int) -> tuple[Counter, list[tuple[str, str]]]:
    rng = random.Random(seed)
    base = seeds()
    outcomes: Counter = Counter()
    failures: list[tuple[str, str]] = []
    for _ in range(cases):
        text = mutate(rng.choice(base), rng)
        # half the cases: the lowering of the module's level; the others one pass alone
        pass_name = rng.choice(PASSES) if rng.random() < 0.5 else None
        try:
            with time_limit(TIME_LIMIT_S):
                outcomes[run_case(text, pass_name)] += 1
        except Exception as e:  # an internal error, a hang or a jaxlib rejection
            outcomes["failed"] += 1
            error = "".join(traceback.format_exception(e))
            failures.append((text, f"pass: {pass_name or 'the lowering of its level'}\n{error}"))
    return outcomes, failures


def test_seeds_lower_cleanly():
    base = seeds()
    assert len(base) >= 200
    # a sample (every seed costs a parse, a lowering and jaxlib's verifier): the invalid.mlir
    # cases are rejected by their verifiers, the others lower to StableHLO jaxlib accepts
    outcomes = Counter(run_case(text) for text in random.Random(0).sample(base, 60))
    assert outcomes["rejected"] < outcomes["lowered"] + outcomes["accepted"], outcomes
    assert outcomes["lowered"] >= 10, outcomes


def test_every_pass_alone_on_every_lit_module():
    """Each registered pass, alone, on each lit chunk that verifies: a result that
    verifies or a diagnostic, never an internal error (issue 35: a kernel ending in
    `branch.return_deltas` made four branch passes fail with a bare AssertionError, which
    the lit files, running each pass only on its own inputs, never showed)."""
    modules = verified_lit_modules()
    assert len(modules) >= 100
    outcomes: Counter = Counter()
    failures = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # derivative warnings, ...
        for where, module in modules:
            for name in PASSES:
                try:
                    outcomes[run_pass(module, name)] += 1
                except Exception as e:
                    failures.append(f"{where} -p {name}: {type(e).__name__}: {e}"[:400])
    assert not failures, f"{len(failures)} internal errors:\n" + "\n".join(failures[:20])
    assert outcomes["accepted"] > 5 * outcomes["rejected"] > 0, outcomes


def lowered_lit_modules() -> list[tuple[str, ModuleOp]]:
    """The `branch` level (after `convert-sym-to-branch`, then also after every pass of
    the default lowering's `branch` level) and the `stablehlo` level of every `sym` lit
    chunk that lowers: the inputs the branch and stablehlo passes get inside a pipeline,
    which no lit file gives them alone."""
    steps = [
        "convert-sym-to-branch",
        "branch-coalesce-diagonal",
        "branch-merge-exclusive-emissions",
        "branch-fuse-equal-states",
        "branch-sort-summed-rows",
        "branch-sort-rows",
        "branch-choose-lowering",
        "convert-branch-to-stablehlo",
    ]
    keep = {"convert-sym-to-branch", "branch-choose-lowering", "convert-branch-to-stablehlo"}
    out = []
    for where, module in verified_lit_modules():
        if level_of(module) != "sym":
            continue
        module = module.clone()
        try:
            for name in steps:
                make_pass(name).apply(context(), module)
                if name in keep:
                    out.append((f"{where} after {name}", module.clone()))
        except CLEAN:
            continue  # an operator the lowering refuses on purpose
    return out


def test_every_pass_alone_on_every_lowered_lit_module():
    """Each registered pass, alone, on the `branch` and `stablehlo` forms of each `sym`
    lit chunk (`lowered_lit_modules`, sweep 27): a result that verifies or a
    diagnostic, never an internal error."""
    modules = lowered_lit_modules()
    assert len(modules) >= 150
    outcomes: Counter = Counter()
    failures = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for where, module in modules:
            for name in PASSES:
                try:
                    with time_limit(TIME_LIMIT_S):
                        outcomes[run_pass(module, name)] += 1
                except Exception as e:
                    failures.append(f"{where} -p {name}: {type(e).__name__}: {e}"[:400])
    assert not failures, f"{len(failures)} internal errors:\n" + "\n".join(failures[:20])
    assert outcomes["accepted"] > outcomes["rejected"] > 0, outcomes


@pytest.mark.parametrize("seed", [0, 1])
def test_mutated_ir_gives_diagnostics_not_crashes(seed):
    # a regression guard (160 cases in all); the long runs are benchmarks/fuzz_opt.py
    outcomes, failures = fuzz(cases=80, seed=seed)
    assert not failures, f"{outcomes}\n--- input:\n{failures[0][0]}\n--- error:\n{failures[0][1]}"
    assert outcomes["rejected"] > 0 and outcomes["lowered"] + outcomes["accepted"] > 0


@pytest.mark.parametrize("path", REPRODUCERS, ids=lambda p: p.stem)
def test_reproducers_are_refused_with_a_diagnostic(path):
    """Each input an earlier fuzz run found a bug with (an exception escaping from xDSL,
    an IndexError in the conversion, IR jaxlib refused) is now refused by a verifier."""
    assert run_case(path.read_text()) == "rejected"


def test_escaped_xdsl_value_error_is_an_internal_error():
    """The harness tells an escaped xDSL `ValueError` from a diagnostic: a kernel body of
    two blocks reached `Region.block` before the fix; xDSL's own call still raises."""
    from xdsl.ir import Block, Region

    with pytest.raises(ValueError) as escaped:
        _ = Region([Block(), Block()]).block
    with pytest.raises(ValueError, match="single-block"):
        rejected(escaped.value)
    with pytest.raises(ValueError) as own:
        raise ValueError("a pass's own message")
    assert rejected(own.value) == "rejected"
    with pytest.raises(OverflowError) as overflow:  # issue 35, item 17
        np.array(255, dtype=np.int8)
    assert not is_diagnostic(overflow.value)


def test_zero_width_integers_are_a_diagnostic():
    """`array<i0>` (a mutation the fuzzer found) made xDSL's parser divide by zero."""
    text = '"test.op"() <{d = array<i0>}> : () -> ()'
    with pytest.raises(DiagnosticException, match="integer type i0 has no bits"):
        parse_module(context(), text)


def test_the_long_harness_tells_a_slow_reference_from_a_hang():
    """benchmarks/fuzz_opt.py: past its time limit, a case whose worker had reached the
    reference comparison (symir and jaxlib done: a legitimately huge operator) is `slow`,
    one still in symir or jaxlib a `hang`; an answer in time is the worker's."""
    import multiprocessing as mp

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from fuzz_opt import _answer

    parent, child = mp.Pipe()
    child.send(("stage", 0, "jaxlib"))
    assert _answer(parent, 0.05)[0] == "hang"
    child.send(("stage", 0, "reference"))
    assert _answer(parent, 0.05)[0] == "slow"
    child.send(("stage", 0, "reference"))
    child.send((0, "ok", "ran; same as reference"))
    assert _answer(parent, 5) == ("ok", "ran; same as reference")
    # the limit is the worker's CPU time: a worker that sleeps (a niced run on a busy
    # machine) is stopped only by the wall-clock backstop, 10 x the limit
    import subprocess
    import time

    sleeper = subprocess.Popen(["sleep", "5"])
    try:
        t0 = time.time()
        cls, detail = _answer(parent, 0.1, sleeper.pid)
        assert cls == "hang" and "0 s of CPU time" in detail
        assert 0.9 < time.time() - t0 < 3
    finally:
        sleeper.kill()
        sleeper.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--show", type=int, default=3)
    args = parser.parse_args()
    outcomes, failures = fuzz(args.cases, args.seed)
    print(dict(outcomes))
    kinds = Counter(f.strip().splitlines()[-1][:150] for _, f in failures)
    for kind, n in kinds.most_common():
        print(f"{n:5d}  {kind}")
    for text, error in failures[: args.show]:
        print("=" * 80, "\n", text, "\n", error)
    sys.exit(1 if failures else 0)


def test_input_nested_too_deeply_is_a_diagnostic():
    """3000 nested modules made xDSL's recursive parser raise a bare RecursionError
    (sweep 16)."""
    text = "builtin.module {\n" * 3000 + "}\n" * 3000
    with pytest.raises(DiagnosticException, match="nests regions too deeply"):
        parse_module(context(), text, "deep.mlir")


def test_an_empty_input_is_an_empty_module():
    """As MLIR reads it (xDSL's parser: `Could not parse entire input!`, sweep 16); with
    --no-implicit-module, a diagnostic that says the input is empty."""
    for text in ("", "\n  \n", "// only a comment\n"):
        module = parse_module(context(), text)
        assert isinstance(module, ModuleOp) and not list(module.ops)
    with pytest.raises(DiagnosticException, match="the input is empty"):
        parse_module(context(), "// nothing\n", implicit_module=False)


def test_a_failure_inside_xdsls_parser_is_located():
    """A literal out of its type's range in a dense constant (xDSL's parser raises a
    ValueError inside): the message has the line, not only `malformed input` (sweep 16)."""
    text = (
        "func.func @main() -> tensor<i32> {\n"
        "  %c = stablehlo.constant dense<99999999999> : tensor<i32>\n"
        "  func.return %c : tensor<i32>\n"
        "}\n"
    )
    with pytest.raises(ParseError) as error:
        parse_module(context(), text, "big.mlir")
    assert "big.mlir:2:" in str(error.value)
    assert "out of range for type i32" in str(error.value)


@pytest.mark.parametrize(
    "literal",
    ["%c = sym.constant 9223372036854775808 : i64", "%c = sym.constant 18446744073709551615 : i64"],
)
def test_an_i64_literal_outside_the_signed_range_is_refused(literal):
    """xDSL's signless i64 holds 2**63 .. 2**64 - 1 as negative numbers: `sym.constant
    2**63 : i64` read back as -2**63 (sweep 16)."""
    text = (
        'sym.operator @op sites 2 states [0, 1] dtype f64 {\n  sym.term @t kind "site" '
        f'labels ["i"] rows [[0], [1]] {{\n    {literal}\n    sym.emission {{\n    }} '
        "amplitude {\n      %a = sym.constant 1.0 : f64\n      sym.yield %a : f64\n    }\n"
        "  }\n}\n"
    )
    with pytest.raises(ParseError, match=r"'sym.constant' integer \d+ is outside the signed"):
        parse_module(context(), text)
    fine = parse_module(
        context(), text.replace(literal, "%c = sym.constant -9223372036854775808 : i64")
    )
    assert fine is not None
