"""Alignment on the real corpus (skipped when ../shared/corpus is absent)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.align import Aligner, alignment_report, claim_inputs, summary_counts
from pipeline.notes import discover_notes, load_note, parse_note
from pipeline.transcripts import LocalSource

SMALL_NOTE = "3blue1brown/geometric_versus_numeric_understanding_in_linear_algebra.md"
WELL = re.compile(r'data-t="00:(\d\d):(\d\d)"')


def test_every_anchor_once_in_order_for_every_note(corpus: Path) -> None:
    """Without transcripts (no model needed): the report lists each note's anchors."""
    aligner = Aligner()
    for path in discover_notes(corpus / "notes"):
        note = load_note(path, corpus / "notes")
        flat = [c.index for ci in claim_inputs(note) for c in ci.citations]
        assert flat == list(range(len(note.citations))), path
        al = aligner.align(note, None)
        entry = alignment_report([al], [note])["notes"][0]
        written = [c["written"] for cl in sorted(entry["claims"], key=lambda c: c["index"])
                   for c in cl["citations"]]
        assert written == [c.written for c in note.citations], path
        assert all(c.status == "no_transcript" for c in al.checks)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("embeddings")  # the claims are embedded once


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_real_note_and_its_mmss_rewrite(corpus: Path, cache: Path, lang: str) -> None:
    path = corpus / "notes" / SMALL_NOTE
    text = path.read_text(encoding="utf-8")
    note = load_note(path)
    assert note.video_id is not None
    transcript = LocalSource(corpus / "transcripts").fetch(note.video_id, original=lang)
    assert transcript.language == lang
    aligner = Aligner(cache_dir=cache)
    al = aligner.align(note, transcript)
    counts = summary_counts([al])
    assert sum(counts.values()) == len(note.citations) == 20
    assert counts["ok"] >= 12 and counts["out_of_range"] == 0, counts
    # every citation written MM:SS:00 (beyond this 5-minute video): read back as it was
    mmss = parse_note(WELL.sub(r'data-t="\1:\2:00"', text), path)
    fixed = aligner.align(mmss, transcript)
    for before, after in zip(al.checks, fixed.checks, strict=True):
        if before.status == "ok":
            assert after.status == "repaired", after
            assert after.resolved_ms == before.resolved_ms
