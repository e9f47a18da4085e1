"""Notes: parse Obsidian-style markdown notes into typed blocks, claims and citations.

`parse_note` is pure and lossless: `parse_note(text, path).render() == text` for any
text it accepts. `load_note` reads a file at the edge and refuses unusable notes with a
`NoteError` naming the file and line.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml
from frontmatter.default_handlers import YAMLHandler

from .errors import NoteError
from .model import Block, BlockKind, Citation, Claim, ClaimKind, Note, WikiLink
from .timecode import parse_timestamp

VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{11}")
LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,8})*", re.ASCII)
WELL_FORMED_TIME = re.compile(r"\d\d:\d\d:\d\d")

# A well-formed anchor: class yt-timestamp and a data-t attribute, then `[...]</a>`.
ANCHOR = re.compile(
    r'<a\s+(?=[^>]*\bclass="yt-timestamp")(?=[^>]*\bdata-t="(?P<t>[^"<>]*)")[^<>]*>'
    r"\[[^\]<>\n]*\]</a>"
)
# Anything that looks like a timestamp anchor but is not well formed.
BROKEN_ANCHOR = re.compile(r"<a\b[^>\n]*(?:yt-timestamp|yt=|data-t)[^>\n]*>?(?:[^<\n]{0,40}</a>)?")
WIKILINK = re.compile(r"\[\[(?P<target>[^\[\]|\n]*?)\s*(?:\|\s*(?P<label>[^\[\]\n]*?))?\s*\]\]")
_GROUP_GAP = re.compile(r"[\s,]*")

_HEADING = re.compile(r" {0,3}#{1,6}(?:[ \t]|$)")
_LIST = re.compile(r"[ \t]*(?:[*+-]|\d{1,9}[.)])(?:[ \t]|$)")
_RULE = re.compile(r" {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")
_FENCE = re.compile(r" {0,3}(```|~~~)")
# display math over several lines (a line that opens `$$` and does not close it, to the
# line that does): kept as written, as code is; `$$ ... $$` within a line is inline
_MATH = re.compile(r" {0,3}\$\$(?!.*\$\$)")

_CLAIM_KIND: dict[str, ClaimKind] = {
    "paragraph": "paragraph", "list_item": "list_item", "heading": "heading",
    "table": "table_cell", "quote": "quote",
}


@dataclass(frozen=True)
class NoteProblem:
    """Something wrong in a note that does not stop it being used (reported, exit 1)."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return printable(f"{self.path}:{self.line}: {self.message}")


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def printable(text: str) -> str:
    """`text` on one line with control characters shown as escapes (a file name with a
    newline or a terminal escape sequence cannot break or recolour a report line)."""
    return _CONTROL.sub(lambda m: m.group(0).encode("unicode_escape", "backslashreplace")
                        .decode("ascii"), text)


# --------------------------------------------------------------------------- parsing


