"""Mutation fuzzer over symir's IR at all three levels (the harness behind issue 25's counts).

Seeds: every module of every lit file (tests/lit: each `// -----` chunk, and one module
per top-level op of each), the seeds of the CI fuzz test (tests/unit/test_fuzz_opt.py,
which adds the `branch` and `stablehlo` forms of the `sym` ones and the reproducers of
earlier fuzz runs), and the operators of the differential tests
(tests/unit/lowering/test_differential.py) built with the DSL on their small Hilbert
spaces, at the `sym`, `branch` and `stablehlo` levels. Each case is one seeded mutation
(test_fuzz_opt.mutate: byte flips, token swaps, swapped SSA names, changed numbers,
deleted or duplicated lines) of one seed.

Each case goes through what `symir-opt` does (parse, verify with SSA dominance), then the
lowering of its level (`symir-lower` for `sym`, `convert-branch-to-stablehlo` for
`branch`) or, in a third of the cases (`case_pass`), one registered pass alone
(test_fuzz_opt.PASSES, default options; the IR it gives verified), then, for a module
with a StableHLO `@main`, jaxlib: parse and verify
(`parse_and_verify`), serialise and compile (`load_stablehlo`), and a run on a batch of 3
random inputs. A verified `sym` module is also given to the reference interpreter
(symir/interpreter.py) on the same configurations, and its connected states compared with
the kernel's (matrix elements summed per connected state, zeros dropped, 1e-9 relative).

Each case is classified:

- `diagnostic`: a step refused it with a clean diagnostic (test_fuzz_opt.is_diagnostic:
  `ParseError`, `VerifyException`, `DiagnosticException`, `SymbolicError`, or a
  `ValueError` raised by symir's own code, not by xDSL's or numpy's);
- `ok`: every step accepted it (`ran` when it had a `@main` that jaxlib compiled and ran);
- `internal`: any other exception, in symir, xDSL or the reference interpreter, and IR
  that a pass gave (having accepted its input) but that does not verify;
- `hang`: no answer from symir or jaxlib within `--timeout` seconds of the worker's CPU
  time (or 10 times that of wall clock; the worker process is killed);
- `slow` (not a failure): symir and jaxlib accepted, compiled and ran the module within
  the time, but the reference comparison did not finish in it (a legitimately huge
  operator: 2**24 sites is the verifiers' limit; the reference is plain Python, and above
  `REFERENCE_BUDGET` configuration entries it is run on the first configuration only);
- `jaxlib`: jaxlib refused (parse, verify, compile or run) a module symir verified;
- `mismatch`: kernel and reference disagree (docs/semantics.md says what both compute);
- `deviation` (not a failure): they disagree where docs/semantics.md's known deviations
  say they may: on a configuration where the reference computed a subnormal float
  (XLA:CPU flushes denormals to zero; any op on one may differ), or in an operator with
  an expression XLA's algebraic simplifier rewrites (`xla_rewrites`).

Cases run one at a time in a worker process (killed and restarted on a hang). Case `i`
of seed `s` is the same mutation in every run, so a range can be run in chunks:

    python benchmarks/fuzz_opt.py --cases 1000 --start 0 --seed 0 --out /tmp/fuzz
    python benchmarks/fuzz_opt.py --summary /tmp/fuzz        # counts over all chunks

Failures are written to `<out>/<class>_<case>.mlir` with the error in a comment (and the
pass, for a case that ran one alone).

`--passes` runs, instead of mutations, every registered pass alone on every unmutated lit
chunk and seed that verifies, and prints each internal error (what the CI test
`test_every_pass_alone_on_every_lit_module` checks on the lit chunks).

`--arith` runs, instead of mutations, valid `sym` operators computing random programs of
the arithmetic ops on extreme constants (`arith_text`): each value is compared with the
reference (64-bit wrap-around, overflow to inf, NaN, underflow).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
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

CLASSES = (
    "diagnostic",
    "ok",
    "slow",
    "internal",
    "hang",
    "crash",
    "jaxlib",
    "mismatch",
    "deviation",
)
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
    """Every chunk of every lit file as it is written (test_fuzz_opt.seeds has one module
    per top-level op of each)."""
    from tests.unit.test_fuzz_opt import lit_chunks

    return [chunk for _, chunk in lit_chunks()]


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


def case_pass(seed: int, i: int) -> str | None:
    """The pass case `i` of seed `seed` runs alone (a third of the cases), or None: the
    lowering of the module's level."""
    from tests.unit.test_fuzz_opt import PASSES

    rng = random.Random(f"{seed}:{i}:pass")
    return rng.choice(PASSES) if rng.random() < 1 / 3 else None


