"""`convert-branch-to-stablehlo`: a `branch.kernel` becomes `func.func @main` in StableHLO.

The function takes the batch of configurations `tensor<?xNxiK>` (the batch dimension is
dynamic, so one module serves every batch size) and one 0-d tensor per runtime parameter,
and returns `(xp: tensor<?xFxNxiK>, mels: tensor<?xFxT>)`.

Each `branch` op has one rewrite pattern (the elementwise ops one table-driven pattern,
`ELEMENTWISE`), driven by xDSL's `PatternRewriteWalker` in two walks: `KernelToFunc`
alone turns the kernel into the function, which starts by reading the batch size; then
one forward walk of the function's body lowers each op once, in program order, just
before itself (`apply_recursively=False`, no dead-code elimination). The patterns share
one `KernelLowering` (the batch size and the shapes, constants, broadcasts and reads
built so far, so that each is built once and shared). Values `tensor<?xMxT>` map one-to-one; a `!branch.state` maps to two
tensors (the configurations `tensor<?xMxNxiK>` and the validity mask `tensor<?xMxi1>`):
its pattern replaces it by a `builtin.unrealized_conversion_cast` of the two (marked
`branch.checked` when a checked write may have left the local states), which its users
unpack; once the walk is done, every such cast is dead and is erased. Broadcasts to the batch use
`dynamic_broadcast_in_dim` with a shape built from `get_dimension_size`. Writes are one
broadcast `select` against an iota of site indices (no scatter); the writes of each state
are remembered (`KernelLowering.writes`: the sites and the exact `i64` values, a
`select_state` choosing entry by entry), so that a read of `x'` and the validity after
checked writes are `(batch, rows)` ops on the written values, not ops on the
`(batch, rows, sites)` configurations, and a value that does not fit the configuration
type in between (`shift(i, 7)` then `shift(i, -7)` at 127 on `i8`) is exact where it is
read and tested: only the final `x'` must be local states. A read of a row-table
column whose sites form a few strided runs (the identity column, a shifted chain) is `x`
itself or a concatenation of `real_dynamic_slice`s (static slices once the batch is
known); any other read is a `gather` with batching dimensions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial, reduce

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import DYNAMIC_INDEX as DYN
from xdsl.dialects.builtin import (
    ComplexType,
    FloatAttr,
    FunctionType,
    IntegerAttr,
    IntegerType,
    ModuleOp,
    TensorType,
    UnitAttr,
    UnrealizedConversionCastOp,
    f32,
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

from symir.dialects import branch, stablehlo, sym
from symir.dialects.types import c64, numpy_dtype, promote
from symir.lowering.branch._exact_form import exact_form
from symir.lowering.branch.cost_model import (
    default_read,
    distinct_blocks,
    projection,
    strided_runs,
)
from symir.lowering.conversion.count_lowering import lower_count, lower_parity
from symir.lowering.conversion.nth_site_lowering import lower_nth_site
from symir.lowering.locating import LocatingPattern

MAX_WRITE_MASK = 1 << 16
"""The most elements (rows x sites) a write's constant site mask may have; a larger one
is an iota comparison (the mask is a constant in the StableHLO text)."""


def _elem(v: SSAValue) -> Attribute:
    assert isinstance(v.type, TensorType)
    return v.type.element_type


_np_dtype = numpy_dtype


Write = tuple[SSAValue, SSAValue]
"""A write a state remembers: (normalised sites, exact value), both `tensor<?xMxi64>`."""


@dataclass
class KernelLowering:
    """The state shared by the patterns while one kernel is converted: what the kernel
    was (`x`, N, the local states), the batch size and the shapes built so far, and the
    rewriter of the op being lowered (`add` inserts before it)."""

    x: SSAValue
    n: int
    local_states: tuple[int, ...]
    rewriter: PatternRewriter | None = None
    batch: SSAValue | None = None
    shapes: dict[tuple[int, ...], SSAValue] = field(default_factory=dict)
    built: dict[tuple, SSAValue] = field(default_factory=dict)
    """Constants, broadcasts and reads built so far, by what they are: each is built once,
    where it is first needed, and reused by every later op of the kernel (earlier in
    the block, so it dominates them)."""
    func: func.FuncOp | None = None
    """The function the kernel became."""
    states: dict[SSAValue, _State] = field(default_factory=dict)
    """What each lowered state is (its configurations, built when needed)."""
    pending: dict[SSAValue, _Emitted] = field(default_factory=dict)
    """The emissions' `x'` left to the `branch.concat` that uses them."""
    writes: dict[SSAValue, tuple[Write, ...]] = field(default_factory=dict)
    """For each lowered state: the writes made since `branch.state %x`, in order (the
    normalised sites and the exact values, both `tensor<?xMxi64>`; after a
    `select_state`, each entry chosen from its two states' entries, a site of -1 where the
    chosen state has fewer writes). A `branch.state_read` is computed from them, and so
    is the validity after checked writes."""

    @staticmethod
    def of(kernel: branch.KernelOp) -> KernelLowering:
        return KernelLowering(kernel.x, kernel.num_sites.data, kernel.states)

    @property
    def x_elem(self) -> Attribute:
        return _elem(self.x)

    # ----------------------------------------------------------------- building
    def add(self, op: Operation) -> SSAValue:
        assert self.rewriter is not None
        self.rewriter.insert(op)
        return op.results[0] if op.results else None  # type: ignore[return-value]

    def once(self, key: tuple, build: Callable[[], SSAValue]) -> SSAValue:
        """The value built for `key` earlier in the kernel, else `build()` (kept)."""
        found = self.built.get(key)
        if found is None:
            found = self.built[key] = build()
        return found

    def const(self, value, t: Attribute, shape: Sequence[int] = ()) -> SSAValue:
        return self.array(np.full(tuple(shape), value, dtype=_np_dtype(t)))

    def array(self, values: np.ndarray) -> SSAValue:
        """A `constant` holding `values` (one per distinct array and dtype)."""
        key = ("array", values.dtype.str, values.shape, values.tobytes())
        return self.once(key, lambda: self.add(stablehlo.ConstantOp.from_array(values)))

    def shape(self, dims: Sequence[int]) -> SSAValue:
        """A `tensor<Kxi64>` holding `dims`, the dynamic (batch) one read from `x`."""
        key = tuple(dims)
        if key not in self.shapes:
            assert self.batch is not None
            parts = [self.batch if d == DYN else self.const(d, i64, (1,)) for d in dims]
            self.shapes[key] = (
                parts[0] if len(parts) == 1 else self.add(stablehlo.ConcatenateOp(parts, 0))
            )
        return self.shapes[key]

    def broadcast(self, v: SSAValue, dims: Sequence[int], shape: Sequence[int]) -> SSAValue:
        """`v` broadcast to `shape` (first dimension dynamic), its dimensions at `dims`."""

        def build() -> SSAValue:
            t = TensorType(_elem(v), list(shape))
            return self.add(stablehlo.DynamicBroadcastInDimOp(v, self.shape(shape), dims, t))

        return self.once(("broadcast", v, tuple(dims), tuple(shape)), build)

    def convert(self, v: SSAValue, t: Attribute) -> SSAValue:
        if _elem(v) == t:
            return v
        if isinstance(t, ComplexType) and _elem(v) != c64:
            re = self.convert(v, f64)
            zero = self.broadcast(self.const(0.0, f64), [], v.type.get_shape())  # type: ignore[union-attr]
            return self.add(stablehlo.ComplexOp(re, zero))
        return self.add(stablehlo.ConvertOp(v, t))

    def start(self) -> None:
        size = self.add(stablehlo.GetDimensionSizeOp(self.x, 0))
        size64 = self.add(stablehlo.ConvertOp(size, i64))
        self.batch = self.add(stablehlo.ReshapeOp(size64, TensorType(i64, [1])))

    def site_indices(self, sites: SSAValue) -> SSAValue:
        """Site indices taken modulo N, unless they are statically in range."""
        owner = sites.owner
        if isinstance(owner, stablehlo.DynamicBroadcastInDimOp) and self._static_in_range(owner):
            return sites
        shape = sites.type.get_shape()  # type: ignore[union-attr]
        n = self.broadcast(self.const(self.n, i64), [], shape)
        r = self.add(stablehlo.RemainderOp(sites, n))
        zero = self.broadcast(self.const(0, i64), [], shape)
        negative = self.add(stablehlo.CompareOp("LT", r, zero))
        wrapped = self.add(stablehlo.AddOp(r, n))
        return self.add(stablehlo.SelectOp(negative, wrapped, r))

    def _static_in_range(self, bcast: stablehlo.DynamicBroadcastInDimOp) -> bool:
        src = bcast.operand.owner
        if not isinstance(src, stablehlo.ConstantOp):
            return False
        values = np.asarray([int(v) for v in _dense_values(src)])
        return bool(np.all((values >= 0) & (values < self.n)))

    def static_sites(self, sites: SSAValue) -> np.ndarray | None:
        """The site of each row, taken modulo N, when `sites` is a row-table column (a
        constant broadcast along the batch); None when the sites are only known at run time."""
        owner = sites.owner
        if not (
            isinstance(owner, stablehlo.DynamicBroadcastInDimOp)
            and isinstance(src := owner.operand.owner, stablehlo.ConstantOp)
            and owner.broadcast_dimensions.get_values() == (1,)
        ):
            return None
        return np.asarray([int(v) for v in _dense_values(src)], dtype=np.int64) % self.n

    def read_columns(self, x: SSAValue, runs: Sequence[tuple[int, int, int]]) -> SSAValue:
        """`x[:, cols]` for static `cols` given as strided runs: `x` itself, or the
        concatenation of one `real_dynamic_slice` per run. With constant bounds these
        refine to static `slice`s, which XLA fuses into their users without the per-element
        index computation of a batched gather."""
        parts = []
        for start, stop, step in runs:
            if (start, stop, step) == (0, self.n, 1):
                parts.append(x)
                continue
            parts.append(
                self.once(
                    ("slice", x, start, stop, step), partial(self._slice, x, start, stop, step)
                )
            )
        return parts[0] if len(parts) == 1 else self.add(stablehlo.ConcatenateOp(parts, 1))

    def _slice(self, x: SSAValue, start: int, stop: int, step: int) -> SSAValue:
        begin = self.array(np.array([0, start], np.int64))
        strides = self.array(np.array([1, step], np.int64))
        t = TensorType(_elem(x), [DYN, len(range(start, stop, step))])
        return self.add(stablehlo.RealDynamicSliceOp(x, begin, self.shape([DYN, stop]), strides, t))

    def member(self, v: SSAValue, states: Sequence[int] | None = None) -> SSAValue:
        """Whether each value is one of `states` (by default the local states)."""
        states = self.local_states if states is None else tuple(states)
        if not states:  # the verifiers of branch.kernel and branch.member refuse it
            raise ValueError("a membership test needs at least one local state")
        shape = v.type.get_shape()  # type: ignore[union-attr]

        def cmp(direction: str, s: int) -> SSAValue:
            c = self.broadcast(self.const(s, _elem(v)), [], shape)
            return self.add(stablehlo.CompareOp(direction, v, c))

        if list(states) == list(range(states[0], states[0] + len(states))):
            return self.add(stablehlo.AndOp(cmp("GE", states[0]), cmp("LE", states[-1])))
        result = cmp("EQ", states[0])
        for s in states[1:]:
            result = self.add(stablehlo.OrOp(result, cmp("EQ", s)))
        return result

    def gather(self, operand: SSAValue, indices: SSAValue, batch_dims: int) -> SSAValue:
        """`operand[b..., indices[b...]]` along the last operand dimension."""
        rank = len(operand.type.get_shape())  # type: ignore[union-attr]
        dims = stablehlo.GatherDimensionNumbers(
            collapsed_slice_dims=[rank - 1],
            operand_batching_dims=list(range(batch_dims)),
            start_indices_batching_dims=list(range(batch_dims)),
            start_index_map=[rank - 1],
            index_vector_dim=len(indices.type.get_shape()),  # type: ignore[union-attr]
        )
        t = TensorType(_elem(operand), indices.type.get_shape())  # type: ignore[union-attr]
        return self.add(stablehlo.GatherOp(operand, indices, dims, [1] * rank, t))

    def take(self, x: SSAValue, cols: np.ndarray) -> SSAValue:
        """`x[:, cols]` for static `cols`: a gather of whole-batch slices at constant
        indices, without batching dimensions (one per distinct `cols`)."""

        def build() -> SSAValue:
            idx = self.array(np.asarray(cols, np.int64).reshape(-1, 1))
            dims = stablehlo.GatherDimensionNumbers(
                offset_dims=[0], collapsed_slice_dims=[1], start_index_map=[1], index_vector_dim=1
            )
            t = TensorType(_elem(x), [DYN, len(cols)])
            sizes = self.shape([DYN, 1])
            return self.add(stablehlo.DynamicGatherOp(x, idx, sizes, dims, t))

        return self.once(("take", x, np.asarray(cols, np.int64).tobytes()), build)

    def read(self, x: SSAValue, how: str, cols: np.ndarray | None, sites: SSAValue) -> SSAValue:
        """`x` at the sites of each row, lowered `how` (`branch.READ_LOWERINGS`)."""
        if how == "gather" or cols is None:
            return self.gather(x, self.site_indices(sites), 1)
        if how == "x":
            return x
        if how == "slices":
            return self.read_columns(x, strided_runs(cols))
        if how == "take":
            return self.take(x, cols)
        parts = [self.take(x, b) for b in distinct_blocks(cols)]  # permuted
        return parts[0] if len(parts) == 1 else self.add(stablehlo.ConcatenateOp(parts, 1))

    def write_mask(
        self, cols: np.ndarray | None, at: SSAValue | None, shape: list[int]
    ) -> SSAValue:
        """`tensor<?xMxNxi1>`, true at the site each row writes: for static sites `cols`
        (modulo N, -1 for a row that writes none) a constant `M x N` mask broadcast over
        the batch (at most `MAX_WRITE_MASK` elements; XLA loads it per element, where an
        iota comparison in i64 costs a compare of 64-bit lanes), else `iota == site` on
        `at` (`tensor<?xMxi64>`, the sites modulo N, or -1), both converted to the
        narrowest integer type that holds `-1 .. N` (the `(batch, M, N)` comparison in
        8-bit lanes up to 127 sites)."""
        rows, n = shape[1], shape[2]
        if cols is not None and rows * n <= MAX_WRITE_MASK:
            mask = np.arange(n)[None, :] == np.asarray(cols)[:, None]
            return self.broadcast(self.array(mask), [1, 2], shape)
        if at is None:
            at = self.broadcast(self.array(np.asarray(cols, np.int64)), [1], [DYN, rows])
        width = next(w for w in (8, 16, 32, 64) if n < 2 ** (w - 1))
        t = IntegerType(width)
        iota = self.broadcast(self.array(np.arange(n, dtype=_np_dtype(t))), [2], shape)
        at = self.convert(at, t)
        return self.add(stablehlo.CompareOp("EQ", iota, self.broadcast(at, [0, 1], shape)))

    def configurations(self, config: _Config) -> SSAValue:
        """The `tensor<?xMxNxiK>` configurations of a state (built once)."""
        if config.cfg is None:
            config.cfg = self._apply(self.base(config), config.writes, config.rows)
        return config.cfg

    def base(self, config: _Config) -> SSAValue:
        """What the rows of a chain of writes start from: `x`, or `x` projected."""
        assert config.base is not None
        if not config.projected:
            return config.base
        x = config.base
        return self.once(("projected", x), lambda: self.projected(x))

    def _apply(self, base, writes, rows: int) -> SSAValue:
        shape = [DYN, rows, self.n]
        cfg = self.broadcast(base, [0, 2], shape)
        for w in writes:
            hit = self.write_mask(w.cols, w.at, shape)
            cfg = self.add(stablehlo.SelectOp(hit, self.broadcast(w.stored, [0, 1], shape), cfg))
        return cfg

    def emitted(self, parts: Sequence[_Emitted]) -> SSAValue:
        """The `x'` of emissions, concatenated along the rows: `x'` where a row is active,
        else `x`. When every one is a chain of writes on the same copy of `x`, one
        select per write over all the rows (the k-th writes of every row, masks and
        values concatenated; a row with fewer writes hits no site), so that XLA fuses
        one loop without a concatenation in it; else each built and concatenated."""
        x = self.x
        rows = sum(p.config.rows for p in parts)
        shape = [DYN, rows, self.n]
        bases = {(p.config.base, p.config.projected) for p in parts}
        merged = all(p.config.merged for p in parts)
        if len(parts) > 1 and (any(b is None for b, _ in bases) or len(bases) > 1 or not merged):
            built = [self.emitted([p]) for p in parts]
            return self.add(stablehlo.ConcatenateOp(built, 1))
        if parts[0].config.writes is None:
            cfg = self.configurations(parts[0].config)
        else:
            depth = max(len(p.config.writes) for p in parts)  # type: ignore[arg-type]
            cfg = self.broadcast(self.base(parts[0].config), [0, 2], shape)
            for k in range(depth):
                cfg = self._write_rows(cfg, [p.config for p in parts], k, shape)
        if all(self.is_true(p.active) for p in parts):
            return cfg
        active = self._rows([p.active for p in parts])
        x3 = self.broadcast(x, [0, 2], shape)
        return self.add(stablehlo.SelectOp(self.broadcast(active, [0, 1], shape), cfg, x3))

    def is_true(self, value: SSAValue) -> bool:
        """Whether `value` is the constant true broadcast (`and_` keeps it that way)."""
        owner = value.owner
        return (
            isinstance(owner, stablehlo.DynamicBroadcastInDimOp)
            and isinstance(src := owner.operand.owner, stablehlo.ConstantOp)
            and src.value.type.get_shape() == ()
            and _elem(src.output) == i1
            and bool(_dense_values(src)[0])
        )

    def and_(self, a: SSAValue, b: SSAValue) -> SSAValue:
        """`a AND b`, or one of them when the other is the constant true."""
        if self.is_true(a):
            return b
        if self.is_true(b):
            return a
        return self.add(stablehlo.AndOp(a, b))

    def _write_rows(self, cfg: SSAValue, configs: list[_Config], k: int, shape) -> SSAValue:
        """`cfg` with the k-th write of each state's rows (rows without one: unchanged)."""
        writes = [c.writes[k] if k < len(c.writes) else None for c in configs]  # type: ignore[arg-type]
        if all(w is None or w.cols is not None for w in writes):
            cols = np.concatenate(
                [np.full(c.rows, -1) if w is None else w.cols for c, w in zip(configs, writes)]
            )
            at = None
        else:
            cols = None
            at = self._rows(
                [
                    self.broadcast(self.const(-1, i64), [], [DYN, c.rows]) if w is None else w.at
                    for c, w in zip(configs, writes)
                ]
            )
        stored = self._rows(
            [
                self.broadcast(self.const(0, self.x_elem), [], [DYN, c.rows])
                if w is None
                else w.stored
                for c, w in zip(configs, writes)
            ]
        )
        hit = self.write_mask(cols, at, shape)
        return self.add(stablehlo.SelectOp(hit, self.broadcast(stored, [0, 1], shape), cfg))

    def _rows(self, values: list[SSAValue]) -> SSAValue:
        """`tensor<?xMxT>` values concatenated along the rows."""
        return values[0] if len(values) == 1 else self.add(stablehlo.ConcatenateOp(values, 1))

    def projected(self, x: SSAValue) -> SSAValue:
        """`x` projected onto the local states `s0, s0 + d, ..., s1` (`projection`):
        `clamp(s0 + d * floor((x - s0) / d), s0, s1)`, which is `x` itself wherever `x`
        holds local states (the kernel's input contract). XLA:CPU computes it once per
        entry and site; its weight keeps LLVM from unrolling the loop over the sites that
        builds `x'`, so that the loop is vectorised (`branch-choose-lowering`,
        docs/cost-model.md)."""
        s0, d, s1 = projection(self.local_states, self.x_elem)  # type: ignore[misc]
        t = self.x_elem
        shape = x.type.get_shape()  # type: ignore[union-attr]

        def c(v: int) -> SSAValue:
            return self.broadcast(self.const(v, t), [], shape)

        grid = x
        if d > 1:
            a = self.add(stablehlo.SubtractOp(x, c(s0))) if s0 else x
            q = self.add(stablehlo.DivideOp(a, c(d)))
            r = self.add(stablehlo.RemainderOp(a, c(d)))
            below = self.add(  # floor: one less where a < 0 and d does not divide it
                stablehlo.AndOp(
                    self.add(stablehlo.CompareOp("LT", a, c(0))),
                    self.add(stablehlo.CompareOp("NE", r, c(0))),
                )
            )
            q = self.add(stablehlo.SelectOp(below, self.add(stablehlo.SubtractOp(q, c(1))), q))
            grid = self.add(stablehlo.MultiplyOp(q, c(d)))
            grid = self.add(stablehlo.AddOp(grid, c(s0))) if s0 else grid
        low = self.add(stablehlo.MaximumOp(grid, c(s0)))
        return self.add(stablehlo.MinimumOp(low, c(s1)))

    def quadratic_form(self, op: branch.QuadraticFormOp) -> SSAValue:
        """`x^T A x + w . x + c` per batch entry, `tensor<?x1xT>`: `A` (N x N) is built
        from the pairs as `onehot(i)^T diag(weights) onehot(j)` (static shapes, no batch),
        then `y = x A (+ w)` and `sum(x * y)` are two `dot_general`s. When the weights are
        integer multiples `k u` of one unit and the sums stay below 2^24 (`exact_form`),
        `A` holds the `k`, the products run in f32 (exact: integers) and the f64 result
        is `u` times theirs; a linear part that is not a multiple of `u` is added in f64."""
        n = self.n
        pairs = op.pair_sites
        weights = np.asarray(op.weights.get_values(), np.float64)
        sites = op.sites.get_values()
        linear = np.asarray(op.linear.get_values(), np.float64)
        exact = exact_form(weights, linear, self.local_states) if pairs else None
        t = f64 if exact is None else f32
        unit = 1.0 if exact is None else exact.unit
        if exact is not None:
            weights = np.asarray(exact.pairs, np.float64)
            if exact.linear is not None:
                linear = np.asarray(exact.linear, np.float64)
        folded = exact is None or exact.linear is not None  # w in the same products
        xt = self.convert(self.x, t)
        y = None
        if pairs:
            rows = [self._one_hot([p[k] for p in pairs], n, t) for k in (0, 1)]
            scale = self.broadcast(self.array(weights.astype(_np_dtype(t))), [0], [len(pairs), n])
            lhs = self.add(stablehlo.MultiplyOp(rows[0], scale))
            over_rows = stablehlo.DotDimensionNumbers(
                lhs_contracting_dimensions=[0], rhs_contracting_dimensions=[0]
            )
            a = self.add(stablehlo.DotGeneralOp(lhs, rows[1], over_rows))
            product = stablehlo.DotDimensionNumbers(
                lhs_contracting_dimensions=[1], rhs_contracting_dimensions=[0]
            )
            y = self.add(stablehlo.DotGeneralOp(xt, a, product))
        if sites and folded:
            y = self._plus_linear(y, sites, linear, t)
        if y is None:
            total = self.broadcast(self.const(0.0, f64), [], [DYN])
        else:
            total = self.convert(self._rowwise(xt, y), f64)
        if unit != 1.0:
            total = self.add(
                stablehlo.MultiplyOp(total, self.broadcast(self.const(unit, f64), [], [DYN]))
            )
        if sites and not folded:
            total = self.add(
                stablehlo.AddOp(
                    total,
                    self._rowwise(
                        self.convert(self.x, f64), self._plus_linear(None, sites, linear, f64)
                    ),
                )
            )
        c = op.constant.value.data
        if c != 0.0:
            total = self.add(stablehlo.AddOp(total, self.broadcast(self.const(c, f64), [], [DYN])))
        return self.convert(self.broadcast(total, [0], [DYN, 1]), _elem(op.result))

    def _plus_linear(self, y: SSAValue | None, sites, linear: np.ndarray, t: Attribute) -> SSAValue:
        """`y + w` (`w` alone when `y` is None), `w[s]` the linear weight of site `s`."""
        w = np.zeros(self.n)
        np.add.at(w, list(sites), linear)
        wb = self.broadcast(self.array(w.astype(_np_dtype(t))), [1], [DYN, self.n])
        return wb if y is None else self.add(stablehlo.AddOp(y, wb))

    def _rowwise(self, a: SSAValue, b: SSAValue) -> SSAValue:
        """`sum(a * b)` over the sites, per batch entry, as a `dot_general`."""
        rowwise = stablehlo.DotDimensionNumbers(
            lhs_batching_dimensions=[0],
            rhs_batching_dimensions=[0],
            lhs_contracting_dimensions=[1],
            rhs_contracting_dimensions=[1],
        )
        return self.add(stablehlo.DotGeneralOp(a, b, rowwise))

    def _one_hot(self, sites: Sequence[int], n: int, t: Attribute = f64) -> SSAValue:
        """`tensor<KxnxT>`: row k is 1 at `sites[k]`, else 0."""
        k = len(sites)
        iota = self.once(
            ("iota", k, n),
            lambda: self.add(stablehlo.IotaOp(1, TensorType(i64, [k, n]))),
        )
        at = self.broadcast(self.array(np.asarray(sites, np.int64)), [0], [k, n])
        return self.convert(self.add(stablehlo.CompareOp("EQ", iota, at)), t)


def _dense_values(op: stablehlo.ConstantOp):
    return op.value.get_values()


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
            x_elem = _elem(op.x)
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


def _static_keys(low: KernelLowering, keys: SSAValue, what: str) -> np.ndarray:
    """The key of each row, when `keys` is a row-table column (a constant broadcast along
    the batch); else an error naming `what`."""
    owner = keys.owner
    if (
        isinstance(owner, stablehlo.DynamicBroadcastInDimOp)
        and isinstance(src := owner.operand.owner, stablehlo.ConstantOp)
        and owner.broadcast_dimensions.get_values() in ((1,), ())
    ):
        values = np.asarray([int(v) for v in _dense_values(src)], dtype=np.int64)
        rows = keys.type.get_shape()[1]  # type: ignore[union-attr]
        return np.broadcast_to(values, (rows,)).copy()
    raise ValueError(
        f"'{what}' needs a key that is static per row (labels and integer constants): "
        "a key known only at run time is not supported"
    )


def _unpacked_masks(low: KernelLowering, words: np.ndarray, width: int) -> SSAValue:
    """`tensor<Kxwidthxi1>` (width >= N, a multiple of 8; sites from N on false) of K
    packed masks (`sym.site_masks`), unpacked in the kernel from their bytes (the
    constant in the text is the packed table, an eighth of the mask)."""
    w = sym.words_per_mask(low.n)
    k = len(words) // w
    nb = width // 8
    raw = np.ascontiguousarray(np.asarray(words, "<i8")).view(np.uint8).reshape(k, 8 * w)[:, :nb]
    table = low.array(raw.view(np.int8))
    as_i32 = low.convert(table, i32)
    shape = [k, nb, 8]
    wide = low.add(
        stablehlo.DynamicBroadcastInDimOp(
            as_i32, low.array(np.asarray(shape, np.int64)), [0, 1], TensorType(i32, shape)
        )
    )

    def const3(values: np.ndarray, dims: list[int]) -> SSAValue:
        return low.add(
            stablehlo.DynamicBroadcastInDimOp(
                low.array(values.astype(np.int32)),
                low.array(np.asarray(shape, np.int64)),
                dims,
                TensorType(i32, shape),
            )
        )

    unsigned = low.add(stablehlo.AddOp(wide, const3(np.asarray(256), [])))
    byte = low.add(stablehlo.RemainderOp(unsigned, const3(np.asarray(256), [])))
    shifted = low.add(stablehlo.DivideOp(byte, const3(2 ** np.arange(8), [2])))
    bit = low.add(stablehlo.RemainderOp(shifted, const3(np.asarray(2), [])))
    hit = low.add(stablehlo.CompareOp("NE", bit, const3(np.asarray(0), [])))
    return low.add(stablehlo.ReshapeOp(hit, TensorType(i1, [k, width])))


class ParitySumLowering(KernelPattern):
    """`branch.parity_sum` with static keys -> the rows grouped by their number `l` of
    entries rounded up to a power of two (padded with zero coefficients); per group, the sign counts of all its entries are one `dot_general` of
    `x == state` (f32, exact) with the group's masks `(width, rows, l)` (unpacked in the
    kernel), `(-1)^count` times the coefficients summed over `l` by a second
    `dot_general`; the groups are concatenated and taken back into row order."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.ParitySumOp, rewriter: PatternRewriter):
        low = self.lowering(rewriter)
        keys = _static_keys(low, op.index, op.name)
        offsets, words, c = op.tables()
        w = sym.words_per_mask(low.n)
        kcount = len(offsets) - 1
        inside = (keys >= 0) & (keys < kcount)
        safe = np.where(inside, keys, 0)
        starts = np.where(inside, offsets[safe], 0) if kcount else np.zeros_like(keys)
        counts = np.where(inside, offsets[safe + 1] - offsets[safe], 0) if kcount else starts
        rows = len(keys)
        t = _elem(op.result)
        width = 8 * -(-low.n // 8)
        state = op.state.value.data
        x = low.x

        def hits() -> SSAValue:
            eq = low.add(
                stablehlo.CompareOp(
                    "EQ", x, low.broadcast(low.const(state, _elem(x)), [], [DYN, low.n])
                )
            )
            b = low.convert(eq, f32)
            if width == low.n:
                return b
            pad = low.broadcast(low.const(0.0, f32), [], [DYN, width - low.n])
            return low.add(stablehlo.ConcatenateOp([b, pad], 1))

        b = low.once(("parity_hits", x, state), hits)
        parts: list[SSAValue] = []
        order: list[np.ndarray] = []
        # rows grouped by their number of entries rounded up to a power of two (padded
        # with zero coefficients): the ops grow with the buckets, not with the entries
        bucket = np.where(counts > 0, 2 ** np.ceil(np.log2(np.maximum(counts, 1))), 0)
        bucket = bucket.astype(np.int64)
        padded_words = np.concatenate([words.reshape(-1, w), np.zeros((1, w), np.int64)])
        padded_c = np.concatenate([c, np.zeros(1, c.dtype)])
        for count in sorted(set(bucket.tolist())):
            idx = np.flatnonzero(bucket == count)
            order.append(idx)
            if count == 0:
                parts.append(low.broadcast(low.const(0, t), [], [DYN, len(idx)]))
                continue
            entries = starts[idx][:, None] + np.arange(count)[None, :]
            entries = np.where(
                np.arange(count)[None, :] < counts[idx][:, None], entries, len(c)
            ).reshape(-1)
            table = padded_words[entries].reshape(-1)
            masks = low.convert(_unpacked_masks(low, table, width), f32)  # (R l, width)
            m3 = low.add(stablehlo.ReshapeOp(masks, TensorType(f32, [len(idx), count, width])))
            over_sites = stablehlo.DotDimensionNumbers(
                lhs_contracting_dimensions=[1], rhs_contracting_dimensions=[2]
            )
            shape = [DYN, len(idx), count]
            n_hit = low.add(stablehlo.DotGeneralOp(b, m3, over_sites, TensorType(f32, shape)))
            two = low.broadcast(low.const(2.0, f32), [], shape)
            odd = low.add(stablehlo.RemainderOp(n_hit, two))
            sign = low.add(
                stablehlo.SubtractOp(
                    low.broadcast(low.const(1.0, f32), [], shape),
                    low.add(stablehlo.MultiplyOp(odd, two)),
                )
            )
            sign = low.convert(sign, f64)
            coef = padded_c[entries].reshape(len(idx), count)
            over_entries = stablehlo.DotDimensionNumbers(
                lhs_contracting_dimensions=[2], rhs_contracting_dimensions=[0]
            )
            ones = low.const(1.0, f64, (count,))
            values = []
            for part in (coef.real, coef.imag) if t == c64 else (coef.real,):
                scaled = low.add(
                    stablehlo.MultiplyOp(sign, low.broadcast(low.array(part), [1, 2], shape))
                )
                values.append(
                    low.add(
                        stablehlo.DotGeneralOp(
                            scaled, ones, over_entries, TensorType(f64, [DYN, len(idx)])
                        )
                    )
                )
            value = values[0] if len(values) == 1 else low.add(stablehlo.ComplexOp(*values))
            parts.append(value)
        grouped = parts[0] if len(parts) == 1 else low.add(stablehlo.ConcatenateOp(parts, 1))
        position = np.concatenate(order)
        if not np.array_equal(position, np.arange(rows)):
            inverse = np.empty(rows, np.int64)
            inverse[position] = np.arange(rows)
            grouped = low.take(grouped, inverse)
        rewriter.replace(op, [], [grouped])


class FlipSitesLowering(KernelPattern):
    """`branch.flip_sites` with static indices -> the rows' configurations built, then
    one `select(mask, s0 + s1 - cfg, cfg)` with the rows' masks (a constant `rows x N`,
    unpacked in the kernel from the packed table). `x'` is not read back after it."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.FlipSitesOp, rewriter: PatternRewriter):
        low = self.lowering(rewriter)
        before = _state(low, op.state)
        keys = _static_keys(low, op.index, op.name)
        words = op.words()
        w = sym.words_per_mask(low.n)
        kcount = len(words) // w
        inside = (keys >= 0) & (keys < kcount)
        table = words.reshape(-1, w)[np.where(inside, keys, 0)]
        table[~inside] = 0
        rows = len(keys)
        width = 8 * -(-low.n // 8)
        mask = _unpacked_masks(low, table.reshape(-1), width)
        if width != low.n:
            mask = low.add(
                stablehlo.RealDynamicSliceOp(
                    mask,
                    low.array(np.asarray([0, 0], np.int64)),
                    low.array(np.asarray([rows, low.n], np.int64)),
                    low.array(np.asarray([1, 1], np.int64)),
                    TensorType(i1, [rows, low.n]),
                )
            )
        shape = _state_shape(op.state.type)
        cfg = low.configurations(before.config)
        s0, s1 = low.local_states
        total = low.broadcast(low.const(s0 + s1, low.x_elem), [], shape)
        flipped = low.add(stablehlo.SubtractOp(total, cfg))
        hit = low.broadcast(mask, [1, 2], shape)
        new = low.add(stablehlo.SelectOp(hit, flipped, cfg))
        config = _Config(before.config.rows, None, None, new, before.config.merged)
        _replace_state(rewriter, op, _State(config, before.valid, before.checked), low, FLIPPED)


FLIPPED: tuple = (None,)
"""The writes recorded for a state after `branch.flip_sites`: not single-site writes,
so `x'` is not read back (`branch.state_read`) after a flip."""


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


MAX_DENSE_LOOKUP = 1 << 20
"""A `branch.lookup` whose index is known only at run time reads a dense table spanning
its keys (`max - min + 1` entries, zeros between them) when that is at most this many
entries (8 MiB of `f64`)."""

MAX_DYNAMIC_LOOKUP_KEYS = 256
"""A `branch.lookup` whose index is known only at run time and whose keys span more than
`MAX_DENSE_LOOKUP` compares it with every key: at most this many."""


class LookupLowering(KernelPattern):
    """`branch.lookup` -> the looked-up values as a `constant` broadcast over the batch,
    when the index is a row-table column (what the DSL builds from labels); at an index
    known only at run time, a `gather` from a dense table spanning the keys (`table[k -
    min]`, a last entry 0.0 read by the indices outside the span), or where the span is
    too large for one (`MAX_DENSE_LOOKUP`), a sum of `select(index == key, value, 0)`
    over the keys (at most `MAX_DYNAMIC_LOOKUP_KEYS`)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.LookupOp, rewriter: PatternRewriter):
        low = self.lowering(rewriter)
        if op.table_param is not None:
            rewriter.replace(op, [], [_table_lookup(low, op)])
            return
        keys, values = op.keys.get_values(), op.values.get_values()
        table = dict(zip(keys, values, strict=True))
        shape = op.result.type.get_shape()
        column = _static_column(op.index)
        if column is not None:
            c = low.array(np.asarray([table.get(k, 0.0) for k in column], dtype=np.float64))
            rewriter.replace(op, [], [low.broadcast(c, [1], shape)])
            return
        if not keys:
            rewriter.replace(op, [], [low.broadcast(low.const(0.0, f64), [], shape)])
            return
        first, span = min(keys), max(keys) - min(keys) + 1
        if span <= MAX_DENSE_LOOKUP:
            rewriter.replace(op, [], [_dense_lookup(low, op.index, table, first, span, shape)])
            return
        if len(keys) > MAX_DYNAMIC_LOOKUP_KEYS:
            raise ValueError(
                f"'branch.lookup' with {len(keys)} keys spanning {span} integers at an index "
                f"known only at run time: a dense table of at most {MAX_DENSE_LOOKUP} entries "
                f"or at most {MAX_DYNAMIC_LOOKUP_KEYS} keys (index the table by row labels, "
                "or number the keys densely)"
            )
        total = low.broadcast(low.const(0.0, f64), [], shape)
        for k, v in table.items():
            hit = low.add(
                stablehlo.CompareOp("EQ", op.index, low.broadcast(low.const(k, i64), [], shape))
            )
            value = low.broadcast(low.const(v, f64), [], shape)
            zero = low.broadcast(low.const(0.0, f64), [], shape)
            total = low.add(stablehlo.AddOp(total, low.add(stablehlo.SelectOp(hit, value, zero))))
        rewriter.replace(op, [], [total])


