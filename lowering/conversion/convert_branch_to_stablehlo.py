"""`convert-branch-to-stablehlo`: a `branch.kernel` becomes `func.func @main` in StableHLO.

The function takes the batch of configurations `tensor<?xNxiK>` (the batch dimension is
dynamic, so one module serves every batch size) and one 0-d tensor per runtime parameter,
and returns `(xp: tensor<?xFxNxiK>, mels: tensor<?xFxT>)`.

Each `branch` op has one rewrite pattern; the pass drives them in program order. Values
`tensor<?xMxT>` map one-to-one; a `!branch.state` maps to two tensors (the configurations
`tensor<?xMxNxiK>` and the validity mask `tensor<?xMxi1>`), kept in a side table while the
kernel is converted. Broadcasts to the batch use `dynamic_broadcast_in_dim` with a shape
built from `get_dimension_size`. Writes are one broadcast `select` against an iota of
site indices (no scatter). A read of a row-table column whose sites form a few strided
runs (the identity column, a shifted chain) is `x` itself or a concatenation of
`real_dynamic_slice`s (static slices once the batch is known); any other read is a `gather`
with batching dimensions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

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
    f64,
    i1,
    i64,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern

from symir.dialects import branch, stablehlo
from symir.dialects.sym import c64, promote

_NP = {i1: np.bool_, i64: np.int64, f64: np.float64, c64: np.complex128}


def _elem(v: SSAValue) -> Attribute:
    assert isinstance(v.type, TensorType)
    return v.type.element_type


def _np_dtype(t: Attribute):
    if t in _NP:
        return _NP[t]
    if isinstance(t, IntegerType):
        return {8: np.int8, 16: np.int16, 32: np.int32, 64: np.int64}[t.width.data]
    raise ValueError(f"no numpy dtype for {t}")


@dataclass
class KernelLowering:
    """The state shared by the patterns while one kernel is converted."""

    x: SSAValue
    n: int
    local_states: tuple[int, ...]
    rewriter: PatternRewriter | None = None
    states: dict[SSAValue, tuple[SSAValue, SSAValue, bool]] = field(default_factory=dict)
    """A state -> (configurations, validity, whether a checked write may have left the
    local states)."""
    batch: SSAValue | None = None
    shapes: dict[tuple[int, ...], SSAValue] = field(default_factory=dict)

    @property
    def x_elem(self) -> Attribute:
        return _elem(self.x)

    # ----------------------------------------------------------------- building
    def add(self, op: Operation) -> SSAValue:
        assert self.rewriter is not None
        self.rewriter.insert(op)
        return op.results[0] if op.results else None  # type: ignore[return-value]

    def const(self, value, t: Attribute, shape: Sequence[int] = ()) -> SSAValue:
        arr = np.full(tuple(shape), value, dtype=_np_dtype(t))
        return self.add(stablehlo.ConstantOp.from_array(arr))

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
        t = TensorType(_elem(v), list(shape))
        return self.add(stablehlo.DynamicBroadcastInDimOp(v, self.shape(shape), dims, t))

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
            begin = self.add(stablehlo.ConstantOp.from_array(np.array([0, start], np.int64)))
            strides = self.add(stablehlo.ConstantOp.from_array(np.array([1, step], np.int64)))
            t = TensorType(_elem(x), [DYN, len(range(start, stop, step))])
            slice_op = stablehlo.RealDynamicSliceOp(x, begin, self.shape([DYN, stop]), strides, t)
            parts.append(self.add(slice_op))
        return parts[0] if len(parts) == 1 else self.add(stablehlo.ConcatenateOp(parts, 1))

    def member(self, v: SSAValue) -> SSAValue:
        """Whether each value is a local state."""
        states = self.local_states
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


def _dense_values(op: stablehlo.ConstantOp):
    return op.value.get_values()


MAX_SLICES = 4
"""A static read with more strided runs than this stays a batched gather."""


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


class BranchPattern(RewritePattern):
    """A pattern that converts one `branch` op with the shared `KernelLowering`."""

    source: type[Operation]

    def __init__(self, lowering: KernelLowering):
        self.lowering = lowering

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter):
        if type(op) is not self.source:
            return
        self.lowering.rewriter = rewriter
        result = self.lower(op, self.lowering)
        if result is not None:
            rewriter.replace(op, [], new_results=list(result))

    def lower(self, op, low: KernelLowering) -> Sequence[SSAValue] | None:
        raise NotImplementedError


# --------------------------------------------------------------------------- values


class ConstantLowering(BranchPattern):
    source = branch.ConstantOp

    def lower(self, op: branch.ConstantOp, low: KernelLowering):
        v = op.value
        scalar = v.value.data if isinstance(v, IntegerAttr | FloatAttr) else None
        c = low.const(scalar, v.type)
        return [low.broadcast(c, [], [DYN, op.rows])]


class ColumnLowering(BranchPattern):
    source = branch.ColumnOp

    def lower(self, op: branch.ColumnOp, low: KernelLowering):
        values = np.asarray(op.values.get_values(), dtype=np.int64)
        c = low.add(stablehlo.ConstantOp.from_array(values))
        return [low.broadcast(c, [1], [DYN, len(values)])]


class SplatLowering(BranchPattern):
    source = branch.SplatOp

    def lower(self, op: branch.SplatOp, low: KernelLowering):
        return [low.broadcast(op.scalar, [], op.result.type.get_shape())]


class ReadLowering(BranchPattern):
    source = branch.ReadOp

    def lower(self, op: branch.ReadOp, low: KernelLowering):
        cols = low.static_sites(op.sites)
        if cols is not None and len(runs := strided_runs(cols)) <= MAX_SLICES:
            return [low.convert(low.read_columns(op.x, runs), i64)]
        idx = low.site_indices(op.sites)
        return [low.convert(low.gather(op.x, idx, 1), i64)]


def _binary(cls):
    class Lowering(BranchPattern):
        source = cls
        TARGET = {
            branch.AddOp: stablehlo.AddOp,
            branch.SubOp: stablehlo.SubtractOp,
            branch.MulOp: stablehlo.MultiplyOp,
            branch.DivOp: stablehlo.DivideOp,
            branch.PowOp: stablehlo.PowerOp,
            branch.MinOp: stablehlo.MinimumOp,
            branch.MaxOp: stablehlo.MaximumOp,
        }[cls]

        def lower(self, op, low: KernelLowering):
            t = _elem(op.result)
            return [low.add(self.TARGET(low.convert(op.lhs, t), low.convert(op.rhs, t)))]

    Lowering.__name__ = f"{cls.__name__}Lowering"
    Lowering.__doc__ = f"`{cls.name}` -> the StableHLO op on converted operands."
    return Lowering


def _unary(cls, target):
    class Lowering(BranchPattern):
        source = cls

        def lower(self, op, low: KernelLowering):
            t = _elem(op.result)
            return [low.add(target(low.convert(op.operand, t)))]

    Lowering.__name__ = f"{cls.__name__}Lowering"
    Lowering.__doc__ = f"`{cls.name}` -> `{target.name}`."
    return Lowering


class AbsLowering(BranchPattern):
    source = branch.AbsOp

    def lower(self, op: branch.AbsOp, low: KernelLowering):
        return [low.add(stablehlo.AbsOp(op.operand, op.result.type))]


class ConjLowering(BranchPattern):
    source = branch.ConjOp

    def lower(self, op: branch.ConjOp, low: KernelLowering):
        if _elem(op.operand) != c64:
            return [op.operand]
        shape = op.operand.type.get_shape()  # type: ignore[union-attr]
        real_t = TensorType(f64, shape)
        re = low.add(stablehlo.RealOp(op.operand, real_t))
        im = low.add(stablehlo.ImagOp(op.operand, real_t))
        return [low.add(stablehlo.ComplexOp(re, low.add(stablehlo.NegateOp(im))))]


class MappedPattern(BranchPattern):
    """A pattern for `source` that builds `target` ops (one class serving several ops)."""

    def __init__(self, lowering: KernelLowering, source, target):
        super().__init__(lowering)
        self.source = source
        self.target = target


class RealImagLowering(MappedPattern):
    def lower(self, op, low: KernelLowering):
        return [low.add(self.target(op.operand, op.result.type))]


class WrapModLowering(BranchPattern):
    source = branch.WrapModOp

    def lower(self, op: branch.WrapModOp, low: KernelLowering):
        shape = op.operand.type.get_shape()  # type: ignore[union-attr]
        lo = low.broadcast(low.const(op.low.value.data, i64), [], shape)
        d = low.broadcast(low.const(op.count.value.data, i64), [], shape)
        shifted = low.add(stablehlo.SubtractOp(op.operand, lo))
        r = low.add(stablehlo.RemainderOp(shifted, d))
        r = low.add(stablehlo.RemainderOp(low.add(stablehlo.AddOp(r, d)), d))
        return [low.add(stablehlo.AddOp(r, lo))]


class ComplexLowering(BranchPattern):
    source = branch.ComplexOp

    def lower(self, op: branch.ComplexOp, low: KernelLowering):
        return [low.add(stablehlo.ComplexOp(low.convert(op.re, f64), low.convert(op.im, f64)))]


class CmpLowering(BranchPattern):
    source = branch.CmpOp

    def lower(self, op: branch.CmpOp, low: KernelLowering):
        t = promote(_elem(op.lhs), _elem(op.rhs))
        lhs, rhs = low.convert(op.lhs, t), low.convert(op.rhs, t)
        return [low.add(stablehlo.CompareOp(op.predicate.data.upper(), lhs, rhs))]


class LogicLowering(MappedPattern):
    def lower(self, op, low: KernelLowering):
        result = op.inputs[0]
        for v in op.inputs[1:]:
            result = low.add(self.target(result, v))
        return [result]


class NotLowering(BranchPattern):
    source = branch.NotOp

    def lower(self, op: branch.NotOp, low: KernelLowering):
        return [low.add(stablehlo.NotOp(op.operand))]


class SelectLowering(BranchPattern):
    source = branch.SelectOp

    def lower(self, op: branch.SelectOp, low: KernelLowering):
        t = _elem(op.result)
        a, b = low.convert(op.if_true, t), low.convert(op.if_false, t)
        return [low.add(stablehlo.SelectOp(op.condition, a, b))]


class MemberLowering(BranchPattern):
    source = branch.MemberOp

    def lower(self, op: branch.MemberOp, low: KernelLowering):
        return [low.member(op.value)]


# --------------------------------------------------------------------------- states


def _state_shape(s: branch.StateType) -> list[int]:
    return [DYN, s.rows.data, s.sites.data]


class StateLowering(BranchPattern):
    source = branch.StateOp

    def lower(self, op: branch.StateOp, low: KernelLowering):
        s = op.result.type
        cfg = low.broadcast(op.x, [0, 2], _state_shape(s))
        valid = low.broadcast(low.const(True, i1), [], [DYN, s.rows.data])
        low.states[op.result] = (cfg, valid, False)
        return None


class WriteLowering(BranchPattern):
    source = branch.WriteOp

    def lower(self, op: branch.WriteOp, low: KernelLowering):
        cfg, valid, check = low.states[op.state]
        s = op.state.type
        shape = _state_shape(s)
        iota = low.add(stablehlo.ConstantOp.from_array(np.arange(s.sites.data, dtype=np.int64)))
        iota = low.broadcast(iota, [2], shape)
        sites = low.broadcast(low.site_indices(op.sites), [0, 1], shape)
        hit = low.add(stablehlo.CompareOp("EQ", iota, sites))
        values = low.broadcast(low.convert(op.values, low.x_elem), [0, 1], shape)
        new_cfg = low.add(stablehlo.SelectOp(hit, values, cfg))
        low.states[op.result] = (new_cfg, valid, check or op.checked is not None)
        return None


class StateReadLowering(BranchPattern):
    source = branch.StateReadOp

    def lower(self, op: branch.StateReadOp, low: KernelLowering):
        cfg, _, _ = low.states[op.state]
        idx = low.site_indices(op.sites)
        return [low.convert(low.gather(cfg, idx, 2), i64)]


class InvalidateLowering(BranchPattern):
    source = branch.InvalidateOp

    def lower(self, op: branch.InvalidateOp, low: KernelLowering):
        cfg, _, check = low.states[op.state]
        rows = op.state.type.rows.data
        invalid = low.broadcast(low.const(False, i1), [], [DYN, rows])
        low.states[op.result] = (cfg, invalid, check)
        return None


class SelectStateLowering(BranchPattern):
    source = branch.SelectStateOp

    def lower(self, op: branch.SelectStateOp, low: KernelLowering):
        (ca, va, ka), (cb, vb, kb) = low.states[op.if_true], low.states[op.if_false]
        p = op.condition
        p3 = low.broadcast(p, [0, 1], _state_shape(op.result.type))
        cfg = low.add(stablehlo.SelectOp(p3, ca, cb))
        valid = low.add(stablehlo.SelectOp(p, va, vb))
        low.states[op.result] = (cfg, valid, ka or kb)
        return None


class EmitLowering(BranchPattern):
    source = branch.EmitOp

    def lower(self, op: branch.EmitOp, low: KernelLowering):
        cfg, valid, check = low.states[op.state]
        shape = _state_shape(op.state.type)
        if check:
            # A checked write may have left the local states: the final x' must be valid.
            inside = low.member(cfg)
            body = stablehlo.scalar_body([i1], stablehlo.AndOp)
            all_inside = low.add(stablehlo.ReduceOp([inside], [low.const(True, i1)], [2], body))
            valid = low.add(stablehlo.AndOp(valid, all_inside))
        active = low.add(stablehlo.AndOp(op.mask, valid))
        active3 = low.broadcast(active, [0, 1], shape)
        x3 = low.broadcast(op.x, [0, 2], shape)
        xp = low.add(stablehlo.SelectOp(active3, cfg, x3))
        t = _elem(op.mel)
        amp = low.convert(op.amplitude, t)
        zero = low.broadcast(low.const(0, t), [], op.mel.type.get_shape())
        mel = low.add(stablehlo.SelectOp(active, amp, zero))
        return [xp, mel]


class SumRowsLowering(BranchPattern):
    source = branch.SumRowsOp

    def lower(self, op: branch.SumRowsOp, low: KernelLowering):
        t = _elem(op.input)
        body = stablehlo.scalar_body([t], stablehlo.AddOp)
        total = low.add(stablehlo.ReduceOp([op.input], [low.const(0, t)], [1], body))
        return [low.broadcast(total, [0], [DYN, 1])]


class ConcatLowering(BranchPattern):
    source = branch.ConcatOp

    def lower(self, op: branch.ConcatOp, low: KernelLowering):
        if len(op.inputs) == 1:
            return [op.inputs[0]]
        return [low.add(stablehlo.ConcatenateOp(list(op.inputs), 1))]


class ReturnLowering(BranchPattern):
    source = branch.ReturnOp

    def lower(self, op: branch.ReturnOp, low: KernelLowering):
        low.add(func.ReturnOp(op.xp, op.mels))
        return []


def branch_to_stablehlo_patterns(low: KernelLowering) -> dict[type[Operation], BranchPattern]:
    """The pattern of every `branch` op but `branch.kernel` (which the pass handles)."""
    patterns: list[BranchPattern] = [
        ConstantLowering(low),
        ColumnLowering(low),
        SplatLowering(low),
        ReadLowering(low),
        AbsLowering(low),
        ConjLowering(low),
        RealImagLowering(low, branch.RealOp, stablehlo.RealOp),
        RealImagLowering(low, branch.ImagOp, stablehlo.ImagOp),
        WrapModLowering(low),
        ComplexLowering(low),
        CmpLowering(low),
        LogicLowering(low, branch.AndOp, stablehlo.AndOp),
        LogicLowering(low, branch.OrOp, stablehlo.OrOp),
        NotLowering(low),
        SelectLowering(low),
        MemberLowering(low),
        StateLowering(low),
        WriteLowering(low),
        StateReadLowering(low),
        InvalidateLowering(low),
        SelectStateLowering(low),
        EmitLowering(low),
        SumRowsLowering(low),
        ConcatLowering(low),
        ReturnLowering(low),
    ]
    for cls in (
        branch.AddOp,
        branch.SubOp,
        branch.MulOp,
        branch.DivOp,
        branch.PowOp,
        branch.MinOp,
        branch.MaxOp,
    ):
        patterns.append(_binary(cls)(low))
    for cls, target in (
        (branch.NegOp, stablehlo.NegateOp),
        (branch.SqrtOp, stablehlo.SqrtOp),
        (branch.ExpOp, stablehlo.ExponentialOp),
        (branch.LogOp, stablehlo.LogOp),
        (branch.SinOp, stablehlo.SineOp),
        (branch.CosOp, stablehlo.CosineOp),
    ):
        patterns.append(_unary(cls, target)(low))
    table = {p.source: p for p in patterns}
    missing = set(branch.Branch.operations) - set(table) - {branch.KernelOp}  # type: ignore[arg-type]
    assert not missing, f"branch ops without a pattern: {missing}"
    return table


def lower_kernel(kernel: branch.KernelOp) -> func.FuncOp:
    """Replaces `kernel` by `func.func @main` and converts its body."""
    block = kernel.body.block
    low = KernelLowering(block.args[0], kernel.num_sites.data, kernel.states)
    ret = block.last_op
    assert isinstance(ret, branch.ReturnOp)
    fn_type = FunctionType.from_lists([a.type for a in block.args], [ret.xp.type, ret.mels.type])
    region = kernel.detach_region(kernel.body)
    fn = func.FuncOp("main", fn_type, region)
    parent = kernel.parent_block()
    assert parent is not None
    parent.insert_op_before(fn, kernel)
    kernel.detach()
    kernel.erase()

    patterns = branch_to_stablehlo_patterns(low)
    originals = list(block.ops)
    first = originals[0]
    low.rewriter = PatternRewriter(first)
    low.start()
    for op in originals:
        rewriter = PatternRewriter(op)
        patterns[type(op)].match_and_rewrite(op, rewriter)
    for op in reversed([o for o in block.ops if o.dialect_name() == "branch"]):
        op.detach()
        op.erase(safe_erase=False)
    return fn


@dataclass(frozen=True)
class ConvertBranchToStablehloPass(ModulePass):
    """Lowers every `branch.kernel` to a StableHLO `func.func @main`."""

    name = "convert-branch-to-stablehlo"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        kernels = [o for o in op.walk() if isinstance(o, branch.KernelOp)]
        if len(kernels) > 1:
            raise ValueError("convert-branch-to-stablehlo expects one branch.kernel per module")
        for kernel in kernels:
            lower_kernel(kernel)
        left = [o.name for o in op.walk() if o.dialect_name() == "branch"]
        if left:
            raise ValueError(f"convert-branch-to-stablehlo left branch ops: {sorted(set(left))}")
