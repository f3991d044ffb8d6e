"""Emits DSL expressions and update programs as `sym` ops into a block.

Each region gets a `RegionEmitter`; structurally equal expressions are emitted once per
region, and an emission's update and amplitude regions use the values the term body
already computes (its predicates'), but for leaves (constants, labels, reads), which
each region emits itself. Type errors a user can make (a non-boolean predicate, a real-valued site or
update value) are reported here with the expression that caused them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from xdsl.dialects.builtin import FloatAttr, IntegerAttr, TensorType, f64, i1, i64
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.utils.exceptions import VerifyException

from symir.dialects import sym
from symir.errors import SymbolicDefinitionError
from symir.frontend.expr import Expr
from symir.frontend.update import Update


class RegionEmitter:
    """Appends the ops computing expressions to `block`, one op per distinct expression.

    An expression node `Expr("<mnemonic>", ...)` becomes the op `sym.EXPRESSION_OPS`
    names; its type errors are the op verifier's, reported with the expression."""

    def __init__(
        self, block: Block, *, allow_emitted: bool, outer: dict[tuple, SSAValue] | None = None
    ):
        self.block = block
        self.allow_emitted = allow_emitted
        self.memo: dict[tuple, SSAValue] = {}
        self.outer = outer
        """The values of the enclosing term's body (`outer` memo): an expression it already
        computes from other values (not a leaf, `_LOCAL`) is used, not emitted again in this
        region (a decoding the predicates compute is written once)."""

    def add(self, op: Operation) -> Operation:
        self.block.add_op(op)
        return op

    def value(self, e: Expr) -> SSAValue:
        key = e.key
        found = self.memo.get(key)
        if found is None and self.outer is not None and e.op not in _LOCAL:
            found = self.outer.get(key)
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

    def numeric(self, e: Expr) -> SSAValue:
        return self.typed(e, (i64, f64, sym.c64), "an arithmetic operand")

    def _emit(self, e: Expr) -> SSAValue:
        leaf = _LEAVES.get(e.op)
        if leaf is not None:
            return self.add(leaf(self, e)).results[0]
        cls = sym.EXPRESSION_OPS.get(e.op)
        if cls is None:  # pragma: no cover
            raise SymbolicDefinitionError(f"unknown expression {e!r}")
        operands = [self.value(a) for a in e.args if isinstance(a, Expr)]
        attributes = [a for a in e.args if not isinstance(a, Expr)]
        op = cls.from_dsl(operands, *attributes)
        try:
            op.verify_()
        except VerifyException as err:
            raise SymbolicDefinitionError(f"{err}: {e!r}") from None
        return self.add(op).results[0]

    # ---- leaves: the value ops that are not expression ops

    def _constant(self, e: Expr) -> Operation:
        (v,) = e.args
        if isinstance(v, bool):
            return sym.ConstantOp(IntegerAttr(int(v), i1))
        if isinstance(v, int):
            return sym.ConstantOp(IntegerAttr(v, i64))
        return sym.ConstantOp(FloatAttr(float(v), f64))

    def _param(self, e: Expr) -> Operation:
        name, default, *declared = e.args  # declared: (kind, doc) from symbol(dtype=, doc=)
        if declared and declared[0].startswith("table:"):  # symir.table: tensor<Kxf64>
            size = int(declared[0].removeprefix("table:"))
            return sym.ParamOp(name, TensorType(f64, [size]), default)
        complex_ = declared[0] == "c64" if declared else isinstance(default, complex)
        return sym.ParamOp(name, sym.c64 if complex_ else f64, default)

    def _label(self, e: Expr) -> Operation:
        return sym.LabelOp(e.args[0])

    def _read(self, e: Expr) -> Operation:
        return sym.ReadOp(self.site(e.args[0]))

    def _count(self, e: Expr) -> Operation:
        lo, hi = e.args
        return sym.CountOp(
            self.integer(lo, "a count's lower bound"), self.integer(hi, "a count's upper bound")
        )

    def _nth_site(self, e: Expr) -> Operation:
        sites, state, rank = e.args
        return sym.NthSiteOp(self.integer(rank, "a rank of nth_site"), sites, state)

    def _parity_sum(self, e: Expr) -> Operation:
        table, state, index = e.args
        offsets, masks, real, imag = table.arrays
        return sym.ParitySumOp(
            self.integer(index, "a parity_sum index"), offsets, masks, real, imag, state
        )

    def _read_emitted(self, e: Expr) -> Operation:
        if not self.allow_emitted:
            raise SymbolicDefinitionError(
                f"emitted(...) / target_index(...) read x' and are only allowed in a "
                f"matrix element, not in a predicate or update: {e!r}"
            )
        return sym.ReadEmittedOp(self.site(e.args[0]))

    # ---- update programs

    def updates(self, program: Update) -> None:
        """Appends the update ops of `program`."""
        for step in program.steps:
            kind, operands = step[0], step[1:]
            emit = _UPDATES.get(kind)
            if emit is None:  # pragma: no cover
                raise SymbolicDefinitionError(f"unknown update step {kind!r}")
            self.add(emit(self, *operands))

    def _write(self, site: Expr, value: Expr) -> Operation:
        return sym.WriteOp(self.site(site), self.integer(value, "a write value"))

    def _shift(self, site: Expr, delta: Expr) -> Operation:
        return sym.ShiftOp(self.site(site), self.integer(delta, "a shift delta"))

    def _shift_mod(self, site: Expr, delta: Expr) -> Operation:
        return sym.ShiftModOp(self.site(site), self.integer(delta, "a shift delta"))

    def _swap(self, a: Expr, b: Expr) -> Operation:
        return sym.SwapOp(self.site(a), self.site(b))

    def _permute(self, *sites: Expr) -> Operation:
        return sym.PermuteOp([self.site(s) for s in sites])

    def _affine(self, site: Expr, scale: Expr, bias: Expr) -> Operation:
        return sym.AffineOp(
            self.site(site),
            self.integer(scale, "an affine scale"),
            self.integer(bias, "an affine bias"),
        )

    def _scatter(self, sites: Sequence[Expr], values: Sequence[Expr]) -> Operation:
        return sym.ScatterOp(
            [self.site(s) for s in sites], [self.integer(v, "a scatter value") for v in values]
        )

    def _flip_sites(self, index: Expr, table) -> Operation:
        return sym.FlipSitesOp(self.integer(index, "a flip_sites index"), table.arrays[0])

    def _invalidate(self) -> Operation:
        return sym.InvalidateOp()

    def _cond(self, predicate: Expr, if_true: Update, if_false: Update) -> Operation:
        p = self.predicate(predicate, "a conditional-update predicate")
        regions = []
        for branch in (if_true, if_false):
            block = Block()
            RegionEmitter(block, allow_emitted=False).updates(branch)
            regions.append(Region(block))
        return sym.CondOp(p, *regions)


