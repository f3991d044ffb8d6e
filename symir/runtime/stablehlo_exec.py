"""Execution of StableHLO text through JAX: the one module that owns all JAX glue.

The text (as printed by xDSL from the ``stablehlo`` dialect, or written by hand) is
parsed and verified by jaxlib's own MLIR parser, serialised to a portable (VHLO) artifact
and wrapped into a :class:`jax.export.Exported`, whose ``call`` runs eagerly, inside
``jax.jit`` and composes with other JAX code at native speed.

This touches private ``jax.export`` fields; jax/jaxlib are pinned exactly (0.10.2) and
``tests/unit/dialects/test_stablehlo_ops.py`` exercises every path here.

Conventions
-----------
* The module must contain ``func.func @main``; its argument and result types give
  ``in_avals`` / ``out_avals``.
* Dynamic dimensions (``?``): **all** ``?`` dimensions of one module denote the same
  symbolic size ``b`` (the batch size). Modules needing several independent dynamic
  sizes are not supported.
* A loaded module returns one array when ``@main`` has one result, a tuple otherwise.
* Bound constants: ``load_stablehlo(text, constants)`` binds the last
  ``len(constants)`` arguments of ``@main`` to those values (the tables that
  ``stablehlo-outline-constants`` moved out of the text); the module is then called with
  the other arguments only, and the values are passed at every call (constants of the
  traced program, as the tables were before they were outlined).

x64
---
``ensure_x64(required)`` turns ``jax_enable_x64`` on when a module uses 64-bit types
(f64, i64, ui64, complex<f64>) and it is off. The choice is deliberate: symir operators
are usually complex128/float64 (NetKet turns x64 on at import for the same reason), and
enabling the flag before such a module is loaded is what a user would have to do anyway.
Arrays already created with 32-bit defaults keep their dtypes; the call-time dtype check
then names the mismatching argument. Pass ``SYMIR_NO_AUTO_X64=1`` to get an error
(``X64Error``) instead of the automatic switch. A loaded 64-bit module called after x64
was switched off turns it on again the same way (an ``X64Error`` inside a
``jax.enable_x64(False)`` context, which no switch can override).

Persistent compilation cache
----------------------------
If the environment variable ``SYMIR_JAX_CACHE_DIR`` is set, JAX's persistent compilation
cache is enabled in that directory (with ``jax_persistent_cache_min_compile_time_secs=0``)
the first time a module is loaded.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import threading
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.export
import jax.extend.mlir
import numpy as np

from symir.dialects.types import NUMPY_DTYPES
from symir.runtime.jax_private import mlir_modules, stablehlo_target_version

__all__ = [
    "LoadedModule",
    "StableHLOError",
    "X64Error",
    "clear_cache",
    "constants_report",
    "ensure_x64",
    "load_stablehlo",
    "module_uses_x64",
    "parse_and_verify",
    "verify_and_print",
]


class StableHLOError(ValueError):
    """The StableHLO text is invalid (jaxlib's parser or verifier rejected it)."""


class X64Error(RuntimeError):
    """The module needs 64-bit types but ``jax_enable_x64`` is off."""


# ------------------------------------------------------------------------------------
# Parsing
# ------------------------------------------------------------------------------------


def _parse(text: str):
    mlir, ir = mlir_modules()
    ctx = mlir.make_ir_context()
    try:
        with ctx, ir.Location.unknown(ctx):
            module = ir.Module.parse(text)
            if not module.operation.verify():  # pragma: no cover - verify raises
                raise StableHLOError("StableHLO module failed verification")
    except ir.MLIRError as e:
        raise StableHLOError(f"invalid StableHLO module:\n{e}") from None
    return ctx, module


def parse_and_verify(text: str) -> None:
    """Parse and verify ``text`` with jaxlib; raise :class:`StableHLOError` (with jaxlib's
    line/column diagnostics) when it is invalid."""
    _parse(text)


def verify_and_print(text: str) -> str:
    """Parse and verify ``text`` with jaxlib and return jaxlib's printed form."""
    _, module = _parse(text)
    return str(module)


# ------------------------------------------------------------------------------------
# Types
# ------------------------------------------------------------------------------------

_ELEMENT_DTYPES = {str(t): dtype for t, dtype in NUMPY_DTYPES.items()}
"""jaxlib's spelling of an element type (`i8`, `complex<f64>`) -> numpy dtype."""

_X64_DTYPES = {np.dtype(t) for t in (np.int64, np.uint64, np.float64, np.complex128)}

BATCH_SYMBOL = "b"


def _tensor_spec(typ) -> tuple[tuple[int | None, ...], np.dtype]:
    """Shape (None for dynamic dims) and numpy dtype of an ``ir.Type`` tensor type."""
    _, ir = mlir_modules()
    rt = ir.RankedTensorType(typ)
    shape = tuple(None if rt.is_dynamic_dim(i) else rt.get_dim_size(i) for i in range(rt.rank))
    el = str(rt.element_type)
    if el not in _ELEMENT_DTYPES:
        raise StableHLOError(f"unsupported element type {el} in @main signature")
    return shape, _ELEMENT_DTYPES[el]


def _main_signature(module) -> tuple[list, list]:
    _, ir = mlir_modules()
    for op in module.body.operations:
        if (
            op.operation.name == "func.func"
            and ir.StringAttr(op.attributes["sym_name"]).value == "main"
        ):
            ftype = ir.FunctionType(ir.TypeAttr(op.attributes["function_type"]).value)
            ins = [_tensor_spec(t) for t in ftype.inputs]
            outs = [_tensor_spec(t) for t in ftype.results]
            return ins, outs
    raise StableHLOError("the StableHLO module has no func.func @main")


def module_uses_x64(text: str) -> bool:
    """Whether the ``@main`` signature or body of ``text`` uses 64-bit element types."""
    return bool(re.search(r"\b(f64|i64|ui64|complex<f64>)\b", text))


def ensure_x64(required: bool) -> None:
    """Make sure ``jax_enable_x64`` is on when ``required`` (see the module docstring)."""
    if not required or jax.config.read("jax_enable_x64"):
        return
    if os.environ.get("SYMIR_NO_AUTO_X64"):
        raise X64Error(
            "this StableHLO module uses 64-bit types (f64/i64/complex<f64>) but JAX x64 is "
            "disabled; call jax.config.update('jax_enable_x64', True) before creating arrays "
            "(or unset SYMIR_NO_AUTO_X64 to let symir enable it)"
        )
    jax.config.update("jax_enable_x64", True)


def _x64_again() -> None:
    """x64 was switched off after a 64-bit module was loaded: on again (as at loading),
    or an `X64Error` where it cannot be (`SYMIR_NO_AUTO_X64`, or a `jax.enable_x64(False)`
    context around the call), not JAX's dtype mismatch from inside the call."""
    ensure_x64(True)
    if not jax.config.read("jax_enable_x64"):
        raise X64Error(
            "this StableHLO module uses 64-bit types (f64/i64/complex<f64>) but JAX x64 is "
            "off where it is called (a jax.enable_x64(False) context?); call it with x64 on"
        )


_cache_configured = False


def _configure_persistent_cache() -> None:
    global _cache_configured
    if _cache_configured:
        return
    _cache_configured = True
    path = os.environ.get("SYMIR_JAX_CACHE_DIR")
    if path:
        jax.config.update("jax_compilation_cache_dir", path)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)


