"""NetKet integration: a compiled symir operator as a NetKet `DiscreteJaxOperator`.

`to_netket(op)` (or `compiled.to_netket()`) wraps a `CompiledOperator` into a
`NetKetOperator`, which NetKet uses like its own jax operators (`IsingJax`,
`LocalOperatorJax`): `vstate.expect(op)`, `vstate.expect_and_grad(op)` (chunked or
not), `FullSumState.expect`, `op.to_sparse()`, `op.to_dense()`,
`nk.exact.lanczos_ed(op)`.

The adapter is a JAX pytree like the compiled operator it wraps: the leaves are the
runtime parameters, the kernel and the NetKet Hilbert space are static. NetKet is an
optional dependency (`symir[netket]`); this module imports it, `import symir` does not.

Hilbert space
-------------
NetKet checks that an operator acts on the variational state's Hilbert space
(`hilbert == vstate.hilbert`), so the adapter reports a NetKet space:

* an operator built on a NetKet `DiscreteHilbert` keeps that object;
* one built on symir's `Fermions` gets NetKet's `SpinOrbitalFermions` with the same
  orbitals, spin subsectors (`s = (n_spin_subsectors - 1) / 2`, None for one) and
  particle-number sector;
* one built on symir's constrained `Spin(..., total_sz=)` / `Fock(..., n_particles=)`
  gets NetKet's `Spin`/`Fock` with the same constraint (a `TensorHilbert` of them for
  several sectors);
* one built on symir's own space gets the NetKet space with the same local states:
  `Spin(s, N)` for `-2s, -2s+2, ..., 2s`, `Fock(n_max, N)` for `0, 1, ..., n_max`, and
  a `HomogeneousHilbert` over a `StaticRange` for other equally spaced states; other
  local states have no NetKet equivalent (`ValueError`);
* `hilbert=` gives the space explicitly (e.g. `nk.hilbert.Qubit(N)` for states
  `{0, 1}`); it must have the operator's local states and number of sites.

Matrices (`to_dense`, `to_sparse`) are in the NetKet space's basis order
(`hilbert.all_states()`), which for a spin-1/2 space is `[1, -1]` first-site-major
(NetKet >= 3.14), not symir's `CompiledOperator.to_dense()` order on `sym.Spin`.

Derivatives with respect to the parameters
-------------------------------------------
`get_conn_padded` is differentiable with respect to the parameters (docs/derivatives.md),
so `jax.grad(lambda h: vstate.expect(op.with_params(h=h)).mean.real)(h)` works for an
`MCState` (NetKet passes the operator to its jitted kernels as a pytree). A
`FullSumState` builds `op.to_sparse()`, a scipy matrix; while a parameter is a JAX
tracer (inside `jax.grad`, `jax.jit`, ...) `to_sparse()` returns a JAX
`jax.experimental.sparse.BCOO` matrix instead, one entry per padded branch (duplicates
and zeros kept: a product with a vector sums them), so the expectation value is
differentiable there too; so is the `to_sparse()` of a lazy sum or product of adapters
(`a.with_params(h=h) + 1`, `x @ x`). Its product with a complex vector (a complex state's
`to_array()`) first makes its real entries complex (`_PromotingBCOO`): JAX's own product
of real entries with a complex vector passes a complex cotangent to the real entries,
which the transpose of a multiplication rejects (`lax.mul requires arguments to have
the same dtypes`), so the gradient of a complex `FullSumState`'s expectation failed.
"""

from __future__ import annotations

import numbers
from typing import Any

import jax
import jax.numpy as jnp
import netket as nk
import numpy as np
from jax.experimental.sparse import BCOO
from jax.tree_util import register_pytree_node_class
from netket.errors import JaxOperatorGetConnInJitError, concrete_or_error
from netket.operator import DiscreteJaxOperator, ProductOperator, SumOperator
from netket.operator._prod import ProductDiscreteJaxOperator
from netket.operator._sum import SumDiscreteJaxOperator
from netket.utils.static_range import StaticRange

from symir.frontend import hermiticity
from symir.hilbert import (
    DiscreteHilbert,
    FermionHilbert,
    SectorHilbert,
    as_hilbert,
    hilbert_difference,
)
from symir.runtime.compiled import CompiledOperator

__all__ = ["NetKetOperator", "netket_hilbert", "to_netket"]


def netket_hilbert(hilbert: Any) -> nk.hilbert.DiscreteHilbert:
    """The NetKet space for `hilbert` (symir's `DiscreteHilbert` or NetKet's own).

    A NetKet `DiscreteHilbert` is returned as it is. Raises `ValueError` when symir's
    local states have no NetKet equivalent, `TypeError` for anything else.
    """
    if isinstance(hilbert, nk.hilbert.DiscreteHilbert):
        return hilbert
    if not isinstance(hilbert, DiscreteHilbert):
        raise TypeError(
            f"expected a symir DiscreteHilbert or a NetKet DiscreteHilbert, got "
            f"{type(hilbert).__name__}"
        )
    if isinstance(hilbert, FermionHilbert):
        spin = None if hilbert.n_spin_subsectors == 1 else (hilbert.n_spin_subsectors - 1) / 2
        return nk.hilbert.SpinOrbitalFermions(
            hilbert.n_orbitals,
            s=spin,
            n_fermions=hilbert.n_fermions,
            n_fermions_per_spin=hilbert.n_fermions_per_spin,
        )
    if isinstance(hilbert, SectorHilbert):
        return _netket_sectors(hilbert)
    states, n = hilbert.local_states, hilbert.size
    size = len(states)
    if size >= 2 and states == tuple(range(1 - size, size, 2)):
        return nk.hilbert.Spin((size - 1) / 2, n)
    if size >= 2 and states == tuple(range(size)):
        return nk.hilbert.Fock(size - 1, n)
    steps = set(np.diff(states).tolist())
    if size >= 2 and len(steps) == 1:
        return nk.hilbert.HomogeneousHilbert(StaticRange(states[0], steps.pop(), size), n)
    raise ValueError(
        f"no NetKet Hilbert space has the local states {list(states)}: NetKet's spaces "
        "need equally spaced local states (and at least two); build the operator on a "
        "NetKet DiscreteHilbert or pass hilbert= to to_netket"
    )


