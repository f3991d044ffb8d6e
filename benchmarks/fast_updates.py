"""Fast updates: local energies of a linear-first-layer network from the operator's deltas.

For each model and network, on the same samples (one Metropolis sweep from random
states, `n_chains = batch`), in one process, one jitted call of the local kernel:

- `netket`: NetKet's `local_value_kernel_jax` on NetKet's operator of the same model (what
  `MCState` uses by default: `get_conn_padded`, then the network on all B x F rows);
- `padded`: `symir.local_energies` without fast updates (the network on the connected
  states that differ from x, built by `get_conn_padded`);
- `fast`: `symir.local_energies(..., fast_updates=True)` (theta(x') = theta(x) + the
  changed sites' columns of W, from `get_conn_delta`; `xp` is never built).

The three are compared value by value (1e-10) before timing. Timings are medians of
interleaved rounds (the order rotates), two repetitions. Memory: the compiled
executable's `memory_analysis()` of each call, temporaries plus outputs
(`temp_size_in_bytes + output_size_in_bytes`, the arguments are the same for all), and
the size of `xp[B, F, N]` itself in the samples' dtype.

    .venv/bin/python benchmarks/fast_updates.py [--batch 4096] [--side 10] [--rounds 3]
        [--models heisenberg,j1j2,bose_hubbard,tfim] [--networks rbm1,rbm4,jastrow]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from functools import partial
from pathlib import Path

import jax
import netket as nk
import netket.vqs.mc.kernels as nk_kernels
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _common import names
from lattices import SYMIR_MODELS, netket_operator

import symir as sym

MODELS = ("heisenberg", "j1j2", "bose_hubbard", "tfim")
NETWORKS = {
    "rbm1": lambda: nk.models.RBM(alpha=1, param_dtype=complex),
    "rbm4": lambda: nk.models.RBM(alpha=4, param_dtype=complex),
    "modphase1": lambda: nk.models.RBMModPhase(alpha=1),
    "jastrow": lambda: nk.models.Jastrow(),
}
KINDS = ("netket", "padded", "fast")


def build(model: str, side: int):
    """(hilbert, symir's compiled operator, NetKet's operator, sampler)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = nk.graph.Square(side, pbc=True, max_neighbor_order=2 if model == "j1j2" else 1)
        n = graph.n_nodes
        hi = nk.hilbert.Fock(n_max=3, N=n) if model == "bose_hubbard" else nk.hilbert.Spin(0.5, n)
        ours = SYMIR_MODELS[model](hi, graph).compile()
        ref = netket_operator(model, hi, graph)
        return hi, ours, ref, nk.sampler.MetropolisLocal(hi, n_chains=1)


def median_rounds(fns: dict, rounds: int) -> dict[str, float]:
    times = {k: [] for k in fns}
    keys = list(fns)
    for r in range(rounds):
        for k in keys[r % len(keys) :] + keys[: r % len(keys)]:
            t = time.perf_counter()
            jax.block_until_ready(fns[k]())
            times[k].append(time.perf_counter() - t)
    return {k: float(np.median(v)) for k, v in times.items()}


def peak_bytes(jitted, *args) -> int:
    """Temporaries + outputs of the compiled call (its arguments are shared)."""
    analysis = jitted.lower(*args).compile().memory_analysis()
    if analysis is None:
        return -1
    return int(analysis.temp_size_in_bytes + analysis.output_size_in_bytes)


def run(model: str, network: str, args) -> dict:
    hi, ours, ref, sampler = build(model, args.side)
    net = NETWORKS[network]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        vs = nk.vqs.MCState(
            sampler.replace(n_chains=args.batch),
            net,
            n_samples=args.batch,
            n_discard_per_chain=0,
            seed=0,
        )
        x = vs.samples.reshape(-1, hi.size)
    apply, v = net.apply, vs.variables
    calls = {
        "netket": jax.jit(lambda v, x, op: nk_kernels.local_value_kernel_jax(apply, v, x, op)),
        "padded": jax.jit(lambda v, x, op: sym.local_energies(apply, v, x, op)),
        "fast": jax.jit(lambda v, x, op: sym.local_energies(apply, v, x, op, fast_updates=True)),
    }
    ops = {"netket": ref, "padded": ours, "fast": ours}
    expected = np.asarray(calls["netket"](v, x, ref))
    scale = max(1.0, float(np.max(np.abs(expected))))
    for kind in ("padded", "fast"):
        err = float(np.max(np.abs(np.asarray(calls[kind](v, x, ours)) - expected)))
        assert err < 1e-10 * scale, (model, network, kind, err)
    fns = {k: partial(calls[k], v, x, ops[k]) for k in KINDS}
    for f in fns.values():  # warm up (compile)
        jax.block_until_ready(f())
    reps = [median_rounds(fns, args.rounds) for _ in range(2)]
    mem = {k: peak_bytes(calls[k], v, x, ops[k]) for k in KINDS}
    f = ours.max_conn_size
    return {
        "model": model,
        "lattice": f"{args.side}x{args.side}",
        "network": network,
        "batch": x.shape[0],
        "F": f,
        "k": ours.get_conn_delta(x[:1])[0].shape[-1],
        "xp_bytes": x.shape[0] * f * hi.size * x.dtype.itemsize,
        "reps": reps,
        "mem": mem,
    }


def print_table(rows: list[dict]) -> None:
    print(
        "| model | lattice | net | B | F | k | E_loc ms NetKet | symir padded | symir fast | "
        "NetKet/fast | padded/fast | MiB NetKet | padded | fast | xp MiB | NetKet/fast mem |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        mib = {k: v / 2**20 for k, v in r["mem"].items()}
        for i, t in enumerate(r["reps"]):
            print(
                f"| {r['model']} | {r['lattice']} | {r['network']} (rep {i + 1}) | {r['batch']} "
                f"| {r['F']} | {r['k']} | {t['netket'] * 1e3:.1f} | {t['padded'] * 1e3:.1f} | "
                f"{t['fast'] * 1e3:.1f} | {t['netket'] / t['fast']:.1f} | "
                f"{t['padded'] / t['fast']:.1f} | {mib['netket']:.1f} | {mib['padded']:.1f} | "
                f"{mib['fast']:.1f} | {r['xp_bytes'] / 2**20:.1f} | "
                f"{r['mem']['netket'] / r['mem']['fast']:.1f} |"
            )


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=4096)
    p.add_argument("--side", type=int, default=10, help="square lattice side")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument(
        "--models", type=partial(names, known=MODELS, what="model"), default=["heisenberg"]
    )
    p.add_argument(
        "--networks", type=partial(names, known=tuple(NETWORKS), what="network"), default=["rbm1"]
    )
    args = p.parse_args(argv)
    print(
        f"jax {jax.__version__}, netket {nk.__version__}, {jax.devices()[0].platform}, "
        f"batch {args.batch}, rounds {args.rounds}"
    )
    rows = []
    for model in args.models:
        for network in args.networks:
            rows.append(run(model, network, args))
            print_table(rows[-1:])
            sys.stdout.flush()
    print()
    print_table(rows)


if __name__ == "__main__":
    main()
