"""Duplicated cues merged when transcripts are read: doubled files, rolling auto-captions."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pipeline.model import Segment
from pipeline.subtitles import cues_from_segments, rules_for
from pipeline.transcripts import (
    CachedSource,
    LocalSource,
    RetryPolicy,
    YouTubeSettings,
    YouTubeSource,
    clean_lines,
    fetch_many,
    format_fetch_table,
    merge_repeats,
    normalise_segments,
    parse_json,
    parse_srt,
    parse_timings,
    parse_vtt,
)
from pipeline.transcripts.formats import _cues
from pipeline.transcripts.repeats import Cue
from tests.conftest import CORPUS
from tests.fakeyoutube import FakeTrack, FakeVideo, FakeYouTube, route_to

VID = "chIqmlJA2i0"
SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "transcripts" / f"{VID}.ru.json"
Raw = tuple[int, int, str]


def clean() -> list[Raw]:
    """The sample transcript (245 contiguous cues), as (start_ms, end_ms, text)."""
    segs = parse_json(SAMPLE.read_text(encoding="utf-8"), video_id=VID, where="sample",
                      language="ru").segments
    return [(s.start_ms, s.end_ms, s.text) for s in segs]


def _t(ms: int, sep: str) -> str:
    s, frac = divmod(ms, 1000)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}{sep}{frac:03d}"


def srt(cues: Sequence[Raw]) -> str:
    return "".join(f"{n}\n{_t(a, ',')} --> {_t(b, ',')}\n{text}\n\n"
                   for n, (a, b, text) in enumerate(cues, 1))


def vtt(cues: Sequence[Raw]) -> str:
    return "WEBVTT\nKind: captions\nLanguage: ru\n\n" + "".join(
        f"{_t(a, '.')} --> {_t(b, '.')} align:start position:0%\n{text}\n\n"
        for a, b, text in cues)


def yta_json(cues: Sequence[Raw]) -> str:
    return json.dumps([{"text": text, "start": a / 1000, "duration": (b - a) / 1000}
                       for a, b, text in cues], ensure_ascii=False)


def timings(cues: Sequence[Raw]) -> str:
    return json.dumps([[text, a / 1000, b / 1000] for a, b, text in cues], ensure_ascii=False)


FORMATS: dict[str, tuple[Callable[[Sequence[Raw]], str], Callable[..., object]]] = {
    "srt": (srt, parse_srt), "vtt": (vtt, parse_vtt), "json": (yta_json, parse_json),
    "timings": (timings, parse_timings),
}


def parse(kind: str, cues: Sequence[Raw]) -> tuple[tuple[Segment, ...], int]:
    write, parser = FORMATS[kind]
    parsed = parser(write(cues), video_id=VID, where=f"x.{kind}", language="ru")
    return parsed.segments, parsed.merged  # type: ignore[attr-defined]


def rolling(lines: Sequence[Raw], *, tags: bool = True) -> list[Raw]:
    """YouTube's auto-captions as yt-dlp writes them: each line grows below the previous
    one (word times inline when `tags`), then a 10 ms cue holds it alone."""
    out: list[Raw] = []
    for i, (a, b, text) in enumerate(lines):
        above = lines[i - 1][2] if i else " "
        words = text.split()
        step = max(1, (b - 10 - a) // (len(words) + 1))
        grown = words[0] + "".join(f"<{_t(a + step * k, '.')}><c> {w}</c>"
                                   for k, w in enumerate(words[1:], 1))
        out.append((a, b - 10, f"{above}\n{grown if tags else text}"))
        out.append((b - 10, b, f"{text}\n "))
    return out


# --- doubled transcripts ---------------------------------------------------------------

@pytest.mark.parametrize("kind", sorted(FORMATS))
@pytest.mark.parametrize("how", ["each cue twice", "the whole file twice"])
def test_a_doubled_transcript_gives_the_clean_one(kind: str, how: str) -> None:
    cues = clean()
    doubled = [c for c in cues for _ in (0, 1)] if how == "each cue twice" else cues + cues
    want, none = parse(kind, cues)
    got, merged = parse(kind, doubled)
    assert none == 0 and merged == len(cues) == 245
    assert got == want
    rules = rules_for("ru")
    assert cues_from_segments(got, rules) == cues_from_segments(want, rules)


def test_exact_duplicates_overlapping_or_same_span_merge_touching_repeats_stay() -> None:
    segs, merged = parse("srt", [(0, 3000, "a b c"), (1000, 4000, "a b c"),
                                 (5000, 6000, "Wait for it."), (6000, 7000, "Wait for it."),
                                 (7000, 7010, "Wait for it."),  # a flash: not for reading
                                 (8000, 8000, "x"), (8000, 8000, "x"), (8000, 9000, "x")])
    assert [(s.start_ms, s.end_ms, s.text) for s in segs] == [
        (0, 4000, "a b c"), (5000, 6000, "Wait for it."), (6000, 7010, "Wait for it."),
        (8000, 9000, "x x")]  # a repeat said again, and a zero-length cue, are not doubles
    assert merged == 3


def test_local_file_fetch_table_and_manifest_say_how_many_were_merged(tmp_path: Path) -> None:
    cues = clean()
    (tmp_path / f"{VID}.ru.srt").write_text(srt([c for c in cues for _ in (0, 1)]),
                                             encoding="utf-8")
    (tmp_path / "cleanVideo1.ru.srt").write_text(srt(cues), encoding="utf-8")
    results = fetch_many([VID, "cleanVideo1"], LocalSource(tmp_path))
    assert [r.segments for r in results] == [245, 245]
    assert results[0].transcript is not None and results[0].transcript.merged_cues == 245
    assert results[0].warnings == ("245 duplicated cues merged",)
    assert results[1].warnings == () and results[1].transcript is not None
    assert results[1].transcript.merged_cues == 0
    assert f"  warning {VID}: 245 duplicated cues merged" in format_fetch_table(results)


# --- rolling auto-captions -------------------------------------------------------------

def test_the_example_of_a_rolling_cue() -> None:
    segs, merged = parse("json", [(0, 1000, "we talk about"),
                                  (1000, 3000, "we talk about\nthe weather today")])
    assert [(s.start_ms, s.end_ms, s.text) for s in segs] == [
        (0, 1000, "we talk about"), (1000, 3000, "the weather today")]
    assert merged == 1


@pytest.mark.parametrize("kind, tags", [("vtt", True), ("srt", False), ("json", False)])
def test_rolling_captions_give_each_word_once(kind: str, tags: bool) -> None:
    """yt-dlp's WebVTT of auto-captions (word times inline), its SubRip conversion, and
    the same cues as youtube-transcript-api JSON: the clean lines, each once, timed."""
    cues = clean()
    segs, merged = parse(kind, rolling(cues, tags=tags))
    want, _ = parse(kind, cues)
    assert segs == want
    assert merged == 2 * len(cues) - 1  # every 10 ms cue dropped, every line after the first cut
    spoken = Counter(w for _, _, text in cues for w in text.split())
    assert Counter(w for s in segs for w in s.text.split()) == spoken


def test_flattened_rolling_text_keeps_new_words_of_three_or_more_words_carried() -> None:
    """Rolling cues joined into one line (no line breaks left): carries of 3+ words go."""
    cues = clean()
    flat = [(a, b, f"{cues[i - 1][2]} {text}" if i else text)
            for i, (a, b, text) in enumerate(cues)]
    segs, merged = parse("json", flat)
    want, _ = parse("json", cues)
    short = [i for i, (_, _, text) in enumerate(cues[:-1]) if len(text.split()) < 3]
    assert len(short) == 1  # "Ну что ж." : two words, not enough to be sure
    assert merged == len(cues) - 1 - len(short)
    for i, (got, expect) in enumerate(zip(segs, want, strict=True)):
        carried = f"{cues[i - 1][2]} " if i - 1 in short else ""
        assert got == Segment(expect.start_ms, expect.end_ms, carried + expect.text, "ru")


def test_a_growing_cue_word_by_word_keeps_each_word_once() -> None:
    sentence = "so what we are going to do today is talk about the weather"
    words = sentence.split(" ")
    cues = [(i * 300, (i + 1) * 300, " ".join(words[: i + 1])) for i in range(len(words))]
    segs, merged = parse("vtt", cues)
    assert " ".join(s.text for s in segs) == " ".join(words)
    assert [s.start_ms for s in segs] == [i * 300 for i in range(len(words))]
    assert merged == len(words) - 1


@pytest.mark.parametrize("cues", [
    [(0, 1000, "I went to the"), (1000, 2000, "the store")],  # one word shared
    [(0, 1000, "we need to go, we need to"), (1000, 2000, "we need to do this")],  # a stutter
    [(0, 1000, "Let it go"), (1000, 2000, "Let it go"), (2000, 3000, "and so on")],  # lyrics
    [(0, 1000, "Thank you."), (1000, 2000, "Thank you. Really.")],  # two words only
    [(0, 1000, "so that is it"), (1500, 2500, "so that is it and more")],  # not touching
    [(0, 1000, "a b\nc d e"), (1000, 2000, "d e f\ng")],  # the end shared is not whole
    [(0, 1000, "D'accord."), (1200, 1200, "D'accord."), (1300, 2000, "Alors")],  # no length
])
def test_different_cues_that_share_a_few_words_are_kept(cues: list[Raw]) -> None:
    for kind in ("srt", "json"):
        segs, merged = parse(kind, cues)
        assert merged == 0
        assert [s.text for s in segs] == [" ".join(t.split()) for _, _, t in cues]


# --- YouTube and the cache -------------------------------------------------------------

@pytest.fixture
def fake() -> Iterator[FakeYouTube]:
    cues = clean()[:40]
    roll = [(a / 1000, (b - a) / 1000, t) for a, b, t in rolling(cues, tags=False)]
    double = [(a / 1000, (b - a) / 1000, t) for a, b, t in cues for _ in (0, 1)]
    videos = [FakeVideo("rollingVid1", [FakeTrack("ru", roll, generated=True)]),
              FakeVideo("doubledVid1", [FakeTrack("ru", double)])]
    with FakeYouTube(videos, lifetime_s=120) as server:
        yield server


def youtube(fake: FakeYouTube) -> YouTubeSource:
    settings = YouTubeSettings(min_interval_s=0, retry=RetryPolicy(attempts=2),
                               give_up_after=100, proxy=None)
    return YouTubeSource(settings, session_hook=route_to(fake.port), sleep=lambda s: None)


def test_youtube_tracks_are_merged_and_the_cache_remembers_the_count(
    fake: FakeYouTube, tmp_path: Path
) -> None:
    want, _ = parse("json", clean()[:40])
    first = fetch_many(["rollingVid1", "doubledVid1"], CachedSource(youtube(fake), tmp_path))
    again = fetch_many(["rollingVid1", "doubledVid1"], CachedSource(youtube(fake), tmp_path))
    for results, source in ((first, "network"), (again, "cache")):
        assert [r.source for r in results] == [source, source]
        for r, merged in zip(results, (79, 40), strict=True):
            assert r.transcript is not None and r.transcript.segments == want
            assert r.transcript.merged_cues == merged
            assert r.warnings == (f"{merged} duplicated cues merged",)
    entry = json.loads((tmp_path / "doubledVid1" / "ru.json").read_text(encoding="utf-8"))
    assert entry["merged_cues"] == 40 and len(entry["segments"]) == 40


def test_a_cache_entry_written_before_merging_is_merged_when_read(tmp_path: Path) -> None:
    """An entry cached from a rolling track before merging existed: one line per segment
    (each growing cue holding the line before it, each 10 ms cue its own line)."""
    from pipeline.transcripts.cache import _checksum

    cues = clean()[:30]
    old = [[a, b, " ".join(clean_lines(text))] for a, b, text in rolling(cues, tags=False)]
    body = {"format": 1, "video_id": VID, "language": "ru", "generated": True,
            "original_language": "ru", "origin": "youtube", "fetched_at": "x",
            "fetched_at_epoch": 1.0, "answers": [], "segments": old}
    body["checksum"] = _checksum(body)
    (tmp_path / VID).mkdir()
    (tmp_path / VID / "ru.json").write_text(json.dumps(body), encoding="utf-8")
    (r,) = fetch_many([VID], CachedSource(LocalSource(tmp_path / "none"), tmp_path))
    assert r.source == "cache" and r.transcript is not None
    assert r.transcript.segments == parse("json", cues)[0]
    assert r.transcript.merged_cues == 59 and r.warnings == ("59 duplicated cues merged",)


# --- properties ------------------------------------------------------------------------

WORD = st.sampled_from(["a", "b", "c", "d", "e", "Да.", "so"])
LINE = st.lists(WORD, min_size=1, max_size=4).map(" ".join)
LINES = st.lists(LINE, min_size=1, max_size=3).map(tuple)


@st.composite
def cue_lists(draw: st.DrawFn) -> list[Cue]:
    """Cues close in time, many repeating some or all of the one before (as doubled and
    rolling captions do), in any order."""
    out: list[Cue] = []
    for _ in range(draw(st.integers(0, 25))):
        start = draw(st.integers(0, 20_000)) if not out else max(
            0, out[-1][:2][draw(st.integers(0, 1))] + draw(st.integers(-1500, 400)))
        end = start + draw(st.sampled_from([0, 10, 40, 300, 1000, 3000]))
        lines = draw(LINES)
        if out:
            before = out[-1][2]
            how = draw(st.sampled_from(["new", "same", "tail", "tail+new", "all+new"]))
            lines = {"new": lines, "same": before, "tail": before[-1:],
                     "tail+new": before[-1:] + lines, "all+new": before + lines}[how]
        out.append((start, end, lines))
    return draw(st.permutations(out)) if draw(st.booleans()) else out


CUES = cue_lists()


def words(cues: Sequence[Cue]) -> list[str]:
    return [w for _, _, lines in cues for line in lines for w in line.split()]


def is_subsequence(small: Sequence[str], big: Sequence[str]) -> bool:
    it = iter(big)
    return all(any(w == x for x in it) for w in small)


@settings(max_examples=400, deadline=None)
@given(CUES)
def test_merging_is_idempotent_keeps_single_words_and_order(cues: list[Cue]) -> None:
    out, merged = merge_repeats(cues)
    assert merge_repeats(out) == (out, 0)
    ordered = sorted(cues, key=lambda c: c[0])
    before, after = words(ordered), words(out)
    assert is_subsequence(after, before)  # never reordered, nothing invented
    once = {w for w, n in Counter(before).items() if n == 1}
    assert once <= set(after)
    assert [c[0] for c in out] == sorted(c[0] for c in out)
    assert all(lines and all(line.strip() for line in lines) for _, _, lines in out)
    assert merged <= len(cues) and (merged == 0) == (out == ordered)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(WORD, min_size=1, max_size=6).map(" ".join), min_size=1,
                max_size=15), st.integers(300, 4000))
def test_doubled_and_rolling_versions_of_any_captions_read_as_the_captions(
    lines: list[str], step: int
) -> None:
    cues = [(i * step, (i + 1) * step, text) for i, text in enumerate(lines)]
    want, none = parse("srt", cues)
    assume(none == 0)  # captions that have no duplicates of their own
    for version in ([c for c in cues for _ in (0, 1)], cues + cues, rolling(cues)):
        assert parse("srt", version)[0] == want


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 10_000), LINE),
                max_size=20))
def test_normalised_segments_have_every_word_that_appears_once(raw: list[Raw]) -> None:
    segs = normalise_segments(raw, "en", video_id=VID, where="w").segments
    once = {w for w, n in Counter(w for _, _, t in raw for w in t.split()).items() if n == 1}
    assert once <= {w for s in segs for w in s.text.split()}


# --- the real captions -----------------------------------------------------------------

@pytest.mark.corpus
def test_real_captions_are_unchanged_but_for_their_one_repeated_cue() -> None:
    """The corpus's published English captions (62 files): merging changes one cue of one
    file, the closing sentence shown again with one word added."""
    root = CORPUS / "transcripts"
    files = sorted(root.glob("*/en/captions.srt"))
    if not files:
        pytest.skip(f"corpus not found at {root}")
    changed: dict[str, list[Cue]] = {}
    for path in files:
        text = path.read_text(encoding="utf-8-sig")
        cues = [(a, b, lines) for a, b, raw in _cues(text, vtt=False, video_id=VID,
                                                     where=str(path))
                if (lines := clean_lines(raw))]
        out, merged = merge_repeats(cues)
        if merged:
            changed[path.parts[-3]] = [c for c in out if c not in cues]
        else:
            assert out == sorted(cues, key=lambda c: c[0]), path
    assert len(files) == 62
    assert changed == {"wTJI_WuZSwE": [(1092805, 1093900, ("you",))]}
