"""Hermiticity of products, sums and adjoints (issue 24), symir/frontend/hermiticity.py.

- Structural proofs: `a @ a` (a hermitian), `a @ a.H`, `a.H @ a`, `a + a.H`, sums of
  hermitian parts, real multiples; everything else unmarked with its reason.
- Soundness: every operator marked hermitian here has a hermitian dense matrix, and
  the marked products equal NetKet's products of NetKet's own operators.
- The NetKet adapter: NetKet's own `test_is_hermitian` procedure (get_conn of x, then
  of each connected x', whose first match must hold the conjugate element) passes on
  TFIM @ TFIM, which needs equal connected states summed and residues of cancelling
  terms dropped (`NetKetOperator.mel_cutoff`); `expect_and_grad(a @ a)` runs.
"""

from __future__ import annotations

import warnings

import jax
import numpy as np
import pytest

import symir as sym
from symir import models
from symir.testing import dense_matrix

nk = pytest.importorskip("netket")

N = 4
EDGES = [(i, (i + 1) % N) for i in range(N)]


@pytest.fixture(scope="module")
def hi():
    return nk.hilbert.Spin(0.5, N)


@pytest.fixture(scope="module")
def tfim(hi):
    return (
        sym.DOperator(hi, "tfim", hermitian=True)
        .for_each_site("i")
        .emit(sym.write("i", -sym.site("i")), matrix_element=-0.7)
        .for_each(("i", "j"), over=EDGES)
        .emit(sym.identity(), matrix_element=1.3 * sym.site("i") * sym.site("j"))
        .build()
    )


@pytest.fixture(scope="module")
def zz(hi):
    return (
        sym.DOperator(hi, "zz", hermitian=True)
        .for_each(("i", "j"), over=EDGES)
        .emit(sym.identity(), matrix_element=sym.site("i") * sym.site("j"))
        .build()
    )


@pytest.fixture(scope="module")
def raising(hi):
    """sum_i (1 + 0.5 i) sigma^+_i, a complex non-hermitian operator with a provable
    adjoint (a flip under a predicate)."""
    return (
        sym.DOperator(hi, "raise")
        .for_each_site("i")
        .emit_if(sym.site("i") == -1, sym.write("i", 1), matrix_element=1 + 0.5j)
        .build()
    )


def dense(op):
    return sym.to_netket(op).to_dense()


def test_products_of_an_operator_and_its_adjoint(tfim, raising):
    assert (tfim @ tfim).is_hermitian
    assert "square of the hermitian 'tfim'" in (tfim @ tfim).hermitian_reason
    for op in (raising @ raising.H, raising.H @ raising, tfim @ tfim.H, tfim.H @ tfim):
        assert op.is_hermitian, op.hermitian_reason
        assert "adjoint" in op.hermitian_reason
        assert op.to_ir().is_hermitian and op.compile().is_hermitian
        assert sym.to_netket(op).is_hermitian
        d = dense(op)
        np.testing.assert_allclose(d, d.conj().T, atol=1e-12)
    assert not raising.is_hermitian and not raising.H.is_hermitian
    # the dense matrices of the products are the products of the dense matrices
    r = dense(raising)
    np.testing.assert_allclose(dense(raising @ raising.H), r @ r.conj().T, atol=1e-12)


def test_unproved_products_keep_their_reason(tfim, zz, raising):
    op = tfim @ zz
    assert not op.is_hermitian
    assert "commute, which is not proved" in op.hermitian_reason
    rr = raising @ raising
    assert not rr.is_hermitian
    assert "'raise' is not marked hermitian" in rr.hermitian_reason
    d = dense(rr)
    assert not np.allclose(d, d.conj().T)  # rightly unmarked
    assert not (raising @ tfim).is_hermitian


