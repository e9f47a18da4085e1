"""Suggestions on joined captions moved to the tail of their sentence that the claim is
most similar to (`pipeline.align.refine`)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from pipeline.align import Aligner, AlignSettings
from pipeline.align.refine import refined, tails
from pipeline.align.sentences import join_fragments
from pipeline.model import Citation, CitationCheck, Segment, Transcript
from pipeline.notes import parse_note

CUES = (Segment(31_360, 39_560, "Il est d'usage de dire que les dérivées mesurent un taux. "
                "Mais quand on y pense, c'est en fait un oxymore", "fr"),
        Segment(40_220, 45_040, "une variation se définit sur un intervalle de temps", "fr"),
        Segment(45_040, 49_120, "et à un instant il ne peut pas y avoir de variation.", "fr"))


def test_tails_start_at_the_fragments_inside_the_sentence() -> None:
    sentence = join_fragments(CUES, capitals=False)[1]
    assert sentence.text.startswith("Mais quand") and sentence.end_ms == 49_120
    got = tails(sentence, CUES)
    assert [(t.start_ms, t.end_ms) for t in got] == [(40_220, 49_120), (45_040, 49_120)]
    assert got[0].text.startswith("une variation") and got[1].text.startswith("et à un")
    assert all(sentence.text.endswith(t.text) for t in got)
    assert tails(CUES[1], CUES) == []  # no fragment starts strictly inside one fragment


def test_a_fragment_after_a_comma_goes_on_with_its_sentence() -> None:
    """The demo's Erdogan sentence (10:45) is cut into fragments after commas: no tail, so
    the suggestion stays where the sentence, and the claim about Erdogan, begins."""
    rows = json.loads((Path(__file__).parents[1] / "examples" / "transcripts"
                       / "chIqmlJA2i0.ru.json").read_text(encoding="utf-8"))
    segs = [Segment(round(r["start"] * 1000), round((r["start"] + r["duration"]) * 1000),
                    r["text"], "ru") for r in rows]
    (erdogan,) = [s for s in join_fragments(segs) if s.text.startswith("Второй признак")]
    inside = [f for f in segs if erdogan.start_ms < f.start_ms < erdogan.end_ms]
    assert len(inside) == 2 and erdogan.start_ms == 645_000
    assert tails(erdogan, segs) == []


@given(st.lists(st.text(alphabet="ab cd.", min_size=1, max_size=12), min_size=1, max_size=12))
def test_tails_are_suffixes_in_order_inside_the_sentence(texts: list[str]) -> None:
    cues = [Segment(i * 1000, i * 1000 + 900, t, "en") for i, t in enumerate(texts)]
    for sentence in join_fragments(cues, share=1.1):
        got = tails(sentence, cues)
        assert all(sentence.start_ms < t.start_ms < sentence.end_ms for t in got)
        assert all(sentence.text.endswith(t.text) and t.text for t in got)
        assert [t.start_ms for t in got] == sorted({t.start_ms for t in got})
        assert [len(t.text) for t in got] == sorted((len(t.text) for t in got), reverse=True)


def _check(sentence: Segment) -> CitationCheck:
    cite = Citation("00:00:00", 0, "", 1, 0, 0)
    return CitationCheck(cite, 0, "suspect", 0, sentence.start_ms, 0.1, None,
                         suggestion=(sentence,))


class Topical:
    """Unit vectors of a text's mentions of "intervalle" against its length in words: a
    tail that keeps the mention and drops other words is more like a claim about it."""

    def __call__(self, texts: list[str]) -> np.ndarray:
        rows = np.array([[t.count("intervalle"), len(t.split()) / 10] for t in texts])
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_a_suggestion_moves_to_the_tail_its_claim_is_most_like() -> None:
    sentence = join_fragments(CUES, capitals=False)[1]
    variation = {0: np.array([1.0, 0.0])}
    (moved,) = refined([_check(sentence)], variation, CUES, Topical())
    assert moved.suggested_ms == 40_220 and moved.suggestion[0].text.startswith("une variation")
    assert moved.status == "suspect" and moved.resolved_ms == 0
    # a claim the whole sentence is the most like (1.044 against 1.028 and 1.0): kept
    neutral = {0: np.array([0.3, 1.0]) / np.hypot(0.3, 1.0)}
    (kept,) = refined([_check(sentence)], neutral, CUES, Topical())
    assert kept == _check(sentence)
    ok = CitationCheck(Citation("00:00:00", 0, "", 1, 0, 0), 0, "ok", 0, None, 0.5, None)
    assert refined([ok], variation, CUES, Topical()) == [ok]


class Words:
    """An embedder of texts as counts of a few topic words (query and passage alike)."""

    model_id = "test-words"
    TOPICS = ("octopus", "glacier", "variation", "fourier")

    def _vec(self, texts: list[str]) -> np.ndarray:
        rows = np.array([[t.lower().count(w) for w in self.TOPICS] + [0.2] for t in texts],
                        dtype=np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._vec(list(texts))

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._vec(list(texts))


def test_the_aligner_suggests_the_tail_on_joined_captions(tmp_path: Path) -> None:
    """Subtitles that merge two sentences: the claim about the second is suggested where
    the second's fragment starts, not at the merged sentence's start; off (the default
    within one language), at its start. Across languages it is on."""
    frags = [Segment(i * 4000, i * 4000 + 3900, text, "en") for i, text in enumerate((
        "Glaciers carve valleys over", "thousands of years and nothing",
        "about glaciers is quick, which is why", "octopus arms hold most of their neurons.",
        "Fourier thought in sums", "of waves and more Fourier."))]
    tr = Transcript("vid00000001", "en", tuple(frags))
    text = ("---\ntitle: T\nvideoId: vid00000001\n---\n\n"
            "- Octopus arms hold most of their neurons "
            '<a class="yt-timestamp" data-t="00:00:20">[00:00:20]</a>\n')
    note = parse_note(text, Path("vault/chan/slug.md"))
    (check,) = Aligner(AlignSettings(refine_tails=True), Words(), tmp_path).align(note, tr).checks
    assert check.status == "suspect" and check.suggested_ms == 12_000
    assert check.suggestion[0].text == "octopus arms hold most of their neurons."
    off = Aligner(AlignSettings(), Words(), tmp_path).align(note, tr).checks
    assert off[0].suggested_ms == 0
    assert off[0].suggestion[0].text.startswith("Glaciers carve")
    assert AlignSettings().for_transcript("ru", frags, captions=True).refine_tails
    assert not AlignSettings().for_transcript("ru", frags).refine_tails
