"""Fast updates in `symir.local_energies` against NetKet's local kernel on NetKet's operators.

The reference nobody here wrote: `local_value_kernel_jax` of NetKet with NetKet's
operator of the same model, evaluating the network on every connected state, at 1e-10:
NetKet's `RBMModPhase` (without hidden bias, chunked) on Bose-Hubbard (checked writes), a
module of the protocol (`fast_theta` / `fast_logpsi`, with parameters after the first
layer) on Heisenberg, a complex `Jastrow` (the split of its program: its adapter is
retired) and a complex `RBM` (its adapter) with `jax.grad` with respect to their
parameters through the fast path's reverse-mode rule. The NetKet adapter's choice of kernel is
checked here; `expect`, `expect_and_grad` and `local_estimators` through it (fast
updates with NetKet's real and complex `RBM`, on Heisenberg, J1-J2, Bose-Hubbard,
Fermi-Hubbard with its sector and fermion signs, and TFIM with k = 1; chunked and not;
sharded and not) are in tests/unit/symir/test_local_energy.py.
"""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symir as sym
from symir import models
from symir.runtime.fast_updates import fast_updates_for, resolve_fast_updates

nk = pytest.importorskip("netket")
import netket.vqs.mc.kernels as nk_kernels  # noqa: E402

from symir.integrations import netket_local_energy  # noqa: E402

ATOL = 1e-10


def quiet(f, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(*args, **kwargs)


class ProtocolRBM(nn.Module):
    """A module of the protocol: an RBM with a final linear readout of the hidden units
    (parameters after the first layer: `logpsi` uses them too)."""

    hidden: int = 4

    def setup(self):
        self.dense = nn.Dense(self.hidden, param_dtype=complex)
        self.readout = self.param("readout", nn.initializers.normal(0.1), (self.hidden,), complex)

    def fast_theta(self, x):
        return self.dense(x)

    def fast_logpsi(self, theta):
        return nk.nn.activation.log_cosh(theta) @ self.readout

    def __call__(self, x):
        return self.fast_logpsi(self.fast_theta(x))


def _system(name):
    """(hilbert, symir's compiled operator, NetKet's operator, samples)."""
    rng = np.random.default_rng(5)
    g = quiet(nk.graph.Chain, 6, pbc=True)
    if name == "bose_hubbard":
        hi = nk.hilbert.Fock(n_max=3, N=6)
        ref = nk.operator.BoseHubbard(hi, g, U=2.0, J=1.0).to_jax_operator()
        ours = models.bose_hubbard(hi, g, U=2.0, J=1.0).compile()
    else:
        hi = nk.hilbert.Spin(0.5, 6)
        ref = nk.operator.Heisenberg(hi, g).to_jax_operator()
        ours = models.heisenberg(hi, g).compile()
    x = rng.choice(np.asarray(hi.local_states), size=(16, hi.size))
    return hi, ours, ref, x


@pytest.fixture(scope="module")
def systems():
    built = {}

    def get(name):
        if name not in built:
            hi, ours, ref, x = quiet(_system, name)
            ref.get_conn_padded(x[:1])  # NetKet's operators set themselves up on first use
            built[name] = (hi, ours, ref, x)
        return built[name]

    return get


def variables(model, x, seed=0):
    """Initial variables moved off NetKet's small initialisation (so that every term of
    the network matters at 1e-10)."""
    v = jax.jit(model.init)(jax.random.key(seed), x[:1])
    leaves, tree = jax.tree.flatten(v)
    keys = jax.random.split(jax.random.key(seed + 1), len(leaves))
    moved = [a + 0.2 * jax.random.normal(k, a.shape, a.dtype) for a, k in zip(leaves, keys)]
    return jax.tree.unflatten(tree, moved)


CASES = {
    # name: (model, network, local_energies options)
    "bose_hubbard-modphase-chunked": (
        "bose_hubbard",
        nk.models.RBMModPhase(alpha=1, use_hidden_bias=False),
        {"chunk_size": 8, "capacity": 3},
    ),
    "heisenberg-protocol": ("heisenberg", ProtocolRBM(), {}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_fast_updates_equal_netkets_kernel(systems, case):
    """Local energies by fast updates (the bound `apply` with `fast_updates=True`) equal
    NetKet's kernel on NetKet's operator, value by value, in the dtype NetKet's kernel
    gives."""
    name, model, options = CASES[case]
    _, ours, ref, x = systems(name)
    v = variables(model, x)

    def both(v, x):
        got = sym.local_energies(model.apply, v, x, ours, fast_updates=True, **options)
        expected = nk_kernels.local_value_kernel_jax(model.apply, v, x, ref)
        return got, expected

    got, expected = jax.jit(both)(v, x)
    assert got.dtype == expected.dtype
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), atol=ATOL, rtol=0)


@pytest.mark.parametrize(
    "model",
    [nk.models.Jastrow(), nk.models.RBM(alpha=1, param_dtype=complex)],
    ids=["jastrow-split", "rbm-adapter"],
)
def test_values_and_parameter_gradients_through_the_fast_path(systems, model):
    """A complex Jastrow (no adapter: the split of its program) and a complex RBM (its
    adapter), the module given as `fast_updates`: the local energies, and `jax.grad` of a
    real function of them (real and imaginary parts) with respect to the parameters,
    through the fast path's reverse-mode rule (the cached values and their changes
    differentiated through the chunk loop; capacity 2: many chunks), against NetKet's
    kernel and `jax.grad` of it."""
    _, ours, ref, x = systems("heisenberg")
    x = x[:8]
    v = variables(model, x, seed=3)

    def ours_energies(v):
        return sym.local_energies(model.apply, v, x, ours, fast_updates=model, capacity=2)

    def ref_energies(v):
        return nk_kernels.local_value_kernel_jax(model.apply, v, x, ref)

    def loss(p, energies):
        e = energies({"params": p})
        return jnp.sum(e.real**2) + 3 * jnp.sum(e.imag)

    def both(p):
        values = ours_energies({"params": p}), ref_energies({"params": p})
        return values, jax.grad(loss)(p, ours_energies), jax.grad(loss)(p, ref_energies)

    (got, expected), grad, grad_ref = jax.jit(both)(v["params"])
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), atol=ATOL, rtol=0)
    for a, b in zip(jax.tree.leaves(grad), jax.tree.leaves(grad_ref), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=ATOL, rtol=1e-10)


