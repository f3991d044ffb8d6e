"""A symir operator in NetKet's sharded `MCState`, across processes on one machine.

    python examples/multiprocess_vmc.py --processes 2 --local-devices 1
    python examples/multiprocess_vmc.py --processes 4 --local-devices 1 --compare 1x4

Starts `--processes` Python processes on localhost (127.0.0.1 only: the coordinator of
`jax.distributed` and gloo's CPU collectives), each with `--local-devices` CPU devices
(`jax_num_cpu_devices`, the `--xla_force_host_platform_device_count` of XLA). Every
process builds the same symir operator (the transverse-field Ising chain,
`H = -J sum z_i z_j - h sum x_i`, with the parameter `h`), compiles it, and runs on one
global mesh of all devices (NetKet's sharding, its default since 3.23):

* `vstate.expect(H)` and `vstate.expect_and_grad(H)`, with symir's local-energy kernel
  (the default) and with NetKet's own padded kernel (`set_local_energy_kernel(False)`);
* `jax.grad` of the energy with respect to the operator's parameter `h`;
* five VMC steps (SGD) from that state, with the first kernel named in `--kernels`.

Each process writes what it computed, hashed bit for bit (samples, energies, gradients,
parameters), and what it compiled (the cache token, a SHA-256 of the kernel's StableHLO
text, the lowering's metadata) to `<out>/rank<k>.json`. The launcher checks that all
processes agree; `--compare PxD` runs the same job again as P processes of D devices
(`1x2`: one process with two devices) and checks that the results are bit-identical.

The run is bounded: every process has a timeout (`--timeout`, seconds), a process that
fails or times out stops all the others, and `jax.distributed.initialize` gives up after
`--timeout` seconds. `run_job` is what the test (tests/unit/symir/test_multiprocess.py)
calls.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

N_SITES = 8
N_SAMPLES = 256
VMC_STEPS = 5
KERNELS = ("local_energy", "padded")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- launcher


def run_job(
    processes: int,
    local_devices: int,
    timeout: float = 120.0,
    out: str | None = None,
    sampler: str = "metropolis",
    kernels: tuple[str, ...] = KERNELS,
) -> list[dict]:
    """Runs the job as `processes` processes of `local_devices` CPU devices each and
    returns what every process wrote (by rank). Raises `RuntimeError` with the output of
    the processes when one fails or the job runs past `timeout` seconds."""
    out_dir = Path(out or tempfile.mkdtemp(prefix="symir-mp-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    env = dict(os.environ)
    # the device count is set by the worker itself (jax_num_cpu_devices): a device count
    # in XLA_FLAGS would contradict it; XLA's other flags pass through
    flags = [
        f
        for f in env.pop("XLA_FLAGS", "").split()
        if not f.startswith("--xla_force_host_platform_device_count")
    ]
    if flags:
        env["XLA_FLAGS"] = " ".join(flags)
    env["PYTHONUNBUFFERED"] = "1"
    procs, logs = [], []
    for rank in range(processes):
        # a different string-hash seed in every process: an order of sets or dicts of
        # strings that leaked into the kernel would show as a disagreement
        env["PYTHONHASHSEED"] = str(100 * processes + rank)
        log = open(out_dir / f"rank{rank}.log", "w+")
        cmd = [
            sys.executable,
            os.path.abspath(__file__),
            "--worker",
            f"--rank={rank}",
            f"--processes={processes}",
            f"--local-devices={local_devices}",
            f"--port={port}",
            f"--timeout={timeout}",
            f"--out={out_dir}",
            f"--sampler={sampler}",
            f"--kernels={','.join(kernels)}",
        ]
        logs.append(log)
        procs.append(subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env))
    try:
        failed = _wait(procs, time.monotonic() + timeout, timeout)
    finally:
        for p in procs:  # stop the others (a collective would wait for the dead one)
            if p.poll() is None:
                p.kill()
        for p in procs:
            p.wait()
    text = []
    for rank, log in enumerate(logs):
        log.seek(0)
        text.append(f"--- process {rank} ---\n{log.read()[-4000:]}")
        log.close()
    if failed:
        raise RuntimeError(f"multi-process job failed: {failed}\n" + "\n".join(text))
    return [json.loads((out_dir / f"rank{r}.json").read_text()) for r in range(processes)]


def _wait(procs: list, deadline: float, timeout: float) -> str | None:
    """Waits for all processes; the first failure (or the timeout) as a message."""
    while True:
        codes = [p.poll() for p in procs]
        bad = [r for r, c in enumerate(codes) if c not in (None, 0)]
        if bad:
            return f"process {bad[0]} exited with status {codes[bad[0]]}"
        if all(c == 0 for c in codes):
            return None
        if time.monotonic() > deadline:
            return f"the job ran past its timeout of {timeout:.0f} s"
        time.sleep(0.05)


# --------------------------------------------------------------------------- worker


def _digest(tree) -> str:
    """SHA-256 of the bytes of every leaf (gathered to every process when sharded)."""
    import jax
    import numpy as np
    from jax.experimental import multihost_utils

    h = hashlib.sha256()
    for leaf in jax.tree_util.tree_leaves(tree):
        if isinstance(leaf, jax.Array) and not leaf.is_fully_addressable:
            if not leaf.is_fully_replicated:
                leaf = multihost_utils.process_allgather(leaf, tiled=True)
            else:
                leaf = leaf.addressable_data(0)
        a = np.ascontiguousarray(np.asarray(leaf))
        h.update(str((a.shape, a.dtype.str)).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _scalar(x) -> str:
    """A replicated scalar, exactly (its float.hex)."""
    import jax
    import numpy as np

    if isinstance(x, jax.Array) and not x.is_fully_addressable:
        x = x.addressable_data(0)
    v = complex(np.asarray(x))
    return f"{v.real.hex()} {v.imag.hex()}"


def build_operator(n: int = N_SITES):
    """The transverse-field Ising chain of `n` sites with the parameter `h`."""
    import netket as nk

    import symir as sym

    hi = nk.hilbert.Spin(0.5, n)
    bonds = [(i, (i + 1) % n) for i in range(n)]
    op = (
        sym.DOperator(hi, "tfim", hermitian=True)
        .for_each(("i", "j"), over=bonds)
        .emit(sym.identity(), matrix_element=-sym.symbol("J", 1.0) * sym.site("i") * sym.site("j"))
        .for_each_site("i")
        .emit(sym.write("i", -sym.site("i")), matrix_element=-sym.symbol("h", 1.0))
        .build()
    )
    return hi, op


def kernel_facts(op) -> dict:
    """What the compiler chose for `op`: the cache token, the kernel's StableHLO text (as
    a SHA-256) and the lowering's metadata. Equal in every process that compiles `op`."""
    from symir.compiler import SymbolicCompiler

    artifact = SymbolicCompiler().compile(op)
    compiled = artifact.compiled_operator
    return {
        "cache_token": artifact.cache_token(),
        "stablehlo_sha256": hashlib.sha256(compiled.stablehlo_text.encode()).hexdigest(),
        "metadata": json.loads(json.dumps(artifact.metadata, sort_keys=True, default=repr)),
    }


