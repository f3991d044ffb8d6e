"""Reference interpreter: the meaning of a `sym` operator, one configuration at a time.

Plain numpy and Python, no JAX. It interprets the `sym` dialect IR directly: an xDSL
`ModuleOp` holding one `sym.operator`, the `OperatorOp` itself, a `SymbolicOperatorIR`
(anything with `.operator` or `.module`) or a DSL operator (anything with `to_ir()`).
It is the oracle every compilation level is tested against, and favours being obviously
correct over being fast.

API
---
- `reference_get_conn(op, x, params=None) -> (xp (B, N), mels (B,))`: the active branches
  of ONE configuration, in program order (term, row, emission), unpadded.
- `reference_get_conn_padded(op, x, params=None, max_conn_size=None)`: `x (..., N)` ->
  `xp (..., F, N)`, `mels (..., F)`; padding slots are `xp = x`, `mel = 0`. `F` defaults
  to `static_fanout(op)`; more active branches than `F` raises `ValueError`.
- `static_fanout(op)`: sum over terms of the fan-out hint, or `len(rows) * len(emissions)`.
  `term_fanouts(op)` gives the per-term numbers.
- `reference_to_dense(op, params=None, hilbert=None)`: dense matrix with
  `H[row(x), row(x')] += mel`. Basis order: lexicographic over the operator's (increasing)
  local states, first site most significant, i.e. `row(x) = sum_i idx(x[i]) d**(N-1-i)`.
  This is NetKet's `all_states()` order for Fock spaces; NetKet's `Spin` space lists its
  local states as `[1, -1]` (descending) since 3.14, so pass `hilbert=` (anything with
  `all_states()`) to get exactly that hilbert's order.
- `reference_basis(op)`: the basis states in the default order, shape `(d**N, N)`.

Semantics (dialects/sym/ is the authority; the choices it leaves open are marked *)
---------------------------------------------------------------------------------------
For each term, for each row of its table (program order):
  1. bind labels to the row's site indices; evaluate the term body's expression ops in
     order into an SSA environment; `sym.where` gives the term predicate (none = true).
     (*) All non-emission ops of the body are evaluated before any emission, so a
     `sym.where` placed after an emission still guards it.
  2. if the predicate holds, for each `sym.emission` in order: evaluate its `if` operand
     (none = true); copy `x` to `x'`; run the update region in order (expression ops are
     evaluated as they come, update ops mutate `x'`, `sym.cond` runs one of its regions,
     `sym.invalidate` ends the program and drops the branch); then, if the branch is still
     active, evaluate the amplitude region (`sym.read_emitted` reads `x'`); `sym.yield`
     gives the matrix element, cast to the operator dtype.
  3. A branch is dropped (it becomes padding) when the term predicate is false, the
     emission predicate is false, it was invalidated, or the final `x'` has a value that is
     not a local state. (*) Only the final `x'` is checked: intermediate values of an update
     program may leave the local states (shift +1 then -1 is the identity).
     (*) The amplitude of a dropped branch is never evaluated.
     (*) SSA scoping is lenient: the update and amplitude regions of one emission share one
     environment (seeded with the term body's values), so a value defined in the update
     region is visible in the amplitude region; MLIR dominance would reject such IR.

Values: `i1` -> bool, `i64` -> Python int, `f64` -> float, `complex<f64>` -> complex.
Every op result is cast to the op's result type; binary ops first promote their operands
to it (`i1 < i64 < f64 < complex<f64>`). `i64` is a 64-bit two's complement integer, as in
the kernel: every `i64` result (of an op or an update: `shift`, `affine`, `shift_mod`)
wraps around into `[-2**63, 2**63)` (`sym.wrap_i64`), so `(2**63 - 1) + 1` is `-2**63`
and a product of large integers converted to `f64` is finite.
Floating/complex arithmetic follows numpy/IEEE (with warnings silenced): `1.0 / 0` is
`inf`, `0 / 0` is `nan`, `sqrt`/`log` of a negative real are `nan` (no switch to complex),
`log(0) = -inf`, `pow` of a negative real base to a fractional real power is `nan`.
`sym.abs` of a complex is its float modulus; `sym.conj` of a real is the identity.
`sym.cmp` compares promoted values (IEEE: any ordered comparison with NaN is false).
`sym.min`/`sym.max` on floats propagate NaN (numpy `minimum`/`maximum`, as StableHLO does).
`sym.wrap_mod v = s0 + (v - s0) mod d` (`v - s0` wrapped into 64 bits first, as the
kernel computes it) and `sym.shift_mod` likewise on `x'[site] + delta`,
for the contiguous local states `s0 .. s0+d-1` (Python `mod`, result in `[0, d)`).

Sites: a site operand is an `i64`; every site is taken modulo `N` with Python `%`
(`-1 -> N-1`; constants in `[0, N)`, guaranteed by the verifier, are unchanged).
`sym.read` reads the source `x` (never `x'`), `sym.read_emitted` reads `x'`,
`sym.label` the bound site index, `sym.param` the supplied value or its default.
`sym.count lo, hi` is `x[lo] + ... + x[hi-1]` of the source `x`, with the bounds clamped
to `[0, N]` (not taken modulo N) and `lo >= hi` an empty range (0); `sym.parity n` is
`(-1)^n`. `sym.nth_site k` is the site of the k-th (from 0) of its `sites`, in their
order, whose value in the source `x` is its `state`, or -1 (k < 0, or too few such sites).

Updates act on the current `x'` in program order: `write`, `shift` (`x' + d`),
`shift_mod`, `swap`, `permute` (cyclic, all values read before writing:
`x'[s0] <- x'[s1], ..., x'[sK-1] <- x'[s0]`), `affine` (`scale * x' + bias`), `scatter`
(pairs written in order, so a repeated site keeps the last value), `invalidate`, `cond`.

Parameters: unknown names passed in raise `ValueError`; a parameter without default and
without a supplied value raises `ValueError` naming it; a complex value with a non-zero
imaginary part for an `f64` parameter raises `ValueError` (never silently dropped).

Fan-out hints: a term's `fanout` hint bounds the number of active branches the term
produces for one configuration (all rows and emissions together). (*) A term producing
more active branches than its hint for some configuration raises `ValueError` naming the
term, in every entry point (never silent truncation).

Input configurations: `x` must have `N` entries that are (integer-valued) local states,
otherwise `ValueError`. `xp` is returned in `x`'s dtype, `mels` in the operator dtype
(`f64` -> float64, `complex<f64>` -> complex128).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
from xdsl.dialects.builtin import ModuleOp, f64
from xdsl.ir import Block, Operation, SSAValue

from symir.dialects import sym
from symir.dialects.sym import Value, cast_value, wrap_i64
from symir.dialects.types import numpy_dtype
from symir.lowering.sym.symbolic_fanout_analysis import term_fanouts as _term_fanouts

__all__ = [
    "reference_basis",
    "reference_get_conn",
    "reference_get_conn_padded",
    "reference_to_dense",
    "static_fanout",
    "term_fanouts",
]

# --------------------------------------------------------------------------- entry helpers


def _as_operator(obj: Any) -> sym.OperatorOp:
    """The `sym.operator` of an OperatorOp, a ModuleOp, an IR object or a DSL operator."""
    if isinstance(obj, sym.OperatorOp):
        return obj
    if not isinstance(obj, ModuleOp) and callable(getattr(obj, "to_ir", None)):
        obj = obj.to_ir()  # a DSL operator
    if isinstance(getattr(obj, "operator", None), sym.OperatorOp):
        return obj.operator  # a SymbolicOperatorIR
    if not isinstance(obj, ModuleOp) and isinstance(getattr(obj, "module", None), ModuleOp):
        obj = obj.module
    if isinstance(obj, ModuleOp):
        ops = [op for op in obj.walk() if isinstance(op, sym.OperatorOp)]
        if len(ops) != 1:
            raise ValueError(f"expected exactly one 'sym.operator' in the module, found {len(ops)}")
        return ops[0]
    raise TypeError(
        f"expected a sym.operator, a ModuleOp, an IR or a DSL operator, got {type(obj)!r}"
    )


def term_fanouts(module_or_operator: Any) -> dict[str, int]:
    """Per-term static fan-out: the hint if given, else `len(rows) * len(emissions)`."""
    return _term_fanouts(_as_operator(module_or_operator))


def static_fanout(module_or_operator: Any) -> int:
    """The static fan-out `F` of an operator: the sum of `term_fanouts`."""
    return sum(term_fanouts(module_or_operator).values())


def _np_dtype(operator: sym.OperatorOp) -> np.dtype:
    return numpy_dtype(operator.dtype)


# --------------------------------------------------------------------------- interpreter


class _Invalidated(Exception):
    """Raised by `sym.invalidate`: the branch is dropped."""


class _Ctx:
    """Per-row evaluation context: the source x, the label binding and the current x'."""

    __slots__ = ("labels", "x", "xp")

    def __init__(self, x: tuple[int, ...], labels: dict[str, int]):
        self.x = x
        self.labels = labels
        self.xp: list[int] | None = None


