"""Edges of the runtime and the NetKet adapter (issue 35, items 1, 4, 19, 20).

References nobody here wrote: NetKet's operators on the same (constrained) spaces, their
`get_conn` and matrices at 1e-10, and NetKet's own rule that a JAX operator's
`get_conn_flattened` inside `jax.jit` raises `JaxOperatorGetConnInJitError`.
"""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symir as sym
from symir import models
from symir.runtime.conn_delta import apply_deltas
from symir.testing import assert_connections_match, assert_same_connections, dense_matrix

nk = pytest.importorskip("netket")

site = sym.site
RING4 = [(i, (i + 1) % 4) for i in range(4)]
BH = {"U": 1.1, "V": 0.3, "J": 0.7, "mu": 0.2}


def field(hi):
    """-sum_i X_i: every branch flips one spin, so it leaves any total_sz sector."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sym.SymbolicDefinitionWarning)
        return (
            sym.DOperator(hi, "field", hermitian=True)
            .for_each_site("i")
            .emit(sym.write("i", -site("i")), matrix_element=-1.0)
            .build()
        )


def logpsi(params, x):
    """A fixed, non-trivial log-amplitude (complex), for local energies by hand."""
    x = jnp.asarray(x, jnp.float64)
    return x @ params["a"] + 1j * jnp.sin(x @ params["b"])


# --------------------------------------------------------------------------- item 1


def test_configuration_outside_the_sector_keeps_the_operators_row():
    """The issue's case: Heisenberg ring on Spin(0.5, 4, total_sz=0), x = all up. The
    operator's own value there is 4 (NetKet's operator gives 4), never 0."""
    hi = sym.Spin(0.5, 4, total_sz=0)
    compiled = models.heisenberg(hi, RING4, J=1.0, sign_rule=False).compile()
    x = np.ones((1, 4), np.int8)
    reference = nk.operator.Heisenberg(
        nk.hilbert.Spin(0.5, 4, total_sz=0), nk.graph.Chain(4), sign_rule=False
    )
    xp, mels = compiled.get_conn_padded(x)
    assert_connections_match(compiled, reference, x)
    assert float(np.sum(mels)) == 4.0
    sites, values, dmels = compiled.get_conn_delta(x)
    np.testing.assert_array_equal(apply_deltas(x, sites, values), xp)
    np.testing.assert_array_equal(dmels, mels)
    # in one jit call (eagerly JAX compiles every primitive of the program on its own)
    energy = jax.jit(
        lambda x: sym.local_energies(lambda p, s: jnp.zeros(s.shape[0]), {}, x, compiled)
    )(x)
    np.testing.assert_allclose(energy, [4.0], atol=1e-12)
    adapter = compiled.to_netket()
    assert_connections_match(adapter, reference, x)
    got = adapter.get_conn(x[0])
    assert_same_connections((got[0][None], got[1][None]), reference.get_conn_padded(x))


def _spaces():
    """(constrained space, its unconstrained twin, the operator on a space, NetKet's
    operator on the constrained space or None when it leaves the sector)."""
    spin = nk.hilbert.Spin(0.5, 4, total_sz=0)
    fock = nk.hilbert.Fock(2, 3, n_particles=2)
    fermions = nk.hilbert.SpinOrbitalFermions(2, s=0.5, n_fermions=2)
    tensor = nk.hilbert.Spin(0.5, 2, total_sz=0) * nk.hilbert.Spin(0.5, 2, total_sz=1)
    ring3 = [(0, 1), (1, 2), (2, 0)]
    chain2 = nk.graph.Chain(2, pbc=False)
    return {
        "heisenberg+field": (
            sym.Spin(0.5, 4, total_sz=0),
            sym.Spin(0.5, 4),
            lambda h: models.heisenberg(h, RING4, J=1.0, sign_rule=False) + field(h),
            None,
        ),
        "heisenberg-netket-sector": (
            spin,
            nk.hilbert.Spin(0.5, 4),
            lambda h: models.heisenberg(h, RING4, J=1.0, sign_rule=False),
            nk.operator.Heisenberg(spin, nk.graph.Chain(4), sign_rule=False),
        ),
        "bose-hubbard": (
            sym.Fock(2, 3, n_particles=2),
            sym.Fock(2, 3),
            lambda h: models.bose_hubbard(h, ring3, **BH),
            nk.operator.BoseHubbard(fock, nk.graph.Chain(3), **BH),
        ),
        "fermi-hubbard": (
            fermions,
            nk.hilbert.SpinOrbitalFermions(2, s=0.5),
            lambda h: models.fermi_hubbard(h, chain2, t=1.0, U=4.0),
            models.netket_fermi_hubbard(fermions, chain2, t=1.0, U=4.0),
        ),
        "tensor-of-sectors": (
            tensor,
            nk.hilbert.Spin(0.5, 4),
            lambda h: models.heisenberg(h, [(0, 1), (1, 2), (2, 3)], J=1.0) + field(h),
            None,
        ),
    }


_LOCAL_ENERGY_CASES = ("heisenberg+field", "fermi-hubbard")
"""The cases whose local energies and adapter rows are checked too."""


@pytest.mark.filterwarnings(r"ignore:\s+WARNING.*fixed number of fermions:UserWarning")
@pytest.mark.parametrize("case", list(_spaces()))
def test_constraint_does_not_change_the_matrix_elements(case):
    """On every configuration of the unconstrained space: inside the sector, the row is
    the unconstrained operator's restricted to the sector; outside it, the unconstrained
    row itself (as NetKet's operators give). The same through `get_conn_padded`,
    `get_conn_delta`, `local_energies` and the NetKet adapter's `get_conn`."""
    space, free, make, reference = _spaces()[case]
    ours = make(space).compile()
    whole = make(free).compile()
    x = np.asarray(free.all_states(), dtype=np.int8)
    constrained = sym.as_hilbert(space)
    inside = np.ones(len(x), bool)
    for first, end, total in constrained.sectors:
        inside &= x[:, first:end].sum(axis=-1) == total
    assert inside.any() and not inside.all()

    xp, mels = map(np.asarray, ours.get_conn_padded(x))
    fxp, fmels = map(np.asarray, whole.get_conn_padded(x))
    # the unconstrained row, restricted to the sector's states where x is in the sector
    leaves = np.ones(fmels.shape, bool)
    for first, end, total in constrained.sectors:
        leaves &= fxp[..., first:end].sum(axis=-1) == total
    keep = leaves | ~inside[:, None]
    expected = (np.where(keep[..., None], fxp, x[:, None]), np.where(keep, fmels, 0))
    assert_same_connections((xp, mels), expected, x)
    if reference is not None:  # NetKet's operator on the constrained space, every x
        assert_connections_match(ours, reference, x)

    sites, values, dmels = ours.get_conn_delta(x)
    assert_same_connections((apply_deltas(x, sites, values), dmels), (xp, mels), x)
    if case not in _LOCAL_ENERGY_CASES:  # the same kernels: checked on two spaces (time)
        return

    params = {"a": np.linspace(-0.3, 0.4, x.shape[1]), "b": np.linspace(0.2, 0.9, x.shape[1])}
    # the network on x and on xp jitted (eagerly JAX compiles every primitive on its own)
    lp = np.asarray(jax.jit(logpsi)(params, x.reshape(-1, x.shape[1])))
    lpp = np.asarray(jax.jit(logpsi)(params, xp.reshape(-1, x.shape[1]))).reshape(mels.shape)
    by_hand = np.sum(mels * np.exp(lpp - lp[:, None]), axis=-1)
    # in one jit call each (eagerly JAX compiles every primitive on its own)
    got = jax.jit(lambda p, x: sym.local_energies(logpsi, p, x, ours))(params, x)
    np.testing.assert_allclose(got, by_hand, rtol=1e-12, atol=1e-12)
    assert not np.allclose(by_hand[~inside], 0)
    rbm = nk.models.RBM(alpha=1, param_dtype=complex)
    variables = jax.jit(rbm.init)(jax.random.PRNGKey(3), x[:1])
    plain = jax.jit(lambda v, x: sym.local_energies(rbm.apply, v, x, ours))(variables, x)
    fast = jax.jit(lambda v, x: sym.local_energies(rbm.apply, v, x, ours, fast_updates=rbm))(
        variables, x
    )
    lp = np.asarray(jax.jit(rbm.apply)(variables, x))
    lpp = np.asarray(jax.jit(rbm.apply)(variables, xp.reshape(-1, x.shape[1])))
    lpp = lpp.reshape(mels.shape)
    by_hand = np.sum(mels * np.exp(lpp - lp[:, None]), axis=-1)
    np.testing.assert_allclose(plain, by_hand, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(fast, by_hand, rtol=1e-10, atol=1e-10)

    adapter = ours.to_netket()
    for b in np.flatnonzero(~inside):
        got_xp, got_mels = adapter.get_conn(x[b])
        if len(got_mels) == 0:  # the vacuum of Bose-Hubbard: an empty row
            assert not np.any(mels[b])
            continue
        assert_same_connections((got_xp[None], got_mels[None]), (xp[b][None], mels[b][None]))


# --------------------------------------------------------------------------- item 4


@pytest.fixture(scope="module")
def real_parameter():
    """A compiled operator with one real parameter `h` (float64)."""
    hi = sym.Spin(0.5, 3)
    return (
        sym.DOperator(hi, "field", hermitian=True)
        .for_each_site("i")
        .emit(sym.write("i", -site("i")), matrix_element=sym.symbol("h", 1.0))
        .build()
        .compile()
    )


COMPLEX_VALUES = {
    "python": 1 + 2j,
    "complex64": np.complex64(1 + 2j),
    "complex128": np.complex128(1 + 2j),
    "clongdouble": np.clongdouble(1 + 2j),
    "0d-complex64": np.array(1 + 2j, np.complex64),
    "0d-complex128": np.array(1 + 2j),
    "0d-clongdouble": np.array(1 + 2j, np.clongdouble),
    "jax-complex64": jnp.asarray(1 + 2j, jnp.complex64),
    "array": np.array([1 + 2j]),
    "0d-complex-zero-imag": np.array(1 + 0j, np.complex64),
}


@pytest.mark.parametrize("value", list(COMPLEX_VALUES.values()), ids=list(COMPLEX_VALUES))
def test_complex_values_for_a_real_parameter_are_refused(real_parameter, value):
    """Every complex kind is refused (docs/semantics.md), never cast with numpy's
    ComplexWarning and its imaginary part dropped."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a ComplexWarning is a failure too
        with pytest.raises(ValueError, match="parameter 'h'"):
            real_parameter.with_params(h=value)


@pytest.mark.parametrize(
    "value", [float("nan"), np.float64("inf"), jnp.asarray(-np.inf), np.array(np.nan)]
)
def test_a_parameter_value_that_is_not_finite_is_refused(real_parameter, value):
    """As a NaN default is: every matrix element computed from it would be one."""
    with pytest.raises(ValueError, match="parameter 'h' must be finite"):
        real_parameter.with_params(h=value)


def test_a_constant_that_is_not_finite_is_an_error_at_compile():
    """A NaN or infinite matrix element written as a constant (`SYMIR-E008`): it
    compiled, and every element computed from it was NaN."""
    for value in (float("nan"), float("-inf"), complex(1.0, float("nan"))):
        op = (
            sym.DOperator(sym.Spin(0.5, 2), "bad")
            .for_each_site("i")
            .emit(sym.write("i", -site("i")), matrix_element=value)
            .build()
        )
        with pytest.raises(sym.SymbolicCompilerError, match=r"SYMIR-E008 .* is not a finite"):
            op.compile(cache=False)


@pytest.mark.parametrize("value", [2.0 + 0j, np.complex64(2), np.clongdouble(2)])
def test_complex_scalar_with_zero_imaginary_part_is_real(real_parameter, value):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        op = real_parameter.with_params(h=value)
    assert float(op.params["h"]) == 2.0
    assert op.params["h"].dtype == np.float64


def test_complex_value_at_compile_is_refused():
    hi = sym.Spin(0.5, 3)
    op = (
        sym.DOperator(hi, "field", hermitian=True)
        .for_each_site("i")
        .emit(sym.write("i", -site("i")), matrix_element=sym.symbol("h", 1.0))
        .build()
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="parameter 'h' is real"):
            op.compile(params={"h": np.complex64(1 + 2j)})


# --------------------------------------------------------------------------- item 19


@pytest.fixture(scope="module")
def overlapping():
    """`-sum_i X_i + 0.5 sum_i sigma^-_i` written as two terms whose branches reach the
    same states at run time (a flip, and a write of +1 where the site is -1: not provably
    equal, so the kernel keeps both), with NetKet's `LocalOperator` of the same matrix."""
    from netket.operator.spin import sigmam, sigmax

    hi = nk.hilbert.Spin(0.5, 3)
    flip = (
        sym.DOperator(hi, "flip")
        .for_each_site("i")
        .emit(sym.write("i", -site("i")), matrix_element=-1.0)
        .build()
    )
    up = (
        sym.DOperator(hi, "up")
        .for_each_site("i")
        .emit_if(site("i") < 0, sym.write("i", 1), matrix_element=0.5)
        .build()
    )
    reference = sum(-1.0 * sigmax(hi, i) + 0.5 * sigmam(hi, i) for i in range(3))
    return hi, (flip + up).compile(), reference


def test_deduplicate_connected_components_false_keeps_every_branch(overlapping):
    hi, compiled, reference = overlapping
    x = np.asarray(hi.all_states())
    merged = compiled.to_netket()
    raw = compiled.to_netket(deduplicate_connected_components=False)
    assert merged.deduplicate_connected_components and not raw.deduplicate_connected_components
    # all down: 3 flips and 3 writes of +1 to the same 3 states; summed, or kept apart
    xp, mels = raw.get_conn(x[-1])
    assert len(mels) == 6 and len({tuple(s) for s in xp}) == 3
    xp, mels = merged.get_conn(x[-1])
    assert len(mels) == 3 and sorted(mels) == [-0.5, -0.5, -0.5]
    # without deduplication: what NetKet's own DiscreteJaxOperator gives (one entry per
    # nonzero branch of get_conn_padded)
    for pad in (False, True):
        ours, theirs = np.empty(len(x), np.int32), np.empty(len(x), np.int32)
        got = raw.get_conn_flattened(x, ours, pad=pad)
        expected = nk.operator.DiscreteJaxOperator.get_conn_flattened(raw, x, theirs, pad=pad)
        np.testing.assert_array_equal(ours, theirs)
        np.testing.assert_array_equal(got[0], expected[0])
        np.testing.assert_array_equal(got[1], expected[1])
    # both describe the same matrix: NetKet's
    for op in (merged, raw):
        np.testing.assert_allclose(op.to_dense(), dense_matrix(reference), rtol=0, atol=1e-10)
        assert_connections_match(op, reference, x)


def test_deduplicate_connected_components_survives_transformations(overlapping):
    hi, compiled, _ = overlapping
    raw = sym.to_netket(compiled, deduplicate_connected_components=False)
    again = jax.tree_util.tree_map(lambda v: v, raw)
    assert not again.deduplicate_connected_components
    assert not sym.to_netket(raw).deduplicate_connected_components
    assert sym.to_netket(
        raw, deduplicate_connected_components=True
    ).deduplicate_connected_components
    raw.deduplicate_connected_components = True  # NetKet-style attribute, honoured
    assert len(raw.get_conn(np.asarray(hi.all_states())[-1])[1]) == 3
    with pytest.raises(TypeError, match="deduplicate_connected_components"):
        raw.deduplicate_connected_components = "no"


# --------------------------------------------------------------------------- item 20


_SPINS4, _CHAIN4 = nk.hilbert.Spin(0.5, 4), nk.graph.Chain(4)
_JAX_OPERATORS = {
    "tfim": lambda: models.tfim(_SPINS4, _CHAIN4, h=1.3).compile().to_netket(),
    "with-parameter": lambda: (
        models.tfim(_SPINS4, _CHAIN4, h=sym.symbol("h", 0.7)).compile().to_netket()
    ),
    "heisenberg-sector": lambda: (
        models.heisenberg(nk.hilbert.Spin(0.5, 4, total_sz=0), RING4).compile().to_netket()
    ),
    "fermi-hubbard": lambda: (
        models.fermi_hubbard(
            nk.hilbert.SpinOrbitalFermions(2, s=0.5, n_fermions=2), nk.graph.Chain(2, pbc=False)
        )
        .compile()
        .to_netket()
    ),
    # the reference's rule
    "netket-ising-jax": lambda: nk.operator.IsingJax(_SPINS4, _CHAIN4, h=1.3),
}
"""Made in the test that uses each (not all of them at collection, in every worker)."""


@pytest.mark.parametrize("name", list(_JAX_OPERATORS))
def test_operator_jax_get_conn_flattened_throws(name):
    """NetKet's `test_operator_jax_get_conn_flattened_throws`: `get_conn_flattened` (and
    `get_conn`) inside `jax.jit` raise `JaxOperatorGetConnInJitError`, whether the
    operator is closed over or passed as an argument."""
    from netket.errors import JaxOperatorGetConnInJitError

    op = _JAX_OPERATORS[name]()
    state = op.hilbert.random_state(jax.random.PRNGKey(1), 3)

    @jax.jit
    def flattened(s):
        sections = np.zeros(s.shape[0], dtype=np.int32)
        return op.get_conn_flattened(s, sections)

    @jax.jit
    def flattened_arg(op, s):
        sections = np.zeros(s.shape[0], dtype=np.int32)
        return op.get_conn_flattened(s, sections)

    @jax.jit
    def one(op, s):
        return op.get_conn(s)

    with pytest.raises(JaxOperatorGetConnInJitError):
        flattened(state)
    with pytest.raises(JaxOperatorGetConnInJitError):
        flattened_arg(op, state)
    with pytest.raises(JaxOperatorGetConnInJitError):
        one(op, state[0])
    if jax.tree_util.tree_leaves(op):  # concrete states, traced parameters
        first = np.asarray(state[0])
        with pytest.raises(JaxOperatorGetConnInJitError):
            jax.jit(lambda op: op.get_conn(first))(op)
    # outside jax.jit it works, and inside it get_conn_padded does
    sections = np.zeros(3, dtype=np.int32)
    _, mels = op.get_conn_flattened(np.asarray(state), sections)
    assert sections[-1] == len(mels) > 0
    jax.jit(lambda op, s: op.get_conn_padded(s))(op, state)


def test_configurations_outside_the_local_states_are_named():
    """Concrete configurations holding a value that is not a local state (0/1 samples on
    a spin-1/2 space whose states are -1/+1, an occupation above `n_max`) are a
    ValueError naming the values, from `get_conn_padded` and `local_energies` alike (they
    gave the rows of other configurations, silently); valid ones pass."""
    hi = nk.hilbert.Spin(0.5, 4)
    op = models.heisenberg(hi, nk.graph.Chain(4)).compile()
    logpsi = lambda p, x: p * jnp.sum(x, -1)  # noqa: E731
    bad = np.array([[0, 1, 0, 1]], dtype=np.float64)
    for call in (
        lambda: op.get_conn_padded(bad),
        lambda: sym.local_energies(logpsi, 0.1, bad, op),
    ):
        with pytest.raises(ValueError, match=r"hold \[0\.0\], which are not local states"):
            call()
    good = np.array([[-1, 1, -1, 1]], dtype=np.float64)
    assert np.isfinite(np.asarray(sym.local_energies(logpsi, 0.1, good, op))).all()
    fock = nk.hilbert.Fock(n_max=2, N=4)
    bh = models.bose_hubbard(fock, nk.graph.Chain(4), **BH).compile()
    with pytest.raises(ValueError, match=r"hold \[3\]"):
        bh.get_conn_padded(np.array([[0, 3, 1, 0]], dtype=np.int8))


def test_a_dtype_that_cannot_hold_the_local_states_is_named():
    """Spin-1/2 configurations in `uint8` (every entry +1, a valid state) came back with
    their flips wrapped to 255 and no error (sweep 7); an integer dtype that cannot hold
    every local state is a ValueError naming it, from the dtype alone (inside `jax.jit`
    too), where NetKet's `Ising` raises an OverflowError. Occupations up to 200 in `int8`
    the same; a wide enough dtype passes."""
    hi = nk.hilbert.Spin(0.5, 4)
    op = models.tfim(hi, nk.graph.Chain(4)).compile()
    ones = np.ones((1, 4), np.uint8)
    message = r"dtype uint8 \(from 0 to 255\) cannot hold the local states \[-1, 1\]"
    with pytest.raises(ValueError, match=message):
        op.get_conn_padded(ones)
    with pytest.raises(ValueError, match=message):
        jax.jit(op.get_conn_delta)(jnp.asarray(ones))
    with pytest.raises(ValueError, match="dtype uint8"):
        sym.local_energies(lambda p, x: p * jnp.sum(x, -1), 0.1, ones, op)
    fock = nk.hilbert.Fock(n_max=200, N=2)
    bh = models.bose_hubbard(fock, [(0, 1)], **BH).compile()
    with pytest.raises(ValueError, match=r"dtype int8 \(from -128 to 127\)"):
        bh.get_conn_padded(np.array([[1, 127]], np.int8))
    xp, _ = bh.get_conn_padded(np.array([[1, 127]], np.int16))
    assert 128 in np.asarray(xp)


def test_with_hilbert_refuses_a_space_the_kernel_was_not_compiled_for():
    """A spin kernel reported on a `Qubit` read its 0 and 1 as its own -1 and 1: wrong
    energies in an `MCState`, without a word (found by a sweep)."""
    nk = pytest.importorskip("netket")
    compiled = (
        sym.DOperator(nk.hilbert.Spin(0.5, 4), "x")
        .for_each_site("i")
        .emit(sym.write("i", -site("i")), matrix_element=1.0)
        .build()
        .compile()
    )
    for other, what in [
        (nk.hilbert.Qubit(4), r"local states \[0, 1\]"),
        (nk.hilbert.Spin(0.5, 6), "has 6 site"),
        (nk.hilbert.Spin(1.0, 4), r"local states \[-2, 0, 2\]"),
    ]:
        with pytest.raises(ValueError, match=f"with_hilbert: .*{what}.* compiled for 4 site"):
            compiled.with_hilbert(other)
    same = nk.hilbert.Spin(0.5, 4)
    assert compiled.with_hilbert(same).hilbert is same


def test_a_parameter_past_float64s_range_is_not_finite(real_parameter):
    with pytest.raises(ValueError, match="parameter 'h' must be finite"):
        real_parameter.with_params(h=10**400)


@pytest.mark.parametrize(
    "table, message",
    [
        ({1.7: 5.0, -0.9: 3.0}, "the keys must be integers, got 1.7"),
        ({0.2: 1.0, 0.7: 2.0}, "the keys must be integers, got 0.2"),
        ({2**70: 1.0}, "past the range of int64"),
        ({0: 1j}, "the entries must be real numbers"),
        ({0: np.complex128(0.3 + 0.4j)}, r"real numbers, got \(0.3\+0.4j\): write a complex"),
        (np.array([1.0, 2j]), "the entries must be real numbers, got 2j"),
        ({0: float("nan")}, "the entries must be finite, got nan"),
        ([1.0, float("inf")], "the entries must be finite, got inf"),
    ],
)
def test_a_static_table_with_a_bad_key_or_entry_is_refused(table, message):
    """Keys were truncated to integers (1.7 read as 1: the wrong entry), NaN entries
    accepted, and a NumPy complex entry's imaginary part dropped with a warning (found by
    sweeps)."""
    with pytest.raises(ValueError, match=message):
        sym.lookup(table, site("i"))


def test_table_keys_must_be_integers():
    with pytest.raises(ValueError, match=r"table 't': the keys must be integers, got 0.5"):
        sym.table("t", [1.0], keys=[0.5])
    integral = sym.lookup({np.int64(3): 1.0, 2.0: 5.0}, site("i"))
    assert integral.args[:2] == ((2, 3), (5.0, 1.0))
