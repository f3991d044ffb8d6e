"""Terms of one shape become one term iterating a table, before any IR is built.

The DSL twin of the pass `sym-tabulate-terms` (lowering/sym/sym_tabulate_terms.py, whose
module doc says what a shape is and what the table holds): an operator written one term
at a time (a loop of `globally().emit(...)` over random couplings, a fermion two-body sum
written product by product) has thousands of terms of a few shapes. Building, verifying,
normalizing and fingerprinting their IR costs milliseconds per term; done here, on the
DSL's terms (`TermSpec`), the compiler builds one term per shape. It walks each term as
written once, with the same rules, the same columns (`plan`) and the same cost model as
the pass, and does on the way what `symir.frontend.canonical` would do first:

* a constant site (`site(3)`, `write(3, ...)`, ...) is a column holding it, as
  `lift_constant_sites` makes it (named `site0, site1, ...`);
* a constant is a *slot* where the pass would tabulate it: a real number anywhere, an
  integer that is an operand of an expression op, a `count` bound or an amplitude;
  never a boolean, a value an update writes, a shift delta, an `nth_site` rank or the
  key of `flip_sites`/`parity_sum`;
* constant arithmetic on numbers (`-1 * w`, written by a fermion product's sign) is
  folded, as `symbolic-normalization` folds it in the IR, so that terms that differ
  only in such a sign are one shape;
* a run of writes to distinct constant sites is walked in increasing order of the sites
  (they commute, `_in_site_order`), so that a coupling written as `(i, j)` and as
  `(j, i)` is one row of the tabulated term, written in that order;
* terms are of one shape when their keys, with slots abstracted, are equal (labels by
  position); a group's slots that differ become label columns (integers) or a
  `lookup` keyed by the term's index in the group (reals).

A group whose constants other than sites are all equal is left to
`symir.frontend.canonical` (lifted and merged there, as before). A term whose
expressions are too large to walk as trees (`MAX_NODES`) is left alone.
"""

from __future__ import annotations

import gc
import weakref
from dataclasses import replace
from typing import Any

from symir.dialects import sym
from symir.frontend.canonical import _key
from symir.frontend.expr import Expr, Key
from symir.frontend.pauli_terms import route_pauli_products
from symir.frontend.stored_terms import as_terms
from symir.frontend.term_spec import EmissionSpec, TermSpec
from symir.frontend.update import Update
from symir.gc_pause import gc_paused
from symir.lowering.sym.sym_tabulate_terms import (
    MIN_TERMS,
    Column,
    Decision,
    Plan,
    decide,
    plan,
    table_rows,
)

MAX_NODES = 20_000
"""The largest term (expression nodes walked as a tree) that is compared for a shape."""

_EXPRESSIONS = frozenset(sym.EXPRESSION_OPS) | {"count"}
"""DSL nodes whose integer constant operands are slots (the pass: expression ops and
`sym.count`)."""

_SITE_READS = ("read", "read_emitted")
_ONE_SITE_STEPS = ("write", "shift", "shift_mod", "affine")

_FOLDED = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "neg": lambda a: -a,
}

SITE, VALUE, EXACT = "site", "int", "exact"
"""Where a constant sits: a site (a column), an operand whose integers are slots, or
one whose integers stay as written."""


class _TooBig(Exception):
    pass


_NUMBER_TYPES = frozenset((int, float))


def _number(e: Any) -> bool:
    return e.__class__ is Expr and e.op == "const" and e.args[0].__class__ in _NUMBER_TYPES


def _foldable(e: Expr) -> bool:
    """Whether `e` is arithmetic on numbers (`_FOLDED`, every operand a number)."""
    if e.op not in _FOLDED:
        return False
    for a in e.args:
        if not (a.__class__ is Expr and a.op == "const" and a.args[0].__class__ in _NUMBER_TYPES):
            return False
    return True


