"""symir's local-energy programs lowered for a GPU, checked on the CPU machine.

XLA:GPU rewrites a scatter of elements wider than 64 bits (`complex128`) into a loop of
one update per iteration: the local energies of Fermi-Hubbard 4x4 with `Slater2nd` took
460 ms on an H200 that way, against NetKet's 1.0 ms (symir/runtime/scatter.py). JAX
lowers a program for another platform without its device, so these tests lower
symir's programs for CUDA here and read the StableHLO: no scatter of a complex128 may
be left in them, for complex networks on every path (plain, determinant updates, the
derived first layer)."""

import re
import warnings
from collections import Counter

import jax
import jax.numpy as jnp
import netket as nk
import numpy as np
import pytest

import symir as sym
from symir import models

jax.config.update("jax_enable_x64", True)


def scatter_result_types(text: str) -> list[str]:
    """The result type of every `stablehlo.scatter` of a module's generic text."""
    lines = text.splitlines()
    types = []
    for i, line in enumerate(lines):
        if '"stablehlo.scatter"' not in line:
            continue
        end = next(j for j in range(i, len(lines)) if re.match(r"\s*\}\) : \(", lines[j]))
        types.append(lines[end].rsplit("->", 1)[1].strip())
    return types


def fermi_hubbard_slater():
    graph = nk.graph.Grid([2, 3], pbc=True)
    hi = nk.hilbert.SpinOrbitalFermions(6, s=0.5, n_fermions_per_spin=(3, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        op = models.fermi_hubbard(hi, graph, t=1, U=4).compile()
    return hi, op, nk.models.Slater2nd(hi)


def heisenberg_rbm_mod_phase():
    graph = nk.graph.Chain(8, pbc=True)
    hi = nk.hilbert.Spin(0.5, 8)
    return hi, models.heisenberg(hi, graph, J=1.0).compile(), nk.models.RBMModPhase(alpha=1)


CASES = {
    "slater-plain": (fermi_hubbard_slater, False),
    "slater-determinant-updates": (fermi_hubbard_slater, "auto"),
    "rbm-mod-phase-first-layer": (heisenberg_rbm_mod_phase, True),
}


@pytest.mark.parametrize("case", CASES)
def test_no_complex128_scatter_when_lowered_for_cuda(case):
    make, fast = CASES[case]
    hi, op, model = make()
    x = np.asarray(hi.random_state(jax.random.PRNGKey(0), 64))
    params = jax.jit(model.init)(jax.random.key(0), x)
    assert np.iscomplexobj(np.asarray(model.apply(params, x[:2]))), "needs a complex network"
    program = jax.jit(lambda p, x: sym.local_energies(model.apply, p, x, op, fast_updates=fast))
    types = scatter_result_types(
        program.trace(params, x).lower(lowering_platforms=("cuda",)).as_text()
    )
    assert types, "the program was expected to scatter its values to their slots"
    wide = [t for t in types if "complex<f64>" in t]
    assert not wide, f"complex128 scatters left for XLA:GPU to serialize: {wide}"


def test_the_cpu_keeps_one_complex_scatter():
    """On the CPU the values go in one complex128 scatter (a loop there either way)."""
    hi, op, model = fermi_hubbard_slater()
    x = np.asarray(hi.random_state(jax.random.PRNGKey(0), 64))
    params = jax.jit(model.init)(jax.random.key(0), x)
    program = jax.jit(lambda p, x: sym.local_energies(model.apply, p, x, op))
    types = scatter_result_types(
        program.trace(params, x).lower(lowering_platforms=("cpu",)).as_text()
    )
    assert any("complex<f64>" in t for t in types), types


def test_lapack_calls_are_ordered_for_the_cpu_only():
    """`lapack_ordered` orders LAPACK calls for XLA's CPU pool; lowered for CUDA, the
    program is the one written (the order cost 10-25% of a Slater network's local
    energies on an H200, docs/benchmarks.md), lowered for the CPU it has the order's
    data dependencies (`is_finite` of each call's first output)."""
    from symir.runtime.lapack_order import lapack_ordered

    def two_determinants(a, b):
        return jnp.linalg.slogdet(a)[1] + jnp.linalg.slogdet(b)[1]

    a = b = np.eye(4)[None].repeat(8, axis=0)

    def ops(fn, platform):
        """The ops of `fn` lowered for `platform`, less the `case` that selected the
        platform's branch (its index a constant) and that branch's `return`."""
        text = jax.jit(fn).trace(a, b).lower(lowering_platforms=(platform,)).as_text()
        names = Counter(re.findall(r"stablehlo\.\w+", text))
        return names - Counter(
            {"stablehlo.case": 99, "stablehlo.return": 99, "stablehlo.constant": 99}
        )

    assert ops(lapack_ordered(two_determinants), "cuda") == ops(two_determinants, "cuda")
    ordered = ops(lapack_ordered(two_determinants), "cpu")
    assert ordered["stablehlo.is_finite"] > ops(two_determinants, "cpu")["stablehlo.is_finite"]
