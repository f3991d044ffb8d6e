"""Evaluating one equation of a jaxpr: the step every jaxpr rewrite of the runtime takes
(`fewer_logs`, `lapack_order`, `determinant_updates`, `network_split` run a network's
program equation by equation, rewriting some of them), and running a function of
concrete values now, as one compiled program (`run_now`)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import jax

__all__ = ["bind", "run_now"]


def bind(eqn: Any, invals: list[Any], params: dict | None = None) -> list[Any]:
    """The outputs of the equation `eqn` on the values `invals`, always a list;
    `params` in place of the equation's own where given. Bound in the equation's
    context (its source information and name stack) where it has one."""
    params = eqn.primitive.get_bind_params(eqn.params if params is None else params)
    ctx = getattr(eqn, "ctx", None)
    with ctx.manager if ctx is not None else contextlib.nullcontext():
        outs = eqn.primitive.bind(*invals, **params)
    return list(outs) if eqn.primitive.multiple_results else [outs]


def run_now(fn: Callable, *args: Any) -> Any:
    """`fn(*args)` traced and compiled as one program and run now, also while a trace
    encloses the call: one XLA compilation, where the primitives bound one by one under
    `ensure_compile_time_eval` would each compile their own (tens of compilations of
    10-50 ms for a network's check at compile time). Traced ahead of time (a `jit`
    called under `ensure_compile_time_eval` would fold the operations on constants
    inside `fn` one by one). The outputs are concrete arrays."""
    return jax.jit(fn).lower(*args).compile()(*args)
