"""A `SymbolicCompilerError` raised in a worker process reaches the parent whole: it
pickles with its stage and pass (unpickling called `__init__` with the text alone, a
TypeError inside `multiprocessing.Pool`'s result thread, which then waited forever:
`benchmarks/chemistry.py`'s per-molecule processes, a broken compile)."""

from __future__ import annotations

import pickle
import threading

from symir.errors import SymbolicCompilerError


def test_pickled_with_its_stage_and_pass():
    error = SymbolicCompilerError(
        "AttributeError: no", stage="lowering", pass_name="convert-branch-to-stablehlo"
    )
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is SymbolicCompilerError
    assert str(back) == str(error)
    assert (back.stage, back.pass_name, back.message) == (
        "lowering",
        "convert-branch-to-stablehlo",
        "AttributeError: no",
    )


def test_a_cause_that_does_not_pickle_is_left_out():
    cause = RuntimeError("a lock inside")
    cause.lock = threading.Lock()  # pickling it raises TypeError
    error = SymbolicCompilerError("broken", stage="sym", cause=cause)
    back = pickle.loads(pickle.dumps(error))
    assert str(back) == "[stage 'sym'] broken"
    assert back.cause is None and back.pass_name is None
