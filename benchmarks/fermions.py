"""get_conn_padded of the Fermi-Hubbard model: symir vs NetKet's FermionOperator2ndJax.

    H = -t sum_<ij>,s (cdag_is c_js + cdag_js c_is) + U sum_i n_i,up n_i,down

on periodic chains of 16 and 32 orbitals and the periodic 4x4 lattice (x 2 spins: 32, 64
and 32 sites), at half filling (`n_fermions_per_spin = (L/2, L/2)`), a batch of int8
configurations from `hi.random_state`. NetKet's operator is the sum of `create @ destroy`
and `number @ number` terms, made a `FermionOperator2ndJax` by `to_jax_operator()`.

Before timing, each model's connected states and matrix elements are compared on 16
samples (summed per connected state, zeros dropped) to 1e-10. Each kernel is jitted and
warmed up, then timed in interleaved rounds (the order rotates every round) in one
process; the table gives medians, `F` of both operators and the ratio symir / NetKet
(< 1: symir is faster). `--strategies masked,prefix` adds columns for symir's kernel
with the Jordan-Wigner counts forced to one lowering (`count_lowering.choose`), which is
how the cost model's constants were chosen.

    .venv/bin/python benchmarks/fermions.py [--batch 4096] [--rounds 30] [--strategies masked,prefix]
"""

from __future__ import annotations

import argparse
import time
import warnings

import jax
import netket as nk
import numpy as np

from symir import models
from symir.lowering.conversion import count_lowering
from symir.testing import first_difference

MODELS = {
    "chain16": (16, lambda: nk.graph.Chain(16, pbc=True)),
    "chain32": (32, lambda: nk.graph.Chain(32, pbc=True)),
    "square4": (16, lambda: nk.graph.Grid([4, 4], pbc=True)),
}


def check(ours, ref, x, name):
    found = first_difference(ours.get_conn_padded(x), ref.get_conn_padded(x), x)
    if found is not None:
        raise SystemExit(f"{name}: symir and NetKet differ: {found}")


def compiled(op, strategy):
    if strategy == "auto":
        return op.compile()
    original = count_lowering.choose
    count_lowering.choose = lambda *args: strategy
    try:
        return op.compile(cache=False)
    finally:
        count_lowering.choose = original


def timings(fns, x, rounds):
    for fn in fns:
        jax.block_until_ready(fn(x))
    times = [[] for _ in fns]
    for r in range(rounds):
        order = list(range(len(fns)))
        order = order[r % len(fns) :] + order[: r % len(fns)]
        for k in order:
            t0 = time.perf_counter()
            jax.block_until_ready(fns[k](x))
            times[k].append(time.perf_counter() - t0)
    return [np.median(t) * 1e3 for t in times]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=4096)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--strategies", default="", help="e.g. masked,prefix")
    args = parser.parse_args()
    # NetKet's advice on fixed particle numbers, printed at its operator's first call
    warnings.filterwarnings("ignore", message="(?s).*fixed number of fermions")
    strategies = [s for s in args.strategies.split(",") if s]
    print(
        f"jax {jax.__version__}, netket {nk.__version__} on {jax.default_backend()}, "
        f"batch {args.batch}, int8, half filling"
    )
    head = f"{'model':<10}{'N':>4}{'F':>5}{'F nk':>6}{'symir ms':>10}{'netket ms':>11}{'sym/nk':>8}"
    print(head + "".join(f"{s + ' ms':>11}" for s in strategies))
    for name in args.models.split(","):
        n_orbitals, graph = MODELS[name]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            edges = graph().edges()
            half = n_orbitals // 2
            hi = nk.hilbert.SpinOrbitalFermions(n_orbitals, s=0.5, n_fermions_per_spin=(half, half))
            ref = models.netket_fermi_hubbard(hi, edges).to_jax_operator()
        op = models.fermi_hubbard(hi, edges)
        kernels = [compiled(op, "auto")] + [compiled(op, s) for s in strategies]
        x = np.asarray(hi.random_state(jax.random.PRNGKey(0), args.batch), dtype=np.int8)
        for k in kernels:
            check(k, ref, x[:16], name)
        fns = [jax.jit(lambda x, o=k: o.get_conn_padded(x)) for k in kernels]
        fns.append(jax.jit(lambda x, o=ref: o.get_conn_padded(x)))
        ms = timings(fns, x, args.rounds)
        ours, theirs, extra = ms[0], ms[-1], ms[1:-1]
        print(
            f"{name:<10}{hi.size:>4}{kernels[0].max_conn_size:>5}{ref.max_conn_size:>6}"
            f"{ours:>10.3f}{theirs:>11.3f}{ours / theirs:>8.2f}"
            + "".join(f"{t:>11.3f}" for t in extra)
        )


if __name__ == "__main__":
    main()
