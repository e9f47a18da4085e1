"""Markup placed on the flat translation: each pair's markers around the words that
translate its label.

A unit with bold or links is translated whole without its pair markers (`fallback.flat`),
so every word of the translation is the engine's own, in context, exactly as for the same
sentence without markup. Then each pair's markers go around the words of that translation
that translate its label. The label's candidate renderings (in order: the glossary's
renderings when the label is a glossary term, the label as written, the label translated
on its own and repaired by the glossary, and when none is found, a hint: the last words
of the translation of the sentence up to the label's end) are looked up in the translation over
windows of up to one word more than theirs, word by word: the same word (case and accents
aside) or the same lemma scores 1, a long shared stem 0.8, a near spelling its
similarity; extra or missing words lower the score, short words ("de", "the") count less.
The best window above `THRESHOLD` wins (ties: the candidate first in order, then the
window nearest the label's place: its middle in the source as read, without markers and
link targets, against the window's in the translation, both in characters); failing that,
the best above `LOOSE` ("loose": one word of a longer label). A window far from the
label's place (over `FAR` of the sentence and `FAR_WORDS` words away) is never found: it
translates another word ("what's [[going]] on" is not "vou fazer"). When none is good
enough the markers go around the words (of four letters or more) at the label's relative
place in the sentence ("forced").
Either way the text outside the markers is the flat translation, unchanged.

A forced pair (none found, even with a hint) is then aligned with what the engine
itself says: the windows of the translation near the label's place (as many
words as the label, or fewer) are translated back (`Placement.ask`, then `back`: window ->
its back-translation) and scored against the label as written; the best one at
`THRESHOLD` or above wins ("aligned": "douradas" comes back as "golden" for "gold",
"aquém" as "it is short" for "short"; ties: the shorter); the words of a back-translation
that render a word of the sentence outside the label are its neighbours' and do not count.
A span aligned or found by the hint alone then loses the words at its edges that render
such a neighbour ("recebendo [informações]" for "getting" in "getting information"); a
span found with fewer long words than its label grows by the word at an edge whose
back-translation renders a word of the label and no neighbour's ("[[want to take |
quero]] levar", "levar" back as "take": "[[want to take | quero levar]]"; `_edges` are
asked in `Placement.ask`).
When no window renders the label, the words that translate it are asked of contextual
word vectors (`alike`: a similarity per source word and translation word, e.g.
`align.E5WordVectors`): the free words that are the most similar of the label's words and
whose most similar source word is in the label ("matched": "this happens
**throughout** calculus", "isso acontece **em todo** o cálculo"), near the label's place.
Failing that too, it is never put on words that do not translate it: its markers go
around the label's own translation (`alone`), in parentheses at the end of the sentence
("appended": "... para quem o identificar ([[gold | ouro]])."), the only words added.

A label-less wiki-link `[[United States]]` is a pair whose open marker is `[[`: its target
stays, and the words found become its label, `[[United States|Estados Unidos]]`
(Obsidian's own alias syntax), or `[[Kremlin]]` again when they are the target.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Protocol

import numpy as np

from ...glossary.morph import lemmas
from .unit import Tok, Unit

__all__ = ["FAR", "FAR_WORDS", "LOOSE", "THRESHOLD", "Placement", "WordSimilarity",
           "alias_open", "atomized", "place", "render_pair", "room", "score"]

THRESHOLD, LOOSE, SHORT = 0.5, 0.3, 0.3
NEAR = 0.25  # how far (share of the sentence) from the label's place a window is asked
FAR, FAR_WORDS = 0.5, 6  # how far from the label's place a window is found at all
_QUOTES = "\"'“”«»‘’"
_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")


class WordSimilarity(Protocol):
    """Word-by-word similarities of a sentence and its translation (`E5WordVectors`)."""

    model_id: str

    def similarity(self, source: Sequence[str], target: Sequence[str]) -> np.ndarray | None:
        """A row per word of `source`, a column per word of `target`; None when unable."""


def alias_open(tok: Tok) -> bool:
    """Whether `tok` opens a label-less wiki-link (`[[` before its target)."""
    return tok.kind == "open" and tok.raw == "[["


def atomized(unit: Unit) -> Unit:
    """The unit with each label-less wiki-link as one atom again (for the paths that
    translate placeholders or pieces: they would translate the target itself)."""
    toks: list[Tok] = []
    it = iter(range(len(unit.toks)))
    for i in it:
        tok = unit.toks[i]
        if alias_open(tok) and i + 2 < len(unit.toks):
            toks.append(Tok("atom", tok.raw + unit.toks[i + 1].raw + unit.toks[i + 2].raw))
            next(it)
            next(it)
        elif tok.kind == "text" and toks and toks[-1].kind == "text":
            toks[-1] = Tok("text", toks[-1].raw + tok.raw)
        else:
            toks.append(tok)
    if len(toks) == len(unit.toks):
        return unit
    return Unit(tuple(toks), unit.prefix, unit.added, unit.yaml)


def render_pair(open_tok: Tok, close_tok: Tok, target: str, label: str) -> str:
    """The pair's markers around `label` (a label-less link keeps its target)."""
    if alias_open(open_tok):
        return f"[[{target}]]" if label == target else f"[[{target}|{label}]]"
    return open_tok.raw + label + close_tok.raw


