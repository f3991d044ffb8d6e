"""The default lowering: `sym` -> `branch` -> `stablehlo`, as one composite pass.

`LoweringOptions` is the one options class of the lowering: `SymirLowerPass` (the pass
`symir-lower`, runnable from `symir-opt` and `xdsl-opt`) takes its fields as pass options,
and `symir.compiler.SymbolicCompilerOptions` extends it, so every option of the lowering
can be set from `compile(...)` too. `lower_ir` runs the same passes through xDSL's
`PassPipeline` on a clone of the IR; its callback records the printed IR after each pass
under the level the IR is at (read from the IR, `symir.dialects.level_of`), and what each
pass cost. `lower_derivatives` builds a derivative kernel from the `branch` level that
`lower_ir` recorded (`branch-differentiate`, then `convert-branch-to-stablehlo`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields, replace
from typing import Any

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.parser import Parser
from xdsl.passes import ModulePass, PassPipeline

from symir.dialects import level_of, print_module
from symir.dialects.dominance import check_dominance
from symir.errors import SymbolicCompilerError
from symir.lowering import make_pass


@dataclass(frozen=True)
class LoweringOptions:
    """The options of the default lowering (each switches one pass or sets its option)."""

    x_dtype: str = "auto"
    """Element type of the configurations (`i8`, `i16`, `i32`, `i64` or `auto`)."""
    coalesce_diagonal: bool = True
    """Run `branch-coalesce-diagonal`: every identity-update branch summed into one slot."""
    merge_exclusive_emissions: bool = True
    """Run `branch-merge-exclusive-emissions` (after coalescing, which it must follow so
    that an identity arm of a chain still goes to the diagonal slot)."""
    enable_fusion: bool = True
    """Run `branch-fuse-equal-states` (after merging exclusive emissions): branches with
    provably equal connected states, from any terms, share one slot."""
    sort_summed_rows: bool = True
    """Run `branch-sort-summed-rows` after coalescing (it only changes summation order)."""

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
        names = ["convert-sym-to-branch"]
        if self.coalesce_diagonal:
            names.append("branch-coalesce-diagonal")
        if self.merge_exclusive_emissions:
            names.append("branch-merge-exclusive-emissions")
        if self.enable_fusion:
            names.append("branch-fuse-equal-states")
        if self.coalesce_diagonal and self.sort_summed_rows:
            names.append("branch-sort-summed-rows")
        names += ["cse", "convert-branch-to-stablehlo", "cse"]
        options: dict[str, dict[str, object]] = {
            "convert-sym-to-branch": {"x_dtype": self.x_dtype},
            "branch-fuse-equal-states": {"merge_diagonal": self.coalesce_diagonal},
        }
        return tuple(make_pass(n, **options.get(n, {})) for n in names)


@dataclass(frozen=True)
class SymirLowerPass(LoweringOptions, ModulePass):
    """`symir-lower`: the whole default lowering, `sym` module in, StableHLO `@main` out.

    `symir-opt f.mlir -p 'symir-lower{coalesce_diagonal=false}'` runs it with options.
    """

    name = "symir-lower"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PassPipeline(self.passes()).apply(ctx, op)


@dataclass
class LoweringResult:
    """The printed IR of every level, what each pass cost, and what each pass at the
    `branch` level did to the fan-out (`fanouts`: pass name, F before, F after, bytes
    written per sample before and after) and the reports of `branch-fuse-equal-states`
    (`fusion`: kernel name -> report)."""

    levels: dict[str, str]
    pass_times: dict[str, float] = field(default_factory=dict)
    fanouts: list[dict[str, Any]] = field(default_factory=list)
    fusion: dict[str, Any] = field(default_factory=dict)

    @property
    def stablehlo_text(self) -> str:
        return self.levels["stablehlo"]


def _kernel_size(module: ModuleOp) -> tuple[int, int] | None:
    """F and the bytes per sample of the module's first `branch.kernel`, if it has one."""
    from symir.dialects import branch
    from symir.lowering.branch.branch_fuse_equal_states import bytes_per_sample

    for op in module.ops:
        if isinstance(op, branch.KernelOp):
            ret = op.body.block.last_op
            assert isinstance(ret, branch.ReturnOp)
            f = ret.mels.type.get_shape()[1]  # type: ignore[union-attr]
            return f, bytes_per_sample(op, f)
    return None


