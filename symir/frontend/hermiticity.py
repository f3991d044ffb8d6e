"""Structural proofs of hermiticity for derived operators (products, sums, adjoints).

An operator is marked hermitian (`SymbolicOperator.hermitian`, the `hermitian` keyword of
`sym.operator`, `is_hermitian` of its kernel and of its NetKet adapter) when its author
declares it (`DOperator(..., hermitian=True)`) or when it is built from parts whose
structure proves it. Each operator carries the reason (`hermitian_reason`), also when it
is not marked: what would have been needed.

The rules (`a`, `b` operators, `a.H` the adjoint built by `a.H`, or by `a.T` when `a` is
real; "the same operator" means equal `sym` IR, `SymbolicOperatorIR.__eq__`):

* `(a @ b)^dagger = b^dagger a^dagger`, so `a @ b` is hermitian when `b` is the adjoint of
  `a` (`a @ a.H`, `a.H @ a`), or when `a` and `b` are the same hermitian operator
  (`a @ a`). A product of two different hermitian operators is hermitian only if they
  commute, which is not proved here: it is left unmarked, with that reason.
* A sum is hermitian when each part is hermitian or is paired with another part that is
  its adjoint (`a + a.H`).
* A real multiple of a hermitian operator is hermitian; the adjoint of a hermitian
  operator is hermitian.

Nothing is checked numerically by these rules (no matrix is built): a marked operator is
hermitian by construction.

An operator that is not marked can still be established hermitian when it is asked
(`SymbolicOperator.is_hermitian`, `hermiticity`; `establish` below, from the compiled
kernels, docs/semantics.md#the-hermitian-flag):

1. *Proved from its fermion strings*, first (an operator of `sym.fermion_terms` or of ladder
   products with numbers, which keeps them: symir/frontend/fermion_algebra.py): the
   strings in normal order, equal ones summed, equal their adjoint's (as NetKet's
   `FermionOperator2nd.is_hermitian`); any number of sites. Hermitian on the whole Fock
   space, it is on any sector (a compression of a hermitian operator). Strings that
   differ prove nothing on a sector (a pair creation vanishes at fixed particle number):
   the next rules decide. Where coefficients hold real parameters (`symbol("t", 1.0) *
   cdag(0) * c(1)`), the strings multiplying each product of parameters are checked
   alone: hermitian for every value of the parameters (sweep 30; before, "not proved",
   and NetKet refused its gradient).
2. *Verified bond by bond* (symir/frontend/local_hermiticity.py), where every term
   reads and writes only the sites its rows name and its parameters are real factors
   of its matrix elements: the rows acting on the same sites, summed, make a hermitian
   matrix on those sites, for each product of parameters alone, as NetKet's
   `LocalOperator` decides (a hand-written Heisenberg exchange on any lattice, with its
   coupling a parameter; sweep 30: before, a parameter or more than 4,096 states left
   it unproved and NetKet refused its gradient).
3. *Verified on every basis state*, where it applies: an operator without
   parameters on a space of at most `EXHAUSTIVE_STATES` states whose matrix equals its
   conjugate transpose (to rounding: `1e-12` relative to the largest element); its
   matrix costs less than `op.H` there (general local operators: `op.H` multiplies
   their emissions).
4. *Proved, for every parameter value*: the conjugate transpose `op.H` (built by the
   adjoint machinery of symir/frontend/product.py, where every update program has a
   provable inverse) compiles to the same fused kernel as `op` (equal StableHLO text,
   the two compiled under one name). Equal kernels are equal matrices.
5. Otherwise it is not hermitian as far as symir can tell: `op.H` cannot be built (an
   update without a provable inverse, e.g. `affine`), or the kernels differ (the same
   operator written in another order, a `x_j != x_i` for `x_i != x_j`, differs as a
   kernel), or the space is too large to check. Declare it (`hermitian=True`) when you
   know better: a declaration is a promise that nothing checks.

Before these, a product or sum not marked takes the rules above again with its parts'
established hermiticity in place of their marks (`_established_parts`): the square
`a @ a` of an `a` established hermitian (proved or verified, not declared) is hermitian,
and so is a sum of parts each established hermitian.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symir.errors import SymbolicError

SymbolicOperator = Any

EXHAUSTIVE_STATES = 4096
"""The largest space whose matrix is compared with its conjugate transpose."""


def same_operator(a: SymbolicOperator, b: SymbolicOperator) -> bool:
    """Whether `a` and `b` are the same operator (the same object, or equal IR)."""
    return a is b or a.to_ir() == b.to_ir()


def is_adjoint_of(b: SymbolicOperator, a: SymbolicOperator) -> bool:
    """Whether `b` was built as the adjoint of an operator equal to `a`."""
    source = getattr(b, "_adjoint_of", None)
    return source is not None and (source is a or source.to_ir() == a.to_ir())


def product(a: SymbolicOperator, b: SymbolicOperator) -> tuple[bool, str]:
    """(hermitian, reason) of `a @ b`."""
    if is_adjoint_of(b, a):
        return True, f"{a.name!r} @ its adjoint: (A A^dagger)^dagger = A A^dagger"
    if is_adjoint_of(a, b):
        return True, f"the adjoint of {b.name!r} @ it: (A^dagger A)^dagger = A^dagger A"
    if a.hermitian and same_operator(a, b):
        return True, f"the square of the hermitian {a.name!r}: (A A)^dagger = A^dagger A^dagger"
    if a.hermitian and b.hermitian:
        why = (
            f"{a.name!r} and {b.name!r} are hermitian but different: their product is "
            "hermitian only if they commute, which is not proved"
        )
    else:
        why = (
            "(A B)^dagger = B^dagger A^dagger equals A B when B is A^dagger (a @ a.H, "
            "a.H @ a) or A = B is hermitian; "
            + "; ".join(f"{op.name!r} is not marked hermitian" for op in (a, b) if not op.hermitian)
            + f"; {b.name!r} is not built as the adjoint of {a.name!r} (nor the converse)"
        )
    return False, f"not proved hermitian: {why}"


def total(parts: tuple[SymbolicOperator, ...]) -> tuple[bool, str]:
    """(hermitian, reason) of the sum of `parts`."""
    unpaired = [p for p in parts if not p.hermitian]
    if not unpaired:
        return True, "a sum of hermitian operators"
    left = list(unpaired)
    while left:
        p = left.pop(0)
        match = next(
            (q for q in left if is_adjoint_of(q, p) or is_adjoint_of(p, q)),
            None,
        )
        if match is None:
            return False, (
                f"not proved hermitian: the part {p.name!r} is not hermitian and no other "
                "part is its adjoint (a sum is hermitian when each part is, or is paired "
                "with its adjoint: a + a.H)"
            )
        left.remove(match)
    return True, "a sum of hermitian operators and of operators paired with their adjoints"


def declared(hermitian: bool) -> str:
    """The reason of an operator built by `DOperator`."""
    if hermitian:
        return "declared hermitian by its author (DOperator(..., hermitian=True))"
    return (
        "not declared hermitian (DOperator(..., hermitian=True)) and not built from "
        "parts that prove it (docs: symir/frontend/hermiticity.py)"
    )


def _same_tables(a: tuple, b: tuple) -> bool:
    """Whether two kernels' outlined tables are equal (their texts being equal)."""
    return len(a) == len(b) and all(np.array_equal(u, v) for u, v in zip(a, b))


