"""`symir.local_energies` and its registration in NetKet, against NetKet's own operators.

The reference nobody here wrote: NetKet's local kernel (`local_value_kernel_jax`) and
`MCState.local_estimators` / `expect` / `expect_and_grad` with NetKet's operator of the
same model (`Heisenberg`, `GraphOperator` J1-J2, `BoseHubbard`, the fermion operator of
Fermi-Hubbard, `IsingJax`) on the same samples, at 1e-10: local estimators value by
value, expectation values and gradients; real and complex RBMs; chunked and not; with
NetKet's sharding on (its default) and off, and on two CPU devices (a subprocess); a
batch whose connected states overflow one chunk (capacity 1 and 3).
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import warnings

import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np
import pytest

import symir as sym
from symir import models
from symir.models import fermi_hubbard, netket_fermi_hubbard
from symir.runtime.local_energy import local_energy_plan

nk = pytest.importorskip("netket")
import netket.vqs.mc.kernels as nk_kernels  # noqa: E402
from netket.jax.sharding import sharding_decorator  # noqa: E402

from symir.integrations import netket_local_energy  # noqa: E402

ATOL = 1e-10
N_SAMPLES = 32


def quiet(f, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(*args, **kwargs)


# --------------------------------------------------------------------------- models
# symir.models' builders with constant couplings, but TFIM's field, the parameter `h` (the
# plan of an operator without parameters skips zero matrix elements; with one it cannot)


BH = {"U": 4.0, "V": 0.5, "J": 1.0, "mu": 0.3}


def _model(name):
    """(hilbert, symir NetKetOperator, NetKet's operator) of a small system."""
    if name == "heisenberg":
        g = quiet(nk.graph.Square, 3, pbc=True)
        hi = nk.hilbert.Spin(0.5, g.n_nodes)
        return hi, models.heisenberg(hi, g, J=1.0), nk.operator.Heisenberg(hi, g).to_jax_operator()
    if name == "j1j2":
        g = quiet(nk.graph.Chain, 8, pbc=True, max_neighbor_order=2)
        hi = nk.hilbert.Spin(0.5, g.n_nodes)
        pauli = nk.operator.spin
        ref = sum(
            c
            * (
                pauli.sigmaz(hi, i) @ pauli.sigmaz(hi, j)
                + pauli.sigmax(hi, i) @ pauli.sigmax(hi, j)
                + pauli.sigmay(hi, i) @ pauli.sigmay(hi, j)
            )
            for color, c in enumerate((1.0, 0.5))
            for i, j in g.edges(filter_color=color)
        )
        return hi, models.j1j2(hi, g, J1=1.0, J2=0.5), ref.to_jax_operator()
    if name == "bose_hubbard":
        g = quiet(nk.graph.Square, 2, pbc=False)
        hi = nk.hilbert.Fock(n_max=3, N=g.n_nodes)
        return (
            hi,
            models.bose_hubbard(hi, g, **BH),
            nk.operator.BoseHubbard(hi, g, **BH).to_jax_operator(),
        )
    if name == "fermi_hubbard":
        g = quiet(nk.graph.Square, 2, pbc=False)
        hi = nk.hilbert.SpinOrbitalFermions(g.n_nodes, s=0.5, n_fermions_per_spin=(2, 2))
        return (
            hi,
            fermi_hubbard(hi, g, name="le_fermi_hubbard"),
            quiet(netket_fermi_hubbard, hi, g).to_jax_operator(),
        )
    g = quiet(nk.graph.Square, 3, pbc=True)
    hi = nk.hilbert.Spin(0.5, g.n_nodes)
    return hi, models.tfim(hi, g, J=1.0), nk.operator.IsingJax(hi, g, h=1.0, J=1.0)


MODELS = ("heisenberg", "j1j2", "bose_hubbard", "fermi_hubbard", "tfim")
NETWORK_DTYPE = {  # real and complex networks, across the models (one state each: fast)
    "heisenberg": complex,
    "j1j2": float,
    "bose_hubbard": complex,
    "fermi_hubbard": float,
    "tfim": complex,
}


@pytest.fixture(scope="module")
def systems():
    """name -> (symir's operator through NetKet, NetKet's operator, an MCState whose
    samples are drawn once)."""
    built = {}

    def get(name):
        if name not in built:
            hi, op, ref = quiet(_model, name)
            ours = op.compile().to_netket(hi)
            sampler = (
                nk.sampler.MetropolisFermionHop(hi, graph=_hop_graph(hi))
                if isinstance(hi, nk.hilbert.SpinOrbitalFermions)
                else nk.sampler.MetropolisLocal(hi)
            )
            model = nk.models.RBM(alpha=1, param_dtype=NETWORK_DTYPE[name])
            built[name] = (ours, ref, mc_state(sampler, model, N_SAMPLES, seed=1))
        return built[name]

    return get


def mc_state(sampler, model, n_samples, seed=None):
    """NetKet's `MCState` whose samples are random states of the space, set where
    `vs.sample()` would put them: what matters is that both operators see the same
    ones, and compiling a Markov chain for each model would cost seconds of test time."""
    vs = quiet(nk.vqs.MCState, sampler, model, n_samples=n_samples, seed=seed)
    shape = (vs.sampler.n_chains, vs.chain_length)
    vs._samples = jnp.asarray(vs.hilbert.random_state(jax.random.key(2), shape))
    return vs


def _hop_graph(hi):
    n = hi.n_orbitals
    return nk.graph.Graph(edges=[(i, j) for i in range(n) for j in range(i + 1, n)])


def _leaves_close(a, b):
    for u, v in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_allclose(np.asarray(u), np.asarray(v), atol=ATOL, rtol=1e-10)


# --------------------------------------------------------------------------- item 1


def test_local_energies_chunked_batch_shape_and_grad(systems):
    """`chunk_size` (blocks of samples, chunks of at most chunk_size rows), leading batch
    dimensions, and `jax.grad` through the evaluation loop (capacity 1: one chunk per
    connected state) against `jax.grad` of NetKet's kernel."""
    ours, ref, vs = systems("bose_hubbard")
    x = vs.samples.reshape(4, -1, vs.hilbert.size)
    # each side jitted: one compilation each, not one per primitive called eagerly
    expected = jax.jit(nk_kernels.local_value_kernel_jax, static_argnums=0)(
        vs._apply_fun, vs.variables, x.reshape(-1, 4), ref
    )
    got = jax.jit(lambda v, x: sym.local_energies(vs._apply_fun, v, x, ours, chunk_size=7))(
        vs.variables, x
    )
    assert got.shape == x.shape[:-1]
    np.testing.assert_allclose(np.asarray(got).reshape(-1), expected, atol=ATOL, rtol=0)

    def apply(p, s):
        return vs._apply_fun({"params": p}, s)

    flat = x.reshape(-1, 4)[:8]

    def loss(p, energies):
        e = energies(p)
        return (e.real**2 + 3 * e.imag).sum()

    ours_grad = jax.jit(
        jax.grad(lambda p: loss(p, lambda p: sym.local_energies(apply, p, flat, ours, capacity=1)))
    )(vs.parameters)
    ref_grad = jax.jit(
        jax.grad(
            lambda p: loss(p, lambda p: nk_kernels.local_value_kernel_jax(apply, p, flat, ref))
        )
    )(vs.parameters)
    _leaves_close(ours_grad, ref_grad)


def test_plan_from_the_branch_level(systems):
    """The compiler's knowledge: TFIM's flips are always valid (one chunk holds all of
    them), Heisenberg's swaps are not; the coalesced diagonal is never evaluated."""
    plan = local_energy_plan(systems("tfim")[0].compiled)
    assert plan.analysed and plan.diagonal == (0,) and plan.n_valid == 9
    assert plan.default_capacity(10) == 90
    heis = local_energy_plan(systems("heisenberg")[0].compiled)
    assert heis.diagonal == (0,) and heis.n_valid == 0 and len(heis.candidates) == 18
    assert heis.default_capacity(10) == -(-10 * 18 // 8)


def test_operator_parameter_gradient_where_a_mel_is_zero(systems):
    """With `h = 0` every flip has a zero matrix element but not a zero derivative: the
    flips are still evaluated (the operator has a parameter), so d E_loc / dh is right."""
    ours, _, vs = systems("tfim")
    x = vs.samples.reshape(-1, vs.hilbert.size)

    def mean_energy(h, kernel):
        return kernel(vs._apply_fun, vs.variables, x, ours.with_params(h=h)).mean().real

    got = jax.jit(jax.grad(lambda h: mean_energy(h, sym.local_energies)))(0.0)
    expected = jax.jit(jax.grad(lambda h: mean_energy(h, nk_kernels.local_value_kernel_jax)))(0.0)
    assert abs(float(expected)) > 1e-3
    np.testing.assert_allclose(got, expected, atol=ATOL, rtol=1e-10)


def test_errors_name_the_problem(systems):
    ours, _, vs = systems("tfim")
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 9\)"):
        sym.local_energies(vs._apply_fun, vs.variables, np.ones((2, 4), np.int8), ours)
    with pytest.raises(ValueError, match="capacity must be a positive integer"):
        sym.local_energies(vs._apply_fun, vs.variables, vs.samples, ours, capacity=0)
    with pytest.raises(TypeError, match="compiled by symir"):
        sym.local_energies(vs._apply_fun, vs.variables, vs.samples, object())
    empty = sym.local_energies(vs._apply_fun, vs.variables, np.ones((0, 9), np.int8), ours)
    assert empty.shape == (0,)


@pytest.mark.parametrize("fast_updates", [False, "auto", True])
def test_a_network_returning_b_by_1_is_named(systems, fast_updates):
    """A network that returns `(b, 1)` (a last `Dense(1)` not squeezed) would broadcast
    against the `(b, F)` matrix elements: each path said something else (a reshape's
    `TypeError`, a broadcast's `ValueError`) or, with the derived split, returned `(b,)`."""
    ours, _, vs = systems("tfim")
    x = jnp.asarray(vs.samples).reshape(-1, 9)[:4]
    w = jnp.linspace(-0.3, 0.3, 9 * 4).reshape(9, 4)

    def logpsi(p, x):
        return jnp.tanh(x @ p) @ jnp.ones((4, 1))

    with pytest.raises(ValueError, match=r"returned shape \(2, 1\)"):
        sym.local_energies(logpsi, w, x, ours, fast_updates=fast_updates)


# --------------------------------------------------------------------------- item 2


# chunked with NetKet's sharding on: Fermi-Hubbard (sector, signs, the fermion hop
# sampler); Heisenberg chunked is in test_netket_sharding_off_and_switching_the_kernel_off
CHUNKED = ("fermi_hubbard",)


@pytest.mark.parametrize("name", MODELS)
def test_local_energies_in_netket_equal_netkets_operator(systems, name):
    """Items 1 and 2 on each model, on the same samples, against NetKet's operator:
    `local_estimators` value by value (NetKet's kernel on its operator), `expect` and
    `expect_and_grad`, through NetKet's dispatch to symir's kernel (with the network's
    split where it pays: the network is an RBM); `local_energies`
    called directly with capacity 3 (every batch overflows one chunk many times), in
    the dtype NetKet's kernel gives on the same operator; chunked (`chunk_size` 16:
    several blocks of samples) on Fermi-Hubbard."""
    ours, ref, vs = systems(name)
    for kernel in (nk.vqs.get_local_kernel(vs, ours), nk.vqs.get_local_kernel(vs, ours, 16)):
        # an RBM: the split of its program, where it pays (test_network_split.py)
        assert kernel.func is netket_local_energy.local_value_kernel
        assert kernel.keywords == {"fast_updates": "auto"}
    expected = np.asarray(vs.local_estimators(ref).data)
    x = vs.samples.reshape(-1, vs.hilbert.size)
    dtype = jax.eval_shape(
        lambda v: nk_kernels.local_value_kernel_jax(vs._apply_fun, v, x, ours), vs.variables
    ).dtype
    direct = jax.jit(lambda v, x: sym.local_energies(vs._apply_fun, v, x, ours, capacity=3))(
        vs.variables, x
    )
    assert direct.dtype == dtype
    np.testing.assert_allclose(np.asarray(direct), expected.reshape(-1), atol=ATOL, rtol=0)
    e_ref, g_ref = vs.expect_and_grad(ref)
    try:
        for chunk_size in (None, 16) if name in CHUNKED else (None,):
            vs.chunk_size = chunk_size
            got = np.asarray(vs.local_estimators(ours).data)
            np.testing.assert_allclose(got, expected, atol=ATOL, rtol=0)
            e_ours, g_ours = vs.expect_and_grad(ours)
            np.testing.assert_allclose(e_ours.mean, e_ref.mean, atol=ATOL, rtol=0)
            _leaves_close(g_ours, g_ref)
            np.testing.assert_allclose(vs.expect(ours).mean, e_ref.mean, atol=ATOL, rtol=0)
    finally:
        vs.chunk_size = None


def test_netket_sharding_off_and_switching_the_kernel_off(systems):
    """NetKet's sharding off (`nk.config.netket_sharding = False`; traced anew: the
    chunk size is new and the kernel is called in a new `jax.jit`), and
    `set_local_energy_kernel(False)` gives NetKet's own kernel back."""
    ours, ref, vs = systems("heisenberg")
    x = vs.samples.reshape(-1, vs.hilbert.size)
    expected = np.asarray(vs.local_estimators(ref).data)
    before = nk.config.netket_sharding
    try:
        nk.config.netket_sharding = False
        got = jax.jit(
            lambda v, x: netket_local_energy.local_value_kernel(vs._apply_fun, v, x, ours)
        )(vs.variables, x)
        np.testing.assert_allclose(np.asarray(got), expected.reshape(-1), atol=ATOL, rtol=0)
        vs.chunk_size = 8
        _leaves_close(vs.expect_and_grad(ours)[1], vs.expect_and_grad(ref)[1])
    finally:
        nk.config.netket_sharding = before
        vs.chunk_size = None
    try:
        netket_local_energy.set_local_energy_kernel(False)
        assert nk.vqs.get_local_kernel(vs, ours) is nk_kernels.local_value_kernel_jax
    finally:
        netket_local_energy.set_local_energy_kernel(True)


_TWO_DEVICES = r"""
import warnings; warnings.simplefilter("ignore")
import jax, numpy as np, netket as nk, symir as sym
assert len(jax.devices()) == 2, jax.devices()
g = nk.graph.Chain(6, pbc=True)
hi = nk.hilbert.Spin(0.5, 6)
si, sj = sym.site("i"), sym.site("j")
ours = (sym.DOperator(hi, "heis", hermitian=True).for_each(("i", "j"), over=g.edges())
    .emit(sym.identity(), matrix_element=si * sj)
    .emit_if(si != sj, sym.swap("i", "j"), matrix_element=-2.0).build().compile().to_netket())
ref = nk.operator.Heisenberg(hi, g).to_jax_operator()
vs = nk.vqs.MCState(nk.sampler.MetropolisLocal(hi, n_chains=8),
                    nk.models.RBM(alpha=1, param_dtype=complex), n_samples=32, seed=1)
# random states for samples (as the fixture above), sharded over the chains as NetKet's
# sampler shards them: no Markov chain to compile
states = hi.random_state(jax.random.key(2), (8, vs.chain_length))
vs._samples = nk.jax.sharding.distribute_to_devices_along_axis(states)
assert len(vs.samples.sharding.device_set) == 2
np.testing.assert_allclose(np.asarray(vs.local_estimators(ours).data),
                           np.asarray(vs.local_estimators(ref).data), atol=1e-10, rtol=0)
for a, b in zip(jax.tree.leaves(vs.expect_and_grad(ours)[1]),
                jax.tree.leaves(vs.expect_and_grad(ref)[1])):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-10, rtol=1e-10)
print("ok")
"""


def test_netket_sharded_over_two_devices():
    """Samples sharded over two CPU devices (NetKet's sharding, a fresh process):
    symir's kernel runs per device and agrees with NetKet's operator."""
    env = dict(os.environ, NETKET_EXPERIMENTAL_SHARDING_CPU="2", JAX_PLATFORMS="cpu")
    out = subprocess.run(
        [sys.executable, "-c", _TWO_DEVICES], env=env, capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr[-3000:]


# --------------------------------------------------------------------------- no padding


# j1j2 left out: the same kind of operator as heisenberg's (an exchange and zz on bonds,
# symir.models), its real network as fermi_hubbard's
@pytest.mark.parametrize("name", [m for m in MODELS if m != "j1j2"])
def test_connected_states_from_deltas_or_padded_agree_with_netket(systems, name, monkeypatch):
    """`connected_states="deltas"` (the default where the operator gives deltas) builds
    only the rows of each chunk from `x` and the delta kernel: `get_conn_padded` is never
    called, so no `xp[B, F, N]` is written; `"padded"` gathers them from `xp`. Both equal
    NetKet's kernel on its own operator value by value, with every batch overflowing one
    chunk (capacity 5), and so do their gradients with respect to the network."""
    ours, ref, vs = systems(name)
    x = vs.samples.reshape(-1, vs.hilbert.size)[:16]

    def apply(p, s):
        return vs._apply_fun({"params": p}, s)

    def loss(p, kernel):
        e = kernel(p)
        return (e.real**2 + 3 * e.imag).sum()

    def reference(p):
        return nk_kernels.local_value_kernel_jax(apply, p, x, ref)

    # one program (eagerly JAX compiles every primitive of NetKet's kernel on its own)
    expected, expected_grad = jax.jit(
        lambda p: (reference(p), jax.grad(lambda q: loss(q, reference))(p))
    )(vs.parameters)
    compiled_type = type(ours.compiled)
    padded = compiled_type.get_conn_padded
    for how in ("padded", "deltas"):
        if how == "deltas":

            def refuse(self, x):
                raise AssertionError("connected_states='deltas' called get_conn_padded")

            monkeypatch.setattr(compiled_type, "get_conn_padded", refuse)

        def energies(p, how=how):
            return sym.local_energies(apply, p, x, ours, capacity=5, connected_states=how)

        got, grad = jax.jit(lambda p: (energies(p), jax.grad(lambda q: loss(q, energies))(p)))(
            vs.parameters
        )
        np.testing.assert_allclose(np.asarray(got), expected, atol=ATOL, rtol=0)
        _leaves_close(grad, expected_grad)
    monkeypatch.setattr(compiled_type, "get_conn_padded", padded)


def test_connected_states_option_errors(systems):
    ours, _, vs = systems("tfim")
    with pytest.raises(ValueError, match="connected_states must be one of"):
        sym.local_energies(vs._apply_fun, vs.variables, vs.samples, ours, connected_states="x")
    with pytest.raises(ValueError, match="dedup=True compares whole connected states"):
        sym.local_energies(
            vs._apply_fun, vs.variables, vs.samples, ours, dedup=True, connected_states="deltas"
        )


def test_gradient_of_a_non_hermitian_operator_equals_netkets():
    """NetKet's gradient of a non-hermitian operator differentiates the local energies
    with a `logpsi` of its own and the bare parameters: the RBM's adapter read them as
    the model's variables (a `ValueError`: "do not fit the model's first layer"), and the
    derived split's loop cast already varying values to varying again (JAX's "Unsupported
    pcast from=varying, to='varying'": the manual axes are `mat.varying` in JAX 0.10)."""
    import flax.linen as nn
    from netket.operator.spin import sigmap, sigmaz

    class Softplus(nn.Module):  # the derived split is the cheapest path here
        @nn.compact
        def __call__(self, x):
            up = (x > 0).astype(jnp.float64)
            h = nn.Dense(10, param_dtype=jnp.float64)(jnp.concatenate([up, 1 - up], -1))
            return jnp.sum(nn.softplus(h), -1)

    hi = nk.hilbert.Spin(0.5, 8)
    si = sym.site("i")
    ours = (
        sym.DOperator(hi, "raise", hermitian=False)
        .for_each_site("i")
        .emit_if(si > 0, sym.write("i", -si), matrix_element=1.0)
        .emit(sym.identity(), matrix_element=0.3 * si)
        .build()
        .compile()
        .to_netket(hi)
    )
    ref = sum(sigmap(hi, i) + 0.3 * sigmaz(hi, i) for i in range(8)).to_jax_operator()
    experimental = nk.config.netket_experimental
    nk.config.netket_experimental = True  # NetKet's gradient of non-hermitian operators
    try:
        for model in (nk.models.RBM(alpha=1, param_dtype=complex), Softplus()):
            vs = mc_state(nk.sampler.MetropolisLocal(hi), model, n_samples=64)
            e0, g0 = vs.expect_and_grad(ref)
            e1, g1 = vs.expect_and_grad(ours)
            np.testing.assert_allclose(e1.mean, e0.mean, atol=ATOL, rtol=1e-10)
            leaves = zip(jax.tree_util.tree_leaves(g1), jax.tree_util.tree_leaves(g0), strict=True)
            for a, b in leaves:
                np.testing.assert_allclose(a, b, atol=ATOL, rtol=1e-10)
    finally:
        nk.config.netket_experimental = experimental


def _estimator_gradient(vs, op):
    """`mean(O_loc)` and `conj(d/dw mean(dO 2 Re logpsi(w) + O_loc(w)))` on the state's
    samples (`dO = O_loc - mean`, held constant): NetKet's estimator of the gradient of
    `<O>` in its convention, by `jax.grad` of the real and imaginary parts of NetKet's
    own local energies (`op` a NetKet operator)."""
    x = vs.samples.reshape(-1, vs.hilbert.size)
    xp, mels = op.get_conn_padded(x)

    def local(w):
        v = {"params": w, **vs.model_state}
        return jnp.sum(mels * jnp.exp(vs._apply_fun(v, xp) - vs._apply_fun(v, x)[:, None]), -1)

    @jax.jit
    def estimator(w):
        d = jax.lax.stop_gradient(local(w) - jnp.mean(local(w)))

        def surrogate(w):
            logp = 2 * jnp.real(vs._apply_fun({"params": w, **vs.model_state}, x))
            return jnp.mean(d * logp + local(w))

        re = jax.grad(lambda w: jnp.real(surrogate(w)))(w)
        im = jax.grad(lambda w: jnp.imag(surrogate(w)))(w)
        return jnp.mean(local(w)), jax.tree_util.tree_map(lambda a, b: a - 1j * b, re, im)

    return estimator(vs.parameters)


@pytest.mark.parametrize("case", ["rbm-complex-operator", "rbmmodphase-real-operator"])
def test_non_hermitian_gradient_of_real_parameters_and_complex_local_energies(case):
    """Real parameters, complex local energies: NetKet's program (`nkjax.vjp` of
    `nkjax.expect`, whose backward pass calls `nkjax.vjp` again with the operator among
    its inputs) doubles the gradient when no input is complex. symir's operator holds no
    complex array (NetKet's `LocalOperatorJax` holds its matrix elements), so its
    gradient was twice NetKet's for `0.3+0.2i sigma^-` and an RBM of real parameters;
    now it is the estimator's (NetKet's where NetKet's is right, and for `RBMModPhase`
    with a real operator, where NetKet's own is doubled)."""
    from netket.operator.spin import sigmam

    model, c = {
        "rbm-complex-operator": (nk.models.RBM(alpha=1), 0.3 + 0.2j),
        "rbmmodphase-real-operator": (nk.models.RBMModPhase(alpha=1), 0.3),
    }[case]
    hi = nk.hilbert.Spin(0.5, 4)
    si = sym.site("i")
    ours = sym.DOperator(hi, "lower").for_each_site("i")
    ours = ours.emit_if(si < 0, sym.write("i", -si), matrix_element=c).build()
    ours = ours.compile().to_netket(hi)
    ref = sum(c * sigmam(hi, i) for i in range(4)).to_jax_operator()
    experimental = nk.config.netket_experimental
    nk.config.netket_experimental = True
    try:
        vs = mc_state(nk.sampler.MetropolisLocal(hi), model, N_SAMPLES)
        energy, grad = vs.expect_and_grad(ours)
    finally:
        nk.config.netket_experimental = experimental
    mean, expected = _estimator_gradient(vs, ref)
    np.testing.assert_allclose(energy.mean, mean, atol=ATOL)
    for a, b in zip(jax.tree_util.tree_leaves(grad), jax.tree_util.tree_leaves(expected)):
        assert np.iscomplexobj(a)
        np.testing.assert_allclose(a, b, atol=ATOL)


def test_gradient_of_an_adapters_kernel_inside_netkets_shard_map():
    """`jax.grad` of NetKet's sharded kernel with `RBMModPhase`'s adapter: the loop's
    reverse-mode rule returned a varying cotangent for a parameter that is the same on
    every device (JAX: "the manual axis types do not match"); it is summed over them."""
    ours, _, vs = _tfim_rbmmodphase()
    x = vs.samples.reshape(-1, vs.hilbert.size)

    def total(v, fast_updates):
        # NetKet's shard_map as its sharded kernel runs it over several devices (on
        # one device symir's kernel runs without it)
        kernel = functools.partial(
            netket_local_energy._per_device,
            vs._apply_fun,
            chunk_size=None,
            fast_updates=fast_updates,
        )
        sharded = sharding_decorator(
            kernel, sharded_args_tree=(False, True, False), pvary_args_tree=(True, False, False)
        )
        return jnp.real(jnp.sum(sharded(v, x, ours)))

    grad = jax.jit(jax.grad(total), static_argnums=1)
    plain, fast = grad(vs.variables, False), grad(vs.variables, vs.model)
    for a, b in zip(jax.tree_util.tree_leaves(fast), jax.tree_util.tree_leaves(plain)):
        np.testing.assert_allclose(a, b, atol=ATOL)


def _tfim_rbmmodphase():
    hi = nk.hilbert.Spin(0.5, 6)
    graph = nk.graph.Chain(6)
    ours = models.tfim(hi, graph, h=0.7).compile().to_netket(hi)
    model = nk.models.RBMModPhase(alpha=1)
    vs = mc_state(nk.sampler.MetropolisLocal(hi), model, N_SAMPLES)
    return ours, None, vs


@pytest.mark.parametrize("fast_updates", [False, True])
def test_forward_mode_is_refused_by_name(systems, fast_updates):
    """`jax.jvp` of the local energies with respect to the parameters (the loops have a
    reverse-mode rule only) is a TypeError naming `local_energies` and what works
    instead, not JAX's bare 'custom_vjp' message; reverse mode is the same function's."""
    ours, _, vs = systems("tfim")
    x = vs.samples.reshape(-1, vs.hilbert.size)
    flat, unravel = jax.flatten_util.ravel_pytree(vs.variables)

    def energy(v):
        e = sym.local_energies(vs._apply_fun, unravel(v), x, ours, fast_updates=fast_updates)
        return jnp.sum(e.real)

    with pytest.raises(TypeError, match=r"local_energies: forward-mode .* use jax\.grad"):
        jax.jvp(energy, (flat,), (jnp.ones_like(flat),))
    # inside jax.jit, where JAX's own error came from the loop's `while` (its derivative
    # rule applied to the staged body), and through jax.hessian
    with pytest.raises(TypeError, match=r"local_energies: forward-mode .* use jax\.grad"):
        jax.jit(lambda v, t: jax.jvp(energy, (v,), (t,)))(flat, jnp.ones_like(flat))
    with pytest.raises(TypeError, match=r"local_energies: forward-mode .* use jax\.grad"):
        jax.jit(jax.hessian(lambda r: energy(r.astype(flat.dtype))))(jnp.real(flat))
    assert np.isfinite(np.asarray(jax.jit(jax.grad(energy))(flat))).all()


def test_an_eager_call_is_compiled_once_and_cached(systems):
    """Called outside any transformation, `local_energies` traces `logpsi` once for a
    batch shape and reuses the compiled program for new parameters and samples (op by op
    it would compile and dispatch every primitive of the loops on every call); a `logpsi`
    that cannot be hashed is compiled for the call, not cached; the three agree with the program jitted by the
    caller, and a call inside `jax.jit` is traced with the caller's program."""
    ours, _, vs = systems("j1j2")
    x = vs.samples.reshape(-1, vs.hilbert.size)
    traced = []

    def logpsi(v, s):
        traced.append(isinstance(s, jax.core.Tracer))
        return vs._apply_fun(v, s)

    shifted = jax.tree.map(lambda a: a + 0.01, vs.variables)
    first = sym.local_energies(logpsi, vs.variables, x, ours)
    count = len(traced)
    assert count > 0 and all(traced)
    second = sym.local_energies(logpsi, shifted, x[::-1], ours)
    assert len(traced) == count  # the cached program: no new trace

    class Unhashable:
        __hash__ = None

        def __call__(self, v, s):
            traced.append(isinstance(s, jax.core.Tracer))
            return vs._apply_fun(v, s)

    del traced[:]
    by_ops = sym.local_energies(Unhashable(), shifted, x[::-1], ours)
    assert traced and all(traced)  # traced for one compiled program, not run op by op
    jitted = jax.jit(lambda v, s: sym.local_energies(vs._apply_fun, v, s, ours))
    np.testing.assert_allclose(first, jitted(vs.variables, x), atol=ATOL)
    np.testing.assert_allclose(second, jitted(shifted, x[::-1]), atol=ATOL)
    np.testing.assert_allclose(by_ops, second, atol=ATOL)
    with pytest.raises(ValueError, match="local states"):
        sym.local_energies(logpsi, vs.variables, jnp.zeros_like(x), ours)
