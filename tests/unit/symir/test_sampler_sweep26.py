"""Sweep 26 of symir's Metropolis samplers (symir/integrations/netket_sampler.py): a
sampler state reused across a change of the parameters without `reset`, NetKet's own
sampler state handed to symir's sampler, and `LocalRule` on a product space with a
constrained part."""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import netket as nk
import numpy as np
import pytest

import symir as sym

HI = nk.hilbert.Spin(0.5, 10)
CHAIN = nk.graph.Chain(10)


def _params(net, hi, seed, scale=2.0):
    params = net.init(jax.random.PRNGKey(seed), jnp.asarray(hi.all_states()[:1]))
    return jax.tree_util.tree_map(lambda a: scale * a, params)


@pytest.mark.parametrize("kind", ["local", "exchange"])
def test_a_state_sampled_with_other_parameters_gives_netkets_chains(kind):
    """`sampler.sample(model, new_params, state=state)` without `reset` (and
    `sample_next`): the chains kept the old parameters' caches and proposed with the new
    tables (11-38% of the samples differed from NetKet's, a drift of 0.2-0.3 at the
    refresh). NetKet's chain keeps its stale `log_prob` until an acceptance; so do these."""
    net = nk.models.RBM(alpha=1, param_dtype=float)
    p1, p2 = _params(net, HI, 0), _params(net, HI, 1)
    if kind == "local":
        ours = sym.MetropolisLocal(HI, n_chains=8, incremental=True)
        theirs = nk.sampler.MetropolisLocal(HI, n_chains=8)
    else:
        ours = sym.MetropolisExchange(HI, graph=CHAIN, n_chains=8, incremental=True)
        theirs = nk.sampler.MetropolisExchange(HI, graph=CHAIN, n_chains=8)
    found = []
    for sampler in (ours, theirs):
        state = sampler.reset(net, p1, sampler.init_state(net, p1, seed=3))
        # the chain length of the next call: one compiled chain per sampler (it is static)
        _, state = sampler.sample(net, p1, state=state, chain_length=10)
        x, state = sampler.sample(net, p2, state=state, chain_length=10)
        _, (σ, _) = sampler.sample_next(net, p1, state)  # the parameters changed back
        found.append((np.asarray(x), np.asarray(σ), state))
    np.testing.assert_array_equal(found[0][0], found[1][0])
    np.testing.assert_array_equal(found[0][1], found[1][1])
    assert float(found[0][2].max_drift) < 1e-10


def test_netkets_sampler_state_is_taken():
    """A state of NetKet's sampler (no caches) given to symir's `sample`: NetKet's
    chains (it raised an AttributeError for the missing cache)."""
    net = nk.models.RBM(alpha=1, param_dtype=float)
    params = _params(net, HI, 0)
    theirs = nk.sampler.MetropolisLocal(HI, n_chains=8)
    state = theirs.reset(net, params, theirs.init_state(net, params, seed=3))
    x0, _ = theirs.sample(net, params, state=state, chain_length=5)
    for incremental in (True, False):
        ours = sym.MetropolisLocal(HI, n_chains=8, incremental=incremental)
        x, _ = ours.sample(net, params, state=state, chain_length=5)
        np.testing.assert_array_equal(np.asarray(x), np.asarray(x0))


def test_a_local_rule_on_a_constrained_part_is_refused():
    """NetKet's `TensorHilbert.constrained` is True only where every part is constrained:
    `MetropolisLocal(Spin * Fock(n_particles=2))` and a `TensorRule` with a `LocalRule`
    on a `Spin(total_sz=0)` part were taken, and the chains left the sector (total Sz of
    the part -4 to 4). A `LocalRule` on the unconstrained part is taken."""
    rules = nk.sampler.rules
    product = nk.hilbert.Spin(0.5, 3) * nk.hilbert.Fock(2, 3, n_particles=2)
    with pytest.raises(ValueError, match="constraint"):
        sym.MetropolisLocal(product)
    with pytest.raises(ValueError, match="constraint"):
        sym.MetropolisLocal(nk.hilbert.DoubledHilbert(product))
    hi = nk.hilbert.TensorHilbert(nk.hilbert.Spin(0.5, 4), nk.hilbert.Spin(0.5, 4, total_sz=0))
    exchange = rules.ExchangeRule(graph=nk.graph.Chain(4))
    with pytest.raises(ValueError, match="constraint"):
        sym.MetropolisSampler(hi, rules.TensorRule(hi, [exchange, rules.LocalRule()]))
    with pytest.raises(ValueError, match="constraint"):
        sym.MetropolisSampler(
            hi,
            rules.TensorRule(
                hi, [exchange, rules.MultipleRules([exchange, rules.LocalRule()], [0.5, 0.5])]
            ),
        )
    taken = sym.MetropolisSampler(hi, rules.TensorRule(hi, [rules.LocalRule(), exchange]))
    net = nk.models.RBM(alpha=1, param_dtype=float)
    params = _params(net, hi, 0, scale=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x, _ = taken.sample(net, params, chain_length=10)
    assert set(np.asarray(x)[..., 4:].sum(-1).ravel().tolist()) == {0}


def test_a_rule_set_by_replace_is_checked_and_swapped():
    """`sampler.replace(rule=...)` skipped `__init__`: a `LocalRule` on `Spin(total_sz=0)`
    was taken (the chains left the sector) and a `HamiltonianRule` kept NetKet's
    correction."""
    from symir.integrations import netket_sampler

    hi = nk.hilbert.Spin(0.5, 6, total_sz=0)
    sampler = sym.MetropolisExchange(hi, graph=nk.graph.Chain(6), n_chains=4)
    with pytest.raises(ValueError, match="constraint"):
        sampler.replace(rule=nk.sampler.rules.LocalRule())
    with pytest.raises(ValueError, match="constraint"):
        sym.MetropolisLocal(HI).replace(hilbert=hi)
    op = nk.operator.Heisenberg(hi, nk.graph.Chain(6)).to_jax_operator()
    replaced = sampler.replace(rule=nk.sampler.rules.HamiltonianRule(op))
    assert isinstance(replaced.rule, netket_sampler._ReversibleHamiltonianRule)
    assert sampler.replace(n_chains=2).n_chains == 2
