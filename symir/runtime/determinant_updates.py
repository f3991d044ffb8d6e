"""Determinant (Slater) networks: connected states by low-rank updates of a cached inverse.

`determinant_block(logpsi, params, x_example)` reads the network's program (the jaxpr of
`logpsi` on one sample) and returns `(block, reason)`: `block` has the signature of
`local_energy._delta_block` and computes the local energies without one determinant per
connected state; `block` is None when the structure is not recognised, and `reason`
says why (printable either way).

What is recognised (a *site*):

- a *determinant unit*: a call in the program (`jit`, `custom_jvp_call`, ...) with one
  square-matrix input `A (*b, n, n)` that computes `slogdet(A)` (outputs `sign, logabs`
  of shape `b`) or `det(A)` (one output of shape `b`). It is checked, not assumed: the
  unit is evaluated on random matrices and compared with NumPy's `slogdet`/`det`
  (JAX's `slogdet` is an `lu` inside a `custom_jvp`, or closed-form for n <= 3; `det`
  is a `jit` of either);
- whose input is, up to element-wise conversions (`convert_element_type`, `copy`), a
  *row gather* `A = M[R]` of a matrix `M (*b, m, n)` that does not depend on `x` (the
  orbitals: parameters or functions of them) with row indices `R (*b, n)` that do
  (`x.nonzero(size=n)`, its spin-sector slices, ...). Batch dimensions `b` cover
  NetKet's `MultiSlater2nd` (one determinant per leading index, by `nn.vmap`).

For each sample `x` the program runs once (its values are NetKet's) and each site keeps
`R(x)`, `A(x)^-1` and the unit's outputs. For each connected state `x'` the program runs
again with every site replaced: `R(x')` comes from the program itself (an O(N) index
computation), the rows of `R(x')` absent from `R(x)` (`a_j`, at most `K`) replace the
rows of `R(x)` absent from `R(x')` (positions `p_j`) and

    det M[R(x')] / det M[R(x)] = sign(pi) * det_{K x K}( M[a_j] . A^-1[:, p_k] )

(matrix determinant lemma; `pi` reorders the replaced list into `R(x')`'s order, its
sign from counting inversions). A one-particle hop is `K = 1`: one dot product of length
`n`. The unit's outputs at `x'` are `sign(x) * sign(r), logabs(x) + log|r|` (or
`det(x) * r`), and the rest of the program (NetKet's `logdet_cmplx`, a sum over spin
sectors, `logsumexp` over determinants, other factors) runs on them as written, so
`logpsi(x') - logpsi(x)` keeps NetKet's conventions (the phase `i pi` of a negative
determinant). Parts of the program that do not feed a site's matrix are evaluated for
every connected state as they are (a Jastrow factor, say); the gathered matrices `A(x')`
are never built.

**Rows by occupation ranks.** Where each site's row indices are, up to moves and
element-wise maps with constant scalars (`phi`: an offset, NetKet's wrap of negative
indices, a conversion), consecutive places `D[r, lo:lo + n]` of `D = nonzero(L)` taken
row by row of a value `L (rows, w)` whose elements each read one site of `x` (a *site
map*, derived like the shapes: `x`, element-wise maps of it, reshapes, broadcasts,
slices), `R(x')` is never computed (`derive_ranks`). That `D` is `nonzero(L, size=n)`
is checked, not assumed: the nodes computing it from `L` are run on random rows of the
values `L` takes with exactly `n` non-zero elements (found by evaluating `L` at each
local state), and each sample's `D(x)` is checked against its bits at run time. Per
sample: `2 count + bit` of each site's element (`count`, the running number of
non-zero elements of its row up to it) and `G[u, s] = chain(M_u[phi(s)]) A_u^-1` (the
ratio row a particle added at site `s` brings). Per slot, from the deltas alone
(`O(k)`): the removed particles (bit 1 -> 0) at places `rank = count - 1` of `D(x)`,
the added ones (0 -> 1) at places `q = count - (removed before) + (added before)` of
`D(x')`; a slice `[lo, lo + n)` whose ends see as many removed as added places before
them replaces the rows at `rank - lo` by `phi(added)` in order, with ratio
`det_K(G[u, added_i, rank_j - lo]) (-1)^(sum rank + sum q)` (the parity of moving each
added row to its sorted place). A changed count, more than `K` particles, a particle
moving across a slice's end or a row out of range take the plain block (as below).
Every candidate slot of the batch is evaluated at once (a few gathers per slot, no
loop); the rest of the program then runs on the units' new outputs, on every slot at
once where it does not read `x`, on the needed slots only (compacted chunks, `x'` built
from the deltas) where it does (a Jastrow factor). Inside `shard_map` the casts to
varying (`pvary`) are taken as the identity by the derivation. Other row indices (reversed, shifted by
`x`) take the comparison of `R(x')` with `R(x)` below.

`K = max(1, k // 2)` for deltas of width `k` (a move of `n` particles changes `2n`
sites and `n` rows). A batch in which some connected state replaces more rows (another
index function, an operator that moves more) is evaluated by the plain delta block
(`local_energy._delta_block`, a `lax.cond`), so the result is exact for any operator.

Derivatives are JAX's own through the block (the cached inverse is `jnp.linalg.inv`,
the units keep their custom JVP rules): `jax.grad` with respect to `params` and to the
operator's parameters (through `mels`) works.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from symir.runtime.dedup import compact_positions
from symir.runtime.jaxpr_eval import bind, run_now
from symir.runtime.scatter import set_at

__all__ = ["DeterminantProgram", "derive_determinants", "derive_ranks", "determinant_block"]

_CALLS = frozenset({"jit", "pjit", "closed_call", "core_call"})
"""Calls inlined when they are not a determinant unit."""
_UNIT_CALLS = _CALLS | frozenset({"custom_jvp_call", "custom_vjp_call", "custom_vjp_call_jaxpr"})
"""Calls that may be a determinant unit."""
_CHAIN = frozenset({"convert_element_type", "copy", "copy_p"})
"""Element-wise maps allowed between the row gather and the unit."""


@dataclass
class _Node:
    eqn: Any
    ins: list  # refs (int) or ("lit", value)
    outs: list[int]
    kind: str | None = None  # "slogdet" / "det" for a determinant unit


@dataclass
class _Site:
    unit: int  # node index of the unit
    kind: str  # "slogdet" | "det"
    gather: int  # node index of the gather
    chain: list[int]  # node indices between gather and unit, in order
    batched_operand: bool  # M has the batch dimensions (MultiSlater), else broadcast
    batch: tuple[int, ...]
    n: int
    m: int

    def describe(self, nodes: list[_Node]) -> str:
        g = nodes[self.gather].eqn
        op = g.invars[0].aval
        b = f" x {self.batch}" if self.batch else ""
        chain = "".join(f" -> {nodes[c].eqn.primitive.name}" for c in self.chain)
        return (
            f"{self.kind} of rows R(x) of a fixed {tuple(op.shape)} {op.dtype} matrix "
            f"(gather{chain}; n={self.n}{b})"
        )


@dataclass
class DeterminantProgram:
    """The flattened program of `logpsi` on one sample and its determinant sites."""

    nodes: list[_Node]
    consts: dict[int, Any]
    param_refs: list[int]
    x_ref: int
    out_refs: list
    out_tree: Any
    params_tree: Any
    x_shape: tuple[int, ...]
    x_dtype: Any
    sites: list[_Site]
    unrecognised: list[str] = field(default_factory=list)

    def describe(self) -> str:
        lines = [f"{len(self.sites)} determinant site(s) by low-rank updates:"]
        lines += [f"  {s.describe(self.nodes)}" for s in self.sites]
        lines += [f"  evaluated in full: {u}" for u in self.unrecognised]
        return "\n".join(lines)

    __str__ = describe


# --------------------------------------------------------------------------- program


def _inner(eqn: Any) -> Any:
    for key in ("jaxpr", "call_jaxpr", "fun_jaxpr"):
        j = eqn.params.get(key)
        if j is not None:
            return j
    return None


_CASTS = frozenset({"pvary", "pcast"})
"""Casts to varying over `shard_map`'s axes: the identity on values (what the derivation
evaluates outside the program's context, they are skipped)."""


def _bind_outside(eqn: Any, invals: list) -> list:
    """`_bind`, with `shard_map`'s casts to varying taken as the identity (the derivation
    runs the program's pieces outside its `shard_map`)."""
    if eqn.primitive.name in _CASTS and len(invals) == len(eqn.outvars):
        return list(invals)
    return bind(eqn, invals)


_KINDS: dict[int, tuple[Any, str | None]] = {}


def _unit_kind(eqn: Any) -> str | None:
    """Cached `_check_unit`, by the equation's identity and by what it computes: its
    primitive, its input's type and its parameters (by identity where they are not
    hashable: the spin sectors' units of one network call one traced function)."""
    hit = _KINDS.get(id(eqn))
    if hit is not None and hit[0] is eqn:
        return hit[1]
    key = _unit_key(eqn)
    same = _KINDS.get(key) if key is not None else None
    kind = same[1] if same is not None else _check_unit(eqn)
    _KINDS[id(eqn)] = (eqn, kind)
    if key is not None:
        _KINDS[key] = (eqn, kind)  # the equation keeps the parameters of the key alive
    return kind


