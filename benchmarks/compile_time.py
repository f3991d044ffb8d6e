"""Compile time of TFIM and Heisenberg chains: cold (all stages incl. XLA), warm in-memory
hit, and disk hit in a fresh process. Run: `.venv/bin/python benchmarks/compile_time.py`."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time

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
                warm = []
                for _ in range(20):
                    t = time.perf_counter()
                    assert c.compile(op).cache_hit
                    warm.append(time.perf_counter() - t)
                mem = SymbolicCompiler(artifact_store=InMemoryArtifactStore())
                mem.compile(op)
                for _ in range(20):
                    t = time.perf_counter()
                    mem.compile(op)
                    warm.append(time.perf_counter() - t)
                out = subprocess.run(
                    [sys.executable, __file__, "--child", model, str(n), d],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                disk = json.loads(out.stdout.strip().splitlines()[-1])
                assert disk["source"] == "disk", disk
            rows.append((model, n, cold, cold - xla, sorted(warm)[len(warm) // 2], disk["s"]))
    print(
        f"{'model':<11}{'N':>4}{'cold (s)':>11}{'cold excl. XLA':>16}{'warm hit (ms)':>15}"
        f"{'disk hit, fresh process (ms)':>30}"
    )
    for model, n, cold, pre, warm, disk in rows:
        print(f"{model:<11}{n:>4}{cold:>11.3f}{pre:>16.3f}{warm * 1e3:>15.2f}{disk * 1e3:>30.1f}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        main()
