"""The terms of sums of fermion products given as a list (`symir.fermion_terms`,
symir/frontend/fermion_terms.py), built as tables.

`fermion_terms(hilbert, terms, weights)` is `sum_k w_k P_k`, `P_k` a product of ladder
operators on flat sites, equal to NetKet's `FermionOperator2nd(hilbert, terms, weights)`
(the same Jordan-Wigner convention as `DOperator.emit(cdag(i) * c(j), ...)`,
symir/frontend/fermion.py). It writes what the DSL would write for the products one by
one, tabulated (symir/frontend/tabulate.py), without building a term per product:

* a product's emission depends on its sites only through their order, their
  coincidences and their sectors (its *pattern*, `fermion.lifted_emissions`): products
  of one pattern are one term, its rows their distinct sites (labels `site0, site1,
  ...`) and the index of the row (base-N digits `tab0, tab1, ...`), its matrix element
  `sym.lookup` of the weights at that index (times the pattern's constant sign) times
  the Jordan-Wigner sign; the same product given twice is one row, its weights summed,
  and so are products that differ only in the order of consecutive creators (or
  annihilators), which anticommute (`_ordered`: sorted, with their sign), so that no
  two rows reach the same state by the same sites;
* the product `()` (the constant) is one diagonal term.

So the IR has one term per pattern (a few dozen for two-body terms), whatever the
number of products; only the row tables grow (docs/pauli-strings.md#fermion-products).
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Number
from typing import Any

import numpy as np

from symir.frontend.expr import Expr, as_expr
from symir.frontend.fermion import FermionProduct, lifted_emissions
from symir.frontend.fermion import emissions as fermion_emissions
from symir.frontend.tabulate import read_column
from symir.frontend.term_spec import EmissionSpec, TermSpec
from symir.frontend.update import Update
from symir.gc_pause import gc_paused
from symir.hilbert import FermionHilbert
from symir.lowering.sym.sym_tabulate_terms import Column, digits

Product = tuple[tuple[int, int], ...]
Strings = tuple[tuple[Product, complex | float], ...]

MAX_KEPT_STRINGS = 200_000
"""The most products whose strings an operator keeps for its algebra."""


def _factor(entry: Any, n: int, k: int) -> tuple[int, int]:
    try:
        site, dagger = entry
    except (TypeError, ValueError):
        raise ValueError(
            f"fermion_terms: term {k}: each factor must be (site, dagger), got {entry!r}"
        ) from None
    if isinstance(site, bool) or not isinstance(site, int | np.integer) or not 0 <= site < n:
        raise ValueError(f"fermion_terms: term {k}: site {site!r} is not a site in [0, {n})")
    if dagger not in (0, 1):
        raise ValueError(
            f"fermion_terms: term {k}: dagger {dagger!r} must be 1 (create) or 0 (annihilate)"
        )
    return int(site), int(dagger)


def _product(term: Any, n: int, k: int) -> Product:
    """A term as `((site, dagger), ...)`: given so, or as NetKet's string `"3^ 2 1^ 0"`."""
    if isinstance(term, str):
        entries = [(t[:-1], 1) if t.endswith("^") else (t, 0) for t in term.split()]
        try:
            term = [(int(s), d) for s, d in entries]
        except ValueError:
            raise ValueError(
                f"fermion_terms: term {k} {term!r}: factors are 'i^' (create) or 'i'"
            ) from None
    return tuple(_factor(e, n, k) for e in term)


