"""The NetKet adapter (`sym.to_netket`, `CompiledOperator.to_netket`) against NetKet.

References nobody here wrote: NetKet's own operators (`Ising`, `Heisenberg`,
`BoseHubbard`) for matrices, Monte Carlo expectations and gradients on the same samples,
and exact ground states; the Jordan-Wigner solution of the critical transverse-field
Ising ring; and the dense expectation `<psi|H|psi> / <psi|psi>` of a full-sum state.

- `to_dense` / `to_sparse` of the adapter equal NetKet's matrices to 1e-10 (operators
  built on NetKet spaces and on symir's own `sym.Spin` / `sym.Fock`, converted).
- `MCState.expect` and `expect_and_grad` agree with NetKet's operator on the same
  samples, unchunked and chunked (both of NetKet's chunked kernels).
- `nk.exact.lanczos_ed` finds the same ground state as for NetKet's operator, and the
  critical TFIM's matches `E0 = -sum_k sqrt(2 + 2 cos k)`, k = (2m + 1) pi / N.
- `FullSumState.expect` equals the dense expectation.
- Per-sample local energies through `nk.jax.vmap_chunked` (vmap over samples, in
  chunks) equal `MCState.local_estimators`.
- Hilbert-space conversion and its errors; the adapter as a pytree under `jax.jit`.
"""

from __future__ import annotations

import functools
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symir as sym
from symir.models import bose_hubbard, heisenberg, tfim
from symir.testing import dense_matrix

nk = pytest.importorskip("netket")

N = 6
TFIM = {"h": 0.8, "J": 1.1}
BH = {"U": 1.1, "V": 0.3, "J": 0.7, "mu": 0.2}


def chain(n: int, pbc: bool = True):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nk.graph.Chain(n, pbc=pbc)


def model_pair(kind: str, symir_space: bool = False):
    """(adapter, NetKet's operator) for one model on a small periodic chain."""
    if kind == "bose_hubbard":
        graph = chain(4)
        hi = nk.hilbert.Fock(n_max=2, N=4)
        space = sym.Fock(2, 4) if symir_space else hi
        ours = bose_hubbard(space, graph.edges()).compile().with_params(**BH)
        return ours.to_netket(), nk.operator.BoseHubbard(hi, graph, **BH)
    graph = chain(N)
    hi = nk.hilbert.Spin(0.5, N)
    space = sym.Spin(0.5, N) if symir_space else hi
    if kind == "ising":
        ours = tfim(space, graph.edges()).compile().with_params(**TFIM)
        return sym.to_netket(ours), nk.operator.Ising(hi, graph, **TFIM)
    ours = heisenberg(space, graph.edges(), sign_rule=True)
    return sym.to_netket(ours), nk.operator.Heisenberg(hi, graph)


# --------------------------------------------------------------------------- matrices


@pytest.mark.parametrize("symir_space", [False, True], ids=["netket-space", "symir-space"])
@pytest.mark.parametrize("kind", ["ising", "heisenberg", "bose_hubbard"])
def test_matrices_equal_netkets(kind, symir_space):
    ours, ref = model_pair(kind, symir_space)
    assert isinstance(ours, nk.operator.DiscreteJaxOperator)
    assert ours.hilbert == ref.hilbert
    assert ours.is_hermitian and ours.dtype == np.float64
    dense = ref.to_sparse().toarray()  # NetKet's matrix, through NetKet's get_conn
    np.testing.assert_allclose(ours.to_dense(), dense, atol=1e-10, rtol=0)
    assert ours.max_conn_size == ours.compiled.max_conn_size


# --------------------------------------------------------------------------- exact


def test_lanczos_critical_tfim_matches_jordan_wigner():
    n = 8
    graph = chain(n)
    hi = nk.hilbert.Spin(0.5, n)
    ours = sym.to_netket(tfim(hi, graph.edges()))  # h = J = 1: the critical point
    e_ours = nk.exact.lanczos_ed(ours, k=1)[0]
    e_ref = nk.exact.lanczos_ed(nk.operator.Ising(hi, graph, h=1.0, J=1.0), k=1)[0]
    # Jordan-Wigner: the ground state lies in the even-parity sector, whose fermions are
    # antiperiodic, k = (2m + 1) pi / N; the J > 0 (antiferro) ring maps to the ferro one
    # for even N. eps_k = 2 sqrt(J^2 + h^2 + 2 J h cos k), E0 = -sum_k eps_k / 2.
    k = (2 * np.arange(n) + 1) * np.pi / n
    e_exact = -np.sum(np.sqrt(2.0 + 2.0 * np.cos(k)))
    assert e_ours == pytest.approx(e_ref, abs=1e-10)
    assert e_ours == pytest.approx(e_exact, abs=1e-10)


