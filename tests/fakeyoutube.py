"""A fake YouTube on 127.0.0.1, for tests and benchmarks of the YouTube transcript source.

It answers the three requests youtube-transcript-api 1.2.5 makes, in the formats its own
code parses: the watch page (HTML carrying `"INNERTUBE_API_KEY": "..."`), the innertube
player API (`POST /youtubei/v1/player?key=...` -> JSON with `playabilityStatus` and
`captions.playerCaptionsTracklistRenderer.captionTracks`, auto-generated tracks having
`"kind": "asr"`), and the caption track (`GET /api/timedtext?...` -> `<transcript><text
start= dur=>` XML, texts HTML-escaped as YouTube does). Videos can misbehave on purpose:
subtitles disabled, unavailable, age-restricted, bot check (RequestBlocked), reCAPTCHA page
(IpBlocked), HTTP 429 for the first N requests, slow answers, connections reset mid-body.

The library's URLs are fixed (`https://www.youtube.com/...`): `route_to(fake)` gives a
session hook that mounts `RouteToLocal`, an HTTPAdapter that sends those requests to the
fake server (plain HTTP, same path and query). The server can also act as an HTTP forward
proxy that demands `Proxy-Authorization`, to test proxy settings end to end.

The server binds 127.0.0.1 only, counts every request, and stops by itself after
`lifetime_s` even if a test forgets to stop it.
"""

from __future__ import annotations

import base64
import html
import json
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit
from xml.sax.saxutils import escape as xml_escape

import requests
from requests.adapters import HTTPAdapter

API_KEY = "AIzaSyFAKE_interlinear-test_key0"
LANGUAGE_NAMES = {"en": "English", "ru": "Russian", "uk": "Ukrainian", "de": "German",
                  "es": "Spanish", "fr": "French", "pt": "Portuguese", "tr": "Turkish"}
BOT_REASON = "Sign in to confirm you’re not a bot"
AGE_REASON = "This video may be inappropriate for some users."
UNAVAILABLE_REASON = "This video is unavailable"


@dataclass
class FakeTrack:
    language_code: str
    snippets: list[tuple[float, float, str]]  # (start_s, duration_s, text)
    generated: bool = False
    name: str | None = None

    @property
    def display_name(self) -> str:
        base = self.name or LANGUAGE_NAMES.get(self.language_code, self.language_code)
        return f"{base} (auto-generated)" if self.generated else base


@dataclass
class FakeVideo:
    video_id: str
    tracks: list[FakeTrack] = field(default_factory=list)
    # ok | disabled | unavailable | age_restricted | bot | recaptcha | unplayable | po_token
    # | no_key (watch page without the API key) | bad_json (player) | bad_xml (caption)
    behaviour: str = "ok"
    fail_first: int = 0  # the first N requests for this video answer `fail_status`
    fail_status: int = 429
    delay_s: float = 0.0  # wait this long before answering any request for this video
    reset: str | None = None  # watch | player | caption: close the connection mid-body


def xml_transcript(snippets: Iterable[tuple[float, float, str]]) -> str:
    body = "".join(
        f'<text start="{start:.3f}" dur="{dur:.3f}">{xml_escape(html.escape(text))}</text>'
        for start, dur, text in snippets
    )
    return f'<?xml version="1.0" encoding="utf-8" ?><transcript>{body}</transcript>'


def watch_page(video_id: str, *, recaptcha: bool = False) -> str:
    if recaptcha:
        return ('<html><body><form action="/das_captcha"><div class="g-recaptcha" '
                'data-sitekey="x"></div></form></body></html>')
    cfg = json.dumps({"INNERTUBE_API_KEY": API_KEY, "INNERTUBE_CLIENT_NAME": "WEB",
                      "VIDEO_ID": video_id})
    return (f"<!DOCTYPE html><html><head><title>{html.escape(video_id)} - YouTube</title>"
            f"</head><body><script>ytcfg.set({cfg});</script></body></html>")


