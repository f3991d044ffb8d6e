"""The `sym` dialect: symbolic discrete operators as IR.

An operator is a `sym.operator` holding `sym.term`s. A term owns its iterator as a static
table of integer rows (one column per label), a body that computes an optional predicate
(`sym.where`) and one or more `sym.emission`s. An emission has an optional emission
predicate, an optional tag, an update region (a program of update ops that rewrites a copy
`x'` of the configuration `x`) and an amplitude region ending in `sym.yield`.

Value types:
- `i64`: integers: local-state values, site indices (a site is an `i64` value), counts;
- `f64`, `complex<f64>`: real and complex amplitudes;
- `i1`: booleans (predicates).

Mixed-type arithmetic promotes `i1 < i64 < f64 < complex<f64>`; division, `sqrt`, `exp`,
`log`, `sin`, `cos` are at least `f64`. A site given by an expression is taken modulo the
number of sites; a constant site must lie in `[0, N)` (a verifier checks it).
"""

from __future__ import annotations

import math
import operator as pyop
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from xdsl.dialect_interfaces.constant_materialization import ConstantMaterializationInterface
from xdsl.dialects.builtin import (
    ArrayAttr,
    BytesAttr,
    ComplexType,
    DenseArrayBase,
    Float32Type,
    Float64Type,
    FloatAttr,
    IntAttr,
    IntegerAttr,
    IntegerType,
    StringAttr,
    UnitAttr,
    f64,
    i1,
    i64,
)
from xdsl.interfaces import HasFolderInterface
from xdsl.ir import Attribute, Block, Dialect, Operation, Region, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    SameVariadicOperandSize,
    base,
    irdl_op_definition,
    lazy_traits_def,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.parser import Parser, UnresolvedOperand
from xdsl.printer import Printer
from xdsl.traits import Commutative, ConstantLike, HasParent, IsTerminator, NoTerminator, Pure
from xdsl.utils.exceptions import VerifyException

from symir.dialects.dominance import check_dominance
from symir.dialects.types import (
    CMP_PREDICATES,
    OPERATOR_DTYPES,
    CmpPredicate,
    CmpPredicateAttr,
    NumericType,
    c64,
    promote,
)

# --------------------------------------------------------------------------- types


def _check_value_type(op: Operation, what: str, t: Attribute, allowed: Sequence[Attribute]):
    if t not in allowed:
        names = ", ".join(str(a) for a in allowed)
        raise VerifyException(f"'{op.name}' {what} must be one of {names}, got {t}")


# --------------------------------------------------------------------------- helpers


def enclosing(op: Operation, kind: type[Operation]) -> Operation | None:
    """The closest ancestor of `op` of class `kind`, or None."""
    parent = op.parent_op()
    while parent is not None and not isinstance(parent, kind):
        parent = parent.parent_op()
    return parent


def constant_value(value: SSAValue) -> bool | int | float | None:
    """The Python value (`bool` for `i1`, `int` for `i64`, `float` for `f64`) a value is
    statically known to be, when it comes from `sym.constant`; the inverse of
    `ConstantOp.of`."""
    owner = value.owner
    if not isinstance(owner, ConstantOp):
        return None
    v = owner.value.value.data
    t = owner.result.type
    return bool(v) if t == i1 else int(v) if t == i64 else float(v)


def constant_int(value: SSAValue) -> int | None:
    """The integer a value is statically known to be, when it comes from `sym.constant`."""
    owner = value.owner
    if isinstance(owner, ConstantOp) and isinstance(owner.value, IntegerAttr):
        return owner.value.value.data
    return None


def _parse_defined_operand(parser: Parser) -> SSAValue:
    """An operand printed without its type: it must be defined already, and keeps its own
    type, so that a wrong type is reported by the verifier (with the op), not the parser."""
    operand = parser.parse_unresolved_operand()
    values = parser.ssa_values.get(operand.operand_name, ())
    if operand.index >= len(values):
        parser.raise_error("SSA value used before assignment", operand.span)
    return parser.resolve_operand(operand, values[operand.index].type)


def _check_static_site(op: Operation, value: SSAValue, what: str = "site"):
    """A constant site index must lie in [0, N) of the enclosing operator."""
    k = constant_int(value)
    operator = enclosing(op, OperatorOp)
    if k is None or operator is None:
        return
    n = operator.num_sites.data
    if not 0 <= k < n:
        raise VerifyException(f"'{op.name}' {what} index {k} is outside [0, {n})")


def _check_site_operands(op: Operation, sites: Sequence[SSAValue]):
    for s in sites:
        if s.type != i64:
            raise VerifyException(f"'{op.name}' site operand must be i64, got {s.type}")
        _check_static_site(op, s)


def _print_string_list(printer: Printer, items: Sequence[str]):
    printer.print_string("[")
    printer.print_list(items, printer.print_string_literal)
    printer.print_string("]")


def _parse_string_list(parser: Parser) -> list[str]:
    return parser.parse_comma_separated_list(parser.Delimiter.SQUARE, parser.parse_str_literal)


def _parse_int_list(parser: Parser) -> list[int]:
    return parser.parse_comma_separated_list(parser.Delimiter.SQUARE, parser.parse_integer)


def _parse_block_region(parser: Parser) -> Region:
    """Parses `{ ... }`; an empty `{}` becomes a region with one empty block."""
    region = parser.parse_region()
    if not region.blocks:
        region.add_block(Block())
    return region


def _float_literal(value: float) -> str:
    """A float as an MLIR float literal that parses back to the same value."""
    if value != value or value in (float("inf"), float("-inf")):
        raise VerifyException(f"a parameter default must be finite, got {value}")
    text = repr(float(value))
    if "e" in text and "." not in text.split("e")[0]:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}.0e{exponent}"
    return text


def _int_array(values: Sequence[int]) -> DenseArrayBase:
    return DenseArrayBase.from_list(i64, list(values))


def packed_array(
    element_type: Attribute, values: Sequence[int] | Sequence[float]
) -> DenseArrayBase:
    """`array<i64: ...>` or `array<f64: ...>` of `values`, packed by numpy (what
    `DenseArrayBase.from_list` gives, without a Python call per value: a coefficient table
    has tens of thousands)."""
    dtype = "<i8" if element_type == i64 else "<f8"
    data = np.asarray(values, dtype=dtype)
    return DenseArrayBase(element_type, BytesAttr(data.tobytes()))  # type: ignore[arg-type]


def _unpack_rows(rows: ArrayAttr) -> tuple[tuple[int, ...], ...]:
    """The values of an `ArrayAttr` of i64 `DenseArrayBase`s, unpacked by numpy in one go
    when every row is i64 and has the same length (a row table), else row by row."""
    arrays = rows.data
    if arrays and all(
        isinstance(r, DenseArrayBase)
        and r.elt_type == i64
        and len(r.data.data) == len(arrays[0].data.data)
        for r in arrays
    ):
        flat = np.frombuffer(b"".join(r.data.data for r in arrays), dtype="<i8")
        return tuple(map(tuple, flat.reshape(len(arrays), -1).tolist()))
    return tuple(tuple(r.get_values()) for r in arrays)


# --------------------------------------------------------------------------- structure

MAX_SITES = 2**24
"""The most sites an operator may have: a kernel builds arrays of N sites (the largest
static tensor symir's levels read is 2**24 elements)."""