def test_sums_and_scalars(tfim, zz, raising):
    assert (tfim + zz).is_hermitian
    assert (raising + raising.H).is_hermitian
    assert (raising.H + tfim + raising).is_hermitian
    assert "paired with their adjoints" in (raising + raising.H).hermitian_reason
    d = dense(raising + raising.H)
    np.testing.assert_allclose(d, d.conj().T, atol=1e-12)
    s = raising + raising
    assert not s.is_hermitian and "no other part is its adjoint" in s.hermitian_reason
    assert (2.5 * tfim).is_hermitian and "real multiple" in (2.5 * tfim).hermitian_reason
    assert not (1j * tfim).is_hermitian and "not a real number" in (1j * tfim).hermitian_reason
    assert tfim.H.is_hermitian and "adjoint of the hermitian" in tfim.H.hermitian_reason
    assert "declared hermitian" in tfim.hermitian_reason
    assert "not declared hermitian" in raising.hermitian_reason


def test_numpy_complex64_factors_are_not_real(tfim):
    """numpy's complex64 is no Python `complex`: `tfim * np.complex64(1j)` (and `/`) was
    marked "a real multiple" of the hermitian TFIM, and its kernel claimed
    `is_hermitian` (NetKet then takes the hermitian formula for gradients)."""
    for scaled in (tfim * np.complex64(1j), tfim / np.complex64(1j), np.complex64(1j) * tfim):
        assert not scaled.is_hermitian and "not a real number" in scaled.hermitian_reason
        assert not scaled.compile().is_hermitian
        d = dense(scaled)
        assert abs(d - d.conj().T).max() > 1.0  # i H is anti-hermitian
    assert (tfim * np.float32(2.0)).is_hermitian


def test_products_match_netket(hi, tfim):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ising = nk.operator.Ising(hi, nk.graph.Chain(N), h=0.7, J=1.3)
    ref = ising.to_sparse().toarray()  # scipy (its to_dense compiles a jax kernel)
    np.testing.assert_allclose(dense(tfim @ tfim), ref @ ref, atol=1e-10)


def _netket_is_hermitian_check(op, hi):
    """NetKet 3.23's `test_is_hermitian` (test/operator/test_operator.py), as it runs on
    its own operators: get_conn of random states, then of each connected state, whose
    first match must hold the conjugate matrix element."""

    def nonzero_conn(s):
        sp, mels = op.get_conn(s)
        return sp[mels != 0, :], mels[mels != 0]

    rng = nk.jax.PRNGSeq(20)
    for rstate in np.asarray(hi.random_state(rng.next(), 30)):
        rstatet, mels = nonzero_conn(rstate)
        for k, state in enumerate(rstatet):
            invstates, mels1 = nonzero_conn(state)
            found = False
            for kp, invstate in enumerate(invstates):
                if np.array_equal(rstate, invstate.flatten()):
                    found = True
                    np.testing.assert_allclose(mels1[kp], np.conj(mels[k]))
                    break
            assert found


def test_netket_hermiticity_check_on_tfim_squared(hi, tfim, raising):
    op = sym.to_netket(tfim @ tfim)
    assert op.is_hermitian
    _netket_is_hermitian_check(op, hi)
    _netket_is_hermitian_check(sym.to_netket(raising @ raising.H), hi)
    # the residues the kernel leaves where terms cancel (its own to_dense sums them as
    # they come) are below the cutoff and dropped by the adapter, exactly 0 there
    raw = (tfim @ tfim).compile().to_dense()
    d = op.to_dense()
    assert np.all(d[np.abs(raw) <= op.mel_cutoff] == 0)
    np.testing.assert_allclose(d, raw, atol=1e-12)
    # a cutoff set on the instance survives a rebuild from the pytree's leaves
    op.mel_cutoff = 0.0
    rebuilt = jax.tree.map(lambda a: a, op)
    assert rebuilt.mel_cutoff == 0.0 and "mel_cutoff" not in vars(
        jax.tree.map(abs, sym.to_netket(tfim))
    )
    np.testing.assert_array_equal(rebuilt.to_dense(), op.to_dense())


