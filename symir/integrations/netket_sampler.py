"""A NetKet Metropolis sampler that evaluates proposals incrementally from a per-chain cache.

`MetropolisSampler(hilbert, rule, ...)` is NetKet's `nk.sampler.MetropolisSampler` (a
subclass: `nk.vqs.MCState(sampler=...)`, `vstate.sample()`, `nk.VMC`, `nk.VMC_SR` take
it as they take NetKet's) with one change: the log-amplitude of a proposal is not the
whole network on `sigma'`. The network's program is split at its linear prefix
(`symir.runtime.network_split`, the derivation the local energies use): each chain keeps
the cut's values `theta(sigma)` (a first layer's pre-activations, say), the rule proposes
`sigma'` as in NetKet, the changed sites are found by comparing `sigma'` with `sigma` (at
most `k` of them, static per rule), and

    theta(sigma') = theta(sigma) + sum_j E[(s_j S + old_j) S + new_j],
    log psi(sigma') = rest(theta(sigma'))

with the pair tables `E` built once per `reset` (once per `vstate.sample()`: the
parameters changed). On acceptance the chain's cache becomes `theta(sigma')`. The first
layer costs `O(k H)` per proposal instead of `O(N H)`.

Same chain as NetKet's: the same random keys are split and drawn in the same order, the
same acceptance test `uniform < exp(machine_pow * Re log psi(sigma') - log_prob(sigma) +
correction)`, the same `sweep_size`, `n_chains`, `reset_chains`, `machine_pow`, `dtype`.
Only the value of `log psi(sigma')` differs, by rounding (`~1e-14`), which flips an
acceptance only when the uniform number falls within that distance of the threshold.

The proposals of NetKet's own rules (`LocalRule` on `Spin`, `Fock`, `Qubit`;
`ExchangeRule` and `FermionHopRule`) are NetKet's `transition` with the random numbers
drawn ahead: NetKet's keys of a whole chain first (the chain `rng, key1, key2 =
split(rng, 3)`, one small kernel per step), every random number drawn from them at once
(the site, the new local value, the cluster's uniform number, the acceptance's uniform
number), then the chain's steps, each of which only reads its draws (a chain of more
than `DRAWN_AHEAD` proposals draws them per sweep; `sample_next` too). The sites a
proposal changes are then known (no comparison of `sigma'` with `sigma`), and the
exchange's cluster (`jax.random.choice` over the clusters whose two sites differ) is
found from the mask kept as bits where the space has two local states (`_ExchangeBits`:
every operation of the rule element-wise, the mask toggled by a table row per cluster),
else counted in two levels instead of a cumulative sum (`_ExchangeMoves`); the split's
rows of an exchange are read per cluster (one row for both sites). The same proposals
serve the plain path (the whole network per proposal). Any other rule (a user's,
`MultipleRules`, `TensorRule`) runs its `transition` on every step, as in NetKet, and
the changed sites are found by comparing `sigma'` with `sigma`. NetKet's
`HamiltonianRule` (of a JAX operator) is taken with the exact Hastings correction
(`_ReversibleHamiltonianRule`): NetKet's assumes that `x` is a connected state of `x'`
whenever `x'` is one of `x`, which a non-hermitian operator breaks (its chains then sample
another distribution than `|psi|^2`); the chains are NetKet's where it holds. A `LocalRule`
(alone, in `MultipleRules`, or in `TensorRule` on a constrained part) on a constrained
space (`Fock(n_particles=...)`, `Spin(total_sz=...)`, fermions of fixed numbers, a product
space with such a part) is refused: NetKet's chains leave the space there.

`k` (the most sites a proposal changes): 1 for `LocalRule`, the cluster size (2) for
`ExchangeRule` and `FermionHopRule`, the largest of `MultipleRules`' rules, the sum of
`TensorRule`'s; a user's rule states it as an attribute `max_changed_sites` (or the
sampler's `max_changed_sites=` argument). A proposal that changes more sites than `k`
(a rule that understated it) is still exact: the step then evaluates the cache of all
chains from scratch.

Fallback (NetKet's own step, the whole network per proposal; `sampler.path(...)` says
which and why): a network the split does not apply to (`split.reason`), a rule whose `k`
is unknown, a Hilbert space without one list of local states, or a split that does not
pay. The cost model, in element operations per Metropolis step of `B` chains: plain
`B P` (`P` the prefix's cost on one sample), incremental `B (2k + 1) H` plus a fixed
`STEP_OVERHEAD` (the table rows' gathers, the cache's selection on acceptance). With the
proposals drawn ahead the incremental step costs no more than the plain one beyond the
noise of a CPU measurement, and less from a saving of a few thousand operations (16
chains on 16-64 sites: TFIM 4x4 to kagome 48, RBM and MLP).
`incremental=True` uses the split wherever it applies, `False` never.

Drift control: every `refresh_every` sweeps (a sweep is one sample per chain, `sweep_size`
Metropolis steps; default `REFRESH_EVERY`) the caches are recomputed from `sigma`, and the
largest difference seen between the incremental and the exact cache is kept in the
sampler state: `state.max_drift` (the cached values) and `state.max_log_prob_drift`
(`machine_pow * Re log psi`; the log-probabilities themselves are kept, NetKet's from the
chain's last acceptance). `reset` (every `vstate.sample()`) recomputes them too, and
keeps the maxima. Each `sample` (and `sample_next`) call recomputes the caches from
`sigma` with its parameters where it starts: a state sampled with other parameters and
not `reset` gets NetKet's chains (its stale `log_prob` kept until a chain accepts, as
NetKet keeps it).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from netket.sampler import MetropolisSampler as _NetKetMetropolisSampler
from netket.sampler import MetropolisSamplerState
from netket.sampler import rules as nk_rules
from netket.sampler.rules.hamiltonian import HamiltonianRuleJax
from netket.utils import struct

from symir.runtime.complex_pairs import complex_pairs
from symir.runtime.fewer_logs import FewerLogs

__all__ = [
    "REFRESH_EVERY",
    "IncrementalSamplerState",
    "MetropolisExchange",
    "MetropolisFermionHop",
    "MetropolisLocal",
    "MetropolisSampler",
    "SamplerPath",
    "max_changed_sites",
]

REFRESH_EVERY = 4
"""Default number of sweeps between two recomputations of the caches from scratch."""

UNROLL = 2
"""Metropolis steps per iteration of a sweep's loop (`jax.lax.scan`'s `unroll`): XLA on
CPU pays a fixed cost per loop iteration and fuses across the two steps' independent
parts; measured with 16 chains and 1,104-1,380 steps per chain, two steps per iteration
took 0.75-0.95x the time of one (TFIM 4x4 RBM 4.9 -> 4.0 ms, J1-J2 6x6 RBM 63 -> 57 ms),
four no better than two."""

DRAWN_AHEAD = 1 << 22
"""The most proposals (steps x chains) of one `sample` call whose random numbers are drawn
at once, before the chain (~100 MB of draws at most); a longer chain draws them per
sweep."""

COMPLEX_PAIRS = True
"""The incremental step evaluates the rest of a complex network with its values as pairs
of float64 arrays on CPU (`symir.runtime.complex_pairs`)."""

STEP_OVERHEAD = 4_000
"""The incremental step's fixed cost, in element operations (module docstring): measured
on CPU with 16 chains, the incremental and the plain step are equal within the noise
where the saving is below ~5k (TFIM 4x4 or a 16-site Bose-Hubbard chain with an RBM or a
Jastrow), the incremental one faster above it (J1-J2 6x6 RBM, saving ~20k: 36 vs 40 ms
for 1,024 samples; kagome 48 RBM(alpha=2), ~72k: 62 vs 67 ms)."""


class IncrementalSamplerState(MetropolisSamplerState):
    """NetKet's Metropolis state plus each chain's cache and the drift measured."""

    cache: Any = struct.field(serialize=False)
    """The cut's values of each chain, a tuple of `(n_chains, *shape)` arrays (`()` on the
    fallback path)."""
    sweeps: jax.Array = struct.field(serialize=False)
    """Sweeps since the caches were last computed from scratch."""
    max_drift: jax.Array = struct.field(serialize=False)
    """The largest `|theta_incremental - theta_exact|` seen at a refresh."""
    max_log_prob_drift: jax.Array = struct.field(serialize=False)
    """The largest `|log_prob_incremental - log_prob_exact|` seen at a refresh."""

    def __init__(
        self,
        σ: jax.Array,
        rng: jax.Array,
        rule_state: Any,
        log_prob: jax.Array | None = None,
        cache: Any = (),
        max_drift: Any = 0.0,
        max_log_prob_drift: Any = 0.0,
    ):
        self.cache = cache
        self.sweeps = jnp.zeros((), dtype=jnp.int32)
        self.max_drift = jnp.asarray(max_drift, dtype=float)
        self.max_log_prob_drift = jnp.asarray(max_log_prob_drift, dtype=float)
        super().__init__(σ, rng=rng, rule_state=rule_state, log_prob=log_prob)


def max_changed_sites(rule: Any) -> int | None:
    """The most sites one proposal of `rule` changes, or None if unknown (module
    docstring)."""
    stated = getattr(rule, "max_changed_sites", None)
    if stated is not None:
        return int(stated)
    if isinstance(rule, nk_rules.LocalRule):
        return 1
    if isinstance(rule, nk_rules.ExchangeRule):  # FermionHopRule included
        return int(np.shape(rule.clusters)[-1])
    if isinstance(rule, nk_rules.FixedRule):
        return 1
    if isinstance(rule, nk_rules.MultipleRules | nk_rules.TensorRule):
        ks = [max_changed_sites(r) for r in rule.rules]
        if any(k is None for k in ks):
            return None
        return max(ks) if isinstance(rule, nk_rules.MultipleRules) else sum(ks)
    return None


def _guaranteed(rule: Any) -> bool:
    """Whether `max_changed_sites(rule)` is a bound NetKet's code guarantees (a built-in
    rule), not one a user stated (then each step checks it)."""
    if getattr(rule, "max_changed_sites", None) is not None:
        return False
    if isinstance(rule, nk_rules.MultipleRules | nk_rules.TensorRule):
        return all(_guaranteed(r) for r in rule.rules)
    return isinstance(rule, nk_rules.LocalRule | nk_rules.ExchangeRule | nk_rules.FixedRule)


@dataclass(frozen=True)
class SamplerPath:
    """How the sampler evaluates proposals for one network, and why."""

    incremental: bool
    reason: str
    split: Any = None
    k: int = 0
    """The most sites a proposal changes."""
    guaranteed: bool = False
    """Whether `k` is guaranteed by the rule (else each step checks it)."""
    determinants: Any = None
    """The network's determinant sites (`symir.runtime.determinant_chains`), where the
    chains keep their matrices' inverses instead of a split."""

    def __str__(self) -> str:
        name = "incremental" if self.incremental else "plain (NetKet's step)"
        text = f"sampler: {name} ({self.reason})"
        if self.split is not None:
            text += "\n" + str(self.split)
        if self.determinants is not None:
            text += "\n" + self.determinants.reason
        return text


