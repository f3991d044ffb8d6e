"""`CompiledOperator`: the executable form of an operator (`get_conn_padded`).

It wraps a loaded StableHLO module (see `stablehlo_exec`). It is a JAX pytree whose
leaves are the runtime parameters, so it can be passed as an argument to a jitted
function (or closed over); `with_params(...)` gives the same kernel with new values.

Transformations
---------------
The kernel is called through `_kernel_call`, which gives the exported call what
`jax.export` does not: a batching rule and a differentiation rule.

* `jax.vmap`: the kernel works row by row on a batch of configurations of any size, so
  a vmapped axis of `x` is folded into that batch (one kernel call). A vmapped axis of
  parameter values (`jax.vmap` over `with_params(h=h)` or over a stacked operator
  pytree) runs one kernel call per value, in a `lax.map` loop. Nested vmap, vmap inside
  `jax.jit` and `jax.jit` inside vmap all reduce to these two cases.
* `jax.jvp` / `jax.grad` / `jax.vjp` / `jax.jacfwd` / `jax.jacrev` / `jax.hessian` with
  respect to the parameters: `mels` gets the tangent `sum_k dmels/dp_k dp_k` (for a
  complex parameter `z`: `dmels/d re(z) re(dz) + dmels/d im(z) im(dz)`), `xp` a zero
  tangent. The partial derivatives come from the *derivative kernel* of order 1, the
  same kernel made to return them too (`branch-differentiate` on the operator's
  `branch` level): one call gives `xp`, `mels` and every `dmels/dp_k`, slot for slot.
  The runtime does not lower anything: it asks the `KernelSource` the compiler gave it
  (`symir.lowering.derived_kernels.DerivedKernels`, made from the `branch` level the
  compile kept) for the kernel's text on first use, and keeps the loaded kernel with the
  primal module (`_derivative_module`). The rule is linear in the parameter tangents and written in
  JAX, so reverse mode transposes it; the call of order k has the same rule with the
  kernel of order k + 1, which gives second derivatives (`jax.hessian`) and beyond.
  Differentiating anything else in a function that calls `get_conn_padded` (a wave
  function, as NetKet does) is unaffected: the rule only runs when a parameter carries
  a tangent. The rules and their limits (predicates and updates that depend on a
  parameter): docs/derivatives.md.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import jax
import jax.numpy as jnp
import numpy as np

from symir.hilbert import DiscreteHilbert, as_hilbert
from symir.runtime.integrations import integration
from symir.runtime.stablehlo_exec import LoadedModule, ensure_x64, load_stablehlo


@runtime_checkable
class KernelSource(Protocol):
    """Where a compiled operator gets the kernels made from its `branch` level, as
    StableHLO text (the compiler gives `symir.lowering.derived_kernels.DerivedKernels`)."""

    def derivatives(self, order: int = 1) -> str: ...

    def tables(self) -> tuple[str, tuple[str, ...]]: ...

    def deltas(self, order: int = 0) -> str: ...

    def slot_kinds(self) -> tuple[str, ...] | None: ...


@dataclass(frozen=True, eq=False)
class KernelSpec:
    """What does not change between parameter values (the pytree's static part)."""

    module: LoadedModule
    name: str
    space: DiscreteHilbert
    hilbert: Any
    max_conn_size: int
    dtype: np.dtype
    x_dtype: np.dtype
    is_hermitian: bool
    param_names: tuple[str, ...]
    param_dtypes: tuple[np.dtype, ...]
    key: str
    kernels: KernelSource | None = None
    """The kernels made from the operator's `branch` level (derivatives, deltas; None:
    they are not available)."""
    param_shapes: tuple[tuple[int, ...], ...] = ()
    """The shape of each parameter: `()` for a number, `(K,)` for a table."""
    keeps_sectors: bool = False
    """Every emission is known to keep each fixed sum of a constrained space (fermion
    products, which the DSL checks conserve every sector on every row): the runtime's
    check that each connected state stays in the sector (`_keep_in_sectors`, an `O(B F
    N)` pass) is then skipped, with the same result for every `x`."""
    assumed_sectors: tuple[tuple[int, int, int], ...] = ()
    """The fixed sums `(first, end, total)` the kernel's rows rely on (sites found by rank
    among a sector's particles or holes, with no check that they were found:
    `sectors.assumed_sectors`): for `x` outside them the kernel's row is not the
    operator's, so its elements are NaN, and concrete `x` outside them is refused."""

    def _identity(self) -> tuple:
        """What tells two specs apart: the kernel's key (which names the module and the
        kernels made with it) and every field the runtime's program reads beside the
        kernel. The key alone is not enough: the same terms compiled on a space with a
        fixed sum and on the same space without one share the key (one kernel; the
        sector rule is the runtime's), and JAX reuses a traced program for an operator
        passed to `jax.jit` whose spec (the pytree's static part) equals the earlier
        one's: the second operator's sector rule was silently taken from the first."""
        return (
            self.key,
            self.name,
            self.space,
            self.hilbert,
            self.max_conn_size,
            self.dtype,
            self.x_dtype,
            self.is_hermitian,
            self.param_names,
            self.param_dtypes,
            self.param_shapes,
            self.keeps_sectors,
            self.assumed_sectors,
        )

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        return (
            isinstance(other, KernelSpec)
            and other.key == self.key
            and other._identity() == self._identity()
        )


class CompiledOperator:
    """`get_conn_padded(x)` for configurations `x` of shape `(..., N)`."""

    def __init__(self, spec: KernelSpec, params: tuple):
        self._spec = spec
        self._params = params

    @classmethod
    def from_stablehlo(
        cls,
        text: str,
        *,
        name: str,
        space: DiscreteHilbert,
        hilbert: Any,
        dtype: str,
        is_hermitian: bool,
        parameters: Mapping[str, Any],
        key: str,
        kernels: KernelSource | None = None,
        constants: tuple[np.ndarray, ...] = (),
    ) -> CompiledOperator:
        """The operator whose `get_conn_padded` kernel is the StableHLO `text`; `key`
        identifies the kernel (the compiler's cache token), `kernels` gives the kernels
        made from its `branch` level (without it, derivatives with respect to the
        parameters and `get_conn_delta` raise), `constants` the values of the last
        arguments of `@main`, the tables `stablehlo-outline-constants` moved out of the
        text (bound at every call: `stablehlo_exec.load_stablehlo`)."""
        if kernels is not None and not isinstance(kernels, KernelSource):
            raise TypeError(
                f"kernels= must give derivatives/tables/deltas/slot_kinds (a "
                f"KernelSource, e.g. symir.lowering.derived_kernels.DerivedKernels), got "
                f"{type(kernels).__name__}"
            )
        ensure_x64(True)
        module = load_stablehlo(text, constants)
        x_dtype = np.dtype(module.in_specs[0][1])
        max_conn_size = module.out_specs[1][0][1]  # mels: (batch, F)
        names = tuple(parameters)
        pdtypes = tuple(np.dtype(s[1]) for s in module.in_specs[1:])
        pshapes = tuple(tuple(s[0]) for s in module.in_specs[1:])
        spec = KernelSpec(
            module,
            name,
            space,
            hilbert,
            max_conn_size,
            np.dtype(dtype),
            x_dtype,
            is_hermitian,
            names,
            pdtypes,
            key,
            kernels,
            pshapes,
        )
        params = tuple(parameters[n] for n in names)
        return cls(spec, _param_values(spec, params))

    # ----------------------------------------------------------------- properties
    @property
    def name(self) -> str:
        return self._spec.name

    @property
    def hilbert(self) -> Any:
        return self._spec.hilbert

    @property
    def space(self) -> DiscreteHilbert:
        """The sites and local states the kernel was compiled for (`hilbert` is the
        space object the operator was written on, a NetKet one say)."""
        return self._spec.space

    @property
    def x_dtype(self) -> np.dtype:
        """The integer dtype of configurations the kernel computes in."""
        return self._spec.x_dtype

    @property
    def key(self) -> str:
        """What identifies the kernel (the compiler's cache token)."""
        return self._spec.key

    @property
    def param_names(self) -> tuple[str, ...]:
        """The runtime parameters, in the kernel's argument order."""
        return self._spec.param_names

    @property
    def kernels(self) -> KernelSource | None:
        """The kernels made from the `branch` level (None: loaded without them)."""
        return self._spec.kernels

    @property
    def max_conn_size(self) -> int:
        return self._spec.max_conn_size

    @property
    def dtype(self) -> np.dtype:
        return self._spec.dtype

    @property
    def is_hermitian(self) -> bool:
        return self._spec.is_hermitian

    @property
    def keeps_sectors(self) -> bool:
        """Whether the runtime's sector check is skipped (`keeping_sectors`)."""
        return self._spec.keeps_sectors

    @property
    def assumed_sectors(self) -> tuple[tuple[int, int, int], ...]:
        """The fixed sums the kernel's rows rely on (`assuming_sectors`), `()` for none."""
        return self._spec.assumed_sectors

    @property
    def stablehlo_text(self) -> str:
        return self._spec.module.text

    @property
    def stablehlo_constants(self) -> tuple[np.ndarray, ...]:
        """The values of the kernel's outlined tables (`%table0`, ... of the text's
        `@main`, in order), which the runtime passes at every call."""
        return self._spec.module.bound

    @property
    def delta_width(self) -> int:
        """`k`: the entries per slot of `get_conn_delta` (builds the delta kernel)."""
        return int(_delta_module(self._spec, 0).out_specs[0][0][2])

    def kept(self, key: tuple, build: Callable[[], Any]) -> Any:
        """The value built for `key` from this kernel: `build()` on first use, then kept
        with the loaded module (shared by every operator of the same kernel, and gone
        when the module goes)."""
        with _WRAPPERS_LOCK:
            hit = self._spec.module.wrappers.get(key)
        if hit is not None:
            return hit
        value = build()
        with _WRAPPERS_LOCK:
            return self._spec.module.wrappers.setdefault(key, value)

    @property
    def constants(self) -> dict[str, Any]:
        """The constant data the `get_conn_padded` kernel embeds (row tables, coefficient
        columns, signs: its `stablehlo.constant`s), taken when it was loaded: `bytes` in
        full (what XLA holds as literals), `count`, `splat_bytes` (the part of one value
        repeated) and the `largest` (shape, dtype, bytes); `stablehlo_exec.constants_report`.
        The derivative and delta kernels, built on first use, hold their own."""
        report = self._spec.module.constants
        return {**report, "largest": [dict(c) for c in report.get("largest", ())]}

    @property
    def constant_bytes(self) -> int:
        """`constants["bytes"]`: the bytes of constant data the kernel embeds."""
        return int(self._spec.module.constants.get("bytes", 0))

    @property
    def params(self) -> dict[str, Any]:
        return dict(zip(self._spec.param_names, self._params))

    def with_params(self, **values: Any) -> CompiledOperator:
        """The same kernel with new parameter values (no recompilation)."""
        unknown = set(values) - set(self._spec.param_names)
        if unknown:
            raise ValueError(
                f"unknown parameter(s) {sorted(unknown)}; this operator has "
                f"{list(self._spec.param_names)}"
            )
        absent = sorted(n for n, v in values.items() if v is None)
        if absent:
            raise ValueError(
                f"parameter(s) {absent} given None: a parameter takes a number (or an array "
                "of the table's shape); leave it out to keep its value"
            )
        spec = self._spec
        given = tuple(values.get(n) for n in spec.param_names)
        checked = _param_values(spec, given)
        new = tuple(
            c if n in values else v for n, v, c in zip(spec.param_names, self._params, checked)
        )
        return CompiledOperator(spec, new)

    def with_hilbert(self, hilbert: Any) -> CompiledOperator:
        """The same kernel and parameter values, reporting `hilbert` as the space it acts
        on (the compiler gives a cached kernel the space object of the operator being
        compiled). A space without the kernel's sites and local states is a ValueError:
        the kernel would read its configurations as its own (a spin kernel on a
        `Qubit`'s 0 and 1 gave wrong energies)."""
        if hilbert is self._spec.hilbert:
            return self
        given, space = as_hilbert(hilbert), self._spec.space
        if (given.size, tuple(given.local_states)) != (space.size, tuple(space.local_states)):
            raise ValueError(
                f"with_hilbert: {hilbert} has {given.size} site(s) with local states "
                f"{list(given.local_states)}, but the operator {self.name!r} was compiled for "
                f"{space.size} site(s) with local states {list(space.local_states)}"
            )
        # a proof that the kernel keeps the sectors holds for the same site ranges
        keeps = self._spec.keeps_sectors and _ranges(hilbert) == _ranges(self._spec.hilbert)
        spec = dataclasses.replace(self._spec, hilbert=hilbert, keeps_sectors=keeps)
        return CompiledOperator(spec, self._params)

    def keeping_sectors(self) -> CompiledOperator:
        """The same kernel without the runtime's sector check (`KernelSpec.keeps_sectors`),
        for an operator known to keep every sector of its constrained space: for `x` in
        the sector each connected state is in it, and for `x` outside it the check keeps
        every branch, so the results are the same (`MolecularHamiltonian.compile`)."""
        return CompiledOperator(dataclasses.replace(self._spec, keeps_sectors=True), self._params)

    def assuming_sectors(self, sectors: tuple[tuple[int, int, int], ...]) -> CompiledOperator:
        """The same kernel, whose rows are the operator's only for configurations that hold
        the fixed sums `sectors` (`KernelSpec.assumed_sectors`; the compiler sets them from
        the operator, `SymbolicOperator.assumed_sectors`): elsewhere its matrix elements
        are NaN, and `get_conn_padded` / `get_conn_delta` of concrete configurations
        outside them raise a ValueError naming the first one."""
        sectors = tuple(tuple(int(v) for v in s) for s in sectors)
        if sectors == self._spec.assumed_sectors:
            return self
        spec = dataclasses.replace(self._spec, assumed_sectors=sectors)
        return CompiledOperator(spec, self._params)

    def tabulated(self) -> CompiledOperator:
        """The same operator read from a table of every configuration of its sector
        (`symir.runtime.sector_table`): each configuration's distinct non-zero connected
        states, looked up by its rank; `F` the largest such count over the sector. A
        ValueError says why where it does not apply (parameters, sites that are not 0/1,
        no fixed sums covering every site, too many configurations or table bytes)."""
        from symir.runtime import sector_table

        reason = sector_table.why_not(self)
        table = None if reason is not None else sector_table.tabulate(self)
        if table is None:
            reason = reason or (
                f"its tables would pass {sector_table.MAX_TABLE_BYTES:,} bytes (MAX_TABLE_BYTES)"
            )
            raise ValueError(f"{self.name!r} cannot be tabulated: {reason}")
        return table

    def as_hermitian(self) -> CompiledOperator:
        """The same kernel reporting `is_hermitian = True` (for an operator whose
        hermiticity was established after it was compiled: `SymbolicOperator.is_hermitian`)."""
        return CompiledOperator(dataclasses.replace(self._spec, is_hermitian=True), self._params)

    def __reduce__(self):
        # Pickling (NetKet, multiprocessing, checkpoints): the kernel travels as its
        # StableHLO text (`LoadedModule.__reduce__`, reloaded through the module cache)
        # with the static description; the parameter values as numpy scalars.
        if any(isinstance(p, jax.core.Tracer) for p in self._params):
            raise TypeError(
                f"cannot pickle the compiled operator {self.name!r} while a parameter is a "
                "JAX tracer (inside jax.jit/grad): pickle it outside the transformation"
            )
        params = tuple(None if p is None else np.asarray(p) for p in self._params)
        return (_unpickle_compiled, (self._spec, params))

    def to_netket(self, hilbert: Any = None, **options: Any) -> Any:
        """This operator as a NetKet `DiscreteJaxOperator` (the `netket` integration,
        `symir.integrations.netket`, found by entry point: see `runtime.integrations`;
        `options`: its `to_netket`'s, e.g. `deduplicate_connected_components=False`).

        Compiled by `SymbolicOperator.compile()`, its `is_hermitian` is the symbolic
        operator's, declared or established (`SymbolicOperator.to_netket` does the same):
        `compile()` does not establish it (that compiles the conjugate transpose or checks
        the matrix), and without it NetKet takes its gradient formula for a non-hermitian
        operator (another estimator) and `FullSumState` refuses the gradient."""
        compiled = self
        source = getattr(self, "_source", None)
        if source is not None and not self.is_hermitian and source.is_hermitian:
            compiled = self.as_hermitian()
        adapter = integration("netket")(compiled, hilbert, **options)
        if source is not None and getattr(adapter, "_source", None) is None:
            adapter._source = source  # to scale it, or to give it as a LocalOperator
        return adapter

    def with_source(self, source: Any) -> CompiledOperator:
        """This operator, remembering a `SymbolicOperator` it was compiled from (what
        `to_netket` asks for its hermiticity), unless it remembers one already: a kernel
        the compile cache shares between equal operators has one matrix, whichever of
        them compiled it first (the declaration `hermitian=True` is part of the cache
        key). Returns `self`."""
        if getattr(self, "_source", None) is None:
            self._source = source
        return self

    def __repr__(self) -> str:
        return (
            f"CompiledOperator({self.name!r}, sites={self._spec.space.size}, "
            f"max_conn_size={self.max_conn_size}, dtype={self.dtype})"
        )

    # ----------------------------------------------------------------- execution
    def get_conn_padded(self, x: Any) -> tuple[Any, Any]:
        """Connected configurations `(..., F, N)` and matrix elements `(..., F)`."""
        eager = self._as_one_program(x, "get_conn_padded")
        if eager is not None:
            return eager
        n = self._spec.space.size
        flat, batch, dtype = self._kernel_input(x, "get_conn_padded")
        xp, mels = _kernel_call(self._spec)(flat, *self._params)[:2]
        mels = _undefined_outside(flat, mels, self._spec.assumed_sectors)
        sectors = self.sectors
        if sectors and not self._spec.keeps_sectors:
            xp, mels = _keep_in_sectors(flat, xp, mels, sectors)
        f = self.max_conn_size
        xp = jnp.reshape(xp, (*batch, f, n)).astype(dtype)
        mels = jnp.reshape(mels, (*batch, f))
        if mels.dtype != self._spec.dtype:  # float32/complex64: computed in double precision
            mels = mels.astype(self._spec.dtype)
        return xp, mels

    def get_conn_delta(self, x: Any) -> tuple[Any, Any, Any]:
        """What each connected configuration changes: `sites (..., F, k)` (int32),
        `values (..., F, k)` (x's dtype) and `mels (..., F)`, slot for slot with
        `get_conn_padded`, without building `xp`: setting `x[sites] = values` gives
        `xp` (the convention and helpers: `symir.runtime.conn_delta`, docs/runtime.md)."""
        eager = self._as_one_program(x, "get_conn_delta")
        if eager is not None:
            return eager
        flat, batch, dtype = self._kernel_input(x, "get_conn_delta")
        sites, values, mels = self._conn_delta_flat(flat)
        f, k = sites.shape[1:]
        sites = jnp.reshape(sites, (*batch, f, k))
        values = jnp.reshape(values, (*batch, f, k)).astype(dtype)
        mels = jnp.reshape(mels, (*batch, f))
        if mels.dtype != self._spec.dtype:
            mels = mels.astype(self._spec.dtype)
        return sites, values, mels

    def _conn_delta_flat(self, flat: Any) -> tuple[Any, Any, Any]:
        """The delta kernel on `flat (b, N)` (what `_kernel_input` gives), the sector rule
        applied: `sites (b, F, k)` int32, `values (b, F, k)` in the kernel's configuration
        dtype, `mels (b, F)` in the kernel's."""
        sites, values, mels, old, keep = self._conn_delta_parts(flat, with_old=False)
        return sites, *apply_sector_rule(values, mels, old, keep)

    def _conn_delta_parts(self, flat: Any, *, with_old: bool = True) -> tuple[Any, ...]:
        """The delta kernel on `flat (b, N)` without the sector rule applied: `(sites,
        values, mels, old, keep)`, `old` the values of `x` at the sites (None when neither
        `with_old` nor the rule asks for them), `keep (b, F)` the slots the sector rule
        keeps (None without a rule: all). Applying the rule is `values = old`, `mels = 0`
        where not `keep`; a caller that only needs the slots that change `x` and have a
        nonzero element may instead drop the slots not kept (`fast_updates`)."""
        sites, values, mels = _kernel_call(self._spec, 0, "deltas")(flat, *self._params)[:3]
        mels = _undefined_outside(flat, mels, self._spec.assumed_sectors)
        fixed = self.static_sites()
        if fixed is not None:  # the same in every row: a broadcast XLA fuses, not an array
            sites = jnp.broadcast_to(jnp.asarray(fixed, sites.dtype), sites.shape)
        sectors = self.sectors
        rule = bool(sectors) and not self._spec.keeps_sectors
        old = _values_at(flat, sites, fixed) if rule or with_old else None
        keep = _sector_keep(flat, sites, values, sectors, old) if rule else None
        return sites, values, mels, old, keep

    @property
    def sectors(self) -> tuple[tuple[int, int, int], ...]:
        """The fixed sums `(first, end, total)` of the space the operator was compiled
        for (NetKet's constrained `Spin`, `Fock`, fermions), `()` where it has none."""
        return _sectors_of(self._spec.hilbert)

    def static_sites(self) -> np.ndarray | None:
        """The `(F, k)` sites of `get_conn_delta` where they are the same in every row
        (the delta kernel makes them from constants only, `static_outputs`: a hop's two
        sites, a flip's one), else None. Known at trace time, they are numpy constants:
        XLA then never writes the `(b, F, k)` sites out."""
        from symir.runtime.static_outputs import static_rows

        if not STATIC_SITES:
            return None
        return static_rows(_delta_module(self._spec, 0), 0)

    def _as_one_program(self, x: Any, what: str) -> Any:
        """The method `what` on concrete `x` as one compiled program (`_eager_method`),
        or None where `x` or a parameter is traced (the method is then being traced
        itself). Called eagerly (`op.get_conn_padded(samples)` in a script, NetKet's
        `get_conn`, `to_sparse`), each of the method's operations around the kernel (the
        reshapes, casts and the sector rule) was an XLA compilation of its own for each
        batch shape; now they are one. `x` is checked here, as the method checks it."""
        if not EAGER_AS_ONE_PROGRAM or isinstance(x, jax.core.Tracer):
            return None
        if any(isinstance(p, jax.core.Tracer) for p in self._params):
            return None
        if not (hasattr(x, "shape") and hasattr(x, "dtype")):
            x = np.asarray(x)
        self._check_input(x, what)
        method = self.kept(
            ("eager_method", what, self._spec), lambda: _eager_method(self._spec, what)
        )
        return method(x, self._params)

    def _kernel_input(self, x: Any, what: str) -> tuple[Any, tuple[int, ...], np.dtype]:
        """`x` checked and flattened for the kernel: `(b, N)` in the kernel's dtype, the
        batch shape and `x`'s dtype."""
        n = self._spec.space.size
        shape, dtype = self._check_input(x, what)
        x = jnp.asarray(x)
        if np.issubdtype(dtype, np.floating):
            x = _discrete_configurations(x)  # a tangent of x is an error, not a silent 0
        flat = jnp.reshape(x.astype(self._spec.x_dtype), (-1, n))
        return flat, shape[:-1], dtype

    def _check_input(self, x: Any, what: str) -> tuple[tuple[int, ...], np.dtype]:
        """`x`'s shape and dtype, checked for the kernel (its values too where concrete):
        a ValueError naming `what` and the operator otherwise."""
        n = self._spec.space.size
        shape = tuple(np.shape(x))
        if len(shape) < 1 or shape[-1] != n:
            raise ValueError(
                f"{what} expects configurations of shape (..., {n}) for operator "
                f"{self.name!r}, got shape {shape}"
            )
        dtype = np.dtype(x.dtype) if hasattr(x, "dtype") else np.asarray(x).dtype
        if not (np.issubdtype(dtype, np.integer) or np.issubdtype(dtype, np.floating)):
            raise ValueError(
                f"{what} expects integer (or integer-valued float) configurations, "
                f"got dtype {dtype}"
            )
        self._check_dtype_holds_states(dtype, what)
        missing = [k for k, v in zip(self._spec.param_names, self._params) if v is None]
        if missing:
            given = ", ".join(f"{k}=..." for k in missing)
            raise ValueError(
                f"operator {self.name!r} needs a value for the parameter(s) {missing}, which "
                f"have no default: give it with `.with_params({given})` or "
                f"`compile(params={{...}})`"
            )
        if not isinstance(x, jax.core.Tracer):  # concrete values: checked here
            self._check_local_states(np.asarray(x), what)
            self._check_assumed_sectors(np.asarray(x), what)
        return shape, dtype

    def _check_dtype_holds_states(self, dtype: np.dtype, what: str) -> None:
        """A ValueError where an integer `dtype` cannot hold every local state (spins -1/+1
        in `uint8`: a flip of +1 wrapped to 255, a row of no configuration of the space,
        silently); checked from the dtype alone, so inside `jax.jit` too."""
        if not np.issubdtype(dtype, np.integer):
            return
        info = np.iinfo(dtype)
        states = np.asarray(self._spec.space.local_states)
        if states.min() < info.min or states.max() > info.max:
            raise ValueError(
                f"{what}: configurations of dtype {dtype} (from {info.min} to {info.max}) "
                f"cannot hold the local states {_states_text(states)} of the space of operator "
                f"{self.name!r}: the connected configurations would wrap around; pass a "
                "signed integer or float dtype wide enough for them"
            )

    def _check_local_states(self, x: np.ndarray, what: str) -> None:
        """A ValueError naming the values of concrete configurations `x` that are not
        local states of the space (a spin-1/2 sample of 0/1 where the states are -1/+1
        gives a row of another configuration, silently). Traced values cannot be read:
        inside `jax.jit` the configurations are the caller's to keep valid."""
        states = np.asarray(self._spec.space.local_states)
        ok = np.zeros(x.shape, bool)
        for v in states:
            ok |= x == v
        if not ok.all():
            bad = np.unique(x[~ok])
            raise ValueError(
                f"{what}: configurations hold {bad[:5].tolist()}, which are not local "
                f"states of the space of operator {self.name!r} ({states.tolist()})"
            )

    def _check_assumed_sectors(self, x: np.ndarray, what: str) -> None:
        """A ValueError naming the first concrete configuration outside a fixed sum the
        kernel's rows rely on (`KernelSpec.assumed_sectors`); traced values get NaN
        elements instead (`_undefined_outside`)."""
        for first, end, total in self._spec.assumed_sectors:
            sums = x[..., first:end].sum(axis=-1).reshape(-1)
            bad = np.flatnonzero(sums != total)
            if bad.size:
                k = int(bad[0])
                raise ValueError(
                    f"{what}: configuration {k} of the batch holds {int(sums[k])} on the "
                    f"sites {first}..{end - 1}, where every state of the space of operator "
                    f"{self.name!r} holds {total} ({bad.size} configuration(s) outside the "
                    "sector): its rows find sites by rank among that sector's particles or "
                    "holes, which are those of the sector's states only (inside jax.jit such "
                    "rows have NaN elements)"
                )

    def to_dense(self) -> np.ndarray:
        """The dense matrix over `hilbert.all_states()` (small spaces only): for a
        constrained space (`total_sz`, `n_particles`, a fermion sector), the states of
        the sector."""
        space = self._spec.space
        hilbert = self._spec.hilbert
        if not hasattr(hilbert, "states_to_numbers"):
            hilbert = space  # otherwise: the space's own basis order (NetKet's, a sector)
        n_states = int(hilbert.n_states)
        size = n_states**2 * np.dtype(self.dtype).itemsize
        if size > DENSE_LIMIT_BYTES:
            raise ValueError(
                f"to_dense: the space of operator {self.name!r} has {n_states} states, a "
                f"dense matrix of {size / 2**30:,.0f} GiB (the limit is "
                f"{DENSE_LIMIT_BYTES / 2**30:,.0f} GiB, `symir.runtime.compiled."
                "DENSE_LIMIT_BYTES`): use `get_conn_padded`, or `to_netket().to_sparse()`"
            )
        states = np.asarray(hilbert.all_states())
        xp, mels = self.get_conn_padded(states)
        xp, mels = np.asarray(xp), np.asarray(mels)
        rows = np.repeat(np.arange(len(states)), self.max_conn_size)
        cols = np.asarray(hilbert.states_to_numbers(xp.reshape(-1, space.size)))
        dense = np.zeros((len(states), len(states)), dtype=self.dtype)
        np.add.at(dense, (rows, cols), mels.reshape(-1))
        return dense


DENSE_LIMIT_BYTES = 16 * 2**30
"""The largest dense matrix `CompiledOperator.to_dense` builds (16 GiB: 2**15 states of
complex128); past it a `ValueError` says so before any state is enumerated (a 2**20-state
space ran the kernel on every state, then failed in NumPy asking for 8 TiB)."""


def _unpickle_compiled(spec: KernelSpec, params: tuple) -> CompiledOperator:
    return CompiledOperator(spec, _param_values(spec, params))


@jax.custom_jvp
def _discrete_configurations(x: Any) -> Any:
    """`x` itself; differentiating through it raises (its JVP rule).

    The configurations are discrete: `xp` and `mels` are piecewise constant in `x` (its
    values are cast to the integer local states), so JAX would return a zero derivative
    with respect to a float `x`, silently. A non-zero tangent of `x` is refused here,
    naming what to do instead."""
    return x


def _refuse_x_tangent(primals: tuple, tangents: tuple) -> tuple:
    (x,), (dx,) = primals, tangents
    if not isinstance(dx, jax.custom_derivatives.SymbolicZero):
        raise TypeError(
            "get_conn_padded is not differentiable with respect to the configurations x: "
            "they are discrete local states (the connected states and matrix elements are "
            "piecewise constant in x, so the derivative would be a silent 0). "
            "Differentiate with respect to the operator's parameters (symbol(...), "
            "docs/derivatives.md), or wrap x in jax.lax.stop_gradient(x) if its derivative "
            "is meant to be dropped"
        )
    return x, dx


_discrete_configurations.defjvp(_refuse_x_tangent, symbolic_zeros=True)


def _ranges(hilbert: Any) -> tuple[tuple[int, int], ...]:
    """The site ranges of the fixed sums of a space (`()` for none)."""
    return tuple((lo, hi) for lo, hi, _ in _sectors_of(hilbert))


def _sectors_of(hilbert: Any) -> tuple[tuple[int, int, int], ...]:
    """The fixed sums `(first, end, total)` of a constrained space (`()` otherwise)."""
    try:
        return _cached_sectors(hilbert)
    except TypeError:  # an unhashable space
        return _sectors_uncached(hilbert)


EAGER_AS_ONE_PROGRAM = True
"""`get_conn_padded` and `get_conn_delta` called on concrete configurations run as one
jitted program per operator and input type (`CompiledOperator._as_one_program`)."""


def _eager_method(spec: KernelSpec, what: str) -> Callable:
    """`CompiledOperator(spec, params).<what>(x)` as a jitted function of `(x, params)`:
    one compilation per input type, the parameters arguments (new values do not
    compile again). Kept with the loaded module (`CompiledOperator.kept`, keyed by the
    whole spec: operators of one kernel on different spaces get one each), so it goes
    when the module goes."""
    return jax.jit(lambda x, params: getattr(CompiledOperator(spec, params), what)(x))


@functools.lru_cache(maxsize=256)
def _cached_sectors(hilbert: Any) -> tuple[tuple[int, int, int], ...]:
    return _sectors_uncached(hilbert)


def _sectors_uncached(hilbert: Any) -> tuple[tuple[int, int, int], ...]:
    try:
        space = as_hilbert(hilbert)
    except (TypeError, ValueError):
        return ()
    return tuple(getattr(space, "sectors", ()) or ())


def _in_sectors(sums: Any, sectors: tuple) -> Any:
    """Whether every sector's sum (`sums(first, end)`) has its fixed value."""
    inside = None
    for first, end, total in sectors:
        ok = sums(first, end) == total
        inside = ok if inside is None else inside & ok
    return inside


def _undefined_outside(x: Any, mels: Any, sectors: tuple) -> Any:
    """`mels (b, F)` with NaN on the rows of `x (b, N)` outside the fixed sums `sectors`
    (`KernelSpec.assumed_sectors`): a kernel that finds sites by rank among a sector's
    particles has no row of the operator there, and a NaN is seen where a wrong number
    would not be. Unchanged where `sectors` is empty."""
    if not sectors:
        return mels
    wide = jnp.int32
    inside = _in_sectors(lambda a, b: jnp.sum(x[:, a:b], axis=-1, dtype=wide), sectors)
    return jnp.where(inside[:, None], mels, jnp.asarray(jnp.nan, mels.dtype))


def _keep_in_sectors(x: Any, xp: Any, mels: Any, sectors: tuple) -> tuple[Any, Any]:
    """The constrained-space rule: for `x` in the sector, a connected state outside it is
    an invalid branch (`x' = x`, `mel = 0`), never an element of the matrix
    (docs/semantics.md). The constraint selects the basis; it does not change the
    operator's matrix elements: for `x` outside the sector every branch is kept (the
    row of the unconstrained operator, as NetKet's operators give), never zeros."""
    wide = jnp.int32
    keep = _in_sectors(lambda a, b: jnp.sum(xp[..., a:b], axis=-1, dtype=wide), sectors)
    x_in = _in_sectors(lambda a, b: jnp.sum(x[:, a:b], axis=-1, dtype=wide), sectors)
    keep = keep | ~x_in[:, None]
    xp = jnp.where(keep[..., None], xp, x[:, None, :])
    return xp, jnp.where(keep, mels, jnp.zeros((), mels.dtype))


STATIC_SITES = True
"""`get_conn_delta`'s sites are numpy constants where the delta kernel makes them from
constants only (`CompiledOperator.static_sites`)."""


def apply_sector_rule(values: Any, mels: Any, old: Any, keep: Any) -> tuple[Any, Any]:
    """`values (b, F, k)` and `mels (b, F)` with the sector rule applied
    (`CompiledOperator._conn_delta_parts`): a slot not kept changes nothing (`old`) and
    has no element; unchanged where `keep` is None (no rule)."""
    if keep is None:
        return values, mels
    values = jnp.where(keep[..., None], values, old)
    return values, jnp.where(keep, mels, jnp.zeros((), mels.dtype))


def repeated_sites(sites: Any) -> Any:
    """`(..., k)`: whether an earlier entry of the slot names the same site (a delta's
    entry that changes nothing more); computed in numpy for numpy `sites` (the static
    sites, `CompiledOperator.static_sites`)."""
    k = sites.shape[-1]
    earlier = np.tril(np.ones((k, k), bool), -1)  # [j, l]: l < j
    same = sites[..., :, None] == sites[..., None, :]
    xnp = np if isinstance(sites, np.ndarray) else jnp
    return xnp.any(same & earlier, axis=-1)


def _values_at(x: Any, sites: Any, fixed: np.ndarray | None = None) -> Any:
    """`x (b, N)` at `sites (b, F, k)`: `(b, F, k)`; by the static `(F, k)` sites
    `fixed` where they are known (a gather with constant indices)."""
    if fixed is not None:
        return x[:, fixed]
    return x[jnp.arange(x.shape[0])[:, None, None], sites]


def _sector_keep(x: Any, sites: Any, values: Any, sectors: tuple, old: Any) -> Any:
    """The constrained-space rule on deltas, as `_keep_in_sectors`: `(b, F)`, whether a
    slot is kept. For `x` in the sector, a connected state outside it is an invalid
    branch (the values of `x`, `mel = 0`); for `x` outside the sector every branch is
    kept. `old`: `x` at the sites (`_values_at`). A sector of all the sites (a fixed
    total magnetisation or particle number) sums the changes without asking where they
    are."""
    wide = jnp.int32
    n = x.shape[1]
    change = jnp.where(repeated_sites(sites), 0, values.astype(wide) - old.astype(wide))

    def held(first: int, end: int) -> Any:
        return jnp.sum(x[:, first:end], axis=-1, dtype=wide)

    def after(first: int, end: int) -> Any:
        inside = (
            change
            if first <= 0 and end >= n
            else jnp.where((sites >= first) & (sites < end), change, 0)
        )
        return held(first, end)[:, None] + jnp.sum(inside, axis=-1)

    return _in_sectors(after, sectors) | ~_in_sectors(held, sectors)[:, None]


_WRAPPERS_LOCK = threading.Lock()


def _derivative_module(spec: KernelSpec, order: int) -> LoadedModule:
    """The loaded derivative kernel of order `order` >= 1 of `spec`'s operator, made by
    its `kernels` on first use and kept in the primal module's `wrappers` (it goes when
    that module goes)."""
    if spec.kernels is None:
        raise NotImplementedError(
            f"get_conn_padded of the compiled operator {spec.name!r} cannot be "
            "differentiated with respect to its parameters: it was loaded without its "
            "branch-level kernels, from which the derivative kernel is made (compile it "
            "from a symbolic operator)"
        )
    key = ("derivative_kernel", order, spec.key)
    with _WRAPPERS_LOCK:
        hit = spec.module.wrappers.get(key)
    if hit is not None:
        return hit
    module = load_stablehlo(spec.kernels.derivatives(order))
    with _WRAPPERS_LOCK:
        return spec.module.wrappers.setdefault(key, module)


def _delta_module(spec: KernelSpec, order: int) -> LoadedModule:
    """The loaded delta kernel of `spec`'s operator (`branch-return-deltas`, after
    `order` derivatives), made by its `kernels` on first use and kept in the primal
    module's `wrappers`, as `_derivative_module`."""
    from symir.errors import SymbolicCompilerError

    if spec.kernels is None:
        raise SymbolicCompilerError(
            f"the compiled operator {spec.name!r} cannot give connection deltas: it was "
            "loaded without its branch-level kernels, from which the delta kernel is made "
            "(compile it from a symbolic operator)",
            stage="deltas",
        )
    key = ("delta_kernel", order, spec.key)
    with _WRAPPERS_LOCK:
        hit = spec.module.wrappers.get(key)
    if hit is not None:
        return hit
    module = load_stablehlo(spec.kernels.deltas(order))
    with _WRAPPERS_LOCK:
        return spec.module.wrappers.setdefault(key, module)


def _along(spec: KernelSpec, dparams: tuple) -> list[Any]:
    """The tangents of the numeric parameters as coefficients of the directions, in
    kernel order: `dh` for a real `h`, `re(dz)` and `im(dz)` for a complex `z` (None for
    a symbolic zero); tables are not directions (`_table_tangent`)."""
    found: list[Any] = []
    for dp, t, shape in zip(dparams, spec.param_dtypes, _shapes(spec)):
        if shape:
            continue
        complex_ = np.issubdtype(t, np.complexfloating)
        if _is_zero(dp):
            found += [None, None] if complex_ else [None]
        elif complex_:
            found += [jnp.real(dp), jnp.imag(dp)]
        else:
            found.append(dp)
    return found


def _shapes(spec: KernelSpec) -> tuple[tuple[int, ...], ...]:
    return spec.param_shapes or ((),) * len(spec.param_names)


def _is_zero(tangent: Any) -> bool:
    return isinstance(tangent, jax.custom_derivatives.SymbolicZero)


def _table_module(spec: KernelSpec) -> tuple[LoadedModule, tuple[str, ...]]:
    """The loaded table-derivative kernel of `spec`'s operator and the names of its
    records, made by its `kernels` on first use and kept in the primal module's
    `wrappers`."""
    if spec.kernels is None:
        raise NotImplementedError(
            f"get_conn_padded of the compiled operator {spec.name!r} cannot be "
            "differentiated with respect to its table parameters: it was loaded without its "
            "branch-level kernels (compile it from a symbolic operator)"
        )
    key = ("table_kernel", spec.key)
    with _WRAPPERS_LOCK:
        hit = spec.module.wrappers.get(key)
    if hit is not None:
        return hit
    text, names = spec.kernels.tables()
    found = (load_stablehlo(text), names)
    with _WRAPPERS_LOCK:
        return spec.module.wrappers.setdefault(key, found)


class _TableTangent:
    """The tangent of `mels` from the tangents `dtables` of table parameters (name ->
    `(K,)`), formed from the records of the table-derivative kernel (`read_records` in
    `lowering/branch/branch_differentiate.py`): linear in the table tangents, so JAX
    transposes it (a gather becomes a scatter-add: `jax.grad` with respect to a table)."""

    def __init__(self, spec: KernelSpec, x: Any, params: tuple, dtables: dict[str, Any]):
        outs = _kernel_call(spec, 0, "tables")(x, *params)
        _, names = _table_module(spec)
        self.edges: dict[tuple[str, str], dict[str, Any]] = {}
        for name, value in zip(names, outs[2:]):
            route, what = name[1:].rsplit(":", 1)
            source, target = route.split(">")
            self.edges.setdefault((source, target), {})[what] = value
        zero = jnp.zeros((1,), jnp.float64)
        self.extended = {  # the tangent with a last 0.0, read where no entry is
            k: jnp.concatenate([jnp.asarray(d, jnp.float64), zero]) for k, d in dtables.items()
        }
        self.sums: dict[str, Any] = {}

    def of_mels(self) -> Any:
        return self.contributions("mels")

    def value(self, source: str, record: dict[str, Any]) -> Any:
        """The tangent of a source's value: a read's entries, or a sum's total."""
        if source.startswith("sum#"):
            if source not in self.sums:
                self.sums[source] = self.contributions(source)
            return self.sums[source]
        table = self.extended.get(source.split("#")[0])
        if table is None:
            return None  # a table without a tangent
        at = jnp.round(record["P"]).astype(jnp.int32) - 1
        return table[jnp.where(at < 0, table.shape[0] - 1, at)]

    def contributions(self, target: str) -> Any:
        found = None
        for (source, to), record in self.edges.items():
            v = self.value(source, record) if to == target else None
            if v is None:
                continue
            term = record["D"] * v
            if target != "mels":  # a sum: its rows summed
                term = jnp.sum(term, axis=1, keepdims=True)
            found = term if found is None else found + term
        return found


def _module_of(spec: KernelSpec, order: int, outputs: str) -> tuple[LoadedModule, int]:
    """The module `_kernel_call` runs and how many of its outputs come before the matrix
    elements (`xp`; or `sites` and `values` for the delta kernel)."""
    if outputs == "deltas":
        return _delta_module(spec, order), 2
    if outputs == "tables":
        return _table_module(spec)[0], 1
    return (spec.module if order == 0 else _derivative_module(spec, order)), 1


def _kernel_call(spec: KernelSpec, order: int = 0, outputs: str = "padded") -> Callable:
    """`spec.module` (order 0) or its derivative kernel of order `order`, with a batching
    rule and a differentiation rule; with `outputs="deltas"`, the delta kernel of that
    order (`_delta_module`), whose outputs start with `sites` and `values` instead of
    `xp` (`get_conn_delta`).

    The wrapped function takes the flat configurations `(b, N)` and the parameter
    scalars, like the module's `@main`, and returns every output of the module: `xp`,
    `mels` and, from order 1 on, the partial derivatives (`L_k = (1 + D)^k` matrix-
    element outputs, `D` the number of parameter directions). Its JVP calls the kernel
    of order k + 1, which returns the same outputs followed by, for each direction j,
    the derivative of each of the `L_k` outputs along j. One wrapper per loaded module,
    operator name (used in error messages), order and kernel key (with or without the
    kernels the derivative kernels are made by), kept in the primal module's `wrappers`:
    it goes when that module goes (`stablehlo_exec.clear_cache()`).
    """
    key = ("kernel_call", spec.name, order, spec.key, spec.kernels is not None, outputs)
    with _WRAPPERS_LOCK:
        hit = spec.module.wrappers.get(key)
    if hit is not None:
        return hit
    module, configurations = _module_of(spec, order, outputs)
    out_specs = module.out_specs

    @jax.custom_jvp
    @jax.custom_batching.custom_vmap
    def call(x, *params):
        if x.shape[0] == 0:  # an empty batch (the module's batch dimension must be >= 1)
            return tuple(jnp.zeros((0, *shape[1:]), dtype) for shape, dtype in out_specs)
        return tuple(module(x, *params))

    @call.def_vmap
    def _vmap_rule(axis_size, in_batched, x, *params):
        x_batched, params_batched = in_batched[0], in_batched[1:]
        everywhere = (True,) * len(out_specs)
        if not x_batched and not any(params_batched):
            return call(x, *params), (False,) * len(out_specs)
        if not any(params_batched):
            # fold the vmapped axis into the kernel's own batch dimension
            b, n = x.shape[1], x.shape[2]
            outs = call(jnp.reshape(x, (axis_size * b, n)), *params)
            return tuple(jnp.reshape(o, (axis_size, b, *o.shape[1:])) for o in outs), everywhere
        # a batch of parameter values: one kernel call per value
        args = (x, *params)
        flags = (x_batched, *params_batched)
        mapped = tuple(a for a, bt in zip(args, flags) if bt)

        def one(sliced):
            it = iter(sliced)
            return call(*(next(it) if bt else a for a, bt in zip(args, flags)))

        return jax.lax.map(one, mapped), everywhere

    def _jvp_rule(primals, tangents):
        return _jvp(spec, order, outputs, configurations, len(out_specs), primals, tangents)

    call.defjvp(_jvp_rule, symbolic_zeros=True)
    with _WRAPPERS_LOCK:
        return spec.module.wrappers.setdefault(key, call)


def _check_table_tangents(spec: KernelSpec, order: int, outputs: str, dparams) -> dict:
    """The non-zero tangents of table parameters (name -> tangent), where they can be
    taken: first derivatives of `get_conn_padded` only."""
    dtables = {
        n: dp
        for n, dp, shape in zip(spec.param_names, dparams, _shapes(spec))
        if shape and not _is_zero(dp)
    }
    if outputs == "tables" and any(not _is_zero(dp) for dp in dparams):
        raise NotImplementedError(
            f"operator {spec.name!r}: second derivatives through a derivative with respect "
            "to a table parameter are not available"
        )
    if dtables and (order > 0 or outputs != "padded"):
        raise NotImplementedError(
            f"operator {spec.name!r}: only first derivatives of get_conn_padded with "
            f"respect to table parameters are available (tables {sorted(dtables)}; "
            f"asked: order {order + 1}, {outputs} outputs)"
        )
    return dtables


def _jvp(spec: KernelSpec, order, outputs, configurations, n_outputs, primals, tangents):
    """The JVP of `_kernel_call(spec, order, outputs)` (see there)."""
    x, *params = primals
    _, *dparams = tangents
    dtables = _check_table_tangents(spec, order, outputs, dparams)
    outs = _kernel_call(spec, order + 1, outputs)(x, *params)
    first = configurations  # the outputs before the matrix elements
    count = n_outputs - first  # the matrix-element outputs of this order
    coefficients = _along(spec, tuple(dparams))
    derivatives = outs[first + count :]
    result_tangents = [np.zeros(np.shape(o), dtype=jax.dtypes.float0) for o in outs[:first]]
    for i in range(count):
        terms = [
            derivatives[j * count + i] * c for j, c in enumerate(coefficients) if c is not None
        ]
        if i == 0 and dtables:
            table_term = _TableTangent(spec, x, tuple(params), dtables).of_mels()
            if table_term is not None:
                terms.append(table_term)
        zero = jnp.zeros_like(outs[first + i])
        total = functools.reduce(jnp.add, terms) if terms else zero
        result_tangents.append(total.astype(outs[first + i].dtype))
    return tuple(outs[: first + count]), tuple(result_tangents)


def _param_values(spec: KernelSpec, values: tuple) -> tuple:
    """`values` (in `spec.param_names` order) checked and converted to the kernel's
    parameter dtypes and shapes."""
    shapes = spec.param_shapes or ((),) * len(spec.param_names)
    return tuple(
        _param_value(n, v, t, shape)
        for n, v, t, shape in zip(spec.param_names, values, spec.param_dtypes, shapes)
    )


def _param_value(name: str, value: Any, dtype: np.dtype, shape: tuple[int, ...] = ()) -> Any:
    if value is None:
        return None  # a required parameter: `get_conn_padded` asks for it
    if shape:
        return _table_value(name, value, dtype, shape)
    real = not np.issubdtype(dtype, np.complexfloating)
    if isinstance(value, jax.Array | np.ndarray) and np.shape(value) == ():
        if real and np.iscomplexobj(value):
            raise ValueError(
                f"parameter {name!r} is real ({dtype}); got a complex value of dtype "
                f"{np.dtype(value.dtype)}"
            )
        _check_finite(name, value)
        return jnp.asarray(value, dtype=dtype)
    if real and isinstance(value, complex | np.complexfloating):
        # every complex kind (Python's, numpy's complex64/128/clongdouble): a non-zero
        # imaginary part is refused, never dropped by the cast to the real dtype
        if value.imag != 0:
            raise ValueError(f"parameter {name!r} is real ({dtype}); got the complex value {value}")
        value = value.real
    if not isinstance(value, int | float | complex | np.number) or isinstance(value, bool):
        raise ValueError(f"parameter {name!r} must be a number, got {value!r}")
    _check_finite(name, value)
    return jnp.asarray(value, dtype=dtype)


def _check_finite(name: str, value: Any) -> None:
    """A concrete parameter value (a number, or a table's entries) that is NaN or
    infinite (or an integer past float64's range) is a ValueError, as a default is:
    every matrix element computed from it would be one; a traced value passes."""
    if isinstance(value, jax.core.Tracer):
        return
    try:
        finite = bool(np.all(np.isfinite(np.asarray(value, dtype=np.complex128))))
    except OverflowError:
        finite = False
    if not finite:
        raise ValueError(f"parameter {name!r} must be finite, got {value}")


def _table_value(name: str, value: Any, dtype: np.dtype, shape: tuple[int, ...]) -> Any:
    """The entries of a table parameter: an array of `shape` (`(K,)`), real."""
    if not isinstance(value, jax.Array | np.ndarray | list | tuple):
        raise ValueError(
            f"parameter {name!r} is a table of {shape[0]} entries; got {type(value).__name__}"
        )
    if np.iscomplexobj(value):
        raise ValueError(f"table parameter {name!r} is real ({dtype}); got complex entries")
    if tuple(np.shape(value)) != tuple(shape):
        raise ValueError(
            f"table parameter {name!r} has {shape[0]} entries (in key order); got an array "
            f"of shape {tuple(np.shape(value))}"
        )
    _check_finite(name, value)
    return jnp.asarray(value, dtype=dtype)


jax.tree_util.register_pytree_node(
    CompiledOperator,
    lambda op: (op._params, op._spec),
    lambda spec, params: CompiledOperator(spec, tuple(params)),
)


def _states_text(states: np.ndarray) -> str:
    """The local states as a message shows them: all of them up to 8, else the first
    three, the last two and how many (Fock(300) has 301)."""
    values = states.tolist()
    if len(values) <= 8:
        return str(values)
    head = ", ".join(map(str, values[:3]))
    tail = ", ".join(map(str, values[-2:]))
    return f"[{head}, ..., {tail}] ({len(values)} of them)"
