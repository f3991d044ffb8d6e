"""`CompiledOperator` inside `jax.jit`: as an argument (pytree) or closed over, any batch
shape, one trace per input shape, `with_params` without retracing, input validation, and
the compile cache."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symir as sym

N = 5


def tfim_operator(n: int = N, name: str = "tfim_jit"):
    hi = sym.Spin(0.5, n)
    edges = [(i, (i + 1) % n) for i in range(n)]
    return (
        sym.DOperator(hi, name)
        .for_each_site("i")
        .emit(sym.write("i", -sym.site("i")), matrix_element=-sym.symbol("h", 0.5))
        .for_each(("i", "j"), over=edges)
        .emit(sym.identity(), matrix_element=sym.symbol("J", 1.0) * sym.site("i") * sym.site("j"))
        .build()
    )


@pytest.fixture(scope="module")
def op():
    return tfim_operator().compile()


def configs(shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.choice(np.array([-1, 1], dtype=np.int8), size=(*shape, N))


def local_energy_like(op, x):
    xp, mels = op.get_conn_padded(x)
    return xp, mels, jnp.sum(mels * jnp.prod(xp, axis=-1), axis=-1)


def test_operator_as_argument_traced_once_per_shape(op):
    traces = []

    @jax.jit
    def f(o, x):
        traces.append(x.shape)
        return local_energy_like(o, x)

    for batch in (1, 7, 4096):
        x = configs((batch,), seed=batch)
        for _ in range(2):  # the second call reuses the trace
            xp, mels, e = f(op, x)
        exp_xp, exp_mels, exp_e = local_energy_like(op, x)  # eager
        assert xp.shape == (batch, N + 1, N) and mels.shape == (batch, N + 1)
        np.testing.assert_array_equal(np.asarray(xp), np.asarray(exp_xp))
        np.testing.assert_allclose(np.asarray(mels), np.asarray(exp_mels), atol=1e-14)
        np.testing.assert_allclose(np.asarray(e), np.asarray(exp_e), atol=1e-12)
    assert traces == [(1, N), (7, N), (4096, N)]


def test_eager_matches_expected_values(op):
    x = np.array([[1, 1, 1, 1, 1], [1, -1, 1, -1, 1]], dtype=np.int8)
    xp, mels = op.get_conn_padded(x)
    mels = np.asarray(mels)
    # diagonal first (coalesced): J * sum_<ij> x_i x_j on the ring
    assert mels[0, 0] == pytest.approx(5.0) and mels[1, 0] == pytest.approx(-3.0)
    np.testing.assert_allclose(mels[:, 1:], -0.5)
    assert np.asarray(xp).dtype == np.int8


def test_operator_closed_over(op):
    traces = []

    @jax.jit
    def g(x):
        traces.append(1)
        return op.get_conn_padded(x)

    x = configs((7,))
    xp, mels = g(x)
    g(x)
    exp_xp, exp_mels = op.get_conn_padded(x)
    np.testing.assert_array_equal(np.asarray(xp), np.asarray(exp_xp))
    np.testing.assert_allclose(np.asarray(mels), np.asarray(exp_mels), atol=1e-14)
    assert len(traces) == 1


def test_leading_batch_shapes(op):
    x = configs((2, 3))
    xp, mels = jax.jit(lambda o, x: o.get_conn_padded(x))(op, x)
    assert xp.shape == (2, 3, N + 1, N) and mels.shape == (2, 3, N + 1)
    flat_xp, flat_mels = op.get_conn_padded(x.reshape(6, N))
    np.testing.assert_array_equal(np.asarray(xp).reshape(6, N + 1, N), np.asarray(flat_xp))
    np.testing.assert_allclose(np.asarray(mels).reshape(6, N + 1), np.asarray(flat_mels))
    # a single configuration (no batch dimension)
    xp1, mels1 = op.get_conn_padded(x[0, 0])
    assert xp1.shape == (N + 1, N) and mels1.shape == (N + 1,)
    np.testing.assert_allclose(np.asarray(mels1), np.asarray(flat_mels)[0])


def test_with_params_no_retrace(op):
    traces = []

    @jax.jit
    def f(o, x):
        traces.append(1)
        return o.get_conn_padded(x)[1]

    x = configs((7,))
    m1 = np.asarray(f(op, x))
    op2 = op.with_params(h=2.0)
    m2 = np.asarray(f(op2, x))
    op3 = op.with_params(h=jnp.asarray(-1.5), J=0.25)
    m3 = np.asarray(f(op3, x))
    assert len(traces) == 1
    np.testing.assert_allclose(m1[:, 1:], -0.5)
    np.testing.assert_allclose(m2[:, 1:], -2.0)
    np.testing.assert_allclose(m3[:, 1:], 1.5)
    np.testing.assert_allclose(m2[:, 0], m1[:, 0])
    np.testing.assert_allclose(m3[:, 0], 0.25 * m1[:, 0])
    assert op.params["h"] == 0.5  # the original is unchanged
    # parameters are the pytree leaves
    leaves = jax.tree_util.tree_leaves(op2)
    assert sorted(float(v) for v in leaves) == [1.0, 2.0]


def test_with_params_traced_value(op):
    # a parameter can itself be a traced value inside jit (one trace for every value)
    x = configs((3,))
    traces = []

    @jax.jit
    def total(h):
        traces.append(1)
        return jnp.sum(op.with_params(h=h).get_conn_padded(x)[1][:, 1:])

    assert float(total(0.5)) == pytest.approx(-0.5 * 3 * N)
    assert float(total(2.0)) == pytest.approx(-2.0 * 3 * N)
    assert len(traces) == 1


def test_complex_value_for_real_parameter_raises(op):
    with pytest.raises(ValueError, match="real"):
        op.with_params(h=1.0 + 2.0j)
    with pytest.raises(ValueError, match="real"):
        op.with_params(h=np.complex128(1.0 + 2.0j))
    with pytest.raises(ValueError, match="unknown parameter"):
        op.with_params(g=1.0)


@pytest.mark.parametrize("shape", [(3, N + 1), (3, N - 1), (N + 2,), ()])
def test_wrong_last_dimension_raises(op, shape):
    x = np.ones(shape, dtype=np.int8)
    with pytest.raises(ValueError, match=rf"shape \(\.\.\., {N}\)"):
        op.get_conn_padded(x)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128, np.bool_])
def test_wrong_dtype_raises(op, dtype):
    x = np.ones((3, N), dtype=dtype)
    with pytest.raises(ValueError, match="dtype"):
        op.get_conn_padded(x)
    with pytest.raises(ValueError, match="dtype"):
        jax.jit(lambda o, x: o.get_conn_padded(x))(op, jnp.asarray(x))


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.float32, np.float64])
def test_integer_and_float_configurations_keep_dtype(op, dtype):
    x = configs((4,)).astype(dtype)
    xp, mels = op.get_conn_padded(x)
    assert np.asarray(xp).dtype == dtype
    ref_xp, ref_mels = op.get_conn_padded(configs((4,)))
    np.testing.assert_array_equal(np.asarray(xp), np.asarray(ref_xp).astype(dtype))
    np.testing.assert_allclose(np.asarray(mels), np.asarray(ref_mels))


def test_compile_is_cached():
    a = tfim_operator(name="cached_twice")
    first = a.compile()
    assert a.compile() is first
    # an equal operator built separately (its own, equal hilbert object) hits the same
    # cache entry: same loaded kernel, rebound to that operator's hilbert object
    other = tfim_operator(name="cached_twice")
    second = other.compile()
    assert second._spec.module is first._spec.module
    assert second.hilbert is other.hilbert
    # different edges or name: a different kernel
    assert tfim_operator(n=4, name="cached_twice").compile() is not first
    assert a.compile(cache=False) is not first


def test_compile_twice_is_cached_for_an_equal_operator():
    tfim_operator(name="cached_equal").compile()
    other = tfim_operator(name="cached_equal")
    first = other.compile()
    assert other.compile() is first
    assert first.hilbert is other.hilbert
    # a third equal operator: its own object, the same kernel
    third = tfim_operator(name="cached_equal").compile()
    assert third is not first and third._spec.module is first._spec.module
