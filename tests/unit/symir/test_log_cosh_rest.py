"""A split network's rest recognised as a log-cosh sum (`symir/runtime/log_cosh_rest.py`).

The derived path evaluates such a rest by cosh-ratio tables (`fast_updates.
_derived_cosh_ratio`), derived from the program: a user's flax RBM with a visible bias,
NetKet's `RBMSymm`, a complex module, a Fock space (local states 0..3). Reference: the
plain evaluation (NetKet's operator, the network on every connected state) at 1e-10,
values and gradients (reverse mode through `local_energies`, and NetKet's
`expect_and_grad`). Near misses fall back with a reason and stay exact.
"""

from __future__ import annotations

import warnings

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symir as sym
from symir import models
from symir.runtime import fast_updates
from symir.runtime.network_split import split_network
from symir.testing import local_energies

nk = pytest.importorskip("netket")

RTOL = 1e-10


class UserRBM(nn.Module):
    """A user's RBM: Dense, NetKet's `log_cosh`, a sum, and a visible bias."""

    param_dtype: type = float

    @nn.compact
    def __call__(self, x):
        h = nn.Dense(2 * x.shape[-1], param_dtype=self.param_dtype)(x)
        a = self.param("a", nn.initializers.normal(0.1), (x.shape[-1],), self.param_dtype)
        return jnp.sum(nk.nn.activation.log_cosh(h), axis=-1) + x @ a


class SquaredLogCosh(nn.Module):
    """A near miss: the log-cosh values squared before the sum."""

    @nn.compact
    def __call__(self, x):
        h = nn.Dense(x.shape[-1], param_dtype=float)(x)
        return jnp.sum(nk.nn.activation.log_cosh(h) ** 2, axis=-1)


@jax.jit
def log_cosh(h):
    """Named log_cosh, a jit call: `|h| - log 2`, its asymptote, not log cosh."""
    return jnp.abs(h) - jnp.log(2.0)


class FalseLogCosh(nn.Module):
    """A near miss: a function named `log_cosh` that is not log cosh."""

    @nn.compact
    def __call__(self, x):
        h = nn.Dense(x.shape[-1], param_dtype=float)(x)
        return jnp.sum(log_cosh(h), axis=-1)


class LogCoshOfTanh(nn.Module):
    """A near miss: `log_cosh` of a value that is not affine in the cached values."""

    @nn.compact
    def __call__(self, x):
        h = jnp.tanh(nn.Dense(x.shape[-1], param_dtype=float)(x))
        return jnp.sum(nk.nn.activation.log_cosh(h), axis=-1)


class ClippedLogCosh(nn.Module):
    """A near miss: `log_cosh` of its input clipped at +-500, log cosh up to 500 (the
    test points once stopped at 400: sweep 11)."""

    @nn.compact
    def __call__(self, x):
        h = nn.Dense(x.shape[-1], param_dtype=float)(x)
        return jnp.sum(nk.nn.activation.log_cosh(jnp.clip(h, -500, 500)), axis=-1)


class SlopedLogCosh(nn.Module):
    """A near miss: `log_cosh(h) + 8e-12 |h|`, within the tolerance of 1e-11 that the
    check once had (sweep 11)."""

    @nn.compact
    def __call__(self, x):
        h = nn.Dense(x.shape[-1], param_dtype=float)(x)
        return jnp.sum(nk.nn.activation.log_cosh(h) + 8e-12 * jnp.abs(h), axis=-1)


class StraightThroughLogCosh(nn.Module):
    """A near miss: log cosh by its values, the identity by its derivative
    (`h + stop_gradient(log_cosh(h) - h)`): the tables gave log_cosh's gradient."""

    @nn.compact
    def __call__(self, x):
        h = nn.Dense(x.shape[-1], param_dtype=float)(x)
        return jnp.sum(h + jax.lax.stop_gradient(nk.nn.activation.log_cosh(h) - h), axis=-1)


