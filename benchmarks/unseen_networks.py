"""Networks written as a new user would, none of them known to symir: exactness and speed.

Each `model:network` pair builds `any_network.py`'s model (its symir operator, NetKet's
operator, its sampler), an `MCState` of `--samples` samples with the network below, its
parameters moved away from their initialisation (`+ 0.1 N(0, 1)`), and then

- compares `vstate.expect_and_grad` with symir's operator against NetKet's default
  kernel (energies and gradients to 1e-10, relative to the largest value where that is
  above 1; "EQUAL" or the difference);
- prints the path `choose_path` takes (derived, deltas, padded, determinant) and why;
- with `--time`, times `expect_and_grad` of symir's operator, NetKet's packed kernel and
  NetKet's default kernel over `--rounds` interleaved rounds (process CPU time; wall
  clock ratio in parentheses).

Every network here has float64 parameters: with flax's float32 default both NetKet's
kernels and symir's agree only to float32's rounding (1e-7 to 1e-5).

    .venv/bin/python benchmarks/unseen_networks.py heisenberg4:phase tfim4:remat ...
    .venv/bin/python benchmarks/unseen_networks.py --all heisenberg4
    .venv/bin/python benchmarks/unseen_networks.py --time --samples 1024 heisenberg6:twobranch
"""

from __future__ import annotations

import argparse
import functools
import sys
import warnings
from pathlib import Path

import flax.linen as nn
import jax
import jax.numpy as jnp
import netket as nk

sys.path.insert(0, str(Path(__file__).parent))
import any_network as an
from _expect import expect_and_grad

from symir.runtime.local_energy import choose_path, local_energy_plan

Dense = functools.partial(nn.Dense, param_dtype=jnp.float64)


class LayerNormed(nn.Module):
    """Dense, LayerNorm, gelu, summed."""

    @nn.compact
    def __call__(self, x):
        h = nn.LayerNorm(param_dtype=jnp.float64)(Dense(2 * x.shape[-1])(x))
        return jnp.sum(nn.gelu(h), axis=-1)


class Embedded(nn.Module):
    """An embedding of each site's local state (`n` of them), flattened, then Dense and
    tanh."""

    n: int = 2

    @nn.compact
    def __call__(self, x):
        idx = jnp.asarray(x, jnp.int32)
        idx = (idx + 1) // 2 if self.n == 2 else jnp.clip(idx, 0, self.n - 1)
        e = nn.Embed(self.n, 8, param_dtype=jnp.float64)(idx)
        return jnp.sum(jnp.tanh(Dense(16)(e.reshape(*e.shape[:-2], -1))), axis=-1)


class OneHot(nn.Module):
    """One-hot occupations (bosons, 4 local states), Dense, softplus."""

    @nn.compact
    def __call__(self, x):
        oh = jax.nn.one_hot(x, 4)
        return jnp.sum(nn.softplus(Dense(24)(oh.reshape(*oh.shape[:-2], -1))), axis=-1)


class Squared(nn.Module):
    """A non-linear map of each site first (`x^2 + x`), then Dense and gelu."""

    @nn.compact
    def __call__(self, x):
        return jnp.sum(nn.gelu(Dense(32)(x**2 + x)), axis=-1)


class TwoBranch(nn.Module):
    """`tanh(Dense(x)) * cos(Dense(x))` summed, plus a Jastrow term `x W x`."""

    @nn.compact
    def __call__(self, x):
        a, b = Dense(16)(x), Dense(16, use_bias=False)(x)
        w = self.param("w", nn.initializers.normal(0.05), (x.shape[-1],) * 2, jnp.float64)
        return jnp.sum(jnp.tanh(a) * jnp.cos(b), axis=-1) + jnp.einsum("...i,ij,...j", x, w, x)


class Attention(nn.Module):
    """A per-site embedding with positions, self-attention, mean, Dense, gelu."""

    @nn.compact
    def __call__(self, x):
        e = Dense(8)(x[..., None])
        e = e + self.param("pos", nn.initializers.normal(0.1), e.shape[-2:], jnp.float64)
        attention = nn.MultiHeadDotProductAttention(
            num_heads=2, qkv_features=8, param_dtype=jnp.float64
        )
        return jnp.sum(nn.gelu(Dense(8)(attention(e, e).mean(-2))), axis=-1)


class Phase(nn.Module):
    """Real parameters, a complex output: `log_sigmoid` amplitudes, a `sin` phase."""

    @nn.compact
    def __call__(self, x):
        amplitude = jnp.sum(nn.log_sigmoid(Dense(16)(x)), axis=-1)
        return amplitude + 1j * jnp.sum(jnp.sin(Dense(8)(x)), axis=-1)


