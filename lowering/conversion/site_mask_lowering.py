"""The ops of packed site masks (`sym.site_masks`) lowered to StableHLO: `branch.parity_sum`
(sign counts as `dot_general`s with the masks) and `branch.flip_sites` (one select per
state with the rows' masks), the masks unpacked in the kernel from their packed bytes."""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import DYNAMIC_INDEX as DYN
from xdsl.dialects.builtin import TensorType, f32, f64, i1, i32
from xdsl.ir import SSAValue

from symir.dialects import branch, stablehlo, sym
from symir.dialects.types import c64
from symir.lowering.conversion.kernel_state import Config, KernelLowering, State, state_shape
from symir.lowering.conversion.stablehlo_builder import (
    StablehloBuilder,
    element_type,
    static_column,
)


def static_keys(keys: SSAValue, what: str) -> np.ndarray:
    """The key of each row, when `keys` is a row-table column (a constant broadcast along
    the batch); else an error naming `what`."""
    values = static_column(keys)
    if values is None:
        raise ValueError(
            f"'{what}' needs a key that is static per row (labels and integer constants): "
            "a key known only at run time is not supported"
        )
    return values


def unpacked_masks(low: StablehloBuilder, words: np.ndarray, width: int) -> SSAValue:
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


def lower_parity_sum(low: KernelLowering, op: branch.ParitySumOp) -> SSAValue:
    """`op` with static keys lowered: the rows grouped by their number `l` of
    entries rounded up to a power of two (padded with zero coefficients); per group, the sign counts of all its entries are one `dot_general` of
    `x == state` (f32, exact) with the group's masks `(width, rows, l)` (unpacked in the
    kernel), `(-1)^count` times the coefficients summed over `l` by a second
    `dot_general`; the groups are concatenated and taken back into row order."""
    keys = static_keys(op.index, op.name)
    offsets, words, c = op.tables()
    w = sym.words_per_mask(low.n)
    kcount = len(offsets) - 1
    inside = (keys >= 0) & (keys < kcount)
    safe = np.where(inside, keys, 0)
    starts = np.where(inside, offsets[safe], 0) if kcount else np.zeros_like(keys)
    counts = np.where(inside, offsets[safe + 1] - offsets[safe], 0) if kcount else starts
    rows = len(keys)
    t = element_type(op.result)
    width = 8 * -(-low.n // 8)
    state = op.state.value.data
    x = low.x

    def hits() -> SSAValue:
        eq = low.add(
            stablehlo.CompareOp(
                "EQ", x, low.broadcast(low.const(state, element_type(x)), [], [DYN, low.n])
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
        masks = low.convert(unpacked_masks(low, table, width), f32)  # (R l, width)
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
    return grouped


def lower_flip_sites(low: KernelLowering, op: branch.FlipSitesOp) -> State:
    """The state after `op` (static indices): the rows' configurations built, then
    one `select(mask, s0 + s1 - cfg, cfg)` with the rows' masks (a constant `rows x N`,
    unpacked in the kernel from the packed table). `x'` is not read back after it."""
    before = low.state(op.state)
    keys = static_keys(op.index, op.name)
    words = op.words()
    w = sym.words_per_mask(low.n)
    kcount = len(words) // w
    inside = (keys >= 0) & (keys < kcount)
    table = words.reshape(-1, w)[np.where(inside, keys, 0)]
    table[~inside] = 0
    rows = len(keys)
    width = 8 * -(-low.n // 8)
    mask = unpacked_masks(low, table.reshape(-1), width)
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
    shape = state_shape(op.state.type)
    cfg = low.configurations(before.config)
    s0, s1 = low.local_states
    total = low.broadcast(low.const(s0 + s1, low.x_elem), [], shape)
    flipped = low.add(stablehlo.SubtractOp(total, cfg))
    hit = low.broadcast(mask, [1, 2], shape)
    new = low.add(stablehlo.SelectOp(hit, flipped, cfg))
    config = Config(before.config.rows, None, None, new, before.config.merged)
    return State(config, before.valid, before.checked, None)
