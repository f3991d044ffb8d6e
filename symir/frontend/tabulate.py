"""Terms of one shape become one term iterating a table, before any IR is built.

The DSL twin of the pass `sym-tabulate-terms` (lowering/sym/sym_tabulate_terms.py, whose
module doc says what a shape is and what the table holds): an operator written one term
at a time (a loop of `globally().emit(...)` over random couplings, a fermion two-body sum
written product by product) has thousands of terms of a few shapes. Building, verifying,
normalizing and fingerprinting their IR costs milliseconds per term; done here, on the
DSL's terms (`TermSpec`), the compiler builds one term per shape. It runs after
`symir.frontend.canonical` (constant sites lifted, equal bodies merged), with the same
rules, the same columns (`plan`) and the same cost model as the pass:

* a constant is a *slot* where the pass would tabulate it: a real number anywhere, an
  integer that is an operand of an expression op, a `count` bound or an amplitude;
  never a boolean, a value an update writes, a shift delta, an `nth_site` rank or the
  key of `flip_sites`/`parity_sum`;
* constant arithmetic on numbers (`-1 * w`, written by a fermion product's sign) is
  folded first, as `symbolic-normalization` folds it in the IR, so that terms that
  differ only in such a sign are one shape;
* terms are of one shape when their keys, with slots abstracted, are equal (labels by
  position); a group's slots that differ become label columns (integers) or a
  `lookup` keyed by the term's index in the group (reals).

A term whose expressions are too large to walk as trees (`MAX_NODES`) is left alone.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from symir.dialects import sym
from symir.frontend.canonical import _key
from symir.frontend.expr import Expr, Key
from symir.frontend.term_spec import EmissionSpec, TermSpec
from symir.frontend.update import Update
from symir.lowering.sym.sym_tabulate_terms import (
    MIN_TERMS,
    Column,
    Decision,
    Plan,
    decide,
    plan,
)

MAX_NODES = 20_000
"""The largest term (expression nodes walked as a tree) that is compared for a shape."""

_EXPRESSIONS = frozenset(sym.EXPRESSION_OPS) | {"count"}
"""DSL nodes whose integer constant operands are slots (the pass: expression ops and
`sym.count`)."""

_FOLDED = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "neg": lambda a: -a,
}


class _TooBig(Exception):
    pass


def _number(e: Any) -> bool:
    return isinstance(e, Expr) and e.op == "const" and type(e.args[0]) in (int, float)


def fold(e: Any, memo: dict[int, tuple[Any, Any]] | None = None) -> Any:
    """`e` with arithmetic on number constants folded (`mul(-1, 0.5)` -> `-0.5`)."""
    if not isinstance(e, Expr) or e.op == "const":
        return e
    memo = {} if memo is None else memo
    found = memo.get(id(e))
    if found is not None and found[0] is e:
        return found[1]
    args = tuple(fold(a, memo) if isinstance(a, Expr) else a for a in e.args)
    out = e if all(a is b for a, b in zip(args, e.args, strict=True)) else Expr(e.op, *args)
    if e.op in _FOLDED and all(_number(a) for a in args):
        out = Expr("const", _FOLDED[e.op](*(a.args[0] for a in args)))
    memo[id(e)] = (e, out)
    return out


def _fold_update(u: Update, memo: dict) -> Update:
    steps = []
    for step in u.steps:
        parts = []
        for part in step:
            if isinstance(part, Update):
                part = _fold_update(part, memo)
            elif isinstance(part, tuple):
                part = tuple(fold(p, memo) for p in part)
            else:
                part = fold(part, memo)
            parts.append(part)
        steps.append(tuple(parts))
    return Update(tuple(steps))


def fold_term(term: TermSpec) -> TermSpec:
    """`term` with its constant arithmetic folded (itself when nothing folds)."""
    memo: dict = {}
    predicates = tuple(fold(p, memo) for p in term.predicates)
    emissions = tuple(
        replace(
            em,
            update=_fold_update(em.update, memo),
            amplitude=fold(em.amplitude, memo),
            condition=fold(em.condition, memo),
        )
        for em in term.emissions
    )
    return replace(term, predicates=predicates, emissions=emissions)


class _Walk:
    """Walks a term's expressions as trees in one fixed order: with `replace` None it
    builds the shape key and collects the slots' values; with `replace` (slot -> new
    expression or None) it rebuilds the term's expressions with those slots replaced."""

    def __init__(self, term: TermSpec, replace: dict[int, Expr] | None = None):
        self.labels = {name: k for k, name in enumerate(term.labels)}
        self.values: list[int | float] = []
        self.nodes = 0
        self.replace = replace

    # key mode and rebuild mode share the traversal
    def expr(self, e: Any, slot_ok: bool) -> Any:
        if not isinstance(e, Expr):
            return e if self.replace is not None else _key(e, self.labels)
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooBig
        if e.op == "const":
            v = e.args[0]
            if type(v) is float or (type(v) is int and slot_ok):
                slot = len(self.values)
                self.values.append(v)
                if self.replace is not None:
                    return self.replace.get(slot, e)
                return ("slot", type(v).__name__)
            return e if self.replace is not None else ("const", type(v).__name__, v)
        if e.op == "label" and self.replace is None:
            return ("label", self.labels.get(e.args[0], e.args[0]))
        child = e.op in _EXPRESSIONS
        args = [self.expr(a, child) for a in e.args]
        if self.replace is not None:
            return (
                e if all(a is b for a, b in zip(args, e.args, strict=True)) else Expr(e.op, *args)
            )
        return Key((e.op, *args))

    def update(self, u: Update) -> Any:
        steps = []
        for kind, *ops in u.steps:
            parts: list[Any] = [kind]
            for o in ops:
                if isinstance(o, Update):
                    parts.append(self.update(o))
                elif isinstance(o, tuple) and any(isinstance(p, Expr) for p in o):
                    parts.append(tuple(self.expr(p, False) for p in o))
                else:
                    parts.append(self.expr(o, False))
            steps.append(tuple(parts))
        if self.replace is not None:
            return Update(tuple(steps))
        return ("update", *steps)

    def term(self, term: TermSpec) -> tuple[Any, Any]:
        """(predicates, emissions): keys, or the rebuilt ones."""
        predicates = tuple(self.expr(p, False) for p in term.predicates)
        emissions = []
        for em in term.emissions:
            update = self.update(em.update)
            amplitude = self.expr(em.amplitude, True)
            condition = self.expr(em.condition, False) if em.condition is not None else None
            if self.replace is not None:
                emissions.append(
                    EmissionSpec(update, amplitude, condition, em.tag)  # type: ignore[arg-type]
                )
            else:
                emissions.append((update, amplitude, condition, em.tag))
        return predicates, tuple(emissions)


