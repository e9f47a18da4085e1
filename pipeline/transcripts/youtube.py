"""Transcripts from YouTube, through youtube-transcript-api's own code.

Language rule (`choose_track`): a manually created track in the video's original language,
then the auto-generated one in that language, then each of the user's languages (manual
before generated). The original language is the caller's hint (note front matter or user
setting), else the language of the video's auto-generated track (YouTube generates
captions only in the spoken language). When the user gave no languages, the spoken
language and then any manual track are acceptable too.

Failures that may clear (IP blocked / RequestBlocked, HTTP 429, 5xx, timeouts, broken
connections) are retried with exponential back-off and jitter, a bounded number of times
(`RetryPolicy`; fewer when YouTube cannot be reached at all); then the video fails with
advice: configure a proxy (blocks), check the network (the rest). After `give_up_after`
videos in a row failed that way, the rest of the batch fails at once, without a request.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import requests
from youtube_transcript_api import Transcript as Track
from youtube_transcript_api import YouTubeTranscriptApi

from ..errors import ConfigError, TranscriptError
from ..model import Transcript
from .base import TranscriptNotFound, language_matches, normalise_segments, preference_order
from .local import require_safe_video_id
from .proxy import ProxySettings, redact
from .ytclassify import Transient, classify

__all__ = ["LIBRARY_VERSION", "RetryPolicy", "YouTubeSettings", "YouTubeSource",
           "choose_track", "track_description"]

log = logging.getLogger(__name__)

try:
    LIBRARY_VERSION = version("youtube-transcript-api")
except PackageNotFoundError:  # pragma: no cover - installed with the package
    LIBRARY_VERSION = "unknown"

PROXY_ADVICE = (
    "configure a proxy (INTERLINEAR_PROXY_HTTPS=http://user:pass@host:port, or "
    "INTERLINEAR_WEBSHARE_USER and INTERLINEAR_WEBSHARE_PASSWORD), or retry later"
)
NETWORK_ADVICE = "check the network connection and proxy settings, or retry later"


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential back-off with jitter: try `attempts` times in all."""

    attempts: int = 4
    connect_attempts: int = 2  # when YouTube cannot be reached at all (no network, refused)
    base_delay_s: float = 2.0
    max_delay_s: float = 30.0
    jitter: float = 0.5  # each delay is cut by a random fraction up to this

    def __post_init__(self) -> None:
        bad = min(self.attempts, self.connect_attempts) < 1 or self.base_delay_s < 0
        if bad or not 0 <= self.jitter <= 1:
            raise ConfigError(f"invalid retry policy: {self}")

    def delay(self, retry: int, rand: float) -> float:
        """Seconds to wait before retry number `retry` (1-based); `rand` in [0, 1)."""
        full = min(self.max_delay_s, self.base_delay_s * 2 ** (retry - 1))
        return full * (1 - self.jitter * rand)


def _proxy_from_env() -> ProxySettings | None:
    return ProxySettings.from_env()


