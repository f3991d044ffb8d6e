"""symir's incremental Metropolis sampler (symir/integrations/netket_sampler.py, issue 39):
the same chains as NetKet's sampler with the same seeds (local, exchange, fermion-hop and
users' rules, the fallbacks), the exact distribution on a summable system, the drift
measured at the refresh, and the drop-in use in `MCState` and `VMC_SR`."""

from __future__ import annotations

import itertools
import warnings

import flax.linen as nn
import jax
import jax.numpy as jnp
import netket as nk
import numpy as np
import optax
import pytest

import symir as sym
from symir.integrations import netket_sampler
from symir.integrations.netket_sampler import IncrementalSamplerState, max_changed_sites


def _params(net, n, seed=0, scale=None):
    params = jax.jit(net.init)(jax.random.PRNGKey(seed), np.ones((1, n)))
    if scale is not None:  # a less flat distribution
        params = jax.tree_util.tree_map(lambda p: scale * p, params)
    return params


def _chains(sampler, net, params, chain_length, seed=3):
    state = sampler.reset(net, params, sampler.init_state(net, params, seed=seed))
    (x, log_prob), state = sampler.sample(
        net, params, state=state, chain_length=chain_length, return_log_probabilities=True
    )
    return np.asarray(x), np.asarray(log_prob), state


def _same_chains(ours, theirs, net, params, chain_length=25):
    x, lp, state = _chains(ours, net, params, chain_length)
    x0, lp0, state0 = _chains(theirs, net, params, chain_length)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_allclose(lp, lp0, rtol=0, atol=1e-10)
    assert int(state.n_accepted) == int(state0.n_accepted) > 0
    return state


HI8 = nk.hilbert.Spin(0.5, 8)
CHAIN8 = nk.graph.Chain(8)


@pytest.mark.parametrize(
    "net",
    [
        nk.models.RBM(alpha=1, param_dtype=float),
        nk.models.MLP(hidden_dims=(16,), param_dtype=complex),
        # its log_cosh through complex_pairs (netket_sampler.COMPLEX_PAIRS)
        nk.models.MLP(
            hidden_dims=(16,), hidden_activations=nk.nn.activation.log_cosh, param_dtype=complex
        ),
    ],
    ids=["rbm", "mlp-complex", "mlp-complex-log-cosh"],
)
def test_local_rule_gives_netkets_chains(net):
    params = _params(net, 8, scale=4.0)
    ours = sym.MetropolisLocal(HI8, n_chains=8, incremental=True)
    assert ours.path(net, params).incremental and ours.path(net, params).k == 1
    state = _same_chains(ours, nk.sampler.MetropolisLocal(HI8, n_chains=8), net, params)
    assert isinstance(state, IncrementalSamplerState)
    assert 0 < float(state.max_drift) < 1e-10  # 25 sweeps, refreshed every REFRESH_EVERY
    assert float(state.max_log_prob_drift) < 1e-10


def test_exchange_and_fermion_hop_rules_give_netkets_chains():
    net = nk.models.RBM(alpha=1, param_dtype=float)
    hi = nk.hilbert.Spin(0.5, 8, total_sz=0)
    params = _params(net, 8, scale=4.0)
    ours = sym.MetropolisExchange(hi, graph=CHAIN8, n_chains=8, incremental=True)
    assert ours.path(net, params).k == 2
    _same_chains(ours, nk.sampler.MetropolisExchange(hi, graph=CHAIN8, n_chains=8), net, params)

    fermions = nk.hilbert.SpinOrbitalFermions(4, s=0.5, n_fermions_per_spin=(2, 2))
    graph = nk.graph.Chain(4)
    params = _params(net, fermions.size, scale=4.0)
    _same_chains(
        sym.MetropolisFermionHop(fermions, graph=graph, n_chains=8, incremental=True),
        nk.sampler.MetropolisFermionHop(fermions, graph=graph, n_chains=8),
        net,
        params,
    )


