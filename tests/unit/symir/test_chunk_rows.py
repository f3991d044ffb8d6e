"""The derived path's chunks and its slot selection (issue 36): a large block is evaluated
in at most `MAX_CHUNKS` passes of its loop, consecutive slot numbers are taken by a slice
(not a gather), and the local energies stay NetKet's to 1e-10 on a model and a network
that appear in no benchmark (Heisenberg on a triangular lattice, a user's Dense-silu-Dense
module), with chunks of every size.
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symir as sym
from symir import models
from symir.runtime import fast_updates
from symir.runtime.local_energy import (
    _chunk_counts,
    _tail,
    choose_path,
    chunk_rows,
    evaluation_counts,
    local_energy_plan,
)
from symir.runtime.slots import take_slots

nk = pytest.importorskip("netket")

RTOL = 1e-10


class DenseSilu(nn.Module):
    """A user's one-hidden-layer network with an activation no test elsewhere uses."""

    @nn.compact
    def __call__(self, x):
        h = nn.silu(nn.Dense(2 * x.shape[-1], param_dtype=float)(x))
        return nn.Dense(1, param_dtype=float)(h)[..., 0]


def test_a_large_block_takes_at_most_max_chunks_passes(monkeypatch):
    monkeypatch.setattr(jax, "default_backend", lambda: "cpu")
    budget = fast_updates.CHUNK_ELEMENTS
    small = budget["cpu"] // 72
    # few slots: the cache-sized chunk
    assert fast_updates._chunk_rows(72, slots=10 * small) == small
    # J1-J2 6x6, 1,024 samples, 144 candidate slots each: 64 passes at most
    slots = 1024 * 144
    rows = fast_updates._chunk_rows(72, slots=slots)
    assert rows == -(-slots // fast_updates.MAX_CHUNKS) and rows > small
    # never above its own budget
    assert fast_updates._chunk_rows(72, slots=1 << 30) == budget["cpu_most"] // 72
    # a rest with a matrix product: its own budget, then up to its own most
    assert fast_updates._chunk_rows(72, True, slots=10 * small) == budget["cpu_matmul"] // 72
    assert fast_updates._chunk_rows(72, True, slots=slots) == -(-slots // fast_updates.MAX_CHUNKS)
    h2o = 1024 * 1134  # H2O 6-31G, MLP(64, 64)
    assert fast_updates._chunk_rows(64, True, slots=h2o) == budget["cpu_most_matmul"] // 64


def test_consecutive_slots_are_sliced_and_others_gathered():
    a = jnp.arange(5 * 7).reshape(5, 7)
    for slots in ((1, 2, 3, 4, 5, 6), (0,), (2, 3), (0, 2, 5), (3, 1)):
        got = take_slots(a, slots)
        np.testing.assert_array_equal(got, np.asarray(a)[:, list(slots)])
        ops = str(jax.make_jaxpr(lambda a, s=slots: take_slots(a, s))(a))
        consecutive = list(slots) == list(range(slots[0], slots[0] + len(slots)))
        assert ("gather" in ops) != consecutive, (slots, ops)


@pytest.fixture(scope="module")
def triangular():
    graph = nk.graph.Triangular([4, 3], pbc=True)
    hi = nk.hilbert.Spin(0.5, graph.n_nodes, total_sz=0)
    return hi, models.heisenberg(hi, graph).compile(), nk.operator.Heisenberg(hi, graph)


@pytest.mark.parametrize("max_chunks", [1, 3, 64])
def test_derived_path_is_netkets_for_any_number_of_chunks(triangular, monkeypatch, max_chunks):
    """The chunks' size follows `MAX_CHUNKS` (made to matter here with a tiny cache-sized
    chunk); the local energies are NetKet's operator on every connected state."""
    hi, op, ref = triangular
    monkeypatch.setitem(fast_updates.CHUNK_ELEMENTS, "cpu", 1)
    monkeypatch.setattr(fast_updates, "MAX_CHUNKS", max_chunks)
    ma = DenseSilu()
    x = jnp.asarray(hi.random_state(jax.random.key(3), 48), jnp.float64)
    params = jax.jit(ma.init)(jax.random.key(4), x)
    path = choose_path(ma.apply, params, x, op, local_energy_plan(op), padded=True)
    assert path.name == "derived", path
    got = jax.jit(lambda p, x: sym.local_energies(ma.apply, p, x, op, fast_updates=True))(params, x)
    xp, mels = ref.get_conn_padded(np.asarray(x))
    lp = ma.apply(params, jnp.reshape(xp, (-1, hi.size))).reshape(mels.shape)
    want = jnp.sum(mels * jnp.exp(lp - ma.apply(params, x)[:, None]), -1)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=RTOL)


def test_full_chunks_have_a_multiple_of_the_row_alignment(triangular):
    """A capacity of 16 rows or more is taken down to a multiple of `ROW_ALIGNMENT` (odd
    row counts ran XLA's CPU activations 1.7 times slower), smaller ones are kept, the
    tail chunks are aligned too, and an odd capacity asked for gives NetKet's energies."""
    assert [chunk_rows(c) for c in (1, 7, 15, 16, 17, 5461, 6144)] == [
        1, 7, 15, 16, 16, 5456, 6144,
    ]  # fmt: skip
    assert [_tail(c) for c in (8, 200, 5461, 6144)] == [1, 24, 680, 768]
    hi, op, ref = triangular
    ma = DenseSilu()
    x = jnp.asarray(hi.random_state(jax.random.key(5), 40), jnp.float64)
    params = jax.jit(ma.init)(jax.random.key(6), x)
    assert evaluation_counts(x, op, capacity=157)["capacity"] == 152
    xp, mels = ref.get_conn_padded(np.asarray(x))
    lp = ma.apply(params, jnp.reshape(xp, (-1, hi.size))).reshape(mels.shape)
    want = jnp.sum(mels * jnp.exp(lp - ma.apply(params, x)[:, None]), -1)
    for fast in (True, False):
        got = jax.jit(
            lambda p, x, fast=fast: sym.local_energies(
                ma.apply, p, x, op, fast_updates=fast, capacity=157
            )
        )(params, x)
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=RTOL)


