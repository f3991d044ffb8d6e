"""`sym-tabulate-terms`: terms of one shape become one term that iterates a table.

Terms of one operator with the same ops, the same use-def structure, the same labels (by
position) and the same update programs, that differ only in constants (a coefficient, the
bounds of a Jordan-Wigner count, an integer factor), are one term whose row table also
holds, per row, which of them the row came from. An operator written one term at a time
(a loop over random couplings, a fermion two-body sum written product by product) lowers
as a few terms, one per *shape*, whatever the number of terms: the `branch` and
`stablehlo` levels hold one copy of each body, and only the tables grow.

A constant that differs between the terms of a group is replaced, at each of its uses:

* `f64`: by `sym.lookup %k {keys = [0, ..., G-1], values = [c_0, ..., c_{G-1}]}`, where
  `k` is the index of the row's term in the group, written in base-N digits in label
  columns `tab0, tab1, ...` (`k = tab0 + N tab1 + ...`; one digit while G <= N);
* `i64` (an operand of an expression op, a `sym.count` bound or an amplitude): by label
  columns holding it (`v` itself when every value is a site index `0 <= v < N`, else
  `v - min(v)` in base-N digits plus `min(v)`).

The index expressions are integer ops of labels and constants: `convert-sym-to-branch`
folds them, row by row, into constant columns, and a `sym.lookup` at a constant column
becomes a constant per row, so the kernel reads no table at run time. Constants written
by an update (`sym.write` values, shift deltas), `sym.nth_site` ranks, the keys of
`sym.flip_sites`/`sym.parity_sum` and booleans are never tabulated: terms that differ in
them are different shapes. Constants equal in every term of a group stay constants.

    sym.term @t0 kind "rows" labels ["i"] rows [[0]] { ... %c = sym.constant 0.5 : f64 ... }
    sym.term @t1 kind "rows" labels ["i"] rows [[3]] { ... %c = sym.constant -1.5 : f64 ... }
    ->
    sym.term @t0 kind "rows" labels ["i", "tab0"] rows [[0, 0], [3, 1]] {
      ... %k = sym.label "tab0"
          %c = sym.lookup %k {keys = array<i64: 0, 1>, values = array<f64: 0.5, -1.5>} : i64 -> f64 ...

The cost model: a group is tabulated when it has at least `min_terms` terms (`MIN_TERMS`,
8: fewer terms compile fast anyway and keep their names in the reports) and the ops
the tables add (labels, index arithmetic, lookups) are fewer than the ops of the bodies
it removes, `(G - 1) x ops(body)`; a group whose constants are all equal is left to
`sym-merge-row-terms`. Each candidate group (two or more terms of one shape) gets a
decision, reported as the analysis `sym.tabulation = {terms = [before, after],
tabulated = {kept = [absorbed, ...]}, decisions = [...]}` (decisions: the group's first
term, its size, rows, decision `tabulated` or `apart`, a reason from `REASONS`, the
columns and tables added and the body ops before and after). The DSL does the same before
building any IR (`symir.frontend.tabulate`), so a compiled operator written one term at
a time never builds its thousands of terms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from xdsl.context import Context
from xdsl.dialects.builtin import (
    ArrayAttr,
    IntAttr,
    IntegerAttr,
    ModuleOp,
    StringAttr,
    f64,
    i64,
)
from xdsl.ir import BlockArgument, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.traits import Commutative

from symir.dialects import sym
from symir.dialects.sym.structure import _int_arrays
from symir.lowering.analyses import read_analysis, write_analysis
from symir.lowering.unchanged import mark_unchanged

REPORT = "tabulation"

MIN_TERMS = 8
"""The default smallest group that is tabulated: fewer terms compile fast anyway, and
keep their names in the reports (fusion groups, `force_fusion`) as written."""

REASONS = {
    "tabulated": "the group became one term iterating a table",
    "below_min_terms": "fewer terms than `min_terms`",
    "tables_cost_more": "the tables would add more ops than the bodies they remove",
    "constants_equal": "no constant differs: left to sym-merge-row-terms",
}
"""Why a group of terms of one shape was tabulated or kept apart."""

_NOT_TABULATED_USERS = (
    sym.NthSiteOp,
    sym.FlipSitesOp,
    sym.ParitySumOp,
    sym.LabelOp,
)


def _tabulatable_use(constant: sym.ConstantOp | sym.LabelOp, user: Operation) -> bool:
    """Whether a use of `constant` by `user` may read a per-row value instead."""
    t = constant.results[0].type
    if t == f64:
        return True
    if t != i64 or isinstance(user, _NOT_TABULATED_USERS):
        return False
    return isinstance(user, sym.ExpressionOp | sym.CountOp | sym.YieldOp)


def _hashable(attr: Any) -> Any:
    try:
        hash(attr)
        return attr
    except TypeError:
        return str(attr)


@dataclass
class _Shape:
    """A term's structure with its tabulatable constants as slots."""

    key: tuple
    slots: list[tuple[Operation, int]]
    """(user op, operand index) of each tabulatable constant use, in walk order."""
    values: list[int | float]
    ops: int


