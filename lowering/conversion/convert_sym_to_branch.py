"""`convert-sym-to-branch`: vectorises a `sym.operator` into a `branch.kernel`.

Every `sym` op has one rewrite pattern. A value of a term becomes a `tensor<?xMxT>` (batch
x the term's M rows); the update program of an emission becomes a chain of
`!branch.state` values; each emission becomes a `branch.emit` applying the runtime
contract; the pass ends by joining all branches (`branch.concat`) into `branch.return`
and checking that no `sym` op is left.

The patterns run in program order, driven by the pass: the operator first (it becomes the
kernel that holds the terms), then, per term, its values, its emissions (update region,
then amplitude region, then the emission itself), its predicate and the term.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import DYNAMIC_INDEX as DYN
from xdsl.dialects.builtin import IntegerAttr, IntegerType, ModuleOp, TensorType, i1
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern

from symir.dialects import branch, sym

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


_STATE_OPS = (branch.StateOp, branch.WriteOp, branch.InvalidateOp, branch.SelectStateOp)


def _last_state_in(block: Block, before: Operation | None = None) -> SSAValue | None:
    found = None
    for op in block.ops:
        if op is before:
            break
        if isinstance(op, _STATE_OPS):
            found = op.results[0]
    return found


def initial_state(block: Block, op: Operation) -> SSAValue:
    """A new `branch.state %x` at the start of `block` (the identity program); called
    only when `block` holds no state yet."""
    state = branch.StateOp(kernel_of(op).x, rows_of(op))
    if block.first_op is None:
        block.add_op(state)
    else:
        block.insert_op_before(state, block.first_op)
    return state.result


def current_state(op: Operation) -> SSAValue:
    """The connected configuration as it is just before `op` in its update program."""
    block = op.parent_block()
    assert block is not None
    found = _last_state_in(block, before=op)
    if found is not None:
        return found
    parent = block.parent_op()
    if isinstance(parent, sym.CondOp):
        return current_state(parent)
    return initial_state(block, op)


def final_state(emission: sym.EmissionOp) -> SSAValue:
    """The connected configuration after the whole update program of `emission`."""
    found = _last_state_in(emission.update.block)
    return found if found is not None else initial_state(emission.update.block, emission)


def states_are_symmetric(states: Sequence[int]) -> bool:
    return sorted(-s for s in states) == sorted(states)


def known_in_states(value: SSAValue, states: Sequence[int]) -> bool:
    """Whether every element of `value` is certainly a local state (so no check is needed)."""
    op = value.owner
    if isinstance(op, branch.ConstantOp):
        return isinstance(op.value, IntegerAttr) and op.value.value.data in states
    if isinstance(op, branch.ReadOp | branch.StateReadOp | branch.WrapModOp):
        return True
    if isinstance(op, branch.NegOp):
        return states_are_symmetric(states) and known_in_states(op.operand, states)
    if isinstance(op, branch.SelectOp):
        return known_in_states(op.if_true, states) and known_in_states(op.if_false, states)
    return False


def constant(op: Operation, value: IntegerAttr, rows: int) -> branch.ConstantOp:
    return branch.ConstantOp(kernel_of(op).x, value, rows)


# --------------------------------------------------------------------------- structure


class OperatorToKernel(RewritePattern):
    """`sym.operator` -> `branch.kernel` holding the (not yet converted) terms."""

    def __init__(self, x_element_type: IntegerType):
        self.x_element_type = x_element_type

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter):
        if not isinstance(op, sym.OperatorOp):
            return
        params: dict[str, object] = {}
        for inner in op.walk():
            if isinstance(inner, sym.ParamOp):
                params.setdefault(inner.param_name.data, inner.result.type)
        names = sorted(params)
        n = op.num_sites.data
        arg_types = [TensorType(self.x_element_type, [DYN, n])]
        arg_types += [TensorType(params[p], []) for p in names]  # type: ignore[arg-type]
        block = Block(arg_types=arg_types)
        block.args[0].name_hint = "x"
        for arg, name in zip(block.args[1:], names):
            arg.name_hint = name
        for term in list(op.body.block.ops):
            term.detach()
            block.add_op(term)
        kernel = branch.KernelOp(
            op.sym_name.data,
            n,
            op.states,
            op.dtype,
            names,
            op.hermitian is not None,
            Region(block),
        )
        rewriter.replace(op, kernel, new_results=[])


class TermToBranches(RewritePattern):
    """`sym.term` -> its converted body, inlined into the kernel."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter):
        if not isinstance(op, sym.TermOp):
            return
        kernel = kernel_of(op)
        for inner in list(op.body.block.ops):
            inner.detach()
            kernel.body.block.insert_op_before(inner, op)
        rewriter.erase(op)