def _unit_key(eqn: Any) -> Any:
    """What the unit check of `eqn` depends on, or None (a parameter that is neither
    hashable nor an object whose identity stands for it)."""
    if eqn.primitive.name not in _UNIT_CALLS or len(eqn.invars) != 1:
        return None
    params = []
    for k, v in sorted(eqn.params.items()):
        try:
            hash(v)
            params.append((k, v))
        except TypeError:
            params.append((k, "id", id(v)))
    aval = eqn.invars[0].aval
    return ("unit", eqn.primitive, str(aval), tuple(str(v.aval) for v in eqn.outvars), *params)


def _check_unit(eqn: Any) -> str | None:
    """ "slogdet" / "det" when `eqn` is a call computing that of its one input (checked
    on random matrices), else None."""
    if eqn.primitive.name not in _UNIT_CALLS or len(eqn.invars) != 1:
        return None
    aval = eqn.invars[0].aval
    shape = tuple(getattr(aval, "shape", ()))
    if len(shape) < 2 or shape[-1] != shape[-2] or shape[-1] < 1:
        return None
    if not jnp.issubdtype(aval.dtype, jnp.inexact):
        return None
    batch = shape[:-2]
    outs = [getattr(v.aval, "shape", None) for v in eqn.outvars]
    if len(outs) == 2 and all(tuple(o) == batch for o in outs):
        kind = "slogdet"
    elif len(outs) == 1 and tuple(outs[0]) == batch:
        kind = "det"
    else:
        return None
    return kind if _computes(eqn, kind, shape, aval.dtype) else None


def _computes(eqn: Any, kind: str, shape: tuple, dtype: Any) -> bool:
    """Whether the unit `eqn` gives NumPy's `slogdet` / `det` on random matrices (one
    with its first and last rows swapped: both signs of the determinant are seen). The
    unit runs on the three matrices in one compiled program (`run_now`)."""
    rng = np.random.default_rng(0)
    tol = 1e-8 if jnp.finfo(dtype).bits >= 64 else 1e-3
    close = functools.partial(np.allclose, rtol=tol, atol=tol)
    trials = []
    for trial in range(3):
        a = rng.normal(size=shape)
        if jnp.issubdtype(dtype, jnp.complexfloating):
            a = a + 1j * rng.normal(size=shape)
        if trial == 1:
            a[..., [0, -1], :] = a[..., [-1, 0], :]
        trials.append(a)

    def run(a: Any) -> tuple:
        m = a.astype(dtype)  # the unit's precision
        return m, [bind(eqn, [m[t]]) for t in range(len(trials))]

    try:
        mats, got = run_now(run, np.stack(trials))
        for a, outs in zip(np.asarray(mats), got, strict=True):  # in the unit's dtype
            want = np.linalg.slogdet(a) if kind == "slogdet" else (np.linalg.det(a),)
            if not all(close(np.asarray(g), w) for g, w in zip(outs, want, strict=True)):
                return False
    except Exception:
        return False
    return True


def _next_kind(kinds: Any, record: list | None, eqn: Any) -> str | None:
    """`_flatten`'s unit check of `eqn` (from `kinds` when given; appended to `record`)."""
    if eqn.primitive.name not in _UNIT_CALLS:
        return None
    kind = next(kinds, None) if kinds is not None else _unit_kind(eqn)
    if record is not None:
        record.append(kind)
    return kind


def _flatten(
    closed: Any, kinds: Any = None, record: list | None = None
) -> tuple[list[_Node], dict[int, Any], list[int], list]:
    """The program with its calls inlined, except the determinant units: nodes over
    integer refs. Returns nodes, constants by ref, the input refs and the output refs.
    The unit check of each call (`_unit_kind`, in program order) is taken from the
    iterator `kinds` when given, and appended to `record` when given."""
    nodes: list[_Node] = []
    kind_of = functools.partial(_next_kind, kinds, record)

    consts: dict[int, Any] = {}
    counter = [0]

    def fresh() -> int:
        counter[0] += 1
        return counter[0]

    def const(value: Any) -> int:
        r = fresh()
        consts[r] = value
        return r

    def walk(jaxpr: Any, const_refs: list, in_refs: list) -> list:
        env: dict[Any, Any] = dict(zip(jaxpr.constvars, const_refs, strict=True))
        env.update(zip(jaxpr.invars, in_refs, strict=True))

        def ref(a: Any) -> Any:
            if type(a).__name__ == "Literal":
                return ("lit", a.val)
            return env[a]

        for eqn in jaxpr.eqns:
            ins = [ref(v) for v in eqn.invars]
            inner = _inner(eqn)
            kind = kind_of(eqn)
            if eqn.primitive.name in _CALLS and inner is not None and kind is None:
                if hasattr(inner, "consts"):
                    outs = walk(inner.jaxpr, [const(c) for c in inner.consts], ins)
                else:
                    outs = walk(inner, [], ins)
                env.update(zip(eqn.outvars, outs, strict=True))
                continue
            outs = [fresh() for _ in eqn.outvars]
            nodes.append(_Node(eqn, ins, outs, kind))
            env.update(zip(eqn.outvars, outs, strict=True))
        return [ref(v) for v in jaxpr.outvars]

    top = closed.jaxpr
    in_refs = [fresh() for _ in top.invars]
    outs = walk(top, [const(c) for c in closed.consts], in_refs)
    return nodes, consts, in_refs, outs


def _row_gather(eqn: Any, unit_shape: tuple) -> tuple[bool, str]:
    """Whether the gather `eqn` is `A[..., i, :] = M[..., R[..., i], :]` (batch dims of
    `M` mapped to those of `R`, or `M` unbatched); (batched_operand, "") or (_, why)."""
    dn = eqn.params["dimension_numbers"]
    op_shape = tuple(eqn.invars[0].aval.shape)
    idx_shape = tuple(eqn.invars[1].aval.shape)
    nb = len(unit_shape) - 2
    n = unit_shape[-1]
    if idx_shape != (*unit_shape[:-2], n, 1):
        return False, f"gather indices of shape {idx_shape}, not {(*unit_shape[:-2], n, 1)}"
    if tuple(eqn.outvars[0].aval.shape) != tuple(unit_shape):
        return False, "the gathered matrix is reshaped before the determinant"
    batched = tuple(dn.operand_batching_dims) == tuple(range(nb)) and nb > 0
    row = nb if batched else 0
    if batched:
        ok_batch = tuple(dn.start_indices_batching_dims) == tuple(range(nb))
    else:
        ok_batch = not dn.operand_batching_dims and not dn.start_indices_batching_dims
    if not (
        ok_batch
        and len(op_shape) == row + 2
        and tuple(dn.collapsed_slice_dims) == (row,)
        and tuple(dn.start_index_map) == (row,)
        and tuple(dn.offset_dims) == (nb + 1,)
        and tuple(eqn.params["slice_sizes"]) == (1,) * row + (1, op_shape[-1])
        and op_shape[-1] == n
    ):
        return False, f"a gather that is not a gather of whole rows ({dn})"
    return batched, ""


def _site(nodes: list, i: int, kind: str, depends: set, producer: dict) -> tuple[Any, str]:
    """The site of the unit `nodes[i]` (its matrix traced back through element-wise
    conversions to a row gather), or `(None, why)`."""
    unit_shape = tuple(nodes[i].eqn.invars[0].aval.shape)
    chain: list[int] = []
    src = nodes[i].ins[0]
    while True:
        j = producer.get(src) if isinstance(src, int) else None
        if j is None:
            return None, "its matrix is an input of the program"
        prim = nodes[j].eqn.primitive.name
        if prim in _CHAIN and len(nodes[j].ins) == 1:
            chain.insert(0, j)
            src = nodes[j].ins[0]
            continue
        if prim != "gather":
            return None, f"its matrix comes from `{prim}`, not from a gather of rows"
        op, idx = nodes[j].ins
        if isinstance(op, int) and op in depends:
            return None, "the gathered matrix depends on x (only its row indices may)"
        if not (isinstance(idx, int) and idx in depends):
            return None, "the row indices do not depend on x"
        batched, why = _row_gather(nodes[j].eqn, unit_shape)
        if why:
            return None, why
        m = tuple(nodes[j].eqn.invars[0].aval.shape)[-2]
        return _Site(i, kind, j, chain, batched, unit_shape[:-2], unit_shape[-1], m), ""


def _dataflow(nodes: list, x_ref: int) -> tuple[set, dict]:
    """The refs that depend on `x` and the node producing each ref."""
    depends: set[int] = {x_ref}
    producer: dict[int, int] = {}
    for i, node in enumerate(nodes):
        for o in node.outs:
            producer[o] = i
        if any(isinstance(r, int) and r in depends for r in node.ins):
            depends.update(node.outs)
    return depends, producer


def _manual_axes() -> tuple:
    """The manual axes of the enclosing `shard_map` (none outside one)."""
    return tuple(getattr(jax.sharding.get_abstract_mesh(), "manual_axes", ()) or ())


def _invariant_kinds(logpsi: Callable, params: Any, x1: Any) -> Any:
    """Inside `shard_map` the program casts values to varying (`pvary`), which cannot run
    outside one: the units' checks in program order, on the program traced with params
    and x not varying (None outside `shard_map`: each unit is checked as it is)."""
    if not _manual_axes():
        return None
    shapes = jax.tree_util.tree_map(lambda v: jax.ShapeDtypeStruct(v.shape, v.dtype), params)
    plain = jax.make_jaxpr(logpsi)(shapes, jax.ShapeDtypeStruct(x1.shape, x1.dtype))
    recorded: list = []
    _flatten(plain, record=recorded)
    return iter(recorded)


