"""Pauli products written one term at a time become the tables of `symir.pauli_strings`.

A user with a qubit Hamiltonian writes each string as a DSL term: its X and Y sites as
flipping writes `write(i, -s_i)`, its Z and Y sites as sign factors `s_i` of the matrix
element, `1j` for a Y, a weight in front:

    b = b.globally().emit(sym.write(0, -s0).write(3, -s3), matrix_element=w * s3 * -1j * s5)

On a space of local states `(-1, 1)` such a term is `c Z_a Z_b ... X_c X_d ...` (a site
both written and read is `i Y`, NetKet's `Y = -i Z X`). The tabulation by shape
(`symir.frontend.tabulate`) keys a term by the number of its flips and sign factors, so
random strings (their localities spread from 0 to N) make hundreds of shapes, one
compiled body each. Recognised here instead, the strings are written as
`pauli_strings` writes them: two terms (`sym.flip_sites`, `sym.parity_sum`), whatever
their number and lengths.

A term is a *Pauli product* when it is a `globally()` term without labels, predicates,
condition, tag or fan-out hint, with one emission whose update is writes `write(i, -s_i)`
to distinct constant sites, and whose matrix element is a product (`mul`, `neg`) of
numbers (real or complex constants) and reads `s_j` of `x` at constant sites (a site
read twice is `s_j^2 = 1`). Pauli products are routed when there are at least
`min_terms` of them and either their coefficients differ between products of one
*signature* (numbers of flips and of sign factors, real or complex coefficient: random
couplings, disorder) or they have more than `MAX_SIGNATURES` signatures (random
strings). A lattice model written one bond at a time (one coefficient per kind of bond)
is left to the merging of terms equal but for their sites, as before.
`compile(route_pauli_products=False)` turns it off.
"""

from __future__ import annotations

from bisect import bisect_left
from itertools import chain
from operator import itemgetter
from typing import Any

import numpy as np

from symir.frontend.expr import COMPLEX_VALUES, READ_SITES, Expr, as_expr
from symir.frontend.expr import site as selector
from symir.frontend.pauli_tables import _down_state, bit_table_terms
from symir.frontend.term_spec import EmissionSpec, TermSpec
from symir.frontend.update import FLIP_SITES, FLIPPED, Update

MAX_SIGNATURES = 4
"""The most signatures of Pauli products that are left to the tabulation by shape."""

_NUMBERS = (int, float, complex)


def _site(e: Any) -> int | None:
    """The constant site of `e` (`const(i)`), else None."""
    if e.__class__ is Expr and e.op == "const":
        v = e.args[0]
        if v.__class__ is int:
            return v
    return None


def _read(e: Any) -> int | None:
    """The site of a read of `x` at a constant site (`read(const(i))`), else None."""
    if e.__class__ is Expr and e.op == "read" and len(e.args) == 1:
        return _site(e.args[0])
    return None


def _number(e: Any) -> complex | float | int | None:
    """The value of a constant number (`const`, `complex(const, const)`), else None."""
    if e.__class__ is not Expr:
        return None
    if e.op == "const":
        v = e.args[0]
        if v.__class__ in _NUMBERS or (
            isinstance(v, _NUMBERS | np.number) and not isinstance(v, bool | np.bool_)
        ):
            return v
        return None
    if e.op == "complex" and len(e.args) == 2:
        re, im = _number(e.args[0]), _number(e.args[1])
        if re is not None and im is not None and not isinstance(re, complex):
            if not isinstance(im, complex):
                return complex(re, im)
    return None


def pauli_product(term: TermSpec) -> tuple[list[int], list[int], complex | float | int] | None:
    """(flipped sites, sites read an odd number of times, coefficient) of a Pauli
    product (module doc), else None. (It runs once per term of a loop of 100,000
    terms: its checks are written out.)"""
    if (
        term.kind != "global"
        or term.labels
        or term.predicates
        or term.fanout is not None
        or len(term.emissions) != 1
    ):
        return None
    (em,) = term.emissions
    if em.condition is not None or em.tag is not None:
        return None
    flips = _flips(em.update.steps)
    if flips is None:
        return None
    found = _signs(em.amplitude)
    if found is None:
        return None
    return flips, found[0], found[1]