def _table_lookup(low: KernelLowering, op: branch.LookupOp) -> SSAValue:
    """A lookup in a table parameter `%t` (`tensor<Kxf64>`): `[t, 0.0][position]`, the
    position of each row's key among the keys (K, which reads the appended 0.0, for a
    key not held): constant positions broadcast over the batch where the index is a
    row-table column, else positions read at run time from a dense table spanning the
    keys (`position_table`)."""
    keys = op.keys.get_values()
    size = len(keys)
    extended = low.once(
        ("table", op.table_param),
        lambda: low.add(stablehlo.ConcatenateOp([op.table_param, low.const(0.0, f64, (1,))], 0)),
    )
    shape = op.result.type.get_shape()
    column = _static_column(op.index)
    if column is not None:
        where = {k: j for j, k in enumerate(keys)}
        positions = np.asarray([where.get(k, size) for k in column], np.int64)
        values = low.gather(extended, low.array(positions), 0)
        return low.broadcast(values, [1], shape)
    return low.gather(extended, position_table(low, op.index, keys, shape), 0)


def position_table(low: KernelLowering, index: SSAValue, keys: Sequence[int], shape) -> SSAValue:
    """The position of each run-time key `index` among `keys` (`len(keys)` where it is
    not one): a gather from a dense table spanning the keys when that is at most
    `MAX_DENSE_LOOKUP` entries, else one select per key (at most
    `MAX_DYNAMIC_LOOKUP_KEYS`)."""
    size = len(keys)
    first, span = min(keys), max(keys) - min(keys) + 1
    if span <= MAX_DENSE_LOOKUP:
        dense = np.full(span + 1, size, np.int64)
        dense[np.asarray(keys, np.int64) - first] = np.arange(size)
        return _dense_read(low, index, dense, first, span, shape)
    if size > MAX_DYNAMIC_LOOKUP_KEYS:
        raise ValueError(
            f"'branch.lookup' of a table parameter with {size} keys spanning {span} integers "
            f"at an index known only at run time: a dense table of at most "
            f"{MAX_DENSE_LOOKUP} entries or at most {MAX_DYNAMIC_LOOKUP_KEYS} keys (index "
            "the table by row labels, or number the keys densely)"
        )
    position = low.broadcast(low.const(size, i64), [], shape)
    for j, k in enumerate(keys):
        hit = low.add(stablehlo.CompareOp("EQ", index, low.broadcast(low.const(k, i64), [], shape)))
        at = low.broadcast(low.const(j, i64), [], shape)
        position = low.add(stablehlo.SelectOp(hit, at, position))
    return position