def _operand(
    op: Operation, v: SSAValue, index: dict[int, int], labels: dict[str, int], one_row: bool
) -> Any:
    """How an operand enters the shape: a slot, an exact constant, or the op it comes
    from (by walk index). In a term of one row (`labels` given) a label is the constant
    of that row where a constant would be a slot; a label is read by its position."""
    owner = v.owner
    if isinstance(owner, sym.ConstantOp):
        if _tabulatable_use(owner, op):
            return ("slot", owner.result.type)
        return ("const", owner.value)
    if isinstance(owner, sym.LabelOp):  # labels by position: their names do not matter
        position = labels.get(owner.label.data, owner.label.data)
        if one_row and isinstance(position, int) and _tabulatable_use(owner, op):
            return ("slot", i64)
        return ("label", position)
    if isinstance(v, BlockArgument) or not isinstance(owner, Operation):
        return ("arg", getattr(v, "index", -1))
    return ("op", index.get(id(owner), -3), v.index)  # type: ignore[union-attr]


def _properties(op: Operation) -> tuple:
    if isinstance(op, sym.LabelOp):  # its uses read it by position (`_operand`)
        return ()
    return tuple(sorted((k, _hashable(a)) for k, a in op.properties.items()))


def _shape(term: sym.TermOp) -> _Shape:
    labels = {name: k for k, name in enumerate(term.label_names)}
    table = term.row_table
    row = table[0] if len(table) == 1 else None
    index: dict[int, int] = {}
    parts: list[tuple] = []
    slots: list[tuple[Operation, int]] = []
    values: list[int | float] = []
    ops = 0
    for op in term.body.walk():
        ops += 1
        if isinstance(op, sym.ConstantOp) and op.result.uses:
            continue  # seen at its uses
        index[id(op)] = len(index)
        parent = op.parent_op()
        where = -1 if parent is term else index.get(id(parent), -2)
        region = op.parent_region()
        region_k = parent.regions.index(region) if parent is not None and region else 0
        one = row is not None
        operands = [(_operand(op, v, index, labels, one), k) for k, v in enumerate(op.operands)]
        if op.has_trait(Commutative):  # operand order is no part of the shape
            operands.sort(key=lambda o: (repr(o[0]), o[1]))
        for rep, k in operands:
            if rep[0] == "slot":
                slots.append((op, k))
                owner = op.operands[k].owner
                if isinstance(owner, sym.LabelOp):  # a label of a term of one row
                    values.append(row[labels[owner.label.data]])  # type: ignore[index]
                else:
                    values.append(_constant(owner))  # type: ignore[arg-type]
        attrs = tuple(sorted((k, _hashable(a)) for k, a in op.attributes.items()))
        types = tuple(r.type for r in op.results)
        reps = tuple(rep for rep, _ in operands)
        parts.append((op.name, where, region_k, reps, _properties(op), attrs, types))
    key = (len(labels), term.fanout is None, tuple(parts))
    return _Shape(key, slots, values, ops)


def _constant(op: sym.ConstantOp) -> int | float:
    v = op.value
    return v.value.data if isinstance(v, IntegerAttr) else float(v.value.data)


