"""`convert-branch-to-stablehlo`: a `branch.kernel` becomes `func.func @main` in StableHLO.

The function takes the batch of configurations `tensor<?xNxiK>` (the batch dimension is
dynamic, so one module serves every batch size) and one 0-d tensor per runtime parameter,
and returns `(xp: tensor<?xFxNxiK>, mels: tensor<?xFxT>)`.

Each `branch` op has one rewrite pattern (the elementwise ops one table-driven pattern,
`ELEMENTWISE`), driven by xDSL's `PatternRewriteWalker` in two walks: `KernelToFunc`
alone turns the kernel into the function, which starts by reading the batch size; then
one forward walk of the function's body lowers each op once, in program order, just
before itself (`apply_recursively=False`, no dead-code elimination). The patterns share
one `KernelLowering` (`kernel_state.py`): the memoised builder (`stablehlo_builder.py`:
the batch size and the shapes, constants, broadcasts and reads built so far, so that each
is built once and shared) and what each lowered state is. Values `tensor<?xMxT>` map one-to-one; a `!branch.state` maps to two
tensors (the configurations `tensor<?xMxNxiK>` and the validity mask `tensor<?xMxi1>`):
its pattern replaces it by a `builtin.unrealized_conversion_cast` of the two (marked
`branch.checked` when a checked write may have left the local states), which its users
unpack; once the walk is done, every such cast is dead and is erased. Broadcasts to the batch use
`dynamic_broadcast_in_dim` with a shape built from `get_dimension_size`. Writes are one
broadcast `select` against an iota of site indices (no scatter); the writes of each state
are remembered (`State.writes`, one `Write` record each: the sites and the stored and exact
`i64` values, a `select_state` choosing entry by entry), so that a read of `x'` and the validity after
checked writes are `(batch, rows)` ops on the written values, not ops on the
`(batch, rows, sites)` configurations, and a value that does not fit the configuration
type in between (`shift(i, 7)` then `shift(i, -7)` at 127 on `i8`) is exact where it is
read and tested: only the final `x'` must be local states. A read of a row-table
column whose sites form a few strided runs (the identity column, a shifted chain) is `x`
itself or a concatenation of `real_dynamic_slice`s (static slices once the batch is
known); any other read is a `gather` with batching dimensions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import reduce

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import DYNAMIC_INDEX as DYN
from xdsl.dialects.builtin import (
    FloatAttr,
    FunctionType,
    IntegerAttr,
    ModuleOp,
    TensorType,
    UnitAttr,
    UnrealizedConversionCastOp,
    f64,
    i1,
    i32,
    i64,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.rewriter import InsertPoint, Rewriter

from symir.dialects import branch, stablehlo
from symir.dialects.types import c64, numpy_dtype, promote
from symir.lowering.branch.cost_model import default_read, resolve_target
from symir.lowering.conversion.count_lowering import lower_count, lower_parity
from symir.lowering.conversion.kernel_state import (
    PENDING,
    Config,
    Emitted,
    KernelLowering,
    State,
    Write,
    state_shape,
)
from symir.lowering.conversion.lookup_lowering import lower_lookup
from symir.lowering.conversion.narrow_integers import narrow_block
from symir.lowering.conversion.nth_site_lowering import lower_nth_site
from symir.lowering.conversion.quadratic_form_lowering import lower_quadratic_form
from symir.lowering.conversion.row_uniform import mark_row_uniform, materialize_row_uniform
from symir.lowering.conversion.site_mask_lowering import lower_flip_sites, lower_parity_sum
from symir.lowering.conversion.stablehlo_builder import element_type, row_values
from symir.lowering.locating import LocatingPattern


class KernelPattern(RewritePattern):
    """A pattern that lowers one `branch` op with the kernel's shared `KernelLowering`."""

    def __init__(self, low: KernelLowering):
        self.low = low

    def lowering(self, rewriter: PatternRewriter) -> KernelLowering:
        """The shared lowering, building before the op `rewriter` matched."""
        self.low.rewriter = rewriter
        return self.low


# --------------------------------------------------------------------------- structure


