"""`symbolic-validation`: the verifier plus semantic checks the verifier cannot make.

Writes `validation_summary` = {ok, errors, warnings, required_parameters, term_count}
(`required_parameters`: the names of the `sym.param`s without a default, which must be
given a value before the compiled kernel runs: `with_params` or `compile(params=...)`).

Every finding has a stable code (`symir.lowering.sym.diagnostics.CODES`, documented with
an example each in docs/diagnostics.md) and reads `"<code> term @t[, emission k]:
<message>"`. Errors (well-formed IR that cannot mean what its author wanted): the IR does
not verify (E001); an emission whose only update is a constant `sym.shift`/`sym.affine`
that maps no local state to a local state (E002: every branch it emits is dropped); a
`sym.scatter` whose last write to a site is a constant outside the local states (E003); a
`sym.div` by the constant zero (E004); a constant that is not a finite number (E008: NaN
or infinity, every matrix element computed from it is one). Warnings: a constant-false term predicate (W101)
or emission predicate (W102), duplicate emissions (W103: kept, branches are a multiset),
a fan-out hint below rows x emissions (W104: the hint is a promise about active branches
that the reference interpreter checks; the kernel keeps every slot), a division by a raw
site read where 0 is a local state (W105). `warnings_as_errors` turns warning codes (or
`all`) into errors, `ignore_warnings` silences them.

With `strict=True` an error raises; otherwise it is only reported, and compiling goes on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from xdsl.context import Context
from xdsl.dialects.builtin import FloatAttr, ModuleOp
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import VerifyException

from symir.dialects import sym
from symir.dialects.sym import operator_of
from symir.lowering.analyses import write_analysis
from symir.lowering.sym.diagnostics import Diagnostic, check_codes, classify
from symir.lowering.sym.symbolic_normalization import _Keys


class SymbolicValidationError(ValueError):
    """A validation error (strict mode)."""


def _region_text(op: sym.EmissionOp) -> str:
    clone = op.clone()
    for inner in clone.walk():
        for r in inner.results:
            r.name_hint = None
    from io import StringIO

    from symir.dialects.printing import ArrayPrinter

    out = StringIO()
    ArrayPrinter(stream=out).print_op(clone)
    # the clone still uses the emission's condition (defined in the term's body): erased,
    # so it leaves no use of it behind, which a later rewrite of that value (folding in
    # symbolic-normalization) would follow to an op in no block
    clone.erase(safe_erase=False)
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


def _constant_write_error(u: sym.UpdateOpBase, states: tuple[int, ...]) -> str | None:
    """A `sym.write` of a constant that is not a local state (the emission's only update:
    nothing after it can bring the value back), or None."""
    if not isinstance(u, sym.WriteOp):
        return None
    v = sym.constant_int(u.value)
    if v is None or v in states:
        return None
    return f"'sym.write' writes {v}, which is not a local state {list(states)}"


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


def _statically_false(value: SSAValue) -> bool:
    """Whether a predicate is false whatever the configuration: the constant false, an
    `and` with a statically false operand, an `or` of statically false operands, or a
    `not` of a constant true (so `where(True).where(False)` and `emit_if(False, ...)` are
    seen before any folding)."""
    op = value.owner
    if isinstance(op, sym.AndOp):
        return any(_statically_false(v) for v in op.inputs)
    if isinstance(op, sym.OrOp):
        return all(_statically_false(v) for v in op.inputs)
    if isinstance(op, sym.NotOp):
        return sym.constant_value(op.input) is True
    return sym.constant_value(value) is False


def _update_findings(term: sym.TermOp, states: tuple[int, ...]) -> list[Diagnostic]:
    """Emissions whose updates provably leave the Hilbert space, or whose predicate is
    constant false."""
    found: list[Diagnostic] = []
    for k, emission in enumerate(term.emissions):
        updates = [op for op in emission.update.block.ops if isinstance(op, sym.UpdateOpBase)]
        where = f"term @{term.sym_name.data}, emission {k}"
        if len(updates) == 1:
            error = _constant_map_error(updates[0], states)
            if error is not None:
                found.append(Diagnostic("SYMIR-E002", where, error, updates[0]))
            error = _constant_write_error(updates[0], states)
            if error is not None:
                found.append(Diagnostic("SYMIR-E003", where, error, updates[0]))
        for u in updates:
            if isinstance(u, sym.ScatterOp):
                found.extend(
                    Diagnostic("SYMIR-E003", where, e, u) for e in _scatter_errors(u, states)
                )
        if emission.condition is not None and _statically_false(emission.condition):
            found.append(
                Diagnostic(
                    "SYMIR-W102", where, "the 'sym.emission' predicate is constant false", emission
                )
            )
    return found


def _division_findings(term: sym.TermOp, states: tuple[int, ...]) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    where = f"term @{term.sym_name.data}"
    for op in term.walk():
        if not isinstance(op, sym.DivOp):
            continue
        divisor = op.operands[1]
        if sym.constant_value(divisor) == 0:
            found.append(Diagnostic("SYMIR-E004", where, "'sym.div' by the constant zero", op))
        elif isinstance(divisor.owner, sym.ReadOp | sym.ReadEmittedOp) and 0 in states:
            found.append(
                Diagnostic(
                    "SYMIR-W105",
                    where,
                    "'sym.div' by a site read, and 0 is a local state (guard it with a predicate)",
                    op,
                )
            )
    return found


def _constant_findings(term: sym.TermOp) -> list[Diagnostic]:
    where = f"term @{term.sym_name.data}"
    return [
        Diagnostic(
            "SYMIR-E008",
            where,
            f"'sym.constant' {op.value.value.data} is not a finite number: every matrix "
            "element computed from it is NaN or infinite",
            op,
        )
        for op in term.walk()
        if isinstance(op, sym.ConstantOp)
        and isinstance(op.value, FloatAttr)
        and not math.isfinite(op.value.value.data)
    ]


def _term_findings(term: sym.TermOp, states: tuple[int, ...]) -> list[Diagnostic]:
    where = f"term @{term.sym_name.data}"
    found = _update_findings(term, states) + _division_findings(term, states)
    found += _constant_findings(term)
    rows, emissions = len(term.row_table), len(term.emissions)
    if term.fanout is not None and term.fanout.data < rows * emissions:
        found.append(
            Diagnostic(
                "SYMIR-W104",
                where,
                f"fan-out hint {term.fanout.data} is smaller than rows x emissions = "
                f"{rows * emissions} (the kernel keeps {rows * emissions} slots; the "
                "reference interpreter raises where a configuration has more active "
                "branches than the hint)",
                term,
            )
        )
    predicate = term.predicate
    if predicate is not None and _statically_false(predicate.operands[0]):
        found.append(Diagnostic("SYMIR-W101", where, "the predicate is constant false", predicate))
    # an emission's text shows its condition as an outside value (`%0` in every one):
    # the condition's structural key tells `emit_if(p, u)` from `emit_elseif(q, u)`
    keys = _Keys()
    texts = (
        [
            (_region_text(e), None if e.condition is None else keys(e.condition))
            for e in term.emissions
        ]
        if len(term.emissions) > 1
        else []
    )
    if len(set(texts)) != len(texts):
        found.append(Diagnostic("SYMIR-W103", where, "duplicate emissions (kept: multiset)", term))
    return found


@dataclass(frozen=True)
class SymbolicValidationPass(ModulePass):
    """Reports what the verifiers cannot see (updates leaving the space, division by zero...).

    Writes `sym.validation_summary`; `strict` raises on an error.
    """

    name = "symbolic-validation"

    strict: bool = True
    """Raise on an error (else it is only recorded in the summary)."""
    warnings_as_errors: tuple[str, ...] = ()
    """Warning codes (`SYMIR-W...`, or `all`) reported as errors."""
    ignore_warnings: tuple[str, ...] = ()
    """Warning codes (or `all`) not reported."""
    verify: bool = True
    """Run xDSL's verifiers (E001). The compiler sets it False where the module is a copy
    of a `SymbolicOperatorIR` verified when it was made (`SymbolicOperatorIR.verified`),
    so that the same IR is not verified twice (`SYMIR_VERIFY_ALL=1` keeps it on)."""

    def apply(self, ctx: Context, module: ModuleOp) -> None:
        check_codes(self.warnings_as_errors, "symbolic-validation warnings_as_errors")
        check_codes(self.ignore_warnings, "symbolic-validation ignore_warnings")
        found: list[Diagnostic] = []
        try:
            if self.verify:
                module.verify()
            operator = operator_of(module)
        except (VerifyException, ValueError) as e:
            found.append(Diagnostic("SYMIR-E001", "", f"verifier: {e}"))
            operator = None
        if operator is not None:
            states = tuple(operator.states)
            for term in operator.terms:
                found.extend(_term_findings(term, states))
        errors, warnings = classify(found, self.warnings_as_errors, self.ignore_warnings)
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
        write_analysis(module, "validation_summary", summary)
        if errors and self.strict:
            error = SymbolicValidationError("; ".join(errors))
            # where each error is, for parsed IR (symir-opt prints it): MLIR's form
            located = {str(d): d.located() for d in found}
            if any(located.get(text) for text in errors):
                error.located = "\n".join(  # type: ignore[attr-defined]
                    located.get(text) or f"error: {text}" for text in errors
                )
            raise error


__all__ = ["SymbolicValidationError", "SymbolicValidationPass"]
