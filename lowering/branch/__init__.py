"""`symir.lowering.branch`: optimisations of the `branch` level (`branch` -> `branch`).

- `branch_coalesce_diagonal.py`: `branch-coalesce-diagonal`, every identity-update
  branch summed into one slot;
- `branch_merge_exclusive_emissions.py`: `branch-merge-exclusive-emissions`, provably
  exclusive emissions of a term share one set of slots;
- `branch_sort_summed_rows.py`: `branch-sort-summed-rows`, rows that are only summed
  sorted so their reads become slices;
- `_kernel_outputs.py`: reading and replacing the emissions a kernel returns.

A pass here may change how branches are laid out only with a proof (docs/semantics.md).
Adding a pass: `branch_foo.py` with a `ModulePass` named `branch-foo`, ONE line in
`_PASSES` (symir.lowering), tests/lit/lowering/branch/branch-foo.mlir and a section in
docs/passes.md (docs/adding-a-pass.md); if the default lowering should run it, an option
in `LoweringOptions` (lowering/pipelines.py).
"""
