"""The `SymbolicCompiler`: staged passes, cache, lowerers (see docs/compiler.md)."""

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
