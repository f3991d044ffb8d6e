"""The default lowering: `sym` -> `branch` -> `stablehlo`, as one composite pass.

`LoweringOptions` is the one options class of the lowering: `SymirLowerPass` (the pass
`symir-lower`, runnable from `symir-opt` and `xdsl-opt`) takes its fields as pass options,
and `symir.compiler.SymbolicCompilerOptions` extends it, so every option of the lowering
can be set from `compile(...)` too. `lower_ir` runs the same passes through xDSL's
`PassPipeline` on a clone of the IR; its callback records what each pass cost and, at
the end of each level, verifies the IR and keeps it under its level (read from the IR,
`symir.dialects.level_of`), to be printed when it is read (`LazyLevels`).
`lower_derivatives` builds a derivative kernel from the `branch` level that `lower_ir`
recorded (`branch-differentiate`, then `convert-branch-to-stablehlo`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.parser import Parser
from xdsl.passes import ModulePass, PassPipeline

from symir.dialects import level_of, print_module
from symir.dialects.dominance import check_dominance
from symir.errors import SymbolicCompilerError, shown_cause
from symir.lowering import make_pass
from symir.lowering.levels import LevelCheck, check_levels, pass_levels
from symir.lowering.unchanged import forget_marks, left_as

VERIFY_ALL = os.environ.get("SYMIR_VERIFY_ALL", "").lower() not in ("", "0", "false")
"""`SYMIR_VERIFY_ALL=1` (the tests set it): xDSL's verifiers run on every level even
where another check covers it (the StableHLO that jaxlib's verifier reads next, a
`sym` module already verified; docs/compiler.md#verification)."""


@dataclass(frozen=True)
class LoweringOptions:
    """The options of the default lowering (each switches one pass or sets its option)."""

    x_dtype: str = "auto"
    """Element type of the configurations (`i8`, `i16`, `i32`, `i64` or `auto`)."""
    lift_constant_sites: bool = True
    """Run `sym-lift-constant-sites` first: constant sites (`globally()` with fixed
    sites) become columns of the row table, so that `sym-merge-row-terms` can merge
    terms that differ only in them."""
    tabulate_terms: bool = True
    """Run `sym-tabulate-terms` after `sym-lift-constant-sites`: terms of one shape that
    differ only in constants (an operator written one term at a time) become one term
    iterating a table, where the cost model finds that it pays (docs/passes.md)."""
    merge_row_terms: bool = True
    """Run `sym-merge-row-terms` first: terms equal but for their row tables (a model
    written one bond at a time) become one term with the concatenated table."""
    coalesce_diagonal: bool = True
    """Run `branch-coalesce-diagonal`: every identity-update branch summed into one slot."""
    merge_exclusive_emissions: bool = True
    """Run `branch-merge-exclusive-emissions` (after coalescing, which it must follow so
    that an identity arm of a chain still goes to the diagonal slot)."""
    enable_fusion: bool = True
    """Run `branch-fuse-equal-states` (after merging exclusive emissions): branches with
    provably equal connected states, from any terms, share one slot."""
    force_fusion: tuple[str, ...] = ()
    """The merge groups `branch-fuse-equal-states` applies, exactly (its option
    `groups`): each the emissions of one slot joined by `+`, as the fusion report prints
    them (`metadata["fusion"]["merged"]`), to replay or force a decision; a group that
    cannot be merged soundly is refused. Empty: every provable merge."""
    sort_summed_rows: bool = True
    """Run `branch-sort-summed-rows` after coalescing (it only changes summation order)."""
    sort_rows: bool = True
    """Run `branch-sort-rows` after coalescing and merging: each term's rows (emitted
    ones too: the branches are a multiset) in the order whose reads are cheapest."""
    target: str = "auto"
    """What `branch-sort-rows` and `branch-choose-lowering` cost their choices for: `cpu`, `gpu`, or `auto` (the
    backend of JAX when JAX is imported, else `cpu`); docs/cost-model.md."""
    read_lowering: str = "auto"
    """How reads of row-table columns are lowered: `auto` (the cheapest by the cost
    model) or one of `x`, `slices`, `take`, `permuted`, `gather` forced (experiments)."""
    diagonal_lowering: str = "auto"
    """Diagonal sums that are quadratic forms: `auto` (by cost), `rows` (as written),
    `dense` (always the quadratic form, `x^T A x`)."""
    state_lowering: str = "auto"
    """How the rows of the states (the connected configurations) are lowered: `auto`
    (by the target), or `concat`, `merged`, `projected` forced (docs/cost-model.md)."""
    narrow_integers: bool = True
    """`convert-branch-to-stablehlo{narrow_integers}`: the kernel's `i64` integers that
    provably fit computed in `i32` (the same results; lowering/conversion/narrow_integers.py)."""
    outline_constants: bool = True
    """Run `stablehlo-outline-constants` last: the large constant tables of the kernel
    (a table-driven term's sites, masks and coefficients) become arguments of `@main`,
    their values kept beside the text and passed by the runtime at every call, so that
    the StableHLO text does not grow with the number of terms of one shape."""
    pipeline: str = "symir-lower"
    """The pass pipeline the lowering runs, in `symir-opt -p` syntax
    (`symir.lowering.pipeline_text`): `symir-lower` is the default lowering for these
    options, `symir-lower{after=branch-fuse-equal-states:my-pass}` inserts a pass into
    it, and any registered pass (a plugin package's too) can be named. Part of the
    cache key."""

    def resolved_target(self) -> str:
        """`target`, with `auto` resolved (`cpu` or `gpu`)."""
        from symir.lowering.branch.cost_model import resolve_target

        return resolve_target(self.target)

    def lowering_options(self) -> LoweringOptions:
        """Just the lowering's options (also of a subclass that adds its own fields)."""
        return LoweringOptions(**{f.name: getattr(self, f.name) for f in fields(LoweringOptions)})

    def effective(self) -> LoweringOptions:
        """These options with every option of a pass that another option switches off
        set to its default (two option sets with equal `effective()` lower alike)."""
        if self.coalesce_diagonal:
            return self.lowering_options()
        return replace(self.lowering_options(), sort_summed_rows=True)

    def passes(self) -> tuple[ModulePass, ...]:
        """The passes of the default lowering for these options, in order."""
        names = ["sym-lift-constant-sites"] if self.lift_constant_sites else []
        names += ["sym-tabulate-terms"] if self.tabulate_terms else []
        names += ["sym-merge-row-terms"] if self.merge_row_terms else []
        names.append("convert-sym-to-branch")
        if self.coalesce_diagonal:
            names.append("branch-coalesce-diagonal")
        if self.merge_exclusive_emissions:
            names.append("branch-merge-exclusive-emissions")
        if self.enable_fusion:
            names.append("branch-fuse-equal-states")
        if self.sort_rows:
            names.append("branch-sort-rows")
        if self.coalesce_diagonal and self.sort_summed_rows:
            names.append("branch-sort-summed-rows")
        names += ["cse", "branch-choose-lowering", "convert-branch-to-stablehlo", "cse"]
        names += ["stablehlo-outline-constants"] if self.outline_constants else []
        options: dict[str, dict[str, object]] = {
            "convert-sym-to-branch": {"x_dtype": self.x_dtype},
            "convert-branch-to-stablehlo": {
                "narrow_integers": self.narrow_integers,
                "target": self.target,
            },
            "branch-fuse-equal-states": {
                "merge_diagonal": self.coalesce_diagonal,
                "groups": tuple(self.force_fusion),
            },
            "branch-sort-rows": {"target": self.target},
            "branch-choose-lowering": {
                "target": self.target,
                "reads": self.read_lowering,
                "diagonal": self.diagonal_lowering,
                "states": self.state_lowering,
            },
        }
        return tuple(make_pass(n, **options.get(n, {})) for n in names)


@dataclass(frozen=True)
class SymirLowerPass(LoweringOptions, ModulePass):
    """`symir-lower`: the whole default lowering, `sym` module in, StableHLO `@main` out.

    `symir-opt f.mlir -p 'symir-lower{coalesce_diagonal=false}'` runs it with options;
    `symir-lower{after=branch-fuse-equal-states:my-pass}` (or `before=`) inserts passes.
    """

    name = "symir-lower"
    level = "sym"
    result_level = "stablehlo"

    after: tuple[str, ...] = ()
    """`ANCHOR:PASSES` insertions right after the pass ANCHOR of the default lowering."""
    before: tuple[str, ...] = ()
    """`ANCHOR:PASSES` insertions right before the pass ANCHOR of the default lowering."""

    def __post_init__(self) -> None:
        if self.pipeline != "symir-lower":
            raise ValueError(
                "symir-lower takes no 'pipeline' option: write the pipeline itself "
                "(symir-opt -p, compile(pipeline=...))"
            )
        if self.force_fusion and not self.enable_fusion:
            raise ValueError(
                f"symir-lower: force_fusion={list(self.force_fusion)} names groups to merge, "
                "but enable_fusion=false turns the fusion pass off: give one or the other"
            )

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        from symir.lowering.levels import LevelCheck
        from symir.lowering.pipeline_text import expand

        PassPipeline(expand([self]), LevelCheck()).apply(ctx, op)


class LazyLevels(Mapping[str, str]):
    """The printed IR of each level, printed on first access.

    A level is kept as a thunk (the module of that level, a private copy, and the
    printer); printing a big module costs more than any pass, and most compiles never
    read the `sym` or `branch` text. Read-only; `dict(levels)` prints every level."""

    def __init__(self, thunks: dict[str, Callable[[], str]] | None = None):
        self._thunks: dict[str, Callable[[], str]] = dict(thunks or {})
        self._texts: dict[str, str] = {}
        self._after: dict[str, Callable[[], str]] = {}

    def set(self, level: str, thunk: Callable[[], str]) -> None:
        self._thunks[level] = thunk
        self._texts.pop(level, None)

    def set_after(self, pass_key: str, thunk: Callable[[], str]) -> None:
        """Keep the IR after the pass `pass_key` (its name; `cse#2` for a second run)."""
        self._after[pass_key] = thunk
        self._texts.pop(f"after:{pass_key}", None)

    @property
    def after(self) -> list[str]:
        """The passes whose output can be read (`levels[name]`), in the order they ran."""
        return list(self._after)

    def __getitem__(self, level: str) -> str:
        """The IR of `level`, or the IR after the pass named `level` (`after`)."""
        if level not in self._thunks and level in self._after:
            key = f"after:{level}"
            text = self._texts.get(key)
            if text is None:
                text = self._texts[key] = self._after[level]()
            return text
        text = self._texts.get(level)
        if text is None:
            text = self._texts[level] = self._thunks[level]()
        return text

    def __contains__(self, level: object) -> bool:
        return level in self._thunks  # without printing it

    def __iter__(self) -> Iterator[str]:
        return iter(self._thunks)

    def __len__(self) -> int:
        return len(self._thunks)

    def __repr__(self) -> str:
        return f"LazyLevels({list(self._thunks)})"


def _printer(module: ModuleOp) -> Callable[[], str]:
    return lambda: print_module(module)


@dataclass
class LoweringResult:
    """The printed IR of every level (printed when read), what each pass cost, and what
    each pass at the `branch` level did to the fan-out (`fanouts`: pass name, F before, F
    after, bytes written per sample before and after) and the reports of
    `branch-fuse-equal-states` (`fusion`: kernel name -> report)."""

    levels: LazyLevels
    pass_times: dict[str, float] = field(default_factory=dict)
    fanouts: list[dict[str, Any]] = field(default_factory=list)
    fusion: dict[str, Any] = field(default_factory=dict)
    merged_row_terms: dict[str, list[str]] = field(default_factory=dict)
    """What `sym-merge-row-terms` merged: kept term -> the terms it absorbed."""
    tabulation: dict[str, Any] = field(default_factory=dict)
    """The report of `sym-tabulate-terms` (`terms`, `tabulated`, `decisions`)."""
    constants: tuple[Any, ...] = ()
    """The values of the tables `stablehlo-outline-constants` made arguments of `@main`
    (numpy arrays, in argument order): the caller binds them at every call."""
    modules: dict[str, ModuleOp] = field(default_factory=dict)
    """The module at the end of each level but the last (a private copy, never mutated):
    `modules["branch"]` is the `branch` level after every branch pass, from which the
    derivative and delta kernels are made (`symir.lowering.derived_kernels`)."""

    @property
    def stablehlo_text(self) -> str:
        return self.levels["stablehlo"]


def _changes_level(p: ModulePass | None) -> bool:
    """Whether `p` changes level (a conversion: `symir.lowering.levels.pass_levels`),
    or is the end of the pipeline (None)."""
    if p is None:
        return True
    reads, leaves = pass_levels(p)
    return reads != leaves


def _kernel_size(module: ModuleOp) -> tuple[int, int] | None:
    """F and the bytes per sample of the module's first `branch.kernel`, if it has one
    (and returns `xp`: not a delta kernel)."""
    from symir.dialects import branch
    from symir.lowering.branch.branch_fuse_equal_states import bytes_per_sample

    for op in module.ops:
        if isinstance(op, branch.KernelOp):
            ret = op.body.block.last_op
            if not isinstance(ret, branch.ReturnOp):
                return None
            f = ret.mels.type.get_shape()[1]  # type: ignore[union-attr]
            return f, bytes_per_sample(op, f)
    return None


class _Recorder:
    """The `PassPipeline` callback: times every pass; at the end of each level (before a
    conversion, and after the last pass) verifies the module (verifiers and SSA
    dominance) and keeps it to be printed on demand: a copy, since the next passes
    transform the module in place. With `verify_each` every pass's result is verified,
    so that a failure names the pass that broke the IR, not the last one of its level.
    Without `verify_last` the last level is not verified (its reader verifies it: the
    compiler's StableHLO, which jaxlib parses and verifies), unless `VERIFY_ALL`.

    With `input_verified` (the input module was verified, by its maker), a first level
    whose every pass said it left the module unchanged or verified what it changed
    (`symir.lowering.unchanged`) is not verified again (unless `VERIFY_ALL`); one that
    every pass left unchanged is not copied either: it is the input, printed from
    `source` (or the level's entry already in `levels`) and not in `modules`."""

    def __init__(
        self,
        result: LoweringResult,
        verify_each: bool = False,
        record_each: bool = False,
        verify_last: bool = True,
        input_verified: bool = False,
        source: Callable[[], ModuleOp] | None = None,
    ):
        self.result = result
        self.unchanged = self.verified = input_verified
        """No pass has changed the verified input so far; it is still verified (no
        pass changed it without verifying what it changed)."""
        self.source = source
        self.verify_each = verify_each
        self.verify_last = verify_last or VERIFY_ALL
        self.record_each = record_each
        self.check = LevelCheck()
        self.running: ModulePass | None = None
        self.start = time.perf_counter()
        self.size: tuple[int, int] | None = None

    def __call__(self, done: ModulePass | None, module: ModuleOp, upcoming: Any) -> None:
        if done is not None:
            name = done.name
            k = 2
            while name in self.result.pass_times:  # a pass run twice (`cse`)
                name, k = f"{done.name}#{k}", k + 1
            self.result.pass_times[name] = time.perf_counter() - self.start
            said = left_as(module, done)
            self.unchanged = self.unchanged and said == "unchanged"
            self.verified = self.verified and said is not None
            ends = _changes_level(upcoming) and (upcoming is not None or self.verify_last)
            if (self.verify_each or ends) and (VERIFY_ALL or not self.verified):
                module.verify()
                check_dominance(module)
            if _changes_level(upcoming):
                self._keep_level(module, upcoming)
            if self.record_each:
                kept = module if upcoming is None else module.clone()
                self.result.levels.set_after(name, _printer(kept))
            self._record_size(name, module)
            self._record_reports(module)
        self.running = upcoming
        forget_marks(module)  # a mark left by a run outside this pipeline
        self.check(done, module, upcoming)
        self.start = time.perf_counter()

    def _keep_level(self, module: ModuleOp, upcoming: ModulePass | None) -> None:
        """Keeps the level that ends (for `levels` and `modules`): the input when no pass
        changed it and it can be printed without a copy, else a copy of the module (the
        module itself at the end)."""
        level = level_of(module)
        source = self.source
        if self.unchanged and upcoming is not None:
            if level not in self.result.levels and source is not None:
                self.result.levels.set(level, lambda: print_module(source()))
            if level in self.result.levels:
                return
        kept = module if upcoming is None else module.clone()
        self.result.levels.set(level, _printer(kept))
        if upcoming is not None:
            self.result.modules[level] = kept

    def _record_size(self, name: str, module: ModuleOp) -> None:
        size = _kernel_size(module)
        if size is not None and self.size is not None:
            self.result.fanouts.append(
                {
                    "pass": name,
                    "fanout": [self.size[0], size[0]],
                    "bytes_per_sample": [self.size[1], size[1]],
                }
            )
        self.size = size

    def _record_reports(self, module: ModuleOp) -> None:
        """The reports that passes leave on the module (`branch-fuse-equal-states`,
        `sym-merge-row-terms`)."""
        from symir.lowering.branch.branch_fuse_equal_states import reports
        from symir.lowering.stablehlo.stablehlo_outline_constants import outlined_constants
        from symir.lowering.sym.sym_merge_row_terms import merged_row_terms
        from symir.lowering.sym.sym_tabulate_terms import tabulation

        self.result.constants = outlined_constants(module)
        self.result.fusion.update(reports(module))
        self.result.merged_row_terms.update(merged_row_terms(module))
        self.result.tabulation.update(tabulation(module))


def place_by_level(
    passes: Sequence[ModulePass], extra: Sequence[ModulePass]
) -> tuple[ModulePass, ...]:
    """`passes` (a lowering) with each pass of `extra` placed at the end of the
    optimisations of the level it reads (`symir.lowering.levels.pass_levels`): a `branch`
    pass right before `branch-choose-lowering` (after every `branch` optimisation of the
    default lowering; before the conversion out of `branch` if there is no such pass),
    a `stablehlo` pass at the end (after `stablehlo-outline-constants`: it sees the
    kernel's large tables as arguments of `@main`), a `sym` pass before the conversion out of `sym`. A
    pass of no declared level is refused (where it would run is not known)."""
    out = list(passes)
    for p in extra:
        reads, _ = pass_levels(p)
        if reads is None:
            raise ValueError(
                f"pass '{p.name}' declares no level (class attribute `level`, or a name "
                "`sym-...`/`branch-...`/`stablehlo-...`): say where it runs with a "
                "pipeline instead (`symir-lower{after=ANCHOR:" + p.name + "}`)"
            )
        if reads == "stablehlo":
            out.append(p)
            continue
        names = [q.name for q in out]
        at = None
        if reads == "branch" and "branch-choose-lowering" in names:
            at = names.index("branch-choose-lowering")
        else:
            for i, q in enumerate(out):
                if pass_levels(q)[0] == reads and _changes_level(q):
                    at = i
                    break
        if at is None:
            raise ValueError(f"the lowering has no '{reads}' level to run pass '{p.name}' on")
        out.insert(at, p)
    return tuple(out)


def lowering_passes(
    options: LoweringOptions | None = None, extra: Sequence[ModulePass] = ()
) -> tuple[ModulePass, ...]:
    """The passes `lower_ir` runs for `options` (its `pipeline`, `symir-lower` expanded
    for these options) with `extra` placed by level (`place_by_level`); raises
    `PipelineError` for a pipeline that cannot be built."""
    from symir.lowering.pipeline_text import PipelineError, build_pipeline

    options = options or LoweringOptions()
    passes = build_pipeline(options.pipeline, options)
    try:
        return place_by_level(passes, extra) if extra else passes
    except ValueError as e:
        raise PipelineError(str(e)) from None


def lower_ir(
    ir: Any,
    options: LoweringOptions | None = None,
    *,
    verify_each: bool = False,
    in_place: bool = False,
    record_each: bool = False,
    extra_passes: Sequence[ModulePass] = (),
    source: Callable[[], ModuleOp] | None = None,
    verify_last: bool = True,
    input_verified: bool = False,
) -> LoweringResult:
    """Runs the lowering (`options.pipeline`, by default the default lowering
    `symir-lower`; a `LoweringOptions` subclass that overrides `passes()` is obeyed)
    on a clone of `ir` (a `SymbolicOperatorIR` or a `sym` `ModuleOp`, never mutated);
    failures raise `SymbolicCompilerError` naming the pass (with `verify_each`, the pass
    whose output fails the verifiers; otherwise the IR is verified at the end of each
    level, and a failure there names that level's last pass). The pipeline is checked
    before it runs (`stage="pipeline"`): every pass must get the level it reads, and it
    must end at `stablehlo`. With `in_place`, a `ModuleOp` is lowered itself, not a
    clone (the caller's private copy, which ends as the StableHLO module; the
    compiler's lowerer does this). `extra_passes` are placed by level
    (`place_by_level`). Without `verify_last`, the StableHLO level is left to its reader
    to verify (the compiler's lowerer: jaxlib parses and verifies it; `VERIFY_ALL`
    verifies it anyway). With `input_verified` (the caller verified the `ModuleOp`; a
    `SymbolicOperatorIR` says it itself), the first level is not verified again nor
    copied when every pass of it says it left the module unchanged
    (`symir.lowering.unchanged`; `VERIFY_ALL` verifies it anyway).

    The IR after every pass is in `levels` under the pass's name (`levels.after` lists
    them; `cse#2` is the second `cse`): kept as the passes run with `record_each`,
    otherwise printed on first read by lowering again a copy of the input (`source`
    gives it when `in_place`; without it there are none)."""
    from symir.lowering.pipeline_text import PipelineError

    options = options or LoweringOptions()
    levels: dict[str, Callable[[], str]] = {}
    if isinstance(ir, ModuleOp) and in_place:
        module = ir  # its `sym` level is kept when the level ends, as every level is
    elif isinstance(ir, ModuleOp):
        module, kept = ir.clone(), ir.clone()
        levels["sym"] = _printer(kept)
        source = source or kept.clone
    else:
        module = ir.module
        levels["sym"] = ir.__str__
        input_verified = input_verified or getattr(ir, "verified", False)
        source = source or ir.readonly_module().clone
    try:
        passes = lowering_passes(options, extra_passes)
        check_levels(passes, start=level_of(module), end="stablehlo")
    except (PipelineError, ValueError) as e:
        raise SymbolicCompilerError(
            str(e), stage="pipeline", pass_name=options.pipeline, cause=e
        ) from shown_cause(e)
    result = LoweringResult(levels=LazyLevels(levels))
    recorder = _Recorder(result, verify_each, record_each, verify_last, input_verified, source)
    try:
        PassPipeline(passes, recorder).apply(_context(), module)
    except Exception as e:
        failed = recorder.running.name if recorder.running is not None else "lowering"
        raise SymbolicCompilerError(
            _failure(e), stage="lowering", pass_name=failed, cause=e
        ) from shown_cause(e)
    _check_padded_kernel(result, options)
    if not record_each and source is not None:
        _relower_on_read(result, source, options, extra_passes)
    return result


def _check_padded_kernel(result: LoweringResult, options: LoweringOptions) -> None:
    """Refuses a pipeline whose `branch` level ends in a delta kernel
    (`branch.return_deltas`, made by `branch-return-deltas`): its StableHLO returns the
    written sites and their values where the operator's kernel returns `xp`, and the
    runtime read them as `xp` (a bare reshape error of JAX at the first call, sweep 27).
    The delta kernel is made from the `branch` level by `get_conn_delta` itself
    (`lower_deltas`); a `SymbolicCompilerError` of stage `pipeline`."""
    from symir.dialects import branch

    module = result.modules.get("branch")
    kernels = [op for op in module.ops if isinstance(op, branch.KernelOp)] if module else []
    if any(isinstance(k.body.block.last_op, branch.ReturnDeltasOp) for k in kernels):
        raise SymbolicCompilerError(
            "the pipeline makes a delta kernel ('branch.return_deltas', the pass "
            "'branch-return-deltas'), not the operator's kernel, which returns the "
            "connected states: leave 'branch-return-deltas' out (get_conn_delta makes the "
            "delta kernel itself)",
            stage="pipeline",
            pass_name=options.pipeline,
        )


def _relower_on_read(
    result: LoweringResult,
    source: Callable[[], ModuleOp],
    options: LoweringOptions,
    extra: Sequence[ModulePass],
) -> None:
    """Entries `levels[pass]` that lower `source()` again, keeping every pass's IR, when
    the first of them is read (the lowering is deterministic)."""
    memo: list[LazyLevels] = []

    def after(key: str) -> str:
        if not memo:
            again = lower_ir(source(), options, in_place=True, record_each=True, extra_passes=extra)
            memo.append(again.levels)
        return memo[0][key]

    for key in result.pass_times:
        result.levels.set_after(key, lambda key=key: after(key))


def _context() -> Context:
    """The context the passes get: plugin packages' dialects registered (lazily)."""
    from symir.lowering import plugin_universes

    ctx = Context()
    for universe in plugin_universes().values():
        for name, factory in universe.all_dialects.items():
            if name not in ctx.registered_dialect_names:
                ctx.register_dialect(name, factory)
    return ctx


_TO_STABLEHLO = "convert-branch-to-stablehlo{narrow_integers=true}"
"""The conversion of the kernels made from a `branch` level (derivatives, tables,
deltas): with `narrow_integers`, as the default lowering of the main kernel, whatever
options that lowering had (the results are the same). Without it a molecule's delta
kernel computed its slots' sites in `i64` (H2O 6-31G, 1,024 samples: `get_conn_delta`
about 102 ms of CPU against 84 with it)."""


def lower_derivatives(branch: ModuleOp | str, order: int = 1) -> LoweringResult:
    """The derivative kernel of order `order` of a lowered operator, from its `branch`
    level (`LoweringResult.modules["branch"]`, after every branch pass, never mutated; or
    its printed text): the kernel made
    to return every partial derivative of its matrix elements with respect to its
    parameters up to that order (`branch-differentiate` applied `order` times; the
    layout of the outputs: docs/derivatives.md), lowered by
    `convert-branch-to-stablehlo`. Failures raise `SymbolicCompilerError`."""
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"a derivative kernel has order >= 1, got {order!r}")
    passes = ["branch-differentiate"] * order + [_TO_STABLEHLO]
    return _lower_branch(branch, passes, "derivatives")


