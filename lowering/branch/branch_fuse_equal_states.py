"""`branch-fuse-equal-states`: branches with provably equal connected states share one slot.

A model written term by term emits the same connected configuration from several
places: Heisenberg as `xx + yy + zz` flips the same two sites in the `xx` and `yy` terms,
an all-to-all model over ordered pairs swaps sites `(i, j)` and `(j, i)`, the summands of
a `SymbolicOperatorSum` flip the same bonds. Each such branch takes a slot of the output,
and the fan-out F sizes everything a variational Monte Carlo step does afterwards. This
pass merges every set of branches (an emission and a row of its term) whose connected
states are provably equal, row by row, into one slot:

    amplitude = sum_k select(mask_k, amp_k, 0)      mask = or_k mask_k

The proof is structural and conservative. Every row of every emission the kernel returns
gets a key: the emission's update program evaluated symbolically with the row-table
columns replaced by that row's sites (so the key says what is written where, after value
numbering, i.e. after CSE). A state is `x` with a map from site to written value (a
later write to a site replaces an earlier one; writing `x[s]` back to `s` is no write), a
`select_state` of two different states under a condition (of two equal states: that
state), a write at a site known only at run time (kept in sequence), or invalid. Values
are reads of `x` or `x'` at a site, sites found in `x` (`branch.nth_site`, by its sites,
state and rank), constants, parameters and `branch` ops of values (operands of
commutative ops ordered). Branches with equal keys have equal `x'` for every
input, and equal validity: a branch is valid when it was not invalidated and its final
`x'` is made of local states (what `branch.write {checked}` checks at `branch.emit`; an
unchecked write writes a local state), so equal final states are equally valid on inputs
in the Hilbert space, and `invalidate` is part of the key (every invalidated branch has
the same key, whatever was written before: they all merge into one padding slot).
Masks need no proof: a masked branch contributes 0 to the sum, and the slot is padding
only where every merged branch is masked or invalid. A tag is a request to keep branches
apart: it is part of the key (branches with the same tag, or none, may merge; the merged
slot keeps the tag). An emission whose state the analysis cannot describe (an op it does
not know) merges only row by row with emissions of the same state value.
`merge_diagonal=false` keeps the branches whose state is provably `x` apart (the default
lowering passes its `coalesce_diagonal`).

The keys cost Python work per row and op. When every output emission's state is `x`
with writes at run-time sites only, its rows' states are first hashed with numpy
(`RowHashes`: each a function of the exact key); all hashes distinct proves that nothing
merges and that no pair of emissions is a candidate, and the exact keys are skipped (a
molecule's excitation slots: thousands of rows over thousands of ops).

Merging: branches with equal keys form a class; the classes drawing on the same
emissions (in the same order) form one new emission with one row per class. Each of its
layers is a source emission read at the class's rows: the source itself when those are
all its rows in order (Heisenberg's `xx` and `yy` on the same bonds), else a copy of the
row-wise ops computing its state, amplitude and mask with every `branch.column`
re-indexed (a permutation for summands on permuted bond lists, a subset for the ordered
pairs of one term). A class of one slot that holds every row of an emission (the
diagonal, invalidated branches) takes that emission's rows summed (`branch.sum_rows`,
active where any row is) instead of one copy per row. An emission with more than one row
that is not computed row-wise from its columns is left alone. The merged emission takes
the output position, term and state of its first member. A second run finds nothing to
merge.

The pass writes what it did onto the module as `branch.fusion = {<kernel> = {fanout =
[before, after], bytes_per_sample = [before, after], merged = [{emissions = [...], terms
= [...], rows = R}, ...], decisions = [...]}}`; `decisions` explains every candidate pair
of emissions, merged or not and why (`symir.lowering.branch.fusion_decisions`). The
option `groups` forces the merge groups (as `merged` prints them, `"xx+yy"`): exactly
those merge, and a group that cannot is refused. In the report: an emission is named by its term (with `#k` when the term
returns several), once per layer; `terms` are the terms whose branches the slot holds
(the coalesced diagonal's are the summed ones); the bytes are those `get_conn_padded`
writes per sample, `F * N * sizeof(x) + F * sizeof(mel)`. A second run that merges
nothing keeps the report of the first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import DYNAMIC_INDEX as DYN
from xdsl.dialects.builtin import (
    ComplexType,
    IntegerAttr,
    ModuleOp,
    TensorType,
    f64,
    i1,
    i64,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass

from symir.dialects import branch
from symir.dialects.sym import c64
from symir.lowering.analyses import read_analysis, write_analysis
from symir.lowering.branch._block_order import block_positions, in_block_order
from symir.lowering.branch._kernel_outputs import (
    check_slots_movable,
    output_concats,
    set_output_emits,
)
from symir.lowering.branch.branch_merge_exclusive_emissions import (
    _output_emits as output_emits,
)
from symir.lowering.branch.branch_sort_summed_rows import ROW_WISE
from symir.lowering.branch.fusion_decisions import States, decisions

REPORT_ATTR = "branch.fusion"
"""The module attribute the pass writes its report into (one entry per kernel)."""

COMMUTATIVE = (branch.AddOp, branch.MulOp, branch.MinOp, branch.MaxOp, branch.AndOp, branch.OrOp)
NUMERIC = (i64, f64, c64)

X = -1
"""The base of a state that is `x` with writes (other bases are `select_state` keys)."""
INVALID = ("invalid",)
"""The state of an invalidated branch (writes after `invalidate` change nothing)."""

State = tuple
IDENTITY: State = (X, ())
"""The state `x` itself."""
"""`INVALID` or `(base, ((site, value key), ...))`, sites sorted."""


class RowKeys:
    """Per-row structural keys of the values and states of one kernel (hash-consed).

    `values(v)` / `states(v)` give one key per row of `v`, or None when the analysis
    cannot describe `v` (then nothing depending on it is merged)."""

    def __init__(self, kernel: branch.KernelOp):
        self.n = kernel.num_sites.data
        self.params = list(kernel.param_args)
        self.table: dict[tuple, int] = {}
        self.ints: dict[int, int] = {}
        self.memo: dict[SSAValue, list | None] = {}

    def intern(self, key: tuple) -> int:
        return self.table.setdefault(key, len(self.table))

    def int_key(self, value: int) -> int:
        k = self.intern(("int", value))
        self.ints[k] = value
        return k

    def site(self, key: int) -> int | None:
        """The site a value key stands for, when it is a constant integer."""
        value = self.ints.get(key)
        return None if value is None else value % self.n

    def read(self, site_key: int) -> int:
        s = self.site(site_key)
        return self.intern(("read", s) if s is not None else ("read_at", site_key))

    # ------------------------------------------------------------------ values
    def values(self, v: SSAValue) -> list[int] | None:
        if v not in self.memo:
            self.memo[v] = self._values(v)
        return self.memo[v]

    def _values(self, v: SSAValue) -> list[int] | None:
        op = v.owner
        rows = _rows(v.type)
        if isinstance(op, branch.ColumnOp):
            return [self.int_key(c) for c in op.values.get_values()]
        if isinstance(op, branch.ConstantOp):
            value = op.value
            if isinstance(value, IntegerAttr) and value.type == i64:
                return [self.int_key(value.value.data)] * rows
            return [self.intern(("const", value))] * rows
        if isinstance(op, branch.SplatOp):
            return [self.intern(("param", self.params.index(op.scalar)))] * rows
        if isinstance(op, branch.ReadOp):
            sites = self.values(op.sites)
            return None if sites is None else [self.read(s) for s in sites]
        if isinstance(op, branch.StateReadOp):
            return self._state_read(op)
        if isinstance(op, branch.NthSiteOp):  # a function of x and the rank, like a read
            ranks = self.values(op.rank)
            key = (op.name, op.site_list, op.state.value.data)
            return None if ranks is None else [self.intern((*key, k)) for k in ranks]
        if isinstance(op, branch.ElementwiseBase | branch.MemberOp):
            return self._elementwise(op)
        return None

    def _elementwise(self, op: Operation) -> list[int] | None:
        operands = [self.values(v) for v in op.operands]
        if any(o is None for o in operands):
            return None
        props = tuple(sorted(op.properties.items()))
        if isinstance(op, COMMUTATIVE):
            return [self.intern((op.name, props, *sorted(ks))) for ks in zip(*operands)]
        return [self.intern((op.name, props, *ks)) for ks in zip(*operands)]

    def _state_read(self, op: branch.StateReadOp) -> list[int] | None:
        states, sites = self.states(op.state), self.values(op.sites)
        if states is None or sites is None:
            return None
        return [self.read_state(st, k) for st, k in zip(states, sites)]

    def read_state(self, state: State, site_key: int) -> int:
        """The key of `x'[site]` in `state`."""
        if state == INVALID:
            return self.intern(INVALID)  # read by a branch that is dropped
        base, writes = state
        s = self.site(site_key)
        if s is None:
            if base == X and not writes:
                return self.read(site_key)
            return self.intern(("state_read_at", state, site_key))
        written = dict(writes)
        if s in written:
            return written[s]
        return self.read(site_key) if base == X else self.intern(("state_read", base, s))

    # ------------------------------------------------------------------ states
    def states(self, v: SSAValue) -> list[State] | None:
        if v not in self.memo:
            self.memo[v] = self._states(v)
        return self.memo[v]

    def _states(self, v: SSAValue) -> list[State] | None:
        op = v.owner
        rows = _rows(v.type)
        if isinstance(op, branch.StateOp):
            return [(X, ())] * rows
        if isinstance(op, branch.InvalidateOp):
            return [INVALID] * rows
        if isinstance(op, branch.WriteOp):
            return self._write(op)
        if isinstance(op, branch.SelectStateOp):
            cond = self.values(op.condition)
            a, b = self.states(op.if_true), self.states(op.if_false)
            if cond is None or a is None or b is None:
                return None
            return [
                sa if sa == sb else (self.intern(("select", c, sa, sb)), ())
                for c, sa, sb in zip(cond, a, b)
            ]
        return None

    def _write(self, op: branch.WriteOp) -> list[State] | None:
        states, sites = self.states(op.state), self.values(op.sites)
        values = self.values(op.values)
        if states is None or sites is None or values is None:
            return None
        return [self.write_state(st, k, v) for st, k, v in zip(states, sites, values)]

    def write_state(self, state: State, site_key: int, value: int) -> State:
        """`state` after writing `value` at `site`."""
        if state == INVALID:
            return INVALID
        s = self.site(site_key)
        if s is None:  # a site known only at run time: this write stays in sequence
            return (self.intern(("write_at", state, site_key, value)), ())
        base, writes = state
        written = dict(writes)
        if base == X and value == self.intern(("read", s)):
            written.pop(s, None)  # x[s] written back to s: no write
        else:
            written[s] = value
        return (base, tuple(sorted(written.items())))

    def branches(self, emit: branch.EmitOp, diagonal: bool = True) -> list[int] | None:
        """One key per row of `emit`: equal keys, equal connected state (and tag). With
        `diagonal` False a row whose state is provably `x` gets a key of its own."""
        if _elem(emit.amplitude.type) not in NUMERIC:
            return None
        tag = emit.tag.data if emit.tag is not None else None
        states = self.states(emit.state)
        if states is None:  # only row r of the same state value is known to be equal
            return [
                self.intern(("same", tag, emit.state, r)) for r in range(_rows(emit.state.type))
            ]
        return [
            self.intern(
                ("alone", id(emit), r) if s == IDENTITY and not diagonal else ("branch", tag, s)
            )
            for r, s in enumerate(states)
        ]


_MASK = (1 << 64) - 1


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser on uint64 (wrapping arithmetic)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _tag(obj: object) -> np.uint64:
    return np.uint64(hash(obj) & _MASK)


def _combine(tag: object, *parts: np.ndarray) -> np.ndarray:
    """One hash per row of the tuple `(tag, *parts)` (position-dependent)."""
    h = _mix(np.full(len(parts[0]) if parts else 1, _tag(tag), np.uint64))
    for k, part in enumerate(parts):
        h = _mix(h ^ (part + np.uint64((0x9E3779B97F4A7C15 * (k + 1)) & _MASK)))
    return h


class RowHashes:
    """`RowKeys` hashed: one uint64 per row, computed with numpy, a function of the row's
    exact key (equal keys, equal hashes), for the states made of `x` and writes at sites
    known only at run time (what a kernel whose branches write sites found in `x` has:
    a molecule's excitations, `sym.nth_site`). Distinct hashes prove distinct keys, so
    a kernel whose states all hash apart has nothing to merge: the pass skips the exact
    analysis, whose cost is Python work per row and op (`distinct_states`)."""

    def __init__(self, kernel: branch.KernelOp):
        self.n = kernel.num_sites.data
        self.params = list(kernel.param_args)
        self.memo: dict[SSAValue, tuple[np.ndarray, np.ndarray | None] | None] = {}

    def values(self, v: SSAValue) -> tuple[np.ndarray, np.ndarray | None] | None:
        """(hash per row, the integer per row where the exact key is an integer)."""
        if v not in self.memo:
            self.memo[v] = self._values(v)
        return self.memo[v]

    def _int(self, ints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _combine("int", ints.astype(np.uint64)), ints

    def _values(self, v: SSAValue) -> tuple[np.ndarray, np.ndarray | None] | None:
        op = v.owner
        rows = _rows(v.type)
        if isinstance(op, branch.ColumnOp):
            return self._int(np.frombuffer(op.values.data.data, dtype="<i8"))
        if isinstance(op, branch.ConstantOp):
            value = op.value
            if isinstance(value, IntegerAttr) and value.type == i64:
                return self._int(np.full(rows, value.value.data, np.int64))
            return np.full(rows, _tag(("const", value)), np.uint64), None
        if isinstance(op, branch.SplatOp):
            return np.full(rows, _tag(("param", self.params.index(op.scalar))), np.uint64), None
        if isinstance(op, branch.ReadOp):
            sites = self.values(op.sites)
            if sites is None:
                return None
            if sites[1] is not None:
                return _combine("read", (sites[1] % self.n).astype(np.uint64)), None
            return _combine("read_at", sites[0]), None
        if isinstance(op, branch.NthSiteOp):
            ranks = self.values(op.rank)
            key = (op.name, op.site_list, op.state.value.data)
            return None if ranks is None else (_combine(key, ranks[0]), None)
        if isinstance(op, branch.ElementwiseBase | branch.MemberOp):
            return self._elementwise(op)
        return None  # a state read, an unknown op: the exact analysis decides

    def _elementwise(self, op: Operation) -> tuple[np.ndarray, None] | None:
        operands = [self.values(o) for o in op.operands]
        if any(o is None for o in operands):
            return None
        hashes = [o[0] for o in operands]  # type: ignore[index]
        if len({len(h) for h in hashes}) > 1:
            return None
        props = tuple(sorted(op.properties.items()))
        if isinstance(op, COMMUTATIVE) and len(hashes) > 1:
            hashes = list(np.sort(np.stack(hashes), axis=0))
        return _combine((op.name, props), *hashes), None

    def state(self, v: SSAValue) -> np.ndarray | None:
        """A hash per row of the state `v`: `x` with writes at run-time sites only."""
        op = v.owner
        if isinstance(op, branch.StateOp):
            return np.full(_rows(v.type), _tag("identity"), np.uint64)
        if not isinstance(op, branch.WriteOp):
            return None  # invalidate, select_state: the exact analysis decides
        before, sites, values = self.state(op.state), self.values(op.sites), self.values(op.values)
        if before is None or sites is None or values is None or sites[1] is not None:
            return None  # a static site: the exact analysis keeps a map of writes
        if not len(before) == len(sites[0]) == len(values[0]):
            return None
        return _combine("write_at", before, sites[0], values[0])


def distinct_states(kernel: branch.KernelOp, emits: list[branch.EmitOp]) -> bool:
    """Whether every row of every emission of `kernel` provably has its own connected
    state (`RowHashes`): then no slots merge and no pair of emissions is a candidate
    (no two share a state's signature), and the exact analysis can be skipped."""
    hashes = RowHashes(kernel)
    found = []
    for e in emits:
        h = hashes.state(e.state)
        if h is None:
            return False
        found.append(h)
    every = np.concatenate(found) if found else np.zeros(0, np.uint64)
    return len(np.unique(every)) == len(every)


def _rows(t: Attribute) -> int:
    if isinstance(t, branch.StateType):
        return t.rows.data
    assert isinstance(t, TensorType)
    return t.get_shape()[1]


def _elem(t: Attribute) -> Attribute:
    assert isinstance(t, TensorType)
    return t.element_type


# --------------------------------------------------------------------------- re-indexing


def row_wise_slice(
    values: Sequence[SSAValue], positions: Mapping[Operation, int] | None = None
) -> list[Operation] | None:
    """The row-wise ops `values` are computed from, in program order; None when one of
    them is not row-wise (its rows cannot be re-indexed). `positions`: the block's
    (`_block_order.block_positions`), taken before ops were inserted."""
    found: set[Operation] = set()
    stack = list(values)
    while stack:
        owner = stack.pop().owner
        if not isinstance(owner, Operation) or owner in found:
            continue  # `%x` or a parameter
        if not isinstance(owner, ROW_WISE) or isinstance(owner, branch.EmitOp):
            return None
        found.add(owner)
        stack.extend(owner.operands)
    block = next(iter(found)).parent_block() if found else None
    return in_block_order(found, block, positions)


@lru_cache(maxsize=4096)
def _retyped(t: Attribute, rows: int) -> Attribute:
    """`t` with `rows` rows (memoized: a product's merge retypes 150,000 results, most of
    them alike, and each new type is verified by xDSL)."""
    if isinstance(t, branch.StateType):
        return branch.StateType(rows, t.sites.data, t.element_type)
    assert isinstance(t, TensorType) and t.get_shape()[0] == DYN
    return TensorType(t.element_type, [DYN, rows])


def reindexed(
    ops: list[Operation],
    values: Sequence[SSAValue],
    index: Sequence[int],
    made: dict[tuple, Operation] | None = None,
) -> tuple[list[Operation], list[SSAValue]]:
    """Copies of the row-wise `ops` whose row t is row `index[t]` of the originals (every
    column re-indexed, every type resized), and the copies of `values`. `made`: the
    copies made before (by this pass, inserted earlier in the same block), by what they
    compute; a copy that would compute the same (same op, operands, properties and
    types) is not made again but reused, and only the new ones are returned (a
    product's layers re-read the same sites and constants: J1-J2 4x4 `H @ H` made
    102,000 ops of which `cse` kept 17,000)."""
    mapping: dict[SSAValue, SSAValue] = {}
    copies: list[Operation] = []
    for op in ops:
        props = dict(op.properties)
        if isinstance(op, branch.ColumnOp):
            column = np.frombuffer(op.values.data.data, dtype="<i8")  # packed, not per value
            props["values"] = branch.i64_array(column[np.asarray(index, dtype=np.intp)])
        operands = [mapping.get(v, v) for v in op.operands]
        types = [_retyped(r.type, len(index)) for r in op.results]
        attributes = dict(op.attributes)
        key = (type(op), *operands, *types, *sorted(props.items()), *sorted(attributes.items()))
        new = made.get(key) if made is not None else None
        if new is None:
            new = type(op).create(
                operands=operands, result_types=types, properties=props, attributes=attributes
            )
            copies.append(new)
            if made is not None:
                made[key] = new
        for old, r in zip(op.results, new.results):
            mapping[old] = r
            r.name_hint = r.name_hint or old.name_hint
    return copies, [mapping.get(v, v) for v in values]


# --------------------------------------------------------------------------- grouping


@dataclass
class Layer:
    """A source emission read at `rows` (one per row of the merged emission)."""

    emit: branch.EmitOp
    rows: list[int]

    @property
    def whole(self) -> bool:
        return self.rows == list(range(_rows(self.emit.state.type)))


def plan(emits: list[branch.EmitOp], keys: list[list[int] | None]) -> list[list[Layer]]:
    """The new emissions, in output order, each as its layers."""
    classes: dict[object, list[tuple[int, int]]] = {}
    for e, (emit, row_keys) in enumerate(zip(emits, keys)):
        for r in range(_rows(emit.state.type)):
            key = ("unique", e, r) if row_keys is None else row_keys[r]
            classes.setdefault(key, []).append((e, r))
    patterns: dict[tuple[int, ...], list[list[tuple[int, int]]]] = {}
    for members in classes.values():
        patterns.setdefault(tuple(e for e, _ in members), []).append(members)
    ordered = sorted(patterns.items(), key=lambda p: p[1][0][0])
    return [
        [Layer(emits[e], [members[k][1] for members in cls]) for k, e in enumerate(pattern)]
        for pattern, cls in ordered
    ]


def _layer_values(
    layer: Layer,
    positions: Mapping[Operation, int] | None = None,
    made: dict[tuple, Operation] | None = None,
) -> tuple[list[Operation], SSAValue, SSAValue, SSAValue]:
    e = layer.emit
    values = [e.state, e.amplitude, e.mask]
    if layer.whole:
        return [], *values
    ops = row_wise_slice(values, positions)
    assert ops is not None
    copies, (state, amplitude, mask) = reindexed(ops, values, layer.rows, made)
    return copies, state, amplitude, mask


def _is_true(mask: SSAValue) -> bool:
    op = mask.owner
    return isinstance(op, branch.ConstantOp) and op.value == IntegerAttr(1, i1)


Part = tuple[SSAValue, SSAValue, bool]
"""An amplitude, its mask, and whether the amplitude is already zero where masked."""


def _masked_sum(parts: list[Part], x: SSAValue, rows: int):
    """`sum_k select(mask_k, amp_k, 0)` and `or_k mask_k` (an always-true mask selects
    nothing and makes the `or` true), with the ops that compute them."""
    ops: list[Operation] = []
    zero = branch.ConstantOp(x, IntegerAttr(0, i64), rows)
    terms = []
    for amplitude, mask, masked in parts:
        if masked or _is_true(mask):
            terms.append(amplitude)
            continue
        if zero not in ops:
            ops.append(zero)
        ops.append(branch.SelectOp(mask, amplitude, zero.result))
        terms.append(ops[-1].results[0])
    total = terms[0]
    for t in terms[1:]:
        ops.append(branch.AddOp(total, t))
        total = ops[-1].results[0]
    masks = list(dict.fromkeys(m for _, m, _ in parts))
    true = [m for m in masks if _is_true(m)]
    if true or len(masks) == 1:
        return ops, total, (true or masks)[0]
    either = branch.OrOp(masks)
    return [*ops, either], total, either.result


def _summed_rows(emit: branch.EmitOp, x: SSAValue) -> tuple[list[Operation], SSAValue, SSAValue]:
    """Every row of `emit` in one: `sum_rows(select(mask, amplitude, 0))`, active where
    any row is (`sum_rows(select(mask, 1, 0)) > 0`)."""
    rows = _rows(emit.state.type)
    if _is_true(emit.mask):
        total = branch.SumRowsOp(emit.amplitude)
        true = branch.ConstantOp(x, IntegerAttr(1, i1), 1)
        return [total, true], total.result, true.result
    zero = branch.ConstantOp(x, IntegerAttr(0, i64), rows)
    one = branch.ConstantOp(x, IntegerAttr(1, i64), rows)
    masked = branch.SelectOp(emit.mask, emit.amplitude, zero.result)
    total = branch.SumRowsOp(masked.result)
    ones = branch.SelectOp(emit.mask, one.result, zero.result)
    count = branch.SumRowsOp(ones.result)
    none = branch.ConstantOp(x, IntegerAttr(0, i64), 1)
    active = branch.CmpOp("gt", count.result, none.result)
    ops = [zero, one, masked, total, ones, count, none, active]
    return ops, total.result, active.result


def _covers(emit: branch.EmitOp, rows: list[int]) -> bool:
    """Whether `rows`, those the layers of a one-row emission read of `emit`, are every
    row of `emit` (M > 1) once."""
    return len(rows) > 1 and sorted(rows) == list(range(_rows(emit.state.type)))


def _parts(
    layers: list[Layer],
    x: SSAValue,
    positions: Mapping[Operation, int] | None = None,
    made: dict[tuple, Operation] | None = None,
):
    """The ops, the state and the (amplitude, mask) parts of an emission made of
    `layers`. When it has one row, the layers that read every row of one emission are
    one part, its rows summed (not one copy of its ops per row)."""
    single = len(layers[0].rows) == 1
    ops: list[Operation] = []
    parts: list[Part] = []
    state: SSAValue | None = None
    summed: set[branch.EmitOp] = set()
    read: dict[branch.EmitOp, list[int]] = {}  # emission -> the rows its layers read
    if single:
        for layer in layers:
            read.setdefault(layer.emit, []).extend(layer.rows)
    covers = {e: _covers(e, rows) for e, rows in read.items()}  # once per emission, not
    # per layer: each asked for every layer of all the layers was quadratic in them
    for layer in layers:
        e = layer.emit
        if e in summed:
            continue
        masked = single and covers[e]
        if masked:
            summed.add(e)
            new, amplitude, mask = _summed_rows(e, x)
            if state is None:
                ops_of_state = row_wise_slice([e.state], positions) or []
                copies, (state,) = reindexed(ops_of_state, [e.state], layer.rows, made)
                new = copies + new
        else:
            new, s, amplitude, mask = _layer_values(layer, positions, made)
            state = s if state is None else state
        ops += new
        parts.append((amplitude, mask, masked))
    assert state is not None
    return ops, state, parts


def merged_emit(
    layers: list[Layer],
    x: SSAValue,
    positions: Mapping[Operation, int] | None = None,
    made: dict[tuple, Operation] | None = None,
) -> tuple[list[Operation], branch.EmitOp]:
    """The ops computing one emission made of `layers` (masked amplitudes summed);
    `positions` as `row_wise_slice` takes them; `made` as `reindexed` takes it (the
    copies of the emissions merged before this one, inserted before it)."""
    ops, state, parts = _parts(layers, x, positions, made)
    amplitude, mask, _ = parts[0]
    if len(parts) > 1:
        summed, amplitude, mask = _masked_sum(parts, x, len(layers[0].rows))
        ops += summed
    first = layers[0].emit
    emit = branch.EmitOp(
        x,
        state,
        amplitude,
        mask,
        _elem(first.mel.type),
        first.term.data,
        first.tag.data if first.tag is not None else None,
    )
    return [*ops, emit], emit


def _labels(emits: list[branch.EmitOp]) -> dict[branch.EmitOp, str]:
    """Names for the report: the term, with `#k` when the term returns several."""
    count: dict[str, int] = {}
    for e in emits:
        count[e.term.data] = count.get(e.term.data, 0) + 1
    seen: dict[str, int] = {}
    labels = {}
    for e in emits:
        term = e.term.data
        k = seen.get(term, 0)
        seen[term] = k + 1
        labels[e] = term if count[term] == 1 else f"{term}#{k}"
    return labels


def terms_of(emit: branch.EmitOp) -> list[str]:
    """The terms whose branches `emit` returns: its own, or for the coalesced diagonal
    (a sum of `branch.sum_rows` of emissions) those of the summed emissions."""
    found: list[str] = []
    stack = [emit.amplitude]
    while stack:
        op = stack.pop().owner
        if isinstance(op, branch.AddOp):
            stack += [op.rhs, op.lhs]
        elif isinstance(op, branch.SumRowsOp) and isinstance(op.input.owner, branch.EmitOp):
            found.append(op.input.owner.term.data)
    return list(dict.fromkeys(found)) or [emit.term.data]


def bytes_per_sample(kernel: branch.KernelOp, fanout: int) -> int:
    """What `get_conn_padded` writes per sample: `F * N * sizeof(x) + F * sizeof(mel)`."""
    x_type = kernel.x.type
    assert isinstance(x_type, TensorType)
    x_bytes = x_type.element_type.width.data // 8  # type: ignore[union-attr]
    mel_bytes = 16 if isinstance(kernel.dtype, ComplexType) else 8
    return fanout * (kernel.num_sites.data * x_bytes + mel_bytes)


def _fanout(kernel: branch.KernelOp) -> int:
    """The kernel's slots (those of its `mels`, a delta kernel's too); 0 for a kernel
    without a terminator (the verifier reports it)."""
    ret = kernel.body.block.last_op
    if not isinstance(ret, branch.ReturnOp | branch.ReturnDeltasOp):
        return 0
    return ret.mels.type.get_shape()[1]  # type: ignore[union-attr]


def _reindexable(emit: branch.EmitOp) -> bool:
    if _rows(emit.state.type) == 1:
        return True
    return row_wise_slice([emit.state, emit.amplitude, emit.mask]) is not None


def _parse_groups(groups: Sequence[str]) -> list[set[str]]:
    """`("xx+yy", "a+b+c")` -> `[{"xx", "yy"}, {"a", "b", "c"}]`."""
    out = []
    for g in groups:
        names = [n.strip() for n in str(g).split("+") if n.strip()]
        if len(names) < 2:
            raise ValueError(
                f"branch-fuse-equal-states: a fusion group names two or more emissions "
                f"joined by '+' (as the report prints them), got {g!r}"
            )
        out.append(set(names))
    return out


def _forced_keys(
    emits: list[branch.EmitOp],
    keys: list[list[int] | None],
    labels: dict[branch.EmitOp, str],
    groups: list[set[str]],
    found: list[dict],
) -> list[list | None]:
    """The merge keys restricted to the forced `groups`: rows merge only with rows of
    emissions of their group; a group that cannot merge is refused (unsound)."""
    known = set(labels.values())
    for g in groups:
        unknown = sorted(g - known)
        if unknown:
            raise ValueError(
                f"branch-fuse-equal-states: fusion group {'+'.join(sorted(g))!r} names "
                f"{unknown}, not emissions of this kernel (they are {sorted(known)})"
            )
        for name in sorted(g):
            pairs = [d for d in found if name in d["emissions"] and set(d["emissions"]) <= g]
            if not any(d["rows"].get("merged") for d in pairs):
                why = sorted({r for d in pairs for r in d["rows"]}) or ["no_common_sites"]
                raise ValueError(
                    f"branch-fuse-equal-states: unsound fusion group "
                    f"{'+'.join(sorted(g))!r}: emission {name!r} shares no provably equal "
                    f"connected state with the others (reasons: {', '.join(why)})"
                )
    group_of = {name: k for k, g in enumerate(groups) for name in g}
    out: list[list | None] = []
    for e, row_keys in zip(emits, keys, strict=True):
        k = group_of.get(labels[e])
        rows = _rows(e.state.type)
        if k is None or row_keys is None:
            out.append([("alone", id(e), r) for r in range(rows)])
        else:
            out.append([(k, key) for key in row_keys])
    return out


def fuse_kernel(
    kernel: branch.KernelOp, diagonal: bool = True, groups: Sequence[str] = ()
) -> dict | None:
    """Merges the equal-state branches of `kernel` (those whose state is provably `x`
    only when `diagonal`; only within the forced `groups` when given); returns its
    report (with every decision, `fusion_decisions`), or None when there is no kernel
    output to fuse."""
    concats = output_concats(kernel)
    if concats is None:
        return None
    emits = output_emits(*concats)
    if emits is None:
        return None
    if not groups and distinct_states(kernel, emits):
        before = _fanout(kernel)
        size = bytes_per_sample(kernel, before)
        return {
            "fanout": [before, before],
            "bytes_per_sample": [size, size],
            "merged": [],
            "decisions": [],
        }
    row_keys = RowKeys(kernel)
    reindexable = [_reindexable(e) for e in emits]
    keys = [row_keys.branches(e, diagonal) if ok else None for e, ok in zip(emits, reindexable)]
    labels = _labels(emits)
    forced = _parse_groups(groups) if groups else None
    states = States(INVALID, X, IDENTITY, NUMERIC)
    found = decisions(emits, keys, row_keys, labels, reindexable, states, diagonal, forced)
    if forced is not None:
        keys = _forced_keys(emits, keys, labels, forced, found)
    new = plan(emits, keys)
    before = _fanout(kernel)
    report = {
        "fanout": [before, before],
        "bytes_per_sample": [bytes_per_sample(kernel, before)] * 2,
        "merged": [],
        "decisions": found,
    }
    if len(new) == len(emits) and all(len(g) == 1 and g[0].whole for g in new):
        return report
    check_slots_movable(kernel, "branch-fuse-equal-states")
    xp_concat = concats[0]
    block = kernel.body.block
    outputs, merged = [], []
    positions = block_positions(block)
    made: dict[tuple, Operation] = {}  # every merged emission's copies precede `xp_concat`
    for layers in new:
        if len(layers) == 1 and layers[0].whole:
            outputs.append(layers[0].emit)
            continue
        ops, emit = merged_emit(layers, kernel.x, positions, made)
        block.insert_ops_before(ops, xp_concat)
        outputs.append(emit)
        names = [labels[layer.emit] for layer in layers]
        terms = [t for layer in layers for t in terms_of(layer.emit)]
        merged.append(
            {"emissions": names, "terms": list(dict.fromkeys(terms)), "rows": len(layers[0].rows)}
        )
    set_output_emits(kernel, outputs)
    after = _fanout(kernel)
    report["fanout"] = [before, after]
    report["bytes_per_sample"] = [bytes_per_sample(kernel, before), bytes_per_sample(kernel, after)]
    report["merged"] = merged
    return report


def reports(module: ModuleOp) -> dict[str, dict]:
    """The fusion reports the module carries (kernel name -> report)."""
    return read_analysis(module, "fusion", "branch") or {}


@dataclass(frozen=True)
class BranchFuseEqualStatesPass(ModulePass):
    """Merges the branches of a `branch.kernel` whose connected states are provably equal."""

    name = "branch-fuse-equal-states"

    merge_diagonal: bool = True
    """Also merge the branches whose state is provably `x` (the diagonal); the default
    lowering sets it to its `coalesce_diagonal`, so that `coalesce_diagonal=false`
    keeps every diagonal branch apart."""

    groups: tuple[str, ...] = ()
    """Forced fusion groups, each the emissions of one merged slot joined by `+` as the
    report prints them (`"xx+yy"`): only these merge (where their states are proved
    equal, as always); a group none of whose members can merge is refused."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        found = reports(op)
        for kernel in [o for o in op.walk() if isinstance(o, branch.KernelOp)]:
            report = fuse_kernel(kernel, self.merge_diagonal, self.groups)
            name = kernel.sym_name.data
            if name in found and (report is None or not report["merged"]):
                continue  # a second run: keep the report of the run that merged
            if report is None:
                f = _fanout(kernel)
                b = bytes_per_sample(kernel, f)
                report = {"fanout": [f, f], "bytes_per_sample": [b, b], "merged": []}
            found[name] = report
        if found:
            write_analysis(op, "fusion", found, "branch")


__all__ = ["REPORT_ATTR", "BranchFuseEqualStatesPass", "RowKeys", "fuse_kernel", "reports"]
