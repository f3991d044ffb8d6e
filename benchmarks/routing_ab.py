"""The DSL's Pauli products routed into `pauli_strings`' tables against the tabulation by
shape alone (`symir.frontend.pauli_terms`), in one process: `benchmarks/many_terms.py`'s
rows (DSL input) with the routing on and off, interleaved per size, against NetKet.

    .venv/bin/python benchmarks/routing_ab.py --model couplings --sites 34 --seed 21 --sizes 1000,10000
    .venv/bin/python benchmarks/routing_ab.py --model pauli --sites 32 --seed 11 --sizes 1000

(`off` is `compile(route_pauli_products=False)`'s form, written before `build()` checks
the operator: random strings by shape take minutes from 1,000 strings on.)
"""

from __future__ import annotations

import argparse

import many_terms

import symir.frontend.tabulate as tabulate

ROUTED = tabulate.route_pauli_products


def _not_routed(terms, *_):
    return terms, {}, None


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", choices=("couplings", "pauli"), default="couplings")
    p.add_argument("--sizes", default="1000,10000")
    p.add_argument("--sites", type=int, default=34)
    p.add_argument("--seed", type=int, default=21)
    p.add_argument("--locality", type=int, default=0)
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--modes", default="on,off")
    a = p.parse_args()
    args = argparse.Namespace(
        **vars(a), batch=512, input="dsl", no_netket=False, no_tabulate=False, cold=False
    )
    cols = [
        "terms", "F", "build", "compile", "first_call", "first_result", "nk_first_result",
        "hlo_kib", "hlo_ops", "kernel_ms", "nk_kernel_ms", "ratio",
    ]  # fmt: skip
    warm = argparse.Namespace(**{**vars(args), "rounds": 1, "seed": 99})
    many_terms.run(a.model, 16, warm)
    print("routing | " + " | ".join(cols), flush=True)
    for size in (int(s) for s in a.sizes.split(",") if s):
        for mode in a.modes.split(","):
            tabulate.route_pauli_products = ROUTED if mode == "on" else _not_routed
            row = many_terms.run(a.model, size, args)
            shown = [f"{row[c]:.3g}" if isinstance(row[c], float) else str(row[c]) for c in cols]
            print(f"{mode} | " + " | ".join(shown), flush=True)
    tabulate.route_pauli_products = ROUTED


if __name__ == "__main__":
    main()
