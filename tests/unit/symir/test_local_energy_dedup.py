"""Runtime deduplication in `symir.local_energies` (`dedup=True`, symir/runtime/dedup.py)
and its NetKet switch, against NetKet's operators and local estimators at 1e-10.

Operators whose connected states repeat within a sample, which the static fusion cannot
merge: Heisenberg written twice (the swap form on the bonds, and the double flip of
`XX + YY` on the reversed bonds: equal only where the spins differ), and a molecule
written term by term (`symir.chemistry.term_by_term_hamiltonian`: a single excitation is
also reached by every `c+_P c+_R c_R c_Q` with `R` occupied; two orbitals, random
integrals). The references: NetKet's `Heisenberg`, and its `FermionOperator2nd` of the
textbook sum, every index written out.
"""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symir as sym
from symir import models
from symir.chemistry import from_arrays, term_by_term_hamiltonian
from symir.runtime import batch_dedup, dedup
from symir.runtime.local_energy import evaluation_counts

nk = pytest.importorskip("netket")
import netket.vqs.mc.kernels as nk_kernels  # noqa: E402

from symir.integrations import netket_local_energy  # noqa: E402

ATOL = 1e-10
N_SAMPLES = 32


def quiet(f, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(*args, **kwargs)


# --------------------------------------------------------------------------- operators


def heisenberg_twice(hi, graph):
    """`2 H` as the swap form on the bonds plus the flip form (`XX + YY`: flip both sites,
    `1 - s_i s_j`) on the reversed bonds; constant couplings (zero mels are skipped)."""
    si, sj = sym.site("i"), sym.site("j")
    flips = (
        sym.DOperator(hi, "heisenberg_flips", hermitian=True)
        .for_each(("i", "j"), over=[(j, i) for i, j in graph.edges()])
        .emit(sym.identity(), matrix_element=si * sj)
        .emit(sym.scatter(["i", "j"], [-si, -sj]), matrix_element=1 - si * sj)
        .build()
    )
    return models.heisenberg(hi, graph, J=1.0, sign_rule=False) + flips


def random_integrals(m, seed=0):
    rng = np.random.default_rng(seed)
    h1 = rng.normal(size=(m, m))
    h2 = rng.normal(size=(m,) * 4)
    h2 = h2 + h2.transpose(1, 0, 2, 3)
    h2 = h2 + h2.transpose(0, 1, 3, 2)
    return h1 + h1.T, 0.1 * (h2 + h2.transpose(2, 3, 0, 1))


def netket_molecule(ints):
    """E + sum h1 c+_ps c_qs + 1/2 sum (pq|rs) c+_ps c+_rt c_st c_qs, every index."""
    m = ints.n_orbitals
    hi = nk.hilbert.SpinOrbitalFermions(m, s=0.5, n_fermions_per_spin=ints.n_fermions_per_spin)
    site = {(p, s): p + (m if s == 1 else 0) for p in range(m) for s in (-1, 1)}
    terms, weights = [], []
    for p, q in np.ndindex(m, m):
        for s in (-1, 1):
            terms.append(((site[p, s], 1), (site[q, s], 0)))
            weights.append(ints.h1[p, q])
    for p, q, r, t in np.ndindex(m, m, m, m):
        for s in (-1, 1):
            for u in (-1, 1):
                terms.append(((site[p, s], 1), (site[r, u], 1), (site[t, u], 0), (site[q, s], 0)))
                weights.append(0.5 * ints.h2[p, q, r, t])
    op = quiet(nk.operator.FermionOperator2nd, hi, terms, weights, constant=ints.constant)
    return hi, op.to_jax_operator()


def _model(name):
    """(hilbert, symir's operator, NetKet's)."""
    if name == "heisenberg_twice":
        graph = quiet(nk.graph.Square, 3, pbc=True)
        hi = nk.hilbert.Spin(0.5, graph.n_nodes)
        ref = (2.0 * nk.operator.Heisenberg(hi, graph, sign_rule=False)).to_jax_operator()
        return hi, heisenberg_twice(hi, graph), ref
    ints = from_arrays(*random_integrals(2), 0.5, notation="chemist", n_electrons=2)
    hi, ref = netket_molecule(ints)
    t, v = ints.spin_orbital_tensors()
    return hi, term_by_term_hamiltonian(t, v, ints.constant, ints.hilbert()), ref


NETWORK_DTYPE = {"heisenberg_twice": complex, "molecule_terms": float}


@pytest.fixture(scope="module")
def systems():
    built = {}

    def get(name):
        if name not in built:
            hi, op, ref = _model(name)
            ours = op.compile().to_netket(hi)
            model = nk.models.RBM(alpha=1, param_dtype=NETWORK_DTYPE[name])
            built[name] = (ours, ref, _state(hi, model))
        return built[name]

    return get


def _state(hi, model):
    """An MCState whose samples are random states of the space (set where `sample()`
    puts them: both operators see the same ones, and no Markov chain is compiled)."""
    if isinstance(hi, nk.hilbert.SpinOrbitalFermions):
        edges = [(i, j) for i in range(hi.size) for j in range(i + 1, hi.size)]
        sampler = nk.sampler.MetropolisFermionHop(hi, graph=nk.graph.Graph(edges=edges))
    else:
        sampler = nk.sampler.MetropolisLocal(hi)
    vs = quiet(nk.vqs.MCState, sampler, model, n_samples=N_SAMPLES, seed=1)
    shape = (vs.sampler.n_chains, vs.chain_length)
    vs._samples = jnp.asarray(hi.random_state(jax.random.key(2), shape))
    return vs


def _leaves_close(a, b):
    for u, v in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_allclose(np.asarray(u), np.asarray(v), atol=ATOL, rtol=1e-10)


def _distinct_per_sample(op, x):
    """The distinct x' != x with a nonzero matrix element, per sample (numpy)."""
    xp, mels = (np.asarray(a) for a in op.compiled.get_conn_padded(np.asarray(x)))
    out = []
    for b in range(len(x)):
        keep = (mels[b] != 0) & np.any(xp[b] != np.asarray(x)[b], axis=-1)
        out.append(len({tuple(r) for r in xp[b][keep]}))
    return np.array(out)


# --------------------------------------------------------------------------- tests


def test_representatives_are_exact_whatever_the_hash(monkeypatch):
    """Classes of equal rows against a brute force, float and integer rows, with the real
    hash (one evaluation per distinct row; 64- and 32-bit sort keys) and with every hash
    equal (all rows collide: the exact comparison still merges only equal rows);
    non-candidates are never merged."""
    rng = np.random.default_rng(0)
    pool = rng.choice([-1.0, 1.0], size=(5, 6))
    xp = pool[rng.integers(0, 5, size=(4, 12))]
    needed = rng.random((4, 12)) < 0.8

    def check(rows, minimal, wide=True):
        found = jax.jit(lambda r, n: dedup.representatives(r, n, wide=wide))(rows, needed)
        evaluate, source = (np.asarray(a) for a in found)
        for b in range(4):
            for k in range(12):
                s = source[b, k]
                assert evaluate[b, s] == needed[b, k] and (needed[b, k] or s == k)
                assert np.array_equal(xp[b, s], xp[b, k])
            distinct = len({tuple(r) for r in xp[b][needed[b]]})
            assert (evaluate[b].sum() == distinct) if minimal else evaluate[b].sum() >= distinct

    check(jnp.asarray(xp), minimal=True)
    check(jnp.asarray(xp.astype(np.int8)), minimal=True, wide=False)
    monkeypatch.setattr(dedup, "row_hashes", lambda rows: jnp.zeros(rows.shape[:-1], jnp.uint32))
    check(jnp.asarray(xp), minimal=False)


@pytest.mark.parametrize(
    ("name", "chunk_size", "with_grad"),
    [("heisenberg_twice", 8, True), ("molecule_terms", None, False)],
)
def test_dedup_in_netket_equals_netkets_operator(systems, name, chunk_size, with_grad):
    """With the NetKet switch on (`set_local_energy_dedup(True)`, sharding on: NetKet's
    default): `local_estimators` value by value equal NetKet's operator's, and on
    Heisenberg `expect_and_grad` too (Heisenberg chunked, `chunk_size` 8: blocks of
    samples, and chunks of 8 rows that the candidates of one sample overflow; the
    molecule with the default capacity; the molecule's `expect_and_grad` would add
    seconds of compilation and nothing of symir's: NetKet differentiates a hermitian
    operator's local energies as constants); the evaluations are the distinct connected
    states of each sample, fewer than the candidates."""
    ours, ref, vs = systems(name)
    x = vs.samples.reshape(-1, vs.hilbert.size)
    counts = evaluation_counts(x, ours, dedup=True)
    assert counts["distinct"] == _distinct_per_sample(ours, x).sum()
    assert counts["distinct"] < 0.8 * counts["candidates"]
    # without dedup, these small spaces take the batch's deduplication (batch_dedup),
    # fewer still: one evaluation per distinct x' of the whole batch
    batch = evaluation_counts(x, ours)["distinct"]
    assert batch <= counts["distinct"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(batch_dedup, "STATES_PER_SLOT", 0.0)
        assert evaluation_counts(x, ours)["distinct"] == counts["candidates"]

    expected = np.asarray(vs.local_estimators(ref).data)
    if with_grad:
        e_ref, g_ref = vs.expect_and_grad(ref)
    try:
        netket_local_energy.set_local_energy_dedup(True)
        vs.chunk_size = chunk_size
        assert nk.vqs.get_local_kernel(vs, ours) is netket_local_energy.local_value_kernel_dedup
        got = np.asarray(vs.local_estimators(ours).data)
        np.testing.assert_allclose(got, expected, atol=ATOL, rtol=0)
        if with_grad:
            e_ours, g_ours = vs.expect_and_grad(ours)
            np.testing.assert_allclose(e_ours.mean, e_ref.mean, atol=ATOL, rtol=0)
            _leaves_close(g_ours, g_ref)
    finally:
        netket_local_energy.set_local_energy_dedup(False)
        vs.chunk_size = None
    # switched off: symir's plain kernel again (with fast updates for NetKet's RBM)
    kernel = nk.vqs.get_local_kernel(vs, ours)
    assert getattr(kernel, "func", kernel) is netket_local_energy.local_value_kernel


def test_dedup_gradient_and_errors(systems):
    """`jax.grad` through the deduplicated evaluation (capacity 1: one chunk per distinct
    state) equals `jax.grad` of NetKet's kernel (the cotangents of a state's duplicates
    add up on its one evaluation); a bad `dedup` is named."""
    ours, ref, vs = systems("heisenberg_twice")
    flat = vs.samples.reshape(-1, vs.hilbert.size)[:8]

    def apply(p, s):
        return vs._apply_fun({"params": p}, s)

    def grad(kernel):
        def loss(p):
            e = kernel(apply, p, flat)
            return (e.real**2 + 3 * e.imag).sum()

        return jax.jit(jax.grad(loss))(vs.parameters)

    got = grad(lambda *a: sym.local_energies(*a, ours, dedup=True, capacity=1))
    _leaves_close(got, grad(lambda *a: nk_kernels.local_value_kernel_jax(*a, ref)))
    with pytest.raises(ValueError, match="dedup must be True or False"):
        sym.local_energies(apply, vs.parameters, flat, ours, dedup="auto")


def test_compact_positions_equal_nonzero():
    """`compact_positions` gives `jnp.nonzero`'s positions and fill, empty and full masks
    included."""
    from symir.runtime.dedup import compact_positions

    rng = np.random.default_rng(5)
    for mask in (rng.random(37) < 0.4, np.zeros(5, bool), np.ones(6, bool)):
        m = len(mask)
        expected = np.nonzero(mask)[0]
        expected = np.concatenate([expected, np.full(m + 3 - len(expected), m)])
        np.testing.assert_array_equal(compact_positions(jnp.asarray(mask), m + 3), expected)
        positions, rank = compact_positions(jnp.asarray(mask), m + 3, ranks=True)
        np.testing.assert_array_equal(positions, expected)
        np.testing.assert_array_equal(np.asarray(rank)[mask], np.arange(mask.sum()))


TAIL = 3


def _tail(capacity: int) -> int:
    return TAIL


def _ranked_positions(needed):
    return dedup.candidate_positions(needed, 8, _tail, ranks=True)  # capacity: a constant


@pytest.mark.parametrize("row_ranks", [True, False])
def test_candidate_positions_by_rows_equal_nonzero(monkeypatch, row_ranks):
    """`candidate_positions` of slots `(b, c)`, ranked by rows (`row_ranks`) or by one
    scan of every slot: `jnp.nonzero`'s positions and fill, the count and each needed
    slot's rank, on random, empty, full and one-column masks, and on rows long enough to be
    counted in blocks; `row_ranks` refuses rows too long for float32 counts."""
    monkeypatch.setattr(dedup, "ROW_RANKS", row_ranks)
    rng = np.random.default_rng(7)
    masks = (
        rng.random((29, 13)) < 0.4,
        np.zeros((4, 5), bool),
        np.ones((3, 6), bool),
        rng.random((5, 2 * dedup.ROW_BLOCK + 37)) < 0.3,  # counted in blocks
        np.ones((2, 3 * dedup.ROW_BLOCK), bool),
    )
    # each in one jit call (eagerly JAX compiles every primitive on its own, per shape)
    ranked = jax.jit(_ranked_positions)
    plain = jax.jit(lambda n: dedup.candidate_positions(n, 8, _tail)[:2])
    for needed in (*masks, rng.random((17, 1)) < 0.5):
        m = needed.size
        flat = needed.ravel()
        expected = np.nonzero(flat)[0]
        expected = np.concatenate([expected, np.full(m + TAIL - len(expected), m)])
        positions, count, capacity, rank = ranked(jnp.asarray(needed))
        np.testing.assert_array_equal(positions, expected)
        assert int(count) == flat.sum() and int(capacity) == min(8, m)
        np.testing.assert_array_equal(np.asarray(rank)[needed], np.arange(flat.sum()))
        positions, count = plain(jnp.asarray(needed))
        np.testing.assert_array_equal(positions, expected)
        assert int(count) == flat.sum()
    wide = jax.ShapeDtypeStruct((1, dedup.EXACT_COUNTS), jnp.bool_)
    with pytest.raises(ValueError, match="exact below"):
        jax.eval_shape(dedup.row_ranks, wide)
