"""`symbolic-normalization`: one canonical form for equivalent constructions.

- folding and dead-code removal by xDSL's canonicalizer (`canonicalize`): the `sym`
  expression ops fold themselves (their `fold`, dialects/sym/expression_ops.py), and pure ops left
  without uses go;
- a canonical order of the operands of the commutative ops (the ops with xDSL's
  `Commutative` trait: add, mul, min, max, and, or), by a structural key of the
  expression defining each operand (SSA names play no part);
- a canonical schedule of the pure ops of every block.

Writes `ir_fingerprint` (SHA-256 of the normalized canonical IR), `term_order` and
`resolved_backend` (`backend` option: "auto" -> "jax").
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, i64
from xdsl.ir import Block, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriterListener,
    PatternRewriteWalker,
)
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.traits import Commutative, Pure
from xdsl.transforms.canonicalize import CanonicalizationRewritePattern
from xdsl.transforms.dead_code_elimination import region_dce

from symir.dialects import sym
from symir.dialects.dominance import check_dominance
from symir.dialects.sym import operator_of
from symir.lowering.analyses import attribute_digest_text, fingerprint, write_analysis
from symir.lowering.unchanged import mark_unchanged, mark_verified


def canonicalize(module: ModuleOp) -> dict[str, int]:
    """xDSL's `canonicalize` on `module` (folders, canonicalization patterns, dead-code
    removal), counting the ops it folded and the ops it removed."""
    counts = {"folded": 0, "removed": 0}

    def replaced(op: Operation, new_results) -> None:
        counts["folded"] += 1
        counts["removed"] -= 1  # the replaced op is reported removed too

    def removed(op: Operation) -> None:
        counts["removed"] += 1

    ctx = Context()
    ctx.load_dialect(sym.Sym)  # the folder materializes constants through the dialect
    listener = PatternRewriterListener(
        operation_replacement_handler=[replaced], operation_removal_handler=[removed]
    )
    applier = GreedyRewritePatternApplier(
        [CanonicalizationRewritePattern()], ctx=ctx, folding_enabled=True
    )
    walker = PatternRewriteWalker(applier, post_walk_func=region_dce, listener=listener)
    counts["changed"] = int(walker.rewrite_module(module))
    return counts


class _Keys:
    """Structural keys of SSA values: equal expressions get equal keys. An op's
    properties are read as `fingerprint` prints them (a coefficient table as the digest
    of its bytes, not its 10^5 numbers printed)."""

    def __init__(self):
        self._memo: dict[int, str] = {}

    def __call__(self, value: SSAValue) -> str:
        k = self._memo.get(id(value))
        if k is not None:
            return k
        owner = value.owner
        if isinstance(owner, sym.LabelOp):
            # by position, not name: bodies equal up to label names order alike (the
            # canonical form of a model: symir.frontend.canonical, sym-merge-row-terms)
            term = owner.parent_op()
            while term is not None and not isinstance(term, sym.TermOp):
                term = term.parent_op()
            names = term.label_names if term is not None else ()
            name = owner.label.data
            text = f"sym.label#{names.index(name) if name in names else name}"
        elif isinstance(owner, Operation):
            props = ",".join(
                f"{n}={attribute_digest_text(owner.properties[n])}"
                for n in sorted(owner.properties)
            )
            inner = ";".join(self(v) for v in owner.operands)
            index = owner.results.index(value) if len(owner.results) > 1 else 0
            types = ",".join(str(r.type) for r in owner.results)
            text = f"{owner.name}[{props}]({inner})#{index}:{types}"
        else:
            text = f"arg:{value.type}"
        k = hashlib.sha1(text.encode()).hexdigest()
        self._memo[id(value)] = k
        return k


def _blocks(module: ModuleOp):
    for op in module.walk():
        for region in op.regions:
            yield from region.blocks


def _site_operands(op: Operation) -> tuple[SSAValue, ...]:
    """The operands of `op` that are sites (of an update, `sym.read`, `sym.read_emitted`)."""
    if isinstance(op, sym.UpdateOpBase):
        return tuple(op.sites())
    if isinstance(op, sym.ReadOp | sym.ReadEmittedOp):
        return (op.site,)
    return ()


def _wrap_constant_sites(module: ModuleOp) -> list[Operation]:
    """A site given by a value is taken modulo N (docs/semantics.md): where folding made
    a site operand a constant outside `[0, N)` (`site(2).index + 1` on 3 sites folds to
    3), it becomes the constant `k mod N`, which the verifier requires of a constant site
    (the ops changed, to verify again)."""
    changed: list[Operation] = []
    for op in module.walk():
        sites = _site_operands(op)
        if not sites:
            continue
        operator = sym.enclosing(op, sym.OperatorOp)
        if operator is None:
            continue
        n = operator.num_sites.data
        for k, operand in enumerate(op.operands):
            value = sym.constant_int(operand) if operand in sites else None
            if value is None or 0 <= value < n:
                continue
            wrapped = sym.ConstantOp(IntegerAttr(value % n, i64))
            Rewriter.insert_op(wrapped, InsertPoint.before(op))
            op.operands[k] = wrapped.results[0]
            changed.append(op)
    if changed:
        region_dce(module.body)  # the out-of-range constants left without uses
    return changed


def normalize(module: ModuleOp) -> dict[str, int]:
    """Folds, removes dead pure ops, orders commutative operands and schedules, in place."""
    return _normalize(module)[0]


def _normalize(module: ModuleOp) -> tuple[dict[str, int], list[Operation]]:
    """`normalize`, and the ops to verify again after it (`_verify_touched`): those whose
    operands it reordered, the ops holding the blocks it rescheduled, and a block's last
    op where that changed (a terminator must stay last)."""
    stats = canonicalize(module)
    keys = _Keys()
    touched: list[Operation] = _wrap_constant_sites(module)
    for op in module.walk():
        if op.has_trait(Commutative):
            operands = list(op.operands)
            ordered = sorted(operands, key=keys)
            if ordered != operands:
                op.operands = ordered
                touched.append(op)
    reordered = len(touched)
    scheduled = 0
    for block in list(_blocks(module)):
        last = block.last_op
        if _schedule(block):
            scheduled += 1
            touched.append(block.parent_op())  # type: ignore[arg-type]
            if block.last_op is not last:
                touched.append(block.last_op)  # type: ignore[arg-type]
    return {**stats, "reordered": reordered, "scheduled": scheduled}, touched


def _verify_touched(module: ModuleOp, touched: list[Operation]) -> None:
    """What normalization can break in a verified module, verified: the verifiers of the
    ops whose operands it reordered, of the ops holding a block it rescheduled and of a
    block's new last op (not their nested ops), and SSA dominance across the module. An
    op moved within its block keeps its operands, results, attributes and parent, all its
    own verifier reads; only the order of its block changed, which dominance, the
    holder's verifier and the last op's cover. So the module, verified before, is verified
    after (`symir.lowering.unchanged.mark_verified`) at a fraction of the cost (N2
    cc-pVDZ: 0.11 s of CPU for the module's verifiers)."""
    for op in touched:
        op.verify(verify_nested_ops=False)
    check_dominance(module)


def _schedule(block: Block) -> bool:
    """A canonical op order: each pure op right before the first op needing it, its
    operands first (depth-first, in operand order); other ops keep their order. Returns
    whether the order changed."""
    ops = list(block.ops)
    order = _Scheduler(ops).order
    if [id(o) for o in order] == [id(o) for o in ops]:
        return False
    for op in ops:
        block.detach_op(op)
    block.add_ops(order)
    return True


class _Scheduler:
    """The canonical order of the ops of one block (see `_schedule`)."""

    def __init__(self, ops: list[Operation]):
        self.pure = {id(op) for op in ops if op.has_trait(Pure) and not op.regions}
        self.order: list[Operation] = []
        self.placed: set[int] = set()
        for op in ops:
            if id(op) not in self.pure:
                self.place_definitions(_used_values(op))
                self.order.append(op)
        for op in ops:
            if id(op) in self.pure:
                self.visit(op)  # unused pure ops, in their order

    def place_definitions(self, values: Iterable[SSAValue]) -> None:
        for v in values:
            if id(v.owner) in self.pure:
                self.visit(v.owner)  # type: ignore[arg-type]

    def visit(self, op: Operation) -> None:
        if id(op) not in self.placed:
            self.placed.add(id(op))
            self.place_definitions(op.operands)
            self.order.append(op)


def _used_values(op: Operation) -> Iterator[SSAValue]:
    """The operands of `op` and of every op nested in it, in walk order."""
    for inner in op.walk():
        yield from inner.operands


@dataclass(frozen=True)
class SymbolicNormalizationPass(ModulePass):
    """Canonical operand order and schedule, so equal operators fingerprint equally.

    Writes `sym.normalization` (fingerprint, term order, resolved backend, statistics).
    """

    name = "symbolic-normalization"

    backend: str = "auto"
    """The backend recorded as `resolved_backend` in `sym.normalization` (`auto` is
    `jax`, the only one); it is part of the cache key, not of the kernel."""

    def apply(self, ctx: Context, module: ModuleOp) -> None:
        if self.backend not in ("auto", "jax"):
            raise ValueError(
                f"symbolic-normalization: backend must be 'auto' or 'jax' (the only one), "
                f"got {self.backend!r}"
            )
        operator_of(module, self.name)  # one operator, before anything changes
        stats, touched = _normalize(module)
        if not stats.pop("changed"):  # canonicalize left it: only the order can change
            if touched:
                _verify_touched(module, touched)
                mark_verified(module, self)
            else:
                mark_unchanged(module, self)
        operator = operator_of(module)
        term_order = [t.sym_name.data for t in operator.terms]
        resolved = "jax" if self.backend == "auto" else self.backend
        write_analysis(
            module,
            "normalization",
            {
                "ir_fingerprint": fingerprint(module),
                "term_order": term_order,
                "resolved_backend": resolved,
                **stats,
            },
        )


__all__ = ["Block", "SymbolicNormalizationPass", "normalize"]
