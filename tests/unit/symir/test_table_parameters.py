"""Table parameters (`symir.table`): runtime entries of a coefficient table, `with_params`
and derivatives with respect to them (jvp, grad, jacrev), against dense references that
JAX differentiates itself; and the molecular Hamiltonian's tables as parameters."""

from __future__ import annotations

from importlib.resources import files

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symir as sym
from symir.chemistry import MolecularIntegrals, molecular_hamiltonian, read_fcidump
from symir.interpreter import reference_get_conn
from symir.testing import assert_same_connections

N = 4
T0 = np.array([0.5, -1.25, 2.0, 0.25])
X = np.array([[1, -1, 1, 1], [1, 1, 1, -1], [-1, -1, 1, 1]])


@pytest.fixture(scope="module")
def operator():
    """Flips with mel `h t[i]^2 + t[i + (x_i > 0)] / 2` (a key known only at run time, 4
    not held: 0.0), and a diagonal `sum_i t[i] x_i` (coalesced: a sum of rows): every way
    a table is read."""
    hi = sym.Spin(0.5, N)
    t = sym.table("t", dict(enumerate(T0)))
    i = sym.site("i").index
    shifted = i + sym.select(sym.site("i") > 0, 1, 0)  # known at run time; 4 is no key
    return (
        sym.DOperator(hi, "tables")
        .for_each_site("i")
        .emit(
            sym.write("i", -sym.site("i")),
            matrix_element=sym.symbol("h", 1.0) * sym.lookup(t, i) ** 2
            + 0.5 * sym.lookup(t, shifted),
        )
        .for_each_site("i")
        .emit(sym.identity(), matrix_element=sym.lookup(t, i) * sym.site("i"))
        .build()
    )


def reference(t, h=1.0):
    """The matrix elements of `operator` in its slot order, written with jax.numpy."""
    xs = jnp.asarray(X, float)
    diag = jnp.sum(t[None, :] * xs, axis=1, keepdims=True)
    i = np.arange(N)
    shifted = i[None, :] + (X > 0)
    held = jnp.concatenate([t, jnp.zeros(1)])
    flips = h * t[None, :] ** 2 + 0.5 * held[shifted]
    return jnp.concatenate([diag, flips], axis=1)


def test_the_table_is_a_parameter_with_a_default(operator):
    H = operator.compile()
    assert list(H.params) == ["h", "t"]
    np.testing.assert_array_equal(H.params["t"], T0)
    assert "tensor<4xf64>" in str(operator.to_ir())


def test_with_params_changes_the_entries_without_recompiling(operator):
    H = operator.compile()
    t = np.array([1.0, 2.0, 3.0, 4.0])
    mels = H.with_params(t=t).get_conn_padded(X)[1]
    np.testing.assert_allclose(mels, reference(jnp.asarray(t)), atol=1e-12)
    for x in X:  # the reference interpreter reads the same entries
        got = H.with_params(t=t).get_conn_padded(x)
        assert_same_connections(got, reference_get_conn(operator.to_ir(), x, {"t": t}))
    jitted = jax.jit(lambda t: H.with_params(t=t).get_conn_padded(X)[1])
    np.testing.assert_allclose(jitted(jnp.asarray(t)), reference(jnp.asarray(t)), atol=1e-12)


def test_derivatives_with_respect_to_the_table(operator):
    H = operator.compile()

    def mels(t, h=1.0):
        return H.with_params(t=t, h=h).get_conn_padded(X)[1]

    t = jnp.asarray(T0)
    w = jnp.asarray(np.random.default_rng(0).normal(size=(len(X), N + 1)))
    g = jax.grad(lambda t: jnp.sum(w * mels(t)))(t)
    np.testing.assert_allclose(g, jax.grad(lambda t: jnp.sum(w * reference(t)))(t), atol=1e-12)
    np.testing.assert_allclose(jax.jacfwd(mels)(t), jax.jacfwd(reference)(t), atol=1e-12)
    np.testing.assert_allclose(jax.jit(jax.jacrev(mels))(t), jax.jacfwd(reference)(t), atol=1e-12)
    # the numbers' derivatives are unchanged beside a table
    dh = jax.grad(lambda h: jnp.sum(mels(t, h)))(1.0)
    assert abs(float(dh) - float(jnp.sum(t**2)) * len(X)) < 1e-12


