"""symir on an accelerator: its kernels and `expect_and_grad` against NetKet's, and the
same computed on the CPU device of the same process (not a timing; `gpu_run.sh` runs it
first on a GPU machine).

On the default device (the GPU where there is one) and then on the CPU device, in
float64 (`jax_enable_x64`): `get_conn_padded` of symir's kernels against NetKet's
operators on 64 random configurations (connected states and summed matrix elements to
1e-10, `symir.testing.first_difference`) for TFIM (chain of 16), Heisenberg and J1-J2
(square 4x4), Bose-Hubbard (square 3x3, n_max 3), Fermi-Hubbard (2x3, half filling) and a
molecular Hamiltonian of random integrals (6 orbitals, 6 electrons; no PySCF); then
`expect_and_grad` of `any_network.py`'s states (symir's operator inside NetKet against
NetKet's operator, default kernel and packed kernel, the packed one only for networks
without LAPACK calls: energy and gradient to 1e-10) on the
same samples and parameters on both devices. Finally every result of the default device
is compared with the CPU device's (1e-10). Exits non-zero on the first failure.

    .venv/bin/python benchmarks/gpu_check.py                  # CPU alone here: one pass
    .venv/bin/python benchmarks/gpu_check.py --states tfim4:rbm
    XLA_FLAGS=--xla_force_host_platform_device_count=2 .venv/bin/python \\
        benchmarks/gpu_check.py    # two CPU devices: the second stands for the CPU's
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
import warnings

import jax

jax.config.update("jax_enable_x64", True)

import netket as nk  # noqa: E402
import numpy as np  # noqa: E402
from _expect import expect_and_grad  # noqa: E402
from any_network import NETWORKS, build, lapack  # noqa: E402
from chemistry import netket_operators, random_integrals  # noqa: E402
from lattices import SYMIR_MODELS, netket_operator, space_and_graph  # noqa: E402

from symir import models  # noqa: E402
from symir.chemistry import from_arrays, molecular_hamiltonian  # noqa: E402
from symir.testing import first_difference  # noqa: E402

TOL = 1e-10
AUTO = jax.sharding.AxisType.Auto
BATCH = 64
LATTICE_CASES = (
    ("tfim", "chain16"),
    ("heisenberg", "square4"),
    ("j1j2", "square4"),
)


def operators() -> list[tuple[str, object, object, object]]:
    """(label, symir's compiled operator, NetKet's operator, NetKet's Hilbert space)."""
    cases = []
    for model, lattice in LATTICE_CASES:
        hi, graph = space_and_graph(model, lattice)
        cases.append(
            (
                f"{model} {lattice}",
                SYMIR_MODELS[model](hi, graph).compile(),
                netket_operator(model, hi, graph),
                hi,
            )
        )
    graph = nk.graph.Square(3, pbc=True)
    hi = nk.hilbert.Fock(n_max=3, N=graph.n_nodes)
    cases.append(
        (
            "bose_hubbard square3",
            SYMIR_MODELS["bose_hubbard"](hi, graph).compile(),
            netket_operator("bose_hubbard", hi, graph),
            hi,
        )
    )
    graph = nk.graph.Grid([2, 3], pbc=True)
    hi = nk.hilbert.SpinOrbitalFermions(graph.n_nodes, s=0.5, n_fermions_per_spin=(3, 3))
    cases.append(
        (
            "fermi_hubbard 2x3",
            models.fermi_hubbard(hi, graph, t=1, U=4).compile(),
            models.netket_fermi_hubbard(hi, graph, t=1, U=4).to_jax_operator(),
            hi,
        )
    )
    m = 6
    h1, h2 = random_integrals(m)
    ints = from_arrays(h1, h2, 0.5, notation="chemist", n_electrons=m, ms2=0)
    hi = nk.hilbert.SpinOrbitalFermions(m, s=0.5, n_fermions_per_spin=ints.n_fermions_per_spin)
    ours = molecular_hamiltonian(ints).compile()
    cases.append((f"molecule m={m}", ours, netket_operators(ints, hi)["nk_jax"][0], hi))
    return cases


@contextlib.contextmanager
def on(device):
    """`device` as the default device and as the mesh: NetKet sets a mesh of all the
    default backend's devices at import, and a computation on another device (the CPU's)
    with arguments there fails under it."""
    mesh = jax.sharding.Mesh(np.asarray([device]), ("S",), axis_types=(AUTO,))
    with jax.default_device(device), jax.set_mesh(mesh):
        yield


def conn_results(cases, device) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """symir's `get_conn_padded` on `device`, each checked there against NetKet's."""
    out = {}
    for label, ours, ref, hi in cases:
        x = np.asarray(hi.random_state(jax.random.PRNGKey(1), BATCH))
        xs = jax.device_put(x.astype(np.int8), device)
        xr = jax.device_put(x.astype(hi.random_state(jax.random.PRNGKey(0)).dtype), device)
        with on(device):
            got = jax.jit(lambda a, op=ours: op.get_conn_padded(a))(xs)
            exp = jax.jit(lambda a, op=ref: op.get_conn_padded(a))(xr)
        got = tuple(np.asarray(a) for a in jax.block_until_ready(got))
        found = first_difference(got, tuple(np.asarray(a) for a in exp), x, atol=TOL)
        if found is not None:
            sys.exit(f"FAIL {label} on {device}: symir vs NetKet: {found}")
        print(f"ok   get_conn_padded {label} on {device}: F {got[1].shape[-1]}")
        out[label] = got
    return out


def states(names: list[str], samples: int, chains: int, device, like=None):
    """(label, symir's operator, NetKet's, the MCState with its samples drawn), made on
    `device`; with `like` (the parameters and samples of an earlier call's states, as
    numpy), those instead of new ones: both devices evaluate the same samples (NetKet
    keeps them in `_samples`; setting the parameters drops them)."""
    out = []
    for i, name in enumerate(names):
        model, network = name.split(":")
        with warnings.catch_warnings(), on(device):
            warnings.simplefilter("ignore")
            hi, ours, ref, sampler = build(model, chains)
            vs = nk.vqs.MCState(sampler, NETWORKS[network](hi), n_samples=samples, seed=0)
            if like is None:
                vs.sample()
            else:
                parameters, x = like[i]
                vs.parameters = jax.device_put(parameters, device)
                vs._samples = jax.device_put(x, device)
        out.append((name, ours, ref, vs))
    return out


def as_numpy(cases) -> list:
    """The states' parameters and samples, as numpy arrays (for `states(like=...)`)."""
    return [
        (jax.tree_util.tree_map(np.asarray, vs.parameters), np.asarray(vs.samples))
        for *_, vs in cases
    ]


def grad_error(g, g0) -> float:
    leaves = zip(jax.tree_util.tree_leaves(g), jax.tree_util.tree_leaves(g0), strict=True)
    return max(float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) for a, b in leaves)