_LEAVES: dict[str, Callable[[RegionEmitter, Expr], Operation]] = {
    "const": RegionEmitter._constant,
    "param": RegionEmitter._param,
    "label": RegionEmitter._label,
    "read": RegionEmitter._read,
    "read_emitted": RegionEmitter._read_emitted,
    "count": RegionEmitter._count,
    "nth_site": RegionEmitter._nth_site,
    "parity_sum": RegionEmitter._parity_sum,
}
"""DSL nodes that are not expression ops (the expression ops: `sym.EXPRESSION_OPS`)."""

_LOCAL = frozenset(_LEAVES) - {"nth_site"}
"""The leaves a region emits itself even when the term body computes them (constants,
labels, reads: cheap, and the printed regions stay self-contained)."""

_UPDATES: dict[str, Callable[..., Operation]] = {
    "write": RegionEmitter._write,
    "shift": RegionEmitter._shift,
    "shift_mod": RegionEmitter._shift_mod,
    "swap": RegionEmitter._swap,
    "permute": RegionEmitter._permute,
    "affine": RegionEmitter._affine,
    "scatter": RegionEmitter._scatter,
    "flip_sites": RegionEmitter._flip_sites,
    "invalidate": RegionEmitter._invalidate,
    "cond": RegionEmitter._cond,
}
"""Update steps (`Update.steps`, symir/frontend/update.py) -> their emitters."""
