"""The kernel NetKet runs for a symir operator, chosen by measurement
(symir/integrations/netket_measured.py): the fastest of symir's kernel and NetKet's padded
and packed kernels on symir's operator is taken, remembered and reported; each gives
NetKet's energies and gradients."""

from __future__ import annotations

import os
import warnings
from types import SimpleNamespace

import jax
import jax.numpy as jnp
import netket as nk
import numpy as np
import pytest

import symir as sym
from symir.integrations import netket_measured
from symir.integrations.netket_measured import measured_choice

HI = nk.hilbert.Spin(0.5, 8)
CHAIN = nk.graph.Chain(8)


@pytest.fixture
def measuring(monkeypatch):
    monkeypatch.setattr(netket_measured, "_ON", [True])
    monkeypatch.setattr(netket_measured, "CHOICES", {})


def _state(model=None, hilbert=HI, n_chains=8, n_samples=64, seed=0, sampler_seed=1):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        vs = nk.vqs.MCState(
            nk.sampler.MetropolisLocal(hilbert, n_chains=n_chains),
            nk.models.RBM(alpha=1, param_dtype=float) if model is None else model,
            n_samples=n_samples,
            seed=seed,
            sampler_seed=sampler_seed,
        )
        vs.n_discard_per_chain = vs.chain_length  # one compiled chain (its length is static)
        return vs


def _close(a, b):
    leaves = zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True)
    return max(float(np.abs(np.asarray(x) - np.asarray(y)).max()) for x, y in leaves)


def test_the_faster_kernel_is_taken_and_reported(measuring, monkeypatch):
    op = sym.models.tfim(HI, CHAIN, h=1.0, J=1.0).compile().to_netket(HI)
    reference = nk.operator.IsingJax(HI, CHAIN, h=1.0, J=1.0)
    vs = _state()
    e0, g0 = vs.expect_and_grad(reference)
    # measured for real: a choice with two positive times, NetKet's results either way
    e, g = vs.expect_and_grad(op)
    choice = measured_choice(vs, op)
    # NetKet's RBM (fast updates "auto"): symir's plain kernel is a candidate too, and,
    # the cost model taking the table of the 256 configurations, the split
    kernels = {"symir", "symir-plain", "symir-split", "netket-padded", "netket-packed"}
    assert choice is not None and set(choice.times) == kernels
    assert all(t > 0 for t in choice.times.values()) and "measured" in str(choice)
    assert abs(e.mean - e0.mean) < 1e-10 and _close(g, g0) < 1e-10
    # each side slower in turn (a fresh operator: its own entry)
    for fake, taken in (
        ({"symir": 2.0, "netket-padded": 1.0, "netket-packed": 3.0}, "netket-padded"),
        ({"symir": 2.0, "netket-padded": 3.0, "netket-packed": 1.0}, "netket-packed"),
        ({"symir": 1.0, "netket-padded": 2.0, "netket-packed": 3.0}, "symir"),
        ({"symir": 2.0, "symir-plain": 1.0, "netket-padded": 3.0}, "symir-plain"),
    ):
        monkeypatch.setattr(
            netket_measured, "_seconds", lambda candidates, *a, fake=fake: (fake, {})
        )
        op2 = sym.models.tfim(HI, CHAIN, h=1.0, J=1.0).compile().to_netket(HI)
        e, g = vs.expect_and_grad(op2)
        assert measured_choice(vs, op2).name == taken
        assert abs(e.mean - e0.mean) < 1e-10 and _close(g, g0) < 1e-10


def test_a_split_the_cost_model_passes_over_is_measured_too(measuring, monkeypatch):
    """TFIM on 8 sites with an MLP: its program splits, but the cost model takes another
    path (the table of the space's 256 configurations), so the split is a candidate of
    its own (`"symir-split"`); taken where it is fastest, it gives NetKet's results."""
    from symir.runtime.local_energy import choose_path, local_energy_plan

    op = sym.models.tfim(HI, CHAIN, h=1.0, J=1.0).compile().to_netket(HI)
    reference = nk.operator.IsingJax(HI, CHAIN, h=1.0, J=1.0)
    vs = _state(nk.models.MLP(hidden_dims=(16,), param_dtype=float))
    x = vs.samples.reshape(-1, HI.size)
    path = choose_path(vs._apply_fun, vs.variables, x, op, local_energy_plan(op), padded=True)
    assert path.name == "table" and "derived" in path.costs, path
    e0, g0 = vs.expect_and_grad(reference)
    e, g = vs.expect_and_grad(op)
    assert "symir-split" in measured_choice(vs, op).times
    assert abs(e.mean - e0.mean) < 1e-10 and _close(g, g0) < 1e-10
    fake = {"symir": 2.0, "symir-split": 1.0, "netket-padded": 3.0}
    monkeypatch.setattr(netket_measured, "_seconds", lambda candidates, *a: (fake, {}))
    op2 = sym.models.tfim(HI, CHAIN, h=1.0, J=1.0).compile().to_netket(HI)
    e, g = vs.expect_and_grad(op2)
    assert measured_choice(vs, op2).name == "symir-split"
    assert abs(e.mean - e0.mean) < 1e-10 and _close(g, g0) < 1e-10


