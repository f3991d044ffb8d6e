"""What a DSL operator is made of: its terms (`TermSpec`), their emissions
(`EmissionSpec`) and the dtypes an operator may have."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from symir.frontend.expr import Expr, all_of
from symir.frontend.update import Update

_DTYPES = {
    "float64": "float64",
    "f64": "float64",
    "double": "float64",
    "complex128": "complex128",
    "c128": "complex128",
    "float32": "float32",
    "f32": "float32",
    "single": "float32",
    "complex64": "complex64",
    "c64": "complex64",
}


def promote_dtypes(*dtypes: str) -> str:
    """The dtype of an operator built from operators of `dtypes` (a sum, a product):
    complex if any is, single precision only if all are."""
    complex_ = any(d.startswith("complex") for d in dtypes)
    single = all(d in ("float32", "complex64") for d in dtypes)
    if complex_:
        return "complex64" if single else "complex128"
    return "float32" if single else "float64"


def dtype_name(dtype: Any) -> str:
    """The canonical name of an operator dtype (`float64`, `complex128`, ...)."""
    if dtype is float:
        return "float64"
    if dtype is complex:
        return "complex128"
    name = str(np.dtype(dtype)) if not isinstance(dtype, str) else dtype
    if name not in _DTYPES:
        raise ValueError(
            f"operator dtype must be float64, complex128, float32 or complex64, got {dtype!r}"
        )
    return _DTYPES[name]


@dataclass(frozen=True)
class EmissionSpec:
    """One emission: update program, matrix element, optional predicate and tag."""

    update: Update
    amplitude: Expr
    condition: Expr | None = None
    tag: str | None = None


@dataclass(frozen=True)
class TermSpec:
    """One term: iterator (kind, labels, rows), predicate, emissions, fan-out hint."""

    name: str
    kind: str
    labels: tuple[str, ...]
    rows: tuple[tuple[int, ...], ...]
    predicates: tuple[Expr, ...] = ()
    emissions: tuple[EmissionSpec, ...] = ()
    fanout: int | None = None
    chain: tuple[Expr, ...] | None = field(default=None, compare=False)

    def with_emissions(
        self, emissions: tuple[EmissionSpec, ...], chain: tuple[Expr, ...] | None
    ) -> TermSpec:
        """The term with these emissions and chain (`dataclasses.replace`, written out:
        a DSL loop of thousands of terms calls it once per `emit`)."""
        return TermSpec(
            self.name,
            self.kind,
            self.labels,
            self.rows,
            self.predicates,
            emissions,
            self.fanout,
            chain,
        )

    @property
    def predicate(self) -> Expr | None:
        if not self.predicates:
            return None
        return self.predicates[0] if len(self.predicates) == 1 else all_of(*self.predicates)