class WhereToMask(RewritePattern):
    """`sym.where` -> nothing: its predicate is already in every `branch.emit` mask."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter):
        if not isinstance(op, sym.WhereOp):
            return
        rewriter.erase(op)


class EmissionToEmit(RewritePattern):
    """`sym.emission` (regions already converted) -> inlined regions and a `branch.emit`.

    The mask is the term predicate AND the emission predicate; the amplitude is the value
    of the `sym.yield`, which this pattern consumes.
    """

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter):
        if not isinstance(op, sym.EmissionOp):
            return
        term = term_of(op)
        kernel = kernel_of(op)
        m = len(term.rows.data)
        state = final_state(op)
        yield_op = op.amplitude.block.last_op
        assert isinstance(yield_op, sym.YieldOp)
        amplitude = yield_op.value
        rewriter.erase(yield_op)
        for region in (op.update, op.amplitude):
            for inner in list(region.block.ops):
                inner.detach()
                rewriter.insert(inner)
        conditions = []
        where = term.predicate
        if where is not None:
            conditions.append(where.predicate)
        if op.condition is not None:
            conditions.append(op.condition)
        if not conditions:
            true = constant(op, IntegerAttr(1, i1), m)
            rewriter.insert(true)
            mask = true.result
        elif len(conditions) == 1:
            mask = conditions[0]
        else:
            both = branch.AndOp(conditions)
            rewriter.insert(both)
            mask = both.result
        tag = op.tag.data if op.tag is not None else None
        emit = branch.EmitOp(
            kernel.x, state, amplitude, mask, kernel.dtype, term.sym_name.data, tag
        )
        rewriter.replace(op, emit, new_results=[])


class YieldToAmplitude(RewritePattern):
    """`sym.yield` is consumed by `EmissionToEmit`; this pattern only checks that no
    stray yield survives outside an emission being converted."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter):
        if isinstance(op, sym.YieldOp) and not isinstance(op.parent_op(), sym.EmissionOp):
            raise ValueError("'sym.yield' outside a 'sym.emission'")


# --------------------------------------------------------------------------- values


class ConstantToBranch(RewritePattern):
    """`sym.constant` -> `branch.constant` over the term's rows."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter):
        if not isinstance(op, sym.ConstantOp):
            return
        rewriter.replace(op, constant(op, op.value, rows_of(op)))


class ParamToBranch(RewritePattern):
    """`sym.param` -> `branch.splat` of the kernel's parameter argument."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter):
        if not isinstance(op, sym.ParamOp):
            return
        kernel = kernel_of(op)
        arg = kernel.param_args[kernel.param_names.index(op.param_name.data)]
        rewriter.replace(op, branch.SplatOp(arg, kernel.x, rows_of(op)))


class LabelToColumn(RewritePattern):
    """`sym.label` -> `branch.column` holding the label's site in every row."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter):
        if not isinstance(op, sym.LabelOp):
            return
        term = term_of(op)
        k = term.label_names.index(op.label.data)
        column = [row[k] for row in term.row_table]
        rewriter.replace(op, branch.ColumnOp(kernel_of(op).x, column))


class ReadToGather(RewritePattern):
    """`sym.read` -> `branch.read` of the source configurations."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter):
        if not isinstance(op, sym.ReadOp):
            return
        rewriter.replace(op, branch.ReadOp(kernel_of(op).x, op.site))


