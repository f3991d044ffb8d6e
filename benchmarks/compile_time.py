"""Compile time of TFIM and Heisenberg chains of 16 and 64 sites.

- cold compile: every stage of `SymbolicCompiler.compile` on a miss (passes, lowering,
  loading the StableHLO into JAX), after a first compile has paid JAX's start-up;
- of it passes: the pre-cache, post-cache and lowering passes alone;
- 1st call: the first `get_conn_padded` on a batch of 4096, where `jax.jit` has XLA
  compile the kernel for that shape (XLA's compile happens here, not in `compile`);
- hit same op: `compile` again on the same operator object (pre-cache passes memoized);
- hit rebuilt op: `compile` on an equal operator built anew (its IR is fingerprinted);
- disk hit: `compile` in a fresh process from a `DiskArtifactStore` (no pass but the
  pre-cache ones), and that process's first call.

Run: `.venv/bin/python benchmarks/compile_time.py`."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from functools import partial

import jax
import numpy as np

import symir as sym
from symir.compiler import DiskArtifactStore, InMemoryArtifactStore, SymbolicCompiler


def tfim(n: int):
    hi = sym.Spin(0.5, n)
    bonds = [(i, (i + 1) % n) for i in range(n)]
    return (
        sym.DOperator(hi, f"tfim{n}")
        .for_each(("i", "j"), over=bonds)
        .emit(sym.identity(), amplitude=-1.0 * sym.site("i") * sym.site("j"))
        .for_each_site("k")
        .emit(sym.write("k", -sym.site("k")), amplitude=-0.5)
        .build()
    )


def heisenberg(n: int):
    hi = sym.Spin(0.5, n)
    bonds = [(i, (i + 1) % n) for i in range(n)]
    return (
        sym.DOperator(hi, f"heis{n}")
        .for_each(("i", "j"), over=bonds)
        .emit(sym.identity(), amplitude=sym.site("i") * sym.site("j"))
        .for_each(("i", "j"), over=bonds)
        .where(sym.site("i") != sym.site("j"))
        .emit(sym.swap("i", "j"), amplitude=-2.0)
        .build()
    )


MODELS = {"tfim": tfim, "heisenberg": heisenberg}


def _first_call_ms(compiled, n: int) -> float:
    """The first `get_conn_padded` on a batch of 4096: XLA compiles the kernel for that
    shape (jax.jit), then runs it."""
    x = np.random.default_rng(0).choice(np.array([-1, 1], np.int8), size=(4096, n))
    t = time.perf_counter()
    jax.block_until_ready(compiled.get_conn_padded(x))
    return (time.perf_counter() - t) * 1e3


def child(model: str, n: int, directory: str) -> None:
    op = MODELS[model](n)
    start = time.perf_counter()
    a = SymbolicCompiler(artifact_store=DiskArtifactStore(directory)).compile(op)
    seconds = time.perf_counter() - start
    first = _first_call_ms(a.compiled_operator, n)
    print(json.dumps({"s": seconds, "first_call_ms": first, "source": a.source}))


def _median_ms(f, repeat: int = 20) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2] * 1e3


def main() -> None:
    t = time.perf_counter()
    SymbolicCompiler(artifact_store=InMemoryArtifactStore()).compile(tfim(4))
    print(f"first compile in this process (JAX start-up): {time.perf_counter() - t:.2f} s")
    rows = []
    for model in MODELS:
        for n in (16, 64):
            op = MODELS[model](n)
            with tempfile.TemporaryDirectory() as d:
                c = SymbolicCompiler(artifact_store=DiskArtifactStore(d))
                t = time.perf_counter()
                a = c.compile(op)
                cold = (time.perf_counter() - t) * 1e3
                passes = 1e3 * sum(
                    r.duration_s
                    for r in a.pass_reports
                    if r.stage in ("pre_cache", "post_cache")
                    or r.pass_name.startswith(("convert-", "branch-"))
                )
                first = _first_call_ms(a.compiled_operator, n)
                mem = SymbolicCompiler(artifact_store=InMemoryArtifactStore())
                mem.compile(op)
                assert mem.compile(op).cache_hit
                # the same operator object: pre-cache passes memoized
                same = _median_ms(partial(mem.compile, op))
                # equal operators built anew (built before timing): their fingerprint
                fresh_ops = iter([MODELS[model](n) for _ in range(20)])
                rebuilt = _median_ms(lambda c=mem, ops=fresh_ops: c.compile(next(ops)))
                out = subprocess.run(
                    [sys.executable, __file__, "--child", model, str(n), d],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                disk = json.loads(out.stdout.strip().splitlines()[-1])
                assert disk["source"] == "disk", disk
            rows.append(
                (
                    model,
                    n,
                    cold,
                    passes,
                    first,
                    same,
                    rebuilt,
                    disk["s"] * 1e3,
                    disk["first_call_ms"],
                )
            )
    heads = (
        "model",
        "N",
        "cold compile",
        "of it passes",
        "1st call (XLA)",
        "hit same op",
        "hit rebuilt op",
        "disk hit (fresh proc.)",
        "its 1st call",
    )
    print("all times in ms; a first call runs a batch of 4096 and includes XLA's compile")
    print(f"{heads[0]:<11}{heads[1]:>4}" + "".join(f"{h:>{len(h) + 3}}" for h in heads[2:]))
    for model, n, *values in rows:
        cells = "".join(f"{v:>{len(h) + 3}.2f}" for h, v in zip(heads[2:], values))
        print(f"{model:<11}{n:>4}{cells}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        main()