@dataclass(frozen=True)
class YouTubeSettings:
    # default: from the INTERLINEAR_PROXY_* / INTERLINEAR_WEBSHARE_* variables; None: no proxy
    proxy: ProxySettings | None = field(default_factory=_proxy_from_env)
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 20.0
    max_concurrent: int = 2  # videos fetched at the same time
    min_interval_s: float = 0.5  # between any two requests to YouTube
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    give_up_after: int = 3  # videos in a row failing transiently: then fail the rest at once

    def __post_init__(self) -> None:
        if self.max_concurrent < 1 or self.min_interval_s < 0 or self.give_up_after < 1:
            raise ConfigError(f"invalid YouTube settings: {self}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> YouTubeSettings:
        """Proxy from `env` (default `os.environ`; see `pipeline.transcripts.proxy`)."""
        return cls(proxy=ProxySettings.from_env(env), **overrides)


class _Throttle:
    """At least `interval` seconds between the starts of any two requests (all threads)."""

    def __init__(self, interval: float, clock: Callable[[], float],
                 sleep: Callable[[float], None]) -> None:
        self.interval, self.clock, self.sleep = interval, clock, sleep
        self._next = float("-inf")
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self.clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            self.sleep(slot - now)


class _PoliteSession(requests.Session):
    """A Session with a default (connect, read) timeout and a throttle before each request."""

    def __init__(self, timeout: tuple[float, float], before: Callable[[], None]) -> None:
        super().__init__()
        self._timeout = timeout
        self._before = before

    def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> Any:
        if len(args) < 7:  # Session.request(method, url, params, ..., auth, timeout, ...)
            kwargs.setdefault("timeout", self._timeout)
        self._before()
        return super().request(method, url, *args, **kwargs)


def track_description(language: str, generated: bool | None) -> str:
    kind = {True: "generated", False: "manual", None: "file"}[generated]
    return f"{language} ({kind})"


def _find(tracks: Sequence[Track], lang: str, generated: bool) -> Track | None:
    same = [t for t in tracks if t.is_generated == generated]
    exact = [t for t in same if t.language_code.lower() == lang.lower()]
    near = [t for t in same if language_matches(lang, t.language_code)]
    return (exact or near)[0] if exact or near else None


def choose_track(
    tracks: Sequence[Track], languages: Sequence[str], original: str | None
) -> tuple[Track, str | None]:
    """The track to take and the video's original language (see the module docstring)."""
    spoken = next((t.language_code for t in tracks if t.is_generated), None)
    order = list(preference_order(languages, original or spoken))
    if not languages and spoken and spoken not in order:
        order.append(spoken)
    for lang in order:
        for generated in (False, True):
            track = _find(tracks, lang, generated)
            if track is not None:
                return track, original or spoken
    manual = [t for t in tracks if not t.is_generated]
    if not languages and manual:
        return manual[0], original or spoken
    have = ", ".join(track_description(t.language_code, t.is_generated) for t in tracks)
    raise LookupError(f"no transcript in {', '.join(order) or 'any language'}; "
                      f"YouTube has {have or 'none'}")


class YouTubeSource:
    """Fetches transcripts from YouTube; see the module docstring for the rules."""

    def __init__(
        self,
        settings: YouTubeSettings | None = None,
        *,
        session_hook: Callable[[requests.Session], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings or YouTubeSettings()
        self._hook = session_hook
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._throttle = _Throttle(self.settings.min_interval_s, clock, sleep)
        self._slots = threading.BoundedSemaphore(self.settings.max_concurrent)
        self._lock = threading.Lock()
        self._free: list[tuple[YouTubeTranscriptApi, requests.Session]] = []
        self._all: list[requests.Session] = []
        self._streak = 0
        self._last_reason = ""
        self._last_advice = ""
        self._originals: dict[str, str | None] = {}
        self._secrets = self.settings.proxy.secrets if self.settings.proxy else ()
        self.requests_made = 0

    def __repr__(self) -> str:
        proxy = self.settings.proxy.describe() if self.settings.proxy else "no proxy"
        return (f"YouTubeSource({proxy}, concurrent={self.settings.max_concurrent}, "
                f"attempts={self.settings.retry.attempts})")

    def close(self) -> None:
        with self._lock:
            for session in self._all:
                session.close()
            self._free.clear()
            self._all.clear()

    def __enter__(self) -> YouTubeSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def original_language(self, video_id: str) -> str | None:
        """The original language found for a video fetched by this source (hint or spoken)."""
        with self._lock:
            return self._originals.get(video_id)

    def _before_request(self) -> None:
        self._throttle.wait()
        with self._lock:
            self.requests_made += 1

    def _take_api(self) -> tuple[YouTubeTranscriptApi, requests.Session]:
        with self._lock:
            if self._free:
                return self._free.pop()
        s = self.settings
        session = _PoliteSession((s.connect_timeout_s, s.read_timeout_s), self._before_request)
        if self._hook is not None:
            self._hook(session)
        api = YouTubeTranscriptApi(proxy_config=s.proxy.to_config() if s.proxy else None,
                                   http_client=session)
        with self._lock:
            self._all.append(session)
        return api, session

    def _give_up_reason(self, video_id: str) -> TranscriptError | None:
        with self._lock:
            if self._streak < self.settings.give_up_after:
                return None
            streak, last, advice = self._streak, self._last_reason, self._last_advice
        return TranscriptError(
            video_id, f"not tried: the last {streak} videos failed ({last}); {advice}",
            transient=True)

    def _record(self, reason: str | None, advice: str = "") -> None:
        with self._lock:
            if reason is None:
                self._streak = 0
            else:
                self._streak += 1
                self._last_reason, self._last_advice = reason, advice

    def fetch(
        self, video_id: str, *, languages: Sequence[str] = (), original: str | None = None
    ) -> Transcript:
        require_safe_video_id(video_id)
        if (stop := self._give_up_reason(video_id)) is not None:
            raise stop
        with self._slots:
            if (stop := self._give_up_reason(video_id)) is not None:
                raise stop
            api, session = self._take_api()
            try:
                return self._fetch_with_retries(api, video_id, languages, original)
            finally:
                with self._lock:
                    self._free.append((api, session))

    def _fetch_with_retries(
        self, api: YouTubeTranscriptApi, video_id: str, languages: Sequence[str],
        original: str | None,
    ) -> Transcript:
        policy = self.settings.retry
        attempt = 0
        while True:
            attempt += 1
            try:
                transcript = self._fetch_once(api, video_id, languages, original)
            except TranscriptError:
                self._record(None)  # YouTube answered: the network is fine
                raise
            except Transient as exc:
                limit = policy.connect_attempts if exc.kind == "connect" else policy.attempts
                if attempt >= limit:
                    advice = NETWORK_ADVICE
                    if exc.kind == "blocked":
                        advice = PROXY_ADVICE if not self.settings.proxy else (
                            "blocked even through the configured proxy; use a rotating "
                            "residential proxy (Webshare) or retry later")
                    self._record(exc.reason, advice)
                    raise TranscriptError(
                        video_id, f"{exc.reason}; tried {attempt} times; {advice}",
                        transient=True) from None
                delay = policy.delay(attempt, self._rng.random())
                log.info("%s: %s; retry %d/%d in %.1fs", video_id, exc.reason, attempt,
                         limit - 1, delay)
                self._sleep(delay)
            else:
                self._record(None)
                return transcript

    def _fetch_once(
        self, api: YouTubeTranscriptApi, video_id: str, languages: Sequence[str],
        original: str | None,
    ) -> Transcript:
        try:
            tracks = list(api.list(video_id))
            try:
                track, orig = choose_track(tracks, languages, original)
            except LookupError as exc:
                raise TranscriptNotFound(video_id, str(exc)) from None
            with self._lock:
                self._originals[video_id] = orig
            fetched = track.fetch()
        except TranscriptError:
            raise
        except Exception as exc:  # every library or network failure is mapped
            verdict = classify(exc)
            if isinstance(verdict, Transient):
                verdict.reason = redact(verdict.reason, self._secrets)
                raise verdict from None
            log.debug("%s: %s", video_id, redact(repr(exc), self._secrets))
            raise TranscriptError(video_id, redact(verdict, self._secrets)) from None
        lang = fetched.language_code
        where = f"YouTube track {track_description(lang, fetched.is_generated)}"
        parsed = normalise_segments(
            ((round(s.start * 1000), round((s.start + max(s.duration, 0.0)) * 1000), s.text)
             for s in fetched.snippets if s.start >= 0),
            lang, video_id=video_id, where=where)
        if not parsed.segments:
            raise TranscriptError(video_id, f"{where} is empty")
        return Transcript(
            video_id, lang, parsed.segments, generated=fetched.is_generated, source="network",
            origin=f"youtube {track_description(lang, fetched.is_generated)} "
                   f"'{fetched.language}' via youtube-transcript-api {LIBRARY_VERSION}",
            merged_cues=parsed.merged,
        )
