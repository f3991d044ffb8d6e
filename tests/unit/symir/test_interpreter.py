"""Tests of the reference interpreter `symir.interpreter` (the meaning of a `sym` operator).

One small test per op kind, on operators written as `sym` IR text, then physics against
NetKet: transverse-field Ising, Heisenberg and Bose-Hubbard chains.
"""

from __future__ import annotations

import cmath
import functools
import itertools
import math
import warnings

import numpy as np
import pytest
from xdsl.context import Context
from xdsl.dialects.builtin import Builtin, ModuleOp
from xdsl.parser import Parser

from symir.dialects.sym import OperatorOp, Sym
from symir.interpreter import (
    reference_basis,
    reference_get_conn,
    reference_get_conn_padded,
    reference_to_dense,
    static_fanout,
    term_fanouts,
)
from symir.testing import assert_same_connections

# --------------------------------------------------------------------------- helpers


def parse(text: str) -> ModuleOp:
    ctx = Context()
    ctx.load_dialect(Builtin)
    ctx.load_dialect(Sym)
    module = Parser(ctx, text).parse_module()
    module.verify()
    return module


def operator(body: str, *, sites: int = 4, states: str = "[0, 1, 2, 3]", dtype: str = "f64"):
    return parse(f"sym.operator @t sites {sites} states {states} dtype {dtype} {{\n{body}\n}}")


def global_term(update: str = "", amplitude: str = "", result: str = "%one", rtype="f64"):
    """One global term with one emission; `%one = 1.0` is always defined."""
    return f"""
  sym.term @g kind "global" labels [] rows [[]] {{
    sym.emission {{
{update}
    }} amplitude {{
      %one = sym.constant 1.0 : f64
{amplitude}
      sym.yield {result} : {rtype}
    }}
  }}"""


def amplitude_of(lines: str, result: str, rtype: str, *, x=(0, 1, 2, 3), params=None):
    """The single matrix element of a diagonal global term computing `lines`."""
    dtype = "complex<f64>" if rtype == "complex<f64>" else "f64"
    if rtype == "i1":
        lines += (
            f"\n%zz = sym.constant 0.0 : f64"
            f"\n%sel = sym.select {result}, %one, %zz : f64, f64 -> f64"
        )
        result, rtype = "%sel", "f64"
    module = operator(global_term(amplitude=lines, result=result, rtype=rtype), dtype=dtype)
    xp, mels = reference_get_conn(module, np.array(x), params)
    assert xp.shape == (1, len(x)) and np.array_equal(xp[0], x)
    return mels[0]


def branches_of(update: str, x=(0, 1, 2, 3), **kwargs):
    module = operator(global_term(update=update), **kwargs)
    return reference_get_conn(module, np.array(x))


def close(a, b) -> bool:
    if isinstance(b, float) and math.isnan(b):
        return cmath.isnan(a)
    if isinstance(b, float) and math.isinf(b):
        return a == b
    return abs(a - b) <= 1e-12 * max(1.0, abs(b))


# --------------------------------------------------------------------------- expressions

C = "%c{n} = sym.constant {v} : {t}"

