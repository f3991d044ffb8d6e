"""The manual axes of an enclosing `shard_map` (NetKet's sharded kernels run symir's local
energies inside one, even on one device): which of them a value varies over, and casting a
value to vary over all of them."""

from __future__ import annotations

from typing import Any

import jax

__all__ = ["manual_axes", "type_axes", "varying", "varying_axes"]


def manual_axes() -> tuple:
    """The manual axes of the enclosing `shard_map` (none outside one)."""
    return tuple(getattr(jax.sharding.get_abstract_mesh(), "manual_axes", ()) or ())


def varying(tree: Any) -> Any:
    """`tree` made to vary over the manual axes of the enclosing `shard_map` (none
    outside one), so that a loop carry starts with the type its body gives it: the
    body's results vary there (the traced arguments' types inside a `custom_vjp` do not
    say so)."""
    axes = manual_axes()
    if not axes:
        return tree

    def cast(t):
        missing = tuple(a for a in axes if a not in varying_axes(t))
        return jax.lax.pcast(t, missing, to="varying") if missing else t

    return jax.tree_util.tree_map(cast, tree)


def varying_axes(value: Any) -> frozenset:
    """The manual axes of the enclosing `shard_map` that `value` varies over: its type's
    `mat.varying` (JAX 0.10; `vma` before). A value cast to varying again (`pcast` from
    varying to varying) is an error in NetKet's gradient of a non-hermitian operator."""
    return type_axes(jax.typeof(value))


def type_axes(aval: Any) -> frozenset:
    """The manual axes a value of type `aval` varies over (`varying_axes` of a type)."""
    mat = getattr(aval, "mat", None)
    return frozenset(mat.varying if mat is not None else getattr(aval, "vma", ()))