def split_front_matter(text: str) -> tuple[str, str]:
    """(front matter block including its fences, body). Empty front matter if none."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n").rstrip() != "---":
        return "", text
    for i in range(1, len(lines)):
        if lines[i].rstrip("\r\n").rstrip() in ("---", "..."):
            head = "".join(lines[: i + 1])
            return head, text[len(head):]
    return "", text


MAX_META_VALUES = 10_000  # values in the front matter once YAML aliases are expanded
MAX_META_DEPTH = 64  # lists and mappings inside each other


def read_meta(front: str, path: Path) -> dict[str, object]:
    """The front matter's YAML as a mapping (safe loader: tags that build objects refused).

    Refused with a NoteError: YAML that does not parse, nests more than `MAX_META_DEPTH`
    levels deep, holds an integer too long to read, refers to itself through an alias, or
    expands (through aliases) to more than `MAX_META_VALUES` values; a front matter that is
    not a mapping.
    """
    if not front:
        return {}
    inner = "".join(front.splitlines(keepends=True)[1:-1])
    try:
        meta = YAMLHandler().load(inner)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 2 if exc.problem_mark else 1
        problem = exc.problem or exc
        raise NoteError(path, f"front matter is not valid YAML: {problem}", line) from None
    except yaml.YAMLError as exc:
        raise NoteError(path, f"front matter is not valid YAML: {exc}", 1) from None
    except RecursionError:
        raise NoteError(path, "front matter is nested too deeply", 1) from None
    except ValueError as exc:  # e.g. an integer of thousands of digits
        raise NoteError(path, f"front matter has a value that cannot be read: {exc}", 1) from None
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise NoteError(path, f"front matter must be a mapping, not {type(meta).__name__}", 1)
    _check_size(meta, path)
    return {str(k): v for k, v in meta.items()}


def _check_size(meta: object, path: Path) -> None:
    """Refuse self-referring values and alias bombs: count values as if written out."""
    count = 0
    stack: list[tuple[object, frozenset[int]]] = [(meta, frozenset())]
    while stack:
        value, above = stack.pop()
        count += 1
        if count > MAX_META_VALUES:
            raise NoteError(path, f"front matter expands to more than {MAX_META_VALUES} values "
                                  "(YAML aliases?)", 1)
        children: list[object] = []
        if isinstance(value, dict):
            children = [*value.keys(), *value.values()]
        elif isinstance(value, list | tuple | set | frozenset):
            children = list(value)
        if not children:
            continue
        if id(value) in above:
            raise NoteError(path, "front matter refers to itself (a YAML alias inside itself)", 1)
        if len(above) >= MAX_META_DEPTH:
            raise NoteError(path, f"front matter is nested too deeply (over {MAX_META_DEPTH} "
                                  "levels)", 1)
        inner_above = above | {id(value)}
        stack.extend((child, inner_above) for child in children)


def _blocks(body: str, first_line: int) -> Iterator[tuple[BlockKind, str, int]]:
    """Split the body into blocks of whole lines; their texts concatenate to `body`."""
    lines = body.splitlines(keepends=True)
    i, n = 0, len(lines)
    while i < n:
        line = lines[i].rstrip("\r\n")
        start = i
        kind: BlockKind
        if not line.strip():
            kind = "blank"
            while i < n and not lines[i].strip():
                i += 1
        elif _FENCE.match(line):
            kind = "code"
            fence = _FENCE.match(line).group(1)  # type: ignore[union-attr]
            i += 1
            while i < n and not lines[i].lstrip().startswith(fence):
                i += 1
            i = min(i + 1, n)
        elif _MATH.match(line):
            kind, i = "code", i + 1
            while i < n and "$$" not in lines[i]:
                i += 1
            i = min(i + 1, n)
        elif _HEADING.match(line):
            kind, i = "heading", i + 1
        elif _RULE.match(line):
            kind, i = "rule", i + 1
        elif line.lstrip().startswith("|"):
            kind = "table"
            while i < n and lines[i].lstrip().startswith("|"):
                i += 1
        elif line.lstrip().startswith(">"):
            kind = "quote"
            while i < n and lines[i].lstrip().startswith(">"):
                i += 1
        elif _LIST.match(line):
            kind, i = "list_item", i + 1
            while i < n and _continues(lines[i]):
                i += 1
        else:
            kind, i = "paragraph", i + 1
            while i < n and _continues(lines[i]) and not lines[i][:1].isspace():
                i += 1
        yield kind, "".join(lines[start:i]), first_line + start


def _continues(line: str) -> bool:
    """Whether a line continues the paragraph or list item above it."""
    bare = line.rstrip("\r\n")
    return bool(bare.strip()) and not (
        _HEADING.match(bare) or _LIST.match(bare) or _RULE.match(bare) or _FENCE.match(bare)
        or _MATH.match(bare) or bare.lstrip().startswith(("|", ">"))
    )


def plain_text(fragment: str) -> str:
    """A claim's words: markup, links' targets, list markers and tags stripped."""
    s = WIKILINK.sub(lambda m: m.group("label") or m.group("target"), fragment)
    s = re.sub(r"<[^>\n]*>", " ", s)
    s = re.sub(r"^\s*>?\s*\[![\w-]+\][+-]?", "", s, flags=re.M)  # callout markers
    s = re.sub(r"^\s*\|?(?:\s*:?-{3,}:?\s*\|)+\s*:?-*:?\s*$", "", s, flags=re.M)  # table rules
    s = re.sub(r"^\s*(?:#{1,6}|[*+-]|\d{1,9}[.)]|>)\s+", "", s, flags=re.M)
    s = re.sub(r"\*\*|__|`", "", s)
    s = s.replace("|", " ")
    return " ".join(s.split()).lstrip(" -:;,.!?").rstrip(" -:;,")


def parse_note(text: str, path: Path, channel: str | None = None) -> Note:
    """Parse a note's text. Never needs a videoId; refuses only unreadable front matter."""
    path = Path(path)
    front, body = split_front_matter(text)
    meta = read_meta(front, path)
    blocks: list[Block] = []
    if front:
        blocks.append(Block("front_matter", front, 1))
    first_line = front.count("\n") + 1
    anchor_index = 0
    claims_raw: list[dict[str, object]] = []
    for kind, btext, bline in _blocks(body, first_line):
        links = tuple(
            WikiLink(m.group(0), m.group("target").strip(),
                     m.group("label").strip() if m.group("label") is not None else None, m.start())
            for m in WIKILINK.finditer(btext)
        )
        cites: list[Citation] = []
        if kind != "code":
            for m in ANCHOR.finditer(btext):
                written = m.group("t")
                cites.append(Citation(
                    written=written, ms=parse_timestamp(written), raw=m.group(0),
                    line=bline + btext.count("\n", 0, m.start()), offset=m.start(),
                    index=anchor_index,
                ))
                anchor_index += 1
        block_index = len(blocks)
        blocks.append(Block(kind, btext, bline, links, tuple(cites)))
        _claims_of_block(btext, kind, block_index, cites, claims_raw)
    claims = tuple(
        Claim(index=i, text=str(c["text"]), kind=c["kind"],  # type: ignore[arg-type]
              block=int(c["block"]), citations=tuple(c["cites"]),  # type: ignore[arg-type,call-overload]
              start=int(c["start"]), end=int(c["end"]))  # type: ignore[call-overload]
        for i, c in enumerate(claims_raw)
    )
    title = meta.get("title")
    video_id = meta.get("videoId")
    lang = meta.get("lang", meta.get("language"))
    return Note(
        path=path,
        title=str(title) if title is not None else path.stem,
        video_id=str(video_id).strip() if video_id is not None else None,
        channel=channel if channel is not None else path.parent.name,
        meta=meta,
        blocks=tuple(blocks),
        claims=claims,
        lang=language_code(lang),
    )


