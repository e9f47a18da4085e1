"""Typographic quotes straightened for an engine and given back to its output."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pipeline.translate.engines.quotes import QuoteStyle, plain_quotes, styled_quotes

WORDS = st.text(alphabet="abcdefghxyzçãé", min_size=1, max_size=8)


def test_straight_text_is_left_alone() -> None:
    text = 'He said "x" and it\'s fine.'
    assert plain_quotes(text) == (text, QuoteStyle())
    assert styled_quotes(text, QuoteStyle()) == text


def test_kinds_are_given_back() -> None:
    plain, style = plain_quotes("Euler’s “formula” and «limit», ‘here’.")
    assert plain == 'Euler\'s "formula" and "limit", \'here\'.'
    assert style == QuoteStyle("«»", "‘’")  # one double kind: guillemets win
    assert styled_quotes('A "fórmula" de Euler\'s', QuoteStyle("“”", "‘’")) == \
        "A “fórmula” de Euler’s"


def test_an_unused_kind_comes_back_curly() -> None:
    """The engine may answer a single-quoted word with double quotes."""
    _, style = plain_quotes("the ‘derivative’")
    assert styled_quotes('a "derivada"', style) == "a “derivada”"


@st.composite
def typographic(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 6))):
        word = draw(WORDS)
        kind = draw(st.sampled_from(["plain", "double", "single", "apostrophe", "guillemets"]))
        parts.append({"plain": word, "double": f"“{word}”", "single": f"‘{word}’",
                      "apostrophe": f"{word}’s", "guillemets": f"«{word}»"}[kind])
    return " ".join(parts)


@given(typographic())
def test_round_trip(text: str) -> None:
    plain, style = plain_quotes(text)
    assert not set(plain) & set("“”‘’«»„")
    back = styled_quotes(plain, style)
    if "«" in text:  # one double kind a text: guillemets stand for both
        text = text.replace("“", "«").replace("”", "»")
    assert back == text