Env = dict[SSAValue, Value]


class _Interpreter:
    """Interprets one `sym.operator` for one parameter binding.

    Every op is run by a rule found by its class: the expression ops by their own
    `evaluate` (dialects/sym/expression_ops.py, the op table), the leaves (`_LEAVES`: constants,
    parameters, labels, reads) and the update ops (`_UPDATES`) by the methods below.
    """

    def __init__(self, operator: sym.OperatorOp, params: Mapping[str, Any] | None):
        self.operator = operator
        self.n = operator.num_sites.data
        self.states = tuple(int(s) for s in operator.states)
        self.state_set = frozenset(self.states)
        self.s0 = self.states[0]
        self.d = len(self.states)
        self.dtype = _np_dtype(operator)
        self.params = self._bind_params(params or {})
        self.terms = operator.terms

    # ---- parameters

    def _bind_params(self, given: Mapping[str, Any]) -> dict[str, Value]:
        declared: dict[str, sym.ParamOp] = {}
        for op in self.operator.walk():
            if isinstance(op, sym.ParamOp):
                declared.setdefault(op.param_name.data, op)
        unknown = sorted(set(given) - set(declared))
        if unknown:
            raise ValueError(
                f"unknown parameter(s) {unknown} for operator @{self.operator.sym_name.data}; "
                f"declared: {sorted(declared)}"
            )
        return {name: self._param_value(name, op, given) for name, op in declared.items()}

    def _param_value(self, name: str, op: sym.ParamOp, given: Mapping[str, Any]) -> Value:
        if name in given:
            value = given[name]
        elif op.default_value is not None:
            value = op.default_value
        else:
            raise ValueError(
                f"parameter '{name}' of operator @{self.operator.sym_name.data} has no "
                "default and no value was given"
            )
        if op.is_table:
            return _table_value(name, op, value)
        value = complex(value) if np.iscomplexobj(value) else value
        if op.result.type != f64:
            return complex(value)
        if isinstance(value, complex):
            if value.imag != 0:
                raise ValueError(f"parameter '{name}' is f64 but got the complex value {value}")
            value = value.real
        return float(value)

    # ---- sites and states

    def _site(self, env: Env, value: SSAValue) -> int:
        return int(env[value]) % self.n

    def _wrap(self, v: int) -> int:
        return self.s0 + wrap_i64(v - self.s0) % self.d

    # ---- expressions

    def eval_expr(self, op: Operation, env: Env, ctx: _Ctx) -> None:
        """Evaluates one value op, storing its result (cast to its type) in `env`."""
        leaf = _LEAVES.get(type(op))
        if leaf is not None:
            value = leaf(self, op, env, ctx)
        elif isinstance(op, sym.ExpressionOp):
            value = op.evaluate(*(env[v] for v in op.operands))
        else:
            raise NotImplementedError(f"the reference interpreter does not know '{op.name}'")
        if isinstance(op, sym.ParamOp) and op.is_table:
            env[op.results[0]] = value  # a table: its entries, as given
            return
        env[op.results[0]] = cast_value(value, op.results[0].type)

    def _constant(self, op: sym.ConstantOp, env: Env, ctx: _Ctx) -> Value:
        return op.value.value.data

    def _param(self, op: sym.ParamOp, env: Env, ctx: _Ctx) -> Value:
        return self.params[op.param_name.data]

    def _label(self, op: sym.LabelOp, env: Env, ctx: _Ctx) -> Value:
        return ctx.labels[op.label.data]

    def _read(self, op: sym.ReadOp, env: Env, ctx: _Ctx) -> Value:
        return ctx.x[self._site(env, op.site)]

    def _count(self, op: sym.CountOp, env: Env, ctx: _Ctx) -> Value:
        return sym.CountOp.evaluate_on(ctx.x, int(env[op.lo]), int(env[op.hi]))

    def _nth_site(self, op: sym.NthSiteOp, env: Env, ctx: _Ctx) -> Value:
        return sym.NthSiteOp.evaluate_on(
            ctx.x, op.site_list, op.state.value.data, int(env[op.rank])
        )

    def _parity_sum(self, op: sym.ParitySumOp, env: Env, ctx: _Ctx) -> Value:
        return op.evaluate_on(ctx.x, int(env[op.index]))

    def _read_emitted(self, op: sym.ReadEmittedOp, env: Env, ctx: _Ctx) -> Value:
        if ctx.xp is None:
            raise RuntimeError("'sym.read_emitted' evaluated outside an amplitude region")
        return ctx.xp[self._site(env, op.site)]

    # ---- updates

    def run_updates(self, block: Block, env: Env, ctx: _Ctx) -> None:
        """Runs an update program on `ctx.xp`; raises `_Invalidated` on `sym.invalidate`."""
        xp = ctx.xp
        assert xp is not None
        for op in block.ops:
            update = _UPDATES.get(type(op))
            if update is not None:
                update(self, op, env, ctx, xp)
            elif isinstance(op, sym.YieldOp | sym.WhereOp | sym.EmissionOp):
                raise RuntimeError(f"'{op.name}' is not allowed in an update region")
            else:
                self.eval_expr(op, env, ctx)

    def _write(self, op: sym.WriteOp, env: Env, ctx: _Ctx, xp: list[int]) -> None:
        xp[self._site(env, op.site)] = int(env[op.value])

    def _shift(self, op: sym.ShiftOp, env: Env, ctx: _Ctx, xp: list[int]) -> None:
        s = self._site(env, op.site)
        xp[s] = wrap_i64(xp[s] + int(env[op.delta]))

    def _shift_mod(self, op: sym.ShiftModOp, env: Env, ctx: _Ctx, xp: list[int]) -> None:
        s = self._site(env, op.site)
        xp[s] = self._wrap(wrap_i64(xp[s] + int(env[op.delta])))

    def _swap(self, op: sym.SwapOp, env: Env, ctx: _Ctx, xp: list[int]) -> None:
        a, b = self._site(env, op.a), self._site(env, op.b)
        xp[a], xp[b] = xp[b], xp[a]

    def _permute(self, op: sym.PermuteOp, env: Env, ctx: _Ctx, xp: list[int]) -> None:
        sites = [self._site(env, s) for s in op.site_list]
        old = [xp[s] for s in sites]
        for k, s in enumerate(sites):
            xp[s] = old[(k + 1) % len(sites)]

    def _affine(self, op: sym.AffineOp, env: Env, ctx: _Ctx, xp: list[int]) -> None:
        s = self._site(env, op.site)
        xp[s] = wrap_i64(int(env[op.scale]) * xp[s] + int(env[op.bias]))

    def _scatter(self, op: sym.ScatterOp, env: Env, ctx: _Ctx, xp: list[int]) -> None:
        for s, v in zip(op.site_list, op.value_list, strict=True):
            xp[self._site(env, s)] = int(env[v])

    def _flip_sites(self, op: sym.FlipSitesOp, env: Env, ctx: _Ctx, xp: list[int]) -> None:
        op.flip(xp, int(env[op.index]), self.states)

    def _invalidate(self, op: sym.InvalidateOp, env: Env, ctx: _Ctx, xp: list[int]) -> None:
        raise _Invalidated

    def _cond(self, op: sym.CondOp, env: Env, ctx: _Ctx, xp: list[int]) -> None:
        region = op.then_region if env[op.condition] else op.else_region
        self.run_updates(region.block, env, ctx)

    def eval_amplitude(self, block: Block, env: Env, ctx: _Ctx) -> Value:
        for op in block.ops:
            if isinstance(op, sym.YieldOp):
                return env[op.value]
            self.eval_expr(op, env, ctx)
        raise RuntimeError("amplitude region without 'sym.yield'")

    # ---- one configuration

    def branches(self, x: tuple[int, ...]) -> list[tuple[list[int], Value]]:
        """The active branches `(x', mel)` of configuration `x`, in program order."""
        out: list[tuple[list[int], Value]] = []
        for term in self.terms:
            found = [b for row in term.row_table for b in self._row_branches(term, row, x)]
            hint = term.fanout.data if term.fanout is not None else None
            if hint is not None and len(found) > hint:
                raise ValueError(
                    f"term @{term.sym_name.data} produced {len(found)} active branches for "
                    f"configuration {list(x)}, more than its fan-out hint {hint}"
                )
            out.extend(found)
        return out

    def _row_branches(
        self, term: sym.TermOp, row: tuple[int, ...], x: tuple[int, ...]
    ) -> list[tuple[list[int], Value]]:
        """The active branches of one row of a term (steps 1-3 of the semantics)."""
        ctx = _Ctx(x=x, labels=dict(zip(term.label_names, row, strict=True)))
        env: Env = {}
        predicate = True
        for op in term.body.block.ops:
            if isinstance(op, sym.EmissionOp):
                continue
            if isinstance(op, sym.WhereOp):
                predicate = bool(env[op.predicate])
            else:
                self.eval_expr(op, env, ctx)
        if not predicate:
            return []
        out = []
        for emission in term.emissions:
            if emission.condition is not None and not env[emission.condition]:
                continue
            branch = self._emission_branch(term, emission, dict(env), ctx)
            if branch is not None:
                out.append(branch)
        return out

    def _emission_branch(
        self, term: sym.TermOp, emission: sym.EmissionOp, env: Env, ctx: _Ctx
    ) -> tuple[list[int], Value] | None:
        """`(x', mel)` of one emission, or None where the branch is dropped."""
        ctx.xp = list(ctx.x)
        try:
            self.run_updates(emission.update.block, env, ctx)
        except _Invalidated:
            return None
        if not self.state_set.issuperset(ctx.xp):
            return None
        mel = self.eval_amplitude(emission.amplitude.block, env, ctx)
        if self.dtype == np.float64 and isinstance(mel, complex):
            raise ValueError(
                f"term @{term.sym_name.data} yields the complex value {mel} but "
                f"operator @{self.operator.sym_name.data} is real"
            )
        return ctx.xp, mel

    def check_config(self, x: np.ndarray) -> tuple[int, ...]:
        """`x` as a tuple of ints, or a `ValueError` saying what is wrong. A numeric `x` is
        tested with numpy over the whole configuration (an operator may have 2**24 sites)."""
        if x.shape != (self.n,):
            raise ValueError(f"configuration must have shape ({self.n},), got {tuple(x.shape)}")
        if x.dtype.kind not in "biuf":  # complex or Python objects: one value at a time
            values = []
            for v in x.tolist():
                if isinstance(v, complex) or not float(v).is_integer():
                    raise ValueError(f"configuration {x.tolist()} has a non-integer value {v}")
                values.append(int(v))
            self._check_states(values, [v for v in values if v not in self.state_set])
            return tuple(values)
        if x.dtype.kind == "f":
            fractional = ~np.isfinite(x) | (np.floor(x) != x)
            if fractional.any():
                v = x[np.argmax(fractional)].item()
                raise ValueError(f"configuration {x.tolist()} has a non-integer value {v}")
        outside = ~np.isin(x, self.states)
        if outside.any():
            self._check_states([int(v) for v in x.tolist()], [int(v) for v in x[outside]])
        return tuple(x.astype(np.int64).tolist())

    def _check_states(self, values: list[int], bad: list[int]) -> None:
        if bad:
            raise ValueError(
                f"configuration {values} has values {bad} outside the local states "
                f"{list(self.states)}"
            )