def _static_column(index: SSAValue) -> list[int] | None:
    """The per-row keys of a lookup index that is a row-table column (a constant
    broadcast over the batch), else None."""
    owner = index.owner
    if (
        isinstance(owner, stablehlo.DynamicBroadcastInDimOp)
        and isinstance(src := owner.operand.owner, stablehlo.ConstantOp)
        and owner.broadcast_dimensions.get_values() == (1,)
    ):
        return [int(v) for v in _dense_values(src)]
    return None


def _dense_lookup(
    low: KernelLowering, index: SSAValue, table: dict, first: int, span: int, shape
) -> SSAValue:
    """`dense[index - first]` with `dense` the table over `first .. first + span - 1` and a
    last entry 0.0, which the indices outside the span read."""
    dense = np.zeros(span + 1)
    dense[np.asarray(list(table), np.int64) - first] = list(table.values())
    return _dense_read(low, index, dense, first, span, shape)


def _dense_read(
    low: KernelLowering, index: SSAValue, dense: np.ndarray, first: int, span: int, shape
) -> SSAValue:
    """`dense[index - first]`, `dense[span]` (its last entry) where the index is outside
    `first .. first + span - 1`."""
    offset = index
    if first != 0:
        offset = low.add(
            stablehlo.SubtractOp(index, low.broadcast(low.const(first, i64), [], shape))
        )
    zero = low.broadcast(low.const(0, i64), [], shape)
    end = low.broadcast(low.const(span, i64), [], shape)
    inside = low.add(
        stablehlo.AndOp(
            low.add(stablehlo.CompareOp("GE", offset, zero)),
            low.add(stablehlo.CompareOp("LT", offset, end)),
        )
    )
    at = low.add(stablehlo.SelectOp(inside, offset, end))
    return low.gather(low.array(dense), at, 0)


