"""Sums of random Pauli strings: `symir.pauli_strings` against NetKet's `PauliStringsJax`
built from the same list, in the same process (docs/pauli-strings.md).

For each size: build (`pauli_strings`), compile (symir: passes, StableHLO text; the XLA
compile is part of the first call), first call (`get_conn_padded` on `B` samples: XLA
compile and run), the StableHLO text size and its op count, the peak resident memory so
far, F (slots), and the kernel time (median of `--repeats` calls, `B` samples) of both.
NetKet's "first result" is its build plus its first call.

    .venv/bin/python benchmarks/pauli_scaling.py                       # 100, 1k, 10k on 32 qubits
    .venv/bin/python benchmarks/pauli_scaling.py --sizes 100000 --sites 50 --batch 64
"""

from __future__ import annotations

import argparse
import resource
import time

import jax
import numpy as np
from _common import print_row

jax.config.update("jax_enable_x64", True)


def random_strings(n_strings: int, n_sites: int, seed: int) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    letters = np.frombuffer(b"IXYZ", np.uint8)[rng.integers(0, 4, (n_strings, n_sites))]
    strings = [row.tobytes().decode() for row in letters]
    return strings, rng.normal(size=n_strings)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def run(n_strings: int, n_sites: int, batch: int, repeats: int, seed: int, netket: bool):
    import netket as nk

    import symir as sym

    hi = nk.hilbert.Spin(0.5, n_sites)
    strings, weights = random_strings(n_strings, n_sites, seed)
    x = jax.numpy.asarray(hi.random_state(jax.random.PRNGKey(seed), batch), dtype=np.int8)
    row = {"strings": n_strings, "sites": n_sites}

    t = time.perf_counter()
    op = sym.pauli_strings(hi, strings, weights)
    row["build"] = time.perf_counter() - t
    t = time.perf_counter()
    H = op.compile(cache=False)
    row["compile"] = time.perf_counter() - t
    text = H.stablehlo if hasattr(H, "stablehlo") else None
    if text is None:
        text = getattr(H, "stablehlo_text", "") or ""
    row["hlo_kib"] = len(text.encode()) / 1024
    row["hlo_ops"] = sum(1 for line in text.splitlines() if "stablehlo." in line)
    t = time.perf_counter()
    jax.block_until_ready(H.get_conn_padded(x))
    row["first_call"] = time.perf_counter() - t
    row["first_result"] = row["build"] + row["compile"] + row["first_call"]
    row["F"] = H.max_conn_size
    row["kernel_ms"] = 1e3 * timed(lambda: H.get_conn_padded(x), repeats)
    row["peak_mib"] = peak_mib()
    print(f"  symir: {row}", flush=True)
    if netket:
        t = time.perf_counter()
        ref = nk.operator.PauliStringsJax(hi, strings, weights)
        ref._setup()
        build = time.perf_counter() - t
        xf = x.astype(np.float64)
        fn = jax.jit(lambda v: ref.get_conn_padded(v))
        t = time.perf_counter()
        jax.block_until_ready(fn(xf))
        row["nk_first_result"] = build + time.perf_counter() - t
        row["nk_F"] = ref.max_conn_size
        row["nk_kernel_ms"] = 1e3 * timed(lambda: fn(xf), repeats)
        row["ratio"] = row["kernel_ms"] / row["nk_kernel_ms"]
        row["peak_mib"] = peak_mib()
    return row


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="100,1000,10000", help="numbers of strings, comma-separated")
    p.add_argument("--sites", type=int, default=32)
    p.add_argument("--batch", type=int, default=512)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-netket", action="store_true", help="symir only")
    args = p.parse_args()
    cols = [
        "strings", "sites", "F", "build", "compile", "first_call", "first_result",
        "nk_first_result", "hlo_kib", "hlo_ops", "kernel_ms", "nk_kernel_ms", "ratio", "peak_mib",
    ]  # fmt: skip
    print(" | ".join(cols))
    for size in (int(s) for s in args.sizes.split(",") if s):
        print_row(
            run(size, args.sites, args.batch, args.repeats, args.seed, not args.no_netket), cols
        )


if __name__ == "__main__":
    main()
