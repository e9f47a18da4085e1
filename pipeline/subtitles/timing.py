"""Cue groups and cue timing.

A transcript is first gathered into *cue groups*: each holds one or more whole segments
and a time span. A group's text (the source, or its translation: one text in, one text
out) is cut into cues inside that span only, at times proportional to their length, so a
translated track never drifts from the speech. One pass over all cues then makes the
timings legal: starts as close to the speech as the minimum duration and gap allow
(isotonic regression), ends at the end of the speech or later when the text needs more
reading time, up to the next cue; a cue still too fast to read then borrows a little time
from its neighbours (its start, or the next cue's, moves at most `max_shift_ms`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..model import Cue, Segment
from .breaks import cut_text
from .rules import SubtitleError, SubtitleRules

# speech slower than this (characters per second) is taken to end early: a segment's end
# time sometimes includes a long silence or music (a 35-character sentence "lasting" an hour)
_SLOWEST_CPS = 5.0
_WORD_CHAR = re.compile(r"\w")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029]")


def collapse_whitespace(text: str) -> str:
    """One line of text: control characters and whitespace runs (line breaks included)
    become one space."""
    return " ".join(_CONTROL.sub(" ", text).split())


@dataclass(frozen=True)
class CueGroup:
    """Whole segments whose text is cut into cues together, within [start_ms, end_ms]."""

    index: int
    start_ms: int
    end_ms: int  # end of the speech (a segment's end time, bounded as described above)
    text: str  # the segments' text, joined by spaces
    segments: tuple[int, ...]  # indexes of the segments in the list given to cue_groups


@dataclass(frozen=True)
class Plan:
    """A cue to be timed: where its speech is and what it says."""

    start: float
    end: float
    text: str
    classes: tuple[str, ...] = ()
    identifier: str | None = None
    limit: float = math.inf  # the cue ends by then (unless the minimum duration needs more)


def _reading_ms(text: str, cps: float) -> float:
    return len(text.replace("\n", "")) * 1000.0 / cps


def cue_groups(segments: Sequence[Segment], rules: SubtitleRules) -> list[CueGroup]:
    """Gather segments into cue groups.

    Segments without a letter or digit are dropped; times are repaired (end before start,
    overlaps); a segment too short to be shown alone (the next one starts within the
    minimum duration plus a gap) joins the next one.
    """
    items = sorted(
        ((s.start_ms, i, collapse_whitespace(s.text), s.end_ms) for i, s in enumerate(segments)),
        key=lambda t: (t[0], t[1]),
    )
    kept = [(max(0, a), i, t, b) for a, i, t, b in items if _WORD_CHAR.search(t)]
    spans: list[tuple[int, int, str, tuple[int, ...]]] = []
    for k, (a, i, text, b) in enumerate(kept):
        nxt = kept[k + 1][0] if k + 1 < len(kept) else None
        end = b if b > a else a + int(_reading_ms(text, 17.0))
        end = min(end, a + int(_reading_ms(text, _SLOWEST_CPS)) + 1)
        if nxt is not None:
            end = max(a, min(end, nxt))
        spans.append((a, end, text, (i,)))
    merged: list[tuple[int, int, str, tuple[int, ...]]] = []
    need = rules.min_duration_ms + rules.min_gap_ms
    pending: tuple[int, int, str, tuple[int, ...]] | None = None
    for k, span in enumerate(spans):
        if pending is not None:
            span = (pending[0], span[1], f"{pending[2]} {span[2]}", pending[3] + span[3])
            pending = None
        nxt = spans[k + 1][0] if k + 1 < len(spans) else None
        if nxt is not None and nxt - span[0] < need:
            pending = span
        else:
            merged.append(span)
    if pending is not None:
        merged.append(pending)
    return [CueGroup(g, a, b, t, idx) for g, (a, b, t, idx) in enumerate(merged)]


def _group_plans(group: CueGroup, text: str, rules: SubtitleRules, limit: float,
                 keep_together: Sequence[str]) -> list[Plan]:
    """Cut `text` into cues spread over the group's span in proportion to their length.

    When the text is too long to be read at the target speed in the time it is spoken,
    the span stretches into the silence after it, up to `limit` (the next group)."""
    text = collapse_whitespace(text)
    span: float = max(group.end_ms - group.start_ms, 1)
    wanted = _reading_ms(text, rules.target_cps)
    if wanted > span:
        span = max(span, min(wanted, limit - group.start_ms))
    pieces = cut_text(text, rules, span, keep_together)
    return spread(pieces, group.start_ms, group.start_ms + span, (), f"{group.index + 1}")


def spread(pieces: Sequence[str], a: float, b: float, classes: tuple[str, ...] = (),
           prefix: str | None = None, limit: float = math.inf) -> list[Plan]:
    """Plans for `pieces` said one after another over [a, b], each for a time in
    proportion to its length; identifiers `prefix.1`, `prefix.2`, ... when given."""
    total = sum(len(p) for p in pieces) or 1
    out: list[Plan] = []
    acc = 0
    for k, piece in enumerate(pieces, start=1):
        start = a + (b - a) * acc / total
        acc += len(piece)
        ident = None if prefix is None else f"{prefix}.{k}"
        out.append(Plan(start, a + (b - a) * acc / total, piece, classes, ident, limit))
    return out


def _isotonic(values: Sequence[float]) -> list[float]:
    """The non-decreasing sequence closest to `values` (least squares): pool adjacent
    violators."""
    blocks: list[list[float]] = []  # [sum, count]
    for v in values:
        blocks.append([v, 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s, c = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += c
    out: list[float] = []
    for s, c in blocks:
        out.extend([s / c] * int(c))
    return out


def time_plans(plans: Sequence[Plan], rules: SubtitleRules) -> list[Cue]:
    """Legal timings for plans in order: every cue lasts at least the minimum duration and
    at most the maximum, keeps the minimum gap to the next, never overlaps it; starts stay
    as close to the speech as that allows; a cue is given reading time at the target speed
    up to the next cue, and is flagged `fast` when it still reads faster than the hard
    limit."""
    if not plans:
        return []
    step = rules.min_duration_ms + rules.min_gap_ms
    fitted = _isotonic([p.start - k * step for k, p in enumerate(plans)])
    starts: list[int] = []
    for k, v in enumerate(fitted):
        a = int(round(max(v, 0.0) + k * step))
        if starts:
            a = max(a, starts[-1] + step)
        starts.append(a)
    spans: list[tuple[int, int]] = []
    for k, (plan, a) in enumerate(zip(plans, starts, strict=True)):
        hi = a + rules.max_duration_ms
        if k + 1 < len(plans):
            hi = min(hi, starts[k + 1] - rules.min_gap_ms)
        if plan.limit < hi:
            hi = max(math.floor(plan.limit), a + rules.min_duration_ms)
        want = max(plan.end, a + _reading_ms(plan.text, rules.target_cps))
        b = min(max(math.ceil(want), a + rules.min_duration_ms), hi)
        if k + 1 < len(plans) and starts[k + 1] - rules.min_gap_ms - b < rules.close_gap_ms:
            b = hi  # close a short gap: the cue stays until the next one
        spans.append((a, b))
    spans = borrow_time(spans, [p.text for p in plans], rules)
    cues: list[Cue] = []
    for plan, (a, b) in zip(plans, spans, strict=True):
        fast = _reading_ms(plan.text, rules.hard_cps) > b - a
        classes = plan.classes + (("fast",) if fast else ())
        cues.append(Cue(a, b, plan.text, classes, plan.identifier))
    return cues


def borrow_time(spans: Sequence[tuple[int, int]], texts: Sequence[str],
                rules: SubtitleRules) -> list[tuple[int, int]]:
    """Reading time for cues too fast to read, taken from their neighbours.

    A cue that reads faster than the hard limit starts earlier into a silence before it,
    then takes time from the cue right after it and the cue right before it (when they
    touch: only the minimum gap between them), as far as those stay readable at the hard
    limit and no start moves more than `rules.max_shift_ms` from where `spans` put it. The
    minimum and maximum durations and the gaps hold as before."""
    out = [list(s) for s in spans]
    if rules.max_shift_ms <= 0:
        return [(a, b) for a, b in out]
    anchor = [a for a, _ in spans]
    gap, shift = rules.min_gap_ms, rules.max_shift_ms

    def need(k: int) -> int:
        return max(rules.min_duration_ms, math.ceil(_reading_ms(texts[k], rules.hard_cps)))

    def spare(k: int) -> int:
        return out[k][1] - out[k][0] - need(k)

    for k in range(len(out)):
        short = need(k) - (out[k][1] - out[k][0])
        if short <= 0:
            continue
        room = rules.max_duration_ms - (out[k][1] - out[k][0])
        earliest = anchor[k] - shift if k == 0 else max(anchor[k] - shift, out[k - 1][1] + gap)
        take = max(0, min(short, room, out[k][0] - max(earliest, 0)))
        out[k][0] -= take
        short, room = short - take, room - take
        if short > 0 and k + 1 < len(out) and out[k + 1][0] - out[k][1] <= gap:
            take = max(0, min(short, room, spare(k + 1), anchor[k + 1] + shift - out[k + 1][0]))
            out[k + 1][0] += take
            out[k][1] += take
            short, room = short - take, room - take
        if short > 0 and k > 0 and out[k][0] - out[k - 1][1] <= gap:
            take = max(0, min(short, room, spare(k - 1), out[k][0] - (anchor[k] - shift)))
            out[k][0] -= take
            out[k - 1][1] -= take
    return [(a, b) for a, b in out]


def cues_from_segments(segments: Sequence[Segment], rules: SubtitleRules,
                       keep_together: Sequence[str] = ()) -> list[Cue]:
    """The transcript re-cut into cues that follow `rules`.

    `keep_together`: phrases (glossary names) never broken across lines or cues.
    """
    groups = cue_groups(segments, rules)
    return translated_cues(groups, [g.text for g in groups], rules, keep_together)


def translated_cues(groups: Sequence[CueGroup], texts: Sequence[str], rules: SubtitleRules,
                    keep_together: Sequence[str] = ()) -> list[Cue]:
    """Cues of a track made group by group: `texts[i]` (e.g. the translation of
    `groups[i].text`) is cut into cues within `groups[i]`'s span only. An empty text gives
    no cue."""
    if len(texts) != len(groups):
        raise SubtitleError(f"{len(texts)} texts for {len(groups)} cue groups")
    limits = [g.start_ms - rules.min_gap_ms for g in groups[1:]] + [math.inf] * bool(groups)
    plans = [p for g, t, limit in zip(groups, texts, limits, strict=True)
             for p in _group_plans(g, t, rules, limit, keep_together)]
    return time_plans(plans, rules)
