"""The review pages: static HTML that opens from disk, one page per note and language.

Every piece of note, transcript and translation text goes through `html.escape`; the only
links are video links built from a checked id, and relative links between the pages. A
Content-Security-Policy lets only the page's own script run, as a second line of defence.
"""

from __future__ import annotations

import base64
import hashlib
import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from html import escape
from importlib import resources
from urllib.parse import quote

from ..fileio import safe_name
from ..model import Citation, Claim, Note, NoteAlignment, TermCheck, TranslatedNote
from ..timecode import hms
from .common import (
    LABEL,
    MARK,
    PROBLEMS,
    STATUSES,
    CiteView,
    check_blocks,
    checks_by_index,
    cite_view,
    status_counts,
    time_text,
    video_link,
    worst,
)
from .htmltext import Inline, TermMatcher, block_html


@dataclass(frozen=True)
class CueFlag:
    """A subtitle cue the review page should point out (e.g. spoken too fast to read)."""

    start_ms: int
    end_ms: int
    text: str
    lang: str = ""
    rule: str = "reading speed"
    detail: str = ""  # e.g. "24.1 chars/s (limit 20)"


@dataclass(frozen=True)
class ReviewEntry:
    """One row of the index: a note in one language, with its counts."""

    href: str  # relative to the index page
    title: str
    translated_title: str
    channel: str
    slug: str
    lang: str
    video_id: str | None
    counts: Mapping[str, int]
    missing_terms: tuple[str, ...] = ()
    flags: int = 0
    untranslated: int = 0
    translated: bool = True

    @property
    def problem(self) -> bool:
        return (any(self.counts.get(s, 0) for s in PROBLEMS) or bool(self.missing_terms)
                or self.untranslated > 0 or not self.translated)


# --------------------------------------------------------------------------- paths


def review_page_parts(lang: str, channel: str, slug: str) -> tuple[str, ...]:
    """The page's path under `OUT/review/` as safe names: LANG, CHANNEL (if any), SLUG.html."""
    head = (safe_name(lang), safe_name(channel)) if channel else (safe_name(lang),)
    return (*head, safe_name(slug) + ".html")


def relative_href(from_page: str, to_page: str) -> str:
    """A URL from one page to another, both given relative to `OUT/review/` (posix)."""
    start = posixpath.dirname(from_page) or "."
    return quote(posixpath.relpath(to_page, start), safe="/")


def review_entry(
    note: Note, translated: TranslatedNote | None, alignment: NoteAlignment | None,
    href: str, *, lang: str | None = None, flags: Sequence[CueFlag] = (),
) -> ReviewEntry:
    terms = translated.terms if translated else ()
    return ReviewEntry(
        href=href, title=note.title,
        translated_title=translated.title if translated else "",
        channel=note.channel, slug=note.slug,
        lang=translated.lang if translated else (lang or ""), video_id=note.video_id,
        counts=status_counts(alignment),
        missing_terms=tuple(t.term for t in terms if t.status == "missing"),
        flags=len(flags), untranslated=len(translated.failures) if translated else 0,
        translated=translated is not None,
    )


# --------------------------------------------------------------------------- page shell


@cache
def _asset(name: str) -> str:
    return (resources.files("pipeline") / "templates" / name).read_text(encoding="utf-8")


def _page(title: str, header: str, main: str, footer: str, lang: str = "en") -> str:
    script = _asset("review.js")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    csp = (f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'; "
           "img-src data:; base-uri 'none'; form-action 'none'")
    return (
        f'<!doctype html>\n<html lang="{escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{escape(title)}</title>\n<style>\n{_asset('review.css')}</style>\n</head>\n"
        f"<body>\n{header}\n<main>\n{main}\n</main>\n{footer}\n"
        f"<script>{script}</script>\n</body>\n</html>\n"
    )


def _ext_link(url: str | None, text: str, cls: str = "", tip: str = "") -> str:
    """A link out to YouTube (`url` is always built by `video_link`), or plain text."""
    attrs = f' class="{cls}"' if cls else ""
    attrs += f' title="{escape(tip)}"' if tip else ""
    if url is None:
        return f"<span{attrs}>{escape(text)}</span>"
    return (f'<a{attrs} href="{escape(url)}" target="_blank" rel="noopener noreferrer">'
            f"{escape(text)}</a>")


def _chip(status: str, n: int, label: str | None = None) -> str:
    zero = " zero" if n == 0 else ""
    text = f"{MARK.get(status, '')} {n} {label or LABEL.get(status, status)}".strip()
    return f'<span class="chip s-{escape(status)}{zero}">{escape(text)}</span>'