@pytest.mark.parametrize("kind", ["heisenberg", "bose_hubbard"])
def test_lanczos_equals_netkets(kind):
    ours, ref = model_pair(kind, symir_space=True)
    e_ours = nk.exact.lanczos_ed(ours, k=2)
    e_ref = nk.exact.lanczos_ed(ref, k=2)
    np.testing.assert_allclose(e_ours, e_ref, atol=1e-10, rtol=0)


def test_full_sum_state_expect():
    ours, ref = model_pair("ising", symir_space=True)
    vs = nk.vqs.FullSumState(ours.hilbert, nk.models.RBM(alpha=1, param_dtype=float), seed=3)
    psi = np.asarray(vs.to_array(normalize=True))
    dense = np.real(np.conj(psi) @ dense_matrix(ref) @ psi)
    e = vs.expect(ours)
    assert float(np.real(e.mean)) == pytest.approx(dense, abs=1e-10)
    assert float(np.real(e.mean)) == pytest.approx(float(np.real(vs.expect(ref).mean)), abs=1e-10)


# --------------------------------------------------------------------------- Monte Carlo


def assert_trees_close(a, b, atol=1e-10):
    jax.tree.map(
        lambda x, y: np.testing.assert_allclose(np.asarray(x), np.asarray(y), atol=atol, rtol=0),
        a,
        b,
    )


@pytest.fixture(scope="module")
def mc_state():
    hi = nk.hilbert.Spin(0.5, N)
    sampler = nk.sampler.MetropolisLocal(hi, n_chains=16)
    model = nk.models.RBM(alpha=1, param_dtype=float)
    vs = nk.vqs.MCState(sampler, model, n_samples=256, seed=1, sampler_seed=2)
    vs.n_discard_per_chain = vs.chain_length  # one compiled chain (its length is static)
    vs.samples  # noqa: B018 - draw once; every expectation below reuses these samples
    return vs


@pytest.mark.parametrize(
    "symir_space,chunk_size",
    [(False, None), (True, None), (False, 64), (False, 4)],
    ids=["netket-space", "symir-space", "chunked", "conn-chunked"],
)
def test_mc_expect_and_grad_equal_netkets(mc_state, symir_space, chunk_size):
    # chunk_size >= max_conn_size chunks the samples; a smaller one chunks the
    # connected configurations (NetKet's two chunked kernels)
    ours, ref = model_pair("ising", symir_space)
    samples = mc_state.samples
    mc_state.chunk_size = chunk_size
    try:
        e_ours, e_ref = mc_state.expect(ours), mc_state.expect(ref)
        assert abs(complex(e_ours.mean) - complex(e_ref.mean)) < 1e-10
        assert float(e_ours.variance) == pytest.approx(float(e_ref.variance), abs=1e-10)
        if chunk_size is None:  # (the chunked gradients cost seconds of XLA each)
            (eg_ours, g_ours), (_, g_ref) = (
                mc_state.expect_and_grad(ours),
                mc_state.expect_and_grad(ref),
            )
            assert abs(complex(eg_ours.mean) - complex(e_ref.mean)) < 1e-10
            assert_trees_close(g_ours, g_ref)
    finally:
        mc_state.chunk_size = None
    assert mc_state.samples is samples  # the same samples throughout


