"""Constrained spaces (issue 21, item 2): `Spin(..., total_sz=)`, `Fock(...,
n_particles=)`, NetKet's constrained `Spin`/`Fock` and their `TensorHilbert`.

References nobody here wrote: NetKet's constrained spaces (their `all_states`, their
equality) and NetKet's operators on them (`Heisenberg`, `BoseHubbard`) at 1e-10; for an
operator that leaves the sector, the unconstrained matrix restricted to the sector's
states (NetKet's `states_to_numbers` of the unconstrained space); one short VMC run on
`Spin(0.5, 6, total_sz=0)` against the exact ground-state energy.
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

site = sym.site
RING6 = [(i, (i + 1) % 6) for i in range(6)]
RING4 = [(i, (i + 1) % 4) for i in range(4)]
BH = {"U": 1.1, "V": 0.3, "J": 0.7, "mu": 0.2}
FH = nk.hilbert.SpinOrbitalFermions(4, s=0.5, n_fermions_per_spin=(2, 1))


def heisenberg(hi, edges, sign_rule=False):
    """NetKet's `Heisenberg` (`symir.models.heisenberg`), J = 1, no sign rule unless asked."""
    return models.heisenberg(hi, edges, J=1.0, sign_rule=sign_rule)


def bose_hubbard(hi, edges):
    return models.bose_hubbard(hi, edges, **BH)


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


def restricted(dense_free: np.ndarray, free, constrained) -> np.ndarray:
    """The unconstrained matrix restricted to the states of the constrained space."""
    idx = np.asarray(free.states_to_numbers(np.asarray(constrained.all_states())))
    return dense_free[np.ix_(idx, idx)]


# --------------------------------------------------------------------------- spaces


def test_symir_spaces_enumerate_the_sector():
    spins = sym.Spin(0.5, 6, total_sz=0)
    assert isinstance(spins, sym.SectorHilbert) and spins.constrained
    assert spins.n_states == 20 and repr(spins) == "Spin(0.5, 6, total_sz=0)"
    states = spins.all_states()
    assert (states.sum(axis=1) == 0).all() and len(states) == 20
    np.testing.assert_array_equal(spins.states_to_numbers(states), np.arange(20))
    with pytest.raises(ValueError, match="outside the sector"):
        spins.states_to_numbers(np.ones((1, 6), dtype=int))
    bosons = sym.Fock(2, 4, n_particles=3)  # NetKet's order for Fock is the same
    theirs = np.asarray(nk.hilbert.Fock(2, 4, n_particles=3).all_states())
    np.testing.assert_array_equal(bosons.all_states(), theirs)
    assert sym.Spin(1, 3, total_sz=1).n_states == 6  # (2,0,0) x 3, (2,2,-2) x 3