def pauli_record(update: Update, amplitude: Any) -> tuple | None:
    """The record `(flipped sites, sites read an odd number of times, coefficient)`
    (tuples of ints and a number) of the emission `update`, `amplitude` of a
    `globally()` term when it is a Pauli product (module doc), else None. A builder
    keeps this record in place of the term (`symir.frontend.stored_terms`): it holds no
    object Python's collector tracks, where the term held the loop's expressions."""
    flips: tuple = ()
    if update.steps:  # `identity()`: no flip (the diagonal terms of a loop of couplings)
        # a coupling's shared `write(i, -site(i)).write(j, -site(j))`: one lookup
        # (`symir.frontend.update.FLIPPED`)
        flips = FLIPPED.get(id(update))
        if flips is None:
            flips = _flips_of(update.steps)
            if flips is None:
                return None
    cls = amplitude.__class__
    if cls is float or cls is complex or cls is int:  # a number: no expression to walk
        return (flips, (), amplitude)
    if cls is Expr and amplitude.op == "mul":  # `J * site(i) * site(j)`, a coupling
        a, b = amplitude.args
        j = READ_SITES.get(id(b))
        if j is not None and a.__class__ is Expr and a.op == "mul":
            c, d = a.args
            i = READ_SITES.get(id(d))
            if i is not None and c.__class__ is Expr and c.op == "const":
                w = c.args[0]
                if w.__class__ is float:
                    return (flips, (i, j) if i < j else (j, i) if j < i else (), w)
    found = _signs(amplitude if cls is Expr else as_expr(amplitude))
    if found is None:
        return None
    return (flips, tuple(found[0]), found[1])


def _flips_of(steps: tuple) -> tuple[int, ...] | None:
    """The flipped sites of the steps of an update that is not shared (`FLIPPED`), else
    None (`_flips`); remembered by the ids of the steps when they are shared flips."""
    flips = _FLIP_SETS.get(tuple(map(id, steps)))
    if flips is None:
        found = _flips(steps)
        if found is None:
            return None
        flips = tuple(found)
        _remember(steps, flips)
    return flips


_FLIP_SETS: dict[tuple[int, ...], tuple[int, ...]] = {}
"""The flipped sites of updates made of shared flip steps (`FLIP_SITES`), by the ids of
their steps, which live as long as the process (a loop of couplings writes the same
few hundred pairs of flips 100,000 times)."""

_MAX_FLIP_SETS = 1 << 16
"""The most updates `_FLIP_SETS` remembers (random strings repeat few of their flips)."""


def _remember(steps: tuple, flips: tuple) -> None:
    """Keeps `flips` in `_FLIP_SETS` when every step of `steps` is a shared flip."""
    if len(_FLIP_SETS) < _MAX_FLIP_SETS and all(id(s) in FLIP_SITES for s in steps):
        _FLIP_SETS[tuple(map(id, steps))] = flips


def term_of_record(record: tuple, name: str) -> TermSpec:
    """The `globally()` term of a Pauli product's record (`pauli_record`), its
    expressions made again: `write(i, -site(i))` per flipped site, the coefficient times
    `site(j)` per sign factor (the same operator as the term written, in this form)."""
    flips, odd, c = record[0], record[1], record[2]
    update = Update()
    for i in flips:
        update = update.write(i, -selector(i))
    element = as_expr(c)
    for j in odd:
        element = element * selector(j)
    return TermSpec(name, "global", (), ((),), (), (EmissionSpec(update, element),))


