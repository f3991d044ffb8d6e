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
  `JAX_DISABLE_MOST_OPTIMIZATIONS=1` so that the subprocesses tests start inherit it):
  most of the suite's time is XLA compiling small kernels and NetKet's VMC steps once
  each, and the optimisations change how fast a kernel runs, not what it computes beyond
  rounding (the tests' tolerances are 1e-10 and above, or exact on integer-valued sums).
  What users run is still checked with XLA's defaults: CI's wheel smoke test runs the
  demo (which checks its kernel against the reference interpreter) and `symir-run` from
  the installed wheel, and the benchmarks check their results against NetKet's before
  timing. `SYMIR_TEST_XLA_OPTIMIZE=1` gives the defaults back.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

if os.environ.get("SYMIR_TEST_XLA_OPTIMIZE", "").lower() in ("", "0", "false"):
    import jax  # often imported already by a pytest plugin (jaxtyping): set, not env only

    os.environ.setdefault("JAX_DISABLE_MOST_OPTIMIZATIONS", "1")
    jax.config.update("jax_disable_most_optimizations", True)

# every example compiles an operator (lowering and XLA): seconds, not milliseconds
_SLOW = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
settings.register_profile("dev", max_examples=25, **_SLOW)
settings.register_profile("ci", max_examples=12, derandomize=True, print_blob=True, **_SLOW)
_CI = os.environ.get("CI", "").lower() not in ("", "0", "false")
settings.load_profile(os.environ.get("SYMIR_HYPOTHESIS_PROFILE") or ("ci" if _CI else "dev"))
