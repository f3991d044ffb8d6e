"""Compile-time sweep 25: lowering passes that grew super-linearly with the size of a
kernel. Each test checks the structure of the work (calls, visits), never a wall-clock
time."""

from __future__ import annotations

from collections import Counter

import symir as sym
from symir.dialects import branch
from symir.lowering import pipelines
from symir.lowering.branch import branch_choose_lowering as bcl


def _walk_reaches(value, hit, sums) -> bool:
    """The definition `feeds_emitted_rows` / `feeds_lone_emission` answer: a walk from
    `value` through its uses (not through `branch.sum_rows` unless `sums`)."""
    stack, seen = [value], set()
    while stack:
        for use in stack.pop().uses:
            op = use.operation
            if op in seen:
                continue
            seen.add(op)
            if isinstance(op, branch.SumRowsOp) and not sums:
                continue
            if isinstance(op, branch.EmitOp):
                if hit(op):
                    return True
                continue
            stack.extend(op.results)
    return False


def test_choose_reads_asks_each_emission_once(monkeypatch):
    """`branch-choose-lowering` asked, for every read of a column, whether it flows into
    an emitted or a lone emission by walking everything downstream of that read: reads
    times ops (a 32-site `(H @ H) @ H`: 2,200 reads of 46,000 ops, 45 s of its compile).
    The walks share one memo per kernel: each emission is asked once, whatever the
    number of reads that reach it; and the answers are the walk's."""
    n = 12
    # one lone emission (x' returned as it is) whose amplitude reads 8 columns
    amplitude = sym.site("i")
    for k in range(1, 8):
        amplitude = amplitude * (sym.site(sym.Expr("label", "i") + k) + 2)
    op = (
        sym.DOperator(sym.Spin(0.5, n), "x")
        .for_each_site("i")
        .emit(sym.write("i", -sym.site("i")), matrix_element=amplitude)
        .build()
    )
    asked: Counter = Counter()
    answers = []
    lone, choose_reads = bcl.lone, bcl.choose_reads

    def counted(emit):
        asked[emit] += 1
        return lone(emit)

    def checked(kernel, model, forced):
        reads = [
            o
            for o in kernel.body.block.ops
            if isinstance(o, branch.ReadOp) and isinstance(o.sites.owner, branch.ColumnOp)
        ]
        expected = [_walk_reaches(r.result, lone, True) for r in reads]
        choose_reads(kernel, model, forced)
        assert asked and max(asked.values()) == 1  # each emission asked once by the pass
        memo: dict = {}
        answers.append((expected, [bcl.feeds_lone_emission(r.result, memo) for r in reads]))

    monkeypatch.setattr(bcl, "lone", counted)
    monkeypatch.setattr(bcl, "choose_reads", checked)
    pipelines.lower_ir(op.to_ir())
    [(expected, found)] = answers
    assert len(expected) >= 8 and all(expected)
    assert found == expected
