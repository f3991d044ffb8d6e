"""`symbolic-validation`: the verifier plus semantic warnings.

Writes `validation_summary` = {ok, errors, warnings, term_count}. Warnings: a fan-out hint
smaller than rows x emissions (branches beyond the hint are dropped), a constant-false
predicate (the term never emits), duplicate emissions (allowed: branches are a multiset).
With `strict=True` an error raises; otherwise it is only reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import VerifyException

from symir.compiler.passes._attrs import operator_of, set_analysis
from symir.dialects import sym
from symir.ir import print_module


class SymbolicValidationError(Exception):
    """A validation error (strict mode)."""


def _region_text(op: sym.EmissionOp) -> str:
    clone = op.clone()
    for inner in clone.walk():
        for r in inner.results:
            r.name_hint = None
    from io import StringIO

    from xdsl.printer import Printer

    out = StringIO()
    Printer(stream=out).print_op(clone)
    return out.getvalue()


def _constant_false(value) -> bool:
    owner = getattr(value, "owner", None)
    return (
        isinstance(owner, sym.ConstantOp)
        and owner.result.type == sym.i1
        and not owner.value.value.data
    )


@dataclass(frozen=True)
class SymbolicValidationPass(ModulePass):
    name = "symbolic-validation"

    strict: bool = True

    def run_on(self, module: ModuleOp) -> dict[str, Any]:
        errors: list[str] = []
        warnings: list[str] = []
        try:
            module.verify()
            operator = operator_of(module)
        except (VerifyException, ValueError) as e:
            errors.append(f"verifier: {e}")
            operator = None
        if operator is not None:
            for term in operator.terms:
                name = term.sym_name.data
                rows, emissions = len(term.row_table), len(term.emissions)
                if term.fanout is not None and term.fanout.data < rows * emissions:
                    warnings.append(
                        f"term @{name}: fan-out hint {term.fanout.data} is smaller than "
                        f"rows x emissions = {rows * emissions}; branches beyond the hint "
                        "are dropped"
                    )
                where = term.predicate
                if where is not None and _constant_false(where.operands[0]):
                    warnings.append(f"term @{name}: the predicate is constant false")
                texts = [_region_text(e) for e in term.emissions]
                if len(set(texts)) != len(texts):
                    warnings.append(f"term @{name}: duplicate emissions (kept: multiset)")
        summary = {
            "ok": not errors,
            "errors": errors,
            "warnings": warnings,
            "term_count": len(operator.terms) if operator is not None else 0,
        }
        set_analysis(module, "validation_summary", summary)
        if errors and self.strict:
            raise SymbolicValidationError("; ".join(errors))
        return {"validation_summary": summary}

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        self.run_on(op)


__all__ = ["SymbolicValidationError", "SymbolicValidationPass", "print_module"]