def grad_results(cases, device) -> dict[str, tuple[complex, list[np.ndarray]]]:
    """symir's `expect_and_grad` on `device`, checked there against NetKet's default and
    packed kernels."""
    out = {}
    for label, ours, ref, vs in cases:
        with on(device):
            # a network with LAPACK calls: NetKet's program with them in one order, and
            # not its packed kernel (either can hang XLA's CPU pool: any_network.py)
            ordered = lapack(vs)
            results = {
                "symir": jax.block_until_ready(expect_and_grad(vs, ours)),
                "netket": jax.block_until_ready(expect_and_grad(vs, ref, ordered=ordered)),
            }
            if not ordered:
                results["packed"] = jax.block_until_ready(expect_and_grad(vs, ref, packed=True))
        e0, g0 = results["symir"]
        for k in results:
            e, g = results[k]
            de, dg = abs(complex(e) - complex(e0)), grad_error(g, g0)
            if not (de < TOL and dg < TOL):
                sys.exit(f"FAIL {label} on {device}: symir vs {k}: |dE| {de:.3g}, |dg| {dg:.3g}")
        print(f"ok   expect_and_grad {label} on {device}: E {complex(e0):.12g}")
        leaves = [np.asarray(a) for a in jax.tree_util.tree_leaves(g0)]
        out[label] = (complex(e0), leaves)
    return out


def compare_devices(what: str, a: dict, b: dict, names: tuple[str, str]) -> None:
    for label in a:
        if what == "conn":
            found = first_difference(a[label], b[label], atol=TOL)
            bad = None if found is None else str(found)
        else:
            (e1, g1), (e2, g2) = a[label], b[label]
            err = max([abs(e1 - e2), *(float(np.max(np.abs(x - y))) for x, y in zip(g1, g2))])
            bad = None if err < TOL else f"max difference {err:.3g}"
        if bad is not None:
            sys.exit(f"FAIL {what} {label}: {names[0]} vs {names[1]}: {bad}")
        print(f"ok   {what} {label}: {names[0]} equals {names[1]}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--states",
        default="tfim4:rbm,bh34:mlp1,fh4:slater",
        help="model:network pairs of any_network.py",
    )
    parser.add_argument("--samples", type=int, default=512)
    parser.add_argument("--chains", type=int, default=16)
    args = parser.parse_args(argv)
    default, cpu = jax.devices()[0], jax.devices("cpu")[-1]
    print(f"jax {jax.__version__}, netket {nk.__version__}, devices {jax.devices()}, cpu {cpu}")
    devices = [default] if default == cpu else [default, cpu]
    names = [s for s in args.states.split(",") if s]
    conns, eandg, like = [], [], None
    for device in devices:
        # everything made anew on each device: NetKet's arrays made under its mesh of the
        # default backend's devices stay there
        t = time.perf_counter()
        with on(device):
            cases = operators()
        grads = states(names, args.samples, args.chains, device, like)
        print(f"{device}: built in {time.perf_counter() - t:.1f} s", flush=True)
        t = time.perf_counter()
        conns.append(conn_results(cases, device))
        eandg.append(grad_results(grads, device))
        like = as_numpy(grads)
        print(f"{device}: checked in {time.perf_counter() - t:.1f} s", flush=True)
    if len(devices) == 2:
        names = (str(default), str(cpu))
        compare_devices("conn", conns[0], conns[1], names)
        compare_devices("expect_and_grad", eandg[0], eandg[1], names)
    print("ALL CHECKS PASSED")


if __name__ == "__main__":
    main()
