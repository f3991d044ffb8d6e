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
        total = total + jnp.sum(mels[:, np.asarray(plan.diagonal)], axis=-1)
    if plan.candidates and len(plan.candidates) != plan.max_conn_size:
        cand = np.asarray(plan.candidates)
        per_slot = tuple(a[:, cand] for a in per_slot)
    return total, per_slot
