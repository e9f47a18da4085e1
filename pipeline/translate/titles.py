"""Titles written in Title Case, which engines leave in English.

Bergamot en->pt reads a run of capitalised words as a name: it copied a heading or a bold
title written in Title Case ("Bridging the Gap (a)", "Donald Trump's Electoral Standing
(a)", "Plot Hole") or left part of it in English ("Entanglement Quantum", "Eigenvectores e
Eigenvalues", "Aulas e Outlook"). The same words in sentence case translate: "Donald
Trump's electoral standing" -> "A posição eleitoral de Donald Trump", "Lessons and
outlook" -> "Aulas e perspectivas".

A piece of an English text whose words are all capitalised (bar short function words) and
whose output still holds one of its words in English (`echoed`) is sent once more in
sentence case (`sentence_cased`). Only the words its note shows to be common words lose
their capital (`common_words`: written in lower case there, and never capitalised inside
a sentence): "Electoral" does, "Trump" ("... that Donald Trump is ahead"), "Said" ("Sheikh
Said") or "Normandy" (never written in lower case) do not. The second output is used when
fewer of those words are left in it (`left_over`), with the title's first capital.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["common_words", "echoed", "left_over", "sentence_cased"]

_WORD = re.compile(r"[^\W\d_]+")
# words a Title Case title leaves in lower case
_SMALL = frozenset((
    "a", "an", "the", "and", "or", "but", "nor", "of", "in", "on", "at", "to", "for", "by",
    "with", "from", "into", "onto", "over", "under", "through", "vs", "via", "as", "per",
    "than", "up", "out", "off", "is", "are", "be", "its"))
# what may come just before a sentence's first word
_OPENERS = frozenset(".!?:;\n\"'“‘([*#>-—–|")


def _title_words(text: str) -> list[re.Match[str]] | None:
    """The letter runs of `text` if it is written in Title Case, else None."""
    words = list(_WORD.finditer(text))
    if len(words) < 2 or ";" in text:  # a list of labels (`lists.in_lists`) is no title
        return None
    for m in words:
        w = m.group()
        if not w[0].isupper() and w not in _SMALL and not _after_apostrophe(text, m):
            return None
    return words


def _after_apostrophe(text: str, m: re.Match[str]) -> bool:
    """The "s" of "Trump's", the "t" of "Don't"."""
    return m.start() > 0 and text[m.start() - 1] in "'’"


def _capitalised(word: str) -> bool:
    """"Electoral", not "EU" or "iPhone"."""
    return word[:1].isupper() and word[1:].islower() and len(word) > 1


def common_words(texts: Iterable[str]) -> frozenset[str]:
    """Words `texts` write in lower case and never capitalised inside a sentence (titles
    left out): words a title may write in lower case without naming something else."""
    upper: set[str] = set()
    lower: set[str] = set()
    for text in texts:
        if _title_words(text) is not None:
            continue
        for m in _WORD.finditer(text):
            w = m.group()
            if w.islower():
                lower.add(w)
            elif w[:1].isupper() and not _opens_sentence(text, m.start()):
                upper.add(w)
    return frozenset(lower - {w.lower() for w in upper})


def _opens_sentence(text: str, at: int) -> bool:
    before = text[:at].rstrip(" \t*_")
    return not before or before[-1] in _OPENERS


def sentence_cased(text: str, common: frozenset[str]) -> str | None:
    """`text` in sentence case if it is an English Title Case title, its `common` words
    lower-cased ("Donald Trump's electoral standing"), else None."""
    words = _title_words(text)
    if words is None:
        return None
    out, last, changed = [], 0, False
    for k, m in enumerate(words):
        w = m.group()
        keep = k == 0 or not _capitalised(w) or w.lower() not in common
        out.append(text[last:m.start()] + (w if keep else w.lower()))
        changed = changed or not keep
        last = m.end()
    return "".join(out) + text[last:] if changed else None


def _translatable(source: str, common: frozenset[str]) -> set[str]:
    return {w.lower() for w in _WORD.findall(source) if len(w) >= 3 and w.lower() in common}


def left_over(source: str, output: str, common: frozenset[str]) -> int:
    """How many of `source`'s `common` words of 3 letters or more `output` still holds."""
    said = {w.lower() for w in _WORD.findall(output)}
    return len(_translatable(source, common) & said)


def echoed(source: str, output: str, common: frozenset[str]) -> bool:
    """The engine left a Title Case `source` in English, or part of it: a `common` word
    of it (3 letters or more) is still in `output`."""
    return sentence_cased(source, common) is not None and left_over(source, output, common) > 0
