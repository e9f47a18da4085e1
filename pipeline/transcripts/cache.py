"""An on-disk cache in front of a transcript source (normally YouTube).

One JSON file per video and language, `CACHE_DIR/VIDEO_ID/LANG.json`, written atomically,
holding the segments, when and by what they were fetched, the track (language, generated
or manual), whether it is the video's original language, how many duplicated cues were
merged, and a checksum of all that. Segments read back are merged again (entries written
before merging existed). A cached video is never fetched again unless `refresh` is set or
the entry is older than `max_age_s`. A damaged file (not JSON, wrong shape, checksum
mismatch) is never used: it is moved aside as `LANG.json.damaged` and reported (log warning
and `take_warnings`) with what happened next: fetched again, or nothing (the answer came
from another entry, or the error says why not: offline, not on YouTube...). When a refresh
fails on a transient error, the old entry is used, with a warning. A transcript that
cannot be written to the cache is still returned, with a warning.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import TranscriptError, WriteError
from ..fileio import atomic_write_text, safe_name
from ..model import Segment, Transcript
from ..signature import Signature
from .base import (
    TranscriptNotFound,
    TranscriptSource,
    language_matches,
    merge_segments,
    preference_order,
)
from .local import require_safe_video_id
from .youtube import LIBRARY_VERSION

__all__ = ["CACHE_FORMAT", "CachedSource", "default_transcript_cache_dir"]

log = logging.getLogger(__name__)

CACHE_FORMAT = 1


def default_transcript_cache_dir() -> Path:
    """`transcripts/` in the shared cache folder (`$INTERLINEAR_CACHE`, else
    `~/.cache/interlinear`; see `pipeline.settings.default_cache_dir`)."""
    from ..settings import default_cache_dir

    return default_cache_dir() / "transcripts"


def fetcher_signature() -> Signature:
    """What fetches transcripts (each entry's `produced_by` is its provenance)."""
    return Signature("transcript-fetch", {"youtube-transcript-api": LIBRARY_VERSION})


def _checksum(body: dict[str, Any]) -> str:
    data = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(data.encode("utf-8")).hexdigest()


RequestKey = tuple[str | None, tuple[str, ...]]


def _key(languages: Sequence[str], original: str | None) -> RequestKey:
    return (original.lower() if original else None, tuple(x.lower() for x in languages))


@dataclass(frozen=True)
class _Entry:
    path: Path
    transcript: Transcript
    original_language: str | None
    fetched_at: float
    answers: tuple[RequestKey, ...]  # the requests (hints) this entry was fetched for

    @property
    def is_original(self) -> bool:
        lang = self.original_language
        return lang is not None and language_matches(lang, self.transcript.language)


def _decode(path: Path, video_id: str, text: str) -> _Entry:
    """A cache entry from its file text; ValueError saying what is wrong."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise ValueError("not a cache entry")
    body = {k: v for k, v in data.items() if k != "checksum"}
    if data.get("checksum") != _checksum(body):
        raise ValueError("checksum mismatch")
    if data.get("format") != CACHE_FORMAT or data.get("video_id") != video_id:
        raise ValueError("wrong format or video id")
    lang, segs = data.get("language"), data.get("segments")
    if not isinstance(lang, str) or not isinstance(segs, list) or not segs:
        raise ValueError("no language or no segments")
    segments: list[Segment] = []
    for seg in segs:
        ok = isinstance(seg, list) and len(seg) == 3 and isinstance(seg[2], str)
        if not ok or not all(type(x) is int for x in seg[:2]) or not 0 <= seg[0] <= seg[1]:
            raise ValueError("malformed segment")
        segments.append(Segment(seg[0], seg[1], seg[2], lang))
    generated = data.get("generated")
    fetched_at = data.get("fetched_at_epoch")
    merged = data.get("merged_cues", 0)
    if generated not in (True, False, None) or not isinstance(fetched_at, int | float) or \
            type(merged) is not int or merged < 0:
        raise ValueError("malformed fields")
    orig = data.get("original_language")
    answers = data.get("answers", [])
    if not isinstance(answers, list) or not all(
            isinstance(a, list) and len(a) == 2 and isinstance(a[1], list) for a in answers):
        raise ValueError("malformed answers")
    again = merge_segments(segments, video_id=video_id, where=str(path))
    transcript = Transcript(
        video_id, lang, again.segments, generated=generated, source="cache",
        origin=f"{data.get('origin', '')}; cached {data.get('fetched_at', '')} in {path}",
        merged_cues=merged + again.merged,
    )
    keys = tuple((a[0], tuple(a[1])) for a in answers)
    return _Entry(path, transcript, orig if isinstance(orig, str) else None, float(fetched_at),
                  keys)


@dataclass(frozen=True)
class _Damaged:
    """A cache file that could not be used, and where it went."""

    path: Path
    reason: str
    aside: Path | None  # where it was moved; None when it could not be moved
    error: str = ""  # why it could not be moved

    @property
    def fate(self) -> str:
        if self.aside is not None:
            return f"set aside as {self.aside}"
        return f"could not be set aside ({self.error})"


def _pick(
    entries: Sequence[_Entry], languages: Sequence[str], original: str | None
) -> _Entry | None:
    """The entry fetched for the same request, else the one the source's language rule
    would take if it is cached."""
    key = _key(languages, original)
    for entry in entries:
        if key in entry.answers:
            return entry
    orig = original or next((e.original_language for e in entries if e.original_language), None)
    for lang in preference_order(languages, orig):
        exact = [e for e in entries if e.transcript.language.lower() == lang.lower()]
        near = [e for e in entries if language_matches(lang, e.transcript.language)]
        if exact or near:
            return (exact or near)[0]
    if not languages and original is None:
        marked = [e for e in entries if e.is_original]
        if marked or len(entries) == 1:
            return (marked or list(entries))[0]
    return None


class CachedSource:
    """Answers from `cache_dir` when it can, else asks `inner` and stores its answer."""

    def __init__(
        self,
        inner: TranscriptSource,
        cache_dir: Path,
        *,
        max_age_s: float | None = None,
        refresh: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.inner = inner
        self.cache_dir = Path(cache_dir)
        self.max_age_s = max_age_s
        self.refresh = refresh
        self._clock = clock
        self._lock = threading.Lock()
        self._warnings: dict[str, list[str]] = {}

    def __repr__(self) -> str:
        return f"CachedSource({self.inner!r}, {str(self.cache_dir)!r})"

    def take_warnings(self, video_id: str) -> tuple[str, ...]:
        """Warnings about this video since the last call (damaged entries, stale fallbacks,
        transcripts that could not be cached)."""
        with self._lock:
            return tuple(self._warnings.pop(video_id, ()))

    def _warn(self, video_id: str, message: str) -> None:
        log.warning("%s: %s", video_id, message)
        with self._lock:
            self._warnings.setdefault(video_id, []).append(message)

    def path_for(self, video_id: str, language: str) -> Path:
        return self.cache_dir / safe_name(video_id) / f"{safe_name(language)}.json"

    def read(self, video_id: str) -> tuple[list[_Entry], list[_Damaged]]:
        """The usable entries of a video, and the damaged files (each moved aside)."""
        folder = self.cache_dir / safe_name(video_id)
        out: list[_Entry] = []
        damaged: list[_Damaged] = []
        try:
            paths = sorted(folder.glob("*.json"))
        except OSError:
            return out, damaged
        for path in paths:
            try:
                out.append(_decode(path, video_id, path.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
                reason = exc.args[0] if isinstance(exc, ValueError) and exc.args else \
                    type(exc).__name__
                aside = path.with_name(path.name + ".damaged")
                try:
                    os.replace(path, aside)
                except OSError as err:
                    damaged.append(_Damaged(path, reason, None, err.strerror or str(err)))
                else:
                    damaged.append(_Damaged(path, reason, aside))
        return out, damaged

    def _report(self, video_id: str, damaged: Sequence[_Damaged],
                fetched: Transcript | None = None) -> None:
        again = None if fetched is None or fetched.source != "network" else \
            self.path_for(video_id, fetched.language)
        for d in damaged:
            done = "; fetched again" if d.path == again else ""
            self._warn(video_id, f"damaged cache file {d.path} ({d.reason}); {d.fate}{done}")

    def _miss(self, entries: Sequence[_Entry], fresh: Sequence[_Entry],
              damaged: Sequence[_Damaged], languages: Sequence[str],
              original: str | None) -> str:
        """What the cache had for a request it could not answer ("" when refreshing)."""
        if self.refresh:
            return ""
        parts = [f"damaged cache entry {d.fate}" for d in damaged]
        old = _pick(entries, languages, original)
        if old is not None and all(old is not e for e in fresh):
            parts.append(f"the cached transcript is older than the age limit "
                         f"({self.max_age_s:g} s)")
        elif entries:
            langs = ", ".join(sorted({e.transcript.language for e in entries}))
            parts.append(f"not in the cache in the languages asked for (cached: {langs})")
        elif not damaged:
            parts.append("not in the cache")
        return "; ".join(parts)

    def store(
        self, transcript: Transcript, original_language: str | None,
        answers: Sequence[RequestKey] = (),
    ) -> Path:
        now = self._clock()
        body: dict[str, Any] = {
            "format": CACHE_FORMAT,
            "video_id": transcript.video_id,
            "language": transcript.language,
            "generated": transcript.generated,
            "original_language": original_language,
            "origin": transcript.origin,
            "fetched_at": datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds"),
            "fetched_at_epoch": now,
            "produced_by": fetcher_signature().provenance(),
            "answers": [[o, list(langs)] for o, langs in dict.fromkeys(answers)],
            "merged_cues": transcript.merged_cues,
            "segments": [[s.start_ms, s.end_ms, s.text] for s in transcript.segments],
        }
        body["checksum"] = _checksum(body)
        path = self.path_for(transcript.video_id, transcript.language)
        atomic_write_text(path, json.dumps(body, ensure_ascii=False, indent=0) + "\n")
        return path

    def fetch(
        self, video_id: str, *, languages: Sequence[str] = (), original: str | None = None
    ) -> Transcript:
        require_safe_video_id(video_id)
        entries, damaged = self.read(video_id)
        now = self._clock()
        fresh = [e for e in entries
                 if self.max_age_s is None or now - e.fetched_at <= self.max_age_s]
        hit = None if self.refresh else _pick(fresh, languages, original)
        if hit is not None:
            self._report(video_id, damaged)
            return hit.transcript
        try:
            transcript = self.inner.fetch(video_id, languages=languages, original=original)
        except TranscriptError as exc:
            self._report(video_id, damaged)
            old = _pick(entries, languages, original) if exc.transient else None
            if old is None:
                miss = self._miss(entries, fresh, damaged, languages, original)
                if miss and isinstance(exc, TranscriptNotFound):
                    raise TranscriptNotFound(
                        video_id, f"{miss}; {exc.message.removeprefix(f'{video_id}: ')}"
                    ) from None
                raise
            when = datetime.fromtimestamp(old.fetched_at, UTC).isoformat(timespec="seconds")
            reason = exc.reason.removeprefix(f"{video_id}: ")
            self._warn(video_id, f"could not refresh ({reason}); using the cached "
                                 f"transcript fetched {when}")
            return old.transcript
        self._report(video_id, damaged, transcript)
        if transcript.source != "local":
            known = getattr(self.inner, "original_language", None)
            orig = (known(video_id) if known else None) or original
            same = [e for e in entries if e.transcript.language == transcript.language]
            answers = [*(same[0].answers if same else ()), _key(languages, original)]
            try:
                self.store(transcript, orig, answers)
            except (OSError, WriteError) as exc:
                code = exc.errno
                reason = (exc.strerror if isinstance(exc, OSError) else None) or (
                    os.strerror(code) if code else type(exc).__name__)
                self._warn(video_id, f"not cached: cannot write "
                                     f"{self.path_for(video_id, transcript.language)} ({reason})")
        return transcript
