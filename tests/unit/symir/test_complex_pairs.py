"""`symir.runtime.complex_pairs`: a program's complex values carried as pairs of float64
arrays on CPU, with `symir.runtime.fast_trig`'s vectorised `sin`, `cos` and `atan2`."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symir as sym
from symir import models
from symir.runtime import fast_trig, fast_updates, local_energy
from symir.runtime.complex_pairs import applies, complex_pairs
from symir.testing import local_energies

nk = pytest.importorskip("netket")

RNG = np.random.default_rng(11)


def test_sin_cos_and_atan2_within_a_few_ulps_of_numpy():
    y = np.concatenate(
        [
            RNG.uniform(-4, 4, 20000),
            RNG.uniform(-1e5, 1e5, 20000),
            np.pi / 2 * np.arange(-64, 65),  # quadrant boundaries and halfway points
            np.pi / 4 * np.arange(-64, 65),
            [0.0, -0.0, 1e-300, 5e-324, fast_trig.SIN_COS_LIMIT * 0.999],
        ]
    )
    sin, cos = jax.jit(fast_trig.sin_cos)(y)
    np.testing.assert_allclose(sin, np.sin(y), rtol=0, atol=4e-16)
    np.testing.assert_allclose(cos, np.cos(y), rtol=0, atol=4e-16)
    small = np.abs(np.sin(y)) > 1e-3
    np.testing.assert_allclose(sin[small], np.sin(y)[small], rtol=4e-15)
    a = np.concatenate([RNG.normal(size=20000), [0.0, -0.0, 0.0, -0.0, 1.0, -1.0, 1e-300]])
    b = np.concatenate([RNG.normal(size=20000) * 3, [0.0, 0.0, -0.0, -0.0, 1.0, -1.0, 1e300]])
    got = jax.jit(fast_trig.atan2)(b, a)
    expected = np.arctan2(b, a)
    np.testing.assert_allclose(got, expected, rtol=4e-16 * 4, atol=0)
    assert np.array_equal(np.signbit(got), np.signbit(expected))


def test_a_networks_real_sin_and_cos_are_vectorised_on_cpu():
    """`FewerLogs` evaluates a float64 `sin` / `cos` by `fast_trig` (`fast_trig.replaces`):
    within a few ulps of NumPy's, XLA's own values for an array with an element out of
    range (NaN, infinities, `|y| >= 2^19`), the derivatives `cos` and `-sin`; the CPU
    program holds the range reduction's `floor`."""
    from symir.runtime.fewer_logs import fewer_logs

    def fn(y):
        return jnp.sin(y) * 2.0 + jnp.cos(y)

    rng = np.random.default_rng(3)  # its own draws: the module's RNG feeds the others
    y = np.concatenate([rng.uniform(-50, 50, 5000), np.pi / 4 * np.arange(-64, 65)])
    ours = jax.jit(fewer_logs(fn))
    np.testing.assert_allclose(ours(y), 2.0 * np.sin(y) + np.cos(y), rtol=0, atol=2e-15)
    assert "floor(" in jax.jit(fewer_logs(fn)).lower(y).compile().as_text()
    special = np.concatenate([y[:20], [np.nan, np.inf, -np.inf, 3.0 * fast_trig.SIN_COS_LIMIT]])
    np.testing.assert_array_equal(ours(special), jax.jit(fn)(special))
    grad = jax.jit(jax.grad(lambda y: jnp.sum(fewer_logs(fn)(y))))(y[:64])
    np.testing.assert_allclose(grad, 2.0 * np.cos(y[:64]) - np.sin(y[:64]), rtol=0, atol=4e-15)


def _complex(shape, scale=1.0):
    return (RNG.normal(size=shape) + 1j * RNG.normal(size=shape)) * scale


SPECIAL = np.asarray(
    [0, -1, 1j, -1 + 0j, np.inf, -np.inf, 1j * np.inf, np.nan, 1e300 + 1e300j, 1e-300j, 3e6j],
    dtype=complex,
)


def _reference(name, z):
    """NumPy's values (XLA's complex `log` is off by up to 30 ulps near `|z| = 0.77`);
    `log1p` in NumPy's extended precision (`longdouble`, 64-bit mantissas on x86):
    `np.log(1 + z)` loses digits to the rounding of `1 + z` (1.5e-15 near `|z| = 0.01`,
    XLA's own complex `log1p` 1.5e-14, against 40-digit values)."""
    if name != "log1p":
        return getattr(np, name)(z)
    a, b = np.real(z).astype(np.longdouble), np.imag(z).astype(np.longdouble)
    u = 1 + a  # exact
    squared = u * u + b * b
    near = (squared > 0.5) & (squared < 2)
    real = np.where(near, np.log1p(a * (2 + a) + b * b), np.log(squared)) / 2
    return real.astype(np.float64) + 1j * np.arctan2(b, u).astype(np.float64)


