"""Sweep 27: networks no earlier sweep tried, against NetKet's own operator of the same
model (issue 36): a defect found and fixed, and one compact check per network family
that agreed (NetKet's `GCNN`, `RBMSymm`, `MLP` with other activations, `ARNNDense`,
`Slater2nd` generalized, `MultiSlater2nd`, user modules
with a LayerNorm, a residual connection, a circular convolution, an `nn.Embed`, a
backflow, float32 parameters, a sort), each with the path `choose_path` takes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symir as sym
from symir import models
from symir.runtime.local_energy import choose_path, local_energy_plan
from symir.testing import local_energies

nk = pytest.importorskip("netket")

sys.path.insert(0, str(Path(__file__).resolve().parent))
# `_symir_kernel` (autouse): symir's kernel, unmeasured, as the other sweeps run it
from test_network_sweep24 import _symir_kernel, moved  # noqa: E402, F401

RTOL = 1e-10
F64 = jnp.float64


class SquareRootPhase(nn.Module):
    """A log-cosh amplitude times the square root of a real output `t`, written
    `0.5 log(conj(t))` (`negate`: `0.5 log(-t)`) of `t` made complex: where `t < 0` the
    imaginary part of `t` is `-0` after the `conj` (or the negation), and `log` takes the
    branch `-i pi`."""

    negate: bool = False

    @nn.compact
    def __call__(self, x):
        x = x.astype(F64)
        t = nn.Dense(1, param_dtype=F64)(jnp.tanh(nn.Dense(8, param_dtype=F64)(x)))[..., 0]
        amplitude = jnp.sum(nk.nn.activation.log_cosh(nn.Dense(8, param_dtype=F64)(x)), -1)
        t = t.astype(complex)
        return amplitude + 0.5 * jnp.log(-t if self.negate else jnp.conj(t))


@pytest.mark.parametrize("negate", [False, True])
def test_the_sign_of_a_zero_imaginary_part_after_conj_or_neg(negate):
    """The complex pairs (`complex_pairs`: CPU, every path's network) held the imaginary
    part of `conj(t)` and `-t` for `t` complex with a zero imaginary part as a zero known
    (`+0`), where XLA's is `-0`: `log` of a negative real part then took `+i pi` for
    NetKet's `-i pi`, and `0.5 log` a factor `-1` on psi of those states. The local
    energies of TFIM on a chain of 16 differed from NetKet's by 1.6 (relative) on every
    path; now equal."""
    hi = nk.hilbert.Spin(0.5, 16)
    graph = nk.graph.Chain(16)
    op = models.tfim(hi, graph, h=0.8).compile()
    ref = nk.operator.Ising(hi, graph, h=0.8, J=1.0).to_jax_operator()
    net = SquareRootPhase(negate)
    x = hi.random_state(jax.random.key(0), 32)
    variables = moved(net.init(jax.random.key(1), x))
    assert np.any(np.asarray(net.apply(variables, x)).imag < 0)  # the branch is taken
    expected = local_energies(net.apply, variables, x, ref)
    for fast_updates in ("auto", False):
        got = sym.local_energies(net.apply, variables, x, op, fast_updates=fast_updates)
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=RTOL)


@pytest.mark.parametrize(
    "name",
    [
        "conj",
        "neg",
        "one minus exp",
        "negative times exp",
        "negated product",
        "control",
        "negated over a constant",
        "over a negative constant",
        "power of a negation",
        "select of a negation",
        "tanh of a negation",
        "sum of a negation",
        "matrix product of a negation",
    ],
)
def test_complex_pairs_keep_the_sign_of_a_zero_imaginary_part(name):
    """The branch of `log` at a negative real part follows the sign of a zero imaginary
    part, and `0.5 log` makes the branch a sign of psi. The pairs took `+i pi` where
    XLA's program takes `-i pi` in `conj`, `neg`, `1 - exp(t)` (the constant's zero,
    read inside `jit`, folded away by XLA), `-t / 2`, `(-t)^3`, the select and the
    matrix product of a negation; the others check that the `-0` made now is XLA's:
    `-(s t)` of `s, t < 0` and `1 - t` are `+0`, XLA's complex `tanh` and `exp` give
    `+0` for `-0`, its sum of computed `-0` is `+0`, its quotient by a negative real
    `-0`."""
    from symir.runtime.complex_pairs import complex_pairs

    def c(t):
        return t.astype(complex)

    functions = {
        "conj": lambda t: jnp.conj(c(t)),
        "neg": lambda t: -c(t),
        "one minus exp": lambda t: 1.0 - jnp.exp(c(t)),
        "negative times exp": lambda t: -2.0 * jnp.exp(c(t)),
        "negated product": lambda t: -(c(t) * c(t)[::-1]),
        "control": lambda t: 1.0 - c(t),
        "negated over a constant": lambda t: -c(t) / 2.0,
        "over a negative constant": lambda t: c(t) / -2.0,
        "power of a negation": lambda t: (-c(t)) ** 3,
        "select of a negation": lambda t: jnp.where(t > 0, -c(t), c(t)),
        "tanh of a negation": lambda t: jnp.tanh(-c(t)),
        "sum of a negation": lambda t: jnp.sum(-c(t)) * jnp.ones(2),
        "matrix product of a negation": lambda t: (
            -(c(t) @ jnp.array([[1.0, -2], [0.5, 1], [-1, 0.3], [2, -0.4]]))
        ),
    }

    def fn(t):
        return 0.5 * jnp.log(functions[name](t))

    t = jnp.array([3.0, -2.0, 0.5, -0.7])
    np.testing.assert_allclose(jax.jit(complex_pairs(fn))(t), jax.jit(fn)(t), rtol=1e-13)


# one compact check per network family that agreed with NetKet


class LayerNormResidual(nn.Module):
    """Dense, LayerNorm, and a residual gelu-Dense-tanh block."""

    @nn.compact
    def __call__(self, x):
        h = nn.LayerNorm(param_dtype=F64)(nn.Dense(16, param_dtype=F64)(x))
        h = h + jnp.tanh(nn.Dense(16, param_dtype=F64)(nn.gelu(h)))
        return jnp.sum(h, -1)


class CircularConv(nn.Module):
    """A convolution with circular padding on the chain, silu."""

    @nn.compact
    def __call__(self, x):
        h = nn.Conv(4, (3,), padding="CIRCULAR", param_dtype=F64)(x[..., None].astype(F64))
        return jnp.sum(nn.silu(h), (-1, -2))


class Embedded(nn.Module):
    """`nn.Embed` of the spins (0 or 1), flattened, Dense, tanh."""

    @nn.compact
    def __call__(self, x):
        h = nn.Embed(2, 4, param_dtype=F64)(((x + 1) // 2).astype(jnp.int32))
        h = h.reshape((*h.shape[:-2], -1))
        return jnp.sum(jnp.tanh(nn.Dense(8, param_dtype=F64)(h)), -1)


class Sorted(nn.Module):
    """x sorted before its first Dense: no split."""

    @nn.compact
    def __call__(self, x):
        h = nn.Dense(8, param_dtype=F64)(jnp.sort(x, -1).astype(F64))
        return jnp.sum(jnp.tanh(h), -1)


class Backflow(nn.Module):
    """A Slater determinant of orbitals moved by an MLP of x (backflow): the matrix
    depends on x, so no determinant updates; the first Dense splits."""

    hilbert: object

    @nn.compact
    def __call__(self, x):
        n_sites, n = self.hilbert.size, self.hilbert.n_fermions
        m = self.param("M", nn.initializers.normal(0.5), (n_sites, n), F64)
        h = jnp.tanh(nn.Dense(8, param_dtype=F64)(x.astype(F64)))
        small = nn.initializers.normal(0.1)
        flow = nn.Dense(n_sites * n, param_dtype=F64, kernel_init=small)(h)
        m = m + flow.reshape((*flow.shape[:-1], n_sites, n))
        rows = jax.vmap(lambda s: jnp.nonzero(s, size=n)[0])(x.reshape(-1, n_sites))
        rows = rows.reshape((*x.shape[:-1], n))
        sign, logabs = jnp.linalg.slogdet(jnp.take_along_axis(m, rows[..., None], axis=-2))
        return logabs + jnp.log(sign.astype(complex))


def _state(sampler, network, samples=64):
    vs = nk.vqs.MCState(sampler, network, n_samples=samples, seed=0, sampler_seed=1)
    if not sampler.is_exact:  # a burn-in as long as the chain: one program (the length is
        vs.n_discard_per_chain = vs.chain_length  # static), not NetKet's 5 steps and the chain
    vs.parameters = moved(vs.parameters)
    vs.sample()
    return vs


def _agrees(vs, op, ref, path, rtol=RTOL):
    """`choose_path(required=True)` takes `path` (its reason printable);
    `vstate.expect_and_grad` equals NetKet's operator's, and so does the mean of the
    local energies of that path (`fast_updates=True` for a split or determinant updates:
    on these small spaces `expect` takes the table of every state), relative `rtol`."""
    x = vs.samples.reshape(-1, vs.hilbert.size)
    plan = local_energy_plan(op)
    chosen = choose_path(vs._apply_fun, vs.variables, x, op, plan, required=True)
    assert chosen.name == path, chosen.reason
    assert isinstance(chosen.reason, str) and chosen.reason
    energy, grad = vs.expect_and_grad(op.to_netket(vs.hilbert))
    ref_energy, ref_grad = vs.expect_and_grad(ref)
    assert abs(energy.mean - ref_energy.mean) <= rtol * abs(ref_energy.mean)
    grad_scale = rtol * max(float(jnp.abs(g).max()) for g in jax.tree.leaves(ref_grad))
    for a, b in zip(jax.tree.leaves(grad), jax.tree.leaves(ref_grad), strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=grad_scale)
    fast_updates = path in ("derived", "determinant")
    got = sym.local_energies(vs._apply_fun, vs.variables, x, op, fast_updates=fast_updates)
    assert abs(got.mean() - ref_energy.mean) <= rtol * abs(ref_energy.mean)


def _heisenberg_chain(n=8):
    graph = nk.graph.Chain(n)
    hi = nk.hilbert.Spin(0.5, n, total_sz=0)
    op = models.heisenberg(hi, graph).compile()
    sampler = nk.sampler.MetropolisExchange(hi, graph=graph, n_chains=8)
    return hi, graph, op, nk.operator.Heisenberg(hi, graph).to_jax_operator(), sampler


def _tfim_chain(n=8):
    graph = nk.graph.Chain(n)
    hi = nk.hilbert.Spin(0.5, n)
    op = models.tfim(hi, graph, h=0.7).compile()
    ref = nk.operator.Ising(hi, graph, h=0.7, J=1.0).to_jax_operator()
    return hi, graph, op, ref, nk.sampler.MetropolisLocal(hi, n_chains=8)


@pytest.mark.parametrize("network", ["gcnn", "rbm_symm"])
def test_symmetric_networks_gcnn_and_rbm_symm(network):
    """NetKet's `GCNN` (complex, translations of the chain; FFT first layer) on the
    Heisenberg chain of 8 and `RBMSymm` on the TFIM chain: split, NetKet's values."""
    if network == "gcnn":
        _, graph, op, ref, sampler = _heisenberg_chain()
        net = nk.models.GCNN(symmetries=graph, layers=1, features=2, param_dtype=complex)
    else:
        _, graph, op, ref, sampler = _tfim_chain()
        net = nk.models.RBMSymm(symmetries=graph.translation_group(), alpha=2, param_dtype=F64)
    _agrees(_state(sampler, net), op, ref, "derived")