def test_drawn_ahead_proposals_of_more_rules_give_netkets_chains(monkeypatch):
    """The built-in rules' proposals with their random numbers drawn per sweep: a local
    rule with more than two local states (a uniform number per chain); exchanges with
    NetKet's `probabilities` (the cumulative sum path) on the plain path (the whole
    network), of three local states (the two-level count, more clusters than one block;
    the per-cluster tables) and of two (the mask as bits, more clusters than one word)."""
    net = nk.models.RBM(alpha=1, param_dtype=float)
    fock = nk.hilbert.Fock(n_max=3, N=8)
    params = _params(net, 8, scale=2.0)
    _same_chains(
        sym.MetropolisLocal(fock, n_chains=8, incremental=True),
        nk.sampler.MetropolisLocal(fock, n_chains=8),
        net,
        params,
    )
    # a chain too long to draw at once: drawn per sweep; an odd sweep (the loop runs
    # UNROLL = 2 steps per iteration, and one more)
    monkeypatch.setattr(netket_sampler, "DRAWN_AHEAD", 0)
    _same_chains(
        sym.MetropolisLocal(fock, n_chains=6, sweep_size=5, incremental=True),
        nk.sampler.MetropolisLocal(fock, n_chains=6, sweep_size=5),
        net,
        params,
        chain_length=10,
    )
    monkeypatch.undo()
    graph = nk.graph.Square(4)
    spins = nk.hilbert.Spin(0.5, 16, total_sz=0)
    bosons = nk.hilbert.Fock(n_max=2, N=16)
    params = _params(net, 16, scale=4.0)
    for hi, incremental, kwargs, kind in (
        (spins, False, {"probabilities": [0.7, 0.3]}, netket_sampler._ExchangeMoves),
        (bosons, True, {}, netket_sampler._ExchangeMoves),
        (spins, True, {}, netket_sampler._ExchangeBits),
    ):
        ours = sym.MetropolisExchange(
            hi, graph=graph, n_chains=8, d_max=2, incremental=incremental, **kwargs
        )
        assert len(ours.rule.clusters) > 32 and ours.path(net, params).incremental == incremental
        assert type(netket_sampler._moves(ours)) is kind
        theirs = nk.sampler.MetropolisExchange(hi, graph=graph, n_chains=8, d_max=2, **kwargs)
        state = _same_chains(ours, theirs, net, params, chain_length=10)
        # NetKet's correction: the log of a count (int64) or of float64 weights
        moves = netket_sampler._moves(ours)
        out = jax.jit(moves.apply)(state.σ, moves.init(state.σ), jnp.full(8, 0.5, moves.dtype))
        assert out[1].dtype == jnp.float64


class TwoHops(nk.sampler.rules.MetropolisRule):
    """A user's rule: two of NetKet's fermion hops in a row (up to two rows of a
    determinant's matrix replaced)."""

    max_changed_sites = 4
    hop: nk.sampler.rules.FermionHopRule

    def __init__(self, hop):
        self.hop = hop

    def transition(rule, sampler, machine, parameters, state, key, σ):
        k1, k2 = jax.random.split(key)
        σ, c1 = rule.hop.transition(sampler, machine, parameters, state, k1, σ)
        σ, c2 = rule.hop.transition(sampler, machine, parameters, state, k2, σ)
        return σ, c1 + c2


def test_determinant_networks_keep_their_inverses():
    """Slater2nd (restricted, complex: two determinants, phases) with fermion hops: each
    chain's inverses updated on acceptance (symir.runtime.determinant_chains), NetKet's
    chains; MultiSlater2nd with a user's rule that may replace two rows (evaluated from
    scratch there)."""
    graph = nk.graph.Chain(4)
    hi = nk.hilbert.SpinOrbitalFermions(4, s=0.5, n_fermions_per_spin=(2, 2))
    x0 = jnp.asarray(hi.random_state(jax.random.PRNGKey(0), 1))
    net = nk.models.Slater2nd(hi, param_dtype=complex)
    params = jax.tree_util.tree_map(
        lambda p: p + 0.3 * jax.random.normal(jax.random.PRNGKey(1), p.shape, p.dtype),
        jax.jit(net.init)(jax.random.PRNGKey(0), x0),
    )
    ours = sym.MetropolisFermionHop(hi, graph=graph, n_chains=8)
    path = ours.path(net, params)
    assert path.incremental and "2 determinant site(s)" in str(path)
    theirs = nk.sampler.MetropolisFermionHop(hi, graph=graph, n_chains=8)
    state = _same_chains(ours, theirs, net, params, chain_length=10)
    assert 0 < float(state.max_drift) < 1e-10
    # MultiSlater2nd (a batch of determinants per site) with a rule that may replace two rows
    net = nk.models.MultiSlater2nd(hi, n_determinants=2, param_dtype=float)
    params = jax.tree_util.tree_map(
        lambda p: p + 0.3 * jax.random.normal(jax.random.PRNGKey(1), p.shape, p.dtype),
        jax.jit(net.init)(jax.random.PRNGKey(0), x0),
    )
    rule = TwoHops(nk.sampler.rules.FermionHopRule(hi, graph=graph))
    assert sym.MetropolisSampler(hi, rule, n_chains=8).path(net, params).determinants
    _same_chains(
        sym.MetropolisSampler(hi, rule, n_chains=8, dtype=np.int8),
        nk.sampler.MetropolisSampler(hi, rule, n_chains=8, dtype=np.int8),
        net,
        params,
        chain_length=10,
    )


