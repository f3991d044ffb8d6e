"""`SymbolicCompilerOptions`: what a compile does (frozen, validated, hashable)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from symir.lowering.branch.cost_model import (
    DIAGONAL_CHOICES,
    READ_CHOICES,
    STATE_CHOICES,
    TARGET_CHOICES,
    resolve_target,
)
from symir.lowering.pipelines import LoweringOptions
from symir.lowering.sym.diagnostics import check_codes

_BACKENDS = ("auto", "jax")
KERNEL_NEUTRAL = ("x_dtype",)
"""Lowering options the signature hashes in resolved form instead."""
_X_DTYPES = ("auto", "i8", "i16", "i32", "i64")


def _check_pipeline(pipeline: object) -> None:
    if not isinstance(pipeline, str) or not pipeline.strip():
        raise ValueError(
            "SymbolicCompilerOptions.pipeline must be a non-empty pass pipeline "
            f"(symir-opt -p syntax), got {pipeline!r}"
        )


def _check_groups(groups: object) -> tuple[str, ...]:
    if isinstance(groups, str) or not all(isinstance(g, str) for g in groups):  # type: ignore[union-attr]
        raise ValueError(
            "SymbolicCompilerOptions.force_fusion must be a sequence of groups such as "
            f"'xx+yy', got {groups!r}"
        )
    return tuple(groups)  # type: ignore[arg-type]


def _check_bools(options: LoweringOptions) -> None:
    """A ValueError naming the first bool field, the lowering's too, that holds no bool
    (`narrow_integers="false"` turned the pass on, read as a truth value: sweep 18)."""
    for name in [f.name for f in fields(options) if f.type in ("bool", bool)]:
        value = getattr(options, name)
        if not isinstance(value, bool):
            raise ValueError(f"SymbolicCompilerOptions.{name} must be a bool, got {value!r}")


@dataclass(frozen=True)
class SymbolicCompilerOptions(LoweringOptions):
    """The effective options of a `SymbolicCompiler`: the lowering's own options
    (`LoweringOptions`: `x_dtype`, `coalesce_diagonal`, `merge_exclusive_emissions`,
    `enable_fusion`, `sort_summed_rows`, `sort_rows`, `target`, `read_lowering`,
    `diagonal_lowering`, `state_lowering`, each documented there) and the compiler's.

    backend_preference: "auto" (the first lowerer that supports the operator) or "jax".
    cache_enabled: look up / store artifacts in the artifact store.
    cache_namespace: a partition of the cache keys (a non-empty string).
    strict_validation: True raises on a validation error; False records it in the
        `validation_summary` analysis and continues.
    warnings_as_errors: validation warning codes (`SYMIR-W...`, docs/diagnostics.md) to
        treat as errors, or `("all",)`.
    ignore_warnings: validation warning codes not to report, or `("all",)`.
    route_pauli_products: with `tabulate_terms`, the DSL's Pauli products written one
        term at a time (`write(i, -s_i)` flips, sign factors `s_j`, constants) become
        the two table terms of `pauli_strings` where their coefficients or their
        signatures differ (`symir.frontend.pauli_terms`, docs/pauli-strings.md). The IR
        it gives is part of the cache key (its fingerprint), the option itself is not.
    """

    backend_preference: str = "auto"
    cache_enabled: bool = True
    cache_namespace: str = "default"
    strict_validation: bool = True
    warnings_as_errors: tuple[str, ...] = ()
    ignore_warnings: tuple[str, ...] = ()
    route_pauli_products: bool = True

    def __post_init__(self):
        for name in ("warnings_as_errors", "ignore_warnings"):
            value = getattr(self, name)
            if isinstance(value, str) or not all(isinstance(c, str) for c in value):
                raise ValueError(
                    f"SymbolicCompilerOptions.{name} must be a sequence of diagnostic codes, "
                    f"got {value!r}"
                )
            object.__setattr__(self, name, tuple(value))
            check_codes(value, f"SymbolicCompilerOptions.{name}")
        if self.backend_preference not in _BACKENDS:
            raise ValueError(
                f"SymbolicCompilerOptions.backend_preference must be one of {_BACKENDS}, "
                f"got {self.backend_preference!r}"
            )
        _check_bools(self)
        if not isinstance(self.cache_namespace, str) or not self.cache_namespace:
            raise ValueError(
                "SymbolicCompilerOptions.cache_namespace must be a non-empty string, "
                f"got {self.cache_namespace!r}"
            )
        for name, choices in (
            ("target", TARGET_CHOICES),
            ("read_lowering", READ_CHOICES),
            ("diagonal_lowering", DIAGONAL_CHOICES),
            ("state_lowering", STATE_CHOICES),
        ):
            if getattr(self, name) not in choices:
                raise ValueError(
                    f"SymbolicCompilerOptions.{name} must be one of {choices}, "
                    f"got {getattr(self, name)!r}"
                )
        _check_pipeline(self.pipeline)
        object.__setattr__(self, "force_fusion", _check_groups(self.force_fusion))
        if self.force_fusion and not self.enable_fusion:
            raise ValueError(
                f"SymbolicCompilerOptions.force_fusion={self.force_fusion!r} names groups to "
                "merge, but enable_fusion=False turns the fusion pass off: give one or the other"
            )
        if self.x_dtype not in _X_DTYPES:
            raise ValueError(
                f"SymbolicCompilerOptions.x_dtype must be one of {_X_DTYPES}, got {self.x_dtype!r}"
            )

    def resolved_target(self) -> str:
        """`target` with `auto` resolved to the backend JAX runs on (the compiler's
        kernels run on JAX, so it is imported here if it is not yet)."""
        return resolve_target(self.target, load_jax=True)

    def lowering_options(self) -> LoweringOptions:
        """The lowering's options, `target` resolved (the cache key holds the same)."""
        return replace(super().lowering_options(), target=self.resolved_target())

    def static_signature(self) -> tuple[tuple[str, object], ...]:
        """The options that shape the compiled kernel, as (name, value) pairs: the part of
        the cache key the options make. Only the lowering's options shape the kernel, so
        an option that cannot change it does not split the cache: not `cache_enabled`,
        `cache_namespace` (hashed apart) or `strict_validation` (validation runs before
        the cache lookup on every compile and only decides whether an error raises); not
        `backend_preference` and `x_dtype` (the signature hashes the resolved backend and
        element type); and not an option of a pass that another option switches off
        (`LoweringOptions.effective`: `sort_summed_rows` without `coalesce_diagonal`); nor the
        diagnostic filters `warnings_as_errors` / `ignore_warnings`. `target` is the
        resolved one (`lowering_options`): `auto` differs between machines."""
        lowering = self.lowering_options().effective()
        return tuple(
            (f.name, getattr(lowering, f.name))
            for f in fields(lowering)
            if f.name not in KERNEL_NEUTRAL
        )

    def replace(self, **changes: object) -> SymbolicCompilerOptions:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        unknown = set(changes) - set(values)
        if unknown:
            raise ValueError(f"unknown SymbolicCompilerOptions field(s) {sorted(unknown)}")
        values.update(changes)
        return SymbolicCompilerOptions(**values)  # type: ignore[arg-type]
