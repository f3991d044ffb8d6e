"""float32 / complex64 operators end to end (issue 24): DSL, IR, kernel, NetKet.

Single precision is a storage type: the `sym.operator` says `dtype f32` (or
`complex<f32>`), the kernel computes in float64 / complex128 and rounds the matrix
elements once at its output, the runtime and NetKet see float32 / complex64 (NetKet's
`test_get_conn_padded`: `mels.dtype == op.dtype`, `xp.dtype == x.dtype`). The values
equal the double-precision operator's rounded to single precision.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symir as sym
from symir.interpreter import reference_to_dense

N = 4
EDGES = [(i, (i + 1) % N) for i in range(N)]
SPIN = sym.Spin(0.5, N)


def tfim(dtype, field=-0.7):
    return (
        sym.DOperator(SPIN, f"tfim_{dtype}", hermitian=True, dtype=dtype)
        .for_each_site("i")
        .emit(sym.write("i", -sym.site("i")), field * sym.symbol("h", 1.0))
        .for_each(("i", "j"), over=EDGES)
        .emit(sym.identity(), 1.3 * sym.site("i") * sym.site("j"))
        .build()
    )


@pytest.mark.parametrize(
    ("dtype", "field", "want", "mlir"),
    [
        ("float32", -0.7, np.float32, "dtype f32"),
        (np.float32, -0.7, np.float32, "dtype f32"),
        ("complex64", -0.7, np.complex64, "dtype complex<f32>"),
        ("float32", -0.7j, np.complex64, "dtype complex<f32>"),  # promoted, same precision
    ],
)
def test_single_precision_end_to_end(dtype, field, want, mlir):
    op = tfim(dtype, field)
    double = tfim("complex128" if np.issubdtype(want, np.complexfloating) else "float64", field)
    assert op.dtype == np.dtype(want).name and op.to_ir().dtype_str == np.dtype(want).name
    assert mlir in str(op.to_ir())
    assert sym.parse_ir(str(op.to_ir())) == op.to_ir()  # prints and parses back
    compiled = op.compile()
    assert compiled.dtype == want
    x = np.asarray(SPIN.all_states(), dtype=np.int8)
    xp, mels = compiled.get_conn_padded(x)
    assert mels.dtype == want and xp.dtype == np.int8
    _, ref = double.compile().get_conn_padded(x)
    np.testing.assert_array_equal(np.asarray(mels), np.asarray(ref).astype(want))
    assert reference_to_dense(op).dtype == want
    np.testing.assert_allclose(compiled.to_dense(), reference_to_dense(op), rtol=1e-6)
    # jit, and the derivative with respect to a parameter (in the operator's dtype)
    got = jax.jit(lambda o, x: o.get_conn_padded(x)[1])(compiled, x)
    assert got.dtype == want
    dh = jax.grad(lambda h: jnp.real(compiled.with_params(h=h).get_conn_padded(x)[1]).sum())
    assert np.isclose(dh(1.0), np.real(field) * N * len(x), rtol=1e-6)


def test_cache_keys_and_algebra():
    single, double = tfim("float32"), tfim("float64")
    assert single.compile()._spec.key != double.compile()._spec.key
    assert (single + single).dtype == "float32"
    assert (single + double).dtype == "float64"  # mixed precision: the wider
    assert (single @ single).dtype == "float32" and single.H.dtype == "float32"
    assert (single * 1j).dtype == "complex64"
    with pytest.raises(ValueError, match="float64, complex128, float32 or complex64"):
        sym.DOperator(SPIN, "x", dtype="float16")


def test_netket():
    nk = pytest.importorskip("netket")
    hi = nk.hilbert.Spin(0.5, N)
    op = sym.to_netket(
        sym.DOperator(hi, "t32", dtype="float32")
        .for_each_site("i")
        .emit(sym.write("i", -sym.site("i")), -0.7)
        .build()
    )
    assert op.dtype == np.float32
    # NetKet's test_get_conn_padded, as it runs on its own operators
    v = hi.random_state(jax.random.PRNGKey(0), (2, 1), dtype=np.float32)
    vp, mels = op.get_conn_padded(v)
    assert vp.ndim == v.ndim + 1 and mels.ndim == v.ndim
    assert vp.dtype == v.dtype and mels.dtype == op.dtype
    assert op.to_dense().dtype == np.float32