@irdl_op_definition
class OperatorOp(IRDLOperation):
    """A symbolic operator: its identity, its Hilbert space and its terms.

    The Hilbert space is `sites` sites, each taking one of the integer `states`. `dtype` is
    the type of the matrix elements: `f64` or `complex<f64>`, or `f32` / `complex<f32>`
    (single precision: computed in `f64` / `complex<f64>` and rounded once, at the kernel's
    output).

    ```mlir
    sym.operator @ising sites 4 states [-1, 1] dtype f64 hermitian {
      sym.term @zz kind "rows" labels ["i", "j"] rows [[0, 1], [1, 2], [2, 3]] {
        ...
      }
    }
    ```
    """

    name = "sym.operator"

    sym_name = prop_def(StringAttr)
    num_sites = prop_def(IntAttr)
    local_states = prop_def(DenseArrayBase)
    dtype = prop_def(base(Float64Type) | base(Float32Type) | base(ComplexType))
    hermitian = opt_prop_def(UnitAttr)
    body = region_def("single_block")

    traits = traits_def(NoTerminator())

    def __init__(
        self,
        name: str,
        num_sites: int,
        local_states: Sequence[int],
        dtype: Attribute,
        hermitian: bool,
        body: Region | None = None,
    ):
        props: dict[str, Attribute] = {
            "sym_name": StringAttr(name),
            "num_sites": IntAttr(num_sites),
            "local_states": _int_array(local_states),
            "dtype": dtype,
        }
        if hermitian:
            props["hermitian"] = UnitAttr()
        super().__init__(properties=props, regions=[body or Region(Block())])

    @property
    def states(self) -> tuple[int, ...]:
        return tuple(self.local_states.get_values())

    @property
    def terms(self) -> list[TermOp]:
        return [op for op in self.body.block.ops if isinstance(op, TermOp)]

    def states_are_contiguous(self) -> bool:
        s = self.states
        return len(s) > 0 and list(s) == list(range(s[0], s[0] + len(s)))

    def verify_(self):
        check_dominance(self)
        if self.num_sites.data < 1:
            raise VerifyException(
                f"'sym.operator' @{self.sym_name.data} needs at least one site, "
                f"got {self.num_sites.data}"
            )
        if self.num_sites.data > MAX_SITES:
            raise VerifyException(
                f"'sym.operator' @{self.sym_name.data} has {self.num_sites.data} sites, more "
                f"than the {MAX_SITES} a kernel can hold"
            )
        states = self.states
        if len(states) < 1:
            raise VerifyException(f"'sym.operator' @{self.sym_name.data} has no local states")
        if len(set(states)) != len(states) or list(states) != sorted(states):
            raise VerifyException(
                f"'sym.operator' @{self.sym_name.data} local states must be strictly "
                f"increasing, got {list(states)}"
            )
        if self.local_states.elt_type != i64:
            raise VerifyException("'sym.operator' local states must be an array<i64>")
        if self.dtype not in OPERATOR_DTYPES:
            raise VerifyException(
                f"'sym.operator' @{self.sym_name.data} dtype must be f64, complex<f64>, f32 "
                f"or complex<f32>, got {self.dtype}"
            )
        self._verify_terms()
        self._verify_params()

    def _verify_terms(self):
        names: set[str] = set()
        for op in self.body.block.ops:
            if not isinstance(op, TermOp):
                raise VerifyException(
                    f"'sym.operator' may only contain 'sym.term' ops, found '{op.name}'"
                )
            if op.sym_name.data in names:
                raise VerifyException(
                    f"'sym.operator' @{self.sym_name.data} has two terms named @{op.sym_name.data}"
                )
            names.add(op.sym_name.data)

    def _verify_params(self):
        params: dict[str, ParamOp] = {}
        for op in self.walk():
            if isinstance(op, ParamOp):
                first = params.setdefault(op.param_name.data, op)
                if first.result.type != op.result.type or first.default != op.default:
                    raise VerifyException(
                        f"'sym.param' \"{op.param_name.data}\" is declared twice with "
                        "different types or defaults"
                    )

    def print(self, printer: Printer):
        printer.print_string(" ")
        printer.print_symbol_name(self.sym_name.data)
        printer.print_string(f" sites {self.num_sites.data} states [")
        printer.print_list(self.states, lambda v: printer.print_string(str(v)))
        printer.print_string("] dtype ")
        printer.print_attribute(self.dtype)
        if self.hermitian is not None:
            printer.print_string(" hermitian")
        printer.print_string(" ")
        printer.print_region(self.body, print_entry_block_args=False, print_empty_block=False)

    @classmethod
    def parse(cls, parser: Parser) -> OperatorOp:
        name = parser.parse_symbol_name().data
        parser.parse_keyword("sites")
        num_sites = parser.parse_integer(allow_boolean=False, allow_negative=False)
        parser.parse_keyword("states")
        states = _parse_int_list(parser)
        parser.parse_keyword("dtype")
        dtype = parser.parse_type()
        hermitian = parser.parse_optional_keyword("hermitian") is not None
        body = _parse_block_region(parser)
        return cls(name, num_sites, states, dtype, hermitian, body)


@irdl_op_definition
class TermOp(IRDLOperation):
    """One term of an operator: an iterator, a predicate and its emissions.

    The iterator is a static table: one column per label and one row per visit (a global
    term has no labels and one empty row). `kind` records which DSL iterator built it.
    `fanout` is the user's fan-out hint, if any. The body computes values, optionally one
    `sym.where` predicate and one or more `sym.emission`s.

    ```mlir
    sym.term @hop kind "site" labels ["i"] rows [[0], [1], [2]] fanout 1 {
      %i = sym.label "i"
      %x = sym.read %i : i64
      %c0 = sym.constant 0 : i64
      %p = sym.cmp gt %x, %c0 : i64, i64
      sym.where %p
      sym.emission {
        %i2 = sym.label "i"
        %d = sym.constant -1 : i64
        sym.shift %i2, %d
      } amplitude {
        %a = sym.constant 1.0 : f64
        sym.yield %a : f64
      }
    }
    ```
    """

    name = "sym.term"

    sym_name = prop_def(StringAttr)
    kind = prop_def(StringAttr)
    labels = prop_def(ArrayAttr[StringAttr])
    rows = prop_def(ArrayAttr[DenseArrayBase])
    fanout = opt_prop_def(IntAttr)
    body = region_def("single_block")

    traits = lazy_traits_def(lambda: (NoTerminator(), HasParent(OperatorOp)))

    def __init__(
        self,
        name: str,
        kind: str,
        labels: Sequence[str],
        rows: Sequence[Sequence[int]],
        fanout: int | None = None,
        body: Region | None = None,
    ):
        props: dict[str, Attribute] = {
            "sym_name": StringAttr(name),
            "kind": StringAttr(kind),
            "labels": ArrayAttr([StringAttr(label) for label in labels]),
            "rows": ArrayAttr([_int_array(r) for r in rows]),
        }
        if fanout is not None:
            props["fanout"] = IntAttr(fanout)
        super().__init__(properties=props, regions=[body or Region(Block())])

    @property
    def label_names(self) -> tuple[str, ...]:
        return tuple(label.data for label in self.labels.data)

    @property
    def row_table(self) -> tuple[tuple[int, ...], ...]:
        """The rows as tuples of site indices; unpacked once per `rows` attribute (a
        table of thousands of rows is read by the verifier, the printer and every pass)."""
        rows = self.rows
        cached = self.__dict__.get("_row_table")
        if cached is None or cached[0] is not rows:
            cached = (rows, _unpack_rows(rows))
            self.__dict__["_row_table"] = cached
        return cached[1]

    @property
    def predicate(self) -> WhereOp | None:
        for op in self.body.block.ops:
            if isinstance(op, WhereOp):
                return op
        return None

    @property
    def emissions(self) -> list[EmissionOp]:
        return [op for op in self.body.block.ops if isinstance(op, EmissionOp)]

    def verify_(self):
        term = f"'sym.term' @{self.sym_name.data}"
        labels = self.label_names
        if len(set(labels)) != len(labels):
            raise VerifyException(f"{term} has duplicate labels {list(labels)}")
        if not self.rows.data:
            raise VerifyException(f"{term} has an empty row table")
        operator = self.parent_op()
        n = operator.num_sites.data if isinstance(operator, OperatorOp) else None
        for index, row in enumerate(self.row_table):
            if len(row) != len(labels):
                raise VerifyException(
                    f"{term} row {index} {list(row)} has {len(row)} entries but the term "
                    f"has {len(labels)} labels {list(labels)}"
                )
            for k in row:
                if n is not None and not 0 <= k < n:
                    raise VerifyException(
                        f"{term} row {index} {list(row)} has site index {k} outside [0, {n})"
                    )
        if self.fanout is not None and self.fanout.data < 0:
            raise VerifyException(f"{term} fan-out hint must be >= 0, got {self.fanout.data}")
        wheres = [op for op in self.body.block.ops if isinstance(op, WhereOp)]
        if len(wheres) > 1:
            raise VerifyException(f"{term} has {len(wheres)} 'sym.where' ops, at most one")
        if not self.emissions:
            raise VerifyException(f"{term} has no emission")

    def print(self, printer: Printer):
        printer.print_string(" ")
        printer.print_symbol_name(self.sym_name.data)
        printer.print_string(" kind ")
        printer.print_string_literal(self.kind.data)
        printer.print_string(" labels ")
        _print_string_list(printer, self.label_names)
        rows = ", ".join("[" + ", ".join(map(str, r)) + "]" for r in self.row_table)
        printer.print_string(f" rows [{rows}]")
        if self.fanout is not None:
            printer.print_string(f" fanout {self.fanout.data}")
        printer.print_string(" ")
        printer.print_region(self.body, print_entry_block_args=False, print_empty_block=False)

    @classmethod
    def parse(cls, parser: Parser) -> TermOp:
        name = parser.parse_symbol_name().data
        parser.parse_keyword("kind")
        kind = parser.parse_str_literal()
        parser.parse_keyword("labels")
        labels = _parse_string_list(parser)
        parser.parse_keyword("rows")
        rows = parser.parse_comma_separated_list(
            parser.Delimiter.SQUARE, lambda: _parse_int_list(parser)
        )
        fanout = None
        if parser.parse_optional_keyword("fanout"):
            fanout = parser.parse_integer(allow_boolean=False)
        body = _parse_block_region(parser)
        return cls(name, kind, labels, rows, fanout, body)