def _filter_box(label: str) -> str:
    return (f'<label class="filter"><input type="checkbox" id="only-problems"> '
            f"{escape(label)}</label>")


def _footer(provenance: Mapping[str, object]) -> str:
    if not provenance:
        return "<footer></footer>"
    items = " · ".join(f"{escape(str(k))} <code>{escape(str(v))}</code>"
                       for k, v in provenance.items())
    return f"<footer>Made by Interlinear · {items}</footer>"


# --------------------------------------------------------------------------- note page


def review_note_page(
    note: Note,
    translated: TranslatedNote | None,
    alignment: NoteAlignment | None,
    quote_translations: Mapping[int, str],
    terms: Sequence[TermCheck] | None = None,
    flags: Sequence[CueFlag] = (),
    *,
    lang: str | None = None,
    index_href: str = "../../index.html",
    provenance: Mapping[str, object] | None = None,
) -> str:
    """One note in one language: source and translation side by side, block by block.

    Under each block, its claims with their citations' status, the transcript's words and
    their translation, and a link to the video moment. `terms` defaults to the
    translation's glossary checks; `translated` may be None (no model for the language):
    the page then shows the source and the citations only.
    """
    if translated is not None:
        check_blocks(note, translated.blocks)
    lang = (translated.lang if translated else lang or "").lower()
    terms = tuple(translated.terms if terms is None and translated else terms or ())
    checks = checks_by_index(alignment)
    views = {c.index: cite_view(c, checks) for c in note.citations}
    quote_lang = alignment.transcript_language if alignment else None
    src_terms, tgt_terms = TermMatcher.source(terms), TermMatcher.target(terms)
    note_missing = frozenset(t.term for t in terms if t.status == "missing")

    def cite_html(c: Citation) -> str:
        return _cite_chip(note.video_id, views[c.index])

    rows = []
    for i, block in enumerate(note.blocks):
        if block.kind in ("front_matter", "blank"):
            continue
        text = translated.blocks[i] if translated else ""
        missing = _missing_in_block(src_terms, tgt_terms, block.text, text) if translated else []
        src = block_html(block, block.text,
                         Inline(block.citations, cite_html, src_terms, frozenset(missing)))
        if not translated:
            tgt = '<span class="untranslated">no translation</span>'
        elif not text.strip():
            tgt = '<span class="untranslated">not translated</span>'
        else:
            tgt = block_html(block, text, Inline(block.citations, cite_html, tgt_terms))
        claims = [c for c in note.claims if c.block == i]
        statuses = [views[c.index].status for c in block.citations]
        problem = any(s in PROBLEMS for s in statuses) or bool(missing)
        cls = f"row w-{worst(statuses)}" + (" problem" if problem else "")
        panel = _claims_html(note, claims, views, quote_translations, quote_lang, lang, missing)
        rows.append(
            f'<section class="{cls}" id="b{i}">'
            f'<div class="pair"><div class="src" lang="en">{src}</div>'
            f'<div class="tgt" lang="{escape(lang)}">{tgt}</div></div>{panel}</section>'
        )

    counts = status_counts(alignment)
    title_tr = translated.title if translated else ""
    header = _note_header(note, lang, title_tr, counts, note_missing, flags, index_href)
    panels = _note_panels(note, translated, terms, flags)
    colhead = (f'<div class="colhead"><div>Source</div><div>Translation · '
               f"{escape(lang.upper())}</div></div>")
    main = panels + colhead + "\n" + "\n".join(rows)
    prov = dict(provenance or {})
    if translated:
        prov.update(engine=translated.engine, model=translated.model,
                    glossary_hash=translated.glossary_hash)
    return _page(f"{note.title} · {lang.upper()} · review", header, main, _footer(prov), lang)


def _cite_chip(video_id: str | None, view: CiteView) -> str:
    tip = LABEL.get(view.status, view.status)
    if view.resolved_differs and view.link_ms is not None:
        tip += f", taken as {hms(view.link_ms)}"
    mark = f" {MARK[view.status]}" if view.problem else ""
    url = None if view.link_ms is None else video_link(video_id, view.link_ms)
    return _ext_link(url, f"{view.citation.written}{mark}", f"ts s-{view.status}", tip)


def _missing_in_block(src: TermMatcher, tgt: TermMatcher, source: str, text: str) -> list[str]:
    """Glossary terms in the source block none of whose renderings is in its translation."""
    wanted = {t.term: t for t in src.find(source)}
    present = {t.term for t in tgt.find(text)}
    return sorted(term for term in wanted if term not in present)


