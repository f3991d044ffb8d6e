"""When a quadratic form runs in f32 (lowering/branch/_exact_form.py, docs/cost-model.md):
the unit and integer coefficients against their definition, the 2^24 bound, and the
forms the compiler then builds against NetKet's operators."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from symir.lowering.branch._exact_form import F32_EXACT, exact_form


def test_units_of_typical_couplings():
    assert exact_form([1.0] * 6, [], (-1, 1)).pairs == (1,) * 6  # J on every bond
    j1j2 = exact_form([1.0, 0.5, 0.5], [], (-1, 1))
    assert (j1j2.unit, j1j2.pairs) == (0.5, (2, 1, 1))
    folded = exact_form([0.7, 0.7], [-0.7, 1.4], (0, 1))
    assert (folded.unit, folded.pairs, folded.linear) == (0.7, (1, 1), (-1, 2))
    apart = exact_form([0.5, 2.0], [-2.3], (0, 1, 2, 3))  # -2.3 is no multiple of 0.5
    assert apart.pairs == (1, 4) and apart.linear is None


def test_no_unit_or_too_large_sums_stay_f64():
    assert exact_form([0.1, 0.3], [], (0, 1)) is None  # their common unit is 2^-55
    assert exact_form([1.0, 0.0], [], (0, 1)) is None  # a zero weight: no unit
    assert exact_form([], [], (0, 1)) is None
    # 127^2 * 1041 > 2^24: an f32 sum could round
    assert exact_form([1.0] * 1041, [], (-127, 127)) is None
    assert exact_form([1.0] * 1040, [], (-127, 127)) is not None


weights = st.lists(
    st.integers(-64, 64).filter(bool).map(lambda k: k * 0.375), min_size=1, max_size=12
)


@given(weights, st.lists(st.integers(-8, 8).map(lambda k: k * 0.125), max_size=4))
def test_the_weights_are_the_unit_times_the_integers(ws, lin):
    form = exact_form(ws, lin, (-2, 0, 2))
    assert form is not None  # multiples of 0.125 at worst
    assert all(Fraction(w) == Fraction(form.unit) * k for w, k in zip(ws, form.pairs))
    if form.linear is not None:
        assert all(Fraction(w) == Fraction(form.unit) * k for w, k in zip(lin, form.linear))
    bound = 4 * sum(abs(k) for k in form.pairs) + 2 * sum(abs(k) for k in form.linear or ())
    assert bound < F32_EXACT


@pytest.mark.parametrize("J", [1.0, 0.7, -1.3])
def test_exact_forms_equal_netkets_ising(J):
    """TFIM with the diagonal a quadratic form, in f32 (one unit J): NetKet's matrix."""
    import warnings

    import netket as nk

    from symir import models

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = nk.graph.Triangular([3, 3], pbc=True)
    hi = nk.hilbert.Spin(0.5, graph.n_nodes)
    op = models.tfim(hi, graph, h=0.4, J=J).compile(diagonal_lowering="dense")
    assert "xf32>" in op.stablehlo_text
    ref = nk.operator.Ising(hi, graph, h=0.4, J=J).to_sparse().toarray()
    np.testing.assert_allclose(op.to_netket().to_dense(), ref, atol=1e-10, rtol=0)