def test_a_chain_on_a_zero_amplitude_leaves_it_as_netkets_does():
    """A Slater determinant whose orbitals 2 and 5 are equal: every state with both
    occupied has `psi = 0`. A chain started there has a singular matrix, no inverse to
    update: it never left (its proposals NaN), where NetKet's chain leaves at its first
    move (sweep 12: `expect` NaN). Such a chain's proposals are evaluated from scratch."""
    n, graph = 8, nk.graph.Chain(8, pbc=True)
    hi = nk.hilbert.SpinOrbitalFermions(n, n_fermions=3)
    net = nk.models.Slater2nd(hi)
    m = np.random.default_rng(1).normal(size=(n, 3))
    m[5] = m[2]
    params = {"params": {"M": jnp.asarray(m)}}
    ours = sym.MetropolisFermionHop(hi, graph=graph, n_chains=16)
    assert ours.path(net, params).incremental
    theirs = nk.sampler.MetropolisFermionHop(hi, graph=graph, n_chains=16)
    start = ours.reset(net, params, ours.init_state(net, params, seed=3)).σ
    assert np.any(np.isneginf(np.asarray(net.apply(params, start).real)))  # a chain on psi = 0
    _same_chains(ours, theirs, net, params, chain_length=10)


class TwoFlips(nk.sampler.rules.MetropolisRule):
    """A user's rule: flips two random sites (the same pair twice flips none)."""

    def transition(rule, sampler, machine, parameters, state, key, σ):
        k1, k2 = jax.random.split(key)
        n = sampler.hilbert.size
        i = jax.random.randint(k1, (σ.shape[0],), 0, n)
        j = jax.random.randint(k2, (σ.shape[0],), 0, n)
        rows = jnp.arange(σ.shape[0])
        σ = σ.at[rows, i].set(-σ[rows, i])
        return σ.at[rows, j].set(-σ[rows, j]), None


class StatedTwoFlips(TwoFlips):
    max_changed_sites = 2


class UnderstatedTwoFlips(TwoFlips):
    max_changed_sites = 1  # wrong: the step finds proposals beyond it and recomputes


def test_users_rule_states_its_changed_sites():
    net = nk.models.RBM(alpha=1, param_dtype=float)
    params = _params(net, 8, scale=4.0)
    theirs = nk.sampler.MetropolisSampler(HI8, TwoFlips(), n_chains=8)
    for rule in (StatedTwoFlips(), UnderstatedTwoFlips()):
        ours = sym.MetropolisSampler(HI8, rule, n_chains=8, incremental=True)
        path = ours.path(net, params)
        assert path.incremental and not path.guaranteed
        _same_chains(ours, theirs, net, params)
    # no statement: NetKet's step, and the reason says how to state it
    plain = sym.MetropolisSampler(HI8, TwoFlips(), n_chains=8, incremental=True)
    path = plain.path(net, params)
    assert not path.incremental and "max_changed_sites" in str(path)
    _same_chains(plain, theirs, net, params)  # theirs at 25 steps is compiled already
    # ... or the sampler's argument
    assert sym.MetropolisSampler(HI8, TwoFlips(), max_changed_sites=2).path(net, params).k == 2


