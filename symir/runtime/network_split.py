"""The network's program split at its linear prefix: fast updates for networks no one wrote
an adapter for.

`split_network(logpsi, params, x)` reads the program of `logpsi(params, x)` (its jaxpr,
traced on one sample; calls to `jit` functions are inlined) and classifies every value by
how it depends on the configuration `x`:

- **const**: not at all (the parameters, what is computed from them only);
- **aligned**: `x` and element-wise maps of it (`(x + 1) // 2`, `x == 1`), element `i`
  reading site `i` only;
- **local**: each element depends on one site of `x` at most (aligned values, a one-hot
  encoding, an embedding gather `table[x]`, reshapes of these, and element-wise maps of
  several operands that all map one local value element for element, as `where(r > 0,
  r, 0.3 r)` of `r = roll(x)`);
- **separable**: a sum over sites, `v(x) = c + sum_s g_s(x_s)`: linear maps of local
  values (`dot_general` / einsum / Dense, convolutions, sums, `+` / `-`, products with
  constants) and reshapes, slices, gathers with constant indices of separable values;
- **other**: anything else (a non-linear function of a separable value).

The **cut** is the set of separable values that an equation of kind *other* reads (or
that `logpsi` returns). They are cached per sample (`theta`), and a connected state `x'`
that differs from `x` at the sites `s_j` has

    theta(x') = theta(x) + sum_j T[s_j, x'_{s_j}] - T[s_j, x_{s_j}]

with the table `T[s, v] = theta(x0 with x0_s = v) - theta(x0)` (any reference `x0`:
exact for a separable `theta`), computed once per call from the parameters by evaluating
the prefix on the `N x (local states)` configurations, and kept as the differences
`T[s, v'] - T[s, v]` of each pair of states (`tables`): one row read per changed site. The **rest**, the equations of
kind *other*, then runs on `theta(x')`: the first layer costs `O(k H)` per connected state
(`k` changed sites, `H` the cached width) instead of `O(N H)`. A network where `x` enters
no linear map (its cut is `x` itself, or an element-wise map of it: nothing to save)
does not split, and the reason says where `x` first meets an operation it does not carry
through (non-linear, or not known to be linear: a `scan`, a scatter).

A rest of NetKet's RBM form, `sum_g coef_g sum log_cosh(u_g)` plus terms affine in the
cached values (`u_g` affine in them too), is recognised from the program
(`symir.runtime.log_cosh_rest`, its `log_cosh` checked by its values, not its name:
`split.log_cosh`), and the derived local energies evaluate it by cosh-ratio tables, with
no transcendental function per hidden unit (`fast_updates._derived_cosh_tables`).

The split prints (`str(split)`): which equations were made incremental, the cached
values with their shapes, how many equations the rest has and whether it is a log-cosh
sum (and why not), or why the network falls back. `symir.local_energies(...,
fast_updates="auto")` uses it for any network without a hand-written adapter
(docs/local-energy.md).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.extend import core

from symir.runtime.jaxpr_eval import bind, run_now
from symir.runtime.manual_axes import type_axes, varying

__all__ = ["NetworkSplit", "split_network"]

CONST, ALIGNED, LOCAL, SEPARABLE, OTHER = "const", "aligned", "local", "separable", "other"

_LINEAR_UNARY = frozenset(
    {"neg", "copy", "copy_p", "real", "imag", "conj", "reduce_precision", "optimization_barrier"}
)
"""Element-wise maps that are additive (a separable input stays separable)."""
_STRUCTURAL = frozenset(
    {
        "reshape",
        "transpose",
        "broadcast_in_dim",
        "squeeze",
        "expand_dims",
        "slice",
        "rev",
        "concatenate",
        "pad",
        "copy",
        "copy_p",
        # the primitives JAX 0.10 binds for `jnp.stack`, `jnp.tile` and `jnp.split`
        # (structural like `concatenate`): without them a network that stacks rolled
        # copies of x, tiles or splits x before its first Dense did not split, its
        # reason naming `stack` a non-linear operation (sweep 23)
        "stack",
        "tile",
        "split",
    }
)
"""Operations that move elements without combining them."""
# `reduce_window_sum` (`nn.avg_pool`, `jax.lax.reduce_window` with `add`): sums over
# windows of sites, a sum like `cumsum`'s; without it a pooling of x before the first
# Dense did not split, its reason calling the pooling a non-linear operation (sweep 23)
_SUMS = frozenset({"reduce_sum", "cumsum", "reduce_window_sum"})
_ELEMENTWISE = frozenset(
    {
        "neg",
        "sign",
        "floor",
        "ceil",
        "round",
        "is_finite",
        "exp",
        "exp2",
        "log",
        "log1p",
        "expm1",
        "tanh",
        "logistic",
        "sin",
        "cos",
        "tan",
        "asin",
        "acos",
        "atan",
        "sinh",
        "cosh",
        "asinh",
        "acosh",
        "atanh",
        "sqrt",
        "rsqrt",
        "cbrt",
        "abs",
        "not",
        "integer_pow",
        "square",
        "real",
        "imag",
        "conj",
        "convert_element_type",
        "erf",
        "erfc",
        "erf_inv",
        "lgamma",
        "digamma",
        "add",
        "sub",
        "mul",
        "div",
        "rem",
        "pow",
        "max",
        "min",
        "atan2",
        "nextafter",
        "and",
        "or",
        "xor",
        "eq",
        "ne",
        "lt",
        "le",
        "gt",
        "ge",
        "select_n",
        "clamp",
        "complex",
        "shift_left",
        "shift_right_logical",
        "shift_right_arithmetic",
        "stop_gradient",
    }
)
"""Element-wise operations (an element of the result reads the same element of each
operand, after broadcasting): local inputs give a local result."""
_INLINE = frozenset({"jit", "pjit", "closed_call", "core_call", "remat2", "checkpoint"})
"""Calls whose body is evaluated in place: `jit`, and `flax.linen.remat`'s
rematerialisation (`remat2`), which changes what a backward pass stores, not the values
(a gradient through the derived path then stores the inlined layer's intermediates)."""


@dataclass(frozen=True)
class _Eqn:
    """One equation of the inlined program: value ids in, value ids out."""

    primitive: Any
    params: dict
    ins: tuple[Any, ...]
    """Value ids (int) or `_Lit` constants."""
    outs: tuple[int, ...]
    source: str


@dataclass(frozen=True)
class _Lit:
    value: Any


@dataclass
class _Program:
    eqns: list[_Eqn] = field(default_factory=list)
    avals: dict[int, Any] = field(default_factory=dict)
    consts: dict[int, Any] = field(default_factory=dict)
    next_id: int = 0

    def new(self, aval: Any) -> int:
        self.next_id += 1
        self.avals[self.next_id] = aval
        return self.next_id


_LIBRARIES = ("/jax/", "/jaxlib/", "/flax/", "/netket/", "/symir/runtime/")


def _source(eqn: Any) -> str:
    """`file:line` of the user's code that made `eqn` (the innermost frame outside JAX,
    Flax, NetKet and this runtime), or the equation's name stack."""
    traceback = getattr(eqn.source_info, "traceback", None)
    frames = getattr(traceback, "frames", None) or ()
    for frame in frames:
        if not any(lib in frame.file_name for lib in _LIBRARIES):
            return f"{frame.file_name.rsplit('/', 1)[-1]}:{frame.line_num}"
    name = str(getattr(eqn.source_info, "name_stack", ""))
    if name:
        return name
    for frame in frames:  # a library's network (NetKet's LogStateVector): its own line
        if not any(lib in frame.file_name for lib in ("/jax/", "/jaxlib/")):
            return f"{frame.file_name.rsplit('/', 1)[-1]}:{frame.line_num}"
    return "?"


def _inline(
    program: _Program, jaxpr: Any, consts: Any, args: list[Any], outer: str = "?"
) -> list[Any]:
    """Appends `jaxpr`'s equations to `program` (calls inlined), reading `args`; returns
    the output ids. An equation with no source of its own (inside a library's `jit`, as
    `jnp.sort`) takes the source of the call it was inlined from, `outer`."""
    env: dict[Any, Any] = {}
    for var, value in zip(jaxpr.constvars, consts, strict=True):
        vid = program.new(var.aval)
        program.consts[vid] = value
        env[var] = vid
    for var, value in zip(jaxpr.invars, args, strict=True):
        env[var] = value

    def read(v: Any) -> Any:
        return _Lit(v.val) if isinstance(v, core.Literal) else env[v]

    for eqn in jaxpr.eqns:
        ins = [read(v) for v in eqn.invars]
        source = _source(eqn)
        source = outer if source == "?" else source
        if eqn.primitive.name in _INLINE and "jaxpr" in eqn.params:
            body = eqn.params["jaxpr"]
            if isinstance(body, core.ClosedJaxpr):
                outs = _inline(program, body.jaxpr, body.consts, ins, source)
            else:  # remat2 holds an open program without constants
                outs = _inline(program, body, (), ins, source)
        else:
            outs = [program.new(v.aval) for v in eqn.outvars]
            program.eqns.append(
                _Eqn(eqn.primitive, dict(eqn.params), tuple(ins), tuple(outs), source)
            )
        for var, value in zip(eqn.outvars, outs, strict=True):
            if not isinstance(var, core.DropVar):
                env[var] = value
    return [read(v) for v in jaxpr.outvars]


def _structural(eqn: _Eqn, kinds: list[str], worst: str) -> str:
    return worst if eqn.primitive.name != "pad" or kinds[1] == CONST else OTHER


def _convert(eqn: _Eqn, kinds: list[str], worst: str) -> str:
    inexact = jnp.issubdtype(eqn.params["new_dtype"], jnp.inexact)
    return worst if worst == LOCAL or inexact else OTHER  # rounding to integers is not additive


def _add(eqn: _Eqn, kinds: list[str], worst: str) -> str:
    two = sum(k != CONST for k in kinds) == 2
    return SEPARABLE if two or worst == SEPARABLE else LOCAL


def _scale(eqn: _Eqn, kinds: list[str], worst: str) -> str:
    if sum(k != CONST for k in kinds) != 1:
        return OTHER
    if eqn.primitive.name == "div" and kinds[1] != CONST:
        return OTHER if worst == SEPARABLE else LOCAL
    return worst


def _linear_map(eqn: _Eqn, kinds: list[str], worst: str) -> str:
    if eqn.primitive.name == "conv_general_dilated" and kinds[1] != CONST:
        return OTHER
    return SEPARABLE if sum(k != CONST for k in kinds) == 1 else OTHER


def _gather(eqn: _Eqn, kinds: list[str], worst: str) -> str:
    if all(k == CONST for k in kinds[1:]):
        return worst  # constant indices: elements moved
    if eqn.primitive.name == "gather" and kinds[0] == CONST and worst == LOCAL:
        return LOCAL  # an embedding: table[x]
    return OTHER


def _select(eqn: _Eqn, kinds: list[str], worst: str) -> str:
    return worst if kinds[0] == CONST else _local_map(eqn, kinds, worst)


def _local_map(eqn: _Eqn, kinds: list[str], worst: str) -> str:
    one = sum(k != CONST for k in kinds) == 1
    return LOCAL if one and worst == LOCAL else OTHER


_RULES: dict[str, Callable[[_Eqn, list[str], str], str]] = {
    **dict.fromkeys(_STRUCTURAL, _structural),
    **dict.fromkeys(_LINEAR_UNARY, lambda eqn, kinds, worst: worst),
    **dict.fromkeys(_SUMS, lambda eqn, kinds, worst: SEPARABLE),
    "convert_element_type": _convert,
    "add": _add,
    "sub": _add,
    "add_any": _add,
    "mul": _scale,
    "div": _scale,
    "dot_general": _linear_map,
    "conv_general_dilated": _linear_map,
    "fft": lambda eqn, kinds, worst: SEPARABLE,
    "gather": _gather,
    "dynamic_slice": _gather,
    "select_n": _select,
}
"""How each operation combines its operands' kinds (given that one is x-dependent and
none is *other*); an element-wise operation not listed is `_local_map`, anything else
*other*."""


def _kind_of(eqn: _Eqn, kinds: list[str]) -> str:
    """The kind of an equation's results from its operands' kinds (module docstring)."""
    name = eqn.primitive.name
    dependent = [k for k in kinds if k != CONST]
    if not dependent:
        return CONST
    if OTHER in dependent:
        return OTHER
    if name in _ELEMENTWISE and all(k == ALIGNED for k in dependent):
        return ALIGNED  # x and element-wise maps of x, element for element
    worst = SEPARABLE if SEPARABLE in dependent else LOCAL
    rule = _RULES.get(name, _local_map if name in _ELEMENTWISE else None)
    kind = OTHER if rule is None else rule(eqn, kinds, worst)
    if kind == OTHER and rule is not _local_map and name in _ELEMENTWISE:
        return _local_map(eqn, kinds, worst)
    return kind


def _one_site_vectors(program: _Program, producers: dict, kinds: dict, v: Any) -> bool:
    """Whether each vector along the last axis of the local value `v` (a gather's index
    vectors) reads one site at most: a *local* value's elements each read one site, but
    not the same one (`t[x_i, x_j]` gathers by the vectors `(x_i, x_j)`). Proved for a
    last axis of one element, for a concatenation along it of constants and one such
    value, and through broadcasts and element-wise maps of one such value; otherwise
    not (the gather is then *other*)."""
    shape = program.avals[v].shape
    if shape and shape[-1] == 1:
        return True
    eqn = producers.get(v)
    if eqn is None:
        return False
    dependent = [u for u in eqn.ins if not isinstance(u, _Lit) and kinds[u] != CONST]
    name = eqn.primitive.name
    if len(dependent) != 1:
        return False
    (u,) = dependent
    if name == "concatenate":
        return eqn.params["dimension"] == len(shape) - 1 and _one_site_vectors(
            program, producers, kinds, u
        )
    if name == "broadcast_in_dim":
        dims = eqn.params["broadcast_dimensions"]
        last = len(shape) - 1
        if last not in dims:
            return True  # a new last axis: copies of one element
        source = dims.index(last)
        in_shape = program.avals[u].shape
        if in_shape[source] == 1:
            return True
        return source == len(in_shape) - 1 and _one_site_vectors(program, producers, kinds, u)
    if name in _ELEMENTWISE and program.avals[u].shape == shape:
        return _one_site_vectors(program, producers, kinds, u)
    return False


@dataclass(frozen=True)
class NetworkSplit:
    """What `split_network` found (the module docstring); `applies` says whether the
    network is evaluated incrementally, `reason` why not."""

    applies: bool
    reason: str
    incremental: tuple[str, ...] = ()
    """The equations made incremental (the prefix), as `primitive @ source`."""
    cached: tuple[tuple[str, tuple[int, ...], str], ...] = ()
    """The cached values (the cut): `(name, shape of one sample, dtype)`."""
    rest: tuple[str, ...] = ()
    """The primitives of the rest, evaluated per connected state."""
    width: int = 0
    """Elements cached per sample (`H`): the first layer's cost per connected state is
    `O(k H)`."""
    n_sites: int = 0
    program: Any = field(default=None, repr=False, compare=False)
    log_cosh: Any = field(default=None, repr=False, compare=False)
    """The rest recognised as a log-cosh sum (`log_cosh_rest.LogCoshRest`: evaluated by
    cosh-ratio tables), else None."""
    log_cosh_reason: str = ""
    """Why the rest is not a log-cosh sum (`log_cosh_rest.recognise`)."""

    def __str__(self) -> str:
        if not self.applies:
            return f"network split: falls back ({self.reason})"
        counts = Counter(self.rest)
        rest = ", ".join(f"{n} x{c}" if c > 1 else n for n, c in sorted(counts.items()))
        if self.log_cosh is not None:
            form = f"  rest is {self.log_cosh.describe()}"
        else:
            form = f"  rest is not a log-cosh sum ({self.log_cosh_reason})"
        lines = [
            f"network split: incremental (cached width H = {self.width} per sample, "
            f"N = {self.n_sites} sites)",
            "  made incremental (x enters through):",
            *(f"    {e}" for e in self.incremental),
            "  cached per sample:",
            *(f"    {n}: {dtype}{list(shape)}" for n, shape, dtype in self.cached),
            f"  rest, per connected state ({len(self.rest)} equations): {rest}",
            form,
        ]
        return "\n".join(lines)


@dataclass(frozen=True, eq=False)
class _Plan:
    """The evaluation plan of a split program (value ids by role)."""

    program: _Program
    param_ids: tuple[int, ...]
    x_id: int
    out: Any
    const_eqns: tuple[_Eqn, ...]
    prefix_eqns: tuple[_Eqn, ...]
    rest_eqns: tuple[_Eqn, ...]
    const_ids: tuple[int, ...]
    """The const values the prefix and the rest read."""
    cut_ids: tuple[int, ...]
    param_tree: Any
    retrace: Callable | None = None
    """`rows -> _Program`: `logpsi` traced anew on `rows` samples (`_batched`)."""
    batched: dict = field(default_factory=dict)
    """The rest's equations and inlined constants of the program traced on `r` rows, by
    `r` (None where that program does not match this one: `_batched`)."""


def split_network(logpsi: Callable, params: Any, x: Any) -> NetworkSplit:
    """The split of `logpsi(params, x)` (`x`: one sample or a batch; traced on one)."""
    x1 = jnp.asarray(x)
    x1 = jnp.reshape(x1, (-1, x1.shape[-1]))[:1]
    n = x1.shape[-1]
    leaves, tree = jax.tree_util.tree_flatten(params)
    try:
        closed = jax.make_jaxpr(
            lambda flat, x: logpsi(jax.tree_util.tree_unflatten(tree, flat), x)
        )(leaves, x1)
    except Exception as error:  # the network does not trace: the plain path reports it
        return NetworkSplit(False, f"logpsi could not be traced: {type(error).__name__}: {error}")
    program = _Program()
    ins = [program.new(v.aval) for v in closed.jaxpr.invars]
    (out,) = _inline(program, closed.jaxpr, closed.consts, ins)
    param_ids, x_id = tuple(ins[:-1]), ins[-1]
    # the types of the traced inputs, with the manual axes they vary over inside a
    # `shard_map` (NetKet's sharded kernels): a program traced on invariant inputs has
    # invariant values inside its calls (`custom_jvp_call` of `relu`), which then meet
    # the varying cached values
    abstract = [jax.typeof(v) for v in leaves]
    x_type = jax.typeof(x1)

    def retrace(rows: int) -> _Program:
        closed = jax.make_jaxpr(
            lambda flat, x: logpsi(jax.tree_util.tree_unflatten(tree, flat), x)
        )(abstract, x_type.update(shape=(rows, n)))
        batched = _Program()
        ins = [batched.new(v.aval) for v in closed.jaxpr.invars]
        _inline(batched, closed.jaxpr, closed.consts, ins)
        return batched

    if isinstance(out, _Lit):
        return NetworkSplit(False, "logpsi does not depend on x")
    kinds: dict[int, str] = {i: CONST for i in param_ids}
    kinds.update({i: CONST for i in program.consts})
    kinds[x_id] = ALIGNED
    readers = _classify(program, kinds)
    return _finish(program, kinds, readers, param_ids, x_id, out, tree, n, retrace)


def _classify(program: _Program, kinds: dict[int, str]) -> dict[int, list[_Eqn]]:
    """The kind of every value of `program` (into `kinds`, which holds the inputs'), and
    the equations that read each value."""
    readers: dict[int, list[_Eqn]] = {}
    producers: dict[int, _Eqn] = {}
    roots: dict[int, int] = {}  # a local value: the value it maps element for element
    for eqn in program.eqns:
        in_kinds = [CONST if isinstance(v, _Lit) else kinds[v] for v in eqn.ins]
        kind = _kind_of(eqn, in_kinds)
        root = _common_root(program, eqn, kinds, roots)
        if kind == OTHER and root is not None:
            kind = LOCAL  # element-wise maps of one local value, element for element
        if (
            kind == LOCAL
            and eqn.primitive.name == "gather"
            and in_kinds[1] != CONST
            and not _one_site_vectors(program, producers, kinds, eqn.ins[1])
        ):
            kind = OTHER  # an element of the result reads its whole index vector
        if kind == SEPARABLE and not _keeps_sums(program, eqn):
            kind = OTHER
        for o in eqn.outs:
            kinds[o] = kind
            producers[o] = eqn
            if kind == LOCAL:
                roots[o] = o if root is None else root
        for v in eqn.ins:
            if not isinstance(v, _Lit):
                readers.setdefault(v, []).append(eqn)
    return readers


def _keeps_sums(program: _Program, eqn: _Eqn) -> bool:
    """Whether `eqn`, given a sum over sites, gives the sum of its results on the terms
    (what the rules assume of an operation that passes a separable value on) where the
    dtypes decide it. An integer sum wraps around (NetKet's samples are int8: a network
    may sum them in int8): the wrapped sum is still a sum modulo 2^bits, so integer
    arithmetic, and narrowing to an integer of the same or fewer bits, keep it one, but
    converting it to a float or to a wider integer does not (the wrapped sum minus the
    exact one is a multiple of 2^bits that depends on all the sites), nor does an
    integer division (`(a + b) // c` is not `a // c + b // c`)."""
    name = eqn.primitive.name
    if name not in ("convert_element_type", "div"):
        return True
    ids = [v for v in eqn.ins if not isinstance(v, _Lit)]
    if not ids:
        return True
    old = np.dtype(program.avals[ids[0]].dtype)
    if name == "div":
        return not jnp.issubdtype(old, jnp.integer)
    new = np.dtype(eqn.params["new_dtype"])
    if jnp.issubdtype(old, jnp.integer) or old == np.bool_:
        return jnp.issubdtype(new, jnp.integer) and new.itemsize <= old.itemsize
    return jnp.issubdtype(new, jnp.inexact)


def _common_root(program: _Program, eqn: _Eqn, kinds: dict, roots: dict) -> int | None:
    """The value that every x-dependent operand of the element-wise `eqn` maps element
    for element (`roots`), where they share one and have the result's shape, else None.
    Each element of the result then reads the one site that element of that value reads:
    `where(r > 0, r, 0.3 r)` of `r = roll(x)` is *local*, as it is of `x` itself."""
    if eqn.primitive.name not in _ELEMENTWISE or len(eqn.outs) != 1:
        return None
    shape = program.avals[eqn.outs[0]].shape
    found = set()
    for v in eqn.ins:
        if isinstance(v, _Lit) or kinds[v] == CONST:
            continue
        if kinds[v] != LOCAL or v not in roots or program.avals[v].shape != shape:
            return None
        found.add(roots[v])
    return found.pop() if len(found) == 1 else None


_PULL_BACK = _LINEAR_UNARY | _STRUCTURAL | {"convert_element_type"}
"""Cheap operations that the rest can redo on the cached values before them."""


def _size(program: _Program, v: int) -> int:
    return int(np.prod(program.avals[v].shape, dtype=np.int64))


def _pull_back(program: _Program, kinds: dict, readers: dict, cut: list[int]) -> None:
    """Caches the operands of a cut value instead of the value itself where it is a cheap
    map of them (`_PULL_BACK`) read only by the rest and they are no larger (the real
    part of a cached value, a reshape, a broadcast): each value cached once, the cheap
    map moved to the rest (`kinds` and `cut` are updated)."""
    producer = {o: e for e in program.eqns for o in e.outs}
    changed = True
    while changed:
        changed = False
        for v in list(cut):
            eqn = producer.get(v)
            if eqn is None or eqn.primitive.name not in _PULL_BACK or len(eqn.outs) != 1:
                continue
            if any(kinds[r.outs[0]] != OTHER for r in readers.get(v, ())):
                continue
            inputs = [i for i in eqn.ins if not isinstance(i, _Lit) and kinds[i] != CONST]
            new = [i for i in dict.fromkeys(inputs) if i not in cut]
            if sum(_size(program, i) for i in new) > _size(program, v):
                continue
            kinds[v] = OTHER
            cut.remove(v)
            cut.extend(new)
            changed = True


def _narrow_sum(program: _Program, kinds: dict, prefix: tuple, out: int) -> str | None:
    """Why the split would not reproduce the network's values where a sum over sites of
    its prefix is computed in a float narrower than its output (`x - jnp.mean(x)` of
    NetKet's int8 samples is float32 in a float64 network): updated by the changed
    sites, the sum rounds differently from the network's own (E_loc 7e-6 apart on TFIM
    12, sweep 22), where the issue asks NetKet's values to 1e-10. None where every sum
    is as wide as the output (a float32 network's sums round like its output)."""
    wide = np.dtype(program.avals[out].dtype)
    precision = np.finfo(wide).eps if jnp.issubdtype(wide, jnp.inexact) else 0.0
    for eqn in prefix:
        o = eqn.outs[0]
        dtype = np.dtype(program.avals[o].dtype)
        if kinds[o] != SEPARABLE or not jnp.issubdtype(dtype, jnp.inexact):
            continue
        if np.finfo(dtype).eps > precision:
            return (
                f"x's sums over sites are {dtype} ({eqn.primitive.name} @ {eqn.source}) in a "
                f"network whose output is {wide}: updated by the changed sites they would "
                "round differently from the network's own values"
            )
    return None


def _finish(program, kinds, readers, param_ids, x_id, out, tree, n, retrace=None) -> NetworkSplit:
    if kinds[out] == CONST:
        return NetworkSplit(False, "logpsi does not depend on x")
    cut: list[int] = []
    first_other: _Eqn | None = None
    for eqn in program.eqns:
        if kinds[eqn.outs[0]] != OTHER:
            continue
        first_other = first_other or eqn
        for v in eqn.ins:
            if not isinstance(v, _Lit) and kinds[v] in (ALIGNED, LOCAL, SEPARABLE) and v not in cut:
                cut.append(v)
    if kinds[out] in (ALIGNED, LOCAL, SEPARABLE) and out not in cut:
        cut.append(out)
    _pull_back(program, kinds, readers, cut)
    if all(kinds[v] in (ALIGNED, LOCAL) for v in cut):
        where = (
            f"{first_other.primitive.name} @ {first_other.source}"
            if first_other is not None
            else "the output"
        )
        return NetworkSplit(
            False,
            f"x enters no linear map before a non-linear operation, or one the split does not "
            f"know to be linear such as a `scan` or a scatter ({where}): the values to cache "
            "would be x itself, nothing is saved",
        )
    needed = _ancestors(program, cut, out)
    prefix = tuple(
        e
        for e in program.eqns
        if kinds[e.outs[0]] in (ALIGNED, LOCAL, SEPARABLE) and e.outs[0] in needed
    )
    narrow = _narrow_sum(program, kinds, prefix, out)
    if narrow is not None:
        return NetworkSplit(False, narrow)
    rest = tuple(e for e in program.eqns if kinds[e.outs[0]] == OTHER and e.outs[0] in needed)
    const_eqns = tuple(e for e in program.eqns if kinds[e.outs[0]] == CONST and e.outs[0] in needed)
    const_ids = sorted(
        {
            v
            for e in (*prefix, *rest)
            for v in e.ins
            if not isinstance(v, _Lit) and kinds[v] == CONST
        }
        | ({out} if kinds[out] == CONST else set())
    )
    plan = _Plan(
        program,
        param_ids,
        x_id,
        out,
        const_eqns,
        prefix,
        rest,
        tuple(const_ids),
        tuple(cut),
        tree,
        retrace,
    )
    cached = tuple(
        (f"theta{i}", tuple(program.avals[v].shape), str(program.avals[v].dtype))
        for i, v in enumerate(cut)
    )
    width = int(sum(np.prod(program.avals[v].shape, dtype=np.int64) for v in cut))
    log_cosh, log_cosh_reason = None, "not recognised (LOG_COSH_REST off)"
    if LOG_COSH_REST:
        from symir.runtime.log_cosh_rest import recognise

        log_cosh, log_cosh_reason = recognise(plan, kinds, VOCABULARY)
    return NetworkSplit(
        True,
        "",
        tuple(f"{e.primitive.name} @ {e.source}" for e in prefix),
        cached,
        tuple(e.primitive.name for e in rest),
        width,
        n,
        plan,
        log_cosh,
        log_cosh_reason,
    )


LOG_COSH_REST = True
"""`split_network` recognises a rest of NetKet's RBM form, `sum_g coef_g sum
log_cosh(u_g)` plus terms affine in the cached values (`symir.runtime.log_cosh_rest`),
which the derived local energies then evaluate by cosh-ratio tables
(`fast_updates._derived_cosh_tables`) in place of the rest."""


def _ancestors(program: _Program, cut: list[int], out: Any) -> set[int]:
    """The values that the cut and the output need (by a backward walk)."""
    producer = {o: e for e in program.eqns for o in e.outs}
    needed: set[int] = set()
    stack = [v for v in (*cut, out) if not isinstance(v, _Lit)]
    while stack:
        v = stack.pop()
        if v in needed:
            continue
        needed.add(v)
        eqn = producer.get(v)
        if eqn is not None:
            needed.update(eqn.outs)
            stack.extend(i for i in eqn.ins if not isinstance(i, _Lit))
    return needed


_TRANSCENDENTAL = frozenset(
    {"exp", "exp2", "expm1", "log", "log1p", "tanh", "logistic", "erf", "erfc", "erf_inv"}
    | {"sin", "cos", "tan", "atan2", "pow", "sqrt", "rsqrt", "cbrt", "lgamma", "digamma"}
)
"""Element-wise functions counted `TRANSCENDENTAL_WEIGHT` operations per element."""
TRANSCENDENTAL_WEIGHT = 8
_FACTORIZATIONS = frozenset({"lu", "cholesky", "eigh", "eig", "qr", "svd", "triangular_solve"})
LAPACK_CALL_COST = 1000
"""Element operations a factorisation costs per matrix besides its `n^3 / 3` (on CPU a
small matrix's LAPACK call is dominated by its fixed cost)."""


def prefix_cost(split: NetworkSplit) -> int:
    """Element operations of the prefix on one sample: a `dot_general` or convolution
    costs its result's size times the elements it contracts, an exponential, logarithm or
    hyperbolic function `TRANSCENDENTAL_WEIGHT` per element of its result, a factorisation
    of `n x n` matrices (or a custom rule on one: `slogdet`) `n^3 / 3 + LAPACK_CALL_COST`
    per matrix, anything else its largest operand or result."""
    plan: _Plan = split.program
    return _eqns_cost(plan.program, plan.prefix_eqns)


def rest_cost(split: NetworkSplit, *, as_written: bool = False) -> int:
    """Element operations of the rest on one connected state (as `prefix_cost`); a rest
    recognised as a log-cosh sum (`split.log_cosh`), unless `as_written` (the network
    evaluated whole), as the derived path evaluates it: the equations of its columns and
    `COSH_COLUMN_COST` a column."""
    plan: _Plan = split.program
    if split.log_cosh is not None and not as_written:
        columns = _eqns_cost(plan.program, split.log_cosh.eqns)
        return columns + COSH_COLUMN_COST * split.log_cosh.width
    return _eqns_cost(plan.program, plan.rest_eqns)


COSH_COLUMN_COST = 6
"""Element operations of a log-cosh column's ratio on one connected state
(`fast_updates._derived_cosh_ratio`: `alpha q + beta / q`, its share of a product and
of one logarithm, `TRANSCENDENTAL_WEIGHT`, per `fast_updates.GROUP` columns), besides the
`2 k` of the changes that every derived row costs (`local_energy.derived_row_cost`)."""


def rest_has_matmul(split: NetworkSplit, width: int = 8) -> bool:
    """Whether the rest multiplies a matrix into each connected state's values: a
    `dot_general` or convolution whose result on one state has at least `width` elements
    (a second Dense layer; not the last layer's product to one output, an element-wise
    map's cost). Such a rest runs faster on large chunks of rows (`fast_updates`)."""
    plan: _Plan = split.program
    avals = plan.program.avals
    for eqn in plan.rest_eqns:
        if eqn.primitive.name in ("dot_general", "conv_general_dilated"):
            out = avals[eqn.outs[0]].shape
            if int(np.prod(out, dtype=np.int64)) >= width:
                return True
    return False


def _eqns_cost(program: _Program, eqns: tuple[_Eqn, ...]) -> int:
    avals = program.avals
    total = 0
    for eqn in eqns:
        sizes = [int(np.prod(avals[o].shape, dtype=np.int64)) for o in eqn.outs]
        sizes += [
            int(
                np.prod(
                    np.shape(v.value) if isinstance(v, _Lit) else avals[v].shape, dtype=np.int64
                )
            )
            for v in eqn.ins
        ]
        size = max(sizes or [1])
        if eqn.primitive.name == "dot_general":
            (contract, _), _ = eqn.params["dimension_numbers"]
            lhs = eqn.ins[0]
            shape = np.shape(lhs.value) if isinstance(lhs, _Lit) else avals[lhs].shape
            size = sizes[0] * int(np.prod([shape[d] for d in contract], dtype=np.int64))
        elif eqn.primitive.name == "conv_general_dilated":
            rhs = eqn.ins[1]
            kernel = np.shape(rhs.value) if isinstance(rhs, _Lit) else avals[rhs].shape
            size = sizes[0] * int(np.prod(kernel, dtype=np.int64)) // max(1, kernel[0])
        elif eqn.primitive.name in _TRANSCENDENTAL:
            size = sizes[0] * TRANSCENDENTAL_WEIGHT
        elif eqn.primitive.name in _FACTORIZATIONS or eqn.primitive.name.startswith("custom_"):
            square = [
                avals[v].shape
                for v in eqn.ins
                if not isinstance(v, _Lit)
                and len(avals[v].shape) >= 2
                and avals[v].shape[-1] == avals[v].shape[-2]
            ]
            if square:  # a factorisation (slogdet, solve: an `lu` in a custom rule)
                m = square[0][-1]
                batch = int(np.prod(square[0][:-2], dtype=np.int64))
                size = max(size, batch * (m**3 // 3 + LAPACK_CALL_COST))
        total += size
    return max(1, total)


# --------------------------------------------------------------------------- evaluation


def _bind(eqn: _Eqn, env: dict) -> None:
    ins = [v.value if isinstance(v, _Lit) else env[v] for v in eqn.ins]
    for o, value in zip(eqn.outs, bind(eqn, ins), strict=True):
        env[o] = value


def _run(eqns: tuple[_Eqn, ...], env: dict) -> dict:
    for eqn in eqns:
        _bind(eqn, env)
    return env


def constants(split: NetworkSplit, params: Any) -> tuple[Any, ...]:
    """The const values the prefix and the rest read, from the parameters (once per call)."""
    plan: _Plan = split.program
    env = dict(plan.program.consts)
    env.update(zip(plan.param_ids, jax.tree_util.tree_leaves(params), strict=True))
    _run(plan.const_eqns, env)
    return tuple(env[i] for i in plan.const_ids)


def _env(plan: _Plan, consts: tuple[Any, ...]) -> dict:
    env = dict(plan.program.consts)
    env.update(zip(plan.const_ids, consts, strict=True))
    return env


VOCABULARY = SimpleNamespace(
    _Lit=_Lit,
    CONST=CONST,
    SEPARABLE=SEPARABLE,
    keeps_sums=_keeps_sums,
    _ELEMENTWISE=_ELEMENTWISE,
    _STRUCTURAL=_STRUCTURAL,
    _run=_run,
    _env=_env,
)
"""What `symir.runtime.log_cosh_rest` reads of a split's program (its literals, the kind
of a constant, the element-wise and structural primitives, running equations, the
environment of the constants), given to it by this module, which imports it (not the
other way round: no import cycle)."""


def theta(split: NetworkSplit, consts: tuple[Any, ...], x: Any) -> tuple[Any, ...]:
    """The cached values of each sample of `x (b, N)`: a tuple of `(b, *shape)` arrays.

    Evaluated, as `rest`, by the program of `logpsi` traced on `b` samples where it
    matches (`_batched`): the prefix is then the network's own first layer on `x`, the
    same operations as `logpsi(params, x)`, which XLA computes once for both (inside
    `expect_and_grad` the gradient's forward pass reads it too); else by `vmap`."""
    plan: _Plan = split.program
    b = x.shape[0]
    batched = _batched(plan, b, plan.prefix_eqns) if SHARED_PREFIX else None
    if batched is not None:
        eqns, program_consts = batched
        env = dict(program_consts)
        env.update(zip(plan.const_ids, consts, strict=True))
        env[plan.x_id] = x.astype(plan.program.avals[plan.x_id].dtype)
        _run(eqns, env)
        return tuple(jnp.reshape(env[v], (b, *plan.program.avals[v].shape)) for v in plan.cut_ids)

    def one(xi):
        env = _env(plan, consts)
        env[plan.x_id] = xi[None].astype(plan.program.avals[plan.x_id].dtype)
        _run(plan.prefix_eqns, env)
        return tuple(env[v] for v in plan.cut_ids)

    return jax.vmap(one)(x)


SHARED_PREFIX = True
"""`theta` evaluates the prefix by the program traced on the block's samples (`_batched`),
so that XLA merges it with the network's own first layer on them."""


def _batched(
    plan: _Plan, rows: int, eqns: tuple[_Eqn, ...] | None = None
) -> tuple[tuple[_Eqn, ...], dict] | None:
    """The rest's equations (or those of `eqns`) of `logpsi` traced on `rows` samples, where that program is
    this one with its sample dimension `rows` long: the same equations (so the same
    value ids), each value of the same dtype and shape but for a leading 1 made `rows`
    (the cached values among them), and the constants the rest reads unchanged. None
    otherwise (`rest` then maps the one-sample rest over the rows)."""
    if rows not in plan.batched:
        try:
            other = plan.retrace(rows) if plan.retrace is not None and rows > 1 else None
        except Exception:  # a network that does not trace at this size: vmap
            other = None
        plan.batched[rows] = other if other is not None and _matches(plan, other, rows) else None
    other = plan.batched[rows]
    if other is None:
        return None
    wanted = {e.outs[0] for e in (plan.rest_eqns if eqns is None else eqns)}
    return tuple(e for e in other.eqns if e.outs[0] in wanted), other.consts


def _matches(plan: _Plan, other: _Program, rows: int) -> bool:
    program = plan.program
    if len(other.eqns) != len(program.eqns) or set(other.avals) != set(program.avals):
        return False
    for a, b in zip(program.eqns, other.eqns, strict=True):
        if a.primitive is not b.primitive or a.outs != b.outs:
            return False
        if [isinstance(v, _Lit) for v in a.ins] != [isinstance(v, _Lit) for v in b.ins]:
            return False
    for i, aval in program.avals.items():
        new = other.avals[i]
        if new.dtype != aval.dtype or type_axes(new) != type_axes(aval):
            return False
        same = tuple(new.shape) == tuple(aval.shape)
        if not same and (
            not aval.shape or aval.shape[0] != 1 or new.shape != (rows, *aval.shape[1:])
        ):
            return False
    batched = (*plan.cut_ids, *([] if isinstance(plan.out, _Lit) else [plan.out]))
    for i in batched:
        shape = program.avals[i].shape
        if not shape or shape[0] != 1 or other.avals[i].shape != (rows, *shape[1:]):
            return False
    return all(other.avals[i].shape == program.avals[i].shape for i in plan.const_ids)


def rest(split: NetworkSplit, consts: tuple[Any, ...], cached: tuple[Any, ...]) -> Any:
    """`logpsi` of each row from its cached values (`(r, *shape)` arrays): `(r,)`.

    Evaluated by the program of `logpsi` traced on `r` samples where it is the one-sample
    program with a longer sample dimension (`_batched`: XLA then sees the network's own
    `(r, H)` values; mapping the one-sample program gives `(r, 1, H)` ones, whose
    element-wise maps before a matrix product ran 4x slower on CPU), else by `vmap`."""
    plan: _Plan = split.program
    r = jax.tree_util.tree_leaves(cached)[0].shape[0]
    batched = _batched(plan, r)
    if batched is not None:
        eqns, program_consts = batched
        env = dict(program_consts)
        env.update(zip(plan.const_ids, consts, strict=True))
        for i, v in zip(plan.cut_ids, cached, strict=True):
            env[i] = jnp.reshape(v, (r, *v.shape[2:]))
        _run(eqns, env)
        return jnp.reshape(env[plan.out], (r,))

    def one(values):
        env = _env(plan, consts)
        env.update(zip(plan.cut_ids, values, strict=True))
        _run(plan.rest_eqns, env)
        out = plan.out
        return (out.value if isinstance(out, _Lit) else env[out]).reshape(())

    return jax.vmap(one)(cached)


def non_finite_change(split: NetworkSplit, params: Any, local_states: Any) -> str | None:
    """Why the split's changes cannot be added, or None: a cached value that is not finite
    on a configuration of `tables` (`x0`, all `local_states[0]`, and `x0` with one site
    changed), as `1 / x` or `log(x)` at `x = 0` where a later `minimum` or `where` keeps
    `logpsi` finite. `theta(x') = theta(x) + E[change]` then adds an infinity to its
    opposite (NaN). The cached values are sums of one term per site (the split proves it),
    so finite on these configurations means finite on every one. Evaluated once, outside
    the traced program, with `params` where they are concrete, else with stand-ins of
    their shapes (a value that depends on no parameter, as `1 / x`, is the same for
    any)."""
    xs = _table_configurations(split.n_sites, np.asarray(local_states))
    leaves, tree = jax.tree_util.tree_flatten(params)
    if any(isinstance(leaf, jax.core.Tracer) for leaf in leaves):
        pole = _pole_of_the_parameters(split.program)
        if pole is not None:
            return (
                f"{pole} in the first layer may be infinite at the parameters' values, "
                "which are not known while tracing (a pole as 1/(x - c) with c a "
                "parameter): its changes cannot be checked to add up"
            )
        rng = np.random.default_rng(0)
        leaves = [_stand_in(rng, jax.typeof(leaf)) for leaf in leaves]
    dtype = split.program.program.avals[split.program.x_id].dtype

    def cached_values(leaves, xs):
        consts = constants(split, jax.tree_util.tree_unflatten(tree, leaves))
        return theta(split, consts, xs)

    try:  # one compiled program, not one compilation per equation
        values = run_now(cached_values, leaves, np.asarray(xs, dtype))
        finite = [bool(np.all(np.isfinite(np.asarray(v)))) for v in values]
    except Exception:  # a check that cannot run here leaves the split as it is
        return None
    for (name, _, _), ok in zip(split.cached, finite, strict=True):
        if not ok:
            return (
                f"the cached value {name} is not finite on every configuration (as 1/x or "
                "log(x) at x = 0): its changes cannot be added (an infinity minus an infinity)"
            )
    return None


_POLES = frozenset(
    {
        "div",
        "rem",
        "log",
        "log1p",
        "sqrt",
        "rsqrt",
        "pow",
        "tan",
        "atanh",
        "acosh",
        "asin",
        "acos",
        "lgamma",
        "digamma",
        "erf_inv",
    }
)
"""Element-wise operations that give an infinity or NaN from finite operands (a pole, or
outside their domain), at operand values no type rules out; `integer_pow` with a negative
exponent too."""


def _pole_of_the_parameters(plan: _Plan) -> str | None:
    """The first equation of the prefix that can give an infinity at operand values that
    depend on both `x` and the parameters (`1 / (x - c)`, `log(x + b)`, `c` and `b`
    parameters), as `primitive @ source`, else None. Where the parameters are traced, the
    values a check would need are not known: a pole of `x` alone is found on any
    parameters (`non_finite_change`), one that the parameters place is not."""
    program = plan.program
    prefix = {id(e) for e in plan.prefix_eqns}
    on_params: set[int] = set(plan.param_ids)
    on_x: set[int] = {plan.x_id}
    for eqn in program.eqns:
        ids = [v for v in eqn.ins if not isinstance(v, _Lit)]
        if any(v in on_params for v in ids):
            on_params.update(eqn.outs)
        if any(v in on_x for v in ids):
            on_x.update(eqn.outs)
        if id(eqn) not in prefix:
            continue
        name = eqn.primitive.name
        pole = name in _POLES or (name == "integer_pow" and eqn.params.get("y", 0) < 0)
        operands = eqn.ins[1:] if name in ("div", "rem") else eqn.ins
        if pole and any(not isinstance(v, _Lit) and v in on_params and v in on_x for v in operands):
            return f"{name} @ {eqn.source}"
    return None


def _table_configurations(n: int, states: np.ndarray) -> np.ndarray:
    """`x0` (every site `states[0]`), then `x0` with site `s` set to `states[i]` for each
    `(s, i)` in order: `(1 + n S, n)`, the configurations `tables` evaluates."""
    base = np.full((n,), states[0])
    xs = np.broadcast_to(base, (n, len(states), n)).copy()
    xs[np.arange(n), :, np.arange(n)] = states[None, :]
    return np.concatenate([base[None], xs.reshape(-1, n)])


def _stand_in(rng: np.random.Generator, aval: Any) -> np.ndarray:
    """Parameters of `aval`'s shape and dtype (`non_finite_change`): small positive values
    (a variance or scale that a parameter holds, as BatchNorm's running variance under
    `rsqrt`, is finite on them; a negative one gave NaN and refused the split)."""
    if jnp.issubdtype(aval.dtype, jnp.complexfloating):
        value = rng.uniform(0.05, 0.15, aval.shape) + 1j * rng.normal(0, 0.1, aval.shape)
    elif jnp.issubdtype(aval.dtype, jnp.inexact):
        value = rng.uniform(0.05, 0.15, aval.shape)
    else:
        return np.zeros(aval.shape, aval.dtype)
    return value.astype(aval.dtype)


def tables(
    split: NetworkSplit,
    consts: tuple[Any, ...],
    local_states: Any,
    values: Callable[[tuple[Any, ...]], tuple[Any, ...]] | None = None,
) -> tuple[Any, ...]:
    """The change of each cached value when one site changes state: `E[(s S + i) S + j] =
    T[s, j] - T[s, i]`, `T[s, i] = theta(x0 with x0_s = local_states[i]) - theta(x0)`
    (`x0` all `local_states[0]`), one `(N S S, *shape)` array per cached value (booleans
    counted as int32). With `values` (a map of the cached values of rows, affine in
    them: `log_cosh_rest.columns`), the change of its results instead."""
    plan: _Plan = split.program
    n = split.n_sites
    s = len(local_states)
    dtype = plan.program.avals[plan.x_id].dtype
    # the program traced inside shard_map casts its constants to varying where they meet
    # x, so the table's configurations must vary as x did
    xs = varying(jnp.asarray(_table_configurations(n, np.asarray(local_states)), dtype))
    out = []
    cached = theta(split, consts, xs)
    for v in cached if values is None else values(cached):
        if v.dtype == jnp.bool_:
            v = v.astype(jnp.int32)
        t = jnp.reshape(v[1:] - v[:1], (n, s, 1, *v.shape[1:]))
        pair = jnp.swapaxes(t, 1, 2) - t  # [s, i, j] = T[s, j] - T[s, i]
        out.append(jnp.reshape(pair, (n * s * s, *v.shape[1:])))
    return tuple(out)
