"""The static cost model behind the lowering choices (docs/cost-model.md).

`branch-choose-lowering` asks it how to lower each `branch.read` of a row-table column
and whether a diagonal sum of products of reads is cheaper as a dense quadratic form;
`branch-sort-summed-rows` and `branch-sort-rows` ask it which row order makes the
reads cheapest. Costs are estimates in nanoseconds per batch entry of the kernel's work
that the choice changes (bytes moved and flops, weighted by per-target constants that
were measured, see the docs page), so only their comparison matters.

A target is `cpu` or `gpu`; `auto` is the backend JAX runs on when JAX is already imported
(`jax.default_backend()`), else `cpu` (the opt driver never imports JAX).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

import numpy as np

from symir.dialects.branch import READ_LOWERINGS, STATE_LOWERINGS

TARGETS = ("cpu", "gpu")
TARGET_CHOICES = ("auto", *TARGETS)
READ_CHOICES = ("auto", *READ_LOWERINGS)
"""Values of the `read_lowering` option: `auto` (the cheapest), or one lowering forced on
every read of a row-table column where it applies (`x` only on the identity column)."""
STATE_CHOICES = ("auto", *STATE_LOWERINGS)
"""Values of the `state_lowering` option: `auto` (by the target), or `concat`, `merged`,
`projected` forced on every `branch.state` (`projected` only where the local states
allow it, else `merged`)."""
DIAGONAL_CHOICES = ("auto", "rows", "dense")
"""Values of the `diagonal_lowering` option: `auto` (the cheaper), `rows` (a sum over the
rows as written), `dense` (a quadratic form wherever the sum is one)."""

MAX_SLICES = 4
"""The most strided runs `auto` reads as slices of `x` (more: a gather is cheaper)."""

MAX_TAKES = 8
"""The most takes (distinct blocks) `auto` reads a column with as `permuted`: each take
is a gather op of its own, so a column of M random sites (about M / N blocks: a term
tabulated from thousands, `sym-tabulate-terms`) would give the kernel ops in proportion
to its rows and XLA a compile time to match (1,000 fermion terms on 20 sites: 2.1 s to
the first result against 0.27 s with one gather, the same kernel time)."""


def check_choice(option: str, value: str, choices: Sequence[str]) -> None:
    if value not in choices:
        raise ValueError(f"{option} must be one of {tuple(choices)}, got {value!r}")


def resolve_target(target: str, load_jax: bool = False) -> str:
    """`cpu` or `gpu` for a `target` option (`auto`: JAX's default backend, if JAX is
    imported or `load_jax`, as the compiler, which runs on JAX, asks)."""
    check_choice("target", target, TARGET_CHOICES)
    if target != "auto":
        return target
    jax = importlib.import_module("jax") if load_jax else sys.modules.get("jax")
    if jax is None:
        return "cpu"
    return "gpu" if jax.default_backend() in ("gpu", "cuda", "rocm") else "cpu"


def strided_runs(cols: np.ndarray) -> list[tuple[int, int, int]]:
    """`cols` as maximal runs `range(start, stop, step)` with `step >= 1`, in order."""
    runs: list[tuple[int, int, int]] = []
    i = 0
    while i < len(cols):
        start, j = int(cols[i]), i + 1
        step = int(cols[j] - cols[i]) if j < len(cols) else 1
        if step < 1:
            step = 1
        else:
            while j < len(cols) and cols[j] - cols[j - 1] == step:
                j += 1
        runs.append((start, int(cols[j - 1]) + 1, step))
        i = j
    return runs


def count_runs(cols: np.ndarray, limit: int) -> int:
    """`len(strided_runs(cols))`, counted only up to `limit` (what the cost model needs:
    whether a column is a few runs), stepping over whole runs rather than elements."""
    m = len(cols)
    if m == 0:
        return 0
    d = np.diff(cols)
    # ends[t]: the last index of the streak of equal differences holding d[t]
    change = np.flatnonzero(d[1:] != d[:-1])
    bounds = np.concatenate((change, [m - 2]))
    ends = np.repeat(bounds, np.diff(np.concatenate(([-1], bounds))))
    runs, i = 0, 0
    while i < m and runs < limit:
        runs += 1
        if i == m - 1 or d[i] < 1:
            i += 1
        else:
            i = int(ends[i]) + 2
    return runs


@lru_cache(maxsize=4096)
def _distinct_block_lengths(data: bytes) -> tuple[int, ...]:
    """The lengths of the distinct blocks of a column (`distinct_blocks`, equal blocks
    once), by the column's bytes: a row order is judged on the same columns often. Only
    the first `MAX_TAKES + 1` where there are more (a read that is then not `permuted`:
    its cost in `read_costs` is a lower bound, and `best_read`/`read_cost` drop it)."""
    cols = np.frombuffer(data, np.int64)
    if len(np.unique(cols)) == len(cols):
        return (len(cols),) if len(cols) else ()
    distinct: dict[bytes, int] = {}
    for b in _blocks(cols):  # past MAX_TAKES distinct blocks the read is not `permuted`
        distinct.setdefault(b.tobytes(), len(b))
        if len(distinct) > MAX_TAKES:
            break
    return tuple(distinct.values())


def _blocks(cols: np.ndarray) -> Iterator[np.ndarray]:
    start, seen = 0, set()
    for k, c in enumerate(cols.tolist()):
        if c in seen:
            yield cols[start:k]
            start, seen = k, set()
        seen.add(c)
    if start < len(cols):
        yield cols[start:]


def distinct_blocks(cols: np.ndarray) -> list[np.ndarray]:
    """`cols` cut into consecutive blocks without a repeated site (a new block starts
    where a site repeats): the takes of a `permuted` read (a permutation of the sites
    repeated k times is k equal blocks, one take)."""
    return [b for b in _blocks(cols) if len(b)]


def default_read(cols: np.ndarray | None, n: int) -> str:
    """How `convert-branch-to-stablehlo` lowers a read that carries no choice (what it
    did before there were choices): the identity column as `x`, at most `MAX_SLICES`
    strided runs as slices, anything else (sites known at run time: `cols` None) as a
    batched gather."""
    if cols is None:
        return "gather"
    if len(cols) == n and np.array_equal(cols, np.arange(n)):
        return "x"
    return "slices" if count_runs(cols, MAX_SLICES + 1) <= MAX_SLICES else "gather"


def projection(states: Sequence[int], elem) -> tuple[int, int, int] | None:
    """`(s0, d, s1)` for local states `s0, s0 + d, ..., s1` evenly spaced whose range
    `s1 - s0` fits the configuration type `elem` (an xDSL integer type), or None: what a
    `projected` state needs (`x` projected onto them, `clamp(s0 + d floor((x - s0) / d),
    s0, s1)`, is computed in that type)."""
    values = sorted(int(s) for s in states)
    steps = {b - a for a, b in pairwise(values)} or {1}
    top = 2 ** (elem.width.data - 1) - 1
    if len(steps) != 1 or values[-1] - values[0] > top or not -top - 1 <= values[0] <= top:
        return None
    return values[0], steps.pop(), values[-1]


@dataclass(frozen=True)
class CostModel:
    """Per-target weights, in ns per batch entry."""

    target: str
    gather_element: float
    """A batched gather, per element read (it also reads an index per element)."""
    take_element: float
    """A constant-index gather, per element read, where the read only feeds sums."""
    take_emitted_element: float
    """The same where the read feeds emitted rows (the rows of `x'` and `mels`): XLA:CPU
    lays the gathered values out site-major there and transposes them."""
    take_op: float
    """A constant-index gather, fixed part."""
    gather_index_element: float
    """Added to `gather_element` where the read feeds a *lone* emission (one whose `x'`
    is returned as it is, not concatenated with others' rows): XLA fuses the gather into
    the reduction that computes the emission's mask once (`convert-branch-to-stablehlo`)
    and builds the gather's `(batch, rows, 2)` indices at run time, on every call."""
    slice_element: float
    """A slice or concatenation of slices, per element (fused into its users)."""
    slice_op: float
    """A slice, fixed part."""
    elementwise: float
    """One elementwise op on one row value (convert, multiply, add, reduce)."""
    dense_flop: float
    """One flop of the f64 matrix product of a quadratic form."""
    dense_flop_f32: float
    """One flop of the f32 matrix product of a quadratic form whose weights are integer
    multiples of one unit (`_exact_form`: exact in f32)."""
    unroll_budget: int
    """The loop over the sites that builds `x'` is a loop, vectorised, only if N times its
    body (`loop_body`) reaches this; below, the compiler unrolls it into scalar code
    (XLA:CPU: LLVM's full unrolling, whose threshold this is; XLA runs no SLP vectorizer
    to vectorise the unrolled code). 0: the target has no such effect (GPU: every state
    stays `concat`)."""

    def read_costs(
        self, cols: np.ndarray, n: int, emitted: bool = False, lone: bool = False
    ) -> dict[str, float]:
        """The cost of each lowering that can read the static column `cols` (sites mod N);
        `emitted`: the read feeds emitted rows, not only sums; `lone`: it feeds a lone
        emission (`gather_index_element`)."""
        m = len(cols)
        take = self.take_emitted_element if emitted else self.take_element
        gather = self.gather_element + (self.gather_index_element if lone else 0.0)
        runs = count_runs(cols, MAX_SLICES + 1)  # beyond MAX_SLICES: a lower bound
        costs = {
            "slices": runs * self.slice_op + m * self.slice_element,
            "take": self.take_op + m * take,
            "gather": m * gather,
        }
        if m == n and np.array_equal(cols, np.arange(n)):
            costs["x"] = 0.0
        lengths = _distinct_block_lengths(np.ascontiguousarray(cols, np.int64).tobytes())
        costs["permuted"] = sum(self.take_op + k * take for k in lengths) + (
            m * self.slice_element if len(lengths) > 1 or sum(lengths) < m else 0.0
        )
        return costs

    def best_read(self, cols: np.ndarray, n: int, emitted: bool = False, lone: bool = False) -> str:
        """The cheapest lowering of a read of `cols`; slices only up to `MAX_SLICES` runs."""
        costs = self.read_costs(cols, n, emitted, lone)
        if "x" in costs:
            return "x"
        if count_runs(cols, MAX_SLICES + 1) > MAX_SLICES:
            del costs["slices"]
        if len(_distinct_block_lengths(np.ascontiguousarray(cols, np.int64).tobytes())) > MAX_TAKES:
            del costs["permuted"]
        return min(costs, key=lambda k: (costs[k], READ_LOWERINGS.index(k)))

    def read_cost(self, cols: np.ndarray, n: int, emitted: bool = False) -> float:
        """The cost of reading `cols` the cheapest way (what a row order is judged by)."""
        costs = self.read_costs(cols, n, emitted)
        if "x" in costs:
            return 0.0
        if costs["slices"] > len(cols) * self.slice_element + MAX_SLICES * self.slice_op:
            del costs["slices"]  # more runs than MAX_SLICES
        if len(_distinct_block_lengths(np.ascontiguousarray(cols, np.int64).tobytes())) > MAX_TAKES:
            del costs["permuted"]
        return min(costs.values())

    def rows_cost(self, reads: Sequence[np.ndarray], ops: int, rows: int, n: int) -> float:
        """A diagonal sum as written: its reads, `ops` elementwise ops on `rows` rows and
        the sum over the rows."""
        return sum(self.read_cost(c, n) for c in reads) + (ops + 1) * rows * self.elementwise

    def dense_cost(self, n: int, linear: bool, exact: bool = False) -> float:
        """A quadratic form: `x` to f64 (f32 when `exact`), `y = x A` (2 N^2 flops),
        `sum(x * y)`, `+ w`."""
        flop = self.dense_flop_f32 if exact else self.dense_flop
        return 2 * n * n * flop + (3 + int(linear)) * n * self.elementwise

    def rolled(self, n: int, form: str, writes: int, step: int = 0) -> bool:
        """Whether the loop that builds `x'` on N sites, with `writes` writes per row and
        the states lowered `form` (`projected`: onto local states of step `step`), stays
        a (vector) loop."""
        return bool(self.unroll_budget) and n * loop_body(form, writes, step) >= self.unroll_budget

    def state_lowering(self, n: int, grid: tuple[int, int, int] | None, writes: int) -> str:
        """How the rows of the states are lowered on N sites with local states `grid`
        (`projection`; None: not evenly spaced or too wide) and at most `writes` writes
        per row: `merged` where its loop is a vector loop (one select per write over all
        rows, the masks vector loads), else `projected` where that makes it one, else
        `concat` (a scalar loop either way, where a compare of a site iota is cheaper
        than a mask load)."""
        if self.rolled(n, "merged", writes):
            return "merged"
        if grid is not None and self.rolled(n, "projected", writes, grid[1]):
            return "projected"
        return "concat"


def loop_body(form: str, writes: int, step: int = 0) -> int:
    """The size, in LLVM's units, of one site of the loop that builds `x'` in XLA:CPU:
    a load and a store of the row, and per write a select against a mask (a load of a
    constant mask for `merged`, a compare with the iota for `concat`); `projected` adds
    the projection of `x`, which LLVM counts in the loop before it hoists it out (a
    floor division and a clamp for a step of 2 or more, a clamp alone for a step of 1).
    Fitted to where XLA:CPU (JAX 0.10.2) vectorises the TFIM (1 write), Heisenberg and
    Bose-Hubbard (2 writes) kernels on chains of 8 to 96 sites (docs/cost-model.md)."""
    if form == "concat":
        return 2 + 3 * writes
    body = 3 + 3 * writes
    if form == "projected":
        body += 13 if step >= 2 else 4
    return body


COST_MODELS = {
    # measured on 2 shared x86 cores, JAX 0.10 (XLA:CPU), batch 4096: a batched gather
    # ~1 ns per element, a constant-index gather ~0.6, an f64 matrix product ~0.01 ns
    # per flop (docs/cost-model.md)
    "cpu": CostModel(
        target="cpu",
        gather_element=1.0,
        take_element=0.6,
        take_emitted_element=1.2,
        take_op=1.0,
        gather_index_element=1.0,
        slice_element=0.05,
        slice_op=0.2,
        elementwise=0.2,
        dense_flop=0.01,
        dense_flop_f32=0.005,
        unroll_budget=300,
    ),
    # measured on an H100, JAX 0.11 (XLA:GPU), batch 16384: gathers of either kind
    # ~0.007 ns per element, the f64 matrix product ~3e-5..9e-5 ns per flop
    "gpu": CostModel(
        target="gpu",
        gather_element=0.0065,
        take_element=0.008,
        take_emitted_element=0.008,
        take_op=0.01,
        gather_index_element=0.0,
        slice_element=0.001,
        slice_op=0.002,
        elementwise=0.002,
        dense_flop=8.5e-5,
        dense_flop_f32=8.5e-5,
        unroll_budget=0,
    ),
}


def cost_model(target: str) -> CostModel:
    """The model of `target` (`cpu`, `gpu` or `auto`)."""
    return COST_MODELS[resolve_target(target)]
