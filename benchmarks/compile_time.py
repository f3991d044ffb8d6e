"""Compile time: per pass for TFIM and Heisenberg on 64 sites and J1-J2 on 8x8, then the
cache paths for TFIM and Heisenberg chains of 16 and 64 sites.

Per pass (`--sections passes`): cold compiles (`SymbolicCompiler.compile` on a miss, with
a new StableHLO text each time, so that loading it into JAX is paid too; JAX's own start-up
paid before), medians over `--repeat` compiles, the total and every stage and pass of it
in the order they run (`pass_reports`); `stablehlo-load` is printing the StableHLO and
loading it into JAX (parse, verify, serialise; XLA compiles at the first call, not here).
The targets: under 50 ms for TFIM and Heisenberg on 64 sites, under 150 ms for J1-J2 8x8.

Cache paths (`--sections cache`):
- cold compile: every stage of `SymbolicCompiler.compile` on a miss (passes, lowering,
  loading the StableHLO into JAX), after a first compile has paid JAX's start-up;
- of it passes: the pre-cache, post-cache and lowering passes alone;
- 1st call: the first `get_conn_padded` on a batch of 4096, where `jax.jit` has XLA
  compile the kernel for that shape (XLA's compile happens here, not in `compile`);
- hit same op: `compile` again on the same operator object (pre-cache passes memoized);
- hit rebuilt op: `compile` on an equal operator built anew (its IR is fingerprinted);
- disk hit: `compile` in a fresh process from a `DiskArtifactStore` (no pass but the
  pre-cache ones), and that process's first call.

Products (`--sections products`): `H @ H` of Heisenberg on periodic squares of 3x3, 4x4
and 6x6 sites and of J1-J2 on 4x4 (`total_sz=0`), built and compiled once each (no cache),
with F; the 3x3 matrix checked against NetKet's dense product first; and NetKet's own
product of its `Heisenberg` (a `LocalOperator`) for scale.

Run: `.venv/bin/python benchmarks/compile_time.py [--sections passes,cache,products] [--repeat 9]`."""

from __future__ import annotations

import argparse
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


def tfim(n: int, coupling: float = 1.0):
    hi = sym.Spin(0.5, n)
    bonds = [(i, (i + 1) % n) for i in range(n)]
    return (
        sym.DOperator(hi, f"tfim{n}")
        .for_each(("i", "j"), over=bonds)
        .emit(sym.identity(), amplitude=-coupling * sym.site("i") * sym.site("j"))
        .for_each_site("k")
        .emit(sym.write("k", -sym.site("k")), amplitude=-0.5)
        .build()
    )


def heisenberg(n: int, coupling: float = 1.0):
    hi = sym.Spin(0.5, n)
    bonds = [(i, (i + 1) % n) for i in range(n)]
    return (
        sym.DOperator(hi, f"heis{n}")
        .for_each(("i", "j"), over=bonds)
        .emit(sym.identity(), amplitude=coupling * sym.site("i") * sym.site("j"))
        .for_each(("i", "j"), over=bonds)
        .where(sym.site("i") != sym.site("j"))
        .emit(sym.swap("i", "j"), amplitude=-2.0 * coupling)
        .build()
    )


def square_bonds(side: int, order: int) -> list[tuple[int, int]]:
    """Periodic square lattice: nearest (order 1) or next-nearest (order 2) neighbours."""
    steps = [(1, 0), (0, 1)] if order == 1 else [(1, 1), (1, -1)]
    return [
        (r * side + c, ((r + dr) % side) * side + (c + dc) % side)
        for r in range(side)
        for c in range(side)
        for dr, dc in steps
    ]


def j1j2(side: int, coupling: float = 1.0):
    """J1-J2 exchange on a periodic side x side square lattice (J2 = J1 / 2)."""
    hi = sym.Spin(0.5, side * side)
    si, sj = sym.site("i"), sym.site("j")
    op = sym.DOperator(hi, f"j1j2_{side}x{side}")
    for order, c in ((1, coupling), (2, coupling / 2)):
        op = (
            op.for_each(("i", "j"), over=square_bonds(side, order))
            .emit(sym.identity(), amplitude=c * si * sj)
            .emit_if(si != sj, sym.swap("i", "j"), amplitude=2.0 * c)
        )
    return op.build()