def _traced_on_one(logpsi: Callable, params: Any, x1: Any) -> tuple[Callable, Any, Any]:
    """`(f, jaxpr, output shape)` of `f` = `logpsi` on one sample `x1` (shape `(N,)`):
    `logpsi` itself where it takes one sample (NetKet's models do), else (a network
    written for batches only, `(b, N) -> (b,)`: the documented contract) its value on the
    batch of that one sample. Raises the first tracing error where neither traces."""
    try:
        return logpsi, *jax.make_jaxpr(logpsi, return_shape=True)(params, x1)
    except Exception as exc:

        def one(params: Any, x: Any) -> Any:
            return jnp.reshape(logpsi(params, x[None]), ())

        try:
            return one, *jax.make_jaxpr(one, return_shape=True)(params, x1)
        except Exception:
            raise exc from None


def derive_determinants(logpsi: Callable, params: Any, x_example: Any) -> tuple[Any, str]:
    """The `DeterminantProgram` of `logpsi` (traced on one sample of `x_example`) and its
    description, or `(None, reason)`."""
    x_example = jnp.asarray(x_example)
    x1 = jnp.reshape(x_example, (-1, x_example.shape[-1]))[0]
    try:
        logpsi, closed, shape = _traced_on_one(logpsi, params, x1)
    except Exception as exc:
        return None, f"logpsi does not trace on one sample of shape {x1.shape}: {exc!r}"[:400]
    if tuple(getattr(shape, "shape", (None,))) != ():
        return None, f"logpsi on one sample gives shape {getattr(shape, 'shape', shape)}, not ()"
    nodes, consts, in_refs, out_refs = _flatten(closed, _invariant_kinds(logpsi, params, x1))
    n_params = len(jax.tree_util.tree_leaves(params))
    param_refs, x_ref = in_refs[:n_params], in_refs[n_params]
    depends, producer = _dataflow(nodes, x_ref)
    sites: list[_Site] = []
    unrecognised: list[str] = []
    n_units = 0
    for i, node in enumerate(nodes):
        kind = node.kind
        if kind is None:
            continue
        n_units += 1
        src = node.ins[0]
        if not (isinstance(src, int) and src in depends):
            continue
        site, why = _site(nodes, i, kind, depends, producer)
        if site is None:
            unrecognised.append(f"{kind} ({node.eqn.primitive.name}): {why}")
        else:
            sites.append(site)
    if not sites:
        if n_units == 0:
            return None, "no determinant (slogdet/det of a square matrix) in the program"
        if not unrecognised:
            return None, "no determinant in the program depends on x"
        return None, "no determinant is of rows gathered by x: " + "; ".join(unrecognised)
    prog = DeterminantProgram(
        nodes,
        consts,
        param_refs,
        x_ref,
        out_refs,
        jax.tree_util.tree_structure(shape),
        jax.tree_util.tree_structure(params),
        tuple(x1.shape),
        x1.dtype,
        sites,
        unrecognised,
    )
    return prog, prog.describe()


# --------------------------------------------------------------------------- evaluation


def _read(env: dict, r: Any) -> Any:
    return r[1] if isinstance(r, tuple) else env[r]


def _live(prog: DeterminantProgram) -> list[bool]:
    """Nodes the connected-state pass needs: each site's unit needs its gather's operand
    and indices (not the gathered matrix)."""
    site_of = {s.unit: s for s in prog.sites}
    needed = {r for r in prog.out_refs if isinstance(r, int)}
    live = [False] * len(prog.nodes)
    for i in range(len(prog.nodes) - 1, -1, -1):
        node = prog.nodes[i]
        if not any(o in needed for o in node.outs):
            continue
        live[i] = True
        if i in site_of:
            ins = prog.nodes[site_of[i].gather].ins
        else:
            ins = node.ins
        needed.update(r for r in ins if isinstance(r, int))
    return live


def _run(prog: DeterminantProgram, params: Any, x: Any, hook: Callable, live: Any = None):
    env = dict(prog.consts)
    env.update(zip(prog.param_refs, jax.tree_util.tree_leaves(params), strict=True))
    env[prog.x_ref] = x.astype(prog.x_dtype)
    site_of = {s.unit: s for s in prog.sites}
    for i, node in enumerate(prog.nodes):
        if live is not None and not live[i]:
            continue
        if i in site_of:
            outs = hook(site_of[i], env)
        else:
            outs = _bind_dense(node.eqn, [_read(env, r) for r in node.ins])
        env.update(zip(node.outs, outs, strict=True))
    return _read(env, prog.out_refs[0])


def _bind_dense(eqn: Any, invals: list) -> list:
    """`eqn` evaluated; a small integer scatter-add into a vector (`jnp.nonzero`'s
    counting, `jnp.bincount`) as a one-hot sum: the same integers, no serial scatter
    loop per connected state (XLA's CPU scatter is one)."""
    if eqn.primitive.name == "scatter-add" and len(invals) == 3:
        operand, idx, upd = invals
        dn = eqn.params["dimension_numbers"]
        if (
            jnp.ndim(operand) == 1
            and jnp.issubdtype(jnp.result_type(operand), jnp.integer)
            and jnp.ndim(idx) == 2
            and jnp.shape(idx)[1] == 1
            and jnp.shape(upd) == jnp.shape(idx)[:1]
            and tuple(dn.update_window_dims) == ()
            and tuple(dn.inserted_window_dims) == (0,)
            and tuple(dn.scatter_dims_to_operand_dims) == (0,)
            and not dn.operand_batching_dims
            and "FILL_OR_DROP" in str(eqn.params["mode"])
            and jnp.size(operand) * jnp.size(upd) <= 1 << 16
        ):
            hit = idx[:, 0, None] == jnp.arange(jnp.size(operand), dtype=idx.dtype)
            add = jnp.sum(jnp.where(hit, upd[:, None], 0), axis=0, dtype=operand.dtype)
            return [operand + add]
    return bind(eqn, invals)


def _canonical(prog: DeterminantProgram, site: _Site, env: dict) -> tuple[Any, Any]:
    """`M (*b, m, n)` and `R (*b, n)` of a site."""
    op_ref, idx_ref = prog.nodes[site.gather].ins
    m = _read(env, op_ref)
    r = _read(env, idx_ref)[..., 0]
    if not site.batched_operand:
        m = jnp.broadcast_to(m, (*site.batch, *m.shape))
    return m, r


def _apply_chain(prog: DeterminantProgram, site: _Site, v: Any) -> Any:
    for c in site.chain:
        v = bind(prog.nodes[c].eqn, [v])[0]
    return v


def _base_pass(prog: DeterminantProgram, params: Any, x: Any) -> tuple[Any, list]:
    """`logpsi(x)` (one sample) and each site's cache `(R, A^-1, unit outputs)`."""
    caches: list = []

    def hook(site: _Site, env: dict) -> list:
        a = _read(env, prog.nodes[site.unit].ins[0])
        outs = bind(prog.nodes[site.unit].eqn, [a])
        _, r = _canonical(prog, site, env)
        caches.append((r, jnp.linalg.inv(a), outs))
        return outs

    lp = _run(prog, params, x, hook)
    return lp, caches


def _small_det(c: Any) -> Any:
    k = c.shape[-1]
    if k == 1:
        return c[..., 0, 0]
    if k == 2:
        return c[..., 0, 0] * c[..., 1, 1] - c[..., 0, 1] * c[..., 1, 0]
    return jnp.linalg.det(c)


def _first_true(mask: Any, kk: int) -> Any:
    """The positions of the first `kk` True entries of `mask` (0 past the last), without
        a scatter or an `argmax` (`jnp.nonzero` scatters, `argmax` is a variadic reduction:
    both slow on CPU for one short row)."""
    n = mask.shape[-1]
    where = jnp.arange(n, dtype=jnp.int32)
    found, last = [], jnp.int32(-1)
    for _ in range(kk):
        last = jnp.min(jnp.where(mask & (where > last), where, n))
        found.append(last)
    return jnp.minimum(jnp.stack(found), n - 1) * (jnp.stack(found) < n)


def row_changes(r: Any, rp: Any) -> tuple[Any, Any, Any, Any, Any]:
    """How the row list `rp` differs from `r`: `eq[q, p]` (`rp[q] == r[p]`), the rows of
    `rp` added, those of `r` removed, and their counts (`int32`)."""
    eq = rp[:, None] == r[None, :]
    added = ~jnp.any(eq, axis=1)
    removed = ~jnp.any(eq, axis=0)
    return eq, added, removed, jnp.sum(added, dtype=jnp.int32), jnp.sum(removed, dtype=jnp.int32)


def replacement_sign(eq: Any, removed_at: Any, added_at: Any, valid: Any) -> tuple[Any, Any]:
    """The sign of the permutation taking `r` with `r[removed_at[j]] = rp[added_at[j]]`
    (where `valid[j]`) to `rp`, and `pos`, the place in `rp` of each row of that list
    (`eq` from `row_changes`, one True per kept column)."""
    where = jnp.arange(eq.shape[-1], dtype=jnp.int32)
    pos = jnp.sum(jnp.where(eq, where[:, None], 0), axis=0)
    for j in range(removed_at.shape[0]):
        pos = jnp.where((where == removed_at[j]) & valid[j], added_at[j], pos)
    inversions = jnp.sum(jnp.triu(pos[:, None] > pos[None, :], 1))
    return 1 - 2 * (inversions % 2), pos


