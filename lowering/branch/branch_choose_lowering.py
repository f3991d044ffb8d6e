"""`branch-choose-lowering`: how each read and each diagonal sum becomes StableHLO, by
a static cost estimate per target (`cost_model.py`, docs/cost-model.md).

Two choices, made on the `branch` level so that the printed IR shows them:

1. **Diagonal sums as quadratic forms.** A `branch.sum_rows` of the `mel` of an identity
   emission (`branch.state %x`, mask constant true or reads of two-state sites compared
   with a local state and `and`-ed: `PolynomialReader.indicator`) whose amplitude (times
   the mask) is a polynomial of degree at most 2 in reads of row-table columns, with
   constant coefficients
   (`sum_rows(c * x[i] * x[j])` over a bond table, on-site `U n_i (n_i - 1)`, `-mu n_i`), is
   `x^T A x + w . x + c` with a static N x N matrix: one `branch.quadratic_form`, lowered
   to a matrix product. The sums that `branch-coalesce-diagonal` added into the diagonal
   slot become one form (the others stay added to it). `auto` compares the rows as
   written (their reads, elementwise ops and the sum) with the form (2 N^2 flops);
   `dense` makes every such sum a form; `rows` none.
2. **Reads.** Each remaining `branch.read` of a `branch.column` gets `{lowering = ...}`:
   `x` (the identity column), `slices` (at most `MAX_SLICES` strided runs), `take` (a
   constant-index gather without batching dimensions), `permuted` (takes of the column's
   blocks of distinct sites, each built once and shared by every read holding it) or
   `gather` (a gather with batching dimensions, also the only way to read sites known at
   run time, which get no attribute). `auto` takes the cheapest; any other value forces
   that lowering wherever it applies (`x` only on the identity column).

Options: `target` (`auto|cpu|gpu`), `reads` (`auto|x|slices|take|permuted|gather`),
`diagonal` (`auto|rows|dense`); in the default lowering `LoweringOptions.target`,
`read_lowering` and `diagonal_lowering`. The pass only annotates and replaces whole sums:
every choice computes the same values (up to the floating-point summation order of a
sum). Idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, StringAttr
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.transforms.dead_code_elimination import region_dce

from symir.dialects import branch
from symir.lowering.branch._exact_form import exact_form
from symir.lowering.branch._flips import flip_writes
from symir.lowering.branch._polynomial import PolynomialReader, QuadraticForm, forms_of
from symir.lowering.branch.cost_model import (
    DIAGONAL_CHOICES,
    READ_CHOICES,
    STATE_CHOICES,
    CostModel,
    check_choice,
    cost_model,
    projection,
)


@dataclass
class _Sum:
    """A diagonal `sum_rows` that is a sum of quadratic forms, one per product of kernel
    parameters (`()`: no parameter), with what its rows form costs."""

    op: branch.SumRowsOp
    forms: dict[tuple[int, ...], QuadraticForm]
    rows_cost: float


def _is_true(value: SSAValue) -> bool:
    op = value.owner
    return (
        isinstance(op, branch.ConstantOp)
        and isinstance(op.value, IntegerAttr)
        and op.value.value.data != 0
    )


def quadratic_sum(summed: branch.SumRowsOp, n: int, model: CostModel) -> _Sum | None:
    """`summed` as a quadratic form, if it sums an identity emission's polynomial mel."""
    emit = summed.input.owner
    if not (
        isinstance(emit, branch.EmitOp)
        and summed.input is emit.mel
        and isinstance(emit.state.owner, branch.StateOp)
    ):
        return None
    reader = PolynomialReader(n)
    with np.errstate(over="ignore", invalid="ignore"):  # overflowed forms are not taken
        poly = reader.of(emit.amplitude)
        if poly is not None and not _is_true(emit.mask):
            # a mask of reads of two-state sites (`n_P == 1 and n_R == 1`) multiplies
            mask = reader.indicator(emit.mask, branch.kernel_states(summed) or ())
            poly = None if mask is None else poly.mul(mask)
        if poly is None:
            return None
        forms = forms_of(poly, reader.columns)
    reads = [reader.columns[k] for k in reader.reads]
    return _Sum(summed, forms, model.rows_cost(reads, reader.ops, poly.rows, n))


