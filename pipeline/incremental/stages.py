"""The run's stages with stored results: a stage whose inputs did not change reuses them.

Each function does one stage for one item (a video, a language, a note) like
`pipeline.produce`, looks its key up in the `ResultStore` first and stores what it made
after; it returns what it made or reused, what went wrong, and one `TaskRecord` per item
(`ran` or `cached`). Results with failures are not stored, so the next run tries again.
Results that wrote files are reused only while those files are intact.

Keys (all include the package version, see `content_key`):
- align: note text, transcript content, aligner signature;
- translate: note text, languages, engine, model, engine options, and the renderings of
  only the glossary terms the note contains (`glossary_terms_key`);
- tracks (a video's transcript tracks): transcript content, target languages, engine and
  model per pair, the glossary's names in those languages, output folder;
- claims_tracks: the video's notes, their alignments and claim texts per language;
- render (a note's three outputs in one language): its translation and alignment keys,
  the note's place, the quote engine, output folder.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace

from ..errors import InterlinearError, ModelMissingError
from ..glossary import Glossary
from ..layout import Layout
from ..manifest import provenance
from ..model import Note, NoteAlignment, TermCheck, Transcript, TranslatedNote
from ..produce import (
    Engines,
    Produced,
    quote_translations,
    translate_language,
    translate_texts,
    video_tracks,
    write_note_outputs,
)
from ..render import ReviewEntry
from ..settings import RunSettings
from ..vault import Failure
from .store import (
    ResultStore,
    TaskRecord,
    content_key,
    digests,
    glossary_names_key,
    glossary_terms_key,
    outputs_intact,
    transcript_hash,
)

Lock = AbstractContextManager[object]


@dataclass(frozen=True)
class Context:
    """What every stage needs; built once per process (engines and models are heavy)."""

    settings: RunSettings
    store: ResultStore
    engines: Engines
    glossary: Glossary
    # held around every use of a native model (engines, embedder): one at a time
    lock: Lock = field(default_factory=contextlib.nullcontext)

    @property
    def layout(self) -> Layout:
        return Layout(self.settings.out)

    @property
    def out_key(self) -> str:
        return str(self.settings.out.resolve())


def note_item(note: Note, lang: str | None = None) -> str:
    return f"{note.path} [{lang}]" if lang else str(note.path)


def _engine_ident(engines: Engines, source: str, target: str) -> list[str]:
    """Engine, model and options of a pair, or why there is none (keys only)."""
    try:
        key = engines.get(source, target).key(source, target)
    except ModelMissingError as exc:
        return ["missing", exc.reason]
    return [key.engine, key.model, key.options]


# --------------------------------------------------------------------------- align


@dataclass
class Aligned:
    alignments: list[NoteAlignment]
    keys: dict[str, str]  # note path -> align key
    records: list[TaskRecord]


def align_stage(
    notes: Sequence[Note], transcript: Transcript | None,
    align: Callable[[Note, Transcript | None], NoteAlignment], signature: str, ctx: Context,
) -> Aligned:
    """Each note aligned to the transcript, or its stored alignment."""
    done = Aligned([], {}, [])
    thash = transcript_hash(transcript)
    for note in notes:
        key = content_key("align", note.render(), thash, signature)
        done.keys[str(note.path)] = key
        hit = ctx.store.get("align", key)
        if isinstance(hit, NoteAlignment):
            done.alignments.append(replace(hit, note_path=note.path))
            done.records.append(TaskRecord("align", note_item(note), "cached"))
            continue
        with ctx.lock:
            alignment = align(note, transcript)
        ctx.store.put("align", key, alignment)
        done.alignments.append(alignment)
        done.records.append(TaskRecord("align", note_item(note), "ran"))
    return done


# --------------------------------------------------------------------------- translate


@dataclass(frozen=True)
class _Stored:
    """A note's translation into one language, without the note (it may have moved)."""

    blocks: tuple[str, ...]
    title: str
    engine: str
    model: str
    glossary_hash: str
    terms: tuple[TermCheck, ...]
    claims: tuple[tuple[int, str], ...]  # claim index -> its text in the language


