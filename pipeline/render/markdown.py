"""Markdown outputs: the bilingual note and the translated note (Obsidian-ready).

Pure functions, text in and text out. Note and transcript text never becomes live HTML:
tags other than `<br>`, `<sup>`, `<sub>` and well-formed timestamp anchors are shown as
text, transcript quotes are escaped as inert inline text, and every link is built here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import yaml

from .. import __version__
from ..model import Block, Citation, Note, NoteAlignment, TranslatedNote
from ..review.decisions import checkbox_lines
from ..timecode import hms
from .common import (
    LABEL,
    MARK,
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


def provenance_block(translated: TranslatedNote, provenance: Mapping[str, object]) -> dict:
    """The `interlinear:` signature: the run's provenance, this translation's engine."""
    version = provenance.get("version", provenance.get("interlinear", __version__))
    sig: dict[str, object] = {"version": version}
    # said once: the version (also under "interlinear"), the language (the note's own
    # `lang`), the glossary (the translation's hash, under "glossary_hash")
    same = {"version", "interlinear", "lang"}
    if provenance.get("glossary") == translated.glossary_hash:
        same.add("glossary")
    sig.update({k: v for k, v in provenance.items() if k not in same})
    sig.update(engine=translated.engine, model=translated.model,
               glossary_hash=translated.glossary_hash)
    if translated.failures:
        sig["untranslated_segments"] = len(translated.failures)
    return sig


def front_matter(fields: Mapping[str, object]) -> str:
    """A YAML front matter block (safe dumper: only plain data, any text quoted as needed)."""
    text = yaml.safe_dump(_plain(dict(fields)), allow_unicode=True, sort_keys=False,
                          default_flow_style=False, width=1000)
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
    """`fields` that have a value, then the original front matter's other keys."""
    fields = {k: v for k, v in fields.items() if v is not None}
    for key, value in note.meta.items():
        if key not in fields and key not in ("interlinear", "videoId", "title"):
            fields[key] = value
    return fields


# --------------------------------------------------------------------------- translated note


def translated_note(translated: TranslatedNote, provenance: Mapping[str, object]) -> str:
    """The note in the target language: same blocks, anchors, link targets and headings.

    The front matter is rebuilt: translated `title`, `original_title`, `videoId`, `lang`,
    the original's other keys, and the `interlinear:` provenance signature. A block the
    translation left empty keeps its source text.
    """
    note = translated.note
    check_blocks(note, translated.blocks)
    fields = _meta_fields(note, {
        "title": translated.title.strip() or note.title,
        "original_title": note.title,
        "videoId": note.video_id,
        "lang": translated.lang,
    })
    fields["interlinear"] = provenance_block(translated, provenance)
    parts = [front_matter(fields)]
    if note.blocks and note.blocks[0].kind != "front_matter":
        parts.append("\n")
    for block, text in zip(note.blocks, translated.blocks, strict=True):
        if block.kind == "front_matter":
            continue
        parts.append(_same_ending(_translated_block(block, text), block.text))
    return "".join(parts)


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
    check_blocks(note, translated.blocks)
    ctx = _Ctx(note, translated.lang.upper(), alignment, quote_translations)
    fields = _meta_fields(note, {
        "title": note.title,
        "translated_title": translated.title.strip() or note.title,
        "videoId": note.video_id,
        "lang": translated.lang,
        "transcript_lang": alignment.transcript_language if alignment else None,
    })
    fields["interlinear"] = provenance_block(translated, provenance)
    units: list[tuple[str, str]] = [("header", _header(ctx, translated))]
    for block, text in zip(note.blocks, translated.blocks, strict=True):
        if block.kind in ("front_matter", "blank"):
            continue
        units.append((block.kind, _unit(ctx, block, text)))
    body = ""
    for i, (kind, unit) in enumerate(units):
        if i:
            body += "\n" if kind == "list_item" and units[i - 1][0] == "list_item" else "\n\n"
        body += unit
    return front_matter(fields) + "\n" + body + "\n"


class _Ctx:
    def __init__(self, note: Note, lang: str, alignment: NoteAlignment | None,
                 quote_translations: Mapping[int, str]) -> None:
        self.note = note
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
            said = " ".join(" ".join(s.text.split()) for s in check.suggestion)
            if said:
                entry += f" «{md_text(said)}»"
        lines.append(entry)
        translation = ctx.quote_translations.get(cit.index, "").strip()
        if view.quote and translation and ctx.quote_lang != ctx.lang:
            lines.append(f"  *{ctx.lang}: «{md_text(translation)}»*")
        if check is not None:
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
