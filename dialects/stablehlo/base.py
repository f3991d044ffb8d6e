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