def _quiet(f, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(*args, **kwargs)


@pytest.fixture(scope="module")
def heisenberg():
    hi = nk.hilbert.Spin(0.5, 10)
    graph = nk.graph.Chain(10)
    ref = _set_up(nk.operator.Heisenberg(hi, graph).to_jax_operator(), hi)
    return hi, graph, models.heisenberg(hi, graph).compile(), ref


def _set_up(ref, hi):
    """NetKet's operator set up outside any trace (it sets itself up on first use: inside
    a `jit`, its arrays would be the trace's)."""
    ref.get_conn_padded(jnp.asarray(hi.random_state(jax.random.key(99), 1)))
    return ref


def _variables(ma, x, seed):
    """Variables moved off the small initialisation (every term matters at 1e-10)."""
    v = jax.jit(ma.init)(jax.random.key(seed), x[:1])
    leaves, tree = jax.tree.flatten(v)
    keys = jax.random.split(jax.random.key(seed + 1), len(leaves))
    moved = [a + 0.2 * jax.random.normal(k, a.shape, a.dtype) for a, k in zip(leaves, keys)]
    return jax.tree.unflatten(tree, moved)


def _recognised(ma, hi, seed):
    """64 samples of `hi`, the variables of `ma` moved off their initialisation, and the
    split of `ma`, whose rest must be recognised as a log-cosh sum."""
    x = jnp.asarray(hi.random_state(jax.random.key(seed), 64), jnp.float64)
    params = _variables(ma, x, seed + 1)
    split = split_network(ma.apply, params, x)
    assert split.log_cosh is not None, str(split)
    return x, params, split


def _rows_by_tables(monkeypatch) -> list:
    """Records each trace of the cosh-ratio tables' chunk function."""
    calls = []
    original = fast_updates._cosh_of_rows

    def counted(*args):
        calls.append(args[0])
        return original(*args)

    monkeypatch.setattr(fast_updates, "_cosh_of_rows", counted)
    return calls


def _loss(e):
    return jnp.sum(jnp.abs(e - jnp.mean(e)) ** 2)


def _exact(ma, params, x, ours, ref, monkeypatch, *, grad=True):
    """`local_energies` by the derived path (`fast_updates=True`) through the cosh-ratio
    tables equal the plain evaluation (the network on every connected state of NetKet's
    operator, `symir.testing.local_energies`) at 1e-10: the energies and, with `grad`,
    the gradient of a loss of them (reverse mode through `local_energies`), each way in
    one compiled program."""
    calls = _rows_by_tables(monkeypatch)

    def fast(p):
        e = sym.local_energies(ma.apply, p, x, ours, fast_updates=True)
        return _loss(e), e

    def plain(p):
        e = local_energies(ma.apply, p, x, ref)
        return _loss(e), e

    if grad:
        (_, got), g_fast = jax.jit(jax.value_and_grad(fast, has_aux=True))(params)
        (_, expected), g_plain = jax.jit(jax.value_and_grad(plain, has_aux=True))(params)
    else:
        got, expected = jax.jit(lambda p: fast(p)[1])(params), plain(params)[1]
    scale = float(np.max(np.abs(expected)))
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=RTOL * scale)
    assert calls, "the cosh-ratio tables were not used"
    if grad:  # (a zero gradient, as of a visible bias under a conserved sum(x): noise)
        scale = max(float(np.max(np.abs(b))) for b in jax.tree.leaves(g_plain))
        for a, b in zip(jax.tree.leaves(g_fast), jax.tree.leaves(g_plain), strict=True):
            np.testing.assert_allclose(a, b, rtol=RTOL, atol=RTOL * scale)


def test_a_users_rbm_with_a_visible_bias_takes_the_cosh_tables(heisenberg, monkeypatch):
    """Dense, `nk.nn.log_cosh`, a sum, plus `x . a`: no adapter knows it; the split says
    its rest is a log-cosh sum with one linear term, and the energies and gradients
    equal the plain evaluation."""
    hi, _, ours, ref = heisenberg
    ma = UserRBM()
    x, params, split = _recognised(ma, hi, 0)
    assert "rest is a log-cosh sum (20 columns x 1; 1 linear term(s))" in str(split)
    _exact(ma, params, x, ours, ref, monkeypatch)


