"""The vault flow: wires `pipeline.run`'s stages into Prefect tasks.

Per video a fetch, an align-and-tracks and an outputs task; per language one translation
task (one batch over the notes that need it); one outputs task for the pages (notes of no
video). Once a video is fetched, its notes are aligned and its transcript tracks made side
by side in one task (the tracks on a thread of their own; the video's outputs wait for
both, and an unchanged 30-note run makes 91 task runs instead of 121). The tracks
translate in the background (`pipeline.translate.in_background`: the notes' batches,
which the notes' outputs wait for, go first): their translation keeps the second core
busy while the notes' translation waits on its last texts (on a cold 30-note run, about
20 s with one core idle otherwise).
Every stage looks its result up first, so an unchanged note is not aligned, translated or
rendered again. A failing video or note ends its own task Failed (the others go on) and
the run still ends with the summary and the manifest. Only fetching is retried
(transient failures); fetches that go to YouTube hold a slot of the global concurrency
limit `youtube-fetch` when the server has one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from prefect import flow, task
from prefect.cache_policies import NONE
from prefect.context import FlowRunContext
from prefect.futures import PrefectFuture, as_completed
from prefect.states import Completed, Failed, State
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from pipeline.fileio import exclusive_lock
from pipeline.model import Note, NoteAlignment, Transcript, TranslatedNote
from pipeline.run import (
    Failure,
    Keyed,
    Outcome,
    align_video,
    claims_tracks,
    context,
    fetch_video,
    finish,
    render_note,
    render_page,
    start,
    track_missing,
    transcript_tracks,
    translate_language,
)
from pipeline.settings import RunSettings
from pipeline.transcripts import FetchRequest, FetchResult
from pipeline.vault import scan_vault

from .progress import report

log = logging.getLogger(__name__)
FETCH_LIMIT = "youtube-fetch"  # a global concurrency limit, when created on the server
T = TypeVar("T")
Aligned = Outcome[dict[str, Keyed[NoteAlignment]]]
Translated = Outcome[dict[str, Keyed[TranslatedNote]]]


def _state(done: T, parts: Sequence[Outcome[Any] | BaseException] | None = None
           ) -> T | State[T]:
    """A task's end: Failed (with its value) when some item of its outcome (or `parts`)
    failed or a part crashed, `Cached` when every item was reused, else the value."""
    parts = [cast(Outcome[Any], done)] if parts is None else parts
    crashed = [p for p in parts if isinstance(p, BaseException)]
    failed = [p for p in parts if isinstance(p, Outcome) and p.failures]
    if crashed or failed:
        return Failed(message="; ".join([
            *(f"crashed: {type(e).__name__}: {e}" for e in crashed),
            *(p.failed for p in failed)]), data=done)
    if all(isinstance(p, Outcome) and p.all_cached for p in parts):
        return Completed(name="Cached", data=done)
    return done


@dataclass(frozen=True)
class Prepared:
    """A video's alignment and transcript tracks, each an outcome or, when that part
    crashed (a bug), its exception: the other part stands, as if they were two tasks."""

    aligned: Aligned | BaseException
    tracks: Outcome[None] | BaseException

    def parts(self) -> list[Outcome[Any] | BaseException]:
        return [self.aligned, self.tracks]


def _attempt(what: str, work: Callable[[], Outcome[T]]) -> Outcome[T] | BaseException:
    try:
        return work()
    except Exception as exc:  # noqa: BLE001 - recorded by the flow as that part's crash
        log.exception("%s crashed", what)
        return exc


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
    return isinstance(data, Outcome) and any(f.transient for f in data.failures)


@task(name="fetch transcript", cache_policy=NONE, retries=1, retry_delay_seconds=5,
      retry_condition_fn=_retry_transient, tags=["youtube"])
def fetch_task(request: FetchRequest, settings: RunSettings) -> Any:
    return _state(fetch_video(request, context(settings), slot=youtube_slot))


@task(name="align and tracks", cache_policy=NONE)
def prepare_task(video_id: str, notes: Sequence[Note], transcript: Transcript | None,
                 settings: RunSettings) -> Any:
    """The video's notes aligned and, at the same time, its transcript tracks in its own
    language and each target language. Failed when either part failed or crashed."""
    ctx = context(settings)
    with ThreadPoolExecutor(1, thread_name_prefix=f"tracks-{video_id}") as pool:
        tracks = pool.submit(_attempt, f"tracks {video_id}",
                             lambda: transcript_tracks(video_id, transcript, ctx))
        aligned = _attempt(f"align {video_id}", lambda: align_video(notes, transcript, ctx))
        done = Prepared(aligned, tracks.result())
    return _state(done, done.parts())


@task(name="translate notes", cache_policy=NONE)
def translate_task(notes: Sequence[Note], lang: str, settings: RunSettings) -> Any:
    """All notes into one language: stored translations reused, the rest in one batch."""
    return _state(translate_language(notes, lang, context(settings)))


@task(name="video outputs", cache_policy=NONE)
def video_task(video_id: str, notes: Sequence[Note], transcript: Transcript | None,
               tracks: Outcome[None], aligned: Aligned, translations: dict[str, Translated],
               settings: RunSettings) -> Any:
    """The video's claims tracks and each note's outputs per language (`tracks`: its
    transcript tracks, whose flags and missing models the notes show)."""
    ctx = context(settings)
    parts = [tracks, claims_tracks(video_id, aligned.value, notes,
                                   {lang: tr.value for lang, tr in translations.items()}, ctx)]
    tlang = transcript.language if transcript else None
    for lang, tr in translations.items():
        flags = [f for f in tracks.flags if f.lang == lang]
        missing = track_missing(tracks, video_id, lang)
        parts += [render_note(note, aligned.value[str(note.path)], tr.value[str(note.path)],
                              tlang, flags, ctx, missing)
                  for note in notes if str(note.path) in tr.value]
    return _state(Outcome.join(None, parts))


@task(name="page outputs", cache_policy=NONE)
def pages_task(pages: Sequence[Note], translations: dict[str, Translated],
               settings: RunSettings) -> Any:
    """Each page's outputs (a note of no video: index pages) per language."""
    ctx = context(settings)
    return _state(Outcome.join(None, [
        render_page(page, {lang: tr.value[str(page.path)] for lang, tr in translations.items()
                           if str(page.path) in tr.value}, ctx)
        for page in pages]))


