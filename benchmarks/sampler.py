"""symir's incremental Metropolis sampler against NetKet's: `vstate.sample()` and whole
VMC_SR steps (issue 39).

For each model and network: two `MCState`s with the same network, seeds, `--chains`
chains and `--samples` samples, one with NetKet's sampler (`MetropolisLocal` for the TFIM
and Bose-Hubbard models, `MetropolisExchange` in the zero-magnetisation sector for the
Heisenberg and J1-J2 models), one with symir's of the same rule (`symir.MetropolisLocal`
/ `symir.MetropolisExchange`). Models: TFIM on a periodic 4x4 square, a 20-site chain and
a 48-site kagome lattice, Heisenberg on a 20-site chain, a 4x4 and an 8x8 square, J1-J2
on a 4x4 and a 6x6 square, Bose-Hubbard (n_max 3) on a 16-site chain, with no
particle-number constraint (local rule) or with 16 bosons sampled by exchanges of
occupations (`bh16hop`). Networks: `RBM(alpha=1)`, `RBM(alpha=2)`,
`RBMModPhase(alpha=1)`, `MLP(2N, 2N)`, NetKet's `Jastrow`, and a user's flax module
(`DenseTanh`: Dense(2N), tanh, Dense(1)). The default rows are the three first models
with RBM and MLP plus `--extra` (kagome with RBM(alpha=2), Bose-Hubbard with Jastrow, RBM
and DenseTanh, J1-J2 4x4 with RBMModPhase, Heisenberg 8x8 with RBM). Medians of interleaved rounds of

- `vstate.sample()` (a fresh set of samples each round: `vstate.reset()` before it),
- `vstate.expect_and_grad(op)` on fixed samples (NetKet's operator on NetKet's state,
  symir's on symir's),
- the SR update alone (`sr_solve`: NetKet's Jacobian and linear solve as `VMC_SR` calls
  them, QGT or NTK as it chooses, on fixed samples and local energies; NetKet's code on
  both sides),
- a whole VMC_SR step (`nk.driver.VMC_SR`, `optax.sgd`, `diag_shift=0.01`): `reset_step`,
  `compute_loss_and_update` (sampling, local energies, gradient, SR solve),
  `update_parameters`; NetKet's step uses NetKet's sampler and operator, symir's step
  symir's sampler and operator (`op.compile().to_netket(hi)`): the two-line change of
  docs/netket-vmc.md.

The last column is the whole step's ratio of this process's CPU times (medians of the
same rounds): on a shared machine other jobs move it less than the wall times.

Before timing, the two samplers' first `--samples` samples are compared (the same chain:
the fraction of equal samples is printed, 1.0 unless a rounding difference flipped an
acceptance), the energies and gradients of the two (`expect_and_grad`, each side's
operator on its own samples: "dE / error" the difference of the energies in NetKet's
standard errors of the mean, "max dgrad" the largest difference of a gradient's
component, relative to the largest component where that is above 1: a complex network
at its initialisation can have gradients of 1e20 and more) and the symir sampler's path (`sampler.path`) and drift are printed.

    .venv/bin/python benchmarks/sampler.py --slater [--chains 16] [--rounds 7]
    .venv/bin/python benchmarks/sampler.py [--models tfim4,heisenberg20,j1j2]
        [--networks rbm,mlp] [--extra kagome48:rbm2,bh16:jastrow,bh16:rbm,...]
        [--samples 1024] [--chains 16] [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from functools import partial
from pathlib import Path

# OpenBLAS's threads (jaxlib's LAPACK: the SR solve's Cholesky) wait for each other on a
# loaded shared CPU: a 288 x 288 Cholesky took 1 ms to 0.8 s at random, both sides alike.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import flax.linen as nn
import jax
import jax.numpy as jnp
import netket as nk
import numpy as np
import optax
from netket._src.ngd.sr_srt_common import get_samples_and_pdf, sr, srt
from netket._src.ngd.srt_onthefly import srt_onthefly

sys.path.insert(0, str(Path(__file__).parent))
from _common import names
from lattices import SYMIR_MODELS, netket_operator

import symir as sym


class DenseTanh(nn.Module):
    """A user's network as flax writes it: Dense, tanh, Dense to one output."""

    hidden: int

    @nn.compact
    def __call__(self, x):
        h = jnp.tanh(nn.Dense(self.hidden, param_dtype=float)(x))
        return nn.Dense(1, param_dtype=float)(h)[..., 0]


