"""The state model of `convert-branch-to-stablehlo`: what a lowered `!branch.state` is.

A `!branch.state` maps to the configurations of its rows, `tensor<?xMxNxiK>`, and their
validity, `tensor<?xMxi1>`. The configurations are kept as a chain of writes on `x` (or
on `x` projected onto the local states) and built only when something needs them
(`KernelLowering.configurations`); the `x'` of emissions concatenated along the rows is
built as one select per write over all of them (`KernelLowering.emitted`). Each write is
one `Write` record, kept on the state: its sites (static columns and the run-time
indices), its value as stored in the configuration type and its exact `i64` value, from
which a read of `x'` and the validity after checked writes are computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import DYNAMIC_INDEX as DYN
from xdsl.dialects.builtin import UnitAttr, UnrealizedConversionCastOp, i1, i64
from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter

from symir.dialects import branch, stablehlo
from symir.lowering.branch._flips import flip_writes
from symir.lowering.branch.cost_model import projection
from symir.lowering.conversion.stablehlo_builder import StablehloBuilder

CHECKED = "branch.checked"
"""Marks the cast of a state that a checked write may have taken out of the local states."""

PENDING = "branch.pending"
"""Marks the stand-in for an emission's `x'` that a `branch.concat` builds together with
the others it concatenates (`EmitLowering`); erased once the walk is done."""


MAX_FLIP_MASK = 1 << 22
"""The most elements (rows x sites) of the constant mask of flipped sites that builds the
`x'` of flipping rows in one select (`KernelLowering._flipped`); larger: a select per write."""


def state_shape(s: branch.StateType) -> list[int]:
    """Return the shape `(batch, rows, sites)` of the configurations of `s`."""
    return [DYN, s.rows.data, s.sites.data]


@dataclass(frozen=True, eq=False)
class Write:
    """One `branch.write`: the sites (`at`, `tensor<?xMxi64>` modulo N, -1 for a row
    that writes none; `cols`, the same as a row-table column when the state's writes
    are merged and the sites static), the value as stored in the configurations
    (`stored`, in their element type) and its exact value (`exact`, `tensor<?xMxi64>`).
    After a `select_state` a write is chosen entry by entry and only `at` and `exact`
    are kept."""

    at: SSAValue
    exact: SSAValue
    cols: np.ndarray | None = None
    stored: SSAValue | None = None
    flip: bool = False
    """The value is `s0 + s1 - x` read at the sites written (`lowering/branch/_flips.py`)."""

    def same(self, other: Write) -> bool:
        """Whether `other` writes the same values at the same sites."""
        return self.at is other.at and self.exact is other.exact


@dataclass
class Config:
    """The configurations of a state's rows: `base` (`tensor<?xNxiK>`, x or x projected)
    with `writes` applied in order, or (`writes` None, after a `select_state`) only
    `cfg`; `cfg` (`tensor<?xMxNxiK>`) is built when something needs it."""

    rows: int
    base: SSAValue | None
    writes: tuple[Write, ...] | None
    cfg: SSAValue | None = None
    merged: bool = False
    """Its writes are constant masks where the sites are static, and its `x'` is built
    with the other emissions' (`branch.state` lowering `merged` or `projected`)."""
    projected: bool = False
    """Its rows start from `base` projected onto the local states (built when needed)."""
    flips: tuple[SSAValue, bool, np.ndarray] | None = None
    """After a `branch.flip_sites` on unwritten rows: their base, whether it is
    projected, and the sites each row flips (`rows x N` booleans); `cfg` is then built
    from them when needed (alone, or with the rows of other emissions: `emitted`)."""


@dataclass(frozen=True)
class State:
    """A lowered `!branch.state`: its configurations, their validity `tensor<?xMxi1>`,
    whether a checked write may have left the local states, and the writes made since
    `branch.state %x`, in order (None after a `branch.flip_sites`, which is not a chain
    of single-site writes: `x'` is not read back after it)."""

    config: Config
    valid: SSAValue
    checked: bool
    writes: tuple[Write, ...] | None = ()


@dataclass(frozen=True)
class Emitted:
    """An emission's `x'` before it is built: its state's configurations and the rows
    that are active (the others are `x`)."""

    config: Config
    active: SSAValue


