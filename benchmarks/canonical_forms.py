"""Canonical form of a model: the same Heisenberg bonds written four ways lower to the same
kernel, and building and compiling a model of many small terms stays cheap.

Heisenberg (XX + YY + ZZ) on the periodic `--side` x `--side` square lattice, written as
- `compact`: one `for_each` over all bonds per term (3 terms);
- `edges`: one operator per bond, each a one-row `for_each(over=[(a, b)])`, summed with
  `SymbolicOperatorSum` (3 terms per bond);
- `globally`: one operator per bond, each `globally()` with the bond's constant sites
  (the form the tutorial shows for fixed sites), summed (3 terms per bond).

For each form: the terms written, the time to build the operator(s) with the DSL, the cold
compile outside XLA (`SymbolicCompiler.compile` on a miss, its first compile of that IR,
minus `stablehlo-load`, which is loading the StableHLO into JAX), the lines of StableHLO
and F; and whether its StableHLO equals the compact form's up to SSA value names.
Medians over `--repeat` fresh builds (every build is new IR: nothing memoized is reused).

Run: `.venv/bin/python benchmarks/canonical_forms.py [--side 8] [--repeat 3]`.
"""

from __future__ import annotations

import argparse
import re
import time

import symir as sym
from symir.compiler import InMemoryArtifactStore, SymbolicCompiler


def square_bonds(side: int) -> list[tuple[int, int]]:
    bonds = []
    for r in range(side):
        for c in range(side):
            i = r * side + c
            bonds.append((i, r * side + (c + 1) % side))
            bonds.append((i, ((r + 1) % side) * side + c))
    return bonds


def compact(hi, bonds):
    si, sj = sym.site("i"), sym.site("j")
    flip = sym.write("i", -si).write("j", -sj)
    return (
        sym.DOperator(hi, "heis", hermitian=True)
        .for_each(("i", "j"), over=bonds)
        .emit(flip, matrix_element=1.0)
        .for_each(("i", "j"), over=bonds)
        .emit(flip, matrix_element=-1.0 * si * sj)
        .for_each(("i", "j"), over=bonds)
        .emit(sym.identity(), matrix_element=si * sj)
        .build()
    )


def one_bond(hi, bond, k, form):
    d = sym.DOperator(hi, f"b{k}", hermitian=True)
    if form == "edges":
        a, b = "i", "j"

        def open_(d):
            return d.for_each(("i", "j"), over=[bond])
    else:
        a, b = bond

        def open_(d):
            return d.globally()

    sa, sb = sym.site(a), sym.site(b)
    flip = sym.write(a, -sa).write(b, -sb)
    d = open_(d).emit(flip, matrix_element=1.0)
    d = open_(d).emit(flip, matrix_element=-1.0 * sa * sb)
    d = open_(d).emit(sym.identity(), matrix_element=sa * sb)
    return d.build()


def build(form: str, side: int):
    hi = sym.Spin(0.5, side * side)
    bonds = square_bonds(side)
    if form == "compact":
        return compact(hi, bonds)
    return sym.SymbolicOperatorSum([one_bond(hi, e, k, form) for k, e in enumerate(bonds)])


_SSA = re.compile(r"%[A-Za-z0-9_.$-]+")


def normalized(text: str) -> str:
    """The kernel (`func.func @main`, without the module's report attributes) with SSA
    value names numbered in order of appearance."""
    text = text[text.index("func.func @main") :]
    names: dict[str, str] = {}
    return _SSA.sub(lambda m: names.setdefault(m.group(0), f"%v{len(names)}"), text)


def measure(form: str, side: int) -> dict:
    start = time.perf_counter()
    op = build(form, side)
    built = time.perf_counter() - start
    compiler = SymbolicCompiler(artifact_store=InMemoryArtifactStore())
    start = time.perf_counter()
    artifact = compiler.compile(op)
    total = time.perf_counter() - start
    load = sum(r.duration_s for r in artifact.pass_reports if r.pass_name == "stablehlo-load")
    text = artifact.ir("stablehlo")
    return {
        "terms": len(op.to_ir().terms),
        "build_ms": 1e3 * built,
        "compile_ms": 1e3 * (total - load),
        "lines": text.count("\n"),
        "F": artifact.compiled_operator.max_conn_size,
        "text": normalized(text),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--forms", default="compact,edges,globally")
    args = parser.parse_args()
    # JAX's start-up and the first compile's imports are paid before
    measure("compact", 3)
    rows = {}
    for form in args.forms.split(","):
        runs = [measure(form, args.side) for _ in range(args.repeat)]
        runs.sort(key=lambda r: r["compile_ms"])
        rows[form] = runs[len(runs) // 2]
        rows[form]["build_ms"] = sorted(r["build_ms"] for r in runs)[len(runs) // 2]
    reference = rows.get("compact", next(iter(rows.values())))["text"]
    side = args.side
    print(f"Heisenberg xx+yy+zz, square {side}x{side} periodic ({len(square_bonds(side))} bonds)")
    print(
        "| form | terms written | build (ms) | compile outside XLA (ms) | StableHLO lines | F "
        "| same StableHLO as compact |"
    )
    print("|---|---|---|---|---|---|---|")
    for form, r in rows.items():
        same = "yes" if r["text"] == reference else "no"
        print(
            f"| {form} | {r['terms']} | {r['build_ms']:.0f} | {r['compile_ms']:.0f} | "
            f"{r['lines']} | {r['F']} | {same} |"
        )


if __name__ == "__main__":
    main()