@pytest.mark.parametrize(
    "model,strings",
    [
        (nk.models.RBMModPhase(alpha=1), ["XXIIII", "IZZIII"]),  # complex logpsi, real E_loc
        (nk.models.RBM(alpha=1, param_dtype=float), ["XYIIII", "IZZIII"]),  # complex E_loc
        (nk.models.RBM(alpha=1, param_dtype=float), ["XIIIII", "ZZIIII"]),  # all real
    ],
    ids=["complex-logpsi", "complex-local-energies", "real"],
)
def test_forces_of_real_parameters_in_one_backward_pass_equal_netkets(model, strings):
    """symir's `expect_and_forces` pulls the forces of real parameters back in one pass
    (`_real_parameter_forces`); NetKet's `nkjax.vjp` takes four (complex `logpsi`) or two
    (complex local energies): the same statistics and forces, the same dtypes."""
    from symir.integrations import netket_local_energy as nle

    hi = nk.hilbert.Spin(0.5, 6)
    op = sym.pauli_strings(hi, strings, [0.7, -1.3]).compile().to_netket(hi)
    vs = nk.vqs.MCState(nk.sampler.MetropolisLocal(hi, n_chains=8), model, n_samples=64, seed=3)
    vs.n_discard_per_chain = vs.chain_length  # one compiled chain (its length is static)
    (s1, f1), (s2, f2) = nle.symir_expect_and_forces(vs, op), nle.ordered_expect_and_forces(vs, op)
    assert abs(complex(s1.mean) - complex(s2.mean)) < 1e-12
    assert float(s1.variance) == pytest.approx(float(s2.variance), abs=1e-12)
    assert jax.tree.map(lambda a: a.dtype, f1) == jax.tree.map(lambda a: a.dtype, f2)
    assert_trees_close(f1, f2, atol=1e-12)
    assert max(float(jnp.max(jnp.abs(g))) for g in jax.tree.leaves(f1)) > 1e-3  # not zero


@pytest.mark.filterwarnings("ignore:For performance reasons")  # NetKet: a power of two
def test_chunked_forces_in_one_backward_pass_equal_netkets():
    """Chunked (`vstate.chunk_size`), symir's `expect_and_forces` pulls the forces back one
    chunk of samples at a time, one pass per chunk (a `lax.scan` over the whole chunks,
    then the remaining samples: 64 = 4 x 16, or 2 x 24 + 16): the statistics and forces
    of NetKet's chunked program, through `vstate.expect_and_grad` too."""
    from symir.integrations import netket_local_energy as nle

    chunk_size = 24
    hi = nk.hilbert.Spin(0.5, 6)
    op = sym.pauli_strings(hi, ["XXIIII", "IZZIII"], [0.7, -1.3]).compile().to_netket(hi)
    model = nk.models.RBMModPhase(alpha=1)  # complex logpsi of real parameters
    vs = nk.vqs.MCState(nk.sampler.MetropolisLocal(hi, n_chains=8), model, n_samples=64, seed=3)
    vs.n_discard_per_chain = vs.chain_length  # one compiled chain (its length is static)
    vs.chunk_size = chunk_size
    s1, f1 = nle.symir_expect_and_forces(vs, op, chunk_size)
    s2, f2 = nle.ordered_expect_and_forces(vs, op, chunk_size)
    assert abs(complex(s1.mean) - complex(s2.mean)) < 1e-12
    assert jax.tree.map(lambda a: a.dtype, f1) == jax.tree.map(lambda a: a.dtype, f2)
    assert_trees_close(f1, f2, atol=1e-12)
    assert max(float(jnp.max(jnp.abs(g))) for g in jax.tree.leaves(f1)) > 1e-3  # not zero
    _, g = vs.expect_and_grad(op)  # NetKet's dispatch reaches the chunked rule
    vs.chunk_size = None
    _, g_whole = vs.expect_and_grad(op)
    assert_trees_close(g, g_whole, atol=1e-12)


