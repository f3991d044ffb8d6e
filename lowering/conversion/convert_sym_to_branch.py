"""`convert-sym-to-branch`: vectorises a `sym.operator` into a `branch.kernel`.

A value of a term becomes a `tensor<?xMxT>` (batch x the term's M rows); the update
program of an emission becomes a chain of `!branch.state` values; each emission becomes a
`branch.emit` applying the runtime contract; the pass ends by joining all branches
(`branch.concat`) into `branch.return` and checking that no `sym` op is left.

Every `sym` op has one rewrite pattern, but `sym.yield` and `sym.where`, which the
patterns of their parents (`sym.emission`, `sym.term`) consume. xDSL's
`PatternRewriteWalker` drives them in two walks:

1. over the module, `OperatorToKernel` alone: every `sym.operator` becomes a
   `branch.kernel` holding the (not yet converted) terms, since every other pattern builds
   on the kernel's `%x`, its parameters and its local states;
2. over the body of each new kernel, every other pattern through one
   `GreedyRewritePatternApplier`, children before parents (`walk_regions_first`), in
   program order, each op once (`apply_recursively=False`, no dead-code elimination: a
   `branch.write` is used only by the next update, built later). A region op is
   rewritten after its regions: an emission once its update program (a state chain) and
   its amplitude are converted, a `sym.cond` once both programs are, a term once its
   body is. Then `finish_kernel` adds the concats and the `branch.return`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import DYNAMIC_INDEX as DYN
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, TensorType, i1, i64
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.rewriter import InsertPoint, Rewriter

from symir.dialects import branch, sym
from symir.dialects.locations import attach_op
from symir.dialects.types import compute_type, x_element_type_for
from symir.lowering.locating import LocatingPattern

# --------------------------------------------------------------------------- helpers


def kernel_of(op: Operation) -> branch.KernelOp:
    k = sym.enclosing(op, branch.KernelOp)
    if k is None:
        raise ValueError(f"'{op.name}' is not inside a branch.kernel (convert the operator first)")
    return k  # type: ignore[return-value]


def term_of(op: Operation) -> sym.TermOp:
    t = sym.enclosing(op, sym.TermOp)
    if t is None:
        raise ValueError(f"'{op.name}' is not inside a sym.term")
    return t  # type: ignore[return-value]


def rows_of(op: Operation) -> int:
    return len(term_of(op).rows.data)


_STATE_OPS = (
    branch.StateOp,
    branch.WriteOp,
    branch.FlipSitesOp,
    branch.InvalidateOp,
    branch.SelectStateOp,
)


def _last_state_in(block: Block, before: Operation | None = None) -> SSAValue | None:
    found = None
    for op in block.ops:
        if op is before:
            break
        if isinstance(op, _STATE_OPS):
            found = op.results[0]
    return found


def initial_state(rewriter: PatternRewriter, block: Block, op: Operation) -> SSAValue:
    """A new `branch.state %x` at the start of `block` (the identity program); called
    only when `block` holds no state yet."""
    state = branch.StateOp(kernel_of(op).x, rows_of(op))
    rewriter.insert(state, InsertPoint.at_start(block))
    return state.result


def current_state(rewriter: PatternRewriter, op: Operation) -> SSAValue:
    """The connected configuration as it is just before `op` in its update program."""
    block = op.parent_block()
    assert block is not None
    found = _last_state_in(block, before=op)
    if found is not None:
        return found
    parent = block.parent_op()
    if isinstance(parent, sym.CondOp):
        return current_state(rewriter, parent)
    return initial_state(rewriter, block, op)


def final_state(rewriter: PatternRewriter, emission: sym.EmissionOp) -> SSAValue:
    """The connected configuration after the whole update program of `emission`."""
    block = emission.update.block
    found = _last_state_in(block)
    return found if found is not None else initial_state(rewriter, block, emission)


def states_are_symmetric(states: Sequence[int]) -> bool:
    return sorted(-s for s in states) == sorted(states)


def known_in_states(
    value: SSAValue, states: Sequence[int], memo: dict[SSAValue, bool] | None = None
) -> bool:
    """Whether every element of `value` is certainly a local state (so no check is needed).
    `memo`: each value answered once; a value shared by both arms of several selects (a
    product's writes after a chain of conditional swaps) was asked once per path to it,
    2^k times under k selects."""
    if memo is None:
        memo = {}
    found = memo.get(value)
    if found is not None:
        return found
    op = value.owner
    if isinstance(op, branch.ConstantOp):
        out = isinstance(op.value, IntegerAttr) and op.value.value.data in states
    elif isinstance(op, branch.ReadOp | branch.StateReadOp | branch.WrapModOp):
        out = True
    elif isinstance(op, branch.NegOp):
        out = states_are_symmetric(states) and known_in_states(op.operand, states, memo)
    elif isinstance(op, branch.SelectOp):
        out = known_in_states(op.if_true, states, memo) and known_in_states(
            op.if_false, states, memo
        )
    else:
        out = False
    memo[value] = out
    return out


def constant(op: Operation, value: IntegerAttr, rows: int) -> branch.ConstantOp:
    return branch.ConstantOp(kernel_of(op).x, value, rows)


# --------------------------------------------------------------------------- structure


class OperatorToKernel(RewritePattern):
    """`sym.operator` -> `branch.kernel` holding the (not yet converted) terms; its block
    takes `%x: tensor<?xNxiK>` (`iK` from `x_dtype`) and one 0-d tensor per parameter."""

    def __init__(self, x_dtype: str = "auto"):
        self.x_dtype = x_dtype

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: sym.OperatorOp, rewriter: PatternRewriter):
        if not op.terms:
            raise ValueError(
                f"'sym.operator' @{op.sym_name.data} has no 'sym.term': a kernel needs "
                "at least one branch"
            )
        x_element_type = x_element_type_for(op.states, self.x_dtype)
        params: dict[str, object] = {}
        for inner in op.walk():
            if isinstance(inner, sym.ParamOp):
                params.setdefault(inner.param_name.data, inner.result.type)
        names = sorted(params)
        n = op.num_sites.data
        arg_types = [TensorType(x_element_type, [DYN, n])]
        arg_types += [  # a table parameter is already a tensor<Kxf64>
            t if isinstance(t, TensorType) else TensorType(t, [])  # type: ignore[arg-type]
            for t in (params[p] for p in names)
        ]
        block = Block(arg_types=arg_types)
        block.args[0].name_hint = "x"
        for arg, name in zip(block.args[1:], names):
            arg.name_hint = name
        rewriter.inline_block(op.body.block, InsertPoint.at_end(block))
        kernel = branch.KernelOp(
            op.sym_name.data,
            n,
            op.states,
            compute_type(op.dtype),  # f32 / complex<f32>: rounded at the kernel's output
            names,
            op.hermitian is not None,
            Region(block),
        )
        rewriter.replace(op, kernel, new_results=[])


class TermToBranches(RewritePattern):
    """`sym.term` (body converted) -> its body inlined into the kernel; its `sym.where`,
    already in the mask of every `branch.emit` of the term, is dropped."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: sym.TermOp, rewriter: PatternRewriter):
        where = op.predicate
        if where is not None:
            rewriter.erase(where)
        rewriter.inline_block(op.body.block, InsertPoint.before(op))
        rewriter.erase(op)


class EmissionToEmit(RewritePattern):
    """`sym.emission` (regions converted) -> its regions inlined and a `branch.emit`.

    The state is the last of the update program; the amplitude is the value of the
    `sym.yield`, which this pattern consumes; the mask is the term predicate (its
    `sym.where`) AND the emission predicate, an all-true constant when there is none.
    """

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: sym.EmissionOp, rewriter: PatternRewriter):
        term = term_of(op)
        kernel = kernel_of(op)
        state = final_state(rewriter, op)
        yield_op = op.amplitude.block.last_op
        assert isinstance(yield_op, sym.YieldOp)
        amplitude = yield_op.value
        rewriter.erase(yield_op)
        for region in (op.update, op.amplitude):
            rewriter.inline_block(region.block, InsertPoint.before(op))
        mask = _mask(rewriter, op, term)
        tag = op.tag.data if op.tag is not None else None
        emit = branch.EmitOp(
            kernel.x, state, amplitude, mask, kernel.dtype, term.sym_name.data, tag
        )
        rewriter.replace(op, emit, new_results=[])