class KernelToFunc(KernelPattern):
    """`branch.kernel` -> `func.func @main(%x, %params...) -> (xp, mels, derivatives...)`
    holding the kernel's body (converted next, op by op), which starts by reading the
    batch size."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.KernelOp, rewriter: PatternRewriter):
        block = op.body.block
        ret = block.last_op
        if isinstance(ret, branch.ReturnOp):
            configurations = [ret.xp.type]
        elif isinstance(ret, branch.ReturnDeltasOp):
            shape = ret.sites.type.get_shape()  # type: ignore[union-attr]
            x_elem = element_type(op.x)
            configurations = [TensorType(i32, shape), TensorType(x_elem, shape)]
        else:
            raise ValueError(
                f"'branch.kernel' @{op.sym_name.data} does not end with 'branch.return'"
            )
        fn_type = FunctionType.from_lists(
            [a.type for a in block.args],
            [*configurations, ret.mels.type, *(d.type for d in ret.derivatives)],
        )
        fn = func.FuncOp("main", fn_type, rewriter.move_region_contents_to_new_regions(op.body))
        rewriter.replace(op, fn, new_results=[])
        low = self.lowering(rewriter)
        rewriter.insertion_point = InsertPoint.at_start(block)
        low.start()
        low.func = fn


class ReturnLowering(KernelPattern):
    """`branch.return` -> `func.return` (of the derivatives too, after `mels`)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.ReturnOp, rewriter: PatternRewriter):
        rewriter.replace(op, func.ReturnOp(op.xp, op.mels, *op.derivatives), new_results=[])


class ReturnDeltasLowering(KernelPattern):
    """`branch.return_deltas` -> `func.return` of the sites as `i32`, the values in the
    configurations' element type, `mels` and the derivatives."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.ReturnDeltasOp, rewriter: PatternRewriter):
        low = self.lowering(rewriter)
        sites = low.convert(op.sites, i32)
        values = low.convert(op.values, low.x_elem)
        ret = func.ReturnOp(sites, values, op.mels, *op.derivatives)
        rewriter.replace(op, ret, new_results=[])


# --------------------------------------------------------------------------- values


class ConstantLowering(KernelPattern):
    """`branch.constant` -> a scalar `constant` broadcast over the batch and the rows."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.ConstantOp, rewriter: PatternRewriter):
        low = self.lowering(rewriter)
        v = op.value
        scalar = v.value.data if isinstance(v, IntegerAttr | FloatAttr) else None
        c = low.const(scalar, v.type)
        rewriter.replace(op, [], [low.broadcast(c, [], [DYN, op.rows])])


class ColumnLowering(KernelPattern):
    """`branch.column` -> the column as a `constant`, broadcast over the batch."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.ColumnOp, rewriter: PatternRewriter):
        low = self.lowering(rewriter)
        values = np.asarray(op.values.get_values(), dtype=np.int64)
        c = low.array(values)
        rewriter.replace(op, [], [low.broadcast(c, [1], [DYN, len(values)])])


class SplatLowering(KernelPattern):
    """`branch.splat` -> the parameter broadcast over the batch and the rows."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.SplatOp, rewriter: PatternRewriter):
        low = self.lowering(rewriter)
        shape = op.result.type.get_shape()
        rewriter.replace(op, [], [low.broadcast(op.scalar, [], shape)])


