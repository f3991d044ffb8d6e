"""get_conn_padded on lattices: symir against NetKet's operators and the write floor.

Models: TFIM (against `IsingJax`), Heisenberg (against `Heisenberg(...).to_jax_operator()`,
Marshall's sign rule where NetKet applies it: on bipartite graphs), J1-J2 (against a
`GraphOperator` on a graph with `max_neighbor_order=2`, bond colors 0 and 1, as a
`LocalOperatorJax`) and Bose-Hubbard with n_max 3 (against `BoseHubbardJax`), on NetKet's
periodic chains of 16 and 64 sites, square 4x4 and 8x8, triangular 6x6 and honeycomb 4x4
(32 sites) and 6x6 (72 sites) lattices. Configurations: a batch of `hi.random_state`, int8.

Three jitted kernels per row: symir's `get_conn_padded`, NetKet's, and the "write floor",
the cheapest kernel writing outputs of the same shapes and dtypes (`xp[B, F, N]` int8 and
`mels[B, F]`): x broadcast with one site changed per slot, mels a row sum of x times a
per-slot constant, so XLA has to write every byte. Before timing, every row checks on 16
samples that symir and NetKet give the same connected states with the same summed nonzero
matrix elements (it aborts otherwise). Then, after a warm-up, rounds interleave the three
kernels (the order rotates each round); the table gives medians and the ratios
symir / NetKet and symir / floor (< 1 means symir is faster), once per repetition.
`--baseline KEY=VALUE,...` adds a fourth kernel, symir compiled with those options (say
`state_lowering=concat`), timed in the same rounds, and the ratio symir / baseline;
`--baseline-stablehlo FOLDER` takes it from another tree instead: the kernels that tree
wrote with `--dump-stablehlo FOLDER` (each kernel's text and, in a `.npz` beside it, its
outlined tables), run by this tree's runtime. The scaling sections run TFIM and Heisenberg on square lattices L = 4, 6, 8, 12, 16
(N = 16..256) and on 8x8 with batches 64..16384.

    .venv/bin/python benchmarks/lattices.py                 # everything (long on a CPU)
    .venv/bin/python benchmarks/lattices.py --quick         # smoke run, under a minute
    .venv/bin/python benchmarks/lattices.py --models tfim,j1j2 --lattices square8 \\
        --sections table --rounds 30 --repeat 2
    .venv/bin/python benchmarks/lattices.py --models tfim --sections table \\
        --baseline state_lowering=concat
    (cd ../main && .venv/bin/python benchmarks/lattices.py --sections table --rounds 1 \\
        --repeat 1 --dump-stablehlo /tmp/main-kernels)
    .venv/bin/python benchmarks/lattices.py --sections table --baseline-stablehlo /tmp/main-kernels
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import jax
import jax.numpy as jnp
import netket as nk
import numpy as np
from _common import names

from symir import models
from symir.runtime.compiled import CompiledOperator
from symir.testing import first_difference

H_FIELD, J_ISING = 1.0, 1.0
J1, J2 = 1.0, 0.5
BH = {"U": 4.0, "V": 0.5, "J": 1.0, "mu": 0.3}
N_MAX = 3
CHECK_SAMPLES = 16

# name -> (NetKet graph for a given max_neighbor_order)
LATTICES: dict[str, Callable[[int], nk.graph.AbstractGraph]] = {
    "chain16": lambda order: nk.graph.Chain(16, pbc=True, max_neighbor_order=order),
    "chain64": lambda order: nk.graph.Chain(64, pbc=True, max_neighbor_order=order),
    "square4": lambda order: nk.graph.Square(4, pbc=True, max_neighbor_order=order),
    "square8": lambda order: nk.graph.Square(8, pbc=True, max_neighbor_order=order),
    "triangular6": lambda order: nk.graph.Triangular([6, 6], pbc=True, max_neighbor_order=order),
    "honeycomb4": lambda order: nk.graph.Honeycomb([4, 4], pbc=True, max_neighbor_order=order),
    "honeycomb6": lambda order: nk.graph.Honeycomb([6, 6], pbc=True, max_neighbor_order=order),
}
MODELS = ("tfim", "heisenberg", "j1j2", "bose_hubbard")


# --------------------------------------------------------------------------- symir models
# symir.models: tfim (NetKet's `Ising`), heisenberg (`Heisenberg`, Marshall's sign rule
# where NetKet applies it: on bipartite graphs), j1j2 (the Heisenberg bond J1 on colour 0,
# J2 on colour 1, no sign rule) and bose_hubbard (`BoseHubbard`); couplings as constants.

SYMIR_MODELS = {
    "tfim": lambda hi, graph: models.tfim(hi, graph, h=H_FIELD, J=J_ISING),
    "heisenberg": lambda hi, graph: models.heisenberg(hi, graph, J=1.0),
    "j1j2": lambda hi, graph: models.j1j2(hi, graph, J1=J1, J2=J2),
    "bose_hubbard": lambda hi, graph: models.bose_hubbard(hi, graph, **BH),
}


# --------------------------------------------------------------------------- NetKet's


def _pauli_bond() -> np.ndarray:
    x = np.array([[0, 1], [1, 0]], dtype=complex)
    y = np.array([[0, -1j], [1j, 0]])
    z = np.diag([1.0, -1.0]).astype(complex)
    return np.real(np.kron(z, z) + np.kron(x, x) + np.kron(y, y))


def netket_operator(model: str, hi, graph):
    if model == "tfim":
        return nk.operator.IsingJax(hi, graph, h=H_FIELD, J=J_ISING)
    if model == "heisenberg":
        return nk.operator.Heisenberg(hi, graph).to_jax_operator()
    if model == "j1j2":
        bond = _pauli_bond()
        op = nk.operator.GraphOperator(
            hi, graph, bond_ops=[J1 * bond, J2 * bond], bond_ops_colors=[0, 1]
        )
        return op.to_jax_operator()
    return nk.operator.BoseHubbard(hi, graph, **BH).to_jax_operator()


def space_and_graph(model: str, lattice: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = LATTICES[lattice](2 if model == "j1j2" else 1)
    n = graph.n_nodes
    hi = nk.hilbert.Fock(n_max=N_MAX, N=n) if model == "bose_hubbard" else nk.hilbert.Spin(0.5, n)
    return hi, graph


# --------------------------------------------------------------------------- floor


def floor_kernel(f: int, n: int, mel_dtype) -> Callable:
    """Writes xp[B, f, n] (x with site `slot % n` changed in each slot) and
    mels[B, f] (the row sum of x times a per-slot constant)."""
    changed = np.zeros((f, n), dtype=bool)
    changed[np.arange(f), np.arange(f) % n] = True
    scale = np.linspace(-1.0, 1.0, f).astype(mel_dtype)

    def kernel(x):
        xb = x[:, None, :]
        xp = jnp.where(changed[None], xb ^ jnp.int8(1), xb)
        mels = jnp.sum(x, axis=1, dtype=mel_dtype)[:, None] * scale[None, :]
        return xp, mels

    return jax.jit(kernel)


# --------------------------------------------------------------------------- check


def check_equal(label: str, ours, ref, f_ours: int, f_ref: int) -> None:
    """Aborts unless both give the same connected states with the same summed mels."""
    found = first_difference(ours, ref)
    if found is not None:
        sys.exit(f"{label}: symir (F {f_ours}) and NetKet (F {f_ref}): {found}")


# --------------------------------------------------------------------------- rows


@dataclass
class Row:
    model: str
    lattice: str
    n: int
    batch: int
    f_ours: int
    f_ref: int
    compile_ms: float
    netket_ms: float
    kernels: tuple[Callable, ...]
    """symir, NetKet, the floor, and the baseline (`--baseline`) if any."""
    x: jax.Array
    times: list[list[float]] = field(default_factory=list)


@jax.jit
def _netket_conn(op, x):
    return op.get_conn_padded(x)


_COMPILED: dict[tuple[str, str], tuple] = {}


def stablehlo_file(folder: str, model: str, lattice: str) -> Path:
    """Where `--dump-stablehlo` writes, and `--baseline-stablehlo` reads, a kernel."""
    return Path(folder) / f"{model}_{lattice}.mlir"


def baseline_operator(ours, op, model: str, lattice: str, baseline: dict | str):
    """symir compiled with the options `baseline`, or (a folder) the kernel another
    tree's `--dump-stablehlo` wrote there, run by this tree's runtime."""
    if isinstance(baseline, dict):
        return op.compile(cache=False, **baseline)
    s = ours._spec
    path = stablehlo_file(baseline, model, lattice)
    tables = path.with_suffix(".npz")  # none from a tree before the tables were outlined
    constants = ()
    if tables.exists():
        with np.load(tables) as found:
            constants = tuple(found[f"arr_{k}"] for k in range(len(found.files)))
    return CompiledOperator.from_stablehlo(
        path.read_text(),
        name=s.name,
        space=s.space,
        hilbert=s.hilbert,
        dtype=str(s.dtype),
        is_hermitian=s.is_hermitian,
        parameters={},
        key=f"baseline:{baseline}:{model}:{lattice}",
        constants=constants,
    )


def build_row(
    model: str,
    lattice: str,
    batch: int,
    baseline: dict | str | None = None,
    dump: str | None = None,
) -> Row:
    """Compiles (cold, once per model and lattice), builds NetKet's operator, checks
    them against each other and warms up the kernels (with `baseline`, a second symir
    kernel, `baseline_operator`, checked against NetKet as well; with `dump`, symir's
    StableHLO text written into that folder)."""
    hi, graph = space_and_graph(model, lattice)
    if (model, lattice) not in _COMPILED:
        op = SYMIR_MODELS[model](hi, graph)
        t = time.perf_counter()
        ours = op.compile(cache=False)
        compile_ms = (time.perf_counter() - t) * 1e3
        if dump:
            path = stablehlo_file(dump, model, lattice)
            path.write_text(ours.stablehlo_text)
            # the tables stablehlo-outline-constants made arguments, beside the text
            np.savez(path.with_suffix(".npz"), *ours.stablehlo_constants)
        base = baseline_operator(ours, op, model, lattice, baseline) if baseline else None
        t = time.perf_counter()
        ref = netket_operator(model, hi, graph)
        netket_ms = (time.perf_counter() - t) * 1e3
        _COMPILED[model, lattice] = (ours, ref, compile_ms, netket_ms, base)
    ours, ref, compile_ms, netket_ms, base = _COMPILED[model, lattice]
    x = np.asarray(hi.random_state(jax.random.PRNGKey(batch), batch), dtype=np.int8)
    x = jax.device_put(x)
    f_ours = jax.jit(lambda x, op=ours: op.get_conn_padded(x))
    f_ref = partial(_netket_conn, ref)  # NetKet's operators are pytrees: an argument
    out_ours, out_ref = f_ours(x), f_ref(x)
    k = min(CHECK_SAMPLES, batch)
    check_equal(
        f"{model} on {lattice}",
        (out_ours[0][:k], out_ours[1][:k]),
        (out_ref[0][:k], out_ref[1][:k]),
        ours.max_conn_size,
        ref.max_conn_size,
    )
    f_floor = floor_kernel(out_ours[0].shape[1], hi.size, out_ours[1].dtype)
    jax.block_until_ready(f_floor(x))
    kernels = (f_ours, f_ref, f_floor)
    if base is not None:
        f_base = jax.jit(lambda x, op=base: op.get_conn_padded(x))
        out_base = f_base(x)
        check_equal(
            f"{model} on {lattice} (baseline)",
            (out_base[0][:k], out_base[1][:k]),
            (out_ref[0][:k], out_ref[1][:k]),
            base.max_conn_size,
            ref.max_conn_size,
        )
        kernels += (f_base,)
        del out_base
    del out_ours, out_ref
    return Row(
        model,
        lattice,
        hi.size,
        batch,
        ours.max_conn_size,
        ref.max_conn_size,
        compile_ms,
        netket_ms,
        kernels,
        x,
    )


def time_rows(rows: list[Row], rounds: int) -> None:
    """Per row: a warm-up call each, then `rounds` rounds of one call per kernel, in an
    order that rotates each round."""
    for row in rows:
        n = len(row.kernels)
        row.times = [[] for _ in range(n)]
        for fn in row.kernels:
            jax.block_until_ready(fn(row.x))
        for r in range(rounds):
            for k in range(n):
                i = (r + k) % n
                t = time.perf_counter()
                jax.block_until_ready(row.kernels[i](row.x))
                row.times[i].append(time.perf_counter() - t)


HEADER = (
    f"{'model':<13}{'lattice':<12}{'N':>4}{'batch':>7}{'F':>5}{'F nk':>6}"
    f"{'compile':>9}{'nk build':>9}{'symir':>9}{'netket':>9}{'floor':>9}"
    f"{'sym/nk':>8}{'sym/flr':>8}"
)


def print_table(title: str, rows: list[Row]) -> None:
    print(f"\n{title}")
    based = any(len(row.kernels) > 3 for row in rows)
    print(HEADER + (f"{'base':>9}{'sym/base':>9}" if based else ""))
    for row in rows:
        a, b, c, *d = (np.median(t) * 1e3 for t in row.times)
        print(
            f"{row.model:<13}{row.lattice:<12}{row.n:>4}{row.batch:>7}{row.f_ours:>5}"
            f"{row.f_ref:>6}{row.compile_ms:>9.1f}{row.netket_ms:>9.1f}{a:>9.3f}{b:>9.3f}"
            f"{c:>9.3f}{a / b:>8.2f}{a / c:>8.2f}" + (f"{d[0]:>9.3f}{a / d[0]:>9.2f}" if d else "")
        )
    sys.stdout.flush()


# --------------------------------------------------------------------------- main


def _square(side: int) -> str:
    name = f"square{side}"
    if name not in LATTICES:
        LATTICES[name] = lambda order, s=side: nk.graph.Square(
            s, pbc=True, max_neighbor_order=order
        )
    return name


def _option(text: str) -> bool | int | str:
    """A `--baseline` value: `true`/`false` as a bool, digits as an int, else the text."""
    if text in ("true", "false"):
        return text == "true"
    return int(text) if text.lstrip("-").isdigit() else text


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default=",".join(MODELS), help="comma-separated")
    p.add_argument("--lattices", default=",".join(LATTICES), help="comma-separated")
    p.add_argument("--batch", type=int, default=4096)
    p.add_argument("--rounds", type=int, default=20, help="timed calls per kernel")
    p.add_argument("--repeat", type=int, default=2, help="repetitions of every table")
    p.add_argument("--sections", default="table,n,batch", help="comma-separated: table, n, batch")
    p.add_argument("--sides", default="4,6,8,12,16", help="square sides L for section n")
    p.add_argument(
        "--batches", default="64,256,1024,4096,16384", help="batches (8x8) for section batch"
    )
    p.add_argument(
        "--baseline",
        default="",
        help="KEY=VALUE,...: a fourth kernel, symir compiled with these options "
        "(e.g. state_lowering=concat), timed in the same rounds",
    )
    p.add_argument(
        "--baseline-stablehlo",
        default="",
        help="FOLDER: the fourth kernel is the one another tree wrote there with "
        "--dump-stablehlo (say main's), run by this tree's runtime",
    )
    p.add_argument(
        "--dump-stablehlo",
        default="",
        help="FOLDER: write symir's StableHLO text of every row there (MODEL_LATTICE.mlir)",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: chain16 and square4, batch 256, 5 rounds, small scaling sections",
    )
    args = p.parse_args(argv)
    if args.quick:
        args.lattices, args.batch, args.rounds = "chain16,square4", 256, 5
        args.sides, args.batches = "4,6", "64,256"
    args.models = names(args.models, MODELS, "models")
    args.lattices = names(args.lattices, LATTICES, "lattices")
    args.sections = names(args.sections, ("table", "n", "batch"), "sections")
    args.sides = [int(s) for s in args.sides.split(",")]
    args.batches = [int(s) for s in args.batches.split(",")]
    args.baseline = {
        k: _option(v) for k, v in (kv.split("=", 1) for kv in args.baseline.split(",") if kv)
    }
    if args.baseline_stablehlo:
        if args.baseline:
            p.error("--baseline and --baseline-stablehlo exclude each other")
        args.baseline = args.baseline_stablehlo
    if args.dump_stablehlo:
        Path(args.dump_stablehlo).mkdir(parents=True, exist_ok=True)
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    print(f"jax {jax.__version__}, netket {nk.__version__}, backend {jax.default_backend()}")
    print(f"devices: {jax.devices()}")
    print(
        "times in ms: compile = cold symir .compile() (once per operator), nk build = "
        "NetKet's operator built, symir / netket / floor = median get_conn_padded"
    )
    # pay JAX's start-up before the first timed compile
    hi, graph = space_and_graph("tfim", "chain16")
    x = np.asarray(hi.random_state(jax.random.PRNGKey(0), 8), dtype=np.int8)
    jax.block_until_ready(SYMIR_MODELS["tfim"](hi, graph).compile(cache=False).get_conn_padded(x))

    sections: list[tuple[str, list[Row]]] = []
    if "table" in args.sections:
        rows = [
            build_row(m, lat, args.batch, args.baseline, args.dump_stablehlo)
            for m in args.models
            for lat in args.lattices
        ]
        sections.append((f"models x lattices, batch {args.batch}", rows))
    scaled = [m for m in ("tfim", "heisenberg") if m in args.models]
    if "n" in args.sections:
        rows = [
            build_row(m, _square(s), args.batch, args.baseline, args.dump_stablehlo)
            for m in scaled
            for s in args.sides
        ]
        sections.append((f"scaling in N: square L x L, batch {args.batch}", rows))
    if "batch" in args.sections:
        rows = [
            build_row(m, _square(8), b, args.baseline, args.dump_stablehlo)
            for m in scaled
            for b in args.batches
        ]
        sections.append(("scaling in batch: square 8x8", rows))
    print(f"checked against NetKet on {CHECK_SAMPLES} samples per row: all equal")

    for rep in range(args.repeat):
        for title, rows in sections:
            time_rows(rows, args.rounds)
            print_table(f"[repetition {rep + 1}/{args.repeat}] {title}", rows)


if __name__ == "__main__":
    main()