# ------------------------------------------------------------------------------------
# Constants
# ------------------------------------------------------------------------------------

_LARGEST = 5


def _constants(module, bound: tuple[np.ndarray, ...] = ()) -> dict[str, Any]:
    """`constants_report` of a parsed module, its `bound` tables counted with its
    constants (they are constants of the traced program)."""
    _, ir = mlir_modules()
    found: list[tuple[int, tuple[int, ...], str, bool]] = [
        (int(v.nbytes), tuple(v.shape), str(v.dtype), False) for v in bound
    ]

    def walk(operation) -> None:
        for region in operation.regions:
            for block in region.blocks:
                for op in block.operations:
                    if op.operation.name == "stablehlo.constant":
                        try:
                            splat = ir.DenseElementsAttr(op.attributes["value"]).is_splat
                        except (TypeError, ValueError):  # complex: the bindings cannot read it
                            splat = False
                        shape, dtype = _tensor_spec(op.results[0].type)
                        size = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
                        found.append((size, tuple(shape), str(np.dtype(dtype)), splat))
                    walk(op.operation)

    walk(module.operation)
    found.sort(key=lambda c: -c[0])
    return {
        "bytes": sum(c[0] for c in found),
        "count": len(found),
        "splat_bytes": sum(c[0] for c in found if c[3]),
        "outlined_bytes": sum(int(v.nbytes) for v in bound),
        "largest": [
            {"shape": list(shape), "dtype": dtype, "bytes": size}
            for size, shape, dtype, _ in [c for c in found if not c[3]][:_LARGEST]
        ],
    }


