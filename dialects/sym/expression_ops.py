"""The table of expression ops, `EXPRESSION_OPS`: arithmetic, unary functions,
`sym.complex`, `sym.cmp`, logic, `sym.select` and `sym.lookup`, with the value semantics
every consumer derives from (`Value`, `cast_value`, `Arithmetic`,
`ExpressionOp.evaluate`). Adding one: docs/adding-an-op.md.
"""

from __future__ import annotations

import math
import operator as pyop
import sys
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from xdsl.dialects.builtin import (
    DenseArrayBase,
    Float64Type,
    FloatAttr,
    IntegerAttr,
    IntegerType,
    TensorType,
    f64,
    i1,
    i64,
)
from xdsl.interfaces import HasFolderInterface
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    base,
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
from xdsl.traits import Commutative, Pure
from xdsl.utils.exceptions import VerifyException

from symir.dialects.registry import operations_defined_in
from symir.dialects.sym.common import InTerm, _check_value_type, enclosing, packed_array
from symir.dialects.sym.constants import constant_value
from symir.dialects.sym.structure import OperatorOp
from symir.dialects.sym.updates import _check_contiguous_states
from symir.dialects.types import (
    NUMERIC,
    REAL,
    CmpPredicate,
    CmpPredicateAttr,
    NumericType,
    c64,
    parse_cmp,
    print_cmp,
    promote,
)

