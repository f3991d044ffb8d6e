"""`E_loc` and `expect_and_grad` of the derived split against NetKet's packed kernel.

For each `model:network` of `any_network.py` (its states: `--chains` chains, 1,024
samples, sampled once): `E_loc`, `symir.local_energies(..., fast_updates=model)` jitted,
against NetKet's packed local kernel (`nk.vqs.get_local_kernel` with
`nk.config.netket_experimental_packed_kernel = True`) on NetKet's operator; and
`vstate.expect_and_grad` with symir's operator against NetKet's operator with the packed
kernel. Energies are checked equal (6e-14 on the lattices), `expect_and_grad` against
NetKet's default to 1e-10; then medians of interleaved rounds, printed with the least
process CPU time of each (on a shared machine CPU time is steadier than the wall clock).

    .venv/bin/python benchmarks/eloc_packed.py [--rounds 11] j1j2:user tfim8:user ...
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import netket as nk

sys.path.insert(0, str(Path(__file__).parent))
import any_network as an
from _expect import expect_and_grad

import symir


def run(model: str, network: str, rounds: int, chains: int, samples: int) -> str:
    args = argparse.Namespace(chains=chains, samples=samples)
    hi, ours, ref, vs = an.state(model, network, args)
    x = vs.samples.reshape(-1, hi.size)
    energies = jax.jit(
        lambda v, x: symir.local_energies(vs._apply_fun, v, x, ours, fast_updates=vs.model)
    )
    nk.config.netket_experimental_packed_kernel = True
    try:
        samples_nk, extra = nk.vqs.get_local_kernel_arguments(vs, ref)
        kernel = nk.vqs.get_local_kernel(vs, ref)
    finally:
        nk.config.netket_experimental_packed_kernel = False
    packed = jax.jit(lambda v, s, a: kernel(vs._apply_fun, v, s, a))
    flat = samples_nk.reshape(-1, hi.size)
    theirs = packed(vs.variables, flat, extra)
    err = float(jnp.max(jnp.abs(energies(vs.variables, x) - theirs)))
    assert err < 1e-10 * max(1.0, float(jnp.max(jnp.abs(theirs)))), err  # relative if large
    fns = {
        "E_symir": lambda: energies(vs.variables, x),
        "E_packed": lambda: packed(vs.variables, flat, extra),
        "G_symir": lambda: expect_and_grad(vs, ours),
        "G_packed": lambda: expect_and_grad(vs, ref, packed=True),
    }
    checked = {"netket": lambda: expect_and_grad(vs, ref), "symir": fns["G_symir"]}
    an.assert_equal(an.one_at_a_time({**checked, "packed": fns["G_packed"]}), "netket")
    cpu: dict[str, float] = {}
    t = an.timed(fns, rounds, cpu)
    cells = [model, network, f"{err:.0e}"]
    for a in ("E", "G"):
        s, p = f"{a}_symir", f"{a}_packed"
        cells.append(f"{cpu[s]:.1f} / {cpu[p]:.1f}")
        cells.append(f"{cpu[s] / cpu[p]:.2f} ({t[s] / t[p]:.2f})")
    return "| " + " | ".join(cells) + " |"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pairs", nargs="+", help="model:network of any_network.py")
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--chains", type=int, default=16)
    parser.add_argument("--samples", type=int, default=1024)
    args = parser.parse_args(argv)
    print(f"load {os.getloadavg()}")
    print("| model | network | max dE | E_loc CPU ms symir / packed | ratio (wall) |", end="")
    print(" expect_and_grad CPU ms | ratio (wall) |")
    print("|---|---|---|---|---|---|---|")
    for pair in args.pairs:
        model, network = pair.split(":")
        print(run(model, network, args.rounds, args.chains, args.samples), flush=True)
    print(f"load {os.getloadavg()}")


if __name__ == "__main__":
    main()
