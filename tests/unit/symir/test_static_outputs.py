"""`symir.runtime.static_outputs`: the outputs of a StableHLO module that no input's values
reach, and the delta kernels' static sites (`CompiledOperator.static_sites`).

The analysis is checked on modules written here (a constant broadcast to the batch is
static; a gather of `x`, an iota along the batch, a loop or a call that reads `x` are
not), and on compiled operators: where it says the sites are static they equal
`get_conn_delta`'s sites in every row of random and basis states (before the sites are
replaced by the constants: the kernel's own output), and `cond_nested`, whose sites
depend on the state, has none.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import jax
import numpy as np
import pytest

from symir.runtime import compiled as compiled_module
from symir.runtime.stablehlo_exec import load_stablehlo
from symir.runtime.static_outputs import static_outputs, static_rows

pytest.importorskip("netket")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lowering"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import test_conn_delta as deltas
import test_differential as corpus

MODULE = """
func.func @main(%x: tensor<?x4xi32>) -> (tensor<?x3xi32>, tensor<?x3xi32>, tensor<?x3xi32>,
    tensor<?x3xi32>, tensor<?x3xi32>) {
  %n = "stablehlo.get_dimension_size"(%x) <{dimension = 0 : i64}> : (tensor<?x4xi32>) -> tensor<i32>
  %n1 = stablehlo.reshape %n : (tensor<i32>) -> tensor<1xi32>
  %three = stablehlo.constant dense<3> : tensor<1xi32>
  %shape = "stablehlo.concatenate"(%n1, %three) <{dimension = 0 : i64}> : (tensor<1xi32>, tensor<1xi32>) -> tensor<2xi32>
  %c = stablehlo.constant dense<[2, 0, 3]> : tensor<3xi32>
  %fixed = "stablehlo.dynamic_broadcast_in_dim"(%c, %shape) <{broadcast_dimensions = array<i64: 1>}> : (tensor<3xi32>, tensor<2xi32>) -> tensor<?x3xi32>
  %z2 = stablehlo.constant dense<0> : tensor<2xi32>
  %o2 = stablehlo.constant dense<1> : tensor<2xi32>
  %read = "stablehlo.real_dynamic_slice"(%x, %z2, %shape, %o2) : (tensor<?x4xi32>, tensor<2xi32>, tensor<2xi32>, tensor<2xi32>) -> tensor<?x3xi32>
  %rows = "stablehlo.dynamic_iota"(%shape) <{iota_dimension = 0 : i64}> : (tensor<2xi32>) -> tensor<?x3xi32>
  %sum = stablehlo.add %fixed, %fixed : tensor<?x3xi32>
  %looped = stablehlo.while(%it = %fixed) : tensor<?x3xi32>
    cond {
      %f = stablehlo.constant dense<false> : tensor<i1>
      stablehlo.return %f : tensor<i1>
    } do {
      %more = stablehlo.add %it, %read : tensor<?x3xi32>
      stablehlo.return %more : tensor<?x3xi32>
    }
  func.return %fixed, %read, %rows, %sum, %looped : tensor<?x3xi32>, tensor<?x3xi32>,
    tensor<?x3xi32>, tensor<?x3xi32>, tensor<?x3xi32>
}
"""


def test_static_outputs_of_a_module_written_here():
    """A constant broadcast to the batch (and a sum of it) is static; a slice of `x`, an
    iota along the batch and a loop whose body reads `x` are not; the static output's
    row is the constant."""
    module = load_stablehlo(MODULE)
    assert static_outputs(module) == (True, False, False, True, False)
    np.testing.assert_array_equal(static_rows(module, 0), [2, 0, 3])
    np.testing.assert_array_equal(static_rows(module, 3), [4, 0, 6])
    assert static_rows(module, 1) is None
    x = np.arange(8, dtype=np.int32).reshape(2, 4)
    out = module(x)
    np.testing.assert_array_equal(np.asarray(out[0]), [[2, 0, 3]] * 2)


def _kernel_sites(compiled, x):
    """`get_conn_delta`'s sites as the delta kernel returns them (no static sites)."""
    compiled_module.STATIC_SITES = False
    try:
        return np.asarray(jax.jit(compiled.get_conn_delta)(x)[0])
    finally:
        compiled_module.STATIC_SITES = True


@pytest.mark.parametrize("name", deltas.MODELS)
def test_static_sites_of_lattice_models_are_the_kernels_sites(name):
    """Every lattice model's delta kernel writes fixed sites per slot: static, and equal
    to the kernel's sites in every row of random states; `get_conn_delta` gives them."""
    hi, op, _ = deltas.quiet(deltas._system, name)
    compiled = deltas.quiet(op.compile)
    fixed = compiled.static_sites()
    assert fixed is not None and fixed.shape == (
        compiled.max_conn_size,
        deltas.delta_width(compiled),
    )
    x = deltas.random_states(name, hi, (32,))
    kernel = _kernel_sites(compiled, x)
    np.testing.assert_array_equal(kernel, np.broadcast_to(fixed, kernel.shape))
    np.testing.assert_array_equal(np.asarray(jax.jit(compiled.get_conn_delta)(x)[0]), kernel)


@pytest.mark.parametrize("case", sorted(corpus.UPDATE_CASES))
def test_static_sites_of_the_update_corpus(case):
    """Each update construct of the differential corpus, on every basis state: where the
    sites are static they are the kernel's in every row; `cond_nested` writes a site that
    depends on the state, so its sites are not static, and the deltas still give `xp`."""
    # the generic local states (-1, 0, 2); a `mod` construct needs contiguous ones
    hi = corpus.HILBERTS["fock2" if case in corpus.MOD_CASES else "generic"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compiled = corpus.UPDATE_CASES[case](hi).compile(strict_validation=False)
    x = np.asarray(corpus.configurations(hi), np.int8)
    kernel = _kernel_sites(compiled, x)
    fixed = compiled.static_sites()
    if case == "cond_nested":
        assert fixed is None
        assert len({tuple(row.ravel()) for row in kernel}) > 1
    if fixed is not None:
        np.testing.assert_array_equal(kernel, np.broadcast_to(fixed, kernel.shape))
    deltas.assert_deltas_give_xp(compiled, x)


def test_static_sites_found_first_inside_an_eager_shard_map():
    """NetKet's sharded kernel called without `jax.jit` as the operator's first use: the
    static sites were evaluated inside the eager `shard_map`, whose trace
    `ensure_compile_time_eval` leaves, and JAX raised a bare TracerArrayConversionError;
    they are evaluated as a compiled executable."""
    from jax.sharding import Mesh, PartitionSpec

    hi, op, _ = deltas.quiet(deltas._system, "tfim")
    compiled = deltas.quiet(op.compile)
    found = []

    def body(x):
        found.append(compiled.static_sites())
        return x

    mesh = Mesh(np.asarray(jax.devices()[:1]), ("S",))
    spec = PartitionSpec("S")
    x = np.zeros((2, hi.size), np.int8)
    jax.shard_map(body, mesh=mesh, in_specs=spec, out_specs=spec)(x)  # eager
    np.testing.assert_array_equal(found[0], compiled.static_sites())
    x = deltas.random_states("tfim", hi, (8,))
    kernel = _kernel_sites(compiled, x)
    np.testing.assert_array_equal(kernel, np.broadcast_to(found[0], kernel.shape))
