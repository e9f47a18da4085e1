"""The run's output stages, each for one item and with one shape: key -> reuse or make ->
write -> store. A video's transcript tracks, its claims tracks, and a note's translated
note, bilingual note and review page in one language (a page, a note of no video: the
same with no citations).

Keys: tracks: transcript content, target languages, engine and model per pair, the
glossary's names in those languages, output folder; claims tracks: the video's notes,
their alignments and claim texts per language; render: the note's translation and
alignment keys, its place, the quote engine, the too-fast cues of its track, output folder.
A stored result is reused only while its files are on disk as written, and a result
with failures is never stored: the next run makes it again.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from ..errors import InterlinearError, ModelMissingError, WriteError
from ..fileio import atomic_write_text
from ..glossary import Glossary
from ..langid import note_language
from ..languages import model_language
from ..model import Cue, Note, NoteAlignment, TermCheck, Transcript, TranslatedNote
from ..render import (
    UNTRANSLATED_QUOTES,
    UNTRANSLATED_TRACK,
    CueFlag,
    NoteSource,
    bilingual_note_regions,
    check_quote_of,
    relative_href,
    review_entry,
    review_note_page,
    translated_note_regions,
)
from ..review import BlockReview, ReviewStore, review_counts
from ..signature import Signature
from ..subtitles import (
    claim_items,
    claims_cues,
    cue_groups,
    cues_from_segments,
    rules_for,
    translated_cues,
    write_track,
)
from ..translate import in_background, translate_safely
from .context import RunContext
from .manifest import provenance
from .outcome import Failure, Outcome, Output, TaskRecord
from .reviewing import (
    NOTE_OUTPUTS,
    apply_reviews,
    beside,
    changed_by_hand,
    disagreements,
    note_key,
    read_edits,
    record_file,
    record_written,
)
from .stages import Keyed, cache_warnings, missing_model, note_item
from .store import (
    content_key,
    digests,
    glossary_names_key,
    glossary_terms_key,
    stage_key,
    transcript_hash,
)

Flags = Mapping[str, Sequence[CueFlag]]  # language -> the cues of its track too fast to read


def _reuse(ctx: RunContext, stage: str, key: str) -> Outcome[None] | None:
    began = time.perf_counter()
    hit = ctx.store.get(stage, key)
    if isinstance(hit, tuple) and len(hit) == 2 and isinstance(hit[0], Outcome):
        outcome, files = hit
        if all(digests(ctx.settings.out, [rel]).get(rel) == d for rel, d in files.items()):
            took = time.perf_counter() - began
            return outcome.but(records=tuple(TaskRecord(r.task, r.item, "cached", took)
                                             for r in outcome.records))
    return None


def _keep(ctx: RunContext, stage: str, key: str, outcome: Outcome[None], began: float
          ) -> Outcome[None]:
    """Store `outcome` with the digests of its files, unless something failed; its records
    get the time since `began`."""
    took, now = time.perf_counter() - began, time.time()
    outcome = outcome.but(records=tuple(replace(r, seconds=took, ended=now)
                                        for r in outcome.records),
                          warnings=(*outcome.warnings, *cache_warnings(ctx)))
    if not outcome.failures:
        files = digests(ctx.settings.out, [f for o in outcome.outputs for f in o.files])
        try:
            ctx.store.put(stage, key, (outcome, files))
        except WriteError as exc:  # the outputs are written: only reuse is lost
            outcome = outcome.but(warnings=(*outcome.warnings, Failure.of("cache", key, exc)))
    return outcome


# --------------------------------------------------------------------------- tracks


def transcript_tracks(video_id: str, transcript: Transcript | None, ctx: RunContext
                      ) -> Outcome[None]:
    """The video's transcript tracks: its own language and each target language."""
    if transcript is None or not transcript.segments:
        return Outcome(None)
    began = time.perf_counter()
    s = ctx.settings
    tlang = transcript.language
    key = stage_key(
        "tracks", video_id, transcript_hash(transcript), list(s.languages),
        {lang: ctx.engines.ident(tlang, lang) for lang in s.languages if lang != tlang},
        glossary_names_key(ctx.glossary, [model_language(x) for x in (tlang, *s.languages)]),
        s.allow_missing_models, ctx.out_key,
        _edited(ctx, [ctx.layout.transcript_track(video_id, lang)
                      for lang in sorted({tlang, *s.languages})]))
    hit = _reuse(ctx, "tracks", key)
    if hit is not None:
        return hit
    parts = []
    for lang in [tlang, *(x for x in s.languages if model_language(x) != tlang)]:
        with in_background():  # nothing else waits for the tracks: the notes go first
            made = track_cues(video_id, transcript, lang, ctx)
        if made.value:
            cues, prov = made.value
            path, kept = _track_place(ctx, ctx.layout.transcript_track(video_id, lang))
            _, srt = _write_track(ctx, path, cues, prov)
            made = made.but(outputs=(_track_output("transcript_track", path, srt, lang, cues,
                                                   ctx),), flags=too_fast(cues, lang),
                            conflicts=kept)
        parts.append(made)
    done = Outcome.join(None, parts).but(records=(TaskRecord("tracks", video_id, "ran"),))
    return _keep(ctx, "tracks", key, done, began)


