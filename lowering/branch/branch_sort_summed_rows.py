"""`branch-sort-summed-rows`: reorders the rows of a term whose rows are only summed.

A `branch.sum_rows` adds up the rows of its input, so the order in which a term's rows
are computed does not matter to it (beyond the floating-point summation order). After
`branch-coalesce-diagonal` that is the case for every diagonal emission: its rows feed
nothing but the `sum_rows`. The row order does matter to the static reads of
`convert-branch-to-stablehlo`: a `branch.read` of a column whose sites form a few strided
runs is `x` itself or slices of `x`, any other read a batched gather. Row tables from a
graph often come scrambled (NetKet's `Chain(16, pbc=True)` edges start
`(0, 1), (9, 10), (13, 14), (1, 2), ...`); sorted lexicographically, `i` is `0, 0, 1, .., 14`
and `j` is `1, 15, 2, .., 15` (two runs each), and the diagonal's bond reads become
slices.

The pass takes the backward slice of each `sum_rows` input through row-wise ops (every
`branch` op but `sum_rows`, `concat` and the kernel's terminator: row m of their results
depends only on row m of their operands) down to `%x` and the parameters; a slice that
reaches any other op is left alone. The only row-dependent leaves are `branch.column`s;
permuting all of the slice's columns by one permutation permutes every value that
depends on them the same way, and the sum is unchanged. Values that depend on no column
(`branch.state %x`, constants, splats) are the same in every row and stay shared. When a
column-dependent value is also used outside the slice (a predicate shared with an
emitted branch, whose rows are the output order of `xp` and `mels`), those users keep
the original ops and order: the sum gets a sorted copy of the column-dependent part of
its slice, put just before it, and what only the sum used is then dead and removed.

The permutation is the stable lexicographic sort of the row tuples (column values modulo
N, columns in program order), applied only when it strictly lowers the total number of
strided runs over the slice's columns, so a table that is already in order keeps its
order and a second run changes nothing.

It is a pass of its own, after coalescing, rather than part of `convert-sym-to-branch`
or of `branch-coalesce-diagonal`: only after coalescing is it known which rows are summed
and nothing else, and the conversion should keep the table order the user wrote.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.transforms.dead_code_elimination import region_dce

from symir.dialects import branch
from symir.lowering.branch._block_order import block_positions, in_block_order
from symir.lowering.branch.cost_model import strided_runs

ROW_WISE = (
    branch.ColumnOp,
    branch.ConstantOp,
    branch.SplatOp,
    branch.ReadOp,
    branch.CountOp,
    branch.NthSiteOp,
    branch.ElementwiseBase,
    branch.MemberOp,
    branch.StateOp,
    branch.WriteOp,
    branch.StateReadOp,
    branch.InvalidateOp,
    branch.SelectStateOp,
    branch.EmitOp,
)
"""Ops whose row m depends only on row m of their operands (and on `%x`, parameters);
`branch.count` too (the particles of `x` between the bounds of row m), and
`branch.nth_site` (a site of `x` found at the rank of row m)."""


def row_slice(
    summed: branch.SumRowsOp, positions: Mapping[Operation, int] | None = None
) -> list[Operation] | None:
    """The row-wise ops `summed`'s input is computed from, in program order; None when
    it depends on an op that is not row-wise. `positions`: the block's
    (`_block_order.block_positions`), taken before ops were inserted."""
    found: set[Operation] = set()
    stack = [summed.input]
    while stack:
        owner = stack.pop().owner
        if not isinstance(owner, Operation) or owner in found:
            continue  # a block argument (`%x`, a parameter) or already visited
        if not isinstance(owner, ROW_WISE):
            return None
        found.add(owner)
        stack.extend(owner.operands)
    block = summed.parent_block()
    assert block is not None
    return in_block_order(found, block, positions)


def run_count(columns: list[np.ndarray]) -> int:
    return sum(len(strided_runs(c)) for c in columns)


def sort_rows(
    summed: branch.SumRowsOp, n: int, positions: Mapping[Operation, int] | None = None
) -> bool:
    """Sorts the rows of the slice feeding `summed` (a copy of its row-dependent part if
    other ops share it); returns whether anything changed. `positions`: as `row_slice`."""
    ops = row_slice(summed, positions)
    if ops is None:
        return False
    changed: list[Operation] = []
    for op in ops:
        if isinstance(op, branch.ColumnOp) or any(v.owner in changed for v in op.operands):
            changed.append(op)
    columns = [op for op in changed if isinstance(op, branch.ColumnOp)]
    if not columns:
        return False
    table = np.stack([np.asarray(c.values.get_values(), dtype=np.int64) % n for c in columns])
    order = np.lexsort(table[::-1])  # stable; the first column is the primary key
    if run_count(list(table[:, order])) >= run_count(list(table)):
        return False
    private = set(ops) | {summed}
    if any(use.operation not in private for op in changed for r in op.results for use in r.uses):
        # rows also seen elsewhere keep their order there: the sum gets its own copy
        mapping: dict[SSAValue, SSAValue] = {}
        copies = [op.clone(mapping) for op in changed]
        block = summed.parent_block()
        assert block is not None
        block.insert_ops_before(copies, summed)
        summed.operands = [mapping[summed.input]]
        columns = [op for op in copies if isinstance(op, branch.ColumnOp)]
    for c in columns:
        values = np.asarray(c.values.get_values(), dtype=np.int64)[order]
        c.values = branch.i64_array(values)
    return True


@dataclass(frozen=True)
class BranchSortSummedRowsPass(ModulePass):
    """Sorts the rows that only feed a `branch.sum_rows`, so their reads become slices.

    Works on every slice of a `branch.kernel` whose rows are only summed.
    """

    name = "branch-sort-summed-rows"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for kernel in [o for o in op.walk() if isinstance(o, branch.KernelOp)]:
            n = kernel.num_sites.data
            positions = block_positions(kernel.body.block)
            sums = [o for o in positions if isinstance(o, branch.SumRowsOp)]
            if any([sort_rows(summed, n, positions) for summed in sums]):
                region_dce(kernel.body)
