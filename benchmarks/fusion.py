"""Fusion (`branch-fuse-equal-states`): F and get_conn_padded with fusion off/on, and NetKet.

Models written term by term, as in tests/unit/lowering/test_fusion.py (copied here, not
imported): Heisenberg as `xx + yy + zz`, XY as `XX + YY`, XXZ (Delta 0.4), the Heisenberg
model as a `SymbolicOperatorSum` of single-bond operators, J1-J2 (J2 = 0.5) as two
operators summed, TFIM with a longitudinal field, and a Kitaev model on a honeycomb
(x/y/z bond colors). Lattices: periodic chains of 16 and 64 sites, square 4x4 and 8x8
(NetKet's graphs; J1-J2 adds the next-nearest neighbours) and, for Kitaev only,
honeycombs of 3x3 and 6x6 cells (18 and 72 sites).

Section `conn`, per row: symir compiled with `enable_fusion=False` and with fusion on
(the default), NetKet's `LocalOperator(...).to_jax_operator()` (`LocalOperatorJax`) and
`PauliStrings(...).to_jax_operator()` (`PauliStringsJax`) of the same model; every kernel
is jitted with the operator as a jit argument. Before timing, each row checks on 16
samples that all four give the same connected states with the same summed matrix
elements (it aborts otherwise). Then, after a warm-up, rounds interleave the four
kernels (the order rotates each round); the table gives F, the median ms and the ratios
fused / unfused and fused / NetKet, once per repetition.

Section `expect`: one `MCState.expect` (RBM alpha 1, `MetropolisLocal`, `--samples`
samples in `--chains` chains, sampled once before timing so that every call reuses the
same samples) per operator: symir fused and unfused (`.to_netket()`), NetKet's
`LocalOperatorJax` and `PauliStringsJax`. The four means must agree (same samples)
before timing; rounds interleave as above.

    .venv/bin/python benchmarks/fusion.py --quick        # smoke run, a couple of minutes
    .venv/bin/python benchmarks/fusion.py                # everything (long on a CPU)
    .venv/bin/python benchmarks/fusion.py --models heisenberg,kitaev \\
        --lattices chain64,square8,honeycomb6 --sections conn --rounds 20 --repeat 2
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import netket as nk
import numpy as np
from _common import names

import symir as sym
from symir.testing import first_difference

CHECK_SAMPLES = 16
DELTA, J2, H_X, H_Z = 0.4, 0.5, 0.8, 0.3
KITAEV = {"x": 1.0, "y": 0.8, "z": 0.6}
KERNELS = ("unfused", "fused", "nk local", "nk pauli")

site = sym.site


# --------------------------------------------------------------------------- lattices


@dataclass(frozen=True)
class Lattice:
    """Sites and bonds: `bonds` maps a bond kind (nn, nnn; x, y, z on a honeycomb) to
    its edges."""

    name: str
    n: int
    bonds: dict[str, list[tuple[int, int]]]

    @property
    def honeycomb(self) -> bool:
        return "x" in self.bonds


def _graph(name: str) -> nk.graph.AbstractGraph:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if name.startswith("chain"):
            return nk.graph.Chain(int(name[5:]), pbc=True, max_neighbor_order=2)
        return nk.graph.Square(int(name[6:]), pbc=True, max_neighbor_order=2)


def _edges(graph, color: int) -> list[tuple[int, int]]:
    return [(int(i), int(j)) for i, j in graph.edges(filter_color=color)]


def honeycomb_bonds(cells: int) -> dict[str, list[tuple[int, int]]]:
    """A periodic honeycomb of `cells` x `cells` unit cells (two sites each): the z
    bond inside each cell, x and y bonds to the neighbouring cells."""

    def s(a, b, k):
        return 2 * ((a % cells) * cells + b % cells) + k

    cs = [(a, b) for a in range(cells) for b in range(cells)]
    return {
        "x": [(s(a, b, 1), s(a + 1, b, 0)) for a, b in cs],
        "y": [(s(a, b, 1), s(a, b + 1, 0)) for a, b in cs],
        "z": [(s(a, b, 0), s(a, b, 1)) for a, b in cs],
    }


def lattice(name: str) -> Lattice:
    if name.startswith("honeycomb"):
        cells = int(name[9:])
        return Lattice(name, 2 * cells * cells, honeycomb_bonds(cells))
    graph = _graph(name)
    return Lattice(name, graph.n_nodes, {"nn": _edges(graph, 0), "nnn": _edges(graph, 1)})


LATTICES = ("chain16", "chain64", "square4", "square8", "honeycomb3", "honeycomb6")


# --------------------------------------------------------------------------- symir models


def pauli_bonds(hi, edges, *, xx=0.0, yy=0.0, zz=0.0, name="bonds"):
    """`sum_<ij> xx X_i X_j + yy Y_i Y_j + zz Z_i Z_j`, one term per Pauli product (on
    spin-1/2 states {-1, 1}: X_i X_j flips both sites, Y_i Y_j too with -x_i x_j, Z_i Z_j
    is diagonal, x_i x_j)."""
    si, sj = site("i"), site("j")
    flip = sym.write("i", -si).write("j", -sj)
    b = sym.DOperator(hi, name, hermitian=True)
    if xx:
        b.for_each(("i", "j"), over=edges).emit(flip, matrix_element=xx)
    if yy:
        b.for_each(("i", "j"), over=edges).emit(flip, matrix_element=-yy * si * sj)
    if zz:
        b.for_each(("i", "j"), over=edges).emit(sym.identity(), matrix_element=zz * si * sj)
    return b.build()


def tfim_longitudinal(hi, edges):
    """`-h_x sum X_i + h_z sum Z_i + sum Z_i Z_j`, one term each."""
    return (
        sym.DOperator(hi, "tfim_hz", hermitian=True)
        .for_each_site("i")
        .emit(sym.write("i", -site("i")), matrix_element=-H_X)
        .for_each_site("i")
        .emit(sym.identity(), matrix_element=H_Z * site("i"))
        .for_each(("i", "j"), over=edges)
        .emit(sym.identity(), matrix_element=site("i") * site("j"))
        .build()
    )


def symir_model(model: str, hi, lat: Lattice):
    nn = lat.bonds.get("nn")
    if model == "heisenberg":
        return pauli_bonds(hi, nn, xx=1.0, yy=1.0, zz=1.0, name="heis")
    if model == "xy":
        return pauli_bonds(hi, nn, xx=1.0, yy=1.0, name="xy")
    if model == "xxz":
        return pauli_bonds(hi, nn, xx=1.0, yy=1.0, zz=DELTA, name="xxz")
    if model == "heis_sum":
        return sym.SymbolicOperatorSum(
            [pauli_bonds(hi, [e], xx=1.0, yy=1.0, zz=1.0, name=f"b{k}") for k, e in enumerate(nn)]
        )
    if model == "j1j2":
        j1 = pauli_bonds(hi, nn, xx=1.0, yy=1.0, zz=1.0, name="j1")
        return j1 + pauli_bonds(hi, lat.bonds["nnn"], xx=J2, yy=J2, zz=J2, name="j2")
    if model == "tfim_hz":
        return tfim_longitudinal(hi, nn)
    kx, ky, kz = (pauli_bonds(hi, lat.bonds[c], **{2 * c: KITAEV[c]}, name=f"k{c}") for c in "xyz")
    return kx + ky + kz


# --------------------------------------------------------------------------- NetKet's


def couplings(model: str, lat: Lattice) -> list[tuple[str, list[tuple[int, int]], float]]:
    """The model as (Pauli product, edges, coupling); "x"/"z" on single sites as edges
    (i, i)."""
    nn = lat.bonds.get("nn")
    if model in ("heisenberg", "heis_sum"):
        return [(p, nn, 1.0) for p in ("xx", "yy", "zz")]
    if model == "xy":
        return [("xx", nn, 1.0), ("yy", nn, 1.0)]
    if model == "xxz":
        return [("xx", nn, 1.0), ("yy", nn, 1.0), ("zz", nn, DELTA)]
    if model == "j1j2":
        heis = ("xx", "yy", "zz")
        return [(p, nn, 1.0) for p in heis] + [(p, lat.bonds["nnn"], J2) for p in heis]
    if model == "tfim_hz":
        sites = [(i, i) for i in range(lat.n)]
        return [("x", sites, -H_X), ("z", sites, H_Z), ("zz", nn, 1.0)]
    return [(2 * c, lat.bonds[c], KITAEV[c]) for c in "xyz"]


_PAULI = {
    "x": np.array([[0, 1], [1, 0]], dtype=complex),
    "y": np.array([[0, -1j], [1j, 0]]),
    "z": np.diag([1.0, -1.0]).astype(complex),
}


def netket_local(hi, terms) -> nk.operator.LocalOperator:
    """A real `LocalOperator`: one summed matrix per bond (or site)."""
    mats: dict[tuple[int, ...], np.ndarray] = {}
    for product, edges, c in terms:
        mat = _PAULI[product[0]]
        if len(product) == 2:
            mat = np.kron(mat, _PAULI[product[1]])
        for e in edges:
            key = (e[0],) if len(product) == 1 else tuple(e)
            mats[key] = mats.get(key, 0) + c * mat
    ops = [np.real(m) for m in mats.values()]
    return nk.operator.LocalOperator(hi, ops, [list(k) for k in mats], dtype=float)


def netket_pauli(hi, terms) -> nk.operator.PauliStrings:
    strings, weights = [], []
    for product, edges, c in terms:
        for e in edges:
            s = ["I"] * hi.size
            for p, k in zip(product, e, strict=False):
                s[k] = p.upper()
            strings.append("".join(s))
            weights.append(c)
    return nk.operator.PauliStrings(hi, strings, weights, dtype=float)


# --------------------------------------------------------------------------- check


def check_equal(label: str, outs: list, fs: list[int]) -> None:
    """Aborts unless every kernel gives the connected states and summed mels of the
    reference (NetKet's LocalOperatorJax, `outs[2]`)."""
    k = CHECK_SAMPLES
    ref = (outs[2][0][:k], outs[2][1][:k])
    for name, out, f in zip(KERNELS, outs, fs, strict=True):
        found = first_difference((out[0][:k], out[1][:k]), ref)
        if found is not None:
            sys.exit(f"{label}: {name} (F {f}) and NetKet's LocalOperatorJax (F {fs[2]}): {found}")


# --------------------------------------------------------------------------- rows


@jax.jit
def _conn(op, x):
    return op.get_conn_padded(x)


def operators(model: str, lat: Lattice) -> tuple:
    """(hilbert, [unfused, fused, LocalOperatorJax, PauliStringsJax], compile ms)."""
    hi = nk.hilbert.Spin(0.5, lat.n)
    op = symir_model(model, hi, lat)
    t = time.perf_counter()
    unfused = op.compile(cache=False, enable_fusion=False)
    fused = op.compile(cache=False)
    compile_ms = (time.perf_counter() - t) * 1e3 / 2
    terms = couplings(model, lat)
    local = netket_local(hi, terms).to_jax_operator()
    pauli = netket_pauli(hi, terms).to_jax_operator()
    return hi, [unfused, fused, local, pauli], compile_ms


@dataclass
class Row:
    label: str
    n: int
    fs: list[int]
    compile_ms: float
    ops: list
    x: jax.Array
    times: list[list[float]] = field(default_factory=list)


def build_row(model: str, lat: Lattice, batch: int) -> Row:
    hi, ops, compile_ms = operators(model, lat)
    x = jax.device_put(np.asarray(hi.random_state(jax.random.PRNGKey(batch), batch), np.int8))
    fs = [op.max_conn_size for op in ops]
    label = f"{model} on {lat.name}"
    check_equal(label, [_conn(op, x) for op in ops], fs)
    return Row(label, lat.n, fs, compile_ms, ops, x)


def interleave(calls: list[Callable[[], object]], rounds: int) -> list[list[float]]:
    """A warm-up call each, then `rounds` rounds of one call each, in an order that
    rotates every round; the seconds per call."""
    times: list[list[float]] = [[] for _ in calls]
    for call in calls:
        jax.block_until_ready(call())
    for r in range(rounds):
        for k in range(len(calls)):
            i = (r + k) % len(calls)
            t = time.perf_counter()
            jax.block_until_ready(calls[i]())
            times[i].append(time.perf_counter() - t)
    return times


def time_conn(rows: list[Row], rounds: int) -> None:
    for row in rows:
        calls = [lambda op=op, x=row.x: _conn(op, x) for op in row.ops]
        row.times = interleave(calls, rounds)


def _ratios(ms: list[float]) -> str:
    off, on, local, pauli = ms
    return f"{on / off:>8.2f}{on / local:>8.2f}{on / pauli:>8.2f}"


def print_conn(title: str, rows: list[Row]) -> None:
    print(f"\n{title}")
    print(
        f"{'model on lattice':<26}{'N':>4}{'F off':>7}{'F on':>6}{'F loc':>6}{'F ps':>6}"
        f"{'compile':>9}{'unfused':>9}{'fused':>9}{'nk loc':>9}{'nk ps':>9}"
        f"{'on/off':>8}{'on/loc':>8}{'on/ps':>8}"
    )
    for row in rows:
        ms = [float(np.median(t)) * 1e3 for t in row.times]
        f_off, f_on, f_loc, f_ps = row.fs
        print(
            f"{row.label:<26}{row.n:>4}{f_off:>7}{f_on:>6}{f_loc:>6}{f_ps:>6}"
            f"{row.compile_ms:>9.1f}" + "".join(f"{m:>9.3f}" for m in ms) + _ratios(ms)
        )
    sys.stdout.flush()


# --------------------------------------------------------------------------- expect


@dataclass
class ExpectRow:
    label: str
    fs: list[int]
    calls: list[Callable[[], object]]
    energy: float
    times: list[list[float]] = field(default_factory=list)


def build_expect_row(model: str, lat: Lattice, samples: int, chains: int) -> ExpectRow:
    hi, ops, _ = operators(model, lat)
    ops = [ops[0].to_netket(hi), ops[1].to_netket(hi), ops[2], ops[3]]
    sampler = nk.sampler.MetropolisLocal(hi, n_chains=chains)
    vstate = nk.vqs.MCState(
        sampler, nk.models.RBM(alpha=1), n_samples=samples, n_discard_per_chain=16, seed=0
    )
    jax.block_until_ready(vstate.sample())  # reused by every expect below
    calls = [lambda op=op: vstate.expect(op).mean for op in ops]
    means = [complex(c()) for c in calls]
    label = f"{model} on {lat.name}"
    if max(abs(m - means[2]) for m in means) > 1e-8 * max(1.0, abs(means[2])):
        sys.exit(f"{label}: the expectation values differ on the same samples: {means}")
    return ExpectRow(label, [op.max_conn_size for op in ops], calls, means[2].real)


def print_expect(title: str, rows: list[ExpectRow]) -> None:
    print(f"\n{title}")
    print(
        f"{'model on lattice':<26}{'F off':>7}{'F on':>6}{'F loc':>6}{'F ps':>6}{'<H>':>11}"
        f"{'unfused':>9}{'fused':>9}{'nk loc':>9}{'nk ps':>9}{'on/off':>8}{'on/loc':>8}"
        f"{'on/ps':>8}"
    )
    for row in rows:
        ms = [float(np.median(t)) * 1e3 for t in row.times]
        f_off, f_on, f_loc, f_ps = row.fs
        print(
            f"{row.label:<26}{f_off:>7}{f_on:>6}{f_loc:>6}{f_ps:>6}{row.energy:>11.4f}"
            + "".join(f"{m:>9.2f}" for m in ms)
            + _ratios(ms)
        )
    sys.stdout.flush()


# --------------------------------------------------------------------------- main

MODELS = ("heisenberg", "xy", "xxz", "heis_sum", "j1j2", "tfim_hz", "kitaev")


def pairs(models: list[str], lattices: list[str]) -> list[tuple[str, Lattice]]:
    """Kitaev on the honeycombs only, every other model on the chains and squares."""
    lats = [lattice(name) for name in lattices]
    return [(m, lat) for m in models for lat in lats if lat.honeycomb == (m == "kitaev")]


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default=",".join(MODELS), help="comma-separated")
    p.add_argument("--lattices", default=",".join(LATTICES), help="comma-separated")
    p.add_argument("--batch", type=int, default=4096)
    p.add_argument("--rounds", type=int, default=20, help="timed calls per kernel")
    p.add_argument("--repeat", type=int, default=2, help="repetitions of every table")
    p.add_argument("--sections", default="conn,expect", help="comma-separated: conn, expect")
    p.add_argument("--expect-models", default="heisenberg,j1j2,kitaev", help="comma-separated")
    p.add_argument("--expect-lattices", default="chain16,square4,honeycomb3")
    p.add_argument("--samples", type=int, default=4096, help="MCState samples (expect)")
    p.add_argument("--chains", type=int, default=16, help="Markov chains (expect)")
    p.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: chain16, square4 and honeycomb3, batch 256, 5 rounds; expect "
        "of heisenberg and kitaev with 1024 samples",
    )
    args = p.parse_args(argv)
    if args.quick:
        args.lattices, args.batch, args.rounds = "chain16,square4,honeycomb3", 256, 5
        args.expect_models, args.expect_lattices = "heisenberg,kitaev", "chain16,honeycomb3"
        args.samples = 1024
    args.models = names(args.models, MODELS, "models")
    args.lattices = names(args.lattices, LATTICES, "lattices")
    args.expect_models = names(args.expect_models, MODELS, "models")
    args.expect_lattices = names(args.expect_lattices, LATTICES, "lattices")
    args.sections = names(args.sections, ("conn", "expect"), "sections")
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    print(f"jax {jax.__version__}, netket {nk.__version__}, backend {jax.default_backend()}")
    print(f"devices: {jax.devices()}")
    print(
        "F off / on = symir's max_conn_size with enable_fusion=False / True, F loc / ps = "
        "NetKet's LocalOperatorJax / PauliStringsJax; times in ms (medians): compile = "
        "cold symir .compile() (mean of off and on)"
    )
    # pay JAX's and the compiler's start-up before the first timed compile
    warm = pauli_bonds(nk.hilbert.Spin(0.5, 4), [(0, 1), (2, 3)], xx=1.0, yy=1.0)
    jax.block_until_ready(warm.compile(cache=False).get_conn_padded(jnp.ones((2, 4), jnp.int8)))
    conn, expect = [], []
    if "conn" in args.sections:
        conn = [build_row(m, lat, args.batch) for m, lat in pairs(args.models, args.lattices)]
        print(f"conn: all four kernels checked equal on {CHECK_SAMPLES} samples per row")
    if "expect" in args.sections:
        expect = [
            build_expect_row(m, lat, args.samples, args.chains)
            for m, lat in pairs(args.expect_models, args.expect_lattices)
        ]
        print("expect: all four means equal on the same samples")
    for rep in range(args.repeat):
        tag = f"[repetition {rep + 1}/{args.repeat}]"
        if conn:
            time_conn(conn, args.rounds)
            print_conn(f"{tag} get_conn_padded, batch {args.batch}", conn)
        if expect:
            for row in expect:
                row.times = interleave(row.calls, args.rounds)
            print_expect(
                f"{tag} MCState.expect (RBM alpha 1, MetropolisLocal, {args.samples} samples, "
                f"{args.chains} chains)",
                expect,
            )


if __name__ == "__main__":
    main()