Made = tuple[list[Cue], dict[str, object]] | None  # a track's cues and provenance


def track_cues(video_id: str, transcript: Transcript, lang: str, ctx: RunContext
               ) -> Outcome[Made]:
    """The cues of the transcript's track in `lang` (its own language, or translated group
    by group). None when there is nothing to show, or when a group could not be translated
    (its source text is never passed off as a translation: the failure is reported)."""
    tlang, model = transcript.language, model_language(lang)
    if lang == tlang:
        cues = cues_from_segments(transcript.segments, rules_for(tlang),
                                  names_in(ctx.glossary, tlang))
        prov = provenance(kind="transcript track", video=video_id, language=tlang,
                          track=transcript.origin or transcript.source)
        return Outcome((cues, prov) if cues else None)
    item = f"{video_id} transcript track [{lang}]"
    groups = cue_groups(transcript.segments, rules_for(tlang))
    try:
        engine = ctx.engines.plain(tlang, model)
    except ModelMissingError as exc:
        return missing_model(ctx, item, exc, None)
    batch = translate_safely(engine, [g.text for g in groups], tlang, model)
    if batch.failures:
        return Outcome(None, failures=(Failure("translate", item, (
            f"{len(batch.failures)} of {len(groups)} cue groups not translated "
            f"({batch.failures[0].reason}): track not written")),))
    cues = translated_cues(groups, [o or "" for o in batch.outputs], rules_for(lang),
                           names_in(ctx.glossary, model))
    prov = provenance(kind="translated transcript track", video=video_id, language=lang,
                      engine=engine.name, model=engine.model_id(tlang, model))
    return Outcome((cues, prov) if cues else None)


def _edited(ctx: RunContext, tracks: Sequence[Path]) -> list[str]:
    """The tracks (or their `.srt`) a person changed: part of the keys, so that a conflict
    resolved (the person's file removed) writes the track in its place again."""
    return sorted(ctx.layout.relative(p) for t in tracks for p in (t, t.with_suffix(".srt"))
                  if changed_by_hand(ctx, p))


def _track_place(ctx: RunContext, path: Path) -> tuple[Path, tuple[Failure, ...]]:
    """Where a track goes: its place, or beside it (`.new.vtt`, `.new.srt`) when a person
    edited the track or its `.srt` since the run wrote them: their file is kept."""
    edited = [p for p in (path, path.with_suffix(".srt")) if changed_by_hand(ctx, p)]
    if not edited:
        return path, ()
    new = beside(path)
    return new, tuple(Failure("conflict", ctx.layout.relative(p), (
        f"edited by hand: kept as it is; the new version is "
        f"{ctx.layout.relative(new.with_suffix(p.suffix))}")) for p in edited)


