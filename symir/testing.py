"""Checking an operator against a reference: connected states compared as multisets.

Two kernels of one operator can order their branches differently, split one matrix
element over several slots (symir's fusion sums equal connected states, NetKet's operators
may not) and pad differently, so `get_conn_padded` outputs are comparable only as
multisets of `(x', mel)`. This module is that comparison, for users and for symir's own
tests and benchmarks:

```python
import netket as nk
import symir as sym
from symir import models
from symir.testing import assert_connections_match

hi = nk.hilbert.Spin(0.5, 6)
graph = nk.graph.Chain(6)
x = hi.random_state(nk.jax.PRNGKey(0), 16)
assert_connections_match(models.tfim(hi, graph).compile(), nk.operator.Ising(hi, graph, h=1.0), x)
```

How branches are merged before comparing (`merge=`):

- `"states"` (the default): the matrix elements of equal `x'` are summed, zero sums
  dropped. The only comparison that holds between any two correct kernels.
- `"diagonal"`: only the diagonal branches (`x' == x`) are summed (what symir's diagonal
  coalescing does); every other branch stays one element of the multiset. Needs `x`.
- `"none"`: every branch with a nonzero matrix element is one element of the multiset.

Matrix elements `a` (got) and `b` (expected) are equal when `|a - b| <= atol + rtol |b|`
(an infinite one is compared part by part, its infinite part equal only to itself; a NaN equals only a NaN); branches whose matrix element (or sum) is at most `zero` in magnitude are dropped.
"""

from __future__ import annotations

import cmath
import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "ConnectionsDiffer",
    "assert_connections_match",
    "assert_same_connections",
    "assert_same_expect_and_grad",
    "connections",
    "dense_matrix",
    "first_difference",
    "local_energies",
    "sparse_matrix",
]

MERGES = ("states", "diagonal", "none")
ZERO = 1e-12
ATOL = 1e-10

Branch = tuple[tuple[int, ...], complex]


def connections(xp: Any, mels: Any, x: Any = None, *, merge: str = "states", zero=ZERO):
    """The branches of ONE configuration, `xp (F, N)` and `mels (F,)`, as a multiset: a
    sorted list of `(x' as a tuple of ints, mel as a complex)` (see the module's
    docstring for `merge`; `x (N,)` is needed for `merge="diagonal"`)."""
    if merge not in MERGES:
        raise ValueError(f"merge must be one of {MERGES}, got {merge!r}")
    xp, mels = np.asarray(xp), np.asarray(mels)
    if xp.ndim != 2 or mels.shape != xp.shape[:1]:
        raise ValueError(
            f"one configuration's branches: xp (F, N) and mels (F,), got {xp.shape} and "
            f"{mels.shape}"
        )
    states = [tuple(int(v) for v in s) for s in xp.tolist()]
    values = [complex(m) for m in mels.tolist()]
    if merge == "diagonal":
        if x is None:
            raise ValueError('merge="diagonal" needs the configuration x')
        diagonal = tuple(int(v) for v in np.asarray(x).tolist())
        summed = {diagonal: sum((m for s, m in zip(states, values) if s == diagonal), 0j)}
        out = [(s, m) for s, m in zip(states, values) if s != diagonal]
        out += list(summed.items())
    elif merge == "states":
        sums: dict[tuple[int, ...], complex] = {}
        for s, m in zip(states, values):
            sums[s] = sums.get(s, 0j) + m
        out = list(sums.items())
    else:
        out = list(zip(states, values))
    return sorted(
        ((s, m) for s, m in out if not abs(m) <= zero),
        key=lambda b: (b[0], b[1].real, b[1].imag),
    )


