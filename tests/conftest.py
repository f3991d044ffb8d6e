"""What every test shares.

- The helpers users need too live in the package, and tests use them from there:
  `symir.testing` (connected states compared as multisets against NetKet's operators or
  the reference interpreter) and `symir.models` (TFIM, Heisenberg, J1-J2, Bose-Hubbard,
  Fermi-Hubbard, equal to NetKet's).
- Hypothesis profiles: `dev` (the default) and `ci` (fewer examples, derandomized so that
  CI is reproducible), chosen by `CI=true` as CI sets it, or by name in
  `SYMIR_HYPOTHESIS_PROFILE`. Property tests set no `max_examples` of their own, or a
  multiple of the profile's (`settings.default.max_examples`, read when the test module
  is imported, after this file), so that the profile scales them all.
- XLA compiles with most of its optimisations off (`jax_disable_most_optimizations`, as
  `JAX_DISABLE_MOST_OPTIMIZATIONS=1` so that the subprocesses tests start inherit it),
  and its CPU backend emits code with its element-wise emitters instead of its fusion
  emitters (`--xla_cpu_use_fusion_emitters=false`, added to `XLA_FLAGS`, inherited the
  same way), and it emits each module's machine code as one LLVM module, not split into
  parts compiled in parallel (`--xla_cpu_parallel_codegen_split_count=1`: the suite's
  workers already take every core; 20-30% less CPU per compile of the local-energy
  kernels). Most of the suite's time is XLA compiling small kernels, NetKet's VMC steps
  and the primitives that JAX and NetKet run eagerly (one compilation per primitive and
  shape, ~35 ms each with the fusion emitters, half that without), and no setting here
  changes what a kernel computes beyond rounding (the tests' tolerances are 1e-10 and
  above, or exact on integer-valued sums).
  What users run is still checked with XLA's defaults: CI's wheel smoke test runs the
  demo (which checks its kernel against the reference interpreter) and `symir-run` from
  the installed wheel, and the benchmarks check their results against NetKet's before
  timing. `SYMIR_TEST_XLA_OPTIMIZE=1` gives the defaults back.
- What the imports and the collection made is frozen (`gc.freeze`) once collected, in
  each process that runs tests: the cyclic collector walks only what the tests make.
  Its youngest generation is collected every `GC_THRESHOLD[0]` (10,000) allocations,
  not Python's 700: tracing and lowering make hundreds of thousands of short-lived
  objects: tests/unit/symir/test_sampler_sweep24.py alone ran 1,750 young and 160
  middle collections (94 and 3 now), its CPU time 47.4 -> 45.6 s; more in the suite's
  workers, whose heaps grow. Garbage is still collected (full collections at Python's
  ratio to the young ones); `frozen_heap` tests run with Python's thresholds.
- Every level of every compile is verified by xDSL's verifiers (`SYMIR_VERIFY_ALL=1`,
  inherited by subprocesses), also where the compiler leaves it to another check (the
  StableHLO that jaxlib verifies, a `sym` module verified when it was made):
  docs/compiler.md#verification.
- The files of long tests that the collection would leave last run first (`FIRST`), so
  that pytest-xdist's two workers end together on short tests.
"""

from __future__ import annotations

import gc
import os
import shutil
import tempfile

import pytest
from hypothesis import HealthCheck, settings

# symir's kernel inside NetKet without the measured choice (a choice that depends on the
# machine's load would make the tests depend on it): tests/unit/symir/test_netket_measured.py
# turns it on where it is tested (symir/integrations/netket_measured.py)
os.environ.setdefault("SYMIR_NETKET_MEASURE_PATHS", "0")
os.environ.setdefault("SYMIR_VERIFY_ALL", "1")

if os.environ.get("SYMIR_TEST_XLA_OPTIMIZE", "").lower() in ("", "0", "false"):
    import jax  # often imported already by a pytest plugin (jaxtyping): set, not env only

    os.environ.setdefault("JAX_DISABLE_MOST_OPTIMIZATIONS", "1")
    jax.config.update("jax_disable_most_optimizations", True)
    # read when XLA's CPU backend starts (the first computation, after this file); XLA
    # exits at start on a flag its jaxlib does not know (0.11 no longer knows the first),
    # so they are set only for the jaxlib versions checked to have them
    _HAS_FLAGS = tuple(int(p) for p in jax.__version__.split(".")[:2]) < (0, 11)
    for _FLAG in (
        "--xla_cpu_use_fusion_emitters=false",
        "--xla_cpu_parallel_codegen_split_count=1",
    ):
        if _HAS_FLAGS and _FLAG.split("=")[0] not in os.environ.get("XLA_FLAGS", ""):
            os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {_FLAG}".strip()