NETWORKS = {
    "rbm": lambda hi: nk.models.RBM(alpha=1, param_dtype=float),
    "rbmmodphase": lambda hi: nk.models.RBMModPhase(alpha=1, param_dtype=float),
    "densetanh": lambda hi: DenseTanh(hidden=2 * hi.size),
    "rbm2": lambda hi: nk.models.RBM(alpha=2, param_dtype=float),
    "mlp": lambda hi: nk.models.MLP(hidden_dims=(2 * hi.size, 2 * hi.size), param_dtype=float),
    "jastrow": lambda hi: nk.models.Jastrow(param_dtype=float),
    "crbm": lambda hi: nk.models.RBM(alpha=1, param_dtype=complex),
    "cmlp": lambda hi: nk.models.MLP(
        hidden_dims=(2 * hi.size,), hidden_activations=nk.nn.log_cosh, param_dtype=complex
    ),
    # NetKet's default activation, gelu: a complex tanh
    "cmlp_gelu": lambda hi: nk.models.MLP(hidden_dims=(2 * hi.size,), param_dtype=complex),
}
MODELS = {
    # name: (symir model, side or length, lattice)
    "tfim4": ("tfim", 4, "square"),
    "kagome48": ("tfim", 4, "kagome"),
    "heisenberg20": ("heisenberg", 20, "chain"),
    "j1j2": ("j1j2", 6, "square"),
    "j1j2_4": ("j1j2", 4, "square"),
    "heisenberg64": ("heisenberg", 8, "square"),
    "bh16": ("bose_hubbard", 16, "chain"),
    # beyond the first tables: a TFIM chain, a Heisenberg square, bosons hopping
    "tfim20": ("tfim", 20, "chain"),
    "heisenberg16": ("heisenberg", 4, "square"),
    "bh16hop": ("bose_hubbard", 16, "chain"),
}
HOPS = {"bh16hop"}
"""Models sampled by exchanges of occupations (`MetropolisExchange` on the chain's
bonds, 16 bosons on 16 sites: the particle number fixed)."""


def build(name: str, chains: int, incremental: bool):
    model, size, lattice = MODELS[name]
    if lattice == "chain":
        graph = nk.graph.Chain(size)
    elif lattice == "kagome":
        graph = nk.graph.Kagome(extent=[size, size], pbc=True)
    else:
        graph = nk.graph.Square(size, max_neighbor_order=2 if model == "j1j2" else 1)
    n = graph.n_nodes
    lib = sym if incremental else nk.sampler
    if name in HOPS:
        hi = nk.hilbert.Fock(n_max=3, N=n, n_particles=n)
        sampler = lib.MetropolisExchange(hi, graph=graph, n_chains=chains)
    elif model in ("tfim", "bose_hubbard"):
        hi = nk.hilbert.Spin(0.5, n) if model == "tfim" else nk.hilbert.Fock(n_max=3, N=n)
        sampler = lib.MetropolisLocal(hi, n_chains=chains)
    else:
        hi = nk.hilbert.Spin(0.5, n, total_sz=0)
        sampler = lib.MetropolisExchange(hi, graph=graph, n_chains=chains)
    if incremental:
        op = SYMIR_MODELS[model](hi, graph).compile().to_netket(hi)
    else:
        op = netket_operator(model, hi, graph)
    return hi, sampler, op