@dataclass(frozen=True)
class Placement:
    text: str
    how: tuple[str, ...]  # per pair, in order: found/loose/aligned/matched/forced/appended
    ask: tuple[str, ...] = ()  # windows to translate back (when `place` had no `back`)


def place(unit: Unit, text: str, candidates: Mapping[int, Sequence[str]], lang: str,
          hint: Mapping[int, str] | None = None, back: Mapping[str, str] | None = None,
          alone: Mapping[int, str] | None = None, source: str = "en",
          alike: WordSimilarity | None = None) -> Placement:
    """`text` (the flat unit's restored translation) with each pair's markers put back;
    `hint`: per pair, the label's rendering in context as the engine read it (a candidate
    after `candidates`, and not a sure one). Without `back`, pairs forced or found only by
    their hint are placed as they are and their windows listed in `ask`; with it, they
    are aligned, or (forced ones) matched by `alike`, or appended when `alone` has their
    label (see the module)."""
    pairs: dict[int, list[int]] = {}
    for i, tok in enumerate(unit.toks):
        if tok.kind in ("open", "close"):
            pairs.setdefault(tok.pair, []).append(i)
    words = _words(unit, text)
    if len(words) < len(pairs):
        raise ValueError(f"{len(pairs)} pairs to place on {len(words)} words (see `room`)")
    shown = [0 if t.kind in ("open", "close") else len(t.raw) for t in unit.toks]
    total = max(1, sum(shown))  # the sentence as read: without markers, link targets
    used: set[int] = set()
    spans: list[tuple[int, int, int]] = []  # word index from, to (exclusive), pair
    appended: list[int] = []
    how: list[str] = []
    ask: dict[str, None] = {}
    for left, (pair, (o, c)) in enumerate(sorted(pairs.items(), key=lambda kv: kv[1][0])):
        spare = len(words) - len(used) - (len(pairs) - left - 1)  # words this pair may take
        where = (sum(shown[:o]) + sum(shown[o:c]) / 2) / total  # the label's middle
        label = "".join(t.raw for t in unit.toks[o + 1:c]).strip()
        cands = [*candidates.get(pair, ()), *([hint[pair]] if hint and pair in hint else [])]
        size = len(_WORD.findall(label))
        lw = [_fold(w) for w in _WORD.findall(label)]  # the label's words, folded
        others = _outside(unit, o, c, lw, source)
        theirs = _copied(unit, o, c, lw)
        best = _best(words, used, cands, where, lang, THRESHOLD, spare, theirs)
        how.append("found")
        if best is None:
            best = _best(words, used, cands, where, lang, LOOSE, spare, theirs)
            how[-1] = "loose"
        if best is None:
            best = (len(cands), _forced(words, used, where, min(spare, size)))
            how[-1] = "forced"
        span: tuple[int, int] | None = best[1]
        if best[0] >= len(candidates.get(pair, ())):  # forced, or by the hint alone
            near = [w for w in _windows(words, used, where, min(spare, max(1, size)))
                    if not any(_bare(_fold(x[2])) in theirs for x in words[w[0]:w[1]])]
            if back is None:
                ask.update((_window(words, w), None) for w in near)
            else:
                aligned = _aligned(words, near, lw, where, back, source, best[1], others)
                if aligned is not None and (aligned != best[1] or how[-1] == "forced"):
                    span, how[-1] = aligned, "aligned"
                if span is not None and how[-1] != "forced":
                    span = _unshared(span, words, back, others, lw, source)
                elif aligned is None and how[-1] == "forced" and (
                        matched := _matched(unit, o, c, words, used, where, alike, spare)):
                    span, how[-1] = matched, "matched"
                elif aligned is None and how[-1] == "forced" and alone and pair in alone:
                    span, how[-1] = None, "appended"
                    appended.append(pair)
        if span is None:
            continue
        if how[-1] in ("found", "loose"):
            span = _trimmed(span, words, label, cands, lang)
            if back is None:
                ask.update((words[i][2], None) for i in _edges(span, words, used, lw))
            else:
                span = _grown(span, words, used, back, lw, others, source, spare)
        used.update(range(*span))
        spans.append((*span, pair))
    out = text
    for a, b, pair in sorted(spans, reverse=True):
        o, c = pairs[pair]
        start, end = words[a][0], words[b - 1][1]
        target = unit.toks[o + 1].raw
        if target[:1] in _QUOTES and out[start - 1:start] in _QUOTES:  # **"Turbo Patriots"**
            start -= 1
        if target[-1:] in _QUOTES and out[end:end + 1] in _QUOTES:
            end += 1
        out = out[:start] + render_pair(unit.toks[o], unit.toks[c], target, out[start:end]) \
            + out[end:]
    if appended:
        cut = len(out.rstrip(" .!?…:;,"))
        glosses = " ".join(
            "(" + render_pair(unit.toks[pairs[p][0]], unit.toks[pairs[p][1]],
                              unit.toks[pairs[p][0] + 1].raw, (alone or {})[p]) + ")"
            for p in appended)
        out = out[:cut] + " " + glosses + out[cut:]
    return Placement(out, tuple(how), tuple(ask))


