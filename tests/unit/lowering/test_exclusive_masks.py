"""The proof of `branch-merge-exclusive-emissions` against every integer assignment.

Random conjunctions of comparisons of two integer reads `v`, `w` with constants (either
side, negated or not, `and`-ed) and of an unrelated flag `p`: wherever
`exclusive(literals(a), literals(b))` says that two masks never hold together, no
assignment of `v`, `w` in [-6, 6] and `p` satisfies both (checked by evaluating the masks'
ops with Python's comparisons); and the proof finds the simple cases it claims to find.
"""

from __future__ import annotations

import itertools
import random

from xdsl.context import Context
from xdsl.dialects.builtin import Builtin
from xdsl.parser import Parser

from symir.dialects import branch
from symir.dialects.types import CmpPredicate
from symir.lowering.branch.branch_merge_exclusive_emissions import exclusive, literals

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