class ReadLowering(KernelPattern):
    """`branch.read` -> as its `lowering` says (`x`, `slices` of it, a constant-index
    `take`, the `permuted` blocks' takes, a batched `gather`), or without one: `x` or
    slices for a column of at most `MAX_SLICES` strided runs, else a batched `gather`;
    converted to i64."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.ReadOp, rewriter: PatternRewriter):
        low = self.lowering(rewriter)

        cols = low.static_sites(op.sites)
        how = op.lowering.data if op.lowering is not None else default_read(cols, low.n)

        def build() -> SSAValue:
            return low.convert(low.read(op.x, how, cols, op.sites), i64)

        # equal columns are one value (`array`, `broadcast`): read once, shared
        rewriter.replace(op, [], [low.once(("read", op.x, op.sites, how), build)])


STABLEHLO_NAMES = {
    "sub": "subtract",
    "mul": "multiply",
    "div": "divide",
    "quotient": "divide",
    "pow": "power",
    "min": "minimum",
    "max": "maximum",
    "neg": "negate",
    "exp": "exponential",
    "sin": "sine",
    "cos": "cosine",
    "cmp": "compare",
}
"""The mnemonics StableHLO spells differently; every other elementwise op lowers to the
StableHLO op of its own mnemonic (`branch.floor` -> `stablehlo.floor`)."""


class CountLowering(KernelPattern):
    """`branch.count` -> a masked reduction or a prefix sum of `x` (`count_lowering`: the
    op's `strategy`, else the cost model)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.CountOp, rewriter: PatternRewriter):
        rewriter.replace(op, [], [lower_count(self.lowering(rewriter), op)])


class ParitySumLowering(KernelPattern):
    """`branch.parity_sum` with static keys -> sign counts as `dot_general`s of
    `x == state` with the rows' masks, times the coefficients (`site_mask_lowering`)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.ParitySumOp, rewriter: PatternRewriter):
        rewriter.replace(op, [], [lower_parity_sum(self.lowering(rewriter), op)])


class FlipSitesLowering(KernelPattern):
    """`branch.flip_sites` with static indices -> one `select(mask, s0 + s1 - cfg, cfg)`
    with the rows' masks (`site_mask_lowering`). `x'` is not read back after it."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.FlipSitesOp, rewriter: PatternRewriter):
        low = self.lowering(rewriter)
        low.replace_state(rewriter, op, lower_flip_sites(low, op))


class NthSiteLowering(KernelPattern):
    """`branch.nth_site` -> a prefix sum of the matches, compared with the ranks
    (`nth_site_lowering`)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.NthSiteOp, rewriter: PatternRewriter):
        rewriter.replace(op, [], [lower_nth_site(self.lowering(rewriter), op)])


class ParityLowering(KernelPattern):
    """`branch.parity` -> `1 - 2 |n rem 2|`."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.ParityOp, rewriter: PatternRewriter):
        rewriter.replace(op, [], [lower_parity(self.lowering(rewriter), op.operand)])


class TruncLowering(KernelPattern):
    """`branch.trunc` -> `convert` to `i64` (toward zero), its operand when `i64`."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.TruncOp, rewriter: PatternRewriter):
        rewriter.replace(op, [], [self.lowering(rewriter).convert(op.operand, i64)])


class LookupLowering(KernelPattern):
    """`branch.lookup` -> constants where the index is a row-table column, else a gather
    from a dense table spanning the keys or a select per key (`lookup_lowering`)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.LookupOp, rewriter: PatternRewriter):
        rewriter.replace(op, [], [lower_lookup(self.lowering(rewriter), op)])


OWN_PATTERNS = (
    branch.ConjOp,
    branch.WrapModOp,
    branch.ParityOp,
    branch.LookupOp,
    branch.TruncOp,
)
"""Elementwise ops that expand to several StableHLO ops, with patterns of their own."""


def _stablehlo_op(source: type[Operation]) -> type[Operation] | None:
    """The StableHLO op of the same mnemonic as `source` (or its `STABLEHLO_NAMES`
    spelling), or None where symir defines none."""
    mnemonic = source.name.removeprefix("branch.")
    name = f"stablehlo.{STABLEHLO_NAMES.get(mnemonic, mnemonic)}"
    return next((op for op in stablehlo.Stablehlo.operations if op.name == name), None)


ELEMENTWISE: dict[type[Operation], type[Operation]] = {
    source: target
    for source in branch.ELEMENTWISE.values()
    if source not in OWN_PATTERNS and (target := _stablehlo_op(source)) is not None
}
"""The `branch` elementwise ops that are one StableHLO op on converted operands (a chain
of them for the variadic `and`, `or`), derived from the op table by mnemonic
(`STABLEHLO_NAMES` for the renamed ones). `OWN_PATTERNS` (`branch.conj`, `branch.wrap_mod`,
`branch.parity`, `branch.lookup`) expand to several ops and `branch.trunc` (a `convert`) takes
no operand of its result type first: they have patterns of their own."""


def missing_stablehlo_op(source: type[Operation]) -> str:
    """What to add for an elementwise op with no StableHLO op."""
    return (
        f"no StableHLO op for '{source.name}': symir defines no "
        f"'stablehlo.{source.name.removeprefix('branch.')}'. Define it in "
        "dialects/stablehlo/elementwise.py (docs/dialects/stablehlo.md#how-to-add-an-op); "
        "if StableHLO spells it differently, add the spelling to STABLEHLO_NAMES; if it is "
        "several ops, give it a pattern and add it to OWN_PATTERNS (both in "
        "lowering/conversion/convert_branch_to_stablehlo.py)"
    )


NO_STABLEHLO_OP: dict[type[Operation], str] = {
    source: missing_stablehlo_op(source)
    for source in branch.ELEMENTWISE.values()
    if source not in OWN_PATTERNS and source not in ELEMENTWISE
}
"""The elementwise ops that cannot be lowered yet, with what to add: empty in a complete
symir (`tests/unit/symir/test_op_table.py` names an op that is here). Converting one is an
error naming it; importing this module never fails on one."""

_REAL_PART = (branch.AbsOp, branch.RealOp, branch.ImagOp)


def _operand_type(op: Operation) -> Attribute | None:
    """The element type the operands of an elementwise op are converted to (None: kept,
    the result being their real part)."""
    if isinstance(op, branch.CmpOp):
        return promote(element_type(op.lhs), element_type(op.rhs))
    if isinstance(op, branch.ComplexOp):
        return f64
    if isinstance(op, _REAL_PART):
        return None
    return element_type(op.results[0])


class ElementwiseLowering(KernelPattern):
    """A `branch` elementwise op -> its StableHLO op from `table` (`ELEMENTWISE`) on the
    operands converted to one element type (the result's; the promoted one for `cmp`;
    f64 for `complex`); a `select` keeps its condition, `abs`/`real`/`imag` their operand;
    `and`/`or` of K inputs are K-1 binary ops."""

    def __init__(
        self,
        low: KernelLowering,
        table: Mapping[type[Operation], type[Operation]] = ELEMENTWISE,
    ):
        super().__init__(low)
        self.table = table

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter):
        target = self.table.get(type(op))
        if target is None:
            if type(op) in NO_STABLEHLO_OP:
                raise ValueError(NO_STABLEHLO_OP[type(op)])
            return
        if isinstance(op, branch.UnaryBase) and element_type(op.operand) in op.identity_on():
            rewriter.replace(op, [], [op.operand])  # e.g. floor of an i64: the identity
            return
        low = self.lowering(rewriter)
        t = _operand_type(op)
        keep = op.condition if isinstance(op, branch.SelectOp) else None
        operands = [v if t is None or v is keep else low.convert(v, t) for v in op.operands]
        if isinstance(op, branch.CmpOp):
            operands = [op.predicate.data.direction, *operands]  # type: ignore[list-item]
        if isinstance(op, branch.LogicBase):
            result = reduce(lambda a, b: low.add(target(a, b)), operands)  # type: ignore[call-arg]
        else:
            result = low.add(target(*operands))  # type: ignore[call-arg]
        rewriter.replace(op, [], [result])


class ConjLowering(KernelPattern):
    """`branch.conj` -> its operand when real, else `complex(real, -imag)`."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.ConjOp, rewriter: PatternRewriter):
        if element_type(op.operand) != c64:
            rewriter.replace(op, [], [op.operand])
            return
        low = self.lowering(rewriter)
        real_t = TensorType(f64, op.operand.type.get_shape())  # type: ignore[union-attr]
        re = low.add(stablehlo.RealOp(op.operand, real_t))
        im = low.add(stablehlo.ImagOp(op.operand, real_t))
        conj = low.add(stablehlo.ComplexOp(re, low.add(stablehlo.NegateOp(im))))
        rewriter.replace(op, [], [conj])


class WrapModLowering(KernelPattern):
    """`branch.wrap_mod` -> `low + ((v - low) rem d + d) rem d` (a floor modulo)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.WrapModOp, rewriter: PatternRewriter):
        low = self.lowering(rewriter)
        shape = op.operand.type.get_shape()  # type: ignore[union-attr]
        lo = low.broadcast(low.const(op.low.value.data, i64), [], shape)
        d = low.broadcast(low.const(op.count.value.data, i64), [], shape)
        shifted = low.add(stablehlo.SubtractOp(op.operand, lo))
        r = low.add(stablehlo.RemainderOp(shifted, d))
        r = low.add(stablehlo.RemainderOp(low.add(stablehlo.AddOp(r, d)), d))
        rewriter.replace(op, [], [low.add(stablehlo.AddOp(r, lo))])


class MemberLowering(KernelPattern):
    """`branch.member` -> comparisons against its states (a range check when they are
    contiguous)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.MemberOp, rewriter: PatternRewriter):
        low = self.lowering(rewriter)
        rewriter.replace(op, [], [low.member(op.value, op.states.get_values())])


# --------------------------------------------------------------------------- states


# --------------------------------------------------------------------------- states


class StateLowering(KernelPattern):
    """`branch.state %x` -> `x` for every row, all valid; with `{lowering = "projected"}`,
    `x` projected onto the local states (`KernelLowering.projected`: the same values, in
    a form XLA:CPU vectorises, docs/cost-model.md). The rows' configurations are built
    when needed (`KernelLowering.configurations`)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.StateOp, rewriter: PatternRewriter):
        low = self.lowering(rewriter)
        s = op.result.type
        how = "concat" if op.lowering is None else op.lowering.data
        valid = low.broadcast(low.const(True, i1), [], [DYN, s.rows.data])
        config = Config(s.rows.data, op.x, (), merged=how != "concat")
        config.projected = how == "projected"
        low.replace_state(rewriter, op, State(config, valid, False))


class WriteLowering(KernelPattern):
    """`branch.write` -> one more write of the state's chain; its configurations are
    `select(hit, value, cfg)`, `hit` the sites written (`KernelLowering.write_mask`: a
    constant when they are a row-table column, else `iota == site`).

    The configurations hold the value narrowed to the configuration type, which wraps
    around where it does not fit (256 on `i8`); the write is remembered with its exact
    `i64` value, from which reads of `x'` and the final test of a checked write are
    computed, so a wrapped value is never read and never emitted (a branch whose final
    value is not a local state is padding)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.WriteOp, rewriter: PatternRewriter):
        low = self.lowering(rewriter)
        before = low.state(op.state)
        valid = before.valid
        old = before.config
        write = Write(
            low.site_indices(op.sites),
            op.values,
            low.static_sites(op.sites) if old.merged else None,
            low.convert(op.values, low.x_elem),
            id(op) in low.flip_writes,
        )
        if old.writes is None:
            shape = state_shape(op.state.type)
            hit = low.write_mask(write.cols, write.at, shape)
            values = low.broadcast(write.stored, [0, 1], shape)
            cfg = low.add(stablehlo.SelectOp(hit, values, low.configurations(old)))
            config = Config(old.rows, None, None, cfg, old.merged)
        else:
            config = Config(old.rows, old.base, (*old.writes, write), None, old.merged)
            config.projected = old.projected
        checked = before.checked or op.checked is not None
        writes = None if before.writes is None else (*before.writes, write)
        low.replace_state(rewriter, op, State(config, valid, checked, writes))


