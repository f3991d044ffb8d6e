"""Networks that call LAPACK through symir's local energies: no hang, NetKet's values.

Issue 35, item 5: NetKet's `Slater2nd` (two `slogdet`s, one per spin sector) inside the
local-energy path's evaluation loops hung at 0% CPU on a machine whose XLA CPU pool has
two threads (each batched LU held a pool thread and waited for pieces no free thread
could run). The run happens in a subprocess pinned to two cores (XLA sizes its pool from
the process's affinity) under a time limit; the call is repeated, since the hang was a
race that struck one run in two or three.
"""

from __future__ import annotations

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
from symir.runtime.lapack_order import calls_lapack, lapack_ordered  # noqa: E402

_SCRIPT = textwrap.dedent(
    """
    import os, sys
    os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:2]))
    import jax, jax.numpy as jnp, numpy as np, netket as nk
    import symir as sym
    from symir import models

    L = 16
    g = nk.graph.Chain(L)
    hi = nk.hilbert.SpinOrbitalFermions(L, s=0.5, n_fermions_per_spin=(L // 2, L // 2))
    op = models.fermi_hubbard(hi, g, t=1, U=4).compile()
    ref = models.netket_fermi_hubbard(hi, g, t=1, U=4).to_jax_operator()
    ma = nk.models.Slater2nd(hi)
    x = hi.random_state(jax.random.key(0), 1024)
    params = ma.init(jax.random.key(1), x)
    energies = jax.jit(lambda p, x, c: sym.local_energies(ma.apply, p, x, op, chunk_size=c),
                       static_argnums=2)

    def reference(p, x):
        xp, mels = ref.get_conn_padded(x)
        lp = ma.apply(p, xp.reshape(-1, x.shape[-1])).reshape(mels.shape)
        return jnp.sum(mels * jnp.exp(lp - ma.apply(p, x)[:, None]), axis=-1)

    for seed in range(4):
        x = hi.random_state(jax.random.key(seed), 1024)
        expected = np.asarray(reference(params, x))
        for chunk in (None, 256):
            got = np.asarray(energies(params, x, chunk))
            err = np.max(np.abs(got - expected))
            assert err < 1e-10, (seed, chunk, err)
    print("OK")
    """
)


def test_slater_network_local_energies_do_not_hang_on_two_threads():
    env = dict(os.environ)
    env.pop("XLA_FLAGS", None)  # XLA's own defaults, as users run it
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("OK")


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
    np.testing.assert_allclose(ordered(params, x), _lapack_network(params, x), atol=1e-13)
    g0 = jax.grad(lambda p: _lapack_network(p, x).sum())(params)
    g1 = jax.grad(lambda p: ordered(p, x).sum())(params)
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
    xp, mels = ref.get_conn_padded(x)
    lp = _lapack_network(params, xp.reshape(-1, 6)).reshape(mels.shape)
    expected = jnp.sum(mels * jnp.exp(lp - _lapack_network(params, x)[:, None]), -1)
    for chunk in (None, 16):
        got = sym.local_energies(_lapack_network, params, x, op, chunk_size=chunk)
        np.testing.assert_allclose(got, expected, atol=1e-10)
