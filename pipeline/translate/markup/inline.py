"""Inline markup of one line: what an engine may see, and what it must never touch.

A line's content is cut into tokens: text (translatable), atoms (copied verbatim:
timestamp anchors and every other HTML tag, URLs, inline code, maths, label-less
wiki-links, bracketed timestamps, callout markers, entities) and pairs (bold/italic
markers, a wiki-link's `[[target | ` ... `]]` around its label, a markdown link's `[` ...
`](url)` around its text). The text is split into sentences; each sentence becomes a
`Unit` whose engine text carries placeholders `XQX1`, `XQX2`... for the atoms and pair
markers inside it (no underscore: argostranslate's tokenizer turns `_` into a space).
Atoms, markers and punctuation at a sentence's edges stay outside its unit, so an anchor
closing a sentence follows that sentence's translation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ...sentence_ends import ABBREVIATIONS
from .unit import PREFIXES, Tok, TokKind, Unit, _wordy, choose_prefix, unclosed, unopened

__all__ = ["PREFIXES", "Tok", "Unit", "choose_prefix", "line_parts", "sentences", "tokenize"]

_ATOMS = re.compile(
    r"""
      <a\b[^<>]*>[^<>]*?</a>                      # timestamp anchor (or any link tag pair)
    | <a\s[^<>\n]*$                               # a truncated anchor at the end of the line
    | </?[A-Za-z][^<>\n]*>                        # any other HTML tag (<br/>, <sup>)
    | <!--.*?-->                                  # HTML comment
    | `[^`\n]+`                                   # inline code
    | \$\$[^$\n]+\$\$                             # display maths on one line
    | \$(?=[^\s$])[^$\n]*?(?<=[^\s$])\$(?!\d)     # inline maths (not "$5 to $10")
    | !?\[\[[^\[\]\n]*\]\]                        # wiki-link / embed (label handled below)
    | !?\[\[[^\[\]|\n]*\|?                        # an unclosed wiki-link's target
    | !\[[^\]\n]*\]\([^)\n]*\)                    # markdown image
    | \[!\w+\][+-]?                               # callout marker [!NOTE]
    | \[\^[^\]\n]+\]                              # footnote reference
    | \[\d{1,2}(?::\d{2}){1,2}(?:\s*[,;–-]\s*\d{1,2}(?::\d{2}){1,2})*\]  # [00:02:37, 00:03:49]
    | (?<![\w:])\d{1,2}:\d{2}:\d{2}(?![\w:])      # a bare timestamp
    | (?:https?|ftp)://[^\s<>"'\[\]()]*[^\s<>"'\[\]().,;:!?]   # URL
    | www\.[^\s<>"'\[\]()]*[^\s<>"'\[\]().,;:!?]
    | &(?:\w+|\#\d+|\#x[0-9A-Fa-f]+);             # HTML entity
    """,
    re.X,
)
_WIKI_LABEL = re.compile(r"(\[\[[^\[\]|\n]*\|\s*)([^\[\]\n]*?\S)(\s*\]\])")
# a label-less wiki-link whose target reads as words (not `[[bonus_professor]]`, a path,
# a heading or block reference, an embed): shown as its target, translated as a label
_ALIAS = re.compile(r"\[\[[^\W\d_][^\[\]|#^_/\\\n]*(?<=[^\W_])\]\]")
_MD_LINK = re.compile(r"(?<![!\[])(\[)([^\[\]\n]*[^\s\[\]])(\]\([^()\s]+(?:\s+\"[^\"\n]*\")?\))")
_EMPHASIS = (
    re.compile(r"(\*\*|__)(?=[^\s*_])(.+?)(?<=[^\s*_])\1"),
    re.compile(r"(?<![*\w\\])(\*|_)(?=[^\s*_])(.+?)(?<=[^\s*_])\1(?![*\w])"),
    re.compile(r"(~~)(?=\S)(.+?)(?<=\S)~~"),
)
_MASK = "\ue000"

_BOUNDARY = re.compile(r"[.!?…]+[\"'”’»)\]]*(\s+)")
_OPENERS = "\"'“‘«([{-–— \t"


# --------------------------------------------------------------------------- tokens


def tokenize(line: str) -> list[Tok]:
    """Text, atom and pair tokens whose raws concatenate to `line`."""
    marks: list[tuple[int, int, TokKind, int]] = []  # start, end, kind, pair
    pair_no = 0
    for m in _MD_LINK.finditer(line):
        marks.append((m.start(1), m.end(1), "open", pair_no))
        marks.append((m.start(3), m.end(3), "close", pair_no))
        pair_no += 1
    for m in _ATOMS.finditer(_masked(line, marks)):
        if _MASK in m.group():
            continue  # would overlap a markdown link's markers
        w = _WIKI_LABEL.fullmatch(line, m.start(), m.end()) if m.group().startswith("[[") \
            else None
        if w:
            marks.append((m.start(), w.end(1), "open", pair_no))
            marks.append((w.start(3), m.end(), "close", pair_no))
            pair_no += 1
        elif _ALIAS.fullmatch(m.group()):  # [[United States]]: its words are a label too
            marks.append((m.start(), m.start() + 2, "open", pair_no))
            marks.append((m.end() - 2, m.end(), "close", pair_no))
            pair_no += 1
        else:
            marks.append((m.start(), m.end(), "atom", -1))
    for pattern in _EMPHASIS:
        masked = _masked(line, marks)
        for m in pattern.finditer(masked):
            o, c = (m.start(1), m.end(1)), (m.end(2), m.end())
            if _free(marks, *o) and _free(marks, *c) and _nests(marks, o[1], c[0]):
                marks.append((*o, "open", pair_no))
                marks.append((*c, "close", pair_no))
                pair_no += 1
    marks.sort()
    toks: list[Tok] = []
    pos = 0
    for start, end, kind, pair in marks:
        if start > pos:
            toks.append(Tok("text", line[pos:start]))
        toks.append(Tok(kind, line[start:end], pair))
        pos = end
    if pos < len(line):
        toks.append(Tok("text", line[pos:]))
    return toks


def _masked(line: str, marks: list[tuple[int, int, TokKind, int]]) -> str:
    chars = list(line)
    for start, end, _, _ in marks:
        chars[start:end] = _MASK * (end - start)
    return "".join(chars)


def _free(marks: list[tuple[int, int, TokKind, int]], start: int, end: int) -> bool:
    return not any(a < end and start < b for a, b, _, _ in marks)


def _nests(marks: list[tuple[int, int, TokKind, int]], start: int, end: int) -> bool:
    """Whether every pair with a marker inside [start, end) has both markers inside."""
    inside: dict[int, int] = {}
    for a, _, kind, pair in marks:
        if kind in ("open", "close") and start <= a < end:
            inside[pair] = inside.get(pair, 0) + 1
    return all(n == 2 for n in inside.values())


# --------------------------------------------------------------------------- sentences


def sentences(toks: Sequence[Tok]) -> list[list[Tok]]:
    """Split tokens into sentences; never inside a pair or a quotation, never after an
    abbreviation."""
    out: list[list[Tok]] = [[]]
    depth = 0
    for i, tok in enumerate(toks):
        if tok.kind == "open":
            depth += 1
        elif tok.kind == "close":
            depth = max(0, depth - 1)
        if tok.kind != "text" or depth:
            out[-1].append(tok)
            continue
        text, pos = tok.raw, 0
        for m in _BOUNDARY.finditer(text):
            after = text[m.end():]
            nxt = after[:1] or _next_visible(toks, i)
            if not nxt or not (nxt.isupper() or nxt.isdigit() or nxt in _OPENERS or
                               nxt == _MASK):
                continue
            before = text[:m.start()]
            said = "".join(t.raw for t in out[-1] if t.kind == "text") + text[pos:m.end()]
            if said.count('"') % 2 or said.count("“") > said.count("”"):
                continue  # inside a quotation: its sentences travel together
            word = re.search(r"([\w.]+)$", before)
            if m.group().startswith(".") and word and (
                word.group(1).lower() in ABBREVIATIONS or re.fullmatch(r"[A-Z]", word.group(1))
            ):
                continue
            out[-1].append(Tok("text", text[pos:m.end()]))
            out.append([])
            pos = m.end()
        if pos < len(text):
            out[-1].append(Tok("text", text[pos:]))
    return [s for s in out if s]


def _next_visible(toks: Sequence[Tok], i: int) -> str:
    for tok in toks[i + 1:]:
        if tok.kind == "text":
            return tok.raw.lstrip()[:1]
        if tok.kind in ("open", "atom"):
            return _MASK
    return ""


# --------------------------------------------------------------------------- lines


def line_parts(content: str) -> list[str | Unit]:
    """A line's content as verbatim strings and Units, concatenating to the content."""
    parts: list[str | Unit] = []
    for sent in sentences(tokenize(content)):
        for piece, added in _lead_in(sent):
            parts.extend(_peel(piece, content, added))
    return parts


def _lead_in(sent: list[Tok]) -> list[tuple[list[Tok], str]]:
    """Split off a bold lead-in as a unit of its own: a label with a colon
    (`**Crimea Status:** Crimea would...`, `**Key Rate** [anchor]: The rate...`) or a
    title before a sentence of its own (`**Delegation Treatment** Some members were...`),
    with the punctuation to add for the engine (a title goes as a label, "Delegation
    Treatment:", which it renders as one; alone, "Midjourney" came back "Midjourney (em
    inglês)" and "Delegation Treatment" "Delegação Tratamento"). Sent with its sentence, a
    title reads as a run-on start the engine drops or merges: on the corpus's notes, 142 of
    275 such titles were lost or moved into the sentence."""
    close = next((i for i, t in enumerate(sent) if i and t.kind == "close"
                  and t.pair == sent[0].pair), None) if sent and sent[0].kind == "open" else None
    if close is not None and close + 1 < len(sent):
        inner, rest = sent[1:close], sent[close + 1:]
        label = "".join(t.raw for t in inner)
        after = next((t for t in rest if t.kind != "atom" and t.raw.strip()), None)
        colon = label.rstrip().endswith(":") or (
            after is not None and after.kind == "text" and after.raw.lstrip().startswith(":"))
        first = next((t for t in rest if t.kind == "text" and t.raw.strip()), None)
        title = (sent[0].raw in ("**", "__") and rest[0].kind == "text"
                 and rest[0].raw[:1].isspace() and first is not None
                 and first.raw.lstrip()[:1].isupper()
                 and label.rstrip().rstrip("\"'”’»)")[-1:].isalnum())
        if ((colon or title) and all(t.kind in ("text", "atom") for t in inner)
                and any(t.kind == "text" and _wordy(t.raw) for t in inner)
                and any(t.kind == "text" and _wordy(t.raw) for t in rest)):
            return [(sent[:close + 1], "" if colon else ":"), (rest, "")]
    return [(sent, "")]


def _peel(toks: list[Tok], content: str, add: str = "") -> list[str | Unit]:
    """Leading and trailing atoms, stray punctuation and whole-unit pairs stay verbatim;
    `add`: punctuation the engine is to see after the unit (taken off its output)."""
    head: list[str] = []
    tail: list[str] = []
    toks = list(toks)
    while True:
        changed = False
        while toks and (toks[0].kind == "atom" or toks[0].kind == "text" and not _wordy(
                toks[0].raw) and not any(c.isdigit() for c in toks[0].raw)):
            head.append(toks.pop(0).raw)
            changed = True
        while toks and (toks[-1].kind == "atom" or toks[-1].kind == "text" and not _wordy(
                toks[-1].raw) and not any(c.isdigit() for c in toks[-1].raw)):
            tail.insert(0, toks.pop().raw)
            changed = True
        if len(toks) >= 2 and toks[0].kind == "open" and toks[-1].kind == "close" \
                and toks[0].pair == toks[-1].pair and toks[0].raw == "[[":
            head.append("".join(t.raw for t in toks))  # a label-less link alone: as written
            toks = []
            changed = True
        elif len(toks) >= 2 and toks[0].kind == "open" and toks[-1].kind == "close" \
                and toks[0].pair == toks[-1].pair:
            head.append(toks.pop(0).raw)
            tail.insert(0, toks.pop().raw)
            changed = True
        if not changed:
            break
    if not toks or not any(t.kind == "text" and (_wordy(t.raw)) for t in toks):
        return ["".join(head) + "".join(t.raw for t in toks) + "".join(tail)]
    first = toks[0]
    if first.kind == "text":
        m = re.match(r"[\s,;:.)\]}»”’]*", first.raw)
        cut = m.end() if m else 0
        if cut:
            head.append(first.raw[:cut])
            toks[0] = Tok("text", first.raw[cut:])
    last = toks[-1]
    if last.kind == "text":
        m = re.search(r"[\s(\[{«“‘—–-]*$", last.raw)
        cut = m.start() if m else len(last.raw)
        if cut < len(last.raw) and cut > 0:
            tail.insert(0, last.raw[cut:])
            toks[-1] = Tok("text", last.raw[:cut])
    toks = [t for t in toks if t.raw]
    before, after = "".join(head), "".join(tail)
    # a quote or bracket that closes (opens) one inside the unit belongs to the unit
    def words_of(ts: list[Tok]) -> str:
        return "".join(t.raw for t in ts if t.kind == "text")

    while after and after[0] in unclosed(words_of(toks)):
        toks.append(Tok("text", after[0]))
        after = after[1:]
    while before and before[-1] in unopened(words_of(toks)):
        toks.insert(0, Tok("text", before[-1]))
        before = before[:-1]
    toks = _merge_text(toks)
    unit_text = "".join(t.raw for t in toks)
    added = ""
    trailing = re.sub(r"<[^>]*>|\s", "", after)
    if trailing[-1:] in (".", "!", "?", "…") and not re.search(r"[.!?…:;,]$", unit_text):
        added = trailing[-1]
    elif add and not re.search(r"[.!?…:;,]$", unit_text):
        added = add
    unit = Unit(tuple(toks), choose_prefix(content), added)
    return [p for p in (before, unit, after) if p != ""]


def _merge_text(toks: list[Tok]) -> list[Tok]:
    out: list[Tok] = []
    for t in toks:
        if t.kind == "text" and out and out[-1].kind == "text":
            out[-1] = Tok("text", out[-1].raw + t.raw)
        else:
            out.append(t)
    return out