def _write_track(ctx: RunContext, path: Path, cues: Sequence[Cue],
                 prov: Mapping[str, object]) -> tuple[Path, Path]:
    vtt, srt = write_track(path, cues, header_note=_note_line(prov))
    for p in (vtt, srt):
        record_file(ctx, p)
    return vtt, srt


def _track_output(kind: str, path: Path, srt: Path, lang: str, cues: Sequence[Cue],
                  ctx: RunContext) -> Output:
    layout = ctx.layout
    return Output(kind, layout.relative(path), lang=lang, srt=layout.relative(srt),
                  cues=len(cues))


def too_fast(cues: Sequence[Cue], lang: str) -> tuple[CueFlag, ...]:
    """The cues a track marks `fast` (they read faster than the language's hard limit)."""
    limit = rules_for(lang).hard_cps
    flags = []
    for cue in cues:
        if "fast" in cue.classes:
            chars = len(cue.text.replace("\n", ""))
            cps = chars * 1000 / max(1, cue.end_ms - cue.start_ms)
            flags.append(CueFlag(cue.start_ms, cue.end_ms, cue.text, lang,
                                 detail=f"{cps:.1f} chars/s (limit {limit:g})"))
    return tuple(flags)


def claims_tracks(
    video_id: str, aligned: Mapping[str, Keyed[NoteAlignment]], notes: Sequence[Note],
    translations: Mapping[str, Mapping[str, Keyed[TranslatedNote]]], ctx: RunContext,
) -> Outcome[None]:
    """The video's claims tracks, one per language (the notes' claims at their times): a
    note's claims as written go in its own language's track, and in a target's when it is
    in that language (not translated into it)."""
    began = time.perf_counter()
    paths = [str(n.path) for n in notes]
    own = {str(n.path): _own_language(n, translations, ctx) for n in notes}
    texts: dict[str, dict[tuple[str, int], str]] = {}
    for note in notes:
        written = own[str(note.path)]
        as_written = {(str(note.path), c.index): c.text for c in note.claims}
        texts.setdefault(written, {}).update(as_written)
        for lang in translations:
            if model_language(lang) == written != lang:
                texts.setdefault(lang, {}).update(as_written)
    for lang, by_path in translations.items():
        texts.setdefault(lang, {}).update({(p, i): t for p, tr in by_path.items()
                                           if p in paths for i, t in tr.value.claims})
    key = stage_key(
        "claims_tracks", video_id, [[p, aligned[p].key if p in aligned else None]
                                    for p in paths],
        {lang: sorted([list(k), v] for k, v in by_claim.items())
         for lang, by_claim in sorted(texts.items())}, ctx.out_key,
        _edited(ctx, [ctx.layout.claims_track(video_id, lang) for lang in texts]))
    hit = _reuse(ctx, "claims_tracks", key)
    if hit is not None:
        return hit
    parts = []
    for lang, by_claim in texts.items():
        items = []
        for note in notes:
            if str(note.path) in aligned:
                mine = {i: t for (p, i), t in by_claim.items() if p == str(note.path)}
                items.extend(claim_items(aligned[str(note.path)].value, mine))
        items.sort(key=lambda it: it.start_ms)
        cues = claims_cues(items, rules_for(lang)) if items else []
        if cues:
            prov = provenance(kind="claims track", video=video_id, language=lang)
            path, kept = _track_place(ctx, ctx.layout.claims_track(video_id, lang))
            _, srt = _write_track(ctx, path, cues, prov)
            parts.append(Outcome(None, outputs=(_track_output("claims_track", path, srt, lang,
                                                              cues, ctx),), conflicts=kept))
    made = Outcome.join(None, parts).but(records=(TaskRecord("claims_tracks", video_id, "ran"),))
    return _keep(ctx, "claims_tracks", key, made, began)