_LEAVES: dict[type[Operation], Callable[..., Value]] = {
    sym.ConstantOp: _Interpreter._constant,
    sym.ParamOp: _Interpreter._param,
    sym.LabelOp: _Interpreter._label,
    sym.ReadOp: _Interpreter._read,
    sym.ReadEmittedOp: _Interpreter._read_emitted,
    sym.CountOp: _Interpreter._count,
    sym.NthSiteOp: _Interpreter._nth_site,
    sym.ParitySumOp: _Interpreter._parity_sum,
}
"""The value ops that are not expression ops: their rules need the interpreter's state."""

_UPDATES: dict[type[Operation], Callable[..., None]] = {
    sym.WriteOp: _Interpreter._write,
    sym.ShiftOp: _Interpreter._shift,
    sym.ShiftModOp: _Interpreter._shift_mod,
    sym.SwapOp: _Interpreter._swap,
    sym.PermuteOp: _Interpreter._permute,
    sym.AffineOp: _Interpreter._affine,
    sym.ScatterOp: _Interpreter._scatter,
    sym.FlipSitesOp: _Interpreter._flip_sites,
    sym.InvalidateOp: _Interpreter._invalidate,
    sym.CondOp: _Interpreter._cond,
}
"""The update ops: each mutates `x'` (`xp`)."""


