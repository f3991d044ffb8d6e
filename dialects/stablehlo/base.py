"""Helpers shared by the op modules of the stablehlo dialect (no ops, no attributes)."""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import DYNAMIC_INDEX, DenseArrayBase, TensorType, i64
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import base
from xdsl.utils.exceptions import VerifyException

DYNAMIC = DYNAMIC_INDEX
"""Marker of a dynamic dimension in shapes passed to the builders (``DYNAMIC_INDEX``, printed ``?``)."""

TensorConstr = base(TensorType)
"""The constraint of every operand and result: a ranked tensor."""


def tensor_of(value: SSAValue | Attribute) -> TensorType:
    """The ranked tensor type of ``value`` (a value or a type); raises ``VerifyException``
    for anything else."""
    typ = value.type if isinstance(value, SSAValue) else value
    if not isinstance(typ, TensorType):
        raise VerifyException(f"expected a ranked tensor, got {typ}")
    return typ


def i64_array(values: Sequence[int]) -> DenseArrayBase:
    """``array<i64: ...>`` of ``values``."""
    return DenseArrayBase.from_list(i64, [int(v) for v in values])


def known_entries(value: SSAValue) -> list[int | None] | None:
    """The entries of a 1-D static integer tensor that are known before it runs (from a
    ``stablehlo.constant``, through ``stablehlo.concatenate``), None for an entry that is
    not, as jaxlib's shape refinement will see them once the batch size is known; None
    for a value that is not a 1-D static tensor. Verifiers check the known entries of
    shape operands (bounds, sizes), so that what verifies also refines."""
    typ = value.type
    if not isinstance(typ, TensorType) or len(typ.get_shape()) != 1:
        return None
    (n,) = typ.get_shape()
    if n == DYNAMIC:
        return None
    owner = value.owner
    name = getattr(owner, "name", None)
    if name == "stablehlo.constant":
        values = owner.value.get_values()  # type: ignore[union-attr]
        if len(values) == n and all(isinstance(v, int) for v in values):
            return [int(v) for v in values]
    elif name == "stablehlo.concatenate":
        parts = [known_entries(v) for v in owner.operands]  # type: ignore[union-attr]
        if all(p is not None for p in parts) and sum(len(p) for p in parts) == n:  # type: ignore[arg-type]
            return [e for p in parts for e in p]  # type: ignore[union-attr]
    return [None] * n
