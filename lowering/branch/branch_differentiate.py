"""`branch-differentiate`: a kernel that also returns the derivatives of its matrix elements.

For every real direction of every parameter in `wrt` (a real parameter `h` is one
direction, `h`; a complex `z` two, `re(z)` and `im(z)`), the pass propagates tangents
forward through the kernel's body, op by op (the rules: `lowering/_derivatives.py`,
through the table `RULES` below), and makes the kernel return, after `xp` and `mels`,
the derivative of every matrix-element output along every direction:

    branch.return %xp, %mels, %d_h, %d_J {wrt = ["h", "J"]}

Each derivative is a `tensor<?xFxT>` like `mels`, slot for slot: it is the derivative of
the very ops that compute `mels`, after whatever the branch passes made of them (a
coalesced diagonal is a `branch.sum_rows`, whose tangent is the `sum_rows` of the
tangents; a merged group of emissions a `branch.select`; ...), so the slot order is the
primal kernel's by construction. Run it last, after every pass that changes slots.

The connected configurations and the masks do not depend smoothly on parameters: `xp`
gets no derivative, and a `branch.emit` passes the tangent of its amplitude through the
same mask and the same validity (`branch.emit %x, %state, %d_amplitude, %mask`). Where a
parameter decides a mask or an update (`where(site(i) > h)`, a write of a parameter-
dependent integer), that dependence is dropped (a zero derivative almost everywhere,
undefined at the jumps): the pass says so with a `SymbolicDerivativeWarning` naming the
term.

Run on a kernel that already returns derivatives (`wrt = [names]`), it differentiates
those too, appending, direction by direction, the derivative of `mels` and of each
returned derivative in order (named `j` and `name,j`): applied k times it gives every
partial derivative up to order k, which is how the runtime gets second derivatives.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import (
    ComplexType,
    FloatAttr,
    IntegerAttr,
    ModuleOp,
    TensorType,
    f64,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.transforms.dead_code_elimination import region_dce

from symir.dialects import branch, sym
from symir.errors import SymbolicDerivativeWarning
from symir.lowering import _derivatives as rules
from symir.lowering._derivatives import Algebra, Rule, Tangent, element_type, is_floating


class BranchAlgebra(Algebra):
    """The `branch` ops the rules build, over the batch of `%x`."""

    ADD = branch.AddOp
    SUB = branch.SubOp
    MUL = branch.MulOp
    DIV = branch.DivOp
    POW = branch.PowOp
    NEG = branch.NegOp
    CONJ = branch.ConjOp
    REAL = branch.RealOp
    IMAG = branch.ImagOp
    SQRT = branch.SqrtOp
    LOG = branch.LogOp
    SIN = branch.SinOp
    COS = branch.CosOp
    COMPLEX = branch.ComplexOp
    CMP = branch.CmpOp
    SELECT = branch.SelectOp

    def __init__(self, x: SSAValue):
        super().__init__()
        self.x = x

    def constant(self, value: float | int, t: Attribute, like: SSAValue) -> SSAValue:
        assert isinstance(like.type, TensorType)
        rows = like.type.get_shape()[1]
        attr = FloatAttr(float(value), f64) if t == f64 else IntegerAttr(int(value), t)  # type: ignore[arg-type]
        new = branch.ConstantOp(self.x, attr, rows)
        self.built.append(new)
        return new.result


RULES: dict[type[Operation], Rule] = {
    branch.counterpart(op): rules.DERIVATIVES[mnemonic]
    for mnemonic, op in sym.EXPRESSION_OPS.items()
    if mnemonic in rules.DERIVATIVES
}
"""The derivative rule of each `branch` op with a floating result, from the rules of the
`sym` ops (`DERIVATIVES` of lowering/_derivatives.py) through their counterparts (the
others, integer, boolean and state results, have no tangent; `splat`, `emit`,
`sum_rows` and `concat` are handled by `Sweep` itself)."""


@dataclass(frozen=True)
class Direction:
    """A real direction of a parameter: its name in `wrt`, its parameter, its argument
    and the seed (the tangent of the parameter along it)."""

    name: str
    param: str
    arg: SSAValue
    seed: complex | float


def directions(kernel: branch.KernelOp, wrt: Sequence[str]) -> list[Direction]:
    """The directions of the parameters `wrt` (all of the kernel's when empty), in
    order; a complex parameter `z` gives `re(z)` then `im(z)`."""
    names = kernel.param_names
    unknown = [w for w in wrt if w not in names]
    if unknown:
        raise ValueError(
            f"branch-differentiate: kernel @{kernel.sym_name.data} has no parameter(s) "
            f"{unknown}; its parameters are {list(names)}"
        )
    found = []
    for name in wrt or names:
        arg = kernel.param_args[names.index(name)]
        if isinstance(element_type(arg), ComplexType):
            found += [
                Direction(f"re({name})", name, arg, 1.0),
                Direction(f"im({name})", name, arg, 1j),
            ]
        else:
            found.append(Direction(name, name, arg, 1.0))
    return found


class Sweep:
    """The tangents of one direction, built op by op after the op they differentiate."""

    def __init__(
        self,
        kernel: branch.KernelOp,
        direction: Direction,
        anchors: dict[Operation, Operation] | None = None,
    ):
        self.kernel = kernel
        self.direction = direction
        self.anchors = {} if anchors is None else anchors
        """Primal op -> the last op inserted after it (by any direction's sweep), so that
        the tangents of later directions come after those of earlier ones."""
        self.alg = BranchAlgebra(kernel.x)
        self.tangents: dict[SSAValue, SSAValue] = {}
        self.depends: set[SSAValue] = {direction.arg}
        self.decided: list[str] = []

    def run(self, ops: Sequence[Operation]) -> None:
        """Differentiates `ops` (the kernel's primal ops, in order)."""
        block = self.kernel.body.block
        for op in ops:
            if any(v in self.depends for v in op.operands):
                self.depends.update(op.results)
            tangent = self.tangent_of(op)
            built = self.alg.take()
            if built:
                block.insert_ops_after(built, self.anchors.get(op, op))
                self.anchors[op] = built[-1]
            if tangent is not None:
                self.tangents[op.results[-1]] = tangent

    def tangent_of(self, op: Operation) -> Tangent:
        """The tangent of `op`'s floating result (of `mel` for an emit), or None."""
        if isinstance(op, branch.SplatOp):
            if op.scalar is not self.direction.arg:
                return None
            return self.alg.scalar(self.direction.seed, element_type(op.result), op.result)
        if isinstance(op, branch.EmitOp):
            self.check_emit(op)
        t = [self.tangents.get(v) for v in op.operands]
        if all(v is None for v in t) or not op.results or not is_floating(op.results[-1]):
            return None
        if isinstance(op, branch.EmitOp):
            emit = branch.EmitOp(
                op.x, op.state, t[2], op.mask, element_type(op.mel), op.term.data, _tag(op)
            )
            self.alg.built.append(emit)
            return emit.mel
        if isinstance(op, branch.SumRowsOp):
            return self.alg.op(branch.SumRowsOp, t[0])  # type: ignore[arg-type]
        if isinstance(op, branch.ConcatOp):
            parts = [d if d is not None else self.zero_like(v) for v, d in zip(op.inputs, t)]
            concat = branch.ConcatOp(parts)
            self.alg.built.append(concat)
            return concat.result
        rule = RULES.get(type(op))
        if rule is None:
            raise rules.missing_rule("branch-differentiate", op, self.direction.name)
        return self.alg.coerce(rule(self.alg, op, t), element_type(op.results[0]))

    def zero_like(self, value: SSAValue) -> SSAValue:
        return self.alg.zero(element_type(value), value)

    def check_emit(self, op: branch.EmitOp) -> None:
        what = [w for w, v in (("mask", op.mask), ("update", op.state)) if v in self.depends]
        if what:
            tag = f" (tag {_tag(op)!r})" if op.tag is not None else ""
            self.decided.append(f"term @{op.term.data}{tag}: its {' and '.join(what)}")


def _tag(op: branch.EmitOp) -> str | None:
    return op.tag.data if op.tag is not None else None


def differentiate_kernel(kernel: branch.KernelOp, wrt: Sequence[str] = ()) -> list[str]:
    """Adds the derivatives of `kernel`'s matrix-element outputs along every direction of
    `wrt` to its `branch.return`; returns the warnings (parameters that decide a mask or
    an update)."""
    block = kernel.body.block
    ret = block.last_op
    if not isinstance(ret, branch.ReturnOp):
        raise ValueError(
            f"'branch.kernel' @{kernel.sym_name.data} does not end with 'branch.return'"
        )
    outputs = [ret.mels, *ret.derivatives]
    labels = ["", *ret.wrt_names]
    derivatives, names = list(ret.derivatives), list(ret.wrt_names)
    found: dict[str, None] = {}
    anchors: dict[Operation, Operation] = {}
    primal = list(block.ops)
    for direction in directions(kernel, wrt):
        sweep = Sweep(kernel, direction, anchors)
        sweep.run(primal)
        for y, label in zip(outputs, labels):
            d = sweep.tangents.get(y)
            if d is None:
                d = sweep.zero_like(y)
                block.insert_ops_before(sweep.alg.take(), ret)
            derivatives.append(d)
            names.append(f"{label},{direction.name}" if label else direction.name)
        for what in sweep.decided:
            p = direction.param
            message = (
                f"parameter {p!r} decides {what}; the derivative of mels with respect to "
                f"{p!r} leaves that dependence out (connected configurations and masks are "
                "not differentiable: a step, zero almost everywhere)"
            )
            found[message] = None
    new = branch.ReturnOp(ret.xp, ret.mels, derivatives, names)
    block.insert_op_before(new, ret)
    ret.detach()
    ret.erase()
    region_dce(kernel.body)
    return list(found)


@dataclass(frozen=True)
class BranchDifferentiatePass(ModulePass):
    """Makes every `branch.kernel` also return the parameter derivatives of its mels.

    `wrt`: the parameters (all of the kernel's when empty), e.g.
    `branch-differentiate{wrt=h,J}`.
    """

    name = "branch-differentiate"

    wrt: tuple[str, ...] = ()
    """The parameters to differentiate by (all of the kernel's when empty); a complex
    parameter gives two directions, its real and imaginary parts."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for kernel in [o for o in op.walk() if isinstance(o, branch.KernelOp)]:
            for message in differentiate_kernel(kernel, self.wrt):
                warnings.warn(
                    f"branch-differentiate: kernel @{kernel.sym_name.data}: {message}",
                    SymbolicDerivativeWarning,
                    stacklevel=2,
                )