def _netket_sectors(hilbert: SectorHilbert) -> nk.hilbert.DiscreteHilbert:
    """NetKet's constrained space for symir's `SectorHilbert`: `Spin(s, N, total_sz=...)`
    or `Fock(n_max, N, n_particles=...)` for one sector on all sites, otherwise the
    `TensorHilbert` of one such space per sector (and unconstrained ones between)."""
    states, size = hilbert.local_states, len(hilbert.local_states)

    def part(n: int, total: int | None) -> nk.hilbert.DiscreteHilbert:
        if size >= 2 and states == tuple(range(1 - size, size, 2)):
            return nk.hilbert.Spin((size - 1) / 2, n, total_sz=None if total is None else total / 2)
        if size >= 2 and states == tuple(range(size)):
            return nk.hilbert.Fock(size - 1, n, n_particles=total)
        raise ValueError(
            f"no NetKet Hilbert space has the local states {list(states)} with a sum "
            f"constraint ({hilbert}): build the operator on a NetKet DiscreteHilbert"
        )

    parts, end = [], 0
    for first, stop, total in hilbert.sectors:
        if first > end:
            parts.append(part(first - end, None))
        parts.append(part(stop - first, total))
        end = stop
    if end < hilbert.size:
        parts.append(part(hilbert.size - end, None))
    space = parts[0]
    for p in parts[1:]:
        space = space * p
    return space


def _check_hilbert(hilbert: Any, compiled: CompiledOperator) -> nk.hilbert.DiscreteHilbert:
    if not isinstance(hilbert, nk.hilbert.DiscreteHilbert):
        raise TypeError(f"hilbert= must be a NetKet DiscreteHilbert, got {type(hilbert).__name__}")
    space = compiled.space
    given = as_hilbert(hilbert)  # refuses constrained spaces but fermion sectors
    if (given.size, given.local_states) != (space.size, space.local_states):
        raise ValueError(
            f"hilbert= {hilbert} has {given.size} site(s) with local states "
            f"{list(given.local_states)}, but the operator {compiled.name!r} was compiled "
            f"for {space.size} site(s) with local states {list(space.local_states)}: they "
            f"differ in {hilbert_difference(given, space)}"
        )
    if getattr(given, "constrained", False):
        built_on = compiled.hilbert
        if not isinstance(built_on, DiscreteHilbert | nk.hilbert.DiscreteHilbert) or (
            as_hilbert(built_on) != given
        ):
            raise ValueError(
                f"hilbert= {hilbert} is a constrained space, but the operator "
                f"{compiled.name!r} was built on {built_on}: build it on the constrained "
                "space, so that symir checks that its branches stay in the sector"
            )
    held = set(getattr(given, "sectors", ()) or ())
    missing = [sector for sector in compiled.assumed_sectors if sector not in held]
    if missing:
        first, end, total = missing[0]
        raise ValueError(
            f"hilbert= {hilbert} does not fix {total} particle(s) on the sites "
            f"{first}..{end - 1}, but the rows of {compiled.name!r} rely on that sector "
            "(it finds sites by rank: CompiledOperator.assumed_sectors); its other "
            "configurations would be refused or NaN: give a space with the sector, or "
            "none (the operator's own)"
        )
    return hilbert


@register_pytree_node_class
class _PromotingBCOO(BCOO):
    """The `BCOO` matrix `NetKetOperator.to_sparse` gives while a parameter is traced: a
    product with a vector or matrix of another dtype first converts the entries to the
    common dtype, so the cotangent of real entries is the real part of the complex one
    (the convert's transpose) and not a complex value JAX's `BCOO` product hands to them."""

    def _promoted(self, other: Any) -> BCOO:
        dtype = jnp.result_type(self.data, other)
        return BCOO((self.data.astype(dtype), self.indices), shape=self.shape)

    def __matmul__(self, other: Any) -> Any:
        return self._promoted(other) @ other

    def __rmatmul__(self, other: Any) -> Any:
        return other @ self._promoted(other)


class _NumberAddition:
    """`+`, `-` and `/` of a NetKet JAX operator of ours (the adapter, a lazy sum or
    product) with a number, another operator or `0`.

    NetKet's `AbstractOperator` defines `+` and `@` only as reflected operations
    (`__radd__`, `__rmatmul__`), which Python never calls between two operands of the
    same type: without these, `a + a`, `a @ b + b @ a` and `sum([a, a])` raise
    `TypeError`. Both give NetKet's lazy sum of the two kernels; to fuse two symir
    operators into one kernel, add or multiply the symbolic operators before compiling.
    A number added is the identity times it, as NetKet's own operators take one (`H +
    E0`): the identity (`LocalOperator(hilbert, constant=1)`) with the number as its
    coefficient in NetKet's lazy sum, one diagonal slot; to fold it into the kernel, add
    it to the symbolic operator instead. A number is a Python or NumPy number or a
    concrete 0-d NumPy or JAX array (`a + jnp.array(1.0)` raised `TypeError`, sweep 24).
    An operator added from the left (`nk_op + a`, NetKet's operator declining) is our
    sum too: NetKet's `AbstractOperator.__radd__` built NetKet's own lazy sum, which
    says hermitian for any operands (`sigmap + a` was hermitian, sweep 24)."""

    def __add__(self, other: Any) -> Any:
        other = _number_of(other)
        if _is_zero(other):
            return self
        if _is_number(other):
            return _sum(self, _identity(self.hilbert), coefficients=[1, _finite(other)])
        if isinstance(other, nk.operator.AbstractOperator):
            return _sum(self, _collected(other))
        return NotImplemented

    def __radd__(self, other: Any) -> Any:
        other = _number_of(other)
        if _is_zero(other):  # sum([...]) starts from 0
            return self
        if _is_number(other):
            return _sum(_identity(self.hilbert), self, coefficients=[_finite(other), 1])
        if isinstance(other, nk.operator.AbstractOperator):
            return _sum(_collected(other), self)
        return NotImplemented

    def __sub__(self, other: Any) -> Any:
        other = _collected(_number_of(other))
        if _is_number(other):
            return self + (-other)
        if isinstance(other, nk.operator.AbstractOperator):
            return self + (-other)
        return NotImplemented

    def __rsub__(self, other: Any) -> Any:
        other = _collected(_number_of(other))
        if _is_number(other):
            return _sum(_identity(self.hilbert), self, coefficients=[_finite(other), -1])
        if isinstance(other, nk.operator.AbstractOperator):
            return other + (-self)
        return NotImplemented  # (`AbstractOperator` has no `__rsub__`: AttributeError)

    def __truediv__(self, other: Any) -> Any:
        other = _number_of(other)
        if _is_number(other) and other == 0:
            raise ZeroDivisionError(f"the operator {type(self).__name__} divided by zero")
        if _is_number(other):  # lazy sums and products had no `/` (TypeError, sweep 24)
            return self * (1 / _plain_number(other))
        if isinstance(other, jax.core.Tracer) and jnp.ndim(other) == 0:
            return self * (1 / other)  # a traced scalar, as `*` takes one
        return NotImplemented


