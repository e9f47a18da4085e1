"""Word forms for glossary checks: lemmas, term spans in a translation, inflection.

Russian uses pymorphy3 with its Russian dictionaries; Ukrainian uses pymorphy3 when the
optional (GPL-licensed) `pymorphy3-dicts-uk` package is installed, and simplemma
otherwise; German, Spanish, French and Portuguese use simplemma. So "в Херсоне" contains
the term "Херсон", and "operações militares especiais" the term "operação militar especial".
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_WORD = re.compile(r"\w+(?:-\w+)*")
PYMORPHY_LANGS = ("ru", "uk")
SIMPLEMMA_LANGS = ("uk", "de", "es", "fr", "pt", "ru")


def words(text: str) -> list[tuple[int, int, str]]:
    """(start, end, word) for each word of `text`."""
    return [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]


def _lower(text: str) -> str:
    """Lower case, one character for one (offsets stay valid), ё read as е."""
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text).replace("ё", "е")


def _fold(word: str) -> str:
    return word.casefold().replace("ё", "е")


@lru_cache(maxsize=4)
def analyzer(lang: str) -> Any:
    """pymorphy3's analyzer for `lang`, or None when it or its dictionary is missing."""
    if lang not in PYMORPHY_LANGS:
        return None
    try:
        import pymorphy3

        return pymorphy3.MorphAnalyzer(lang=lang)
    except (ImportError, ValueError, OSError):
        return None


@lru_cache(maxsize=200_000)
def lemmas(word: str, lang: str) -> frozenset[str]:
    """The word's possible lemmas (folded), always including the folded word itself."""
    folded = _fold(word)
    found = {folded}
    morph = analyzer(lang)
    if morph is not None:
        found.update(_fold(p.normal_form) for p in morph.parse(word))
    elif lang in SIMPLEMMA_LANGS and not word.isdigit():
        import simplemma

        found.add(_fold(simplemma.lemmatize(word, lang=lang)))
    return frozenset(found)


def _same(a: str, b: str, lang: str) -> bool:
    la, lb = lemmas(a, lang), lemmas(b, lang)
    if _fold(a) == _fold(b) or la & lb:
        return True
    if analyzer(lang) is not None:
        return False
    # simplemma keeps some feminine forms ("spéciale" vs "spécial"): a lemma that extends
    # the other by at most two letters counts as the same word
    return any(len(x) >= 5 and len(y) - len(x) in (1, 2) and y.startswith(x)
               for p, q in ((la, lb), (lb, la)) for x in p for y in q)


def find_spans(text: str, phrase: str, lang: str) -> list[tuple[int, int]]:
    """Non-overlapping spans of `text` holding `phrase` in any inflected form.

    A span matches word by word by lemma (or identical word), or as a word-initial prefix
    of the text, as the project's `check_translation.py` accepts ("Херсон" in "Херсоне").
    """
    target = words(phrase)
    if not target:
        return []
    spans: list[tuple[int, int]] = []
    toks = words(text)
    n = len(target)
    i = 0
    while i + n <= len(toks):
        if all(_same(toks[i + k][2], target[k][2], lang) for k in range(n)):
            spans.append((toks[i][0], toks[i + n - 1][1]))
            i += n
        else:
            i += 1
    prefix = re.compile(r"(?<!\w)" + re.escape(_lower(phrase)) + r"\w*")
    for m in prefix.finditer(_lower(text)):
        if not any(a < m.end() and m.start() < b for a, b in spans):
            spans.append((m.start(), m.end()))
    return sorted(spans)


def count(text: str, alternatives: tuple[str, ...], lang: str) -> int:
    """How many non-overlapping occurrences of any alternative `text` holds."""
    spans: list[tuple[int, int]] = []
    for alt in alternatives:
        for a, b in find_spans(text, alt, lang):
            if not any(x < b and a < y for x, y in spans):
                spans.append((a, b))
    return len(spans)


# --------------------------------------------------------------------------- inflection

_AGREEING = {"ADJF", "PRTF", "NUMR"}
_NAME_PARTS = {"Name", "Patr"}
_PROPER = {"Geox", "Surn", "Name", "Patr", "Orgn", "Trad"}


def _case_number(replaced: str, morph: Any) -> tuple[str | None, str | None]:
    """Case and number of the head noun (else first inflected word) of `replaced`."""
    fallback: tuple[str | None, str | None] = (None, None)
    for _, _, w in words(replaced):
        parses = morph.parse(w)
        for p in parses:
            if p.tag.POS == "NOUN" and p.tag.case:
                return p.tag.case, p.tag.number
        if fallback == (None, None) and parses and parses[0].tag.case:
            fallback = (parses[0].tag.case, parses[0].tag.number)
    return fallback


def _nominative(word: str, morph: Any) -> Any:
    parses = morph.parse(word)
    for p in parses:
        if p.tag.case == "nomn":
            return p
    return parses[0] if parses else None


def _match_case(form: str, like: str) -> str:
    if like.isupper() and len(like) > 1:
        return form.upper()
    if like[:1].isupper():
        return form[:1].upper() + form[1:]
    return form


def inflect_like(phrase: str, replaced: str, lang: str) -> str:
    """`phrase` (a glossary rendering, in the nominative) put in the grammatical case and
    number of `replaced` (the words it replaces). Unchanged when no analyzer is available
    for `lang` or the case cannot be told.

    Inflects the agreeing words before the head noun and the head noun itself (a first
    name, patronymic and surname all inflect); words after the head stay as written
    ("Министерство обороны" -> "Министерства обороны")."""
    morph = analyzer(lang)
    if morph is None:
        return phrase
    case, number = _case_number(replaced, morph)
    if case is None or case == "nomn" and number != "plur":
        return phrase
    out: list[str] = []
    pos = 0
    done = False
    for start, end, word in words(phrase):
        out.append(phrase[pos:start])
        pos = end
        parse = None if done else _nominative(word, morph)
        if parse is None or parse.tag.POS not in (_AGREEING | {"NOUN"}):
            out.append(word)
            continue
        grammemes = set(parse.tag.grammemes)
        wanted = {case}
        if number and not (_PROPER & grammemes or "Fixd" in grammemes):
            wanted.add(number)
        inflected = parse.inflect(wanted) or parse.inflect({case})
        out.append(_match_case(inflected.word, word) if inflected else word)
        if parse.tag.POS == "NOUN" and not _NAME_PARTS & grammemes:
            done = True
    out.append(phrase[pos:])
    return "".join(out)
