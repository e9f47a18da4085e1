"""Resolving a time to transcript segments: the segment at it, and the quote around it."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from ..model import Segment

__all__ = ["segment_index_at", "context_window", "segments_near"]


def segment_index_at(segments: Sequence[Segment], ms: int) -> int | None:
    """The segment containing `ms`, else the nearest one before it.

    A time before the first segment resolves to the first segment (the nearest one); an
    empty transcript resolves to nothing. Segments are sorted by start (as
    `normalise_segments` gives them).
    """
    if not segments:
        return None
    i = bisect_right([s.start_ms for s in segments], ms) - 1
    return max(i, 0)


def context_window(
    segments: Sequence[Segment], index: int, before: int, after: int
) -> tuple[Segment, ...]:
    """Segments `index - before` .. `index + after`, clipped to the transcript."""
    lo = max(0, index - max(before, 0))
    hi = min(len(segments), index + max(after, 0) + 1)
    return tuple(segments[lo:hi])


def segments_near(starts: Sequence[int], ends: Sequence[int], ms: int,
                  before_ms: int, after_ms: int) -> list[int]:
    """Indexes of segments that overlap `[ms - before_ms, ms + after_ms]`.

    Always includes the segment `ms` resolves to (the nearest before it), so that a time
    in a gap between segments still has something to be checked against.
    """
    if not starts:
        return []
    lo, hi = ms - before_ms, ms + after_ms
    at = max(bisect_right(list(starts), ms) - 1, 0)
    out = {at}
    j = at
    while j - 1 >= 0 and ends[j - 1] >= lo:
        j -= 1
        out.add(j)
    j = at
    while j + 1 < len(starts) and starts[j + 1] <= hi:
        j += 1
        out.add(j)
    return sorted(out)
