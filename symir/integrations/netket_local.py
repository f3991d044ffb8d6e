"""`to_local_operator`: a symbolic operator as NetKet's `LocalOperator`.

NetKet's `LocalOperator` is a sum of small matrices, each acting on a few sites. A symir
term visits rows of sites; for each row, the sites its branches read or write are found
statically (the labels of the row, flat indices, the ranges of `count(lo, hi)`, the
sites of `nth_site` and the masks of the row's key in `parity_sum` and `flip_sites`, the
tables of `pauli_strings`; a site index that depends on the configuration or on a parameter
makes the row act on every site). The row's local matrix is then filled by the reference interpreter
(symir/interpreter.py): every configuration of those sites, embedded in a fixed
background, gives the row's branches, which may only change those sites. Rows acting on no
site (a constant) become the operator's `constant`.

The result equals the symir operator's matrix (`to_dense`, NetKet's basis order) to
rounding. It is NetKet's own operator: its kernels, `to_dense`, its algebra.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import netket as nk
import numpy as np
import scipy.sparse

from symir.frontend.expr import Expr
from symir.frontend.operator import SymbolicOperator
from symir.frontend.product import static_value, term_exprs, walk
from symir.interpreter import reference_get_conn

__all__ = ["MAX_LOCAL_SIZE", "to_local_operator"]

MAX_LOCAL_SIZE = 4096
"""The largest local matrix (rows) one term row may need: `local states ** sites`."""


def _support(term: Any, row: tuple[int, ...], n: int) -> tuple[int, ...] | None:
    """The sites one row of `term` reads or writes, sorted, or None when a site index is
    not static."""
    env = dict(zip(term.labels, row, strict=True))
    sites: set[int] = set()
    dynamic = False

    def site(e: Expr) -> None:
        nonlocal dynamic
        v = static_value(e, env)
        if v is None:
            dynamic = True
        else:
            sites.add(v)

    def visit(e: Expr) -> None:
        nonlocal dynamic
        if e.op in ("read", "read_emitted"):
            site(e.args[0])
        elif e.op == "count":
            lo, hi = (static_value(a, env) for a in e.args)
            if lo is None or hi is None:
                dynamic = True
            else:
                sites.update(range(max(lo, 0), min(hi, n)))
        elif e.op == "nth_site":  # reads x at all of its sites
            sites.update(e.args[0])
        elif e.op == "parity_sum":  # reads x at the sites of its key's masks
            read = _parity_sites(e, env, n)
            dynamic = dynamic or read is None
            sites.update(read or ())

    for e in term_exprs(term):
        walk(e, visit)
    return None if dynamic else tuple(sorted(sites))


def _mask_sites(words: np.ndarray, entries: Any, n: int) -> set[int]:
    """The sites of the packed masks `entries` of a table of masks of `n` sites."""
    from symir.dialects.sym.site_masks import unpack_masks, words_per_mask

    w = words_per_mask(n)
    rows = [words[k * w : (k + 1) * w] for k in entries]
    if not rows:
        return set()
    return set(np.flatnonzero(unpack_masks(np.concatenate(rows), n).any(axis=0)).tolist())


def _parity_sites(e: Expr, env: dict, n: int) -> set[int] | None:
    """The sites a `parity_sum` reads: those of its key's masks (None: a key that is not
    static)."""
    table, _, index = e.args
    key = static_value(index, env)
    if key is None:
        return None
    offsets, masks = table.arrays[0], table.arrays[1]
    return _mask_sites(masks, range(offsets[key], offsets[key + 1]), n)


def _steps(update: Any):
    for step in update.steps:
        yield step
        if step[0] == "cond":
            yield from _steps(step[2])
            yield from _steps(step[3])


def _written_sites(update: Any):
    for step in _steps(update):
        kind = step[0]
        if kind in ("write", "shift", "shift_mod", "affine"):
            yield step[1]
        elif kind in ("swap", "permute"):
            yield from step[1:]
        elif kind == "scatter":
            yield from step[1]


def _row_support(term: Any, row: tuple[int, ...], n: int) -> tuple[int, ...]:
    found = _support(term, row, n)
    if found is None:
        return tuple(range(n))
    env = dict(zip(term.labels, row, strict=True))
    extra = set()
    for em in term.emissions:
        for step in _steps(em.update):  # the sites of the row's mask
            if step[0] == "flip_sites":
                key = static_value(step[1], env)
                if key is None:
                    return tuple(range(n))
                extra |= _mask_sites(step[2].arrays[0], [key], n)
        for s in _written_sites(em.update):
            v = static_value(s, env)
            if v is None:
                return tuple(range(n))
            extra.add(v)
    return tuple(sorted(set(found) | extra))


def to_local_operator(op: Any, hilbert: Any = None, params: dict | None = None) -> Any:
    """`op` (a symbolic operator, or a `NetKetOperator` made from one) as NetKet's
    `LocalOperator` on `hilbert` (default: the adapter's NetKet space), with the
    parameter values `params` (default: the adapter's, else the defaults)."""
    if isinstance(op, nk.operator.AbstractOperator) and hasattr(op, "compiled"):  # the adapter
        op, hilbert, params = _unwrap(op, hilbert, params)
    if not isinstance(op, SymbolicOperator):
        raise TypeError(f"to_local_operator expects a symbolic operator, got {type(op).__name__}")
    if hilbert is None:  # the adapter's NetKet space (through the runtime's integration)
        hilbert = op.compile(params=params or {}).to_netket().hilbert
    params = {k: _param_value(v) for k, v in (params or {}).items()}
    n = op.space.size
    local = np.asarray(hilbert.local_states)
    index = {int(v): k for k, v in enumerate(local)}
    d = len(local)
    background = np.full(n, int(local[0]), dtype=np.int64)
    dtype = np.complex128 if op.dtype == "complex128" else np.float64
    matrices, acting_on, constant = [], [], 0.0
    for term in op.terms:
        for row in term.rows:
            sites = _row_support(term, row, n)
            if d ** len(sites) > MAX_LOCAL_SIZE:
                raise ValueError(
                    f"term {term.name!r} row {list(row)} of {op.name!r} acts on {len(sites)} "
                    f"sites ({d ** len(sites)} local states, more than {MAX_LOCAL_SIZE}): "
                    "no LocalOperator for it"
                )
            single = SymbolicOperator(
                op.hilbert, op.name, (replace(term, rows=(row,), fanout=None),), dtype=op.dtype
            )
            declared = single.to_ir().parameters
            given = {k: v for k, v in params.items() if k in declared}
            matrix = _local_matrix(single, sites, local, index, background, given, dtype)
            if not sites:
                constant += matrix[0, 0]
            elif np.any(matrix != 0):
                # sparse, as NetKet's own conversions (Ising.to_local_operator) make them:
                # NetKet 3.23 fails to multiply a sparse local operator by a dense one
                matrices.append(scipy.sparse.coo_matrix(matrix))
                acting_on.append(list(sites))
    return nk.operator.LocalOperator(hilbert, matrices, acting_on, constant=constant, dtype=dtype)


def _param_value(value: Any) -> Any:
    """A parameter's value as the reference interpreter takes it: a number, or the
    entries of a table parameter (`symir.table`) as a NumPy array (a JAX array of them,
    as an adapter holds, raised a bare `TypeError` in `float`, sweep 27)."""
    array = np.asarray(value)
    if array.ndim:
        return array
    return complex(array) if np.iscomplexobj(array) else float(array)


def _unwrap(adapter: Any, hilbert: Any, params: dict | None) -> tuple[Any, Any, dict | None]:
    """The symbolic operator of a NetKet adapter, its space and its parameter values."""
    source = getattr(adapter, "_source", None)
    if source is None:
        raise TypeError(
            f"to_local_operator needs the symbolic operator of {adapter.name!r}: this adapter "
            "was made from a CompiledOperator; call to_local_operator(symbolic_op) or "
            "sym.to_netket(symbolic_op).to_local_operator()"
        )
    if params is None:
        params = {k: v for k, v in adapter.params.items() if v is not None}
    return source, adapter.hilbert if hilbert is None else hilbert, params


def _local_matrix(single, sites, local, index, background, params, dtype) -> np.ndarray:
    d, k = len(local), len(sites)
    matrix = np.zeros((d**k, d**k), dtype=dtype)
    others = np.ones(len(background), dtype=bool)
    others[list(sites)] = False
    for a, digits in enumerate(np.ndindex(*(d,) * k)):
        x = background.copy()
        x[list(sites)] = local[list(digits)]
        xp, mels = reference_get_conn(single, x, params)
        for state, mel in zip(xp, mels):
            if np.any(state[others] != x[others]):
                raise AssertionError(  # the support analysis missed a written site
                    f"a branch of {single.name!r} changes sites outside {list(sites)}"
                )
            b = 0
            for s in sites:
                b = b * d + index[int(state[s])]
            matrix[a, b] += mel
    return matrix
