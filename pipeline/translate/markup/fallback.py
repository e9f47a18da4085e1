"""A unit without its pair markers, and its labels: what is translated when a sentence
has bold or links (`markup.place` puts the markers back on the translation).

Placeholders around a label cost quality (measured on 3blue1brown sentences: the engine
moves, drops or invents them, and the words between them read out of context), so the
sentence is translated flat, exactly as without markup; atoms (anchors, code, label-less
links that stay as written) keep their placeholders.
"""

from __future__ import annotations

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