def test_merge_connected():
    from symir.integrations.netket import merge_connected

    x = np.array([[1, 1], [1, -1]], dtype=np.int8)
    xp = np.array([[[1, -1], [1, -1], [1, 1]], [[1, 1], [1, -1], [-1, -1]]], dtype=np.int8)
    mels = np.array([[0.5, 0.25, 1e-12], [0.1, 2.0, -0.1]])
    out, m = merge_connected(x, xp, mels, 1e-10)
    assert m.tolist() == [[0.75, 0.0, 0.0], [0.1, 2.0, -0.1]]
    assert out[0].tolist() == [[1, -1], [1, 1], [1, 1]]  # merged-away and dropped: x' = x
    assert out.dtype == xp.dtype and out[1].tolist() == xp[1].tolist()


def test_expect_and_grad_of_a_square(hi, tfim):
    # FullSumState.expect_and_grad raises NotImplementedError for an operator that is not
    # marked hermitian; marked, its value and gradient are NetKet's for Ising @ Ising
    fs = nk.vqs.FullSumState(hi, nk.models.RBM(alpha=1), seed=0)
    energy, grad = fs.expect_and_grad(sym.to_netket(tfim @ tfim))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ising = nk.operator.Ising(hi, nk.graph.Chain(N), h=0.7, J=1.3)
    ref_energy, ref_grad = fs.expect_and_grad(ising @ ising)
    np.testing.assert_allclose(energy.mean, ref_energy.mean, rtol=1e-10)
    for g, r in zip(jax.tree_util.tree_leaves(grad), jax.tree_util.tree_leaves(ref_grad)):
        np.testing.assert_allclose(g, r, rtol=1e-8, atol=1e-10)


# ----------------------------------------------------------------------------- constant writes


def _adjoint_matches(op):
    from symir.interpreter import reference_to_dense

    d = reference_to_dense(op)
    np.testing.assert_allclose(reference_to_dense(op.H), d.conj().T, atol=1e-12)
    np.testing.assert_allclose(reference_to_dense(op.T), d.T, atol=1e-12)


def test_adjoint_of_constant_writes():
    spin = sym.Spin(0.5, 3)
    # sigma^+ written as a constant write under a predicate, and without one (then it
    # also has the diagonal branch where the spin is already up)
    sp = (
        sym.DOperator(spin, "sp")
        .for_each_site("i")
        .emit_if(sym.site("i") == -1, sym.write("i", 1), matrix_element=1 + 0.5j)
        .build()
    )
    _adjoint_matches(sp)
    bare = sym.DOperator(spin, "w").for_each_site("i").emit(sym.write("i", -1), 0.3 * sym.site("i"))
    _adjoint_matches(bare.build())
    # constants on a three-state space, a swap followed by a write (the swapped-in value
    # is erased), and a scatter of constants over a pair
    fock = sym.Fock(2, 3)
    _adjoint_matches(
        sym.DOperator(fock, "f")
        .for_each_site("i")
        .emit(sym.write("i", 2), 1.0 + sym.site("i"))
        .for_each(("i", "j"), over=[(0, 1), (1, 2)])
        .emit(sym.swap("i", "j").write("i", 0), 0.5 + sym.site("j"))
        .emit(sym.scatter(["i", "j"], [1, 0]), 2.0)
        .build()
    )
    big = (
        sym.DOperator(sym.Fock(3, 4), "big")
        .globally()
        .emit(sym.scatter([0, 1, 2, 3], [0, 0, 0, 0]), 1.0)
        .build()
    )
    with pytest.raises(sym.SymbolicDefinitionError, match="more than 64"):
        big.transpose()


