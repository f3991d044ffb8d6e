"""Lowerers and their registry."""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Any

from symir.compiler.artifact import SymbolicCompiledArtifact
from symir.compiler.core import SymbolicCompilationContext, SymbolicPassReport
from symir.dialects import print_module
from symir.ir import SymbolicOperatorIR
from symir.lowering.analyses import annotate, without_analyses
from symir.lowering.derived_kernels import DerivedKernels


class JaxSymbolicLowerer:
    """The default lowerer: `sym` -> `branch` -> `stablehlo` (`symir.lowering.pipelines.lower_ir`),
    then `CompiledOperator.from_stablehlo` (XLA)."""

    name = "jax_symbolic_v1"

    def supports(self, context: SymbolicCompilationContext) -> bool:
        return context.backend == "jax"

    def lower(self, context: SymbolicCompilationContext) -> SymbolicCompiledArtifact:
        from symir.lowering.pipelines import lower_ir
        from symir.runtime.compiled import CompiledOperator

        # the lowering transforms a private clone of the working module in place; the
        # operator's facts (name, space, dtype, terms, ...) are read from the working
        # module itself, which nothing mutates
        ir = SymbolicOperatorIR.unverified(context.peek_module())
        # the options themselves (a subclass overriding `passes()` is obeyed), with
        # `target` resolved as the cache key holds it
        options = context.options
        options = dataclasses.replace(options, target=options.resolved_target())
        normalized = context.peek_module()  # never mutated once lowered
        result = lower_ir(
            context.operator_module(),
            options,
            in_place=True,
            extra_passes=context.extra_passes,
            source=lambda: without_analyses(normalized),
            # the StableHLO is parsed and verified by jaxlib (`load_stablehlo`) below
            verify_last=False,
            # the operator's IR, verified when made, if no stage changed it
            input_verified=context.module_verified(),
        )
        for name, seconds in result.pass_times.items():
            context.pass_reports.append(SymbolicPassReport(name, seconds, "lowering"))
        start = time.perf_counter()
        text = result.stablehlo_text
        key = context.analyses.get("cache_token") or context.analyses["ir_fingerprint"]
        compiled = CompiledOperator.from_stablehlo(
            text,
            name=ir.operator_name,
            space=ir.hilbert,
            hilbert=getattr(context.operator, "hilbert", ir.hilbert),
            dtype=ir.dtype_str,
            is_hermitian=ir.is_hermitian,
            parameters=ir.parameters,
            key=key,
            kernels=DerivedKernels.of(result),
            constants=result.constants,
        )
        context.pass_reports.append(
            SymbolicPassReport("stablehlo-load", time.perf_counter() - start, "lowering")
        )
        levels = result.levels
        annotations = dict(context.annotations)  # the analyses, printed on the module
        levels.set("sym", lambda: print_module(annotate(normalized.clone(), annotations)) + "\n")
        # terms merged by the DSL's canonical form (symir.frontend.canonical) and by
        # sym-merge-row-terms: every term written is in a fusion group
        canonical = context.analyses.get("canonical_merged_terms", {})
        merged = {k: list(v) for k, v in canonical.items()}
        for kept, absorbed in result.merged_row_terms.items():
            merged.setdefault(kept, []).extend(absorbed)
        for kept, absorbed in result.tabulation.get("tabulated", {}).items():
            merged.setdefault(kept, []).extend(absorbed)
        tabulation = tabulation_report(context.analyses.get("canonical_tabulation"), result)
        names = [t.name for t in ir.terms] + [a for v in canonical.values() for a in v]
        metadata: dict[str, Any] = {
            "term_fanouts": dict(context.analyses.get("term_fanouts", {})),
            "total_fanout": context.analyses.get("total_fanout"),
            "total_padded_size": compiled.max_conn_size,
            "fusion_groups": fusion_groups(names, result.fusion, merged),
            "canonical_merged_terms": dict(canonical),
            "merged_row_terms": merged,
            "tabulation": tabulation,
            "fusion": fusion_report(result, context.options.enable_fusion),
            "lowering_passes": list(result.pass_times),
            "x_dtype": str(compiled.x_dtype),
            "constants": compiled.constants,
        }
        return SymbolicCompiledArtifact(
            backend=context.backend or "jax",
            lowerer_name=self.name,
            compiled_operator=compiled,
            metadata=metadata,
            levels=levels,
        )


