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
`params` is not supported (a `custom_vjp`).

`capacity` (the rows of one network call) defaults to what the compiler knows: all
candidates of a batch when every non-diagonal slot is provably valid (TFIM: one chunk,
no slack), else `B * n_valid + ceil(B * n_maybe / 8)` for a batch of `B` samples.
`chunk_size` (NetKet's) bounds the memory: samples are processed in blocks of
`max(1, 8 * chunk_size // F)` (a `lax.map`) and the network never sees more than
`chunk_size` rows at once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from symir.dialects.branch.slot_kinds import SlotKind
from symir.runtime.compiled import CompiledOperator
from symir.runtime.dedup import only_active, repeated_samples, representatives
from symir.runtime.lapack_order import lapack_ordered, network_calls_lapack
from symir.runtime.slots import split_diagonal

__all__ = [
    "LocalEnergyPath",
    "LocalEnergyPlan",
    "choose_path",
    "evaluation_counts",
    "local_energies",
    "local_energy_plan",
]

_MAYBE_FRACTION = 8
"""The default capacity holds one `_MAYBE_FRACTION`-th of the possibly-invalid slots."""
_TAIL_FRACTION = 8
"""The candidates left after the full chunks go in chunks of `capacity // 8`."""
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


def local_energy_plan(op: CompiledOperator) -> LocalEnergyPlan:
    """The `LocalEnergyPlan` of a compiled operator, from the slot kinds of its `branch`
    level (`kernels.slot_kinds()`; kept with its loaded module)."""
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
    """
    compiled = _compiled(op)
    n = compiled.space.size
    shape = tuple(np.shape(x))
    _check_sizes(compiled, shape, chunk_size, capacity)
    if skip_zero_mels is None:
        skip_zero_mels = not compiled.param_names
    plan = local_energy_plan(compiled)
    block_fn = _block_function(logpsi, dedup, fast_updates, capacity, connected_states, compiled)
    if repeated:
        block_fn = functools.partial(_once_per_distinct_sample, block_fn)
    x = jnp.asarray(x)
    batch = shape[:-1]
    flat = jnp.reshape(x, (-1, n))
    b = flat.shape[0]
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
        energies = lapack_ordered(lambda p, f: blocks(ordered, p, f))(params, flat)
    else:
        energies = blocks(logpsi, params, flat)
    return jnp.reshape(energies, batch)


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


def _block_function(
    logpsi: Callable,
    dedup: Any,
    fast_updates: Any,
    capacity: Any,
    connected_states: str = "auto",
    compiled: CompiledOperator | None = None,
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
        return functools.partial(_derived_or_plain, fast_updates is True, not capacity, logpsi)
    if dedup:
        raise ValueError(
            "local_energies: dedup=True compares the connected states, which fast updates "
            "never build; use one of dedup and fast_updates"
        )
    # the loop is handed over (no import back)
    return fast_block(layer, _evaluate, _tail, default_capacity=not capacity)


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


def _derived_or_plain(
    required: bool,
    default_capacity: bool,
    network: Callable,
    logpsi: Callable,
    params: Any,
    xs: Any,
    *rest: Any,
    active: Any = None,
) -> Any:
    """The block of a network without an adapter: by its split (`network_split`) or its
    determinants (`determinant_updates`) where they apply and pay (`choose_path`, on the
    user's `network`; `logpsi` may be its LAPACK-ordered wrapper), else `_delta_block`."""
    compiled, plan = rest[0], rest[1]
    path = choose_path(network, params, xs, compiled, plan, required=required)
    if path.block is not None:
        return path.block(logpsi, params, xs, *rest, active=active)
    if path.split is None:
        if required:
            raise ValueError(f"local_energies(fast_updates=True): {path.reason}")
        return _delta_block(logpsi, params, xs, *rest, active=active)
    from symir.runtime.fast_updates import derived_block

    block = derived_block(path.split, _evaluate, _tail, default_capacity=default_capacity)
    return block(logpsi, params, xs, *rest, active=active)


@dataclass(frozen=True)
class LocalEnergyPath:
    """Which way `local_energies` evaluates the connected states, and why."""

    name: str
    """`"derived"` (the network's split), `"determinant"` (low-rank updates of its
    determinants' inverses), `"deltas"` (the whole network on each connected state,
    built from the deltas)."""
    reason: str
    split: Any = None
    """The `NetworkSplit` used (`"derived"`), else None."""
    block: Any = None
    """The block function of `"determinant"` (`determinant_updates.determinant_block`)."""

    def __str__(self) -> str:
        text = f"local energies: {self.name} ({self.reason})"
        if self.split is not None:
            text += "\n" + str(self.split)
        return text


def choose_path(
    logpsi: Callable,
    params: Any,
    x: Any,
    compiled: CompiledOperator,
    plan: LocalEnergyPlan,
    *,
    required: bool = False,
) -> LocalEnergyPath:
    """With `required` (`fast_updates=True`), the determinants of `logpsi` by low-rank
    updates where its program has them (`determinant_updates`; not yet chosen by cost:
    on Fermi-Hubbard 4x4 with `Slater2nd` it is still 3.7x the plain path); else its
    derived split when it applies and pays on this batch, else the plain path, with the
    reason. Costs, in element operations per call, for `B` samples and
    `C` expected candidates each (the valid slots and an eighth of the others), `N`
    sites, `S` local states, `k` changed sites per slot, `P` the prefix's cost on one
    sample and `H` the cached width: plain `B C P`, derived `N S P` (the tables) plus
    `B C 2 k H`. With `required` the split is used wherever it applies."""
    from symir.runtime.conn_delta import delta_width
    from symir.runtime.determinant_updates import determinant_block
    from symir.runtime.network_split import prefix_cost, split_network

    if required:  # a determinant of gathered rows: its low-rank updates first
        block, why = determinant_block(logpsi, params, x, fallback=_delta_block)
        if block is not None:
            return LocalEnergyPath("determinant", why, block=block)
    split = split_network(logpsi, params, x)
    if not split.applies:
        return LocalEnergyPath("deltas", split.reason)
    b = int(np.prod(np.shape(x)[:-1], dtype=np.int64))
    c = plan.n_valid + (len(plan.candidates) - plan.n_valid) / _MAYBE_FRACTION
    k = delta_width(compiled)
    s = len(compiled.space.local_states)
    p = prefix_cost(split)
    plain = b * c * p
    derived = split.n_sites * s * p + b * c * 2 * k * split.width
    costs = f"prefix {p} per sample, cached width {split.width}; plain {plain:.3g}, derived {derived:.3g}"
    if derived >= plain and not required:
        return LocalEnergyPath("deltas", f"the split does not pay on this batch: {costs}")
    return LocalEnergyPath("derived", costs, split)


CONNECTED_STATES = ("auto", "deltas", "padded")
"""How `local_energies` builds the connected states it evaluates (`connected_states`)."""


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
    one per distinct `x'` of each sample), `capacity`, `chunks` and `evaluations`: the rows
    of all chunks (unused ones included) plus the B samples themselves. Not jitted: for
    benchmarks and tests."""
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
    cap = min(capacity or plan.default_capacity(b), max(m, 1))
    count = int(needed.sum())
    tail = _tail(cap)
    full, rest = divmod(count, cap)
    chunks = full + -(-rest // tail)
    return {
        "padded": b * plan.max_conn_size,
        "candidates": candidates,
        "distinct": count,
        "capacity": cap,
        "chunks": chunks,
        "evaluations": full * cap + -(-rest // tail) * tail + b,
    }


_representatives_jit = jax.jit(representatives)


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
    capacity = min(capacity, m)
    mask = jnp.reshape(evaluate, (m,))
    count = jnp.sum(mask, dtype=jnp.int32)
    (positions,) = jnp.nonzero(mask, size=m + _tail(capacity), fill_value=m)
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
    from symir.runtime.conn_delta import site_changes

    b = x.shape[0]
    sites, values, mels = compiled.get_conn_delta(x)
    logpsi_x = logpsi(params, x)
    total, (sites, values, mels) = split_diagonal(plan, mels, logpsi_x.dtype, (sites, values, mels))
    if not plan.candidates:
        return total
    needed = jnp.any(site_changes(x, sites, values) != 0, axis=-1)
    if skip_zero_mels:
        needed = needed & (mels != 0)
    needed = only_active(needed, active)
    c = len(plan.candidates)
    m = b * c
    k = sites.shape[-1]
    capacity = min(capacity, m)
    mask = jnp.reshape(needed, (m,))
    count = jnp.sum(mask, dtype=jnp.int32)
    (positions,) = jnp.nonzero(mask, size=m + _tail(capacity), fill_value=m)
    rows = (jnp.reshape(sites, (m, k)), jnp.reshape(values, (m, k)), x)
    gather = functools.partial(_rows_from_deltas, c)
    lp = _evaluate(logpsi, capacity, params, rows, positions, count, gather)
    lp = jnp.where(needed, jnp.reshape(lp, needed.shape), logpsi_x[:, None])
    terms = mels * jnp.exp(lp - logpsi_x[:, None])
    return total + jnp.sum(terms, axis=-1)


def _rows_from_deltas(slots: int, rows: Any, where: Any) -> Any:
    """The connected states at flat slot positions `where`: the sample's `x` with its
    slot's `x[sites] = values` (`slots` slots per sample)."""
    sites, values, x = rows
    base = x[where // slots]
    return jnp.put_along_axis(base, sites[where], values[where], axis=-1, inplace=False)


def _tail(capacity: int) -> int:
    return max(1, capacity // _TAIL_FRACTION)


def _varying(tree: Any) -> Any:
    """`tree` made to vary over the manual axes of the enclosing `shard_map` (none
    outside one), so that a loop carry starts with the type its body gives it: the
    body's results vary there (the traced arguments' types inside a `custom_vjp` do not
    say so)."""
    axes = tuple(getattr(jax.sharding.get_abstract_mesh(), "manual_axes", ()) or ())
    if not axes:
        return tree

    def cast(t):
        missing = tuple(a for a in axes if a not in getattr(jax.typeof(t), "vma", ()))
        return jax.lax.pcast(t, missing, to="varying") if missing else t

    return jax.tree_util.tree_map(cast, tree)


def _chunked_loop(body: Callable, init: Any, count: Any, capacity: int) -> Any:
    """`init` folded by `body(acc, offset, size)` over the first `count` positions: full
    chunks of `capacity`, then the rest in chunks of `_tail(capacity)` (so the unused
    rows of the last chunk are fewer than `_tail(capacity)`)."""
    tail = _tail(capacity)
    n_full = count // capacity
    start = n_full * capacity
    n_tail = (count - start + tail - 1) // tail

    def stage(acc, n, first, size):
        def step(carry):
            k, acc = carry
            return k + 1, body(acc, first + k * size, size)

        return jax.lax.while_loop(lambda carry: carry[0] < n, step, (jnp.int32(0), acc))[1]

    acc = stage(init, n_full, 0, capacity)
    return stage(acc, n_tail, start, tail)


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
    m = _count_of(rows)
    where = jax.lax.dynamic_slice_in_dim(positions, offset, size)
    return where, gather(rows, jnp.minimum(where, m - 1))


def _forward(logpsi, capacity, gather, params, rows, positions, count):
    m = _count_of(rows)
    one = jax.eval_shape(lambda r: gather(r, jnp.zeros((1,), jnp.int32)), rows)
    out_dtype = jax.eval_shape(logpsi, params, one).dtype

    def body(out, offset, size):
        where, chunk = _chunk(gather, rows, positions, offset, size)
        values = logpsi(params, chunk).astype(out_dtype)
        return out.at[where].set(values, mode="drop")

    init = _varying(jnp.zeros((m,), out_dtype))
    return _chunked_loop(body, init, count, capacity)


def _evaluate_fwd(logpsi, capacity, gather, params, rows, positions, count):
    out = _forward(logpsi, capacity, gather, params, rows, positions, count)
    return out, (params, rows, positions, count)


def _evaluate_bwd(logpsi, capacity, gather, residuals, cotangent):
    params, rows, positions, count = residuals
    m = _count_of(rows)

    def body(acc, offset, size):
        where, chunk = _chunk(gather, rows, positions, offset, size)
        ct = jnp.where(where < m, cotangent[jnp.minimum(where, m - 1)], 0)
        values, pullback = jax.vjp(lambda p: logpsi(p, chunk), params)
        (grads,) = pullback(ct.astype(values.dtype))
        return jax.tree_util.tree_map(jnp.add, acc, grads)

    zero = jax.tree_util.tree_map(jnp.zeros_like, params)
    init = _varying(zero)
    return _chunked_loop(body, init, count, capacity), None, None, None


_evaluate_vjp = jax.custom_vjp(_forward, nondiff_argnums=(0, 1, 2))
_evaluate_vjp.defvjp(_evaluate_fwd, _evaluate_bwd)
