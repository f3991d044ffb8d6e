"""Every fusion decision of the benchmark models, explained (issue 19, item 6).

For Heisenberg as `xx + yy + zz` (square 8x8), a Kitaev model on a 6x6 honeycomb (x, y, z
bond colours, `kx + ky + kz`) and J1-J2 as a sum `j1 + j2` (square 8x8), each written
term by term as in benchmarks/fusion.py (whose builders this imports): F before and after
the branch passes, then every decision `branch-fuse-equal-states` took
(`artifact.metadata["fusion"]["decisions"]`: each pair of emissions with rows writing the
same sites, merged or not, the row pairs per reason, `symir.lowering.branch.fusion_decisions`),
and the row pairs per reason over the model. The script fails if a reason is `unknown`.

Run: `.venv/bin/python benchmarks/fusion_reasons.py [--models heisenberg:square8,...]`.
"""

from __future__ import annotations

import argparse

from fusion import lattice, symir_model

import symir as sym

DEFAULT = "heisenberg:square8,kitaev:honeycomb6,j1j2:square8"


def explain(model: str, lattice_name: str) -> dict:
    lat = lattice(lattice_name)
    op = symir_model(model, sym.Spin(0.5, lat.n), lat)
    artifact = sym.SymbolicCompiler(sym.SymbolicCompilerOptions(cache_enabled=False)).compile(op)
    return artifact.metadata["fusion"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=DEFAULT)
    args = parser.parse_args()
    unknown = []
    for spec in args.models.split(","):
        model, lattice_name = spec.split(":")
        fusion = explain(model, lattice_name)
        print(f"\n{model} on {lattice_name}: F {fusion['fanout'][0]} -> {fusion['fanout'][1]}")
        print("| emissions | decision | row pairs by reason |")
        print("|---|---|---|")
        for d in fusion["decisions"]:
            rows = ", ".join(f"{k} {v}" for k, v in d["rows"].items())
            print(f"| {' + '.join(d['emissions'])} | {d['decision']} | {rows} |")
        totals = ", ".join(f"{k} {v}" for k, v in fusion["reasons"].items())
        print(f"| all pairs ({len(fusion['decisions'])}) | | {totals} |")
        if fusion["reasons"].get("unknown"):
            unknown.append(spec)
    if unknown:
        raise SystemExit(f"'unknown' fusion reasons in {unknown}")


if __name__ == "__main__":
    main()