@irdl_op_definition
class WhereOp(IRDLOperation):
    """The predicate of a term: the term's emissions are active only where it holds.

    ```mlir
    sym.where %p
    ```
    """

    name = "sym.where"

    predicate = operand_def(i1)

    traits = lazy_traits_def(lambda: (HasParent(TermOp),))

    assembly_format = "$predicate attr-dict"

    def __init__(self, predicate: SSAValue):
        super().__init__(operands=[predicate])


@irdl_op_definition
class EmissionOp(IRDLOperation):
    """One branch of a term: an update program and an amplitude.

    The optional `if` operand is the emission predicate (`i1`); `tag` names the branch.
    The `update` region holds update ops (and the values they use); the `amplitude`
    region computes the matrix element, may read the emitted configuration with
    `sym.read_emitted`, and ends with `sym.yield`.

    ```mlir
    sym.emission "flip" if %q {
      %i = sym.label "i"
      %c = sym.constant 1 : i64
      sym.write %i, %c
    } amplitude {
      %a = sym.constant 0.5 : f64
      sym.yield %a : f64
    }
    ```
    """

    name = "sym.emission"

    condition = opt_operand_def(i1)
    tag = opt_prop_def(StringAttr)
    update = region_def("single_block")
    amplitude = region_def("single_block")

    traits = lazy_traits_def(lambda: (NoTerminator(), HasParent(TermOp)))

    def __init__(
        self,
        update: Region,
        amplitude: Region,
        condition: SSAValue | None = None,
        tag: str | None = None,
    ):
        props = {"tag": StringAttr(tag)} if tag is not None else {}
        super().__init__(
            operands=[[condition] if condition is not None else []],
            properties=props,
            regions=[update, amplitude],
        )

    @property
    def amplitude_value(self) -> SSAValue:
        term = self.amplitude.block.last_op
        assert isinstance(term, YieldOp)
        return term.value

    def verify_(self):
        for op in self.update.block.ops:
            if isinstance(op, YieldOp):
                raise VerifyException("'sym.emission' update region must not contain 'sym.yield'")
        last = self.amplitude.block.last_op
        if not isinstance(last, YieldOp):
            raise VerifyException("'sym.emission' amplitude region must end with 'sym.yield'")

    def print(self, printer: Printer):
        if self.tag is not None:
            printer.print_string(" ")
            printer.print_string_literal(self.tag.data)
        if self.condition is not None:
            printer.print_string(" if ")
            printer.print_operand(self.condition)
        printer.print_string(" ")
        printer.print_region(self.update, print_entry_block_args=False, print_empty_block=False)
        printer.print_string(" amplitude ")
        printer.print_region(self.amplitude, print_entry_block_args=False)

    @classmethod
    def parse(cls, parser: Parser) -> EmissionOp:
        tag = parser.parse_optional_str_literal()
        condition = None
        if parser.parse_optional_keyword("if"):
            condition = _parse_defined_operand(parser)
        update = _parse_block_region(parser)
        parser.parse_keyword("amplitude")
        amplitude = _parse_block_region(parser)
        return cls(update, amplitude, condition, tag)


@irdl_op_definition
class YieldOp(IRDLOperation):
    """Ends an amplitude region with the branch's matrix element.

    ```mlir
    sym.yield %a : f64
    ```
    """

    name = "sym.yield"

    value = operand_def(NumericType)

    traits = lazy_traits_def(lambda: (IsTerminator(), HasParent(EmissionOp)))

    assembly_format = "$value attr-dict `:` type($value)"

    def __init__(self, value: SSAValue):
        super().__init__(operands=[value])

    def verify_(self):
        _check_value_type(self, "amplitude", self.value.type, (i64, f64, c64))
        operator = enclosing(self, OperatorOp)
        if operator is None:
            return
        if self.value.type == c64 and not isinstance(operator.dtype, ComplexType):
            raise VerifyException(
                f"'sym.yield' amplitude is complex<f64> but operator "
                f"@{operator.sym_name.data} has dtype {operator.dtype}; "
                "declare the operator complex"
            )


# --------------------------------------------------------------------------- updates


def _check_in_update_region(op: Operation):
    """Update ops live in an emission's update region (possibly nested in sym.cond)."""
    parent = op.parent_op()
    while isinstance(parent, CondOp):
        parent = parent.parent_op()
    region = op.parent_region()
    while region is not None and isinstance(region.parent_op(), CondOp):
        region = region.parent_op().parent_region()
    if not isinstance(parent, EmissionOp) or region is not parent.update:
        raise VerifyException(f"'{op.name}' must be inside the update region of 'sym.emission'")


class UpdateOpBase(IRDLOperation):
    """Common verification of update ops: placement and site operands."""

    def sites(self) -> Sequence[SSAValue]:
        return ()

    def verify_(self):
        _check_in_update_region(self)
        _check_site_operands(self, self.sites())


@irdl_op_definition
class WriteOp(UpdateOpBase):
    """`x'[site] = value`.

    ```mlir
    sym.write %site, %value
    ```
    """

    name = "sym.write"

    site = operand_def(i64)
    value = operand_def(i64)

    assembly_format = "$site `,` $value attr-dict"

    def __init__(self, site: SSAValue, value: SSAValue):
        super().__init__(operands=[site, value])

    def sites(self):
        return (self.site,)

    def verify_(self):
        super().verify_()
        v = constant_int(self.value)
        operator = enclosing(self, OperatorOp)
        if v is not None and operator is not None and v not in operator.states:
            raise VerifyException(
                f"'sym.write' writes {v}, which is not a local state {list(operator.states)}"
            )


@irdl_op_definition
class ShiftOp(UpdateOpBase):
    """`x'[site] = x'[site] + delta`.

    ```mlir
    sym.shift %site, %delta
    ```
    """

    name = "sym.shift"

    site = operand_def(i64)
    delta = operand_def(i64)

    assembly_format = "$site `,` $delta attr-dict"

    def __init__(self, site: SSAValue, delta: SSAValue):
        super().__init__(operands=[site, delta])

    def sites(self):
        return (self.site,)


@irdl_op_definition
class ShiftModOp(UpdateOpBase):
    """`x'[site]` shifted by `delta`, wrapped into the contiguous local states.

    With states `s0 .. s0+d-1`: `x'[site] = s0 + (x'[site] + delta - s0) mod d`.

    ```mlir
    sym.shift_mod %site, %delta
    ```
    """

    name = "sym.shift_mod"

    site = operand_def(i64)
    delta = operand_def(i64)

    assembly_format = "$site `,` $delta attr-dict"

    def __init__(self, site: SSAValue, delta: SSAValue):
        super().__init__(operands=[site, delta])

    def sites(self):
        return (self.site,)

    def verify_(self):
        super().verify_()
        _check_contiguous_states(self)


def _check_contiguous_states(op: Operation):
    operator = enclosing(op, OperatorOp)
    if operator is not None and not operator.states_are_contiguous():
        raise VerifyException(
            f"'{op.name}' needs contiguous integer local states, got {list(operator.states)}"
        )


@irdl_op_definition
class SwapOp(UpdateOpBase):
    """Exchanges `x'[a]` and `x'[b]`.

    ```mlir
    sym.swap %a, %b
    ```
    """

    name = "sym.swap"

    a = operand_def(i64)
    b = operand_def(i64)

    assembly_format = "$a `,` $b attr-dict"

    def __init__(self, a: SSAValue, b: SSAValue):
        super().__init__(operands=[a, b])

    def sites(self):
        return (self.a, self.b)


@irdl_op_definition
class PermuteOp(UpdateOpBase):
    """Cyclic rotation: `x'[s0] <- x'[s1], x'[s1] <- x'[s2], ..., x'[sK-1] <- x'[s0]`.

    All values are read before any is written.

    ```mlir
    sym.permute %s0, %s1, %s2
    ```
    """

    name = "sym.permute"

    site_list = var_operand_def(i64)

    assembly_format = "$site_list attr-dict"

    def __init__(self, sites: Sequence[SSAValue]):
        super().__init__(operands=[list(sites)])

    def sites(self):
        return tuple(self.site_list)

    def verify_(self):
        if len(self.site_list) < 2:
            raise VerifyException(
                f"'sym.permute' needs at least two sites, got {len(self.site_list)}"
            )
        super().verify_()


@irdl_op_definition
class AffineOp(UpdateOpBase):
    """`x'[site] = scale * x'[site] + bias`.

    ```mlir
    sym.affine %site, %scale, %bias
    ```
    """

    name = "sym.affine"

    site = operand_def(i64)
    scale = operand_def(i64)
    bias = operand_def(i64)

    assembly_format = "$site `,` $scale `,` $bias attr-dict"

    def __init__(self, site: SSAValue, scale: SSAValue, bias: SSAValue):
        super().__init__(operands=[site, scale, bias])

    def sites(self):
        return (self.site,)