def _mask(rewriter: PatternRewriter, emission: sym.EmissionOp, term: sym.TermOp) -> SSAValue:
    """The term predicate AND the emission predicate (all true when there is none)."""
    conditions = []
    where = term.predicate
    if where is not None:
        conditions.append(where.predicate)
    if emission.condition is not None:
        conditions.append(emission.condition)
    if not conditions:
        true = constant(emission, IntegerAttr(1, i1), len(term.rows.data))
        return rewriter.insert(true).result
    if len(conditions) == 1:
        return conditions[0]
    return rewriter.insert(branch.AndOp(conditions)).result


# --------------------------------------------------------------------------- values


class ConstantToBranch(RewritePattern):
    """`sym.constant` -> `branch.constant` over the term's rows."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: sym.ConstantOp, rewriter: PatternRewriter):
        rewriter.replace(op, constant(op, op.value, rows_of(op)))


class ParamToBranch(RewritePattern):
    """`sym.param` -> `branch.splat` of the kernel's parameter argument (a table: the
    argument itself, which `branch.lookup` reads)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: sym.ParamOp, rewriter: PatternRewriter):
        kernel = kernel_of(op)
        arg = kernel.param_args[kernel.param_names.index(op.param_name.data)]
        if op.is_table:  # read whole by `branch.lookup`
            rewriter.replace(op, [], [arg])
            return
        rewriter.replace(op, branch.SplatOp(arg, kernel.x, rows_of(op)))


