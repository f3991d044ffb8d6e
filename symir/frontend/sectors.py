"""Constrained spaces: which emissions provably leave the sector (`SYMIR-W107`).

On a `SectorHilbert` (`Spin(..., total_sz=)`, `Fock(..., n_particles=)`, NetKet's
constrained spaces) the sites of each sector sum to a fixed value. An emission whose
update changes that sum on some row can never connect two states of the space: the
DSL warns (`SYMIR-W107`), and at run time such a branch is invalid from a configuration
in the sector (`x' = x`, `mel = 0`: `CompiledOperator.get_conn_padded`), never an element
of the matrix (from one outside the sector, every branch is kept: the constraint selects
the basis, it does not change the matrix elements).

The proof is made row by row on the update program, with the row's sites known:
constant `shift`s (and `hop`s) add known amounts to the sums of their sectors; a `swap`
or `permute` inside one sector changes nothing; `write(s, -site(s))` on a site not yet
written changes the sum by `-2 x[s]`, never zero when 0 is not a local state. An
emission leaves the sector when some sector's change is a known non-zero amount, or one
such flip and nothing else. Anything the analysis cannot follow (`cond`, `affine`,
`scatter`, a site given by an expression, ...) is not reported: no warning is not a
proof that the emission conserves the sums.
"""

from __future__ import annotations

import warnings
from typing import Any

from symir.frontend.expr import Expr
from symir.frontend.update import Update, update_operands


class _Unknown(Exception):
    """The analysis cannot follow this update program."""


def _site(ref: Expr, env: dict[str, int]) -> int:
    if ref.op == "label" and ref.args[0] in env:
        return env[ref.args[0]]
    if ref.op == "const" and isinstance(ref.args[0], int):
        return ref.args[0]
    raise _Unknown


def _const(value: Expr) -> int:
    if (
        value.op == "const"
        and isinstance(value.args[0], int)
        and not isinstance(value.args[0], bool)
    ):
        return value.args[0]
    raise _Unknown


def _walk(update: Update, env: dict[str, int], sector_of: dict[int, int], write: Any) -> dict:
    """Per sector: `(known change of its sum, number of sign flips -2 x[s])` of `update`
    on this row. Constant `shift`s add to the known change, `swap`s and `permute`s inside
    one sector change nothing, and a `write` to a site not yet touched adds `write(site,
    value)`'s `(change, flips)`; `_Unknown` for anything else."""
    known: dict[int, int] = {}
    flips: dict[int, int] = {}
    touched: set[int] = set()
    for step in update.steps:
        kind = step[0]
        if kind == "shift":
            s = _site(step[1], env)
            if s in sector_of:
                known[sector_of[s]] = known.get(sector_of[s], 0) + _const(step[2])
            touched.add(s)
        elif kind in ("swap", "permute"):
            sites = [_site(r, env) for r in step[1:]]
            if len({sector_of.get(s) for s in sites}) != 1:
                raise _Unknown
            touched.update(sites)
        elif kind == "write":
            s = _site(step[1], env)
            if s in touched:
                raise _Unknown
            change, flip = write(s, step[2])
            if s in sector_of:
                known[sector_of[s]] = known.get(sector_of[s], 0) + change
                flips[sector_of[s]] = flips.get(sector_of[s], 0) + flip
            touched.add(s)
        else:  # shift_mod, affine, scatter, cond, invalidate, flip_sites
            raise _Unknown
    return {k: (known.get(k, 0), flips.get(k, 0)) for k in set(known) | set(flips)}


def _change(
    update: Update, env: dict[str, int], sector_of: dict[int, int], zero_is_state: bool
) -> dict[int, tuple[int, int]]:
    """Per sector: (known change of its sum, number of sign flips `-2 x[s]`); a `write`
    is followed where it is a flip `write(s, -site(s))` and 0 is no local state."""

    def flip(s: int, value: Expr) -> tuple[int, int]:
        if (
            value.op == "neg"
            and isinstance(value.args[0], Expr)
            and value.args[0].op == "read"
            and _site(value.args[0].args[0], env) == s
            and not zero_is_state
        ):
            return 0, 1
        raise _Unknown

    return _walk(update, env, sector_of, flip)