@irdl_op_definition
class ScatterOp(UpdateOpBase):
    """Writes `x'[sites[k]] = values[k]` for every k, in order.

    ```mlir
    sym.scatter [%s0, %s1], [%v0, %v1]
    ```
    """

    name = "sym.scatter"

    site_list = var_operand_def(i64)
    value_list = var_operand_def(i64)

    irdl_options = (SameVariadicOperandSize(),)

    def __init__(self, sites: Sequence[SSAValue], values: Sequence[SSAValue]):
        super().__init__(operands=[list(sites), list(values)])

    def sites(self):
        return tuple(self.site_list)

    def verify_(self):
        if len(self.site_list) != len(self.value_list):
            raise VerifyException(
                f"'sym.scatter' has {len(self.site_list)} sites but {len(self.value_list)} values"
            )
        if not self.site_list:
            raise VerifyException("'sym.scatter' needs at least one site")
        super().verify_()

    def print(self, printer: Printer):
        printer.print_string(" [")
        printer.print_list(self.site_list, printer.print_operand)
        printer.print_string("], [")
        printer.print_list(self.value_list, printer.print_operand)
        printer.print_string("]")

    @classmethod
    def parse(cls, parser: Parser) -> ScatterOp:
        def operands() -> list[SSAValue]:
            unresolved: list[UnresolvedOperand] = parser.parse_comma_separated_list(
                parser.Delimiter.SQUARE, parser.parse_unresolved_operand
            )
            return [parser.resolve_operand(u, i64) for u in unresolved]

        sites = operands()
        parser.parse_punctuation(",")
        values = operands()
        if len(sites) != len(values):
            parser.raise_error(f"'sym.scatter' has {len(sites)} sites but {len(values)} values")
        return cls(sites, values)


@irdl_op_definition
class InvalidateOp(UpdateOpBase):
    """Marks the branch invalid: it is emitted as `x' = x`, `mel = 0`.

    ```mlir
    sym.invalidate
    ```
    """

    name = "sym.invalidate"

    assembly_format = "attr-dict"

    def __init__(self):
        super().__init__()


@irdl_op_definition
class CondOp(IRDLOperation):
    """A conditional update: runs the `then` updates where `%p` holds, else the others.

    ```mlir
    sym.cond %p {
      sym.shift %i, %d
    } else {
      sym.write %i, %v
    }
    ```
    """

    name = "sym.cond"

    condition = operand_def(i1)
    then_region = region_def("single_block")
    else_region = region_def("single_block")

    traits = traits_def(NoTerminator())

    def __init__(self, condition: SSAValue, then_region: Region, else_region: Region):
        super().__init__(operands=[condition], regions=[then_region, else_region])

    def verify_(self):
        _check_in_update_region(self)

    def print(self, printer: Printer):
        printer.print_string(" ")
        printer.print_operand(self.condition)
        printer.print_string(" ")
        printer.print_region(
            self.then_region, print_entry_block_args=False, print_empty_block=False
        )
        printer.print_string(" else ")
        printer.print_region(
            self.else_region, print_entry_block_args=False, print_empty_block=False
        )

    @classmethod
    def parse(cls, parser: Parser) -> CondOp:
        condition = _parse_defined_operand(parser)
        then_region = _parse_block_region(parser)
        parser.parse_keyword("else")
        else_region = _parse_block_region(parser)
        return cls(condition, then_region, else_region)


# --------------------------------------------------------------------------- expressions


@irdl_op_definition
class ConstantOp(IRDLOperation, HasFolderInterface):
    """A constant integer, float or boolean.

    ```mlir
    %c = sym.constant 3 : i64
    %f = sym.constant 0.5 : f64
    %t = sym.constant true
    ```
    """

    name = "sym.constant"

    value = prop_def(base(IntegerAttr) | base(FloatAttr))
    result = result_def(base(IntegerType) | base(Float64Type))

    traits = traits_def(Pure(), ConstantLike())

    def __init__(self, value: IntegerAttr | FloatAttr):
        super().__init__(properties={"value": value}, result_types=[value.type])

    @staticmethod
    def of(value: bool | int | float) -> ConstantOp:
        if isinstance(value, bool):
            return ConstantOp(IntegerAttr(int(value), i1))
        if isinstance(value, int):
            return ConstantOp(IntegerAttr(value, i64))
        return ConstantOp(FloatAttr(float(value), f64))

    def fold(self) -> Sequence[SSAValue | Attribute]:
        return (self.value,)

    def verify_(self):
        _check_value_type(self, "type", self.result.type, (i1, i64, f64))
        if self.value.type != self.result.type:
            raise VerifyException("'sym.constant' value type must match its result type")

    def print(self, printer: Printer):
        printer.print_string(" ")
        if self.result.type == i1:
            printer.print_string("true" if self.value.value.data else "false")
        else:
            printer.print_attribute(self.value)

    @classmethod
    def parse(cls, parser: Parser) -> ConstantOp:
        if parser.parse_optional_keyword("true"):
            return cls(IntegerAttr(1, i1))
        if parser.parse_optional_keyword("false"):
            return cls(IntegerAttr(0, i1))
        attr = parser.parse_attribute()
        if not isinstance(attr, IntegerAttr | FloatAttr):
            parser.raise_error("'sym.constant' expects an integer or float attribute")
        return cls(attr)


@irdl_op_definition
class ParamOp(IRDLOperation):
    """A named runtime parameter, with an optional default value.

    ```mlir
    %J = sym.param "J" default 1.0 : f64
    %h = sym.param "h" : f64
    ```
    """

    name = "sym.param"

    param_name = prop_def(StringAttr)
    default = opt_prop_def(base(FloatAttr) | base(ArrayAttr))
    result = result_def(base(Float64Type) | base(ComplexType))

    traits = traits_def(Pure())

    def __init__(self, name: str, type: Attribute, default: complex | float | None = None):
        props: dict[str, Attribute] = {"param_name": StringAttr(name)}
        if default is not None:
            if type == c64:
                d = complex(default)
                props["default"] = ArrayAttr([FloatAttr(d.real, f64), FloatAttr(d.imag, f64)])
            else:
                props["default"] = FloatAttr(float(default), f64)
        super().__init__(properties=props, result_types=[type])

    @property
    def default_value(self) -> complex | float | None:
        if self.default is None:
            return None
        if isinstance(self.default, ArrayAttr):
            re, im = (a.value.data for a in self.default.data)
            return complex(re, im)
        return self.default.value.data

    def verify_(self):
        if not self.param_name.data.isidentifier():
            raise VerifyException(
                f"'sym.param' name \"{self.param_name.data}\" must be an identifier"
            )
        if isinstance(self.default, ArrayAttr) and self.result.type != c64:
            raise VerifyException(
                f"'sym.param' \"{self.param_name.data}\" has a complex default but type "
                f"{self.result.type}"
            )
        if isinstance(self.default, FloatAttr) and self.result.type == c64:
            raise VerifyException(
                f"'sym.param' \"{self.param_name.data}\" of type complex<f64> needs a "
                "complex default (re, im)"
            )

    def print(self, printer: Printer):
        printer.print_string(" ")
        printer.print_string_literal(self.param_name.data)
        d = self.default_value
        if d is not None:
            printer.print_string(" default ")
            if isinstance(d, complex):
                printer.print_string(f"({_float_literal(d.real)}, {_float_literal(d.imag)})")
            else:
                printer.print_string(_float_literal(d))
        printer.print_string(" : ")
        printer.print_attribute(self.result.type)

    @classmethod
    def parse(cls, parser: Parser) -> ParamOp:
        name = parser.parse_str_literal()
        default: complex | float | None = None
        if parser.parse_optional_keyword("default"):
            if parser.parse_optional_punctuation("("):
                re = parser.parse_float()
                parser.parse_punctuation(",")
                im = parser.parse_float()
                parser.parse_punctuation(")")
                default = complex(re, im)
            else:
                default = float(parser.parse_number())
        parser.parse_punctuation(":")
        t = parser.parse_type()
        if isinstance(default, complex) and t != c64:
            parser.raise_error(f"'sym.param' complex default needs complex<f64>, got {t}")
        return cls(name, t, default)


@irdl_op_definition
class LabelOp(IRDLOperation):
    """The site index bound to a label of the enclosing term's iterator.

    ```mlir
    %i = sym.label "i"
    ```
    """

    name = "sym.label"

    label = prop_def(StringAttr)
    result = result_def(i64)

    traits = traits_def(Pure())

    assembly_format = "$label attr-dict"

    def __init__(self, label: str):
        super().__init__(properties={"label": StringAttr(label)}, result_types=[i64])

    def verify_(self):
        term = enclosing(self, TermOp)
        if term is None:
            raise VerifyException(f"'sym.label' \"{self.label.data}\" is not inside a 'sym.term'")
        if self.label.data not in term.label_names:
            raise VerifyException(
                f"'sym.label' \"{self.label.data}\" is not a label of term "
                f"@{term.sym_name.data} (labels: {list(term.label_names)})"
            )