@register_pytree_node_class
class NetKetOperator(_NumberAddition, DiscreteJaxOperator):
    """A `CompiledOperator` as a NetKet `DiscreteJaxOperator`.

    Build it with `to_netket(op)` or `compiled.to_netket()`. `get_conn_padded` is the
    compiled kernel (any batch shape, `jax.jit` and `jax.vmap`); `to_sparse` (scipy, or
    `jax_=True` for NetKet's BCSR) and `n_conn` are NetKet's, derived from it, and
    `to_dense` is `to_sparse().toarray()`. Parameters are pytree leaves:
    `with_params(...)` gives the same kernel with new values.

    `deduplicate_connected_components` (default True) is what the NumPy paths
    (`get_conn`, `get_conn_flattened`) give: one entry per distinct connected state of
    each `x`, the kernel's branches to equal states summed; False gives one entry per
    branch of the kernel, equal states kept apart (as NetKet's `DiscreteJaxOperator`
    does). Matrices and expectation values are the same either way.
    """

    def __init__(
        self,
        compiled: CompiledOperator,
        hilbert: Any = None,
        *,
        deduplicate_connected_components: bool = True,
    ):
        if not isinstance(compiled, CompiledOperator):
            raise TypeError(
                f"NetKetOperator wraps a CompiledOperator (op.compile()), got "
                f"{type(compiled).__name__}"
            )
        if hilbert is None:
            hilbert = netket_hilbert(compiled.hilbert)
        else:
            hilbert = _check_hilbert(hilbert, compiled)
        super().__init__(hilbert)
        self._compiled = compiled
        self.deduplicate_connected_components = deduplicate_connected_components

    @property
    def deduplicate_connected_components(self) -> bool:
        """Whether `get_conn`/`get_conn_flattened` sum the branches to equal connected
        states into one entry (True, the default) or keep one entry per branch."""
        return self._deduplicate

    @deduplicate_connected_components.setter
    def deduplicate_connected_components(self, value: bool) -> None:
        if not isinstance(value, bool | np.bool_):
            raise TypeError(
                f"deduplicate_connected_components must be True or False, got {value!r}"
            )
        self._deduplicate = bool(value)

    # ----------------------------------------------------------------- pytree
    def tree_flatten(self):
        # `mel_cutoff` travels too: an operator rebuilt from its leaves (`jax.tree.map`,
        # a jit boundary) keeps a cutoff set on the instance
        return (self._compiled,), (self.hilbert, self._deduplicate, self.mel_cutoff)

    @classmethod
    def tree_unflatten(cls, aux, children):
        hilbert, deduplicate, mel_cutoff = aux
        obj = cls.__new__(cls)
        DiscreteJaxOperator.__init__(obj, hilbert)
        obj._compiled = children[0]
        obj._deduplicate = deduplicate
        if mel_cutoff != cls.mel_cutoff:
            obj.mel_cutoff = mel_cutoff
        return obj

    # ----------------------------------------------------------------- properties
    @property
    def compiled(self) -> CompiledOperator:
        """The wrapped `CompiledOperator`."""
        return self._compiled

    @property
    def name(self) -> str:
        return self._compiled.name

    @property
    def dtype(self) -> np.dtype:
        return self._compiled.dtype

    @property
    def is_hermitian(self) -> bool:
        return self._compiled.is_hermitian

    @property
    def max_conn_size(self) -> int:
        return self._compiled.max_conn_size

    @property
    def params(self) -> dict[str, Any]:
        return self._compiled.params

    def with_params(self, **values: Any) -> NetKetOperator:
        """The same kernel and Hilbert space with new parameter values."""
        new = type(self)(
            self._compiled.with_params(**values),
            self.hilbert,
            deduplicate_connected_components=self._deduplicate,
        )
        new._source = getattr(self, "_source", None)  # for to_local_operator()
        return new

    def to_local_operator(self) -> Any:
        """This operator as NetKet's `LocalOperator` (symir/integrations/netket_local.py;
        for an adapter made from a symbolic operator, `sym.to_netket(op)`)."""
        from symir.integrations.netket_local import to_local_operator

        return to_local_operator(self)

    def conjugate(self, *, concrete: bool = False) -> Any:
        """The complex conjugate in the basis of configurations: the operator itself
        where its matrix elements are real. With complex elements, conjugate the symbolic
        operator (`SymbolicOperator.conj()`) and compile that (a NotImplementedError
        saying so: NetKet's base raised one without a message)."""
        if not np.issubdtype(np.dtype(self.dtype), np.complexfloating):
            return self
        source = getattr(self, "_source", None)
        if source is not None:
            return self._rebuilt(source.conj())
        raise NotImplementedError(
            f"the conjugate of the compiled operator {self.name!r}, whose matrix elements "
            "are complex: conjugate the symbolic operator (`op.conj()`) and compile it"
        )

    def transpose(self, *, concrete: bool = False) -> Any:
        """NetKet's lazy `Transpose`, or with `concrete=True` the symbolic operator
        transposed and compiled (NetKet's base raised `NotImplementedError` without a
        message, so `adapter.H.collect()` did, sweep 24): the operator itself where it is
        hermitian with real elements."""
        if not concrete:
            return super().transpose()
        if self.is_hermitian and not np.issubdtype(np.dtype(self.dtype), np.complexfloating):
            return self
        source = getattr(self, "_source", None)
        if source is not None:
            return self._rebuilt(source.T)
        raise NotImplementedError(
            f"the transpose of the compiled operator {self.name!r}: transpose the symbolic "
            "operator (`op.T`) and compile it"
        )

    def to_numba_operator(self) -> Any:
        """NetKet's numba operator of the same matrix (`to_local_operator`), as NetKet's
        jax operators give one: its `LocalLiouvillian` asks the Hamiltonian for it."""
        return self.to_local_operator()

    def __repr__(self) -> str:
        return (
            f"NetKetOperator({self.name!r}, hilbert={self.hilbert}, "
            f"max_conn_size={self.max_conn_size}, dtype={self.dtype})"
        )

    # ----------------------------------------------------------------- algebra
    # `+`, `-`: `_NumberAddition`. A number times the operator is the symbolic operator scaled and compiled (one
    # kernel, and a `NetKetOperator` that takes a number added after it), where the adapter
    # was made from a symbolic operator; else NetKet's lazy sum with a coefficient, which
    # takes no number added (`(2 * adapter) + 1`: NetKet's TypeError).
    def __mul__(self, other: Any) -> Any:
        scaled = self._scaled(other)
        return _honest(super().__mul__(other)) if scaled is None else scaled

    def __rmul__(self, other: Any) -> Any:
        scaled = self._scaled(other)
        return _honest(super().__rmul__(other)) if scaled is None else scaled

    def __neg__(self) -> Any:
        return self * -1

    def __truediv__(self, other: Any) -> Any:
        if _is_scalar_array(other):
            other = other.item()
        if _is_number(other) and other == 0:
            raise ZeroDivisionError(f"the operator {self.name!r} divided by zero")
        return super().__truediv__(other)

    def _scaled(self, factor: Any) -> NetKetOperator | None:
        source = getattr(self, "_source", None)
        if _is_scalar_array(factor):  # a concrete 0-d NumPy or JAX array: its number
            factor = factor.item()
        if source is None or not _is_number(factor):
            return None
        return self._rebuilt(_plain_number(factor) * source)

    def _rebuilt(self, symbolic: Any) -> NetKetOperator:
        """`symbolic` (this adapter's symbolic operator transformed) compiled as an
        adapter with this one's parameter values, deduplication and cutoff."""
        new = symbolic.to_netket(self.hilbert)
        values = {k: v for k, v in self.params.items() if v is not None}
        if values:
            new = new.with_params(**values)
        new.deduplicate_connected_components = self._deduplicate
        if self.mel_cutoff != type(self).mel_cutoff:
            new.mel_cutoff = self.mel_cutoff
        return new

    def _op__matmul__(self, other: Any) -> Any:
        if isinstance(other, nk.operator.AbstractOperator) and other.hilbert == self.hilbert:
            return _honest(ProductOperator(self, _collected(other)))
        return NotImplemented

    # `nk_op @ a` where NetKet's operator declines: NetKet's `AbstractOperator` built its
    # own lazy product, whose sums with ours were NetKet's sums, hermitian for any
    # operands (`sigmap @ a + a @ sigmap` was hermitian, sweep 24)
    def _op__rmatmul__(self, other: Any) -> Any:
        if isinstance(other, nk.operator.AbstractOperator) and other.hilbert == self.hilbert:
            return _honest(ProductOperator(_collected(other), self))
        return NotImplemented

    # ----------------------------------------------------------------- execution
    def get_conn_padded(self, x: Any) -> tuple[Any, Any]:
        """Connected configurations `(..., F, N)` and matrix elements `(..., F)`."""
        return self._compiled.get_conn_padded(x)

    mel_cutoff: float = 1e-10
    """Matrix elements with `|mel| <= mel_cutoff` (after equal connected states are
    summed) are dropped by the NumPy paths (`get_conn`, `get_conn_flattened`,
    `to_sparse`, `to_dense`), as NetKet's `LocalOperator` drops them (its `mel_cutoff`,
    1e-10): floating-point residues of terms that cancel (TFIM @ TFIM) become exact zeros.
    `get_conn_padded` (the JAX kernel) is unchanged."""

    def get_conn_flattened(self, x: Any, sections: Any, pad: bool = False) -> tuple[Any, Any]:
        """NetKet's `get_conn_flattened`, with one entry per distinct connected state of
        each `x` (the kernel's branches to equal states summed; one per branch with
        `deduplicate_connected_components = False`) and the entries below `mel_cutoff`
        dropped (`pad=True`: kept as padding, `x' = x`, `mel = 0`).

        It returns NumPy arrays, so it cannot run inside a JAX transformation (`jax.jit`,
        `jax.grad`, ...): there it raises NetKet's `JaxOperatorGetConnInJitError`, as
        NetKet's own JAX operators do (use `get_conn_padded` instead)."""
        x = _concrete(np.asarray, x, self)
        xp, mels = self.get_conn_padded(x)
        xp, mels = _concrete(np.asarray, xp, self), _concrete(np.array, mels, self)
        if self._deduplicate:
            xp, mels = merge_connected(x, xp, mels, self.mel_cutoff)
        else:
            mels = np.where(np.abs(mels) <= self.mel_cutoff, np.zeros((), mels.dtype), mels)
            xp = np.where((mels == 0)[..., None], x[:, None, :], xp)
        if pad:
            sections[:] = np.arange(1, len(x) + 1) * mels.shape[-1]
            return xp.reshape(-1, xp.shape[-1]), mels.reshape(-1)
        sections[:] = np.cumsum(np.count_nonzero(mels, axis=-1))
        xp, mels = xp.reshape(-1, xp.shape[-1]), mels.reshape(-1)
        keep = mels != 0
        return xp[keep], mels[keep]

    def to_sparse(self, jax_: bool = False) -> Any:
        """The sparse matrix in `hilbert.all_states()` order: NetKet's (scipy CSR, or
        `jax_=True` for its BCSR), or, while a parameter is a JAX tracer, a
        differentiable JAX `BCOO` with one entry per padded branch (see the module
        docstring)."""
        if not any(isinstance(v, jax.core.Tracer) for v in self._compiled.params.values()):
            return super().to_sparse(jax_=jax_)
        return _traced_sparse(self)

    def to_dense(self) -> np.ndarray:
        """The dense matrix in `hilbert.all_states()` order (small spaces only).

        Built from the scipy matrix of `to_sparse()`: NetKet's default for jax
        operators goes through `jax.experimental.sparse`, whose kernels are compiled
        anew for every shape (seconds), for the same matrix.
        """
        return self.to_sparse().toarray()


