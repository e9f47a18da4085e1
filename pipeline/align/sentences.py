"""Caption fragments joined into the sentences they make up.

YouTube captions come in 2-5 s fragments that cut sentences anywhere; a claim is rarely
said within one. `join_fragments` cuts the fragments' running text into its sentences:
at sentence punctuation, inside a fragment too ("... ни прерывистый. Но Фурье думал
больше" ends one sentence and starts the next: `pipeline.sentence_ends`), before a
capitalised common word where the punctuation was dropped or is a comma, at a pause, and
a sentence that grows too long at a fragment boundary. A sentence's times are read off
the fragments it spans, inside a fragment in proportion to its characters, so a
suggestion at the start of a sentence begun mid-fragment points into that fragment.
A transcript already cut into sentences, or not punctuated (automatic captions), comes
back as it is: windows of fragments (`AlignSettings.sentence_chars`) stand in for its
sentences. Pure: segments in, segments out.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Sequence
from itertools import accumulate

from ..model import Segment
from ..sentence_ends import sentence_ends

__all__ = ["ends_sentence", "is_fragmented", "join_fragments", "timed_by_sentences"]

_SENTENCE_END = re.compile(r"[.!?\u2026\u3002\uff01\uff1f][\"'\u00bb\u201d\u2019)\]]*$")
_OPEN_END = re.compile(r"[^\w\s]$")  # a fragment ending in punctuation of any kind
_FIRST_WORD = re.compile(r"[\"'\u00ab\u201c\u2018(\[-]*([^\W\d_]+)")
_WORDS = re.compile(r"[^\W\d_]+")
_CLAUSE = re.compile(r"[,;:][ \t]+(?=[\"'\u00ab\u201c\u2018(\[-]*[^\W\d_])")
_GLUED = re.compile(r"(?<=[^\W\d_])[.!?](?=[\"'\u00ab\u201c\u2018(\[-]*[^\W\d_])")


def ends_sentence(text: str) -> bool:
    return _SENTENCE_END.search(text.rstrip()) is not None


def timed_by_sentences(segments: Sequence[Segment], share: float = 0.6) -> bool:
    """At least `share` of the segments end a sentence: each segment is one."""
    return sum(ends_sentence(s.text) for s in segments) >= share * len(segments)


def is_fragmented(segments: Sequence[Segment], share: float = 0.6) -> bool:
    """Punctuated captions, not sentences: fewer than `share` of the segments end a
    sentence, but the text has sentence ends (at least one per 50 segments, at their ends
    or inside them: unpunctuated captions are left as they are)."""
    if not segments or timed_by_sentences(segments, share):
        return False
    ended = sum(ends_sentence(s.text) for s in segments)
    inside = sum(len(sentence_ends(s.text.strip())) for s in segments)
    return ended + inside >= 0.02 * len(segments)


def join_fragments(segments: Sequence[Segment], *, max_chars: int = 300,
                   max_gap_ms: int = 1_500, share: float = 0.6,
                   within: bool = True, capitals: bool = True, clauses: bool = True
                   ) -> tuple[Segment, ...]:
    """The sentences `segments` make up (unchanged unless `is_fragmented`).

    Sentences end at a fragment ending with sentence punctuation, at a sentence end inside
    a fragment (`within`), before a capitalised word the transcript also writes in lower
    case where it follows a fragment without closing punctuation ("... c'est en fait un
    oxymore" | "Une variation se définit ...": `capitals`) or a comma, semicolon or colon
    ("... умножается на 3," | "Поэтому, глядя на матрицу ...": `clauses`, which also cuts
    after a sentence mark with no space after it, "числа.Так или иначе"; a name or a
    German noun, never written in lower case, cuts neither), and at a fragment followed by
    a pause longer than `max_gap_ms`;
    one longer than `max_chars` is cut at the fragment boundaries that keep its pieces
    within it. A sentence starts at the time of its first character and ends at that of
    its last, each read off its fragment in proportion to the characters before it.
    """
    if not is_fragmented(segments, share):
        return tuple(segments)
    lower = {w for s in segments for w in _WORDS.findall(s.text) if w.islower()} \
        if capitals or clauses else set()
    out: list[Segment] = []
    for run in _runs(segments, max_gap_ms):
        out.extend(_Run(run).sentences(max_chars, within, lower if capitals else set(),
                                       lower if clauses else set()))
    return tuple(out)


def _starts_anew(text: str, following: str, lower: set[str]) -> bool:
    """Whether `following` starts a sentence after `text`, which has no closing
    punctuation: its first word capitalised (not all capitals) and written in lower case
    elsewhere in the transcript."""
    return not _OPEN_END.search(text) and _capitalised(following, lower)


def _capitalised(following: str, lower: set[str]) -> bool:
    """`following` starts with a capitalised word (not all capitals) that the transcript
    also writes in lower case."""
    m = _FIRST_WORD.match(following)
    word = m.group(1) if m else ""
    return (len(word) > 1 and word[0].isupper() and not word.isupper()
            and word.lower() in lower)


def _runs(segments: Sequence[Segment], max_gap_ms: int) -> Iterator[list[Segment]]:
    """The fragments with words, in runs without a pause longer than `max_gap_ms`."""
    run: list[Segment] = []
    for seg in segments:
        if not seg.text.strip():
            continue
        if run and seg.start_ms - run[-1].end_ms > max_gap_ms:
            yield run
            run = []
        run.append(seg)
    if run:
        yield run


class _Run:
    """Fragments' texts joined by one space; any character's time."""

    def __init__(self, run: list[Segment]) -> None:
        self.run = run
        self.texts = [s.text.strip() for s in run]
        self.starts = [0, *accumulate(len(t) + 1 for t in self.texts)][:-1]
        self.text = " ".join(self.texts)

    def time(self, at: int, end: bool = False) -> int:
        """When character `at` starts (`end`: when character `at - 1` ends)."""
        i = bisect.bisect_right(self.starts, at - 1 if end else at) - 1
        seg, size = self.run[i], max(len(self.texts[i]), 1)
        share = min(max((at - self.starts[i]) / size, 0.0), 1.0)
        return seg.start_ms + round(share * (seg.end_ms - seg.start_ms))

    def sentences(self, max_chars: int, within: bool, capitals: set[str],
                  clauses: set[str]) -> list[Segment]:
        """Cut as `join_fragments` says; `capitals`, `clauses`: the words the transcript
        writes in lower case, for each rule that is on (empty: off)."""
        cuts = {at + len(t) + 1 for at, t in zip(self.starts, self.texts, strict=True)
                if ends_sentence(t)}
        if capitals:
            cuts.update(at for at, t, nxt in zip(self.starts[1:], self.texts, self.texts[1:],
                                                 strict=False)
                        if _starts_anew(t, nxt, capitals))
        if clauses:
            cuts.update(m.end() for m in _CLAUSE.finditer(self.text)
                        if _capitalised(self.text[m.end():], clauses))
            cuts.update(m.end() for m in _GLUED.finditer(self.text)
                        if self.text[m.start() - 1].islower()
                        and _capitalised(self.text[m.end():], clauses))
        if within:
            cuts.update(sentence_ends(self.text))
        bounds = [0, *sorted(c for c in cuts if 0 < c < len(self.text)), len(self.text)]
        out: list[Segment] = []
        for a, b in zip(bounds, bounds[1:], strict=False):
            for x, y in self._bounded(a, b, max_chars):
                text = self.text[x:y].strip()
                if text:
                    x += len(self.text[x:y]) - len(self.text[x:y].lstrip())
                    out.append(Segment(self.time(x), self.time(x + len(text), end=True), text,
                                       self.run[0].language))
        return out

    def _bounded(self, a: int, b: int, max_chars: int) -> Iterator[tuple[int, int]]:
        """[a, b) cut at fragment starts into pieces of at most `max_chars` where it can."""
        start = prev = a
        for at in [*(s for s in self.starts if a < s < b), b]:
            if at - start > max_chars and prev > start:
                yield start, prev
                start = prev
            prev = at
        yield start, b
