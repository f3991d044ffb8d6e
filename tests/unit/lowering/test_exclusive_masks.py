"""The proof of `branch-merge-exclusive-emissions` against every integer assignment.

Random conjunctions of comparisons of two integer reads `v`, `w` with constants (either
side, negated or not, `and`-ed) and of an unrelated flag `p`: wherever
`exclusive(literals(a), literals(b))` says that two masks never hold together, no
assignment of `v`, `w` in [-6, 6] and `p` satisfies both (checked by evaluating the masks'
ops with Python's comparisons); and the proof finds the simple cases it claims to find.
Random formulas (`and`, `or`, `not`, `branch.member`) likewise for `decided_exclusive`,
which must also prove every pair that no assignment satisfies (its constants lie in
[-3, 3], so [-6, 6] holds every point it evaluates: it is complete there).
"""

from __future__ import annotations

import itertools
import random

from xdsl.context import Context
from xdsl.dialects.builtin import Builtin
from xdsl.parser import Parser

from symir.dialects import branch
from symir.dialects.types import CmpPredicate
from symir.lowering.branch.branch_merge_exclusive_emissions import (
    decided_exclusive,
    exclusive,
    formula,
    literals,
)

PREDICATES = [p.value for p in CmpPredicate]
T = "tensor<?x1xi64>"
B = "tensor<?x1xi1>"


def _kernel(masks: list[str]) -> str:
    head = f"""branch.kernel @k sites 2 states [0, 1] dtype f64 params [] {{
^bb0(%x: tensor<?x2xi8>):
  %c0 = branch.column %x {{values = array<i64: 0>}} : tensor<?x2xi8> -> {T}
  %c1 = branch.column %x {{values = array<i64: 1>}} : tensor<?x2xi8> -> {T}
  %v = branch.read %x, %c0 : tensor<?x2xi8>, {T} -> {T}
  %w = branch.read %x, %c1 : tensor<?x2xi8>, {T} -> {T}
  %p = branch.cmp eq %v, %w : {T}, {T} -> {B}
"""
    consts = "".join(
        f"  %k{c + 6} = branch.constant %x {{value = {c} : i64}} : tensor<?x2xi8> -> {T}\n"
        for c in range(-6, 7)
    )
    return head + consts + "".join(masks) + "  %xs = branch.concat %v : " + f"{T} -> {T}\n}}"


def _random_mask(rng: random.Random, name: str, lines: list[str]) -> str:
    """Lines defining `%{name}`, a conjunction of 1-3 literals."""
    parts = []
    for j in range(rng.randint(1, 3)):
        lit = f"%{name}_{j}"
        if rng.random() < 0.15:
            lines.append(f"  {lit} = branch.and %p, %p : {B}, {B} -> {B}\n")
        else:
            value, const = rng.choice(["%v", "%w"]), f"%k{rng.randint(-3, 3) + 6}"
            lhs, rhs = (value, const) if rng.random() < 0.5 else (const, value)
            lines.append(
                f"  {lit} = branch.cmp {rng.choice(PREDICATES)} {lhs}, {rhs} : {T}, {T} -> {B}\n"
            )
        if rng.random() < 0.4:
            lines.append(f"  {lit}n = branch.not {lit} : {B} -> {B}\n")
            lit = f"{lit}n"
        parts.append(lit)
    types = ", ".join([B] * len(parts))
    lines.append(f"  %{name} = branch.and {', '.join(parts)} : {types} -> {B}\n")
    return f"%{name}"


def _holds(value, env) -> bool:
    """The mask's value with `env` (`%v`, `%w` integers, `%p` their equality)."""
    op = value.owner
    if isinstance(op, branch.ReadOp):
        return env[op.sites.owner.values.get_values()[0]]
    if isinstance(op, branch.ConstantOp):
        return op.value.value.data
    if isinstance(op, branch.CmpOp):
        return CmpPredicate(op.predicate.data).python(_holds(op.lhs, env), _holds(op.rhs, env))
    if isinstance(op, branch.NotOp):
        return not _holds(op.operand, env)
    if isinstance(op, branch.AndOp):
        return all(_holds(i, env) for i in op.inputs)
    if isinstance(op, branch.OrOp):
        return any(_holds(i, env) for i in op.inputs)
    if isinstance(op, branch.MemberOp):
        return _holds(op.value, env) in op.states.get_values()
    raise AssertionError(op.name)


