"""A small hand-made note, its Portuguese translation, alignment and glossary checks.

Shared by the render tests (golden files, structure, escaping, browser). The checks are
built by hand so that every citation status and glossary outcome appears once.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pipeline.model import (
    CitationCheck,
    Note,
    NoteAlignment,
    Segment,
    TermCheck,
    TranslatedNote,
)
from pipeline.notes import parse_note
from pipeline.render import CueFlag

A = '<a class="yt-timestamp" data-t="{0}">[{0}]</a>'

SOURCE = f"""---
title: Russian troop withdrawal from Kherson
videoId: chIqmlJA2i0
tags:
- war
---

From: [[bonus_professor]] <br/>{" "}

The withdrawal from [[Kherson]] is the main event of the week {A.format("00:01:21")}. The \
initiative passed to [[Ukraine | Ukrainian forces]] {A.format("00:02:10")}, {A.format("00:02:12")}.

## Military [[Counteroffensive | counteroffensive]]

*   **Mobilization:** a second wave is expected in winter {A.format("00:05:52")}.
*   The front line moves to the Dnipro {A.format("00:06:00")}.

> [!NOTE] Key point
> The speaker calls it a turning point of the war {A.format("00:07:00")}.

| Side | Claim |
| :--- | :--- |
| Russia | retreats over the river {A.format("00:08:00")} |

The speaker predicts talks by spring {A.format("99:99:99")}.
"""

# The translation of each block, as the translator returns it (same anchors and markup).
PT_BLOCKS = {
    "From": "De: [[bonus_professor]] <br/> \n",
    "The withdrawal": (
        f"A retirada de [[Kherson]] é o principal acontecimento da semana "
        f"{A.format('00:01:21')}. A iniciativa passou para as [[Ukraine | forças ucranianas]] "
        f"{A.format('00:02:10')}, {A.format('00:02:12')}.\n"
    ),
    "## Military": "## [[Counteroffensive | Contraofensiva]] militar\n",
    "*   **Mobilization": (
        f"*   **Mobilização:** espera-se uma segunda vaga no inverno {A.format('00:05:52')}.\n"
    ),
    "*   The front": f"*   A frente desloca-se para o Dnipro {A.format('00:06:00')}.\n",
    "> [!NOTE]": (
        "> [!NOTE] Ponto-chave\n"
        f"> O orador chama-lhe um ponto de viragem da guerra {A.format('00:07:00')}.\n"
    ),
    "| Side": (
        "| Lado | Afirmação |\n| :--- | :--- |\n"
        f"| Rússia | recua para lá do rio {A.format('00:08:00')} |\n"
    ),
    "The speaker predicts": (
        f"O orador prevê negociações até à primavera {A.format('99:99:99')}.\n"
    ),
}

SEGMENTS = (
    Segment(80_000, 84_500, "Главное событие недели — это отход из Херсона.", "ru"),
    Segment(129_000, 133_000, "Инициатива перешла к украинским вооружённым силам.", "ru"),
    Segment(150_000, 154_000, "Это полностью меняет ситуацию на юге.", "ru"),
    Segment(351_000, 356_000, "Вторая волна мобилизации ожидается зимой.", "ru"),
    Segment(379_000, 384_000, "Линия фронта переместится к Днепру.", "ru"),
    Segment(419_000, 424_000, "Это переломный момент войны.", "ru"),
    Segment(479_000, 484_000, "Российские войска отходят за реку.", "ru"),
)

QUOTE_PT = {
    0: "O principal acontecimento da semana é a retirada de Kherson.",
    1: "A iniciativa passou para as forças armadas ucranianas.",
    2: "Isto muda completamente a situação no sul.",
    4: "A linha da frente vai deslocar-se para o Dnipro.",
    5: "É um ponto de viragem da guerra.",
    6: "As tropas russas recuam para lá do rio.",
}

TERMS = (
    TermCheck("counteroffensive", ("contraofensiva",), 1, "found"),
    TermCheck("mobilization", ("mobilização",), 1, "found"),
    TermCheck("front line", ("linha da frente", "linha de frente"), 1, "missing"),
)

PROVENANCE = {"version": "0.1.0", "alignment": "align-v1-window2"}

FLAGS = (
    CueFlag(150_000, 152_100, "Это полностью меняет ситуацию на юге и на востоке.", "pt",
            detail="23.4 chars/s (limit 20)"),
)


def sample_note(text: str = SOURCE, path: str = "vault/bonus_professor/kherson.md") -> Note:
    return parse_note(text, Path(path))


def sample_translation(note: Note, blocks: dict[str, str] | None = None,
                       title: str = "Retirada das tropas russas de Kherson") -> TranslatedNote:
    table = PT_BLOCKS if blocks is None else blocks
    out = []
    for b in note.blocks:
        key = next((k for k in table if b.text.startswith(k)), None)
        out.append(table[key] if key else b.text)
    return TranslatedNote(note=note, lang="pt", blocks=tuple(out), title=title,
                          engine="bergamot", model="enpt.student.tiny11",
                          glossary_hash="3f2a9c1d", terms=TERMS)


def sample_alignment(note: Note) -> NoteAlignment:
    seg = {s.start_ms: s for s in SEGMENTS}
    checks = []
    for c in note.citations:
        claim = next(cl.index for cl in note.claims if c in cl.citations)
        base = CitationCheck(citation=c, claim_index=claim, status="ok", resolved_ms=c.ms,
                             suggested_ms=None, score=0.82, segment=None)
        if c.written == "99:99:99":
            check = replace(base, status="out_of_range", resolved_ms=None, score=None,
                            reason="99:99:99 is not a time within the video (16:40)")
        elif c.written == "00:02:12":
            check = replace(base, status="suspect", suggested_ms=129_000, score=0.21,
                            segment=seg[150_000], context=(seg[150_000],),
                            reason="the words at 00:02:12 do not support the claim")
        elif c.written == "00:06:00":
            check = replace(base, status="repaired", resolved_ms=379_000, score=0.77,
                            segment=seg[379_000], context=(seg[379_000],),
                            reason="cited during a pause; taken as the next sentence")
        else:
            s = max((s for s in SEGMENTS if s.start_ms <= (c.ms or 0)),
                    key=lambda s: s.start_ms)
            check = replace(base, segment=s, context=(s,))
        checks.append(check)
    return NoteAlignment(note_path=note.path, video_id=note.video_id, duration_ms=1_000_000,
                         transcript_language="ru", checks=tuple(checks))


def test_sample_is_consistent() -> None:
    note = sample_note()
    assert note.render() == SOURCE
    tr = sample_translation(note)
    assert len(tr.blocks) == len(note.blocks)
    used = {k for b in note.blocks for k in PT_BLOCKS if b.text.startswith(k)}
    assert used == set(PT_BLOCKS)
    statuses = [c.status for c in sample_alignment(note).checks]
    assert set(statuses) == {"ok", "suspect", "repaired", "out_of_range"}
