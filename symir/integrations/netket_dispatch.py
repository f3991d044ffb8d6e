"""NetKet's dispatch rules for a `SymbolicOperator`: `vstate.expect(op)`,
`vstate.expect_and_grad(op)`, `vstate.expect_and_forces(op)` and
`vstate.local_estimators(op)` (which NetKet's `VMC_SR` calls) accept the symbolic operator
itself and forward to its compiled NetKet adapter (`op.to_netket()`, compiled once and
kept by the operator); NetKet's drivers call `op.collect()`, which gives that adapter
(`SymbolicOperator.collect`).

NetKet's variational states call the plum-dispatched functions `nk.vqs.expect`,
`nk.vqs.expect_and_grad` and `nk.vqs.expect_and_forces` with the state, the operator
and, for an `MCState`, its `chunk_size` (None or an int) and keyword arguments
(`mutable`, `use_covariance`); a `FullSumState` calls them without a chunk size. One rule
per function, on `(VariationalState, SymbolicOperator, *args, **kwargs)`, covers every
variant: a `SymbolicOperator` is not a NetKet `AbstractOperator`, so no NetKet rule
competes with it. Imported by `symir.integrations.netket` (which NetKet users load
through `op.to_netket()`, or which a `SymbolicOperator` loads when it is built while
NetKet is imported).
"""

from __future__ import annotations

from typing import Any

from netket.vqs import VariationalState, expect, expect_and_forces, expect_and_grad
from netket.vqs.mc import local_estimators

from symir.frontend.operator import SymbolicOperator

__all__: list[str] = []


@expect.dispatch
def _expect_symbolic(vstate: VariationalState, op: SymbolicOperator, *args: Any) -> Any:
    return expect(vstate, op.to_netket(), *args)


@expect_and_grad.dispatch
def _expect_and_grad_symbolic(
    vstate: VariationalState, op: SymbolicOperator, *args: Any, **kwargs: Any
) -> Any:
    return expect_and_grad(vstate, op.to_netket(), *args, **kwargs)


@expect_and_forces.dispatch
def _expect_and_forces_symbolic(
    vstate: VariationalState, op: SymbolicOperator, *args: Any, **kwargs: Any
) -> Any:
    return expect_and_forces(vstate, op.to_netket(), *args, **kwargs)


@local_estimators.dispatch
def _local_estimators_symbolic(vstate: VariationalState, op: SymbolicOperator, chunk_size: Any):
    return local_estimators(vstate, op.to_netket(), chunk_size)