@flow(name="interlinear-vault", log_prints=True)
def vault_flow(
    vault: str, languages: list[str] | str, out: str = "output",
    transcripts: str | None = None, transcript_langs: list[str] | str | None = None,
    offline: bool = False, refresh: bool = False, engine: str | None = None,
    allow_missing_models: bool = False, cache_dir: str | None = None,
    glossary: str | None = None, original_lang: str | None = None,
    review_store: str | None = None, reviewer: str | None = None,
) -> dict[str, object]:
    """Translate and check every note of a vault. Returns the manifest (also written).

    `cache_dir`: the shared caches (default $INTERLINEAR_CACHE); `glossary`: a folder of
    glossary files (default the project's `glossary/`); `original_lang`: the videos'
    language when a note does not say; `review_store`: the vault's approved translations
    (default VAULT/.interlinear/review.jsonl); `reviewer`: who approves the edits read back
    (default $USER). (The parameters are `RunSettings.parameters()`.)
    """
    settings = RunSettings.of(
        vault=vault, languages=languages, out=out, transcripts=transcripts,
        transcript_langs=transcript_langs, offline=offline, refresh=refresh, engine=engine,
        allow_missing_models=allow_missing_models, cache_dir=cache_dir, glossary=glossary,
        original_lang=original_lang, review_store=review_store,
        reviewer=reviewer).with_targets()
    with exclusive_lock(settings.out):
        ctx = context(settings)
        ctx.engines.check_targets()  # a language no model reaches: ConfigError, before work
        scan = scan_vault(settings.vault, max_bytes=settings.max_note_bytes,
                          skip=(settings.out,))
        manifest = start(scan, ctx)
        report("start", "notes", len(scan.notes), total=len(scan.by_video))
        crashed = manifest.failures

        translating = {lang: translate_task.submit(_q([*scan.notes, *scan.pages]), lang,
                                                   _q(settings))
                       for lang in settings.languages}
        fetching = {vid: fetch_task.submit(_q(FetchRequest(vid, _original(notes, settings))),
                                           _q(settings))
                    for vid, notes in scan.by_video.items()}
        fetched: dict[str, Outcome[FetchResult]] = {}
        preparing = {}
        for vid, fut in _completed(fetching):  # each video aligned as soon as it is fetched
            fetched[vid] = _value(fut, lambda exc, v=vid: Outcome(  # type: ignore[misc]
                FetchResult(v, None, "", "", 0, error=Failure.of("fetch", v, exc).reason)))
            report("fetch", vid)
            preparing[vid] = prepare_task.submit(vid, _q(scan.by_video[vid]),
                                                 _q(fetched[vid].value.transcript), _q(settings))
        translations: dict[str, Translated] = {}
        for lang, fut in translating.items():
            translations[lang] = _value(fut, _crash(crashed, "translate", lang, Outcome({})))
            report("translate", lang, len(scan.notes) + len(scan.pages))
        aligned: dict[str, Aligned] = {}
        writing = {}
        written: dict[str, Outcome[None]] = {}  # a video not aligned: its tracks alone
        for vid, fut in _completed(preparing):  # each video's outputs once it is aligned
            done = _value(fut, lambda exc: Prepared(exc, exc))
            got = _part(cast("Aligned | None | BaseException", done.aligned),
                        _crash(crashed, "align", vid, None))
            tracks = _part(done.tracks, _crash(crashed, "tracks", vid, Outcome(None)))
            report("align", vid, len(scan.by_video[vid]))
            if got is None:
                written[vid] = tracks
            else:
                aligned[vid] = got
                writing[vid] = video_task.submit(
                    vid, _q(scan.by_video[vid]), _q(fetched[vid].value.transcript),
                    _q(tracks), _q(got),
                    _q(_for_notes(translations, scan.by_video[vid])), _q(settings))
        paging = pages_task.submit(_q(scan.pages), _q(_for_notes(translations, scan.pages)),
                                   _q(settings)) if scan.pages else None
        for vid, fut in _completed(writing):
            written[vid] = _value(fut, _crash(crashed, "render", vid, Outcome(None)))
            report("render", vid, len(scan.by_video[vid]))
        paged = None if paging is None else _value(
            paging, _crash(crashed, "render", "pages", Outcome(None)))
        return finish(manifest, scan, ctx, fetched, translations, aligned, written, paged)