@irdl_op_definition
class ReadOp(IRDLOperation):
    """Reads the source configuration: `x[site]`.

    ```mlir
    %v = sym.read %i : i64
    ```
    """

    name = "sym.read"

    site = operand_def(i64)
    result = result_def(i64)

    traits = traits_def(Pure())

    assembly_format = "$site attr-dict `:` type($result)"

    def __init__(self, site: SSAValue):
        super().__init__(operands=[site], result_types=[i64])

    def verify_(self):
        _check_static_site(self, self.site)


@irdl_op_definition
class ReadEmittedOp(IRDLOperation):
    """Reads the emitted configuration `x'[site]`; only inside an amplitude region.

    ```mlir
    %v = sym.read_emitted %i : i64
    ```
    """

    name = "sym.read_emitted"

    site = operand_def(i64)
    result = result_def(i64)

    traits = traits_def(Pure())

    assembly_format = "$site attr-dict `:` type($result)"

    def __init__(self, site: SSAValue):
        super().__init__(operands=[site], result_types=[i64])

    def verify_(self):
        region = self.parent_region()
        emission = region.parent_op() if region is not None else None
        if not isinstance(emission, EmissionOp) or region is not emission.amplitude:
            raise VerifyException(
                "'sym.read_emitted' reads x' and is only allowed in the amplitude region "
                "of 'sym.emission'"
            )
        _check_static_site(self, self.site)


@irdl_op_definition
class CountOp(IRDLOperation):
    """The number of particles on the sites `lo .. hi-1` of the source configuration:
    `x[lo] + ... + x[hi-1]` (on fermions, the number of occupied sites; the Jordan-Wigner
    sign of a ladder operator on site `s` is its parity with `lo = 0`, `hi = s`).

    The bounds are clamped to `[0, N]` (they are not taken modulo N: `hi = N` is the end
    of the configuration) and a range with `lo >= hi` is empty (0). A constant bound must
    lie in `[0, N]`.

    ```mlir
    %n = sym.count %lo, %hi : i64
    ```
    """

    name = "sym.count"

    lo = operand_def(i64)
    hi = operand_def(i64)
    result = result_def(i64)

    traits = traits_def(Pure())

    assembly_format = "$lo `,` $hi attr-dict `:` type($result)"

    def __init__(self, lo: SSAValue, hi: SSAValue):
        super().__init__(operands=[lo, hi], result_types=[i64])

    def verify_(self):
        operator = enclosing(self, OperatorOp)
        if operator is None:
            return
        n = operator.num_sites.data
        for what, bound in (("lower", self.lo), ("upper", self.hi)):
            k = constant_int(bound)
            if k is not None and not 0 <= k <= n:
                raise VerifyException(f"'sym.count' {what} bound {k} is outside [0, {n}]")

    @staticmethod
    def evaluate_on(x: Sequence[int], lo: int, hi: int) -> int:
        """The count on configuration `x` (the meaning, for the interpreter)."""
        n = len(x)
        return int(sum(x[max(lo, 0) : min(hi, n)]))


def check_site_list(op: Operation, sites: Sequence[int], n: int | None) -> None:
    """A static list of sites: not empty, distinct, each in `[0, N)` (when N is known)."""
    if not sites:
        raise VerifyException(f"'{op.name}' needs at least one site")
    if len(set(sites)) != len(sites):
        raise VerifyException(f"'{op.name}' sites must be distinct, got {list(sites)}")
    if n is not None:
        for s in sites:
            if not 0 <= s < n:
                raise VerifyException(f"'{op.name}' site {s} is outside [0, {n})")


@irdl_op_definition
class NthSiteOp(IRDLOperation):
    """The site of the `rank`-th (from 0) of the static `sites`, in their order, whose
    local state in the source configuration is `state`; `-1` when `rank` is negative or
    fewer than `rank + 1` of them hold `state`.

    On fermions, `state = 1` gives the site of the k-th particle among some orbitals
    (`state = 0` the k-th hole), so that a term can iterate over excitations of the
    particles a configuration has instead of over all orbitals: `cdag(nth_site(l, 0,
    sites)) * c(nth_site(k, 1, sites))` moves the k-th particle to the l-th hole.

    ```mlir
    %s = sym.nth_site %k {sites = array<i64: 0, 1, 2, 3>, state = 1 : i64} : i64
    ```
    """

    name = "sym.nth_site"

    rank = operand_def(i64)
    sites = prop_def(DenseArrayBase)
    state = prop_def(IntegerAttr)
    result = result_def(i64)

    traits = traits_def(Pure())

    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$rank attr-dict `:` type($result)"

    def __init__(self, rank: SSAValue, sites: Sequence[int], state: int):
        super().__init__(
            operands=[rank],
            properties={
                "sites": packed_array(i64, [int(s) for s in sites]),
                "state": IntegerAttr(int(state), i64),
            },
            result_types=[i64],
        )

    @property
    def site_list(self) -> tuple[int, ...]:
        return tuple(int(s) for s in self.sites.get_values())

    def verify_(self):
        if self.sites.elt_type != i64:
            raise VerifyException("'sym.nth_site' sites must be an array<i64>")
        if self.state.type != i64:
            raise VerifyException("'sym.nth_site' state must be an i64 integer")
        operator = enclosing(self, OperatorOp)
        n = operator.num_sites.data if isinstance(operator, OperatorOp) else None
        sites = self.site_list
        check_site_list(self, sites, n)
        v = self.state.value.data
        if isinstance(operator, OperatorOp) and v not in operator.states:
            raise VerifyException(
                f"'sym.nth_site' state {v} is not a local state {list(operator.states)}"
            )
        k = constant_int(self.rank)
        if k is not None and not 0 <= k < len(sites):
            raise VerifyException(
                f"'sym.nth_site' rank {k} is outside [0, {len(sites)}) for {len(sites)} sites"
            )

    @staticmethod
    def evaluate_on(x: Sequence[int], sites: Sequence[int], state: int, rank: int) -> int:
        """The site on configuration `x` (the meaning, for the interpreter)."""
        if rank < 0:
            return -1
        for s in sites:
            if x[s] == state:
                if rank == 0:
                    return int(s)
                rank -= 1
        return -1


# --------------------------------------------------------------------------- expression ops
#
# THE table of expression ops. Every consumer derives from the classes below and the
# registry `EXPRESSION_OPS`: the DSL (`Expr("<mnemonic>", ...)` nodes and the public
# functions named by `DSL_FUNCTION`), the DSL emitter, the reference interpreter and the
# folder (`evaluate`), `symbolic-normalization` (the `Commutative` trait), and the
# `branch` dialect (the counterpart `branch.<mnemonic>`, see `branch.ELEMENTWISE`).
# Adding an op: docs/adding-an-op.md.


Value = bool | int | float | complex
"""The Python value of a sym value: `i1` -> bool, `i64` -> int (in `[-2**63, 2**63)`),
`f64` -> float, `complex<f64>` -> complex."""


def wrap_i64(value: int) -> int:
    """`value` as a 64-bit two's complement integer: what the kernel's `i64` arithmetic
    gives (`2**63` wraps around to `-2**63`). An exact result of `+`, `-`, `*` wrapped
    once equals the result with every step wrapped."""
    return (value + 2**63) % 2**64 - 2**63


def cast_value(value: Value, t: Attribute) -> Value:
    """`value` as the Python representation of the sym type `t` (see `Value`); an
    integer outside 64 bits wraps around (`wrap_i64`)."""
    if t == i1:
        return bool(value)
    if t == i64:
        if isinstance(value, bool | int | np.integer):
            return wrap_i64(int(value))
        raise TypeError(f"cannot use {value!r} as an i64")
    if t == f64:
        if isinstance(value, complex | np.complexfloating):
            raise TypeError(f"cannot use complex {value!r} as an f64")
        return float(value)
    if t == c64:
        return complex(value)
    raise TypeError(f"unsupported sym value type {t}")


_I64_RANGE = (-(2**63), 2**63 - 1)


def constant_attr(value: Value, t: Attribute) -> IntegerAttr | FloatAttr | None:
    """The `sym.constant` attribute holding `value` of type `t`, or None where no
    `sym.constant` can (a complex value, an i64 outside 64 bits, a non-finite float)."""
    if t == i1:
        return IntegerAttr(int(bool(value)), i1)
    if t == i64:
        v = int(value)
        return IntegerAttr(v, i64) if _I64_RANGE[0] <= v <= _I64_RANGE[1] else None
    if t == f64:
        v = float(value)
        return FloatAttr(v, f64) if math.isfinite(v) else None
    return None


