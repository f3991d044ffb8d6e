"""NetKet conveniences on `SymbolicOperator` (issue 21, item 3): arithmetic with
scalars, `to_netket()`, `vstate.expect(op)` / `expect_and_grad(op)` on the symbolic
operator itself, `is_hermitian` established by the compiler, and the `repr`.

References: the dense matrices of the operators (identity added by numpy), NetKet's
expectation values with the compiled adapter on the same samples, and NetKet's
`FullSumState`.
"""

from __future__ import annotations

import numpy as np
import pytest

import symir as sym

nk = pytest.importorskip("netket")

site = sym.site
RING = [(i, (i + 1) % 4) for i in range(4)]
HI = nk.hilbert.Spin(0.5, 4)


def tfim(hi=HI, h=-1.0, **kw):
    return (
        sym.DOperator(hi, "tfim", **kw)
        .for_each_site("i")
        .emit(sym.write("i", -site("i")), matrix_element=h)
        .for_each(("i", "j"), over=RING)
        .emit(sym.identity(), matrix_element=site("i") * site("j"))
        .build()
    )


def heisenberg(hi=HI):
    return (
        sym.DOperator(hi, "heisenberg")
        .for_each(("i", "j"), over=RING)
        .emit(sym.identity(), matrix_element=site("i") * site("j"))
        .emit_if(site("i") != site("j"), sym.swap("i", "j"), 2.0)
        .build()
    )


@pytest.fixture(scope="module")
def op():
    return tfim()


@pytest.fixture(scope="module")
def dense(op):
    return op.to_netket().to_dense()


# --------------------------------------------------------------------------- scalars


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda op: op + 1.5, lambda d: d + 1.5 * np.eye(16)),
        (lambda op: 1.5 + op, lambda d: d + 1.5 * np.eye(16)),
        (lambda op: op - 2, lambda d: d - 2 * np.eye(16)),
        (lambda op: 2 - op, lambda d: 2 * np.eye(16) - d),
        (lambda op: 3 * op - 0.5, lambda d: 3 * d - 0.5 * np.eye(16)),
        (lambda op: op * 2 + np.float64(0.25), lambda d: 2 * d + 0.25 * np.eye(16)),
        (lambda op: op + 1j, lambda d: d + 1j * np.eye(16)),
        (lambda op: op + sym.symbol("E0", 0.75), lambda d: d + 0.75 * np.eye(16)),
    ],
    ids=["op+s", "s+op", "op-s", "s-op", "k*op-s", "numpy", "complex", "symbol"],
)
def test_scalar_arithmetic_is_a_diagonal_constant(op, dense, build, expected):
    shifted = build(op)
    assert isinstance(shifted, sym.SymbolicOperator)
    assert shifted.max_conn_size == op.max_conn_size  # the constant joins the diagonal
    np.testing.assert_allclose(shifted.to_netket().to_dense(), expected(dense), rtol=0, atol=1e-12)


def test_zero_and_sum_keep_the_operator(op):
    assert op + 0 is op and 0 + op is op
    assert sum([op, op]).to_ir().term_count == 4


def test_adding_a_non_scalar_is_a_type_error(op):
    with pytest.raises(TypeError):
        op + "1"
    with pytest.raises(TypeError):
        op + True


# --------------------------------------------------------------------------- NetKet


def test_to_netket_on_the_symbolic_operator(op):
    adapter = op.to_netket()
    assert isinstance(adapter, nk.operator.DiscreteJaxOperator)
    assert adapter.hilbert is HI and adapter.max_conn_size == 5
    assert op.to_netket() is adapter  # compiled once, kept
    qubits = op.to_netket(hilbert=nk.hilbert.Spin(0.5, 4))
    assert qubits is not adapter and qubits.hilbert == HI


@pytest.fixture(scope="module")
def mcstate():
    sampler = nk.sampler.MetropolisLocal(HI)
    vs = nk.vqs.MCState(sampler, nk.models.RBM(alpha=1), n_samples=64, seed=0)
    vs.n_discard_per_chain = vs.chain_length  # one compiled chain (its length is static)
    return vs


@pytest.mark.parametrize("chunk_size", [None, 32])
def test_vstate_expect_accepts_the_symbolic_operator(op, mcstate, chunk_size):
    mcstate.chunk_size = chunk_size
    ours, ref = mcstate.expect(op), mcstate.expect(op.to_netket())
    assert abs(ours.mean - ref.mean) < 1e-12 and np.isfinite(ours.mean)
    (e1, g1), (e2, g2) = mcstate.expect_and_grad(op), mcstate.expect_and_grad(op.to_netket())
    assert abs(e1.mean - e2.mean) < 1e-12
    for a, b in zip(_leaves(g1), _leaves(g2), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-12)


def _leaves(tree):
    import jax

    return jax.tree_util.tree_leaves(tree)