def _close(a: complex, b: complex, atol: float, rtol: float) -> bool:
    if cmath.isnan(a) or cmath.isnan(b):
        return cmath.isnan(a) and cmath.isnan(b)
    if cmath.isinf(a) or cmath.isinf(b):
        # part by part: inf + 1j and inf + (1 + 1e-15)j differ by nan as complex numbers
        pairs = ((a.real, b.real), (a.imag, b.imag))
        return all(x == y or abs(x - y) <= atol + rtol * abs(y) for x, y in pairs)
    return a == b or abs(a - b) <= atol + rtol * abs(b)


@dataclass
class ConnectionsDiffer:
    """The first configuration on which two `get_conn_padded` outputs differ."""

    sample: int
    x: tuple[int, ...] | None
    got: list[Branch]
    expected: list[Branch]
    only_got: list[Branch]
    only_expected: list[Branch]
    different_mels: list[tuple[tuple[int, ...], complex, complex]]

    def __str__(self) -> str:
        where = f"sample {self.sample}" + ("" if self.x is None else f" (x = {list(self.x)})")
        parts = [
            f"connected states differ on {where}: {len(self.got)} branches got, "
            f"{len(self.expected)} expected"
        ]
        if self.only_got:
            parts.append(f"{len(self.only_got)} only in got: {_show(self.only_got)}")
        if self.only_expected:
            parts.append(f"{len(self.only_expected)} only in expected: {_show(self.only_expected)}")
        if self.different_mels:
            shown = ", ".join(f"{list(s)}: {a} != {b}" for s, a, b in self.different_mels[:4])
            parts.append(
                f"{len(self.different_mels)} with different mels (got != expected): {shown}"
            )
        return "; ".join(parts)


def _show(branches: list[Branch], limit: int = 4) -> str:
    text = ", ".join(f"{list(s)}: {m}" for s, m in branches[:limit])
    return text + (", ..." if len(branches) > limit else "")


def _compare(got: list[Branch], expected: list[Branch], atol: float, rtol: float):
    """Matches two sorted multisets state by state (equal states in order)."""
    by_state: dict[tuple[int, ...], tuple[list[complex], list[complex]]] = {}
    for k, branches in enumerate((got, expected)):
        for s, m in branches:
            by_state.setdefault(s, ([], []))[k].append(m)
    only_got, only_expected, different = [], [], []
    for s, (a, b) in sorted(by_state.items()):
        for ma, mb in zip(a, b):
            if not _close(ma, mb, atol, rtol):
                different.append((s, ma, mb))
        only_got += [(s, m) for m in a[len(b) :]]
        only_expected += [(s, m) for m in b[len(a) :]]
    return only_got, only_expected, different


def _batched(xp: Any, mels: Any) -> tuple[np.ndarray, np.ndarray]:
    xp, mels = np.asarray(xp), np.asarray(mels)
    if xp.ndim < 2 or mels.shape != xp.shape[:-1]:
        raise ValueError(
            f"get_conn_padded outputs xp (..., F, N) and mels (..., F), got {xp.shape} "
            f"and {mels.shape}"
        )
    batch = int(np.prod(xp.shape[:-2], dtype=np.int64))  # not -1: F may be 0 (a zero operator)
    return xp.reshape(batch, *xp.shape[-2:]), mels.reshape(batch, mels.shape[-1])


def first_difference(
    got: tuple[Any, Any],
    expected: tuple[Any, Any],
    x: Any = None,
    *,
    merge: str = "states",
    atol: float = ATOL,
    rtol: float = 0.0,
    zero: float = ZERO,
) -> ConnectionsDiffer | None:
    """Compares two `get_conn_padded` outputs `(xp (..., F, N), mels (..., F))` of the
    same configurations (`F` may differ) sample by sample: the first difference, or None.
    `x (..., N)` names the configurations in the report (and is needed for
    `merge="diagonal"`)."""
    gxp, gm = _batched(*got)
    exp_xp, em = _batched(*expected)
    if len(gxp) != len(exp_xp):
        raise ValueError(f"{len(gxp)} configurations got, {len(exp_xp)} expected")
    xs = None if x is None else np.asarray(x).reshape(len(gxp), -1)
    for b in range(len(gxp)):
        xb = None if xs is None else xs[b]
        a = connections(gxp[b], gm[b], xb, merge=merge, zero=zero)
        e = connections(exp_xp[b], em[b], xb, merge=merge, zero=zero)
        only_got, only_expected, different = _compare(a, e, atol, rtol)
        if only_got or only_expected or different:
            shown_x = None if xb is None else tuple(int(v) for v in xb.tolist())
            return ConnectionsDiffer(b, shown_x, a, e, only_got, only_expected, different)
    return None