OWN_PATTERNS = (branch.ConjOp, branch.WrapModOp, branch.ParityOp, branch.LookupOp)
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
`branch.parity`, `branch.lookup`) expand to several ops and have patterns of their own."""


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
        return promote(_elem(op.lhs), _elem(op.rhs))
    if isinstance(op, branch.ComplexOp):
        return f64
    if isinstance(op, _REAL_PART):
        return None
    return _elem(op.results[0])


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
        if isinstance(op, branch.UnaryBase) and _elem(op.operand) in op.identity_on():
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
        if _elem(op.operand) != c64:
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

CHECKED = "branch.checked"
"""Marks the cast of a state that a checked write may have taken out of the local states."""

PENDING = "branch.pending"
"""Marks the stand-in for an emission's `x'` that a `branch.concat` builds together with
the others it concatenates (`EmitLowering`); erased once the walk is done."""


def _state_shape(s: branch.StateType) -> list[int]:
    return [DYN, s.rows.data, s.sites.data]


@dataclass(frozen=True)
class _Write:
    """One `branch.write` of a chain: the sites (`cols`, the row-table column modulo N,
    when they are one; `at`, `tensor<?xMxi64>` modulo N) and the values as stored."""

    cols: np.ndarray | None
    at: SSAValue
    stored: SSAValue


@dataclass
class _Config:
    """The configurations of a state's rows: `base` (`tensor<?xNxiK>`, x or x projected)
    with `writes` applied in order, or (`writes` None, after a `select_state`) only
    `cfg`; `cfg` (`tensor<?xMxNxiK>`) is built when something needs it."""

    rows: int
    base: SSAValue | None
    writes: tuple[_Write, ...] | None
    cfg: SSAValue | None = None
    merged: bool = False
    """Its writes are constant masks where the sites are static, and its `x'` is built
    with the other emissions' (`branch.state` lowering `merged` or `projected`)."""
    projected: bool = False
    """Its rows start from `base` projected onto the local states (built when needed)."""


