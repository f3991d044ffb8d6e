"""Slater networks' local energies by low-rank updates (issue 36 item 2).

Fermi-Hubbard (default 4x4, periodic, (8, 8) fermions) with NetKet's `Slater2nd`
(restricted, unrestricted, generalized), `MultiSlater2nd` or a user's module, the
same `--samples` samples (NetKet's `MetropolisFermionHop`, sampled once) for every
method; medians of interleaved rounds in one process, jitted:

- `symir det`: `symir.local_energies(..., fast_updates="auto")`, which chooses the
  determinant updates by cost (`choose_path`; symir/runtime/determinant_updates.py):
  each sample's inverse once, a rank-1 update per hop;
- `symir plain`: `symir.local_energies` without fast updates (the network on each
  candidate connected state, compacted: one `slogdet` per state and spin sector);
- `NetKet`: `vstate.local_estimators(FermionOperator2ndJax)`, and with
  `netket_experimental_packed_kernel` (the non-zero elements only). The packed kernel
  deadlocks XLA's CPU pool with `Slater2nd` on a 2-core machine (issue 35 item 5, in
  NetKet's code): it runs in a subprocess under `--packed-timeout` seconds, interleaved
  there with NetKet's default, and `det/packed` is `det/NetKet` here times
  `NetKet/packed` there ("hangs" when it does not return).

Energies are checked equal (1e-10 relative to the largest) before timing. Ratios are
of wall-clock medians, with those of process CPU time (all threads) in parentheses: on
a shared machine the CPU time varies less with the other jobs' load.

    .venv/bin/python benchmarks/determinants.py [--side 4] [--samples 1024] [--rounds 7]
        [--kinds restricted,unrestricted,generalized,multi,user] [--packed-timeout 200]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import warnings

import flax.linen as nn
import jax
import jax.numpy as jnp
import netket as nk
import numpy as np

import symir as sym
from symir import models
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
}
"""The networks (`--kinds`): `Slater2nd`'s three kinds of orbitals, `MultiSlater2nd` (4
restricted determinants) and a user's module (`OccupiedOrbitals`)."""


def timed(fns: dict, rounds: int) -> dict[str, tuple[float, float]]:
    """Medians of interleaved rounds (ms): `(wall clock, process CPU time)` per function
    (on a shared machine the CPU time, all threads, varies less with the load)."""
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in fns}
    keys = list(fns)
    for r in range(rounds):
        for k in keys[r % len(keys) :] + keys[: r % len(keys)]:
            t, c = time.perf_counter(), time.process_time()
            jax.block_until_ready(fns[k]())
            times[k].append((time.perf_counter() - t, time.process_time() - c))
    return {k: tuple(1e3 * float(m) for m in np.median(v, axis=0)) for k, v in times.items()}


def local_estimators(vs, op, packed: bool):
    nk.config.netket_experimental_packed_kernel = packed
    try:
        out = vs.local_estimators(op)
        return getattr(out, "data", out)
    finally:
        nk.config.netket_experimental_packed_kernel = False


