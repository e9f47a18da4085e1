"""Typographic quotes around an engine that knows only straight ones.

Bergamot's tiny models were trained on text whose quotes are mostly `"` and `'`: given
curly ones they drop them, leave the quoted word untranslated or end a quotation with a
parenthesis ('Euler’s formula is “beautiful”.' -> 'A fórmula de Euler é o "beautiful".';
straight: 'A fórmula de Euler é "bela".'). `plain_quotes` straightens a text's quotes for
the engine and says which kinds it had (`QuoteStyle`); `styled_quotes` gives the output
the source's kinds back (curly ones for a kind it did not use): an opening mark between a
space (an opener, the text's start) and a word, a closing one elsewhere, so an apostrophe
stays `’`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["QuoteStyle", "plain_quotes", "styled_quotes"]

_DOUBLE = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "«": '"', "»": '"'})
_SINGLE = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'"})
_BEFORE_OPENING = " \t\n([{-–—/\"'“‘«"


@dataclass(frozen=True)
class QuoteStyle:
    """The marks the source used for double and single quotes ("" when straight)."""

    double: str = ""  # "“”" or "«»"
    single: str = ""  # "‘’"


def plain_quotes(text: str) -> tuple[str, QuoteStyle]:
    """`text` with straight quotes, and the style to give the engine's output back."""
    double = "«»" if "«" in text or "»" in text else (
        "“”" if any(c in text for c in "“”„‟") else "")
    single = "‘’" if any(c in text for c in "‘’‚‛") else ""
    if not double and not single:
        return text, QuoteStyle()
    # typographic text: the engine's own quotes (it may turn single into double) too
    style = QuoteStyle(double or "“”", single or "‘’")
    return text.translate(_DOUBLE).translate(_SINGLE), style


def styled_quotes(text: str, style: QuoteStyle) -> str:
    """The straight quotes of `text` (an engine's output) in `style`'s marks."""
    if not style.double and not style.single:
        return text
    out = []
    for i, c in enumerate(text):
        marks = style.double if c == '"' else style.single if c == "'" else ""
        if not marks:
            out.append(c)
            continue
        after_space = i == 0 or text[i - 1] in _BEFORE_OPENING
        before_word = i + 1 < len(text) and not text[i + 1].isspace()
        out.append(marks[0] if after_space and before_word else marks[1])
    return "".join(out)
