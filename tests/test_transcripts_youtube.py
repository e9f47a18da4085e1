"""The YouTube source through youtube-transcript-api's own code, against a local fake YouTube.

No mock of the library: its requests go over real HTTP to tests/fakeyoutube.py, whose
answers follow the formats the library parses.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from pipeline.errors import ConfigError, TranscriptError
from pipeline.transcripts import (
    ProxySettings,
    RetryPolicy,
    TranscriptNotFound,
    YouTubeSettings,
    YouTubeSource,
    fetch_many,
)
from tests.fakeyoutube import FakeTrack, FakeVideo, FakeYouTube, route_to

SNIPS = {
    "en": [(0.0, 2.0, "Hello and welcome."), (2.0, 3.0, "Today: <b>fractions</b> &amp; more")],
    "ru": [(0.5, 2.5, "Привет всем."), (2.0, 3.0, "Сегодня — дроби.")],
    "de": [(1.0, 2.0, "Hallo.")],
    "fr": [(1.0, 2.0, "Bonjour.")],
}


def track(lang: str, generated: bool = False, code: str | None = None) -> FakeTrack:
    return FakeTrack(code or lang, SNIPS[lang], generated=generated)


VIDEOS = [
    # a Russian video: Russian auto-generated track, English and German manual tracks
    FakeVideo("ruSpoken001", [track("en"), track("de"), track("ru", generated=True)]),
    # Russian manual and generated, English manual
    FakeVideo("ruManual001", [track("en"), track("ru", generated=True), track("ru")]),
    # no generated track; manual en-US and fr
    FakeVideo("noAsr000001", [track("fr"), track("en", code="en-US")]),
    FakeVideo("onlyDe00001", [track("de")]),
    FakeVideo("disabled001", behaviour="disabled"),
    FakeVideo("unavail0001", behaviour="unavailable"),
    FakeVideo("ageRestr001", behaviour="age_restricted"),
    FakeVideo("unplayable1", behaviour="unplayable"),
    FakeVideo("poToken0001", [track("en")], behaviour="po_token"),
    FakeVideo("noApiKey001", behaviour="no_key"),
    FakeVideo("badJson0001", [track("en")], behaviour="bad_json"),
    FakeVideo("badXml00001", [track("en")], behaviour="bad_xml"),
    FakeVideo("tooMany0001", [track("en")], fail_first=2),
    FakeVideo("botBlock001", behaviour="bot"),
    FakeVideo("captcha0001", behaviour="recaptcha"),
    FakeVideo("slow0000001", [track("en")], delay_s=1.0),
    FakeVideo("resetBody01", [track("en")], reset="player"),
    FakeVideo("server50001", [track("en")], fail_first=1, fail_status=503),
    *(FakeVideo(f"blocked{i:04d}", behaviour="bot") for i in range(4)),
    *(FakeVideo(f"parallel{i:03d}", [track("en")], delay_s=0.15) for i in range(6)),
    FakeVideo("proxied0001", [track("de")]),
]


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeYouTube]:
    with FakeYouTube(VIDEOS, lifetime_s=300, proxy_user="ws-user-xyz",
                     proxy_password="s3cr3t-Pa55") as server:
        yield server


class Recorder:
    """Injected sleep: records delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def source(fake: FakeYouTube, sleep: Recorder | None = None, *, port: int | None = None,
           **overrides: Any) -> YouTubeSource:
    settings = {"min_interval_s": 0.0, "connect_timeout_s": 1.0, "read_timeout_s": 2.0,
                "give_up_after": 100, "proxy": None, **overrides}
    return YouTubeSource(YouTubeSettings(**settings), session_hook=route_to(port or fake.port),
                         sleep=sleep or Recorder())


# --- language choice -----------------------------------------------------------------

