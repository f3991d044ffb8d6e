"""Artifact stores: in-memory (process-wide default) and on-disk."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
import threading
import warnings
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from symir.compiler.artifact import SymbolicCompiledArtifact
from symir.compiler.core import SymbolicCacheKey


class InMemoryArtifactStore:
    """A thread-safe dict keyed by (namespace, token), optionally bounded (the oldest
    entry is evicted first)."""

    kind = "memory"

    def __init__(self, max_entries: int | None = None):
        if max_entries is not None and (not isinstance(max_entries, int) or max_entries < 1):
            raise ValueError(f"max_entries must be a positive int or None, got {max_entries!r}")
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str], SymbolicCompiledArtifact] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: SymbolicCacheKey) -> SymbolicCompiledArtifact | None:
        with self._lock:
            return self._entries.get((key.namespace, key.token))

    def put(self, key: SymbolicCacheKey, artifact: SymbolicCompiledArtifact) -> None:
        with self._lock:
            self._entries[(key.namespace, key.token)] = artifact
            if self.max_entries is not None:
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


_DEFAULT_STORE = InMemoryArtifactStore()


def default_artifact_store() -> InMemoryArtifactStore:
    """The process-wide in-memory store."""
    return _DEFAULT_STORE


_FORMAT = 2
"""2: entries keep the kernel's outlined tables (`constants`) beside its text."""


def _encode(value: Any) -> Any:
    if isinstance(value, complex):
        return {"complex": [value.real, value.imag]}
    if getattr(value, "ndim", 0) == 1:  # a table parameter's entries
        return {"table": [float(v) for v in value.tolist()]}
    if hasattr(value, "item"):  # numpy/jax scalars
        return _encode(value.item())
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "complex" in value:
        return complex(*value["complex"])
    if isinstance(value, dict) and "table" in value:
        return np.asarray(value["table"], dtype=np.float64)
    return value


def _encode_array(value: np.ndarray) -> dict[str, Any]:
    """An outlined table, exactly (its bytes, base64), with its dtype and shape."""
    data = np.ascontiguousarray(value)
    return {
        "dtype": data.dtype.str,
        "shape": list(data.shape),
        "base64": base64.b64encode(data.tobytes()).decode("ascii"),
    }


def _decode_array(value: dict[str, Any]) -> np.ndarray:
    raw = base64.b64decode(value["base64"])
    return np.frombuffer(raw, np.dtype(value["dtype"])).reshape(value["shape"]).copy()


def _kernels(branch_text: str | None) -> Any:
    """The kernels made from a stored `branch` level (parsed on first use)."""
    from symir.lowering.derived_kernels import DerivedKernels

    return DerivedKernels.from_text(branch_text) if branch_text is not None else None


class DiskArtifactStore:
    """One JSON file per entry (`<namespace>/<token>.json`) holding the StableHLO text and
    metadata: enough to rebuild the `CompiledOperator` without re-running any pass.

    Each entry stores the SHA-256 of its payload; an unreadable, truncated or corrupt
    entry (or one whose token does not match) is reported with `warnings.warn` and
    treated as a miss, so the compiler recompiles and overwrites it. A small in-memory
    layer keeps the loaded operators of this process.
    """

    kind = "disk"

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._memory = InMemoryArtifactStore()

    def _path(self, key: SymbolicCacheKey) -> Path:
        ns = hashlib.sha256(key.namespace.encode()).hexdigest()[:16]
        return self.directory / ns / f"{key.token}.json"

    def get(self, key: SymbolicCacheKey) -> SymbolicCompiledArtifact | None:
        found = self._memory.get(key)
        if found is not None:
            return found
        path = self._path(key)
        if not path.exists():
            return None
        try:
            entry = json.loads(path.read_text())
            payload = entry["payload"]
            digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
            if digest != entry["sha256"]:
                raise ValueError("content hash mismatch")
            if payload["token"] != key.token or payload["format"] != _FORMAT:
                raise ValueError("entry is for another key or format")
            artifact = self._rebuild(key, payload)
        except Exception as e:
            warnings.warn(
                f"symir: ignoring corrupt artifact cache entry {path} ({type(e).__name__}: "
                f"{e}); recompiling",
                RuntimeWarning,
                stacklevel=2,
            )
            return None
        self._memory.put(key, artifact)
        return artifact

    @staticmethod
    def _rebuild(key: SymbolicCacheKey, payload: dict[str, Any]) -> SymbolicCompiledArtifact:
        from symir.hilbert import DiscreteHilbert
        from symir.runtime.compiled import CompiledOperator

        c = payload["operator"]
        space = DiscreteHilbert(tuple(c["local_states"]), c["size"])
        compiled = CompiledOperator.from_stablehlo(
            payload["levels"]["stablehlo"],
            name=c["name"],
            space=space,
            hilbert=space,
            dtype=c["dtype"],
            is_hermitian=c["is_hermitian"],
            parameters={k: _decode(v) for k, v in c["parameters"]},
            key=key.token,
            kernels=_kernels(payload["levels"].get("branch")),
            constants=tuple(_decode_array(v) for v in payload["constants"]),
        )
        return SymbolicCompiledArtifact(
            backend=payload["backend"],
            lowerer_name=payload["lowerer_name"],
            compiled_operator=compiled,
            metadata=payload["metadata"],
            levels=payload["levels"],
            analyses=payload["analyses"],
            cache_key=key,
            source="disk",
        )

    def put(self, key: SymbolicCacheKey, artifact: SymbolicCompiledArtifact) -> None:
        self._memory.put(key, artifact)
        op = artifact.compiled_operator
        if "stablehlo" not in artifact.levels:
            return  # not rebuildable from text: keep it in memory only
        space = op.space
        payload = {
            "format": _FORMAT,
            "token": key.token,
            "namespace": key.namespace,
            "backend": artifact.backend,
            "lowerer_name": artifact.lowerer_name,
            "metadata": json.loads(json.dumps(artifact.metadata, default=str)),
            "analyses": json.loads(json.dumps(artifact.analyses, default=str)),
            "levels": dict(artifact.levels),
            "constants": [_encode_array(v) for v in op.stablehlo_constants],
            "operator": {
                "name": op.name,
                "size": space.size,
                "local_states": list(space.local_states),
                "dtype": str(op.dtype),
                "is_hermitian": op.is_hermitian,
                "parameters": [[k, _encode(v)] for k, v in op.params.items()],
            },
        }
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            json.dump({"sha256": digest, "payload": payload}, f)
        os.replace(tmp, path)

    def clear(self) -> None:
        self._memory.clear()
        for p in self.directory.glob("*/*.json"):
            p.unlink(missing_ok=True)

    def __len__(self) -> int:
        return len(list(self.directory.glob("*/*.json")))