def test_vmap_over_samples_matches_local_estimators(mc_state):
    ours, ref = model_pair("ising")
    samples = mc_state.samples.reshape(-1, N)
    logpsi, pars = mc_state._apply_fun, {"params": mc_state.parameters}

    def local_energy(op, s):  # one sample, shape (N,)
        sp, mels = op.get_conn_padded(s)
        return jnp.sum(mels * jnp.exp(logpsi(pars, sp) - logpsi(pars, s)))

    per_sample = nk.jax.vmap_chunked(local_energy, in_axes=(None, 0), chunk_size=16)
    ours_loc = jax.jit(per_sample)(ours, samples)
    ref_loc = mc_state.local_estimators(ref).data.reshape(-1)
    np.testing.assert_allclose(np.asarray(ours_loc), np.asarray(ref_loc), atol=1e-10, rtol=0)
    # plain vmap, and vmap of the adapter's get_conn_padded against NetKet's operator
    xp, mels = jax.vmap(ours.get_conn_padded)(samples)
    ref_xp, ref_mels = ref.get_conn_padded(samples)
    np.testing.assert_array_equal(np.asarray(xp), np.asarray(ref_xp))
    np.testing.assert_allclose(np.asarray(mels), np.asarray(ref_mels), atol=1e-12)


# --------------------------------------------------------------------------- adapter


def test_adapter_is_a_pytree_of_parameters():
    ours, ref = model_pair("ising")
    assert sorted(float(v) for v in jax.tree_util.tree_leaves(ours)) == [0.8, 1.1]
    traces = []

    @jax.jit
    def diag(op, x):
        traces.append(1)
        return op.get_conn_padded(x)[1][..., 0]

    x = ref.hilbert.all_states()[:7]
    d1 = diag(ours, x)
    d2 = diag(ours.with_params(J=2.2), x)
    assert len(traces) == 1
    np.testing.assert_allclose(np.asarray(d2), 2 * np.asarray(d1))
    assert isinstance(ours.with_params(h=0.1), sym.NetKetOperator)
    assert ours.params == {"h": 0.8, "J": 1.1}
    assert "NetKetOperator('tfim'" in repr(ours)
    # NetKet's n_conn (from the padded mels) matches the Ising operator's
    np.testing.assert_array_equal(np.asarray(ours.n_conn(x)), np.asarray(ref.n_conn(x)))


@pytest.mark.parametrize(
    "space,expected",
    [
        (sym.Spin(0.5, 3), lambda: nk.hilbert.Spin(0.5, 3)),
        (sym.Spin(1, 3), lambda: nk.hilbert.Spin(1, 3)),
        (sym.Fock(3, 2), lambda: nk.hilbert.Fock(3, 2)),
        (sym.states_of([1, 2, 3], 2), None),
    ],
    ids=["spin-half", "spin-one", "fock", "equally-spaced"],
)
def test_hilbert_conversion(space, expected):
    from symir.integrations.netket import netket_hilbert

    hi = netket_hilbert(space)
    if expected is not None:
        assert hi == expected()
    assert sorted(np.asarray(hi.local_states).tolist()) == list(space.local_states)
    assert hi.size == space.size


def test_hilbert_errors():
    from symir.integrations.netket import netket_hilbert

    with pytest.raises(
        ValueError, match=r"no NetKet Hilbert space has the local states \[0, 1, 3\]"
    ):
        netket_hilbert(sym.states_of([0, 1, 3], 2))
    with pytest.raises(TypeError, match="DiscreteHilbert"):
        netket_hilbert("spin")
    compiled = tfim(sym.Spin(0.5, 3), [(0, 1), (1, 2)]).compile()
    with pytest.raises(ValueError, match=r"compiled for 3 site\(s\) with local states \[-1, 1\]"):
        compiled.to_netket(nk.hilbert.Spin(0.5, 4))
    with pytest.raises(ValueError, match=r"local states \[0, 1\]"):
        compiled.to_netket(nk.hilbert.Qubit(3))
    with pytest.raises(ValueError, match="constrained"):
        compiled.to_netket(nk.hilbert.Spin(0.5, 3, total_sz=0.5))
    with pytest.raises(TypeError, match="CompiledOperator"):
        sym.to_netket(42)
    with pytest.raises(TypeError, match="NetKet DiscreteHilbert"):
        compiled.to_netket(sym.Spin(0.5, 3))


