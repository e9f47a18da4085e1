"""Whether an engine's output can be the whole translation of its input.

Measured on 1,800 corpus transcript sentences (en->pt, Bergamot, 6 to 90 words), the
output has 0.62 to 1.38 times the words of its input (0.79 to 1.22 from 30 words on).
An output is suspect when:

- it is empty;
- it has under `FLOOR` times the words of an input of `SHORT` (8) words or more: 0.5,
  0.6 from `LONG` (20) words on (sentences lost); or over `CEILING` (2.5) times plus
  `SHORT` (a runaway decoder);
- it repeats an n-gram (n <= 6) back to back at least 3 times (4 for a single word) and
  2 times more than the input does: a decoder loop ("ass, ass, ass, ass"), not a
  translation that adds a word ("No, no, that is not it" -> "Não, não, não é isso");
- one of its 4-grams occurs 4 times or more, 3 more than the input's most frequent one.

An output that is whole may still add a note the source does not have: Bergamot en->pt
appends "(em inglês)" to a sentence or title it leaves partly in English ("Clique em
"Next" (em inglês)", "**Media Acquisition (em inglês):**"), as Wikipedia's titles of
foreign works read in its training data: 37 times in the corpus's 461 notes, never in
their sources. It also ends a title it copies with a gender ending, "(a)" ("Bridging the
Gap (a)", "Plug in the External Drive (a)": 5 times in the corpus's notes). Neither is
kept: `without_invented_notes` takes such a note off when the source has none itself,
and the start of one the engine broke off at the end of a title ("Crushed by Our Own
Growth" (em", "Suspicious Activity Details (": 8 in the corpus run) when the source's
own parentheses are closed.

Sizes are `split.size` with a CJK character counting as `CJK` (0.7) of a word (an
English word takes about 1.5 Chinese or 2.5 Japanese characters).
"""

from __future__ import annotations

import re
from collections import Counter

from .split import size

__all__ = ["CEILING", "FLOOR", "LONG", "SHORT", "suspect", "without_invented_notes"]

FLOOR = (0.5, 0.6)  # under LONG words, from LONG words on
CEILING = 2.5
SHORT = 8
LONG = 20
CJK = 0.7  # of a word, per CJK character
_MAX_N = 6
_SCANNED = 400  # tokens looked at for loops (an output that long is already too long)


def suspect(source: str, output: str) -> str | None:
    """Why `output` cannot be the whole translation of `source`, or None."""
    if not output.strip():
        return "empty output"
    n_in, n_out = size(source, CJK), size(output, CJK)
    if n_in >= SHORT and n_out < FLOOR[n_in >= LONG] * n_in:
        return f"output too short ({n_out} words for {n_in})"
    if n_out > CEILING * n_in + SHORT:
        return f"output too long ({n_out} words for {n_in})"
    src, out = _tokens(source), _tokens(output)
    for n in range(1, _MAX_N + 1):
        times, gram = _loop(out, n)
        if times >= (4 if n == 1 else 3) and times >= _loop(src, n)[0] + 2:
            return f"output repeats {' '.join(gram)!r} {times} times"
    grams = Counter(zip(*(out[i:] for i in range(4)), strict=False))
    if grams:
        gram, times = grams.most_common(1)[0]
        own = Counter(zip(*(src[i:] for i in range(4)), strict=False)).most_common(1)
        if times >= 4 and times >= (own[0][1] if own else 0) + 3:
            return f"output repeats {' '.join(gram)!r} {times} times"
    return None


def _tokens(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())[:_SCANNED]


def _loop(tokens: list[str], n: int) -> tuple[int, tuple[str, ...]]:
    """The most back-to-back repetitions of one n-gram, and that n-gram."""
    best, gram = 1, tuple(tokens[:n])
    for i in range(len(tokens) - 2 * n + 1):
        head = tokens[i:i + n]
        k = 1
        while tokens[i + k * n:i + (k + 1) * n] == head:
            k += 1
        if k > best:
            best, gram = k, tuple(head)
    return best, gram


# "(in English)" as engines write it in each target language (the languages named are
# those a note's source would name: English, Latin, French, German, Spanish, Russian)
_NOTES = {
    "pt": r"(?:em|do|no) (?:inglês|latim|francês|alemão|espanhol|russo)",
    "es": r"(?:en|del) (?:inglés|latín|francés|alemán|español|ruso)",
    "fr": r"(?:en |de l'|de l’)(?:anglais|latin|français|allemand|espagnol|russe)",
    "de": r"(?:auf |im )?(?:Englisch|Latein|Französisch|Deutsch|Spanisch|Russisch)",
    "ru": r"(?:на |с )?(?:английском|латыни|французском|немецком|испанском|русском)"
          r"(?: языке)?",
}
_SOURCE_NOTE = re.compile(
    r"\((?:in |from )?(?:English|Latin|French|German|Spanish|Russian)\b[^()]*\)", re.I)


# a gender ending set apart at the end of an output: "... Standing (a)", not "aluno(a)"
_GENDERED = re.compile(r"\s+\((?:a|o|as|os)\)(?=[:.!?]?$)")
_GENDERS = frozenset({"pt", "es"})
# "(" and at most a short word at the very end, never closed: "... details (", "... (em"
_BROKEN_OFF = re.compile(r"\s*\(\w{0,4}\s*$")


def without_invented_notes(source: str, output: str, target: str) -> str:
    """`output` less the engine's "(in English)" in `target` and a gender ending "(a)"
    set apart at its end (see the module), unless `source` has such a note itself, and
    less a "(" it left open at its end when `source` closes its own."""
    lang = target.split("-")[0].lower()
    note = _NOTES.get(lang)
    if note is not None and not _SOURCE_NOTE.search(source):
        output = re.sub(rf"\s*\({note}\)", "", output, flags=re.I)
    if lang in _GENDERS and "(" not in source:
        output = _GENDERED.sub("", output.rstrip())
    if source.count("(") == source.count(")") and output.count("(") > output.count(")"):
        output = _BROKEN_OFF.sub("", output)
    return output
