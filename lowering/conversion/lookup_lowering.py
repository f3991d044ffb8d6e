"""`branch.lookup` lowered to StableHLO: constants where the index is a row-table column,
else a gather from a dense table spanning the keys, or a select per key."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import f64, i64
from xdsl.ir import SSAValue

from symir.dialects import branch, stablehlo
from symir.lowering.conversion.stablehlo_builder import StablehloBuilder, row_column

MAX_DENSE_LOOKUP = 1 << 20
"""A `branch.lookup` whose index is known only at run time reads a dense table spanning
its keys (`max - min + 1` entries, zeros between them) when that is at most this many
entries (8 MiB of `f64`)."""

MAX_DYNAMIC_LOOKUP_KEYS = 256
"""A `branch.lookup` whose index is known only at run time and whose keys span more than
`MAX_DENSE_LOOKUP` compares it with every key: at most this many."""


def lower_lookup(low: StablehloBuilder, op: branch.LookupOp) -> SSAValue:
    """`op` lowered: the looked-up values as a `constant` broadcast over the batch,
    when the index is a row-table column (what the DSL builds from labels); at an index
    known only at run time, a `gather` from a dense table spanning the keys (`table[k -
    min]`, a last entry 0.0 read by the indices outside the span), or where the span is
    too large for one (`MAX_DENSE_LOOKUP`), a sum of `select(index == key, value, 0)`
    over the keys (at most `MAX_DYNAMIC_LOOKUP_KEYS`)."""
    if op.table_param is not None:
        return _table_lookup(low, op)
    keys, values = op.keys.get_values(), op.values.get_values()
    table = dict(zip(keys, values, strict=True))
    shape = op.result.type.get_shape()
    column = _static_column(op.index)
    if column is not None:
        c = low.array(np.asarray([table.get(k, 0.0) for k in column], dtype=np.float64))
        return low.broadcast(c, [1], shape)
    if not keys:
        return low.broadcast(low.const(0.0, f64), [], shape)
    first, span = min(keys), max(keys) - min(keys) + 1
    if span <= MAX_DENSE_LOOKUP:
        return _dense_lookup(low, op.index, table, first, span, shape)
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
    return total


def _table_lookup(low: StablehloBuilder, op: branch.LookupOp) -> SSAValue:
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


def position_table(low: StablehloBuilder, index: SSAValue, keys: Sequence[int], shape) -> SSAValue:
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
    keys = row_column(index)
    return None if keys is None else keys.tolist()


def _dense_lookup(
    low: StablehloBuilder, index: SSAValue, table: dict, first: int, span: int, shape
) -> SSAValue:
    """`dense[index - first]` with `dense` the table over `first .. first + span - 1` and a
    last entry 0.0, which the indices outside the span read."""
    dense = np.zeros(span + 1)
    dense[np.asarray(list(table), np.int64) - first] = list(table.values())
    return _dense_read(low, index, dense, first, span, shape)


def _dense_read(
    low: StablehloBuilder, index: SSAValue, dense: np.ndarray, first: int, span: int, shape
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
