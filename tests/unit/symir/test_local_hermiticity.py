"""Hermiticity verified bond by bond (symir/frontend/local_hermiticity.py): a claim is
never wrong (random operators against their dense matrices), and the hand-written
models it is for are established hermitian, as NetKet's `LocalOperator` decides."""

from __future__ import annotations

import numpy as np
import pytest

import symir as sym
from symir.frontend.local_hermiticity import verified_locally
from symir.interpreter import reference_to_dense
from symir.testing import assert_same_expect_and_grad

nk = pytest.importorskip("netket")

site = sym.site


def _exchange(space, edges, up=2.0, down=2.0):
    return (
        sym.DOperator(space, "exchange")
        .for_each(("i", "j"), over=edges)
        .emit(sym.identity(), matrix_element=site("i") * site("j"))
        .emit_if((site("i") < 0) & (site("j") > 0), sym.swap("i", "j"), up)
        .emit_if((site("i") > 0) & (site("j") < 0), sym.swap("i", "j"), down)
        .build()
    )


def test_a_hand_written_heisenberg_model_on_16_sites_takes_netkets_gradient():
    """Written by hand and not declared, on 2^16 states: its adjoint compiles to another
    kernel and the space is too large to check state by state, so it was "not proved"
    and NetKet's `expect_and_grad` refused it. Verified bond by bond, it takes NetKet's
    hermitian gradient, equal to NetKet's own `Heisenberg`."""
    graph = nk.graph.Chain(16, pbc=True)
    space = nk.hilbert.Spin(0.5, 16)
    op = _exchange(space, graph.edges())
    hermitian, how = op.hermiticity
    assert hermitian and how.startswith("verified bond by bond"), how
    reference = nk.operator.Heisenberg(space, graph, sign_rule=False)
    sampler = nk.sampler.MetropolisLocal(space, n_chains=4)
    state = nk.vqs.MCState(sampler, nk.models.RBM(alpha=1, param_dtype=float), n_samples=32)
    assert_same_expect_and_grad(state, op.to_netket(), reference, atol=1e-10)


def test_what_bond_by_bond_does_not_claim():
    """Not hermitian, or not a sum of local operators it can check: None (the other
    rules decide), never a claim."""
    space = sym.Spin(0.5, 12)
    ring = [(i, (i + 1) % 12) for i in range(12)]
    unequal = _exchange(space, ring, up=2.0, down=2.1)
    one_way = (
        sym.DOperator(space, "one_way")
        .for_each(("i", "j"), over=ring)
        .emit_if((site("i") < 0) & (site("j") > 0), sym.swap("i", "j"), 1.0)
        .for_each(("i", "j"), over=[(i, (i + 2) % 12) for i in range(12)])
        .emit_if((site("i") > 0) & (site("j") < 0), sym.swap("i", "j"), 1.0)
        .build()
    )  # each half's rows act on other sites: not hermitian
    by_site = (
        sym.DOperator(space, "by_site")
        .for_each(("i", "j"), over=ring)
        .emit_if((site("i") < 0) & (site("j") > 0), sym.swap("i", "j"), 1.0)
        .emit_if(
            (site("i") > 0) & (site("j") < 0),
            sym.swap("i", "j"),
            1.0 + 0.01 * sym.select(site("i").index == 3, 1.0, 0.0),
        )
        .build()
    )  # the site number read as a value: only row (3, 4) is not hermitian
    two_parameters = _exchange(space, ring, up=sym.symbol("J", 1.0), down=sym.symbol("K", 1.0))
    mixed = (
        sym.DOperator(space, "mixed")
        .for_each_site("i")
        .emit(sym.write("i", -site("i")), sym.symbol("h", 1.0) + site("i"))
        .build()
    )  # a parameter that is not a factor of the element
    constant_site = (
        sym.DOperator(space, "global")
        .globally()
        .emit(sym.write(0, -site(0)), 0.5 * site(3))
        .build()
    )
    not_a_number = (
        sym.DOperator(sym.Fock(2, 10), "nan")
        .for_each_site("i")
        .emit(sym.identity(), sym.sqrt(site("i") - 1.0))
        .build()
    )  # NaN at x_i = 0, which compares as no difference
    for op in (unequal, one_way, by_site, two_parameters, mixed, constant_site, not_a_number):
        assert verified_locally(op) is None, op.name
    for op in (unequal, one_way, by_site, two_parameters):
        assert not op.hermiticity[0], op.name


def test_rows_read_as_numbers_are_checked_one_by_one():
    """A long-range exchange `1 / |i - j|` over every pair: its rows' local matrices
    differ, each is checked on its own sites."""
    space = sym.Spin(0.5, 10)
    distance = abs(site("i").index - site("j").index)
    op = (
        sym.DOperator(space, "long_range")
        .for_each_distinct_pair("i", "j")
        .emit(sym.identity(), matrix_element=site("i") * site("j") / distance)
        .emit_if(site("i") != site("j"), sym.swap("i", "j"), 0.5 / distance)
        .build()
    )
    how = verified_locally(op)
    assert how is not None and "45 groups" in how
    # a constant is a row on no site: the identity times it, hermitian where it is real
    assert verified_locally(op - 2.5) is not None
    assert verified_locally(op + 1j) is None


