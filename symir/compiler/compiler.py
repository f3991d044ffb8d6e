"""`SymbolicCompiler`: the staged pipeline, the cache and the lowerer registry.

operator.to_ir()
-> SymbolicCompilationContext(...)
-> pipeline.run_pre_cache(context)          (symbolic-validation, symbolic-normalization)
-> SymbolicCompilationSignature.from_context(context)
-> signature.build_cache_key(namespace=...)
-> artifact_store.get(cache_key)            hit: return it (reports of this call)
-> miss: pipeline.run_post_cache(context)   (symbolic-fanout-analysis)
         lowerer_registry.resolve(context) -> lowerer.lower(context)
         attach cache_key + artifact_store.put(...)
"""

from __future__ import annotations

import dataclasses
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from xdsl.context import Context
from xdsl.passes import ModulePass

from symir.compiler.artifact import SymbolicCompiledArtifact
from symir.compiler.core import SymbolicCompilationContext, SymbolicCompilationSignature
from symir.compiler.lowerers import SymbolicLowererRegistry
from symir.compiler.options import SymbolicCompilerOptions
from symir.compiler.stores import default_artifact_store
from symir.dialects.types import x_element_type_for
from symir.errors import SymbolicCompilerError, SymbolicValidationWarning, shown_cause
from symir.gc_pause import gc_paused
from symir.ir import SymbolicOperatorIR
from symir.lowering import make_pass
from symir.lowering.levels import check_levels, pass_levels
from symir.lowering.pipeline_text import PipelineError, pass_specs
from symir.lowering.pipelines import lowering_passes
from symir.lowering.unchanged import forget_marks, left_as


def stage_name(pass_name: str) -> str:
    """The report name of a pass: its registered name spelled with `_` (the spec's stage
    names, `symbolic-validation` -> `symbolic_validation`); the one rule, no table."""
    return pass_name.replace("-", "_")


class ModulePassStage:
    """A compiler stage that runs an xDSL `ModulePass` on the context's working module.

    `make(options)` builds the pass for the effective options. The analyses the pass
    reports (`symir.lowering.analyses`: attributes `sym.<name>` of the module) are taken
    off the module into `context.analyses` right after it runs: a pass needs no other
    protocol.

    A `memoizable` stage is a deterministic function of the module and of the pass's
    fields (the built-in passes are). Its result is memoized process-wide under the IR's
    static fingerprint and the passes run so far, so a later compile of the same IR (the
    same operator object, or an equal one built anew) reuses it instead of running it.
    """

    def __init__(
        self,
        name: str,
        make: Callable[[SymbolicCompilerOptions], ModulePass],
        memoizable: bool = False,
    ):
        self.name = name
        self.make = make
        self.memoizable = memoizable
        self.trusts_verified = False
        """The pass has a `verify` field, set False when it runs first on a copy of a
        verified `SymbolicOperatorIR` (`symbolic-validation`: the IR is verified once)."""
        self.writes_only_analyses = False
        """The pass leaves the module as it found it but for its analyses (`symbolic-
        validation`): its memo keeps no copy of the module (the state is unchanged)."""

    @classmethod
    def of(cls, pass_name: str, memoizable: bool = False, **option_fields: str) -> ModulePassStage:
        """The stage of the registered pass `pass_name`, named after it; each keyword
        maps a pass field to the `SymbolicCompilerOptions` field it takes its value from."""

        def make(options: SymbolicCompilerOptions) -> ModulePass:
            values = {k: getattr(options, v) for k, v in option_fields.items()}
            return make_pass(pass_name, **values)

        stage = cls(stage_name(pass_name), make, memoizable)
        stage.trusts_verified = pass_name == "symbolic-validation"
        stage.writes_only_analyses = pass_name in (
            "symbolic-validation",
            "symbolic-fanout-analysis",
        )
        return stage

    def run(self, context: SymbolicCompilationContext) -> bool:
        """Runs the pass, or reuses its memoized result; returns whether it was reused."""
        p = self.make(context.options)
        if self.trusts_verified and context.input_verified():
            p = dataclasses.replace(p, verify=False)
        key = None
        if self.memoizable and context.memo_path is not None:
            path = context.memo_path or (context.ir.static_fingerprint(),)
            key = (*path, (self.name, p))
        context.memo_path = key
        if key is not None:
            found = _PRE_CACHE_MEMO.get(key)
            if found is not None:
                module, taken, changed = found
                if module is not None:
                    context.adopt_memoized(module)
                context.adopt_analyses(taken)
                context.changed = context.changed or changed
                return True
        forget_marks(context.module)
        p.apply(Context(), context.module)
        said = left_as(context.module, p)
        changed = said is None and not self.writes_only_analyses
        context.changed = context.changed or changed
        taken = context.take_analyses()
        if key is not None:
            kept = None if self.writes_only_analyses else context.module.clone()
            _PRE_CACHE_MEMO.put(key, (kept, taken, changed))
        return False