def leaving_row(
    space: Any, update: Update, labels: tuple[str, ...], rows: tuple[tuple[int, ...], ...]
) -> tuple[tuple[int, ...], tuple[int, int, int]] | None:
    """The first row (and its sector) on which `update` provably changes a fixed sum of
    `space`, or None."""
    sectors = tuple(getattr(space, "sectors", ()) or ())
    if not sectors or not update.steps:
        return None
    sector_of = {s: k for k, (lo, hi, _) in enumerate(sectors) for s in range(lo, hi)}
    zero_is_state = 0 in space.local_states
    for row in rows:
        try:
            changes = _change(update, dict(zip(labels, row)), sector_of, zero_is_state)
        except _Unknown:
            return None  # the same program on every row: no row can be followed
        for k, (known, flips) in sorted(changes.items()):
            if (flips == 0 and known != 0) or (flips == 1 and known == 0):
                return tuple(row), sectors[k]
    return None


KEEPS_LIMIT = 20_000
"""The most (row, emission) pairs `keeps_every_sector` follows (a Python step each, about
5 us); past it the operator keeps the runtime's sector check."""


def keeps_every_sector(space: Any, terms: Any, limit: int = KEEPS_LIMIT) -> bool:
    """Whether every emission of `terms` provably keeps every fixed sum of `space` on every
    row: each step a `swap` or `permute` inside one sector or a constant `shift` (a
    `hop`), and the known changes of each sector's sum adding to 0. Then a configuration
    of the space connects only to configurations of the space, and the runtime's sector
    check (`CompiledOperator.keeping_sectors`) can be left out. A `write` of a constant
    is followed where the branch's condition (or the term's predicates) fixes the value
    it replaces (`x[s] == c`: a fermion hop). False when `space` has no fixed sums, when
    some update cannot be followed (a flip, `cond`, a site given by an expression, a
    write whose old value is not fixed), or past `limit` (row, emission) pairs."""
    sectors = tuple(getattr(space, "sectors", ()) or ())
    if not sectors:
        return False
    if sum(len(t.rows) * len(t.emissions) for t in terms) > limit:
        return False
    sector_of = {s: k for k, (lo, hi, _) in enumerate(sectors) for s in range(lo, hi)}
    for term in terms:
        for emission in term.emissions:
            # what the branch's condition and the term's predicates say of x: `x[s] == c`
            facts = _equalities((*term.predicates, emission.condition))
            for row in term.rows:
                env = dict(zip(term.labels, row))
                try:
                    changes = _kept_change(emission.update, env, sector_of, facts)
                except _Unknown:
                    return False
                if any(change != (0, 0) for change in changes.values()):
                    return False
    return True


def _equalities(conditions: tuple) -> list[tuple[Expr, int]]:
    """The `(site, value)` of every `x[site] == value` (an integer constant) that the
    conjunction of `conditions` (None for none) asserts."""
    found: list[tuple[Expr, int]] = []
    stack = [c for c in conditions if c is not None]
    while stack:
        e = stack.pop()
        if not isinstance(e, Expr):
            continue
        if e.op == "and":
            stack.extend(e.args)
        elif e.op == "cmp" and e.args[0] == "eq":
            a, b = e.args[1], e.args[2]
            for read, value in ((a, b), (b, a)):
                if isinstance(read, Expr) and read.op == "read" and isinstance(value, Expr):
                    try:
                        found.append((read.args[0], _const(value)))
                    except _Unknown:
                        pass
    return found


def _known_at(facts: list, env: dict[str, int]) -> dict[int, int]:
    """`x[site]` on this row, for the sites `facts` fix."""
    known: dict[int, int] = {}
    for ref, value in facts:
        try:
            known.setdefault(_site(ref, env), value)
        except _Unknown:
            continue
    return known


