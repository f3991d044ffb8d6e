"""`convert-branch-to-stablehlo{narrow_integers}` (lowering/conversion/narrow_integers.py,
intervals.py): the bounds hold for every value an op can compute, and kernels with and
without the narrowing give the same connected states and matrix elements bit for bit,
with fewer `i64` values."""

from __future__ import annotations

import functools
import itertools
import re

import numpy as np
import pytest
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import Builtin

import symir as sym
from symir.chemistry import molecular_hamiltonian, read_fcidump
from symir.chemistry.make_fcidumps import DATA
from symir.dialects.parsing import parse_module
from symir.dialects.stablehlo import Stablehlo
from symir.lowering.conversion import intervals as iv
from symir.lowering.conversion.narrow_integers import narrowed_ops

SMALL = [(-3, -1), (-2, 2), (0, 0), (0, 5), (1, 4), (-7, 3)]


def _quotient(x: int, y: int) -> int:
    """StableHLO's integer `divide`: toward zero, `x / 0 = -1`."""
    if y == 0:
        return -1
    q = abs(x) // abs(y)
    return q if (x < 0) == (y < 0) else -q


def _remainder(x: int, y: int) -> int:
    """StableHLO's integer `remainder`: `x - y * quotient`, `x rem 0 = x`."""
    return x if y == 0 else x - y * _quotient(x, y)


OPS = {
    "add": (lambda x, y: x + y, lambda a, b: iv._corners(iv._BINARY[iv.stablehlo.AddOp], a, b)),
    "multiply": (
        lambda x, y: x * y,
        lambda a, b: iv._corners(iv._BINARY[iv.stablehlo.MultiplyOp], a, b),
    ),
    "subtract": (
        lambda x, y: x - y,
        lambda a, b: iv._corners(iv._BINARY[iv.stablehlo.SubtractOp], a, b),
    ),
    "divide": (_quotient, lambda a, b: iv._divide(a, b, True)),
    "remainder": (_remainder, iv._remainder),
}


@pytest.mark.parametrize("name", list(OPS))
def test_integer_bounds_hold_for_every_operand(name):
    exact, bound = OPS[name]
    for a, b in itertools.product(SMALL, repeat=2):
        lo, hi = bound(a, b)
        for x, y in itertools.product(range(a[0], a[1] + 1), range(b[0], b[1] + 1)):
            assert lo <= exact(x, y) <= hi, (name, a, b, x, y)


def test_float_quotient_bounds_need_a_divisor_without_zero():
    assert iv._divide((-3.0, 5.0), (1.0, 4.0), False) == (-3.0, 5.0)
    assert iv._divide((-3.0, 5.0), (-1.0, 4.0), False) == iv.UNBOUNDED


ARGS = "%x: tensor<?x4xi8>, %d: tensor<?x4xi64>, %j: tensor<?x4xi64>, %r: tensor<?x4xi64>"


def _block(body: str, args: str = ARGS):
    ctx = Context()
    for dialect in (Builtin, func.Func, Stablehlo):
        ctx.load_dialect(dialect)
    text = f"func.func @main({args}) -> tensor<?x4xi64> {{\n{body}\n}}"
    module = parse_module(ctx, text)
    fn = next(o for o in module.walk() if isinstance(o, func.FuncOp))
    return fn.body.blocks[0]


STORED = """
  %v8 = stablehlo.convert %x : (tensor<?x4xi8>) -> tensor<?x4xi64>
  %p = stablehlo.multiply %v8, %DIV : tensor<?x4xi64>
  %pf = stablehlo.convert %p : (tensor<?x4xi64>) -> tensor<?x4xf64>
  %df = stablehlo.convert %DIV : (tensor<?x4xi64>) -> tensor<?x4xf64>
  %q = stablehlo.divide %pf, %df : tensor<?x4xf64>
  %out = stablehlo.convert %q : (tensor<?x4xf64>) -> tensor<?x4xi64>
  func.return %out : tensor<?x4xi64>
"""


def test_a_value_stored_through_a_product_and_quotient_keeps_its_bounds():
    """`convert(convert(v * d) / convert(d))` is `v` where `d >= 1` (irrep_slots._once);
    with `d` possibly 0 (a quotient 0 / 0, NaN) it is unbounded."""
    block = _block(STORED.replace("%DIV", "%d"))
    d = block.args[1]
    result = list(block.ops)[-2].results[0]
    assert iv.intervals(block, {d: (1, 1000)})[result] == (-128, 127)
    assert iv.intervals(block, {d: (0, 1000)})[result] == iv.type_range(result.type)