class _BoundedMemo:
    """A thread-safe mapping that forgets its least recently used entries."""

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self._entries: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._put(key, value)

    def get_or_make(self, key: Any, make: Callable[[], Any]) -> Any:
        """The entry for `key`, made (once, under the lock) when there is none."""
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                found = make()
                self._put(key, found)
            else:
                self._entries.move_to_end(key)
            return found

    def _put(self, key: Any, value: Any) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


_PRE_CACHE_MEMO = _BoundedMemo(256)
_PIPELINE_MEMO = _BoundedMemo(256)


def _lowering_specs(options: Any, extra: tuple[ModulePass, ...]) -> tuple[str, ...]:
    """The full specs of the passes the lowering runs for `options` and `extra`, after
    checking that each gets the level it reads (`symir.lowering.levels.check_levels`)."""
    passes = lowering_passes(options, extra)
    check_levels(passes, start="sym", end="stablehlo")
    return pass_specs(passes)


def _runs_in_lowering(p: Any) -> bool:
    """Whether `p` is a `ModulePass` that reads the `branch` or `stablehlo` level (it
    must run inside the lowering, where that level exists; `symir.lowering.levels`)."""
    return isinstance(p, ModulePass) and pass_levels(p)[0] in ("branch", "stablehlo")


def _as_stage(p: Any) -> Any:
    if isinstance(p, ModulePass):
        return ModulePassStage(stage_name(p.name), lambda _options, p=p: p)
    if not (hasattr(p, "name") and callable(getattr(p, "run", None))):
        raise TypeError(
            f"a compiler pass needs a 'name' and a 'run(context)' method (or must be an "
            f"xDSL ModulePass), got {p!r}"
        )
    return p


def default_pre_cache() -> list[Any]:
    """`symbolic-validation`, `symbolic-normalization` (every compile, memoized)."""
    return [
        ModulePassStage.of(
            "symbolic-validation",
            memoizable=True,
            strict="strict_validation",
            warnings_as_errors="warnings_as_errors",
            ignore_warnings="ignore_warnings",
        ),
        ModulePassStage.of("symbolic-normalization", memoizable=True, backend="backend_preference"),
    ]


def default_post_cache() -> list[Any]:
    """`symbolic-fanout-analysis` (misses only). Fusion is planned and done by the
    lowering's `branch-fuse-equal-states` (`LoweringOptions.enable_fusion`)."""
    return [ModulePassStage.of("symbolic-fanout-analysis")]


