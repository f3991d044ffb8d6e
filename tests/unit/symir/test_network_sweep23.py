"""Sweep 23: networks written as a user writes flax modules, against NetKet's own operator.

The reference: NetKet's operator of the same model, its local energies
(`symir.testing.local_energies`: the network on every connected state of its
`get_conn_padded`) and `vstate.expect_and_grad` with NetKet's default kernel, at 1e-10.
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symir as sym
from symir import models
from symir.integrations import netket_measured
from symir.runtime.local_energy import choose_path, local_energy_plan
from symir.runtime.network_split import split_network
from symir.testing import local_energies

nk = pytest.importorskip("netket")

RTOL = 1e-10


class RolledStack(nn.Module):
    """Every rolled copy of x stacked (`jnp.stack`), one Dense shared by the copies."""

    @nn.compact
    def __call__(self, x):
        xs = jnp.stack([jnp.roll(x, k, axis=-1) for k in range(x.shape[-1])], -2)
        return jnp.sum(jnp.tanh(nn.Dense(4, param_dtype=float)(xs)), (-1, -2))


class SplitHalves(nn.Module):
    """x split in two halves (`jnp.split`), a Dense of each, their product."""

    @nn.compact
    def __call__(self, x):
        a, b = jnp.split(x, 2, axis=-1)
        h = nn.Dense(4, param_dtype=float)(a) * nn.Dense(4, param_dtype=float)(b)
        return jnp.sum(h, -1)


class Tiled(nn.Module):
    """x tiled twice (`jnp.tile`), a Dense, tanh."""

    @nn.compact
    def __call__(self, x):
        return jnp.sum(jnp.tanh(nn.Dense(6, param_dtype=float)(jnp.tile(x, 2))), -1)


class Pooled(nn.Module):
    """x averaged over windows of three sites (`nn.avg_pool`: `reduce_window_sum`), a
    Dense, tanh."""

    @nn.compact
    def __call__(self, x):
        h = nn.avg_pool(x[..., None].astype(float), (3,), strides=(1,), padding="SAME")
        return jnp.sum(jnp.tanh(nn.Dense(4, param_dtype=float)(h[..., 0])), -1)


@pytest.fixture(scope="module")
def heisenberg():
    hi = nk.hilbert.Spin(0.5, 12, total_sz=0)
    graph = nk.graph.Chain(12)
    return hi, graph, models.heisenberg(hi, graph).compile(), nk.operator.Heisenberg(hi, graph)


def _splits_and_equals_netkets(ma, heisenberg, seed):
    """The network `ma` splits on 32 random states, and its derived local energies
    (`fast_updates=True`) are NetKet's; keys `seed` (states) and `seed + 1` (parameters)."""
    hi, _, op, ref = heisenberg
    x = jnp.asarray(hi.random_state(jax.random.key(seed), 32), jnp.float64)
    params = jax.jit(ma.init)(jax.random.key(seed + 1), x)
    split = split_network(ma.apply, params, x)
    assert split.applies, split.reason
    got = jax.jit(lambda p, x: sym.local_energies(ma.apply, p, x, op, fast_updates=True))(params, x)
    np.testing.assert_allclose(got, local_energies(ma.apply, params, x, ref), rtol=RTOL, atol=RTOL)


@pytest.mark.parametrize("network", [RolledStack, SplitHalves, Tiled])
def test_stack_tile_and_split_of_x_before_the_first_dense_split(heisenberg, network):
    """JAX 0.10 binds primitives of their own for `jnp.stack`, `jnp.tile` and `jnp.split`:
    the split did not know them, and such a network fell back, its reason calling `stack`
    a non-linear operation. They move elements like `concatenate`: the network splits,
    and its derived local energies are NetKet's."""
    _splits_and_equals_netkets(network(), heisenberg, seed=0)


def test_rolled_stack_expect_and_grad_equals_netkets(heisenberg):
    """`vstate.expect_and_grad` through the derived path, fixed samples, against NetKet's
    operator with its default kernel."""
    hi, graph, op, ref = heisenberg
    sampler = nk.sampler.MetropolisExchange(hi, graph=graph, n_chains=8)
    vs = nk.vqs.MCState(sampler, RolledStack(), n_samples=128, seed=0, sampler_seed=1)
    vs.n_discard_per_chain = vs.chain_length  # one compiled chain (its length is static)
    vs.sample()
    x = vs.samples.reshape(-1, hi.size)
    path = choose_path(vs._apply_fun, vs.variables, x, op, local_energy_plan(op), required=True)
    assert path.name == "derived", path.reason
    nk.config.netket_experimental_packed_kernel = False
    e_ref, g_ref = vs.expect_and_grad(ref.to_jax_operator())
    was = netket_measured._ON[0]
    netket_measured.set_measured_choice(False)  # symir's kernel, unmeasured
    try:
        e, g = vs.expect_and_grad(op.to_netket(hi))
    finally:
        netket_measured.set_measured_choice(was)  # (the tests run with it off)
    np.testing.assert_allclose(e.mean, e_ref.mean, rtol=RTOL, atol=RTOL)
    for a, b in zip(jax.tree_util.tree_leaves(g), jax.tree_util.tree_leaves(g_ref), strict=True):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=RTOL)


def test_a_pooling_of_x_before_the_first_dense_splits(heisenberg):
    """`nn.avg_pool` of x is a sum over windows of sites (`reduce_window_sum`), separable
    like `cumsum`: the split did not know it, and such a network fell back, its reason
    calling the pooling a non-linear operation. Now it splits, its derived local
    energies NetKet's."""
    _splits_and_equals_netkets(Pooled(), heisenberg, seed=2)