def constants_report(text: str) -> dict[str, Any]:
    """The constants a StableHLO module embeds (its `stablehlo.constant` ops, nested
    regions included): `bytes`, their data in full (shape x element size: what XLA holds
    as literals), `count`, `splat_bytes` (the part in constants of one repeated value,
    which the text stores once and XLA may fold into a broadcast), `outlined_bytes` (0
    here: the part in tables bound to `@main`'s arguments, `load_stablehlo`'s
    `constants`, which a loaded module's report counts with the others) and `largest`,
    the shape, dtype and bytes of the largest ones that are not splats."""
    return _constants(_parse(text)[1])


# ------------------------------------------------------------------------------------
# Loaded modules
# ------------------------------------------------------------------------------------


def _fmt_shape(shape: tuple[int | None, ...]) -> str:
    return "(" + ", ".join(BATCH_SYMBOL if d is None else str(d) for d in shape) + ")"


@dataclass(eq=False)
class LoadedModule:
    """A StableHLO module ready to run: ``module(*arrays)``.

    Works on numpy and JAX arrays, eagerly and inside ``jax.jit`` (as a closed-over
    callable). The jitted wrapper is created once per module text.
    """

    text: str
    exported: Any
    in_specs: tuple[tuple[tuple[int | None, ...], np.dtype], ...]
    """The arguments the caller gives (the bound ones, `bound`, are not among them)."""
    out_specs: tuple[tuple[tuple[int | None, ...], np.dtype], ...]
    _jitted: Any = field(repr=False, default=None)
    wrappers: dict[Any, Any] = field(repr=False, default_factory=dict)
    """Callables built around this module by its users (e.g. the batching rule of
    `CompiledOperator`), kept with it so that they live and die together."""
    constants: dict[str, Any] = field(repr=False, default_factory=dict)
    """`constants_report` of the module, taken when it was loaded."""
    bound: tuple[np.ndarray, ...] = field(repr=False, default=())
    """The values of the last arguments of `@main`, passed at every call."""
    x64: bool = False
    """Whether the module uses 64-bit types: JAX's x64 must be on when it is called."""

    @property
    def in_avals(self):
        return self.exported.in_avals[: len(self.in_specs)]

    @property
    def out_avals(self):
        return self.exported.out_avals

    def check_inputs(self, args: tuple) -> None:
        """Raise ``ValueError`` naming the argument on a count/dtype/static-shape mismatch."""
        if len(args) != len(self.in_specs):
            raise ValueError(f"@main takes {len(self.in_specs)} argument(s), got {len(args)}")
        batch: int | None = None
        for i, (a, (shape, dtype)) in enumerate(zip(args, self.in_specs)):
            a_shape = tuple(np.shape(a))
            a_dtype = np.dtype(a.dtype) if hasattr(a, "dtype") else np.asarray(a).dtype
            if a_dtype != dtype:
                raise ValueError(f"argument {i} of @main: expected dtype {dtype}, got {a_dtype}")
            ok = len(a_shape) == len(shape) and all(
                e is None or e == g for e, g in zip(shape, a_shape)
            )
            if not ok:
                raise ValueError(
                    f"argument {i} of @main: expected shape {_fmt_shape(shape)}, got {a_shape}"
                )
            for e, g in zip(shape, a_shape):
                if e is None and isinstance(g, int):
                    if batch is not None and g != batch:
                        raise ValueError(
                            f"argument {i} of @main: dynamic dimension '{BATCH_SYMBOL}' is "
                            f"{g} here but {batch} in an earlier argument"
                        )
                    batch = g

    def __call__(self, *args):
        self.check_inputs(args)
        if self.x64 and not jax.config.read("jax_enable_x64"):
            _x64_again()
        out = self._jitted(*args)
        return out[0] if len(self.out_specs) == 1 else tuple(out)

    def __reduce__(self):
        # Pickled as its text and bound values: unpickling loads it again through the
        # module cache, so in a process that has it loaded the same `LoadedModule` (and
        # its wrappers) comes back, and elsewhere it is parsed and compiled anew.
        return (load_stablehlo, (self.text, self.bound))


