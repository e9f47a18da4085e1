"""What of a note is never sent to an engine: the vault's metadata lines and blocks too
long to send (`plan_block`), and units kept as written (`kept_units`): text in another
script than the source language's, web page titles the language model finds unlikely in
the source language, one-word names."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..glossary.lines import VaultLines
from ..langid import likelihood, script_counts
from ..model import Block, Note
from .markup.segment import Template, Unit, segment_block, segment_text


def kept_units(notes: Sequence[Note], plans: Sequence[Sequence[Template]], source: str
               ) -> set[Unit]:
    """The units of `plans` (each note's templates) kept as written: not in `source`'s
    script (a Russian video title in an English note), a web page's title less likely than
    `QUOTED_TITLE` in `source` (a Turkish one), or one word naming something."""
    names = {n for note in notes for n in (note.slug.casefold(), note.channel.casefold())}
    quoted = {u for plan in plans for t in plan for u in web_titles(t)}
    units = {u for plan in plans for t in plan for u in t.units}
    return {u for u in units
            if not in_language(u.plain, source) or is_name(u.plain, names)
            or (u in quoted and likelihood(u.plain, source) < QUOTED_TITLE)}


def plan_block(block: Block, limit: int, lines: VaultLines) -> Template:
    """The block's template: a block over `limit` characters and the vault's metadata
    lines (`lines`: `From: [[channel]]`...) verbatim, the rest cut into units."""
    if len(block.text) > limit:
        return Template((block.text,))
    if block.kind in ("front_matter", "code", "blank", "rule"):
        return segment_block(block)
    parts: list[str | Unit] = []
    for text, kept in lines.runs(block.text):
        parts.extend((text,) if kept else segment_text(text, block.kind).parts)
    return Template(tuple(parts))


_SCRIPTS = {"ru": "CYRILLIC", "uk": "CYRILLIC", "bg": "CYRILLIC", "sr": "CYRILLIC",
            "el": "GREEK", "ar": "ARABIC", "fa": "ARABIC", "he": "HEBREW", "hi": "DEVANAGARI",
            "zh": "CJK", "ja": "CJK", "ko": "HANGUL"}


def in_language(text: str, lang: str) -> bool:
    """Whether most letters of `text` are in the script of `lang` (a Russian video title
    quoted in an English note is not sent to an en->pt engine: it is kept as written)."""
    want = _SCRIPTS.get(lang, "LATIN")
    letters = script_counts(text)
    total = letters.total()
    if not total:
        return True
    if want == "CJK":
        return sum(letters[s] for s in ("CJK", "HIRAGANA", "KATAKANA")) * 2 >= total
    return letters[want] * 2 >= total


QUOTED_TITLE = 0.05  # a web page's title less likely than this in the source: kept
_WEB = re.compile(r"\]\((?:https?://|www\.)")


def web_titles(template: Template) -> list[Unit]:
    """The units that are a markdown link's whole text, the link to a web page: a page's
    title (`### [Kuran ne zaman yazıldı?](https://www.youtube.com/...)`)."""
    parts = template.parts
    return [p for i, p in enumerate(parts)
            if isinstance(p, Unit) and 0 < i < len(parts) - 1
            and isinstance(parts[i - 1], str) and str(parts[i - 1]).endswith("[")
            and isinstance(parts[i + 1], str) and _WEB.match(str(parts[i + 1])) is not None]


_HANDLE = re.compile(r"(?=\S*[_\d])(?=\S*[^\W\d_])\S+")  # bonus_professor, 3blue1brown


def is_name(text: str, names: set[str]) -> bool:
    """Whether `text` is one word naming something, kept as written: a handle or file name
    (`bonus_professor`, `3blue1brown`) or a note's own file name or folder (`nisanyans`, the
    title of a channel's index page). Engines make sentences of them: "bonus_professor (",
    "O que fazer em inteligencialtda"."""
    word = text.strip()
    return (bool(word) and not any(ch.isspace() for ch in word)
            and (_HANDLE.fullmatch(word) is not None or word.casefold() in names))
