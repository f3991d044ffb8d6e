"""`symir.lowering.branch`: optimisations of the `branch` level (`branch` -> `branch`).

- `branch_coalesce_diagonal.py`: `branch-coalesce-diagonal`, every identity-update
  branch summed into one slot;
- `branch_merge_exclusive_emissions.py`: `branch-merge-exclusive-emissions`, provably
  exclusive emissions of a term share one set of slots;
- `branch_sort_summed_rows.py`: `branch-sort-summed-rows`, rows that are only summed
  sorted so their reads become slices;
- `branch_sort_rows.py`: `branch-sort-rows`, each term's rows (emitted too) in the order
  whose reads are cheapest;
- `branch_return_deltas.py`: `branch-return-deltas`, the delta kernel (per slot the
  sites a branch writes and their values instead of `xp`; run by the runtime for
  `get_conn_delta`, not in the default lowering);
- `branch_choose_lowering.py`: `branch-choose-lowering`, how each read and diagonal sum
  becomes StableHLO (reads annotated, diagonal sums as `branch.quadratic_form`);
- `cost_model.py`: the per-target cost estimates both consult (docs/cost-model.md);
- `_polynomial.py`: row values as polynomials in the reads (quadratic forms);
- `_kernel_outputs.py`: reading and replacing the emissions a kernel returns.

A pass here may change how branches are laid out only with a proof (docs/semantics.md).
Adding a pass: `branch_foo.py` with a `ModulePass` named `branch-foo`, ONE line in
`_PASSES` (symir.lowering), tests/lit/lowering/branch/branch-foo.mlir and a section in
docs/passes.md (docs/adding-a-pass.md); if the default lowering should run it, an option
in `LoweringOptions` (lowering/pipelines.py).
"""