class StateReadLowering(KernelPattern):
    """`branch.state_read` -> from the writes that made the state (per row: the exact
    value of the last write to the site, else `x` there, read as `branch.read` would;
    `(batch, rows)` selects, no gather from the `(batch, rows, sites)` configurations,
    which then need not be built before it). In i64."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.StateReadOp, rewriter: PatternRewriter):
        low = self.lowering(rewriter)
        idx = low.site_indices(op.sites)
        writes = low.state(op.state).writes
        if writes is None:
            raise ValueError("'branch.state_read' of x' after 'branch.flip_sites' is not supported")
        cols = low.static_sites(op.sites)
        how = default_read(cols, low.n)
        value = low.once(
            ("read", low.x, op.sites, how),
            lambda: low.convert(low.read(low.x, how, cols, op.sites), i64),
        )
        for w in writes:
            hit = low.add(stablehlo.CompareOp("EQ", idx, w.at))
            value = low.add(stablehlo.SelectOp(hit, w.exact, value))
        rewriter.replace(op, [], [value])


class InvalidateLowering(KernelPattern):
    """`branch.invalidate` -> the same configurations, none valid."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.InvalidateOp, rewriter: PatternRewriter):
        low = self.lowering(rewriter)
        state = low.state(op.state)
        rows = op.state.type.rows.data
        invalid = low.broadcast(low.const(False, i1), [], [DYN, rows])
        low.replace_state(rewriter, op, State(state.config, invalid, state.checked, state.writes))


