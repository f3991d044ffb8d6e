"""`symir.runtime.fast_logs`: float64 `log` and `log1p` written as arithmetic XLA
vectorises, and their place in the network rewrites (`FewerLogs`)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symir as sym
from symir import models
from symir.runtime import fast_logs
from symir.runtime.fewer_logs import FewerLogs, fewer_logs
from symir.testing import local_energies

nk = pytest.importorskip("netket")

RNG = np.random.default_rng(7)
POSITIVE = np.concatenate(
    [
        RNG.uniform(0, 1, 20000),
        RNG.uniform(0.5, 2, 20000),
        np.exp(RNG.uniform(-708, 709, 20000)),
        1 + RNG.normal(size=5000) * 1e-9,
    ]
)
SPECIALS = np.asarray(
    [
        0.0,
        -0.0,
        5e-324,
        np.finfo(float).tiny,
        1.0,
        -1.0,
        -2.0,
        np.inf,
        -np.inf,
        np.nan,
        np.nextafter(-1.0, 0.0),
        1e308,
        -1e-300,
        1e-300,
    ]
)


def _ulps(got, expected):
    finite = np.isfinite(expected) & (expected != 0)
    return np.abs(got[finite] - expected[finite]) / np.spacing(np.abs(expected[finite]))


@pytest.mark.parametrize(
    "name, inputs",
    [
        ("log", POSITIVE),
        (
            "log1p",
            np.concatenate(
                [
                    POSITIVE,
                    -RNG.uniform(0, 1, 20000),
                    RNG.normal(size=5000) * 1e-12,
                    np.exp(RNG.uniform(-700, -30, 5000)) * RNG.choice([-1, 1], 5000),
                ]
            ),
        ),
    ],
)
def test_within_two_ulps_and_the_same_special_values_and_derivatives(name, inputs):
    """Within 2 ulps of NumPy's `log` / `log1p` over the float64 range (tiny arguments
    of `log1p` keep their digits); zeros, subnormals (flushed by XLA's CPU), negative
    arguments, infinities and NaN as `jnp`'s; derivatives `1/u` and `1/(1 + y)`."""
    ours, xla, numpy = getattr(fast_logs, name), getattr(jnp, name), getattr(np, name)
    got = np.asarray(jax.jit(ours)(jnp.asarray(inputs)))
    assert _ulps(got, numpy(inputs)).max() <= 2
    special, expected = jax.jit(ours)(SPECIALS), jax.jit(xla)(SPECIALS)
    np.testing.assert_array_equal(np.asarray(special), np.asarray(expected))
    points = jnp.asarray([1e-5, 0.3, 2.0, 1e3])
    grads = [jax.grad(lambda v, f=f: jnp.sum(f(v)))(points) for f in (ours, xla)]
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-15)


def test_only_float64_logarithms_are_replaced():
    """`replaces`: a float64 `log` or `log1p`; not float32 (XLA vectorises those), not
    complex, not other primitives."""

    def eqn_of(f, x):
        return jax.make_jaxpr(f)(x).jaxpr.eqns[0]

    real = jnp.ones(3)
    assert fast_logs.replaces(eqn_of(jnp.log, real)) is not None
    assert fast_logs.replaces(eqn_of(jnp.log1p, real)) is not None
    assert fast_logs.replaces(eqn_of(jnp.log, real.astype(jnp.float32))) is None
    assert fast_logs.replaces(eqn_of(jnp.log, real.astype(complex))) is None
    assert fast_logs.replaces(eqn_of(jnp.exp, real)) is None


def test_a_log_cosh_networks_rest_and_local_energies():
    """NetKet's MLP with `log_cosh` activations (its `log1p` not summed: the output
    layer weighs it): `FewerLogs` evaluates the logarithms by `fast_logs` on CPU (the
    program picks by platform) with the network's values to 1e-13; the derived local
    energies equal NetKet's operator's to 1e-10."""
    hi = nk.hilbert.Spin(0.5, 8)
    graph = nk.graph.Chain(8)
    net = nk.models.MLP(
        hidden_dims=(16,), hidden_activations=nk.nn.activation.log_cosh, param_dtype=float
    )
    x = jnp.asarray(hi.random_state(jax.random.key(0), 24))
    params = jax.jit(net.init)(jax.random.key(1), x)
    params = jax.tree.map(lambda p: 3.0 * p, params)
    closed = jax.make_jaxpr(net.apply)(params, x)
    assert not FewerLogs(closed).rewrites  # nothing summed as products here
    program = str(jax.make_jaxpr(fewer_logs(net.apply))(params, x))
    assert "platform_index" in program and "bitcast_convert_type" in program
    np.testing.assert_allclose(
        jax.jit(fewer_logs(net.apply))(params, x), net.apply(params, x), rtol=0, atol=1e-13
    )
    op = models.heisenberg(hi, graph).compile()
    ref = nk.operator.Heisenberg(hi, graph)
    got = sym.local_energies(net.apply, params, x, op, fast_updates=True)
    expected = local_energies(net.apply, params, x, ref)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


def test_every_path_evaluates_the_network_through_fewer_logs():
    """Without fast updates (the plain and padded evaluations), `local_energies`
    evaluates the whole network through `fewer_logs` too (its logarithms vectorised on
    CPU), equal to NetKet's operator's local energies."""
    hi = nk.hilbert.Spin(0.5, 8)
    graph = nk.graph.Chain(8)
    net = nk.models.MLP(
        hidden_dims=(16,), hidden_activations=nk.nn.activation.log_cosh, param_dtype=float
    )
    x = jnp.asarray(hi.random_state(jax.random.key(4), 24))
    params = jax.jit(net.init)(jax.random.key(5), x)
    op = models.tfim(hi, graph, h=0.8).compile()
    ref = nk.operator.IsingJax(hi, graph, h=0.8, J=1.0)
    expected = local_energies(net.apply, params, x, ref)

    for states in ("padded", "deltas"):
        program = str(
            jax.make_jaxpr(
                lambda p, s, states=states: sym.local_energies(
                    net.apply, p, s, op, connected_states=states
                )
            )(params, x)
        )
        assert "platform_index" in program, states
        got = sym.local_energies(net.apply, params, x, op, connected_states=states)
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)
