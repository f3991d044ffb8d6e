"""The slots of a local-energy block: the diagonal part summed, the candidate slots kept
(shared by `symir.runtime.local_energy` and `symir.runtime.fast_updates`, which must not
import each other)."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

__all__ = ["split_diagonal"]


def split_diagonal(plan: Any, mels: Any, out_dtype: Any, per_slot: tuple) -> tuple[Any, tuple]:
    """The diagonal part of the local energies (the matrix elements of the slots that
    are `x` itself, summed: `(b,)` in the result dtype of `mels` and `out_dtype`), and
    the arrays `per_slot` (`(b, F, ...)`) restricted to the candidate slots."""
    total = jnp.zeros((mels.shape[0],), jnp.result_type(mels.dtype, out_dtype))
    if plan.diagonal:
        total = total + jnp.sum(take_slots(mels, plan.diagonal), axis=-1)
    if plan.candidates and len(plan.candidates) != plan.max_conn_size:
        per_slot = tuple(take_slots(a, plan.candidates) for a in per_slot)
    return total, per_slot


def take_slots(a: Any, slots: Any) -> Any:
    """`a[:, slots]` for static slot numbers: a slice where they are consecutive (the
    diagonal first, the candidates after it, as on every lattice model), else a gather.
    XLA's CPU gather with a constant index array is a loop over the result's elements
    whose consumers recompute it; a slice fuses into them as a strided read."""
    slots = np.asarray(slots, np.int64)
    if len(slots) and np.array_equal(slots, np.arange(slots[0], slots[0] + len(slots))):
        return a[:, int(slots[0]) : int(slots[0]) + len(slots)]
    return a[:, slots]