def _window(words: list[tuple[int, int, str]], span: tuple[int, int]) -> str:
    return " ".join(w[2] for w in words[span[0]:span[1]])


def _windows(words: list[tuple[int, int, str]], used: set[int], where: float,
             longest: int) -> list[tuple[int, int]]:
    """The free windows of 1 to `longest` words whose middle is within `NEAR` of `where`,
    with a content word at each edge."""
    n = len(words)
    return [(i, i + k) for k in range(1, longest + 1) for i in range(n - k + 1)
            if not any(j in used for j in range(i, i + k))
            and abs((i + k / 2) / n - where) <= NEAR
            and _content(words[i][2]) and _content(words[i + k - 1][2])]


def _content(word: str) -> bool:
    """Not a short function word ("o", "de", "é"; "fã" is one of content)."""
    return len(word) >= 3 or len(word) == 2 and not word.isascii()


def _aligned(words: list[tuple[int, int, str]], near: list[tuple[int, int]],
             lw: Sequence[str], where: float, back: Mapping[str, str], source: str,
             current: tuple[int, int], others: Sequence[str] = ()) -> tuple[int, int] | None:
    """The window whose back-translation renders the label (its folded words `lw`) best,
    at `THRESHOLD` or above (ties: the shorter, then the nearest to the label's place;
    `current`, the span placed so far, when it renders it as well), or None. The words of
    a back-translation that render a word of the sentence outside the label (`others`) are
    its neighbours' and do not count ("inteiro" back as "whole video" in "a whole other
    video": "whole"); one with more long words left than the window has words took a
    neighbour's: it renders nothing."""
    n = max(1, len(words))

    def fit(span: tuple[int, int]) -> float:
        said = [_fold(w) for w in _WORD.findall(back.get(_window(words, span), ""))]
        said = [w for w in said if not _neighbours(w, others, lw, source)]
        if sum(len(w) > 3 for w in said) > span[1] - span[0]:  # a neighbour's words too
            return 0.0
        return score(lw, said, source)

    best = max(near, key=lambda w: (fit(w), w[0] - w[1], -abs((w[0] + w[1]) / 2 / n - where)),
               default=None)
    if not lw or best is None or fit(best) < THRESHOLD:
        return None
    return current if fit(current) >= fit(best) else best