@dataclass
class Translated:
    lang: str
    notes: list[TranslatedNote] = field(default_factory=list)
    claims: dict[tuple[str, int], str] = field(default_factory=dict)  # (path, claim) -> text
    keys: dict[str, str] = field(default_factory=dict)  # note path -> translate key
    produced: Produced = field(default_factory=Produced)
    records: list[TaskRecord] = field(default_factory=list)

    def for_notes(self, notes: Sequence[Note]) -> Translated:
        """The part of this language's result that concerns `notes` (one video's)."""
        paths = {str(n.path) for n in notes}
        return Translated(
            self.lang, [t for t in self.notes if str(t.note.path) in paths],
            {k: v for k, v in self.claims.items() if k[0] in paths},
            {k: v for k, v in self.keys.items() if k in paths})


def translation_key(note: Note, lang: str, ctx: Context) -> str:
    s = ctx.settings
    text = note.render()
    return content_key("translate", text, s.source_lang, lang,
                       _engine_ident(ctx.engines, s.source_lang, lang),
                       glossary_terms_key(ctx.glossary, text, lang))


def translate_stage(notes: Sequence[Note], lang: str, ctx: Context) -> Translated:
    """Every note into `lang`: stored translations reused, the others in one batch."""
    s = ctx.settings
    done = Translated(lang)
    if lang == s.source_lang or not notes:
        return done
    try:
        ctx.engines.get(s.source_lang, lang)
    except ModelMissingError:
        with ctx.lock:  # records the missing model as a failure or warning of the language
            _, produced = translate_language(notes, lang, s, ctx.engines, ctx.glossary)
        done.produced.merge(produced)
        return done
    stored: dict[str, _Stored] = {}
    todo: list[Note] = []
    for note in notes:
        key = done.keys[str(note.path)] = translation_key(note, lang, ctx)
        hit = ctx.store.get("translate", key)
        if isinstance(hit, _Stored):
            stored[str(note.path)] = hit
        else:
            todo.append(note)
    fresh: dict[str, TranslatedNote] = {}
    if todo:
        with ctx.lock:
            made, produced = translate_language(todo, lang, s, ctx.engines, ctx.glossary)
            claims = [(str(n.path), c.index, c.text) for n in todo for c in n.claims if c.text]
            try:
                outs = translate_texts([c[2] for c in claims], s.source_lang, lang, ctx.engines)
            except InterlinearError as exc:
                outs = [None] * len(claims)
                done.produced.warnings.append(
                    Failure("translate", lang, f"claims not translated: {exc.reason}"))
        done.produced.merge(produced)
        by_note: dict[str, list[tuple[int, str | None]]] = {}
        for (path, index, _), out in zip(claims, outs, strict=True):
            by_note.setdefault(path, []).append((index, out))
        for tr in made:
            path = str(tr.note.path)
            texts = by_note.get(path, [])
            entry = _Stored(tr.blocks, tr.title, tr.engine, tr.model, tr.glossary_hash,
                            tr.terms, tuple((i, o) for i, o in texts if o))
            if not tr.failures and all(o for _, o in texts):
                ctx.store.put("translate", done.keys[path], entry)
            fresh[path] = tr
            stored[path] = entry
    for note in notes:
        path = str(note.path)
        got = stored.get(path)
        if got is None:  # the engine gave nothing for it: its failure is recorded
            continue
        tr = fresh.get(path) or TranslatedNote(
            note=note, lang=lang, blocks=got.blocks, title=got.title, engine=got.engine,
            model=got.model, glossary_hash=got.glossary_hash, terms=got.terms)
        done.notes.append(tr)
        done.claims.update({(path, i): t for i, t in got.claims})
        done.records.append(TaskRecord("translate", note_item(note, lang),
                                       "ran" if path in fresh else "cached"))
    return done


# --------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class _Written:
    produced: Produced
    files: dict[str, str]  # output path (relative) -> sha256
    entry: ReviewEntry | None = None


def _reuse(ctx: Context, stage: str, key: str) -> _Written | None:
    hit = ctx.store.get(stage, key)
    if isinstance(hit, _Written) and outputs_intact(ctx.settings.out, hit.files):
        return hit
    return None


def _keep(ctx: Context, stage: str, key: str, produced: Produced,
          entry: ReviewEntry | None = None) -> None:
    if produced.failures:
        return
    files = digests(ctx.settings.out, written_files(produced))
    ctx.store.put(stage, key, _Written(produced, files, entry))


