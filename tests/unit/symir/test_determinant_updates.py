"""Determinant networks by low-rank updates (symir/runtime/determinant_updates.py, issue
36 item 2): the block derived from the network's program equals the plain evaluation
`sum mels * exp(logpsi(xp) - logpsi(x))` on NetKet's connected states, for NetKet's
Slater networks and for modules the code has never seen; networks that are not
determinants of gathered rows fall back with a reason; gradients are the plain ones."""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

nk = pytest.importorskip("netket")
import flax.linen as nn  # noqa: E402

from symir import models  # noqa: E402
from symir.runtime.determinant_updates import derive_ranks, determinant_block  # noqa: E402
from symir.runtime.local_energy import _delta_block, local_energy_plan  # noqa: E402

jax.config.update("jax_enable_x64", True)


def quiet(f, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(*args, **kwargs)


_HUBBARD: dict = {}


def hubbard(graph, per_spin):
    """Hilbert space, symir's operator and NetKet's, made once per lattice and filling
    (several tests share one: NetKet's operator sets itself up on first use)."""
    key = (graph.n_nodes, tuple(sorted(map(tuple, graph.edges()))), tuple(per_spin))
    if key not in _HUBBARD:
        hi = nk.hilbert.SpinOrbitalFermions(graph.n_nodes, s=0.5, n_fermions_per_spin=per_spin)
        op = models.fermi_hubbard(hi, graph, t=1, U=4).compile()
        ref = quiet(models.netket_fermi_hubbard, hi, graph, t=1, U=4).to_jax_operator()
        _HUBBARD[key] = hi, op, ref
    return _HUBBARD[key]


@jax.jit
def netket_conn(ref, x):
    """NetKet's `ref.get_conn_padded(x)` in one program (eagerly JAX compiles every
    primitive of NetKet's operator on its own, for each batch shape)."""
    return ref.get_conn_padded(x)


def plain(apply, params, x, conn):
    """NetKet's evaluation on `conn = netket_conn(ref, x)`."""
    xp, mels = conn
    lp = apply(params, xp.reshape(-1, x.shape[-1])).reshape(mels.shape)
    return jnp.sum(mels * jnp.exp(lp - apply(params, x)[:, None]), axis=-1)


def untaken(*args, **kwargs):
    """A fallback that must not be taken: NaN energies (one less program to compile)."""
    return jnp.full(args[2].shape[0], jnp.nan)


def derived(apply, params, x, op, fallback=untaken, ranks=True):
    """The determinant block of `apply` (derived once, outside the programs that run
    it); `ranks`: whether the rows must follow from the occupation ranks (else the rows
    of `R(x')` are compared)."""
    block, reason = determinant_block(apply, params, x, fallback=fallback)
    assert block is not None, reason
    found, why = derive_ranks(block.program, op.space.local_states)
    assert (found is not None) == ranks, why
    return block


def fast(apply, params, x, op, fallback=untaken, ranks=True, block=None):
    """The determinant block's local energies (`block` derived here unless given)."""
    if block is None:
        block = derived(apply, params, x, op, fallback, ranks)
    plan = local_energy_plan(op)
    return block(apply, params, x, op, plan, x.shape[0] * plan.max_conn_size, True)


def random_params(params, seed):
    """Every parameter random at its initial scale (complex ones with a random phase)."""
    leaves, tree = jax.tree_util.tree_flatten(params)
    keys = jax.random.split(jax.random.key(seed), len(leaves))
    new = []
    for k, leaf in zip(keys, leaves, strict=True):
        v = jax.random.normal(k, leaf.shape)
        if jnp.iscomplexobj(leaf):
            v = v + 1j * jax.random.normal(jax.random.fold_in(k, 1), leaf.shape)
        scale = float(np.std(np.asarray(leaf))) if leaf.size > 1 else 1.0
        new.append((v * (scale or 1.0)).astype(leaf.dtype))
    return jax.tree_util.tree_unflatten(tree, new)


def close(got, want, tol):
    """Equal within `tol` times the largest magnitude (at least 1): a random Slater
    matrix near singular gives local energies (and gradients) of 1e3 to 1e7."""
    got, want = np.asarray(got), np.asarray(want)
    scale = max(1.0, float(np.max(np.abs(want))))
    np.testing.assert_allclose(got, want, rtol=0, atol=tol * scale)


def check(apply, params, x, op, ref, grad=True, block=None, **how):
    """The block's energies (and, with `grad`, their parameter gradients) against the
    plain evaluation's, all in one program: the block derived once, each side's values
    and gradient from one forward and backward pass (`has_aux`), not three programs
    each tracing the derivation again."""
    conn = netket_conn(ref, x)
    if block is None:
        block = derived(apply, params, x, op, **how)

    def ours(p):
        return fast(apply, p, x, op, block=block)

    def theirs(p):
        return plain(apply, p, x, conn)

    def mix(values):  # real and imaginary parts in one gradient
        total = jnp.sum(values)
        return jnp.real(total) + 0.37 * jnp.imag(total)

    if not grad:
        got, want = jax.jit(lambda p: (ours(p), theirs(p)))(params)
    else:

        def with_values(f):
            def loss(p):
                values = f(p)
                return mix(values), values

            return jax.grad(loss, has_aux=True)

        (g, got), (w, want) = jax.jit(lambda p: (with_values(ours)(p), with_values(theirs)(p)))(
            params
        )
    assert got.dtype == want.dtype
    close(got, want, 1e-10)
    if not grad:
        return
    for a, b in zip(jax.tree_util.tree_leaves(g), jax.tree_util.tree_leaves(w), strict=True):
        close(a, b, 1e-8)


LATTICES = {
    "chain4": (lambda: nk.graph.Chain(4, pbc=True), (2, 2)),
    "chain6": (lambda: nk.graph.Chain(6, pbc=True), (3, 3)),
    "square2x2": (lambda: nk.graph.Square(2, pbc=False), (2, 1)),
    "grid2x3": (lambda: nk.graph.Grid((2, 3), pbc=False), (3, 2)),
}
SLATERS = {
    "generalized": dict(generalized=True, restricted=False),
    "restricted": dict(restricted=True),
    "unrestricted": dict(restricted=False),
    "complex": dict(restricted=False, param_dtype=complex),
}


CASES = [
    ("chain4", "restricted"),
    ("chain6", "generalized"),
    ("square2x2", "complex"),
    ("grid2x3", "unrestricted"),
]
"""Each kind of orbitals and each lattice once (suite time: not all 16 pairs)."""


@pytest.mark.parametrize(("lattice", "kind"), CASES)
def test_slater2nd_equals_plain_evaluation(lattice, kind):
    make, per_spin = LATTICES[lattice]
    kw = SLATERS[kind]
    hi, op, ref = hubbard(quiet(make), per_spin)
    ma = nk.models.Slater2nd(hi, **kw)
    x = hi.random_state(jax.random.key(0), 32)
    params = random_params(jax.jit(ma.init)(jax.random.key(1), x), 2)
    check(ma.apply, params, x, op, ref, grad=lattice != "chain6")


def test_multislater2nd_equals_plain_evaluation():
    hi, op, ref = hubbard(nk.graph.Chain(5, pbc=True), (2, 3))
    ma = nk.models.MultiSlater2nd(hi, n_determinants=3, restricted=False)
    x = hi.random_state(jax.random.key(0), 32)
    params = random_params(jax.jit(ma.init)(jax.random.key(1), x), 3)
    block, reason = determinant_block(ma.apply, params, x, fallback=untaken)
    assert block is not None and "x (3,)" in reason, reason
    assert derive_ranks(block.program, op.space.local_states)[0] is not None
    check(ma.apply, params, x, op, ref, block=block)


class JastrowSlater(nn.Module):
    """A user's module: `slogdet` of orbitals at the occupied positions (one matrix for
    all spin-orbitals, written with `jnp.nonzero`) times a Jastrow factor."""

    n: int

    @nn.compact
    def __call__(self, x):
        orbitals = self.param("orbitals", nn.initializers.normal(1.0), (x.shape[-1], self.n))
        J = self.param("J", nn.initializers.normal(0.1), (x.shape[-1], x.shape[-1]))

        def one(x):
            (rows,) = jnp.nonzero(x, size=self.n)
            sign, logabs = jnp.linalg.slogdet(orbitals[rows])
            return logabs + jnp.log(sign + 0j) + x @ J @ x

        return jnp.vectorize(one, signature="(n)->()")(x)


class DetTimesPhase(nn.Module):
    """A user's module: `log(det)` of complex orbitals gathered with `jnp.take`, a real
    determinant per spin sector written as one `vmap`, plus a linear phase."""

    n_orbitals: int
    per_spin: int

    @nn.compact
    def __call__(self, x):
        w = self.param("w", nn.initializers.normal(1.0), (2, self.n_orbitals, self.per_spin))
        c = self.param("c", nn.initializers.normal(0.3), (x.shape[-1],))

        def one(x):
            sectors = x.reshape(2, self.n_orbitals)

            def det(occ, m):
                (rows,) = jnp.nonzero(occ, size=self.per_spin)
                return jnp.linalg.det(jnp.take(m, rows, axis=0))

            dets = jax.vmap(det)(sectors, w)
            return jnp.sum(jnp.log(dets.astype(complex))) + 1j * (c @ x)

        if x.ndim == 1:
            return one(x)
        return jax.vmap(one)(x)


class ReversedRows(nn.Module):
    """A user's module whose rows are the occupied positions in reverse order: not the
    ranks' order, so the rows of `R(x')` are compared with those of `R(x)`."""

    n: int

    @nn.compact
    def __call__(self, x):
        orbitals = self.param("orbitals", nn.initializers.normal(1.0), (x.shape[-1], self.n))

        def one(x):
            (rows,) = jnp.nonzero(x, size=self.n)
            return jnp.linalg.slogdet(orbitals[rows[::-1]])[1]

        return jnp.vectorize(one, signature="(n)->()")(x)


def test_user_modules_never_seen_equal_plain_evaluation():
    hi, op, ref = hubbard(nk.graph.Chain(6), (3, 3))
    x = hi.random_state(jax.random.key(0), 24)
    modules = {
        JastrowSlater(6): dict(grad=True),
        DetTimesPhase(hi.n_orbitals, 3): dict(grad=True),
        ReversedRows(6): dict(grad=False, ranks=False),
    }
    for module, how in modules.items():
        params = random_params(jax.jit(module.init)(jax.random.key(1), x), 4)
        check(module.apply, params, x, op, ref, **how)


class Backflow(nn.Module):
    """Orbitals that depend on the configuration: not a gather of a fixed matrix."""

    n: int

    @nn.compact
    def __call__(self, x):
        orbitals = self.param("orbitals", nn.initializers.normal(1.0), (x.shape[-1], self.n))

        def one(x):
            (rows,) = jnp.nonzero(x, size=self.n)
            m = orbitals * (1 + 0.1 * x[:, None])
            return jnp.linalg.slogdet(m[rows])[1]

        return jnp.vectorize(one, signature="(n)->()")(x)


def test_networks_that_are_not_determinants_of_gathered_rows_fall_back_with_a_reason():
    hi = nk.hilbert.SpinOrbitalFermions(4, s=0.5, n_fermions_per_spin=(2, 2))
    x = hi.random_state(jax.random.key(0), 4)
    cases = {
        nk.models.RBM(alpha=1): "no determinant",
        nk.models.MLP(hidden_dims=(8,)): "no determinant",
        Backflow(4): "depends on x",
    }
    for module, words in cases.items():
        params = jax.jit(module.init)(jax.random.key(1), x)
        block, reason = determinant_block(module.apply, params, x, fallback=_delta_block)
        assert block is None
        assert words in reason, reason


def test_reason_describes_the_sites():
    hi, _, _ = hubbard(nk.graph.Chain(4, pbc=True), (2, 1))
    ma = nk.models.Slater2nd(hi, restricted=False)
    x = hi.random_state(jax.random.key(0), 4)
    block, reason = determinant_block(
        ma.apply, jax.jit(ma.init)(jax.random.key(1), x), x, fallback=_delta_block
    )
    assert reason.splitlines()[0] == "2 determinant site(s) by low-rank updates:"
    assert "slogdet of rows R(x) of a fixed (4, 2) float64 matrix" in reason
    assert "slogdet of rows R(x) of a fixed (4, 1) float64 matrix" in reason
    assert len(block.program.sites) == 2


class DiagonalUnit(nn.Module):
    """A call with `slogdet`'s signature that is not `slogdet` (the product of the
    diagonal): the unit check rejects it."""

    @nn.compact
    def __call__(self, x):
        m = self.param("m", nn.initializers.normal(1.0), (x.shape[-1], 4))

        @jax.jit
        def diagonal(a):
            d = jnp.diagonal(a)
            return jnp.prod(jnp.sign(d)), jnp.sum(jnp.log(jnp.abs(d)))

        def one(x):
            (rows,) = jnp.nonzero(x, size=4)
            return diagonal(m[rows])[1]

        return jnp.vectorize(one, signature="(n)->()")(x)


class EmptySites(nn.Module):
    """Rows at the empty sites (`top_k` of `-x`, not `nonzero`): the check that the
    positions are `nonzero` of their values rejects them, the rows are compared."""

    @nn.compact
    def __call__(self, x):
        m = self.param("m", nn.initializers.normal(1.0), (x.shape[-1], 4))

        def one(x):
            rows = jax.lax.top_k(-x, 4)[1]
            return jnp.linalg.slogdet(m[rows])[1]

        return jnp.vectorize(one, signature="(n)->()")(x)


def test_the_derivations_checks_reject_what_they_do_not_prove(monkeypatch):
    """The unit check (a call that is not `slogdet`) and the occupation check (positions
    that are not `nonzero`) each reject, with the reason."""
    from symir.runtime import determinant_updates

    hi, op, _ = hubbard(nk.graph.Chain(4, pbc=True), (2, 2))
    x = hi.random_state(jax.random.key(0), 4)
    module = DiagonalUnit()
    params = jax.jit(module.init)(jax.random.key(1), x)
    block, reason = determinant_block(module.apply, params, x, fallback=_delta_block)
    assert block is None and "no determinant" in reason, reason
    rejected = []

    def spy(*args):
        occ, why = occupation(*args)
        rejected.append(why)
        return occ, why

    occupation = determinant_updates._occupation
    monkeypatch.setattr(determinant_updates, "_occupation", spy)
    module = EmptySites()
    params = jax.jit(module.init)(jax.random.key(1), x)
    block, reason = determinant_block(module.apply, params, x, fallback=_delta_block)
    assert block is not None, reason
    ranks, why = derive_ranks(block.program, op.space.local_states)
    assert ranks is None and why.startswith("row ranks do not apply"), why
    assert "not x.nonzero()" in rejected, rejected


class Shifted(nn.Module):
    """Row indices shifted by two sites' occupations: a hop that changes one of them
    changes every row, more than `K = 1`."""

    @nn.compact
    def __call__(self, x):
        m = self.param("m", nn.initializers.normal(1.0), (8, 4))

        def one(x):
            (rows,) = jnp.nonzero(x, size=4)
            rows = (rows + x[0] + x[5]) % 8
            return jnp.linalg.slogdet(m[rows])[1]

        return jnp.vectorize(one, signature="(n)->()")(x)


class Sliced(nn.Module):
    """Two determinants of the occupied positions `[0, 1)` and `[1, 4)` (not the spin
    sectors): a hop that moves a particle across the slice boundary changes both."""

    @nn.compact
    def __call__(self, x):
        m1 = self.param("m1", nn.initializers.normal(1.0), (8, 1))
        m2 = self.param("m2", nn.initializers.normal(1.0), (8, 3))

        def one(x):
            (rows,) = jnp.nonzero(x, size=4)
            return jnp.linalg.slogdet(m1[rows[:1]])[1] + jnp.linalg.slogdet(m2[rows[1:]])[1]

        return jnp.vectorize(one, signature="(n)->()")(x)


@pytest.mark.parametrize(("module", "ranks"), [(Shifted(), False), (Sliced(), True)])
def test_rows_the_updates_do_not_give_fall_back_to_the_plain_block(module, ranks):
    """A batch where some connected state replaces more rows than the updates handle
    (`Shifted`), or moves a particle across the ranks' slices (`Sliced`) takes the plain
    block, exactly."""
    hi, op, ref = hubbard(nk.graph.Chain(4, pbc=True), (2, 2))
    x = hi.random_state(jax.random.key(0), 16)
    params = jax.jit(module.init)(jax.random.key(1), x)
    taken = []

    def plain_block(*args, **kwargs):  # the plain block, noting that it ran
        jax.debug.callback(lambda: taken.append(True))
        return _delta_block(*args, **kwargs)

    check(module.apply, params, x, op, ref, grad=False, fallback=plain_block, ranks=ranks)
    assert taken


def test_molecule_lih_with_slater2nd():
    from symir.chemistry import molecular_hamiltonian, read_fcidump
    from symir.chemistry.make_fcidumps import DATA

    mh = molecular_hamiltonian(read_fcidump(DATA / "lih_sto3g.fcidump"))
    op = mh.compile()
    m = mh.hilbert.n_orbitals
    hi = nk.hilbert.SpinOrbitalFermions(m, s=0.5, n_fermions_per_spin=(2, 2))
    x = hi.random_state(jax.random.key(0), 16)
    for kw in (dict(restricted=True), dict(generalized=True, restricted=False)):
        ma = nk.models.Slater2nd(hi, **kw)
        params = random_params(jax.jit(ma.init)(jax.random.key(1), x), 5)
        block = derived(ma.apply, params, x, op)
        conn = op.get_conn_padded(x)
        got, want = jax.jit(  # one program (eagerly: one per primitive of the plain side)
            lambda p, ma=ma, block=block, conn=conn: (
                fast(ma.apply, p, x, op, block=block),
                plain(ma.apply, p, x, conn),
            )
        )(params)
        close(got, want, 1e-10)


def test_auto_chooses_the_determinant_updates_by_cost_and_is_exact():
    """`fast_updates="auto"` (NetKet's dispatch) takes the determinant updates where
    the cost model says they pay (`choose_path`), with the costs and the sites printable,
    and gives the plain evaluation's energies."""
    import symir as sym
    from symir.runtime.local_energy import choose_path

    hi, op, ref = hubbard(nk.graph.Chain(6, pbc=True), (3, 3))
    ma = nk.models.Slater2nd(hi, restricted=False)
    x = hi.random_state(jax.random.key(3), 32)
    params = random_params(jax.jit(ma.init)(jax.random.key(4), x), 5)
    path = choose_path(ma.apply, params, x, op, local_energy_plan(op), padded=True)
    assert path.name == "determinant", path.reason
    text = str(path)
    assert "cost per sample" in text and "2 determinant site(s)" in text
    conn = netket_conn(ref, x)
    got = jax.jit(lambda p, x: sym.local_energies(ma.apply, p, x, op, fast_updates="auto"))
    want = jax.jit(lambda p, x: plain(ma.apply, p, x, conn))(params, x)
    close(got(params, x), want, 1e-10)


def test_ranks_apply_inside_netkets_shard_map(monkeypatch):
    """NetKet evaluates a symir operator's local energies inside `shard_map`, whose casts
    to varying (`pvary`) the derivation takes as the identity: the ranks apply there
    (traced only: the values are the tests' above)."""
    from symir.runtime import determinant_updates

    found = []

    def spy(prog, local_states):
        ranks, why = derive_ranks(prog, local_states)
        found.append(ranks is not None)
        return ranks, why

    monkeypatch.setattr(determinant_updates, "derive_ranks", spy)
    hi, op, _ = hubbard(nk.graph.Chain(4, pbc=True), (2, 2))
    sampler = nk.sampler.MetropolisFermionHop(hi, graph=nk.graph.Chain(4, pbc=True))
    vs = nk.vqs.MCState(sampler, nk.models.Slater2nd(hi, param_dtype=float), n_samples=16)
    jax.make_jaxpr(lambda: vs.local_estimators(op.to_netket(hi)))()
    assert found and all(found)


class BatchOnlySlater(nn.Module):
    """A user's Slater determinant written for batches only (`(b, N) -> (b,)`, the
    contract of `local_energies`; it cannot run on one unbatched sample): each spin
    sector's orbitals gathered at `nonzero` of its occupations, under `vmap`."""

    n_orbitals: int
    n_per_spin: int

    @nn.compact
    def __call__(self, x):
        assert x.ndim == 2, "a batch of samples"
        shape = (self.n_orbitals, self.n_per_spin)
        m = [self.param(f"m{s}", nn.initializers.normal(1.0), shape, float) for s in (0, 1)]

        def one(xs):
            total = 0.0
            for s in (0, 1):
                sector = xs[s * self.n_orbitals : (s + 1) * self.n_orbitals]
                rows = m[s][jnp.nonzero(sector, size=self.n_per_spin)[0]]
                sign, logdet = jnp.linalg.slogdet(rows)
                total = total + logdet + jnp.log(sign.astype(complex))
            return total

        return jax.vmap(one)(x)


def test_a_network_that_takes_batches_only_gets_determinant_updates():
    """`derive_determinants` traced `logpsi` on one unbatched sample only: a network that
    needs the batch axis fell back ("logpsi does not trace on one sample") to the plain
    evaluation; it is traced on a batch of one sample instead."""
    graph = nk.graph.Chain(6, pbc=True)
    hi, op, ref = hubbard(graph, (3, 3))
    net = BatchOnlySlater(6, 3)
    x = jnp.asarray(hi.random_state(jax.random.key(0), 32), jnp.float64)
    params = jax.jit(net.init)(jax.random.key(1), x)
    _, reason = determinant_block(net.apply, params, x, fallback=_delta_block)
    assert reason.splitlines()[0] == "2 determinant site(s) by low-rank updates:", reason
    check(net.apply, params, x, op, ref)