def assert_same_connections(
    got: tuple[Any, Any],
    expected: tuple[Any, Any],
    x: Any = None,
    *,
    merge: str = "states",
    atol: float = ATOL,
    rtol: float = 0.0,
    zero: float = ZERO,
) -> None:
    """Raises `AssertionError` naming the first configuration on which two
    `get_conn_padded` outputs differ as multisets (see `first_difference`)."""
    found = first_difference(got, expected, x, merge=merge, atol=atol, rtol=rtol, zero=zero)
    if found is not None:
        raise AssertionError(str(found))


def _conn_padded(op: Any, x: np.ndarray) -> tuple[Any, Any]:
    if hasattr(op, "get_conn_padded"):
        return op.get_conn_padded(x)
    if hasattr(op, "compile"):  # a symir operator not compiled yet
        return op.compile().get_conn_padded(x)
    if hasattr(op, "get_conn"):  # one configuration at a time, padded here
        flat = x.reshape(-1, x.shape[-1])
        outs = [tuple(np.asarray(a) for a in op.get_conn(s)) for s in flat]
        f = max([1, *(len(m) for _, m in outs)])
        xp = np.repeat(flat[:, None, :], f, axis=1)
        mels = np.zeros((len(flat), f), dtype=np.result_type(*(m.dtype for _, m in outs)))
        for b, (sxp, sm) in enumerate(outs):
            xp[b, : len(sm)], mels[b, : len(sm)] = sxp, sm
        return xp.reshape(*x.shape[:-1], f, x.shape[-1]), mels.reshape(*x.shape[:-1], f)
    raise TypeError(f"{type(op).__name__} has neither get_conn_padded nor get_conn")


def assert_connections_match(
    op: Any,
    reference: Any,
    x: Any,
    *,
    merge: str = "states",
    atol: float = ATOL,
    rtol: float = 0.0,
    zero: float = ZERO,
) -> None:
    """`op` and `reference` give the same connected states with the same matrix elements
    on the configurations `x (..., N)`, as multisets (see the module's docstring).

    Each may be anything with `get_conn_padded` (symir's `CompiledOperator`, its NetKet
    adapter, NetKet's operators), a symir operator (compiled here) or anything with
    NetKet's one-configuration `get_conn`."""
    x = np.asarray(x)
    got = _conn_padded(op, x)
    expected = _jitted_conn(reference, x)  # one program where it is a JAX pytree
    assert_same_connections(got, expected, x, merge=merge, atol=atol, rtol=rtol, zero=zero)


def dense_matrix(op: Any, hilbert: Any = None) -> np.ndarray:
    """The dense matrix of any operator with `get_conn_padded` (NetKet's, symir's
    compiled operator or its adapter) on a small space: `H[i, j] = <s_i|H|s_j>` in the
    order of `hilbert.all_states()` (by default `op.hilbert`, which must number states
    with `states_to_numbers`: a NetKet space or symir's), summed with numpy from one
    `get_conn_padded` call over the whole basis (jitted when `op` is a JAX pytree).

    It gives what NetKet's `to_dense()` gives, without NetKet's sparse assembly for JAX
    operators (`jax.experimental.sparse`, compiled anew for each number of states and
    fan-out: seconds each time), so tests can compare many small matrices quickly."""
    rows, cols, mels, n = _matrix_entries(op, hilbert)
    dense = np.zeros((n, n), dtype=np.result_type(mels.dtype, np.float64))
    np.add.at(dense, (rows, cols), mels)
    return dense


