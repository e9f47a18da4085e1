"""A note block as safe HTML: the little markdown notes use, every character escaped.

Not a markdown engine: headings, list items, quotes/callouts, tables, code, bold, code
spans, wiki-links, markdown links and timestamp anchors, which is what the notes contain.
Text from the note only ever reaches the page through `html.escape`; the only tags
emitted are this module's own, and the only links are video links built by `video_link`
(the caller's, and a markdown link's to a YouTube video, rebuilt from its id; any other
markdown link is its text, its address in the tooltip).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from ..model import Block, Citation, TermCheck
from ..notes import WIKILINK
from .common import split_anchors, video_link

# Renders one citation (the caller knows statuses and the video): citation -> HTML.
CiteRenderer = Callable[[Citation], str]

_INLINE = re.compile(
    r"(?P<wl>\[\[[^\[\]\n]*\]\])"
    r"|\[(?P<mt>[^\[\]\n]+)\]\((?P<mu>[^()\s]+)\)"
    r"|(?P<code>(?P<ticks>`+)(?P<ct>.+?)(?<!`)(?P=ticks)(?!`))"
    r"|\*\*(?=\S)(?P<bold>.+?)(?<=\S)\*\*"
    r"|<(?P<ss>sup|sub)>(?P<sst>[^<>\n]{0,80})</(?P=ss)>"
    r"|(?P<br><br\s*/?>)",
    re.I | re.S,
)
_WATCH = re.compile(r"https?://(?:www\.|m\.)?(?:youtube\.com/watch\?v=|youtu\.be/)"
                    r"([A-Za-z0-9_-]{11})(?![A-Za-z0-9_-])")
_HEADING = re.compile(r" {0,3}(#{1,6})[ \t]*")
_LIST = re.compile(r"([ \t]*)((?:[*+-])|\d{1,9}[.)])(?:[ \t]+|$)")
_CALLOUT = re.compile(r"\[!(?P<kind>[A-Za-z-]+)\][+-]?[ \t]*(?P<title>.*)")
_CELL = re.compile(r"(?:\[\[[^\]]*\]\]|<a\b[^>]*>[^<]*</a>|[^|])+")
_SEPARATOR = re.compile(r"\|?[\s:|-]+\|?")


@dataclass(frozen=True)
class TermMatcher:
    """Finds glossary terms in text: English terms in the source, renderings in the target."""

    pattern: re.Pattern[str] | None
    lookup: dict[str, TermCheck]

    @classmethod
    def source(cls, terms: Sequence[TermCheck]) -> TermMatcher:
        return cls._build({t.term: t for t in terms if t.term.strip()}, suffix=r"(?!\w)")

    @classmethod
    def target(cls, terms: Sequence[TermCheck]) -> TermMatcher:
        # A rendering matches as a word start (inflected endings allowed), as the checker does.
        return cls._build({e: t for t in terms for e in t.expected if e.strip()}, suffix=r"\w*")

    @classmethod
    def _build(cls, lookup: dict[str, TermCheck], suffix: str) -> TermMatcher:
        if not lookup:
            return cls(None, {})
        alts = "|".join(re.escape(k) for k in sorted(lookup, key=len, reverse=True))
        pattern = re.compile(rf"(?<!\w)(?:{alts}){suffix}", re.I)
        return cls(pattern, {k.casefold(): v for k, v in lookup.items()})

    def find(self, text: str) -> list[TermCheck]:
        if self.pattern is None:
            return []
        return [t for m in self.pattern.finditer(text) if (t := self._term(m.group(0)))]

    def _term(self, found: str) -> TermCheck | None:
        key = found.casefold()
        while key and key not in self.lookup:  # an inflected target form: trim the ending
            key = key[:-1]
        return self.lookup.get(key)

    def html(self, text: str, missing: frozenset[str] = frozenset()) -> str:
        """`text` escaped, each term in a `<mark>`; terms in `missing` marked as missing."""
        if self.pattern is None:
            return escape(text)
        out, pos = [], 0
        for m in self.pattern.finditer(text):
            term = self._term(m.group(0))
            if term is None:
                continue
            cls = "term missing" if term.term in missing else "term"
            tip = f"glossary: {term.term} → {' | '.join(term.expected)}"
            if term.term in missing:
                tip += " (missing from the translation)"
            out.append(escape(text[pos:m.start()]))
            out.append(f'<mark class="{cls}" title="{escape(tip)}">{escape(m.group(0))}</mark>')
            pos = m.end()
        out.append(escape(text[pos:]))
        return "".join(out)


class Inline:
    """Inline rendering of one block's text, its pieces in document order.

    Anchors pair with the block's citations in order: each piece rendered consumes the
    citations its anchors used, so that two anchors with the same time keep their own
    statuses.
    """

    def __init__(self, citations: Sequence[Citation], cite: CiteRenderer, terms: TermMatcher,
                 missing: frozenset[str] = frozenset()) -> None:
        self.citations = list(citations)
        self.cite = cite
        self.terms = terms
        self.missing = missing
        self._next = 0

    def render(self, text: str) -> str:
        out = []
        for before, cit, raw in split_anchors(text, self.citations[self._next:]):
            out.append(self._spans(before))
            if cit is not None:
                out.append(self.cite(cit))
                self._next = self.citations.index(cit, self._next) + 1
            elif raw:
                out.append(f'<span class="anchor-raw">{escape(raw)}</span>')
        return "".join(out)

    def _spans(self, text: str) -> str:
        out, pos = [], 0
        for m in _INLINE.finditer(text):
            out.append(self._text(text[pos:m.start()]))
            pos = m.end()
            if m.group("wl"):
                wl = WIKILINK.fullmatch(m.group("wl"))
                if wl is None:
                    out.append(self._text(m.group("wl")))
                    continue
                target = wl.group("target").strip()
                label = (wl.group("label") or target).strip()
                out.append(f'<span class="wikilink" title="{escape(target)}">'
                           f"{self._text(label)}</span>")
            elif m.group("mt"):  # a markdown link: only a video's is a link, built anew
                watch = _WATCH.match(m.group("mu"))
                url = video_link(watch.group(1)) if watch else None
                label = self._spans(m.group("mt"))
                out.append(f'<a class="mdlink" href="{escape(url)}" target="_blank" '
                           f'rel="noopener noreferrer">{label}</a>' if url else
                           f'<span class="mdlink" title="{escape(m.group("mu"))}">{label}</span>')
            elif m.group("code"):
                out.append(f"<code>{escape(m.group('ct'))}</code>")
            elif m.group("bold"):
                out.append(f"<strong>{self._spans(m.group('bold'))}</strong>")
            elif m.group("ss"):
                tag = m.group("ss").lower()
                out.append(f"<{tag}>{escape(m.group('sst'))}</{tag}>")
            else:
                out.append("<br>")
        out.append(self._text(text[pos:]))
        return "".join(out)

    def _text(self, text: str) -> str:
        return self.terms.html(text, self.missing)


def block_html(block: Block, text: str, inline: Inline) -> str:
    """The block's text (source or translation) as HTML, shaped by the block's kind."""
    body = text.rstrip("\r\n")
    kind = block.kind
    if kind == "code":
        return f'<pre class="md-code"><code>{escape(body)}</code></pre>'
    if kind == "rule":
        return "<hr>"
    if kind == "heading":
        m = _HEADING.match(body)
        level = len(m.group(1)) if m else 2
        content = body[m.end():] if m else body
        return f'<div class="md-h md-h{level}">{inline.render(content.strip())}</div>'
    if kind == "list_item":
        m = _LIST.match(body)
        if m is None:
            return f'<div class="md-p">{inline.render(body)}</div>'
        depth = min(len(m.group(1).expandtabs(4)) // 2, 8)
        marker = m.group(2) if m.group(2)[0].isdigit() else "•"
        content = " ".join(line.strip() for line in body[m.end():].splitlines())
        return (f'<div class="md-li" style="--depth:{depth}"><span class="md-mark">'
                f"{escape(marker)}</span><span>{inline.render(content)}</span></div>")
    if kind == "quote":
        return _quote_html(body, inline)
    if kind == "table":
        return _table_html(body, inline)
    lines = [inline.render(line.strip()) for line in body.splitlines()]
    return f'<div class="md-p">{"<br>".join(lines)}</div>'


def _quote_html(body: str, inline: Inline) -> str:
    lines = [re.sub(r"^[ \t]*>[ \t]?", "", line) for line in body.splitlines()]
    head = ""
    if lines and (m := _CALLOUT.match(lines[0])):
        title = m.group("title").strip()
        head = (f'<div class="md-callout-title"><span class="md-callout-kind">'
                f'{escape(m.group("kind").upper())}</span> {inline.render(title)}</div>')
        lines = lines[1:]
    text = "<br>".join(inline.render(line.strip()) for line in lines)
    return f'<blockquote class="md-quote">{head}{text}</blockquote>'


def _table_html(body: str, inline: Inline) -> str:
    rows = []
    for i, line in enumerate(body.splitlines()):
        if i == 1 and _SEPARATOR.fullmatch(line.strip()):
            continue
        inner = line.strip()
        inner = inner[1:] if inner.startswith("|") else inner
        inner = inner[:-1] if inner.endswith("|") else inner
        tag = "th" if i == 0 else "td"
        cells = "".join(f"<{tag}>{inline.render(c.strip())}</{tag}>" for c in _CELL.findall(inner))
        rows.append(f"<tr>{cells}</tr>")
    return f'<div class="md-table"><table>{"".join(rows)}</table></div>'