def _ratio(m: Any, r: Any, cols: Callable, rp: Any, kk: int, chain: Callable) -> tuple[Any, Any]:
    """`det M[rp] / det M[r]` from `cols(p) = (M[r]^-1)[:, p].T` (one determinant, no
    batch), and whether more than `kk` rows changed."""
    eq, added, removed, na, nr = row_changes(r, rp)
    apos = _first_true(added, kk)
    rpos = _first_true(removed, kk)
    valid = jnp.arange(kk) < jnp.minimum(na, nr)
    v = chain(m[jnp.clip(rp[apos], 0, m.shape[0] - 1)])  # (kk, n) new rows
    c = v @ cols(rpos).T
    c = jnp.where(valid[:, None], c, jnp.eye(kk, dtype=c.dtype))
    d = _small_det(c)
    sign, _ = replacement_sign(eq, rpos, apos, valid)
    d = jnp.where(na == nr, d * sign.astype(d.dtype), jnp.zeros((), d.dtype))
    return d, jnp.maximum(na, nr) > kk


def _conn_pass(prog, live, kk, caches, params, xp, sample):
    """`logpsi(x')` of one connected state of sample `sample` from the caches of the
    whole batch (only the `kk` columns of the inverse it needs are read), and whether
    some site changed more than `kk` rows."""
    it = iter(caches)
    over: list = []

    def hook(site: _Site, env: dict) -> list:
        r, ainv, outs = next(it)
        r = r[sample]
        outs = [o[sample] for o in outs]
        m, rp = _canonical(prog, site, env)
        chain = functools.partial(_apply_chain, prog, site)
        nb = len(site.batch)
        if nb:
            n = site.n
            fm = jnp.reshape(m, (-1, site.m, n))
            fr, frp = (jnp.reshape(a, (-1, n)) for a in (r, rp))
            fa = jnp.reshape(ainv, (ainv.shape[0], -1, n, n))

            def one(t, mm, a, b):
                return _ratio(mm, a, lambda p: fa[sample, t, :, p], b, kk, chain)

            d, o = jax.vmap(one)(jnp.arange(fm.shape[0]), fm, fr, frp)
            d = jnp.reshape(d, site.batch)
            o = jnp.any(o)
        else:
            d, o = _ratio(m, r, lambda p: ainv[sample, :, p], rp, kk, chain)
        over.append(o)
        return _updated_outs(site, outs, d)

    lp = _run(prog, params, xp, hook, live)
    return lp, functools.reduce(jnp.logical_or, over, jnp.bool_(False))


def _compacted(conn, params, x, caches, sites, values, needed, capacity):
    """`conn(params, x', cache)` at the needed slots only (`needed (b, c)`), in chunks of
    `capacity` (a `lax.scan` whose chunks past the count are skipped by a `lax.cond`):
    `lp (b, c)` (zero where not needed) and the overflow flags."""
    b, c = needed.shape
    m = b * c
    k = sites.shape[-1]
    size = max(1, min(capacity, m))
    n_chunks = -(-m // size)
    mask = jnp.reshape(needed, (m,))
    count = jnp.sum(mask, dtype=jnp.int32)
    (positions,) = jnp.nonzero(mask, size=n_chunks * size, fill_value=m)
    flat_sites = jnp.reshape(sites, (m, k))
    flat_values = jnp.reshape(values, (m, k)).astype(x.dtype)
    rows = jax.vmap(functools.partial(conn, caches), (None, 0, 0))

    def chunk(i):
        where = jax.lax.dynamic_slice_in_dim(positions, i * size, size)
        w = jnp.minimum(where, m - 1)
        s = w // c
        xp = jnp.put_along_axis(x[s], flat_sites[w], flat_values[w], axis=-1, inplace=False)
        lp, over = rows(params, xp, s)
        return lp, over & (where < m)

    shape = jax.eval_shape(chunk, 0)

    def skip(i):  # varying like `chunk`'s results inside `shard_map`
        vary = jnp.zeros((), jnp.int32) * x[0, 0].astype(jnp.int32)
        return tuple(jnp.full(a.shape, vary).astype(a.dtype) for a in shape)

    def body(carry, i):
        return carry, jax.lax.cond(i * size < count, chunk, skip, i)

    _, (lp, over) = jax.lax.scan(body, None, jnp.arange(n_chunks))
    out = set_at(jnp.zeros((m,), lp.dtype), positions, jnp.reshape(lp, (-1,)))
    flag = jnp.any(over)
    return jnp.reshape(out, (b, c)), flag


# --------------------------------------------------------------------------- row ranks


_MOVES = frozenset(
    {"slice", "reshape", "broadcast_in_dim", "squeeze", "expand_dims", "transpose", "copy"}
    | {"copy_p", "pvary", "pcast"}
)
"""Operations between the occupied positions and a gather's row indices that move
elements without changing them."""


@dataclass
class _Occupation:
    """`D = nonzero(L)` along the last axis: the positions of the non-zero elements of
    each row of a value `L (*vb, w)` whose elements each read one site of `x` at most."""

    l_ref: int
    d_ref: int
    l_nodes: tuple[int, ...]
    """The nodes computing `L` from `x` and constants."""
    rows: int
    width: int
    n: int
    """`D`'s last dimension: the positions kept per row."""
    element: np.ndarray
    """`(N, rows)`: the element of each row of `L` that each site sets, -1 for none."""
    bits: np.ndarray
    """`(N, S, rows)`: whether that element is non-zero when the site holds each local
    state."""
    same_as: np.ndarray = field(default_factory=lambda: np.zeros((0,), np.int64))
    """`(rows,)`: the first row whose non-zero elements are those of this one for every
    `x` (the same site in each column, the same zero pattern at every local state: the
    copies of `x` that `MultiSlater2nd`'s `vmap` broadcasts); its changes are shared."""


@dataclass
class _RankSite:
    """How a site's row indices follow from an occupation: unit `u` (flat over the
    site's batch) takes the gather rows `phi(D[row[u], lo[u] + i])`, `i < n`."""

    occupation: int
    row: np.ndarray
    lo: np.ndarray
    region: tuple[int, ...]
    """The nodes from `D` to the gather's indices (moves and element-wise maps: `phi`)."""
    root: int
    index: int
    scalars: dict[int, Any]
    """The constant operands of the region's element-wise maps (scalars)."""
    rows_at: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.int64))
    """`(U, N)`: the gather row `phi(column)` a particle added at each site brings to each
    unit (0 where none)."""
    valid_at: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), bool))
    """`(U, N)`: whether that row exists (the site is in the unit's row, the row is in
    range)."""


@dataclass
class _Ranks:
    """The row-rank evaluation of a program (`_derive_ranks`)."""

    occupations: list[_Occupation]
    sites: list[_RankSite]
    local_states: np.ndarray
    rest: list[bool]
    """The nodes evaluated per connected state: those the output needs, less the sites'
    units and what only their row indices need."""
    rest_reads_x: bool
    tables: list = field(default_factory=list)
    """Per occupation, `(rows, N, S)`: `2 (column + 1) + bit` of the element each site
    sets in each row when it holds each local state (0 for none)."""


