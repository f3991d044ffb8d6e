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
from dataclasses import dataclass, field, fields
from typing import Any

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.parser import Parser
from xdsl.passes import ModulePass, PassPipeline

from symir.dialects import level_of, print_module
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
    sort_summed_rows: bool = True
    """Run `branch-sort-summed-rows` after coalescing (it only changes summation order)."""

    def lowering_options(self) -> LoweringOptions:
        """Just the lowering's options (also of a subclass that adds its own fields)."""
        return LoweringOptions(**{f.name: getattr(self, f.name) for f in fields(LoweringOptions)})

    def passes(self) -> tuple[ModulePass, ...]:
        """The passes of the default lowering for these options, in order."""
        names = ["convert-sym-to-branch"]
        if self.coalesce_diagonal:
            names.append("branch-coalesce-diagonal")
        if self.merge_exclusive_emissions:
            names.append("branch-merge-exclusive-emissions")
        if self.coalesce_diagonal and self.sort_summed_rows:
            names.append("branch-sort-summed-rows")
        names.append("convert-branch-to-stablehlo")
        return tuple(
            make_pass(n, x_dtype=self.x_dtype) if n == "convert-sym-to-branch" else make_pass(n)
            for n in names
        )


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
    """The printed IR of every level and what each pass cost."""

    levels: dict[str, str]
    pass_times: dict[str, float] = field(default_factory=dict)

    @property
    def stablehlo_text(self) -> str:
        return self.levels["stablehlo"]


class _Recorder:
    """The `PassPipeline` callback: verifies, times and prints the IR after every pass."""

    def __init__(self, result: LoweringResult):
        self.result = result
        self.running: ModulePass | None = None
        self.start = time.perf_counter()

    def __call__(self, done: ModulePass | None, module: ModuleOp, upcoming: Any) -> None:
        if done is not None:
            module.verify()
            self.result.pass_times[done.name] = time.perf_counter() - self.start
            self.result.levels[level_of(module)] = print_module(module)
        self.running = upcoming
        self.start = time.perf_counter()


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