@dataclass(frozen=True)
class Arithmetic:
    """An evaluation rule on operands promoted to the result type `t`: exact on `i64`
    (`on_int`, Python ints; the interpreter wraps the result into 64 bits, `cast_value`,
    and the folder does not fold one outside them), IEEE on `f64` / `complex<f64>`
    (`on_float`, a numpy function, warnings silenced: `1.0 / 0` is `inf`, `sqrt(-1.0)` is
    `nan`)."""

    on_int: Callable[..., int] | None
    on_float: Callable[..., Any]

    def __call__(self, t: Attribute, *args: Value) -> Value:
        values = [cast_value(a, t) for a in args]
        if t == i64:
            assert self.on_int is not None, f"no integer rule, yet an i64 result {t}"
            return self.on_int(*values)
        scalar = np.complex128 if t == c64 else np.float64
        with np.errstate(all="ignore"):
            result = self.on_float(*(scalar(v) for v in values))
        return complex(result) if t == c64 else float(result)


class ExpressionOp(IRDLOperation, HasFolderInterface):
    """Base of the expression ops: a pure function of its operands.

    What an op class says about itself (the one table; docs/adding-an-op.md):
    - `name = "sym.<mnemonic>"`: `<mnemonic>` is also its DSL node (`Expr("<mnemonic>")`)
      and the name of its `branch` counterpart `branch.<mnemonic>`;
    - `DSL_FUNCTION`: the public DSL function (`symir.<DSL_FUNCTION>(...)`) building it,
      or None where Python's operators build it (`+`, `<`, `&`, `~`, `abs(...)`, ...);
    - `evaluate(*values)`: its meaning on Python values (`Value`), which the reference
      interpreter runs and the folder uses; `RULE`, when set, is that meaning as an
      `Arithmetic` rule;
    - `verify_`: the types it accepts (the DSL reports the same message);
    - traits: `Pure`, and `Commutative` where the operand order does not matter.

    `fold` (xDSL's folder interface, run by `canonicalize`): an op whose operands are all
    `sym.constant`s becomes the constant `evaluate` gives, where a `sym.constant` can hold
    it (`constant_attr`).
    """

    traits = traits_def(Pure())

    DSL_FUNCTION: ClassVar[str | None] = None
    RULE: ClassVar[Arithmetic | None] = None

    @classmethod
    def mnemonic(cls) -> str:
        """The op name without the dialect: the DSL node and the branch op's mnemonic."""
        return cls.name.removeprefix("sym.")

    @classmethod
    def from_dsl(cls, operands: Sequence[SSAValue], *attributes: Any) -> ExpressionOp:
        """The op on `operands`; `attributes` are the DSL node's non-operand arguments
        (the predicate of `sym.cmp`)."""
        return cls(*attributes, *operands)

    def evaluate(self, *args: Value) -> Value:
        """The result for operand values `args`, as a `Value` of the result type."""
        if self.RULE is None:
            raise NotImplementedError(f"'{self.name}' has no evaluation rule")
        return self.RULE(self.results[0].type, *args)

    def fold(self) -> Sequence[SSAValue | Attribute] | None:
        values = [constant_value(v) for v in self.operands]
        if not values or any(v is None for v in values):
            return None
        value = self.evaluate(*values)  # type: ignore[arg-type]
        attr = constant_attr(value, self.results[0].type)
        return None if attr is None else (attr,)


class BinaryOpBase(ExpressionOp):
    """`%r = sym.<op> %lhs, %rhs : lhs_type, rhs_type -> result_type` with promotion."""

    lhs = operand_def(NumericType)
    rhs = operand_def(NumericType)
    result = result_def(NumericType)

    assembly_format = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)"

    AT_LEAST: ClassVar[Attribute | None] = None
    ALLOWS_COMPLEX: ClassVar[bool] = True

    def __init__(self, lhs: SSAValue, rhs: SSAValue):
        super().__init__(
            operands=[lhs, rhs],
            result_types=[promote(lhs.type, rhs.type, at_least=self.AT_LEAST)],
        )

    def verify_(self):
        allowed = (i64, f64, c64)
        if not self.ALLOWS_COMPLEX:
            allowed = (i64, f64)
        for name, v in (("lhs", self.lhs), ("rhs", self.rhs)):
            _check_value_type(self, name, v.type, allowed)
        expected = promote(self.lhs.type, self.rhs.type, at_least=self.AT_LEAST)
        if self.result.type != expected:
            raise VerifyException(
                f"'{self.name}' result type must be {expected} for operands "
                f"{self.lhs.type}, {self.rhs.type}, got {self.result.type}"
            )


@irdl_op_definition
class AddOp(BinaryOpBase):
    """`lhs + rhs`.

    ```mlir
    %r = sym.add %a, %b : i64, f64 -> f64
    ```
    """

    name = "sym.add"
    traits = traits_def(Commutative())
    RULE: ClassVar[Arithmetic | None] = Arithmetic(pyop.add, np.add)


@irdl_op_definition
class SubOp(BinaryOpBase):
    """`lhs - rhs`.

    ```mlir
    %r = sym.sub %a, %b : i64, i64 -> i64
    ```
    """

    name = "sym.sub"
    RULE: ClassVar[Arithmetic | None] = Arithmetic(pyop.sub, np.subtract)


@irdl_op_definition
class MulOp(BinaryOpBase):
    """`lhs * rhs`.

    ```mlir
    %r = sym.mul %a, %b : f64, complex<f64> -> complex<f64>
    ```
    """

    name = "sym.mul"
    traits = traits_def(Commutative())
    RULE: ClassVar[Arithmetic | None] = Arithmetic(pyop.mul, np.multiply)


@irdl_op_definition
class DivOp(BinaryOpBase):
    """True division `lhs / rhs`; the result is at least `f64`.

    ```mlir
    %r = sym.div %a, %b : i64, i64 -> f64
    ```
    """

    name = "sym.div"
    AT_LEAST: ClassVar[Attribute | None] = f64
    RULE: ClassVar[Arithmetic | None] = Arithmetic(None, np.true_divide)


@irdl_op_definition
class PowOp(BinaryOpBase):
    """`lhs ** rhs`; the result is at least `f64`.

    ```mlir
    %r = sym.pow %a, %b : i64, f64 -> f64
    ```
    """

    name = "sym.pow"
    AT_LEAST: ClassVar[Attribute | None] = f64
    RULE: ClassVar[Arithmetic | None] = Arithmetic(None, np.power)


@irdl_op_definition
class MinOp(BinaryOpBase):
    """`min(lhs, rhs)` on real values (a NaN operand gives NaN).

    ```mlir
    %r = sym.min %a, %b : i64, i64 -> i64
    ```
    """

    name = "sym.min"
    traits = traits_def(Commutative())
    ALLOWS_COMPLEX: ClassVar[bool] = False
    DSL_FUNCTION: ClassVar[str | None] = "minimum"
    RULE: ClassVar[Arithmetic | None] = Arithmetic(min, np.minimum)


@irdl_op_definition
class MaxOp(BinaryOpBase):
    """`max(lhs, rhs)` on real values (a NaN operand gives NaN).

    ```mlir
    %r = sym.max %a, %b : f64, i64 -> f64
    ```
    """

    name = "sym.max"
    traits = traits_def(Commutative())
    ALLOWS_COMPLEX: ClassVar[bool] = False
    DSL_FUNCTION: ClassVar[str | None] = "maximum"
    RULE: ClassVar[Arithmetic | None] = Arithmetic(max, np.maximum)


class UnaryOpBase(ExpressionOp):
    """`%r = sym.<op> %operand : operand_type -> result_type`.

    `IDENTITY_ON`: the operand types on which the op is the identity (it folds to its
    operand there, and a lowering may forward the operand)."""

    operand = operand_def(NumericType)
    result = result_def(NumericType)

    assembly_format = "$operand attr-dict `:` type($operand) `->` type($result)"

    ALLOWED: ClassVar[tuple[Attribute, ...]] = (i64, f64, c64)
    IDENTITY_ON: ClassVar[tuple[Attribute, ...]] = ()

    @classmethod
    def result_type_for(cls, t: Attribute) -> Attribute:
        return t

    def __init__(self, operand: SSAValue):
        super().__init__(operands=[operand], result_types=[self.result_type_for(operand.type)])

    def verify_(self):
        _check_value_type(self, "operand", self.operand.type, self.ALLOWED)
        expected = self.result_type_for(self.operand.type)
        if self.result.type != expected:
            raise VerifyException(
                f"'{self.name}' result type must be {expected} for operand "
                f"{self.operand.type}, got {self.result.type}"
            )

    def fold(self) -> Sequence[SSAValue | Attribute] | None:
        if self.operand.type in self.IDENTITY_ON:
            return (self.operand,)
        return super().fold()