class _Derivation:
    """What `_derive_ranks` knows about the program: producers, constants, and the
    *site map* of each value whose elements each read one site of `x` at most (the
    site, -1 for none): `x`, element-wise maps of such values, moves of them."""

    def __init__(self, prog: DeterminantProgram):
        self.prog = prog
        self.depends, self.producer = _dataflow(prog.nodes, prog.x_ref)
        self.on_params: set[int] = set(prog.param_refs)
        for node in prog.nodes:
            if any(isinstance(r, int) and r in self.on_params for r in node.ins):
                self.on_params.update(node.outs)
        self._folded: dict[int, Any] = {}
        n = prog.x_shape[-1]
        self.sites: dict[int, np.ndarray] = {
            prog.x_ref: np.broadcast_to(np.arange(n), prog.x_shape).copy()
        }
        for node in prog.nodes:
            where = self._site_map(node)
            if where is not None:
                self.sites[node.outs[0]] = where

    def _site_map(self, node: _Node) -> Any:
        from symir.runtime.network_split import _ELEMENTWISE

        name = node.eqn.primitive.name
        moving = [r for r in node.ins if isinstance(r, int) and r in self.depends]
        if len(node.outs) != 1 or not moving or any(r not in self.sites for r in moving):
            return None
        shape = tuple(node.eqn.outvars[0].aval.shape)
        if name in _MOVES and len(moving) == 1 and node.ins[0] == moving[0]:
            others = [self.constant(r) for r in node.ins[1:]]
            if any(v is None for v in others):
                return None
            with jax.ensure_compile_time_eval():
                return np.asarray(_bind_outside(node.eqn, [self.sites[moving[0]], *others])[0])
        if name not in _ELEMENTWISE or node.kind is not None:
            return None
        maps = [self.sites[r] for r in moving]
        if any(m.shape != shape for m in maps):
            return None
        where = np.max(np.stack(maps), axis=0)
        if any(np.any((m >= 0) & (m != where)) for m in maps):
            return None
        return where

    def constant(self, r: Any) -> Any:
        """The concrete value of `r` (a literal, or a ref computed from neither `x` nor
        the parameters), or None. The nodes computing it that are not folded yet run as
        one program (`run_now`)."""
        if isinstance(r, tuple):
            return r[1]
        if r not in self._folded:
            self.fold([r])
        return self._folded[r]

    def fold(self, refs: Any, strict: bool = True) -> None:
        """Fold the constants among `refs` (refs that are not constants fold to None):
        the nodes computing them run as one program. Not `strict` (folding ahead of the
        reads), a program that fails folds nothing: each read then folds its own, and
        only one that is read raises (a node that cannot run outside the program's
        context, say)."""
        cone: set[int] = set()
        for r in refs:
            if not isinstance(r, int) or r in self._folded:
                continue
            trial = set(cone)
            if self._foldable(r, trial):
                cone = trial
            else:
                self._folded[r] = None
        if cone:
            order = sorted(cone)
            made = {o for j in order for o in self.prog.nodes[j].outs}
            leaves = {
                i: self._leaf(i)
                for j in order
                for i in self.prog.nodes[j].ins
                if isinstance(i, int) and i not in made
            }
            try:
                self._folded.update(run_now(functools.partial(self._fold, order), leaves))
            except Exception:
                if strict:
                    raise
                return
        for r in refs:
            if isinstance(r, int) and r not in self._folded:
                self._folded[r] = self.prog.consts[r]  # a constant of the program

    def _leaf(self, r: int) -> Any:
        return self._folded[r] if r in self._folded else self.prog.consts[r]

    def _foldable(self, r: Any, cone: set[int]) -> bool:
        """Whether `r` is a constant; the nodes computing it that are not folded yet
        into `cone`."""
        if isinstance(r, tuple):
            return True
        if r in self._folded:
            return self._folded[r] is not None
        if r in self.prog.consts:
            return not isinstance(self.prog.consts[r], jax.core.Tracer)
        if r in self.depends or r in self.on_params or r not in self.producer:
            return False
        j = self.producer[r]
        if j in cone:
            return True
        cone.add(j)
        return all(self._foldable(i, cone) for i in self.prog.nodes[j].ins)

    def _fold(self, order: list[int], leaves: dict) -> dict:
        env = dict(leaves)
        for j in order:
            node = self.prog.nodes[j]
            ins = [r[1] if isinstance(r, tuple) else env[r] for r in node.ins]
            env.update(zip(node.outs, _bind_outside(node.eqn, ins), strict=True))
        return {o: env[o] for j in order for o in self.prog.nodes[j].outs}

    def ancestors(self, r: int, stop: Callable[[int], bool]) -> tuple[set[int], set[int]]:
        """The x-dependent nodes `r` needs back to the refs where `stop` holds, and
        those refs."""
        nodes: set[int] = set()
        frontier: set[int] = set()
        stack = [r]
        seen: set[int] = set()
        while stack:
            v = stack.pop()
            if v in seen or v not in self.depends:
                continue
            seen.add(v)
            if stop(v):
                frontier.add(v)
                continue
            j = self.producer.get(v)
            if j is None:
                frontier.add(v)
                continue
            nodes.add(j)
            stack.extend(i for i in self.prog.nodes[j].ins if isinstance(i, int))
        return nodes, frontier

    def dominators(self, r: int) -> list[int]:
        """The refs every x-dependent path from `r` back to `x` passes through, nearest
        first."""
        nodes, _ = self.ancestors(r, lambda v: v == self.prog.x_ref)
        refs = sorted({o for j in nodes for o in self.prog.nodes[j].outs}, reverse=True)
        return [d for d in refs if d != r and not self._reaches_x(r, d)]

    def _reaches_x(self, r: int, avoid: int) -> bool:
        stack, seen = [r], set()
        while stack:
            v = stack.pop()
            if v == self.prog.x_ref:
                return True
            if v in seen or v == avoid or v not in self.depends:
                continue
            seen.add(v)
            j = self.producer.get(v)
            if j is not None:
                stack.extend(i for i in self.prog.nodes[j].ins if isinstance(i, int))
        return False


def _region(der: _Derivation, root: int, index: int) -> tuple[Any, str]:
    """The nodes from `root` to `index` when they only move elements and map them one by
    one with constant scalars: `(nodes, positions of index in root (flat), scalars)`."""
    nodes, frontier = der.ancestors(index, lambda v: v == root)
    if frontier != {root}:
        return None, "the row indices read x besides the occupied positions"
    shape = tuple(der.prog.nodes[der.producer[root]].eqn.outvars[0].aval.shape)
    where = {root: np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)}
    ahead = [r for j in sorted(nodes) for r in der.prog.nodes[j].ins]
    der.fold([r for r in ahead if isinstance(r, int) and r not in der.depends], strict=False)
    scalars: dict[int, Any] = {}
    for j in sorted(nodes):
        why = _region_step(der, der.prog.nodes[j], where, scalars)
        if why:
            return None, why
    return (tuple(sorted(nodes)), where[index], scalars), ""


def _region_step(der: _Derivation, node: _Node, where: dict, scalars: dict) -> str:
    """One node of `_region`: its positions into `where`, its constant scalars into
    `scalars`; why not, or ""."""
    from symir.runtime.network_split import _ELEMENTWISE

    name = node.eqn.primitive.name
    moving = [r for r in node.ins if isinstance(r, int) and r in der.depends]
    if len(node.outs) != 1 or not moving:
        return f"`{name}` between the positions and the row indices"
    if name in _MOVES and len(moving) == 1 and node.ins[0] == moving[0]:
        others = [der.constant(r) for r in node.ins[1:]]
        if any(v is None for v in others):
            return f"`{name}` with operands that are not constants"
        with jax.ensure_compile_time_eval():
            where[node.outs[0]] = np.asarray(
                _bind_outside(node.eqn, [where[moving[0]], *others])[0]
            )
        return ""
    if name not in _ELEMENTWISE:
        return f"`{name}` between the positions and the row indices"
    maps = [where[r] for r in moving]
    if any(m.shape != maps[0].shape or np.any(m != maps[0]) for m in maps):
        return f"`{name}` combines different positions"
    for r in node.ins:
        if isinstance(r, int) and r in der.depends:
            continue
        value = der.constant(r)
        if value is None or np.size(value) != 1:
            return f"`{name}` with an operand that is not a constant scalar"
        if isinstance(r, int):
            scalars[r] = np.reshape(np.asarray(value), ())
    where[node.outs[0]] = maps[0]
    return ""


def _values_of(der: _Derivation, occ_nodes: tuple, l_ref: int, states: np.ndarray) -> Any:
    """`L` at the configurations `x = states[v]` everywhere, `(S, *L.shape)`: each
    element of `L` reads one site, so these are all the values it takes (one program)."""
    prog = der.prog
    consts = _operands(der, occ_nodes, {prog.x_ref})

    def one(state):
        env = {prog.x_ref: jnp.full(prog.x_shape, state, prog.x_dtype)}
        return _run_nodes(der, occ_nodes, env, consts)[l_ref]

    return np.asarray(run_now(jax.vmap(one), np.asarray(states, prog.x_dtype)))


def _operands(der: _Derivation, nodes: Any, given: set) -> dict:
    """The constant operands of `nodes` that neither they nor `given` compute (raises
    where one is not a constant)."""
    made = set(given) | {o for j in nodes for o in der.prog.nodes[j].outs}
    der.fold(
        (r for j in nodes for r in der.prog.nodes[j].ins if isinstance(r, int) and r not in made),
        strict=False,
    )
    consts = {}
    for j in nodes:
        for r in der.prog.nodes[j].ins:
            if isinstance(r, int) and r not in made:
                consts[r] = der.constant(r)
                if consts[r] is None:
                    raise ValueError("an operand that is not a constant")
    return consts


def _run_nodes(der: _Derivation, nodes: Any, env: dict, consts: dict) -> dict:
    """`env` with the outputs of `nodes` (in program order) on it and `consts`."""
    env = {**consts, **env}
    for j in sorted(nodes):
        node = der.prog.nodes[j]
        ins = [r[1] if isinstance(r, tuple) else env[r] for r in node.ins]
        env.update(zip(node.outs, _bind_outside(node.eqn, ins), strict=True))
    return env


def _occupation(der: _Derivation, d_ref: int, states: np.ndarray) -> tuple[Any, str]:
    """The `_Occupation` of `D` (checked: `D = nonzero(L, size=n)` row by row on random
    rows of the values `L` takes, each with exactly `n` non-zero elements), or
    `(None, why)`."""
    prog = der.prog
    d_aval = prog.nodes[der.producer[d_ref]].eqn.outvars[0].aval
    if len(d_aval.shape) < 1 or not jnp.issubdtype(d_aval.dtype, jnp.integer):
        return None, "not integer positions"
    nodes, frontier = der.ancestors(d_ref, lambda v: v in der.sites)
    if len(frontier) != 1:
        return None, "the positions read more than one value of x"
    (l_ref,) = frontier
    l_nodes, _ = der.ancestors(l_ref, lambda v: v == prog.x_ref)
    where = der.sites[l_ref]
    if where.shape[:-1] != tuple(d_aval.shape[:-1]):
        return None, "positions and occupations of different shapes"
    if any(
        isinstance(r, int) and r in der.on_params
        for j in (*l_nodes, *nodes)
        for r in prog.nodes[j].ins
    ):
        return None, "the occupations depend on the parameters"
    rows, width, n = int(np.prod(where.shape[:-1])), where.shape[-1], int(d_aval.shape[-1])
    element = _element_map(where.reshape(rows, width), prog.x_shape[-1])
    if element is None:
        return None, "a site sets two occupations of one row"
    values = _values_of(der, tuple(sorted(l_nodes)), l_ref, states).reshape(
        len(states), rows, width
    )
    cols = np.maximum(element, 0)  # (N, rows)
    picked = values[:, np.arange(rows)[None, :], cols]  # (S, N, rows)
    bits = np.transpose(picked != 0, (1, 0, 2)) & (element >= 0)[:, None, :]
    occ = _Occupation(l_ref, d_ref, tuple(sorted(l_nodes)), rows, width, n, element, bits)
    occ.same_as = _same_rows(element, values != 0)
    if not _is_nonzero(der, occ, nodes, values, where.shape):
        return None, "not x.nonzero()"
    return occ, ""