EXPRESSIONS = [
    # (name, lines, result, result type, expected)
    ("const_i64", "%r = sym.constant 7 : i64", "%r", "i64", 7.0),
    ("const_f64", "%r = sym.constant 0.25 : f64", "%r", "f64", 0.25),
    ("const_bool", "%r = sym.constant true", "%r", "i1", 1.0),
    (
        "add_int",
        "%a = sym.constant 2 : i64\n%b = sym.constant 3 : i64\n"
        "%r = sym.add %a, %b : i64, i64 -> i64",
        "%r",
        "i64",
        5.0,
    ),
    (
        "add_mixed",
        "%a = sym.constant 2 : i64\n%b = sym.constant 0.5 : f64\n"
        "%r = sym.add %a, %b : i64, f64 -> f64",
        "%r",
        "f64",
        2.5,
    ),
    (
        "sub",
        "%a = sym.constant 2 : i64\n%b = sym.constant 5 : i64\n"
        "%r = sym.sub %a, %b : i64, i64 -> i64",
        "%r",
        "i64",
        -3.0,
    ),
    (
        "mul",
        "%a = sym.constant -4 : i64\n%b = sym.constant 0.5 : f64\n"
        "%r = sym.mul %a, %b : i64, f64 -> f64",
        "%r",
        "f64",
        -2.0,
    ),
    (
        "div_int_is_true_division",
        "%a = sym.constant 3 : i64\n%b = sym.constant 2 : i64\n"
        "%r = sym.div %a, %b : i64, i64 -> f64",
        "%r",
        "f64",
        1.5,
    ),
    (
        "div_by_zero_is_inf",
        "%a = sym.constant 1 : i64\n%b = sym.constant 0 : i64\n"
        "%r = sym.div %a, %b : i64, i64 -> f64",
        "%r",
        "f64",
        math.inf,
    ),
    (
        "zero_div_zero_is_nan",
        "%a = sym.constant 0.0 : f64\n%b = sym.constant 0 : i64\n"
        "%r = sym.div %a, %b : f64, i64 -> f64",
        "%r",
        "f64",
        math.nan,
    ),
    (
        "pow",
        "%a = sym.constant 2 : i64\n%b = sym.constant 0.5 : f64\n"
        "%r = sym.pow %a, %b : i64, f64 -> f64",
        "%r",
        "f64",
        math.sqrt(2.0),
    ),
    (
        "pow_int_int_is_float",
        "%a = sym.constant 2 : i64\n%b = sym.constant -2 : i64\n"
        "%r = sym.pow %a, %b : i64, i64 -> f64",
        "%r",
        "f64",
        0.25,
    ),
    (
        "pow_negative_base_fractional_is_nan",
        "%a = sym.constant -8.0 : f64\n%b = sym.constant 0.5 : f64\n"
        "%r = sym.pow %a, %b : f64, f64 -> f64",
        "%r",
        "f64",
        math.nan,
    ),
    (
        "min",
        "%a = sym.constant 2 : i64\n%b = sym.constant 1.5 : f64\n"
        "%r = sym.min %a, %b : i64, f64 -> f64",
        "%r",
        "f64",
        1.5,
    ),
    (
        "max",
        "%a = sym.constant 2 : i64\n%b = sym.constant -7 : i64\n"
        "%r = sym.max %a, %b : i64, i64 -> i64",
        "%r",
        "i64",
        2.0,
    ),
    ("neg", "%a = sym.constant 2.5 : f64\n%r = sym.neg %a : f64 -> f64", "%r", "f64", -2.5),
    ("abs_int", "%a = sym.constant -3 : i64\n%r = sym.abs %a : i64 -> i64", "%r", "i64", 3.0),
    ("sqrt", "%a = sym.constant 9 : i64\n%r = sym.sqrt %a : i64 -> f64", "%r", "f64", 3.0),
    (
        "sqrt_negative_is_nan",
        "%a = sym.constant -1.0 : f64\n%r = sym.sqrt %a : f64 -> f64",
        "%r",
        "f64",
        math.nan,
    ),
    ("exp", "%a = sym.constant 1 : i64\n%r = sym.exp %a : i64 -> f64", "%r", "f64", math.e),
    ("log", "%a = sym.constant 2.0 : f64\n%r = sym.log %a : f64 -> f64", "%r", "f64", math.log(2)),
    (
        "log_zero_is_minus_inf",
        "%a = sym.constant 0.0 : f64\n%r = sym.log %a : f64 -> f64",
        "%r",
        "f64",
        -math.inf,
    ),
    (
        "log_negative_is_nan",
        "%a = sym.constant -1.0 : f64\n%r = sym.log %a : f64 -> f64",
        "%r",
        "f64",
        math.nan,
    ),
    (
        "sin",
        "%a = sym.constant 0.5 : f64\n%r = sym.sin %a : f64 -> f64",
        "%r",
        "f64",
        math.sin(0.5),
    ),
    (
        "cos",
        "%a = sym.constant 0.5 : f64\n%r = sym.cos %a : f64 -> f64",
        "%r",
        "f64",
        math.cos(0.5),
    ),
    (
        "wrap_mod_up",
        "%a = sym.constant 5 : i64\n%r = sym.wrap_mod %a : i64 -> i64",
        "%r",
        "i64",
        1.0,
    ),
    (
        "wrap_mod_down",
        "%a = sym.constant -1 : i64\n%r = sym.wrap_mod %a : i64 -> i64",
        "%r",
        "i64",
        3.0,
    ),
    (
        "select_promotes",
        "%p = sym.constant false\n%a = sym.constant 1 : i64\n%b = sym.constant 0.5 : f64\n"
        "%r = sym.select %p, %a, %b : i64, f64 -> f64",
        "%r",
        "f64",
        0.5,
    ),
    (
        "and",
        "%a = sym.constant true\n%b = sym.constant false\n%r = sym.and %a, %b",
        "%r",
        "i1",
        0.0,
    ),
    ("and_all", "%a = sym.constant true\n%r = sym.and %a, %a, %a", "%r", "i1", 1.0),
    ("or", "%a = sym.constant true\n%b = sym.constant false\n%r = sym.or %b, %a", "%r", "i1", 1.0),
    ("not", "%a = sym.constant true\n%r = sym.not %a", "%r", "i1", 0.0),
    # x = (0, 1, 2, 3): reads and site arithmetic
    ("read", "%s = sym.constant 2 : i64\n%r = sym.read %s : i64", "%r", "i64", 2.0),
    (
        "site_expression_mod_n",
        "%s = sym.constant 0 : i64\n%m = sym.constant -1 : i64\n"
        "%t = sym.add %s, %m : i64, i64 -> i64\n%r = sym.read %t : i64",
        "%r",
        "i64",
        3.0,
    ),
    (
        "site_expression_wraps_past_n",
        "%s = sym.constant 3 : i64\n%m = sym.constant 6 : i64\n"
        "%t = sym.add %s, %m : i64, i64 -> i64\n%r = sym.read %t : i64",
        "%r",
        "i64",
        1.0,
    ),
    ("param_default", '%r = sym.param "J" default 0.75 : f64', "%r", "f64", 0.75),
]

CMP_CASES = [
    ("lt", 1, 2, True),
    ("lt", 2, 2, False),
    ("le", 2, 2, True),
    ("gt", 3, 2, True),
    ("ge", 1, 2, False),
    ("eq", 2, 2, True),
    ("ne", 2, 2, False),
]

COMPLEX_EXPRESSIONS = [
    (
        "complex",
        "%a = sym.constant 1 : i64\n%b = sym.constant -0.5 : f64\n"
        "%r = sym.complex %a, %b : i64, f64",
        "%r",
        "complex<f64>",
        1 - 0.5j,
    ),
    (
        "conj",
        "%a = sym.constant 1.0 : f64\n%b = sym.constant 2.0 : f64\n"
        "%z = sym.complex %a, %b : f64, f64\n%r = sym.conj %z : complex<f64> -> complex<f64>",
        "%r",
        "complex<f64>",
        1 - 2j,
    ),
    (
        "conj_of_real_is_identity",
        "%a = sym.constant -1.5 : f64\n%r = sym.conj %a : f64 -> f64",
        "%r",
        "f64",
        -1.5,
    ),
    (
        "abs_complex_is_real",
        "%a = sym.constant 3.0 : f64\n%b = sym.constant 4.0 : f64\n"
        "%z = sym.complex %a, %b : f64, f64\n%r = sym.abs %z : complex<f64> -> f64",
        "%r",
        "f64",
        5.0,
    ),
    (
        "real",
        "%a = sym.constant 3.0 : f64\n%b = sym.constant 4.0 : f64\n"
        "%z = sym.complex %a, %b : f64, f64\n%r = sym.real %z : complex<f64> -> f64",
        "%r",
        "f64",
        3.0,
    ),
    (
        "imag",
        "%a = sym.constant 3.0 : f64\n%b = sym.constant 4.0 : f64\n"
        "%z = sym.complex %a, %b : f64, f64\n%r = sym.imag %z : complex<f64> -> f64",
        "%r",
        "f64",
        4.0,
    ),
    (
        "mul_complex",
        "%a = sym.constant 0.0 : f64\n%b = sym.constant 1.0 : f64\n"
        "%z = sym.complex %a, %b : f64, f64\n%k = sym.constant 2 : i64\n"
        "%r = sym.mul %k, %z : i64, complex<f64> -> complex<f64>",
        "%r",
        "complex<f64>",
        2j,
    ),
    (
        "sqrt_complex_negative",
        "%a = sym.constant -4.0 : f64\n%b = sym.constant 0.0 : f64\n"
        "%z = sym.complex %a, %b : f64, f64\n%r = sym.sqrt %z : complex<f64> -> complex<f64>",
        "%r",
        "complex<f64>",
        2j,
    ),
    (
        "exp_complex",
        "%a = sym.constant 0.0 : f64\n%b = sym.constant 3.141592653589793 : f64\n"
        "%z = sym.complex %a, %b : f64, f64\n%r = sym.exp %z : complex<f64> -> complex<f64>",
        "%r",
        "complex<f64>",
        cmath.exp(1j * math.pi),
    ),
    (
        "pow_complex",
        "%a = sym.constant 0.0 : f64\n%b = sym.constant 1.0 : f64\n"
        "%z = sym.complex %a, %b : f64, f64\n%k = sym.constant 2 : i64\n"
        "%r = sym.pow %z, %k : complex<f64>, i64 -> complex<f64>",
        "%r",
        "complex<f64>",
        -1 + 0j,
    ),
    (
        "cmp_complex_eq",
        "%a = sym.constant 0.0 : f64\n%b = sym.constant 1.0 : f64\n"
        "%z = sym.complex %a, %b : f64, f64\n%w = sym.complex %a, %b : f64, f64\n"
        "%r = sym.cmp eq %z, %w : complex<f64>, complex<f64>",
        "%r",
        "i1",
        1.0,
    ),
    (
        "param_complex_default",
        '%r = sym.param "g" default (0.5, -1.0) : complex<f64>',
        "%r",
        "complex<f64>",
        0.5 - 1j,
    ),
]


