"""The rewrite patterns of `convert-sym-to-branch` and `convert-branch-to-stablehlo`.

Both passes are driven by xDSL's `PatternRewriteWalker`. Every pattern class is wrapped
to record the op types it rewrites while the passes convert a corpus holding every op of
the source dialect (the conversion lit files and the modules below); then every source op
must have been rewritten by exactly one pattern (`sym.yield` and `sym.where` by none:
their parents' patterns consume them), every pattern must have fired, and the table-driven
elementwise pattern must have rewritten exactly the ops of its `ELEMENTWISE` table. Bad
input gives a clear error.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from xdsl.context import Context
from xdsl.dialects import builtin, func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.parser import Parser
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern

from symir.dialects import branch, get_all_dialects, sym
from symir.lowering.branch.branch_coalesce_diagonal import BranchCoalesceDiagonalPass
from symir.lowering.branch.branch_merge_exclusive_emissions import (
    BranchMergeExclusiveEmissionsPass,
)
from symir.lowering.conversion import convert_branch_to_stablehlo as b2s
from symir.lowering.conversion import convert_sym_to_branch as s2b

LIT = Path(__file__).resolve().parents[2] / "lit" / "lowering" / "conversion"

SYM_ROUND_TRIP = Path(__file__).resolve().parents[2] / "lit" / "dialects" / "sym" / "ops.mlir"

# Expression ops with a predicate and an emission predicate (the mask is their
# `branch.and`). Every expression op is in the corpus anyway: the operators of the sym
# round trip (`SYM_ROUND_TRIP`, which has a case of every op) are part of it.
EXPRESSIONS = """
sym.operator @exprs sites 3 states [-1, 0, 1] dtype complex<f64> {
  sym.term @all kind "rows" labels ["i", "j"] rows [[0, 1], [1, 2]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %xi = sym.read %i : i64
    %xj = sym.read %j : i64
    %cf = sym.constant 5.000000e-01 : f64
    %z = sym.param "z" : complex<f64>
    %sub = sym.sub %xi, %xj : i64, i64 -> i64
    %div = sym.div %xi, %xj : i64, i64 -> f64
    %pow = sym.pow %xi, %cf : i64, f64 -> f64
    %min = sym.min %xi, %xj : i64, i64 -> i64
    %max = sym.max %cf, %xi : f64, i64 -> f64
    %abs = sym.abs %z : complex<f64> -> f64
    %conj = sym.conj %z : complex<f64> -> complex<f64>
    %re = sym.real %conj : complex<f64> -> f64
    %im = sym.imag %z : complex<f64> -> f64
    %exp = sym.exp %cf : f64 -> f64
    %log = sym.log %exp : f64 -> f64
    %sin = sym.sin %log : f64 -> f64
    %cos = sym.cos %xi : i64 -> f64
    %floor = sym.floor %cos : f64 -> f64
    %floori = sym.floor %xi : i64 -> i64
    %wrap = sym.wrap_mod %sub : i64 -> i64
    %lt = sym.cmp lt %xi, %xj : i64, i64
    %gt = sym.cmp gt %cf, %min : f64, i64
    %and = sym.and %lt, %gt
    %or = sym.or %lt, %and
    %not = sym.not %and
    %lk = sym.lookup %i {keys = array<i64: 0, 1>, values = array<f64: 0.25, -1.0>} : i64 -> f64
    %lkx = sym.lookup %xi {keys = array<i64: -1, 1>, values = array<f64: 2.0, 3.0>} : i64 -> f64
    sym.where %or
    sym.emission if %not {
      sym.write %i, %wrap
    } amplitude {
      %a = sym.add %div, %pow : f64, f64 -> f64
      %b = sym.mul %a, %max : f64, f64 -> f64
      %c = sym.sub %b, %abs : f64, f64 -> f64
      %d = sym.add %c, %re : f64, f64 -> f64
      %e = sym.add %d, %im : f64, f64 -> f64
      %f = sym.add %e, %sin : f64, f64 -> f64
      %g = sym.add %f, %floor : f64, f64 -> f64
      %h = sym.add %g, %floori : f64, i64 -> f64
      %k = sym.add %h, %lk : f64, f64 -> f64
      %l = sym.add %k, %lkx : f64, f64 -> f64
      sym.yield %l : f64
    }
  }
}
"""

# A kernel with the branch op that convert-sym-to-branch never emits.
MEMBER = """
branch.kernel @member sites 2 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x2xi8>):
  %i = branch.column %x {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
  %xi = branch.read %x, %i : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
  %ok = branch.member %xi {states = array<i64: 0, 1>} : tensor<?x2xi64> -> tensor<?x2xi1>
  %s = branch.state %x : tensor<?x2xi8> -> !branch.state<2x2xi8>
  %a = branch.constant %x {value = 1.000000e+00 : f64} : tensor<?x2xi8> -> tensor<?x2xf64>
  %xp, %mel = branch.emit %x, %s, %a, %ok {term = "m"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  branch.return %xp, %mel : tensor<?x2x2xi8>, tensor<?x2xf64>
}
"""


def context() -> Context:
    ctx = Context()
    ctx.load_dialect(builtin.Builtin)
    ctx.load_dialect(func.Func)
    for factory in get_all_dialects().values():
        ctx.load_dialect(factory())
    return ctx


def parse(text: str) -> ModuleOp:
    return Parser(context(), text).parse_module()


def chunks(path: Path) -> list[str]:
    return path.read_text().split("// -----\n")


def round_trip_operators() -> list[str]:
    """Every `sym.operator` with terms of the sym round trip, one module each."""
    module = parse(SYM_ROUND_TRIP.read_text())
    return [
        str(ModuleOp([op.clone()]))
        for op in module.ops
        if isinstance(op, sym.OperatorOp) and op.terms
    ]


def sym_corpus() -> list[str]:
    return [*chunks(LIT / "convert-sym-to-branch.mlir"), EXPRESSIONS, *round_trip_operators()]


def branch_corpus() -> list[ModuleOp]:
    """The branch lit inputs, the kernel above, and every sym module of the corpus
    lowered (with coalescing and merging, which add `sum_rows` and `select_state`)."""
    modules = [
        parse(text)
        for name in (
            "convert-branch-to-stablehlo.mlir",
            "convert-branch-to-stablehlo-reads.mlir",
            "convert-branch-to-stablehlo-read-lowerings.mlir",
            "convert-branch-to-stablehlo-quadratic-form.mlir",
            "convert-branch-to-stablehlo-state-reads.mlir",
            "convert-branch-to-stablehlo-deltas.mlir",
            "convert-branch-to-stablehlo-nth-site.mlir",
            "convert-branch-to-stablehlo-lookup.mlir",
        )
        for text in chunks(LIT / name)
    ]
    modules.append(parse(MEMBER))
    for text in sym_corpus():
        module = parse(text)
        for p in (
            s2b.ConvertSymToBranchPass(),
            BranchCoalesceDiagonalPass(),
            BranchMergeExclusiveEmissionsPass(),
        ):
            p.apply(context(), module)
        modules.append(module)
    return modules


def op_types(module: ModuleOp, dialect: str) -> set[type[Operation]]:
    return {type(o) for o in module.walk() if o.dialect_name() == dialect}


def record(monkeypatch, classes) -> dict[type[RewritePattern], set[type[Operation]]]:
    """Wraps every pattern class: which op types each rewrote."""
    fired: dict[type[RewritePattern], set[type[Operation]]] = defaultdict(set)
    for cls in classes:
        original = cls.match_and_rewrite

        def wrapped(self, op, rewriter: PatternRewriter, cls=cls, original=original):
            t = type(op)
            original(self, op, rewriter)
            if rewriter.has_done_action:
                fired[cls].add(t)

        monkeypatch.setattr(cls, "match_and_rewrite", wrapped)
    return fired


def by_op(fired) -> dict[type[Operation], set[type[RewritePattern]]]:
    owners: dict[type[Operation], set[type[RewritePattern]]] = defaultdict(set)
    for cls, types in fired.items():
        for t in types:
            owners[t].add(cls)
    return owners


# --------------------------------------------------------------------------- sym -> branch


def test_every_sym_op_has_one_pattern_that_fires(monkeypatch):
    classes = {s2b.OperatorToKernel, *(type(p) for p in s2b.sym_to_branch_patterns())}
    assert len(classes) == len(s2b.sym_to_branch_patterns()) + 1, "one instance per class"
    fired = record(monkeypatch, classes)
    seen: set[type[Operation]] = set()
    for text in sym_corpus():
        module = parse(text)
        seen |= op_types(module, "sym")
        s2b.ConvertSymToBranchPass().apply(context(), module)
        assert not op_types(module, "sym")
    assert seen == set(sym.Sym.operations), "the corpus holds every sym op"
    assert set(fired) == classes, f"patterns that never fired: {classes - set(fired)}"
    owners = by_op(fired)
    for op in sym.Sym.operations:
        expected = 0 if op in s2b.CONSUMED_BY_PARENT else 1
        assert len(owners[op]) == expected, f"{op.name} rewritten by {owners[op]}"
    assert fired[s2b.ElementwiseToBranch] == set(s2b.ELEMENTWISE)
    for cls, types in fired.items():
        assert cls is s2b.ElementwiseToBranch or len(types) == 1, (cls, types)


def test_consumed_sym_ops_are_erased_by_their_parents_pattern():
    module = parse(EXPRESSIONS)
    s2b.ConvertSymToBranchPass().apply(context(), module)
    (kernel,) = [o for o in module.walk() if isinstance(o, branch.KernelOp)]
    (emit,) = [o for o in kernel.walk() if isinstance(o, branch.EmitOp)]
    # the mask is where AND emission predicate, the amplitude the yielded value
    assert isinstance(emit.mask.owner, branch.AndOp)
    assert isinstance(emit.amplitude.owner, branch.AddOp)


def test_every_elementwise_sym_op_maps_to_a_branch_op():
    assert set(s2b.ELEMENTWISE) <= set(sym.Sym.operations)
    assert set(s2b.ELEMENTWISE.values()) <= set(branch.Branch.operations)


def test_operator_without_terms_is_a_clear_error():
    module = parse("sym.operator @empty sites 1 states [0] dtype f64 {\n}")
    with pytest.raises(ValueError, match=r"'sym.operator' @empty has no 'sym.term'"):
        s2b.ConvertSymToBranchPass().apply(context(), module)


def test_sym_op_outside_an_operator_is_left_and_named():
    module = parse("%c = sym.constant 1 : i64\n" + chunks(LIT / "convert-sym-to-branch.mlir")[1])
    with pytest.raises(ValueError, match=r"left sym ops behind: \['sym.constant'\]"):
        s2b.ConvertSymToBranchPass().apply(context(), module)


# --------------------------------------------------------------------------- branch -> stablehlo


def test_every_branch_op_has_one_pattern_that_fires(monkeypatch):
    low = b2s.KernelLowering(None, 0, ())  # type: ignore[arg-type]
    classes = {b2s.KernelToFunc, *(type(p) for p in b2s.branch_to_stablehlo_patterns(low))}
    assert len(classes) == len(b2s.branch_to_stablehlo_patterns(low)) + 1
    corpus = branch_corpus()
    fired = record(monkeypatch, classes)
    seen: set[type[Operation]] = set()
    for module in corpus:
        seen |= op_types(module, "branch")
        b2s.ConvertBranchToStablehloPass().apply(context(), module)
        assert not op_types(module, "branch")
        assert not [o for o in module.walk() if isinstance(o, builtin.UnrealizedConversionCastOp)]
        module.verify()
    assert seen == set(branch.Branch.operations), "the corpus holds every branch op"
    assert set(fired) == classes, f"patterns that never fired: {classes - set(fired)}"
    owners = by_op(fired)
    for op in branch.Branch.operations:
        assert len(owners[op]) == 1, f"{op.name} rewritten by {owners[op]}"
    assert fired[b2s.ElementwiseLowering] == set(b2s.ELEMENTWISE)
    for cls, types in fired.items():
        assert cls is b2s.ElementwiseLowering or len(types) == 1, (cls, types)


def test_an_op_without_a_stablehlo_op_is_a_clear_error(monkeypatch):
    """A `branch` op whose StableHLO op symir lacks does not break the import of the
    conversion (`NO_STABLEHLO_OP`): converting it names the op and what to add."""
    table = {k: v for k, v in b2s.ELEMENTWISE.items() if k is not branch.FloorOp}
    monkeypatch.setattr(b2s, "ELEMENTWISE", table)
    monkeypatch.setitem(
        b2s.NO_STABLEHLO_OP, branch.FloorOp, b2s.missing_stablehlo_op(branch.FloorOp)
    )
    module = parse(EXPRESSIONS)
    s2b.ConvertSymToBranchPass().apply(context(), module)
    with pytest.raises(
        ValueError,
        match=r"no StableHLO op for 'branch.floor': .* dialects/stablehlo/elementwise.py",
    ):
        b2s.ConvertBranchToStablehloPass().apply(context(), module)


def test_member_compares_against_its_own_states():
    """`branch.member {states = [0, 1]}` in a kernel of states [-1, 1]: a range check
    0 <= v <= 1, not the kernel's states."""
    module = parse(MEMBER)
    b2s.ConvertBranchToStablehloPass().apply(context(), module)
    text = str(module)
    assert "dense<0> : tensor<i64>" in text and "dense<1> : tensor<i64>" in text
    assert "dense<-1> : tensor<i64>" not in text


def test_two_kernels_are_a_clear_error():
    module = parse(MEMBER + MEMBER.replace("@member", "@other"))
    with pytest.raises(ValueError, match=r"expects one branch\.kernel per module"):
        b2s.ConvertBranchToStablehloPass().apply(context(), module)


def test_branch_op_outside_a_kernel_is_left_and_named():
    stray = '%y = "test.op"() : () -> tensor<?x2xi8>\n'
    stray += "%c = branch.constant %y {value = 1 : i64} : tensor<?x2xi8> -> tensor<?x1xi64>\n"
    ctx = context()
    ctx.allow_unregistered = True
    module = Parser(ctx, stray + MEMBER).parse_module()
    with pytest.raises(ValueError, match=r"left branch ops: \['branch.constant'\]"):
        b2s.ConvertBranchToStablehloPass().apply(ctx, module)