def language_code(value: object) -> str | None:
    """A front matter value when it is a language code (`ru`, `pt-BR`), else None (the
    video's `lang`, the note's own `note_lang`)."""
    if not isinstance(value, str):
        return None
    code = value.strip().lower().replace("_", "-")
    return code if LANGUAGE.fullmatch(code) else None


def _claims_of_block(
    text: str, kind: str, block_index: int, cites: list[Citation],
    out: list[dict[str, object]],
) -> None:
    """Group the block's anchors; each group closes the claim written before it."""
    i, last = 0, 0
    while i < len(cites):
        group = [cites[i]]
        while (i + 1 < len(cites) and _GROUP_GAP.fullmatch(
                text, group[-1].offset + len(group[-1].raw), cites[i + 1].offset)):
            i += 1
            group.append(cites[i])
        start = last
        fragment = text[start:group[0].offset]
        claim_text = plain_text(fragment)
        end = group[-1].offset + len(group[-1].raw)
        if not any(ch.isalnum() for ch in claim_text) and out:
            prev = out[-1]
            prev["cites"] = [*prev["cites"], *group]  # type: ignore[misc]
        else:
            out.append({
                "text": claim_text if any(ch.isalnum() for ch in claim_text) else "",
                "kind": _CLAIM_KIND.get(kind, "paragraph"), "block": block_index,
                "cites": list(group), "start": start, "end": end,
            })
        last = end
        i += 1


# --------------------------------------------------------------------------- checks


