"""The elementwise ops, the counterparts of the `sym` expression ops (same mnemonic:
`ELEMENTWISE` pairs them by name), on their bases (`ElementwiseBase`, `BinaryBase`,
`UnaryBase`, `LogicBase`), and `branch.member`.

The counterpart of a *plain* `sym` op (on `BinaryOpBase`, `UnaryOpBase` or `LogicOpBase`,
without properties: `add`, `sqrt`, `floor`, `and`, ...) is generated from the `sym` op's
class (`counterpart_op`): the same operand types (`ALLOWED`), the same result rule
(`result_type_for`), element by element, named `branch.<mnemonic>` and the class name of
the `sym` op (`branch.FloorOp`). The others, whose `branch` form differs (properties,
a predicate, a condition), are written here by hand (`HAND_WRITTEN`). `COUNTERPARTS` holds
them all, by mnemonic, in the order of `sym.EXPRESSION_OPS`.
"""

from __future__ import annotations

import inspect
import io
import re
from collections.abc import Sequence
from typing import ClassVar

from xdsl.dialects.builtin import DenseArrayBase, IntegerAttr, TensorType, f64, i1, i64
from xdsl.ir import Attribute, Block, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from symir.dialects import sym
from symir.dialects.branch.kernel import _check_states
from symir.dialects.branch.types import Numeric, _elem, _rows_of, _same_rows, values_type
from symir.dialects.types import (
    CmpPredicate,
    CmpPredicateAttr,
    c64,
    parse_cmp,
    print_cmp,
    promote,
)


class ElementwiseBase(IRDLOperation):
    """Elementwise op on `tensor<?xMxT>` values; element types follow `sym` promotion.

    Each is the counterpart of the `sym` expression op of the same mnemonic (`ELEMENTWISE`)
    and means what that op means, element by element."""

    traits = traits_def(Pure())

    ALLOWED: ClassVar[tuple[Attribute, ...]] = Numeric
    GENERATED_FROM: ClassVar[type[sym.ExpressionOp] | None] = None
    """The `sym` op this op was generated from (`counterpart_op`); None: written by hand."""

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
    """`%r = branch.<op> %lhs, %rhs : tensor<?xMxA>, tensor<?xMxB> -> tensor<?xMxR>`."""

    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    result = result_def(TensorType)

    assembly_format = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)"

    def __init__(self, lhs: SSAValue, rhs: SSAValue):
        rows = _rows_of(self, lhs.type, "lhs")
        t = self.element_result(_elem(lhs.type), _elem(rhs.type))
        super().__init__(operands=[lhs, rhs], result_types=[values_type(rows, t)])


class UnaryBase(ElementwiseBase):
    """`%r = branch.<op> %operand : tensor<?xMxA> -> tensor<?xMxR>`."""

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
        print_cmp(printer, self, attributes=True, result=True)

    @classmethod
    def parse(cls, parser: Parser) -> CmpOp:
        pred, lhs, rhs, attributes, result_type = parse_cmp(parser, attributes=True, result=True)
        op = cls(pred, lhs, rhs)
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
    """`%r = branch.<op> %a, %b, ... : tensor<?xMxi1>, ... -> tensor<?xMxi1>`."""

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
    """Elementwise entry of a table at integer keys (`0.0` where the table has no
    entry): `sym.lookup` on every row. The entries are static (`values`) or a table
    parameter of the kernel (`tensor<Kxf64>`, its j-th entry the value of the j-th key).
    `convert-sym-to-branch` keeps only the static entries its rows read when the keys are
    static per row; `convert-branch-to-stablehlo` reads the table at run-time keys by a
    gather from a dense table spanning them.

    ```mlir
    %c = branch.lookup %k {keys = array<i64: 0, 3>, values = array<f64: 0.5, -1.25>} : tensor<?x2xi64> -> tensor<?x2xf64>
    %d = branch.lookup %k, %t {keys = array<i64: 0, 3>} : tensor<?x2xi64>, tensor<2xf64> -> tensor<?x2xf64>
    ```
    """

    name = "branch.lookup"

    keys = prop_def(DenseArrayBase)
    values = opt_prop_def(DenseArrayBase)
    index = operand_def(TensorType)
    table_param = opt_operand_def(TensorType)
    result = result_def(TensorType)

    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = (
        "$index (`,` $table_param^)? attr-dict `:` type($index) (`,` type($table_param)^)? "
        "`->` type($result)"
    )

    ALLOWED: ClassVar[tuple[Attribute, ...]] = (i64,)

    @classmethod
    def element_result(cls, *types: Attribute) -> Attribute:
        return f64

    def __init__(self, index: SSAValue, keys: Sequence[int], values: Sequence[float] | SSAValue):
        """`values`: the static entries, or the kernel's `tensor<Kxf64>` table parameter."""
        rows = _rows_of(self, index.type, "index")
        props = {"keys": sym.packed_array(i64, keys)}
        operands: list = [index, []]
        if isinstance(values, SSAValue):
            operands[1] = [values]
        else:
            props["values"] = sym.packed_array(f64, values)
        super().__init__(operands=operands, properties=props, result_types=[values_type(rows, f64)])

    def verify_(self):
        rows = _rows_of(self, self.index.type, "index")
        if _elem(self.index.type) != i64 or self.result.type != values_type(rows, f64):
            raise VerifyException("'branch.lookup' maps tensor<?xMxi64> to tensor<?xMxf64>")
        keys = self.keys.get_values()
        if (self.values is None) == (self.table_param is None):
            raise VerifyException(
                "'branch.lookup' needs either static values or a table parameter operand, not both"
            )
        if self.values is not None and len(keys) != len(self.values.get_values()):
            raise VerifyException("'branch.lookup' needs as many keys as values")
        if self.table_param is not None:
            expected = TensorType(f64, [len(keys)])
            if self.table_param.type != expected:
                raise VerifyException(
                    f"'branch.lookup' has {len(keys)} keys: its table parameter must be "
                    f"{expected}, got {self.table_param.type}"
                )


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


