"""`branch-sort-rows`: reorders the rows of each term (emitted ones too) so that its reads
are cheap, as the cost model of `branch-choose-lowering` prices them.

The branches of a configuration are a multiset (docs/semantics.md): the order of a term's
rows is the order of its slots in `xp` and `mels`, which nothing promises. So the rows of a
*row component* may be permuted freely. A component is a connected set of row-dependent
ops: a `branch.column` and every op that (transitively) takes a row-dependent value,
linked by their def-use edges; ops that depend on no column (`branch.state %x`, constants,
splats) are the same in every row and stay shared. Permuting all columns of a component
by one permutation permutes every value in it the same way, the `x'` and `mel` of each
emission alike, so every branch stays whole. The component may be permuted when its values
are used only inside it, by a `branch.sum_rows` (whose sum does not depend on the order,
beyond floating-point rounding) or by the kernel's output `branch.concat`s (where the
slots go). A delta kernel (`branch.return_deltas`) keeps the order of the rows it returns:
the sites and the values of one slot may come from two components (`x[i] = x[j]`: the
stack of `i` and that of the read of `j`), no longer joined by a `branch.write`.

Candidate orders, judged by the total cost of the reads of the component's columns
(`CostModel.read_cost`): the given order, the lexicographic order of the read columns,
and for each read column (the `MAX_ORDER_COLUMNS` costliest in the given order, where a
component reads more distinct columns) the order by value and the order by occurrence rank then value
(`0, 1, 2, .., 0, 1, 2, ..`: on a square lattice the bond table's first column becomes two
runs, one slice each, and the second a permutation of the sites per rank). The cheapest
is applied when it is strictly cheaper than the given order, so a second run changes
nothing. NetKet's scrambled `Chain(16)` edges become `i = 0..15`, `j = 1..15, 0`: the swap's
reads of a Heisenberg chain are `x` and two slices instead of two gathers.

Option `target` (`auto|cpu|gpu`, the cost model's); in the default lowering after
coalescing and merging, option `LoweringOptions.sort_rows` (on).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass

from symir.dialects import branch
from symir.lowering.branch._kernel_outputs import output_concats
from symir.lowering.branch.cost_model import CostModel, cost_model

BOUNDARIES = (branch.SumRowsOp,)
"""Users that do not see the row order (besides the kernel's output concats)."""


def _is_row_dependent(op: Operation, dependent: set[Operation]) -> bool:
    if isinstance(op, branch.ColumnOp):
        return True
    return any(v.owner in dependent for v in op.operands)


def _row_dependent(kernel: branch.KernelOp) -> set[Operation]:
    """The ops of the kernel whose values differ between rows (they depend on a column)."""
    dependent: set[Operation] = set()
    for op in kernel.body.block.ops:
        if isinstance(op, (*BOUNDARIES, branch.ConcatOp, branch.ReturnOp)):
            continue
        if _is_row_dependent(op, dependent):
            dependent.add(op)
    return dependent


def row_components(kernel: branch.KernelOp) -> list[list[Operation]]:
    """The components of row-dependent ops, each in program order."""
    dependent = _row_dependent(kernel)
    parent = {op: op for op in dependent}

    def find(op: Operation) -> Operation:
        while parent[op] is not op:
            parent[op] = parent[parent[op]]
            op = parent[op]
        return op

    for op in dependent:
        for v in op.operands:
            if v.owner in dependent:
                parent[find(op)] = find(v.owner)  # type: ignore[index]
    groups: dict[Operation, list[Operation]] = {}
    for op in kernel.body.block.ops:
        if op in dependent:
            groups.setdefault(find(op), []).append(op)
    return list(groups.values())


def permutable(component: list[Operation], outputs: set[Operation]) -> bool:
    """Whether every use of the component's values is in it, a sum or an output concat."""
    members = set(component)
    return all(
        use.operation in members
        or isinstance(use.operation, BOUNDARIES)
        or use.operation in outputs
        for op in component
        for r in op.results
        for use in r.uses
    )


def _rank_order(col: np.ndarray) -> np.ndarray:
    """Rows ordered by the occurrence rank of their value, then by value (stable)."""
    rank = np.zeros(len(col), np.int64)
    seen: dict[int, int] = {}
    for k, v in enumerate(col.tolist()):
        rank[k] = seen.get(v, 0)
        seen[v] = rank[k] + 1
    return np.lexsort((col, rank))


MAX_ORDER_COLUMNS = 8
"""The most read columns whose own orders are tried (`candidate_orders`): where a component
reads more distinct columns (a product of two operators: 127 on 6x6 sites), those that
cost most in the given order."""


def candidate_orders(table: np.ndarray, by: Sequence[int] | None = None) -> list[np.ndarray]:
    """The orders tried for a table of read columns (rows x columns, sites mod N): the
    given one, the lexicographic one and the orders of each column (of the columns `by`
    where given)."""
    m = table.shape[0]
    orders = [np.arange(m), np.lexsort(table.T[::-1])]
    for c in range(table.shape[1]) if by is None else by:
        orders.append(np.argsort(table[:, c], kind="stable"))
        orders.append(_rank_order(table[:, c]))
    return orders


def _distinct_orders(orders: list[np.ndarray]) -> list[np.ndarray]:
    """`orders` without repeats, each at its first place (the given order stays first)."""
    seen: set[bytes] = set()
    kept = []
    for order in orders:
        key = order.tobytes()
        if key not in seen:
            seen.add(key)
            kept.append(order)
    return kept


def sort_component(component: list[Operation], n: int, model: CostModel) -> bool:
    """Applies the cheapest candidate order to the component's columns; whether it did."""
    columns = [op for op in component if isinstance(op, branch.ColumnOp)]
    read = [
        c
        for c in columns
        if any(isinstance(u.operation, branch.ReadOp) and u.index == 1 for u in c.result.uses)
    ]
    if not read:
        return False
    table = np.stack([np.asarray(c.values.get_values(), np.int64) % n for c in read], axis=1)
    # equal columns cost the same under every order, and equal orders cost the same: each
    # is priced once (a product of two operators reads a hundred columns of a few rows,
    # most of them equal: 300,000 prices for H @ H on 3x3 sites, 34 s of its compile)
    distinct, first, repeats = np.unique(table, axis=1, return_index=True, return_counts=True)

    def price(order: np.ndarray, k: int) -> float:
        return int(repeats[k]) * model.read_cost(distinct[order, k], n, emitted=True)

    def cost(order: np.ndarray) -> float:
        return sum(price(order, k) for k in range(len(repeats)))

    given = [price(np.arange(len(table)), k) for k in range(len(repeats))]
    by = None  # every column's orders
    if len(repeats) > MAX_ORDER_COLUMNS:  # those of the costliest as given
        costliest = sorted(range(len(repeats)), key=lambda k: -given[k])
        by = [int(first[k]) for k in costliest[:MAX_ORDER_COLUMNS]]
    orders = _distinct_orders(candidate_orders(table, by))  # the given order first
    costs = [sum(given)] + [cost(o) for o in orders[1:]]
    best = int(np.argmin(costs))
    if costs[best] >= costs[0]:
        return False
    order = orders[best]
    for c in columns:
        values = np.asarray(c.values.get_values(), np.int64)[order]
        c.values = branch.i64_array(values)
    return True


def sort_kernel_rows(kernel: branch.KernelOp, model: CostModel) -> bool:
    concats = output_concats(kernel)
    outputs: set[Operation] = set(concats) if concats is not None else set()
    n = kernel.num_sites.data
    changed = False
    for component in row_components(kernel):
        if permutable(component, outputs):
            changed |= sort_component(component, n, model)
    return changed


@dataclass(frozen=True)
class BranchSortRowsPass(ModulePass):
    """Orders each term's rows (a row component's columns) so that its reads are cheapest."""

    name = "branch-sort-rows"

    target: str = "auto"
    """The machine whose cost model orders the rows: `cpu`, `gpu`, or `auto` (JAX's
    backend when JAX is imported, else `cpu`); docs/cost-model.md."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        model = cost_model(self.target)
        for kernel in [o for o in op.walk() if isinstance(o, branch.KernelOp)]:
            sort_kernel_rows(kernel, model)
