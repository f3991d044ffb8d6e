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
* ``indexing``: ``real_dynamic_slice``, ``gather``, ``dynamic_gather``;
* ``contraction``: ``dot_general``;
* ``reduction``: ``reduce``, its terminator ``return``, and ``scalar_body``;
* ``hex_float``: the workaround for xDSL reading hex float literals as integers (used by
  ``constant`` only).

How to add an op (only one that a lowering emits):

1. define the class in the module of its category, named after its mnemonic, with the
   upstream operand, result and property names, a docstring with its printed form, and
   an ``assembly_format`` if the upstream pretty form can be written as one (check that
   jaxlib parses it);
2. import it here and add it to the ``Stablehlo`` list below (and ``__all__``);
3. add a round-trip case to ``tests/lit/dialects/stablehlo/ops.mlir``, an executed case
   to ``tests/unit/dialects/test_stablehlo_ops.py`` and one case per verifier message to
   ``tests/lit/dialects/stablehlo/invalid.mlir``;
4. add it to the op table of ``docs/dialects/stablehlo.md``.

This package must not import jax: the opt driver imports it.
"""

from xdsl.ir import Dialect

from .attributes import (
    ComparisonDirection,
    ComparisonDirectionAttr,
    ComparisonType,
    ComparisonTypeAttr,
    DotDimensionNumbers,
    GatherDimensionNumbers,
)
from .base import DYNAMIC
from .contraction import DotGeneralOp
from .elementwise import (
    AbsOp,
    AddOp,
    AndOp,
    CompareOp,
    ComplexOp,
    ConvertOp,
    CosineOp,
    DivideOp,
    ElementwiseBinaryOp,
    ElementwiseUnaryOp,
    ExponentialOp,
    FloorOp,
    ImagOp,
    LogOp,
    MaximumOp,
    MinimumOp,
    MultiplyOp,
    NegateOp,
    NotOp,
    OrOp,
    PowerOp,
    RealOp,
    RemainderOp,
    SelectOp,
    SineOp,
    SqrtOp,
    SubtractOp,
)
from .indexing import DynamicGatherOp, GatherOp, RealDynamicSliceOp
from .reduction import ReduceOp, ReturnOp, scalar_body
from .tensor import (
    ConcatenateOp,
    ConstantOp,
    DynamicBroadcastInDimOp,
    GetDimensionSizeOp,
    IotaOp,
    ReshapeOp,
    element_type_of_dtype,
)

Stablehlo = Dialect(
    "stablehlo",
    [
        AbsOp,
        AddOp,
        AndOp,
        CompareOp,
        ComplexOp,
        ConcatenateOp,
        ConstantOp,
        ConvertOp,
        CosineOp,
        DivideOp,
        DotGeneralOp,
        DynamicBroadcastInDimOp,
        DynamicGatherOp,
        ExponentialOp,
        FloorOp,
        GatherOp,
        GetDimensionSizeOp,
        ImagOp,
        IotaOp,
        LogOp,
        MaximumOp,
        MinimumOp,
        MultiplyOp,
        NegateOp,
        NotOp,
        OrOp,
        PowerOp,
        RealDynamicSliceOp,
        RealOp,
        ReduceOp,
        RemainderOp,
        ReshapeOp,
        ReturnOp,
        SelectOp,
        SineOp,
        SqrtOp,
        SubtractOp,
    ],
    [
        ComparisonDirectionAttr,
        ComparisonTypeAttr,
        DotDimensionNumbers,
        GatherDimensionNumbers,
    ],
)

__all__ = [
    "DYNAMIC",
    "AbsOp",
    "AddOp",
    "AndOp",
    "CompareOp",
    "ComparisonDirection",
    "ComparisonDirectionAttr",
    "ComparisonType",
    "ComparisonTypeAttr",
    "ComplexOp",
    "ConcatenateOp",
    "ConstantOp",
    "ConvertOp",
    "CosineOp",
    "DivideOp",
    "DotDimensionNumbers",
    "DotGeneralOp",
    "DynamicBroadcastInDimOp",
    "DynamicGatherOp",
    "ElementwiseBinaryOp",
    "ElementwiseUnaryOp",
    "ExponentialOp",
    "FloorOp",
    "GatherDimensionNumbers",
    "GatherOp",
    "GetDimensionSizeOp",
    "ImagOp",
    "IotaOp",
    "LogOp",
    "MaximumOp",
    "MinimumOp",
    "MultiplyOp",
    "NegateOp",
    "NotOp",
    "OrOp",
    "PowerOp",
    "RealDynamicSliceOp",
    "RealOp",
    "ReduceOp",
    "RemainderOp",
    "ReshapeOp",
    "ReturnOp",
    "SelectOp",
    "SineOp",
    "SqrtOp",
    "Stablehlo",
    "SubtractOp",
    "element_type_of_dtype",
    "scalar_body",
]
