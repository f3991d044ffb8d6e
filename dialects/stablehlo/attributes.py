"""Attributes of the stablehlo dialect: the ``compare`` enums and the dimension numbers
of ``gather`` and ``dot_general``, spelled as upstream prints them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from xdsl.dialects.builtin import ArrayAttr, IntAttr
from xdsl.dialects.utils import EnumAttribute
from xdsl.ir import Attribute, ParametrizedAttribute, SpacedOpaqueSyntaxAttribute
from xdsl.irdl import irdl_attr_definition
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.str_enum import StrEnum


class ComparisonDirection(StrEnum):
    EQ = "EQ"
    NE = "NE"
    GE = "GE"
    GT = "GT"
    LE = "LE"
    LT = "LT"


class ComparisonType(StrEnum):
    NOTYPE = "NOTYPE"
    FLOAT = "FLOAT"
    TOTALORDER = "TOTALORDER"
    SIGNED = "SIGNED"
    UNSIGNED = "UNSIGNED"


@irdl_attr_definition
class ComparisonDirectionAttr(EnumAttribute[ComparisonDirection], SpacedOpaqueSyntaxAttribute):
    """``#stablehlo<comparison_direction LT>``"""

    name = "stablehlo.comparison_direction"


@irdl_attr_definition
class ComparisonTypeAttr(EnumAttribute[ComparisonType], SpacedOpaqueSyntaxAttribute):
    """``#stablehlo<comparison_type FLOAT>``"""

    name = "stablehlo.comparison_type"


def _int_list(values: Sequence[int]) -> ArrayAttr[IntAttr]:
    return ArrayAttr(IntAttr(int(v)) for v in values)


@irdl_attr_definition
class GatherDimensionNumbers(ParametrizedAttribute):
    """Upstream ``#stablehlo.gather<...>``, e.g.

    ```mlir
    #stablehlo.gather<offset_dims = [1], collapsed_slice_dims = [0],
                      start_index_map = [0], index_vector_dim = 1>
    ```

    Every field is a list of integers except ``index_vector_dim``. Empty lists are omitted
    when printing, as upstream does, and fields may be given in any order when parsing.
    """

    name = "stablehlo.gather"

    LIST_FIELDS: ClassVar[tuple[str, ...]] = (
        "offset_dims",
        "collapsed_slice_dims",
        "operand_batching_dims",
        "start_indices_batching_dims",
        "start_index_map",
    )

    offset_dims: ArrayAttr[IntAttr]
    collapsed_slice_dims: ArrayAttr[IntAttr]
    operand_batching_dims: ArrayAttr[IntAttr]
    start_indices_batching_dims: ArrayAttr[IntAttr]
    start_index_map: ArrayAttr[IntAttr]
    index_vector_dim: IntAttr

    def __init__(
        self,
        *,
        offset_dims: Sequence[int] = (),
        collapsed_slice_dims: Sequence[int] = (),
        operand_batching_dims: Sequence[int] = (),
        start_indices_batching_dims: Sequence[int] = (),
        start_index_map: Sequence[int] = (),
        index_vector_dim: int,
    ):
        super().__init__(
            _int_list(offset_dims),
            _int_list(collapsed_slice_dims),
            _int_list(operand_batching_dims),
            _int_list(start_indices_batching_dims),
            _int_list(start_index_map),
            IntAttr(index_vector_dim),
        )

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[Attribute]:
        values: dict[str, Attribute] = {}
        names = (*cls.LIST_FIELDS, "index_vector_dim")

        def parse_field() -> None:
            key = parser.parse_identifier()
            if key not in names:
                parser.raise_error(f"unknown field '{key}' in {cls.name}, expected one of {names}")
            if key in values:
                parser.raise_error(f"duplicate field '{key}' in {cls.name}")
            parser.parse_punctuation("=")
            if key == "index_vector_dim":
                values[key] = IntAttr(parser.parse_integer())
            else:
                ints = parser.parse_comma_separated_list(
                    parser.Delimiter.SQUARE, parser.parse_integer
                )
                values[key] = _int_list(ints)

        parser.parse_comma_separated_list(parser.Delimiter.ANGLE, parse_field)
        if "index_vector_dim" not in values:
            parser.raise_error(f"{cls.name} needs 'index_vector_dim'")
        return [values.get(n, ArrayAttr(())) for n in cls.LIST_FIELDS] + [
            values["index_vector_dim"]
        ]

    def print_parameters(self, printer: Printer) -> None:
        parts = [
            f"{n} = [{', '.join(str(v) for v in self.get(n))}]"
            for n in self.LIST_FIELDS
            if self.get(n)
        ]
        parts.append(f"index_vector_dim = {self.index_vector_dim.data}")
        printer.print_string("<" + ", ".join(parts) + ">")

    def get(self, field: str) -> tuple[int, ...]:
        """The integers of the list field ``field``."""
        return tuple(a.data for a in getattr(self, field).data)


@irdl_attr_definition
class DotDimensionNumbers(ParametrizedAttribute):
    """Upstream ``#stablehlo.dot<...>``, e.g.

    ```mlir
    #stablehlo.dot<lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [0]>
    ```

    Four lists of integers; empty lists are omitted when printing, as upstream does, and
    fields may be given in any order when parsing.
    """

    name = "stablehlo.dot"

    LIST_FIELDS: ClassVar[tuple[str, ...]] = (
        "lhs_batching_dimensions",
        "rhs_batching_dimensions",
        "lhs_contracting_dimensions",
        "rhs_contracting_dimensions",
    )

    lhs_batching_dimensions: ArrayAttr[IntAttr]
    rhs_batching_dimensions: ArrayAttr[IntAttr]
    lhs_contracting_dimensions: ArrayAttr[IntAttr]
    rhs_contracting_dimensions: ArrayAttr[IntAttr]

    def __init__(
        self,
        *,
        lhs_batching_dimensions: Sequence[int] = (),
        rhs_batching_dimensions: Sequence[int] = (),
        lhs_contracting_dimensions: Sequence[int] = (),
        rhs_contracting_dimensions: Sequence[int] = (),
    ):
        super().__init__(
            _int_list(lhs_batching_dimensions),
            _int_list(rhs_batching_dimensions),
            _int_list(lhs_contracting_dimensions),
            _int_list(rhs_contracting_dimensions),
        )

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[Attribute]:
        values: dict[str, Attribute] = {}

        def parse_field() -> None:
            key = parser.parse_identifier()
            if key not in cls.LIST_FIELDS:
                parser.raise_error(
                    f"unknown field '{key}' in {cls.name}, expected one of {cls.LIST_FIELDS}"
                )
            if key in values:
                parser.raise_error(f"duplicate field '{key}' in {cls.name}")
            parser.parse_punctuation("=")
            ints = parser.parse_comma_separated_list(parser.Delimiter.SQUARE, parser.parse_integer)
            values[key] = _int_list(ints)

        parser.parse_comma_separated_list(parser.Delimiter.ANGLE, parse_field)
        return [values.get(n, ArrayAttr(())) for n in cls.LIST_FIELDS]

    def print_parameters(self, printer: Printer) -> None:
        parts = [
            f"{n} = [{', '.join(str(v) for v in self.get(n))}]"
            for n in self.LIST_FIELDS
            if self.get(n)
        ]
        printer.print_string("<" + ", ".join(parts) + ">")

    def get(self, field: str) -> tuple[int, ...]:
        """The integers of the list field ``field``."""
        return tuple(a.data for a in getattr(self, field).data)
