"""`symir.compiler`: the caching `SymbolicCompiler` (see docs/compiler.md).

- `compiler.py`: `SymbolicCompiler`, its stages (`SymbolicPassPipeline`,
  `ModulePassStage` wrapping plain xDSL passes of `symir.lowering`), the per-key locks
  and the pre-cache memo;
- `core.py`: the compilation context, pass reports, the signature and the cache key;
- `options.py`: `SymbolicCompilerOptions` (extends the lowering's `LoweringOptions`);
- `stores.py`: the in-memory and on-disk artifact stores;
- `lowerers.py`: lowerers and their registry (the default: `symir.lowering.pipelines`,
  then `CompiledOperator.from_stablehlo`);
- `artifact.py`: `SymbolicCompiledArtifact`; `entry.py`: `compile_operator`, behind
  `SymbolicOperator.compile()`.

No passes live here: a stage wraps a pass registered in `symir.lowering`. Adding a stage:
`ModulePassStage.of("<pass-name>", ...)` in `default_pre_cache` (every compile, part of
the cache key) or `default_post_cache` (misses only) in `compiler.py`. Adding an option:
a field of `SymbolicCompilerOptions`, validated in its `__post_init__` (an option of the
lowering goes into `LoweringOptions` instead). Adding a store or a lowerer: an object with
the protocol of docs/compiler.md#extension-points. Tests: tests/unit/symir/test_compiler.py.
"""

from symir.compiler.artifact import SymbolicCompiledArtifact
from symir.compiler.compiler import (
    ModulePassStage,
    SymbolicCompiler,
    SymbolicPassPipeline,
    default_compiler,
    default_post_cache,
    default_pre_cache,
)
from symir.compiler.core import (
    SymbolicCacheKey,
    SymbolicCompilationContext,
    SymbolicCompilationSignature,
    SymbolicPassReport,
)
from symir.compiler.lowerers import JaxSymbolicLowerer, SymbolicLowererRegistry
from symir.compiler.options import SymbolicCompilerOptions
from symir.compiler.stores import DiskArtifactStore, InMemoryArtifactStore, default_artifact_store

JAXSymbolicLowerer = JaxSymbolicLowerer

__all__ = [
    "DiskArtifactStore",
    "InMemoryArtifactStore",
    "JAXSymbolicLowerer",
    "JaxSymbolicLowerer",
    "ModulePassStage",
    "SymbolicCacheKey",
    "SymbolicCompilationContext",
    "SymbolicCompilationSignature",
    "SymbolicCompiledArtifact",
    "SymbolicCompiler",
    "SymbolicCompilerOptions",
    "SymbolicLowererRegistry",
    "SymbolicPassPipeline",
    "SymbolicPassReport",
    "default_artifact_store",
    "default_compiler",
    "default_post_cache",
    "default_pre_cache",
]
