"""One network evaluation per distinct connected state of a batch (symir/runtime/
batch_dedup.py): exact keys, the hash table's choice of the evaluated slots, and the
derived path's energies and gradients with it equal to NetKet's and to those without."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symir as sym
from symir import models
from symir.hilbert import DiscreteHilbert, SectorHilbert
from symir.runtime import batch_dedup
from symir.runtime.local_energy import choose_path, local_energy_plan
from symir.testing import local_energies

nk = pytest.importorskip("netket")


class DenseAct(nn.Module):
    """Dense, gelu, Dense, gelu, Dense (real)."""

    @nn.compact
    def __call__(self, x):
        h = nn.gelu(nn.Dense(12, param_dtype=float)(x))
        h = nn.gelu(nn.Dense(6, param_dtype=float)(h))
        return nn.Dense(1, param_dtype=float)(h)[..., 0]


class ComplexTanh(nn.Module):
    """Complex weights: the values moved between samples are complex ratios."""

    @nn.compact
    def __call__(self, x):
        h = jnp.tanh(nn.Dense(10, param_dtype=complex)(x))
        return jnp.sum(nn.Dense(3, param_dtype=complex)(h), -1)


@pytest.fixture(scope="module")
def chain():
    """Heisenberg on a chain of 8 spins (256 states) and 64 distinct samples: distinct
    samples share connected states (a state two exchanges away from another shares one
    with it), and equal samples repeat theirs."""
    hi = nk.hilbert.Spin(0.5, 8)
    graph = nk.graph.Chain(8)
    every = np.asarray(hi.all_states())
    distinct = every[np.random.default_rng(4).permutation(len(every))[:56]]
    x = jnp.asarray(np.concatenate([distinct, distinct[:8]]), jnp.float64)
    return hi, models.heisenberg(hi, graph).compile(), nk.operator.Heisenberg(hi, graph), x


@pytest.fixture
def whatever_it_costs(monkeypatch):
    """The deduplication wherever states repeat: these networks' rows cost less than
    its table (`pays` with their row costs would leave it off), and its values are
    what is tested."""
    monkeypatch.setattr(batch_dedup, "SLOT_COST", {"cache": 0, "memory": 0})


@pytest.mark.parametrize("module", [DenseAct, ComplexTanh])
def test_energies_and_gradients_equal_without_it_and_netkets(
    chain, module, monkeypatch, whatever_it_costs
):
    _, op, ref, x = chain
    ma = module()
    params = jax.jit(ma.init)(jax.random.key(5), x)
    slots = x.shape[0] * len(local_energy_plan(op).candidates)
    assert batch_dedup.pays(op.space, slots) is None
    path = choose_path(ma.apply, params, x, op, local_energy_plan(op), required=True)
    assert path.name == "derived" and "one evaluation per distinct" in path.reason

    def loss(p):  # the energies and the gradient from one program (forward and backward)
        e = sym.local_energies(ma.apply, p, x, op, fast_updates=True, repeated=False)
        return jnp.sum(jnp.abs(e) ** 2), e

    grad_with, with_it = jax.jit(jax.grad(loss, has_aux=True))(params)
    monkeypatch.setattr(batch_dedup, "STATES_PER_SLOT", 0.0)
    assert batch_dedup.pays(op.space, slots) is not None
    grad_without, without = jax.jit(jax.grad(loss, has_aux=True))(params)
    np.testing.assert_allclose(
        with_it, local_energies(ma.apply, params, x, ref), rtol=1e-10, atol=1e-10
    )
    np.testing.assert_allclose(with_it, without, rtol=1e-12, atol=1e-12)
    for a, b in zip(
        *(jax.tree_util.tree_leaves(g) for g in (grad_with, grad_without)), strict=True
    ):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


class SortFirst(nn.Module):
    """x meets a sort before any linear map: no split, the compacted plain path."""

    @nn.compact
    def __call__(self, x):
        h = nn.Dense(10, param_dtype=float)(jnp.concatenate([jnp.sort(x, -1), x], -1))
        return jnp.sum(jnp.tanh(h), -1)


def test_plain_path_equals_without_it_and_netkets(chain, monkeypatch):
    """The plain path (network rows built from the deltas) evaluates each distinct
    connected state once, with NetKet's energies and the gradients of evaluating every
    slot."""
    from symir.runtime import local_energy as le

    _, op, ref, x = chain
    ma = SortFirst()
    params = jax.jit(ma.init)(jax.random.key(6), x)
    plan = local_energy_plan(op)
    path = choose_path(ma.apply, params, x, op, plan)
    assert path.name == "deltas" and "one evaluation per distinct" in path.reason

    def energies(p):
        return le._delta_block(ma.apply, p, x, op, plan, plan.default_capacity(64), True)

    def grads(p):
        return jax.grad(lambda q: jnp.sum(energies(q) ** 2))(p)

    with_it, grad_with = jax.jit(energies)(params), jax.jit(grads)(params)
    monkeypatch.setattr(batch_dedup, "STATES_PER_SLOT", 0.0)
    without, grad_without = jax.jit(energies)(params), jax.jit(grads)(params)
    np.testing.assert_allclose(
        with_it, local_energies(ma.apply, params, x, ref), rtol=1e-10, atol=1e-10
    )
    np.testing.assert_allclose(with_it, without, rtol=1e-12, atol=1e-12)
    for a, b in zip(
        *(jax.tree_util.tree_leaves(g) for g in (grad_with, grad_without)), strict=True
    ):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


def test_every_valid_slot_compacts_where_states_repeat(monkeypatch):
    """TFIM on a chain of 6 (64 states, fewer than the 6 x 48 slots): every flip slot is
    valid, but where the batch's states repeat the derived path compacts to the distinct
    ones instead of evaluating every slot in order, with the same energies."""
    hi = nk.hilbert.Spin(0.5, 6)
    graph = nk.graph.Chain(6)
    op = models.tfim(hi, graph, h=0.8).compile()
    x = jnp.asarray(hi.random_state(jax.random.key(8), 48), jnp.float64)
    ma = DenseAct()
    params = jax.jit(ma.init)(jax.random.key(9), x)

    def energies(p):
        return sym.local_energies(ma.apply, p, x, op, fast_updates=True, repeated=False)

    with_it = jax.jit(energies)(params)
    path = choose_path(ma.apply, params, x, op, local_energy_plan(op), required=True)
    assert "one evaluation per distinct" in path.reason
    monkeypatch.setattr(batch_dedup, "STATES_PER_SLOT", 0.0)
    np.testing.assert_allclose(with_it, jax.jit(energies)(params), rtol=1e-12, atol=1e-12)
    ref = nk.operator.IsingJax(hi, graph, h=0.8, J=1.0)
    np.testing.assert_allclose(
        with_it, local_energies(ma.apply, params, x, ref), rtol=1e-10, atol=1e-10
    )


def test_evaluation_counts_report_one_evaluation_per_distinct_state(chain):
    from symir.runtime.local_energy import evaluation_counts

    _, op, _, x = chain
    counts = evaluation_counts(x, op)
    xp, mels = (np.asarray(a) for a in op.get_conn_padded(np.asarray(x, np.int8)))
    moved = (mels != 0) & np.any(xp != np.asarray(x, np.int8)[:, None, :], axis=-1)
    assert counts["candidates"] == int(moved.sum())
    assert counts["distinct"] == len(np.unique(xp[moved], axis=0)) < counts["candidates"]


def test_keys_are_the_connected_states_mixed_radix_numbers(chain):
    """`state_keys` of every slot: the number of the connected state `x'` written out
    (digits in the local states, site `i` weighted `radix^i`)."""
    _, op, _, x = chain
    xp, _ = (np.asarray(a) for a in op.get_conn_padded(np.asarray(x, np.int8)))
    sites, values, _, old, _ = op._conn_delta_parts(jnp.asarray(x, jnp.int8))
    digits = (np.asarray(x) > 0).astype(np.int64)
    new, was = (np.asarray(values) > 0).astype(np.int64), (np.asarray(old) > 0).astype(np.int64)
    keys = np.asarray(batch_dedup.state_keys(jnp.asarray(digits), sites, was, new, 2))
    expected = ((xp > 0).astype(np.int64) * 2 ** np.arange(8)).sum(-1)
    np.testing.assert_array_equal(keys, expected)


@pytest.mark.parametrize("golden", [None, 0])
def test_every_slot_takes_a_value_of_its_own_key_from_an_evaluated_slot(golden, monkeypatch):
    """Random keys with many repeats and a random mask: each needed slot's source has
    its key and is evaluated, every distinct key is evaluated, none twice unless two keys
    share a bucket. With the hash made constant (`golden` 0: every key in one bucket)
    it stays exact, only the bucket's first key is shared."""
    if golden is not None:
        monkeypatch.setattr(batch_dedup, "_GOLDEN", np.uint64(golden))
    rng = np.random.default_rng(0)
    keys = rng.integers(0, 300, size=(64, 20))
    needed = rng.random((64, 20)) < 0.7
    evaluated, source = (
        np.asarray(a) for a in batch_dedup.first_of_equal(jnp.asarray(needed), jnp.asarray(keys))
    )
    flat_keys, flat_source = keys.ravel(), source.ravel()
    assert not np.any(evaluated & ~needed)
    assert np.all(flat_keys[flat_source] == flat_keys)
    assert np.all(evaluated.ravel()[flat_source[needed.ravel()]])
    assert set(keys[evaluated]) == set(keys[needed])
    distinct = len(set(keys[needed]))
    if golden is None:
        assert distinct <= evaluated.sum() <= distinct + 10
    else:
        assert evaluated.sum() == needed.sum() - (keys[needed] == keys[needed][0]).sum() + 1