class ReadEmittedToStateRead(RewritePattern):
    """`sym.read_emitted` -> `branch.state_read` of the emission's final state."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter):
        if not isinstance(op, sym.ReadEmittedOp):
            return
        emission = op.parent_op()
        assert isinstance(emission, sym.EmissionOp)
        rewriter.replace(op, branch.StateReadOp(final_state(emission), op.site))


class ElementwiseToBranch(RewritePattern):
    """A `sym` expression op -> the `branch` op of the same name on tensors."""

    def __init__(self, source: type[Operation], target: type[Operation]):
        self.source = source
        self.target = target

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter):
        if type(op) is not self.source:
            return
        if isinstance(op, sym.CmpOp):
            new = branch.CmpOp(op.predicate.data, op.lhs, op.rhs)
        elif isinstance(op, sym.AndOp | sym.OrOp):
            new = self.target(op.inputs)  # type: ignore[call-arg]
        elif isinstance(op, sym.WrapModOp):
            states = kernel_of(op).states
            new = branch.WrapModOp(op.operand, states[0], len(states))
        else:
            new = self.target(*op.operands)  # type: ignore[call-arg]
        rewriter.replace(op, new)


ELEMENTWISE = {
    sym.AddOp: branch.AddOp,
    sym.SubOp: branch.SubOp,
    sym.MulOp: branch.MulOp,
    sym.DivOp: branch.DivOp,
    sym.PowOp: branch.PowOp,
    sym.MinOp: branch.MinOp,
    sym.MaxOp: branch.MaxOp,
    sym.NegOp: branch.NegOp,
    sym.AbsOp: branch.AbsOp,
    sym.ConjOp: branch.ConjOp,
    sym.RealOp: branch.RealOp,
    sym.ImagOp: branch.ImagOp,
    sym.SqrtOp: branch.SqrtOp,
    sym.ExpOp: branch.ExpOp,
    sym.LogOp: branch.LogOp,
    sym.SinOp: branch.SinOp,
    sym.CosOp: branch.CosOp,
    sym.WrapModOp: branch.WrapModOp,
    sym.ComplexOp: branch.ComplexOp,
    sym.CmpOp: branch.CmpOp,
    sym.AndOp: branch.AndOp,
    sym.OrOp: branch.OrOp,
    sym.NotOp: branch.NotOp,
    sym.SelectOp: branch.SelectOp,
}


# --------------------------------------------------------------------------- updates


def _write(
    rewriter: PatternRewriter, op: Operation, state: SSAValue, site: SSAValue, value: SSAValue
) -> SSAValue:
    states = kernel_of(op).states
    w = branch.WriteOp(state, site, value, checked=not known_in_states(value, states))
    rewriter.insert(w)
    return w.result


def _read(rewriter: PatternRewriter, state: SSAValue, site: SSAValue) -> SSAValue:
    """`x'[site]` for an update; before any write `x'` is `x`, so that is a read of `x`
    (a gather over `tensor<?xN>`, or slices, instead of a gather over the states)."""
    fresh = state.owner
    r = (
        branch.ReadOp(fresh.x, site)
        if isinstance(fresh, branch.StateOp)
        else branch.StateReadOp(state, site)
    )
    rewriter.insert(r)
    return r.result


def _emit_value(rewriter: PatternRewriter, new: Operation) -> SSAValue:
    rewriter.insert(new)
    return new.results[0]


class WriteToBranch(RewritePattern):
    """`sym.write` -> `branch.write` (checked unless the value is surely a local state)."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter):
        if not isinstance(op, sym.WriteOp):
            return
        _write(rewriter, op, current_state(op), op.site, op.value)
        rewriter.erase(op)