class _Walk:
    """Walks a term's expressions as trees in one fixed order: with `replace` None it
    builds the shape key and collects the slots (value and kind); with `replace` (slot
    -> new expression) it rebuilds the term's expressions with those slots replaced and
    constant arithmetic folded.

    It runs once per term of an operator written one term at a time (100,000 terms in
    a loop), so its hot paths are written out: no generator per node, no tuple key per
    remembered expression (`memo` is a dict per place, keyed by identity)."""

    __slots__ = (
        "kinds",
        "labels",
        "linear",
        "memo",
        "nodes",
        "replace",
        "row",
        "sources",
        "values",
    )

    def __init__(
        self, term: TermSpec, replace: dict[int, Expr] | None = None, memo: dict | None = None
    ):
        labels = term.labels
        self.labels = {name: k for k, name in enumerate(labels)} if labels else _NO_LABELS
        rows = term.rows
        self.row = rows[0] if len(rows) == 1 else None
        """A term of one row reads its labels as the constants of that row."""
        self.values: list[int | float] = []
        self.sources: list[tuple[bool, Any]] = []
        """Per slot: (False, the constant) or (True, the position of the label read)."""
        self.kinds: list[str] = []
        self.nodes = 0
        self.replace = replace
        self.linear: int | None = None
        """The slot of a real constant that is a factor of the amplitude of the term's
        only emission (the amplitude, or an operand of the `mul` it is)."""
        self.memo: dict | None = None
        if memo is not None and replace is None:
            found = memo.get((labels, self.row is not None))
            if found is None:
                found = memo[(labels, self.row is not None)] = {}
            self.memo = found

    def root(self, e: Any, where: str) -> Any:
        """`expr(e, where)`, remembered by identity across the terms of one tabulation:
        expressions shared by many terms (the emissions `symir.frontend.fermion` builds
        once per pattern) are walked once, their slots read again from each term's row."""
        memo = self.memo
        if memo is None or e.__class__ is not Expr or e.op == "const":
            return self.expr(e, where)  # a constant: nothing to remember
        at = memo.get(where)
        if at is None:
            at = memo[where] = {}
        found = at.get(id(e))
        if found is not None and found[0] is e:
            return self._again(found)
        start, nodes = len(self.values), self.nodes
        key = self.expr(e, where)
        at[id(e)] = (e, key, self.kinds, self.sources, start, len(self.values), self.nodes - nodes)
        return key

    def _again(self, found: tuple) -> Any:
        """The key of a remembered walk (`root`, `update`), its slots read for this term:
        constants as they were, labels from this term's row. (It holds the lists of the
        walk that made it, not the walk: no reference cycle through the memo.)"""
        _, key, kinds, sources, start, end, nodes = found
        self.nodes += nodes
        if self.nodes > MAX_NODES:
            raise _TooBig
        if start != end:
            sources = sources[start:end]
            self.kinds += kinds[start:end]
            self.sources += sources
            row = self.row
            self.values += [row[s] if label else s for label, s in sources]  # type: ignore[index]
        return key

    def _const(self, e: Expr, v: Any, where: str, label: int | None = None) -> Any:
        cls = v.__class__
        if cls is float:
            kind = "real"
        elif cls is int and where != EXACT:
            kind = where
        else:
            if self.replace is not None:
                return e if e.op == "const" else Expr("const", v)
            return ("const", cls.__name__, v)
        slot = len(self.values)
        self.values.append(v)
        self.sources.append((False, v) if label is None else (True, label))
        self.kinds.append(kind)
        if self.replace is not None:
            found = self.replace.get(slot)
            if found is not None:
                return found
            return e if e.op == "const" else Expr("const", v)
        return _SLOT_KEYS[kind]

    def expr(self, e: Any, where: str) -> Any:
        if e.__class__ is not Expr:
            return e if self.replace is not None else _key(e, self.labels)
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooBig
        op = e.op
        args = e.args
        if op == "const":
            return self._const(e, args[0], where)
        if op in _FOLDED and _foldable(e):
            value = _FOLDED[op](*(a.args[0] for a in args))
            return self._const(e, value, EXACT if where == SITE else where)
        if op == "label":
            position = self.labels.get(args[0])
            if self.row is not None and position is not None:
                return self._const(e, self.row[position], where, position)
            if self.replace is None:
                return ("label", args[0] if position is None else position)
        if op in _SITE_READS:
            out = [self.expr(args[0], SITE), *(self.expr(a, EXACT) for a in args[1:])]
        else:
            child = VALUE if op in _EXPRESSIONS else EXACT
            out = [self.expr(a, child) for a in args]
        if self.replace is not None:
            return _rebuilt(e, out)
        return Key((op, *out))

    def update(self, u: Update) -> Any:
        memo = self.memo
        if memo is None or not u.steps:
            return self._update(u)
        at = memo.get("update")
        if at is None:
            at = memo["update"] = {}
        found = at.get(id(u))
        if found is not None and found[0] is u:
            return self._again(found)
        start, nodes = len(self.values), self.nodes
        key = self._update(u)
        at[id(u)] = (u, key, self.kinds, self.sources, start, len(self.values), self.nodes - nodes)
        return key

    def _update(self, u: Update) -> Any:
        steps = []
        for kind, *ops in _in_site_order(u.steps):
            parts: list[Any] = [kind]
            every = kind in ("swap", "permute")
            first = kind in _ONE_SITE_STEPS
            for k, o in enumerate(ops):
                if o.__class__ is Update:
                    parts.append(self.update(o))
                elif o.__class__ is tuple and any(p.__class__ is Expr for p in o):
                    where = SITE if kind == "scatter" and k == 0 else EXACT
                    parts.append(tuple([self.expr(p, where) for p in o]))
                else:
                    site = every or (first and k == 0)
                    parts.append(self.expr(o, SITE if site else EXACT))
            steps.append(tuple(parts))
        if self.replace is not None:
            return Update(tuple(steps))
        return ("update", *steps)

    def term(self, term: TermSpec) -> tuple[Any, Any]:
        """(predicates, emissions): keys, or the rebuilt ones."""
        predicates = tuple([self.root(p, EXACT) for p in term.predicates])
        emissions = []
        only = len(term.emissions) == 1
        for em in term.emissions:
            update = self.update(em.update)
            amplitude = self._amplitude(em.amplitude, only)
            condition = self.root(em.condition, EXACT) if em.condition is not None else None
            if self.replace is not None:
                emissions.append(
                    EmissionSpec(update, amplitude, condition, em.tag)  # type: ignore[arg-type]
                )
            else:
                emissions.append((update, amplitude, condition, em.tag))
        return predicates, tuple(emissions)

    def _amplitude(self, e: Any, only: bool) -> Any:
        """The amplitude's key (or rebuilt expression), noting its linear slot: a real
        constant that is the amplitude or a factor of the product it is (`J * s_i *
        s_j`: `mul(mul(J, s_i), s_j)`)."""
        if not only or e.__class__ is not Expr:
            return self.root(e, VALUE)
        if _real(e):
            self.linear = len(self.values)
            return self.expr(e, VALUE)
        if e.op != "mul" or len(e.args) != 2 or _foldable(e):
            return self.root(e, VALUE)
        return self._product(e)

    def _product(self, e: Expr) -> Any:
        self.nodes += 1
        keys = []
        for a in e.args:
            if self.linear is None and _real(a):
                self.linear = len(self.values)
                keys.append(self.root(a, VALUE))
            elif a.__class__ is Expr and a.op == "mul" and len(a.args) == 2 and not _foldable(a):
                keys.append(self._product(a))
            else:
                keys.append(self.root(a, VALUE))
        ka, kb = keys
        if self.replace is not None:
            return e if ka is e.args[0] and kb is e.args[1] else Expr("mul", ka, kb)
        return Key(("mul", ka, kb))


