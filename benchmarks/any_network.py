"""`expect_and_grad` for networks symir has no adapter for: the derived split (issue 36).

For each model and network: an `MCState` with `--chains` Markov chains and `--samples`
samples (real chains: rejected moves repeat samples), sampled once and then fixed; medians
of interleaved rounds of `vstate.expect_and_grad(op)` with

- symir's operator (NetKet's dispatch picks symir's kernel: the
  network's own split where it applies and pays, `fast_updates="auto"`; repeated samples
  evaluated once),
- symir's operator with its fast paths off (`set_fast_updates(False)`, repeated samples
  still once),
- NetKet's operator of the same model, default kernel, and with NetKet's experimental
  packed kernel (`nk.config.netket_experimental_packed_kernel = True`), NetKet's fastest.

Energies and gradients are compared with NetKet's default before timing (1e-10). The
path symir takes (`symir.runtime.local_energy.choose_path`) is printed with its reason,
and where NetKet's padded kernel on symir's operator measured faster inside NetKet
(`symir.integrations.netket_measured`), that it was taken.

NetKet's packed kernel is timed in a subprocess under `--packed-timeout` seconds,
interleaved there with NetKet's default kernel: `symir/packed` is `symir/NetKet` of this
process times `NetKet/packed` of that one, "hangs" when it does not return.

A network that calls LAPACK (`Slater2nd`): NetKet's own `expect_and_grad` deadlocks
XLA's CPU pool on a two-core machine (independent batched `lu`/`triangular_solve` calls
of its gradient pass each hold a pool thread; issue 36), within its first few calls. Its
columns are then NetKet's own program and kernels with their LAPACK calls put in one
order by symir (`symir.integrations.netket_local_energy.ordered_expect_and_forces`, the
same program symir's operator runs), marked "(ordered)"; symir's operator is always run
so.

Models: `j1j2` (6x6), `j1j2_4` (4x4), `j1j2_5` (5x5, 25 sites: no `total_sz`), `tfim4` (4x4), `tfim6` (6x6), `heisenberg20`
(chain), `heisenberg4`, `heisenberg6`, `heisenberg8` (4x4, 6x6, 8x8, `total_sz=0`), `tfim8` (8x8), `tfim64` (chain of 64), `tri6` (Heisenberg on the
periodic 6x6 triangular lattice, `total_sz=0`), `bh6`, `bh4`, `bh34` and `bh33` (Bose-Hubbard 6x6, 4x4, 3x4 and 3x3, `n_max=3`, one boson per site,
`MetropolisExchange`), `tfim34` (TFIM on the periodic 3x4 grid), `fh4` (Fermi-Hubbard 4x4, periodic, (8, 8) fermions,
`MetropolisFermionHop`), `h2o` (H2O STO-3G, all 7 orbitals, (5, 5) electrons; NetKet's
`ParticleNumberAndSpinConservingFermioperator2nd` from PySCF), `h2o631g` (H2O 6-31G, 13
orbitals, (5, 5) electrons, the same), `n2631g` (N2 6-31G, 18 orbitals, (7, 7) electrons, the
same); molecules from `benchmarks/_molecules.py` (FCIDUMP files in `SYMIR_FCIDUMPS` where
PySCF is absent).
Networks: `mlp1` MLP(2N), `user` (Dense-gelu-Dense, written here), `tanh`
(Dense(2N)-tanh-Dense summed, written here), `silu` (Dense(2N)-silu-Dense, written
here), `mlp2` MLP(2N, 2N), `mlp3` MLP(N, N, N) with
`silu`, `mlp64` MLP(64, 64), `mlp32` MLP(32, 32), `deep` (Dense(2N)-tanh-Dense(2N)-tanh-
Dense, written here), `deep3` (Dense(N)-tanh-Dense(N)-silu-Dense(N/2)-tanh-Dense,
written here), `relu` (Dense(2N)-relu-Dense(N)-tanh-Dense, written here), `gelu2` MLP(2N, N), `conv` (a circular `nn.Conv` of the configuration, tanh,
Dense: written here, in no test), `urbm` (Dense(2N), `log_cosh`, a sum: an RBM written
here), `rbm` (NetKet's RBM: its split, an adapter before 2026-11-27), `slater` (`Slater2nd`, restricted;
`slater_u` unrestricted, `slater_g` generalized; fermion models: determinant updates),
`logcosh` MLP((2N,), log_cosh), `softplus` (Dense(2N)-softplus-Dense), `curbm` (a
complex RBM written here), `cmlp` NetKet's complex MLP((2N,), log_cosh).

    .venv/bin/python benchmarks/any_network.py [--models j1j2,tfim4,heisenberg20]
        [--networks mlp1,user,mlp2,rbm] [--samples 1024] [--rounds 7]
        [--packed-timeout 300]
"""