def test_netket_picks_fast_updates_for_supported_models(systems):
    """NetKet's dispatch gives symir's kernel with `fast_updates=model` for a model that
    has an adapter (a protocol module), `fast_updates="auto"` otherwise (NetKet's RBM,
    an MLP, NetKet's Jastrow, an apply function that is not a module: the network's own
    split where it pays, tests/unit/symir/test_network_split.py), the plain kernel when
    they are switched off (`set_fast_updates(False)`)."""
    hi, ours, _, _ = systems("heisenberg")
    adapted = ours.to_netket(hi)
    vs = quiet(nk.vqs.MCState, nk.sampler.MetropolisLocal(hi), ProtocolRBM(), n_samples=16)
    for kernel in (nk.vqs.get_local_kernel(vs, adapted), nk.vqs.get_local_kernel(vs, adapted, 8)):
        assert kernel.func is netket_local_energy.local_value_kernel
        assert kernel.keywords == {"fast_updates": vs.model}
    for model in (nk.models.RBM(), nk.models.MLP(hidden_dims=(4,)), nk.models.Jastrow()):
        kernel = netket_local_energy._kernel_for(SimpleNamespace(model=model))
        assert kernel.keywords == {"fast_updates": "auto"}
    bound = SimpleNamespace(model=nk.utils.wrap_afun(nk.models.RBM().apply))
    assert netket_local_energy._kernel_for(bound).keywords == {"fast_updates": "auto"}
    try:
        netket_local_energy.set_fast_updates(False)
        assert nk.vqs.get_local_kernel(vs, adapted) is netket_local_energy.local_value_kernel
    finally:
        netket_local_energy.set_fast_updates(True)


def test_resolving_the_option():
    """True needs a Flax module's bound `apply`; "auto" falls back to the network
    evaluation where the model has no fast updates; a module without them is an error
    that says what to do."""
    rbm, mlp = ProtocolRBM(), nk.models.MLP(hidden_dims=(4,))
    assert fast_updates_for(mlp) is None and fast_updates_for(nk.models.RBM()) is None
    assert resolve_fast_updates(False, rbm.apply) is None
    assert resolve_fast_updates(True, rbm.apply) is not None
    assert resolve_fast_updates("auto", mlp.apply) is None
    assert resolve_fast_updates("auto", lambda v, x: rbm.apply(v, x)) is None
    with pytest.raises(TypeError, match=r"fast_updates=True\) needs logpsi to be the `apply`"):
        resolve_fast_updates(True, lambda v, x: rbm.apply(v, x))
    with pytest.raises(TypeError, match="MLP does not support fast updates"):
        resolve_fast_updates(mlp, mlp.apply)
    with pytest.raises(ValueError, match="fast_updates must be True, False, 'auto'"):
        resolve_fast_updates("always", rbm.apply)