class LabelToColumn(RewritePattern):
    """`sym.label` -> `branch.column` holding the label's site in every row."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: sym.LabelOp, rewriter: PatternRewriter):
        term = term_of(op)
        k = term.label_names.index(op.label.data)
        column = [row[k] for row in term.row_table]
        rewriter.replace(op, branch.ColumnOp(kernel_of(op).x, column))


class ReadToGather(RewritePattern):
    """`sym.read` -> `branch.read` of the source configurations."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: sym.ReadOp, rewriter: PatternRewriter):
        rewriter.replace(op, branch.ReadOp(kernel_of(op).x, op.site))


class CountToBranch(RewritePattern):
    """`sym.count` -> `branch.count` of the source configurations."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: sym.CountOp, rewriter: PatternRewriter):
        rewriter.replace(op, branch.CountOp(kernel_of(op).x, op.lo, op.hi))


class NthSiteToBranch(RewritePattern):
    """`sym.nth_site` -> `branch.nth_site` of the source configurations."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: sym.NthSiteOp, rewriter: PatternRewriter):
        new = branch.NthSiteOp(kernel_of(op).x, op.rank, op.site_list, op.state.value.data)
        rewriter.replace(op, new)


class ParitySumToBranch(RewritePattern):
    """`sym.parity_sum` -> `branch.parity_sum` of the source configurations."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: sym.ParitySumOp, rewriter: PatternRewriter):
        rewriter.replace(op, branch.ParitySumOp(kernel_of(op).x, op.index, op))


class ReadEmittedToStateRead(RewritePattern):
    """`sym.read_emitted` -> `branch.state_read` of the emission's final state."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: sym.ReadEmittedOp, rewriter: PatternRewriter):
        emission = op.parent_op()
        assert isinstance(emission, sym.EmissionOp)
        rewriter.replace(op, branch.StateReadOp(final_state(rewriter, emission), op.site))


ELEMENTWISE: Mapping[type[Operation], type[Operation]] = branch.ELEMENTWISE
"""The `sym` expression ops and the `branch` op each becomes, on the same operands:
derived from the op table (`sym.EXPRESSION_OPS`, the branch op of the same mnemonic)."""


