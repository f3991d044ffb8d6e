"""What the `branch` level proves about each output slot of a kernel, for the local-energy
path (`symir.runtime.local_energy`).

Each slot of `get_conn_padded`'s fan-out `F` is one of:

- `"diagonal"`: its branch's state is `branch.state %x` itself (an identity update, e.g.
  the slot of `branch-coalesce-diagonal`): `x' = x` in every row, so the local energy
  takes its matrix element as it is and never evaluates the wave function there;
- `"valid"`: the branch's mask is the constant `true` and its state is built from
  `branch.state` by unchecked `branch.write`s only: it is valid in every row (its `x'`
  may still equal `x`, which the runtime checks);
- `"maybe"`: anything else (a predicate, an `emit_if`, a checked write, an invalidation,
  a `branch.select_state`, a fused slot): valid in some rows only.

`kernel_slot_kinds(module)` reads this off the kernel's outputs (`output_concats`); it
returns None when the outputs are not the two `branch.concat`s of `branch.emit`s that the
default lowering produces, and the runtime then treats every slot as `"maybe"`.
"""

from __future__ import annotations

from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.ir import SSAValue

from symir.dialects import branch
from symir.dialects.branch.slot_kinds import SlotKind
from symir.lowering.branch._kernel_outputs import output_concats


def _always_true(mask: SSAValue) -> bool:
    owner = mask.owner
    if not isinstance(owner, branch.ConstantOp):
        return False
    value = owner.value
    return bool(getattr(value.value, "data", value.value))


def _unchecked_writes_only(state: SSAValue) -> bool:
    """The state is `branch.state %x` followed by unchecked `branch.write`s."""
    owner = state.owner
    while isinstance(owner, branch.WriteOp):
        if owner.checked is not None:
            return False
        owner = owner.state.owner
    return isinstance(owner, branch.StateOp)


def emit_kind(emit: branch.EmitOp) -> SlotKind:
    """The kind of every slot of one `branch.emit`."""
    if isinstance(emit.state.owner, branch.StateOp):
        return SlotKind.DIAGONAL
    if _always_true(emit.mask) and _unchecked_writes_only(emit.state):
        return SlotKind.VALID
    return SlotKind.MAYBE


def kernel_slot_kinds(module: ModuleOp) -> tuple[SlotKind, ...] | None:
    """One kind per output slot of the module's only `branch.kernel`, in slot order."""
    kernels = [op for op in module.walk() if isinstance(op, branch.KernelOp)]
    if len(kernels) != 1:
        return None
    concats = output_concats(kernels[0])
    if concats is None:
        return None
    kinds: list[SlotKind] = []
    for value in concats[0].inputs:
        emit = value.owner
        if not isinstance(emit, branch.EmitOp) or value is not emit.xp:
            return None
        width = value.type.get_shape()[1] if isinstance(value.type, TensorType) else None
        if not isinstance(width, int) or width < 0:
            return None
        kinds += [emit_kind(emit)] * width
    return tuple(kinds)
