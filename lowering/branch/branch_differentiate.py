"""`branch-differentiate`: a kernel that also returns the derivatives of its matrix elements.

For every real direction of every parameter in `wrt` (a real parameter `h` is one
direction, `h`; a complex `z` two, `re(z)` and `im(z)`), the pass propagates tangents
forward through the kernel's body, op by op (the rules: `lowering/derivatives.py`,
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
from symir.dialects.locations import attach_op
from symir.errors import SymbolicDerivativeWarning
from symir.lowering import derivatives as rules
from symir.lowering.derivatives import Algebra, Rule, Tangent, element_type, is_floating


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
`sym` ops (`DERIVATIVES` of lowering/derivatives.py) through their counterparts (the
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
    tables = [n for n in wrt if is_table(kernel.param_args[names.index(n)])]
    if tables:
        raise ValueError(
            f"branch-differentiate: {tables} are table parameters, differentiated by "
            "`branch-differentiate{tables=true}` (their reads, not one direction each)"
        )
    found = []
    for name in wrt or names:
        if is_table(kernel.param_args[names.index(name)]):
            continue
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


def is_table(arg: SSAValue) -> bool:
    """Whether a kernel parameter is a table (`tensor<Kxf64>`), not a number."""
    return isinstance(arg.type, TensorType) and len(arg.type.get_shape()) == 1


class ReadSweep(Sweep):
    """The tangents of the value of one op, `seed` (a read of a table parameter, or a
    `branch.sum_rows` that such reads reach), seeded with ones: the partial derivative
    of every value after it with respect to the seed's value *in the same row*. Rows
    mix only in `branch.sum_rows`: the sweep stops there and records the tangent of the
    sum's input (`reached`), whose partial derivatives are then taken with respect to
    the sum itself. For a read, `positions` carries, row for row along the tangents, the
    position of the entry it read, plus one (`0.0`: no entry, or no read in that slot)."""

    def __init__(self, kernel: branch.KernelOp, table: SSAValue, seed: Operation, anchors):
        name = kernel.param_names[list(kernel.param_args).index(table)]
        super().__init__(kernel, Direction(name, name, table, 1.0), anchors)
        self.seed = seed
        self.positions: dict[SSAValue, SSAValue] = {}
        self.reached: list[tuple[branch.SumRowsOp, SSAValue, SSAValue | None]] = []

    def tangent_of(self, op: Operation) -> Tangent:
        if op is self.seed:
            result = op.results[0]
            if isinstance(op, branch.LookupOp):
                keys = op.keys.get_values()
                where = branch.LookupOp(op.index, keys, [j + 1.0 for j in range(len(keys))])
                self.alg.built.append(where)
                self.positions[result] = where.result
            return self.alg.scalar(1.0, element_type(result), result)
        if isinstance(op, branch.SumRowsOp):
            tangent = self.tangents.get(op.input)
            if tangent is not None:
                self.reached.append((op, tangent, self.positions.get(op.input)))
            return None
        tangent = super().tangent_of(op)
        if tangent is not None and self.positions:
            self.track_positions(op)
        return tangent

    def track_positions(self, op: Operation) -> None:
        """The positions of the seed's reads in `op`'s result: those of its operands
        (the same rows), or for `branch.concat` theirs side by side."""
        found = [self.positions.get(v) for v in op.operands]
        if isinstance(op, branch.ConcatOp):
            parts = [
                p if p is not None else self.alg.zero(f64, v) for v, p in zip(op.inputs, found)
            ]
            concat = branch.ConcatOp(parts)
            self.alg.built.append(concat)
            self.positions[op.results[-1]] = concat.result
            return
        known = [p for p in found if p is not None]
        if known:
            self.positions[op.results[-1]] = known[0]


def read_records(kernel: branch.KernelOp) -> tuple[list[SSAValue], list[str]]:
    """What the derivative of the matrix elements with respect to the kernel's table
    parameters takes: for every read `r` of a table `t` (a `branch.lookup` of it, named
    `t#k`, k counting the reads of the kernel) and every `branch.sum_rows` such reads
    reach (`sum#k`), the tangent of what it reaches (the matrix elements, `mels`, or a
    sum, `sum#k`) with respect to its value, row for row, and for a read the positions
    of the entries it read (plus one, 0.0 for none): outputs named `@<source>><target>:D`
    and `@<source>><target>:P`. With `dT` the tangent of the table,

        d mels = sum over sources s reaching mels of  D * value(s),
        value(t#k) = dT[P - 1] (0 where P = 0),   value(sum#k) = sum over its rows of
                     the sources reaching it, D * value(source),

    linear in `dT` (what `symir.runtime.compiled` evaluates, and JAX transposes)."""
    block = kernel.body.block
    ret = block.last_op
    assert isinstance(ret, branch.ReturnOp)
    primal = list(block.ops)
    tables = {a for a in kernel.param_args if is_table(a)}
    sources: list[tuple[str, Operation, SSAValue]] = []
    for op in primal:
        if isinstance(op, branch.LookupOp) and op.table_param in tables:
            table = op.table_param
            name = kernel.param_names[list(kernel.param_args).index(table)]
            sources.append((f"{name}#{len(sources)}", op, table))
    outputs: list[SSAValue] = []
    names: list[str] = []
    sums: dict[Operation, str] = {}
    anchors: dict[Operation, Operation] = {}
    k = 0
    while k < len(sources):
        label, seed, table = sources[k]
        k += 1
        sweep = ReadSweep(kernel, table, seed, anchors)
        sweep.run(primal)
        for total, tangent, positions in sweep.reached:
            if total not in sums:
                sums[total] = f"sum#{len(sums)}"
                sources.append((sums[total], total, table))
            outputs.append(tangent)
            names.append(f"@{label}>{sums[total]}:D")
            if positions is not None:
                outputs.append(positions)
                names.append(f"@{label}>{sums[total]}:P")
        d = sweep.tangents.get(ret.mels)
        if d is not None:
            outputs.append(d)
            names.append(f"@{label}>mels:D")
            if isinstance(seed, branch.LookupOp):
                outputs.append(sweep.positions[ret.mels])
                names.append(f"@{label}>mels:P")
    return outputs, names


def differentiate_tables(kernel: branch.KernelOp) -> None:
    """Makes `kernel` return, after `xp` and `mels`, the records of `read_records`."""
    block = kernel.body.block
    ret = block.last_op
    if not isinstance(ret, branch.ReturnOp) or ret.derivatives:
        raise attach_op(
            ValueError(
                f"branch-differentiate{{tables=true}}: kernel @{kernel.sym_name.data} must "
                "end with a 'branch.return' of xp and mels only (first derivatives)"
            ),
            ret or kernel,
        )
    outputs, names = read_records(kernel)
    new = branch.ReturnOp(ret.xp, ret.mels, outputs, names)
    block.insert_op_before(new, ret)
    ret.detach()
    ret.erase()
    region_dce(kernel.body)


def _tag(op: branch.EmitOp) -> str | None:
    return op.tag.data if op.tag is not None else None


def differentiate_kernel(kernel: branch.KernelOp, wrt: Sequence[str] = ()) -> list[str]:
    """Adds the derivatives of `kernel`'s matrix-element outputs along every direction of
    `wrt` to its `branch.return`; returns the warnings (parameters that decide a mask or
    an update)."""
    block = kernel.body.block
    ret = block.last_op
    if not isinstance(ret, branch.ReturnOp | branch.ReturnDeltasOp):
        raise attach_op(
            ValueError(
                f"branch-differentiate: kernel @{kernel.sym_name.data} does not end with "
                "'branch.return' or 'branch.return_deltas'"
            ),
            kernel,
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
    if isinstance(ret, branch.ReturnDeltasOp):  # a delta kernel: the same slots
        new = branch.ReturnDeltasOp(ret.sites, ret.values, ret.mels, derivatives, names)
    else:
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
    """The parameters to differentiate by (all of the kernel's numbers when empty); a
    complex parameter gives two directions, its real and imaginary parts."""

    tables: bool = False
    """Instead: the derivatives with respect to the kernel's table parameters, as the
    records of `read_records` (first derivatives only)."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.tables:
            for kernel in [o for o in op.walk() if isinstance(o, branch.KernelOp)]:
                differentiate_tables(kernel)
            return
        for kernel in [o for o in op.walk() if isinstance(o, branch.KernelOp)]:
            for message in differentiate_kernel(kernel, self.wrt):
                warnings.warn(
                    f"branch-differentiate: kernel @{kernel.sym_name.data}: {message}",
                    SymbolicDerivativeWarning,
                    stacklevel=2,
                )
