"""The expression-op table is complete: every `sym` expression op has everything it needs.

`sym.EXPRESSION_OPS` (dialects/sym/expression_ops.py) is the one table of expression ops; the DSL, its
emitter, the reference interpreter, the folder and the `branch` dialect derive from it.
These tests find a missing piece of a new op (docs/adding-an-op.md): a DSL form, an
evaluation rule, a `branch` counterpart, a lit round-trip case. (That every `sym` op has a
conversion pattern is asserted by the conversions themselves.)
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import Builtin
from xdsl.ir import Operation
from xdsl.irdl import OptOperandDef, VarOperandDef, VerificationContext
from xdsl.parser import Parser
from xdsl.traits import Commutative, HasFolder, Pure
from xdsl.utils.exceptions import VerifyException

import symir
from symir.dialects import branch, get_all_dialects, print_module, sym
from symir.dialects.parsing import parse_module
from symir.frontend.expr import FUNCTIONS, Expr
from symir.interpreter import reference_get_conn, reference_get_conn_padded
from symir.lowering import derivatives as derivatives
from symir.lowering.conversion import convert_branch_to_stablehlo as b2s
from symir.lowering.sym.symbolic_normalization import canonicalize
from symir.testing import assert_same_connections

LIT = Path(__file__).resolve().parents[2] / "lit" / "dialects"
OPS = sorted(sym.EXPRESSION_OPS.values(), key=lambda op: op.name)
IDS = [op.name for op in OPS]

# Python's operators build these ops (`Expr.__add__`, ...); the others have a public function.
OPERATOR_FORMS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
    "neg": lambda a: -a,
    "abs": lambda a: abs(a),
    "cmp": lambda a, b: a < b,
    "and": lambda a, b: a & b,
    "or": lambda a, b: a | b,
    "not": lambda a: ~a,
    # a function whose first argument is static data, not an operand
    "lookup": lambda k: symir.lookup({0: 1.5, 2: -0.5}, k),
}

FOCK = symir.Fock(2, 2)  # contiguous local states 0, 1, 2 (wrap_mod needs them)

# Operands of every sym value type: i64, f64, complex<f64>, i1.
SAMPLES = {
    "i64": lambda: symir.site("i").value,
    "f64": lambda: symir.symbol("x", 0.75),
    "complex": lambda: symir.symbol("z", 0.5 - 1.5j),
    "i1": lambda: symir.site("i") > 0,
}


def _generated_mnemonics() -> set[str]:
    """The mnemonics whose `branch` counterpart is generated from the `sym` op."""
    return {m for m, op in branch.COUNTERPARTS.items() if op.GENERATED_FROM is not None}


def dsl_form(op: type[sym.ExpressionOp]):
    """The public way to write `op` in the DSL."""
    if op.DSL_FUNCTION is not None:
        return getattr(symir, op.DSL_FUNCTION)
    return OPERATOR_FORMS.get(op.mnemonic())


def arity(op: type[sym.ExpressionOp]) -> int:
    """The number of operands of `op` (two for a variadic op; an optional operand, the
    table parameter of `sym.lookup`, is left out)."""
    operands = [d for _, d in op.get_irdl_definition().operands if not isinstance(d, OptOperandDef)]
    if any(isinstance(d, VarOperandDef) for d in operands):
        return 2
    return len(operands)


def build_operator(expr: Expr):
    """A one-term operator whose matrix element is `expr` (a predicate selects 1 or 0)."""
    amplitude = symir.select(expr, 1.0, 0.0) if _is_predicate(expr) else expr
    return symir.DOperator(FOCK, "t").for_each_site("i").emit(symir.identity(), amplitude).build()


def build(expr: Expr):
    """The IR of `build_operator(expr)`."""
    return build_operator(expr).to_ir()


def _is_predicate(expr: Expr) -> bool:
    return expr.op in ("cmp", "and", "or", "not")


def first_valid_operator(op: type[sym.ExpressionOp]):
    """The first operand types (in `SAMPLES` order) for which the DSL form of `op` builds
    a verified operator, with that operator."""
    form = dsl_form(op)
    for kinds in itertools.product(SAMPLES, repeat=arity(op)):
        try:
            operator = build_operator(form(*(SAMPLES[k]() for k in kinds)))
        except symir.SymbolicDefinitionError:
            continue
        return kinds, operator
    raise AssertionError(f"no operand types make the DSL form of '{op.name}' verify")


def first_valid(op: type[sym.ExpressionOp]):
    """`first_valid_operator` with the operator's IR."""
    kinds, operator = first_valid_operator(op)
    return kinds, operator.to_ir()