class SelectStateLowering(KernelPattern):
    """`branch.select_state` -> a `select` of the configurations and one of validity,
    and the writes chosen entry by entry (`KernelLowering.select_writes`)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.SelectStateOp, rewriter: PatternRewriter):
        low = self.lowering(rewriter)
        a, b = low.state(op.if_true), low.state(op.if_false)
        p = op.condition
        p3 = low.broadcast(p, [0, 1], state_shape(op.result.type))
        cfg = low.add(
            stablehlo.SelectOp(p3, low.configurations(a.config), low.configurations(b.config))
        )
        valid = low.add(stablehlo.SelectOp(p, a.valid, b.valid))
        config = Config(a.config.rows, None, None, cfg, a.config.merged and b.config.merged)
        if a.writes is None or b.writes is None:
            writes = None
        else:
            writes = low.select_writes(p, a.writes, b.writes)
        low.replace_state(rewriter, op, State(config, valid, a.checked or b.checked, writes))


def _concatenated(value: SSAValue) -> bool:
    """Whether every user of `value` is a `branch.concat` of several inputs."""
    return all(
        isinstance(u.operation, branch.ConcatOp) and len(u.operation.inputs) > 1 for u in value.uses
    )


def _materialized(low, mask: SSAValue) -> SSAValue:
    """`mask` (`tensor<?xRxi1>`) as the AND-reduction of `[mask, true]` along a new
    axis: a reduction is never fused into its consumers, so XLA computes the mask once
    per row (`stablehlo.optimization_barrier` does not stop XLA:CPU's fusion)."""
    rows = mask.type.get_shape()[1]
    shape = [DYN, rows, 1]
    pair = [low.broadcast(mask, [0, 1], shape), low.broadcast(low.const(True, i1), [], shape)]
    stacked = low.add(stablehlo.ConcatenateOp(pair, 2))
    body = stablehlo.scalar_body([i1], stablehlo.AndOp)
    return low.add(stablehlo.ReduceOp([stacked], [low.const(True, i1)], [2], body))


class EmitLowering(KernelPattern):
    """`branch.emit` -> `x'` where the row is active (mask AND valid AND, after a checked
    write, every site a local state), else `x`; `mel` there, else 0. A result nothing
    uses (the `x'` of a coalesced diagonal emission) is not built. An `x'` only
    concatenated with others is left to `branch.concat`, which builds them all at once
    (`KernelLowering.emitted`): one select per write over all the rows, not a
    concatenation of `(batch, rows, sites)` tensors."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.EmitOp, rewriter: PatternRewriter):
        low = self.lowering(rewriter)
        state = low.state(op.state)
        valid = state.valid
        if state.checked:
            # A checked write may have left the local states: the final x' must be valid.
            inside = low.all_inside(state.writes, op.state.type.rows.data)
            valid = low.add(stablehlo.AndOp(valid, inside))
        active = low.and_(op.mask, valid)
        xp = mel = None
        if op.xp.uses and not _concatenated(op.xp) and not low.is_true(active):
            # x' reads the row's mask at every site: computed once (XLA would fuse its
            # reads, converts and compares into the loop over the sites, once per site;
            # the masks of concatenated x' are concatenated, which XLA computes apart)
            active = _materialized(low, active)
        if op.xp.uses:
            emitted = Emitted(state.config, active)
            if _concatenated(op.xp):
                stand_in = UnrealizedConversionCastOp.build(
                    operands=[[active]],
                    result_types=[[op.xp.type]],
                    attributes={PENDING: UnitAttr()},
                )
                xp = low.add(stand_in)
                low.pending[xp] = emitted
            else:
                xp = low.emitted([emitted])
        if op.mel.uses:
            t = element_type(op.mel)
            amp = low.convert(op.amplitude, t)
            zero = low.broadcast(low.const(0, t), [], op.mel.type.get_shape())
            mel = low.add(stablehlo.SelectOp(active, amp, zero))
        rewriter.replace(op, [], [xp, mel])


# --------------------------------------------------------------------------- outputs


class SumRowsLowering(KernelPattern):
    """`branch.sum_rows` -> a `reduce` over the rows, broadcast to one row."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.SumRowsOp, rewriter: PatternRewriter):
        low = self.lowering(rewriter)
        t = element_type(op.input)
        body = stablehlo.scalar_body([t], stablehlo.AddOp)
        total = low.add(stablehlo.ReduceOp([op.input], [low.const(0, t)], [1], body))
        rewriter.replace(op, [], [low.broadcast(total, [0], [DYN, 1])])


class QuadraticFormLowering(KernelPattern):
    """`branch.quadratic_form` -> `x^T A x + w . x + c` with `dot_general`s
    (`quadratic_form_lowering`)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.QuadraticFormOp, rewriter: PatternRewriter):
        rewriter.replace(op, [], [lower_quadratic_form(self.lowering(rewriter), op)])


class StackLowering(KernelPattern):
    """`branch.stack` -> each input broadcast to `(batch, rows, 1)`, then `concatenate`
    along the new last axis."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.StackOp, rewriter: PatternRewriter):
        low = self.lowering(rewriter)
        rows = op.result.type.get_shape()[1]  # type: ignore[union-attr]
        parts = [low.broadcast(v, [0, 1], [DYN, rows, 1]) for v in op.inputs]
        stacked = parts[0] if len(parts) == 1 else low.add(stablehlo.ConcatenateOp(parts, 2))
        rewriter.replace(op, [], [stacked])


def _row_table(low: KernelLowering, v: SSAValue) -> np.ndarray | None:
    """The values of the `tensor<?xR>` `v` when it is a row table: a constant of one
    value per row broadcast along the batch at dimension 1, also under a `select` whose
    mask is the constant true (an emission active in every row); else None (a scalar
    broadcast too: one value for every row, as the lattices' couplings, is left to a
    `concatenate`)."""
    owner = v.owner
    if isinstance(owner, stablehlo.SelectOp) and low.is_true(owner.pred):
        return _row_table(low, owner.on_true)
    values = row_values(v)
    rows = v.type.get_shape()[1]  # type: ignore[union-attr]
    return values if values is not None and values.shape == (rows,) else None


def _updated_rows(low: KernelLowering, op: branch.ConcatOp) -> SSAValue | None:
    """The `(batch, rows)` matrix elements `op` concatenates, when they are single
    columns (the diagonal's slot) and row tables (`_row_table`), at least one of several
    rows: the tables' values (zero in the columns' slots) broadcast, each column written
    in its slot by a `dynamic_update_slice`, which XLA:CPU does in place (one pass over
    the `(batch, rows)` elements, then one element per sample, where a `concatenate`
    reads the broadcast table back; a `select` of the column broadcast in its slot is
    no better: XLA's dot fusion that computes the diagonal takes the broadcast in and
    writes it whole); else None (a `concatenate`)."""
    if len(op.result.type.get_shape()) != 2:  # type: ignore[union-attr]
        return None
    tables = [_row_table(low, v) for v in op.inputs]
    widths = [v.type.get_shape()[1] for v in op.inputs]  # type: ignore[union-attr]
    if any(t is None and w != 1 for t, w in zip(tables, widths)):
        return None
    if not any(t is not None and w > 1 for t, w in zip(tables, widths)):
        return None
    dtype = numpy_dtype(element_type(op.result))
    values = np.concatenate([np.zeros(1, dtype) if t is None else t for t in tables])
    result = low.broadcast(low.array(values.astype(dtype)), [1], [DYN, len(values)])
    starts = np.cumsum([0, *widths[:-1]])
    for v, table, start in zip(op.inputs, tables, starts):
        if table is None:
            at = [low.const(0, i64), low.const(int(start), i64)]
            result = low.add(stablehlo.DynamicUpdateSliceOp(result, v, at))
    return result


class ConcatLowering(KernelPattern):
    """`branch.concat` -> `concatenate` along the rows (its input when there is one); of
    the `x'` of emissions, all built at once (`KernelLowering.emitted`); of matrix
    elements that are single columns and row tables the same for every sample (the
    diagonal's slot before a table of couplings), the tables broadcast with the columns
    written in their slots (`_updated_rows`)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.ConcatOp, rewriter: PatternRewriter):
        if len(op.inputs) == 1:
            rewriter.replace(op, [], [op.inputs[0]])
            return
        low = self.lowering(rewriter)
        pending = [low.pending.get(v) for v in op.inputs]
        if all(p is not None for p in pending):
            rewriter.replace(op, [], [low.emitted(pending)])  # type: ignore[arg-type]
            return
        if all(p is None for p in pending) and (updated := _updated_rows(low, op)) is not None:
            rewriter.replace(op, [], [updated])
            return
        parts = [v if p is None else low.emitted([p]) for v, p in zip(op.inputs, pending)]
        rewriter.replace(op, [], [low.add(stablehlo.ConcatenateOp(parts, 1))])


# --------------------------------------------------------------------------- the pass


def branch_to_stablehlo_patterns(low: KernelLowering) -> list[RewritePattern]:
    """The pattern of every `branch` op in a kernel's body, sharing `low` (the kernel's
    own, `KernelToFunc`, runs first, alone)."""
    return [
        ConstantLowering(low),
        ColumnLowering(low),
        SplatLowering(low),
        ReadLowering(low),
        CountLowering(low),
        NthSiteLowering(low),
        ParitySumLowering(low),
        ParityLowering(low),
        TruncLowering(low),
        LookupLowering(low),
        ElementwiseLowering(low, ELEMENTWISE),
        ConjLowering(low),
        WrapModLowering(low),
        MemberLowering(low),
        StateLowering(low),
        WriteLowering(low),
        FlipSitesLowering(low),
        StateReadLowering(low),
        InvalidateLowering(low),
        SelectStateLowering(low),
        EmitLowering(low),
        SumRowsLowering(low),
        QuadraticFormLowering(low),
        ConcatLowering(low),
        StackLowering(low),
        ReturnLowering(low),
        ReturnDeltasLowering(low),
    ]


def erase_state_casts(fn: func.FuncOp) -> None:
    """Erases the casts that stood for `!branch.state`s and for emissions' `x'` built
    by their `branch.concat`, all dead once every user is lowered. (xDSL 0.74's
    `reconcile-unrealized-casts` folds 1:1 cast chains only.)"""
    for op in reversed(list(fn.body.block.ops)):
        if isinstance(op, UnrealizedConversionCastOp) and (
            isinstance(op.outputs[0].type, branch.StateType) or PENDING in op.attributes
        ):
            users = sorted({use.operation.name for use in op.outputs[0].uses})
            if users:
                raise ValueError(f"a lowered !branch.state is still used by {users}")
            Rewriter.erase_op(op)


def lower_kernel(
    kernel: branch.KernelOp, narrow_integers: bool = False, row_uniform: bool = True
) -> func.FuncOp:
    """Replaces `kernel`, the only kernel of its module, by `func.func @main`: a walk of
    `KernelToFunc` alone, then a forward walk of the function's body, with
    `row_uniform` the row-uniform values computed once per sample (`row_uniform.py`); with
    `narrow_integers`, its `i64` values that provably fit computed in `i32`
    (`narrow_integers.narrow_block`, `x` bounded by its local states)."""
    region = kernel.parent_region()
    assert region is not None
    if any(isinstance(o, branch.KernelOp) and o is not kernel for o in region.walk()):
        raise ValueError("convert-branch-to-stablehlo expects one branch.kernel per module")
    low = KernelLowering.of(kernel)
    if row_uniform:
        mark_row_uniform(kernel)
    PatternRewriteWalker(
        LocatingPattern(KernelToFunc(low)), apply_recursively=False
    ).rewrite_region(region)
    assert low.func is not None
    PatternRewriteWalker(
        LocatingPattern(
            GreedyRewritePatternApplier(branch_to_stablehlo_patterns(low), dce_enabled=False)
        ),
        apply_recursively=False,
    ).rewrite_region(low.func.body)
    erase_state_casts(low.func)
    if row_uniform:
        materialize_row_uniform(low.func, low)
    if narrow_integers:
        states = low.local_states
        narrow_block(low.func.body.blocks[0], (min(states), max(states)), low.bounds)
    return low.func


@dataclass(frozen=True)
class ConvertBranchToStablehloPass(ModulePass):
    """Lowers every `branch.kernel` to a StableHLO `func.func @main`; with
    `narrow_integers`, the integers that provably fit 32 bits computed in `i32`
    (`narrow_integers.py`; the default lowering sets it, `LoweringOptions`)."""

    name = "convert-branch-to-stablehlo"

    narrow_integers: bool = False
    """Compute the kernel's `i64` values that provably fit `i32` in `i32` (the same
    results; `narrow_integers.py`); the default lowering sets it."""

    target: str = "auto"
    """The machine the kernel is for (`cpu`, `gpu`, `auto`: JAX's backend): on a CPU the
    row-uniform values are computed once per sample (`row_uniform.py`: a fix for XLA:CPU's
    loops, each a reduction of its own, which a GPU would launch as kernels of their
    own)."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        uniform = resolve_target(self.target) == "cpu"
        for kernel in [o for o in op.walk() if isinstance(o, branch.KernelOp)]:
            lower_kernel(kernel, self.narrow_integers, uniform)
        left = [o.name for o in op.walk() if o.dialect_name() == "branch"]
        if left:
            raise ValueError(f"convert-branch-to-stablehlo left branch ops: {sorted(set(left))}")
