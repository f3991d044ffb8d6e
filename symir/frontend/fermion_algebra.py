"""The operator algebra of sums of fermion strings, done on the strings.

An operator made by `sym.fermion_terms`, or by a `DOperator` whose terms are all
`globally()` emissions of ladder-operator products on constant sites with numbers for
matrix elements (`emit(cdag(0) * c(3), matrix_element=0.5)`), keeps its strings beside
its terms (`SymbolicOperator._fermion_strings`: `((site, dagger), ...)` products, applied
right to left, and their weights, as NetKet's `FermionOperator2nd` takes them). Then

* `a @ b` is the strings of every pair multiplied in normal order by Wick's theorem,
  equal strings summed (symir/frontend/fermion_normal_order.py): `H @ H` of a molecule
  has at most `sum_k C(M, k)^2` strings, not the square of `H`'s,
* `a.H` each string reversed with its daggers flipped and its weight conjugated (`a.T`
  the same without the conjugation: a ladder operator's matrix is real), `a.conj()` the
  weights conjugated,
* a number times `a`, and a sum of such operators, the strings scaled or listed,

and the result is built by `fermion_terms` as tables (one term per pattern of products),
as NetKet multiplies its `FermionOperator2nd`. The general product of
`symir/frontend/product.py` composes the two terms' update programs and Jordan-Wigner
signs symbolically instead: for 40 products times 40 that made an IR of hundreds of lines
per pair, which took minutes to lower (sweep 15). Past `MAX_PRODUCT_PAIRS` pairs of
strings, or `MAX_PRODUCT_STRINGS` strings in the product, it is refused with a
`ValueError` that gives the sizes (the general product would make as many rows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from symir.frontend import fermion_normal_order as normal_order
from symir.frontend.expr import Expr, _python_number
from symir.frontend.fermion import FermionProduct, FermionSum
from symir.frontend.fermion_tables import term_specs
from symir.hilbert import as_hilbert

Product = tuple[tuple[int, int], ...]
Strings = tuple[tuple[Product, complex | float], ...]

MAX_PRODUCT_PAIRS = 50_000_000
"""The most pairs of (normal-ordered, distinct) strings `a @ b` multiplies."""

MAX_PRODUCT_STRINGS = 500_000
"""The most strings a product may have (in normal order, equal ones summed): the
tables of 366,031 strings (`H @ H`, 7 orbitals) take about a minute to compile."""

MAX_PYTHON_PAIRS = 200_000
"""The same above `normal_order.MAX_MASK_SITES` sites, where the pairs are multiplied
one by one in Python."""

CUT = 1e-14
"""A product's weights with `|w| <= CUT * max|w_a| * max|w_b|` are dropped: what is left
of strings that cancel, rounding (the tests' tolerances are 1e-10 and above)."""


class LazyStrings(Sequence):
    """Strings made when first read (`make()`): an operator whose strings cost more to
    list than to build, a molecular Hamiltonian's, keeps them so for `@` without paying
    for them on every build. Sums, multiples, adjoints of lazy strings are lazy."""

    def __init__(self, make: Callable[[], Strings]):
        self._make: Callable[[], Strings] | None = make
        self._strings: Strings = ()

    def _read(self) -> Strings:
        if self._make is not None:
            self._strings, self._make = tuple(self._make()), None
        return self._strings

    def __len__(self) -> int:
        return len(self._read())

    def __iter__(self) -> Iterator[tuple[Product, Any]]:
        return iter(self._read())

    def __getitem__(self, index: Any) -> Any:
        return self._read()[index]


def _lazily(strings: Any, make: Callable[[], Strings]) -> Any:
    """`make()` now, or, where `strings` is lazy, when first read."""
    return LazyStrings(make) if isinstance(strings, LazyStrings) else make()


def joined(parts: Sequence[Any]) -> Any:
    """The strings of a sum of operators: those of each part, listed."""
    make = lambda: tuple(s for part in parts for s in part)  # noqa: E731
    return LazyStrings(make) if any(isinstance(p, LazyStrings) for p in parts) else make()


def number(value: Any) -> complex | float | None:
    """The number `value` stands for (a Python or NumPy number, a constant node), or
    None where it is an expression of the configuration or a parameter: what the
    strings' algebras can scale by."""
    if isinstance(value, Expr):
        if value.op == "const" and not isinstance(value.args[0], bool):
            return value.args[0]
        if value.op == "complex":
            re, im = (number(part) for part in value.args)
            return None if re is None or im is None else complex(re, im)
        return None
    try:
        found = _python_number(value)
    except TypeError:
        return None
    return None if isinstance(found, bool) else found


def emission_strings(value: Any, amplitude: Any) -> list[tuple[Product, Any]] | None:
    """The strings of one `globally()` emission of the fermion product (or sum of
    products) `value` with matrix element `amplitude`, or None where a site or a
    coefficient is not a number."""
    weight = number(amplitude)
    if weight is None:
        return None
    products = value.products if isinstance(value, FermionSum) else (value,)
    found = []
    for product in products:
        if not isinstance(product, FermionProduct):
            return None
        coefficient = 1.0 if product.coefficient is None else number(product.coefficient)
        if coefficient is None:
            return None
        sites = _constant_sites(product)
        if sites is None:
            return None
        found.append((sites, weight * coefficient))
    return found


def _constant_sites(product: FermionProduct) -> Product | None:
    """`((site, dagger), ...)` of a product whose sites are all numbers, else None."""
    sites = []
    for site, dagger in product.factors:
        if site.op != "const" or isinstance(site.args[0], bool):
            return None
        sites.append((int(site.args[0]), int(bool(dagger))))
    return tuple(sites)


_REAL_FUNCTIONS = frozenset(
    {"add", "sub", "mul", "div", "neg", "pow", "abs", "sqrt", "exp", "log", "sin", "cos"}
    | {"conj", "real"}  # of a real value: the value
)
"""The functions whose value is real (`f64`) where their operands are: of real
parameters and real numbers they give a real coefficient (NaN, not a complex number,
where a real function leaves its domain)."""


def real_parameters_only(e: Expr) -> bool:
    """Whether `e` is an expression of real parameters (`symbol(name, 0.5)`, not a
    complex, table or `c64` one) and real numbers through `_REAL_FUNCTIONS` only: real
    for every value of its parameters, and the same on every configuration."""
    if e.op == "param":
        _, default, *declared = e.args
        if declared and declared[0] is not None:
            return declared[0] == "f64"
        return not isinstance(default, complex)
    if e.op == "const":
        return not isinstance(e.args[0], complex)
    if e.op not in _REAL_FUNCTIONS:
        return False
    return all(not isinstance(a, Expr) or real_parameters_only(a) for a in e.args)


MAX_FACTORS = 64
"""The most parameter factors a coefficient is split into (`_factors`): a product whose
factors are shared (`e = e * e`) has exponentially many."""


def _factors(value: Any, out: list[Expr]) -> complex | float | None:
    """The numeric factor of `value`, its other factors appended to `out`, or None where
    one of them is not an expression of real parameters (`real_parameters_only`)."""
    found = number(value)
    if found is not None:
        return found
    if not isinstance(value, Expr) or len(out) > MAX_FACTORS:  # `e = e * e`, again and again
        return None
    if value.op == "mul":
        a, b = (_factors(part, out) for part in value.args)
        return None if a is None or b is None else a * b
    if value.op == "neg":
        inner = _factors(value.args[0], out)
        return None if inner is None else -inner
    if not real_parameters_only(value):
        return None
    out.append(value)
    return 1.0


def parametric_emission_strings(value: Any, amplitude: Any) -> list[tuple] | None:
    """`emission_strings` where the coefficients may hold real parameters: each string
    as `(product, monomial, weight)`, the monomial the sorted keys of the parameters'
    factors (`()` for a number), or None where a factor is not an expression of real
    parameters, or a site not a number."""
    scale: list[Expr] = []
    weight = _factors(amplitude, scale)
    if weight is None:
        return None
    products = value.products if isinstance(value, FermionSum) else (value,)
    found = []
    for product in products:
        if not isinstance(product, FermionProduct):
            return None
        factors = list(scale)
        coefficient = 1.0 if product.coefficient is None else _factors(product.coefficient, factors)
        if coefficient is None:
            return None
        sites = _constant_sites(product)
        if sites is None:
            return None
        monomial = tuple(sorted(repr(f.key) for f in factors))
        found.append((sites, monomial, weight * coefficient))
    return found


def is_hermitian_for_real_parameters(strings: Sequence[tuple]) -> bool:
    """Whether `sum_m f_m H_m` is hermitian for every value of its real parameters, the
    `f_m` the monomials of `parametric_emission_strings` (real) and `H_m` the strings
    each multiplies: proved where each `H_m` is hermitian (`is_hermitian`), as then
    `(f_m H_m)^dagger = f_m H_m`. (Sufficient, not necessary: `J A + J' A^dagger` with
    two parameters that the user keeps equal is not proved.)"""
    by_monomial: dict[tuple, list[tuple[Product, Any]]] = {}
    for product, monomial, weight in strings:
        by_monomial.setdefault(monomial, []).append((product, weight))
    return all(is_hermitian(tuple(group)) for group in by_monomial.values())


def product(a: Strings, b: Strings, n_sites: int, names: tuple[str, str] = ("a", "b")) -> Strings:
    """The strings of `a @ b` in normal order (creators ascending, then annihilators
    descending), equal ones summed, none that vanishes on every configuration; a
    `ValueError` past `MAX_PRODUCT_PAIRS` pairs."""
    left = normal_order.Sum.of(a)
    right = left if b is a else normal_order.Sum.of(b)  # `H @ H`: ordered once
    limit = MAX_PYTHON_PAIRS if n_sites > normal_order.MAX_MASK_SITES else MAX_PRODUCT_PAIRS
    if len(left) * len(right) > limit:
        raise ValueError(
            f"the product of {names[0]!r} ({len(left):,} fermion strings in normal order) "
            f"and {names[1]!r} ({len(right):,}) is {len(left) * len(right):,} pairs of "
            f"strings, more than symir.frontend.fermion_algebra's limit of {limit:,}: "
            f"{_INSTEAD}"
        )
    scale = _largest(left.w) * _largest(right.w)
    found = normal_order.product(left, right, n_sites)
    if len(found) > MAX_PRODUCT_STRINGS:
        raise ValueError(
            f"the product of {names[0]!r} and {names[1]!r} has {len(found):,} fermion "
            f"strings in normal order, more than symir.frontend.fermion_algebra's limit of "
            f"{MAX_PRODUCT_STRINGS:,} (its tables would take minutes to compile): {_INSTEAD}"
        )
    return found.strings(CUT * scale)


_INSTEAD = (
    "raise it to wait for it, or measure the product through local energies (the "
    "variance of H: `vstate.expect(H).variance`)"
)


def _largest(w: np.ndarray) -> float:
    return float(np.abs(w).max()) if len(w) else 0.0


def adjoint(strings: Strings, *, conj: bool) -> Strings:
    """The strings of the adjoint (`conj`) or the transpose."""
    return _lazily(strings, lambda: _adjoint(strings, conj))


def _adjoint(strings: Strings, conj: bool) -> Strings:
    return tuple(
        (
            tuple((site, 1 - dagger) for site, dagger in reversed(p)),
            w.conjugate() if conj and isinstance(w, complex) else w,
        )
        for p, w in strings
    )


def is_hermitian(strings: Strings) -> bool:
    """Whether the sum of strings equals its adjoint: both in normal order, equal strings
    summed, each weight equal to its counterpart's within `1e-12` of the largest (a
    string without a counterpart: a weight of 0). Exact for any number of sites, as
    NetKet's `FermionOperator2nd.is_hermitian` decides it from its terms."""
    ours = dict(normal_order.Sum.of(strings).strings(0.0))
    theirs = dict(normal_order.Sum.of(_adjoint(tuple(strings), True)).strings(0.0))
    scale = max((abs(w) for w in ours.values()), default=0.0)
    return all(
        abs(ours.get(p, 0.0) - theirs.get(p, 0.0)) <= 1e-12 * scale for p in {*ours, *theirs}
    )


def conjugate(strings: Strings) -> Strings:
    """The strings of the elementwise complex conjugate."""
    return _lazily(
        strings,
        lambda: tuple((p, w.conjugate() if isinstance(w, complex) else w) for p, w in strings),
    )


def scaled(strings: Strings, factor: Any) -> Strings | None:
    """The strings times a number (None for an expression)."""
    f = number(factor)
    if f is None:
        return None
    return _lazily(strings, lambda: tuple((p, w * f) for p, w in strings))


def build_terms(hilbert: Any, strings: Strings) -> tuple[tuple[Any, ...], bool]:
    """The terms `fermion_terms` writes for `strings`, and whether a weight is complex."""
    specs, complex_, _ = term_specs(
        as_hilbert(hilbert), [p for p, _ in strings], [w for _, w in strings]
    )
    return specs, complex_


__all__ = [
    "CUT",
    "MAX_PRODUCT_PAIRS",
    "MAX_PRODUCT_STRINGS",
    "MAX_PYTHON_PAIRS",
    "LazyStrings",
    "adjoint",
    "build_terms",
    "conjugate",
    "emission_strings",
    "joined",
    "number",
    "product",
    "scaled",
]