def _same_rows(element: np.ndarray, nonzero: np.ndarray) -> np.ndarray:
    """`(rows,)`: for each row of `L`, the first row with the same site in each column
    (`element (N, rows)`) and the same non-zero pattern at each local state (`nonzero
    (S, rows, width)`; an element reads one site at most, so the patterns then agree at
    every `x`)."""
    first: dict[bytes, int] = {}
    out = np.zeros(element.shape[1], np.int64)
    for r in range(element.shape[1]):
        key = element[:, r].tobytes() + np.ascontiguousarray(nonzero[:, r]).tobytes()
        out[r] = first.setdefault(key, r)
    return out


def _element_map(flat: np.ndarray, n_sites: int) -> Any:
    """`(N, rows)`: the column of each row of a site map `flat (rows, width)` holding each
    site (-1 for none), or None where a site is in two columns of one row."""
    rows, width = flat.shape
    element = np.full((n_sites, rows), -1, np.int64)
    for r in range(rows):
        for col in range(width):
            s = flat[r, col]
            if s < 0:
                continue
            if element[s, r] >= 0:
                return None
            element[s, r] = col
    return element


def _is_nonzero(der: _Derivation, occ: _Occupation, nodes: set, values: Any, shape: tuple) -> bool:
    """Whether the nodes computing `D` from `L` give the positions of the non-zero
    elements of each row, on random rows of the values `L` takes with `n` of them."""
    rng = np.random.default_rng(0)
    trials = []
    for _ in range(4):
        trial = np.array(values[0])
        for r in range(occ.rows):
            cells = [list(values[:, r, c]) for c in range(occ.width)]
            zero = [[v for v in vs if v == 0] for vs in cells]
            other = [[v for v in vs if v != 0] for vs in cells]
            forced = [c for c in range(occ.width) if not zero[c]]
            free = [c for c in range(occ.width) if zero[c] and other[c]]
            if len(forced) > occ.n or len(forced) + len(free) < occ.n:
                return False
            chosen = set(forced) | set(rng.permutation(free)[: occ.n - len(forced)].tolist())
            for c in range(occ.width):
                pool = other[c] if c in chosen else zero[c]
                trial[r, c] = pool[rng.integers(len(pool))]
        trials.append(trial.reshape(shape))
    ls = np.stack(trials)

    try:
        consts = _operands(der, nodes, {occ.l_ref})

        def one(lv):
            return _run_nodes(der, nodes, {occ.l_ref: lv}, consts)[occ.d_ref]

        got = np.asarray(run_now(jax.vmap(one), ls))
    except Exception:
        return False
    want = np.stack([[np.nonzero(r)[0] for r in t.reshape(occ.rows, occ.width)] for t in ls])
    return got.size == want.size and np.array_equal(got.reshape(want.shape), want)


def _rest_live(prog: DeterminantProgram) -> tuple[list[bool], bool]:
    """The nodes a connected state's `logpsi` needs when the sites' units are given, and
    whether they read `x`."""
    units = {s.unit for s in prog.sites}
    needed = {r for r in prog.out_refs if isinstance(r, int)}
    live = [False] * len(prog.nodes)
    for i in range(len(prog.nodes) - 1, -1, -1):
        node = prog.nodes[i]
        if not any(o in needed for o in node.outs):
            continue
        live[i] = True
        if i not in units:
            needed.update(r for r in node.ins if isinstance(r, int))
    return live, prog.x_ref in needed


def derive_ranks(prog: DeterminantProgram, local_states: Any) -> tuple[Any, str]:
    """`(ranks, reason)`: how each site's rows follow from the occupied positions of `x`
    (`x.nonzero()` of a value whose elements each read one site, sliced, offset), so that
    a connected state's replaced rows, their places and the permutation's sign come from
    its deltas and per-sample ranks; `(None, why)` where some site's rows do not."""
    cached = getattr(prog, "_ranks", {})
    key = tuple(np.asarray(local_states).tolist())
    if key in cached:
        return cached[key]
    prog._ranks = cached  # type: ignore[attr-defined]
    try:
        states = np.asarray(local_states).astype(np.dtype(prog.x_dtype))
        cached[key] = _derive_ranks(prog, states)
    except Exception as exc:  # an operation that cannot run outside the program's context
        cached[key] = (None, f"row ranks do not apply: {type(exc).__name__}: {exc}"[:300])
    return cached[key]


def _derive_ranks(prog: DeterminantProgram, states: np.ndarray) -> tuple[Any, str]:
    der = _Derivation(prog)
    occupations: list[_Occupation] = []
    found: dict[int, Any] = {}
    sites: list[_RankSite] = []
    for site in prog.sites:
        index = prog.nodes[site.gather].ins[1]
        why, best = "", None
        # the farthest root that applies (the whole nonzero): the first from x; `why`,
        # where none does, the farthest's reason
        for root in reversed(der.dominators(index)):
            region, why_r = _region(der, root, index)
            if region is None:
                why = why or why_r
                continue
            if root not in found:
                found[root] = _occupation(der, root, states)
            occ, why_o = found[root]
            if occ is None:
                why = why or why_o
                continue
            nodes, where, scalars = region
            where = np.reshape(where, (-1, site.n))
            row, lo = where[:, 0] // occ.n, where[:, 0] % occ.n
            if not np.array_equal(where, (row * occ.n + lo)[:, None] + np.arange(site.n)):
                why = why or "the rows are not consecutive occupied positions in order"
                continue
            best = (occ, row, lo, nodes, root, scalars)
            break
        why = why or "its row indices are not positions of x.nonzero()"
        if best is None:
            return None, f"row ranks do not apply: {why}"
        occ, row, lo, nodes, root, scalars = best
        if not any(c is occ for c in occupations):
            occupations.append(occ)
        o = next(i for i, c in enumerate(occupations) if c is occ)
        sites.append(_RankSite(o, row, lo, nodes, root, index, scalars))
    # the gather row a particle added at each site brings, every site's in one program
    cols = [occupations[rs.occupation].element[:, rs.row].T for rs in sites]  # (U, N)
    rows_at = run_now(
        lambda cs: [_phi(prog, rs, c) for rs, c in zip(sites, cs, strict=True)],
        [np.maximum(c, 0) for c in cols],
    )
    for site, rs, c, r in zip(prog.sites, sites, cols, rows_at, strict=True):
        r = np.asarray(r)
        rs.valid_at = (c >= 0) & (r >= 0) & (r < site.m)
        rs.rows_at = np.where(rs.valid_at, r, 0)
    rest, reads_x = _rest_live(prog)
    tables = [
        np.where(o.element.T[:, :, None] >= 0, 2 * (o.element.T[:, :, None] + 1), 0)
        + np.transpose(o.bits, (2, 0, 1))
        for o in occupations
    ]
    ranks = _Ranks(occupations, sites, states, rest, reads_x, [t.astype(np.int32) for t in tables])
    words = ", ".join(f"nonzero of {o.rows} x {o.width} -> {o.n}" for o in occupations)
    return ranks, f"rows by occupation ranks ({words}); per connected state: " + (
        "the network's other x-dependent part" if reads_x else "no x-dependent part"
    )


def _phi(prog: DeterminantProgram, site: _RankSite, positions: Any) -> Any:
    """The gather rows of occupied positions `positions` (the region's element-wise
    maps)."""
    root_dtype = prog.nodes[site.region[0]].eqn.invars[0].aval.dtype if site.region else None
    env = {site.root: positions.astype(root_dtype) if root_dtype is not None else positions}
    for j in site.region:
        node = prog.nodes[j]
        if node.eqn.primitive.name in _MOVES:
            env[node.outs[0]] = env[node.ins[0]]
            continue
        ins = [
            r[1] if isinstance(r, tuple) else env[r] if r in env else site.scalars[r]
            for r in node.ins
        ]
        env[node.outs[0]] = _bind_outside(node.eqn, ins)[0]
    return env[site.index]