def digits(n: int, base: int) -> int:
    """How many base-`base` digits hold the numbers 0 .. n - 1 (at least one)."""
    d, reach = 1, base
    while reach < n:
        d, reach = d + 1, reach * base
    return d


def encode(value: int, base: int, count: int) -> list[int]:
    """`value` (>= 0) as `count` base-`base` digits, least significant first."""
    out = []
    for _ in range(count):
        value, r = divmod(value, base)
        out.append(r)
    return out


@dataclass
class Column:
    """How a tabulated value is read per row: `offset + sum_d base^d label_d`, the digits
    of each term of the group (`rows[g]`, least significant first)."""

    offset: int
    rows: list[list[int]]
    labels: list[str] = field(default_factory=list)
    existing: bool = False
    """A label column the term already has (`labels`), which holds the value row by row."""
    site: bool = False
    """A constant site lifted into a column (the DSL's tabulation, which also does what
    `sym-lift-constant-sites` does): named `site0, site1, ...`, not counted as a table."""

    @property
    def width(self) -> int:
        return 1 if self.existing else len(self.rows[0])


def integer_column(values: list[int], n: int) -> Column:
    """The columns holding one integer per term: the value itself where every value is a
    site index, else its distance to the smallest in base-`n` digits."""
    if all(0 <= v < n for v in values):
        return Column(0, [[v] for v in values])
    low = min(values)
    width = digits(max(values) - low + 1, n)
    return Column(low, [encode(v - low, n, width) for v in values])


def index_column(terms: int, n: int) -> Column:
    """The columns holding the index of each term in its group (base-`n` digits)."""
    width = digits(terms, n)
    return Column(0, [encode(g, n, width) for g in range(terms)])


@dataclass
class Plan:
    """What tabulating one group adds: its columns (shared by equal ones), the integer
    slots (slot -> column) and the real slots (slot -> table), and the ops that costs."""

    columns: list[Column]
    integers: dict[int, int]
    reals: dict[int, list[float]]
    key: int | None
    ops: int


def _existing_label(per_term: list[int], tables: list[tuple[tuple[int, ...], ...]]) -> int | None:
    """The position of a label whose column holds, in every row of every term, that
    term's value of a slot (`per_term`), if the terms have one."""
    width = len(tables[0][0]) if tables[0] else 0
    for j in range(width):
        if all(row[j] == v for v, rows in zip(per_term, tables, strict=True) for row in rows):
            return j
    return None


class _LabelColumns:
    """`_existing_label` for the slots of one group: where every term has one row (a
    group of terms written one by one), each label's column is a tuple over the terms,
    compared with a slot's values at once (100,000 terms: a tuple comparison per label
    instead of a Python step per term)."""

    def __init__(self, tables: list[tuple[tuple[int, ...], ...]]):
        self.tables = tables
        self.columns: list[tuple[int, ...]] | None = None
        if tables and all(len(t) == 1 for t in tables) and tables[0][0]:
            self.columns = list(zip(*(t[0] for t in tables)))

    def find(self, per_term: list[int]) -> int | None:
        if self.columns is None:
            return _existing_label(per_term, self.tables)
        want = tuple(per_term)
        for j, column in enumerate(self.columns):
            if column == want:
                return j
        return None