def _say(*what) -> None:
    print(f"[{time.strftime('%H:%M:%S')} cpu {time.process_time():.1f} s]", *what, flush=True)


def worker(args: argparse.Namespace) -> None:
    import jax

    jax.config.update("jax_num_cpu_devices", args.local_devices)
    jax.config.update("jax_enable_x64", True)
    if args.processes > 1:
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        jax.distributed.initialize(
            coordinator_address=f"127.0.0.1:{args.port}",
            num_processes=args.processes,
            process_id=args.rank,
            local_device_ids=list(range(args.local_devices)),
            initialization_timeout=int(args.timeout),
        )
    import netket as nk  # after initialize: NetKet builds its mesh of all devices on import
    import optax

    from symir.integrations.netket_local_energy import set_local_energy_kernel

    assert jax.device_count() == args.processes * args.local_devices, jax.devices()
    _say("initialized:", jax.devices())
    hi, op = build_operator()
    facts = kernel_facts(op)
    H = op.compile().to_netket()
    _say("compiled", facts["cache_token"])

    def state():
        if args.sampler == "exact":  # cheaper to compile, but NetKet does not shard it
            sampler = nk.sampler.ExactSampler(hi)
        else:
            sampler = nk.sampler.MetropolisLocal(hi, n_chains=16)
        return nk.vqs.MCState(
            sampler,
            nk.models.RBM(alpha=1, param_dtype=float),
            n_samples=N_SAMPLES,
            seed=1,
            sampler_seed=2,
        )

    result: dict = {
        "rank": jax.process_index(),
        "process_count": jax.process_count(),
        "device_count": jax.device_count(),
        "kernel": facts,
    }
    for kernel in args.kernels.split(","):
        set_local_energy_kernel(kernel == "local_energy")
        vs = state()
        vs.sample()
        _say(kernel, "sampled")
        e = vs.expect(H)
        _say(kernel, "expect", e)
        e2, grad = vs.expect_and_grad(H)
        _say(kernel, "expect_and_grad")

        def energy(h, vs=vs):
            return vs.expect(H.with_params(h=h)).mean.real

        dh = jax.grad(energy)(jax.numpy.asarray(1.0))
        _say(kernel, "grad h", dh)
        result[kernel] = {
            "samples": _digest(vs.samples),
            "energy": _scalar(e.mean),
            "variance": _scalar(e.variance),
            "energy_again": _scalar(e2.mean),
            "grad": _digest(grad),
            "d_energy_d_h": _scalar(dh),
        }
        if "vmc" not in result:  # five steps from the state above, with the first kernel
            log = nk.logging.RuntimeLog()
            nk.VMC(H, optax.sgd(0.05), variational_state=vs).run(
                VMC_STEPS, out=log, show_progress=False
            )
            _say(kernel, "vmc done")
            result["vmc"] = {
                "kernel": kernel,
                "energies": [_scalar(v) for v in log.data["Energy"]["Mean"]],
                "parameters": _digest(vs.parameters),
            }
    Path(args.out, f"rank{args.rank}.json").write_text(json.dumps(result, indent=1))
    if args.processes > 1:
        jax.distributed.shutdown()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--processes", type=int, default=2)
    p.add_argument("--local-devices", type=int, default=1)
    p.add_argument("--timeout", type=float, default=120.0)
    p.add_argument("--out", default=None)
    p.add_argument("--compare", default=None, help="PxD: a second run to compare with")
    p.add_argument("--sampler", choices=("metropolis", "exact"), default="metropolis")
    p.add_argument("--kernels", default=",".join(KERNELS), help="local_energy,padded")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--rank", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        worker(args)
        return 0
    start = time.perf_counter()
    kernels = tuple(args.kernels.split(","))
    results = run_job(
        args.processes, args.local_devices, args.timeout, args.out, args.sampler, kernels
    )
    first = {k: v for k, v in results[0].items() if k != "rank"}
    for r in results[1:]:
        assert {k: v for k, v in r.items() if k != "rank"} == first, "processes disagree"
    print(
        f"{args.processes} processes x {args.local_devices} devices: all agree "
        f"({time.perf_counter() - start:.1f} s); energy {float.fromhex(first['vmc']['energies'][-1].split()[0]):.6f} after {VMC_STEPS} steps"
    )
    print(json.dumps(first, indent=1))
    if args.compare:
        P, D = (int(v) for v in args.compare.split("x"))
        again = run_job(P, D, args.timeout, None, args.sampler, kernels)
        other = {k: v for k, v in again[0].items() if k != "rank"}
        same = {k: other[k] == first[k] for k in ("kernel", *kernels, "vmc")}
        print(f"compared with {P} processes x {D} devices: {same}")
        return 0 if all(same.values()) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