def test_values_move_only_between_samples_of_close_amplitudes():
    """With the samples' log-amplitudes, a slot takes another sample's value only within
    `MAX_LOG_GAP` of its own (the factor that moves it stays finite)."""
    rng = np.random.default_rng(1)
    keys = rng.integers(0, 50, size=(32, 8))
    needed = np.ones((32, 8), bool)
    logpsi_x = rng.normal(0, 400, size=32) + 1j * rng.normal(size=32)
    evaluated, source = (
        np.asarray(a)
        for a in batch_dedup.first_of_equal(
            jnp.asarray(needed), jnp.asarray(keys), jnp.asarray(logpsi_x)
        )
    )
    own = np.arange(32)[:, None]
    gap = np.abs(np.real(logpsi_x[source // 8] - logpsi_x[own]))
    assert np.all(gap < batch_dedup.MAX_LOG_GAP)
    assert np.any(source // 8 != own)  # some values still move
    assert np.all(keys.ravel()[source.ravel()] == keys.ravel())
    assert np.all(evaluated.ravel()[source.ravel()])


def test_sector_size_counts_the_sector_and_decides():
    spins = SectorHilbert((-1, 1), 8, sectors=((0, 8, 0),))
    bosons = SectorHilbert((0, 1, 2, 3), 9, sectors=((0, 9, 9),))
    two = SectorHilbert((0, 1), 6, sectors=((0, 3, 1), (3, 6, 2)))
    for space in (spins, bosons, two):
        assert batch_dedup.sector_size(space) == len(space.all_states())
    assert batch_dedup.sector_size(DiscreteHilbert((0, 1, 2), 5)) == 3**5
    assert batch_dedup.pays(spins, 35) is None
    assert "70 states for 34 slots" in batch_dedup.pays(spins, 34)
    assert "do not fit in 62 bits" in batch_dedup.pays(DiscreteHilbert((-1, 1), 64), 10**9)


def test_without_x64_keys_are_32_bit_and_large_spaces_are_left_alone():
    """With JAX's x64 off the keys are int32: a space of 2^31 configurations or more is
    not deduplicated (its keys would wrap), a smaller one still is, exactly."""
    with jax.enable_x64(False):
        assert "do not fit in 30 bits" in batch_dedup.pays(DiscreteHilbert((-1, 1), 31), 10**12)
        assert batch_dedup.pays(DiscreteHilbert((-1, 1), 12), 10**4) is None
        digits = jnp.asarray(np.random.default_rng(2).integers(0, 2, size=(16, 12)), jnp.int32)
        sites = jnp.asarray(np.random.default_rng(3).integers(0, 12, size=(16, 5, 1)), jnp.int32)
        old = jnp.take_along_axis(digits[:, None, :], sites, axis=-1)
        keys = batch_dedup.state_keys(digits, sites, old, 1 - old, 2)
        assert keys.dtype == jnp.int32
        xp = np.repeat(np.asarray(digits)[:, None, :], 5, axis=1)
        np.put_along_axis(xp, np.asarray(sites), 1 - np.asarray(old), axis=-1)
        np.testing.assert_array_equal(keys, (xp * 2 ** np.arange(12)).sum(-1))
        evaluated, source = batch_dedup.first_of_equal(jnp.ones((16, 5), bool), keys)
        flat = np.asarray(keys).ravel()
        assert np.all(flat[np.asarray(source).ravel()] == flat)
        assert int(np.asarray(evaluated).sum()) >= len(set(flat.tolist()))


def test_the_cost_model_counts_one_evaluation_per_distinct_state():
    """A space of few states (a Fermi-Hubbard chain of 4 sites, (2, 2) fermions: 36
    states) and many samples: the compacted paths evaluate each distinct connected state
    once, at most 36 for the batch, and the cost model counts that (the padded path
    would evaluate every slot of every sample; the table of the 36 states costs least of
    all, `state_table`); the local energies equal NetKet's."""
    hi = nk.hilbert.SpinOrbitalFermions(4, s=0.5, n_fermions_per_spin=(2, 2))
    graph = nk.graph.Chain(4)
    op = models.fermi_hubbard(hi, graph, t=1, U=4).compile()
    ref = models.netket_fermi_hubbard(hi, graph, t=1, U=4).to_jax_operator()
    x = jnp.asarray(hi.random_state(jax.random.key(0), 256), jnp.float64)
    ma = nk.models.MLP(hidden_dims=(16,), param_dtype=float)
    params = jax.jit(ma.init)(jax.random.key(1), x)
    path = choose_path(ma.apply, params, x, op, local_energy_plan(op), padded=True)
    assert path.name == "table", path
    assert max(path.costs["derived"], path.costs["deltas"]) < path.costs["padded"] / 2
    assert "0.141 evaluated (distinct states of the batch)" in path.reason  # 36 / 256
    got = jax.jit(lambda p, x: sym.local_energies(ma.apply, p, x, op, fast_updates="auto"))(
        params, x
    )
    np.testing.assert_allclose(got, local_energies(ma.apply, params, x, ref), atol=1e-10)


def test_repeats_expected_of_uniform_draws():
    """`expected_repeats` against draws counted: uniform states, 300 trials."""
    rng = np.random.default_rng(7)
    for states, draws in ((1000, 800), (50, 400), (10**5, 2000)):
        counted = np.mean(
            [draws - len(np.unique(rng.integers(0, states, draws))) for _ in range(300)]
        )
        expected = batch_dedup.expected_repeats(states, draws)
        assert abs(expected - counted) < 0.03 * counted + 1, (states, draws, expected, counted)


def test_it_pays_only_where_the_repeats_cost_more_than_the_table():
    """H2O 6-31G's numbers (1,656,369 states, 1,024 samples x 1,134 slots, 580,608
    candidates expected): a cheap row (a Dense(52) first layer split, 1,861 operations)
    is not worth the table, a deep network's is; a small batch's table is in cache."""
    space = SectorHilbert((0, 1), 26, sectors=((0, 13, 5), (13, 26, 5)))
    assert batch_dedup.sector_size(space) == 1_656_369
    slots, expected = 1024 * 1134, 580_608.0
    assert batch_dedup.pays(space, slots) is None  # the sector alone: it would
    why = batch_dedup.pays(space, slots, expected=expected, row_cost=1861.0)
    assert "repeats expected among 5.81e+05 evaluations" in why
    assert batch_dedup.pays(space, slots, expected=expected, row_cost=20_000.0) is None
    assert batch_dedup.slot_cost(36_864) == batch_dedup.SLOT_COST["cache"]
    assert batch_dedup.slot_cost(slots) == batch_dedup.SLOT_COST["memory"]