class ElementwiseToBranch(RewritePattern):
    """A `sym` expression op -> its `branch` op from `table` (`ELEMENTWISE`), on the
    converted operands: the same operands, the same properties; `branch.wrap_mod` takes
    the kernel's local states. An integer op of row-static operands (labels, integer
    constants) is folded, row by row, into a `branch.column` (`max(i, j)`, `i + 1`)."""

    def __init__(self, table: Mapping[type[Operation], type[Operation]] = ELEMENTWISE):
        self.table = table

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter):
        target = self.table.get(type(op))
        if target is None:
            return
        if isinstance(op, sym.CmpOp):
            new = target(op.predicate.data, op.lhs, op.rhs)  # type: ignore[call-arg]
        elif isinstance(op, sym.LogicOpBase):
            new = target(op.inputs)  # type: ignore[call-arg]
        elif isinstance(op, sym.WrapModOp):
            states = kernel_of(op).states
            new = target(op.operand, states[0], len(states))  # type: ignore[call-arg]
        elif isinstance(op, sym.LookupOp):
            new = _lookup(op)
        else:
            new = target(*op.operands)  # type: ignore[call-arg]
        folded = _row_static(op)
        if folded is not None:
            new = branch.ColumnOp(kernel_of(op).x, folded)
        rewriter.replace(op, new)


def _lookup(op: sym.LookupOp) -> branch.LookupOp:
    """`sym.lookup` -> `branch.lookup` holding only the entries its rows read, when the
    index is static per row (a table of thousands of integrals read by a term of a few
    rows keeps a few); the whole table otherwise."""
    if op.table_param is not None:  # a table parameter: every key keeps its entry
        return branch.LookupOp(op.index, op.keys.get_values(), op.table_param)
    keys, values = op.keys.get_values(), op.values.get_values()
    column = _row_values(op.index, rows_of(op))
    if column is not None:
        table = op.table()
        keys = sorted({k for k in column if k in table})
        values = [table[k] for k in keys]
    return branch.LookupOp(op.index, keys, values)


def _row_values(value: SSAValue, rows: int) -> list[int] | None:
    """The per-row integers of a converted `i64` operand when they are static: a
    `branch.column` (a label) or an integer `branch.constant`."""
    owner = value.owner
    if isinstance(owner, branch.ColumnOp):
        return list(owner.values.get_values())
    if isinstance(owner, branch.ConstantOp) and owner.value.type == i64:
        return [owner.value.value.data] * rows
    return None


def _row_static(op: Operation) -> list[int] | None:
    """The per-row values of an `i64` expression op whose operands are all static per
    row (labels and integer constants: `min(i, j) + 1`), evaluated by the op's own rule
    (`evaluate`), so that it becomes a `branch.column`; None otherwise (or where a value
    leaves 64 bits)."""
    if op.results[0].type != i64 or not isinstance(op, sym.ExpressionOp) or not op.operands:
        return None
    rows = rows_of(op)
    columns = [_row_values(v, rows) for v in op.operands]
    if any(c is None for c in columns):
        return None
    rule = op.RULE.on_int if op.RULE is not None else None
    try:
        if rule is not None:  # the i64 rule on the operands (ints of 64 bits) directly
            values = [int(rule(*args)) for args in zip(*columns)]  # type: ignore[misc]
        else:
            values = [int(op.evaluate(*args)) for args in zip(*columns)]  # type: ignore[misc]
    except (ArithmeticError, ValueError, NotImplementedError):
        return None  # e.g. wrap_mod: its local states are the kernel's now
    if any(not -(2**63) <= v < 2**63 for v in values):
        return None
    return values


# --------------------------------------------------------------------------- updates


def _write(
    rewriter: PatternRewriter, op: Operation, state: SSAValue, site: SSAValue, value: SSAValue
) -> SSAValue:
    states = kernel_of(op).states
    w = branch.WriteOp(state, site, value, checked=not known_in_states(value, states))
    return rewriter.insert(w).result


