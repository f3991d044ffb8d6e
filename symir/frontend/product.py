"""The operator product `a @ b` and the adjoint `op.H` / `op.transpose()` / `op.conj()`.

Both are rewrites of the DSL terms (`TermSpec`), so the result is an ordinary
`SymbolicOperator` compiled into one kernel, and the branch passes (diagonal coalescing,
`branch-fuse-equal-states`) merge what coincides.

**Product.** With the convention of `get_conn` (`H[x, x'] = mel`, NetKet's),
`(a @ b)[x, z] = sum_y a[x, y] b[y, z]`: from `x`, a branch of `a` leads to `y`, then a
branch of `b` read at `y` leads to `z`. Each pair of terms `(ta, tb)` gives the terms of
the cross product of their row tables (labels renamed apart: `a_<l>`, `b_<l>`), split into
*classes* of rows in which the same site expressions coincide (`i_a == j_b` in every row of
a class, or in none). Inside a class every site is known statically, so `ta`'s update
program is executed symbolically: `y[s]` is an expression in `x` for every written site
`s`. `tb`'s predicates, emission predicates, update values and amplitude read `y` where
they read `x` (`site(...)`), and the composed update writes the final `z[s]` for every
site that differs from `x[s]`: `sigma^x_i @ sigma^x_i` has the identity update on the
class `i_a == i_b` (so it lands on the coalesced diagonal). The amplitude is
`mel_a(x, y) * mel_b(y, z)`; the branch is active when `ta`'s branch is (its predicates,
not invalidated, `y` made of local states) and `tb`'s branch from `y` is.

**Adjoint.** `H^dagger[x, y] = conj(H[y, x])`: a branch `y -> x = U(y)` of `H` becomes a
branch `x -> y = U^-1(x)`. The inverse is built only where it is provable: after symbolic
execution every written site must hold `g(y[t])` for a permutation `t` of the written
sites and `g` a composition of `+ c`, `- c`, negation and `wrap_mod(v + c)` with `c`
independent of the configuration (flips on symmetric states, `swap`, `permute`, `hop`,
`shift`, `shift_mod`, `affine` with scale -1 or 1), or a constant local state
(`write(i, 1)`, sigma^+ written on a spin). A constant write erases the source value: its
branch `x -> y` exists where `x[i]` is that constant, once for every local state `y[i]`
(two on a spin: the flip, and the diagonal where `y[i]` already held it), at most 64 per
branch. Predicates and the amplitude are evaluated at `y`; `emitted(...)` reads `x`.

What is refused (a `SymbolicDefinitionError` naming it): a site index that depends on the
configuration or a parameter where a written site could alias it, and for the adjoint an
update program with `cond`, `invalidate`, a copy (`write(i, site(j))` without the reverse)
or any value that is not of the form above.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from symir.errors import SymbolicDefinitionError
from symir.frontend.expr import (
    Expr,
    all_of,
    any_of,
    as_expr,
    bounded_repr,
    floor,
    maximum,
    minimum,
    select,
)
from symir.frontend.term_spec import EmissionSpec, TermSpec
from symir.frontend.update import Update, update_operands

SymbolicOperator = Any

# ----------------------------------------------------------------------------- helpers

_Flag = bool | Expr  # "invalidated": False, True or a predicate


def _const(e: Expr) -> Any:
    """The Python value of a constant node, else None (a bool is not an int here)."""
    return e.args[0] if e.op == "const" else None


def _int_const(e: Expr) -> int | None:
    v = _const(e)
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _neg(e: Expr) -> Expr:
    if e.op == "neg":
        return e.args[0]
    c = _int_const(e)
    if c is not None:
        return as_expr(-c)
    return Expr("neg", e)


def _add(e: Expr, d: Expr) -> Expr:
    """`e + d`, folding integer constants (`(v + 1) + -1` is `v`)."""
    cd = _int_const(d)
    if cd is None:
        return Expr("add", e, d)
    ce = _int_const(e)
    if ce is not None:
        return as_expr(ce + cd)
    if e.op == "add" and _int_const(e.args[1]) is not None:
        return _add(e.args[0], as_expr(_int_const(e.args[1]) + cd))
    return e if cd == 0 else Expr("add", e, d)


def _rebuild(e: Expr, args: tuple) -> Expr:
    """`e` with new arguments, simplifying what products create (`--v`, `(v + 1) - 1`)."""
    if e.op == "neg":
        return _neg(args[0])
    if e.op == "add" and isinstance(args[1], Expr) and _int_const(args[1]) is not None:
        return _add(args[0], args[1])
    if e.op == "sub" and isinstance(args[1], Expr) and _int_const(args[1]) is not None:
        return _add(args[0], as_expr(-_int_const(args[1])))
    return Expr(e.op, *args)


def _select(p: Expr, a: Expr, b: Expr) -> Expr:
    if a.key == b.key:
        return a
    return Expr("select", p, a, b)


def _flag_or(f: _Flag, g: _Flag) -> _Flag:
    if f is True or g is True:
        return True
    if f is False:
        return g
    if g is False:
        return f
    return any_of(f, g)


def _flag_select(p: Expr, t: _Flag, f: _Flag) -> _Flag:
    if t is False and f is False:
        return False
    if t is True and f is True:
        return True
    tt = as_expr(t) if isinstance(t, bool) else t
    ff = as_expr(f) if isinstance(f, bool) else f
    return any_of(all_of(p, tt), all_of(~p, ff))


def walk(e: Any, visit: Callable[[Expr], None]) -> None:
    """Call `visit` once on `e` and on every distinct expression object inside it: a
    subexpression shared by several parents (the select chains of the symmetry slots,
    symir/chemistry/irrep_slots.py) is visited once, not once per path to it, which is
    exponential in the depth."""
    seen: set[int] = set()
    stack = [e]
    while stack:
        node = stack.pop()
        if not isinstance(node, Expr) or id(node) in seen:
            continue
        seen.add(id(node))
        visit(node)
        stack.extend(reversed(node.args))


def term_exprs(term: TermSpec):
    """Yield every expression of `term`: predicates, amplitudes, conditions, updates."""
    yield from term.predicates
    for em in term.emissions:
        yield em.amplitude
        if em.condition is not None:
            yield em.condition
        yield from update_operands(em.update)


def _site_exprs(term: TermSpec) -> list[Expr]:
    """The site expressions of a term: every label and every site operand."""
    found: dict[tuple, Expr] = {}

    def visit(e: Expr) -> None:
        if e.op == "label":
            found.setdefault(e.key, e)
        elif e.op in ("read", "read_emitted"):
            found.setdefault(e.args[0].key, e.args[0])

    for e in term_exprs(term):
        walk(e, visit)
    for em in term.emissions:
        for site in _update_sites(em.update):
            found.setdefault(site.key, site)
    return list(found.values())


def _update_sites(update: Update):
    for step in update.steps:
        kind = step[0]
        if kind in ("write", "shift", "shift_mod", "affine"):
            yield step[1]
        elif kind in ("swap", "permute"):
            yield from step[1:]
        elif kind == "scatter":
            yield from step[1]
        elif kind == "cond":
            yield from _update_sites(step[2])
            yield from _update_sites(step[3])


_STATIC_OPS: dict[str, Callable[..., int]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "neg": lambda a: -a,
    "abs": abs,
    "min": min,
    "max": max,
}


def static_value(e: Expr, row: dict[str, int]) -> int | None:
    """The value of a site expression made of labels, integers and `+ - *`, else None."""
    if e.op == "label":
        return row[e.args[0]]
    if e.op == "const":
        return _int_const(e)
    fn = _STATIC_OPS.get(e.op)
    if fn is None:
        return None
    values = [static_value(a, row) if isinstance(a, Expr) else None for a in e.args]
    if any(v is None for v in values):
        return None
    return fn(*values)


def _rename(e: Any, names: dict[str, str], memo: dict[int, Any] | None = None) -> Any:
    """`e` with its labels renamed. A subexpression shared by several parents is renamed
    once and stays shared (`memo`, by identity, over one term's expressions): renamed
    as a tree, the symmetry slots' select chains took minutes and lost the sharing that
    keeps their keys cheap."""
    if not isinstance(e, Expr):
        return e
    if memo is None:
        memo = {}
    found = memo.get(id(e))
    if found is not None:
        return found[1]
    if e.op == "label":
        out = Expr("label", names[e.args[0]])
    else:
        out = Expr(e.op, *(_rename(a, names, memo) for a in e.args))
    # the source is kept beside its image so that its id is not reused while memo lives
    memo[id(e)] = (e, out)
    return out


def _rename_update(update: Update, names: dict[str, str], memo: dict[int, Any]) -> Update:
    steps = []
    for step in update.steps:
        out = [step[0]]
        for operand in step[1:]:
            if isinstance(operand, Update):
                out.append(_rename_update(operand, names, memo))
            elif isinstance(operand, tuple):
                out.append(tuple(_rename(o, names, memo) for o in operand))
            else:
                out.append(_rename(operand, names, memo))
        steps.append(tuple(out))
    return Update(tuple(steps))


def _renamed(term: TermSpec, prefix: str) -> TermSpec:
    names = {label: f"{prefix}{label}" for label in term.labels}
    memo: dict[int, Any] = {}
    return _term(
        term,
        name=term.name,
        kind=term.kind,
        labels=tuple(names[label] for label in term.labels),
        rows=term.rows,
        predicates=tuple(_rename(p, names, memo) for p in term.predicates),
        emissions=tuple(
            _emission(
                em,
                _rename_update(em.update, names, memo),
                _rename(em.amplitude, names, memo),
                _rename(em.condition, names, memo),
                em.tag,
            )
            for em in term.emissions
        ),
    )


def _term(template: TermSpec, **fields: Any) -> TermSpec:
    """A new term (built from `template`'s class: this module never imports it)."""
    fields.setdefault("predicates", ())
    return replace(template, fanout=None, chain=None, **fields)


def _emission(template: EmissionSpec, update, amplitude, condition, tag) -> EmissionSpec:
    return replace(template, update=update, amplitude=amplitude, condition=condition, tag=tag)


# ----------------------------------------------------------------------------- classes


@dataclass
class _Class:
    """Rows in which the same site expressions are equal (so sites are known statically)."""

    labels: tuple[str, ...]  # the labels kept (one per group of equal labels)
    rows: list[tuple[int, ...]]
    merge: dict[str, str]  # label -> the kept label with its value
    keys: dict[tuple, int]  # site expression key -> its site group
    reps: dict[int, Expr] = field(default_factory=dict)  # site group -> a site expression


def _classes(
    labels: tuple[str, ...], rows: list[tuple[int, ...]], sites: list[Expr], n: int
) -> list[_Class]:
    """Splits `rows` by which of the static `sites` are equal (modulo `n`)."""
    first = dict(zip(labels, rows[0], strict=True))
    static = [Expr("label", label) for label in labels]
    static += [s for s in sites if s.op != "label" and static_value(s, first) is not None]
    groups: dict[tuple[int, ...], list[tuple[int, ...]]] = {}
    for row in rows:
        env = dict(zip(labels, row, strict=True))
        values = [static_value(s, env) % n for s in static]  # type: ignore[operator]
        pattern = tuple(values.index(v) for v in values)
        groups.setdefault(pattern, []).append(row)
    out = []
    for pattern, members in groups.items():
        # labels first in `static`: a group's first member is its first label, if any
        merge = {
            label: static[pattern[k]].args[0] if pattern[k] < len(labels) else label
            for k, label in enumerate(labels)
        }
        kept = [label for label in labels if merge[label] == label]
        keys: dict[tuple, int] = {}
        reps: dict[int, Expr] = {}
        for s, g in zip(static, pattern, strict=True):
            merged = _rename(s, merge)
            # and as the composition reads it (`_substitute` simplifies `i - 1` to `i + -1`)
            plain = _substitute(merged, {}, lambda r: Expr("read", r), lambda r: r)
            keys[s.key] = keys[merged.key] = keys[plain.key] = g
            reps.setdefault(g, merged)
        index = [labels.index(label) for label in kept]
        projected = list(dict.fromkeys(tuple(r[k] for k in index) for r in members))
        out.append(_Class(tuple(kept), projected, merge, keys, reps))
    return out


# ----------------------------------------------------------------------------- states


class _State:
    """The symbolic configuration after an update program: written site group -> value."""

    def __init__(self, cls: _Class, what: str):
        self.cls = cls
        self.what = what
        self.values: dict[int, Expr] = {}
        self.invalid: _Flag = False

    def copy(self) -> _State:
        s = _State(self.cls, self.what)
        s.values = dict(self.values)
        s.invalid = self.invalid
        return s

    def group(self, site: Expr) -> int:
        g = self.cls.keys.get(site.key)
        if g is None:
            text = bounded_repr(site)  # a site found by rank: thousands of characters of select
            raise SymbolicDefinitionError(
                f"{self.what}: the site {text} depends on the configuration or a parameter, "
                "so it may alias a written site; only sites made of labels and integers "
                "can be composed"
            )
        return g

    def site(self, g: int) -> Expr:
        return self.cls.reps[g]

    def get(self, g: int) -> Expr:
        found = self.values.get(g)
        return found if found is not None else Expr("read", self.site(g))

    def read(self, site: Expr) -> Expr:
        """`x[site]` in terms of the source configuration."""
        if not self.values:
            return Expr("read", site)
        return self.get(self.group(site))

    def written(self) -> dict[int, Expr]:
        """The written site groups whose value is not the source value."""
        return {
            g: v
            for g, v in self.values.items()
            if not (v.op == "read" and self.cls.keys.get(v.args[0].key) == g)
        }


def _substitute(e: Any, merge: dict[str, str], read, read_emitted, count=None) -> Any:
    """`e` with merged labels and `read` / `read_emitted` (and, given `count`, `count`)
    nodes replaced."""
    memo: dict[int, Expr] = {}

    def go(node: Any) -> Any:
        if not isinstance(node, Expr):
            return node
        found = memo.get(id(node))
        if found is not None:
            return found
        if node.op == "label":
            out = Expr("label", merge.get(node.args[0], node.args[0]))
        elif node.op == "read":
            out = read(go(node.args[0]))
        elif node.op == "read_emitted":
            out = read_emitted(go(node.args[0]))
        elif node.op == "count" and count is not None:
            out = count(go(node.args[0]), go(node.args[1]))
        else:
            out = _rebuild(node, tuple(go(a) for a in node.args))
        memo[id(node)] = out
        return out

    return go(e)


def _statically_within(e: Expr, cls: _Class, lo: int, hi: int) -> bool:
    """Whether a site expression made of labels and integers lies in `[lo, hi]` on every
    row of `cls` (False when it is not such an expression)."""
    values = [static_value(e, dict(zip(cls.labels, row, strict=True))) for row in cls.rows]
    return bool(values) and all(v is not None and lo <= v <= hi for v in values)


def _count_at(state: _State, lo: Expr, hi: Expr, n: int) -> Expr:
    """`count(lo, hi)` of the configuration `state` stands for, in terms of the source
    `x`: the source's count, plus, at every site written with a new value, the change
    there when the site lies within the bounds (clamped to `[0, n]`, as `sym.count`
    clamps them; a site is taken modulo `n`)."""
    total = Expr("count", lo, hi)
    written = state.written()
    if not written:
        return total

    def clamped(bound: Expr) -> Expr:
        if _statically_within(bound, state.cls, 0, n):
            return bound
        return minimum(maximum(bound, 0), n)

    lo_c, hi_c = clamped(lo), clamped(hi)
    for g, value in written.items():
        site = state.site(g)
        if _statically_within(site, state.cls, 0, n - 1):
            at = site
        else:
            at = site - n * floor(site / n)
        inside = (lo_c <= at) & (at < hi_c)
        total = total + select(inside, value - Expr("read", site), 0)
    return total


def _run(update: Update, state: _State, value: Callable[[Expr], Expr]) -> None:
    """Executes `update` symbolically on `state`; `value` maps an operand (a site or a
    value, which reads the source configuration) to an expression in the source
    configuration of the product."""
    for step in update.steps:
        if state.invalid is True:
            return
        run = _STEPS.get(step[0])
        if run is None:  # a table update (`flip_sites` of symir.pauli_strings)
            raise SymbolicDefinitionError(
                f"{state.what}: cannot compose or invert an update program with "
                f"`{step[0]}` (a table update)"
            )
        run(state, value, *step[1:])


def _step_cond(state: _State, value, predicate: Expr, if_true: Update, if_false: Update):
    p = value(predicate)
    t, f = state.copy(), state.copy()
    _run(if_true, t, value)
    _run(if_false, f, value)
    for g in dict.fromkeys([*t.values, *f.values]):
        state.values[g] = _select(p, t.get(g), f.get(g))
    state.invalid = _flag_or(state.invalid, _flag_select(p, t.invalid, f.invalid))


def _step_invalidate(state: _State, value) -> None:
    state.invalid = True


def _step_scatter(state: _State, value, sites: tuple, values: tuple) -> None:
    for site, v in zip(sites, values, strict=True):
        state.values[state.group(value(site))] = value(v)


def _step_permute(state: _State, value, *sites: Expr) -> None:
    """`permute` and `swap`: every value is read before any is written."""
    groups = [state.group(value(s)) for s in sites]
    old = [state.get(g) for g in groups]
    for k, g in enumerate(groups):
        state.values[g] = old[(k + 1) % len(groups)]


def _step_write(state: _State, value, site: Expr, v: Expr) -> None:
    state.values[state.group(value(site))] = value(v)


def _step_shift(state: _State, value, site: Expr, delta: Expr) -> None:
    g = state.group(value(site))
    state.values[g] = _add(state.get(g), value(delta))


def _step_shift_mod(state: _State, value, site: Expr, delta: Expr) -> None:
    g = state.group(value(site))
    state.values[g] = Expr("wrap_mod", _add(state.get(g), value(delta)))


def _step_affine(state: _State, value, site: Expr, scale: Expr, bias: Expr) -> None:
    g = state.group(value(site))
    prev, scale = state.get(g), value(scale)
    sc = _int_const(scale)
    scaled = prev if sc == 1 else _neg(prev) if sc == -1 else Expr("mul", scale, prev)
    state.values[g] = _add(scaled, value(bias))


_STEPS: dict[str, Callable[..., None]] = {
    "write": _step_write,
    "shift": _step_shift,
    "shift_mod": _step_shift_mod,
    "swap": _step_permute,
    "permute": _step_permute,
    "affine": _step_affine,
    "scatter": _step_scatter,
    "invalidate": _step_invalidate,
    "cond": _step_cond,
}
"""Update steps (`Update.steps`) -> their symbolic execution."""


def _local(e: Expr, states: tuple[int, ...], memo: dict[int, bool] | None = None) -> bool:
    """`e` is provably a local state (as the kernel's unchecked writes). `memo` (by
    identity, while `e` lives): a value shared by both arms of several selects (the
    values of a chain of conditional swaps) was asked once per path, 2^k under k."""
    if memo is None:
        memo = {}
    found = memo.get(id(e))
    if found is not None:
        return found
    c = _int_const(e)
    if c is not None:
        out = c in states
    elif e.op in ("read", "read_emitted", "wrap_mod"):
        out = True
    elif e.op == "neg":
        symmetric = tuple(sorted(-s for s in states)) == states
        out = symmetric and _local(e.args[0], states, memo)
    elif e.op == "select":
        out = _local(e.args[1], states, memo) and _local(e.args[2], states, memo)
    else:
        out = False
    memo[id(e)] = out
    return out


def _in_states(e: Expr, states: tuple[int, ...]) -> Expr:
    if states == tuple(range(states[0], states[-1] + 1)):
        return all_of(e >= states[0], e <= states[-1])
    return any_of(*(e == s for s in states))


def _validity(state: _State, states: tuple[int, ...]) -> list[Expr]:
    """Predicates that the written sites of `state` hold local states, and that the
    program was not invalidated."""
    parts = [_in_states(v, states) for v in state.written().values() if not _local(v, states)]
    if state.invalid is not False:
        parts.append(~as_expr(state.invalid))
    return parts


def _impossible(state: _State, states: tuple[int, ...]) -> bool:
    """Some written site provably holds a value that is not a local state."""
    return any(c is not None and c not in states for c in map(_int_const, state.written().values()))


def _updates(state: _State) -> Update:
    """The program writing the final values of `state` (empty: the identity)."""
    out = Update()
    for g, v in state.written().items():
        out = out.write(state.site(g), v)
    return out


def _conjoin(parts: list[Expr]) -> Expr | None:
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else all_of(*parts)


def _statically_false(p: Expr | None) -> bool:
    if p is None:
        return False
    if p.op == "const":
        return p.args[0] is False
    if p.op == "and":
        return any(_statically_false(a) for a in p.args)
    if p.op == "not":
        return _const(p.args[0]) is True
    return False


def _tag(*tags: str | None) -> str | None:
    kept = [t for t in tags if t is not None]
    return "@".join(kept) if kept else None


# ----------------------------------------------------------------------------- product


def _product_terms(ta: TermSpec, tb: TermSpec, n: int, states: tuple[int, ...]):
    """The terms of `ta @ tb`, one per class of the crossed row table."""
    ta, tb = _renamed(ta, "a_"), _renamed(tb, "b_")
    labels = ta.labels + tb.labels
    rows = [ra + rb for ra in ta.rows for rb in tb.rows]
    sites = _site_exprs(ta) + _site_exprs(tb)
    for k, cls in enumerate(_classes(labels, rows, sites, n)):
        merge = cls.merge

        def plain(e: Any, merge: dict[str, str] = merge) -> Any:
            return _substitute(
                e, merge, lambda s: Expr("read", s), lambda s: Expr("read_emitted", s)
            )

        emissions = []
        for ea in ta.emissions:
            state = _State(cls, f"the product of terms {ta.name!r} and {tb.name!r}")
            _run(ea.update, state, plain)
            y = state.copy()

            def at_y(e: Any, y: _State = y, merge: dict[str, str] = merge) -> Any:
                # reads and counts of the second factor see y, the first factor's x'
                return _substitute(
                    e,
                    merge,
                    y.read,
                    lambda s: Expr("read_emitted", s),
                    lambda lo, hi: _count_at(y, lo, hi, n),
                )

            amp_a = _substitute(ea.amplitude, merge, lambda s: Expr("read", s), y.read)
            head = [plain(ea.condition), *_validity(y, states)]
            head += [at_y(p) for p in tb.predicates]
            for eb in tb.emissions:
                final = y.copy()
                final.invalid = False
                _run(eb.update, final, at_y)
                cond = _conjoin([*head, at_y(eb.condition), *_validity_flag(final)])
                if _statically_false(cond) or _impossible(y, states) or _impossible(final, states):
                    continue
                amp = amp_a * at_y(eb.amplitude)
                emissions.append(_emission(eb, _updates(final), amp, cond, _tag(ea.tag, eb.tag)))
        if not emissions:
            continue
        yield _term(
            ta,
            name=f"{ta.name}_at_{tb.name}_c{k}",
            kind="rows" if cls.labels else "global",
            labels=cls.labels,
            rows=tuple(cls.rows),
            predicates=tuple(plain(p) for p in ta.predicates),
            emissions=tuple(emissions),
        )


def _validity_flag(state: _State) -> list[Expr]:
    return [] if state.invalid is False else [~as_expr(state.invalid)]


def product_terms(a: SymbolicOperator, b: SymbolicOperator) -> tuple[TermSpec, ...]:
    """The terms of `a @ b`: `(a @ b)[x, z] = sum_y a[x, y] b[y, z]` (`a` and `b` on one
    space: `SymbolicOperator.__matmul__` checks it)."""
    n, states = a.space.size, a.space.local_states
    terms = [t for ta in a.terms for tb in b.terms for t in _product_terms(ta, tb, n, states)]
    if not terms:  # every composed branch is invalidated: the zero operator, one empty slot
        return (_ZERO_TERM,)
    return tuple(replace(t, name=f"p{k}_{t.name}"[:120]) for k, t in enumerate(terms))


_ZERO_TERM = TermSpec(
    name="zero",
    kind="global",
    labels=(),
    rows=((),),
    predicates=(),
    emissions=(EmissionSpec(update=Update().invalidate(), amplitude=as_expr(0.0), condition=None),),
)
"""The term of a product none of whose branches can be active (`inv @ op` of an operator
whose branches are all invalidated, as `DOperator(...).globally().emit(invalidate())`
makes it): one invalidated branch, the zero operator with F = 1."""


# ----------------------------------------------------------------------------- adjoint


def _elementary(e: Expr, state: _State):
    """`e` as `g(x[t])`: (site group t, the inverse of g as a function on expressions),
    or None."""
    if e.op == "read":
        return state.group(e.args[0]), lambda v: v
    rule = _INVERSES.get(e.op)
    return None if rule is None else rule(e, state)


def _then(found, outer: Callable[[Expr], Expr]):
    """`g = g_inner` followed by an elementary map whose inverse is `outer`."""
    if found is None:
        return None
    t, inv = found
    return t, lambda v: inv(outer(v))


def _inverse_neg(e: Expr, state: _State):
    return _then(_elementary(e.args[0], state), _neg)


def _inverse_add(e: Expr, state: _State):
    a, b = e.args
    if _reads_nothing(b):  # g(v) + c
        return _then(_elementary(a, state), lambda v: _add(v, _neg(b)))
    if _reads_nothing(a):  # c + g(v)
        return _then(_elementary(b, state), lambda v: _add(v, _neg(a)))
    return None


def _inverse_sub(e: Expr, state: _State):
    a, b = e.args
    if _reads_nothing(b):  # g(v) - c
        return _then(_elementary(a, state), lambda v: _add(v, b))
    if _reads_nothing(a):  # c - g(v)
        return _then(_elementary(b, state), lambda v: Expr("sub", a, v))
    return None


def _inverse_mul(e: Expr, state: _State):
    a, b = e.args
    for c, inner in ((a, b), (b, a)):
        if _int_const(c) == 1:
            return _elementary(inner, state)
        if _int_const(c) == -1:
            return _then(_elementary(inner, state), _neg)
    return None


def _inverse_wrap_mod(e: Expr, state: _State):
    """`wrap_mod(g(x[t]))` with `g` elementary (`+ c`, negations: `x[t] + c`, `x[t]`
    itself after `shift_mod(t, 0)`, `c - x[t]`): a bijection of the contiguous local
    states, whose inverse is `wrap_mod(g^-1(v))`. Only `wrap_mod(x[t] + c)` was taken, so
    `shift_mod(t, 0)` (folded to `wrap_mod(x[t])`) had no adjoint (sweep 26)."""
    found = _elementary(e.args[0], state)
    if found is None:
        return None
    t, inverse = found
    return t, lambda v: Expr("wrap_mod", inverse(v))


_INVERSES: dict[str, Callable[[Expr, _State], Any]] = {
    "neg": _inverse_neg,
    "add": _inverse_add,
    "sub": _inverse_sub,
    "mul": _inverse_mul,
    "wrap_mod": _inverse_wrap_mod,
}
"""The elementary maps whose inverse the adjoint builds (bijections of the integers, or
of the contiguous local states for `wrap_mod`)."""


def _reads_nothing(e: Expr) -> bool:
    found = []
    walk(
        e,
        lambda node: (
            found.append(node)
            if node.op in ("read", "read_emitted", "param", "count", "nth_site")
            else None
        ),
    )
    return not found


_MAX_PREIMAGES = 64
"""The most source configurations one branch of an adjoint may have (constant writes:
the local states to the power of the number of sites whose value they erase)."""


def _forward(update: Update, cls: _Class, what: str) -> _State:
    """The symbolic execution of `update` whose adjoint is wanted (no `cond`/`invalidate`)."""
    for step in update.steps:
        if step[0] in ("cond", "invalidate"):
            raise SymbolicDefinitionError(
                f"{what}: cannot invert an update program with `{step[0]}` (the adjoint "
                "needs an update whose inverse is provable: flip, swap, permute, hop, shift, "
                "or a write of a constant local state)"
            )
    forward = _State(cls, what)
    _run(
        update,
        forward,
        lambda e: _substitute(
            e, cls.merge, lambda s: Expr("read", s), lambda s: Expr("read_emitted", s)
        ),
    )
    return forward


def _inverses(
    update: Update, cls: _Class, what: str, states: tuple[int, ...]
) -> list[tuple[_State, list[Expr]]]:
    """The states `y` with `U(y) = x`, each with the predicates on `x` under which it is
    one: `y = U^-1(x)` for a bijection, or, where `U` writes constants (`write(i, 1)`,
    sigma^+ on a spin), one state per value of each erased site (the local states), under
    `x[i] == 1`; a clear error where no such form is provable."""
    forward = _forward(update, cls, what)
    written = forward.written()
    constants = {g: _int_const(v) for g, v in written.items() if _int_const(v) is not None}
    if any(c not in states for c in constants.values()):
        return []  # the branch always writes a value that is not a local state: never active
    inverse = _State(cls, what)
    sources = []
    for g, v in written.items():
        if g in constants:
            continue
        found = _elementary(v, forward)
        if found is None:
            raise SymbolicDefinitionError(
                f"{what}: cannot invert the update x'[{bounded_repr(forward.site(g))}] = {bounded_repr(v)} (the "
                "adjoint needs values g(x[t]) with g a shift, a negation or wrap_mod of a "
                "shift, and t a permutation of the written sites, or constant local states)"
            )
        t, inv = found
        sources.append(t)
        inverse.values[t] = inv(Expr("read", forward.site(g)))
    if len(set(sources)) != len(sources) or not set(sources) <= set(written):
        raise SymbolicDefinitionError(
            f"{what}: the update is not a bijection (it copies values between sites "
            "without permuting them), so it has no inverse"
        )
    erased = [g for g in written if g not in sources]  # their source values are lost
    return _preimages(inverse, erased, constants, states, forward)


def _preimages(
    inverse: _State, erased: list[int], constants: dict, states: tuple[int, ...], forward
) -> list[tuple[_State, list[Expr]]]:
    """`inverse` completed with every choice of local states on the `erased` site groups
    (a group written with its constant keeps `x`'s value, which is that constant)."""
    if len(states) ** len(erased) > _MAX_PREIMAGES:
        raise SymbolicDefinitionError(
            f"{inverse.what}: the update erases {len(erased)} site(s) of {len(states)} local "
            f"states each, so a branch of the adjoint has {len(states) ** len(erased)} "
            f"source configurations (more than {_MAX_PREIMAGES}); write the operator's "
            "adjoint directly"
        )
    conditions = [Expr("read", forward.site(g)) == c for g, c in constants.items()]
    out = []
    for choice in itertools.product(states, repeat=len(erased)):
        y = inverse.copy()
        for g, value in zip(erased, choice, strict=True):
            if constants.get(g) != value:  # else y[g] = x[g] (= the constant)
                y.values[g] = as_expr(value)
        out.append((y, list(conditions)))
    return out


def _adjoint_term(term: TermSpec, n: int, states: tuple[int, ...], conj: bool):
    for k, cls in enumerate(_classes(term.labels, list(term.rows), _site_exprs(term), n)):
        emissions = []
        for em in term.emissions:
            what = f"the adjoint of term {term.name!r}"
            for y, conditions in _inverses(em.update, cls, what, states):
                if _impossible(y, states):
                    continue

                def at_y(e: Any, y: _State = y, cls: _Class = cls) -> Any:
                    # the term's reads and counts of x, with x the preimage y of the source
                    return _substitute(
                        e,
                        cls.merge,
                        y.read,
                        lambda s: Expr("read", s),
                        lambda lo, hi: _count_at(y, lo, hi, n),
                    )

                amp = at_y(em.amplitude)
                cond = _conjoin(
                    [
                        *conditions,
                        *(at_y(p) for p in term.predicates),
                        at_y(em.condition),
                        *_validity(y, states),
                    ]
                )
                emissions.append(
                    _emission(em, _updates(y), Expr("conj", amp) if conj else amp, cond, em.tag)
                )
        if not emissions:
            continue
        yield _term(
            term,
            name=f"{term.name}_c{k}",
            kind="rows" if cls.labels else "global",
            labels=cls.labels,
            rows=tuple(cls.rows),
            emissions=tuple(emissions),
        )


def transpose_terms(op: SymbolicOperator, *, conj: bool) -> tuple[TermSpec, ...]:
    """The terms of `op.T` (`conj=False`) or `op.H` (`conj=True`)."""
    n, states = op.space.size, op.space.local_states
    terms = tuple(t for term in op.terms for t in _adjoint_term(term, n, states, conj))
    if not terms:
        raise SymbolicDefinitionError(f"the transpose of {op.name!r} has no branch")
    return terms


def conjugate_terms(op: SymbolicOperator) -> tuple[TermSpec, ...]:
    """The terms of the elementwise complex conjugate (no transpose)."""
    return tuple(
        replace(
            t,
            emissions=tuple(replace(e, amplitude=Expr("conj", e.amplitude)) for e in t.emissions),
        )
        for t in op.terms
    )