def test_spoken_language_first_when_nothing_is_known(fake: FakeYouTube) -> None:
    with source(fake) as src:
        t = src.fetch("ruSpoken001")
        assert (t.language, t.generated, t.source) == ("ru", True, "network")
        assert [s.text for s in t.segments] == ["Привет всем.", "Сегодня — дроби."]
        assert (t.segments[0].start_ms, t.segments[0].end_ms) == (500, 2000)  # clipped
        assert "ru (generated)" in t.origin and "youtube-transcript-api 1.2.5" in t.origin
        assert src.original_language("ruSpoken001") == "ru"
        # the user's languages come after the original language
        assert src.fetch("ruSpoken001", languages=["en", "de"]).language == "ru"
        # a hint from the note wins over the spoken language
        t = src.fetch("ruSpoken001", original="de", languages=["en"])
        assert (t.language, t.generated, t.segments[0].text) == ("de", False, "Hallo.")
    assert fake.count("caption", "ruSpoken001") == 3
    assert sum("lang=ru&kind=asr" in p for p in fake.paths) == 2


def test_manual_before_generated_in_the_original_language(fake: FakeYouTube) -> None:
    with source(fake) as src:
        t = src.fetch("ruManual001", languages=["en"])
        assert (t.language, t.generated) == ("ru", False)
        assert t.segments[1].text == "Сегодня — дроби."


def test_without_generated_track(fake: FakeYouTube) -> None:
    with source(fake) as src:
        t = src.fetch("noAsr000001")  # nothing known: the first manual track
        assert (t.language, t.generated) == ("fr", False)
        t = src.fetch("noAsr000001", original="en")  # en matches en-US
        assert t.language == "en-US"
        assert t.segments[1].text == "Today: fractions & more"
        assert src.fetch("noAsr000001", languages=["de", "en"]).language == "en-US"


def test_no_track_in_the_wanted_languages(fake: FakeYouTube) -> None:
    with source(fake) as src, pytest.raises(TranscriptNotFound) as err:
        src.fetch("onlyDe00001", original="ru", languages=["en"])
    assert err.value.reason == "onlyDe00001: no transcript in ru, en; YouTube has de (manual)"
    assert not err.value.transient


# --- errors mapped -----------------------------------------------------------------

@pytest.mark.parametrize("video_id, reason", [
    ("disabled001", "subtitles are disabled for this video"),
    ("unavail0001", "the video is unavailable"),
    ("ageRestr001", "age-restricted"),
    ("unplayable1", "unplayable: Video unavailable in your country"),
    ("poToken0001", "PO token"),
    ("noApiKey001", "watch page could not be read"),
    ("badJson0001", "player answer was not JSON"),
    ("badXml00001", "caption track could not be read"),
    ("nonExistent", "the video is unavailable"),
])
def test_permanent_failures_are_one_line_and_not_retried(
    fake: FakeYouTube, video_id: str, reason: str
) -> None:
    sleep = Recorder()
    with source(fake, sleep) as src, pytest.raises(TranscriptError) as err:
        src.fetch(video_id)
    assert reason in err.value.reason and "\n" not in err.value.reason
    assert not err.value.transient and sleep.delays == []
    assert fake.count("watch", video_id) == 1


def test_429_that_clears_after_two_retries(fake: FakeYouTube) -> None:
    sleep = Recorder()
    with source(fake, sleep, retry=RetryPolicy(attempts=4, base_delay_s=2, jitter=0.5)) as src:
        t = src.fetch("tooMany0001")
    assert t.language == "en" and len(t.segments) == 2
    assert fake.count("watch", "tooMany0001") == 3
    assert len(sleep.delays) == 2
    assert 1.0 <= sleep.delays[0] <= 2.0 and 2.0 <= sleep.delays[1] <= 4.0  # back-off, jitter


def test_server_error_is_retried(fake: FakeYouTube) -> None:
    with source(fake) as src:
        assert src.fetch("server50001").language == "en"
    assert fake.count("watch", "server50001") == 2


