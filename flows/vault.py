"""The vault flow: fetch each video's transcript once, align its notes, translate every
note into every language in large batches, and write the outputs and the manifest.

Tasks wire `pipeline` functions: per video a fetch, an align and an outputs task; per
language one translation task (one batch over the notes that need it). Every stage looks
its result up first (`pipeline.incremental`): an unchanged note is not aligned,
translated or rendered again, and `manifest.tasks` says per item what ran and what was
reused. A failing video or note ends its own task Failed (the others go on) and the run
still ends with the summary and the manifest. Only fetching is retried (transient
failures); fetches that go to YouTube hold a slot of the global concurrency limit
`youtube-fetch` when the server has one.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from prefect import flow, task
from prefect.cache_policies import NONE
from prefect.futures import PrefectFuture, as_completed
from prefect.states import Completed, Failed, State

from pipeline.align import alignment_report, summary_counts
from pipeline.errors import InterlinearError
from pipeline.fileio import atomic_write_text, exclusive_lock
from pipeline.incremental import (
    Aligned,
    TaskRecord,
    Translated,
    align_stage,
    claims_stage,
    render_stage,
    tracks_stage,
    translate_stage,
)
from pipeline.layout import Layout
from pipeline.manifest import Manifest
from pipeline.model import Note, NoteAlignment, Transcript
from pipeline.produce import Engines, Produced
from pipeline.render import ReviewEntry, review_index
from pipeline.settings import RunSettings, parse_languages
from pipeline.transcripts import FetchRequest, FetchResult, fetch_many
from pipeline.vault import Failure, VaultScan, scan_vault

from .progress import report
from .resources import glossary_dir, resources

log = logging.getLogger(__name__)
FETCH_LIMIT = "youtube-fetch"  # a global concurrency limit, when created on the server
T = TypeVar("T")


@dataclass
class VideoDone:
    """One video's outputs: what was written, the review entries, the task records."""

    produced: Produced = field(default_factory=Produced)
    entries: list[ReviewEntry] = field(default_factory=list)
    records: list[TaskRecord] = field(default_factory=list)


def _state(value: T, failed: str | None, records: Sequence[TaskRecord]) -> T | State[T]:
    """A task's end: Failed (with its partial value) when some item failed, `Cached` when
    every item was reused, else the value."""
    if failed:
        return Failed(message=failed, data=value)
    if records and all(r.status == "cached" for r in records):
        return Completed(name="Cached", data=value)
    return value


@task(name="scan vault", cache_policy=NONE)
def scan_task(settings: RunSettings) -> VaultScan:
    return scan_vault(settings.vault, max_bytes=settings.max_note_bytes)


@contextmanager
def youtube_slot() -> Iterator[None]:
    """Hold a slot of the global limit `youtube-fetch` (all runs, all machines); without
    the limit on the server, or without a server that has limits, go on unlimited."""
    from prefect.concurrency.sync import concurrency

    with ExitStack() as stack:
        try:
            stack.enter_context(concurrency(FETCH_LIMIT, occupy=1, strict=False))
        except Exception as exc:  # noqa: BLE001 - politeness must not stop the run
            log.warning("no global concurrency slot for %s (%s): fetching anyway",
                        FETCH_LIMIT, exc)
        yield


def _retry_transient(task: object, run: object, state: State[Any]) -> bool:
    data = state.data
    return isinstance(data, FetchResult) and data.transient


@task(name="fetch transcript", cache_policy=NONE, retries=1, retry_delay_seconds=5,
      retry_condition_fn=_retry_transient, tags=["youtube"])
def fetch_task(request: FetchRequest, settings: RunSettings) -> FetchResult | State[FetchResult]:
    """Local files and the transcript cache first; YouTube (holding a global slot) after."""
    res = resources(settings)
    langs = settings.transcript_langs
    result = None
    if not settings.refresh:
        result = fetch_many([request], res.local_source, languages=langs)[0]
    if (result is None or result.error) and not settings.offline:
        with youtube_slot():
            result = fetch_many([request], res.source, languages=langs)[0]
    assert result is not None
    return _state(result, result.error, [])


@task(name="align notes", cache_policy=NONE)
def align_task(video_id: str, notes: Sequence[Note], transcript: Transcript | None,
               settings: RunSettings) -> Aligned | State[Aligned]:
    res = resources(settings)
    done = align_stage(notes, transcript, res.aligner.align, res.aligner.signature(),
                       res.context)
    return _state(done, None, done.records)


@task(name="translate notes", cache_policy=NONE)
def translate_task(notes: Sequence[Note], lang: str, settings: RunSettings
                   ) -> Translated | State[Translated]:
    """All notes into one language: stored translations reused, the rest in one batch."""
    done = translate_stage(notes, lang, resources(settings).context)
    failed = "; ".join(f"{f.item}: {f.reason}" for f in done.produced.failures[:3])
    return _state(done, failed, done.records)