def test_networks_calling_lapack_and_the_switch_keep_symirs_kernel(measuring):
    def slogdet_net(params, x):  # a determinant: NetKet's kernel would leave its lu unordered
        rows = x[..., :4, None] * x[..., None, 4:] + params  # 4 x 4: LAPACK's lu
        return jnp.linalg.slogdet(rows)[1]

    state = SimpleNamespace(
        _apply_fun=slogdet_net, variables=jnp.eye(4), samples=jnp.ones((4, 8), jnp.int8)
    )
    mine = object()
    assert netket_measured.choose(state, "op", mine) is mine
    assert "LAPACK" in measured_choice(state, "op").name
    assert str(measured_choice(state, "op")) == "symir (LAPACK: not measured)"  # no "nan ms"
    netket_measured.set_measured_choice(False)
    assert netket_measured.choose(state, "another op", mine) is mine
    assert measured_choice(state, "another op") is None


def test_chunked_kernels_are_measured_too(measuring, monkeypatch):
    op = sym.models.tfim(HI, CHAIN, h=1.0, J=1.0).compile().to_netket(HI)
    reference = nk.operator.IsingJax(HI, CHAIN, h=1.0, J=1.0)
    vs = _state()
    e0, g0 = vs.expect_and_grad(reference)
    vs.chunk_size = 32  # two chunks of the 64 samples
    e, g = vs.expect_and_grad(op)
    choice = measured_choice(vs, op, 32)
    kernels = {"symir", "symir-plain", "symir-split", "netket-chunked"}
    assert choice is not None and set(choice.times) == kernels
    assert all(t > 0 for t in choice.times.values())
    assert measured_choice(vs, op) is None  # the unchunked kernel was never asked for
    assert abs(e.mean - e0.mean) < 1e-10 and _close(g, g0) < 1e-10
    for fake, taken in (
        ({"symir": 2.0, "netket-chunked": 1.0}, "netket-chunked"),
        ({"symir": 1.0, "netket-chunked": 2.0}, "symir"),
        ({"symir": 3.0, "symir-plain": 1.0, "netket-chunked": 2.0}, "symir-plain"),
    ):
        monkeypatch.setattr(
            netket_measured, "_seconds", lambda candidates, *a, fake=fake: (fake, {})
        )
        op2 = sym.models.tfim(HI, CHAIN, h=1.0, J=1.0).compile().to_netket(HI)
        e, g = vs.expect_and_grad(op2)
        assert measured_choice(vs, op2, 32).name == taken
        assert abs(e.mean - e0.mean) < 1e-10 and _close(g, g0) < 1e-10


def test_the_wall_clock_decides_but_on_an_oversubscribed_cpu_the_cpu_time(monkeypatch):
    """The candidates are compared by the wall clock, what the user waits for (a kernel
    that takes less CPU time can take longer, on fewer cores); on CPU while the machine
    is oversubscribed (its load average above twice this process's CPUs) by the process's CPU
    time (`CLOCK = "auto"`: under load the wall clock of a multi-threaded kernel is
    mostly the wait for descheduled threads); `CLOCK = "cpu"` or `"wall"` always so. The
    choice says which clock it read."""

    def ticking(steps):  # a clock advancing by `steps[i % 2]` for the i-th timed call
        state = {"now": 0.0, "reads": 0}

        def read():
            call = state["reads"] // 2
            if state["reads"] % 2:
                state["now"] += steps[call % 2]
            state["reads"] += 1
            return state["now"]

        return read

    def kernel(logpsi, v, s, op):
        return jnp.sum(s, axis=-1)

    monkeypatch.setattr(jax, "default_backend", lambda: "cpu")
    cpus = len(os.sched_getaffinity(0))
    x = jnp.ones((4, 3))
    args = ({"a": kernel, "b": kernel}, None, {}, x, None, None)
    cases = [  # CLOCK, load average, the faster by the clock read, its name
        ("auto", 0.5, "b", "wall clock"),
        ("auto", 1.5 * cpus, "b", "wall clock"),  # its own threads count in the load
        ("auto", 2 * cpus + 1.0, "a", "CPU time"),
        ("cpu", 0.5, "a", "CPU time"),
        ("wall", cpus + 1.0, "b", "wall clock"),
    ]
    for clock, load, expected, name in cases:
        fake = SimpleNamespace(process_time=ticking((1.0, 2.0)), perf_counter=ticking((2.0, 1.0)))
        monkeypatch.setattr(netket_measured, "time", fake)
        monkeypatch.setattr(netket_measured, "CLOCK", clock)
        monkeypatch.setattr(netket_measured.os, "getloadavg", lambda load=load: (load,) * 3)
        assert netket_measured._clock()[0] == name, (clock, load)
        times, failed = netket_measured._seconds(*args)
        assert failed == {}
        assert min(times, key=times.get) == expected, (clock, load, times)
    choice = netket_measured.MeasuredChoice(kernel, "a", {"a": 1e-3, "b": 2e-3}, clock="CPU time")
    assert str(choice) == "a (measured by CPU time: a 1 ms, b 2 ms)"