def _is_traced(op: Any) -> bool:
    """Whether a leaf of the operator (a parameter, a coefficient) is a JAX tracer."""
    return any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree.leaves(op))


def _traced_sparse(op: Any) -> _PromotingBCOO:
    """The matrix of `op` as a differentiable JAX `BCOO`, one entry per padded branch of
    its `get_conn_padded` of every state (duplicates and zeros kept), for a `to_sparse`
    while a parameter is traced (the module docstring)."""
    x = op.hilbert.all_states()
    n = x.shape[0]
    xp, mels = op.get_conn_padded(x)
    rows = jnp.repeat(jnp.arange(n), xp.shape[-2])
    cols = op.hilbert.states_to_numbers(xp.reshape(-1, x.shape[-1]))
    indices = jnp.stack([rows, jnp.asarray(cols)], axis=1)
    return _PromotingBCOO((mels.reshape(-1), indices), shape=(n, n))


def _concrete(force: Any, value: Any, op: NetKetOperator) -> Any:
    """`force(value)` (a NumPy array), or NetKet's `JaxOperatorGetConnInJitError` for a
    JAX tracer (inside `jax.jit`, `jax.grad`, ...), as NetKet's JAX operators raise."""
    return concrete_or_error(force, value, JaxOperatorGetConnInJitError, op)


