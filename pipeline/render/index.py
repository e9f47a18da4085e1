"""`OUT/review/index.html`: every note page with its counts, and the run's failures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

from ..model import Note, NoteAlignment, TranslatedNote
from .common import LABEL, MARK, PROBLEMS, STATUSES, status_counts
from .page import NoteSource, chip, filter_box, footer, page
from .review import CueFlag, decided


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
    reviewed: tuple[int, int, int] = (0, 0, 0)  # blocks approved / machine-only / to review again
    decisions: tuple[int, int, int] = (0, 0, 0)  # citations accepted / dismissed / open
    obsidian: str = ""  # the note in Obsidian (`NoteSource.obsidian`)

    @property
    def problem(self) -> bool:
        return (any(self.counts.get(s, 0) for s in PROBLEMS) or bool(self.missing_terms)
                or self.untranslated > 0 or not self.translated)


def review_entry(
    note: Note, translated: TranslatedNote | None, alignment: NoteAlignment | None,
    href: str, *, lang: str | None = None, flags: Sequence[CueFlag] = (),
    reviewed: tuple[int, int, int] = (0, 0, 0), source: NoteSource | None = None,
) -> ReviewEntry:
    terms = translated.terms if translated else ()
    d = decided(alignment)
    return ReviewEntry(
        href=href, title=note.title,
        translated_title=translated.title if translated else "",
        channel=note.channel, slug=note.slug,
        lang=translated.lang if translated else (lang or ""), video_id=note.video_id,
        counts=status_counts(alignment),
        missing_terms=tuple(t.term for t in terms if t.status == "missing"),
        flags=len(flags), untranslated=len(translated.failures) if translated else 0,
        translated=translated is not None, reviewed=reviewed,
        decisions=(d["accepted"], d["dismissed"], d["open"]),
        obsidian=source.obsidian if source else "",
    )


def review_index(
    entries: Sequence[ReviewEntry],
    failures: Sequence[tuple[str, str]] = (),
    provenance: Mapping[str, object] | None = None,
    warnings: Sequence[tuple[str, str]] = (),
    conflicts: Sequence[tuple[str, str]] = (),
    removed: Sequence[str] = (),
) -> str:
    """`OUT/review/index.html`: every note and language with its counts, and the run's failures."""
    totals = dict.fromkeys(STATUSES, 0)
    for e in entries:
        for s in STATUSES:
            totals[s] += e.counts.get(s, 0)
    missing_total = sum(len(e.missing_terms) for e in entries)
    chips = "".join(chip(s, totals[s]) for s in STATUSES)
    chips += chip("missing", missing_total, "missing terms")
    chips += chip("out_of_range" if failures else "ok", len(failures), "failed")
    if warnings:
        chips += chip("suspect", len(warnings), "warnings")
    if conflicts:
        chips += chip("out_of_range", len(conflicts), "edits kept (conflicts)")
    approved = sum(e.reviewed[0] for e in entries)
    again = sum(e.reviewed[2] for e in entries)
    chips += chip("ok", approved, "blocks approved")
    if again:
        chips += chip("suspect", again, "blocks to review again")
    for i, what in enumerate(("accepted", "dismissed", "open")):
        n = sum(e.decisions[i] for e in entries)
        chips += chip(f"d-{what}", n, f"{what} citation{'s' if n != 1 else ''}")
    header = (
        '<header class="top"><div class="crumbs">Interlinear · review</div>'
        f"<h1>{len(entries)} note page{'s' if len(entries) != 1 else ''}</h1>"
        f'<div class="bar"><div class="chips">{chips}</div>'
        f'{filter_box("Only notes with problems")}</div></header>'
    )
    rows = "".join(_index_row(e) for e in sorted(
        entries, key=lambda e: (e.channel, e.slug, e.lang)))
    heads = "".join(f'<th title="{escape(LABEL[s])}">{escape(MARK[s])} {escape(LABEL[s])}</th>'
                    for s in STATUSES)
    table = (
        '<table class="notes"><thead><tr><th>Note</th><th>Lang</th>'
        f"{heads}<th>Missing terms</th><th>Fast cues</th><th>Untranslated</th>"
        "<th>Blocks approved / machine / to review again</th>"
        "<th>Citations accepted / dismissed / open</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    ) if entries else '<p class="none">No notes were reviewed.</p>'
    panels = "".join(
        f'<div class="panel"><h2>{title} ({len(items)})</h2><ul class="{cls}">'
        + "".join(f"<li><strong>{escape(what)}</strong>: {escape(why)}</li>" for what, why in items)
        + "</ul></div>"
        for title, cls, items in (
            ("Edited outputs kept as they are (conflicts)", "conflicts", conflicts),
            ("Failures of the run", "failures", failures),
            ("Warnings", "warnings", warnings)) if items)
    if removed:
        panels += (f'<div class="panel"><h2>Removed: outputs of notes no longer in the vault '
                   f'({len(removed)})</h2><ul class="removed">'
                   + "".join(f"<li>{escape(r)}</li>" for r in removed) + "</ul></div>")
    fail = f'<div class="panels">{panels}</div>' if panels else ""
    return page("Interlinear review", header, fail + table, footer(provenance or {}))


def _index_row(e: ReviewEntry) -> str:
    cls = "note problem" if e.problem else "note"
    sub = f'<span class="sub">{escape(e.translated_title)}</span>' if e.translated_title else ""
    obsidian = (f' · <a class="obsidian" href="{escape(e.obsidian)}" '
                f'title="open the note in Obsidian">Obsidian ↗</a>') if e.obsidian else ""
    note = (f'<a href="{escape(e.href)}">{escape(e.title)}</a>{sub}'
            f'<span class="sub">{escape(e.channel)} / {escape(e.slug)}{obsidian}</span>')
    cells = "".join(
        f'<td class="n s-{s}{" hot" if e.counts.get(s, 0) and s in PROBLEMS else ""}">'
        f"{e.counts.get(s, 0)}</td>" for s in STATUSES
    )
    missing = (f'<td class="n s-missing hot" title="{escape(", ".join(e.missing_terms))}">'
               f"{len(e.missing_terms)}</td>") if e.missing_terms else '<td class="n">0</td>'
    untranslated = "no model" if not e.translated else str(e.untranslated)
    return (f'<tr class="{cls}"><td>{note}</td><td>{escape(e.lang.upper())}</td>{cells}'
            f'{missing}<td class="n">{e.flags}</td><td class="n">{escape(untranslated)}</td>'
            f'<td class="n reviewed">{" / ".join(str(n) for n in e.reviewed)}</td>'
            f'<td class="n decided">{" / ".join(str(n) for n in e.decisions)}</td></tr>')
