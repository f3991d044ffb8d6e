"""`stablehlo-outline-constants`: large constant tables of `@main` become its arguments.

An operator of many terms of one shape is one table-driven term (`sym-tabulate-terms`,
`sym.pauli_strings`): its op count does not grow with the terms, but its tables (sites,
flip masks, coefficients) are `stablehlo.constant dense<...>` ops whose printed data
does (1,000 Pauli strings: 171 KiB of text, 10,000: 1.9 MB). This pass moves each
constant of `@main`'s body whose data holds at least `min_bytes` bytes (and is not a
splat, which prints as one value) into a new last argument of `@main`, named `%table0`,
`%table1`, ... in the order the constants appear and marked `{symir.outlined =
"constant"}` (a string: VHLO, JAX's serialized form, has no unit attribute); the
constant's uses read the argument instead. Small constants (the scalars and short
vectors of a lattice model, every lit module's) stay where they are.

The values leave the IR: `outlined_constants(module)` gives them, in argument order, to
whoever runs the module (the compiler keeps them beside the StableHLO text on the
compiled operator, `symir.runtime.stablehlo_exec.load_stablehlo(text, constants)`, and
binds them at every call). The kernel computes the same thing: an argument bound to the
constant's value is the constant. Under `jax.jit` the bound values are constants of the
traced program again, so XLA sees and folds what it saw before.

Before outlining, the dead pure ops of the module are removed (xDSL's region DCE): a
table read by no live op is dropped, not made an argument. Constants inside nested
regions (a `reduce`'s body, which is isolated from `@main`'s arguments) are not
touched; a second run finds nothing to outline.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseIntOrFPElementsAttr,
    DictionaryAttr,
    FunctionType,
    ModuleOp,
    StringAttr,
)
from xdsl.ir import Attribute
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.transforms.dead_code_elimination import region_dce

from symir.dialects import stablehlo
from symir.dialects.types import NUMPY_DTYPES

OUTLINED = "symir.outlined"
"""The argument attribute that marks an outlined constant (its value: `"constant"`)."""

PREFIX = "table"
"""The name of the outlined arguments: `%table0`, `%table1`, ..."""

_VALUES: weakref.WeakKeyDictionary[ModuleOp, list[np.ndarray]] = weakref.WeakKeyDictionary()


def outlined_constants(module: ModuleOp) -> tuple[np.ndarray, ...]:
    """The values of the arguments `stablehlo-outline-constants` made on `module`, in
    argument order (empty when it outlined nothing, or did not run on it)."""
    return tuple(_VALUES.get(module, ()))


def constant_value(value: DenseIntOrFPElementsAttr) -> np.ndarray:
    """The numpy array a dense constant holds (its bytes as `ConstantOp.from_array`
    wrote them: little-endian, `i1` true as all ones)."""
    typ = value.type
    element = typ.get_element_type()  # type: ignore[union-attr]
    if element not in NUMPY_DTYPES:
        raise ValueError(f"stablehlo-outline-constants: no numpy dtype for {element}")
    dtype = NUMPY_DTYPES[element]
    shape = tuple(typ.get_shape())  # type: ignore[union-attr]
    raw = value.data.data
    if dtype == np.bool_:
        flat = np.frombuffer(raw, np.int8) != 0
    else:
        flat = np.frombuffer(raw, dtype.newbyteorder("<")).astype(dtype)
    count = int(np.prod(shape, dtype=np.int64))
    if flat.size == 1 and count != 1:  # a splat stores its one value
        flat = np.broadcast_to(flat, (count,))
    return np.array(flat.reshape(shape))


def data_bytes(value: DenseIntOrFPElementsAttr) -> int:
    """The bytes of a constant's data (shape x element size); 0 for a splat (one value
    repeated, which prints as that one value)."""
    typ = value.type
    element = typ.get_element_type()  # type: ignore[union-attr]
    if element not in NUMPY_DTYPES:
        return 0
    size = NUMPY_DTYPES[element].itemsize
    count = int(np.prod(tuple(typ.get_shape()), dtype=np.int64))  # type: ignore[union-attr]
    raw = value.data.data
    if count <= 1 or len(raw) < count * size or raw == raw[:size] * count:
        return 0
    return count * size


def _outlined_arguments(fn: func.FuncOp) -> int:
    """How many arguments of `fn` are outlined constants already."""
    attrs = fn.arg_attrs.data if fn.arg_attrs is not None else ()
    return sum(1 for a in attrs if OUTLINED in a.data)


@dataclass
class OutlineConstant(RewritePattern):
    """A large constant of `@main`'s entry block becomes a new last argument of `@main`."""

    min_bytes: int
    values: list[np.ndarray]

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: stablehlo.ConstantOp, rewriter: PatternRewriter) -> None:
        fn = op.parent_op()
        if not isinstance(fn, func.FuncOp) or fn.sym_name.data != "main":
            return
        if data_bytes(op.value) < self.min_bytes:
            return
        block = fn.body.block
        arg = rewriter.insert_block_argument(block, len(block.args), op.output.type)
        arg.name_hint = f"{PREFIX}{_outlined_arguments(fn)}"
        self.values.append(constant_value(op.value))
        inputs = [a.type for a in block.args]
        fn.function_type = FunctionType.from_lists(inputs, fn.function_type.outputs.data)
        old = list(fn.arg_attrs.data) if fn.arg_attrs is not None else []
        empty: dict[str, Attribute] = {}
        attrs = old + [DictionaryAttr(empty)] * (len(inputs) - 1 - len(old))
        fn.arg_attrs = ArrayAttr([*attrs, DictionaryAttr({OUTLINED: StringAttr("constant")})])
        rewriter.replace(op, [], [arg])


@dataclass(frozen=True)
class StablehloOutlineConstantsPass(ModulePass):
    """Large constant tables of @main become its last arguments (%table0, ...; values kept beside)."""

    name = "stablehlo-outline-constants"

    min_bytes: int = 1024
    """The fewest bytes of data (shape x element size) of a constant that is outlined."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.min_bytes < 1:
            raise ValueError(
                f"stablehlo-outline-constants: min_bytes must be at least 1, got {self.min_bytes}"
            )
        region_dce(op.body)
        values = _VALUES.setdefault(op, [])
        PatternRewriteWalker(
            OutlineConstant(self.min_bytes, values), apply_recursively=False
        ).rewrite_module(op)
