"""The subset of the StableHLO dialect that ``convert-branch-to-stablehlo`` emits.

Op names, operand/result names and property names are the upstream ones
(https://github.com/openxla/stablehlo/blob/main/docs/spec.md); a class is named after
its mnemonic in CamelCase plus ``Op`` (``stablehlo.negate`` is ``NegateOp``). The printed
form of every op is one that jaxlib's MLIR parser accepts: the upstream pretty form where
an xDSL ``assembly_format`` can write it exactly, the generic form otherwise (see
``docs/dialects/stablehlo.md``). jaxlib silently ignores unknown properties in the generic
form, so every op is tested by *executing* it through JAX
(``tests/unit/dialects/test_stablehlo_ops.py``).

What lives where:

* ``base``: helpers shared by the op modules (``DYNAMIC``, ``TensorConstr``, ...);
* ``attributes``: the ``compare`` enums, ``#stablehlo.gather<...>`` and ``#stablehlo.dot<...>``;
* ``elementwise``: binary and unary arithmetic and logic, ``complex``/``real``/``imag``,
  ``abs``, ``convert``, ``compare``, ``select``;
* ``tensor``: ``constant``, ``get_dimension_size``, ``reshape``, ``concatenate``,
  ``dynamic_broadcast_in_dim``, ``iota``;
* ``indexing``: ``real_dynamic_slice``, ``dynamic_update_slice``, ``gather``,
  ``dynamic_gather``;
* ``contraction``: ``dot_general``;
* ``reduction``: ``reduce``, its terminator ``return``, ``scalar_body`` and ``pairwise_body``;
* ``hex_float``: the workaround for xDSL reading hex float literals as integers (used by
  ``constant`` only).

How to add an op (only one that a lowering emits):

1. define the class in the module of its category, named after its mnemonic, with the
   upstream operand, result and property names, a docstring with its printed form, and
   an ``assembly_format`` if the upstream pretty form can be written as one (check that
   jaxlib parses it);
2. nothing here: the ``Stablehlo`` dialect, the package's names and ``__all__`` take
   every op class its modules define (``operations_defined_in``);
3. one case per verifier message in ``tests/lit/dialects/stablehlo/invalid.mlir``; an op
   that is the one-op lowering of a ``branch`` elementwise op is round-tripped and
   executed by ``tests/unit/symir/test_op_table.py`` (through its ``sym`` op), any other
   gets a round-trip case in ``tests/lit/dialects/stablehlo/ops.mlir`` and an executed
   case in ``tests/unit/dialects/test_stablehlo_ops.py``;
4. regenerate the op table of ``docs/dialects/stablehlo.md``
   (``python docs/gen_tables.py``).

This package must not import jax: the opt driver imports it.
"""

from xdsl.ir import Dialect

from symir.dialects.registry import operations_defined_in

from . import contraction, elementwise, indexing, reduction, tensor
from .attributes import (
    ComparisonDirection,
    ComparisonDirectionAttr,
    ComparisonType,
    ComparisonTypeAttr,
    DotDimensionNumbers,
    GatherDimensionNumbers,
)
from .base import DYNAMIC
from .elementwise import ElementwiseBinaryOp, ElementwiseUnaryOp
from .reduction import pairwise_body, scalar_body
from .tensor import element_type_of_dtype

OPERATIONS = tuple(
    op
    for module in (elementwise, tensor, indexing, contraction, reduction)
    for op in operations_defined_in(module)
)
"""Every op class of the dialect, module by module in the order each defines them."""

# Every op is a name of the package (`stablehlo.FloorOp`): a new one needs no line here.
for _op in OPERATIONS:
    globals()[_op.__name__] = _op

Stablehlo = Dialect(
    "stablehlo",
    list(OPERATIONS),
    [
        ComparisonDirectionAttr,
        ComparisonTypeAttr,
        DotDimensionNumbers,
        GatherDimensionNumbers,
    ],
)

__all__ = [
    "DYNAMIC",
    "OPERATIONS",
    "ComparisonDirection",
    "ComparisonDirectionAttr",
    "ComparisonType",
    "ComparisonTypeAttr",
    "DotDimensionNumbers",
    "ElementwiseBinaryOp",
    "ElementwiseUnaryOp",
    "GatherDimensionNumbers",
    "Stablehlo",
    "element_type_of_dtype",
    "pairwise_body",
    "scalar_body",
    *(op.__name__ for op in OPERATIONS),
]  # pyright: ignore[reportUnsupportedDunderAll]
