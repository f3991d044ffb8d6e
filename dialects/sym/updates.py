"""The update ops of an emission's update region (`sym.write`, `sym.shift`, `sym.swap`,
..., `sym.invalidate`) and the conditional update `sym.cond`; `UpdateOpBase` checks
their placement and site operands.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import DenseArrayBase, i1, i64
from xdsl.ir import Operation, Region, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    SameVariadicOperandSize,
    irdl_op_definition,
    operand_def,
    prop_def,
    region_def,
    traits_def,
    var_operand_def,
)
from xdsl.parser import Parser, UnresolvedOperand
from xdsl.printer import Printer
from xdsl.traits import NoTerminator
from xdsl.utils.exceptions import VerifyException

from symir.dialects.sym.common import (
    _parse_block_region,
    _parse_defined_operand,
    enclosing,
    packed_array,
)
from symir.dialects.sym.site_masks import check_words, unpack_masks, words_per_mask
from symir.dialects.sym.structure import EmissionOp, OperatorOp, _check_site_operands


def _check_in_update_region(op: Operation):
    """Update ops live in an emission's update region (possibly nested in sym.cond)."""
    parent = op.parent_op()
    while isinstance(parent, CondOp):
        parent = parent.parent_op()
    region = op.parent_region()
    while region is not None and isinstance(region.parent_op(), CondOp):
        region = region.parent_op().parent_region()
    if not isinstance(parent, EmissionOp) or region is not parent.update:
        raise VerifyException(f"'{op.name}' must be inside the update region of 'sym.emission'")


class UpdateOpBase(IRDLOperation):
    """Common verification of update ops: placement and site operands."""

    def sites(self) -> Sequence[SSAValue]:
        return ()

    def verify_(self):
        _check_in_update_region(self)
        _check_site_operands(self, self.sites())


@irdl_op_definition
class WriteOp(UpdateOpBase):
    """`x'[site] = value`.

    ```mlir
    sym.write %site, %value
    ```

    A constant value need not be a local state (as a `sym.scatter`'s): a value in between
    may leave them (docs/semantics.md), and folding makes such constants (`select` of a
    folded predicate in a product `a @ b`); the branch is invalid if the final `x'` is
    not made of local states. `symbolic-validation` reports a write that can only give
    invalid branches (`SYMIR-E003`), and the DSL refuses a constant written as such.
    """

    name = "sym.write"

    site = operand_def(i64)
    value = operand_def(i64)

    assembly_format = "$site `,` $value attr-dict"

    def __init__(self, site: SSAValue, value: SSAValue):
        super().__init__(operands=[site, value])

    def sites(self):
        return (self.site,)


class I64PairUpdateBase(UpdateOpBase):
    """Base of the updates on two `i64` operands (`sym.shift`, `sym.shift_mod`, `sym.swap`)."""

    def __init__(self, first: SSAValue, second: SSAValue):
        super().__init__(operands=[first, second])


class SiteDeltaUpdateBase(I64PairUpdateBase):
    """Base of the updates `sym.<op> %site, %delta` that move one site by an `i64` delta."""

    site = operand_def(i64)
    delta = operand_def(i64)

    assembly_format = "$site `,` $delta attr-dict"

    def sites(self):
        return (self.site,)


@irdl_op_definition
class ShiftOp(SiteDeltaUpdateBase):
    """`x'[site] = x'[site] + delta`.

    ```mlir
    sym.shift %site, %delta
    ```
    """

    name = "sym.shift"


@irdl_op_definition
class ShiftModOp(SiteDeltaUpdateBase):
    """`x'[site]` shifted by `delta`, wrapped into the contiguous local states.

    With states `s0 .. s0+d-1`: `x'[site] = s0 + (x'[site] + delta - s0) mod d`.

    ```mlir
    sym.shift_mod %site, %delta
    ```
    """

    name = "sym.shift_mod"

    def verify_(self):
        super().verify_()
        _check_contiguous_states(self)


def _check_contiguous_states(op: Operation):
    operator = enclosing(op, OperatorOp)
    if operator is not None and not operator.states_are_contiguous():
        raise VerifyException(
            f"'{op.name}' needs contiguous integer local states, got {list(operator.states)}"
        )


@irdl_op_definition
class SwapOp(I64PairUpdateBase):
    """Exchanges `x'[a]` and `x'[b]`.

    ```mlir
    sym.swap %a, %b
    ```
    """

    name = "sym.swap"

    a = operand_def(i64)
    b = operand_def(i64)

    assembly_format = "$a `,` $b attr-dict"

    def sites(self):
        return (self.a, self.b)


@irdl_op_definition
class PermuteOp(UpdateOpBase):
    """Cyclic rotation: `x'[s0] <- x'[s1], x'[s1] <- x'[s2], ..., x'[sK-1] <- x'[s0]`.

    All values are read before any is written.

    ```mlir
    sym.permute %s0, %s1, %s2
    ```
    """

    name = "sym.permute"

    site_list = var_operand_def(i64)

    assembly_format = "$site_list attr-dict"

    def __init__(self, sites: Sequence[SSAValue]):
        super().__init__(operands=[list(sites)])

    def sites(self):
        return tuple(self.site_list)

    def verify_(self):
        if len(self.site_list) < 2:
            raise VerifyException(
                f"'sym.permute' needs at least two sites, got {len(self.site_list)}"
            )
        super().verify_()


@irdl_op_definition
class AffineOp(UpdateOpBase):
    """`x'[site] = scale * x'[site] + bias`.

    ```mlir
    sym.affine %site, %scale, %bias
    ```
    """

    name = "sym.affine"

    site = operand_def(i64)
    scale = operand_def(i64)
    bias = operand_def(i64)

    assembly_format = "$site `,` $scale `,` $bias attr-dict"

    def __init__(self, site: SSAValue, scale: SSAValue, bias: SSAValue):
        super().__init__(operands=[site, scale, bias])

    def sites(self):
        return (self.site,)


