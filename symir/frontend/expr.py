"""Symbolic expressions of the DSL: values, predicates and site references.

An `Expr` is an immutable tree. Arithmetic and comparison operators build new trees;
`&`, `|` and `~` build predicates. Python's `and`, `or`, `not` and chained comparisons
(`0 < v < 3`) would silently drop an operand, so converting an `Expr` to `bool` raises a
`TypeError` that says what to write instead.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from math import copysign
from typing import Any

import numpy as np

from symir.dialects import sym
from symir.errors import SymbolicDefinitionError

_BOOL_ERROR = (
    "a symbolic expression has no truth value: use `&` instead of `and`, `|` instead of "
    "`or`, `~` instead of `not`, and split chained comparisons (`(a < v) & (v < b)` "
    "instead of `a < v < b`)"
)


def _leaf_key(a: Any) -> tuple:
    """The key of a literal: its type and value, and for a float or a complex number the
    signs of its parts, which `==` does not see: `-0.0 == 0.0`, but `log(-1 - 0.0j)` is
    `-i pi` where `log(-1 + 0.0j)` is `i pi` (and `1 / -0.0` is `-inf`), so two constants
    that differ in the sign of a zero are two expressions."""
    if isinstance(a, float):
        return (type(a).__name__, a, copysign(1.0, a))
    if isinstance(a, complex):
        return (type(a).__name__, a, copysign(1.0, a.real), copysign(1.0, a.imag))
    return (type(a).__name__, a)


class Key(tuple):
    """An expression's structural key: a tuple that hashes once and compares each pair of
    nodes once. Keys nest their children's keys, so a tuple's usual hash and equality,
    recomputed through every level, would cost the size of the expression *tree*,
    exponential in the depth where subexpressions are shared (the select chains of
    symir/chemistry/irrep_slots.py): the keys of two operators built alike (one
    molecule's Hamiltonian built twice in a process, whose second `check_definition`
    finds the first's key) are equal but not the same objects, and compared as trees
    took 9 s for LiH in STO-3G and more than 100 s for BeH2 in 6-31G."""

    def __hash__(self) -> int:
        found = self.__dict__.get("_hash")
        if found is None:
            found = self.__dict__["_hash"] = tuple.__hash__(self)
        return found

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Key):
            return tuple.__eq__(self, other)
        if len(self) != len(other) or hash(self) != hash(other):
            return False
        global _EQUAL
        top = _EQUAL is None
        if top:
            _EQUAL = set()
        try:
            pair = (id(self), id(other))
            if pair in _EQUAL:
                return True
            for a, b in zip(self, other, strict=True):
                if a is not b and not a == b:
                    return False
            _EQUAL.add(pair)
            return True
        finally:
            if top:
                _EQUAL = None

    def __ne__(self, other: object) -> bool:
        return not self == other


_EQUAL: set[tuple[int, int]] | None = None
"""The pairs of keys (by identity) found equal during the comparison under way: a shared
subexpression is compared once (the ids are those of live objects until it returns)."""


class Expr:
    """A node of a symbolic expression: `op` applied to `args` (Exprs or literals)."""

    __slots__ = ("_key", "args", "op")

    def __init__(self, op: str, *args: Any):
        self.op = op
        self.args = args
        self._key: tuple | None = None

    @property
    def key(self) -> tuple:
        """A structural key: equal keys mean equal expressions."""
        if self._key is None:
            parts = tuple(a.key if isinstance(a, Expr) else _leaf_key(a) for a in self.args)
            self._key = Key((self.op, *parts))
        return self._key

    def __repr__(self) -> str:
        return bounded_repr(self, REPR_LIMIT)

    def __bool__(self):
        raise TypeError(_BOOL_ERROR)

    __hash__ = object.__hash__

    # arithmetic
    def __add__(self, other):
        return Expr("add", self, as_expr(other))

    def __radd__(self, other):
        return Expr("add", as_expr(other), self)

    def __sub__(self, other):
        return Expr("sub", self, as_expr(other))

    def __rsub__(self, other):
        return Expr("sub", as_expr(other), self)

    def __mul__(self, other):
        cls = other.__class__
        if cls is Expr:
            return Expr("mul", self, other)
        if cls is SiteSelector:  # `element * site(i)`, once per factor of a Pauli string
            return Expr("mul", self, other._value)
        if cls is not float and cls is not complex and cls is not int and _is_operator(other):
            return NotImplemented  # `symbol("h") * op` scales the operator
        return Expr("mul", self, as_expr(other))

    def __rmul__(self, other):
        return Expr("mul", as_expr(other), self)

    def __truediv__(self, other):
        return Expr("div", self, as_expr(other))

    def __rtruediv__(self, other):
        return Expr("div", as_expr(other), self)

    def __pow__(self, other):
        return Expr("pow", self, as_expr(other))

    def __rpow__(self, other):
        return Expr("pow", as_expr(other), self)

    def __neg__(self):
        return Expr("neg", self)

    def __pos__(self):
        return self

    def __abs__(self):
        return Expr("abs", self)

    def abs(self) -> Expr:
        return Expr("abs", self)

    def conj(self) -> Expr:
        return Expr("conj", self)

    def sqrt(self) -> Expr:
        return Expr("sqrt", self)

    def wrap_mod(self) -> Expr:
        return Expr("wrap_mod", self)

    # comparisons
    def __lt__(self, other):
        return Expr("cmp", "lt", self, as_expr(other))

    def __le__(self, other):
        return Expr("cmp", "le", self, as_expr(other))

    def __gt__(self, other):
        return Expr("cmp", "gt", self, as_expr(other))

    def __ge__(self, other):
        return Expr("cmp", "ge", self, as_expr(other))

    def __eq__(self, other):  # type: ignore[override]
        return Expr("cmp", "eq", self, as_expr(other))

    def __ne__(self, other):  # type: ignore[override]
        return Expr("cmp", "ne", self, as_expr(other))

    # logic
    def __and__(self, other):
        return all_of(self, other)

    def __rand__(self, other):
        return all_of(other, self)

    def __or__(self, other):
        return any_of(self, other)

    def __ror__(self, other):
        return any_of(other, self)

    def __invert__(self):
        return Expr("not", self)


REPR_LIMIT = 4000
"""The longest `repr` of an expression printed whole (`bounded_repr`)."""


def _repr_lengths(e: Expr) -> dict[int, int]:
    """The length of the repr of each distinct node of `e` (by identity), children first,
    without recursion."""
    lengths: dict[int, int] = {}
    stack = [e]
    while stack:
        node = stack[-1]
        if id(node) in lengths:
            stack.pop()
            continue
        todo = [a for a in node.args if isinstance(a, Expr) and id(a) not in lengths]
        if todo:
            stack.extend(todo)
            continue
        stack.pop()
        parts = [lengths[id(a)] if isinstance(a, Expr) else len(repr(a)) for a in node.args]
        lengths[id(node)] = len(node.op) + 2 + sum(parts) + 2 * max(len(parts) - 1, 0)
    return lengths


def bounded_repr(e: Any, limit: int = 160) -> str:
    """`repr(e)`, or where longer than `limit` characters its first 120 and its length,
    without recursion. A shared subexpression is printed once per path to it (the selects
    of a chain of k conditional swaps: 2^k copies, 40 MB and 4 s for k = 20): its length
    is counted once per distinct node and only the first characters are printed."""
    if not isinstance(e, Expr):
        text = repr(e)
        return text if len(text) <= limit else f"{text[:120]} ... ({len(text):,} characters)"
    total = _repr_lengths(e)[id(e)]
    pieces: list[str] = []
    size = 0
    todo: list[Any] = [e]
    while todo and (total <= limit or size < 120):
        item = todo.pop()
        if isinstance(item, str):
            piece = item
        elif isinstance(item, Expr):
            piece = f"{item.op}("
            rest: list[Any] = []
            for k, a in enumerate(item.args):
                rest += [", "] if k else []
                rest.append(a if isinstance(a, Expr) else repr(a))
            todo.extend(reversed([*rest, ")"]))
        else:
            piece = repr(item)
        pieces.append(piece)
        size += len(piece)
    if total <= limit:
        return "".join(pieces)
    return f"{''.join(pieces)[:120]} ... ({total:,} characters)"


def _is_operator(value: Any) -> bool:
    """A symbolic operator or a fermion product (it scales by an expression through its
    own `__rmul__`)."""
    if getattr(type(value), "scaled_by_expressions", False):
        return True
    return hasattr(value, "to_ir") and hasattr(value, "terms")


def as_expr(value: Any) -> Expr:
    """An `Expr` from an expression, a selector's value or a Python (or numpy) number."""
    cls = value.__class__
    if cls is Expr:
        return value
    if cls is float:  # the common cases first (a bool is no `int` class)
        return Expr("const", value)
    if cls is int:
        return Expr("const", _int64(value))
    if cls is SiteSelector:
        return value._value
    if cls is complex:
        return _complex_const(value)
    if isinstance(value, Expr):
        return value
    if isinstance(value, SiteSelector):
        return value.value
    number = _python_number(value)
    if isinstance(number, complex):
        return Expr("complex", Expr("const", number.real), Expr("const", number.imag))
    if isinstance(number, int) and not isinstance(number, bool):
        number = _int64(number)
    return Expr("const", number)


def _int64(value: int) -> int:
    """`value`, an integer constant of an expression, if int64 holds it (the IR's integers
    are i64: 2**63 became -2**63 there, a wrong matrix element, sweep 16)."""
    if not -(2**63) <= value < 2**63:
        raise SymbolicDefinitionError(
            f"the integer {value} is past the range of int64, [-2**63, 2**63), that the IR's "
            "integer constants hold (a matrix element that large: write it as a float)"
        )
    return value


_COMPLEX_CONSTS: dict[tuple[complex, float, float], Expr] = {}
_SHARED_COMPLEX = 1024
"""Complex constants with one node each (the first `_SHARED_COMPLEX` written), so that
the `-1j` of every `Y` of a loop over Pauli strings is one node, not three per use."""


COMPLEX_VALUES: dict[int, complex] = {}
"""The value of each shared complex constant, by the node's id (`READ_SITES`)."""


def _complex_const(value: complex) -> Expr:
    """The node of a complex constant: shared (`_COMPLEX_CONSTS`), keyed by its value and
    the signs of its parts (`-0.0` and `0.0` are equal numbers, not equal constants)."""
    key = (value, copysign(1.0, value.real), copysign(1.0, value.imag))
    found = _COMPLEX_CONSTS.get(key)
    if found is None:
        found = Expr("complex", Expr("const", value.real), Expr("const", value.imag))
        if len(_COMPLEX_CONSTS) < _SHARED_COMPLEX:
            _COMPLEX_CONSTS[key] = found
            COMPLEX_VALUES[id(found)] = value
    return found


def _python_number(value: Any) -> bool | int | float | complex:
    """`value` as a Python bool, int, float or complex (numpy scalars included)."""
    for kind in (bool, int, float, complex):  # bool first: a bool is an int
        if isinstance(value, kind):
            return kind(value)
    for np_kind, kind in _NUMPY_KINDS:
        if isinstance(value, np_kind):
            return kind(value)
    if getattr(value, "shape", None) == () and hasattr(value, "dtype"):
        # a 0-d array (numpy's, a concrete JAX array): its one number
        try:
            item = np.asarray(value).item()
        except Exception:  # a JAX tracer: no value while the function is traced
            raise TypeError(
                f"cannot use the traced value {value!r} in a symbolic expression: a "
                "coefficient that changes at run time is a parameter, `sym.symbol(name, "
                "default)`, given by `compiled.with_params(name=value)`"
            ) from None
        if isinstance(item, bool | int | float | complex):
            return _python_number(item)
    raise TypeError(f"cannot use {value!r} of type {type(value).__name__} in a symbolic expression")


_NUMPY_KINDS = (
    (np.bool_, bool),
    (np.integer, int),
    (np.floating, float),
    (np.complexfloating, complex),
)


def site_ref(ref: Any) -> Expr:
    """The site index denoted by a label, a flat index, a selector or an integer expression."""
    if ref.__class__ is int and ref >= 0:  # the common case first
        return constant_site(ref)
    if isinstance(ref, str):
        return Expr("label", ref)
    if isinstance(ref, bool):
        raise TypeError(f"a site must be a label, an int or an expression, got {ref!r}")
    if isinstance(ref, int):
        if ref < 0:
            raise ValueError(f"a flat site index must be >= 0, got {ref}")
        return constant_site(int(ref))
    if isinstance(ref, SiteSelector):
        return ref.index
    if isinstance(ref, Expr):
        return ref
    raise TypeError(
        f"a site must be a label (str), a flat index (int), site(...) or an expression, "
        f"got {type(ref).__name__}"
    )


_SHARED_SITES = 1 << 16
"""Flat site indices below this have one `const` node and one node reading each of `x`
and `x'` (`constant_site`, `_read`)."""
_SITE_CONSTS: dict[int, Expr] = {}
_READS: dict[tuple[int, bool], Expr] = {}
READ_SITES: dict[int, int] = {}
"""The site `k` of each shared `read(const(k))` node, by the node's id (the nodes live as
long as the process): `symir.frontend.pauli_terms` reads it once per factor."""


def constant_site(k: int) -> Expr:
    """The node of the constant site `k`, one per index (below `_SHARED_SITES`): a loop
    of 100,000 terms written with `site(i)` and `write(i, ...)` shares them, instead of
    holding (and having Python's collector walk) a node per use. Nodes are immutable,
    so sharing them changes no expression."""
    found = _SITE_CONSTS.get(k)
    if found is None:
        found = Expr("const", _int64(k))
        if k < _SHARED_SITES:
            _SITE_CONSTS[k] = found
    return found


def _read(site: Expr, emitted: bool) -> Expr:
    """`read(site)` (`read_emitted`), one node per shared constant site (`constant_site`)."""
    op = "read_emitted" if emitted else "read"
    if site.op != "const" or _SITE_CONSTS.get(site.args[0]) is not site:
        return Expr(op, site)
    found = _READS.get((site.args[0], emitted))
    if found is None:
        found = _READS[(site.args[0], emitted)] = Expr(op, site)
        if not emitted:
            READ_SITES[id(found)] = site.args[0]
    return found


def _flatten(op: str, items: Iterable[Any]) -> list[Expr]:
    out: list[Expr] = []
    for item in items:
        e = as_expr(item)
        if e.op == op:
            out.extend(e.args)
        else:
            out.append(e)
    return out


def all_of(*predicates: Any) -> Expr:
    """The conjunction of predicates (n-ary `and`)."""
    if not predicates:
        raise ValueError("all_of() needs at least one predicate")
    return Expr("and", *_flatten("and", predicates))


def any_of(*predicates: Any) -> Expr:
    """The disjunction of predicates (n-ary `or`)."""
    if not predicates:
        raise ValueError("any_of() needs at least one predicate")
    return Expr("or", *_flatten("or", predicates))


class SiteSelector:
    """`site(l)` / `emitted(l)`: a site, read in the source (`x`) or emitted (`x'`) state.

    `.value` is the local state at the site, `.index` the site index; arithmetic and
    comparisons act on `.value`.
    """

    __slots__ = ("_emitted", "_neg", "_site", "_value")

    def __init__(self, ref: Any, emitted: bool = False):
        self._site = site_ref(ref)
        self._emitted = emitted
        self._value = _read(self._site, emitted)
        self._neg: Expr | None = None

    @property
    def index(self) -> Expr:
        return self._site

    @property
    def value(self) -> Expr:
        return self._value

    def abs(self) -> Expr:
        return Expr("abs", self.value)

    def __repr__(self) -> str:
        return f"{'emitted' if self._emitted else 'site'}({self._site!r})"

    def __bool__(self):
        raise TypeError(_BOOL_ERROR)

    __hash__ = object.__hash__


def _delegate(name: str):
    def method(self: SiteSelector, *args):
        return getattr(self.value, name)(*args)

    method.__name__ = name
    return method


for _name in (
    "__add__ __radd__ __sub__ __rsub__ __mul__ __rmul__ __truediv__ __rtruediv__ "
    "__pow__ __rpow__ __neg__ __pos__ __abs__ __lt__ __le__ __gt__ __ge__ __eq__ __ne__"
).split():
    setattr(SiteSelector, _name, _delegate(_name))


def _selector_rmul(self: SiteSelector, other: Any) -> Expr:
    """`other * site(i)` (`J * s_i`, once per term of a loop over couplings), written out."""
    return Expr("mul", as_expr(other), self._value)


def _selector_neg(self: SiteSelector) -> Expr:
    """`-site(i)` (the value a flip writes): one node per selector, so one per shared
    constant site (`site`)."""
    found = self._neg
    if found is None:
        found = self._neg = Expr("neg", self._value)
    return found


SiteSelector.__rmul__ = _selector_rmul  # type: ignore[method-assign]
SiteSelector.__neg__ = _selector_neg  # type: ignore[method-assign]


_SELECTORS: dict[int, SiteSelector] = {}


def site(ref: Any) -> SiteSelector:
    """A site of the source configuration `x`: a label, a flat index or an expression.

    One selector per flat index below `_SHARED_SITES` (selectors and nodes are immutable):
    a loop of 10,000 Pauli strings calls `site(i)` 240,000 times, and its products and
    flips (`-site(i)`) share the nodes of the selector."""
    if ref.__class__ is int:
        found = _SELECTORS.get(ref)
        if found is None:
            found = SiteSelector(ref)
            if ref < _SHARED_SITES:
                _SELECTORS[ref] = found
        return found
    return SiteSelector(ref)


def shared_flip(k: int) -> Expr | None:
    """`-site(k)` where that node is shared (`site`), else None."""
    found = _SELECTORS.get(k)
    return None if found is None else found._neg


def emitted(ref: Any) -> SiteSelector:
    """A site of the emitted configuration `x'` (readable in matrix elements only)."""
    return SiteSelector(ref, emitted=True)


def source_index(k: int) -> Expr:
    """`x[k]` for a static flat index `k`."""
    return Expr("read", site_ref(k))


def target_index(k: int) -> Expr:
    """`x'[k]` for a static flat index `k` (matrix elements only)."""
    return Expr("read_emitted", site_ref(k))


def count(lo: Any, hi: Any) -> Expr:
    """The number of particles on the sites `lo .. hi-1` of the source configuration
    `x` (`sym.count`: `x[lo] + ... + x[hi-1]`, bounds clamped to `[0, N]`, empty when
    `lo >= hi`). Bounds are labels, flat indices (`hi` may be `N`) or integer expressions:
    `parity(count(0, "i"))` is the Jordan-Wigner string of site `i`."""
    return Expr("count", site_ref(lo), site_ref(hi))


def nth_site(rank: Any, state: int, sites: Iterable[int]) -> Expr:
    """The site of the `rank`-th (from 0) of `sites` (static, distinct, in their order)
    whose local state in the source configuration `x` is `state` (`sym.nth_site`), or
    `-1` when `rank` is negative or fewer of them hold `state`. `rank` is a label, an
    integer or an integer expression: on fermions `nth_site("k", 1, range(m))` is the
    site of the k-th particle among the sites `0 .. m-1`, `nth_site("l", 0, range(m))`
    the l-th hole, and `cdag(hole) * c(particle)` moves one to the other, whichever
    orbitals a configuration occupies."""
    if isinstance(state, bool) or not isinstance(state, int | np.integer):
        raise TypeError(f"nth_site() state must be an int local state, got {state!r}")
    listed = tuple(int(s) for s in sites)
    if not listed:
        raise ValueError("nth_site() needs at least one site")
    if len(set(listed)) != len(listed) or min(listed) < 0:
        raise ValueError(f"nth_site() sites must be distinct flat indices >= 0, got {listed}")
    return Expr("nth_site", listed, int(state), site_ref(rank))


class PackedTable:
    """Static arrays an op carries as a table (`parity_sum`, `flip_sites`): compared and
    hashed by their bytes, printed short (they may hold a hundred thousand entries)."""

    __slots__ = ("_digest", "arrays")

    def __init__(self, *arrays: Any):
        self.arrays = tuple(None if a is None else np.ascontiguousarray(a) for a in arrays)
        import hashlib

        h = hashlib.sha256()
        for a in self.arrays:
            h.update(b"none" if a is None else a.dtype.str.encode() + a.tobytes() + b"|")
        self._digest = h.hexdigest()

    def __hash__(self) -> int:
        return hash(self._digest)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PackedTable) and other._digest == self._digest

    def __repr__(self) -> str:
        sizes = ", ".join("-" if a is None else str(a.size) for a in self.arrays)
        return f"PackedTable({sizes}; {self._digest[:12]})"


