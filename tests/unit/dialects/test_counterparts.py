"""The `branch` counterparts generated from plain `sym` ops (`branch.counterpart_op`).

Each round-trips (build, verify, print, parse, verify, print) on every combination of its
operand types, accepts exactly the operand types its `sym` op accepts with the same result
type, element by element, and its docstring example parses. This is the branch round trip
of every generated op: a new plain `sym` op needs only its `sym` lit case
(`tests/lit/dialects/sym/ops.mlir`), not one in `tests/lit/dialects/branch/`.
"""

from __future__ import annotations

import itertools
import re

import pytest
from xdsl.context import Context
from xdsl.dialects import builtin, func
from xdsl.dialects.builtin import ModuleOp, f64, i1, i64
from xdsl.ir import Attribute, Block, Operation, Region
from xdsl.irdl import VarOperandDef
from xdsl.parser import Parser
from xdsl.utils.exceptions import VerifyException

from symir.dialects import branch, sym
from symir.dialects.types import c64

GENERATED = [op for op in branch.COUNTERPARTS.values() if op.GENERATED_FROM is not None]
IDS = [op.name for op in GENERATED]
TYPES = (i1, i64, f64, c64)
ROWS = 3


def arity(op: type[Operation]) -> int:
    """The operands to build `op` with (two for a variadic op)."""
    operands = op.get_irdl_definition().operands
    if any(isinstance(d, VarOperandDef) for _, d in operands):
        return 2
    return len(operands)


def build(op: type[Operation], args) -> Operation:
    variadic = issubclass(op, branch.LogicBase | sym.LogicOpBase)
    return op(list(args)) if variadic else op(*args)


def context() -> Context:
    ctx = Context()
    for dialect in (builtin.Builtin, func.Func, branch.Branch):
        ctx.load_dialect(dialect)
    return ctx


def in_a_function(op: type[Operation], elements: tuple[Attribute, ...]) -> ModuleOp:
    """`op` on arguments of `tensor<?x3xT>` for each element type, in a `func.func`."""
    block = Block(arg_types=[branch.values_type(ROWS, t) for t in elements])
    new = build(op, block.args)
    block.add_ops([new, func.ReturnOp()])
    function = func.FuncOp("f", ([a.type for a in block.args], []), Region(block))
    return ModuleOp([function])


def verifies(op: Operation) -> bool:
    try:
        op.verify()
    except VerifyException:
        return False
    return True


def test_the_plain_ops_are_generated():
    """Every plain `sym` op without a hand-written counterpart has a generated one, named
    as the `sym` op and reachable from the package."""
    for mnemonic, source in sym.EXPRESSION_OPS.items():
        op = branch.COUNTERPARTS[mnemonic]
        if op in branch.HAND_WRITTEN:
            continue
        assert branch.plain_base(source) is not None, source.name
        assert op.GENERATED_FROM is source
        assert op.name == f"branch.{mnemonic}" and op.__name__ == source.__name__
        assert getattr(branch, op.__name__) is op and op.__name__ in branch.__all__
    assert {op.name for op in GENERATED} >= {"branch.add", "branch.floor", "branch.and"}


@pytest.mark.parametrize("op", GENERATED, ids=IDS)
def test_round_trip_on_every_operand_type(op):
    for elements in itertools.product(op.ALLOWED, repeat=arity(op)):
        module = in_a_function(op, elements)
        module.verify()
        text = str(module)
        parsed = Parser(context(), text).parse_module()
        parsed.verify()
        assert str(parsed) == text, (op.name, elements)


@pytest.mark.parametrize("op", GENERATED, ids=IDS)
def test_it_accepts_what_its_sym_op_accepts(op):
    source = op.GENERATED_FROM
    for elements in itertools.product(TYPES, repeat=arity(op)):
        scalar = build(source, Block(arg_types=elements).args)
        tensor = build(op, Block(arg_types=[branch.values_type(ROWS, t) for t in elements]).args)
        assert verifies(tensor) == verifies(scalar), (op.name, elements)
        if verifies(scalar):
            assert tensor.results[0].type == branch.values_type(ROWS, scalar.results[0].type)


@pytest.mark.parametrize("op", GENERATED, ids=IDS)
def test_the_docstring_example_parses(op):
    (example,) = re.findall(r"```mlir\n(.*?)\n```", op.__doc__, re.S)
    uses, types = example.split(" = ")[1].split(" : ")
    names = re.findall(r"%(\w+)", uses)
    arg_types = types.split(" -> ")[0].split(", ")
    args = ", ".join(f"%{n}: {t}" for n, t in zip(names, arg_types, strict=True))
    text = f"func.func @f({args}) {{\n  {example}\n  func.return\n}}"
    Parser(context(), text).parse_module().verify()


def test_an_op_that_is_not_plain_is_not_generated():
    assert branch.plain_base(sym.CmpOp) is None  # a predicate property
    assert branch.plain_base(sym.SelectOp) is None  # not on a plain base
    with pytest.raises(TypeError, match=r"'sym.cmp' is not a plain op .* HAND_WRITTEN"):
        branch.counterpart_op(sym.CmpOp)
