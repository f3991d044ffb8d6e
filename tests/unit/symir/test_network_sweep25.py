"""Sweep 25: networks, models and states no earlier sweep tried, against NetKet's own
operator of the same model (issue 36: "any network"): each case a defect found and fixed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symir as sym
from symir import models
from symir.runtime.fewer_logs import fewer_logs
from symir.testing import local_energies

nk = pytest.importorskip("netket")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_network_sweep24 import moved  # noqa: E402

RTOL = 1e-10


def test_complex_rbm_mod_phase_keeps_its_modulus():
    """NetKet's `RBMModPhase` with complex parameters weighs its phase branch, a complex
    sum of `log_cosh`, by `1j`: taken as the logarithm of products (`fewer_logs`), that
    sum's `2 pi k i` became a change of `Re logpsi` by `2 pi` (a factor `exp(2 pi)` on
    `|psi|`), and every path's local energies differed from NetKet's (by 3.8e3 on the
    triangular 5x5 lattice). The phase branch's sum is now evaluated as written."""
    n = 25
    hi = nk.hilbert.Spin(0.5, n)
    graph = nk.graph.Chain(n)
    net = nk.models.RBMModPhase(alpha=2, param_dtype=complex)
    x = hi.random_state(jax.random.key(1), 32)
    variables = moved(net.init(jax.random.key(0), x))
    got = jax.jit(fewer_logs(net.apply))(variables, x)
    want = net.apply(variables, x)
    np.testing.assert_allclose(got.real, want.real, rtol=0, atol=1e-12)
    op = models.tfim(hi, graph, h=0.8).compile()
    ref = nk.operator.Ising(hi, graph, h=0.8, J=1.0).to_jax_operator()
    expected = local_energies(net.apply, variables, x, ref)
    for fast in ("auto", False):
        e = sym.local_energies(net.apply, variables, x, op, fast_updates=fast)
        np.testing.assert_allclose(e, expected, rtol=RTOL, atol=RTOL * jnp.abs(expected).max())
