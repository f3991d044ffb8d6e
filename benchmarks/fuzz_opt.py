"""Mutation fuzzer over symir's IR at all three levels (the harness behind issue 25's counts).

Seeds: every module of every lit file (tests/lit, one module per top-level op of each
`// -----` chunk), the seeds of the CI fuzz test (tests/unit/test_fuzz_opt.py, which adds
the `branch` and `stablehlo` forms of the `sym` ones and the reproducers of earlier fuzz
runs), and the operators of the differential tests (tests/unit/lowering/test_differential.py)
built with the DSL on their small Hilbert spaces, at the `sym`, `branch` and `stablehlo`
levels. Each case is one seeded mutation (test_fuzz_opt.mutate: byte flips, token swaps,
swapped SSA names, changed numbers, deleted or duplicated lines) of one seed.

Each case goes through what `symir-opt` does (parse, verify with SSA dominance), then the
lowering of its level (`symir-lower` for `sym`, `convert-branch-to-stablehlo` for
`branch`), then, for a module with a StableHLO `@main`, jaxlib: parse and verify
(`parse_and_verify`), serialise and compile (`load_stablehlo`), and a run on a batch of 3
random inputs. A verified `sym` module is also given to the reference interpreter
(symir/interpreter.py) on the same configurations, and its connected states compared with
the kernel's (matrix elements summed per connected state, zeros dropped, 1e-9 relative).

Each case is classified:

- `diagnostic`: a step refused it with a clean diagnostic (`ParseError`,
  `VerifyException`, `DiagnosticException`, `SymbolicError`, or a `ValueError` raised by
  symir's own code, not by xDSL's internals);
- `ok`: every step accepted it (`ran` when it had a `@main` that jaxlib compiled and ran);
- `internal`: any other exception, in symir, xDSL or the reference interpreter;
- `hang`: no answer within `--timeout` seconds from symir or jaxlib (the worker process
  is killed);
- `slow` (not a failure): symir and jaxlib accepted, compiled and ran the module within
  the time, but the reference comparison did not finish in it (a legitimately huge
  operator: 2**24 sites is the verifiers' limit; the reference is plain Python, and above
  `REFERENCE_BUDGET` configuration entries it is run on the first configuration only);
- `jaxlib`: jaxlib refused (parse, verify, compile or run) a module symir verified;
- `mismatch`: kernel and reference disagree (docs/semantics.md says what both compute).

Cases run one at a time in a worker process (killed and restarted on a hang). Case `i`
of seed `s` is the same mutation in every run, so a range can be run in chunks:

    python benchmarks/fuzz_opt.py --cases 1000 --start 0 --seed 0 --out /tmp/fuzz
    python benchmarks/fuzz_opt.py --summary /tmp/fuzz        # counts over all chunks

Failures are written to `<out>/<class>_<case>.mlir` with the error in a comment.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import random
import re
import sys
import time
import traceback
import warnings
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CLASSES = ("diagnostic", "ok", "slow", "internal", "hang", "jaxlib", "mismatch")
REFERENCE_BUDGET = 2**22
"""Configuration entries (batch x sites x slots) above which the reference (plain Python,
one site at a time) is run on the first configuration only."""

_stage_callback = None


def _stage(name: str) -> None:
    """Tells the parent (in a fuzz run) which step a case has reached."""
    if _stage_callback is not None:
        _stage_callback(name)


# --------------------------------------------------------------------------- seeds


def lit_seeds() -> list[str]:
    """One module per top-level op of every chunk of every lit file that parses."""
    from xdsl.dialects.builtin import ModuleOp
    from xdsl.parser import Parser

    from symir.dialects import print_module
    from tests.unit.test_fuzz_opt import context

    out = []
    for path in sorted((ROOT / "tests" / "lit").rglob("*.mlir")):
        for chunk in re.split(r"^// -----$", path.read_text(), flags=re.M):
            try:
                module = Parser(context(), chunk).parse_module()
            except Exception:
                continue  # an invalid.mlir chunk that does not parse: not a seed
            for op in module.ops:
                out.append(print_module(ModuleOp([op.clone()])))
    return out


def dsl_seeds() -> list[str]:
    """The differential tests' DSL operators at the `sym`, `branch`, `stablehlo` levels."""
    from xdsl.parser import Parser

    from symir.dialects import print_module
    from symir.lowering import make_pass
    from tests.unit.lowering import test_differential as td
    from tests.unit.test_fuzz_opt import context

    out = []
    builders = [getattr(td, n) for n in dir(td) if n.startswith("c_")]
    for build in builders:
        for hi in td.HILBERTS.values():
            try:
                text = str(build(hi).to_ir())
            except Exception:
                continue  # a case that does not apply to this space
            out.append(text)
            ctx = context()
            module = Parser(ctx, text).parse_module()
            try:
                for name in ("convert-sym-to-branch", "branch-coalesce-diagonal"):
                    make_pass(name).apply(ctx, module)
                out.append(print_module(module))
                make_pass("convert-branch-to-stablehlo").apply(ctx, module)
                out.append(print_module(module))
            except Exception:
                continue
    return out