def case_text(base: list[str], seed: int, i: int) -> str:
    """Case `i` of seed `seed`: one to three mutations of one seed, half of them
    `small_edit`s, half `tests/unit/test_fuzz_opt.mutate`'s."""
    from tests.unit.test_fuzz_opt import mutate

    rng = random.Random(f"{seed}:{i}")
    text = rng.choice(base)
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        text = small_edit(text, rng) if rng.random() < 0.5 else mutate(text, rng)
    return text


# --------------------------------------------------------------------------- arithmetic

_INTS = (0, 1, -1, 2, 3, 7, 2**31, 2**62, 2**63 - 1, -(2**63), -(2**62) - 5, 10**18)
_FLOATS = (0.0, 1.0, -1.0, 0.5, 1e308, -1e308, 1e-300, 3.5, -2.25, 1e19, 9.3e18, 700.0, -745.5)
_BINARY = ("add", "sub", "mul", "min", "max", "div", "pow")
_UNARY = ("neg", "abs", "sqrt", "exp", "log", "sin", "cos", "floor", "wrap_mod", "parity")


def arith_text(rng: random.Random) -> str:
    """`--arith`: a valid `sym` operator computing a random program of the arithmetic ops
    on extreme constants (`i64` near 2**63, `f64` near overflow and underflow) and two
    reads of `x`; every value is the matrix element of its own branch (emission k flips
    site 2 + k), so each is compared with the reference; the last emission also writes
    an `i64` value at site 0 (through `wrap_mod`, or two `shift`s)."""
    lines = [
        "%s0 = sym.constant 0 : i64",
        "%s1 = sym.constant 1 : i64",
        "%x0 = sym.read %s0 : i64",
        "%x1 = sym.read %s1 : i64",
    ]
    values = [("%x0", "i64"), ("%x1", "i64")]

    def new(t: str, expr: str) -> None:
        values.append((f"%v{len(values)}", t))
        lines.append(f"%v{len(values) - 1} = {expr}")

    for _ in range(rng.randint(2, 5)):
        if rng.random() < 0.5:
            new("i64", f"sym.constant {rng.choice(_INTS)} : i64")
        else:
            new("f64", f"sym.constant {rng.choice(_FLOATS):.17e} : f64")
    for _ in range(rng.randint(2, 8)):
        (a, ta), (b, tb) = rng.choice(values), rng.choice(values)
        r = rng.random()
        if r < 0.5:
            op = rng.choice(_BINARY)
            t = "f64" if "f64" in (ta, tb) or op in ("div", "pow") else "i64"
            new(t, f"sym.{op} {a}, {b} : {ta}, {tb} -> {t}")
        elif r < 0.85:
            op = rng.choice(_UNARY)
            if op in ("wrap_mod", "parity") and ta != "i64":
                continue
            t = {"neg": ta, "abs": ta, "floor": ta, "wrap_mod": ta, "parity": "i64"}.get(op, "f64")
            new(t, f"sym.{op} {a} : {ta} -> {t}")
        else:
            (c, tc), (d, td) = rng.choice(values), rng.choice(values)
            pred = rng.choice(["lt", "le", "eq", "ne", "gt", "ge"])
            lines.append(f"%p{len(values)} = sym.cmp {pred} {a}, {b} : {ta}, {tb}")
            t = "f64" if "f64" in (tc, td) else "i64"
            new(t, f"sym.select %p{len(values)}, {c}, {d} : {tc}, {td} -> {t}")
    ints = [v for v, t in values if t == "i64"]
    last_update = rng.choice(
        [
            f"%w = sym.wrap_mod {rng.choice(ints)} : i64 -> i64\n        sym.write %s0, %w",
            f"sym.shift %s0, {rng.choice(ints)}\n        sym.shift %s0, {rng.choice(ints)}",
            "",
        ]
    )
    emissions = []
    for k, (v, t) in enumerate(values):
        update = last_update if k == len(values) - 1 else ""
        emissions.append(
            f"""      sym.emission {{
        %f{k} = sym.constant {2 + k} : i64
        %y{k} = sym.read %f{k} : i64
        %one{k} = sym.constant 1 : i64
        %n{k} = sym.sub %one{k}, %y{k} : i64, i64 -> i64
        sym.write %f{k}, %n{k}
        {update}
      }} amplitude {{
        %zero{k} = sym.constant 0.0 : f64
        %out{k} = sym.add {v}, %zero{k} : {t}, f64 -> f64
        sym.yield %out{k} : f64
      }}"""
        )
    body = "\n      ".join(lines)
    sites = 2 + len(values)
    return f"""builtin.module {{
  sym.operator @op sites {sites} states [0, 1] dtype f64 {{
    sym.term @t kind "global" labels [] rows [[]] {{
      {body}
{chr(10).join(emissions)}
    }}
  }}
}}
"""