def _flips(steps: tuple) -> list[int] | None:
    """The sites of `write(i, -s_i)` steps to distinct constant sites, else None."""
    flips: list[int] = []
    known = FLIP_SITES.get  # the shared `write(i, -site(i))` steps of `site(i)`
    for step in steps:
        site = known(id(step))
        if site is not None:
            flips.append(site)
            continue
        if step[0] != "write" or len(step) != 3:
            return None
        at, value = step[1], step[2]
        if at.__class__ is not Expr or at.op != "const" or value.__class__ is not Expr:
            return None
        site = at.args[0]
        if site.__class__ is not int or value.op != "neg" or _read(value.args[0]) != site:
            return None
        flips.append(site)
    if len(flips) > 1 and len(set(flips)) != len(flips):
        return None
    return flips


def _signs(amplitude: Any) -> tuple[list[int], Any] | None:
    """(the sites read an odd number of times, the product of the numbers) of a product
    (`mul`, `neg`) of numbers and reads of `x` at constant sites, else None."""
    if amplitude.__class__ is Expr:  # `w * site(i) * site(j) ...`, a float first: no walk
        read_site = READ_SITES.get
        reads: list[int] = []
        e = amplitude
        while e.op == "mul":
            a, b = e.args
            site = read_site(id(b))
            if site is None or a.__class__ is not Expr:
                return _walked(amplitude)
            reads.append(site)
            e = a
        if e.op == "const" and e.args[0].__class__ is float:
            return _odd(reads), e.args[0]
    return _walked(amplitude)


def _walked(amplitude: Any) -> tuple[list[int], Any] | None:
    """`_signs` of any product, walked with a stack."""
    c: Any = 1
    reads: list[int] = []
    stack = [amplitude]
    pop, push, add = stack.pop, stack.append, reads.append
    read_site = READ_SITES.get  # the shared `read(const(i))` of `site(i)`
    while stack:
        e = pop()
        if e.__class__ is not Expr:
            return None
        while e.op == "mul":  # a left-deep product (`w * s_i * s_j * ...`): walked down
            e, b = e.args
            site = read_site(id(b))
            if site is None:
                push(b)
            else:
                add(site)
            if e.__class__ is not Expr:
                return None
        site = read_site(id(e))
        if site is not None:
            add(site)
            continue
        v = _factor(e, push, add)
        if v is None:
            return None
        c = c * v
    return _odd(reads), c


def _factor(e: Expr, push: Any, add: Any) -> Any:
    """The number a factor `e` (not a product) multiplies the product by, else None: a
    read adds its site (`add`, 1), a negation pushes its operand (`push`, -1)."""
    op = e.op
    if op == "complex":
        v = COMPLEX_VALUES.get(id(e))  # a shared complex constant (`-1j` of a Y)
        if v is not None:
            return v
    elif op == "read":
        site = _read(e)
        if site is None:
            return None
        add(site)
        return 1
    elif op == "neg":
        push(e.args[0])
        return -1
    elif op == "const" and e.args[0].__class__ in _NUMBERS:
        return e.args[0]
    return _number(e)


def _odd(reads: list[int]) -> list[int]:
    """The sites read an odd number of times (`s_j^2 = 1`), in increasing order."""
    if len(reads) == 2:  # a coupling `J s_i s_j`
        a, b = reads
        return [] if a == b else [a, b] if a < b else [b, a]
    if len(set(reads)) == len(reads):
        return sorted(reads)
    odd: set[int] = set()
    for site in reads:
        if site in odd:
            odd.remove(site)
        else:
            odd.add(site)
    return sorted(odd)