class _Recorder:
    """The `PassPipeline` callback: verifies, times and prints the IR after every pass,
    and records how the passes on the `branch` level change the fan-out."""

    def __init__(self, result: LoweringResult):
        self.result = result
        self.running: ModulePass | None = None
        self.start = time.perf_counter()
        self.size: tuple[int, int] | None = None

    def __call__(self, done: ModulePass | None, module: ModuleOp, upcoming: Any) -> None:
        if done is not None:
            module.verify()
            check_dominance(module)
            name = done.name
            k = 2
            while name in self.result.pass_times:  # a pass run twice (`cse`)
                name, k = f"{done.name}#{k}", k + 1
            self.result.pass_times[name] = time.perf_counter() - self.start
            self.result.levels[level_of(module)] = print_module(module)
            self._record_size(name, module)
        self.running = upcoming
        self.start = time.perf_counter()

    def _record_size(self, name: str, module: ModuleOp) -> None:
        from symir.lowering.branch.branch_fuse_equal_states import reports

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
        self.result.fusion.update(reports(module))


def lower_ir(ir: Any, options: LoweringOptions | None = None) -> LoweringResult:
    """Runs the default lowering on a clone of `ir` (a `SymbolicOperatorIR` or a `sym`
    `ModuleOp`, never mutated); failures raise `SymbolicCompilerError` naming the pass."""
    options = (options or LoweringOptions()).lowering_options()
    if isinstance(ir, ModuleOp):
        module, sym_text = ir.clone(), print_module(ir)
    else:
        module, sym_text = ir.module, str(ir)
    result = LoweringResult(levels={"sym": sym_text})
    recorder = _Recorder(result)
    try:
        PassPipeline(options.passes(), recorder).apply(Context(), module)
    except Exception as e:
        failed = recorder.running.name if recorder.running is not None else "lowering"
        raise SymbolicCompilerError(
            f"{type(e).__name__}: {e}", stage="lowering", pass_name=failed
        ) from e
    return result


def lower_derivatives(branch_text: str, order: int = 1) -> LoweringResult:
    """The derivative kernel of order `order` of a lowered operator, from its `branch`
    level (`LoweringResult.levels["branch"]`, after every branch pass): the kernel made
    to return every partial derivative of its matrix elements with respect to its
    parameters up to that order (`branch-differentiate` applied `order` times; the
    layout of the outputs: docs/derivatives.md), lowered by
    `convert-branch-to-stablehlo`. Failures raise `SymbolicCompilerError`."""
    from xdsl.dialects.builtin import Builtin

    from symir.dialects.branch import Branch

    if not isinstance(order, int) or order < 1:
        raise ValueError(f"a derivative kernel has order >= 1, got {order!r}")
    ctx = Context()
    ctx.load_dialect(Builtin)
    ctx.load_dialect(Branch)
    module = Parser(ctx, branch_text).parse_module()
    passes = [make_pass("branch-differentiate") for _ in range(order)]
    passes.append(make_pass("convert-branch-to-stablehlo"))
    result = LoweringResult(levels={"branch": branch_text})
    recorder = _Recorder(result)
    try:
        PassPipeline(tuple(passes), recorder).apply(ctx, module)
    except Exception as e:
        failed = recorder.running.name if recorder.running is not None else "lowering"
        raise SymbolicCompilerError(
            f"{type(e).__name__}: {e}", stage="derivatives", pass_name=failed
        ) from e
    return result