def player_response(video: FakeVideo | None, video_id: str) -> dict[str, Any]:
    if video is None or video.behaviour == "unavailable":
        return {"playabilityStatus": {"status": "ERROR", "reason": UNAVAILABLE_REASON}}
    if video.behaviour == "bot":
        return {"playabilityStatus": {"status": "LOGIN_REQUIRED", "reason": BOT_REASON}}
    if video.behaviour == "age_restricted":
        return {"playabilityStatus": {"status": "LOGIN_REQUIRED", "reason": AGE_REASON}}
    if video.behaviour == "unplayable":
        return {"playabilityStatus": {
            "status": "UNPLAYABLE", "reason": "Video unavailable in your country",
            "errorScreen": {"playerErrorMessageRenderer": {
                "subreason": {"runs": [{"text": "The uploader has not made it available"}]}}}}}
    status = {"status": "OK", "playableInEmbed": True}
    if video.behaviour == "disabled":
        return {"playabilityStatus": status, "videoDetails": {"videoId": video_id}}
    tracks = []
    for t in video.tracks:
        url = (f"https://www.youtube.com/api/timedtext?v={video_id}&ei=fake&caps=asr&opi=1"
               f"&xoaf=5&lang={t.language_code}" + ("&kind=asr" if t.generated else "")
               + ("&exp=xpe" if video.behaviour == "po_token" else "") + "&fmt=srv3")
        track: dict[str, Any] = {
            "baseUrl": url, "name": {"runs": [{"text": t.display_name}]},
            "vssId": ("a." if t.generated else ".") + t.language_code,
            "languageCode": t.language_code, "isTranslatable": True,
        }
        if t.generated:
            track["kind"] = "asr"
        tracks.append(track)
    return {
        "playabilityStatus": status,
        "videoDetails": {"videoId": video_id},
        "captions": {"playerCaptionsTracklistRenderer": {
            "captionTracks": tracks,
            "audioTracks": [{"captionTrackIndices": list(range(len(tracks)))}],
            "translationLanguages": [
                {"languageCode": c, "languageName": {"runs": [{"text": n}]}}
                for c, n in LANGUAGE_NAMES.items()
            ],
        }},
    }


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # no 40 ms delayed-ACK stalls between headers and body

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass

    def do_GET(self) -> None:  # noqa: N802
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def _send(self, status: int, body: bytes, ctype: str, *, cut: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if cut:  # half the body, then a TCP reset
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        self.wfile.write(body)

    def _serve(self, method: str) -> None:
        fake = self.server.fake
        fake.enter()
        try:
            self._answer(method, fake)
        finally:
            fake.leave()

    def _answer(self, method: str, fake: FakeYouTube) -> None:
        body = b""
        if method == "POST":
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        url = urlsplit(self.path)
        if url.scheme:  # absolute URI: we are being used as a forward proxy
            fake.record("proxy", "", "")
            if fake.proxy_auth and self.headers.get("Proxy-Authorization") != fake.proxy_auth:
                fake.record("proxy_denied", "", "")
                self._send(407, b"proxy authentication required", "text/plain")
                return
        query = parse_qs(url.query)
        if url.path == "/watch":
            kind, vid = "watch", query.get("v", [""])[0]
        elif url.path == "/youtubei/v1/player" and method == "POST":
            kind = "player"
            try:
                vid = str(json.loads(body or b"{}").get("videoId", ""))
            except ValueError:
                vid = ""
            if query.get("key", [""])[0] != API_KEY:
                self._send(403, b'{"error": "bad key"}', "application/json")
                return
        elif url.path == "/api/timedtext":
            kind, vid = "caption", query.get("v", [""])[0]
        else:
            fake.record("other", "", url.path)
            self._send(404, b"not found", "text/plain")
            return
        video = fake.videos.get(vid)
        n = fake.record(kind, vid, self.path)
        if video is not None and video.delay_s and fake.stopping.wait(video.delay_s):
            return
        if video is not None and n <= video.fail_first and kind == "watch":
            self._send(video.fail_status, b"<html>Too Many Requests</html>", "text/html")
            return
        cut = video is not None and video.reset == kind
        behaviour = video.behaviour if video is not None else "unavailable"
        if kind == "watch":
            page = watch_page(vid, recaptcha=behaviour == "recaptcha")
            if behaviour == "no_key":
                page = page.replace("INNERTUBE_API_KEY", "SOME_OTHER_KEY")
            self._send(200, page.encode(), "text/html; charset=utf-8", cut=cut)
        elif kind == "player":
            data = json.dumps(player_response(video, vid)).encode()
            if behaviour == "bad_json":
                data = data[: len(data) // 2]
            self._send(200, data, "application/json", cut=cut)
        elif behaviour == "bad_xml":
            self._send(200, b'<?xml version="1.0" ?><transcript><text start="1"', "text/xml")
        else:
            lang, asr = query.get("lang", [""])[0], query.get("kind", [""])[0] == "asr"
            track = next((t for t in (video.tracks if video else [])
                          if t.language_code == lang and t.generated == asr), None)
            if track is None:
                self._send(404, b"", "text/xml")
                return
            self._send(200, xml_transcript(track.snippets).encode(), "text/xml; charset=UTF-8",
                       cut=cut)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: FakeYouTube

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # resets and client time-outs are expected here


class FakeYouTube:
    """`with FakeYouTube(videos) as fake:` serves on `fake.port` until the block ends."""

    def __init__(self, videos: Iterable[FakeVideo] = (), *, lifetime_s: float = 600.0,
                 proxy_user: str | None = None, proxy_password: str | None = None) -> None:
        self.videos = {v.video_id: v for v in videos}
        self.lifetime_s = lifetime_s
        self.proxy_auth = None
        if proxy_user is not None:
            token = base64.b64encode(f"{proxy_user}:{proxy_password or ''}".encode()).decode()
            self.proxy_auth = f"Basic {token}"
        self.counts: Counter[tuple[str, str]] = Counter()
        self.paths: list[str] = []
        self.stopping = threading.Event()
        self.inflight = 0
        self.max_inflight = 0  # most requests being answered at the same time
        self._lock = threading.Lock()
        self._server: _Server | None = None

    def add(self, video: FakeVideo) -> None:
        self.videos[video.video_id] = video

    def enter(self) -> None:
        with self._lock:
            self.inflight += 1
            self.max_inflight = max(self.max_inflight, self.inflight)

    def leave(self) -> None:
        with self._lock:
            self.inflight -= 1

    def wait_idle(self, timeout_s: float = 5.0) -> bool:
        """Wait until no request is being answered (e.g. slow answers to timed-out clients)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if self.inflight == 0:
                    return True
            time.sleep(0.01)
        return False

    def record(self, kind: str, video_id: str, path: str) -> int:
        """Count a request; the number of requests of this kind for this video so far."""
        with self._lock:
            self.counts[(kind, video_id)] += 1
            self.paths.append(path)
            return self.counts[(kind, video_id)]

    def count(self, kind: str | None = None, video_id: str | None = None) -> int:
        """Requests received (of a kind: watch/player/caption/proxy, for a video)."""
        with self._lock:
            return sum(n for (k, v), n in self.counts.items()
                       if (kind is None or k == kind) and (video_id is None or v == video_id)
                       and (kind is not None or k not in ("proxy", "proxy_denied")))

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return int(self._server.server_address[1])

    def start(self) -> FakeYouTube:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True, name="fake-youtube").start()
        timer = threading.Timer(self.lifetime_s, self.stop)
        timer.daemon = True
        timer.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> FakeYouTube:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class RouteToLocal(HTTPAdapter):
    """Sends every request it gets to http://127.0.0.1:PORT, keeping path and query."""

    def __init__(self, port: int) -> None:
        super().__init__()
        self.netloc = f"127.0.0.1:{port}"

    def send(self, request: requests.PreparedRequest, *args: Any,
             **kwargs: Any) -> requests.Response:
        parts = urlsplit(request.url or "")
        request.url = urlunsplit(("http", self.netloc, parts.path, parts.query, ""))
        return super().send(request, *args, **kwargs)


def route_to(port: int) -> Callable[[requests.Session], None]:
    """A session hook: YouTube's hosts go to 127.0.0.1:PORT; no proxies from the environment."""

    def hook(session: requests.Session) -> None:
        session.trust_env = False
        for prefix in ("https://www.youtube.com/", "http://www.youtube.com/",
                       "https://youtube.com/"):
            session.mount(prefix, RouteToLocal(port))

    return hook


def corpus_videos(transcripts_dir: Path, *, generated_too: bool = True) -> list[FakeVideo]:
    """One fake video per corpus folder: an English manual track from its
    `en/sentence_timings.json` (and the same as an auto-generated track)."""
    videos = []
    for folder in sorted(p for p in transcripts_dir.iterdir() if p.is_dir()):
        timings = folder / "en" / "sentence_timings.json"
        if not timings.is_file():
            continue
        rows = json.loads(timings.read_text(encoding="utf-8"))
        snippets = [(float(s), max(0.0, float(e) - float(s)), str(t)) for t, s, e in rows]
        tracks = [FakeTrack("en", snippets)]
        if generated_too:
            tracks.append(FakeTrack("en", snippets, generated=True))
        videos.append(FakeVideo(folder.name, tracks))
    return videos
