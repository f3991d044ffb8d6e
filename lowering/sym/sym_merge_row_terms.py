"""`sym-merge-row-terms`: terms that differ only in their row tables become one term.

A `sym.term` is the sum, over the rows of its table, of its body evaluated with the
labels bound to the row. Two terms of one operator with the same `kind`, the same labels
and structurally equal bodies (the same ops with the same properties and attributes, the
same use-def structure: after `symbolic-normalization`, equal up to SSA names) are
therefore one term whose table is the concatenation of their tables. The first of them
keeps its name and its place; the others go. A fan-out hint bounds a term's branches,
so terms merge only if all or none have one, and the merged hint is their sum.

This is what makes an operator written one bond at a time (a `SymbolicOperatorSum` of
one small operator per bond, or one `for_each` per bond) lower like the same model
written with one iterator over all bonds: one term per distinct body instead of one per
bond, so the `branch` and `stablehlo` levels are as small as the compact form's, the
compile is as fast, and the kernel reads each column with one read instead of one per
bond. The multiset of branches is unchanged (the same rows, the same bodies), so the
operator is the same; so is its fan-out before fusion (rows x emissions per term).

    sym.term @b0 kind "rows" labels ["i", "j"] rows [[0, 1]] { BODY }
    sym.term @b1 kind "rows" labels ["i", "j"] rows [[1, 2]] { BODY }
    ->
    sym.term @b0 kind "rows" labels ["i", "j"] rows [[0, 1], [1, 2]] { BODY }

Terms with different bodies (another amplitude, another update, another tag, another
predicate) stay apart: a term's body is compared whole, with its labels by position
(their names, and the descriptive `kind`, do not matter: `for_each(("i", "j"))` and
`for_each(("a", "b"))` over other bonds merge; the kept term keeps its names, and its
kind becomes `rows` if the merged kinds differ). Constant sites are lifted into the
row table just before (`sym-lift-constant-sites`), so terms that differ only in them
merge too. Candidates are bucketed by a
cheap signature (kind, labels, hint and the names of the body's ops in order), so the
pass is linear in the number of terms for the usual few distinct bodies.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ArrayAttr, IntAttr, ModuleOp, StringAttr
from xdsl.passes import ModulePass

from symir.dialects import sym
from symir.lowering.analyses import read_analysis, write_analysis
from symir.lowering.unchanged import mark_unchanged

REPORT = "merged_row_terms"


def _signature(term: sym.TermOp) -> tuple:
    """What two mergeable terms certainly share (a bucket key, not a proof)."""
    names = tuple(op.name for op in term.body.walk())
    return (len(term.labels.data), term.fanout is None, names)


def _rename_labels(term: sym.TermOp, names: dict[str, str]) -> None:
    term.labels = ArrayAttr([StringAttr(names[n]) for n in term.label_names])
    for op in term.body.walk():
        if isinstance(op, sym.LabelOp):
            op.label = StringAttr(names[op.label.data])


def merge_row_terms(operator: sym.OperatorOp) -> dict[str, list[str]]:
    """Merges the terms of `operator` that differ only in their rows (bodies compared
    with the labels by position: their names do not matter); returns, for each term
    that absorbed others, the names of those (in order)."""
    buckets: dict[tuple, list[_Group]] = {}
    originals: dict[int, tuple[str, ...]] = {}
    for term in list(operator.terms):
        # labels renamed by position while comparing, the kept terms' names restored
        originals[id(term)] = term.label_names
        _rename_labels(term, {n: f"#{k}" for k, n in enumerate(term.label_names)})
        groups = buckets.setdefault(_signature(term), [])
        for group in groups:
            if term.body.is_structurally_equivalent(group.term.body):
                group.add(term)
                term.detach()
                term.erase()
                break
        else:
            groups.append(_Group(term))
    merged: dict[str, list[str]] = {}
    for groups in buckets.values():
        for group in groups:
            names = originals[id(group.term)]
            _rename_labels(group.term, {f"#{k}": n for k, n in enumerate(names)})
            if group.absorbed:
                group.write()
                merged[group.term.sym_name.data] = group.absorbed
    return merged


class _Group:
    """A kept term and the rows (and hints) of the terms merged into it."""

    def __init__(self, term: sym.TermOp):
        self.term = term
        self.rows = list(term.rows.data)
        self.fanout = term.fanout.data if term.fanout is not None else None
        self.absorbed: list[str] = []
        self.kinds = {term.kind.data}

    def add(self, term: sym.TermOp) -> None:
        self.rows.extend(term.rows.data)
        self.kinds.add(term.kind.data)
        if self.fanout is not None and term.fanout is not None:
            self.fanout += term.fanout.data
        self.absorbed.append(term.sym_name.data)

    def write(self) -> None:
        self.term.rows = ArrayAttr(self.rows)
        if self.kinds != {self.term.kind.data}:
            self.term.kind = StringAttr("rows")  # a descriptive name; merged: a row table
        if self.fanout is not None:
            self.term.fanout = IntAttr(self.fanout)


@dataclass(frozen=True)
class SymMergeRowTermsPass(ModulePass):
    """Terms equal but for their row tables become one term with the concatenated table.

    Where terms merged, writes `sym.merged_row_terms = {kept = [absorbed, ...]}`."""

    name = "sym-merge-row-terms"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        merged: dict[str, list[str]] = {}
        for operator in [o for o in op.walk() if isinstance(o, sym.OperatorOp)]:
            merged.update(merge_row_terms(operator))
        if merged:
            write_analysis(op, REPORT, merged)
        else:
            mark_unchanged(op, self)  # labels renamed while comparing are restored


def merged_row_terms(module: ModuleOp) -> dict[str, list[str]]:
    """The record of `sym-merge-row-terms` on `module` (kept term -> absorbed terms)."""
    return read_analysis(module, REPORT) or {}


__all__ = ["SymMergeRowTermsPass", "merge_row_terms", "merged_row_terms"]