@pytest.mark.parametrize(
    "lines,result,rtype,expected",
    [case[1:] for case in EXPRESSIONS + COMPLEX_EXPRESSIONS],
    ids=[case[0] for case in EXPRESSIONS + COMPLEX_EXPRESSIONS],
)
def test_expression(lines, result, rtype, expected):
    assert close(amplitude_of(lines, result, rtype), expected)


@pytest.mark.parametrize("pred,a,b,expected", CMP_CASES)
@pytest.mark.parametrize("types", [("i64", "i64"), ("i64", "f64"), ("f64", "f64")])
def test_cmp(pred, a, b, expected, types):
    ta, tb = types
    va = a if ta == "i64" else float(a)
    vb = b if tb == "i64" else float(b)
    lines = (
        f"%a = sym.constant {va} : {ta}\n%b = sym.constant {vb} : {tb}\n"
        f"%r = sym.cmp {pred} %a, %b : {ta}, {tb}"
    )
    assert amplitude_of(lines, "%r", "i1") == float(expected)


def test_cmp_nan_is_unordered():
    lines = (
        "%z = sym.constant 0.0 : f64\n%n = sym.div %z, %z : f64, f64 -> f64\n"
        "%r = sym.cmp lt %n, %z : f64, f64"
    )
    assert amplitude_of(lines, "%r", "i1") == 0.0
    lines = lines.replace("cmp lt", "cmp ne")
    assert amplitude_of(lines, "%r", "i1") == 1.0


def test_integer_arithmetic_is_exact():
    # 2**62 + 2**62 would overflow in f64 mantissa precision; ints stay exact.
    big = 2**62 + 1
    lines = (
        f"%a = sym.constant {big} : i64\n%b = sym.constant {big} : i64\n"
        "%s = sym.sub %a, %b : i64, i64 -> i64\n"
        "%one_i = sym.constant 1 : i64\n%r = sym.add %s, %one_i : i64, i64 -> i64"
    )
    assert amplitude_of(lines, "%r", "i64") == 1.0


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # (2**63 - 1) + 1 wraps around to -2**63, as the kernel's i64 does
        ("%r = sym.add %big, %one_i : i64, i64 -> i64", -(2**63)),
        ("%r = sym.mul %big, %big : i64, i64 -> i64", 1),
        ("%m = sym.neg %big : i64 -> i64\n%r = sym.sub %m, %two : i64, i64 -> i64", 2**63 - 1),
        ("%n = sym.add %big, %one_i : i64, i64 -> i64\n%r = sym.abs %n : i64 -> i64", -(2**63)),
    ],
)
def test_integer_arithmetic_wraps_around_in_64_bits(lines, expected):
    """i64 is a 64-bit two's complement integer in the reference as in the kernel."""
    head = (
        f"%big = sym.constant {2**63 - 1} : i64\n%one_i = sym.constant 1 : i64\n"
        "%two = sym.constant 2 : i64\n"
    )
    assert amplitude_of(head + lines, "%r", "i64") == float(expected)


def test_a_product_past_the_f64_range_converts_to_f64():
    """(2**63 - 1)**32 squared step by step (exactly about 2**2016, past f64) raised
    OverflowError converting to f64 (issue 25); wrapped into 64 bits it is 1."""
    lines = f"%a0 = sym.constant {2**63 - 1} : i64\n" + "\n".join(
        f"%a{k + 1} = sym.mul %a{k}, %a{k} : i64, i64 -> i64" for k in range(5)
    )
    lines += "\n%r = sym.sqrt %a5 : i64 -> f64"
    assert amplitude_of(lines, "%r", "f64") == 1.0


def test_label_and_read_bind_rows():
    module = operator(
        """
  sym.term @s kind "site" labels ["i"] rows [[0], [2], [3]] {
    %i = sym.label "i"
    %x = sym.read %i : i64
    %k = sym.constant 10 : i64
    %ik = sym.mul %i, %k : i64, i64 -> i64
    %v = sym.add %ik, %x : i64, i64 -> i64
    sym.emission {
    } amplitude {
      sym.yield %v : i64
    }
  }"""
    )
    _xp, mels = reference_get_conn(module, np.array([3, 2, 1, 0]))
    assert mels.tolist() == [3.0, 21.0, 30.0]
    assert mels.dtype == np.float64


def test_read_emitted_sees_updated_configuration():
    upd = """
      %s = sym.constant 1 : i64
      %v = sym.constant 3 : i64
      sym.write %s, %v"""
    amp = """
      %s2 = sym.constant 1 : i64
      %e = sym.read_emitted %s2 : i64
      %o = sym.read %s2 : i64
      %k = sym.constant 10 : i64
      %e10 = sym.mul %e, %k : i64, i64 -> i64
      %r = sym.add %e10, %o : i64, i64 -> i64"""
    module = operator(global_term(update=upd, amplitude=amp, result="%r", rtype="i64"))
    xp, mels = reference_get_conn(module, np.array([0, 1, 2, 3]))
    assert xp.tolist() == [[0, 3, 2, 3]]
    assert mels.tolist() == [31.0]


# --------------------------------------------------------------------------- params


PARAM_OP = """
  sym.term @p kind "global" labels [] rows [[]] {
    %h = sym.param "h" : f64
    %J = sym.param "J" default 2.0 : f64
    %r = sym.mul %h, %J : f64, f64 -> f64
    sym.emission {
    } amplitude {
      sym.yield %r : f64
    }
  }"""


