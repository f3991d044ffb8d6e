"""symir operators where NetKet's drivers, mixed states and Liouvillians take them, each
against NetKet's own operator of the same matrix (found by a sweep: every case raised
inside NetKet before)."""

from __future__ import annotations

import warnings

import jax
import numpy as np
import pytest

import symir as sym
from symir.testing import dense_matrix

nk = pytest.importorskip("netket")
optax = pytest.importorskip("optax")

N = 3


def field_model(hi):
    """sum_i (sigma^x_i + 0.3 sigma^z_i) written in symir, and NetKet's."""
    ours = (
        sym.DOperator(hi, "field", hermitian=True)
        .for_each_site("i")
        .emit(sym.write("i", -sym.site("i")), matrix_element=1.0)
        .for_each_site("i")
        .emit(sym.identity(), matrix_element=0.3 * sym.site("i"))
        .build()
    )
    theirs = sum(
        nk.operator.spin.sigmax(hi, i) + 0.3 * nk.operator.spin.sigmaz(hi, i)
        for i in range(hi.size)
    )
    return ours, theirs


def _moved(state) -> None:
    rng = np.random.default_rng(0)
    state.parameters = jax.tree_util.tree_map(
        lambda p: p + 0.1 * rng.normal(size=p.shape), state.parameters
    )


@pytest.mark.parametrize("chunk_size", [None, 16])
def test_mixed_state_expectation(chunk_size):
    """`MCMixedState.expect`: plum found NetKet's (mixed state, jax operator) rule and
    symir's (MCState, adapter) rule equally good and raised."""
    hi = nk.hilbert.Spin(0.5, N)
    ours, theirs = field_model(hi)
    state = nk.vqs.MCMixedState(
        nk.sampler.MetropolisLocal(nk.hilbert.DoubledHilbert(hi), n_chains=4),
        nk.models.NDM(alpha=1, param_dtype=float),
        n_samples=64,
        n_samples_diag=64,
        seed=1,
        sampler_seed=2,
        chunk_size=chunk_size,
    )
    _moved(state)
    expected = complex(state.expect(theirs).mean)
    for op in (ours, ours.to_netket()):
        assert complex(state.expect(op).mean) == pytest.approx(expected, abs=1e-12)


def test_local_liouvillian_of_a_symir_hamiltonian():
    """NetKet's `LocalLiouvillian` asks the Hamiltonian for `to_numba_operator()` (its
    own matrices are numba-compiled: slow, so the numba operator's matrix is compared)."""
    hi = nk.hilbert.Spin(0.5, N)
    ours, theirs = field_model(hi)
    numba = ours.to_netket().to_numba_operator()
    assert np.abs(dense_matrix(numba) - dense_matrix(theirs)).max() < 1e-12
    liouvillian = nk.operator.LocalLiouvillian(ours.to_netket(), [nk.operator.spin.sigmam(hi, 0)])
    assert liouvillian.hilbert.physical == hi  # built (it raised an AttributeError before)


@pytest.mark.parametrize("driver", ["VMC", "VMC_SR"])
def test_drivers_take_a_symbolic_operator(driver):
    """`VMC` asked the symbolic operator for `collect()`; `VMC_SR` its local
    estimators: the parameters after two steps equal those with NetKet's operator."""
    hi = nk.hilbert.Spin(0.5, 4)
    ours, theirs = field_model(hi)
    found = []
    for op in (ours, theirs):
        state = nk.vqs.MCState(
            nk.sampler.MetropolisLocal(hi, n_chains=4),
            nk.models.RBM(alpha=1, param_dtype=float),
            n_samples=64,
            seed=1,
            sampler_seed=2,
        )
        state.n_discard_per_chain = state.chain_length  # one compiled chain (its length is static)
        if driver == "VMC":
            run = nk.driver.VMC(op, optax.sgd(0.01), variational_state=state)
        else:
            run = nk.driver.VMC_SR(op, optax.sgd(0.01), diag_shift=0.1, variational_state=state)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            run.run(2, out=None, show_progress=False)
        found.append(jax.tree_util.tree_leaves(state.parameters))
    for a, b in zip(*found, strict=True):
        assert np.abs(np.asarray(a) - np.asarray(b)).max() < 1e-10


def test_local_estimators_of_a_symbolic_operator():
    hi = nk.hilbert.Spin(0.5, 4)
    ours, theirs = field_model(hi)
    state = nk.vqs.MCState(
        nk.sampler.MetropolisLocal(hi, n_chains=4),
        nk.models.RBM(alpha=1, param_dtype=float),
        n_samples=64,
        seed=1,
    )
    state.n_discard_per_chain = state.chain_length  # one compiled chain (its length is static)
    for chunk_size in (None, 16):
        ours_e = np.asarray(state.local_estimators(ours, chunk_size=chunk_size).data)
        theirs_e = np.asarray(state.local_estimators(theirs, chunk_size=chunk_size).data)
        assert np.abs(ours_e - theirs_e).max() < 1e-12


def test_conjugate_of_the_adapter():
    """Real elements: the operator itself; complex ones: its symbolic operator conjugated
    and compiled, or, for an adapter without one, an error that says what to do (NetKet's
    base raised a NotImplementedError without a message)."""
    hi = nk.hilbert.Spin(0.5, 2)
    real = field_model(hi)[0].to_netket()
    assert real.conj() is real and real.conjugate(concrete=True) is real
    phase = (
        sym.DOperator(hi, "phase")
        .for_each_site("i")
        .emit(sym.write("i", -sym.site("i")), matrix_element=1j)
        .build()
    )
    conjugate = phase.to_netket().conj()
    np.testing.assert_allclose(conjugate.to_dense(), phase.to_netket().to_dense().conj())
    bare = sym.to_netket(phase.compile().with_params())  # no symbolic operator kept
    with pytest.raises(NotImplementedError, match=r"conjugate the symbolic operator"):
        bare.conj()