def _leaves(value: SSAValue) -> list[SSAValue] | None:
    """The operands of the tree of single-use `branch.add`s that computes `value`."""
    op = value.owner
    if isinstance(op, branch.AddOp) and value.has_one_use():
        out = []
        for v in op.operands:
            leaves = _leaves(v)
            if leaves is None:
                return None
            out += leaves
        return out
    return [value]


def _merge(sums: list[_Sum]) -> dict[tuple[int, ...], QuadraticForm] | None:
    """The forms of `sums` added up, or None where a weight overflowed (the rows
    compute it as written)."""
    total: dict[tuple[int, ...], QuadraticForm] = {}
    with np.errstate(over="ignore", invalid="ignore"):
        for s in sums:
            for params, form in s.forms.items():
                total.setdefault(params, QuadraticForm()).merge(form)
    return total if all(f.is_finite() for f in total.values()) else None


def _build(
    kernel: branch.KernelOp, forms: dict[tuple[int, ...], QuadraticForm], like: SSAValue
) -> tuple[list[Operation], SSAValue]:
    """The ops computing `sum over groups of (product of parameters) * form`, and the
    value (of the type of `like`, the sum it replaces)."""
    dtype = like.type.element_type  # type: ignore[union-attr]
    ops: list[Operation] = []
    total: SSAValue | None = None
    for params, form in sorted(forms.items()):
        pairs, weights, sites, linear = form.entries()
        q = branch.QuadraticFormOp(kernel.x, pairs, weights, sites, linear, form.constant, dtype)
        ops.append(q)
        value: SSAValue = q.result
        for p in params:
            splat = branch.SplatOp(kernel.param_args[p], kernel.x, 1)
            scaled = branch.MulOp(value, splat.result)
            ops += [splat, scaled]
            value = scaled.result
        assert value.type == like.type, (value.type, like.type)
        if total is None:
            total = value
        else:
            add = branch.AddOp(total, value)
            ops.append(add)
            total = add.result
    assert total is not None
    return ops, total


def _dense_cost(model: CostModel, n: int, form: QuadraticForm, states) -> float:
    """What the form costs: in f32 when its weights allow it (`exact_form`)."""
    _, weights, _, linear = form.entries()
    exact = bool(weights) and exact_form(weights, linear, states) is not None
    return model.dense_cost(n, bool(form.linear), exact)


def _costlier(
    model: CostModel,
    n: int,
    kernel: branch.KernelOp,
    forms: dict[tuple[int, ...], QuadraticForm],
    group: list[_Sum],
) -> bool:
    """Whether the forms cost at least what the rows of `group` cost."""
    dense = sum(_dense_cost(model, n, f, kernel.states) for f in forms.values())
    return dense >= sum(s.rows_cost for s in group)


def choose_quadratic_forms(kernel: branch.KernelOp, model: CostModel, forced: bool) -> bool:
    """Replaces the diagonal sums that are cheaper (or, `forced`, all that can be) as one
    quadratic form; returns whether anything changed."""
    n = kernel.num_sites.data
    block = kernel.body.block
    found = [
        s
        for op in block.ops
        if isinstance(op, branch.SumRowsOp) and (s := quadratic_sum(op, n, model)) is not None
    ]
    if not found:
        return False
    # the sums coalescing added up: one form for all of them, the rest added to it
    groups: list[tuple[list[_Sum], SSAValue | None, list[SSAValue]]] = []
    taken: set[branch.SumRowsOp] = set()
    by_result = {s.op.result: s for s in found}
    for op in block.ops:
        if isinstance(op, branch.EmitOp) and op.term.data == "diagonal":
            leaves = _leaves(op.amplitude) or [op.amplitude]
            group = [by_result[v] for v in leaves if v in by_result]
            if len(group) > 1:
                rest = [v for v in leaves if v not in by_result]
                groups.append((group, op.amplitude, rest))
                taken.update(s.op for s in group)
    groups += [([s], None, []) for s in found if s.op not in taken]
    changed = False
    for group, total, rest in groups:
        forms = _merge(group)
        if forms is None or (not forced and _costlier(model, n, kernel, forms, group)):
            continue
        new_ops, value = _build(kernel, forms, group[0].op.result)
        for v in rest:
            add = branch.AddOp(value, v)
            new_ops.append(add)
            value = add.result
        if total is None:
            block.insert_ops_before(new_ops, group[0].op)
            group[0].op.result.replace_all_uses_with(value)
        else:
            emit = next(use.operation for use in total.uses)
            block.insert_ops_before(new_ops, emit)
            total.replace_all_uses_with(value)
        changed = True
    if changed:
        region_dce(kernel.body)
    return changed