def test_exclusive_masks_never_hold_together():
    rng = random.Random(7)
    ctx = Context()
    ctx.load_dialect(Builtin)
    ctx.load_dialect(branch.Branch)
    proved = 0
    for round_ in range(30):
        lines: list[str] = []
        names = [_random_mask(rng, f"m{round_}_{i}", lines) for i in range(8)]
        kernel = Parser(ctx, _kernel(lines)).parse_op()
        values = {f"%{r.name_hint}": r for op in kernel.walk() for r in op.results if r.name_hint}
        for a, b in itertools.combinations(names, 2):
            if not exclusive(literals(values[a]), literals(values[b])):
                continue
            proved += 1
            for v, w in itertools.product(range(-6, 7), repeat=2):
                env = {0: v, 1: w}
                assert not (_holds(values[a], env) and _holds(values[b], env)), (a, b, v, w)
    assert proved > 50  # the proof found exclusive pairs to check


def _random_formula(rng: random.Random, name: str, lines: list[str], depth: int, flag: bool) -> str:
    """Lines defining `%{name}`: an atom (a comparison with a constant, a membership, the
    flag `%p` or a comparison of the two reads where `flag`), or the `and` / `or` of 2-3
    formulas, negated or not."""
    if depth == 0 or rng.random() < 0.35:
        value = rng.choice(["%v", "%w"])
        if flag and rng.random() < 0.15:
            lines.append(f"  %{name} = branch.and %p, %p : {B}, {B} -> {B}\n")
        elif flag and rng.random() < 0.2:  # a comparison of the two reads
            lhs, rhs = ("%v", "%w") if rng.random() < 0.5 else ("%w", "%v")
            lines.append(
                f"  %{name} = branch.cmp {rng.choice(PREDICATES)} {lhs}, {rhs} : {T}, {T} -> {B}\n"
            )
        elif rng.random() < 0.25:
            states = ", ".join(map(str, sorted(rng.sample(range(-3, 4), rng.randint(1, 3)))))
            lines.append(
                f"  %{name} = branch.member {value} {{states = array<i64: {states}>}} : "
                f"{T} -> {B}\n"
            )
        else:
            const = f"%k{rng.randint(-3, 3) + 6}"
            lhs, rhs = (value, const) if rng.random() < 0.5 else (const, value)
            lines.append(
                f"  %{name} = branch.cmp {rng.choice(PREDICATES)} {lhs}, {rhs} : {T}, {T} -> {B}\n"
            )
    else:
        parts = [
            _random_formula(rng, f"{name}q{j}", lines, depth - 1, flag)
            for j in range(rng.randint(2, 3))
        ]
        kind = rng.choice(["and", "or"])
        types = ", ".join([B] * len(parts))
        lines.append(f"  %{name} = branch.{kind} {', '.join(parts)} : {types} -> {B}\n")
    if rng.random() < 0.3:
        lines.append(f"  %{name}n = branch.not %{name} : {B} -> {B}\n")
        return f"%{name}n"
    return f"%{name}"


def test_decided_masks_are_exclusive_exactly_when_no_assignment_meets_both():
    rng = random.Random(11)
    ctx = Context()
    ctx.load_dialect(Builtin)
    ctx.load_dialect(branch.Branch)
    proved = refuted = 0
    for round_ in range(40):
        # with `%p` = (v == w) and comparisons of the reads, flags apart from the
        # reads' values: sound only
        flag = round_ % 2 == 0
        lines: list[str] = []
        names = [_random_formula(rng, f"f{round_}x{i}", lines, 2, flag) for i in range(8)]
        kernel = Parser(ctx, _kernel(lines)).parse_op()
        values = {f"%{r.name_hint}": r for op in kernel.walk() for r in op.results if r.name_hint}
        for a, b in itertools.combinations(names, 2):
            decided = decided_exclusive(formula(values[a]), formula(values[b]))
            together = any(
                _holds(values[a], {0: v, 1: w}) and _holds(values[b], {0: v, 1: w})
                for v, w in itertools.product(range(-6, 7), repeat=2)
            )
            assert not (decided and together), (a, b)  # sound
            if not flag:
                assert decided == (not together), (a, b)  # and complete without the flag
            proved += decided
            refuted += not decided
    assert proved > 30 and refuted > 30


