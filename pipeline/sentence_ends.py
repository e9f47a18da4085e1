"""Where sentences end in running text: translation cuts texts there before an engine
sees them (`translate.split`), and the aligner cuts caption fragments into the sentences
they make up (`align.sentences`).

A sentence ends at a line break, or at `.` `!` `?` `…` (and closing quotes or brackets)
followed by a space and a capital, a digit, an opening quote or a letter of a script
without case, not after an abbreviation or an initial (`ABBREVIATIONS`); `。` `！` `？`
end one anywhere. No maintained splitter in the environment works offline (see
`translate.split`).
"""

from __future__ import annotations

import re

__all__ = ["ABBREVIATIONS", "sentence_ends", "sentences"]

ABBREVIATIONS = frozenset({
    "e.g", "i.e", "vs", "mr", "mrs", "ms", "dr", "st", "prof", "gen", "col", "lt", "sgt",
    "u.s", "u.k", "u.n", "no", "fig", "approx", "jr", "sr", "cf", "al", "inc", "ltd",
})

_END = re.compile(
    r"[.!?…]+[\"'”’»)\]]*[ \t]+"          # a sentence end, then a space
    r"|[。！？]+[」』”’）)]*[ \t]*"          # a CJK sentence end
    r"|\n\s*"                             # a line break
)
_OPENERS = "\"'“‘«([{¿¡-–—"
_WORD_BEFORE = re.compile(r"[\w.]+$")


def sentence_ends(text: str) -> list[int]:
    """The offsets inside `text` where a sentence ends and the next begins (after the
    punctuation and the space that follows it); not the end of `text`."""
    cuts = []
    for m in _END.finditer(text):
        end = m.end()
        if end >= len(text):
            break
        mark = m.group()
        if mark[0] in "。！？\n":
            cuts.append(end)
            continue
        nxt = text[end]
        caseless = nxt.isalpha() and nxt.lower() == nxt.upper()  # CJK, Arabic, Hebrew...
        if not (nxt.isupper() or nxt.isdigit() or nxt in _OPENERS or caseless):
            continue
        if mark[0] == ".":
            word = _WORD_BEFORE.search(text, max(0, m.start() - 30), m.start())
            if word and (word.group().lower() in ABBREVIATIONS
                         or re.fullmatch(r"[A-Z]", word.group())):
                continue
        cuts.append(end)
    return cuts


def sentences(text: str) -> list[str]:
    """`text` cut after each sentence end and line break; the pieces concatenate to it."""
    bounds = [0, *sentence_ends(text), len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if b > a]
