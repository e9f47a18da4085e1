"""Quotes and tracks say when they are not translated, and why, in the outputs a reader
opens (the bilingual note, the review page), not only in the manifest: no model for the
pair, the transcript's language unknown. Real Bergamot en->pt for the note; no argos
model (conftest), so Russian quotes and tracks cannot reach Portuguese."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.glossary import Glossary
from pipeline.model import CitationCheck, NoteAlignment, Segment, Transcript
from pipeline.notes import parse_note
from pipeline.run import (
    Keyed,
    RunContext,
    compose,
    render_note,
    track_missing,
    transcript_tracks,
    translate_language,
)
from pipeline.settings import RunSettings
from pipeline.translate import TranslationMemory

VID = "chIqmlJA2i0"
A = '<a class="yt-timestamp" data-t="{0}">[{0}]</a>'
TEXT = (f"---\ntitle: Sanctions\nvideoId: {VID}\n---\n\n"
        f"The sanctions did not work as planned {A.format('00:00:01')}.\n")


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[RunContext]:
    settings = RunSettings(vault=tmp_path / "vault", out=tmp_path / "out", languages=("pt",),
                           cache_dir=tmp_path / "cache", allow_missing_models=True)
    with TranslationMemory(tmp_path / "tm.sqlite3") as memory:
        yield compose(settings, glossary=Glossary([]), memory=memory)


def _outputs(ctx: RunContext, tmp_path: Path, lang: str, said: str) -> tuple[str, str, str]:
    """The note's outputs in pt when its transcript (and quotes) are in `lang`."""
    note = parse_note(TEXT, tmp_path / "vault" / "ch" / "a.md", "ch")
    seg = Segment(0, 3000, said, lang)
    tracks = transcript_tracks(VID, Transcript(VID, lang, (seg,)), ctx)
    assert not tracks.failures and [o.lang for o in tracks.outputs] == [lang]
    missing = track_missing(tracks, VID, "pt")
    assert missing and track_missing(tracks, VID, lang) == ""
    tr = translate_language([note], "pt", ctx).value[str(note.path)]
    check = CitationCheck(citation=note.citations[0], claim_index=0, status="ok",
                          resolved_ms=0, suggested_ms=None, score=0.9, segment=seg)
    alignment = NoteAlignment(note.path, VID, None, lang, (check,))
    done = render_note(note, Keyed(alignment, "a" * 64), tr, lang, (), ctx, missing)
    assert not done.failures and [w.reason[:21] for w in done.warnings] == [
        "quotes not translated"]
    layout = ctx.layout
    return (layout.bilingual_note(note, "pt").read_text(encoding="utf-8"),
            layout.review_page(note, "pt").read_text(encoding="utf-8"),
            layout.translated_note(note, "pt").read_text(encoding="utf-8"))


def test_no_model_for_the_quotes_and_track_is_said_with_the_advice(
        ctx: RunContext, tmp_path: Path) -> None:
    bilingual, page, translated = _outputs(ctx, tmp_path, "ru", "Санкции не сработали.")
    install = "\\`interlinear models install ru en\\`"  # inert markdown text
    header = bilingual[bilingual.index("> [!info]"):].split("\n\n")[0]
    assert "> Transcript quotes (RU) not in PT: quotes not translated: no translation " \
           "model for ru-&gt;pt" in header and install in header
    assert "> No PT transcript track (subtitles): no translation model for ru-&gt;pt" in header
    assert "*PT: not translated (see the note's header)*" in bilingual
    assert "«Санкции не сработали.»" in bilingual  # the quote itself, as said
    assert "untranslated_quotes: 'quotes not translated: no translation model for ru->pt," \
        in bilingual  # cut short: the header has it all
    assert "untranslated_track: no translation model for ru->pt" in translated
    assert "<h2>Not in PT</h2>" in page
    assert "<li>Transcript quotes (RU): quotes not translated: no translation model for " \
           "ru-&gt;pt" in page
    assert "<li>Transcript track (subtitles): no translation model for ru-&gt;pt" in page
    assert 'class="trans untranslated"' in page and "not translated into PT" in page


def test_an_unknown_transcript_language_is_the_reason(ctx: RunContext, tmp_path: Path) -> None:
    bilingual, page, _ = _outputs(ctx, tmp_path, "und", "zzz qqq")
    assert "quotes not translated: the source language is not known" in bilingual
    header = bilingual[bilingual.index("> [!info]"):].split("\n\n")[0]
    assert "VIDEO_ID.ru.json or --original-lang ru" in header.replace("\\_", "_")
    assert "No PT transcript track (subtitles): the source language is not known" in bilingual
    assert "the source language is not known" in page
    assert "install und" not in bilingual and "install und" not in page


def test_translated_quotes_say_nothing_of_the_kind(ctx: RunContext, tmp_path: Path) -> None:
    note = parse_note(TEXT, tmp_path / "vault" / "ch" / "a.md", "ch")
    seg = Segment(0, 3000, "The sanctions did not work.", "en")
    tr = translate_language([note], "pt", ctx).value[str(note.path)]
    check = CitationCheck(citation=note.citations[0], claim_index=0, status="ok",
                          resolved_ms=0, suggested_ms=None, score=0.9, segment=seg)
    done = render_note(note, Keyed(NoteAlignment(note.path, VID, None, "en", (check,)),
                                   "a" * 64), tr, "en", (), ctx)
    assert not done.failures and not done.warnings
    bilingual = ctx.layout.bilingual_note(note, "pt").read_text(encoding="utf-8")
    page = ctx.layout.review_page(note, "pt").read_text(encoding="utf-8")
    assert "not translated" not in bilingual and "untranslated_" not in bilingual
    assert "Not in PT" not in page and "not translated into" not in page