# --------------------------------------------------------------------------- one case


class Refused(Exception):
    """jaxlib refused a module that symir verified."""


def _is_clean(e: BaseException) -> bool:
    """A diagnostic symir or xDSL meant to give, not an exception escaping from internals
    (test_fuzz_opt.is_diagnostic)."""
    from tests.unit.test_fuzz_opt import is_diagnostic

    return is_diagnostic(e)


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


def _symir_steps(text: str, pass_name: str | None):
    """What `symir-opt` does with the module: parse, verify, then the lowering of its
    level or the pass `pass_name` alone, and verify. Returns (the module, the verified
    `sym` module to compare with, when it was lowered), or a diagnostic's text."""
    from symir.dialects import level_of
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
            return f"{type(e).__name__}: {str(e)[:200]}"
        raise
    sym_module = module.clone() if level == "sym" and pass_name is None else None
    lowering = {"sym": ["symir-lower"], "branch": ["convert-branch-to-stablehlo"]}
    for name in [pass_name] if pass_name is not None else lowering.get(level, []):
        try:
            make_pass(name).apply(ctx, module)
        except Exception as e:
            if _is_clean(e):
                return f"{type(e).__name__}: {str(e)[:200]}"
            raise
        verify_module(module)  # a pass that accepts its input gives IR that verifies
    return module, sym_module


def run_case(text: str, seed: int, pass_name: str | None = None) -> tuple[str, str]:
    """(class, detail) of one module: through the lowering of its level, or the pass
    `pass_name` alone (then not compared with the reference)."""
    import numpy as np

    from symir.dialects import print_module

    found = _symir_steps(text, pass_name)
    if isinstance(found, str):
        return "diagnostic", found
    module, sym_module = found
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
    """The reference interpreter on the kernel's inputs, one configuration at a time; its
    errors other than the documented ValueError (fan-out hint exceeded, bad parameter)
    are internal errors. A difference where the reference computed a subnormal float is
    docs/semantics.md's denormal deviation (XLA:CPU flushes them to zero): `deviation`."""
    import numpy as np

    from symir.interpreter import reference_get_conn_padded

    (operator,) = [op for op in sym_module.ops if op.name == "sym.operator"]
    names = [p for p in _param_names(operator)]
    x = args[0]
    if x.size * max(1, outputs[0].shape[1]) > REFERENCE_BUDGET:
        x = x[:1]  # a huge operator (2**24 sites): the reference on one configuration
    # a number as a Python scalar, a table (`tensor<Kxf64>`) as its entries
    params = {n: a.item() if a.ndim == 0 else a for n, a in zip(names, map(np.asarray, args[1:]))}
    _stage("reference")
    for b in range(len(x)):
        try:
            with warnings.catch_warnings(), _Subnormals() as subnormals:
                warnings.simplefilter("ignore")
                rxp, rmels = reference_get_conn_padded(sym_module, x[b : b + 1], params)
        except ValueError as e:
            if _is_clean(e):
                return "ok", f"ran; reference refused: {str(e)[:120]}"
            raise
        (ref,), (got,) = (
            _branches(rxp, rmels),
            _branches(outputs[0][b : b + 1], outputs[1][b : b + 1]),
        )
        if not _same(ref, got):
            detail = (
                f"x={x[b].tolist()[:16]} params={params}\nref {_show(ref)}\nkernel {_show(got)}"
            )
            if subnormals.seen:
                return "deviation", f"the reference computed a subnormal float\n{detail}"
            rewrites = xla_rewrites(sym_module)
            if rewrites:
                return "deviation", f"XLA may rewrite {', '.join(rewrites)}\n{detail}"
            return "mismatch", detail
    return "ok", "ran; same as reference"


