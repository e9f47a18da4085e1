"""The transcript cache and batch fetching, against the local fake YouTube."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.errors import TranscriptError
from pipeline.model import Note, Transcript
from pipeline.transcripts import (
    CachedSource,
    ChainSource,
    FetchRequest,
    LocalSource,
    OfflineSource,
    RetryPolicy,
    TranscriptNotFound,
    YouTubeSettings,
    YouTubeSource,
    build_source,
    fetch_many,
    format_fetch_table,
    requests_for_notes,
)
from pipeline.transcripts.cache import fetcher_signature
from tests.fakeyoutube import FakeTrack, FakeVideo, FakeYouTube, route_to

EN = [(0.0, 2.0, "One."), (2.0, 2.0, "Two.")]
RU = [(0.0, 2.0, "Раз."), (2.0, 2.0, "Два.")]


@pytest.fixture
def fake() -> Iterator[FakeYouTube]:
    videos = [
        FakeVideo("ruVideo0001", [FakeTrack("en", EN), FakeTrack("ru", RU, generated=True)]),
        FakeVideo("enVideo0001", [FakeTrack("en", EN), FakeTrack("en", EN, generated=True)]),
        FakeVideo("enVideo0002", [FakeTrack("en", EN)]),
        FakeVideo("disabled001", behaviour="disabled"),
    ]
    with FakeYouTube(videos, lifetime_s=120) as server:
        yield server


def youtube(fake: FakeYouTube) -> YouTubeSource:
    settings = YouTubeSettings(min_interval_s=0, retry=RetryPolicy(attempts=2),
                               give_up_after=100, proxy=None)
    return YouTubeSource(settings, session_hook=route_to(fake.port), sleep=lambda s: None)


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_second_run_makes_no_network_call(fake: FakeYouTube, tmp_path: Path) -> None:
    first = CachedSource(youtube(fake), tmp_path).fetch("ruVideo0001")
    assert (first.source, first.language, first.generated) == ("network", "ru", True)
    assert fake.count() == 3
    path = tmp_path / "ruVideo0001" / "ru.json"
    entry = json.loads(path.read_text(encoding="utf-8"))
    assert entry["language"] == "ru" and entry["generated"] is True
    assert entry["original_language"] == "ru" and entry["fetched_at"].endswith("+00:00")
    assert entry["produced_by"]["youtube-transcript-api"] == "1.2.5"
    assert entry["produced_by"] == fetcher_signature().provenance()
    assert entry["checksum"].startswith("sha256:") and entry["segments"][0] == [0, 2000, "Раз."]
    # a new run (new objects), with or without the user's languages: from the cache only
    for kwargs in ({}, {"languages": ["en"]}, {"original": "ru"}):
        again = CachedSource(youtube(fake), tmp_path).fetch("ruVideo0001", **kwargs)
        assert again.source == "cache" and again.segments == first.segments
        assert (again.language, again.generated) == ("ru", True)
    assert fake.count() == 3
    # asking for a language the video's original is not, and not cached: network
    other = CachedSource(youtube(fake), tmp_path).fetch("ruVideo0001", original="en")
    assert (other.source, other.language, other.generated) == ("network", "en", False)
    assert sorted(p.name for p in (tmp_path / "ruVideo0001").iterdir()) == ["en.json", "ru.json"]


def test_refresh_and_age_limit(fake: FakeYouTube, tmp_path: Path) -> None:
    clock = Clock()
    CachedSource(youtube(fake), tmp_path, clock=clock).fetch("enVideo0001")
    assert fake.count("caption", "enVideo0001") == 1
    CachedSource(youtube(fake), tmp_path, clock=clock, refresh=True).fetch("enVideo0001")
    assert fake.count("caption", "enVideo0001") == 2
    clock.now += 3600
    young = CachedSource(youtube(fake), tmp_path, clock=clock, max_age_s=7200)
    assert young.fetch("enVideo0001").source == "cache"
    old = CachedSource(youtube(fake), tmp_path, clock=clock, max_age_s=1800)
    assert old.fetch("enVideo0001").source == "network"
    assert fake.count("caption", "enVideo0001") == 3


def test_failed_refresh_falls_back_to_the_cache_with_a_warning(
    fake: FakeYouTube, tmp_path: Path
) -> None:
    CachedSource(youtube(fake), tmp_path).fetch("enVideo0002")
    fake.videos["enVideo0002"].behaviour = "bot"  # YouTube starts blocking us
    cached = CachedSource(youtube(fake), tmp_path, refresh=True)
    t = cached.fetch("enVideo0002")
    assert t.source == "cache"
    (warning,) = cached.take_warnings("enVideo0002")
    assert "could not refresh" in warning and "RequestBlocked" in warning
    assert cached.take_warnings("enVideo0002") == ()


def test_entries_written_before_signatures_still_load(fake: FakeYouTube, tmp_path: Path) -> None:
    CachedSource(youtube(fake), tmp_path).fetch("enVideo0002")
    path = tmp_path / "enVideo0002" / "en.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["produced_by"] = {"interlinear": "0.1.0", "youtube-transcript-api": "1.2.5"}
    from pipeline.transcripts.cache import _checksum
    data["checksum"] = _checksum({k: v for k, v in data.items() if k != "checksum"})
    path.write_text(json.dumps(data), encoding="utf-8")
    before = fake.count()
    cached = CachedSource(youtube(fake), tmp_path)
    assert cached.fetch("enVideo0002").source == "cache" and fake.count() == before
    assert cached.take_warnings("enVideo0002") == ()


@pytest.mark.parametrize("damage", ["not json", "checksum", "truncated", "bad segment"])
def test_damaged_cache_file_is_reported_and_fetched_again(
    fake: FakeYouTube, tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    CachedSource(youtube(fake), tmp_path).fetch("enVideo0002")
    path = tmp_path / "enVideo0002" / "en.json"
    text = path.read_text(encoding="utf-8")
    if damage == "not json":
        path.write_text("{{{", encoding="utf-8")
    elif damage == "checksum":
        path.write_text(text.replace("Two.", "Tw0."), encoding="utf-8")
    elif damage == "truncated":
        path.write_text(text[: len(text) // 2], encoding="utf-8")
    else:  # a consistent checksum over a malformed body
        data = json.loads(text)
        data["segments"][0] = [5, 1, "x"]
        body = {k: v for k, v in data.items() if k != "checksum"}
        from pipeline.transcripts.cache import _checksum
        data["checksum"] = _checksum(body)
        path.write_text(json.dumps(data), encoding="utf-8")
    caplog.set_level(logging.WARNING)
    before = fake.count("caption", "enVideo0002")
    results = fetch_many(["enVideo0002"], CachedSource(youtube(fake), tmp_path))
    (r,) = results
    assert r.transcript is not None and r.source == "network"
    assert [s.text for s in r.transcript.segments] == ["One.", "Two."]
    assert fake.count("caption", "enVideo0002") == before + 1
    aside = path.with_name("en.json.damaged")
    (warning,) = r.warnings
    assert warning.startswith(f"damaged cache file {path} (")
    assert warning.endswith(f"); set aside as {aside}; fetched again")
    assert str(path) in caplog.text
    assert aside.exists()
    assert CachedSource(youtube(fake), tmp_path).fetch("enVideo0002").source == "cache"
    assert "warning enVideo0002: damaged cache file" in format_fetch_table(results)


def damage(path: Path) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace("Two.", "Tw0."), encoding="utf-8")


def test_damaged_cache_file_offline_says_it_was_set_aside_and_not_fetched(
    fake: FakeYouTube, tmp_path: Path
) -> None:
    cache, local = tmp_path / "cache", tmp_path / "local"
    local.mkdir()
    CachedSource(youtube(fake), cache).fetch("enVideo0002")
    path = cache / "enVideo0002" / "en.json"
    aside = path.with_name("en.json.damaged")
    damage(path)
    before = fake.count()
    (r,) = fetch_many(["enVideo0002"], build_source(None, cache_dir=cache, offline=True))
    assert r.error == (f"damaged cache entry set aside as {aside}; "
                       "not fetched: fetching is off (offline)")
    assert r.warnings == (f"damaged cache file {path} (checksum mismatch); set aside as {aside}",)
    table = format_fetch_table([r])
    assert "not in the cache" not in table and "fetched again" not in table
    assert aside.exists() and not path.exists() and fake.count() == before
    # with local files first; then, the damaged entry gone, a second offline run
    (r,) = fetch_many(["enVideo0002"], build_source(local, cache_dir=cache, offline=True))
    assert r.error == (f"no transcript file in {local}; not in the cache; "
                       "not fetched: fetching is off (offline)")
    assert r.warnings == () and fake.count() == before


def test_offline_failures_say_what_the_cache_had(fake: FakeYouTube, tmp_path: Path) -> None:
    clock = Clock()
    CachedSource(youtube(fake), tmp_path, clock=clock).fetch("enVideo0002")
    clock.now += 3600
    stale = CachedSource(OfflineSource(), tmp_path, clock=clock, max_age_s=60)
    with pytest.raises(TranscriptNotFound) as err:
        stale.fetch("enVideo0002")
    assert err.value.reason == ("enVideo0002: the cached transcript is older than the age "
                                "limit (60 s); not fetched: fetching is off (offline)")
    with pytest.raises(TranscriptNotFound) as err:
        CachedSource(OfflineSource(), tmp_path).fetch("enVideo0002", original="ru",
                                                      languages=["ru"])
    assert err.value.reason == ("enVideo0002: not in the cache in the languages asked for "
                                "(cached: en); not fetched: fetching is off (offline)")


def test_damaged_entry_of_another_language_is_not_said_to_be_fetched_again(
    fake: FakeYouTube, tmp_path: Path
) -> None:
    CachedSource(youtube(fake), tmp_path).fetch("enVideo0002")
    other = tmp_path / "enVideo0002" / "ru.json"
    other.write_text("{{{", encoding="utf-8")
    before = fake.count()
    (r,) = fetch_many(["enVideo0002"], CachedSource(youtube(fake), tmp_path))
    assert r.source == "cache" and fake.count() == before
    (warning,) = r.warnings
    assert warning.startswith(f"damaged cache file {other} (not JSON")
    assert warning.endswith(f"; set aside as {other}.damaged")


def test_a_damaged_file_that_cannot_be_set_aside_is_said_so(
    fake: FakeYouTube, tmp_path: Path
) -> None:
    CachedSource(youtube(fake), tmp_path).fetch("enVideo0002")
    path = tmp_path / "enVideo0002" / "en.json"
    damage(path)
    (path.with_name("en.json.damaged") / "x").mkdir(parents=True)  # in the way
    (r,) = fetch_many(["enVideo0002"], build_source(None, cache_dir=tmp_path, offline=True))
    assert r.error == ("damaged cache entry could not be set aside (Is a directory); "
                       "not fetched: fetching is off (offline)")
    (r,) = fetch_many(["enVideo0002"], CachedSource(youtube(fake), tmp_path))
    assert r.source == "network" and r.warnings == (
        f"damaged cache file {path} (checksum mismatch); could not be set aside "
        "(Is a directory); fetched again",)
    assert CachedSource(youtube(fake), tmp_path).fetch("enVideo0002").source == "cache"


def test_a_transcript_that_cannot_be_cached_is_returned_and_said_so(
    fake: FakeYouTube, tmp_path: Path
) -> None:
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the cache folder should be", encoding="utf-8")
    (r,) = fetch_many(["enVideo0002"], CachedSource(youtube(fake), blocked))
    assert r.source == "network" and [s.text for s in r.transcript.segments] == ["One.", "Two."]
    assert r.warnings == (f"not cached: cannot write {blocked}/enVideo0002/en.json "
                          "(Not a directory)",)


def test_fetch_many_table_local_cache_network_failed(fake: FakeYouTube, tmp_path: Path) -> None:
    local = tmp_path / "local"
    local.mkdir()
    (local / "localVid001.ru.json").write_text(
        json.dumps([{"text": "Привет", "start": 1, "duration": 2}]), encoding="utf-8")
    (local / "brokenVid01.json").write_text("[", encoding="utf-8")
    cache = tmp_path / "cache"
    CachedSource(youtube(fake), cache).fetch("enVideo0001")
    source = ChainSource(LocalSource(local), CachedSource(youtube(fake), cache))
    before = fake.count()
    reqs: list[FetchRequest | str] = [
        "localVid001", FetchRequest("enVideo0001", None, ("ru",)), "ruVideo0001",
        "disabled001", "brokenVid01", "localVid001"]
    results = fetch_many(reqs, source, concurrency=3)
    assert [r.video_id for r in results] == [
        "localVid001", "enVideo0001", "ruVideo0001", "disabled001", "brokenVid01"]
    assert [r.source for r in results] == ["local", "cache", "network", "", ""]
    assert [r.track for r in results][:3] == ["ru (file)", "en (manual)", "ru (generated)"]
    assert results[3].error == "subtitles are disabled for this video"
    assert results[4].error is not None and "not valid JSON" in results[4].error
    assert fake.count("watch", "brokenVid01") == 0  # a broken local file is not hidden
    assert fake.count() - before == 5  # ruVideo0001: watch, player, caption; disabled001: 2
    table = format_fetch_table(results)
    lines = table.splitlines()
    assert lines[0].split() == ["video", "track", "segments", "source", "status"]
    assert lines[1].split() == ["localVid001", "ru", "(file)", "1", "local", "ok"]
    assert "FAILED: subtitles are disabled for this video" in lines[4]
    assert lines[-1] == "5 videos: 3 ok (1 local, 1 cache, 1 network), 2 failed"


def test_offline_uses_local_and_cache_only(fake: FakeYouTube, tmp_path: Path) -> None:
    CachedSource(youtube(fake), tmp_path).fetch("enVideo0001")
    before = fake.count()
    source = build_source(None, cache_dir=tmp_path, offline=True, refresh=True)
    results = fetch_many(["enVideo0001", "ruVideo0001"], source)
    assert results[0].source == "cache"
    assert not results[1].ok and "offline" in (results[1].error or "")
    assert fake.count() == before


def test_batch_languages_and_a_bug_in_a_source_does_not_stop_the_batch() -> None:
    class Flaky:
        def fetch(self, video_id: str, **kwargs: Any) -> Transcript:
            if video_id == "bad":
                raise KeyError("boom")
            raise TranscriptError(video_id, "nothing here", transient=True)

    class Recording:
        def __init__(self) -> None:
            self.calls: list[tuple[str, tuple[str, ...], str | None]] = []

        def fetch(self, video_id: str, *, languages: Any = (), original: Any = None) -> Any:
            self.calls.append((video_id, tuple(languages), original))
            raise TranscriptError(video_id, "no")

    rec = Recording()
    fetch_many(["a", FetchRequest("b", "ru"), FetchRequest("c", None, ("de",))], rec,
               languages=["uk", "en"], concurrency=1)
    assert rec.calls == [("a", ("uk", "en"), None), ("b", ("uk", "en"), "ru"),
                         ("c", ("de",), None)]
    results = fetch_many(["bad", "good"], Flaky())
    assert results[0].error == "internal error: KeyError: 'boom'"
    assert results[1].error == "nothing here" and results[1].transient


def test_requests_for_notes() -> None:
    def note(name: str, vid: str | None, lang: str | None = None) -> Note:
        return Note(Path(f"{name}.md"), name, vid, "ch", meta={}, lang=lang)

    notes = [note("a", "vid1"), note("b", None), note("c", "vid1", "ru"), note("d", "vid2")]
    assert requests_for_notes(notes, languages=["uk", "en"], original="de") == [
        FetchRequest("vid1", "ru", ("uk", "en")), FetchRequest("vid2", "de", ("uk", "en"))]