def timed(fns: dict, rounds: int) -> tuple[dict[str, float], dict[str, float]]:
    """Medians in ms of interleaved rounds: wall time, and this process's CPU time (all
    its threads; less moved than wall time by other jobs on a loaded machine)."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    cpu: dict[str, list[float]] = {k: [] for k in fns}
    keys = list(fns)
    for r in range(rounds):
        for k in keys[r % len(keys) :] + keys[: r % len(keys)]:
            t, c = time.perf_counter(), time.process_time()
            jax.block_until_ready(fns[k]())
            times[k].append(time.perf_counter() - t)
            cpu[k].append(time.process_time() - c)
    median = lambda d: {k: 1e3 * float(np.median(v)) for k, v in d.items()}  # noqa: E731
    return median(times), median(cpu)


def sample(vs):
    vs.reset()
    return vs.sample()


def expect_and_grad(vs, op):
    return vs.expect_and_grad(op)


def sr_inputs(driver, op):
    """What `VMC_SR.compute_loss_and_update` hands to NetKet's SR update, taken once from
    the driver's state (fixed samples, parameters and local energies: `vs.samples` after
    a step would sample again)."""
    vs = driver.state
    samples, pdf = get_samples_and_pdf(vs)
    local_energies = vs.local_estimators(op)
    return vs._apply_fun, local_energies, vs.parameters, vs.model_state, samples, pdf


def sr_solve(driver, inputs):
    """NetKet's SR update (the Jacobian and the linear solve) of `driver` on `inputs`
    (`sr_inputs`), as `VMC_SR.compute_loss_and_update` calls it."""
    apply_fun, local_energies, parameters, model_state, samples, pdf = inputs
    if driver.use_ntk:
        update = srt_onthefly if driver.on_the_fly else srt
    else:
        update = sr
    return update(
        apply_fun,
        local_energies,
        parameters,
        model_state,
        samples,
        diag_shift=driver.diag_shift,
        solver_fn=driver._linear_solver,
        mode=driver.mode,
        proj_reg=driver.proj_reg,
        momentum=driver.momentum,
        old_updates=None,
        chunk_size=driver.chunk_size_bwd,
        weights=pdf,
    )[0]


def step(driver):
    driver.reset_step()
    _, dp = driver.compute_loss_and_update()
    driver.update_parameters(dp)
    return driver.state.parameters


def run(model: str, network: str, args) -> str:
    states, drivers, ops, sr_args = {}, {}, {}, {}
    for side, incremental in (("netket", False), ("symir", True)):
        hi, sampler, op = build(model, args.chains, incremental)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            vs = nk.vqs.MCState(
                sampler, NETWORKS[network](hi), n_samples=args.samples, seed=0, sampler_seed=1
            )
            vs.sample()
        states[side] = vs
        ops[side] = op
        # a second state for the driver, so that its steps do not move the sampling one
        vd = nk.vqs.MCState(
            sampler, NETWORKS[network](hi), n_samples=args.samples, seed=0, sampler_seed=1
        )
        drivers[side] = nk.driver.VMC_SR(op, optax.sgd(0.01), diag_shift=0.01, variational_state=vd)
        sr_args[side] = sr_inputs(drivers[side], op)
    a, b = (np.asarray(states[s].samples).reshape(-1, hi.size) for s in ("netket", "symir"))
    same = float(np.mean(np.all(a == b, axis=1)))
    # energies and gradients of the two sides, each on its own samples
    (e_n, g_n), (e_s, g_s) = (states[s].expect_and_grad(ops[s]) for s in ("netket", "symir"))
    d_energy = abs(complex(e_s.mean) - complex(e_n.mean)) / max(float(e_n.error_of_mean), 1e-300)
    d_grad = max(
        float(np.max(np.abs(np.asarray(x) - np.asarray(y))))
        for x, y in zip(jax.tree.leaves(g_s), jax.tree.leaves(g_n), strict=True)
    ) / max(1.0, *(float(np.max(np.abs(np.asarray(y)))) for y in jax.tree.leaves(g_n)))
    vs = states["symir"]
    path = vs.sampler.path(vs._sampler_model, vs._sampler_variables)
    if args.verbose:
        print(path)
    fns = {
        "sample_netket": lambda: sample(states["netket"]),
        "sample_symir": lambda: sample(states["symir"]),
        "eg_netket": lambda: expect_and_grad(states["netket"], ops["netket"]),
        "eg_symir": lambda: expect_and_grad(states["symir"], ops["symir"]),
        "sr_netket": lambda: sr_solve(drivers["netket"], sr_args["netket"]),
        "sr_symir": lambda: sr_solve(drivers["symir"], sr_args["symir"]),
        "step_netket": lambda: step(drivers["netket"]),
        "step_symir": lambda: step(drivers["symir"]),
    }
    for f in fns.values():  # compile
        jax.block_until_ready(f())
    t, cpu = timed(fns, args.rounds)
    drift = float(vs.sampler_state.max_drift)
    way = "incremental" if path.incremental else "plain"
    return (
        f"| {model} | {network} | {way} | {same:.3f} | {d_energy:.1e} | {d_grad:.1e} | "
        f"{drift:.1e} | "
        f"{t['sample_netket']:.1f} | {t['sample_symir']:.1f} | "
        f"{t['sample_symir'] / t['sample_netket']:.2f} | "
        f"{t['eg_netket']:.1f} | {t['eg_symir']:.1f} | "
        f"{t['sr_netket']:.1f} | {t['sr_symir']:.1f} | "
        f"{t['step_netket']:.1f} | {t['step_symir']:.1f} | "
        f"{t['step_symir'] / t['step_netket']:.2f} | "
        f"{cpu['step_symir'] / cpu['step_netket']:.2f} |"
    )


SLATER = {
    "restricted": {},
    "generalized": {"generalized": True},
    "restricted complex": {"param_dtype": complex},
}


def slater(args) -> None:
    """`--slater`: the samplers alone on Fermi-Hubbard 4x4 ((8, 8) fermions,
    `MetropolisFermionHop`) with NetKet's `Slater2nd`: NetKet's, symir's keeping each
    chain's inverses, and symir's with `incremental=False` (NetKet's rule drawn ahead, the
    whole network per proposal). The jitted chains of `--samples` samples, no `MCState`:
    a whole VMC_SR row of this model (MCState, expect_and_grad, VMC_SR steps of either
    side) hung at 0 % CPU on a 2-core machine, where it was not investigated further."""
    graph = nk.graph.Square(4)
    n = graph.n_nodes
    hi = nk.hilbert.SpinOrbitalFermions(n, s=0.5, n_fermions_per_spin=(n // 2, n // 2))
    print(
        f"\nFermi-Hubbard 4x4, Slater2nd, {args.samples} samples, {args.chains} chains, "
        f"medians of {args.rounds} rounds (ms)\n"
    )
    print("| Slater2nd | same samples | max drift | NetKet | symir | symir plain | ratio |")
    print("|---|---|---|---|---|---|---|")
    length = args.samples // args.chains
    for name, kwargs in SLATER.items():
        net = nk.models.Slater2nd(hi, **kwargs)
        x0 = np.asarray(hi.random_state(jax.random.PRNGKey(0), 1))
        params = jax.tree_util.tree_map(
            lambda p: p + 0.3 * jax.random.normal(jax.random.PRNGKey(1), p.shape, p.dtype),
            net.init(jax.random.PRNGKey(0), x0),
        )
        samplers = {
            "netket": nk.sampler.MetropolisFermionHop(hi, graph=graph, n_chains=args.chains),
            "symir": sym.MetropolisFermionHop(hi, graph=graph, n_chains=args.chains),
            "plain": sym.MetropolisFermionHop(
                hi, graph=graph, n_chains=args.chains, incremental=False
            ),
        }
        fns, outs = {}, {}
        for side, sampler in samplers.items():
            state = sampler.reset(net, params, sampler.init_state(net, params, seed=3))
            chain = jax.jit(partial(sampler._sample_chain, net, chain_length=length))
            fns[side] = partial(chain, params, state)
            outs[side] = jax.block_until_ready(fns[side]())
        same = float(np.mean(np.all(outs["symir"][0] == outs["netket"][0], axis=-1)))
        drift = float(outs["symir"][1].max_drift)
        t = timed(fns, args.rounds)
        print(
            f"| {name} | {same:.3f} | {drift:.1e} | {t['netket']:.1f} | {t['symir']:.1f} | "
            f"{t['plain']:.1f} | {t['symir'] / t['netket']:.2f} |",
            flush=True,
        )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="tfim4,heisenberg20,j1j2")
    parser.add_argument("--networks", default="rbm,mlp")
    parser.add_argument(
        "--extra",
        default="kagome48:rbm2,bh16:jastrow,bh16:rbm,j1j2_4:rbmmodphase,bh16:densetanh,"
        "heisenberg64:rbm",
    )
    parser.add_argument("--samples", type=int, default=1024)
    parser.add_argument("--chains", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--slater", action="store_true", help="only the Slater2nd samplers")
    args = parser.parse_args(argv)
    if args.slater:
        slater(args)
        return
    print(
        f"{args.samples} samples, {args.chains} chains, {jax.default_backend()}, "
        f"medians of {args.rounds} rounds (ms)\n"
    )
    print(
        "| model | network | symir path | same samples | dE / error | max dgrad | "
        "max drift | sample NetKet | "
        "sample symir | ratio | e&g NetKet | e&g symir | SR NetKet | SR symir | "
        "VMC_SR step NetKet | VMC_SR step symir | ratio | ratio of CPU times |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    rows = [
        (model, network)
        for model in names(args.models, MODELS, "model")
        for network in names(args.networks, NETWORKS, "network")
    ]
    for pair in (p for p in args.extra.split(",") if p):
        model, _, network = pair.partition(":")
        names(model, MODELS, "model")
        names(network, NETWORKS, "network")
        rows.append((model, network))
    for model, network in rows:
        print(run(model, network, args), flush=True)


if __name__ == "__main__":
    main()
