"""Site masks packed in 64-bit words: the tables of `sym.parity_sum` and `sym.flip_sites`.

A mask of N sites is `W = ceil(N / 64)` i64 words; bit `b` of word `w` is site
`64 w + b` (two's complement: bit 63 makes the word negative). A table of K masks is
an `array<i64>` of `K * W` words, mask k at words `[k W, (k + 1) W)`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def words_per_mask(n_sites: int) -> int:
    """`W`: the i64 words of one mask of `n_sites` sites."""
    return max(1, -(-int(n_sites) // 64))


def pack_masks(masks: np.ndarray) -> np.ndarray:
    """`(K, N)` booleans -> `K * W` int64 words (row-major)."""
    masks = np.asarray(masks, dtype=bool)
    k, n = masks.shape
    w = words_per_mask(n)
    padded = np.zeros((k, 64 * w), dtype=bool)
    padded[:, :n] = masks
    return np.packbits(padded, axis=1, bitorder="little").view("<i8").reshape(-1).astype(np.int64)


def unpack_masks(words: Sequence[int] | np.ndarray, n_sites: int) -> np.ndarray:
    """`K * W` words -> `(K, N)` booleans (`K * W` must be a multiple of `W`)."""
    w = words_per_mask(n_sites)
    a = np.ascontiguousarray(np.asarray(words, dtype="<i8")).reshape(-1, w)
    bits = np.unpackbits(a.view(np.uint8).reshape(len(a), 8 * w), axis=1, bitorder="little")
    return bits[:, :n_sites].astype(bool)


def check_words(words: np.ndarray, n_sites: int) -> str | None:
    """What is wrong with a table of masks of `n_sites` sites, or None."""
    w = words_per_mask(n_sites)
    if len(words) % w:
        return f"has {len(words)} mask words, not a multiple of {w} (words per mask of {n_sites} sites)"
    if len(words) and 64 * w > n_sites:
        last = np.asarray(words, dtype="<i8").reshape(-1, w)[:, -1].view(np.uint64)
        extra = 64 * w - n_sites
        high = ~np.uint64(0) << np.uint64(64 - extra)
        if np.any(last & high):
            return f"has a mask with a site outside [0, {n_sites})"
    return None
