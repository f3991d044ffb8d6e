"""Pickling (issue 24): `SymbolicOperator`, `CompiledOperator` and the NetKet adapter.

NetKet, multiprocessing and checkpoints pickle operators. A round trip gives an equal
operator (equal IR; the same kernel and parameter values; the same matrix), and reuses
what the process already has: the compiler's artifact cache for a symbolic operator, the
loaded StableHLO module for a compiled one. Where the module is not loaded (another
process), it is loaded again from the pickled StableHLO text.
"""

from __future__ import annotations

import pickle

import jax
import numpy as np
import pytest

import symir as sym
from symir.runtime import stablehlo_exec

N = 4


@pytest.fixture(scope="module")
def tfim():
    return (
        sym.DOperator(sym.Spin(0.5, N), "tfim", hermitian=True)
        .for_each_site("i")
        .emit(sym.write("i", -sym.site("i")), -sym.symbol("h", 0.7, doc="field"))
        .for_each(("i", "j"), over=[(i, (i + 1) % N) for i in range(N)])
        .emit(sym.identity(), sym.symbol("J") * sym.site("i") * sym.site("j"))
        .build()
    )


def roundtrip(obj):
    return pickle.loads(pickle.dumps(obj))


def test_symbolic_operator(tfim):
    tfim.compile(params={"J": 1.0})  # the artifact is in the default compiler's cache
    back = roundtrip(tfim)
    assert back is not tfim and back.to_ir() == tfim.to_ir()
    assert back.hermitian and back.hermitian_reason == tfim.hermitian_reason
    assert back.parameter_docs == {"h": "field"}
    assert sym.SymbolicCompiler().compile(back).cache_hit
    # derived operators keep what their hermiticity was proved from
    square = roundtrip(tfim.H @ tfim)
    assert square.is_hermitian and square.to_ir() == (tfim.H @ tfim).to_ir()
    total = roundtrip(tfim + 2.0 * tfim)
    assert total.to_ir() == (tfim + 2.0 * tfim).to_ir()


def test_compiled_operator(tfim, monkeypatch):
    c = tfim.compile(params={"J": 1.3}).with_params(h=0.25)
    x = np.asarray(sym.Spin(0.5, N).all_states())
    back = roundtrip(c)
    assert back._spec.module is c._spec.module  # reloaded through the module cache
    assert back._spec == c._spec and back.params == c.params
    for got, want in zip(back.get_conn_padded(x), c.get_conn_padded(x)):
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    assert jax.jit(lambda op, x: op.get_conn_padded(x)[1])(back, x).shape == (16, N + 1)
    # as in a process that has not loaded it: parsed and compiled again from the text
    monkeypatch.setattr(stablehlo_exec, "_CACHE", {})
    fresh = roundtrip(c)
    assert fresh._spec.module is not c._spec.module
    np.testing.assert_array_equal(fresh.to_dense(), c.to_dense())
    # a parameter without a value travels as such
    required = roundtrip(tfim.compile())
    assert required.params["J"] is None
    with pytest.raises(ValueError, match="needs a value for the parameter"):
        required.get_conn_padded(x)


def test_compiled_operator_under_a_transformation(tfim):
    c = tfim.compile(params={"J": 1.0})

    def f(h):
        pickle.dumps(c.with_params(h=h))
        return h

    with pytest.raises(TypeError, match="while a parameter is a JAX tracer"):
        jax.jit(f)(0.5)


def test_netket_adapter(tfim):
    nk = pytest.importorskip("netket")
    op = sym.to_netket(tfim.compile(params={"J": 1.3}))
    back = roundtrip(op)
    assert isinstance(back, type(op)) and back.hilbert == op.hilbert
    assert back.compiled._spec.module is op.compiled._spec.module
    assert back.is_hermitian and back.params == op.params
    np.testing.assert_allclose(back.to_dense(), op.to_dense(), atol=0)
    explicit = roundtrip(sym.to_netket(tfim.compile(params={"J": 1.3}), nk.hilbert.Spin(0.5, N)))
    assert explicit.hilbert == nk.hilbert.Spin(0.5, N)
