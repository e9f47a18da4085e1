"""A note whose every field tries to inject HTML or links, and checks of what rendering emits.

Used by the escaping tests of both renderers and by the browser test.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from pipeline.model import CitationCheck, Note, NoteAlignment, Segment, TermCheck, TranslatedNote
from pipeline.notes import parse_note
from pipeline.render import CueFlag

PWN = "document.title='pwned'"
SCRIPT = f"<script>{PWN}</script>"
IMG = f'<img src=x onerror="{PWN}">'

HOSTILE_SOURCE = f"""---
title: "{SCRIPT}"
videoId: chIqmlJA2i0
---

A claim with {IMG} inside <a class="yt-timestamp" data-t="00:01:21" \
onclick="{PWN}">[00:01:21]</a>.

## {SCRIPT} [[x"><script>alert(1)</script> | label]]

*   [click](javascript:alert(1)) and <iframe src="javascript:alert(1)"></iframe> \
[v](https://www.youtube.com/watch?v=chIqmlJA2i0&x="><script>) \
[e](https://evil.example/"onmouseover="alert`1`) \
<a class="yt-timestamp" data-t="00:02:10">[00:02:10]</a>
*   `<b>code</b>` and **<svg onload=alert(1)>** {SCRIPT} <a class="yt-timestamp" \
data-t="00:02:15">[00:02:15]</a>

| a | b |
| - | - |
| {IMG} | <a class="yt-timestamp" data-t="00:03:00">[00:03:00]</a> |
"""

HOSTILE_QUOTE = f"</span></p>{SCRIPT}"
HOSTILE_QUOTE_PT = IMG
HOSTILE_REASON = "<b onmouseover=alert(1)>x</b>"


def hostile_note() -> Note:
    return parse_note(HOSTILE_SOURCE, Path(f'vault/ch"{SCRIPT}/"><img src=x onerror=alert(1)>.md'))


def hostile_translation(note: Note) -> TranslatedNote:
    return TranslatedNote(
        note=note, lang="pt", blocks=tuple(b.text for b in note.blocks), title=IMG,
        engine="bergamot", model=SCRIPT, glossary_hash="x",
        terms=(TermCheck(f"claim{SCRIPT}", (IMG,), 1, "missing"),
               TermCheck("claim", (IMG,), 1, "missing")),
        failures=(f"block 3: {SCRIPT}",),
    )


def hostile_alignment(note: Note) -> NoteAlignment:
    seg = Segment(80_000, 84_000, HOSTILE_QUOTE, "ru")
    checks = tuple(
        CitationCheck(citation=c, claim_index=0, status="suspect", resolved_ms=c.ms,
                      suggested_ms=60_000, score=0.1, segment=seg, context=(seg,),
                      reason=HOSTILE_REASON)
        for c in note.citations
    )
    return NoteAlignment(note.path, note.video_id, 600_000, f"ru{SCRIPT}", checks)


HOSTILE_QUOTES_PT = {0: HOSTILE_QUOTE_PT, 1: SCRIPT}
HOSTILE_FLAGS = (CueFlag(80_000, 81_000, SCRIPT, f"pt{IMG}", rule=IMG, detail=SCRIPT),)


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text of script elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        (self.scripts if self._in_script else self.text).append(data)


YOUTUBE = re.compile(r"https://www\.youtube\.com/watch\?v=[A-Za-z0-9_-]{11}(&t=\d+s)?")
PAGE_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "main", "footer", "div",
    "span", "section", "p", "a", "h1", "h2", "label", "input", "strong", "code", "pre", "em",
    "mark", "small", "blockquote", "table", "thead", "tbody", "tr", "th", "td", "ul", "li",
    "br", "hr", "sup", "sub", "script",
}


def test_hostile_sample_parses() -> None:
    note = hostile_note()
    assert note.title == SCRIPT
    assert len(note.citations) == 4