def test_the_adjoint_of_an_adjoint_is_the_operator(tfim, raising):
    """`A.H.H` is `A` itself (and `A.T.T` for a real `A`), not the adjoint of the
    adjoint: each adjoint of constant writes makes one emission per erased value, so
    `l.H.H` of a 9x9 local operator on `Fock(3, 3)` compiled for over a minute (sweep 4).
    The complex transpose twice is not short-cut (`A.T.T` is built and equals `A`)."""
    spin = sym.Spin(1, 2)
    rng = np.random.default_rng(3)
    m = rng.normal(size=(9, 9))  # a lookup's entries are real
    states = [-2, 0, 2]
    local = sym.DOperator(spin, "l").for_each(("i", "j"), over=[(0, 1)])
    for a in range(9):  # one emission per written pair of values, the element a table
        table = {10 * states[b // 3] + states[b % 3]: float(m[a, b]) for b in range(9)}
        local = local.emit(
            sym.write("i", states[a // 3]).write("j", states[a % 3]),
            matrix_element=sym.lookup(table, 10 * sym.site("i") + sym.site("j")),
        )
    local = local.build()
    for op in (local, raising, tfim):
        assert op.H.H is op
    assert tfim.T.T is tfim  # real: the transpose is the adjoint
    twice = raising.T.T
    assert twice is not raising
    np.testing.assert_allclose(dense(twice), dense(raising), atol=1e-14)
    np.testing.assert_allclose(dense(local.H), dense(local).T, atol=1e-14)


def test_the_square_of_an_operator_established_hermitian(hi, raising):
    """An operator not declared hermitian but proved so (its conjugate transpose compiles
    to the same kernel, for every value of its parameter `h`): its square was left
    unmarked, "'tf' is not marked hermitian", so NetKet's `expect_and_grad` refused it
    (sweep 7). The product and sum rules now also read the parts' established
    hermiticity; the square of a non-hermitian operator and a sum with one stay not
    hermitian."""
    tf = (
        sym.DOperator(hi, "tf")
        .for_each_site("i")
        .emit(sym.write("i", -sym.site("i")), matrix_element=-sym.symbol("h", 1.0))
        .globally()  # constant sites: not checked bond by bond, the kernels decide
        .emit(sym.identity(), matrix_element=sum(sym.site(i) * sym.site(j) for i, j in EDGES[:2]))
        .build()
    )
    assert not tf.hermitian and tf.hermiticity[1].startswith("proved")
    square = tf @ tf
    assert not square.hermitian  # not marked: established when asked
    assert square.hermiticity == (
        True,
        "the square of 'tf' (proved: the conjugate transpose compiles to the same fused "
        "kernel): (A A)^dagger = A^dagger A^dagger",
    )
    assert sym.to_netket(square).is_hermitian
    d = dense(square)
    np.testing.assert_allclose(d, d.conj().T, atol=1e-12)
    both = tf + 2.0 * tf.H
    assert both.is_hermitian
    assert not (raising @ raising).is_hermitian
    assert not (tf + raising).is_hermitian


@pytest.mark.parametrize(
    "build",
    [
        lambda c: models.tfim(nk.hilbert.Spin(0.5, 3), nk.graph.Chain(3), h=c),
        lambda c: models.heisenberg(nk.hilbert.Spin(0.5, 3), nk.graph.Chain(3), J=c),
        lambda c: models.bose_hubbard(nk.hilbert.Fock(2, 3), nk.graph.Chain(3), J=c),
        lambda c: models.fermi_hubbard(
            nk.hilbert.SpinOrbitalFermions(2, s=0.5), nk.graph.Chain(2, pbc=False), t=c
        ),
    ],
    ids=["tfim", "heisenberg", "bose_hubbard", "fermi_hubbard"],
)
def test_a_model_with_a_complex_coupling_is_not_declared_hermitian(build):
    """The models declare themselves hermitian, which holds for real couplings only: with
    a complex one (a number or a complex `symbol`) the matrix is not hermitian, and the
    declaration made NetKet take its hermitian gradient formula for it (sweep 8: TFIM
    with `h = 1 + 0.5j`, `expect_and_grad` off by up to 0.27). Real couplings, and a
    complex number whose imaginary part is 0, keep the declaration."""
    for coupling in (0.7 + 0.4j, sym.symbol("c", 0.7 + 0.4j)):
        op = build(coupling)
        dense = op.compile().to_dense()
        assert not np.allclose(dense, dense.conj().T)  # what the declaration would claim
        assert not op.is_hermitian and "complex" in op.hermitian_reason
        assert not op.compile().is_hermitian and not op.to_netket().is_hermitian
    for coupling in (0.7, 0.7 + 0j, sym.symbol("c", 0.7)):
        op = build(coupling)
        assert op.is_hermitian and op.to_netket().is_hermitian, coupling
        dense = op.compile().to_dense()
        np.testing.assert_allclose(dense, dense.conj().T, atol=1e-14)


def test_a_compiled_operator_given_to_netket_is_as_hermitian_as_its_source(hi, raising):
    """`op.compile().to_netket()` (docs/netket-vmc.md's form) reported `is_hermitian`
    False for an operator not declared hermitian but established so, where
    `op.to_netket()` reported True: NetKet took its non-hermitian gradient formula
    (another estimator: `expect_and_grad` 0.18 away from NetKet's `Ising` on the same
    samples) and `FullSumState` refused the gradient (sweep 9). The compiled operator
    now asks the operator it was compiled from; a non-hermitian one stays so."""
    ising = (
        sym.DOperator(hi, "undeclared_ising")
        .for_each(("i", "j"), over=EDGES)
        .emit(sym.identity(), matrix_element=sym.site("i") * sym.site("j"))
        .for_each_site("i")
        .emit(sym.write("i", -sym.site("i")), matrix_element=-0.7)
        .build()
    )
    compiled = ising.compile()
    assert not compiled.is_hermitian  # compile() does not establish it (a second compile)
    assert compiled.to_netket().is_hermitian and ising.to_netket().is_hermitian
    assert ising.compile() is compiled  # still the cached kernel
    assert not raising.compile().to_netket().is_hermitian
    reference = nk.operator.Ising(hi, nk.graph.Chain(N), h=0.7)
    state = nk.vqs.FullSumState(hi, nk.models.RBM(alpha=1, param_dtype=complex), seed=2)
    energy, grad = state.expect_and_grad(compiled.to_netket())
    energy_ref, grad_ref = state.expect_and_grad(reference)
    assert abs(energy.mean - energy_ref.mean) < 1e-12
    for ours, theirs in zip(jax.tree.leaves(grad), jax.tree.leaves(grad_ref), strict=True):
        np.testing.assert_allclose(ours, theirs, atol=1e-12)


def test_a_lazy_sum_with_a_non_hermitian_operand_is_not_hermitian(hi, tfim, raising):
    """NetKet's lazy sum of JAX operators says hermitian for any operands (a TODO in
    NetKet 3.23), and the adapter's `+ number`, `number - op` and `op + op` built one:
    `raising + 1` claimed hermiticity, so `expect_and_grad` took the hermitian gradient
    formula for a non-hermitian operator (`0.5 * raising + 1`'s gradient away from
    `0.5 * raising`'s, which a constant cannot change). The sums the adapter builds now
    say hermitian only where every operand is and every coefficient is real."""
    a, h = raising.to_netket(), tfim.to_netket()
    assert not a.is_hermitian and h.is_hermitian
    for total in (a + 1, 1 + a, 1 - a, a - 2.5, a + h, h + a, h + 1j):
        assert not total.is_hermitian, total
    for total in (h + 1, 1 - h, h + h, h - 0.5):
        assert total.is_hermitian, total
    # sums NetKet's algebra builds from these, and scalings that are not a number (sweep
    # 13): NetKet's sum again, which said hermitian
    nested = {
        "(h + h) + a": (h + h) + a,
        "sum([h, h, a])": sum([h, h, a]),
        "2 * (h + a)": 2 * (h + a),
        "2j * (h + h)": 2j * (h + h),
        "(h + 1) - a": (h + 1) - a,
        "-(h + a)": -(h + a),
        "(h + h) @ a": (h + h) @ a,
        "jnp.asarray(1j) * h": jax.numpy.asarray(1j) * h,
        "True * a": True * a,
        "2 * tree_map(a)": 2 * jax.tree_util.tree_map(lambda v: v, a),
    }
    for text, total in nested.items():  # dense_matrix: NetKet's to_dense compiles anew each
        matrix = dense_matrix(total)
        assert not np.allclose(matrix, matrix.conj().T), text
        assert not total.is_hermitian, text
    assert (2 * (h + h)).is_hermitian and ((h + 1) - h).is_hermitian
    with pytest.raises(ValueError, match="must be finite, got nan"):
        h + float("nan")
    np.testing.assert_allclose((1 - a).to_dense(), np.eye(2**N) - dense(raising), atol=1e-14)
    state = nk.vqs.MCState(
        nk.sampler.MetropolisLocal(hi), nk.models.RBM(alpha=1, param_dtype=complex), seed=3
    )
    state.n_discard_per_chain = state.chain_length  # one compiled chain (its length is static)
    before = nk.config.netket_experimental
    nk.config.update("NETKET_EXPERIMENTAL", True)  # NetKet's non-hermitian gradients
    try:
        _, grad = state.expect_and_grad(0.5 * a + 1)
        _, grad_ref = state.expect_and_grad(0.5 * a)
    finally:
        nk.config.update("NETKET_EXPERIMENTAL", before)
    for ours, theirs in zip(jax.tree.leaves(grad), jax.tree.leaves(grad_ref), strict=True):
        np.testing.assert_allclose(ours, theirs, atol=1e-12)


def _hubbard_strings(n, phase, with_adjoint=True):
    """Spinful Hubbard on an `n`-site ring with a complex next-nearest hop, NetKet's
    fermion strings (sites `s n + i`, spin `s`)."""
    strings, weights = [], []
    for s in range(2):
        for i in range(n):
            for dist, t in ((1, -1.0), (2, -0.3 * np.exp(1j * phase))):
                a, b = s * n + i, s * n + (i + dist) % n
                strings.append(f"{a}^ {b}")
                weights.append(t)
                if with_adjoint:
                    strings.append(f"{b}^ {a}")
                    weights.append(np.conj(t))
    for i in range(n):
        strings.append(f"{i}^ {i} {n + i}^ {n + i}")
        weights.append(4.0)
    return strings, weights


def test_fermion_strings_prove_hermiticity_past_the_exhaustive_check():
    """8 sites at (4, 4): 4,900 states, more than the matrix check takes; `expect_and_grad`
    refused the operator as non-hermitian where NetKet's `FermionOperator2nd` (hermitian
    from its strings) computed (sweep 24)."""
    import netket as nk

    from symir.frontend.hermiticity import EXHAUSTIVE_STATES
    from symir.testing import assert_same_expect_and_grad

    hi = nk.hilbert.SpinOrbitalFermions(8, s=0.5, n_fermions_per_spin=(4, 4))
    assert hi.n_states > EXHAUSTIVE_STATES
    strings, weights = _hubbard_strings(8, 0.7)
    op = sym.fermion_terms(hi, strings, weights)
    hermitian, how = op.hermiticity
    assert hermitian, how
    assert "fermion strings" in how
    ref = nk.operator.FermionOperator2nd(hi, strings, weights)
    assert ref.is_hermitian
    model = nk.models.Jastrow(param_dtype=float)
    sampler = nk.sampler.MetropolisFermionHop(hi, graph=nk.graph.Chain(8), n_chains=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        vs = nk.vqs.MCState(sampler, model, n_samples=64, seed=1, sampler_seed=1)
        vs.n_discard_per_chain = vs.chain_length  # one compiled chain (its length is static)
        assert_same_expect_and_grad(vs, op.compile().to_netket(hi), ref.to_jax_operator())

    one_way = _hubbard_strings(8, 0.7, with_adjoint=False)  # no hermitian conjugates
    hermitian, how = sym.fermion_terms(hi, *one_way).hermiticity
    assert not hermitian, how
