"""The NetKet adapters' operator algebra against NetKet's own operators (sweep 24).

References nobody here wrote: NetKet's operators (`IsingJax`, `PauliStringsJax`,
`sigmap`, `Heisenberg`) and NetKet's `LocalOperator` of a dense matrix built from
NetKet's own dense matrices, whose hermiticity NetKet computes from the matrix.
"""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symir as sym
from symir.models import heisenberg, tfim
from symir.testing import assert_same_expect_and_grad, dense_matrix

nk = pytest.importorskip("netket")

N = 4
TFIM = {"h": 0.8, "J": 1.1}


@pytest.fixture(scope="module")
def setup():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = nk.graph.Chain(N)
    hi = nk.hilbert.Spin(0.5, N)
    a = sym.to_netket(tfim(hi, graph.edges()).compile().with_params(**TFIM))
    b = sym.to_netket(heisenberg(hi, graph.edges(), sign_rule=True))
    da = dense_matrix(nk.operator.Ising(hi, graph, **TFIM))
    db = dense_matrix(nk.operator.Heisenberg(hi, graph))
    return hi, a, b, da, db


def reference(hi, matrix):
    """NetKet's `LocalOperator` of `matrix` on all sites (its own hermiticity test)."""
    matrix = matrix if np.abs(np.imag(matrix)).max() > 0 else np.real(matrix)
    return nk.operator.LocalOperator(hi, [np.array(matrix)], [list(range(N))])


def full_state(hi, dtype=complex):
    return nk.vqs.FullSumState(hi, nk.models.RBM(alpha=1, param_dtype=dtype), seed=0)


def test_netkets_operators_on_the_left_give_our_sums_and_products(setup):
    """`nk_op + a` and `nk_op @ a`, where NetKet's operator declines, went to NetKet's
    `AbstractOperator.__radd__`/`__rmatmul__`: NetKet's own lazy sum, hermitian for any
    operands, so `sigmap + a` took the hermitian gradient formula."""
    hi, a, _, da, _ = setup
    sp = nk.operator.spin.sigmap(hi, 1)
    spj = sp.to_jax_operator()
    psc = nk.operator.PauliStringsJax(hi, ["XYII"], [0.5j])
    dsp, dpsc = dense_matrix(sp), dense_matrix(psc)
    cases = {
        "sigmap (jax) + a": (spj + a, dsp + da),
        "sigmap (numba) + a": (sp + a, dsp + da),
        "0.5j XY + a": (psc + a, dpsc + da),
        "sigmap @ a + a @ sigmap": (spj @ a + a @ spj, dsp @ da + da @ dsp),
        "sigmap - a": (spj - a, dsp - da),
    }
    full = full_state(hi)
    for name, (ours, matrix) in cases.items():
        ref = reference(hi, matrix)
        assert not ref.is_hermitian, name
        assert not ours.is_hermitian, name
        np.testing.assert_allclose(ours.to_dense(), matrix, atol=1e-10, rtol=0, err_msg=name)
        assert abs(full.expect(ours).mean - full.expect(ref).mean) < 1e-10, name
    # and a hermitian one stays so
    isj = nk.operator.IsingJax(hi, nk.graph.Chain(N), h=0.3, J=0.5)
    assert (isj + a).is_hermitian and (a @ isj @ a).is_hermitian
    assert not (a @ isj).is_hermitian  # different hermitian factors: not proved


def test_traced_real_coefficients_are_not_known_to_pair(setup):
    """Inside `jax.jit` a real coefficient is a tracer: `a @ b + c * (b @ a)` paired the
    two words as if `c` were 1, and was hermitian (its `.H` itself) for `c = -1`."""
    _, a, b, _, _ = setup

    def hermitian(build):
        return bool(jax.jit(lambda c: jnp.asarray(build(c).is_hermitian))(-1.0))

    assert not hermitian(lambda c: a @ b + c * (b @ a))
    assert not hermitian(lambda c: (a @ b) + (b @ a) * c)
    assert not hermitian(lambda c: a @ b - c * (b @ a))
    # a real multiple of one hermitian word stays hermitian
    assert hermitian(lambda c: c * (a @ b @ a))
    assert hermitian(lambda c: c * (a @ a) + b)


