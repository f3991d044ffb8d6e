"""The operator product `a @ b` and the adjoint `op.H` / `op.T` / `op.conj()`
(symir/frontend/product.py): one operator, one kernel.

Every product's compiled dense matrix equals NetKet's matrix of the same product
(NetKet operators on the same Hilbert object) and the reference interpreter's, to 1e-10:
on the whole basis up to 32 states, on 16 of its rows (a fixed sample) beyond, where the
pure-Python interpreter would take seconds per operator. NetKet's matrices are taken with
`symir.testing.dense_matrix` (one `get_conn_padded` call; NetKet's own `to_dense` of its
JAX operators compiles a sparse assembly per shape, seconds each).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import symir as sym
from symir.errors import SymbolicDefinitionError
from symir.interpreter import reference_get_conn_padded, reference_to_dense
from symir.testing import dense_matrix

nk = pytest.importorskip("netket")

WHOLE_BASIS = 32  # the reference interpreter checks every row up to this many states
SAMPLED_ROWS = 16  # and this many rows (a fixed sample) of a larger basis


def dense(op) -> np.ndarray:
    return np.asarray(op.compile().to_dense())


def reference(op) -> np.ndarray:
    """The reference interpreter's matrix of a factor, in `op.hilbert.all_states()` order
    (the factors' matrices are the expected values' ingredients: only the products'
    kernels are compiled)."""
    return reference_to_dense(op, hilbert=op.hilbert)


def reference_rows(op, rows: np.ndarray) -> np.ndarray:
    """Rows `rows` of the reference interpreter's matrix in `op.hilbert.all_states()`
    order; a branch outside the basis raises (KeyError), as `reference_to_dense` does."""
    basis = np.asarray(op.hilbert.all_states())
    number = {tuple(s): k for k, s in enumerate(basis.tolist())}
    xp, mels = reference_get_conn_padded(op, basis[rows])
    out = np.zeros((len(rows), len(basis)), dtype=mels.dtype)
    for r, (states, values) in enumerate(zip(xp.tolist(), mels.tolist(), strict=True)):
        for s, m in zip(states, values, strict=True):
            out[r, number[tuple(s)]] += m
    return out


def check(op, expected: np.ndarray) -> None:
    """The kernel and the reference interpreter both give `expected` (the interpreter on
    a sample of rows beyond `WHOLE_BASIS` states)."""
    np.testing.assert_allclose(dense(op), expected, atol=1e-10, rtol=0)
    n = len(expected)
    if n <= WHOLE_BASIS:
        np.testing.assert_allclose(reference_to_dense(op, hilbert=op.hilbert), expected, atol=1e-10)
        return
    rows = np.sort(np.random.default_rng(n).choice(n, SAMPLED_ROWS, replace=False))
    np.testing.assert_allclose(reference_rows(op, rows), expected[rows], atol=1e-10)


def chain(n: int):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nk.graph.Chain(n, pbc=True)


def tfim(hi, edges, h=0.7, J=1.3):
    return (
        sym.DOperator(hi, "tfim", hermitian=True)
        .for_each_site("i")
        .emit(sym.write("i", -sym.site("i")), matrix_element=-h)
        .for_each(("i", "j"), over=edges)
        .emit(sym.identity(), matrix_element=J * sym.site("i") * sym.site("j"))
        .build()
    )


# --------------------------------------------------------------------------- products


def test_tfim_squared_equals_netket():
    # one ring (the 4-site ring ran the same code: F is checked by formula)
    n = 5
    g = chain(n)
    hi = nk.hilbert.Spin(0.5, n)
    op = tfim(hi, g.edges())
    ising = dense_matrix(nk.operator.Ising(hi, g, h=0.7, J=1.3))
    product = op @ op
    check(product, ising @ ising)
    # sigma^x_i @ sigma^x_i is the identity: its branches land on the coalesced diagonal
    # (F = 1 + N + N(N-1)/2, NetKet's count of distinct connected states)
    assert product.compile().max_conn_size == 1 + n + n * (n - 1) // 2


def test_flip_squared_is_diagonal():
    hi = nk.hilbert.Spin(0.5, 4)
    x = sym.DOperator(hi, "x").for_each_site("i").emit(sym.write("i", -sym.site("i"))).build()
    xx = x @ x
    check(xx, reference(x) @ reference(x))
    # the class i_a == i_b has the identity update (the coalesced diagonal); the rows
    # (i, j) and (j, i) of the other class flip the same two sites and are fused
    assert xx.compile().max_conn_size == 1 + 4 * 3 // 2


def bose_hubbard_parts(hi, edges):
    hop = (
        sym.DOperator(hi, "hop")
        .for_each(("i", "j"), over=edges)
        .emit_if(
            (sym.site("i") > 0) & (sym.site("j") < hi.n_max),
            sym.hop("i", "j"),
            -0.7 * sym.sqrt(sym.site("i") * (sym.site("j") + 1.0)),
        )
        .emit_if(
            (sym.site("j") > 0) & (sym.site("i") < hi.n_max),
            sym.hop("j", "i"),
            -0.7 * sym.sqrt(sym.site("j") * (sym.site("i") + 1.0)),
        )
        .build()
    )
    density = (
        sym.DOperator(hi, "density")
        .for_each_site("i")
        .emit(sym.identity(), 0.55 * sym.site("i") * (sym.site("i") - 1.0) - 0.2 * sym.site("i"))
        .build()
    )
    return hop, density


def netket_bose_hubbard_parts(hi, edges):
    from netket.operator.boson import create, destroy, number

    hop = sum(
        -0.7 * (create(hi, i) @ destroy(hi, j) + create(hi, j) @ destroy(hi, i)) for i, j in edges
    )
    density = sum(
        0.55 * number(hi, i) @ (number(hi, i) - 1.0) - 0.2 * number(hi, i) for i in range(hi.size)
    )
    return hop, density


def test_hopping_and_density_products_equal_netket():
    # one space (Fock(2, 4) ran the same code on 81 states: every product below meets
    # the occupation bound n_max, the intermediate states of hop @ hop too)
    n, n_max = 3, 3
    hi = nk.hilbert.Fock(n_max=n_max, N=n)
    edges = chain(n).edges()
    hop, density = bose_hubbard_parts(hi, edges)
    nk_hop, nk_density = netket_bose_hubbard_parts(hi, edges)
    # NetKet's matrices of the factors, multiplied (what NetKet's `@` of local operators
    # on the truncated space gives, without its slow product of LocalOperators)
    h, d = dense_matrix(nk_hop), dense_matrix(nk_density)
    check(hop, h)
    check(density, d)
    # the two orders differ (hopping and density do not commute)
    check(hop @ density, h @ d)
    check(density @ hop, d @ h)
    # hopping twice: intermediate states leave the allowed occupations only where the
    # first hop does (those branches are dropped), shifts cancel back to the diagonal
    check(hop @ hop, h @ h)


def complex_pair(hi, edges):
    """O = sum (1 + 0.5i) s+_i s-_j + 0.3i Z_i, and its conjugate transpose by hand."""
    c = 1 + 0.5j
    o = (
        sym.DOperator(hi, "o")
        .for_each(("i", "j"), over=edges)
        .emit_if((sym.site("i") == 1) & (sym.site("j") == -1), sym.swap("i", "j"), c)
        .for_each_site("i")
        .emit(sym.identity(), 0.3j * sym.site("i"))
        .build()
    )
    o_dag = (
        sym.DOperator(hi, "o_dag")
        .for_each(("i", "j"), over=edges)
        .emit_if((sym.site("i") == -1) & (sym.site("j") == 1), sym.swap("i", "j"), c.conjugate())
        .for_each_site("i")
        .emit(sym.identity(), -0.3j * sym.site("i"))
        .build()
    )
    from netket.operator.spin import sigmam, sigmap, sigmaz

    o_nk = sum(c * sigmap(hi, i) @ sigmam(hi, j) for i, j in edges) + sum(
        0.3j * sigmaz(hi, i) for i in range(hi.size)
    )
    return o, o_dag, o_nk


def test_complex_operator_times_its_conjugate_transpose():
    n = 4  # (the 3-site ring ran the same code)
    hi = nk.hilbert.Spin(0.5, n)
    o, o_dag, o_nk = complex_pair(hi, chain(n).edges())
    # NetKet's adjoint, made concrete (its lazy `.H` has no get_conn_padded)
    o_nk_dense, o_nk_dag = dense_matrix(o_nk), dense_matrix(o_nk.H.collect())
    check(o, o_nk_dense)
    check(o_dag, o_nk_dag)
    expected = o_nk_dense @ o_nk_dag
    check(o @ o_dag, expected)
    check(o @ o.H, expected)
    check(o.H @ o, o_nk_dag @ o_nk_dense)
    assert (o @ o_dag).dtype == "complex128"


def test_sum_operands_and_scalars():
    n = 4
    hi = nk.hilbert.Spin(0.5, n)
    g = chain(n)
    x = sym.DOperator(hi, "x").for_each_site("i").emit(sym.write("i", -sym.site("i"))).build()
    zz = (
        sym.DOperator(hi, "zz")
        .for_each(("i", "j"), over=g.edges())
        .emit(sym.identity(), sym.site("i") * sym.site("j"))
        .build()
    )
    s = 0.5 * x + zz
    assert isinstance(s, sym.SymbolicOperatorSum)
    dx, dzz = reference(x), reference(zz)
    ds = 0.5 * dx + dzz
    check(s @ zz, ds @ dzz)
    check(zz @ s, dzz @ ds)
    check((s @ s) @ x, ds @ ds @ dx)


def test_predicates_of_the_second_factor_read_the_intermediate_state():
    """`b`'s `where`, emission predicates and `site(...)` see the state after `a`."""
    hi = nk.hilbert.Fock(n_max=2, N=3)
    a = (
        sym.DOperator(hi, "a")
        .for_each(("i", "j"), over=[(0, 1), (1, 2)])
        .emit(sym.hop("i", "j"), sym.site("i") + 0.5 * sym.emitted("j"))
        .build()
    )
    b = (
        sym.DOperator(hi, "b")
        .for_each_site("k")
        .where(sym.site("k") > 0)
        .emit_if(sym.site("k") == 2, sym.shift("k", -2), 1.5 + sym.emitted("k"))
        .emit_elseif(sym.site(0) == 1, sym.write("k", 2), 0.25 * sym.site("k"))
        .emit_else(sym.identity(), 3.0 * sym.site("k"))
        .build()
    )
    da, db = reference(a), reference(b)
    check(a @ b, da @ db)
    check(b @ a, db @ da)
    check(a @ a @ b, da @ da @ db)


