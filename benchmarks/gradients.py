"""The cost of differentiating `get_conn_padded` with respect to the operator's parameters.

TFIM (parameters h, J) and Bose-Hubbard (U, J, mu, n_max 3) on periodic chains of 64
sites, a batch of 4096 int8 configurations. For each model, jitted and warmed up, then
timed in interleaved rounds in one process (medians):

- `plain`: `get_conn_padded(x)`, both outputs (the primal kernel);
- `mels`: `get_conn_padded(x)[1]` alone (XLA inlines the kernel into the jitted
  function, so the connected configurations, the larger output, are not written);
- `kernel'`: the derivative kernel of order 1 alone, all its outputs (xp, mels and every
  dmels/dp_k: what the JVP rule calls);
- `jvp`: `jax.jvp` of `mels` along one parameter direction (primal and tangent mels);
- `grad`: `jax.grad` of `sum(w * mels)` with respect to all parameters (w fixed).

Each cost is given relative to `plain`. `grad` and `jvp` never need `xp`, so they are
to be compared with `mels` too.

    .venv/bin/python benchmarks/gradients.py [--rounds 30] [--batch 4096] [--sites 64]
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np

import symir as sym
from symir import models
from symir.runtime.compiled import _kernel_call

jax.config.update("jax_enable_x64", True)


def tfim(n):
    """NetKet's Ising on a ring (`symir.models.tfim`), parameters `h` and `J`."""
    ring = [(i, (i + 1) % n) for i in range(n)]
    return models.tfim(sym.Spin(0.5, n), ring), {"h": 1.0, "J": 1.0}


def bose_hubbard(n, n_max=3):
    """NetKet's Bose-Hubbard on a ring (`symir.models.bose_hubbard`), parameters `U`, `V`,
    `J` and `mu`."""
    ring = [(i, (i + 1) % n) for i in range(n)]
    params = {"U": 4.0, "V": 0.0, "J": 1.0, "mu": 0.5}
    return models.bose_hubbard(sym.Fock(n_max, n), ring), params


def functions(compiled, names):
    """The timed functions, each `f(x, p, w)` (`p` the parameter vector in `names`
    order, `w` the weights of the loss)."""
    spec = compiled._spec

    def with_vector(p):
        return compiled.with_params(**dict(zip(names, p)))

    def plain(x, p, w):
        return with_vector(p).get_conn_padded(x)

    def mels(x, p, w):
        return with_vector(p).get_conn_padded(x)[1]

    def kernel1(x, p, w):
        return _kernel_call(spec, 1)(x.astype(spec.x_dtype), *with_vector(p)._params)

    def jvp(x, p, w):
        direction = jnp.zeros_like(p).at[0].set(1.0)
        return jax.jvp(lambda q: plain(x, q, w)[1], (p,), (direction,))

    def loss(p, x, w):
        return jnp.sum(w * plain(x, p, w)[1])

    def grad(x, p, w):
        return jax.grad(loss)(p, x, w)

    table = {"plain": plain, "mels": mels, "kernel'": kernel1, "jvp": jvp, "grad": grad}
    return {k: jax.jit(f) for k, f in table.items()}


def time_once(fn, *args) -> float:
    t0 = time.perf_counter()
    jax.block_until_ready(fn(*args))
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--batch", type=int, default=4096)
    parser.add_argument("--sites", type=int, default=64)
    args = parser.parse_args()
    print(
        f"jax {jax.__version__} on {jax.default_backend()} ({jax.devices()[0].device_kind}), "
        f"batch {args.batch}, {args.sites} sites, medians of {args.rounds} interleaved rounds"
    )
    print(f"{'model':<14}{'P':>3}{'F':>5}  " + "".join(f"{k:>18}" for k in TABLE_ORDER))
    for model in (tfim, bose_hubbard):
        op, point = model(args.sites)
        compiled = op.compile()
        names = sorted(point)
        p = jnp.asarray([point[k] for k in names])
        rng = np.random.default_rng(0)
        states = np.asarray(op.space.local_states, dtype=np.int8)
        x = jnp.asarray(rng.choice(states, size=(args.batch, args.sites)))
        w = jnp.asarray(rng.normal(size=(args.batch, compiled.max_conn_size)))
        fns = functions(compiled, names)
        for fn in fns.values():  # compile and warm up
            time_once(fn, x, p, w)
        times: dict[str, list[float]] = {k: [] for k in fns}
        for r in range(args.rounds):
            order = list(fns)[r % len(fns) :] + list(fns)[: r % len(fns)]  # rotate
            for k in order:
                times[k].append(time_once(fns[k], x, p, w))
        med = {k: float(np.median(v)) * 1e3 for k, v in times.items()}
        cells = "".join(f"{med[k]:>9.2f} ms {med[k] / med['plain']:>4.1f}x" for k in TABLE_ORDER)
        print(f"{op.name:<14}{len(names):>3}{compiled.max_conn_size:>5}  {cells}")


TABLE_ORDER = ("plain", "mels", "kernel'", "jvp", "grad")

if __name__ == "__main__":
    main()