def plan(
    values: list[list[int | float]],
    kinds: list[str],
    n: int,
    tables: list[tuple[tuple[int, ...], ...]],
    labels: tuple[str, ...],
) -> Plan:
    """The plan for one group: `values[g][s]` the value of slot `s` in term `g`,
    `kinds[s]` its kind (`real`, `int`, or `site`: a constant site, which always becomes
    a column holding it, as `sym-lift-constant-sites` makes it), `tables[g]` the row
    table of term `g` (an integer equal to a label's value in every row reads that
    label), `labels` the kept term's labels."""
    columns: list[Column] = []
    known: dict[tuple, int] = {}

    def column(c: Column) -> int:
        sig = (c.offset, tuple(map(tuple, c.rows)), c.existing and c.labels[0], c.site)
        if sig not in known:
            known[sig] = len(columns)
            columns.append(c)
        return known[sig]

    integers: dict[int, int] = {}
    reals: dict[int, list[float]] = {}
    key: int | None = None
    ops = 0
    existing = _LabelColumns(tables)
    slots = list(zip(*values)) if values and kinds else []
    for s, kind in enumerate(kinds):
        per_term = list(slots[s])
        if kind == "site":
            j = existing.find([int(v) for v in per_term])
            if j is not None:
                integers[s] = column(Column(0, [], [labels[j]], existing=True))
            else:
                integers[s] = column(Column(0, [[int(v)] for v in per_term], site=True))
            continue
        if all(v == per_term[0] for v in per_term):
            continue
        if kind == "real":
            if key is None:
                key = column(index_column(len(values), n))
            reals[s] = [float(v) for v in per_term]
            ops += 1 + _index_ops(columns[key])
        else:
            ints = [int(v) for v in per_term]
            j = existing.find(ints)
            if j is not None:
                c = Column(0, [], [labels[j]], existing=True)
            else:
                c = integer_column(ints, n)
            integers[s] = column(c)
            ops += _index_ops(columns[integers[s]])
    return Plan(columns, integers, reals, key, ops)


def varies(p: Plan) -> bool:
    """Whether some constant other than a site differs within the group."""
    return bool(p.reals) or any(not p.columns[c].site for c in p.integers.values())


def table_rows(
    p: Plan, tables: list[tuple[tuple[int, ...], ...]], n: int, linear: int | None = None
) -> tuple[list[tuple[int, ...]], dict[int, list[float]]]:
    """The rows of the tabulated term (each term's rows followed by its values of the
    plan's new columns, in their order) and the real tables (slot -> the values the key
    column indexes). With `linear` (the one real slot that differs, a factor of the
    amplitude of the term's only emission), rows equal in every column are one branch
    written twice: they are combined, their coefficients summed, and the key column
    indexes the combined rows (the plan's key column is rewritten so)."""
    new = [c for c in p.columns if not c.existing]
    if linear is None or p.key is None:
        rows = [
            (*row, *(d for c in new for d in c.rows[g]))
            for g, term in enumerate(tables)
            for row in term
        ]
        return rows, p.reals
    key = p.columns[p.key]
    coefficients = p.reals[linear]
    found: dict[tuple[int, ...], int] = {}
    kept: list[tuple[int, tuple[int, ...]]] = []  # (term, row without the key) per row
    sums: list[float] = []
    for g, term in enumerate(tables):
        for row in term:
            full = (*row, *(d for c in new if c is not key for d in c.rows[g]))
            k = found.get(full)
            if k is None:
                k = found[full] = len(sums)
                kept.append((g, row))
                sums.append(0.0)
            sums[k] += coefficients[g]
    if len(sums) == sum(map(len, tables)):  # nothing to combine: one key per term
        return table_rows(p, tables, n)
    width = digits(len(sums), n)
    key.rows = [encode(k, n, width) for k in range(len(sums))]
    rows = [
        (*row, *(d for c in new for d in (key.rows[k] if c is key else c.rows[g])))
        for k, (g, row) in enumerate(kept)
    ]
    return rows, {linear: sums}


def _index_ops(c: Column) -> int:
    """The ops reading a column: its labels, `base` and the multiply-adds, the offset."""
    return c.width + (0 if c.width == 1 else 1 + 2 * (c.width - 1)) + (2 if c.offset else 0)


@dataclass
class Decision:
    term: str
    terms: int
    rows: tuple[int, int]
    """The rows of the group, and of the tabulated term (equal rows combined)."""
    decision: str
    reason: str
    columns: int = 0
    tables: int = 0
    ops: tuple[int, int] = (0, 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "term": self.term,
            "terms": self.terms,
            "rows": list(self.rows),
            "decision": self.decision,
            "reason": self.reason,
            "columns": self.columns,
            "tables": self.tables,
            "ops": list(self.ops),
        }