def _parse(terms: Any, weights: Any) -> tuple[list[Any], list[Any]]:
    if hasattr(terms, "terms") and not isinstance(terms, Mapping):
        terms = terms.terms  # OpenFermion's FermionOperator (duck-typed)
    if isinstance(terms, Mapping):
        if weights is not None:
            raise ValueError(
                "fermion_terms: a mapping {term: coefficient} carries its own weights; "
                "do not pass weights="
            )
        return list(terms.keys()), list(terms.values())
    terms = list(terms)
    if weights is None:
        if terms and all(
            isinstance(t, tuple | list)
            and len(t) == 2
            and isinstance(t[1], Number)
            and isinstance(t[0], tuple | list | str)
            for t in terms
        ):
            return [t for t, _ in terms], [w for _, w in terms]
        return terms, [1.0] * len(terms)
    if isinstance(weights, Number):
        return terms, [weights] * len(terms)
    weights = (
        list(np.asarray(weights).reshape(-1)) if isinstance(weights, np.ndarray) else list(weights)
    )
    if len(weights) != len(terms):
        raise ValueError(f"fermion_terms: {len(terms)} terms but {len(weights)} weights")
    return terms, weights


def _ordered(product: Product) -> tuple[Product, int]:
    """The product with the sites of each run of consecutive creators (annihilators)
    in increasing order, and the sign that costs (they anticommute); as written where a
    run names a site twice (`c_i c_i = 0`: refused later, naming it). Products that
    differ only in such orders are then one product, one row (`branch-fuse-equal-states`
    would otherwise sum them as slots of 2, 3, ... products, one body per multiplicity:
    the StableHLO grew with the number of products)."""
    out: list[tuple[int, int]] = []
    sign = 1
    k = 0
    while k < len(product):
        end = k
        while end < len(product) and product[end][1] == product[k][1]:
            end += 1
        run = [s for s, _ in product[k:end]]
        if len(set(run)) < len(run):
            return product, 1
        inversions = sum(a > b for x, a in enumerate(run) for b in run[x + 1 :])
        sign *= -1 if inversions % 2 else 1
        out += [(s, product[k][1]) for s in sorted(run)]
        k = end
    return tuple(out), sign