def test_sectors_are_enumerated_without_the_whole_space():
    """`all_states` and the numbering build the sector site by site (the same states in
    the same order as filtering every configuration), so a large space with a small
    sector is listed: 36 spin orbitals, one electron per spin, 324 states (filtering
    would list 2^36). A sector after free sites is enumerated too."""
    from symir.hilbert import DiscreteHilbert, SectorHilbert

    for space in (
        sym.Spin(1, 5, total_sz=1),
        sym.Fock(3, 5, n_particles=4),
        SectorHilbert(local_states=(0, 1, 2), size=6, sectors=((1, 3, 2), (4, 6, 1))),
    ):
        every = DiscreteHilbert.all_states(space)
        filtered = every[space.in_sector(every)]
        np.testing.assert_array_equal(space.all_states(), filtered)
        np.testing.assert_array_equal(space.states_to_numbers(filtered), np.arange(len(filtered)))
    molecule = nk.hilbert.SpinOrbitalFermions(18, s=0.5, n_fermions_per_spin=(1, 1))
    space = sym.Fermions(18, 2, n_fermions_per_spin=(1, 1))
    states = space.all_states()
    assert states.shape == (324, 36) and space.n_states == 324
    np.testing.assert_array_equal(states, np.asarray(molecule.all_states(), dtype=states.dtype))
    np.testing.assert_array_equal(space.states_to_numbers(states[::-1]), np.arange(324)[::-1])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: sym.Spin(0.5, 3, total_sz=0), "not reachable"),
        (lambda: sym.Fock(1, 3, n_particles=4), "cannot sum to 4"),
        (lambda: sym.Fock(1, 3, n_particles=1.5), "must be an integer"),
    ],
)
def test_unreachable_sectors_are_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (sym.Spin(0.5, 4, total_sz=1), nk.hilbert.Spin(0.5, 4, total_sz=1)),
        (sym.Spin(1, 3, total_sz=-1), nk.hilbert.Spin(1, 3, total_sz=-1)),
        (sym.Fock(2, 3, n_particles=2), nk.hilbert.Fock(2, 3, n_particles=2)),
        (
            sym.SectorHilbert((-1, 1), 6, ((0, 4, 0),)),
            nk.hilbert.Spin(0.5, 4, total_sz=0) * nk.hilbert.Spin(0.5, 2),
        ),
        (
            sym.SectorHilbert((-1, 1), 8, ((0, 4, 0), (4, 8, 2))),
            nk.hilbert.Spin(0.5, 4, total_sz=0) * nk.hilbert.Spin(0.5, 4, total_sz=1),
        ),
    ],
    ids=["spin", "spin1", "fock", "tensor-one-sector", "tensor-two-sectors"],
)
def test_netket_spaces_convert_both_ways(ours, theirs):
    from symir.integrations.netket import netket_hilbert

    assert sym.as_hilbert(theirs) == ours
    assert netket_hilbert(ours) == theirs


def test_unsupported_tensor_spaces_are_clear_errors():
    mixed = nk.hilbert.Spin(0.5, 2, total_sz=0) * nk.hilbert.Fock(2, 2)
    with pytest.raises(ValueError, match="same local states on every site"):
        sym.as_hilbert(mixed)
    fermions = nk.hilbert.SpinOrbitalFermions(2, n_fermions=1)
    with pytest.raises(ValueError, match="fermionic factors"):
        sym.as_hilbert(fermions * fermions)
    # NetKet's Fock without n_max: its local states have no bound (the error said "needs
    # at least one local state" before)
    with pytest.raises(ValueError, match=r"no bound on its local states.*give n_max"):
        sym.as_hilbert(nk.hilbert.Fock(N=3))


# --------------------------------------------------------------------------- operators


@pytest.fixture(scope="module")
def heisenberg_pair():
    """(NetKet's sector, our adapter on it, NetKet's matrix of its `Heisenberg` there)."""
    hi = nk.hilbert.Spin(0.5, 6, total_sz=0)
    graph = nk.graph.Chain(6, pbc=True)
    ours = heisenberg(hi, RING6).compile().to_netket()
    return hi, ours, dense_matrix(nk.operator.Heisenberg(hi, graph, sign_rule=False))


def test_heisenberg_on_netket_sector_equals_netket(heisenberg_pair):
    hi, ours, ref = heisenberg_pair
    assert ours.hilbert is hi  # NetKet's states accept it
    assert ours.to_dense().shape == (20, 20)
    np.testing.assert_allclose(ours.to_dense(), ref, rtol=0, atol=1e-10)


def test_heisenberg_on_symir_sector_equals_netket(heisenberg_pair):
    hi, _, ref = heisenberg_pair
    ours = heisenberg(sym.Spin(0.5, 6, total_sz=0), RING6).compile()
    adapter = ours.to_netket()
    assert adapter.hilbert == hi
    np.testing.assert_allclose(adapter.to_dense(), ref, rtol=0, atol=1e-10)
    # symir's own order (local states increasing) is a permutation of NetKet's
    assert ours.to_dense().shape == (20, 20)
    np.testing.assert_allclose(
        np.sort(np.linalg.eigvalsh(ours.to_dense())),
        np.sort(np.linalg.eigvalsh(ref)),
        atol=1e-10,
    )


