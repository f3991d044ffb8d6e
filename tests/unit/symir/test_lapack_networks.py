"""Programs that call LAPACK: no hang, the same values, every call in one order.

jaxlib's batched LAPACK kernels block a thread of XLA's CPU pool while their pieces run
on it; two independent ones can each hold a thread of a two-thread pool and wait for
pieces no free thread is left to run (issue 35 item 5: `Slater2nd`'s two `slogdet`s in
symir's local-energy loops; issue 36: NetKet's gradient pass of `expect_and_grad`). The
runtime check happens in a subprocess pinned to two cores (XLA sizes its pool from the
process's affinity) under a time limit: the gradient of four independent batched
`slogdet`s inside `lax.map` stops at its first call without the ordering (four runs in
four, 2026-11-25), and each of its calls is ordered by `lapack_ordered` here. The NetKet
integration is checked on the program it runs (traced, not compiled).
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

nk = pytest.importorskip("netket")

import symir as sym  # noqa: E402
from symir import models  # noqa: E402
from symir.runtime.lapack_order import (  # noqa: E402
    calls_lapack,
    lapack_ordered,
    unordered_lapack_calls,
)

_SCRIPT = textwrap.dedent(
    """
    import os
    os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:2]))
    import jax, jax.numpy as jnp
    from symir.runtime.lapack_order import lapack_ordered, unordered_lapack_calls

    def slogdets(p, x):  # 512 8x8 matrices each: over jaxlib's threshold for the pool
        return sum(jnp.linalg.slogdet(jnp.einsum("bi,ijk->bjk", x, q) + jnp.eye(8))[1] for q in p)

    def loss(p, x):
        return jnp.sum(jax.lax.map(lambda xc: slogdets(p, xc), x.reshape(2, 512, 4)))

    p = [0.1 * jax.random.normal(jax.random.key(i), (4, 8, 8)) for i in range(4)]
    x = jax.random.bernoulli(jax.random.key(9), 0.5, (1024, 4)).astype(jnp.float32)
    fn = lapack_ordered(jax.value_and_grad(loss))
    assert unordered_lapack_calls(jax.make_jaxpr(jax.value_and_grad(loss))(p, x))
    assert not unordered_lapack_calls(jax.make_jaxpr(fn)(p, x))
    step = jax.jit(fn)
    for _ in range(8):
        jax.block_until_ready(step(p, x))
    print("OK")
    """
)


def test_ordered_lapack_calls_do_not_hang_on_two_threads():
    env = dict(os.environ)
    env.pop("XLA_FLAGS", None)  # XLA's own defaults, as users run it
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=120, env=env
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("OK")


def test_netket_expect_and_forces_runs_its_lapack_calls_in_order():
    """`vstate.expect_and_forces(op)` (behind `expect_and_grad`) of a symir operator with
    `Slater2nd`: the program NetKet runs for its own operator has independent LAPACK
    calls (the spin sectors, the gradient pass beside the local energies); symir's has
    none, unchunked and chunked (NetKet's chunked gradient inside its `shard_map`)."""
    graph = nk.graph.Chain(6)
    hi = nk.hilbert.SpinOrbitalFermions(6, s=0.5, n_fermions_per_spin=(3, 3))
    ours = models.fermi_hubbard(hi, graph, t=1, U=4).compile().to_netket(hi)
    ref = models.netket_fermi_hubbard(hi, graph, t=1, U=4).to_jax_operator()
    sampler = nk.sampler.MetropolisFermionHop(hi, graph=graph, n_chains=4)
    vs = nk.vqs.MCState(sampler, nk.models.Slater2nd(hi, param_dtype=float), n_samples=16)
    assert unordered_lapack_calls(jax.make_jaxpr(lambda: vs.expect_and_forces(ref))())
    for chunk_size in (None, 8):
        vs.chunk_size = chunk_size
        program = jax.make_jaxpr(lambda: vs.expect_and_forces(ours))()
        assert calls_lapack(program)
        assert unordered_lapack_calls(program) == [], chunk_size


def _lapack_network(params, x):
    """A user's network with independent LAPACK calls: two `slogdet`s, `eigh`, `solve`."""
    a = jnp.einsum("bi,ijk->bjk", x, params["a"]) + jnp.eye(3)
    b = jnp.einsum("bi,ijk->bjk", x, params["b"]) + 2 * jnp.eye(3)
    _, la = jnp.linalg.slogdet(a)
    _, lb = jnp.linalg.slogdet(b)
    w = jnp.linalg.eigh(a + jnp.swapaxes(a, -1, -2))[0]
    s = jnp.linalg.solve(b, a[..., :1])[..., 0]
    return la + 0.5 * lb + 0.1 * jnp.sum(w, -1) + 0.01 * jnp.sum(s, -1)


def test_lapack_ordered_keeps_values_and_gradients():
    rng = np.random.default_rng(0)
    params = {"a": 0.1 * rng.normal(size=(6, 3, 3)), "b": 0.1 * rng.normal(size=(6, 3, 3))}
    x = jnp.asarray(rng.integers(0, 2, size=(5, 6)), jnp.float64)
    assert calls_lapack(jax.make_jaxpr(_lapack_network)(params, x))
    ordered = lapack_ordered(_lapack_network)
    assert unordered_lapack_calls(jax.make_jaxpr(_lapack_network)(params, x))
    assert unordered_lapack_calls(jax.make_jaxpr(ordered)(params, x)) == []
    # jitted: one XLA compile each instead of one per operation
    plain = jax.jit(jax.value_and_grad(lambda p: jnp.sum(_lapack_network(p, x) ** 2)))
    ours = jax.jit(jax.value_and_grad(lambda p: jnp.sum(ordered(p, x) ** 2)))
    (v0, g0), (v1, g1) = plain(params), ours(params)
    np.testing.assert_allclose(v1, v0, atol=1e-12)
    for k in g0:
        np.testing.assert_allclose(g1[k], g0[k], atol=1e-12)
    assert not calls_lapack(jax.make_jaxpr(lambda p, x: jnp.sum(x * p, -1))(x[0], x))


def test_user_lapack_network_through_local_energies_equals_padded_reference():
    hi = nk.hilbert.Spin(0.5, 6)
    graph = nk.graph.Chain(6)
    op = models.tfim(hi, graph, h=0.7, J=1.0).compile()
    ref = nk.operator.Ising(hi, graph, h=0.7, J=1.0).to_jax_operator()
    rng = np.random.default_rng(1)
    params = {"a": 0.1 * rng.normal(size=(6, 3, 3)), "b": 0.1 * rng.normal(size=(6, 3, 3))}
    x = jnp.asarray(hi.random_state(jax.random.key(2), 64), jnp.float64)

    @jax.jit  # one XLA compile, not one per operation
    def reference(params, x):
        xp, mels = ref.get_conn_padded(x)
        lp = _lapack_network(params, xp.reshape(-1, 6)).reshape(mels.shape)
        return jnp.sum(mels * jnp.exp(lp - _lapack_network(params, x)[:, None]), -1)

    expected = reference(params, x)
    for chunk in (None, 16):
        energies = jax.jit(
            functools.partial(sym.local_energies, _lapack_network, op=op, chunk_size=chunk)
        )
        np.testing.assert_allclose(energies(params, x), expected, atol=1e-10)


def test_lapack_ordered_keeps_large_finite_values():
    """The ordering's zero is built from one element of each LAPACK output, converted to
    float32: a float64 element of 1e39 became inf there, after the finiteness check, and
    `inf x 0` made every value NaN (sweep 12: a Slater network with orbitals of 1e39)."""

    def network(p, x):
        rows = (x[..., :3, None] + 2.0) * p[None] + jnp.eye(3)
        return jnp.linalg.slogdet(rows)[1] + jnp.linalg.slogdet(rows + p)[1]

    x = jnp.asarray(np.random.default_rng(1).integers(0, 2, size=(4, 6)), jnp.float64)
    for scale in (1.0, 1e39, 1e300):
        p = scale * jnp.asarray(np.random.default_rng(2).normal(size=(3, 3)))
        expected = network(p, x)
        got = jax.jit(lapack_ordered(network))(p, x)
        assert np.all(np.isfinite(np.asarray(expected))), scale
        np.testing.assert_allclose(got, expected, rtol=1e-12)