def tabulation_report(dsl: dict[str, Any] | None, result: Any) -> dict[str, Any]:
    """What tabulation did, by the DSL (`symir.frontend.tabulate`, before the IR was
    built) and by `sym-tabulate-terms` in the lowering: `terms` [written, after],
    `tabulated` (kept term -> absorbed terms), `decisions` (each group's, `by` saying
    which of the two decided)."""
    out: dict[str, Any] = {"terms": None, "tabulated": {}, "decisions": []}
    for by, report in (("dsl", dsl or {}), ("pass", result.tabulation)):
        if not report:
            continue
        if out["terms"] is None:
            out["terms"] = list(report["terms"])
        else:
            out["terms"][1] = report["terms"][1]
        out["tabulated"].update(report["tabulated"])
        out["decisions"] += [{**d, "by": by} for d in report["decisions"]]
    return out


def _roots(parent: dict[str, str]) -> Any:
    """The root of a term in the union-find `parent`, with path compression (100,000
    tabulated terms are walked once each)."""

    def root(t: str) -> str:
        r = parent[t]
        if r == t:
            return t
        while parent[r] != r:
            r = parent[r]
        while parent[t] != r:
            parent[t], t = r, parent[t]
        return r

    return root


def fusion_groups(
    terms: list[str], reports: dict[str, Any], merged_rows: dict[str, list[str]] | None = None
) -> list[list[str]]:
    """The terms, partitioned by the slots `branch-fuse-equal-states` merged: two terms
    are in one group when a slot holds branches of both (every term alone when nothing
    was merged or fusion is off). A term that `sym-merge-row-terms` absorbed into
    another (`merged_rows`: kept -> absorbed) is in the group of the term it joined."""
    merged_rows = merged_rows or {}
    run = _absorbed_run(terms, reports, merged_rows)
    if run is not None:  # the run stands for itself by its first term
        kept, pos, absorbed = run
        short = [*terms[:pos], absorbed[0], *terms[pos + len(absorbed) :]]
        groups = _groups(short, reports, {**merged_rows, kept: [absorbed[0]]})
        for group in groups:
            if absorbed[0] in group:
                at = group.index(absorbed[0])
                group[at : at + 1] = absorbed
        return groups
    return _groups(terms, reports, merged_rows)


def _groups(
    terms: list[str], reports: dict[str, Any], merged_rows: dict[str, list[str]]
) -> list[list[str]]:
    """`fusion_groups` by a union-find over every term."""
    parent = {t: t for t in terms}
    root = _roots(parent)
    _join_absorbed(parent, root, merged_rows)
    for report in reports.values():
        for merged in report["merged"]:
            known = [t for t in merged["terms"] if t in parent]
            for t in known[1:]:
                parent[root(t)] = root(known[0])
    groups: dict[str, list[str]] = {}
    for t in terms:
        r = parent[t]
        if parent[r] != r:  # `root` only where the parent is not a root
            r = root(t)
        found = groups.get(r)
        if found is None:
            groups[r] = [t]
        else:
            found.append(t)
    return list(groups.values())


