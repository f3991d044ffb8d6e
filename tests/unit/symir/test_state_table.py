"""Local energies from a table of the network on every configuration of a small space
(`symir/runtime/state_table.py`).

The reference: NetKet's operator of the same model and the network evaluated on every
connected state of its `get_conn_padded` (`symir.testing.local_energies`), at 1e-10
relative; gradients against symir's plain path. The networks are modules written here
that no adapter knows.
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symir as sym
from symir import models
from symir.runtime import state_table
from symir.runtime.local_energy import choose_path, local_energy_plan
from symir.testing import local_energies

nk = pytest.importorskip("netket")

RTOL = 1e-10


class SoftsignNet(nn.Module):
    """A user's network: Dense, softsign, a Dense read by a sum of squares."""

    @nn.compact
    def __call__(self, x):
        h = nn.soft_sign(nn.Dense(2 * x.shape[-1], param_dtype=float)(x))
        return jnp.sum(nn.Dense(3, param_dtype=float)(h) ** 2, axis=-1)


class ComplexNet(nn.Module):
    """Complex weights: Dense, tanh, a sum."""

    @nn.compact
    def __call__(self, x):
        return jnp.sum(jnp.tanh(nn.Dense(6, param_dtype=complex)(x)), axis=-1)


def _samples(hi, b: int, seed: int):
    """`b` configurations with runs of equal consecutive rows (as a Markov chain's)."""
    x = np.array(hi.random_state(jax.random.key(seed), b))
    x[1::3] = x[0::3][: len(x[1::3])]
    return jnp.asarray(x)


def _case(name: str):
    """(hilbert, symir operator, NetKet's operator) of a small unconstrained space."""
    if name == "tfim3x4":
        hi = nk.hilbert.Spin(0.5, 12)
        graph = nk.graph.Grid([3, 4], pbc=True)
        return hi, models.tfim(hi, graph), nk.operator.IsingJax(hi, graph, h=1.0, J=1.0)
    if name == "heisenberg10":  # two changes a slot, no sector
        hi = nk.hilbert.Spin(0.5, 10)
        graph = nk.graph.Chain(10)
        ref = nk.operator.Heisenberg(hi, graph).to_jax_operator()
        return hi, models.heisenberg(hi, graph), ref
    if name == "heisenberg12_sz0":  # a sector: 924 of 4,096 configurations
        hi = nk.hilbert.Spin(0.5, 12, total_sz=0)
        graph = nk.graph.Chain(12)
        ref = nk.operator.Heisenberg(hi, graph).to_jax_operator()
        return hi, models.heisenberg(hi, graph), ref
    if name == "hubbard2x3":  # fermions, two sectors (3 up, 3 down): 400 of 4,096
        graph = nk.graph.Grid([2, 3], pbc=False)
        hi = nk.hilbert.SpinOrbitalFermions(6, s=0.5, n_fermions_per_spin=(3, 3))
        ref = models.netket_fermi_hubbard(hi, graph).to_jax_operator()
        return hi, models.fermi_hubbard(hi, graph), ref
    # three local states (3^7 = 2,187 configurations)
    hi = nk.hilbert.Fock(n_max=2, N=7)
    graph = nk.graph.Chain(7)
    ref = nk.operator.BoseHubbard(hi, graph, U=1.0, J=1.0).to_jax_operator()
    return hi, models.bose_hubbard(hi, graph), ref


