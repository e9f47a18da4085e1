"""What every transcript source shares: the protocol, language matching, segment clean-up."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ..errors import TranscriptError
from ..model import Segment, Transcript
from .repeats import Cue, merge_repeats

log = logging.getLogger(__name__)

__all__ = [
    "ChainSource",
    "Parsed",
    "TranscriptNotFound",
    "TranscriptSource",
    "clean_lines",
    "clean_text",
    "language_matches",
    "merge_segments",
    "normalise_segments",
    "preference_order",
]


@runtime_checkable
class TranscriptSource(Protocol):
    """Anything that gives a video's transcript.

    `original` is the video's original language when known (note front matter or user
    setting); `languages` are the user's languages, in order of preference. A source
    prefers the original language, then `languages` in order, and raises `TranscriptError`
    (`transient=True` for failures that may clear: blocks, 429, timeouts).
    """

    def fetch(
        self, video_id: str, *, languages: Sequence[str] = (), original: str | None = None
    ) -> Transcript: ...


class TranscriptNotFound(TranscriptError):
    """This source has no transcript for the video in an acceptable language.

    Unlike other `TranscriptError`s, it lets a `ChainSource` try the next source.
    """


def language_matches(wanted: str, have: str) -> bool:
    """`wanted` accepts `have`: same code, or same primary subtag (`en` ~ `en-US`)."""
    w, h = wanted.lower().replace("_", "-"), have.lower().replace("_", "-")
    return w == h or w.split("-")[0] == h.split("-")[0]


def preference_order(languages: Sequence[str], original: str | None) -> tuple[str, ...]:
    """The original language first, then the user's languages, without repeats."""
    out: list[str] = []
    for lang in (original, *languages):
        if lang and lang.strip() and lang.strip().lower() not in (x.lower() for x in out):
            out.append(lang.strip())
    return tuple(out)


_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<\d[\d:.]*>|\{\\[^{}]*\}")
_ARROW = re.compile(r"-{2,}>")


def clean_lines(text: str) -> tuple[str, ...]:
    """The lines of a cue as plain text: tags (`<i>`, `<c.x>`, `<00:01.000>`, `{\\an8}`)
    removed, entities decoded, `-->` defused, spaces collapsed, blank lines dropped."""
    if "<" in text or "{" in text:
        text = _TAG.sub("", text)
    if "&" in text:
        text = html.unescape(text)
    if "->" in text:
        text = _ARROW.sub("->", text)
    if "\n" not in text and "\r" not in text:
        one = " ".join(text.split())
        return (one,) if one else ()
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return tuple(clean for line in lines if (clean := " ".join(line.split())))


def clean_text(text: str) -> str:
    """One line of plain text: `clean_lines` joined."""
    return " ".join(clean_lines(text))


@dataclass(frozen=True)
class Parsed:
    """A transcript's segments as read, and how many duplicated cues were merged."""

    segments: tuple[Segment, ...]
    merged: int = 0


def normalise_segments(
    raw: Iterable[tuple[int, int, str]], language: str, *, video_id: str, where: str
) -> Parsed:
    """Validated, sorted, non-overlapping segments from `(start_ms, end_ms, text)`.

    A negative start is an error naming `where`. Texts are cleaned and empty ones dropped.
    Duplicated cues are merged (`pipeline.transcripts.repeats`). Cues that start together
    are joined; a cue that runs into the next is clipped at the next one's start; a cue of
    zero length, or one that ends before it starts (real caption data has these, even
    negative durations), lasts until the next one.
    """
    items: list[Cue] = []
    inverted = 0
    for n, (start, end, text) in enumerate(raw, 1):
        if start < 0:
            raise TranscriptError(video_id, f"{where}: negative time in cue {n}")
        if end < start:
            inverted += 1
            end = start
        lines = clean_lines(text)
        if lines:
            items.append((start, end, lines))
    if inverted:
        log.info("%s: %s: %d cue(s) end before they start; each taken to last until the "
                 "next", video_id, where, inverted)
    return _merged(items, language, video_id, where)


def merge_segments(segments: Sequence[Segment], *, video_id: str, where: str) -> Parsed:
    """Clean segments (as `normalise_segments` gives them) with duplicated cues merged."""
    language = segments[0].language if segments else ""
    return _merged([(s.start_ms, s.end_ms, (s.text,)) for s in segments], language,
                   video_id, where)


def _merged(items: list[Cue], language: str, video_id: str, where: str) -> Parsed:
    cues, merged = merge_repeats(items)
    if merged:
        log.info("%s: %s: %d duplicated cue(s) merged", video_id, where, merged)
    starts: list[int] = []
    ends: list[int] = []
    texts: list[str] = []
    for start, end, lines in cues:
        text = " ".join(lines)
        if starts and starts[-1] == start:
            ends[-1] = max(ends[-1], end)
            texts[-1] = f"{texts[-1]} {text}"
        else:
            starts.append(start)
            ends.append(end)
            texts.append(text)
    out: list[Segment] = []
    for i, (start, end, text) in enumerate(zip(starts, ends, texts, strict=True)):
        if i + 1 < len(starts) and (end == start or end > starts[i + 1]):
            end = starts[i + 1]
        out.append(Segment(start, end, text, language))
    return Parsed(tuple(out), merged)


class ChainSource:
    """Ask each source in turn; the next one is asked only when one has no transcript.

    Any other failure (a broken local file, a blocked request) is the answer: it is not
    hidden by falling through to another source.
    """

    def __init__(self, *sources: TranscriptSource) -> None:
        if not sources:
            raise ValueError("ChainSource needs at least one source")
        self.sources = sources

    def fetch(
        self, video_id: str, *, languages: Sequence[str] = (), original: str | None = None
    ) -> Transcript:
        missing: list[str] = []
        for source in self.sources:
            try:
                return source.fetch(video_id, languages=languages, original=original)
            except TranscriptNotFound as exc:
                missing.append(exc.message.removeprefix(f"{video_id}: "))
        raise TranscriptNotFound(video_id, "; ".join(missing))

    def take_warnings(self, video_id: str) -> tuple[str, ...]:
        out: list[str] = []
        for source in self.sources:
            take = getattr(source, "take_warnings", None)
            if take is not None:
                out.extend(take(video_id))
        return tuple(out)

    def __repr__(self) -> str:
        return f"ChainSource({', '.join(repr(s) for s in self.sources)})"