def sparse_matrix(op: Any, hilbert: Any = None) -> Any:
    """`dense_matrix` as a scipy CSR matrix, for spaces too large for a dense one (every
    element of `get_conn_padded` kept, equal connected states summed; no `mel_cutoff`,
    as NetKet's `to_sparse` has)."""
    import scipy.sparse

    rows, cols, mels, n = _matrix_entries(op, hilbert)
    keep = mels != 0
    entries = (mels[keep], (rows[keep], cols[keep]))
    return scipy.sparse.coo_matrix(entries, shape=(n, n)).tocsr()


def assert_same_expect_and_grad(
    state: Any, op: Any, reference: Any, message: str = "", atol: float = 1e-10
) -> None:
    """`state.expect_and_grad` (a NetKet variational state) of `op` and of `reference`:
    the energy and every gradient leaf equal within `atol`."""
    import jax

    energy, grad = state.expect_and_grad(op)
    ref_energy, ref_grad = state.expect_and_grad(reference)
    assert abs(energy.mean - ref_energy.mean) < atol, message
    for got, expected in zip(jax.tree.leaves(grad), jax.tree.leaves(ref_grad), strict=True):
        np.testing.assert_allclose(got, expected, atol=atol, rtol=0, err_msg=message)


def _matrix_entries(op: Any, hilbert: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """`(rows, cols, elements, number of states)` of every slot of `get_conn_padded` over
    the basis of `hilbert` (default `op.hilbert`)."""
    hilbert = op.hilbert if hilbert is None else hilbert
    states = np.asarray(hilbert.all_states())
    xp, mels = _jitted_conn(op, states)
    xp, mels = np.asarray(xp), np.asarray(mels)
    cols = np.asarray(hilbert.states_to_numbers(xp.reshape(-1, states.shape[-1])))
    rows = np.repeat(np.arange(len(states)), mels.shape[-1])
    return rows, cols, mels.reshape(-1), len(states)


def _jitted_conn(op: Any, x: np.ndarray) -> tuple[Any, Any]:
    import jax  # the runtime's dependency; imported here to keep this module light

    leaves = jax.tree_util.tree_leaves(op)
    numbers = (jax.Array, np.ndarray, np.generic, int, float, complex)
    if leaves and all(isinstance(leaf, numbers) for leaf in leaves):  # a JAX pytree
        return _jit_conn()(op, x)
    return _conn_padded(op, x)


@functools.cache
def _jit_conn():
    import jax

    return jax.jit(lambda op, x: op.get_conn_padded(x))


def local_energies(logpsi: Any, params: Any, x: Any, op: Any) -> Any:
    """The local energies `sum_x' <x|H|x'> psi(x') / psi(x)` of `logpsi(params, x)` on
    every slot of `op.get_conn_padded(x)` (a JAX operator: NetKet's, symir's adapter),
    the network evaluated on each connected state: the plain evaluation symir's
    local-energy paths are compared with. One jitted program with `logpsi` static (a
    flax module's `apply`): run eagerly, JAX would compile each primitive of the operator
    and of the network on its own, for each network and batch shape."""
    import jax.numpy as jnp

    return _jit_local_energies()(logpsi, params, jnp.asarray(x), op)


@functools.cache
def _jit_local_energies():
    import jax
    import jax.numpy as jnp

    def energies(logpsi, params, x, op):
        xp, mels = op.get_conn_padded(x)
        lp = logpsi(params, jnp.reshape(xp, (-1, x.shape[-1]))).reshape(mels.shape)
        return jnp.sum(mels * jnp.exp(lp - logpsi(params, x)[:, None]), -1)

    return jax.jit(energies, static_argnums=0)