# every example compiles an operator (lowering and XLA): seconds, not milliseconds
_SLOW = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
settings.register_profile("dev", max_examples=25, **_SLOW)
settings.register_profile("ci", max_examples=12, derandomize=True, print_blob=True, **_SLOW)
_CI = os.environ.get("CI", "").lower() not in ("", "0", "false")
settings.load_profile(os.environ.get("SYMIR_HYPOTHESIS_PROFILE") or ("ci" if _CI else "dev"))

_CACHE_OFF = os.environ.get("SYMIR_TEST_JAX_CACHE", "").lower() in ("0", "false")

PYTHON_GC_THRESHOLD = gc.get_threshold()  # (700, 10, 10)
GC_THRESHOLD = (10_000, 20, 10)
gc.set_threshold(*GC_THRESHOLD)


def pytest_configure(config):
    """Runs first in the process that starts the xdist workers: the cache directory is
    made here, before they start, so that they and their subprocesses inherit it."""
    if _CACHE_OFF or os.environ.get("JAX_COMPILATION_CACHE_DIR"):
        return
    os.environ["JAX_COMPILATION_CACHE_DIR"] = tempfile.mkdtemp(prefix="symir-jax-cache-")
    os.environ["SYMIR_TEST_JAX_CACHE_MADE"] = os.environ["JAX_COMPILATION_CACHE_DIR"]
    _use_cache()


def pytest_collection_finish(session):
    """What the imports and the collection made (JAX, NetKet, flax, xDSL, the test
    modules: millions of objects) lives as long as the process: frozen, the cyclic
    collector's full collections during the tests no longer walk it (about 7% less CPU
    on tests/unit/symir/test_fermions.py). Collected first, so no garbage is kept."""
    gc.collect()
    gc.freeze()


@pytest.fixture
def frozen_heap():
    """For a test that counts objects or runs full collections (`gc.get_objects`,
    `gc.collect`): what the tests before it left in the worker is frozen too (its young
    garbage collected first), so the test's collections walk only what it makes (10 s a
    test in the suite's workers, 2 s in a fresh process, before). Python's own
    thresholds while it runs: what such a test counts can depend on how often the
    young generation was collected (a tuple of atoms is untracked by a collection that
    finds it so, one level of nesting per collection)."""
    gc.collect(1)
    gc.freeze()
    threshold = gc.get_threshold()
    gc.set_threshold(*PYTHON_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


FIRST = (
    "tests/unit/test_fuzz_opt.py",
    "tests/unit/test_docs.py",
    "tests/unit/symir/test_multiprocess.py",
)
"""Files of long tests (10-15 s each on CI's 2 cores, `--durations`) that the collection
would leave last: run first, whole files in their own order (module fixtures are made
once). pytest-xdist's `worksteal` hands each worker a contiguous half of the collection
and a worker that runs out takes the tail of the other's: with these last, the run ended
with one worker on a long test while the other idled; first, the tail is short tests."""


def pytest_collection_modifyitems(session, config, items):
    """`FIRST`'s files ahead of the rest (a stable sort: the order within each is kept)."""
    root = config.rootpath
    missing = [p for p in FIRST if not (root / p).is_file()]
    if missing:  # renamed or removed: name it here, not a silently longer run
        raise FileNotFoundError(f"tests/conftest.py FIRST names no file: {missing}")

    def rank(item) -> int:
        path = item.path.relative_to(root).as_posix() if item.path.is_relative_to(root) else ""
        return FIRST.index(path) if path in FIRST else len(FIRST)

    items.sort(key=rank)


def pytest_unconfigure(config):
    made = os.environ.get("SYMIR_TEST_JAX_CACHE_MADE")
    if made and not hasattr(config, "workerinput"):  # the process that made it
        shutil.rmtree(made, ignore_errors=True)


def _use_cache():
    """Every compilation of 0.1 s or more goes through the cache (JAX's defaults keep
    only those over a second: the kernels and VMC steps the tests compile again, in
    another test, worker or subprocess, take less). The shorter ones, mostly the
    primitives run eagerly (~10-30 ms each), cost more to write to the cache than to
    compile again: 7% less CPU on tests/unit/symir/test_network_split.py than with
    every compilation cached (55.8 -> 51.5 s), 5% on test_determinant_updates.py.
    `JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS` overrides it."""
    import jax

    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.1")
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")
    jax.config.update("jax_compilation_cache_dir", os.environ["JAX_COMPILATION_CACHE_DIR"])
    jax.config.update(
        "jax_persistent_cache_min_compile_time_secs",
        float(os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"]),
    )
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


if not _CACHE_OFF and os.environ.get("JAX_COMPILATION_CACHE_DIR"):  # a worker: inherited
    _use_cache()
