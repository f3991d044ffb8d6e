"""Products of NetKet adapters (`a @ a`, `a @ b @ a`, `a @ b + b @ a`), NetKet's lazy
products: hermitian where they equal their adjoint by construction (sweep 23).

NetKet's `ProductDiscreteJaxOperator` is never hermitian, so `expect_and_grad(a @ a)`
of two adapters raised `NotImplementedError` (`FullSumState`) or took NetKet's
non-hermitian estimator (`MCState`). References nobody here wrote: NetKet's
`LocalOperator` of the product of NetKet's own matrices (`Ising`, `Heisenberg`), with
NetKet's own hermiticity test of that matrix, and NetKet's `expect_and_grad` of it.
"""

from __future__ import annotations

import jax
import numpy as np
import pytest

import symir as sym
from symir.models import heisenberg, tfim
from symir.testing import assert_same_expect_and_grad, dense_matrix

nk = pytest.importorskip("netket")

N = 6
TFIM = {"h": 0.8, "J": 1.1}


@pytest.fixture(scope="module")
def setup():
    graph = nk.graph.Chain(N)
    hi = nk.hilbert.Spin(0.5, N)
    a = sym.to_netket(tfim(hi, graph.edges()).compile().with_params(**TFIM))
    b = sym.to_netket(heisenberg(hi, graph.edges(), sign_rule=True))
    da = dense_matrix(nk.operator.Ising(hi, graph, **TFIM))
    db = dense_matrix(nk.operator.Heisenberg(hi, graph))
    return hi, a, b, da, db


def reference(hi, matrix):
    """NetKet's `LocalOperator` of `matrix` on all sites (its own hermiticity test)."""
    dtype = complex if np.iscomplexobj(matrix) else float
    op = nk.operator.LocalOperator(hi, [np.array(matrix, dtype=dtype)], [list(range(N))])
    np.testing.assert_allclose(dense_matrix(op), matrix, atol=1e-12, rtol=0)
    return op


def states(hi):
    model = nk.models.RBM(alpha=1, param_dtype=float)
    full = nk.vqs.FullSumState(hi, model, seed=0)
    sampled = nk.vqs.MCState(
        nk.sampler.MetropolisLocal(hi), model, n_samples=256, seed=0, sampler_seed=1
    )
    sampled.n_discard_per_chain = sampled.chain_length  # one compiled chain (length is static)
    return full, sampled


def test_hermitian_products_take_the_hermitian_gradient(setup):
    hi, a, b, da, db = setup
    eye = np.eye(len(da))
    cases = {
        "a @ a": (lambda: a @ a, da @ da),
        "a @ b @ a": (lambda: a @ b @ a, da @ db @ da),
        "a @ b + b @ a": (lambda: a @ b + b @ a, da @ db + db @ da),
        "(a + b) @ (a + b)": (lambda: (a + b) @ (a + b), (da + db) @ (da + db)),
        "2 * (a @ a) + 1": (lambda: 2 * (a @ a) + 1, 2 * da @ da + eye),
        "a @ a - b": (lambda: a @ a - b, da @ da - db),
    }
    for name, (build, matrix) in cases.items():
        ours, ref = build(), reference(hi, matrix)
        assert ref.is_hermitian, name
        assert ours.is_hermitian, name
        for state in states(hi):
            assert_same_expect_and_grad(state, ours, ref, name)


def test_products_not_proved_hermitian_stay_unmarked(setup):
    _, a, b, da, db = setup
    other = a.with_params(h=0.3)  # the same kernel with another field: not the same operator
    for name, op in {
        "a @ b": a @ b,
        "a @ other": a @ other,
        "a @ b + 1j * b @ a": a @ b + 1j * (b @ a),
        "1j * (a @ a)": 1j * (a @ a),
        "a + a @ b": a + a @ b,
    }.items():
        assert not op.is_hermitian, name
    # the same kernel with the same values, rebuilt: the same operator
    assert (a @ a.with_params(**TFIM)).is_hermitian
    np.testing.assert_allclose(
        (a @ b + 1j * (b @ a)).to_dense(), da @ db + 1j * db @ da, atol=1e-10, rtol=0
    )


def test_an_adapter_times_its_adjoints_adapter(setup):
    hi = setup[0]
    raising = (
        sym.DOperator(hi, "raise")
        .for_each_site("i")
        .emit_if(sym.site("i") == -1, sym.write("i", 1), matrix_element=1 + 0.5j)
        .build()
    )
    r, rh = sym.to_netket(raising), sym.to_netket(raising.H)
    assert not r.is_hermitian and not (r @ r).is_hermitian
    assert (r @ rh).is_hermitian and (rh @ r).is_hermitian
    assert (r + rh).is_hermitian
    matrix = r.to_dense() @ rh.to_dense()
    ref = reference(hi, matrix)
    assert ref.is_hermitian
    full = states(hi)[0]
    assert_same_expect_and_grad(full, r @ rh, ref)


def test_products_are_pytrees_that_keep_their_hermiticity(setup):
    _, a, b, _, _ = setup
    # inside `jax.jit` the factors' parameters are distinct tracers: the hermiticity
    # travels as static data
    for op in (a @ b @ a, a @ b + b @ a):
        rebuilt = jax.tree.map(lambda x: x, op)
        assert type(rebuilt) is type(op) and rebuilt.is_hermitian
        assert bool(jax.jit(lambda op: jax.numpy.asarray(op.is_hermitian))(op))
    assert not bool(jax.jit(lambda op: jax.numpy.asarray(op.is_hermitian))(a @ b))


def test_a_number_added_then_a_sampled_state(setup):
    """`(a + 1)` through a `FullSumState` (its `to_sparse` jitted with the sum a
    constant) left tracers in the identity's `LocalOperatorJax`; the next `MCState`
    call raised `UnexpectedTracerError`."""
    hi, a, _, da, _ = setup
    op = a + 1
    full, sampled = states(hi)
    full.expect(op)
    ref = reference(hi, da + np.eye(len(da)))
    np.testing.assert_allclose(sampled.expect(op).mean, sampled.expect(ref).mean, atol=1e-10)
