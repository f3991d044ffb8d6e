"""Slater networks' local energies by low-rank updates (issue 36 item 2).

Fermi-Hubbard (default 4x4, periodic, (8, 8) fermions) with NetKet's `Slater2nd`, the
same `--samples` samples (NetKet's `MetropolisFermionHop`, sampled once) for every
method; medians of interleaved rounds in one process, jitted:

- `symir det`: `determinant_block` (symir/runtime/determinant_updates.py): each sample's
  inverse once, a rank-1 update per hop;
- `symir plain`: `sum mels * exp(logpsi(xp) - logpsi(x))` on symir's `get_conn_padded`
  (one `slogdet` per connected state and spin sector);
- `NetKet`: `vstate.local_estimators(FermionOperator2ndJax)` (and with
  `netket_experimental_packed_kernel`, which evaluates only the non-zero elements).

Energies are checked equal (1e-10 relative to the largest) before timing.

    .venv/bin/python benchmarks/determinants.py [--side 4] [--samples 1024] [--rounds 7]
        [--kinds restricted,unrestricted,generalized]
"""

from __future__ import annotations

import argparse
import time
import warnings

import jax
import jax.numpy as jnp
import netket as nk
import numpy as np

from symir import models
from symir.runtime.determinant_updates import determinant_block
from symir.runtime.lapack_order import lapack_ordered
from symir.runtime.local_energy import _delta_block, local_energy_plan

jax.config.update("jax_enable_x64", True)

KINDS = {
    "restricted": dict(restricted=True),
    "unrestricted": dict(restricted=False),
    "generalized": dict(generalized=True, restricted=False),
}


def timed(fns: dict, rounds: int) -> dict[str, float]:
    times: dict[str, list[float]] = {k: [] for k in fns}
    keys = list(fns)
    for r in range(rounds):
        for k in keys[r % len(keys) :] + keys[: r % len(keys)]:
            t = time.perf_counter()
            jax.block_until_ready(fns[k]())
            times[k].append(time.perf_counter() - t)
    return {k: 1e3 * float(np.median(v)) for k, v in times.items()}


def local_estimators(vs, op, packed: bool):
    nk.config.netket_experimental_packed_kernel = packed
    try:
        out = vs.local_estimators(op)
        return getattr(out, "data", out)
    finally:
        nk.config.netket_experimental_packed_kernel = False


def run(side: int, kind: str, args) -> str:
    graph = nk.graph.Square(side, pbc=True)
    n = graph.n_nodes
    hi = nk.hilbert.SpinOrbitalFermions(n, s=0.5, n_fermions_per_spin=(n // 2, n // 2))
    op = models.fermi_hubbard(hi, graph, t=1, U=4).compile()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = models.netket_fermi_hubbard(hi, graph, t=1, U=4).to_jax_operator()
        ma = nk.models.Slater2nd(hi, **KINDS[kind])
        sampler = nk.sampler.MetropolisFermionHop(hi, graph=graph, n_chains=16)
        vs = nk.vqs.MCState(sampler, ma, n_samples=args.samples, seed=0)
        vs.sample()
    x = vs.samples.reshape(-1, hi.size)
    params = vs.variables
    block, reason = determinant_block(ma.apply, params, x, fallback=_delta_block)
    assert block is not None, reason
    plan = local_energy_plan(op)
    capacity = x.shape[0] * plan.max_conn_size

    det = jax.jit(lambda p, x: block(ma.apply, p, x, op, plan, capacity, True))

    @jax.jit
    @lapack_ordered  # two independent batched LUs can deadlock XLA's CPU pool
    def plain(p, x):
        xp, mels = op.get_conn_padded(x)
        lp = ma.apply(p, xp.reshape(-1, x.shape[-1])).reshape(mels.shape)
        return jnp.sum(mels * jnp.exp(lp - ma.apply(p, x)[:, None]), axis=-1)

    fns = {
        "det": lambda: det(params, x),
        "plain": lambda: plain(params, x),
        "netket": lambda: local_estimators(vs, ref, False),
        "packed": lambda: local_estimators(vs, ref, True),
    }
    results = {k: np.asarray(f()).reshape(-1) for k, f in fns.items()}
    want = results["netket"]
    scale = max(1.0, float(np.max(np.abs(want))))
    for k, got in results.items():
        err = float(np.max(np.abs(got - want)))
        assert err < 1e-10 * scale, (k, err, scale)
    t = timed(fns, args.rounds)
    return (
        f"| {side}x{side} ({n // 2},{n // 2}) | {kind} | {plan.max_conn_size} | "
        f"{t['netket']:.1f} | {t['packed']:.1f} | {t['plain']:.1f} | {t['det']:.1f} | "
        f"{t['det'] / t['plain']:.3f} | {t['det'] / t['netket']:.3f} | "
        f"{t['det'] / t['packed']:.3f} |"
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=4)
    parser.add_argument("--samples", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--kinds", default="restricted")
    args = parser.parse_args(argv)
    print(
        f"local energies, Fermi-Hubbard, Slater2nd, {args.samples} samples, "
        f"{jax.default_backend()}, medians of {args.rounds} rounds (ms)\n"
    )
    print(
        "| model | Slater2nd | F | NetKet | NetKet packed | symir plain | symir det | "
        "det/plain | det/NetKet | det/packed |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for kind in args.kinds.split(","):
        print(run(args.side, kind, args), flush=True)


if __name__ == "__main__":
    main()
