"""Operator products: symir's `a @ b` of strings (fermion strings in normal order, Pauli
strings site by site) against NetKet's `@` of the same operators.

Each case builds both products, checks them equal on random configurations
(`symir.testing.first_difference`: connected states and summed elements, 1e-10), then
reports the product's time, the compile (symir: `compile()`, fresh module cache;
NetKet: `to_jax_operator()` where it has one), the first jitted call, F, and the
kernel's median over interleaved rounds (docs/fermions.md, docs/pauli-strings.md).

    .venv/bin/python benchmarks/products.py
    .venv/bin/python benchmarks/products.py --cases mol4,hubbard3 --batch 256 --rounds 15
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import jax
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import _common

jax.config.update("jax_enable_x64", True)
warnings.simplefilter("ignore")

import netket as nk  # noqa: E402

import symir as sym  # noqa: E402
from symir.testing import first_difference  # noqa: E402


def _molecule(m: int, electrons: int):
    """`mh @ mh` of random all-non-zero integrals of `m` orbitals, and NetKet's
    `FermionOperator2nd` of the same strings squared."""
    from symir.chemistry import from_arrays, molecular_hamiltonian

    rng = np.random.default_rng(m)
    h1 = rng.normal(size=(m, m))
    h1 = h1 + h1.T
    h2 = rng.normal(size=(m, m, m, m)) * 0.1
    h2 = h2 + h2.transpose(1, 0, 2, 3)
    h2 = h2 + h2.transpose(0, 1, 3, 2)
    h2 = h2 + h2.transpose(2, 3, 0, 1)
    ints = from_arrays(h1, h2, 0.3, notation="chemist", n_electrons=electrons, ms2=0)
    mh = molecular_hamiltonian(ints)
    strings = list(mh.operator._fermion_strings)
    hi = nk.hilbert.SpinOrbitalFermions(m, s=0.5, n_fermions_per_spin=(electrons // 2,) * 2)
    theirs = nk.operator.FermionOperator2nd(hi, [s for s, _ in strings], [w for _, w in strings])
    return hi, (lambda: mh @ mh), (lambda: theirs @ theirs)


def _hubbard(side: int):
    """`H @ H` of the Fermi-Hubbard model on a `side x side` square (t = 1, U = 4), given
    as a list of fermion strings to both."""
    graph = nk.graph.Square(side, pbc=False)
    n = graph.n_nodes
    hi = nk.hilbert.SpinOrbitalFermions(n, s=0.5, n_fermions_per_spin=(n // 2, n // 2))
    terms, weights = [], []
    for i, j in graph.edges():
        for s in (0, n):
            terms += [((i + s, 1), (j + s, 0)), ((j + s, 1), (i + s, 0))]
            weights += [-1.0, -1.0]
    for i in range(n):
        terms.append(((i, 1), (i, 0), (i + n, 1), (i + n, 0)))
        weights.append(4.0)
    ours = sym.fermion_terms(hi, terms, weights)
    theirs = nk.operator.FermionOperator2nd(hi, terms, weights)
    return hi, (lambda: ours @ ours), (lambda: theirs @ theirs)


def _pauli(n: int, count: int):
    """`a @ a` of `count` random Pauli strings on `n` qubits."""
    rng = np.random.default_rng(n)
    strings = ["".join(rng.choice(list("IXYZ"), n, p=[0.7, 0.1, 0.1, 0.1])) for _ in range(count)]
    weights = rng.normal(size=count)
    hi = nk.hilbert.Spin(0.5, n)
    ours = sym.pauli_strings(hi, strings, weights)
    theirs = nk.operator.PauliStrings(hi, strings, weights)
    return hi, (lambda: ours @ ours), (lambda: theirs @ theirs)


CASES = {
    "mol4": lambda: _molecule(4, 4),
    "hubbard3": lambda: _hubbard(3),
    "pauli16": lambda: _pauli(16, 100),
    "pauli32": lambda: _pauli(32, 300),
}


def _jax_operator(op):
    return op.to_jax_operator() if hasattr(op, "to_jax_operator") else op


def run(name: str, batch: int, rounds: int) -> dict:
    hi, ours, theirs = CASES[name]()
    t0 = time.perf_counter()
    product = ours()
    t1 = time.perf_counter()
    compiled = product.compile(cache=False)
    t2 = time.perf_counter()
    nk_product = theirs()
    t3 = time.perf_counter()
    nk_jax = _jax_operator(nk_product)
    t4 = time.perf_counter()
    x = np.asarray(hi.random_state(jax.random.key(0), batch))
    f_ours, f_theirs = jax.jit(compiled.get_conn_padded), jax.jit(nk_jax.get_conn_padded)
    t5 = time.perf_counter()
    got = jax.block_until_ready(f_ours(x.astype(np.int8)))
    t6 = time.perf_counter()
    expected = jax.block_until_ready(f_theirs(x))
    t7 = time.perf_counter()
    found = first_difference(got, expected, x)
    if found is not None:
        sys.exit(f"{name}: symir's product differs from NetKet's: {found}")
    times: dict[str, list[float]] = {"symir": [], "netket": []}
    calls = {"symir": lambda: f_ours(x.astype(np.int8)), "netket": lambda: f_theirs(x)}
    for r in range(rounds):
        for key in ("symir", "netket") if r % 2 == 0 else ("netket", "symir"):
            s = time.perf_counter()
            jax.block_until_ready(calls[key]())
            times[key].append(time.perf_counter() - s)
    ms = {k: 1e3 * float(np.median(v)) for k, v in times.items()}
    return {
        "case": name,
        "F": compiled.max_conn_size,
        "F nk": nk_jax.max_conn_size,
        "product s": t1 - t0,
        "compile s": t2 - t1,
        "nk product s": t3 - t2,
        "nk jax s": t4 - t3,
        "first call s": t6 - t5,
        "nk first call s": t7 - t6,
        "kernel ms": ms["symir"],
        "nk kernel ms": ms["netket"],
        "sym/nk": ms["symir"] / ms["netket"],
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    cases = _common.names(args.cases, CASES, "case")
    cols = [
        "case", "F", "F nk", "product s", "compile s", "nk product s", "nk jax s",
        "first call s", "nk first call s", "kernel ms", "nk kernel ms", "sym/nk",
    ]  # fmt: skip
    print(f"batch {args.batch}, {args.rounds} interleaved rounds, {jax.default_backend()}")
    print(" | ".join(cols))
    for name in cases:
        _common.print_row(run(name, args.batch, args.rounds), cols)


if __name__ == "__main__":
    main()