def _rank_base(prog: DeterminantProgram, ranks: _Ranks, params: Any, x: Any) -> tuple:
    """`logpsi(x)` of one sample; each site's `G[u, s] = chain(M_u[a_u(s)]) A_u^-1`, the
    ratio row of the gather row `a_u(s)` that an added particle at site `s` brings
    (`(U, N, n)`, `U` the site's units), and the unit outputs; each occupation row's
    `2 count + bit` per site (the running count of non-zero elements up to the site's
    element, and its bit); whether `D(x)` is the positions of the bits (every row
    holding exactly `n`)."""
    caches: list = []
    seen: list = []

    def hook(site: _Site, env: dict) -> list:
        seen.append(env)
        a = _read(env, prog.nodes[site.unit].ins[0])
        m, _ = _canonical(prog, site, env)
        rs = ranks.sites[len(caches)]
        flat_m = jnp.reshape(m, (-1, site.m, site.n))
        rows = flat_m[jnp.arange(flat_m.shape[0])[:, None], jnp.asarray(rs.rows_at)]
        outs, g = _factorised(
            prog.nodes[site.unit].eqn, site.kind, a, _apply_chain(prog, site, rows)
        )
        caches.append((g, tuple(outs)))
        return outs

    lp = _run(prog, params, x, hook)
    env = seen[0]
    occs, ok = [], jnp.bool_(True)
    for occ in ranks.occupations:
        bits = jnp.reshape(env[occ.l_ref] != 0, (occ.rows, occ.width))
        counts = jnp.cumsum(bits, axis=-1, dtype=jnp.int32)
        d = jnp.reshape(env[occ.d_ref], (occ.rows, occ.n))
        dc = jnp.clip(d, 0, occ.width - 1).astype(jnp.int32)
        at = jnp.take_along_axis(bits, dc, -1)
        at = at & (jnp.take_along_axis(counts, dc, -1) == 1 + jnp.arange(occ.n))
        ok = ok & jnp.all(at & (d == dc)) & jnp.all(counts[:, -1] == occ.n)
        col = jnp.asarray(np.maximum(occ.element, 0).T)  # (rows, N)
        row = jnp.arange(occ.rows)[:, None]
        occs.append(2 * counts[row, col] + bits[row, col].astype(jnp.int32))
    return lp, tuple(caches), tuple(occs), ok


def _factorised(eqn: Any, kind: str, a: Any, rows: Any) -> tuple[list, Any]:
    """The unit's outputs (`slogdet` / `det` of `a (*b, n, n)`, in the dtypes of `eqn`'s
    outputs) and `rows A^-1` (`rows (U, N, n)`, `U` the flat batch) from one LU of each
    matrix (`P A = L U`: `rows U^-1 L^-1 P`, two triangular solves)."""
    n = a.shape[-1]
    lu, pivots, perm = jax.lax.linalg.lu(a)
    diag = jnp.diagonal(lu, axis1=-2, axis2=-1)
    odd = jnp.sum(pivots != jnp.arange(n, dtype=pivots.dtype), axis=-1) % 2
    parity = (1 - 2 * odd).astype(lu.dtype)
    if kind == "det":
        outs = [parity * jnp.prod(diag, axis=-1)]
    else:
        mag = jnp.abs(diag)
        zero = jnp.any(mag == 0, axis=-1)
        unit = diag / jnp.where(mag == 0, jnp.ones_like(mag), mag).astype(diag.dtype)
        sign = jnp.where(zero, jnp.zeros((), lu.dtype), parity * jnp.prod(unit, axis=-1))
        outs = [sign, jnp.sum(jnp.log(mag), axis=-1)]
    outs = [o.astype(v.aval.dtype) for o, v in zip(outs, eqn.outvars, strict=True)]
    flat = jnp.reshape(lu, (-1, n, n))
    rows = rows.astype(lu.dtype)
    solve = jax.lax.linalg.triangular_solve
    y = solve(flat, rows, left_side=False, lower=False)
    z = solve(flat, y, left_side=False, lower=True, unit_diagonal=True)
    back = jnp.reshape(perm, (-1, n))[:, :, None] == jnp.arange(n, dtype=perm.dtype)
    return outs, jnp.einsum("uti,uij->utj", z, back.astype(z.dtype))


def _smallest(col: Any, mask: Any, kk: int, w: int) -> list:
    """The `kk` smallest `col` where `mask` along the last axis (distinct columns):
    `(column, one-hot selection)` each, `w` and none past the last."""
    out, last = [], jnp.full(col.shape[:-1], -1, col.dtype)
    for _ in range(kk):
        last = jnp.min(jnp.where(mask & (col > last[..., None]), col, w), axis=-1)
        out.append((last, mask & (col == last[..., None])))
    return out


def _row_changes(occ, table, packed, kk, sites, vi, known, first, sample):
    """One occupation row's changes per slot (`(B, C, k)` deltas of samples `sample (B,
    C)`; `packed (b, N)` the samples' `2 count + bit`): whether the ranks do
    not give them (a changed count, more than `kk`), and for the `kk` removed and added
    particles in order (`valid`: there is one), the place `rank` of the removed one in
    `D(x)`, the place `q` of the added one in `D(x')` and its site."""
    w = occ.width
    t = table[sites, vi]
    col, new = (t >> 1) - 1, (t & 1) == 1
    has = (col >= 0) & first
    pk = packed[sample[..., None], sites]
    old, count = (pk & 1) == 1, pk >> 1
    removed, added = has & known & old & ~new, has & known & ~old & new
    nr = jnp.sum(removed, axis=-1, dtype=jnp.int32)
    over = jnp.any(has & ~known, axis=-1) | (nr != jnp.sum(added, axis=-1)) | (nr > kk)
    gone = _smallest(col, removed, kk, w)
    come = _smallest(col, added, kk, w)
    valid = [j < nr for j in range(kk)]
    rank = [jnp.sum(jnp.where(sel, count, 0), axis=-1) - 1 for _, sel in gone]
    q, where = [], []
    for j, (ac, sel) in enumerate(come):
        less = sum(((g < ac) & valid[i]).astype(jnp.int32) for i, (g, _) in enumerate(gone))
        q.append(jnp.sum(jnp.where(sel, count, 0), axis=-1) - less + j)
        where.append(jnp.sum(jnp.where(sel, sites, 0), axis=-1))
    return over, valid, rank, q, where


def _in_order(mask: list, values: list, kk: int) -> list:
    """The `values` where `mask`, in order, padded with zeros (`kk` each)."""
    out, seen = [], [0] * len(mask)
    running = 0
    for j, m in enumerate(mask):
        seen[j] = running
        running = running + m.astype(jnp.int32)
    for i in range(kk):
        out.append(sum(jnp.where(m & (s == i), v, 0) for m, s, v in zip(mask, seen, values)))
    return out


def _slice_ratio(g, us, lo, n, kk, change, fits, needed, sample):
    """The ratios of units `us`' determinants (rows `D[lo:lo + n]` of one occupation row,
    `fits (len(us), N)` their `valid_at`) at `x'` and `x` per slot (`(b, c, len(us))`),
    and whether the ranks do not give them (a particle that moves across the slice's
    ends: the rows shift)."""
    _, valid, rank, q, where = change
    hi = lo + n
    ends = [
        sum((v & (r < e)).astype(jnp.int32) for v, r in zip(valid, rank))
        == sum((v & (p < e)).astype(jnp.int32) for v, p in zip(valid, q))
        for e in (lo, hi)
    ]
    gone = [v & (r >= lo) & (r < hi) for v, r in zip(valid, rank)]
    come = [v & (p >= lo) & (p < hi) for v, p in zip(valid, q)]
    k_here = sum(m.astype(jnp.int32) for m in gone)
    use = (k_here > 0) & ends[0] & ends[1] & needed
    parity = sum(jnp.where(m, r, 0) for m, r in zip(gone, rank)) + sum(
        jnp.where(m, p, 0) for m, p in zip(come, q)
    )
    places = [jnp.clip(r - lo, 0, n - 1) for r in _in_order(gone, rank, kk)]
    brought = _in_order(come, where, kk)
    here = [i < k_here for i in range(kk)]
    bad = functools.reduce(
        jnp.logical_or, [h[..., None] & ~fits.T[s] for h, s in zip(here, brought)]
    )
    batch = sample[..., None]
    u = jnp.asarray(us)
    c = jnp.stack(
        [jnp.stack([g[batch, u, s[..., None], p[..., None]] for p in places], -1) for s in brought],
        -2,
    )
    both = jnp.stack(here, -1)[..., None, :]
    c = jnp.where(both[..., :, None] & both[..., None, :], c, jnp.eye(kk, dtype=c.dtype))
    d = _small_det(c) * (1 - 2 * (parity % 2)).astype(c.dtype)[..., None]
    over = ~(ends[0] & ends[1]) | (use & jnp.any(bad, axis=-1))
    return jnp.where(use[..., None], d, jnp.ones((), d.dtype)), over


