"""`symbolic-validation`: the verifier plus semantic checks the verifier cannot make.

Writes `validation_summary` = {ok, errors, warnings, required_parameters, term_count}
(`required_parameters`: the names of the `sym.param`s without a default, which must be
given a value before the compiled kernel runs: `with_params` or `compile(params=...)`).

Errors (well-formed IR that cannot mean what its author wanted):
- an emission whose only update is a `sym.shift` or `sym.affine` by constants that maps no
  local state to a local state: every branch it emits leaves the Hilbert space and is
  dropped, so the emission never contributes (e.g. `shift(i, 1)` on spin-1/2 states
  `[-1, 1]`);
- a `sym.scatter` whose last write to a site is a constant outside the local states (the
  same mistake through a scatter);
- a `sym.div` by the constant zero.

Warnings: a fan-out hint smaller than rows x emissions (the hint is a promise about active
branches: the reference interpreter raises where it is broken, the kernel keeps rows x
emissions slots), a constant-false predicate (the term never emits), duplicate emissions
(allowed: branches are a multiset), a division by a raw site read where 0 is a local state.

With `strict=True` an error raises; otherwise it is only reported, and compiling goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import VerifyException

from symir.dialects import sym
from symir.lowering.sym._attrs import operator_of, set_analysis


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


def _constant_map_error(u: sym.UpdateOpBase, states: tuple[int, ...]) -> str | None:
    """A constant `shift`/`affine` that maps no local state to a local state, or None."""
    if isinstance(u, sym.ShiftOp):
        scale, bias = 1, sym.constant_int(u.delta)
        what = f"'sym.shift' by {bias}"
    elif isinstance(u, sym.AffineOp):
        scale, bias = sym.constant_int(u.scale), sym.constant_int(u.bias)
        what = f"'sym.affine' {scale} * x + {bias}"
    else:
        return None
    if scale is None or bias is None or any(scale * s + bias in states for s in states):
        return None
    return (
        f"{what} maps no local state {list(states)} to a local state, so every branch it "
        "emits is invalid"
    )


def _scatter_errors(u: sym.ScatterOp, states: tuple[int, ...]) -> list[str]:
    """The constant final writes of a `scatter` that are not local states."""
    last_value: dict[Any, Any] = {}  # a site (constant or SSA value) -> its value
    for site, value in zip(u.site_list, u.value_list):
        index = sym.constant_int(site)
        last_value[site if index is None else index] = value
    written = [sym.constant_int(value) for value in last_value.values()]
    return [
        f"'sym.scatter' writes {v}, which is not a local state {list(states)}"
        for v in written
        if v is not None and v not in states
    ]


def _update_errors(term: sym.TermOp, states: tuple[int, ...]) -> list[str]:
    """Emissions whose updates provably leave the Hilbert space."""
    errors: list[str] = []
    for k, emission in enumerate(term.emissions):
        updates = [op for op in emission.update.block.ops if isinstance(op, sym.UpdateOpBase)]
        where = f"term @{term.sym_name.data}, emission {k}"
        found = [_constant_map_error(updates[0], states)] if len(updates) == 1 else []
        for u in updates:
            if isinstance(u, sym.ScatterOp):
                found.extend(_scatter_errors(u, states))
        errors.extend(f"{where}: {e}" for e in found if e is not None)
    return errors


def _division_findings(term: sym.TermOp, states: tuple[int, ...]) -> tuple[list, list]:
    errors: list[str] = []
    warnings: list[str] = []
    for op in term.walk():
        if not isinstance(op, sym.DivOp):
            continue
        divisor = op.operands[1]
        if sym.constant_value(divisor) == 0:
            errors.append(f"term @{term.sym_name.data}: 'sym.div' by the constant zero")
        elif isinstance(divisor.owner, sym.ReadOp | sym.ReadEmittedOp) and 0 in states:
            warnings.append(
                f"term @{term.sym_name.data}: 'sym.div' by a site read, and 0 is a local "
                "state (guard it with a predicate)"
            )
    return errors, warnings


@dataclass(frozen=True)
class SymbolicValidationPass(ModulePass):
    """Reports what the verifiers cannot see (updates leaving the space, division by zero...).

    Writes `sym.validation_summary`; `strict` raises on an error.
    """

    name = "symbolic-validation"

    strict: bool = True

    def apply(self, ctx: Context, module: ModuleOp) -> None:
        errors: list[str] = []
        warnings: list[str] = []
        try:
            module.verify()
            operator = operator_of(module)
        except (VerifyException, ValueError) as e:
            errors.append(f"verifier: {e}")
            operator = None
        if operator is not None:
            states = tuple(operator.states)
            for term in operator.terms:
                name = term.sym_name.data
                errors.extend(_update_errors(term, states))
                div_errors, div_warnings = _division_findings(term, states)
                errors.extend(div_errors)
                warnings.extend(div_warnings)
                rows, emissions = len(term.row_table), len(term.emissions)
                if term.fanout is not None and term.fanout.data < rows * emissions:
                    warnings.append(
                        f"term @{name}: fan-out hint {term.fanout.data} is smaller than "
                        f"rows x emissions = {rows * emissions} (the kernel keeps "
                        f"{rows * emissions} slots; the reference interpreter raises where a "
                        "configuration has more active branches than the hint)"
                    )
                where = term.predicate
                if where is not None and sym.constant_value(where.operands[0]) is False:
                    warnings.append(f"term @{name}: the predicate is constant false")
                texts = [_region_text(e) for e in term.emissions]
                if len(set(texts)) != len(texts):
                    warnings.append(f"term @{name}: duplicate emissions (kept: multiset)")
        required = sorted(
            {
                op.param_name.data
                for op in (operator.walk() if operator is not None else ())
                if isinstance(op, sym.ParamOp) and op.default is None
            }
        )
        summary = {
            "ok": not errors,
            "errors": errors,
            "warnings": warnings,
            "required_parameters": required,
            "term_count": len(operator.terms) if operator is not None else 0,
        }
        set_analysis(module, "validation_summary", summary)
        if errors and self.strict:
            raise SymbolicValidationError("; ".join(errors))


__all__ = ["SymbolicValidationError", "SymbolicValidationPass"]