def test_a_disjunction_of_local_states_merges_with_the_other_arm():
    """`(v == -1) | (v == 0)` against `v == 1`, and `v in {-1, 0}` against `v > 0`: the
    literal rule cannot see them (one literal, an `or`); the formulas decide them."""
    ctx = Context()
    ctx.load_dialect(Builtin)
    ctx.load_dialect(branch.Branch)
    lines = [
        f"  %a0 = branch.cmp eq %v, %k5 : {T}, {T} -> {B}\n",
        f"  %a1 = branch.cmp eq %v, %k6 : {T}, {T} -> {B}\n",
        f"  %a = branch.or %a0, %a1 : {B}, {B} -> {B}\n",
        f"  %b = branch.cmp eq %k7, %v : {T}, {T} -> {B}\n",
        f"  %c = branch.member %v {{states = array<i64: -1, 0>}} : {T} -> {B}\n",
        f"  %d = branch.cmp gt %v, %k6 : {T}, {T} -> {B}\n",
        f"  %e = branch.cmp ge %v, %k6 : {T}, {T} -> {B}\n",
        f"  %same = branch.cmp eq %w, %v : {T}, {T} -> {B}\n",
        f"  %apart = branch.cmp ne %v, %w : {T}, {T} -> {B}\n",
        f"  %less = branch.cmp lt %v, %w : {T}, {T} -> {B}\n",
        f"  %above = branch.cmp le %w, %v : {T}, {T} -> {B}\n",
    ]
    kernel = Parser(ctx, _kernel(lines)).parse_op()
    values = {f"%{r.name_hint}": r for op in kernel.walk() for r in op.results if r.name_hint}
    f = {name: formula(values[f"%{name}"]) for name in "abcde"}
    assert not exclusive(literals(values["%a"]), literals(values["%b"]))
    assert decided_exclusive(f["a"], f["b"]) and decided_exclusive(f["c"], f["d"])
    assert not decided_exclusive(f["c"], f["e"])  # both hold at v = 0
    # two reads compared either way round: `w == v` against `v != w`, `v < w` against
    # `w <= v`
    g = {name: formula(values[f"%{name}"]) for name in ("same", "apart", "less", "above")}
    assert decided_exclusive(g["same"], g["apart"]) and decided_exclusive(g["less"], g["above"])


def test_state_keys_of_a_shared_dag_take_linear_time():
    """`_state_keys` numbers each structure once: a chain of 200 values each the sum of
    the one before with itself has 2^200 paths, which keys made of nested tuples hashed
    one by one (LiH cc-pVDZ's kernel took 451 s to compile, 915 million `hash` calls);
    equal structures get equal keys, different ones different keys."""
    from types import SimpleNamespace

    from symir.lowering.branch.branch_merge_exclusive_emissions import _state_keys

    ctx = Context()
    ctx.load_dialect(Builtin)
    ctx.load_dialect(branch.Branch)
    lines = ["  %s0 = branch.add %v, %v : {T}, {T} -> {T}\n".replace("{T}", T)]
    lines += [
        f"  %s{k} = branch.add %s{k - 1}, %s{k - 1} : {T}, {T} -> {T}\n" for k in range(1, 200)
    ]
    lines += [f"  %t = branch.add %s199, %s199 : {T}, {T} -> {T}\n"]
    lines += [f"  %u = branch.add %s199, %w : {T}, {T} -> {T}\n"]
    kernel = Parser(ctx, _kernel(lines)).parse_op()
    values = {r.name_hint: r for op in kernel.walk() for r in op.results if r.name_hint}
    emits = [SimpleNamespace(state=values[n]) for n in ("t", "s199", "t", "u", "s198")]
    keys = _state_keys(emits)
    assert all(isinstance(k, int) for k in keys)
    assert keys[0] == keys[2] and len({keys[0], keys[1], keys[3], keys[4]}) == 4
    assert len(set(keys)) == 4  # hashed as `_group` counts them