MODELS = {"tfim": tfim, "heisenberg": heisenberg}
PER_PASS = (("tfim", 64, tfim), ("heisenberg", 64, heisenberg), ("j1j2", 8, j1j2))
""" (model, size, builder(size, coupling)): the per-pass cases; J1-J2's size is the side."""


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


def per_pass(repeat: int) -> None:
    """Cold compiles of the `PER_PASS` cases, medians per stage and pass."""
    print(f"\ncold compile per pass, median of {repeat} (ms; a new StableHLO text each time)")
    columns: list[tuple[str, list[float], dict[str, list[float]]]] = []
    order: list[str] = []
    k = 0
    for model, size, build in PER_PASS:
        totals: list[float] = []
        passes: dict[str, list[float]] = {}
        for _ in range(repeat):
            k += 1
            op = build(size, 1.0 + 1e-6 * k)  # a new coupling: a new text, a cold load
            c = SymbolicCompiler(artifact_store=InMemoryArtifactStore())
            t = time.perf_counter()
            a = c.compile(op)
            totals.append(time.perf_counter() - t)
            for r in a.pass_reports:
                passes.setdefault(r.pass_name, []).append(r.duration_s)
                if r.pass_name not in order:
                    order.append(r.pass_name)
        label = f"{model} {size}x{size}" if model == "j1j2" else f"{model} {size}"
        columns.append((label, totals, passes))
    width = max(len(n) for n in order) + 2
    print(f"{'':<{width}}" + "".join(f"{label:>16}" for label, _, _ in columns))
    print(
        f"{'compile (total)':<{width}}"
        + "".join(f"{1e3 * median(t):>16.2f}" for _, t, _ in columns)
    )
    for name in order:
        cells = "".join(
            f"{1e3 * median(p[name]):>16.2f}" if name in p else f"{'-':>16}" for _, _, p in columns
        )
        print(f"{'  ' + name:<{width}}{cells}")
    print(
        "(jax_symbolic_v1 is the whole lowering: the passes under it, stablehlo-load and the "
        "verification of each level)"
    )


def median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--sections", default="passes,cache", help="comma-separated: passes, cache, products"
    )
    p.add_argument("--repeat", type=int, default=9, help="cold compiles per case (per pass)")
    args = p.parse_args()
    t = time.perf_counter()
    SymbolicCompiler(artifact_store=InMemoryArtifactStore()).compile(tfim(4))
    print(f"first compile in this process (JAX start-up): {time.perf_counter() - t:.2f} s")
    sections = args.sections.split(",")
    if "passes" in sections:
        per_pass(args.repeat)
    if "cache" in sections:
        cache_paths()
    if "products" in sections:
        products()


def products() -> None:
    """`H @ H`: build, compile (outside XLA) and F; NetKet's LocalOperator product."""
    import netket as nk

    from symir import models

    print()
    print(f"{'H @ H':<22}{'F':>8}{'build s':>10}{'compile s':>11}{'NetKet @ s':>12}")
    for name, side in (("heisenberg", 3), ("heisenberg", 4), ("heisenberg", 6), ("j1j2", 4)):
        graph = nk.graph.Square(side, pbc=True, max_neighbor_order=2 if name == "j1j2" else 1)
        if name == "j1j2":
            hi = nk.hilbert.Spin(0.5, graph.n_nodes, total_sz=0)
            ours, theirs = (
                models.j1j2(hi, graph),
                nk.operator.Heisenberg(hi, graph, J=[1.0, 0.5], sign_rule=[False, False]),
            )
        else:
            hi = nk.hilbert.Spin(0.5, graph.n_nodes)
            ours = models.heisenberg(hi, graph.edges(), J=1.0)
            theirs = nk.operator.Heisenberg(hi, graph, sign_rule=False)
        t = time.perf_counter()
        squared = ours @ ours
        built = time.perf_counter() - t
        t = time.perf_counter()
        compiled = squared.compile(cache=False)
        compile_s = time.perf_counter() - t
        t = time.perf_counter()
        theirs_squared = theirs @ theirs
        netket_s = time.perf_counter() - t
        if side == 3:
            dense = theirs.to_dense()
            error = np.abs(compiled.to_dense() - dense @ dense).max()
            assert error < 1e-10, f"H @ H differs from NetKet's by {error}"
        del theirs_squared
        label = f"{name} {side}x{side}"
        print(
            f"{label:<22}{compiled.max_conn_size:>8}{built:>10.2f}{compile_s:>11.2f}{netket_s:>12.2f}"
        )


def cache_paths() -> None:
    print()
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
