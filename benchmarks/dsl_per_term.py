"""Microseconds per term of an operator written one term at a time in the DSL: the loop
(`site`, products, `write`, `emit`) and `build()` (the canonical terms: Pauli products
routed, terms tabulated by shape, the definition checked), medians of 3 runs, in CPU
time (`time.process_time`: the machine is shared, and wall time follows its load), and
the objects Python's collector tracks per term after `build()` (each full collection
walks them all).

    .venv/bin/python benchmarks/dsl_per_term.py --terms 10000 --seed 29
"""

from __future__ import annotations

import argparse
import gc
import time

import netket as nk
import numpy as np
from many_terms import pauli_term, random_strings

import symir as sym


def couplings(n: int, n_sites: int, seed: int):
    rng = np.random.default_rng(seed)
    pairs = [tuple(int(v) for v in rng.choice(n_sites, 2, replace=False)) for _ in range(n // 2)]
    c = rng.normal(size=(n // 2, 2))
    hi = nk.hilbert.Spin(0.5, n_sites)

    def loop():
        b = sym.DOperator(hi, "couplings")
        for (i, j), (zz, xx) in zip(pairs, c, strict=True):
            si, sj = sym.site(i), sym.site(j)
            b = b.globally().emit(sym.identity(), matrix_element=float(zz) * si * sj)
            b = b.globally().emit(sym.write(i, -si).write(j, -sj), matrix_element=float(xx))
        return b

    return loop


def pauli(n: int, n_sites: int, seed: int, locality: int):
    rng = np.random.default_rng(seed)
    strings = random_strings(rng, n, n_sites, locality)
    w = [float(v) for v in rng.normal(size=n)]
    hi = nk.hilbert.Spin(0.5, n_sites)

    def loop():
        b = sym.DOperator(hi, "pauli")
        for s, x in zip(strings, w, strict=True):
            b = b.globally().emit(*pauli_term(sym, s, x))
        return b

    return loop


MODELS = {
    "couplings, 36 spins": lambda n, seed: couplings(n, 36, 9 + seed),
    "4-local strings, 30 qubits": lambda n, seed: pauli(n, 30, 5 + seed, 4),
    "random strings, 32 qubits": lambda n, seed: pauli(n, 32, 3 + seed, 0),
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--terms", type=int, default=10000)
    p.add_argument("--seed", type=int, default=0, help="added to each model's seed")
    args = p.parse_args()
    n = args.terms
    for name, make in MODELS.items():
        make(40, args.seed + 1)().build()  # imports and first uses
        loop = make(n, args.seed)
        times = []
        for _ in range(3):
            gc.collect()
            before = len(gc.get_objects())
            t = time.process_time()
            b = loop()
            t1 = time.process_time()
            op = b.build()
            times.append((t1 - t, time.process_time() - t1))
            del b
            gc.collect()
            tracked = (len(gc.get_objects()) - before) / n
            del op
        a, c = np.median(times, axis=0) / n * 1e6
        print(
            f"{name}: {n} terms: loop {a:.1f} us/term, build() {c:.1f} us/term (CPU), "
            f"{tracked:.1f} tracked objects per term",
            flush=True,
        )


if __name__ == "__main__":
    main()
