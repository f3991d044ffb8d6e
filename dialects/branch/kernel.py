"""The kernel and its terminators: `branch.kernel`, `branch.return` and
`branch.return_deltas`.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import DYNAMIC_INDEX as DYN
from xdsl.dialects.builtin import (
    ArrayAttr,
    ComplexType,
    DenseArrayBase,
    Float64Type,
    IntAttr,
    IntegerType,
    StringAttr,
    TensorType,
    UnitAttr,
    f64,
    i64,
)
from xdsl.ir import Attribute, Operation, Region, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    lazy_traits_def,
    operand_def,
    opt_prop_def,
    prop_def,
    region_def,
    var_operand_def,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import HasParent, IsTerminator
from xdsl.utils.exceptions import VerifyException

from symir.dialects import sym
from symir.dialects.branch.types import _elem, _input_sites
from symir.dialects.dominance import check_dominance
from symir.dialects.types import _fits

X_ELEMENT_TYPES = (IntegerType(8), IntegerType(16), IntegerType(32), IntegerType(64))
"""The element types of a kernel's configurations `x` (signless integers)."""


def _check_states(op: Operation, what: str, states: DenseArrayBase) -> None:
    """A set of local states: `array<i64: ...>`, not empty, strictly increasing (the
    conversion compares with the first and last, and tests contiguity)."""
    values = list(states.get_values())
    if states.elt_type != i64 or not values or values != sorted(set(values)):
        raise VerifyException(
            f"'{op.name}' {what} must be a non-empty, strictly increasing array<i64>, got {values}"
        )


@irdl_op_definition
class KernelOp(IRDLOperation):
    """The whole operator as one batched kernel.

    Its block takes the configurations `tensor<?xNxT>` and one tensor per runtime
    parameter (`params` gives their names, in order): 0-d for a number, `tensor<Kxf64>`
    for a table that `branch.lookup` reads; it ends with `branch.return`.

    ```mlir
    branch.kernel @tfim sites 4 states [-1, 1] dtype f64 params ["h"] {
    ^bb0(%x: tensor<?x4xi8>, %h: tensor<f64>):
      ...
      branch.return %xp, %mels : tensor<?x5x4xi8>, tensor<?x5xf64>
    }
    ```
    """

    name = "branch.kernel"

    sym_name = prop_def(StringAttr)
    num_sites = prop_def(IntAttr)
    local_states = prop_def(DenseArrayBase)
    dtype = prop_def(Float64Type | ComplexType)
    params = prop_def(ArrayAttr[StringAttr])
    hermitian = opt_prop_def(UnitAttr)
    body = region_def("single_block")

    def __init__(
        self,
        name: str,
        num_sites: int,
        local_states: Sequence[int],
        dtype: Attribute,
        params: Sequence[str],
        hermitian: bool,
        body: Region,
    ):
        props: dict[str, Attribute] = {
            "sym_name": StringAttr(name),
            "num_sites": IntAttr(num_sites),
            "local_states": DenseArrayBase.from_list(i64, list(local_states)),
            "dtype": dtype,
            "params": ArrayAttr([StringAttr(p) for p in params]),
        }
        if hermitian:
            props["hermitian"] = UnitAttr()
        super().__init__(properties=props, regions=[body])

    @property
    def states(self) -> tuple[int, ...]:
        return tuple(self.local_states.get_values())

    @property
    def x(self) -> SSAValue:
        return self.body.block.args[0]

    @property
    def param_args(self) -> Sequence[SSAValue]:
        return self.body.block.args[1:]

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.data for p in self.params.data)

    def verify_(self):
        check_dominance(self)
        args = self.body.block.args
        n = self.num_sites.data
        if not 1 <= n <= sym.MAX_SITES:
            raise VerifyException(f"'branch.kernel' has {n} sites, outside [1, {sym.MAX_SITES}]")
        _check_states(self, "local states", self.local_states)
        if not args or _input_sites(self, args[0].type) != n:
            raise VerifyException(
                f"'branch.kernel' first argument must be tensor<?x{n}xiK>, "
                f"got {args[0].type if args else 'nothing'}"
            )
        elem = _elem(args[0].type)
        if elem not in X_ELEMENT_TYPES:
            raise VerifyException(
                f"'branch.kernel' configurations must have element type i8, i16, i32 or i64, "
                f"got {elem}"
            )
        if not _fits(self.states, elem.width.data):  # type: ignore[union-attr]
            raise VerifyException(
                f"'branch.kernel' local states {list(self.states)} do not fit the "
                f"configurations' element type {elem}"
            )
        if len(args) - 1 != len(self.params.data):
            raise VerifyException(
                f"'branch.kernel' has {len(self.params.data)} parameter names but "
                f"{len(args) - 1} parameter arguments"
            )
        for a in args[1:]:
            if not isinstance(a.type, TensorType) or not (
                a.type.get_shape() == ()
                or (len(a.type.get_shape()) == 1 and a.type.element_type == f64)
            ):
                raise VerifyException(
                    "'branch.kernel' parameters must be 0-d tensors or tables "
                    f"(tensor<Kxf64>), got {a.type}"
                )

    def print(self, printer: Printer):
        printer.print_string(" ")
        printer.print_symbol_name(self.sym_name.data)
        printer.print_string(f" sites {self.num_sites.data} states [")
        printer.print_string(", ".join(str(s) for s in self.states))
        printer.print_string("] dtype ")
        printer.print_attribute(self.dtype)
        printer.print_string(" params [")
        printer.print_list(self.param_names, printer.print_string_literal)
        printer.print_string("]")
        if self.hermitian is not None:
            printer.print_string(" hermitian")
        printer.print_string(" ")
        printer.print_region(self.body, print_entry_block_args=True)

    @classmethod
    def parse(cls, parser: Parser) -> KernelOp:
        name = parser.parse_symbol_name().data
        parser.parse_keyword("sites")
        n = parser.parse_integer(allow_boolean=False, allow_negative=False)
        parser.parse_keyword("states")
        states = parser.parse_comma_separated_list(parser.Delimiter.SQUARE, parser.parse_integer)
        parser.parse_keyword("dtype")
        dtype = parser.parse_type()
        parser.parse_keyword("params")
        params = parser.parse_comma_separated_list(
            parser.Delimiter.SQUARE, parser.parse_str_literal
        )
        hermitian = parser.parse_optional_keyword("hermitian") is not None
        body = parser.parse_region()
        return cls(name, n, states, dtype, params, hermitian, body)


