"""The run's first stages, each for one item and with one shape: key -> reuse or make ->
store. Fetch (a video's transcript), align (a video's notes), translate (every note into
one language, in one batch).

Keys (see `store.stage_key`: each also holds the package version and the code's fingerprint):
- align: note text, transcript content, aligner signature;
- translate: note text, languages (the note's own: `langid.note_language`), engine,
  model, engine options, the word vectors that place markup (`E5WordVectors`), and the
  renderings of only the glossary terms the note contains (`glossary_terms_key`; for a
  note not in English, also in English: a pivot's first leg).
Results with failures are not stored, so the next run tries again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from typing import Generic, Literal, TypeVar

from ..errors import InterlinearError, ModelMissingError, WriteError
from ..glossary.enforce import enforce
from ..langid import NOTE_LANG_KEY, NoteLanguage, note_language
from ..languages import model_language
from ..model import Note, NoteAlignment, Transcript, TranslatedNote
from ..review import decisions as review
from ..review.store import default_reviewer
from ..transcripts import FetchRequest, FetchResult, fetch_many
from ..translate import PIVOT, BoundedEngine, TranslationEngine, translate_safely
from ..translate.note import translate_notes
from ..translate.titles import common_words
from .context import RunContext
from .outcome import Failure, Outcome, TaskRecord
from .store import content_key, glossary_terms_key, stage_key, transcript_hash

T = TypeVar("T")


@dataclass(frozen=True)
class Keyed(Generic[T]):
    """A stage's result for one note, and the key it is stored under."""

    value: T
    key: str


def note_item(note: Note, lang: str | None = None) -> str:
    return f"{note.path} [{lang}]" if lang else str(note.path)


def cache_warnings(ctx: RunContext) -> tuple[Failure, ...]:
    """What this process's caches set aside since last asked (a damaged translation
    memory or embedding entry): said once, by the stage that came upon it."""
    found = [Failure("cache", "translation memory", w) for w in ctx.memory.take_warnings()]
    if ctx.aligner.cache is not None:
        found += [Failure("cache", "embeddings", w) for w in ctx.aligner.cache.take_warnings()]
    return tuple(found)


# --------------------------------------------------------------------------- fetch


def fetch_video(request: FetchRequest, ctx: RunContext,
                slot: Callable[[], AbstractContextManager[object]] = nullcontext,
                ) -> Outcome[FetchResult]:
    """Local files and the transcript cache first; YouTube (inside `slot`, a politeness
    limit shared by every run) after, unless offline."""
    s = ctx.settings
    result = None
    if not s.refresh:
        result = fetch_many([request], ctx.local_source, languages=s.transcript_langs,
                            detect=ctx.detect)[0]
    if (result is None or result.error) and not s.offline:
        first = result
        with slot():
            result = fetch_many([request], ctx.source, languages=s.transcript_langs,
                                detect=ctx.detect)[0]
        if first is not None and first.warnings:  # e.g. a damaged cache entry set aside
            result = replace(result, warnings=(*first.warnings, *result.warnings))
    assert result is not None
    record = TaskRecord("fetch", request.video_id,
                        "cached" if result.source == "cache" else "ran", result.seconds)
    failures = (Failure("fetch", request.video_id, result.error, result.transient),
                ) if result.error else ()
    return Outcome(result, failures=failures, records=(record,))


# --------------------------------------------------------------------------- align


def align_video(notes: Sequence[Note], transcript: Transcript | None, ctx: RunContext,
                record: bool = True) -> Outcome[dict[str, Keyed[NoteAlignment]]]:
    """Each note of a video aligned to its transcript, or its stored alignment, with the
    reviewers' decisions applied (`record`: new ticks are written to the review store)."""
    done: dict[str, Keyed[NoteAlignment]] = {}
    records = []
    thash = transcript_hash(transcript)
    signature = ctx.aligner.identity()
    failures: list[Failure] = []
    warnings = list(cache_warnings(ctx))
    for note in notes:
        began = time.perf_counter()
        key = stage_key("align", note.render(), thash, signature)
        hit = ctx.store.get("align", key)
        status: Literal["ran", "cached"] = "cached"
        if isinstance(hit, NoteAlignment):
            alignment = replace(hit, note_path=note.path)
        else:
            alignment, status = ctx.aligner.align(note, transcript), "ran"
            ctx.store.put("align", key, alignment)
        try:
            alignment, decided, unclear = decide_citations(note, alignment, transcript, ctx,
                                                           record)
            warnings += [Failure("review", str(note.path), why) for why in unclear]
        except WriteError as exc:  # the review store refused: the ticks stay in the notes
            failures.append(Failure.of("review", str(note.path), exc))
            decided = ""
        done[str(note.path)] = Keyed(alignment, content_key(key, decided) if decided else key)
        records.append(TaskRecord("align", note_item(note), status, time.perf_counter() - began))
    return Outcome(done, failures=tuple(failures), warnings=tuple(warnings),
                   records=tuple(records))