def merge_connected(
    x: np.ndarray, xp: np.ndarray, mels: np.ndarray, cutoff: float
) -> tuple[np.ndarray, np.ndarray]:
    """`xp (B, F, N)`, `mels (B, F)` with the matrix elements of equal connected states of
    one `x[b]` summed into the first of them, the others made padding (`x' = x`,
    `mel = 0`), and the sums with `|mel| <= cutoff` set to exactly 0."""
    b, f, n = xp.shape
    rows = np.repeat(np.arange(b), f)
    keys = np.concatenate([rows[:, None], xp.reshape(-1, n).astype(np.int64)], axis=1)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    sums = np.zeros(len(first), dtype=mels.dtype)
    np.add.at(sums, inverse.reshape(-1), mels.reshape(-1))
    sums[np.abs(sums) <= cutoff] = 0
    merged = np.zeros(b * f, dtype=mels.dtype)
    merged[first] = sums
    is_first = np.zeros(b * f, dtype=bool)
    is_first[first] = True
    out = np.where(is_first[:, None], xp.reshape(-1, n), np.repeat(x.reshape(b, n), f, axis=0))
    return out.reshape(b, f, n).astype(xp.dtype), merged.reshape(b, f)


@register_pytree_node_class
class _HermitianAwareSum(_NumberAddition, SumDiscreteJaxOperator):
    """NetKet's lazy sum of JAX operators, hermitian where every term is hermitian with a
    real coefficient or is paired with its adjoint (`_hermitian_sum`: `a @ b + b @ a`,
    `(a + b) @ (a + b)` distributed by NetKet). NetKet's `SumDiscreteJaxOperator` says
    hermitian for any operands (a TODO in NetKet 3.23), so `non_hermitian + 1` took the
    hermitian gradient formula. NetKet's algebra on this sum (`+`, `-`, `*`, `@`) gives
    one of these again (`_honest`)."""

    @property
    def is_hermitian(self) -> bool:
        known = getattr(self, "_hermitian", None)  # from the concrete sum (a pytree)
        if known is not None:
            return known
        return _hermitian_sum(self.operators, self.coefficients)

    # `+`, `-`, `/` with numbers and operators: `_NumberAddition` (`(a + b) + 1` raised
    # `TypeError`, sweep 24). NetKet's algebra on a sum builds NetKet's sum again
    # (`2j * (a + a)`, `(a + a) @ r` distributed): made one of these, with its
    # hermiticity (sweep 13)
    def __mul__(self, other: Any) -> Any:
        return _honest(super().__mul__(other))

    def __rmul__(self, other: Any) -> Any:
        return _honest(super().__rmul__(other))

    def __neg__(self) -> Any:
        return _honest(super().__neg__())

    def __matmul__(self, other: Any) -> Any:
        return _honest(super().__matmul__(_collected(other)))

    def to_sparse(self, jax_: bool = False) -> Any:
        """The scipy CSR matrix in `hilbert.all_states()` order, from one compiled
        `get_conn_padded` of every state (NetKet's path runs the sum's kernels op by op,
        compiling each small op: 2-3 s for 16 states); `jax_=True`: NetKet's BCSR."""
        if _is_traced(self):  # a parameter traced (`jax.grad` through `with_params`)
            return _traced_sparse(self)
        if jax_:
            return super().to_sparse(jax_=True)
        import scipy.sparse

        x = self.hilbert.all_states()
        # self is a constant of the jitted call, not unflattened: its operands are set up
        # here, or a `LocalOperatorJax` among them (`adapter + 1`) packs its tables inside
        # the trace and keeps tracers (the next `MCState.expect` leaked them, sweep 23)
        self._setup()
        xp, mels = jax.jit(self.get_conn_padded)(x)
        cols = self.hilbert.states_to_numbers(np.asarray(xp).reshape(-1, x.shape[-1]))
        rows = np.repeat(np.arange(len(x)), xp.shape[-2])
        matrix = scipy.sparse.coo_matrix(
            (np.asarray(mels).reshape(-1), (rows, np.asarray(cols))), shape=(len(x), len(x))
        )
        return matrix.tocsr()

    def to_dense(self) -> np.ndarray:
        """The dense matrix in `hilbert.all_states()` order (`to_sparse()`'s)."""
        return self.to_sparse().toarray()

    def conjugate(self, *, concrete: bool = False) -> Any:
        """The sum of the operands' conjugates with conjugate coefficients (NetKet's
        sums have none: a `NotImplementedError` without a message, sweep 13)."""
        coefficients = self.coefficients
        if not isinstance(coefficients, jax.core.Tracer):
            coefficients = np.asarray(coefficients)
        conjugate = _HermitianAwareSum(
            *(_conjugate(op) for op in self.operators),
            coefficients=jnp.conj(coefficients),
            dtype=self.dtype,
        )
        conjugate._hermitian = self.is_hermitian  # the conjugate of a hermitian matrix is
        return conjugate

    def transpose(self, *, concrete: bool = False) -> Any:
        """NetKet's lazy `Transpose`, or with `concrete=True` the sum of the operands'
        transposes (NetKet's sums have none: `(r + a).H.collect()` raised
        `NotImplementedError` without a message, sweep 24)."""
        if not concrete:
            return super().transpose()
        transpose = _HermitianAwareSum(
            *(_transpose(op) for op in self.operators),
            coefficients=self.coefficients,
            dtype=self.dtype,
        )
        transpose._hermitian = self.is_hermitian  # the transpose of a hermitian matrix is
        return transpose

    def __rmatmul__(self, other: Any) -> Any:
        return _honest(super().__rmatmul__(_collected(other)))

    def tree_flatten(self):
        # the hermiticity as static data, as `_HermitianAwareProduct`'s
        aux = (self.dtype, self.hilbert, self.is_hermitian)
        return (self.operators, self.coefficients), aux

    @classmethod
    def tree_unflatten(cls, aux, children):
        # without NetKet's `__init__`, whose checks fail on the placeholder leaves that
        # JAX unflattens with (NetKet's non-hermitian gradient, `nkjax.vjp`)
        (dtype, hilbert, hermitian), (operators, coefficients) = aux, children
        obj = cls.__new__(cls)
        obj._hilbert, obj._dtype, obj._initialized = hilbert, dtype, False
        obj._operators, obj._coefficients = tuple(operators), coefficients
        obj._hermitian = hermitian
        return obj