def decide(
    name: str, terms: int, rows: int, body: int, p: Plan, n: int, min_terms: int
) -> Decision:  # the rows after tabulating: set by the caller
    """The cost model's decision for a group of `terms` terms of one shape (`rows` rows
    in all, `body` ops each) and its plan `p` on `n` sites: tabulated when the group has
    at least `min_terms` terms, some constant differs, and the ops the tables add are
    fewer than the ops of the bodies removed, `(terms - 1) x body`."""
    before = terms * body
    columns = sum(c.width for c in p.columns if not (c.existing or c.site))
    d = Decision(name, terms, (rows, rows), "apart", "", columns, len(p.reals), (before, before))
    if not varies(p):
        d.reason, d.columns = "constants_equal", 0
    elif terms < min_terms:
        d.reason = "below_min_terms"
    elif n < 2 or p.ops >= (terms - 1) * body:
        d.reason = "tables_cost_more"
    else:
        d.decision = d.reason = "tabulated"
        d.ops = (before, body + p.ops)
    return d


class _Builder:
    """Builds the index expression of a column before a use, once per block."""

    def __init__(self, n: int):
        self.n = n
        self.built: dict[tuple[int, int], SSAValue] = {}

    def value(self, column: Column, k: int, before: Operation) -> SSAValue:
        block = before.parent_block()
        assert block is not None
        found = self.built.get((id(block), k))
        if found is not None:  # built before an earlier use in this block (walk order)
            return found
        new: list[Operation] = [sym.LabelOp(name) for name in column.labels]
        value = new[-1].results[0]
        if column.width > 1:
            base = sym.ConstantOp(IntegerAttr(self.n, i64))
            new.append(base)
            for label in reversed(new[: column.width - 1]):
                scaled = sym.MulOp(value, base.result)
                summed = sym.AddOp(label.results[0], scaled.result)
                new += [scaled, summed]
                value = summed.result
        if column.offset:
            offset = sym.ConstantOp(IntegerAttr(column.offset, i64))
            shifted = sym.AddOp(value, offset.result)
            new += [offset, shifted]
            value = shifted.result
        Rewriter.insert_op(new, InsertPoint.before(before))
        self.built[(id(block), k)] = value
        return value


def _label_prefix(taken: tuple[str, ...]) -> str:
    prefix = "tab"
    while any(t.startswith(prefix) for t in taken):
        prefix = "_" + prefix
    return prefix


def _linear(term: sym.TermOp, shape: _Shape, p: Plan) -> int | None:
    """The real slot that differs, when it is the only one and a factor of the amplitude
    of the term's only emission (the yielded value, or a factor of the `sym.mul`s it
    yields): rows equal but for it may be combined (`table_rows`)."""
    if len(p.reals) != 1 or len(term.emissions) != 1:
        return None
    (s,) = p.reals
    user, _ = shape.slots[s]
    while isinstance(user, sym.MulOp):  # a factor of a product (`J * s_i * s_j`)
        uses = list(user.result.uses)
        if len(uses) != 1 or not isinstance(uses[0].operation, sym.MulOp | sym.YieldOp):
            return None
        user = uses[0].operation
    if not isinstance(user, sym.YieldOp) or not isinstance(user.parent_op(), sym.EmissionOp):
        return None
    return s


def tabulate_group(
    terms: list[sym.TermOp], shapes: list[_Shape], p: Plan, n: int
) -> tuple[int, int]:
    """Rewrites the first of `terms` into the tabulated term of the group (`p`) and
    erases the others; returns the rows before and after (equal rows combined)."""
    kept, shape = terms[0], shapes[0]
    tables = [t.row_table for t in terms]
    rows, reals = table_rows(p, tables, n, _linear(kept, shape, p))
    prefix = _label_prefix(kept.label_names)
    names: list[str] = []
    for c in p.columns:
        if not c.existing:
            c.labels = [f"{prefix}{len(names) + d}" for d in range(c.width)]
            names += c.labels
    builder = _Builder(n)
    replaced: list[sym.ConstantOp | sym.LabelOp] = []
    for s, (user, k) in enumerate(shape.slots):
        if s in p.integers:
            c = p.integers[s]
            value = builder.value(p.columns[c], c, user)
        elif s in reals:
            assert p.key is not None
            index = builder.value(p.columns[p.key], p.key, user)
            lookup = sym.LookupOp(list(range(len(reals[s]))), reals[s], index)
            Rewriter.insert_op(lookup, InsertPoint.before(user))
            value = lookup.result
        else:
            continue
        replaced.append(user.operands[k].owner)  # type: ignore[arg-type]
        user.operands[k] = value
    for constant in replaced:
        if constant.parent is not None and not constant.results[0].uses:
            Rewriter.erase_op(constant)
    kept.labels = ArrayAttr([*kept.labels.data, *(StringAttr(x) for x in names)])
    kept.rows = ArrayAttr(_int_arrays(rows))
    kept.kind = StringAttr("rows")
    hints = [t.fanout.data for t in terms if t.fanout is not None]
    if kept.fanout is not None:
        kept.fanout = IntAttr(sum(hints))
    for term in terms[1:]:
        term.detach()
        term.erase()
    return sum(map(len, tables)), len(rows)