# --------------------------------------------------------------------------- render


def render_note(
    note: Note, aligned: Keyed[NoteAlignment], translated: Keyed[TranslatedNote],
    transcript_lang: str | None, flags: Sequence[CueFlag], ctx: RunContext,
    track_missing: str = "",
) -> Outcome[None]:
    """The translated note, the bilingual note and the review page of one note and language.

    First the reviewers' edits of the outputs are read back into the review store, and its
    approved translations replace the engine's (`reviewing`); an edit that cannot be read
    back is kept, the new version written beside it. Quotes not translated, and the
    video's transcript track in this language when it was not written (`track_missing`:
    why), are said with the reason in the outputs themselves (`untranslated` provenance)."""
    began = time.perf_counter()
    item = note_item(note, translated.value.lang)
    try:
        approvals, conflicts = read_edits(note, translated.value.lang, ctx)
        ReviewStore(ctx.settings.review_path).add(approvals)
    except InterlinearError as exc:  # the review store cannot be written: nothing is lost
        return Outcome(None, failures=(Failure.of("review", item, exc),),
                       records=(TaskRecord("render", item, "ran"),))
    tr, reviews, unread = apply_reviews(note, translated.value, ctx)
    lang = tr.lang
    signature = ctx.aligner.identity()
    quote_engine = (ctx.engines.ident(transcript_lang, model_language(lang))
                    if transcript_lang and transcript_lang != model_language(lang) else None)
    key = stage_key("render", translated.key, aligned.key, str(note.path), note.channel,
                    lang, transcript_lang, quote_engine, signature,
                    [[f.start_ms, f.end_ms, f.text] for f in flags], ctx.out_key,
                    [[i, r.status, r.text, r.reviewer, r.at] for i, r in sorted(reviews.items())],
                    sorted(conflicts.items()), len(approvals), track_missing)
    hit = _reuse(ctx, "render", key) if not approvals else None
    if hit is not None:
        return hit
    quotes = quote_translations(aligned.value, transcript_lang, lang, item, ctx)
    prov = provenance(engine=tr.engine, model=tr.model, glossary=tr.glossary_hash,
                      glossary_terms=glossary_terms_key(ctx.glossary, note.render(),
                                                        model_language(lang))[:16],
                      **({} if aligned.value.video_id is None else {"alignment": signature}),
                      note=note_key(note, ctx).removesuffix(".md"),
                      lang=lang, **_note_lang(tr),
                      **({"markup_placed_by": tr.placed_by} if tr.placed_by else {}),
                      **_quotes_by(quote_engine, transcript_lang, lang),
                      **untranslated(quotes, track_missing))
    record = (TaskRecord("render", item, "ran"),)
    review_warnings = (*(Failure("review", str(ctx.settings.review_path), w) for w in unread),
                       *(Failure("review", item, w) for w in disagreements(approvals)))
    try:
        written = write_note_outputs(note, tr, aligned.value, quotes.value, prov, flags, ctx,
                                     reviews=reviews, conflicts=conflicts)
    except InterlinearError as exc:
        failed = Outcome(None, failures=(*quotes.failures, Failure.of("render", item, exc)),
                         warnings=(*quotes.warnings, *review_warnings), records=record)
        return _keep(ctx, "render", key, failed, began)
    made = Outcome.join(None, [quotes, written, Outcome(None, warnings=review_warnings)]).but(
        records=record)
    return _keep(ctx, "render", key, made, began)


def render_page(note: Note, translations: Mapping[str, Keyed[TranslatedNote]], ctx: RunContext
                ) -> Outcome[None]:
    """A page's outputs (a note of no video: `VaultScan.pages`) in every language it was
    translated into: `render_note` with no transcript or tracks, its citations (a note whose
    videoId is missing or unusable) unchecked."""
    checks = tuple(replace(c, reason="the note names no usable videoId: not checked")
                   for c in ctx.aligner.align(note, None).checks)
    unaligned = Keyed(NoteAlignment(note.path, None, None, None, checks),
                      content_key("page", note.render()))
    return Outcome.join(None, [render_note(note, unaligned, tr, None, (), ctx)
                               for tr in translations.values()])