def test_param_given_and_default():
    module = operator(PARAM_OP)
    x = np.array([0, 0, 0, 0])
    assert reference_get_conn(module, x, {"h": 1.5})[1].tolist() == [3.0]
    assert reference_get_conn(module, x, {"h": 1.5, "J": -1.0})[1].tolist() == [-1.5]


def test_missing_param_raises():
    module = operator(PARAM_OP)
    with pytest.raises(ValueError, match="'h'"):
        reference_get_conn(module, np.array([0, 0, 0, 0]))
    with pytest.raises(ValueError, match="'h'"):
        reference_to_dense(module, {"J": 1.0})


def test_unknown_param_raises():
    module = operator(PARAM_OP)
    with pytest.raises(ValueError, match="hx"):
        reference_get_conn(module, np.array([0, 0, 0, 0]), {"h": 1.0, "hx": 2.0})


def test_complex_value_for_real_param_raises():
    module = operator(PARAM_OP)
    with pytest.raises(ValueError, match="complex"):
        reference_get_conn(module, np.array([0, 0, 0, 0]), {"h": 1.0 + 2.0j})
    # a complex with zero imaginary part is a real value
    assert reference_get_conn(module, np.array([0, 0, 0, 0]), {"h": 1.0 + 0j})[1][0] == 2.0


def test_complex_param_given():
    amp = '%g = sym.param "g" : complex<f64>'
    module = operator(
        global_term(amplitude=amp, result="%g", rtype="complex<f64>"), dtype="complex<f64>"
    )
    _, mels = reference_get_conn(module, np.array([0, 0, 0, 0]), {"g": 1 + 2j})
    assert mels.dtype == np.complex128 and mels.tolist() == [1 + 2j]


# --------------------------------------------------------------------------- updates

X0 = (0, 1, 2, 3)


def const(name: str, v: int) -> str:
    return f"      %{name} = sym.constant {v} : i64"


UPDATES = [
    # (name, update program, expected x' or None when dropped)
    ("identity", "", [0, 1, 2, 3]),
    ("write", f"{const('s', 1)}\n{const('v', 3)}\n      sym.write %s, %v", [0, 3, 2, 3]),
    ("shift", f"{const('s', 0)}\n{const('d', 2)}\n      sym.shift %s, %d", [2, 1, 2, 3]),
    ("shift_negative", f"{const('s', 2)}\n{const('d', -2)}\n      sym.shift %s, %d", [0, 1, 0, 3]),
    ("shift_past_max_dropped", f"{const('s', 3)}\n{const('d', 1)}\n      sym.shift %s, %d", None),
    ("shift_below_min_dropped", f"{const('s', 0)}\n{const('d', -1)}\n      sym.shift %s, %d", None),
    ("shift_mod_up", f"{const('s', 3)}\n{const('d', 2)}\n      sym.shift_mod %s, %d", [0, 1, 2, 1]),
    (
        "shift_mod_down",
        f"{const('s', 0)}\n{const('d', -1)}\n      sym.shift_mod %s, %d",
        [3, 1, 2, 3],
    ),
    ("swap", f"{const('a', 0)}\n{const('b', 3)}\n      sym.swap %a, %b", [3, 1, 2, 0]),
    (
        "permute_cyclic",
        f"{const('a', 0)}\n{const('b', 1)}\n{const('c', 2)}\n      sym.permute %a, %b, %c",
        [1, 2, 0, 3],
    ),
    (
        "permute_two_is_swap",
        f"{const('a', 1)}\n{const('b', 3)}\n      sym.permute %a, %b",
        [0, 3, 2, 1],
    ),
    (
        "affine",
        f"{const('s', 2)}\n{const('k', 2)}\n{const('b', -1)}\n      sym.affine %s, %k, %b",
        [0, 1, 3, 3],
    ),
    (
        "affine_out_of_space_dropped",
        f"{const('s', 3)}\n{const('k', 2)}\n{const('b', 0)}\n      sym.affine %s, %k, %b",
        None,
    ),
    (
        "scatter_in_order",
        f"{const('a', 0)}\n{const('b', 1)}\n{const('u', 3)}\n{const('v', 2)}\n"
        "      sym.scatter [%a, %b, %a], [%u, %v, %v]",
        [2, 2, 2, 3],
    ),
    ("invalidate", "      sym.invalidate", None),
    (
        "write_out_of_space_dropped",
        f"{const('s', 1)}\n{const('v', 7)}\n      %w = sym.add %v, %v : i64, i64 -> i64\n"
        "      sym.write %s, %w",
        None,
    ),
    (
        "sequential_program",
        f"{const('a', 0)}\n{const('b', 3)}\n{const('d', 1)}\n"
        "      sym.swap %a, %b\n      sym.shift %b, %d",
        [3, 1, 2, 1],
    ),
    (
        "intermediate_out_of_space_is_fine",
        f"{const('s', 3)}\n{const('d', 5)}\n{const('m', -5)}\n"
        "      sym.shift %s, %d\n      sym.shift %s, %m",
        [0, 1, 2, 3],
    ),
    (
        "read_in_update_reads_source",
        f"{const('a', 0)}\n{const('b', 1)}\n{const('v', 3)}\n"
        "      sym.write %a, %v\n      %x0 = sym.read %a : i64\n      sym.write %b, %x0",
        [3, 0, 2, 3],
    ),
    (
        "site_expression_mod_n",
        f"{const('a', 0)}\n{const('m', -1)}\n{const('v', 0)}\n"
        "      %s = sym.add %a, %m : i64, i64 -> i64\n      sym.write %s, %v",
        [0, 1, 2, 0],
    ),
    (
        "cond_then",
        f"{const('a', 0)}\n{const('v', 3)}\n      %p = sym.constant true\n"
        "      sym.cond %p {\n        sym.write %a, %v\n      } else {\n"
        "        sym.invalidate\n      }",
        [3, 1, 2, 3],
    ),
    (
        "cond_else",
        f"{const('a', 0)}\n{const('v', 3)}\n      %p = sym.constant false\n"
        "      sym.cond %p {\n        sym.invalidate\n      } else {\n"
        "        %w = sym.sub %v, %a : i64, i64 -> i64\n        sym.write %a, %w\n      }",
        [3, 1, 2, 3],
    ),
    (
        "cond_invalidates",
        f"{const('a', 0)}\n      %x = sym.read %a : i64\n      %p = sym.cmp eq %x, %a : i64, i64\n"
        "      sym.cond %p {\n        sym.invalidate\n      } else {\n      }",
        None,
    ),
    (
        "nested_cond",
        f"{const('a', 1)}\n{const('d', 1)}\n      %t = sym.constant true\n"
        "      %f = sym.constant false\n"
        "      sym.cond %t {\n        sym.cond %f {\n          sym.invalidate\n        } else {\n"
        "          sym.shift %a, %d\n        }\n      } else {\n      }",
        [0, 2, 2, 3],
    ),
]