def _matched(unit: Unit, o: int, c: int, words: list[tuple[int, int, str]], used: set[int],
             where: float, alike: WordSimilarity | None, most: int
             ) -> tuple[int, int] | None:
    """The free words that translate the pair at `o`..`c` by `alike`: each word of the
    label's most similar word of the translation, when that word's most similar source
    word is in the label too (both ways: SimAlign's "argmax"), widened by the words next to
    them (of 2 letters or more) whose most similar source word is in the label; None when
    there is none, when the span holds a word placed already, takes more than `most` words
    (the pairs after it keep a word each), or lies far from the label's place."""
    if alike is None:
        return None
    source: list[str] = []
    inside: list[bool] = []
    for k, tok in enumerate(unit.toks):
        if tok.kind == "text":
            found = _WORD.findall(tok.raw)
            source += found
            inside += [o < k < c] * len(found)
    sim = alike.similarity(source, [w[2] for w in words]) if any(inside) and words else None
    if sim is None or sim.shape != (len(source), len(words)):
        return None
    best_target, best_source = sim.argmax(axis=1), sim.argmax(axis=0)
    ours = {i for i, x in enumerate(inside) if x}
    hits = sorted({int(best_target[i]) for i in ours if int(best_source[best_target[i]]) == i})
    if not hits:
        return None
    a, b = hits[0], hits[-1] + 1
    def joins(j: int) -> bool:  # a free word of 2 letters or more aligned with the label
        return j not in used and len(words[j][2]) > 1 and int(best_source[j]) in ours

    while a > 0 and b - a < most and joins(a - 1):
        a -= 1
    while b < len(words) and b - a < most and joins(b):
        b += 1
    if (b - a > most or any(j in used for j in range(a, b))
            or _far((a + b) / 2, len(words), where)):
        return None
    return a, b


def _outside(unit: Unit, o: int, c: int, lw: Sequence[str], source: str) -> list[str]:
    """The words of the unit's source outside the pair at `o`..`c` that its label (its
    folded words `lw`) does not have (folded): what the label's neighbours say."""
    text = " ".join(t.raw for k, t in enumerate(unit.toks) if t.kind == "text" and
                    not o < k < c)
    return [w for w in dict.fromkeys(_fold(w) for w in _WORD.findall(text))
            if not any(_sim(w, x, source) for x in lw)]


def _copied(unit: Unit, o: int, c: int, lw: Sequence[str]) -> frozenset[str]:
    """The words (of 4 letters or more, folded, without accents) of the unit's source
    outside the pair at `o`..`c` that its label (its folded words `lw`) does not have: a
    translation that holds one as written renders that word, not the label ("Patreon" in
    "most support comes through Patreon, and ... for [[patrons]]", near "patrons")."""
    text = " ".join(t.raw for k, t in enumerate(unit.toks) if t.kind == "text" and
                    not o < k < c)
    own = {_bare(w) for w in lw}
    return frozenset(b for w in _WORD.findall(text) if len(w) > 3
                     and (b := _bare(_fold(w))) not in own)


def _neighbours(word: str, others: Sequence[str], label: Sequence[str], lang: str) -> bool:
    """Whether `word` (of 4 letters or more) renders a word of `others` and none of
    `label`: "information" for "informações" in "you're getting information"."""
    return len(word) > 3 and any(_sim(word, x, lang) >= 0.8 for x in others) \
        and not any(_sim(word, x, lang) for x in label)


def _edges(span: tuple[int, int], words: list[tuple[int, int, str]], used: set[int],
           lw: Sequence[str]) -> list[int]:
    """The free words (of 4 letters or more) just outside `span` when it has fewer words of
    4 letters or more than the label (its folded words `lw`): it may render only part of
    the label ("[want to take] -> [quero] levar")."""
    if sum(len(w) > 3 for w in lw) <= sum(len(w[2]) > 3 for w in words[span[0]:span[1]]):
        return []
    return [i for i in (span[0] - 1, span[1])
            if 0 <= i < len(words) and i not in used and len(words[i][2]) > 3]