def written_files(produced: Produced) -> list[str]:
    """The files of a stage's outputs (relative paths): each output, and the `.srt` written
    beside each subtitle track."""
    found: list[str] = []
    for o in produced.outputs:
        path = str(o["path"])
        found.append(path)
        if path.endswith(".vtt"):
            found.append(str(o.get("srt") or path.removesuffix(".vtt") + ".srt"))
    return found


def tracks_stage(video_id: str, transcript: Transcript | None, ctx: Context
                 ) -> tuple[Produced, list[TaskRecord]]:
    """The video's transcript tracks: its own language and each target language."""
    if transcript is None or not transcript.segments:
        return Produced(), []
    s = ctx.settings
    tlang = transcript.language
    key = content_key(
        "tracks", video_id, transcript_hash(transcript), list(s.languages),
        {lang: _engine_ident(ctx.engines, tlang, lang) for lang in s.languages if lang != tlang},
        glossary_names_key(ctx.glossary, [tlang, *s.languages]), s.allow_missing_models,
        ctx.out_key)
    hit = _reuse(ctx, "tracks", key)
    if hit is not None:
        return hit.produced, [TaskRecord("tracks", video_id, "cached")]
    with ctx.lock:
        produced = video_tracks(video_id, transcript, [], {}, s, ctx.engines, ctx.layout,
                                ctx.glossary)
    _keep(ctx, "tracks", key, produced)
    return produced, [TaskRecord("tracks", video_id, "ran")]


def claims_stage(
    video_id: str, pairs: Sequence[tuple[Note, NoteAlignment]], align_keys: Mapping[str, str],
    claim_texts: Mapping[str, Mapping[tuple[str, int], str]], ctx: Context,
) -> tuple[Produced, list[TaskRecord]]:
    """The video's claims tracks, one per language (the notes' claims at their times)."""
    paths = [str(n.path) for n, _ in pairs]
    key = content_key(
        "claims_tracks", video_id, [[p, align_keys.get(p)] for p in paths],
        {lang: sorted([list(k), v] for k, v in texts.items() if k[0] in paths)
         for lang, texts in sorted(claim_texts.items())}, ctx.out_key)
    hit = _reuse(ctx, "claims_tracks", key)
    if hit is not None:
        return hit.produced, [TaskRecord("claims_tracks", video_id, "cached")]
    produced = video_tracks(video_id, None, pairs, claim_texts, ctx.settings, ctx.engines,
                            ctx.layout, ctx.glossary)
    _keep(ctx, "claims_tracks", key, produced)
    return produced, [TaskRecord("claims_tracks", video_id, "ran")]


def render_stage(
    note: Note, alignment: NoteAlignment, align_key: str, translated: TranslatedNote,
    translate_key: str, transcript_lang: str | None, align_signature: str, ctx: Context,
) -> tuple[Produced, ReviewEntry | None, TaskRecord]:
    """The translated note, the bilingual note and the review page of one note and language."""
    lang = translated.lang
    item = note_item(note, lang)
    quote_engine = (_engine_ident(ctx.engines, transcript_lang, lang)
                    if transcript_lang and transcript_lang != lang else [])
    key = content_key("render", translate_key, align_key, str(note.path), note.channel,
                      lang, transcript_lang, quote_engine, align_signature, ctx.out_key)
    hit = _reuse(ctx, "render", key)
    if hit is not None:
        return hit.produced, hit.entry, TaskRecord("render", item, "cached")
    produced = Produced()
    with ctx.lock:
        quotes = quote_translations(alignment, transcript_lang, lang, ctx.engines,
                                    ctx.settings, produced, item)
    prov = provenance(engine=translated.engine, model=translated.model,
                      glossary=translated.glossary_hash,
                      glossary_terms=glossary_terms_key(ctx.glossary, note.render(), lang)[:16],
                      alignment=align_signature, note=note.slug, lang=lang)
    try:
        done, entry = write_note_outputs(note, translated, alignment, quotes, prov, ctx.layout)
    except InterlinearError as exc:
        produced.failures.append(Failure("render", item, exc.reason))
        return produced, None, TaskRecord("render", item, "ran")
    produced.merge(done)
    _keep(ctx, "render", key, produced, entry)
    return produced, entry, TaskRecord("render", item, "ran")
