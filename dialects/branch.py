"""The `branch` dialect: an operator as tensors of branches over a batch of configurations.

A `branch.kernel` computes, for a batch `x : tensor<?xNxi8>`, the connected configurations
and matrix elements of every branch. Every term becomes tensors with one column per
iterator row: a value is a `tensor<?xMxT>` (batch x rows), a partially built connected
configuration is a `!branch.state<MxNxi8>` (for every batch entry and row: the
configuration `x'` and whether the branch is still valid). `branch.emit` applies the
runtime contract (an inactive branch is `x' = x`, `mel = 0`), `branch.concat` joins the
branches of all terms and `branch.return` ends the kernel.

Element types and promotion are the `sym` dialect's (`i1 < i64 < f64 < complex<f64>`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import DYNAMIC_INDEX as DYN
from xdsl.dialects.builtin import (
    ArrayAttr,
    BytesAttr,
    ComplexType,
    DenseArrayBase,
    Float64Type,
    FloatAttr,
    IntAttr,
    IntegerAttr,
    IntegerType,
    StringAttr,
    TensorType,
    UnitAttr,
    f64,
    i1,
    i64,
)
from xdsl.ir import (
    Attribute,
    Dialect,
    Operation,
    ParametrizedAttribute,
    Region,
    SSAValue,
    TypeAttribute,
)
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_attr_definition,
    irdl_op_definition,
    lazy_traits_def,
    operand_def,
    opt_prop_def,
    param_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.parser import AttrParser, Parser
from xdsl.printer import Printer
from xdsl.traits import HasParent, IsTerminator, Pure
from xdsl.utils.exceptions import VerifyException

from symir.dialects import sym
from symir.dialects.dominance import check_dominance
from symir.dialects.types import (
    CMP_PREDICATES,
    NUMERIC,
    CmpPredicate,
    CmpPredicateAttr,
    c64,
    promote,
)

# --------------------------------------------------------------------------- types


@irdl_attr_definition
class StateType(ParametrizedAttribute, TypeAttribute):
    """`!branch.state<MxNxT>`: per batch entry and row, a configuration `x'` of N sites of
    element type T, and a validity flag. Lowered to `tensor<?xMxNxT>` and `tensor<?xMxi1>`.
    """

    name = "branch.state"

    rows: IntAttr = param_def(IntAttr)
    sites: IntAttr = param_def(IntAttr)
    element_type: IntegerType = param_def(IntegerType)

    def __init__(self, rows: int, sites: int, element_type: IntegerType):
        super().__init__(IntAttr(rows), IntAttr(sites), element_type)

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[Attribute]:
        parser.parse_punctuation("<")
        shape, elem = parser.parse_ranked_shape()
        parser.parse_punctuation(">")
        if len(shape) != 2:
            parser.raise_error("!branch.state expects <rows x sites x type>")
        return (IntAttr(shape[0]), IntAttr(shape[1]), elem)

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string(f"<{self.rows.data}x{self.sites.data}x")
        printer.print_attribute(self.element_type)
        printer.print_string(">")


def i64_array(values: Sequence[int]) -> DenseArrayBase:
    """`array<i64: ...>` of `values`, packed by numpy (what `DenseArrayBase.from_list`
    gives, without a Python call per value: a row-table column has thousands)."""
    data = np.asarray(values, dtype=np.int64).astype("<i8", copy=False)
    return DenseArrayBase(i64, BytesAttr(data.tobytes()))


def values_type(rows: int, element_type: Attribute) -> TensorType:
    """`tensor<?xMxT>`: one value per batch entry and row."""
    return TensorType(element_type, [DYN, rows])


def _rows_of(op: Operation, t: Attribute, what: str) -> int:
    if not isinstance(t, TensorType) or len(t.get_shape()) != 2 or t.get_shape()[0] != DYN:
        raise VerifyException(f"'{op.name}' {what} must be a tensor<?xMxT>, got {t}")
    return t.get_shape()[1]


def _elem(t: Attribute) -> Attribute:
    assert isinstance(t, TensorType)
    return t.element_type


def _input_sites(op: Operation, t: Attribute) -> int:
    if not isinstance(t, TensorType) or len(t.get_shape()) != 2 or t.get_shape()[0] != DYN:
        raise VerifyException(f"'{op.name}' configurations must be a tensor<?xNxiK>, got {t}")
    return t.get_shape()[1]


def _same_rows(op: Operation, values: Sequence[SSAValue]) -> int:
    rows = {_rows_of(op, v.type, "operand") for v in values}
    if len(rows) != 1:
        raise VerifyException(f"'{op.name}' operands have different row counts {sorted(rows)}")
    return rows.pop()


Numeric = NUMERIC

# --------------------------------------------------------------------------- kernel


def _check_states(op: Operation, what: str, states: DenseArrayBase) -> None:
    """A set of local states: `array<i64: ...>`, not empty, strictly increasing (the
    conversion compares with the first and last, and tests contiguity)."""
    values = list(states.get_values())
    if states.elt_type != i64 or not values or values != sorted(set(values)):
        raise VerifyException(
            f"'{op.name}' {what} must be a non-empty, strictly increasing array<i64>, got {values}"
        )


@irdl_op_definition
class KernelOp(IRDLOperation):
    """The whole operator as one batched kernel.

    Its block takes the configurations `tensor<?xNxT>` and one scalar tensor per runtime
    parameter (`params` gives their names, in order) and ends with `branch.return`.

    ```mlir
    branch.kernel @tfim sites 4 states [-1, 1] dtype f64 params ["h"] {
    ^bb0(%x: tensor<?x4xi8>, %h: tensor<f64>):
      ...
      branch.return %xp, %mels : tensor<?x5x4xi8>, tensor<?x5xf64>
    }
    ```
    """

    name = "branch.kernel"

    sym_name = prop_def(StringAttr)
    num_sites = prop_def(IntAttr)
    local_states = prop_def(DenseArrayBase)
    dtype = prop_def(Float64Type | ComplexType)
    params = prop_def(ArrayAttr[StringAttr])
    hermitian = opt_prop_def(UnitAttr)
    body = region_def("single_block")

    def __init__(
        self,
        name: str,
        num_sites: int,
        local_states: Sequence[int],
        dtype: Attribute,
        params: Sequence[str],
        hermitian: bool,
        body: Region,
    ):
        props: dict[str, Attribute] = {
            "sym_name": StringAttr(name),
            "num_sites": IntAttr(num_sites),
            "local_states": DenseArrayBase.from_list(i64, list(local_states)),
            "dtype": dtype,
            "params": ArrayAttr([StringAttr(p) for p in params]),
        }
        if hermitian:
            props["hermitian"] = UnitAttr()
        super().__init__(properties=props, regions=[body])

    @property
    def states(self) -> tuple[int, ...]:
        return tuple(self.local_states.get_values())

    @property
    def x(self) -> SSAValue:
        return self.body.block.args[0]

    @property
    def param_args(self) -> Sequence[SSAValue]:
        return self.body.block.args[1:]

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.data for p in self.params.data)

    def verify_(self):
        check_dominance(self)
        args = self.body.block.args
        n = self.num_sites.data
        if not 1 <= n <= sym.MAX_SITES:
            raise VerifyException(f"'branch.kernel' has {n} sites, outside [1, {sym.MAX_SITES}]")
        _check_states(self, "local states", self.local_states)
        if not args or _input_sites(self, args[0].type) != n:
            raise VerifyException(
                f"'branch.kernel' first argument must be tensor<?x{n}xiK>, "
                f"got {args[0].type if args else 'nothing'}"
            )
        if len(args) - 1 != len(self.params.data):
            raise VerifyException(
                f"'branch.kernel' has {len(self.params.data)} parameter names but "
                f"{len(args) - 1} parameter arguments"
            )
        for a in args[1:]:
            if not isinstance(a.type, TensorType) or a.type.get_shape() != ():
                raise VerifyException(
                    f"'branch.kernel' parameters must be 0-d tensors, got {a.type}"
                )

    def print(self, printer: Printer):
        printer.print_string(" ")
        printer.print_symbol_name(self.sym_name.data)
        printer.print_string(f" sites {self.num_sites.data} states [")
        printer.print_string(", ".join(str(s) for s in self.states))
        printer.print_string("] dtype ")
        printer.print_attribute(self.dtype)
        printer.print_string(" params [")
        printer.print_list(self.param_names, printer.print_string_literal)
        printer.print_string("]")
        if self.hermitian is not None:
            printer.print_string(" hermitian")
        printer.print_string(" ")
        printer.print_region(self.body, print_entry_block_args=True)

    @classmethod
    def parse(cls, parser: Parser) -> KernelOp:
        name = parser.parse_symbol_name().data
        parser.parse_keyword("sites")
        n = parser.parse_integer(allow_boolean=False, allow_negative=False)
        parser.parse_keyword("states")
        states = parser.parse_comma_separated_list(parser.Delimiter.SQUARE, parser.parse_integer)
        parser.parse_keyword("dtype")
        dtype = parser.parse_type()
        parser.parse_keyword("params")
        params = parser.parse_comma_separated_list(
            parser.Delimiter.SQUARE, parser.parse_str_literal
        )
        hermitian = parser.parse_optional_keyword("hermitian") is not None
        body = parser.parse_region()
        return cls(name, n, states, dtype, params, hermitian, body)


@irdl_op_definition
class ReturnOp(IRDLOperation):
    """Ends a kernel with the padded connected configurations and matrix elements, and,
    in a derivative kernel (`branch-differentiate`), partial derivatives of the matrix
    elements: one `tensor<?xFxT>` per name in `wrt`, slot for slot with `mels`.

    ```mlir
    branch.return %xp, %mels : tensor<?x5x4xi8>, tensor<?x5xf64>
    branch.return %xp, %mels, %dh {wrt = ["h"]} : tensor<?x5x4xi8>, tensor<?x5xf64>, tensor<?x5xf64>
    ```
    """

    name = "branch.return"

    xp = operand_def(TensorType)
    mels = operand_def(TensorType)
    derivatives = var_operand_def(TensorType)
    wrt = opt_prop_def(ArrayAttr[StringAttr])

    traits = lazy_traits_def(lambda: (IsTerminator(), HasParent(KernelOp)))

    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = (
        "$xp `,` $mels (`,` $derivatives^)? attr-dict `:` type($xp) `,` type($mels) "
        "(`,` type($derivatives)^)?"
    )

    def __init__(
        self,
        xp: SSAValue,
        mels: SSAValue,
        derivatives: Sequence[SSAValue] = (),
        wrt: Sequence[str] = (),
    ):
        props: dict[str, Attribute] = {}
        if wrt:
            props["wrt"] = ArrayAttr([StringAttr(w) for w in wrt])
        super().__init__(operands=[xp, mels, list(derivatives)], properties=props)

    @property
    def wrt_names(self) -> tuple[str, ...]:
        """What each of `derivatives` is the derivative with respect to."""
        return tuple(w.data for w in self.wrt.data) if self.wrt is not None else ()

    def verify_(self):
        kernel = self.parent_op()
        assert isinstance(kernel, KernelOp)
        if len(self.wrt_names) != len(self.derivatives):
            raise VerifyException(
                f"'branch.return' has {len(self.derivatives)} derivative(s) but "
                f"{len(self.wrt_names)} name(s) in wrt"
            )
        if len(kernel.body.blocks) != 1 or not kernel.body.block.args:
            return  # the kernel's own verifier reports a body of several blocks, no arguments
        xt, mt = self.xp.type, self.mels.type
        assert isinstance(xt, TensorType) and isinstance(mt, TensorType)
        n = kernel.num_sites.data
        if len(xt.get_shape()) != 3 or xt.get_shape()[2] != n or xt.get_shape()[0] != DYN:
            raise VerifyException(f"'branch.return' xp must be tensor<?xFx{n}xiK>, got {xt}")
        f = xt.get_shape()[1]
        if mt.get_shape() != (DYN, f) or mt.element_type != kernel.dtype:
            raise VerifyException(
                f"'branch.return' mels must be tensor<?x{f}x{kernel.dtype}>, got {mt}"
            )
        for d in self.derivatives:
            if d.type != mt:
                raise VerifyException(
                    f"'branch.return' derivatives must have the type of mels ({mt}), got {d.type}"
                )
        if xt.element_type != _elem(kernel.x.type):
            raise VerifyException(
                f"'branch.return' xp element type {xt.element_type} differs from the "
                f"input's {_elem(kernel.x.type)}"
            )


@irdl_op_definition
class ReturnDeltasOp(IRDLOperation):
    """Ends a *delta kernel* (`branch-return-deltas`): instead of the connected
    configurations `xp`, for every slot the sites its branch writes and the values of
    `xp` there, `tensor<?xFxKxi64>` each (K: the most sites a branch writes), then the
    matrix elements and, in a derivative kernel, their derivatives as in `branch.return`.

    Applying the K entries of a slot to `x` (`x[sites[f, j]] = values[f, j]`, in any
    order: an entry that repeats a site carries the same value) gives that slot's `xp`.

    ```mlir
    branch.return_deltas %sites, %values, %mels : tensor<?x5x2xi64>, tensor<?x5x2xi64>, tensor<?x5xf64>
    branch.return_deltas %sites, %values, %mels, %dh {wrt = ["h"]} : tensor<?x5x1xi64>, tensor<?x5x1xi64>, tensor<?x5xf64>, tensor<?x5xf64>
    ```
    """

    name = "branch.return_deltas"

    sites = operand_def(TensorType)
    values = operand_def(TensorType)
    mels = operand_def(TensorType)
    derivatives = var_operand_def(TensorType)
    wrt = opt_prop_def(ArrayAttr[StringAttr])

    traits = lazy_traits_def(lambda: (IsTerminator(), HasParent(KernelOp)))

    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = (
        "$sites `,` $values `,` $mels (`,` $derivatives^)? attr-dict `:` type($sites) `,` "
        "type($values) `,` type($mels) (`,` type($derivatives)^)?"
    )

    def __init__(
        self,
        sites: SSAValue,
        values: SSAValue,
        mels: SSAValue,
        derivatives: Sequence[SSAValue] = (),
        wrt: Sequence[str] = (),
    ):
        props: dict[str, Attribute] = {}
        if wrt:
            props["wrt"] = ArrayAttr([StringAttr(w) for w in wrt])
        super().__init__(operands=[sites, values, mels, list(derivatives)], properties=props)

    @property
    def wrt_names(self) -> tuple[str, ...]:
        return tuple(w.data for w in self.wrt.data) if self.wrt is not None else ()

    @property
    def width(self) -> int:
        """K: the entries of each slot."""
        return self.sites.type.get_shape()[2]  # type: ignore[union-attr]

    def verify_(self):
        kernel = self.parent_op()
        assert isinstance(kernel, KernelOp)
        if len(self.wrt_names) != len(self.derivatives):
            raise VerifyException(
                f"'branch.return_deltas' has {len(self.derivatives)} derivative(s) but "
                f"{len(self.wrt_names)} name(s) in wrt"
            )
        st, mt = self.sites.type, self.mels.type
        assert isinstance(st, TensorType) and isinstance(mt, TensorType)
        shape = st.get_shape()
        if len(shape) != 3 or shape[0] != DYN or shape[2] < 1 or st.element_type != i64:
            raise VerifyException(
                f"'branch.return_deltas' sites must be tensor<?xFxKxi64> with K >= 1, got {st}"
            )
        if self.values.type != st:
            raise VerifyException(
                f"'branch.return_deltas' values must have the type of sites ({st}), "
                f"got {self.values.type}"
            )
        if mt.get_shape() != (DYN, shape[1]) or mt.element_type != kernel.dtype:
            raise VerifyException(
                f"'branch.return_deltas' mels must be tensor<?x{shape[1]}x{kernel.dtype}>, got {mt}"
            )
        for d in self.derivatives:
            if d.type != mt:
                raise VerifyException(
                    f"'branch.return_deltas' derivatives must have the type of mels ({mt}), "
                    f"got {d.type}"
                )


# --------------------------------------------------------------------------- values


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


# --------------------------------------------------------------------------- elementwise


class ElementwiseBase(IRDLOperation):
    """Elementwise op on `tensor<?xMxT>` values; element types follow `sym` promotion.

    Each is the counterpart of the `sym` expression op of the same mnemonic (`ELEMENTWISE`)
    and means what that op means, element by element."""

    traits = traits_def(Pure())

    ALLOWED: ClassVar[tuple[Attribute, ...]] = Numeric

    @classmethod
    def identity_on(cls) -> tuple[Attribute, ...]:
        """The element types on which the op is the identity (its `sym` counterpart's
        `IDENTITY_ON`): a lowering forwards the operand there."""
        source = sym.EXPRESSION_OPS.get(cls.name.removeprefix("branch."))
        return getattr(source, "IDENTITY_ON", ())

    def operand_values(self) -> Sequence[SSAValue]:
        return self.operands

    @classmethod
    def element_result(cls, *types: Attribute) -> Attribute:
        return promote(*types)

    def verify_(self):
        values = self.operand_values()
        rows = _same_rows(self, values)
        for v in values:
            if _elem(v.type) not in self.ALLOWED:
                raise VerifyException(f"'{self.name}' does not accept {_elem(v.type)} elements")
        expected = values_type(rows, self.element_result(*(_elem(v.type) for v in values)))
        if self.result.type != expected:
            raise VerifyException(
                f"'{self.name}' result must be {expected}, got {self.result.type}"
            )


class BinaryBase(ElementwiseBase):
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    result = result_def(TensorType)

    assembly_format = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)"

    AT_LEAST: ClassVar[Attribute | None] = None

    @classmethod
    def element_result(cls, *types: Attribute) -> Attribute:
        return promote(*types, at_least=cls.AT_LEAST)

    def __init__(self, lhs: SSAValue, rhs: SSAValue):
        rows = _rows_of(self, lhs.type, "lhs")
        t = self.element_result(_elem(lhs.type), _elem(rhs.type))
        super().__init__(operands=[lhs, rhs], result_types=[values_type(rows, t)])


@irdl_op_definition
class AddOp(BinaryBase):
    """Elementwise `lhs + rhs`.

    ```mlir
    %r = branch.add %a, %b : tensor<?x3xi64>, tensor<?x3xf64> -> tensor<?x3xf64>
    ```
    """

    name = "branch.add"


@irdl_op_definition
class SubOp(BinaryBase):
    """Elementwise `lhs - rhs`.

    ```mlir
    %r = branch.sub %a, %b : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi64>
    ```
    """

    name = "branch.sub"


@irdl_op_definition
class MulOp(BinaryBase):
    """Elementwise `lhs * rhs`.

    ```mlir
    %r = branch.mul %a, %b : tensor<?x3xf64>, tensor<?x3xi64> -> tensor<?x3xf64>
    ```
    """

    name = "branch.mul"


@irdl_op_definition
class DivOp(BinaryBase):
    """Elementwise true division; at least f64.

    ```mlir
    %r = branch.div %a, %b : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xf64>
    ```
    """

    name = "branch.div"
    AT_LEAST: ClassVar[Attribute | None] = f64


@irdl_op_definition
class PowOp(BinaryBase):
    """Elementwise power; at least f64.

    ```mlir
    %r = branch.pow %a, %b : tensor<?x3xf64>, tensor<?x3xi64> -> tensor<?x3xf64>
    ```
    """

    name = "branch.pow"
    AT_LEAST: ClassVar[Attribute | None] = f64


@irdl_op_definition
class MinOp(BinaryBase):
    """Elementwise minimum of real values.

    ```mlir
    %r = branch.min %a, %b : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi64>
    ```
    """

    name = "branch.min"
    ALLOWED: ClassVar[tuple[Attribute, ...]] = (i64, f64)


@irdl_op_definition
class MaxOp(BinaryBase):
    """Elementwise maximum of real values.

    ```mlir
    %r = branch.max %a, %b : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi64>
    ```
    """

    name = "branch.max"
    ALLOWED: ClassVar[tuple[Attribute, ...]] = (i64, f64)


class UnaryBase(ElementwiseBase):
    operand = operand_def(TensorType)
    result = result_def(TensorType)

    assembly_format = "$operand attr-dict `:` type($operand) `->` type($result)"

    @classmethod
    def element_result(cls, *types: Attribute) -> Attribute:
        return types[0]

    def __init__(self, operand: SSAValue):
        rows = _rows_of(self, operand.type, "operand")
        t = self.element_result(_elem(operand.type))
        super().__init__(operands=[operand], result_types=[values_type(rows, t)])


class FloatingUnaryBase(UnaryBase):
    @classmethod
    def element_result(cls, *types: Attribute) -> Attribute:
        return promote(types[0], at_least=f64)


@irdl_op_definition
class NegOp(UnaryBase):
    """Elementwise negation.

    ```mlir
    %r = branch.neg %a : tensor<?x3xi64> -> tensor<?x3xi64>
    ```
    """

    name = "branch.neg"


@irdl_op_definition
class AbsOp(UnaryBase):
    """Elementwise absolute value (complex modulus is f64).

    ```mlir
    %r = branch.abs %a : tensor<?x3xcomplex<f64>> -> tensor<?x3xf64>
    ```
    """

    name = "branch.abs"

    @classmethod
    def element_result(cls, *types: Attribute) -> Attribute:
        return f64 if types[0] == c64 else types[0]


@irdl_op_definition
class ConjOp(UnaryBase):
    """Elementwise complex conjugate.

    ```mlir
    %r = branch.conj %a : tensor<?x3xcomplex<f64>> -> tensor<?x3xcomplex<f64>>
    ```
    """

    name = "branch.conj"


@irdl_op_definition
class RealOp(UnaryBase):
    """Elementwise real part.

    ```mlir
    %r = branch.real %a : tensor<?x3xcomplex<f64>> -> tensor<?x3xf64>
    ```
    """

    name = "branch.real"
    ALLOWED: ClassVar[tuple[Attribute, ...]] = (c64,)

    @classmethod
    def element_result(cls, *types: Attribute) -> Attribute:
        return f64


@irdl_op_definition
class ImagOp(UnaryBase):
    """Elementwise imaginary part.

    ```mlir
    %r = branch.imag %a : tensor<?x3xcomplex<f64>> -> tensor<?x3xf64>
    ```
    """

    name = "branch.imag"
    ALLOWED: ClassVar[tuple[Attribute, ...]] = (c64,)

    @classmethod
    def element_result(cls, *types: Attribute) -> Attribute:
        return f64


@irdl_op_definition
class SqrtOp(FloatingUnaryBase):
    """Elementwise square root.

    ```mlir
    %r = branch.sqrt %a : tensor<?x3xi64> -> tensor<?x3xf64>
    ```
    """

    name = "branch.sqrt"


@irdl_op_definition
class ExpOp(FloatingUnaryBase):
    """Elementwise exponential.

    ```mlir
    %r = branch.exp %a : tensor<?x3xf64> -> tensor<?x3xf64>
    ```
    """

    name = "branch.exp"


@irdl_op_definition
class LogOp(FloatingUnaryBase):
    """Elementwise natural logarithm.

    ```mlir
    %r = branch.log %a : tensor<?x3xf64> -> tensor<?x3xf64>
    ```
    """

    name = "branch.log"


@irdl_op_definition
class SinOp(FloatingUnaryBase):
    """Elementwise sine.

    ```mlir
    %r = branch.sin %a : tensor<?x3xf64> -> tensor<?x3xf64>
    ```
    """

    name = "branch.sin"


@irdl_op_definition
class CosOp(FloatingUnaryBase):
    """Elementwise cosine.

    ```mlir
    %r = branch.cos %a : tensor<?x3xf64> -> tensor<?x3xf64>
    ```
    """

    name = "branch.cos"


@irdl_op_definition
class FloorOp(UnaryBase):
    """Elementwise floor of real values (the identity on i64).

    ```mlir
    %r = branch.floor %a : tensor<?x3xf64> -> tensor<?x3xf64>
    ```
    """

    name = "branch.floor"
    ALLOWED: ClassVar[tuple[Attribute, ...]] = (i64, f64)


@irdl_op_definition
class WrapModOp(UnaryBase):
    """Wraps integers into the contiguous states `lo .. lo+d-1`: `lo + (v - lo) mod d`.

    ```mlir
    %r = branch.wrap_mod %a {low = -1 : i64, count = 3 : i64} : tensor<?x3xi64> -> tensor<?x3xi64>
    ```
    """

    name = "branch.wrap_mod"

    low = prop_def(IntegerAttr)
    count = prop_def(IntegerAttr)

    irdl_options = (ParsePropInAttrDict(),)
    ALLOWED: ClassVar[tuple[Attribute, ...]] = (i64,)

    def __init__(self, operand: SSAValue, low: int, count: int):
        rows = _rows_of(self, operand.type, "operand")
        IRDLOperation.__init__(
            self,
            operands=[operand],
            properties={"low": IntegerAttr(low, i64), "count": IntegerAttr(count, i64)},
            result_types=[values_type(rows, i64)],
        )

    def verify_(self):
        super().verify_()
        if self.count.value.data < 1:
            raise VerifyException("'branch.wrap_mod' count must be >= 1")


@irdl_op_definition
class ParityOp(UnaryBase):
    """Elementwise `(-1)^n` of integers.

    ```mlir
    %s = branch.parity %n : tensor<?x3xi64> -> tensor<?x3xi64>
    ```
    """

    name = "branch.parity"
    ALLOWED: ClassVar[tuple[Attribute, ...]] = (i64,)


@irdl_op_definition
class ComplexOp(ElementwiseBase):
    """Elementwise `re + i im`.

    ```mlir
    %z = branch.complex %re, %im : tensor<?x3xf64>, tensor<?x3xf64> -> tensor<?x3xcomplex<f64>>
    ```
    """

    name = "branch.complex"

    re = operand_def(TensorType)
    im = operand_def(TensorType)
    result = result_def(TensorType)

    ALLOWED: ClassVar[tuple[Attribute, ...]] = (i64, f64)
    assembly_format = "$re `,` $im attr-dict `:` type($re) `,` type($im) `->` type($result)"

    @classmethod
    def element_result(cls, *types: Attribute) -> Attribute:
        return c64

    def __init__(self, re: SSAValue, im: SSAValue):
        rows = _rows_of(self, re.type, "re")
        super().__init__(operands=[re, im], result_types=[values_type(rows, c64)])


@irdl_op_definition
class CmpOp(ElementwiseBase):
    """Elementwise comparison (`lt le gt ge eq ne`, the `sym.cmp` predicate), giving `i1`.

    ```mlir
    %p = branch.cmp gt %a, %b : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi1>
    ```
    """

    name = "branch.cmp"

    predicate = prop_def(CmpPredicateAttr)
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    result = result_def(TensorType)

    ALLOWED: ClassVar[tuple[Attribute, ...]] = (i1, i64, f64, c64)

    def print(self, printer: Printer):
        printer.print_string(f" {self.predicate.data} ")
        printer.print_operand(self.lhs)
        printer.print_string(", ")
        printer.print_operand(self.rhs)
        printer.print_op_attributes(self.attributes)
        printer.print_string(" : ")
        printer.print_attribute(self.lhs.type)
        printer.print_string(", ")
        printer.print_attribute(self.rhs.type)
        printer.print_string(" -> ")
        printer.print_attribute(self.result.type)

    @classmethod
    def parse(cls, parser: Parser) -> CmpOp:
        pred = parser.parse_keyword_in(CMP_PREDICATES)
        lhs = parser.parse_unresolved_operand()
        parser.parse_punctuation(",")
        rhs = parser.parse_unresolved_operand()
        attributes = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        lt = parser.parse_type()
        parser.parse_punctuation(",")
        rt = parser.parse_type()
        parser.parse_punctuation("->")
        result_type = parser.parse_type()
        op = cls(pred, parser.resolve_operand(lhs, lt), parser.resolve_operand(rhs, rt))
        op.attributes.update(attributes)
        if op.result.type != result_type:
            parser.raise_error(f"'branch.cmp' result must be {op.result.type}, got {result_type}")
        return op

    @classmethod
    def element_result(cls, *types: Attribute) -> Attribute:
        return i1

    def __init__(self, predicate: str | CmpPredicate, lhs: SSAValue, rhs: SSAValue):
        rows = _rows_of(self, lhs.type, "lhs")
        super().__init__(
            operands=[lhs, rhs],
            properties={"predicate": CmpPredicateAttr(CmpPredicate(predicate))},
            result_types=[values_type(rows, i1)],
        )


class LogicBase(ElementwiseBase):
    inputs = var_operand_def(TensorType)
    result = result_def(TensorType)

    ALLOWED: ClassVar[tuple[Attribute, ...]] = (i1,)
    assembly_format = "$inputs attr-dict `:` type($inputs) `->` type($result)"

    def __init__(self, inputs: Sequence[SSAValue]):
        rows = _rows_of(self, inputs[0].type, "operand")
        super().__init__(operands=[list(inputs)], result_types=[values_type(rows, i1)])

    @classmethod
    def element_result(cls, *types: Attribute) -> Attribute:
        return i1


@irdl_op_definition
class AndOp(LogicBase):
    """Elementwise n-ary conjunction.

    ```mlir
    %p = branch.and %a, %b : tensor<?x3xi1>, tensor<?x3xi1> -> tensor<?x3xi1>
    ```
    """

    name = "branch.and"


@irdl_op_definition
class OrOp(LogicBase):
    """Elementwise n-ary disjunction.

    ```mlir
    %p = branch.or %a, %b : tensor<?x3xi1>, tensor<?x3xi1> -> tensor<?x3xi1>
    ```
    """

    name = "branch.or"


@irdl_op_definition
class NotOp(UnaryBase):
    """Elementwise negation of booleans.

    ```mlir
    %q = branch.not %p : tensor<?x3xi1> -> tensor<?x3xi1>
    ```
    """

    name = "branch.not"
    ALLOWED: ClassVar[tuple[Attribute, ...]] = (i1,)


@irdl_op_definition
class SelectOp(ElementwiseBase):
    """Elementwise `cond ? a : b`, promoted.

    ```mlir
    %r = branch.select %p, %a, %b : tensor<?x3xi1>, tensor<?x3xi64>, tensor<?x3xf64> -> tensor<?x3xf64>
    ```
    """

    name = "branch.select"

    condition = operand_def(TensorType)
    if_true = operand_def(TensorType)
    if_false = operand_def(TensorType)
    result = result_def(TensorType)

    assembly_format = (
        "$condition `,` $if_true `,` $if_false attr-dict `:` type($condition) `,` "
        "type($if_true) `,` type($if_false) `->` type($result)"
    )

    def operand_values(self):
        return (self.if_true, self.if_false)

    def __init__(self, condition: SSAValue, if_true: SSAValue, if_false: SSAValue):
        rows = _rows_of(self, condition.type, "condition")
        t = promote(_elem(if_true.type), _elem(if_false.type))
        super().__init__(
            operands=[condition, if_true, if_false], result_types=[values_type(rows, t)]
        )

    def verify_(self):
        super().verify_()
        if self.condition.type != values_type(_same_rows(self, self.operands), i1):
            raise VerifyException("'branch.select' condition must be a tensor<?xMxi1>")


@irdl_op_definition
class LookupOp(ElementwiseBase):
    """Elementwise entry of a static table at integer keys (`0.0` where the table has no
    entry): `sym.lookup` on every row. `convert-sym-to-branch` keeps only the entries its
    rows read when the keys are static per row; `convert-branch-to-stablehlo` reads the
    table at run-time keys by a gather from a dense table spanning them.

    ```mlir
    %c = branch.lookup %k {keys = array<i64: 0, 3>, values = array<f64: 0.5, -1.25>} : tensor<?x2xi64> -> tensor<?x2xf64>
    ```
    """

    name = "branch.lookup"

    keys = prop_def(DenseArrayBase)
    values = prop_def(DenseArrayBase)
    index = operand_def(TensorType)
    result = result_def(TensorType)

    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$index attr-dict `:` type($index) `->` type($result)"

    ALLOWED: ClassVar[tuple[Attribute, ...]] = (i64,)

    @classmethod
    def element_result(cls, *types: Attribute) -> Attribute:
        return f64

    def __init__(self, index: SSAValue, keys: Sequence[int], values: Sequence[float]):
        rows = _rows_of(self, index.type, "index")
        super().__init__(
            operands=[index],
            properties={
                "keys": sym.packed_array(i64, keys),
                "values": sym.packed_array(f64, values),
            },
            result_types=[values_type(rows, f64)],
        )

    def verify_(self):
        super().verify_()
        if len(self.keys.get_values()) != len(self.values.get_values()):
            raise VerifyException("'branch.lookup' needs as many keys as values")


@irdl_op_definition
class MemberOp(IRDLOperation):
    """Whether each value is one of the local states (`states`).

    ```mlir
    %ok = branch.member %v {states = array<i64: -1, 1>} : tensor<?x3xi64> -> tensor<?x3xi1>
    ```
    """

    name = "branch.member"

    value = operand_def(TensorType)
    states = prop_def(DenseArrayBase)
    result = result_def(TensorType)

    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$value attr-dict `:` type($value) `->` type($result)"

    def __init__(self, value: SSAValue, states: Sequence[int]):
        rows = _rows_of(self, value.type, "value")
        super().__init__(
            operands=[value],
            properties={"states": DenseArrayBase.from_list(i64, list(states))},
            result_types=[values_type(rows, i1)],
        )

    def verify_(self):
        _check_states(self, "states", self.states)
        rows = _rows_of(self, self.value.type, "value")
        if _elem(self.value.type) != i64 or self.result.type != values_type(rows, i1):
            raise VerifyException("'branch.member' maps tensor<?xMxi64> to tensor<?xMxi1>")


# --------------------------------------------------------------------------- states


def _state_of(op: Operation, v: SSAValue) -> StateType:
    if not isinstance(v.type, StateType):
        raise VerifyException(f"'{op.name}' expects a !branch.state, got {v.type}")
    return v.type


def _check_values_for_state(op: Operation, state: StateType, values: Sequence[SSAValue]):
    for v in values:
        rows = _rows_of(op, v.type, "operand")
        if rows != state.rows.data:
            raise VerifyException(
                f"'{op.name}' operand has {rows} rows but the state has {state.rows.data}"
            )
        if _elem(v.type) != i64:
            raise VerifyException(f"'{op.name}' sites and values must be i64, got {_elem(v.type)}")


@irdl_op_definition
class StateOp(IRDLOperation):
    """The initial connected configurations: `x` repeated for each of M rows, all valid.

    `lowering`, set by `branch-choose-lowering` (`STATE_LOWERINGS`), says how its rows
    become StableHLO (docs/cost-model.md): `concat` (absent: the writes compare a site
    iota, and each emission's `x'` is built alone and concatenated to the others'),
    `merged` (a write of static sites selects with a constant mask, and the `x'` of all
    the emissions a `branch.concat` joins are one select per write over all their rows)
    or `projected` (`merged`, the rows starting from `x` projected onto evenly spaced
    local states `s0, s0 + d, ..., s1`, `clamp(s0 + d floor((x - s0) / d), s0, s1)`: `x`
    itself on local states, in a form that XLA:CPU vectorises from fewer sites on).

    ```mlir
    %s = branch.state %x : tensor<?x4xi8> -> !branch.state<3x4xi8>
    %t = branch.state %x {lowering = "merged"} : tensor<?x4xi8> -> !branch.state<4x4xi8>
    ```
    """

    name = "branch.state"

    x = operand_def(TensorType)
    lowering = opt_prop_def(StringAttr)
    result = result_def(StateType)

    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$x attr-dict `:` type($x) `->` type($result)"

    def __init__(self, x: SSAValue, rows: int, lowering: str | None = None):
        assert isinstance(x.type, TensorType)
        n = x.type.get_shape()[1]
        props = {"lowering": StringAttr(lowering)} if lowering is not None else {}
        super().__init__(
            operands=[x],
            properties=props,
            result_types=[StateType(rows, n, x.type.element_type)],
        )

    def verify_(self):
        n = _input_sites(self, self.x.type)
        s = _state_of(self, self.result)
        if s.sites.data != n or s.element_type != _elem(self.x.type):
            raise VerifyException(f"'branch.state' result {s} does not match input {self.x.type}")
        if self.lowering is not None and self.lowering.data not in STATE_LOWERINGS:
            raise VerifyException(
                f"'branch.state' lowering must be one of {STATE_LOWERINGS}, "
                f"got {self.lowering.data!r}"
            )


STATE_LOWERINGS = ("concat", "merged", "projected")
"""The ways the rows of a `branch.state` can be lowered (`StateOp.lowering`)."""


@irdl_op_definition
class WriteOp(IRDLOperation):
    """`x'[b, m, sites[b, m] mod N] = values[b, m]`. `checked` says the value may not be a
    local state: then the branch is valid only if its final configuration (at
    `branch.emit`) is entirely made of local states.

    ```mlir
    %s1 = branch.write %s0, %i, %v {checked} : !branch.state<3x4xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x4xi8>
    ```
    """

    name = "branch.write"

    state = operand_def(StateType)
    sites = operand_def(TensorType)
    values = operand_def(TensorType)
    checked = opt_prop_def(UnitAttr)
    result = result_def(StateType)

    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = (
        "$state `,` $sites `,` $values attr-dict `:` type($state) `,` type($sites) `,` type($values) "
        "`->` type($result)"
    )

    def __init__(self, state: SSAValue, sites: SSAValue, values: SSAValue, checked: bool):
        props = {"checked": UnitAttr()} if checked else {}
        super().__init__(
            operands=[state, sites, values], properties=props, result_types=[state.type]
        )

    def verify_(self):
        s = _state_of(self, self.state)
        _check_values_for_state(self, s, (self.sites, self.values))
        if self.result.type != s:
            raise VerifyException("'branch.write' result must have the state's type")


@irdl_op_definition
class StateReadOp(IRDLOperation):
    """Reads the connected configuration: `x'[b, m, sites[b, m] mod N]`.

    ```mlir
    %v = branch.state_read %s, %i : !branch.state<3x4xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
    ```
    """

    name = "branch.state_read"

    state = operand_def(StateType)
    sites = operand_def(TensorType)
    result = result_def(TensorType)

    traits = traits_def(Pure())
    assembly_format = (
        "$state `,` $sites attr-dict `:` type($state) `,` type($sites) `->` type($result)"
    )

    def __init__(self, state: SSAValue, sites: SSAValue):
        s = state.type
        assert isinstance(s, StateType)
        super().__init__(operands=[state, sites], result_types=[values_type(s.rows.data, i64)])

    def verify_(self):
        s = _state_of(self, self.state)
        _check_values_for_state(self, s, (self.sites,))


@irdl_op_definition
class InvalidateOp(IRDLOperation):
    """Marks every branch of the state invalid.

    ```mlir
    %s1 = branch.invalidate %s0 : !branch.state<3x4xi8> -> !branch.state<3x4xi8>
    ```
    """

    name = "branch.invalidate"

    state = operand_def(StateType)
    result = result_def(StateType)

    traits = traits_def(Pure())
    assembly_format = "$state attr-dict `:` type($state) `->` type($result)"

    def __init__(self, state: SSAValue):
        super().__init__(operands=[state], result_types=[state.type])


@irdl_op_definition
class SelectStateOp(IRDLOperation):
    """Per row: the `if_true` state where `condition` holds, else `if_false`.

    ```mlir
    %s = branch.select_state %p, %a, %b : tensor<?x3xi1>, !branch.state<3x4xi8>, !branch.state<3x4xi8> -> !branch.state<3x4xi8>
    ```
    """

    name = "branch.select_state"

    condition = operand_def(TensorType)
    if_true = operand_def(StateType)
    if_false = operand_def(StateType)
    result = result_def(StateType)

    traits = traits_def(Pure())
    assembly_format = (
        "$condition `,` $if_true `,` $if_false attr-dict `:` type($condition) `,` type($if_true) "
        "`,` type($if_false) `->` type($result)"
    )

    def __init__(self, condition: SSAValue, if_true: SSAValue, if_false: SSAValue):
        super().__init__(operands=[condition, if_true, if_false], result_types=[if_true.type])

    def verify_(self):
        s = _state_of(self, self.result)
        if self.if_true.type != s or self.if_false.type != s:
            raise VerifyException("'branch.select_state' states must have one type")
        if self.condition.type != values_type(s.rows.data, i1):
            raise VerifyException(
                f"'branch.select_state' condition must be {values_type(s.rows.data, i1)}"
            )


# --------------------------------------------------------------------------- branches


@irdl_op_definition
class EmitOp(IRDLOperation):
    """The branches of one emission, with the runtime contract applied: where `mask` is
    false or the state invalid, `xp = x` and `mel = 0`; `mel` is cast to `dtype`.

    ```mlir
    %xp, %mel = branch.emit %x, %s, %amp, %mask {term = "hop"} : tensor<?x4xi8>, !branch.state<3x4xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x4xi8>, tensor<?x3xf64>
    ```
    """

    name = "branch.emit"

    x = operand_def(TensorType)
    state = operand_def(StateType)
    amplitude = operand_def(TensorType)
    mask = operand_def(TensorType)
    term = prop_def(StringAttr)
    tag = opt_prop_def(StringAttr)
    xp = result_def(TensorType)
    mel = result_def(TensorType)

    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = (
        "$x `,` $state `,` $amplitude `,` $mask attr-dict `:` type($x) `,` type($state) `,` "
        "type($amplitude) `,` type($mask) `->` type($xp) `,` type($mel)"
    )

    def __init__(
        self,
        x: SSAValue,
        state: SSAValue,
        amplitude: SSAValue,
        mask: SSAValue,
        dtype: Attribute,
        term: str,
        tag: str | None = None,
    ):
        s = state.type
        assert isinstance(s, StateType) and isinstance(x.type, TensorType)
        m, n = s.rows.data, s.sites.data
        props: dict[str, Attribute] = {"term": StringAttr(term)}
        if tag is not None:
            props["tag"] = StringAttr(tag)
        super().__init__(
            operands=[x, state, amplitude, mask],
            properties=props,
            result_types=[
                TensorType(x.type.element_type, [DYN, m, n]),
                values_type(m, dtype),
            ],
        )

    def verify_(self):
        s = _state_of(self, self.state)
        m, n = s.rows.data, s.sites.data
        if _input_sites(self, self.x.type) != n:
            raise VerifyException("'branch.emit' state and input have different site counts")
        if _rows_of(self, self.amplitude.type, "amplitude") != m:
            raise VerifyException("'branch.emit' amplitude rows differ from the state's")
        if self.mask.type != values_type(m, i1):
            raise VerifyException(f"'branch.emit' mask must be {values_type(m, i1)}")
        if self.xp.type != TensorType(s.element_type, [DYN, m, n]):
            raise VerifyException("'branch.emit' xp must be tensor<?xMxNxT> of the state")
        if _rows_of(self, self.mel.type, "mel") != m:
            raise VerifyException("'branch.emit' mel rows differ from the state's")
        if _elem(self.amplitude.type) == c64 and _elem(self.mel.type) != c64:
            raise VerifyException("'branch.emit' cannot cast a complex amplitude to a real mel")


@irdl_op_definition
class SumRowsOp(IRDLOperation):
    """Sums the rows: `tensor<?xMxT> -> tensor<?x1xT>` (used by diagonal coalescing).

    ```mlir
    %d = branch.sum_rows %mel : tensor<?x4xf64> -> tensor<?x1xf64>
    ```
    """

    name = "branch.sum_rows"

    input = operand_def(TensorType)
    result = result_def(TensorType)

    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, value: SSAValue):
        super().__init__(operands=[value], result_types=[values_type(1, _elem(value.type))])

    def verify_(self):
        _rows_of(self, self.input.type, "input")
        if self.result.type != values_type(1, _elem(self.input.type)):
            raise VerifyException("'branch.sum_rows' result must be tensor<?x1xT>")


@irdl_op_definition
class ConcatOp(IRDLOperation):
    """Joins branches along the row axis (dimension 1).

    ```mlir
    %all = branch.concat %a, %b : tensor<?x1xf64>, tensor<?x4xf64> -> tensor<?x5xf64>
    ```
    """

    name = "branch.concat"

    inputs = var_operand_def(TensorType)
    result = result_def(TensorType)

    traits = traits_def(Pure())
    assembly_format = "$inputs attr-dict `:` type($inputs) `->` type($result)"

    def __init__(self, inputs: Sequence[SSAValue]):
        first = inputs[0].type
        assert isinstance(first, TensorType)
        shape = list(first.get_shape())
        shape[1] = sum(v.type.get_shape()[1] for v in inputs)  # type: ignore[union-attr]
        super().__init__(
            operands=[list(inputs)], result_types=[TensorType(first.element_type, shape)]
        )

    def verify_(self):
        if not self.inputs:
            raise VerifyException("'branch.concat' needs at least one input")
        shapes = [v.type.get_shape() for v in self.inputs]  # type: ignore[union-attr]
        elems = {v.type.element_type for v in self.inputs}  # type: ignore[union-attr]
        rest = {(s[0], *s[2:]) for s in shapes}
        if len(elems) != 1 or len(rest) != 1:
            raise VerifyException("'branch.concat' inputs must agree except in dimension 1")
        expected = list(shapes[0])
        expected[1] = sum(s[1] for s in shapes)
        if self.result.type != TensorType(elems.pop(), expected):
            dims = "x".join("?" if d == DYN else str(d) for d in expected)
            raise VerifyException(f"'branch.concat' result must have shape {dims}")


@irdl_op_definition
class StackOp(IRDLOperation):
    """Joins K values of each row along a new last axis: K `tensor<?xMxT>` ->
    `tensor<?xMxKxT>` (the K entries of a connection delta, `branch-return-deltas`).

    ```mlir
    %s = branch.stack %a, %b : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3x2xi64>
    ```
    """

    name = "branch.stack"

    inputs = var_operand_def(TensorType)
    result = result_def(TensorType)

    traits = traits_def(Pure())
    assembly_format = "$inputs attr-dict `:` type($inputs) `->` type($result)"

    def __init__(self, inputs: Sequence[SSAValue]):
        first = inputs[0].type
        assert isinstance(first, TensorType)
        rows = first.get_shape()[1]
        super().__init__(
            operands=[list(inputs)],
            result_types=[TensorType(first.element_type, [DYN, rows, len(inputs)])],
        )

    def verify_(self):
        if not self.inputs:
            raise VerifyException("'branch.stack' needs at least one input")
        rows = _same_rows(self, self.inputs)
        elems = {_elem(v.type) for v in self.inputs}
        if len(elems) != 1:
            raise VerifyException("'branch.stack' inputs must have one element type")
        expected = TensorType(elems.pop(), [DYN, rows, len(self.inputs)])
        if self.result.type != expected:
            raise VerifyException(
                f"'branch.stack' result must be {expected}, got {self.result.type}"
            )


Branch = Dialect(
    "branch",
    [
        KernelOp,
        ReturnOp,
        ReturnDeltasOp,
        ConstantOp,
        ColumnOp,
        SplatOp,
        ReadOp,
        QuadraticFormOp,
        CountOp,
        NthSiteOp,
        AddOp,
        SubOp,
        MulOp,
        DivOp,
        PowOp,
        MinOp,
        MaxOp,
        NegOp,
        AbsOp,
        ConjOp,
        RealOp,
        ImagOp,
        SqrtOp,
        ExpOp,
        LogOp,
        SinOp,
        CosOp,
        FloorOp,
        WrapModOp,
        ParityOp,
        ComplexOp,
        CmpOp,
        AndOp,
        OrOp,
        NotOp,
        SelectOp,
        LookupOp,
        MemberOp,
        StateOp,
        WriteOp,
        StateReadOp,
        InvalidateOp,
        SelectStateOp,
        EmitOp,
        SumRowsOp,
        ConcatOp,
        StackOp,
    ],
    [StateType],
)


ELEMENTWISE: dict[type[sym.ExpressionOp], type[ElementwiseBase]] = {
    op: counterpart
    for op in sym.EXPRESSION_OPS.values()
    for counterpart in Branch.operations
    if counterpart.name == f"branch.{op.mnemonic()}"
}
"""Every `sym` expression op -> its `branch` counterpart, the op of the same mnemonic
(`sym.add` -> `branch.add`): what `convert-sym-to-branch` converts it to."""


def counterpart(op: type[sym.ExpressionOp]) -> type[ElementwiseBase]:
    """The `branch` op a `sym` expression op converts to (`ELEMENTWISE`)."""
    found = ELEMENTWISE.get(op)
    if found is None:
        raise KeyError(
            f"'{op.name}' has no branch counterpart: define "
            f"'branch.{op.name.removeprefix('sym.')}' in "
            "dialects/branch.py (docs/adding-an-op.md)"
        )
    return found