def test_changed_sites_of_netkets_rules():
    rules = nk.sampler.rules
    assert max_changed_sites(rules.LocalRule()) == 1
    assert max_changed_sites(rules.ExchangeRule(graph=CHAIN8)) == 2
    assert (
        max_changed_sites(
            rules.MultipleRules([rules.LocalRule(), rules.ExchangeRule(graph=CHAIN8)], [0.5, 0.5])
        )
        == 2
    )
    assert max_changed_sites(rules.HamiltonianRule(nk.operator.Ising(HI8, CHAIN8, h=1.0))) is None


def test_mixed_rules_of_one_and_two_changed_sites_give_netkets_chains():
    """`MultipleRules` of a local and an exchange rule (`k = 2`): a single flip's second
    site is an unchanged one (its table row zero), never the flip counted twice (the
    chains differed from NetKet's, the drift at the refresh was 4-14)."""
    rules = nk.sampler.rules
    net = nk.models.RBM(alpha=1, param_dtype=float)
    params = _params(net, 8, scale=4.0)

    def rule():
        return rules.MultipleRules(
            [rules.LocalRule(), rules.ExchangeRule(graph=CHAIN8)], [0.6, 0.4]
        )

    ours = sym.MetropolisSampler(HI8, rule(), n_chains=8, incremental=True)
    assert ours.path(net, params).k == 2
    theirs = nk.sampler.MetropolisSampler(HI8, rule(), n_chains=8)
    state = _same_chains(ours, theirs, net, params)
    assert float(state.max_drift) < 1e-10


def test_changed_sites_are_each_found_once():
    diff = np.array(
        [[0, 1, 0, 0, 1, 0], [1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0], [1, 0, 1, 0, 1, 0]], bool
    )
    for k in (1, 2, 3, 4):
        sites = np.asarray(netket_sampler._changed_sites(jnp.asarray(diff), k))
        for row, changed in zip(sites, diff, strict=True):
            found = [int(s) for s in row if changed[s]]
            assert len(found) == len(set(found)) == min(k, int(changed.sum())), (k, row)


def test_a_cache_holding_a_mask_is_refreshed():
    """NetKet's `ARNNConv1D` caches a boolean mask: the refresh's drift compares it as
    numbers (it raised `TypeError: sub does not accept dtype bool`)."""
    net = nk.models.ARNNConv1D(hilbert=HI8, layers=2, features=4, kernel_size=3)
    params = jax.jit(net.init)(jax.random.PRNGKey(0), HI8.random_state(jax.random.PRNGKey(1), 2))
    ours = sym.MetropolisLocal(HI8, n_chains=8, incremental=True)
    assert ours.path(net, params).incremental
    state = _same_chains(ours, nk.sampler.MetropolisLocal(HI8, n_chains=8), net, params)
    assert float(state.max_drift) < 1e-10


class NoLinearMap(nn.Module):
    """x meets a non-linear operation (a product of two sites) first: no split."""

    @nn.compact
    def __call__(self, x):
        w = self.param("w", nn.initializers.normal(), (x.shape[-1],), float)
        return jnp.sum(w * x * jnp.roll(x, 1, axis=-1), axis=-1)


def test_a_network_that_does_not_split_takes_netkets_step():
    net = NoLinearMap()
    params = _params(net, 8)
    ours = sym.MetropolisLocal(HI8, n_chains=8, incremental=True)
    path = ours.path(net, params)
    assert not path.incremental and "non-linear" in path.reason
    state = _same_chains(ours, nk.sampler.MetropolisLocal(HI8, n_chains=8), net, params, 10)
    assert state.cache == () and float(state.max_drift) == 0.0


class InverseOccupation(nn.Module):
    """`min(1 / n, softplus(Dense(n)))` of boson occupations: `1 / n` is a cached value,
    infinite at `n = 0`, the minimum finite."""

    @nn.compact
    def __call__(self, x):
        t = nn.Dense(8, param_dtype=jnp.float64)(x)
        cap = jnp.minimum(1.0 / x, nn.softplus(t[..., : x.shape[-1]]))
        return jnp.sum(jnp.tanh(t), -1) + 0.1 * jnp.sum(cap, -1)


