"""Molecular Hamiltonians: symir vs NetKet's FermionOperator2ndJax and its particle-number
and spin conserving operator, on random molecular-style integrals (every integral
non-zero, 8-fold symmetric, seeded) of M spatial orbitals = 2M spin orbitals at half
filling (`n_fermions_per_spin = (M/2, M/2)`).

NetKet's operators get the same Hamiltonian as symir, already antisymmetrised (what a
careful user would write): the one-body `t[P, Q] c+_P c_Q` and `W c+_P c+_R c_S c_Q` for
`P < R`, `Q < S` (symir.chemistry.hamiltonian's coefficients), as a `FermionOperator2nd`
made `.to_jax_operator()`, and `ParticleNumberAndSpinConservingFermioperator2nd
.from_fermionoperator2nd` of it. Before timing, the three agree on 8 samples (connected
states and summed matrix elements, 1e-10).

Per size and operator: F (`max_conn_size`), the distinct connected states with a non-zero
matrix element per sample (mean over the batch; `reach`: what a state of the sector can
reach at most, 1 + singles + doubles), F / distinct, the largest number of slots that
hold one x' in a sample (`dup`: 1 = no duplicates), build+compile time outside XLA (symir:
`SymbolicCompiler.compile`; NetKet: the constructors), the first call (XLA compile
included), the kernel time (median, interleaved rounds, jitted, batch B), and the bytes
`get_conn_padded` writes per sample (`F * (N + 8)`, int8 configurations, f64 mels), and
the tables each operator carries (`tables KiB`): for symir the constants its kernel
embeds (`CompiledOperator.constant_bytes`: row tables, coefficient columns, signs), for
NetKet's operators the arrays of their pytree (the same information, passed to the
kernel as arguments). Everything is measured twice (`--repetitions 2`), each repetition
building everything anew in the same process: symir from an empty artifact store and
module cache; NetKet's particle-number conserving operator reuses in repetition 2 the
numba functions compiled in repetition 1 (its build time there is without them).

`symir` is `molecular_hamiltonian`'s default, its slots indexed by the excitations of
each state's own electrons (F = reach); `symir_orb` (sizes up to `--orbitals-max`,
default 12) the orbital-indexed form (`slots="orbitals"`, F = 1 + singles + doubles
over all spin orbitals). NetKet's operators run up to `--netket-max` (default 20). Sizes
above `--run-max` (default 28) are built and compiled outside XLA only (symir's F,
build+compile time and constants): the other columns are `-`.

    .venv/bin/python benchmarks/chemistry.py [--sizes 8,12,16,20,28] [--batch 64] [--rounds 10]

`--molecules h2o_631g,c2h4_sto3g,n2_631g,n2_ccpvdz` (issue 37) measures real molecules
instead: PySCF RHF with `symmetry=True`, `symir.chemistry.from_pyscf(mf)` (ORBSYM from the
point group) -> `molecular_hamiltonian(...)` compiled, against NetKet's
`ParticleNumberAndSpinConservingFermioperator2nd.from_pyscf_molecule(mol, mo_coeff)`
(cutoff 1e-11, as symir's default), on random states of the sector, symir with
`slots="symmetry"` (symir/chemistry/irrep_slots.py): F symir, the
computed bound (`symmetry.connected_bound`: the most connected states ORBSYM allows any
state of the sector), the distinct connected states with a non-zero element of the
bound's own state (`symmetry.bound_state`, an occupation of the irreps where the bound
is reached: no exact kernel can have fewer slots), the largest number of distinct
connected states with a non-zero element over the sampled states (symir's kernel,
|mel| > 1e-10), F NetKet, the kernels'
medians (jitted `get_conn_padded`, interleaved rounds; wall and the process's CPU
seconds per call, the second steadier on a shared, loaded machine: it counts the work,
not the waits for a core), symir's build
(`molecular_hamiltonian`), compile (`SymbolicCompiler.compile`, outside XLA) and first
call (XLA's compile) times, and the peak RSS of the process that measured the molecule
(each molecule in a fresh process). Besides the four of issue 37's first
table: `nh3_631g`, `co_631g`, `hf_ccpvdz` (its done-when check on other molecules),
`ch4_631g`, `h2co_631g`, `c2h2_631g` (34, 44 and 44 spin orbitals),
`c6h6_sto3g` (72 spin orbitals; `--batch 16 --rounds 3`) and `n2_ccpvtz` (120).

`--molecules n2_ccpvdz --first-build 3` times only what a user waits for on a first
build: each run a fresh process (`python -c`) that times its imports (`jax`,
`symir.chemistry`, `symir.compiler`), runs PySCF's RHF (not timed), then the first
`molecular_hamiltonian` and `SymbolicCompiler.compile` (outside XLA), CPU and wall.
"""