def route_pauli_products(
    terms: tuple[TermSpec, ...],
    hilbert: Any,
    states: tuple[int, ...],
    n_sites: int,
    min_terms: int,
) -> tuple[tuple[TermSpec, ...], dict[str, list[str]], dict[str, Any] | None]:
    """`terms` with their Pauli products (module doc) replaced, in the place of the
    first, by the terms of `pauli_strings` of the same strings; kept term -> the terms
    it absorbed; and the decision (`sym.tabulation`'s form), None when nothing was
    routed. `states`: the space's local states."""
    if sorted(states) != [-1, 1] or len(terms) < min_terms:
        return terms, {}, None
    # a record (`pauli_record`) is a Pauli product the builder recognised, once the
    # products before it proved the condition on coefficients below; the other terms
    # (most often a handful before the first record) are read here
    plain = [k for k, t in enumerate(terms) if t.__class__ is not tuple]
    read: list[Any] = list(terms)
    signatures: dict[tuple, Any] = {}
    differ = False
    for k in plain:
        p = pauli_product(terms[k])
        if p is not None:
            c = signatures.setdefault((len(p[0]), len(p[1]), isinstance(p[2], complex)), p[2])
            differ = differ or c != p[2]
            p = (tuple(p[0]), tuple(p[1]), p[2])  # as a record
        read[k] = p
    recorded = len(plain) < len(terms)
    if any(read[k] is None for k in plain):
        found = [k for k, p in enumerate(read) if p is not None]
        products = [read[k] for k in found]
    else:
        found, products = list(range(len(terms))), read
    if len(found) < min_terms or not (recorded or differ or len(signatures) > MAX_SIGNATURES):
        return terms, {}, None
    x, z, which, weights = _bits(products, n_sites, _down_state(hilbert, states) == 1)
    if not np.all(np.isfinite(weights)):
        return terms, {}, None  # left as written: the lowering reports them
    return _replaced(terms, found, plain, hilbert, states, (x, z, which), weights)


def _bits(products: list, n_sites: int, negated: bool) -> tuple[np.ndarray, ...]:
    """The strings and weights of the Pauli products (`negated`: each sign factor `s_j`
    is `-Z_j`): `(K, N)` booleans (X or Y, Z or Y) of the distinct pairs (flipped sites,
    sign factors), a loop of 100,000 couplings writes a few hundred; the row of each
    product; the weights."""
    s = len(products)
    first: dict[tuple, int] = {}  # (flips, signs) -> the first product that has them
    at = np.fromiter(map(first.setdefault, map(_SITES, products), range(s)), np.int64, s)
    dense = np.empty(s, np.int64)
    dense[np.fromiter(first.values(), np.int64, len(first))] = np.arange(len(first))
    which = dense[at]
    x_bits = np.zeros((len(first), n_sites), bool)
    z_bits = np.zeros((len(first), n_sites), bool)
    rows = np.arange(len(first))
    counts = {}
    for bits, read in ((x_bits, 0), (z_bits, 1)):
        parts = list(map(itemgetter(read), first))  # flipped sites (0), sign factors (1)
        counts[read] = np.fromiter(map(len, parts), np.int64, len(parts))
        sites = np.fromiter(chain.from_iterable(parts), np.int64, int(counts[read].sum()))
        bits[np.repeat(rows, counts[read]), sites] = True
    weights = np.fromiter(map(itemgetter(2), products), np.complex128, s)
    if negated:
        weights *= (1 - 2 * (counts[1] % 2))[which]
    y = x_bits & z_bits
    weights *= (1j ** (y.sum(axis=1) % 4))[which]  # a flip and a sign factor: Z X = i Y
    return x_bits, z_bits, which, weights if np.any(weights.imag) else weights.real


_SITES = itemgetter(0, 1)
"""A record's (flipped sites, sign factors)."""