def tabulate_terms(
    operator: sym.OperatorOp, min_terms: int = MIN_TERMS
) -> tuple[dict[str, list[str]], list[Decision]]:
    """Tabulates the groups of terms of one shape of `operator` that pay (module doc);
    returns kept term -> the terms it absorbed, and a decision per candidate group."""
    n = operator.num_sites.data
    groups: dict[tuple, list[tuple[sym.TermOp, _Shape]]] = {}
    for term in list(operator.terms):
        shape = _shape(term)
        groups.setdefault(shape.key, []).append((term, shape))
    tabulated: dict[str, list[str]] = {}
    decisions: list[Decision] = []
    for members in groups.values():
        if len(members) < 2:
            continue
        terms = [t for t, _ in members]
        shapes = [s for _, s in members]
        name = terms[0].sym_name.data
        rows = sum(len(t.row_table) for t in terms)
        kinds = ["real" if u.operands[k].type == f64 else "int" for u, k in shapes[0].slots]
        tables = [t.row_table for t in terms]
        p = plan([s.values for s in shapes], kinds, n, tables, terms[0].label_names)
        decision = decide(name, len(terms), rows, shapes[0].ops, p, n, min_terms)
        decisions.append(decision)
        if decision.decision == "tabulated":
            decision.rows = tabulate_group(terms, shapes, p, n)
            decision.columns = sum(c.width for c in p.columns if not c.existing)
            tabulated[name] = [t.sym_name.data for t in terms[1:]]
    return tabulated, decisions


@dataclass(frozen=True)
class SymTabulateTermsPass(ModulePass):
    """Terms of one shape (equal but for constants) become one term iterating a table.

    Writes `sym.tabulation = {terms, tabulated, decisions}` where it found candidates."""

    name = "sym-tabulate-terms"

    min_terms: int = MIN_TERMS
    """The smallest group of terms of one shape that is tabulated (at least 2)."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.min_terms < 2:
            raise ValueError(f"sym-tabulate-terms: min_terms must be >= 2, got {self.min_terms}")
        tabulated: dict[str, list[str]] = {}
        decisions: list[Decision] = []
        before = after = 0
        for operator in [o for o in op.walk() if isinstance(o, sym.OperatorOp)]:
            before += len(operator.terms)
            found, made = tabulate_terms(operator, self.min_terms)
            after += len(operator.terms)
            tabulated.update(found)
            decisions += made
        if not tabulated:
            mark_unchanged(op, self)
        if decisions:
            write_analysis(
                op,
                REPORT,
                {
                    "terms": [before, after],
                    "tabulated": tabulated,
                    "decisions": [d.as_dict() for d in decisions],
                },
            )


def tabulation(module: ModuleOp) -> dict[str, Any]:
    """The report of `sym-tabulate-terms` on `module` (empty when it found no group)."""
    return read_analysis(module, REPORT) or {}


__all__ = [
    "MIN_TERMS",
    "REASONS",
    "Column",
    "Decision",
    "Plan",
    "SymTabulateTermsPass",
    "decide",
    "plan",
    "table_rows",
    "tabulate_terms",
    "tabulation",
    "varies",
]