def _input_sites_or_none(kernel: KernelOp) -> int | None:
    """N of the kernel's `tensor<?xNxiK>` configurations, or None when its first block
    argument is missing or of another type."""
    args = kernel.body.block.args
    t = args[0].type if args else None
    if not isinstance(t, TensorType) or len(t.get_shape()) != 2 or t.get_shape()[0] != DYN:
        return None
    return t.get_shape()[1]


def kernel_states(op: Operation) -> tuple[int, ...] | None:
    """The local states of the `branch.kernel` around `op`, or None outside one."""
    parent = op.parent_op()
    while parent is not None and not isinstance(parent, KernelOp):
        parent = parent.parent_op()
    return parent.states if parent is not None else None


class KernelReturnBase(IRDLOperation):
    """Base of a kernel's terminators: the matrix elements' derivatives named by `wrt`."""

    wrt = opt_prop_def(ArrayAttr[StringAttr])

    traits = lazy_traits_def(lambda: (IsTerminator(), HasParent(KernelOp)))

    irdl_options = (ParsePropInAttrDict(),)

    @staticmethod
    def wrt_properties(wrt: Sequence[str]) -> dict[str, Attribute]:
        """Return the properties that name the derivatives `wrt` (none without any)."""
        return {"wrt": ArrayAttr([StringAttr(w) for w in wrt])} if wrt else {}

    @property
    def wrt_names(self) -> tuple[str, ...]:
        """What each of `derivatives` is the derivative with respect to."""
        return tuple(w.data for w in self.wrt.data) if self.wrt is not None else ()

    def verify_wrt(self, derivatives: Sequence[SSAValue]):
        """Check that `wrt` names each of `derivatives`."""
        if len(self.wrt_names) != len(derivatives):
            raise VerifyException(
                f"'{self.name}' has {len(derivatives)} derivative(s) but "
                f"{len(self.wrt_names)} name(s) in wrt"
            )