def test_explicit_hilbert():
    # the same local states in another NetKet space (here: the historical spin order)
    graph = chain(N)
    ours = sym.to_netket(tfim(sym.Spin(0.5, N), graph.edges()))
    assert ours.hilbert == nk.hilbert.Spin(0.5, N)
    inverted = nk.hilbert.Spin(0.5, N, inverted_ordering=True)
    rewrapped = sym.to_netket(ours, inverted)
    assert rewrapped.hilbert == inverted and rewrapped.compiled is ours.compiled
    assert sym.to_netket(rewrapped) is rewrapped
    ref = nk.operator.Ising(inverted, graph, h=1.0, J=1.0)
    np.testing.assert_allclose(rewrapped.to_dense(), ref.to_sparse().toarray(), atol=1e-10, rtol=0)
    # states {0, 1}: symir's space becomes Fock(1); Qubit is the same space, given explicitly
    bh = bose_hubbard(sym.Fock(1, 2), [(0, 1)])
    assert sym.to_netket(bh).hilbert == nk.hilbert.Fock(1, 2)
    assert sym.to_netket(bh, nk.hilbert.Qubit(2)).hilbert == nk.hilbert.Qubit(2)


# --------------------------------------------------------------------------- algebra


def test_algebra_between_adapters_equals_netkets():
    """`a + b`, `a @ b`, `sum([...])` between adapters (NetKet's reflected-only `+`/`@`
    used to raise TypeError), with NetKet's own operators and with numbers (`a + 1.0`
    raised TypeError, where NetKet's operators add the identity), against NetKet's
    matrices.
    (One pair: a with parameters, b without; the pair swapped ran the same code.)"""
    a, ref_a = model_pair("ising")
    b, ref_b = model_pair("heisenberg")
    da, db = dense_matrix(ref_a), dense_matrix(ref_b)
    cases = {
        "a + a": (a + a, 2 * da),
        "a + b": (a + b, da + db),
        "sum": (sum([a, b, a]), 2 * da + db),
        "a @ a": (a @ a, da @ da),
        "a @ b": (a @ b, da @ db),
        "a - b": (a - b, da - db),
        "a + netket": (a + ref_b, da + db),
        "netket + a": (ref_b + a, db + da),
        "a @ netket": (a @ ref_b, da @ db),
        "netket @ a": (ref_b @ a, db @ da),
        # a number is the identity times it, as NetKet's own operators take one
        "a + 1.5": (a + 1.5, da + 1.5 * np.eye(len(da))),
        "2 + a": (2 + a, da + 2 * np.eye(len(da))),
        "a - 0.5": (a - 0.5, da - 0.5 * np.eye(len(da))),
        "1 - a": (1 - a, np.eye(len(da)) - da),
        "a + np.float64": (a + np.float64(-3.0), da - 3 * np.eye(len(da))),
    }
    for name, (got, expected) in cases.items():
        assert isinstance(got, nk.operator.DiscreteJaxOperator), name
        # NetKet's to_dense() through get_conn_padded, without its sparse assembly in JAX
        # (compiled anew for every fan-out: seconds per case); the adapter's own to_dense
        # is test_matrices_equal_netkets'
        np.testing.assert_allclose(dense_matrix(got), expected, atol=1e-10, rtol=0, err_msg=name)


def test_empty_batch_through_netket():
    ours, ref = model_pair("ising")
    x = np.zeros((0, N), dtype=np.int8)
    xp, mels = ours.get_conn_padded(x)
    ref_xp, ref_mels = ref.to_jax_operator().get_conn_padded(x)
    assert xp.shape == (0, ours.max_conn_size, N) and ref_xp.shape[0] == 0
    assert mels.shape == (0, ours.max_conn_size) and ref_mels.shape[0] == 0
    xp, mels = jax.jit(lambda o, x: o.get_conn_padded(x))(ours, x)
    assert xp.shape == (0, ours.max_conn_size, N)


@pytest.mark.parametrize(
    "space",
    [
        lambda: nk.hilbert.SpinOrbitalFermions(4),
        lambda: nk.hilbert.SpinOrbitalFermions(3, s=0.5),
        lambda: nk.hilbert.SpinOrbitalFermions(2, s=0.5, n_fermions_per_spin=(1, 1)),
    ],
)
def test_fermionic_spaces_are_refused_not_treated_as_bosons(space):
    """A hop on a fermionic space without Jordan-Wigner signs differs from NetKet's
    `cdag(0) c(3)` by a sign: a plain update on the space is refused, with a message
    naming it (SYMIR-E006), while the same hop as a fermion product is NetKet's."""
    hi = space()
    with pytest.raises(
        sym.SymbolicDefinitionError, match=r"SYMIR-E006 term @term0: .* on the fermionic space"
    ):
        sym.DOperator(hi, "f").globally().emit(sym.hop(1, 0)).build()
    hop = sym.DOperator(hi, "f").globally().emit(sym.cdag(0) * sym.c(1)).build()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NetKet's advice for fixed particle numbers
        ref = nk.operator.FermionOperator2nd(hi, [((0, 1), (1, 0))])
    np.testing.assert_allclose(hop.compile().to_netket().to_dense(), dense_matrix(ref), atol=1e-10)