@dataclass
class KernelLowering(StablehloBuilder):
    """The state shared by the patterns while one kernel is converted: the builder, the
    function the kernel became, what each lowered state is and the emissions' `x'` left
    to the `branch.concat` that uses them."""

    func: func.FuncOp | None = None
    """The function the kernel became."""
    states: dict[SSAValue, State] = field(default_factory=dict)
    """What each lowered state is (its configurations, built when needed)."""
    pending: dict[SSAValue, Emitted] = field(default_factory=dict)
    """The emissions' `x'` left to the `branch.concat` that uses them."""

    flip_writes: set[int] = field(default_factory=set)
    """The `id`s of the kernel's writes that flip their sites (`_flips.flip_writes`)."""

    @staticmethod
    def of(kernel: branch.KernelOp) -> KernelLowering:
        low = KernelLowering(kernel.x, kernel.num_sites.data, kernel.states)
        low.flip_writes = flip_writes(kernel, found_sites=True)
        return low

    def state(self, value: SSAValue) -> State:
        """What a lowered state is."""
        found = self.states.get(value)
        if found is None:
            raise ValueError(f"!branch.state {value} is not lowered yet (defined by {value.owner})")
        return found

    def replace_state(self, rewriter: PatternRewriter, op: Operation, state: State) -> None:
        """Replaces the state `op` defines by a cast of its validity, and records what it
        is (`states`)."""
        cast = UnrealizedConversionCastOp.build(
            operands=[[state.valid]],
            result_types=[[op.results[0].type]],
            attributes={CHECKED: UnitAttr()} if state.checked else {},
        )
        rewriter.replace(op, cast)
        self.states[cast.results[0]] = state

    def configurations(self, config: Config) -> SSAValue:
        """The `tensor<?xMxNxiK>` configurations of a state (built once)."""
        if config.cfg is None and config.flips is not None:
            base, projected, mask = config.flips
            shape = [DYN, config.rows, self.n]
            config.cfg = self.flip_select(base, projected, mask, shape)
        elif config.cfg is None:
            config.cfg = self._apply(self.base(config), config.writes, config.rows)
        return config.cfg

    def base(self, config: Config) -> SSAValue:
        """What the rows of a chain of writes start from: `x`, or `x` projected."""
        assert config.base is not None
        if not config.projected:
            return config.base
        x = config.base
        return self.once(("projected", x), lambda: self.projected(x))

    def _apply(self, base, writes, rows: int) -> SSAValue:
        shape = [DYN, rows, self.n]
        cfg = self.broadcast(base, [0, 2], shape)
        for w in writes:
            hit = self.write_mask(w.cols, w.at, shape)
            cfg = self.add(stablehlo.SelectOp(hit, self.broadcast(w.stored, [0, 1], shape), cfg))
        return cfg

    def emitted(self, parts: Sequence[Emitted]) -> SSAValue:
        """The `x'` of emissions, concatenated along the rows: `x'` where a row is active,
        else `x`. When every one is a chain of writes on the same copy of `x`, one
        select per write over all the rows (the k-th writes of every row, masks and
        values concatenated; a row with fewer writes hits no site), so that XLA fuses
        one loop without a concatenation in it; when every row is its base with sites
        flipped, one select for all (`_flipped`); else each built and concatenated."""
        x = self.x
        rows = sum(p.config.rows for p in parts)
        shape = [DYN, rows, self.n]
        bases = {(p.config.base, p.config.projected) for p in parts}
        merged = all(p.config.merged for p in parts)
        flipped = self._flipped(parts, shape)
        at_run_time = None if flipped is not None else self._flipped_at_run_time(parts, shape)
        if at_run_time is not None:
            return at_run_time
        if flipped is not None:
            cfg = flipped
        elif len(parts) > 1 and (any(b is None for b, _ in bases) or len(bases) > 1 or not merged):
            built = [self.emitted([p]) for p in parts]
            return self.add(stablehlo.ConcatenateOp(built, 1))
        elif parts[0].config.writes is None:
            cfg = self.configurations(parts[0].config)
        else:
            depth = max(len(p.config.writes) for p in parts)  # type: ignore[arg-type]
            cfg = self.broadcast(self.base(parts[0].config), [0, 2], shape)
            for k in range(depth):
                cfg = self._write_rows(cfg, [p.config for p in parts], k, shape)
        if all(self.is_true(p.active) for p in parts):
            return cfg
        active = self.concat_rows([p.active for p in parts])
        x3 = self.broadcast(x, [0, 2], shape)
        return self.add(stablehlo.SelectOp(self.broadcast(active, [0, 1], shape), cfg, x3))

    def flip_mask(self, config: Config) -> tuple[SSAValue, bool, np.ndarray] | None:
        """`(base, projected, mask)` when the rows of `config` are `base` with the sites
        of `mask` (`rows x N` booleans) flipped: a `branch.flip_sites` on unwritten rows,
        or a chain of flipping writes at static sites (none: `x` itself); else None."""
        if config.flips is not None:
            return config.flips
        if config.writes is None or config.base is None:
            return None
        mask = np.zeros((config.rows, self.n), bool)
        for w in config.writes:
            if not w.flip or w.cols is None:
                return None
            cols = np.asarray(w.cols, np.int64)
            hit = np.flatnonzero(cols >= 0)
            mask[hit, cols[hit] % self.n] = True
        return config.base, config.projected, mask

    def _flipped(self, parts: Sequence[Emitted], shape: list[int]) -> SSAValue | None:
        """The rows of `parts` as one `select(mask, s0 + s1 - base, base)` when each
        is its base with sites flipped (`flip_mask`), all on one base, and that saves
        selects: a `branch.flip_sites` joined with other rows (which the other form
        concatenates), or rows with two flips or more (one select each); else None."""
        found = [self.flip_mask(p.config) for p in parts]
        if any(f is None for f in found) or len({f[0] for f in found}) != 1:  # type: ignore[index]
            return None
        rows, n = shape[1], shape[2]
        flip_sites = any(p.config.flips is not None for p in parts)
        chains = max((len(p.config.writes or ()) for p in parts), default=0)
        if not ((flip_sites and len(parts) > 1) or chains > 1) or rows * n > MAX_FLIP_MASK:
            return None
        projected = any(f[1] for f in found)  # type: ignore[index]
        mask = np.concatenate([f[2] for f in found])  # type: ignore[index]
        return self.flip_select(found[0][0], projected, mask, shape)  # type: ignore[index]

    def _flipped_at_run_time(self, parts: Sequence[Emitted], shape: list[int]) -> SSAValue | None:
        """The rows of `parts` as one `select(hit, s0 + s1 - x, x)` when every row is a
        chain of two or more flipping writes on `x` itself (`Write.flip`), some at sites
        known only at run time (a molecule's excitations: `_flips.is_state_flip`), `hit`
        the `or` of each write's compare with a site iota and the rows' activity (a
        compare and an `or` per write, where the chain takes a compare and a select and
        the activity a last select: H4 cc-pVDZ's x', 128 x 439 x 40 sites, 12% less);
        else None."""
        configs = [p.config for p in parts]
        if any(c.writes is None or c.flips is not None or c.projected for c in configs):
            return None
        writes = [w for c in configs for w in c.writes]  # type: ignore[union-attr]
        depth = max(len(c.writes) for c in configs)  # type: ignore[arg-type]
        if (
            depth < 2
            or not all(w.flip for w in writes)
            or all(w.cols is not None for w in writes)
            or any(c.base is not self.x for c in configs)
            or (len(configs) > 1 and not all(c.merged for c in configs))
        ):
            return None
        hit = None
        for k in range(depth):
            lane = self._write_lane(configs, k, shape)
            hit = lane if hit is None else self.add(stablehlo.OrOp(hit, lane))
        if not all(self.is_true(p.active) for p in parts):
            active = self.concat_rows([p.active for p in parts])
            hit = self.add(stablehlo.AndOp(hit, self.broadcast(active, [0, 1], shape)))
        x3 = self.broadcast(self.x, [0, 2], shape)
        s0, s1 = self.local_states
        total = self.broadcast(self.const(s0 + s1, self.x_elem), [], shape)
        return self.add(stablehlo.SelectOp(hit, self.add(stablehlo.SubtractOp(total, x3)), x3))

    def flip_select(
        self, base: SSAValue, projected: bool, mask: np.ndarray, shape: list[int]
    ) -> SSAValue:
        """`select(mask, s0 + s1 - b, b)` over `shape`, `b` the rows of `base` (projected
        onto the local states where `projected`), `mask` a constant `rows x N`."""
        if projected:
            base = self.once(("projected", base), lambda: self.projected(base))
        cfg = self.broadcast(base, [0, 2], shape)
        s0, s1 = self.local_states
        total = self.broadcast(self.const(s0 + s1, self.x_elem), [], shape)
        hit = self.broadcast(self.array(mask), [1, 2], shape)
        return self.add(stablehlo.SelectOp(hit, self.add(stablehlo.SubtractOp(total, cfg)), cfg))

    def _write_rows(self, cfg: SSAValue, configs: list[Config], k: int, shape) -> SSAValue:
        """`cfg` with the k-th write of each state's rows (rows without one: unchanged)."""
        writes = [c.writes[k] if k < len(c.writes) else None for c in configs]  # type: ignore[arg-type]
        stored = self.concat_rows(
            [
                self.broadcast(self.const(0, self.x_elem), [], [DYN, c.rows])
                if w is None
                else w.stored
                for c, w in zip(configs, writes)
            ]
        )
        hit = self._write_lane(configs, k, shape)
        return self.add(stablehlo.SelectOp(hit, self.broadcast(stored, [0, 1], shape), cfg))

    def _write_lane(self, configs: Sequence[Config], k: int, shape) -> SSAValue:
        """`tensor<?xMxNxi1>`: the sites the k-th write of each state's rows hits (rows
        without one: none)."""
        writes = [c.writes[k] if k < len(c.writes) else None for c in configs]  # type: ignore[arg-type,index]
        if all(w is None or w.cols is not None for w in writes):
            cols = np.concatenate(
                [np.full(c.rows, -1) if w is None else w.cols for c, w in zip(configs, writes)]
            )
            at = None
        else:
            cols = None
            # each part in the type the mask compares in (the narrowest that holds -1 ..
            # N), so that the rows are concatenated in it: 1 byte per entry up to 127 sites
            t = self.site_type()
            at = self.concat_rows(
                [
                    self.broadcast(self.const(-1, t), [], [DYN, c.rows])
                    if w is None
                    else self.convert(w.at, t)
                    for c, w in zip(configs, writes)
                ]
            )
        return self.write_mask(cols, at, shape)

    def projected(self, x: SSAValue) -> SSAValue:
        """`x` projected onto the local states `s0, s0 + d, ..., s1` (`projection`):
        `clamp(s0 + d * floor((x - s0) / d), s0, s1)`, which is `x` itself wherever `x`
        holds local states (the kernel's input contract). XLA:CPU computes it once per
        entry and site; its weight keeps LLVM from unrolling the loop over the sites that
        builds `x'`, so that the loop is vectorised (`branch-choose-lowering`,
        docs/cost-model.md)."""
        s0, d, s1 = projection(self.local_states, self.x_elem)  # type: ignore[misc]
        t = self.x_elem
        shape = x.type.get_shape()  # type: ignore[union-attr]

        def c(v: int) -> SSAValue:
            return self.broadcast(self.const(v, t), [], shape)

        grid = x
        if d > 1:
            a = self.add(stablehlo.SubtractOp(x, c(s0))) if s0 else x
            q = self.add(stablehlo.DivideOp(a, c(d)))
            r = self.add(stablehlo.RemainderOp(a, c(d)))
            below = self.add(  # floor: one less where a < 0 and d does not divide it
                stablehlo.AndOp(
                    self.add(stablehlo.CompareOp("LT", a, c(0))),
                    self.add(stablehlo.CompareOp("NE", r, c(0))),
                )
            )
            q = self.add(stablehlo.SelectOp(below, self.add(stablehlo.SubtractOp(q, c(1))), q))
            grid = self.add(stablehlo.MultiplyOp(q, c(d)))
            grid = self.add(stablehlo.AddOp(grid, c(s0))) if s0 else grid
        low = self.add(stablehlo.MaximumOp(grid, c(s0)))
        return self.add(stablehlo.MinimumOp(low, c(s1)))

    def select_writes(
        self, p: SSAValue, a: tuple[Write, ...], b: tuple[Write, ...]
    ) -> tuple[Write, ...]:
        """The writes of `select_state(p, a, b)`: the entries the two share at their
        front (the writes made before the condition) as they are, then the rest entry by
        entry, `select(p, a_k, b_k)` of site and value. The shorter list is padded with
        entries at site -1 holding a local state: no site index is -1, so a read never
        takes one and it overwrites nothing, and its value passes the final test. Per
        row, the entries are those of the chosen state, padding aside."""
        common = 0
        while common < min(len(a), len(b)) and a[common].same(b[common]):
            common += 1
        length = max(len(a), len(b))
        rows = p.type.get_shape()  # type: ignore[union-attr]

        def pad(entries: tuple[Write, ...]) -> list[Write]:
            nowhere = self.broadcast(self.const(-1, i64), [], rows)
            state = self.broadcast(self.const(self.local_states[0], i64), [], rows)
            return [*entries[common:], *[Write(nowhere, state)] * (length - len(entries))]

        chosen = []
        for wa, wb in zip(pad(a), pad(b), strict=True):
            s = wa.at if wa.at is wb.at else self.add(stablehlo.SelectOp(p, wa.at, wb.at))
            v = (
                wa.exact
                if wa.exact is wb.exact
                else self.add(stablehlo.SelectOp(p, wa.exact, wb.exact))
            )
            chosen.append(Write(s, v))
        return (*a[:common], *chosen)

    def all_inside(self, writes: tuple[Write, ...] | None, rows: int) -> SSAValue:
        """Whether every site of the final `x'` is a local state, `tensor<?xMxi1>`, from
        the writes that made it (`x` holds local states, so only the last value written
        to each written site matters: a `(batch, rows)` test of the exact value per
        write)."""
        if writes is None:
            raise ValueError(
                "the validity of x' after 'branch.flip_sites' and a checked write is not supported"
            )
        result = None
        for k, w in enumerate(writes):
            ok = self.member(w.exact)
            for later in writes[k + 1 :]:  # overwritten later: that write decides
                ok = self.add(
                    stablehlo.OrOp(ok, self.add(stablehlo.CompareOp("EQ", w.at, later.at)))
                )
            result = ok if result is None else self.add(stablehlo.AndOp(result, ok))
        if result is not None:
            return result
        return self.broadcast(self.const(True, i1), [], [DYN, rows])