def test_choose_path_takes_the_netket_adapter_too(triangular):
    """`choose_path` and `local_energy_plan` of the compiled operator's NetKet adapter are
    those of the compiled operator (they raised an AttributeError on the adapter)."""
    hi, op, _ = triangular
    ma = DenseSilu()
    x = jnp.asarray(hi.random_state(jax.random.key(7), 16), jnp.float64)
    params = jax.jit(ma.init)(jax.random.key(8), x)
    adapter = op.to_netket(hi)
    assert local_energy_plan(adapter) == local_energy_plan(op)
    got = choose_path(ma.apply, params, x, adapter, local_energy_plan(adapter))
    want = choose_path(ma.apply, params, x, op, local_energy_plan(op))
    assert (got.name, got.reason) == (want.name, want.reason)
    with pytest.raises(TypeError, match="needs a symir operator"):
        local_energy_plan("not an operator")


def test_a_rest_of_more_than_half_a_chunk_takes_one_more_full_chunk():
    """After the full chunks, a rest of more than half a chunk is one more full chunk
    (within the buffers' `limit`), a smaller one at most half a chunk of tail chunks: each pass
    costs its fixed dispatch, and nine tail passes cost Heisenberg 20 0.13 ms. Every
    count is covered, and no chunk reads past the limit."""
    capacity, tail = 816, 96
    for count in range(0, 5 * capacity + 1, 7):
        for limit in (count + tail, count + capacity, 10 * capacity):
            full, tails = (int(v) for v in _chunk_counts(count, capacity, tail, limit))
            assert full * capacity + tails * tail >= count  # every position covered
            assert full * capacity + tails * tail <= limit  # the buffers hold count + tail
            half = -(-capacity // 2 // tail)  # the tail chunks of half a chunk: 5 of 96 rows
            assert tails <= 9 and (tails <= half or (full + 1) * capacity > limit), (count, limit)
            whole, rest = divmod(count, capacity)
            one_more = 2 * rest > capacity and (whole + 1) * capacity <= limit
            assert full == whole + one_more
    # traced: the same counts
    traced = jax.jit(lambda c: _chunk_counts(c, capacity, tail, 4 * capacity))
    for count in (0, 1, 400, 409, 815, 816, 817, 1300, 2500):
        want = _chunk_counts(count, capacity, tail, 4 * capacity)
        assert tuple(int(v) for v in traced(jnp.int32(count))) == tuple(int(v) for v in want)
    assert tuple(int(v) for v in _chunk_counts(10594, 816, 96, 20576)) == (13, 0)


@pytest.mark.parametrize("capacity", [40, 64, 97])
def test_energies_and_gradients_at_every_rest_of_a_chunk(triangular, capacity):
    """Capacities that leave rests below and above half a chunk (one more full chunk, or
    tail chunks): energies NetKet's, gradients the plain path's."""
    hi, op, ref = triangular
    ma = DenseSilu()
    x = jnp.asarray(hi.random_state(jax.random.key(9), 24), jnp.float64)
    params = jax.jit(ma.init)(jax.random.key(10), x)
    xp, mels = ref.get_conn_padded(np.asarray(x))
    lp = ma.apply(params, jnp.reshape(xp, (-1, hi.size))).reshape(mels.shape)
    want = jnp.sum(mels * jnp.exp(lp - ma.apply(params, x)[:, None]), -1)

    def mean(p, fast):
        e = sym.local_energies(ma.apply, p, x, op, fast_updates=fast, capacity=capacity)
        return jnp.mean(e), e

    grads = {}
    for fast in (True, False):
        (_, got), grads[fast] = jax.jit(
            jax.value_and_grad(lambda p, fast=fast: mean(p, fast), has_aux=True)
        )(params)
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=RTOL)
    for a, b in zip(jax.tree.leaves(grads[True]), jax.tree.leaves(grads[False]), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