@irdl_op_definition
class ReturnOp(KernelReturnBase):
    """Ends a kernel with the padded connected configurations and matrix elements, and,
    in a derivative kernel (`branch-differentiate`), partial derivatives of the matrix
    elements: one `tensor<?xFxT>` per name in `wrt`, slot for slot with `mels`.

    ```mlir
    branch.return %xp, %mels : tensor<?x5x4xi8>, tensor<?x5xf64>
    branch.return %xp, %mels, %dh {wrt = ["h"]} : tensor<?x5x4xi8>, tensor<?x5xf64>, tensor<?x5xf64>
    ```
    """

    name = "branch.return"

    xp = operand_def(TensorType)
    mels = operand_def(TensorType)
    derivatives = var_operand_def(TensorType)

    assembly_format = (
        "$xp `,` $mels (`,` $derivatives^)? attr-dict `:` type($xp) `,` type($mels) "
        "(`,` type($derivatives)^)?"
    )

    def __init__(
        self,
        xp: SSAValue,
        mels: SSAValue,
        derivatives: Sequence[SSAValue] = (),
        wrt: Sequence[str] = (),
    ):
        super().__init__(
            operands=[xp, mels, list(derivatives)], properties=self.wrt_properties(wrt)
        )

    def verify_(self):
        kernel = self.parent_op()
        assert isinstance(kernel, KernelOp)
        self.verify_wrt(self.derivatives)
        if len(kernel.body.blocks) != 1 or _input_sites_or_none(kernel) is None:
            return  # the kernel's own verifier reports it (it runs after this one)
        xt, mt = self.xp.type, self.mels.type
        assert isinstance(xt, TensorType) and isinstance(mt, TensorType)
        n = kernel.num_sites.data
        if len(xt.get_shape()) != 3 or xt.get_shape()[2] != n or xt.get_shape()[0] != DYN:
            raise VerifyException(f"'branch.return' xp must be tensor<?xFx{n}xiK>, got {xt}")
        f = xt.get_shape()[1]
        if mt.get_shape() != (DYN, f) or mt.element_type != kernel.dtype:
            raise VerifyException(
                f"'branch.return' mels must be tensor<?x{f}x{kernel.dtype}>, got {mt}"
            )
        for d, name in zip(self.derivatives, self.wrt_names):
            if name.startswith("@"):  # a record of table reads (`branch-differentiate`)
                if not isinstance(d.type, TensorType) or len(d.type.get_shape()) != 2:
                    raise VerifyException(
                        f"'branch.return' record {name!r} must be a tensor<?xMxT>, got {d.type}"
                    )
            elif d.type != mt:
                raise VerifyException(
                    f"'branch.return' derivatives must have the type of mels ({mt}), got {d.type}"
                )
        if xt.element_type != _elem(kernel.x.type):
            raise VerifyException(
                f"'branch.return' xp element type {xt.element_type} differs from the "
                f"input's {_elem(kernel.x.type)}"
            )
        self._verify_same_emits()

    def _verify_same_emits(self):
        """Where `xp` and `mels` are both `branch.concat`s, an input that is a
        `branch.emit`'s `xp` must face the `mel` of the same emit in the other concat:
        slot for slot, each matrix element belongs to the configuration beside it (two
        concats of the same emits in different orders attach every element to another
        configuration, and nothing downstream can tell)."""
        # by name: `branch.branches` imports this module (through `states`)
        xp, mels = self.xp.owner, self.mels.owner
        if not (_is_op(xp, "branch.concat") and _is_op(mels, "branch.concat")):
            return

        def emits(concat: Operation, result: int) -> list[Operation | None]:
            return [
                v.owner if _is_op(v.owner, "branch.emit") and v is v.owner.results[result] else None
                for v in concat.operands
            ]

        states, elements = emits(xp, 0), emits(mels, 1)  # branch.emit: xp, mel
        if len(states) != len(elements):
            return  # not emit for emit (an input that is not an emission's)
        for k, (s, m) in enumerate(zip(states, elements)):
            if s is not None and m is not None and s is not m:
                raise VerifyException(
                    f"'branch.return' input {k} of its xp concat is the xp of {_emit(s)} "
                    f"but input {k} of its mels concat is the mel of {_emit(m)}: the two "
                    "concats must gather the same emits in the same order"
                )