def problems(note: Note) -> list[NoteProblem]:
    """Defects that do not stop a note being used: broken anchors, odd timestamps."""
    found: list[NoteProblem] = []
    written = note.meta.get("lang", note.meta.get("language"))
    if written is not None and note.lang is None:
        found.append(NoteProblem(note.path, 1, f"lang {str(written)[:40]!r} is not a language "
                                               "code (like ru or pt-BR); ignored"))
    own = note.meta.get("note_lang")
    if own is not None and language_code(own) is None:
        found.append(NoteProblem(note.path, 1, f"note_lang {str(own)[:40]!r} is not a "
                                               "language code (like pt or en); ignored"))
    for block in note.blocks:
        if block.kind in ("front_matter", "code"):
            continue
        good = [(c.offset, c.offset + len(c.raw)) for c in block.citations]
        for m in BROKEN_ANCHOR.finditer(block.text):
            if any(a <= m.start() < b for a, b in good):
                continue
            line = block.line + block.text.count("\n", 0, m.start())
            found.append(NoteProblem(
                note.path, line,
                f"timestamp anchor not of the form <a class=\"yt-timestamp\" data-t=\"HH:MM:SS\">"
                f"[HH:MM:SS]</a>, kept as written and not checked: {m.group(0)[:70]!r}",
            ))
        for c in block.citations:
            if c.ms is None:
                msg = f"timestamp {c.written[:40]!r} is not a time"
            elif not WELL_FORMED_TIME.fullmatch(c.written):
                msg = f"timestamp {c.written!r} is not written HH:MM:SS"
            else:
                continue
            found.append(NoteProblem(note.path, c.line, msg))
    return found


def check_video_id(note: Note) -> str:
    """The note's videoId, or a NoteError saying what is wrong with it."""
    vid = note.video_id
    if vid is None and "videoId" in note.meta:
        raise NoteError(note.path, "videoId is empty", 1)
    if vid is None:
        raise NoteError(note.path, "front matter has no videoId", 1)
    if not vid:
        raise NoteError(note.path, "videoId is empty", 1)
    if not VIDEO_ID.fullmatch(vid):
        shown = vid if len(vid) <= 40 else vid[:37] + "..."
        raise NoteError(note.path, f"videoId {shown!r} is not 11 characters of [A-Za-z0-9_-]", 1)
    return vid


# --------------------------------------------------------------------------- files


def load_note(path: Path, root: Path | None = None, max_bytes: int = 1_000_000) -> Note:
    """Read and parse one note file; NoteError for anything that makes it unusable."""
    path = Path(path)
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        raise NoteError(printable(str(path)), "file name is not UTF-8; rename it") from None
    inner = path.relative_to(root) if root is not None and path.is_relative_to(root) else path
    if _CONTROL.search(str(inner)):
        raise NoteError(printable(str(path)), "file or folder name holds control characters; "
                                              "rename it") from None
    if path.is_symlink():
        target = path.resolve()
        base = (root or path.parent).resolve()
        if base not in target.parents:
            raise NoteError(path, "symlink points outside the vault; not followed")
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise NoteError(path, "not a regular file (a folder, pipe or device?); not read")
        if info.st_size > max_bytes:
            raise NoteError(path, f"file is {info.st_size} bytes, over the {max_bytes}-byte limit")
        with path.open("rb") as fh:  # bounded: the file may grow while it is read
            data = fh.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise NoteError(path, f"file is over the {max_bytes}-byte limit")
    except OSError as exc:
        raise NoteError(path, f"cannot read: {exc.strerror or exc}") from None
    if not data.strip():
        raise NoteError(path, "file is empty")
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise NoteError(path, "file contains NUL bytes (binary?)", line)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise NoteError(path, f"not UTF-8 (byte 0x{data[exc.start]:02x})", line) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    front, _ = split_front_matter(text)
    if not front:
        raise NoteError(path, "no front matter (expected a '---' block with title and videoId)", 1)
    channel = path.parent.name if root is None or path.parent.resolve() != root.resolve() else ""
    return parse_note(text, path, channel)


def discover_notes(root: Path) -> list[Path]:
    """Every `.md` file under `root`, sorted; hidden folders (.obsidian, .trash) skipped."""
    root = Path(root)
    if root.is_file():
        return [root]
    found = []
    for p in root.rglob("*.md"):
        rel = p.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        found.append(p)
    return sorted(found)