def _rank_slots(prog, ranks, kk, params, x, caches, sites, values, needed, sample):
    """`logpsi(x')` of the slots with deltas `sites`, `values` `(B, C, k)` of samples
    `sample (B, C)` from the samples' caches, and whether the ranks do not give a needed
    slot's rows (a changed count, more than `kk` rows, a change across a slice: the plain
    block then takes the batch)."""
    from symir.runtime.compiled import repeated_sites

    site_caches, occ_caches = caches
    states = jnp.asarray(ranks.local_states)
    match = values[..., None] == states
    known = jnp.any(match, axis=-1)
    vi = jnp.sum(jnp.where(match, jnp.arange(states.shape[0]), 0), axis=-1)
    first = ~repeated_sites(sites)
    over = jnp.zeros(needed.shape, bool)
    changes = []
    for occ, table, packed in zip(ranks.occupations, ranks.tables, occ_caches, strict=True):
        per_row = []
        for r in range(occ.rows):
            if occ.same_as[r] != r:  # a copy of an earlier row: the same changes
                per_row.append(per_row[occ.same_as[r]])
                continue
            change = _row_changes(
                occ, jnp.asarray(table[r]), packed[:, r], kk, sites, vi, known, first, sample
            )
            over = over | change[0]
            per_row.append(change)
        changes.append(per_row)
    outs_new = []
    for site, rs, (g, outs) in zip(prog.sites, ranks.sites, site_caches, strict=True):
        occ = ranks.occupations[rs.occupation]
        groups: dict[tuple[int, int], list[int]] = {}  # units of one row's change and slice
        for u in range(g.shape[1]):
            groups.setdefault((int(occ.same_as[rs.row[u]]), int(rs.lo[u])), []).append(u)
        ds: list = [None] * g.shape[1]
        for (row, lo), us in groups.items():
            change = changes[rs.occupation][row]
            fits = jnp.asarray(rs.valid_at[us])
            d, o = _slice_ratio(g, us, lo, site.n, kk, change, fits, needed, sample)
            over = over | o
            for i, u in enumerate(us):
                ds[u] = d[..., i]
        d = jnp.reshape(jnp.stack(ds, -1), (*needed.shape, *site.batch))
        outs_new.append(_updated_outs(site, [o[sample] for o in outs], d))

    def rest(outs, xp):
        it = iter(outs)
        return _run(prog, params, xp, lambda site, env: next(it), ranks.rest)

    if ranks.rest_reads_x:  # the network's other part reads x': build it from the deltas
        xp = jnp.put_along_axis(x[sample], sites, values.astype(x.dtype), axis=-1, inplace=False)
        lp = jax.vmap(jax.vmap(rest))(outs_new, xp)
    else:
        xp = jnp.zeros(prog.x_shape, prog.x_dtype)
        lp = jax.vmap(jax.vmap(lambda outs: rest(outs, xp)))(outs_new)
    return lp, over & needed


def _rank_compacted(prog, ranks, kk, params, x, caches, sites, values, needed, capacity):
    """`_rank_slots` on the needed slots only (`needed (b, c)`, about a quarter of the
    candidates of a Hubbard hop), in chunks of `capacity` (a `lax.scan` whose chunks past
    the count are skipped by a `lax.cond`): `logpsi(x')` `(b, c)` (zero where not
    needed) and whether the ranks do not give some needed slot."""
    b, c = needed.shape
    m, k = b * c, sites.shape[-1]
    size = max(1, min(capacity, m))
    n_chunks = -(-m // size)
    mask = jnp.reshape(needed, (m,))
    count = jnp.sum(mask, dtype=jnp.int32)
    positions = compact_positions(mask, n_chunks * size)
    flat_sites = jnp.reshape(sites, (m, k))
    flat_values = jnp.reshape(values, (m, k))

    def chunk(i):
        where = jax.lax.dynamic_slice_in_dim(positions, i * size, size)
        w = jnp.minimum(where, m - 1)
        lp, over = _rank_slots(
            prog,
            ranks,
            kk,
            params,
            x,
            caches,
            flat_sites[w][None],
            flat_values[w][None],
            (where < m)[None],
            (w // c)[None],
        )
        return lp[0], over[0]

    shape = jax.eval_shape(chunk, 0)

    def skip(i):  # varying like `chunk`'s results inside `shard_map`
        vary = jnp.zeros((), jnp.int32) * x[0, 0].astype(jnp.int32)
        return tuple(jnp.full(a.shape, vary).astype(a.dtype) for a in shape)

    def body(carry, i):
        return carry, jax.lax.cond(i * size < count, chunk, skip, i)

    _, (lp, over) = jax.lax.scan(body, None, jnp.arange(n_chunks))
    out = set_at(jnp.zeros((m,), lp.dtype), positions, jnp.reshape(lp, (-1,)))
    return jnp.reshape(out, (b, c)), jnp.any(over)


def _updated_outs(site: _Site, outs: Any, d: Any) -> list:
    """A unit's outputs at `x'` from those at `x` and the ratio `d` of determinants."""
    if site.kind == "det":
        return [outs[0] * d.astype(outs[0].dtype)]
    sign, logabs = outs
    mag = jnp.abs(d)
    if jnp.issubdtype(d.dtype, jnp.complexfloating):  # d / |d|, differentiable
        phase = d / jnp.where(mag == 0, jnp.ones_like(mag), mag).astype(d.dtype)
    else:  # +-1, locally constant
        phase = jnp.sign(d)
    return [sign * phase.astype(sign.dtype), logabs + jnp.log(mag).astype(logabs.dtype)]


def _rank_block(
    prog, ranks, fallback, logpsi, params, x, compiled, plan, capacity, skip_zero_mels, active=None
):
    from symir.runtime.conn_delta import needed_slots
    from symir.runtime.lapack_order import lapack_ordered
    from symir.runtime.slots import split_diagonal

    sites, values, mels = compiled.get_conn_delta(x)
    base = jax.vmap(functools.partial(_rank_base, prog, ranks), (None, 0))
    lp_x, site_caches, occ_caches, ok = lapack_ordered(base)(params, x)
    total, (sites, values, mels) = split_diagonal(plan, mels, lp_x.dtype, (sites, values, mels))
    if not plan.candidates:
        return total
    needed = needed_slots(x, sites, values, mels, skip_zero_mels, active)
    kk = max(1, sites.shape[-1] // 2)
    lp, over_rows = _rank_compacted(
        prog, ranks, kk, params, x, (site_caches, occ_caches), sites, values, needed, capacity
    )
    # a slot the ranks do not give, or a sample whose D(x) is not its occupied
    # positions: the batch takes the plain block (the network on those slots only, in
    # compacted chunks, cost more than the `cond`)
    redo = over_rows | (needed & ~ok[:, None])
    overflow = jnp.any(redo)
    lp = jnp.where(needed, lp, lp_x[:, None])
    energies = total + jnp.sum(mels * jnp.exp(lp - lp_x[:, None]), axis=-1)

    def plain(operands):
        p, xs = jax.lax.optimization_barrier(operands)
        return fallback(
            lapack_ordered(logpsi),
            p,
            xs,
            compiled,
            plan,
            max(1, capacity // 8),
            skip_zero_mels,
            active=active,
        ).astype(energies.dtype)

    def keep(operands):
        return energies

    return jax.lax.cond(overflow, plain, keep, (params, x))


def determinant_block(
    logpsi: Callable, params: Any, x_example: Any, *, fallback: Callable
) -> tuple[Any, str]:
    """`(block, reason)`: `block(logpsi, params, x, compiled, plan, capacity,
    skip_zero_mels, active=None) -> E_loc (b,)` (the signature of
    `local_energy._delta_block`) evaluating the connected states by low-rank updates of
    each sample's cached inverse, or `(None, reason)` when `logpsi`'s program has no
    determinant of rows gathered by the configuration (module docstring). `reason`
    describes the sites found (or why none). The block evaluates the program derived
    here: `logpsi` given to it must compute the same function (a wrapper such as
    `lapack_ordered(logpsi)` is fine; it is used for the plain fallback). `fallback` is
    the plain block of that signature (`local_energy._delta_block`, handed over so that
    this module does not import the local-energy path back) for a batch in which a
    connected state replaces more rows than the updates handle."""
    prog, reason = derive_determinants(logpsi, params, x_example)
    if prog is None:
        return None, reason
    block = functools.partial(_determinant_block, prog, fallback)
    block.program = prog  # type: ignore[attr-defined]
    return block, reason


def _determinant_block(
    prog: DeterminantProgram,
    fallback: Callable,
    logpsi: Callable,
    params: Any,
    x: Any,
    compiled: Any,
    plan: Any,
    capacity: int,
    skip_zero_mels: bool,
    active: Any = None,
) -> Any:
    from symir.runtime.conn_delta import needed_slots
    from symir.runtime.lapack_order import lapack_ordered
    from symir.runtime.slots import split_diagonal

    ranks, _ = derive_ranks(prog, compiled.space.local_states)
    if ranks is not None:
        return _rank_block(
            prog,
            ranks,
            fallback,
            logpsi,
            params,
            x,
            compiled,
            plan,
            capacity,
            skip_zero_mels,
            active,
        )
    sites, values, mels = compiled.get_conn_delta(x)
    base = jax.vmap(functools.partial(_base_pass, prog), (None, 0))
    lp_x, caches = lapack_ordered(base)(params, x)
    total, (sites, values, mels) = split_diagonal(plan, mels, lp_x.dtype, (sites, values, mels))
    if not plan.candidates:
        return total
    needed = needed_slots(x, sites, values, mels, skip_zero_mels, active)
    kk = max(1, sites.shape[-1] // 2)
    conn = functools.partial(_conn_pass, prog, _live(prog), kk)
    lp, over = _compacted(conn, params, x, caches, sites, values, needed, capacity)
    lp = jnp.where(needed, lp, lp_x[:, None])
    terms = mels * jnp.exp(lp - lp_x[:, None])
    energies = total + jnp.sum(terms, axis=-1)
    overflow = over

    def plain(_):
        return fallback(
            lapack_ordered(logpsi),
            params,
            x,
            compiled,
            plan,
            capacity,
            skip_zero_mels,
            active=active,
        ).astype(energies.dtype)

    return jax.lax.cond(overflow, plain, lambda _: energies, None)
