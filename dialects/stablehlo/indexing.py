"""Ops that read or write parts of a tensor: ``real_dynamic_slice``,
``dynamic_update_slice``, ``gather`` and ``dynamic_gather``."""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import (
    I64,
    BoolAttr,
    DenseArrayBase,
    IntegerAttr,
    IntegerType,
    TensorType,
    i1,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from .attributes import GatherDimensionNumbers
from .base import BATCH, DYNAMIC, TensorConstr, dim_text, i64_array, known_entries, tensor_of


def _compatible(a: int, b: int) -> bool:
    """Two dimension sizes that are equal: a dynamic one is the batch size (`BATCH`),
    equal to another dynamic one only."""
    return a == b


def _fmt(values: Sequence[int]) -> str:
    return "[" + ", ".join(str(v) for v in values) + "]"


class _Gather:
    """One ``gather``'s types and dimension numbers, for :func:`verify_gather`."""

    def __init__(self, name, operand, start_indices, dims, slice_sizes, result):
        self.name = name
        self.operand, self.indices, self.result = operand, start_indices, result
        self.rank, self.index_rank = operand.get_num_dims(), start_indices.get_num_dims()
        self.offset = dims.get("offset_dims")
        self.collapsed = dims.get("collapsed_slice_dims")
        self.operand_batching = dims.get("operand_batching_dims")
        self.indices_batching = dims.get("start_indices_batching_dims")
        self.index_map = dims.get("start_index_map")
        self.ivd = dims.index_vector_dim.data
        self.sizes = slice_sizes

    def fail(self, message: str) -> None:
        raise VerifyException(f"'{self.name}' {message}")

    def check_lists(self) -> None:
        """(C4)-(C8), (C10), (C11), (C13), (C14), (C18)-(C20): every list in range,
        sorted where it must be, and no dimension used twice."""
        if not isinstance(self.indices.get_element_type(), IntegerType):
            self.fail(f"start_indices must be a tensor of integers, got {self.indices}")
        if self.sizes is not None and len(self.sizes) != self.rank:
            self.fail(f"slice_sizes has {len(self.sizes)} entries, operand rank is {self.rank}")
        for field, values, bound in (
            ("offset_dims", self.offset, self.result.get_num_dims()),
            ("collapsed_slice_dims", self.collapsed, self.rank),
            ("operand_batching_dims", self.operand_batching, self.rank),
            ("start_indices_batching_dims", self.indices_batching, self.index_rank),
            ("start_index_map", self.index_map, self.rank),
        ):
            outside = [d for d in values if not 0 <= d < bound]
            if outside:
                self.fail(f"{field} {_fmt(values)} has {outside[0]}, outside [0, {bound})")
        for field, values in (
            ("offset_dims", self.offset),
            ("collapsed_slice_dims", self.collapsed),
            ("operand_batching_dims", self.operand_batching),
        ):
            if list(values) != sorted(set(values)):
                self.fail(f"{field} {_fmt(values)} must be sorted and without repeats")
        for what, values in (
            (
                "collapsed_slice_dims and operand_batching_dims",
                self.collapsed + self.operand_batching,
            ),
            ("start_indices_batching_dims", self.indices_batching),
            ("start_index_map and operand_batching_dims", self.index_map + self.operand_batching),
        ):
            if len(set(values)) != len(values):
                self.fail(f"{what} repeat a dimension: {_fmt(values)}")

    def check_counts(self) -> None:
        """(C1)-(C3), (C15)-(C17): the ranks, index_vector_dim and the batching pairs."""
        counts = (len(self.offset), len(self.collapsed), len(self.operand_batching))
        if sum(counts) != self.rank:
            self.fail(
                f"operand rank {self.rank} must be the number of offset_dims ({counts[0]}), "
                f"collapsed_slice_dims ({counts[1]}) and operand_batching_dims ({counts[2]})"
            )
        if not 0 <= self.ivd <= self.index_rank:
            self.fail(f"index_vector_dim {self.ivd} is outside [0, {self.index_rank}]")
        if self.ivd in self.indices_batching:
            self.fail(f"index_vector_dim {self.ivd} is one of start_indices_batching_dims")
        if len(self.operand_batching) != len(self.indices_batching):
            self.fail(
                f"has {len(self.operand_batching)} operand_batching_dims but "
                f"{len(self.indices_batching)} start_indices_batching_dims"
            )
        o_shape, i_shape = self.operand.get_shape(), self.indices.get_shape()
        for od, idd in zip(self.operand_batching, self.indices_batching):
            if not _compatible(o_shape[od], i_shape[idd]):
                self.fail(
                    f"operand batching dimension {od} (size {o_shape[od]}) and start_indices "
                    f"batching dimension {idd} (size {i_shape[idd]}) differ"
                )
        index_count = i_shape[self.ivd] if self.ivd < self.index_rank else 1
        if not _compatible(len(self.index_map), index_count):
            self.fail(f"start_index_map {_fmt(self.index_map)} must have {index_count} entries")

    def check_sizes(self) -> None:
        """(C9), (C12), (C21): slice sizes of collapsed and batching dimensions at most 1,
        every one within its operand dimension."""
        if self.sizes is None:
            return
        for d in self.collapsed:
            if self.sizes[d] > 1:
                self.fail(f"collapsed slice dimension {d} must have slice size <= 1")
        for d in self.operand_batching:
            if self.sizes[d] > 1:
                self.fail(f"operand batching dimension {d} must have slice size <= 1")
        for d, (size, bound) in enumerate(zip(self.sizes, self.operand.get_shape())):
            if size == DYNAMIC and bound == DYNAMIC:
                continue  # the whole batch
            if size < 0 or (bound != DYNAMIC and size > bound):
                self.fail(f"slice size {size} of dimension {d} is outside [0, {bound}]")

    def check_result(self) -> None:
        """(C22), (C23): the batch dimensions of start_indices (all but index_vector_dim)
        at the result dimensions that are not offset_dims, the slice sizes of the operand
        dimensions neither collapsed nor batching at offset_dims."""
        batch = [s for d, s in enumerate(self.indices.get_shape()) if d != self.ivd]
        kept = [
            d
            for d in range(self.rank)
            if d not in self.collapsed and d not in self.operand_batching
        ]
        window = [DYNAMIC if self.sizes is None else self.sizes[d] for d in kept]
        rank = len(batch) + len(self.offset)
        if self.result.get_num_dims() != rank:
            self.fail(
                f"result {self.result} must have rank {rank} ({len(batch)} batch and "
                f"{len(self.offset)} offset dimensions)"
            )
        b, w = iter(batch), iter(window)
        expected = [next(w) if d in self.offset else next(b) for d in range(rank)]
        if not all(_compatible(e, g) for e, g in zip(expected, self.result.get_shape())):
            shape = "x".join(dim_text(e) for e in expected)
            self.fail(f"result {self.result} does not match the inferred shape {shape}")
        if self.result.get_element_type() != self.operand.get_element_type():
            self.fail("result element type differs from the operand's")


def verify_gather(
    name: str,
    operand: TensorType,
    start_indices: TensorType,
    dims: GatherDimensionNumbers,
    slice_sizes: Sequence[int] | None,
    result: TensorType,
) -> None:
    """The constraints (C1)-(C23) of ``gather`` in the StableHLO specification
    (https://github.com/openxla/stablehlo/blob/main/docs/spec.md#gather), which jaxlib's
    verifier checks; ``slice_sizes`` is None where they are not known (a
    ``dynamic_gather`` whose sizes are not a constant), and then only the constraints
    that do not need them are checked."""
    g = _Gather(name, operand, start_indices, dims, slice_sizes, result)
    g.check_lists()
    g.check_counts()
    g.check_sizes()
    g.check_result()


@irdl_op_definition
class RealDynamicSliceOp(IRDLOperation):
    """Strided slice whose bounds are 1-D integer tensors (one entry per dimension), so a
    dynamic dimension can be sliced whole; with constant bounds, shape refinement turns it
    into a static ``slice``.

    ```mlir
    %r = stablehlo.real_dynamic_slice %a, %start, %limit, %strides
           : (tensor<?x16xi8>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x15xi8>
    ```
    """

    name = "stablehlo.real_dynamic_slice"

    operand = operand_def(TensorConstr)
    start_indices = operand_def(TensorConstr)
    limit_indices = operand_def(TensorConstr)
    strides = operand_def(TensorConstr)
    result = result_def(TensorConstr)

    traits = traits_def(Pure())

    assembly_format = (
        "$operand `,` $start_indices `,` $limit_indices `,` $strides attr-dict `:` "
        "functional-type(operands, results)"
    )

    def __init__(
        self,
        operand: SSAValue,
        start_indices: SSAValue,
        limit_indices: SSAValue,
        strides: SSAValue,
        result_type: Attribute,
    ):
        super().__init__(
            operands=[operand, start_indices, limit_indices, strides], result_types=[result_type]
        )

    def verify_(self) -> None:
        op_t, res_t = tensor_of(self.operand), tensor_of(self.result)
        rank = op_t.get_num_dims()
        if op_t.get_element_type() != res_t.get_element_type() or res_t.get_num_dims() != rank:
            raise VerifyException(
                f"'stablehlo.real_dynamic_slice' result {res_t} does not match operand {op_t}"
            )
        for n in ("start_indices", "limit_indices", "strides"):
            t = tensor_of(getattr(self, n))
            if t.get_shape() != (rank,) or not isinstance(t.get_element_type(), IntegerType):
                raise VerifyException(
                    f"'stablehlo.real_dynamic_slice' {n} must be a tensor<{rank}x...>, got {t}"
                )
        starts, limits, strides = (
            known_entries(v) for v in (self.start_indices, self.limit_indices, self.strides)
        )
        for d in range(rank):
            _check_slice_dim(
                d, starts[d], limits[d], strides[d], op_t.get_shape()[d], res_t.get_shape()[d]
            )


def _check_slice_dim(d, start, limit, stride, size, result_size) -> None:
    """The constraints of the ``slice`` that shape refinement makes of a
    ``real_dynamic_slice`` (spec.md#slice (C2)-(C5)), on the bounds known before it
    runs: ``0 <= start <= limit <= size``, ``stride > 0``, and a static result size of
    ``ceil((limit - start) / stride)``."""
    name = RealDynamicSliceOp.name
    if result_size == DYNAMIC:
        if start not in (None, 0) or stride not in (None, 1) or limit not in (None, BATCH):
            raise VerifyException(
                f"'{name}' dynamic result dimension {d} must be the whole batch: start 0, "
                f"limit the batch size, stride 1, got [{start}:{limit}:{stride}]"
            )
        return
    if BATCH in (start, limit, stride):
        raise VerifyException(
            f"'{name}' static result dimension {d} of size {result_size} cannot depend on "
            f"the batch size, got [{start}:{limit}:{stride}]"
        )
    if stride is not None and stride <= 0:
        raise VerifyException(f"'{name}' stride {stride} of dimension {d} must be > 0")
    if start is not None and start < 0:
        raise VerifyException(f"'{name}' start {start} of dimension {d} must be >= 0")
    if start is not None and limit is not None and start > limit:
        raise VerifyException(f"'{name}' start {start} of dimension {d} is past its limit {limit}")
    if limit is not None and size != DYNAMIC and limit > size:
        raise VerifyException(f"'{name}' limit {limit} of dimension {d} is past its size {size}")
    if None in (start, limit, stride):
        return
    expected = -(-(limit - start) // stride)
    if result_size != expected:
        raise VerifyException(
            f"'{name}' result dimension {d} has size {result_size}, but the slice "
            f"[{start}:{limit}:{stride}] has {expected}"
        )


@irdl_op_definition
class DynamicUpdateSliceOp(IRDLOperation):
    """``operand`` with ``update`` written at ``start_indices`` (one 0-D integer tensor
    per dimension; an index is clamped so that the update fits): XLA writes it in place
    in the operand's buffer, ``update``'s elements only.

    ```mlir
    %r = stablehlo.dynamic_update_slice %a, %u, %i, %j
           : (tensor<?x8xf64>, tensor<?x1xf64>, tensor<i64>, tensor<i64>) -> tensor<?x8xf64>
    ```
    """

    name = "stablehlo.dynamic_update_slice"

    operand = operand_def(TensorConstr)
    update = operand_def(TensorConstr)
    start_indices = var_operand_def(TensorConstr)
    result = result_def(TensorConstr)

    traits = traits_def(Pure())

    assembly_format = (
        "$operand `,` $update `,` $start_indices attr-dict `:` functional-type(operands, results)"
    )

    def __init__(self, operand: SSAValue, update: SSAValue, start_indices: Sequence[SSAValue]):
        super().__init__(
            operands=[operand, update, list(start_indices)], result_types=[operand.type]
        )

    def verify_(self) -> None:
        name = self.name
        op_t, up_t, res_t = tensor_of(self.operand), tensor_of(self.update), tensor_of(self.result)
        if res_t != op_t:
            raise VerifyException(f"'{name}' result {res_t} does not match operand {op_t}")
        if up_t.get_element_type() != op_t.get_element_type():
            raise VerifyException(
                f"'{name}' update element type {up_t.get_element_type()} does not match "
                f"operand element type {op_t.get_element_type()}"
            )
        rank = op_t.get_num_dims()
        if up_t.get_num_dims() != rank:
            raise VerifyException(f"'{name}' update {up_t} must have the rank of {op_t}")
        if len(self.start_indices) != rank:
            raise VerifyException(
                f"'{name}' expects {rank} start indices, got {len(self.start_indices)}"
            )
        types = {tensor_of(v) for v in self.start_indices}
        if len(types) > 1 or any(
            t.get_shape() != () or not isinstance(t.get_element_type(), IntegerType) for t in types
        ):
            raise VerifyException(
                f"'{name}' start indices must be 0-D integer tensors of one type, got "
                + ", ".join(str(tensor_of(v)) for v in self.start_indices)
            )
        for d, (u, o) in enumerate(zip(up_t.get_shape(), op_t.get_shape())):
            if (u == DYNAMIC) != (o == DYNAMIC) or (o != DYNAMIC and u > o):
                raise VerifyException(
                    f"'{name}' update dimension {d} of size {dim_text(u)} does not fit operand "
                    f"dimension {d} of size {dim_text(o)}"
                )


@irdl_op_definition
class GatherOp(IRDLOperation):
    """Gather slices of ``operand`` at ``start_indices``.

    ```mlir
    %r = "stablehlo.gather"(%x, %idx) <{dimension_numbers = #stablehlo.gather<
           offset_dims = [0], collapsed_slice_dims = [1], start_index_map = [1],
           index_vector_dim = 1>, indices_are_sorted = false,
           slice_sizes = array<i64: 5, 1>}> : (tensor<5x16xi8>, tensor<3x1xi32>) -> tensor<5x3xi8>
    ```
    """

    name = "stablehlo.gather"

    operand = operand_def(TensorConstr)
    start_indices = operand_def(TensorConstr)
    dimension_numbers = prop_def(GatherDimensionNumbers)
    slice_sizes = prop_def(DenseArrayBase[I64])
    indices_are_sorted = opt_prop_def(BoolAttr)
    result = result_def(TensorConstr)

    traits = traits_def(Pure())

    def __init__(
        self,
        operand: SSAValue,
        start_indices: SSAValue,
        dimension_numbers: GatherDimensionNumbers,
        slice_sizes: Sequence[int],
        result_type: Attribute,
        indices_are_sorted: bool = False,
    ):
        super().__init__(
            operands=[operand, start_indices],
            properties={
                "dimension_numbers": dimension_numbers,
                "slice_sizes": i64_array(slice_sizes),
                "indices_are_sorted": IntegerAttr(int(indices_are_sorted), i1),
            },
            result_types=[result_type],
        )

    def verify_(self) -> None:
        sizes = self.slice_sizes.get_values()
        negative = [s for s in sizes if s < 0]
        if negative:  # a dynamic size (-2**63) included: jaxlib wants static slice sizes
            raise VerifyException(
                f"'stablehlo.gather' slice_sizes {_fmt(sizes)} has {negative[0]}: a slice "
                "size is static and >= 0 (a whole dynamic dimension is sliced by "
                "stablehlo.dynamic_gather)"
            )
        verify_gather(
            self.name,
            tensor_of(self.operand),
            tensor_of(self.start_indices),
            self.dimension_numbers,
            sizes,
            tensor_of(self.result),
        )


@irdl_op_definition
class DynamicGatherOp(IRDLOperation):
    """``gather`` whose slice sizes are a 1-D integer tensor (one entry per operand
    dimension), so that a slice can span a dynamic dimension whole: ``x[:, cols]`` for
    static ``cols`` on a symbolic batch, without batching dimensions. With constant sizes,
    shape refinement turns it into a ``gather``.

    ```mlir
    %r = "stablehlo.dynamic_gather"(%x, %idx, %sizes) <{dimension_numbers =
           #stablehlo.gather<offset_dims = [0], collapsed_slice_dims = [1],
           start_index_map = [1], index_vector_dim = 1>, indices_are_sorted = false}>
           : (tensor<?x16xi8>, tensor<3x1xi64>, tensor<2xi64>) -> tensor<?x3xi8>
    ```
    """

    name = "stablehlo.dynamic_gather"

    operand = operand_def(TensorConstr)
    start_indices = operand_def(TensorConstr)
    slice_sizes = operand_def(TensorConstr)
    dimension_numbers = prop_def(GatherDimensionNumbers)
    indices_are_sorted = opt_prop_def(BoolAttr)
    result = result_def(TensorConstr)

    traits = traits_def(Pure())

    def __init__(
        self,
        operand: SSAValue,
        start_indices: SSAValue,
        slice_sizes: SSAValue,
        dimension_numbers: GatherDimensionNumbers,
        result_type: Attribute,
        indices_are_sorted: bool = False,
    ):
        super().__init__(
            operands=[operand, start_indices, slice_sizes],
            properties={
                "dimension_numbers": dimension_numbers,
                "indices_are_sorted": IntegerAttr(int(indices_are_sorted), i1),
            },
            result_types=[result_type],
        )

    def verify_(self) -> None:
        rank = tensor_of(self.operand).get_num_dims()
        sizes = tensor_of(self.slice_sizes)
        if sizes.get_shape() != (rank,) or not isinstance(sizes.get_element_type(), IntegerType):
            raise VerifyException(
                f"'stablehlo.dynamic_gather' slice_sizes must be a tensor<{rank}x...>, got {sizes}"
            )
        if tensor_of(self.result).get_element_type() != tensor_of(self.operand).get_element_type():
            raise VerifyException(
                "'stablehlo.dynamic_gather' result element type differs from the operand's"
            )
        verify_gather(
            self.name,
            tensor_of(self.operand),
            tensor_of(self.start_indices),
            self.dimension_numbers,
            self.constant_slice_sizes(),
            tensor_of(self.result),
        )

    def constant_slice_sizes(self) -> list[int] | None:
        """The slice sizes when they are known before the gather runs (as jaxlib's shape
        refinement sees them), else None."""
        sizes = known_entries(self.slice_sizes)
        if sizes is None or None in sizes:
            return None
        return [DYNAMIC if v == BATCH else v for v in sizes]  # type: ignore[misc]
