"""Hardening against bad input, at the library level (scan, layout, transcripts, tracks).

Each unusable note gives ONE failure, on one line, naming the file (and the line where one
applies); the other notes of the batch are still read; any failure or problem makes the
run's exit status 1. The end-to-end run of the same inputs is in test_hardening_e2e.py.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
import webvtt

from pipeline.errors import TranscriptError
from pipeline.fileio import atomic_write_text
from pipeline.glossary import Glossary
from pipeline.layout import Layout
from pipeline.model import Segment, Transcript
from pipeline.run import Manifest, compose, transcript_tracks
from pipeline.settings import RunSettings
from pipeline.transcripts import FetchRequest, LocalSource, fetch_many, requests_for_notes
from pipeline.translate import TranslationMemory
from pipeline.vault import scan_vault

from .hostile.cases import (
    GOOD,
    MARKER,
    ODD,
    OTHER_VID,
    VID,
    Bad,
    Odd,
    bad_notes,
    body,
    build_vault,
    front,
    odd_note,
    transcript_json,
    write,
)

ROOT = Path(__file__).resolve().parents[1]
CASES = bad_notes(Path("/nonexistent"))  # ids only; each test builds its own with its tmp


def manifest_status(scan: object) -> int:
    m = Manifest(vault="v", out="o", languages=["pt"])
    m.failures += scan.failures  # type: ignore[attr-defined]
    m.problems += [str(p) for p in scan.problems]  # type: ignore[attr-defined]
    return m.exit_status


def one_line(text: str) -> bool:
    return "\n" not in text and "\r" not in text and not re.search(r"[\x00-\x1f\x7f]", text)


# --------------------------------------------------------------------------- unusable notes


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c.id for c in CASES])
def test_unusable_note_is_one_failure_naming_file_and_line(tmp_path: Path, index: int) -> None:
    case: Bad = bad_notes(tmp_path)[index]
    vault = tmp_path / "vault"
    build_vault(vault, [case], specials=False)
    began = time.monotonic()
    scan = scan_vault(vault)
    assert time.monotonic() - began < 5
    assert [n.slug for n in scan.notes] == ["good"]  # the rest of the batch is read
    (failure,) = scan.failures
    path = str(vault / "bad" / case.name)
    assert failure.stage == "notes" and failure.item == path
    assert any(r in failure.reason for r in case.reasons) and path in failure.reason
    assert one_line(failure.reason) and len(failure.reason) < 400
    if case.lines:
        assert any(f"{path}:{line}: " in failure.reason for line in case.lines)
    assert manifest_status(scan) == 1
    assert not (tmp_path / MARKER).exists()  # YAML tags never construct anything


def test_yaml_payloads_are_never_executed(tmp_path: Path) -> None:
    yaml_cases = [c for c in bad_notes(tmp_path) if c.id.startswith("yaml_")]
    assert len(yaml_cases) >= 4
    build_vault(tmp_path / "vault", yaml_cases, specials=False)
    scan = scan_vault(tmp_path / "vault")
    assert len(scan.failures) == len(yaml_cases)
    assert not (tmp_path / MARKER).exists()


def test_whole_hostile_vault_in_one_scan(tmp_path: Path) -> None:
    """Every bad note, symlinks out of the vault, a pipe, bad file names: one failure each."""
    vault = tmp_path / "vault"
    expected = build_vault(vault, bad_notes(tmp_path))
    began = time.monotonic()
    scan = scan_vault(vault)  # a pipe named .md must not block the scan
    assert time.monotonic() - began < 10
    assert [n.slug for n in scan.notes] == ["good"]
    got = {f.item: f.reason for f in scan.failures}
    assert sorted(got) == sorted(expected)
    for item, fragments in expected.items():
        assert any(f in got[item] for f in fragments), (item, got[item])
        assert one_line(got[item]) and one_line(item)
    # every failure can be written to the manifest (file names that are not UTF-8 included)
    json.dumps([f.as_dict() for f in scan.failures], ensure_ascii=False).encode("utf-8")
    # nothing outside the vault was read as a note
    assert all("outside" not in str(n.path) for n in scan.notes)
    assert manifest_status(scan) == 1


def test_good_vault_exits_zero(tmp_path: Path) -> None:
    write(tmp_path / "ch" / "good.md", GOOD)
    write(tmp_path / "index.md", "---\ntitle: Index\n---\n\n[[good]]\n")  # an index page
    scan = scan_vault(tmp_path)
    assert [n.slug for n in scan.notes] == ["good"] and not scan.failures and not scan.problems
    assert [p.slug for p in scan.pages] == ["index"]  # translated, never fetched
    assert manifest_status(scan) == 0


def test_size_limit_is_configurable(tmp_path: Path) -> None:
    write(tmp_path / "ch" / "good.md", GOOD)
    scan = scan_vault(tmp_path, max_bytes=100)
    assert not scan.notes and "over the 100-byte limit" in scan.failures[0].reason
    assert scan_vault(tmp_path, max_bytes=len(GOOD.encode())).notes


# ------------------------------------------------------------------ odd timestamps, anchors


@pytest.mark.parametrize("case", ODD, ids=[c.id for c in ODD])
def test_odd_timestamp_or_anchor_is_a_problem_at_its_line(tmp_path: Path, case: Odd) -> None:
    text, line = odd_note(case)
    path = write(tmp_path / "ch" / "odd.md", text)
    write(tmp_path / "ch" / "good.md", GOOD)
    scan = scan_vault(tmp_path)
    assert sorted(n.slug for n in scan.notes) == ["good", "odd"]  # still used
    assert not scan.failures
    (problem,) = scan.problems
    assert problem.line == line and case.message in problem.message
    assert str(problem).startswith(f"{path}:{line}: ") and one_line(str(problem))
    assert manifest_status(scan) == 1
    odd = next(n for n in scan.notes if n.slug == "odd")
    assert odd.render() == text  # kept as written
    assert all(c.ms is None or c.ms >= 0 for c in odd.citations)


# --------------------------------------------------------------------------- names and collisions


def test_duplicate_slugs_in_different_channels_get_distinct_outputs(tmp_path: Path) -> None:
    write(tmp_path / "vault" / "one" / "same.md", GOOD)
    write(tmp_path / "vault" / "two" / "same.md", GOOD.replace(VID, OTHER_VID))
    scan = scan_vault(tmp_path / "vault")
    assert len(scan.notes) == 2 and not scan.failures
    layout = Layout(tmp_path / "out")
    paths = set()
    for note in scan.notes:
        for path in (layout.translated_note(note, "pt"), layout.bilingual_note(note, "pt"),
                     layout.review_page(note, "pt")):
            atomic_write_text(path, str(note.path))
            paths.add(path)
    assert len(paths) == 6
    assert {p.read_text() for p in paths} == {str(n.path) for n in scan.notes}


@pytest.mark.parametrize("first, second", [
    ("a/ch/n.md", "b/ch/n.md"),  # same folder name at different depths
    ("ch/Note.md", "ch/note.md"),  # the same file on macOS and Windows
    ("ch/caf\u00e9.md", "ch/cafe\u0301.md"),  # NFC and NFD spellings of one name
    ("CH/x.md", "ch/x.md"),
])
def test_notes_whose_outputs_would_collide_fail_instead_of_overwriting(
    tmp_path: Path, first: str, second: str
) -> None:
    write(tmp_path / first, GOOD)
    write(tmp_path / second, GOOD)
    scan = scan_vault(tmp_path)
    assert len(scan.notes) == 1
    (failure,) = scan.failures
    kept, lost = str(scan.notes[0].path), failure.item
    assert {kept, lost} == {str(tmp_path / first), str(tmp_path / second)}
    assert "same file names as" in failure.reason and kept in failure.reason


def test_two_notes_citing_one_video_fetch_it_once(tmp_path: Path) -> None:
    write(tmp_path / "vault" / "a" / "first.md", GOOD)
    write(tmp_path / "vault" / "b" / "second.md", GOOD.replace("Kherson", "Kharkiv"))
    scan = scan_vault(tmp_path / "vault")
    assert list(scan.by_video) == [VID] and len(scan.by_video[VID]) == 2

    class Counting:
        def __init__(self) -> None:
            self.calls: list[str] = []

        def fetch(self, video_id: str, *, languages: Sequence[str] = (),
                  original: str | None = None) -> Transcript:
            self.calls.append(video_id)
            return Transcript(video_id, "ru", (Segment(0, 1000, "x", "ru"),))

    src = Counting()
    results = fetch_many(requests_for_notes(scan.notes), src)
    assert src.calls == [VID] and [r.video_id for r in results] == [VID]


UNSAFE_NAMES = [
    ("CON", "x"), ("con", "aux"), ("ch", "NUL.tar"), ("LPT1", "COM9"), ("a:b", "x?y"),
    ("pipe|d", 'quote"d'), ("star*", "lt<gt>"), ("back\\slash", "x"), ("trail.", "dot."),
    ("trail ", "space "), ("..", "..."), (".hidden", ".x"),
    ("ch", "ю" * 125), ("ch", "😀" * 62), ("ch", "x" * 250),
]


def test_unsafe_channel_and_slug_names(tmp_path: Path) -> None:
    """Names that Windows or macOS refuse or change: safe, distinct, inside OUT, writable."""
    vault, out = tmp_path / "vault", tmp_path / "out"
    for ch, slug in UNSAFE_NAMES:
        write(vault / ch / f"{slug}.md", GOOD)
    scan = scan_vault(vault)
    visible = [(ch, slug) for ch, slug in UNSAFE_NAMES if not ch.startswith(".")]
    assert len(scan.notes) + len(scan.failures) == len(visible)
    assert not scan.failures, scan.failures
    layout = Layout(out)
    written = set()
    reserved = re.compile(r"(CON|PRN|AUX|NUL|COM\d|LPT\d)(\..*)?", re.I)
    for note in scan.notes:
        for path in (layout.translated_note(note, "pt"), layout.bilingual_note(note, "pt"),
                     layout.review_page(note, "pt")):
            rel = path.relative_to(out.resolve())
            for part in rel.parts:
                assert not re.search(r'[<>:"\\|?*\x00-\x1f]', part), rel
                assert not part.endswith((".", " ")) and not part.startswith("."), rel
                assert not reserved.fullmatch(part), rel
                assert len(part.encode("utf-8")) <= 236, rel
            assert path.suffix in (".md", ".html"), rel
            atomic_write_text(path, "ok")
            written.add(str(rel).casefold())
    assert len(written) == 3 * len(scan.notes)  # distinct even on case-insensitive systems


# --------------------------------------------------------------------------- transcripts


def local_results(tmp_path: Path, files: dict[str, str]) -> dict[str, object]:
    folder = tmp_path / "transcripts"
    for name, text in files.items():
        write(folder / name, text)
    ids = sorted({name.split(".")[0] for name in files})
    results = fetch_many([FetchRequest(v, "ru") for v in ids], LocalSource(folder))
    return {r.video_id: r for r in results}


@pytest.mark.parametrize("text, reason", [
    ("", "empty file"),
    ("   \n", "empty file"),
    ("{not json", "not valid JSON"),
    ('{"text": "x"}', "expected a JSON list"),
    ("[]", "no segments"),
    ('[{"text": "a", "start": -1, "duration": 2}]', "negative time"),
    ('[{"text": "a", "start": 1e999, "duration": 2}]', "not a number"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
])
def test_bad_transcript_is_a_failure_of_its_video_only(tmp_path: Path, text: str,
                                                       reason: str) -> None:
    good = transcript_json([(0.0, 2.0, "Привет."), (2.0, 2.0, "Пока.")])
    results = local_results(tmp_path, {f"{VID}.ru.json": text, f"{OTHER_VID}.ru.json": good})
    bad, ok = results[VID], results[OTHER_VID]
    assert ok.ok and ok.segments == 2  # type: ignore[attr-defined]
    assert not bad.ok and reason in bad.error  # type: ignore[attr-defined,operator]
    assert f"{VID}.ru.json" in bad.error and one_line(bad.error)  # type: ignore[attr-defined]


def settings_for(tmp_path: Path, languages: tuple[str, ...] = ("ru",)) -> RunSettings:
    return RunSettings(vault=tmp_path / "vault", out=tmp_path / "out", languages=languages,
                       cache_dir=tmp_path / "cache")


def tracks(tmp_path: Path, segments: Sequence[Segment], glossary: Glossary | None = None
           ) -> list[Path]:
    """The transcript track(s) of `segments`, through `pipeline.run.transcript_tracks`."""
    settings = settings_for(tmp_path)
    glossary = glossary or Glossary.load(ROOT / "glossary")
    with TranslationMemory(tmp_path / "tm.sqlite3") as memory:
        ctx = compose(settings, glossary=glossary, memory=memory)
        done = transcript_tracks(VID, Transcript(VID, "ru", tuple(segments)), ctx)
    assert not done.failures
    return [settings.out / o.path for o in done.outputs]


HOSTILE_TEXT = [
    (0, 2000, "a --> b"),
    (1500, 3000, "first\n\nsecond after a blank line"),  # overlaps the one before
    (3000, 3000, "zero length"),
    (5000, 4000, "ends before it starts"),
    (6000, 7000, "NOTE looks like a note block\n\nWEBVTT"),
    (7000, 8000, "00:00:01.000 --> 00:00:02.000"),
    (8000, 9000, "<script>alert(1)</script> &amp; <c.x>tag</c> &lt;"),
    (9000, 10000, "ctl\x00\x1b[31m\u2028\r\nchars"),
    (10000, 11000, "\n\n\n"),
]


def test_hostile_transcript_text_and_times_still_make_a_valid_track(tmp_path: Path) -> None:
    text = transcript_json([(s / 1000, (e - s) / 1000, t) for s, e, t in HOSTILE_TEXT
                            if e >= s])
    text = text[:-1] + ', {"text": "backwards", "start": 5.0, "duration": 0.0}]'
    results = local_results(tmp_path, {f"{VID}.ru.json": text})
    transcript = results[VID].transcript  # type: ignore[attr-defined]
    segments = [*transcript.segments, *(Segment(s, e, t, "ru") for s, e, t in HOSTILE_TEXT)]
    segments.sort(key=lambda s: s.start_ms)
    (vtt,) = tracks(tmp_path, segments)
    srt = vtt.with_suffix(".srt")
    assert vtt.suffix == ".vtt" and srt.is_file()
    captions = webvtt.read(str(vtt)).captions
    assert captions
    previous_end = 0
    for cap in captions:
        start, end = cap.start_time.in_milliseconds(), cap.end_time.in_milliseconds()
        assert 0 <= previous_end <= start < end
        previous_end = end
        assert "-->" not in cap.raw_text and "<script" not in cap.raw_text
        assert all(line.strip() for line in cap.raw_text.split("\n"))
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u2028]", cap.raw_text)
    raw = vtt.read_text(encoding="utf-8")
    assert raw.startswith("WEBVTT") and raw.count("-->") == len(captions)
    assert "&lt;script&gt;" in raw
    assert webvtt.from_srt(str(srt)).captions


@pytest.mark.slow
def test_hundred_thousand_segments_make_a_valid_track(tmp_path: Path) -> None:
    n = 100_000
    segments = [Segment(i * 1500, i * 1500 + 1400, f"сегмент {i}", "ru") for i in range(n)]
    began = time.monotonic()
    paths = tracks(tmp_path, segments, Glossary([]))  # names to keep together: none
    elapsed = time.monotonic() - began
    (vtt,) = paths
    text = vtt.read_text(encoding="utf-8")
    # the writer reads every track back with webvtt before writing it; count the cues here
    assert text.count(" --> ") == n and f"сегмент {n - 1}" in text
    assert elapsed < 240, f"{elapsed:.0f} s for {n} segments"


def test_transcript_for_an_unsafe_video_id_is_refused(tmp_path: Path) -> None:
    src = LocalSource(tmp_path)
    for vid in ("../../etc/passwd", "a/b", "x" * 2000):
        with pytest.raises(TranscriptError, match="not a YouTube video id"):
            src.fetch(vid)


@pytest.mark.parametrize("lang, kept", [
    ("ru", "ru"), ("pt_BR", "pt-br"), (" EN ", "en"), ("../../x", None), ("ru/../..", None),
    ("[ru, en]", None), ("123", None), ("a" * 300, None),
])
def test_front_matter_lang_is_a_language_code_or_ignored(tmp_path: Path, lang: str,
                                                        kept: str | None) -> None:
    path = write(tmp_path / "ch" / "n.md", front(extra=f"lang: {lang}\n") + body())
    scan = scan_vault(tmp_path)
    (note,) = scan.notes
    assert note.lang == kept
    if kept is None:
        (problem,) = scan.problems
        assert str(problem).startswith(f"{path}:1: lang ") and "not a language code" in str(
            problem)
        assert (FetchRequest(VID, None),) == tuple(requests_for_notes(scan.notes))
    else:
        assert not scan.problems


def test_front_matter_names_only_the_first_fence(tmp_path: Path) -> None:
    """A second `---` block in the body is body text, not front matter."""
    text = front() + "\n---\nvideoId: ../../etc/passwd\n---\n" + body()
    write(tmp_path / "ch" / "n.md", text)
    scan = scan_vault(tmp_path)
    assert [n.video_id for n in scan.notes] == [VID] and scan.notes[0].render() == text