def xla_rewrites(sym_module) -> list[str]:
    """The expressions of the module that XLA's algebraic simplifier rewrites into others
    equal in exact arithmetic (docs/semantics.md's known deviation): `log` of a `pow` or an
    `exp`, a product or quotient of two `exp`s, a `pow` of an `exp`, a `pow` with a
    constant exponent, a division by a constant whose reciprocal is subnormal (XLA
    multiplies by the reciprocal, which it flushes to zero)."""
    found = []
    for op in sym_module.walk():
        kinds = [getattr(v.owner, "name", "") for v in op.operands]
        name = op.name.removeprefix("sym.")
        if name == "log" and kinds[0] in ("sym.pow", "sym.exp"):
            found.append(f"log({kinds[0][4:]})")
        elif name in ("mul", "div") and kinds == ["sym.exp", "sym.exp"]:
            found.append(f"exp {name} exp")
        elif name == "pow" and kinds[0] == "sym.exp":
            found.append("pow(exp, b)")
        elif name == "pow" and kinds[1] == "sym.constant":
            found.append("pow(a, constant)")
        elif name == "div" and kinds[1] == "sym.constant" and _huge(op.operands[1].owner):
            found.append("a / constant (a subnormal reciprocal)")
    return sorted(set(found))


def _huge(constant) -> bool:
    """Whether a `sym.constant`'s reciprocal is a subnormal float (|c| > 1 / 2.2e-308)."""
    value = getattr(getattr(constant, "value", None), "value", None)
    data = getattr(value, "data", None)
    return isinstance(data, float) and abs(data) * sys.float_info.min > 1.0


class _Subnormals:
    """Within it, notes whether the reference interpreter gave any value a subnormal
    float (its `cast_value`, which every op result goes through, wrapped)."""

    seen = False

    def __enter__(self) -> _Subnormals:
        import symir.interpreter as interpreter

        self.module, self.original = interpreter, interpreter.cast_value
        tiny = sys.float_info.min

        def cast(value, t):
            v = self.original(value, t)
            parts = (v.real, v.imag) if isinstance(v, complex) else (v,)
            if any(isinstance(p, float) and 0 < abs(p) < tiny for p in parts):
                self.seen = True
            return v

        interpreter.cast_value = cast
        return self

    def __exit__(self, *exc) -> None:
        self.module.cast_value = self.original


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
        i, text, seed, pass_name = msg
        _stage_callback = lambda name, i=i: conn.send(("stage", i, name))  # noqa: E731
        try:
            cls, detail = run_case(text, seed, pass_name)
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


def fuzz(
    cases: int, start: int, seed: int, timeout: float, out: Path, arith: bool = False
) -> Counter:
    out.mkdir(parents=True, exist_ok=True)
    base = [] if arith else all_seeds()
    print("arithmetic programs" if arith else f"{len(base)} seeds", flush=True)
    counts: Counter = Counter()
    kinds: Counter = Counter()
    proc, conn = _start()
    t0 = time.time()
    for i in range(start, start + cases):
        text = arith_text(random.Random(f"arith:{seed}:{i}")) if arith else case_text(base, seed, i)
        pass_name = None if arith else case_pass(seed, i)
        conn.send((i, text, seed * 1_000_003 + i, pass_name))
        cls, detail = _answer(conn, timeout, proc.pid)
        if cls in ("hang", "slow", "crash") or (i - start + 1) % RESTART_EVERY == 0:
            # past a hang or a crash, and every RESTART_EVERY cases: the compiled kernels
            # JAX keeps would otherwise pile up in one process (LLVM then runs out of
            # memory for code sections after a few thousand arithmetic programs)
            proc.kill()
            proc.join()
            proc, conn = _start()
        counts[cls] += 1
        if cls in ("diagnostic", "ok"):
            kinds[f"{cls}: {_kind(detail)}"] += 1
        if cls == "ok" and "reference refused" in detail:
            # not a failure, but a configuration only the kernel answered: kept to read
            (out / f"refused_{seed}_{i}.mlir").write_text(f"// {detail}\n{text}\n")
        elif cls not in ("diagnostic", "ok"):
            body = "\n".join("// " + line for line in detail.splitlines())
            ran = f"// pass: {pass_name}\n" if pass_name is not None else ""
            (out / f"{cls}_{seed}_{i}.mlir").write_text(f"{ran}{body}\n{text}\n")
        if (i - start + 1) % 250 == 0:
            print(f"{i - start + 1} cases, {time.time() - t0:.0f} s: {dict(counts)}", flush=True)
    conn.send(None)
    proc.join(5)
    (out / f"counts_{seed}_{start}_{cases}.json").write_text(json.dumps(dict(counts)))
    (out / f"kinds_{seed}_{start}_{cases}.json").write_text(json.dumps(dict(kinds)))
    print(json.dumps(dict(sorted(kinds.items()))), flush=True)
    return counts


def _kind(detail: str) -> str:
    """What a diagnostic or ok case was: the exception's name, or how far an accepted
    module went (`no @main`, `ran`, `ran; same as reference`, `ran; reference refused`)."""
    return detail.split(":")[0]


