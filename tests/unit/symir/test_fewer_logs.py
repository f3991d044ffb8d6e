"""`symir.runtime.fewer_logs`: sums of `log1p` taken as logarithms of products, in the
sampler's incremental step and the derived local energies."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symir as sym
from symir import models
from symir.runtime import network_split as ns
from symir.runtime.fewer_logs import FewerLogs, fewer_logs, log_of_products
from symir.testing import local_energies

nk = pytest.importorskip("netket")

HI8 = nk.hilbert.Spin(0.5, 8)


def _params(net, n, seed=0, scale=None):
    params = jax.jit(net.init)(jax.random.PRNGKey(seed), np.ones((1, n)))
    if scale is not None:  # a less flat distribution
        params = jax.tree_util.tree_map(lambda p: scale * p, params)
    return params


class UserRBM(nn.Module):
    """A user's RBM as flax writes it: Dense, NetKet's `log_cosh`, a sum."""

    @nn.compact
    def __call__(self, x):
        h = nn.Dense(2 * x.shape[-1], param_dtype=float)(x)
        return jnp.sum(nk.nn.activation.log_cosh(h), axis=-1)


def test_sums_of_log1p_taken_as_logarithms_of_products():
    """`FewerLogs`: an RBM's `log_cosh` summed over the hidden units with one logarithm
    per block of factors (equal to the network within rounding); a `log1p` read
    elsewhere stays; factors whose product is not a normal number take `log1p` per
    element."""
    net = nk.models.RBM(alpha=1, param_dtype=float)
    x = jnp.asarray(HI8.random_state(jax.random.PRNGKey(0), 4))
    params = _params(net, 8, scale=8.0)
    closed = jax.make_jaxpr(net.apply)(params, x)
    fewer = FewerLogs(closed)
    assert len(fewer.rewrites) == 1

    def shared(y):  # the log1p's value is also returned: no rewrite
        t = jnp.log1p(y)
        return jnp.sum(t + 1.0, axis=1), t

    y = jnp.asarray([[1e200, 1e200, 3.0], [0.5, 0.1, 0.2]])
    assert not FewerLogs(jax.make_jaxpr(shared)(y)).rewrites

    @jax.jit
    def values(params, x, y):
        (log_psi,) = fewer(*jax.tree_util.tree_leaves((params, x)))
        logs = log_of_products
        return log_psi, net.apply(params, x), logs(y, (1,)), logs(y[1:], (1,))

    got, expected, overflowing, normal = values(params, x, y)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    sums = np.log1p(np.asarray(y)).sum(axis=1)
    np.testing.assert_allclose(overflowing, sums, rtol=1e-15)
    np.testing.assert_allclose(normal, sums[1:], rtol=1e-15)


def test_single_precision_keeps_its_logarithms():
    """A float32 RBM's sum of `log1p` stays a sum of logarithms: as products its local
    energies were 3x less accurate than NetKet's (sweep 9), where float64 and complex128
    are rewritten."""
    x = jnp.asarray(HI8.random_state(jax.random.PRNGKey(0), 4))
    for dtype, rewritten in ((jnp.float32, 0), (jnp.complex64, 0), (float, 1), (complex, 1)):
        net = nk.models.RBM(alpha=1, param_dtype=dtype)
        params = net.init(jax.random.PRNGKey(1), x)
        assert len(FewerLogs(jax.make_jaxpr(net.apply)(params, x)).rewrites) == rewritten, dtype


def test_derived_local_energies_take_the_rests_logs_as_products():
    """The derived local energies of a network NetKet has no adapter for (a user's RBM)
    evaluate its rest with one logarithm per block of hidden units (`fewer_logs`: the
    rest's program has the rewrite), and equal NetKet's local energies to 1e-10."""
    hi = nk.hilbert.Spin(0.5, 10)
    graph = nk.graph.Chain(10)
    op = models.heisenberg(hi, graph).compile()
    ref = nk.operator.Heisenberg(hi, graph)
    ma = UserRBM()
    x = jnp.asarray(hi.random_state(jax.random.key(0), 32), jnp.float64)
    params = _params(ma, 10, seed=1, scale=3.0)
    split = ns.split_network(ma.apply, params, x)
    assert split.applies, split.reason
    consts = ns.constants(split, params)
    cached = ns.theta(split, consts, x)
    closed = jax.make_jaxpr(lambda c, v: ns.rest(split, c, v))(consts, cached)
    assert len(FewerLogs(closed).rewrites) == 1
    wrapped = fewer_logs(lambda c, v: ns.rest(split, c, v))(consts, cached)
    np.testing.assert_allclose(wrapped, ma.apply(params, x), rtol=0, atol=1e-12)

    def energies(p, x):
        return sym.local_energies(ma.apply, p, x, op, fast_updates=True)

    got = jax.jit(energies)(params, x)  # one compilation, not one per primitive
    program = jax.make_jaxpr(energies)(params, x)
    assert "reduce_prod" in str(program)  # the products of 1 + y, one log per block
    expected = local_energies(ma.apply, params, x, ref)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


def test_softplus_without_its_nan_select_has_the_same_values_and_derivatives():
    """`jax.nn.softplus` (`logaddexp(x, 0)`, inside a `jit` call) is evaluated without its
    NaN select, its `log1p` then summed as a logarithm of products: the same values at
    NaN, infinities and huge arguments, the same derivative (1/2 at 0 included)."""

    def net(h):
        return jnp.sum(jax.nn.softplus(h), axis=-1), jax.nn.softplus(h)

    h = jnp.asarray(np.random.default_rng(0).normal(size=(6, 40)) * 30)
    h = h.at[0, 0].set(jnp.inf).at[1, 0].set(-jnp.inf).at[2, 0].set(jnp.nan).at[3, :].set(0.0)
    fewer = FewerLogs(jax.make_jaxpr(net)(h))
    assert len(fewer.rewrites) == 1
    assert "custom_jvp_call" not in str(fewer.closed)
    (total, each), (total_ref, each_ref) = fewer(h), net(h)
    np.testing.assert_array_equal(np.isnan(each), np.isnan(each_ref))
    np.testing.assert_allclose(each, each_ref, rtol=1e-15, atol=0)
    np.testing.assert_allclose(total, total_ref, rtol=1e-14, atol=0)
    finite = h[3:]
    grad = jax.grad(lambda h: jnp.sum(fewer_logs(net)(h)[0]))(finite)
    grad_ref = jax.grad(lambda h: jnp.sum(net(h)[0]))(finite)
    np.testing.assert_allclose(grad, grad_ref, rtol=1e-14, atol=1e-300)
    assert float(grad[0, 0]) == 0.5


class ComplexUserRBM(nn.Module):
    """A user's RBM with complex parameters: Dense, NetKet's `log_cosh`, a sum."""

    @nn.compact
    def __call__(self, x):
        h = nn.Dense(2 * x.shape[-1], param_dtype=complex)(x)
        return jnp.sum(nk.nn.activation.log_cosh(h), axis=-1)


def test_complex_sums_of_log1p_are_logarithms_of_products_up_to_the_phases_branch():
    """A complex `log_cosh` summed: one logarithm per block too; the value's real part and
    `exp` of it equal the network's (the imaginary part may move by a multiple of 2 pi,
    the logarithm's branch), and the derived local energies equal NetKet's to 1e-10."""
    hi = nk.hilbert.Spin(0.5, 8)
    graph = nk.graph.Chain(8)
    ma = ComplexUserRBM()
    x = jnp.asarray(hi.random_state(jax.random.key(3), 32), jnp.float64)
    params = _params(ma, 8, seed=2, scale=4.0)
    fewer = FewerLogs(jax.make_jaxpr(ma.apply)(params, x))
    assert len(fewer.rewrites) == 1
    (got,) = jax.jit(fewer)(*jax.tree_util.tree_leaves((params, x)))
    expected = ma.apply(params, x)
    np.testing.assert_allclose(got.real, expected.real, rtol=0, atol=1e-12)
    np.testing.assert_allclose(jnp.exp(got - expected), 1.0, rtol=0, atol=1e-12)
    op = models.heisenberg(hi, graph).compile()
    ref = nk.operator.Heisenberg(hi, graph)
    energies = jax.jit(lambda p, x: sym.local_energies(ma.apply, p, x, op, fast_updates=True))
    reference = local_energies(ma.apply, params, x, ref)
    np.testing.assert_allclose(energies(params, x), reference, rtol=1e-10, atol=1e-10)