def _make_exported(module, in_specs, out_specs):
    dynamic = any(d is None for s, _ in (*in_specs, *out_specs) for d in s)
    (sym_b,) = jax.export.symbolic_shape(BATCH_SYMBOL) if dynamic else (None,)

    def aval(spec):
        shape, dtype = spec
        return jax.core.ShapedArray(tuple(sym_b if d is None else d for d in shape), dtype)

    in_avals = tuple(aval(s) for s in in_specs)
    out_avals = tuple(aval(s) for s in out_specs)
    target = stablehlo_target_version()
    serialized = jax.extend.mlir.serialize_portable_artifact(module, target)
    n_in, n_out = len(in_avals), len(out_avals)
    fields = dict(
        fun_name="main",
        in_tree=jax.tree_util.tree_structure((tuple(range(n_in)), {})),
        in_avals=in_avals,
        out_tree=jax.tree_util.tree_structure(tuple(range(n_out))),
        out_avals=out_avals,
        _has_named_shardings=False,
        _in_named_shardings=(None,) * n_in,
        _out_named_shardings=(None,) * n_out,
        in_shardings_hlo=(None,) * n_in,
        out_shardings_hlo=(None,) * n_out,
        nr_devices=1,
        platforms=(jax.export.default_export_platform(),),  # "cuda", not "gpu"
        ordered_effects=(),
        unordered_effects=(),
        # the module has no custom calls and no platform-dependent code: it runs on every
        # device of the process (a GPU's and the CPU's), not only the default backend's
        disabled_safety_checks=(jax.export.DisabledSafetyCheck.platform(),),
        mlir_module_serialized=serialized,
        calling_convention_version=10,
        module_kept_var_idx=tuple(range(n_in)),
        uses_global_constants=dynamic,
        _get_vjp=None,
    )
    # The pinned JAX declares every field above; a newer one may have dropped one (JAX
    # 0.11 dropped `_has_named_shardings`), so only the fields `Exported` declares are
    # passed. A field it requires that is not above fails here with JAX's own message.
    declared = {f.name for f in dataclasses.fields(jax.export.Exported)}
    return jax.export.Exported(**{k: v for k, v in fields.items() if k in declared})


_CACHE: dict[str, LoadedModule] = {}
_LOCK = threading.Lock()


def clear_cache() -> None:
    """Forget all loaded modules (their jitted wrappers are recompiled on next load)."""
    with _LOCK:
        _CACHE.clear()


def _bound_values(ins: list, values: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """`values` (arrays) checked against the last arguments of `@main` (`ins`)."""
    if values and len(values) > len(ins) - 1:
        raise StableHLOError(
            f"{len(values)} bound constant(s) given, but @main takes {len(ins)} argument(s) "
            "and its first (the configurations) cannot be bound"
        )
    first = len(ins) - len(values)
    for k, (value, (shape, dtype)) in enumerate(zip(values, ins[first:])):
        if value.dtype != dtype or value.shape != tuple(shape):
            raise StableHLOError(
                f"bound constant {k} is for argument {first + k} of @main, of shape "
                f"{_fmt_shape(shape)} and dtype {dtype}; got shape {value.shape} and dtype "
                f"{value.dtype}"
            )
    return values


def _key(text: str, values: tuple[np.ndarray, ...]) -> str:
    digest = hashlib.sha256(text.encode())
    for v in values:
        digest.update(f"|{v.dtype}{v.shape}|".encode())
        digest.update(np.ascontiguousarray(v).tobytes())
    return digest.hexdigest()


def load_stablehlo(text: str, constants: Any = ()) -> LoadedModule:
    """Parse, verify and wrap StableHLO ``text``; cached by the SHA-256 of the text and
    of the bound ``constants``: the values of the last ``len(constants)`` arguments of
    ``@main``, passed at every call (the module docstring).

    Raises :class:`StableHLOError` for invalid text or constants that do not match their
    arguments, and enables x64 if needed (see the module docstring).
    """
    values = tuple(np.asarray(c) for c in constants)
    key = _key(text, values)
    with _LOCK:
        hit = _CACHE.get(key)
    if hit is not None:
        ensure_x64(hit.x64)
        return hit
    _configure_persistent_cache()
    _, module = _parse(text)
    ins, outs = _main_signature(module)
    values = _bound_values(ins, values)
    x64 = any(d in _X64_DTYPES for _, d in (*ins, *outs)) or module_uses_x64(text)
    ensure_x64(x64)
    try:
        exported = _make_exported(module, ins, outs)
    except Exception as e:  # serialisation errors from jaxlib
        raise StableHLOError(f"cannot serialise the StableHLO module: {e}") from e

    call = exported.call
    given = tuple(ins[: len(ins) - len(values)])
    loaded = LoadedModule(
        text,
        exported,
        given,
        tuple(outs),
        constants=_constants(module, values),
        bound=values,
        x64=x64,
    )
    loaded._jitted = jax.jit(lambda *a: call(*a, *values))
    with _LOCK:
        return _CACHE.setdefault(key, loaded)