def test_bose_hubbard_on_particle_sector_equals_netket():
    hi = nk.hilbert.Fock(2, 4, n_particles=3)
    ref = dense_matrix(nk.operator.BoseHubbardJax(hi, nk.graph.Chain(4, pbc=True), **BH))
    for space in (hi, sym.Fock(2, 4, n_particles=3)):
        adapter = bose_hubbard(space, RING4).compile().to_netket()
        assert adapter.hilbert == hi
        np.testing.assert_allclose(adapter.to_dense(), ref, rtol=0, atol=1e-10)


def test_leaving_the_sector_warns_and_drops_the_branch():
    hi = nk.hilbert.Spin(0.5, 6, total_sz=0)
    with pytest.warns(sym.SymbolicDefinitionWarning, match=r"SYMIR-W107 term @term0, emission 0"):
        sym.DOperator(hi, "field").for_each_site("i").emit(sym.write("i", -site("i")))
    op = (field(hi) + heisenberg(hi, RING6)).compile()
    x = np.asarray(hi.all_states())
    xp, mels = map(np.asarray, op.get_conn_padded(x))
    assert (xp.sum(axis=-1) == 0).all()  # every connected state is in the sector
    # the 6 flips of each state are invalid branches: x' = x and mel = 0
    assert not np.isclose(mels, -1.0).any()
    assert op.max_conn_size == 13  # the diagonal, 6 swaps and the 6 dropped flips
    assert (np.count_nonzero(mels == 0, axis=-1) >= 6).all()
    # the matrix is the unconstrained one restricted to the sector
    free = nk.hilbert.Spin(0.5, 6)
    whole = (field(free) + heisenberg(free, RING6)).compile().to_netket().to_dense()
    np.testing.assert_allclose(
        op.to_netket().to_dense(), restricted(whole, free, hi), rtol=0, atol=1e-10
    )


def test_tensor_of_sectors_is_the_restricted_matrix():
    hi = nk.hilbert.Spin(0.5, 4, total_sz=0) * nk.hilbert.Spin(0.5, 4, total_sz=1)
    edges = [*RING4, *[(4 + i, 4 + j) for i, j in RING4], (0, 4)]  # (0, 4) crosses
    free = nk.hilbert.Spin(0.5, 8)
    with warnings.catch_warnings():
        warnings.simplefilter("error", sym.SymbolicDefinitionWarning)  # not provable
        ours = heisenberg(hi, edges).compile().to_netket()
    assert ours.hilbert is hi
    whole = heisenberg(free, edges).compile().to_netket().to_dense()
    np.testing.assert_allclose(ours.to_dense(), restricted(whole, free, hi), atol=1e-10)


def test_one_jitted_function_tells_a_constrained_space_from_a_free_one():
    """The same terms on a space with a fixed sum and without one share one kernel (the
    sector rule is the runtime's), so their kernel key; an operator passed to `jax.jit`
    is a pytree whose static part JAX compares to reuse a traced program. With the key
    alone as that part's equality, the second operator ran the first one's program: the
    constrained one without its sector rule, silently (NetKet jits `expect` with the
    operator as an argument). The sector rule's states and elements are asserted to
    differ from the free ones' first, so this cannot pass by the rule doing nothing."""
    hi = nk.hilbert.Spin(0.5, 4, total_sz=0) * nk.hilbert.Spin(0.5, 4, total_sz=1)
    edges = [*RING4, *[(4 + i, 4 + j) for i, j in RING4], (0, 4)]
    free, sector = (heisenberg(h, edges).compile() for h in (nk.hilbert.Spin(0.5, 8), hi))
    x = np.asarray(hi.all_states())
    conn = jax.jit(lambda op, x: op.get_conn_padded(x))
    for first, second in ((free, sector), (sector, free)):
        conn(first, x)
        got = conn(second, x)
        want = jax.jit(lambda x, op=second: op.get_conn_padded(x))(x)
        for g, w in zip(got, want, strict=True):
            np.testing.assert_array_equal(np.asarray(g), np.asarray(w))
    assert not np.array_equal(np.asarray(conn(free, x)[1]), np.asarray(conn(sector, x)[1]))