@pytest.mark.parametrize("name", ["exp", "log", "log1p", "tanh"])
def test_transcendentals_accurate_and_special_values_as_xlas(name):
    """Where every element is in the formulas' range the vectorised pair formulas are
    within a few ulps of NumPy's values (as a complex relative error); an array holding
    a value outside it (infinities, NaN, a zero's logarithm, `|Im z| >= 2^19`) is
    evaluated by XLA's own function, so special values are XLA's; derivatives equal
    XLA's."""
    fn = getattr(jnp, name)
    usual = _complex(5000, 2.0)
    if name == "log1p":
        usual = np.concatenate([usual, _complex(2000, 1e-9), -1 + _complex(100, 1e-3)])
    if name == "tanh":  # saturated real parts (|Re z| > 20), tiny values, near the poles
        poles = 1j * np.pi * (RNG.integers(-4, 4, 200) + 0.5)
        usual = np.concatenate(
            [usual, _complex(500, 40.0), _complex(500, 1e-9), poles + _complex(200, 1e-6)]
        )
    pairs = jax.jit(complex_pairs(fn))
    got, expected = np.asarray(pairs(usual)), _reference(name, usual)
    assert np.max(np.abs(got - expected) / np.abs(expected)) < 2e-15
    with_specials = np.concatenate([usual[:50], SPECIAL])
    np.testing.assert_array_equal(pairs(with_specials), fn(with_specials))
    z = jnp.asarray(usual[:64])
    grad = jax.grad(lambda z: jnp.sum(jnp.real(fn(z) * (1 + 2j))))
    pair_grad = jax.grad(lambda z: jnp.sum(jnp.real(complex_pairs(fn)(z) * (1 + 2j))))
    # tanh's derivative is 1 - tanh^2 on both sides, from XLA's tanh (off by up to 1e-9
    # relative where |Re z| is large) and from the pairs' (a few ulps): equal in absolute
    # terms where 1 - tanh^2 is small
    atol = 1e-14 if name == "tanh" else 1e-300
    np.testing.assert_allclose(pair_grad(z), grad(z), rtol=1e-14, atol=atol)


def test_on_cpu_the_vectorised_formulas_are_compiled():
    """The CPU program of a complex `log_cosh` through `complex_pairs` holds the
    vectorised formulas (`fast_trig.sin_cos`'s range reduction, a `floor`), the program
    as written does not; the values agree. (The accuracy test above tells the formulas'
    values from XLA's: XLA's complex `log` is off by 30 ulps where they are exact.)"""

    def fn(z):
        return nk.nn.activation.log_cosh(z) @ jnp.ones(z.shape[-1], complex)

    z = _complex((64, 8))
    written = jax.jit(fn).lower(z).compile().as_text()
    pairs = jax.jit(complex_pairs(fn)).lower(z).compile().as_text()
    assert "floor(" in pairs and "floor(" not in written
    np.testing.assert_allclose(jax.jit(complex_pairs(fn))(z), fn(z), rtol=1e-14)
    # lowered for a GPU, the program is the one as written (`platform_dependent`)
    for platform, floors in (("cuda", False), ("cpu", True)):
        lowered = jax.jit(complex_pairs(fn)).trace(z).lower(lowering_platforms=(platform,))
        assert ("floor" in lowered.as_text()) == floors


def test_ops_by_parts_and_by_formulas_equal_the_program():
    """Shapes, slices, gathers, selections, sums and scans on each part, products and
    divisions and powers by their formulas, a division by a complex value and a ninth
    power as written on the joined values: the same values as the program."""

    def fn(z, w, i, r):
        a = jnp.concatenate([z, jnp.conj(w)], axis=1)
        b = jnp.where(r > 0, a, 2.0 * a) / (1.0 + r**2)
        c = jnp.cumsum(jnp.pad(b, ((0, 0), (1, 1))), axis=1)[:, 1:-1]
        d = c[i] + jax.lax.dynamic_slice(c, (1, 2), (3, 4))[0, 0]
        e = jnp.transpose(d) @ jnp.exp(z[:, :3]) + r.sum() * 1j
        f = e / (e + 1j) + e**2 + e**3 + (0.1 * e) ** 9 + jnp.real(e) * jnp.imag(e)
        g = jax.lax.complex(jnp.real(f), -jnp.imag(f)) + jnp.arange(3.0).astype(complex)
        return jnp.sum(jnp.log1p(g * 0.01), axis=0), jnp.real(g)

    z, w = _complex((5, 6)), _complex((5, 2))
    i = jnp.asarray([4, 0, 2, 2, 1])
    r = jnp.asarray(RNG.normal(size=(5, 8)))
    assert "platform_index" in str(jax.make_jaxpr(complex_pairs(fn))(z, w, i, r))
    got = jax.jit(complex_pairs(fn))(z, w, i, r)
    expected = jax.jit(fn)(z, w, i, r)
    for g, e in zip(got, expected, strict=True):
        assert g.dtype == e.dtype and g.shape == e.shape
        np.testing.assert_allclose(g, e, rtol=1e-13, atol=1e-13)