def test_parameters_that_are_factors_are_checked_for_every_value():
    """The exchange and a bosonic hopping with their couplings parameters: the emissions
    of each product of parameters are checked alone, so for every value."""
    j = sym.symbol("J", 0.7)
    spins = sym.Spin(0.5, 16)
    ring = [(i, (i + 1) % 16) for i in range(16)]
    exchange = _exchange(spins, ring, up=2 * j, down=j * 2.0)
    bosons = sym.Fock(3, 12)
    bonds = [(i, (i + 1) % 12) for i in range(12)]
    hopping = (
        sym.DOperator(bosons, "hopping")
        .for_each(("i", "j"), over=bonds)
        .emit(sym.hop("j", "i"), -j * sym.sqrt(sym.emitted("i") * site("j")))
        .emit(sym.hop("i", "j"), -j * sym.sqrt(sym.emitted("j") * site("i")))
        .emit(sym.identity(), sym.symbol("U", 4.0) / 2 * site("i") * (site("i") - 1))
        .build()
    )
    for op in (exchange, hopping):
        hermitian, how = op.hermiticity
        assert hermitian and how.startswith("verified bond by bond for every value"), how


def _random_operator(rng):
    """A random operator of one to two terms on 4 sites: spins or bosons, sites, bonds
    or pairs, writes, swaps, shifts, predicates, complex and site-dependent elements,
    real parameters `J` and `K` as factors."""
    space = sym.Spin(0.5, 4) if rng.random() < 0.5 else sym.Fock(2, 4)
    low, high = min(space.local_states), max(space.local_states)
    builder = sym.DOperator(space, "random")
    for _ in range(rng.integers(1, 3)):
        kind = rng.integers(0, 4)
        if kind == 0:
            builder, labels = builder.for_each_site("i"), ["i"]
        elif kind == 1:
            step = 1 if rng.random() < 0.7 else 2
            rows = [(i, (i + step) % 4) for i in range(4)]
            builder, labels = builder.for_each(("i", "j"), over=rows), ["i", "j"]
        elif kind == 2:
            builder, labels = builder.for_each_distinct_pair("i", "j"), ["i", "j"]
        else:
            builder, labels = builder.for_each_pair("i", "j"), ["i", "j"]
        for _ in range(rng.integers(1, 4)):
            a, b = (labels[rng.integers(0, len(labels))] for _ in range(2))
            j, k = sym.symbol("J", 0.7), sym.symbol("K", -0.4)
            amplitude = [1.0, 0.5j, site(a) * 0.3, 1.0 + 0.1 * site(a).index, 0.7, j]
            amplitude += [0.5 * k, -j * site(a), 1j * j * k, sym.sqrt(j * j + 1.0)]
            update = [
                sym.identity(),
                sym.write(a, high if low == -1 else 1),
                sym.shift_mod(a, 1) if low == 0 else sym.write(a, -site(a)),
                sym.swap(a, b) if a != b else sym.identity(),
                sym.write(a, -site(a)) if low == -1 else sym.shift(a, 1),
            ]
            predicate = [None, site(a) > low, site(a) != site(b), site(a) == high]
            me = amplitude[rng.integers(0, len(amplitude))]
            u = update[rng.integers(0, len(update))]
            p = predicate[rng.integers(0, len(predicate))]
            builder = builder.emit(u, me) if p is None else builder.emit_if(p, u, me)
    return builder.build()


def test_a_claim_is_never_wrong_on_random_operators():
    """Random operators and their sums with their adjoints: where bond by bond claims
    hermitian, the dense matrix is, at the parameters' defaults and at two random values
    (to 1e-12 of its largest element, or of 1 where the elements cancel to rounding);
    most of the hermitian ones are claimed."""
    rng = np.random.default_rng(30)
    claims = hermitian_cases = 0
    for _ in range(24):
        op = _random_operator(rng)
        for candidate in (op, op + op.H):
            text = str(candidate.to_ir())
            names = {n for n in ("J", "K") if f'sym.param "{n}"' in text}
            hermitian = True
            for values in ({}, *({n: float(rng.normal()) for n in names} for _ in range(2))):
                matrix = reference_to_dense(candidate, params=values)
                scale = max(float(np.abs(matrix).max()), 1.0)
                hermitian &= float(np.abs(matrix - matrix.conj().T).max()) <= 1e-12 * scale
            hermitian_cases += hermitian
            if verified_locally(candidate) is not None:
                claims += 1
                assert hermitian, candidate.terms
    assert claims >= 0.7 * hermitian_cases > 0, (claims, hermitian_cases)


def test_shared_subexpressions_are_walked_once():
    """A matrix element whose subexpressions are shared by several parents (`e =
    select(e > 0.5, e, 0.5 * e)`, 16 times: about 50 nodes, 3^16 paths): the checks walked it
    as a tree and bound its labels by copying it (3 s at depth 10, 15 s for `_bound`
    alone at 12); they now visit each node once and keep it shared. A product squared
    again and again (`e = e * e`) is not split past `MAX_FACTORS` factors."""
    e = site("i") * 1.0
    for _ in range(16):
        e = sym.select(e > 0.5, e, e * 0.5)
    shared = sym.DOperator(sym.Spin(0.5, 4), "shared").for_each_site("i").emit(sym.identity(), e)
    assert verified_locally(shared.build()) is not None
    squared = sym.symbol("J", 1.0) * site("i")
    for _ in range(8):
        squared = squared * squared  # 256 factors
    powers = sym.DOperator(sym.Spin(0.5, 4), "powers").for_each_site("i")
    assert verified_locally(powers.emit(sym.identity(), squared).build()) is None