class SymbolicPassPipeline:
    """The pre-cache (every call) and post-cache (misses only) pass lists, and the
    passes added to the lowering (`lowering`).

    The pre- and post-cache stages run on the `sym` level. A `ModulePass` given to
    `add_post_cache` (or to `post_cache`) that reads the `branch` or `stablehlo` level
    (its `level`, `symir.lowering.levels`) cannot run there: it joins `lowering`, whose
    passes the lowering places at the end of their level
    (`symir.lowering.pipelines.place_by_level`; exact places: a `pipeline=`). A pass
    added to the pre-cache stages must read `sym`."""

    def __init__(self, pre_cache: list[Any] | None = None, post_cache: list[Any] | None = None):
        self.lowering: list[ModulePass] = []
        self.pre_cache: list[Any] = []
        self.post_cache: list[Any] = []
        for p in default_pre_cache() if pre_cache is None else pre_cache:
            self.add_pre_cache(p)
        for p in default_post_cache() if post_cache is None else post_cache:
            self.add_post_cache(p)

    def add_pre_cache(self, p: Any) -> None:
        if _runs_in_lowering(p):
            raise ValueError(
                f"pass '{p.name}' reads the '{pass_levels(p)[0]}' level; the pre-cache "
                "stages run on the 'sym' level (add it with add_post_cache or add_lowering, "
                "or place it with compile(pipeline=...))"
            )
        self.pre_cache.append(_as_stage(p))

    def add_post_cache(self, p: Any) -> None:
        if _runs_in_lowering(p):
            self.add_lowering(p)
        else:
            self.post_cache.append(_as_stage(p))

    def add_lowering(self, p: ModulePass) -> None:
        """Adds `p` (a `branch` or `stablehlo` `ModulePass`) to the lowering."""
        if not _runs_in_lowering(p):
            raise ValueError(
                f"add_lowering takes a ModulePass that reads the 'branch' or 'stablehlo' "
                f"level, got {p!r}"
            )
        self.lowering.append(p)

    def names(self) -> tuple[str, ...]:
        return (
            tuple(f"pre:{p.name}" for p in self.pre_cache)
            + tuple(f"post:{p.name}" for p in self.post_cache)
            + tuple(f"lowering:{p.name}" for p in self.lowering)
        )

    @staticmethod
    def _run(stages: list[Any], stage: str, context: SymbolicCompilationContext) -> None:
        for p in stages:
            start = time.perf_counter()
            try:
                reused = p.run(context)
                memoized = isinstance(p, ModulePassStage) and reused
                if not isinstance(p, ModulePassStage):
                    context.changed = True  # a stage of its own may change the module
                if not getattr(p, "memoizable", False):
                    context.memo_path = None
            except SymbolicCompilerError:
                raise
            except Exception as e:
                raise SymbolicCompilerError(
                    f"{type(e).__name__}: {e}", stage=stage, pass_name=p.name, cause=e
                ) from shown_cause(e)
            if memoized:
                context.record(p.name, stage, start, memoized=True)
            else:
                context.record(p.name, stage, start)

    def run_pre_cache(self, context: SymbolicCompilationContext) -> None:
        self._run(self.pre_cache, "pre_cache", context)

    def run_post_cache(self, context: SymbolicCompilationContext) -> None:
        self._run(self.post_cache, "post_cache", context)


_KEY_LOCKS: dict[tuple[int, str, str], threading.Lock] = {}
_KEY_LOCKS_GUARD = threading.Lock()


def _key_lock(store: Any, namespace: str, token: str) -> threading.Lock:
    with _KEY_LOCKS_GUARD:
        return _KEY_LOCKS.setdefault((id(store), namespace, token), threading.Lock())


_REBOUND = _BoundedMemo(256)


def _rebind_hilbert(artifact: SymbolicCompiledArtifact, operator: Any) -> SymbolicCompiledArtifact:
    """The cached kernel, reporting the hilbert object of the operator being compiled.

    The rebound `CompiledOperator` is memoized per (cached operator, hilbert object), so
    compiling an equal operator twice returns the same object (and the same jit cache
    entry). The memo holds both objects, so their ids cannot be reused while it lives."""
    compiled = artifact.compiled_operator
    hilbert = getattr(operator, "hilbert", None)
    if hilbert is None or not hasattr(compiled, "with_hilbert") or compiled.hilbert is hilbert:
        return artifact

    def rebind() -> tuple[Any, Any, Any]:
        return compiled, hilbert, compiled.with_hilbert(hilbert)

    _, _, rebound = _REBOUND.get_or_make((id(compiled), id(hilbert)), rebind)
    return artifact.replace(compiled_operator=rebound)


def _assuming_sectors(
    artifact: SymbolicCompiledArtifact, operator: Any
) -> SymbolicCompiledArtifact:
    """The artifact whose operator knows the fixed sums its rows rely on
    (`SymbolicOperator.assumed_sectors`, `CompiledOperator.assuming_sectors`): the IR does
    not say them (a site found by rank with no check is `-1` where it is missing), so
    they are given to the kernel here, on every path out of the compiler (memoized as
    `_rebind_hilbert` is: an equal operator compiled again gets the same object)."""
    found = getattr(operator, "assumed_sectors", None)
    sectors = found() if callable(found) else ()
    compiled = artifact.compiled_operator
    if not hasattr(compiled, "assuming_sectors"):
        return artifact
    if sectors == compiled.assumed_sectors:
        return artifact
    # set also where `sectors` is empty: the operator's own, whatever a kernel shared by
    # the cache with an operator of the same IR on another space was given

    def assume() -> tuple[Any, Any]:
        return compiled, compiled.assuming_sectors(sectors)

    _, assumed = _REBOUND.get_or_make((id(compiled), "assumed", sectors), assume)
    return artifact.replace(compiled_operator=assumed)