class FloatingUnaryOpBase(UnaryOpBase):
    """A unary function whose result is at least `f64`."""

    @classmethod
    def result_type_for(cls, t: Attribute) -> Attribute:
        return promote(t, at_least=f64)


@irdl_op_definition
class NegOp(UnaryOpBase):
    """`-operand`.

    ```mlir
    %r = sym.neg %a : i64 -> i64
    ```
    """

    name = "sym.neg"
    RULE: ClassVar[Arithmetic | None] = Arithmetic(pyop.neg, np.negative)


@irdl_op_definition
class AbsOp(UnaryOpBase):
    """`|operand|`; the modulus of a complex value is `f64`.

    ```mlir
    %r = sym.abs %a : complex<f64> -> f64
    ```
    """

    name = "sym.abs"

    @classmethod
    def result_type_for(cls, t: Attribute) -> Attribute:
        return f64 if t == c64 else t

    def evaluate(self, *args: Value) -> Value:
        return abs(args[0])


@irdl_op_definition
class ConjOp(UnaryOpBase):
    """Complex conjugate (the identity on real values).

    ```mlir
    %r = sym.conj %a : complex<f64> -> complex<f64>
    ```
    """

    name = "sym.conj"
    IDENTITY_ON: ClassVar[tuple[Attribute, ...]] = (i64, f64)
    DSL_FUNCTION: ClassVar[str | None] = "conj"

    def evaluate(self, *args: Value) -> Value:
        (v,) = args
        return v.conjugate() if isinstance(v, complex) else v


@irdl_op_definition
class RealOp(UnaryOpBase):
    """Real part.

    ```mlir
    %r = sym.real %a : complex<f64> -> f64
    ```
    """

    name = "sym.real"
    ALLOWED: ClassVar[tuple[Attribute, ...]] = (c64,)
    DSL_FUNCTION: ClassVar[str | None] = "real"

    @classmethod
    def result_type_for(cls, t: Attribute) -> Attribute:
        return f64

    def evaluate(self, *args: Value) -> Value:
        return complex(args[0]).real


@irdl_op_definition
class ImagOp(UnaryOpBase):
    """Imaginary part.

    ```mlir
    %r = sym.imag %a : complex<f64> -> f64
    ```
    """

    name = "sym.imag"
    ALLOWED: ClassVar[tuple[Attribute, ...]] = (c64,)
    DSL_FUNCTION: ClassVar[str | None] = "imag"

    @classmethod
    def result_type_for(cls, t: Attribute) -> Attribute:
        return f64

    def evaluate(self, *args: Value) -> Value:
        return complex(args[0]).imag


@irdl_op_definition
class SqrtOp(FloatingUnaryOpBase):
    """Square root (a negative real gives NaN; use a complex operand for the branch).

    ```mlir
    %r = sym.sqrt %a : i64 -> f64
    ```
    """

    name = "sym.sqrt"
    DSL_FUNCTION: ClassVar[str | None] = "sqrt"
    RULE: ClassVar[Arithmetic | None] = Arithmetic(None, np.sqrt)


@irdl_op_definition
class ExpOp(FloatingUnaryOpBase):
    """`exp(operand)`.

    ```mlir
    %r = sym.exp %a : f64 -> f64
    ```
    """

    name = "sym.exp"
    DSL_FUNCTION: ClassVar[str | None] = "exp"
    RULE: ClassVar[Arithmetic | None] = Arithmetic(None, np.exp)


@irdl_op_definition
class LogOp(FloatingUnaryOpBase):
    """Natural logarithm (`log(0) = -inf`, a negative real gives NaN).

    ```mlir
    %r = sym.log %a : f64 -> f64
    ```
    """

    name = "sym.log"
    DSL_FUNCTION: ClassVar[str | None] = "log"
    RULE: ClassVar[Arithmetic | None] = Arithmetic(None, np.log)


@irdl_op_definition
class SinOp(FloatingUnaryOpBase):
    """`sin(operand)`.

    ```mlir
    %r = sym.sin %a : f64 -> f64
    ```
    """

    name = "sym.sin"
    DSL_FUNCTION: ClassVar[str | None] = "sin"
    RULE: ClassVar[Arithmetic | None] = Arithmetic(None, np.sin)


@irdl_op_definition
class CosOp(FloatingUnaryOpBase):
    """`cos(operand)`.

    ```mlir
    %r = sym.cos %a : f64 -> f64
    ```
    """

    name = "sym.cos"
    DSL_FUNCTION: ClassVar[str | None] = "cos"
    RULE: ClassVar[Arithmetic | None] = Arithmetic(None, np.cos)


@irdl_op_definition
class FloorOp(UnaryOpBase):
    """The largest integer not above a real value (`floor(-0.5) = -1.0`; NaN and
    infinities stay); the identity on `i64`. Not defined on complex values.

    ```mlir
    %r = sym.floor %a : f64 -> f64
    ```
    """

    name = "sym.floor"
    ALLOWED: ClassVar[tuple[Attribute, ...]] = (i64, f64)
    IDENTITY_ON: ClassVar[tuple[Attribute, ...]] = (i64,)
    DSL_FUNCTION: ClassVar[str | None] = "floor"
    RULE: ClassVar[Arithmetic | None] = Arithmetic(int, np.floor)  # int: the identity

    def verify_(self):
        if self.operand.type == c64:
            raise VerifyException(
                "'sym.floor' is not defined on complex values; take sym.real or sym.imag first"
            )
        super().verify_()


@irdl_op_definition
class WrapModOp(UnaryOpBase):
    """Wraps an integer into the contiguous local states: `s0 + (v - s0) mod d`.

    ```mlir
    %r = sym.wrap_mod %a : i64 -> i64
    ```
    """

    name = "sym.wrap_mod"
    ALLOWED: ClassVar[tuple[Attribute, ...]] = (i64,)
    DSL_FUNCTION: ClassVar[str | None] = "wrap_mod"

    def verify_(self):
        super().verify_()
        _check_contiguous_states(self)

    def evaluate(self, *args: Value) -> Value:
        operator_op = enclosing(self, OperatorOp)
        if operator_op is None:
            raise ValueError("'sym.wrap_mod' outside a 'sym.operator' has no local states")
        states = operator_op.states
        return states[0] + wrap_i64(int(args[0]) - states[0]) % len(states)

    def fold(self) -> Sequence[SSAValue | Attribute] | None:
        if enclosing(self, OperatorOp) is None:
            return None
        return super().fold()


@irdl_op_definition
class ParityOp(UnaryOpBase):
    """`(-1)^n` of an integer: 1 for even `n`, -1 for odd `n` (the sign of `n`
    transpositions; `sym.parity` of a `sym.count` is a Jordan-Wigner string).

    ```mlir
    %s = sym.parity %n : i64 -> i64
    ```
    """

    name = "sym.parity"
    ALLOWED: ClassVar[tuple[Attribute, ...]] = (i64,)
    DSL_FUNCTION: ClassVar[str | None] = "parity"

    def verify_(self):
        if self.operand.type != i64:
            raise VerifyException(
                f"'sym.parity' needs an integer (i64) operand, got {self.operand.type}"
            )
        super().verify_()

    def evaluate(self, *args: Value) -> Value:
        return 1 - 2 * (int(args[0]) % 2)


@irdl_op_definition
class ComplexOp(ExpressionOp):
    """Builds `re + i * im` from two real values.

    ```mlir
    %z = sym.complex %re, %im : f64, f64
    ```
    """

    name = "sym.complex"

    re = operand_def(base(IntegerType) | base(Float64Type))
    im = operand_def(base(IntegerType) | base(Float64Type))
    result = result_def(c64)

    assembly_format = "$re `,` $im attr-dict `:` type($re) `,` type($im)"

    DSL_FUNCTION: ClassVar[str | None] = "complex_"

    def __init__(self, re: SSAValue, im: SSAValue):
        super().__init__(operands=[re, im], result_types=[c64])

    def verify_(self):
        for name, v in (("re", self.re), ("im", self.im)):
            _check_value_type(self, name, v.type, (i64, f64))
        if self.result.type != c64:
            raise VerifyException("'sym.complex' result must be complex<f64>")

    def evaluate(self, *args: Value) -> Value:
        re, im = args
        return complex(float(re), float(im))


