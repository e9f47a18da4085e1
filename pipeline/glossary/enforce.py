"""Glossary enforcement: check each term's rendering by lemma, then repair what is missing.

The engine translates freely first. For every segment, each glossary term of the source
must appear in the translation as often as in the source, in any inflected form (see
`glossary_morph`). What is missing is repaired, batched over all segments, in order:

1. `nbest`: re-rank the engine's n-best hypotheses (engines with `translate_nbest`);
2. `suppress`: re-decode with the engine's own rendering of the term suppressed, then
   `prefix`: re-decode forced through the glossary rendering (engines with
   `translate_constrained`);
3. `mask`: re-translate with the term replaced by a placeholder, which then becomes the
   preferred rendering (any engine; the term is not inflected, so for Russian and
   Ukrainian this comes after substitution);
4. `substitute`: replace the engine's rendering of the term (found by lemma, or a near
   spelling of the term) with the glossary rendering, inflected to the case and number
   of the words it replaces (Russian, and Ukrainian with its optional dictionary).

Each term of each segment ends `found` (right first time), `repaired` or `missing`.
Every candidate must keep the segment's markup placeholders (`valid`), or it is refused.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from .morph import count, find_spans, inflect_like, words
from .terms import Glossary, Term

Status = Literal["found", "repaired", "missing"]
STRATEGIES = ("nbest", "suppress", "prefix", "mask", "substitute")
INFLECTING = ("ru", "uk")
NBEST = 8


def default_strategies(lang: str) -> tuple[str, ...]:
    if lang in INFLECTING:
        return ("nbest", "suppress", "prefix", "substitute", "mask")
    return ("nbest", "suppress", "prefix", "mask", "substitute")


@dataclass(frozen=True)
class Need:
    """A term a source segment holds `count` times, to be rendered as `expected`."""

    term: Term
    expected: tuple[str, ...]
    count: int
    spans: tuple[tuple[int, int], ...]  # where it is in the source segment


@dataclass(frozen=True)
class TermResult:
    term: Term
    expected: tuple[str, ...]
    count: int
    found_before: int  # compliant occurrences as the engine first translated them
    found_after: int
    status: Status
    strategy: str = ""  # what repaired it


@dataclass
class TranslatedSegment:
    """One engine-level text and its translation, with what the glossary asks of it."""

    source: str
    output: str
    prefix: str  # placeholder prefix free in this segment
    needs: list[Need] = field(default_factory=list)
    before: dict[str, int] = field(default_factory=dict)
    strategy: dict[str, str] = field(default_factory=dict)

    def missing(self, lang: str) -> list[Need]:
        return [n for n in self.needs if count(self.output, n.expected, lang) < n.count]


def needs_of(text: str, glossary: Glossary, lang: str) -> list[Need]:
    """The terms of `text` with a rule for `lang`, with their occurrence counts."""
    by_term: dict[Term, list[tuple[int, int]]] = {}
    for hit in glossary.find(text):
        if hit.term.expected(lang):
            by_term.setdefault(hit.term, []).append((hit.start, hit.end))
    return [Need(t, t.expected(lang), len(s), tuple(s)) for t, s in by_term.items()]


def enforce(
    sources: Sequence[str],
    outputs: Sequence[str],
    engine: object,
    glossary: Glossary,
    source_lang: str,
    target_lang: str,
    *,
    prefixes: Sequence[str],
    valid: Callable[[int, str], bool] = lambda i, s: True,
    strategies: Sequence[str] | None = None,
) -> tuple[list[str], list[list[TermResult]]]:
    """Check and repair a batch of translated segments. Returns the (repaired) outputs and,
    per segment, one `TermResult` per glossary term of its source."""
    lang = target_lang
    segs = [TranslatedSegment(s, o, p)
            for s, o, p in zip(sources, outputs, prefixes, strict=True)]
    for seg in segs:
        seg.needs = needs_of(seg.source, glossary, lang)
        seg.before = {n.term.source: min(n.count, count(seg.output, n.expected, lang))
                      for n in seg.needs}
    order = tuple(strategies) if strategies is not None else default_strategies(lang)
    renderings: dict[str, str] = {}
    for name in order:
        todo = [i for i, seg in enumerate(segs) if seg.missing(lang)]
        if not todo:
            break
        step = _STEPS[name]
        step(segs, todo, engine, source_lang, lang, valid, renderings)
    results = []
    for seg in segs:
        per = []
        for n in seg.needs:
            after = min(n.count, count(seg.output, n.expected, lang))
            before = seg.before[n.term.source]
            status: Status = ("found" if before >= n.count else
                              "repaired" if after >= n.count else "missing")
            per.append(TermResult(n.term, n.expected, n.count, before, after, status,
                                  seg.strategy.get(n.term.source, "") if status == "repaired"
                                  else ""))
        results.append(per)
    return [seg.output for seg in segs], results


# --------------------------------------------------------------------------- steps

Step = Callable[
    [list[TranslatedSegment], list[int], object, str, str, Callable[[int, str], bool],
     dict[str, str]],
    None,
]


def _score(seg: TranslatedSegment, text: str, lang: str) -> int:
    return sum(min(n.count, count(text, n.expected, lang)) for n in seg.needs)


def _accept(seg: TranslatedSegment, i: int, cand: str, lang: str,
            valid: Callable[[int, str], bool], name: str) -> bool:
    """Take `cand` if it keeps the markup and satisfies more term occurrences."""
    if not cand or not cand.strip() or not valid(i, cand):
        return False
    before = {n.term.source for n in seg.missing(lang)}
    if _score(seg, cand, lang) <= _score(seg, seg.output, lang):
        return False
    seg.output = cand
    now = {n.term.source for n in seg.missing(lang)}
    for term in before - now:
        seg.strategy[term] = name
    return True


def _nbest(segs: list[TranslatedSegment], todo: list[int], engine: object, src: str, tgt: str,
           valid: Callable[[int, str], bool], renderings: dict[str, str]) -> None:
    fn = getattr(engine, "translate_nbest", None)
    if fn is None or "nbest" not in _caps(engine):
        return
    hyps = fn([segs[i].source for i in todo], src, tgt, NBEST)
    for i, options in zip(todo, hyps, strict=True):
        seg = segs[i]
        best = max(options, key=lambda h: (valid(i, h), _score(seg, h, tgt)), default="")
        _accept(seg, i, best, tgt, valid, "nbest")


def _own_renderings(segs: list[TranslatedSegment], todo: list[int], engine: object, src: str,
                    tgt: str, renderings: dict[str, str]) -> None:
    """The engine's translation of each missing term on its own (what it says instead)."""
    wanted = sorted({n.term.source for i in todo for n in segs[i].missing(tgt)}
                    - renderings.keys())
    if not wanted:
        return
    try:
        outs = engine.translate(wanted, src, tgt)  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - no rendering known: the steps that need it skip
        outs = [""] * len(wanted)
    for term, out in zip(wanted, outs, strict=True):
        renderings[term] = re.sub(r"[.!?…]+$", "", (out or "").strip())