from __future__ import annotations

import argparse
import json
import subprocess
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
from _expect import expect_and_grad
from lattices import SYMIR_MODELS, netket_operator

from symir import models as symir_models
from symir.integrations.netket_measured import measured_choice
from symir.runtime.lapack_order import network_calls_lapack
from symir.runtime.local_energy import choose_path, local_energy_plan


class UserModule(nn.Module):
    """A module written inside this benchmark: Dense, gelu, Dense (no adapter knows it)."""

    features: int

    @nn.compact
    def __call__(self, x):
        h = nn.gelu(nn.Dense(self.features, param_dtype=float)(x))
        return nn.Dense(1, param_dtype=float)(h)[..., 0]


class TanhModule(nn.Module):
    """A module written inside this benchmark: Dense, tanh, a sum (no adapter knows it)."""

    features: int

    @nn.compact
    def __call__(self, x):
        h = jnp.tanh(nn.Dense(self.features, param_dtype=float)(x))
        return jnp.sum(nn.Dense(1, param_dtype=float)(h), axis=-1)


class SiluModule(nn.Module):
    """A module written inside this benchmark: Dense, silu, Dense (no adapter knows it)."""

    features: int

    @nn.compact
    def __call__(self, x):
        h = nn.silu(nn.Dense(self.features, param_dtype=float)(x))
        return nn.Dense(1, param_dtype=float)(h)[..., 0]


class ConvModule(nn.Module):
    """A module written inside this benchmark: a circular 1D convolution of the
    configuration, tanh, a Dense to one output (in no test; no adapter knows it)."""

    features: int = 8

    @nn.compact
    def __call__(self, x):
        h = nn.Conv(self.features, (3,), padding="CIRCULAR", param_dtype=float)(x[..., None])
        h = jnp.tanh(h).reshape(*x.shape[:-1], -1)
        return nn.Dense(1, param_dtype=float)(h)[..., 0]


class Conv2DModule(nn.Module):
    """A module written inside this benchmark: two circular 3x3 convolutions of the
    square lattice (8 then 4 features), gelu after each, summed (no adapter knows it).
    Sampled from its initialisation on TFIM 6x6, its chains repeat their samples (only
    32% of 1,024 samples differ from the one before): the repeats are most of the batch."""

    @nn.compact
    def __call__(self, x):
        side = round(x.shape[-1] ** 0.5)
        h = x.reshape(*x.shape[:-1], side, side, 1)
        h = nn.gelu(nn.Conv(8, (3, 3), padding="CIRCULAR", param_dtype=float)(h))
        h = nn.gelu(nn.Conv(4, (3, 3), padding="CIRCULAR", param_dtype=float)(h))
        return jnp.sum(h, axis=(-1, -2, -3))


class DeepModule(nn.Module):
    """A module written inside this benchmark: Dense, tanh, Dense, tanh, Dense to one
    output (two hidden layers; no adapter knows it)."""

    features: int

    @nn.compact
    def __call__(self, x):
        h = jnp.tanh(nn.Dense(self.features, param_dtype=float)(x))
        h = jnp.tanh(nn.Dense(self.features, param_dtype=float)(h))
        return nn.Dense(1, param_dtype=float)(h)[..., 0]