def test_rbm_symm_takes_the_cosh_tables(heisenberg, monkeypatch):
    """NetKet's `RBMSymm` (a symmetrised Dense, `log_cosh`, a sum over the symmetries and
    features after a reshape, a visible bias `sum(x) a`): the cosh-ratio tables, values
    and gradients exact. (NetKet's `expect_and_grad` through the tables, with its RBMs:
    tests/unit/symir/test_local_energy.py.)"""
    hi, graph, ours, ref = heisenberg
    ma = nk.models.RBMSymm(graph.translation_group(), alpha=2, param_dtype=float)
    x, params, split = _recognised(ma, hi, 2)
    assert "rest is a log-cosh sum (20 columns x 1; 1 linear term(s))" in str(split)
    _exact(ma, params, x, ours, ref, monkeypatch)


def test_a_complex_users_rbm_takes_the_cosh_tables(heisenberg, monkeypatch):
    """Complex parameters: complex columns (the sign trick on their real parts, the
    phase modulo 2 pi), values and gradients exact."""
    hi, _, ours, ref = heisenberg
    ma = UserRBM(param_dtype=complex)
    x, params, split = _recognised(ma, hi, 4)
    assert split.log_cosh.theta_dtype == jnp.complex128
    _exact(ma, params, x, ours, ref, monkeypatch)


def test_a_fock_space_takes_the_cosh_tables(monkeypatch):
    """Bose-Hubbard, local states 0..3: the tables hold the change of every pair of
    states of a site (not `dv W`), values and gradients exact."""
    hi = nk.hilbert.Fock(n_max=3, N=6)
    graph = nk.graph.Chain(6)
    ours = models.bose_hubbard(hi, graph, U=2.0, J=1.0).compile()
    ref = _set_up(nk.operator.BoseHubbard(hi, graph, U=2.0, J=1.0).to_jax_operator(), hi)
    ma = UserRBM()
    x, params, _ = _recognised(ma, hi, 6)
    _exact(ma, params, x, ours, ref, monkeypatch)


@pytest.mark.parametrize(
    ("ma", "reason"),
    [
        (SquaredLogCosh(), "is not log_cosh"),
        (FalseLogCosh(), "is not log_cosh: at z = 0 it gives -0.693147, log cosh z = 0"),
        (LogCoshOfTanh(), "is not log_cosh"),
        (ClippedLogCosh(), "is not log_cosh: at z = 1000 it gives 499.307"),
        (SlopedLogCosh(), "is not log_cosh"),
        (StraightThroughLogCosh(), "has a stop_gradient"),
    ],
    ids=["squared", "false_log_cosh", "of_tanh", "clipped", "sloped", "straight_through"],
)
def test_near_misses_fall_back_with_a_reason_and_stay_exact(heisenberg, monkeypatch, ma, reason):
    """A log_cosh squared, a function named `log_cosh` that is `|h| - log 2`, a
    `log_cosh` of `tanh` of the cached values, of a clipped value, plus a tiny slope,
    with a `stop_gradient`: the split still applies, its rest is evaluated as written
    (the reason in `str(split)`), exact."""
    hi, _, ours, ref = heisenberg
    x = jnp.asarray(hi.random_state(jax.random.key(8), 64), jnp.float64)
    params = _variables(ma, x, 9)
    split = split_network(ma.apply, params, x)
    assert split.applies and split.log_cosh is None, str(split)
    assert "rest is not a log-cosh sum (" in str(split) and reason in str(split), str(split)
    calls = _rows_by_tables(monkeypatch)
    got = jax.jit(lambda p: sym.local_energies(ma.apply, p, x, ours, fast_updates=True))(params)
    np.testing.assert_allclose(got, local_energies(ma.apply, params, x, ref), rtol=RTOL, atol=RTOL)
    assert not calls


def test_a_straight_through_log_cosh_keeps_its_gradient(heisenberg):
    """`h + stop_gradient(log_cosh(h) - h)` is log cosh by its values: taken for one, the
    tables gave the gradient of a loss of the energies 1.86 (relative) away from the
    plain evaluation's (sweep 11). Now the rest is evaluated as written."""
    hi, _, ours, ref = heisenberg
    ma = StraightThroughLogCosh()
    x = jnp.asarray(hi.random_state(jax.random.key(12), 32), jnp.float64)
    params = _variables(ma, x, 13)

    def loss(p, fast):
        if fast:
            return _loss(sym.local_energies(ma.apply, p, x, ours, fast_updates=True))
        return _loss(local_energies(ma.apply, p, x, ref))

    got = jax.jit(jax.grad(loss), static_argnums=1)(params, True)
    expected = jax.jit(jax.grad(loss), static_argnums=1)(params, False)
    for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(expected), strict=True):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=RTOL * float(np.max(np.abs(b))))