def all_seeds() -> list[str]:
    from tests.unit.test_fuzz_opt import seeds

    seen: dict[str, None] = {}
    for text in [*seeds(), *lit_seeds(), *dsl_seeds()]:
        seen.setdefault(text, None)
    return list(seen)


_NUM = re.compile(r"(?<![%\w.#^@-])-?\d+\b(?!\.)")
_LIST = re.compile(r"\[(-?\d+(?:, -?\d+)*)\]|array<i64: (-?\d+(?:, -?\d+)*)>")


def small_edit(text: str, rng: random.Random) -> str:
    """A mutation that keeps the text parseable more often: one integer (not an SSA name)
    moved by one or set to 0..4, or one list of integers (`[1, 2]`, `array<i64: 1, 2>`)
    with an element repeated, dropped, changed or two swapped."""
    lists = list(_LIST.finditer(text))
    if lists and rng.random() < 0.6:
        m = rng.choice(lists)
        group = 1 if m.group(1) is not None else 2
        items = m.group(group).split(", ")
        k = rng.randrange(len(items))
        edit = rng.choice(["repeat", "drop", "change", "swap"])
        if edit == "repeat":
            items.insert(k, items[rng.randrange(len(items))])
        elif edit == "drop":
            del items[k]
        elif edit == "change":
            items[k] = str(rng.randrange(-1, 5))
        else:
            j = rng.randrange(len(items))
            items[k], items[j] = items[j], items[k]
        return text[: m.start(group)] + ", ".join(items) + text[m.end(group) :]
    numbers = list(_NUM.finditer(text))
    if not numbers:
        return text
    m = rng.choice(numbers)
    v = int(m.group())
    new = rng.choice([v - 1, v + 1, rng.randrange(0, 5)])
    return text[: m.start()] + str(new) + text[m.end() :]


def case_text(base: list[str], seed: int, i: int) -> str:
    """Case `i` of seed `seed`: one to three mutations of one seed, half of them
    `small_edit`s, half `tests/unit/test_fuzz_opt.mutate`'s."""
    from tests.unit.test_fuzz_opt import mutate

    rng = random.Random(f"{seed}:{i}")
    text = rng.choice(base)
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        text = small_edit(text, rng) if rng.random() < 0.5 else mutate(text, rng)
    return text


# --------------------------------------------------------------------------- one case


class Refused(Exception):
    """jaxlib refused a module that symir verified."""


def _is_clean(e: BaseException) -> bool:
    """A diagnostic symir or xDSL meant to give, not an exception escaping from internals."""
    from xdsl.utils.exceptions import DiagnosticException, ParseError, VerifyException

    from symir.errors import SymbolicError

    if isinstance(e, ParseError | VerifyException | DiagnosticException | SymbolicError):
        return True
    if type(e) is ValueError or e.__class__.__name__ == "PassFailedException":
        # a ValueError is a diagnostic when symir's own code raised it; one raised inside
        # xDSL (e.g. `Region.block` of a multi-block region) is an escaped internal error
        tb = traceback.extract_tb(e.__traceback__)
        return bool(tb) and "/xdsl/" not in tb[-1].filename
    return False


def _random_inputs(specs, rng, states=(-1, 1)):
    import numpy as np

    args = []
    for k, (shape, dtype) in enumerate(specs):
        shape = tuple(3 if d is None else d for d in shape)
        if k == 0 and np.issubdtype(dtype, np.integer):
            args.append(rng.choice(np.asarray(states, dtype=dtype), size=shape))
        elif np.issubdtype(dtype, np.complexfloating):
            args.append((rng.normal(size=shape) + 1j * rng.normal(size=shape)).astype(dtype))
        elif np.issubdtype(dtype, np.floating):
            args.append(rng.normal(size=shape).astype(dtype))
        elif dtype == np.bool_:
            args.append(rng.integers(0, 2, size=shape).astype(bool))
        else:
            args.append(rng.integers(-3, 4, size=shape).astype(dtype))
    return args