def _note_header(
    note: Note, lang: str, title_tr: str, counts: Mapping[str, int],
    missing: frozenset[str], flags: Sequence[CueFlag], index_href: str,
) -> str:
    chips = "".join(_chip(s, counts.get(s, 0)) for s in STATUSES)
    chips += _chip("missing", len(missing), "missing terms")
    if flags:
        chips += _chip("fast", len(flags), "subtitle cues too fast")
    watch = _ext_link(video_link(note.video_id), "Watch on YouTube ↗", "watch")
    sub = f'<p class="subtitle" lang="{escape(lang)}">{escape(title_tr)}</p>' if title_tr else ""
    return (
        '<header class="top">'
        f'<div class="crumbs"><a href="{escape(index_href)}">← All notes</a> · '
        f"{escape(note.channel)} · {escape(note.slug)} · {escape(lang.upper())}</div>"
        f"<h1>{escape(note.title)}</h1>{sub}"
        f'<div class="bar"><div class="chips">{chips}</div>{watch}'
        f'{_filter_box("Only problems")}</div></header>'
    )


def _note_panels(
    note: Note, translated: TranslatedNote | None, terms: Sequence[TermCheck],
    flags: Sequence[CueFlag],
) -> str:
    panels = [_terms_panel(terms)]
    if translated and translated.failures:
        items = "".join(f"<li>{escape(f)}</li>" for f in translated.failures)
        panels.append(f'<div class="panel"><h2>Not translated ({len(translated.failures)})'
                      f'</h2><ul class="failures">{items}</ul></div>')
    if flags:
        items = "".join(_flag_html(note.video_id, f) for f in flags)
        panels.append(f'<div class="panel"><h2>Subtitle cues too fast ({len(flags)})</h2>'
                      f"<ul>{items}</ul></div>")
    return f'<div class="panels">{"".join(panels)}</div>'


def _term_chip(t: TermCheck) -> str:
    return (f'<span class="term-chip {escape(t.status)}" title="{escape(" | ".join(t.expected))}">'
            f"{escape(t.term)} <small>→ {escape(t.expected[0] if t.expected else '?')} · "
            f"{escape(t.status)}</small></span>")


def _terms_panel(terms: Sequence[TermCheck]) -> str:
    """Missing and repaired terms in view; the found ones folded away (no script needed)."""
    ordered = sorted(terms, key=lambda t: (t.status != "missing", t.term.casefold()))
    shown = "".join(_term_chip(t) for t in ordered if t.status != "found")
    found = [t for t in ordered if t.status == "found"]
    folded = (f'<details><summary>{len(found)} found</summary><div class="terms">'
              f'{"".join(_term_chip(t) for t in found)}</div></details>') if found else ""
    body = (f'<div class="terms">{shown}</div>' if shown else "") + folded
    return (f'<div class="panel"><h2>Glossary terms ({len(terms)})</h2>'
            f'{body or "<p class=none>none in this note</p>"}</div>')


def _flag_html(video_id: str | None, flag: CueFlag) -> str:
    when = _ext_link(video_link(video_id, flag.start_ms), time_text(flag.start_ms), "ts s-fast")
    detail = f" · {escape(flag.detail)}" if flag.detail else ""
    return (f"<li>{when} {escape(flag.lang.upper())} {escape(flag.rule)}{detail}: "
            f"{escape(' '.join(flag.text.split()))}</li>")


def _claims_html(
    note: Note, claims: Sequence[Claim], views: Mapping[int, CiteView],
    quote_translations: Mapping[int, str], quote_lang: str | None, lang: str,
    missing: Sequence[str],
) -> str:
    items = []
    for claim in claims:
        cviews = [views[c.index] for c in claim.citations]
        status = worst([v.status for v in cviews])
        fine = "" if status in PROBLEMS else " fine"
        cites = "".join(_cite_html(note, v, quote_translations, quote_lang, lang)
                        for v in cviews)
        items.append(
            f'<div class="claim s-{status}{fine}">'
            f'<span class="badge">{escape(MARK.get(status, ""))} {escape(LABEL[status])}</span>'
            f'<div class="claim-text">{escape(claim.text) or "<em>(no text)</em>"}</div>'
            f"{cites}</div>"
        )
    if missing:
        items.append(
            '<div class="claim s-missing"><span class="badge">glossary</span>'
            f'<div class="claim-text">missing from the translation: '
            f"{escape(', '.join(missing))}</div></div>"
        )
    return f'<div class="claims">{"".join(items)}</div>' if items else ""


