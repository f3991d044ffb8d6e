"""The local-energy kernel inside NetKet chosen by measurement: never slower than NetKet's.

symir's kernel (`local_energies`: the compaction of connected states, fast updates, the
network's split or its determinant updates, chosen by `choose_path`'s cost model) saves
network evaluations; on small systems its fixed costs (the compaction's loops, the
deltas' scatters, the repeated samples' detection, a few dozen XLA kernels) can cost more
than it saves, and the cost model, fitted on a few networks of one machine, does not see
them (Bose-Hubbard chain of 16 sites with NetKet's `Jastrow`, 1,024 samples: symir's
kernel 2.1-3.5 ms on its paths, NetKet's padded kernel 1.8 ms).

So, the first time a state asks for the local kernel of a symir operator (`vstate.expect`,
`expect_and_grad`, a driver's first step), the candidates are compiled alone and
timed on the state's own samples (the median of `ROUNDS` or more interleaved calls each, after
a warm-up call; by the wall clock, or by the process's CPU time on a CPU the machine's
other jobs oversubscribe: `CLOCK`):

- symir's kernel as `netket_local_energy` picks it (adapter, `"auto"`, or plain),
- where that one takes fast updates, symir's plain kernel too (`"symir-plain"`: the
  compacted evaluation of the connected states built from the deltas, no split): on
  small systems the split's bookkeeping can cost more than the first layer it saves
  (Bose-Hubbard 3x4 with a Dense(24)-tanh-Dense(24)-tanh-Dense module, 1,024 samples:
  `E_loc` 8.8 ms of CPU by the split, 5.7 by the plain path, `benchmarks/path_ab.py`),
- where the network's program splits but the cost model takes another path for it,
  the split too (`"symir-split"`, `fast_updates=True`): TFIM 4x4 with `MLP(32, 32)`,
  1,024 samples, `E_loc` 4.2 ms of CPU padded, 3.7 by the split,
- NetKet's own padded kernel (`local_value_kernel_jax`) on symir's operator (its
  `get_conn_padded`: NetKet's evaluation, symir's connected states), and
- NetKet's experimental packed kernel (`local_value_kernel_jax_packed`) on symir's
  operator: the network on the connected states that differ from the sample, in chunks
  of `B F / 16` rows, which keeps an activation-heavy network's intermediates in cache
  (TFIM 4x4 with a Dense-gelu-Dense module: 1.6x faster than the padded kernel).

The fastest is kept for that operator, network, sample shape and kernel (`CHOICES`); the
choice and its times are `measured_choice(vstate, op)`. All compute the same local
energies (to rounding). It costs two or three more compilations and a few calls, once per
operator and network. `set_measured_choice(False)` (or
`SYMIR_NETKET_MEASURE_PATHS=0`) takes symir's kernel without measuring: the tests do
(a timing-dependent choice would make them depend on the machine's load), except those
of this module.

With a `chunk_size` (`vstate.chunk_size`: NetKet's chunked kernels, which see at most
`chunk_size` rows of connected states at once) the candidates are symir's chunked kernel
and NetKet's `local_value_kernel_jax_chunked` (its packed kernel has no chunked form),
each called with that `chunk_size`. It measures on one device only.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from time import perf_counter as _now  # times the warm-up; `time` is `CLOCK`'s module
from typing import Any

import jax
import numpy as np
from netket.vqs.mc import kernels, kernels_packed

from symir.runtime.lapack_order import network_calls_lapack

__all__ = ["CHOICES", "MeasuredChoice", "choose", "measured_choice", "set_measured_choice"]

WARMUP_ROUNDS = 2
"""Interleaved rounds of untimed calls of the candidates after their first (compiling)
call: the first timed rounds read every kernel 25-45% slow (Bose-Hubbard 3x4 with a
Dense(24)-tanh-Dense(24)-tanh-Dense module, 1,024 samples, load 1: symir's kernel 7.23
and 8.25 ms against NetKet's packed 8.91 and 7.4, where later rounds of the same
programs read 5.5-5.6 against 7.3: NetKet's packed kernel was taken for the slower
one)."""

ROUNDS = 7
"""The fewest interleaved rounds of timed calls of the candidates after their warm-up
calls (the median time of each is kept)."""

MEASURE_SECONDS = 0.3
"""About how long the timed rounds take in all, where `ROUNDS` of them take less: small
kernels get more rounds (at most `MAX_ROUNDS`), whose median a burst of load moves less
(TFIM 4x4 and Bose-Hubbard 3x3, 1,024 samples: 2-3 ms a candidate, five candidates, 20
rounds instead of 7, 0.2 s more once per operator and network)."""

MAX_ROUNDS = 41
"""The most interleaved rounds of timed calls."""

CLOCK = "auto"
"""How the candidates are timed: `"wall"` (what the user waits for), `"cpu"` (the
process's CPU time, all its threads) or `"auto"`: the wall clock, but on CPU while the
machine is oversubscribed (`_oversubscribed`: its load average over the last minute
above twice the CPUs this process may run on; its own threads count in it) the CPU time.

The wall clock, because a kernel that takes less CPU time can take longer: XLA:CPU
splits a large fusion (a network's dense layers) over its pool's threads, and not a
scatter, a sort or a loop, so a kernel of the latter kind uses fewer cores for longer.
Bose-Hubbard 3x3 with NetKet's `MLP(18)`, 1,024 samples, the machine's two cores
otherwise idle (2026-11-29): chosen by CPU time, symir's split (its local energies 3.06
ms of CPU, 3.75 of wall clock) and `expect_and_grad` 4.60 ms against NetKet's 4.35;
chosen by the wall clock, symir's kernel, 3.99 ms (the plain path with a Dense-gelu-Dense
module: 3.55 against 4.24 and NetKet's 3.88). The CPU time under load, because there
the wall clock of a multi-threaded kernel measures the waits for descheduled pool
threads more than the kernel: TFIM 6x6 with a Dense(72)-tanh-Dense(72)-tanh-Dense module,
1,024 samples, load 9 on the 2-core machine (2026-11-26): the best wall clock of 7
calls was 32.7 ms for symir's kernel and 31.4 for NetKet's packed kernel, their CPU time
per call 16.8 and 22.3 ms (medians of 15 interleaved rounds,
`benchmarks/eloc_packed.py`)."""


def _rounds(seconds_per_round: float) -> int:
    """How many timed rounds: `ROUNDS`, or as many as take `MEASURE_SECONDS` where that
    is more (at most `MAX_ROUNDS`)."""
    if seconds_per_round <= 0:
        return ROUNDS
    return max(ROUNDS, min(MAX_ROUNDS, int(MEASURE_SECONDS / seconds_per_round)))


def _oversubscribed() -> bool:
    """Whether the machine's load average over the last minute exceeds twice the CPUs
    this process may run on (False where the system does not say). Twice: the process's
    own pool threads count in the load (1.7-1.95 on the two-core machine while it
    measures TFIM 4x4 alone)."""
    try:
        cpus = len(os.sched_getaffinity(0))
        return os.getloadavg()[0] > 2 * cpus
    except (AttributeError, OSError):
        return False


def _clock() -> tuple[str, Any]:
    """`(name, clock)`: the clock `CLOCK` asks for now."""
    on_cpu = jax.default_backend() == "cpu"
    cpu = CLOCK == "cpu" or (CLOCK == "auto" and on_cpu and _oversubscribed())
    if cpu and on_cpu:
        return "CPU time", time.process_time
    return "wall clock", time.perf_counter


_ON = [os.environ.get("SYMIR_NETKET_MEASURE_PATHS", "1") not in ("0", "false", "False")]


@dataclass(frozen=True)
class MeasuredChoice:
    """Which kernel NetKet runs for one symir operator and network, and why."""

    kernel: Any
    """The kernel taken (symir's, or one of NetKet's: `NETKET_KERNELS`)."""
    name: str
    """`"symir"`, `"symir-plain"`, `"symir-split"`, `"netket-padded"` or
    `"netket-packed"`."""
    times: dict
    """Seconds per call of each candidate, by name."""
    failed: dict = field(default_factory=dict)
    """The candidates that could not run on this network, by name: their error's first
    line (NetKet's packed kernel on a network with a `lax.scan`, such as its own
    `MPSPeriodic`: its `shard_map` rejects the scan's carry)."""
    clock: str = "wall clock"
    """What `times` are: `"wall clock"` or `"CPU time"` (`CLOCK`)."""

    def __str__(self) -> str:
        measured = {k: v for k, v in self.times.items() if np.isfinite(v)}
        if not measured:  # (a network calling LAPACK: nothing was timed)
            text = self.name
        else:
            text = ", ".join(f"{k} {1e3 * v:.3g} ms" for k, v in measured.items())
            text = f"{self.name} (measured by {self.clock}: {text})"
        for name, error in self.failed.items():
            text += f"; {name} not run: {error}"
        return text


NETKET_KERNELS = {
    "netket-padded": kernels.local_value_kernel_jax,
    "netket-packed": kernels_packed.local_value_kernel_jax_packed,
}
"""NetKet's unchunked local kernels, by name, measured against symir's."""

NETKET_CHUNKED_KERNELS = {"netket-chunked": kernels.local_value_kernel_jax_chunked}
"""NetKet's chunked local kernels (called with `chunk_size`), measured against symir's
chunked kernel."""

CHOICES: dict = {}
"""`(id(op), logpsi, samples' shape and dtype, symir's kernel, chunk_size) -> (op,
MeasuredChoice)`;
the operator is kept alive with its entry so that its `id` is not reused."""


def set_measured_choice(enabled: bool) -> None:
    """Measure the kernels once per operator and network and take the faster (True, the
    default), or take symir's kernel unmeasured (False). Takes effect for the next
    `expect` call."""
    _ON[0] = bool(enabled)


def _key(vstate: Any, op: Any, kernel: Any, chunk_size: int | None) -> tuple:
    x = vstate.samples
    return (id(op), vstate._apply_fun, tuple(x.shape), str(x.dtype), kernel, chunk_size)


def measures(vstate: Any, op: Any, symir_kernel: Any, chunk_size: int | None = None) -> bool:
    """Whether `choose` would measure now (on, one device, not chosen yet for this key):
    the caller then builds the alternatives it costs something to find."""
    if not _ON[0] or jax.device_count() > 1:
        return False
    return _key(vstate, op, symir_kernel, chunk_size) not in CHOICES


def measured_choice(vstate: Any, op: Any, chunk_size: int | None = None) -> MeasuredChoice | None:
    """The choice made for `vstate`'s network and `op`, unchunked or with `chunk_size`
    (None before its first `expect`, or when not measured)."""
    for key, (_, choice) in CHOICES.items():
        if key[0] == id(op) and key[1] == vstate._apply_fun and key[5] == chunk_size:
            return choice
    return None


def choose(
    vstate: Any,
    op: Any,
    symir_kernel: Any,
    chunk_size: int | None = None,
    alternatives: dict | None = None,
) -> Any:
    """`symir_kernel`, one of symir's `alternatives` (name -> kernel) or one of NetKet's
    kernels, whichever ran fastest on `vstate`'s samples (measured once, then
    remembered); with `chunk_size`, the chunked kernels (each takes it as its keyword, as
    NetKet calls them). `symir_kernel` when measuring is off, the state spans several
    devices or the network calls LAPACK (NetKet's kernel would leave its batched calls
    unordered: `symir.runtime.lapack_order`)."""
    if not _ON[0] or jax.device_count() > 1:
        return symir_kernel
    key = _key(vstate, op, symir_kernel, chunk_size)
    if key not in CHOICES:
        logpsi, variables = vstate._apply_fun, vstate.variables
        x = vstate.samples.reshape(-1, vstate.samples.shape[-1])
        if network_calls_lapack(logpsi, variables, x[:1]):
            times = {"symir": float("nan")}
            CHOICES[key] = (op, MeasuredChoice(symir_kernel, "symir (LAPACK: not measured)", times))
            return symir_kernel
        netket = NETKET_KERNELS if chunk_size is None else NETKET_CHUNKED_KERNELS
        candidates = {"symir": symir_kernel, **(alternatives or {}), **netket}
        clock = _clock()
        times, failed = _seconds(candidates, logpsi, variables, x, op, chunk_size, clock)
        name = min(times, key=times.get)
        kernel = candidates[name]
        CHOICES[key] = (op, MeasuredChoice(kernel, name, times, failed, clock[0]))
    return CHOICES[key][1].kernel


def _seconds(
    candidates: dict,
    logpsi: Any,
    variables: Any,
    x: Any,
    op: Any,
    chunk_size: int | None,
    clock: tuple[str, Any] | None = None,
) -> tuple[dict, dict]:
    """`(times, failed)`: each kernel of `candidates` jitted alone (given `chunk_size`
    where it is not None): after a first call of each and `WARMUP_ROUNDS` untimed
    rounds, `_rounds` rounds (`ROUNDS` or more) in
    which each runs once (interleaved, so that a burst of load from elsewhere falls on
    all), the median time of each by `clock` (`_clock()` where None: `CLOCK`). Not the
    least: the
    CPU time of XLA's pool threads still running when a call returns is counted late (in
    the next interval), so single calls read far too short (Heisenberg 4x4, a call of
    3.2 ms of CPU read once as 0.36 ms, and that kernel was taken). A candidate other
    than `"symir"` whose first call raises is left out (`failed`: its error's first
    line); symir's own error is raised, as it would be unmeasured."""
    chunks = {} if chunk_size is None else {"chunk_size": chunk_size}
    runs, failed = {}, {}
    for name, kernel in candidates.items():
        run = jax.jit(lambda v, s, kernel=kernel: kernel(logpsi, v, s, op, **chunks))
        try:
            jax.block_until_ready(run(variables, x))
        except Exception as error:  # any candidate but symir's may not apply here
            if name == "symir":
                raise
            failed[name] = f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"
            continue
        runs[name] = run
    begun = _now()
    for _ in range(WARMUP_ROUNDS):
        for run in runs.values():
            jax.block_until_ready(run(variables, x))
    rounds = _rounds((_now() - begun) / WARMUP_ROUNDS if WARMUP_ROUNDS else 0.0)
    read = (clock or _clock())[1]
    seconds: dict = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            start = read()
            jax.block_until_ready(run(variables, x))
            seconds[name].append(read() - start)
    return {name: float(np.median(t)) for name, t in seconds.items()}, failed
