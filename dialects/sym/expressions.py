"""The leaves that read the term or the configuration: `sym.label`, `sym.read`,
`sym.read_emitted`, `sym.count`, `sym.nth_site` and `sym.parity_sum`.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import DenseArrayBase, IntegerAttr, StringAttr, f64, i64
from xdsl.ir import Operation, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from symir.dialects.sym.common import InTerm, enclosing, packed_array
from symir.dialects.sym.constants import constant_int
from symir.dialects.sym.site_masks import check_words, unpack_masks, words_per_mask
from symir.dialects.sym.structure import EmissionOp, OperatorOp, TermOp, _check_static_site
from symir.dialects.types import NumericType, c64


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


class SiteReadBase(IRDLOperation):
    """Base of the reads of one configuration at an `i64` site: `%v = sym.<op> %i : i64`."""

    site = operand_def(i64)
    result = result_def(i64)

    traits = traits_def(Pure(), InTerm())

    assembly_format = "$site attr-dict `:` type($result)"

    def __init__(self, site: SSAValue):
        super().__init__(operands=[site], result_types=[i64])


@irdl_op_definition
class ReadOp(SiteReadBase):
    """Reads the source configuration: `x[site]`.

    ```mlir
    %v = sym.read %i : i64
    ```
    """

    name = "sym.read"

    def verify_(self):
        _check_static_site(self, self.site)


@irdl_op_definition
class ReadEmittedOp(SiteReadBase):
    """Reads the emitted configuration `x'[site]`; only inside an amplitude region.

    ```mlir
    %v = sym.read_emitted %i : i64
    ```
    """

    name = "sym.read_emitted"

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


def _mask_sites(op: Operation) -> int | None:
    operator = enclosing(op, OperatorOp)
    return operator.num_sites.data if isinstance(operator, OperatorOp) else None


@irdl_op_definition
class ParitySumOp(IRDLOperation):
    """A sum of signed coefficients read from a table at an integer key `k`:
    `sum_t c_t (-1)^(number of sites of mask_t where x holds state)`, over the entries
    `t` in `[offsets[k], offsets[k + 1])`; `0` for a key outside `[0, K)`. The masks are
    packed site masks (`dialects/sym/site_masks.py`: `ceil(N / 64)` i64 words each, bit
    `b` of word `w` is site `64 w + b`), the coefficients `real` (and `imag`: then the
    result is `complex<f64>`). On a spin-1/2 space it is the diagonal factor of a sum of
    Pauli strings that flip the same sites (`symir.pauli_strings`, docs/pauli-strings.md):
    each Z or Y of a string contributes a sign read from the source configuration. The key
    is static per row (labels, constants) when lowered.

    ```mlir
    %v = sym.parity_sum %k {offsets = array<i64: 0, 1, 3>, masks = array<i64: 1, 2, 6>, real = array<f64: 0.5, 1.0, -2.0>, state = 1 : i64} : f64
    ```
    """

    name = "sym.parity_sum"

    index = operand_def(i64)
    offsets = prop_def(DenseArrayBase)
    masks = prop_def(DenseArrayBase)
    real = prop_def(DenseArrayBase)
    imag = opt_prop_def(DenseArrayBase)
    state = prop_def(IntegerAttr)
    result = result_def(NumericType)

    traits = traits_def(Pure(), InTerm())

    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$index attr-dict `:` type($result)"

    def __init__(
        self,
        index: SSAValue,
        offsets: Sequence[int],
        masks: Sequence[int],
        real: Sequence[float],
        imag: Sequence[float] | None,
        state: int,
    ):
        props = {
            "offsets": packed_array(i64, offsets),
            "masks": packed_array(i64, masks),
            "real": packed_array(f64, real),
            "state": IntegerAttr(int(state), i64),
        }
        if imag is not None:
            props["imag"] = packed_array(f64, imag)
        super().__init__(
            operands=[index], properties=props, result_types=[f64 if imag is None else c64]
        )

    def tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`(offsets, words, coefficients)` as numpy arrays (coefficients complex when
        `imag` is set)."""
        cached = _PARITY_TABLES.get(self)
        key = (self.offsets, self.masks, self.real, self.imag)
        if cached is None or cached[0] != key:
            offsets = np.frombuffer(self.offsets.data.data, "<i8")
            words = np.frombuffer(self.masks.data.data, "<i8")
            c = np.frombuffer(self.real.data.data, "<f8").astype(np.float64)
            if self.imag is not None:
                c = c + 1j * np.frombuffer(self.imag.data.data, "<f8")
            cached = _PARITY_TABLES[self] = (key, (offsets, words, c))
        return cached[1]

    def verify_(self):
        for name in ("offsets", "masks"):
            if getattr(self, name).elt_type != i64:
                raise VerifyException(f"'sym.parity_sum' {name} must be an array<i64>")
        for name in ("real", "imag"):
            a = getattr(self, name)
            if a is not None and a.elt_type != f64:
                raise VerifyException(f"'sym.parity_sum' {name} must be an array<f64>")
        if self.state.type != i64:
            raise VerifyException("'sym.parity_sum' state must be an i64 integer")
        expected = f64 if self.imag is None else c64
        if self.result.type != expected:
            raise VerifyException(
                f"'sym.parity_sum' result must be {expected} "
                f"({'with' if self.imag is not None else 'without'} imaginary parts), "
                f"got {self.result.type}"
            )
        self._verify_tables()

    def _verify_tables(self):
        offsets, words, c = self.tables()
        if len(offsets) < 1 or offsets[0] != 0 or np.any(np.diff(offsets) < 0):
            raise VerifyException("'sym.parity_sum' offsets must start at 0 and never decrease")
        if self.imag is not None and len(self.imag) != len(self.real):
            raise VerifyException(
                f"'sym.parity_sum' has {len(self.real)} real parts but {len(self.imag)} "
                "imaginary parts"
            )
        if offsets[-1] != len(c):
            raise VerifyException(
                f"'sym.parity_sum' offsets end at {int(offsets[-1])} but there are "
                f"{len(c)} coefficients"
            )
        n = _mask_sites(self)
        if n is None:
            return
        w = words_per_mask(n)
        if len(words) != w * len(c):
            raise VerifyException(
                f"'sym.parity_sum' has {len(words)} mask words for {len(c)} coefficients: "
                f"needs {w} per coefficient on {n} sites"
            )
        problem = check_words(words, n)
        if problem is not None:
            raise VerifyException(f"'sym.parity_sum' {problem}")
        operator = enclosing(self, OperatorOp)
        v = self.state.value.data
        if v not in operator.states:  # type: ignore[union-attr]
            raise VerifyException(
                f"'sym.parity_sum' state {v} is not a local state {list(operator.states)}"  # type: ignore[union-attr]
            )

    def evaluate_on(self, x: Sequence[int], key: int) -> float | complex:
        """The value on configuration `x` (the meaning, for the interpreter)."""
        offsets, words, c = self.tables()
        if not 0 <= key < len(offsets) - 1:
            return 0.0 if self.imag is None else 0j
        lo, hi = int(offsets[key]), int(offsets[key + 1])
        n = len(x)
        w = words_per_mask(n)
        masks = unpack_masks(words[lo * w : hi * w], n)
        hit = np.asarray(x) == self.state.value.data
        signs = 1 - 2 * ((masks & hit).sum(axis=1) % 2)
        total = complex(np.sum(signs * c[lo:hi])) if hi > lo else 0j
        return total.real if self.imag is None else total


_PARITY_TABLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