def _ordered_packed(sites: np.ndarray, daggers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`_ordered` of `(T, k)` products: the sites sorted within runs, and the signs
    (a product with a site twice in a run as written, sign 1)."""
    k = sites.shape[1]
    run = np.concatenate(
        [np.zeros((len(sites), 1), np.int64), np.cumsum(daggers[:, 1:] != daggers[:, :-1], 1)],
        axis=1,
    )
    same = run[:, :, None] == run[:, None, :]
    later = np.triu(np.ones((k, k), bool), 1)
    inversions = (same & later & (sites[:, :, None] > sites[:, None, :])).sum(axis=(1, 2))
    twice = (same & later & (sites[:, :, None] == sites[:, None, :])).any(axis=(1, 2))
    order = np.argsort(run * (sites.max() + 1) + sites, axis=1, kind="stable")
    order[twice] = np.arange(k)  # as written: refused later, naming the product
    signs = np.where(twice, 1, 1 - 2 * (inversions % 2))
    return np.take_along_axis(sites, order, axis=1), signs


def _pattern_key(product: Product, space: FermionHilbert) -> tuple[tuple, tuple[int, ...]]:
    """The product's pattern (as `fermion._pattern` keys it) and its distinct sites in
    order of first appearance (the values of its columns)."""
    first: dict[int, int] = {}
    columns = tuple(first.setdefault(s, len(first)) for s, _ in product)
    distinct = tuple(first)
    order = sorted(distinct)
    sectors = tuple(
        next((j for j, (lo, hi, _) in enumerate(space.sectors) if lo <= s < hi), -1)
        for s in distinct
    )
    key = (
        tuple(d for _, d in product),
        columns,
        tuple(order.index(s) for s in distinct),
        sectors,
    )
    return key, distinct


def _vanishes(product: Product) -> bool:
    """Whether the product is the zero operator: two creators (annihilators) on one site
    with none of the other kind on it in between (`c_i c_i = 0`, whatever lies between
    on other sites). NetKet's `FermionOperator2nd` accepts such products; they add
    nothing, so `fermion_terms` leaves them out."""
    last: dict[int, int] = {}
    for site, dagger in product:
        if last.get(site) == dagger:
            return True
        last[site] = dagger
    return False


def _emission(product: Product, space: FermionHilbert, name: str):
    """The pattern's emission (labels `site0, ...`); an invalid product is named by
    `fermion.emissions`."""
    written = FermionProduct([(Expr("const", s), bool(d)) for s, d in product])
    lifted = lifted_emissions(written, space, name, (), ((),))
    if lifted is None:
        fermion_emissions(written, space, name, (), ((),))  # raises, naming the product
        raise AssertionError(f"no emission for {written!r}")  # pragma: no cover
    return lifted[0], lifted[2][0]


def _amplitude(values: np.ndarray, key: Expr) -> Expr:
    keys = tuple(range(len(values)))
    real = Expr("lookup", keys, tuple(values.real.tolist()), key)
    if not np.iscomplexobj(values) or not np.any(values.imag):
        return real
    return Expr("complex", real, Expr("lookup", keys, tuple(values.imag.tolist()), key))


Groups = dict[Any, tuple[np.ndarray, np.ndarray]]
"""Pattern -> (its products' distinct sites `(R, D)`, their summed weights `(R,)`)."""


def _unique_rows(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`np.unique(a, axis=0, return_inverse=True)` for non-negative integers, by one
    integer per row where they fit in 63 bits (a sort of integers, not of byte rows)."""
    if not len(a) or a.shape[1] == 0:
        return np.unique(a, axis=0, return_inverse=True)
    bases = a.max(axis=0).astype(object) + 1
    if int(np.prod(bases)) >= 2**63:
        return np.unique(a, axis=0, return_inverse=True)
    code = np.zeros(len(a), np.int64)
    for j in range(a.shape[1]):
        code = code * int(bases[j]) + a[:, j]
    _, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    return a[first], np.asarray(inverse).reshape(-1)


def _merged(sites: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows given twice as one, their weights summed."""
    unique, inverse = _unique_rows(sites)
    total = np.zeros(len(unique), np.complex128)
    np.add.at(total, np.asarray(inverse).reshape(-1), weights)
    return unique, total


def _groups_packed(
    written: list[Any], coefficients: np.ndarray, space: FermionHilbert
) -> tuple[Groups, dict[Any, Product], complex] | None:
    """`_groups` by numpy, for products that all have the same number of factors given
    as `(site, dagger)` pairs (None otherwise, or where one is invalid: `_groups` then
    names it)."""
    if not written or any(isinstance(t, str) for t in written):
        return None
    try:
        a = np.asarray(written)
    except ValueError:
        return None
    if a.ndim != 3 or a.shape[1] == 0 or a.shape[2] != 2 or a.dtype.kind not in "iu":
        return None
    sites, daggers = a[:, :, 0].astype(np.int64), a[:, :, 1].astype(np.int64)
    if sites.min() < 0 or sites.max() >= space.size or not np.isin(daggers, (0, 1)).all():
        return None
    sites, signs = _ordered_packed(sites, daggers)
    coefficients = coefficients * signs
    k = sites.shape[1]
    eq = sites[:, :, None] == sites[:, None, :]  # [t, j, k]: factors j and k on one site
    first = eq.argmax(axis=1)  # the first factor on each factor's site
    is_first = first == np.arange(k)
    index = np.cumsum(is_first, axis=1) - 1  # a first factor's column
    columns = np.take_along_axis(index, first, axis=1)
    below = (sites[:, :, None] < sites[:, None, :]) & is_first[:, :, None]
    ranks = below.sum(axis=1)  # distinct sites below each factor's site
    sectors = np.full(sites.shape, -1)
    for j, (lo, hi, _) in enumerate(space.sectors):
        sectors[(sites >= lo) & (sites < hi)] = j
    keys = np.concatenate([daggers, columns, ranks, sectors + 1], axis=1)
    unique, inverse = _unique_rows(keys)
    inverse = np.asarray(inverse).reshape(-1)
    order = np.argsort(inverse, kind="stable")
    starts = np.searchsorted(inverse[order], np.arange(len(unique) + 1))
    groups: Groups = {}
    examples: dict[Any, Product] = {}
    for g in range(len(unique)):
        members = order[starts[g] : starts[g + 1]]
        t = members[0]
        firsts = np.flatnonzero(is_first[t])
        groups[g] = _merged(sites[members][:, firsts], coefficients[members])
        examples[g] = tuple((int(s), int(d)) for s, d in zip(sites[t], daggers[t], strict=True))
    return groups, examples, 0j


def _groups_by_length(
    written: list[Any], coefficients: np.ndarray, space: FermionHilbert
) -> tuple[Groups, dict[Any, Product], complex] | None:
    """`_groups_packed` of the products of each number of factors (a product of sums of
    strings has strings of 0 to 8 factors), the constant the weights of `()`; None where
    a product is not a sequence of `(site, dagger)` pairs or one length is not packed."""
    by_length: dict[int, list[int]] = {}
    for k, term in enumerate(written):
        if not isinstance(term, tuple | list):
            return None
        by_length.setdefault(len(term), []).append(k)
    if len(by_length) < 2:
        return None
    groups: Groups = {}
    examples: dict[Any, Product] = {}
    constant = complex(coefficients[by_length.pop(0, [])].sum())
    for length, members in by_length.items():
        packed = _groups_packed([written[k] for k in members], coefficients[members], space)
        if packed is None:
            return None
        for g, table in packed[0].items():
            groups[length, g] = table
            examples[length, g] = packed[1][g]
    return groups, examples, constant


def _groups(
    written: list[Any], coefficients: np.ndarray, space: FermionHilbert
) -> tuple[Groups, dict[Any, Product], complex]:
    """The products by pattern (`Groups`), an example product of each pattern, and the
    constant (the weights of `()`)."""
    packed = _groups_packed(written, coefficients, space)
    if packed is not None:
        return packed
    packed = _groups_by_length(written, coefficients, space)
    if packed is not None:
        return packed
    groups: dict[tuple, dict[tuple[int, ...], complex]] = {}
    examples: dict[tuple, Product] = {}
    constant = 0j
    for k, (term, c) in enumerate(zip(written, coefficients.tolist(), strict=True)):
        product = _product(term, space.size, k)
        if not product:
            constant += c
            continue
        product, sign = _ordered(product)
        c *= sign
        key, distinct = _pattern_key(product, space)
        table = groups.get(key)
        if table is None:
            table = groups[key] = {}
            examples[key] = product
        table[distinct] = table.get(distinct, 0j) + c
    arrays = {
        key: (np.asarray(list(t), dtype=np.int64), np.asarray(list(t.values()), np.complex128))
        for key, t in groups.items()
    }
    return arrays, examples, constant


def _abstract_counts(e: Any, bounds: list[str]) -> Any:
    """`e` with the label bounds of its `count`s replaced by new labels `cnt0, cnt1, ...`
    (the label each reads appended to `bounds`): patterns that differ only in the order
    of their sites, hence in which sites bound their Jordan-Wigner counts, are one shape
    (as the DSL's tabulation makes them, symir/frontend/tabulate.py)."""
    if not isinstance(e, Expr):
        return e
    if e.op == "count":
        args = []
        for a in e.args:
            if isinstance(a, Expr) and a.op == "label":
                bounds.append(a.args[0])
                args.append(Expr("label", f"cnt{len(bounds) - 1}"))
            else:
                args.append(_abstract_counts(a, bounds))
        return Expr("count", *args)
    return Expr(e.op, *(_abstract_counts(a, bounds) for a in e.args))


def _shape_term(name: str, members: list, n: int, complex_: bool) -> TermSpec:
    """One term for the patterns of one shape: per row, the distinct sites, the sites
    bounding the counts and the index of its weight."""
    (labels, em, sign), positions, _, _ = members[0]
    rows = np.concatenate([np.concatenate([t[0], t[0][:, w]], axis=1) for _, w, t, _ in members])
    values = np.concatenate([t[1] * factor for _, _, t, factor in members])
    if not complex_:
        values = values.real
    width = digits(len(values), n)
    index = np.arange(len(values))
    tab = np.stack([(index // n**d) % n for d in range(width)], axis=1)  # least first
    column = Column(0, [[0] * width], [f"tab{d}" for d in range(width)])
    amplitude = _amplitude(values, read_column(column, n))
    if sign is not None:
        amplitude = amplitude * sign
    bounds = [f"cnt{j}" for j in range(len(positions))]
    return TermSpec(
        name,
        "rows",
        (*labels, *bounds, *column.labels),
        tuple(map(tuple, np.concatenate([rows, tab], axis=1).tolist())),
        emissions=(EmissionSpec(em.update, amplitude, em.condition),),
    )


def _term_specs(
    space: FermionHilbert, terms: Any, weights: Any
) -> tuple[tuple[TermSpec, ...], bool, Strings | None]:
    """The terms of `sum_k weights[k] P_k` (`fermion_terms`' input), whether a weight is
    complex, and the strings as `((site, dagger), ...)` products with their weights (None
    past `MAX_KEPT_STRINGS`: kept for the algebra, symir/frontend/fermion_algebra.py)."""
    n = space.size
    written, w = _parse(terms, weights)
    coefficients = np.asarray(w, dtype=np.complex128)
    if not np.all(np.isfinite(coefficients)):
        raise ValueError("fermion_terms: the weights must be finite")
    complex_ = bool(np.any(coefficients.imag != 0))
    groups, examples, constant = _groups(written, coefficients, space)
    specs: list[TermSpec] = []
    if constant:
        value = constant if complex_ else constant.real
        specs.append(
            TermSpec(
                "constant",
                "global",
                (),
                ((),),
                emissions=(EmissionSpec(Update(), as_expr(value)),),
            )
        )
    shapes: dict[tuple, list[tuple[Any, list[int], tuple[np.ndarray, np.ndarray], float]]] = {}
    for key, table in groups.items():
        if _vanishes(examples[key]):  # the pattern decides it: every product of it is 0
            continue
        labels, em = _emission(examples[key], space, "fermion_terms")
        bounds: list[str] = []
        sign = _abstract_counts(em.sign, bounds) if em.sign is not None else None
        shape = (
            len(labels),
            em.update,
            None if em.condition is None else em.condition.key,
            None if sign is None else sign.key,
        )
        factor = -1.0 if em.coefficient is not None else 1.0  # the pattern's constant sign
        positions = [labels.index(b) for b in bounds]
        shapes.setdefault(shape, []).append(((labels, em, sign), positions, table, factor))
    for g, members in enumerate(shapes.values()):
        specs.append(_shape_term(f"shape{g}", members, n, complex_))
    if not specs:  # no product (or all weights zero): the zero operator
        specs.append(
            TermSpec(
                "constant",
                "global",
                (),
                ((),),
                emissions=(EmissionSpec(Update(), as_expr(0.0)),),
            )
        )
    strings = None
    if len(written) <= MAX_KEPT_STRINGS:
        values = coefficients.tolist() if complex_ else coefficients.real.tolist()
        products = (_product(t, n, k) for k, t in enumerate(written))
        strings = tuple(zip(products, values, strict=True))
    return tuple(specs), complex_, strings


def term_specs(
    space: FermionHilbert, terms: Any, weights: Any
) -> tuple[tuple[TermSpec, ...], bool, Strings | None]:
    """`_term_specs`, with Python's cyclic collector paused: many small objects, and a
    collection walks every object of the process."""
    with gc_paused():
        return _term_specs(space, terms, weights)


__all__ = ["MAX_KEPT_STRINGS", "term_specs"]
