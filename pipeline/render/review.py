"""A note's review page: source and translation side by side, each claim checked.

Every piece of note, transcript and translation text goes through `html.escape`; the only
links are video links built from a checked id (see `page` for the shell and its CSP).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Protocol

from ..model import Citation, Claim, Note, NoteAlignment, TermCheck, TranslatedNote
from ..timecode import hms
from .common import (
    LABEL,
    MARK,
    PROBLEMS,
    STATUSES,
    UNTRANSLATED_QUOTES,
    UNTRANSLATED_TRACK,
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
from .page import NoteSource, chip, ext_link, filter_box, footer, page


@dataclass(frozen=True)
class CueFlag:
    """A subtitle cue the review page should point out (e.g. spoken too fast to read)."""

    start_ms: int
    end_ms: int
    text: str
    lang: str = ""
    rule: str = "reading speed"
    detail: str = ""  # e.g. "24.1 chars/s (limit 20)"


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
    reviews: Mapping[int, BlockReviewView] | None = None,
    source: NoteSource | None = None,
    reviewed: tuple[int, int, int] | None = None,
) -> str:
    """One note in one language: source and translation side by side, block by block.

    Under each block, its claims with their citations' status, the transcript's words and
    their translation, and a link to the video moment; with `source`, above each block
    its file and line (linked to the file) and a link to the note in Obsidian; with
    `reviewed`, the blocks approved / machine-only / to review again in the header. `terms`
    defaults to the
    translation's glossary checks; `translated` may be None (no model for the language):
    the page then shows the source and the citations only.
    """
    if translated is not None:
        check_blocks(note, translated.blocks)
    lang = (translated.lang if translated else lang or "").lower()
    terms = tuple(translated.terms if terms is None and translated else terms or ())
    checks = checks_by_index(alignment)
    views = {c.index: cite_view(c, checks) for c in note.citations}
    unchecked = _unchecked_note(views)
    quote_lang = alignment.transcript_language if alignment else None
    untranslated = {k: str(v) for k, v in (provenance or {}).items()
                    if k in (UNTRANSLATED_QUOTES, UNTRANSLATED_TRACK) and v}
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
        if reviews and i in reviews:
            tgt += _review_html(reviews[i])
        claims = [c for c in note.claims if c.block == i]
        statuses = [views[c.index].status for c in block.citations]
        problem = any(s in PROBLEMS for s in statuses) or bool(missing)
        cls = f"row w-{worst(statuses)}" + (" problem" if problem else "")
        panel = _claims_html(note, claims, views, quote_translations, quote_lang, lang, missing,
                             untranslated.get(UNTRANSLATED_QUOTES, ""), bool(unchecked))
        where = f'<div class="where">{source.where(block.line)}</div>' if source else ""
        rows.append(
            f'<section class="{cls}" id="b{i}">{where}'
            f'<div class="pair"><div class="src" lang="en">{src}</div>'
            f'<div class="tgt" lang="{escape(lang)}">{tgt}</div></div>{panel}</section>'
        )

    counts = status_counts(alignment)
    title_tr = translated.title if translated else ""
    header = _note_header(note, lang, title_tr, counts, note_missing, flags, index_href,
                          decided(alignment), source, reviewed)
    panels = _note_panels(note, translated, terms, flags, untranslated, quote_lang, lang)
    if unchecked:  # said once for the note, not at each of its citations
        n = len(views)
        panels = (f'<div class="panel s-no_transcript"><h2>{MARK["no_transcript"]} '
                  f'{LABEL["no_transcript"]}</h2><p>{escape(unchecked[:1].upper())}'
                  f"{escape(unchecked[1:])}: none of the note's {n} "
                  f"citation{'s' if n != 1 else ''} could be checked.</p></div>" + panels)
    colhead = (f'<div class="colhead"><div>Source</div><div>Translation · '
               f"{escape(lang.upper())}</div></div>")
    main = panels + colhead + "\n" + "\n".join(rows)
    prov = dict(provenance or {})
    if translated:
        prov.update(engine=translated.engine, model=translated.model,
                    glossary_hash=translated.glossary_hash)
    return page(f"{note.title} · {lang.upper()} · review", header, main, footer(prov), lang)


class BlockReviewView(Protocol):
    """A block's translation review (see `pipeline.review.BlockReview`)."""

    @property
    def status(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def reviewer(self) -> str: ...
    @property
    def at(self) -> str: ...


_REVIEW_LABEL = {
    "approved": "approved translation",
    "review_again": "approved, review again: the glossary changed for this block",
    "stale": "source changed: translated by the engine again, review it",
}


def _review_html(review: BlockReviewView) -> str:
    who = f" · {escape(review.reviewer)}, {escape(review.at)}"
    hint = ""
    if review.status == "stale":
        hint = (f'<span class="hint">previously approved: «{escape(review.text.strip())}»'
                "</span>")
    return (f'<p class="review r-{escape(review.status)}">'
            f"{escape(_REVIEW_LABEL.get(review.status, review.status))}{who}{hint}</p>")


def decided(alignment: NoteAlignment | None) -> dict[str, int]:
    """The citations a reviewer decides on: accepted, dismissed, and open (suspect or
    repaired, not decided yet)."""
    checks = alignment.checks if alignment else ()
    found = [c.decision for c in checks if c.decision]
    open_ = sum(1 for c in checks if not c.decision and c.status in ("suspect", "repaired"))
    return {"accepted": found.count("accepted"), "dismissed": found.count("dismissed"),
            "open": open_}


def _cite_chip(video_id: str | None, view: CiteView) -> str:
    tip = LABEL.get(view.status, view.status)
    if view.check is not None and view.check.decision:
        tip += f" ({view.check.decision})"
    if view.resolved_differs and view.link_ms is not None:
        tip += f", taken as {hms(view.link_ms)}"
    mark = f" {MARK[view.status]}" if view.problem else ""
    url = None if view.link_ms is None else video_link(video_id, view.link_ms)
    return ext_link(url, f"{view.citation.written}{mark}", f"ts s-{view.status}", tip)


def _missing_in_block(src: TermMatcher, tgt: TermMatcher, source: str, text: str) -> list[str]:
    """Glossary terms in the source block none of whose renderings is in its translation."""
    wanted = {t.term: t for t in src.find(source)}
    present = {t.term for t in tgt.find(text)}
    return sorted(term for term in wanted if term not in present)


def _note_header(
    note: Note, lang: str, title_tr: str, counts: Mapping[str, int],
    missing: frozenset[str], flags: Sequence[CueFlag], index_href: str,
    decisions: Mapping[str, int] | None = None, source: NoteSource | None = None,
    reviewed: tuple[int, int, int] | None = None,
) -> str:
    chips = ""
    if note.citations:  # a page (an index page, no video) has none to count
        chips += "".join(chip(s, counts.get(s, 0)) for s in STATUSES)
        chips += "".join(chip(f"d-{d}", n, f"{d} citation{'s' if n != 1 else ''}")
                         for d, n in (decisions or {}).items())
    if reviewed is not None:
        chips += "".join(chip(cls, n, label) for cls, n, label in zip(
            ("r-approved", "r-machine", "r-review_again"), reviewed,
            ("blocks approved", "machine-only", "to review again"), strict=True))
    chips += chip("missing", len(missing), "missing terms")
    if flags:
        chips += chip("fast", len(flags), "subtitle cues too fast")
    url = video_link(note.video_id)
    watch = ext_link(url, "Watch on YouTube ↗", "watch") if url else ""
    if source:
        watch += (f' <a class="watch" href="{escape(source.obsidian)}" '
                  'title="open the note in Obsidian">Open in Obsidian ↗</a>')
    sub = f'<p class="subtitle" lang="{escape(lang)}">{escape(title_tr)}</p>' if title_tr else ""
    return (
        '<header class="top">'
        f'<div class="crumbs"><a href="{escape(index_href)}">← All notes</a> · '
        f"{escape(note.channel)} · {escape(note.slug)} · {escape(lang.upper())}</div>"
        f"<h1>{escape(note.title)}</h1>{sub}"
        f'<div class="bar"><div class="chips">{chips}</div>{watch}'
        f'{filter_box("Only problems")}</div></header>'
    )


def _note_panels(
    note: Note, translated: TranslatedNote | None, terms: Sequence[TermCheck],
    flags: Sequence[CueFlag], untranslated: Mapping[str, str] | None = None,
    quote_lang: str | None = None, lang: str = "",
) -> str:
    panels = [_terms_panel(terms)]
    if translated and translated.failures:
        items = "".join(f"<li>{escape(f)}</li>" for f in translated.failures)
        panels.append(f'<div class="panel"><h2>Not translated ({len(translated.failures)})'
                      f'</h2><ul class="failures">{items}</ul></div>')
    said = untranslated or {}
    if said:
        names = {UNTRANSLATED_QUOTES: f"Transcript quotes ({(quote_lang or '?').upper()})",
                 UNTRANSLATED_TRACK: "Transcript track (subtitles)"}
        items = "".join(f"<li>{escape(names[k])}: {escape(said[k])}</li>" for k in names
                        if k in said)
        panels.append(f'<div class="panel"><h2>Not in {escape(lang.upper())}</h2>'
                      f'<ul class="failures">{items}</ul></div>')
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
    when = ext_link(video_link(video_id, flag.start_ms), time_text(flag.start_ms), "ts s-fast")
    detail = f" · {escape(flag.detail)}" if flag.detail else ""
    return (f"<li>{when} {escape(flag.lang.upper())} {escape(flag.rule)}{detail}: "
            f"{escape(' '.join(flag.text.split()))}</li>")


def _claims_html(
    note: Note, claims: Sequence[Claim], views: Mapping[int, CiteView],
    quote_translations: Mapping[int, str], quote_lang: str | None, lang: str,
    missing: Sequence[str], quotes_untranslated: str = "", quiet: bool = False,
) -> str:
    items = []
    for claim in claims:
        cviews = [views[c.index] for c in claim.citations]
        status = worst([v.status for v in cviews])
        fine = "" if status in PROBLEMS else " fine"
        cites = "".join(_cite_html(note, v, quote_translations, quote_lang, lang,
                                   quotes_untranslated, quiet) for v in cviews)
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


def _unchecked_note(views: Mapping[int, CiteView]) -> str:
    """Why no citation of the note was checked, when one reason holds for all (no
    transcript could be had for the video), else ""."""
    reasons = {v.check.reason if v.status == "no_transcript" and v.check is not None else None
               for v in views.values()}
    reason = next(iter(reasons)) if len(reasons) == 1 else None
    return reason or ""


def _cite_html(
    note: Note, view: CiteView, quote_translations: Mapping[int, str],
    quote_lang: str | None, lang: str, untranslated: str = "", quiet: bool = False,
) -> str:
    """One citation: its time, its quote and why it has its status (`quiet`: the page
    said why once, for every citation of the note)."""
    check = view.check
    when = _cite_chip(note.video_id, view)
    if quiet:
        return f'<div class="cite"><span class="when">{when}</span></div>'
    if check is not None and check.decision:
        d = escape(check.decision)
        when += f' <span class="decision d-{d}">{d}</span>'
    if view.resolved_differs and view.link_ms is not None:
        when += f' → {escape(hms(view.link_ms))}'
    details = []
    if view.quote:
        qlang = f' lang="{escape(quote_lang)}"' if quote_lang else ""
        trans = quote_translations.get(view.citation.index, "").strip()
        tr = (f'<span class="trans" lang="{escape(lang)}">«{escape(trans)}»</span>'
              if trans and (quote_lang or "").lower() != lang else "")
        if not tr and untranslated and (quote_lang or "").lower() != lang:
            tr = (f'<span class="trans untranslated" title="{escape(untranslated)}">'
                  f"not translated into {escape(lang.upper())}</span>")
        details.append(f'<p class="quote"><span class="orig"{qlang}>«{escape(view.quote)}»'
                       f"</span>{tr}</p>")
    elif view.status != "unchecked":
        details.append('<p class="quote"><span class="trans">no transcript text here</span></p>')
    if check is not None and (check.reason or check.suggested_ms is not None):
        reason = escape(check.reason)
        if check.status == "suspect" and check.suggested_ms is not None:
            link = ext_link(video_link(note.video_id, check.suggested_ms),
                             hms(check.suggested_ms), "ts s-ok")
            reason += f" · supported at {link}"
            said = view.said
            if said:
                qlang = f' lang="{escape(quote_lang)}"' if quote_lang else ""
                reason += f' <span class="said"{qlang}>«{escape(said)}»</span>'
        if check.score is not None:
            reason += f' <span class="score">score {check.score:.2f}</span>'
        details.append(f'<span class="reason s-{view.status}">{reason}</span>')
    return f'<div class="cite"><span class="when">{when}</span><div>{"".join(details)}</div></div>'
