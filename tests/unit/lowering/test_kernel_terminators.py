"""The branch passes on kernels that do not end with a plain `branch.return` of xp and
mels (issue 35, item 16): a delta kernel (`branch.return_deltas`) is handled, a kernel
that returns derivatives is refused where a pass would change its slots, with the
`branch.return` as the diagnostic's op."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
from xdsl.context import Context
from xdsl.dialects.builtin import Builtin

from symir.dialects import branch, get_all_dialects, print_module
from symir.dialects.locations import located_failure
from symir.dialects.module_checks import verify_module
from symir.dialects.parsing import parse_module
from symir.lowering import make_pass

LIT = Path(__file__).resolve().parents[2] / "lit" / "lowering"
DELTAS = (LIT / "conversion" / "convert-branch-to-stablehlo-deltas.mlir").read_text()
BRANCH_PASSES = [
    "branch-coalesce-diagonal",
    "branch-merge-exclusive-emissions",
    "branch-fuse-equal-states",
    "branch-sort-rows",
    "branch-sort-summed-rows",
    "branch-choose-lowering",
    "branch-differentiate",
    "branch-return-deltas",
]
SLOT_PASSES = [
    "branch-coalesce-diagonal",
    "branch-merge-exclusive-emissions",
    "branch-fuse-equal-states",
]
"""The passes that change which slots a kernel returns."""


def context() -> Context:
    ctx = Context()
    ctx.load_dialect(Builtin)
    for factory in get_all_dialects().values():
        ctx.load_dialect(factory())
    return ctx


def run(passes: list[str], text: str):
    ctx = context()
    module = parse_module(ctx, text, "kernel.mlir")
    for name in passes:
        make_pass(name).apply(ctx, module)
    verify_module(module)
    return module


def kernel_text(module) -> str:
    """The kernels of the module (not the analyses a pass records on it)."""
    return "\n".join(print_module(k) for k in module.walk() if isinstance(k, branch.KernelOp))


@pytest.mark.parametrize("name", BRANCH_PASSES)
def test_every_branch_pass_takes_a_delta_kernel(name):
    module = run([name], DELTAS)
    (kernel,) = [k for k in module.walk() if isinstance(k, branch.KernelOp)]
    assert isinstance(kernel.body.block.last_op, branch.ReturnDeltasOp)
    if name in SLOT_PASSES:  # no emissions' xp to rearrange: left as it is
        assert kernel_text(module) == kernel_text(run([], DELTAS))


def first_chunk(path: Path, param: bool) -> str:
    """The first case of a lit file, its kernel given an (unused) parameter `h`."""
    chunk = re.split(r"^// -----$", path.read_text(), flags=re.M)[0]
    if param:
        chunk = re.sub(
            r"params \[\] \{\n\^bb0\((%x: [^)]*)\)",
            r'params ["h"] {\n^bb0(\1, %h: tensor<f64>)',
            chunk,
        )
        assert '"h"' in chunk
    return chunk


@pytest.mark.parametrize(
    "name, path",
    [
        (
            "branch-merge-exclusive-emissions",
            LIT / "branch" / "branch-merge-exclusive-emissions.mlir",
        ),
        ("branch-fuse-equal-states", LIT / "branch" / "branch-fuse-equal-states.mlir"),
    ],
)
def test_a_derivative_kernel_is_refused_where_its_slots_would_change(name, path):
    before = kernel_text(run([], first_chunk(path, param=False)))
    assert kernel_text(run([name], first_chunk(path, param=False))) != before  # it does merge
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="returns derivatives \\['h'\\]") as info:
            run(["branch-differentiate", name], first_chunk(path, param=True))
    assert isinstance(info.value.op, branch.ReturnOp)  # type: ignore[attr-defined]
    assert f"{name}: kernel @" in located_failure(info.value)  # type: ignore[operator]


def test_coalescing_a_derivative_kernel_is_refused():
    text = (LIT / "branch" / "branch-coalesce-diagonal.mlir").read_text()
    chunk = re.split(r"^// -----$", text, flags=re.M)[0]
    with pytest.raises(ValueError, match="run it before branch-differentiate") as info:
        run(["convert-sym-to-branch", "branch-differentiate", "branch-coalesce-diagonal"], chunk)
    assert isinstance(info.value.op, branch.ReturnOp)  # type: ignore[attr-defined]


def test_a_delta_kernel_has_the_derivatives_of_a_kernel_made_delta_after():
    """branch-differentiate on a delta kernel gives what branch-return-deltas gives of the
    derivative kernel (the order the runtime's `get_conn_delta` derivatives use)."""
    import numpy as np

    from symir.runtime.stablehlo_exec import load_stablehlo

    text = (LIT / "branch" / "branch-differentiate.mlir").read_text()
    (chunk,) = [c for c in re.split(r"^// -----$", text, flags=re.M) if "branch.kernel @diag " in c]
    outputs = []
    for passes in (
        ["branch-differentiate", "branch-return-deltas"],
        ["branch-return-deltas", "branch-differentiate"],
    ):
        module = run([*passes, "convert-branch-to-stablehlo"], chunk)
        kernel = load_stablehlo(print_module(module))
        x = np.array([[1, -1], [-1, -1], [1, 1]], np.int8)
        outputs.append([np.asarray(o) for o in kernel(x, np.float64(0.7), np.float64(-1.3))])
    assert len(outputs[0]) == 5  # sites, values, mels, d/dJ, d/dh
    for a, b in zip(*outputs, strict=True):
        np.testing.assert_array_equal(a, b)