def _absorbed_run(
    terms: list[str], reports: dict[str, Any], merged_rows: dict[str, list[str]]
) -> tuple[str, int, list[str]] | None:
    """(kept term, position, absorbed terms) of a kept term of `terms` whose absorbed
    terms (at least `_RUN`) are a run of `terms`, each there once, absorbed by no other
    term, absorbing none and named by no merged slot: they are all in the kept term's
    group, and the union-find need not walk them (100,000 couplings routed into
    `pauli_strings`). None when there is no such term."""
    for kept, absorbed in merged_rows.items():
        if len(absorbed) < _RUN or absorbed[0] not in terms:
            continue
        pos = terms.index(absorbed[0])
        if terms[pos : pos + len(absorbed)] != absorbed:
            continue
        members = set(absorbed)
        others = [*terms[:pos], *terms[pos + len(absorbed) :]]
        named = [t for report in reports.values() for m in report["merged"] for t in m["terms"]]
        absorbed_elsewhere = [t for k, v in merged_rows.items() if k != kept for t in v]
        if (
            len(members) == len(absorbed)
            and kept in others
            and members.isdisjoint(others)
            and members.isdisjoint(named)
            and members.isdisjoint(merged_rows)
            and members.isdisjoint(absorbed_elsewhere)
        ):
            return kept, pos, absorbed
    return None


_RUN = 1000
"""The fewest absorbed terms `fusion_groups` takes as one run (`_absorbed_run`)."""


def _join_absorbed(parent: dict[str, str], root: Any, merged_rows: dict[str, list[str]]) -> None:
    """Each absorbed term (`merged_rows`: kept -> absorbed) joins its kept term's set in
    the union-find `parent` (most of 100,000 absorbed terms are roots: `root` is not
    called for them)."""
    get = parent.get
    for kept, absorbed in merged_rows.items():
        if kept not in parent:
            continue
        into = root(kept)
        for t in absorbed:
            r = get(t)
            if r is None:
                continue
            if r != t:
                r = root(t)
            if r != into:
                parent[r] = into


def fusion_report(result: Any, enabled: bool) -> dict[str, Any]:
    """`metadata["fusion"]`: F and the bytes written per sample before and after each
    pass on the `branch` level, for the whole lowering, the slots that were merged, every
    decision of `branch-fuse-equal-states` (each candidate pair of emissions, merged or
    not and why: `symir.lowering.branch.fusion_decisions`) and the row pairs per reason."""
    passes = result.fanouts
    merged = [m for report in result.fusion.values() for m in report["merged"]]
    decisions = [d for report in result.fusion.values() for d in report.get("decisions", [])]
    reasons: dict[str, int] = {}
    for d in decisions:
        for reason, n in d["rows"].items():
            reasons[reason] = reasons.get(reason, 0) + n
    return {
        "decisions": decisions,
        "reasons": dict(sorted(reasons.items())),
        "enabled": enabled,
        "fanout": [passes[0]["fanout"][0], passes[-1]["fanout"][1]] if passes else None,
        "bytes_per_sample": (
            [passes[0]["bytes_per_sample"][0], passes[-1]["bytes_per_sample"][1]]
            if passes
            else None
        ),
        "passes": passes,
        "merged": merged,
    }


class SymbolicLowererRegistry:
    """An ordered list of lowerers; `resolve` returns the first that supports a context."""

    def __init__(self, lowerers: list[Any] | None = None, *, include_default: bool = True):
        self._lock = threading.Lock()
        self._lowerers: list[Any] = list(lowerers or [])
        if include_default and not any(
            getattr(lw, "name", None) == JaxSymbolicLowerer.name for lw in self._lowerers
        ):
            self._lowerers.append(JaxSymbolicLowerer())

    def register(self, lowerer: Any, first: bool = False) -> None:
        for attr in ("name", "supports", "lower"):
            if not hasattr(lowerer, attr):
                raise TypeError(f"a lowerer needs a {attr!r} attribute, {lowerer!r} has none")
        with self._lock:
            if first:
                self._lowerers.insert(0, lowerer)
            else:
                self._lowerers.append(lowerer)

    @property
    def lowerers(self) -> tuple[Any, ...]:
        with self._lock:
            return tuple(self._lowerers)

    def resolve(self, context: SymbolicCompilationContext) -> Any:
        for lowerer in self.lowerers:
            if lowerer.supports(context):
                return lowerer
        raise LookupError(
            f"no registered lowerer supports backend {context.backend!r} "
            f"(lowerers: {[lw.name for lw in self.lowerers]})"
        )