def parity_sum(index: Any, offsets: Any, masks: Any, coefficients: Any, state: int) -> Expr:
    """`sum_t c_t (-1)^(sites of mask_t holding state)` over the entries `t` of key
    `index` (`sym.parity_sum`): `offsets` (K + 1 entries) delimit each key's entries,
    `masks` the packed site masks (`symir.dialects.sym.site_masks.pack_masks`), one per
    coefficient; complex coefficients give a complex value."""
    c = np.asarray(coefficients)
    real = np.ascontiguousarray(c.real, dtype=np.float64)
    imag = np.ascontiguousarray(c.imag, dtype=np.float64) if np.iscomplexobj(c) else None
    table = PackedTable(np.asarray(offsets, np.int64), np.asarray(masks, np.int64), real, imag)
    return Expr("parity_sum", table, int(state), as_expr(index))


@dataclass(frozen=True)
class Table:
    """A table parameter (`symir.table`): named, runtime entries at static integer
    keys, read by `lookup(table, index)`."""

    name: str
    keys: tuple[int, ...]
    default: tuple[float, ...] | None
    doc: str | None = None

    def param(self) -> Expr:
        """The DSL node of the `sym.param` of type `tensor<Kxf64>`."""
        return Expr("param", self.name, self.default, f"table:{len(self.keys)}", self.doc)


