"""`compile_operator`: the thin entry point behind `SymbolicOperator.compile`.

It goes through the process-wide default `SymbolicCompiler` (shared in-memory artifact
store), so compiling the same operator twice is a cache hit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np


def compile_operator(
    op: Any, cache: bool = True, params: Mapping[str, Any] | None = None, **options: Any
):
    """`op` compiled by the default `SymbolicCompiler`; keyword arguments are
    `SymbolicCompilerOptions` fields (e.g. `x_dtype`, `coalesce_diagonal`).

    `params` gives parameter values (required for a `symbol` without a default, else
    overriding the defaults); they are runtime values, so they are not part of the
    cache key: the kernel is the same, `with_params` applies them."""
    from dataclasses import fields

    from symir.compiler import SymbolicCompilerOptions, default_compiler

    known = {f.name for f in fields(SymbolicCompilerOptions)} - {"cache_enabled"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(
            f"compile() got unknown option(s) {unknown}; the options are `cache` and the "
            f"SymbolicCompilerOptions fields {sorted(known)}"
        )
    if not isinstance(cache, bool | np.bool_):
        # `cache="no"` or `cache=0.0` read as a truth value would turn the cache on or off
        # by accident: only True or False
        raise TypeError(f"compile(cache=...) takes True or False, got {cache!r}")
    opts = SymbolicCompilerOptions(cache_enabled=bool(cache), **options)
    compiled = default_compiler(opts).compile_operator(op)
    return compiled.with_params(**params) if params else compiled
