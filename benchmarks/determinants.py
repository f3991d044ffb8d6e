"""Slater networks by low-rank updates (issue 36 item 2): local energies and `expect_and_grad`.

Fermi-Hubbard (`--models`, default the 4x4 square, periodic, half filling; `U = 4`) with
NetKet's `Slater2nd` (restricted, unrestricted, generalized), `MultiSlater2nd` or a
user's module, the same `--samples` samples (NetKet's `MetropolisFermionHop`, sampled
once, then fixed) for every method; medians of interleaved rounds in one process:

- `E_loc` (jitted local energies): `symir` is `symir.local_energies(...,
  fast_updates="auto")`, which chooses the determinant updates by cost (`choose_path`;
  symir/runtime/determinant_updates.py), `symir plain` the same without fast updates
  (the network on each candidate connected state, compacted), `NetKet` and `NetKet
  packed` NetKet's default kernel and its experimental packed kernel
  (`nk.config.netket_experimental_packed_kernel`: the non-zero elements only) on
  NetKet's `FermionOperator2ndJax` of the model;
- `expect_and_grad`: `vstate.expect_and_grad(op)` with symir's operator (symir's kernel
  inside NetKet's program), and NetKet's program with NetKet's operator and its default
  or packed kernel.

NetKet's kernels call LAPACK through the network (`lu`, `triangular_solve`); its own
programs deadlock XLA's CPU pool at random on a 2-core machine (issue 35 item 5, issue
36; the packed kernel most often with unrestricted orbitals and `MultiSlater2nd`).
NetKet's columns are therefore NetKet's programs with their LAPACK calls put in one
order (`lapack_ordered`, `ordered_expect_and_forces`: the order symir's own programs
run in), timed in this process, interleaved with symir's. Run the whole benchmark
under `timeout`. On a 2-core machine NetKet's packed kernel still stopped in `E_loc`
with its calls ordered (2026-11-25); with `PJRT_NPROC=4` (four threads in XLA's CPU
pool, symir's times unchanged) it returned in every run.

Energies (and in `expect_and_grad` the gradients) of every method are checked equal to
NetKet's default within 1e-10 of the largest magnitude (at least 1) before timing.

Models (`--models`, comma-separated): `LxW` (a periodic `L x W` grid), `chainL` (a
periodic chain), each optionally `:UP/DOWN` fermions per spin (default: half of the
sites each): `4x4`, `3x4:5/6`, `chain12:4/3`. Networks (`--kinds`): `restricted`,
`unrestricted`, `generalized` (`Slater2nd`), `multi` (`MultiSlater2nd` with 4 restricted
determinants), `user` (a module written here: `slogdet` of orbitals at `jnp.nonzero`
positions times a Jastrow factor), `complex` (a restricted `Slater2nd` of complex
orbitals).

    PJRT_NPROC=4 timeout 3000 .venv/bin/python benchmarks/determinants.py [--models 4x4] [--samples 1024]
        [--rounds 5] [--kinds restricted,unrestricted,generalized,multi,user]
"""

from __future__ import annotations

import argparse
import time
import warnings

import flax.linen as nn
import jax
import jax.numpy as jnp
import netket as nk
import numpy as np
from _expect import expect_and_grad

import symir as sym
from symir import models
from symir.runtime.lapack_order import lapack_ordered
from symir.runtime.local_energy import choose_path, local_energy_plan

jax.config.update("jax_enable_x64", True)


class OccupiedOrbitals(nn.Module):
    """A user's module (no adapter, not NetKet's): `slogdet` of one orbital matrix at the
    occupied positions (`jnp.nonzero`), times a Jastrow factor `exp(x J x)`."""

    n: int

    @nn.compact
    def __call__(self, x):
        orbitals = self.param("orbitals", nn.initializers.normal(1.0), (x.shape[-1], self.n))
        jastrow = self.param("J", nn.initializers.normal(0.01), (x.shape[-1], x.shape[-1]))

        def one(x):
            (rows,) = jnp.nonzero(x, size=self.n)
            sign, logabs = jnp.linalg.slogdet(orbitals[rows])
            return logabs + jnp.log(sign + 0j) + x @ jastrow @ x

        return jnp.vectorize(one, signature="(n)->()")(x.astype(float))


KINDS = {
    "restricted": lambda hi: nk.models.Slater2nd(hi, restricted=True),
    "unrestricted": lambda hi: nk.models.Slater2nd(hi, restricted=False),
    "generalized": lambda hi: nk.models.Slater2nd(hi, generalized=True, restricted=False),
    "multi": lambda hi: nk.models.MultiSlater2nd(hi, n_determinants=4, restricted=True),
    "user": lambda hi: OccupiedOrbitals(hi.n_fermions),
    "complex": lambda hi: nk.models.Slater2nd(hi, param_dtype=complex),
}
"""The networks (`--kinds`): `Slater2nd`'s three kinds of orbitals, `MultiSlater2nd` (4
restricted determinants), a user's module (`OccupiedOrbitals`) and a restricted
`Slater2nd` of complex orbitals (`complex`)."""