def _constant_write(step: tuple) -> bool:
    site = step[1] if step[0] == "write" else None
    return site.__class__ is Expr and site.op == "const" and site.args[0].__class__ is int


def _in_site_order(steps: tuple) -> tuple:
    """`steps` with each run of writes to distinct constant sites in increasing order of
    the sites. They commute (a written value reads `x`, never `x'`), and so
    `write(i, -s_i).write(j, -s_j)` and `write(j, -s_j).write(i, -s_i)` (a coupling
    drawn as `(i, j)` and as `(j, i)`) are one row of the tabulated term, their
    coefficients summed, instead of two rows that `branch-fuse-equal-states` sums into
    one slot, a body per multiplicity."""
    if len(steps) < 2:
        return steps
    out = list(steps)
    k = 0
    while k < len(out):
        end = k
        while end < len(out) and _constant_write(out[end]):
            end += 1
        sites = [step[1].args[0] for step in out[k:end]]
        if len(set(sites)) == len(sites) and sites != sorted(sites):
            out[k:end] = sorted(out[k:end], key=lambda step: step[1].args[0])
        k = max(end, k + 1)
    return tuple(out)


def _rebuilt(e: Expr, args: list[Any]) -> Expr:
    """`e` with these operands (itself when they are its own)."""
    for a, b in zip(args, e.args, strict=True):
        if a is not b:
            return Expr(e.op, *args)
    return e


