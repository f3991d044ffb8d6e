"""The operator algebra of sums of fermion strings, done on the strings.

An operator made by `sym.fermion_terms`, or by a `DOperator` whose terms are all
`globally()` emissions of ladder-operator products on constant sites with numbers for
matrix elements (`emit(cdag(0) * c(3), matrix_element=0.5)`), keeps its strings beside
its terms (`SymbolicOperator._fermion_strings`: `((site, dagger), ...)` products, applied
right to left, and their weights, as NetKet's `FermionOperator2nd` takes them). Then

* `a @ b` is the strings of every pair concatenated, their weights multiplied,
* `a.H` each string reversed with its daggers flipped and its weight conjugated (`a.T`
  the same without the conjugation: a ladder operator's matrix is real), `a.conj()` the
  weights conjugated,
* a number times `a`, and a sum of such operators, the strings scaled or listed,

and the result is built by `fermion_terms` as tables (one term per pattern of products),
as NetKet multiplies its `FermionOperator2nd`. The general product of
`symir/frontend/product.py` composes the two terms' update programs and Jordan-Wigner
signs symbolically instead: for 40 products times 40 that made an IR of hundreds of lines
per pair, which took minutes to lower (sweep 15). Past `MAX_PRODUCT_STRINGS` strings the
general product is used.
"""

from __future__ import annotations

from typing import Any

from symir.frontend.expr import Expr, _python_number
from symir.frontend.fermion import FermionProduct, FermionSum
from symir.frontend.fermion_tables import term_specs
from symir.hilbert import as_hilbert

Product = tuple[tuple[int, int], ...]
Strings = tuple[tuple[Product, complex | float], ...]

MAX_PRODUCT_STRINGS = 200_000
"""The most strings `a @ b` builds as a product of strings (`len(a) * len(b)`)."""


def _number(value: Any) -> complex | float | None:
    """The number `value` stands for (a Python or NumPy number, a constant node), or
    None where it is an expression of the configuration or a parameter."""
    if isinstance(value, Expr):
        if value.op == "const" and not isinstance(value.args[0], bool):
            return value.args[0]
        if value.op == "complex":
            re, im = (_number(part) for part in value.args)
            return None if re is None or im is None else complex(re, im)
        return None
    try:
        number = _python_number(value)
    except TypeError:
        return None
    return None if isinstance(number, bool) else number


def emission_strings(value: Any, amplitude: Any) -> list[tuple[Product, Any]] | None:
    """The strings of one `globally()` emission of the fermion product (or sum of
    products) `value` with matrix element `amplitude`, or None where a site or a
    coefficient is not a number."""
    weight = _number(amplitude)
    if weight is None:
        return None
    products = value.products if isinstance(value, FermionSum) else (value,)
    found = []
    for product in products:
        if not isinstance(product, FermionProduct):
            return None
        coefficient = 1.0 if product.coefficient is None else _number(product.coefficient)
        if coefficient is None:
            return None
        factors = []
        for site, dagger in product.factors:
            if site.op != "const" or isinstance(site.args[0], bool):
                return None
            factors.append((int(site.args[0]), int(bool(dagger))))
        found.append((tuple(factors), weight * coefficient))
    return found


def product(a: Strings, b: Strings) -> Strings:
    """The strings of `a @ b`, without those that vanish on every configuration."""
    strings = ((pa + pb, wa * wb) for pa, wa in a for pb, wb in b)
    return tuple((p, w) for p, w in strings if not _vanishes(p))


def _vanishes(string: Product) -> bool:
    """Whether the string is zero on every configuration: on some site two creations,
    or two annihilations, follow each other (applied right to left) with neither
    between them (what `fermion_terms` refuses as written)."""
    last: dict[int, int] = {}
    for site, dagger in reversed(string):
        if last.get(site) == dagger:
            return True
        last[site] = dagger
    return False


def adjoint(strings: Strings, *, conj: bool) -> Strings:
    """The strings of the adjoint (`conj`) or the transpose."""
    return tuple(
        (
            tuple((site, 1 - dagger) for site, dagger in reversed(p)),
            w.conjugate() if conj and isinstance(w, complex) else w,
        )
        for p, w in strings
    )


def conjugate(strings: Strings) -> Strings:
    """The strings of the elementwise complex conjugate."""
    return tuple((p, w.conjugate() if isinstance(w, complex) else w) for p, w in strings)


def scaled(strings: Strings, factor: Any) -> Strings | None:
    """The strings times a number (None for an expression)."""
    f = _number(factor)
    return None if f is None else tuple((p, w * f) for p, w in strings)


def build_terms(hilbert: Any, strings: Strings) -> tuple[tuple[Any, ...], bool]:
    """The terms `fermion_terms` writes for `strings`, and whether a weight is complex."""
    specs, complex_, _ = term_specs(
        as_hilbert(hilbert), [p for p, _ in strings], [w for _, w in strings]
    )
    return specs, complex_


__all__ = [
    "MAX_PRODUCT_STRINGS",
    "adjoint",
    "build_terms",
    "conjugate",
    "emission_strings",
    "product",
    "scaled",
]
