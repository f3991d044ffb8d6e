"""The diagnostics of `symbolic-validation`: one stable code per finding.

Every finding of validation is a `Diagnostic`: a code from `CODES` (`SYMIR-E...` an
error, `SYMIR-W...` a warning), the term (and emission) it is about, and a one-line
message naming the op. Its text, as written into `validation_summary` and raised in
strict mode, is `"<code> term @t[, emission k]: <message>"`.

A few errors (and warnings) are found while the DSL defines an operator, before there is IR to validate
(their `stage` is `"definition"`): the DSL raises them as `SymbolicDefinitionError` with
the same text (`definition_error`), and the error's `code` attribute holds the code;
a definition-stage warning is a `SymbolicDefinitionWarning` (`definition_warning`).

Adding a diagnostic: a new entry in `CODES` (never reuse or renumber a code), the check
that emits it in `symbolic_validation.py` (or the DSL, for a definition error), a row in
docs/diagnostics.md with an example that triggers it, and a case in
tests/unit/lowering/test_diagnostics.py (which checks that both exist for every code).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from symir.errors import SymbolicDefinitionError, SymbolicDefinitionWarning


@dataclass(frozen=True)
class Code:
    """What a diagnostic code means."""

    severity: str  # "error" or "warning"
    title: str
    stage: str = "validation"  # or "definition": raised by the DSL


CODES: dict[str, Code] = {
    "SYMIR-E001": Code("error", "the IR does not verify"),
    "SYMIR-E002": Code("error", "an update maps no local state to a local state"),
    "SYMIR-E003": Code("error", "a write or scatter writes a constant that is not a local state"),
    "SYMIR-E004": Code("error", "a division by the constant zero"),
    "SYMIR-E005": Code(
        "error", "a fermion operator on a space that is not fermionic", "definition"
    ),
    "SYMIR-E006": Code("error", "an update without Jordan-Wigner signs on fermions", "definition"),
    "SYMIR-E007": Code("error", "a fermion product leaves a particle-number sector", "definition"),
    "SYMIR-E008": Code("error", "a constant that is not a finite number"),
    "SYMIR-W101": Code("warning", "a term predicate is constant false"),
    "SYMIR-W102": Code("warning", "an emission predicate is constant false"),
    "SYMIR-W103": Code("warning", "duplicate emissions"),
    "SYMIR-W104": Code("warning", "a fan-out hint below rows x emissions"),
    "SYMIR-W105": Code("warning", "a division by a site read where 0 is a local state"),
    "SYMIR-W106": Code(
        "warning", "a graph with several edge colours is iterated whole", "definition"
    ),
    "SYMIR-W107": Code(
        "warning", "an emission provably leaves the constrained space", "definition"
    ),
}
"""Every diagnostic code (stable: a code is never reused for another finding)."""


@dataclass(frozen=True)
class Diagnostic:
    """One finding of validation."""

    code: str
    where: str  # "term @t" or "term @t, emission k"
    message: str
    op: Any = field(default=None, compare=False, repr=False)
    """The op the finding is about (its location is printed for parsed IR)."""

    def __post_init__(self):
        if self.code not in CODES:
            raise ValueError(f"unknown diagnostic code {self.code!r}")

    @property
    def severity(self) -> str:
        return CODES[self.code].severity

    def __str__(self) -> str:
        where = f" {self.where}:" if self.where else ""
        return f"{self.code}{where} {self.message}"

    def located(self) -> str | None:
        """`file:line:col: error: <text>`, the source line and a caret, when the op was
        parsed from a file; None otherwise."""
        from symir.dialects.locations import file_location, format_diagnostic

        where = file_location(self.op) if self.op is not None else None
        return format_diagnostic(*where, str(self)) if where is not None else None


def definition_error(code: str, where: str, message: str) -> SymbolicDefinitionError:
    """The `SymbolicDefinitionError` the DSL raises for a definition-stage `code`: its
    text is the diagnostic's, its `code` attribute the code."""
    if CODES.get(code, Code("", "")).stage != "definition":
        raise ValueError(f"{code!r} is not a definition-stage diagnostic code")
    error = SymbolicDefinitionError(str(Diagnostic(code, where, message)))
    error.code = code  # type: ignore[attr-defined]
    return error


def definition_warning(code: str, where: str, message: str) -> SymbolicDefinitionWarning:
    """The `SymbolicDefinitionWarning` the DSL issues for a definition-stage warning
    `code`: its text is the diagnostic's, its `code` attribute the code."""
    found = CODES.get(code, Code("", ""))
    if (found.stage, found.severity) != ("definition", "warning"):
        raise ValueError(f"{code!r} is not a definition-stage warning code")
    warning = SymbolicDefinitionWarning(str(Diagnostic(code, where, message)))
    warning.code = code
    return warning


def check_codes(codes: Iterable[str], option: str) -> None:
    """Raises `ValueError` naming the option for a code that `CODES` does not have
    (`all` stands for every warning)."""
    unknown = sorted(c for c in codes if c != "all" and c not in CODES)
    if unknown:
        raise ValueError(
            f"{option}: unknown diagnostic code(s) {unknown}; the codes are {sorted(CODES)} "
            "(or 'all')"
        )


def classify(
    found: Iterable[Diagnostic], as_errors: Iterable[str] = (), ignored: Iterable[str] = ()
) -> tuple[list[str], list[str]]:
    """The (errors, warnings) texts of `found`: a warning whose code is in `as_errors`
    (or `as_errors` holds `all`) becomes an error; a warning in `ignored` is dropped.
    Errors cannot be ignored."""
    as_errors, ignored = set(as_errors), set(ignored)
    errors: list[str] = []
    warnings: list[str] = []
    for d in found:
        if d.severity == "error" or d.code in as_errors or "all" in as_errors:
            errors.append(str(d))
        elif d.code not in ignored and "all" not in ignored:
            warnings.append(str(d))
    return errors, warnings


__all__ = [
    "CODES",
    "Code",
    "Diagnostic",
    "check_codes",
    "classify",
    "definition_error",
    "definition_warning",
]