def test_small_kernels_get_more_timed_rounds(monkeypatch):
    """`ROUNDS` timed rounds, or as many as take `MEASURE_SECONDS` where that is more,
    at most `MAX_ROUNDS`: the median of a few-millisecond kernel's rounds moves less
    under a burst of load."""
    monkeypatch.setattr(netket_measured, "ROUNDS", 7)
    monkeypatch.setattr(netket_measured, "MEASURE_SECONDS", 0.3)
    monkeypatch.setattr(netket_measured, "MAX_ROUNDS", 41)
    rounds = netket_measured._rounds
    assert rounds(0.0) == 7  # no warm-up timed
    assert rounds(0.1) == 7  # large kernels: the fewest
    assert rounds(0.015) == 20  # five candidates of 3 ms
    assert rounds(1e-5) == 41
    reads = []  # `_seconds` times as many rounds as `_rounds` says: two reads a call
    fake = SimpleNamespace(perf_counter=lambda: reads.append(1) or float(len(reads)))
    monkeypatch.setattr(netket_measured, "time", fake)
    monkeypatch.setattr(netket_measured, "CLOCK", "wall")
    monkeypatch.setattr(netket_measured, "_rounds", lambda seconds: 5)

    def kernel(logpsi, v, s, op):
        return jnp.sum(s, axis=-1)

    times, _ = netket_measured._seconds({"a": kernel}, None, {}, jnp.ones((4, 3)), None, None)
    assert list(times) == ["a"] and len(reads) == 2 * 5


def test_symirs_expect_and_forces_takes_the_kernel_netkets_dispatch_gives(measuring, monkeypatch):
    """`symir_expect_and_forces` looks up its kernel and arguments without NetKet's
    dispatch (`_kernel_and_arguments`, 0.4 ms a call less): the same objects as
    `get_local_kernel(_arguments)`, unchunked and chunked, and the Hilbert spaces'
    check."""
    from netket.vqs import get_local_kernel, get_local_kernel_arguments

    from symir.integrations import netket_local_energy as nle

    def fake(candidates, *args):  # NetKet's packed kernel the fastest where it competes
        return {name: 1.0 if name == "netket-packed" else 2.0 for name in candidates}, {}

    monkeypatch.setattr(netket_measured, "_seconds", fake)
    op = sym.models.tfim(HI, CHAIN, h=1.0, J=1.0).compile().to_netket(HI)
    vs = _state()
    for chunk in (None, 16):
        got = nle._kernel_and_arguments(vs, op, chunk)
        kernel = get_local_kernel(vs, op) if chunk is None else get_local_kernel(vs, op, chunk)
        want = (*get_local_kernel_arguments(vs, op), kernel)
        assert all(a is b for a, b in zip(got, want, strict=True)), (chunk, got, want)
    assert measured_choice(vs, op).name == "netket-packed"
    other = nk.hilbert.Spin(0.5, 6)
    wrong = sym.models.tfim(other, nk.graph.Chain(6), h=1.0, J=1.0).compile().to_netket(other)
    with pytest.raises(Exception, match=r"[Hh]ilbert"):
        nle._kernel_and_arguments(vs, wrong, None)


def test_a_candidate_that_cannot_run_on_the_network_is_left_out(measuring):
    """NetKet's packed kernel cannot run NetKet's own `MPSPeriodic` (its `shard_map`
    rejects the `lax.scan`'s carry, with NetKet's operator too): the choice is made
    among the others, says why, and the energy is NetKet's."""
    hi = nk.hilbert.Spin(0.5, 6)
    chain = nk.graph.Chain(6)
    op = sym.models.tfim(hi, chain, h=0.7, J=1.0).compile().to_netket(hi)
    reference = nk.operator.IsingJax(hi, chain, h=0.7, J=1.0)
    mps = nk.models.tensor_networks.MPSPeriodic(hi, bond_dim=2, param_dtype=complex)
    vs = _state(mps, hi, n_chains=4, n_samples=32, seed=1, sampler_seed=2)
    e = vs.expect(op)
    choice = measured_choice(vs, op)
    assert "netket-packed" in choice.failed and "netket-packed" not in choice.times
    assert "netket-packed not run: TypeError" in str(choice)
    assert abs(e.mean - vs.expect(reference).mean) < 1e-10