def test_the_registry_is_the_dialect_s_expression_ops():
    in_dialect = {op for op in sym.Sym.operations if issubclass(op, sym.ExpressionOp)}
    assert in_dialect == set(sym.EXPRESSION_OPS.values())
    for mnemonic, op in sym.EXPRESSION_OPS.items():
        assert op.name == f"sym.{mnemonic}" == f"sym.{op.mnemonic()}"


def test_every_sym_op_is_classified():
    """A `sym` op is structure, an update, a leaf value or an expression op: a new op
    must be one of them (an expression op goes into `EXPRESSION_OPS`)."""
    structure = {sym.OperatorOp, sym.TermOp, sym.WhereOp, sym.EmissionOp, sym.YieldOp}
    leaves = {sym.ConstantOp, sym.ParamOp, sym.LabelOp, sym.ReadOp, sym.ReadEmittedOp}
    leaves |= {sym.CountOp, sym.NthSiteOp}  # read a range / a set of sites of x, like sym.read
    leaves.add(sym.ParitySumOp)  # reads x at the sites of table masks, like sym.count
    kinds = [structure, set(sym.UPDATE_OPS), leaves, set(sym.EXPRESSION_OPS.values())]
    for op in sym.Sym.operations:
        assert sum(op in k for k in kinds) == 1, op.name


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_every_op_is_pure_and_folds(op):
    assert op.has_trait(Pure) and op.has_trait(HasFolder)


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_every_op_has_an_evaluation_rule(op):
    assert op.RULE is not None or op.evaluate is not sym.ExpressionOp.evaluate, op.name


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_every_op_has_a_public_dsl_form(op):
    form = dsl_form(op)
    assert form is not None, f"'{op.name}' has neither a DSL_FUNCTION nor a Python operator"
    if op.DSL_FUNCTION is not None:
        assert op.DSL_FUNCTION in symir.__all__
        assert FUNCTIONS[op.DSL_FUNCTION] is form


def test_every_dsl_function_is_exported():
    assert set(FUNCTIONS) <= set(symir.__all__)
    for name, fn in FUNCTIONS.items():
        assert getattr(symir, name) is fn


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_the_dsl_form_emits_the_op_and_the_interpreter_runs_it(op):
    kinds, ir = first_valid(op)
    found = [o for o in ir.module.walk() if isinstance(o, op)]
    assert found, (op.name, kinds, str(ir))
    for x in ([0, 0], [2, 1]):
        xp, mels = reference_get_conn(ir, np.array(x))
        assert len(mels) == 2 and np.array_equal(xp, [x, x])


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_every_op_has_a_branch_counterpart(op):
    counterpart = branch.counterpart(op)
    assert counterpart.name == f"branch.{op.mnemonic()}"
    assert counterpart in set(branch.Branch.operations)
    assert issubclass(counterpart, branch.ElementwiseBase)


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_every_op_lowers_to_stablehlo(op):
    """Its counterpart is one StableHLO op (`ELEMENTWISE`) or has a pattern of its own."""
    counterpart = branch.counterpart(op)
    assert counterpart not in b2s.NO_STABLEHLO_OP, b2s.NO_STABLEHLO_OP.get(counterpart)
    assert counterpart in b2s.ELEMENTWISE or counterpart in b2s.OWN_PATTERNS, op.name


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_every_op_round_trips_and_runs_through_stablehlo(op):
    """The kernel of an operator using `op` equals the reference interpreter, and its
    StableHLO text round-trips through symir's `stablehlo` dialect: this is the
    round-trip and executed case of the StableHLO op that is the one-op lowering of
    `op`'s counterpart (`ELEMENTWISE`), which therefore needs none of its own."""
    target = b2s.ELEMENTWISE.get(branch.counterpart(op))
    for kinds in itertools.product(SAMPLES, repeat=arity(op)):  # the first that emits target
        try:
            operator = build_operator(dsl_form(op)(*(SAMPLES[k]() for k in kinds)))
        except symir.SymbolicDefinitionError:
            continue
        compiled = operator.compile()
        text = compiled.stablehlo_text
        if target is None or re.search(rf"\b{re.escape(target.name)}\b", text):
            break
    else:
        raise AssertionError(f"no operand types make the kernel of '{op.name}' emit {target}")
    ctx = Context()
    for dialect in get_all_dialects().values():
        ctx.load_dialect(dialect())
    ctx.load_dialect(Builtin)
    ctx.load_dialect(func.Func)
    assert print_module(parse_module(ctx, text)).strip() == text.strip()
    x = FOCK.all_states()
    assert_same_connections(
        compiled.get_conn_padded(x), reference_get_conn_padded(operator, x), x, atol=1e-12
    )


