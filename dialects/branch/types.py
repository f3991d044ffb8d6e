"""The `!branch.state` type and the helpers the op modules share: value types
(`values_type`), `i64_array`, and the checks of row counts and configuration shapes.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from xdsl.dialects.builtin import DYNAMIC_INDEX as DYN
from xdsl.dialects.builtin import BytesAttr, DenseArrayBase, IntAttr, IntegerType, TensorType, i64
from xdsl.ir import Attribute, Operation, ParametrizedAttribute, SSAValue, TypeAttribute
from xdsl.irdl import irdl_attr_definition, param_def
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

from symir.dialects.types import NUMERIC


@irdl_attr_definition
class StateType(ParametrizedAttribute, TypeAttribute):
    """`!branch.state<MxNxT>`: per batch entry and row, a configuration `x'` of N sites of
    element type T, and a validity flag. Lowered to `tensor<?xMxNxT>` and `tensor<?xMxi1>`.
    """

    name = "branch.state"

    rows: IntAttr = param_def(IntAttr)
    sites: IntAttr = param_def(IntAttr)
    element_type: IntegerType = param_def(IntegerType)

    def __init__(self, rows: int, sites: int, element_type: IntegerType):
        super().__init__(IntAttr(rows), IntAttr(sites), element_type)

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[Attribute]:
        parser.parse_punctuation("<")
        shape, elem = parser.parse_ranked_shape()
        parser.parse_punctuation(">")
        if len(shape) != 2:
            parser.raise_error("!branch.state expects <rows x sites x type>")
        return (IntAttr(shape[0]), IntAttr(shape[1]), elem)

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string(f"<{self.rows.data}x{self.sites.data}x")
        printer.print_attribute(self.element_type)
        printer.print_string(">")


def i64_array(values: Sequence[int]) -> DenseArrayBase:
    """`array<i64: ...>` of `values`, packed by numpy (what `DenseArrayBase.from_list`
    gives, without a Python call per value: a row-table column has thousands)."""
    data = np.asarray(values, dtype=np.int64).astype("<i8", copy=False)
    return DenseArrayBase(i64, BytesAttr(data.tobytes()))


@lru_cache(maxsize=4096)
def values_type(rows: int, element_type: Attribute) -> TensorType:
    """`tensor<?xMxT>`: one value per batch entry and row (made once per `rows` and
    type: building a `TensorType` costs more than the verifiers that ask for it)."""
    return TensorType(element_type, [DYN, rows])


def _rows_of(op: Operation, t: Attribute, what: str) -> int:
    if not isinstance(t, TensorType) or len(t.get_shape()) != 2 or t.get_shape()[0] != DYN:
        raise VerifyException(f"'{op.name}' {what} must be a tensor<?xMxT>, got {t}")
    return t.get_shape()[1]


def _elem(t: Attribute) -> Attribute:
    if not isinstance(t, TensorType):
        raise VerifyException(f"expected a tensor type, got {t}")
    return t.element_type


def _input_sites(op: Operation, t: Attribute) -> int:
    if not isinstance(t, TensorType) or len(t.get_shape()) != 2 or t.get_shape()[0] != DYN:
        raise VerifyException(f"'{op.name}' configurations must be a tensor<?xNxiK>, got {t}")
    return t.get_shape()[1]


def _same_rows(op: Operation, values: Sequence[SSAValue]) -> int:
    rows = {_rows_of(op, v.type, "operand") for v in values}
    if len(rows) != 1:
        raise VerifyException(f"'{op.name}' operands have different row counts {sorted(rows)}")
    return rows.pop()


Numeric = NUMERIC
