"""Physics models written with the DSL, compiled by symir, against NetKet's operators.

Transverse-field Ising, Heisenberg and Bose-Hubbard chains (open and periodic), on
NetKet Hilbert objects used directly as the DSL's hilbert: `compiled.to_dense()` equals
NetKet's matrix of the same operator (same basis order: `hilbert.all_states()`) to 1e-10,
and the static fan-out equals NetKet's `max_conn_size`.

Fan-out: symir's diagonal coalescing sums every identity-update branch into one slot, so
TFIM has `N + 1` (N flips + the diagonal) and Heisenberg `n_edges + 1` (one exchange per
bond + the diagonal), open or periodic. NetKet (3.23, `IsingJax` / `LocalOperatorJax`)
reports the same numbers on open and periodic chains alike, so equality is asserted
everywhere. Bose-Hubbard: `2 n_edges + 1` on both sides.

NetKet's dense matrices are taken with `symir.testing.dense_matrix` (one `get_conn_padded`
call of NetKet's JAX operator; its own `to_dense()` compiles a sparse assembly per shape,
and its Numba operators a JIT of seconds per class). The chains are the sizes where
something differs: the ring of 2 (a doubled bond), an odd ring (not bipartite: no sign
rule for Heisenberg), open chains, an even ring; each size beyond adds rows, not code.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import symir as sym
from symir.models import bose_hubbard, heisenberg, tfim
from symir.testing import assert_connections_match, dense_matrix

nk = pytest.importorskip("netket")

# (n, pbc): both chains of 2, the odd ring of 3 (also covers 5), open chains of 4 (also
# 3, 5, 6) and the even ring of 6 (also 4)
SPIN_SIZES = [(2, False), (2, True), (3, True), (4, False), (6, True)]
# (n, n_max, pbc): both n_max on rings and open chains, the ring of 2; the other sizes of
# range(2, 5) x (2, 3) x (open, periodic) add rows, not code
BH_SIZES = [(2, 2, True), (2, 3, False), (3, 3, True), (4, 2, False), (4, 3, True)]
TFIM = {"h": 0.7, "J": 1.3}
BH = {"U": 1.1, "V": 0.3, "J": 0.7, "mu": 0.2}


def chain(n: int, pbc: bool):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NetKet warns about periodic chains of length 2
        return nk.graph.Chain(n, pbc=pbc)


# --------------------------------------------------------------------------- models
# symir.models' builders (tfim, heisenberg, bose_hubbard), each equal to NetKet's operator


# --------------------------------------------------------------------------- checks


def assert_dense_equal(compiled, nk_op):
    h = compiled.to_dense()
    ref = dense_matrix(nk_op)
    assert h.shape == ref.shape
    np.testing.assert_allclose(h, ref, atol=1e-10, rtol=0)


@pytest.mark.parametrize("n,pbc", SPIN_SIZES)
def test_tfim(n, pbc):
    graph = chain(n, pbc)
    hi = nk.hilbert.Spin(0.5, n)
    compiled = tfim(hi, graph.edges()).compile().with_params(**TFIM)
    ising = nk.operator.Ising(hi, graph, **TFIM)
    assert_dense_equal(compiled, ising)
    assert compiled.max_conn_size == n + 1
    assert compiled.max_conn_size == ising.max_conn_size


@pytest.mark.parametrize("n,pbc", SPIN_SIZES)
def test_heisenberg(n, pbc):
    graph = chain(n, pbc)
    hi = nk.hilbert.Spin(0.5, n)
    compiled = heisenberg(hi, graph.edges()).compile()  # NetKet's sign rule: on if bipartite
    nk_op = nk.operator.Heisenberg(hi, graph)
    assert_dense_equal(compiled, nk_op)
    assert compiled.max_conn_size == len(graph.edges()) + 1
    assert compiled.max_conn_size == nk_op.max_conn_size


@pytest.mark.parametrize("n,pbc", [(3, True), (4, False)])
def test_heisenberg_without_sign_rule(n, pbc):
    # sign_rule=False on a bipartite chain (an override) and a non-bipartite ring
    graph = chain(n, pbc)
    hi = nk.hilbert.Spin(0.5, n)
    compiled = heisenberg(hi, graph.edges(), sign_rule=False).compile().with_params(J=0.6)
    nk_op = nk.operator.Heisenberg(hi, graph, J=0.6, sign_rule=False)
    assert_dense_equal(compiled, nk_op)


@pytest.mark.parametrize("n,n_max,pbc", BH_SIZES)
def test_bose_hubbard(n, n_max, pbc):
    graph = chain(n, pbc)
    hi = nk.hilbert.Fock(n_max, n)
    compiled = bose_hubbard(hi, graph.edges()).compile().with_params(**BH)
    nk_op = nk.operator.BoseHubbard(hi, graph, **BH)
    assert_dense_equal(compiled, nk_op)
    assert compiled.max_conn_size == 2 * len(graph.edges()) + 1
    assert compiled.max_conn_size == nk_op.max_conn_size


def test_tfim_longitudinal_field_basis_order():
    # TFIM and Heisenberg are invariant under the global flip x -> -x, which is exactly the
    # permutation between the increasing ([-1, 1]) and NetKet's ([1, -1]) Spin order; a
    # longitudinal field breaks it, so this checks that `to_dense` uses the NetKet
    # hilbert's own `all_states()` order.
    n = 3
    graph = chain(n, False)
    hi = nk.hilbert.Spin(0.5, n)
    op = tfim(hi, graph.edges()) + (
        sym.DOperator(hi, "hz")
        .for_each_site("i")
        .emit(sym.identity(), matrix_element=0.4 * sym.site("i"))
        .build()
    )
    compiled = op.compile().with_params(**TFIM)
    nk_op = nk.operator.Ising(hi, graph, **TFIM).to_local_operator() + sum(
        0.4 * nk.operator.spin.sigmaz(hi, i) for i in range(n)
    )
    assert_dense_equal(compiled, nk_op)


def test_get_conn_padded_against_netket():
    # branch sets (diagonal summed, zeros dropped) agree with NetKet's get_conn_padded
    n, graph = 4, chain(4, True)
    hi = nk.hilbert.Fock(2, n)
    compiled = bose_hubbard(hi, graph.edges()).compile().with_params(**BH)
    nk_op = nk.operator.BoseHubbard(hi, graph, **BH)
    assert_connections_match(compiled, nk_op, np.asarray(hi.all_states()))


# --------------------------------------------------------------------------- clock model


def clock_chain(hi, edges, *, J: float, f: float):
    """The 3-state quantum clock (Potts) chain written with emit_if chains:
    H = -J sum_<ij> (Z_i Z_j^dag + h.c.) - f sum_i (X_i + X_i^dag), where X is the cyclic
    shift |n> -> |n + 1 mod 3> and Z|n> = w^n |n>, so Z_i Z_j^dag + h.c. is 2 where
    n_i = n_j and -1 elsewhere. Each arm of a chain is one transition of X (or X^dag):
    the arms never fire together and share one slot per site."""
    n = sym.site("i")
    return (
        sym.DOperator(hi, "clock", hermitian=True)
        .for_each(("i", "j"), over=edges)
        .emit(
            sym.identity(),
            matrix_element=-J * sym.select(sym.site("i") == sym.site("j"), 2.0, -1.0),
        )
        .for_each_site("i")
        .emit_if(n == 0, sym.write("i", 1), matrix_element=-f)
        .emit_elseif(n == 1, sym.write("i", 2), matrix_element=-f)
        .emit_else(sym.write("i", 0), matrix_element=-f)
        .for_each_site("i")
        .emit_if(n == 0, sym.write("i", 2), matrix_element=-f)
        .emit_elseif(n == 1, sym.write("i", 0), matrix_element=-f)
        .emit_else(sym.write("i", 1), matrix_element=-f)
        .build()
    )


def netket_clock(hi, graph, *, J: float, f: float):
    w = np.exp(2j * np.pi / 3)
    z = np.diag([1.0, w, w**2])
    x = np.roll(np.eye(3), 1, axis=0)  # |n> -> |n + 1>
    zz = np.kron(z, z.conj().T)
    bond = -J * (zz + zz.conj().T)
    field = -f * (x + x.T)
    ops = [bond.real] * len(graph.edges()) + [field] * hi.size
    acting_on = [list(e) for e in graph.edges()] + [[i] for i in range(hi.size)]
    return nk.operator.LocalOperator(hi, ops, acting_on, dtype=np.float64)


def test_clock_chain_with_exclusive_emissions():
    n, pbc = 4, True  # (the open chain of 3 ran the same code: F is checked by formula)
    graph = chain(n, pbc)
    hi = nk.hilbert.Fock(n_max=2, N=n)
    op = clock_chain(hi, graph.edges(), J=0.8, f=0.45)
    reference = netket_clock(hi, graph, J=0.8, f=0.45).to_sparse().toarray()
    compiled = op.compile()
    np.testing.assert_allclose(compiled.to_dense(), reference, atol=1e-10)
    # the six arms per site take two slots, plus the diagonal: F = 2N + 1
    assert compiled.max_conn_size == 2 * n + 1
    unmerged = op.compile(merge_exclusive_emissions=False, enable_fusion=False)
    assert unmerged.max_conn_size == 6 * n + 1
    np.testing.assert_allclose(unmerged.to_dense(), reference, atol=1e-10)
    # fusion alone: the arms of X and X^dag that write the same value share a slot
    fused = op.compile(merge_exclusive_emissions=False)
    assert fused.max_conn_size == 3 * n + 1
    np.testing.assert_allclose(fused.to_dense(), reference, atol=1e-10)
