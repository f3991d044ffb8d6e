"""Sweep 26: networks and models no earlier sweep tried, against NetKet's own operator of
the same model; each case a defect found and fixed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symir as sym
from symir.integrations import netket_measured
from symir.testing import local_energies

nk = pytest.importorskip("netket")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_network_sweep24 import moved  # noqa: E402

RTOL = 1e-10


def spinless_ring(n=6, back=-1.0):
    """Spinless fermions on a ring, half filling: `-cdag_j c_i` forwards and `back
    cdag_i c_j` backwards (non-hermitian unless `back` is -1)."""
    hi = nk.hilbert.SpinOrbitalFermions(n, n_fermions=n // 2)
    terms, weights = [], []
    for i in range(n):
        j = (i + 1) % n
        terms += [((j, 1), (i, 0)), ((i, 1), (j, 0))]
        weights += [-1.0, back]
    return (
        hi,
        sym.fermion_terms(hi, terms, weights).compile(),
        nk.operator.FermionOperator2nd(hi, terms, weights),
    )


@pytest.mark.parametrize("fast_updates", [False, True])
def test_the_gradient_of_a_slater_networks_local_energies(fast_updates):
    """A network that calls LAPACK (`Slater2nd`) has its local energies evaluated with
    its LAPACK calls in order (`lapack_ordered`), which evaluated the loops' custom_vjp
    through their bodies: `jax.grad` of `symir.local_energies` raised JAX's "Reverse-mode
    differentiation does not work for lax.while_loop" on every path. Now it is the
    gradient of NetKet's local energies, with respect to the network's parameters."""
    hi, op, ref = spinless_ring()
    net = nk.models.Slater2nd(hi, param_dtype=jnp.float64)
    x = jnp.asarray(hi.random_state(jax.random.key(0), 16))
    variables = moved(net.init(jax.random.key(1), x))
    ref = ref.to_jax_operator()

    def got(v):
        e = sym.local_energies(net.apply, v, x, op, fast_updates=fast_updates)
        return jnp.sum(jnp.abs(e) ** 2)

    def want(v):
        return jnp.sum(jnp.abs(local_energies(net.apply, v, x, ref)) ** 2)

    for a, b in zip(
        jax.tree.leaves(jax.jit(jax.grad(got))(variables)),  # one program each, not op by op
        jax.tree.leaves(jax.jit(jax.grad(want))(variables)),
        strict=True,
    ):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=RTOL)


def test_expect_and_grad_of_a_non_hermitian_operator_on_a_slater_state():
    """NetKet's gradient of a non-hermitian operator differentiates the local energies:
    with a `Slater2nd` state `vstate.expect_and_grad` raised the same ValueError. Now it
    is NetKet's (complex matrix elements: NetKet's own program is right there)."""
    hi, op, ref = spinless_ring(back=-0.5 + 0.2j)
    sampler = nk.sampler.MetropolisFermionHop(hi, graph=nk.graph.Chain(6), n_chains=8)
    net = nk.models.Slater2nd(hi, param_dtype=jnp.float64)
    vs = nk.vqs.MCState(sampler, net, n_samples=64, seed=0, sampler_seed=1)
    vs.n_discard_per_chain = vs.chain_length  # one compiled chain (its length is static)
    vs.parameters = moved(vs.parameters)
    experimental, measured = nk.config.netket_experimental, netket_measured._ON[0]
    nk.config.netket_experimental = True  # NetKet's gradient of non-hermitian operators
    netket_measured.set_measured_choice(False)
    try:
        energy, grad = vs.expect_and_grad(op.to_netket(hi))
        ref_energy, ref_grad = vs.expect_and_grad(ref)
    finally:
        nk.config.netket_experimental = experimental
        netket_measured.set_measured_choice(measured)
    assert abs(energy.mean - ref_energy.mean) < RTOL
    for a, b in zip(jax.tree.leaves(grad), jax.tree.leaves(ref_grad), strict=True):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=RTOL)