def _fermion_hops(name: str, pairs) -> sym.SymbolicOperator:
    # rows of labels: the Jordan-Wigner sign of a factor is parity(count(0, i)), a count
    # of the configuration the factor acts on
    return (
        sym.DOperator(sym.Fermions(4), name)
        .for_each(("i", "j"), over=pairs)
        .emit(sym.cdag("i") * sym.c("j"), matrix_element=1.0)
        .build()
    )


def test_counts_of_the_second_factor_and_of_an_adjoint_see_the_written_sites():
    # the first factor's hop writes sites inside the second factor's Jordan-Wigner string
    # (and inside the adjoint's): both must count on the state they act on
    from netket.operator.fermion import create, destroy

    nk_hi = nk.hilbert.SpinOrbitalFermions(4)
    a_pairs, b_pairs = [(0, 3), (3, 0)], [(1, 2), (2, 1), (0, 1)]
    a, b = _fermion_hops("a", a_pairs), _fermion_hops("b", b_pairs)
    ref_a = sum(create(nk_hi, i) @ destroy(nk_hi, j) for i, j in a_pairs)
    ref_b = sum(create(nk_hi, i) @ destroy(nk_hi, j) for i, j in b_pairs)
    check(a @ b, dense_matrix(ref_a @ ref_b))
    check(b @ a, dense_matrix(ref_b @ ref_a))
    check(b.H, dense_matrix(ref_b).conj().T)
    # sym.count in a matrix element, after a write of the first factor
    hi = sym.Fock(2, 3)
    shift = (
        sym.DOperator(hi, "shift")
        .for_each_site("i")
        .emit(sym.shift("i", 1), matrix_element=sym.count(0, 2) + 1.0)
        .build()
    )
    counted = (
        sym.DOperator(hi, "cnt")
        .globally()
        .emit(sym.identity(), matrix_element=sym.count(0, 2) * 1.0)
        .build()
    )
    s, c = reference(shift), reference(counted)
    check(shift @ counted, s @ c)
    check(shift.H, s.conj().T)