def _ring_rbm(n, hidden, kernel, bias):
    """NetKet's `RBM` on `n` sites with the given weights and no visible bias."""
    ma = nk.models.RBM(alpha=hidden // n, param_dtype=float)
    params = {
        "params": {
            "Dense": {"kernel": jnp.asarray(kernel), "bias": jnp.asarray(bias)},
            "visible_bias": jnp.zeros(n),
        }
    }
    return ma, params


def test_large_weights_leave_the_tables_and_stay_exact():
    """The tables multiply `fast_updates.GROUP` ratios `cosh(theta + d) / cosh(theta)`
    and read `exp(+-E)` per site: with weights whose change of a unit by one flip is
    near 180, a product underflowed to 0 (a connected state's term dropped: E_loc 1.9
    where it is 1.2), and a table entry `exp(720)` times `exp(-720)` gave NaN where two
    sites' changes cancel (sweep 11). Past `COSH_RANGE` each unit's `log_cosh(theta + d)
    - log_cosh(theta)` is taken instead: the plain evaluation's energies and gradient."""
    n, hidden = 4, 12
    hi = nk.hilbert.Spin(0.5, n)
    ring = nk.graph.Chain(n, pbc=True)
    tfim = models.tfim(hi, ring, h=0.7, J=1.0).compile()
    tfim_ref = _set_up(nk.operator.Ising(hi, ring, h=0.7, J=1.0).to_jax_operator(), hi)
    kernel, bias = np.zeros((n, hidden)), np.zeros(hidden)
    kernel[0, :4], bias[:4] = 89.0, 400 - 89.0  # flipping site 0 moves these by -178
    kernel[0, 4:], bias[4:] = -44.5, 400 + 44.5  # and these by +89: the ratio is 1
    ma, params = _ring_rbm(n, hidden, kernel, bias)
    x = jnp.ones((1, n))
    got = jax.jit(lambda p: sym.local_energies(ma.apply, p, x, tfim, fast_updates=True))(params)
    np.testing.assert_allclose(got, [1.2], rtol=1e-12)  # J n - h (the flip of site 0)
    np.testing.assert_allclose(got, local_energies(ma.apply, params, x, tfim_ref), rtol=1e-9)

    heisenberg = models.heisenberg(hi, ring).compile()
    heisenberg_ref = _set_up(nk.operator.Heisenberg(hi, ring).to_jax_operator(), hi)
    kernel = 0.4 * np.random.default_rng(0).normal(size=(n, n))
    kernel[0, 0] = kernel[1, 0] = 360.0  # an exchange of sites 0 and 1 leaves unit 0
    ma, params = _ring_rbm(n, n, kernel, np.array([0.3, -0.2, 0.1, 0.5]))
    x = jnp.asarray([[1.0, -1.0, -1.0, 1.0], [1.0, 1.0, -1.0, -1.0]])
    got = jax.jit(lambda p: sym.local_energies(ma.apply, p, x, heisenberg, fast_updates=True))(
        params
    )
    expected = local_energies(ma.apply, params, x, heisenberg_ref)
    assert np.all(np.isfinite(expected)), expected
    np.testing.assert_allclose(got, expected, rtol=RTOL)
    # the gradient too: the tables out of range are not read, and have no infinity in them
    # (exp(720): a zero cotangent times an infinite derivative was NaN)

    def loss(p, fast):
        if fast:
            return jnp.sum(sym.local_energies(ma.apply, p, x, heisenberg, fast_updates=True) ** 2)
        return jnp.sum(local_energies(ma.apply, p, x, heisenberg_ref) ** 2)

    got = jax.jit(jax.grad(loss), static_argnums=1)(params, True)
    expected = jax.jit(jax.grad(loss), static_argnums=1)(params, False)
    for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(expected), strict=True):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=RTOL * float(np.max(np.abs(b))))
