"""Local transcript files: formats, validation, language choice, the corpus layout."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import TranscriptError
from pipeline.model import Segment
from pipeline.transcripts import (
    LocalSource,
    TranscriptNotFound,
    clean_text,
    normalise_segments,
    parse_json,
    parse_srt,
    parse_vtt,
)

from .conftest import CORPUS, examples

VID = "abcDEF_1234"


def srt(text: str) -> tuple[Segment, ...]:
    return parse_srt(text, video_id=VID, where="x.srt", language="en").segments


def vtt(text: str) -> tuple[Segment, ...]:
    return parse_vtt(text, video_id=VID, where="x.vtt", language="en").segments


def spans(segments: tuple[Segment, ...]) -> list[tuple[int, int, str]]:
    return [(s.start_ms, s.end_ms, s.text) for s in segments]


# --- formats ---------------------------------------------------------------------------

def test_srt_with_bom_crlf_tags_and_multiline_cues() -> None:
    text = ("\ufeff1\r\n00:00:01,000 --> 00:00:02,500\r\n<i>Hello</i> <font color=\"red\">"
            "there</font>\r\n{\\an8}second line\r\n\r\n2\r\n00:00:03,000 --> 00:00:04,000\r\n"
            "Tom &amp; Jerry\r\n")
    assert spans(srt(text)) == [(1000, 2500, "Hello there second line"),
                                (3000, 4000, "Tom & Jerry")]


def test_srt_overlapping_cues_are_clipped_and_same_start_cues_joined() -> None:
    text = ("1\n00:00:01,000 --> 00:00:05,000\nfirst\n\n2\n00:00:03,000 --> 00:00:06,000\n"
            "second\n\n3\n00:00:03,000 --> 00:00:04,000\nalso second\n")
    assert spans(srt(text)) == [(1000, 3000, "first"), (3000, 6000, "second also second")]


def test_srt_blank_lines_inside_a_cue_and_arrows_in_text_are_normalised() -> None:
    text = ("1\n00:00:01,000 --> 00:00:02,000\nHello\n\nworld -- > x --> y\n\n"
            "2\n00:00:03,000 --> 00:00:04,000\nnext\n")
    assert spans(srt(text)) == [(1000, 2000, "Hello world -- > x -> y"),
                                (3000, 4000, "next")]


def test_vtt_header_notes_styles_identifiers_settings_and_inline_timestamps() -> None:
    text = """WEBVTT Kind: captions
Language: en

STYLE
::cue { color: yellow }

NOTE this is a comment
spanning two lines

intro
00:01.000 --> 00:02.000 align:start position:0%
<v Roger>Hi <c.colorE5E5E5>there</c><00:00:01.500><c> you</c>

