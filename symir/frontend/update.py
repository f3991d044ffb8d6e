"""Update programs: how an emission rewrites a copy `x'` of the configuration.

An `Update` is an immutable, chainable sequence of steps; every method returns a new
`Update`. Steps act on the current `x'` in order. Module-level functions start a chain.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from symir.frontend.expr import _SITE_CONSTS, Expr, as_expr, shared_flip, site_ref


def _step_key(step: tuple) -> tuple:
    return tuple(_operand_key(part) for part in step)


def _operand_key(part: Any) -> Any:
    if isinstance(part, Expr):
        return ("expr", part.key)
    if isinstance(part, Update):
        return ("update", part.key)
    if isinstance(part, tuple):
        return ("tuple", tuple(_operand_key(p) for p in part))
    return (type(part).__name__, part)


def _neg_value(e: Expr) -> Expr:
    """`-e` for a constant (folded, so that `hop(i, j, 2)` writes `shift(i, -2)`)."""
    if e.op == "const":
        return as_expr(-e.args[0])
    return -e


def _int_value(value: Any, what: str) -> Expr:
    if value.__class__ is Expr:
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"{what} must be an integer local-state value, got {value}")
        value = int(value)
    return as_expr(value)


_FLIPS: dict[int, tuple] = {}
"""`("write", site, -site(site))` for the shared constant sites (`Update.write`); steps
are immutable tuples."""
FLIP_SITES: dict[int, int] = {}
"""The site of each step of `_FLIPS`, by the step's id (they live as long as the process):
`symir.frontend.pauli_terms` reads it once per flip."""
FLIPPED: dict[int, tuple[int, ...]] = {}
"""The flipped sites, in the order written, of each shared update made of `_FLIPS` steps
to distinct sites (`identity()`, `write(i, -site(i)).write(j, -site(j))`, ...), by the
update's id (they live as long as the process): `symir.frontend.pauli_terms` reads a
Pauli product's flips with one lookup."""
_FLIP_CHILDREN: dict[int, dict[int, Update]] = {}
"""The shared update `u.write(i, -site(i))` of each shared update `u` of `FLIPPED`, by
`id(u)`, then `i`: a loop of couplings writes the same few hundred pairs of flips
100,000 times, one update each instead of two."""
_MAX_SHARED_FLIPS = 4
"""The most flips of a shared update (longer ones, random strings, repeat rarely)."""
_MAX_SHARED_UPDATES = 1 << 15
"""The most shared updates of `FLIPPED`."""