@dataclass(frozen=True)
class _State:
    """A lowered `!branch.state`: its configurations, their validity `tensor<?xMxi1>`,
    and whether a checked write may have left the local states."""

    config: _Config
    valid: SSAValue
    checked: bool


@dataclass(frozen=True)
class _Emitted:
    """An emission's `x'` before it is built: its state's configurations and the rows
    that are active (the others are `x`)."""

    config: _Config
    active: SSAValue


def _replace_state(
    rewriter: PatternRewriter,
    op: Operation,
    state: _State,
    low: KernelLowering,
    writes: tuple[Write, ...],
) -> None:
    """Replaces the state `op` defines by a cast of its validity, and records what it is
    (`KernelLowering.states`) and the writes that made it (`KernelLowering.writes`)."""
    cast = UnrealizedConversionCastOp.build(
        operands=[[state.valid]],
        result_types=[[op.results[0].type]],
        attributes={CHECKED: UnitAttr()} if state.checked else {},
    )
    rewriter.replace(op, cast)
    low.states[cast.results[0]] = state
    low.writes[cast.results[0]] = writes


def _state(low: KernelLowering, state: SSAValue) -> _State:
    """What a lowered state is."""
    found = low.states.get(state)
    if found is None:
        raise ValueError(f"!branch.state {state} is not lowered yet (defined by {state.owner})")
    return found


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
        config = _Config(s.rows.data, op.x, (), merged=how != "concat")
        config.projected = how == "projected"
        _replace_state(rewriter, op, _State(config, valid, False), low, ())


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
        before = _state(low, op.state)
        valid = before.valid
        old = before.config
        write = _Write(
            low.static_sites(op.sites) if old.merged else None,
            low.site_indices(op.sites),
            low.convert(op.values, low.x_elem),
        )
        if old.writes is None:
            shape = _state_shape(op.state.type)
            hit = low.write_mask(write.cols, write.at, shape)
            values = low.broadcast(write.stored, [0, 1], shape)
            cfg = low.add(stablehlo.SelectOp(hit, values, low.configurations(old)))
            config = _Config(old.rows, None, None, cfg, old.merged)
        else:
            config = _Config(old.rows, old.base, (*old.writes, write), None, old.merged)
            config.projected = old.projected
        checked = before.checked or op.checked is not None
        writes = (*low.writes[op.state], (write.at, op.values))
        _replace_state(rewriter, op, _State(config, valid, checked), low, writes)