def test_mlps_with_other_activations():
    """NetKet's `MLP` with `(silu, tanh)` and a `log_cosh` output activation: split,
    NetKet's values (`hidden_dims_alpha` with `relu` agreed too)."""
    _, _, op, ref, sampler = _tfim_chain()
    silu = nk.models.MLP(
        hidden_dims=(10, 8),
        hidden_activations=(jax.nn.silu, jnp.tanh),
        output_activation=nk.nn.activation.log_cosh,
        param_dtype=F64,
    )
    _agrees(_state(sampler, silu), op, ref, "derived")


@pytest.mark.parametrize("network", [LayerNormResidual, CircularConv, Embedded])
def test_user_modules_layer_norm_circular_conv_embed(network):
    """A LayerNorm with a residual block, a circular convolution, an `nn.Embed` first
    layer, on the Heisenberg chain of 8: split, NetKet's values."""
    _, _, op, ref, sampler = _heisenberg_chain()
    _agrees(_state(sampler, network()), op, ref, "derived")


def test_a_sort_first_falls_back_and_says_why():
    """x sorted first: the plain path, NetKet's values; `fast_updates=True` raises one
    line naming the sort."""
    hi, _, op, ref, sampler = _tfim_chain()
    vs = _state(sampler, Sorted())
    _agrees(vs, op, ref, "deltas")
    x = vs.samples.reshape(-1, hi.size)
    with pytest.raises(ValueError, match=r"fast_updates=True.*sort @ ") as error:
        sym.local_energies(vs._apply_fun, vs.variables, x, op, fast_updates=True)
    assert "\n" not in str(error.value)


