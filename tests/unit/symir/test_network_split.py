"""Fast updates derived from the network's own program (`symir/runtime/network_split.py`).

The reference: NetKet's operator of the same model and the network evaluated on every
connected state of its `get_conn_padded` (nobody here wrote either), at 1e-10 relative.
Networks: NetKet's MLP, RBM, Jastrow and GCNN (its FFT first layer), and modules written
here that no adapter knows (a Dense-activation-Dense module, a complex two-layer module
with a visible term, an embedding followed by a convolution, a Dense inside `nn.remat`, a
hand-symmetrised module of rolled copies of x).
"""

from __future__ import annotations

import functools
import re

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symir as sym
from symir import models
from symir.runtime.local_energy import choose_path, local_energy_plan
from symir.runtime.network_split import rest_has_matmul, split_network
from symir.testing import local_energies

nk = pytest.importorskip("netket")

RTOL = 1e-10


class DenseAct(nn.Module):
    """A user's one-hidden-layer network: Dense, gelu, Dense."""

    @nn.compact
    def __call__(self, x):
        h = nn.gelu(nn.Dense(2 * x.shape[-1], param_dtype=float)(x))
        return nn.Dense(1, param_dtype=float)(h)[..., 0]


class ComplexTwoLayer(nn.Module):
    """Complex weights, two layers, and a term linear in x read after the first layer."""

    @nn.compact
    def __call__(self, x):
        h = jnp.tanh(nn.Dense(8, param_dtype=complex)(x))
        h = nn.Dense(4, param_dtype=complex)(h)
        visible = self.param("a", nn.initializers.normal(0.1), (x.shape[-1],), complex)
        return jnp.sum(nk.nn.activation.log_cosh(h), -1) + x @ visible


class EmbedConv(nn.Module):
    """An embedding of the local state, then a periodic convolution (float64)."""

    @nn.compact
    def __call__(self, x):
        idx = ((x + 1) // 2).astype(jnp.int32)
        e = nn.Embed(2, 3, param_dtype=jnp.float64)(idx)
        h = nn.Conv(4, (3,), padding="CIRCULAR", param_dtype=jnp.float64)(e)
        return jnp.sum(nn.softplus(h), axis=(-1, -2))


class RematDense(nn.Module):
    """A first layer wrapped in `nn.remat` (a `remat2` call around the Dense)."""

    @nn.compact
    def __call__(self, x):
        h = nn.remat(nn.Dense)(6, param_dtype=jnp.float64)(x)
        return jnp.sum(nn.gelu(h), axis=-1)


class RolledMean(nn.Module):
    """Symmetrised by hand: one Dense on x rolled by 0-2 sites, log-sum-exp over the rolls,
    plus a term in the mean of x (rolls and means are linear maps of x too)."""

    @nn.compact
    def __call__(self, x):
        dense = nn.Dense(4, param_dtype=jnp.float64)
        rolls = [jnp.sum(nn.gelu(dense(jnp.roll(x, t, axis=-1))), -1) for t in range(3)]
        return jax.nn.logsumexp(jnp.stack(rolls, -1), -1) + 0.1 * jnp.mean(x, -1)


@pytest.fixture(scope="module")
def heisenberg():
    hi = nk.hilbert.Spin(0.5, 12)
    graph = nk.graph.Chain(12)
    return hi, models.heisenberg(hi, graph).compile(), nk.operator.Heisenberg(hi, graph)


NETWORKS = {
    "mlp": lambda g: nk.models.MLP(hidden_dims=(8, 6), param_dtype=float),
    "dense_act": lambda g: DenseAct(),
    "complex_two_layer": lambda g: ComplexTwoLayer(),
    "rbm": lambda g: nk.models.RBM(alpha=1, param_dtype=complex),
    "jastrow": lambda g: nk.models.Jastrow(),
    "embed_conv": lambda g: EmbedConv(),
    "remat_dense": lambda g: RematDense(),
    "rolled_mean": lambda g: RolledMean(),
    "gcnn_fft": lambda g: nk.models.GCNN(symmetries=g, layers=2, features=2),
}


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_derived_split_equals_plain_evaluation(heisenberg, name):
    hi, op, ref = heisenberg
    ma = NETWORKS[name](nk.graph.Chain(12))
    x = jnp.asarray(hi.random_state(jax.random.key(0), 24), jnp.float64)
    params = jax.jit(ma.init)(jax.random.key(1), x)
    path = choose_path(ma.apply, params, x, op, local_energy_plan(op))
    split = split_network(ma.apply, params, x)
    assert split.applies, split.reason
    from symir.runtime import local_energy as le
    from symir.runtime.fast_updates import derived_block

    block = derived_block(split, le._evaluate, le._tail)
    plan = local_energy_plan(op)
    got = jax.jit(lambda p, x: block(ma.apply, p, x, op, plan, plan.default_capacity(24), True))(
        params, x
    )
    expected = local_energies(ma.apply, params, x, ref)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=RTOL)
    assert path.name in ("derived", "deltas")


