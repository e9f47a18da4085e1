"""Texts cut into pieces an engine translates whole: sentences, then clauses, then words.

An engine translates a bounded amount of text at once. Bergamot's tiny models drop what
follows the first 75-90 output words (three transcript sentences of 98-108 words came
back without their last one; a 2,000-word input came back as 3,482 words of repetition),
and argos models decode at most `max_decoding_length` tokens. So every text is cut before
it reaches an engine (`split`):

1. at line breaks and sentence ends (`pipeline.sentence_ends`: `.` `!` `?` `…` and
   closing quotes or brackets followed by a space and a capital, a digit, an opening
   quote or a letter of a script without case, not after an abbreviation or an initial;
   `。` `！` `？` anywhere);
2. a sentence still over `limit` (`size`: words, a CJK character counting as one, and
   at least one per 8 characters) at the boundary nearest its middle, leaving at least 3
   words each side: after `;` `:` and spaced dashes, else after commas, else before a
   conjunction (`CONJUNCTIONS`, for the languages listed), else at a space; a run without
   spaces is cut in its middle. The halves are cut again until each is within `limit`.

No maintained splitter in the environment works offline: argostranslate's MiniSBD and
Stanza models and spaCy's `xx_sent_ud_sm` are downloaded at run time, and spaCy's
rule-based `sentencizer` (5 s to import) found the corpus transcripts' own sentences in
91.2% of 3-sentence windows, where these rules (the same as the note segmenter's) find
95.8%.

The pieces concatenate to the text exactly; the caller keeps the spacing around them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from ..sentence_ends import ABBREVIATIONS, sentences

__all__ = ["ABBREVIATIONS", "CONJUNCTIONS", "sentences", "size", "split"]

CONJUNCTIONS = {
    "en": "and but or so because which who whom whose where when while although though "
          "whereas since unless until if that then",
    "pt": "e mas ou porque que quando onde enquanto embora se pois então como",
    "es": "y pero o porque que cuando donde mientras aunque si pues",
    "fr": "et mais ou parce que qui quand où lorsque puisque si car donc",
    "de": "und aber oder weil dass wenn wo während obwohl denn als",
    "it": "e ma o perché che quando dove mentre sebbene se",
    "ru": "и но или потому что когда где пока хотя если который которая которое которые "
          "чтобы",
    "uk": "і й та але або бо що коли де поки хоча якщо який яка яке які щоб",
}

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_HAN = re.compile(f"[{_CJK}]")
_UNITS = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+")
_MIN_SIDE = 3  # words each side of a clause cut


def size(text: str, cjk: float = 1.0) -> int:
    """How much an engine reads: words (each CJK character `cjk` of one), at least one per
    8 characters (a long run without spaces)."""
    units = len(_UNITS.findall(text))
    if cjk != 1.0:
        han = len(_HAN.findall(text))
        units = round(units - han + cjk * han)
    return max(units, -(-len(text.strip()) // 8))


def split(text: str, limit: int, lang: str = "en") -> list[str]:
    """`text` as sentences, each cut further until within `limit` (see the module)."""
    out: list[str] = []
    for sentence in sentences(text):
        out.extend(_cut(sentence, max(1, limit), _levels(lang)))
    return out


def _cut(text: str, limit: int, levels: list[Callable[[str], int | None]]) -> list[str]:
    if size(text) <= limit or len(text.strip()) < 2:
        return [text]
    for best in levels:
        at = best(text)
        if at is not None:
            return _cut(text[:at], limit, levels) + _cut(text[at:], limit, levels)
    return [text]


@lru_cache(maxsize=32)
def _levels(lang: str) -> list[Callable[[str], int | None]]:
    clause = [re.compile(r"[;:](?=[ \t])[ \t]*|[ \t]+[—–-][ \t]+|[；：]"),
              re.compile(r",[ \t]+|[，、]")]
    words = CONJUNCTIONS.get(lang.split("-")[0].lower())
    if words:
        alts = "|".join(sorted(map(re.escape, words.split()), key=len, reverse=True))
        clause.append(re.compile(rf"[ \t]+(?=(?:{alts})(?!\w))", re.I))
    levels = [_nearest_middle(p, _MIN_SIDE) for p in clause]
    levels.append(_nearest_middle(re.compile(r"[ \t]+"), 1))
    levels.append(lambda text: len(text) // 2)
    return levels


def _nearest_middle(pattern: re.Pattern[str], side: int) -> Callable[[str], int | None]:
    """The cut point after a match of `pattern` nearest the middle of the text that leaves
    `side` words or more each side, or None."""
    def best(text: str) -> int | None:
        middle = len(text) / 2
        for at in sorted((m.end() for m in pattern.finditer(text)),
                         key=lambda p: abs(p - middle)):
            if size(text[:at]) >= side and size(text[at:]) >= side:
                return at
        return None
    return best
