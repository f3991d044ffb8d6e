"""`E_loc` by each path `choose_path` weighs, forced one at a time, with its cost terms.

For each `model:network` of `any_network.py` (its states: 16 chains, 1,024 samples):
`symir.local_energies(..., fast_updates=model)` jitted once per path (`derived`,
`deltas`, `padded`, `table`, and the path `choose_path` chooses), each a separate
`.lower().compile()` after `jax.clear_caches()`, the path forced by keeping only its
cost (`local_energy._path_costs` wrapped: the choice is made at trace time). Energies
of every path are checked equal to the chosen one's (1e-10), then the least process CPU
time of interleaved rounds (ms) is printed with the cost terms (`_path_costs`' costs,
prefix and rest per state, cached width, candidate slots, changed sites per slot) and
`evaluation_counts`. For calibrating `choose_path`'s cost model (issue 36).

    .venv/bin/python benchmarks/path_ab.py [--rounds 11] bh34:deep tfim6:deep ...
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jax
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import any_network as an

import symir
from symir.runtime import local_energy as le
from symir.runtime.conn_delta import delta_width
from symir.runtime.network_split import prefix_cost, rest_cost

PATHS = ("derived", "deltas", "padded", "table", None)
"""The paths forced, None: `choose_path`'s own choice."""


def run(spec: str, rounds: int) -> None:
    model, network = spec.split(":")
    hi, ours, _, vs = an.state(model, network, argparse.Namespace(chains=16, samples=1024))
    x = vs.samples.reshape(-1, hi.size)
    terms: dict = {}
    original = le._path_costs

    def forced(only, split, det, xs, compiled, plan, padded):
        costs, what = original(split, det, xs, compiled, plan, padded)
        terms.update(costs={k: round(v) for k, v in costs.items()}, what=what)
        terms.update(k=delta_width(compiled), sites=compiled.space.size)
        if split.applies:
            terms.update(prefix=prefix_cost(split), rest=rest_cost(split), width=split.width)
        return (costs, what) if only not in costs else ({only: costs[only]}, what)

    fns = {}
    try:
        for only in PATHS:
            le._path_costs = lambda *a, only=only: forced(only, *a)
            jax.clear_caches()
            f = jax.jit(
                lambda v, x: symir.local_energies(vs._apply_fun, v, x, ours, fast_updates=vs.model)
            )
            compiled = f.lower(vs.variables, x).compile()
            fns[only or "chosen"] = lambda c=compiled: c(vs.variables, x)
    finally:
        le._path_costs = original
    chosen = np.asarray(fns["chosen"]())
    for name, fn in fns.items():
        err = float(np.max(np.abs(np.asarray(fn()) - chosen)))
        assert err < 1e-10, (spec, name, err)
    cpu: dict[str, float] = {}
    an.timed(fns, rounds, cpu)
    counts = le.evaluation_counts(np.asarray(x), ours)
    times = ", ".join(f"{k} {v:.2f}" for k, v in cpu.items())
    print(f"{spec}: E_loc CPU ms {times}; {terms}; {counts}", flush=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("pairs", nargs="+", help="model:network of any_network.py")
    args = parser.parse_args(argv)
    for spec in args.pairs:
        run(spec, args.rounds)


if __name__ == "__main__":
    main()
