"""Judging citations from the evidence: one status per anchor.

For each claim, `support[i]` is how well the transcript supports it at segment i (the best
window of consecutive segments starting there). A citation is checked at its time with a
tolerance (claims cite the start of a sentence, or a little before or after) against the
best place in the whole transcript; the best place is searched with an order prior (notes
mostly follow the video: a claim is expected between the places its neighbours cite, taken
from the neighbours whose own citations are trusted). Impossible times are read again
(`readings`) and the best-supported possible reading kept. A time past the end of a
transcript that stops before the video does is not checked, unless the note's order shows
it wrong (`_Claims.out_of_order`). Across languages the search for
a suspect citation's place may ask contextual word vectors (`words`: `WordVectors.recall`)
to re-rank its few best segments; within one language, close calls between the sentences
it might point at, and whether a citation whose margin lies near the line is flagged,
are decided by the model in fp32 (`close`: `close.CloseCalls`); everything else is
numpy on the evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from ..model import Citation, CitationCheck, CitationStatus, Segment
from ..timecode import hms
from .close import CloseCalls
from .evidence import Evidence, hub_adjusted, pooled_windows, segment_weights
from .readings import Reading, is_mmss_form, readings
from .resolve import context_window
from .sentences import ends_sentence
from .settings import AlignSettings
from .word_vectors import WordVectors

__all__ = ["ClaimInput", "cited_reach", "decide", "support_matrix"]


@dataclass(frozen=True)
class ClaimInput:
    index: int
    text: str
    citations: tuple[Citation, ...]


def support_matrix(ev: Evidence, windows: Sequence[int]) -> np.ndarray:
    """(claims, segments): best similarity of a window of `windows` starting there."""
    s = ev.sims[1].copy()
    for k, w in ev.sims.items():
        if k != 1 and k in windows and w.shape[1]:
            s[:, : w.shape[1]] = np.maximum(s[:, : w.shape[1]], w)
    return s


def _near(ev: Evidence, ms: int, settings: AlignSettings) -> np.ndarray:
    """Segments overlapping the tolerance around `ms`, and always the one `ms` resolves to."""
    at = max(int(np.searchsorted(ev.starts, ms, side="right")) - 1, 0)
    lo, hi = ms - settings.tolerance_before_ms, ms + settings.tolerance_after_ms
    mask = (ev.ends >= lo) & (ev.starts <= hi)
    mask[at] = True
    return np.flatnonzero(mask)


def _at(ev: Evidence, ms: int) -> int:
    return max(int(np.searchsorted(ev.starts, ms, side="right")) - 1, 0)


@dataclass(frozen=True)
class _Judged:
    reading: Reading
    local: float  # support at the reading (best over the tolerance)
    margin: float  # best support anywhere (with the order prior) minus `local`


class _Claims:
    """Support and order prior of every claim, and the best place for each."""

    def __init__(self, ev: Evidence, claims: Sequence[ClaimInput], settings: AlignSettings,
                 limit_ms: int, segments: Sequence[Segment] = (),
                 words: WordVectors | None = None, close: CloseCalls | None = None,
                 reach_ms: int | None = None) -> None:
        self.ev, self.settings, self.limit_ms = ev, settings, limit_ms
        self.reach_ms = max(limit_ms, reach_ms or 0)  # how far the video runs (`decide`)
        self.texts = [c.text for c in claims]
        self.segments, self.words, self.close = segments, words, close
        self.support = support_matrix(ev, settings.windows)
        self.suggest = (self.support if settings.suggest_windows == settings.windows
                        else support_matrix(ev, settings.suggest_windows))
        self.checkable = [len(c.text.strip()) >= settings.min_claim_chars for c in claims]
        self.best_raw = self.support.max(axis=1)
        self.outside = np.zeros_like(self.support)  # 0 inside the expected span .. 1 far out
        self.prior = np.zeros_like(self.support)
        # per claim, the trusted times the nearest claims before and after it cite
        self.between: list[tuple[int, int] | None] = [None] * len(claims)
        self.best = self.best_raw.copy()

    def judge(self, row: int, reading: Reading) -> _Judged:
        near = _near(self.ev, reading.ms, self.settings)
        local = float(self.support[row, near].max())
        at = float((self.support[row, near] + self.prior[row, near]).max())
        return _Judged(reading, local, float(self.best[row]) - at)

    def borderline(self, j: _Judged) -> bool:
        """A decision int8 rounding may have made: the margin within `close_flag` of
        `suspect_margin`, and the fp32 model at hand."""
        st = self.settings
        return (self.close is not None and st.close_flag > 0
                and len(self.segments) == len(self.ev.starts)
                and abs(j.margin - st.suspect_margin) <= st.close_flag)

    def precise(self, row: int, j: _Judged) -> _Judged:
        """`j` judged again by the model in fp32 (`close`): the windows that start at the
        reading and at the `close_flag_top` best places, pooled from the full-precision
        vectors of their sentences; `j` as it was without the model."""
        st, n = self.settings, len(self.segments)
        if self.close is None:
            return j
        near = [int(i) for i in _near(self.ev, j.reading.ms, st)]
        top = [int(i) for i in np.argsort(-(self.support[row] + self.prior[row]),
                                          kind="stable")[:st.close_flag_top]]
        sizes = [k for k in self.ev.sims if k in st.windows]
        runs = {(i, k) for i in {*near, *top} for k in sizes if i + k <= n}
        need = sorted({m for i, k in runs for m in range(i, i + k)})
        if not need:
            return j
        vecs = self.close.vectors([self.segments[m].text for m in need], "passage")
        query = self.close.vectors([self.texts[row]], "query")
        if vecs is None or query is None:
            return j
        where = {m: x for x, m in enumerate(need)}
        weights = segment_weights(self.segments)
        support: dict[int, float] = {}
        for i, k in runs:
            idx = [where[m] for m in range(i, i + k)]
            pooled = pooled_windows(vecs[idx], weights[i:i + k], k)[0]
            support[i] = max(support.get(i, -np.inf), float(pooled @ query[0]))
        here = max(support[i] + float(self.prior[row, i]) for i in near)
        anywhere = max(here, *(support[i] + float(self.prior[row, i]) for i in top))
        return _Judged(j.reading, max(support[i] for i in near), anywhere - here)

    def set_prior(self, anchors: list[tuple[int, int]], claims: Sequence[ClaimInput]) -> None:
        """Order prior from trusted anchors `(claim position, ms)`, sorted by position."""
        st = self.settings
        if not anchors:
            return
        starts = self.ev.starts.astype(np.float64)
        past = [any(r.rule == "as_written" and r.ms > self.limit_ms
                    for c in claim.citations for r in readings(c.written)) for claim in claims]
        for row in range(len(claims)):
            before = [a for a in anchors if a[0] < row]  # (position, ms)
            after = [a for a in anchors if a[0] > row]
            if not before and not after:
                continue
            ends = [before[-1][1]] if before else []
            ends += [after[0][1]] if after else []
            if before and after and not any(
                    past[r] for r in range(before[-1][0] + 1, after[0][0]) if r != row):
                self.between[row] = (before[-1][1], after[0][1])
            lo = min(ends) - st.order_slack_ms if before else 0
            hi = max(ends) + st.order_slack_ms if after else float("inf")
            dist = np.maximum(lo - starts, 0) + np.maximum(starts - hi, 0)
            self.outside[row] = np.minimum(dist / max(st.order_scale_ms, 1), 1.0)
        self.prior = -st.order_weight * self.outside
        self.best = (self.support + self.prior).max(axis=1)

    def out_of_order(self, row: int, ms: int, suggested: Callable[[], int]
                     ) -> tuple[int, int] | None:
        """The trusted times the nearest claims before and after this one cite (no claim
        between them cites past the transcript's end), when both lie `order_scale_ms` or
        more before `ms` and the claim's best place is between them; else None (nothing
        in the note's order says `ms` is wrong)."""
        pair = self.between[row]
        if pair is None or ms - max(pair) < self.settings.order_scale_ms:
            return None
        return pair if self.outside[row, suggested()] == 0 else None

    def suggestion(self, row: int) -> int:
        """Index of the segment that best supports the claim (within the best window)."""
        score = self.suggest[row] - self.settings.suggest_order_weight * self.outside[row]
        i = self._closest(row, score, self._reranked(row, score))
        # the window that won may start before the sentence that carries the claim
        single = self.ev.sims[1][row]
        span = max((k for k, w in self.ev.sims.items()
                    if k in self.settings.suggest_windows and i < w.shape[1]
                    and abs(float(w[row, i]) - float(self.suggest[row, i])) < 1e-6), default=1)
        return i + int(single[i:i + span].argmax())


    def _closest(self, row: int, score: np.ndarray, best: int) -> int:
        """`best`, or among single sentences, the best at full precision of those within
        `close_margin` of it (`close.CloseCalls`), with the same order prior."""
        st = self.settings
        if (self.close is None or st.close_margin <= 0 or st.suggest_windows != (1,)
                or not self.texts[row].strip() or len(self.segments) != len(score)):
            return best
        top = np.argsort(-score, kind="stable")[:st.close_top]
        top = top[score[top] >= score[best] - st.close_margin]
        if len(top) < 2:
            return best
        sims = self.close.similarities(self.texts[row], [self.segments[i].text for i in top])
        if sims is None:
            return best
        return int(top[int(np.argmax(sims - st.suggest_order_weight * self.outside[row, top]))])

    def _reranked(self, row: int, score: np.ndarray) -> int:
        """The best of `score`, or with `rerank_weight` and word vectors, the best of its
        `rerank_top` best segments once each gains that weight of how well the claim's
        words find words in it (less the mean over those segments)."""
        st = self.settings
        best = int(score.argmax())
        if (self.words is None or st.rerank_weight <= 0 or st.rerank_top < 2
                or not self.texts[row].strip() or len(self.segments) != len(score)):
            return best
        top = np.argsort(-score, kind="stable")[:st.rerank_top]
        found = self.words.recall(self.texts[row], [self.segments[i].text for i in top])
        if found is None:
            return best
        gain = st.rerank_weight * (found - found.mean())
        return int(top[int(np.argmax(score[top] + gain))])


def sentence_at(segments: Sequence[Segment], i: int, st: AlignSettings) -> tuple[Segment, ...]:
    """The sentence segment `i` belongs to: from the segment after the last one before it
    that ends a sentence (caption fragments walked back over, at most `sentence_back`
    segments and `sentence_back_ms`; `i` itself when no sentence end is found that near,
    or the transcript is not punctuated there)
    to the first from `i` on that ends one (as far). Segments joined into sentences
    (`join_fragments`) are sentences already: `i` itself (walking back over one that ends
    at a pause, at a capitalised start or at the length limit put a suggestion a sentence
    or more early)."""
    if not 0 <= i < len(segments):
        return ()
    if st.join_fragments:
        return (segments[i],)
    j = i
    while (j > 0 and not ends_sentence(segments[j - 1].text) and i - j < st.sentence_back
           and segments[i].start_ms - segments[j - 1].start_ms <= st.sentence_back_ms):
        j -= 1
    near = segments[max(0, i - st.sentence_back):i + st.sentence_back + 1]
    if (j > 0 and not ends_sentence(segments[j - 1].text)) or not any(
            ends_sentence(s.text) for s in near):
        j = i  # no sentence start within reach (or no punctuation): the segment itself
    k = i
    while (k + 1 < len(segments) and not ends_sentence(segments[k].text)
           and k - i < st.sentence_back
           and segments[k + 1].start_ms - segments[i].start_ms <= st.sentence_back_ms):
        k += 1
    return tuple(segments[j:k + 1])


def _possible(rs: Sequence[Reading], limit_ms: int) -> list[Reading]:
    return [r for r in rs if 0 <= r.ms <= limit_ms]


def cited_reach(claims: Sequence[ClaimInput]) -> int:
    """The latest time the note cites as written, but in the `MM:SS:00` form: the video
    runs at least that long (a transcript that stops earlier is incomplete)."""
    times = [r.ms for c in claims for cite in c.citations if not is_mmss_form(cite.written)
             for r in readings(cite.written) if r.rule == "as_written"]
    return max(times, default=0)


def decide(
    claims: Sequence[ClaimInput], ev: Evidence, segments: Sequence[Segment],
    limit_ms: int, settings: AlignSettings, words: WordVectors | None = None,
    close: CloseCalls | None = None, reach_ms: int | None = None,
) -> list[CitationCheck]:
    """One check per citation of `claims`, in the claims' order (`words`, `close`: see
    the module). `limit_ms`: the video's end, or the transcript's when the video's length
    is not known; then `reach_ms` (`cited_reach`), when later, is how far the video runs
    as far as the note shows: a `MM:SS:00` time read as `00:MM:SS` between the two is
    repaired unchecked (the transcript stops before the video does)."""
    ev = hub_adjusted(ev, settings.hub_weight, settings.hub_k)
    cl = _Claims(ev, claims, settings, limit_ms, segments, words, close, reach_ms)
    st = settings
    # pass 1: citations whose own place is (nearly) the best anchor the order prior
    anchors: list[tuple[int, int]] = []
    for row, claim in enumerate(claims):
        if not cl.checkable[row]:
            continue
        for c in claim.citations:
            possible = _possible(readings(c.written), limit_ms)
            if not possible:
                continue
            j = min((cl.judge(row, r) for r in possible),
                    key=lambda x: x.margin + st.reading_cost * x.reading.cost)
            if j.margin <= st.trust_margin and j.reading.cost <= 1:
                anchors.append((row, j.reading.ms))
    cl.set_prior(anchors, claims)

    out: list[CitationCheck] = []
    for row, claim in enumerate(claims):
        for c in claim.citations:
            out.append(_check(cl, row, claim, c, segments))
    return out


def _check(cl: _Claims, row: int, claim: ClaimInput, c: Citation,
           segments: Sequence[Segment]) -> CitationCheck:
    st = cl.settings
    rs = readings(c.written)
    literal = next((r for r in rs if r.rule == "as_written"), None)
    possible = _possible(rs, cl.limit_ms)
    literal_ok = literal is not None and literal in possible

    @cache
    def suggested() -> int:  # the suggestion's segment, searched once
        return cl.suggestion(row)

    def made(status: CitationStatus, reading: Reading | None, j: _Judged | None,
             suggest: bool, reason: str) -> CitationCheck:
        resolved = reading.ms if reading is not None else None
        # past the transcript's end (an unchecked repair) nothing of it is quoted
        seg_i = (_at(cl.ev, resolved) if resolved is not None and resolved <= cl.limit_ms
                 else None)
        said = sentence_at(segments, suggested(), st) if suggest else ()
        sug = said[0].start_ms if said else None
        return CitationCheck(
            citation=c, claim_index=claim.index, status=status, resolved_ms=resolved,
            suggested_ms=sug, score=round(j.local, 4) if j is not None else None,
            segment=segments[seg_i] if seg_i is not None else None,
            context=(context_window(segments, seg_i, st.context_before, st.context_after)
                     if seg_i is not None else ()),
            reason=reason, suggestion=said,
        )

    checkable = cl.checkable[row]
    if (literal is not None and cl.limit_ms < literal.ms <= cl.reach_ms
            and not is_mmss_form(c.written)):
        # a time the video has and the transcript does not: not read as another time;
        # flagged only when the note's order puts the claim well inside the transcript
        pair = cl.out_of_order(row, literal.ms, suggested) if checkable else None
        if pair is not None:
            return made("suspect", literal, None, True,
                        f"past the transcript's end ({hms(cl.limit_ms)}), while the nearest "
                        "claims around it whose times the transcript confirms cite "
                        f"{hms(pair[0])} and {hms(pair[1])}")
        return made("no_transcript", literal, None, False,
                    f"past the transcript's end ({hms(cl.limit_ms)}), which stops before the "
                    f"video does (the note cites up to {hms(cl.reach_ms)}): not checked")
    if not possible:
        late = [r for r in rs if r.rule == "mmss_00" and cl.limit_ms < r.ms <= cl.reach_ms]
        if late:
            return made("repaired", late[0], None, False,
                        f"read as MM:SS ({c.written} -> {late[0].ms // 1000} s), past the "
                        f"transcript's end ({hms(cl.limit_ms)}); the note cites up to "
                        f"{hms(cl.reach_ms)}, so the video runs on: not checked")
        what = "cannot be read as a time" if literal is None else "lies beyond the video"
        return made("out_of_range", None, None, checkable,
                    f"{c.written!r} {what}, and no reading of it lies inside the video")
    if literal_ok and literal is not None:
        j = cl.judge(row, literal)
        if checkable and cl.borderline(j):
            j = cl.precise(row, j)
        if not checkable:
            return made("ok", literal, j, False, "claim too short to check; time is possible")
        if j.margin <= st.suspect_margin:
            return made("ok", literal, j, False, "the transcript at this time supports the claim")
        # MM:SS:00 written for 00:MM:SS can also be a possible time: try the other reading
        if is_mmss_form(c.written):
            alt = [cl.judge(row, r) for r in possible if r.rule == "mmss_00"]
            if alt and alt[0].margin <= st.suspect_margin:
                return made("repaired", alt[0].reading, alt[0], False,
                            f"read as MM:SS ({c.written} -> {alt[0].reading.ms // 1000} s): "
                            "that time supports the claim, the time as written does not")
        if suggested() in _near(cl.ev, literal.ms, st):
            # a longer window elsewhere won, but of single sentences the cited one is best
            # (the suggestion would point back here): flagging it would contradict itself
            return made("ok", literal, j, False, "the transcript at this time supports the "
                        "claim: of single sentences, the one cited is the best place")
        return made("suspect", literal, j, True,
                    f"support here {j.local:.3f}, {j.margin:.3f} below the best place")
    # impossible as written: the best-supported possible reading
    if not checkable:
        best = possible[0]
        j = cl.judge(row, best)
        if best.cost <= 1:
            return made("repaired", best, j, False,
                        f"impossible as written; read by rule {best.rule} (claim too short "
                        "to confirm)")
        return made("out_of_range", None, None, False,
                    f"{c.written!r} is impossible and the claim is too short to confirm a "
                    "reading")
    judged = [cl.judge(row, r) for r in possible]
    j = min(judged, key=lambda x: x.margin + st.reading_cost * x.reading.cost)
    if j.margin <= st.repair_margin:
        return made("repaired", j.reading, j, False,
                    f"impossible as written; read by rule {j.reading.rule}, which the "
                    "transcript supports")
    if suggested() in _near(cl.ev, j.reading.ms, st):  # as for a literal time above
        return made("repaired", j.reading, j, False,
                    f"impossible as written; read by rule {j.reading.rule}: of single "
                    "sentences, the one there is the best place")
    return made("suspect", j.reading, j, True,
                f"impossible as written; its best reading ({j.reading.rule}) is not supported")