def lattice(spec: str):
    """`(graph, fermions per spin)` of a model `spec` (module docstring)."""
    shape, _, filling = spec.partition(":")
    if shape.startswith("chain"):
        graph = nk.graph.Chain(int(shape[5:]), pbc=True)
    else:
        graph = nk.graph.Grid([int(s) for s in shape.split("x")], pbc=True)
    n = graph.n_nodes
    per_spin = tuple(int(f) for f in filling.split("/")) if filling else (n // 2, n // 2)
    return graph, per_spin


def timed(fns: dict, rounds: int) -> dict[str, float]:
    """Medians of interleaved rounds (ms, wall clock), each call waited for (two
    programs that call LAPACK dispatched together can deadlock XLA's CPU pool)."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    keys = list(fns)
    for r in range(rounds):
        for k in keys[r % len(keys) :] + keys[: r % len(keys)]:
            t = time.perf_counter()
            jax.block_until_ready(fns[k]())
            times[k].append(time.perf_counter() - t)
    return {k: 1e3 * float(np.median(v)) for k, v in times.items()}


def state(spec: str, kind: str, network, args):
    graph, per_spin = lattice(spec)
    hi = nk.hilbert.SpinOrbitalFermions(graph.n_nodes, s=0.5, n_fermions_per_spin=per_spin)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = models.fermi_hubbard(hi, graph, t=1, U=4).compile().to_netket(hi)
        ref = models.netket_fermi_hubbard(hi, graph, t=1, U=4).to_jax_operator()
        sampler = nk.sampler.MetropolisFermionHop(hi, graph=graph, n_chains=16)
        vs = nk.vqs.MCState(sampler, network(hi), n_samples=args.samples, seed=0)
        vs.sample()
    return hi, ours, ref, vs


def netket_local_energies(vs, ref, packed: bool):
    """NetKet's kernel (default or packed) on NetKet's operator, jitted, its LAPACK calls
    in one order."""
    nk.config.netket_experimental_packed_kernel = packed
    try:
        kernel = nk.vqs.get_local_kernel(vs, ref)
    finally:
        nk.config.netket_experimental_packed_kernel = False
    return jax.jit(lapack_ordered(lambda p, x, op: kernel(vs._apply_fun, p, x, op)))


def assert_equal(results: dict, reference: str = "netket") -> None:
    """Every result (a pytree) within 1e-10 of `reference`'s, relative to its largest
    magnitude (at least 1)."""
    want = jax.tree_util.tree_leaves(results[reference])
    scale = max(1.0, *(float(jnp.max(jnp.abs(w))) for w in want))
    for k, got in results.items():
        err = max(
            float(jnp.max(jnp.abs(a - b)))
            for a, b in zip(jax.tree_util.tree_leaves(got), want, strict=True)
        )
        assert err < 1e-10 * scale, (k, err, scale)


def run(spec: str, kind: str, args, network=None) -> tuple[str, ...]:
    """The `E_loc` and `expect_and_grad` rows of one model and network (`network`: a
    function of the Hilbert space, default `KINDS[kind]`)."""
    try:
        hi, ours, ref, vs = state(spec, kind, network or KINDS[kind], args)
    except ValueError as exc:  # restricted orbitals with unequal spin fillings
        return (f"| {spec} | {kind} | not built: {exc} |",)
    op = ours.compiled
    x = vs.samples.reshape(-1, hi.size)
    params = vs.variables
    apply = vs._apply_fun
    path = choose_path(apply, params, x, op, local_energy_plan(op), padded=True)
    det = jax.jit(lambda p, x: sym.local_energies(apply, p, x, op, fast_updates="auto"))
    plain = jax.jit(lambda p, x: sym.local_energies(apply, p, x, op))
    default = netket_local_energies(vs, ref, False)
    packed = netket_local_energies(vs, ref, True)
    e_loc = {
        "netket": lambda: default(params, x, ref),
        "packed": lambda: packed(params, x, ref),
        "plain": lambda: plain(params, x),
        "symir": lambda: det(params, x),
    }
    e_and_g = {
        "netket": lambda: expect_and_grad(vs, ref, ordered=True),
        "packed": lambda: expect_and_grad(vs, ref, packed=True, ordered=True),
        "symir": lambda: expect_and_grad(vs, ours),
    }
    for fns in (e_loc, e_and_g):
        assert_equal({k: jax.block_until_ready(f()) for k, f in fns.items()})
    t = timed(e_loc, args.rounds)
    g = timed(e_and_g, args.rounds)
    up, down = hi.n_fermions_per_spin
    head = f"| {spec.partition(':')[0]} ({up},{down}) | {kind} |"
    return (
        f"{head} E_loc | {path.name} | {t['netket']:.1f} | {t['packed']:.1f} | "
        f"{t['plain']:.1f} | {t['symir']:.1f} | {t['symir'] / t['netket']:.2f} | "
        f"{t['symir'] / t['packed']:.2f} |",
        f"{head} expect_and_grad | {path.name} | {g['netket']:.1f} | {g['packed']:.1f} | | "
        f"{g['symir']:.1f} | {g['symir'] / g['netket']:.2f} | {g['symir'] / g['packed']:.2f} |",
    )


HEADER = (
    "| model | network | what | symir path (auto) | NetKet ms | NetKet packed | symir plain | "
    "symir | symir/NetKet | symir/packed |\n|---|---|---|---|---|---|---|---|---|---|"
)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="4x4")
    parser.add_argument("--samples", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--kinds", default="restricted,unrestricted,generalized,multi,user")
    args = parser.parse_args(argv)
    print(
        f"Fermi-Hubbard, U = 4, {args.samples} samples, {jax.default_backend()}, medians of "
        f"{args.rounds} interleaved rounds (ms); NetKet's programs with their LAPACK calls "
        "in one order\n"
    )
    print(HEADER)
    for spec in args.models.split(","):
        for kind in args.kinds.split(","):
            for row in run(spec, kind, args):
                print(row, flush=True)


if __name__ == "__main__":
    main()