def test_full_sum_state_expect_accepts_the_symbolic_operator(op, dense):
    vstate = nk.vqs.FullSumState(HI, nk.models.RBM(alpha=1), seed=0)
    psi = np.asarray(vstate.to_array())
    exact = (psi.conj() @ dense @ psi) / (psi.conj() @ psi)
    assert abs(vstate.expect(op).mean - exact) < 1e-10
    assert abs(vstate.expect_and_grad(op)[0].mean - exact) < 1e-10


# --------------------------------------------------------------------------- hermiticity


def test_hermitian_proved_by_equal_kernels():
    # for every value of h; the ring's couplings read constant sites (`globally()`), so
    # that the check bond by bond does not apply and the kernels decide
    ring = sum(site(i) * site(j) for i, j in RING)
    op = (
        sym.DOperator(HI, "tfim")
        .for_each_site("i")
        .emit(sym.write("i", -site("i")), matrix_element=-sym.symbol("h", 1.0))
        .globally()
        .emit(sym.identity(), matrix_element=ring)
        .build()
    )
    assert op.is_hermitian and op.hermiticity[1].startswith("proved"), op.hermiticity
    assert op.to_netket().is_hermitian  # NetKet's expect_and_grad uses it
    bond_by_bond = tfim(h=-sym.symbol("h", 1.0))
    assert bond_by_bond.hermiticity[1].startswith("verified bond by bond for every value")


def test_hermitian_verified_state_by_state():
    op = heisenberg()  # its adjoint compiles to another kernel (x_j != x_i)
    assert op.is_hermitian and op.hermiticity[1].startswith("verified")


@pytest.mark.parametrize(
    ("build", "why"),
    [
        (lambda: tfim() + 1j, "not hermitian"),
        (
            lambda: (
                sym.DOperator(sym.Fock(2, 3), "b")
                .for_each_site("i")
                .emit(sym.shift("i", 1), matrix_element=1.0)
                .build()
            ),
            "not hermitian",
        ),
        (lambda: tfim(h=-sym.symbol("h", 1.0)) * sym.symbol("g", 1j), "not proved"),
        (
            lambda: (  # a space too large for the matrix (3^13 states): op.H is tried
                sym.DOperator(sym.Fock(2, 13), "a")
                .for_each_site("i")
                .emit(sym.affine("i", scale=2, bias=0), matrix_element=1.0)
                .build()
            ),
            "cannot be built",
        ),
    ],
    ids=["complex-constant", "raising", "parameter-times", "no-inverse"],
)
def test_not_hermitian_or_not_proved(build, why):
    op = build()
    assert not op.is_hermitian
    assert why in op.hermiticity[1]


def test_small_spaces_check_the_matrix_without_building_the_adjoint(monkeypatch):
    """On a space of at most `EXHAUSTIVE_STATES` states, an operator without parameters is
    checked on its matrix and `op.H` is never built: the adjoint of a product of general
    local operators (one emission per written pair of values) multiplies the emissions
    (a product of two dense two-site matrices on 27 states: 5,103 emissions, minutes to
    build and compile; `to_netket()` asked for it)."""
    from symir.frontend.operator import SymbolicOperator

    values = [-2, 0, 2]
    rng = np.random.default_rng(0)
    a = sym.DOperator(sym.Spin(1, 2), "a").for_each(("i", "j"), over=[(0, 1)])
    for u in values:
        for v in values:
            table = {10 * s + t: float(rng.normal()) for s in values for t in values}
            a = a.emit(
                sym.write("i", u).write("j", v),
                matrix_element=sym.lookup(table, 10 * sym.site("i") + sym.site("j")),
            )
    a = a.build()
    product = a @ a

    def no_adjoint(self):
        raise AssertionError("op.H was built")

    monkeypatch.setattr(SymbolicOperator, "H", property(no_adjoint))
    dense = np.asarray(product.compile().to_dense())
    assert not np.allclose(dense, dense.T)
    assert not product.is_hermitian
    assert product.hermiticity[1].startswith("not hermitian: the matrix differs")
    assert product.to_netket().is_hermitian is False


def test_declared_hermitian_is_kept():
    op = tfim(hermitian=True)
    assert op.is_hermitian and op.hermiticity[1].startswith("declared")


# --------------------------------------------------------------------------- repr


def test_repr_names_model_space_terms_and_fanout():
    op = tfim(hi=sym.Spin(0.5, 4))
    text = repr(op)
    assert text.startswith("SymbolicOperator('tfim' on 4 sites with local states [-1, 1], ")
    assert "2 term(s) [term0: 4 row(s) x 1 emission(s), term1: 4 row(s) x 1 emission(s)]" in text
    assert "F=" not in text
    op.compile()
    assert repr(op).endswith("dtype=float64, F=5)")
    assert "on Spin(s=1/2, N=4" in repr(tfim())
