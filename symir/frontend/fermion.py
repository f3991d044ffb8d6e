"""Fermions in the DSL: ladder operators, their products and sums, and the emissions a
product becomes, with Jordan-Wigner signs in NetKet's convention.

`cdag(i)`, `c(i)` and `n(i) = cdag(i) c(i)` act on a fermionic space (`sym.Fermions` or
NetKet's `SpinOrbitalFermions`); `*` composes them (`cdag("i") * c("j")`), scales them by
numbers or expressions, `+`/`-` make sums. `DOperator.emit(product, matrix_element=w)`
adds, for every row of the term, the matrix elements `<x| w P |x'>` of the product `P`
as written (no reordering is needed: every factor gets its exact sign):

* NetKet's `FermionOperator2nd` convention: the operator on site `s` carries the string
  `(-1)^(x[0] + ... + x[s-1])` of the sites before it, in NetKet's site order (the
  orbitals of the first spin subsector, then the next: `Fermions.index(orbital, sz)`);
* a branch is the state `x'` with `P|x'> = s |x>`, i.e. `|x'> = s P^dagger |x>`: the
  factors are applied left to right with their daggers flipped, each one checking the
  occupation it needs (`c` on an empty site, `cdag` on an occupied one: the branch is
  dropped), and the matrix element is `w * s` (as NetKet's `get_conn`);
* the sign is `sym.parity` of a sum of `sym.count`s of the source configuration plus
  per-row corrections for the factors applied before: `count(0, a) + count(0, b)` is
  even with `count(min(a, b), max(a, b))`, so a product of K factors needs about K/2
  counts, and factors on the same site cancel (`n(i)` needs none and is diagonal).

Sites are labels of the term or flat site indices (the row table holds the rest: a spinful
model lists `Fermions.index(orbital, sz)` in its rows), so every relation between two
factors (`i == j`, `i < j`) is known row by row and folds into the row table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Any, ClassVar

from symir.errors import SymbolicDefinitionError
from symir.frontend.expr import (
    Expr,
    SiteSelector,
    all_of,
    as_expr,
    constant_site,
    count,
    maximum,
    minimum,
    parity,
)
from symir.frontend.update import Update
from symir.hilbert import FermionHilbert
from symir.lowering.sym.diagnostics import definition_error


def _site(ref: Any) -> Expr:
    """A fermion site: a label, a flat index, or a site found at run time (`nth_site`)."""
    if type(ref) is int and ref >= 0:  # the common case first: a loop over constant sites
        return constant_site(ref)
    if isinstance(ref, SiteSelector):
        ref = ref.index
    if isinstance(ref, str):
        if not ref.isidentifier():
            raise ValueError(f"labels must be identifiers, got {ref!r}")
        return Expr("label", ref)
    if isinstance(ref, bool) or not isinstance(ref, int | Expr):
        raise TypeError(
            f"a fermion site must be a label, a flat site index or nth_site(...), got {type(ref).__name__}"
        )
    if isinstance(ref, int):
        if ref < 0:
            raise ValueError(f"a flat site index must be >= 0, got {ref}")
        return constant_site(int(ref))
    if ref.op not in ("label", "const", "nth_site"):
        raise TypeError(
            f"a fermion site must be a label, a flat site index or nth_site(...), got the "
            f"expression {ref!r}: put the sites in the row table (for_each(..., over=rows)) "
            "instead"
        )
    return ref


def _rank_name(rank: Expr) -> str:
    return repr(rank.args[0]) if rank.op in ("label", "const") else repr(rank)


def _scale(coefficient: Expr | None, factor: Any) -> Expr:
    f = as_expr(factor)
    return f if coefficient is None else coefficient * f


def _is_scalar(value: Any) -> bool:
    return isinstance(value, Expr | int | float | complex) and not isinstance(value, bool)


def _is_zero(value: Any) -> bool:
    """Whether `value` is the number 0 (a sum's start, `sum(...)`'s or a loop's `terms =
    0`), which adding to or subtracting from a fermion operator leaves as it is."""
    return isinstance(value, int | float) and not isinstance(value, bool) and value == 0


def _constant_added(other: Any) -> TypeError:
    """The error of a number or expression added to a fermion operator (0 aside: a
    sum's start); Python's own says only "unsupported operand type(s)"."""
    return TypeError(
        f"a fermion operator plus {other!r}, which is not a ladder product: emit it on "
        "its own, e.g. .globally().emit(sym.identity(), matrix_element=c), or add a "
        "number to the built operator (op + c)"
    )


class FermionProduct:
    """A product of ladder operators (`cdag`, `c`), as written, with a coefficient."""

    __slots__ = ("coefficient", "factors")

    scaled_by_expressions: ClassVar[bool] = True  # `Expr * product` is the product's

    def __init__(self, factors: Sequence[tuple[Expr, bool]], coefficient: Expr | None = None):
        self.factors = tuple(factors)
        self.coefficient = coefficient

    def __repr__(self) -> str:
        def name(site: Expr) -> str:
            if site.op == "nth_site":
                sites, state, rank = site.args
                return f"nth_site({_rank_name(rank)}, {state}, {list(sites)})"
            return repr(site.args[0]) if site.op == "label" else str(site.args[0])

        text = " ".join(f"{'cdag' if d else 'c'}({name(s)})" for s, d in self.factors)
        return text if self.coefficient is None else f"{self.coefficient!r} * {text}"

    def __bool__(self):
        raise TypeError("a fermion product has no truth value")

    def dagger(self) -> FermionProduct:
        """The hermitian conjugate: the factors reversed, daggers flipped, the
        coefficient conjugated."""
        factors = [(s, not d) for s, d in reversed(self.factors)]
        coefficient = None if self.coefficient is None else Expr("conj", self.coefficient)
        return FermionProduct(factors, coefficient)

    def __mul__(self, other: Any) -> Any:
        if isinstance(other, FermionProduct):
            coefficient = self.coefficient
            if other.coefficient is not None:
                coefficient = _scale(coefficient, other.coefficient)
            return FermionProduct(self.factors + other.factors, coefficient)
        if isinstance(other, FermionSum):
            return FermionSum([self * p for p in other.products])
        if _is_scalar(other):
            return FermionProduct(self.factors, _scale(self.coefficient, other))
        return NotImplemented

    def __rmul__(self, other: Any) -> Any:
        if _is_scalar(other):
            coefficient = as_expr(other)
            if self.coefficient is not None:
                coefficient = coefficient * self.coefficient
            return FermionProduct(self.factors, coefficient)
        return NotImplemented

    def __neg__(self) -> FermionProduct:
        return self.__rmul__(-1.0)

    def __add__(self, other: Any) -> Any:
        return FermionSum([self]) + other

    def __radd__(self, other: Any) -> Any:
        if _is_zero(other):
            return FermionSum([self])  # sum([...]), or a sum started at 0
        if _is_scalar(other):
            raise _constant_added(other)
        return NotImplemented

    def __sub__(self, other: Any) -> Any:
        return FermionSum([self]) - other

    def __rsub__(self, other: Any) -> Any:
        if _is_zero(other):
            return FermionSum([-self])  # a sum started at 0, then `terms - product`
        if _is_scalar(other):
            raise _constant_added(other)
        return NotImplemented


class FermionSum:
    """A sum of fermion products: each becomes one emission."""

    __slots__ = ("products",)

    scaled_by_expressions: ClassVar[bool] = True

    def __init__(self, products: Sequence[FermionProduct]):
        self.products = tuple(products)

    def __repr__(self) -> str:
        return " + ".join(repr(p) for p in self.products)

    def __bool__(self):
        raise TypeError("a sum of fermion products has no truth value")

    def dagger(self) -> FermionSum:
        return FermionSum([p.dagger() for p in self.products])

    def __add__(self, other: Any) -> Any:
        if isinstance(other, FermionProduct):
            return FermionSum([*self.products, other])
        if isinstance(other, FermionSum):
            return FermionSum([*self.products, *other.products])
        if _is_zero(other):
            return self
        if _is_scalar(other):
            raise _constant_added(other)
        return NotImplemented

    __radd__ = __add__

    def __sub__(self, other: Any) -> Any:
        if isinstance(other, FermionProduct | FermionSum):
            return self + (-other)
        if _is_zero(other):
            return self
        if _is_scalar(other):
            raise _constant_added(other)
        return NotImplemented

    def __rsub__(self, other: Any) -> Any:
        if _is_zero(other):
            return -self
        if _is_scalar(other):
            raise _constant_added(other)
        return NotImplemented

    def __neg__(self) -> FermionSum:
        return FermionSum([-p for p in self.products])

    def __mul__(self, other: Any) -> Any:
        if isinstance(other, FermionProduct | FermionSum) or _is_scalar(other):
            others = other.products if isinstance(other, FermionSum) else (other,)
            return FermionSum([p * o for p in self.products for o in others])
        return NotImplemented

    def __rmul__(self, other: Any) -> Any:
        if _is_scalar(other):
            return FermionSum([other * p for p in self.products])
        return NotImplemented


def cdag(site: Any) -> FermionProduct:
    """The creation operator on `site` (a label or a flat index)."""
    return FermionProduct([(_site(site), True)])


def c(site: Any) -> FermionProduct:
    """The annihilation operator on `site` (a label or a flat index)."""
    return FermionProduct([(_site(site), False)])


def n(site: Any) -> FermionProduct:
    """The number operator `cdag(site) * c(site)`."""
    return cdag(site) * c(site)


def is_fermionic(value: Any) -> bool:
    """Whether `value` is a fermion product or a sum of them (what `emit` expands)."""
    return isinstance(value, FermionProduct | FermionSum)


# --------------------------------------------------------------------------- emissions


@dataclass(frozen=True)
class FermionEmission:
    """What one product becomes: an update, the occupation checks (None: none needed),
    the sign (None: +1) and the coefficient (None: 1)."""

    update: Update
    condition: Expr | None
    sign: Expr | None
    coefficient: Expr | None


@dataclass(frozen=True)
class _Term:
    """What `emissions` needs of the open term."""

    name: str
    labels: tuple[str, ...]
    rows: tuple[tuple[int, ...], ...]


def _one(value: Any) -> Expr:
    return as_expr(value)


@dataclass(frozen=True)
class _Found:
    """A site found at run time (`nth_site`) on one row: one of `sites`, the one at `rank`
    (None: known only at run time) among those holding `state`. What is known statically
    about it is that set (its range) and, against another site found among the same
    sites, the order of the ranks."""

    sites: tuple[int, ...]
    state: int
    rank: int | None

    @property
    def increasing(self) -> bool:
        return _increasing(self.sites)


Site = int | _Found
"""A factor's site on one row: known (an index) or found at run time."""

# What is known of a list of sites, cached by the list: a term's rows find their sites
# among the same few lists (a spin's orbitals), thousands of times over (N2O 6-31G
# without symmetry: 183,000 sites found among two lists)


@lru_cache(maxsize=1024)
def _increasing(sites: tuple[int, ...]) -> bool:
    return all(a < b for a, b in pairwise(sites))


@lru_cache(maxsize=1024)
def _site_span(sites: tuple[int, ...]) -> tuple[int, int]:
    return min(sites), max(sites)


@lru_cache(maxsize=1024)
def _site_set(sites: tuple[int, ...]) -> frozenset[int]:
    return frozenset(sites)


def _key(u: Site) -> int | tuple[int, int, int | None]:
    """A cheap hashable stand-in for a site on one row, among the live sites of one term:
    a found site by the identity of its list (the rows of a factor share it), its state
    and its rank."""
    return u if isinstance(u, int) else (id(u.sites), u.state, u.rank)


def _span(u: Site) -> tuple[int, int]:
    return (u, u) if isinstance(u, int) else _site_span(u.sites)


def _members(u: Site) -> frozenset[int]:
    return frozenset((u,)) if isinstance(u, int) else _site_set(u.sites)


def _compare(u: Site, v: Site, kind: str) -> bool | None:
    """`u == v` (`kind` "eq"), `u < v` ("lt") or `u <= v` ("le") on one row, where it is
    known statically, else None. Sites found at run time are compared as the sites of
    branches that are active, where they were found (a branch whose site was not found
    is dropped by its occupation check, whatever its sign or update)."""
    if isinstance(u, int) and isinstance(v, int):
        return u == v if kind == "eq" else u < v if kind == "lt" else u <= v
    if isinstance(u, _Found) and isinstance(v, _Found):
        known = _compare_found(u, v, kind)
        if known is not None:
            return known
    if kind == "eq":
        return False if not _members(u) & _members(v) else None
    (lu, hu), (lv, hv) = _span(u), _span(v)
    if hu < lv or (kind == "le" and hu <= lv):
        return True
    if lu > hv or (kind == "lt" and lu >= hv):
        return False
    return None


def _compare_found(u: _Found, v: _Found, kind: str) -> bool | None:
    """What two sites found at run time tell by themselves: sites holding different
    states differ; among the same sites and state, ranks order them as the sites are."""
    if u.state != v.state:
        return False if kind == "eq" else None
    if u.sites != v.sites or u.rank is None or v.rank is None:
        return None
    if kind == "eq":
        return u.rank == v.rank
    if not u.increasing:
        return None
    return u.rank < v.rank if kind == "lt" else u.rank <= v.rank


class _Factors:
    """The factors of a product as applied to `x` (`P^dagger`: in written order, daggers
    flipped), with their sites on every row of the term (`Site`)."""

    def __init__(self, product: FermionProduct, term: _Term, space: FermionHilbert):
        self.sites = [s for s, _ in product.factors]
        self.creates = [not d for _, d in product.factors]  # flipped daggers
        self.delta = [1 if k else -1 for k in self.creates]
        # a site that reads no label (a constant, a site found at a rank that is no label)
        # is the same on every row: computed once (thousands of rows of one slot each,
        # symir/chemistry/irrep_slots.py)
        self.uniform = [not self._reads_label(s, term) for s in self.sites]
        for site in self.sites:  # the lists a site is found among, once per factor
            if site.op == "nth_site":
                for k in site.args[0]:
                    self._in_space(k, term, space)
        self.values = [
            [self._value(s, term.rows[0], term, space)] * len(term.rows)
            if same and term.rows
            else self._row_values(s, term, space)
            for s, same in zip(self.sites, self.uniform, strict=True)
        ]
        self.space = space
        self._key_lists: dict[int, list] = {}

    @staticmethod
    def _reads_label(site: Expr, term: _Term) -> bool:
        """Whether the site's value depends on the row (reads one of the term's labels)."""
        if site.op == "nth_site":
            rank = site.args[2]
            return rank.op == "label" and rank.args[0] in term.labels
        return site.op != "const"

    @staticmethod
    def _row_values(site: Expr, term: _Term, space: FermionHilbert) -> list[Site]:
        """`_value` of a site that reads a label, on every row of the term (what does
        not depend on the row read once)."""
        if site.op == "nth_site":
            sites, state, rank = site.args
            at, shared = term.labels.index(rank.args[0]), tuple(sites)
            return [_Found(shared, int(state), row[at]) for row in term.rows]
        return [_Factors._value(site, row, term, space) for row in term.rows]

    @staticmethod
    def _value(site: Expr, row: tuple[int, ...], term: _Term, space: FermionHilbert) -> Site:
        if site.op == "nth_site":  # its sites were checked by `__init__`
            sites, state, rank = site.args
            known = None
            if rank.op == "const":
                known = int(rank.args[0])
            elif rank.op == "label" and rank.args[0] in term.labels:
                known = row[term.labels.index(rank.args[0])]
            return _Found(tuple(sites), int(state), known)
        if site.op == "const":
            return _Factors._in_space(int(site.args[0]), term, space)
        label = site.args[0]
        if label not in term.labels:
            raise SymbolicDefinitionError(
                f"term @{term.name}: {label!r} is not a label of the term "
                f"(labels: {list(term.labels)})"
            )
        return row[term.labels.index(label)]

    @staticmethod
    def _in_space(k: int, term: _Term, space: FermionHilbert) -> int:
        if not 0 <= k < space.size:
            raise SymbolicDefinitionError(
                f"term @{term.name}: fermion site {k} is outside [0, {space.size})"
            )
        return k

    def found(self, k: int) -> bool:
        """Whether factor k's site is found at run time (`nth_site`)."""
        return self.sites[k].op == "nth_site"

    def relation(self, a: int, b: int, kind: str) -> bool | None:
        """`site a <kind> site b` (`_compare`) when it is the same on every row, else None."""
        if self.uniform[a] and self.uniform[b]:
            return _compare(self.values[a][0], self.values[b][0], kind)
        # the distinct pairs of sites over the rows, each compared once
        pairs = dict(
            zip(
                zip(self._keys(a), self._keys(b), strict=True),
                zip(self.values[a], self.values[b], strict=True),
                strict=True,
            )
        )
        seen = set()
        for u, v in pairs.values():
            seen.add(_compare(u, v, kind))
            if len(seen) > 1:
                return None
        return seen.pop()

    def _keys(self, k: int) -> list:
        """`_key` of factor k's site on every row (computed once)."""
        if k not in self._key_lists:
            self._key_lists[k] = [_key(u) for u in self.values[k]]
        return self._key_lists[k]

    def equal(self, a: int, b: int) -> Expr | int:
        """`[site a == site b]`: 0/1, or an integer expression of the sites."""
        known = self.relation(a, b, "eq")
        if known is not None:
            return int(known)
        d = self.sites[b] - self.sites[a]
        return 1 - minimum(abs(d), 1)

    def before(self, a: int, b: int) -> Expr | int:
        """`[site a < site b]`: 0/1, or an integer expression of the sites."""
        known = self.relation(a, b, "lt")
        if known is not None:
            return int(known)
        return minimum(maximum(self.sites[b] - self.sites[a], 0), 1)

    def classes(self) -> list[list[int]]:
        """The factors grouped by site, where two factors are on the same site on every
        row (in order of first appearance)."""
        groups: list[list[int]] = []
        for k in range(len(self.sites)):
            for g in groups:
                if self.relation(g[0], k, "eq"):
                    g.append(k)
                    break
            else:
                groups.append([k])
        return groups

    def distinct(self, groups: list[list[int]]) -> bool:
        """Whether factors of different groups are on different sites on every row."""
        return all(
            self.relation(g[0], h[0], "eq") is False
            for i, g in enumerate(groups)
            for h in groups[i + 1 :]
        )

    def holds(self, k: int, occupied: int) -> Expr | None:
        """`x[site k] == occupied`; for a site found at run time, that it was found (and,
        unless it was found holding `occupied`, the read); None where that always holds."""
        site = self.sites[k]
        read = Expr("read", site) == occupied
        if not self.found(k):
            return read
        present = None if self.always_found(k) else site >= 0
        if site.args[1] == occupied:
            return present
        return read if present is None else present & read

    def always_found(self, k: int) -> bool:
        """Whether factor k's site, found at run time, is found in every state of the
        space on every row: its sites are a sector that fixes the number of fermions,
        and each row's rank is below the number of particles (state 1) or holes (0)."""
        sites, state, _ = self.sites[k].args
        for lo, hi, fixed in self.space.sectors:
            if set(sites) == set(range(lo, hi)):
                holding = fixed if state == 1 else hi - lo - fixed
                return all(v.rank is not None and 0 <= v.rank < holding for v in self.values[k])
        return False


def _sum(terms: list[Expr | int]) -> Expr | int:
    static = sum(t for t in terms if isinstance(t, int))
    dynamic = [t for t in terms if not isinstance(t, int)]
    if not dynamic:
        return static
    total = dynamic[0]
    for t in dynamic[1:]:
        total = total + t
    return total + static if static else total


def _occupations(
    f: _Factors, groups: list[list[int]], product: FermionProduct, term: _Term
) -> tuple[list[Expr], Update]:
    """The occupation checks and the update. Groups on distinct sites are checked once
    each (the rest of the group follows statically) and written once, where their net
    change is not zero; otherwise every factor is checked and written, in order."""
    checks: list[Expr] = []
    update = Update()
    if f.distinct(groups):
        for g in groups:
            occupied = 1 - int(f.creates[g[0]])  # what the first factor needs
            check = f.holds(g[0], occupied)
            if check is not None:
                checks.append(check)
            for k in g:
                if occupied != 1 - int(f.creates[k]):
                    # `creates` is of the flipped factors: a written `cdag` annihilates
                    written = "annihilations" if f.creates[k] else "creations"
                    raise SymbolicDefinitionError(
                        f"term @{term.name}: the fermion product {product!r} is zero on every "
                        f"configuration (two {written} on one site with none in between)"
                    )
                occupied += f.delta[k]
            if occupied != 1 - int(f.creates[g[0]]):
                update = update.write(f.sites[g[0]], occupied)
        return checks, update
    for k in range(len(f.sites)):
        before = _sum([Expr("read", f.sites[k])] + [f.delta[j] * f.equal(j, k) for j in range(k)])
        checks.append(as_expr(before) == (1 - int(f.creates[k])))
        if f.found(k) and not f.always_found(k):
            checks.append(f.sites[k] >= 0)
        update = update.write(f.sites[k], int(f.creates[k]))
    return checks, update


def _sign(f: _Factors, groups: list[list[int]]) -> tuple[Expr | None, int]:
    """The exponent of the Jordan-Wigner sign: the strings of every factor in the state it
    sees, as counts of `x` plus corrections for the factors applied before; split into
    its part known only at run time (None: none) and its constant part."""
    terms: list[Expr | int] = []
    for k in range(len(f.sites)):
        terms.extend(f.delta[j] * f.before(j, k) for j in range(k))
    # count(0, s) of every factor; factors on one site cancel in pairs
    odd = [g[0] for g in groups if len(g) % 2 == 1]
    for a, b in zip(odd[0::2], odd[1::2], strict=False):
        sa, sb = f.sites[a], f.sites[b]
        lo = f.relation(a, b, "le")
        if lo is True:
            terms.append(count(sa, sb))
        elif lo is False:
            terms.append(count(sb, sa))
        else:
            terms.append(count(minimum(sa, sb), maximum(sa, sb)))
    if len(odd) % 2 == 1:
        terms.append(count(0, f.sites[odd[-1]]))
    static = sum(t for t in terms if isinstance(t, int))
    dynamic = _sum([t for t in terms if not isinstance(t, int)])
    return (None if isinstance(dynamic, int) else dynamic), static


def emissions(
    value: FermionProduct | FermionSum,
    space: Any,
    term_name: str,
    labels: Sequence[str],
    rows: Sequence[Sequence[int]],
) -> list[FermionEmission]:
    """The emissions of a product (one) or a sum (one per product) on the open term."""
    term = _Term(term_name, tuple(labels), tuple(tuple(r) for r in rows))
    if not isinstance(space, FermionHilbert):
        raise definition_error(
            "SYMIR-E005",
            f"term @{term.name}",
            f"the fermion operator {value!r} needs a fermionic space (sym.Fermions or "
            f"NetKet's SpinOrbitalFermions), but the operator is on {space}",
        )
    products = value.products if isinstance(value, FermionSum) else (value,)
    if not products:
        raise SymbolicDefinitionError(f"term @{term.name}: an empty sum of fermion products")
    return [_emission(p, space, term) for p in products]


_PATTERNS: dict[tuple, FermionEmission] = {}
"""`lifted_emissions`' emissions per pattern of a product (its daggers, the columns of its
factors, the order of their sites and the sector of each): built once, shared."""

_PATTERNS_MAX = 4096
_MINUS_ONE = Expr("const", -1)


def lifted_emissions(
    value: FermionProduct | FermionSum,
    space: Any,
    term_name: str,
    labels: Sequence[str],
    rows: Sequence[Sequence[int]],
) -> tuple[tuple[str, ...], tuple[int, ...], list[FermionEmission]] | None:
    """The emissions of `value` on a term of one row whose products have constant sites
    only (`cdag(3) * c(7)`), with those sites lifted into new label columns (`site0,
    site1, ...`, one per distinct site, as `symir.frontend.canonical.lift_constant_sites`
    names them): the new labels, the values of the row's new columns, and the emissions.
    The emissions of a product depend on its sites only through their order, their
    equalities and their sectors, so they are built once per such *pattern* and shared
    by every product of that pattern (a sum of thousands of two-body terms written one
    by one builds a few dozen, and `symir.frontend.tabulate` walks each once). None when
    that does not apply (`emissions` then handles `value`); a product that is invalid
    is also left to `emissions`, which names it."""
    if not isinstance(space, FermionHilbert) or len(rows) != 1:
        return None
    products = value.products if isinstance(value, FermionSum) else (value,)
    sites = _constant_sites(products, space)
    if not sites:
        return None
    products = tuple(_run_ordered(p) for p in products)
    sites = _constant_sites(products, space)
    prefix = "site"
    while any(t.startswith(prefix) for t in labels):
        prefix = "_" + prefix
    columns: dict[int, str] = {}
    for k in sites:
        if k not in columns:
            columns[k] = f"{prefix}{len(columns)}"
    new_labels = (*labels, *columns.values())
    term = _Term(term_name, new_labels, ((*rows[0], *columns),))
    found: list[FermionEmission] = []
    for p in products:
        generic = _pattern(p, columns, space, term)
        if generic is None:
            return None
        coefficient = p.coefficient
        if generic.coefficient is not None:  # an odd constant sign
            coefficient = _negated(coefficient)
        found.append(FermionEmission(generic.update, generic.condition, generic.sign, coefficient))
    return new_labels, tuple(columns), found


def _run_ordered(p: FermionProduct) -> FermionProduct:
    """`p` (constant sites) with the sites of each run of consecutive creators (or
    annihilators) in increasing order, its coefficient negated for an odd permutation
    (they anticommute); as written where a run names a site twice. Products written in
    other orders are then one pattern and, tabulated, one row: no two rows reach the
    same state by the same sites (`branch-fuse-equal-states` would sum them in slots of
    2, 3, ... products, one body per multiplicity; `fermion_terms._ordered` for lists)."""
    factors = list(p.factors)
    odd = moved = False
    k = 0
    while k < len(factors):
        end = k
        while end < len(factors) and factors[end][1] == factors[k][1]:
            end += 1
        run = [s.args[0] for s, _ in factors[k:end]]
        if len(set(run)) < len(run):
            return p
        inversions = sum(a > b for x, a in enumerate(run) for b in run[x + 1 :])
        odd ^= inversions % 2 == 1
        moved = moved or inversions > 0
        factors[k:end] = sorted(factors[k:end], key=lambda f: f[0].args[0])
        k = end
    if not moved:
        return p
    return FermionProduct(factors, _negated(p.coefficient) if odd else p.coefficient)


def _negated(coefficient: Expr | None) -> Expr | None:
    """`-coefficient` (None: 1), a number folded (`-1`, not `neg(-1)`: terms that differ
    only in such signs are one shape for `symir.frontend.tabulate`)."""
    if coefficient is None:
        return _MINUS_ONE
    if coefficient.op == "const" and type(coefficient.args[0]) in (int, float):
        value = -coefficient.args[0]
        return None if value == 1 else Expr("const", value)
    return -coefficient


def _constant_sites(products: Sequence[FermionProduct], space: FermionHilbert) -> list[int]:
    """The sites of every factor of `products`, if all are constants in the space (else
    an empty list)."""
    sites: list[int] = []
    for p in products:
        if not p.factors:
            return []
        for s, _ in p.factors:
            if s.op != "const" or type(s.args[0]) is not int or not 0 <= s.args[0] < space.size:
                return []
            sites.append(s.args[0])
    return sites


def _pattern(
    p: FermionProduct, columns: dict[int, str], space: FermionHilbert, term: _Term
) -> FermionEmission | None:
    """The emission of `p` with its sites read from their `columns` and no coefficient,
    built once per pattern (None: `p` is invalid, left to `emissions` to name)."""
    values = [s.args[0] for s, _ in p.factors]
    rank = {v: k for k, v in enumerate(sorted(set(values)))}
    sectors = space.sectors
    key = (
        tuple([d for _, d in p.factors]),
        tuple([columns[v] for v in values]),
        tuple([rank[v] for v in values]),
        tuple(
            [next((j for j, (lo, hi, _) in enumerate(sectors) if lo <= v < hi), -1) for v in values]
        )
        if sectors
        else (),  # no sectors: the factors' count is that of the daggers
        sectors,
    )
    generic = _PATTERNS.get(key)
    if generic is None:
        factors = [
            (Expr("label", columns[v]), d) for v, (_, d) in zip(values, p.factors, strict=True)
        ]
        try:
            generic = _emission(FermionProduct(factors), space, term)
        except SymbolicDefinitionError:
            return None
        if len(_PATTERNS) >= _PATTERNS_MAX:
            _PATTERNS.clear()
        _PATTERNS[key] = generic
    return generic


def _emission(product: FermionProduct, space: FermionHilbert, term: _Term) -> FermionEmission:
    if not product.factors:
        return FermionEmission(Update(), None, None, product.coefficient)
    f = _Factors(product, term, space)
    _check_sectors(f, product, space, term)
    groups = f.classes()
    checks, update = _occupations(f, groups, product, term)
    dynamic, static = _sign(f, groups)
    sign = None if dynamic is None else parity(dynamic)
    coefficient = product.coefficient
    if static % 2:  # (-1)^(E + k) = (-1)^k (-1)^E: the constant part scales the element
        coefficient = _one(-1) if coefficient is None else -coefficient
    condition = None if not checks else checks[0] if len(checks) == 1 else all_of(*checks)
    return FermionEmission(update, condition, sign, coefficient)


def _check_sectors(
    f: _Factors, product: FermionProduct, space: FermionHilbert, term: _Term
) -> None:
    """On a constrained space, a product must keep the particle number of every sector
    on every row (a hop conserves it): otherwise its branches leave the space (one row
    where every site is the same on every row)."""
    rows = term.rows[:1] if all(f.uniform) else term.rows
    seen = set()
    for r, row in enumerate(rows):
        # rows whose factors lie among the same sites are checked once
        key = tuple(v[r] if isinstance(v[r], int) else v[r].sites for v in f.values)
        if key in seen:
            continue
        seen.add(key)
        for lo, hi, fixed in space.sectors:
            change = 0
            for d, v in zip(f.delta, f.values, strict=True):
                inside = {lo <= k < hi for k in _members(v[r])}
                if len(inside) > 1:
                    raise definition_error(
                        "SYMIR-E007",
                        f"term @{term.name}",
                        f"the fermion product {product!r} has a factor on a site found among "
                        f"{list(v[r].sites)}, some of them in the sector of sites {lo}..{hi - 1} "
                        f"that {space} fixes to {fixed} fermions and some not, so it may change "
                        "that number: find the site among the sites of one sector",
                    )
                change += d if inside.pop() else 0
            if change:
                raise definition_error(
                    "SYMIR-E007",
                    f"term @{term.name}",
                    f"the fermion product {product!r} changes the number of fermions on sites "
                    f"{lo}..{hi - 1} by {-change} on row {list(row)}, but {space} fixes it to "
                    f"{fixed}: use the unconstrained space or rows that conserve it",
                )


def check_update_on(space: Any, update: Update, term_name: str) -> None:
    """A plain update program (no Jordan-Wigner signs) on a fermionic space is refused:
    it would give hard-core-boson semantics."""
    if isinstance(space, FermionHilbert) and update.steps:
        kinds = sorted({step[0] for step in update.steps})
        raise definition_error(
            "SYMIR-E006",
            f"term @{term_name}",
            f"the update {kinds} on the fermionic space {space} has no Jordan-Wigner signs "
            "(hard-core-boson semantics): emit products of sym.cdag / sym.c / sym.n instead, "
            "or build the operator on sym.Fock(1, N) and write the signs with sym.parity",
        )


__all__ = [
    "FermionEmission",
    "FermionProduct",
    "FermionSum",
    "c",
    "cdag",
    "check_update_on",
    "emissions",
    "is_fermionic",
    "lifted_emissions",
    "n",
]