def _items(table: Any, what: str) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """The keys and values of a static table (a mapping or a sequence), keys in increasing
    order; a key that is not an integer of int64's range, or a value that is not a finite
    real number, is a ValueError naming it (a key 1.7 was truncated to 1 before)."""
    if isinstance(table, dict):
        keys = _table_keys(list(table), what)
        order = np.argsort(keys, kind="stable")
        values = _table_values(list(table.values()), what)[order]
        keys = tuple(keys[order].tolist())
    else:
        keys, values = None, _table_values(table, what)
        if values.ndim != 1:
            raise ValueError(f"{what}: a sequence of entries must be 1-D, got shape {values.shape}")
        keys = tuple(range(len(values)))
    return keys, tuple(values.tolist())


def _table_keys(keys: Any, what: str) -> np.ndarray:
    """The keys of a table (a sequence or an array) as flat int64 (`_table_key`; all at
    once where they are an integer array already: a molecule's tables hold up to
    millions)."""
    array = np.asarray(keys)
    if array.dtype.kind == "i" or (array.dtype.kind == "u" and array.dtype.itemsize < 8):
        return array.astype(np.int64).ravel()
    listed = np.asarray(keys, dtype=object).ravel()  # each key as it was given
    return np.asarray([_table_key(k, what) for k in listed], dtype=np.int64)


