"""The run's stages as plain functions over values, for `flows/` to wire.

Each function does one stage for one item (a video, a language, a note) and returns
what it made plus what went wrong; none of them stops the batch.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InterlinearError, ModelMissingError
from .fileio import atomic_write_text
from .glossary import Glossary
from .layout import Layout
from .manifest import provenance
from .model import Note, NoteAlignment, TermCheck, Transcript, TranslatedNote
from .render import (
    CueFlag,
    ReviewEntry,
    bilingual_note,
    relative_href,
    review_entry,
    review_note_page,
    translated_note,
)
from .settings import RunSettings
from .subtitles import (
    claim_items,
    claims_cues,
    cue_groups,
    cues_from_segments,
    rules_for,
    translated_cues,
    write_track,
)
from .translate import (
    CachedEngine,
    TranslationEngine,
    TranslationMemory,
    choose_engine,
    translate_safely,
)
from .translate.note import translate_notes
from .vault import Failure


@dataclass
class Produced:
    """What a stage wrote, and what it could not do."""

    outputs: list[dict[str, object]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    warnings: list[Failure] = field(default_factory=list)
    flags: list[CueFlag] = field(default_factory=list)

    def merge(self, other: Produced) -> Produced:
        self.outputs += other.outputs
        self.failures += other.failures
        self.warnings += other.warnings
        self.flags += other.flags
        return self


def _missing(settings: RunSettings, produced: Produced, item: str, exc: InterlinearError) -> None:
    """A missing model: a failure of that language, or a warning when the user allowed it."""
    entry = Failure("translate", item, exc.reason)
    (produced.warnings if settings.allow_missing_models else produced.failures).append(entry)


class Engines:
    """One engine per language pair, wrapped in the translation memory; built lazily."""

    def __init__(self, settings: RunSettings, memory: TranslationMemory, glossary: Glossary):
        self.settings, self.memory, self.glossary = settings, memory, glossary
        self._engines: dict[tuple[str, str], CachedEngine | ModelMissingError] = {}
        self._plain: dict[tuple[str, str], CachedEngine] = {}

    def get(self, source: str, target: str) -> CachedEngine:
        """The engine for the pair; ModelMissingError when none has a model."""
        key = (source, target)
        if key not in self._engines:
            try:
                inner: TranslationEngine = choose_engine(source, target, self.settings.engine)
                self._engines[key] = CachedEngine(inner, self.memory, self.glossary.hash)
            except ModelMissingError as exc:
                self._engines[key] = exc
        found = self._engines[key]
        if isinstance(found, ModelMissingError):
            raise found
        return found

    def plain(self, source: str, target: str) -> CachedEngine:
        """The pair's engine for texts translated without the glossary (quotes, claims,
        subtitle cues): the memory keys them without the glossary's hash, so a glossary
        change does not send them to the engine again. ModelMissingError as `get`."""
        key = (source, target)
        if key not in self._plain:
            self._plain[key] = CachedEngine(self.get(source, target).engine, self.memory, "")
        return self._plain[key]

    def describe(self) -> dict[str, dict[str, object]]:
        return {
            f"{s}->{t}": ({"engine": e.name, "model": e.model_id(s, t)}
                          if isinstance(e, CachedEngine) else {"missing": e.reason})
            for (s, t), e in sorted(self._engines.items())
        }


def translate_language(
    notes: Sequence[Note], lang: str, settings: RunSettings, engines: Engines, glossary: Glossary,
) -> tuple[list[TranslatedNote], Produced]:
    """Every note into `lang`, in one batch across notes."""
    produced = Produced()
    todo = [n for n in notes if lang != (settings.source_lang or "en")]
    if not todo:
        return [], produced
    try:
        engine = engines.get(settings.source_lang, lang)
    except ModelMissingError as exc:
        _missing(settings, produced, lang, exc)
        return [], produced
    result = translate_notes(todo, lang, engine, glossary, source=settings.source_lang)
    for tr in result:
        for failed in tr.failures:
            produced.failures.append(Failure("translate", f"{tr.note.path} [{lang}]", failed))
    return result, produced


def translate_texts(
    texts: Sequence[str], source: str, target: str, engines: Engines,
) -> list[str | None]:
    """Short texts (quotes, claims, cue groups) into `target`; None where not possible."""
    if not texts:
        return []
    if source == target:
        return list(texts)
    engine = engines.plain(source, target)
    return list(translate_safely(engine, texts, source, target).outputs)


def quote_text(alignment: NoteAlignment, index: int) -> str:
    check = alignment.checks[index]
    segs = check.context or ((check.segment,) if check.segment else ())
    return " ".join(s.text for s in segs)


def quote_translations(
    alignment: NoteAlignment | None, transcript_lang: str | None, lang: str,
    engines: Engines, settings: RunSettings, produced: Produced, item: str,
) -> dict[int, str]:
    """Each citation's quote (transcript language) in `lang`, keyed by citation index."""
    if alignment is None or transcript_lang is None:
        return {}
    idx = [i for i, c in enumerate(alignment.checks) if c.segment is not None]
    texts = [quote_text(alignment, i) for i in idx]
    try:
        outs = translate_texts(texts, transcript_lang, lang, engines)
    except ModelMissingError as exc:
        produced.warnings.append(Failure("translate", item, f"quotes not translated: {exc.reason}"))
        return {}
    return {alignment.checks[i].citation.index: o for i, o in zip(idx, outs, strict=True) if o}