class Deep3Module(nn.Module):
    """A module written inside this benchmark: three hidden layers of different widths
    and activations, Dense(N)-tanh-Dense(N)-silu-Dense(N // 2)-tanh-Dense to one output
    (no adapter knows it; a check on a network not tuned on)."""

    features: int

    @nn.compact
    def __call__(self, x):
        h = jnp.tanh(nn.Dense(self.features, param_dtype=float)(x))
        h = nn.silu(nn.Dense(self.features, param_dtype=float)(h))
        h = jnp.tanh(nn.Dense(self.features // 2, param_dtype=float)(h))
        return nn.Dense(1, param_dtype=float)(h)[..., 0]


class ReluTanhModule(nn.Module):
    """A module written inside this benchmark: Dense(2N)-relu-Dense(N)-tanh-Dense to one
    output (a user's module with two activations; in no test, tuned on by no pass)."""

    features: int

    @nn.compact
    def __call__(self, x):
        h = nn.relu(nn.Dense(2 * self.features, param_dtype=float)(x))
        h = jnp.tanh(nn.Dense(self.features, param_dtype=float)(h))
        return nn.Dense(1, param_dtype=float)(h)[..., 0]


class UserRBM(nn.Module):
    """A module written inside this benchmark: an RBM as flax writes it, Dense,
    `log_cosh`, a sum (NetKet's `RBM` had an adapter; this module never did)."""

    features: int

    @nn.compact
    def __call__(self, x):
        h = nn.Dense(self.features, param_dtype=float)(x)
        return jnp.sum(nk.nn.activation.log_cosh(h), axis=-1)


class SoftplusModule(nn.Module):
    """A module written inside this benchmark: Dense, softplus, Dense (a logarithm in the
    activation, weighed by the output layer)."""

    features: int

    @nn.compact
    def __call__(self, x):
        h = jax.nn.softplus(nn.Dense(self.features, param_dtype=float)(x))
        return nn.Dense(1, param_dtype=float)(h)[..., 0]


class ComplexUserRBM(nn.Module):
    """A module written inside this benchmark: an RBM with complex parameters, Dense,
    `log_cosh`, a sum (no adapter knows it)."""

    features: int

    @nn.compact
    def __call__(self, x):
        h = nn.Dense(self.features, param_dtype=complex)(x)
        return jnp.sum(nk.nn.activation.log_cosh(h), axis=-1)


def _translations(hi):
    """The lattice whose translations `rbmsymm` and `gcnn` are symmetric under."""
    side = round(hi.size**0.5)
    return nk.graph.Square(side) if side * side == hi.size else nk.graph.Chain(hi.size)


NETWORKS = {
    "urbm": lambda hi: UserRBM(2 * hi.size),
    "mlp1": lambda hi: nk.models.MLP(hidden_dims=(2 * hi.size,), param_dtype=float),
    "user": lambda hi: UserModule(2 * hi.size),
    "mlp2": lambda hi: nk.models.MLP(hidden_dims=(2 * hi.size, 2 * hi.size), param_dtype=float),
    "mlp64": lambda hi: nk.models.MLP(hidden_dims=(64, 64), param_dtype=float),
    "mlp32": lambda hi: nk.models.MLP(hidden_dims=(32, 32), param_dtype=float),
    "deep": lambda hi: DeepModule(2 * hi.size),
    "tanh": lambda hi: TanhModule(2 * hi.size),
    "silu": lambda hi: SiluModule(2 * hi.size),
    "mlp3": lambda hi: nk.models.MLP(
        hidden_dims=(hi.size,) * 3, hidden_activations=jax.nn.silu, param_dtype=float
    ),
    "deep3": lambda hi: Deep3Module(hi.size),
    "relu": lambda hi: ReluTanhModule(hi.size),
    "gelu2": lambda hi: nk.models.MLP(hidden_dims=(2 * hi.size, hi.size), param_dtype=float),
    "conv": lambda hi: ConvModule(),
    "cnn2d": lambda hi: Conv2DModule(),
    "logcosh": lambda hi: nk.models.MLP(
        hidden_dims=(2 * hi.size,), hidden_activations=nk.nn.activation.log_cosh, param_dtype=float
    ),
    "softplus": lambda hi: SoftplusModule(2 * hi.size),
    "curbm": lambda hi: ComplexUserRBM(2 * hi.size),
    "cmlp": lambda hi: nk.models.MLP(
        hidden_dims=(2 * hi.size,),
        hidden_activations=nk.nn.activation.log_cosh,
        param_dtype=complex,
    ),
    "rbm": lambda hi: nk.models.RBM(alpha=2, param_dtype=float),
    # NetKet's symmetric networks on the lattice's translations (a square lattice where
    # the sites are a square number, else a chain), and its autoregressive dense network
    "rbmsymm": lambda hi: nk.models.RBMSymm(
        _translations(hi).translation_group(), alpha=1, param_dtype=float
    ),
    "gcnn": lambda hi: nk.models.GCNN(
        symmetries=_translations(hi), layers=2, features=(4, 4), param_dtype=float
    ),
    "arnn": lambda hi: nk.models.ARNNDense(hi, layers=2, features=8, param_dtype=float),
    "slater": lambda hi: nk.models.Slater2nd(hi, param_dtype=float),
    "slater_u": lambda hi: nk.models.Slater2nd(hi, restricted=False, param_dtype=float),
    "slater_g": lambda hi: nk.models.Slater2nd(hi, generalized=True, param_dtype=float),
}
MODELS = {
    # name: (symir model, side or length, lattice)
    "j1j2": ("j1j2", 6, "square"),
    "tfim4": ("tfim", 4, "square"),
    "tfim6": ("tfim", 6, "square"),
    "heisenberg4": ("heisenberg", 4, "square"),
    "heisenberg6": ("heisenberg", 6, "square"),
    "j1j2_4": ("j1j2", 4, "square"),
    "bh4": ("bose_hubbard", 4, "square"),
    "bh34": ("bose_hubbard", (3, 4), "square"),
    "bh33": ("bose_hubbard", (3, 3), "square"),
    "j1j2_5": ("j1j2", 5, "square"),
    "tfim34": ("tfim", (3, 4), "square"),
    "heisenberg20": ("heisenberg", 20, "chain"),
    "heisenberg8": ("heisenberg", 8, "square"),
    "tfim8": ("tfim", 8, "square"),
    "tfim64": ("tfim", 64, "chain"),
    "tri6": ("heisenberg", 6, "triangular"),
    "bh6": ("bose_hubbard", 6, "square"),
    "fh4": ("fermi_hubbard", 4, "square"),
    # lattices first measured 2026-11-28 (sweep 24)
    "kagome2": ("tfim", 2, "kagome"),
    "kagome3": ("tfim", 3, "kagome"),
    "honeycomb3": ("heisenberg", 3, "honeycomb"),
    "honeycomb4": ("heisenberg", 4, "honeycomb"),
    "cube3": ("heisenberg", 3, "cube"),
    "j1j2_chain16": ("j1j2", 16, "chain"),
    "bh_chain10": ("bose_hubbard", 10, "chain"),
    # molecules: ("molecule", the name in benchmarks/_molecules.py, "molecule")
    "h2o": ("molecule", "h2o_sto3g", "molecule"),
    "h2o631g": ("molecule", "h2o_631g", "molecule"),
    "n2631g": ("molecule", "n2_631g", "molecule"),
}
LATTICES = {
    "kagome": lambda side: nk.graph.Kagome([side, side], pbc=True),
    "honeycomb": lambda side: nk.graph.Honeycomb([side, side], pbc=True),
    "cube": lambda side: nk.graph.Hypercube(side, n_dim=3, pbc=True),
}
FERMIONS = ("fh4", "h2o", "h2o631g", "n2631g")


def build(name: str, chains: int):
    model, size, lattice = MODELS[name]
    if model == "fermi_hubbard":
        graph = nk.graph.Square(size, pbc=True)
        n = graph.n_nodes
        hi = nk.hilbert.SpinOrbitalFermions(n, s=0.5, n_fermions_per_spin=(n // 2, n // 2))
        ours = symir_models.fermi_hubbard(hi, graph, t=1, U=4).compile().to_netket(hi)
        ref = symir_models.netket_fermi_hubbard(hi, graph, t=1, U=4).to_jax_operator()
        return hi, ours, ref, nk.sampler.MetropolisFermionHop(hi, graph=graph, n_chains=chains)
    if model == "molecule":
        return _molecule(chains, size)
    graph = _graph(model, size, lattice)
    if model == "bose_hubbard":  # n_max 3, one boson per site, hops conserve the number
        hi = nk.hilbert.Fock(n_max=3, N=graph.n_nodes, n_particles=graph.n_nodes)
        ours = SYMIR_MODELS[model](hi, graph).compile().to_netket(hi)
        sampler = nk.sampler.MetropolisExchange(hi, graph=graph, n_chains=chains)
        return hi, ours, netket_operator(model, hi, graph), sampler
    n = graph.n_nodes
    if model == "tfim":
        hi = nk.hilbert.Spin(0.5, n)
        sampler = nk.sampler.MetropolisLocal(hi, n_chains=chains)
    else:
        hi = nk.hilbert.Spin(0.5, n, total_sz=0 if n % 2 == 0 else None)
        sampler = nk.sampler.MetropolisExchange(hi, graph=graph, n_chains=chains)
    ours = SYMIR_MODELS[model](hi, graph).compile().to_netket(hi)
    return hi, ours, netket_operator(model, hi, graph), sampler


def _graph(model: str, size, lattice: str):
    """The model's lattice, periodic (J1-J2: with its next-nearest bonds)."""
    order = 2 if model == "j1j2" else 1
    if lattice == "chain":
        return nk.graph.Chain(size, max_neighbor_order=order)
    if lattice in LATTICES:
        return LATTICES[lattice](size)
    if lattice == "triangular":
        return nk.graph.Triangular([size, size], pbc=True)
    if isinstance(size, tuple):
        return nk.graph.Grid(list(size), pbc=True)
    return nk.graph.Square(size, max_neighbor_order=order)


def _molecule(chains: int, name: str):
    from _molecules import load

    from symir.chemistry import molecular_hamiltonian

    ints, ref = load(name)
    ours = molecular_hamiltonian(ints).compile().to_netket()
    hi = ours.hilbert
    m = hi.n_orbitals
    orbitals = nk.graph.Graph(edges=[(i, j) for i in range(m) for j in range(i + 1, m)])
    return hi, ours, ref, nk.sampler.MetropolisFermionHop(hi, graph=orbitals, n_chains=chains)


def timed(fns: dict, rounds: int, cpu: dict | None = None) -> dict[str, float]:
    """Medians of interleaved rounds (ms); `cpu`, when given, receives each function's
    least process CPU time (ms: every thread of this process, less sensitive than the
    wall clock to other jobs on a shared machine)."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    spent: dict[str, list[float]] = {k: [] for k in fns}
    keys = list(fns)
    for r in range(rounds):
        for k in keys[r % len(keys) :] + keys[: r % len(keys)]:
            t, c = time.perf_counter(), time.process_time()
            jax.block_until_ready(fns[k]())
            times[k].append(time.perf_counter() - t)
            spent[k].append(time.process_time() - c)
    if cpu is not None:
        cpu.update({k: 1e3 * float(np.min(v)) for k, v in spent.items()})
    return {k: 1e3 * float(np.median(v)) for k, v in times.items()}


def one_at_a_time(fns: dict) -> dict:
    """Each function's result, each finished before the next is called. JAX dispatches
    asynchronously: calls not waited for run at the same time, and two programs whose
    batched LAPACK kernels (`lu` of `Slater2nd`'s determinants) each block a thread of
    XLA's CPU pool while their pieces wait for a free one deadlock a two-thread pool
    (two of NetKet's own default `expect_and_grad` of Fermi-Hubbard 4x4 with `Slater2nd`,
    dispatched together, never return). One such program alone can deadlock too: NetKet's
    is then run with its LAPACK calls in order (`expect_and_grad(..., ordered=True)`)."""
    return {k: jax.block_until_ready(f()) for k, f in fns.items()}


def assert_equal(results: dict, reference: str) -> None:
    """Energies and gradients of every method equal to `reference`'s within 1e-10, relative
    to the largest value where that is above 1 (a complex network at initialisation can
    give energies and gradients of 1e6 and more: rounding alone then exceeds 1e-10)."""
    e0, g0 = results[reference]
    leaves0 = jax.tree_util.tree_leaves(g0)
    scale = max(1.0, abs(complex(e0)), *(float(jnp.max(jnp.abs(b))) for b in leaves0))
    for k, (e, g) in results.items():
        err = max(
            float(jnp.max(jnp.abs(a - b)))
            for a, b in zip(jax.tree_util.tree_leaves(g), leaves0, strict=True)
        )
        err = max(err, abs(complex(e) - complex(e0)))
        assert err < 1e-10 * scale, (k, e, e0, err, scale)


def state(model: str, network: str, args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hi, ours, ref, sampler = build(model, args.chains)
        vs = nk.vqs.MCState(sampler, NETWORKS[network](hi), n_samples=args.samples, seed=0)
        vs.sample()
    return hi, ours, ref, vs


def lapack(vs) -> bool:
    """Whether the state's network calls LAPACK (NetKet's own program then hangs here)."""
    x = vs.samples.reshape(-1, vs.samples.shape[-1])[:1]
    return network_calls_lapack(vs._apply_fun, vs.variables, x)


def packed_only(model: str, network: str, args) -> None:
    """The subprocess: NetKet's default and packed kernels on the same samples, checked
    equal and timed interleaved; prints `{"netket": ms, "packed": ms}`."""
    _, _, ref, vs = state(model, network, args)
    ordered = lapack(vs)
    fns = {
        "netket": lambda: expect_and_grad(vs, ref, ordered=ordered),
        "packed": lambda: expect_and_grad(vs, ref, packed=True, ordered=ordered),
    }
    assert_equal(one_at_a_time(fns), "netket")
    print(json.dumps(timed(fns, args.rounds)), flush=True)


def packed_ratio(model: str, network: str, args) -> float | None:
    """`NetKet / packed` measured in a subprocess, None when it does not return within
    `--packed-timeout` seconds."""
    command = [sys.executable, __file__, "--packed-only", f"{model}:{network}"]
    command += ["--samples", str(args.samples), "--chains", str(args.chains)]
    command += ["--rounds", str(args.rounds)]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=args.packed_timeout, check=True
        )
    except subprocess.TimeoutExpired:
        return None
    t = json.loads(done.stdout.strip().splitlines()[-1])
    return t["netket"] / t["packed"]


def run(model: str, network: str, args) -> str:
    hi, ours, ref, vs = state(model, network, args)
    x = vs.samples.reshape(-1, hi.size)
    distinct = len(np.unique(np.asarray(x), axis=0))
    path = choose_path(
        vs._apply_fun, vs.variables, x, ours.compiled, local_energy_plan(ours.compiled), padded=True
    )
    ordered = lapack(vs)
    fns = {
        "symir": lambda: expect_and_grad(vs, ours),
        "symir_plain": lambda: expect_and_grad(vs, ours, fast=False),
        "netket": lambda: expect_and_grad(vs, ref, ordered=ordered),
    }
    if not ordered:  # no LAPACK call: NetKet's packed kernel in this process, interleaved
        fns["packed"] = lambda: expect_and_grad(vs, ref, packed=True)
    assert_equal(one_at_a_time(fns), "netket")
    cpu: dict[str, float] = {}
    t = timed(fns, args.rounds, cpu)
    way = path.name
    choice = measured_choice(vs, ours)  # inside NetKet: symir's kernel or NetKet's padded
    if choice is not None and choice.name.startswith("netket"):
        way = f"{way}; taken: NetKet's {choice.name[7:]} kernel (measured)"
    ratio = t["netket"] / t["packed"] if "packed" in t else packed_ratio(model, network, args)
    to_netket = t["symir"] / t["netket"]
    packed = "hangs" if ratio is None else f"{t['netket'] / ratio:.1f}"
    to_packed = f"> {args.packed_timeout} s" if ratio is None else f"{to_netket * ratio:.2f}"
    if "packed" in cpu:
        to_packed += f" ({cpu['symir'] / cpu['packed']:.2f})"
    mark = " (ordered)" if ordered else ""
    return (
        f"| {model} | {network} | {distinct}/{x.shape[0]} | {way} | {t['netket']:.1f}{mark} | "
        f"{packed}{mark if ratio is not None else ''} | {t['symir_plain']:.1f} | {t['symir']:.1f} | "
        f"{to_netket:.2f} ({cpu['symir'] / cpu['netket']:.2f}) | {to_packed} |"
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="j1j2,tfim4,heisenberg20")
    parser.add_argument("--networks", default="mlp1,user,mlp2,rbm")
    parser.add_argument("--samples", type=int, default=1024)
    parser.add_argument("--chains", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--packed-timeout", type=int, default=300)
    parser.add_argument("--packed-only", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.packed_only:
        packed_only(*args.packed_only.split(":"), args)
        return
    print(
        f"expect_and_grad, {args.samples} samples, {args.chains} chains, "
        f"{jax.default_backend()}, medians of {args.rounds} rounds (ms; NetKet packed: "
        "its time scaled by NetKet/packed of its subprocess where it runs there; ratios "
        "by process CPU time in parentheses)\n"
    )
    print(
        "| model | network | distinct samples | symir path | NetKet | NetKet packed | "
        "symir plain | symir | symir/NetKet | symir/packed |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for model in names(args.models, MODELS, "model"):
        for network in names(args.networks, NETWORKS, "network"):
            if network.startswith("slater") and model not in FERMIONS:
                continue
            print(run(model, network, args), flush=True)


if __name__ == "__main__":
    main()
