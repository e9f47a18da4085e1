"""What both renderers share: citation statuses, links to the video, anchors in text.

Every URL that an output links to is built here from a checked video id and an integer
time; nothing from a note's text is ever used as a link target.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from ..errors import OutputError
from ..model import Citation, CitationCheck, CitationStatus, Note, NoteAlignment, Segment
from ..notes import ANCHOR, VIDEO_ID
from ..timecode import hms, youtube_url

STATUSES: tuple[CitationStatus, ...] = (
    "ok", "repaired", "suspect", "out_of_range", "no_transcript",
)
PROBLEMS: frozenset[str] = frozenset({"repaired", "suspect", "out_of_range"})
MARK: dict[str, str] = {
    "ok": "✓", "repaired": "↻", "suspect": "⚠", "out_of_range": "✗", "no_transcript": "∅",
}
LABEL: dict[str, str] = {
    "ok": "ok", "repaired": "repaired", "suspect": "suspect", "out_of_range": "out of range",
    "no_transcript": "no transcript", "unchecked": "not checked",
}
# Provenance keys: why a note's quotes, and its video's transcript track in the note's
# language, are not translated (said in the outputs, not only in the manifest)
UNTRANSLATED_QUOTES = "untranslated_quotes"
UNTRANSLATED_TRACK = "untranslated_track"
# Severity order, worst last: a claim takes the status of its worst citation.
_SEVERITY = {"ok": 0, "no_transcript": 1, "unchecked": 1, "repaired": 2, "suspect": 3,
             "out_of_range": 4}

_TAG = re.compile(r"<(?:br\s*/?|/?sup|/?sub)>", re.I)
_CODE_SPAN = re.compile(r"(`+)(?:.+?)(?<!`)\1(?!`)", re.S)
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
# a timestamp anchor without the brackets (`<a class="yt-timestamp" data-t="00:07:04">
# 00:07:04</a>`, 181 in the corpus's notes): not checked, but kept as the note has it, not
# shown as tag text; nothing but these two attributes, so it does nothing in a viewer
_BARE_ANCHOR = re.compile(r'<a class="yt-timestamp" data-t="[^"<>\n]*">[^<>\n\[\]]*</a>')
_ANCHOR_PARTS = re.compile(r'data-t="(?P<t>[^"<>]*)"[^<>]*>(?P<inner>\[[^\]<>\n]*\])</a>$')
# A quote longer than this (a transcript of minute-long unpunctuated segments) is cut to
# about this many characters around the cited time: a reviewer reads what was said there,
# not a wall of text, and only that is translated.
QUOTE_CHARS = 400
_SPACE = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"[.!?…。？！][\"'»”)\]]*\s+")


def video_id_ok(video_id: str | None) -> bool:
    return bool(video_id) and VIDEO_ID.fullmatch(video_id or "") is not None


def video_link(video_id: str | None, ms: int | None = None) -> str | None:
    """`https://www.youtube.com/watch?v=ID[&t=Ns]`, only for a well-formed id; else None."""
    if not video_id_ok(video_id) or (ms is not None and ms < 0):
        return None
    return youtube_url(video_id or "", ms)


def checks_by_index(alignment: NoteAlignment | None) -> dict[int, CitationCheck]:
    return {} if alignment is None else {c.citation.index: c for c in alignment.checks}


@dataclass(frozen=True)
class CiteView:
    """How one citation shows: its status, the time it links to, its quote."""

    citation: Citation
    status: str  # a CitationStatus, or "unchecked" when no alignment was given
    link_ms: int | None
    check: CitationCheck | None

    @property
    def problem(self) -> bool:
        return self.status in PROBLEMS

    @property
    def quote(self) -> str:
        return " ".join(check_quote(self.check).split()) if self.check else ""

    @property
    def said(self) -> str:
        """For a suggestion: what is said there, from its start (cut as quotes are)."""
        c = self.check
        return " ".join(quote_text(c.suggestion, c.suggested_ms).split()) if c else ""

    @property
    def resolved_differs(self) -> bool:
        c = self.check
        return bool(c and c.resolved_ms is not None and self.citation.ms is not None
                    and c.resolved_ms // 1000 != self.citation.ms // 1000)


def cite_view(citation: Citation, checks: Mapping[int, CitationCheck]) -> CiteView:
    check = checks.get(citation.index)
    if check is None:
        return CiteView(citation, "unchecked", citation.ms, None)
    link_ms = None if check.status == "out_of_range" else check.resolved_ms
    return CiteView(citation, check.status, link_ms, check)


def worst(statuses: Sequence[str]) -> str:
    return max(statuses, key=lambda s: _SEVERITY.get(s, 0), default="ok")


def status_counts(alignment: NoteAlignment | None) -> dict[str, int]:
    counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
    for c in alignment.checks if alignment else ():
        counts[c.status] = counts.get(c.status, 0) + 1
    return counts


def time_text(ms: int | None) -> str:
    return hms(ms) if ms is not None and ms >= 0 else "?"


def check_blocks(note: Note, blocks: Sequence[str]) -> None:
    if len(blocks) != len(note.blocks):
        raise OutputError(
            f"{note.path}: translation has {len(blocks)} blocks, the note has {len(note.blocks)}"
        )


# --------------------------------------------------------------------------- anchors


def split_anchors(
    text: str, citations: Sequence[Citation]
) -> Iterator[tuple[str, Citation | None, str]]:
    """The text cut at its timestamp anchors: (text before, citation, anchor as written).

    The anchors are those of `ANCHOR` in `text`, paired in order with `citations` (the
    source block's, as translation keeps them): by position when the counts agree, else by
    identical anchor text. An anchor that pairs with nothing yields citation None. The
    last item carries the text after the last anchor, with citation None and anchor "".
    """
    found = list(ANCHOR.finditer(text))
    pairs: list[Citation | None]
    if len(found) == len(citations):
        pairs = list(citations)
    else:
        pairs, j = [], 0
        for m in found:
            k = next((i for i in range(j, len(citations)) if citations[i].raw == m.group(0)),
                     None)
            pairs.append(None if k is None else citations[k])
            j = j if k is None else k + 1
    pos = 0
    for m, cit in zip(found, pairs, strict=True):
        yield text[pos:m.start()], cit, m.group(0)
        pos = m.end()
    yield text[pos:], None, ""


def canonical_anchor(raw: str) -> str:
    """The anchor with only its class and data-t attributes (drops anything else written)."""
    m = _ANCHOR_PARTS.search(raw)
    if m is None:  # not an anchor ANCHOR matched: never emitted as a tag
        return escape_tags(raw)
    return f'<a class="yt-timestamp" data-t="{m.group("t")}">{m.group("inner")}</a>'


# --------------------------------------------------------------------------- markdown


def escape_tags(text: str) -> str:
    """Markdown text with every HTML tag shown as text, except `<br>`, `<sup>`, `<sub>`.

    Only a `<` that could open a tag is changed (to `&lt;`), so `x < 5` stays as it is;
    code spans are left alone (markdown shows them as text already).
    """
    out: list[str] = []
    pos = 0
    for m in _CODE_SPAN.finditer(text):
        out.append(_escape_tags_plain(text[pos:m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(_escape_tags_plain(text[pos:]))
    return "".join(out)


_LINK_DEST = re.compile(r"\]\(")
_LINK_DEF = re.compile(r"^([ \t]{0,3})\[(?=[^\]\n]+\]:)", re.M)
_SAFE_DEST = re.compile(  # http(s), mailto, #anchor, or a relative path with nothing else
    r"[ \t]*<?(?:https?://|mailto:|#|\)|[\w./%?=&~+-]+(?:[)>]|[ \t]+[\"'(]|[ \t]*$))",
    re.I | re.M,
)


def _defuse_links(text: str) -> str:
    """Markdown links whose target is not http(s), mailto, an anchor or a plain relative
    path (`javascript:`, `data:`, ...) are shown as text (`](` becomes `]\\(`)."""
    out: list[str] = []
    pos = 0
    for m in _LINK_DEST.finditer(text):
        if not _SAFE_DEST.match(text, m.end()):
            out.append(text[pos:m.start()] + "]\\(")
            pos = m.end()
    out.append(text[pos:])
    text = "".join(out)
    return _LINK_DEF.sub(
        lambda m: m.group(0) if _SAFE_DEST.match(text, text.index("]:", m.end()) + 2)
        else m.group(1) + "\\[",
        text,
    )


def _escape_tags_plain(text: str) -> str:
    text = _defuse_links(text)
    kept = [m.span() for m in _BARE_ANCHOR.finditer(text)]
    out: list[str] = []
    pos = 0
    for m in _TAG_START.finditer(text):
        out.append(text[pos:m.start()])
        inert = _TAG.match(text, m.start()) or any(a <= m.start() < b for a, b in kept)
        out.append("<" if inert else "&lt;")
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]$%=~|^#])")


def md_text(text: str) -> str:
    """Any text (a transcript quote, a title) as inert markdown inline text on one line."""
    flat = " ".join(text.split())
    flat = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", flat)


def _position(segments: Sequence[Segment], ms: int | None) -> int:
    """Where `ms` falls in the segments' text joined by single spaces: within its segment,
    at the fraction of the segment's time gone by."""
    pos = 0
    for s in segments:
        if ms is None or ms < s.start_ms:
            return pos
        if ms < s.end_ms:
            return pos + len(s.text) * (ms - s.start_ms) // max(s.end_ms - s.start_ms, 1)
        pos += len(s.text) + 1
    return max(pos - 1, 0)


@dataclass(frozen=True)
class Quote:
    """A piece of what was said, and whether it was cut before and after it ("…")."""

    body: str
    cut_before: bool = False
    cut_after: bool = False

    def __str__(self) -> str:
        return self.around(self.body)

    def around(self, body: str) -> str:
        """`body` (this quote's translation, say) marked where this quote was cut."""
        return ("… " if self.cut_before else "") + body + (" …" if self.cut_after else "")


def quote_text(segments: Sequence[Segment], ms: int | None, limit: int = QUOTE_CHARS) -> str:
    """`quote_of` marked "…" where cut."""
    return str(quote_of(segments, ms, limit))


def quote_of(segments: Sequence[Segment], ms: int | None, limit: int = QUOTE_CHARS) -> Quote:
    """The segments' text joined; when longer than `limit` characters, about `limit` of it
    from `ms` on (a claim is said at or after the time cited): from the start of the
    sentence `ms` falls in when that is at most half of `limit` before it, else from a
    quarter of `limit` before it (between words); to the end of the last sentence that ends
    in the quote's second half after `ms`, else between words. Whole sentences read
    better, and translate as the transcript's track translated them (the translation
    memory has them)."""
    text = " ".join(s.text for s in segments)
    if len(text) <= limit:
        return Quote(text)
    at = _position(segments, ms)
    starts = [0, *(m.end() for m in _SENTENCE_END.finditer(text, max(0, at - limit // 2), at))]
    lo = starts[-1] if at - starts[-1] <= limit // 2 else -1
    if lo < 0:
        lo = max(0, min(at - limit // 4, len(text) - limit))
        space = _SPACE.search(text, lo) if lo > 0 else None
        lo = space.end() if space is not None and space.end() < lo + limit else lo
    hi = lo + limit
    if hi < len(text):
        ends = [m.end() for m in _SENTENCE_END.finditer(text, max(at, lo + limit // 2), hi + 1)]
        spaces = [m.start() for m in _SPACE.finditer(text, lo, hi)]
        hi = ends[-1] if ends else spaces[-1] if spaces else hi
    return Quote(text[lo:hi].strip(), lo > 0, hi < len(text))


def check_quote(check: CitationCheck) -> str:
    """What a citation quotes, marked where cut (`check_quote_of`)."""
    return str(check_quote_of(check))


def check_quote_of(check: CitationCheck) -> Quote:
    """What a citation quotes: its context window (else its segment) around the time it
    resolved to, cut as `quote_of` cuts."""
    segs = check.context or ((check.segment,) if check.segment else ())
    return quote_of(segs, check.resolved_ms)