def _table_key(key: Any, what: str) -> int:
    """A table key as an int: an integer (Python's, numpy's) or an integral float."""
    if isinstance(key, bool | np.bool_):
        raise ValueError(f"{what}: the keys must be integers, got {key!r}")
    if isinstance(key, int | np.integer):
        value = int(key)
    elif isinstance(key, float | np.floating) and float(key).is_integer():
        value = int(key)
    else:
        raise ValueError(f"{what}: the keys must be integers, got {key!r}")
    if not -(2**63) <= value < 2**63:
        raise ValueError(f"{what}: the key {value} is past the range of int64")
    return value


def _table_values(values: Any, what: str) -> np.ndarray:
    """The entries of a static table as float64, each a finite real number (a NumPy
    complex entry is refused, not cast: its imaginary part was dropped with a warning)."""
    try:
        array = np.asarray(values, dtype=complex)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{what}: the entries must be real numbers ({e})") from None
    if np.any(array.imag != 0):
        raise ValueError(
            f"{what}: the entries must be real numbers, got {array[array.imag != 0].flat[0]}: "
            "write a complex coefficient as lookup(real_parts, i) + 1j * lookup(imag_parts, i)"
        )
    array = array.real.copy()
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what}: the entries must be finite, got {array[~np.isfinite(array)][0]}")
    return array