from __future__ import annotations

import argparse
import copy
import time
import warnings
from math import comb

import jax
import numpy as np
from _molecules import MOLECULES
from _molecules import load as load_molecule

from symir.chemistry import from_arrays, molecular_hamiltonian
from symir.chemistry.hamiltonian import _pairs, _two_body_coefficients
from symir.compiler import InMemoryArtifactStore, SymbolicCompiler
from symir.runtime.stablehlo_exec import clear_cache
from symir.testing import first_difference

warnings.simplefilter("ignore")


def random_integrals(m: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    h1 = rng.normal(size=(m, m))
    h1 = h1 + h1.T
    h2 = rng.normal(size=(m,) * 4)
    h2 = h2 + h2.transpose(1, 0, 2, 3)
    h2 = h2 + h2.transpose(0, 1, 3, 2)
    h2 = h2 + h2.transpose(2, 3, 0, 1)
    return h1, 0.1 * h2


def reach(m: int, per_spin) -> int:
    singles = sum(k * (m - k) for k in per_spin)
    same = sum(comb(k, 2) * comb(m - k, 2) for k in per_spin)
    opposite = np.prod([k * (m - k) for k in per_spin])
    return int(1 + singles + same + opposite)


def netket_operators(ints, nk_hi):
    """FermionOperator2ndJax and the particle-number conserving operator of the same
    (antisymmetrised) Hamiltonian, and their construction time."""
    import netket as nk

    t, v = ints.spin_orbital_tensors()
    n = t.shape[0]
    p, r = _pairs(n)
    W = _two_body_coefficients(v, p, r)
    start = time.perf_counter()
    terms, weights = [], []
    for a, b in zip(*np.nonzero(t), strict=True):
        terms.append(((int(a), 1), (int(b), 0)))
        weights.append(float(t[a, b]))
    for i, j in zip(*np.nonzero(np.abs(W) > 0), strict=True):
        terms.append(((int(p[i]), 1), (int(r[i]), 1), (int(r[j]), 0), (int(p[j]), 0)))
        weights.append(float(W[i, j]))
    fop = nk.operator.FermionOperator2nd(nk_hi, terms, weights, constant=ints.constant)
    jax_op = fop.to_jax_operator()
    built = time.perf_counter() - start
    start = time.perf_counter()
    pnc = nk.experimental.operator.ParticleNumberAndSpinConservingFermioperator2nd
    pnc_op = pnc.from_fermionoperator2nd(fop)
    return {"nk_jax": (jax_op, built), "nk_pnc": (pnc_op, built + time.perf_counter() - start)}


def distinct_stats(xp, mels) -> tuple[float, int]:
    """Mean distinct non-zero connected states per sample, and the most slots one x'
    takes in any sample."""
    xp, mels = np.asarray(xp), np.asarray(mels)
    counts, dup = [], 1
    for b in range(xp.shape[0]):
        active = xp[b][mels[b] != 0]
        _, mult = np.unique(active, axis=0, return_counts=True)
        counts.append(len(mult))
        dup = max(dup, int(mult.max(initial=1)))
    return float(np.mean(counts)), dup


def agree(outs, samples: int = 8) -> None:
    """Every kernel gives the connected states and summed mels of the first."""
    names = list(outs)
    ref = tuple(np.asarray(a)[:samples] for a in outs[names[0]])
    for name in names[1:]:
        got = tuple(np.asarray(a)[:samples] for a in outs[name])
        found = first_difference(got, ref)
        assert found is None, f"{name} vs {names[0]}: {found}"


def table_bytes(op, x) -> int:
    """symir: the constants its kernel embeds; NetKet: the arrays of its pytree, after one
    eager call on `x` of a copy (its operators build their arrays on first use, which
    inside `jit` would be tracers; the copy leaves the timed operator as built)."""
    if hasattr(op, "constant_bytes"):
        return op.constant_bytes
    probe = copy.copy(op)
    jax.block_until_ready(probe.get_conn_padded(x))
    return sum(int(np.asarray(leaf).nbytes) for leaf in jax.tree_util.tree_leaves(probe))


def build_symir(ints, slots: str = "auto", split: bool = False):
    """symir's compiled operator and the seconds to build and compile it, from nothing:
    a fresh artifact store and no loaded StableHLO module (a repetition does not hit the
    previous one's caches). `slots`: `auto` (indexed by excitations of each state's
    electrons), `orbitals` or `symmetry` (excitations ORBSYM allows). With `split`, the
    seconds as `(build, compile)`: `molecular_hamiltonian` and `SymbolicCompiler.compile`
    (outside XLA). The operator is `MolecularHamiltonian.compile()`'s: without the
    runtime's sector check (`keeping_sectors`)."""
    clear_cache()
    start = time.perf_counter()
    mh = molecular_hamiltonian(ints, slots=slots)
    built = time.perf_counter()
    artifact = SymbolicCompiler(artifact_store=InMemoryArtifactStore()).compile(mh.operator)
    end = time.perf_counter()
    seconds = (built - start, end - built) if split else end - start
    return artifact.compiled_operator.keeping_sectors(), seconds


def build_only(m: int) -> list[dict]:
    """symir's operator built and compiled outside XLA (no kernel call)."""
    h1, h2 = random_integrals(m)
    ints = from_arrays(h1, h2, 0.5, notation="chemist", n_electrons=m, ms2=0)
    op, built = build_symir(ints)
    n_sites, f = 2 * m, int(op.max_conn_size)
    return [
        {
            "N": n_sites,
            "op": "symir",
            "F": f,
            "reach": reach(m, ints.n_fermions_per_spin),
            "build_s": built,
            "bytes/sample": f * (n_sites + 8),
            "tables": table_bytes(op, None),
        }
    ]


def measure(m: int, batch: int, rounds: int, with_netket: bool, with_orbitals: bool) -> list[dict]:
    import netket as nk

    h1, h2 = random_integrals(m)
    ints = from_arrays(h1, h2, 0.5, notation="chemist", n_electrons=m, ms2=0)
    nk_hi = nk.hilbert.SpinOrbitalFermions(m, s=0.5, n_fermions_per_spin=ints.n_fermions_per_spin)
    x = np.asarray(nk_hi.random_state(jax.random.PRNGKey(1), batch), dtype=np.int8)
    ops = {"symir": build_symir(ints)}
    if with_orbitals:
        ops["symir_orb"] = build_symir(ints, "orbitals")
    if with_netket:
        ops.update(netket_operators(ints, nk_hi))
    fns, first, outs, tables = {}, {}, {}, {}
    for name, (op, _) in ops.items():
        xin = (
            x
            if name.startswith("symir")
            else x.astype(nk_hi.random_state(jax.random.PRNGKey(0)).dtype)
        )
        tables[name] = table_bytes(op, xin[:1])
        fn = jax.jit(lambda xx, op=op: op.get_conn_padded(xx))
        t0 = time.perf_counter()
        out = jax.block_until_ready(fn(xin))
        first[name] = time.perf_counter() - t0
        fns[name], outs[name] = (fn, xin), out
    if len(outs) > 1:
        agree(outs)
    times = {name: [] for name in fns}
    order = list(fns)
    for k in range(rounds):
        for name in order[k % len(order) :] + order[: k % len(order)]:
            fn, xin = fns[name]
            t0 = time.perf_counter()
            jax.block_until_ready(fn(xin))
            times[name].append(time.perf_counter() - t0)
    rows = []
    n_sites = 2 * m
    target = reach(m, ints.n_fermions_per_spin)
    for name, (op, built) in ops.items():
        f = int(op.max_conn_size)
        distinct, dup = distinct_stats(*outs[name])
        rows.append(
            {
                "N": n_sites,
                "op": name,
                "F": f,
                "distinct": distinct,
                "reach": target,
                "F/distinct": f / distinct,
                "dup": dup,
                "build_s": built,
                "first_call_s": first[name],
                "kernel_ms": 1e3 * float(np.median(times[name])),
                "bytes/sample": f * (n_sites + 8),
                "tables": tables[name],
            }
        )
    return rows


def measure_molecule(name: str, batch: int, rounds: int, symmetry: bool = True) -> dict:
    import resource

    from symir.chemistry import molecular_hamiltonian
    from symir.chemistry.symmetry import bound_state, connected_bound

    ints, nk_op = load_molecule(name, symmetry)
    symir_op, (built, compiled) = build_symir(ints, "symmetry" if symmetry else "auto", split=True)
    # without ORBSYM: the irreps molecular_hamiltonian found in the tables' zeros, if any
    orbsym = ints.orbsym if symmetry else molecular_hamiltonian(ints).orbsym
    x = np.asarray(nk_op.hilbert.random_state(jax.random.PRNGKey(1), batch))
    fns = {
        "symir": (jax.jit(symir_op.get_conn_padded), x.astype(np.int8)),
        "netket": (jax.jit(nk_op.get_conn_padded), x),
    }
    outs, first = {}, {}
    for k, (fn, xin) in fns.items():
        t0 = time.perf_counter()
        outs[k] = jax.block_until_ready(fn(xin))
        first[k] = time.perf_counter() - t0
    times = {k: [] for k in fns}
    cpu = {k: [] for k in fns}
    order = list(fns)
    for k in range(rounds):
        for key in order[k % 2 :] + order[: k % 2]:
            fn, xin = fns[key]
            c0, t0 = time.process_time(), time.perf_counter()
            jax.block_until_ready(fn(xin))
            times[key].append(time.perf_counter() - t0)
            cpu[key].append(time.process_time() - c0)
    xp, mels = (np.asarray(a) for a in outs["symir"])
    same = _same_connected(outs["symir"], outs["netket"])
    distinct = max(_distinct(xp[b], mels[b]) for b in range(batch))
    # the bound's own state (an occupation of the irreps where it is reached) in row 0
    x_bound = x.astype(np.int8)
    if orbsym is not None:
        x_bound[0] = bound_state(orbsym, ints.n_fermions_per_spin)
    reached = _distinct(*(np.asarray(a)[0] for a in fns["symir"][0](x_bound)))
    kernel = {k: 1e3 * float(np.median(v)) for k, v in times.items()}
    kernel_cpu = {k: 1e3 * float(np.median(v)) for k, v in cpu.items()}
    return {
        "molecule": name,
        "N": 2 * ints.n_orbitals,
        "F": int(symir_op.max_conn_size),
        "bound": (
            connected_bound(orbsym, ints.n_fermions_per_spin)
            if orbsym is not None
            else reach(ints.n_orbitals, ints.n_fermions_per_spin)
        ),
        "distinct": distinct,
        "reached": reached,
        "F_nk": int(nk_op.max_conn_size),
        "symir_ms": kernel["symir"],
        "nk_ms": kernel["netket"],
        "symir_cpu_ms": kernel_cpu["symir"],
        "nk_cpu_ms": kernel_cpu["netket"],
        "build_s": built,
        "compile_s": compiled,
        "first_s": first["symir"],
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "same": same,
    }


def _distinct(xp, mels, tol: float = 1e-10) -> int:
    """One state's distinct connected states with an element above `tol`."""
    return len(np.unique(xp[np.abs(mels) > tol], axis=0))


def _same_connected(a, b, tol: float = 1e-10) -> bool:
    """Whether two kernels give every sampled state the same connected states and summed
    elements (|element| > tol)."""
    (xa, ma), (xb, mb) = ((np.asarray(x), np.asarray(m)) for x, m in (a, b))
    for k in range(xa.shape[0]):
        rows = []
        for x, m in ((xa[k], ma[k]), (xb[k], mb[k])):
            found: dict = {}
            for s, v in zip(x.astype(np.int8), m, strict=True):
                found[s.tobytes()] = found.get(s.tobytes(), 0.0) + float(v)
            rows.append({s: v for s, v in found.items() if abs(v) > tol})
        if rows[0].keys() != rows[1].keys():
            return False
        if any(abs(rows[0][s] - v) > 1e-9 for s, v in rows[1].items()):
            return False
    return True


def _in_child(name: str, batch: int, rounds: int, symmetry: bool) -> dict:
    """`measure_molecule` in a fresh process (`spawn`): its peak RSS is that molecule's."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(measure_molecule, (name, batch, rounds, symmetry))


def molecules_table(names: list[str], batch: int, rounds: int, symmetry: bool = True) -> None:
    print(f"batch {batch}, {rounds} interleaved rounds, jax {jax.__version__}", end="")
    print("" if symmetry else ", PySCF run without symmetry=True (no ORBSYM)")
    print(
        "| molecule | spin orbitals | F symir | bound | the bound's state: distinct | "
        "largest sampled distinct | F NetKet | kernel ms symir / NetKet | ratio | kernel CPU ms symir / NetKet | CPU ratio | "
        "build s | compile s | first call s | peak RSS MB | same as NetKet |"
    )
    print("|---" * 16 + "|")
    for name in names:
        r = _in_child(name, batch, rounds, symmetry)
        print(
            f"| {r['molecule']} | {r['N']} | {r['F']} | {r['bound']} | {r['reached']} | "
            f"{r['distinct']} | "
            f"{r['F_nk']} | {r['symir_ms']:.2f} / {r['nk_ms']:.2f} | "
            f"{r['symir_ms'] / r['nk_ms']:.2f} | {r['symir_cpu_ms']:.2f} / {r['nk_cpu_ms']:.2f} | "
            f"{r['symir_cpu_ms'] / r['nk_cpu_ms']:.2f} | {r['build_s']:.2f} | {r['compile_s']:.2f} | "
            f"{r['first_s']:.2f} | {r['rss_mb']:.0f} | {'yes' if r['same'] else 'NO'} |",
            flush=True,
        )


_FIRST_BUILD = """
import sys, time
c0, w0 = time.process_time(), time.perf_counter()
import jax
from symir.chemistry import from_pyscf, molecular_hamiltonian
from symir.compiler import InMemoryArtifactStore, SymbolicCompiler
c1, w1 = time.process_time(), time.perf_counter()
from pyscf import gto, scf
atom, basis = sys.argv[1], sys.argv[2]
mf = scf.RHF(gto.M(atom=atom, basis=basis, symmetry=True, verbose=0)).run()
ints = from_pyscf(mf)
c2, w2 = time.process_time(), time.perf_counter()
mh = molecular_hamiltonian(ints, slots="symmetry")
c3, w3 = time.process_time(), time.perf_counter()
SymbolicCompiler(artifact_store=InMemoryArtifactStore()).compile(mh.operator)
c4, w4 = time.process_time(), time.perf_counter()
print(c1 - c0, w1 - w0, c3 - c2, w3 - w2, c4 - c3, w4 - w3)
"""


def first_builds(names: list[str], repeats: int) -> None:
    """The first build and compile of each molecule in a fresh process (`python -c`),
    CPU and wall seconds: the imports (`jax`, `symir.chemistry`, `symir.compiler`), then,
    after PySCF's RHF (not timed), `molecular_hamiltonian` and `SymbolicCompiler.compile`
    (outside XLA, a fresh artifact store)."""
    import subprocess
    import sys

    print(
        "| molecule | run | imports s CPU (wall) | build s CPU (wall) | compile s CPU (wall) "
        "| build + compile s CPU (wall) | with imports s CPU |"
    )
    print("|---" * 7 + "|")
    for name in names:
        atom, basis = MOLECULES[name]
        for k in range(repeats):
            out = subprocess.run(
                [sys.executable, "-c", _FIRST_BUILD, atom, basis],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            ic, iw, bc, bw, cc, cw = (float(v) for v in out[-6:])
            print(
                f"| {name} | {k + 1} | {ic:.2f} ({iw:.2f}) | {bc:.2f} ({bw:.2f}) | "
                f"{cc:.2f} ({cw:.2f}) | {bc + cc:.2f} ({bw + cw:.2f}) | {ic + bc + cc:.2f} |",
                flush=True,
            )


def cell(row: dict, key: str, fmt: str = "") -> str:
    return format(row[key], fmt) if key in row else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="8,12,16,20,28")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--repetitions", type=int, default=2)
    parser.add_argument(
        "--netket-max", type=int, default=20, help="largest N for NetKet's operators"
    )
    parser.add_argument(
        "--run-max", type=int, default=28, help="largest N whose kernels are called"
    )
    parser.add_argument(
        "--orbitals-max",
        type=int,
        default=12,
        help="largest N for symir's orbital-indexed form (symir_orb) besides the default",
    )
    parser.add_argument("--molecules", default="", help="PySCF molecules (issue 37 table)")
    parser.add_argument(
        "--no-symmetry",
        action="store_true",
        help="with --molecules: PySCF without symmetry=True (no ORBSYM; symir's slots auto)",
    )
    parser.add_argument(
        "--first-build",
        type=int,
        default=0,
        help="with --molecules: only the first build + compile in N fresh processes each",
    )
    args = parser.parse_args()
    if args.molecules and args.first_build:
        first_builds(args.molecules.split(","), args.first_build)
        return
    if args.molecules:
        molecules_table(args.molecules.split(","), args.batch, args.rounds, not args.no_symmetry)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    header = (
        "| rep | N | operator | F | distinct/sample | reach | F/distinct | dup | "
        "build+compile s | first call s | kernel ms | bytes/sample | tables KiB |"
    )
    print(f"batch {args.batch}, {args.rounds} interleaved rounds, jax {jax.__version__}")
    print(header)
    print("|---" * 13 + "|")
    for rep in range(1, args.repetitions + 1):
        for n_sites in sizes:
            if n_sites > args.run_max:
                rows = build_only(n_sites // 2)
            else:
                rows = measure(
                    n_sites // 2,
                    args.batch,
                    args.rounds,
                    n_sites <= args.netket_max,
                    n_sites <= args.orbitals_max,
                )
            for r in rows:
                print(
                    f"| {rep} | {r['N']} | {r['op']} | {r['F']} | {cell(r, 'distinct', '.1f')} | "
                    f"{r['reach']} | {cell(r, 'F/distinct', '.2f')} | {cell(r, 'dup')} | "
                    f"{r['build_s']:.2f} | {cell(r, 'first_call_s', '.2f')} | "
                    f"{cell(r, 'kernel_ms', '.2f')} | {r['bytes/sample']} | "
                    f"{r['tables'] / 1024:.1f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