def test_numbers_with_lazy_sums_and_zero_d_arrays(setup):
    """`(a + b) + 1`, `1 - (a + b)`, `(a + 1) + 1`, `(a + b) / 2`, `(a @ a) / 2` and
    `a + jnp.array(1.0)` raised `TypeError`; `jnp.array(1.0) - a` an AttributeError."""
    hi, a, b, da, db = setup
    eye = np.eye(len(da))
    cases = {
        "(a + b) + 1": (lambda: (a + b) + 1, da + db + eye),
        "1 + (a + b)": (lambda: 1 + (a + b), da + db + eye),
        "1 - (a + b)": (lambda: 1 - (a + b), eye - da - db),
        "(a + 1) - 2.5": (lambda: (a + 1) - 2.5, da - 1.5 * eye),
        "(a + b) / 2": (lambda: (a + b) / 2, (da + db) / 2),
        "(a @ a) / 2": (lambda: (a @ a) / 2, da @ da / 2),
        "a + jnp.array(1.0)": (lambda: a + jnp.array(1.0), da + eye),
        "jnp.array(1.0) + a": (lambda: jnp.array(1.0) + a, da + eye),
        "jnp.array(1.0) - a": (lambda: jnp.array(1.0) - a, eye - da),
        "a - np.array(2.0)": (lambda: a - np.array(2.0), da - 2 * eye),
        "(a @ a) + jnp.array(1.0)": (lambda: (a @ a) + jnp.array(1.0), da @ da + eye),
    }
    full = full_state(hi, float)
    for name, (build, matrix) in cases.items():
        ours, ref = build(), reference(hi, matrix)
        np.testing.assert_allclose(ours.to_dense(), matrix, atol=1e-10, rtol=0, err_msg=name)
        assert ours.is_hermitian and ref.is_hermitian, name
        assert_same_expect_and_grad(full, ours, ref, name)
    with pytest.raises(ZeroDivisionError):
        (a + b) / 0
    with pytest.raises(TypeError):
        (a + b) + "1"
    with pytest.raises(TypeError):
        (a @ a) - True


@pytest.fixture(scope="module")
def raising(setup):
    """sum_i (1 + 0.5 i) sigma^+_i and its adjoint, as adapters."""
    hi = setup[0]
    op = (
        sym.DOperator(hi, "raise")
        .for_each_site("i")
        .emit_if(sym.site("i") == -1, sym.write("i", 1), matrix_element=1 + 0.5j)
        .build()
    )
    return sym.to_netket(op), sym.to_netket(op.H)


def test_conjugates_of_lazy_products(setup, raising):
    """NetKet's lazy products have no `conjugate()` (a `NotImplementedError` without a
    message), so neither had a sum holding one (`(a @ a + 1).conjugate()`); NetKet's
    `IsingJax.conjugate()` raises the same, so `(a + IsingJax).conjugate()` did."""
    hi, a, _, da, _ = setup
    r, rh = raising
    dr, drh = r.to_dense(), rh.to_dense()
    eye = np.eye(len(da))
    isj = nk.operator.IsingJax(hi, nk.graph.Chain(N), h=0.3, J=0.5)
    cases = {
        "(r @ rh)*": ((r @ rh).conjugate(), (dr @ drh).conj(), True),
        "(a @ a + 1)*": ((a @ a + 1).conjugate(), da @ da + eye, True),
        "(a @ r + 1j)*": ((a @ r + 1j).conjugate(), (da @ dr + 1j * eye).conj(), False),
        "(a + IsingJax)*": ((a + isj).conjugate(), da + dense_matrix(isj), True),
    }
    full = full_state(hi)
    for name, (ours, matrix, hermitian) in cases.items():
        ref = reference(hi, matrix)
        assert ours.is_hermitian == hermitian == ref.is_hermitian, name
        np.testing.assert_allclose(ours.to_dense(), matrix, atol=1e-10, rtol=0, err_msg=name)
        assert abs(full.expect(ours).mean - full.expect(ref).mean) < 1e-10, name