def _cite_html(
    note: Note, view: CiteView, quote_translations: Mapping[int, str],
    quote_lang: str | None, lang: str,
) -> str:
    check = view.check
    when = _cite_chip(note.video_id, view)
    if view.resolved_differs and view.link_ms is not None:
        when += f' → {escape(hms(view.link_ms))}'
    details = []
    if view.quote:
        qlang = f' lang="{escape(quote_lang)}"' if quote_lang else ""
        trans = quote_translations.get(view.citation.index, "").strip()
        tr = (f'<span class="trans" lang="{escape(lang)}">«{escape(trans)}»</span>'
              if trans and (quote_lang or "").lower() != lang else "")
        details.append(f'<p class="quote"><span class="orig"{qlang}>«{escape(view.quote)}»'
                       f"</span>{tr}</p>")
    elif view.status != "unchecked":
        details.append('<p class="quote"><span class="trans">no transcript text here</span></p>')
    if check is not None and (check.reason or check.suggested_ms is not None):
        reason = escape(check.reason)
        if check.status == "suspect" and check.suggested_ms is not None:
            link = _ext_link(video_link(note.video_id, check.suggested_ms),
                             hms(check.suggested_ms), "ts s-ok")
            reason += f" · supported at {link}"
        if check.score is not None:
            reason += f' <span class="score">score {check.score:.2f}</span>'
        details.append(f'<span class="reason s-{view.status}">{reason}</span>')
    return f'<div class="cite"><span class="when">{when}</span><div>{"".join(details)}</div></div>'


# --------------------------------------------------------------------------- index


def review_index(
    entries: Sequence[ReviewEntry],
    failures: Sequence[tuple[str, str]] = (),
    provenance: Mapping[str, object] | None = None,
) -> str:
    """`OUT/review/index.html`: every note and language with its counts, and the run's failures."""
    totals = dict.fromkeys(STATUSES, 0)
    for e in entries:
        for s in STATUSES:
            totals[s] += e.counts.get(s, 0)
    missing_total = sum(len(e.missing_terms) for e in entries)
    chips = "".join(_chip(s, totals[s]) for s in STATUSES)
    chips += _chip("missing", missing_total, "missing terms")
    chips += _chip("out_of_range" if failures else "ok", len(failures), "failed")
    header = (
        '<header class="top"><div class="crumbs">Interlinear · review</div>'
        f"<h1>{len(entries)} note page{'s' if len(entries) != 1 else ''}</h1>"
        f'<div class="bar"><div class="chips">{chips}</div>'
        f'{_filter_box("Only notes with problems")}</div></header>'
    )
    rows = "".join(_index_row(e) for e in sorted(
        entries, key=lambda e: (e.channel, e.slug, e.lang)))
    heads = "".join(f'<th title="{escape(LABEL[s])}">{escape(MARK[s])} {escape(LABEL[s])}</th>'
                    for s in STATUSES)
    table = (
        '<table class="notes"><thead><tr><th>Note</th><th>Lang</th>'
        f"{heads}<th>Missing terms</th><th>Fast cues</th><th>Untranslated</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    ) if entries else '<p class="none">No notes were reviewed.</p>'
    fail = ""
    if failures:
        items = "".join(f"<li><strong>{escape(what)}</strong>: {escape(why)}</li>"
                        for what, why in failures)
        fail = (f'<div class="panels"><div class="panel"><h2>Failures of the run '
                f'({len(failures)})</h2><ul class="failures">{items}</ul></div></div>')
    return _page("Interlinear review", header, fail + table, _footer(provenance or {}))


def _index_row(e: ReviewEntry) -> str:
    cls = "note problem" if e.problem else "note"
    sub = f'<span class="sub">{escape(e.translated_title)}</span>' if e.translated_title else ""
    note = (f'<a href="{escape(e.href)}">{escape(e.title)}</a>{sub}'
            f'<span class="sub">{escape(e.channel)} / {escape(e.slug)}</span>')
    cells = "".join(
        f'<td class="n s-{s}{" hot" if e.counts.get(s, 0) and s in PROBLEMS else ""}">'
        f"{e.counts.get(s, 0)}</td>" for s in STATUSES
    )
    missing = (f'<td class="n s-missing hot" title="{escape(", ".join(e.missing_terms))}">'
               f"{len(e.missing_terms)}</td>") if e.missing_terms else '<td class="n">0</td>'
    untranslated = "no model" if not e.translated else str(e.untranslated)
    return (f'<tr class="{cls}"><td>{note}</td><td>{escape(e.lang.upper())}</td>{cells}'
            f'{missing}<td class="n">{e.flags}</td><td class="n">{escape(untranslated)}</td></tr>')
