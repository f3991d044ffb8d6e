"""Emits DSL expressions and update programs as `sym` ops into a block.

Each region gets a `RegionEmitter`; structurally equal expressions are emitted once per
region. Type errors a user can make (a non-boolean predicate, a real-valued site or
update value) are reported here with the expression that caused them.
"""

from __future__ import annotations

from xdsl.dialects.builtin import FloatAttr, IntegerAttr, f64, i1, i64
from xdsl.ir import Block, Operation, Region, SSAValue

from symir.dialects import sym
from symir.errors import SymbolicDefinitionError
from symir.frontend.expr import BINARY, UNARY, Expr
from symir.frontend.update import Update

_BINARY_OPS = {
    "add": sym.AddOp,
    "sub": sym.SubOp,
    "mul": sym.MulOp,
    "div": sym.DivOp,
    "pow": sym.PowOp,
    "min": sym.MinOp,
    "max": sym.MaxOp,
}
_UNARY_OPS = {
    "neg": sym.NegOp,
    "abs": sym.AbsOp,
    "conj": sym.ConjOp,
    "real": sym.RealOp,
    "imag": sym.ImagOp,
    "sqrt": sym.SqrtOp,
    "exp": sym.ExpOp,
    "log": sym.LogOp,
    "sin": sym.SinOp,
    "cos": sym.CosOp,
    "wrap_mod": sym.WrapModOp,
}
assert set(_BINARY_OPS) == set(BINARY) and set(_UNARY_OPS) == set(UNARY)


class RegionEmitter:
    """Appends the ops computing expressions to `block`, one op per distinct expression."""

    def __init__(self, block: Block, *, allow_emitted: bool):
        self.block = block
        self.allow_emitted = allow_emitted
        self.memo: dict[tuple, SSAValue] = {}

    def add(self, op: Operation) -> Operation:
        self.block.add_op(op)
        return op

    def value(self, e: Expr) -> SSAValue:
        key = e.key
        found = self.memo.get(key)
        if found is None:
            found = self._emit(e)
            self.memo[key] = found
        return found

    def typed(self, e: Expr, allowed, what: str) -> SSAValue:
        v = self.value(e)
        if v.type not in allowed:
            names = " or ".join(str(t) for t in allowed)
            raise SymbolicDefinitionError(f"{what} must be {names}, got {v.type}: {e!r}")
        return v

    def site(self, e: Expr) -> SSAValue:
        return self.typed(e, (i64,), "a site index")

    def integer(self, e: Expr, what: str) -> SSAValue:
        return self.typed(e, (i64,), what)

    def predicate(self, e: Expr, what: str = "a predicate") -> SSAValue:
        return self.typed(e, (i1,), what)

    def _emit(self, e: Expr) -> SSAValue:
        op, args = e.op, e.args
        if op == "const":
            (v,) = args
            if isinstance(v, bool):
                return self.add(sym.ConstantOp(IntegerAttr(int(v), i1))).result
            if isinstance(v, int):
                return self.add(sym.ConstantOp(IntegerAttr(v, i64))).result
            return self.add(sym.ConstantOp(FloatAttr(float(v), f64))).result
        if op == "param":
            name, default = args
            t = sym.c64 if isinstance(default, complex) else f64
            return self.add(sym.ParamOp(name, t, default)).result
        if op == "label":
            return self.add(sym.LabelOp(args[0])).result
        if op == "read":
            return self.add(sym.ReadOp(self.site(args[0]))).result
        if op == "read_emitted":
            if not self.allow_emitted:
                raise SymbolicDefinitionError(
                    f"emitted(...) / target_index(...) read x' and are only allowed in a "
                    f"matrix element, not in a predicate or update: {e!r}"
                )
            return self.add(sym.ReadEmittedOp(self.site(args[0]))).result
        if op in _BINARY_OPS:
            lhs, rhs = (self.numeric(a) for a in args)
            if op in ("min", "max") and sym.c64 in (lhs.type, rhs.type):
                raise SymbolicDefinitionError(f"{op} is not defined on complex values: {e!r}")
            return self.add(_BINARY_OPS[op](lhs, rhs)).result
        if op in _UNARY_OPS:
            x = self.numeric(args[0])
            cls = _UNARY_OPS[op]
            if x.type not in cls.ALLOWED:
                names = ", ".join(str(t) for t in cls.ALLOWED)
                raise SymbolicDefinitionError(f"{op} needs {names}, got {x.type}: {e!r}")
            return self.add(cls(x)).result
        if op == "complex":
            re, im = (self.typed(a, (i64, f64), "a complex part") for a in args)
            return self.add(sym.ComplexOp(re, im)).result
        if op == "cmp":
            pred, a, b = args
            lhs, rhs = self.value(a), self.value(b)
            if pred not in ("eq", "ne") and sym.c64 in (lhs.type, rhs.type):
                raise SymbolicDefinitionError(f"'{pred}' cannot compare complex values: {e!r}")
            return self.add(sym.CmpOp(pred, lhs, rhs)).result
        if op in ("and", "or"):
            inputs = [self.predicate(a, f"an operand of '{op}'") for a in args]
            cls = sym.AndOp if op == "and" else sym.OrOp
            return self.add(cls(inputs)).result
        if op == "not":
            return self.add(sym.NotOp(self.predicate(args[0], "the operand of '~'"))).result
        if op == "select":
            c = self.predicate(args[0], "a select condition")
            a, b = (self.numeric(x) for x in args[1:])
            return self.add(sym.SelectOp(c, a, b)).result
        raise SymbolicDefinitionError(f"unknown expression {e!r}")  # pragma: no cover

    def numeric(self, e: Expr) -> SSAValue:
        return self.typed(e, (i64, f64, sym.c64), "an arithmetic operand")

    def updates(self, program: Update) -> None:
        """Appends the update ops of `program`."""
        for step in program.steps:
            kind, operands = step[0], step[1:]
            if kind == "write":
                self.add(
                    sym.WriteOp(self.site(operands[0]), self.integer(operands[1], "a write value"))
                )
            elif kind in ("shift", "shift_mod"):
                cls = sym.ShiftOp if kind == "shift" else sym.ShiftModOp
                self.add(cls(self.site(operands[0]), self.integer(operands[1], "a shift delta")))
            elif kind == "swap":
                self.add(sym.SwapOp(self.site(operands[0]), self.site(operands[1])))
            elif kind == "permute":
                self.add(sym.PermuteOp([self.site(s) for s in operands]))
            elif kind == "affine":
                site, scale, bias = operands
                self.add(
                    sym.AffineOp(
                        self.site(site),
                        self.integer(scale, "an affine scale"),
                        self.integer(bias, "an affine bias"),
                    )
                )
            elif kind == "scatter":
                sites, values = operands
                self.add(
                    sym.ScatterOp(
                        [self.site(s) for s in sites],
                        [self.integer(v, "a scatter value") for v in values],
                    )
                )
            elif kind == "invalidate":
                self.add(sym.InvalidateOp())
            elif kind == "cond":
                predicate, if_true, if_false = operands
                p = self.predicate(predicate, "a conditional-update predicate")
                regions = []
                for branch in (if_true, if_false):
                    block = Block()
                    RegionEmitter(block, allow_emitted=False).updates(branch)
                    regions.append(Region(block))
                self.add(sym.CondOp(p, *regions))
            else:  # pragma: no cover
                raise SymbolicDefinitionError(f"unknown update step {kind!r}")
