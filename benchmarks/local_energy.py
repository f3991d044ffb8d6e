"""Local energies and `expect_and_grad`: symir's local-energy path vs NetKet's operator.

For each model and network, on the same samples (one Metropolis sweep from random
states, `n_chains = batch`), in one process:

- `E_loc`: one jitted call of the local kernel: symir's (`symir.local_energies` on the
  symir operator) and NetKet's (`local_value_kernel_jax` on NetKet's operator of the
  same model, what `MCState` uses by default); also NetKet's experimental packed kernel
  (`local_value_kernel_jax_packed`, opt-in in NetKet 3.23) on NetKet's operator;
- `expect_and_grad`: `vstate.expect_and_grad(op)` (hermitian: the local energies and a
  vjp of the network on the samples) with the symir operator (NetKet's dispatch picks
  symir's kernel) and with NetKet's operator.

The local energies are compared value by value (1e-10) before timing. Timings are
medians of interleaved rounds (the order rotates), two repetitions. Also: network
evaluations per sample (NetKet: F + 1; symir: chunks x capacity / B + 1, and the
candidates, the connected states that differ from x with a nonzero mel), and the
temporary memory of one `E_loc` call (`memory_analysis()` of the compiled executable).

    .venv/bin/python benchmarks/local_energy.py [--batch 4096] [--side 10] [--rounds 5]
        [--models heisenberg,j1j2,bose_hubbard,fermi_hubbard,tfim] [--networks rbm1,rbm4,mlp4]

`--dedup` measures the runtime deduplication instead (`local_energies(..., dedup=True)`,
NetKet's switch `set_local_energy_dedup`) on `--dedup-models`: the shipped LiH and H2O
(STO-3G, 12 spin orbitals) as `symir.chemistry.molecular_hamiltonian` writes them (`lih`,
`h2o`: one slot per distinct excitation, no duplicates) and term by term
(`lih_terms`, `h2o_terms`: `term_by_term_hamiltonian`, the sum of products NetKet's
`FermionOperator2nd` holds; a single excitation repeats once per occupied spectator),
against NetKet's particle-number and spin conserving operator of the textbook sum
(`ParticleNumberAndSpinConservingFermioperator2nd`, NetKet's fastest for molecules; its
`FermionOperator2ndJax`, F about 1,500, is checked and counted but too slow to time in
the same rounds); and Heisenberg written twice (`heisenberg_twice`: the swap form plus
the flip form on the reversed bonds, 6x6 by default) against NetKet's `2 * Heisenberg`; `heisenberg` and `tfim` (`symir.models`, no
duplicates) are the control: what the deduplication costs where nothing repeats.
Per row: evaluations per sample (NetKet F + 1; symir without and with dedup:
`evaluation_counts`, in brackets the candidates and the distinct states per sample),
`E_loc` and `expect_and_grad` times, ratios, two repetitions:

    .venv/bin/python benchmarks/local_energy.py --dedup [--dedup-models lih,lih_terms]
        [--batch 1024] [--networks rbm4]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
import warnings
from functools import partial
from pathlib import Path

import jax
import netket as nk
import netket.vqs.mc.kernels as nk_kernels
import netket.vqs.mc.kernels_packed as nk_packed
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _common import names
from lattices import BH, J1, J2, SYMIR_MODELS, netket_operator

import symir as sym
from symir import models
from symir.integrations.netket_local_energy import set_fast_updates
from symir.models import fermi_hubbard, netket_fermi_hubbard
from symir.runtime.local_energy import evaluation_counts

MODELS = ("heisenberg", "j1j2", "bose_hubbard", "fermi_hubbard", "tfim")
NETWORKS = {
    "rbm1": lambda n: nk.models.RBM(alpha=1, param_dtype=complex),
    "rbm4": lambda n: nk.models.RBM(alpha=4, param_dtype=complex),
    "mlp4": lambda n: nk.models.MLP(hidden_dims=(2 * n,) * 4, param_dtype=float),
    "mlp256": lambda n: nk.models.MLP(hidden_dims=(256,) * 4, param_dtype=float),
}


def build(model: str, side: int, fh_side: int):
    """(hilbert, symir NetKetOperator, NetKet's operator, sampler, label)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if model == "fermi_hubbard":
            graph = nk.graph.Square(fh_side, pbc=True)
            n = graph.n_nodes
            hi = nk.hilbert.SpinOrbitalFermions(n, s=0.5, n_fermions_per_spin=(n // 2, n // 2))
            ours = fermi_hubbard(hi, graph).compile().to_netket(hi)
            ref = netket_fermi_hubbard(hi, graph).to_jax_operator()
            sampler = nk.sampler.MetropolisFermionHop(hi, graph=graph, n_chains=1)
            return hi, ours, ref, sampler, f"{fh_side}x{fh_side}"
        graph = nk.graph.Square(side, pbc=True, max_neighbor_order=2 if model == "j1j2" else 1)
        n = graph.n_nodes
        if model == "bose_hubbard":
            # filling 1: the sector of n bosons (n_max 3), sampled by exchanges, which keep it
            hi = nk.hilbert.Fock(n_max=3, N=n, n_particles=n)
            sampler = nk.sampler.MetropolisExchange(hi, graph=graph, n_chains=1)
        else:
            hi = nk.hilbert.Spin(0.5, n)
            sampler = nk.sampler.MetropolisLocal(hi, n_chains=1)
        ours = SYMIR_MODELS[model](hi, graph).compile().to_netket(hi)
        ref = netket_operator(model, hi, graph)
        return hi, ours, ref, sampler, f"{side}x{side}"


def median_rounds(fns: dict, rounds: int) -> dict[str, float]:
    times = {k: [] for k in fns}
    keys = list(fns)
    for r in range(rounds):
        for k in keys[r % len(keys) :] + keys[: r % len(keys)]:
            t = time.perf_counter()
            jax.block_until_ready(fns[k]())
            times[k].append(time.perf_counter() - t)
    return {k: float(np.median(v)) for k, v in times.items()}


def temp_bytes(jitted, *args) -> int:
    analysis = jitted.lower(*args).compile().memory_analysis()
    return int(analysis.temp_size_in_bytes) if analysis is not None else -1


def run(model: str, network: str, args) -> dict:
    hi, ours, ref, sampler, label = build(model, args.side, args.fh_side)
    sampler = sampler.replace(n_chains=args.batch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        vs = nk.vqs.MCState(
            sampler, NETWORKS[network](hi.size), n_samples=args.batch, n_discard_per_chain=0, seed=0
        )
        x = vs.samples.reshape(-1, hi.size)
    apply = vs._apply_fun

    # operators are jit arguments (NetKet's build caches inside their first call)
    def ours_jit(**options):
        return jax.jit(lambda v, x, op: sym.local_energies(apply, v, x, op, **options))

    ours_eloc = ours_jit()
    padded_eloc = ours_jit(connected_states="padded")
    fast_eloc = ours_jit(fast_updates="auto")  # an adapter, else the split where it pays
    nk_eloc = jax.jit(lambda v, x, op: nk_kernels.local_value_kernel_jax(apply, v, x, op))
    packed_eloc = jax.jit(lambda v, x, op: nk_packed.local_value_kernel_jax_packed(apply, v, x, op))
    expected = nk_eloc(vs.variables, x, ref)
    for kernel in (ours_eloc, padded_eloc, fast_eloc):
        got = kernel(vs.variables, x, ours)
        err = float(np.max(np.abs(np.asarray(got) - np.asarray(expected))))
        assert err < 1e-10 * max(1.0, float(np.max(np.abs(expected)))), (model, network, err)
    counts = evaluation_counts(x, ours)
    b = x.shape[0]

    def eg(op, fast_updates=False):
        def call():
            set_fast_updates(fast_updates)
            try:
                return vs.expect_and_grad(op)[1]
            finally:
                set_fast_updates(True)

        return call

    fns = {
        "eloc_symir": lambda: ours_eloc(vs.variables, x, ours),
        "eloc_padded": lambda: padded_eloc(vs.variables, x, ours),
        "eloc_netket": lambda: nk_eloc(vs.variables, x, ref),
        "eg_symir": eg(ours),
        "eg_netket": eg(ref),
        "eloc_fast": lambda: fast_eloc(vs.variables, x, ours),
        "eg_fast": eg(ours, fast_updates=True),
    }
    if args.packed:
        fns["eloc_packed"] = lambda: packed_eloc(vs.variables, x, ref)
    for f in fns.values():  # warm up (compile)
        jax.block_until_ready(f())
    reps = [median_rounds(fns, args.rounds) for _ in range(2)]
    mem = {
        "symir": temp_bytes(ours_eloc, vs.variables, x, ours),
        "padded": temp_bytes(padded_eloc, vs.variables, x, ours),
        "netket": temp_bytes(nk_eloc, vs.variables, x, ref),
        "fast": temp_bytes(fast_eloc, vs.variables, x, ours),
    }
    return {
        "model": model,
        "lattice": label,
        "network": network,
        "F_symir": ours.max_conn_size,
        "F_netket": ref.max_conn_size,
        "evals_symir": counts["evaluations"] / b,
        "candidates": counts["candidates"] / b,
        "slack": counts["capacity"] / b,
        "chunks": counts["chunks"],
        "evals_netket": ref.max_conn_size + 1,
        "reps": reps,
        "mem": mem,
    }


def _ratio(t: dict, key: str, base: str) -> str:
    return f"{t[key] / t[base]:.2f}" if key in t else "-"


def print_table(rows: list[dict]) -> None:
    print(
        "| model | lattice | net | E_loc NetKet ms | E_loc symir ms | symir/NetKet | "
        "padded/NetKet | fast/NetKet | packed/NetKet | e&g NetKet ms | e&g symir ms | "
        "symir/NetKet | fast/NetKet | evals/sample NetKet -> symir (candidates, chunk "
        "rows/sample, chunks) | temp MiB NetKet -> padded -> symir -> fast |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        for i, t in enumerate(r["reps"]):
            mib = {k: f"{v / 2**20:.1f}" for k, v in r["mem"].items()}
            print(
                f"| {r['model']} | {r['lattice']} | {r['network']} (rep {i + 1}) | "
                f"{t['eloc_netket'] * 1e3:.1f} | {t['eloc_symir'] * 1e3:.1f} | "
                f"{_ratio(t, 'eloc_symir', 'eloc_netket')} | "
                f"{_ratio(t, 'eloc_padded', 'eloc_netket')} | "
                f"{_ratio(t, 'eloc_fast', 'eloc_netket')} | "
                f"{_ratio(t, 'eloc_packed', 'eloc_netket')} | "
                f"{t['eg_netket'] * 1e3:.1f} | {t['eg_symir'] * 1e3:.1f} | "
                f"{_ratio(t, 'eg_symir', 'eg_netket')} | "
                f"{_ratio(t, 'eg_fast', 'eg_netket')} | "
                f"{r['evals_netket']} -> {r['evals_symir']:.1f} ({r['candidates']:.1f}, "
                f"{r['slack']:.1f}, {r['chunks']}) | "
                f"{mib['netket']} -> {mib['padded']} -> {mib['symir']} -> "
                f"{mib.get('fast', '-')} |"
            )


# --------------------------------------------------------------------------- dedup

DEDUP_MODELS = ("lih", "lih_terms", "h2o", "h2o_terms", "heisenberg_twice", "heisenberg", "tfim")


def heisenberg_twice(hi, graph):
    """`2 H` (no sign rule): the swap form on the bonds plus the flip form (`XX + YY`:
    both sites flipped, `1 - s_i s_j`) on the reversed bonds. The two forms' states are
    equal only where the spins differ, which the static fusion cannot prove."""
    si, sj = sym.site("i"), sym.site("j")
    flips = (
        sym.DOperator(hi, "heisenberg_flips", hermitian=True)
        .for_each(("i", "j"), over=[(j, i) for i, j in graph.edges()])
        .emit(sym.identity(), matrix_element=si * sj)
        .emit(sym.scatter(["i", "j"], [-si, -sj]), matrix_element=1 - si * sj)
        .build()
    )
    return models.heisenberg(hi, graph, J=1.0, sign_rule=False) + flips


def netket_molecule(ints, hi):
    """NetKet's `FermionOperator2nd` of E + sum h1 c+_ps c_qs + 1/2 sum (pq|rs) c+_ps
    c+_rt c_st c_qs (non-zero terms, every index written out): its jax operator and its
    particle-number and spin conserving operator."""
    m = ints.n_orbitals
    site = {(p, s): p + (m if s == 1 else 0) for p in range(m) for s in (-1, 1)}
    terms, weights = [], []
    for p, q in zip(*np.nonzero(ints.h1), strict=True):
        for s in (-1, 1):
            terms.append(((site[p, s], 1), (site[q, s], 0)))
            weights.append(float(ints.h1[p, q]))
    for p, q, r, t in zip(*np.nonzero(ints.h2), strict=True):
        for s, u in itertools.product((-1, 1), repeat=2):
            terms.append(((site[p, s], 1), (site[r, u], 1), (site[t, u], 0), (site[q, s], 0)))
            weights.append(0.5 * float(ints.h2[p, q, r, t]))
    fop = nk.operator.FermionOperator2nd(hi, terms, weights, constant=ints.constant)
    pnc = nk.experimental.operator.ParticleNumberAndSpinConservingFermioperator2nd
    return fop.to_jax_operator(), pnc.from_fermionoperator2nd(fop)


def build_dedup(model: str, side: int):
    """(hilbert, symir NetKetOperator, NetKet's operator to time, NetKet's padded
    operator (evaluations only) or None, sampler, label)."""
    from symir.chemistry import molecular_hamiltonian, read_fcidump, term_by_term_hamiltonian
    from symir.chemistry.make_fcidumps import DATA

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if model == "heisenberg_twice":
            graph = nk.graph.Square(side, pbc=True)
            hi = nk.hilbert.Spin(0.5, graph.n_nodes)
            ours = heisenberg_twice(hi, graph).compile().to_netket(hi)
            ref = (2.0 * nk.operator.Heisenberg(hi, graph, sign_rule=False)).to_jax_operator()
            return hi, ours, ref, None, nk.sampler.MetropolisLocal(hi), f"{side}x{side}"
        if model in ("heisenberg", "tfim"):  # symir.models: nothing repeats (the control)
            hi, ours, ref, sampler, label = build(model, side, side)
            return hi, ours, ref, None, sampler, label
        molecule = model.removesuffix("_terms")
        ints = read_fcidump(DATA / f"{molecule}_sto3g.fcidump")
        m = ints.n_orbitals
        hi = nk.hilbert.SpinOrbitalFermions(m, s=0.5, n_fermions_per_spin=ints.n_fermions_per_spin)
        if model.endswith("_terms"):
            t, v = ints.spin_orbital_tensors()
            op = term_by_term_hamiltonian(t, v, ints.constant, ints.hilbert())
        else:
            op = molecular_hamiltonian(ints).operator
        ours = op.compile().to_netket(hi)
        padded, pnc = netket_molecule(ints, hi)
        hops = nk.graph.Graph(edges=[(i, j) for i in range(m) for j in range(i + 1, m)])
        sampler = nk.sampler.MetropolisFermionHop(hi, graph=hops)
        return hi, ours, pnc, padded, sampler, f"{2 * m} spin orbitals"


def run_dedup(model: str, network: str, args) -> dict:
    from symir.integrations.netket_local_energy import set_local_energy_dedup

    hi, ours, ref, padded, sampler, label = build_dedup(model, args.side)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        vs = nk.vqs.MCState(
            sampler.replace(n_chains=args.batch),
            NETWORKS[network](hi.size),
            n_samples=args.batch,
            n_discard_per_chain=0,
            seed=0,
        )
        x = vs.samples.reshape(-1, hi.size)
    apply = vs._apply_fun
    ours_eloc = jax.jit(lambda v, x, op: sym.local_energies(apply, v, x, op))
    dedup_eloc = jax.jit(lambda v, x, op: sym.local_energies(apply, v, x, op, dedup=True))
    nk_eloc = jax.jit(lambda v, x, op: nk_kernels.local_value_kernel_jax(apply, v, x, op))
    expected = np.asarray(nk_eloc(vs.variables, x, ref))
    scale = max(1.0, float(np.max(np.abs(expected))))
    checked = [ours_eloc(vs.variables, x, ours), dedup_eloc(vs.variables, x, ours)]
    if padded is not None:
        checked.append(nk_eloc(vs.variables, x[:16], padded))
    for got in checked:
        err = float(np.max(np.abs(np.asarray(got) - expected[: len(got)])))
        assert err < 1e-10 * scale, (model, network, err)
    plain = evaluation_counts(x, ours)
    deduped = evaluation_counts(x, ours, dedup=True)
    b = x.shape[0]

    def eg(op, dedup=False):
        def call():
            set_local_energy_dedup(dedup)
            try:
                return vs.expect_and_grad(op)[1]
            finally:
                set_local_energy_dedup(False)

        return call

    fns = {
        "eloc_netket": lambda: nk_eloc(vs.variables, x, ref),
        "eloc_symir": lambda: ours_eloc(vs.variables, x, ours),
        "eloc_dedup": lambda: dedup_eloc(vs.variables, x, ours),
        "eg_netket": eg(ref),
        "eg_symir": eg(ours),
        "eg_dedup": eg(ours, dedup=True),
    }
    for f in fns.values():  # warm up (compile)
        jax.block_until_ready(f())
    g_dedup, g_ref = fns["eg_dedup"](), fns["eg_netket"]()
    for u, w in zip(jax.tree.leaves(g_dedup), jax.tree.leaves(g_ref), strict=True):
        assert np.allclose(np.asarray(u), np.asarray(w), atol=1e-10, rtol=1e-10), model
    return {
        "model": model,
        "label": label,
        "network": network,
        "evals_netket": ref.max_conn_size + 1,
        "evals_padded": padded.max_conn_size + 1 if padded is not None else None,
        "evals_symir": plain["evaluations"] / b,
        "evals_dedup": deduped["evaluations"] / b,
        "candidates": plain["candidates"] / b,
        "distinct": deduped["distinct"] / b,
        "reps": [median_rounds(fns, args.rounds) for _ in range(2)],
    }


def print_dedup_table(rows: list[dict]) -> None:
    print(
        "| model | size | net | evals/sample NetKet (padded) | symir | symir dedup | "
        "candidates -> distinct | E_loc NetKet ms | symir/NetKet | dedup/NetKet | "
        "dedup/symir | e&g NetKet ms | symir/NetKet | dedup/NetKet | dedup/symir |"
    )
    print("|---" * 15 + "|")
    for r in rows:
        for i, t in enumerate(r["reps"]):
            padded = f" ({r['evals_padded']})" if r["evals_padded"] else ""
            print(
                f"| {r['model']} | {r['label']} | {r['network']} (rep {i + 1}) | "
                f"{r['evals_netket']}{padded} | {r['evals_symir']:.1f} | {r['evals_dedup']:.1f} | "
                f"{r['candidates']:.1f} -> {r['distinct']:.1f} | "
                f"{t['eloc_netket'] * 1e3:.1f} | "
                f"{t['eloc_symir'] / t['eloc_netket']:.2f} | "
                f"{t['eloc_dedup'] / t['eloc_netket']:.2f} | "
                f"{t['eloc_dedup'] / t['eloc_symir']:.2f} | "
                f"{t['eg_netket'] * 1e3:.1f} | {t['eg_symir'] / t['eg_netket']:.2f} | "
                f"{t['eg_dedup'] / t['eg_netket']:.2f} | {t['eg_dedup'] / t['eg_symir']:.2f} |"
            )


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=4096)
    p.add_argument("--side", type=int, default=10, help="square lattice side (spins, bosons)")
    p.add_argument("--fh-side", type=int, default=4, help="Fermi-Hubbard square lattice side")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--models", type=partial(names, known=MODELS, what="model"), default=MODELS)
    p.add_argument(
        "--networks", type=partial(names, known=tuple(NETWORKS), what="network"), default=["rbm4"]
    )
    p.add_argument(
        "--no-packed",
        dest="packed",
        action="store_false",
        help="leave NetKet's experimental packed kernel out (it costs a column of time)",
    )
    p.add_argument("--dedup", action="store_true", help="the runtime deduplication table")
    p.add_argument(
        "--dedup-models",
        type=partial(names, known=DEDUP_MODELS, what="model"),
        default=["lih", "lih_terms", "heisenberg_twice"],
    )
    args = p.parse_args(argv)
    if args.dedup:
        print(f"jax {jax.__version__}, netket {nk.__version__}, batch {args.batch}")
        rows = []
        for model in args.dedup_models:
            for network in args.networks:
                rows.append(run_dedup(model, network, args))
                print_dedup_table(rows[-1:])
                sys.stdout.flush()
        print()
        print_dedup_table(rows)
        return
    print(
        f"jax {jax.__version__}, netket {nk.__version__}, {jax.devices()[0].platform}, "
        f"batch {args.batch}, BH {BH}, J1-J2 {J1, J2}"
    )
    rows = []
    for model in args.models:
        for network in args.networks:
            rows.append(run(model, network, args))
            print_table(rows[-1:])
            sys.stdout.flush()
    print()
    print_table(rows)


if __name__ == "__main__":
    main()
