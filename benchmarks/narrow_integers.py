"""Molecular kernels with and without `narrow_integers` (the kernel's `i64` integers that
provably fit computed in `i32`, docs/passes.md#convert-branch-to-stablehlo) against
NetKet's `ParticleNumberAndSpinConservingFermioperator2nd`, in one process.

Per molecule (PySCF RHF with `symmetry=True`, all orbitals; `molecular_hamiltonian(...,
slots="symmetry")` compiled twice from the same integrals, `narrow_integers=False` and
`True`, without the runtime's sector check as `MolecularHamiltonian.compile()` gives it):
whether the two kernels give the same `x'` and `mels` bit for bit on `--batch` random
states of the sector, whether the connected states and summed elements equal NetKet's
(|element| > 1e-10), and the medians of the jitted `get_conn_padded` over `--rounds`
interleaved rounds, wall and process CPU milliseconds, with the ratios to NetKet's.

    .venv/bin/python benchmarks/narrow_integers.py --molecules hf_ccpvdz,h2o_ccpvdz --rounds 15

Molecules: those of `benchmarks/_molecules.py` (H2O cc-pVDZ, C2H4 and HCN in 6-31G,
F2 cc-pVDZ among them). Each molecule is measured in a process of its own.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import jax
import numpy as np
from _molecules import load as load_molecule
from chemistry import _same_connected

warnings.simplefilter("ignore")


def measure(name: str, rounds: int, batch: int) -> str:
    from symir.chemistry import molecular_hamiltonian
    from symir.compiler import InMemoryArtifactStore, SymbolicCompiler, SymbolicCompilerOptions

    ints, nk_op = load_molecule(name)
    mh = molecular_hamiltonian(ints, slots="symmetry")
    ops = {}
    for key, narrow in (("without", False), ("with", True)):
        compiler = SymbolicCompiler(
            options=SymbolicCompilerOptions(narrow_integers=narrow),
            artifact_store=InMemoryArtifactStore(),
        )
        ops[key] = compiler.compile(mh.operator).compiled_operator.keeping_sectors()
    x = np.asarray(nk_op.hilbert.random_state(jax.random.PRNGKey(1), batch))
    fns = {k: (jax.jit(o.get_conn_padded), x.astype(np.int8)) for k, o in ops.items()}
    fns["netket"] = (jax.jit(nk_op.get_conn_padded), x)
    outs = {k: jax.block_until_ready(f(xi)) for k, (f, xi) in fns.items()}
    a, b = ([np.asarray(v) for v in outs[k]] for k in ("without", "with"))
    bits = np.array_equal(a[0], b[0]) and a[1].tobytes() == b[1].tobytes()
    same = _same_connected(outs["with"], outs["netket"])
    wall: dict[str, list[float]] = {k: [] for k in fns}
    cpu: dict[str, list[float]] = {k: [] for k in fns}
    order = list(fns)
    for r in range(rounds):
        for k in order[r % 3 :] + order[: r % 3]:
            f, xi = fns[k]
            c0, t0 = time.process_time(), time.perf_counter()
            jax.block_until_ready(f(xi))
            wall[k].append(time.perf_counter() - t0)
            cpu[k].append(time.process_time() - c0)
    w = {k: 1e3 * float(np.median(v)) for k, v in wall.items()}
    c = {k: 1e3 * float(np.median(v)) for k, v in cpu.items()}
    return (
        f"| {name} | {2 * ints.n_orbitals} | {ops['with'].max_conn_size} | "
        f"{nk_op.max_conn_size} | {w['without']:.2f} / {w['with']:.2f} / {w['netket']:.2f} | "
        f"{w['without'] / w['netket']:.2f} | {w['with'] / w['netket']:.2f} | "
        f"{c['without']:.2f} / {c['with']:.2f} / {c['netket']:.2f} | "
        f"{c['without'] / c['netket']:.2f} | {c['with'] / c['netket']:.2f} | "
        f"{'yes' if bits else 'NO'} | {'yes' if same else 'NO'} | {os.getloadavg()[0]:.1f} |"
    )


def main() -> None:
    import multiprocessing

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--molecules", default="hf_ccpvdz,n2_ccpvdz,h2o_ccpvdz")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    print(
        "| molecule | spin orbitals | F symir | F NetKet | wall ms without / with / NetKet | "
        "ratio without | ratio with | CPU ms without / with / NetKet | CPU ratio without | "
        "CPU ratio with | bit for bit | same as NetKet | load |"
    )
    print("|---" * 13 + "|")
    for name in args.molecules.split(","):
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            print(pool.apply(measure, (name, args.rounds, args.batch)), flush=True)


if __name__ == "__main__":
    main()