@pytest.mark.parametrize(
    ("update", "leaves"),
    [
        (sym.write("i", -site("i")), True),
        (sym.shift("i", 2), True),
        (sym.shift("i", 2).shift("j", -2), False),
        (sym.swap("i", "j"), False),
        (sym.write("i", -site("i")).write("j", -site("j")), False),  # not provable
        (sym.cond(site("i") > 0, sym.write("i", -1)), False),  # not followed
    ],
)
def test_sector_analysis(update, leaves):
    from symir.frontend.sectors import leaving_row

    space = sym.Spin(0.5, 4, total_sz=0)
    found = leaving_row(space, update, ("i", "j"), ((0, 1), (1, 2)))
    assert (found is not None) == leaves
    if leaves:
        assert found == ((0, 1), (0, 4, 0))


def test_hop_across_two_sectors_leaves_them():
    from symir.frontend.sectors import leaving_row

    space = sym.SectorHilbert((0, 1, 2), 4, ((0, 2, 1), (2, 4, 1)))
    hop = sym.hop("i", "j")
    assert leaving_row(space, hop, ("i", "j"), ((0, 1),)) is None
    assert leaving_row(space, hop, ("i", "j"), ((0, 1), (1, 2))) == ((1, 2), (0, 2, 1))


# --------------------------------------------------------------------------- VMC


def test_vmc_in_the_sector(heisenberg_pair):
    """A short VMC run on Spin(0.5, 6, total_sz=0) with the symir operator (Marshall's
    sign rule, so that a real RBM can hold the ground state): the samples stay in the
    sector, expectations equal NetKet's operator's on the same samples, and the energy
    comes within 2% of the exact ground state."""
    hi, _, netket_matrix = heisenberg_pair
    graph = nk.graph.Chain(6, pbc=True)
    ours = heisenberg(hi, RING6, sign_rule=True).compile().to_netket()
    ref = nk.operator.Heisenberg(hi, graph)  # sign rule on by default here
    # the exact ground state of NetKet's matrix without the sign rule: on the bipartite
    # ring the rule is a diagonal +-1 change of basis, the spectrum is the same
    exact = np.linalg.eigvalsh(netket_matrix)[0]
    sampler = nk.sampler.MetropolisExchange(hi, graph=graph)
    vstate = nk.vqs.MCState(sampler, nk.models.RBM(alpha=1), n_samples=128, seed=1)
    vstate.sampler_seed = 2
    driver = nk.driver.VMC(ours, nk.optimizer.Adam(0.03), variational_state=vstate)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        driver.run(40, out=None, show_progress=False)
    assert (np.asarray(vstate.samples).sum(axis=-1) == 0).all()
    # the energies through expect_and_grad (the driver's, compiled already for ours;
    # the same statistics as expect's on the same samples)
    (a, _), (b, _) = vstate.expect_and_grad(ours), vstate.expect_and_grad(ref)
    assert abs(a.mean - b.mean) < 1e-10
    assert abs(a.mean.real - exact) < 0.02 * abs(exact), (a, exact)


@pytest.mark.parametrize(
    ("update", "rows", "keeps"),
    [
        (sym.swap("i", "j"), ((0, 1), (2, 3)), True),
        (sym.hop("i", "j"), ((0, 1), (2, 3)), True),
        (sym.shift("i", 2).shift("j", -2), ((0, 1),), True),
        (sym.shift("i", 1), ((0, 1),), False),
        (sym.swap("i", "j"), ((1, 2),), False),  # across the two sectors
        (sym.write("i", -site("i")).write("j", -site("j")), ((0, 1),), False),
        (sym.cond(site("i") > 0, sym.swap("i", "j")), ((0, 1),), False),  # not followed
        (sym.identity(), ((0, 1),), True),
    ],
)
def test_keeping_every_sector_is_proved_only_where_it_holds(update, rows, keeps):
    from symir.frontend.sectors import keeps_every_sector
    from symir.frontend.term_spec import EmissionSpec, TermSpec

    space = sym.SectorHilbert((0, 1, 2), 4, ((0, 2, 1), (2, 4, 1)))
    emission = EmissionSpec(update, sym.symbol("w", 1.0))
    term = TermSpec("t", "rows", ("i", "j"), rows, (), (emission,))
    assert keeps_every_sector(space, (term,)) == keeps
    assert not keeps_every_sector(sym.Spin(0.5, 4), (term,))  # no fixed sums
    assert not keeps_every_sector(space, (term,), limit=len(rows) - 1)  # past the limit