@pytest.mark.parametrize("video_id, what", [
    ("botBlock001", "RequestBlocked"), ("captcha0001", "IpBlocked"),
])
def test_block_that_does_not_clear(fake: FakeYouTube, video_id: str, what: str) -> None:
    sleep = Recorder()
    policy = RetryPolicy(attempts=3, base_delay_s=1, max_delay_s=1.5, jitter=0)
    with source(fake, sleep, retry=policy) as src, pytest.raises(TranscriptError) as err:
        src.fetch(video_id)
    assert err.value.transient and what in err.value.reason
    assert "INTERLINEAR_PROXY_HTTPS" in err.value.reason and "tried 3 times" in err.value.reason
    assert sleep.delays == [1.0, 1.5]
    assert fake.count("watch", video_id) == 3


def test_slow_response_times_out(fake: FakeYouTube) -> None:
    began = time.monotonic()
    with source(fake, read_timeout_s=0.2, retry=RetryPolicy(attempts=2)) as src, \
            pytest.raises(TranscriptError) as err:
        src.fetch("slow0000001")
    assert err.value.transient and "timeout" in err.value.reason
    assert "tried 2 times" in err.value.reason
    assert time.monotonic() - began < 2.0
    assert fake.count("watch", "slow0000001") == 2


def test_connection_reset_mid_body(fake: FakeYouTube) -> None:
    with source(fake, retry=RetryPolicy(attempts=2)) as src, \
            pytest.raises(TranscriptError) as err:
        src.fetch("resetBody01")
    assert err.value.transient and "connection broke off" in err.value.reason
    assert fake.count("player", "resetBody01") == 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_connection_refused_fails_fast(fake: FakeYouTube) -> None:
    sleep = Recorder()
    began = time.monotonic()
    with source(fake, sleep, port=free_port()) as src, pytest.raises(TranscriptError) as err:
        src.fetch("ruSpoken001")
    assert err.value.transient and "connection refused" in err.value.reason
    assert "tried 2 times" in err.value.reason and len(sleep.delays) == 1
    assert time.monotonic() - began < 2.0


def test_batch_gives_up_after_repeated_blocks(fake: FakeYouTube) -> None:
    policy = RetryPolicy(attempts=2, jitter=0)
    with source(fake, give_up_after=2, retry=policy) as src:
        results = fetch_many([f"blocked{i:04d}" for i in range(4)], src, concurrency=1)
    assert [r.ok for r in results] == [False] * 4
    assert [fake.count("watch", f"blocked{i:04d}") for i in range(4)] == [2, 2, 0, 0]
    assert all(r.transient for r in results)
    assert results[2].error is not None and results[2].error.startswith("not tried")
    assert "INTERLINEAR_WEBSHARE_USER" in results[3].error  # type: ignore[operator]


def test_no_network_each_video_fails_within_bounded_time(fake: FakeYouTube) -> None:
    ids = [f"offline{i:04d}" for i in range(20)]
    began = time.monotonic()
    src = YouTubeSource(YouTubeSettings(give_up_after=3, connect_timeout_s=1.0, proxy=None),
                        session_hook=route_to(free_port()), sleep=lambda s: None)
    with src:
        results = fetch_many(ids, src, concurrency=2)
    assert not any(r.ok for r in results) and all(r.error for r in results)
    assert time.monotonic() - began < 10
    assert src.requests_made <= 2 * 4  # a few videos tried, twice each; the rest not tried


# --- politeness -----------------------------------------------------------------------

def test_min_interval_between_requests(fake: FakeYouTube) -> None:
    sleep = Recorder()
    src = YouTubeSource(YouTubeSettings(min_interval_s=0.5, proxy=None),
                        session_hook=route_to(fake.port), sleep=sleep,
                        clock=lambda: 100.0)  # a clock that stands still
    with src:
        src.fetch("onlyDe00001")
    assert src.requests_made == 3 and sleep.delays == [0.5, 1.0]


def test_bounded_concurrent_fetches(fake: FakeYouTube) -> None:
    ids = [f"parallel{i:03d}" for i in range(6)]
    assert fake.wait_idle()
    fake.max_inflight = 0
    with source(fake, max_concurrent=2) as src:
        results = fetch_many(ids, src, concurrency=6)
    assert all(r.ok for r in results)
    assert fake.max_inflight == 2


# --- proxies ------------------------------------------------------------------------

