"""`expect_and_grad` for networks symir has no adapter for: the derived split (issue 36).

For each model and network: an `MCState` with `--chains` Markov chains and `--samples`
samples (real chains: rejected moves repeat samples), sampled once and then fixed; medians
of interleaved rounds of `vstate.expect_and_grad(op)` with

- symir's operator (NetKet's dispatch picks symir's kernel: the adapter for RBM, the
  network's own split where it applies and pays, `fast_updates="auto"`; repeated samples
  evaluated once),
- symir's operator with its fast paths off (`set_fast_updates(False)`, repeated samples
  still once),
- NetKet's operator of the same model, default kernel, and with NetKet's experimental
  packed kernel (`nk.config.netket_experimental_packed_kernel = True`), NetKet's fastest.

Energies and gradients are compared with NetKet's default before timing (1e-10). The
path symir takes (`symir.runtime.local_energy.choose_path`) is printed with its reason.

    .venv/bin/python benchmarks/any_network.py [--models j1j2,tfim4,heisenberg20]
        [--networks mlp1,user,mlp2,rbm] [--samples 1024] [--rounds 7]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import flax.linen as nn
import jax
import jax.numpy as jnp
import netket as nk
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _common import names
from lattices import SYMIR_MODELS, netket_operator

from symir.integrations import netket_local_energy
from symir.runtime.local_energy import choose_path, local_energy_plan


class UserModule(nn.Module):
    """A module written inside this benchmark: Dense, gelu, Dense (no adapter knows it)."""

    features: int

    @nn.compact
    def __call__(self, x):
        h = nn.gelu(nn.Dense(self.features, param_dtype=float)(x))
        return nn.Dense(1, param_dtype=float)(h)[..., 0]


NETWORKS = {
    "mlp1": lambda n: nk.models.MLP(hidden_dims=(2 * n,), param_dtype=float),
    "user": lambda n: UserModule(2 * n),
    "mlp2": lambda n: nk.models.MLP(hidden_dims=(2 * n, 2 * n), param_dtype=float),
    "rbm": lambda n: nk.models.RBM(alpha=2, param_dtype=float),
}
MODELS = {
    # name: (symir model, side or length, lattice, sampler)
    "j1j2": ("j1j2", 6, "square"),
    "tfim4": ("tfim", 4, "square"),
    "heisenberg20": ("heisenberg", 20, "chain"),
}


def build(name: str, chains: int):
    model, size, lattice = MODELS[name]
    if lattice == "chain":
        graph = nk.graph.Chain(size)
    else:
        graph = nk.graph.Square(size, max_neighbor_order=2 if model == "j1j2" else 1)
    n = graph.n_nodes
    if model == "tfim":
        hi = nk.hilbert.Spin(0.5, n)
        sampler = nk.sampler.MetropolisLocal(hi, n_chains=chains)
    else:
        hi = nk.hilbert.Spin(0.5, n, total_sz=0)
        sampler = nk.sampler.MetropolisExchange(hi, graph=graph, n_chains=chains)
    ours = SYMIR_MODELS[model](hi, graph).compile().to_netket(hi)
    return hi, ours, netket_operator(model, hi, graph), sampler


def timed(fns: dict, rounds: int) -> dict[str, float]:
    times: dict[str, list[float]] = {k: [] for k in fns}
    keys = list(fns)
    for r in range(rounds):
        for k in keys[r % len(keys) :] + keys[: r % len(keys)]:
            t = time.perf_counter()
            jax.block_until_ready(fns[k]())
            times[k].append(time.perf_counter() - t)
    return {k: 1e3 * float(np.median(v)) for k, v in times.items()}


def expect_and_grad(vs, op, *, packed=False, fast=True):
    nk.config.netket_experimental_packed_kernel = packed
    netket_local_energy.set_fast_updates(fast)
    try:
        e, g = vs.expect_and_grad(op)
        return e.mean, g
    finally:
        nk.config.netket_experimental_packed_kernel = False
        netket_local_energy.set_fast_updates(True)


def run(model: str, network: str, args) -> str:
    hi, ours, ref, sampler = build(model, args.chains)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        vs = nk.vqs.MCState(sampler, NETWORKS[network](hi.size), n_samples=args.samples, seed=0)
        vs.sample()
    x = vs.samples.reshape(-1, hi.size)
    distinct = len(np.unique(np.asarray(x), axis=0))
    path = choose_path(
        vs._apply_fun, vs.variables, x, ours.compiled, local_energy_plan(ours.compiled)
    )
    fns = {
        "symir": lambda: expect_and_grad(vs, ours),
        "symir_plain": lambda: expect_and_grad(vs, ours, fast=False),
        "netket": lambda: expect_and_grad(vs, ref),
        "packed": lambda: expect_and_grad(vs, ref, packed=True),
    }
    results = {k: f() for k, f in fns.items()}
    e0, g0 = results["netket"]
    for k, (e, g) in results.items():
        err = max(
            float(jnp.max(jnp.abs(a - b)))
            for a, b in zip(
                jax.tree_util.tree_leaves(g), jax.tree_util.tree_leaves(g0), strict=True
            )
        )
        assert abs(complex(e) - complex(e0)) < 1e-10 and err < 1e-10, (k, e, e0, err)
    t = timed(fns, args.rounds)
    way = "adapter" if network == "rbm" else path.name
    return (
        f"| {model} | {network} | {distinct}/{x.shape[0]} | {way} | {t['netket']:.1f} | "
        f"{t['packed']:.1f} | {t['symir_plain']:.1f} | {t['symir']:.1f} | "
        f"{t['symir'] / t['netket']:.2f} | {t['symir'] / t['packed']:.2f} |"
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="j1j2,tfim4,heisenberg20")
    parser.add_argument("--networks", default="mlp1,user,mlp2,rbm")
    parser.add_argument("--samples", type=int, default=1024)
    parser.add_argument("--chains", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    print(
        f"expect_and_grad, {args.samples} samples, {args.chains} chains, "
        f"{jax.default_backend()}, medians of {args.rounds} rounds (ms)\n"
    )
    print(
        "| model | network | distinct samples | symir path | NetKet | NetKet packed | "
        "symir plain | symir | symir/NetKet | symir/packed |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for model in names(args.models, MODELS, "model"):
        for network in names(args.networks, NETWORKS, "network"):
            print(run(model, network, args), flush=True)


if __name__ == "__main__":
    main()