@pytest.mark.parametrize("update,expected", [c[1:] for c in UPDATES], ids=[c[0] for c in UPDATES])
def test_update(update, expected):
    xp, mels = branches_of(update)
    if expected is None:
        assert xp.shape == (0, 4) and mels.shape == (0,)
    else:
        assert xp.tolist() == [expected]
        assert mels.tolist() == [1.0]
    # the padded form: a dropped branch is x' = x, mel = 0
    module = operator(global_term(update=update))
    pxp, pm = reference_get_conn_padded(module, np.array(X0))
    assert pxp.shape == (1, 4) and pm.shape == (1,)
    if expected is None:
        assert pxp.tolist() == [list(X0)] and pm.tolist() == [0.0]
    else:
        assert pxp.tolist() == [expected] and pm.tolist() == [1.0]


def test_non_contiguous_states_shift_drops_non_states():
    # states [-1, 1]: a shift by 1 from -1 gives 0, which is not a local state
    module = parse(
        """
sym.operator @t sites 2 states [-1, 1] dtype f64 {
  sym.term @s kind "site" labels ["i"] rows [[0], [1]] {
    sym.emission {
      %i = sym.label "i"
      %d = sym.constant 2 : i64
      sym.shift %i, %d
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}"""
    )
    xp, _mels = reference_get_conn(module, np.array([-1, 1]))
    assert xp.tolist() == [[1, 1]]


# --------------------------------------------------------------------------- predicates


PRED_OP = """
  sym.term @s kind "site" labels ["i"] rows [[0], [1], [2], [3]] {
    %i = sym.label "i"
    %x = sym.read %i : i64
    %c1 = sym.constant 1 : i64
    %c2 = sym.constant 2 : i64
    %p = sym.cmp ge %x, %c1 : i64, i64
    %q = sym.cmp eq %x, %c2 : i64, i64
    %r = sym.not %q
    sym.where %p
    sym.emission "down" {
      %m = sym.constant -1 : i64
      sym.shift %i, %m
    } amplitude {
      %a = sym.constant 1.0 : f64
      %ix = sym.add %i, %a : i64, f64 -> f64
      sym.yield %ix : f64
    }
    sym.emission "only_two" if %q {
    } amplitude {
      %b = sym.constant -1.0 : f64
      sym.yield %b : f64
    }
    sym.emission "not_two" if %r {
    } amplitude {
      %c = sym.constant -2.0 : f64
      sym.yield %c : f64
    }
  }"""


def test_term_and_emission_predicates_in_program_order():
    module = operator(PRED_OP)
    xp, mels = reference_get_conn(module, np.array([0, 2, 1, 3]))
    # site 0: x = 0 fails the where; site 1 (x=2): down, only_two; site 2 (x=1): down,
    # not_two; site 3 (x=3): down, not_two
    assert xp.tolist() == [
        [0, 1, 1, 3],
        [0, 2, 1, 3],
        [0, 2, 0, 3],
        [0, 2, 1, 3],
        [0, 2, 1, 2],
        [0, 2, 1, 3],
    ]
    assert mels.tolist() == [2.0, -1.0, 3.0, -2.0, 4.0, -2.0]
    assert static_fanout(module) == 12
    pxp, pm = reference_get_conn_padded(module, np.array([0, 2, 1, 3]))
    assert pxp.shape == (12, 4)
    assert pm[:6].tolist() == mels.tolist() and pm[6:].tolist() == [0.0] * 6
    assert (pxp[6:] == [0, 2, 1, 3]).all()


def test_where_after_emission_still_guards():
    module = operator(
        """
  sym.term @s kind "global" labels [] rows [[]] {
    %f = sym.constant false
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
    sym.where %f
  }"""
    )
    assert reference_get_conn(module, np.array(X0))[1].shape == (0,)


# --------------------------------------------------------------------------- padding and fan-out


def test_padding_contract_batched_and_dtype():
    module = operator(PRED_OP)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, size=(2, 3, 4)).astype(np.int8)
    xp, mels = reference_get_conn_padded(module, x)
    assert xp.shape == (2, 3, 12, 4) and mels.shape == (2, 3, 12)
    assert xp.dtype == np.int8 and mels.dtype == np.float64
    for idx in np.ndindex(2, 3):
        cx, cm = reference_get_conn(module, x[idx])
        b = len(cm)
        assert np.array_equal(xp[idx][:b], cx) and np.array_equal(mels[idx][:b], cm)
        assert (xp[idx][b:] == x[idx]).all() and (mels[idx][b:] == 0).all()


def test_padding_with_larger_max_conn_size():
    module = operator(global_term())
    xp, mels = reference_get_conn_padded(module, np.array(X0), max_conn_size=3)
    assert xp.tolist() == [list(X0)] * 3 and mels.tolist() == [1.0, 0.0, 0.0]


def test_max_conn_size_too_small_raises():
    module = operator(PRED_OP)
    with pytest.raises(ValueError, match="static fan-out 3"):
        reference_get_conn_padded(module, np.array([0, 2, 1, 3]), max_conn_size=3)


HINT_OP = """
  sym.term @nonzero kind "site" labels ["i"] rows [[0], [1], [2], [3]] fanout {hint} {{
    %i = sym.label "i"
    %x = sym.read %i : i64
    %c0 = sym.constant 0 : i64
    %p = sym.cmp ne %x, %c0 : i64, i64
    sym.where %p
    sym.emission {{
      %m = sym.constant -1 : i64
      sym.shift %i, %m
    }} amplitude {{
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }}
  }}
  sym.term @diag kind "global" labels [] rows [[]] {{
    sym.emission {{
    }} amplitude {{
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }}
  }}"""


def test_fanout_hint_sets_static_fanout():
    module = operator(HINT_OP.format(hint=2))
    assert term_fanouts(module) == {"nonzero": 2, "diag": 1}
    assert static_fanout(module) == 3
    xp, mels = reference_get_conn_padded(module, np.array([0, 0, 1, 2]))
    assert xp.tolist() == [[0, 0, 0, 2], [0, 0, 1, 1], [0, 0, 1, 2]]
    assert mels.tolist() == [1.0, 1.0, 1.0]


