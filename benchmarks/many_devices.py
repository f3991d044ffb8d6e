"""Scaling of a symir kernel over the CPU devices of one process.

    .venv/bin/python benchmarks/many_devices.py                 # devices 1,2,4; batch 4096
    .venv/bin/python benchmarks/many_devices.py --devices 1,2 --rounds 20 --repeat 3

For each device count D a fresh Python process is started with D CPU devices
(`jax_num_cpu_devices`, the `--xla_force_host_platform_device_count` of XLA); it
compiles the TFIM and Heisenberg kernels on a periodic 8x8 square lattice and times
`get_conn_padded` on a batch sharded over a mesh of the D devices (`NamedSharding`,
`P("S")` along the batch; the kernel is per sample, so XLA runs it on each device's
shard with no collective), median of `--rounds` calls. The outputs are compared with the
unsharded call first (equal bits). The whole set is printed `--repeat` times, the device
counts in rotating order, so that the spread between repetitions shows the noise.

The speed-up over one device is bounded by the cores the machine really has: XLA:CPU
runs each device on its own thread, and one device already uses a few threads.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

WORKER = r"""
import json, sys, time
import jax
jax.config.update("jax_num_cpu_devices", {devices})
jax.config.update("jax_enable_x64", True)
import numpy as np
import netket as nk
from jax.sharding import NamedSharding, PartitionSpec as P
import symir as sym

g = nk.graph.Square(8, pbc=True)
hi = nk.hilbert.Spin(0.5, g.n_nodes)
from symir import models
ops = {{
    "tfim": models.tfim(hi, g, h=1.0, J=1.0),
    "heisenberg": models.heisenberg(hi, g, J=1.0),
}}
mesh = jax.make_mesh(({devices},), ("S",))
x = hi.random_state(jax.random.key(0), {batch}, dtype=np.int8)
xs = jax.device_put(x, NamedSharding(mesh, P("S")))
out = {{}}
for name, op in ops.items():
    c = op.compile()
    f = jax.jit(c.get_conn_padded)
    ref = jax.jit(c.get_conn_padded)(x)
    got = f(xs)
    assert all(bool((np.asarray(a) == np.asarray(b)).all()) for a, b in zip(ref, got))
    jax.block_until_ready(f(xs))
    ts = []
    for _ in range({rounds}):
        t = time.perf_counter(); jax.block_until_ready(f(xs)); ts.append(time.perf_counter() - t)
    out[name] = 1e3 * float(np.median(ts))
print(json.dumps(out))
"""


def run(devices: int, batch: int, rounds: int) -> dict:
    code = WORKER.format(devices=devices, batch=batch, rounds=rounds)
    p = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=600, check=False
    )
    if p.returncode != 0:
        raise SystemExit(f"the {devices}-device process failed:\n{p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--devices", default="1,2,4")
    p.add_argument("--batch", type=int, default=4096)
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--repeat", type=int, default=2)
    a = p.parse_args()
    counts = [int(d) for d in a.devices.split(",")]
    import jax

    print(f"jax {jax.__version__}, batch {a.batch}, square 8x8 (N = 64), median of {a.rounds}")
    for rep in range(a.repeat):
        order = counts[rep % len(counts) :] + counts[: rep % len(counts)]
        times = {d: run(d, a.batch, a.rounds) for d in order}
        print(f"\nrepetition {rep + 1}")
        print("| devices | tfim ms | heisenberg ms | tfim speed-up | heisenberg speed-up |")
        print("|---|---|---|---|---|")
        base = times[counts[0]]
        for d in counts:
            t = times[d]
            print(
                f"| {d} | {t['tfim']:.2f} | {t['heisenberg']:.2f} | "
                f"{base['tfim'] / t['tfim']:.2f} | {base['heisenberg'] / t['heisenberg']:.2f} |"
            )


if __name__ == "__main__":
    main()