def decide_citations(note: Note, alignment: NoteAlignment, transcript: Transcript | None,
                     ctx: RunContext, record: bool = True
                     ) -> tuple[NoteAlignment, str, list[str]]:
    """The alignment with the reviewers' citation decisions applied: those of the review
    store, and the ones ticked in the note's bilingual notes in OUT since (read before the
    run rewrites them, and recorded in the store unless not `record`: a dry run). Also
    what applied, for the key, and the ticks that say two things at once (none recorded)."""
    if transcript is None:
        return alignment, "", []
    s = ctx.settings
    path = s.review_path
    key = review.note_key(note, s.vault)
    thash = transcript_hash(transcript)
    decided = review.current(review.load_decisions(path), key)
    as_decided = review.apply_decisions(alignment, note, decided, thash, transcript.segments)
    ticks = []
    for lang in s.languages:
        try:
            ticks += review.read_ticks(ctx.layout.bilingual_note(note, lang)
                                       .read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, InterlinearError):
            continue
    new = review.decisions_from_ticks(ticks, as_decided, note, key, thash,
                                      s.reviewer or default_reviewer())
    unclear = review.contradictory_ticks(ticks, as_decided, note)
    if new:
        if record:
            review.record(path, new)
        decided = review.current([*review.load_decisions(path), *([] if record else new)],
                                 key)
        as_decided = review.apply_decisions(alignment, note, decided, thash, transcript.segments)
    applied = [[c.citation.index, c.decision, c.resolved_ms] for c in as_decided.checks
               if c.decision]
    return as_decided, content_key("decisions", applied) if applied else "", unclear


# --------------------------------------------------------------------------- translate


def translation_key(note: Note, lang: str, ctx: RunContext, source: str | None = None) -> str:
    source = source or ctx.settings.source_lang
    text = note.render()
    return stage_key("translate", text, source, lang, ctx.engines.ident(source, lang),
                     ctx.words.model_id if ctx.words else "no word vectors",
                     glossary_terms_key(ctx.glossary, text, model_language(lang)),
                     ctx.glossary.lines.kept_in([text]),
                     *([glossary_terms_key(ctx.glossary.from_lang(source), text, PIVOT)]
                       if source != PIVOT else []))  # a pivot's first leg's terms


def missing_model(ctx: RunContext, item: str, exc: ModelMissingError, value: T) -> Outcome[T]:
    """A missing model: a failure of that item, or a warning when the user allowed it."""
    entry = Failure("translate", item, exc.reason)
    if ctx.settings.allow_missing_models:
        return Outcome(value, warnings=(entry,))
    return Outcome(value, failures=(entry,))


def translate_language(notes: Sequence[Note], lang: str, ctx: RunContext
                       ) -> Outcome[dict[str, Keyed[TranslatedNote]]]:
    """Every note and its claims into `lang`, from the note's own language (front matter
    `note_lang`, else detected, else the run's source language): one batch per source
    language. A note already in `lang` is not translated but taken as written (`as_written`,
    a warning says so), unless it is in the run's source language, which is never
    translated. `lang` may be a variant (`pt-BR`): translated into its language, named by
    the variant."""
    s = ctx.settings
    groups: dict[str, list[Note]] = {}
    said: dict[str, NoteLanguage] = {}
    kept: dict[str, Keyed[TranslatedNote]] = {}
    skipped = []
    for note in notes:
        known = said[str(note.path)] = note_language(note, s.source_lang, ctx.detect)
        if known.lang != model_language(lang):
            groups.setdefault(known.lang, []).append(note)
        elif known.lang != s.source_lang:
            kept[str(note.path)] = as_written(note, lang, known, ctx)
            skipped.append(Failure("translate", note_item(note, lang), (
                f"already in {known.lang} ({_how(known)}): not translated, written as it is")))
    parts = [_translate_from(group, source, lang, said, ctx)
             for source, group in groups.items()]
    done = {**kept, **{p: k for part in parts for p, k in part.value.items()}}
    return Outcome.join(done, [Outcome(None, warnings=tuple(skipped)), *parts])


def as_written(note: Note, lang: str, known: NoteLanguage, ctx: RunContext
               ) -> Keyed[TranslatedNote]:
    """A note already in `lang`, as its own "translation": the language's outputs hold
    every note of the vault (engine `none`, its blocks and claims as written)."""
    tr = TranslatedNote(note=note, lang=lang, blocks=tuple(b.text for b in note.blocks),
                        title=note.title, engine="none", model="none",
                        glossary_hash=ctx.glossary.hash,
                        claims=tuple((c.index, c.text) for c in note.claims if c.text),
                        source=known.lang, detected=known.confidence)
    return Keyed(tr, stage_key("translate", note.render(), known.lang, lang, "as written"))


def _how(known: NoteLanguage) -> str:
    return (f"detected, {known.confidence:.2f}" if known.how == "detected"
            else f"front matter {NOTE_LANG_KEY}")