def _reaches_emission(
    value: SSAValue,
    hit: Callable[[branch.EmitOp], bool],
    sums: bool,
    memo: dict[Operation, bool] | None = None,
) -> bool:
    """Whether `value` flows, through any ops, into a `branch.emit` for which `hit` is
    true (`sums`: also through `branch.sum_rows`). `memo` (op -> whether it flows into
    one), shared by the queries of one kernel with the same `hit` and `sums`, answers
    each op once: a walk per read was quadratic (a 32-site `(H @ H) @ H`, 2,200 reads
    of 46,000 ops, spent 45 s here)."""
    if memo is None:
        memo = {}
    return any(_op_reaches(use.operation, hit, sums, memo) for use in value.uses)


def _op_reaches(
    root: Operation, hit: Callable[[branch.EmitOp], bool], sums: bool, memo: dict
) -> bool:
    """Whether the results of `root` (or `root` itself, an emission) reach a hit, every
    op on the way answered into `memo` (a post-order walk, not a recursion)."""
    stack, open_ = [root], set()
    while stack:
        op = stack[-1]
        if op in memo:
            stack.pop()
            continue
        if isinstance(op, branch.SumRowsOp) and not sums:
            memo[op] = False
            stack.pop()
            continue
        if isinstance(op, branch.EmitOp):
            memo[op] = hit(op)
            stack.pop()
            continue
        users = [use.operation for r in op.results for use in r.uses]
        pending = [u for u in users if u not in memo and u not in open_]
        if pending and op not in open_:
            open_.add(op)
            stack.extend(pending)
            continue
        memo[op] = any(memo.get(u, False) for u in users)
        open_.discard(op)
        stack.pop()
    return memo[root]


def feeds_emitted_rows(value: SSAValue, memo: dict[Operation, bool] | None = None) -> bool:
    """Whether `value` flows into emitted rows (the `x'` or `mel` of an emission that is
    output, not only summed): through any op but a `branch.sum_rows` to a `branch.emit`
    result used by anything but a `branch.sum_rows`. `memo`: as `_reaches_emission`."""
    return _reaches_emission(value, _emitted, sums=False, memo=memo)


def _emitted(emit: branch.EmitOp) -> bool:
    mel_out = any(not isinstance(u.operation, branch.SumRowsOp) for u in emit.mel.uses)
    return mel_out or any(True for _ in emit.xp.uses)


def lone(emit: branch.EmitOp) -> bool:
    """Whether the emission's `x'` is returned as it is, not concatenated with other
    emissions' rows (`convert-branch-to-stablehlo` then computes its mask once, in a
    reduction, `cost_model.CostModel.gather_index_element`)."""
    uses = [u.operation for u in emit.xp.uses]
    return bool(uses) and not all(
        isinstance(u, branch.ConcatOp) and len(u.inputs) > 1 for u in uses
    )


def feeds_lone_emission(value: SSAValue, memo: dict[Operation, bool] | None = None) -> bool:
    """Whether `value` flows, through any ops, into a lone emission (`lone`). `memo`: as
    `_reaches_emission`."""
    return _reaches_emission(value, lone, sums=True, memo=memo)


