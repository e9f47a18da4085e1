"""Property-based hardening (Hypothesis): the note parser, the timestamp readers and
writers, and the VTT writer, fed anything.

Any input gives a result or a clean error of the project's own type (`InterlinearError`),
never another exception; written VTT always parses back (webvtt-py) to the same cues.
See also test_notes.py (parser round trip over note fragments) and test_subtitles_writer.py
(round trip of tracks built from transcripts).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import webvtt
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipeline.errors import InterlinearError, NoteError
from pipeline.model import Cue
from pipeline.notes import check_video_id, load_note, parse_note, problems
from pipeline.subtitles import SubtitleError, normalize_text, render_srt, render_vtt, unescape
from pipeline.timecode import (
    TimecodeError,
    hms,
    parse_timestamp,
    parse_vtt_time,
    srt_time,
    vtt_time,
)
from pipeline.vault import scan_vault

from .conftest import examples
from .hostile.cases import A

# --------------------------------------------------------------------------- notes

YAML_BITS = st.sampled_from([
    "---\n", "...\n", "title: x\n", "videoId: chIqmlJA2i0\n", "videoId: ", "title: ", "\n",
    "!!python/object/apply:os.system ['true']", "!!python/name:os.system", "!!binary aGk=",
    "!!set {a, b}", "&a ", "*a", "[*a]", "<<: *a\n", "? [a, b]\n: c\n", "- ", "  ", "\t",
    "{", "}", "[", "]", "'", '"', "\\u00e9", "\\ud800", "9" * 5000, ".inf", "~", "null",
    "2024-01-01", "1e999", "- a\n", ": ", "#", "%YAML 1.1\n", "%TAG ! tag:x,2000:\n", "!x ",
    "\ufeff", "\r\n", "\x00", "\x85", "\u2028",
])
BODY_BITS = st.sampled_from([
    A.format("00:01:02"), A.format("99:99:99"), A.format("1:2"), A.format("٠١:٠٢:٠٣"),
    A.format(""), A.format("-1"), '<a class="yt-timestamp" data-t="00:00:01">',
    '<a class="yt-timestamp">[x]</a>', "<a data-t=1>", "</a>", "[[", "]]", "[[t | l]]", "|",
    "## ", "*   ", "> ", "```\n", "| a | b |\n", "\n", ". ", ", ", "**", "<br/>", "é",
])


@st.composite
def note_texts(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.one_of(YAML_BITS, BODY_BITS, st.text(max_size=6)), max_size=40))
    if draw(st.booleans()):
        parts = ["---\n", *parts[: len(parts) // 2], "\n---\n", *parts[len(parts) // 2:]]
    return "".join(parts)


@settings(max_examples=examples(500), deadline=None)
@given(note_texts())
@example("---\ntitle: " + "[" * 3000 + "]" * 3000 + "\n---\n")
@example("---\na: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, "
         "*a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, "
         "*c, *c, *c, *c]\n---\n")
@example("---\ntitle: &a [*a]\n---\n")
@example("---\nvideoId: " + "9" * 5000 + "\n---\n")
def test_note_parser_gives_a_note_or_a_note_error(text: str) -> None:
    try:
        note = parse_note(text, Path("ch/n.md"))
    except InterlinearError as exc:
        assert isinstance(exc, NoteError) and "\n" not in exc.reason
        return
    assert note.render() == text
    for problem in problems(note):
        assert "\n" not in str(problem) and problem.line >= 1
    try:
        check_video_id(note)
    except NoteError as exc:
        assert "\n" not in exc.reason


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300) | note_texts().map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_any_file_loads_or_is_one_note_error(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ch" / "n.md"
        path.parent.mkdir()
        path.write_bytes(data)
        try:
            note = load_note(path, Path(tmp))
        except NoteError as exc:
            assert str(path) in exc.reason and "\n" not in exc.reason
        else:
            assert note.render().encode("utf-8") in (data, data.removeprefix(b"\xef\xbb\xbf"))
        scan = scan_vault(Path(tmp))  # the scan never raises either
        used = len(scan.notes) + len(scan.pages)  # one of them, or a failure, or a page
        assert used <= 1 and len(scan.failures) <= 1 and used + len(scan.failures) >= 1
        if scan.failures and used:  # both: a page whose videoId is unusable
            assert scan.pages and "videoId" in scan.failures[0].reason


# --------------------------------------------------------------------------- timestamps


@settings(max_examples=examples(300), deadline=None)
@given(st.text(max_size=20) | st.from_regex(r"-?[0-9٠-٩０-９]{0,4}(:[0-9٠-٩]{0,3}){0,4}",
                                            fullmatch=True))
def test_parse_timestamp_never_raises(text: str) -> None:
    ms = parse_timestamp(text)
    assert ms is None or (isinstance(ms, int) and ms >= 0)
    if ms is not None:
        assert text.strip().isascii()


@given(st.integers(0, 999), st.integers(0, 59), st.integers(0, 59))
def test_parse_timestamp_reads_what_notes_write(h: int, m: int, s: int) -> None:
    ms = ((h * 60 + m) * 60 + s) * 1000
    assert parse_timestamp(f"{h:02d}:{m:02d}:{s:02d}") == ms
    assert parse_timestamp(hms(ms)) == ms
    assert parse_timestamp(f"{h:02d}:{m + 60:02d}:{s:02d}") is None


@settings(max_examples=examples(300), deadline=None)
@given(st.text(max_size=30) | st.from_regex(r"[0-9٠-٩]{0,12}:?[0-9]{0,3}:[0-9]{0,3}[.,][0-9]{0,4}",
                                            fullmatch=True))
def test_parse_vtt_time_gives_a_time_or_a_timecode_error(text: str) -> None:
    try:
        ms = parse_vtt_time(text)
    except TimecodeError as exc:
        assert isinstance(exc, InterlinearError) and isinstance(exc, ValueError)
        return
    assert ms >= 0 and text.strip().isascii()


@given(st.integers(0, 10**10))
def test_cue_times_round_trip(ms: int) -> None:
    assert parse_vtt_time(vtt_time(ms)) == ms
    assert parse_vtt_time(srt_time(ms)) == ms


@given(st.integers(max_value=-1))
def test_negative_times_are_timecode_errors(ms: int) -> None:
    for fn in (hms, vtt_time, srt_time):
        try:
            fn(ms)
        except TimecodeError:
            continue
        raise AssertionError(f"{fn.__name__}({ms}) did not refuse")


# --------------------------------------------------------------------------- the VTT writer

CUE_TEXT = st.text(max_size=40) | st.sampled_from([
    "a --> b", "-->", "\n\n", "line\n\nline", "<script>alert(1)</script>", "&amp; &lt; &",
    "<c.x>t</c>", "00:00:01.000 --> 00:00:02.000", "NOTE x", "WEBVTT", "\x00\x1b\u2028",
    "\r\n\r\n", " ", "STYLE", "<b>", "&", "\ufeff",
])


@st.composite
def cue_lists(draw: st.DrawFn) -> list[Cue]:
    """Mostly well-ordered cues, sometimes overlapping, backwards, negative or empty."""
    cues, t = [], draw(st.integers(-5, 10**6))
    for _ in range(draw(st.integers(0, 8))):
        t += draw(st.integers(-50, 5000))
        length = draw(st.integers(-10, 8000))
        classes = draw(st.sampled_from([(), ("suspect",), ("ok", "x-1"), ("bad class",)]))
        ident = draw(st.none() | st.sampled_from(["c1", "a --> b", "", "two\nlines", "x y"]))
        cues.append(Cue(t, t + length, draw(CUE_TEXT), classes, ident))
        t += max(length, 0)
    return cues


@settings(max_examples=examples(300), deadline=None)
@given(cue_lists(), st.none() | CUE_TEXT)
def test_vtt_writer_reads_back_or_refuses_cleanly(cues: list[Cue], note: str | None) -> None:
    try:
        content = render_vtt(cues, note)
    except InterlinearError as exc:
        assert isinstance(exc, SubtitleError)
        return
    back = webvtt.from_string(content).captions
    assert len(back) == len(cues)
    for cue, cap in zip(cues, back, strict=True):
        assert (cap.start_time.in_milliseconds(), cap.end_time.in_milliseconds()) == (
            cue.start_ms, cue.end_ms)
        raw = cap.raw_text
        if cue.classes:
            assert raw.startswith(f"<c.{'.'.join(cue.classes)}>") and raw.endswith("</c>")
            raw = raw[raw.index(">") + 1: -len("</c>")]
        assert unescape(raw) == normalize_text(cue.text)
        assert "-->" not in cap.raw_text and all(line.strip() for line in raw.split("\n"))
    srt = render_srt(cues)
    assert srt.count(" --> ") == len(cues)