_NO_LABELS: dict[str, int] = {}
_SLOT_KEYS = {kind: ("slot", kind) for kind in ("real", SITE, VALUE)}


def _real(e: Any) -> bool:
    """Whether `e` is a real constant, or arithmetic on numbers folding to one."""
    if e.__class__ is not Expr:
        return False
    if e.op == "const":
        return e.args[0].__class__ is float
    if _foldable(e):
        return type(_FOLDED[e.op](*(a.args[0] for a in e.args))) is float
    return False


def _shape(
    term: TermSpec, memo: dict | None = None
) -> tuple[Any, list[int | float], list[str], int, int | None] | None:
    walk = _Walk(term, memo=memo)
    try:
        predicates, emissions = walk.term(term)
    except _TooBig:
        return None
    key = (len(term.labels), term.fanout is None, predicates, emissions)
    return key, walk.values, walk.kinds, walk.nodes, walk.linear


def read_column(column: Column, n: int) -> Expr:
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


def _prefix(name: str, taken: tuple[str, ...]) -> str:
    while any(t.startswith(name) for t in taken):
        name = "_" + name
    return name


def _tabulated(members: list[TermSpec], p: Plan, n: int, linear: int | None) -> TermSpec:
    first = members[0]
    linear = linear if linear is not None and len(p.reals) == 1 and linear in p.reals else None
    rows, reals = table_rows(p, [t.rows for t in members], n, linear)
    tab, site = _prefix("tab", first.labels), _prefix("site", first.labels)
    names: list[str] = []
    new = [c for c in p.columns if not c.existing]
    counts = {True: 0, False: 0}
    for c in new:
        prefix = site if c.site else tab
        c.labels = [f"{prefix}{counts[c.site] + d}" for d in range(c.width)]
        counts[c.site] += c.width
        names += c.labels
    replaced: dict[int, Expr] = {}
    for s, k in p.integers.items():
        replaced[s] = read_column(p.columns[k], n)
    if p.key is not None:
        key = read_column(p.columns[p.key], n)
        for s, values in reals.items():
            replaced[s] = Expr("lookup", tuple(range(len(values))), tuple(values), key)
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
    terms: tuple[TermSpec, ...],
    n_sites: int,
    min_terms: int = MIN_TERMS,
    hilbert: Any = None,
    states: tuple[int, ...] = (),
) -> tuple[tuple[TermSpec, ...], dict[str, list[str]], dict[str, Any]]:
    """The terms (as written, before `symir.frontend.canonical`) with each group of one
    shape that pays tabulated, in the place of its first term (module doc); kept term ->
    the terms it absorbed; and the report (`sym.tabulation`'s form: `terms` before and
    after, `tabulated`, `decisions`; empty when no group was found). Python's cyclic
    garbage collector is paused meanwhile: it would scan every expression of every term
    again and again while the walks allocate (a third of the time for 5,000 terms).

    With the space (`hilbert` and its local `states`), Pauli products written one term
    at a time are first routed into the tables of `pauli_strings`
    (`symir.frontend.pauli_terms`), reported as a decision `pauli_strings`."""
    with gc_paused():
        routed: dict[str, list[str]] = {}
        decision = None
        before = len(terms)
        if states:
            terms, routed, decision = route_pauli_products(
                terms, hilbert, states, n_sites, min_terms
            )
        # records not routed (too few, or turned off) are terms again
        out, tabulated, report = _tabulate(as_terms(terms), n_sites, min_terms)
        if decision is not None:
            tabulated = {**routed, **tabulated}
            report = {
                "terms": [before, len(out)],
                "tabulated": {**routed, **report.get("tabulated", {})},
                "decisions": [decision, *report.get("decisions", [])],
            }
        return out, tabulated, report


