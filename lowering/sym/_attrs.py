"""Python values <-> builtin attributes for the analyses written onto the module."""

from __future__ import annotations

import hashlib
from typing import Any

from xdsl.dialects.builtin import (
    ArrayAttr,
    BoolAttr,
    DictionaryAttr,
    IntegerAttr,
    ModuleOp,
    StringAttr,
    i1,
    i64,
)
from xdsl.ir import Attribute

from symir.dialects import print_module, sym

ANALYSIS_ATTR_PREFIX = "sym."
"""Analyses are written onto the `builtin.module` as attributes `sym.<name>`."""


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


def from_attr(attr: Attribute) -> Any:
    """The Python value of an attribute written by `to_attr`."""
    if isinstance(attr, IntegerAttr):
        return bool(attr.value.data) if attr.type == i1 else attr.value.data
    if isinstance(attr, StringAttr):
        return attr.data
    if isinstance(attr, DictionaryAttr):
        return {k: from_attr(v) for k, v in attr.data.items()}
    if isinstance(attr, ArrayAttr):
        return [from_attr(v) for v in attr.data]
    raise TypeError(f"not an analysis value: {attr}")


def set_analysis(module: ModuleOp, name: str, value: Any) -> None:
    """Writes the analysis `name` onto the module as the attribute `sym.<name>`."""
    module.attributes[f"{ANALYSIS_ATTR_PREFIX}{name}"] = to_attr(value)


RECORDS = frozenset({"normalization", "fanout_analysis"})
"""Analysis attributes that are records of several analyses: `read_analyses` gives each
field its own entry (`sym.normalization = {ir_fingerprint = ..., term_order = ...}`)."""


def read_analyses(module: ModuleOp) -> dict[str, Any]:
    """The analyses the module carries, as the compiler's `context.analyses` entries: an
    attribute `sym.<name>` is the entry `<name>`, and a record's fields are entries too."""
    found: dict[str, Any] = {}
    for key, attr in module.attributes.items():
        if not key.startswith(ANALYSIS_ATTR_PREFIX):
            continue
        name = key.removeprefix(ANALYSIS_ATTR_PREFIX)
        found[name] = from_attr(attr)
        if name in RECORDS:
            found.update(found[name])
    return found


def operator_of(module: ModuleOp) -> sym.OperatorOp:
    ops = list(module.ops)
    if len(ops) != 1 or not isinstance(ops[0], sym.OperatorOp):
        raise ValueError("expected a module holding exactly one 'sym.operator'")
    return ops[0]


def module_fingerprint(module: ModuleOp) -> str:
    """SHA-256 of the canonical printed module (SSA names and analysis attributes dropped)."""
    clone = module.clone()
    for k in [k for k in clone.attributes if k.startswith(ANALYSIS_ATTR_PREFIX)]:
        del clone.attributes[k]
    for op in clone.walk():
        for r in op.results:
            r.name_hint = None
    return hashlib.sha256(print_module(clone).encode()).hexdigest()