def table(
    name: str,
    default: Any = None,
    *,
    keys: Any = None,
    doc: str | None = None,
) -> Table:
    """A *table parameter*: real entries at static integer keys, given at run time.

    `default`: a mapping `key -> value`, or a sequence (the values of keys `0, 1, ...`,
    or of `keys` when given); None with `keys` for a table with no default (a value is
    then required: `with_params(name=array)`). `lookup(t, index)` reads it like a static
    table (0.0 at a key it does not hold). The compiled operator takes the entries as an
    array of `len(keys)` values in key order (`with_params(name=values)`), and its
    matrix elements can be differentiated with respect to them (docs/derivatives.md)."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"a table name must be an identifier, got {name!r}")
    if doc is not None and not isinstance(doc, str):
        raise TypeError(f"table {name!r}: doc must be a string, got {doc!r}")
    if keys is not None:
        sorted_keys, values = _keyed(name, keys, default)
    elif default is None:
        raise ValueError(f"table {name!r} needs a default or keys=")
    else:
        sorted_keys, values = _items(default, f"table {name!r}")
    if not sorted_keys:
        raise ValueError(f"table {name!r} has no keys")
    if len(set(sorted_keys)) != len(sorted_keys):
        raise ValueError(f"table {name!r}: keys must be distinct")
    return Table(name, sorted_keys, values, doc)


def _keyed(name: str, keys: Any, default: Any) -> tuple[tuple[int, ...], tuple | None]:
    """The keys of `table(name, default, keys=keys)` in increasing order, and the default
    values in that order (None: no default)."""
    listed = _table_keys(keys, f"table {name!r}").tolist()
    if isinstance(default, dict):
        raise ValueError(f"table {name!r}: give keys= or a mapping default, not both")
    order = np.argsort(listed, kind="stable")
    if default is None:
        return tuple(listed[i] for i in order), None
    values = _table_values(default, f"table {name!r}").ravel()
    if len(values) != len(listed):
        raise ValueError(f"table {name!r}: {len(listed)} keys but {len(values)} default values")
    return tuple(listed[i] for i in order), tuple(float(values[i]) for i in order)


def lookup(table: Any, index: Any) -> Expr:
    """The entry of a table of real numbers at an integer `index` (`sym.lookup`),
    `0.0` where the table has none: `table` is a mapping `key -> value` or a sequence
    (keys `0, 1, ...`), or a table parameter (`symir.table`, entries given at run time);
    `index` an integer expression: of the term's labels, so that every row reads one
    entry (`lookup(h, site("p").index * n + site("q").index)` for a coefficient
    `h[p, q]`; a label's name alone, `lookup(eps, "i")`, is its site's index), or of
    values known only at run time (sites found by `nth_site`, values of `x`), read in
    the kernel from a dense table spanning the keys."""
    if isinstance(index, str):  # a label, as updates take them: its site's index
        index = site(index).index
    if isinstance(table, Table):
        return Expr("lookup", table.keys, None, as_expr(index), table.param())
    keys, values = _items(table, "lookup")
    return Expr("lookup", keys, values, as_expr(index))


_PARAM_KINDS = {
    "float64": "f64",
    "f64": "f64",
    "double": "f64",
    "complex128": "c64",
    "c128": "c64",
}


def _param_kind(name: str, dtype: Any, default: Any) -> str:
    """ "f64" or "c64" (the `sym.param` type) from `dtype=` and the default."""
    if dtype is None:
        return "c64" if isinstance(default, complex) else "f64"
    if dtype is float:
        kind = "f64"
    elif dtype is complex:
        kind = "c64"
    else:
        try:
            label = dtype if isinstance(dtype, str) else str(np.dtype(dtype))
        except TypeError:
            label = repr(dtype)
        if label in ("float32", "complex64"):
            raise ValueError(
                f"symbol {name!r}: parameters are float64 or complex128 (dtype={label!r} "
                "given); a float32/complex64 operator takes float64/complex128 parameters "
                "and rounds its matrix elements (DOperator(..., dtype='float32'))"
            )
        if label not in _PARAM_KINDS:
            raise ValueError(f"symbol {name!r}: dtype must be float64 or complex128, got {dtype!r}")
        kind = _PARAM_KINDS[label]
    if kind == "f64" and isinstance(default, complex):
        raise ValueError(f"symbol {name!r}: dtype float64 but the default {default} is complex")
    return kind


def symbol(
    name: str,
    default: complex | float | None = None,
    *,
    dtype: Any = None,
    doc: str | None = None,
) -> Expr:
    """A named runtime parameter.

    `dtype` is `float64` (default) or `complex128` (the default when `default` is
    complex; a real default of a complex parameter is taken as complex). `doc` is a
    one-line description, listed by `SymbolicOperator.parameter_docs`.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"a symbol name must be an identifier, got {name!r}")
    if default is not None and not isinstance(default, int | float | complex):
        raise TypeError(f"symbol {name!r}: default must be a number, got {default!r}")
    if isinstance(default, bool):
        raise TypeError(f"symbol {name!r}: default must be a number, got {default!r}")
    if doc is not None and not isinstance(doc, str):
        raise TypeError(f"symbol {name!r}: doc must be a string, got {doc!r}")
    kind = _param_kind(name, dtype, default)
    if kind == "c64" and default is not None:
        default = complex(default)
    if dtype is None and doc is None:
        return Expr("param", name, default)
    return Expr("param", name, default, kind, doc)


