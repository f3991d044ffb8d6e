"""`sym-differentiate`: the operators dH/dp of an operator H, as `sym` operators.

For every real direction of every parameter in `wrt` (a real `h`: one, `h`; a complex
`z`: two, `re(z)` and `im(z)`), the pass builds the operator whose matrix is the
derivative of H's along it: H's terms, row tables, predicates, emissions, update programs
and tags unchanged, each amplitude replaced by its derivative (tangents propagated forward
through the amplitude's expression ops by the rules of `lowering/derivatives.py`, in the
table `RULES` below; a parameter's own tangent is 1, or `i` for `im(z)`). An emission whose
amplitude does not depend on the parameter yields 0: it stays a branch, so dH/dp has
exactly H's branches (the same connected configurations), with the derivative matrix
elements. The module's `sym.operator @H` is replaced by `@H__d_<direction>` for each
direction in order (`@tfim__d_h`, `@zop__d_re_z`, `@zop__d_im_z`), each hermitian when H
is (a derivative along a real direction of a hermitian family is hermitian).

This is dH/dp as an operator in its own right, for `<dH/dp>` as an observable (the
Hellmann-Feynman theorem: `SymbolicOperatorIR.derivative`). The runtime derivatives of
`get_conn_padded` do not use it: they differentiate the kernel itself after the branch
passes (`branch-differentiate`), so that every derivative sits in the slot of its
matrix element.

A parameter that decides a predicate (`sym.where`, an emission predicate) or an update
is not differentiated there (connected configurations and masks do not vary smoothly):
the derivative operator keeps the predicate and the update as they are, and the pass says
so with a `SymbolicDerivativeWarning` naming the term and emission.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import (
    ComplexType,
    FloatAttr,
    IntegerAttr,
    ModuleOp,
    StringAttr,
    TensorType,
    f64,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.transforms.dead_code_elimination import region_dce

from symir.dialects import sym
from symir.dialects.locations import attach_op
from symir.errors import SymbolicDerivativeWarning
from symir.lowering import derivatives as rules
from symir.lowering.derivatives import Algebra, Rule, Tangent, element_type, is_floating


class SymAlgebra(Algebra):
    """The `sym` ops the rules build (scalars: `like` gives no shape)."""

    ADD = sym.AddOp
    SUB = sym.SubOp
    MUL = sym.MulOp
    DIV = sym.DivOp
    POW = sym.PowOp
    NEG = sym.NegOp
    CONJ = sym.ConjOp
    REAL = sym.RealOp
    IMAG = sym.ImagOp
    SQRT = sym.SqrtOp
    LOG = sym.LogOp
    SIN = sym.SinOp
    COS = sym.CosOp
    COMPLEX = sym.ComplexOp
    CMP = sym.CmpOp
    SELECT = sym.SelectOp

    def constant(self, value: float | int, t: Attribute, like: SSAValue) -> SSAValue:
        attr = FloatAttr(float(value), f64) if t == f64 else IntegerAttr(int(value), t)  # type: ignore[arg-type]
        new = sym.ConstantOp(attr)
        self.built.append(new)
        return new.result


RULES: dict[type[Operation], Rule] = {
    op: rules.DERIVATIVES[mnemonic]
    for mnemonic, op in sym.EXPRESSION_OPS.items()
    if mnemonic in rules.DERIVATIVES
}
"""The derivative rule of each `sym` expression op with a floating result, from
`DERIVATIVES` of lowering/derivatives.py (integer and boolean results have no tangent;
`sym.param` is the seed)."""


@dataclass(frozen=True)
class Direction:
    """A real direction of a parameter: its name, its parameter and its seed."""

    name: str
    param: str
    seed: complex | float

    @property
    def suffix(self) -> str:
        """The direction in an operator name: `h`, `re_z`, `im_z`."""
        return self.name.replace("(", "_").replace(")", "")


def directions(operator: sym.OperatorOp, wrt: Sequence[str]) -> list[Direction]:
    """The directions of the parameters `wrt` (all of the operator's numbers, sorted,
    when empty: a table parameter has no direction); a complex parameter `z` gives
    `re(z)` then `im(z)`."""
    types: dict[str, Attribute] = {}
    for op in operator.walk():
        if isinstance(op, sym.ParamOp):
            types.setdefault(op.param_name.data, op.result.type)
    unknown = [w for w in wrt if w not in types]
    if unknown:
        raise attach_op(
            ValueError(
                f"sym-differentiate: operator @{operator.sym_name.data} has no parameter(s) "
                f"{unknown}; its parameters are {sorted(types)}"
            ),
            operator,
        )
    tables = [w for w in wrt if isinstance(types[w], TensorType)]
    if tables:
        raise attach_op(
            ValueError(
                f"sym-differentiate: {tables} are table parameters of operator "
                f"@{operator.sym_name.data}, which have no direction of their own: "
                "differentiate by them at the branch level (`branch-differentiate{tables=true}`)"
            ),
            operator,
        )
    numbers = sorted(n for n, t in types.items() if not isinstance(t, TensorType))
    if not wrt and not numbers:
        raise attach_op(
            ValueError(
                f"sym-differentiate: operator @{operator.sym_name.data} has no number "
                "parameters (sym.param), so nothing to differentiate by"
                + (
                    f"; its table parameters {sorted(types)} are differentiated at the branch "
                    "level (`branch-differentiate{tables=true}`)"
                    if types
                    else ""
                )
            ),
            operator,
        )
    found = []
    for name in wrt or numbers:
        if isinstance(types[name], ComplexType):
            found += [Direction(f"re({name})", name, 1.0), Direction(f"im({name})", name, 1j)]
        else:
            found.append(Direction(name, name, 1.0))
    return found


class Sweep:
    """The tangents of one direction in one (cloned) operator, built after the ops they
    differentiate, and the places where the parameter decides a predicate or an update."""

    def __init__(self, operator: sym.OperatorOp, direction: Direction):
        self.operator = operator
        self.direction = direction
        self.alg = SymAlgebra()
        self.tangents: dict[SSAValue, SSAValue] = {}
        self.depends: set[SSAValue] = set()
        self.decided: list[str] = []

    def run(self) -> None:
        for op in list(self.operator.walk()):
            if isinstance(op, sym.ParamOp) and op.param_name.data == self.direction.param:
                self.depends.add(op.result)
            elif any(v in self.depends for v in op.operands):
                self.depends.update(op.results)
            tangent = self.tangent_of(op)
            built = self.alg.take()
            if built:
                block = op.parent_block()
                assert block is not None
                block.insert_ops_after(built, op)
            if tangent is not None:
                self.tangents[op.results[0]] = tangent

    def tangent_of(self, op: Operation) -> Tangent:
        if isinstance(op, sym.ParamOp):
            if op.param_name.data != self.direction.param:
                return None
            return self.alg.scalar(self.direction.seed, op.result.type, op.result)
        t = [self.tangents.get(v) for v in op.operands]
        if all(v is None for v in t) or len(op.results) != 1 or not is_floating(op.results[0]):
            return None
        rule = RULES.get(type(op))
        if rule is None:
            raise rules.missing_rule("sym-differentiate", op, self.direction.name)
        return self.alg.coerce(rule(self.alg, op, t), element_type(op.results[0]))

    def finish(self) -> None:
        """Yields the tangent of every amplitude (0 where there is none) and records
        where the parameter decides a predicate or an update."""
        for term in self.operator.terms:
            where = term.predicate
            if where is not None and where.predicate in self.depends:
                self.decided.append(f"the predicate of term @{term.sym_name.data}")
            for k, emission in enumerate(term.emissions):
                self.finish_emission(term, k, emission)

    def finish_emission(self, term: sym.TermOp, k: int, emission: sym.EmissionOp) -> None:
        where = f"term @{term.sym_name.data}, emission {k}"
        if emission.condition is not None and emission.condition in self.depends:
            self.decided.append(f"the emission predicate of {where}")
        if any(v in self.depends for op in emission.update.walk() for v in op.operands):
            self.decided.append(f"an update of {where}")
        yield_op = emission.amplitude.block.last_op
        assert isinstance(yield_op, sym.YieldOp)
        tangent = self.tangents.get(yield_op.value)
        if tangent is None:
            zero = sym.ConstantOp.of(0.0)
            emission.amplitude.block.insert_op_before(zero, yield_op)
            tangent = zero.result
        yield_op.operands = [tangent]


def differentiate_operator(
    operator: sym.OperatorOp, wrt: Sequence[str] = ()
) -> tuple[list[sym.OperatorOp], list[str]]:
    """The derivative operators of `operator` along every direction of `wrt`, and the
    warnings (parameters that decide a predicate or an update)."""
    found: list[sym.OperatorOp] = []
    messages: dict[str, None] = {}
    for direction in directions(operator, wrt):
        clone = operator.clone()
        clone.sym_name = StringAttr(f"{operator.sym_name.data}__d_{direction.suffix}")
        sweep = Sweep(clone, direction)
        sweep.run()
        sweep.finish()
        region_dce(clone.body)
        found.append(clone)
        for what in sweep.decided:
            p = direction.param
            messages[
                f"parameter {p!r} decides {what}; the derivative with respect to {p!r} "
                "keeps it as it is (predicates and updates are not differentiable: a step, "
                "zero almost everywhere)"
            ] = None
    return found, list(messages)


@dataclass(frozen=True)
class SymDifferentiatePass(ModulePass):
    """Replaces every `sym.operator` by its derivative operators dH/dp.

    `wrt`: the parameters (all of the operator's when empty), e.g.
    `sym-differentiate{wrt=h,J}`.
    """

    name = "sym-differentiate"

    wrt: tuple[str, ...] = ()
    """The parameters to differentiate by (all of the operator's when empty); a complex
    parameter gives two directions, its real and imaginary parts."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for operator in [o for o in op.ops if isinstance(o, sym.OperatorOp)]:
            name = operator.sym_name.data
            derivatives, messages = differentiate_operator(operator, self.wrt)
            block = op.body.block
            for d in derivatives:
                block.insert_op_before(d, operator)
            operator.detach()
            operator.erase()
            for message in messages:
                warnings.warn(
                    f"sym-differentiate: operator @{name}: {message}",
                    SymbolicDerivativeWarning,
                    stacklevel=2,
                )
