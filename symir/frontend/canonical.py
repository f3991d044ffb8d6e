"""The canonical form of a DSL operator's terms: one term per distinct body.

The same bonds can be written many ways: one `for_each` over all edges, one operator per
edge with a one-row `for_each(over=[(a, b)])`, one operator per edge with `globally()`
and the edge's constant sites, summed with `SymbolicOperatorSum`. These are one
operator; `canonical_terms` makes them one term list, before any IR is built:

1. constant sites become columns of the row table (`lift_constant_sites`): a flat site
   index `k` written where a site goes (`site(k)`, `write(k, ...)`, `swap(a, b)`, ...)
   becomes a label whose column holds `k` in every row; a `globally()` term (one empty
   row) becomes a one-row `rows` term;
2. terms whose bodies are then equal up to the names of their labels (the same
   iterator arity, predicates, emissions, tags, and all or none with a fan-out hint)
   become one term whose table is the concatenation of theirs (in order), named after
   the first; the fan-out hints add up.

A term is the sum over its rows of its body with the labels bound to the row, so the
operator is unchanged: the same rows, the same bodies, the same multiset of branches.
This is the DSL-level twin of the passes `sym-lift-constant-sites` and
`sym-merge-row-terms` (which do the same on any `sym` IR, parsed IR too): done here,
the compiler never builds, validates, normalizes or fingerprints the many small terms,
so a model of hundreds of single-bond operators compiles as fast as its compact form.
`count(lo, hi)` bounds are not lifted (`hi` may be `N`, which is no site).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from symir.frontend.expr import Expr, Key
from symir.frontend.term_spec import TermSpec
from symir.frontend.update import Update

_SITE_READS = ("read", "read_emitted")
_ONE_SITE_STEPS = ("write", "shift", "shift_mod", "affine")


class _Lifter:
    """Rewrites one term's constant sites as labels `<prefix>0`, `<prefix>1`, ... (one
    per distinct site, in order of first appearance)."""

    def __init__(self, taken: tuple[str, ...]):
        self.columns: dict[int, str] = {}
        self.done: dict[int, tuple[Expr, Any]] = {}
        prefix = "site"
        while any(t.startswith(prefix) for t in taken):
            prefix = "_" + prefix
        self.prefix = prefix

    def _label(self, k: int) -> Expr:
        name = self.columns.setdefault(k, f"{self.prefix}{len(self.columns)}")
        return Expr("label", name)

    def site(self, e: Any) -> Any:
        if isinstance(e, Expr) and e.op == "const" and type(e.args[0]) is int:
            return self._label(e.args[0])
        return self.expr(e)

    def expr(self, e: Any) -> Any:
        if not isinstance(e, Expr):
            return e
        done = self.done.get(id(e))
        if done is None or done[0] is not e:
            done = self.done[id(e)] = (e, self._expr(e))  # shared subexpressions: once
        return done[1]

    def _expr(self, e: Expr) -> Any:
        if e.op in _SITE_READS:
            args = (self.site(e.args[0]), *(self.expr(a) for a in e.args[1:]))
        elif e.op == "count":
            return e
        else:
            args = tuple(self.expr(a) for a in e.args)
        if all(a is b for a, b in zip(args, e.args, strict=True)):
            return e
        return Expr(e.op, *args)

    def update(self, u: Update) -> Update:
        steps = []
        for kind, *ops in u.steps:
            if kind in _ONE_SITE_STEPS:
                ops = [self.site(ops[0]), *(self.expr(o) for o in ops[1:])]
            elif kind in ("swap", "permute"):
                ops = [self.site(o) for o in ops]
            elif kind == "scatter":
                ops = [tuple(self.site(s) for s in ops[0]), tuple(self.expr(v) for v in ops[1])]
            elif kind == "cond":
                ops = [self.expr(ops[0]), self.update(ops[1]), self.update(ops[2])]
            steps.append((kind, *ops))
        return Update(tuple(steps))


def lift_constant_sites(term: TermSpec) -> TermSpec:
    """`term` with its constant sites as label columns (itself if it has none)."""
    lifter = _Lifter(term.labels)
    predicates = tuple(lifter.expr(p) for p in term.predicates)
    emissions = tuple(
        replace(
            em,
            update=lifter.update(em.update),
            amplitude=lifter.expr(em.amplitude),
            condition=lifter.expr(em.condition) if em.condition is not None else None,
        )
        for em in term.emissions
    )
    if not lifter.columns:
        return term
    values = tuple(lifter.columns)
    return replace(
        term,
        kind="rows",
        labels=(*term.labels, *lifter.columns.values()),
        rows=tuple((*row, *values) for row in term.rows),
        predicates=predicates,
        emissions=emissions,
    )


def _key(e: Any, labels: dict[str, int], memo: dict | None = None) -> Any:
    """`e`'s structure with labels by position; an expression's key once per node
    (`memo`, by identity) and hashed once (`Key`): shared subexpressions are not walked
    as a tree."""
    if isinstance(e, Expr):
        memo = {} if memo is None else memo
        found = memo.get(id(e))
        if found is None or found[0] is not e:
            if e.op == "label":
                key: Any = ("label", labels.get(e.args[0], e.args[0]))
            else:
                key = Key((e.op, *(_key(a, labels, memo) for a in e.args)))
            found = memo[id(e)] = (e, key)
        return found[1]
    if isinstance(e, Update):
        return ("update", *(_key(s, labels, memo) for s in e.steps))
    if isinstance(e, tuple | list):
        return _sequence_key(e, labels, memo)
    return (type(e).__name__, e)


def _sequence_key(e: tuple | list, labels: dict[str, int], memo: dict | None) -> Any:
    """A table of numbers (lookup keys and values, nth_site sites) whole, else each
    item's key; a long tuple of numbers once (`_TABLE_KEYS`)."""
    long = isinstance(e, tuple) and len(e) > _LONG
    if long:  # a table, often shared by several lookups
        found = _TABLE_KEYS.get(id(e))
        if found is not None and found[0] is e:
            return found[1]
    kinds = set(map(type, e))
    if not kinds <= _NUMBERS:
        return tuple(_key(a, labels, memo) for a in e)
    key: Any = ("numbers", tuple(sorted(k.__name__ for k in kinds)), tuple(e))
    if not long:
        return key
    key = Key(key)  # hashed once: a tuple does not keep its hash, and every key above holds it
    if len(e) <= _TABLE_ENTRIES_KEPT:
        if _TABLE_KEYS_ENTRIES[0] + len(e) > _TABLE_ENTRIES_KEPT:
            _TABLE_KEYS.clear()
            _TABLE_KEYS_ENTRIES[0] = 0
        _TABLE_KEYS[id(e)] = (e, key)
        _TABLE_KEYS_ENTRIES[0] += len(e)
    return key