def test_numbers_added_pair_through_their_identities(setup, raising):
    """A number added is a new identity operator each time, so `(a + 1j) @ (a - 1j)`
    did not pair `-1j a @ 1` with `1j 1 @ a` and took no hermitian gradient, while
    `(a + 1) ** 2` (one identity object) did."""
    hi, a, _, da, _ = setup
    r, rh = raising
    dr, drh = r.to_dense(), rh.to_dense()
    eye = np.eye(len(da))
    hermitian = {
        "(a + 1j) @ (a - 1j)": ((a + 1j) @ (a - 1j), (da + 1j * eye) @ (da - 1j * eye)),
        "(a + 1) @ (a + 1)": ((a + 1) @ (a + 1), (da + eye) @ (da + eye)),
        "(r + 1) @ (rh + 1)": ((r + 1) @ (rh + 1), (dr + eye) @ (drh + eye)),
    }
    full = full_state(hi)
    for name, (ours, matrix) in hermitian.items():
        ref = reference(hi, matrix)
        assert ours.is_hermitian and ref.is_hermitian, name
        assert_same_expect_and_grad(full, ours, ref, name)
    for name, ours, matrix in [
        ("(a + 1j) @ (a + 1j)", (a + 1j) @ (a + 1j), (da + 1j * eye) @ (da + 1j * eye)),
        ("(r + 1) @ (r + 1)", (r + 1) @ (r + 1), (dr + eye) @ (dr + eye)),
    ]:
        assert not ours.is_hermitian and not reference(hi, matrix).is_hermitian, name


def test_traced_scalars_times_products(setup):
    """Inside `jax.jit` a complex scalar is a tracer, which NetKet's product times a
    number takes with the product's real dtype: `c * (a @ a)` was the zero operator for
    `c = 1j` (the concrete case was fixed in sweep 23); `(a @ a) / c` raised TypeError."""
    hi, a, b, da, db = setup
    x = jnp.asarray(hi.all_states())

    def matrix(build, c):
        xp, mels = jax.jit(lambda c: build(c).get_conn_padded(x))(c)
        cols = hi.states_to_numbers(np.asarray(xp).reshape(-1, N)).reshape(xp.shape[:-1])
        dense = np.zeros((len(x), len(x)), dtype=complex)
        for i in range(len(x)):
            np.add.at(dense[i], cols[i], np.asarray(mels[i]))
        return dense

    for name, build, expected in [
        ("c * (a @ a)", lambda c: c * (a @ a), 1j * da @ da),
        ("(a @ a) * c", lambda c: (a @ a) * c, 1j * da @ da),
        ("c * (a @ b @ a)", lambda c: c * (a @ b @ a), 1j * da @ db @ da),
        ("(a @ a) / c", lambda c: (a @ a) / c, -1j * da @ da),
        ("(a + b) / c", lambda c: (a + b) / c, -1j * (da + db)),
    ]:
        np.testing.assert_allclose(matrix(build, 1j), expected, atol=1e-10, rtol=0, err_msg=name)
    assert not bool(jax.jit(lambda c: jnp.asarray((c * (a @ a)).is_hermitian))(1j))
    assert bool(jax.jit(lambda c: jnp.asarray((c * (a @ a)).is_hermitian))(2.0))


def test_full_sum_gradient_in_a_parameter_through_lazy_sums_and_products(setup):
    """`jax.grad` of a `FullSumState`'s expectation in an adapter's parameter works for
    the adapter (its traced `to_sparse` is a JAX `BCOO`); through `a + 1` or `a @ a` the lazy sum's or product's `to_sparse` converted tracers to NumPy
    (`TracerArrayConversionError`). Checked against central differences, and the next
    sampled expectation against NetKet's `LocalOperator` (no tracer kept)."""
    hi, a, _, da, _ = setup
    full = full_state(hi, float)
    for name, build in {
        "a + 1": lambda x: x + 1,
        "a @ a": lambda x: x @ x,
    }.items():

        def energy(h, build=build):
            return full.expect(build(a.with_params(h=h))).mean.real

        eps = 1e-5
        difference = (energy(0.8 + eps) - energy(0.8 - eps)) / (2 * eps)
        assert abs(jax.grad(energy)(0.8) - difference) < 1e-6, name
    sampled = nk.vqs.MCState(
        nk.sampler.MetropolisLocal(hi), nk.models.RBM(alpha=1), n_samples=64, seed=0
    )
    sampled.n_discard_per_chain = sampled.chain_length  # one compiled chain (length is static)
    ref = reference(hi, da @ da + np.eye(len(da)))
    assert abs(sampled.expect(a @ a + 1).mean - sampled.expect(ref).mean) < 1e-10