def test_second_derivatives_in_a_table_are_refused_by_name(operator):
    H = operator.compile()
    with pytest.raises(NotImplementedError, match=r"first derivatives .* table"):
        jax.hessian(lambda t: jnp.sum(H.with_params(t=t).get_conn_padded(X)[1]))(jnp.asarray(T0))


@pytest.mark.parametrize(
    "value, message",
    [(np.ones(3), "has 4 entries"), (1.0, "is a table of 4 entries"), (np.ones(4) * 1j, "real")],
)
def test_a_wrong_table_value_is_named(operator, value, message):
    H = operator.compile()
    with pytest.raises(ValueError, match=message):
        H.with_params(t=value)


def test_table_definition_errors():
    with pytest.raises(ValueError, match="identifier"):
        sym.table("not a name", [1.0])
    with pytest.raises(ValueError, match="distinct"):
        sym.table("t", [1.0, 2.0], keys=[3, 3])
    with pytest.raises(ValueError, match="2 keys but 1"):
        sym.table("t", [1.0], keys=[1, 2])
    table = sym.table("t", keys=[5, 2])  # no default: required
    assert table.keys == (2, 5) and table.default is None


@pytest.fixture(scope="module")
def lih():
    return read_fcidump(str(files("symir.chemistry") / "data" / "lih_sto3g.fcidump"))


def test_molecular_tables_as_parameters(lih):
    """`parametric=True`: the same matrix; other integrals through `with_params` give
    the matrix of a fresh build; derivatives with respect to the integrals equal central
    differences."""
    static = molecular_hamiltonian(lih).compile()
    built = molecular_hamiltonian(lih, parametric=True)
    H = built.compile()
    assert H.max_conn_size == static.max_conn_size
    np.testing.assert_allclose(H.to_dense(), static.to_dense(), atol=1e-12)
    rng = np.random.default_rng(1)
    h1 = lih.h1 + 0.01 * rng.normal(size=lih.h1.shape)
    h1 = (h1 + h1.T) / 2
    other = MolecularIntegrals(h1, lih.h2, lih.constant, n_electrons=lih.n_electrons, ms2=lih.ms2)
    fresh = molecular_hamiltonian(other).compile()
    moved = H.with_params(**built.parameters_from_integrals(h1, lih.h2))
    np.testing.assert_allclose(moved.to_dense(), fresh.to_dense(), atol=1e-12)

    states = np.asarray(H.hilbert.all_states())
    psi = rng.normal(size=len(states))
    psi /= np.linalg.norm(psi)

    xp, _ = H.get_conn_padded(states)  # the connected states do not depend on the integrals
    cols = H.hilbert.states_to_numbers(np.asarray(xp).reshape(-1, states.shape[1]))
    psi_cols = psi[cols.reshape(xp.shape[:2])]

    @jax.jit  # one trace for the gradient and the six central differences
    def energy(h1, h2):
        mels = H.with_params(**built.parameters_from_integrals(h1, h2)).get_conn_padded(states)[1]
        return jnp.sum(psi[:, None] * mels * psi_cols)

    g1, g2 = jax.grad(energy, argnums=(0, 1))(jnp.asarray(lih.h1), jnp.asarray(lih.h2))
    eps = 1e-6
    for grad, base, at in (
        (g1, lih.h1, (0, 1)),
        (g2, lih.h2, (0, 1, 2, 3)),
        (g2, lih.h2, (1, 1, 0, 0)),
    ):
        step = np.zeros_like(base)
        step[at] = eps
        args = (
            (lambda d: (lih.h1 + d, lih.h2)) if base is lih.h1 else (lambda d: (lih.h1, lih.h2 + d))
        )
        fd = (energy(*args(step)) - energy(*args(-step))) / (2 * eps)
        assert abs(float(grad[at]) - float(fd)) < 1e-7, (at, grad[at], fd)


def test_parametric_needs_the_excitation_slots(lih):
    with pytest.raises(ValueError, match=r"parametric=True .* slots='excitations'"):
        molecular_hamiltonian(lih, parametric=True, slots="orbitals")
    with pytest.raises(ValueError, match="built with static coefficient tables"):
        molecular_hamiltonian(lih).parameters(np.zeros((12, 12)), np.zeros((12,) * 4))