# --------------------------------------------------------------------------- public API


def reference_get_conn(
    module_or_operator: Any,
    x: Any,
    params: Mapping[str, complex | float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Active branches of one configuration `x` (shape `(N,)`): `xp (B, N)`, `mels (B,)`.

    One entry per active (term, row, emission) in program order; nothing is merged.
    """
    interp = _Interpreter(_as_operator(module_or_operator), params)
    x = np.asarray(x)
    return _conn(interp, x)


def _conn(interp: _Interpreter, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    config = interp.check_config(x)
    branches = interp.branches(config)
    xp = np.empty((len(branches), interp.n), dtype=x.dtype)
    mels = np.empty((len(branches),), dtype=interp.dtype)
    for k, (state, mel) in enumerate(branches):
        xp[k] = state
        mels[k] = mel
    return xp, mels


def reference_get_conn_padded(
    module_or_operator: Any,
    x: Any,
    params: Mapping[str, complex | float] | None = None,
    max_conn_size: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """`x (..., N)` -> `xp (..., F, N)`, `mels (..., F)` with padding `xp = x`, `mel = 0`.

    `F` is `max_conn_size` or, by default, `static_fanout(operator)`. A configuration with
    more than `F` active branches raises `ValueError` (never silently truncated).
    """
    operator = _as_operator(module_or_operator)
    interp = _Interpreter(operator, params)
    fanout = static_fanout(operator) if max_conn_size is None else int(max_conn_size)
    x = np.asarray(x)
    if x.ndim < 1 or x.shape[-1] != interp.n:
        raise ValueError(f"x must have shape (..., {interp.n}), got {x.shape}")
    batch = x.shape[:-1]
    flat = x.reshape(-1, interp.n)
    xp = np.repeat(flat[:, None, :], fanout, axis=1)
    mels = np.zeros((flat.shape[0], fanout), dtype=interp.dtype)
    for b in range(flat.shape[0]):
        conn_x, conn_m = _conn(interp, flat[b])
        if len(conn_m) > fanout:
            raise ValueError(
                f"configuration {flat[b].tolist()} has {len(conn_m)} active branches, more "
                f"than the static fan-out {fanout}"
            )
        xp[b, : len(conn_m)] = conn_x
        mels[b, : len(conn_m)] = conn_m
    return xp.reshape(*batch, fanout, interp.n), mels.reshape(*batch, fanout)


def reference_basis(module_or_operator: Any) -> np.ndarray:
    """All basis states `(d**N, N)`, lexicographic over the increasing local states,
    first site most significant."""
    operator = _as_operator(module_or_operator)
    n = operator.num_sites.data
    states = np.asarray(operator.states, dtype=np.int64)
    d = len(states)
    idx = np.indices((d,) * n).reshape(n, -1).T
    return states[idx]


def reference_to_dense(
    module_or_operator: Any,
    params: Mapping[str, complex | float] | None = None,
    hilbert: Any = None,
) -> np.ndarray:
    """The dense matrix `H[row(x), row(x')] += mel` over all basis states.

    The basis is `reference_basis(op)` (row index `sum_i idx(x[i]) * d**(N-1-i)`) or, if
    `hilbert` is given, `hilbert.all_states()` (e.g. a NetKet hilbert space). A branch
    leaving that basis raises `ValueError`.
    """
    operator = _as_operator(module_or_operator)
    interp = _Interpreter(operator, params)
    basis = reference_basis(operator) if hilbert is None else np.asarray(hilbert.all_states())
    index = {_key(s): k for k, s in enumerate(basis)}
    h = np.zeros((len(basis), len(basis)), dtype=interp.dtype)
    for r, state in enumerate(basis):
        xp, mels = _conn(interp, np.asarray(state))
        for s, mel in zip(xp, mels, strict=True):
            c = index.get(_key(s))
            if c is None:
                raise ValueError(f"branch {s.tolist()} of {state.tolist()} is not in the basis")
            h[r, c] += mel
    return h


def _key(state: Iterable[Any]) -> tuple[int, ...]:
    return tuple(round(float(v)) for v in state)


def _table_value(name: str, op: sym.ParamOp, value: Any) -> np.ndarray:
    """The entries of a table parameter: `K` real numbers."""
    size = op.result.type.get_shape()[0]  # type: ignore[union-attr]
    entries = np.asarray(value)
    if np.iscomplexobj(entries):
        raise ValueError(f"table parameter '{name}' is real; got complex entries")
    entries = entries.astype(np.float64)
    if entries.shape != (size,):
        raise ValueError(
            f"table parameter '{name}' has {size} entries; got an array of shape {entries.shape}"
        )
    return entries
