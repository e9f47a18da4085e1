"""pipeline.translate.kept: what of a note is never sent to an engine."""

from __future__ import annotations

from pathlib import Path

from pipeline.glossary.lines import VaultLines
from pipeline.notes import parse_note
from pipeline.translate.kept import in_language, is_name, kept_units, plan_block, web_titles

PAGE = ("---\ntitle: nisanyans\n---\n"
        "### [Kuran ne zaman yazıldı?](https://www.youtube.com/watch?v=aKBcuPCMKtg)\n"
        "### [Путин мертв. Что дальше?](https://www.youtube.com/watch?v=eW_KlByc5Yc)\n"
        "- [[history_of_the_quran | History of the Quran]]\n"
        "### [But what is a neural network?](https://www.youtube.com/watch?v=aircAruvnKk)\n"
        "See [the Quran's history](notes/quran.md) and N26, bonus_professor.\n")


def test_in_language() -> None:
    assert in_language("The troops left", "en") and not in_language("Путин мертв", "en")
    assert in_language("Путин мертв", "ru") and in_language("2022 — 2023", "en")


def test_is_name() -> None:
    names = {"nisanyans"}
    assert all(is_name(w, names) for w in ("bonus_professor", "3blue1brown", "Nisanyans", "x_1"))
    assert not any(is_name(w, names) for w in ("Calculus", "1990", "two words", "ok.", ""))


def test_kept_units_of_an_index_page() -> None:
    note = parse_note(PAGE, Path("v/nisanyans/nisanyans.md"))
    plans = [[plan_block(b, 10_000, VaultLines(())) for b in note.blocks]]
    titles = [u.plain for t in plans[0] for u in web_titles(t)]
    assert titles == ["Kuran ne zaman yazıldı?", "Путин мертв. Что дальше?",
                      "But what is a neural network?"]  # a link to a file is no web page
    kept = sorted(u.plain for u in kept_units([note], plans, "en"))
    assert kept == ["Kuran ne zaman yazıldı?", "nisanyans", "Путин мертв. Что дальше?"]
