"""Sweep 24: lattices, models and networks no earlier sweep tried, against NetKet's own
operator of the same model.

Honeycomb and kagome lattices, a spin-1 chain, Bose-Hubbard with `n_max=2`, a complex
Dzyaloshinskii-Moriya chain written with `sym.pauli_strings`, spinless fermions with
next-nearest hopping and a complex phase written with `sym.fermion_terms`; NetKet's
`RBMModPhase`, `RBMMultiVal`, `MPSPeriodic`, `Slater2nd` with a `Jastrow`, and user
modules (no bias, `x.astype(int)` indexing an embedding, `x * 2 - 1`, a parameter shared
by two layers). The reference: NetKet's operator, its local energies
(`symir.testing.local_energies`) and `expect_and_grad` with NetKet's default kernel, at
1e-10; each case also checks the path `choose_path` takes.
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symir as sym
from symir import models
from symir.integrations import netket_measured
from symir.runtime.local_energy import choose_path, local_energy_plan
from symir.testing import assert_same_expect_and_grad, local_energies

nk = pytest.importorskip("netket")

RTOL = 1e-10
F64 = jnp.float64


class NoBias(nn.Module):
    """Dense without bias, `log_cosh`, a sum."""

    @nn.compact
    def __call__(self, x):
        h = nn.Dense(2 * x.shape[-1], use_bias=False, param_dtype=F64)(x)
        return jnp.sum(nk.nn.activation.log_cosh(h), -1)


class IntEmbed(nn.Module):
    """`x.astype(int)` indexing a table of one embedding per site and local state."""

    lo: int
    step: int
    n: int

    @nn.compact
    def __call__(self, x):
        idx = (x.astype(jnp.int32) - self.lo) // self.step
        table = self.param("table", nn.initializers.normal(0.5), (self.n, x.shape[-1], 6), F64)
        return jnp.sum(nn.silu(jnp.sum(table[idx, jnp.arange(x.shape[-1])], -2)), -1)


class TwoXMinusOne(nn.Module):
    """`x * 2 - 1` (fermion occupations to +-1), Dense, gelu."""

    @nn.compact
    def __call__(self, x):
        return jnp.sum(nn.gelu(nn.Dense(12, param_dtype=F64)(x * 2 - 1)), -1)


class Shared(nn.Module):
    """One Dense on x, on x reversed, and on the hidden layer."""

    @nn.compact
    def __call__(self, x):
        d = nn.Dense(x.shape[-1], param_dtype=F64)
        h = jnp.tanh(d(x)) + jnp.tanh(d(x[..., ::-1]))
        return jnp.sum(jnp.cos(d(h)), -1)


class SlaterJastrow(nn.Module):
    """NetKet's `Slater2nd` times a `Jastrow` factor."""

    hilbert: object

    @nn.compact
    def __call__(self, x):
        slater = nk.models.Slater2nd(self.hilbert, param_dtype=F64)(x)
        return slater + nk.models.Jastrow(param_dtype=F64)(x)


def moved(params, key=3):
    """The parameters moved away from their initialisation."""
    leaves, tree = jax.tree_util.tree_flatten(params)
    keys = jax.random.split(jax.random.key(key), len(leaves))
    return jax.tree_util.tree_unflatten(
        tree, [p + 0.1 * jax.random.normal(k, p.shape, p.dtype) for p, k in zip(leaves, keys)]
    )


def spin1_chain(n=8):
    """The spin-1 Heisenberg chain (NetKet's local states -2, 0, 2): `x_i x_j` and the
    exchange `4` where a quantum of 2 moves between the sites; the reference is NetKet's
    sum of `sigma^a sigma^a` on `Spin(1)`."""
    from netket.operator.spin import sigmax, sigmay, sigmaz

    graph = nk.graph.Chain(n)
    hi = nk.hilbert.Spin(1.0, n, total_sz=0)
    site = sym.site
    op = (
        sym.DOperator(hi, "heisenberg_s1", hermitian=True)
        .for_each(("i", "j"), over=graph)
        .emit(sym.identity(), matrix_element=site("i") * site("j"))
        .emit_if((site("i") > -2) & (site("j") < 2), sym.hop("i", "j", 2), matrix_element=4.0)
        .emit_if((site("j") > -2) & (site("i") < 2), sym.hop("j", "i", 2), matrix_element=4.0)
        .build()
    )
    ref = sum(
        sigmax(hi, i) @ sigmax(hi, j)
        + sigmay(hi, i) @ sigmay(hi, j)
        + sigmaz(hi, i) @ sigmaz(hi, j)
        for i, j in graph.edges()
    )
    return hi, graph, op.compile(), ref


