"""`vstate.expect_and_grad` as the benchmarks time it (`any_network.py`, `determinants.py`)."""

from __future__ import annotations

import netket as nk
from netket.vqs.mc.common import force_to_grad

from symir.integrations import netket_local_energy


def expect_and_grad(vs, op, *, packed=False, fast=True, ordered=False):
    """`vs.expect_and_grad(op)`'s mean and gradient, with NetKet's packed kernel when
    `packed` and symir's fast paths when `fast`; `ordered`: NetKet's program for `op`
    with its LAPACK calls in one order (a hermitian `op`: the forces made gradients as
    NetKet's `expect_and_grad` makes them; symir's operator runs so in any case)."""
    nk.config.netket_experimental_packed_kernel = packed
    netket_local_energy.set_fast_updates(fast)
    try:
        if ordered:
            e, forces = netket_local_energy.ordered_expect_and_forces(vs, op)
            return e.mean, force_to_grad(forces, vs.parameters)
        e, g = vs.expect_and_grad(op)
        return e.mean, g
    finally:
        nk.config.netket_experimental_packed_kernel = False
        netket_local_energy.set_fast_updates(True)