@register_pytree_node_class
class _HermitianAwareProduct(_NumberAddition, ProductDiscreteJaxOperator):
    """NetKet's lazy product of JAX operators, hermitian where it equals its adjoint by
    construction (`_hermitian_word`: `a @ a`, `a @ b @ a` of hermitian factors, a real
    coefficient). NetKet's `ProductDiscreteJaxOperator` is never hermitian (the
    `AbstractOperator` default), so `vstate.expect_and_grad(a @ a)` took the
    non-hermitian gradient: `NotImplementedError` with a `FullSumState`, and NetKet's
    non-hermitian estimator with an `MCState`. A product of different hermitian factors
    is hermitian only where they commute, which is not proved: multiply the symbolic
    operators before compiling (`(a @ b).compile()`) for symir's own proof, and one
    kernel. `+` with a number or another operator: `_NumberAddition` (NetKet's product
    raised `TypeError` on `a @ b + b @ a`)."""

    @property
    def is_hermitian(self) -> bool:
        known = getattr(self, "_hermitian", None)  # from the concrete product (a pytree)
        if known is not None:
            return known
        word = _word(self)
        return word is not None and _adjoint_words(word, word)

    # the hermiticity travels as static data: inside `jax.jit` the factors' parameters
    # are distinct tracers, equal only to themselves, so `a @ a` rebuilt from its leaves
    # could not be proved hermitian again
    def tree_flatten(self):
        data, metadata = super().tree_flatten()
        return data, {**metadata, "hermitian": self.is_hermitian}

    @classmethod
    def tree_unflatten(cls, metadata, data):
        obj = super().tree_unflatten(metadata, data)
        obj._hermitian = metadata["hermitian"]
        return obj

    # NetKet's product times a number keeps the product's dtype: `1j * (a @ a)` of real
    # factors had the coefficient 0 (the real part of 1j), the zero operator (sweep 23)
    def __mul__(self, other: Any) -> Any:
        if _is_scalar_array(other):
            other = other.item()
        if _is_number(other):
            return _HermitianAwareProduct(
                *self.operators, coefficient=self.coefficient * _plain_number(other)
            )
        if isinstance(other, jax.core.Tracer) and jnp.ndim(other) == 0:
            # a traced scalar (inside `jax.jit`) too: `c * (a @ a)` was 0 for c = 1j (sweep 24)
            return _HermitianAwareProduct(*self.operators, coefficient=self.coefficient * other)
        return _honest(super().__mul__(other))

    def __rmul__(self, other: Any) -> Any:
        return self.__mul__(other) if _is_number(other) else _honest(super().__rmul__(other))

    def __neg__(self) -> Any:
        return self * -1

    def to_sparse(self, jax_: bool = False) -> Any:
        """NetKet's sparse matrix, or, while a parameter is traced, the differentiable
        `BCOO` of `NetKetOperator.to_sparse` (NetKet's raised `TracerArrayConversionError`:
        `jax.grad` of a `FullSumState`'s expectation of `a @ a` in a parameter, sweep 24)."""
        if _is_traced(self):
            return _traced_sparse(self)
        return super().to_sparse(jax_=jax_)

    def conjugate(self, *, concrete: bool = False) -> Any:
        """The product of the factors' conjugates with the conjugate coefficient (NetKet's
        products have none: a `NotImplementedError` without a message, also from the
        `conjugate()` of a sum holding a product, `(a @ a + 1).conjugate()`, sweep 24)."""
        conjugate = _HermitianAwareProduct(
            *(_conjugate(op) for op in self.operators),
            coefficient=jnp.conj(self.coefficient),
            dtype=self.dtype,
        )
        conjugate._hermitian = self.is_hermitian  # the conjugate of a hermitian matrix is
        return conjugate

    def transpose(self, *, concrete: bool = False) -> Any:
        """NetKet's lazy `Transpose`, or with `concrete=True` the product of the factors'
        transposes in reverse order (NetKet's products have none: a `NotImplementedError`
        without a message, sweep 24)."""
        if not concrete:
            return super().transpose()
        transpose = _HermitianAwareProduct(
            *(_transpose(op) for op in reversed(self.operators)),
            coefficient=self.coefficient,
            dtype=self.dtype,
        )
        transpose._hermitian = self.is_hermitian  # the transpose of a hermitian matrix is
        return transpose

    def __matmul__(self, other: Any) -> Any:
        return _honest(super().__matmul__(_collected(other)))

    def __rmatmul__(self, other: Any) -> Any:
        return _honest(super().__rmatmul__(_collected(other)))


def _collected(op: Any) -> Any:
    """NetKet's lazy `Adjoint` or `Transpose` of an operator as a concrete operator (what
    NetKet's own operators take in a sum or product: its lazy wrapper collects itself
    when it is the right operand), the adjoint of an adapter of a symbolic operator as
    the adapter of its `.H`; any other operator, or one whose parent has no concrete
    transpose, as it is. Our algebra took the lazy wrapper as an operand, and `a @ a.H`,
    `a + a.H` were NetKet's generic operators, which no variational state can take
    (`expect` raised `NotFoundLookupError`; NetKet's `LocalOperatorJax` gives them,
    sweep 26)."""
    if not isinstance(op, nk.operator.Adjoint | nk.operator.Transpose):
        return op
    parent = op.parent
    source = getattr(parent, "_source", None)
    if (
        isinstance(op, nk.operator.Adjoint)
        and isinstance(parent, NetKetOperator)
        and source is not None
    ):
        return parent._rebuilt(source.H)  # known to be the adjoint: `a @ a.H` hermitian
    try:
        return op.collect()
    except NotImplementedError:
        return op


