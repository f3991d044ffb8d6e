"""`CompiledOperator` inside `jax.jit` and `jax.vmap`: as an argument (pytree) or closed
over, any batch shape, one trace per input shape, `with_params` without retracing, vmap
over configurations (nested, inside and around jit) and over parameter values,
differentiation under every transform, input validation, and the compile cache."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symir as sym
from symir.runtime.compiled import CompiledOperator

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


def test_an_eager_call_is_one_compiled_program():
    """Called on concrete configurations, `get_conn_padded` and `get_conn_delta` (with a
    sector rule around the kernel, a float input cast) compile one XLA program for a new
    batch shape, not one per operation around the kernel (each was one, per shape, and
    a dispatch of its own at every call), and none for a shape seen before."""
    hi = sym.Spin(0.5, 6, total_sz=0)
    edges = [(i, (i + 1) % 6) for i in range(6)]
    op = (
        sym.DOperator(hi, "xy_ring")
        .for_each(("i", "j"), over=edges)
        .emit(sym.swap("i", "j"), matrix_element=0.5)
        .build()
        .compile()
    )
    x = np.asarray(hi.all_states(), dtype=np.float64)
    compiles = []

    def listen(event, duration, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            compiles.append(duration)

    for method in (op.get_conn_padded, op.get_conn_delta):
        method(x[:3])  # the kernel itself loaded and compiled once
        jax.monitoring.register_event_duration_secs_listener(listen)
        try:
            got = method(x[:7])
            first = len(compiles)
            again = method(x[7:14])
        finally:
            jax.monitoring.unregister_event_duration_listener(listen)
        assert first == 1 and len(compiles) == 1, (method.__name__, compiles)
        traced = jax.jit(method)(x[:7])
        for a, b in zip(got, traced, strict=True):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
        assert np.asarray(again[-1]).shape[0] == 7
        compiles.clear()


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


def assert_same(got, expected):
    (xp, mels), (exp_xp, exp_mels) = got, expected
    assert xp.shape == exp_xp.shape and mels.shape == exp_mels.shape
    assert xp.dtype == exp_xp.dtype
    np.testing.assert_array_equal(np.asarray(xp), np.asarray(exp_xp))
    np.testing.assert_allclose(np.asarray(mels), np.asarray(exp_mels), atol=1e-14)


def test_vmap_equals_the_batched_call(op):
    x = configs((4, 3))
    direct = op.get_conn_padded(x)
    conn = op.get_conn_padded
    assert_same(jax.vmap(conn)(x), direct)
    assert_same(jax.vmap(jax.vmap(conn))(x), direct)
    assert_same(jax.jit(jax.vmap(conn))(x), direct)
    assert_same(jax.vmap(jax.jit(conn))(x), direct)
    assert_same(jax.jit(jax.vmap(jax.vmap(conn)))(x), direct)
    # the operator as an argument, not mapped
    assert_same(jax.vmap(lambda o, x: o.get_conn_padded(x), in_axes=(None, 0))(op, x), direct)
    assert_same(jax.jit(jax.vmap(lambda o, x: o.get_conn_padded(x), (None, 0)))(op, x), direct)
    # another mapped axis (the outputs are mapped along axis 0)
    xp, mels = jax.vmap(conn, in_axes=1)(x)
    assert_same((jnp.swapaxes(xp, 0, 1), jnp.swapaxes(mels, 0, 1)), direct)
    # three levels, and a mapped axis of size 1
    x4 = configs((2, 2, 1, 3))
    assert_same(jax.vmap(jax.vmap(jax.vmap(conn)))(x4), op.get_conn_padded(x4))


def test_vmap_over_parameter_values(op):
    x = configs((3,))
    hs = jnp.asarray([0.5, 2.0, -1.0])
    # one kernel call per value (lax.map), the same as calling with each value
    got = jax.vmap(lambda h: op.with_params(h=h).get_conn_padded(x))(hs)
    for k, h in enumerate(hs):
        expected = op.with_params(h=float(h)).get_conn_padded(x)
        assert_same((got[0][k], got[1][k]), expected)
    # parameters and configurations mapped together, under jit
    xs = configs((3, 2), seed=1)
    got = jax.jit(jax.vmap(lambda h, x: op.with_params(h=h).get_conn_padded(x)))(hs, xs)
    for k, h in enumerate(hs):
        expected = op.with_params(h=float(h)).get_conn_padded(xs[k])
        assert_same((got[0][k], got[1][k]), expected)
    # a stacked operator pytree
    stacked = jax.tree_util.tree_map(lambda *v: jnp.stack(v), op, op.with_params(J=-2.0))
    got = jax.vmap(lambda o: o.get_conn_padded(x))(stacked)
    assert_same((got[0][1], got[1][1]), op.with_params(J=-2.0).get_conn_padded(x))


def test_differentiation_under_every_transform(op):
    # the transforms that used to raise NotImplementedError now differentiate the kernel
    # (tests/unit/symir/test_derivatives.py checks the values in depth)
    x = configs((3,))

    def total(h):
        return jnp.sum(op.with_params(h=h).get_conn_padded(x)[1])

    # sum of mels = -h per flip branch (N per configuration) + the diagonal
    expected = -N * len(x)
    assert float(jax.grad(total)(1.0)) == pytest.approx(expected)
    assert float(jax.jvp(total, (1.0,), (1.0,))[1]) == pytest.approx(expected)
    assert float(jax.vjp(total, 1.0)[1](1.0)[0]) == pytest.approx(expected)
    assert float(jax.jit(jax.grad(total))(1.0)) == pytest.approx(expected)
    np.testing.assert_allclose(np.asarray(jax.vmap(jax.grad(total))(jnp.ones(2))), expected)


def test_differentiation_without_the_branch_ir_raises_a_clear_error(op):
    # an operator loaded from StableHLO text alone has no IR to differentiate
    spec = op._spec
    bare = CompiledOperator.from_stablehlo(
        spec.module.text,
        name="bare_tfim",
        space=spec.space,
        hilbert=spec.hilbert,
        dtype=str(spec.dtype),
        is_hermitian=spec.is_hermitian,
        parameters=op.params,
        key="bare_tfim",
    )
    x = configs((3,))
    mels = bare.get_conn_padded(x)[1]
    np.testing.assert_array_equal(np.asarray(mels), np.asarray(op.get_conn_padded(x)[1]))
    with pytest.raises(NotImplementedError, match="'bare_tfim' cannot be differentiated"):
        jax.grad(lambda h: jnp.sum(bare.with_params(h=h).get_conn_padded(x)[1]))(1.0)


def test_differentiating_something_else_works(op):
    # only the operator's parameters are refused: a function of the connected
    # configurations (a wave function, as in NetKet) is differentiated as usual
    x = configs((4,))
    xp, mels = op.get_conn_padded(x)
    xp, mels = np.asarray(xp, dtype=float), np.asarray(mels)

    def f(w):
        xp, mels = op.get_conn_padded(x)
        return jnp.sum(mels * jnp.exp(w * jnp.sum(xp, axis=-1)))

    expected = np.sum(mels * xp.sum(-1) * np.exp(0.3 * xp.sum(-1)))
    assert float(jax.grad(f)(0.3)) == pytest.approx(expected)
    assert float(jax.jit(jax.grad(f))(0.3)) == pytest.approx(expected)
    np.testing.assert_allclose(np.asarray(jax.vmap(jax.grad(f))(jnp.asarray([0.3]))), [expected])


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


# ------------------------------------------------------------------ empty batches


@pytest.mark.parametrize("shape", [(0,), (0, 3), (2, 0), (0, 0)])
def test_empty_batch_eager_jit_and_vmap(op, shape):
    f = op.max_conn_size
    x = np.zeros((*shape, N), dtype=np.int8)
    for fn in (op.get_conn_padded, jax.jit(op.get_conn_padded)):
        xp, mels = fn(x)
        assert xp.shape == (*shape, f, N) and xp.dtype == np.int8
        assert mels.shape == (*shape, f) and mels.dtype == op.dtype
    xp, mels = jax.vmap(op.get_conn_padded)(x)
    assert xp.shape == (*shape, f, N) and mels.shape == (*shape, f)


def test_empty_batch_with_the_operator_as_jit_argument(op):
    xp, mels = jax.jit(lambda o, x: o.get_conn_padded(x))(op, np.zeros((0, N), np.int8))
    assert xp.shape == (0, op.max_conn_size, N) and mels.shape == (0, op.max_conn_size)


# ------------------------------------------------------------------ required parameters


def _required_parameter_operator(n: int = 3):
    return (
        sym.DOperator(sym.Spin(0.5, n), "needs_g")
        .for_each_site("i")
        .emit(sym.write("i", -sym.site("i")), matrix_element=sym.symbol("g"))
        .build()
    )


def test_a_parameter_without_default_is_required_at_call_time():
    compiled = _required_parameter_operator().compile()
    assert compiled.params == {"g": None}
    x = np.array([[1, -1, 1]], np.int8)
    with pytest.raises(ValueError, match=r"needs a value for the parameter\(s\) \['g'\]"):
        compiled.get_conn_padded(x)
    _, mels = compiled.with_params(g=0.25).get_conn_padded(x)
    np.testing.assert_allclose(np.asarray(mels), [[0.25, 0.25, 0.25]])
    # compile(params=...) gives the value at compile time, the same kernel (cache hit)
    given = _required_parameter_operator().compile(params={"g": -2.0})
    assert given.stablehlo_text == compiled.stablehlo_text
    np.testing.assert_allclose(np.asarray(given.get_conn_padded(x)[1]), [[-2.0] * 3])
    # and as a traced value under jit
    traced = jax.jit(lambda g: compiled.with_params(g=g).get_conn_padded(x)[1])(1.5)
    np.testing.assert_allclose(np.asarray(traced), [[1.5] * 3])
    # None is not a value: refused where it is given (it was taken as "required", and the
    # call then said the parameter had no default, sweep 10)
    with pytest.raises(ValueError, match=r"parameter\(s\) \['g'\] given None"):
        compiled.with_params(g=0.25).with_params(g=None)


def test_validation_lists_required_parameters():
    from symir.compiler import SymbolicCompiler, SymbolicCompilerOptions

    a = SymbolicCompiler(SymbolicCompilerOptions(cache_enabled=False)).compile(
        _required_parameter_operator()
    )
    assert a.analyses["validation_summary"]["required_parameters"] == ["g"]
    assert a.analyses["validation_summary"]["ok"]


def test_compile_params_unknown_name_raises():
    with pytest.raises(ValueError, match="unknown parameter"):
        _required_parameter_operator().compile(params={"h": 1.0})
