"""The compilation context, pass reports, the signature and the cache key."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Attribute

from symir.compiler.options import SymbolicCompilerOptions
from symir.dialects.types import numpy_dtype, x_element_type_for
from symir.ir import SymbolicOperatorIR
from symir.lowering.analyses import fingerprint, read_analyses, take_analyses, without_analyses


@dataclass(frozen=True)
class SymbolicPassReport:
    """One stage or pass of a compile: its name, stage, duration and what it reported."""

    pass_name: str
    duration_s: float
    stage: str = ""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class SymbolicCompilationContext:
    """The working state of one compile.

    `ir` is the operator's IR (never mutated); `module` is the working clone the passes
    transform (made on first access); `analyses` is the pass-to-pass map (the analyses
    the passes report, `symir.lowering.analyses`, and the compiler's own entries);
    `annotations` the analysis attributes taken off the module after each pass
    (`take_analyses`), written back only where the `sym` level is printed;
    `pass_reports` the history.

    `memo_path` names the state of the working module: the IR's static fingerprint and the
    memoizable passes run on it so far (None once a pass that is not memoizable ran). The
    pipeline uses it to reuse the result of a deterministic pass already run on equal IR.
    """

    operator: Any
    ir: SymbolicOperatorIR
    options: SymbolicCompilerOptions
    analyses: dict[str, Any] = field(default_factory=dict)
    pass_reports: list[SymbolicPassReport] = field(default_factory=list)
    annotations: dict[str, Attribute] = field(default_factory=dict)
    backend: str | None = None
    lowerer_name: str | None = None
    memo_path: tuple[Any, ...] | None = ()
    extra_passes: list[Any] = field(default_factory=list)
    """Passes added to the lowering (`SymbolicPassPipeline.lowering`), placed by level."""
    changed: bool = False
    """Whether a stage may have changed the module's operations without verifying them
    (a pass that did not say it left them unchanged or verified:
    `symir.lowering.unchanged`; analyses aside)."""
    _module: ModuleOp | None = field(default=None, repr=False)
    _shared: ModuleOp | None = field(default=None, repr=False)

    @property
    def module(self) -> ModuleOp:
        """The working module, which passes may transform (a private clone)."""
        if self._module is None:
            self._module = self.peek_module().clone()
        return self._module

    @module.setter
    def module(self, module: ModuleOp) -> None:
        self._module = module
        self._shared = None

    def peek_module(self) -> ModuleOp:
        """The current working module for reading only (no clone is made)."""
        if self._module is not None:
            return self._module
        if self._shared is not None:
            return self._shared
        return self.ir.readonly_module()

    def input_verified(self) -> bool:
        """Whether the working module is still the operator's IR, which was verified when
        it was made (`SymbolicOperatorIR.verified`; no pass has run), and
        `SYMIR_VERIFY_ALL` does not ask for every level to be verified again."""
        from symir.lowering.pipelines import VERIFY_ALL

        return self.memo_path == () and getattr(self.ir, "verified", False) and not VERIFY_ALL

    def module_verified(self) -> bool:
        """Whether the working module is verified: the operator's IR, verified when made,
        and no stage changed its operations without verifying what it changed (the
        lowering need not verify it again unless a lowering pass changes it)."""
        return getattr(self.ir, "verified", False) and not self.changed

    def adopt_memoized(self, module: ModuleOp) -> None:
        """Make a memoized (shared, never mutated) module the working state."""
        self._module = None
        self._shared = module

    def record(self, name: str, stage: str, start: float, **details: Any) -> None:
        self.pass_reports.append(
            SymbolicPassReport(name, time.perf_counter() - start, stage, dict(details))
        )

    def take_analyses(self, module: ModuleOp | None = None) -> dict[str, Attribute]:
        """Takes the analyses a pass reported off `module` (the working module) into
        `analyses` and `annotations`; returns their attributes."""
        taken = take_analyses(self.module if module is None else module)
        self.adopt_analyses(taken)
        return taken

    def adopt_analyses(self, taken: dict[str, Attribute]) -> None:
        """Records analysis attributes (taken off a module) as analyses."""
        self.annotations.update(taken)
        self.analyses.update(read_analyses(taken))

    def operator_module(self) -> ModuleOp:
        """A clone of the working module, the plain operator (an IR parsed from an
        annotated printout has its analyses dropped)."""
        return without_analyses(self.peek_module())


@dataclass(frozen=True)
class SymbolicCacheKey:
    """A namespace and a SHA-256 token."""

    namespace: str
    token: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.token}"


@dataclass(frozen=True)
class SymbolicCompilationSignature:
    """Everything the compiled artifact depends on."""

    ir_fingerprint: str
    backend: str
    hilbert_size: int
    local_states: tuple[int, ...]
    x_dtype: str
    dtype: str
    options_signature: tuple[tuple[str, object], ...]
    pipeline: tuple[str, ...] = ()

    @classmethod
    def from_context(cls, ctx: SymbolicCompilationContext) -> SymbolicCompilationSignature:
        module = ctx.peek_module()
        found = ctx.analyses.get("ir_fingerprint") or fingerprint(module)
        operator = next(iter(module.ops))
        states = tuple(operator.states)
        x_dtype = f"i{x_element_type_for(states, ctx.options.x_dtype).width.data}"
        dtype = str(numpy_dtype(operator.dtype))
        return cls(
            ir_fingerprint=found,
            backend=ctx.backend or ctx.analyses.get("resolved_backend", "jax"),
            hilbert_size=operator.num_sites.data,
            local_states=states,
            x_dtype=x_dtype,
            dtype=dtype,
            options_signature=ctx.options.static_signature(),
            pipeline=tuple(ctx.analyses.get("pipeline", ()))
            + tuple(ctx.analyses.get("lowering_pipeline", ())),
        )

    def payload(self, namespace: str) -> str:
        return json.dumps(
            {
                "namespace": namespace,
                "ir_fingerprint": self.ir_fingerprint,
                "backend": self.backend,
                "hilbert_size": self.hilbert_size,
                "local_states": list(self.local_states),
                "x_dtype": self.x_dtype,
                "dtype": self.dtype,
                "options": [[k, v] for k, v in self.options_signature],
                "pipeline": list(self.pipeline),
            },
            sort_keys=True,
        )

    def build_cache_key(self, namespace: str = "default") -> SymbolicCacheKey:
        token = hashlib.sha256(self.payload(namespace).encode()).hexdigest()
        return SymbolicCacheKey(namespace, token)
