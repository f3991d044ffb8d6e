"""How `convert-branch-to-stablehlo` lowers `branch.nth_site` (the site of the k-th of
some sites holding a local state), and the cost model that picks between its two forms.

`branch.nth_site %x, %k {sites = S, state = v}` is, per batch entry `b` and row `m`, the
site `S[j]` where `j` is the position of the `(k[b, m] + 1)`-th match of
`x[b, S[j]] == v` (`-1` for a negative rank or too few matches). With `K = |S|`:

1. the matches `e[b, j] = (x[b, S[j]] == v)` (`x` read at `S`: slices or a take) and their
   inclusive prefix sum `c[b, j] = e[b, 0] + ... + e[b, j]` (`ceil(log2 K)` shifted adds);
2. `c` is non-decreasing and steps up by one at each match, so the position of the
   `(k + 1)`-th match is the number of `j` with `c[b, j] <= k`: a comparison and a sum
   over `j` (it is `K` when there are at most `k` matches);
3. the site is `S'[position]`, `S'` the sites with `-1` appended (a gather from a
   constant of `K + 1` entries).

Step 2 has two forms:

* **table**: for every rank `k = 0 .. K-1` at once, a `(B, K, K)` comparison, giving the
  `(B, K + 1)` table of the sites of all ranks (`-1` at the end, for the ranks out of
  range); each row then reads its rank's entry (a take when the ranks are a row-table
  column, else a batched gather at the rank clamped into `[0, K]`). The table depends on
  `(x, S, v)` only: every `nth_site` of the kernel on the same sites and state shares it;
* **rows**: for each row's own rank, a `(B, M, K)` comparison: cheaper when the term has
  fewer rows than there are sites (`M < K`), and no table is shared.

Counts are `i32` (a position is at most `K`), converted to the `i64` of the result.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import DYNAMIC_INDEX as DYN
from xdsl.dialects.builtin import i32, i64
from xdsl.ir import SSAValue

from symir.dialects import branch, stablehlo
from symir.lowering.branch.cost_model import default_read
from symir.lowering.conversion.count_lowering import shifted
from symir.lowering.conversion.stablehlo_builder import StablehloBuilder, static_column


def choose(rows: int, sites: int) -> str:
    """`"table"` or `"rows"`: the smaller comparison (`K * K` against `M * K` elements)."""
    return "rows" if rows < sites else "table"


def lower_nth_site(low: StablehloBuilder, op: branch.NthSiteOp) -> SSAValue:
    """`op` lowered with `low` (the kernel's `KernelLowering`): the `tensor<?xMxi64>`."""
    sites = np.asarray(op.site_list, np.int64)
    state = op.state.value.data
    k = len(sites)
    rows = op.result.type.get_shape()[1]  # type: ignore[union-attr]
    key = ("nth_site_prefix", op.x, sites.tobytes(), state)
    prefix = low.once(key, lambda: _prefix(low, op.x, sites, state))
    ranks = static_column(op.rank)
    if choose(rows, k) == "rows":
        shape = [DYN, rows, k]
        c3 = low.broadcast(prefix, [0, 2], shape)
        r64 = op.rank
        r32 = low.convert(r64, i32)
        below = low.add(stablehlo.CompareOp("LE", c3, low.broadcast(r32, [0, 1], shape)))
        position = _sum_last(low, low.convert(below, i32))
        zero = low.broadcast(low.const(0, i64), [], [DYN, rows])
        negative = low.add(stablehlo.CompareOp("LT", r64, zero))
        end = low.broadcast(low.const(k, i32), [], [DYN, rows])
        position = low.add(stablehlo.SelectOp(negative, end, position))
        return _site_at(low, sites, position)
    table = low.once(
        ("nth_site_table", op.x, sites.tobytes(), state), lambda: _table(low, prefix, sites)
    )
    if ranks is not None:
        index = np.where((ranks >= 0) & (ranks < k), ranks, k)
        return low.take(table, index)
    shape = [DYN, rows]
    zero = low.broadcast(low.const(0, i64), [], shape)
    end = low.broadcast(low.const(k, i64), [], shape)
    inside = low.add(
        stablehlo.AndOp(
            low.add(stablehlo.CompareOp("GE", op.rank, zero)),
            low.add(stablehlo.CompareOp("LT", op.rank, end)),
        )
    )
    index = low.add(stablehlo.SelectOp(inside, op.rank, end))
    return low.gather(table, index, 1)


def _prefix(low: StablehloBuilder, x: SSAValue, sites: np.ndarray, state: int) -> SSAValue:
    """`c (B, K)`, `i32`: the number of matches among `S[0 .. j]`."""
    how = default_read(sites, low.n)
    values = low.read(x, "take" if how == "gather" else how, sites, None)
    target = low.broadcast(low.const(state, low.x_elem), [], [DYN, len(sites)])
    y = low.convert(low.add(stablehlo.CompareOp("EQ", values, target)), i32)
    s = 1
    while s < len(sites):
        y = low.add(stablehlo.AddOp(y, shifted(low, y, s)))
        s *= 2
    return y


def _table(low: StablehloBuilder, prefix: SSAValue, sites: np.ndarray) -> SSAValue:
    """`(B, K + 1)`, `i64`: the site of each rank `0 .. K-1`, then `-1`."""
    k = len(sites)
    shape = [DYN, k, k]
    c3 = low.broadcast(prefix, [0, 2], shape)
    ranks = low.broadcast(low.array(np.arange(k, dtype=np.int32)), [1], shape)
    below = low.add(stablehlo.CompareOp("LE", c3, ranks))
    site = _site_at(low, sites, _sum_last(low, low.convert(below, i32)))
    none = low.broadcast(low.const(-1, i64), [], [DYN, 1])
    return low.add(stablehlo.ConcatenateOp([site, none], 1))


def _sum_last(low: StablehloBuilder, values: SSAValue) -> SSAValue:
    """The sum over the last dimension of a `(B, M, K)` `i32` tensor."""
    body = stablehlo.scalar_body([i32], stablehlo.AddOp)
    return low.add(stablehlo.ReduceOp([values], [low.const(0, i32)], [2], body))


def _site_at(low: StablehloBuilder, sites: np.ndarray, position: SSAValue) -> SSAValue:
    """`S'[position]` (`S'`: the sites, then `-1`) for positions in `[0, K]`, `i64`."""
    padded = low.array(np.append(sites, -1).astype(np.int64))
    return low.gather(padded, low.convert(position, i64), 0)


__all__ = ["choose", "lower_nth_site"]