def _grown(span: tuple[int, int], words: list[tuple[int, int, str]], used: set[int],
           back: Mapping[str, str], lw: Sequence[str], others: Sequence[str],
           source: str, most: int) -> tuple[int, int]:
    """A span found with fewer long words than its label, with the word just outside it
    whose translation back renders a word of the label (of 4 letters or more) and no
    neighbour's: "eu [[want to take | quero levar]]", "levar" back as "take"; "os [[various
    inputs | vários insumos]]". One word at each edge at most, and `most` words in all
    (the pairs after it keep a word each)."""
    a, b = span
    for i in _edges(span, words, used, lw):
        if max(b, i + 1) - min(a, i) > most:
            continue
        said = [_fold(x) for x in _WORD.findall(back.get(words[i][2], "")) if len(x) > 3]
        if any(_sim(x, w, source) >= 0.8 for x in said for w in lw if len(w) > 3) \
                and not all(_neighbours(x, others, lw, source) for x in said):
            a, b = min(a, i), max(b, i + 1)
    return a, b


def _unshared(span: tuple[int, int], words: list[tuple[int, int, str]],
              back: Mapping[str, str], others: Sequence[str], lw: Sequence[str],
              source: str) -> tuple[int, int]:
    """A span found by the engine's hint or aligned, without the words at its edges that
    render a neighbour of the label: their back-translation says only words of the
    sentence outside the label ("vídeo" -> "video"), or, untranslated back, they are that
    word's cognate ("informações", "information"). A word of 4 letters or more stays: a
    back-translation in a list may be its neighbour's ("torno" -> "circle" in "em torno
    daquele círculo"). `lw`: the label's words, folded."""

    def theirs(i: int) -> bool:
        w = words[i][2]
        said = [_fold(x) for x in _WORD.findall(back.get(w, "")) if len(x) > 3]
        if said:
            return all(_neighbours(x, others, lw, source) for x in said)
        return _neighbours(_fold(w), others, lw, source)

    def kept(a: int, b: int) -> bool:  # a word of 4 letters or more stays
        return any(len(w[2]) > 3 for w in words[a:b])

    a, b = span
    while b - a > 1 and theirs(a) and kept(a + 1, b):
        a += 1
    while b - a > 1 and theirs(b - 1) and kept(a, b - 1):
        b -= 1
    return a, b


def room(unit: Unit, text: str) -> bool:
    """Whether `text` has a word for each of the unit's pairs (else it cannot be placed)."""
    pairs = {t.pair for t in unit.toks if t.kind == "open"}
    return len(_words(unit, text)) >= len(pairs)


def _words(unit: Unit, text: str) -> list[tuple[int, int, str]]:
    """The words of `text` outside the unit's atoms."""
    atoms = [m.span() for tok in unit.toks if tok.kind == "atom"
             for m in re.finditer(re.escape(tok.raw), text)]
    return [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)
            if not any(a < m.end() and m.start() < b for a, b in atoms)]


def _best(words: list[tuple[int, int, str]], used: set[int], candidates: Sequence[str],
          where: float, lang: str, threshold: float, spare: int,
          theirs: frozenset[str] = frozenset()) -> tuple[int, tuple[int, int]] | None:
    """The best window at `threshold` or above, with no word of `theirs` (`_copied`):
    (the candidate's rank, the window). Ties: the candidate first in order, then the
    window nearest to `where` (by characters, as `where` is measured)."""
    n = len(words)
    chars = max(1, words[-1][1]) if words else 1
    found: tuple[float, int, float, tuple[int, int]] | None = None
    for rank, cand in enumerate(candidates):
        cw = [_fold(w) for w in _WORD.findall(cand)]
        if not cw:
            continue
        for length in range(1, min(len(cw) + 1, spare) + 1):
            for i in range(0, n - length + 1):
                if any(j in used or _bare(_fold(words[j][2])) in theirs
                       for j in range(i, i + length)) or _far(i + length / 2, n, where):
                    continue
                s = score(cw, [_fold(w[2]) for w in words[i:i + length]], lang)
                if s < threshold:
                    continue
                middle = (words[i][0] + words[i + length - 1][1]) / 2 / chars
                key = (s, -rank, -abs(middle - where), (i, i + length))
                if found is None or key[:3] > found[:3]:
                    found = key
    return (-found[1], found[3]) if found else None


