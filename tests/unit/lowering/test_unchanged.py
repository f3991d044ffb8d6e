"""Passes that say they left a module unchanged or verified (`symir.lowering.unchanged`)."""

from __future__ import annotations

from xdsl.context import Context

import symir as sym
from symir.lowering.sym.sym_lift_constant_sites import SymLiftConstantSitesPass
from symir.lowering.sym.symbolic_normalization import SymbolicNormalizationPass
from symir.lowering.unchanged import left_as, mark_unchanged


def tfim(n: int = 6):
    hi = sym.Spin(0.5, n)
    bonds = [(i, (i + 1) % n) for i in range(n)]
    return (
        sym.DOperator(hi, "tfim")
        .for_each(("i", "j"), over=bonds)
        .emit(sym.identity(), amplitude=sym.site("i") * sym.site("j"))
        .for_each_site("k")
        .emit(sym.write("k", -sym.site("k")), amplitude=-0.5)
        .build()
    )


def test_normalization_verifies_what_it_reorders_and_then_leaves_it_unchanged():
    module = tfim().to_ir().module
    p = SymbolicNormalizationPass()
    p.apply(Context(), module)
    assert left_as(module, p) == "verified"  # the DSL's order is not the canonical one
    p.apply(Context(), module)
    assert left_as(module, p) == "unchanged"  # normalizing is idempotent
    assert left_as(module, p) is None  # the mark is taken


def test_a_mark_counts_only_for_its_own_pass():
    module = tfim().to_ir().module
    mark_unchanged(module, SymbolicNormalizationPass())
    assert left_as(module, SymLiftConstantSitesPass()) is None
    assert left_as(module, SymbolicNormalizationPass()) is None  # taken by the first ask
