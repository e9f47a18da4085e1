"""WebVTT/SubRip writing: escaping, checks, golden files, and a round trip through webvtt-py."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest
import webvtt
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import __version__
from pipeline.errors import InterlinearError, OutputError
from pipeline.model import Cue, Segment
from pipeline.subtitles import (
    ClaimItem,
    SubtitleError,
    check_cues,
    claims_cues,
    cue_groups,
    cues_from_segments,
    normalize_text,
    render_srt,
    render_vtt,
    rules_for,
    track_note,
    translated_cues,
    unescape,
    write_track,
)

from .conftest import SHARED, examples

GOLDEN = Path(__file__).parent / "golden" / "subtitles"
CHECK_VTT = SHARED / "tools" / "check_vtt.py"
EN = rules_for("en")


def golden(name: str, text: str) -> None:
    """Compare with tests/golden/subtitles/NAME; UPDATE_GOLDEN=1 rewrites the file."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} missing: run with UPDATE_GOLDEN=1 to create it"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs (UPDATE_GOLDEN=1 to accept)"


def read_back(content: str) -> list[Cue]:
    """Cues as webvtt-py reads them: times, tags stripped, entities decoded."""
    caps = webvtt.from_string(content).captions
    return [Cue(c.start_time.in_milliseconds(), c.end_time.in_milliseconds(), unescape(c.text))
            for c in caps]


SMALL = [
    Segment(1_000, 3_500, "Euler's formula, e^(iπ) = -1, is <b>famous</b> & loved.", "en"),
    Segment(4_000, 4_200, "Yeah.", "en"),
    Segment(4_400, 9_800, "The Taylor series of a function tells you how it behaves near a "
            "point --> and then everywhere else, if you are lucky.", "en"),
    Segment(9_900, 10_500, "So fast that nobody could possibly read this whole sentence.", "en"),
    Segment(14_000, 15_000, "Done.", "en"),
]
NOTE = track_note(EN, kind="transcript", source="made for the test --> here", engine=None) \
    + "\n\n-->"


def test_golden_transcript_track() -> None:
    cues = cues_from_segments(SMALL, EN, keep_together=["Taylor series"])
    vtt = render_vtt(cues, NOTE)
    assert f"NOTE\ninterlinear {__version__}\nkind: transcript\n" in vtt
    golden("small.en.vtt", vtt.replace(f"interlinear {__version__}", "interlinear VERSION"))
    golden("small.en.srt", render_srt(cues))
    assert "&lt;b&gt;famous&lt;/b&gt; &amp; loved" in vtt
    assert "--&gt;" in vtt and vtt.count("-->") == len(cues)
    assert [c.text for c in read_back(vtt)] == [c.text for c in cues]


def test_golden_claims_track() -> None:
    items = [ClaimItem(2_000, "Euler's identity <links> five constants.", "ok"),
             ClaimItem(2_000, "It was first published in 1748.", "suspect"),
             ClaimItem(30_000, "Taylor series approximate functions near a point.", "repaired")]
    vtt = render_vtt(claims_cues(items, EN), "claims of note.md")
    golden("small.claims.en.vtt", vtt)
    assert "<c.suspect>It was first published in 1748.</c>" in vtt
    assert "&lt;links&gt;" in vtt


def test_escaping_and_normalising() -> None:
    cue = Cue(0, 1000, "  a < b && c > d  \n\n\r\n --> x\x00y\u2028z \n")
    vtt = render_vtt([cue])
    body = vtt.split("\n\n", 1)[1]
    assert body == "00:00:00.000 --> 00:00:01.000\na &lt; b &amp;&amp; c &gt; d\n--&gt; x y z\n"
    assert normalize_text(cue.text) == "a < b && c > d\n--> x y z"
    assert read_back(vtt)[0].text == normalize_text(cue.text)
    srt = render_srt([cue])
    assert srt == "1\n00:00:00,000 --> 00:00:01,000\na < b && c > d\n-> x y z\n"


@pytest.mark.parametrize("cues, message", [
    ([Cue(0, 1000, "a"), Cue(900, 2000, "b")], "overlaps"),
    ([Cue(5000, 6000, "a"), Cue(1000, 2000, "b")], "before the previous"),
    ([Cue(1000, 1000, "a")], "does not end after"),
    ([Cue(-5, 1000, "a")], "before 0"),
    ([Cue(0, 1000, " \n ")], "no text"),
    ([Cue(0, 1000, "a", identifier="x --> y")], "identifier"),
    ([Cue(0, 1000, "a", identifier="two\nlines")], "identifier"),
    ([Cue(0, 1000, "a", classes=("bad class",))], "class"),
])
def test_refuses_cues_that_cannot_be_written(cues: list[Cue], message: str) -> None:
    with pytest.raises(SubtitleError, match=message) as err:
        render_vtt(cues)
    assert isinstance(err.value, OutputError) and isinstance(err.value, InterlinearError)
    if "class" not in message:
        with pytest.raises(SubtitleError):
            render_srt(cues)


