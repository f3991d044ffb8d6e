"""A row value as a polynomial of degree <= 2 in the reads of `x`, with constant
coefficients per row: what `branch-choose-lowering` needs to turn a diagonal sum into a
quadratic form (`sum_rows(c * x[i] * x[j])` is `x^T A x`).

A monomial is a sorted tuple of kernel parameters (by argument index: a `branch.splat`
of a parameter is a factor, any power of it) and a sorted tuple of at most two read
columns (each a `branch.column`'s sites mod N, by column op); its coefficient is an array
over the rows, of compile-time constants: `branch.constant`, the values of a
`branch.column`, a static `branch.lookup` at a column and arithmetic on them. Any op other than `add`, `sub`, `mul`, `neg`, a
division by a constant and a power by a constant 0, 1 or 2 makes the value not a
polynomial (None).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from xdsl.dialects.builtin import FloatAttr, IntegerAttr
from xdsl.ir import BlockArgument, Operation, SSAValue

from symir.dialects import branch

Monomial = tuple[tuple[int, ...], tuple[int, ...]]
"""(sorted parameter indices, sorted ids of at most two read columns)."""
CONSTANT: Monomial = ((), ())


@dataclass
class Polynomial:
    rows: int
    terms: dict[Monomial, np.ndarray] = field(default_factory=dict)

    @staticmethod
    def constant(rows: int, values: np.ndarray) -> Polynomial:
        return Polynomial(rows, {CONSTANT: np.broadcast_to(values, (rows,)).astype(np.float64)})

    def is_constant(self) -> bool:
        return all(k == CONSTANT for k in self.terms)

    def add(self, other: Polynomial, sign: float = 1.0) -> Polynomial:
        out = dict(self.terms)
        for k, v in other.terms.items():
            out[k] = out[k] + sign * v if k in out else sign * v
        return Polynomial(self.rows, out)

    def scale(self, factor: np.ndarray) -> Polynomial:
        return Polynomial(self.rows, {k: v * factor for k, v in self.terms.items()})

    def mul(self, other: Polynomial) -> Polynomial | None:
        out: dict[Monomial, np.ndarray] = {}
        for ka, va in self.terms.items():
            for kb, vb in other.terms.items():
                k = (tuple(sorted(ka[0] + kb[0])), tuple(sorted(ka[1] + kb[1])))
                if len(k[1]) > 2:
                    return None
                out[k] = out[k] + va * vb if k in out else va * vb
        return Polynomial(self.rows, out)


@dataclass
class PolynomialReader:
    """Evaluates row values as polynomials; `columns` maps a column id to its sites."""

    n: int
    columns: dict[int, np.ndarray] = field(default_factory=dict)
    ops: int = 0
    """How many elementwise ops the values read so far take (the rows form's cost)."""
    reads: list[int] = field(default_factory=list)
    """The read columns met (by id, once each per read op)."""

    def of(self, value: SSAValue) -> Polynomial | None:
        op = value.owner
        if not isinstance(op, Operation):
            return None
        rows = value.type.get_shape()[1]  # type: ignore[union-attr]
        if isinstance(op, branch.ConstantOp):
            v = op.value
            if not isinstance(v, IntegerAttr | FloatAttr):
                return None
            number = float(v.value.data)
            if isinstance(v, IntegerAttr) and v.type.width.data == 1:  # type: ignore[union-attr]
                number = float(number != 0)
            return Polynomial.constant(rows, np.float64(number))
        if isinstance(op, branch.ColumnOp):
            return Polynomial.constant(rows, np.asarray(op.values.get_values(), np.float64))
        if isinstance(op, branch.LookupOp):
            return _lookup(op, rows)
        if isinstance(op, branch.ReadOp):
            return self._read(op, rows)
        if isinstance(op, branch.SplatOp):
            if not isinstance(op.scalar, BlockArgument) or op.scalar.index == 0:
                return None
            return Polynomial(rows, {((op.scalar.index - 1,), ()): np.ones(rows)})
        return self._arith(op)

    def indicator(self, value: SSAValue, states: tuple[int, ...]) -> Polynomial | None:
        """A boolean row value (an emission's mask) as a polynomial of the reads, where
        every site holds one of two local states `s0 < s1` (the kernel's input
        contract): `x == s1` is `(x - s0) / (s1 - s0)`, `x == s0` is `(s1 - x) / (s1 -
        s0)`, `ne` one minus that, an `and` the product (of degree 2 at most), the
        constant true 1; else None (`n_P n_R` masks of a molecule's diagonal, the
        on-site `n_up n_down` of Fermi-Hubbard)."""
        op = value.owner
        rows = value.type.get_shape()[1]  # type: ignore[union-attr]
        if isinstance(op, branch.ConstantOp):
            return self.of(value)
        if isinstance(op, branch.AndOp):
            result: Polynomial | None = Polynomial.constant(rows, np.float64(1.0))
            for v in op.inputs:
                factor = self.indicator(v, states)
                if factor is None or result is None:
                    return None
                result = result.mul(factor)
                self.ops += 1
            return result
        if isinstance(op, branch.CmpOp) and len(states) == 2:
            return self._level_test(op, rows, states)
        return None

    def _level_test(self, op: branch.CmpOp, rows: int, states) -> Polynomial | None:
        """`x == s` or `x != s` of a read `x` and a local state `s` (one of two), as
        `indicator` reads it."""
        predicate = op.predicate.data
        x, s = (op.lhs, op.rhs) if isinstance(op.lhs.owner, branch.ReadOp) else (op.rhs, op.lhs)
        if predicate not in ("eq", "ne") or not isinstance(x.owner, branch.ReadOp):
            return None
        read, level = self.of(x), self.of(s)
        if read is None or level is None or not level.is_constant():
            return None
        values = level.terms.get(CONSTANT, np.zeros(rows))
        s0, s1 = states
        if not (np.all(values == s0) or np.all(values == s1)):
            return None
        self.ops += 1
        d = float(s1 - s0)
        one = Polynomial.constant(rows, np.float64(1.0))
        up = read.scale(np.float64(1 / d)).add(Polynomial.constant(rows, np.float64(-s0 / d)))
        hit = up if np.all(values == s1) else one.add(up, -1.0)  # (x - s0) / d, or 1 - it
        return one.add(hit, -1.0) if predicate == "ne" else hit

    def _read(self, op: branch.ReadOp, rows: int) -> Polynomial | None:
        column = op.sites.owner
        if not isinstance(column, branch.ColumnOp):
            return None
        key = id(column)
        self.columns[key] = np.asarray(column.values.get_values(), np.int64) % self.n
        self.reads.append(key)
        return Polynomial(rows, {((), (key,)): np.ones(rows)})

    def _arith(self, op: Operation) -> Polynomial | None:
        if not isinstance(op, branch.AddOp | branch.SubOp | branch.MulOp | branch.NegOp):
            return self._div_or_pow(op)
        args = [self.of(v) for v in op.operands]
        if any(a is None for a in args):
            return None
        self.ops += 1
        if isinstance(op, branch.NegOp):
            return args[0].scale(np.float64(-1.0))  # type: ignore[union-attr]
        a, b = args
        if isinstance(op, branch.AddOp):
            return a.add(b)  # type: ignore[union-attr,arg-type]
        if isinstance(op, branch.SubOp):
            return a.add(b, -1.0)  # type: ignore[union-attr,arg-type]
        return a.mul(b)  # type: ignore[union-attr,arg-type]

    def _div_or_pow(self, op: Operation) -> Polynomial | None:
        if not isinstance(op, branch.DivOp | branch.PowOp):
            return None
        a, b = (self.of(v) for v in op.operands)
        if a is None or b is None or not b.is_constant():
            return None
        exponent = b.terms.get(CONSTANT, np.zeros(b.rows))
        self.ops += 1
        if isinstance(op, branch.DivOp):
            if np.any(exponent == 0):
                return None
            return a.scale(1.0 / exponent)
        if not np.all(exponent == exponent[0]) or exponent[0] not in (0.0, 1.0, 2.0):
            return None
        result = Polynomial.constant(a.rows, np.float64(1.0))
        for _ in range(int(exponent[0])):
            result = result.mul(a)  # type: ignore[assignment]
            if result is None:
                return None
        return result


def _lookup(op: branch.LookupOp, rows: int) -> Polynomial | None:
    """A static table read at a column (a coefficient per row, `sym-tabulate-terms`):
    a constant per row; at keys known only at run time, or a table parameter, None."""
    column = op.index.owner
    if op.values is None or not isinstance(column, branch.ColumnOp):
        return None
    table = dict(zip(op.keys.get_values(), op.values.get_values(), strict=True))
    values = [table.get(k, 0.0) for k in column.values.get_values()]
    return Polynomial.constant(rows, np.asarray(values, np.float64))


@dataclass
class QuadraticForm:
    """`sum_{(i, j)} A[i, j] x_i x_j + sum_s w[s] x_s + c`, summed over the rows."""

    pairs: dict[tuple[int, int], float] = field(default_factory=dict)
    linear: dict[int, float] = field(default_factory=dict)
    constant: float = 0.0

    def add(self, reads: tuple[int, ...], coef: np.ndarray, columns: dict[int, np.ndarray]):
        """Adds `sum over rows of coef * (the reads' product)`."""
        if len(reads) == 0:
            self.constant += float(np.sum(coef))
        elif len(reads) == 1:
            for s, w in zip(columns[reads[0]].tolist(), coef.tolist()):
                self.linear[s] = self.linear.get(s, 0.0) + w
        else:
            a, b = columns[reads[0]], columns[reads[1]]
            for i, j, w in zip(a.tolist(), b.tolist(), coef.tolist()):
                pair = (min(i, j), max(i, j))
                self.pairs[pair] = self.pairs.get(pair, 0.0) + w

    def merge(self, other: QuadraticForm) -> None:
        for p, w in other.pairs.items():
            self.pairs[p] = self.pairs.get(p, 0.0) + w
        for s, w in other.linear.items():
            self.linear[s] = self.linear.get(s, 0.0) + w
        self.constant += other.constant

    def is_finite(self) -> bool:
        """Whether every weight is finite: a weight that overflowed while the rows'
        constants were multiplied or summed (`1e300 * x_i * 1e300 * x_j`) is `inf` in the
        form where the rows give `0` (`x_i = 0`) or their own `inf`."""
        weights = [*self.pairs.values(), *self.linear.values(), self.constant]
        return bool(np.isfinite(weights).all())

    def entries(self) -> tuple[list[tuple[int, int]], list[float], list[int], list[float]]:
        """The nonzero pairs and weights, linear sites and weights, in site order."""
        pairs = sorted(p for p, w in self.pairs.items() if w != 0.0)
        sites = sorted(s for s, w in self.linear.items() if w != 0.0)
        return (
            pairs,
            [self.pairs[p] for p in pairs],
            sites,
            [self.linear[s] for s in sites],
        )


def forms_of(
    poly: Polynomial, columns: dict[int, np.ndarray]
) -> dict[tuple[int, ...], QuadraticForm]:
    """`sum over rows of poly` as one quadratic form per product of parameters (by their
    indices; `()` for the constant part)."""
    forms: dict[tuple[int, ...], QuadraticForm] = {}
    for (params, reads), coef in poly.terms.items():
        forms.setdefault(params, QuadraticForm()).add(reads, coef, columns)
    return forms