@pytest.mark.parametrize(
    ("name", "network"),
    [
        ("tfim3x4", SoftsignNet),
        ("heisenberg10", ComplexNet),
        ("bosons7", SoftsignNet),
        ("heisenberg12_sz0", ComplexNet),
        ("hubbard2x3", SoftsignNet),
    ],
)
def test_the_table_of_every_configuration_is_taken_and_exact(name, network, monkeypatch):
    """On a space of a few thousand configurations and 1,024 samples, `choose_path`
    takes the table (one batched call of the network on every state, then one read per
    connected state), with energies equal to NetKet's and, on one space with a sector
    and one without, a gradient equal to the plain path's. The bosons and the sectors
    fill their tables 256 states at a time (`BLOCK`: a `lax.map` over blocks)."""
    if name in ("bosons7", "heisenberg12_sz0", "hubbard2x3"):
        monkeypatch.setattr(state_table, "BLOCK", 256)
    hi, op, ref = _case(name)
    compiled = op.compile()
    ma = network()
    x = _samples(hi, 1024, 3)
    params = jax.jit(ma.init)(jax.random.key(4), x[:2])
    plan = local_energy_plan(compiled)
    path = choose_path(ma.apply, params, x, compiled, plan, padded=True)
    assert path.name == "table", str(path)
    assert path.costs["table"] < min(v for k, v in path.costs.items() if k != "table")
    want = local_energies(ma.apply, params, x, ref)
    got = sym.local_energies(ma.apply, params, x, compiled, fast_updates="auto")
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=RTOL)

    if name not in ("tfim3x4", "hubbard2x3"):  # the gradient: once each, with a sector or not
        return

    def loss(p, fast):
        e = sym.local_energies(ma.apply, p, x, compiled, fast_updates=fast)
        return jnp.sum(jnp.abs(e) ** 2)

    grad = jax.jit(jax.grad(loss), static_argnums=1)
    for a, b in zip(*(jax.tree_util.tree_leaves(grad(params, f)) for f in ("auto", False))):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


def test_the_table_is_not_taken_where_it_does_not_apply():
    """A bound on the rows of one call (`chunk_size`: the table is one call on every
    state), a space of more than `MAX_CONFIGURATIONS` configurations or a sector of more
    than `MAX_STATES` states, and a batch that reaches few of the states (`REACH`): each
    reason is printed, and the energies stay NetKet's."""
    hi, op, ref = _case("tfim3x4")
    compiled = op.compile()
    ma = SoftsignNet()
    x = _samples(hi, 1024, 5)
    params = jax.jit(ma.init)(jax.random.key(6), x[:2])
    plan = local_energy_plan(compiled)
    assert choose_path(ma.apply, params, x, compiled, plan).name != "table"
    small = choose_path(ma.apply, params, x[:8], compiled, plan, padded=True)
    assert "table" not in small.costs and "more than 0.5 a state" in small.reason, str(small)
    want = local_energies(ma.apply, params, x, ref)
    got = sym.local_energies(ma.apply, params, x, compiled, fast_updates="auto", chunk_size=512)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=RTOL)

    large = models.tfim(nk.hilbert.Spin(0.5, 21), nk.graph.Chain(21)).compile()
    why = state_table.why_not(large)
    assert why == f"table: {2**21} configurations, more than {state_table.MAX_CONFIGURATIONS}"
    x21 = jnp.ones((4, 21), jnp.int8)
    path = choose_path(ma.apply, params, x21, large, local_energy_plan(large), padded=True)
    assert "table" not in path.costs and why in path.reason
    sector = nk.hilbert.Spin(0.5, 20, total_sz=0)  # 184,756 states
    constrained = models.heisenberg(sector, nk.graph.Chain(20)).compile()
    assert state_table.why_not(constrained) == f"table: 184756 states, more than {2**16}"
    assert state_table.why_not(models.tfim(hi, nk.graph.Chain(12)).compile()) is None


def test_a_zero_element_reads_its_own_sample():
    """An operator without parameters leaves zero matrix elements out: a slot whose
    element is zero reads its own sample's value, so a connected state of a far larger
    amplitude (its ratio overflowing to inf) gives no `0 x inf`. The operator is
    `sum_i sigma+_i` written as a flip of every site with the element `(1 + x_i) / 2`,
    zero where site `i` is down; the network's amplitude is `e^1000` larger on the
    all-up state, which a flip of the one down site reaches with a zero element."""

    class Peaked(nn.Module):
        @nn.compact
        def __call__(self, x):
            h = jnp.tanh(nn.Dense(4, param_dtype=float)(x))
            return jnp.sum(h, axis=-1) + jnp.where(jnp.all(x > 0, axis=-1), 1000.0, 0.0)

    hi = nk.hilbert.Spin(0.5, 10)
    compiled = (
        sym.DOperator(hi, "raise", hermitian=False)
        .for_each_site("i")
        .emit(sym.write("i", -sym.site("i")), matrix_element=(1 + sym.site("i")) / 2)
        .build()
        .compile()
    )
    assert not compiled.param_names
    ref = sum(nk.operator.spin.sigmap(hi, i) for i in range(10)).to_jax_operator()
    ma = Peaked()
    x = np.array(_samples(hi, 1024, 7))
    x[::2, :] = 1
    x[::2, 0] = -1  # one site down: its flip reaches the all-up state, element zero
    x = jnp.asarray(x)
    params = jax.jit(ma.init)(jax.random.key(8), x[:2])
    path = choose_path(ma.apply, params, x, compiled, local_energy_plan(compiled), padded=True)
    assert path.name == "table", str(path)
    got = sym.local_energies(ma.apply, params, x, compiled, fast_updates="auto")
    np.testing.assert_allclose(got, local_energies(ma.apply, params, x, ref), rtol=RTOL)


