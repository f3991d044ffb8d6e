"""`branch.quadratic_form`'s matrix `A`: a constant up to `DENSE_MATRIX` entries (XLA does
not fold the one-hot product, which ran at every call: TFIM 10x10's kernel 0.35 -> 0.22
ms at 512 samples), built from the pairs past it; both give NetKet's matrix."""

from __future__ import annotations

import netket as nk
import numpy as np
import pytest

import symir.lowering.conversion.quadratic_form_lowering as quadratic_form_lowering
from symir import models
from symir.testing import dense_matrix


@pytest.mark.parametrize("limit", [quadratic_form_lowering.DENSE_MATRIX, 0])
def test_constant_and_one_hot_matrices_give_netkets_matrix(limit, monkeypatch):
    monkeypatch.setattr(quadratic_form_lowering, "DENSE_MATRIX", limit)
    graph = nk.graph.Square(3)
    hilbert = nk.hilbert.Spin(0.5, graph.n_nodes)
    compiled = models.tfim(hilbert, graph, h=0.7).compile(cache=False, diagonal_lowering="dense")
    text = compiled.stablehlo_text
    assert ("stablehlo.iota" in text) == (limit == 0)  # the one-hot rows only past the limit
    expected = dense_matrix(nk.operator.Ising(hilbert, graph, h=0.7))
    np.testing.assert_allclose(dense_matrix(compiled.to_netket()), expected, atol=1e-12, rtol=0)