def lower_table_derivatives(branch: ModuleOp | str) -> tuple[LoweringResult, tuple[str, ...]]:
    """The table-derivative kernel of a lowered operator, from its `branch` level (as
    `lower_derivatives`), and the names of its records: `branch-differentiate{tables=
    true}` makes it return, after `xp` and `mels`, the records from which the derivative
    of the matrix elements with respect to its table parameters is formed
    (`branch_differentiate.read_records`), lowered by `convert-branch-to-stablehlo`."""
    passes = ["branch-differentiate{tables=true}", _TO_STABLEHLO]
    result = _lower_branch(branch, passes, "derivatives")
    from symir.dialects import branch as branch_dialect

    # the kernel the first pass made: its records are named by its `branch.return`
    returns = [
        op for op in result.modules["branch"].walk() if isinstance(op, branch_dialect.ReturnOp)
    ]
    return result, returns[-1].wrt_names if returns else ()


def lower_deltas(branch: ModuleOp | str, order: int = 0) -> LoweringResult:
    """The delta kernel of a lowered operator, from its `branch` level (as
    `lower_derivatives`): `branch-return-deltas` makes it return, per slot, the sites its
    branch writes and the values there instead of `xp` (docs/runtime.md), after
    `branch-differentiate` applied `order` times for the derivatives of the matrix
    elements; lowered by `convert-branch-to-stablehlo`. Failures (an operator whose
    kernel cannot give deltas) raise `SymbolicCompilerError` of stage `deltas`."""
    if not isinstance(order, int) or order < 0:
        raise ValueError(f"a delta kernel has derivative order >= 0, got {order!r}")
    passes = ["branch-differentiate"] * order
    passes += ["branch-return-deltas", _TO_STABLEHLO]
    return _lower_branch(branch, passes, "deltas")