def test_write_track_writes_vtt_and_srt(tmp_path: Path) -> None:
    cues = cues_from_segments(SMALL, EN)
    vtt_path, srt_path = write_track(tmp_path / "abc.en.vtt", cues, "note")
    assert srt_path == tmp_path / "abc.en.srt"
    assert len(webvtt.read(str(vtt_path))) == len(cues)
    assert len(webvtt.from_srt(str(srt_path))) == len(cues)
    with pytest.raises(SubtitleError):
        write_track(tmp_path / "bad.en.vtt", [Cue(0, 1000, "a"), Cue(500, 900, "b")])
    assert not (tmp_path / "bad.en.vtt").exists() and not (tmp_path / "bad.en.srt").exists()


# --------------------------------------------------------------------------- round trip

TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60)


@st.composite
def transcript(draw: st.DrawFn) -> list[Segment]:
    out, t = [], draw(st.integers(0, 10**7))
    for _ in range(draw(st.integers(0, 15))):
        t += draw(st.integers(0, 8000))
        text = " ".join(draw(st.lists(TEXT, max_size=12)))
        out.append(Segment(t, t + draw(st.integers(-100, 12_000)), text, "en"))
    return out


@settings(max_examples=examples(150), deadline=None)
@given(transcript(), st.lists(TEXT, max_size=20), st.sampled_from(["en", "ru", "fr"]))
def test_any_track_reads_back_as_written(segments: list[Segment], texts: list[str],
                                         lang: str) -> None:
    rules = rules_for(lang)
    groups = cue_groups(segments, rules)
    translated = [texts[k] if k < len(texts) else "" for k in range(len(groups))]
    for cues in (cues_from_segments(segments, rules), translated_cues(groups, translated, rules)):
        vtt = render_vtt(cues, "provenance --> note\n\nwith a blank line")
        back = read_back(vtt)
        assert back == [Cue(c.start_ms, c.end_ms, normalize_text(c.text)) for c in cues]
        assert check_cues(cues, rules)["ALL"] == 1.0
        if not cues:
            assert render_srt(cues) == ""
            assert vtt == "WEBVTT\n\nNOTE\nprovenance -> note\nwith a blank line\n"
            continue
        srt = webvtt.from_buffer(iter(render_srt(cues).splitlines(keepends=True)), format="srt")
        assert [(c.start_time.in_milliseconds(), c.end_time.in_milliseconds())
                for c in srt.captions] == [(c.start_ms, c.end_ms) for c in cues]


@settings(max_examples=examples(150), deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10**6), TEXT, st.sampled_from(
    ["ok", "suspect", "repaired", "out of range", "no_transcript"])), max_size=15))
def test_any_claims_track_reads_back(items: list[tuple[int, str, str]]) -> None:
    cues = claims_cues([ClaimItem(t, text, status) for t, text, status in items], EN)
    assert check_cues(cues, EN)["ALL"] == 1.0
    back = read_back(render_vtt(cues))
    assert back == [Cue(c.start_ms, c.end_ms, normalize_text(c.text)) for c in cues]


# --------------------------------------------------------------------------- check_vtt.py


def load_check_vtt() -> ModuleType:
    if not CHECK_VTT.exists():
        pytest.skip(f"{CHECK_VTT} not present")
    spec = importlib.util.spec_from_file_location("check_vtt", CHECK_VTT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_check_cues_agrees_with_check_vtt(tmp_path: Path) -> None:
    tool = load_check_vtt()
    cues = [
        Cue(0, 500, "too short & <tagged>"),
        Cue(550, 9000, "gap too small, and I last too long"),
        Cue(9100, 10_000, "x" * 43, ("fast",)),
        Cue(10_100, 11_000, "one\ntwo\nthree"),
        *cues_from_segments(SMALL, EN, ["Taylor series"]),
    ]
    cues = cues[:4] + [Cue(c.start_ms + 20_000, c.end_ms + 20_000, c.text, c.classes)
                       for c in cues[4:]]
    for lang in ("en", "ru"):
        path = tmp_path / f"v.{lang}.vtt"
        path.write_text(render_vtt(cues, "note"), encoding="utf-8")
        errs, parsed = tool.check(str(path))
        assert not errs and len(parsed) == len(cues)
        per, n = tool.rules(parsed, lang)
        mine = check_cues(cues, rules_for(lang))
        assert {r: c / n for r, c in per.items()} == mine
