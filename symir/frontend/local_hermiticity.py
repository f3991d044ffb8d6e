"""Hermiticity verified bond by bond, as NetKet's `LocalOperator` decides it.

An operator written as terms over rows (`for_each`, `for_each_site`, `globally()` on
constant sites) whose every expression and update reads and writes only the sites its
row names is a sum of local operators: each row of each term acts on a few sites
(`h_row` on its sites, the identity elsewhere). The sum is hermitian when, for each set
of sites, the sum of the rows acting on exactly those sites is a hermitian matrix on
them: `S^k` states for `k` sites of `S` local states, not `S^N`.

`verified_locally(op)` builds that local matrix with the reference interpreter
(`reference_to_dense` of the term moved onto `k` sites) and compares it with its
conjugate transpose, to `TOLERANCE` of its largest element. It applies to operators
whose terms are all `TermSpec`s reading and writing sites through their labels only
(`count`, `nth_site`, `parity_sum`, a constant site, a site computed from a label: it
does not apply), with numbers or real parameters: a matrix element that is a product of
real-parameter expressions (`symbol("J", 1.0)`, `sqrt(J * J + 1)`) and of a part
without parameters puts its emission in the group of that product of parameters, and
each group is checked alone (`H = sum_m f_m(J) H_m` with real `f_m` is hermitian for
every value of `J` where each `H_m` is). Predicates, conditions and updates hold no
parameter; a matrix element that mixes them otherwise (`J + x_i`) does not apply. Rows
whose local matrices cannot differ (labels used as sites only) are checked once per
term; others once per row, up to `MAX_ROWS` local matrices in all.

This is the common hand-written model (a Heisenberg exchange `emit_if(x_i != x_j,
swap("i", "j"), 2)` on 16 sites and more) that the exhaustive check (at most 4,096
states) and the comparison of `op.H`'s kernel (the same operator written in another
order compiles to another kernel) both leave unproved (sweep 30).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from symir.frontend.expr import Expr, as_expr
from symir.frontend.product import walk
from symir.frontend.term_spec import EmissionSpec, TermSpec
from symir.frontend.update import Update

MAX_LOCAL_STATES = 4096
"""The largest local matrix built (`S^k` states for the `k` sites of a set)."""

MAX_ROWS = 512
"""The most local matrices built (terms whose rows can differ, such as a long-range
coupling `1 / |i - j|` read from `site("i").index`): about 8 ms each (240 rows of a
long-range exchange on 16 sites: 0.9 s); a lattice model's rows are checked once per
term (J1-J2 on 10x10, 400 rows: 6 ms)."""

MAX_FACTORS = 64
"""The most factors a matrix element is split into (`_factors`): a product whose
factors are shared (`e = e * e`) has exponentially many."""

TOLERANCE = 1e-12
"""`|M - M^dagger| <= TOLERANCE * max |M|` for each local matrix `M`."""

_NONLOCAL = frozenset({"count", "nth_site", "parity_sum", "param", "flip_sites"})
"""Nodes that read sites no row names, or values that are not numbers."""

_READS = frozenset({"read", "read_emitted"})

_SITE_OPERANDS: dict[str, tuple[int, ...] | str] = {
    "write": (0,),
    "shift": (0,),
    "shift_mod": (0,),
    "affine": (0,),
    "swap": (0, 1),
    "permute": "all",
    "invalidate": (),
}
"""The operands of each update step that are sites (`scatter`'s first operand is a
tuple of sites, `cond`'s are predicates and updates)."""


class _NotLocal(Exception):
    """A term that is not a sum of local operators on its rows' sites."""


class _Sites:
    """Checks that a term reads and writes the sites of its labels only."""

    def __init__(self, labels: tuple[str, ...]):
        self.labels = labels
        self.label_values = False  # a label used as a number (`site("i").index`)
        self.seen: set[int] = set()  # a subexpression shared by several parents: once

    def site(self, e: Any) -> None:
        """`e` names a site: a label of the term."""
        if not isinstance(e, Expr):
            raise _NotLocal
        if e.op == "label" and e.args[0] in self.labels:
            return
        raise _NotLocal  # a constant site (kept absolute in the term), or one computed

    def value(self, e: Any) -> None:
        """`e` is a value: its reads name sites."""
        if not isinstance(e, Expr) or id(e) in self.seen:
            return
        self.seen.add(id(e))
        if e.op in _NONLOCAL:
            raise _NotLocal
        if e.op in _READS:
            self.site(e.args[0])
            return
        if e.op == "label":
            self.label_values = True
            return
        for a in e.args:
            if isinstance(a, Expr):
                self.value(a)
            elif isinstance(a, tuple):
                for b in a:
                    self.value(b)

    def update(self, u: Update) -> None:
        for kind, *operands in u.steps:
            if kind == "cond":
                predicate, then, otherwise = operands
                self.value(predicate)
                self.update(then)
                self.update(otherwise)
                continue
            if kind == "scatter":
                sites, values = operands
                for s in sites:
                    self.site(s)
                for v in values:
                    self.value(v)
                continue
            positions = _SITE_OPERANDS.get(kind)
            if positions is None:
                raise _NotLocal
            for k, operand in enumerate(operands):
                if positions == "all" or k in positions:
                    self.site(operand)
                else:
                    self.value(operand)


def _sites_of(term: TermSpec) -> _Sites:
    found = _Sites(term.labels)
    for e in term.predicates:
        found.value(e)
    for emission in term.emissions:
        found.update(emission.update)
        found.value(emission.amplitude)
        found.value(emission.condition)
    return found


def _pattern(row: tuple[int, ...]) -> tuple[int, ...]:
    """Which labels of a row name the same site (`(0, 0)` for `i == j`)."""
    return tuple(row.index(s) for s in row)


def _local_blocks(
    terms: Sequence[TermSpec],
) -> Iterator[tuple[tuple, tuple[int, ...], TermSpec, tuple[int, ...]]]:
    """`(key, sites, term, row)` for each row to check: rows of one key act on the same
    sites and are summed before the check; `sites` the sites the row acts on (its labels'
    sites, each once). A term whose rows all give the same local matrix (its labels used
    as sites only, one pattern of equal labels) is checked on its first row, keyed by
    its rows (terms over the same rows are summed); any other row is keyed by its
    sites."""
    for term in terms:
        found = _sites_of(term)
        patterns = {_pattern(row) for row in term.rows}
        if not found.label_values and len(patterns) == 1:
            row = term.rows[0]
            yield ("rows", term.labels, term.rows), tuple(dict.fromkeys(row)), term, row
            continue
        if len(term.rows) > MAX_ROWS:
            raise _NotLocal
        for row in term.rows:
            sites = tuple(dict.fromkeys(row))
            yield ("sites", tuple(sorted(sites))), sites, term, row


def _bound(e: Any, values: dict[str, int], memo: dict[int, Any]) -> Any:
    """`e` with each label used as a number (`site("i").index`) replaced by its row's
    site (the term moved onto `k` sites still reads and writes through its labels).
    `memo` holds what each subexpression became: one shared by several parents is bound
    once and stays shared, and one without such a label is kept as it is."""
    if not isinstance(e, Expr) or e.op in _READS:
        return e
    found = memo.get(id(e))
    if found is None:
        if e.op == "label":
            found = as_expr(values[e.args[0]])
        else:
            args = tuple(_bound(a, values, memo) for a in e.args)
            same = all(a is b for a, b in zip(args, e.args, strict=True))
            found = e if same else Expr(e.op, *args)
        memo[id(e)] = found
    return found


def _bound_update(u: Update, values: dict[str, int], memo: dict[int, Any]) -> Update:
    steps = []
    for kind, *operands in u.steps:
        if kind == "cond":
            predicate, then, otherwise = operands
            bound = (
                _bound(predicate, values, memo),
                _bound_update(then, values, memo),
                _bound_update(otherwise, values, memo),
            )
        elif kind == "scatter":
            sites, written = operands
            bound = (sites, tuple(_bound(v, values, memo) for v in written))
        else:
            positions = _SITE_OPERANDS[kind]
            bound = tuple(
                o if positions == "all" or k in positions else _bound(o, values, memo)
                for k, o in enumerate(operands)
            )
        steps.append((kind, *bound))
    return Update(tuple(steps))


def _moved(name: str, term: TermSpec, row: tuple[int, ...], sites: tuple[int, ...]) -> TermSpec:
    """The term on one row, its sites renumbered `0..k-1` in the order of `sites`, its
    labels used as numbers bound to the row's own sites."""
    position = {s: k for k, s in enumerate(sites)}
    renumbered = tuple(position[s] for s in row)
    values = dict(zip(term.labels, row, strict=True))
    memo: dict[int, Any] = {}
    emissions = tuple(
        EmissionSpec(
            _bound_update(e.update, values, memo),
            _bound(e.amplitude, values, memo),
            _bound(e.condition, values, memo),
            e.tag,
        )
        for e in term.emissions
    )
    predicates = tuple(_bound(p, values, memo) for p in term.predicates)
    return TermSpec(name, "rows", term.labels, (renumbered,), predicates, emissions)


def _has_parameter(e: Any) -> bool:
    found: list[Expr] = []
    walk(e, lambda node: found.append(node) if node.op == "param" else None)
    return bool(found)


def _factors(e: Any, out: list[Any], conjugated: bool = False) -> None:
    """The factors of a product (`mul`, `neg`, and `conj` of them, as the adjoint writes
    its elements), appended to `out`; the conjugate of a real-parameter expression is
    itself."""
    from symir.frontend.fermion_algebra import real_parameters_only

    if len(out) > MAX_FACTORS:  # a product squared again and again (`e = e * e`)
        raise _NotLocal
    if isinstance(e, Expr) and e.op == "mul":
        for a in e.args:
            _factors(a, out, conjugated)
    elif isinstance(e, Expr) and e.op == "neg":
        out.append(as_expr(-1.0))
        _factors(e.args[0], out, conjugated)
    elif isinstance(e, Expr) and e.op == "conj":
        _factors(e.args[0], out, not conjugated)
    elif conjugated and not (isinstance(e, Expr) and real_parameters_only(e)):
        out.append(Expr("conj", as_expr(e)))
    else:
        out.append(e)


def _split(amplitude: Expr) -> tuple[tuple[str, ...], Expr]:
    """`amplitude` as `(monomial, rest)`: the keys of its factors that are expressions
    of real parameters (`fermion_algebra.real_parameters_only`), sorted, and the product
    of the others, which hold no parameter; `_NotLocal` where a factor mixes them."""
    from symir.frontend.fermion_algebra import real_parameters_only

    found: list[Any] = []
    _factors(amplitude, found)
    monomial, rest = [], []
    for f in found:
        if not _has_parameter(f):
            rest.append(f)
        elif real_parameters_only(f):
            monomial.append(repr(f.key))
        else:
            raise _NotLocal
    product = as_expr(1.0)
    for f in rest:
        product = product * f
    return tuple(sorted(monomial)), product


def _by_monomial(terms: Sequence[Any]) -> dict[tuple[str, ...], list[TermSpec]]:
    """The terms' emissions grouped by the product of real parameters their matrix
    elements are multiplied by (`_split`): `H = sum_m f_m H_m`, each `H_m` without
    parameters, and `H` hermitian for every value of the parameters where each `H_m`
    is."""
    views: dict[tuple[str, ...], dict[str, list[EmissionSpec]]] = {}
    for term in terms:
        if not isinstance(term, TermSpec):  # its chain, if any, is in the conditions
            raise _NotLocal
        for e in term.emissions:
            monomial, rest = _split(e.amplitude)
            moved = EmissionSpec(e.update, rest, e.condition, e.tag)
            views.setdefault(monomial, {}).setdefault(term.name, []).append(moved)
    by_name = {t.name: t for t in terms}
    return {
        monomial: [
            TermSpec(name, t.kind, t.labels, t.rows, t.predicates, tuple(emissions))
            for name, emissions in members.items()
            for t in (by_name[name],)
        ]
        for monomial, members in views.items()
    }


def verified_locally(op: Any) -> str | None:
    """How the local matrices show `op` hermitian (the module docstring), or None where
    the check does not apply or a local matrix is not hermitian (rows summed under
    another key may make up for it). With real parameters, the emissions multiplied by
    each product of them are checked alone (`_by_monomial`)."""
    space = op.space
    states = getattr(space, "local_states", None)
    if states is None or getattr(space, "size", None) is None:
        return None
    try:
        views = _by_monomial(op.terms)
        dtype = getattr(op, "_requested_dtype", op.dtype)
        checked = [_verified(terms, tuple(states), dtype) for terms in views.values()]
    except _NotLocal:
        return None
    if not all(checked):
        return None
    groups = sum(checked)
    if len(views) == 1 and () in views:
        return (
            f"verified bond by bond: the local matrices of its {groups} groups of rows "
            "each equal their conjugate transpose"
        )
    return (
        f"verified bond by bond for every value of its real parameters: the local "
        f"matrices of its {groups} groups of rows, for each product of parameters, each "
        "equal their conjugate transpose"
    )


@dataclass(frozen=True)
class _Local:
    """The operator `build_ir` reads (its space, terms, name, dtype, declaration): the
    rows of one group moved onto their own sites (`SymbolicOperator` is not imported:
    it imports this module)."""

    space: Any
    terms: tuple[TermSpec, ...]
    _requested_dtype: Any
    name: str = "local"
    hermitian: bool = False


def _verified(terms: list[TermSpec], states: tuple[int, ...], dtype: Any) -> int:
    """The number of local matrices of `terms` (summed by groups of rows), each hermitian;
    0 where one is not; `_NotLocal` where they cannot be built."""
    from symir.frontend.build import build_ir
    from symir.hilbert import DiscreteHilbert
    from symir.interpreter import reference_to_dense

    blocks = list(_local_blocks(terms))
    groups: dict[tuple, list[tuple[tuple[int, ...], TermSpec, tuple[int, ...]]]] = {}
    for key, sites, term, row in blocks:
        groups.setdefault(key, []).append((sites, term, row))
    if len(groups) > MAX_ROWS:  # a term per bond, written in a loop: too many to build
        raise _NotLocal
    for members in groups.values():
        sites = members[0][0]
        if len(states) ** len(sites) > MAX_LOCAL_STATES:
            raise _NotLocal
        terms = tuple(_moved(f"t{k}", term, row, sites) for k, (_, term, row) in enumerate(members))
        # a row on no site (a constant: `H - E0`) is `c` times the identity of one site
        local_space = DiscreteHilbert(states, max(1, len(sites)))
        matrix = reference_to_dense(build_ir(_Local(local_space, terms, dtype)))
        if not np.isfinite(matrix).all():  # NaN compares as no difference: not a check
            return 0
        scale = float(np.abs(matrix).max()) if matrix.size else 0.0
        if float(np.abs(matrix - matrix.conj().T).max(initial=0.0)) > TOLERANCE * scale:
            return 0  # rows of another key may make up for it: the next rules decide
    return len(groups)