# --------------------------------------------------------------------------- lowering choices

CHOICES = [
    {},
    {"read_lowering": "take", "diagonal_lowering": "dense"},
    {"read_lowering": "permuted", "diagonal_lowering": "rows"},
    {"read_lowering": "gather", "diagonal_lowering": "dense", "target": "gpu"},
    {"read_lowering": "slices", "diagonal_lowering": "rows", "sort_rows": False},
    {"state_lowering": "merged", "diagonal_lowering": "rows"},
    {"state_lowering": "projected", "diagonal_lowering": "dense"},
    {"state_lowering": "concat", "target": "cpu"},
]


def _constant_models(kind: str):
    """(symir operator with constant couplings, NetKet's operator) on 2D lattices, where
    the bond tables are not in site order."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "bose_hubbard":
            graph = nk.graph.Square(2, pbc=True)
            hi = nk.hilbert.Fock(n_max=2, N=graph.n_nodes)
        else:
            graph = nk.graph.Triangular([3, 3], pbc=True)
            hi = nk.hilbert.Spin(0.5, graph.n_nodes)
    edges = graph.edges()
    si, sj = sym.site("i"), sym.site("j")
    if kind == "ising":
        ours = (
            sym.DOperator(hi, "ising", hermitian=True)
            .for_each_site("i")
            .emit(sym.write("i", -si), matrix_element=-TFIM["h"])
            .for_each(("i", "j"), over=edges)
            .emit(sym.identity(), matrix_element=TFIM["J"] * si * sj)
            .build()
        )
        return ours, nk.operator.Ising(hi, graph, **TFIM)
    if kind == "heisenberg":
        ours = (
            sym.DOperator(hi, "heisenberg", hermitian=True)
            .for_each(("i", "j"), over=edges)
            .emit(sym.identity(), matrix_element=si * sj)
            .emit_if(si != sj, sym.swap("i", "j"), matrix_element=2.0)  # not bipartite
            .build()
        )
        return ours, nk.operator.Heisenberg(hi, graph)
    U, V, J, mu = BH["U"], BH["V"], BH["J"], BH["mu"]
    ours = (
        sym.DOperator(hi, "bose_hubbard", hermitian=True)
        .for_each_site("i")
        .emit(sym.identity(), matrix_element=U / 2 * si * (si - 1) - mu * si)
        .for_each(("i", "j"), over=edges)
        .emit(sym.identity(), matrix_element=V * si * sj)
        .emit(sym.hop("i", "j"), matrix_element=-J * sym.sqrt(si * sym.emitted("j")))
        .emit(sym.hop("j", "i"), matrix_element=-J * sym.sqrt(sj * sym.emitted("i")))
        .build()
    )
    return ours, nk.operator.BoseHubbard(hi, graph, **BH)


@functools.cache
def _netket_matrix(kind: str) -> np.ndarray:
    """NetKet's matrix of `_constant_models(kind)`, once per model (the five lowering
    choices share it)."""
    return _constant_models(kind)[1].to_sparse().toarray()


@pytest.mark.parametrize("options", CHOICES, ids=lambda o: ",".join(map(str, o.values())) or "auto")
@pytest.mark.parametrize("kind", ["ising", "heisenberg", "bose_hubbard"])
def test_every_lowering_choice_equals_netkets_matrix(kind, options):
    ours, _ = _constant_models(kind)
    compiled = ours.compile(**options)
    dense = _netket_matrix(kind)
    np.testing.assert_allclose(sym.to_netket(compiled).to_dense(), dense, atol=1e-10, rtol=0)