@pytest.mark.parametrize("capacity", [7, 64, 10_000])
def test_values_in_candidate_order_equal_the_scatter_to_slots(heisenberg, capacity):
    """The derived loop writing each chunk as a slice in the candidates' order
    (`evaluate_compact`, each slot taking its value by rank) gives the energies and the
    gradient of the loop that scatters each chunk to its slots, for full chunks, tail
    chunks and one chunk."""
    from symir.runtime import local_energy as le
    from symir.runtime.fast_updates import derived_block

    hi, op, ref = heisenberg
    ma = ComplexTwoLayer()
    x = jnp.asarray(hi.random_state(jax.random.key(6), 24), jnp.float64)
    params = jax.jit(ma.init)(jax.random.key(7), x)
    split = split_network(ma.apply, params, x)
    plan = local_energy_plan(op)

    def energies_and_gradient(compact):
        """The energies and the gradient of their squared norm, from one program (one
        forward and backward pass; eagerly JAX compiles every primitive on its own)."""
        block = derived_block(
            split, le._evaluate, le._tail, default_capacity=False, compact=compact
        )

        def loss(p):
            e = block(ma.apply, p, x, op, plan, capacity, True)
            return jnp.sum(jnp.abs(e) ** 2), e

        g, e = jax.jit(jax.grad(loss, has_aux=True))(params)
        return e, g

    ordered, g_ordered = energies_and_gradient(le.evaluate_compact)
    scattered, g_scattered = energies_and_gradient(None)
    np.testing.assert_allclose(ordered, scattered, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(ordered, local_energies(ma.apply, params, x, ref), rtol=RTOL)
    for a, b in zip(
        jax.tree_util.tree_leaves(g_ordered), jax.tree_util.tree_leaves(g_scattered), strict=True
    ):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_a_network_never_seen_takes_the_derived_path_and_is_exact(heisenberg):
    hi, op, ref = heisenberg
    ma = DenseAct()
    x = jnp.asarray(hi.random_state(jax.random.key(2), 64), jnp.float64)
    params = jax.jit(ma.init)(jax.random.key(3), x)
    path = choose_path(ma.apply, params, x, op, local_energy_plan(op))
    assert path.name == "derived", path.reason
    text = str(path)
    assert "dot_general" in text and "cached per sample" in text and "theta0" in text
    # in one jit call each (eagerly JAX compiles every primitive on its own)
    got = jax.jit(lambda p, x: sym.local_energies(ma.apply, p, x, op, fast_updates="auto"))(
        params, x
    )
    np.testing.assert_allclose(got, local_energies(ma.apply, params, x, ref), rtol=RTOL, atol=RTOL)
    # NetKet's own kernel path picks it too (no adapter exists for this module)
    got_chunked = jax.jit(
        lambda p, x: sym.local_energies(ma.apply, p, x, op, fast_updates=True, chunk_size=16)
    )(params, x)
    np.testing.assert_allclose(got_chunked, got, rtol=RTOL, atol=RTOL)


def test_gradient_through_the_derived_path(heisenberg):
    hi, op, _ = heisenberg
    ma = ComplexTwoLayer()
    x = jnp.asarray(hi.random_state(jax.random.key(4), 16), jnp.float64)
    params = jax.jit(ma.init)(jax.random.key(5), x)

    def loss(fast):
        def f(p):
            e = sym.local_energies(ma.apply, p, x, op, fast_updates=fast)
            return jnp.sum(jnp.abs(e) ** 2)

        return jax.jit(jax.grad(f))(params)  # one program (eagerly: one per primitive)

    g_fast, g_plain = loss(True), loss(False)
    for a, b in zip(jax.tree_util.tree_leaves(g_fast), jax.tree_util.tree_leaves(g_plain)):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)


def test_fallback_names_where_x_meets_a_non_linear_operation(heisenberg):
    hi, op, _ = heisenberg
    x = jnp.asarray(hi.random_state(jax.random.key(6), 8), jnp.float64)
    w = jnp.linspace(0.1, 1.2, 12)

    def sorted_logpsi(p, x):
        return jnp.sum(jnp.sort(x, axis=-1) * p, -1)

    split = split_network(sorted_logpsi, w, x)
    assert not split.applies
    assert "sort" in split.reason and "x itself" in split.reason
    assert "falls back" in str(split)
    with pytest.raises(ValueError, match="sort"):
        sym.local_energies(sorted_logpsi, w, x, op, fast_updates=True)
    # "auto" falls back to the plain evaluation, exactly (each in one jit call: eagerly
    # JAX compiles every primitive of the program on its own)
    np.testing.assert_allclose(
        jax.jit(lambda x: sym.local_energies(sorted_logpsi, w, x, op, fast_updates="auto"))(x),
        jax.jit(lambda x: sym.local_energies(sorted_logpsi, w, x, op, fast_updates=False))(x),
        rtol=RTOL,
    )