WRAPPING = """
  %p = stablehlo.multiply %v, %d : tensor<?x4xi32>
  %pf = stablehlo.convert %p : (tensor<?x4xi32>) -> tensor<?x4xF>
  %df = stablehlo.convert %d : (tensor<?x4xi32>) -> tensor<?x4xF>
  %q = stablehlo.divide %pf, %df : tensor<?x4xF>
  %out = stablehlo.convert %q : (tensor<?x4xF>) -> tensor<?x4xi32>
  func.return %out : tensor<?x4xi32>
"""


@pytest.mark.parametrize("width", ["f64", "f32"])
def test_a_product_that_may_wrap_or_round_is_not_taken_back(width):
    """`(v * d) / d` is `v` only where the product is exact: an `i32` product that may
    pass 2^31 wraps around, an `f32` one rounds past 2^24."""
    block = _block(
        WRAPPING.replace("xF>", f"x{width}>"),
        "%x: tensor<?x4xi8>, %d: tensor<?x4xi32>, %v: tensor<?x4xi32>",
    )
    _x, d, v = block.args
    result = list(block.ops)[-2].results[0]
    wraps = iv.intervals(block, {d: (1, 100_000), v: (0, 100_000)})[result]
    assert wraps == iv.type_range(result.type)
    exact = iv.intervals(block, {d: (1, 100), v: (0, 100_000)})[result]
    assert exact == ((0, 100_000) if width == "f64" else (0, 10_000_000))  # f32: v d / 1


def test_an_offset_under_its_compare_is_not_negative():
    """`select(j >= s, j - s, r)` (irrep_slots._pick): `j - s` at least 0 where taken."""
    block = _block(
        """
  %ge = stablehlo.compare GE, %j, %d, SIGNED : (tensor<?x4xi64>, tensor<?x4xi64>) -> tensor<?x4xi1>
  %off = stablehlo.subtract %j, %d : tensor<?x4xi64>
  %s = stablehlo.select %ge, %off, %r : tensor<?x4xi1>, tensor<?x4xi64>
  %lt = stablehlo.compare LT, %j, %d, SIGNED : (tensor<?x4xi64>, tensor<?x4xi64>) -> tensor<?x4xi1>
  %t = stablehlo.select %lt, %r, %off : tensor<?x4xi1>, tensor<?x4xi64>
  func.return %s : tensor<?x4xi64>
"""
    )
    _x, d, j, r = block.args
    bounds = iv.intervals(block, {d: (-10, 100), j: (5, 5), r: (0, 0)})
    ops = {o.results[0].name_hint: o.results[0] for o in block.ops if o.results}
    assert bounds[ops["off"]] == (-95, 15)
    assert bounds[ops["s"]] == (0, 15)
    assert bounds[ops["t"]] == (0, 15)


def test_each_result_of_a_reduce_of_several_inputs_keeps_its_own_bounds():
    """A `reduce` of several inputs whose body combines each on its own (row_uniform's
    one reduction of every row-uniform value): result `k` is bounded by input `k` and
    init `k` alone (a sum with 0 over two elements, a maximum: their union), not by the
    type; a body that mixes inputs bounds nothing."""
    body = """
  %zero = stablehlo.constant dense<0> : tensor<i64>
  %low = stablehlo.constant dense<-5> : tensor<i64>
  %a = stablehlo.reshape %d : (tensor<?x4xi64>) -> tensor<?x2x2xi64>
  %b = stablehlo.reshape %j : (tensor<?x4xi64>) -> tensor<?x2x2xi64>
  %s, %m = "stablehlo.reduce"(%a, %b, %zero, %low) <{dimensions = array<i64: 2>}> ({
  ^bb0(%p: tensor<i64>, %q: tensor<i64>, %u: tensor<i64>, %v: tensor<i64>):
    %sum = stablehlo.add %p, %u : tensor<i64>
    %max = stablehlo.maximum %q, %MIXED : tensor<i64>
    stablehlo.return %sum, %max : tensor<i64>, tensor<i64>
  }) : (tensor<?x2x2xi64>, tensor<?x2x2xi64>, tensor<i64>, tensor<i64>) -> (tensor<?x2xi64>, tensor<?x2xi64>)
  %out = stablehlo.reshape %s : (tensor<?x2xi64>) -> tensor<?x4xi64>
  func.return %out : tensor<?x4xi64>
"""
    for mixed, expected in (("%v", (-9, 40)), ("%u", None)):
        block = _block(body.replace("%MIXED", mixed))
        _x, d, j, _r = block.args
        reduce = next(o for o in block.ops if isinstance(o, iv.stablehlo.ReduceOp))
        bounds = iv.intervals(block, {d: (-3, 7), j: (-9, 40)})
        assert bounds[reduce.results[0]] == (-6, 14)
        assert bounds[reduce.results[1]] == (expected or iv.type_range(reduce.results[1].type))