def _branches(xp, mels) -> list[dict[bytes, complex]]:
    """Per configuration: the matrix elements summed per connected state (keyed by the
    bytes of the state as int64: cheap for 2**24 sites too), zeros dropped."""
    import numpy as np

    xp = np.asarray(xp).astype(np.int64)
    out = []
    for b in range(xp.shape[0]):
        d: dict[bytes, complex] = {}
        for f in range(xp.shape[1]):
            key = xp[b, f].tobytes()
            d[key] = d.get(key, 0j) + complex(mels[b, f])
        out.append({k: v for k, v in d.items() if v != 0})
    return out


def _show(branches: dict[bytes, complex]) -> str:
    """The branches of `_branches` as `{state: mel}` (states of more than 16 sites cut)."""
    import numpy as np

    def state(key: bytes) -> str:
        values = np.frombuffer(key, dtype=np.int64)
        return str(values[:16].tolist())[:-1] + (", ...]" if len(values) > 16 else "]")

    return "{" + ", ".join(f"{state(k)}: {v}" for k, v in branches.items()) + "}"


def _same(a, b) -> bool:
    import cmath

    if a.keys() != b.keys():
        return False
    for k in a:
        x, y = a[k], b[k]
        if cmath.isnan(x) or cmath.isnan(y):
            if not (cmath.isnan(x) and cmath.isnan(y)):
                return False
        elif cmath.isinf(x) or cmath.isinf(y):
            if x != y:
                return False
        elif abs(x - y) > 1e-9 * max(1.0, abs(x), abs(y)):
            return False
    return True


def run_case(text: str, seed: int) -> tuple[str, str]:
    """(class, detail) of one module."""
    import numpy as np

    from symir.dialects import level_of, print_module
    from symir.dialects.module_checks import verify_module
    from symir.dialects.parsing import parse_module
    from symir.lowering import make_pass
    from tests.unit.test_fuzz_opt import context

    ctx = context()
    try:
        module = parse_module(ctx, text)
        verify_module(module)
        level = level_of(module)
    except Exception as e:
        if _is_clean(e):
            return "diagnostic", f"{type(e).__name__}: {str(e)[:200]}"
        raise
    sym_module = module.clone() if level == "sym" else None
    passes = {"sym": ["symir-lower"], "branch": ["convert-branch-to-stablehlo"]}.get(level, [])
    try:
        for name in passes:
            make_pass(name).apply(ctx, module)
            verify_module(module)
    except Exception as e:
        if _is_clean(e):
            return "diagnostic", f"{type(e).__name__}: {str(e)[:200]}"
        raise
    if not any(op.name == "func.func" and op.sym_name.data == "main" for op in module.ops):
        return "ok", "no @main"

    from symir.runtime.stablehlo_exec import load_stablehlo, parse_and_verify

    hlo = print_module(module)
    rng = np.random.default_rng(seed)
    states = (-1, 1)
    if sym_module is not None:
        (operator,) = [op for op in sym_module.ops if op.name == "sym.operator"]
        states = operator.states
    _stage("jaxlib")
    try:
        parse_and_verify(hlo)
        loaded = load_stablehlo(hlo)
        args = _random_inputs(loaded.in_specs, rng, states)
        outputs = loaded(*args)
        outputs = [np.asarray(o) for o in (outputs if isinstance(outputs, tuple) else [outputs])]
    except Exception as e:
        raise Refused(f"{type(e).__name__}: {e}") from e
    if sym_module is None:
        return "ok", "ran"
    return _compare_with_reference(sym_module, args, outputs)


def _compare_with_reference(sym_module, args, outputs) -> tuple[str, str]:
    """The reference interpreter on the kernel's inputs; its errors other than the
    documented ValueError (fan-out hint exceeded, bad parameter) are internal errors."""
    import numpy as np

    from symir.interpreter import reference_get_conn_padded

    (operator,) = [op for op in sym_module.ops if op.name == "sym.operator"]
    names = [p for p in _param_names(operator)]
    x = args[0]
    if x.size * max(1, outputs[0].shape[1]) > REFERENCE_BUDGET:
        x = x[:1]  # a huge operator (2**24 sites): the reference on one configuration
    params = {n: np.asarray(a).item() for n, a in zip(names, args[1:])}
    _stage("reference")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rxp, rmels = reference_get_conn_padded(sym_module, x, params)
    except ValueError as e:
        if _is_clean(e):
            return "ok", f"ran; reference refused: {str(e)[:120]}"
        raise
    xp, mels = outputs[0][: len(x)], outputs[1][: len(x)]
    got, ref = _branches(xp, mels), _branches(rxp, rmels)
    for b in range(len(got)):
        if not _same(ref[b], got[b]):
            shown = x[b].tolist()[:16]
            return (
                "mismatch",
                f"x={shown} params={params}\nref {_show(ref[b])}\nkernel {_show(got[b])}",
            )
    return "ok", "ran; same as reference"


