"""The derivative rules of the expression ops, written once for the `sym` and `branch` levels.

Both differentiation passes (`sym-differentiate`, `branch-differentiate`) propagate
*tangents* forward through an amplitude: the tangent `t(v)` of a value `v` is its
derivative along one real direction of one parameter (`dv/dh` for a real `h`; for a
complex `z`, `dv/d re(z)` or `dv/d im(z)`). A rule gets the op and the tangents of its
operands (None: the operand does not depend on the parameter) and builds the ops of its
tangent, or returns None when it is zero. The rules are here, once, as functions of an
`Algebra` that builds the ops of one level, in one table keyed by mnemonic
(`DERIVATIVES`); each pass derives its table, op class -> rule (`RULES` in the pass
module), from it. An expression op with a floating result has a rule here or is declared
in `NO_DERIVATIVE` with the reason (`tests/unit/symir/test_op_table.py` names one that
is neither).

A tangent has the element type of its value (an `f64` tangent of a `complex<f64>` value
is promoted with `coerce`), so a rule may rely on the operand types of the primal op.
Integer and boolean values have no tangent (they are piecewise constant in the
parameters); predicates and updates therefore carry none. The rules at the points where
an op is not differentiable are written in docs/derivatives.md ("The rules").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from xdsl.dialects.builtin import ComplexType, Float64Type, TensorType, f64, i64
from xdsl.ir import Attribute, Operation, SSAValue

Tangent = SSAValue | None
Rule = Callable[["Algebra", Operation, Sequence[Tangent]], Tangent]


def element_type(value: SSAValue) -> Attribute:
    """`T` of a `sym` value `T` or of a `branch` value `tensor<?xMxT>`."""
    t = value.type
    return t.element_type if isinstance(t, TensorType) else t


def is_floating(value: SSAValue) -> bool:
    """Whether `value` is real or complex floating (only those carry a tangent)."""
    return isinstance(element_type(value), Float64Type | ComplexType)


class Algebra:
    """Builds the ops of one level; a subclass names the op classes and makes constants.

    The ops are collected in `built` (in order); the pass inserts them where the tangent
    is needed.
    """

    ADD: type[Operation]
    SUB: type[Operation]
    MUL: type[Operation]
    DIV: type[Operation]
    POW: type[Operation]
    NEG: type[Operation]
    CONJ: type[Operation]
    REAL: type[Operation]
    IMAG: type[Operation]
    SQRT: type[Operation]
    LOG: type[Operation]
    SIN: type[Operation]
    COS: type[Operation]
    COMPLEX: type[Operation]
    CMP: type[Operation]
    SELECT: type[Operation]

    def __init__(self) -> None:
        self.built: list[Operation] = []

    def constant(self, value: float | int, t: Attribute, like: SSAValue) -> SSAValue:
        """A real constant of element type `t` (`f64` or `i64`), shaped like `like`."""
        raise NotImplementedError

    def take(self) -> list[Operation]:
        """The ops built since the last call, in order."""
        built, self.built = self.built, []
        return built

    # ------------------------------------------------------------------ building
    def op(self, cls: type[Operation], *operands: SSAValue) -> SSAValue:
        new = cls(*operands)  # type: ignore[call-arg]
        self.built.append(new)
        return new.results[0]

    def cmp(self, predicate: str, lhs: SSAValue, rhs: SSAValue) -> SSAValue:
        new = self.CMP(predicate, lhs, rhs)  # type: ignore[call-arg]
        self.built.append(new)
        return new.results[0]

    def scalar(self, value: complex | float, t: Attribute, like: SSAValue) -> SSAValue:
        """`value` as element type `t` (`f64` or `complex<f64>`), shaped like `like`."""
        if isinstance(t, ComplexType):
            value = complex(value)
            re = self.constant(value.real, f64, like)
            return self.op(self.COMPLEX, re, self.constant(value.imag, f64, like))
        return self.constant(float(value.real if isinstance(value, complex) else value), t, like)

    def zero(self, t: Attribute, like: SSAValue) -> SSAValue:
        return self.scalar(0.0, t, like)

    def coerce(self, value: Tangent, t: Attribute) -> Tangent:
        """`value` promoted to element type `t` (a real tangent of a complex value)."""
        if value is None or element_type(value) == t:
            return value
        if isinstance(t, ComplexType):
            return self.op(self.COMPLEX, value, self.zero(f64, value))
        raise ValueError(f"cannot convert a {element_type(value)} tangent to {t}")

    # ------------------------------------------------------------------ None-aware
    def plus(self, a: Tangent, b: Tangent) -> Tangent:
        if a is None or b is None:
            return a if b is None else b
        return self.op(self.ADD, a, b)

    def minus(self, a: Tangent, b: Tangent) -> Tangent:
        if b is None:
            return a
        if a is None:
            return self.op(self.NEG, b)
        return self.op(self.SUB, a, b)

    def times(self, a: SSAValue, t: Tangent) -> Tangent:
        return None if t is None else self.op(self.MUL, a, t)

    def over(self, t: Tangent, b: SSAValue) -> Tangent:
        return None if t is None else self.op(self.DIV, t, b)

    def choose(self, condition: SSAValue, a: Tangent, b: Tangent, t: Attribute) -> Tangent:
        """`condition ? a : b` of two tangents of element type `t` (None: zero)."""
        if a is None and b is None:
            return None
        like = a if a is not None else b
        assert like is not None
        a = self.coerce(a, t) if a is not None else self.zero(t, like)
        b = self.coerce(b, t) if b is not None else self.zero(t, like)
        return self.op(self.SELECT, condition, a, b)


# ---------------------------------------------------------------------- the rules
# Each takes the algebra, the primal op and the tangents of its operands; `@rule(...)`
# enters it in `DERIVATIVES` under the mnemonics of the ops it differentiates, and its
# docstring is its row in docs/derivatives.md ("The rules", generated).

DERIVATIVES: dict[str, Rule] = {}
"""The derivative rule of each expression op with a floating result, by mnemonic (the
`sym` op `sym.<mnemonic>` and its `branch` counterpart `branch.<mnemonic>`), filled by
`rule`."""


def rule(*mnemonics: str) -> Callable[[Rule], Rule]:
    """Enter the decorated function in `DERIVATIVES` as the rule of the ops `mnemonics`."""

    def enter(function: Rule) -> Rule:
        for mnemonic in mnemonics:
            if mnemonic in DERIVATIVES:
                raise ValueError(f"two derivative rules for 'sym.{mnemonic}'")
            DERIVATIVES[mnemonic] = function
        return function

    return enter


@rule("add")
def add(alg: Algebra, op: Operation, t: Sequence[Tangent]) -> Tangent:
    """d(a + b) = da + db"""
    return alg.plus(t[0], t[1])


@rule("sub")
def sub(alg: Algebra, op: Operation, t: Sequence[Tangent]) -> Tangent:
    """d(a - b) = da - db"""
    return alg.minus(t[0], t[1])


@rule("mul")
def mul(alg: Algebra, op: Operation, t: Sequence[Tangent]) -> Tangent:
    """d(a b) = da b + a db"""
    a, b = op.operands
    return alg.plus(alg.times(b, t[0]), alg.times(a, t[1]))


@rule("div")
def div(alg: Algebra, op: Operation, t: Sequence[Tangent]) -> Tangent:
    """d(a / b) = (da - (a / b) db) / b"""
    _, b = op.operands
    return alg.over(alg.minus(t[0], alg.times(op.results[0], t[1])), b)


@rule("pow")
def pow_(alg: Algebra, op: Operation, t: Sequence[Tangent]) -> Tangent:
    """d(a ** b) = b a ** (b - 1) da + [a == 0 ? 0 : a ** b log a] db"""
    a, b = op.operands
    v = op.results[0]
    da = None
    if t[0] is not None:
        one = alg.constant(1 if element_type(b) == i64 else 1.0, _real(element_type(b)), b)
        if isinstance(element_type(b), ComplexType):
            one = alg.coerce(one, element_type(b))
        assert one is not None
        power = alg.op(alg.POW, a, alg.op(alg.SUB, b, one))
        da = alg.times(alg.op(alg.MUL, b, power), t[0])
    db = None
    if t[1] is not None:
        zero_a = alg.zero(element_type(a), a) if is_floating(a) else alg.constant(0, i64, a)
        at_zero = alg.cmp("eq", a, zero_a)
        v_log = alg.op(alg.MUL, v, alg.op(alg.LOG, a))
        factor = alg.op(alg.SELECT, at_zero, alg.zero(element_type(v_log), v), v_log)
        db = alg.times(factor, t[1])
    return alg.plus(da, db)


def _real(t: Attribute) -> Attribute:
    return f64 if isinstance(t, ComplexType) else t


@rule("min")
def minimum(alg: Algebra, op: Operation, t: Sequence[Tangent]) -> Tangent:
    """d min(a, b) = a <= b ? da : db (a tie takes the left operand's)"""
    a, b = op.operands
    return alg.choose(alg.cmp("le", a, b), t[0], t[1], element_type(op.results[0]))


@rule("max")
def maximum(alg: Algebra, op: Operation, t: Sequence[Tangent]) -> Tangent:
    """d max(a, b) = a >= b ? da : db (a tie takes the left operand's)"""
    a, b = op.operands
    return alg.choose(alg.cmp("ge", a, b), t[0], t[1], element_type(op.results[0]))


@rule("neg")
def neg(alg: Algebra, op: Operation, t: Sequence[Tangent]) -> Tangent:
    """d(-a) = -da"""
    return None if t[0] is None else alg.op(alg.NEG, t[0])


@rule("abs")
def absolute(alg: Algebra, op: Operation, t: Sequence[Tangent]) -> Tangent:
    """real: d|a| = a >= 0 ? da : -da; complex: d|a| = re(conj(a) da) / |a|, 0 at a = 0"""
    (a,) = op.operands
    if t[0] is None:
        return None
    v = op.results[0]
    if isinstance(element_type(a), ComplexType):
        da = alg.coerce(t[0], element_type(a))
        assert da is not None
        along = alg.op(alg.REAL, alg.op(alg.MUL, alg.op(alg.CONJ, a), da))
        zero = alg.zero(f64, v)
        return alg.op(alg.SELECT, alg.cmp("eq", v, zero), zero, alg.op(alg.DIV, along, v))
    at_least_zero = alg.cmp("ge", a, alg.zero(element_type(a), a))
    return alg.op(alg.SELECT, at_least_zero, t[0], alg.op(alg.NEG, t[0]))


@rule("conj")
def conj(alg: Algebra, op: Operation, t: Sequence[Tangent]) -> Tangent:
    """d conj(a) = conj(da)"""
    if t[0] is None:
        return None
    return alg.op(alg.CONJ, alg.coerce(t[0], element_type(op.operands[0])))  # type: ignore[arg-type]


@rule("real")
def real(alg: Algebra, op: Operation, t: Sequence[Tangent]) -> Tangent:
    """d re(a) = re(da)"""
    if t[0] is None:
        return None
    return alg.op(alg.REAL, alg.coerce(t[0], element_type(op.operands[0])))  # type: ignore[arg-type]


@rule("imag")
def imag(alg: Algebra, op: Operation, t: Sequence[Tangent]) -> Tangent:
    """d im(a) = im(da)"""
    if t[0] is None:
        return None
    return alg.op(alg.IMAG, alg.coerce(t[0], element_type(op.operands[0])))  # type: ignore[arg-type]


@rule("sqrt")
def sqrt(alg: Algebra, op: Operation, t: Sequence[Tangent]) -> Tangent:
    """d sqrt(a) = da / (2 sqrt(a))"""
    v = op.results[0]
    two = alg.constant(2.0, f64, v)
    return alg.over(t[0], alg.op(alg.MUL, two, v))


@rule("exp")
def exp(alg: Algebra, op: Operation, t: Sequence[Tangent]) -> Tangent:
    """d exp(a) = exp(a) da"""
    return alg.times(op.results[0], t[0])


@rule("log")
def log(alg: Algebra, op: Operation, t: Sequence[Tangent]) -> Tangent:
    """d log(a) = da / a"""
    return alg.over(t[0], op.operands[0])


@rule("sin")
def sin(alg: Algebra, op: Operation, t: Sequence[Tangent]) -> Tangent:
    """d sin(a) = cos(a) da"""
    if t[0] is None:
        return None
    return alg.times(alg.op(alg.COS, op.operands[0]), t[0])


@rule("cos")
def cos(alg: Algebra, op: Operation, t: Sequence[Tangent]) -> Tangent:
    """d cos(a) = -sin(a) da"""
    if t[0] is None:
        return None
    return alg.op(alg.NEG, alg.op(alg.MUL, alg.op(alg.SIN, op.operands[0]), t[0]))


@rule("complex")
def complex_(alg: Algebra, op: Operation, t: Sequence[Tangent]) -> Tangent:
    """d complex(re, im) = complex(d re, d im)"""
    if t[0] is None and t[1] is None:
        return None
    like = op.results[0]
    re = t[0] if t[0] is not None else alg.zero(f64, like)
    im = t[1] if t[1] is not None else alg.zero(f64, like)
    return alg.op(alg.COMPLEX, re, im)


@rule("select")
def select(alg: Algebra, op: Operation, t: Sequence[Tangent]) -> Tangent:
    """d (c ? a : b) = c ? da : db (the condition carries no tangent)"""
    return alg.choose(op.operands[0], t[1], t[2], element_type(op.results[0]))


@rule("floor")
def piecewise_constant(alg: Algebra, op: Operation, t: Sequence[Tangent]) -> Tangent:
    """0, a step function (`floor`): 0 wherever it is differentiable, as JAX's"""
    return None


NO_DERIVATIVE: dict[str, str] = {
    "lookup": (
        "its key is an integer, which carries no tangent; a read of a table parameter is "
        "differentiated by branch-differentiate{tables=true} (docs/derivatives.md)"
    ),
}
"""The expression ops with a floating result and no rule, by mnemonic, with the reason."""


def missing_rule(pass_name: str, op: Operation, direction: str) -> ValueError:
    """The error of a pass that meets an op with no rule on a parameter's path."""
    reason = NO_DERIVATIVE.get(op.name.split(".", 1)[-1])
    if reason is not None:
        return ValueError(
            f"{pass_name}: '{op.name}' has no derivative ({reason}), yet its result "
            f"depends on parameter direction {direction!r}"
        )
    return ValueError(
        f"{pass_name} has no derivative rule for '{op.name}' (its result depends on "
        f"parameter direction {direction!r}): add one to DERIVATIVES in "
        "lowering/derivatives.py"
    )


__all__ = [
    "DERIVATIVES",
    "NO_DERIVATIVE",
    "Algebra",
    "Rule",
    "Tangent",
    "element_type",
    "is_floating",
    "missing_rule",
    "rule",
]