# --------------------------------------------------------------------------- generated

HAND_WRITTEN: tuple[type[ElementwiseBase], ...] = (
    WrapModOp,
    ComplexOp,
    CmpOp,
    NotOp,
    SelectOp,
    LookupOp,
)
"""The counterparts written by hand: their `branch` form is not the `sym` op's on tensors
(`branch.wrap_mod` holds the local states, `branch.lookup` its table, ...)."""

_PLAIN_BASES: tuple[tuple[type[sym.ExpressionOp], type[ElementwiseBase]], ...] = (
    (sym.BinaryOpBase, BinaryBase),
    (sym.UnaryOpBase, UnaryBase),
    (sym.LogicOpBase, LogicBase),
)


def plain_base(source: type[sym.ExpressionOp]) -> type[ElementwiseBase] | None:
    """The `branch` base of the counterpart of a plain `sym` op (on `BinaryOpBase`,
    `UnaryOpBase` or `LogicOpBase`, without properties); None for any other op."""
    if source.get_irdl_definition().properties:
        return None
    for sym_base, branch_base in _PLAIN_BASES:
        if issubclass(source, sym_base):
            return branch_base
    return None


def counterpart_op(source: type[sym.ExpressionOp]) -> type[ElementwiseBase]:
    """The `branch` op of the plain `sym` op `source`, generated from its class: named
    `branch.<mnemonic>` and `source`'s class name, on the `sym` op's operand types
    (`ALLOWED`) with its result rule (`result_type_for`) element by element, the verifier
    of its base, and a docstring made of the `sym` op's and an example."""
    base = plain_base(source)
    if base is None:
        raise TypeError(
            f"'{source.name}' is not a plain op (on BinaryOpBase, UnaryOpBase or "
            "LogicOpBase, without properties): write its branch counterpart by hand in "
            "dialects/branch/elementwise.py and add it to HAND_WRITTEN"
        )

    class Counterpart(base):
        name = f"branch.{source.mnemonic()}"
        ALLOWED: ClassVar[tuple[Attribute, ...]] = source.ALLOWED  # type: ignore[attr-defined]
        GENERATED_FROM: ClassVar[type[sym.ExpressionOp] | None] = source

        @classmethod
        def element_result(cls, *types: Attribute) -> Attribute:
            return source.result_type_for(*types)  # type: ignore[attr-defined]

    Counterpart.__name__ = Counterpart.__qualname__ = source.__name__
    op = irdl_op_definition(Counterpart)
    op.__doc__ = _docstring(op, source)
    return op


_TYPES = {str(t): t for t in (i1, i64, f64, c64)}
_EXAMPLE = re.compile(r"(%\w+) = sym\.\w+ ([^:{]*)(?::\s*(.*?)\s*->)?")


def _docstring(op: type[ElementwiseBase], source: type[sym.ExpressionOp]) -> str:
    """The `sym` op's text, and its `mlir` example on `tensor<?x3xT>` values."""
    text = inspect.cleandoc(source.__doc__ or "")
    prose, _, rest = text.partition("```mlir")
    return (
        f"Elementwise `{source.name}` (generated from its class): {prose.strip()}\n\n"
        f"```mlir\n{_example(op, rest.partition('```')[0].strip())}\n```\n"
    )


def _example(op: type[ElementwiseBase], sym_example: str) -> str:
    """`sym_example` (`%r = sym.add %a, %b : i64, f64 -> f64`) as `op` on `tensor<?x3xT>`
    values, printed by `op`'s own format (the operand types of an example that writes
    none are the first `ALLOWED` type)."""
    found = _EXAMPLE.match(sym_example)
    assert found is not None, f"no example to derive from: {sym_example!r}"
    result, operands, types = found.groups()
    names = re.findall(r"%(\w+)", operands)
    elements = [_TYPES[t] for t in types.split(", ")] if types else [op.ALLOWED[0]] * len(names)
    block = Block(arg_types=[values_type(3, t) for t in elements])
    for arg, n in zip(block.args, names, strict=True):
        arg.name_hint = n
    new = op(list(block.args)) if issubclass(op, LogicBase) else op(*block.args)
    new.results[0].name_hint = result.removeprefix("%")
    out = io.StringIO()
    Printer(stream=out).print_op(new)
    return out.getvalue()


def _counterpart(source: type[sym.ExpressionOp]) -> type[ElementwiseBase] | None:
    """The hand-written counterpart of `source`, else the generated one of a plain op."""
    for op in HAND_WRITTEN:
        if op.name == f"branch.{source.mnemonic()}":
            return op
    return counterpart_op(source) if plain_base(source) is not None else None


COUNTERPARTS: dict[str, type[ElementwiseBase]] = {
    mnemonic: found
    for mnemonic, source in sym.EXPRESSION_OPS.items()
    if (found := _counterpart(source)) is not None
}
"""Every `sym` expression op's `branch` counterpart, by mnemonic: the hand-written one,
else the one generated from the `sym` op (`counterpart_op`). A `sym` op that is neither
plain nor has a hand-written one has none (`branch.counterpart` names what to write)."""
