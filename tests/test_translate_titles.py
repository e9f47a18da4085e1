"""Title Case titles an engine leaves in English: sent again in sentence case
(`pipeline.translate.titles`, wired in `translate.batch`)."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given
from hypothesis import strategies as st

from pipeline.translate import translate_safely
from pipeline.translate.titles import common_words, echoed, left_over, sentence_cased

from .test_translate_batch import Upper

BODY = [
    "Current data suggest that Donald Trump is significantly ahead in the electoral count.",
    "His standing in the polls grew, while the gap narrowed.",
    "The founder of the lodge was the grandfather of Sheikh Said, who said little.",
    "The invasion of Normandy began in June.",
]


def test_common_words_are_written_in_lower_case_and_never_capitalised_inside_a_sentence(
) -> None:
    common = common_words(BODY)
    assert {"electoral", "standing", "gap", "invasion"} <= common
    assert "trump" not in common and "donald" not in common  # capitalised mid-sentence
    assert "said" not in common  # "Sheikh Said", though "said" is a word too
    assert "normandy" not in common  # never in lower case


def test_titles_go_to_sentence_case_keeping_names_and_acronyms() -> None:
    common = common_words(BODY)
    assert sentence_cased("Donald Trump's Electoral Standing", common) == \
        "Donald Trump's electoral standing"
    assert sentence_cased("Bridging the Gap", common | {"bridging"}) == "Bridging the gap"
    assert sentence_cased("D-Day (Normandy Invasion):", common) == "D-Day (Normandy invasion):"
    assert sentence_cased("Sheikh Said Connection", common | {"connection"}) == \
        "Sheikh Said connection"
    # not titles: prose, a single word, a list of labels, acronyms only
    assert sentence_cased("The gap narrowed in the polls", common) is None
    assert sentence_cased("Standing", common) is None
    assert sentence_cased("Electoral Standing; Invasion Gap", common) is None
    assert sentence_cased("NATO EU", common) is None
    # nothing known to be a common word: left as it is
    assert sentence_cased("Egregor Ritual", frozenset()) is None


def test_an_echo_holds_a_common_word_of_the_title() -> None:
    common = frozenset({"electoral", "standing", "plot", "hole", "lessons", "outlook"})
    assert echoed("Donald Trump's Electoral Standing", "Donald Trump's Electoral Standing (a)",
                  common)
    assert echoed("Plot Hole", "Hole Plot", common)
    assert echoed("Lessons and Outlook", "Aulas e Outlook", common)  # partly in English
    assert not echoed("Plot Hole", "Furo de roteiro", common)
    assert not echoed("Plot hole here", "Plot hole here", common)  # not a title
    assert left_over("Plot Hole", "Furo de plot", common) == 1


@given(st.lists(st.sampled_from(["Alpha", "beta", "Gamma", "of", "the", "X", "Zeta's",
                                 "(Delta)", ":", "—"]), min_size=1, max_size=8))
def test_sentence_case_only_changes_the_case_of_common_words(words: list[str]) -> None:
    text = " ".join(words)
    common = frozenset({"gamma", "zeta", "delta"})
    out = sentence_cased(text, common)
    if out is None:
        return
    assert out.lower() == text.lower()
    assert out != text
    assert out.split(" ")[0] == text.split(" ")[0]  # the first word keeps its capital


class TitleEcho(Upper):
    """An engine that, like Bergamot en->pt, copies a text whose words are all capitalised
    (adding "(a)"), and translates a few words otherwise."""

    name = "title-echo"
    WORDS = {"electoral": "eleitoral", "standing": "posição", "gap": "lacuna",
             "the": "a", "bridging": "superando"}

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        self.sent += texts
        return [self._one(t) for t in texts]

    def _one(self, text: str) -> str:
        words = text.split()
        if len(words) > 1 and all(w[0].isupper() or w in ("the", "of") for w in words):
            return text + " (a)"
        return " ".join(self.WORDS.get(w.lower(), w) for w in words)


def test_a_title_left_in_english_is_sent_again_in_sentence_case() -> None:
    engine = TitleEcho()
    texts = ["Donald Trump's Electoral Standing", "Bridging the Gap", *BODY]
    res = translate_safely(engine, texts, "en", "pt")
    assert res.ok
    assert res.outputs[0] == "Donald Trump's eleitoral posição"
    assert res.outputs[1] == "Superando a lacuna"  # the title's capital kept
    assert "Donald Trump's electoral standing" in engine.sent


def test_titles_are_not_sent_again_from_other_languages_or_when_translated() -> None:
    engine = TitleEcho()
    res = translate_safely(engine, ["Electoral Standing", *BODY], "de", "pt")
    assert res.outputs[0] == "Electoral Standing"  # German capitalises its nouns
    assert "Electoral standing" not in engine.sent
    engine = TitleEcho()
    engine.WORDS = {}
    res = translate_safely(engine, ["Electoral Standing", *BODY], "en", "pt")
    # sent again, but the second output left as many words: the first is kept (less
    # the gender ending the engine set after it)
    assert res.outputs[0] == "Electoral Standing"
    assert engine.sent.count("Electoral standing") == 1


def test_a_gender_ending_the_engine_sets_after_a_title_is_taken_off() -> None:
    from pipeline.translate.check import without_invented_notes as off

    assert off("Plug in the External Drive", "Plug in the External Drive (a)", "pt") == \
        "Plug in the External Drive"
    assert off("Elias's View:", "Elias's View (a):", "pt") == "Elias's View:"
    # the source's own, a gender ending inside a word, a formula, another language: kept
    assert off("Dear (a) reader", "Caro (a) leitor (a)", "pt") == "Caro (a) leitor (a)"
    assert off("Dear student", "Caro aluno(a)", "pt") == "Caro aluno(a)"
    assert off("the value f at a", "o valor f(a)", "pt") == "o valor f(a)"
    assert off("Bridging the Gap", "Bridging the Gap (a)", "de") == "Bridging the Gap (a)"


def test_a_notes_titles_are_cased_by_that_note_whatever_notes_share_the_run() -> None:
    from pathlib import Path

    from pipeline.glossary import Glossary
    from pipeline.notes import parse_note
    from pipeline.translate.note import translate_notes

    glossary = Glossary.load(Path(__file__).parent / "fixtures" / "glossary")
    mine = parse_note("---\ntitle: t\nvideoId: abcdefghijk\n---\n\n## Electoral Standing\n\n"
                      "His electoral standing grew.\n", Path("v/one.md"))
    other = parse_note("---\ntitle: u\nvideoId: bcdefghijkl\n---\n\n"
                       "It went to the Central Electoral Commission.\n", Path("v/two.md"))
    alone = translate_notes([mine], "pt", TitleEcho(), glossary)[0]
    engine = TitleEcho()
    both = translate_notes([mine, other], "pt", engine, glossary)[0]
    assert alone.blocks == both.blocks
    assert "## Eleitoral posição" in "".join(both.blocks)
    assert "Electoral standing" in engine.sent


def test_the_start_of_a_note_the_engine_broke_off_is_taken_off() -> None:
    from pipeline.translate.check import without_invented_notes as off

    assert off('"Crushed by Our Own Growth"', '"Esmagado pelo nosso crescimento" (em', "pt") \
        == '"Esmagado pelo nosso crescimento"'
    assert off("Suspicious Activity Details", "Detalhes de atividade suspeita (", "pt") == \
        "Detalhes de atividade suspeita"
    # the source's own parenthesis left open, or closed in the output: kept
    assert off("Sine = Opposite / (", "Seno = oposto / (", "pt") == "Seno = oposto / ("
    assert off("Details (here)", "Detalhes (aqui)", "pt") == "Detalhes (aqui)"


def test_each_text_may_bring_the_common_words_of_its_own_document() -> None:
    engine = TitleEcho()
    res = translate_safely(engine, ["Electoral Standing", "Gap Standing"], "en", "pt",
                           common=[frozenset({"electoral", "standing"}), frozenset()])
    assert res.outputs == ("Eleitoral posição", "Gap Standing")  # the second: no evidence
    assert engine.sent.count("Electoral standing") == 1 and "Gap standing" not in engine.sent
