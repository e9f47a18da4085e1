"""Caption fragments joined into the sentences they make up.

YouTube captions come in 2-5 s fragments that cut sentences anywhere; a claim is rarely
said within one. `join_fragments` joins consecutive fragments into sentences: a sentence
ends at a fragment ending with sentence punctuation, at a pause, or when it grows too long.
A transcript already cut into sentences, or not punctuated (automatic captions), comes
back as it is: windows of fragments (`AlignSettings.sentence_chars`) stand in for its
sentences. Pure: segments in, segments out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..model import Segment

__all__ = ["ends_sentence", "is_fragmented", "join_fragments"]

_SENTENCE_END = re.compile(r"[.!?\u2026\u3002\uff01\uff1f][\"'\u00bb\u201d\u2019)\]]*$")


def ends_sentence(text: str) -> bool:
    return _SENTENCE_END.search(text.rstrip()) is not None


def is_fragmented(segments: Sequence[Segment], share: float = 0.6) -> bool:
    """Punctuated captions, not sentences: fewer than `share` of the segments end a
    sentence, but some do (at least 2%: unpunctuated captions are left as they are)."""
    if not segments:
        return False
    ended = sum(ends_sentence(s.text) for s in segments)
    return 0.02 * len(segments) <= ended < share * len(segments)


def join_fragments(segments: Sequence[Segment], *, max_chars: int = 300,
                   max_gap_ms: int = 1_500, share: float = 0.6) -> tuple[Segment, ...]:
    """The sentences `segments` make up (unchanged unless `is_fragmented`).

    A sentence runs from a fragment to the first one that ends with sentence punctuation,
    that is followed by a pause longer than `max_gap_ms`, or that brings the text past
    `max_chars`; it starts where its first fragment starts and ends where its last ends.
    """
    if not is_fragmented(segments, share):
        return tuple(segments)
    out: list[Segment] = []
    run: list[Segment] = []

    def close() -> None:
        if run:
            text = " ".join(s.text.strip() for s in run if s.text.strip())
            out.append(Segment(run[0].start_ms, run[-1].end_ms, text, run[0].language))
            run.clear()

    for i, seg in enumerate(segments):
        if run and sum(len(s.text) + 1 for s in run) + len(seg.text) > max_chars:
            close()
        run.append(seg)
        nxt = segments[i + 1] if i + 1 < len(segments) else None
        if (ends_sentence(seg.text) or nxt is None
                or nxt.start_ms - seg.end_ms > max_gap_ms):
            close()
    close()
    return tuple(out)