class StateReadLowering(KernelPattern):
    """`branch.state_read` -> from the writes that made the state (per row: the exact
    value of the last write to the site, else `x` there, read as `branch.read` would;
    `(batch, rows)` selects, no gather from the `(batch, rows, sites)` configurations,
    which then need not be built before it). In i64."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.StateReadOp, rewriter: PatternRewriter):
        low = self.lowering(rewriter)
        idx = low.site_indices(op.sites)
        writes = low.writes[op.state]
        if writes is FLIPPED or any(w is None for w in writes):
            raise ValueError("'branch.state_read' of x' after 'branch.flip_sites' is not supported")
        cols = low.static_sites(op.sites)
        how = default_read(cols, low.n)
        value = low.once(
            ("read", low.x, op.sites, how),
            lambda: low.convert(low.read(low.x, how, cols, op.sites), i64),
        )
        for at, stored in writes:
            hit = low.add(stablehlo.CompareOp("EQ", idx, at))
            value = low.add(stablehlo.SelectOp(hit, stored, value))
        rewriter.replace(op, [], [value])


class InvalidateLowering(KernelPattern):
    """`branch.invalidate` -> the same configurations, none valid."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.InvalidateOp, rewriter: PatternRewriter):
        low = self.lowering(rewriter)
        state = _state(low, op.state)
        rows = op.state.type.rows.data
        invalid = low.broadcast(low.const(False, i1), [], [DYN, rows])
        _replace_state(
            rewriter, op, _State(state.config, invalid, state.checked), low, low.writes[op.state]
        )