def dm_chain(n=8, d=0.4):
    """The Heisenberg chain plus a Dzyaloshinskii-Moriya term `D (X_i Y_j - Y_i X_j)`:
    complex matrix elements, as Pauli strings. With `Z_i Z_j` the diagonal is a complex
    quadratic form with a zero imaginary part, once lowered as a `dot_general` against an
    all-zero table that XLA's CPU compiler miscompiled in about one compile in four
    (tests/unit/lowering/test_no_dot_with_zeros.py)."""
    hi = nk.hilbert.Spin(0.5, n)
    strings, weights = [], []
    for i, j in nk.graph.Chain(n).edges():
        for a, b, w in (("X", "X", 1), ("Y", "Y", 1), ("Z", "Z", 1), ("X", "Y", d), ("Y", "X", -d)):
            s = ["I"] * n
            s[i], s[j] = a, b
            strings.append("".join(s))
            weights.append(w)
    return (
        hi,
        sym.pauli_strings(hi, strings, weights).compile(),
        nk.operator.PauliStrings(hi, strings, weights),
    )


def spinless_nnn(n=10, t2=0.4, phase=0.7):
    """Spinless fermions, half filling: hopping `-t e^{i phase}` to the next site, `-t2`
    to the next-nearest (complex), from `sym.fermion_terms`."""
    hi = nk.hilbert.SpinOrbitalFermions(n, n_fermions=n // 2)
    terms, weights = [], []
    for dist, t in ((1, np.exp(1j * phase)), (2, t2)):
        for i in range(n):
            j = (i + dist) % n
            terms += [((i, 1), (j, 0)), ((j, 1), (i, 0))]
            weights += [-t, -np.conj(t)]
    graph = nk.graph.Graph(edges=[(i, (i + d) % n) for d in (1, 2) for i in range(n)])
    return (
        hi,
        graph,
        sym.fermion_terms(hi, terms, weights).compile(),
        nk.operator.FermionOperator2nd(hi, terms, weights),
    )


def assert_local_energies(vs, op, ref, fast_updates):
    """symir's local energies of `vs`'s samples equal NetKet's operator's."""
    x = vs.samples.reshape(-1, vs.hilbert.size)
    expected = local_energies(vs._apply_fun, vs.variables, x, ref.to_jax_operator())
    got = sym.local_energies(vs._apply_fun, vs.variables, x, op, fast_updates=fast_updates)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=RTOL)


def path_of(vs, op, **kwargs):
    x = vs.samples.reshape(-1, vs.hilbert.size)
    return choose_path(vs._apply_fun, vs.variables, x, op, local_energy_plan(op), **kwargs)


def state(sampler, network, samples=128):
    vs = nk.vqs.MCState(sampler, network, n_samples=samples, seed=0, sampler_seed=1)
    # a burn-in as long as the chain: one program (the length is static), not NetKet's 5
    # steps and the chain
    vs.n_discard_per_chain = vs.chain_length
    vs.parameters = moved(vs.parameters)
    vs.sample()
    return vs


@pytest.fixture(autouse=True)
def _symir_kernel():
    """symir's kernel, unmeasured (as the other tests run)."""
    was = netket_measured._ON[0]
    netket_measured.set_measured_choice(False)
    nk.config.netket_experimental_packed_kernel = False
    yield
    netket_measured.set_measured_choice(was)


def test_kagome_tfim_rbm_mod_phase_splits_and_equals_netkets():
    """NetKet's `RBMModPhase` on the TFIM of the 12-site kagome lattice: the derived split."""
    graph = nk.graph.Kagome([2, 2], pbc=True)
    hi = nk.hilbert.Spin(0.5, graph.n_nodes)
    op = models.tfim(hi, graph).compile()
    ref = nk.operator.Ising(hi, graph, h=1.0, J=1.0)
    vs = state(nk.sampler.MetropolisLocal(hi, n_chains=8), nk.models.RBMModPhase(alpha=1))
    assert path_of(vs, op, required=True).name == "derived"
    assert_local_energies(vs, op, ref, True)
    assert_same_expect_and_grad(vs, op.to_netket(hi), ref.to_jax_operator())


