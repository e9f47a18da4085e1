"""translate.split (pieces an engine translates whole) and translate.check (outputs)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.translate.check import suspect
from pipeline.translate.split import sentences, size, split

WORDS = st.sampled_from([
    "the", "Matrix", "e.g.", "Dr.", "U.S.", "x", "3.14", "π", "and", "but", "which", "Ok",
    "“Quoted.”", "(aside)", "word,", "clause;", "lead:", "—", "-", "end.", "Why?", "No!",
    "wait…", "我们走吧。", "他来了！", "https://example.com/a_b", "XQX1", "ZQZ12", "e", "que",
    "x" * 70, "👨‍👩‍👧", "\n", "\n\n",
])
SPACE = st.sampled_from([" ", " ", " ", "  ", "\t", "", "\n"])


@st.composite
def texts(draw: st.DrawFn) -> str:
    n = draw(st.integers(0, 160))
    return "".join(draw(WORDS) + draw(SPACE) for _ in range(n))


@settings(max_examples=300, deadline=None)
@given(texts(), st.integers(1, 80), st.sampled_from(["en", "pt", "ru", "zh", "xx"]))
def test_pieces_rejoin_to_the_text_and_stay_under_the_limit(text: str, limit: int,
                                                             lang: str) -> None:
    pieces = split(text, limit, lang)
    assert "".join(pieces) == text
    assert all(p for p in pieces)
    assert all(size(p) <= limit for p in pieces), [p for p in pieces if size(p) > limit]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400), st.integers(1, 40))
def test_any_text_rejoins(text: str, limit: int) -> None:
    assert "".join(sentences(text)) == text
    pieces = split(text, limit)
    assert "".join(pieces) == text and all(size(p) <= limit for p in pieces)


def test_sentences_not_after_abbreviations_initials_or_before_lowercase() -> None:
    text = ("Dr. Smith met Mr. Jones at 5 p.m. and left. Then it rained! Did it? "
            "Yes… “Quoted.” 2 cats. e.g. This stays. J. R. Tolkien wrote.\nA new line. "
            "我们走吧。他来了！")
    assert [s.strip() for s in sentences(text)] == [
        "Dr. Smith met Mr. Jones at 5 p.m. and left.", "Then it rained!", "Did it?",
        "Yes…", "“Quoted.”", "2 cats. e.g. This stays.", "J. R. Tolkien wrote.",
        "A new line.", "我们走吧。", "他来了！"]


def test_a_long_sentence_is_cut_at_its_strongest_boundary_first() -> None:
    head = "We were studying a certain problem about the energy of a pendulum"
    tail = "the specifics of the problem we tried to solve are beyond the point here"
    text = f"{head}, and for that you need an expression for its height; {tail}, but still."
    assert size(text) > 24
    assert split(text, 24) == [f"{head}, and for that you need an expression for its height; ",
                               f"{tail}, but still."]
    # no punctuation at all: before a conjunction, else at a space near the middle
    plain = "one two three four five six seven eight nine and ten eleven twelve thirteen"
    assert split(plain, 10) == ["one two three four five six seven eight nine ",
                                "and ten eleven twelve thirteen"]
    assert split(plain, 10, "xx") == ["one two three four five six seven eight ",
                                      "nine and ten eleven twelve thirteen"]


def test_size_counts_words_cjk_characters_and_long_runs() -> None:
    assert size("") == 0 and size("  ") == 0
    assert size("one two, three.") == 3
    assert size("我们走吧。") == 5  # four characters and the full stop
    assert size("x" * 80) == 10


@pytest.mark.parametrize(("source", "output", "reason"), [
    ("Hello there, my friend.", "", "empty output"),
    ("one two three four five six seven eight nine ten", "um dois três", "too short"),
    ("one two", " ".join(["palavra"] * 40), "too long"),
    ("It keeps going on and on here.", "Continua ass, ass, ass, ass, ass aqui.", "repeats"),
    ("We wanted to make a point about lines and circles today.",
     "a linha de mão, a linha de mão, a linha de mão, e", "repeats"),
    ("The line, the circle and the plane meet where the sphere does, we said, and more.",
     "a linha que se estende e a linha que se estende, o plano a linha que se estende, "
     "a linha que se estende e mais", "repeats"),
])
def test_suspect_outputs(source: str, output: str, reason: str) -> None:
    why = suspect(source, output)
    assert why is not None and reason in why


@pytest.mark.parametrize(("source", "output"), [
    ("Okay, so it looks like we've got a lot of answers coming in.",
     "Ok, então parece que temos muitas respostas chegando."),
    ("No, no, no, no, that is not it.", "Não, não, não, não, não é isso."),
    ("Ok.", "Tudo bem."),
    ("It is a very, very, very good idea.", "É uma ideia muito, muito, muito boa."),
    ("The cat is sleeping on the warm sofa in the living room today.",
     "猫は今日リビングルームの暖かいソファの上で寝ています。"),
    ("猫は今日リビングルームの暖かいソファの上で寝ています。",
     "The cat is sleeping on the warm sofa in the living room today."),
])
def test_faithful_outputs_are_not_suspect(source: str, output: str) -> None:
    assert suspect(source, output) is None