def _path(sampler: MetropolisSampler, apply: Any, parameters: Any, σ: Any) -> SamplerPath:
    from symir.runtime.determinant_chains import DeterminantChains

    if sampler.incremental is False:
        return SamplerPath(False, "incremental=False")
    k = sampler.max_changed_sites
    guaranteed = False
    if k is None:
        k = max_changed_sites(sampler.rule)
        guaranteed = _guaranteed(sampler.rule)
    if k is None:
        return SamplerPath(
            False,
            f"the rule {type(sampler.rule).__name__} does not state how many sites a "
            "proposal changes (give it an attribute `max_changed_sites`, or pass "
            "`max_changed_sites=` to the sampler)",
        )
    try:
        states = sampler.hilbert.local_states
    except Exception:  # a space without one list of local states
        states = None
    if states is None:
        return SamplerPath(False, "the Hilbert space has no single list of local states")
    if k >= sampler.hilbert.size:
        return SamplerPath(False, f"a proposal may change all {k} sites")
    chains = DeterminantChains(apply, parameters, σ)
    if chains.applies:  # before the split: it would cache R(x)'s index arithmetic only
        reason = (
            f"k = {k}: each chain keeps its determinants' inverses, a proposal costs "
            "O(n^2) per determinant (no LAPACK call), an acceptance a rank-1 update"
        )
        return SamplerPath(True, reason, None, k, guaranteed, chains)
    return _split_path(sampler, apply, parameters, σ, states, k, guaranteed)


def _split_path(
    sampler: MetropolisSampler,
    apply: Any,
    parameters: Any,
    σ: Any,
    states: Any,
    k: int,
    guaranteed: bool,
) -> SamplerPath:
    """`_path` of a network that is no determinant: by its split, where it pays."""
    from symir.runtime.network_split import non_finite_change, prefix_cost, split_network

    split = split_network(apply, parameters, σ)
    if not split.applies:
        return SamplerPath(False, split.reason)
    infinite = non_finite_change(split, parameters, states)
    if infinite is not None:  # an infinity minus an infinity in the cached values' changes
        return SamplerPath(False, infinite)
    p = prefix_cost(split)
    b = sampler.n_batches
    saving = b * (p - (2 * k + 1) * split.width)
    cost = (
        f"k = {k}, {b} chains, prefix {p} per proposal, incremental "
        f"{(2 * k + 1) * split.width}: saves {saving} element operations per step, the "
        f"step's fixed cost {STEP_OVERHEAD}"
    )
    if sampler.incremental is None and saving <= STEP_OVERHEAD:
        return SamplerPath(False, f"the split does not pay: {cost}", split, k, guaranteed)
    return SamplerPath(True, cost, split, k, guaranteed)