def _read(rewriter: PatternRewriter, state: SSAValue, site: SSAValue) -> SSAValue:
    """`x'[site]` for an update; before any write `x'` is `x`, so that is a read of `x`
    (a gather over `tensor<?xN>`, or slices, instead of a gather over the states)."""
    fresh = state.owner
    r = (
        branch.ReadOp(fresh.x, site)
        if isinstance(fresh, branch.StateOp)
        else branch.StateReadOp(state, site)
    )
    return rewriter.insert(r).result


def _emit_value(rewriter: PatternRewriter, new: Operation) -> SSAValue:
    return rewriter.insert(new).results[0]


class WriteToBranch(RewritePattern):
    """`sym.write` -> `branch.write` (checked unless the value is surely a local state)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: sym.WriteOp, rewriter: PatternRewriter):
        _write(rewriter, op, current_state(rewriter, op), op.site, op.value)
        rewriter.erase(op)


class ShiftToBranch(RewritePattern):
    """`sym.shift` -> read, add, checked write."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: sym.ShiftOp, rewriter: PatternRewriter):
        state = current_state(rewriter, op)
        old = _read(rewriter, state, op.site)
        new = _emit_value(rewriter, branch.AddOp(old, op.delta))
        _write(rewriter, op, state, op.site, new)
        rewriter.erase(op)


class ShiftModToBranch(RewritePattern):
    """`sym.shift_mod` -> read, add, wrap into the local states, write."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: sym.ShiftModOp, rewriter: PatternRewriter):
        states = kernel_of(op).states
        state = current_state(rewriter, op)
        old = _read(rewriter, state, op.site)
        moved = _emit_value(rewriter, branch.AddOp(old, op.delta))
        wrapped = _emit_value(rewriter, branch.WrapModOp(moved, states[0], len(states)))
        _write(rewriter, op, state, op.site, wrapped)
        rewriter.erase(op)


class SwapToBranch(RewritePattern):
    """`sym.swap` -> two reads, two writes."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: sym.SwapOp, rewriter: PatternRewriter):
        state = current_state(rewriter, op)
        va = _read(rewriter, state, op.a)
        vb = _read(rewriter, state, op.b)
        state = _write(rewriter, op, state, op.a, vb)
        _write(rewriter, op, state, op.b, va)
        rewriter.erase(op)


class PermuteToBranch(RewritePattern):
    """`sym.permute` -> K reads, then K writes (a cyclic rotation)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: sym.PermuteOp, rewriter: PatternRewriter):
        state = current_state(rewriter, op)
        sites = list(op.site_list)
        values = [_read(rewriter, state, s) for s in sites]
        for k, s in enumerate(sites):
            state = _write(rewriter, op, state, s, values[(k + 1) % len(sites)])
        rewriter.erase(op)


class AffineToBranch(RewritePattern):
    """`sym.affine` -> read, multiply, add, checked write."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: sym.AffineOp, rewriter: PatternRewriter):
        state = current_state(rewriter, op)
        old = _read(rewriter, state, op.site)
        scaled = _emit_value(rewriter, branch.MulOp(op.scale, old))
        new = _emit_value(rewriter, branch.AddOp(scaled, op.bias))
        _write(rewriter, op, state, op.site, new)
        rewriter.erase(op)


class ScatterToBranch(RewritePattern):
    """`sym.scatter` -> one write per (site, value), in order."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: sym.ScatterOp, rewriter: PatternRewriter):
        state = current_state(rewriter, op)
        for s, v in zip(op.site_list, op.value_list):
            state = _write(rewriter, op, state, s, v)
        rewriter.erase(op)


class FlipSitesToBranch(RewritePattern):
    """`sym.flip_sites` -> `branch.flip_sites` of the current state."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: sym.FlipSitesOp, rewriter: PatternRewriter):
        rewriter.insert(branch.FlipSitesOp(current_state(rewriter, op), op.index, op.masks))
        rewriter.erase(op)


