"""Local energies that evaluate the wave function only where it matters.

`local_energies(logpsi, params, x, op)` returns, for each sample `x`,

    E_loc(x) = sum_x' <x|H|x'> exp(logpsi(x') - logpsi(x))

with NetKet's conventions (its `local_value_kernel_jax`: the same sum over the slots of
`get_conn_padded`, the same dtype, complex and real networks), but calls `logpsi` only
on the connected states that need it:

1. the slots that the compiler proves are `x` itself (identity updates: the coalesced
   diagonal, `lowering/branch/slot_kinds.py`) are summed as they are, `mel * 1`;
2. of the other slots, only those with `x' != x` (checked at run time: padding, invalid
   branches and writes of the current value are `x`) and, when the operator has no
   runtime parameters, `mel != 0`, are *candidates*; with `dedup=True` only one
   candidate per distinct `x'` of each sample is evaluated and the others take its value
   (`symir/runtime/dedup.py`: for equal states the static fusion could not prove equal);
3. the candidates of the whole batch are compacted (their flat positions, in order) and
   evaluated by `lax.while_loop`s in chunks of a fixed `capacity` while at least that
   many are left, then in chunks of `capacity // 8`: shapes are static and the result
   exact for any batch; a batch with more candidates than one chunk costs more chunks,
   and fewer than `capacity // 8` rows of the last chunk are unused.

Slots with `mel == 0` are kept as candidates when the operator has runtime parameters
(`skip_zero_mels=None`), so that derivatives with respect to them stay right where a
matrix element is zero at the current value (`h = 0`) but not its derivative.

The evaluation loop has its own reverse-mode rule (`jax.custom_vjp`): the backward pass
runs the same loop over the chunks with `jax.vjp` of `logpsi`, so `jax.grad` /
`jax.vjp` with respect to `params` work (NetKet differentiates the local energies of a
non-hermitian operator); derivatives with respect to the operator's parameters go
through `mels` as in `get_conn_padded`. Forward mode (`jax.jvp`) with respect to
`params` is not supported (a `custom_vjp`): a TypeError that says so.

`capacity` (the rows of one network call) defaults to what the compiler knows: all
candidates of a batch when every non-diagonal slot is provably valid (TFIM: one chunk,
no slack), else `B * n_valid + ceil(B * n_maybe / 8)` for a batch of `B` samples.
`chunk_size` (NetKet's) bounds the memory: samples are processed in blocks of
`max(1, 8 * chunk_size // F)` (a `lax.map`) and the network never sees more than
`chunk_size` rows at once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.interpreters import ad

from symir.dialects.branch.slot_kinds import SlotKind
from symir.runtime import batch_dedup, state_table
from symir.runtime.compiled import CompiledOperator
from symir.runtime.complex_pairs import complex_pairs
from symir.runtime.dedup import (
    candidate_positions,
    only_active,
    repeated_samples,
    representatives,
)
from symir.runtime.fewer_logs import fewer_logs
from symir.runtime.lapack_order import lapack_ordered, network_calls_lapack
from symir.runtime.manual_axes import varying, varying_axes
from symir.runtime.scatter import set_at
from symir.runtime.slots import split_diagonal

__all__ = [
    "LocalEnergyPath",
    "LocalEnergyPlan",
    "choose_path",
    "evaluation_counts",
    "local_energies",
    "local_energy_plan",
]

WHOLE_NETWORK_FEWER_LOGS = True
"""Every path evaluates the network (not only the derived split's rest) through
`symir.runtime.fewer_logs` when it calls no LAPACK routine."""

WHOLE_NETWORK_PAIRS = True
"""Those paths evaluate a complex network with its values as pairs of float64 arrays on
CPU (`symir.runtime.complex_pairs`)."""

_MAYBE_FRACTION = 8
"""The default capacity holds one `_MAYBE_FRACTION`-th of the possibly-invalid slots."""
_TAIL_FRACTION = 8
"""The candidates left after the full chunks go in chunks of `capacity // 8`."""
ROW_ALIGNMENT = 8
"""A chunk of 16 rows or more has a multiple of this many (`chunk_rows`): XLA's CPU
loops ran the f64 `tanh` of an odd number of rows at about 5 ns an element against 2.9
at an even number ((5461, 24) against (5456, 24), (4095, 32) against (4096, 32): the
derived path's default chunks of a 24-wide Bose-Hubbard 3x4 network were 5461 rows, its
activations 1.7 times slower than the same fusion in the plain path's 6144 rows)."""
_BLOCK_FACTOR = 8
"""With `chunk_size`, a block of samples has `_BLOCK_FACTOR * chunk_size` slots."""


@dataclass(frozen=True)
class LocalEnergyPlan:
    """What the local-energy path knows about an operator's slots (static)."""

    max_conn_size: int
    diagonal: tuple[int, ...]
    """Slots that are `x` in every row: summed, never evaluated."""
    candidates: tuple[int, ...]
    """The other slots, in order."""
    n_valid: int
    """How many of the candidates are provably valid in every row."""
    analysed: bool
    """False when the `branch` level could not be read: every slot is a candidate."""

    def default_capacity(self, batch: int) -> int:
        n_maybe = len(self.candidates) - self.n_valid
        return max(1, batch * self.n_valid + -(-batch * n_maybe // _MAYBE_FRACTION))

    def expected_candidates(self) -> float:
        """`C`, the candidates of one sample expected to be evaluated: the valid slots
        and one half of the possibly-valid ones (`_PADDED_FRACTION`)."""
        return self.n_valid + (len(self.candidates) - self.n_valid) / _PADDED_FRACTION


def local_energy_plan(op: Any) -> LocalEnergyPlan:
    """The `LocalEnergyPlan` of a compiled operator, from the slot kinds of its `branch`
    level (`kernels.slot_kinds()`; kept with its loaded module)."""
    op = _compiled(op)  # or its NetKet adapter
    return op.kept(("local_energy_plan", op.key, op.kernels is not None), lambda: _plan(op))


def _plan(op: CompiledOperator) -> LocalEnergyPlan:
    f = op.max_conn_size
    kinds = None
    if op.kernels is not None:
        kinds = op.kernels.slot_kinds()
        if kinds is not None and len(kinds) != f:
            kinds = None
    if kinds is None:
        return LocalEnergyPlan(f, (), tuple(range(f)), 0, False)
    diagonal = tuple(i for i, k in enumerate(kinds) if k == SlotKind.DIAGONAL)
    candidates = tuple(i for i, k in enumerate(kinds) if k != SlotKind.DIAGONAL)
    n_valid = sum(k == SlotKind.VALID for k in kinds)
    return LocalEnergyPlan(f, diagonal, candidates, n_valid, True)


def _compiled(op: Any) -> CompiledOperator:
    if isinstance(op, CompiledOperator):
        return op
    inner = getattr(op, "compiled", None)  # the NetKet adapter
    if isinstance(inner, CompiledOperator):
        return inner
    raise TypeError(
        f"local_energies needs a symir operator compiled by symir (a CompiledOperator or "
        f"its NetKet adapter), got {type(op).__name__}"
    )


def local_energies(
    logpsi: Callable,
    params: Any,
    x: Any,
    op: Any,
    *,
    chunk_size: int | None = None,
    capacity: int | None = None,
    skip_zero_mels: bool | None = None,
    dedup: bool = False,
    fast_updates: Any = False,
    connected_states: str = "auto",
    repeated: bool = True,
) -> Any:
    """`E_loc(x) = sum_x' <x|H|x'> exp(logpsi(params, x') - logpsi(params, x))` for each
    configuration of `x` (shape `(..., N)`), evaluating `logpsi` only on the connected
    states that differ from `x` (see the module docstring).

    `logpsi(params, x)` takes a batch `(b, N)` and returns `(b,)` (a Flax `apply`, as
    NetKet passes it). `op` is a `CompiledOperator` or its NetKet adapter. `chunk_size`
    bounds the rows of one network call and processes the samples in blocks (NetKet's
    `chunk_size`); `capacity` overrides the rows of one chunk of candidates (default:
    chosen from the operator, `LocalEnergyPlan.default_capacity`); `skip_zero_mels`
    (default: when the operator has no runtime parameters) leaves slots with a zero
    matrix element out; `dedup` evaluates the connected states of one sample that are
    equal at run time once (`symir/runtime/dedup.py`; off by default, see
    docs/local-energy.md). `fast_updates` (True, `"auto"`, or the Flax module whose `apply`
    is `logpsi`) evaluates the connected states from the network's first layer and the
    operator's deltas, never building them (`symir/runtime/fast_updates.py`; it cannot be
    combined with `dedup`, which compares the connected states). `repeated` (default)
    evaluates the connected states of a run of equal consecutive samples once: a Markov
    chain repeats its state at every rejected move, and the repeats take the energy of
    the run's first sample (`dedup.repeated_samples`). Returns `(...)` in the dtype
    NetKet's kernel gives.

    Called outside any JAX transformation (no tracer in `params`, `x` or `op`), the call
    is compiled once and cached (`jax.jit`, keyed by `logpsi` and the options): run op
    by op it would compile every primitive of the loops on first use and dispatch them
    one at a time on every call (Heisenberg 4x4 MLP, 256 samples: 11 s, then 0.9 s a
    call; Slater2nd on Fermi-Hubbard 4x4: 13 s, then 3.8 s). A `logpsi` or option that
    cannot be hashed is compiled for the call and not cached (J1-J2 3x3 RBM, 32 samples:
    1 s a call, 8.7 s op by op).
    """
    if any(_forward_mode(leaf) for leaf in jax.tree_util.tree_leaves(params)):
        raise TypeError(FORWARD_MODE_MESSAGE)
    options = (
        ("chunk_size", chunk_size),
        ("capacity", capacity),
        ("skip_zero_mels", skip_zero_mels),
        ("dedup", dedup),
        ("fast_updates", fast_updates),
        ("connected_states", connected_states),
        ("repeated", repeated),
    )
    if not _eager((params, x, op)):
        return _local_energies(logpsi, params, x, op, **dict(options))
    compiled = _compiled(op)
    _check_sizes(compiled, tuple(np.shape(x)), chunk_size, capacity)
    compiled._check_local_states(np.asarray(x), "local_energies")
    if _hashable((logpsi, options)):
        return _jitted_local_energies(params, x, op, logpsi=logpsi, options=options)
    once = functools.partial(_local_energies, logpsi, **dict(options))
    return jax.jit(once)(params, x, op)


FORWARD_MODE_MESSAGE = (
    "symir.local_energies: forward-mode differentiation (jax.jvp, jax.jacfwd, "
    "jax.hessian) with respect to the parameters is not supported: its "
    "chunked loops define reverse mode only (a custom_vjp); use jax.grad, "
    "jax.vjp or jax.jacrev"
)


def _forward_mode(value: Any) -> bool:
    """Whether `value` is differentiated in forward mode (a `JVPTracer`, itself or under
    the tracers of transformations applied inside that one, as in `jax.hessian`)."""
    while isinstance(value, jax.core.Tracer):
        if isinstance(value, ad.JVPTracer):
            return True
        value = getattr(value, "primal", None)
    return False


def _eager(arguments: tuple) -> bool:
    """Whether `local_energies` compiles its own program: no tracer among the leaves of
    `arguments` and JIT not disabled."""
    if jax.config.jax_disable_jit:
        return False
    return not any(isinstance(a, jax.core.Tracer) for a in jax.tree_util.tree_leaves(arguments))


def _hashable(value: Any) -> bool:
    """Whether `value` can key the cache of compiled programs (`jax.jit`'s static
    arguments)."""
    try:
        hash(value)
    except TypeError:
        return False
    return True


@functools.partial(jax.jit, static_argnames=("logpsi", "options"))
def _jitted_local_energies(params: Any, x: Any, op: Any, *, logpsi: Callable, options: tuple):
    return _local_energies(logpsi, params, x, op, **dict(options))


def _local_energies(
    logpsi: Callable,
    params: Any,
    x: Any,
    op: Any,
    *,
    chunk_size: int | None,
    capacity: int | None,
    skip_zero_mels: bool | None,
    dedup: bool,
    fast_updates: Any,
    connected_states: str,
    repeated: bool,
) -> Any:
    """`local_energies` traced, or run op by op where JIT is disabled (its docstring)."""
    compiled = _compiled(op)
    n = compiled.space.size
    shape = tuple(np.shape(x))
    _check_sizes(compiled, shape, chunk_size, capacity)
    if not isinstance(x, jax.core.Tracer):
        compiled._check_local_states(np.asarray(x), "local_energies")
    if skip_zero_mels is None:
        skip_zero_mels = not compiled.param_names
    plan = local_energy_plan(compiled)
    block_fn = _block_function(
        logpsi, dedup, fast_updates, capacity, connected_states, compiled, chunk_size is None
    )
    if repeated:
        block_fn = functools.partial(_once_per_distinct_sample, block_fn)
    x = jnp.asarray(x)
    batch = shape[:-1]
    flat = jnp.reshape(x, (-1, n))
    b = flat.shape[0]
    _check_output_shape(logpsi, params, flat[:2] if b else jnp.zeros((1, n), x.dtype))
    if b == 0:
        one = jax.ShapeDtypeStruct((1, n), x.dtype)
        out = jax.eval_shape(
            lambda p, s: block_fn(logpsi, p, s, compiled, plan, 1, skip_zero_mels), params, one
        )
        return jnp.zeros(batch, out.dtype)

    def blocks(logpsi: Callable, params: Any, flat: Any) -> Any:
        if chunk_size is None:
            cap = capacity or plan.default_capacity(b)
            return block_fn(logpsi, params, flat, compiled, plan, cap, skip_zero_mels)
        cap = min(capacity or chunk_size, chunk_size)
        block = max(1, min(b, _BLOCK_FACTOR * chunk_size // max(1, plan.max_conn_size)))
        n_blocks = -(-b // block)
        if n_blocks == 1:
            return block_fn(logpsi, params, flat, compiled, plan, cap, skip_zero_mels)
        pad = n_blocks * block - b
        padded = jnp.concatenate([flat, jnp.repeat(flat[-1:], pad, axis=0)]) if pad else flat
        energies = jax.lax.map(
            lambda xs: block_fn(logpsi, params, xs, compiled, plan, cap, skip_zero_mels),
            jnp.reshape(padded, (n_blocks, block, n)),
        )
        return jnp.reshape(energies, (-1,))[:b]

    if network_calls_lapack(logpsi, params, flat[:1]):
        # one order for every LAPACK call of the program, the network's calls inside the
        # evaluation loops and around them (symir/runtime/lapack_order.py)
        ordered = lapack_ordered(logpsi)
        energies = _in_order(lambda p, f: blocks(ordered, p, f), params, flat)
    else:
        energies = blocks(_whole_network(logpsi), params, flat)
    return jnp.reshape(energies, batch)


def _in_order(fn: Callable, params: Any, flat: Any) -> Any:
    """`lapack_ordered(fn)(params, flat)`, differentiable in reverse mode. The ordered
    program evaluates calls through their bodies, the evaluation loops' `custom_vjp`
    among them, and JAX has no reverse mode for a `while_loop` of a dynamic count:
    `jax.grad` of the local energies of a network that calls LAPACK (`Slater2nd`), and
    NetKet's gradient of a non-hermitian operator with one, raised JAX's ValueError
    (sweep 26). So the ordered program is a `custom_vjp` whose backward pass is `jax.vjp`
    of `fn` (the loops' own rules), ordered the same way; the operator's parameters
    that `fn` closes over are differentiated with it (`jax.closure_convert`)."""
    converted, consts = jax.closure_convert(fn, params, flat)
    return _ordered_vjp(converted, params, flat, *consts)


def _ordered_forward(fn: Callable, params: Any, flat: Any, *consts: Any) -> Any:
    return lapack_ordered(fn)(params, flat, *consts)


def _ordered_fwd(fn: Callable, params: Any, flat: Any, *consts: Any) -> Any:
    return _ordered_forward(fn, params, flat, *consts), (params, flat, consts)


def _ordered_bwd(fn: Callable, residuals: Any, cotangent: Any) -> Any:
    params, flat, consts = residuals
    inexact = [jnp.issubdtype(jnp.result_type(c), jnp.inexact) for c in consts]

    def pullback(params: Any, chosen: list[Any], cotangent: Any) -> Any:
        def energies(params: Any, chosen: list[Any]) -> Any:
            values = iter(chosen)
            every = [next(values) if d else c for c, d in zip(consts, inexact, strict=True)]
            return fn(params, flat, *every)

        return jax.vjp(energies, params, chosen)[1](cotangent)

    chosen = [c for c, d in zip(consts, inexact, strict=True) if d]
    grads, chosen_grads = lapack_ordered(pullback)(params, chosen, cotangent)
    values = iter(chosen_grads)
    return (grads, None, *[next(values) if d else None for d in inexact])


_ordered_vjp = jax.custom_vjp(_ordered_forward, nondiff_argnums=(0,))
_ordered_vjp.defvjp(_ordered_fwd, _ordered_bwd)


def _whole_network(logpsi: Callable) -> Callable:
    """The network as the paths evaluate it where it calls no LAPACK routine: as
    `fewer_logs` evaluates it (its sums of `log1p` as logarithms of products, its float64
    logarithms vectorised: the same values, the phase of a complex `logpsi` modulo 2 pi,
    all the ratios read), its complex values as pairs of float64 arrays on CPU."""
    network = fewer_logs(logpsi) if WHOLE_NETWORK_FEWER_LOGS else logpsi
    return complex_pairs(network) if WHOLE_NETWORK_PAIRS else network


def _check_sizes(compiled: CompiledOperator, shape: tuple, chunk_size: Any, capacity: Any) -> None:
    n = compiled.space.size
    if len(shape) < 1 or shape[-1] != n:
        raise ValueError(
            f"local_energies expects configurations of shape (..., {n}) for operator "
            f"{compiled.name!r}, got shape {shape}"
        )
    for name, value in (("chunk_size", chunk_size), ("capacity", capacity)):
        if value is not None and (not isinstance(value, int | np.integer) or value < 1):
            raise ValueError(f"local_energies: {name} must be a positive integer, got {value!r}")


def _check_output_shape(logpsi: Callable, params: Any, rows: Any) -> None:
    """`logpsi` maps `(b, N)` to `(b,)` (NetKet's convention); a `(b, 1)` output (a last
    `Dense(1)` not squeezed) would broadcast against the `(b, F)` matrix elements."""
    try:
        out = jax.eval_shape(logpsi, params, rows)
    except Exception:  # e.g. the variables of another model: the paths name the problem
        return
    shape = tuple(getattr(out, "shape", ()))
    if shape != rows.shape[:1]:
        raise ValueError(
            f"local_energies: logpsi must map a batch of shape (b, N) to shape (b,), as "
            f"NetKet's models do; on a batch of shape {tuple(rows.shape)} it returned shape "
            f"{shape} (squeeze the last axis: `out[..., 0]` or `out.reshape(-1)`)"
        )


def _block_function(
    logpsi: Callable,
    dedup: Any,
    fast_updates: Any,
    capacity: Any,
    connected_states: str = "auto",
    compiled: CompiledOperator | None = None,
    unchunked: bool = False,
) -> Callable:
    """The function that computes the local energies of one block of samples: `_block`
    (from `xp`, with or without `dedup`), `_delta_block` (from the deltas), or the
    fast-update block when `fast_updates` applies (an adapter's, or the network's own
    split, `_derived_or_plain`)."""
    _check_block_options(dedup, connected_states)

    def block_fn(logpsi, params, xs, compiled, plan, capacity, skip_zero_mels, active=None):
        return _block(logpsi, params, xs, compiled, plan, capacity, skip_zero_mels, dedup, active)

    plain = block_fn if dedup or connected_states == "padded" else _delta_block
    if fast_updates is None or fast_updates is False:
        if connected_states == "auto" and not dedup and not _has_deltas(compiled):
            return block_fn
        return plain
    from symir.runtime.fast_updates import fast_block, resolve_fast_updates

    layer = resolve_fast_updates(fast_updates, logpsi, derived=True)
    if layer is None:
        if dedup or connected_states == "padded" or not _has_deltas(compiled):
            if fast_updates is True:
                raise ValueError(
                    "local_energies: fast_updates=True needs the operator's deltas and no "
                    "dedup (the fast path never builds the connected states)"
                )
            return block_fn
        padded = unchunked and not capacity  # one call may see every slot of the block
        return functools.partial(
            _derived_or_plain, fast_updates is True, not capacity, padded, logpsi
        )
    if dedup:
        raise ValueError(
            "local_energies: dedup=True compares the connected states, which fast updates "
            "never build; use one of dedup and fast_updates"
        )
    block = fast_block(layer, _evaluate, _tail, default_capacity=not capacity)  # (no import back)
    if unchunked and not capacity:  # one call may see every state of a small space
        return functools.partial(_adapter_or_table, block, logpsi)
    return block


def _check_block_options(dedup: Any, connected_states: str) -> None:
    if not isinstance(dedup, bool | np.bool_):
        raise ValueError(f"local_energies: dedup must be True or False, got {dedup!r}")
    if connected_states not in CONNECTED_STATES:
        raise ValueError(
            f"local_energies: connected_states must be one of {CONNECTED_STATES}, "
            f"got {connected_states!r}"
        )
    if dedup and connected_states == "deltas":
        raise ValueError(
            "local_energies: dedup=True compares whole connected states, which "
            "connected_states='deltas' never builds; use connected_states='padded' or 'auto'"
        )


def _once_per_distinct_sample(block_fn: Callable, logpsi, params, xs, *rest) -> Any:
    """`block_fn` evaluating the connected states of a run of equal rows of `xs` once."""
    if xs.shape[0] < 2:
        return block_fn(logpsi, params, xs, *rest)
    source, active = repeated_samples(xs)
    return block_fn(logpsi, params, xs, *rest, active=active)[source]


ADAPTER_FACTOR = 1.5
"""An adapter's rows cost less than the derived split's, which `choose_path` costs
(RBM(alpha=2) on Heisenberg 6x6: 15.0 against 25.5 ms of CPU): the table replaces an
adapter only where it costs this many times less than the split. TFIM 3x4, 1,024
samples, `E_loc` ms of CPU adapter / table (cost ratio split / table): RBM(alpha=2)
1.97 / 1.83 (1.6), RBM(alpha=1) 1.34 / 1.10 (2.1), complex RBM(alpha=2) 9.88 / 8.37
(1.6); NetKet's `Jastrow`, before its adapter was retired, 1.49 / 0.73 (3.4)."""


def _adapter_or_table(
    adapter: Callable,
    network: Callable,
    logpsi: Callable,
    params: Any,
    xs: Any,
    *rest: Any,
    active: Any = None,
) -> Any:
    """The block of a network with an adapter (`fast_updates`): the table of every state
    where the space is small and it costs `ADAPTER_FACTOR` times less than the split
    (`choose_path`, on the user's `network`), else the adapter's."""
    compiled, plan = rest[0], rest[1]
    if state_table.why_not(compiled) is None:
        path = choose_path(network, params, xs, compiled, plan, padded=True)
        split_cost = path.costs.get("derived", np.inf)
        if path.name == "table" and ADAPTER_FACTOR * path.costs["table"] < split_cost:
            return _table_block(logpsi, params, xs, *rest, active=active)
    return adapter(logpsi, params, xs, *rest, active=active)


def _derived_or_plain(
    required: bool,
    default_capacity: bool,
    padded: bool,
    network: Callable,
    logpsi: Callable,
    params: Any,
    xs: Any,
    *rest: Any,
    active: Any = None,
) -> Any:
    """The block of a network without an adapter: by its split (`network_split`), its
    determinants (`determinant_updates`), the padded evaluation (`padded`: allowed) or
    `_delta_block`, whichever costs least (`choose_path`, on the user's `network`;
    `logpsi` may be its LAPACK-ordered wrapper)."""
    compiled, plan = rest[0], rest[1]
    _check_variables(network, params, xs)
    path = choose_path(network, params, xs, compiled, plan, required=required, padded=padded)
    if path.block is not None:
        return path.block(logpsi, params, xs, *rest, active=active)
    if path.split is None:
        if required:
            raise ValueError(f"local_energies(fast_updates=True): {path.reason}")
        return _delta_block(logpsi, params, xs, *rest, active=active)
    from symir.runtime.conn_delta import delta_width
    from symir.runtime.fast_updates import derived_block

    block = derived_block(
        path.split,
        _evaluate,
        _tail,
        default_capacity=default_capacity,
        compact=evaluate_compact,
        row_cost=derived_row_cost(path.split, delta_width(compiled)),
    )
    return block(logpsi, params, xs, *rest, active=active)


def _check_variables(network: Callable, params: Any, xs: Any) -> None:
    """A `ValueError` that names the variables given (`fast_updates.variables_error`)
    where they are not a Flax module's (no `"params"` collection) and the network does
    not run on them: Flax's own error said only that they are not a dictionary of
    collections (issue 35, item 6)."""
    if isinstance(params, Mapping) and "params" in params:
        return
    try:
        jax.eval_shape(network, params, xs[:1])
    except Exception as error:
        from symir.runtime.fast_updates import variables_error

        raise variables_error(params, error) from None


@dataclass(frozen=True)
class LocalEnergyPath:
    """Which way `local_energies` evaluates the connected states, and why."""

    name: str
    """`"derived"` (the network's split), `"determinant"` (low-rank updates of its
    determinants' inverses), `"deltas"` (the whole network on each candidate connected
    state, built from the deltas, compacted), `"padded"` (the whole network on every
    candidate slot at once, no compaction), `"table"` (the whole network once on every
    state of a small space, each connected state's value read by its index:
    `state_table`)."""
    reason: str
    split: Any = None
    """The `NetworkSplit` used (`"derived"`), else None."""
    block: Any = None
    """The block function of `"determinant"` (`determinant_updates.determinant_block`)
    and `"padded"` (`_padded_block`), else None."""
    costs: dict = field(default_factory=dict, compare=False)
    """Each candidate path's cost per sample, by name (empty where none was costed: the
    path was required)."""

    def __str__(self) -> str:
        text = f"local energies: {self.name} ({self.reason})"
        if self.split is not None:
            text += "\n" + str(self.split)
        return text


_LOOP_FACTOR = 1.25
"""The cost of a network row inside the compacted loop against the same row in one
padded call (smaller chunks, the rows gathered: measured on CPU, TFIM 4x4 MLPs)."""
_ROW_OVERHEAD = 300
"""Element operations per evaluated row of the compacted loop: its position, the gather
of its inputs and the scatter of its result (CPU: about 1/4 of a 16-site MLP(32) row)."""
_PADDED_FRACTION = 2
"""Expected candidates: the valid slots and one half of the possibly-valid ones."""


def derived_row_cost(split: Any, k: int) -> float:
    """The cost of one row of the derived split's loop, `O + L (2 k H + R)` (element
    operations: `choose_path`'s docstring), `k` changes a slot."""
    from symir.runtime.network_split import rest_cost

    return _ROW_OVERHEAD + _LOOP_FACTOR * (2 * k * split.width + rest_cost(split))


def choose_path(
    logpsi: Callable,
    params: Any,
    x: Any,
    compiled: CompiledOperator,
    plan: LocalEnergyPlan,
    *,
    required: bool = False,
    padded: bool = False,
) -> LocalEnergyPath:
    """The cheapest way to evaluate the connected states of `logpsi` on this batch, with
    the reason (the costs). Candidates: the determinants of `logpsi` by low-rank updates
    where its program has them (`determinant_updates`), its derived split where it
    applies (`network_split`), the compacted plain path (`"deltas"`) and, with `padded`
    (no `chunk_size` and no `capacity` asked for), the network on every candidate slot
    at once without compaction (`"padded"`: NetKet's padded evaluation less the
    diagonal) and, on a small space, the network once on each of its `M` states
    (`"table"`, `M (P + R) / B + 40 c`: `state_table`). With `required`
    (`fast_updates=True`) the determinant updates, else the split, are taken wherever
    they apply.

    Costs, in element operations per sample, for `c` candidate slots and `C` expected
    candidates (the valid slots and half of the others), `N` sites, `S` local states,
    `k` changed sites per slot, `B` samples, `P` and `R` the prefix's and the rest's
    cost on one state (`network_split.prefix_cost`, `rest_cost`: for the derived split,
    a rest recognised as a log-cosh sum at the cost of its tables), `L = 1.25` the loop's
    factor and `O = 300` a compacted row's overhead (`_LOOP_FACTOR`, `_ROW_OVERHEAD`):
    padded `c (P + R)`, deltas `C O + E L (P + R)`, derived `N S P / B + C O + E L (2 k
    H + R)`, with `E = min(C, states / B)` where `batch_dedup` evaluates each distinct
    connected state of the batch once (a space of few states), else `E = C`; for
    determinants of `n x n` matrices (`d` of them), the network `d (n^3 / 3 + n^2 +
    1000) + N` per state (a LAPACK call's fixed cost, `LAPACK_CALL_COST`), the updates
    `d n^3` per sample plus `C (L (3 d n^2 + 4 N) + O)`. A network that does not split
    counts `P + R` as one row of `N` sites."""
    from symir.runtime.conn_delta import delta_width
    from symir.runtime.determinant_updates import determinant_block
    from symir.runtime.network_split import non_finite_change, split_network

    compiled = _compiled(compiled)  # or its NetKet adapter
    det_block, det_why = determinant_block(logpsi, params, x, fallback=_delta_block)
    if required and det_block is not None:  # a determinant of gathered rows: its updates
        return LocalEnergyPath("determinant", det_why, block=det_block)
    split = split_network(logpsi, params, x)
    if split.applies:
        why = non_finite_change(split, params, compiled.space.local_states)
        if why is not None:
            split = replace(split, applies=False, reason=why)
    if required and not split.applies:
        return LocalEnergyPath("deltas", f"{split.reason}; {det_why}")
    costs, what = _path_costs(split, det_block, x, compiled, plan, padded)
    name = "derived" if required else min(costs, key=costs.get)
    text = ", ".join(f"{k} {v:.3g}" for k, v in costs.items())
    reason = f"cost per sample: {text} ({what})"
    if det_block is not None:
        reason += "\n" + det_why
    if name in ("derived", "deltas"):
        b = max(1, int(np.prod(np.shape(x)[:-1], dtype=np.int64)))
        costs_of_rows = {}
        if name == "derived":  # its rows' cost is known: the repeats must pay
            costs_of_rows = _dedup_costs(split, delta_width(compiled), plan, b)
        reason += "\n" + batch_dedup.describe(
            compiled.space, b * len(plan.candidates), compiled.sectors, **costs_of_rows
        )
    block = {
        "determinant": det_block,
        "padded": _padded_block,
        "table": _table_block,
    }.get(name)
    return LocalEnergyPath(name, reason, split if name == "derived" else None, block, costs)


def _path_costs(
    split: Any, det_block: Any, x: Any, compiled: CompiledOperator, plan: Any, padded: bool
) -> tuple[dict[str, float], str]:
    """The costs of `choose_path`'s candidates (its docstring) and what they read."""
    from symir.runtime.conn_delta import delta_width
    from symir.runtime.network_split import LAPACK_CALL_COST, prefix_cost, rest_cost

    b = max(1, int(np.prod(np.shape(x)[:-1], dtype=np.int64)))
    c = len(plan.candidates)
    cand = plan.expected_candidates()
    n = compiled.space.size
    loop, row = _LOOP_FACTOR, _ROW_OVERHEAD
    # the compacted paths evaluate each distinct connected state of the batch once where
    # `batch_dedup` pays: at most the space's states, shared among the samples (H2O
    # STO-3G, 441 states for 1,024 x 140 candidate slots); the derived split only where
    # the repeats it saves pay for it (its rows' cost is known)
    distinct = min(cand, batch_dedup.sector_size(compiled.space, compiled.sectors) / b)
    evaluated = evaluated_derived = cand
    if batch_dedup.pays(compiled.space, b * c, compiled.sectors) is None:
        evaluated = distinct
    if split.applies:
        k = delta_width(compiled)
        rows = _dedup_costs(split, k, plan, b)
        if batch_dedup.pays(compiled.space, b * c, compiled.sectors, **rows) is None:
            evaluated_derived = distinct
    dets = []
    if det_block is not None:
        dets = [(int(np.prod(s.batch, dtype=np.int64)), s.n) for s in det_block.program.sites]
        full = sum(d * (m**3 / 3 + m**2 + LAPACK_CALL_COST) for d, m in dets) + n
    elif split.applies:
        full = prefix_cost(split) + rest_cost(split, as_written=True)
    else:
        full = n
    costs = {"deltas": cand * row + evaluated * loop * full}
    if padded:
        costs["padded"] = c * full
    table_why = _table_cost(costs, compiled, full, b, c, cand) if padded else ""
    if split.applies:
        s = len(compiled.space.local_states)
        p, r = prefix_cost(split), rest_cost(split)
        costs["derived"] = (
            split.n_sites * s * p / b
            + cand * row
            + evaluated_derived * loop * (2 * k * split.width + r)
        )
        what = f"prefix {p}, rest {r} per state, cached width {split.width}"
    else:
        what = f"no split: {split.reason}"
    if dets:
        costs["determinant"] = sum(d * m**3 for d, m in dets) + cand * (
            loop * (sum(3 * d * m**2 for d, m in dets) + 4 * n) + row
        )
    text = f"{what}; {c} candidate slots, {cand:g} expected"
    if evaluated < cand:  # (the derived split's repeats only where these do)
        text += f", {evaluated:.3g} evaluated (distinct states of the batch)"
    return costs, text + table_why


def _table_cost(
    costs: dict, compiled: CompiledOperator, full: float, b: int, c: int, cand: float
) -> str:
    """Adds the table's cost (`state_table`) to `costs` where it applies (`why_not`, and
    at most `state_table.REACH` states per expected connected state of the batch); else
    returns why not, as a clause of `_path_costs`' text."""
    why = state_table.why_not(compiled)
    if why is not None:
        return f"; {why}"
    states = state_table.states_of(compiled)
    if states > state_table.REACH * b * cand:
        return (
            f"; table: {states} states for {b * cand:.3g} expected connected states, "
            f"more than {state_table.REACH:g} a state"
        )
    costs["table"] = states * full / b + c * state_table.SLOT_COST
    return ""


CONNECTED_STATES = ("auto", "deltas", "padded")
"""How `local_energies` builds the connected states it evaluates (`connected_states`)."""


def _dedup_costs(split: Any, k: int, plan: LocalEnergyPlan, b: int) -> dict[str, float]:
    """`batch_dedup.pays`' `expected` and `row_cost` for the derived split's rows."""
    return {"expected": b * plan.expected_candidates(), "row_cost": derived_row_cost(split, k)}


def _has_deltas(compiled: CompiledOperator | None) -> bool:
    """Whether the operator's delta kernel can be built (it is built and kept)."""
    if compiled is None:
        return False
    from symir.errors import SymbolicCompilerError
    from symir.runtime.conn_delta import delta_width

    try:
        delta_width(compiled)
    except SymbolicCompilerError:
        return False
    return True


def evaluation_counts(
    x: Any,
    op: Any,
    *,
    capacity: int | None = None,
    skip_zero_mels: bool | None = None,
    dedup: bool = False,
) -> dict[str, int]:
    """How many network evaluations `local_energies(..., x, op)` (no `chunk_size`) makes
    on the batch `x`, against NetKet's padded kernel: `padded` = B x F, `candidates` (the
    connected states that differ from `x`, with a nonzero matrix element where zeros are
    skipped), `distinct` (the connected states evaluated: the candidates, or with `dedup`
    one per distinct `x'` of each sample, or without `dedup`, where `batch_dedup` pays by
    the sector alone, one per distinct `x'` of the batch; the derived split also weighs
    its rows' cost), `capacity`, `chunks` and `evaluations`: the rows of all chunks
    (unused ones included) plus the B samples themselves. Not jitted: for benchmarks and
    tests."""
    compiled = _compiled(op)
    n = compiled.space.size
    flat = np.reshape(np.asarray(x), (-1, n))
    b = flat.shape[0]
    if skip_zero_mels is None:
        skip_zero_mels = not compiled.param_names
    plan = local_energy_plan(compiled)
    xp, mels = (np.asarray(a) for a in compiled.get_conn_padded(flat))
    cand = list(plan.candidates)
    needed = np.any(xp[:, cand] != flat[:, None, :], axis=-1)
    if skip_zero_mels:
        needed &= mels[:, cand] != 0
    candidates = int(needed.sum())
    if dedup and b:
        needed = np.asarray(_representatives_jit(xp[:, cand], needed)[0])
    m = b * len(cand)
    batch = not dedup and _has_deltas(compiled)  # the paths from deltas: `batch_dedup`
    if b and batch and batch_dedup.pays(compiled.space, m, compiled.sectors) is None:
        needed = _first_of_each_state(xp[:, cand], needed)
    cap = chunk_rows(min(capacity or plan.default_capacity(b), max(m, 1)))
    count = int(needed.sum())
    tail = _tail(cap)
    full, tails = (int(v) for v in _chunk_counts(count, cap, tail, m + tail))
    return {
        "padded": b * plan.max_conn_size,
        "candidates": candidates,
        "distinct": count,
        "capacity": cap,
        "chunks": full + tails,
        "evaluations": full * cap + tails * tail + b,
    }


_representatives_jit = jax.jit(representatives)


def _first_of_each_state(xp: np.ndarray, needed: np.ndarray) -> np.ndarray:
    """`needed (b, c)` kept only at the first slot of each distinct `x'` of the batch
    (the evaluations of `batch_dedup`, hash collisions aside)."""
    _, first = np.unique(xp[needed], axis=0, return_index=True)
    keep = np.zeros(int(needed.sum()), bool)
    keep[first] = True
    out = np.zeros_like(needed)
    out[needed] = keep
    return out


def _block(
    logpsi: Callable,
    params: Any,
    x: Any,
    compiled: CompiledOperator,
    plan: LocalEnergyPlan,
    capacity: int,
    skip_zero_mels: bool,
    dedup: bool = False,
    active: Any = None,
) -> Any:
    """The local energies of one block of samples `x (b, N)` (`active`: the samples
    whose connected states are evaluated; the others' energies are not used)."""
    b, n = x.shape
    xp, mels = compiled.get_conn_padded(x)
    logpsi_x = logpsi(params, x)
    total, (xp, mels) = split_diagonal(plan, mels, logpsi_x.dtype, (xp, mels))
    if not plan.candidates:
        return total
    differs = jnp.any(xp != x[:, None, :], axis=-1)
    needed = differs & (mels != 0) if skip_zero_mels else differs
    needed = only_active(needed, active)
    # with dedup, one slot per distinct x' is evaluated and the others take its value
    evaluate, source = representatives(xp, needed) if dedup else (needed, None)
    m = b * len(plan.candidates)
    positions, count, capacity = candidate_positions(evaluate, capacity, _tail)
    lp = _evaluate(logpsi, capacity, params, jnp.reshape(xp, (m, n)), positions, count)
    lp = jnp.reshape(lp, needed.shape)
    if source is not None:
        lp = jnp.take_along_axis(lp, source, axis=1)
    lp = jnp.where(needed, lp, logpsi_x[:, None])
    terms = mels * jnp.exp(lp - logpsi_x[:, None])
    return total + jnp.sum(terms, axis=-1)


def _delta_block(
    logpsi: Callable,
    params: Any,
    x: Any,
    compiled: CompiledOperator,
    plan: LocalEnergyPlan,
    capacity: int,
    skip_zero_mels: bool,
    active: Any = None,
) -> Any:
    """As `_block`, from the operator's deltas (`get_conn_delta`): the candidates are the
    slots whose deltas change `x`, and the loop builds the rows of each chunk from `x`
    and their deltas, so no `xp[B, F, N]` is written, padding or not."""
    from symir.runtime.conn_delta import needed_slots

    b = x.shape[0]
    sites, values, mels = compiled.get_conn_delta(x)
    logpsi_x = logpsi(params, x)
    total, (sites, values, mels) = split_diagonal(plan, mels, logpsi_x.dtype, (sites, values, mels))
    if not plan.candidates:
        return total
    needed = needed_slots(x, sites, values, mels, skip_zero_mels, active)
    c = len(plan.candidates)
    m = b * c
    k = sites.shape[-1]
    evaluated, source = needed, None
    if batch_dedup.pays(compiled.space, m, compiled.sectors) is None:
        keys = _delta_keys(x, sites, values, compiled)
        evaluated, source = batch_dedup.first_of_equal(needed, keys)
    positions, count, capacity = candidate_positions(evaluated, capacity, _tail)
    rows = (jnp.reshape(sites, (m, k)), jnp.reshape(values, (m, k)), x)
    gather = functools.partial(_rows_from_deltas, c)
    lp = _evaluate(logpsi, capacity, params, rows, positions, count, gather)
    if source is not None:  # each slot the value of its state's evaluated slot
        lp = lp[source]
    lp = jnp.where(needed, jnp.reshape(lp, needed.shape), logpsi_x[:, None])
    terms = mels * jnp.exp(lp - logpsi_x[:, None])
    return total + jnp.sum(terms, axis=-1)


def _delta_keys(x: Any, sites: Any, values: Any, compiled: CompiledOperator) -> Any:
    """`batch_dedup.state_keys` of the connected states given by deltas `(b, c, k)`."""
    from symir.runtime.fast_updates import state_index

    states = np.asarray(compiled.space.local_states)
    old = jnp.take_along_axis(x[:, None, :], sites.astype(jnp.int32), axis=-1)
    digits = state_index(states, x.dtype)(x)
    return state_table.connected_keys(digits, sites, old, values.astype(x.dtype), states)


def _table_block(*args: Any, active: Any = None) -> Any:
    """`state_table.table_block`, whose samples outside a sector take `_delta_block`."""
    return state_table.table_block(*args, active=active, fallback=_delta_block)


def _padded_block(
    logpsi: Callable,
    params: Any,
    x: Any,
    compiled: CompiledOperator,
    plan: LocalEnergyPlan,
    capacity: int,
    skip_zero_mels: bool,
    active: Any = None,
) -> Any:
    """As `_delta_block` without the compaction: the network runs on every candidate
    slot of the block at once (`b x c` rows built from the deltas, NetKet's padded
    evaluation less the diagonal slots), no loop, no positions. Chosen by cost where
    nearly every slot is a candidate and the network is cheap (`choose_path`); `active`
    is not used (every row is evaluated)."""
    from symir.runtime.conn_delta import needed_slots

    b = x.shape[0]
    sites, values, mels = compiled.get_conn_delta(x)
    logpsi_x = logpsi(params, x)
    total, (sites, values, mels) = split_diagonal(plan, mels, logpsi_x.dtype, (sites, values, mels))
    if not plan.candidates:
        return total
    needed = needed_slots(x, sites, values, mels, skip_zero_mels)
    c = len(plan.candidates)
    xp = jnp.put_along_axis(
        jnp.broadcast_to(x[:, None, :], (b, c, x.shape[-1])),
        sites,
        values.astype(x.dtype),
        axis=-1,
        inplace=False,
    )
    lp = jnp.reshape(logpsi(params, jnp.reshape(xp, (b * c, x.shape[-1]))), (b, c))
    lp = jnp.where(needed, lp, logpsi_x[:, None])
    terms = mels * jnp.exp(lp - logpsi_x[:, None])
    return total + jnp.sum(terms, axis=-1)


def _rows_from_deltas(slots: int, rows: Any, where: Any) -> Any:
    """The connected states at flat slot positions `where`: the sample's `x` with its
    slot's `x[sites] = values` (`slots` slots per sample)."""
    sites, values, x = rows
    base = x[where // slots]
    return jnp.put_along_axis(base, sites[where], values[where], axis=-1, inplace=False)


def chunk_rows(capacity: int) -> int:
    """The rows of the loop's full chunks for a `capacity`: at most `capacity`, a multiple
    of `ROW_ALIGNMENT` from twice that on."""
    if capacity < 2 * ROW_ALIGNMENT:
        return capacity
    return capacity - capacity % ROW_ALIGNMENT


def _tail(capacity: int) -> int:
    return max(1, chunk_rows(chunk_rows(capacity) // _TAIL_FRACTION))


def _chunked_loop(body: Callable, init: Any, count: Any, capacity: int, limit: int) -> Any:
    """`init` folded by `body(acc, offset, size)` over the first `count` positions: full
    chunks of `capacity`, then the rest in chunks of `_tail(capacity)` (so the unused
    rows of the last chunk are fewer than `_tail(capacity)`), or, where the rest is more
    than half a chunk (`_chunk_counts`), one more full chunk; `capacity` taken down to
    `chunk_rows(capacity)`. `limit`: the positions a chunk may reach (the length of the
    buffers it slices), which the extra chunk must not pass."""
    capacity = chunk_rows(capacity)
    tail = _tail(capacity)
    n_full, n_tail = _chunk_counts(count, capacity, tail, limit)

    def stage(acc, n, first, size):
        def step(carry):
            k, acc = carry
            return k + 1, body(acc, first + k * size, size)

        return jax.lax.while_loop(lambda carry: carry[0] < n, step, (jnp.int32(0), acc))[1]

    acc = stage(init, n_full, 0, capacity)
    return stage(acc, n_tail, n_full * capacity, tail)


def _chunk_counts(count: Any, capacity: int, tail: int, limit: int) -> tuple[Any, Any]:
    """The full chunks and tail chunks of `_chunked_loop` for `count` positions (traced
    or not). A rest of more than half a chunk takes one more full chunk (if it ends
    within `limit`), not up to eight tail chunks: each iteration costs its thunks' fixed
    dispatch, about as much as a hundred rows of a small network, so a tail of nine
    chunks of 96 rows took 0.13 ms more than one chunk of 816 on Heisenberg 20 with a
    Dense(40)-gelu-Dense module (10,594 candidates: which side of a multiple of the
    chunk a batch's count fell on decided it). At most half a chunk is left to the
    tail chunks (about four); a network heavy enough that its rows outweigh the
    dispatch pays at most half a chunk of rows more."""
    n_full = count // capacity
    rest = count - n_full * capacity
    one_more = (2 * rest > capacity) & ((n_full + 1) * capacity <= limit)
    n_full = n_full + one_more  # a bool adds as 0 or 1, traced or not
    left = count - n_full * capacity
    n_tail = (left + tail - 1) // tail
    return n_full, n_tail * (left > 0)


def _evaluate(
    logpsi: Callable,
    capacity: int,
    params: Any,
    rows: Any,
    positions: Any,
    count: Any,
    gather: Callable | None = None,
) -> Any:
    """`logpsi(params, rows[p])` at the first `count` of `positions` (chunks of at most
    `capacity` rows at a time), zero elsewhere: shape `(m,)`, `m` the leading dimension of
    `rows`' first leaf. `positions` has at least `m + _tail(capacity)` entries (the unused
    ones `m`). `gather(rows, where)` builds the rows of a chunk (`where < m`); by default
    `rows` is an `(m, N)` array and the chunk `rows[where]`."""
    return _evaluate_vjp(logpsi, capacity, gather or _take_rows, params, rows, positions, count)


def _take_rows(rows: Any, where: Any) -> Any:
    return rows[where]


def _count_of(rows: Any) -> int:
    return jax.tree_util.tree_leaves(rows)[0].shape[0]


def _chunk(gather: Callable, rows: Any, positions: Any, offset: Any, size: int) -> tuple:
    if positions is None:  # rows in the candidates' order: `gather` slices the chunk
        return None, gather(rows, offset, size)
    m = _count_of(rows)
    where = jax.lax.dynamic_slice_in_dim(positions, offset, size)
    return where, gather(rows, jnp.minimum(where, m - 1))


def _forward(logpsi, capacity, gather, params, rows, positions, count):
    return _loop(False, logpsi, capacity, gather, params, rows, positions, count)


def _loop(compact, logpsi, capacity, gather, params, rows, positions, count):
    """The forward loop: values scattered to the slots, or with `compact` written in
    the order of `positions` (`evaluate_compact`)."""
    m = _count_of(rows)
    if positions is None:
        one = jax.eval_shape(lambda r: gather(r, jnp.int32(0), 1), rows)
    else:
        one = jax.eval_shape(lambda r: gather(r, jnp.zeros((1,), jnp.int32)), rows)
    out_dtype = jax.eval_shape(logpsi, params, one).dtype

    def body(out, offset, size):
        where, chunk = _chunk(gather, rows, positions, offset, size)
        values = logpsi(params, chunk).astype(out_dtype)
        if compact:
            return jax.lax.dynamic_update_slice_in_dim(out, values, offset, 0)
        return set_at(out, where, values)

    length = _limit(rows, positions)
    init = varying(jnp.zeros((length if compact else m,), out_dtype))
    return _chunked_loop(body, init, count, capacity, length)


def _limit(rows: Any, positions: Any) -> int:
    """The positions a chunk may reach: the candidates' positions, or without them the
    rows in order (`_chunked_loop`'s `limit`)."""
    return _count_of(rows) if positions is None else positions.shape[0]


def evaluate_compact(
    logpsi: Callable,
    capacity: int,
    params: Any,
    rows: Any,
    positions: Any,
    count: Any,
    gather: Callable | None = None,
) -> Any:
    """`_evaluate` in the order of `positions`: `logpsi(params, rows[positions[i]])` at
    `i < count`, arbitrary values after (shape `positions.shape`). Each chunk's values
    are written as one slice, without the scatter to their slots; the caller takes them
    by the rank of each slot (`dedup.compact_positions(..., ranks=True)`), a gather that
    fuses into its consumer. With `positions` None, `rows` are already in the order
    wanted (at least `count` rounded up to the loop's last chunk) and `gather(rows,
    offset, size)` builds the chunk of `size` rows from `offset` (a slice); the result
    has the length of `rows`."""
    return _compact_vjp(logpsi, capacity, gather or _take_rows, params, rows, positions, count)


def _compact_forward(logpsi, capacity, gather, params, rows, positions, count):
    return _loop(True, logpsi, capacity, gather, params, rows, positions, count)


def _evaluate_fwd(logpsi, capacity, gather, params, rows, positions, count):
    out = _forward(logpsi, capacity, gather, params, rows, positions, count)
    return out, (params, rows, positions, count)


def _evaluate_bwd(logpsi, capacity, gather, residuals, cotangent):
    return _backward(False, logpsi, capacity, gather, residuals, cotangent)


def _backward(compact, logpsi, capacity, gather, residuals, cotangent):
    """The reverse-mode loop of `_loop` (the cotangent of the slots, or with `compact`
    in the order of `positions`)."""
    params, rows, positions, count = residuals
    m = _count_of(rows)

    def body(acc, offset, size):
        where, chunk = _chunk(gather, rows, positions, offset, size)
        if compact:
            ct = jax.lax.dynamic_slice_in_dim(cotangent, offset, size)
        else:
            ct = jnp.where(where < m, cotangent[jnp.minimum(where, m - 1)], 0)
        values, pullback = jax.vjp(lambda p: logpsi(p, chunk), params)
        (grads,) = pullback(ct.astype(values.dtype))
        return jax.tree_util.tree_map(jnp.add, acc, grads)

    zero = jax.tree_util.tree_map(jnp.zeros_like, params)
    init = varying(zero)
    grads = _chunked_loop(body, init, count, capacity, _limit(rows, positions))
    return jax.tree_util.tree_map(_summed_over_copies, grads, params), None, None, None


def _summed_over_copies(grad: Any, param: Any) -> Any:
    """The cotangent `grad` of `param` summed over the manual axes of an enclosing
    `shard_map` that `param` does not vary over: a value that is the same on every
    device (a constant an adapter adds to a network's parameters, such as a zero bias)
    has, as its cotangent, the sum of the devices' (the transpose of its broadcast),
    and a `custom_vjp` must return it with its input's type (JAX: "the manual axis
    types do not match")."""
    extra = tuple(sorted(varying_axes(grad) - varying_axes(param)))
    return jax.lax.psum(grad, extra) if extra else grad


_evaluate_vjp = jax.custom_vjp(_forward, nondiff_argnums=(0, 1, 2))
_evaluate_vjp.defvjp(_evaluate_fwd, _evaluate_bwd)


def _compact_fwd(logpsi, capacity, gather, params, rows, positions, count):
    out = _compact_forward(logpsi, capacity, gather, params, rows, positions, count)
    return out, (params, rows, positions, count)


def _compact_bwd(logpsi, capacity, gather, residuals, cotangent):
    return _backward(True, logpsi, capacity, gather, residuals, cotangent)


_compact_vjp = jax.custom_vjp(_compact_forward, nondiff_argnums=(0, 1, 2))
_compact_vjp.defvjp(_compact_fwd, _compact_bwd)