class Update:
    """An update program: a tuple of steps `(kind, *operands)`."""

    __slots__ = ("steps",)

    def __init__(self, steps: tuple = ()):
        self.steps = steps

    def _then(self, *step: Any) -> Update:
        return Update((*self.steps, step))

    def __repr__(self) -> str:
        return f"Update({list(self.steps)!r})"

    def __bool__(self):
        raise TypeError("an Update has no truth value")

    @property
    def key(self) -> tuple:
        """A structural key: equal keys mean equal programs (same steps, same operands,
        compared as expression trees). `==` and `hash` use it."""
        return tuple(_step_key(step) for step in self.steps)

    def __eq__(self, other: object) -> bool:
        """Structural equality: the same steps in the same order, with structurally equal
        operands (`write("i", 1) == write("i", 1)`). Two programs that differ in structure
        but have the same effect (`write("i", 1).write("i", 1)` and `write("i", 1)`) are
        not equal."""
        if not isinstance(other, Update):
            return NotImplemented
        return self.key == other.key

    def __ne__(self, other: object) -> bool:
        if not isinstance(other, Update):
            return NotImplemented
        return self.key != other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def write(self, site: Any, value: Any) -> Update:
        """`x'[site] = value`."""
        # the common case (`write(i, -site(i))`, once per flip of a loop over Pauli
        # strings) written out: one step per shared constant site and its flip
        found = None
        if site.__class__ is int:
            step = _FLIPS.get(site)
            if step is not None and step[2] is value:
                children = _FLIP_CHILDREN.get(id(self))
                if children is not None:
                    shared = children.get(site)
                    if shared is not None:
                        return shared
                return _flipped(self, site, step)
            found = _SITE_CONSTS.get(site)
        step = (
            "write",
            site_ref(site) if found is None else found,
            value if value.__class__ is Expr else _int_value(value, "write value"),
        )
        if found is not None and value is shared_flip(site):
            _FLIPS[site] = step
            FLIP_SITES[id(step)] = site
            return _flipped(self, site, step)
        return Update((*self.steps, step))

    def shift(self, site: Any, delta: Any) -> Update:
        """`x'[site] += delta`."""
        return self._then("shift", site_ref(site), _int_value(delta, "shift delta"))

    def shift_mod(self, site: Any, delta: Any) -> Update:
        """`x'[site] += delta`, wrapped into the contiguous local states."""
        return self._then("shift_mod", site_ref(site), _int_value(delta, "shift_mod delta"))

    def hop(self, src: Any, dst: Any, amount: Any = 1) -> Update:
        """Moves `amount` quanta (default one) from `src` to `dst`:
        `shift(src, -amount).shift(dst, +amount)`."""
        if isinstance(amount, bool):
            raise TypeError(f"hop() amount must be an integer, got {amount!r}")
        if isinstance(amount, int | float):
            delta = _int_value(amount, "hop amount")
            return self.shift(src, _neg_value(delta)).shift(dst, delta)
        delta = as_expr(amount)
        return self.shift(src, -delta).shift(dst, delta)

    def swap(self, a: Any, b: Any) -> Update:
        """Exchanges `x'[a]` and `x'[b]`."""
        return self._then("swap", site_ref(a), site_ref(b))

    def permute(self, *sites: Any) -> Update:
        """Cyclic rotation `x'[s0] <- x'[s1] <- ... <- x'[s0]`."""
        if len(sites) < 2:
            raise ValueError(f"permute() needs at least two sites, got {len(sites)}")
        return self._then("permute", *(site_ref(s) for s in sites))

    def affine(self, site: Any, *, scale: Any, bias: Any = 0) -> Update:
        """`x'[site] = scale * x'[site] + bias`."""
        return self._then(
            "affine",
            site_ref(site),
            _int_value(scale, "affine scale"),
            _int_value(bias, "affine bias"),
        )

    def scatter(self, sites: Sequence[Any], values: Sequence[Any]) -> Update:
        """`x'[sites[k]] = values[k]` for every k, in order."""
        sites, values = list(sites), list(values)
        if len(sites) != len(values):
            raise ValueError(f"scatter() got {len(sites)} sites but {len(values)} values")
        if not sites:
            raise ValueError("scatter() needs at least one site")
        return self._then(
            "scatter",
            tuple(site_ref(s) for s in sites),
            tuple(_int_value(v, "scatter value") for v in values),
        )

    def flip_sites(self, index: Any, masks: Any) -> Update:
        """Flips (two local states: to the other one) every site of the `index`-th of
        the packed site `masks` (`sym.flip_sites`)."""
        from symir.frontend.expr import PackedTable

        return self._then("flip_sites", as_expr(index), PackedTable(masks))

    def invalidate(self) -> Update:
        """Drops the branch (it is emitted as `x' = x`, `mel = 0`)."""
        return self._then("invalidate")

    def then(self, other: Update) -> Update:
        """This program followed by `other`."""
        return Update((*self.steps, *other.steps))

    @staticmethod
    def cond(predicate: Any, if_true: Update | None = None, if_false: Update | None = None):
        """Runs `if_true` where `predicate` holds, `if_false` elsewhere."""
        return Update().when(predicate, if_true, if_false)

    def when(self, predicate: Any, if_true: Update | None = None, if_false: Update | None = None):
        """Appends a conditional update."""
        for branch in (if_true, if_false):
            if branch is not None and not isinstance(branch, Update):
                raise TypeError(f"conditional branches must be Updates, got {branch!r}")
        empty = Update()
        return self._then(
            "cond",
            as_expr(predicate),
            if_true if if_true is not None else empty,
            if_false if if_false is not None else empty,
        )


def _flipped(update: Update, site: int, step: tuple) -> Update:
    """`update` followed by the shared flip `step` of `site`: kept in `FLIPPED` (and
    returned again by `Update.write`) when `update` is a shared update of at most
    `_MAX_SHARED_FLIPS - 1` flips, none of them at `site`."""
    made = Update((*update.steps, step))
    flips = FLIPPED.get(id(update))
    if (
        flips is not None
        and len(flips) < _MAX_SHARED_FLIPS
        and site not in flips
        and len(FLIPPED) < _MAX_SHARED_UPDATES
    ):
        FLIPPED[id(made)] = (*flips, site)
        _FLIP_CHILDREN.setdefault(id(update), {})[site] = made
    return made


def identity() -> Update:
    """The empty program: `x' = x` (a diagonal branch). One object (programs are
    immutable): a loop of 100,000 diagonal terms holds one, not 100,000."""
    return _IDENTITY


_IDENTITY = Update()
FLIPPED[id(_IDENTITY)] = ()


def write(site: Any, value: Any) -> Update:
    return _IDENTITY.write(site, value)


def shift(site: Any, delta: Any) -> Update:
    return Update().shift(site, delta)


def shift_mod(site: Any, delta: Any) -> Update:
    return Update().shift_mod(site, delta)


def hop(src: Any, dst: Any, amount: Any = 1) -> Update:
    return Update().hop(src, dst, amount)


def swap(a: Any, b: Any) -> Update:
    return Update().swap(a, b)


def permute(*sites: Any) -> Update:
    return Update().permute(*sites)


def affine(site: Any, *, scale: Any, bias: Any = 0) -> Update:
    return Update().affine(site, scale=scale, bias=bias)


def scatter(sites: Sequence[Any], values: Sequence[Any]) -> Update:
    return Update().scatter(sites, values)


def invalidate() -> Update:
    return Update().invalidate()


def flip_sites(index: Any, masks: Any) -> Update:
    return Update().flip_sites(index, masks)


def cond(predicate: Any, if_true: Update | None = None, if_false: Update | None = None):
    return Update.cond(predicate, if_true, if_false)


def update_operands(update: Update) -> Iterator[Any]:
    """Every operand of every step of `update` (site operands and values, those of its
    nested programs too), in order."""
    for step in update.steps:
        for operand in step[1:]:
            if isinstance(operand, Update):
                yield from update_operands(operand)
            elif isinstance(operand, tuple):
                yield from operand
            else:
                yield operand
