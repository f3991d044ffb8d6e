"""symir's kernel under `jax.distributed`: two processes of one CPU device each (gloo
collectives on 127.0.0.1) against one process of two devices, with NetKet's sharded
`MCState` (examples/multiprocess_vmc.py, run with the local-energy kernel only, NetKet's
default for symir operators, to keep the compilations few: about 25 s of CPU time per
process).

What must hold: every process compiled the same kernel (cache token, StableHLO text,
lowering metadata), with a different string-hash seed in each; and `expect`,
`expect_and_grad`, `jax.grad` with respect to the operator's parameter `h` and five VMC
steps are bit-identical between the two layouts (equal samples, equal bits).
"""

from __future__ import annotations

import importlib.util
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "multiprocess_vmc.py"


def _example():
    spec = importlib.util.spec_from_file_location("multiprocess_vmc", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    mp = _example()
    kw = dict(timeout=600.0, kernels=("local_energy",))
    with ThreadPoolExecutor(2) as pool:
        two = pool.submit(mp.run_job, 2, 1, out=str(tmp_path_factory.mktemp("2x1")), **kw)
        one = pool.submit(mp.run_job, 1, 2, out=str(tmp_path_factory.mktemp("1x2")), **kw)
        return two.result(), one.result()


def test_every_process_compiled_the_same_kernel(runs):
    two, one = runs
    assert [r["process_count"] for r in two] == [2, 2]
    assert [r["rank"] for r in two] == [0, 1]
    kernels = [r["kernel"] for r in (*two, *one)]
    assert kernels[0]["cache_token"] and len(kernels[0]["stablehlo_sha256"]) == 64
    assert all(k == kernels[0] for k in kernels)


def test_processes_agree_and_match_one_process(runs):
    two, one = runs
    assert one[0]["process_count"] == 1 and one[0]["device_count"] == 2
    keys = ("local_energy", "vmc")
    assert all(two[1][k] == two[0][k] for k in keys)
    for k in keys:
        assert two[0][k] == one[0][k], k
    assert len(set(two[0]["vmc"]["energies"])) == 5  # the state moved at every step


def test_a_failing_process_stops_the_job(tmp_path):
    mp = _example()
    with pytest.raises(RuntimeError, match="process 0 exited with status"):
        mp.run_job(1, 0, timeout=60.0, out=str(tmp_path))
