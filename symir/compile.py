"""`compile_operator`: a `SymbolicOperator` -> `CompiledOperator` through the default
pipeline, with an in-process cache keyed by the IR fingerprint and the options."""

from __future__ import annotations

import hashlib
import threading
from typing import Any

from symir.errors import SymbolicCompilerError
from symir.pipeline import LoweringOptions, lower_ir

_CACHE: dict[str, Any] = {}
_LOCK = threading.Lock()


def cache_key(ir, options: LoweringOptions) -> str:
    payload = "\n".join([ir.static_fingerprint(), repr(options)])
    return hashlib.sha256(payload.encode()).hexdigest()


def compile_operator(op: Any, cache: bool = True, **options: Any):
    """Lowers `op` to StableHLO and loads it through JAX."""
    from symir.runtime.compiled import CompiledOperator

    try:
        ir = op.to_ir()
    except Exception as e:
        raise SymbolicCompilerError(str(e), stage="to_ir") from e
    lowering = LoweringOptions(**options)
    key = cache_key(ir, lowering)
    if cache:
        with _LOCK:
            found = _CACHE.get(key)
        if found is not None:
            return found
    result = lower_ir(ir, lowering)
    try:
        compiled = CompiledOperator.from_stablehlo(
            result.stablehlo_text,
            name=ir.operator_name,
            space=ir.hilbert,
            hilbert=getattr(op, "hilbert", ir.hilbert),
            max_conn_size=_fanout(result.stablehlo_text),
            dtype=ir.dtype_str,
            is_hermitian=ir.is_hermitian,
            parameters=ir.parameters,
            key=key,
        )
    except SymbolicCompilerError:
        raise
    except Exception as e:
        raise SymbolicCompilerError(
            f"{type(e).__name__}: {e}", stage="lowering", pass_name="jax"
        ) from e
    if cache:
        with _LOCK:
            _CACHE.setdefault(key, compiled)
            compiled = _CACHE[key]
    return compiled


def _fanout(stablehlo_text: str) -> int:
    import re

    m = re.search(r"-> \(tensor<\?x(\d+)x", stablehlo_text)
    assert m, "cannot read the fan-out from @main's signature"
    return int(m.group(1))