def test_fanout_hint_too_small_raises():
    module = operator(HINT_OP.format(hint=2))
    x = np.array([0, 1, 1, 2])  # three active rows in @nonzero
    with pytest.raises(ValueError, match="@nonzero"):
        reference_get_conn(module, x)
    with pytest.raises(ValueError, match="@nonzero"):
        reference_get_conn_padded(module, x, max_conn_size=10)
    with pytest.raises(ValueError, match="@nonzero"):
        reference_to_dense(module)


# --------------------------------------------------------------------------- inputs, dense


def test_accepts_operator_module_and_ir_object():
    module = operator(global_term())
    op = next(o for o in module.walk() if isinstance(o, OperatorOp))

    class IR:
        pass

    ir = IR()
    ir.module = module
    for obj in (module, op, ir):
        assert reference_get_conn(obj, np.array(X0))[1].tolist() == [1.0]


def test_invalid_configuration_raises():
    module = operator(global_term())
    with pytest.raises(ValueError, match="outside the local states"):
        reference_get_conn(module, np.array([0, 1, 2, 4]))
    with pytest.raises(ValueError, match="shape"):
        reference_get_conn(module, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="non-integer"):
        reference_get_conn(module, np.array([0, 1, 2, 2.5]))


def test_float_configurations_keep_dtype():
    update = f"{const('s', 0)}\n{const('v', 3)}\n      sym.write %s, %v"
    module = operator(global_term(update=update))
    xp, _ = reference_get_conn(module, np.array([0.0, 1.0, 2.0, 3.0]))
    assert xp.dtype == np.float64 and xp.tolist() == [[3.0, 1.0, 2.0, 3.0]]


def test_to_dense_ordering_and_dtype():
    # sigma^+ on site 0 of two qubits with states [0, 1]: |0 x> -> |1 x>, amplitude 1j
    module = parse(
        """
sym.operator @t sites 2 states [0, 1] dtype complex<f64> {
  sym.term @up kind "global" labels [] rows [[]] {
    sym.emission {
      %s = sym.constant 0 : i64
      %d = sym.constant 1 : i64
      sym.shift %s, %d
    } amplitude {
      %z = sym.constant 0.0 : f64
      %o = sym.constant 1.0 : f64
      %a = sym.complex %z, %o : f64, f64
      sym.yield %a : complex<f64>
    }
  }
}"""
    )
    assert reference_basis(module).tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    h = reference_to_dense(module)
    assert h.dtype == np.complex128
    expected = np.zeros((4, 4), complex)
    expected[0, 2] = 1j  # row(x=00) -> row(x'=10)
    expected[1, 3] = 1j
    np.testing.assert_array_equal(h, expected)


# --------------------------------------------------------------------------- physics IR


def _rows(rows) -> str:
    return "[" + ", ".join("[" + ", ".join(str(int(v)) for v in r) + "]" for r in rows) + "]"


def tfim_ir(n: int, edges) -> str:
    """H = -h sum_i X_i + J sum_<ij> Z_i Z_j on states [-1, 1] (Z = x)."""
    return f"""
sym.operator @tfim sites {n} states [-1, 1] dtype f64 hermitian {{
  sym.term @field kind "site" labels ["i"] rows {_rows([i] for i in range(n))} {{
    %h = sym.param "h" : f64
    sym.emission "flip" {{
      %i = sym.label "i"
      %x = sym.read %i : i64
      %m = sym.neg %x : i64 -> i64
      sym.write %i, %m
    }} amplitude {{
      %a = sym.neg %h : f64 -> f64
      sym.yield %a : f64
    }}
  }}
  sym.term @zz kind "rows" labels ["i", "j"] rows {_rows(edges)} {{
    %J = sym.param "J" default 1.0 : f64
    %i = sym.label "i"
    %j = sym.label "j"
    %xi = sym.read %i : i64
    %xj = sym.read %j : i64
    %p = sym.mul %xi, %xj : i64, i64 -> i64
    sym.emission {{
    }} amplitude {{
      %a = sym.mul %J, %p : f64, i64 -> f64
      sym.yield %a : f64
    }}
  }}
}}"""


def heisenberg_ir(n: int, edges, exchange: float) -> str:
    """H = J sum_<ij> (Z_i Z_j + exchange * (S+S- + S-S+)): NetKet's Heisenberg bond."""
    return f"""
sym.operator @heisenberg sites {n} states [-1, 1] dtype f64 hermitian {{
  sym.term @bond kind "rows" labels ["i", "j"] rows {_rows(edges)} {{
    %J = sym.param "J" default 1.0 : f64
    %i = sym.label "i"
    %j = sym.label "j"
    %xi = sym.read %i : i64
    %xj = sym.read %j : i64
    %p = sym.mul %xi, %xj : i64, i64 -> i64
    %anti = sym.cmp ne %xi, %xj : i64, i64
    sym.emission "zz" {{
    }} amplitude {{
      %a = sym.mul %J, %p : f64, i64 -> f64
      sym.yield %a : f64
    }}
    sym.emission "exchange" if %anti {{
      sym.swap %i, %j
    }} amplitude {{
      %c = sym.constant {float(exchange)!r} : f64
      %b = sym.mul %c, %J : f64, f64 -> f64
      sym.yield %b : f64
    }}
  }}
}}"""


def bose_hubbard_ir(n: int, n_max: int, edges) -> str:
    """H = sum_i (U/2 n_i (n_i - 1) - mu n_i) + sum_<ij> (V n_i n_j - J (b_i^+ b_j + h.c.))."""
    states = "[" + ", ".join(str(k) for k in range(n_max + 1)) + "]"
    return f"""
sym.operator @bose_hubbard sites {n} states {states} dtype f64 hermitian {{
  sym.term @onsite kind "site" labels ["i"] rows {_rows([i] for i in range(n))} {{
    sym.emission {{
    }} amplitude {{
      %i = sym.label "i"
      %n = sym.read %i : i64
      %U = sym.param "U" : f64
      %mu = sym.param "mu" default 0.0 : f64
      %c1 = sym.constant 1 : i64
      %nm1 = sym.sub %n, %c1 : i64, i64 -> i64
      %nn = sym.mul %n, %nm1 : i64, i64 -> i64
      %two = sym.constant 2 : i64
      %u2 = sym.div %U, %two : f64, i64 -> f64
      %e1 = sym.mul %u2, %nn : f64, i64 -> f64
      %e2 = sym.mul %mu, %n : f64, i64 -> f64
      %a = sym.sub %e1, %e2 : f64, f64 -> f64
      sym.yield %a : f64
    }}
  }}
  sym.term @bond kind "rows" labels ["i", "j"] rows {_rows(edges)} {{
    %J = sym.param "J" : f64
    %V = sym.param "V" default 0.0 : f64
    %mJ = sym.neg %J : f64 -> f64
    %i = sym.label "i"
    %j = sym.label "j"
    %ni = sym.read %i : i64
    %nj = sym.read %j : i64
    %c0 = sym.constant 0 : i64
    %can = sym.cmp gt %ni, %c0 : i64, i64
    sym.emission "density" {{
    }} amplitude {{
      %nn = sym.mul %ni, %nj : i64, i64 -> i64
      %a = sym.mul %V, %nn : f64, i64 -> f64
      sym.yield %a : f64
    }}
    sym.emission "i_to_j" if %can {{
      %m1 = sym.constant -1 : i64
      %p1 = sym.constant 1 : i64
      sym.shift %i, %m1
      sym.shift %j, %p1
    }} amplitude {{
      %njp = sym.read_emitted %j : i64
      %q = sym.mul %ni, %njp : i64, i64 -> i64
      %s = sym.sqrt %q : i64 -> f64
      %b = sym.mul %mJ, %s : f64, f64 -> f64
      sym.yield %b : f64
    }}
    sym.emission "j_to_i" {{
      %m1b = sym.constant -1 : i64
      %p1b = sym.constant 1 : i64
      sym.shift %j, %m1b
      sym.shift %i, %p1b
    }} amplitude {{
      %nip = sym.read_emitted %i : i64
      %r = sym.mul %nj, %nip : i64, i64 -> i64
      %t = sym.sqrt %r : i64 -> f64
      %c = sym.mul %mJ, %t : f64, f64 -> f64
      sym.yield %c : f64
    }}
  }}
}}"""