def state(side: int, kind: str, args):
    graph = nk.graph.Square(side, pbc=True)
    n = graph.n_nodes
    hi = nk.hilbert.SpinOrbitalFermions(n, s=0.5, n_fermions_per_spin=(n // 2, n // 2))
    op = models.fermi_hubbard(hi, graph, t=1, U=4).compile()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = models.netket_fermi_hubbard(hi, graph, t=1, U=4).to_jax_operator()
        ma = KINDS[kind](hi)
        sampler = nk.sampler.MetropolisFermionHop(hi, graph=graph, n_chains=16)
        vs = nk.vqs.MCState(sampler, ma, n_samples=args.samples, seed=0)
        vs.sample()
    return hi, op, ref, ma, vs


def check(results: dict) -> None:
    want = results["netket"]
    scale = max(1.0, float(np.max(np.abs(want))))
    for k, got in results.items():
        err = float(np.max(np.abs(got - want)))
        assert err < 1e-10 * scale, (k, err, scale)


def packed_only(side: int, kind: str, args) -> None:
    """The subprocess: NetKet's default and packed kernels, checked equal and timed
    interleaved; prints `{"netket": ms, "packed": ms}`."""
    _, _, ref, _, vs = state(side, kind, args)
    fns = {
        "netket": lambda: local_estimators(vs, ref, False),
        "packed": lambda: local_estimators(vs, ref, True),
    }
    check({k: np.asarray(f()).reshape(-1) for k, f in fns.items()})
    print(json.dumps(timed(fns, args.rounds)), flush=True)


def packed_ratio(side: int, kind: str, args) -> tuple[float, float] | None:
    """`NetKet / packed` from a subprocess (wall clock, CPU time); None when it does not
    return in time."""
    command = [sys.executable, __file__, "--packed-only", "--side", str(side)]
    command += ["--kinds", kind, "--samples", str(args.samples), "--rounds", str(args.rounds)]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=args.packed_timeout, check=True
        )
    except subprocess.TimeoutExpired:
        return None
    t = json.loads(done.stdout.strip().splitlines()[-1])
    return t["netket"][0] / t["packed"][0], t["netket"][1] / t["packed"][1]


def run(side: int, kind: str, args) -> str:
    hi, op, ref, ma, vs = state(side, kind, args)
    n = hi.size // 2
    x = vs.samples.reshape(-1, hi.size)
    params = vs.variables
    plan = local_energy_plan(op)
    path = choose_path(ma.apply, params, x, op, plan, padded=True)
    det = jax.jit(lambda p, x: sym.local_energies(ma.apply, p, x, op, fast_updates="auto"))
    plain = jax.jit(lambda p, x: sym.local_energies(ma.apply, p, x, op))
    fns = {
        "det": lambda: det(params, x),
        "plain": lambda: plain(params, x),
        "netket": lambda: local_estimators(vs, ref, False),
    }
    check({k: np.asarray(f()).reshape(-1) for k, f in fns.items()})
    t = timed(fns, args.rounds)
    ratio = packed_ratio(side, kind, args)
    wall = {k: v[0] for k, v in t.items()}
    cpu = {k: v[1] for k, v in t.items()}
    packed = "hangs" if ratio is None else f"{wall['netket'] / ratio[0]:.1f}"
    to_packed = (
        f"> {args.packed_timeout} s"
        if ratio is None
        else (
            f"{wall['det'] / wall['netket'] * ratio[0]:.3f} "
            f"({cpu['det'] / cpu['netket'] * ratio[1]:.3f})"
        )
    )
    return (
        f"| {side}x{side} ({n // 2},{n // 2}) | {kind} | {plan.max_conn_size} | {path.name} | "
        f"{wall['netket']:.1f} | {packed} | {wall['plain']:.1f} | {wall['det']:.1f} | "
        f"{wall['det'] / wall['plain']:.3f} ({cpu['det'] / cpu['plain']:.3f}) | "
        f"{wall['det'] / wall['netket']:.3f} ({cpu['det'] / cpu['netket']:.3f}) | {to_packed} |"
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=4)
    parser.add_argument("--samples", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--kinds", default="restricted,unrestricted,generalized")
    parser.add_argument("--packed-timeout", type=int, default=200)
    parser.add_argument("--packed-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.packed_only:
        packed_only(args.side, args.kinds, args)
        return
    print(
        f"local energies, Fermi-Hubbard, Slater2nd, {args.samples} samples, "
        f"{jax.default_backend()}, medians of {args.rounds} rounds (ms)\n"
    )
    print(
        "| model | network | F | symir path (auto) | NetKet | NetKet packed | symir plain | "
        "symir det | det/plain | det/NetKet | det/packed |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for kind in args.kinds.split(","):
        print(run(args.side, kind, args), flush=True)


if __name__ == "__main__":
    main()
