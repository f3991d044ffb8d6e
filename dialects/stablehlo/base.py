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


def dim_text(size: int) -> str:
    """A dimension as the printed type writes it: `?` for a dynamic one."""
    return "?" if size == DYNAMIC else str(size)


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


BATCH = "b"
"""An entry of a shape operand that is the batch size: every dynamic dimension (`?`) of
symir's `stablehlo` level is the batch size `b` of `@main` (the runtime refuses inputs
whose dynamic dimensions differ), so jaxlib's shape refinement, which makes every `?` the
same `b`, must find every op's shapes consistent. The verifiers hold to that rule: a
`?` only ever meets a `?` (never a static size it would have to equal), a shape operand
gives `b` for a `?` and the static size for a static dimension."""


def known_entries(value: SSAValue) -> list[int | str | None] | None:
    """The entries of a 1-D static integer tensor known before it runs: an integer (from
    a ``stablehlo.constant``, or ``get_dimension_size`` of a static dimension), `BATCH`
    (``get_dimension_size`` of a dynamic dimension), through ``convert``, ``reshape`` and
    ``concatenate``; None for an entry that is not known. None for a value that is not a
    1-D static tensor. Verifiers check the known entries of shape operands (bounds,
    sizes), so that what verifies also refines."""
    typ = value.type
    if not isinstance(typ, TensorType) or len(typ.get_shape()) > 1:
        return None
    n = typ.get_shape()[0] if typ.get_shape() else 1
    if n == DYNAMIC:
        return None
    owner = value.owner
    name = getattr(owner, "name", None)
    if name == "stablehlo.constant":
        values = owner.value.get_values()  # type: ignore[union-attr]
        if len(values) == n and all(isinstance(v, int) for v in values):
            return [int(v) for v in values]
    elif name in ("stablehlo.convert", "stablehlo.reshape"):
        inner = known_entries(owner.operands[0])  # type: ignore[union-attr]
        if inner is not None and len(inner) == n:
            return inner
    elif name == "stablehlo.get_dimension_size":
        return _dimension_size(owner)  # type: ignore[arg-type]
    elif name == "stablehlo.concatenate":
        parts = [known_entries(v) for v in owner.operands]  # type: ignore[union-attr]
        if all(p is not None for p in parts) and sum(len(p) for p in parts) == n:  # type: ignore[arg-type]
            return [e for p in parts for e in p]  # type: ignore[union-attr]
    return [None] * n


def _dimension_size(op) -> list[int | str | None]:
    """The one entry of a ``get_dimension_size``: the static size, or `BATCH`."""
    operand, d = op.operands[0].type, op.dimension.value.data
    if isinstance(operand, TensorType) and 0 <= d < len(operand.get_shape()):
        size = operand.get_shape()[d]
        return [BATCH if size == DYNAMIC else size]
    return [None]
