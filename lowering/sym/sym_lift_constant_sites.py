"""`sym-lift-constant-sites`: constant site indices become columns of the row table.

A `sym.constant k : i64` used as a site (of `sym.read`, `sym.read_emitted`,
`sym.write`, `sym.shift`, `sym.shift_mod`, `sym.affine`, `sym.swap`, `sym.permute`,
`sym.scatter`) is the same site in every row of the term; so is a label whose column
holds `k` in every row. The pass gives each distinct constant site of a term such a
column (labels `site0`, `site1`, ... in order of first use) and uses the label instead;
a term that had no rows to speak of (`globally()`: one empty row) becomes a one-row
`rows` term. Nothing else changes: the same sites are read and written in every row.

    sym.term @b0 kind "global" labels [] rows [[]] {
      sym.emission {
        %0 = sym.constant 0 : i64
        %1 = sym.constant 1 : i64
        sym.swap %0, %1
      } ...
    ->
    sym.term @b0 kind "rows" labels ["site0", "site1"] rows [[0, 1]] {
      sym.emission {
        %0 = sym.label "site0"
        %1 = sym.label "site1"
        sym.swap %0, %1
      } ...

It runs right before `sym-merge-row-terms`, which then merges the terms that differ
only in their constant sites (one `globally()` operator per bond) into one term with a
row table: the model lowers like its compact form. `sym.count` bounds are not lifted
(`hi` may be N, which is no site). The DSL does the same before building IR
(`symir.frontend.canonical`), so the compiler never sees the many small terms; this
pass does it for any `sym` IR (parsed IR, `symir-opt`).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ArrayAttr, DenseArrayBase, IntegerAttr, ModuleOp, StringAttr, i64
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from symir.dialects import sym
from symir.lowering.unchanged import mark_unchanged

_SITE_OPERANDS: dict[type[Operation], tuple[str, ...]] = {
    sym.ReadOp: ("site",),
    sym.ReadEmittedOp: ("site",),
    sym.WriteOp: ("site",),
    sym.ShiftOp: ("site",),
    sym.ShiftModOp: ("site",),
    sym.AffineOp: ("site",),
    sym.SwapOp: ("a", "b"),
    sym.PermuteOp: ("site_list",),
    sym.ScatterOp: ("site_list",),
}
"""Each op with site operands -> the names of its operand definitions that are sites."""


def _site_operand_indices(op: Operation) -> list[int]:
    names = _SITE_OPERANDS.get(type(op))
    if names is None:
        return []
    sites = {id(v) for n in names for v in _as_list(getattr(op, n))}
    return [k for k, v in enumerate(op.operands) if id(v) in sites]


def _as_list(v) -> list[SSAValue]:
    return [v] if isinstance(v, SSAValue) else list(v)


def _constant_site(value) -> int | None:
    owner = value.owner
    if isinstance(owner, sym.ConstantOp) and isinstance(owner.value, IntegerAttr):
        if owner.value.type == i64:
            return owner.value.value.data
    return None


def _constant_site_uses(term: sym.TermOp) -> list[tuple[Operation, int, int]]:
    """(op, operand index, site) for every constant site operand in `term`."""
    uses = []
    for op in term.body.walk():
        for k in _site_operand_indices(op):
            site = _constant_site(op.operands[k])
            if site is not None:
                uses.append((op, k, site))
    return uses


def _column_names(term: sym.TermOp, sites: list[int]) -> dict[int, str]:
    """Each distinct site (in order) -> a new label name, clashing with none of `term`'s."""
    taken = set(term.label_names)
    prefix = "site"
    while any(t.startswith(prefix) for t in taken):
        prefix = "_" + prefix
    columns: dict[int, str] = {}
    for site in sites:
        columns.setdefault(site, f"{prefix}{len(columns)}")
    return columns


def lift_constant_sites(term: sym.TermOp) -> dict[int, str]:
    """Lifts the constant sites of `term` (see the module doc); returns site -> label."""
    uses = _constant_site_uses(term)
    if not uses:
        return {}
    columns = _column_names(term, [site for _, _, site in uses])
    labels: dict[int, Operation] = {}  # constant op id -> its label op
    for op, k, site in uses:
        constant = op.operands[k].owner
        label = labels.get(id(constant))
        if label is None:
            label = labels[id(constant)] = sym.LabelOp(columns[site])
            Rewriter.insert_op(label, InsertPoint.before(constant))
        op.operands[k] = label.results[0]
    for label in labels.values():
        constant = label.next_op
        if isinstance(constant, sym.ConstantOp) and not constant.results[0].uses:
            Rewriter.erase_op(constant)
    values = tuple(columns)
    term.labels = ArrayAttr([*term.labels.data, *(StringAttr(n) for n in columns.values())])
    term.rows = ArrayAttr(
        [DenseArrayBase.from_list(i64, [*row, *values]) for row in term.row_table]
    )
    term.kind = StringAttr("rows")
    return columns


@dataclass(frozen=True)
class SymLiftConstantSitesPass(ModulePass):
    """Constant site indices become row-table columns (before `sym-merge-row-terms`)."""

    name = "sym-lift-constant-sites"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        lifted = [lift_constant_sites(t) for t in op.walk() if isinstance(t, sym.TermOp)]
        if not any(lifted):
            mark_unchanged(op, self)


__all__ = ["SymLiftConstantSitesPass", "lift_constant_sites"]