00:00:02.000 --> 00:00:03.000
<b>bold</b>
second line
"""
    assert spans(vtt(text)) == [(1000, 2000, "Hi there you"), (2000, 3000, "bold second line")]


def test_vtt_zero_length_or_backwards_cue_lasts_until_the_next() -> None:
    text = ("WEBVTT\n\n00:00:01.000 --> 00:00:01.000\na\n\n00:00:04.000 --> 00:00:03.000\nb\n"
            "\n00:00:06.000 --> 00:00:07.000\nc\n")
    assert spans(vtt(text)) == [(1000, 4000, "a"), (4000, 6000, "b"), (6000, 7000, "c")]


@pytest.mark.parametrize("text, message", [
    ("", "empty file"),
    ("   \n\n", "empty file"),
    ("hello\nworld\n", "no SubRip cues"),
    ("1\n00:00:01,000 --> 00:00:02,000\n<i></i>\n", "no text"),
    ("1\n00:99:01,000 --> 00:99:02,000\nx\n", "bad cue time"),
])
def test_srt_errors_name_the_file(text: str, message: str) -> None:
    with pytest.raises(TranscriptError, match=message) as err:
        srt(text)
    assert "x.srt" in str(err.value) and err.value.video_id == VID


@pytest.mark.parametrize("text, message", [
    ("", "empty file"),
    ("{not json", "not valid JSON"),
    ('{"text": "x"}', "expected a JSON list"),
    ("[]", "no segments"),
    ('[{"start": 1, "duration": 2}]', "item 1 has no text"),
    ('[{"text": "a", "start": "1", "duration": 2}]', "start is not a number"),
    ('[{"text": "a", "start": true, "duration": 2}]', "start is not a number"),
    ('[{"text": "a", "start": -1, "duration": 2}]', "negative time"),
    ('[{"text": "a", "start": NaN, "duration": 2}]', "not a number"),
])
def test_json_errors_name_the_file(text: str, message: str) -> None:
    with pytest.raises(TranscriptError, match=message) as err:
        parse_json(text, video_id=VID, where="v.json", language="en")
    assert "v.json" in str(err.value)


def test_json_of_youtube_transcript_api() -> None:
    data = [{"text": "[Music]", "start": 0.0, "duration": 2.5},
            {"text": "hello\nworld", "start": 1.72, "duration": 3.1},
            {"text": "  ", "start": 5.0, "duration": 1.0},
            {"text": "end", "start": 6.0, "duration": 0.0}]
    segs = parse_json(json.dumps(data), video_id=VID, where="v.json", language="ru").segments
    assert spans(segs) == [(0, 1720, "[Music]"), (1720, 4820, "hello world"),
                           (6000, 6000, "end")]
    assert {s.language for s in segs} == {"ru"}


def test_clean_text() -> None:
    assert clean_text("<i>a</i>\n\n b &lt;c&gt; --> d") == "a b <c> -> d"


# --- hypothesis: any input gives segments or TranscriptError, never another exception ----

CUE_TIME = st.builds(
    lambda h, m, s, ms, comma: f"{h:02d}:{m:02d}:{s:02d}{',' if comma else '.'}{ms:03d}",
    st.integers(0, 99), st.integers(0, 99), st.integers(0, 99), st.integers(0, 999),
    st.booleans())
CUE_LINE = st.one_of(
    st.builds(lambda a, b, tail: f"{a} --> {b}{tail}", CUE_TIME, CUE_TIME,
              st.sampled_from(["", " align:start", "  position:10%", "\t"])),
    st.text(st.sampled_from("ab <>/i-->&;#{}\\:.,0123456789\ufeff\r\t"), max_size=20),
    st.sampled_from(["", "WEBVTT", "NOTE x", "STYLE", "1", "2", "<i>x</i>", "&amp;", "-->"]),
)
SUBTITLE_TEXT = st.one_of(
    st.text(max_size=300),
    st.lists(CUE_LINE, max_size=30).map("\n".join),
    st.lists(CUE_LINE, max_size=30).map("\r\n".join).map(lambda t: "\ufeff" + t),
)


def _check(segments: tuple[Segment, ...]) -> None:
    assert segments
    for a, b in zip(segments, segments[1:], strict=False):
        assert a.start_ms < b.start_ms and a.end_ms <= b.start_ms
    for s in segments:
        assert 0 <= s.start_ms <= s.end_ms and s.text == s.text.strip()
        assert "\n" not in s.text and "-->" not in s.text


@settings(max_examples=examples(300), deadline=None)
@given(SUBTITLE_TEXT, st.booleans())
def test_subtitle_parsers_never_raise_anything_else(text: str, as_vtt: bool) -> None:
    try:
        segments = vtt(text) if as_vtt else srt(text)
    except TranscriptError as exc:
        assert "x.vtt" in str(exc) or "x.srt" in str(exc)
    else:
        _check(segments)


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.tuples(st.integers(-5, 10_000), st.integers(-5, 10_000),
                          st.text(max_size=8)), max_size=20))
def test_normalise_segments_sorted_non_overlapping(raw: list[tuple[int, int, str]]) -> None:
    try:
        segments = normalise_segments(raw, "en", video_id=VID, where="w").segments
    except TranscriptError:
        assert any(s < 0 or e < 0 for s, e, _ in raw)
    else:
        if segments:
            _check(segments)


# --- the folder source -------------------------------------------------------------------

def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


JSON_ONE = json.dumps([{"text": "x", "start": 1, "duration": 1}])
SRT_ONE = "1\n00:00:01,000 --> 00:00:02,000\nx\n"


def test_language_choice_original_first_then_languages(tmp_path: Path) -> None:
    write(tmp_path, f"{VID}.en.json", JSON_ONE)
    write(tmp_path, f"{VID}.ru.srt", SRT_ONE)
    write(tmp_path, f"{VID}.uk.vtt", "WEBVTT\n\n00:01.000 --> 00:02.000\nx\n")
    src = LocalSource(tmp_path)
    assert src.fetch(VID, original="ru").language == "ru"
    assert src.fetch(VID, original="ru", languages=["uk"]).language == "ru"
    assert src.fetch(VID, languages=["uk", "en"]).language == "uk"
    assert src.fetch(VID, original="de", languages=["fr", "en"]).language == "en"
    t = src.fetch(VID, original="en-US")
    assert (t.language, t.source, t.generated) == ("en", "local", None)
    assert t.origin.endswith(f"{VID}.en.json")
    with pytest.raises(TranscriptNotFound, match="en, ru, uk, not in de"):
        src.fetch(VID, original="de")
    with pytest.raises(TranscriptNotFound, match="no language known"):
        src.fetch(VID)  # three languages, none known to be the original


def test_unnamed_file_is_the_original(tmp_path: Path) -> None:
    write(tmp_path, f"{VID}.json", JSON_ONE)
    write(tmp_path, f"{VID}.en.srt", SRT_ONE)
    src = LocalSource(tmp_path)
    assert src.fetch(VID, original="ru").language == "ru"
    assert src.fetch(VID, original="ru").origin.endswith(f"{VID}.json")
    assert src.fetch(VID, original="en").language == "en"
    assert src.fetch(VID).language == "und"
    assert src.fetch(VID, languages=["en"]).language == "und"  # the original comes first


def test_single_file_without_hints_and_format_priority(tmp_path: Path) -> None:
    write(tmp_path, f"{VID}.ru.vtt", "WEBVTT\n\n00:01.000 --> 00:02.000\nvtt\n")
    write(tmp_path, f"{VID}.ru.srt", "1\n00:00:01,000 --> 00:00:02,000\nsrt\n")
    write(tmp_path, "other.ru.json", JSON_ONE)
    t = LocalSource(tmp_path).fetch(VID)
    assert (t.language, t.segments[0].text) == ("ru", "srt")


def test_missing_folder_file_and_bad_id(tmp_path: Path) -> None:
    with pytest.raises(TranscriptNotFound, match="no transcript file"):
        LocalSource(tmp_path / "nowhere").fetch(VID)
    with pytest.raises(TranscriptNotFound):
        LocalSource(tmp_path).fetch(VID)
    with pytest.raises(TranscriptError, match="not a YouTube video id"):
        LocalSource(tmp_path).fetch("../etc/passwd")


def test_broken_files_are_errors_naming_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, f"{VID}.en.json", "[1, 2")
    with pytest.raises(TranscriptError, match="not valid JSON") as err:
        LocalSource(tmp_path).fetch(VID, original="en")
    assert not isinstance(err.value, TranscriptNotFound) and str(path) in str(err.value)
    (tmp_path / f"{VID}.en.json").write_bytes(b"\xff\xfe\x00garbage\x80" * 0 + b"\x80abc")
    with pytest.raises(TranscriptError, match="not UTF-8"):
        LocalSource(tmp_path).fetch(VID, original="en")
    write(tmp_path, f"{VID}.en.json", JSON_ONE)
    with pytest.raises(TranscriptError, match="too large"):
        LocalSource(tmp_path, max_bytes=10).fetch(VID, original="en")


def test_utf16_srt(tmp_path: Path) -> None:
    (tmp_path / f"{VID}.de.srt").write_bytes(
        "1\r\n00:00:01,000 --> 00:00:02,000\r\nGrüße\r\n".encode("utf-16"))
    assert LocalSource(tmp_path).fetch(VID).segments[0].text == "Grüße"


def test_corpus_layout(tmp_path: Path) -> None:
    write(tmp_path, f"{VID}/en/sentence_timings.json",
          json.dumps([["One.", 1.0, 2.5], ["Two.", 2.0, 4.0]]))
    write(tmp_path, f"{VID}/ru/sentence_translations.json", json.dumps(
        [{"input": "One.", "translatedText": "Раз.", "start": 1.0, "end": 2.5, "model": "x"}]))
    src = LocalSource(tmp_path)
    t = src.fetch(VID)
    assert t.language == "en" and spans(t.segments) == [(1000, 2000, "One."),
                                                          (2000, 4000, "Two.")]
    assert src.fetch(VID, languages=["ru"]).language == "en"  # original first
    assert src.fetch(VID, original="ru").segments[0].text == "Раз."
    write(tmp_path, f"{VID}/de/sentence_translations.json", '[{"start": 1}]')
    with pytest.raises(TranscriptError, match="item 1 has no translatedText"):
        src.fetch(VID, original="de")


@pytest.mark.slow
def test_hundred_thousand_segments_are_fast(tmp_path: Path) -> None:
    n = 100_000
    data = [{"text": f"segment {i}", "start": i * 1.5, "duration": 2.0} for i in range(n)]
    write(tmp_path, f"{VID}.en.json", json.dumps(data))
    cues = "".join(f"{i + 1}\n{_srt_time(i * 1500)} --> {_srt_time(i * 1500 + 1400)}\n"
                   f"<i>line {i}</i>\n\n" for i in range(n))
    write(tmp_path, f"{VID}.de.srt", cues)
    src = LocalSource(tmp_path)
    began = time.perf_counter()
    t_json = src.fetch(VID, original="en")
    t_srt = src.fetch(VID, original="de")
    elapsed = time.perf_counter() - began
    assert len(t_json.segments) == n and len(t_srt.segments) == n
    assert t_json.segments[1].start_ms == 1500 and t_json.segments[0].end_ms == 1500  # clipped
    assert t_srt.segments[-1].text == f"line {n - 1}"
    assert elapsed < 10, f"{elapsed:.1f}s for 2 x {n} segments"


def _srt_time(ms: int) -> str:
    s, frac = divmod(ms, 1000)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d},{frac:03d}"


@pytest.mark.corpus
def test_every_corpus_transcript_loads() -> None:
    root = CORPUS / "transcripts"
    if not root.is_dir():
        pytest.skip(f"corpus not found at {root}")
    src = LocalSource(root)
    videos = sorted(p.name for p in root.iterdir() if p.is_dir())
    assert len(videos) == 62
    for vid in videos:
        t = src.fetch(vid)
        assert t.language == "en" and len(t.segments) > 10, vid
        if (root / vid / "ru" / "sentence_translations.json").is_file():
            ru = src.fetch(vid, original="ru")
            assert ru.language == "ru" and ru.origin.endswith("sentence_translations.json")
        else:  # one video has titles only: no Russian transcript, English is not taken
            with pytest.raises(TranscriptNotFound, match="not in ru"):
                src.fetch(vid, original="ru", languages=["ru"])
        assert all(a.end_ms <= b.start_ms for a, b in zip(t.segments, t.segments[1:],
                                                           strict=False))


def test_json_negative_duration_lasts_until_the_next_cue() -> None:
    """Real transcripts have sentences whose end is written before their start."""
    data = [{"text": "Subtle.", "start": 2380.64, "duration": 1.06},
            {"text": ".", "start": 2400.42, "duration": -18.72},
            {"text": "Next.", "start": 2402.0, "duration": 2.0},
            {"text": "Last.", "start": 2405.0, "duration": -1.0}]
    segs = parse_json(json.dumps(data), video_id=VID, where="v.json", language="en").segments
    assert spans(segs) == [(2380640, 2381700, "Subtle."), (2400420, 2402000, "."),
                           (2402000, 2404000, "Next."), (2405000, 2405000, "Last.")]
