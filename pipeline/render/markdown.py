"""Markdown outputs: the bilingual note and the translated note (Obsidian-ready).

Pure functions, text in and text out. Note and transcript text never becomes live HTML:
tags other than `<br>`, `<sup>`, `<sub>` and well-formed timestamp anchors are shown as
text, transcript quotes are escaped as inert inline text, and every link is built here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import yaml

from .. import __version__
from ..model import Block, Citation, Note, NoteAlignment, TranslatedNote
from ..timecode import hms
from .common import (
    LABEL,
    MARK,
    UNTRANSLATED_QUOTES,
    UNTRANSLATED_TRACK,
    CiteView,
    canonical_anchor,
    check_blocks,
    checks_by_index,
    cite_view,
    escape_tags,
    md_text,
    split_anchors,
    status_counts,
    video_link,
)

_LIST_MARK = re.compile(r"[ \t]*(?:[*+-]|\d{1,9}[.)])(?:[ \t]+|$)")
_HEADING_MARK = re.compile(r" {0,3}#{1,6}[ \t]*")
_TRAILING_NL = re.compile(r"(?:\r?\n)*\Z")


# --------------------------------------------------------------------------- front matter


PREFIX = "interlinear_"  # the provenance properties: `interlinear_engine`, ...
_SAID_ELSEWHERE = {"interlinear", "version", "lang", "note", "signature", "engine", "model",
                   "glossary"}
_LINK_UNSAFE = re.compile(r"[\[\]|#^\n]")


def provenance_fields(translated: TranslatedNote, provenance: Mapping[str, object]
                      ) -> dict[str, object]:
    """What produced the output, as flat properties with short values (Obsidian's
    Properties panel shows text, numbers and lists, not nested mappings):
    `interlinear_version`, `interlinear_engine` and `interlinear_model` (this
    translation's), `interlinear_glossary` (its hash, first 16 hex digits), then the
    run's other provenance fields (`interlinear_alignment`: the aligner's signature, its
    settings are under `aligner` in manifest.json), and `interlinear_signature` (the
    output's signature, as manifest.json lists it). What is not translated says why in
    at most 72 characters (`short_reason`; the note's header has the whole reason). A
    value that is not a scalar is written as its JSON text."""
    version = provenance.get("version", provenance.get("interlinear", __version__))
    fields: dict[str, object] = {
        "version": version, "engine": translated.engine, "model": translated.model,
        "glossary": translated.glossary_hash[:16]}
    fields.update((k, short_reason(v) if k in (UNTRANSLATED_QUOTES, UNTRANSLATED_TRACK) else v)
                  for k, v in provenance.items() if k not in _SAID_ELSEWHERE)
    if translated.failures:
        fields["untranslated_segments"] = len(translated.failures)
    if provenance.get("signature") is not None:
        fields["signature"] = provenance["signature"]
    return {PREFIX + k: _scalar(v) for k, v in fields.items()}


def short_reason(reason: object, limit: int = 72) -> object:
    """A reason as a short property value: cut at a word to at most `limit` characters
    (the whole reason is in the note's header)."""
    if not isinstance(reason, str) or len(reason) <= limit:
        return reason
    cut = reason[:limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:(")
    return f"{cut}…"


def _scalar(value: object) -> object:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return json.dumps(_plain(value), ensure_ascii=False, separators=(",", ":"), default=str)


def source_link(note: Note, provenance: Mapping[str, object]) -> str | None:
    """A wiki-link to the source note, as Obsidian resolves it from the vault's root: the
    provenance's `note` (its path in the vault, without `.md`), else CHANNEL/SLUG. None
    when the path holds a character a wiki-link cannot (`[ ] | # ^`)."""
    path = provenance.get("note")
    if not isinstance(path, str) or "/" not in path or path.startswith(("/", "../")):
        path = f"{note.channel}/{note.slug}" if note.channel else note.slug
    return None if _LINK_UNSAFE.search(path) else f"[[{path}]]"


def aliases(note: Note, title: str) -> list[str]:
    """The translated title, then the note's own aliases (a list or one text)."""
    own = note.meta.get("aliases")
    found = [own] if isinstance(own, str) else own if isinstance(own, list) else []
    names = [title] + [str(a) for a in found if a is not None and str(a).strip()]
    return list(dict.fromkeys(n for n in names if n.strip()))


class _Dumper(yaml.SafeDumper):
    """The safe dumper, writing a wiki-link in double quotes as Obsidian does."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if value.startswith("[[") and "\n" not in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def front_matter(fields: Mapping[str, object]) -> str:
    """A YAML front matter block (safe dumper: only plain data, any text quoted as needed)."""
    text = yaml.dump(_plain(dict(fields)), Dumper=_Dumper, allow_unicode=True,
                     sort_keys=False, default_flow_style=False, width=1000)
    return f"---\n{text}---\n"


def _plain(value: object) -> object:
    """Values YAML's safe dumper writes; anything else as its text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    import datetime

    if isinstance(value, datetime.date):
        return value
    return str(value)


def _meta_fields(note: Note, fields: dict[str, object]) -> dict[str, object]:
    """`fields` that have a value, then the original front matter's other keys (its own
    `source` as `original_source`; its `aliases` are in `aliases`)."""
    fields = {k: v for k, v in fields.items() if v is not None}
    for key, value in note.meta.items():
        if key == "source" and "source" in fields:
            key = "original_source"
        if key not in fields and key not in ("interlinear", "videoId", "title", "aliases") \
                and not key.startswith(PREFIX):
            fields[key] = value
    return fields


# --------------------------------------------------------------------------- translated note


@dataclass(frozen=True)
class Region:
    """Where a block's translation sits in an output (character offsets), so that a
    reviewer's edit there can be read back (`pipeline.review.edits`)."""

    block: int
    start: int
    end: int


def translated_note_regions(translated: TranslatedNote, provenance: Mapping[str, object]
                            ) -> tuple[str, tuple[Region, ...]]:
    """The translated note and where each block's translation sits in it."""
    note = translated.note
    check_blocks(note, translated.blocks)
    title = translated.title.strip() or note.title
    fields = _meta_fields(note, {
        "title": title,
        "aliases": aliases(note, title),
        "original_title": note.title,
        "source": source_link(note, provenance),
        "videoId": note.video_id,
        "lang": translated.lang,
    })
    fields.update(provenance_fields(translated, provenance))
    parts = [front_matter(fields)]
    if note.blocks and note.blocks[0].kind != "front_matter":
        parts.append("\n")
    regions = []
    at = sum(len(p) for p in parts)
    for i, (block, text) in enumerate(zip(note.blocks, translated.blocks, strict=True)):
        if block.kind == "front_matter":
            continue
        part = _same_ending(_translated_block(block, text), block.text)
        if block.kind not in ("blank", "code", "rule"):
            regions.append(Region(i, at, at + len(_TRAILING_NL.sub("", part))))
        parts.append(part)
        at += len(part)
    return "".join(parts), tuple(regions)


def translated_note(translated: TranslatedNote, provenance: Mapping[str, object]) -> str:
    """The note in the target language: same blocks, anchors, link targets and headings.

    The front matter is rebuilt, flat (as Obsidian's Properties panel shows it): the
    translated `title`, `aliases` (the translated title, then the note's own),
    `original_title`, `source` (a wiki-link to the source note), `videoId`, `lang`, the
    original's other keys, and the provenance (`provenance_fields`). A block the
    translation left empty keeps its source text.
    """
    return translated_note_regions(translated, provenance)[0]


def translated_block_text(translated: TranslatedNote, index: int, edited: str) -> str:
    """A block's translation as a reviewer left it in the translated note (`edited`: the
    block's text there, without its trailing newlines), in the form of
    `TranslatedNote.blocks` (anchors are read back as they are written)."""
    ending = _TRAILING_NL.search(translated.note.blocks[index].text)
    return edited + (ending.group(0) if ending else "")


def _translated_block(block: Block, text: str) -> str:
    if block.kind == "blank" or not text.strip():
        text = block.text
    if block.kind == "code":
        return text
    return "".join(
        escape_tags(before) + (canonical_anchor(raw) if raw else "")
        for before, _cit, raw in split_anchors(text, block.citations)
    )


def _same_ending(text: str, source: str) -> str:
    """`text` ending in exactly the newlines `source` ends in (blocks stay apart)."""
    ending = _TRAILING_NL.search(source)
    return _TRAILING_NL.sub("", text) + (ending.group(0) if ending else "")


# --------------------------------------------------------------------------- bilingual note


def bilingual_note_regions(
    note: Note,
    translated: TranslatedNote,
    alignment: NoteAlignment | None,
    quote_translations: Mapping[int, str],
    provenance: Mapping[str, object],
) -> tuple[str, tuple[Region, ...]]:
    """The bilingual note and where each block's translation sits in it."""
    check_blocks(note, translated.blocks)
    ctx = _Ctx(note, translated.lang.upper(), alignment, quote_translations, provenance)
    title = translated.title.strip() or note.title
    fields = _meta_fields(note, {
        "title": note.title,
        "translated_title": title,
        "aliases": aliases(note, title),
        "source": source_link(note, provenance),
        "videoId": note.video_id,
        "lang": translated.lang,
        "transcript_lang": alignment.transcript_language if alignment else None,
    })
    fields.update(provenance_fields(translated, provenance))
    units: list[tuple[str, str, int]] = [("header", _header(ctx, translated), -1)]
    for i, (block, text) in enumerate(zip(note.blocks, translated.blocks, strict=True)):
        if block.kind in ("front_matter", "blank"):
            continue
        units.append((block.kind, _unit(ctx, block, text), i))
    head = front_matter(fields) + "\n"
    body, regions = "", []
    for n, (kind, unit, i) in enumerate(units):
        if n:
            body += "\n" if kind == "list_item" and units[n - 1][0] == "list_item" else "\n\n"
        if i >= 0:
            span = _translation_span(ctx, note.blocks[i], unit)
            if span is not None:
                at = len(head) + len(body)
                regions.append(Region(i, at + span[0], at + span[1]))
        body += unit
    return head + body + "\n", tuple(regions)


_MARKER = "\ue000"  # a private-use character: where a block's translation goes


def _translation_span(ctx: _Ctx, block: Block, unit: str) -> tuple[int, int] | None:
    """Where the translation sits in a block's unit: the unit rendered with a marker for a
    translation gives what comes before and after it."""
    if block.kind in ("code", "rule"):
        return None
    marked = _unit(ctx, block, _MARKER)
    at = marked.find(_MARKER)
    before, after = marked[:at], marked[at + 1:]
    if at < 0 or not unit.startswith(before) or not unit.endswith(after) or (
            len(before) + len(after) > len(unit)):
        return None
    return len(before), len(unit) - len(after)


def bilingual_note(
    note: Note,
    translated: TranslatedNote,
    alignment: NoteAlignment | None,
    quote_translations: Mapping[int, str],
    provenance: Mapping[str, object],
) -> str:
    """Each block of the note followed by its translation, citations as video links.

    Paragraphs, tables and quotes get a `> [!translation] LANG` callout; a heading keeps its
    line and gets a one-line callout with the translated heading; a list item gets its
    translation in a callout nested in the item (the list stays one list). Each block's
    citations are listed after it in a folded `> [!quote]-` callout: the transcript's words
    at that time, their translation, and the citation's status.
    """
    return bilingual_note_regions(note, translated, alignment, quote_translations,
                                  provenance)[0]


def bilingual_block_text(
    note: Note, translated: TranslatedNote, alignment: NoteAlignment | None,
    quote_translations: Mapping[int, str], index: int, edited: str,
) -> str | None:
    """A block's translation as a reviewer left it in the bilingual note's callout
    (`edited`: the text of its region), in the form of `TranslatedNote.blocks`: callout
    marks removed, citation links back to their anchors. None when it cannot be read back
    (a citation link changed or removed, a line out of the callout, a title on two lines)."""
    ctx = _Ctx(note, translated.lang.upper(), alignment, quote_translations)
    block, old = note.blocks[index], translated.blocks[index]
    old = old if old.strip() else block.text
    lines = edited.split("\n")
    if block.kind in ("heading", "list_item"):
        if len(lines) != 1:
            return None
    elif any(not line.startswith(">") for line in lines[1:]):
        return None
    text = "\n".join([lines[0], *(line[2:] if line.startswith("> ") else line[1:]
                                  for line in lines[1:])])
    pos, out = 0, []
    for _before, cit, raw in split_anchors(old, block.citations):
        if cit is None:
            continue
        link = _link(ctx, cite_view(cit, ctx.checks))
        at = text.find(link, pos)
        if at < 0:
            return None
        out.append(text[pos:at] + canonical_anchor(raw))
        pos = at + len(link)
    text = "".join(out) + text[pos:]
    ending = _TRAILING_NL.search(old)
    end = ending.group(0) if ending else ""
    first = old.strip("\r\n").splitlines()[0] if old.strip() else ""
    mark = (_HEADING_MARK if block.kind == "heading" else _LIST_MARK).match(first)
    if block.kind in ("heading", "list_item"):
        text = (mark.group(0) if mark else "") + text
    return text + end


class _Ctx:
    def __init__(self, note: Note, lang: str, alignment: NoteAlignment | None,
                 quote_translations: Mapping[int, str],
                 provenance: Mapping[str, object] | None = None) -> None:
        self.note = note
        prov = provenance or {}
        self.quotes_untranslated = str(prov.get(UNTRANSLATED_QUOTES) or "")
        self.track_untranslated = str(prov.get(UNTRANSLATED_TRACK) or "")
        self.lang = md_text(lang)
        self.checks = checks_by_index(alignment)
        quote_lang = alignment.transcript_language if alignment else None
        self.quote_lang = md_text((quote_lang or "").upper())
        self.quote_translations = quote_translations
        self.counts = status_counts(alignment) if alignment else None


def _header(ctx: _Ctx, translated: TranslatedNote) -> str:
    url = video_link(ctx.note.video_id)
    bits = [f"Interlinear · {ctx.lang}"]
    if url:
        bits.append(f"[Watch on YouTube]({url})")
    if ctx.counts is not None:
        shown = [f"{n} {MARK[s]} {LABEL[s]}" for s, n in ctx.counts.items() if n]
        if shown:
            bits.append("citations: " + ", ".join(shown))
    lines = [f"> [!info] {md_text(translated.title.strip() or ctx.note.title)}",
             "> " + " · ".join(bits)]
    if translated.failures:
        lines.append(f"> {len(translated.failures)} segment(s) could not be translated "
                     "and are kept in the original language.")
    if ctx.quotes_untranslated:
        lines.append(f"> Transcript quotes ({ctx.quote_lang or '?'}) not in {ctx.lang}: "
                     f"{md_text(ctx.quotes_untranslated)}")
    if ctx.track_untranslated:
        lines.append(f"> No {ctx.lang} transcript track (subtitles): "
                     f"{md_text(ctx.track_untranslated)}")
    return "\n".join(lines)


def _link(ctx: _Ctx, view: CiteView, marked: bool = True) -> str:
    """A citation as a markdown link to the video at the time it is taken to mean."""
    written = view.citation.written
    mark = f" {MARK[view.status]}" if view.problem and marked else ""
    url = None if view.link_ms is None else video_link(ctx.note.video_id, view.link_ms)
    if url is None:
        return f"{md_text(f'[{written}]')}{mark}"
    title = f' "taken as {hms(view.link_ms or 0)}"' if view.resolved_differs else ""
    return f"[{md_text(written)}{mark}]({url}{title})"


def _inline(ctx: _Ctx, text: str, citations: Sequence[Citation]) -> str:
    """Block text with its anchors as links and any other HTML shown as text."""
    out = []
    for before, cit, raw in split_anchors(text, citations):
        out.append(escape_tags(before))
        if cit is not None:
            out.append(_link(ctx, cite_view(cit, ctx.checks)))
        elif raw:
            out.append(md_text(canonical_anchor(raw)))
    return "".join(out)


def _quote_lines(ctx: _Ctx, block: Block) -> list[str]:
    """One list entry per citation of the block: time, status, quote, its translation."""
    lines = []
    claims = {c.index: c.text for c in ctx.note.claims}
    for cit in block.citations:
        view = cite_view(cit, ctx.checks)
        mark = MARK.get(view.status, "·")
        check = view.check
        label = LABEL[view.status] + (f" ({check.decision})" if check and check.decision
                                      else "")
        entry = f"- {_link(ctx, view, marked=False)} {mark} {label}"
        if view.quote:
            entry += f" — «{md_text(view.quote)}»"
        if check is not None and check.reason and view.status != "ok" or (
                check is not None and check.decision):
            entry += f" · *{md_text(check.reason)}*"
        if check is not None and check.status == "suspect" and check.suggested_ms is not None:
            url = video_link(ctx.note.video_id, check.suggested_ms)
            when = hms(check.suggested_ms)
            entry += f" · supported at [{when}]({url})" if url else f" · supported at {when}"
            said = view.said
            if said:
                entry += f" «{md_text(said)}»"
        lines.append(entry)
        translation = ctx.quote_translations.get(cit.index, "").strip()
        if view.quote and translation and ctx.quote_lang != ctx.lang:
            lines.append(f"  *{ctx.lang}: «{md_text(translation)}»*")
        elif view.quote and ctx.quote_lang != ctx.lang and ctx.quotes_untranslated:
            lines.append(f"  *{ctx.lang}: not translated (see the note's header)*")
        if check is not None:
            from ..review.decisions import checkbox_lines  # review reads what render writes

            lines += ["  " + box for box in
                      checkbox_lines(check, claims.get(check.claim_index, ""))]
    return lines


def _quote_title(ctx: _Ctx, block: Block) -> str:
    views = [cite_view(c, ctx.checks) for c in block.citations]
    n = len(views)
    title = f"Transcript{f' ({ctx.quote_lang})' if ctx.quote_lang else ''}"
    title += f" · {n} citation{'s' if n != 1 else ''}"
    problems: dict[str, int] = {}
    for v in views:
        if v.problem:
            problems[v.status] = problems.get(v.status, 0) + 1
    for status, k in problems.items():
        title += f" · {MARK[status]} {k} {LABEL[status]}"
    return title


def _callout(kind: str, title: str, body: Sequence[str], fold: str = "") -> list[str]:
    head = f"> [!{kind}]{fold} {title}".rstrip()
    return [head] + [f"> {line}".rstrip() for line in body]


def _unit(ctx: _Ctx, block: Block, text: str) -> str:
    """The block, its translation, and its citations' quotes, as markdown lines."""
    source = _inline(ctx, block.text, block.citations).rstrip("\r\n")
    if block.kind in ("code", "rule"):
        return block.text.rstrip("\r\n")
    translation = _inline(ctx, text if text.strip() else block.text,
                          block.citations).rstrip("\r\n")
    quotes = _quote_lines(ctx, block)
    if block.kind == "heading":
        title = _HEADING_MARK.sub("", translation.strip().splitlines()[0], count=1)
        lines = _callout("translation", title, quotes, "-" if quotes else "")
        return source + "\n" + "\n".join(lines)
    if block.kind == "list_item":
        first = block.text.splitlines()[0]
        m = _LIST_MARK.match(first)
        indent = " " * (len(m.group(0)) if m else 4)
        title = " ".join(_LIST_MARK.sub("", translation.strip(), count=1).split())
        lines = _callout("translation", title, quotes, "-" if quotes else "")
        return source + "\n" + "\n".join(indent + line for line in lines)
    parts = [source, "\n".join(_callout("translation", ctx.lang, translation.splitlines()))]
    if quotes:
        parts.append("\n".join(_callout("quote", _quote_title(ctx, block), quotes, "-")))
    return "\n\n".join(parts)