def _tabulate(
    terms: tuple[TermSpec, ...], n_sites: int, min_terms: int
) -> tuple[tuple[TermSpec, ...], dict[str, list[str]], dict[str, Any]]:
    groups: dict[Any, list[int]] = {}
    shapes: list[tuple[Any, list[int | float], list[str], int, int | None] | None] = []
    memo: dict = {}
    for k, term in enumerate(terms):
        shape = _shape(term, memo)
        shapes.append(shape)
        groups.setdefault(("alone", k) if shape is None else shape[0], []).append(k)
    replaced: dict[int, TermSpec | None] = {}
    tabulated: dict[str, list[str]] = {}
    decisions: list[Decision] = []
    for members in groups.values():
        if len(members) < 2:
            continue
        group = [terms[k] for k in members]
        found = [shapes[k] for k in members]
        kinds, nodes = found[0][2], found[0][3]  # type: ignore[index]
        tables = [t.rows for t in group]
        values = [f[1] for f in found]  # type: ignore[index]
        p = plan(values, kinds, n_sites, tables, group[0].labels)
        rows = sum(len(t.rows) for t in group)
        decision = decide(group[0].name, len(group), rows, nodes, p, n_sites, min_terms)
        decisions.append(decision)
        if decision.decision == "tabulated":
            made = replaced[members[0]] = _tabulated(group, p, n_sites, found[0][4])  # type: ignore[index]
            decision.rows = (rows, len(made.rows))
            decision.columns = sum(c.width for c in p.columns if not (c.existing or c.site))
            replaced.update(dict.fromkeys(members[1:]))
            tabulated[group[0].name] = [t.name for t in group[1:]]
    out = tuple(
        replaced[k] if k in replaced else t  # type: ignore[misc]
        for k, t in enumerate(terms)
        if k not in replaced or replaced[k] is not None
    )
    report: dict[str, Any] = {}
    if decisions:
        report = {
            "terms": [len(terms), len(out)],
            "tabulated": tabulated,
            "decisions": [d.as_dict() for d in decisions],
        }
    return out, tabulated, report


DEFER_AFTER = 100
"""The number of terms from which an open builder defers full collections
(`defer_full_collections`): at 1,000, a loop of 1,000 Pauli strings of 32 letters (24
expressions each) spent half its time in full collections before it got there."""


class _Deferral:
    """The builders that defer Python's full collections, and the threshold they saved."""

    open = 0
    saved: tuple[int, int, int] | None = None


def _restore() -> None:
    _Deferral.open -= 1
    if _Deferral.open == 0 and _Deferral.saved is not None:
        if gc.get_threshold()[2] == _DEFERRED:  # not changed meanwhile
            gc.set_threshold(*_Deferral.saved)
        _Deferral.saved = None


_DEFERRED = 1 << 30


def defer_full_collections(builder: Any) -> weakref.finalize:
    """Defers Python's full (oldest-generation) collections while `builder` is open, and
    returns the call that ends it (`build()` calls it; freeing the builder does too).
    A loop that writes thousands of terms keeps them all alive, and each full collection
    walks every object of the process: with JAX and NetKet loaded, two collections of
    0.4 s per 10,000 terms, seven of 1 s for 100,000 (most of the loop's time). Young
    collections still run; the threshold is restored when the last such builder ends."""
    if _Deferral.open == 0:
        _Deferral.saved = gc.get_threshold()
        t0, t1, _ = _Deferral.saved
        gc.set_threshold(t0, t1, _DEFERRED)
    _Deferral.open += 1
    return weakref.finalize(builder, _restore)


def absorb(merged: dict[str, list[str]], tabulated: dict[str, list[str]]) -> dict[str, list[str]]:
    """`merged` (kept term -> absorbed terms, of `canonical_terms`) with the tabulated
    groups added: a kept term absorbs the terms of its group and what they had absorbed."""
    out = {k: list(v) for k, v in merged.items()}
    for kept, absorbed in tabulated.items():
        into = out.setdefault(kept, [])
        for name in absorbed:
            into += [name, *out.pop(name, [])]
    return out


__all__ = [
    "DEFER_AFTER",
    "MAX_NODES",
    "absorb",
    "defer_full_collections",
    "read_column",
    "tabulate_terms",
]