def _wrong(seg: TranslatedSegment, need: Need, tgt: str, renderings: dict[str, str]) -> str:
    """The engine's own rendering of the term, when it is not an accepted one."""
    r = renderings.get(need.term.source, "")
    return "" if not r or count(r, need.expected, tgt) else r


def _suppress(segs: list[TranslatedSegment], todo: list[int], engine: object, src: str,
              tgt: str, valid: Callable[[int, str], bool], renderings: dict[str, str]) -> None:
    fn = getattr(engine, "translate_constrained", None)
    if fn is None or "constrained" not in _caps(engine):
        return
    _own_renderings(segs, todo, engine, src, tgt, renderings)
    rows = []
    for i in todo:
        seg = segs[i]
        bad: list[str] = []
        for need in seg.missing(tgt):
            span = _locate(seg.output, need, tgt, renderings)
            for wrong in (seg.output[span[0]:span[1]] if span else "",
                          _wrong(seg, need, tgt, renderings)):
                if wrong and wrong not in bad:
                    bad.append(wrong)  # as it stands in the output, and on its own
        if bad:
            rows.append((i, bad))
    if not rows:
        return
    outs = fn([segs[i].source for i, _ in rows], src, tgt, suppress=[b for _, b in rows])
    for (i, _), out in zip(rows, outs, strict=True):
        _accept(segs[i], i, out, tgt, valid, "suppress")


def _prefix(segs: list[TranslatedSegment], todo: list[int], engine: object, src: str, tgt: str,
            valid: Callable[[int, str], bool], renderings: dict[str, str]) -> None:
    fn = getattr(engine, "translate_constrained", None)
    if fn is None or "constrained" not in _caps(engine):
        return
    _own_renderings(segs, todo, engine, src, tgt, renderings)
    rows = []
    for i in todo:
        seg = segs[i]
        for need in seg.missing(tgt):
            span = _locate(seg.output, need, tgt, renderings)
            if span:
                a, b = span
                forced = inflect_like(need.expected[0], seg.output[a:b], tgt)
                rows.append((i, seg.output[:a] + forced))
                break
    if not rows:
        return
    outs = fn([segs[i].source for i, _ in rows], src, tgt, prefixes=[p for _, p in rows])
    for (i, _), out in zip(rows, outs, strict=True):
        _accept(segs[i], i, out, tgt, valid, "prefix")