def test_the_conjugate_or_transpose_of_an_operand_without_one_names_it(setup):
    """NetKet's `PauliStringsJax.conjugate()` raises `NotImplementedError` without a
    message (NetKet's); our sum's `conjugate()` passed it on as it is, naming nothing."""
    hi, a, _, _, _ = setup
    strings = nk.operator.PauliStringsJax(hi, ["XYII"], [0.5j])
    with pytest.raises(NotImplementedError, match="PauliStringsJax has no conjugate"):
        (a + strings).conjugate()
    with pytest.raises(NotImplementedError, match="PauliStringsJax has no conjugate"):
        (a @ strings).conjugate()
    with pytest.raises(NotImplementedError, match="PauliStringsJax has no transpose"):
        (a @ strings).transpose(concrete=True)


def test_concrete_transpose_and_collected_adjoint(setup, raising):
    """`adapter.transpose(concrete=True)` and `adapter.H.collect()` (NetKet's lazy
    adjoint made concrete: the transpose, conjugated) raised NetKet's base
    `NotImplementedError` without a message, and so did those of lazy sums and
    products; now the symbolic operator transposed, the sum of the transposes, the
    product of the transposes in reverse order."""
    hi, a, b, da, db = setup
    r, rh = raising
    dr, drh = r.to_dense(), rh.to_dense()
    eye = np.eye(len(da))
    cases = {
        "r.T": (r.transpose(concrete=True), dr.T),
        "r.H.collect()": (r.H.collect(), dr.conj().T),
        "a.T": (a.transpose(concrete=True), da.T),
        # lazy sums and products had no concrete transpose either
        "(r + a).H.collect()": ((r + a).H.collect(), (dr + da).conj().T),
        "(r @ b).T": ((r @ b).transpose(concrete=True), (dr @ db).T),
        "(r @ rh + 1j).T": ((r @ rh + 1j).transpose(concrete=True), (dr @ drh + 1j * eye).T),
        "(r @ rh).T": ((r @ rh).transpose(concrete=True), (dr @ drh).T),
    }
    for name, (ours, matrix) in cases.items():
        np.testing.assert_allclose(ours.to_dense(), matrix, atol=1e-10, rtol=0, err_msg=name)
        assert ours.is_hermitian == reference(hi, matrix).is_hermitian, name
    with pytest.raises(NotImplementedError, match="transpose the symbolic operator"):
        sym.to_netket(r.compiled).transpose(concrete=True)


def test_a_number_added_then_jit_of_a_closure(setup):
    """`jax.jit(lambda x: (a + 1).get_conn_padded(x))`: the identity of the number, a
    `LocalOperatorJax`, packed its tables inside the trace and kept tracers; the next
    `MCState.expect` raised `UnexpectedTracerError`. (NetKet's own `LocalOperatorJax`
    does the same, NetKet's; the identity is ours and is packed when built.)"""
    hi, a, b, da, db = setup
    x = jnp.asarray(hi.all_states())
    sampled = nk.vqs.MCState(
        nk.sampler.MetropolisLocal(hi), nk.models.RBM(alpha=1), n_samples=64, seed=0
    )
    sampled.n_discard_per_chain = sampled.chain_length  # one compiled chain (length is static)
    eye = np.eye(len(da))
    for op, matrix in [(a + 1, da + eye), ((a + 1) @ b, (da + eye) @ db)]:
        jax.jit(lambda x, op=op: op.get_conn_padded(x))(x)
        ref = reference(hi, matrix)
        assert abs(sampled.expect(op).mean - sampled.expect(ref).mean) < 1e-10
