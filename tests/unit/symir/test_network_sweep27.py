"""Sweep 27: networks no earlier sweep tried, against NetKet's own operator of the same
model (issue 36): a defect found and fixed, and one compact check per network family
that agreed (NetKet's `GCNN`, `RBMSymm`, `MLP` with other activations, `ARNNDense`,
`Slater2nd` restricted, unrestricted and generalized, `MultiSlater2nd`, user modules
with a LayerNorm, a residual connection, a circular convolution, an `nn.Embed`, a
backflow, float32 parameters, a sort), each with the path `choose_path` takes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symir as sym
from symir import models
from symir.integrations import netket_measured
from symir.testing import local_energies

nk = pytest.importorskip("netket")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_network_sweep24 import moved  # noqa: E402

RTOL = 1e-10
F64 = jnp.float64


@pytest.fixture(autouse=True)
def _symir_kernel():
    """symir's kernel, unmeasured (as the other tests run), against NetKet's default."""
    was = netket_measured._ON[0]
    netket_measured.set_measured_choice(False)
    nk.config.netket_experimental_packed_kernel = False
    yield
    netket_measured.set_measured_choice(was)


class SquareRootPhase(nn.Module):
    """A log-cosh amplitude times the square root of a real output `t`, written
    `0.5 log(conj(t))` (`negate`: `0.5 log(-t)`) of `t` made complex: where `t < 0` the
    imaginary part of `t` is `-0` after the `conj` (or the negation), and `log` takes the
    branch `-i pi`."""

    negate: bool = False

    @nn.compact
    def __call__(self, x):
        x = x.astype(F64)
        t = nn.Dense(1, param_dtype=F64)(jnp.tanh(nn.Dense(8, param_dtype=F64)(x)))[..., 0]
        amplitude = jnp.sum(nk.nn.activation.log_cosh(nn.Dense(8, param_dtype=F64)(x)), -1)
        t = t.astype(complex)
        return amplitude + 0.5 * jnp.log(-t if self.negate else jnp.conj(t))


@pytest.mark.parametrize("negate", [False, True])
def test_the_sign_of_a_zero_imaginary_part_after_conj_or_neg(negate):
    """The complex pairs (`complex_pairs`: CPU, every path's network) held the imaginary
    part of `conj(t)` and `-t` for `t` complex with a zero imaginary part as a zero known
    (`+0`), where XLA's is `-0`: `log` of a negative real part then took `+i pi` for
    NetKet's `-i pi`, and `0.5 log` a factor `-1` on psi of those states. The local
    energies of TFIM on a chain of 16 differed from NetKet's by 1.6 (relative) on every
    path; now equal."""
    hi = nk.hilbert.Spin(0.5, 16)
    graph = nk.graph.Chain(16)
    op = models.tfim(hi, graph, h=0.8).compile()
    ref = nk.operator.Ising(hi, graph, h=0.8, J=1.0).to_jax_operator()
    net = SquareRootPhase(negate)
    x = hi.random_state(jax.random.key(0), 32)
    variables = moved(net.init(jax.random.key(1), x))
    assert np.any(np.asarray(net.apply(variables, x)).imag < 0)  # the branch is taken
    expected = local_energies(net.apply, variables, x, ref)
    for fast_updates in ("auto", False):
        got = sym.local_energies(net.apply, variables, x, op, fast_updates=fast_updates)
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=RTOL)


@pytest.mark.parametrize(
    "name",
    ["conj", "neg", "one minus exp", "negative times exp", "negated product", "control"],
)
def test_complex_pairs_keep_the_sign_of_a_zero_imaginary_part(name):
    """The branch of `log` at a negative real part follows the sign of a zero imaginary
    part; the pairs took `+i pi` where XLA's program takes `-i pi` in the first four
    (`conj`, `neg`, `1 - exp(t)`: the constant's zero folded away by XLA,
    `-2 exp(t)`: a product's zero); the last two check that the `-0` made now is XLA's
    (`-(s t)` of `s, t < 0` is `+0`, `1 - t` too). `0.5 log` makes the branch a sign of
    psi."""
    from symir.runtime.complex_pairs import complex_pairs

    def c(t):
        return t.astype(complex)

    functions = {
        "conj": lambda t: jnp.conj(c(t)),
        "neg": lambda t: -c(t),
        "one minus exp": lambda t: 1.0 - jnp.exp(c(t)),
        "negative times exp": lambda t: -2.0 * jnp.exp(c(t)),
        "negated product": lambda t: -(c(t) * c(t)[::-1]),
        "control": lambda t: 1.0 - c(t),
    }

    def fn(t):
        return 0.5 * jnp.log(functions[name](t))

    t = jnp.array([3.0, -2.0, 0.5, -0.7])
    np.testing.assert_allclose(jax.jit(complex_pairs(fn))(t), jax.jit(fn)(t), rtol=1e-13)
