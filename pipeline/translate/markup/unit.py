"""A unit of translation: its tokens, the text an engine sees, and putting the markup back.

A `Unit` is one sentence (or title, or table cell) of a line, as tokens (see
`markup_inline`): text, atoms copied verbatim, and pair markers. `Unit.text` is the text
with a placeholder `XQX1`, `XQX2`... per atom or marker; `Unit.restore` takes an engine's
output back to markup, refusing it when a placeholder is lost, doubled, invented, crossed,
or a pair's words are gone; `Unit.pieces` / `Unit.assemble` translate the text between
markers piece by piece when nothing else works.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

TokKind = Literal["text", "atom", "open", "close"]

PREFIXES = ("XQX", "ZQZ", "QXQ", "XZX", "QZQX")


@dataclass(frozen=True)
class Tok:
    kind: TokKind
    raw: str
    pair: int = -1  # which pair an open/close belongs to (index in the line)


@dataclass(frozen=True)
class Unit:
    """One sentence (or title, or table cell) to translate, with its inline markup."""

    toks: tuple[Tok, ...]
    prefix: str  # placeholder prefix, absent from the source ("" when none could be chosen)
    # punctuation appended for the engine (it followed the trailing anchors; a bold title's
    # ":", `inline._lead_in`), taken off the output
    added: str = ""
    yaml: bool = False  # the front matter's title: render as a YAML scalar

    @property
    def original(self) -> str:
        """The unit's exact source text."""
        return "".join(t.raw for t in self.toks)

    @property
    def plain(self) -> str:
        """The words people read: text tokens only (link labels included)."""
        return "".join(t.raw if t.kind == "text" else " " for t in self.toks)

    @property
    def slots(self) -> list[int]:
        return [i for i, t in enumerate(self.toks) if t.kind != "text"]

    def placeholder(self, n: int) -> str:
        return f"{self.prefix}{n}"

    @property
    def text(self) -> str:
        """What the engine sees: text with a placeholder per atom or marker."""
        parts: list[str] = []
        n = 0
        for i, tok in enumerate(self.toks):
            if tok.kind == "text":
                parts.append(tok.raw)
                continue
            n += 1
            left = parts[-1][-1:] if parts and parts[-1] else ""
            if left.isalnum():
                parts.append(" ")
            parts.append(self.placeholder(n))
            nxt = self.toks[i + 1] if i + 1 < len(self.toks) else None
            if nxt is not None and (nxt.kind != "text" or nxt.raw[:1].isalnum()):
                parts.append(" ")
        return "".join(parts) + self.added

    def restore(self, output: str) -> str | None:
        """The engine's output with the markup put back, or None if a placeholder was lost,
        doubled or invented, a pair came back crossed, or a pair's content came back empty."""
        output = re.sub(r"[\r\n\t\v\f]+", " ", output).strip()
        if self.added:
            ends = "：:" if self.added == ":" else ".!?…。"
            stripped = re.sub(rf"\s*[{ends}]+$", "", output)
            output = stripped if stripped else output
        if self.toks and self.toks[-1].raw.endswith(":") and not output.endswith(":"):
            output = re.sub(r"[\s.;,]*$", "", output) + ":"  # a lead-in keeps its colon
        slots = self.slots
        if not slots:
            return output if output.strip() else None
        if not self.prefix:
            return None
        pattern = re.compile(re.escape(self.prefix) + r"\s?(\d+)(?!\d)", re.I)
        found = list(pattern.finditer(output))
        ids = [int(m.group(1)) for m in found]
        if sorted(ids) != list(range(1, len(slots) + 1)):
            return None
        stack: list[int] = []
        for n in ids:
            tok = self.toks[slots[n - 1]]
            if tok.kind == "open":
                stack.append(tok.pair)
            elif tok.kind == "close" and (not stack or stack.pop() != tok.pair):
                return None
        glue = self._glue()
        out = ""
        pos = 0
        opened: dict[int, int] = {}
        for m in found:
            tok = self.toks[slots[int(m.group(1)) - 1]]
            left, right = glue[int(m.group(1)) - 1]
            chunk = output[pos:m.start()]
            if left and (tok.kind == "close" or not chunk.strip()
                         or _same_class(chunk.rstrip()[-1:], left)):
                chunk = chunk.rstrip()
            out += chunk
            if tok.kind == "close" and tok.pair in opened and \
                    _weight(out[opened[tok.pair]:]) < self._filled(tok.pair):
                return None  # the pair's content was lost
            out += tok.raw
            if tok.kind == "open":
                opened[tok.pair] = len(out)
            pos = m.end()
            rest = output[pos:].lstrip()
            if right and (tok.kind == "open" or pattern.match(rest)
                          or _same_class(rest[:1], right)):
                while pos < len(output) and output[pos].isspace():
                    pos += 1
        return out + output[pos:]

    def _filled(self, pair: int) -> int:
        """How much the pair encloses in the source (see `_weight`)."""
        inside = False
        content = []
        for tok in self.toks:
            if tok.pair == pair:
                if inside:
                    break
                inside = True
            elif inside and tok.kind == "text":
                content.append(tok.raw)
        return _weight("".join(content))

    def _glue(self) -> list[tuple[str, str]]:
        """Per slot: the character it touches before / after it in the source ("" when
        whitespace or nothing is there). A marker hugs its pair's content; an atom keeps
        touching its neighbour only if the engine put the same kind of character there
        (a word, or punctuation), so "XQX1 e" after a dropped comma keeps its space."""
        glue = []
        for i in self.slots:
            before = self.toks[i - 1].raw[-1:] if i > 0 else ""
            after = self.toks[i + 1].raw[:1] if i + 1 < len(self.toks) else ""
            glue.append((before if before and not before.isspace() else "",
                         after if after and not after.isspace() else ""))
        return glue

    # -- the fallback: translate the text between markers piece by piece
    def pieces(self) -> list[str]:
        """The text runs to translate separately when placeholders do not survive."""
        return [t.raw.strip() for t in self.toks if t.kind == "text" and _wordy(t.raw)]

    def assemble(self, translated: Sequence[str]) -> str:
        it = iter(translated)
        out = []
        for tok in self.toks:
            if tok.kind == "text" and _wordy(tok.raw):
                lead = tok.raw[: len(tok.raw) - len(tok.raw.lstrip())]
                trail = tok.raw[len(tok.raw.rstrip()):]
                out.append(lead + " ".join(next(it).split()) + trail)
            else:
                out.append(tok.raw)
        return "".join(out)