def test_generic_proxy_is_used_and_secrets_stay_out(
    fake: FakeYouTube, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    good = ProxySettings(http_url=f"http://ws-user-xyz:s3cr3t-Pa55@127.0.0.1:{fake.port}")
    before = fake.count("proxy")
    with source(fake, proxy=good) as src:
        assert src.fetch("proxied0001").language == "de"
        shown = repr(src) + repr(src.settings) + good.describe()
    assert fake.count("proxy") - before == 3 and fake.count("proxy_denied") == 0
    bad = ProxySettings(http_url=f"http://ws-user-xyz:wr0ng-Pa55@127.0.0.1:{fake.port}")
    with source(fake, proxy=bad) as src, pytest.raises(TranscriptError) as err:
        src.fetch("proxied0001")
    assert "407" in err.value.reason and fake.count("proxy_denied") == 1
    refused = ProxySettings(https_url=f"http://ws-user-xyz:s3cr3t-Pa55@127.0.0.1:{free_port()}",
                            http_url=f"http://ws-user-xyz:s3cr3t-Pa55@127.0.0.1:{free_port()}")
    with source(fake, proxy=refused, retry=RetryPolicy(connect_attempts=1)) as src, \
            pytest.raises(TranscriptError) as err2:
        src.fetch("proxied0001")
    assert "proxy" in err2.value.reason
    everything = shown + caplog.text + str(err.value) + str(err2.value) + repr(refused)
    for secret in ("s3cr3t-Pa55", "wr0ng-Pa55", "ws-user-xyz"):
        assert secret not in everything
    assert "127.0.0.1" in good.describe()


def test_proxy_settings_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ProxySettings.from_env({}) is None
    for name in ("PROXY_HTTP", "PROXY_HTTPS", "WEBSHARE_USER", "WEBSHARE_PASSWORD"):
        monkeypatch.delenv(f"INTERLINEAR_{name}", raising=False)
    monkeypatch.setenv("INTERLINEAR_PROXY_HTTP", "http://proxy.example:3128")
    assert YouTubeSettings().proxy == ProxySettings(http_url="http://proxy.example:3128")
    assert YouTubeSettings(proxy=None).proxy is None
    assert YouTubeSettings.from_env({}).proxy is None
    env = {"INTERLINEAR_WEBSHARE_USER": "alice-ws", "INTERLINEAR_WEBSHARE_PASSWORD": "pw-123",
           "INTERLINEAR_WEBSHARE_LOCATIONS": "de, us"}
    ws = ProxySettings.from_env(env)
    assert ws is not None
    config = ws.to_config()
    assert type(config).__name__ == "WebshareProxyConfig"
    assert config.to_requests_dict()["https"] == (
        "http://alice-ws-DE-US-rotate:pw-123@p.webshare.io:80/")
    assert "pw-123" not in repr(ws) + ws.describe() and "alice-ws" not in repr(ws)
    generic = ProxySettings.from_env({"INTERLINEAR_PROXY_HTTPS": "http://u:p@proxy.example:3128"})
    assert generic is not None and generic.to_config().to_requests_dict() == {
        "http": "http://u:p@proxy.example:3128", "https": "http://u:p@proxy.example:3128"}
    assert generic.describe() == "proxy http://proxy.example:3128"
    with pytest.raises(ConfigError, match="both"):
        ProxySettings.from_env({"INTERLINEAR_WEBSHARE_USER": "alice"})
    with pytest.raises(ConfigError, match="not both"):
        ProxySettings.from_env({**env, "INTERLINEAR_PROXY_HTTP": "http://h:1"})
    with pytest.raises(ConfigError, match="scheme"):
        ProxySettings.from_env({"INTERLINEAR_PROXY_HTTP": "user:secret@host:1"})


def test_bad_video_id_is_refused_before_any_request(fake: FakeYouTube) -> None:
    with source(fake) as src, pytest.raises(TranscriptError, match="not a YouTube video id"):
        src.fetch("https://www.youtube.com/watch?v=x")
    assert src.requests_made == 0
