"""What a failure of youtube-transcript-api or of the network means: retry it, or report it.

`classify(exc)` gives a `Transient` (worth retrying; its `kind` says why: blocked, timeout,
connect, broken, server) or the one-line reason of a permanent failure.
"""

from __future__ import annotations

from xml.etree.ElementTree import ParseError

import requests
import youtube_transcript_api as yte

__all__ = ["Transient", "classify"]


class Transient(Exception):
    """A failure worth retrying; `kind`: blocked, timeout, connect, broken or server."""

    def __init__(self, reason: str, kind: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


_PERMANENT: dict[type[Exception], str] = {
    yte.TranscriptsDisabled: "subtitles are disabled for this video",
    yte.AgeRestricted: "the video is age-restricted (transcripts need a signed-in account)",
    yte.InvalidVideoId: "not a valid video id",
    yte.VideoUnavailable: "the video is unavailable (removed, private or wrong id)",
    yte.PoTokenRequired: "YouTube requires a PO token for this caption track",
    yte.FailedToCreateConsentCookie: "YouTube's cookie consent page could not be passed",
    yte.YouTubeDataUnparsable: "YouTube's watch page could not be read (format changed?)",
}


def _root_cause(exc: BaseException) -> str:
    """The innermost cause's class name: NameResolutionError, ConnectionRefusedError..."""
    seen: set[int] = set()
    cur = exc
    while id(cur) not in seen:
        seen.add(id(cur))
        first = cur.args[0] if cur.args else None
        nxt = cur.__cause__ or cur.__context__ or getattr(first, "reason", None) or first
        if not isinstance(nxt, BaseException):
            break
        cur = nxt
    name = type(cur).__name__
    return _FRIENDLY.get(name, name)


_FRIENDLY = {
    "gaierror": "cannot resolve www.youtube.com: no network?",
    "NameResolutionError": "cannot resolve www.youtube.com: no network?",
    "ConnectionRefusedError": "connection refused",
    "ConnectionResetError": "connection reset",
    "OSError": "network error",
}


def classify(exc: Exception) -> Transient | str:
    """A transient failure to retry, or the one-line reason of a permanent one."""
    if isinstance(exc, yte.IpBlocked):
        return Transient("YouTube rate-limited or blocked this IP (HTTP 429 / IpBlocked)",
                          "blocked")
    if isinstance(exc, yte.RequestBlocked):
        return Transient("YouTube blocked the request as a bot (RequestBlocked)", "blocked")
    if isinstance(exc, yte.VideoUnplayable):
        return f"the video is unplayable: {exc.reason or 'no reason given'}"
    if isinstance(exc, yte.YouTubeRequestFailed):
        reason = exc.reason.split(" for url")[0]
        if reason[:1] == "5":
            return Transient(f"YouTube server error ({reason})", "server")
        return f"request to YouTube failed ({reason})"
    for cls, reason in _PERMANENT.items():
        if isinstance(exc, cls):
            return reason
    if isinstance(exc, yte.CouldNotRetrieveTranscript):
        return f"could not retrieve the transcript ({type(exc).__name__})"
    if isinstance(exc, requests.Timeout):
        return Transient("YouTube did not answer in time (timeout)", "timeout")
    if isinstance(exc, requests.exceptions.ProxyError):
        return Transient("the proxy refused or failed the connection", "connect")
    if isinstance(exc, requests.exceptions.InvalidJSONError):
        return "YouTube's player answer was not JSON"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError |
                  requests.exceptions.ContentDecodingError):
        return Transient(f"the connection broke off ({type(exc).__name__})", "broken")
    if isinstance(exc, requests.ConnectionError):
        return Transient(f"cannot connect to YouTube ({_root_cause(exc)})", "connect")
    if isinstance(exc, requests.RequestException):
        return f"request to YouTube failed ({type(exc).__name__})"
    if isinstance(exc, ParseError | ValueError):
        return f"the caption track could not be read ({type(exc).__name__})"
    return f"unexpected answer from YouTube ({type(exc).__name__})"