@task(name="video outputs", cache_policy=NONE)
def video_task(video_id: str, notes: Sequence[Note], transcript: Transcript | None,
               aligned: Aligned, translations: dict[str, Translated], settings: RunSettings
               ) -> VideoDone | State[VideoDone]:
    """The video's transcript and claims tracks, and each note's outputs per language."""
    res = resources(settings)
    ctx = res.context
    done = VideoDone()
    produced, records = tracks_stage(video_id, transcript, ctx)
    done.produced.merge(produced)
    done.records += records
    pairs = list(zip(notes, aligned.alignments, strict=True))
    claim_texts = {settings.source_lang: {(str(n.path), c.index): c.text
                                          for n in notes for c in n.claims}}
    for lang, tr in translations.items():
        claim_texts[lang] = tr.claims
    produced, records = claims_stage(video_id, pairs, aligned.keys, claim_texts, ctx)
    done.produced.merge(produced)
    done.records += records
    tlang = transcript.language if transcript else None
    for tr in translations.values():
        by_path = {str(t.note.path): t for t in tr.notes}
        for note, alignment in pairs:
            path = str(note.path)
            if path not in by_path:
                continue
            produced, entry, record = render_stage(
                note, alignment, aligned.keys[path], by_path[path], tr.keys[path], tlang,
                res.aligner.signature(), ctx)
            done.produced.merge(produced)
            done.records.append(record)
            if entry is not None:
                done.entries.append(entry)
    failed = "; ".join(f"{f.item}: {f.reason}" for f in done.produced.failures[:3])
    return _state(done, failed, done.records)


@flow(name="interlinear-vault", log_prints=True)
def vault_flow(
    vault: str, languages: list[str] | str, out: str = "output",
    transcripts: str | None = None, transcript_langs: list[str] | str | None = None,
    offline: bool = False, refresh: bool = False, engine: str | None = None,
    allow_missing_models: bool = False, cache_dir: str | None = None,
    glossary: str | None = None, original_lang: str | None = None,
) -> dict[str, object]:
    """Translate and check every note of a vault. Returns the manifest (also written).

    `cache_dir`: the shared caches (default $INTERLINEAR_CACHE); `glossary`: a folder of
    glossary files (default the project's `glossary/`); `original_lang`: the videos'
    language when a note does not say.
    """
    kwargs: dict[str, object] = {}
    if cache_dir:
        kwargs["cache_dir"] = Path(cache_dir)
    if glossary:
        kwargs["glossary_dir"] = Path(glossary)
    settings = RunSettings(
        vault=Path(vault), out=Path(out), languages=parse_languages(languages),
        transcripts=Path(transcripts) if transcripts else None,
        transcript_langs=parse_languages(transcript_langs), offline=offline, refresh=refresh,
        engine=engine, allow_missing_models=allow_missing_models,
        original_lang=original_lang or None, **kwargs,  # type: ignore[arg-type]
    )
    with exclusive_lock(settings.out):
        return run(settings)


def run(settings: RunSettings) -> dict[str, object]:
    began = time.monotonic()
    manifest = Manifest(vault=str(settings.vault), out=str(settings.out),
                        languages=list(settings.languages), settings=settings.public())
    scan = scan_task(settings)
    manifest.failures += scan.failures
    manifest.skipped += scan.skipped
    manifest.problems += [str(p) for p in scan.problems]
    manifest.inputs = [{"path": str(n.path), "video_id": n.video_id, "claims": len(n.claims),
                        "citations": len(n.citations)} for n in scan.notes]
    report("start", "notes", len(scan.notes), total=len(scan.by_video))
    res = resources(settings)
    manifest.glossary = {"dir": str(glossary_dir(settings)), "hash": res.glossary.hash,
                         "terms": len(res.glossary.terms)}
    videos = list(scan.by_video)
    translating = {lang: translate_task.submit(list(scan.notes), lang, settings)
                   for lang in settings.languages}
    fetching = {vid: fetch_task.submit(FetchRequest(vid, _original(scan.by_video[vid], settings)),
                                       settings) for vid in videos}
    fetched: dict[str, FetchResult] = {}
    aligning: dict[str, PrefectFuture[Any]] = {}
    for vid, fut in _completed(fetching):  # each video is aligned as soon as it is fetched
        fetched[vid] = _value(fut, lambda exc, v=vid: FetchResult(  # type: ignore[misc]
            v, None, "", "", 0, error=f"internal error: {type(exc).__name__}: {exc}"))
        report("fetch", vid)
        aligning[vid] = align_task.submit(vid, scan.by_video[vid], fetched[vid].transcript,
                                          settings)
    translations: dict[str, Translated] = {}
    for lang, tr_fut in translating.items():
        translations[lang] = _value(tr_fut, _crash(manifest, "translate", lang, Translated(lang)))
        report("translate", lang, len(scan.notes))
    aligned: dict[str, Aligned] = {}
    for vid, fut in _completed(aligning):
        got = _value(fut, _crash(manifest, "align", vid, None))
        if got is not None:
            aligned[vid] = got
        report("align", vid, len(scan.by_video[vid]))
    writing = {
        vid: video_task.submit(vid, scan.by_video[vid], fetched[vid].transcript, aligned[vid],
                               {lang: tr.for_notes(scan.by_video[vid])
                                for lang, tr in translations.items()}, settings)
        for vid in videos if vid in aligned}
    written: dict[str, VideoDone] = {}
    for vid, fut in _completed(writing):
        written[vid] = _value(fut, _crash(manifest, "render", vid, VideoDone()))
        report("render", vid, len(scan.by_video[vid]))
    _finish(manifest, settings, scan, fetched, translations, aligned, written)
    log.info("run over %d notes took %.1f s", len(scan.notes), time.monotonic() - began)
    return manifest.as_dict()