def _lower_branch(branch: ModuleOp | str, names: Sequence[str], stage: str) -> LoweringResult:
    """The passes `names` run on a copy of a `branch` module (or on the module a printed
    one parses to); a failure is a `SymbolicCompilerError` of `stage` naming the pass."""
    from xdsl.dialects.builtin import Builtin

    from symir.dialects.branch import Branch

    ctx = Context()
    ctx.load_dialect(Builtin)
    ctx.load_dialect(Branch)
    result = LoweringResult(levels=LazyLevels())
    recorder = _Recorder(result)
    try:
        if isinstance(branch, ModuleOp):
            module = branch.clone()
        else:
            module = Parser(ctx, branch).parse_module()
        passes = tuple(_named_pass(name) for name in names)
        PassPipeline(passes, recorder).apply(ctx, module)
    except Exception as e:
        failed = recorder.running.name if recorder.running is not None else "lowering"
        raise SymbolicCompilerError(
            _failure(e), stage=stage, pass_name=failed, cause=e
        ) from shown_cause(e)
    return result


def _named_pass(spelling: str) -> ModulePass:
    """`name` or `name{option=true}` (a boolean option) as the pass it names."""
    name, _, rest = spelling.partition("{")
    options = dict(item.split("=") for item in rest.rstrip("}").split(",") if item)
    return make_pass(name, **{k: v == "true" for k, v in options.items()})


def _failure(error: Exception) -> str:
    """A pass's exception as the compiler reports it: with the op it was rewriting
    (`symir.dialects.locations.located_failure`) when a pattern recorded one."""
    from symir.dialects.locations import located_failure

    return (
        getattr(error, "located", None)
        or located_failure(error)
        or (f"{type(error).__name__}: {error}")
    )
