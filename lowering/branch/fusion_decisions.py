"""Why `branch-fuse-equal-states` merged two emissions' slots, or did not.

For every pair of output emissions of a kernel that have rows writing the same set of
sites (the candidates: only such slots can hold equal connected states), one decision:
how many of those row pairs were merged and, for the others, why not, from a fixed set
of reasons (`REASONS`). An emission the analysis cannot describe is paired with every
other emission (it might write anything). The decisions are part of the pass's report
(`branch.fusion = {<kernel> = {..., decisions = [...]}}`) and of
`artifact.metadata["fusion"]["decisions"]`:

    {emissions = ["xx", "yy"], decision = "merged", rows = {merged = 128}}
    {emissions = ["xx", "hop"], decision = "apart", rows = {different_written_values = 64}}

`decision` is `merged` (every candidate row pair merged), `apart` (none) or `partly`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from symir.dialects import branch

REASONS = {
    "merged": "equal connected state, tag and validity: one slot",
    "different_written_values": "the same sites are written with different values",
    "different_tags": "equal connected states, but the emissions' tags differ (a tag "
    "asks to keep branches apart)",
    "diagonal_kept_apart": "both states are x itself, and merge_diagonal=false keeps "
    "the diagonal apart (coalesce_diagonal=false)",
    "state_not_analysable": "the analysis cannot describe one emission's state (an op it "
    "does not know), so no equality is proved",
    "rows_not_reindexable": "an emission of several rows not computed row-wise from its "
    "columns: its rows cannot be re-indexed to join another's",
    "amplitude_not_numeric": "an amplitude of a type the merge cannot sum",
    "not_in_forced_group": "the fusion groups were forced (option groups) and this pair "
    "is in none of them",
    "unknown": "none of the above (a gap in this report)",
}
"""Every reason a decision can give (`rows` keys), with what it means."""


class States:
    """The state encoding of `branch_fuse_equal_states.RowKeys` (given by the pass):
    `invalid`, `x_base` (the base of `x` with writes), `identity` (`x` itself), and the
    amplitude element types the merge can sum."""

    def __init__(self, invalid: Any, x_base: Any, identity: Any, numeric: tuple):
        self.invalid, self.x_base, self.identity, self.numeric = invalid, x_base, identity, numeric


def _signature(state: Any, enc: States) -> Any:
    """What a state writes where, without the values: the written sites, or the state
    itself when it is not `x` with writes (a select, a write at a run-time site)."""
    if state == enc.invalid:
        return ("invalid",)
    base, writes = state
    if base == enc.x_base:
        return ("sites", tuple(s for s, _ in writes))
    return ("opaque", base)


def _why(s1: Any, s2: Any, t1: Any, t2: Any, diagonal: bool, enc: States) -> str:
    if s1 == s2:
        if s1 == enc.identity and not diagonal:
            return "diagonal_kept_apart"
        if t1 != t2:
            return "different_tags"
        return "unknown"  # equal states and tags are merged: not reached
    return "different_written_values"


def _emission_problem(
    emit: branch.EmitOp, states: list | None, reindexable: bool, enc: States
) -> str | None:
    if emit.amplitude.type.element_type not in enc.numeric:  # type: ignore[union-attr]
        return "amplitude_not_numeric"
    if not reindexable:
        return "rows_not_reindexable"
    if states is None:
        return "state_not_analysable"
    return None


def decisions(
    emits: list[branch.EmitOp],
    keys: list[list[int] | None],
    row_keys: Any,
    labels: dict[branch.EmitOp, str],
    reindexable: list[bool],
    enc: States,
    diagonal: bool = True,
    forced: list[set[str]] | None = None,
) -> list[dict[str, Any]]:
    """The decision for every candidate pair of `emits` (see the module doc); `keys`
    are the merge keys the pass used (equal keys: one slot)."""
    states = [row_keys.states(e.state) for e in emits]
    tags = [e.tag.data if e.tag is not None else None for e in emits]
    problems = [
        _emission_problem(e, s, ok, enc)
        for e, s, ok in zip(emits, states, reindexable, strict=True)
    ]
    by_signature: list[dict[Any, list[int]]] = []
    for s in states:
        table: dict[Any, list[int]] = {}
        for r, st in enumerate(s or []):
            table.setdefault(_signature(st, enc), []).append(r)
        by_signature.append(table)
    out = []
    for i in range(len(emits)):
        for j in range(i + 1, len(emits)):
            rows = _pair(i, j, states, tags, keys, problems, by_signature, diagonal, enc)
            if not rows:
                continue
            if forced is not None and rows.get("merged"):
                names = {labels[emits[i]], labels[emits[j]]}
                if not any(names <= g for g in forced):
                    rows["not_in_forced_group"] = rows.pop("merged")
            merged = rows.get("merged", 0)
            total = sum(rows.values())
            decision = "merged" if merged == total else "apart" if merged == 0 else "partly"
            out.append(
                {
                    "emissions": [labels[emits[i]], labels[emits[j]]],
                    "decision": decision,
                    "rows": dict(sorted(rows.items())),
                }
            )
    return out


def _pair(i, j, states, tags, keys, problems, by_signature, diagonal, enc) -> dict[str, int]:
    """Candidate row pairs of emissions i and j, counted by outcome."""
    problem = problems[i] or problems[j]
    if problem is not None:
        if states[i] is None or states[j] is None:
            return {problem: 1}  # might write anything: one candidate, not proved
        common = set(by_signature[i]) & set(by_signature[j])
        n = sum(len(by_signature[i][s]) * len(by_signature[j][s]) for s in common)
        return {problem: n} if n else {}
    # counted by equal keys and equal states, not pair by pair: a signature's rows of
    # two emissions make len * len pairs (a 32-site `(H @ H) @ H`: 25 s here)
    rows: dict[str, int] = {}
    for sig in set(by_signature[i]) & set(by_signature[j]):
        ri, rj = by_signature[i][sig], by_signature[j][sig]
        merged = _equal_pairs([keys[i][r] for r in ri], [keys[j][r] for r in rj])
        same_state = _equal_pairs([states[i][r] for r in ri], [states[j][r] for r in rj])
        both = _equal_pairs(
            [(states[i][r], keys[i][r]) for r in ri], [(states[j][r], keys[j][r]) for r in rj]
        )
        merged_at: Counter = Counter()  # state -> pairs of that state with equal keys
        for (state, _), n in both.items():
            merged_at[state] += n
        _count(rows, "merged", sum(merged.values()))
        apart = len(ri) * len(rj) - sum(merged.values())
        for state, n in same_state.items():  # equal states, keys not equal
            n -= merged_at[state]
            _count(rows, _why(state, state, tags[i], tags[j], diagonal, enc), n)
            apart -= n
        _count(rows, "different_written_values", apart)
    return rows


def _equal_pairs(a: list, b: list) -> dict[Any, int]:
    """value -> the number of pairs (x in a, y in b) with x == y == value."""
    count_b = Counter(b)
    return {v: n * count_b[v] for v, n in Counter(a).items() if v in count_b}


def _count(rows: dict[str, int], reason: str, n: int) -> None:
    if n:
        rows[reason] = rows.get(reason, 0) + n


__all__ = ["REASONS", "States", "decisions"]