QUOTE_PAIRS = (('"', '"'), ("“", "”"), ("«", "»"), ("(", ")"), ("[", "]"))


def unclosed(text: str, pairs: Sequence[tuple[str, str]] = QUOTE_PAIRS) -> set[str]:
    """Closing quotes and brackets `text` leaves open."""
    return {c for o, c in pairs
            if (text.count(o) % 2 if o == c else text.count(o) > text.count(c))}


def unopened(text: str, pairs: Sequence[tuple[str, str]] = QUOTE_PAIRS) -> set[str]:
    """Opening quotes and brackets whose closing one `text` has without them."""
    return {o for o, c in pairs
            if (text.count(o) % 2 if o == c else text.count(c) > text.count(o))}


def _same_class(a: str, b: str) -> bool:
    return bool(a) and a.isalnum() == b.isalnum()


def _weight(text: str) -> int:
    """0: no letters or digits; 1: only short words ("do", "a", "2"); 2: a word of 3+."""
    words = re.findall(r"[^\W_]+", text)
    if not words:
        return 0
    return 2 if any(len(w) >= 3 for w in words) else 1


def _wordy(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


def choose_prefix(text: str) -> str:
    folded = text.casefold()
    for p in PREFIXES:
        if p.casefold() not in folded:
            return p
    return ""
