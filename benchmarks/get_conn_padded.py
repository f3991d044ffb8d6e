"""get_conn_padded throughput: symir vs NetKet's built-in JAX operators.

Periodic chains of 16 and 64 sites, batch 4096 int8 configurations; TFIM against
`IsingJax`, Heisenberg against `Heisenberg(...).to_jax_operator()` (`LocalOperatorJax`),
the 3-state quantum clock chain (X and X^dag written as `emit_if` chains) against the
`LocalOperatorJax` of the same 3x3 and 9x9 matrices.
Both are jitted, warmed up, then timed in interleaved rounds in one process; medians and
the ratio symir / NetKet are reported (< 1 means symir is faster).

    .venv/bin/python benchmarks/get_conn_padded.py [--rounds 30]
"""

from __future__ import annotations

import argparse
import time

import jax
import netket as nk
import numpy as np

import symir as sym
from symir import models


def clock(hi, graph, J=1.0, f=0.5):
    # the 3-state quantum clock chain; X and X^dag as emit_if chains (exclusive arms)
    n = sym.site("i")
    return (
        sym.DOperator(hi, "clock", hermitian=True)
        .for_each(("i", "j"), over=graph.edges())
        .emit(
            sym.identity(),
            matrix_element=-J * sym.select(sym.site("i") == sym.site("j"), 2.0, -1.0),
        )
        .for_each_site("i")
        .emit_if(n == 0, sym.write("i", 1), matrix_element=-f)
        .emit_elseif(n == 1, sym.write("i", 2), matrix_element=-f)
        .emit_else(sym.write("i", 0), matrix_element=-f)
        .for_each_site("i")
        .emit_if(n == 0, sym.write("i", 2), matrix_element=-f)
        .emit_elseif(n == 1, sym.write("i", 0), matrix_element=-f)
        .emit_else(sym.write("i", 1), matrix_element=-f)
        .build()
    )


def netket_clock(hi, graph, J=1.0, f=0.5):
    w = np.exp(2j * np.pi / 3)
    z = np.diag([1.0, w, w**2])
    zz = np.kron(z, z.conj().T)
    bond = (-J * (zz + zz.conj().T)).real
    x = np.roll(np.eye(3), 1, axis=0)
    field = -f * (x + x.T)
    ops = [bond] * len(graph.edges()) + [field] * hi.size
    sites = [list(e) for e in graph.edges()] + [[i] for i in range(hi.size)]
    return nk.operator.LocalOperator(hi, ops, sites, dtype=np.float64).to_jax_operator()


def timeit(fn, x, rounds):
    out = fn(x)
    jax.block_until_ready(out)
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        jax.block_until_ready(fn(x))
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--batch", type=int, default=4096)
    args = parser.parse_args()
    print(f"jax {jax.__version__} on {jax.default_backend()}, batch {args.batch}, int8")
    print(
        f"{'model':<12}{'N':>4}{'F':>5}{'F nk':>6}{'symir ms':>11}{'netket ms':>11}{'symir/nk':>10}"
    )
    for model in ("tfim", "heisenberg", "clock"):
        for n in (16, 64):
            hi = nk.hilbert.Spin(0.5, n) if model != "clock" else nk.hilbert.Fock(2, n)
            graph = nk.graph.Chain(n, pbc=True)
            if model == "tfim":
                ours = models.tfim(hi, graph, h=1.0, J=1.0).compile()
                ref = nk.operator.IsingJax(hi, graph, h=1.0)
            elif model == "clock":
                ours = clock(hi, graph).compile()
                ref = netket_clock(hi, graph)
            else:
                ours = models.heisenberg(hi, graph, J=1.0).compile()
                ref = nk.operator.Heisenberg(hi, graph).to_jax_operator()
            x = np.asarray(hi.random_state(jax.random.PRNGKey(0), args.batch), dtype=np.int8)
            f_ours = jax.jit(lambda x, op=ours: op.get_conn_padded(x))
            f_ref = jax.jit(lambda x, op=ref: op.get_conn_padded(x))
            t_ours, t_ref = [], []
            for _ in range(3):  # interleave
                t_ours += timeit(f_ours, x, args.rounds // 3)
                t_ref += timeit(f_ref, x, args.rounds // 3)
            a, b = np.median(t_ours) * 1e3, np.median(t_ref) * 1e3
            print(
                f"{model:<12}{n:>4}{ours.max_conn_size:>5}{ref.max_conn_size:>6}"
                f"{a:>11.3f}{b:>11.3f}{a / b:>10.2f}"
            )


if __name__ == "__main__":
    main()