def choose_reads(kernel: branch.KernelOp, model: CostModel, forced: str) -> None:
    """Sets `lowering` on every read of a `branch.column` (the cheapest, or `forced`)."""
    n = kernel.num_sites.data
    to_rows: dict[Operation, bool] = {}  # the ops answered, per query (each op once)
    to_lone: dict[Operation, bool] = {}
    for op in kernel.body.block.ops:
        if not isinstance(op, branch.ReadOp) or not isinstance(op.sites.owner, branch.ColumnOp):
            continue
        cols = np.asarray(op.sites.owner.values.get_values(), np.int64) % n
        emitted = feeds_emitted_rows(op.result, to_rows)
        if forced == "auto":
            lone_ = emitted and feeds_lone_emission(op.result, to_lone)
            how = model.best_read(cols, n, emitted, lone_)
        elif forced == "x":
            how = "x" if "x" in model.read_costs(cols, n) else model.best_read(cols, n, emitted)
        else:
            how = forced
        op.lowering = StringAttr(how)


def _writes_per_row(kernel: branch.KernelOp) -> int:
    """The most writes a row of an emitted `x'` gets (the longest chain of writes from a
    `branch.state` to an emission whose `x'` is output); a chain of writes that flip
    their sites counts as one (`_flips`: it is built as one select)."""
    flips = flip_writes(kernel)
    depth: dict[SSAValue, int] = {}
    flipping: dict[SSAValue, bool] = {}
    most = 0
    for op in kernel.body.block.ops:
        if isinstance(op, branch.StateOp):
            depth[op.result] = 0
            flipping[op.result] = True
        elif isinstance(op, branch.WriteOp):
            chain = flipping.get(op.state, False) and id(op) in flips
            flipping[op.result] = chain
            depth[op.result] = 1 if chain else depth.get(op.state, 0) + 1
        elif isinstance(op, branch.InvalidateOp):
            depth[op.result] = depth.get(op.state, 0)
        elif isinstance(op, branch.SelectStateOp):
            depth[op.result] = max(depth.get(op.if_true, 0), depth.get(op.if_false, 0))
        elif isinstance(op, branch.EmitOp) and any(True for _ in op.xp.uses):
            most = max(most, depth.get(op.state, 0))
    return most


def choose_states(kernel: branch.KernelOp, model: CostModel, forced: str) -> None:
    """Sets `lowering` on every `branch.state` (by the target, or `forced`; `projected`
    only where the local states are evenly spaced and fit the configuration type, else
    `merged`); `concat` is the default and carries no attribute."""
    x_elem = kernel.x.type.element_type  # type: ignore[union-attr]
    grid = projection(kernel.states, x_elem)
    n = kernel.num_sites.data
    if forced == "auto":
        how = model.state_lowering(n, grid, _writes_per_row(kernel))
    else:
        how = "merged" if forced == "projected" and grid is None else forced
    for op in kernel.body.block.ops:
        if isinstance(op, branch.StateOp):
            op.lowering = None if how == "concat" else StringAttr(how)


@dataclass(frozen=True)
class BranchChooseLoweringPass(ModulePass):
    """Chooses how each read and diagonal sum of a `branch.kernel` is lowered, by cost."""

    name = "branch-choose-lowering"

    target: str = "auto"
    """The machine whose cost model makes the choices: `cpu`, `gpu`, or `auto` (JAX's
    backend when JAX is imported, else `cpu`); docs/cost-model.md."""
    reads: str = "auto"
    """How reads of row-table columns are lowered: `auto` (the cheapest by the cost
    model) or one of `x`, `slices`, `take`, `permuted`, `gather` forced (experiments)."""
    diagonal: str = "auto"
    """Diagonal sums that are quadratic forms: `auto` (by cost), `rows` (as written),
    `dense` (always the quadratic form, `x^T A x`)."""
    states: str = "auto"
    """How the rows of each `branch.state` are lowered: `auto` (by the target), or
    `concat`, `merged`, `projected` forced (docs/cost-model.md)."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        check_choice("branch-choose-lowering reads", self.reads, READ_CHOICES)
        check_choice("branch-choose-lowering diagonal", self.diagonal, DIAGONAL_CHOICES)
        check_choice("branch-choose-lowering states", self.states, STATE_CHOICES)
        model = cost_model(self.target)
        for kernel in [o for o in op.walk() if isinstance(o, branch.KernelOp)]:
            if self.diagonal != "rows":
                choose_quadratic_forms(kernel, model, forced=self.diagonal == "dense")
            choose_reads(kernel, model, self.reads)
            choose_states(kernel, model, self.states)
