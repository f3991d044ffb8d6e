"""Wide terms written as terms of one summand each, before anything walks them.

A matrix element written as one long sum, `sum(J[k] * site(i_k) * site(j_k) for k in
...)` (a long-range Ising diagonal in one `globally()` term), is a chain of additions
as deep as it has summands: past a few hundred the compiler's recursive walks reach
Python's recursion limit, and a kernel that evaluates it as one expression makes XLA's
CPU compile take gigabytes (an elementwise graph of about 500 products or more; a
pure-JAX reproducer is in docs/writing-an-operator.md, "Long sums"). Many emissions of
one term with the same update meet the same fate: `branch-fuse-equal-states` sums their
amplitudes into one such expression.

`split_wide_terms` writes such a term as terms of one summand (or one emission) each,
with the term's rows and predicates and the emission's update and condition: the
same operator, since the terms of an operator and the summands of a matrix element are
both summed. The DSL's tabulation (`symir.frontend.tabulate`) then makes the terms of
one shape a single term that iterates a table, which lowers to gathers and one sum
over rows: compile time and the kernel's size grow with the table, not with the
summands. Terms below `WIDE_SUMMANDS` summands and `WIDE_EMISSIONS` emissions of one
update are kept as written.
"""

from __future__ import annotations

from collections import defaultdict

from symir.frontend.expr import Expr
from symir.frontend.term_spec import EmissionSpec, TermSpec

WIDE_SUMMANDS = 96
"""A matrix element of more summands than this is split (XLA compiles about 450 in one
expression within seconds; the recursion limit is reached at about 450)."""

WIDE_EMISSIONS = 96
"""More emissions than this of one term with one update are split."""


_SUMS = ("add", "sub", "neg")


def _sum_operand(e: Expr) -> int | None:
    """Which operand of a product or quotient `e` its summands are taken from (the
    product is distributed over it): the right factor of `a * (b + c)`, else the left
    one, the dividend of `(a + b) / c`, where that operand is a sum or a product or
    quotient with one; None where `e` is a summand itself."""
    if e.op == "mul":
        operands: tuple[int, ...] = (1, 0)
    elif e.op == "div":
        operands = (0,)
    else:
        return None
    for k in operands:
        if _has_sum(e.args[k]):
            return k
    return None


def _has_sum(e: Expr) -> bool:
    """Whether `e` is a sum, or a product or quotient (of products and quotients) with a
    sum as an operand."""
    stack = [e]
    while stack:
        e = stack.pop()
        if e.op in _SUMS:
            return True
        if e.op == "mul":
            stack.extend(e.args)
        elif e.op == "div":
            stack.append(e.args[0])
    return False


def _walk(amplitude: Expr):
    """The summands of `amplitude` as (summand, negated, factors), in order, found
    without recursion: through additions, subtractions, negations, and products and
    quotients with a sum as one operand (`factors`: the (op, k, other operand) that
    multiply or divide the summand, innermost last)."""
    stack: list[tuple[Expr, bool, tuple]] = [(amplitude, False, ())]
    while stack:
        e, negated, factors = stack.pop()
        op = e.op
        if op == "add":
            stack.append((e.args[1], negated, factors))
            stack.append((e.args[0], negated, factors))
        elif op == "sub":
            stack.append((e.args[1], not negated, factors))
            stack.append((e.args[0], negated, factors))
        elif op == "neg":
            stack.append((e.args[0], not negated, factors))
        elif _is_zero(e):
            continue  # `sum(...)` starts from 0
        else:
            k = _sum_operand(e)
            if k is None:
                yield e, negated, factors
            else:
                stack.append((e.args[k], negated, (*factors, (op, k, e.args[1 - k]))))


def summands(amplitude: Expr) -> list[Expr]:
    """The summands of `amplitude`, in order, found without recursion: a subtracted one
    negated, and a product or quotient with a sum distributed over it
    (`J * (a + b)` has the summands `J * a` and `J * b`)."""
    out: list[Expr] = []
    for e, negated, factors in _walk(amplitude):
        for op, k, other in reversed(factors):
            e = Expr(op, other, e) if k == 1 else Expr(op, e, other)
        out.append(Expr("neg", e) if negated else e)
    return out


def _is_zero(e: Expr) -> bool:
    return e.op == "const" and type(e.args[0]) in (int, float) and e.args[0] == 0


def _is_wide(amplitude: Expr) -> bool:
    """Whether `amplitude` has more than `WIDE_SUMMANDS` summands (counted only as far
    as needed)."""
    if amplitude.op not in _SUMS and _sum_operand(amplitude) is None:
        return False
    for count, _ in enumerate(_walk(amplitude), 1):
        if count > WIDE_SUMMANDS:
            return True
    return False


def _wide_updates(term: TermSpec) -> set:
    """The updates of `term` emitted more than `WIDE_EMISSIONS` times."""
    if len(term.emissions) <= WIDE_EMISSIONS:
        return set()
    counts: dict = defaultdict(int)
    for e in term.emissions:
        counts[e.update] += 1
    return {u for u, n in counts.items() if n > WIDE_EMISSIONS}


def split_wide_terms(terms: list) -> list:
    """`terms` with each wide term (`TermSpec`) written as the terms of its summands and
    emissions: the first keeps the term's name and place, the others (named
    `<term>_s<k>`) come after every term, so that no other term changes its place (a
    compact term's record is named by its place); `terms` itself where none is wide.
    Anything else is kept. A term with a fan-out hint is kept: its hint bounds the term
    as written."""
    out: list | None = None
    added: list[TermSpec] = []
    for place, term in enumerate(terms):
        if term.__class__ is not TermSpec or term.fanout is not None:
            continue
        wide = _wide_updates(term)
        long_sums = [_is_wide(e.amplitude) for e in term.emissions]
        if not wide and not any(long_sums):
            continue
        kept: list[EmissionSpec] = []
        parts: list[EmissionSpec] = []
        for e, long_sum in zip(term.emissions, long_sums, strict=True):
            if long_sum:
                parts.extend(
                    EmissionSpec(e.update, s, e.condition, e.tag) for s in summands(e.amplitude)
                )
            elif e.update in wide:
                parts.append(e)
            else:
                kept.append(e)
        if not kept:
            kept.append(parts.pop(0))
        out = list(terms) if out is None else out
        out[place] = term.with_emissions(tuple(kept), None)
        for e in parts:
            added.append(
                TermSpec(
                    f"{term.name}_s{len(added)}",
                    term.kind,
                    term.labels,
                    term.rows,
                    term.predicates,
                    (e,),
                )
            )
    return terms if out is None else out + added
