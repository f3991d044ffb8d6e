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
import itertools
import time
import warnings

import jax
import netket as nk
import numpy as np

import symir as sym
from symir.lowering.conversion import count_lowering

MODELS = {
    "chain16": (16, lambda: nk.graph.Chain(16, pbc=True)),
    "chain32": (32, lambda: nk.graph.Chain(32, pbc=True)),
    "square4": (16, lambda: nk.graph.Grid([4, 4], pbc=True)),
}


def hubbard(hi, edges, t=1.0, U=4.0):
    """The DSL form (docs/fermions.md)."""
    space = sym.as_hilbert(hi)
    hops = [(space.index(i, sz), space.index(j, sz)) for i, j in edges for sz in (-1, 1)]
    pairs = [(space.index(i, -1), space.index(i, 1)) for i in range(space.n_orbitals)]
    return (
        sym.DOperator(hi, "hubbard", hermitian=True)
        .for_each(("i", "j"), over=hops)
        .emit(sym.cdag("i") * sym.c("j") + sym.cdag("j") * sym.c("i"), matrix_element=-t)
        .for_each(("u", "d"), over=pairs)
        .emit(sym.n("u") * sym.n("d"), matrix_element=U)
        .build()
    )


def netket_hubbard(hi, edges, t=1.0, U=4.0):
    from netket.operator.fermion import create, destroy, number

    h = 0.0
    for (i, j), sz in itertools.product(edges, (-1, 1)):
        h = h - t * (create(hi, i, sz) @ destroy(hi, j, sz))
        h = h - t * (create(hi, j, sz) @ destroy(hi, i, sz))
    for i in range(hi.n_orbitals):
        h = h + U * number(hi, i, 1) @ number(hi, i, -1)
    return h.to_jax_operator()


def connections(op, x):
    xp, mels = (np.asarray(a) for a in op.get_conn_padded(x))
    out = []
    for b in range(x.shape[0]):
        found: dict[tuple, complex] = {}
        for s, m in zip(xp[b], mels[b], strict=True):
            key = tuple(int(v) for v in s)
            found[key] = found.get(key, 0.0) + complex(m)
        out.append({k: v for k, v in found.items() if abs(v) > 1e-12})
    return out


def check(ours, ref, x, name):
    a, b = connections(ours, x), connections(ref, x)
    for s, (da, db) in enumerate(zip(a, b, strict=True)):
        if da.keys() != db.keys() or any(abs(da[k] - db[k]) > 1e-10 for k in da):
            raise SystemExit(f"{name}: symir and NetKet differ on sample {s}")


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
            ref = netket_hubbard(hi, edges)
        op = hubbard(hi, edges)
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