def _is_op(owner: object, name: str) -> bool:
    return isinstance(owner, Operation) and owner.name == name


def _emit(op: Operation) -> str:
    """A `branch.emit` named by its term (and tag), for a message."""
    term, tag = op.properties.get("term"), op.properties.get("tag")
    named = f"'branch.emit' of term {term}" if term is not None else "'branch.emit'"
    return named + (f" (tag {tag})" if tag is not None else "")


@irdl_op_definition
class ReturnDeltasOp(KernelReturnBase):
    """Ends a *delta kernel* (`branch-return-deltas`): instead of the connected
    configurations `xp`, for every slot the sites its branch writes and the values of
    `xp` there, `tensor<?xFxKxi64>` each (K: the most sites a branch writes), then the
    matrix elements and, in a derivative kernel, their derivatives as in `branch.return`.

    Applying the K entries of a slot to `x` (`x[sites[f, j]] = values[f, j]`, in any
    order: an entry that repeats a site carries the same value) gives that slot's `xp`.

    ```mlir
    branch.return_deltas %sites, %values, %mels : tensor<?x5x2xi64>, tensor<?x5x2xi64>, tensor<?x5xf64>
    branch.return_deltas %sites, %values, %mels, %dh {wrt = ["h"]} : tensor<?x5x1xi64>, tensor<?x5x1xi64>, tensor<?x5xf64>, tensor<?x5xf64>
    ```
    """

    name = "branch.return_deltas"

    sites = operand_def(TensorType)
    values = operand_def(TensorType)
    mels = operand_def(TensorType)
    derivatives = var_operand_def(TensorType)

    assembly_format = (
        "$sites `,` $values `,` $mels (`,` $derivatives^)? attr-dict `:` type($sites) `,` "
        "type($values) `,` type($mels) (`,` type($derivatives)^)?"
    )

    def __init__(
        self,
        sites: SSAValue,
        values: SSAValue,
        mels: SSAValue,
        derivatives: Sequence[SSAValue] = (),
        wrt: Sequence[str] = (),
    ):
        super().__init__(
            operands=[sites, values, mels, list(derivatives)],
            properties=self.wrt_properties(wrt),
        )

    @property
    def width(self) -> int:
        """K: the entries of each slot."""
        return self.sites.type.get_shape()[2]  # type: ignore[union-attr]

    def verify_(self):
        kernel = self.parent_op()
        assert isinstance(kernel, KernelOp)
        self.verify_wrt(self.derivatives)
        st, mt = self.sites.type, self.mels.type
        assert isinstance(st, TensorType) and isinstance(mt, TensorType)
        shape = st.get_shape()
        if len(shape) != 3 or shape[0] != DYN or shape[2] < 1 or st.element_type != i64:
            raise VerifyException(
                f"'branch.return_deltas' sites must be tensor<?xFxKxi64> with K >= 1, got {st}"
            )
        if self.values.type != st:
            raise VerifyException(
                f"'branch.return_deltas' values must have the type of sites ({st}), "
                f"got {self.values.type}"
            )
        if mt.get_shape() != (DYN, shape[1]) or mt.element_type != kernel.dtype:
            raise VerifyException(
                f"'branch.return_deltas' mels must be tensor<?x{shape[1]}x{kernel.dtype}>, got {mt}"
            )
        for d in self.derivatives:
            if d.type != mt:
                raise VerifyException(
                    f"'branch.return_deltas' derivatives must have the type of mels ({mt}), "
                    f"got {d.type}"
                )