def _kept_change(
    update: Update, env: dict[str, int], sector_of: dict[int, int], facts: list
) -> dict[int, tuple[int, int]]:
    """`_change`, with a `write` followed where it writes a constant to a site whose value
    in `x` the branch's condition fixes (a fermion hop: `write(i, 0).write(j, 1)` where
    `x[i] == 1` and `x[j] == 0`), and flips not followed."""
    known = _known_at(facts, env)

    def replaced(s: int, value: Expr) -> tuple[int, int]:
        if s not in known:
            raise _Unknown  # the value it replaces is not known
        return _const(value) - known[s], 0

    return _walk(update, env, sector_of, replaced)


def warn_if_leaving(
    space: Any, update: Update, term: Any, emission: int, *, stacklevel: int = 4
) -> None:
    """Issues `SYMIR-W107` when emission `emission` of `term` provably leaves a sector."""
    found = leaving_row(space, update, term.labels, term.rows)
    if found is None:
        return
    from symir.lowering.sym.diagnostics import definition_warning

    row, (lo, hi, total) = found
    warnings.warn(
        definition_warning(
            "SYMIR-W107",
            f"term @{term.name}, emission {emission}",
            f"the update {update!r} changes the sum of sites {lo}..{hi - 1} on row "
            f"{list(row)}, which {space} fixes to {total}: its branches leave the space "
            "and are invalid at run time (x' = x, mel = 0)",
        ),
        stacklevel=stacklevel,
    )


__all__ = [
    "KEEPS_LIMIT",
    "assumed_sectors",
    "keeps_every_sector",
    "leaving_row",
    "warn_if_leaving",
]


def assumed_sectors(space: Any, terms: Any) -> tuple[tuple[int, int, int], ...]:
    """The fixed sums of `space` that the rows of `terms` rely on: those of the sectors
    whose sites a `nth_site` ranges over without a check that it found one (`nth_site(...)
    >= 0` in the emission's condition or the term's predicates). The fermion products
    leave that check out where a rank is below the sector's number of particles (or
    holes): in every state of the space the site is found (`fermion._Factors.
    always_found`, `symir.chemistry`'s slots). For a configuration outside such a sector
    the kernel's row is not the operator's (a missing site reads as `-1`), so the runtime
    gives that row NaN elements and refuses it where it sees the values
    (`CompiledOperator.assuming_sectors`). `()` where no row relies on a sector."""
    sectors = tuple(getattr(space, "sectors", ()) or ())
    if not sectors:
        return ()
    ranges = {frozenset(range(lo, hi)): (lo, hi, total) for lo, hi, total in sectors}
    assumed: set[tuple[int, int, int]] = set()
    for term in terms:
        for emission in term.emissions:
            checks = (*term.predicates, emission.condition)
            guarded = {e.args[1].key for e in _nodes(checks) if _is_found_check(e)}
            parts = (*checks, emission.amplitude, *update_operands(emission.update))
            for e in _nodes(parts):
                if e.op == "nth_site" and e.key not in guarded:
                    sector = ranges.get(frozenset(e.args[0]))
                    if sector is not None:
                        assumed.add(sector)
    return tuple(sorted(assumed))


def _is_found_check(e: Expr) -> bool:
    """`nth_site(...) >= 0`."""
    return (
        e.op == "cmp"
        and e.args[0] == "ge"
        and isinstance(e.args[1], Expr)
        and e.args[1].op == "nth_site"
        and isinstance(e.args[2], Expr)
        and e.args[2].op == "const"
        and e.args[2].args[0] == 0
    )


def _nodes(roots: Any) -> list[Expr]:
    """Every expression node under `roots`, each once (shared subexpressions, as the
    select chains of the molecules' slots, are visited once, not once per path)."""
    seen: set[int] = set()
    found: list[Expr] = []
    stack = [r for r in roots if isinstance(r, Expr)]
    while stack:
        e = stack.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        found.append(e)
        stack.extend(a for a in e.args if isinstance(a, Expr))
    return found
