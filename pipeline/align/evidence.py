"""The similarities a note's claims have with its transcript: computed once, judged after.

`TranscriptVectors` holds a transcript's segment times and the vectors of its windows of
consecutive segments (window k, row i: segments i .. i+k-1). `Evidence` holds, per claim,
the similarity to every window; `decide` turns it into statuses without touching the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..model import Segment, Transcript
from .embed import Embedder, EmbeddingCache, cached_embeddings, normalise

__all__ = [
    "Evidence", "TranscriptVectors", "blended", "centred", "evidence", "pooled_windows",
    "segment_weights", "transcript_vectors",
]


@dataclass(frozen=True)
class TranscriptVectors:
    starts: np.ndarray  # int64 ms, one per segment
    ends: np.ndarray
    windows: dict[int, np.ndarray]  # k -> (n - k + 1, dim); k = 1 is the segments
    weights: np.ndarray  # float64, one per segment: its weight in a pooled window


def pooled_windows(vectors: np.ndarray, weights: np.ndarray, k: int) -> np.ndarray:
    """Vectors of runs of `k` consecutive segments, pooled from the segments' vectors.

    e5 mean-pools its token states, so a run's embedding is close to the average of its
    sentences' embeddings weighted by their lengths; pooling costs no model call, where
    embedding every run's text would multiply the transcript's embedding time by the
    number of window sizes.
    """
    n = vectors.shape[0]
    if k > n:
        return np.zeros((0, vectors.shape[1]), dtype=np.float32)
    weighted = vectors.astype(np.float64) * weights[:, None]
    csum = np.concatenate([np.zeros((1, vectors.shape[1])), np.cumsum(weighted, axis=0)])
    pooled = csum[k:] - csum[:-k]
    return normalise(pooled.astype(np.float32))


def segment_weights(segments: Sequence[Segment]) -> np.ndarray:
    """Each segment's weight in a pooled window: its length in characters."""
    return np.array([max(len(s.text), 1) for s in segments], dtype=np.float64)


def _with_windows(starts: np.ndarray, ends: np.ndarray, single: np.ndarray,
                  weights: np.ndarray, windows: Sequence[int]) -> TranscriptVectors:
    vecs = {k: pooled_windows(single, weights, k) for k in sorted(set(windows) | {1})}
    vecs[1] = single
    return TranscriptVectors(starts, ends, vecs, weights)


def transcript_vectors(
    transcript: Transcript, embedder: Embedder, cache: EmbeddingCache | None,
    windows: Sequence[int],
) -> TranscriptVectors:
    """Segment vectors (embedded once, cached on disk) and pooled window vectors."""
    segs = transcript.segments
    single = cached_embeddings(embedder, cache, [s.text for s in segs], "passage")
    weights = segment_weights(segs)
    return _with_windows(np.array([s.start_ms for s in segs], dtype=np.int64),
                         np.array([s.end_ms for s in segs], dtype=np.int64),
                         single, weights, tuple(windows))


def centred(tv: TranscriptVectors) -> TranscriptVectors:
    """The transcript's vectors less their mean (re-normalised, windows pooled again).

    Every sentence of one transcript shares a component: its language, its speaker, its
    topic. Against claims in another language the plain cosines are nearly flat (every
    Russian sentence sits about as close to an English claim). Centred, a similarity is
    the cosine between the claim and how the sentence differs from the transcript's
    average; they spread about 2.5 times wider, so the thresholds are calibrated apart.
    On the Russian translations the sentence ranked first for a claim rarely changes;
    the decisions (suspect or not, where instead) get sharper: README, Citation checking.
    """
    single = tv.windows[1]
    if single.shape[0] == 0:
        return tv
    moved = normalise((single - single.mean(axis=0, dtype=np.float64)).astype(np.float32))
    return _with_windows(tv.starts, tv.ends, moved, tv.weights, tuple(tv.windows))


@dataclass(frozen=True)
class Evidence:
    """Similarities of each claim (rows) to each window of the transcript."""

    starts: np.ndarray
    ends: np.ndarray
    sims: dict[int, np.ndarray]  # k -> (claims, n - k + 1)


def evidence(claim_vectors: np.ndarray, tv: TranscriptVectors, centre: bool = False) -> Evidence:
    """Similarities of the claims to the transcript's windows (`centred` ones if `centre`)."""
    if centre:
        tv = centred(tv)
    sims = {k: (claim_vectors @ v.T).astype(np.float32) for k, v in tv.windows.items()}
    return Evidence(tv.starts, tv.ends, sims)


def blended(a: Evidence, b: Evidence, weight: float) -> Evidence:
    """Similarities (1 - weight) x a's + weight x b's: two embedders' evidence for the same
    claims against the same transcript (same windows)."""
    if weight <= 0:
        return a
    return Evidence(a.starts, a.ends, {k: ((1 - weight) * v + weight * b.sims[k]).astype(
        np.float32) for k, v in a.sims.items()})


def hub_adjusted(ev: Evidence, weight: float, k: int) -> Evidence:
    """Similarities less `weight` x each window's "hubness" (cross-domain similarity local
    scaling): the mean similarity of a window to its `k` most similar claims of the note,
    centred on the transcript's mean. Generic sentences that resemble every claim stop
    winning the search for where a claim is said; across languages (English claims, a
    Russian transcript) this is where nearest-neighbour search fails most."""
    if weight <= 0 or k < 1:
        return ev
    sims = {}
    for size, s in ev.sims.items():
        if s.shape[0] == 0 or s.shape[1] == 0:
            sims[size] = s
            continue
        top = -np.sort(-s, axis=0)[: min(k, s.shape[0])]
        hubness = top.mean(axis=0)
        sims[size] = (s - weight * (hubness - hubness.mean())).astype(np.float32)
    return Evidence(ev.starts, ev.ends, sims)
