"""ArgosEngine on a real (tiny, random-weight) argos package, installed through
argostranslate's own package code from an index served on 127.0.0.1."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from argos_fixture import build_argos_package, index_entry, serve_directory  # noqa: E402

from pipeline.errors import ConfigError, ModelMissingError, TranslationError  # noqa: E402
from pipeline.translate import (  # noqa: E402
    ENGINE_NAMES,
    ArgosEngine,
    BergamotEngine,
    CachedEngine,
    EngineOptions,
    TranslationMemory,
    capabilities,
    choose_engine,
    engine_signature,
)

OPTS = EngineOptions(beam_size=2, max_decoding_length=12)
TEXTS = [
    "The determinant measures how a linear transformation scales areas.",
    "Kherson was discussed.",
    "",
    "A matrix is a grid of numbers.",
    "Eigenvectors stay on their own span during the transformation, as the video shows.",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """Two packages (en->ru, and en->de with a target-prefix token) and an index, served."""
    root = tmp_path_factory.mktemp("argos-site")
    ru = build_argos_package(root / "build", source="en", target="ru", seed=1)
    de = build_argos_package(root / "build", source="en", target="de", seed=2,
                             target_prefix="<2de>")
    with serve_directory(root / "build") as base:
        index = [index_entry(ru, base), index_entry(de, base)]
        (root / "build" / "index.json").write_text(json.dumps(index))
        yield base, ru, de


@pytest.fixture(scope="module")
def engine(server, tmp_path_factory: pytest.TempPathFactory) -> ArgosEngine:
    base, _, _ = server
    home = tmp_path_factory.mktemp("argos-home")
    eng = ArgosEngine(OPTS, packages_dir=home / "packages", index_url=base + "index.json",
                      cache_dir=home / "cache")
    assert eng.list_models() == []
    eng.install("en", "ru")
    eng.install("en", "de")
    return eng


def test_index_lists_and_install_through_argostranslate(server, tmp_path: Path) -> None:
    base, _, _ = server
    eng = ArgosEngine(OPTS, packages_dir=tmp_path / "p", index_url=base,  # base URL form
                      cache_dir=tmp_path / "c")
    available = {(m.source, m.target) for m in eng.available_models()}
    assert available == {("en", "ru"), ("en", "de")}
    assert not eng.supports("en", "ru")
    info = eng.install("en", "ru")
    assert (info.source, info.target, info.version) == ("en", "ru", "1.0")
    assert info.path is not None and (info.path / "model" / "model.bin").is_file()
    assert eng.supports("en", "ru") and not eng.supports("ru", "en")
    assert [m.name for m in eng.list_models()] == ["translate-en_ru"]
    assert not list((tmp_path / "c" / "downloads").iterdir())  # download removed after install
    with pytest.raises(ModelMissingError, match="has no en->uk package"):
        eng.install("en", "uk")


def test_failed_download_is_a_translation_error(server, tmp_path: Path) -> None:
    base, ru, _ = server
    entry = index_entry(ru, base)
    entry["links"] = [base + "missing.argosmodel"]
    (ru.parent / "broken.json").write_text(json.dumps([entry]))
    eng = ArgosEngine(OPTS, packages_dir=tmp_path / "p", index_url=base + "broken.json",
                      cache_dir=tmp_path / "c")
    with pytest.raises(TranslationError, match="could not download"):
        eng.install("en", "ru")
    assert eng.list_models() == []


def test_unreachable_index_is_a_clear_error(tmp_path: Path) -> None:
    eng = ArgosEngine(OPTS, packages_dir=tmp_path / "p", index_url="http://127.0.0.1:9/x.json",
                      cache_dir=tmp_path / "c", timeout_s=5)
    with pytest.raises(ModelMissingError, match="cannot reach the argos package index"):
        eng.install("en", "ru")
    with pytest.raises(ModelMissingError, match="install --file"):
        eng.available_models()


def test_install_file_offline(server, tmp_path: Path) -> None:
    _, ru, _ = server
    eng = ArgosEngine(OPTS, packages_dir=tmp_path / "p", index_url="http://127.0.0.1:9/",
                      cache_dir=tmp_path / "c")
    info = eng.install_file(ru)
    assert (info.source, info.target) == ("en", "ru")
    assert eng.translate(["A matrix."], "en", "ru")[0].strip()
    bad = tmp_path / "bad.argosmodel"
    bad.write_bytes(b"not a zip")
    with pytest.raises(TranslationError, match="not an argos package"):
        eng.install_file(bad)


def test_missing_model_names_the_install_command(tmp_path: Path) -> None:
    eng = ArgosEngine(OPTS, packages_dir=tmp_path / "p", cache_dir=tmp_path / "c")
    with pytest.raises(ModelMissingError, match="interlinear models install en uk"):
        eng.translate(["x"], "en", "uk")


def test_batch_translation_one_output_per_input(engine: ArgosEngine) -> None:
    out = engine.translate(TEXTS, "en", "ru")
    assert len(out) == len(TEXTS)
    assert out[2] == ""
    assert all(o.strip() for i, o in enumerate(out) if i != 2)
    # sorting by length inside the batch never mixes outputs up
    alone = [engine.translate([t], "en", "ru")[0] for t in TEXTS]
    assert out == alone
    assert "\u2581" not in "".join(out)


def test_model_id_names_the_package(engine: ArgosEngine) -> None:
    mid = engine.model_id("en", "ru")
    assert mid.startswith("argos:translate-en_ru-1_0@1.0#")
    assert mid != engine.model_id("en", "de")
    assert capabilities(engine) == {"nbest", "constrained"}


def test_nbest(engine: ArgosEngine) -> None:
    texts = TEXTS[:2]
    nbest = engine.translate_nbest(texts, "en", "ru", 2)  # n <= beam: same search
    best = engine.translate(texts, "en", "ru")
    for hyps, one in zip(nbest, best, strict=True):
        assert 1 <= len(hyps) <= 2 and len(set(hyps)) == len(hyps)
        assert hyps[0] == one
    assert any(len(h) > 1 for h in nbest)


def test_prefix_forces_the_start(engine: ArgosEngine) -> None:
    out = engine.translate_constrained(TEXTS[:2], "en", "ru", prefixes=["Херсон", None])
    assert out[0].startswith("Херсон")
    assert out[1] == engine.translate([TEXTS[1]], "en", "ru")[0]
    alts = engine.translate_nbest([TEXTS[0]], "en", "ru", 3, prefixes=["Херсон"])[0]
    assert len(alts) >= 2 and all(a.startswith("Херсон") for a in alts)


def test_suppress_removes_a_rendering(engine: ArgosEngine) -> None:
    text = TEXTS[0]
    first = engine.translate([text], "en", "ru")[0]
    word = max(first.split(), key=len)
    again = engine.translate_constrained([text, text], "en", "ru", suppress=[[word], []])
    assert again[1] == first
    assert again[0] != first
    assert word not in again[0].split()


def test_package_target_prefix_is_used_and_removed(engine: ArgosEngine) -> None:
    out = engine.translate(TEXTS[:2], "en", "de")
    assert all(o.strip() and "<2de>" not in o for o in out)


def test_cached_engine_passes_nbest_and_constraints_through(engine, tmp_path: Path) -> None:
    with TranslationMemory(tmp_path / "tm.sqlite") as tm:
        cached = CachedEngine(engine, tm, "g1")
        assert capabilities(cached) == {"nbest", "constrained"}
        a = cached.translate_nbest(TEXTS[:2], "en", "ru", 2)
        b = cached.translate_constrained(TEXTS[:2], "en", "ru", prefixes=["Херсон", None])
        sent = cached.stats().sent
        assert a == cached.translate_nbest(TEXTS[:2], "en", "ru", 2)
        assert b == cached.translate_constrained(TEXTS[:2], "en", "ru",
                                                 prefixes=["Херсон", None])
        assert cached.stats().sent == sent
        assert a == engine.translate_nbest(TEXTS[:2], "en", "ru", 2)


def test_choose_engine(engine: ArgosEngine) -> None:
    berg = BergamotEngine()
    assert choose_engine("en", "ru", argos=engine, bergamot=berg) is engine
    assert choose_engine("en", "pt", argos=engine, bergamot=berg) is berg
    assert choose_engine("en", "ru", "argos", argos=engine, bergamot=berg) is engine
    with pytest.raises(ModelMissingError, match="interlinear models install en uk"):
        choose_engine("en", "uk", argos=engine, bergamot=berg)
    with pytest.raises(ModelMissingError, match="en<->pt only"):
        choose_engine("en", "ru", "bergamot", argos=engine, bergamot=berg)
    with pytest.raises(ModelMissingError, match="interlinear models install en pt"):
        choose_engine("en", "pt", "argos", argos=engine, bergamot=berg)
    with pytest.raises(ConfigError):
        choose_engine("en", "ru", "deepl", argos=engine, bergamot=berg)


def test_engine_options_validate() -> None:
    with pytest.raises(ValueError):
        EngineOptions(beam_size=0)
    with pytest.raises(ValueError):
        EngineOptions(device="tpu")  # type: ignore[arg-type]
    assert EngineOptions(inter_threads=2).output_key == EngineOptions().output_key
    assert EngineOptions(beam_size=1).output_key != EngineOptions().output_key
    assert EngineOptions(device="cuda").signature() == EngineOptions().signature()
    assert EngineOptions(length_penalty=0.5).signature() != EngineOptions().signature()
    assert EngineOptions().output_key == EngineOptions().signature().key
    assert EngineOptions().signature().version is None  # the memory is shared across versions


def test_engine_names_come_from_the_registry() -> None:
    assert (ArgosEngine.name, BergamotEngine.name) == ENGINE_NAMES
    assert BergamotEngine().model_id("en", "pt").startswith(BergamotEngine.name + ":")


def test_engine_signature_names_engine_model_and_options(engine: ArgosEngine,
                                                         tmp_path: Path) -> None:
    sig = engine_signature(engine, "en", "ru")
    assert dict(sig.fields) == {"engine": "argos", "model": engine.model_id("en", "ru"),
                                "options": OPTS.signature()}
    assert engine_signature(engine, "en", "de") != sig
    with TranslationMemory(tmp_path / "tm.sqlite") as tm:
        assert engine_signature(CachedEngine(engine, tm, "g"), "en", "ru") == sig
    assert engine_signature(BergamotEngine(), "en", "pt").fields[2] == (
        "options", EngineOptions(beam_size=1).signature())