def _with_fresh_cache(plan: Any, state: Any) -> Any:
    """`state` with its caches computed from its configurations with the plan's
    parameters, where a chain's sample starts: a state last reset or sampled with other
    parameters (NetKet's `sample(..., state=)` or `sample_next` without `reset`) held the
    old parameters' caches, and its proposals were those of neither (the chains differed
    from NetKet's). Its `log_prob` stays as NetKet's does, stale until an acceptance."""
    path, evaluator = plan
    if not isinstance(state, IncrementalSamplerState):  # NetKet's own sampler's state
        state = IncrementalSamplerState(
            σ=state.σ, rng=state.rng, rule_state=state.rule_state, log_prob=state.log_prob
        ).replace(n_steps_proc=state.n_steps_proc, n_accepted_proc=state.n_accepted_proc)
    if not path.incremental:
        return state
    return state.replace(cache=evaluator.exact(state.σ)[0])


def _state_index(states: jax.Array, x: jax.Array) -> jax.Array:
    """The index of each value of `x` among the sorted `states`."""
    return jnp.sum(x[..., None] > states, axis=-1).astype(jnp.int32)


def _max_abs(a: Any, b: Any) -> jax.Array:
    """The largest difference between the leaves of two caches (booleans and integers
    compared as numbers: NetKet's `ARNNConv1D` caches a mask)."""
    leaves = zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b), strict=True)
    diffs = [jnp.max(jnp.abs(_number(x) - _number(y))) for x, y in leaves if x.size]
    return jnp.max(jnp.stack(diffs)).astype(float) if diffs else jnp.zeros((), float)


def _number(x: jax.Array) -> jax.Array:
    return x if jnp.issubdtype(x.dtype, jnp.inexact) else x.astype(float)


def _changed_sites(diff: jax.Array, k: int) -> jax.Array:
    """`(chains, k)` indices of the sites where `diff` is True (the first ones). Where
    fewer than `k` changed (a `MultipleRules` of a local and an exchange rule, `k = 2`,
    proposing a single flip), the others are an unchanged site, whose pair-table row is
    zero: never a changed site twice."""
    n = diff.shape[1]
    first = jnp.argmax(diff, axis=1)
    if k == 1:
        return first[:, None]
    unchanged = jnp.argmin(diff, axis=1)  # fewer than n sites change (k < n)
    changed = jnp.sum(diff, axis=1)
    if k == 2:
        last = n - 1 - jnp.argmax(diff[:, ::-1], axis=1)
        return jnp.stack([first, jnp.where(changed >= 2, last, unchanged)], axis=1)
    found = [first]
    rows = jnp.arange(diff.shape[0])
    for j in range(1, k):
        diff = diff.at[rows, found[-1]].set(False)
        found.append(jnp.where(changed > j, jnp.argmax(diff, axis=1), unchanged))
    return jnp.stack(found, axis=1)


def _updated(cache: Any, tabs: Any, rows: jax.Array) -> tuple[Any, ...]:
    """Each chain's cache plus the table rows `rows (chains, k)` of its changed sites: one
    row gather per changed site, added (a gather of all `k` summed in one reduction is
    emitted ~3x slower by XLA on CPU, 8 us per step on 72-wide caches)."""
    out = []
    for c, t in zip(cache, tabs, strict=True):
        delta = t[rows[:, 0]]
        for j in range(1, rows.shape[1]):
            delta = delta + t[rows[:, j]]
        out.append(c + delta.astype(c.dtype))
    return tuple(out)


class _SplitEvaluator:
    """The split's caches (`network_split`): the cut's values per chain, a proposal's
    from the pair tables of its changed sites. Cut values of one dtype are kept as one
    `(chains, H)` array with one table (one row gather per changed site and one
    selection on acceptance, instead of one per value); the local states' index is
    arithmetic where they are equally spaced (`Spin`, `Fock`, `Qubit`)."""

    def __init__(self, sampler, path, parameters, σ):
        from symir.runtime.network_split import constants, tables

        states = np.sort(np.asarray(sampler.hilbert.local_states))
        self.sampler, self.path = sampler, path
        self.consts = constants(path.split, parameters)
        tabs = tables(path.split, self.consts, states)
        self.shapes = [shape for _, shape, _ in path.split.cached]
        dtypes = {dtype for _, _, dtype in path.split.cached}
        self.flat = len(dtypes) == 1 and "bool" not in dtypes
        if self.flat:
            dtype = jnp.dtype(dtypes.pop())
            self.tabs = (
                jnp.concatenate([jnp.reshape(t, (t.shape[0], -1)).astype(dtype) for t in tabs], 1),
            )
        else:
            self.tabs = tabs
        self.n_states = len(states)
        steps = np.diff(states)
        if len(states) > 1 and np.all(steps == steps[0]):
            first, step = float(states[0]), float(steps[0])
            self.index = lambda x: jnp.round((x - first) / step).astype(jnp.int32)
        else:
            self.index = partial(_state_index, jnp.asarray(states, dtype=σ.dtype))

    def _values(self, cache):
        """The cut's values (`rest`'s input) from the cache."""
        if not self.flat:
            return cache
        (flat,) = cache
        sizes = np.cumsum([int(np.prod(shape, dtype=np.int64)) for shape in self.shapes])
        parts = jnp.split(flat, sizes[:-1], axis=1)
        return tuple(
            jnp.reshape(v, (flat.shape[0], *shape))
            for v, shape in zip(parts, self.shapes, strict=True)
        )

    def log_prob(self, cache):
        from symir.runtime.network_split import rest

        values = self._values(cache)
        split = self.path.split

        def log_psi(consts, values):
            closed = jax.make_jaxpr(lambda c, v: rest(split, c, v))(consts, values)
            (out,) = FewerLogs(closed)(*jax.tree_util.tree_leaves((consts, values)))
            return out

        if COMPLEX_PAIRS:
            log_psi = complex_pairs(log_psi)
        return self.sampler.machine_pow * log_psi(self.consts, values).real

    def exact(self, σ):
        from symir.runtime.network_split import theta

        values = tuple(theta(self.path.split, self.consts, σ))
        if self.flat:
            cache = (jnp.concatenate([jnp.reshape(v, (v.shape[0], -1)) for v in values], 1),)
        else:
            cache = values
        return cache, self.log_prob(cache)

    def prepare(self, moves: Any) -> None:
        """Per-cluster tables for an exchange's proposals (`moves.clusters`): the rows of
        the cluster `(a, b)` exchanging the values of index `i` (at `a`) and `j` (at `b`),
        `T[a, i, j] + T[b, j, i]`, one row read per proposal instead of two (zero where
        `i == j`)."""
        clusters = getattr(moves, "clusters", None)
        if clusters is None:
            self.cluster_tabs = None
            return
        s = self.n_states
        i = np.arange(s)[:, None]
        j = np.arange(s)[None, :]
        a = clusters[:, 0][:, None, None]
        b = clusters[:, 1][:, None, None]
        rows_a = ((a * s + i) * s + j).reshape(-1)
        rows_b = ((b * s + j) * s + i).reshape(-1)
        self.cluster_tabs = tuple(t[rows_a] + t[rows_b] for t in self.tabs)

    def propose(self, cache, σ, σp, sites=None, old=None, new=None, cluster=None):
        """The proposals' caches and log-probabilities; `sites, old, new (chains, k)` the
        changed sites and their values where the rule's proposals say them, else found;
        `cluster (chains,)` an exchange's cluster (`prepare`)."""
        path, n_states = self.path, self.n_states
        if cluster is not None and getattr(self, "cluster_tabs", None) is not None:
            index = self.index(old)
            rows = ((cluster * n_states + index[:, 0]) * n_states + index[:, 1])[:, None]
            cache_p = _updated(cache, self.cluster_tabs, rows)
            return cache_p, self.log_prob(cache_p)
        if sites is None:
            diff = σ != σp
            sites = _changed_sites(diff, path.k)
            old = jnp.take_along_axis(σ, sites, axis=1)
            new = jnp.take_along_axis(σp, sites, axis=1)
        rows = (sites * n_states + self.index(old)) * n_states + self.index(new)
        cache_p = _updated(cache, self.tabs, rows)
        if not path.guaranteed:  # a rule that states its k: beyond it, from scratch
            cache_p = jax.lax.cond(
                jnp.any(jnp.sum(σ != σp, axis=1) > path.k),
                lambda: self.exact(σp)[0],
                lambda: cache_p,
            )
        return cache_p, self.log_prob(cache_p)