def _param_names(operator) -> list[str]:
    """The kernel's parameter order: the `sym.param` names sorted (convert-sym-to-branch)."""
    return sorted({op.param_name.data for op in operator.walk() if op.name == "sym.param"})


# --------------------------------------------------------------------------- worker


def _worker(conn) -> None:
    import os

    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax

    jax.config.update("jax_enable_x64", True)
    global _stage_callback
    while True:
        msg = conn.recv()
        if msg is None:
            return
        i, text, seed = msg
        _stage_callback = lambda name, i=i: conn.send(("stage", i, name))  # noqa: E731
        try:
            cls, detail = run_case(text, seed)
        except Refused as e:
            cls, detail = "jaxlib", str(e)[-3000:]
        except Exception as e:
            cls, detail = "internal", "".join(traceback.format_exception(e))[-3000:]
        conn.send((i, cls, detail))


def _start():
    parent, child = mp.Pipe()
    proc = mp.get_context("fork").Process(target=_worker, args=(child,), daemon=True)
    proc.start()
    return proc, parent


def fuzz(cases: int, start: int, seed: int, timeout: float, out: Path) -> Counter:
    out.mkdir(parents=True, exist_ok=True)
    base = all_seeds()
    print(f"{len(base)} seeds", flush=True)
    counts: Counter = Counter()
    proc, conn = _start()
    t0 = time.time()
    for i in range(start, start + cases):
        text = case_text(base, seed, i)
        conn.send((i, text, seed * 1_000_003 + i))
        cls, detail = _answer(conn, timeout)
        if cls in ("hang", "slow"):
            proc.kill()
            proc.join()
            proc, conn = _start()
        counts[cls] += 1
        if cls not in ("diagnostic", "ok"):
            body = "\n".join("// " + line for line in detail.splitlines())
            (out / f"{cls}_{seed}_{i}.mlir").write_text(f"{body}\n{text}\n")
        if (i - start + 1) % 250 == 0:
            print(f"{i - start + 1} cases, {time.time() - t0:.0f} s: {dict(counts)}", flush=True)
    conn.send(None)
    proc.join(5)
    (out / f"counts_{seed}_{start}_{cases}.json").write_text(json.dumps(dict(counts)))
    return counts


def _answer(conn, timeout: float) -> tuple[str, str]:
    """The worker's (class, detail) for the case it was sent, or, past `timeout`, `slow`
    when it was in the reference comparison (symir and jaxlib had accepted, compiled and
    run the module: only the harness's plain-Python reference did not finish) and `hang`
    otherwise."""
    deadline = time.time() + timeout
    stage = "symir"
    while conn.poll(max(0.0, deadline - time.time())):
        msg = conn.recv()
        if msg[0] == "stage":
            stage = msg[2]
            continue
        return msg[1], msg[2]
    if stage == "reference":
        return "slow", f"the kernel ran; the reference did not finish in {timeout} s"
    return "hang", f"no answer in {timeout} s (in the {stage} steps)"


def replay(paths: list[Path]) -> None:
    """Runs saved cases again in this process and prints the class of each."""
    import jax

    jax.config.update("jax_enable_x64", True)
    for path in paths:
        try:
            cls, detail = run_case(path.read_text(), 0)
        except Refused as e:
            cls, detail = "jaxlib", str(e)
        except Exception as e:
            cls, detail = "internal", "".join(traceback.format_exception(e))
        print(f"{path.name}: {cls}: {detail[-600:]}")


def summary(out: Path) -> Counter:
    total: Counter = Counter()
    for f in sorted(out.glob("counts_*.json")):
        total.update(json.loads(f.read_text()))
    return total


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=1000)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--out", type=Path, default=Path("/tmp/symir-fuzz"))
    ap.add_argument("--summary", type=Path, default=None, metavar="OUT")
    ap.add_argument("--replay", type=Path, nargs="*", default=None, metavar="FILE")
    a = ap.parse_args()
    if a.replay is not None:
        replay(a.replay)
        sys.exit(0)
    if a.summary is not None:
        c = summary(a.summary)
        print(json.dumps({"cases": sum(c.values()), **dict(c)}))
        sys.exit(0)
    c = fuzz(a.cases, a.start, a.seed, a.timeout, a.out)
    print(json.dumps({"cases": sum(c.values()), **dict(c)}))