def test_conditional_updates_invalidate_and_constant_sites():
    hi = nk.hilbert.Fock(n_max=2, N=3)
    a = (
        sym.DOperator(hi, "a")
        .for_each_site("i")
        .emit(
            sym.cond(
                sym.site("i") == 0,
                sym.write("i", 2),
                sym.Update().shift(0, 1).when(sym.site(1) == 2, sym.invalidate()),
            ),
            1.0 + sym.site("i") - sym.emitted(0),
        )
        .globally()
        .emit(sym.swap(0, 2), 0.5)
        .build()
    )
    b = (
        sym.DOperator(hi, "b")
        .for_each(("i", "j"), over=[(0, 1), (2, 0), (1, 1)])
        .emit(sym.swap("i", "j").shift("j", -1), sym.site("j") * 2.0 + sym.emitted("i"))
        .build()
    )
    da, db = reference(a), reference(b)
    check(a @ b, da @ db)
    check(b @ a, db @ da)


def test_tags_are_joined():
    hi = nk.hilbert.Spin(0.5, 2)
    a = sym.DOperator(hi, "a").globally().emit(sym.write(0, -sym.site(0)), tag="f").build()
    b = sym.DOperator(hi, "b").globally().emit(sym.identity(), 2.0).build()
    assert (a @ b).terms[0].emissions[0].tag == "f"
    check(a @ b, reference(a) @ reference(b))


# --------------------------------------------------------------------------- adjoint