def _q(value: T) -> T:
    """`value` for a task, `quote`d: Prefect would otherwise walk every note, transcript
    and result (dataclasses of thousands of items) looking for futures, several times per
    task run. The flow passes values only (it waits for results itself); the task gets
    `value` itself. Not on Dask: its client rebuilds the tuples in a task's arguments as
    plain tuples (the task would get `(value,)`), and prefect-dask walks them anyway."""
    ctx = FlowRunContext.get()
    if ctx is not None and not isinstance(ctx.task_runner, ThreadPoolTaskRunner):
        return value
    return cast(T, quote(value))


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


def _part(part: T | BaseException, crashed: Callable[[BaseException], T]) -> T:
    """A part of a task's value, or `crashed(exc)` for a part that crashed."""
    return crashed(part) if isinstance(part, BaseException) else part


def _crash(failures: list[Failure], stage: str, item: str, empty: T
           ) -> Callable[[BaseException], T]:
    """For a task that crashed (a bug): its failure in the manifest, and `empty` instead."""
    def record(exc: BaseException) -> T:
        log.error("%s %s crashed: %s: %s", stage, item, type(exc).__name__, exc)
        failures.append(Failure.of(stage, item, exc))
        return empty
    return record


def _for_notes(translations: dict[str, Translated], notes: Sequence[Note]
               ) -> dict[str, Translated]:
    """The part of each language's translations that one video's task needs."""
    paths = {str(n.path) for n in notes}
    return {lang: tr.but(value={p: k for p, k in tr.value.items() if p in paths})
            for lang, tr in translations.items()}


def _original(notes: Sequence[Note], settings: RunSettings) -> str | None:
    return next((n.lang for n in notes if n.lang), settings.original_lang)