def _far(middle: float, n: int, where: float) -> bool:
    """Whether a window whose middle is `middle` (in words, of `n`) lies too far from the
    label's place (`where`, a share of the source) to translate it: over `FAR` of the
    sentence and `FAR_WORDS` words away ("what's [[going]] on" is not the "vou" opening
    "vou fazer você esperar ... o que está acontecendo")."""
    return abs(middle / max(1, n) - where) > FAR and abs(middle - where * n) > FAR_WORDS


def _trimmed(span: tuple[int, int], words: list[tuple[int, int, str]], label: str,
             candidates: Sequence[str], lang: str) -> tuple[int, int]:
    """The span without short words no candidate has ("por") at an edge where the label
    has no short word."""
    a, b = span
    ends = _WORD.findall(label)
    known = [_fold(w) for c in candidates for w in _WORD.findall(c)]

    def stray(i: int) -> bool:
        w = _fold(words[i][2])
        return len(w) <= 3 and not any(_sim(w, k, lang) for k in known)

    if ends and len(ends[0]) > 3:
        while b - a > 1 and stray(a):
            a += 1
    if ends and len(ends[-1]) > 3:
        while b - a > 1 and stray(b - 1):
            b -= 1
    return a, b


def _forced(words: list[tuple[int, int, str]], used: set[int], where: float,
            length: int) -> tuple[int, int]:
    free = [i for i in range(len(words)) if i not in used]
    assert free  # `spare` >= 1 leaves a word for every pair
    wordy = [i for i in free if len(words[i][2]) >= 4] or free  # not "o", "que", "de"
    at = min(wordy, key=lambda i: abs((i + 0.5) / len(words) - where))
    end = at + 1
    while end - at < max(1, min(length, 3)) and end < len(words) and end not in used:
        end += 1
    return at, end


def score(cand: Sequence[str], window: Sequence[str], lang: str) -> float:
    """How well `window` renders `cand` (folded words): the F-measure of the matched weight
    against each one's weight, a short word ("de", "o") weighing `SHORT` (a word of three
    letters, "uma" or "paz", halfway between `SHORT` and 1); 0 unless a word of 3 letters
    or more matched, or the candidate has none ("x", "dx")."""
    left = list(window)
    got = 0.0
    content = all(len(c) < 3 for c in cand)  # "x", "dx", "pi": matched as written
    for c in cand:
        best, at = 0.0, -1
        for k, w in enumerate(left):
            s = _sim(c, w, lang)
            if s > best:
                best, at = s, k
        if at >= 0:
            got += best * min(_weight(c), _weight(left.pop(at)))
            content = content or len(c) >= 3
    if not content or not got:
        return 0.0
    precision, recall = got / sum(map(_weight, window)), got / sum(map(_weight, cand))
    return 2 * precision * recall / (precision + recall)


def _weight(word: str) -> float:
    return 1.0 if len(word) > 3 else SHORT if len(word) < 3 else (1 + SHORT) / 2


@lru_cache(maxsize=100_000)
def _sim(a: str, b: str, lang: str) -> float:
    if a == b or _bare(a) == _bare(b):
        return 1.0
    if len(a) < 3 or len(b) < 3:
        return 0.0
    if lemmas(a, lang) & lemmas(b, lang):
        return 1.0
    p = 0
    a, b = _bare(a), _bare(b)
    while p < min(len(a), len(b)) and a[p] == b[p]:
        p += 1
    if p >= 4 and p >= 0.6 * min(len(a), len(b)):
        return 0.8
    r = SequenceMatcher(None, a, b).ratio()
    return r if r >= 0.8 and min(len(a), len(b)) >= 4 else 0.0


def _fold(word: str) -> str:
    return word.casefold()


def _bare(word: str) -> str:
    """Without accents: "esta" and "está" are one word here."""
    word = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in word if not unicodedata.combining(ch))
