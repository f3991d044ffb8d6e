"""Passes run where the lit files do not put them (sweep 27): each registered pass, alone
and inside the operator's pipeline (`op.compile(pipeline=...)`, `symir-lower{after=...}`),
either lowers to a kernel that gives the operator's matrix or is refused with a
`SymbolicCompilerError` naming the stage. Each pass alone on every lit module and on its
lowered forms: tests/unit/test_fuzz_opt.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import symir as sym
from symir.interpreter import reference_to_dense
from symir.testing import dense_matrix

site = sym.site


def _tfim():
    spins = sym.Spin(0.5, 4)
    return (
        sym.DOperator(spins, "tfim")
        .for_each_site("i")
        .emit(sym.write("i", -site("i")), matrix_element=-0.5)
        .for_each(("i", "j"), over=[(0, 1), (1, 2), (2, 3)])
        .emit(sym.identity(), matrix_element=site("i") * site("j"))
        .build()
    )


@pytest.mark.parametrize(
    "pipeline",
    [
        "convert-sym-to-branch,branch-return-deltas,convert-branch-to-stablehlo",
        "symir-lower{after=branch-fuse-equal-states:branch-return-deltas}",
    ],
)
def test_a_pipeline_that_makes_a_delta_kernel_is_refused(pipeline):
    """`branch-return-deltas` inside the operator's pipeline compiled without a word: the
    kernel returned the written sites `(B, F, 1)` where the runtime reads `xp` `(B, F,
    N)`, and the first `get_conn_padded` raised JAX's bare `TypeError: cannot reshape
    array of shape (16, 8, 1) (size 128) into shape (16, 8, 4)`."""
    with pytest.raises(sym.SymbolicCompilerError, match=r"stage 'pipeline'.*delta kernel"):
        _tfim().compile(pipeline=pipeline, cache=False)


@pytest.mark.parametrize(
    "pipeline",
    [
        "convert-sym-to-branch,branch-differentiate,convert-branch-to-stablehlo",
        "symir-lower{after=branch-fuse-equal-states:branch-differentiate}",
        "convert-sym-to-branch,branch-sort-rows,branch-choose-lowering,cse,"
        "convert-branch-to-stablehlo,stablehlo-outline-constants{min_bytes=1}",
    ],
)
def test_other_branch_passes_inside_the_pipeline_give_the_operator(pipeline):
    """The kernel of a pipeline that adds derivative outputs, or leaves out the default
    lowering's choices, still gives the operator's matrix and its deltas."""
    op = _tfim()
    compiled = op.compile(pipeline=pipeline, cache=False)
    expected = reference_to_dense(op, hilbert=op.hilbert)
    np.testing.assert_allclose(dense_matrix(compiled), expected, atol=1e-12)
    x = np.array([[1, -1, 1, 1]], dtype=np.int8)
    sites, values, mels = compiled.get_conn_delta(x)
    xp, padded_mels = compiled.get_conn_padded(x)
    np.testing.assert_allclose(mels, padded_mels)
    rebuilt = np.repeat(x[:, None, :], xp.shape[1], axis=1)
    np.put_along_axis(rebuilt[0], np.asarray(sites[0]), np.asarray(values[0]), axis=1)
    np.testing.assert_array_equal(rebuilt, xp)
