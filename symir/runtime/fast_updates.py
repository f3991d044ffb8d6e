"""Fast updates: `logpsi(x')` from `logpsi(x)`'s first layer and the sites `x'` changes.

For a network whose first layer is affine in the configuration, `theta(x) = x W + b`
(`W` of shape `(N, H)`), and whose output is a function of `theta` only,
`logpsi(x) = f(theta(x))`, a connected state that differs from `x` at a few sites has

    theta(x') = theta(x) + sum_j (x'[s_j] - x[s_j]) W[s_j]

so `logpsi(x')` costs `O(k H)` for the `k` changed sites plus `f`, instead of the
`O(N H)` of the first layer, and `x'` itself is never built: the changed sites and
values come from the operator's delta kernel (`CompiledOperator.get_conn_delta`,
`symir.runtime.conn_delta`). `symir.local_energies(..., fast_updates=...)` uses this
path (`fast_block`): the same compaction of candidates and chunked evaluation loop as
the padded path (`symir/runtime/local_energy.py`, with its reverse-mode rule), whose
rows are `(sample, sites, changes)` instead of configurations and which evaluates
`logpsi(x') - logpsi(x)` as `f(theta') - f(theta)` (`_generic_ratio`). The derived
path (`derived_block`: the split of the network's own program) does the same, and where
the split's rest is a log-cosh sum it gets the difference as logarithms of products of
`cosh(theta'_h) / cosh(theta_h)`, each a few multiplications of per-sample factors
(`_alpha_beta`) and a table `exp(E)` of the change `E` of the columns for each site's
pair of local states (`_derived_cosh_tables`): no transcendental function per hidden
unit and connected state.

The protocol (`LinearFirstLayer`): `theta(variables, x) -> (b, H)`, affine in `x`;
`logpsi(variables, theta) -> (b,)`; optionally `weights(variables) -> W (N, H)`
(default: `jax.jacfwd` of `theta`, exact for an affine map). A Flax module provides it
by defining two methods, `fast_theta(self, x)` and `fast_logpsi(self, theta)` (with
`self.fast_logpsi(self.fast_theta(x))` equal to its `__call__`), or through an adapter
registered for its type (`register_fast_updates`). NetKet's models have none: the split
of the network's own program (`symir/runtime/network_split.py`) finds their first layer,
and recognises the rest of NetKet's `RBM`, `RBMModPhase` and `RBMSymm` with `log_cosh` as
a log-cosh sum (`symir.runtime.log_cosh_rest`), evaluated by the same cosh-ratio tables
(`_derived_cosh_tables`). Their hand-written adapters were retired (2026-11-27, after
`Jastrow`'s): `E_loc` of 1,024 samples, ms of CPU, adapter / split, Heisenberg 6x6 and
TFIM 6x6: RBM(alpha=2) with `softplus` 75.8 / 48.5 and 69.3 / 41.8, with `tanh` 22.0 /
26.4 and 21.7 / 17.6; RBMModPhase(alpha=2) with `softplus` 145.7 / 96.0 and 132.8 /
86.9, with `tanh` 43.1 / 47.8 and 29.6 / 35.9 (with `log_cosh` the adapters' block took
the split already).
`fast_updates_for(model)` finds a module's protocol or a registered adapter.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from symir.runtime import batch_dedup
from symir.runtime.complex_pairs import complex_pairs
from symir.runtime.dedup import candidate_positions, only_active
from symir.runtime.fewer_logs import fewer_logs
from symir.runtime.lapack_order import lapack_ordered

__all__ = [
    "LinearFirstLayer",
    "fast_block",
    "fast_updates_for",
    "register_fast_updates",
    "resolve_fast_updates",
]


@dataclass(frozen=True)
class LinearFirstLayer:
    """How to evaluate a network by fast updates (the module docstring)."""

    theta: Callable[[Any, Any], Any]
    """`(variables, x (b, N)) -> theta (b, H)`, affine in `x`."""
    logpsi: Callable[[Any, Any], Any]
    """`(variables, theta (b, H)) -> logpsi (b,)`."""
    weights: Callable[[Any], Any] | None = None
    """`variables -> W (N, H)`, the change of `theta` per unit change of each site
    (None: derived from `theta` by `jax.jacfwd`)."""

    def weight_matrix(self, variables: Any, n: int) -> Any:
        """`W (N, H)`."""
        if self.weights is not None:
            return self.weights(variables)

        def one(v):
            return self.theta(variables, v[None, :])[0]

        return jnp.transpose(jax.jacfwd(one)(jnp.zeros((n,), jnp.float64)))


# --------------------------------------------------------------------------- finding it

_ADAPTERS: dict[type, Callable[[Any], LinearFirstLayer]] = {}


def register_fast_updates(module_type: type, adapter: Callable[[Any], LinearFirstLayer]) -> None:
    """Registers `adapter(module) -> LinearFirstLayer` for modules of exactly
    `module_type` (a subclass may compute something else: register it on its own)."""
    _ADAPTERS[module_type] = adapter


def fast_updates_for(model: Any) -> LinearFirstLayer | None:
    """The fast-update protocol of `model`: its own `fast_theta` / `fast_logpsi`
    methods, else the adapter registered for its type, else None."""
    if callable(getattr(model, "fast_theta", None)) and callable(
        getattr(model, "fast_logpsi", None)
    ):
        return LinearFirstLayer(
            theta=lambda v, x: model.apply(v, x, method="fast_theta"),
            logpsi=lambda v, t: model.apply(v, t, method="fast_logpsi"),
        )
    adapter = _ADAPTERS.get(type(model))
    return None if adapter is None else adapter(model)


def resolve_fast_updates(
    fast_updates: Any, logpsi: Callable, *, derived: bool = False
) -> LinearFirstLayer | None:
    """What `local_energies(..., fast_updates=...)` means: False / None (off), True (the
    model of `logpsi`, a Flax module's bound `apply`, must support fast updates),
    `"auto"` (on when that model supports them), a Flax module (whose `apply` is
    `logpsi`: NetKet wraps `apply` in functions of its own) or a `LinearFirstLayer`.
    With `derived` (the local-energy path), None also where the network's own program
    is to be split instead (`symir/runtime/network_split.py`): True, `"auto"` or a
    module without an adapter."""
    if fast_updates is None or fast_updates is False:
        return None
    if isinstance(fast_updates, LinearFirstLayer):
        return fast_updates
    if fast_updates is True or fast_updates == "auto":
        model = _bound_module(logpsi)
        layer = None if model is None else fast_updates_for(model)
        if layer is None and fast_updates is True and not derived:
            raise TypeError(
                "local_energies(fast_updates=True) needs logpsi to be the `apply` of a Flax "
                "module that supports fast updates (fast_theta / fast_logpsi methods or an "
                "adapter registered with register_fast_updates); got "
                f"{type(model).__name__ if model is not None else repr(logpsi)}. Pass the "
                "module itself as fast_updates=model when logpsi wraps its apply"
            )
        return layer
    if isinstance(fast_updates, str):
        raise ValueError(
            f"local_energies: fast_updates must be True, False, 'auto', a Flax module or a "
            f"LinearFirstLayer, got {fast_updates!r}"
        )
    layer = fast_updates_for(fast_updates)
    if layer is None and not derived:
        raise TypeError(
            f"local_energies: the model {type(fast_updates).__name__} does not support fast "
            "updates (its first layer must be affine in x: define fast_theta / fast_logpsi, "
            "or register an adapter with symir.runtime.fast_updates.register_fast_updates)"
        )
    return layer


def _bound_module(logpsi: Callable) -> Any:
    owner = getattr(logpsi, "__self__", None)
    if owner is not None and getattr(logpsi, "__name__", None) == "apply":
        return owner
    return None


# --------------------------------------------------------------------------- the local energy


FEWER_LOGS = True
"""The derived path evaluates the network's rest with its sums of `log1p` as logarithms
of products (`symir.runtime.fewer_logs`): a user's RBM-like module (a Dense layer,
`log_cosh`, a sum) then takes one logarithm per 16 hidden units per connected state."""


CHUNK_ELEMENTS = {
    "cpu": 1 << 15,
    "cpu_matmul": 1 << 17,
    "cpu_most": 1 << 18,
    "cpu_most_matmul": 1 << 18,
    "other": 1 << 20,
}
"""The default chunk of the fast path holds about this many elements of `theta`
(`rows x H`), by backend: on CPU a chunk that stays in cache (512 KiB of complex128: a
row costs O(H), so the loop's per-chunk overhead is small against it); on CPU too, larger
chunks where the network's rest multiplies a matrix into each row (`cpu_matmul`: a second
Dense layer, `network_split.rest_has_matmul`), whose products are efficient only on many
rows (J1-J2 6x6 with MLP(72, 72), `E_loc` of 1,024 samples: 44.8 ms in chunks of 2^15
elements, 29.4 in chunks of 2^20; Heisenberg 8x8 with MLP(128, 128): 82.3 and 47.0), but
not so large that a chunk's `(rows, H)` float64 values (1 MiB at 2^17) leave a core's
L2 cache (1 MiB on the 2-core CPU machine): against NetKet's packed kernel, by CPU time,
one process, 21 interleaved rounds, load 8-10 (2026-11-26), chunks of 2^18 / 2^17 / 2^16
/ 2^15 elements: Bose-Hubbard 4x4 MLP(32, 32) 0.84 / 0.80 / 0.78 / 0.84, Heisenberg 4x4
MLP(32, 32) 0.73 / 0.76 / 0.70 / 0.71, TFIM 6x6 Dense(72)-tanh-Dense(72)-tanh-Dense
0.76 / 0.75 / 0.76 / 0.87, Fermi-Hubbard 4x4 MLP(64, 64) 0.62 / 0.60 / 0.62 / 0.67,
J1-J2 6x6 MLP(72, 72) 0.65 / 0.64 / 0.65 / 0.68 (earlier, load 7: 0.79x in chunks of
2^18, 0.87x of 2^20; TFIM 8x8 MLP(128, 128) 0.77x and 0.82x); in the compiled loop of
Bose-Hubbard 4x4 the second layer's `(rows, 32) x (32, 32)` product took 4.0 ms of
thread time on chunks of 8,192 rows where NetKet's took 2.3 on chunks of 4,160.
`cpu_most`, `cpu_most_matmul`: the most a chunk holds by `MAX_CHUNKS`, without and
with a matrix product in the rest. An explicit `capacity` is used as given."""

MAX_CHUNKS = 64
"""On CPU the derived path's default chunk also holds at least `1 / MAX_CHUNKS` of the
block's slots (at most `CHUNK_ELEMENTS["cpu_most"]` elements, `"cpu_most_matmul"` where
the rest multiplies a matrix into each row): each pass of the loop
is a dozen small XLA kernels, each split over the pool's threads and joined, and on a
machine where other jobs hold the cores a join waits for a descheduled thread, so a
large block pays for every pass (J1-J2 6x6 with MLP(72), `E_loc` of 1,024 samples, at
load 5-8, by wall clock: 0.70x NetKet's packed kernel in chunks of 2^15 elements, 165
passes; 0.64x in chunks of 2^17, 41 passes; 0.67x in chunks of 2^19; TFIM 8x8 with a
Dense-gelu-Dense module 0.61x, 0.48x and, in chunks of 2^18, 0.54x). With a matrix
product, on H2O 6-31G's 1.16M slots with `MLP(64, 64)` (`E_loc` of 1,024 samples, CPU
time, one process, load 4): chunks of 2^17 elements 714 ms, 2^18 685, 2^19 695; J1-J2
6x6 `MLP(72, 72)` (148k slots) 73.3, 73.6, 72.7. Small blocks keep
`CHUNK_ELEMENTS["cpu"]` and `["cpu_matmul"]`."""


def fast_block(
    layer: LinearFirstLayer, evaluate: Callable, tail: Callable, *, default_capacity: bool = True
) -> Callable:
    """A replacement of `local_energy._block` (same signature) that evaluates the
    connected states by fast updates from the operator's deltas, with the local-energy
    path's chunked loop `evaluate` (`local_energy._evaluate`, its reverse-mode rule
    included) and `tail` (the rows of its last chunks, `local_energy._tail`); with
    `default_capacity` (no `capacity` given), chunks of about `CHUNK_ELEMENTS` elements
    of `theta` (at most the padded path's capacity)."""
    return functools.partial(_fast_block, layer, evaluate, tail, default_capacity)


def _chunk_rows(hidden: int, matmul: bool = False, slots: int = 0) -> int:
    """Rows of a default chunk of values `hidden` wide (`CHUNK_ELEMENTS`); `matmul`: the
    rest multiplies a matrix into each row; `slots`: the block's slots (on CPU a chunk
    holds at least `1 / MAX_CHUNKS` of them, `MAX_CHUNKS`)."""
    cpu = jax.default_backend() == "cpu"
    budget = CHUNK_ELEMENTS[("cpu_matmul" if matmul else "cpu") if cpu else "other"]
    rows = max(32, budget // max(1, hidden))
    if cpu:
        most = CHUNK_ELEMENTS["cpu_most_matmul" if matmul else "cpu_most"] // max(1, hidden)
        rows = max(rows, min(max(rows, most), -(-slots // MAX_CHUNKS)))
    return rows


def _deltas(compiled: Any, x: Any) -> tuple[Any, Any, Any, Any]:
    """`(flat x, sites, values, mels)` of the operator's delta kernel on `x`, `mels` in
    the operator's dtype."""
    flat, _, _ = compiled._kernel_input(x, "local_energies")
    sites, values, mels = compiled._conn_delta_flat(flat)
    if mels.dtype != compiled.dtype:
        mels = mels.astype(compiled.dtype)
    return flat, sites, values, mels


def _candidate_rows(
    needed: Any, changes: Any, capacity: int, tail: Callable
) -> tuple[Any, Any, Any, int]:
    """The rows `(sample, *changes)` of every slot `(b * c, 1 + ...)`, the positions of
    the needed ones (padded for the loop's last chunks), their count and the capacity
    (at most the slots)."""
    b, c = needed.shape
    sample = jnp.broadcast_to(jnp.arange(b, dtype=jnp.int32)[:, None, None], (b, c, 1))
    rows = jnp.concatenate([sample, changes], axis=-1)
    rows = jnp.reshape(rows, (b * c, rows.shape[-1]))
    return rows, *candidate_positions(needed, capacity, tail)


def _fast_block(
    layer: LinearFirstLayer,
    evaluate: Callable,
    tail: Callable,
    default_capacity: bool,
    logpsi: Callable,
    params: Any,
    x: Any,
    compiled: Any,
    plan: Any,
    capacity: int,
    skip_zero_mels: bool,
    active: Any = None,
) -> Any:
    """The local energies of one block of samples `x (b, N)` by fast updates: as
    `local_energy._block`, with the candidate rows `(sample, sites, changes)` and the
    loop evaluating `logpsi(x') - logpsi(x)` (`_generic_ratio`)."""
    from symir.runtime.conn_delta import site_changes
    from symir.runtime.slots import split_diagonal

    theta = _first_layer(layer, params, x)  # (the variables must fit: a readable error)
    n = x.shape[1]
    flat, sites, values, mels = _deltas(compiled, x)
    w = layer.weight_matrix(params, n)
    out = jax.eval_shape(layer.logpsi, params, theta).dtype
    total, (sites, values, mels) = split_diagonal(plan, mels, out, (sites, values, mels))
    if not plan.candidates:
        return total
    changes = site_changes(flat, sites, values, jnp.int32)
    needed = jnp.any(changes != 0, axis=-1)
    if skip_zero_mels:
        needed = needed & (mels != 0)
    needed = only_active(needed, active)
    if default_capacity:
        capacity = min(capacity, _chunk_rows(theta.shape[-1]))
    changes = jnp.concatenate([sites.astype(jnp.int32), changes], axis=-1)
    rows, positions, count, capacity = _candidate_rows(needed, changes, capacity, tail)
    ratio, aux = _ratio_of(layer, params, theta, w)
    r = evaluate(ratio, capacity, aux, rows, positions, count)
    r = jnp.where(needed, jnp.reshape(r, needed.shape), jnp.zeros((), r.dtype))
    return total + jnp.sum(mels * jnp.exp(r), axis=-1)


def _first_layer(layer: LinearFirstLayer, params: Any, x: Any) -> Any:
    """`layer.theta(params, x)`, or a `ValueError` that names the mismatch when `params`
    are not the variables of the model the fast updates were asked for (issue 35, item 6:
    a bare `KeyError: 'params'` from inside an adapter)."""
    try:
        return layer.theta(params, x)
    except (KeyError, TypeError, AttributeError, IndexError) as error:
        raise variables_error(params, error, "first layer") from None


def variables_error(params: Any, error: Exception, what: str = "network") -> ValueError:
    """The error of `local_energies(fast_updates=...)` given variables that do not fit
    the model (`error`: what evaluating its `what` raised)."""
    given = sorted(params) if isinstance(params, dict) else type(params).__name__
    return ValueError(
        f"local_energies(fast_updates=...): the variables passed do not fit the model's {what} "
        f"({type(error).__name__}: {error}); the variables given have the "
        f"top-level keys {given}: pass the variables of the module whose `apply` is "
        "logpsi (for a Flax module: {'params': ...}, as returned by module.init)"
    )


def _ratio_of(layer: LinearFirstLayer, params: Any, theta: Any, w: Any) -> tuple[Callable, Any]:
    """The chunk function `(aux, rows) -> logpsi(x') - logpsi(x)` and its differentiable
    inputs `aux` (computed once per block)."""
    logpsi_x = layer.logpsi(params, theta)
    return functools.partial(_generic_ratio, layer), (params, theta, w, logpsi_x)


def _generic_ratio(layer: LinearFirstLayer, aux: Any, rows: Any) -> Any:
    """`logpsi(x') - logpsi(x)` of a chunk of candidates, rows `(sample, sites (k),
    changes (k))`: `f(theta[sample] + sum_j changes_j W[sites_j]) - logpsi(x)`."""
    params, theta, w, logpsi_x = aux
    k = (rows.shape[-1] - 1) // 2
    t = theta[rows[:, 0]]
    for j in range(k):
        t = t + rows[:, 1 + k + j, None].astype(w.dtype) * w[rows[:, 1 + j]]
    return layer.logpsi(params, t) - logpsi_x[rows[:, 0]]


GROUP = 4
"""`_log_of_products` multiplies this many ratios before taking a logarithm (exact within
`COSH_RANGE`)."""


def _alpha_beta(theta: Any) -> tuple[Any, Any]:
    """`(alpha, beta)` with `cosh(theta + d) / cosh(theta) = alpha exp(d) + beta exp(-d)`:
    with `s = sign(Re theta)`, `a = exp(-2 s theta)` (`|a| <= 1`) and `q = exp(d)`,

        cosh(theta + d) / cosh(theta) = (q + a / q) / (1 + a)      (s = +1)
                                      = (1 / q + a q) / (1 + a)    (s = -1)

    so the ratio is a few multiplications of per-sample factors and a table of `q`."""
    positive = jnp.real(theta) >= 0
    a = jnp.exp(-2 * jnp.where(positive, theta, -theta))
    g = 1 / (1 + a)
    return jnp.where(positive, g, a * g), jnp.where(positive, a * g, g)


def _log_of_products(ratio: Any, coef: complex) -> Any:
    """`coef sum_h log ratio_h` of each row, a logarithm per `GROUP` ratios: `jnp.prod`
    of a `(rows, H / GROUP, GROUP)` reshape, then XLA's logarithm (RBM(alpha=2) on
    Heisenberg 6x6, `E_loc` ms of CPU, derived path / adapter: 9.4 / 11.8; with
    `fast_logs.log` 11.5 / 16.1; the products as `GROUP` slices multiplied, the adapter
    17)."""
    pad = -ratio.shape[-1] % GROUP
    if pad:
        ratio = jnp.concatenate([ratio, jnp.ones((ratio.shape[0], pad), ratio.dtype)], -1)
    part = jnp.prod(jnp.reshape(ratio, (ratio.shape[0], -1, GROUP)), axis=-1)
    return coef * jnp.sum(jnp.log(part), axis=-1)


# --------------------------------------------------------------------------- derived splits


def derived_block(
    split: Any,
    evaluate: Callable,
    tail: Callable,
    *,
    default_capacity: bool = True,
    compact: Callable | None = None,
    row_cost: float | None = None,
) -> Callable:
    """`fast_block` for a network split from its own program (`network_split`): the
    candidate rows are `(sample, (site, old state, new state) index of each change)` and
    a chunk evaluates `rest(theta(x) + sum_j E[index_j]) - logpsi(x)` (`tables`).
    `compact`: the loop in the candidates' order (`local_energy.evaluate_compact`, used
    where `COMPACT_OUTPUT`), else `evaluate`'s scatter to the slots. `row_cost`: the cost
    of one row (`local_energy.derived_row_cost`), which the batch's deduplication must
    pay for (`batch_dedup.pays`); None: by the sector alone."""
    return functools.partial(
        _derived_block, split, evaluate, compact, tail, default_capacity, row_cost
    )


def _derived_block(
    split: Any,
    evaluate: Callable,
    compact: Callable | None,
    tail: Callable,
    default_capacity: bool,
    row_cost: float | None,
    logpsi: Callable,
    params: Any,
    x: Any,
    compiled: Any,
    plan: Any,
    capacity: int,
    skip_zero_mels: bool,
    active: Any = None,
) -> Any:
    """The local energies of one block of samples by a derived split (`derived_block`)."""
    from symir.runtime import network_split as ns
    from symir.runtime.compiled import repeated_sites
    from symir.runtime.slots import split_diagonal

    flat, _, _ = compiled._kernel_input(x, "local_energies")
    sites, values, mels, old, keep = compiled._conn_delta_parts(flat)
    if mels.dtype != compiled.dtype:
        mels = mels.astype(compiled.dtype)
    if keep is not None:  # the sector rule: a slot not kept has no element, no change
        mels = jnp.where(keep, mels, jnp.zeros((), mels.dtype))
    consts = ns.constants(split, params)
    cached = ns.theta(split, consts, x)
    states = np.asarray(compiled.space.local_states)
    cosh = split.log_cosh if LOG_COSH_TABLES else None
    # the network itself on the samples, not the rest on the cached values: inside
    # NetKet's `expect_and_grad` XLA then merges it with the gradient's forward pass
    logpsi_x = logpsi(params, x)
    per_slot = (sites, values, mels, old) + (() if keep is None else (keep,))
    total, (sites, values, mels, old, *kept) = split_diagonal(plan, mels, logpsi_x.dtype, per_slot)
    if not plan.candidates:
        return total
    sites = sites.astype(jnp.int32)
    index = state_index(states, flat.dtype)
    old_i = index(old)
    fixed = compiled.static_sites()  # (F, k) constants: which entries repeat, in numpy
    repeated = repeated_sites(sites if fixed is None else fixed[np.asarray(plan.candidates)])
    new_i = jnp.where(repeated, old_i, index(values.astype(flat.dtype)))
    needed = jnp.any(new_i != old_i, axis=-1)
    if kept:
        needed = needed & kept[0]
    n_states = len(states)
    b = flat.shape[0]
    # rows of the joint table: the sample's cached values, then the pair changes
    change = b + (sites * n_states + old_i) * n_states + new_i
    if skip_zero_mels and active is not None:
        # a repeated sample's elements read as zeros (its energy is its run's first): the
        # same mask as `only_active`, but XLA then writes `needed` once, where `needed &
        # active` was fused into each of its three consumers and computed three times
        # (Heisenberg 20, Dense(40)-gelu-Dense, `E_loc` 1.03 -> 0.94 ms, 0.94 without
        # repeats)
        needed = needed & (jnp.where(active[:, None], mels, jnp.zeros((), mels.dtype)) != 0)
    elif skip_zero_mels:
        needed = needed & (mels != 0)
    else:
        needed = only_active(needed, active)
    if default_capacity:
        slots = needed.size
        capacity = min(capacity, _chunk_rows(split.width, ns.rest_has_matmul(split), slots))
    keys = _batch_keys(compiled, plan, row_cost, needed, (index(flat), sites, old_i, new_i))
    # every slot in order, without compaction, unless the batch's states repeat
    every = EVERY_SLOT and plan.n_valid == change.shape[1] and keys is None
    loop = (evaluate, compact, tail, capacity)
    energies = functools.partial(
        _energies, (loop, change, every, needed, keys, logpsi_x, total, mels)
    )

    if cosh is None:
        return energies(*_derived_rest(split, consts, cached, states, logpsi_x))
    # the rest is a log-cosh sum: cosh-ratio tables, where their products stay normal
    ratio, diff, in_range = _derived_cosh_tables(
        split, cosh, consts, cached, states, b, sites.shape[-1]
    )
    return energies(ratio, diff, (in_range,))


def _energies(slots: tuple, ratio: Callable, diff: Any, static: tuple) -> Any:
    """The local energies of `_derived_block`'s slots with `ratio` (its chunk function)."""
    loop, change, every, needed, keys, logpsi_x, total, mels = slots
    dtype = jnp.result_type(total, mels, logpsi_x)
    values = functools.partial(_deduplicated_values, loop, ratio, diff, static, change, every)
    if RATIOS_IN_LOOP:
        # psi(x') / psi(x) made in the loop, on each chunk's contiguous values: the slots
        # then take them by a gather with no exponential in it (a slot not evaluated: 1)
        w = values(needed, keys, logpsi_x, ratios=True)
        return (total + jnp.sum(mels * w, axis=-1)).astype(dtype)
    r = values(needed, keys, logpsi_x, ratios=False)
    return (total + jnp.sum(mels * jnp.exp(r), axis=-1)).astype(dtype)


def _batch_keys(compiled: Any, plan: Any, row_cost: Any, needed: Any, state: tuple) -> Any:
    """`batch_dedup.state_keys` of the slots where evaluating each distinct connected
    state of the batch once pays (`batch_dedup.pays`), else None; `state`: the samples'
    state indices, the slots' sites and old and new state indices."""
    b = needed.shape[0]
    expected = None if row_cost is None else b * plan.expected_candidates()
    dedup = batch_dedup.pays(
        compiled.space, needed.size, compiled.sectors, expected=expected, row_cost=row_cost
    )
    if dedup is not None:
        return None
    return batch_dedup.state_keys(*state, len(compiled.space.local_states))


def _derived_rest(
    split: Any, consts: Any, cached: Any, states: Any, logpsi_x: Any
) -> tuple[Callable, list, tuple]:
    """`_derived_ratio` (the rest on the cached values) and its differentiable and static
    inputs: the joint tables of the cached values and their changes (`_joint_table`)."""
    from symir.runtime import network_split as ns

    tabs = ns.tables(split, consts, states)
    joint = tuple(_joint_table(v, t) for v, t in zip(cached, tabs, strict=True))
    aux = (consts, joint, logpsi_x)
    leaves, tree = jax.tree_util.tree_flatten(aux)
    inexact = tuple(bool(jnp.issubdtype(jnp.result_type(v), jnp.inexact)) for v in leaves)
    diff = [v for v, d in zip(leaves, inexact, strict=True) if d]
    static = tuple(v for v, d in zip(leaves, inexact, strict=True) if not d)
    shapes = tuple((v.shape[1:], v.dtype) for v in cached)
    return functools.partial(_derived_ratio, split, tree, inexact, shapes), diff, static


def _deduplicated_values(loop, ratio, diff, static, change, every, needed, keys, logpsi_x, ratios):
    """`_slot_values` of the slots `needed`, `psi(x') / psi(x)` with `ratios` (else the
    logarithm); with `keys` (`batch_dedup.state_keys`), one evaluation per distinct
    connected state of the batch, the others' values moved to their own sample."""
    fill = 1 if ratios else 0
    if ratios:
        ratio = functools.partial(_exp_of, ratio)
    if keys is None:
        return _slot_values(loop, ratio, diff, static, needed, change, every, fill=fill)
    evaluated, source = batch_dedup.first_of_equal(needed, keys, logpsi_x)
    v = _slot_values(loop, ratio, diff, static, evaluated, change, every, fill=fill)
    return batch_dedup.shared(v, source, logpsi_x, change.shape[1], ratios=ratios)


MATERIALISED_ROWS = True
"""The derived path's chunk writes its rows of the joint table `(rows, 1 + k)` before the
sums of those rows (an `optimization_barrier`): fused, XLA's CPU loop recomputed each
row's position, sample and change rows for every element of its `width` (one process,
`E_loc` ms of CPU, derived path: Bose-Hubbard 3x4 `Dense(24)-tanh-Dense(24)-tanh-Dense`
6.93 -> 5.30, 3x3 3.28 -> 2.70, J1-J2 5x5 `Dense(50)` x3 15.77 -> 13.13; Bose-Hubbard
4x4 MLP(32, 32) and Heisenberg 20 unchanged)."""

COMPLEX_PAIRS = True
"""The derived path evaluates each chunk's rows with complex values as pairs of float64
arrays on CPU (`symir.runtime.complex_pairs`): XLA's CPU loops over complex128 elements
run one element at a time."""

RATIOS_IN_LOOP = True
"""The derived path's loop returns `psi(x') / psi(x) = exp(logpsi(x') - logpsi(x))` of
each candidate, not its logarithm: the exponential runs on each chunk's values in order
(a vectorised loop), where after the loop it ran fused with the gather of each slot's
value by its rank, one element at a time (Bose-Hubbard 4x4 MLP(32, 32): that fusion and
the sum 0.35 ms of thread time of about 12.6)."""


def _exp_of(ratio: Callable, diff: Any, chunk: Any) -> Any:
    return jnp.exp(ratio(diff, chunk))


COMPACT_OUTPUT = True
"""The derived path's loop writes each chunk's values as one slice in the order of the
candidates (`local_energy.evaluate_compact`), and each slot takes its value by its
rank, a gather fused into the sum of the local energies, in place of a scatter per
chunk to the slots."""


EVERY_SLOT = True
"""Where every candidate slot is provably valid (`plan.n_valid` of them: TFIM's flips),
the derived path evaluates every slot in order, with no compaction: nearly all are
needed, and the positions' scan and scatter, each chunk's gather of its rows by
position (a division by the slots per sample) and the ranks' gather cost more than the
few slots they leave out (a zero matrix element, a write of the current value, a
repeated sample: evaluated, then masked). TFIM 6x6 with a Dense(72)-tanh-Dense(72)-
tanh-Dense module, 1,024 samples: `expect_and_grad` 18.5 -> 16.8 ms of CPU (NetKet's
packed kernel 23.1)."""

EVERY_SLOT_NEEDED = 0.9
"""`EVERY_SLOT`'s loop over every slot runs only where at least this fraction of the
slots is needed at run time (`lax.cond` on their count; 0: always, no `cond`); else the
needed ones are compacted first. A Markov chain repeats its state at every rejected
move, and a repeated sample's slots are not needed (`local_energies(...,
repeated=True)`): TFIM 6x6 with a two-layer circular convolution, 1,024 samples of 16
chains of which 32% start a run, `E_loc` 419 -> 128 ms of CPU (NetKet's packed kernel
391)."""


def _slot_values(
    loop: tuple,
    ratio: Callable,
    diff: Any,
    static: tuple,
    needed: Any,
    change: Any,
    every: bool,
    fill: int = 0,
) -> Any:
    """`ratio` (`logpsi(x') - logpsi(x)`) of every slot `(b, c)` where `needed`, `fill` elsewhere, by
    the chunked loop (`loop`: `evaluate`, `compact`, `tail`, `capacity`) over the needed
    slots, or over `every` slot in order (`EVERY_SLOT`)."""
    evaluate, compact, tail, capacity = loop
    b, c, k = change.shape
    if COMPACT_OUTPUT and compact is not None and every:

        def every_slot(diff: Any) -> Any:
            count, chunk = b * c, min(capacity, b * c)
            rows = (_every_slot_rows(change, tail(chunk)), static)
            r = compact(ratio, chunk, diff, rows, None, count, _slice_rows)
            return jnp.where(
                needed, jnp.reshape(r[:count], needed.shape), jnp.full((), fill, r.dtype)
            )

        def needed_only(diff: Any) -> Any:
            return _slot_values(loop, ratio, diff, static, needed, change, False, fill)

        if EVERY_SLOT_NEEDED <= 0:
            return every_slot(diff)
        most = jnp.sum(needed, dtype=jnp.int32) >= int(np.ceil(EVERY_SLOT_NEEDED * b * c))
        return jax.lax.cond(most, every_slot, needed_only, diff)
    rows = (jnp.reshape(change, (b * c, k)), static)
    gather = functools.partial(_sample_and_changes, c)
    if COMPACT_OUTPUT and compact is not None:
        positions, count, capacity, rank = candidate_positions(needed, capacity, tail, ranks=True)
        r = compact(ratio, capacity, diff, rows, positions, count, gather)
        return jnp.where(needed, r[jnp.maximum(rank, 0)], jnp.full((), fill, r.dtype))
    positions, count, capacity = candidate_positions(needed, capacity, tail)
    r = evaluate(ratio, capacity, diff, rows, positions, count, gather)
    return jnp.where(needed, jnp.reshape(r, needed.shape), jnp.full((), fill, r.dtype))


def _every_slot_rows(change: Any, pad: int) -> Any:
    """`(sample, *changes)` of every slot `(b c + pad, 1 + k)` in order, then `pad` rows
    of zeros (the loop's last chunk may read past the slots)."""
    b, c, k = change.shape
    sample = jnp.broadcast_to(jnp.arange(b, dtype=change.dtype)[:, None, None], (b, c, 1))
    rows = jnp.reshape(jnp.concatenate([sample, change], axis=-1), (b * c, 1 + k))
    return jnp.concatenate([rows, jnp.zeros((pad, 1 + k), rows.dtype)])


def _slice_rows(rows: Any, offset: Any, size: int) -> Any:
    """A chunk's `(sample, changes)`: `size` rows from `offset` of rows in order."""
    data, static = rows
    chunk = jax.lax.dynamic_slice_in_dim(data, offset, size)
    return (chunk[:, 0], chunk[:, 1:]), static


def _sample_and_changes(slots: int, rows: Any, where: Any) -> Any:
    """A chunk's `(sample, changes)` at flat slot positions `where` (`slots` per sample:
    the sample is `where // slots`, no column of samples is written for every slot)."""
    changes, static = rows
    return (where // slots, changes[where]), static


def _joint_table(cached: Any, table: Any) -> Any:
    """One cached value of every sample `(b, *shape)` and its pair changes `(N S S,
    *shape)` as one `(b + N S S, size)` table (booleans as int32): a candidate's value is
    the sum of its rows `(sample, b + change_1, ...)`, one gather per chunk."""
    wide = jnp.int32 if cached.dtype == jnp.bool_ else cached.dtype
    return jnp.concatenate(
        [
            jnp.reshape(cached, (cached.shape[0], -1)).astype(wide),
            jnp.reshape(table, (table.shape[0], -1)).astype(wide),
        ]
    )


def state_index(states: Any, dtype: Any) -> Callable[[Any], Any]:
    """`values -> their index in the sorted local states` (int32): arithmetic where the
    states are equally spaced (`Spin`, `Fock`, `Qubit`), else a binary search."""
    states = np.asarray(states)
    steps = np.diff(states)
    if len(states) > 1 and steps[0] > 0 and np.all(steps == steps[0]):
        first, step = states[0].item(), steps[0].item()
        if jnp.issubdtype(dtype, jnp.integer) and float(first).is_integer():
            first, step = int(first), int(step)
            if step == 1:
                return lambda v: v.astype(jnp.int32) - first
            return lambda v: (v.astype(jnp.int32) - first) // step
        if jnp.issubdtype(dtype, jnp.floating) and np.log2(step).is_integer():
            # exact: a state minus the first is an integer multiple of a power of two
            return lambda v: ((v - first) * (1 / step)).astype(jnp.int32)
        if jnp.issubdtype(dtype, jnp.floating):
            return lambda v: jnp.round((v - first) / step).astype(jnp.int32)
    table = jnp.asarray(states, dtype)
    return lambda v: jnp.searchsorted(table, v).astype(jnp.int32)


LOG_COSH_TABLES = True
"""The derived path evaluates a rest that `split_network` recognised as a log-cosh sum
(`split.log_cosh`, `symir.runtime.log_cosh_rest`) by cosh-ratio tables
(`_derived_cosh_tables`), not by the rest's equations."""


COSH_RANGE = 600.0
"""The cosh-ratio tables are used where `k GROUP max |Re E| <= COSH_RANGE` (`k` changes
a slot, `E` a column's change by one site): a ratio `cosh(theta + d) / cosh(theta)` is
then within `exp(+-|Re d|)` (times 2), a product of `GROUP` of them, and each table entry
`exp(+-E)`, normal floating-point numbers (`exp(+-709)` is the range), so the logarithm
of the product is exact. Elsewhere (large weights: a unit's change of 150 by a hop) the
chunk takes `log_cosh(theta + d) - log_cosh(theta)` of each unit (`_log_cosh_of_rows`,
a `lax.cond` in the chunk on the parameters' tables, which are then made of zeros: no
infinity for a zero cotangent to multiply): the products overflowed or underflowed to
`inf`, `0` or a subnormal number (sweep 11: a product `0` dropped a connected state's
term, `0 x inf` gave NaN). The condition inside the chunk compiles one more chunk body,
not a second loop (the first compilation of NetKet's `RBM(alpha=2)` `E_loc` on TFIM and
Heisenberg 6x6: 3.0-3.8 s either way on the shared machine, run time unchanged)."""


@dataclass(frozen=True, eq=False)
class _DerivedCoshPlan:
    """The static part of `_derived_cosh_ratio`: the column groups, the samples `b` (the
    joint rows' offset of the changes) and the output dtype."""

    groups: tuple[tuple[int, int, complex], ...]
    b: int
    dtype: Any


def _derived_cosh_tables(
    split: Any, rest: Any, consts: Any, cached: Any, states: Any, b: int, k: int
) -> tuple[Callable, list, Any]:
    """`_derived_cosh_ratio`, its differentiable inputs and whether the tables are in
    `COSH_RANGE` for `k` changes a slot, for a rest recognised as a
    log-cosh sum (`log_cosh_rest.LogCoshRest`): `theta`, the columns of its groups on the
    samples (`log_cosh_rest.columns`), gives `alpha, beta` (`_alpha_beta`); the changes
    of the columns and of the linear terms when site `s` goes from state `i` to `j`
    (`network_split.tables` of the columns, `E[(s S + i) S + j]`, any local states) give
    the tables `exp(E)` and `exp(-E)` (the first's row `(s S + j) S + i`, kept row for
    row: both read at a change's index): a connected state's ratios are `alpha q + beta /
    q` with `q` the product of its changes' rows. Each group's columns apart
    (`_cosh_of_rows`)."""
    from symir.runtime import log_cosh_rest as lcr
    from symir.runtime import network_split as ns

    theta, _ = lcr.columns(split, rest, consts, cached, ns.VOCABULARY)
    d_theta, d_linear = ns.tables(
        split, consts, states, lcr.column_map(split, rest, consts, ns.VOCABULARY)
    )
    spread = jax.lax.stop_gradient(jnp.max(jnp.abs(jnp.real(d_theta)), initial=0.0))
    in_range = jnp.isfinite(spread) & (k * GROUP * spread <= COSH_RANGE)
    groups = rest.spans()
    arrays, columns = [d_linear], []
    for start, stop, _ in groups:
        t, d = theta[:, start:stop], d_theta[:, start:stop]
        # out of range the tables are not read: made of zeros, their derivative is finite
        e = jnp.where(in_range, d, jnp.zeros((), d.dtype))
        arrays += [*_alpha_beta(t), jnp.exp(e), jnp.exp(-e)]
        columns += [t, d]
    plan = _DerivedCoshPlan(groups, b, rest.out_dtype)
    return functools.partial(_derived_cosh_ratio, plan), arrays + columns, in_range


def _derived_cosh_ratio(plan: _DerivedCoshPlan, diff: Any, chunk: Any) -> Any:
    """`logpsi(x') - logpsi(x)` of a chunk of candidate rows `(sample, b + change index
    of each change)` for a log-cosh rest (`_derived_cosh_tables`)."""
    (s, changes), (in_range,) = chunk
    tables, columns = diff[: 1 + 4 * len(plan.groups)], diff[1 + 4 * len(plan.groups) :]
    # (complex columns as written: as pairs of float64 arrays, `complex_pairs`, a complex
    # RBM(alpha=2) on Heisenberg 6x6 took as long, 67.1 ms of CPU against 66.8)
    return jax.lax.cond(
        in_range,
        lambda: _cosh_of_rows(plan, *tables, s, changes),
        lambda: _log_cosh_of_rows(plan, tables[0], *columns, s, changes),
    )


def _log_cosh_of_rows(plan: _DerivedCoshPlan, linear: Any, *columns_and_rows: Any) -> Any:
    """`_derived_cosh_ratio` past `COSH_RANGE`: `sum_g coef_g sum log_cosh(theta + d) -
    log_cosh(theta)` of each group's columns `theta` and changes `E` (one logarithm and
    one exponential per unit: no product or table entry to overflow)."""
    *columns, s, changes = columns_and_rows
    p, out = _linear_change(plan, linear, changes)
    for g, (_, _, coef) in enumerate(plan.groups):
        theta, table = columns[2 * g], columns[2 * g + 1]
        t = theta[s]
        d = functools.reduce(jnp.add, [table[p[:, j]] for j in range(p.shape[-1])])
        part = jnp.sum(_log_cosh(t + d) - _log_cosh(t), axis=-1)
        out = out + (part if coef == 1 else coef * part).astype(plan.dtype)
    return out.astype(plan.dtype)


def _log_cosh(z: Any) -> Any:
    """`log cosh z` without overflow (NetKet's formula): `w + log1p(exp(-2 w)) - log 2`,
    `w = sign(Re z) z`."""
    w = jnp.where(jnp.real(z) >= 0, z, -z)
    return w + jnp.log1p(jnp.exp(-2 * w)) - jnp.log(2.0).astype(w.real.dtype)


def _cosh_of_rows(plan: _DerivedCoshPlan, linear: Any, *groups_and_rows: Any) -> Any:
    """`_derived_cosh_ratio` on its arrays: `linear`, then `(alpha, beta, exp(E),
    exp(-E))` of each group, on its own columns (two groups reading one gather of all
    the columns made XLA write the gathers out: RBMModPhase(alpha=2) on Heisenberg 6x6,
    1,024 samples, `E_loc` 50.4 ms of CPU against 18.9), then the rows' samples `s` and
    changes (`b + (site S + old) S + new`)."""
    *arrays, s, changes = groups_and_rows
    p, out = _linear_change(plan, linear, changes)
    for g, (_, _, coef) in enumerate(plan.groups):
        alpha, beta, table, inverse = arrays[4 * g : 4 * g + 4]
        q, q_inv = table[p[:, 0]], inverse[p[:, 0]]
        for j in range(1, p.shape[-1]):
            q, q_inv = q * table[p[:, j]], q_inv * inverse[p[:, j]]
        out = out + _log_of_products(alpha[s] * q + beta[s] * q_inv, coef)
    return out.astype(plan.dtype)


def _linear_change(plan: _DerivedCoshPlan, linear: Any, changes: Any) -> tuple[Any, Any]:
    """The rows' change indices `p` (into the tables, `changes - b`) and the change of the
    linear terms, `sum_j linear[p_j]` (`plan.dtype`)."""
    p = changes - plan.b
    out = jnp.zeros(p.shape[:1], plan.dtype)
    for j in range(p.shape[-1]):
        out = out + linear[p[:, j]].astype(plan.dtype)
    return p, out


def _derived_ratio(
    split: Any, tree: Any, inexact: tuple, shapes: tuple, diff: Any, chunk: Any
) -> Any:
    """`logpsi(x') - logpsi(x)` of a chunk of candidate rows (`_derived_block`)."""
    rows, static = chunk
    diff_iter, static_iter = iter(diff), iter(static)
    leaves = [next(diff_iter) if d else next(static_iter) for d in inexact]
    consts, joint, logpsi_x = jax.tree_util.tree_unflatten(tree, leaves)
    s, changes = rows
    evaluate = functools.partial(_rest_of_rows, split, shapes)
    if COMPLEX_PAIRS:
        evaluate = complex_pairs(evaluate)
    return evaluate(consts, joint, s, changes) - logpsi_x[s]


def _rest_of_rows(split: Any, shapes: tuple, consts: Any, joint: Any, s: Any, changes: Any) -> Any:
    """`logpsi(x')` of a chunk's rows: the cached values' rows of the joint tables summed,
    then the rest of the network."""
    from symir.runtime import network_split as ns

    values = []
    # the chunk's rows of the joint table, written once (`MATERIALISED_ROWS`)
    index = jnp.concatenate([s[:, None].astype(changes.dtype), changes], axis=1)
    if MATERIALISED_ROWS:
        index = jax.lax.optimization_barrier(index)
    for t, (shape, dtype) in zip(joint, shapes, strict=True):
        v = t[index[:, 0]]
        for j in range(1, index.shape[-1]):
            v = v + t[index[:, j]]
        values.append(jnp.reshape(v, (s.shape[0], *shape)).astype(dtype))
    rest = functools.partial(ns.rest, split)
    if FEWER_LOGS:
        rest = fewer_logs(rest)
    return lapack_ordered(rest)(consts, tuple(values))