@irdl_op_definition
class ScatterOp(UpdateOpBase):
    """Writes `x'[sites[k]] = values[k]` for every k, in order.

    ```mlir
    sym.scatter [%s0, %s1], [%v0, %v1]
    ```
    """

    name = "sym.scatter"

    site_list = var_operand_def(i64)
    value_list = var_operand_def(i64)

    irdl_options = (SameVariadicOperandSize(),)

    def __init__(self, sites: Sequence[SSAValue], values: Sequence[SSAValue]):
        super().__init__(operands=[list(sites), list(values)])

    def sites(self):
        return tuple(self.site_list)

    def verify_(self):
        if len(self.site_list) != len(self.value_list):
            raise VerifyException(
                f"'sym.scatter' has {len(self.site_list)} sites but {len(self.value_list)} values"
            )
        if not self.site_list:
            raise VerifyException("'sym.scatter' needs at least one site")
        super().verify_()

    def print(self, printer: Printer):
        printer.print_string(" [")
        printer.print_list(self.site_list, printer.print_operand)
        printer.print_string("], [")
        printer.print_list(self.value_list, printer.print_operand)
        printer.print_string("]")

    @classmethod
    def parse(cls, parser: Parser) -> ScatterOp:
        def operands() -> list[SSAValue]:
            unresolved: list[UnresolvedOperand] = parser.parse_comma_separated_list(
                parser.Delimiter.SQUARE, parser.parse_unresolved_operand
            )
            return [parser.resolve_operand(u, i64) for u in unresolved]

        sites = operands()
        parser.parse_punctuation(",")
        values = operands()
        if len(sites) != len(values):
            parser.raise_error(f"'sym.scatter' has {len(sites)} sites but {len(values)} values")
        return cls(sites, values)


@irdl_op_definition
class FlipSitesOp(UpdateOpBase):
    """Flips every site of the `index`-th mask of a table on a space of two local
    states `s0 < s1`: `x'[j] = s0 + s1 - x'[j]` (the other state) for each site `j` of
    the mask; no site for an index outside `[0, K)`. The masks are packed site masks
    (`dialects/sym/site_masks.py`, `ceil(N / 64)` i64 words each). The X and Y factors of
    a Pauli string (`symir.pauli_strings`, docs/pauli-strings.md); the index is static
    per row (labels, constants) when lowered.

    ```mlir
    sym.flip_sites %k {masks = array<i64: 1, 6>}
    ```
    """

    name = "sym.flip_sites"

    index = operand_def(i64)
    masks = prop_def(DenseArrayBase)

    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$index attr-dict"

    def __init__(self, index: SSAValue, masks: Sequence[int]):
        super().__init__(operands=[index], properties={"masks": packed_array(i64, masks)})

    def words(self) -> np.ndarray:
        return np.frombuffer(self.masks.data.data, "<i8")

    def verify_(self):
        super().verify_()
        if self.masks.elt_type != i64:
            raise VerifyException("'sym.flip_sites' masks must be an array<i64>")
        operator = enclosing(self, OperatorOp)
        if not isinstance(operator, OperatorOp):
            return
        if len(operator.states) != 2:
            raise VerifyException(
                f"'sym.flip_sites' needs two local states, operator @{operator.sym_name.data} "
                f"has {list(operator.states)}"
            )
        problem = check_words(self.words(), operator.num_sites.data)
        if problem is not None:
            raise VerifyException(f"'sym.flip_sites' {problem}")

    def flip(self, xp: list[int], index: int, states: Sequence[int]) -> None:
        """Flips the sites of mask `index` of `xp` in place (the meaning)."""
        n = len(xp)
        w = words_per_mask(n)
        words = self.words()
        if not 0 <= index < len(words) // w:
            return
        total = states[0] + states[1]
        for j in np.flatnonzero(unpack_masks(words[index * w : (index + 1) * w], n)[0]):
            xp[j] = total - xp[j]


@irdl_op_definition
class InvalidateOp(UpdateOpBase):
    """Marks the branch invalid: it is emitted as `x' = x`, `mel = 0`.

    ```mlir
    sym.invalidate
    ```
    """

    name = "sym.invalidate"

    assembly_format = "attr-dict"

    def __init__(self):
        super().__init__()


@irdl_op_definition
class CondOp(IRDLOperation):
    """A conditional update: runs the `then` updates where `%p` holds, else the others.

    ```mlir
    sym.cond %p {
      sym.shift %i, %d
    } else {
      sym.write %i, %v
    }
    ```
    """

    name = "sym.cond"

    condition = operand_def(i1)
    then_region = region_def("single_block")
    else_region = region_def("single_block")

    traits = traits_def(NoTerminator())

    def __init__(self, condition: SSAValue, then_region: Region, else_region: Region):
        super().__init__(operands=[condition], regions=[then_region, else_region])

    def verify_(self):
        _check_in_update_region(self)

    def print(self, printer: Printer):
        printer.print_string(" ")
        printer.print_operand(self.condition)
        printer.print_string(" ")
        printer.print_region(
            self.then_region, print_entry_block_args=False, print_empty_block=False
        )
        printer.print_string(" else ")
        printer.print_region(
            self.else_region, print_entry_block_args=False, print_empty_block=False
        )

    @classmethod
    def parse(cls, parser: Parser) -> CondOp:
        condition = _parse_defined_operand(parser)
        then_region = _parse_block_region(parser)
        parser.parse_keyword("else")
        else_region = _parse_block_region(parser)
        return cls(condition, then_region, else_region)
