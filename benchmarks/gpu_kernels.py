"""What XLA makes of one `get_conn_padded` on the default device, symir's and NetKet's.

For each model (TFIM and Heisenberg on the periodic 8x8 square lattice, 1,000 random
4-local Pauli strings on 32 qubits), both kernels are compiled for a batch of int8
states: the script prints the number of kernels the compiled program launches (fusions,
custom calls, copies, loops), the median time of interleaved calls, and writes the
optimized HLO of both to `--dump` (a folder), to read where the launches go on a GPU.

    .venv/bin/python benchmarks/gpu_kernels.py --dump /tmp/kernels [--batch 4096]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

import jax
import netket as nk
import numpy as np
from get_conn_padded import timeit as timed  # one timer for both scripts
from many_terms import random_strings

import symir as sym
from symir import models


def operators(name: str):
    if name == "pauli":
        hi = nk.hilbert.Spin(0.5, 32)
        rng = np.random.default_rng(7)
        strings = random_strings(rng, 1000, 32, 4)
        weights = rng.normal(size=len(strings))
        ours = sym.pauli_strings(hi, strings, weights).compile()
        ref = nk.operator.PauliStringsJax(hi, strings, weights)
        return hi, ours, ref
    graph = nk.graph.Square(8, pbc=True)
    hi = nk.hilbert.Spin(0.5, graph.n_nodes)
    if name == "tfim":
        return (
            hi,
            models.tfim(hi, graph, h=1.0, J=1.0).compile(),
            nk.operator.IsingJax(hi, graph, h=1.0),
        )
    return (
        hi,
        models.heisenberg(hi, graph, J=1.0).compile(),
        nk.operator.Heisenberg(hi, graph).to_jax_operator(),
    )


LAUNCHES = re.compile(
    r"^\s*(?:ROOT\s+)?\S+\s*=\s*\S+\s+(fusion|custom-call|copy|while|sort|"
    r"scatter|gather|dot|reduce|convolution)\(",
    re.M,
)


def launches(text: str) -> Counter:
    """Kinds of the entry computation's instructions that become kernels."""
    entry = text[text.index("ENTRY") :]
    entry = entry[: entry.index("\n}")]
    return Counter(m.group(1) for m in LAUNCHES.finditer(entry))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default="tfim,heisenberg,pauli")
    parser.add_argument("--batch", type=int, default=4096)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--dump", type=Path, default=None)
    args = parser.parse_args()
    print(f"jax {jax.__version__} on {jax.default_backend()}, batch {args.batch}")
    for name in args.models.split(","):
        hi, ours, ref = operators(name)
        x = np.asarray(hi.random_state(jax.random.PRNGKey(0), args.batch), dtype=np.int8)
        rows = {}
        for side, op in (("symir", ours), ("netket", ref)):
            fn = jax.jit(lambda x, op=op: op.get_conn_padded(x))
            text = fn.lower(x).compile().as_text()
            if args.dump is not None:
                args.dump.mkdir(parents=True, exist_ok=True)
                (args.dump / f"{name}_{side}.hlo").write_text(text)
            rows[side] = (fn, launches(text), op.max_conn_size)
        t = {"symir": [], "netket": []}
        for _ in range(3):
            for side in t:
                t[side] += timed(rows[side][0], x, args.rounds // 3)
        a, b = (np.median(t[s]) * 1e3 for s in ("symir", "netket"))
        print(f"{name}: symir {a:.3f} ms, NetKet {b:.3f} ms, ratio {a / b:.2f}")
        for side in t:
            print(f"  {side:<7} F {rows[side][2]:>5}  kernels {dict(rows[side][1])}")


if __name__ == "__main__":
    main()
