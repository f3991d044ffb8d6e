"""Compile time of TFIM and Heisenberg chains: cold (all stages incl. XLA), warm in-memory
hit, and disk hit in a fresh process. Run: `.venv/bin/python benchmarks/compile_time.py`."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from functools import partial

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


def child(model: str, n: int, directory: str) -> None:
    op = MODELS[model](n)
    start = time.perf_counter()
    a = SymbolicCompiler(artifact_store=DiskArtifactStore(directory)).compile(op)
    print(json.dumps({"s": time.perf_counter() - start, "source": a.source}))


def _median_ms(f, repeat: int = 20) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2] * 1e3


def main() -> None:
    rows = []
    for model in MODELS:
        for n in (16, 64):
            op = MODELS[model](n)
            with tempfile.TemporaryDirectory() as d:
                c = SymbolicCompiler(artifact_store=DiskArtifactStore(d))
                t = time.perf_counter()
                a = c.compile(op)
                cold = time.perf_counter() - t
                xla = sum(r.duration_s for r in a.pass_reports if r.pass_name == "xla-compile")
                mem = SymbolicCompiler(artifact_store=InMemoryArtifactStore())
                mem.compile(op)
                assert mem.compile(op).cache_hit
                # the same operator object: pre-cache passes memoized on its IR
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
            rows.append((model, n, cold, cold - xla, same, rebuilt, disk["s"]))
    print(
        f"{'model':<11}{'N':>4}{'cold (s)':>10}{'excl. XLA (s)':>15}{'hit, same op (ms)':>19}"
        f"{'hit, rebuilt op (ms)':>22}{'disk hit, fresh process (ms)':>30}"
    )
    for model, n, cold, pre, same, rebuilt, disk in rows:
        print(
            f"{model:<11}{n:>4}{cold:>10.3f}{pre:>15.3f}{same:>19.2f}{rebuilt:>22.2f}"
            f"{disk * 1e3:>30.1f}"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        main()
