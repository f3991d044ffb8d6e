"""Operators of thousands of terms written one term at a time in the DSL (issue 40):
symir against NetKet's operator built from the same list, in the same process.

Models (`--model`):

* `fermion`: random two-body products `w cdag(i) cdag(j) c(k) c(l)` on `--sites` spin
  orbitals (distinct i, j, k, l; normal w), one `globally().emit(...)` each, against
  NetKet's `FermionOperator2ndJax` of the same terms and weights;
* `pauli`: random Pauli strings (uniform `I X Y Z`, or `--locality k` random sites of
  `X Y Z`), normal weights, one `globally().emit` per string (X, Y: `write(i, -s_i)`; Z,
  Y: a factor `s_i`; Y: `-1j`), against NetKet's `PauliStringsJax` of the same strings;
* `couplings`: random pairs (i, j) with `J s_i s_j` (diagonal) and `K X_i X_j` (a flip of
  both), two terms per pair, against NetKet's `PauliStringsJax` of the same strings.

Inputs (`--input`): `dsl`, the loop above; `list`, the list NetKet gets, given to
`sym.fermion_terms` (fermion) or `sym.pauli_strings` (couplings, pauli).

For each size: build (the DSL loop and `.build()`, or the list input), compile (symir: the canonical form,
the passes, the StableHLO text; `tabulate_terms` as `--no-tabulate` says), first call
(`get_conn_padded` on `B` samples: XLA compile and run), the StableHLO text size and op
count, the peak resident memory so far, F, and the kernel time (medians of interleaved
rounds, `B` samples) of both. NetKet's first result is its build plus its first jitted
call. Before timing, the connected elements of both on 16 samples are compared (summed
per connected state, zeros dropped, 1e-10). Both are warmed up first on 16 terms of the
same kind (another seed), so that the first row holds no imports (`--cold`: it does).

    .venv/bin/python benchmarks/many_terms.py --model fermion --sizes 1000,5000
    .venv/bin/python benchmarks/many_terms.py --model couplings --sizes 2000 --sites 32
    .venv/bin/python benchmarks/many_terms.py --model fermion --input list --sizes 1000,10000,100000
    .venv/bin/python benchmarks/many_terms.py --model pauli --sites 32 --sizes 1000,10000
    .venv/bin/python benchmarks/many_terms.py --model pauli --locality 4 --sites 30 --sizes 1000
"""

from __future__ import annotations

import argparse
import gc
import resource
import time
import warnings

import jax
import numpy as np
from _common import print_row

jax.config.update("jax_enable_x64", True)


def fermion_model(n_terms: int, n_sites: int, seed: int):
    import netket as nk

    import symir as sym

    rng = np.random.default_rng(seed)
    hi = nk.hilbert.SpinOrbitalFermions(n_sites)
    picks = [tuple(int(v) for v in rng.choice(n_sites, 4, replace=False)) for _ in range(n_terms)]
    weights = [float(w) for w in rng.normal(size=n_terms)]

    terms = [((i, 1), (j, 1), (k, 0), (m, 0)) for i, j, k, m in picks]

    def build():
        b = sym.DOperator(hi, "two_body")
        for (i, j, k, m), w in zip(picks, weights, strict=True):
            b = b.globally().emit(sym.cdag(i) * sym.cdag(j) * sym.c(k) * sym.c(m), matrix_element=w)
        return b.build()

    def from_list():
        return sym.fermion_terms(hi, terms, weights)

    def reference(from_data: bool = False):  # the products are the data: nothing to make
        return nk.operator.FermionOperator2ndJax(hi, terms, weights)

    return hi, {"dsl": build, "list": from_list}, reference