def test_a_cached_value_that_is_not_finite_takes_netkets_step():
    """Sweep 6: the incremental step would add `1 / n`'s change to its infinite value at
    `n = 0` (NaN log-probabilities); it is refused with the value named, and the chains
    are NetKet's."""
    hi = nk.hilbert.Fock(n_max=2, N=6)
    net = InverseOccupation()
    params = _params(net, 6)
    ours = sym.MetropolisLocal(hi, n_chains=8, incremental=True)
    path = ours.path(net, params)
    assert not path.incremental and "is not finite on every configuration" in path.reason
    _same_chains(ours, nk.sampler.MetropolisLocal(hi, n_chains=8), net, params, 10)


def test_the_distribution_is_psi_squared_on_a_summable_system():
    """10 spins: <z_i z_{i+1}>, the histogram of sum_i z_i, the TFIM energy and its
    gradient from the samples against the exact |psi|^2 sums."""
    n = 10
    hi = nk.hilbert.Spin(0.5, n)
    net = nk.models.RBM(alpha=1, param_dtype=float)
    params = _params(net, n, seed=1, scale=6.0)
    sampler = sym.MetropolisLocal(hi, n_chains=16, refresh_every=3, incremental=True)
    x, _, state = _chains(sampler, net, params, chain_length=250)
    x = x.reshape(16, 250, n)[:, 20:].reshape(-1, n).astype(float)  # burn-in
    assert float(state.max_drift) < 1e-10
    every = np.array(list(itertools.product([-1.0, 1.0], repeat=n)))
    p = np.exp(2 * np.real(np.asarray(net.apply(params, every))))
    p /= p.sum()
    zz_exact = np.sum(p * np.mean(every * np.roll(every, 1, axis=1), axis=1))
    zz = np.mean(x * np.roll(x, 1, axis=1), axis=1)
    # the chains' spread (16 independent chains) bounds the error of the mean
    chain_means = zz.reshape(16, -1).mean(axis=1)
    error = chain_means.std(ddof=1) / np.sqrt(16)
    assert abs(zz.mean() - zz_exact) < 5 * error + 1e-3
    m_exact = np.bincount(every.sum(1).astype(int) // 2 + n // 2, weights=p, minlength=n + 1)
    m = np.bincount(x.sum(1).astype(int) // 2 + n // 2, minlength=n + 1) / len(x)
    assert np.max(np.abs(m - m_exact)) < 0.05
    _energy_and_gradient_agree_with_the_exact_sums(hi, net, params, x)


def _energy_and_gradient_agree_with_the_exact_sums(hi, net, params, x):
    """The TFIM energy and its gradient (`2 Re cov(O_k, E_loc)`, as NetKet's
    `expect_and_grad` forms it) from the sampled chains, with symir's local energies,
    against the sums over all 2^n states, within the 16 chains' spread."""
    graph = nk.graph.Chain(hi.size)
    op = sym.models.tfim(hi, graph, h=1.0, J=1.0).compile()
    every = jnp.asarray(hi.all_states())
    log_psi = np.asarray(net.apply(params, every))
    p = np.exp(2 * (log_psi.real - log_psi.real.max()))
    p /= p.sum()
    # H = J sum_<ij> z_i z_j - h sum_i x_i (NetKet's Ising), J = h = 1, written out
    z = np.asarray(every, dtype=float)
    dense = np.diag(sum(z[:, i] * z[:, j] for i, j in graph.edges()))
    for i in range(hi.size):
        flipped = z.copy()
        flipped[:, i] *= -1
        dense[np.arange(len(z)), hi.states_to_numbers(flipped)] -= 1.0
    psi = np.exp(log_psi - log_psi.real.max())
    e_exact = np.real(np.conj(psi) @ dense @ psi) / np.real(np.conj(psi) @ psi)

    def jacobian(states):  # O_k(x) = d log psi(x) / d theta_k, one row per state
        one = jax.vmap(jax.grad(lambda q, s: net.apply(q, s[None])[0].real), (None, 0))
        jac = one(params, states)
        return jnp.concatenate([jnp.reshape(j, (len(states), -1)) for j in jax.tree.leaves(jac)], 1)

    # one compilation for the exact sums' states and the samples together
    states = jnp.concatenate([every, jnp.asarray(x, every.dtype)])
    both = jax.jit(lambda s: (sym.local_energies(net.apply, params, s, op).real, jacobian(s)))
    e_both, o_both = (np.asarray(a) for a in both(states))
    e_all, o_all, e_loc, o = (
        e_both[: len(every)],
        o_both[: len(every)],
        e_both[len(every) :],
        o_both[len(every) :],
    )
    assert abs(np.sum(p * e_all) - e_exact) < 1e-10  # E_loc itself is exact
    o_mean = p @ o_all
    g_exact = 2 * (p * (e_all - e_exact)) @ (o_all - o_mean)

    per_chain_e = e_loc.reshape(16, -1).mean(axis=1)
    assert abs(e_loc.mean() - e_exact) < 5 * per_chain_e.std(ddof=1) / 4 + 1e-3
    centred = (e_loc - e_loc.mean())[:, None] * (o - o.mean(axis=0))
    per_chain_g = 2 * centred.reshape(16, -1, o.shape[1]).mean(axis=1)
    variance = per_chain_g.var(axis=0, ddof=1) / 16  # of the mean over the chains
    miss = per_chain_g.mean(axis=0) - g_exact
    # chi-square of the gradient's components: about 1 per component when they agree
    assert np.sum(miss**2) < 3 * np.sum(variance) + 1e-6, (np.sum(miss**2), np.sum(variance))
    assert np.linalg.norm(g_exact) > 4 * np.sqrt(np.sum(variance))  # a gradient, not noise


def test_drop_in_for_mcstate_and_vmc_sr():
    """The two-line change: symir's sampler and symir's operator; the same trajectory as
    NetKet's sampler and operator (the same samples, the same energies)."""
    tfim = sym.models.tfim(HI8, CHAIN8, h=1.0, J=1.0)
    energies = {}
    for side in ("netket", "symir"):
        if side == "netket":
            sampler, op = (
                nk.sampler.MetropolisLocal(HI8, n_chains=8),
                nk.operator.IsingJax(HI8, CHAIN8, h=1.0, J=1.0),
            )
        else:
            sampler, op = (
                sym.MetropolisLocal(HI8, n_chains=8, incremental=True),
                tfim.compile().to_netket(HI8),
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            vs = nk.vqs.MCState(
                sampler,
                nk.models.RBM(alpha=1, param_dtype=float),
                n_samples=64,
                seed=0,
                sampler_seed=1,
            )
            vs.n_discard_per_chain = vs.chain_length  # one compiled chain (length is static)
            driver = nk.driver.VMC_SR(op, optax.sgd(0.05), diag_shift=0.1, variational_state=vs)
            log = nk.logging.RuntimeLog()
            driver.run(n_iter=2, out=log, show_progress=False)
        energies[side] = np.asarray(log.data["Energy"]["Mean"])
    np.testing.assert_allclose(energies["symir"], energies["netket"], rtol=0, atol=1e-10)


def test_arguments_and_public_names():
    with pytest.raises(ValueError, match="refresh_every"):
        sym.MetropolisLocal(HI8, refresh_every=0)
    sampler = sym.MetropolisLocal(HI8, n_chains=4, refresh_every=7, sweep_size=3)
    assert isinstance(sampler, nk.sampler.MetropolisSampler)
    assert (sampler.refresh_every, sampler.sweep_size, sampler.n_chains) == (7, 3, 4)
    assert "refresh_every = 7" in repr(sampler)
    net = nk.models.RBM(alpha=1, param_dtype=float)
    params = _params(net, 8)
    assert "network split: incremental" in str(sampler.path(net, params))
    # where it pays: 4 chains of 8 sites save less than the step's fixed cost
    assert "does not pay" in sampler.path(net, params).reason
    assert sym.MetropolisLocal(HI8, n_chains=2048).path(net, params).incremental
    assert (
        sym.MetropolisLocal(HI8, incremental=False).path(net, params).reason == "incremental=False"
    )
    for name in (
        "MetropolisSampler",
        "MetropolisLocal",
        "MetropolisExchange",
        "MetropolisFermionHop",
    ):
        assert name in dir(sym) and name not in sym.__all__
