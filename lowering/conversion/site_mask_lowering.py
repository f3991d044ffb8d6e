"""The ops of packed site masks (`sym.site_masks`) lowered to StableHLO: `branch.parity_sum`
(the parity of each entry as `popcnt` of its mask words and the sample's sites packed in
words) and `branch.flip_sites` (one select per state with the rows' masks)."""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import DYNAMIC_INDEX as DYN
from xdsl.dialects.builtin import TensorType, f64, i1, i32
from xdsl.ir import SSAValue

from symir.dialects import branch, stablehlo, sym
from symir.dialects.types import c64
from symir.lowering.conversion.kernel_state import (
    MAX_FLIP_MASK,
    Config,
    KernelLowering,
    State,
    state_shape,
)
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


def _row_entries(
    op: branch.ParitySumOp, keys: np.ndarray, w: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row of `op` (its `keys`): the sum of the coefficients of its entries without a
    mask (a constant), and where its entries with a mask start and how many there are in
    the tables of those entries alone (masks `(K, w)` words, coefficients), returned
    last."""
    offsets, words, c = op.tables()
    kcount = len(offsets) - 1
    masks = words.reshape(-1, w)
    rows = len(keys)
    if not kcount:
        zeros = np.zeros(rows, np.int64)
        return np.zeros(rows, c.dtype), zeros, zeros, masks[:0], c[:0]
    inside = (keys >= 0) & (keys < kcount)
    safe = np.where(inside, keys, 0)
    masked = masks.any(axis=1)
    entry_key = np.repeat(np.arange(kcount), np.diff(offsets))
    key_const = np.zeros(kcount, c.dtype)
    np.add.at(key_const, entry_key[~masked], c[~masked])
    kept = np.flatnonzero(masked)
    key_counts = np.bincount(entry_key[kept], minlength=kcount)
    key_starts = np.concatenate([[0], np.cumsum(key_counts)[:-1]])
    const = np.where(inside, key_const[safe], 0)
    starts = np.where(inside, key_starts[safe], 0)
    counts = np.where(inside, key_counts[safe], 0)
    return const, starts, counts, masks[kept], c[kept]


def _constant_rows(low: KernelLowering, values: np.ndarray, t) -> SSAValue:
    """`tensor<?xRxT>` holding `values` in every batch entry."""
    rows = len(values)
    if not values.any():
        return low.broadcast(low.const(0, t), [], [DYN, rows])
    if t == c64:
        parts = [low.array(np.ascontiguousarray(values.real)), low.array(values.imag.copy())]
        return low.broadcast(low.add(stablehlo.ComplexOp(*parts)), [1], [DYN, rows])
    return low.broadcast(low.array(values.real.astype(np.float64)), [1], [DYN, rows])


def _signed_sum(low: KernelLowering, even: SSAValue, coef: np.ndarray, t, entry) -> SSAValue:
    """`sum_l (even ? c : -c)` per row: a `reduce` (complex for complex coefficients),
    not a `dot_general` with ones, so that XLA fuses the ops before it into one loop
    over the entries that writes only the rows' values."""
    if t == c64:
        parts = [np.ascontiguousarray(p, np.float64) for p in (coef.real, coef.imag)]
        plus = low.add(stablehlo.ComplexOp(*(low.array(p) for p in parts)))
        minus = low.add(stablehlo.ComplexOp(*(low.array(-p) for p in parts)))
        zero = low.add(stablehlo.ComplexOp(low.const(0.0, f64), low.const(0.0, f64)))
    else:
        part = np.ascontiguousarray(coef.real, np.float64)
        plus, minus, zero = low.array(part), low.array(-part), low.const(0.0, f64)
    el = element_type(plus)
    chosen = low.add(
        stablehlo.SelectOp(
            even, low.broadcast(plus, [1, 2], entry), low.broadcast(minus, [1, 2], entry)
        )
    )
    body = stablehlo.scalar_body([el], stablehlo.AddOp)
    return low.add(stablehlo.ReduceOp([chosen], [zero], [2], body))


def _sample_words(low: KernelLowering, state: int) -> SSAValue:
    """The sites of each sample on `state` packed in W = ceil(N / 32) words of 32 bits
    (bit `b` of word `k` is site `32 k + b`): `tensor<?xWxi32>`, or `tensor<?xi32>` for
    one word; one `dot_general` of `x == state` with the powers of two (integers wrap:
    bit 31 is the sign bit)."""
    words = -(-low.n // 32)
    x = low.x

    def build() -> SSAValue:
        eq = low.add(
            stablehlo.CompareOp(
                "EQ", x, low.broadcast(low.const(state, element_type(x)), [], [DYN, low.n])
            )
        )
        hits = low.convert(eq, i32)
        powers = (np.uint64(1) << np.arange(32, dtype=np.uint64)).astype(np.uint32).view(np.int32)
        over_sites = stablehlo.DotDimensionNumbers(
            lhs_contracting_dimensions=[1], rhs_contracting_dimensions=[0]
        )
        if words == 1:
            weight = low.array(np.ascontiguousarray(powers[: low.n]))
            return low.add(stablehlo.DotGeneralOp(hits, weight, over_sites, TensorType(i32, [DYN])))
        table = np.zeros((low.n, words), np.int32)
        table[np.arange(low.n), np.arange(low.n) // 32] = powers[np.arange(low.n) % 32]
        return low.add(
            stablehlo.DotGeneralOp(
                hits, low.array(table), over_sites, TensorType(i32, [DYN, words])
            )
        )

    return low.once(("parity_words", x, state), build)


def _popcount_signs(
    low: KernelLowering, masks: np.ndarray, coef: np.ndarray, t, state: int
) -> SSAValue:
    """`sum_e c_e (-1)^(sites of e on state)` per row (`masks` `(R, l, w)` packed int64
    words, `coef` `(R, l)`): the parity of each entry is that of the bits set in its
    32-bit mask words and the sample's (`_sample_words`), `popcnt(and)`; the entry's
    coefficient or its negation selected by it, summed over `l` by a `dot_general`."""
    rows, count, _ = masks.shape
    words = -(-low.n // 32)
    m32 = np.ascontiguousarray(np.asarray(masks, "<i8")).view("<i4")[:, :, :words]
    entry = [DYN, rows, count]
    sample = _sample_words(low, state)
    if words == 1:
        table = low.broadcast(low.array(np.ascontiguousarray(m32[:, :, 0])), [1, 2], entry)
        both = low.add(stablehlo.AndOp(low.broadcast(sample, [0], entry), table))
        bits = low.add(stablehlo.PopcntOp(both))
    else:
        shape = [*entry, words]
        table = low.broadcast(low.array(np.ascontiguousarray(m32)), [1, 2, 3], shape)
        both = low.add(stablehlo.AndOp(low.broadcast(sample, [0, 3], shape), table))
        bits = low.add(
            stablehlo.ReduceOp(
                [low.add(stablehlo.PopcntOp(both))],
                [low.const(0, i32)],
                [3],
                stablehlo.scalar_body([i32], stablehlo.AddOp),
            )
        )
    odd = low.add(stablehlo.AndOp(bits, low.broadcast(low.const(1, i32), [], entry)))
    even = low.add(stablehlo.CompareOp("EQ", odd, low.broadcast(low.const(0, i32), [], entry)))
    return _signed_sum(low, even, coef, t, entry)


def lower_parity_sum(low: KernelLowering, op: branch.ParitySumOp) -> SSAValue:
    """`op` with static keys lowered. The entries without a Z/Y site (mask zero: the
    coefficient alone) are summed per row into a constant column; the others are
    grouped by rows, by their number `l` per row rounded up to a power of two (padded
    with zero coefficients), and each group is `_popcount_signs` (the parities as
    `popcnt` of mask words, one fused loop over the entries) or, where every entry has
    at most two sites and a row
    more entries than sites, `_pair_form` (a quadratic form in the spins), plus the
    group's constant column; the groups are concatenated and taken back into row order.
    A row of entries without masks (strings of X alone) is its constant: no count."""
    keys = static_keys(op.index, op.name)
    w = sym.words_per_mask(low.n)
    const, starts, counts, words, c = _row_entries(op, keys, w)
    rows = len(keys)
    t = element_type(op.result)
    width = 8 * -(-low.n // 8)
    state = op.state.value.data
    parts: list[SSAValue] = []
    order: list[np.ndarray] = []
    # rows grouped by their number of entries rounded up to a power of two (padded
    # with zero coefficients): the ops grow with the buckets, not with the entries
    bucket = np.where(counts > 0, 2 ** np.ceil(np.log2(np.maximum(counts, 1))), 0)
    bucket = bucket.astype(np.int64)
    padded_words = np.concatenate([words, np.zeros((1, w), np.int64)])
    padded_c = np.concatenate([c, np.zeros(1, c.dtype)])
    for count in sorted(set(bucket.tolist())):
        idx = np.flatnonzero(bucket == count)
        order.append(idx)
        if count == 0:
            parts.append(_constant_rows(low, const[idx], t))
            continue
        entries = starts[idx][:, None] + np.arange(count)[None, :]
        entries = np.where(np.arange(count)[None, :] < counts[idx][:, None], entries, len(c))
        coef = padded_c[entries]
        sites = _unpack(padded_words[entries.reshape(-1)], low.n)  # (R l, N) bools
        if low.n * low.n <= count * width and sites.sum(axis=1).max() <= 2:
            sites = sites.reshape(len(idx), count, low.n)
            value = _pair_form(low, sites, coef, t, state)
        else:
            value = _popcount_signs(low, padded_words[entries], coef, t, state)
        if const[idx].any():
            value = low.add(stablehlo.AddOp(value, _constant_rows(low, const[idx], t)))
        parts.append(value)
    grouped = parts[0] if len(parts) == 1 else low.add(stablehlo.ConcatenateOp(parts, 1))
    position = np.concatenate(order)
    if not np.array_equal(position, np.arange(rows)):
        inverse = np.empty(rows, np.int64)
        inverse[position] = np.arange(rows)
        grouped = low.take(grouped, inverse)
    return grouped


def _unpack(words: np.ndarray, n: int) -> np.ndarray:
    """`(K, n)` booleans of K packed masks (`(K, words_per_mask)` int64)."""
    bits = np.ascontiguousarray(np.asarray(words, "<i8")).view(np.uint8).reshape(len(words), -1)
    return np.unpackbits(bits, axis=1, bitorder="little")[:, :n].astype(bool)


def _pair_form(low: KernelLowering, sites: np.ndarray, coef: np.ndarray, t, state: int) -> SSAValue:
    """`sum_e c_e prod_{i in e} z_i` per row, `z = 1 - 2 (x == state)`, for entries of at
    most two sites (`sites`: `(R, l, N)` booleans): the quadratic form `z^T Q_r z + L_r .
    z` of each row, `Q_r` its pairs' coefficients and `L_r` its single sites', as one
    `dot_general` of `z` with the rows' `R x N x N` matrices, then the products with `z`
    summed over the sites (a `reduce`). Cheaper than the sign counts when a row has more
    entries than sites (a diagonal of many couplings)."""
    rows, _, n = sites.shape
    x = low.x

    def spins() -> SSAValue:
        eq = low.add(
            stablehlo.CompareOp(
                "EQ", x, low.broadcast(low.const(state, element_type(x)), [], [DYN, n])
            )
        )
        hit = low.convert(low.convert(eq, i32), f64)
        two = low.broadcast(low.const(2.0, f64), [], [DYN, n])
        one = low.broadcast(low.const(1.0, f64), [], [DYN, n])
        return low.add(stablehlo.SubtractOp(one, low.add(stablehlo.MultiplyOp(two, hit))))

    z = low.once(("parity_spins", x, state), spins)
    coef = coef.reshape(rows, -1)
    count = sites.sum(axis=2)
    values = []
    for part in (coef.real, coef.imag) if t == c64 else (coef.real,):
        q = np.zeros((rows, n, n))
        lin = np.zeros((rows, n))
        r, e = np.nonzero(count == 2)
        if len(r):
            pair = np.nonzero(sites[r, e])[1].reshape(-1, 2)
            np.add.at(q, (r, pair[:, 0], pair[:, 1]), part[r, e])
        r, e = np.nonzero(count == 1)
        if len(r):
            site = np.nonzero(sites[r, e])[1]
            np.add.at(lin, (r, site), part[r, e])
        if not q.any():  # no `dot_general` with a zero matrix: `_linear_rows`' docstring
            values.append(_linear_rows(low, z, lin))
            continue
        # (batch, R, N): z . Q_r over the first index of each row's matrix
        over = stablehlo.DotDimensionNumbers(
            lhs_contracting_dimensions=[1], rhs_contracting_dimensions=[1]
        )
        shape = [DYN, rows, n]
        zq = low.add(stablehlo.DotGeneralOp(z, low.array(q), over, TensorType(f64, shape)))
        if lin.any():
            zq = low.add(stablehlo.AddOp(zq, low.broadcast(low.array(lin), [1, 2], shape)))
        zb = low.broadcast(z, [0, 2], shape)
        prod = low.add(stablehlo.MultiplyOp(zq, zb))
        # summed over the sites by a `reduce`, which XLA fuses with the product: a
        # `dot_general` with a vector of ones was three more kernels to compile (the
        # ones, the dot, its reshape; XLA's compile of 85,000 couplings on 40 spins
        # 0.175 -> 0.12 s CPU)
        body = stablehlo.scalar_body([f64], stablehlo.AddOp)
        values.append(low.add(stablehlo.ReduceOp([prod], [low.const(0.0, f64)], [2], body)))
    return values[0] if len(values) == 1 else low.add(stablehlo.ComplexOp(*values))


def _linear_rows(low: KernelLowering, z: SSAValue, lin: np.ndarray) -> SSAValue:
    """`L_r . z` per row (`lin`: `(R, N)`), the pair form of rows without pairs: one
    `dot_general` of `z` with `L^T`, or zeros where `L` is zero. Never a `dot_general`
    with a matrix of zeros: XLA's CPU compiler (jaxlib 0.10) can miscompile a program
    that holds one beside another `dot_general` (a complex `pauli_strings` sum with real
    `Z_i Z_j` couplings, whose imaginary pairs are all zero: its diagonal's imaginary part
    came out as 4, 10 or 1e254 in about one compile in four; with XLA's `algsimp` pass
    disabled, never)."""
    rows = lin.shape[0]
    if not lin.any():
        return low.broadcast(low.const(0.0, f64), [], [DYN, rows])
    over = stablehlo.DotDimensionNumbers(
        lhs_contracting_dimensions=[1], rhs_contracting_dimensions=[0]
    )
    return low.add(
        stablehlo.DotGeneralOp(
            z, low.array(np.ascontiguousarray(lin.T)), over, TensorType(f64, [DYN, rows])
        )
    )


def lower_flip_sites(low: KernelLowering, op: branch.FlipSitesOp) -> State:
    """The state after `op` (static indices): one `select(mask, s0 + s1 - cfg, cfg)`
    with the rows' masks, a constant `rows x N` of booleans (up to `MAX_FLIP_MASK`
    elements; XLA reads it per element of `x'`, where a mask unpacked in the kernel is
    unpacked again per element: 3x the time of the select), else unpacked in the kernel
    from the packed table. On rows not written before, the select is left to the
    emission (`Config.flips`): where a concat joins the rows of other emissions that
    are flips of the same `x` (the diagonal: no site), all are one select
    (`KernelLowering.emitted`), not a concatenation. `x'` is not read back after it."""
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
    shape = state_shape(op.state.type)
    if (
        rows * low.n <= MAX_FLIP_MASK
        and before.config.writes == ()
        and before.config.base is not None
    ):
        # built when needed, alone or with the other emissions' rows (`emitted`)
        flips = (before.config.base, before.config.projected, _unpack(table, low.n))
        config = Config(before.config.rows, None, None, None, before.config.merged, flips=flips)
        return State(config, before.valid, before.checked, None)
    if rows * low.n <= MAX_FLIP_MASK:
        mask = low.array(_unpack(table, low.n))
    else:
        mask = unpacked_masks(low, table.reshape(-1), width)
    if mask.type.get_shape()[1] != low.n:  # type: ignore[union-attr]
        mask = low.add(
            stablehlo.RealDynamicSliceOp(
                mask,
                low.array(np.asarray([0, 0], np.int64)),
                low.array(np.asarray([rows, low.n], np.int64)),
                low.array(np.asarray([1, 1], np.int64)),
                TensorType(i1, [rows, low.n]),
            )
        )
    cfg = low.configurations(before.config)
    s0, s1 = low.local_states
    total = low.broadcast(low.const(s0 + s1, low.x_elem), [], shape)
    flipped = low.add(stablehlo.SubtractOp(total, cfg))
    hit = low.broadcast(mask, [1, 2], shape)
    new = low.add(stablehlo.SelectOp(hit, flipped, cfg))
    config = Config(before.config.rows, None, None, new, before.config.merged)
    return State(config, before.valid, before.checked, None)
