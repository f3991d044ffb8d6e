"""The cost model of the lowering choices (lowering/branch/cost_model.py, docs/cost-model.md):
its helpers against their definitions, and the choices it makes on typical columns."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symir.lowering.branch.cost_model import (
    COST_MODELS,
    MAX_SLICES,
    count_runs,
    default_read,
    distinct_blocks,
    projection,
    resolve_target,
    strided_runs,
)

columns = st.lists(st.integers(0, 12), max_size=40).map(lambda v: np.asarray(v, np.int64))
# pure Python, milliseconds an example: four times the profile's (tests/conftest.py)
CHEAP = settings(max_examples=settings.default.max_examples * 4)


@CHEAP
@given(columns, st.integers(1, 50))
def test_count_runs_counts_the_strided_runs(cols, limit):
    runs = strided_runs(cols)
    assert count_runs(cols, limit) == min(len(runs), limit)
    assert np.array_equal(
        np.concatenate([np.arange(*r) for r in runs]) if runs else cols, cols
    )  # the runs are the column


@CHEAP
@given(columns)
def test_distinct_blocks_cut_where_a_site_repeats(cols):
    blocks = distinct_blocks(cols)
    assert np.array_equal(np.concatenate(blocks) if blocks else cols, cols)
    assert all(len(set(b.tolist())) == len(b) for b in blocks)
    for a, b in itertools.pairwise(blocks):
        assert b[0] in set(a.tolist())  # a new block starts only at a repeat


def test_reads_of_typical_columns():
    cpu, gpu = COST_MODELS["cpu"], COST_MODELS["gpu"]
    n = 16
    identity = np.arange(n)
    shifted = (identity + 1) % n  # two runs
    scattered = np.array([3, 12, 8, 8, 2, 13, 4, 5, 4, 12, 5, 14, 3, 8, 0, 9])
    block = np.array([3, 12, 8, 0, 2, 13, 4, 5])
    twice = np.concatenate([block, block])  # one block taken once, concatenated
    for model in (cpu, gpu):
        assert model.best_read(identity, n) == "x"
        assert model.best_read(shifted, n) == "slices"
    assert cpu.best_read(scattered, n) == "take"  # only summed: a take
    assert cpu.best_read(scattered, n, emitted=True) == "gather"  # feeding x'
    assert gpu.best_read(scattered, n) == "gather"
    assert cpu.read_costs(twice, n)["permuted"] < cpu.read_costs(twice, n)["take"]
    # the quadratic form: cheaper for small N on both targets, not for large N on a CPU
    bonds = 2 * n
    assert cpu.dense_cost(n, False) < cpu.rows_cost([scattered] * 2, 2, bonds, n)
    assert cpu.dense_cost(256, False) > cpu.rows_cost([np.arange(512) % 256] * 2, 2, 512, 256)


def test_default_read_is_what_the_conversion_did_without_choices():
    assert default_read(None, 4) == "gather"
    assert default_read(np.arange(4), 4) == "x"
    assert default_read(np.array([1, 2, 3, 0]), 4) == "slices"
    assert default_read(np.array([0, 2, 4, 6, 1, 3, 5, 7]), 8) == "slices"
    assert default_read(np.array([7, 5, 3, 1, 6, 4, 2, 0]), 8) == "gather"
    assert MAX_SLICES == 4


def test_targets():
    assert resolve_target("cpu") == "cpu" and resolve_target("gpu") == "gpu"
    assert resolve_target("auto") in ("cpu", "gpu")
    with pytest.raises(
        ValueError, match=r"target must be one of \('auto', 'cpu', 'gpu'\), got 'tpu'"
    ):
        resolve_target("tpu")


# --------------------------------------------------------------------------- states


def test_projection_needs_evenly_spaced_states_that_fit():
    from xdsl.dialects.builtin import i8, i16

    assert projection((-1, 1), i8) == (-1, 2, 1)
    assert projection((0, 1, 2, 3), i8) == (0, 1, 3)
    assert projection((-3, -1, 1, 3), i8) == (-3, 2, 3)
    assert projection((5,), i8) == (5, 1, 5)
    assert projection((-3, -1, 2), i8) is None  # not evenly spaced
    assert projection((-100, 100), i8) is None  # 200 does not fit i8
    assert projection((-100, 100), i16) == (-100, 200, 100)


@CHEAP
@given(st.integers(-20, 20), st.integers(1, 5), st.integers(1, 8))
def test_the_projection_is_the_identity_on_local_states(s0, d, k):
    """What `KernelLowering.projected` computes, in numpy: x itself on every local state,
    and a local state for any other value."""
    states = s0 + d * np.arange(k)
    s1 = int(states[-1])
    x = np.arange(-128, 128)
    p = np.clip(s0 + d * np.floor_divide(x - s0, d), s0, s1)
    assert np.array_equal(p[np.isin(x, states)], x[np.isin(x, states)])
    assert np.isin(p, states).all()


def test_state_lowerings_by_target_and_size():
    """Where XLA:CPU (JAX 0.10.2) vectorises the loop that builds x' (its LLVM IR, on
    chains): TFIM `merged` from 52 sites (not 48), `projected` from 16 (not 14);
    Heisenberg `merged` from 36 (not 32); Bose-Hubbard (step 1) `projected` from 24 (not
    16); `concat` from 64 (not 56) with one write, 48 (not 36) with two."""
    cpu, gpu = COST_MODELS["cpu"], COST_MODELS["gpu"]
    spins, bosons = (-1, 2, 1), (0, 1, 3)
    assert [cpu.state_lowering(n, spins, 1) for n in (4, 14, 16, 36, 48, 52, 72)] == [
        "concat",
        "concat",
        "projected",
        "projected",
        "projected",
        "merged",
        "merged",
    ]
    assert [cpu.state_lowering(n, spins, 2) for n in (12, 16, 32, 36)] == [
        "concat",
        "projected",
        "projected",
        "merged",
    ]
    assert [cpu.state_lowering(n, bosons, 2) for n in (16, 24, 32, 36)] == [
        "concat",
        "projected",
        "projected",
        "merged",
    ]
    assert cpu.state_lowering(36, None, 1) == "concat"
    assert cpu.state_lowering(64, None, 1) == "merged"
    for n, writes, rolled in ((56, 1, False), (64, 1, True), (36, 2, False), (48, 2, True)):
        assert cpu.rolled(n, "concat", writes) == rolled
    assert {gpu.state_lowering(n, spins, 1) for n in (4, 16, 36, 72)} == {"concat"}


def test_an_exact_form_costs_less_than_an_f64_one():
    cpu = COST_MODELS["cpu"]
    assert cpu.dense_cost(36, False, exact=True) < cpu.dense_cost(36, False)
