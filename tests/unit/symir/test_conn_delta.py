"""`CompiledOperator.get_conn_delta`: the delta kernel against `get_conn_padded`.

The reference is the operator's own main kernel (itself tested against NetKet and the
reference interpreter): applying each slot's deltas to `x` must give exactly its `xp`,
and the matrix elements must be equal exactly, on random states of several models
(Heisenberg, TFIM, Bose-Hubbard with checked writes, Fermi-Hubbard with fermion signs
and a particle-number sector, J1-J2; main kernels whose states are `merged` or
`projected`) and on update constructs of the differential corpus whose branches the
branch passes merge (`select_state`) or that write a site twice.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symir as sym
from symir import models
from symir.errors import SymbolicCompilerError
from symir.runtime.compiled import CompiledOperator
from symir.runtime.conn_delta import apply_deltas, delta_width, site_changes

nk = pytest.importorskip("netket")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lowering"))
import test_differential as corpus  # noqa: E402


def quiet(f, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(*args, **kwargs)


def _system(name):
    """(hilbert, operator, k) of a small model."""
    square = quiet(nk.graph.Square, 3, pbc=True)
    if name == "heisenberg":
        hi = nk.hilbert.Spin(0.5, 9)
        return hi, models.heisenberg(hi, square), 2
    if name == "tfim":
        hi = nk.hilbert.Spin(0.5, 9)
        return hi, models.tfim(hi, square), 1
    if name == "bose_hubbard":
        hi = nk.hilbert.Fock(n_max=3, N=9)
        return hi, models.bose_hubbard(hi, square), 2
    if name == "fermi_hubbard":
        hi = nk.hilbert.SpinOrbitalFermions(4, s=0.5, n_fermions_per_spin=(2, 1))
        return hi, models.fermi_hubbard(hi, quiet(nk.graph.Square, 2, pbc=False)), 2
    chain = quiet(nk.graph.Chain, 8, pbc=True, max_neighbor_order=2)
    hi = nk.hilbert.Spin(0.5, 8)
    return hi, models.j1j2(hi, chain), 2


def random_states(name, hi, shape, seed=0):
    """Random configurations of `hi` (numpy: NetKet's samplers take seconds to compile),
    in the sector for Fermi-Hubbard (2 up, 1 down on 4 orbitals)."""
    rng = np.random.default_rng(seed)
    if name == "fermi_hubbard":
        x = np.zeros((int(np.prod(shape)), 8), np.int8)
        for row in x:
            row[rng.permutation(4)[:2]] = 1
            row[4 + rng.permutation(4)[:1]] = 1
        return x.reshape((*shape, 8))
    states = np.asarray(hi.local_states, np.int8)
    return rng.choice(states, size=(*shape, hi.size))


MODELS = ("heisenberg", "tfim", "bose_hubbard", "fermi_hubbard", "j1j2")


@pytest.fixture(scope="module")
def systems():
    built = {}

    def get(name):
        if name not in built:
            hi, op, k = quiet(_system, name)
            built[name] = (hi, quiet(op.compile), k)
        return built[name]

    return get


def assert_deltas_give_xp(compiled, x, k=None):
    xp, mels = jax.jit(compiled.get_conn_padded)(x)
    sites, values, dmels = jax.jit(compiled.get_conn_delta)(x)
    f = compiled.max_conn_size
    assert sites.shape[:-1] == values.shape[:-1] == (*np.shape(x)[:-1], f)
    if k is not None:
        assert sites.shape[-1] == k
    assert sites.dtype == jnp.int32 and values.dtype == np.asarray(x).dtype
    xp, sites, values = np.asarray(xp), np.asarray(sites), np.asarray(values)
    applied = np.repeat(np.asarray(x)[..., None, :], f, axis=-2)
    np.put_along_axis(applied, sites, values, axis=-1)
    np.testing.assert_array_equal(applied, xp)
    np.testing.assert_array_equal(np.asarray(dmels), np.asarray(mels))
    # the convention: every value is xp's at its site
    np.testing.assert_array_equal(np.take_along_axis(xp, sites, axis=-1), values)
    return sites, values


@pytest.mark.parametrize("name", MODELS)
def test_deltas_reproduce_get_conn_padded(systems, name):
    """Random states (with a leading batch dimension), every slot: `x[sites] = values`
    is `xp` and the matrix elements (fermion signs included) are equal, exactly."""
    hi, compiled, k = systems(name)
    x = random_states(name, hi, (2, 24))
    assert delta_width(compiled) == k
    assert_deltas_give_xp(compiled, x, k)


@pytest.mark.parametrize(("name", "states"), [("tfim", "projected"), ("bose_hubbard", "merged")])
def test_deltas_of_kernels_whose_states_are_merged_or_projected(name, states):
    """The branch level a delta kernel starts from carries the main kernel's lowering of
    its states (`state_lowering`; `auto` picks these on a CPU from 14-16 sites on): the
    delta kernel drops it with the states, and its deltas still give that kernel's `xp`."""
    hi, op, k = quiet(_system, name)
    compiled = quiet(op.compile, target="cpu", state_lowering=states)
    assert f'lowering = "{states}"' in compiled.kernels.text
    assert_deltas_give_xp(compiled, random_states(name, hi, (16,)), k)


def test_deltas_under_vmap_and_a_parameter_gradient(systems):
    """The delta kernel has the main kernel's rules: `jax.vmap` (folded into its batch)
    and `jax.grad` with respect to a parameter through `mels` (TFIM: the flips' matrix
    elements are `-h`, the diagonal slot 0 does not depend on `h`)."""
    hi, compiled, _ = systems("tfim")
    x = random_states("tfim", hi, (6,))
    sites, values, mels = jax.jit(compiled.get_conn_delta)(x)
    vs, vv, vm = jax.jit(jax.vmap(compiled.get_conn_delta))(x)
    np.testing.assert_array_equal(np.asarray(vs), np.asarray(sites))
    np.testing.assert_array_equal(np.asarray(vv), np.asarray(values))
    np.testing.assert_array_equal(np.asarray(vm), np.asarray(mels))

    def weighted(h):
        out = compiled.with_params(h=h).get_conn_delta(x)[2]
        return jnp.sum(out * jnp.arange(out.shape[-1]))

    f = compiled.max_conn_size
    expected = -len(x) * sum(range(1, f))
    np.testing.assert_allclose(jax.jit(jax.grad(weighted))(0.7), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    ("case", "space"),
    [("emit_if_chain", "spin1"), ("shift_there_and_back", "fock2"), ("cond_nested", "generic")],
)
def test_deltas_of_merged_and_rewritten_branches(case, space):
    """Constructs whose states the branch passes select between (`emit_if` chains merged
    into one slot: `select_state`), that write one site twice, or nest conditions, on
    every basis state."""
    hi = corpus.HILBERTS[space]
    op = corpus.UPDATE_CASES[case](hi)
    x = np.asarray(corpus.configurations(hi), np.int8)
    assert_deltas_give_xp(quiet(op.compile, strict_validation=False), x)


@pytest.mark.parametrize("how", list(corpus.PAST_AND_BACK))
def test_deltas_of_values_past_the_configuration_dtype(how):
    """Values that leave i8 in between and come back (`get_conn_padded` agrees with the
    reference there: test_differential): the delta kernel keeps the same branches."""
    hi = sym.DiscreteHilbert((0, 1, 127), 3)
    op = corpus.c_past_the_dtype_and_back(hi, how)
    x = np.asarray(corpus.configurations(hi), np.int8)
    assert_deltas_give_xp(quiet(op.compile, strict_validation=False), x)


def test_an_operator_without_its_branch_level_cannot_give_deltas(systems):
    _, compiled, _ = systems("tfim")
    bare = CompiledOperator.from_stablehlo(
        compiled.stablehlo_text,
        name=compiled.name,
        space=compiled.space,
        hilbert=compiled.hilbert,
        dtype=str(compiled.dtype),
        is_hermitian=compiled.is_hermitian,
        parameters=compiled.params,
        key=compiled.key + "-bare",
    )
    with pytest.raises(SymbolicCompilerError, match=r"\[stage 'deltas'\].*branch-level kernels"):
        bare.get_conn_delta(np.ones((1, 9), np.int8))
    with pytest.raises(ValueError, match=r"get_conn_delta expects configurations of shape"):
        compiled.get_conn_delta(np.ones((1, 4), np.int8))


def test_a_kernel_that_cannot_give_deltas_names_the_stage_and_pass():
    """The pass refuses a kernel whose xp is not a concat of emissions: the pipeline
    reports the stage and the pass (no JAX involved)."""
    from symir.lowering.pipelines import lower_deltas

    text = Path(__file__).resolve().parents[2] / "lit" / "lowering" / "branch"
    text = (text / "branch-return-deltas-errors.mlir").read_text()
    pattern = r"\[stage 'deltas', pass 'branch-return-deltas'\].*@bare does not return"
    with pytest.raises(SymbolicCompilerError, match=pattern):
        lower_deltas(text)


def test_symbolic_spaces_and_the_helpers():
    """symir's own spaces (no NetKet), a single configuration (no batch dimension);
    `apply_deltas` gives `xp`, `site_changes` counts each changed site once (a slot that
    writes one site repeats its entry: the repeat is no change)."""
    op = (
        sym.DOperator(sym.Spin(0.5, 4), "xy")
        .for_each(("i", "j"), over=[(0, 1), (1, 2), (2, 3)])
        .emit_if(sym.site("i") != sym.site("j"), sym.swap("i", "j"), matrix_element=0.5)
        .for_each_site("i")
        .emit(sym.write("i", -sym.site("i")), matrix_element=0.25)
        .build()
    )
    compiled = op.compile()
    x = np.array([1, -1, -1, 1], np.int8)
    sites, values = assert_deltas_give_xp(compiled, x, 2)
    xp = np.asarray(compiled.get_conn_padded(x)[0])
    np.testing.assert_array_equal(np.asarray(jax.jit(apply_deltas)(x, sites, values)), xp)
    changes = np.asarray(jax.jit(site_changes)(x, sites, values))
    np.testing.assert_array_equal(np.sum(changes != 0, -1), np.sum(xp != x, -1))
    np.testing.assert_array_equal(np.sum(changes, -1), np.sum(xp - x, -1))
