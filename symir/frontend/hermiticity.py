"""`SymbolicOperator.is_hermitian` for an operator not declared hermitian: what symir
can establish, and how (docs/semantics.md#the-hermitian-flag).

1. *Proved, for every parameter value*: the conjugate transpose `op.H` (built by the
   adjoint machinery of symir/frontend/product.py, where every update program has a
   provable inverse) compiles to the same fused kernel as `op` (equal StableHLO text,
   the two compiled under one name). Equal kernels are equal matrices.
2. *Verified on every basis state*: an operator without parameters on a space of at
   most `EXHAUSTIVE_STATES` states whose matrix equals its conjugate transpose (to
   rounding: `1e-12` relative to the largest element).
3. Otherwise it is not hermitian as far as symir can tell: `op.H` cannot be built (an
   update without a provable inverse, e.g. `affine`), or the kernels differ (the same
   operator written in another order, a `x_j != x_i` for `x_i != x_j`, differs as a
   kernel), or the space is too large to check. Declare it (`hermitian=True`) when you
   know better: a declaration is a promise that nothing checks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symir.errors import SymbolicError

EXHAUSTIVE_STATES = 4096
"""The largest space whose matrix is compared with its conjugate transpose."""


def prove_hermitian(op: Any) -> tuple[bool, str]:
    """`(hermitian, how)` for a `SymbolicOperator` (see the module docstring)."""
    if op.hermitian:
        return True, "declared hermitian=True (a promise nothing checks)"
    try:
        adjoint = op.H
    except (SymbolicError, ValueError, NotImplementedError) as e:
        return False, f"not proved: the conjugate transpose cannot be built ({e})"
    same_name = op._derived(op.name, adjoint.terms, dtype=op.dtype, hermitian=op.hermitian)
    kernel = op.compile()
    if same_name.compile().stablehlo_text == kernel.stablehlo_text:
        return True, "proved: the conjugate transpose compiles to the same fused kernel"
    n_states = getattr(op.space, "n_states", None)
    if kernel.params:
        return False, (
            "not proved: the conjugate transpose compiles to another kernel, and an "
            "operator with parameters is not checked state by state"
        )
    if n_states is None or n_states > EXHAUSTIVE_STATES:
        return False, (
            "not proved: the conjugate transpose compiles to another kernel, and the space "
            f"has more than {EXHAUSTIVE_STATES} states to check"
        )
    dense = np.asarray(kernel.to_dense())
    scale = max(1.0, float(np.abs(dense).max(initial=0.0)))
    if np.allclose(dense, dense.conj().T, rtol=0, atol=1e-12 * scale):
        return True, f"verified: the matrix equals its conjugate transpose on all {n_states} states"
    return (
        False,
        f"not hermitian: the matrix differs from its conjugate transpose ({n_states} states)",
    )


__all__ = ["EXHAUSTIVE_STATES", "prove_hermitian"]