def _extract_ir(
    operator: Any, options: SymbolicCompilerOptions
) -> tuple[Any, dict[str, list[str]], dict[str, Any]]:
    """The IR the compiler lowers, the terms the DSL merged (kept -> absorbed) and what
    the DSL's tabulation did (`symir.frontend.tabulate`; empty without one)."""
    canonical = getattr(operator, "canonical_ir", None)
    if not (options.merge_row_terms and callable(canonical)):
        return operator.to_ir(), {}, {}
    # the DSL's canonical form (symir.frontend.canonical): constant sites lifted, terms
    # equal but for their rows merged, terms of one shape tabulated, before any IR
    if not options.tabulate_terms:
        ir, merged = canonical(options.lift_constant_sites, False)
        return ir, merged, {}
    routed = options.route_pauli_products
    ir, merged = canonical(options.lift_constant_sites, True, routed)
    report = getattr(operator, "tabulation", None)
    return ir, merged, report(options.lift_constant_sites, routed) if callable(report) else {}


class SymbolicCompiler:
    """Compiles `SymbolicOperator`s through the staged pipeline (see the module doc)."""

    def __init__(
        self,
        options: SymbolicCompilerOptions | None = None,
        artifact_store: Any = None,
        lowerer_registry: SymbolicLowererRegistry | None = None,
        pipeline: SymbolicPassPipeline | None = None,
    ):
        if options is not None and not isinstance(options, SymbolicCompilerOptions):
            raise ValueError(f"options must be a SymbolicCompilerOptions, got {options!r}")
        self.options = options or SymbolicCompilerOptions()
        self.artifact_store = (
            artifact_store if artifact_store is not None else default_artifact_store()
        )
        self.lowerer_registry = lowerer_registry or SymbolicLowererRegistry()
        self.pipeline = pipeline or SymbolicPassPipeline()

    # ------------------------------------------------------------------ cache control
    @property
    def cache_size(self) -> int:
        return len(self.artifact_store)

    def clear_cache(self) -> None:
        self.artifact_store.clear()

    # ------------------------------------------------------------------ entry points
    def compile_operator(self, operator: Any) -> Any:
        """The executable `CompiledOperator`."""
        return self.compile(operator).compiled_operator

    def compile(
        self, operator: Any, pipeline: str | None = None, **options: Any
    ) -> SymbolicCompiledArtifact:
        """The `SymbolicCompiledArtifact` (pass reports, metadata, IR of every level).

        Keyword arguments replace fields of the compiler's `SymbolicCompilerOptions` for
        this call, as in `op.compile(...)`: the lowering's options (`LoweringOptions`:
        `force_fusion`, `x_dtype`, `enable_fusion`, ...) and the compiler's own.
        `pipeline` replaces the options' `pipeline` (the lowering's pass pipeline, in
        `symir-opt -p` syntax, `symir.lowering.pipeline_text`); it is checked before
        anything runs (`SymbolicCompilerError`, stage `pipeline`). Python's cyclic
        garbage collector is paused while it runs (`gc_paused`)."""
        if pipeline is not None:
            if not isinstance(pipeline, str):
                raise SymbolicCompilerError(
                    f"pipeline must be a string, got {pipeline!r}", stage="pipeline"
                )
            options["pipeline"] = pipeline
        with gc_paused():
            artifact = self._compile(operator, self._options_for(options))
        return _assuming_sectors(artifact, operator)

    def _options_for(self, changes: dict[str, Any]) -> SymbolicCompilerOptions:
        """The compiler's options with `changes` (keyword arguments of `compile`)."""
        if not changes:
            return self.options
        known = [f.name for f in dataclasses.fields(self.options)]
        unknown = sorted(set(changes) - set(known))
        if unknown:
            raise TypeError(
                f"SymbolicCompiler.compile() got unknown option(s) {unknown}; the options "
                f"are the fields of {type(self.options).__name__}: {', '.join(known)}"
            )
        return dataclasses.replace(self.options, **changes)

    def _compile(
        self, operator: Any, options: SymbolicCompilerOptions | None = None
    ) -> SymbolicCompiledArtifact:
        options = options or self.options
        start = time.perf_counter()
        try:
            ir, merged_terms, tabulated = _extract_ir(operator, options)
            if not isinstance(ir, SymbolicOperatorIR):
                raise TypeError(f"to_ir() returned {type(ir).__name__}, not a SymbolicOperatorIR")
        except Exception as e:
            raise SymbolicCompilerError(
                f"{type(e).__name__}: {e}", stage="ir_extraction", pass_name="to_ir", cause=e
            ) from shown_cause(e)
        ctx = SymbolicCompilationContext(operator, ir, options)
        ctx.record("to_ir", "ir_extraction", start)
        if merged_terms:
            ctx.analyses["canonical_merged_terms"] = merged_terms
        if tabulated:
            ctx.analyses["canonical_tabulation"] = tabulated
        ctx.analyses["pipeline"] = self.pipeline.names()

        self.pipeline.run_pre_cache(ctx)
        _emit_validation_warnings(ctx)
        ctx.backend = ctx.analyses.get("resolved_backend") or (
            "jax" if options.backend_preference == "auto" else options.backend_preference
        )

        start = time.perf_counter()
        self._validate_pipeline(ctx)
        try:
            signature = SymbolicCompilationSignature.from_context(ctx)
            key = signature.build_cache_key(namespace=options.cache_namespace)
        except Exception as e:
            raise SymbolicCompilerError(
                f"{type(e).__name__}: {e}", stage="signature", pass_name="cache_key", cause=e
            ) from shown_cause(e)
        ctx.analyses["cache_token"] = key.token
        ctx.record("cache_key", "signature", start, token=key.token)

        if not options.cache_enabled:
            return self._lower(ctx, key, store=False)
        found = self._lookup(ctx, key)
        if found is not None:
            return found
        with _key_lock(self.artifact_store, key.namespace, key.token):
            found = self._lookup(ctx, key, again=True)
            if found is not None:
                return found
            return self._lower(ctx, key, store=True)

    # ------------------------------------------------------------------ stages
    def _validate_pipeline(self, ctx: SymbolicCompilationContext) -> None:
        """Builds the lowering's passes (`options.pipeline`, the passes added to
        `pipeline.lowering`) and checks their levels, before the cache key and before
        any lowering pass; keeps their full specs for the cache key
        (`analyses["lowering_pipeline"]`). Part of the `cache_key` stage's time."""
        extra = tuple(self.pipeline.lowering)
        try:
            # the specs with the options the signature hashes in resolved form resolved
            # (`target`, `x_dtype`): equal kernels, equal keys
            states = tuple(next(iter(ctx.peek_module().ops)).states)
            x_dtype = f"i{x_element_type_for(states, ctx.options.x_dtype).width.data}"
            options = dataclasses.replace(
                ctx.options, target=ctx.options.resolved_target(), x_dtype=x_dtype
            )
            specs = _PIPELINE_MEMO.get_or_make(
                (type(options), options, pass_specs(extra)),
                lambda: _lowering_specs(options, extra),
            )
        except (PipelineError, ValueError) as e:
            raise SymbolicCompilerError(
                str(e), stage="pipeline", pass_name=ctx.options.pipeline, cause=e
            ) from shown_cause(e)
        ctx.extra_passes = list(extra)
        ctx.analyses["lowering_pipeline"] = specs

    def _lookup(self, ctx: SymbolicCompilationContext, key, again: bool = False):
        start = time.perf_counter()
        try:
            found = self.artifact_store.get(key)
        except Exception as e:
            raise SymbolicCompilerError(
                f"{type(e).__name__}: {e}",
                stage="cache_lookup",
                pass_name="artifact_store.get",
                cause=e,
            ) from shown_cause(e)
        name = "cache_lookup_locked" if again else "cache_lookup"
        ctx.record(name, "cache_lookup", start, hit=found is not None)
        if found is None:
            return None
        analyses = {**found.analyses, **ctx.analyses}
        hit = found.replace(
            pass_reports=tuple(ctx.pass_reports),
            analyses=analyses,
            cache_hit=True,
            cache_key=key,
            source=found.source
            if found.source != "lowered"
            else getattr(self.artifact_store, "kind", "memory"),
        )
        return _rebind_hilbert(hit, ctx.operator)

    def _lower(self, ctx: SymbolicCompilationContext, key, store: bool) -> SymbolicCompiledArtifact:
        self.pipeline.run_post_cache(ctx)
        start = time.perf_counter()
        try:
            lowerer = self.lowerer_registry.resolve(ctx)
        except Exception as e:
            raise SymbolicCompilerError(
                f"{type(e).__name__}: {e}", stage="lowerer_resolution", cause=e
            ) from shown_cause(e)
        ctx.lowerer_name = lowerer.name
        ctx.record("lowerer_resolution", "lowerer_resolution", start, lowerer=lowerer.name)
        start = time.perf_counter()
        try:
            artifact = lowerer.lower(ctx)
            if not isinstance(artifact, SymbolicCompiledArtifact):
                raise TypeError(
                    f"lowerer {lowerer.name!r} returned {type(artifact).__name__}, "
                    "not a SymbolicCompiledArtifact"
                )
        except SymbolicCompilerError:
            raise
        except Exception as e:
            raise SymbolicCompilerError(
                f"{type(e).__name__}: {e}", stage="lowering", pass_name=lowerer.name, cause=e
            ) from shown_cause(e)
        ctx.record(lowerer.name, "lowering", start)
        start = time.perf_counter()
        artifact = artifact.replace(
            cache_key=key,
            analyses=dict(ctx.analyses),
            lowerer_name=lowerer.name,
            cache_hit=False,
            source="lowered",
        )
        ctx.record("artifact_finalization", "finalization", start)
        if store:
            start = time.perf_counter()
            try:
                self.artifact_store.put(key, artifact)
            except Exception as e:
                raise SymbolicCompilerError(
                    f"{type(e).__name__}: {e}",
                    stage="cache_store",
                    pass_name="artifact_store.put",
                    cause=e,
                ) from shown_cause(e)
            ctx.record("cache_store", "finalization", start)
        return artifact.replace(pass_reports=tuple(ctx.pass_reports))


