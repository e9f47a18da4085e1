"""Real transcripts (../shared/corpus): tracks written for a few videos pass check_vtt.py.

The whole corpus is measured by bench/bench_subtitles.py; this keeps a small real sample
in the test suite (skipped when the corpus is absent).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import webvtt

from pipeline.model import Segment
from pipeline.subtitles import (
    check_cues,
    cue_groups,
    cues_from_segments,
    rules_for,
    translated_cues,
    write_track,
)

from .conftest import SHARED

pytestmark = pytest.mark.corpus

# a long lecture with an hour-long last segment, monologues without punctuation, a short one
VIDEOS = ["5PcpBw5Hbwo", "d-o3eB9sfls", "aircAruvnKk"]
CHECK_VTT = SHARED / "tools" / "check_vtt.py"


def load(path: Path, lang: str) -> list[Segment]:
    rows = json.loads(path.read_text(encoding="utf-8"))
    return [Segment(round(a * 1000), round(b * 1000), s, lang) for s, a, b in rows]


def test_corpus_tracks_pass_check_vtt(corpus: Path, tmp_path: Path) -> None:
    if not CHECK_VTT.exists():
        pytest.skip(f"{CHECK_VTT} not present")
    en, ru = rules_for("en"), rules_for("ru")
    files = []
    for vid in VIDEOS:
        tdir = corpus / "transcripts" / vid
        segments = load(tdir / "en" / "sentence_timings.json", "en")
        cues = cues_from_segments(segments, en)
        assert check_cues(cues, en)["ALL"] == 1.0
        files.append(write_track(tmp_path / f"{vid}.en.vtt", cues, "corpus test")[0])
        # the Russian reference as a timed transcript of its own, and as a translation
        # cut group by group inside the English groups
        ref = json.loads((tdir / "ru" / "sentence_translations.json").read_text("utf-8"))
        ru_segments = [Segment(round(r["start"] * 1000), round(r["end"] * 1000),
                               r["translatedText"], "ru") for r in ref]
        files.append(write_track(tmp_path / f"{vid}.ru.vtt",
                                 cues_from_segments(ru_segments, ru), "corpus test")[0])
        groups = cue_groups(segments, en)
        by_input = {r["input"]: r["translatedText"] for r in ref}
        texts = [" ".join(by_input.get(segments[i].text, "") for i in g.segments)
                 for g in groups]
        tr = translated_cues(groups, texts, ru)
        assert check_cues(tr, ru)["ALL"] == 1.0
        files.append(write_track(tmp_path / f"{vid}.grouped.ru.vtt", tr, "corpus test")[0])
    for f in files:
        assert len(webvtt.read(str(f))) > 0
    res = subprocess.run([sys.executable, str(CHECK_VTT), *map(str, files)],
                         capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "malformed=0" in res.stdout and "structural 100.0%" in res.stdout
