"""Writes that flip a site between the two local states (docs/cost-model.md).

A `branch.write` whose value is `s0 + s1 - x[site]`, read from the kernel's input `x` at
the sites it writes (`write(i, -s_i)` on a spin-1/2, `write(i, 1 - n_i)` on a qubit), flips
each of its sites. Any chain of such writes on a row (at distinct sites or not: each
reads `x`, not the row's `x'`) is `x` with the union of their sites flipped, and
`convert-branch-to-stablehlo` builds it as one `select(mask, s0 + s1 - x, x)` over all the
rows of the emissions a concat joins (`KernelLowering.emitted`), where it would otherwise
be one select per write; `branch-choose-lowering` counts such a chain as one write.

A write of the constant `s0 + s1 - s` at a site `branch.nth_site` found holding `s`
(`is_state_flip`: a fermion's annihilation at the k-th occupied orbital, a creation at
the k-th empty one) flips it too, at a site known only at run time: a chain of them is
built as `select(hit_1 or hit_2 or ..., s0 + s1 - x, x)` (the `or` of one compare per
write, no select per write; `KernelLowering.emitted`). `branch-choose-lowering` still
counts each as a write (each is a compare in the loop over the sites).
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import IntegerAttr
from xdsl.ir import Operation, SSAValue

from symir.dialects import branch


def _constant(v: SSAValue) -> int | None:
    owner = v.owner
    if isinstance(owner, branch.ConstantOp) and isinstance(owner.value, IntegerAttr):
        return owner.value.value.data
    return None


def _same_sites(a: SSAValue, b: SSAValue) -> bool:
    if a is b:
        return True
    pa, pb = a.owner, b.owner
    return (
        isinstance(pa, branch.ColumnOp)
        and isinstance(pb, branch.ColumnOp)
        and pa.values == pb.values
        and a.type == b.type
    )


def is_flip(op: branch.WriteOp, x: SSAValue, states: Sequence[int]) -> bool:
    """Whether `op` writes `s0 + s1 - x` at its sites, `x` the kernel's input read at
    those same sites, on two local states `states`."""
    if len(states) != 2:
        return False
    total = int(states[0]) + int(states[1])
    value = op.values.owner
    if not isinstance(value, Operation):
        return False
    if value.name == "branch.neg" and total == 0:
        source = value.operands[0]
    elif value.name == "branch.sub" and _constant(value.operands[0]) == total:
        source = value.operands[1]
    else:
        return False
    read = source.owner
    return isinstance(read, branch.ReadOp) and read.x is x and _same_sites(read.sites, op.sites)


def is_state_flip(op: branch.WriteOp, x: SSAValue, states: Sequence[int]) -> bool:
    """Whether `op` writes the constant `s0 + s1 - s` at a site that `branch.nth_site %x`
    found holding `s` in the kernel's input `x` (a fermion's `c_P` at the k-th occupied
    orbital writes 0 there, `c+_Q` at the k-th empty one writes 1): a flip too, at
    sites known at run time (-1, no site, where the rank has none). Two such writes at
    one site write one value (the site's flip), so a chain of them and of `is_flip`'s is
    `x` with the union of their sites flipped."""
    if len(states) != 2:
        return False
    site, value = op.sites.owner, _constant(op.values)
    return (
        isinstance(site, branch.NthSiteOp)
        and site.x is x
        and value is not None
        and value == int(states[0]) + int(states[1]) - site.state.value.data
    )


def flip_writes(kernel: branch.KernelOp, found_sites: bool = False) -> set[int]:
    """The `id`s of the writes of `kernel` that flip their sites (`is_flip`; with
    `found_sites`, also `is_state_flip`'s, at sites known at run time)."""
    states = [int(s) for s in kernel.states]
    return {
        id(op)
        for op in kernel.body.block.ops
        if isinstance(op, branch.WriteOp)
        and (is_flip(op, kernel.x, states) or (found_sites and is_state_flip(op, kernel.x, states)))
    }


__all__ = ["flip_writes", "is_flip", "is_state_flip"]
