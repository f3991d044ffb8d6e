"""`SymbolicOperatorIR`: the immutable `sym` dialect form of an operator.

`SymbolicOperatorIR` wraps a verified `sym` module (`symir.frontend.build.build_ir` makes
one from a DSL operator); `parse_ir(text)` reads the printed form back. The fingerprint is the SHA-256 of the IR's structure (SSA names
dropped), so it covers every label, row, emission, update, amplitude, parameter, local
state and the dtype.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

from xdsl.context import Context
from xdsl.dialects.builtin import Builtin, ModuleOp
from xdsl.utils.exceptions import DiagnosticException, ParseError, VerifyException

from symir.dialects import print_module, sym
from symir.dialects.parsing import parse_module
from symir.dialects.types import numpy_dtype
from symir.errors import SymbolicDefinitionError, SymbolicDerivativeWarning
from symir.hilbert import DiscreteHilbert


def sym_context() -> Context:
    """A context that knows the builtin and `sym` dialects."""
    ctx = Context()
    ctx.load_dialect(Builtin)
    ctx.load_dialect(sym.Sym)
    return ctx


@dataclass(frozen=True)
class TermInfo:
    """What a term of the IR is, in plain Python values."""

    name: str
    kind: str
    labels: tuple[str, ...]
    rows: tuple[tuple[int, ...], ...]
    fanout: int | None
    emission_count: int
    tags: tuple[str | None, ...]
    has_predicate: bool


def _term_info(t: sym.TermOp) -> TermInfo:
    return TermInfo(
        name=t.sym_name.data,
        kind=t.kind.data,
        labels=t.label_names,
        rows=t.row_table,
        fanout=t.fanout.data if t.fanout is not None else None,
        emission_count=len(t.emissions),
        tags=tuple(e.tag.data if e.tag is not None else None for e in t.emissions),
        has_predicate=t.predicate is not None,
    )


class SymbolicOperatorIR:
    """An immutable, verified `sym` module holding exactly one `sym.operator`."""

    __slots__ = ("_fingerprint", "_module", "_text", "verified")

    def __init__(self, module: ModuleOp):
        ops = list(module.ops)
        if len(ops) != 1 or not isinstance(ops[0], sym.OperatorOp):
            raise SymbolicDefinitionError(
                "a SymbolicOperatorIR module must contain exactly one 'sym.operator'"
            )
        try:
            module.verify()
        except VerifyException as e:
            from symir.dialects.locations import located_verify_error

            located = located_verify_error(module, e)
            raise SymbolicDefinitionError(f"invalid sym IR: {located or e}") from None
        self._module = module
        self._text: str | None = None
        self._fingerprint: str | None = None
        self.verified = True
        """Whether the verifiers ran on the module (False for `unverified`)."""

    # -------------------------------------------------------------- construction
    @classmethod
    def unverified(cls, module: ModuleOp) -> SymbolicOperatorIR:
        """Wraps `module` without running the verifier: for reading a module whose
        verification is someone else's (the compiler's lowerer reads the operator's facts
        from its working module this way, and lowers a clone of it, which the lowering
        verifies at the end of the `sym` level; verifying thousands of terms twice costs
        more than the passes)."""
        ir = cls.__new__(cls)
        ir._module = module
        ir._text = None
        ir._fingerprint = None
        ir.verified = False
        return ir

    @classmethod
    def parse(cls, text: str) -> SymbolicOperatorIR:
        """Reads the printed (custom or generic) form back."""
        if not isinstance(text, str):
            raise TypeError(f"parse takes the IR's printed text (a str), got {type(text).__name__}")
        try:
            module = parse_module(sym_context(), text, "<sym>")
        except (ParseError, DiagnosticException) as e:
            raise SymbolicDefinitionError(f"cannot parse sym IR: {e}") from None
        return cls(module)

    # -------------------------------------------------------------- access
    @property
    def module(self) -> ModuleOp:
        """A fresh copy of the module (the IR itself is never mutated)."""
        return self._module.clone()

    def readonly_module(self) -> ModuleOp:
        """The module itself, without a copy: for reading only, never transform it."""
        return self._module

    @property
    def operator(self) -> sym.OperatorOp:
        """The `sym.operator` op (read only: clone `module` to transform it)."""
        return next(iter(self._module.ops))  # type: ignore[return-value]

    @property
    def operator_name(self) -> str:
        return self.operator.sym_name.data

    @property
    def hilbert_size(self) -> int:
        return self.operator.num_sites.data

    @property
    def local_states(self) -> tuple[int, ...]:
        return self.operator.states

    @property
    def hilbert(self) -> DiscreteHilbert:
        return DiscreteHilbert(self.local_states, self.hilbert_size)

    @property
    def dtype_str(self) -> str:
        return str(numpy_dtype(self.operator.dtype))

    @property
    def is_hermitian(self) -> bool:
        return self.operator.hermitian is not None

    @property
    def term_count(self) -> int:
        return len(self.operator.terms)

    @property
    def terms(self) -> tuple[TermInfo, ...]:
        return tuple(_term_info(t) for t in self.operator.terms)

    @property
    def free_symbols(self) -> tuple[str, ...]:
        """The names of the runtime parameters, sorted."""
        return tuple(sorted(self.parameters))

    @property
    def parameters(self) -> dict[str, Any]:
        """Parameter name -> default (None when it has none)."""
        found: dict[str, Any] = {}
        for op in self._module.walk():
            if isinstance(op, sym.ParamOp):
                found[op.param_name.data] = op.default_value
        return dict(sorted(found.items()))

    # -------------------------------------------------------------- identity
    def canonical_text(self) -> str:
        """The printed IR with SSA names dropped: equal operators print equally."""
        clone = self._module.clone()
        for op in clone.walk():
            for r in op.results:
                r.name_hint = None
        return print_module(clone)

    def static_fingerprint(self) -> str:
        """SHA-256 of the IR's structure (`symir.lowering.analyses.fingerprint`, the
        one fingerprint: SSA names and analyses dropped)."""
        if self._fingerprint is None:
            from symir.lowering.analyses import fingerprint

            self._fingerprint = fingerprint(self._module)
        return self._fingerprint

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SymbolicOperatorIR):
            return NotImplemented
        return self.static_fingerprint() == other.static_fingerprint()

    def __hash__(self) -> int:
        return hash(self.static_fingerprint())

    def __str__(self) -> str:
        """The printed IR, ending with a newline.

        `print(ir)` writes exactly what `symir-opt` prints (a blank line after the module),
        so it comes back byte-identical through `symir-opt`.
        """
        if self._text is None:
            self._text = print_module(self._module) + "\n"
        return self._text

    def __repr__(self) -> str:
        return (
            f"SymbolicOperatorIR({self.operator_name!r}, sites={self.hilbert_size}, "
            f"terms={self.term_count}, dtype={self.dtype_str})"
        )

    def to_generic(self) -> str:
        """The generic printed form."""
        return print_module(self._module, generic=True)

    def to_ir(self) -> SymbolicOperatorIR:
        """The IR itself, so that an IR compiles like an operator
        (`SymbolicCompiler().compile_operator(ir)`)."""
        return self

    def derivative(self, name: str, *, imaginary: bool = False) -> SymbolicOperatorIR:
        """The operator dH/d`name` (`sym-differentiate`, docs/derivatives.md): this
        operator's branches with the derivatives of their matrix elements. For a complex
        parameter `z`, the derivative along `re(z)`, or along `im(z)` with `imaginary`."""
        from symir.lowering.sym.sym_differentiate import differentiate_operator

        if name not in self.parameters:
            raise ValueError(
                f"operator {self.operator_name!r} has no parameter {name!r}; its parameters "
                f"are {list(self.parameters)}"
            )
        derivatives, messages = differentiate_operator(self.operator, (name,))
        if imaginary and len(derivatives) == 1:
            raise ValueError(f"parameter {name!r} is real: it has no imaginary direction")
        chosen = derivatives[1 if imaginary else 0]
        for message in messages:
            warnings.warn(
                f"derivative of {self.operator_name!r}: {message}",
                SymbolicDerivativeWarning,
                stacklevel=2,
            )
        return SymbolicOperatorIR(ModuleOp([chosen]))


def parse_ir(text: str) -> SymbolicOperatorIR:
    """`SymbolicOperatorIR.parse`."""
    return SymbolicOperatorIR.parse(text)
