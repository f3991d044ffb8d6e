"""Compile-time sweep 25: lowering passes that grew super-linearly with the size of a
kernel. Each test checks the structure of the work (calls, visits), never a wall-clock
time."""

from __future__ import annotations

from collections import Counter

import netket as nk
import numpy as np

import symir as sym
from symir import models
from symir.dialects import branch
from symir.lowering import pipelines
from symir.lowering.branch import branch_choose_lowering as bcl
from symir.lowering.branch import branch_fuse_equal_states as bf
from symir.lowering.branch import fusion_decisions as fd
from symir.lowering.conversion import convert_sym_to_branch as s2b


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


def _pairwise(i, j, states, tags, keys, by_signature, diagonal, enc) -> dict[str, int]:
    """The definition of a decision's rows: every candidate row pair, one at a time."""
    rows: dict[str, int] = {}
    for sig in set(by_signature[i]) & set(by_signature[j]):
        for r1 in by_signature[i][sig]:
            for r2 in by_signature[j][sig]:
                if keys[i][r1] == keys[j][r2]:
                    reason = "merged"
                else:
                    reason = fd._why(states[i][r1], states[j][r2], tags[i], tags[j], diagonal, enc)
                rows[reason] = rows.get(reason, 0) + 1
    return rows


def test_fusion_decisions_count_row_pairs_by_class(monkeypatch):
    """A fusion decision counts the candidate row pairs of two emissions by outcome; it
    went through them pair by pair, len * len per signature (a 32-site `(H @ H) @ H`:
    25 s of its compile). Counted by equal keys and equal states, it asks why once per
    distinct state, and counts as the pairwise definition does."""
    enc = fd.States(invalid="invalid", x_base="x", identity=("x", ()), numeric=())
    rng = np.random.default_rng(25)
    for trial in range(60):
        rows = int(rng.integers(1, 40))
        states, keys, tags = [], [], []
        for _ in range(2):
            sites = [((0, int(v)),) if v >= 0 else () for v in rng.integers(-1, 3, rows)]
            st = [("x", s) if rng.random() < 0.9 else "invalid" for s in sites]
            # equal states mostly share a key; a few are kept apart by one of their own
            k = [hash(s) if rng.random() < 0.7 else int(rng.integers(1000)) for s in st]
            states.append(st)
            keys.append(k)
            tags.append(None if rng.random() < 0.7 else "t")
        by_signature = []
        for st in states:
            table: dict = {}
            for r, s in enumerate(st):
                table.setdefault(fd._signature(s, enc), []).append(r)
            by_signature.append(table)
        diagonal = bool(trial % 2)
        expected = _pairwise(0, 1, states, tags, keys, by_signature, diagonal, enc)
        found = fd._pair(0, 1, states, tags, keys, [None, None], by_signature, diagonal, enc)
        assert found == expected

    asked = []
    why = fd._why
    monkeypatch.setattr(fd, "_why", lambda *a: asked.append(a) or why(*a))
    rows = 400  # one signature, one state, keys all different: 160,000 pairs apart
    states = [[("x", ((0, 1),))] * rows] * 2
    keys = [list(range(rows)), list(range(rows, 2 * rows))]
    by_signature = [{("sites", (0,)): list(range(rows))}] * 2
    found = fd._pair(0, 1, states, [None, "t"], keys, [None, None], by_signature, True, enc)
    assert found == {"different_tags": rows * rows}
    assert len(asked) == 1


def test_fusion_asks_once_per_emission_whether_its_rows_are_summed(monkeypatch):
    """A merged emission of one row built from the rows of other emissions asked, for
    each of its layers, whether the layers read every row of that layer's emission,
    scanning all the layers each time: quadratic in the layers (thousands in a 32-site
    `(H @ H) @ H`). It is asked once per emission of each merged emission."""
    n = 6
    h = models.heisenberg(sym.Spin(0.5, n), nk.graph.Chain(n, pbc=True))
    asked: list[Counter] = []
    covers, parts = bf._covers, bf._parts

    def counted_covers(emit, rows):
        asked[-1][emit] += 1
        return covers(emit, rows)

    def counted_parts(*args, **kwargs):
        asked.append(Counter())
        return parts(*args, **kwargs)

    monkeypatch.setattr(bf, "_covers", counted_covers)
    monkeypatch.setattr(bf, "_parts", counted_parts)
    result = pipelines.lower_ir((h @ h).to_ir())
    assert sum(sum(c.values()) for c in asked) >= 12  # one-row emissions summed
    assert all(max(c.values(), default=0) <= 1 for c in asked)
    assert result is not None


def test_sym_to_branch_asks_once_per_value_whether_a_write_is_a_local_state(monkeypatch):
    """`convert-sym-to-branch` leaves a write unchecked where its value is provably a
    local state (`known_in_states`), through both arms of selects: the writes of a
    product after a chain of k conditional swaps were 2^k calls (k = 22: 30 s of the
    compile of `x @ op`); each value is answered once."""
    n = 4
    u = sym.identity()
    for m in range(16):
        u = u.when(sym.site(m % n) > 0, sym.identity().swap(0, 1), sym.identity())
    op = sym.DOperator(sym.Spin(0.5, n), "c").globally().emit(u, matrix_element=1.0).build()
    x = sym.DOperator(op.space, "x").globally().emit(sym.write(0, -sym.site(0)), 1.0).build()
    calls = []
    known = s2b.known_in_states

    def counted(*args):
        calls.append(args[0])
        return known(*args)

    monkeypatch.setattr(s2b, "known_in_states", counted)
    pipelines.lower_ir((op @ x).to_ir())
    assert calls and len(calls) < 1000  # 2^16 = 65,536 without the memo
