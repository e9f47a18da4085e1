"""Fetching the transcripts of many videos: one result per video, the batch always goes on."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import InterlinearError, TranscriptError
from ..langid import Detect, Detected, detect_language, label_transcript
from ..model import Note, Transcript
from .base import ChainSource, TranscriptNotFound, TranscriptSource
from .cache import CachedSource, default_transcript_cache_dir
from .local import LocalSource
from .youtube import YouTubeSettings, YouTubeSource, track_description

__all__ = ["FetchRequest", "FetchResult", "OfflineSource", "build_source", "fetch_many",
           "format_fetch_table", "requests_for_notes"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FetchRequest:
    """One video to fetch, with what is known about its languages."""

    video_id: str
    original: str | None = None  # the video's language (note front matter or user setting)
    languages: tuple[str, ...] = ()  # the user's languages, in order


@dataclass(frozen=True)
class FetchResult:
    video_id: str
    transcript: Transcript | None
    source: str  # local / cache / network; "" when it failed
    track: str  # e.g. "ru (manual)", "en (generated)", "en (file)"; "" when it failed
    segments: int
    error: str | None = None  # one-line reason when it failed
    transient: bool = False  # the failure may clear on a later run
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0
    detected: Detected | None = None  # the language found in the text of an unlabelled one

    @property
    def ok(self) -> bool:
        return self.transcript is not None


class OfflineSource:
    """Never fetches: with `build_source(offline=True)`, only local files and the cache."""

    def fetch(
        self, video_id: str, *, languages: Sequence[str] = (), original: str | None = None
    ) -> Transcript:
        raise TranscriptNotFound(video_id, "not fetched: fetching is off (offline)")


def build_source(
    transcripts_dir: Path | None = None,
    *,
    cache_dir: Path | None = None,
    refresh: bool = False,
    max_age_s: float | None = None,
    youtube: YouTubeSettings | None = None,
    offline: bool = False,
) -> TranscriptSource:
    """Local files first (when a folder is given), then the cache, then YouTube."""
    remote: TranscriptSource = OfflineSource() if offline else YouTubeSource(
        youtube or YouTubeSettings())
    cached = CachedSource(remote, cache_dir or default_transcript_cache_dir(), max_age_s=max_age_s,
                          refresh=refresh and not offline)
    return ChainSource(LocalSource(transcripts_dir), cached) if transcripts_dir else cached


def requests_for_notes(
    notes: Iterable[Note], *, languages: Sequence[str] = (), original: str | None = None
) -> list[FetchRequest]:
    """One request per video the notes cite (first seen order); a note's `lang` wins."""
    said: dict[str, str | None] = {}  # video id -> the first language a note gives for it
    for note in notes:
        if note.video_id and not said.get(note.video_id):
            said[note.video_id] = note.lang
    return [FetchRequest(vid, lang or original, tuple(languages)) for vid, lang in said.items()]


def _one(req: FetchRequest, source: TranscriptSource, detect: Detect = detect_language
         ) -> FetchResult:
    began = time.monotonic()
    transcript: Transcript | None = None
    error: str | None = None
    transient = False
    try:
        transcript = source.fetch(req.video_id, languages=req.languages, original=req.original)
    except TranscriptError as exc:
        error = exc.reason.removeprefix(f"{req.video_id}: ")
        transient = exc.transient
    except InterlinearError as exc:
        error = exc.reason
    except Exception as exc:  # a bug must not stop the batch: report it as this video's failure
        log.exception("%s: unexpected error while fetching the transcript", req.video_id)
        error = f"internal error: {type(exc).__name__}: {exc}"
    take = getattr(source, "take_warnings", None)
    warnings = tuple(take(req.video_id)) if take else ()
    if transcript is not None and transcript.merged_cues:
        n = transcript.merged_cues
        warnings += (f"{n} duplicated cue{'s' if n != 1 else ''} merged",)
    seconds = time.monotonic() - began
    if transcript is None:
        return FetchResult(req.video_id, None, "", "", 0, error, transient, warnings, seconds)
    transcript, detected = label_transcript(transcript, detect)  # only an unlabelled one ("und")
    track = track_description(transcript.language, transcript.generated)
    if detected is not None and transcript.language == detected.lang:
        track += f" detected {detected.confidence:.2f}"
    elif detected is not None:
        track += f" not recognised ({detected.lang} {detected.confidence:.2f})"
        warnings += (f"language not recognised from the text (best guess "
                     f"{detected.lang}, {detected.confidence:.2f}): name the file "
                     f"{req.video_id}.LANG.json or give the note a lang:",)
    return FetchResult(req.video_id, transcript, transcript.source, track,
                       len(transcript.segments), None, False, warnings,
                       time.monotonic() - began, detected)


def fetch_many(
    requests: Iterable[FetchRequest | str],
    source: TranscriptSource,
    *,
    languages: Sequence[str] = (),
    concurrency: int = 2,
    progress: Callable[[FetchResult], None] | None = None,
    detect: Detect = detect_language,
) -> list[FetchResult]:
    """Fetch every video (each once, in first-seen order); failures become results.

    `languages` is the default for plain video ids and for requests without languages of
    their own. `progress` is called with each result as it completes (from worker threads).
    `detect` names the language of an unlabelled transcript (a `langid.Detector` keeps
    its answers).
    """
    unique: dict[str, FetchRequest] = {}
    for req in requests:
        r = FetchRequest(req) if isinstance(req, str) else req
        if not r.languages and languages:
            r = replace(r, languages=tuple(languages))
        unique.setdefault(r.video_id, r)

    def run(r: FetchRequest) -> FetchResult:
        result = _one(r, source, detect)
        if progress is not None:
            progress(result)
        return result

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return list(pool.map(run, unique.values()))


def format_fetch_table(results: Sequence[FetchResult]) -> str:
    """A plain-text table: video, track, segments, source or the reason it failed."""
    rows = [("video", "track", "segments", "source", "status")]
    for r in results:
        status = "ok" if r.ok else f"FAILED: {r.error}"
        rows.append((r.video_id, r.track or "-", str(r.segments) if r.ok else "-",
                     r.source or "-", status))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join([row[0].ljust(widths[0]), row[1].ljust(widths[1]), row[2].rjust(widths[2]),
                   row[3].ljust(widths[3]), row[4]]).rstrip()
        for row in rows
    ]
    for r in results:
        lines.extend(f"  warning {r.video_id}: {w}" for w in r.warnings)
    ok = [r for r in results if r.ok]
    by = {s: sum(r.source == s for r in ok) for s in ("local", "cache", "network")}
    lines.append(
        f"{len(results)} videos: {len(ok)} ok ({by['local']} local, {by['cache']} cache, "
        f"{by['network']} network), {len(results) - len(ok)} failed"
    )
    return "\n".join(lines) + "\n"