def test_autoregressive_dense_network():
    """NetKet's `ARNNDense` sampled directly (`ARDirectSampler`): split, NetKet's values."""
    hi, _, op, ref, _ = _tfim_chain()
    network = nk.models.ARNNDense(hilbert=hi, layers=2, features=4, param_dtype=F64)
    _agrees(_state(nk.sampler.ARDirectSampler(hi), network), op, ref, "derived")


def _hubbard(n=4):
    graph = nk.graph.Chain(n)
    hi = nk.hilbert.SpinOrbitalFermions(n, s=0.5, n_fermions_per_spin=(2, 2))
    op = models.fermi_hubbard(hi, graph, U=3.0).compile()
    ref = models.netket_fermi_hubbard(hi, graph, U=3.0).to_jax_operator()
    hops = nk.graph.disjoint_union(graph, graph)
    return hi, op, ref, nk.sampler.MetropolisFermionHop(hi, graph=hops, n_chains=8)


@pytest.mark.parametrize("kind", ["multi", "generalized", "backflow"])
def test_slater_networks_on_fermi_hubbard(kind):
    """`MultiSlater2nd` (2 restricted determinants) and `Slater2nd` generalized (complex)
    by determinant updates, and a backflow (orbitals that depend on x) by the split of
    its first Dense, on Fermi-Hubbard (4 sites, 2 + 2 fermions); `Slater2nd` restricted
    and unrestricted agreed too."""
    hi, op, ref, sampler = _hubbard()
    network = {
        "multi": lambda: nk.models.MultiSlater2nd(hi, n_determinants=2, param_dtype=F64),
        "generalized": lambda: nk.models.Slater2nd(hi, generalized=True, param_dtype=complex),
        "backflow": lambda: Backflow(hi),
    }[kind]()
    _agrees(_state(sampler, network), op, ref, "derived" if kind == "backflow" else "determinant")


def test_float32_parameters_agree_to_float32():
    """float32 parameters (NetKet's `RBM`): every path agrees with NetKet's evaluation to
    float32's rounding, not float64's (symir's paths add and group the network's float32
    operations differently: 2e-7 relative here)."""
    _, _, op, ref, sampler = _heisenberg_chain()
    vs = _state(sampler, nk.models.RBM(alpha=1, param_dtype=jnp.float32))
    _agrees(vs, op, ref, "derived", rtol=1e-5)