def test_the_counterparts_are_exactly_branch_s_elementwise_ops():
    elementwise = {op for op in branch.Branch.operations if issubclass(op, branch.ElementwiseBase)}
    assert set(branch.ELEMENTWISE.values()) == elementwise


def test_a_missing_counterpart_is_named():
    with pytest.raises(KeyError, match=r"'sym.constant' has no branch counterpart"):
        branch.counterpart(sym.ConstantOp)  # type: ignore[arg-type]


# Every op has a `sym` lit round trip; a hand-written `branch` counterpart has one too (the
# round trip of a generated one is tests/unit/dialects/test_counterparts.py).
LIT_CASES = [(op, "sym") for op in OPS] + [
    (op, "branch") for op in OPS if op.mnemonic() not in _generated_mnemonics()
]


@pytest.mark.parametrize(
    "op, dialect", LIT_CASES, ids=[f"{d}.{op.mnemonic()}" for op, d in LIT_CASES]
)
def test_every_op_has_a_lit_round_trip_case(op, dialect):
    text = (LIT / dialect / "ops.mlir").read_text()
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    assert re.search(rf"= {dialect}\.{op.mnemonic()}\b", code), f"{dialect}.{op.mnemonic()}"
    checks = "\n".join(line for line in text.splitlines() if "CHECK" in line)
    assert re.search(rf"{dialect}\.{op.mnemonic()}\b", checks), f"{dialect}.{op.mnemonic()}"


# --------------------------------------------------------------------------- derivatives


def result_types(op: type[sym.ExpressionOp]) -> set:
    """The types the result of `op` can have: by its result rule for a plain op (one
    with `ALLOWED` and `result_type_for`), else those its result constraint accepts."""
    if hasattr(op, "ALLOWED") and hasattr(op, "result_type_for"):
        kinds = itertools.product(op.ALLOWED, repeat=arity(op))
        return {op.result_type_for(*types) for types in kinds}
    (_, result), *_ = op.get_irdl_definition().results
    found = set()
    for t in (sym.i1, sym.i64, sym.f64, sym.c64):
        try:
            result.constr.verify([t], VerificationContext())
        except VerifyException:
            continue
        found.add(t)
    return found


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_every_op_with_a_floating_result_has_a_derivative_rule(op):
    """A new op that can give `f64` or `complex<f64>` needs a rule in `DERIVATIVES`
    (lowering/derivatives.py), or its reason in `NO_DERIVATIVE`: else a gradient through
    it fails only when someone takes one (docs/derivatives.md#the-rules)."""
    mnemonic = op.mnemonic()
    floating = result_types(op) & {sym.f64, sym.c64}
    declared = mnemonic in derivatives.DERIVATIVES or mnemonic in derivatives.NO_DERIVATIVE
    assert declared or not floating, (
        f"'{op.name}' can give {sorted(map(str, floating))} but has no derivative rule: add "
        f"one to DERIVATIVES in lowering/derivatives.py, or say why it has none in "
        "NO_DERIVATIVE"
    )
    assert not (mnemonic in derivatives.DERIVATIVES and mnemonic in derivatives.NO_DERIVATIVE)
    assert floating or not declared, f"'{op.name}' has no floating result, yet a rule"


def test_the_derivative_tables_name_expression_ops():
    for table in (derivatives.DERIVATIVES, derivatives.NO_DERIVATIVE):
        assert set(table) <= set(sym.EXPRESSION_OPS)
    assert sym.f64 in result_types(sym.FloorOp) and result_types(sym.CmpOp) == {sym.i1}
    assert result_types(sym.ParityOp) == {sym.i64} and result_types(sym.LookupOp) == {sym.f64}


def test_commutative_ops_are_marked():
    marked = {op.mnemonic() for op in OPS if op.has_trait(Commutative)}
    assert marked == {"add", "mul", "min", "max", "and", "or"}


# --------------------------------------------------------------------------- folding


def _parse(text: str):
    ctx = Context()
    ctx.load_dialect(Builtin)
    ctx.load_dialect(sym.Sym)
    module = Parser(ctx, text).parse_module()
    module.verify()
    return module