HOP = sym.write("i", 0).write("j", 1)
I1, J0 = site("i") == 1, site("j") == 0


@pytest.mark.parametrize(
    ("update", "condition", "keeps"),
    [
        (HOP, I1 & J0, True),  # a fermion hop: the condition fixes what the writes replace
        (HOP, J0 & I1, True),
        (HOP, None, False),
        (HOP, I1, False),  # x[j] not fixed
        (sym.write("i", 0).write("j", 2), I1 & J0, False),  # adds one
        (HOP.write("i", 1), I1 & J0, False),  # a site written twice is not followed
    ],
)
def test_writes_are_followed_where_the_condition_fixes_what_they_replace(update, condition, keeps):
    from symir.frontend.sectors import keeps_every_sector
    from symir.frontend.term_spec import EmissionSpec, TermSpec

    space = sym.SectorHilbert((0, 1, 2), 4, ((0, 2, 1), (2, 4, 1)))
    emission = EmissionSpec(update, sym.symbol("w", 1.0), condition)
    term = TermSpec("t", "rows", ("i", "j"), ((0, 1), (2, 3)), (), (emission,))
    assert keeps_every_sector(space, (term,)) == keeps


def test_exchange_operators_leave_out_the_sector_check_with_the_same_results():
    from symir.compiler import SymbolicCompiler

    rng = np.random.default_rng(3)
    hi = nk.hilbert.Spin(0.5, 6, total_sz=0)
    for op, keeps in (
        (heisenberg(hi, RING6), True),
        (bose_hubbard(sym.Fock(2, 4, n_particles=3), RING4), True),
        (field(hi) + heisenberg(hi, RING6), False),
        (models.fermi_hubbard(FH, nk.graph.Square(2), t=1.0, U=4.0), True),  # fermion hops
    ):
        proved = op.compile()
        checked = SymbolicCompiler().compile(op).compiled_operator  # the check kept
        assert proved.keeps_sectors == keeps and not checked.keeps_sectors
        space = sym.as_hilbert(op.hilbert)
        x = np.asarray(space.all_states())
        outside = rng.choice(np.asarray(space.local_states), size=(8, space.size))
        # each kernel and its sector rule in one jit call, not primitive by primitive
        calls = [
            (jax.jit(proved.get_conn_padded), jax.jit(checked.get_conn_padded)),
            (jax.jit(proved.get_conn_delta), jax.jit(checked.get_conn_delta)),
        ]
        for states in (x, outside):  # in the sector, and (mostly) outside it
            for mine, theirs in calls:
                for a, b in zip(mine(states), theirs(states), strict=True):
                    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # the proof does not travel to a space whose sums cover other sites
    tensor = nk.hilbert.Spin(0.5, 3, total_sz=0.5) * nk.hilbert.Spin(0.5, 3, total_sz=0.5)
    assert not heisenberg(hi, RING6).compile().with_hilbert(tensor).keeps_sectors


def test_one_kernel_on_two_spaces_relies_on_each_space_s_own_sector():
    """The same IR (a site found by rank, written with no check that it was found) on
    `Fock(1, 4, n_particles=2)` relies on the sector, on `Fock(1, 4)` on nothing: the
    cache shares the kernel, each compiled operator has its own assumption."""
    ops = [
        sym.DOperator(hi, "w")
        .for_each(("k",), over=[(0,)])
        .emit(sym.write(sym.nth_site("k", 1, range(4)), 0), matrix_element=1.0)
        .build()
        for hi in (sym.Fock(1, 4, n_particles=2), sym.Fock(1, 4), sym.Fock(1, 4, n_particles=2))
    ]
    assert [op.compile().assumed_sectors for op in ops] == [((0, 4, 2),), (), ((0, 4, 2),)]