def _function(op: type[sym.ExpressionOp]) -> Callable[..., Expr]:
    """The public DSL function of an expression op: `Expr("<mnemonic>", *operands)`, with
    one parameter per operand of the op (named as the op's operands)."""
    mnemonic = op.mnemonic()
    signature = inspect.Signature(
        [
            inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD)
            for name, _ in op.get_irdl_definition().operands
        ]
    )

    name = op.DSL_FUNCTION or mnemonic

    def fn(*args: Any, **kwargs: Any) -> Expr:
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{name}{signature}: {e}") from None
        return Expr(mnemonic, *(as_expr(a) for a in bound.args))

    fn.__name__ = fn.__qualname__ = name
    fn.__signature__ = signature  # type: ignore[attr-defined]
    summary = (op.__doc__ or "").strip().splitlines()[0]
    fn.__doc__ = f"Symbolic `{op.name}`: {summary}"
    return fn


FUNCTIONS: dict[str, Callable[..., Expr]] = {
    op.DSL_FUNCTION: _function(op) for op in sym.EXPRESSION_OPS.values() if op.DSL_FUNCTION
}
"""The public DSL functions, one per expression op with a `DSL_FUNCTION` (dialects/sym/expression_ops.py),
made from the op table: `sqrt`, `exp`, `minimum`, `select`, `complex_`, ... Each is also a
name of this module (and exported by `symir`)."""
globals().update(FUNCTIONS)
