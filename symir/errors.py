"""Errors raised by symir, each naming where the problem is."""

from __future__ import annotations


class SymbolicError(Exception):
    """Base class of symir's errors."""


class SymbolicDefinitionError(SymbolicError, ValueError):
    """An operator definition (DSL or IR text) is invalid; the message names the problem."""


class SymbolicCompilerError(SymbolicError, RuntimeError):
    """A compiler stage failed. `stage` and `pass_name` say where."""

    def __init__(self, message: str, *, stage: str, pass_name: str | None = None):
        where = f"stage '{stage}'" + (f", pass '{pass_name}'" if pass_name else "")
        super().__init__(f"[{where}] {message}")
        self.stage = stage
        self.pass_name = pass_name


class SymbolicDerivativeWarning(UserWarning):
    """A derivative with respect to a parameter leaves part of its dependence out: the
    parameter decides a predicate or an update, which are not differentiable (the
    derivative there is taken as zero; docs/derivatives.md)."""


class SymbolicValidationWarning(UserWarning):
    """A validation warning of a compile (`symbolic-validation`), emitted through Python's
    `warnings`: the message starts with its stable code (`SYMIR-W...`,
    docs/diagnostics.md), so `pytest -W error`, `warnings.catch_warnings` and
    `warnings.filterwarnings("ignore", message="SYMIR-W103")` see it. The compile options
    `ignore_warnings` / `warnings_as_errors` act before it is emitted; `code` holds the
    code."""

    code: str = ""


class SymbolicDefinitionWarning(UserWarning):
    """The DSL accepted a definition that may not mean what was meant (a graph with
    several edge colours iterated whole, a branch that leaves a constrained space);
    `code` holds the stable diagnostic code (docs/diagnostics.md)."""

    code: str = ""