def _completed(futures: dict[str, PrefectFuture[Any]]
               ) -> Iterator[tuple[str, PrefectFuture[Any]]]:
    """(key, future) as each future finishes."""
    keys = {id(f): k for k, f in futures.items()}
    for fut in as_completed(list(futures.values())):
        yield keys[id(fut)], fut


def _value(future: PrefectFuture[Any], fallback: Callable[[BaseException], T]) -> T:
    """A task's value, also when it ended Failed; `fallback(exc)` when it crashed."""
    try:
        value = future.result(raise_on_failure=False)
    except Exception as exc:  # noqa: BLE001 - the task's own failure, not the run's
        return fallback(exc)
    if isinstance(value, BaseException):
        return fallback(value)
    return value


def _crash(manifest: Manifest, stage: str, item: str, empty: T) -> Callable[[BaseException], T]:
    """For a task that crashed (a bug): its failure in the manifest, and `empty` instead."""
    def record(exc: BaseException) -> T:
        log.error("%s %s crashed: %s: %s", stage, item, type(exc).__name__, exc)
        manifest.failures.append(
            Failure(stage, item, f"internal error: {type(exc).__name__}: {exc}"))
        return empty
    return record


def _finish(manifest: Manifest, settings: RunSettings, scan: VaultScan,
            fetched: dict[str, FetchResult], translations: dict[str, Translated],
            aligned: dict[str, Aligned], written: dict[str, VideoDone]) -> None:
    """The manifest in the vault's order (whatever order the tasks ended in), the alignment
    report and the review index; the manifest written last."""
    layout = Layout(settings.out)
    all_alignments: list[NoteAlignment] = []
    entries: list[ReviewEntry] = []
    for tr in translations.values():
        manifest.failures += tr.produced.failures
        manifest.warnings += tr.produced.warnings
        manifest.tasks += [r.as_dict() for r in tr.records]
    for vid in scan.by_video:
        got = fetched[vid]
        manifest.videos.append({"video_id": vid, "source": got.source, "track": got.track,
                                "segments": got.segments, "error": got.error,
                                "warnings": list(got.warnings)})
        manifest.tasks.append(TaskRecord("fetch", vid, "cached" if got.source == "cache"
                                         else "ran").as_dict())
        if got.error:
            manifest.failures.append(Failure("fetch", vid, got.error))
        if vid in aligned:
            all_alignments += aligned[vid].alignments
            manifest.tasks += [r.as_dict() for r in aligned[vid].records]
        if vid in written:
            done = written[vid]
            manifest.outputs += done.produced.outputs
            manifest.failures += done.produced.failures
            manifest.warnings += done.produced.warnings
            manifest.tasks += [r.as_dict() for r in done.records]
            entries += done.entries
    report_json = alignment_report(all_alignments, scan.notes)
    atomic_write_text(layout.alignment, json.dumps(report_json, ensure_ascii=False, indent=1))
    manifest.output("alignment", layout.alignment, settings.out)
    manifest.alignment_counts = dict(summary_counts(all_alignments))
    failures = [(f.item, f.reason) for f in manifest.failures]
    warnings = [(f.item, f.reason) for f in manifest.warnings]
    atomic_write_text(layout.review_index, review_index(entries, failures, warnings=warnings))
    manifest.output("review_index", layout.review_index, settings.out)
    res = resources(settings)
    manifest.engines = _engines(res.engines, settings, fetched.values())
    manifest.translation_memory = res.memory.stats() if hasattr(res.memory, "stats") else {}
    manifest.write(layout.manifest)


def _engines(engines: Engines, settings: RunSettings, fetched: Iterable[FetchResult]
             ) -> dict[str, dict[str, object]]:
    """The engine and model of every pair the run needs (the notes' language and each
    transcript's into each target), whichever process or machine used them."""
    sources = {settings.source_lang} | {f.transcript.language for f in fetched if f.transcript}
    for source in sorted(sources):
        for lang in settings.languages:
            if lang != source:
                with contextlib.suppress(InterlinearError):
                    engines.get(source, lang)
    return engines.describe()


def _original(notes: Sequence[Note], settings: RunSettings) -> str | None:
    return next((n.lang for n in notes if n.lang), settings.original_lang)