def _mask(segs: list[TranslatedSegment], todo: list[int], engine: object, src: str, tgt: str,
          valid: Callable[[int, str], bool], renderings: dict[str, str]) -> None:
    rows = []
    for i in todo:
        seg = segs[i]
        if not seg.prefix:
            continue
        have = [int(m.group(1)) for m in re.finditer(re.escape(seg.prefix) + r"(\d+)",
                                                    seg.source)]
        n = max(have, default=0)
        spans = sorted((a, b, need) for need in seg.missing(tgt) for a, b in need.spans)
        masked, pos, fills = [], 0, {}
        for a, b, need in spans:
            if a < pos:
                continue
            n += 1
            token = f"{seg.prefix}{n}"
            masked.append(seg.source[pos:a] + token)
            fills[token] = need.expected[0]
            pos = b
        masked.append(seg.source[pos:])
        if fills:
            rows.append((i, "".join(masked), fills))
    if not rows:
        return
    try:
        outs = engine.translate([m for _, m, _ in rows], src, tgt)  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - the other strategies still run
        return
    for (i, _, fills), out in zip(rows, outs, strict=True):
        text = out or ""
        ok = True
        for token, term_text in fills.items():
            found = list(re.finditer(re.escape(token) + r"(?!\d)", text, re.I))
            if len(found) != 1:
                ok = False
                break
            text = text[:found[0].start()] + term_text + text[found[0].end():]
        if ok:
            _accept(segs[i], i, text, tgt, valid, "mask")


def _substitute(segs: list[TranslatedSegment], todo: list[int], engine: object, src: str,
                tgt: str, valid: Callable[[int, str], bool], renderings: dict[str, str]) -> None:
    _own_renderings(segs, todo, engine, src, tgt, renderings)
    for i in todo:
        seg = segs[i]
        for need in seg.missing(tgt):
            text = seg.output
            for _ in range(need.count - count(text, need.expected, tgt)):
                span = _locate(text, need, tgt, renderings)
                if span is None:
                    break
                a, b = span
                text = text[:a] + inflect_like(need.expected[0], text[a:b], tgt) + text[b:]
            _accept(seg, i, text, tgt, valid, "substitute")


def _locate(text: str, need: Need, lang: str, renderings: dict[str, str]) -> \
        tuple[int, int] | None:
    """Where the engine put its own rendering of the term (or a near spelling of it)."""
    taken = [s for alt in need.expected for s in find_spans(text, alt, lang)]
    wrong = renderings.get(need.term.source, "")
    candidates = [wrong, need.term.source] if wrong else [need.term.source]
    for cand in candidates:
        for span in find_spans(text, cand, lang):
            if not any(a < span[1] and span[0] < b for a, b in taken):
                return span
    toks = words(text)
    size = max(1, len(words(need.expected[0])))
    best, best_ratio = None, 0.0
    targets = [e.casefold() for e in (*need.expected, need.term.source)]
    for k in range(len(toks) - size + 1):
        a, b = toks[k][0], toks[k + size - 1][1]
        if any(x < b and a < y for x, y in taken):
            continue
        window = text[a:b].casefold()
        ratio = max(difflib.SequenceMatcher(None, window, t).ratio() for t in targets)
        if ratio > best_ratio:
            best, best_ratio = (a, b), ratio
    if best is None or best_ratio < 0.8:
        return None
    first = _base(text[best[0]:best[1]])[:1]
    return best if any(_base(t)[:1] == first for t in targets) else None


def _base(text: str) -> str:
    """Folded, without accents: "Ú" and "u" compare equal."""
    return "".join(c for c in unicodedata.normalize("NFD", text.casefold())
                   if not unicodedata.combining(c))


def _caps(engine: object) -> frozenset[str]:
    try:
        from ..translate.engines.base import capabilities
    except ImportError:  # pragma: no cover - engines not installed
        return frozenset()
    return capabilities(engine)


_STEPS: dict[str, Step] = {
    "nbest": _nbest, "suppress": _suppress, "prefix": _prefix, "mask": _mask,
    "substitute": _substitute,
}

__all__ = ["STRATEGIES", "Need", "TermResult", "default_strategies", "enforce", "needs_of"]
