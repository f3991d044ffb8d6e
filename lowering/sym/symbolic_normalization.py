"""`symbolic-normalization`: one canonical form for equivalent constructions.

- constant folding of pure `sym` expression ops whose operands are all constants
  (add/sub/mul/neg/min/max on i64/f64, cmp on i64/f64, and/or/not on i1), then removal
  of pure ops left without uses;
- a canonical order of the operands of the commutative ops (add, mul, min, max, and, or),
  by a structural key of the expression defining each operand (SSA names play no part).

Writes `ir_fingerprint` (SHA-256 of the normalized canonical IR), `term_order` and
`resolved_backend` (`backend` option: "auto" -> "jax").
"""

from __future__ import annotations

import hashlib
import math
import operator as pyop
from dataclasses import dataclass
from typing import Any

from xdsl.context import Context
from xdsl.dialects.builtin import FloatAttr, IntegerAttr, ModuleOp, f64, i64
from xdsl.ir import Block, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.traits import Pure

from symir.dialects import sym
from symir.lowering.sym._attrs import module_fingerprint, operator_of, set_analysis

_COMMUTATIVE_BINARY = (sym.AddOp, sym.MulOp, sym.MinOp, sym.MaxOp)
_COMMUTATIVE_LOGIC = (sym.AndOp, sym.OrOp)
_BINARY_FOLD = {
    sym.AddOp: pyop.add,
    sym.SubOp: pyop.sub,
    sym.MulOp: pyop.mul,
    sym.MinOp: min,
    sym.MaxOp: max,
}
_CMP = {
    "eq": pyop.eq,
    "ne": pyop.ne,
    "lt": pyop.lt,
    "le": pyop.le,
    "gt": pyop.gt,
    "ge": pyop.ge,
}
_I64 = (-(2**63), 2**63 - 1)


def _const(value: SSAValue):
    v = sym.constant_value(value)
    return None if v is None else (v, value.type)


def _make_const(value: Any, t) -> sym.ConstantOp | None:
    if t == sym.i1:
        return sym.ConstantOp(IntegerAttr(int(bool(value)), sym.i1))
    if t == i64:
        value = int(value)
        if not _I64[0] <= value <= _I64[1]:
            return None
        return sym.ConstantOp(IntegerAttr(value, i64))
    if t == f64:
        value = float(value)
        if not math.isfinite(value):
            return None
        return sym.ConstantOp(FloatAttr(value, f64))
    return None


def _fold(op: Operation) -> sym.ConstantOp | None:
    consts = [_const(v) for v in op.operands]
    if not consts or any(c is None for c in consts):
        return None
    values = [c[0] for c in consts]
    types = [c[1] for c in consts]
    rtype = op.results[0].type if op.results else None
    if type(op) in _BINARY_FOLD and all(t in (i64, f64) for t in types):
        a, b = values
        if rtype == f64:
            a, b = float(a), float(b)
        return _make_const(_BINARY_FOLD[type(op)](a, b), rtype)
    if isinstance(op, sym.NegOp) and types[0] in (i64, f64):
        return _make_const(-values[0], rtype)
    if isinstance(op, sym.CmpOp) and all(t in (i64, f64) for t in types):
        a, b = values
        if f64 in types:
            a, b = float(a), float(b)
        return _make_const(_CMP[op.predicate.data](a, b), sym.i1)
    if isinstance(op, sym.AndOp):
        return _make_const(all(values), sym.i1)
    if isinstance(op, sym.OrOp):
        return _make_const(any(values), sym.i1)
    if isinstance(op, sym.NotOp):
        return _make_const(not values[0], sym.i1)
    return None


class _Keys:
    """Structural keys of SSA values: equal expressions get equal keys."""

    def __init__(self):
        self._memo: dict[int, str] = {}

    def __call__(self, value: SSAValue) -> str:
        k = self._memo.get(id(value))
        if k is not None:
            return k
        owner = value.owner
        if isinstance(owner, Operation):
            props = ",".join(f"{n}={owner.properties[n]}" for n in sorted(owner.properties))
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


def normalize(module: ModuleOp) -> dict[str, int]:
    """Folds, removes dead pure ops and orders commutative operands, in place."""
    folded = removed = reordered = 0
    for block in list(_blocks(module)):
        for op in list(block.ops):
            new = _fold(op)
            if new is not None:
                block.insert_op_before(new, op)
                op.results[0].replace_all_uses_with(new.result)
                block.erase_op(op)
                folded += 1
    changed = True
    while changed:
        changed = False
        for block in list(_blocks(module)):
            for op in reversed(list(block.ops)):
                if (
                    op.has_trait(Pure)
                    and op.results
                    and all(not r.uses for r in op.results)
                    and not op.regions
                ):
                    block.erase_op(op)
                    removed += 1
                    changed = True
    keys = _Keys()
    for op in module.walk():
        if isinstance(op, _COMMUTATIVE_BINARY + _COMMUTATIVE_LOGIC):
            operands = list(op.operands)
            ordered = sorted(operands, key=keys)
            if ordered != operands:
                op.operands = ordered
                reordered += 1
    for block in list(_blocks(module)):
        _schedule(block)
    return {"folded": folded, "removed": removed, "reordered": reordered}


def _schedule(block: Block) -> None:
    """A canonical op order: each pure op right before the first op needing it, its
    operands first (depth-first, in operand order); other ops keep their order."""
    ops = list(block.ops)
    pure = {id(op): op for op in ops if op.has_trait(Pure) and not op.regions}
    order: list[Operation] = []
    placed: set[int] = set()

    def visit(op: Operation) -> None:
        if id(op) in placed:
            return
        placed.add(id(op))
        for v in op.operands:
            if id(v.owner) in pure:
                visit(v.owner)
        order.append(op)

    for op in ops:
        if id(op) in pure:
            continue
        for inner in op.walk():
            for v in inner.operands:
                if id(v.owner) in pure:
                    visit(v.owner)
        order.append(op)
    for op in ops:
        if id(op) not in placed and id(op) in pure:
            visit(op)
    if [id(o) for o in order] == [id(o) for o in ops]:
        return
    for op in ops:
        block.detach_op(op)
    block.add_ops(order)


@dataclass(frozen=True)
class SymbolicNormalizationPass(ModulePass):
    """Canonical operand order and schedule, so equal operators fingerprint equally.

    Writes `sym.normalization` (fingerprint, term order, resolved backend, statistics).
    """

    name = "symbolic-normalization"

    backend: str = "auto"

    def apply(self, ctx: Context, module: ModuleOp) -> None:
        stats = normalize(module)
        operator = operator_of(module)
        term_order = [t.sym_name.data for t in operator.terms]
        resolved = "jax" if self.backend == "auto" else self.backend
        fingerprint = module_fingerprint(module)
        set_analysis(
            module,
            "normalization",
            {
                "ir_fingerprint": fingerprint,
                "term_order": term_order,
                "resolved_backend": resolved,
                **stats,
            },
        )


__all__ = ["Block", "SymbolicNormalizationPass", "normalize"]