def _translate_from(notes: Sequence[Note], source: str, lang: str,
                    said: Mapping[str, NoteLanguage], ctx: RunContext
                    ) -> Outcome[dict[str, Keyed[TranslatedNote]]]:
    """The notes written in `source` into `lang`: stored translations reused, the others
    in one batch. A note any part of which failed is reported and not stored."""
    try:
        ctx.engines.get(source, lang)
    except ModelMissingError as exc:
        item = lang if source == ctx.settings.source_lang else f"{lang} (from {source})"
        return missing_model(ctx, item, exc, {})
    began, since = time.perf_counter(), time.time()
    keys = {str(n.path): translation_key(n, lang, ctx, source) for n in notes}
    stored: dict[str, TranslatedNote] = {}
    for note in notes:
        hit = ctx.store.get("translate", keys[str(note.path)])
        if isinstance(hit, TranslatedNote):
            stored[str(note.path)] = replace(hit, note=note)
    todo = [n for n in notes if str(n.path) not in stored]
    looked_up = time.perf_counter()
    fresh, failures = _translate_fresh(todo, source, lang, keys, said, ctx)
    made = time.perf_counter()
    per_hit = (looked_up - began) / len(notes)  # the batch's time, shared by its notes
    per_fresh = per_hit + (made - looked_up) / max(1, len(fresh))
    done: dict[str, Keyed[TranslatedNote]] = {}
    records = []
    for note in notes:
        path = str(note.path)
        got = stored.get(path) or fresh.get(path)
        if got is None:
            continue
        done[path] = Keyed(got, keys[path])
        records.append(TaskRecord("translate", note_item(note, lang),
                                  "cached" if path in stored else "ran",
                                  per_hit if path in stored else per_fresh, began=since))
    return Outcome(done, failures=tuple(failures), warnings=cache_warnings(ctx),
                   records=tuple(records))


def _translate_fresh(notes: Sequence[Note], source: str, lang: str,
                     keys: Mapping[str, str], said: Mapping[str, NoteLanguage],
                     ctx: RunContext) -> tuple[dict[str, TranslatedNote], list[Failure]]:
    """Notes (blocks, title) and their claims translated; each whole one stored."""
    if not notes:
        return {}, []
    model = model_language(lang)
    made = [replace(tr, lang=lang, source=source, detected=said[str(tr.note.path)].confidence)
            for tr in translate_notes(notes, model, ctx.engines.get(source, model),
                                      ctx.glossary, source=source,
                                      alike=ctx.words)]
    claims = [(str(n.path), c.index, c.text) for n in notes for c in n.claims if c.text]
    common = {str(n.path): common_words(b.text for b in n.blocks) for n in notes}
    # a claim is its note's sentence without the citation, and often without the full
    # stop the sentence has after it: sent as the sentence (with the stop, through the
    # notes' engine), it is what the note's translation already sent, which the memory
    # answers, and it reads as the note's sentence does; the stop added is taken off again
    sent = [_with_stop(c[2]) for c in claims]
    engine = ctx.engines.get(source, model)
    batch = translate_safely(engine, sent, source, model,
                             common=[common[c[0]] for c in claims])
    outputs = _glossary_kept(sent, batch.outputs, engine, source, model, ctx)
    by_note: dict[str, list[tuple[int, str]]] = {}
    lost: dict[str, list[str]] = {}
    for (path, index, text), asked, out in zip(claims, sent, outputs, strict=True):
        if out is None:
            lost.setdefault(path, []).append(str(index + 1))
        else:
            added = asked != text
            by_note.setdefault(path, []).append(
                (index, out[:-1].rstrip() if added and out.endswith(".") else out))
    reasons = {f.index: f.reason for f in batch.failures}
    first_reason = next(iter(reasons.values()), "")
    fresh: dict[str, TranslatedNote] = {}
    failures: list[Failure] = []
    for tr in made:
        path = str(tr.note.path)
        tr = replace(tr, claims=tuple(by_note.get(path, [])))
        item = note_item(tr.note, lang)
        failures += [Failure("translate", item, reason) for reason in tr.failures]
        if path in lost:
            failures.append(Failure("translate", item, (
                f"claims {', '.join(lost[path])} not translated: {first_reason}")))
        if not tr.failures and path not in lost:
            ctx.store.put("translate", keys[path], tr)
        fresh[path] = tr
    return fresh, failures


def _glossary_kept(sources: Sequence[str], outputs: Sequence[str | None],
                   engine: TranslationEngine, source: str, target: str, ctx: RunContext
                   ) -> list[str | None]:
    """Claims' translations with the glossary's terms repaired as the notes' are
    (`glossary.enforce`), so that a claims track reads as the translated note does."""
    gl = ctx.glossary.for_lang(target)
    done = [i for i, out in enumerate(outputs) if out is not None]
    if not len(gl) or not done:
        return list(outputs)
    repaired, _ = enforce([sources[i] for i in done], [outputs[i] or "" for i in done],
                          BoundedEngine(engine), gl, source, target, prefixes=[""] * len(done))
    got = list(outputs)
    for i, out in zip(done, repaired, strict=True):
        got[i] = out
    return got


def _with_stop(text: str) -> str:
    """`text` ending in a full stop when it ends in no punctuation of a sentence's end
    (else `text` itself)."""
    end = text.rstrip()
    return text if not end or end[-1] in ".!?…:;" else end + "."