_NUMBERS = {int, float, bool}
_LONG = 64
_TABLE_ENTRIES_KEPT = 1 << 21
_TABLE_KEYS: dict[int, tuple] = {}
"""The keys of the last tuples of numbers longer than `_LONG` keyed (tables: a
molecule's excitation tables are read by several lookups of several terms, each keyed
by the canonical forms and the tabulation), by identity, the tuple kept with its key
(a tuple is immutable: its key cannot change); at most `_TABLE_ENTRIES_KEPT` entries
together, so that the tables of operators no longer used are not kept long."""
_TABLE_KEYS_ENTRIES = [0]
"""The entries of the tuples `_TABLE_KEYS` holds (kept as they are added, not summed
again at each key)."""


def body_key(term: TermSpec) -> tuple:
    """Equal keys: equal bodies up to the names of the labels (labels by position)."""
    labels = {name: k for k, name in enumerate(term.labels)}
    memo: dict = {}
    emissions = tuple(
        (
            _key(em.update, labels, memo),
            _key(em.amplitude, labels, memo),
            _key(em.condition, labels, memo),
            em.tag,
        )
        for em in term.emissions
    )
    predicates = tuple(_key(p, labels, memo) for p in term.predicates)
    return (len(term.labels), term.fanout is None, predicates, emissions)


def canonical_terms(
    terms: tuple[TermSpec, ...], lift: bool = True
) -> tuple[tuple[TermSpec, ...], dict[str, list[str]]]:
    """The terms in canonical form (see the module doc; constant sites lifted only with
    `lift`) and, for each kept term that absorbed others, their names."""
    groups: dict[tuple, list[TermSpec]] = {}
    for term in terms:
        lifted = lift_constant_sites(term) if lift else term
        groups.setdefault(body_key(lifted), []).append(lifted)
    out: list[TermSpec] = []
    merged: dict[str, list[str]] = {}
    for members in groups.values():
        first = members[0]
        if len(members) == 1:
            out.append(first)
            continue
        kinds = {m.kind for m in members}
        fanout = None if first.fanout is None else sum(m.fanout or 0 for m in members)
        out.append(
            replace(
                first,
                kind=first.kind if len(kinds) == 1 else "rows",
                rows=tuple(row for m in members for row in m.rows),
                fanout=fanout,
            )
        )
        merged[first.name] = [m.name for m in members[1:]]
    return tuple(out), merged


__all__ = ["body_key", "canonical_terms", "lift_constant_sites"]
