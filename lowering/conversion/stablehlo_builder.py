"""The memoised StableHLO builder of `convert-branch-to-stablehlo`.

`StablehloBuilder` inserts StableHLO ops before the `branch` op being lowered and builds
each constant, shape, broadcast and read once per kernel (`once`), where it is first
needed, so that every later op of the kernel reuses it. It knows the kernel's input
(`x`, N sites, the local states) and the batch size, and nothing of `branch` states:
those are the state model's (`kernel_state.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from xdsl.dialects.builtin import DYNAMIC_INDEX as DYN
from xdsl.dialects.builtin import ComplexType, IntegerType, TensorType, f64, i1, i64
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter

from symir.dialects import stablehlo
from symir.dialects.types import c64, numpy_dtype
from symir.lowering.branch.cost_model import distinct_blocks, strided_runs

MAX_WRITE_MASK = 1 << 16
"""The most elements (rows x sites) a write's constant site mask may have; a larger one
is an iota comparison (the mask is a constant in the StableHLO text)."""


def element_type(v: SSAValue) -> Attribute:
    """Return the element type of the tensor `v`."""
    assert isinstance(v.type, TensorType)
    return v.type.element_type


def dense_values(op: stablehlo.ConstantOp):
    """Return the values a `stablehlo.constant` holds."""
    return op.value.get_values()


def _broadcast_constant(v: SSAValue) -> tuple[np.ndarray, tuple[int, ...]] | None:
    """The values (of the constant's own type) of the constant `v` broadcasts over the
    batch, and the dimensions it is broadcast at; None when `v` is not such a broadcast."""
    owner = v.owner
    if not isinstance(owner, stablehlo.DynamicBroadcastInDimOp):
        return None
    src = owner.operand.owner
    if not isinstance(src, stablehlo.ConstantOp):
        return None
    return np.asarray(dense_values(src)), owner.broadcast_dimensions.get_values()


def _as_i64(values: np.ndarray) -> np.ndarray:
    return np.asarray([int(x) for x in values], dtype=np.int64)


def row_values(v: SSAValue) -> np.ndarray | None:
    """The per-row values of `v`, of the constant's own type, when it is a row-table
    column (a constant broadcast along the batch at dimension 1), else None."""
    found = _broadcast_constant(v)
    return found[0] if found is not None and found[1] == (1,) else None


def row_column(v: SSAValue) -> np.ndarray | None:
    """`row_values` of `v` as `i64` values."""
    values = row_values(v)
    return None if values is None else _as_i64(values)


def static_column(v: SSAValue) -> np.ndarray | None:
    """The per-row values of `v` when it is a constant broadcast along the batch (a
    row-table column, or a scalar constant), else None."""
    found = _broadcast_constant(v)
    if found is None:
        return None
    values, dims = found
    values = _as_i64(values)
    if dims == (1,):
        return values
    if dims == () and values.size == 1:
        rows = v.type.get_shape()[1]  # type: ignore[union-attr]
        return np.full(rows, values[0], dtype=np.int64)
    return None


@dataclass
class StablehloBuilder:
    """Builds StableHLO before the op `rewriter` matched: the kernel's input (`x`, N,
    the local states), the batch size and the shapes, constants, broadcasts and reads
    built so far (`add` inserts before the op)."""

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
    bounds: dict[SSAValue, tuple[int, int]] = field(default_factory=dict)
    """What the lowering knows of the range of some values that the ops computing them
    do not show (a count of k sites holds `k` local states at most): the narrowing of
    the integers (`narrow_integers.py`) intersects its own bounds with these."""

    @property
    def x_elem(self) -> Attribute:
        return element_type(self.x)

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
        return self.array(np.full(tuple(shape), value, dtype=numpy_dtype(t)))

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
            t = TensorType(element_type(v), list(shape))
            return self.add(stablehlo.DynamicBroadcastInDimOp(v, self.shape(shape), dims, t))

        return self.once(("broadcast", v, tuple(dims), tuple(shape)), build)

    def convert(self, v: SSAValue, t: Attribute) -> SSAValue:
        if element_type(v) == t:
            return v
        if isinstance(t, ComplexType) and element_type(v) != c64:
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
        values = np.asarray([int(v) for v in dense_values(src)])
        return bool(np.all((values >= 0) & (values < self.n)))

    def static_sites(self, sites: SSAValue) -> np.ndarray | None:
        """The site of each row, taken modulo N, when `sites` is a row-table column (a
        constant broadcast along the batch); None when the sites are only known at run time."""
        cols = row_column(sites)
        return None if cols is None else cols % self.n

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
        t = TensorType(element_type(x), [DYN, len(range(start, stop, step))])
        return self.add(stablehlo.RealDynamicSliceOp(x, begin, self.shape([DYN, stop]), strides, t))

    def member(self, v: SSAValue, states: Sequence[int] | None = None) -> SSAValue:
        """Whether each value is one of `states` (by default the local states)."""
        states = self.local_states if states is None else tuple(states)
        if not states:  # the verifiers of branch.kernel and branch.member refuse it
            raise ValueError("a membership test needs at least one local state")
        shape = v.type.get_shape()  # type: ignore[union-attr]

        def cmp(direction: str, s: int) -> SSAValue:
            c = self.broadcast(self.const(s, element_type(v)), [], shape)
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
        t = TensorType(element_type(operand), indices.type.get_shape())  # type: ignore[union-attr]
        return self.add(stablehlo.GatherOp(operand, indices, dims, [1] * rank, t))

    def take(self, x: SSAValue, cols: np.ndarray) -> SSAValue:
        """`x[:, cols]` for static `cols`: a gather of whole-batch slices at constant
        indices, without batching dimensions (one per distinct `cols`)."""

        def build() -> SSAValue:
            idx = self.array(np.asarray(cols, np.int64).reshape(-1, 1))
            dims = stablehlo.GatherDimensionNumbers(
                offset_dims=[0], collapsed_slice_dims=[1], start_index_map=[1], index_vector_dim=1
            )
            t = TensorType(element_type(x), [DYN, len(cols)])
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
        blocks = distinct_blocks(cols)  # permuted
        if len(blocks) > 1 and len(blocks[0]) == 1 and len(set(cols.tolist())) == 1:
            # one site in every row: its take broadcast (not one concatenated per row)
            return self.broadcast(self.take(x, blocks[0]), [0, 1], [DYN, len(cols)])
        parts = [self.take(x, b) for b in blocks]
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
        t = self.site_type()
        iota = self.broadcast(self.array(np.arange(n, dtype=numpy_dtype(t))), [2], shape)
        at = self.convert(at, t)
        return self.add(stablehlo.CompareOp("EQ", iota, self.broadcast(at, [0, 1], shape)))

    def site_type(self) -> IntegerType:
        """The narrowest integer type that holds `-1 .. N` (a write's sites, compared
        with an iota of the sites in `write_mask`)."""
        return IntegerType(next(w for w in (8, 16, 32, 64) if self.n < 2 ** (w - 1)))

    def is_true(self, value: SSAValue) -> bool:
        """Whether `value` is the constant true broadcast (`and_` keeps it that way)."""
        owner = value.owner
        return (
            isinstance(owner, stablehlo.DynamicBroadcastInDimOp)
            and isinstance(src := owner.operand.owner, stablehlo.ConstantOp)
            and src.value.type.get_shape() == ()
            and element_type(src.output) == i1
            and bool(dense_values(src)[0])
        )

    def and_(self, a: SSAValue, b: SSAValue) -> SSAValue:
        """`a AND b`, or one of them when the other is the constant true."""
        if self.is_true(a):
            return b
        if self.is_true(b):
            return a
        return self.add(stablehlo.AndOp(a, b))

    def concat_rows(self, values: list[SSAValue]) -> SSAValue:
        """`tensor<?xMxT>` values concatenated along the rows."""
        return values[0] if len(values) == 1 else self.add(stablehlo.ConcatenateOp(values, 1))