def _replaced(
    terms: tuple[TermSpec, ...],
    found: list[int],
    plain: list[int],
    hilbert: Any,
    states: tuple[int, ...],
    bits: tuple[np.ndarray, np.ndarray, np.ndarray],
    weights: np.ndarray,
) -> tuple[tuple[TermSpec, ...], dict[str, list[str]], dict[str, Any]]:
    """`terms` with those at `found` (increasing) replaced by `pauli_strings` of these
    strings (`x`, `z` bits, the row of each string); `plain`: the terms that are not
    records."""
    x, z, which = bits
    routed, _, _ = bit_table_terms(x, z, weights, _down_state(hilbert, states), which)
    kept: list[int] = []  # the terms left as written (often none, or a handful)
    if len(found) < len(terms):
        left = np.ones(len(terms), bool)
        left[found] = False
        kept = np.flatnonzero(left).tolist()
    # a record's name is `term{k}`: the names made without reading the records (200,000
    # of a loop of couplings), those of the other terms put in their place
    absorbed = [f"term{k}" for k in found]
    for k in plain:
        at = bisect_left(found, k)
        if at < len(found) and found[at] == k:
            absorbed[at] = terms[k].name
    names = {terms[k].name for k in kept}
    made = []
    for term, labels, rows, update, element in routed:
        name = f"pauli_{term}"
        while name in names or name in absorbed:  # a scan of the list, not a set of it
            name = "_" + name
        names.add(name)
        kind = "global" if rows is None else "rows"
        emission = EmissionSpec(update, element)
        made.append(TermSpec(name, kind, labels, rows or ((),), (), (emission,)))
    first = found[0]
    out = [*(terms[k] for k in kept if k < first), *made, *(terms[k] for k in kept if k > first)]
    tabulated = {made[0].name: absorbed}
    rows = sum(len(t.rows) for t in made)
    decision = {
        "term": made[0].name,
        "terms": len(found),
        "rows": [len(found), rows],
        "decision": "pauli_strings",
        "reason": "pauli_strings",
        "columns": 0,
        "tables": len(made),
    }
    return tuple(out), tabulated, decision


MAX_WRITTEN_STRINGS = 256
"""The most strings `written_terms` writes for a product with an operator that is not
Pauli strings (`SymbolicOperator.__matmul__`)."""


def written_terms(
    letters: np.ndarray, weights: np.ndarray, down: int, up: int
) -> tuple[TermSpec, ...]:
    """The terms of `sum_k weights[k] P_k` (`(S, N)` letters `I X Y Z`) as a DSL user
    writes Pauli products, one `globally()` term per string: its X and Y sites flipped by
    writes `write(i, up + down - s_i)`, its Z and Y sites as sign factors
    `z_i = (2 s_i - up - down) / (up - down)` of the matrix element (-1 on `down`), a
    factor `-1j` per Y in the coefficient (NetKet's `Y = -i Z X`, read on the source
    configuration). The general product (`symir/frontend/product.py`) composes these
    updates, not the tables' `flip_sites`."""
    scale, shift = 2 / (up - down), -(up + down) / (up - down)
    scale = int(scale) if float(scale).is_integer() else scale
    shift = int(shift) if float(shift).is_integer() else shift
    y = letters == ord("Y")
    flips, signs = (letters == ord("X")) | y, (letters == ord("Z")) | y
    terms = []
    for k, weight in enumerate(weights):
        value = complex(weight) * (-1j) ** int(y[k].sum())
        update, element = Update(), as_expr(value.real if value.imag == 0 else value)
        for i in np.flatnonzero(flips[k]).tolist():
            update = update.write(i, up + down - selector(i))
        for i in np.flatnonzero(signs[k]).tolist():
            z = selector(i) if (scale, shift) == (1, 0) else scale * selector(i) + shift
            element = element * z
        emission = EmissionSpec(update, element)
        terms.append(TermSpec(f"term{k}", "global", (), ((),), emissions=(emission,)))
    return tuple(terms)


def record_name(terms: Any, k: int) -> str:
    """The name of `terms[k]`: a record's is its builder's default, `term{k}`."""
    term = terms[k]
    return f"term{k}" if term.__class__ is tuple else term.name


__all__ = [
    "MAX_SIGNATURES",
    "pauli_product",
    "pauli_record",
    "record_name",
    "route_pauli_products",
    "term_of_record",
]
