"""The `sym` dialect: symbolic discrete operators as IR.

An operator is a `sym.operator` holding `sym.term`s. A term owns its iterator as a static
table of integer rows (one column per label), a body that computes an optional predicate
(`sym.where`) and one or more `sym.emission`s. An emission has an optional emission
predicate, an optional tag, an update region (a program of update ops that rewrites a copy
`x'` of the configuration `x`) and an amplitude region ending in `sym.yield`.

Value types:
- `i64`: integers: local-state values, site indices (a site is an `i64` value), counts;
- `f64`, `complex<f64>`: real and complex amplitudes;
- `i1`: booleans (predicates).

Mixed-type arithmetic promotes `i1 < i64 < f64 < complex<f64>`; division, `sqrt`, `exp`,
`log`, `sin`, `cos` are at least `f64`. A site given by an expression is taken modulo the
number of sites; a constant site must lie in `[0, N)` (a verifier checks it).

What lives where (one module per role, as in `stablehlo/`):

* `common`: Helpers shared by the `sym` op modules: the check of a value's type,
  `enclosing` (the closest ancestor of a kind) and the parsers and printers of the
  custom forms.
* `constants`: The leaves that hold a value of their own, `sym.constant` and
  `sym.param`, and `constant_value` / `constant_int` (the value of a `sym.constant`).
  They sit below `structure`, which checks parameters and constant site indices.
* `structure`: The structure of an operator: `sym.operator`, `sym.term`, `sym.where`,
  `sym.emission` and `sym.yield`, and the check of constant site indices against the
  enclosing operator.
* `updates`: The update ops of an emission's update region (`sym.write`, `sym.shift`,
  `sym.swap`, ..., `sym.invalidate`) and the conditional update `sym.cond`;
  `UpdateOpBase` checks their placement and site operands.
* `expressions`: The leaves that read the term or the configuration: `sym.label`,
  `sym.read`, `sym.read_emitted` and `sym.count`.
* `expression_ops`: The table of expression ops, `EXPRESSION_OPS`: arithmetic, unary
  functions, `sym.complex`, `sym.cmp`, logic, `sym.select` and `sym.lookup`, with the
  value semantics every consumer derives from (`Value`, `cast_value`, `Arithmetic`,
  `ExpressionOp.evaluate`). Adding one: docs/adding-an-op.md.
* this `__init__`: the `Sym` dialect, `UPDATE_OPS`, the constant materialisation of the
  folder, and the re-exports: every op of `EXPRESSION_OPS` is a name of the package by
  itself; any other new op or helper is defined in the module of its role, imported here
  and named in `__all__` (and listed in `Sym` or `UPDATE_OPS`, as its kind asks). It
  also keeps `_int_array`, `c64`, `f64`, `i1`, `i64` reachable as `sym.<name>` for the
  code that reads them from here (imported `as` themselves, not in `__all__`).
"""

from __future__ import annotations

from xdsl.dialect_interfaces.constant_materialization import ConstantMaterializationInterface
from xdsl.dialects.builtin import FloatAttr, IntegerAttr
from xdsl.dialects.builtin import f64 as f64
from xdsl.dialects.builtin import i1 as i1
from xdsl.dialects.builtin import i64 as i64
from xdsl.ir import Attribute, Dialect, Operation

from symir.dialects.sym.common import InTerm, enclosing, packed_array
from symir.dialects.sym.common import _int_array as _int_array
from symir.dialects.sym.constants import ConstantOp, ParamOp, constant_int, constant_value
from symir.dialects.sym.expression_ops import (
    EXPRESSION_OPS,
    Arithmetic,
    BinaryOpBase,
    ExpressionOp,
    FloatingUnaryOpBase,
    LogicOpBase,
    UnaryOpBase,
    Value,
    cast_value,
    constant_attr,
    wrap_i64,
)
from symir.dialects.sym.expressions import (
    CountOp,
    LabelOp,
    NthSiteOp,
    ParitySumOp,
    ReadEmittedOp,
    ReadOp,
    SiteReadBase,
    check_site_list,
)
from symir.dialects.sym.site_masks import check_words, pack_masks, unpack_masks, words_per_mask
from symir.dialects.sym.structure import (
    MAX_SITES,
    EmissionOp,
    OperatorOp,
    TermOp,
    WhereOp,
    YieldOp,
    operator_of,
)
from symir.dialects.sym.updates import (
    AffineOp,
    CondOp,
    FlipSitesOp,
    I64PairUpdateBase,
    InvalidateOp,
    PermuteOp,
    ScatterOp,
    ShiftModOp,
    ShiftOp,
    SiteDeltaUpdateBase,
    SwapOp,
    UpdateOpBase,
    WriteOp,
)
from symir.dialects.types import CmpPredicateAttr
from symir.dialects.types import c64 as c64

# Every expression op is a name of the package (`sym.FloorOp`), from the table: a new one
# needs no line here.
for _op in EXPRESSION_OPS.values():
    globals()[_op.__name__] = _op

UPDATE_OPS = (
    WriteOp,
    ShiftOp,
    ShiftModOp,
    SwapOp,
    PermuteOp,
    AffineOp,
    ScatterOp,
    FlipSitesOp,
    InvalidateOp,
    CondOp,
)


class SymConstantMaterialization(ConstantMaterializationInterface):
    """Folded values become `sym.constant`s (xDSL's folder asks the dialect)."""

    def materialize_constant(self, value: Attribute, type: Attribute) -> Operation | None:
        if isinstance(value, IntegerAttr | FloatAttr) and value.type == type:
            return ConstantOp(value)
        return None


Sym = Dialect(
    "sym",
    [
        OperatorOp,
        TermOp,
        WhereOp,
        EmissionOp,
        YieldOp,
        *UPDATE_OPS,
        ConstantOp,
        ParamOp,
        LabelOp,
        ReadOp,
        ReadEmittedOp,
        CountOp,
        NthSiteOp,
        ParitySumOp,
        *EXPRESSION_OPS.values(),
    ],
    [CmpPredicateAttr],
    [SymConstantMaterialization()],
)


__all__ = [
    "EXPRESSION_OPS",
    "MAX_SITES",
    "UPDATE_OPS",
    "AffineOp",
    "Arithmetic",
    "BinaryOpBase",
    "CondOp",
    "ConstantOp",
    "CountOp",
    "EmissionOp",
    "ExpressionOp",
    "FlipSitesOp",
    "FloatingUnaryOpBase",
    "I64PairUpdateBase",
    "InTerm",
    "InvalidateOp",
    "LabelOp",
    "LogicOpBase",
    "NthSiteOp",
    "OperatorOp",
    "ParamOp",
    "ParitySumOp",
    "PermuteOp",
    "ReadEmittedOp",
    "ReadOp",
    "ScatterOp",
    "ShiftModOp",
    "ShiftOp",
    "SiteDeltaUpdateBase",
    "SiteReadBase",
    "SwapOp",
    "Sym",
    "SymConstantMaterialization",
    "TermOp",
    "UnaryOpBase",
    "UpdateOpBase",
    "Value",
    "WhereOp",
    "WriteOp",
    "YieldOp",
    "cast_value",
    "check_site_list",
    "check_words",
    "constant_attr",
    "constant_int",
    "constant_value",
    "enclosing",
    "operator_of",
    "pack_masks",
    "packed_array",
    "unpack_masks",
    "words_per_mask",
    "wrap_i64",
    *(op.__name__ for op in EXPRESSION_OPS.values()),
]