WALL_FACTOR = 10
"""A case also stops after `WALL_FACTOR * timeout` seconds of wall clock (a worker blocked
without using the CPU)."""


def _cpu_seconds(pid: int | None) -> float | None:
    """The CPU time (user + system, all threads) process `pid` has used, from
    /proc/<pid>/stat; None where that cannot be read."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


RESTART_EVERY = 250
"""Cases per worker process."""


def _answer(conn, timeout: float, pid: int | None = None) -> tuple[str, str]:
    """The worker's (class, detail) for the case it was sent, or, once it has used
    `timeout` seconds of CPU time (wall clock where that cannot be read, e.g. no `pid`;
    and at most `WALL_FACTOR * timeout` s of wall clock: a niced run on a busy machine is
    not a hang), `slow` when it was in the reference comparison (symir and jaxlib had
    accepted, compiled and run the module: only the harness's plain-Python reference did
    not finish) and `hang` otherwise."""
    t0, cpu0 = time.time(), _cpu_seconds(pid)
    stage = "symir"
    while True:
        wall = time.time() - t0
        cpu = _cpu_seconds(pid)
        spent = wall if cpu is None or cpu0 is None else cpu - cpu0
        if spent >= timeout or wall >= WALL_FACTOR * timeout:
            break
        try:
            if not conn.poll(min(1.0, timeout - spent)):
                continue
            msg = conn.recv()
        except (EOFError, ConnectionError):  # the worker process died (a crash, not Python)
            return "crash", f"the worker process died in the {stage} steps"
        if msg[0] == "stage":
            stage = msg[2]
            continue
        return msg[1], msg[2]
    spent_s = f"{spent:.0f} s of CPU time, {wall:.0f} s" if cpu is not None else f"{wall:.0f} s"
    if stage == "reference":
        return "slow", f"the kernel ran; the reference did not finish in {spent_s}"
    return "hang", f"no answer in {spent_s} (in the {stage} steps)"


def pass_sweep() -> Counter:
    """`--passes`: every registered pass alone on every unmutated lit chunk and seed that
    verifies; prints each internal error, returns the counts."""
    from symir.dialects.module_checks import verify_module
    from symir.dialects.parsing import parse_module
    from tests.unit.test_fuzz_opt import PASSES, context, run_pass

    counts: Counter = Counter()
    for k, text in enumerate(all_seeds()):
        try:
            module = parse_module(context(), text)
            verify_module(module)
        except Exception:
            continue
        for name in PASSES:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    counts[run_pass(module, name)] += 1
            except Exception as e:
                counts["internal"] += 1
                where = traceback.extract_tb(e.__traceback__)[-1]
                print(
                    f"seed {k} -p {name}: {type(e).__name__}: {str(e)[:200]} "
                    f"({where.filename}:{where.lineno})",
                    flush=True,
                )
    return counts


def replay(paths: list[Path]) -> None:
    """Runs saved cases again in this process and prints the class of each (alone
    through the pass a `// pass: NAME` first line names)."""
    import jax

    jax.config.update("jax_enable_x64", True)
    for path in paths:
        text = path.read_text()
        first = text.split("\n", 1)[0]
        pass_name = first.removeprefix("// pass: ") if first.startswith("// pass: ") else None
        try:
            cls, detail = run_case(text, 0, pass_name)
        except Refused as e:
            cls, detail = "jaxlib", str(e)
        except Exception as e:
            cls, detail = "internal", "".join(traceback.format_exception(e))
        print(f"{path.name}: {cls}: {detail[-600:]}")


def summary(out: Path, what: str = "counts") -> Counter:
    """The counts (`what="kinds"`: the kinds of diagnostic and ok cases) of all chunks."""
    total: Counter = Counter()
    for f in sorted(out.glob(f"{what}_*.json")):
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
    ap.add_argument("--arith", action="store_true", help="arithmetic programs, not mutations")
    ap.add_argument(
        "--passes", action="store_true", help="every pass alone on every seed, no mutations"
    )
    a = ap.parse_args()
    if a.passes:
        c = pass_sweep()
        print(json.dumps(dict(c)))
        sys.exit(1 if c["internal"] else 0)
    if a.replay is not None:
        replay(a.replay)
        sys.exit(0)
    if a.summary is not None:
        c = summary(a.summary)
        print(json.dumps({"cases": sum(c.values()), **dict(c)}))
        print(json.dumps(dict(sorted(summary(a.summary, "kinds").items()))))
        sys.exit(0)
    c = fuzz(a.cases, a.start, a.seed, a.timeout, a.out, a.arith)
    print(json.dumps({"cases": sum(c.values()), **dict(c)}))