def couplings_model(n_pairs: int, n_sites: int, seed: int):
    import netket as nk

    import symir as sym

    rng = np.random.default_rng(seed)
    hi = nk.hilbert.Spin(0.5, n_sites)
    pairs = [tuple(int(v) for v in rng.choice(n_sites, 2, replace=False)) for _ in range(n_pairs)]
    couplings = rng.normal(size=(n_pairs, 2))

    def build():
        b = sym.DOperator(hi, "couplings")
        for (i, j), (zz, xx) in zip(pairs, couplings, strict=True):
            si, sj = sym.site(i), sym.site(j)
            b = b.globally().emit(sym.identity(), matrix_element=float(zz) * si * sj)
            b = b.globally().emit(sym.write(i, -si).write(j, -sj), matrix_element=float(xx))
        return b.build()

    def netket_strings():
        """The strings a NetKet user writes from the pairs (NetKet takes no couplings)."""
        strings, weights = [], []
        for (i, j), (zz, xx) in zip(pairs, couplings, strict=True):
            for letter, w in (("Z", zz), ("X", xx)):
                s = ["I"] * n_sites
                s[i] = s[j] = letter
                strings.append("".join(s))
                weights.append(float(w))
        return strings, weights

    strings, weights = netket_strings()

    def from_list():
        return sym.pauli_strings(hi, strings, weights)

    def reference(from_data: bool = False):
        # from_data: the user's loop from the pairs to NetKet's strings counted in its
        # build, as the DSL's loop from the pairs is counted in symir's
        return nk.operator.PauliStringsJax(
            hi, *(netket_strings() if from_data else (strings, weights))
        )

    reference.make_strings = netket_strings  # first_result.py times the loop alone too

    return hi, {"dsl": build, "list": from_list}, reference


def random_strings(rng, n_strings: int, n_sites: int, locality: int) -> list[str]:
    """Uniform `I X Y Z` strings, or `locality` random sites of uniform `X Y Z`."""
    if locality:
        letters = np.full((n_strings, n_sites), ord("I"), np.uint8)
        for r in range(n_strings):
            sites = rng.choice(n_sites, locality, replace=False)
            letters[r, sites] = np.frombuffer(b"XYZ", np.uint8)[rng.integers(0, 3, locality)]
    else:
        letters = np.frombuffer(b"IXYZ", np.uint8)[rng.integers(0, 4, (n_strings, n_sites))]
    return [row.tobytes().decode() for row in letters]


def pauli_term(sym, string: str, w: float):
    """A Pauli string as a user writes it: (update, matrix element)."""
    update, element = sym.identity(), w
    for i, letter in enumerate(string):
        if letter == "I":
            continue
        si = sym.site(i)
        if letter != "Z":
            update = update.write(i, -si)
        if letter != "X":
            element = element * si
        if letter == "Y":
            element = element * -1j
    return update, element


def pauli_model(n_strings: int, n_sites: int, seed: int, locality: int = 0):
    """Random Pauli strings (uniform `I X Y Z`, or `locality` random sites of uniform
    `X Y Z`), normal weights: in the DSL, one `globally().emit` per string, X and Y
    sites flipped by `write(i, -s_i)`, Z and Y sites a factor `s_i`, `-1j` per Y."""
    import netket as nk

    import symir as sym

    rng = np.random.default_rng(seed)
    strings = random_strings(rng, n_strings, n_sites, locality)
    weights = [float(w) for w in rng.normal(size=n_strings)]
    hi = nk.hilbert.Spin(0.5, n_sites)

    def build():
        b = sym.DOperator(hi, "pauli")
        for string, w in zip(strings, weights, strict=True):
            b = b.globally().emit(*pauli_term(sym, string, w))
        return b.build()

    def from_list():
        return sym.pauli_strings(hi, strings, weights)

    def reference(from_data: bool = False):  # the strings are the data: nothing to make
        return nk.operator.PauliStringsJax(hi, strings, weights)

    return hi, {"dsl": build, "list": from_list}, reference


MODELS = {"fermion": fermion_model, "couplings": couplings_model, "pauli": pauli_model}


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def interleaved(fns, x, rounds: int, cpu: list[float] | None = None) -> list[float]:
    """Median wall ms of each of `fns` on its `x`, in interleaved rounds; the median CPU
    ms (`time.process_time`) appended to `cpu` when given."""
    times: list[list[float]] = [[] for _ in fns]
    cpus: list[list[float]] = [[] for _ in fns]
    for r in range(rounds):
        order = list(range(len(fns)))
        order = order[r % len(fns) :] + order[: r % len(fns)]
        for k in order:
            t, c = time.perf_counter(), time.process_time()
            jax.block_until_ready(fns[k](x[k]))
            times[k].append(time.perf_counter() - t)
            cpus[k].append(time.process_time() - c)
    if cpu is not None:
        cpu += [1e3 * float(np.median(t)) for t in cpus]
    return [1e3 * float(np.median(t)) for t in times]