def _emit_validation_warnings(ctx: SymbolicCompilationContext) -> None:
    """Raises the validation warnings that `warnings_as_errors` made errors (also when
    `strict_validation` is False), and emits each validation warning left after the
    options' filters as a Python
    `SymbolicValidationWarning` (a `UserWarning`, its message starting with the code), on
    every compile of the operator (memoized validation included)."""
    summary = ctx.analyses.get("validation_summary") or {}
    name = getattr(ctx.ir, "operator_name", "?")
    promoted = [e for e in summary.get("errors", ()) if not e.startswith("SYMIR-E")]
    if promoted:
        # `warnings_as_errors` asks for an error: with `strict_validation=False` the pass
        # only records it, and recording would drop it silently
        raise SymbolicCompilerError(
            "; ".join(promoted) + " (a warning made an error by warnings_as_errors)",
            stage="pre_cache",
            pass_name=stage_name("symbolic-validation"),
        )
    for text in summary.get("warnings", ()):
        code = text.split()[0]
        warning = SymbolicValidationWarning(
            f"{text} (operator {name!r}; silence it with ignore_warnings=({code!r},))"
        )
        warning.code = code  # type: ignore[attr-defined]
        warnings.warn(warning, stacklevel=4)


_DEFAULT_COMPILERS: dict[SymbolicCompilerOptions, SymbolicCompiler] = {}
_DEFAULT_GUARD = threading.Lock()


def default_compiler(options: SymbolicCompilerOptions | None = None) -> SymbolicCompiler:
    """The process-wide compiler for `options` (all share the default in-memory store)."""
    options = options or SymbolicCompilerOptions()
    with _DEFAULT_GUARD:
        compiler = _DEFAULT_COMPILERS.get(options)
        if compiler is None:
            compiler = _DEFAULT_COMPILERS[options] = SymbolicCompiler(options)
        return compiler
