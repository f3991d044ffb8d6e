"""`branch-return-deltas`: a kernel that returns what each branch changes, not `xp`.

A connected configuration differs from `x` at the few sites its branch writes (two for
a hop or an exchange, one for a flip), yet `get_conn_padded` writes all N sites of each
of the F slots. This pass turns a kernel into its *delta kernel*: for every slot, the
sites its branch writes and the values of `xp` there, `K` entries per slot (`K`: the
most writes on any branch's path to its emission, known statically; at least 1), with
the matrix elements (and derivatives) unchanged, slot for slot:

    branch.return_deltas %sites, %values, %mels : tensor<?xFxKxi64>, tensor<?xFxKxi64>, tensor<?xFxT>

The convention (what makes "apply the entries to x" give exactly `xp`):

- `sites[b, f, j]` is a site in `[0, N)` and `values[b, f, j]` is `xp[b, f, sites[b, f, j]]`;
- an entry whose site an earlier entry of the slot already names (a site written twice,
  or a slot that writes fewer than K sites: it repeats its first entry) carries the
  same value, so that applying the entries in any order gives `xp`;
- a slot that writes nothing (the coalesced diagonal) has K entries at site 0 with the
  value `x[0]`; an inactive branch (masked, invalidated, or left outside the local
  states by a checked write) keeps its sites, with the values of `x` there.

How: each state is followed from `branch.state %x` through its writes (a `branch.write`
appends `(site mod N, value)`; a `branch.select_state` pads the shorter history at its
front with entries `(s, x[s])` that change nothing and selects entry by entry, after
taking the second history's entries in the first's order of sites where they write the
same sites, no two the same in any row (a hop and its conjugate merged into one slot
write `(i, j)` and `(j, i)`: the slot's sites stay `(i, j)`, static); a
`branch.invalidate` clears the validity; a `branch.flip_sites` with a static index per
row appends the sites of each row's mask, in order, with their flipped values), as
`(batch, rows)` values. At each
`branch.emit` the pass builds explicitly what the emission does implicitly: active =
mask and validity (and, after a checked write, every last-written value a local state:
the values are the exact `i64` ones, so one that left the configuration type in between
and came back counts as what it is), `mel = select(active, amplitude,
0)`, and for the emissions the kernel returns, the final value of each written site
(the last write to it) where active, `x` there elsewhere. A `branch.state_read` becomes
the last write to its site, else `x` there. The states, emissions and the `xp` concat
are then dead and removed: the delta kernel never builds a `(batch, rows, sites)`
configuration.

Run it last (after `branch-differentiate` for a derivative delta kernel): it needs the
`branch.return` of `branch.concat`s of emissions that every branch pass keeps, and
leaves a `branch.return_deltas` that no other pass reads. On a kernel that already
returns deltas it does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import (
    ComplexType,
    FloatAttr,
    IntegerAttr,
    IntegerType,
    ModuleOp,
    f64,
    i1,
)
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.transforms.dead_code_elimination import region_dce

from symir.dialects import branch, sym
from symir.dialects.locations import attach_op
from symir.lowering.branch._kernel_outputs import output_concats

Entry = tuple[SSAValue, SSAValue]
"""A write of a history: (site in [0, N), value), both `tensor<?xMxi64>`."""


@dataclass
class History:
    """What a state is: the writes made since `branch.state %x`, in order, whether the
    branch is still valid (None: in every row) and whether a checked write is among them."""

    entries: list[Entry] = field(default_factory=list)
    valid: SSAValue | None = None
    checked: bool = False


class DeltaBuilder:
    """Builds the delta form of one kernel's states and emissions, op by op, each new op
    inserted at `at` (before the op being visited, or after the state it defines)."""

    def __init__(self, kernel: branch.KernelOp):
        self.kernel = kernel
        self.x = kernel.x
        self.n = kernel.num_sites.data
        self.states = kernel.states
        x_elem = kernel.x.type.element_type  # type: ignore[union-attr]
        if not isinstance(x_elem, IntegerType):
            raise ValueError(
                f"branch-return-deltas: kernel @{kernel.sym_name.data} takes configurations "
                f"of {x_elem}, not integers"
            )
        self.histories: dict[SSAValue, History] = {}
        self.active: dict[tuple[SSAValue, SSAValue], SSAValue] = {}
        self.cache: dict[tuple, SSAValue] = {}
        """Constants and reads of `x` built so far (program order: each dominates what
        comes after it)."""
        self.at = InsertPoint.at_start(kernel.body.block)

    # ----------------------------------------------------------------- building
    def add(self, op: Operation) -> SSAValue:
        Rewriter.insert_op(op, self.at)
        return op.results[0]

    def const(self, value: int | float | bool, t, rows: int) -> SSAValue:
        attr = FloatAttr(float(value), f64) if t == f64 else IntegerAttr(int(value), t)
        key = ("constant", attr, rows)
        if key not in self.cache:
            self.cache[key] = self.add(branch.ConstantOp(self.x, attr, rows))
        return self.cache[key]

    def read_x(self, site: SSAValue) -> SSAValue:
        key = ("read", site)
        if key not in self.cache:
            self.cache[key] = self.add(branch.ReadOp(self.x, site))
        return self.cache[key]

    def where_same(self, a: SSAValue, b: SSAValue) -> SSAValue | bool:
        """Where the (normalised) sites `a` and `b` are equal: True or False when that
        is known statically (`known_same`), else a `branch.cmp eq`."""
        known = known_same(a, b)
        if known is not None:
            return known
        return self.add(branch.CmpOp("eq", a, b))

    def choose(self, where: SSAValue | bool, if_true: SSAValue, if_false: SSAValue) -> SSAValue:
        """`select(where, if_true, if_false)`, or one of them when `where` is known."""
        if isinstance(where, bool):
            return if_true if where else if_false
        return self.add(branch.SelectOp(where, if_true, if_false))

    def site(self, sites: SSAValue) -> SSAValue:
        """`sites` taken modulo N: a `branch.column` with its values in range is kept
        (another column gets its values wrapped), a site known only at run time gets a
        `branch.wrap_mod`."""
        owner = sites.owner
        if isinstance(owner, branch.WrapModOp) and (
            owner.low.value.data,
            owner.count.value.data,
        ) == (0, self.n):
            return sites
        if isinstance(owner, branch.ColumnOp):
            values = list(owner.values.get_values())
            if all(0 <= v < self.n for v in values):
                return sites
            return self.add(branch.ColumnOp(self.x, [v % self.n for v in values]))
        return self.add(branch.WrapModOp(sites, 0, self.n))

    def both(self, a: SSAValue | None, b: SSAValue | None) -> SSAValue | None:
        """`a and b`; None stands for true, and so does a constant true."""
        if a is None or _always_true(a):
            return b
        if b is None or _always_true(b):
            return a
        return self.add(branch.AndOp([a, b]))

    # ----------------------------------------------------------------- states
    def history(self, op: Operation) -> History:
        """The history of the state `op` defines (after its operands' histories)."""
        if isinstance(op, branch.StateOp):
            return History()
        if isinstance(op, branch.WriteOp):
            before = self.histories[op.state]
            entries = [*before.entries, (self.site(op.sites), op.values)]
            return History(entries, before.valid, before.checked or op.checked is not None)
        if isinstance(op, branch.InvalidateOp):
            before = self.histories[op.state]
            rows = op.state.type.rows.data  # type: ignore[union-attr]
            return History(list(before.entries), self.const(False, i1, rows), before.checked)
        if isinstance(op, branch.SelectStateOp):
            return self.select(op)
        if isinstance(op, branch.FlipSitesOp):
            return self.flip(op)
        raise ValueError(
            f"branch-return-deltas: '{op.name}' defines a !branch.state; only branch.state, "
            "branch.write, branch.invalidate, branch.select_state and branch.flip_sites are "
            "known"
        )

    def flip(self, op: branch.FlipSitesOp) -> History:
        """A `branch.flip_sites`: one entry per flipped site of the row's mask (the j-th
        site of each row's mask as a column; a row with fewer repeats its first flip),
        the value `s0 + s1 - x'` there before the flip; a row whose mask is empty gets
        entries `(0, x'[0])` that change nothing."""
        before = self.histories[op.state]
        per_row = flipped_sites(op, self.n)
        s0, s1 = self.kernel.states
        entries = list(before.entries)
        empty = [not sites for sites in per_row]
        # x'' = a + b x': a flip (s0 + s1 - x') where the row flips, else x' itself
        offset = self.add(branch.ColumnOp(self.x, [0 if e else s0 + s1 for e in empty]))
        scale = self.add(branch.ColumnOp(self.x, [1 if e else -1 for e in empty]))
        for j in range(max([0, *map(len, per_row)])):
            column = [sites[min(j, len(sites) - 1)] if sites else 0 for sites in per_row]
            site = self.add(branch.ColumnOp(self.x, column))
            now = self.value_at(site, before)
            value = self.add(branch.AddOp(offset, self.add(branch.MulOp(scale, now))))
            entries.append((site, value))
        return History(entries, before.valid, before.checked)

    def select(self, op: branch.SelectStateOp) -> History:
        a, b = self.histories[op.if_true], self.histories[op.if_false]
        p = op.condition
        length = max(len(a.entries), len(b.entries))
        ea, eb = self.pad(a.entries, b.entries, length), self.pad(b.entries, a.entries, length)
        eb = in_order_of(ea, eb)
        entries = []
        for (sa, va), (sb, vb) in zip(ea, eb, strict=True):
            s = self.choose(True if sa is sb else p, sa, sb)
            v = self.choose(True if va is vb else p, va, vb)
            entries.append((s, v))
        valid = None
        if a.valid is not None or b.valid is not None:
            # `branch.select` is not defined on i1: (p and va) or (not p and vb)
            left = self.both(p, a.valid)
            right = self.both(self.add(branch.NotOp(p)), b.valid)
            if left is not None and right is not None:  # None: true (a constant true p)
                valid = self.add(branch.OrOp([left, right]))
        return History(entries, valid, a.checked or b.checked)

    def pad(self, entries: list[Entry], other: list[Entry], length: int) -> list[Entry]:
        """`entries` padded at the front to `length` with `(s, x[s])`, `s` the other
        history's site at that position: applied first, they change nothing."""
        missing = length - len(entries)
        front = [(other[j][0], self.read_x(other[j][0])) for j in range(missing)]
        return front + entries

    # ----------------------------------------------------------------- emissions
    def is_active(self, emit: branch.EmitOp) -> SSAValue:
        """Where the emission's branch is active: the mask, the validity and, after a
        checked write, every last-written value a local state (`branch.emit`'s rule)."""
        key = (emit.state, emit.mask)
        if key in self.active:
            return self.active[key]
        h = self.histories[emit.state]
        active = self.both(emit.mask, h.valid)
        if h.checked:
            for k, (site, value) in enumerate(h.entries):
                later = [self.where_same(site, s) for s, _ in h.entries[k + 1 :]]
                if any(w is True for w in later):
                    continue  # overwritten later: that write decides
                ok = self.add(branch.MemberOp(value, self.states))
                later = [w for w in later if w is not False]
                if later:
                    ok = self.add(branch.OrOp([ok, *later]))  # type: ignore[list-item]
                active = self.both(active, ok)
        self.active[key] = active = active or emit.mask  # None: the mask, a constant true
        return active

    def mel(self, emit: branch.EmitOp) -> SSAValue:
        """`select(active, amplitude, 0)` in the emission's dtype (the amplitude itself
        where the branch is always active and of that dtype)."""
        active = self.is_active(emit)
        if _always_true(active) and emit.amplitude.type == emit.mel.type:
            return emit.amplitude
        rows = emit.mel.type.get_shape()[1]  # type: ignore[union-attr]
        zero = self.const(0.0, f64, rows)
        mel = self.add(branch.SelectOp(active, emit.amplitude, zero))
        target = emit.mel.type.element_type  # type: ignore[union-attr]
        if isinstance(target, ComplexType) and mel.type.element_type != target:  # type: ignore[union-attr]
            mel = self.add(branch.ComplexOp(mel, zero))
        return mel

    def visit(self, op: Operation) -> None:
        """Notes what `op` (not an emission) is: the history of a state, a read of `x`
        or a constant to reuse; a `branch.state_read` is replaced by its value."""
        if isinstance(op, branch.StateReadOp):
            op.result.replace_all_uses_with(self.state_read(op))
        elif isinstance(op, branch.ReadOp) and op.x is self.x:
            self.cache.setdefault(("read", op.sites), op.result)
        elif isinstance(op, branch.ConstantOp):
            self.cache.setdefault(("constant", op.value, op.rows), op.result)
        elif op.results and isinstance(op.results[0].type, branch.StateType):
            self.at = InsertPoint.before(op.next_op)  # type: ignore[arg-type]
            self.histories[op.results[0]] = self.history(op)

    def state_read(self, op: branch.StateReadOp) -> SSAValue:
        """`x'` at a site: the last write to it, else `x` there."""
        return self.value_at(self.site(op.sites), self.histories[op.state])

    def value_at(self, site: SSAValue, history: History) -> SSAValue:
        """The value at `site` (normalised) after `history`: its last write there, else
        `x` there."""
        value = self.read_x(site)
        for at, stored in history.entries:
            value = self.choose(self.where_same(site, at), stored, value)
        return value

    def deltas(self, emit: branch.EmitOp, k: int) -> tuple[SSAValue, SSAValue]:
        """The emission's K entries: `(sites, values)` as `tensor<?xMxKxi64>` each."""
        h = self.histories[emit.state]
        active = self.is_active(emit)
        rows = emit.mel.type.get_shape()[1]  # type: ignore[union-attr]
        sites, values = [], []
        for j, (site, value) in enumerate(h.entries):
            final = value
            for later_site, later_value in h.entries[j + 1 :]:  # the last write decides
                final = self.choose(self.where_same(site, later_site), later_value, final)
            sites.append(site)
            if not _always_true(active):
                final = self.add(branch.SelectOp(active, final, self.read_x(site)))
            values.append(final)
        if not sites:
            zero = self.add(branch.ColumnOp(self.x, [0] * rows))
            sites, values = [zero], [self.read_x(zero)]
        sites += [sites[0]] * (k - len(sites))
        values += [values[0]] * (k - len(values))
        return self.add(branch.StackOp(sites)), self.add(branch.StackOp(values))


def known_same(a: SSAValue, b: SSAValue) -> bool | None:
    """Whether the (normalised) sites `a` and `b` are equal in every row (True), in no
    row (False), or None when that is not known statically: the same value, or two
    columns equal or different in every row."""
    if a is b:
        return True
    if isinstance(ca := a.owner, branch.ColumnOp) and isinstance(cb := b.owner, branch.ColumnOp):
        equal = [u == v for u, v in zip(ca.values.get_values(), cb.values.get_values())]
        if all(equal) or not any(equal):
            return all(equal)
    return None


def in_order_of(first: list[Entry], second: list[Entry]) -> list[Entry]:
    """`second`'s entries in the order of `first`'s sites, where they write the same sites
    in another order and no two of `second`'s entries can name one site (their order then
    changes nothing: each site's last write is its only one); else `second` as it is.

    The two arms of a merged emission (`branch-merge-exclusive-emissions`: a hop
    `c+_i c_j` and its conjugate `c+_j c_i`) write `(i, j)` and `(j, i)`: in one order
    the slot's sites are the same in every row, whichever arm is active, and stay static
    (`CompiledOperator.static_sites`), where selecting entry by entry would give
    `select(p, i, j)`, `select(p, j, i)`."""
    if len(first) != len(second) or all(sa is sb for (sa, _), (sb, _) in zip(first, second)):
        return second
    sites = [s for s, _ in second]
    for j, s in enumerate(sites):
        if any(known_same(s, t) is not False for t in sites[j + 1 :]):
            return second
    left = list(second)
    ordered = []
    for site, _ in first:
        match = next((e for e in left if known_same(site, e[0]) is True), None)
        if match is None:
            return second
        left.remove(match)
        ordered.append(match)
    return ordered


def _always_true(mask: SSAValue) -> bool:
    owner = mask.owner
    return isinstance(owner, branch.ConstantOp) and bool(owner.value.value.data)


def _writes(state: SSAValue, seen: dict[SSAValue, int]) -> int:
    """The most writes on any path from `branch.state %x` to `state` (`seen`: the
    states counted so far)."""
    if state in seen:
        return seen[state]
    owner = state.owner
    if isinstance(owner, branch.WriteOp):
        count = _writes(owner.state, seen) + 1
    elif isinstance(owner, branch.InvalidateOp):
        count = _writes(owner.state, seen)
    elif isinstance(owner, branch.SelectStateOp):
        count = max(_writes(owner.if_true, seen), _writes(owner.if_false, seen))
    elif isinstance(owner, branch.FlipSitesOp):
        n = owner.state.type.sites.data  # type: ignore[union-attr]
        count = _writes(owner.state, seen) + max([0, *map(len, flipped_sites(owner, n))])
    else:
        count = 0
    seen[state] = count
    return count


def flipped_sites(op: branch.FlipSitesOp, n_sites: int) -> list[list[int]]:
    """The sites each row of a `branch.flip_sites` flips (its mask's sites in order;
    none for an index outside the table): its index must be static per row, a
    `branch.column` or a `branch.constant`."""
    index = op.index.owner
    rows = op.state.type.rows.data  # type: ignore[union-attr]
    if isinstance(index, branch.ColumnOp):
        keys = list(index.values.get_values())
    elif isinstance(index, branch.ConstantOp) and isinstance(index.value, IntegerAttr):
        keys = [index.value.value.data] * rows
    else:
        raise attach_op(
            ValueError(
                "branch-return-deltas: 'branch.flip_sites' needs an index that is static per "
                "row (a branch.column or branch.constant): a key known only at run time is "
                "not supported"
            ),
            op,
        )
    w = sym.words_per_mask(n_sites)
    table = np.asarray(op.words()).reshape(-1, w)
    masks = sym.unpack_masks(table.reshape(-1), n_sites).reshape(len(table), n_sites)
    return [[int(j) for j in np.flatnonzero(masks[k])] if 0 <= k < len(table) else [] for k in keys]


def returned_emissions(kernel: branch.KernelOp) -> list[branch.EmitOp]:
    """The emissions whose `xp` the kernel returns, in slot order (an error when it does
    not end with a `branch.return` whose `xp` is a `branch.concat` of emission results)."""
    name = kernel.sym_name.data
    ret = kernel.body.block.last_op
    concats = output_concats(kernel)
    inputs = list(concats[0].inputs) if concats is not None else []
    emits = [v.owner for v in inputs]
    if concats is None or not all(
        isinstance(e, branch.EmitOp) and v is e.xp for e, v in zip(emits, inputs, strict=True)
    ):
        raise attach_op(
            ValueError(
                f"branch-return-deltas: kernel @{name} does not return a branch.concat of "
                "branch.emit results as xp, so the sites each slot writes are not known"
            ),
            ret,
        )
    for e in {id(e): e for e in emits}.values():
        extra = [u.operation for u in e.xp.uses if u.operation is not concats[0]]  # type: ignore[union-attr]
        if extra:
            raise attach_op(
                ValueError(
                    f"branch-return-deltas: the xp of an emission of @{name} is used by "
                    f"'{extra[0].name}', not only by the output concat"
                ),
                extra[0],
            )
    return emits  # type: ignore[return-value]


def return_deltas(kernel: branch.KernelOp) -> None:
    """Makes `kernel` a delta kernel (the module docstring)."""
    block = kernel.body.block
    ret = block.last_op
    if isinstance(ret, branch.ReturnDeltasOp):
        return
    if not isinstance(ret, branch.ReturnOp):
        raise attach_op(
            ValueError(
                f"branch-return-deltas: kernel @{kernel.sym_name.data} does not end with "
                "branch.return"
            ),
            kernel,
        )
    emits = returned_emissions(kernel)
    seen: dict[SSAValue, int] = {}
    k = max([1, *(_writes(e.state, seen) for e in emits)])
    builder = DeltaBuilder(kernel)
    outputs: dict[Operation, tuple[SSAValue, SSAValue]] = {}
    for op in list(block.ops):
        builder.at = InsertPoint.before(op)
        if isinstance(op, branch.EmitOp):
            if op in emits:
                outputs[op] = builder.deltas(op, k)
            op.mel.replace_all_uses_with(builder.mel(op))
        else:
            builder.visit(op)
    builder.at = InsertPoint.before(ret)
    sites = builder.add(branch.ConcatOp([outputs[e][0] for e in emits]))
    values = builder.add(branch.ConcatOp([outputs[e][1] for e in emits]))
    new = branch.ReturnDeltasOp(sites, values, ret.mels, ret.derivatives, ret.wrt_names)
    Rewriter.replace_op(ret, new)
    region_dce(kernel.body)


@dataclass(frozen=True)
class BranchReturnDeltasPass(ModulePass):
    """Makes each kernel return the sites and values its branches write (a delta kernel)."""

    name = "branch-return-deltas"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for kernel in [o for o in op.walk() if isinstance(o, branch.KernelOp)]:
            return_deltas(kernel)
