"""A note's block as translatable units and a template that puts the translation back.

Only text reaches an engine. Heading `#`s, list markers and indentation, blockquote `>`,
table pipes and separator rows, code blocks, rules, anchors, wiki-link targets, URLs and
HTML tags are kept byte for byte in the template; inline markers (bold, a wiki-link's
target around its label) travel as placeholders inside a unit (see `markup_inline`).
In the front matter only `title` is translated.

    template = segment_block(block)
    texts = [u.text for u in template.units]          # what the engine translates
    rendered = [u.restore(out) or ... for u, out in zip(template.units, outputs)]
    template.render(rendered)                          # the translated block
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import yaml

from ...model import Block
from .inline import _MASK, Unit, choose_prefix, line_parts, tokenize

__all__ = ["Template", "Unit", "segment_block", "segment_text", "yaml_scalar"]

_PREFIX = re.compile(
    r"[ \t]*(?:>[ \t]?)*[ \t]*"
    r"(?:#{1,6}(?=[ \t]|$)[ \t]*|(?:[*+-]|\d{1,9}[.)])(?=[ \t]|$)[ \t]*(?:\[[ xX]\][ \t]+)?)?"
)
_TABLE_SEP = re.compile(r"[ \t]*\|?(?:[ \t]*:?-+:?[ \t]*\|)+(?:[ \t]*:?-+:?[ \t]*)?[ \t]*")
_TITLE = re.compile(r"title:[ \t]*")
_VERBATIM_KINDS = ("blank", "code", "rule")


@dataclass(frozen=True)
class Template:
    """Verbatim strings and units, in order; rendering the units' originals gives the
    block's text back byte for byte."""

    parts: tuple[str | Unit, ...]
    yaml_raw: str = ""  # the title as written in the front matter (kept when unchanged)

    @property
    def units(self) -> tuple[Unit, ...]:
        return tuple(p for p in self.parts if isinstance(p, Unit))

    def render(self, rendered: Sequence[str]) -> str:
        """The block with each unit replaced by `rendered[i]` (markup already restored)."""
        return _escape_new_markers(self.original(), self._join(rendered))

    def original(self) -> str:
        return self._join([u.original for u in self.units])

    def _join(self, rendered: Sequence[str]) -> str:
        units = self.units
        if len(rendered) != len(units):
            raise ValueError(f"{len(rendered)} renderings for {len(units)} units")
        it = iter(zip(units, rendered, strict=True))
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            unit, text = next(it)
            if unit.yaml:
                out.append(self.yaml_raw if text == unit.original else yaml_scalar(text))
            else:
                out.append(text)
        return "".join(out)


_LINE_MARK = re.compile(r"([ \t]*)(#+(?=\s)|[*+-](?=\s)|\d+\.(?=\s))")


def _escape_new_markers(source: str, text: str) -> str:
    """A translated line that now starts like a heading or list item (an engine's "- " or
    "1. ") gets a backslash, so the note's structure is the source's."""
    src_lines = source.splitlines(keepends=True)
    lines = text.splitlines(keepends=True)
    if len(src_lines) != len(lines):
        return text
    for i, (a, b) in enumerate(zip(src_lines, lines, strict=True)):
        m = _LINE_MARK.match(b)
        if m and not _LINE_MARK.match(a):
            at = m.end(2) - 1 if m.group(2)[0].isdigit() else m.end(1)  # "12\\." / "\\-"
            lines[i] = b[:at] + "\\" + b[at:]
    return "".join(lines)


def segment_block(block: Block) -> Template:
    """The block's template (pure). Code, blank lines and rules have no units."""
    return segment_text(block.text, block.kind)


def segment_text(text: str, kind: str = "paragraph") -> Template:
    if kind in _VERBATIM_KINDS:
        return Template((text,) if text else ())
    if kind == "front_matter":
        return _front_matter(text)
    parts: list[str | Unit] = []
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        parts.extend(_line(body))
        if len(body) < len(line):
            parts.append(line[len(body):])
    return Template(_merge(parts))


def _line(line: str) -> list[str | Unit]:
    if line.lstrip().startswith("|"):
        return _table_row(line)
    m = _PREFIX.match(line)
    cut = m.end() if m else 0
    out: list[str | Unit] = [line[:cut]] if cut else []
    out.extend(line_parts(line[cut:]))
    return out


def _table_row(line: str) -> list[str | Unit]:
    if _TABLE_SEP.fullmatch(line):
        return [line]
    masked = list(line)
    for tok_start, tok_end in _protected_spans(line):
        masked[tok_start:tok_end] = _MASK * (tok_end - tok_start)
    cuts = [i for i, ch in enumerate(masked) if ch == "|" and (i == 0 or masked[i - 1] != "\\")]
    out: list[str | Unit] = []
    pos = 0
    for c in [*cuts, len(line)]:
        cell = line[pos:c]
        if cell:
            out.extend(line_parts(cell))
        if c < len(line):
            out.append("|")
        pos = c + 1
    return out


def _protected_spans(line: str) -> list[tuple[int, int]]:
    """Spans where a `|` is not a cell border: wiki-links, inline code, tags."""
    return [m.span() for m in re.finditer(r"\[\[[^\[\]\n]*\]\]|`[^`\n]+`|<[^<>\n]*>", line)]


def _front_matter(text: str) -> Template:
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        m = _TITLE.match(line)
        if not m or i == 0:
            continue
        body = line.rstrip("\r\n")
        raw = body[m.end():].rstrip()
        value = _title_value(raw)
        if value is None:
            break
        before = "".join(lines[:i]) + body[: m.end()]
        after = body[m.end() + len(raw):] + line[len(body):] + "".join(lines[i + 1:])
        unit = Unit(tuple(tokenize(value)), choose_prefix(value), yaml=True)
        return Template(tuple(p for p in (before, unit, after) if p != ""), raw)
    return Template((text,))


def _title_value(raw: str) -> str | None:
    """The title as a string, or None when it is empty, multi-line or not a plain scalar."""
    if not raw or raw[0] in "|>&*!":
        return None
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        return None
    if not isinstance(value, str) or "\n" in value or not any(c.isalpha() for c in value):
        return None
    return value


def yaml_scalar(text: str) -> str:
    """`text` as a one-line YAML scalar: plain when YAML reads it back unchanged."""
    text = " ".join(text.split())
    try:
        if text and yaml.safe_load(text) == text and not text.startswith(("'", '"')):
            return text
    except yaml.YAMLError:
        pass
    return json.dumps(text, ensure_ascii=False)


def _merge(parts: list[str | Unit]) -> tuple[str | Unit, ...]:
    """Adjacent verbatim strings joined; empty strings dropped."""
    out: list[str | Unit] = []
    for p in parts:
        if isinstance(p, str):
            if not p:
                continue
            if out and isinstance(out[-1], str):
                out[-1] += p
                continue
        out.append(p)
    return tuple(out)
