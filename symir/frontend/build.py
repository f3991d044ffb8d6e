"""`build_ir`: a DSL operator -> its verified `sym` module (`SymbolicOperatorIR`)."""

from __future__ import annotations

from typing import Any

from xdsl.dialects.builtin import ModuleOp, f64
from xdsl.ir import Block, Region

from symir.dialects import sym
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
            RegionEmitter(ublock, allow_emitted=False).updates(em.update)
            amp = RegionEmitter(ablock, allow_emitted=True)
            amp.add(sym.YieldOp(amp.numeric(em.amplitude)))
            emitter.add(sym.EmissionOp(Region(ublock), Region(ablock), cond, em.tag))
        body.add_op(
            sym.TermOp(term.name, term.kind, term.labels, term.rows, term.fanout, Region(tblock))
        )
    module = ModuleOp([])
    dtype = sym.c64 if op._requested_dtype == "complex128" else f64
    operator = sym.OperatorOp(
        op.name, space.size, space.local_states, dtype, op.hermitian, Region(body)
    )
    module.body.block.add_op(operator)
    if dtype == f64 and _has_complex(module):
        # A complex matrix element promotes the operator to complex128.
        operator.dtype = sym.c64
    return SymbolicOperatorIR(module)
