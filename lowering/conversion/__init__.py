"""`symir.lowering.conversion`: the passes that change level.

- `convert_sym_to_branch.py`: `convert-sym-to-branch`, a `sym.operator` -> a
  `branch.kernel`;
- `convert_branch_to_stablehlo.py`: `convert-branch-to-stablehlo`, a `branch.kernel` ->
  a StableHLO `func.func @main`: the patterns, one per `branch` op, and the pass. They
  share one `KernelLowering` (`kernel_state.py`: the state model, what a lowered
  `!branch.state` is, with its write records), which is a `StablehloBuilder`
  (`stablehlo_builder.py`: builds each constant, shape, broadcast and read once). The ops
  that expand to many StableHLO ops have their lowering in a module of their own:
  `count_lowering.py`, `nth_site_lowering.py`, `lookup_lowering.py`,
  `quadratic_form_lowering.py`, `site_mask_lowering.py`; `row_uniform.py` computes the
  values that are the same in every row once per sample.

Each has one rewrite pattern per source op. Adding a conversion: `convert_a_to_b.py` with
a `ModulePass` named `convert-a-to-b`, ONE line in `_PASSES` (symir.lowering), the lit file
tests/lit/lowering/conversion/convert-a-to-b.mlir and a section in docs/passes.md
(docs/adding-a-pass.md). Lowering one more op: a pattern for it in the conversion of its
level and a case in that conversion's lit file; every conversion is checked against the
reference interpreter by tests/unit/lowering/test_differential.py.
"""