class ShiftToBranch(RewritePattern):
    """`sym.shift` -> read, add, checked write."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter):
        if not isinstance(op, sym.ShiftOp):
            return
        state = current_state(op)
        old = _read(rewriter, state, op.site)
        new = _emit_value(rewriter, branch.AddOp(old, op.delta))
        _write(rewriter, op, state, op.site, new)
        rewriter.erase(op)


class ShiftModToBranch(RewritePattern):
    """`sym.shift_mod` -> read, add, wrap into the local states, write."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter):
        if not isinstance(op, sym.ShiftModOp):
            return
        states = kernel_of(op).states
        state = current_state(op)
        old = _read(rewriter, state, op.site)
        moved = _emit_value(rewriter, branch.AddOp(old, op.delta))
        wrapped = _emit_value(rewriter, branch.WrapModOp(moved, states[0], len(states)))
        _write(rewriter, op, state, op.site, wrapped)
        rewriter.erase(op)


class SwapToBranch(RewritePattern):
    """`sym.swap` -> two reads, two writes."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter):
        if not isinstance(op, sym.SwapOp):
            return
        state = current_state(op)
        va = _read(rewriter, state, op.a)
        vb = _read(rewriter, state, op.b)
        state = _write(rewriter, op, state, op.a, vb)
        _write(rewriter, op, state, op.b, va)
        rewriter.erase(op)


class PermuteToBranch(RewritePattern):
    """`sym.permute` -> K reads, then K writes (a cyclic rotation)."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter):
        if not isinstance(op, sym.PermuteOp):
            return
        state = current_state(op)
        sites = list(op.site_list)
        values = [_read(rewriter, state, s) for s in sites]
        for k, s in enumerate(sites):
            state = _write(rewriter, op, state, s, values[(k + 1) % len(sites)])
        rewriter.erase(op)


class AffineToBranch(RewritePattern):
    """`sym.affine` -> read, multiply, add, checked write."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter):
        if not isinstance(op, sym.AffineOp):
            return
        state = current_state(op)
        old = _read(rewriter, state, op.site)
        scaled = _emit_value(rewriter, branch.MulOp(op.scale, old))
        new = _emit_value(rewriter, branch.AddOp(scaled, op.bias))
        _write(rewriter, op, state, op.site, new)
        rewriter.erase(op)


class ScatterToBranch(RewritePattern):
    """`sym.scatter` -> one write per (site, value), in order."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter):
        if not isinstance(op, sym.ScatterOp):
            return
        state = current_state(op)
        for s, v in zip(op.site_list, op.value_list):
            state = _write(rewriter, op, state, s, v)
        rewriter.erase(op)


class InvalidateToBranch(RewritePattern):
    """`sym.invalidate` -> `branch.invalidate` of the current state."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter):
        if not isinstance(op, sym.InvalidateOp):
            return
        rewriter.replace(op, branch.InvalidateOp(current_state(op)), new_results=[])


class CondToSelectState(RewritePattern):
    """`sym.cond` (regions converted) -> both programs inlined and `branch.select_state`."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter):
        if not isinstance(op, sym.CondOp):
            return
        before = current_state(op)
        outcomes = []
        for region in (op.then_region, op.else_region):
            last = _last_state_in(region.block)
            outcomes.append(last if last is not None else before)
            for inner in list(region.block.ops):
                inner.detach()
                rewriter.insert(inner)
        select = branch.SelectStateOp(op.condition, outcomes[0], outcomes[1])
        rewriter.replace(op, select, new_results=[])


