"""The leaves that read the term or the configuration: `sym.label`, `sym.read`,
`sym.read_emitted` and `sym.count`.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import DenseArrayBase, IntegerAttr, StringAttr, i64
from xdsl.ir import Operation, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    operand_def,
    prop_def,
    result_def,
    traits_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from symir.dialects.sym.common import InTerm, enclosing, packed_array
from symir.dialects.sym.constants import constant_int
from symir.dialects.sym.structure import EmissionOp, OperatorOp, TermOp, _check_static_site


@irdl_op_definition
class LabelOp(IRDLOperation):
    """The site index bound to a label of the enclosing term's iterator.

    ```mlir
    %i = sym.label "i"
    ```
    """

    name = "sym.label"

    label = prop_def(StringAttr)
    result = result_def(i64)

    traits = traits_def(Pure(), InTerm())

    assembly_format = "$label attr-dict"

    def __init__(self, label: str):
        super().__init__(properties={"label": StringAttr(label)}, result_types=[i64])

    def verify_(self):
        term = enclosing(self, TermOp)
        if term is None:
            return  # a detached op (`InTerm` reports one outside a term)
        if self.label.data not in term.label_names:
            raise VerifyException(
                f"'sym.label' \"{self.label.data}\" is not a label of term "
                f"@{term.sym_name.data} (labels: {list(term.label_names)})"
            )


@irdl_op_definition
class ReadOp(IRDLOperation):
    """Reads the source configuration: `x[site]`.

    ```mlir
    %v = sym.read %i : i64
    ```
    """

    name = "sym.read"

    site = operand_def(i64)
    result = result_def(i64)

    traits = traits_def(Pure(), InTerm())

    assembly_format = "$site attr-dict `:` type($result)"

    def __init__(self, site: SSAValue):
        super().__init__(operands=[site], result_types=[i64])

    def verify_(self):
        _check_static_site(self, self.site)


@irdl_op_definition
class ReadEmittedOp(IRDLOperation):
    """Reads the emitted configuration `x'[site]`; only inside an amplitude region.

    ```mlir
    %v = sym.read_emitted %i : i64
    ```
    """

    name = "sym.read_emitted"

    site = operand_def(i64)
    result = result_def(i64)

    traits = traits_def(Pure(), InTerm())

    assembly_format = "$site attr-dict `:` type($result)"

    def __init__(self, site: SSAValue):
        super().__init__(operands=[site], result_types=[i64])

    def verify_(self):
        region = self.parent_region()
        emission = region.parent_op() if region is not None else None
        if not isinstance(emission, EmissionOp) or region is not emission.amplitude:
            raise VerifyException(
                "'sym.read_emitted' reads x' and is only allowed in the amplitude region "
                "of 'sym.emission'"
            )
        _check_static_site(self, self.site)


@irdl_op_definition
class CountOp(IRDLOperation):
    """The number of particles on the sites `lo .. hi-1` of the source configuration:
    `x[lo] + ... + x[hi-1]` (on fermions, the number of occupied sites; the Jordan-Wigner
    sign of a ladder operator on site `s` is its parity with `lo = 0`, `hi = s`).

    The bounds are clamped to `[0, N]` (they are not taken modulo N: `hi = N` is the end
    of the configuration) and a range with `lo >= hi` is empty (0). A constant bound must
    lie in `[0, N]`.

    ```mlir
    %n = sym.count %lo, %hi : i64
    ```
    """

    name = "sym.count"

    lo = operand_def(i64)
    hi = operand_def(i64)
    result = result_def(i64)

    traits = traits_def(Pure(), InTerm())

    assembly_format = "$lo `,` $hi attr-dict `:` type($result)"

    def __init__(self, lo: SSAValue, hi: SSAValue):
        super().__init__(operands=[lo, hi], result_types=[i64])

    def verify_(self):
        operator = enclosing(self, OperatorOp)
        if operator is None:
            return
        n = operator.num_sites.data
        for what, bound in (("lower", self.lo), ("upper", self.hi)):
            k = constant_int(bound)
            if k is not None and not 0 <= k <= n:
                raise VerifyException(f"'sym.count' {what} bound {k} is outside [0, {n}]")

    @staticmethod
    def evaluate_on(x: Sequence[int], lo: int, hi: int) -> int:
        """The count on configuration `x` (the meaning, for the interpreter)."""
        n = len(x)
        return int(sum(x[max(lo, 0) : min(hi, n)]))


def check_site_list(op: Operation, sites: Sequence[int], n: int | None) -> None:
    """A static list of sites: not empty, distinct, each in `[0, N)` (when N is known)."""
    if not sites:
        raise VerifyException(f"'{op.name}' needs at least one site")
    if len(set(sites)) != len(sites):
        raise VerifyException(f"'{op.name}' sites must be distinct, got {list(sites)}")
    if n is not None:
        for s in sites:
            if not 0 <= s < n:
                raise VerifyException(f"'{op.name}' site {s} is outside [0, {n})")


@irdl_op_definition
class NthSiteOp(IRDLOperation):
    """The site of the `rank`-th (from 0) of the static `sites`, in their order, whose
    local state in the source configuration is `state`; `-1` when `rank` is negative or
    fewer than `rank + 1` of them hold `state`.

    On fermions, `state = 1` gives the site of the k-th particle among some orbitals
    (`state = 0` the k-th hole), so that a term can iterate over excitations of the
    particles a configuration has instead of over all orbitals: `cdag(nth_site(l, 0,
    sites)) * c(nth_site(k, 1, sites))` moves the k-th particle to the l-th hole.

    ```mlir
    %s = sym.nth_site %k {sites = array<i64: 0, 1, 2, 3>, state = 1 : i64} : i64
    ```
    """

    name = "sym.nth_site"

    rank = operand_def(i64)
    sites = prop_def(DenseArrayBase)
    state = prop_def(IntegerAttr)
    result = result_def(i64)

    traits = traits_def(Pure(), InTerm())

    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$rank attr-dict `:` type($result)"

    def __init__(self, rank: SSAValue, sites: Sequence[int], state: int):
        super().__init__(
            operands=[rank],
            properties={
                "sites": packed_array(i64, [int(s) for s in sites]),
                "state": IntegerAttr(int(state), i64),
            },
            result_types=[i64],
        )

    @property
    def site_list(self) -> tuple[int, ...]:
        return tuple(int(s) for s in self.sites.get_values())

    def verify_(self):
        if self.sites.elt_type != i64:
            raise VerifyException("'sym.nth_site' sites must be an array<i64>")
        if self.state.type != i64:
            raise VerifyException("'sym.nth_site' state must be an i64 integer")
        operator = enclosing(self, OperatorOp)
        n = operator.num_sites.data if isinstance(operator, OperatorOp) else None
        sites = self.site_list
        check_site_list(self, sites, n)
        v = self.state.value.data
        if isinstance(operator, OperatorOp) and v not in operator.states:
            raise VerifyException(
                f"'sym.nth_site' state {v} is not a local state {list(operator.states)}"
            )
        k = constant_int(self.rank)
        if k is not None and not 0 <= k < len(sites):
            raise VerifyException(
                f"'sym.nth_site' rank {k} is outside [0, {len(sites)}) for {len(sites)} sites"
            )

    @staticmethod
    def evaluate_on(x: Sequence[int], sites: Sequence[int], state: int, rank: int) -> int:
        """The site on configuration `x` (the meaning, for the interpreter)."""
        if rank < 0:
            return -1
        for s in sites:
            if x[s] == state:
                if rank == 0:
                    return int(s)
                rank -= 1
        return -1
