"""Evaluating one equation of a jaxpr: the step every jaxpr rewrite of the runtime takes
(`fewer_logs`, `lapack_order`, `determinant_updates`, `network_split` run a network's
program equation by equation, rewriting some of them)."""

from __future__ import annotations

import contextlib
from typing import Any

__all__ = ["bind"]


def bind(eqn: Any, invals: list[Any], params: dict | None = None) -> list[Any]:
    """The outputs of the equation `eqn` on the values `invals`, always a list;
    `params` in place of the equation's own where given. Bound in the equation's
    context (its source information and name stack) where it has one."""
    params = eqn.primitive.get_bind_params(eqn.params if params is None else params)
    ctx = getattr(eqn, "ctx", None)
    with ctx.manager if ctx is not None else contextlib.nullcontext():
        outs = eqn.primitive.bind(*invals, **params)
    return list(outs) if eqn.primitive.multiple_results else [outs]