def test_values_past_i32_and_shapes_stay_i64():
    """A product that may pass 2^31 is not narrowed, nor what only its bounds allow."""
    block = _block(STORED.replace("%DIV", "%d"))
    chosen, _ = narrowed_ops(block, (0, 1), {block.args[1]: (1, 2**40)})
    assert {o.name for o in chosen} == {"stablehlo.convert"}  # v8, and the stored value
    chosen, _ = narrowed_ops(block, (0, 1), {block.args[1]: (1, 100)})
    assert "stablehlo.multiply" in {o.name for o in chosen}


def _i64_values(text: str) -> int:
    return len(
        re.findall(
            r"= stablehlo\.\w+ .*-> tensor<[?x0-9]*xi64>$|: tensor<[?x0-9]*xi64>$", text, re.M
        )
    )


def _kernels(op, **options):
    wide = op.compile(narrow_integers=False, cache=False, **options)
    narrow = op.compile(narrow_integers=True, cache=False, **options)
    return wide, narrow


def _same_bits(a, b, x) -> None:
    (xa, ma), (xb, mb) = a.get_conn_padded(x), b.get_conn_padded(x)
    assert np.array_equal(np.asarray(xa), np.asarray(xb))
    assert np.asarray(ma).tobytes() == np.asarray(mb).tobytes()


@functools.cache
def _molecule(name: str, slots: str):
    """The molecule's kernels without and with the narrowing, and about 400 of its
    states: made once for both tests that use them (the delta kernel's test runs the
    narrow kernel on the same states, so its main kernel is not compiled again)."""
    mh = molecular_hamiltonian(read_fcidump(DATA / f"{name}.fcidump"), slots=slots)
    wide, narrow = _kernels(mh.operator)
    states = np.asarray(wide.hilbert.all_states(), dtype=np.int8)
    return wide, narrow, states[:: max(1, len(states) // 400)]


@pytest.mark.parametrize("slots", ["symmetry", "excitations"])
@pytest.mark.parametrize("name", ["lih_sto3g", "n2_631g"])
def test_molecules_same_bits_with_fewer_i64(name, slots):
    wide, narrow, x = _molecule(name, slots)
    _same_bits(wide, narrow, x)
    assert _i64_values(narrow.stablehlo_text) < _i64_values(wide.stablehlo_text) / 2


def test_a_clock_model_same_bits():
    """Wrapped shifts, reads at computed sites and quotients of values of local states
    -1, 0, 2 (x bounded by them)."""
    hi = sym.DiscreteHilbert((-1, 0, 2), 5)
    i, j = sym.site("i"), sym.site("j")
    op = (
        sym.DOperator(hi, "clock")
        .for_each_distinct_pair("i", "j")
        .where(i.value != j.value)
        .emit(
            sym.swap("i", "j"),
            matrix_element=0.5 * sym.quotient(i.value * 7 + j.value * 3, 2) + sym.source_index(0),
        )
        .build()
    )
    wide, narrow = _kernels(op)
    _same_bits(wide, narrow, np.asarray(hi.all_states()))


@pytest.mark.parametrize("name", ["lih_sto3g", "n2_631g"])
def test_the_delta_kernel_is_narrowed_too(name):
    """The kernels made from the `branch` level (here the delta kernel) are converted with
    `narrow_integers` as the main kernel is, and still give its connected states."""
    from symir.lowering.pipelines import _lower_branch
    from symir.runtime.conn_delta import apply_deltas

    # the default lowering (`narrow_integers` on) of the excitation slots, as `slots`'
    # default ("auto") chooses for both molecules
    _, compiled, x = _molecule(name, "excitations")
    kernels = compiled._spec.kernels
    wide = _lower_branch(
        kernels.module, ["branch-return-deltas", "convert-branch-to-stablehlo"], "deltas"
    )
    assert _i64_values(kernels.deltas(0)) < _i64_values(wide.stablehlo_text) / 2
    xp, mels = compiled.get_conn_padded(x)
    sites, values, delta_mels = compiled.get_conn_delta(x)
    assert np.array_equal(np.asarray(apply_deltas(x, sites, values)), np.asarray(xp))
    assert np.asarray(delta_mels).tobytes() == np.asarray(mels).tobytes()