@irdl_op_definition
class CmpOp(ExpressionOp):
    """Compares two values, promoted to their common type (IEEE: an ordered comparison
    with NaN is false); complex values support only `eq` and `ne`.

    ```mlir
    %p = sym.cmp lt %a, %b : i64, f64
    ```
    """

    name = "sym.cmp"

    predicate = prop_def(CmpPredicateAttr)
    lhs = operand_def(NumericType)
    rhs = operand_def(NumericType)
    result = result_def(i1)

    def __init__(self, predicate: str | CmpPredicate, lhs: SSAValue, rhs: SSAValue):
        super().__init__(
            operands=[lhs, rhs],
            properties={"predicate": CmpPredicateAttr(CmpPredicate(predicate))},
            result_types=[i1],
        )

    def verify_(self):
        pred = self.predicate.data
        for name, v in (("lhs", self.lhs), ("rhs", self.rhs)):
            _check_value_type(self, name, v.type, (i1, i64, f64, c64))
        if pred.ordered and c64 in (self.lhs.type, self.rhs.type):
            raise VerifyException(f"'sym.cmp' {pred} is not defined on complex values")

    def evaluate(self, *args: Value) -> Value:
        common = promote(self.lhs.type, self.rhs.type)
        a, b = (cast_value(v, common) for v in args)
        return self.predicate.data.python(a, b)

    def print(self, printer: Printer):
        printer.print_string(f" {self.predicate.data} ")
        printer.print_operand(self.lhs)
        printer.print_string(", ")
        printer.print_operand(self.rhs)
        printer.print_string(" : ")
        printer.print_attribute(self.lhs.type)
        printer.print_string(", ")
        printer.print_attribute(self.rhs.type)

    @classmethod
    def parse(cls, parser: Parser) -> CmpOp:
        pred = parser.parse_keyword_in(CMP_PREDICATES)
        lhs = parser.parse_unresolved_operand()
        parser.parse_punctuation(",")
        rhs = parser.parse_unresolved_operand()
        parser.parse_punctuation(":")
        lt = parser.parse_type()
        parser.parse_punctuation(",")
        rt = parser.parse_type()
        return cls(pred, parser.resolve_operand(lhs, lt), parser.resolve_operand(rhs, rt))


def _check_predicates(op: Operation, values: Sequence[SSAValue]):
    for v in values:
        if v.type != i1:
            raise VerifyException(f"'{op.name}' operands must be i1 predicates, got {v.type}")


class LogicOpBase(ExpressionOp):
    """N-ary boolean op on `i1` values."""

    inputs = var_operand_def(i1)
    result = result_def(i1)

    assembly_format = "$inputs attr-dict"

    def __init__(self, inputs: Sequence[SSAValue]):
        super().__init__(operands=[list(inputs)], result_types=[i1])

    @classmethod
    def from_dsl(cls, operands: Sequence[SSAValue], *attributes: Any) -> ExpressionOp:
        return cls(operands)

    def verify_(self):
        if len(self.inputs) < 1:
            raise VerifyException(f"'{self.name}' needs at least one operand")
        _check_predicates(self, self.inputs)


@irdl_op_definition
class AndOp(LogicOpBase):
    """Conjunction of one or more booleans.

    ```mlir
    %p = sym.and %a, %b, %c
    ```
    """

    name = "sym.and"
    traits = traits_def(Commutative())

    def evaluate(self, *args: Value) -> Value:
        return all(bool(v) for v in args)


@irdl_op_definition
class OrOp(LogicOpBase):
    """Disjunction of one or more booleans.

    ```mlir
    %p = sym.or %a, %b
    ```
    """

    name = "sym.or"
    traits = traits_def(Commutative())

    def evaluate(self, *args: Value) -> Value:
        return any(bool(v) for v in args)


@irdl_op_definition
class NotOp(ExpressionOp):
    """Boolean negation.

    ```mlir
    %q = sym.not %p
    ```
    """

    name = "sym.not"

    input = operand_def(i1)
    result = result_def(i1)

    assembly_format = "$input attr-dict"

    def __init__(self, value: SSAValue):
        super().__init__(operands=[value], result_types=[i1])

    def verify_(self):
        _check_predicates(self, (self.input,))

    def evaluate(self, *args: Value) -> Value:
        return not bool(args[0])


@irdl_op_definition
class SelectOp(ExpressionOp):
    """`cond ? a : b`, promoted to the common type of `a` and `b`.

    ```mlir
    %r = sym.select %p, %a, %b : i64, f64 -> f64
    ```
    """

    name = "sym.select"

    condition = operand_def(i1)
    if_true = operand_def(NumericType)
    if_false = operand_def(NumericType)
    result = result_def(NumericType)

    assembly_format = (
        "$condition `,` $if_true `,` $if_false attr-dict `:` "
        "type($if_true) `,` type($if_false) `->` type($result)"
    )

    DSL_FUNCTION: ClassVar[str | None] = "select"

    def __init__(self, condition: SSAValue, if_true: SSAValue, if_false: SSAValue):
        super().__init__(
            operands=[condition, if_true, if_false],
            result_types=[promote(if_true.type, if_false.type)],
        )

    def verify_(self):
        _check_predicates(self, (self.condition,))
        expected = promote(self.if_true.type, self.if_false.type)
        for name, v in (("if_true", self.if_true), ("if_false", self.if_false)):
            _check_value_type(self, name, v.type, (i64, f64, c64))
        if self.result.type != expected:
            raise VerifyException(
                f"'sym.select' result type must be {expected}, got {self.result.type}"
            )

    def evaluate(self, *args: Value) -> Value:
        condition, if_true, if_false = args
        return cast_value(if_true if condition else if_false, self.result.type)


_LOOKUP_TABLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@irdl_op_definition
class LookupOp(ExpressionOp):
    """The entry of a static table of real numbers at an integer key, `0.0` for a key the
    table does not hold: a coefficient table read row by row (the integrals of a
    molecular Hamiltonian, keyed by orbital indices). The keys are distinct. An index that
    is static per row (labels and integer constants) reads the table when the operator
    is lowered; one known only at run time (a value of `x`, a site found by
    `sym.nth_site`) reads it in the kernel (`convert-branch-to-stablehlo`: a gather from a
    dense table spanning the keys, of at most 2^20 entries, or one select per key for at
    most 256 keys spanning more).

    ```mlir
    %c = sym.lookup %k {keys = array<i64: 0, 3>, values = array<f64: 0.5, -1.25>} : i64 -> f64
    ```
    """

    name = "sym.lookup"

    keys = prop_def(DenseArrayBase)
    values = prop_def(DenseArrayBase)
    index = operand_def(NumericType)
    result = result_def(f64)

    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$index attr-dict `:` type($index) `->` type($result)"

    DSL_FUNCTION: ClassVar[str | None] = None  # `symir.lookup(table, index)` (frontend)

    def __init__(self, keys: Sequence[int], values: Sequence[float], index: SSAValue):
        super().__init__(
            operands=[index],
            properties={
                "keys": packed_array(i64, keys),
                "values": packed_array(f64, values),
            },
            result_types=[f64],
        )

    def table(self) -> dict[int, float]:
        """The table as a dict key -> value (built once per op)."""
        cached = _LOOKUP_TABLES.get(self)
        if cached is None or cached[0] is not self.keys or cached[1] is not self.values:
            table = dict(zip(self.keys.get_values(), self.values.get_values(), strict=True))
            cached = _LOOKUP_TABLES[self] = (self.keys, self.values, table)
        return cached[2]

    def verify_(self):
        _check_value_type(self, "index", self.index.type, (i64,))
        if self.keys.elt_type != i64 or self.values.elt_type != f64:
            raise VerifyException("'sym.lookup' keys must be i64 and values f64 arrays")
        keys = self.keys.get_values()
        if len(keys) != len(self.values.get_values()):
            raise VerifyException(
                f"'sym.lookup' has {len(keys)} keys but {len(self.values.get_values())} values"
            )
        if len(set(keys)) != len(keys):
            raise VerifyException("'sym.lookup' keys must be distinct")

    def evaluate(self, *args: Value) -> Value:
        (k,) = args
        return float(self.table().get(int(k), 0.0))


EXPRESSION_OPS: dict[str, type[ExpressionOp]] = {
    op.mnemonic(): op
    for op in (
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
    )
}
"""The expression ops by mnemonic (= DSL node name): the registry every consumer derives
from (the DSL emitter, the reference interpreter, the `branch` counterparts)."""

UPDATE_OPS = (
    WriteOp,
    ShiftOp,
    ShiftModOp,
    SwapOp,
    PermuteOp,
    AffineOp,
    ScatterOp,
    InvalidateOp,
    CondOp,
)


class SymConstantMaterialization(ConstantMaterializationInterface):
    """Folded values become `sym.constant`s (xDSL's folder asks the dialect)."""

    def materialize_constant(self, value: Attribute, type: Attribute) -> Operation | None:
        if isinstance(value, IntegerAttr | FloatAttr) and value.type == type:
            return ConstantOp(value)
        return None


Sym = Dialect(
    "sym",
    [
        OperatorOp,
        TermOp,
        WhereOp,
        EmissionOp,
        YieldOp,
        *UPDATE_OPS,
        ConstantOp,
        ParamOp,
        LabelOp,
        ReadOp,
        ReadEmittedOp,
        CountOp,
        NthSiteOp,
        *EXPRESSION_OPS.values(),
    ],
    [CmpPredicateAttr],
    [SymConstantMaterialization()],
)
