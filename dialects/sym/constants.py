"""The leaves that hold a value of their own, `sym.constant` and `sym.param`, and
`constant_value` / `constant_int` (the value of a `sym.constant`). They sit below
`structure`, which checks parameters and constant site indices.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import (
    ArrayAttr,
    ComplexType,
    DenseArrayBase,
    Float64Type,
    FloatAttr,
    IntegerAttr,
    IntegerType,
    StringAttr,
    TensorType,
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

from symir.dialects.sym.common import (
    InTerm,
    _check_value_type,
    _float_literal,
    _parse_f64_literal,
    packed_array,
)
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
    """A constant integer, float or boolean. An `i64` is signed: a literal outside
    `[-2**63, 2**63)` is refused where it is written (xDSL's signless `i64` would hold
    2**63 as -2**63, and no verifier could tell).

    ```mlir
    %c = sym.constant 3 : i64
    %f = sym.constant 0.5 : f64
    %t = sym.constant true
    ```
    """

    name = "sym.constant"

    value = prop_def(base(IntegerAttr) | base(FloatAttr))
    result = result_def(base(IntegerType) | base(Float64Type))

    traits = traits_def(Pure(), ConstantLike(), InTerm())

    def __init__(self, value: IntegerAttr | FloatAttr):
        super().__init__(properties={"value": value}, result_types=[value.type])

    @staticmethod
    def of(value: bool | int | float) -> ConstantOp:
        if isinstance(value, bool):
            return ConstantOp(IntegerAttr(int(value), i1))
        if isinstance(value, int):
            if not -(2**63) <= value < 2**63:
                raise ValueError(
                    f"'sym.constant' value {value} is outside the signed range of i64 "
                    "[-2**63, 2**63)"
                )
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
    """A named runtime parameter, with an optional default value: a real or complex
    number, or a *table*, a `tensor<Kxf64>` of K real numbers that `sym.lookup` reads
    (the coefficients of a molecular Hamiltonian), with an `array<f64: ...>` default.
    A default must be finite; one written in MLIR's hex form is the bit pattern of an
    `f64`, as in `sym.constant` (`0x3FF0000000000000` is 1.0).

    ```mlir
    %J = sym.param "J" default 1.0 : f64
    %h = sym.param "h" : f64
    %t = sym.param "t" default array<f64: 0.5, -1.25> : tensor<2xf64>
    ```
    """

    name = "sym.param"

    param_name = prop_def(StringAttr)
    default = opt_prop_def(base(FloatAttr) | base(ArrayAttr) | base(DenseArrayBase))
    result = result_def(base(Float64Type) | base(ComplexType) | base(TensorType))

    traits = traits_def(Pure(), InTerm())

    def __init__(self, name: str, type: Attribute, default: object = None):
        props: dict[str, Attribute] = {"param_name": StringAttr(name)}
        if default is not None:
            if isinstance(type, TensorType):
                props["default"] = packed_array(f64, np.ravel(np.asarray(default, dtype=float)))
            elif type == c64:
                d = complex(default)  # type: ignore[arg-type]
                props["default"] = ArrayAttr([FloatAttr(d.real, f64), FloatAttr(d.imag, f64)])
            else:
                props["default"] = FloatAttr(float(default), f64)  # type: ignore[arg-type]
        super().__init__(properties=props, result_types=[type])

    @property
    def is_table(self) -> bool:
        return isinstance(self.result.type, TensorType)

    @property
    def default_value(self) -> complex | float | np.ndarray | None:
        """The default: a number, or for a table a read-only `float64` array."""
        if self.default is None:
            return None
        if isinstance(self.default, DenseArrayBase):
            values = np.frombuffer(self.default.data.data, dtype="<f8").astype(np.float64)
            values.flags.writeable = False
            return values
        if isinstance(self.default, ArrayAttr):
            re, im = (a.value.data for a in self.default.data)
            return complex(re, im)
        return self.default.value.data

    def verify_(self):
        name = self.param_name.data
        if not name.isidentifier():
            raise VerifyException(f"'sym.param' name \"{name}\" must be an identifier")
        self._verify_finite_default(name)
        t = self.result.type
        if isinstance(t, TensorType):
            shape = t.get_shape()
            if t.element_type != f64 or len(shape) != 1 or shape[0] < 1:
                raise VerifyException(
                    f"'sym.param' table \"{name}\" must be a tensor<Kxf64> with K >= 1, got {t}"
                )
            if self.default is not None:
                d = self.default
                if not isinstance(d, DenseArrayBase) or d.elt_type != f64:
                    raise VerifyException(
                        f"'sym.param' table \"{name}\" needs an array<f64: ...> default"
                    )
                if len(d.get_values()) != shape[0]:
                    raise VerifyException(
                        f"'sym.param' table \"{name}\" of {shape[0]} entries has a default "
                        f"of {len(d.get_values())}"
                    )
            return
        if isinstance(self.default, DenseArrayBase):
            raise VerifyException(
                f"'sym.param' \"{name}\" has an array default but type {t} (a table is "
                "tensor<Kxf64>)"
            )
        if isinstance(self.default, ArrayAttr) and t != c64:
            raise VerifyException(f"'sym.param' \"{name}\" has a complex default but type {t}")
        if isinstance(self.default, FloatAttr) and t == c64:
            raise VerifyException(
                f"'sym.param' \"{name}\" of type complex<f64> needs a complex default (re, im)"
            )

    def _verify_finite_default(self, name: str):
        """A default must be finite (the DSL refuses a non-finite one too; the custom
        form prints a default as a decimal literal)."""
        d = self.default_value
        if d is not None and not np.all(np.isfinite(d)):
            shown = d if not isinstance(d, np.ndarray) else d[~np.isfinite(d)][0]
            raise VerifyException(
                f"'sym.param' \"{name}\" has a non-finite default {shown} (a parameter "
                "default must be finite)"
            )

    def print(self, printer: Printer):
        printer.print_string(" ")
        printer.print_string_literal(self.param_name.data)
        if isinstance(self.default, DenseArrayBase):
            printer.print_string(" default ")
            printer.print_attribute(self.default)
        elif (d := self.default_value) is not None:
            printer.print_string(" default ")
            if isinstance(d, complex):
                printer.print_string(f"({_float_literal(d.real)}, {_float_literal(d.imag)})")
            else:
                printer.print_string(_float_literal(d))  # type: ignore[arg-type]
        printer.print_string(" : ")
        printer.print_attribute(self.result.type)

    @classmethod
    def parse(cls, parser: Parser) -> ParamOp:
        name = parser.parse_str_literal()
        default: object = None
        table: Attribute | None = None
        if parser.parse_optional_keyword("default"):
            if parser.parse_optional_punctuation("("):
                re = _parse_f64_literal(parser)
                parser.parse_punctuation(",")
                im = _parse_f64_literal(parser)
                parser.parse_punctuation(")")
                default = complex(re, im)
            elif parser.parse_optional_keyword("array") is not None:
                table = parser._parse_builtin_densearray_attr()  # what follows `array`
            else:
                default = _parse_f64_literal(parser)
        parser.parse_punctuation(":")
        t = parser.parse_type()
        if isinstance(default, complex) and t != c64:
            parser.raise_error(f"'sym.param' complex default needs complex<f64>, got {t}")
        op = cls(name, t, default)
        if table is not None:
            op.default = table
        return op
