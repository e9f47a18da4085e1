"""Where text may be broken: into cues, and each cue into at most two lines.

Every gap between two words gets a cost (low after punctuation and before a conjunction
or preposition, prohibitive after an article or inside a name that must stay together);
a cue's text is laid out on one or two lines at the cheapest break, and a text is cut
into cues by dynamic programming over those costs plus the time each cue would get.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..glossary.morph import analyzer
from .rules import SubtitleRules
from .words import LangWords, words_for

FORBID = 1000.0  # breaking here is never chosen while any other layout fits
_SPLIT_WORD = 50.0  # inside a word longer than a line
_INF = float("inf")

_EDGE_PUNCT = re.compile(r"^[\W_]+|[\W_]+$")
_SENTENCE_END = re.compile(r"[.!?…]+[\"'»”’)\]]*$")
_CLAUSE_END = re.compile(r"[,;:)\]»”’\"]$|[—–]$")
_DASHES = {"—", "–", "-", "--"}
_OPENERS = {"«", "(", "[", "“", "‘", '"', "¿", "¡", "„"}
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_WORDLIKE = re.compile(r"^[^\W\d_]+(?:['’.-][^\W\d_]+)*$")


def core(word: str) -> str:
    """The word without surrounding punctuation, lower-cased (`"Euler's,"` -> `euler's`)."""
    return _EDGE_PUNCT.sub("", word).lower()


@dataclass(frozen=True)
class Tokens:
    """Words of a text; `glue[i]` says token i+1 continues token i without a space."""

    words: tuple[str, ...]
    glue: tuple[bool, ...]
    offsets: tuple[int, ...]  # where each word starts when all are on one line

    def text(self, i: int, j: int) -> str:
        parts = [self.words[i]]
        for t in range(i + 1, j):
            parts.append(("" if self.glue[t - 1] else " ") + self.words[t])
        return "".join(parts)


def split_words(text: str, max_len: int) -> Tokens:
    """Words separated by whitespace; a word longer than `max_len` is cut into pieces."""
    words: list[str] = []
    glue: list[bool] = []
    for word in text.split():
        pieces = [word[k:k + max_len] for k in range(0, len(word), max_len)]
        for p, piece in enumerate(pieces):
            if words:
                glue.append(p > 0)
            words.append(piece)
    offsets = [0]
    for i in range(1, len(words)):
        offsets.append(offsets[-1] + len(words[i - 1]) + (0 if glue[i - 1] else 1))
    return Tokens(tuple(words), tuple(glue), tuple(offsets))


def _stem_match(token: str, phrase_word: str) -> bool:
    """`token` is `phrase_word` or an inflected form of it (`Тейлора` for `тейлор`)."""
    if token == phrase_word:
        return True
    stem = phrase_word if len(phrase_word) <= 4 else phrase_word[: max(4, len(phrase_word) - 2)]
    return token.startswith(stem) and len(token) <= len(phrase_word) + 4


@lru_cache(maxsize=64)
def _phrase_index(phrases: tuple[str, ...]) -> dict[str, list[tuple[str, ...]]]:
    """Phrases of two or more words (as cores), by the first 4 letters of their first word."""
    index: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        pw = tuple(w for w in (core(x) for x in phrase.split()) if w)
        if len(pw) >= 2:
            index.setdefault(pw[0][:4], []).append(pw)
    return index


def _kept_together(cores: Sequence[str], phrases: Sequence[str]) -> set[int]:
    """Gaps (index of the word before) that lie inside an occurrence of a phrase."""
    inside: set[int] = set()
    index = _phrase_index(tuple(phrases))
    if not index:
        return inside
    for i, first in enumerate(cores):
        for key in {first[:k] for k in range(1, 5)}:
            for pw in index.get(key, ()):
                k = len(pw)
                if i + k <= len(cores) and all(
                        _stem_match(cores[i + t], pw[t]) for t in range(k)):
                    inside.update(range(i, i + k - 1))
    return inside


def _function_word(c: str, lw: LangWords) -> bool:
    return (c in lw.articles or c in lw.conjunctions or c in lw.prepositions
            or c in lw.postpositions or c in lw.clitics)


_ADJ_POS = {"ADJF", "PRTF"}  # full adjectives and participles (ordinals are ADJF)
_NOMINAL_POS = {"NOUN", "ADJF", "PRTF", "NPRO"}


@lru_cache(maxsize=4)
def _morph_pos(lang: str) -> Callable[[str], str | None] | None:
    """Part of speech of a word by pymorphy3 (ru, uk when its dictionary is installed)."""
    morph = analyzer(lang)
    if morph is None:
        return None

    @lru_cache(maxsize=100_000)
    def pos(word: str) -> str | None:
        if not _CYRILLIC.search(word):
            return None
        try:
            return morph.parse(word)[0].tag.POS
        except ValueError:  # pymorphy3 fails on characters that have no Unicode name
            return None

    return pos


def _adjective_noun(w: str, c: str, nxt: str, cn: str, lw: LangWords,
                    pos: Callable[[str], str | None] | None) -> bool:
    """Heuristic: `w nxt` is an adjective and its noun (either order)."""
    if not _WORDLIKE.match(cn) or _function_word(cn, lw) or _function_word(c, lw):
        return False
    if pos is not None:
        return pos(c) in _ADJ_POS and pos(cn) in _NOMINAL_POS
    if lw.capitalised_nouns:
        return (w[:1].islower() and nxt[:1].isupper()
                and (c in lw.adjectives or (len(c) >= 4 and c.endswith(lw.adj_suffixes))))
    if not nxt[:1].islower():
        return False
    if c in lw.adjectives:
        return True
    if lw.adj_suffixes and len(c) >= 5 and c.endswith(lw.adj_suffixes):
        return True
    return (bool(lw.post_adj_suffixes) and len(cn) >= 5 and w[:1].islower()
            and _WORDLIKE.match(c) is not None and cn.endswith(lw.post_adj_suffixes))


def _names(w: str, c: str, nxt: str, cn: str, lw: LangWords) -> bool:
    """Heuristic: two capitalised words in a row (`Isaac Newton`)."""
    return (w[:1].isupper() and nxt[:1].isupper() and len(c) >= 2
            and bool(_WORDLIKE.match(c)) and bool(_WORDLIKE.match(cn))
            and not _function_word(c, lw) and not _function_word(cn, lw))


def break_costs(tokens: Tokens, lang: str, keep_together: Sequence[str] = ()) -> list[float]:
    """Cost of breaking (a line or a cue) after each word but the last."""
    lw = words_for(lang)
    pos = _morph_pos(lang.split("-")[0].lower())
    words = tokens.words
    cores = [core(w) for w in words]
    kept = _kept_together(cores, keep_together)
    costs: list[float] = []
    for i in range(len(words) - 1):
        if tokens.glue[i]:
            costs.append(_SPLIT_WORD)
            continue
        w, nxt, c, cn = words[i], words[i + 1], cores[i], cores[i + 1]
        cost = _gap_cost(w, nxt, c, cn, lw, pos)
        if i in kept:
            cost += FORBID
        costs.append(cost)
    return costs


def _gap_cost(w: str, nxt: str, c: str, cn: str, lw: LangWords,
              pos: Callable[[str], str | None] | None) -> float:
    if not cn:  # the next token is punctuation only
        return 2.0 if nxt in _DASHES else FORBID
    if not c:
        return FORBID if w in _OPENERS else 3.0
    if _SENTENCE_END.search(w):
        return 0.0
    if _CLAUSE_END.search(w):
        return 2.0
    cost = 10.0
    if cn in lw.conjunctions:
        cost = 4.0
    elif cn in lw.prepositions and cn not in lw.binding:
        cost = 5.0
    if c in lw.postpositions:
        cost = min(cost, 4.0)
    if c in lw.articles:
        cost += FORBID
    if c in lw.tight:
        cost += 300.0
    elif c in lw.prepositions:
        cost += 30.0
    elif c in lw.conjunctions:
        cost += 15.0
    if cn in lw.clitics:
        cost += FORBID
    elif cn in lw.postpositions:
        cost += 60.0
    if _adjective_noun(w, c, nxt, cn, lw, pos):
        cost += 150.0
    if _names(w, c, nxt, cn, lw):
        cost += 300.0
    if c[:1].isdigit() and cn[:1].isalpha():
        cost += 60.0
    return cost


def _layout(starts: Sequence[int], ends: Sequence[int], brk: Sequence[float], i: int, j: int,
            rules: SubtitleRules) -> tuple[float, int | None]:
    """Cheapest layout of words i..j-1: (cost, index of the first word of line 2 or None).

    `starts[t]`/`ends[t]`: where word t starts and ends when all words are on one line."""
    cpl = rules.max_chars_per_line
    if ends[j - 1] - starts[i] <= cpl:
        return 0.0, None
    if rules.max_lines < 2:
        return _INF, None
    best, at = _INF, None
    begin, stop = starts[i], ends[j - 1]
    for k in range(i + 1, j):
        l1 = ends[k - 1] - begin
        if l1 > cpl:
            break
        l2 = stop - starts[k]
        if l2 > cpl:
            continue
        cost = brk[k - 1] + 0.1 * abs(l1 - l2) + (0.05 * (l1 - l2) if l1 > l2 else 0.0)
        if cost < best:
            best, at = cost, k
    return best, at


def cut_text(text: str, rules: SubtitleRules, span_ms: float,
             keep_together: Sequence[str] = ()) -> list[str]:
    """Cut `text` into cue texts (lines joined by "\\n") that fit the layout rules.

    `span_ms` is the time the whole text is spoken in: the cut avoids cues that would get
    less than the minimum duration (plus a gap) or more than the maximum, at a time
    proportional to their length.
    """
    tokens = split_words(text, rules.max_chars_per_line)
    n = len(tokens.words)
    if n == 0:
        return []
    brk = break_costs(tokens, rules.lang, keep_together)
    starts = tokens.offsets
    ends = [o + len(w) for o, w in zip(starts, tokens.words, strict=True)]
    total = ends[-1]
    short = rules.min_duration_ms + rules.min_gap_ms
    longest, max_chars = rules.max_duration_ms, rules.max_chars
    cpl = rules.max_chars_per_line
    best = [_INF] * (n + 1)
    best[0] = 0.0
    back: list[tuple[int, int | None]] = [(0, None)] * (n + 1)
    for j in range(1, n + 1):
        stop = ends[j - 1]
        for i in range(j - 1, -1, -1):
            length = stop - starts[i]
            if length > max_chars and i < j - 1:
                break
            if length <= cpl:
                lay, k = 0.0, None
            else:
                lay, k = _layout(starts, ends, brk, i, j, rules)
                if lay == _INF:
                    continue
            dur = span_ms * length / total
            pen = 0.03 * (max(0.0, short - dur) + max(0.0, dur - longest))
            cost = best[i] + lay + (2.0 * brk[i - 1] if i else 0.0) + pen + 6.0
            if cost < best[j]:
                best[j], back[j] = cost, (i, k)
    cues: list[str] = []
    j = n
    while j > 0:
        i, k = back[j]
        cues.append(tokens.text(i, j) if k is None
                    else tokens.text(i, k) + "\n" + tokens.text(k, j))
        j = i
    return cues[::-1]
