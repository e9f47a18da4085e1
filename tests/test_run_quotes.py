"""A citation into minutes of unpunctuated speech quotes a few lines around the cited time,
in the note's outputs and in their translation alike (real Bergamot en->pt)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.glossary import Glossary
from pipeline.model import CitationCheck, NoteAlignment, Segment
from pipeline.notes import parse_note
from pipeline.render import QUOTE_CHARS, check_quote, check_quote_of
from pipeline.run import Keyed, RunContext, compose, render_note, translate_language
from pipeline.run.outputs import quote_translations
from pipeline.settings import RunSettings
from pipeline.translate import TranslationMemory, translate_safely

VID = "chIqmlJA2i0"
A = '<a class="yt-timestamp" data-t="{0}">[{0}]</a>'
TEXT = (f"---\ntitle: Counting\nvideoId: {VID}\n---\n\n"
        f"By the ninetieth minute the farmer counts ninety apples {A.format('00:01:30')}.\n")
UNITS = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
TENS = ["", "ten", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty",
        "ninety"]
# a minute and a half said in one segment without punctuation: at second k, "k apples"
SAID = " ".join(f"the farmer now counts {TENS[k // 10]} {UNITS[k % 10]} apples".replace(
    "  ", " ") for k in range(1, 100))


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[RunContext]:
    settings = RunSettings(vault=tmp_path / "vault", out=tmp_path / "out", languages=("pt",),
                           cache_dir=tmp_path / "cache")
    with TranslationMemory(tmp_path / "tm.sqlite3") as memory:
        yield compose(settings, glossary=Glossary([]), memory=memory)


def test_a_long_quote_is_cut_and_its_translation_is_of_the_cut(
        ctx: RunContext, tmp_path: Path) -> None:
    note = parse_note(TEXT, tmp_path / "vault" / "ch" / "a.md", "ch")
    seg = Segment(1_000, 100_000, SAID, "en")
    assert len(SAID) > 3_000
    check = CitationCheck(citation=note.citations[0], claim_index=0, status="ok",
                          resolved_ms=90_000, suggested_ms=None, score=0.9, segment=seg,
                          context=(seg,))
    alignment = NoteAlignment(note.path, VID, 100_000, "en", (check,))
    quote = check_quote(check)
    assert len(quote) <= QUOTE_CHARS + 4 and "counts ninety apples" in quote
    assert quote.startswith("… ") and quote.endswith(" …")

    quotes = quote_translations(alignment, "en", "pt", "ch/a.md", ctx)
    engine = ctx.engines.plain("en", "pt")
    cut = check_quote_of(check)  # the words translated, the cut's marks kept around them
    said = translate_safely(engine, [cut.body], "en", "pt").outputs[0]
    assert said is not None and "…" not in said
    assert quotes.value == {0: f"… {said} …"}
    assert len(quotes.value[0]) < 2 * QUOTE_CHARS

    tr = translate_language([note], "pt", ctx).value[str(note.path)]
    done = render_note(note, Keyed(alignment, "a" * 64), tr, "en", (), ctx, "")
    assert not done.failures
    page = ctx.layout.review_page(note, "pt").read_text(encoding="utf-8")
    bilingual = ctx.layout.bilingual_note(note, "pt").read_text(encoding="utf-8")
    for out in (page, bilingual):
        assert quote[2:60] in out and SAID[:60] not in out and SAID[-60:] not in out
