"""The ops that make values (one per batch entry and row) from constants, the iterator's
rows and the configuration: `branch.constant`, `branch.column`, `branch.splat`,
`branch.read`, `branch.quadratic_form`, `branch.count`, `branch.parity_sum`, and the lowering choices of
`read` and `count`.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import (
    DenseArrayBase,
    FloatAttr,
    IntegerAttr,
    StringAttr,
    TensorType,
    f64,
    i64,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from symir.dialects import sym
from symir.dialects.branch.kernel import kernel_states
from symir.dialects.branch.types import (
    _elem,
    _input_sites,
    _rows_of,
    _same_rows,
    i64_array,
    values_type,
)
from symir.dialects.types import c64


class _RowsFromX(IRDLOperation):
    """An op that makes a `tensor<?xMxT>` for the batch of `%x`."""

    x = operand_def(TensorType)
    result = result_def(TensorType)

    traits = traits_def(Pure())

    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$x attr-dict `:` type($x) `->` type($result)"

    @property
    def rows(self) -> int:
        return _rows_of(self, self.result.type, "result")


@irdl_op_definition
class ConstantOp(_RowsFromX):
    """A constant, broadcast over the batch of `%x` and M rows.

    ```mlir
    %c = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x3xf64>
    ```
    """

    name = "branch.constant"

    value = prop_def(IntegerAttr | FloatAttr)

    def __init__(self, x: SSAValue, value: IntegerAttr | FloatAttr, rows: int):
        super().__init__(
            operands=[x], properties={"value": value}, result_types=[values_type(rows, value.type)]
        )

    def verify_(self):
        self.rows  # noqa: B018
        if _elem(self.result.type) != self.value.type:
            raise VerifyException("'branch.constant' value type must be the result element type")


@irdl_op_definition
class ColumnOp(_RowsFromX):
    """A per-row integer constant (a label's site index in every row), broadcast over
    the batch of `%x`.

    ```mlir
    %i = branch.column %x {values = array<i64: 0, 1, 2>} : tensor<?x4xi8> -> tensor<?x3xi64>
    ```
    """

    name = "branch.column"

    values = prop_def(DenseArrayBase)

    def __init__(self, x: SSAValue, values: Sequence[int]):
        super().__init__(
            operands=[x],
            properties={"values": i64_array(values)},
            result_types=[values_type(len(values), i64)],
        )

    def verify_(self):
        if self.rows != len(self.values.get_values()):
            raise VerifyException(
                f"'branch.column' has {len(self.values.get_values())} values for {self.rows} rows"
            )
        if _elem(self.result.type) != i64:
            raise VerifyException("'branch.column' result must have i64 elements")


@irdl_op_definition
class SplatOp(IRDLOperation):
    """Broadcasts a runtime parameter (0-d tensor) over the batch of `%x` and M rows.

    ```mlir
    %h = branch.splat %p, %x : tensor<f64>, tensor<?x4xi8> -> tensor<?x3xf64>
    ```
    """

    name = "branch.splat"

    scalar = operand_def(TensorType)
    x = operand_def(TensorType)
    result = result_def(TensorType)

    traits = traits_def(Pure())

    assembly_format = "$scalar `,` $x attr-dict `:` type($scalar) `,` type($x) `->` type($result)"

    def __init__(self, scalar: SSAValue, x: SSAValue, rows: int):
        assert isinstance(scalar.type, TensorType)
        super().__init__(
            operands=[scalar, x], result_types=[values_type(rows, scalar.type.element_type)]
        )

    def verify_(self):
        _rows_of(self, self.result.type, "result")
        if _elem(self.result.type) != _elem(self.scalar.type):
            raise VerifyException("'branch.splat' result element type must be the scalar's")


@irdl_op_definition
class ReadOp(IRDLOperation):
    """Gathers `x[b, sites[b, m] mod N]`: the source configuration at a site per row.

    `lowering`, set by `branch-choose-lowering` (absent: `convert-branch-to-stablehlo`
    applies the same cost model itself), says how the read becomes StableHLO (`READ_LOWERINGS`):
    `x` (the identity column: x itself), `slices` (strided runs of x), `take` (a
    constant-index gather without batching dimensions), `permuted` (takes of the column's
    blocks of distinct sites, each shared by every read holding it) or `gather` (a gather
    with batching dimensions). All but `gather` need the sites to be a `branch.column`.

    ```mlir
    %v = branch.read %x, %i : tensor<?x4xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
    %w = branch.read %x, %j {lowering = "take"} : tensor<?x4xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
    ```
    """

    name = "branch.read"

    x = operand_def(TensorType)
    sites = operand_def(TensorType)
    lowering = opt_prop_def(StringAttr)
    result = result_def(TensorType)

    traits = traits_def(Pure())

    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$x `,` $sites attr-dict `:` type($x) `,` type($sites) `->` type($result)"

    def __init__(self, x: SSAValue, sites: SSAValue, lowering: str | None = None):
        rows = _rows_of(self, sites.type, "sites")
        props = {"lowering": StringAttr(lowering)} if lowering is not None else {}
        super().__init__(
            operands=[x, sites], properties=props, result_types=[values_type(rows, i64)]
        )

    def verify_(self):
        n = _input_sites(self, self.x.type)
        rows = _rows_of(self, self.sites.type, "sites")
        if self.result.type != values_type(rows, i64):
            raise VerifyException(f"'branch.read' result must be {values_type(rows, i64)}")
        if self.lowering is None:
            return
        how = self.lowering.data
        if how not in READ_LOWERINGS:
            raise VerifyException(
                f"'branch.read' lowering must be one of {READ_LOWERINGS}, got {how!r}"
            )
        column = self.sites.owner
        if how != "gather" and not isinstance(column, ColumnOp):
            raise VerifyException(
                f"'branch.read' lowering {how!r} needs sites from a 'branch.column'"
            )
        if how == "x" and [v % n for v in column.values.get_values()] != list(range(n)):
            raise VerifyException(
                "'branch.read' lowering 'x' needs the identity column (sites 0..N-1)"
            )


READ_LOWERINGS = ("x", "slices", "take", "permuted", "gather")
"""The ways a `branch.read` can be lowered (`ReadOp.lowering`)."""


@irdl_op_definition
class QuadraticFormOp(IRDLOperation):
    """A diagonal sum as one quadratic form of the configuration: per batch entry,
    `sum_r weights[r] x[pairs[2r]] x[pairs[2r+1]] + sum_s linear[s] x[sites[s]] + constant`,
    that is `x^T A x + w . x + c` with a static N x N matrix `A` and vector `w`. Made by
    `branch-choose-lowering` from a `branch.sum_rows` of products of at most two reads
    (a bond table's `sum_rows(c * x[i] * x[j])`) where the cost model prefers it; lowered
    to a matrix product (`stablehlo.dot_general`). The result (real) is of the kernel's
    dtype.

    ```mlir
    %q = branch.quadratic_form %x {pairs = array<i64: 0, 1, 1, 2>, weights = array<f64: 1.0, 1.0>, sites = array<i64: 0>, linear = array<f64: -0.5>, constant = 0.0 : f64} : tensor<?x3xi8> -> tensor<?x1xf64>
    ```
    """

    name = "branch.quadratic_form"

    x = operand_def(TensorType)
    pairs = prop_def(DenseArrayBase)
    weights = prop_def(DenseArrayBase)
    sites = prop_def(DenseArrayBase)
    linear = prop_def(DenseArrayBase)
    constant = prop_def(FloatAttr)
    result = result_def(TensorType)

    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$x attr-dict `:` type($x) `->` type($result)"

    def __init__(
        self,
        x: SSAValue,
        pairs: Sequence[tuple[int, int]],
        weights: Sequence[float],
        sites: Sequence[int],
        linear: Sequence[float],
        constant: float,
        dtype: Attribute = f64,
    ):
        flat = [int(s) for pair in pairs for s in pair]
        super().__init__(
            operands=[x],
            properties={
                "pairs": i64_array(flat),
                "weights": DenseArrayBase.from_list(f64, [float(w) for w in weights]),
                "sites": i64_array(sites),
                "linear": DenseArrayBase.from_list(f64, [float(w) for w in linear]),
                "constant": FloatAttr(float(constant), f64),
            },
            result_types=[values_type(1, dtype)],
        )

    @property
    def pair_sites(self) -> list[tuple[int, int]]:
        flat = self.pairs.get_values()
        return list(zip(flat[0::2], flat[1::2]))

    def verify_(self):
        n = _input_sites(self, self.x.type)
        for name in ("pairs", "sites"):
            arr = getattr(self, name)
            if arr.elt_type != i64 or any(not 0 <= v < n for v in arr.get_values()):
                raise VerifyException(
                    f"'branch.quadratic_form' {name} must be i64 sites in [0, {n})"
                )
        for name in ("weights", "linear"):
            if getattr(self, name).elt_type != f64:
                raise VerifyException(f"'branch.quadratic_form' {name} must be f64")
        if len(self.pairs.get_values()) != 2 * len(self.weights.get_values()):
            raise VerifyException("'branch.quadratic_form' needs one weight per pair of sites")
        if len(self.sites.get_values()) != len(self.linear.get_values()):
            raise VerifyException("'branch.quadratic_form' needs one linear weight per site")
        if self.result.type not in (values_type(1, f64), values_type(1, c64)):
            raise VerifyException(
                "'branch.quadratic_form' result must be tensor<?x1xf64> or tensor<?x1xcomplex<f64>>"
            )


COUNT_STRATEGIES = ("masked", "prefix")
"""How `branch.count` may be lowered: a masked reduction of `x` per row, or one prefix
sum of `x` (a cumulative sum) read at both bounds."""


@irdl_op_definition
class CountOp(IRDLOperation):
    """`x[b, lo] + ... + x[b, hi-1]` per batch entry and row, the bounds clamped to
    `[0, N]` (the counterpart of `sym.count`).

    `strategy` (optional) fixes the lowering: `"masked"` (a reduction of `x` under the mask
    `lo <= k < hi` of each row) or `"prefix"` (a cumulative sum of `x`, read at `hi` and
    `lo`); without it `convert-branch-to-stablehlo` chooses by its cost model.

    ```mlir
    %n = branch.count %x, %lo, %hi : tensor<?x4xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi64>
    ```
    """

    name = "branch.count"

    x = operand_def(TensorType)
    lo = operand_def(TensorType)
    hi = operand_def(TensorType)
    result = result_def(TensorType)
    strategy = opt_prop_def(StringAttr)

    traits = traits_def(Pure())

    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = (
        "$x `,` $lo `,` $hi attr-dict `:` type($x) `,` type($lo) `,` type($hi) `->` type($result)"
    )

    def __init__(self, x: SSAValue, lo: SSAValue, hi: SSAValue, strategy: str | None = None):
        rows = _rows_of(self, lo.type, "lower bounds")
        props = {"strategy": StringAttr(strategy)} if strategy is not None else {}
        super().__init__(
            operands=[x, lo, hi], properties=props, result_types=[values_type(rows, i64)]
        )

    def verify_(self):
        _input_sites(self, self.x.type)
        rows = _same_rows(self, [self.lo, self.hi])
        for what, v in (("lower bounds", self.lo), ("upper bounds", self.hi)):
            if _elem(v.type) != i64:
                raise VerifyException(f"'branch.count' {what} must have i64 elements")
        if self.result.type != values_type(rows, i64):
            raise VerifyException(f"'branch.count' result must be {values_type(rows, i64)}")
        if self.strategy is not None and self.strategy.data not in COUNT_STRATEGIES:
            raise VerifyException(
                f"'branch.count' strategy \"{self.strategy.data}\" is not one of "
                f"{list(COUNT_STRATEGIES)}"
            )


@irdl_op_definition
class NthSiteOp(IRDLOperation):
    """Per batch entry and row: the site of the `rank[b, m]`-th (from 0) of the static
    `sites`, in their order, with `x[b, site] == state`; `-1` where the rank is negative
    or fewer sites hold `state` (the counterpart of `sym.nth_site`).

    ```mlir
    %s = branch.nth_site %x, %k {sites = array<i64: 0, 1, 2, 3>, state = 1 : i64} : tensor<?x4xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
    ```
    """

    name = "branch.nth_site"

    x = operand_def(TensorType)
    rank = operand_def(TensorType)
    sites = prop_def(DenseArrayBase)
    state = prop_def(IntegerAttr)
    result = result_def(TensorType)

    traits = traits_def(Pure())

    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$x `,` $rank attr-dict `:` type($x) `,` type($rank) `->` type($result)"

    def __init__(self, x: SSAValue, rank: SSAValue, sites: Sequence[int], state: int):
        rows = _rows_of(self, rank.type, "ranks")
        super().__init__(
            operands=[x, rank],
            properties={"sites": i64_array(sites), "state": IntegerAttr(int(state), i64)},
            result_types=[values_type(rows, i64)],
        )

    @property
    def site_list(self) -> tuple[int, ...]:
        return tuple(int(s) for s in self.sites.get_values())

    def verify_(self):
        n = _input_sites(self, self.x.type)
        rows = _rows_of(self, self.rank.type, "ranks")
        if _elem(self.rank.type) != i64:
            raise VerifyException("'branch.nth_site' ranks must have i64 elements")
        if self.result.type != values_type(rows, i64):
            raise VerifyException(f"'branch.nth_site' result must be {values_type(rows, i64)}")
        if self.sites.elt_type != i64 or self.state.type != i64:
            raise VerifyException("'branch.nth_site' sites must be an array<i64>, state an i64")
        sym.check_site_list(self, self.site_list, n)
        states = kernel_states(self)
        v = self.state.value.data
        if states is not None and v not in states:
            raise VerifyException(
                f"'branch.nth_site' state {v} is not a local state {list(states)}"
            )


@irdl_op_definition
class ParitySumOp(IRDLOperation):
    """Per batch entry and row: `sum_t c_t (-1)^(sites of mask_t where x[b] holds
    state)` over the entries `t` of key `k[b, m]` (the counterpart of `sym.parity_sum`,
    with its tables); lowered when the keys are a row-table column: the sign counts of
    all the entries are one `dot_general` of `x == state` with the unpacked masks.

    ```mlir
    %v = branch.parity_sum %x, %k {offsets = array<i64: 0, 1, 3>, masks = array<i64: 1, 2, 6>, real = array<f64: 0.5, 1.0, -2.0>, state = 1 : i64} : tensor<?x4xi8>, tensor<?x2xi64> -> tensor<?x2xf64>
    ```
    """

    name = "branch.parity_sum"

    x = operand_def(TensorType)
    index = operand_def(TensorType)
    offsets = prop_def(DenseArrayBase)
    masks = prop_def(DenseArrayBase)
    real = prop_def(DenseArrayBase)
    imag = opt_prop_def(DenseArrayBase)
    state = prop_def(IntegerAttr)
    result = result_def(TensorType)

    traits = traits_def(Pure())

    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$x `,` $index attr-dict `:` type($x) `,` type($index) `->` type($result)"

    def __init__(self, x: SSAValue, index: SSAValue, source: sym.ParitySumOp):
        rows = _rows_of(self, index.type, "keys")
        props = {
            "offsets": source.offsets,
            "masks": source.masks,
            "real": source.real,
            "state": source.state,
        }
        if source.imag is not None:
            props["imag"] = source.imag
        super().__init__(
            operands=[x, index],
            properties=props,
            result_types=[values_type(rows, source.result.type)],
        )

    def tables(self):
        return sym.ParitySumOp.tables(self)  # type: ignore[arg-type]

    def verify_(self):
        n = _input_sites(self, self.x.type)
        rows = _rows_of(self, self.index.type, "keys")
        if _elem(self.index.type) != i64:
            raise VerifyException("'branch.parity_sum' keys must have i64 elements")
        expected = values_type(rows, f64 if self.imag is None else c64)
        if self.result.type != expected:
            raise VerifyException(f"'branch.parity_sum' result must be {expected}")
        offsets, words, c = self.tables()
        if len(offsets) < 1 or offsets[0] != 0 or offsets[-1] != len(c):
            raise VerifyException(
                "'branch.parity_sum' offsets must start at 0 and end at the number of coefficients"
            )
        problem = sym.check_words(words, n)
        if problem is None and len(words) != sym.words_per_mask(n) * len(c):
            problem = f"needs {sym.words_per_mask(n)} mask words per coefficient"
        if problem is not None:
            raise VerifyException(f"'branch.parity_sum' {problem}")
        states = kernel_states(self)
        v = self.state.value.data
        if states is not None and v not in states:
            raise VerifyException(
                f"'branch.parity_sum' state {v} is not a local state {list(states)}"
            )