class _DeterminantEvaluator:
    """A determinant network's caches (`symir.runtime.determinant_chains`): each chain's
    `R`, inverses and units' outputs; a proposal that replaces more than one row of a
    site's matrix (some chain's) is evaluated from scratch."""

    def __init__(self, sampler, path, parameters):
        self.chains, self.parameters = path.determinants, parameters
        self.machine_pow = sampler.machine_pow

    def exact(self, σ):
        from symir.runtime.lapack_order import lapack_ordered

        lp, cache = lapack_ordered(self.chains.exact)(self.parameters, σ)
        return cache, self.machine_pow * lp.real

    def prepare(self, moves: Any) -> None:
        """Nothing per rule."""

    def propose(self, cache, σ, σp, sites=None, old=None, new=None, cluster=None):
        lp, cache_p, over = self.chains.propose(self.parameters, cache, σp)
        log_prob = self.machine_pow * lp.real
        return jax.lax.cond(over, lambda: self.exact(σp), lambda: (cache_p, log_prob))


def _float_of(dtype: Any) -> Any:
    """The inexact dtype `jax.random.choice` gives weights of `dtype` (its
    `promote_dtypes_inexact`, as a unary `jnp` function's: a bool becomes float32)."""
    return jax.eval_shape(jnp.sqrt, jax.ShapeDtypeStruct((), dtype)).dtype


class _LocalMoves:
    """`LocalRule`'s proposals on a homogeneous space (`Spin`, `Fock`, `Qubit`), NetKet's
    `LocalRule.transition` and `flip_state` with the random numbers drawn ahead: `draw`
    depends on the key only, `apply` on the chains' configurations and the draws."""

    k = 1

    def __init__(self, hilbert: Any, n_chains: int):
        self.hilbert, self.n, self.b = hilbert, hilbert.size, n_chains
        self.d = len(hilbert.local_states)

    def draw(self, key: jax.Array) -> Any:
        key1, key2 = jax.random.split(key, 2)
        site = jax.random.randint(key1, shape=(self.b,), minval=0, maxval=self.n)
        if self.d == 2:  # no randomness in the new value
            return site, None
        return site, jax.vmap(jax.random.uniform)(jax.random.split(key2, self.b))

    def init(self, σ: jax.Array) -> Any:
        return ()

    def apply(self, σ: jax.Array, aux: Any, drawn: Any):
        site, r = drawn
        old = jnp.take_along_axis(σ, site[:, None], axis=1)[:, 0]
        if self.d == 2:  # the other state, element-wise: the gather feeds the cache's rows only
            s0, s1 = (np.asarray(v, dtype=σ.dtype) for v in self.hilbert.local_states)
            σp = jnp.where(jnp.arange(self.n) == site[:, None], (s0 + s1) - σ, σ)
            new = (s0 + s1) - old
            return σp, None, site[:, None], old[:, None], new[:, None], (), None
        xi_old = self.hilbert.states_to_local_indices(old)
        if self.d == 2:
            xi_new = jnp.where(xi_old == 1, 0, 1).astype(xi_old.dtype)
        else:
            xi_new = jnp.floor(r * (self.d - 1))
            xi_new = (xi_new + (xi_new >= xi_old)).astype(xi_old.dtype)
        new = self.hilbert.local_indices_to_states(xi_new, dtype=σ.dtype)
        σp = jnp.where(jnp.arange(self.n) == site[:, None], new[:, None], σ)
        return σp, None, site[:, None], old[:, None], new[:, None], (), None


_BLOCK = 16
"""Clusters per block in `_ExchangeMoves`' two-level count."""


