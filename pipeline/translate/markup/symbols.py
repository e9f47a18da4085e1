"""Symbols engines drop, as atoms: emoji (with their joiners, skin tones and flags), other
symbols, and Greek letters standing alone.

Measured with Bergamot en->pt: "✅ Done: the build passed 🎉" -> "- Feito: a construção
passou"; a ZWJ family and a flag -> "- -"; "👍🏽" vanishes; so do ©, €, £, ≤, ±, ∑, √,
≈, ×, ∂ (or they become "-"), "x²" -> "x2", "½" -> "1 a 2", "π" and "θ" vanish ("the sum
is 2π" -> "a soma é de 2"). The notes of the corpus hold all of these (π 95 times, ✅ 31).

An atom is a run of non-ASCII characters of the Unicode categories So (emoji, ©, °), Sc
(€, £), Sm (≤, √), Sk (emoji skin tones) and No (², ½, ₂), with the characters that
join an emoji sequence (ZWJ, variation selectors, the keycap mark, tag characters) and
the unassigned code points of the emoji blocks (emoji newer than Python's Unicode
tables); or, unless the text is Greek, a whole word that holds a Greek letter (its
punctuation left out): a formula's term, "πr²", "4πr²", "ω²", "e^(-αt)", or a Greek word
in an English sentence ("Δέκιος"). Sent as text they came back as "área -r²", "o²",
"-*²" (the corpus's notes, before: the letter alone was an atom only when it stood
apart). ASCII symbols ($, +, =, <) are left to the engine.

Names spelt with letters that neither the source language nor the target writes are
atoms too, when both alphabets are known (`ALPHABETS`): Bergamot en->pt wrote "Erdoğan"
"Erdogan", "Diyarbakır" "Diyarbak", "Kılıçdaroğlu" "Kolçdaro'lu", "Möbius" "M'bius",
"Müller" "M'ller" (its vocabulary has no ğ, ı, ş, ö, ü, ñ, ß...); in the corpus's notes,
219 of 287 such names (counted once a note) were lost; none now. A target in another
script (ru) is left to write them its own way.
"""

from __future__ import annotations

import re
import unicodedata

from .unit import QUOTE_PAIRS, Tok, unclosed, unopened

__all__ = ["ALPHABETS", "symbol_tokens"]

# The letters beside ASCII's that a language writes (lower case); where both the source's
# and the target's are known, a word with another letter is kept as written
ALPHABETS = {
    "en": "", "pt": "áàâãçéêíóôõú", "es": "áéíñóúü", "fr": "àâæçéèêëîïôœùûüÿ",
    "de": "äöüß", "it": "àèéìíîòóùú", "nl": "áéëïóöü", "tr": "âçğıîöşûü\u0307",  # İ: i̇
}

_CATEGORIES = frozenset({"So", "Sc", "Sm", "Sk", "No"})
_JOINERS = "\u200d\ufe0e\ufe0f\u20e3"
_SCANNED = ((0x80, 0x3400), (0xFB00, 0x10000), (0x1F000, 0x1FC00))
_EMOJI_BLOCKS = (0x1F000, 0x1FC00)


def _symbol_class() -> str:
    ranges: list[list[int]] = []
    for lo, hi in _SCANNED:
        for cp in range(lo, hi):
            cat = unicodedata.category(chr(cp))
            if cat in _CATEGORIES or (cat == "Cn" and _EMOJI_BLOCKS[0] <= cp < _EMOJI_BLOCKS[1]):
                if ranges and ranges[-1][1] == cp - 1:
                    ranges[-1][1] = cp
                else:
                    ranges.append([cp, cp])
    parts = [re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
             for a, b in ranges]
    return "".join(parts) + _JOINERS + "\U000e0020-\U000e007f"


_SYMBOLS = re.compile(f"[{_symbol_class()}]+")
_GREEK = re.compile(r"\S*[\u0370-\u03ff\u1f00-\u1fff]\S*")
_PAIRS = (*QUOTE_PAIRS, ("{", "}"), ("‘", "’"))
_TRAILING = ",.;:!?…"


def _word(text: str, start: int, end: int) -> tuple[int, int]:
    """The span `start:end` (a run without spaces) less the punctuation around its word:
    sentence punctuation after it, and quotes or brackets it does not close (open)."""
    while end - start > 1:
        word = text[start:end]
        if word[-1] in _TRAILING or word[-1] in {c for o, c in _PAIRS
                                                 if o in unopened(word, _PAIRS)}:
            end -= 1
        elif word[0] in {o for o, c in _PAIRS if c in unclosed(word, _PAIRS)}:
            start += 1
        else:
            break
    return start, end


def symbol_tokens(text: str, lang: str = "en", target: str | None = None) -> list[Tok]:
    """Text and atom tokens whose raws concatenate to `text` (source language `lang`,
    translated into `target`: names in letters neither writes are atoms when given)."""
    spans = [m.span() for m in _SYMBOLS.finditer(text)]
    if not lang.lower().startswith("el"):
        spans.extend(_word(text, *m.span()) for m in _GREEK.finditer(text))
    spans.extend(_foreign_names(text, lang, target))
    toks: list[Tok] = []
    pos = 0
    for start, end in _union(spans):
        if start > pos:
            toks.append(Tok("text", text[pos:start]))
        toks.append(Tok("atom", text[start:end]))
        pos = end
    if pos < len(text):
        toks.append(Tok("text", text[pos:]))
    return toks


def _union(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping spans merged, in order."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start < out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out


_LETTERS = re.compile(r"[^\W\d_]+")


def _foreign_names(text: str, source: str, target: str | None) -> list[tuple[int, int]]:
    """Spans of the words with a letter neither `source` nor `target` writes (see the
    module); none when either alphabet is unknown."""
    known = [ALPHABETS.get(lang.split("-")[0].lower()) for lang in (source, target or "")]
    if any(a is None for a in known):
        return []
    ours = set("".join(a for a in known if a))
    return [m.span() for m in _LETTERS.finditer(text)
            if any(ch.isalpha() and not ch.isascii()  # İ lower-cases to i and a dot
                   and any(c not in ours for c in ch.lower() if not c.isascii())
                   for ch in m.group())]