def _constant_operand_ir(op: type[sym.ExpressionOp]):
    """The DSL form of `op` on constant operands (first types that verify)."""
    constants = {"i64": 2, "f64": 0.75, "i1": True}
    form = dsl_form(op)
    for kinds in itertools.product(constants, repeat=arity(op)):
        try:
            return build(form(*(Expr("const", constants[k]) for k in kinds)))
        except symir.SymbolicDefinitionError:
            continue
    return None


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_folding_agrees_with_the_interpreter(op):
    """An op on constant operands folds (where a `sym.constant` holds the result) to what
    the interpreter computes on the unfolded IR."""
    ir = _constant_operand_ir(op)
    if ir is None:
        assert op in (sym.RealOp, sym.ImagOp), op.name  # these need a complex operand
        return
    x = np.array([1, 2])
    expected = reference_get_conn(ir, x)
    module = _parse(str(ir))
    before = [o for o in module.walk() if isinstance(o, op)]
    counts = canonicalize(module)
    after = [o for o in module.walk() if isinstance(o, op)]
    module.verify()
    results = before[0].results[0].type
    if results in (sym.i1, sym.i64, sym.f64):
        assert not after and counts["folded"] >= 1, print_module(module)
    got = reference_get_conn(module, x)
    assert np.array_equal(got[0], expected[0]) and np.array_equal(got[1], expected[1])


def test_canonicalize_reaches_the_folders():
    module = _parse(
        """
sym.operator @o sites 2 states [0, 1] dtype f64 {
  sym.term @t kind "global" labels [] rows [[]] {
    sym.emission {
    } amplitude {
      %a = sym.constant 2 : i64
      %b = sym.constant 3 : i64
      %c = sym.add %a, %b : i64, i64 -> i64
      %d = sym.constant 1.5 : f64
      %e = sym.mul %c, %d : i64, f64 -> f64
      sym.yield %e : f64
    }
  }
}"""
    )
    from symir.lowering import make_pass

    make_pass("canonicalize").apply(_context(), module)
    ops: list[Operation] = [o for o in module.walk() if o.dialect_name() == "sym"]
    names = [o.name for o in ops]
    assert "sym.add" not in names and "sym.mul" not in names
    assert "7.500000e+00" in print_module(module)


def _context() -> Context:
    ctx = Context()
    ctx.load_dialect(Builtin)
    ctx.load_dialect(sym.Sym)
    return ctx


# --------------------------------------------------------------------------- semantics

FLOOR_CASES = [
    ("f64", "-0.5", "f64", -1.0),
    ("f64", "2.75", "f64", 2.0),
    ("f64", "-3.0", "f64", -3.0),
    ("i64", "-7", "i64", -7),  # the identity on integers
]


@pytest.mark.parametrize("t, literal, rtype, expected", FLOOR_CASES)
def test_floor(t, literal, rtype, expected):
    module = _parse(
        f"""
sym.operator @o sites 2 states [0, 1] dtype f64 {{
  sym.term @t kind "global" labels [] rows [[]] {{
    sym.emission {{
    }} amplitude {{
      %a = sym.constant {literal} : {t}
      %r = sym.floor %a : {t} -> {rtype}
      sym.yield %r : {rtype}
    }}
  }}
}}"""
    )
    _, mels = reference_get_conn(module, np.array([0, 1]))
    assert mels.tolist() == [expected]
    canonicalize(module)
    assert not [o for o in module.walk() if isinstance(o, sym.FloorOp)]
    assert reference_get_conn(module, np.array([0, 1]))[1].tolist() == [expected]


def test_floor_in_the_dsl():
    ir = build(symir.floor(symir.site("i") * 0.5 - 0.25))
    assert [o.name for o in ir.module.walk() if isinstance(o, sym.FloorOp)] == ["sym.floor"]
    # sites 0, 1, 2 -> floor(-0.25), floor(0.25), floor(0.75)
    got = [reference_get_conn(ir, np.array([v, v]))[1].tolist() for v in (0, 1, 2)]
    assert got == [[-1.0, -1.0], [0.0, 0.0], [0.0, 0.0]]
    with pytest.raises(
        symir.SymbolicDefinitionError, match=r"'sym\.floor' is not defined on complex"
    ):
        build(symir.floor(symir.symbol("z", 1j)))


def test_floor_compiled_kernel_agrees_with_the_reference():

    from symir.interpreter import reference_get_conn_padded

    hi = symir.Fock(3, 3)
    op = (
        symir.DOperator(hi, "floors")
        .for_each_site("i")
        .emit(symir.shift_mod("i", 1), matrix_element=symir.floor(symir.site("i") * 0.7 - 1.1))
        .emit(matrix_element=symir.floor(symir.site("i") - 1) + symir.floor(-symir.site("i") / 2))
        .build()
    )
    x = hi.all_states()
    assert_same_connections(
        op.compile().get_conn_padded(x), reference_get_conn_padded(op, x), x, atol=0.0
    )