def test_a_sample_outside_the_sector_keeps_every_branch():
    """The table of a sector holds its states only; a batch with a sample outside the
    sector (whose branches are all kept, docs/semantics.md) takes the compacted plain path
    at run time (a `lax.cond`): NetKet's energies, where the table gave NaN (that
    sample's own value is not in it)."""
    hi = nk.hilbert.Spin(0.5, 10, total_sz=0)
    graph = nk.graph.Chain(10)
    compiled = models.heisenberg(hi, graph).compile()
    ref = nk.operator.Heisenberg(hi, graph).to_jax_operator()
    ma = ComplexNet()
    x = np.array(_samples(hi, 1024, 9))
    params = jax.jit(ma.init)(jax.random.key(10), x[:2])
    path = choose_path(ma.apply, params, x, compiled, local_energy_plan(compiled), padded=True)
    assert path.name == "table", str(path)
    energies = jax.jit(
        lambda p, x: sym.local_energies(ma.apply, p, x, compiled, fast_updates="auto")
    )
    for last in (x[0], np.array([1, 1, 1, -1, 1, 1, -1, 1, 1, 1])):  # in, then out of it
        x[-1] = last
        want = local_energies(ma.apply, params, x, ref)
        np.testing.assert_allclose(energies(params, jnp.asarray(x)), want, rtol=RTOL, atol=RTOL)


class ProtocolTanh(nn.Module):
    """A module of the fast-update protocol (`fast_theta` / `fast_logpsi`): an adapter."""

    hidden: int = 24

    def setup(self):
        self.dense = nn.Dense(self.hidden, param_dtype=float)
        self.readout = self.param("readout", nn.initializers.normal(0.5), (self.hidden,), float)

    def fast_theta(self, x):
        return self.dense(x)

    def fast_logpsi(self, theta):
        return jnp.tanh(theta) @ self.readout

    def __call__(self, x):
        return self.fast_logpsi(self.fast_theta(x))


def test_a_network_with_an_adapter_takes_the_table_on_a_small_space(monkeypatch):
    """A module of the fast-update protocol has an adapter (its first layer by hand); on
    TFIM 3x4 with 1,024 samples the table of the 4,096 states costs less than the split
    by `ADAPTER_FACTOR`, and is taken instead; NetKet's energies. With a `chunk_size` the
    adapter's block runs. (NetKet's RBM had an adapter, retired: it is a split network.)"""
    from symir.runtime import local_energy

    taken = []
    table_block = state_table.table_block
    monkeypatch.setattr(
        state_table, "table_block", lambda *a, **k: taken.append(1) or table_block(*a, **k)
    )
    hi, op, ref = _case("tfim3x4")
    compiled = op.compile()
    rbm = ProtocolTanh()
    x = _samples(hi, 1024, 11)
    params = jax.jit(rbm.init)(jax.random.key(12), x[:2])
    path = choose_path(rbm.apply, params, x, compiled, local_energy_plan(compiled), padded=True)
    assert local_energy.ADAPTER_FACTOR * path.costs["table"] < path.costs["derived"], str(path)
    want = local_energies(rbm.apply, params, x, ref)
    got = jax.jit(lambda p, x: sym.local_energies(rbm.apply, p, x, compiled, fast_updates=rbm))
    np.testing.assert_allclose(got(params, x), want, rtol=RTOL, atol=RTOL)
    assert taken
    taken.clear()
    chunked = sym.local_energies(rbm.apply, params, x, compiled, fast_updates=rbm, chunk_size=512)
    np.testing.assert_allclose(chunked, want, rtol=RTOL, atol=RTOL)
    assert not taken