def video_tracks(
    video_id: str, transcript: Transcript | None, alignments: Sequence[tuple[Note, NoteAlignment]],
    claim_texts: Mapping[str, Mapping[tuple[str, int], str]], settings: RunSettings,
    engines: Engines, layout: Layout, glossary: Glossary,
) -> Produced:
    """The video's transcript tracks (its own language and each target) and claims tracks.

    `claim_texts[lang][(note path, claim index)]` is each claim's text in `lang`.
    """
    produced = Produced()
    if transcript is not None and transcript.segments:
        tlang = transcript.language
        prov = provenance(kind="transcript track", video=video_id, language=tlang,
                          track=transcript.origin or transcript.source)
        cues = cues_from_segments(transcript.segments, rules_for(tlang), names_in(glossary, tlang))
        if cues:  # a transcript of nothing but punctuation gives no track
            path = layout.transcript_track(video_id, tlang)
            _, srt = write_track(path, cues, header_note=_note_line(prov))
            produced.outputs.append({"kind": "transcript_track", "path": layout.relative(path),
                                     "srt": layout.relative(srt), "lang": tlang,
                                     "cues": len(cues)})
        groups = cue_groups(transcript.segments, rules_for(tlang))
        for lang in settings.languages:
            if lang == tlang:
                continue
            try:
                outs = translate_texts([g.text for g in groups], tlang, lang, engines)
            except ModelMissingError as exc:
                _missing(settings, produced, f"{video_id} transcript track [{lang}]", exc)
                continue
            texts = [o if o else g.text for o, g in zip(outs, groups, strict=True)]
            engine = engines.get(tlang, lang)
            tcues = translated_cues(groups, texts, rules_for(lang), names_in(glossary, lang))
            if not tcues:
                continue
            prov = provenance(kind="translated transcript track", video=video_id, language=lang,
                              engine=engine.name, model=engine.model_id(tlang, lang))
            path = layout.transcript_track(video_id, lang)
            _, srt = write_track(path, tcues, header_note=_note_line(prov))
            produced.outputs.append({"kind": "transcript_track", "path": layout.relative(path),
                                     "srt": layout.relative(srt), "lang": lang,
                                     "cues": len(tcues)})
    for lang, by_claim in claim_texts.items():
        items = []
        for note, alignment in alignments:
            mine = {i: t for (p, i), t in by_claim.items() if p == str(note.path)}
            items.extend(claim_items(alignment, mine))
        items.sort(key=lambda it: it.start_ms)
        if not items:
            continue
        cues = claims_cues(items, rules_for(lang))
        if not cues:
            continue
        prov = provenance(kind="claims track", video=video_id, language=lang)
        path = layout.claims_track(video_id, lang)
        _, srt = write_track(path, cues, header_note=_note_line(prov))
        produced.outputs.append({"kind": "claims_track", "path": layout.relative(path),
                                 "srt": layout.relative(srt), "lang": lang, "cues": len(cues)})
    return produced


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


def write_note_outputs(
    note: Note, translated: TranslatedNote, alignment: NoteAlignment | None,
    quotes: Mapping[int, str], prov: Mapping[str, object], layout: Layout,
    flags: Sequence[CueFlag] = (),
) -> tuple[Produced, ReviewEntry]:
    """The translated note, the bilingual note and the review page of one note and language."""
    produced = Produced()
    lang = translated.lang
    paths = {
        "translated_note": (layout.translated_note(note, lang), translated_note(translated, prov)),
        "bilingual_note": (layout.bilingual_note(note, lang),
                           bilingual_note(note, translated, alignment, quotes, prov)),
    }
    page = layout.review_page(note, lang)
    page_rel = layout.relative(page).removeprefix("review/")
    index_href = relative_href(page_rel, "index.html")
    paths["review_page"] = (page, review_note_page(
        note, translated, alignment, quotes, translated.terms, flags, lang=lang,
        index_href=index_href, provenance=prov))
    for kind, (path, text) in paths.items():
        atomic_write_text(path, text)
        produced.outputs.append({"kind": kind, "path": layout.relative(path), "lang": lang,
                                 "note": str(note.path), "signature": prov.get("signature")})
        if kind == "translated_note":
            produced.outputs[-1]["glossary"] = term_report(translated.terms)
    entry = review_entry(note, translated, alignment, relative_href("index.html", page_rel),
                         lang=lang, flags=flags)
    return produced, entry


def out_path(layout: Layout, rel: str) -> Path:
    return layout.out / rel