def _own_language(note: Note, translations: Mapping[str, Mapping[str, Keyed[TranslatedNote]]],
                  ctx: RunContext) -> str:
    """The language a note is written in: as its translations say, else found again."""
    for by_path in translations.values():
        if str(note.path) in by_path:
            return by_path[str(note.path)].value.source
    return note_language(note, ctx.settings.source_lang, ctx.detect).lang


def _note_lang(tr: TranslatedNote) -> dict[str, object]:
    """The language the note was translated from, and the detection's confidence when it
    was detected from its prose (`interlinear_note_lang`, `interlinear_note_lang_confidence`)."""
    found: dict[str, object] = {"note_lang": tr.source}
    if tr.detected is not None:
        found["note_lang_confidence"] = tr.detected
    return found


def _quotes_by(ident: Signature | None, transcript_lang: str | None, lang: str
               ) -> dict[str, str]:
    """Who translates the quotes, when they are translated (both legs of a pivot)."""
    if ident is None or ident.kind != "engine":
        return {}
    fields = dict(ident.fields)
    return {"quotes": f"{transcript_lang}->{model_language(lang)}",
            "quotes_engine": str(fields["engine"]), "quotes_model": str(fields["model"])}


def untranslated(quotes: Outcome[dict[int, str]], track_missing: str) -> dict[str, str]:
    """What the outputs say is not translated, and why: the quotes (no model for the pair,
    the transcript's language unknown, the engine failed on some) and the transcript track
    in this language (`UNTRANSLATED_QUOTES`, `UNTRANSLATED_TRACK` of `render`)."""
    said = {}
    reasons = [f.reason for f in (*quotes.failures, *quotes.warnings)]
    if reasons:
        said[UNTRANSLATED_QUOTES] = reasons[0]
    if track_missing:
        said[UNTRANSLATED_TRACK] = track_missing
    return said


def track_missing(tracks: Outcome[None], video_id: str, lang: str) -> str:
    """Why the video's transcript track in `lang` was not written ("" when it was)."""
    item = f"{video_id} transcript track [{lang}]"
    return next((f.reason for f in (*tracks.failures, *tracks.warnings) if f.item == item), "")


def quote_translations(alignment: NoteAlignment, transcript_lang: str | None, lang: str,
                       item: str, ctx: RunContext) -> Outcome[dict[int, str]]:
    """Each citation's quote (transcript language) in `lang`, keyed by citation index; a
    quote the engine could not translate is a failure of the note, never its source text.
    A missing model is a warning (the quotes are shown untranslated)."""
    if transcript_lang is None:
        return Outcome({})
    idx = [i for i, c in enumerate(alignment.checks) if c.segment is not None]
    cut = [check_quote_of(alignment.checks[i]) for i in idx]
    if not cut:
        return Outcome({})
    lang = model_language(lang)
    if transcript_lang == lang:
        return Outcome({alignment.checks[i].citation.index: str(q)
                        for i, q in zip(idx, cut, strict=True) if q.body})
    try:
        engine = ctx.engines.plain(transcript_lang, lang)
    except ModelMissingError as exc:
        return Outcome({}, warnings=(Failure("translate", item,
                                             f"quotes not translated: {exc.reason}"),))
    # the words only: a cut's "…" is put back around the translation
    batch = translate_safely(engine, [q.body for q in cut], transcript_lang, lang)
    quotes = {alignment.checks[i].citation.index: q.around(o)
              for i, q, o in zip(idx, cut, batch.outputs, strict=True) if o}
    failures: tuple[Failure, ...] = ()
    if batch.failures:
        cited = ", ".join(alignment.checks[idx[f.index]].citation.written
                          for f in batch.failures)
        failures = (Failure("translate", item, f"quotes at {cited} not translated: "
                                               f"{batch.failures[0].reason}"),)
    return Outcome(quotes, failures=failures)