class InvalidateToBranch(RewritePattern):
    """`sym.invalidate` -> `branch.invalidate` of the current state."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: sym.InvalidateOp, rewriter: PatternRewriter):
        new = branch.InvalidateOp(current_state(rewriter, op))
        rewriter.replace(op, new, new_results=[])


class CondToSelectState(RewritePattern):
    """`sym.cond` (regions converted) -> both programs inlined and `branch.select_state`
    of their last states (the state before the cond for a program that writes nothing)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: sym.CondOp, rewriter: PatternRewriter):
        before = current_state(rewriter, op)
        outcomes = []
        for region in (op.then_region, op.else_region):
            last = _last_state_in(region.block)
            outcomes.append(last if last is not None else before)
            rewriter.inline_block(region.block, InsertPoint.before(op))
        select = branch.SelectStateOp(op.condition, outcomes[0], outcomes[1])
        rewriter.replace(op, select, new_results=[])


# --------------------------------------------------------------------------- the pass

CONSUMED_BY_PARENT: dict[type[Operation], type[Operation]] = {
    sym.YieldOp: sym.EmissionOp,
    sym.WhereOp: sym.TermOp,
}
"""The `sym` ops with no pattern of their own: the pattern of their parent consumes them."""


def sym_to_branch_patterns() -> list[RewritePattern]:
    """The patterns of the second walk: one per `sym` op but `sym.operator` (the first
    walk's `OperatorToKernel`) and the ops in `CONSUMED_BY_PARENT`."""
    return [
        TermToBranches(),
        EmissionToEmit(),
        ConstantToBranch(),
        ParamToBranch(),
        LabelToColumn(),
        ReadToGather(),
        CountToBranch(),
        NthSiteToBranch(),
        ParitySumToBranch(),
        ReadEmittedToStateRead(),
        ElementwiseToBranch(ELEMENTWISE),
        WriteToBranch(),
        ShiftToBranch(),
        ShiftModToBranch(),
        SwapToBranch(),
        PermuteToBranch(),
        AffineToBranch(),
        ScatterToBranch(),
        FlipSitesToBranch(),
        InvalidateToBranch(),
        CondToSelectState(),
    ]


def finish_kernel(kernel: branch.KernelOp) -> None:
    """Joins the branches of every `branch.emit` and returns them."""
    emits = [o for o in kernel.body.block.ops if isinstance(o, branch.EmitOp)]
    xp = branch.ConcatOp([e.xp for e in emits])
    mels = branch.ConcatOp([e.mel for e in emits])
    ret = branch.ReturnOp(xp.result, mels.result)
    Rewriter.insert_op([xp, mels, ret], InsertPoint.at_end(kernel.body.block))


@dataclass(frozen=True)
class ConvertSymToBranchPass(ModulePass):
    """Lowers every `sym.operator` of the module to a `branch.kernel`."""

    name = "convert-sym-to-branch"

    x_dtype: str = "auto"
    """Element type of the configurations (`i8`, `i16`, `i32`, `i64` or `auto`)."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        before = set(_kernels(op))
        PatternRewriteWalker(
            LocatingPattern(OperatorToKernel(self.x_dtype)), apply_recursively=False
        ).rewrite_module(op)
        body = PatternRewriteWalker(
            LocatingPattern(
                GreedyRewritePatternApplier(sym_to_branch_patterns(), dce_enabled=False)
            ),
            walk_regions_first=True,
            apply_recursively=False,
        )
        for kernel in _kernels(op):
            if kernel not in before:
                body.rewrite_region(kernel.body)
                finish_kernel(kernel)
        left = [o for o in op.walk() if o.dialect_name() == "sym"]
        if left:
            raise attach_op(
                ValueError(
                    f"convert-sym-to-branch left sym ops behind: {sorted({o.name for o in left})}"
                ),
                left[0],
            )


def _kernels(op: ModuleOp) -> list[branch.KernelOp]:
    return [o for o in op.walk() if isinstance(o, branch.KernelOp)]
