"""Local energies of a determinant network on the default device, one piece at a time.

Fermi-Hubbard 4x4 (8, 8) with NetKet's restricted `Slater2nd`, 1,024 samples: NetKet's
default kernel with and without its LAPACK calls in one order (`lapack_ordered`), and
symir's plain path and determinant updates with the order on and off (the module's
`lapack_ordered` and `network_calls_lapack` replaced for the variant), jitted, equal to
NetKet's at 1e-10; medians of interleaved calls (ms, wall). `--dump FOLDER` writes the
optimized HLO of each program.

    .venv/bin/python benchmarks/gpu_slater.py [--dump /tmp/slater] [--rounds 5]
"""

from __future__ import annotations

import argparse
import contextlib
import re
import time
import warnings
from collections import Counter
from pathlib import Path

import jax
import netket as nk
import numpy as np

import symir as sym
import symir.runtime.lapack_order as lapack_order
import symir.runtime.local_energy as local_energy
from symir import models

jax.config.update("jax_enable_x64", True)


@contextlib.contextmanager
def unordered():
    """symir's programs traced without the LAPACK order (only while tracing)."""
    saved = (
        lapack_order.lapack_ordered,
        local_energy.lapack_ordered,
        local_energy.network_calls_lapack,
    )
    lapack_order.lapack_ordered = local_energy.lapack_ordered = lambda fn: fn
    local_energy.network_calls_lapack = lambda *a, **k: False
    try:
        yield
    finally:
        (
            lapack_order.lapack_ordered,
            local_energy.lapack_ordered,
            local_energy.network_calls_lapack,
        ) = saved


def kinds(text: str) -> dict:
    entry = text[text.index("ENTRY") :]
    ops = re.findall(r"=\s*\S+\s+(fusion|custom-call|while|conditional|copy|sort)\(", entry)
    calls = re.findall(r'custom_call_target="([^"]+)"', text)
    return {**Counter(ops), "targets": dict(Counter(calls))}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--samples", type=int, default=1024)
    parser.add_argument("--dump", type=Path, default=None)
    args = parser.parse_args()
    graph = nk.graph.Grid([4, 4], pbc=True)
    hi = nk.hilbert.SpinOrbitalFermions(16, s=0.5, n_fermions_per_spin=(8, 8))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        op = models.fermi_hubbard(hi, graph, t=1, U=4).compile()
        ref = models.netket_fermi_hubbard(hi, graph, t=1, U=4).to_jax_operator()
        sampler = nk.sampler.MetropolisFermionHop(hi, graph=graph, n_chains=16)
        vs = nk.vqs.MCState(sampler, nk.models.Slater2nd(hi), n_samples=args.samples, seed=0)
        x = vs.samples.reshape(-1, hi.size)
    params, apply = vs.variables, vs._apply_fun
    ref.get_conn_padded(np.asarray(x[:1]))  # its tables made outside any trace
    kernel = nk.vqs.get_local_kernel(vs, ref)
    netket = lambda p, x: kernel(apply, p, x, ref)  # noqa: E731
    plain = lambda p, x: sym.local_energies(apply, p, x, op)  # noqa: E731
    det = lambda p, x: sym.local_energies(apply, p, x, op, fast_updates="auto")  # noqa: E731
    fns = {}
    for name, fn, ordered in (
        ("netket", netket, False),
        ("netket ordered", netket, True),
        ("symir plain", plain, True),
        ("symir plain unordered", plain, False),
        ("symir det", det, True),
        ("symir det unordered", det, False),
    ):
        # a new function each time: jit's cache is keyed on it
        fresh = lambda p, x, fn=fn: fn(p, x)  # noqa: E731
        wrapped = jax.jit(
            lapack_order.lapack_ordered(fresh) if ordered and "netket" in name else fresh
        )
        t0 = time.perf_counter()
        with contextlib.nullcontext() if ordered else unordered():
            jax.block_until_ready(wrapped(params, x))  # traced here, in its order
            compile_s = time.perf_counter() - t0
            text = wrapped.lower(params, x).compile().as_text()
        if args.dump is not None:
            args.dump.mkdir(parents=True, exist_ok=True)
            (args.dump / (name.replace(" ", "_") + ".hlo")).write_text(text)
        fns[name] = wrapped
        print(f"{name}: compile {compile_s:.1f} s, {kinds(text)}", flush=True)
    want = np.asarray(fns["netket"](params, x))
    for name, fn in fns.items():
        got = np.asarray(fn(params, x))
        err = float(np.max(np.abs(got - want)))
        print(f"{name}: max |E - E_netket| = {err:.1e}", flush=True)
    times = {k: [] for k in fns}
    for _ in range(args.rounds):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            jax.block_until_ready(fn(params, x))
            times[k].append(time.perf_counter() - t0)
    base = np.median(times["netket"])
    print(f"{jax.default_backend()}, {args.samples} samples, medians of {args.rounds} (ms):")
    for k, v in times.items():
        print(f"  {k:<24}{1e3 * np.median(v):>10.2f}{np.median(v) / base:>8.2f}x")


if __name__ == "__main__":
    main()