class Remat(nn.Module):
    """A first layer inside `nn.remat`, gelu, Dense(1)."""

    @nn.compact
    def __call__(self, x):
        h = nn.gelu(nn.remat(nn.Dense)(24, param_dtype=jnp.float64)(x))
        return Dense(1)(h)[..., 0]


class BatchStats(nn.Module):
    """BatchNorm with running averages: a second variable collection."""

    @nn.compact
    def __call__(self, x):
        h = nn.BatchNorm(use_running_average=True, param_dtype=jnp.float64)(Dense(16)(x))
        return jnp.sum(nn.gelu(h), axis=-1)


class Vmapped(nn.Module):
    """A per-sample function under `jax.vmap`."""

    @nn.compact
    def __call__(self, x):
        w = self.param("w", nn.initializers.normal(0.1), (16, x.shape[-1]), jnp.float64)
        b = self.param("b", nn.initializers.normal(0.1), (16,), jnp.float64)
        flat = x.reshape(-1, x.shape[-1])
        return jax.vmap(lambda v: jnp.sum(jnp.tanh(w @ v + b)))(flat).reshape(x.shape[:-1])


class Symmetrised(nn.Module):
    """One Dense on x rolled by 0-3 sites, log-sum-exp over the rolls."""

    @nn.compact
    def __call__(self, x):
        dense = Dense(8)
        rolls = [jnp.sum(nn.gelu(dense(jnp.roll(x, t, axis=-1))), -1) for t in range(4)]
        return jax.nn.logsumexp(jnp.stack(rolls, -1), axis=-1)


class ComplexDense(nn.Module):
    """Complex weights on a real input, complex tanh."""

    @nn.compact
    def __call__(self, x):
        return jnp.sum(jnp.tanh(nn.Dense(16, param_dtype=jnp.complex128)(x)), axis=-1)


NETWORKS = {
    "layernorm": LayerNormed,
    "embed": Embedded,
    "onehot": OneHot,
    "squared": Squared,
    "twobranch": TwoBranch,
    "attention": Attention,
    "phase": Phase,
    "remat": Remat,
    "batchstats": BatchStats,
    "vmapped": Vmapped,
    "symmetrised": Symmetrised,
    "cdense": ComplexDense,
}
BOSONS_ONLY = {"onehot"}


def moved(params, key=3):
    """The parameters moved away from their initialisation."""
    leaves, tree = jax.tree_util.tree_flatten(params)
    keys = jax.random.split(jax.random.key(key), len(leaves))
    return jax.tree_util.tree_unflatten(
        tree,
        [p + 0.1 * jax.random.normal(k, p.shape, p.dtype) for p, k in zip(leaves, keys)],
    )


def run(model: str, network: str, args) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hi, ours, ref, sampler = an.build(model, args.chains)
        kwargs = {"n": len(hi.local_states)} if network == "embed" else {}
        net = NETWORKS[network](**kwargs)
        vs = nk.vqs.MCState(sampler, net, n_samples=args.samples, seed=1)
        vs.sample()
        vs.parameters = moved(vs.parameters)
    x = vs.samples.reshape(-1, hi.size)
    plan = local_energy_plan(ours)
    path = choose_path(vs._apply_fun, vs.variables, x, ours, plan, padded=True)
    fns = {
        "symir": lambda: expect_and_grad(vs, ours),
        "packed": lambda: expect_and_grad(vs, ref, packed=True),
        "netket": lambda: expect_and_grad(vs, ref),
    }
    try:
        an.assert_equal(an.one_at_a_time(fns), "netket")
        same = "EQUAL"
    except AssertionError as error:
        same = f"DIFFERENT {error}"
    why = str(path).splitlines()[0]
    print(f"{model}:{network} {same} | {why[:160]}", flush=True)
    if args.time:
        cpu: dict = {}
        wall = an.timed(fns, args.rounds, cpu)
        print(
            f"| {model} | {network} | {cpu['symir']:.1f} / {cpu['packed']:.1f} / "
            f"{cpu['netket']:.1f} | {cpu['symir'] / cpu['packed']:.2f} "
            f"({wall['symir'] / wall['packed']:.2f}) |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pairs", nargs="*", help="model:network, or models with --all")
    parser.add_argument("--all", action="store_true", help="every network on each model")
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--chains", type=int, default=16)
    parser.add_argument("--time", action="store_true")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    pairs = []
    for item in args.pairs:
        if args.all:
            bosons = an.MODELS[item][0] == "bose_hubbard"
            pairs += [(item, n) for n in NETWORKS if bosons or n not in BOSONS_ONLY]
        else:
            pairs.append(tuple(item.split(":")))
    if args.time:
        print("| model | network | expect_and_grad CPU ms symir / packed / netket | ratio (wall) |")
        print("|---|---|---|---|")
    for model, network in pairs:
        run(model, network, args)


if __name__ == "__main__":
    main()