# THE table of expression ops. Every consumer derives from the classes below and the
# registry `EXPRESSION_OPS`: the DSL (`Expr("<mnemonic>", ...)` nodes and the public
# functions named by `DSL_FUNCTION`), the DSL emitter, the reference interpreter and the
# folder (`evaluate`), `symbolic-normalization` (the `Commutative` trait), and the
# `branch` dialect (the counterpart `branch.<mnemonic>`, generated from a plain op's class:
# `branch.counterpart_op`; see `branch.ELEMENTWISE`).
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

    A *plain* op (on `BinaryOpBase`, `UnaryOpBase` or `LogicOpBase`, without properties)
    also says `ALLOWED` (its operand types) and `result_type_for(*operand_types)`: its
    `branch` counterpart is generated from them (`branch.counterpart_op`).

    `fold` (xDSL's folder interface, run by `canonicalize`): an op whose operands are all
    `sym.constant`s becomes the constant `evaluate` gives, where a `sym.constant` can hold
    it (`constant_attr`).
    """

    traits = traits_def(Pure(), InTerm())

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

    ALLOWED: ClassVar[tuple[Attribute, ...]] = NUMERIC
    AT_LEAST: ClassVar[Attribute | None] = None

    @classmethod
    def result_type_for(cls, lhs: Attribute, rhs: Attribute) -> Attribute:
        return promote(lhs, rhs, at_least=cls.AT_LEAST)

    def __init__(self, lhs: SSAValue, rhs: SSAValue):
        super().__init__(
            operands=[lhs, rhs], result_types=[self.result_type_for(lhs.type, rhs.type)]
        )

    def verify_(self):
        for name, v in (("lhs", self.lhs), ("rhs", self.rhs)):
            _check_value_type(self, name, v.type, self.ALLOWED)
        expected = self.result_type_for(self.lhs.type, self.rhs.type)
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
    ALLOWED: ClassVar[tuple[Attribute, ...]] = REAL
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
    ALLOWED: ClassVar[tuple[Attribute, ...]] = REAL
    DSL_FUNCTION: ClassVar[str | None] = "maximum"
    RULE: ClassVar[Arithmetic | None] = Arithmetic(max, np.maximum)


def _quotient(a: int, b: int) -> int:
    """`a / b` rounded toward zero (StableHLO's `divide` on integers); `-1` for `b = 0`
    (what XLA gives)."""
    if b == 0:
        return -1
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


@irdl_op_definition
class QuotientOp(BinaryOpBase):
    """Integer division `lhs / rhs` rounded toward zero, on `i64` (StableHLO's `divide`
    on integers; `-1` where `rhs` is 0, as XLA gives): decodes a flat index into digits
    of sizes known only at run time (the excitations of a molecule's irreps,
    symir/chemistry/irrep_slots.py).

    ```mlir
    %r = sym.quotient %a, %b : i64, i64 -> i64
    ```
    """

    name = "sym.quotient"
    ALLOWED: ClassVar[tuple[Attribute, ...]] = (i64,)
    DSL_FUNCTION: ClassVar[str | None] = "quotient"
    RULE: ClassVar[Arithmetic | None] = Arithmetic(_quotient, np.floor_divide)


class UnaryOpBase(ExpressionOp):
    """`%r = sym.<op> %operand : operand_type -> result_type`.

    `IDENTITY_ON`: the operand types on which the op is the identity (it folds to its
    operand there, and a lowering may forward the operand)."""

    operand = operand_def(NumericType)
    result = result_def(NumericType)

    assembly_format = "$operand attr-dict `:` type($operand) `->` type($result)"

    ALLOWED: ClassVar[tuple[Attribute, ...]] = NUMERIC
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
class TruncOp(UnaryOpBase):
    """The integer part of a real value, rounded toward zero, as an `i64` (`trunc(-1.5) =
    -1`; StableHLO's `convert`); the identity on `i64`. It turns an integer read from a
    real table (`sym.lookup`) into a key, a rank or a divisor (the per-state tables of a
    molecule's symmetry slots, symir/chemistry/irrep_slots.py). A NaN, an infinity or a
    value outside `i64` is undefined (XLA's conversion).

    ```mlir
    %r = sym.trunc %a : f64 -> i64
    ```
    """

    name = "sym.trunc"
    ALLOWED: ClassVar[tuple[Attribute, ...]] = (i64, f64)
    IDENTITY_ON: ClassVar[tuple[Attribute, ...]] = (i64,)
    DSL_FUNCTION: ClassVar[str | None] = "trunc"

    @classmethod
    def result_type_for(cls, t: Attribute) -> Attribute:
        return i64

    def evaluate(self, *args: Value) -> Value:
        (v,) = args
        return int(v) if isinstance(v, int) or math.isfinite(v) else 0


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
        print_cmp(printer, self)

    @classmethod
    def parse(cls, parser: Parser) -> CmpOp:
        pred, lhs, rhs, _, _ = parse_cmp(parser)
        return cls(pred, lhs, rhs)


def _check_predicates(op: Operation, values: Sequence[SSAValue]):
    for v in values:
        if v.type != i1:
            raise VerifyException(f"'{op.name}' operands must be i1 predicates, got {v.type}")


class LogicOpBase(ExpressionOp):
    """N-ary boolean op on `i1` values."""

    inputs = var_operand_def(i1)
    result = result_def(i1)

    assembly_format = "$inputs attr-dict"

    ALLOWED: ClassVar[tuple[Attribute, ...]] = (i1,)

    @classmethod
    def result_type_for(cls, *inputs: Attribute) -> Attribute:
        return i1

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
    """The entry of a table of real numbers at an integer key, `0.0` for a key the
    table does not hold: a coefficient table read row by row (the integrals of a
    molecular Hamiltonian, keyed by orbital indices). The keys are distinct. The entries
    are either static (`values`) or a *table parameter* (a `sym.param` of type
    `tensor<Kxf64>`, its j-th entry the value of the j-th key), which `with_params`
    changes without recompiling and with respect to which the matrix elements are
    differentiated (docs/derivatives.md). An index that is static per row (labels and
    integer constants) reads a static table when the operator is lowered; one known only
    at run time (a value of `x`, a site found by `sym.nth_site`) reads it in the kernel
    (`convert-branch-to-stablehlo`: a gather from a dense table spanning the keys, of at
    most 2^20 entries, or one select per key for at most 256 keys spanning more).

    ```mlir
    %c = sym.lookup %k {keys = array<i64: 0, 3>, values = array<f64: 0.5, -1.25>} : i64 -> f64
    %d = sym.lookup %k, %t {keys = array<i64: 0, 3>} : i64, tensor<2xf64> -> f64
    ```
    """

    name = "sym.lookup"

    keys = prop_def(DenseArrayBase)
    values = opt_prop_def(DenseArrayBase)
    index = operand_def(NumericType)
    table_param = opt_operand_def(TensorType)
    result = result_def(f64)

    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = (
        "$index (`,` $table_param^)? attr-dict `:` type($index) (`,` type($table_param)^)? "
        "`->` type($result)"
    )

    DSL_FUNCTION: ClassVar[str | None] = None  # `symir.lookup(table, index)` (frontend)

    def __init__(
        self,
        keys: Sequence[int],
        values: Sequence[float] | SSAValue,
        index: SSAValue,
    ):
        """`values`: the static entries, or the `tensor<Kxf64>` table parameter."""
        props = {"keys": packed_array(i64, keys)}
        operands: list = [index, []]
        if isinstance(values, SSAValue):
            operands[1] = [values]
        else:
            props["values"] = packed_array(f64, values)
        super().__init__(operands=operands, properties=props, result_types=[f64])

    @classmethod
    def from_dsl(cls, operands: Sequence[SSAValue], *attributes: Any) -> ExpressionOp:
        keys, values = attributes
        index, *table = operands
        return cls(keys, table[0] if table else values, index)

    def table(self) -> dict[int, float]:
        """The static table as a dict key -> value (built once per op); a table
        parameter has none (`table_param` is set)."""
        if self.values is None:
            raise ValueError(f"'sym.lookup' reads the table parameter {self.table_param}")
        cached = _LOOKUP_TABLES.get(self)
        if cached is None or cached[0] is not self.keys or cached[1] is not self.values:
            table = dict(zip(self.keys.get_values(), self.values.get_values(), strict=True))
            cached = _LOOKUP_TABLES[self] = (self.keys, self.values, table)
        return cached[2]

    def positions(self) -> dict[int, int]:
        """Key -> its position in `keys` (the entry of a table parameter it reads)."""
        return {k: j for j, k in enumerate(self.keys.get_values())}

    def verify_(self):
        _check_value_type(self, "index", self.index.type, (i64,))
        if self.keys.elt_type != i64:
            raise VerifyException("'sym.lookup' keys must be an i64 array")
        keys = self.keys.get_values()
        if (self.values is None) == (self.table_param is None):
            raise VerifyException(
                "'sym.lookup' needs either static values or a table parameter operand, not both"
            )
        if self.values is not None:
            if self.values.elt_type != f64:
                raise VerifyException("'sym.lookup' keys must be i64 and values f64 arrays")
            if len(keys) != len(self.values.get_values()):
                raise VerifyException(
                    f"'sym.lookup' has {len(keys)} keys but {len(self.values.get_values())} values"
                )
        else:
            t = self.table_param.type
            expected = TensorType(f64, [len(keys)])
            if t != expected:
                raise VerifyException(
                    f"'sym.lookup' has {len(keys)} keys: its table parameter must be "
                    f"{expected}, got {t}"
                )
        if len(set(keys)) != len(keys):
            raise VerifyException("'sym.lookup' keys must be distinct")

    def evaluate(self, *args: Value) -> Value:
        k, *table = args
        if table:
            j = self.positions().get(int(k))
            return 0.0 if j is None else float(table[0][j])  # type: ignore[index]
        return float(self.table().get(int(k), 0.0))


EXPRESSION_OPS: dict[str, type[ExpressionOp]] = {
    op.mnemonic(): op for op in operations_defined_in(sys.modules[__name__], ExpressionOp)
}
"""The expression ops by mnemonic (= DSL node name), every concrete `ExpressionOp` class
of this module in the order it defines them (a new op is its class, no line here): the
registry every consumer derives from (the DSL emitter, the reference interpreter, the
`branch` counterparts)."""