# --------------------------------------------------------------------------- NetKet references

nk = pytest.importorskip("netket")

SPIN_SIZES = [(n, pbc) for n in range(2, 7) for pbc in (False, True)]
BH_SIZES = [(n, n_max) for n_max in (2, 3) for n in range(2, 5)]
TFIM_PARAMS = {"h": 0.7, "J": 1.3}
BH_PARAMS = {"U": 1.1, "V": 0.3, "J": 0.7, "mu": 0.2}


def chain(n: int, pbc: bool):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NetKet warns about periodic chains of length 2
        return nk.graph.Chain(n, pbc=pbc)


@functools.cache
def netket_conn(model: str, n: int, variant) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """NetKet's `get_conn_padded` over the whole basis (`reference_basis` order), once per
    model and size: `(basis, xp, mels)`. One trace per operator keeps the tests fast."""
    if model == "bose_hubbard":
        hi, graph = nk.hilbert.Fock(variant, n), chain(n, False)
        op = nk.operator.BoseHubbard(hi, graph, **BH_PARAMS)
        states = range(variant + 1)
    else:
        hi, graph = nk.hilbert.Spin(0.5, n), chain(n, variant)
        if model == "tfim":
            op = nk.operator.Ising(hi, graph, **TFIM_PARAMS)
        else:  # numba: compiled once for every size (the jax version traces per shape)
            op = nk.operator.Heisenberg(hi, graph, cls=nk.operator.LocalOperatorNumba)
        states = (-1, 1)
    basis = np.asarray(list(itertools.product(states, repeat=n)), dtype=np.int8)
    xp, mels = op.get_conn_padded(basis)
    return basis, np.asarray(xp), np.asarray(mels)


def dense_from_conn(basis: np.ndarray, xp: np.ndarray, mels: np.ndarray) -> np.ndarray:
    """The matrix `H[row(x), row(x')] += mel` in `basis` order."""
    index = {tuple(s): k for k, s in enumerate(basis.tolist())}
    h = np.zeros((len(basis), len(basis)), dtype=np.result_type(mels.dtype, np.float64))
    for r in range(len(basis)):
        for s, m in zip(xp[r].tolist(), mels[r].tolist(), strict=True):
            if m != 0:
                h[r, index[tuple(int(v) for v in s)]] += m
    return h