def test_programs_the_pairs_do_not_pay_for_run_as_written():
    """An `fft`, a complex `abs` or `sqrt` would join and split their operands (NetKet's
    GCNN: its FFT layers), and a program with no complex transcendental (a complex
    Jastrow) has nothing for the pairs to save: they run as written."""

    def fn(z):
        return jnp.fft.fft(jnp.exp(z)) + jnp.sqrt(z) + jnp.abs(z)

    z = _complex((4, 8))
    assert "platform_index" not in str(jax.make_jaxpr(complex_pairs(fn))(z))
    np.testing.assert_array_equal(jax.jit(complex_pairs(fn))(z), jax.jit(fn)(z))
    # sums and products alone (a complex Jastrow): nothing for the pairs to save
    jastrow = jnp.asarray(_complex((8, 8)))

    def quadratic(z):
        return jnp.einsum("bi,ij,bj->b", z, jastrow, z)

    assert "platform_index" not in str(jax.make_jaxpr(complex_pairs(quadratic))(z))
    # single precision: the formulas are float64's
    z64 = jnp.asarray(z, jnp.complex64)
    assert "platform_index" not in str(jax.make_jaxpr(complex_pairs(jnp.exp))(z64))


@pytest.mark.parametrize(
    "network",
    [
        lambda g: nk.models.MLP(
            hidden_dims=(12,), hidden_activations=nk.nn.activation.log_cosh, param_dtype=complex
        ),
        lambda g: nk.models.RBM(alpha=2, param_dtype=complex),
        lambda g: nk.models.MLP(hidden_dims=(12,), param_dtype=complex),  # gelu: a tanh
    ],
    ids=["mlp", "rbm", "mlp_gelu"],
)
def test_complex_networks_values_and_gradients(network):
    """NetKet's complex networks through `complex_pairs` (its GCNN, whose `fft`s have no
    rule, runs as written: `test_programs_the_pairs_do_not_pay_for_run_as_written`):
    values and parameter gradients equal the networks' as written to 1e-12."""
    hi = nk.hilbert.Spin(0.5, 6)
    graph = nk.graph.Chain(6)
    net = network(graph)
    x = jnp.asarray(hi.random_state(jax.random.key(0), 32))
    params = jax.jit(net.init)(jax.random.key(1), x)
    assert applies(jax.make_jaxpr(net.apply)(params, x).jaxpr)
    np.testing.assert_allclose(
        jax.jit(complex_pairs(net.apply))(params, x),
        jax.jit(net.apply)(params, x),
        rtol=1e-12,
        atol=1e-12,
    )

    def loss(apply):
        return lambda p: jnp.sum(jnp.abs(jnp.exp(apply(p, x))) ** 2)

    got = jax.jit(jax.grad(loss(complex_pairs(net.apply))))(params)
    expected = jax.jit(jax.grad(loss(net.apply)))(params)
    for g, e in zip(jax.tree.leaves(got), jax.tree.leaves(expected), strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize(
    "fast, activation",
    [(True, nk.nn.activation.log_cosh), (False, nk.nn.activation.log_cosh), (True, None)],
    ids=["derived", "plain", "derived-gelu"],
)
def test_local_energies_of_a_complex_network_equal_netkets(monkeypatch, fast, activation):
    """The derived path evaluates a complex MLP's rows as pairs
    (`fast_updates.COMPLEX_PAIRS`), the plain paths the whole network
    (`local_energy.WHOLE_NETWORK_PAIRS`): the local energies equal NetKet's operator's to
    1e-10, and those with the pairs turned off. (`None`: NetKet's default activation,
    the `gelu` that takes a complex `tanh`.)"""
    hi = nk.hilbert.Spin(0.5, 8, total_sz=0)
    graph = nk.graph.Chain(8)
    if activation is None:
        net = nk.models.MLP(hidden_dims=(16,), param_dtype=complex)
    else:
        net = nk.models.MLP(hidden_dims=(16,), hidden_activations=activation, param_dtype=complex)
    x = jnp.asarray(hi.random_state(jax.random.key(2), 24))
    params = jax.jit(net.init)(jax.random.key(3), x)
    op = models.heisenberg(hi, graph).compile()
    ref = nk.operator.Heisenberg(hi, graph)
    expected = local_energies(net.apply, params, x, ref)
    got = sym.local_energies(net.apply, params, x, op, fast_updates=fast)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)
    monkeypatch.setattr(fast_updates, "COMPLEX_PAIRS", False)
    monkeypatch.setattr(local_energy, "WHOLE_NETWORK_PAIRS", False)
    written = sym.local_energies(net.apply, params, x, op, fast_updates=fast)
    np.testing.assert_allclose(got, written, rtol=1e-12, atol=1e-12)
