"""When a unit's pair placeholders do not survive the engine: put the markers back by
finding each label's own translation in the translation of the sentence.

Engines often move the two placeholders around a label together ("as sanções XQX1 XQX2"
for "XQX1 sanctions XQX2"). Then the sentence is translated again without the pair
markers (atoms keep their placeholders), each label is translated on its own, and each
label's translation (or the label as written: names often stay) is looked up in the
sentence, by exact text or by lemma, and wrapped in the markers again. If a label cannot
be found, the caller translates the unit piece by piece instead.
"""

from __future__ import annotations

import re

from ...glossary.morph import find_spans
from .unit import Tok, Unit


def _pairs(unit: Unit) -> dict[int, tuple[int, int]] | None:
    """pair -> (index of open, index of close); None when pairs nest or hold atoms."""
    spans: dict[int, list[int]] = {}
    for i, tok in enumerate(unit.toks):
        if tok.kind in ("open", "close"):
            spans.setdefault(tok.pair, []).append(i)
    out = {p: (ix[0], ix[1]) for p, ix in spans.items() if len(ix) == 2}
    if len(out) != len(spans):
        return None
    for a, b in out.values():
        if any(t.kind != "text" for t in unit.toks[a + 1:b]):
            return None
    return out


def flat(unit: Unit) -> Unit | None:
    """The unit without its pair markers (their content kept as text), or None when the
    unit has no pairs or they cannot be handled this way."""
    pairs = _pairs(unit)
    if not pairs:
        return None
    toks: list[Tok] = []
    for tok in unit.toks:
        if tok.kind in ("open", "close"):
            continue
        if tok.kind == "text" and toks and toks[-1].kind == "text":
            toks[-1] = Tok("text", toks[-1].raw + tok.raw)
        else:
            toks.append(tok)
    return Unit(tuple(toks), unit.prefix, unit.added, unit.yaml)


def labels(unit: Unit) -> dict[int, str]:
    """pair -> the label's text as written (what is translated on its own)."""
    pairs = _pairs(unit) or {}
    return {p: "".join(t.raw for t in unit.toks[a + 1:b]).strip() for p, (a, b) in pairs.items()}


def wrap(unit: Unit, text: str, translated: dict[int, str], lang: str) -> str | None:
    """`text` (the flat unit's restored translation) with each pair's markers around its
    label, or None when a label cannot be found."""
    pairs = _pairs(unit)
    if not pairs:
        return None
    taken = [m.span() for tok in unit.toks if tok.kind == "atom"
             for m in re.finditer(re.escape(tok.raw), text)]
    spans: list[tuple[int, int, int]] = []
    source_labels = labels(unit)
    total = max(1, len(unit.original))
    for pair in sorted(pairs, key=lambda p: pairs[p][0]):
        where = len("".join(t.raw for t in unit.toks[:pairs[pair][0]])) / total
        found = _find(text, [translated.get(pair, ""), source_labels[pair]], lang, taken)
        if not found:
            return None
        span = min(found, key=lambda s: abs(s[0] / max(1, len(text)) - where))
        taken.append(span)
        spans.append((*span, pair))
    out = text
    for a, b, pair in sorted(spans, reverse=True):
        open_i, close_i = pairs[pair]
        out = (out[:a] + unit.toks[open_i].raw + out[a:b] + unit.toks[close_i].raw + out[b:])
    return out


def _find(text: str, candidates: list[str], lang: str,
          taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Free spans of `text` holding the first candidate found (exact, then by lemma)."""
    def free(span: tuple[int, int]) -> bool:
        return not any(x < span[1] and span[0] < y for x, y in taken)

    cands = [c for c in (re.sub(r"[.!?…:;,]+$", "", " ".join(c.split())) for c in candidates)
             if c]
    for cand in cands:
        exact = [m.span() for m in
                 re.finditer(r"(?<!\w)" + re.escape(cand) + r"(?!\w)", text, re.I)]
        if any(free(s) for s in exact):
            return [s for s in exact if free(s)]
    for cand in cands:
        spans = [s for s in find_spans(text, cand, lang) if free(s)]
        if spans:
            return spans
    return []
