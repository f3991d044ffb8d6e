"""Outputs of a StableHLO module that no input's values reach: the same in every row.

A delta kernel's `sites` (`branch-return-deltas`) are, for most operators, the sites
each slot writes whatever the configuration (a hop's two sites, a flip's one): constants
broadcast to the batch. Made inside the kernel, XLA sees a `(b, F, k)` array built from
constants and writes it out for every call (1024 x 65 x 2 `int64` sites, 0.3-0.5 ms of
thread time on Bose-Hubbard 4x4); known at trace time, the `(F, k)` sites are numpy
constants, and what the local-energy path computes from them alone (which entries
repeat a site) is computed once, in numpy.

`static_outputs(module)` says which outputs of `@main` depend on no input's values, by a
walk of its operations: a value depends on the inputs when an operand of the operation
that makes it does, where the shape operands of the `dynamic_*` operations (the batch
size, `get_dimension_size` of `x`) are not counted, so a constant broadcast to the batch
is static, while an iota along a dynamic dimension, a call's result from dependent
arguments and an operation with regions that read a dependent value are not.
`static_rows(module, index)` evaluates such an output once, on one row of zeros: its
`(F, k, ...)` value, the same for every row of every batch (the module compiled and
called as an executable, which no enclosing trace sees: an eager `shard_map`, NetKet's
sharded kernel called without `jax.jit`, traces a plain call even under
`ensure_compile_time_eval`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symir.runtime.jax_private import mlir_modules
from symir.runtime.stablehlo_exec import LoadedModule, _parse

__all__ = ["static_outputs", "static_rows"]

_SHAPE_OPERANDS = {
    "stablehlo.dynamic_broadcast_in_dim": 1,
    "stablehlo.dynamic_reshape": 1,
    "stablehlo.dynamic_iota": 0,
    "stablehlo.real_dynamic_slice": 1,
    "stablehlo.dynamic_pad": 2,
    "stablehlo.dynamic_gather": 2,
    "stablehlo.dynamic_conv": 2,
}
"""How many leading operands of each operation are data (the others give the result's
shape). A `dynamic_iota` has no data: its values depend on the batch size only through
its shape, which `_depends` treats as dependent (its rows differ)."""
_ALWAYS_DEPENDENT = frozenset(
    {"stablehlo.dynamic_iota", "stablehlo.rng", "stablehlo.rng_bit_generator"}
)


def static_outputs(module: LoadedModule) -> tuple[bool, ...]:
    """For each output of `@main`: whether no input's values reach it (module docstring)."""
    hit = module.wrappers.get("static_outputs")
    if hit is None:
        hit = module.wrappers.setdefault("static_outputs", _static_outputs(module.text))
    return hit


def _static_outputs(text: str) -> tuple[bool, ...]:
    _, ir = mlir_modules()
    ctx, parsed = _parse(text)
    with ctx:
        for op in parsed.body.operations:
            if op.operation.name != "func.func":
                continue
            if ir.StringAttr(op.attributes["sym_name"]).value != "main":
                continue
            block = op.regions[0].blocks[0]
            dependent: set = set(block.arguments)
            returned: tuple = ()
            for inner in block.operations:
                if inner.operation.name == "func.return":
                    returned = tuple(inner.operation.operands)
                elif _depends(inner.operation, dependent):
                    dependent.update(inner.operation.results)
            return tuple(v not in dependent for v in returned)
    return ()


def _depends(operation: Any, dependent: set) -> bool:
    """Whether `operation`'s results depend on a value of `dependent` (which collects, on
    the way, the dependent values made inside its regions)."""
    name = operation.name
    if name in _ALWAYS_DEPENDENT:
        return True
    operands = list(operation.operands)
    data = operands[: _SHAPE_OPERANDS.get(name, len(operands))]
    found = any(v in dependent for v in data)
    for region in operation.regions:
        for block in region.blocks:
            if found:  # the block's arguments come from dependent operands
                dependent.update(block.arguments)
            for inner in block.operations:
                if _depends(inner.operation, dependent):
                    dependent.update(inner.operation.results)
                    found = True
    return found


def static_rows(module: LoadedModule, index: int) -> np.ndarray | None:
    """Output `index` of `module` for one row, `(...)` without the batch dimension, where
    it is static (`static_outputs`), else None: evaluated once, eagerly, on zeros."""
    if not static_outputs(module)[index]:
        return None
    key = ("static_rows", index)
    hit = module.wrappers.get(key)
    if hit is None:
        import jax

        args = [np.zeros(tuple(1 if d is None else d for d in s), t) for s, t in module.in_specs]
        # compiled and called as an executable: a call of `module` itself would be traced
        # by an enclosing eager `shard_map` (NetKet's sharded kernel called without
        # `jax.jit`), whose values `ensure_compile_time_eval` does not make concrete
        with jax.ensure_compile_time_eval():
            out = jax.jit(module).lower(*args).compile()(*args)
        out = out if isinstance(out, tuple) else (out,)
        value = np.asarray(out[index])
        if module.out_specs[index][0][:1] == (None,):
            value = value[0]
        hit = module.wrappers.setdefault(key, value)
    return hit
