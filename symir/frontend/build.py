"""`build_ir`: a DSL operator -> its verified `sym` module (`SymbolicOperatorIR`)."""

from __future__ import annotations

from typing import Any

from xdsl.dialects.builtin import ModuleOp, f32, f64
from xdsl.ir import Block, Region

from symir.dialects import sym
from symir.dialects.types import c32, element_type
from symir.frontend.emit import RegionEmitter
from symir.ir import SymbolicOperatorIR


def _has_complex(module: ModuleOp) -> bool:
    return any(isinstance(op, sym.YieldOp) and op.value.type == sym.c64 for op in module.walk())


def build_ir(op: Any, terms: Any = None) -> SymbolicOperatorIR:
    """The `sym` module of a DSL `SymbolicOperator` (with `terms` instead of its own,
    when given: its canonical form, `symir.frontend.canonical`)."""
    space = op.space
    body = Block()
    for term in op.terms if terms is None else terms:
        tblock = Block()
        emitter = RegionEmitter(tblock, allow_emitted=False)
        if term.predicate is not None:
            p = emitter.predicate(term.predicate, f"the predicate of term {term.name!r}")
            emitter.add(sym.WhereOp(p))
        for em in term.emissions:
            cond = None
            if em.condition is not None:
                cond = emitter.predicate(em.condition, "an emission predicate")
            ublock, ablock = Block(), Block()
            # the regions use what the term body computes (the predicates' values)
            RegionEmitter(ublock, allow_emitted=False, outer=emitter.memo).updates(em.update)
            amp = RegionEmitter(ablock, allow_emitted=True, outer=emitter.memo)
            amp.add(sym.YieldOp(amp.numeric(em.amplitude)))
            emitter.add(sym.EmissionOp(Region(ublock), Region(ablock), cond, em.tag))
        body.add_op(
            sym.TermOp(term.name, term.kind, term.labels, term.rows, term.fanout, Region(tblock))
        )
    module = ModuleOp([])
    dtype = element_type(op._requested_dtype)
    operator = sym.OperatorOp(
        op.name, space.size, space.local_states, dtype, op.hermitian, Region(body)
    )
    module.body.block.add_op(operator)
    if dtype in (f64, f32) and _has_complex(module):
        # A complex matrix element promotes the operator to complex (same precision).
        operator.dtype = sym.c64 if dtype == f64 else c32
    return SymbolicOperatorIR(module)
