"""Python values <-> builtin attributes for the analyses written onto the module."""

from __future__ import annotations

from typing import Any

from xdsl.dialects.builtin import (
    ArrayAttr,
    BoolAttr,
    DictionaryAttr,
    IntegerAttr,
    ModuleOp,
    StringAttr,
    i64,
)
from xdsl.ir import Attribute

from symir.dialects import sym


def to_attr(value: Any) -> Attribute:
    if isinstance(value, bool):
        return BoolAttr.from_bool(value)
    if isinstance(value, int):
        return IntegerAttr(value, i64)
    if isinstance(value, str):
        return StringAttr(value)
    if isinstance(value, dict):
        return DictionaryAttr({str(k): to_attr(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return ArrayAttr([to_attr(v) for v in value])
    raise TypeError(f"cannot store {value!r} as an attribute")


def set_analysis(module: ModuleOp, name: str, value: Any) -> None:
    module.attributes[f"sym.{name}"] = to_attr(value)


def operator_of(module: ModuleOp) -> sym.OperatorOp:
    ops = list(module.ops)
    if len(ops) != 1 or not isinstance(ops[0], sym.OperatorOp):
        raise ValueError("expected a module holding exactly one 'sym.operator'")
    return ops[0]
