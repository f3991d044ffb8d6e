"""Errors raised by symir, each naming where the problem is."""

from __future__ import annotations


class SymbolicError(Exception):
    """Base class of symir's errors."""


class SymbolicDefinitionError(SymbolicError, ValueError):
    """An operator definition (DSL or IR text) is invalid; the message names the problem."""


class SymbolicCompilerError(SymbolicError, RuntimeError):
    """A compiler stage failed. `stage` and `pass_name` say where; `cause` is the
    exception the stage raised, if any (its message is part of this one's; it is
    chained, shown as a second traceback, only where it is a bug: `shown_cause`)."""

    def __init__(
        self,
        message: str,
        *,
        stage: str,
        pass_name: str | None = None,
        cause: BaseException | None = None,
    ):
        where = f"stage '{stage}'" + (f", pass '{pass_name}'" if pass_name else "")
        super().__init__(f"[{where}] {message}")
        self.message = message
        self.stage = stage
        self.pass_name = pass_name
        self.cause = cause

    def __reduce__(self):
        """Pickled with its stage and pass (a compile in a worker process, raised again
        in the parent by `multiprocessing`: unpickling called `__init__` with the text
        alone, a TypeError that hung `multiprocessing.Pool`); the cause is left out (its
        message is in this one's, and it need not pickle)."""
        return (_compiler_error, (self.message, self.stage, self.pass_name))


def _compiler_error(message: str, stage: str, pass_name: str | None) -> SymbolicCompilerError:
    return SymbolicCompilerError(message, stage=stage, pass_name=pass_name)


_BUGS = (
    AssertionError,
    AttributeError,
    LookupError,
    NameError,
    TypeError,
    ArithmeticError,
    NotImplementedError,
    RecursionError,
)
"""Python's own errors that signal a bug where they are raised."""


def shown_cause(error: BaseException) -> BaseException | None:
    """What a `SymbolicCompilerError` made from `error` (its `cause`) is raised from:
    `error` when it is one of Python's errors that signal a bug inside symir (an
    `AssertionError`, a `KeyError`, a `TypeError`, ...), whose traceback says where;
    None otherwise: a report of what is wrong with the user's input (a verifier's, a
    validation's, a `ValueError`), whose message the new error repeats, shown once.
    With `SYMIR_DEBUG=1` every cause is chained."""
    import os

    return error if isinstance(error, _BUGS) or os.environ.get("SYMIR_DEBUG") else None


class PassNameClashWarning(UserWarning):
    """Two installed packages register one pass name (a plugin's pass named as one of
    symir's, or two plugins' passes of one name): a pipeline that names it is refused;
    emitted once per name and process (`symir.lowering.pass_clashes`)."""


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
