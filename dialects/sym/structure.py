"""The structure of an operator: `sym.operator`, `sym.term`, `sym.where`, `sym.emission`
and `sym.yield`, and the check of constant site indices against the enclosing operator.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import (
    ArrayAttr,
    BytesAttr,
    ComplexType,
    DenseArrayBase,
    Float32Type,
    Float64Type,
    IntAttr,
    ModuleOp,
    StringAttr,
    UnitAttr,
    f64,
    i1,
    i64,
)
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    base,
    irdl_op_definition,
    lazy_traits_def,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    region_def,
    traits_def,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import HasParent, IsTerminator, NoTerminator
from xdsl.utils.exceptions import VerifyException

from symir.dialects.dominance import check_dominance
from symir.dialects.sym.common import (
    _check_value_type,
    _int_array,
    _parse_block_region,
    _parse_defined_operand,
    _parse_int_list,
    _parse_string_list,
    _print_string_list,
    _unpack_rows,
    enclosing,
)
from symir.dialects.sym.constants import ParamOp, constant_int
from symir.dialects.types import OPERATOR_DTYPES, NumericType, c64


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
        states = _parse_int_list(parser, "'sym.operator' local state")
        parser.parse_keyword("dtype")
        dtype = parser.parse_type()
        hermitian = parser.parse_optional_keyword("hermitian") is not None
        body = _parse_block_region(parser)
        return cls(name, num_sites, states, dtype, hermitian, body)


def _int_arrays(rows: Sequence[Sequence[int]]) -> list[DenseArrayBase]:
    """The rows as i64 arrays, packed by numpy in one go when they have one length (a
    table of thousands of rows: a term tabulated from as many, `sym-tabulate-terms`)."""
    if rows and len({len(r) for r in rows}) == 1 and len(rows[0]):
        data = np.asarray(rows, dtype="<i8")
        first = DenseArrayBase(i64, BytesAttr(data[0].tobytes()))  # type: ignore[arg-type]
        return [first, *(_same_layout(first, r.tobytes()) for r in data[1:])]
    return [_int_array(r) for r in rows]


def _same_layout(verified: DenseArrayBase, data: bytes) -> DenseArrayBase:
    """`verified` with other bytes of the same length: what the verifiers check (the
    element type, bytes, their length a multiple of its width) holds already, so the
    attributes are made without running them again (10 us a row: a table of 100k rows)."""
    packed = BytesAttr.__new__(BytesAttr)
    object.__setattr__(packed, "data", data)
    attr = DenseArrayBase.__new__(DenseArrayBase)
    object.__setattr__(attr, "elt_type", verified.elt_type)
    object.__setattr__(attr, "data", packed)
    return attr


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
            "rows": ArrayAttr(_int_arrays(rows)),
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
            parser.Delimiter.SQUARE, lambda: _parse_int_list(parser, "'sym.term' row entry")
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


def operator_of(module: ModuleOp, pass_name: str | None = None) -> OperatorOp:
    """The one `sym.operator` of a `builtin.module` (what the `sym`-level passes read).
    Otherwise a `ValueError` naming `pass_name` (the pass that reads it) and the ops
    found, recorded on the second op as `symir.dialects.locations.attach_op` records it
    (symir-opt shows its file:line; not imported: `locations` imports this package)."""
    ops = list(module.ops)
    if len(ops) == 1 and isinstance(ops[0], OperatorOp):
        return ops[0]
    names = [f"@{o.sym_name.data}" if isinstance(o, OperatorOp) else f"'{o.name}'" for o in ops]
    found = f"found {len(ops)}: {', '.join(names)}" if ops else "found none"
    message = f"expected a module holding exactly one 'sym.operator', {found}"
    if pass_name:
        message = f"{pass_name}: {message} (the pass takes one operator per module)"
    error = ValueError(message)
    error.op = ops[1] if len(ops) > 1 else module  # type: ignore[attr-defined]  # as `attach_op`
    raise error