class _ExchangeMoves:
    """`ExchangeRule`'s (and `FermionHopRule`'s) proposals, NetKet's
    `ExchangeRule.transition` with the random numbers drawn ahead (`_LocalMoves`).

    NetKet draws the cluster with `jax.random.choice(key, p=w)`: `c = cumsum(w)`,
    `r = c[-1] (1 - uniform(key))`, the index `searchsorted(c, r)`, that is the number of
    `c_i < r` (the same index, counted). With no `probabilities` the weights are the mask
    of the clusters whose two sites differ, and `c` counts them: integers, exact in any
    order of summation, so the count is taken in two levels (`_count_below`): the
    clusters' blocks of `_BLOCK`, then the one block where `c` reaches `r`, instead of the
    cumulative sum's sequential pass (`jnp.cumsum` on CPU costs ~20 us per step on 144
    clusters). With `probabilities`, `c` is NetKet's `jnp.cumsum` of the weights."""

    k = 2

    def __init__(self, rule: Any, n_chains: int):
        self.clusters = rule.clusters
        self.probabilities = rule.probabilities
        self.b = n_chains
        self.dtype = _float_of(self._weights(jnp.zeros((), bool)).dtype)

    def _weights(self, mask: jax.Array) -> jax.Array:
        return mask if self.probabilities is None else mask * self.probabilities

    def _mask(self, σ: jax.Array) -> jax.Array:
        a, b = σ[:, self.clusters[:, 0]], σ[:, self.clusters[:, 1]]
        if jnp.issubdtype(σ.dtype, jnp.bool_) or jnp.issubdtype(σ.dtype, jnp.integer):
            return a != b
        return ~jnp.isclose(a, b)

    def init(self, σ: jax.Array) -> Any:
        return self._weights(self._mask(σ)).astype(self.dtype)

    def draw(self, key: jax.Array) -> Any:
        keys = jnp.asarray(jax.random.split(key, self.b))
        return jax.vmap(lambda k: jax.random.uniform(k, (), dtype=self.dtype))(keys)

    def _count_below(self, mask: jax.Array, u: jax.Array):
        """NetKet's cluster index and the number of hoppable clusters, from the mask
        `(chains, clusters)` (0 or 1) and the uniform numbers: the blocks whose count
        stays below `r`, then the places below `r` in the next block."""
        chains, n = mask.shape
        w = _BLOCK
        nb = -(-n // w)
        exact = jax.lax.Precision.HIGHEST
        q = jnp.pad(mask, ((0, 0), (0, nb * w - n))).reshape(chains, nb, w)
        sums = jnp.sum(q, axis=2)
        upto = jnp.dot(sums, jnp.triu(jnp.ones((nb, nb), mask.dtype)), precision=exact)
        count = upto[:, -1]
        threshold = count * (1 - u)
        full = jnp.minimum(jnp.sum(upto < threshold[:, None], axis=1), nb - 1)
        block = jnp.take_along_axis(q, full[:, None, None], axis=1)[:, 0]
        before = jnp.take_along_axis(upto - sums, full[:, None], axis=1)
        inner = jnp.dot(block, jnp.triu(jnp.ones((w, w), mask.dtype)), precision=exact)
        within = jnp.sum(before + inner < threshold[:, None], axis=1)
        return full * w + within, count

    def apply(self, σ: jax.Array, aux: Any, u: jax.Array):
        p = aux  # the weights of the chain's configuration, carried from the last step
        if self.probabilities is None:
            cluster, total = self._count_below(p, u)
        else:
            cumulative = jnp.cumsum(p, axis=1)
            cluster = jnp.sum(cumulative < (cumulative[:, -1] * (1 - u))[:, None], axis=1)
            total = p.sum(axis=1)
        cluster = jnp.minimum(cluster, self.clusters.shape[0] - 1)
        pair = self.clusters[cluster]
        old = jnp.take_along_axis(σ, pair, axis=1)
        new = old[:, ::-1]
        sites = jnp.arange(σ.shape[1])
        σp = jnp.where(
            sites == pair[:, :1], new[:, :1], jnp.where(sites == pair[:, 1:], new[:, 1:], σ)
        )
        p_proposed = self._weights(self._mask(σp)).astype(self.dtype)
        total_p = p_proposed.sum(axis=1)
        if self.probabilities is None:  # NetKet's sums of a bool mask: the default int
            total, total_p = (c.astype(_default_int()) for c in (total, total_p))
        correction = jnp.log(total) - jnp.log(total_p)
        return σp, correction, pair, old, new, p_proposed, cluster


def _default_int() -> Any:
    """JAX's default integer dtype (int64 with x64, else int32): a bool mask's sum's."""
    return jax.dtypes.canonicalize_dtype(jnp.int64)


_WORD = 32
"""Bits per word of `_ExchangeBits`' cluster masks."""


def _select_bit(word: jax.Array, m: jax.Array) -> jax.Array:
    """The position of the `m`-th set bit (1-based) of each `uint32` `word` (0 where `m` is
    0): a binary search over halves counted by `population_count`, element-wise."""
    position = jnp.zeros(word.shape, jnp.int32)
    for width in (16, 8, 4, 2, 1):
        low_mask = jnp.uint32((1 << width) - 1)
        low = jax.lax.population_count(word & low_mask).astype(jnp.int32)
        high = m > low
        m = jnp.where(high, m - low, m)
        word = jnp.where(high, word >> width, word & low_mask)
        position = position + jnp.where(high, width, 0)
    return position


class _ExchangeBits(_ExchangeMoves):
    """`ExchangeRule`'s proposals (no `probabilities`) on a space of two local states, the
    clusters' mask kept as bits: `(chains, W)` words of 32 clusters. Every operation of a
    step is element-wise on `(chains, W)` or `(chains, 2)` values (XLA fuses them with the
    network's gathers), instead of the mask's gathers, its block sums and their dot
    products (`_ExchangeMoves`).

    NetKet's cluster index `#{i : c_i < r}` (`c` the cumulative count of hoppable
    clusters, integers; `r = c[-1] (1 - u)` in the weights' float dtype) is the position
    of the `ceil(r)`-th set bit of the mask: the word where the words' running counts of
    set bits reach it, then the bit within the word (`_select_bit`). With two local states
    an exchange of two different values flips both sites, and a cluster's two sites then
    differ after the exchange exactly where one of them was flipped: the mask becomes
    `bits ^ incident[i] ^ incident[j]` (`incident[s]` the clusters touching site `s`;
    the cluster `(i, j)` itself is in both and stays). The correction
    `log(count) - log(count')` from the integer counts, as NetKet's `log(p.sum())`."""

    def __init__(self, rule: Any, n_chains: int, n_sites: int):
        super().__init__(rule, n_chains)
        c = self.clusters.shape[0]
        self.n_words = -(-c // _WORD)
        self.weights = jnp.asarray((1 << np.arange(_WORD, dtype=np.uint64)).astype(np.uint32))
        # the clusters are the rule's pytree leaf (traced): the table from them, once
        index = np.arange(c)
        bit = jnp.asarray(self.weights[index % _WORD])
        incident = jnp.zeros((n_sites, self.n_words), jnp.uint32)
        for end in (0, 1):  # distinct bits: the sum is their union
            incident = incident.at[self.clusters[:, end], index // _WORD].add(bit)
        # per cluster, one row: its two sites, then the clusters its exchange toggles
        toggle = incident[self.clusters[:, 0]] ^ incident[self.clusters[:, 1]]
        self.packed = jnp.concatenate([self.clusters.astype(jnp.uint32), toggle], axis=1)

    def init(self, σ: jax.Array) -> Any:
        mask = self._mask(σ)
        pad = self.n_words * _WORD - mask.shape[1]
        mask = jnp.pad(mask, ((0, 0), (0, pad))).reshape(mask.shape[0], self.n_words, _WORD)
        return jnp.sum(jnp.where(mask, self.weights, jnp.uint32(0)), axis=2, dtype=jnp.uint32)

    def _counts(self, bits: jax.Array) -> list[jax.Array]:
        return [jax.lax.population_count(bits[:, w]).astype(jnp.int32) for w in range(self.n_words)]

    def apply(self, σ: jax.Array, aux: Any, u: jax.Array):
        bits = aux
        counts = self._counts(bits)
        total = sum(counts[1:], counts[0])
        r = total.astype(self.dtype) * (1 - u)
        m = jnp.ceil(r).astype(jnp.int32)
        word = jnp.zeros_like(m)
        chosen = bits[:, 0]
        below = jnp.zeros_like(m)  # set bits in the words before the chosen one
        running = counts[0]
        for w in range(1, self.n_words):
            later = running < m
            word = jnp.where(later, w, word)
            chosen = jnp.where(later, bits[:, w], chosen)
            below = jnp.where(later, running, below)
            running = running + counts[w]
        cluster = jnp.minimum(word * _WORD + _select_bit(chosen, m - below), len(self.packed) - 1)
        row = self.packed[cluster]
        pair = row[:, :2].astype(jnp.int32)
        old = jnp.take_along_axis(σ, pair, axis=1)
        new = old[:, ::-1]
        sites = jnp.arange(σ.shape[1])
        σp = jnp.where(
            sites == pair[:, :1], new[:, :1], jnp.where(sites == pair[:, 1:], new[:, 1:], σ)
        )
        # two local states: the values are exactly the states, `!=` is NetKet's isclose
        toggled = bits ^ row[:, 2:]
        bits_p = jnp.where(old[:, :1] != old[:, 1:], toggled, bits)
        counts_p = self._counts(bits_p)
        # NetKet's log of a bool mask's sum: of the default int (float64 with x64)
        counts = [c.astype(_default_int()) for c in (total, sum(counts_p[1:], counts_p[0]))]
        correction = jnp.log(counts[0]) - jnp.log(counts[1])
        return σp, correction, pair, old, new, bits_p, cluster


def _local_states(hilbert: Any) -> Any:
    """The space's one list of local states, or None."""
    try:
        return hilbert.local_states
    except Exception:  # a space without one list of local states
        return None


def _moves(sampler: Any) -> Any:
    """The drawn-ahead proposals of a built-in rule NetKet's code defines (`_LocalMoves`,
    `_ExchangeMoves`), or None (a user's rule, a combination: its `transition` per step)."""
    from netket.hilbert import Fock, Qubit, Spin

    rule, hilbert = sampler.rule, sampler.hilbert
    if type(rule) is nk_rules.LocalRule and type(hilbert) in (Spin, Fock, Qubit):
        if len(hilbert.local_states) >= 2:
            return _LocalMoves(hilbert, sampler.n_batches)
    if (
        isinstance(rule, nk_rules.ExchangeRule)
        and type(rule).transition is nk_rules.ExchangeRule.transition
    ):
        states = _local_states(hilbert)
        if rule.probabilities is None and states is not None and len(states) == 2:
            return _ExchangeBits(rule, sampler.n_batches, hilbert.size)
        return _ExchangeMoves(rule, sampler.n_batches)
    return None


class _ReversibleHamiltonianRule(HamiltonianRuleJax):
    """NetKet's `HamiltonianRule` (`HamiltonianRuleJax`) with the exact Hastings
    correction. NetKet proposes a uniformly chosen nonzero slot of `get_conn_padded(x)`
    and corrects by `log n(x) - log n(x')` (`n` the nonzero slots): exact only where `x`
    is among the connected states of `x'` once for each time `x'` is among those of `x`.
    A non-hermitian operator (a one-way hop: `x'` reached, `x` not reached back) or
    slots that repeat a state break that, and the chains then sample another
    distribution than `|psi|^2`. Here the correction is `log(m(x' -> x) / n(x')) -
    log(m(x -> x') / n(x))`, `m` the slots holding the state: NetKet's number where the
    two counts agree (a hermitian operator without repeated slots: the same chains), a
    rejection where `x` cannot be proposed back."""

    def transition(self, sampler, machine, parameters, state, key, x):
        xp, log_prob_corr = HamiltonianRuleJax.transition(
            self, sampler, machine, parameters, state, key, x
        )
        forward = _slots_holding(self.operator, x, xp)
        backward = _slots_holding(self.operator, xp, x)
        return xp, log_prob_corr + jnp.log(backward) - jnp.log(forward)


def _slots_holding(operator: Any, x: jax.Array, target: jax.Array) -> jax.Array:
    """How many nonzero slots of `operator.get_conn_padded(x)` hold `target` (per row)."""
    conn, mels = operator.get_conn_padded(x)
    hit = jnp.all(conn == target[:, None, :].astype(conn.dtype), axis=-1) & (jnp.abs(mels) > 0)
    return jnp.sum(hit, axis=-1)


def _exact_rule(rule: Any) -> Any:
    """`rule` with every NetKet `HamiltonianRule` in it (alone, or in `MultipleRules` or
    `TensorRule`) taking the exact correction (`_ReversibleHamiltonianRule`)."""
    if type(rule) is HamiltonianRuleJax:
        return _ReversibleHamiltonianRule(rule.operator)
    if isinstance(rule, nk_rules.MultipleRules | nk_rules.TensorRule):
        rules = [_exact_rule(r) for r in rule.rules]
        if all(a is b for a, b in zip(rules, rule.rules, strict=True)):
            return rule
        if isinstance(rule, nk_rules.MultipleRules):
            return nk_rules.MultipleRules(rules, rule.probabilities)
        return nk_rules.TensorRule(rule.hilbert, rules)
    return rule


def _constrained(hilbert: Any) -> bool:
    """Whether `hilbert`, or any of its parts, has a constraint (NetKet's
    `TensorHilbert.constrained` is True only where every part has one: `Spin * Fock(...,
    n_particles=2)` says False)."""
    if getattr(hilbert, "constrained", False):
        return True
    if hasattr(hilbert, "physical"):  # a DoubledHilbert: its physical space's
        return _constrained(hilbert.physical)
    return any(_constrained(h) for h in getattr(hilbert, "subspaces", ()))


def _local_rule_on_a_constraint(hilbert: Any, rule: Any) -> bool:
    """Whether `rule` is (or combines) NetKet's `LocalRule`, which changes one site to any
    other local state, acting on a constrained space (`TensorRule`: each rule on its
    part)."""
    if isinstance(rule, nk_rules.LocalRule):
        return _constrained(hilbert)
    if isinstance(rule, nk_rules.MultipleRules):
        return any(_local_rule_on_a_constraint(hilbert, r) for r in rule.rules)
    if isinstance(rule, nk_rules.TensorRule):
        parts = zip(rule.hilbert.subspaces, rule.rules, strict=True)
        return any(_local_rule_on_a_constraint(h, r) for h, r in parts)
    return False


def _checked_rule(hilbert: Any, rule: Any) -> Any:
    """`rule` as the sampler takes it on `hilbert`: a `LocalRule` on a constraint refused,
    every `HamiltonianRule` with the exact correction (`_exact_rule`)."""
    if _local_rule_on_a_constraint(hilbert, rule):
        raise ValueError(
            f"a LocalRule changes one site of {hilbert}, whose constraint a single "
            "change breaks: its chains would leave the space (NetKet's sampler takes "
            "them there silently). Use an ExchangeRule (MetropolisExchange), a "
            "FermionHopRule (MetropolisFermionHop) or a HamiltonianRule of an operator "
            "that keeps the constraint."
        )
    return _exact_rule(rule)


class MetropolisSampler(_NetKetMetropolisSampler):
    """NetKet's `MetropolisSampler` evaluating proposals incrementally from a per-chain
    cache (module docstring). Arguments as NetKet's, plus `refresh_every` (sweeps
    between recomputations of the caches from scratch, default `REFRESH_EVERY`) and
    `max_changed_sites` (overrides the rule's `k`) and `incremental` (None: where the split
    pays, True: wherever it applies, False: never)."""

    refresh_every: int = struct.field(pytree_node=False, default=REFRESH_EVERY)
    """Sweeps between two recomputations of the caches from scratch."""
    max_changed_sites: int | None = struct.field(pytree_node=False, default=None)
    """The most sites a proposal changes (None: from the rule, `max_changed_sites`)."""
    incremental: bool | None = struct.field(pytree_node=False, default=None)
    """None: the split where it pays (`STEP_OVERHEAD`); True: wherever it applies; False:
    never (NetKet's step)."""

    def __init__(
        self,
        hilbert: Any,
        rule: Any,
        *,
        refresh_every: int = REFRESH_EVERY,
        max_changed_sites: int | None = None,
        incremental: bool | None = None,
        **kwargs: Any,
    ):
        if int(refresh_every) < 1:
            raise ValueError(f"refresh_every must be a positive integer, not {refresh_every}")
        super().__init__(hilbert, _checked_rule(hilbert, rule), **kwargs)
        self.refresh_every = int(refresh_every)
        self.max_changed_sites = None if max_changed_sites is None else int(max_changed_sites)
        self.incremental = incremental

    def replace(self, **kwargs: Any) -> MetropolisSampler:
        """NetKet's `replace`, with a new rule or space checked and its `HamiltonianRule`
        swapped as in `__init__` (`replace(rule=LocalRule())` on a constrained space was
        taken, a `HamiltonianRule` kept NetKet's correction)."""
        if "rule" in kwargs or "hilbert" in kwargs:
            hilbert = kwargs.get("hilbert", self.hilbert)
            kwargs["rule"] = _checked_rule(hilbert, kwargs.get("rule", self.rule))
        return super().replace(**kwargs)

    # ------------------------------------------------------------------ the path

    def path(self, machine: Any, parameters: Any, σ: Any = None) -> SamplerPath:
        """How proposals are evaluated for this network (`print` it)."""
        from netket.utils import wrap_afun

        if σ is None:
            σ = jnp.zeros((1, self.hilbert.size), dtype=self.dtype)
        return _path(self, wrap_afun(machine).apply, parameters, σ)

    def _plan(self, machine: Any, parameters: Any, σ: Any, moves: Any = None):
        """(path, evaluator of the caches, None on the plain path) for tracing; with the
        drawn rule's `moves`, the evaluator's tables for them (`prepare`)."""
        path = _path(self, machine.apply, parameters, σ)
        if not path.incremental:
            return path, None
        if path.determinants is not None:
            evaluator = _DeterminantEvaluator(self, path, parameters)
        else:
            evaluator = _SplitEvaluator(self, path, parameters, σ)
        if moves is not None:
            evaluator.prepare(moves)
        return path, evaluator

    # ------------------------------------------------------------------ state

    @partial(jax.jit, static_argnums=1)
    def _init_state(self, machine, parameters, key):
        base = _NetKetMetropolisSampler._init_state(self, machine, parameters, key)
        path, evaluator = self._plan(machine, parameters, base.σ)
        cache = evaluator.exact(base.σ)[0] if path.incremental else ()
        return IncrementalSamplerState(
            σ=base.σ,
            rng=base.rng,
            rule_state=base.rule_state,
            log_prob=base.log_prob,
            cache=cache,
        )

    @partial(jax.jit, static_argnums=1)
    def _reset(self, machine, parameters, state):
        if not isinstance(state, IncrementalSamplerState):
            state = IncrementalSamplerState(
                σ=state.σ, rng=state.rng, rule_state=state.rule_state, log_prob=state.log_prob
            )
        state = _NetKetMetropolisSampler._reset(self, machine, parameters, state)
        path, evaluator = self._plan(machine, parameters, state.σ)
        cache = evaluator.exact(state.σ)[0] if path.incremental else ()
        return state.replace(cache=cache, sweeps=jnp.zeros_like(state.sweeps))

    # ------------------------------------------------------------------ the chain

    def _sample_next(self, machine, parameters, state, plan=None, draws=None, moves=None):
        if moves is None:
            moves = _moves(self)
        if plan is None:  # NetKet's `sample_next`: the parameters may have changed
            plan = self._plan(machine, parameters, state.σ, moves)
            state = _with_fresh_cache(plan, state)
        path, evaluator = plan
        if moves is not None:
            state = self._sweep_drawn(machine, parameters, state, plan, moves, draws)
        elif not path.incremental:
            return super()._sample_next(machine, parameters, state)
        else:
            state = self._sweep(machine, parameters, state, plan)
        if not path.incremental:
            return state, (state.σ, state.log_prob)
        return self._refreshed(evaluator, state)

    def _draws(self, rng, moves, n_steps):
        """NetKet's keys of `n_steps` Metropolis steps (the chain of `split(rng, 3)`) and
        every random number drawn from them at once: `(rng after them, the rule's draws,
        the acceptance's uniform numbers)`, each with a leading axis of `n_steps`."""
        b = self.n_batches

        def split3(rng, _):
            new_rng, key1, key2 = jax.random.split(rng, 3)
            return new_rng, (key1, key2)

        rng, (keys1, keys2) = jax.lax.scan(split3, rng, None, length=n_steps)
        drawn = jax.vmap(moves.draw)(keys1)
        uniforms = jax.vmap(lambda key: jax.random.uniform(key, shape=(b,)))(keys2)
        return rng, drawn, uniforms

    def _sweep_drawn(self, machine, parameters, state, plan, moves, draws=None):
        """One sweep of a built-in rule (`_moves`): NetKet's keys for the sweep's steps
        first, every random number drawn from them at once (`_draws`; or `draws`, the
        sweep's share of a whole chain's, then the caller sets the final `rng`), then the
        steps, each the proposal from its draws, its value (incremental or the whole
        network), NetKet's acceptance test."""
        from netket.jax import apply_chunked

        path, evaluator = plan
        b = self.n_batches
        if draws is None:
            rng, drawn, uniforms = self._draws(state.rng, moves, self.sweep_size)
        else:
            rng, (drawn, uniforms) = state.rng, draws
        if not path.incremental:
            apply = apply_chunked(machine.apply, in_axes=(None, 0), chunk_size=self.chunk_size)

        def step(carry, xs):
            σ, log_prob, cache, aux, accepted = carry
            draws, uniform = xs
            σp, correction, sites, old, new, aux_p, cluster = moves.apply(σ, aux, draws)
            if path.incremental:
                cache_p, proposal = evaluator.propose(cache, σ, σp, sites, old, new, cluster)
            else:
                cache_p = cache
                proposal = self.machine_pow * apply(parameters, σp).real
            exponent = proposal - log_prob
            if correction is not None:
                exponent = exponent + correction
            accept = uniform < jnp.exp(exponent)

            def keep(a, b):
                return jnp.where(accept.reshape((-1,) + (1,) * (a.ndim - 1)), a, b)

            cache = jax.tree_util.tree_map(keep, cache_p, cache)
            aux = jax.tree_util.tree_map(keep, aux_p, aux)
            log_prob = jnp.where(accept, proposal, log_prob)
            return (keep(σp, σ), log_prob, cache, aux, accepted + accept), None

        carry = (state.σ, state.log_prob, state.cache, moves.init(state.σ), state.n_accepted_proc)
        (σ, log_prob, cache, _, accepted), _ = jax.lax.scan(
            step, carry, (drawn, uniforms), unroll=UNROLL
        )
        return state.replace(
            σ=σ,
            log_prob=log_prob,
            cache=cache,
            rng=rng,
            n_accepted_proc=accepted,
            n_steps_proc=state.n_steps_proc + self.sweep_size * b,
        )

    def _sweep(self, machine, parameters, state, plan):
        """One sweep of a rule whose `transition` runs per step (a user's rule, a
        combination): the changed sites found by comparing `sigma'` with `sigma`."""
        evaluator = plan[1]
        n = self.hilbert.size

        def loop_body(i, state):
            # NetKet's step (MetropolisSampler._sample_next), but for the proposal's value
            new_rng, key1, key2 = jax.random.split(state.rng, 3)
            σp, log_prob_correction = self.rule.transition(
                self, machine, parameters, state, key1, state.σ
            )
            if σp.shape != (self.n_batches, n):
                raise ValueError(
                    f"{self.rule}.transition returned shape {σp.shape}, expected "
                    f"{(self.n_batches, n)}"
                )
            σp = σp.astype(state.σ.dtype)
            cache_p, proposal_log_prob = evaluator.propose(state.cache, state.σ, σp)
            uniform = jax.random.uniform(key2, shape=(self.n_batches,))
            if log_prob_correction is not None:
                do_accept = uniform < jnp.exp(
                    proposal_log_prob - state.log_prob + log_prob_correction
                )
            else:
                do_accept = uniform < jnp.exp(proposal_log_prob - state.log_prob)

            def keep(new, old):
                return jnp.where(do_accept.reshape((-1,) + (1,) * (new.ndim - 1)), new, old)

            return state.replace(
                σ=keep(σp, state.σ),
                log_prob=jnp.where(do_accept, proposal_log_prob, state.log_prob),
                cache=jax.tree_util.tree_map(keep, cache_p, state.cache),
                rng=new_rng,
                n_accepted_proc=state.n_accepted_proc + do_accept,
                n_steps_proc=state.n_steps_proc + self.n_batches,
            )

        return jax.lax.fori_loop(0, self.sweep_size, loop_body, state)

    def _refreshed(self, evaluator, state):
        """The sweep counted, and the caches recomputed from scratch every
        `refresh_every` sweeps (the drift kept)."""

        def refresh(state):
            # the log-probabilities are kept: each is NetKet's (to rounding) from the
            # chain's last acceptance, and a stale one (parameters changed without a
            # `reset`) stays until the chain's next acceptance, as in NetKet's chain
            exact, log_prob = evaluator.exact(state.σ)
            drift = _max_abs(state.cache, exact)
            lp_drift = jnp.max(jnp.abs(log_prob - state.log_prob)).astype(float)
            return state.replace(
                cache=exact,
                sweeps=jnp.zeros_like(state.sweeps),
                max_drift=jnp.maximum(state.max_drift, drift),
                max_log_prob_drift=jnp.maximum(state.max_log_prob_drift, lp_drift),
            )

        state = state.replace(sweeps=state.sweeps + 1)
        state = jax.lax.cond(state.sweeps >= self.refresh_every, refresh, lambda s: s, state)
        return state, (state.σ, state.log_prob)

    @partial(jax.jit, static_argnames=("machine", "chain_length", "return_log_probabilities"))
    def _sample_chain(
        self, machine, parameters, state, chain_length, return_log_probabilities: bool = False
    ):
        # NetKet's, with the tables built once per chain rather than once per sweep, and
        # a built-in rule's random numbers drawn once per chain (up to DRAWN_AHEAD)
        moves = _moves(self)
        plan = self._plan(machine, parameters, state.σ, moves)
        state = _with_fresh_cache(plan, state)
        n_steps = chain_length * self.sweep_size
        if moves is not None and n_steps * self.n_batches <= DRAWN_AHEAD:
            rng, drawn, uniforms = self._draws(state.rng, moves, n_steps)
            xs = jax.tree_util.tree_map(
                lambda a: jnp.reshape(a, (chain_length, self.sweep_size, *a.shape[1:])),
                (drawn, uniforms),
            )
            state, (samples, log_probabilities) = jax.lax.scan(
                lambda state, x: self._sample_next(machine, parameters, state, plan, x, moves),
                state,
                xs=xs,
            )
            state = state.replace(rng=rng)
        else:
            state, (samples, log_probabilities) = jax.lax.scan(
                lambda state, _: self._sample_next(machine, parameters, state, plan, None, moves),
                state,
                xs=None,
                length=chain_length,
            )
        samples = jnp.swapaxes(samples, 0, 1)
        log_probabilities = jnp.swapaxes(log_probabilities, 0, 1)
        if return_log_probabilities:
            return (samples, log_probabilities), state
        return samples, state

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + f",\n  refresh_every = {self.refresh_every}\n)"


def MetropolisLocal(hilbert: Any, **kwargs: Any) -> MetropolisSampler:
    """`nk.sampler.MetropolisLocal` with incremental proposals (`MetropolisSampler`)."""
    return MetropolisSampler(hilbert, nk_rules.LocalRule(), **kwargs)


def MetropolisExchange(
    hilbert: Any, *, clusters=None, graph=None, d_max=1, probabilities=None, **kwargs: Any
) -> MetropolisSampler:
    """`nk.sampler.MetropolisExchange` with incremental proposals (`MetropolisSampler`)."""
    rule = nk_rules.ExchangeRule(
        clusters=clusters, graph=graph, d_max=d_max, probabilities=probabilities
    )
    return MetropolisSampler(hilbert, rule, **kwargs)


def MetropolisFermionHop(
    hilbert: Any,
    *,
    clusters=None,
    graph=None,
    d_max=1,
    spin_symmetric=True,
    dtype=np.int8,
    **kwargs: Any,
) -> MetropolisSampler:
    """`nk.sampler.MetropolisFermionHop` with incremental proposals (`MetropolisSampler`)."""
    rule = nk_rules.FermionHopRule(
        hilbert, clusters=clusters, graph=graph, d_max=d_max, spin_symmetric=spin_symmetric
    )
    return MetropolisSampler(hilbert, rule, dtype=dtype, **kwargs)