def _conjugate(op: Any) -> Any:
    """The complex conjugate of an operand of a lazy sum or product: itself where its
    matrix elements are real (no call to its `conjugate()`), else its `conjugate()`."""
    if not jnp.issubdtype(op.dtype, jnp.complexfloating):
        return op
    return _named(op, "conjugate", op.conjugate)


def _named(op: Any, what: str, method: Any) -> Any:
    """`method()` (an operand's `conjugate` or `transpose`), its `NotImplementedError`
    naming the operand: NetKet's operators without one (`PauliStringsJax`, NetKet's lazy
    sums and products) raise it without a message."""
    try:
        return method()
    except NotImplementedError as e:
        if str(e):
            raise
        raise NotImplementedError(
            f"the {what} of the operand {op!r}: NetKet's {type(op).__name__} has no "
            f"{what}() (NotImplementedError); build it yourself"
        ) from e


def _transpose(op: Any) -> Any:
    """The transpose of an operand of a lazy sum or product: itself where it is
    hermitian with real elements, else its `transpose(concrete=True)`."""
    if op.is_hermitian and not jnp.issubdtype(op.dtype, jnp.complexfloating):
        return op
    return _named(op, "transpose", lambda: op.transpose(concrete=True))


def _word(op: Any) -> tuple[tuple[Any, ...], Any] | None:
    """`op` as (factors, coefficient): a lazy product's operands and coefficient, any
    other operator as itself with 1; None for a lazy sum (not one word)."""
    if isinstance(op, SumOperator):
        return None
    if isinstance(op, ProductOperator):
        return tuple(op.operators), op.coefficient
    return (op,), 1.0


def _hermitian_sum(operators: tuple[Any, ...], coefficients: Any) -> bool:
    """Whether the sum of `coefficients[i] * operators[i]` equals its adjoint by
    construction: each term hermitian with a real coefficient, or paired with another
    term that is its adjoint (`a @ b` with `b @ a`, conjugate coefficients)."""
    traced = isinstance(coefficients, jax.core.Tracer)  # only the dtype is known
    if traced and jnp.iscomplexobj(coefficients):
        return False
    values = list(coefficients) if traced else list(np.asarray(coefficients).reshape(-1))
    words = []
    for op, c in zip(operators, values, strict=True):
        word = _word(op)
        if word is None:  # a sum inside a sum: its own hermiticity, a real coefficient
            if not (op.is_hermitian and _real_coefficient(c)):
                return False
            continue
        words.append((word[0], (word[1], c)))
    left = list(words)
    while left:
        word = left.pop(0)
        partner = next((w for w in left if _adjoint_words(word, w)), None)
        if partner is not None:
            left.remove(partner)
        elif not _adjoint_words(word, word):
            return False
    return True


def _adjoint_words(w: tuple, v: tuple) -> bool:
    """Whether the word `v` (factors, coefficient) is the adjoint of `w`: the adjoints
    of `w`'s factors in reverse order, times the conjugate coefficient. A word is its
    own adjoint with a real coefficient (a traced one: of a real dtype); two words are
    each other's only with known coefficients: two traced real ones are not known to be
    equal (`a @ b + c * (b @ a)` inside `jax.jit` was hermitian for c = -1, sweep 24)."""
    (fw, cw), (fv, cv) = w, v
    if len(fw) != len(fv):
        return False
    if not all(_is_adjoint(b, a) for a, b in zip(fw, reversed(fv), strict=True)):
        return False
    if w is v:
        return _real_coefficient(cw)
    cw, cv = _coefficient(cw), _coefficient(cv)
    return cw is not None and cv is not None and np.conj(cw) == cv


def _coefficient(c: Any) -> complex | None:
    """A word's coefficient (a number, or a (product's, sum's) pair) as one number; None
    where one is traced (not known)."""
    if isinstance(c, tuple):
        parts = [_coefficient(x) for x in c]
        return None if None in parts else parts[0] * parts[1]
    if isinstance(c, jax.core.Tracer):
        return None
    return complex(np.asarray(c).item())


def _real_coefficient(c: Any) -> bool:
    """Whether a word's coefficient is real: its known value, or every traced part of a
    real dtype and the known parts real."""
    known = _coefficient(c)
    if known is not None:
        return known.imag == 0
    parts = c if isinstance(c, tuple) else (c,)
    traced = [x for x in parts if isinstance(x, jax.core.Tracer)]
    rest = [x for x in parts if not isinstance(x, jax.core.Tracer)]
    return not any(jnp.iscomplexobj(x) for x in traced) and all(_real_coefficient(x) for x in rest)


def _is_adjoint(b: Any, a: Any) -> bool:
    """Whether the operator `b` is the adjoint of `a` by construction: the same
    hermitian operator, or adapters of symbolic operators built as each other's adjoint
    (`s` and `s.H`) with the same parameter values."""
    if _same_operator(a, b):
        return bool(a.is_hermitian)
    if not (isinstance(a, NetKetOperator) and isinstance(b, NetKetOperator)):
        return False
    sa, sb = getattr(a, "_source", None), getattr(b, "_source", None)
    return (
        sa is not None
        and sb is not None
        and a.hilbert == b.hilbert
        and _same_params(a, b)
        and (hermiticity.is_adjoint_of(sb, sa) or hermiticity.is_adjoint_of(sa, sb))
    )


def _same_operator(a: Any, b: Any) -> bool:
    """Whether `a` and `b` are the same operator: the same object, or adapters of one
    kernel (or of equal symbolic operators) with the same parameter values."""
    if a is b:
        return True
    if getattr(a, "_symir_identity", False) and getattr(b, "_symir_identity", False):
        # the identities of numbers added (`(a + 1j) @ (a - 1j)`: `a @ 1` pairs with `1 @ a`)
        return a.hilbert == b.hilbert
    if not (isinstance(a, NetKetOperator) and isinstance(b, NetKetOperator)):
        return False
    if a.hilbert != b.hilbert or not _same_params(a, b):
        return False
    if a.compiled.key == b.compiled.key:  # one kernel (the compiler's cache token)
        return True
    sa, sb = getattr(a, "_source", None), getattr(b, "_source", None)
    return sa is not None and sb is not None and hermiticity.same_operator(sa, sb)