def _shape(term: TermSpec) -> tuple[Any, list[int | float], int] | None:
    walk = _Walk(term)
    try:
        predicates, emissions = walk.term(term)
    except _TooBig:
        return None
    key = (len(term.labels), term.fanout is None, predicates, emissions)
    return key, walk.values, walk.nodes


def _read(column: Column, n: int) -> Expr:
    """The expression of a column's value per row (the pass's `_Builder`, in the DSL)."""
    labels = [Expr("label", name) for name in column.labels]
    value = labels[-1]
    if column.width > 1:
        base = Expr("const", n)
        for label in reversed(labels[:-1]):
            value = Expr("add", label, Expr("mul", value, base))
    if column.offset:
        value = Expr("add", value, Expr("const", column.offset))
    return value


def _tabulated(members: list[TermSpec], p: Plan, n: int) -> TermSpec:
    first = members[0]
    prefix = "tab"
    while any(t.startswith(prefix) for t in first.labels):
        prefix = "_" + prefix
    names: list[str] = []
    new = [c for c in p.columns if not c.existing]
    for c in new:
        c.labels = [f"{prefix}{len(names) + d}" for d in range(c.width)]
        names += c.labels
    rows = []
    for g, term in enumerate(members):
        extra = tuple(d for c in new for d in c.rows[g])
        rows += [(*row, *extra) for row in term.rows]
    replaced: dict[int, Expr] = {}
    for s, k in p.integers.items():
        replaced[s] = _read(p.columns[k], n)
    if p.key is not None:
        key = _read(p.columns[p.key], n)
        keys = tuple(range(len(members)))
        for s, values in p.reals.items():
            replaced[s] = Expr("lookup", keys, tuple(values), key)
    predicates, emissions = _Walk(first, replaced).term(first)
    hinted = first.fanout is not None
    return replace(
        first,
        kind="rows",
        labels=(*first.labels, *names),
        rows=tuple(rows),
        predicates=predicates,
        emissions=emissions,
        fanout=sum(m.fanout or 0 for m in members) if hinted else None,
    )


def tabulate_terms(
    terms: tuple[TermSpec, ...], n_sites: int, min_terms: int = MIN_TERMS
) -> tuple[tuple[TermSpec, ...], dict[str, list[str]], dict[str, Any]]:
    """The terms with each group of one shape that pays tabulated (module doc), kept
    term -> the terms it absorbed, and the report (`sym.tabulation`'s form: `terms`
    before and after, `tabulated`, `decisions`; empty when no group was found)."""
    groups: dict[Any, list[tuple[TermSpec, TermSpec, list, int]]] = {}
    order: list[Any] = []
    for k, term in enumerate(terms):
        folded = fold_term(term)
        shape = _shape(folded)
        key = ("alone", k) if shape is None else shape[0]
        if key not in groups:
            groups[key] = []
            order.append(key)
        values, nodes = ([], 0) if shape is None else (shape[1], shape[2])
        groups[key].append((term, folded, values, nodes))
    out: list[TermSpec] = []
    tabulated: dict[str, list[str]] = {}
    decisions: list[Decision] = []
    for key in order:
        members = groups[key]
        if len(members) < 2:
            out.append(members[0][0])
            continue
        folded = [m[1] for m in members]
        rows = sum(len(t.rows) for t in folded)
        reals = [type(v) is float for v in members[0][2]]
        tables = [t.rows for t in folded]
        p = plan([m[2] for m in members], reals, n_sites, tables, folded[0].labels)
        decision = decide(folded[0].name, len(members), rows, members[0][3], p, n_sites, min_terms)
        decisions.append(decision)
        if decision.decision != "tabulated":
            out.extend(m[0] for m in members)
            continue
        out.append(_tabulated(folded, p, n_sites))
        tabulated[folded[0].name] = [t.name for t in folded[1:]]
    report: dict[str, Any] = {}
    if decisions:
        report = {
            "terms": [len(terms), len(out)],
            "tabulated": tabulated,
            "decisions": [d.as_dict() for d in decisions],
        }
    return tuple(out), tabulated, report


def absorb(merged: dict[str, list[str]], tabulated: dict[str, list[str]]) -> dict[str, list[str]]:
    """`merged` (kept term -> absorbed terms, of `canonical_terms`) with the tabulated
    groups added: a kept term absorbs the terms of its group and what they had absorbed."""
    out = {k: list(v) for k, v in merged.items()}
    for kept, absorbed in tabulated.items():
        into = out.setdefault(kept, [])
        for name in absorbed:
            into += [name, *out.pop(name, [])]
    return out


__all__ = ["MAX_NODES", "absorb", "fold", "fold_term", "tabulate_terms"]