class SelectStateLowering(KernelPattern):
    """`branch.select_state` -> a `select` of the configurations and one of validity,
    and the writes chosen entry by entry (`_select_writes`)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.SelectStateOp, rewriter: PatternRewriter):
        low = self.lowering(rewriter)
        a, b = _state(low, op.if_true), _state(low, op.if_false)
        p = op.condition
        p3 = low.broadcast(p, [0, 1], _state_shape(op.result.type))
        cfg = low.add(
            stablehlo.SelectOp(p3, low.configurations(a.config), low.configurations(b.config))
        )
        valid = low.add(stablehlo.SelectOp(p, a.valid, b.valid))
        config = _Config(a.config.rows, None, None, cfg, a.config.merged and b.config.merged)
        writes = _select_writes(low, p, low.writes[op.if_true], low.writes[op.if_false])
        _replace_state(rewriter, op, _State(config, valid, a.checked or b.checked), low, writes)


def _select_writes(
    low: KernelLowering, p: SSAValue, a: tuple[Write, ...], b: tuple[Write, ...]
) -> tuple[Write, ...]:
    """The writes of `select_state(p, a, b)`: the entries the two share at their front
    (the writes made before the condition) as they are, then the rest entry by entry,
    `select(p, a_k, b_k)` of site and value. The shorter list is padded with entries at
    site -1 holding a local state: no site index is -1, so a read never takes one and it
    overwrites nothing, and its value passes the final test. Per row, the entries are
    those of the chosen state, padding aside."""
    common = 0
    while common < min(len(a), len(b)) and a[common] == b[common]:
        common += 1
    length = max(len(a), len(b))
    rows = p.type.get_shape()  # type: ignore[union-attr]

    def pad(entries: tuple[Write, ...]) -> list[Write]:
        nowhere = low.broadcast(low.const(-1, i64), [], rows)
        state = low.broadcast(low.const(low.local_states[0], i64), [], rows)
        return [*entries[common:], *[(nowhere, state)] * (length - len(entries))]

    chosen = []
    for (sa, va), (sb, vb) in zip(pad(a), pad(b), strict=True):
        s = sa if sa is sb else low.add(stablehlo.SelectOp(p, sa, sb))
        v = va if va is vb else low.add(stablehlo.SelectOp(p, va, vb))
        chosen.append((s, v))
    return (*a[:common], *chosen)


def _all_inside(low: KernelLowering, writes: tuple[Write, ...], rows: int) -> SSAValue:
    """Whether every site of the final `x'` is a local state, `tensor<?xMxi1>`, from the
    writes that made it (`x` holds local states, so only the last value written to each
    written site matters: a `(batch, rows)` test of the exact value per write)."""
    result = None
    for k, (at, stored) in enumerate(writes):
        ok = low.member(stored)
        for later, _ in writes[k + 1 :]:  # overwritten later: that write decides
            ok = low.add(stablehlo.OrOp(ok, low.add(stablehlo.CompareOp("EQ", at, later))))
        result = ok if result is None else low.add(stablehlo.AndOp(result, ok))
    return result if result is not None else low.broadcast(low.const(True, i1), [], [DYN, rows])


def _concatenated(value: SSAValue) -> bool:
    """Whether every user of `value` is a `branch.concat` of several inputs."""
    return all(
        isinstance(u.operation, branch.ConcatOp) and len(u.operation.inputs) > 1 for u in value.uses
    )


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
        state = _state(low, op.state)
        valid = state.valid
        if state.checked:
            # A checked write may have left the local states: the final x' must be valid.
            inside = _all_inside(low, low.writes[op.state], op.state.type.rows.data)
            valid = low.add(stablehlo.AndOp(valid, inside))
        active = low.and_(op.mask, valid)
        xp = mel = None
        if op.xp.uses:
            emitted = _Emitted(state.config, active)
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
            t = _elem(op.mel)
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
        t = _elem(op.input)
        body = stablehlo.scalar_body([t], stablehlo.AddOp)
        total = low.add(stablehlo.ReduceOp([op.input], [low.const(0, t)], [1], body))
        rewriter.replace(op, [], [low.broadcast(total, [0], [DYN, 1])])


class QuadraticFormLowering(KernelPattern):
    """`branch.quadratic_form` -> `x^T A x + w . x + c` with `dot_general`s
    (`KernelLowering.quadratic_form`)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: branch.QuadraticFormOp, rewriter: PatternRewriter):
        low = self.lowering(rewriter)
        rewriter.replace(op, [], [low.quadratic_form(op)])


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


class ConcatLowering(KernelPattern):
    """`branch.concat` -> `concatenate` along the rows (its input when there is one); of
    the `x'` of emissions, all built at once (`KernelLowering.emitted`)."""

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


def lower_kernel(kernel: branch.KernelOp) -> func.FuncOp:
    """Replaces `kernel`, the only kernel of its module, by `func.func @main`: a walk of
    `KernelToFunc` alone, then a forward walk of the function's body."""
    region = kernel.parent_region()
    assert region is not None
    if any(isinstance(o, branch.KernelOp) and o is not kernel for o in region.walk()):
        raise ValueError("convert-branch-to-stablehlo expects one branch.kernel per module")
    low = KernelLowering.of(kernel)
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
    return low.func


@dataclass(frozen=True)
class ConvertBranchToStablehloPass(ModulePass):
    """Lowers every `branch.kernel` to a StableHLO `func.func @main`."""

    name = "convert-branch-to-stablehlo"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for kernel in [o for o in op.walk() if isinstance(o, branch.KernelOp)]:
            lower_kernel(kernel)
        left = [o.name for o in op.walk() if o.dialect_name() == "branch"]
        if left:
            raise ValueError(f"convert-branch-to-stablehlo left branch ops: {sorted(set(left))}")