def check_against_netket(module, model: str, n: int, variant, params=None, n_conn_checks=6):
    """Dense matrices equal at 1e-10, and `get_conn` branch sets equal on some states."""
    basis, nxp, nm = netket_conn(model, n, variant)
    assert np.array_equal(basis, reference_basis(module))
    h_ref = reference_to_dense(module, params)
    np.testing.assert_allclose(h_ref, dense_from_conn(basis, nxp, nm), atol=1e-10, rtol=0)
    np.testing.assert_allclose(h_ref, h_ref.T, atol=1e-12)  # all three are hermitian
    for r in range(0, len(basis), max(1, len(basis) // n_conn_checks)):
        ref_xp, ref_mels = reference_get_conn(module, basis[r], params)
        assert_same_connections((ref_xp[None], ref_mels[None]), (nxp[r : r + 1], nm[r : r + 1]))
    return h_ref


def heisenberg_exchange(graph) -> float:
    # NetKet: bond = J (sz_sz + 2 exchange), or J (sz_sz - 2 exchange) with the sign rule,
    # which defaults to True on bipartite graphs.
    return -2.0 if graph.is_bipartite() else 2.0


@pytest.mark.parametrize("n,pbc", SPIN_SIZES)
def test_tfim_against_netket(n, pbc):
    graph = chain(n, pbc)
    module = parse(tfim_ir(n, graph.edges()))
    check_against_netket(module, "tfim", n, pbc, TFIM_PARAMS)
    assert static_fanout(module) == n + len(graph.edges())


@pytest.mark.parametrize("n,pbc", SPIN_SIZES)
def test_heisenberg_against_netket(n, pbc):
    graph = chain(n, pbc)
    module = parse(heisenberg_ir(n, graph.edges(), heisenberg_exchange(graph)))
    check_against_netket(module, "heisenberg", n, pbc)


def test_heisenberg_against_netket_to_dense():
    # NetKet's own to_dense, in the order of hilbert.all_states() (Spin lists [1, -1]).
    # (LocalOperatorNumba: the jax operators' to_dense costs seconds of tracing per shape.)
    for n, pbc in ((4, True), (3, True)):
        graph, hi = chain(n, pbc), nk.hilbert.Spin(0.5, n)
        module = parse(heisenberg_ir(n, graph.edges(), heisenberg_exchange(graph)))
        nk_op = nk.operator.Heisenberg(hi, graph, cls=nk.operator.LocalOperatorNumba)
        h_ref = reference_to_dense(module, hilbert=hi)
        np.testing.assert_allclose(h_ref, nk_op.to_dense(), atol=1e-10, rtol=0)


def test_to_dense_in_netket_spin_order():
    # Z_0 + 0.5 X_1 is not invariant under a global flip, so it sees the basis order.
    hi = nk.hilbert.Spin(0.5, 3)
    module = parse(
        """
sym.operator @t sites 3 states [-1, 1] dtype f64 {
  sym.term @z kind "site" labels ["i"] rows [[0]] {
    sym.emission {
    } amplitude {
      %i = sym.label "i"
      %x = sym.read %i : i64
      sym.yield %x : i64
    }
  }
  sym.term @x kind "site" labels ["i"] rows [[1]] {
    sym.emission {
      %i = sym.label "i"
      %k = sym.constant -1 : i64
      %b = sym.constant 0 : i64
      sym.affine %i, %k, %b
    } amplitude {
      %a = sym.constant 0.5 : f64
      sym.yield %a : f64
    }
  }
}"""
    )
    states = np.asarray(hi.all_states())
    expected = np.diag(states[:, 0].astype(float))
    index = {tuple(s): k for k, s in enumerate(states.tolist())}
    for r, s in enumerate(states.tolist()):
        s[1] = -s[1]
        expected[r, index[tuple(s)]] += 0.5
    np.testing.assert_array_equal(reference_to_dense(module, hilbert=hi), expected)
    # the default order (increasing local states) is a permutation of it
    perm = [index[tuple(s)] for s in reference_basis(module).tolist()]
    np.testing.assert_array_equal(reference_to_dense(module), expected[np.ix_(perm, perm)])
    assert perm != list(range(8))


def test_heisenberg_coupling_parameter():
    graph = chain(3, False)
    module = parse(heisenberg_ir(3, graph.edges(), heisenberg_exchange(graph)))
    np.testing.assert_allclose(
        reference_to_dense(module, {"J": 0.5}), 0.5 * reference_to_dense(module), atol=1e-14
    )


@pytest.mark.parametrize("n,n_max", BH_SIZES)
def test_bose_hubbard_against_netket(n, n_max):
    graph = chain(n, False)
    module = parse(bose_hubbard_ir(n, n_max, graph.edges()))
    check_against_netket(module, "bose_hubbard", n, n_max, BH_PARAMS)


def test_bose_hubbard_boundary_branches_are_padding():
    # n_max = 2, x = (2, 0): onsite 0, onsite 1, density and i_to_j are active; j_to_i
    # drops (x'[j] = -1 and x'[i] = 3) and becomes padding
    module = parse(bose_hubbard_ir(2, 2, [(0, 1)]))
    xp, mels = reference_get_conn_padded(module, np.array([2, 0]), BH_PARAMS)
    assert static_fanout(module) == 2 + 3
    assert xp.tolist() == [[2, 0], [2, 0], [2, 0], [1, 1], [2, 0]]
    np.testing.assert_allclose(mels, [1.1 - 0.4, 0.0, 0.0, -0.7 * math.sqrt(2.0), 0.0], atol=1e-12)


# --------------------------------------------------------------------------- physics DSL

symir = pytest.importorskip("symir")


def tfim_dsl(hi, graph):
    h, J = symir.symbol("h"), symir.symbol("J", default=1.0)
    return (
        symir.DOperator(hi, "tfim", hermitian=True)
        .for_each_site("i")
        .emit(symir.write("i", -symir.site("i")), -h)
        .for_each(("i", "j"), over=graph)
        .emit(symir.identity(), J * symir.site("i") * symir.site("j"))
        .build()
    )


def heisenberg_dsl(hi, graph):
    J = symir.symbol("J", default=1.0)
    site = symir.site
    return (
        symir.DOperator(hi, "heisenberg", hermitian=True)
        .for_each(("i", "j"), over=graph)
        .emit(symir.identity(), J * site("i") * site("j"))
        .emit_if(site("i") != site("j"), symir.swap("i", "j"), heisenberg_exchange(graph) * J)
        .build()
    )


def bose_hubbard_dsl(hi, graph):
    U, V, J, mu = (symir.symbol(name) for name in ("U", "V", "J", "mu"))
    n, e = symir.site, symir.emitted
    return (
        symir.DOperator(hi, "bose_hubbard", hermitian=True)
        .for_each_site("i")
        .emit(symir.identity(), U / 2 * n("i") * (n("i") - 1) - mu * n("i"))
        .for_each(("i", "j"), over=graph)
        .emit(symir.identity(), V * n("i") * n("j"))
        .emit(symir.hop("i", "j"), -J * symir.sqrt(n("i") * e("j")))  # n_i = 0: dropped
        .emit(symir.hop("j", "i"), -J * symir.sqrt(n("j") * e("i")))
        .build()
    )


@pytest.mark.parametrize("n,pbc", SPIN_SIZES)
def test_tfim_dsl_against_netket(n, pbc):
    graph, hi = chain(n, pbc), nk.hilbert.Spin(0.5, n)
    op = tfim_dsl(hi, graph)
    text = parse(tfim_ir(n, graph.edges()))
    h = check_against_netket(op.to_ir(), "tfim", n, pbc, TFIM_PARAMS)
    np.testing.assert_allclose(h, reference_to_dense(text, TFIM_PARAMS), atol=1e-14)


@pytest.mark.parametrize("n,pbc", SPIN_SIZES)
def test_heisenberg_dsl_against_netket(n, pbc):
    graph, hi = chain(n, pbc), nk.hilbert.Spin(0.5, n)
    op = heisenberg_dsl(hi, graph)
    text = parse(heisenberg_ir(n, graph.edges(), heisenberg_exchange(graph)))
    h = check_against_netket(op.to_ir(), "heisenberg", n, pbc)
    np.testing.assert_allclose(h, reference_to_dense(text), atol=1e-14)


@pytest.mark.parametrize("n,n_max", BH_SIZES)
def test_bose_hubbard_dsl_against_netket(n, n_max):
    graph, hi = chain(n, False), nk.hilbert.Fock(n_max, n)
    op = bose_hubbard_dsl(hi, graph)
    text = parse(bose_hubbard_ir(n, n_max, graph.edges()))
    h = check_against_netket(op.to_ir(), "bose_hubbard", n, n_max, BH_PARAMS)
    np.testing.assert_allclose(h, reference_to_dense(text, BH_PARAMS), atol=1e-14)


def test_dsl_operator_padded_matches_ir_text():
    graph, hi = chain(4, True), nk.hilbert.Spin(0.5, 4)
    op = tfim_dsl(hi, graph)
    x = reference_basis(op.to_ir())
    a = reference_get_conn_padded(op, x, {"h": 0.3})
    b = reference_get_conn_padded(parse(tfim_ir(4, graph.edges())), x, {"h": 0.3})
    assert static_fanout(op) == static_fanout(op.to_ir()) == 8
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_allclose(a[1], b[1], atol=1e-15)
