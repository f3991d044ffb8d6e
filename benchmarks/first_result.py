"""Time to a first result of an operator written one term at a time in the DSL, against
NetKet's operator of the same list, in one process: the loop and `build()`, `compile()`,
the first `get_conn_padded` call (XLA compile and run) on `--batch` samples; NetKet's
build (from the same data as the DSL's loop: for couplings, the user's loop that makes
NetKet's strings from the pairs counts, as the DSL's loop from the pairs does) and first
call. `benchmarks/many_terms.py`'s models and first-result columns,
without its kernel timings (so it runs in seconds; to compare two checkouts, run it
through `benchmarks/at_checkout.py <checkout>` for each, alternating: `PYTHONPATH` alone
mixes the checkouts' lowering). Each side's timer starts after `gc.collect()`, so that
neither pays a full collection owed by what ran before it. Times are wall clock; the ratio is
also given in CPU time (`time.process_time`, all of the process's threads), steadier on a
shared machine.

    .venv/bin/python benchmarks/first_result.py --model pauli --terms 10000 --sites 32 --seed 29
    .venv/bin/python benchmarks/first_result.py --model couplings --terms 100000 --sites 36 --seed 41
"""

from __future__ import annotations

import argparse
import gc
import time

import jax
import many_terms
import numpy as np


def first_result(model: str, n: int, sites: int, seed: int, locality: int, batch: int):
    kw = {"locality": locality} if model == "pauli" else {}
    hi, inputs, reference = many_terms.MODELS[model](n, sites, seed, **kw)
    x = np.asarray(hi.random_state(jax.random.PRNGKey(1), batch))
    # each side's timer starts after a full collection: a collection owed by what ran
    # before (imports, the warm-up, the other side) is not charged to whoever runs next
    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    op = inputs["dsl"]()
    t1 = time.perf_counter()
    compiled = op.compile()
    t2 = time.perf_counter()
    jax.block_until_ready(compiled.get_conn_padded(x))
    t3, c3 = time.perf_counter(), time.process_time()
    gc.collect()
    t3n, c3n = time.perf_counter(), time.process_time()
    jax.block_until_ready(reference(from_data=True).get_conn_padded(x))
    t4, c4 = time.perf_counter(), time.process_time()
    loop = loop_cpu = 0.0  # NetKet's user loop alone (couplings: strings from the pairs)
    if hasattr(reference, "make_strings"):
        t5, c5 = time.perf_counter(), time.process_time()
        reference.make_strings()
        loop, loop_cpu = time.perf_counter() - t5, time.process_time() - c5
    netket, netket_cpu = t4 - t3n, c4 - c3n
    symir_cpu = c3 - c0
    return (
        (t1 - t0, t2 - t1, t3 - t2, t3 - t0),
        (netket, symir_cpu / netket_cpu),
        (loop, symir_cpu / (netket_cpu - loop_cpu)),
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", choices=("pauli", "couplings", "fermion"), default="pauli")
    p.add_argument("--terms", type=int, default=10000, help="strings, pairs or products")
    p.add_argument("--sites", type=int, default=32)
    p.add_argument("--seed", type=int, default=29)
    p.add_argument("--locality", type=int, default=0, help="pauli: sites per string (0: all)")
    p.add_argument("--batch", type=int, default=512)
    a = p.parse_args()
    first_result(a.model, 16, a.sites, a.seed + 1000, a.locality, a.batch)  # imports, first uses
    (build, compile_, call, first), (netket, cpu), (loop, cpu_list) = first_result(
        a.model, a.terms, a.sites, a.seed, a.locality, a.batch
    )
    without_loop = (
        f"; NetKet without its loop to the strings ({loop:.3f} s): "
        f"{first / (netket - loop):.2f}x (CPU time {cpu_list:.2f}x)"
    )
    print(
        f"{a.model} {a.terms} terms, {a.sites} sites, seed {a.seed}: build {build:.3f} s "
        f"({build / a.terms * 1e6:.1f} us/term), compile {compile_:.3f}, first call "
        f"{call:.3f}, first result {first:.3f} s (NetKet {netket:.3f}): {first / netket:.2f}x "
        f"(CPU time {cpu:.2f}x)" + (without_loop if loop else "")
    )


if __name__ == "__main__":
    main()