def test_adjoint_of_non_hermitian_operators():
    hi = nk.hilbert.Fock(n_max=3, N=3)
    op = (
        sym.DOperator(hi, "nh")
        .for_each(("i", "j"), over=[(0, 1), (1, 2), (2, 0)])
        .where(sym.site("i") + sym.site("j") < 5)
        .emit(sym.hop("i", "j"), (1.0 + 0.25j) * sym.site("i") + sym.emitted("j"))
        .for_each_site("i")
        .emit(sym.shift_mod("i", 1), 0.5j + sym.site("i"))
        .emit(sym.identity(), 0.1j * sym.site("i"))
        .globally()
        .emit(sym.permute(0, 1, 2), 2.0 - 1j)
        .build()
    )
    d = reference(op)
    assert not np.allclose(d, d.conj().T)
    check(op.H, d.conj().T)
    check(op.T, d.T)
    check(op.conj(), d.conj())
    check(op.H.H, d)


def test_adjoint_of_flips_and_affine_on_spins():
    hi = nk.hilbert.Spin(1.0, 3)
    op = (
        sym.DOperator(hi, "s")
        .for_each_site("i")
        .emit(sym.affine("i", scale=-1, bias=0), 1j * sym.site("i") + 0.5)
        .emit(sym.write("i", 2 - sym.site("i")), sym.emitted("i") * 0.75)
        .for_each(("i", "j"), over=[(0, 1), (1, 2)])
        .emit(sym.swap("i", "j").shift("i", 2), sym.site("j") - 0.3j)
        .build()
    )
    d = reference(op)
    check(op.H, d.conj().T)
    check(op @ op.H, d @ d.conj().T)


def test_real_hermitian_adjoint_keeps_the_flag():
    hi = nk.hilbert.Spin(0.5, 4)
    op = tfim(hi, chain(4).edges())
    assert op.H.is_hermitian
    check(op.H, reference(op))
    assert op.conj() is op


@pytest.mark.parametrize(
    "update, message",
    [
        (sym.write(0, sym.site(1)), "not a bijection"),
        (
            sym.cond(sym.site(0) == 1, sym.write(0, -1)),
            "cannot invert an update program with `cond`",
        ),
        (sym.invalidate(), "with `invalidate`"),
        (sym.affine(0, scale=2, bias=0), "cannot invert the update"),
    ],
)
def test_adjoint_refuses_what_it_cannot_invert(update, message):
    hi = sym.Spin(0.5, 2)
    op = sym.DOperator(hi, "bad").globally().emit(update).build()
    with pytest.raises(SymbolicDefinitionError, match=message):
        _ = op.H


def test_dynamic_sites_are_refused_where_they_may_alias_a_written_site():
    hi = sym.Fock(2, 3)
    a = sym.DOperator(hi, "a").for_each_site("i").emit(sym.shift("i", 1)).build()
    b = (
        sym.DOperator(hi, "b")
        .globally()
        .emit(sym.identity(), sym.site(sym.source_index(0)))
        .build()
    )
    with pytest.raises(SymbolicDefinitionError, match="depends on the configuration"):
        _ = a @ b
    # where nothing is written first, a dynamic read is fine
    check(b @ a, reference_to_dense(b) @ reference_to_dense(a))


def test_product_errors():
    a = sym.DOperator(sym.Spin(0.5, 2), "a").globally().emit().build()
    b = sym.DOperator(sym.Spin(0.5, 3), "b").globally().emit().build()
    with pytest.raises(ValueError, match="different Hilbert spaces"):
        _ = a @ b
    with pytest.raises(TypeError):
        _ = a @ 2
    # a product of no active branch is the zero operator, as `dead` itself is
    # (test_operator_sweep24.py checks its matrices)
    dead = sym.DOperator(sym.Spin(0.5, 2), "dead").globally().emit(sym.invalidate()).build()
    assert (a @ dead).compile().max_conn_size == 1


def test_shared_subexpressions_are_walked_and_renamed_once():
    """A product renames each factor's labels and walks its expressions for sites. The
    symmetry slots' select chains share subexpressions at every level (a DAG); walked or
    renamed as a tree they cost 2^depth nodes (`mh @ op` took 80 s at 8 spin orbitals).
    Each distinct node is visited once, and the renamed expression keeps the sharing."""
    from symir.frontend.expr import Expr
    from symir.frontend.product import _rename, walk

    e = Expr("label", "i")
    for _ in range(20):
        e = Expr("add", e, e)
    visited = []
    walk(e, visited.append)
    assert len(visited) == 21
    renamed = _rename(e, {"i": "a_i"})
    node = renamed
    for _ in range(20):
        assert node.op == "add" and node.args[0] is node.args[1]
        node = node.args[0]
    assert node.op == "label" and node.args == ("a_i",)