def establish(op: Any) -> tuple[bool, str]:
    """`(hermitian, how)` for a `SymbolicOperator`: marked (declared or proved from its
    parts: `hermitian_reason`), else established from its kernels (the module docstring)."""
    if op.hermitian:
        return True, op.hermitian_reason
    from_parts = _established_parts(op)
    if from_parts is not None:
        return from_parts
    from_strings = _proved_from_strings(op)
    if from_strings is not None:
        return True, from_strings
    from symir.frontend.local_hermiticity import verified_locally

    bond_by_bond = verified_locally(op)
    if bond_by_bond is not None:
        return True, bond_by_bond
    n_states = getattr(op.space, "n_states", None)
    small = n_states is not None and n_states <= EXHAUSTIVE_STATES
    kernel = op.compile()
    if small and not kernel.params:
        # the matrix first: `op.H` of general local operators multiplies their emissions
        # (a product of two dense two-site matrices on 27 states: 5,103, minutes to build
        # and compile), where the matrix takes a second
        return _verified(kernel, n_states)
    try:
        adjoint = op.H
    except (SymbolicError, ValueError, NotImplementedError) as e:
        return False, f"not proved: the conjugate transpose cannot be built ({e})"
    same_name = op._derived(op.name, adjoint.terms, dtype=op.dtype, hermitian=op.hermitian)
    adjoint_kernel = same_name.compile()
    if adjoint_kernel.stablehlo_text == kernel.stablehlo_text and _same_tables(
        adjoint_kernel.stablehlo_constants, kernel.stablehlo_constants
    ):
        return True, "proved: the conjugate transpose compiles to the same fused kernel"
    if kernel.params:
        return False, (
            "not proved: the conjugate transpose compiles to another kernel, and an "
            "operator with parameters is not checked state by state"
        )
    return False, (
        "not proved: the conjugate transpose compiles to another kernel, and the space "
        f"has more than {EXHAUSTIVE_STATES} states to check"
    )


def _proved_from_strings(op: Any) -> str | None:
    """How its fermion strings prove `op` hermitian (on the whole Fock space, so on any
    sector: its compression), or None: the strings with numbers, else those whose
    coefficients hold real parameters, each product of parameters' strings alone."""
    from symir.frontend import fermion_algebra

    strings = getattr(op, "_fermion_strings", None)
    if strings is not None:
        if fermion_algebra.is_hermitian(strings):
            return "proved: its fermion strings in normal order equal their adjoint's"
        return None
    parametric = getattr(op, "_parametric_strings", None)
    if parametric is not None and fermion_algebra.is_hermitian_for_real_parameters(parametric):
        return (
            "proved for every value of its real parameters: the fermion strings multiplying "
            "each product of parameters, in normal order, equal their adjoint's"
        )
    return None


def _established_parts(op: Any) -> tuple[bool, str] | None:
    """The structural rules again with the parts' established hermiticity (`is_hermitian`)
    where their marks did not prove it: the square `a @ a` of an operator established
    hermitian, a sum of parts each established hermitian; None where neither applies."""
    factors = getattr(op, "_factors", None)
    if factors is not None and same_operator(*factors) and factors[0].is_hermitian:
        a = factors[0]
        how = a.hermiticity[1]
        return True, f"the square of {a.name!r} ({how}): (A A)^dagger = A^dagger A^dagger"
    parts = getattr(op, "operators", None)
    if parts and all(p.is_hermitian for p in parts):
        return True, "a sum of operators each established hermitian"
    return None


def _verified(kernel: Any, n_states: int) -> tuple[bool, str]:
    """Whether the matrix of a kernel without parameters equals its conjugate transpose
    (to `1e-12` of its largest element), state by state."""
    dense = np.asarray(kernel.to_dense())
    scale = max(1.0, float(np.abs(dense).max(initial=0.0)))
    if np.allclose(dense, dense.conj().T, rtol=0, atol=1e-12 * scale):
        return True, f"verified: the matrix equals its conjugate transpose on all {n_states} states"
    return (
        False,
        f"not hermitian: the matrix differs from its conjugate transpose ({n_states} states)",
    )
