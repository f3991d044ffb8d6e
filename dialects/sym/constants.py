"""The leaves that hold a value of their own, `sym.constant` and `sym.param`, and
`constant_value` / `constant_int` (the value of a `sym.constant`). They sit below
`structure`, which checks parameters and constant site indices.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import (
    ArrayAttr,
    ComplexType,
    Float64Type,
    FloatAttr,
    IntegerAttr,
    IntegerType,
    StringAttr,
    f64,
    i1,
    i64,
)
from xdsl.interfaces import HasFolderInterface
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    base,
    irdl_op_definition,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import ConstantLike, Pure
from xdsl.utils.exceptions import VerifyException

from symir.dialects.sym.common import _check_value_type, _float_literal
from symir.dialects.types import c64


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