def write_note_outputs(
    note: Note, translated: TranslatedNote, alignment: NoteAlignment | None,
    quotes: Mapping[int, str], prov: Mapping[str, object], flags: Sequence[CueFlag],
    ctx: RunContext, *, reviews: Mapping[int, BlockReview] | None = None,
    conflicts: Mapping[str, str] | None = None,
) -> Outcome[None]:
    """The translated note, the bilingual note and the review page of one note and language.

    An output in `conflicts` (a person's edit the run could not read back) is left as it
    is: its new version goes beside it (`SLUG.new.md`) and the conflict is reported."""
    layout = ctx.layout
    lang = translated.lang
    reviews = reviews or {}
    conflicts = conflicts or {}
    page = layout.review_page(note, lang)
    page_rel = layout.relative(page).removeprefix("review/")
    source = NoteSource.of(note.path, ctx.settings.vault)
    counts = review_counts(note, reviews)
    reviewed = (counts["approved"], counts["machine"], counts["review_again"])
    files = (
        ("translated_note", layout.translated_note(note, lang),
         translated_note_regions(translated, prov)[0]),
        ("bilingual_note", layout.bilingual_note(note, lang),
         bilingual_note_regions(note, translated, alignment, quotes, prov)[0]),
        ("review_page", page, review_note_page(
            note, translated, alignment, quotes, translated.terms, flags, lang=lang,
            index_href=relative_href(page_rel, "index.html"), provenance=prov,
            reviews=reviews, source=source, reviewed=reviewed)),
    )
    outputs, kept = [], []
    for kind, path, text in files:
        target = path
        if kind in conflicts and _holds(path, text):  # e.g. written by a run killed before
            conflicts = {k: v for k, v in conflicts.items() if k != kind}  # it recorded it
        if kind in conflicts:
            target = beside(path)
            kept.append(Failure("conflict", layout.relative(path), (
                f"edited by hand and not read back ({conflicts[kind]}): kept as it is; "
                f"the new version is {layout.relative(target)}")))
        atomic_write_text(target, text)
        if kind in NOTE_OUTPUTS and target == path:
            record_written(ctx, kind, path, text, note, translated, alignment, quotes, prov)
            with contextlib.suppress(OSError):
                beside(path).unlink(missing_ok=True)  # an earlier conflict, now resolved
        outputs.append(Output(
            kind, layout.relative(target), lang=lang, note=str(note.path),
            signature=str(prov.get("signature")),
            glossary=term_report(translated.terms) if kind == "translated_note" else None))
    entry = review_entry(note, translated, alignment, relative_href("index.html", page_rel),
                         lang=lang, flags=flags, reviewed=reviewed, source=source)
    return Outcome(None, outputs=tuple(outputs), entries=(entry,), conflicts=tuple(kept))


def _holds(path: Path, text: str) -> bool:
    """Whether the file at `path` is `text` already."""
    try:
        return path.read_bytes() == text.encode("utf-8")
    except OSError:
        return False


def term_report(terms: Sequence[TermCheck]) -> dict[str, object]:
    """Glossary compliance of one translated note: counts per status and each term's."""
    counts = Counter(t.status for t in terms)
    return {"found": counts["found"], "repaired": counts["repaired"],
            "missing": counts["missing"],
            "terms": [{"term": t.term, "expected": t.expected[0] if t.expected else "",
                       "occurrences": t.occurrences, "status": t.status} for t in terms]}


def names_in(glossary: Glossary, lang: str) -> list[str]:
    """The glossary's names as written in `lang`: kept on one subtitle line."""
    return [(t.expected(lang) or (t.source,))[0] for t in glossary.terms]


def _note_line(prov: Mapping[str, object]) -> str:
    return "Interlinear " + " ".join(f"{k}={v}" for k, v in prov.items())