def test_honeycomb_heisenberg_no_bias_and_shared_layer_split():
    """A Dense without bias, and one Dense used three times, on the Heisenberg model of
    the 18-site honeycomb lattice (total Sz 0): the split applies to both."""
    graph = nk.graph.Honeycomb([3, 3], pbc=True)
    hi = nk.hilbert.Spin(0.5, graph.n_nodes, total_sz=0)
    op = models.heisenberg(hi, graph).compile()
    ref = nk.operator.Heisenberg(hi, graph)
    sampler = nk.sampler.MetropolisExchange(hi, graph=graph, n_chains=8)
    for network in (NoBias(), Shared()):
        vs = state(sampler, network, samples=64)
        path = path_of(vs, op, padded=True)
        assert path.name == "derived", path.reason
        assert_local_energies(vs, op, ref, "auto")


def test_spin_one_chain_embedding_and_multival_rbm():
    """Spin 1 (local states -2, 0, 2, in NetKet's descending order): `x.astype(int)`
    indexing an embedding, and NetKet's `RBMMultiVal` (one-hot of the local states),
    split."""
    hi, graph, op, ref = spin1_chain()
    sampler = nk.sampler.MetropolisExchange(hi, graph=graph, n_chains=8)
    vs = state(sampler, IntEmbed(lo=-2, step=2, n=3))
    path = path_of(vs, op, padded=True)
    assert path.name == "derived", path.reason
    assert_local_energies(vs, op, ref, True)
    vs = state(sampler, nk.models.RBMMultiVal(n_classes=3, alpha=1))
    assert_same_expect_and_grad(vs, op.to_netket(hi), ref.to_jax_operator())


def test_mps_does_not_split_and_says_why():
    """NetKet's `MPSPeriodic` (a `scan` of tensors picked by x) does not split: "auto"
    takes a plain path, equal to NetKet's; `fast_updates=True` raises one line naming
    the scan."""
    hilbert = nk.hilbert.Fock(n_max=2, N=8, n_particles=8)
    graph = nk.graph.Chain(8)
    op = models.bose_hubbard(hilbert, graph, U=2.0, V=0.3, mu=0.5).compile()
    ref = nk.operator.BoseHubbard(hilbert, graph, U=2.0, V=0.3, J=1.0, mu=0.5)
    network = nk.models.tensor_networks.MPSPeriodic(hilbert=hilbert, bond_dim=3)
    vs = state(nk.sampler.MetropolisExchange(hilbert, graph=graph, n_chains=8), network, 64)
    assert path_of(vs, op, padded=True).name in ("padded", "deltas", "table")
    assert_local_energies(vs, op, ref, "auto")
    x = vs.samples.reshape(-1, hilbert.size)
    with pytest.raises(ValueError, match=r"fast_updates=True.*scan @ ") as error:
        sym.local_energies(vs._apply_fun, vs.variables, x, op, fast_updates=True)
    assert "\n" not in str(error.value)


def test_dzyaloshinskii_moriya_chain_full_sum():
    """A complex operator (Pauli strings with `XY - YX`), a real network and a complex
    one, `FullSumState`: NetKet's energies and gradients."""
    hi, op, ref = dm_chain()
    for network in (NoBias(), nk.models.RBM(alpha=1, param_dtype=complex)):
        vs = nk.vqs.FullSumState(hi, network, seed=0)
        vs.parameters = moved(vs.parameters)
        assert_same_expect_and_grad(vs, op.to_netket(hi), ref.to_jax_operator())


def test_spinless_fermions_with_a_phase_slater_jastrow_and_two_x_minus_one():
    """Spinless fermions with a complex hopping phase and next-nearest hopping:
    `Slater2nd` with a `Jastrow` factor by its determinant updates (fast_updates=True),
    chunked; `x * 2 - 1` of the occupations, split."""
    hi, graph, op, ref = spinless_nnn()
    sampler = nk.sampler.MetropolisFermionHop(hi, graph=graph, n_chains=8)
    vs = state(sampler, SlaterJastrow(hi), 64)
    assert path_of(vs, op, required=True).name == "determinant"
    assert_local_energies(vs, op, ref, True)
    vs.chunk_size = 32
    assert_same_expect_and_grad(vs, op.to_netket(hi), ref.to_jax_operator())
    vs = state(sampler, TwoXMinusOne(), 64)
    assert_local_energies(vs, op, ref, True)