def run(model: str, size: int, args) -> dict:
    from symir.testing import first_difference

    extra = {"locality": args.locality} if model == "pauli" else {}
    hi, builders, reference = MODELS[model](size, args.sites, args.seed, **extra)
    build = builders[args.input]
    native = np.asarray(hi.random_state(jax.random.PRNGKey(args.seed), args.batch))
    x = native.astype(np.int8)
    row: dict = {"terms": size, "sites": args.sites}

    gc.collect()  # neither side pays a full collection owed by what ran before it
    t = time.perf_counter()
    op = build()
    row["build"] = time.perf_counter() - t
    t = time.perf_counter()
    H = op.compile(cache=False, tabulate_terms=not args.no_tabulate)
    row["compile"] = time.perf_counter() - t
    text = H.stablehlo_text if hasattr(H, "stablehlo_text") else ""
    row["hlo_kib"] = len(text.encode()) / 1024
    row["hlo_ops"] = sum(1 for line in text.splitlines() if "stablehlo." in line)
    ours = jax.jit(lambda v: H.get_conn_padded(v))
    t = time.perf_counter()
    jax.block_until_ready(ours(x))
    row["first_call"] = time.perf_counter() - t
    row["first_result"] = row["build"] + row["compile"] + row["first_call"]
    row["F"] = H.max_conn_size
    row["peak_mib"] = peak_mib()
    print(f"  symir: {row}", flush=True)
    if args.no_netket:
        return row
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NetKet's advice on fixed particle numbers
        gc.collect()
        t = time.perf_counter()
        ref = reference(from_data=args.input == "dsl")
        if hasattr(ref, "_setup"):
            ref._setup()  # its tables, built once outside jit (as NetKet's own calls do)
        theirs = jax.jit(lambda v: ref.get_conn_padded(v))
        jax.block_until_ready(theirs(native))
        row["nk_first_result"] = time.perf_counter() - t
    row["nk_F"] = ref.max_conn_size
    found = first_difference(H.get_conn_padded(x[:16]), ref.get_conn_padded(native[:16]), x[:16])
    if found is not None:
        raise SystemExit(f"{model} {size}: symir and NetKet differ: {found}")
    cpu: list[float] = []
    ms = interleaved([ours, theirs], [x, native], args.rounds, cpu)
    row["kernel_ms"], row["nk_kernel_ms"] = ms
    row["ratio"] = ms[0] / ms[1]
    row["ratio_cpu"] = cpu[0] / cpu[1]  # steadier than the wall clock on a shared machine
    row["peak_mib"] = peak_mib()
    return row


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", choices=sorted(MODELS), default="fermion")
    p.add_argument("--sizes", default="1000,5000", help="numbers of terms (pairs), comma-separated")
    p.add_argument("--sites", type=int, default=20)
    p.add_argument("--batch", type=int, default=512)
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--locality", type=int, default=0, help="pauli: sites per string (0: uniform IXYZ)"
    )
    p.add_argument(
        "--input",
        choices=("dsl", "list"),
        default="dsl",
        help="dsl: one DOperator term per product/coupling; list: sym.fermion_terms / "
        "sym.pauli_strings of the list NetKet gets",
    )
    p.add_argument("--no-netket", action="store_true", help="symir only")
    p.add_argument("--no-tabulate", action="store_true", help="compile with tabulate_terms=False")
    p.add_argument("--cold", action="store_true", help="no warm-up (imports in the first row)")
    args = p.parse_args()
    print(
        f"jax {jax.__version__}, {args.model} ({args.input}), batch {args.batch}, seed {args.seed}"
    )
    cols = [
        "terms", "sites", "F", "nk_F", "build", "compile", "first_call", "first_result",
        "nk_first_result", "hlo_kib", "hlo_ops", "kernel_ms", "nk_kernel_ms", "ratio", "ratio_cpu",
        "peak_mib",
    ]  # fmt: skip
    print(" | ".join(cols))
    if not args.cold:  # imports and first uses of both, on a small model of the same kind
        run(args.model, 16, argparse.Namespace(**{**vars(args), "rounds": 1, "seed": 99}))
    for size in (int(s) for s in args.sizes.split(",") if s):
        print_row(run(args.model, size, args), cols)


if __name__ == "__main__":
    main()
