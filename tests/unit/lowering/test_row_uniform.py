"""`row_uniform.py`: the row-uniform values of a kernel computed once per sample, in one
`reduce`, up to `MAX_VALUES` of them (the lit file
`convert-branch-to-stablehlo-row-uniform.mlir` checks the printed form and runs it)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from xdsl.context import Context
from xdsl.dialects.builtin import Builtin

from symir.dialects import get_all_dialects, print_module
from symir.dialects.parsing import parse_module
from symir.dialects.stablehlo import ReduceOp
from symir.lowering import make_pass
from symir.lowering.conversion import row_uniform
from symir.runtime.stablehlo_exec import load_stablehlo

LIT = (
    Path(__file__).resolve().parents[2]
    / "lit/lowering/conversion/convert-branch-to-stablehlo-row-uniform.mlir"
)


def _lowered():
    """The lit file's kernel through `convert-branch-to-stablehlo{target=cpu}`, narrowed."""
    ctx = Context()
    ctx.load_dialect(Builtin)
    for factory in get_all_dialects().values():
        ctx.load_dialect(factory())
    module = parse_module(ctx, LIT.read_text(), LIT.name)
    make_pass("convert-branch-to-stablehlo", target="cpu", narrow_integers=True).apply(ctx, module)
    return module


@pytest.mark.parametrize("cap", [2, 1])
def test_more_values_than_the_cap_are_computed_in_every_row_with_the_same_result(cap, monkeypatch):
    """The lit kernel's two row-uniform values (`n m + n`, `n == m`): with the cap at 2
    one `reduce` of two inputs, at 1 none (more values than the cap: XLA computes them
    where they are read, as before the reductions); the same connected states and
    elements on every configuration of the 6 sites."""
    monkeypatch.setattr(row_uniform, "MAX_VALUES", cap)
    module = _lowered()
    reduces = [o for o in module.walk() if isinstance(o, ReduceOp) and len(o.inputs) == 2]
    assert len(reduces) == (1 if cap == 2 else 0)
    x = np.array([[(k >> i) & 1 for i in range(6)] for k in range(64)], np.int8)
    got = load_stablehlo(print_module(module))(x)
    n, m = x[:, :3].sum(1), x[:, 3:].sum(1)
    rows = np.arange(4)[None, :] + np.where(n == m, n * m + n, 0)[:, None]
    np.testing.assert_array_equal(np.asarray(got[1]), rows.astype(np.float64))
    np.testing.assert_array_equal(np.asarray(got[0]), np.repeat(x[:, None, :], 4, 1))