def _same_params(a: NetKetOperator, b: NetKetOperator) -> bool:
    """Whether two adapters' parameters have the same names and values (a traced value
    equal only to itself)."""
    pa, pb = a.params, b.params
    if pa.keys() != pb.keys():
        return False
    for name, x in pa.items():
        y = pb[name]
        if x is y:
            continue
        if isinstance(x, jax.core.Tracer) or isinstance(y, jax.core.Tracer):
            return False
        if x is None or y is None or not np.array_equal(np.asarray(x), np.asarray(y)):
            return False
    return True


def _honest(result: Any) -> Any:
    """`result` of NetKet's operator algebra, a lazy sum made a `_HermitianAwareSum` and
    a lazy product a `_HermitianAwareProduct` (NetKet's JAX sum and product; its numba sum told whether every operand is hermitian and every
    coefficient real); anything else as it is."""
    if type(result) is SumDiscreteJaxOperator:
        return _HermitianAwareSum(
            *result.operators, coefficients=result.coefficients, dtype=result.dtype
        )
    if type(result) is ProductDiscreteJaxOperator:
        return _HermitianAwareProduct(
            *result.operators, coefficient=result.coefficient, dtype=result.dtype
        )
    if isinstance(result, SumOperator) and not isinstance(result, SumDiscreteJaxOperator):
        coefficients = np.asarray(result.coefficients)
        real = bool(np.all(np.imag(coefficients) == 0))
        result._is_hermitian = real and all(op.is_hermitian for op in result.operators)
    return result


def _sum(*operators: Any, coefficients: Any = 1.0) -> Any:
    """NetKet's lazy sum of `operators`, with its hermiticity (`_honest`)."""
    return _honest(SumOperator(*operators, coefficients=coefficients))


def _is_zero(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == 0


def _is_number(value: Any) -> bool:
    """A Python or NumPy scalar (not a bool, not an array)."""
    return isinstance(value, numbers.Number) and not isinstance(value, bool | np.bool_)


def _plain_number(value: Any) -> Any:
    """`value` as a Python or NumPy number the symbolic expressions take: a `Fraction`,
    a `Decimal` or another `numbers.Number` as the float (or complex) it stands for."""
    if isinstance(value, int | float | complex | np.number):
        return value
    if isinstance(value, numbers.Complex) and value.imag != 0:
        return complex(value)
    return float(value)


def _is_scalar_array(value: Any) -> bool:
    """A concrete 0-d NumPy or JAX array of numbers (not a bool, not a tracer)."""
    return (
        isinstance(value, np.ndarray | jax.Array)
        and not isinstance(value, jax.core.Tracer)
        and np.ndim(value) == 0
        and np.issubdtype(np.asarray(value).dtype, np.number)
    )


def _number_of(value: Any) -> Any:
    """`value`, or its number where it is a concrete 0-d NumPy or JAX array."""
    return value.item() if _is_scalar_array(value) else value


def _identity(hilbert: Any) -> Any:
    """The identity on `hilbert`, as a NetKet JAX operator: a number added to an
    operator is this with the number as its coefficient in the lazy sum (in the
    coefficient, not as NetKet's `LocalOperator(constant=...)`, whose `conjugate()` keeps
    the constant as it is)."""
    identity = nk.operator.LocalOperator(hilbert, constant=1.0, dtype=float).to_jax_operator()
    identity._symir_identity = True  # for `_same_operator`: one operator however many built
    # its tables packed now, outside any trace: a `LocalOperatorJax` packs them at its
    # first `get_conn_padded`, and inside `jax.jit` of a function that closes over
    # `a + 1` it kept the tracers (the next `MCState.expect` raised
    # `UnexpectedTracerError`, sweep 24; NetKet's own `LocalOperatorJax` does the same)
    identity._setup()
    return identity


def _finite(value: Any) -> Any:
    """`value` (a number added to an operator) as a plain number, if finite (`adapter +
    nan` was a NaN diagonal, sweep 13)."""
    value = _plain_number(value)
    if not np.isfinite(value):
        raise ValueError(f"a number added to an operator must be finite, got {value!r}")
    return value


def to_netket(
    op: Any, hilbert: Any = None, *, deduplicate_connected_components: bool | None = None
) -> NetKetOperator:
    """`op` as a NetKet `DiscreteJaxOperator`.

    `op` is a `CompiledOperator`, a symbolic operator (compiled with `op.compile()`)
    or a `NetKetOperator` (rewrapped when `hilbert` is given). See the module docstring
    for how the NetKet Hilbert space is chosen. `deduplicate_connected_components`:
    see `NetKetOperator` (default True; a `NetKetOperator` keeps its own unless given).
    """
    dedup = deduplicate_connected_components
    if isinstance(op, NetKetOperator):
        if hilbert is None and dedup in (None, op.deduplicate_connected_components):
            return op
        new = NetKetOperator(
            op.compiled,
            op.hilbert if hilbert is None else hilbert,
            deduplicate_connected_components=op.deduplicate_connected_components
            if dedup is None
            else dedup,
        )
        new._source = getattr(op, "_source", None)
        return new
    if not isinstance(op, CompiledOperator) and hasattr(op, "hermiticity"):
        adapter = op.to_netket(hilbert)  # a SymbolicOperator: with its established hermiticity
        return (
            adapter
            if dedup is None
            else to_netket(adapter, None, deduplicate_connected_components=dedup)
        )
    dedup = True if dedup is None else dedup
    if not isinstance(op, CompiledOperator):
        compile_ = getattr(op, "compile", None)
        if compile_ is None:
            raise TypeError(
                f"to_netket expects a symir operator or a CompiledOperator, got {type(op).__name__}"
            )
        adapter = NetKetOperator(compile_(), hilbert, deduplicate_connected_components=dedup)
        adapter._source = op  # the symbolic operator, for to_local_operator()
        return adapter
    return NetKetOperator(op, hilbert, deduplicate_connected_components=dedup)


# symir's local-energy kernel for `MCState` (NetKet dispatch rules)
from symir.integrations import netket_local_energy as _local_energy  # noqa: E402

_local_energy.register(NetKetOperator)

from symir.integrations import netket_dispatch  # noqa: E402, F401  (registers the rules)
