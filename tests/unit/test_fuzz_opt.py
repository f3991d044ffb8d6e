"""Mutated IR never crashes the compiler, never hangs, and verified IR lowers to StableHLO
that jaxlib accepts.

Seeded, bounded mutations (byte flips, token swaps, swapped SSA names, changed numbers)
of the lit inputs of every level go through what `symir-opt` does: parse, verify (with
SSA dominance), then the lowering of the module's level (`symir-lower` for `sym`,
`convert-branch-to-stablehlo` for `branch`), and, when every step accepted the input,
jaxlib's own parser and verifier on the printed StableHLO. A step may reject the input
only with a diagnostic (`ParseError`, `VerifyException`, `DiagnosticException`, or a
`ValueError`/`SymbolicError` that a pass raises on purpose), never with an internal error
(`IndexError`, `KeyError`, `AttributeError`, `TypeError`, `AssertionError`, ...), and
within a time limit.

Run more cases by hand: `python tests/unit/test_fuzz_opt.py --cases 3000 --seed 1`.
"""

from __future__ import annotations

import argparse
import random
import re
import signal
import sys
import traceback
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pytest
from xdsl.context import Context
from xdsl.parser import Parser
from xdsl.utils.exceptions import DiagnosticException, ParseError, VerifyException

from symir.dialects import get_all_dialects, level_of, print_module
from symir.dialects.module_checks import verify_module
from symir.dialects.parsing import parse_module
from symir.errors import SymbolicError
from symir.lowering import make_pass

LIT = Path(__file__).resolve().parents[1] / "lit"
REPRODUCERS = sorted((Path(__file__).parent / "fuzz_seeds").glob("*.mlir"))
"""Inputs earlier fuzz runs found a bug with (issue 25): seeds, each refused cleanly."""
SOURCES = [
    LIT / "dialects" / "sym" / "ops.mlir",
    LIT / "dialects" / "sym" / "models.mlir",
    LIT / "dialects" / "branch" / "ops.mlir",
    LIT / "dialects" / "stablehlo" / "ops.mlir",
]
CLEAN = (ParseError, VerifyException, DiagnosticException, ValueError, SymbolicError)
TIME_LIMIT_S = 10


def seeds() -> list[str]:
    """One module per top-level op of the lit inputs (a `sym.operator`, a `branch.kernel`,
    a `func.func`), and the `branch` and `stablehlo` forms of every `sym` one."""
    from xdsl.dialects.builtin import ModuleOp

    texts = []
    for path in SOURCES:
        for chunk in re.split(r"^// -----$", path.read_text(), flags=re.M):
            if not chunk.strip():
                continue
            module = Parser(context(), chunk).parse_module()
            for op in module.ops:
                texts.append(print_module(ModuleOp([op.clone()])))
    lowered = []
    for text in texts:
        ctx = context()
        module = Parser(ctx, text).parse_module()
        if level_of(module) != "sym":
            continue
        try:
            for name in ("convert-sym-to-branch", "branch-coalesce-diagonal"):
                make_pass(name).apply(ctx, module)
        except ValueError:
            continue  # an operator the lowering refuses on purpose (no terms)
        lowered.append(print_module(module))
        make_pass("convert-branch-to-stablehlo").apply(ctx, module)
        lowered.append(print_module(module))
    return texts + lowered + [path.read_text() for path in REPRODUCERS]


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
    """'rejected' for a diagnostic; re-raises a `ValueError` that escaped from xDSL's
    internals (`Region.block` of a region of several blocks, ...): an internal error."""
    if type(e) is ValueError:
        frames = traceback.extract_tb(e.__traceback__)
        if frames and "/xdsl/" in frames[-1].filename:
            raise e
    return "rejected"


def run_case(text: str) -> str:
    """'rejected' / 'lowered' / 'accepted', or raises what is not a clean diagnostic."""
    ctx = context()
    try:
        module = parse_module(ctx, text)
        verify_module(module)
        level = level_of(module)
    except CLEAN as e:
        return rejected(e)
    passes = {"sym": ["symir-lower"], "branch": ["convert-branch-to-stablehlo"]}.get(level, [])
    try:
        for name in passes:
            make_pass(name).apply(ctx, module)
            verify_module(module)
    except CLEAN as e:
        return rejected(e)
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
        try:
            with time_limit(TIME_LIMIT_S):
                outcomes[run_case(text)] += 1
        except Exception as e:  # an internal error, a hang or a jaxlib rejection
            outcomes["failed"] += 1
            failures.append((text, "".join(traceback.format_exception(e))))
    return outcomes, failures


def test_seeds_lower_cleanly():
    base = seeds()
    assert len(base) >= 20
    outcomes = Counter(run_case(text) for text in base)
    # sym/ops.mlir has one operator with no term; every reproducer is refused
    assert outcomes["rejected"] <= 1 + len(REPRODUCERS), outcomes
    assert outcomes["lowered"] >= 5


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
    assert rejected(ValueError("a pass's own message")) == "rejected"


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