class PairTable(nn.Module):
    """`t[x_i, x_{i+1}]`: a gather from a table whose index vector reads two sites (each
    index array alone reads one; unsigned, so no wrap of negative indices is in between)."""

    @nn.compact
    def __call__(self, x):
        t = self.param("t", nn.initializers.normal(0.5), (2, 2), jnp.float64)
        i = ((x + 1) // 2).astype(jnp.uint32)
        h = t.at[i, jnp.roll(i, 1, axis=-1)].get(mode="promise_in_bounds")
        return jnp.sum(jnp.tanh(h + nn.Dense(x.shape[-1], param_dtype=jnp.float64)(x)), -1)


def test_a_gather_whose_index_vector_reads_two_sites_is_not_an_embedding(heisenberg):
    """Each element of `t[i, j]` reads two sites: not separable, so the gather is in the
    rest (its indices cached), and the energies are exact (they were 8% off when the
    gather was taken for an embedding, `table[x]`)."""
    hi, op, ref = heisenberg
    ma = PairTable()
    x = jnp.asarray(hi.random_state(jax.random.key(0), 16), jnp.float64)
    params = jax.jit(ma.init)(jax.random.key(1), x)
    split = split_network(ma.apply, params, x)
    assert "gather" in split.rest, str(split)
    got = jax.jit(lambda p, x: sym.local_energies(ma.apply, p, x, op, fast_updates=True))(params, x)
    np.testing.assert_allclose(got, local_energies(ma.apply, params, x, ref), rtol=RTOL, atol=RTOL)


def test_split_lists_the_incremental_equations_and_cached_values(heisenberg):
    hi, _, _ = heisenberg
    ma = nk.models.Jastrow()
    x = jnp.asarray(hi.random_state(jax.random.key(7), 4), jnp.float64)
    split = split_network(ma.apply, jax.jit(ma.init)(jax.random.key(8), x), x)
    # x^T W x: the cached values are x and x W (the product is the rest)
    assert split.applies and split.width == 24
    assert sorted(int(np.prod(shape)) for _, shape, _ in split.cached) == [12, 12]
    assert "dot_general" in " ".join(split.incremental)
    assert split.rest == ("dot_general",)  # x . (W x), one product per connected state


def test_a_rest_that_multiplies_a_matrix_takes_large_chunks(heisenberg):
    """A second Dense layer makes the rest a matrix product per row (large chunks on
    CPU); the Jastrow's `x . (W x)` and a last Dense(1) are one output per state."""
    hi, _, _ = heisenberg
    x = jnp.asarray(hi.random_state(jax.random.key(7), 4), jnp.float64)
    for ma, want in (
        (nk.models.MLP(hidden_dims=(8, 8), param_dtype=float), True),
        (DenseAct(), False),
        (nk.models.Jastrow(), False),
    ):
        split = split_network(ma.apply, jax.jit(ma.init)(jax.random.key(8), x), x)
        assert split.applies and rest_has_matmul(split) == want, ma


def test_variables_of_another_model_name_the_mismatch():
    """Issue 35, item 6: variables that are not the module's gave a bare KeyError."""
    hi = nk.hilbert.Spin(0.5, 4)
    op = models.tfim(hi, nk.graph.Chain(4)).compile()
    rbm = nk.models.RBM(alpha=1)
    x = hi.all_states()
    kernel = jax.jit(rbm.init)(jax.random.key(0), x)["params"]["Dense"]["kernel"]
    with pytest.raises(ValueError, match=r"do not fit the model.*top-level keys \['w'\]"):
        sym.local_energies(rbm.apply, {"w": kernel}, x, op, fast_updates=rbm)


def test_repeated_samples_are_evaluated_once_with_the_same_result(heisenberg):
    """Issue 36, item 3: a Markov chain repeats samples; each run of equal consecutive
    ones is evaluated once (`repeated=True`, the default) with the energies (plain,
    derived paths) and gradients (NetKet's RBM) of evaluating every one."""
    from symir.runtime.dedup import repeated_samples

    hi, op, _ = heisenberg
    distinct = jnp.asarray(hi.random_state(jax.random.key(9), 6), jnp.float64)
    order = np.random.default_rng(0).integers(0, 6, size=12)
    order = np.repeat(order, np.random.default_rng(1).integers(1, 4, size=12))  # runs
    x = distinct[order]
    source, active = repeated_samples(x)
    assert int(active.sum()) == 1 + int(np.sum(order[1:] != order[:-1]))
    np.testing.assert_array_equal(np.asarray(x)[np.asarray(source)], np.asarray(x))
    for fast, ma in ((False, DenseAct()), ("auto", DenseAct())):
        params = jax.jit(ma.init)(jax.random.key(10), x)

        @functools.partial(jax.jit, static_argnums=1)  # one program, not one per primitive
        def energies(p, repeated, ma=ma, fast=fast):
            return sym.local_energies(ma.apply, p, x, op, fast_updates=fast, repeated=repeated)

        np.testing.assert_allclose(energies(params, True), energies(params, False), rtol=1e-12)
    # NetKet's RBM (its split, log-cosh tables): energies and gradient from one program each
    rbm = nk.models.RBM()
    params = jax.jit(rbm.init)(jax.random.key(10), x)

    def loss(p, repeated):
        e = sym.local_energies(rbm.apply, p, x, op, fast_updates=True, repeated=repeated)
        return jnp.sum(e**2), e

    both = jax.jit(jax.grad(loss, has_aux=True), static_argnums=1)
    (g_once, e_once), (g_every, e_every) = both(params, True), both(params, False)
    np.testing.assert_allclose(e_once, e_every, rtol=1e-12)
    for a, b in zip(*(jax.tree_util.tree_leaves(g) for g in (g_once, g_every)), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize(
    ("rbm", "width"),
    [
        (nk.models.RBM(alpha=2, param_dtype=complex), 2 * 12 + 1),
        (nk.models.RBMModPhase(alpha=1, param_dtype=float), 2 * 12),
    ],
    ids=["rbm", "rbm_mod_phase"],
)
def test_netkets_rbms_take_the_split_without_an_adapter(heisenberg, rbm, width, monkeypatch):
    """The split of NetKet's RBM (and of its RBMModPhase, two RBMs side by side) finds the
    first layer its retired adapter wrote by hand (`x W + b`, and the visible term of the
    RBM) and recognises its rest as a log-cosh sum (`symir/runtime/log_cosh_rest.py`),
    which it evaluates by the adapter's cosh-ratio tables, as fast or faster (Heisenberg
    6x6, 1,024 samples, `E_loc` ms of CPU adapter / split, one process: RBM(alpha=2)
    11.8 / 9.4, complex 62.1 / 55.9, RBMModPhase(alpha=2) 35.0 / 15.2). So NetKet's models
    have no adapter (`fast_updates_for` is None, 2026-11-28), and `local_energies` takes
    the split through the tables, with the plain path's energies."""
    from symir.runtime import fast_updates
    from symir.runtime.fast_updates import fast_updates_for

    hi, op, _ = heisenberg
    x = jnp.asarray(hi.random_state(jax.random.key(11), 16), jnp.float64)
    params = jax.jit(rbm.init)(jax.random.key(12), x)
    split = split_network(rbm.apply, params, x)
    assert split.applies and split.width == width, (split.reason, split.width)
    assert split.log_cosh is not None and "rest is a log-cosh sum" in str(split), str(split)
    assert fast_updates_for(rbm) is None
    calls = []
    tables = fast_updates._cosh_of_rows
    monkeypatch.setattr(fast_updates, "_cosh_of_rows", lambda *a: calls.append(1) or tables(*a))
    derived = jax.jit(lambda p, x: sym.local_energies(rbm.apply, p, x, op, fast_updates=True))(
        params, x
    )
    assert calls
    plain = jax.jit(lambda p, x: sym.local_energies(rbm.apply, p, x, op))(params, x)
    np.testing.assert_allclose(derived, plain, rtol=1e-12)


def test_the_finiteness_check_is_one_compiled_program(heisenberg):
    """`non_finite_change` (run at the first call, while the caller's program is traced)
    evaluates the cached values on the tables' configurations as one XLA program: bound
    equation by equation under `ensure_compile_time_eval`, each equation was an XLA
    compilation of its own (a user's Dense-gelu-Dense on TFIM 4x4: the first call's trace
    1.5 s, now 0.43 s)."""
    from symir.runtime.network_split import non_finite_change

    hi, _, _ = heisenberg
    ma = ComplexTwoLayer()
    x = jnp.asarray(hi.random_state(jax.random.key(15), 4), jnp.float64)
    params = jax.jit(ma.init)(jax.random.key(16), x)
    split = split_network(ma.apply, params, x)
    assert split.applies, split.reason
    compiles = []

    def listen(event, duration, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            compiles.append(duration)

    jax.monitoring.register_event_duration_secs_listener(listen)
    try:
        assert non_finite_change(split, params, hi.local_states) is None
    finally:
        jax.monitoring.unregister_event_duration_listener(listen)
    assert len(compiles) == 1, compiles


def test_jastrow_takes_the_split_of_its_program(heisenberg):
    """NetKet's `Jastrow` has no adapter (retired: the split of its program finds the
    same first layer, `x` and `x S`, and runs as fast or faster): `fast_updates=True`
    and the module given as `fast_updates` take the derived split, exact against the
    plain evaluation with NetKet's operator."""
    from symir.runtime.fast_updates import fast_updates_for

    hi, op, ref = heisenberg
    ma = nk.models.Jastrow(param_dtype=complex)
    assert fast_updates_for(ma) is None
    x = jnp.asarray(hi.random_state(jax.random.key(13), 16), jnp.float64)
    params = jax.jit(ma.init)(jax.random.key(14), x)
    params = jax.tree.map(lambda a: a + 0.3 * jnp.cos(jnp.arange(a.size)).reshape(a.shape), params)
    assert choose_path(ma.apply, params, x, op, local_energy_plan(op)).name == "derived"
    expected = local_energies(ma.apply, params, x, ref)
    for option in (True, ma):
        got = jax.jit(
            lambda p, x, o=option: sym.local_energies(ma.apply, p, x, op, fast_updates=o)
        )(params, x)
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=RTOL)


def test_a_small_system_where_every_slot_is_a_candidate_takes_the_padded_path():
    """Issue 36 item 4: on TFIM (every flip is a connected state) with a cheap two-layer
    MLP, the compaction and the split cost more than they save; the cost model takes the
    padded evaluation (no compaction), exact, and only where no `chunk_size` or
    `capacity` bounds the rows of one call."""
    hi = nk.hilbert.Spin(0.5, 8)
    graph = nk.graph.Chain(8)
    op = models.tfim(hi, graph).compile()
    ref = nk.operator.IsingJax(hi, graph, h=1.0, J=1.0)
    ma = nk.models.MLP(hidden_dims=(16, 16), param_dtype=float)
    x = jnp.asarray(hi.random_state(jax.random.key(8), 32), jnp.float64)
    params = jax.jit(ma.init)(jax.random.key(9), x)
    plan = local_energy_plan(op)
    path = choose_path(ma.apply, params, x, op, plan, padded=True)
    assert path.name == "padded", path.reason
    assert "cost per sample: deltas" in str(path) and "padded" in str(path)
    assert choose_path(ma.apply, params, x, op, plan).name != "padded"
    want = local_energies(ma.apply, params, x, ref)
    got = jax.jit(lambda p, x: sym.local_energies(ma.apply, p, x, op, fast_updates="auto"))
    np.testing.assert_allclose(got(params, x), want, rtol=RTOL, atol=RTOL)
    grad = jax.jit(
        jax.grad(lambda p: jnp.sum(sym.local_energies(ma.apply, p, x, op, fast_updates="auto")))
    )(params)
    plain = jax.jit(jax.grad(lambda p: jnp.sum(sym.local_energies(ma.apply, p, x, op))))(params)
    for a, b in zip(jax.tree_util.tree_leaves(grad), jax.tree_util.tree_leaves(plain), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


class DeepTanh(nn.Module):
    """A user's two-hidden-layer network: Dense, tanh, Dense, tanh, Dense."""

    @nn.compact
    def __call__(self, x):
        h = jnp.tanh(nn.Dense(12, param_dtype=float)(x))
        h = jnp.tanh(nn.Dense(12, param_dtype=float)(h))
        return nn.Dense(1, param_dtype=float)(h)[..., 0]


@pytest.mark.parametrize(
    ("module", "capacity", "h"),
    [  # each network with and without a field; many chunks, a tail chunk, one chunk
        (DeepTanh(), 5, 0.7),
        (ComplexTwoLayer(), 64, 0.7),
        (DeepTanh(), 10_000, 0.0),
        (ComplexTwoLayer(), 5, 0.0),
    ],
    ids=["deep-5-field", "complex-64-field", "deep-10000-no_field", "complex-5-no_field"],
)
def test_every_slot_valid_evaluates_every_slot_without_compaction(module, capacity, h, monkeypatch):
    """TFIM: every flip slot is provably valid, so the derived path evaluates every slot
    in order (`fast_updates.EVERY_SLOT`: chunks are slices, no positions, no ranks). The
    energies equal NetKet's (its `Ising`, every connected state evaluated) and, with the
    gradient, those of the compacted loop, for full chunks, tail chunks and one chunk;
    with no field (`h = 0`) every flip's matrix element is zero and no slot is needed.
    Repeated samples take their run's values. The loop over every slot runs only where
    at least `EVERY_SLOT_NEEDED` of the slots are needed (a `cond` at run time): with a
    field 20 of the 22 samples start a run and it runs; without one the compacted branch
    does. (The chain's 64 states are fewer than the batch's slots: `batch_dedup` would compact
    them; it is switched off here, `test_batch_dedup.py` checks it.)"""
    from symir.runtime import batch_dedup
    from symir.runtime import fast_updates as fu
    from symir.runtime import local_energy as le

    monkeypatch.setattr(batch_dedup, "STATES_PER_SLOT", 0.0)

    hi = nk.hilbert.Spin(0.5, 6)
    graph = nk.graph.Chain(6)
    op = models.tfim(hi, graph, h=h).compile()
    ref = nk.operator.IsingJax(hi, graph, h=h, J=1.0)
    plan = local_energy_plan(op)
    assert plan.n_valid == len(plan.candidates) == 6
    x = jnp.asarray(hi.random_state(jax.random.key(10), 20), jnp.float64)
    x = jnp.concatenate([x, x[-1:], x[-1:]])  # a run of three equal samples
    params = jax.jit(module.init)(jax.random.key(11), x)
    split = split_network(module.apply, params, x)
    block = fu.derived_block(
        split, le._evaluate, le._tail, default_capacity=False, compact=le.evaluate_compact
    )

    def energies(every):
        def f(p):
            old, fu.EVERY_SLOT = fu.EVERY_SLOT, every
            try:
                return block(module.apply, p, x, op, plan, capacity, True, active=active)
            finally:
                fu.EVERY_SLOT = old

        return f

    from symir.runtime.dedup import repeated_samples

    source, active = repeated_samples(x)

    def energies_and_gradient(f):
        """The energies and the gradient of their squared norm from one program (one
        forward and backward pass; eagerly JAX compiles every primitive on its own);
        EVERY_SLOT is read while tracing, inside `f`."""

        def loss(p):
            e = f(p)[source]
            return jnp.sum(jnp.abs(e) ** 2), e

        return jax.jit(jax.grad(loss, has_aux=True))(params)

    g_every, every = energies_and_gradient(energies(True))
    g_compacted, compacted = energies_and_gradient(energies(False))
    np.testing.assert_allclose(
        every, local_energies(module.apply, params, x, ref), rtol=RTOL, atol=RTOL
    )
    np.testing.assert_allclose(every, compacted, rtol=1e-13)
    for a, b in zip(
        jax.tree_util.tree_leaves(g_every), jax.tree_util.tree_leaves(g_compacted), strict=True
    ):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-11)
    # the loop over every slot runs where most slots are needed (`EVERY_SLOT_NEEDED`):
    # a `cond` on their count, its other branch the compacted loop (a chain's repeats)
    text = str(jax.make_jaxpr(energies(True))(params))
    assert " cond[" in text and "scatter" in text
    # no scan, scatter or gather by position in the program without compaction
    monkeypatch.setattr(fu, "EVERY_SLOT_NEEDED", 0.0)
    text = str(jax.make_jaxpr(energies(True))(params))
    assert "scatter" not in text and "cumsum" not in text
    assert "scatter" in str(jax.make_jaxpr(energies(False))(params))


class BatchDependent(nn.Module):
    """A program that differs with the batch size (one more equation for a batch)."""

    @nn.compact
    def __call__(self, x):
        h = jnp.tanh(nn.Dense(5, param_dtype=float)(x))
        if x.shape[0] > 1:
            h = h * 1.0
        return jnp.sum(h, -1)


@pytest.mark.parametrize("module", [DenseAct(), BatchDependent()], ids=["same", "differs"])
def test_rest_on_many_rows_uses_the_batched_program_where_it_matches(module):
    """`rest` on `r` rows runs the program traced on `r` samples where it is the
    one-sample program with a longer sample dimension, else maps the one-sample rest;
    both equal the network on the same configurations."""
    from symir.runtime import network_split as ns

    x = jnp.asarray(np.random.default_rng(3).choice([-1.0, 1.0], (6, 7)))
    params = jax.jit(module.init)(jax.random.PRNGKey(0), x)
    split = split_network(module.apply, params, x)
    consts = ns.constants(split, params)
    out = ns.rest(split, consts, ns.theta(split, consts, x))
    np.testing.assert_allclose(out, module.apply(params, x), rtol=RTOL)
    assert (ns._batched(split.program, 6) is not None) == isinstance(module, DenseAct)


@pytest.mark.parametrize("module", [DenseAct(), BatchDependent()], ids=["same", "differs"])
def test_cached_values_are_the_network_first_layer_on_the_samples(module, monkeypatch):
    """`theta` of a block runs the prefix of the program traced on its samples where that
    program matches (`SHARED_PREFIX`: the network's own first layer on `x`, which XLA
    then computes once for both), else maps the one-sample prefix: the same values and
    shapes either way, on integer configurations as NetKet's samples."""
    from symir.runtime import network_split as ns

    x = jnp.asarray(np.random.default_rng(4).choice([-1, 1], (6, 7)), jnp.int8)
    params = jax.jit(module.init)(jax.random.PRNGKey(0), x)
    split = split_network(module.apply, params, x)
    consts = ns.constants(split, params)
    plan = split.program
    batched = ns._batched(plan, 6, plan.prefix_eqns)
    assert (batched is not None) == isinstance(module, DenseAct)
    if batched is not None:  # the prefix's equations, read from the program on 6 rows
        assert [e.primitive for e in batched[0]] == [e.primitive for e in plan.prefix_eqns]
    shared = jax.jit(lambda x: ns.theta(split, consts, x))(x)
    monkeypatch.setattr(ns, "SHARED_PREFIX", False)
    mapped = jax.jit(lambda x: ns.theta(split, consts, x))(x)
    for a, b in zip(shared, mapped, strict=True):
        assert a.shape == b.shape == (6, *plan.program.avals[plan.cut_ids[0]].shape)
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-14)
    out = ns.rest(split, consts, shared)
    np.testing.assert_allclose(out, module.apply(params, x), rtol=RTOL)


@pytest.mark.parametrize(
    "states, dtype",
    [
        ([-1, 1], jnp.int8),
        ([-1.0, 1.0], jnp.float64),
        ([0, 1, 2, 3], jnp.int8),
        ([0.0, 1.0, 2.0], jnp.float32),
        ([-2.0, 0.5, 3.0], jnp.float64),
        ([0.0, 1 / 3], float),
    ],
)
def test_state_index_is_the_position_among_the_local_states(states, dtype):
    """The derived block's local-state index (arithmetic for equally spaced states,
    a binary search otherwise) is each value's position in the sorted states."""
    from symir.runtime.fast_updates import state_index

    values = jnp.asarray(np.asarray(states)[[0, -1, 1, 0, -1]], dtype)
    expected = np.searchsorted(np.asarray(states, dtype), np.asarray(values))
    np.testing.assert_array_equal(state_index(np.asarray(states), dtype)(values), expected)


class NoBiasRelu(nn.Module):
    """A first layer without bias, then `relu` (a `custom_jvp_call` in the rest)."""

    @nn.compact
    def __call__(self, x):
        h = nn.Dense(6, use_bias=False, param_dtype=jnp.float64)(x)
        return nn.Dense(1, param_dtype=jnp.float64)(nn.relu(h))[..., 0]


def test_derived_path_inside_netkets_sharded_chunked_kernel():
    """Inside NetKet's `shard_map` the rest on many rows is the program traced on many
    samples with the varying types of the one-sample trace: traced on invariant inputs,
    `relu`'s `custom_jvp_call` gave invariant values that met the varying parameters in
    the last `dot_general` (a `ValueError` from JAX in `expect_and_grad(chunk_size=)`)."""
    from netket.vqs.mc.kernels import local_value_kernel_jax

    from symir.integrations.netket_local_energy import local_value_kernel

    hi = nk.hilbert.Spin(0.5, 6)
    graph = nk.graph.Chain(6)
    op = models.heisenberg(hi, graph).compile().to_netket(hi)
    ma = NoBiasRelu()
    x = jnp.asarray(hi.random_state(jax.random.key(4), 24), jnp.float64)
    params = jax.jit(ma.init)(jax.random.key(5), x)

    @jax.jit
    def ours(p, x):
        return local_value_kernel(ma.apply, p, x, op, chunk_size=8, fast_updates=True)

    expected = jax.jit(local_value_kernel_jax, static_argnums=0)(  # one program, not eager
        ma.apply, params, x, nk.operator.Heisenberg(hi, graph)
    )
    np.testing.assert_allclose(ours(params, x), expected, rtol=RTOL, atol=RTOL)


def test_derived_path_keeps_the_sector_rule():
    """On `Spin(0.5, 8, total_sz=0)` an operator whose flips leave the sector: the
    derived path drops those branches (its slots not kept by the sector rule are not
    evaluated and have no element) as the padded path does, for samples in the sector,
    and keeps every branch of a sample outside it (docs/semantics.md)."""
    import warnings

    hi = nk.hilbert.Spin(0.5, 8, total_sz=0)
    ring = [(i, (i + 1) % 8) for i in range(8)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sym.SymbolicDefinitionWarning)
        flips = (
            sym.DOperator(hi, "field")
            .for_each_site("i")
            .emit(sym.write("i", -sym.site("i")), matrix_element=-0.7)
            .build()
        )
        op = (flips + models.heisenberg(hi, ring, J=1.0)).compile()
    ma = DenseAct()
    inside = np.asarray(hi.random_state(jax.random.key(13), 12), np.float64)
    outside = np.ones((2, 8))
    outside[1, :3] = -1
    x = jnp.asarray(np.concatenate([inside, outside]))
    params = jax.jit(ma.init)(jax.random.key(14), x)
    assert choose_path(ma.apply, params, x, op, local_energy_plan(op)).name == "derived"
    derived = jax.jit(lambda p, x: sym.local_energies(ma.apply, p, x, op, fast_updates="auto"))(
        params, x
    )  # in one jit call each (eagerly JAX compiles every primitive on its own)
    padded = jax.jit(lambda p, x: sym.local_energies(ma.apply, p, x, op))(params, x)
    np.testing.assert_allclose(derived, padded, rtol=1e-12, atol=1e-12)
    # the flips count for the samples outside the sector only
    free = nk.hilbert.Spin(0.5, 8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sym.SymbolicDefinitionWarning)
        whole = (
            sym.DOperator(free, "field")
            .for_each_site("i")
            .emit(sym.write("i", -sym.site("i")), matrix_element=-0.7)
            .build()
        )
        unconstrained = (whole + models.heisenberg(free, ring, J=1.0)).compile()
    everything = jax.jit(lambda p, x: sym.local_energies(ma.apply, p, x, unconstrained))(params, x)
    np.testing.assert_allclose(derived[12:], everything[12:], rtol=1e-12, atol=1e-12)
    assert not np.allclose(derived[:12], everything[:12])


class CappedInverse(nn.Module):
    """`min(1 / n, softplus(Dense(n)))` of boson occupations: `1 / n` is infinite at
    `n = 0`, the minimum finite (sweep 6)."""

    @nn.compact
    def __call__(self, x):
        t = nn.Dense(8, param_dtype=jnp.float64)(x)
        cap = jnp.minimum(1.0 / x, nn.softplus(t[..., : x.shape[-1]]))
        return jnp.sum(jnp.tanh(t), -1) + 0.1 * jnp.sum(cap, -1)


def test_a_cached_value_that_is_not_finite_is_not_split():
    """A cached value infinite at some local state (`1 / n` at `n = 0`) would add an
    infinity to its opposite, `theta(x') = theta(x) + E[change]`: NaN local energies
    where `logpsi` is finite. The split is refused with the value named
    (`network_split.non_finite_change`), and the energies equal NetKet's."""
    hi = nk.hilbert.Fock(n_max=2, N=4)
    graph = nk.graph.Chain(4)
    op = models.bose_hubbard(hi, graph, U=2.0, J=1.0).compile()
    ref = nk.operator.BoseHubbard(hi, graph, U=2.0, J=1.0)
    x = jnp.asarray(hi.all_states()[::3], jnp.float64)  # zeros at every site among them
    net = CappedInverse()
    params = jax.jit(net.init)(jax.random.key(0), x)
    assert split_network(net.apply, params, x).applies  # the program splits
    path = choose_path(net.apply, params, x, op, local_energy_plan(op))
    assert path.name != "derived" and "is not finite on every configuration" in path.reason
    ours = jax.jit(lambda p: sym.local_energies(net.apply, p, x, op, fast_updates="auto"))
    expected = local_energies(net.apply, params, x, ref)
    assert np.all(np.isfinite(expected))
    np.testing.assert_allclose(ours(params), expected, rtol=RTOL, atol=RTOL)
    with pytest.raises(ValueError, match=r"cached value theta\d is not finite"):
        sym.local_energies(net.apply, params, x, op, fast_updates=True)


class RolledLeaky(nn.Module):
    """A leaky ReLU of each site of `roll(x)` (one `select_n` of three operands, each an
    element-wise map of the rolled `x`), then Dense and tanh (sweep 6)."""

    @nn.compact
    def __call__(self, x):
        r = jnp.roll(x, 1, -1)
        y = jnp.where(r > 0, r, 0.3 * r)
        return jnp.sum(jnp.tanh(nn.Dense(8, param_dtype=jnp.float64)(y)), -1)


class RolledEmbedding(nn.Module):
    """An embedding indexed by `roll(x)` (jnp's indexing adds a `select_n` for negative
    indices, of three operands made from the rolled index), then Dense and tanh."""

    @nn.compact
    def __call__(self, x):
        table = self.param("table", nn.initializers.normal(1.0), (2, 3), jnp.float64)
        index = ((jnp.roll(x, 2, -1) + 1) // 2).astype(jnp.int32)
        y = jnp.reshape(table[index], (*x.shape[:-1], -1))
        return jnp.sum(jnp.tanh(nn.Dense(8, param_dtype=jnp.float64)(y)), -1)


@pytest.mark.parametrize("module", [RolledLeaky(), RolledEmbedding()], ids=["leaky", "embed"])
def test_element_wise_maps_of_a_rolled_configuration_split(heisenberg, module):
    """Element-wise maps of several operands that all map one permuted `x` element for
    element (`where(r > 0, r, 0.3 r)` of `r = roll(x)`) read one site per element: the
    split applies (the leaky one fell back, naming `select_n`), and the energies equal
    NetKet's; so does an embedding indexed by a rolled `x`."""
    hi, op, ref = heisenberg
    x = jnp.asarray(hi.random_state(jax.random.key(5), 16), jnp.float64)
    params = jax.jit(module.init)(jax.random.key(6), x)
    split = split_network(module.apply, params, x)
    assert split.applies, split.reason
    fast = jax.jit(lambda p: sym.local_energies(module.apply, p, x, op, fast_updates=True))
    np.testing.assert_allclose(
        fast(params), local_energies(module.apply, params, x, ref), rtol=RTOL, atol=RTOL
    )


class Dipole(nn.Module):
    """A "dipole" feature summed in the samples' own int8 (`x @ 3 arange(N)`: up to 252
    on 8 sites of 3 bosons, it wraps past 127), a Dense and log-cosh beside it (sweep 19)."""

    @nn.compact
    def __call__(self, x):
        d = x @ (3 * jnp.arange(x.shape[-1], dtype=x.dtype))
        h = nn.Dense(8, param_dtype=jnp.float64)(x)
        return jnp.sum(nk.nn.activation.log_cosh(h), -1) + 0.05 * d.astype(jnp.float64)


class PoleOfAParameter(nn.Module):
    """`1 / (n - c)`, `c` a parameter at a local state (1), the infinity masked by a
    `where` after the first layer: `logpsi` is finite (sweep 19)."""

    @nn.compact
    def __call__(self, x):
        c = self.param("c", nn.initializers.ones, (), jnp.float64)
        theta = nn.Dense(4, param_dtype=jnp.float64)(1.0 / (x - c))
        theta = jnp.where(jnp.isfinite(theta), theta, 0.0)
        return jnp.sum(nk.nn.activation.log_cosh(0.1 * theta), -1)


@pytest.mark.parametrize("net", [Dipole(), PoleOfAParameter()], ids=["int8_sum", "pole"])
def test_splits_that_would_not_add_up_inside_netket(net):
    """Two first layers whose changes do not add up, inside NetKet's traced kernel: an
    integer sum that wraps around, converted to a float (it is cached as the integer,
    whose changes add up modulo 2^8, and converted in the rest), and a pole that a
    parameter places (the finiteness check runs on stand-in values where the parameters
    are traced: such a split is refused). `expect` and the forced fast updates equal
    NetKet's (they were off by 0.4 and 0.05)."""
    graph = nk.graph.Chain(8, pbc=True)
    hi = nk.hilbert.Fock(n_max=3, N=8)
    op = models.bose_hubbard(hi, graph, U=2.0, J=1.0).compile().to_netket()
    ref = nk.operator.BoseHubbard(hi, graph, U=2.0, J=1.0)
    x = jnp.asarray(hi.all_states()[::97], jnp.int8)  # (676, 8): half of the dipoles wrap
    params = jax.jit(net.init)(jax.random.key(0), x)
    expected = local_energies(net.apply, params, x, ref)
    assert np.all(np.isfinite(expected))
    auto = jax.jit(lambda p: sym.local_energies(net.apply, p, x, op, fast_updates="auto"))
    np.testing.assert_allclose(auto(params), expected, rtol=RTOL, atol=RTOL)
    if isinstance(net, Dipole):
        forced = jax.jit(lambda p: sym.local_energies(net.apply, p, x, op, fast_updates=True))
        np.testing.assert_allclose(forced(params), expected, rtol=RTOL, atol=RTOL)
        split = split_network(net.apply, params, x)
        assert [dtype for _, _, dtype in split.cached] == ["float64", "int8"]
    else:
        traced = []
        jax.jit(lambda p: traced.append(choose_path(net.apply, p, x, op, local_energy_plan(op))))(
            params
        )
        assert traced[0].name != "derived"
        assert "div @ test_network_split.py" in traced[0].reason
        assert "not known while tracing" in traced[0].reason


class Sorted(nn.Module):
    """`jnp.sort` of x first: its equations come from inside jnp's own `jit`."""

    @nn.compact
    def __call__(self, x):
        w = self.param("w", nn.initializers.normal(0.3), (x.shape[-1],), jnp.float64)
        return jnp.sum(jnp.sort(x * w, axis=-1) * w, -1)


def test_a_fallback_inside_a_library_jit_names_the_users_line(heisenberg):
    """The reason names where the user called `jnp.sort` (it said `sort @ ?`: the
    equation inlined from jnp's `jit` has no frame of its own, sweep 19)."""
    hi, _, _ = heisenberg
    x = jnp.asarray(hi.all_states()[:4], jnp.float64)
    net = Sorted()
    split = split_network(net.apply, net.init(jax.random.key(0), x), x)
    assert not split.applies
    assert re.search(r"\(sort @ test_network_split\.py:\d+\)", split.reason), split.reason


class _CentredSites(nn.Module):
    """x less its mean, a float32 sum on int8 samples, then a float64 Dense and tanh."""

    @nn.compact
    def __call__(self, x):
        h = x - jnp.mean(x, axis=-1, keepdims=True)
        return jnp.sum(jnp.tanh(nn.Dense(12, param_dtype=jnp.float64)(h)), -1)


class _Float32Dense(nn.Module):
    """A float32 network throughout: its sums round like its output."""

    @nn.compact
    def __call__(self, x):
        h = nn.Dense(12, param_dtype=jnp.float32, dtype=jnp.float32)(x.astype(jnp.float32))
        return jnp.sum(jnp.tanh(h), -1)


def test_a_float32_sum_in_a_float64_network_is_not_split():
    """A sum over sites in float32 inside a float64 network (`x - mean(x)` of int8
    samples) would be updated by the changed sites and round unlike the network's own
    value (E_loc 7e-6 from NetKet's on TFIM 12, sweep 22): the split does not apply and
    says why, `auto` takes a plain path, and the energies are the network's to 1e-12. A
    float32 network throughout still splits."""
    graph = nk.graph.Chain(8, pbc=True)
    hi = nk.hilbert.Spin(0.5, 8)
    op = models.tfim(hi, graph, h=0.8, J=1.0).compile()
    x = jnp.asarray(hi.random_state(jax.random.key(0), 64), jnp.int8)
    ma = _CentredSites()
    params = ma.init(jax.random.key(1), x)
    split = split_network(ma.apply, params, x)
    assert not split.applies
    assert re.match(
        r"x's sums over sites are float32 \(reduce_sum @ .*\) in a network whose", split.reason
    )
    path = choose_path(ma.apply, params, x, op, local_energy_plan(op), padded=True)
    assert path.name != "derived" and "float32" in path.reason
    got = sym.local_energies(ma.apply, params, x, op, fast_updates="auto")
    want = local_energies(ma.apply, params, x, op)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="sums over sites are float32"):
        sym.local_energies(ma.apply, params, x, op, fast_updates=True)
    single = _Float32Dense()
    assert split_network(single.apply, single.init(jax.random.key(2), x), x).applies