def sym_to_branch_patterns(x_element_type: IntegerType) -> dict[type[Operation], RewritePattern]:
    """The pattern of every `sym` op."""
    patterns: dict[type[Operation], RewritePattern] = {
        sym.OperatorOp: OperatorToKernel(x_element_type),
        sym.TermOp: TermToBranches(),
        sym.WhereOp: WhereToMask(),
        sym.EmissionOp: EmissionToEmit(),
        sym.YieldOp: YieldToAmplitude(),
        sym.ConstantOp: ConstantToBranch(),
        sym.ParamOp: ParamToBranch(),
        sym.LabelOp: LabelToColumn(),
        sym.ReadOp: ReadToGather(),
        sym.ReadEmittedOp: ReadEmittedToStateRead(),
        sym.WriteOp: WriteToBranch(),
        sym.ShiftOp: ShiftToBranch(),
        sym.ShiftModOp: ShiftModToBranch(),
        sym.SwapOp: SwapToBranch(),
        sym.PermuteOp: PermuteToBranch(),
        sym.AffineOp: AffineToBranch(),
        sym.ScatterOp: ScatterToBranch(),
        sym.InvalidateOp: InvalidateToBranch(),
        sym.CondOp: CondToSelectState(),
    }
    for source, target in ELEMENTWISE.items():
        patterns[source] = ElementwiseToBranch(source, target)
    missing = set(sym.Sym.operations) - set(patterns)  # type: ignore[arg-type]
    assert not missing, f"sym ops without a pattern: {missing}"
    return patterns


def _fits(states: Sequence[int], width: int) -> bool:
    return -(2 ** (width - 1)) <= min(states) and max(states) <= 2 ** (width - 1) - 1


def x_element_type_for(states: Sequence[int], requested: str) -> IntegerType:
    """The integer type of configurations: `requested` or the smallest that holds states."""
    if requested != "auto":
        width = int(requested.lstrip("i"))
        if not _fits(states, width):
            raise ValueError(f"local states {list(states)} do not fit in {requested}")
        return IntegerType(width)
    for width in (8, 16, 32, 64):
        if _fits(states, width):
            return IntegerType(width)
    raise ValueError(f"local states {list(states)} do not fit in i64")


@dataclass(frozen=True)
class ConvertSymToBranchPass(ModulePass):
    """Lowers every `sym.operator` of the module to a `branch.kernel`."""

    name = "convert-sym-to-branch"

    x_dtype: str = "auto"
    """Element type of the configurations (`i8`, `i16`, `i32`, `i64` or `auto`)."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for operator in [o for o in op.walk() if isinstance(o, sym.OperatorOp)]:
            self.convert_operator(operator)
        left = [o.name for o in op.walk() if o.dialect_name() == "sym"]
        if left:
            raise ValueError(f"convert-sym-to-branch left sym ops behind: {sorted(set(left))}")

    def convert_operator(self, operator: sym.OperatorOp) -> None:
        patterns = sym_to_branch_patterns(x_element_type_for(operator.states, self.x_dtype))

        def run(o: Operation) -> None:
            patterns[type(o)].match_and_rewrite(o, PatternRewriter(o))

        def run_block(block: Block) -> None:
            for o in list(block.ops):
                if isinstance(o, sym.EmissionOp):
                    run_block(o.update.block)
                    run_block(o.amplitude.block)
                elif isinstance(o, sym.CondOp):
                    run_block(o.then_region.block)
                    run_block(o.else_region.block)
                if isinstance(o, sym.WhereOp | sym.YieldOp):
                    continue  # consumed by their emission / erased with their term
                run(o)

        terms = operator.terms
        run(operator)
        kernel = kernel_of(terms[0])
        for term in terms:
            run_block(term.body.block)
            where = term.predicate
            if where is not None:
                run(where)
            run(term)
        finish_kernel(kernel)


def finish_kernel(kernel: branch.KernelOp) -> None:
    """Joins the branches of every `branch.emit` and returns them."""
    emits = [o for o in kernel.body.block.ops if isinstance(o, branch.EmitOp)]
    block = kernel.body.block
    xp = branch.ConcatOp([e.xp for e in emits])
    mels = branch.ConcatOp([e.mel for e in emits])
    block.add_ops([xp, mels, branch.ReturnOp(xp.result, mels.result)])
