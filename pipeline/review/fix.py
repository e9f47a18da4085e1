"""Writing repairs back into a source note: pure edits of its anchors, and one guarded write.

Only the `data-t` value and the bracketed time of the anchors involved change; every other
byte of the note stays as it was (`apply_edits` checks each anchor is where the parse put
it). A note whose file changed since it was read and aligned is refused (`write_fixed`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import NoteError
from ..fileio import atomic_write_bytes
from ..model import Citation, Note, NoteAlignment
from ..timecode import hms, parse_timestamp

__all__ = ["AnchorEdit", "NoteChanged", "anchor_edits", "apply_edits", "rewrite_anchor",
           "unified_diff", "write_fixed"]

_DATA_T = re.compile(r'(\bdata-t=")([^"<>]*)(")')
_BRACKET = re.compile(r"(>\[)([^\]<>\n]*)(\]</a>)$")
BOM = "\ufeff"


class NoteChanged(NoteError):
    """The note's file is not the text that was aligned: it is not rewritten."""


@dataclass(frozen=True)
class AnchorEdit:
    citation: Citation
    ms: int  # the time the anchor is rewritten to
    why: str  # "repaired MM:SS:00" / "accepted"

    @property
    def written(self) -> str:
        return hms(self.ms)


def anchor_edits(alignment: NoteAlignment) -> list[AnchorEdit]:
    """The anchors to rewrite: those whose time a reviewer accepted (decision "accepted"),
    and citations repaired from `MM:SS:00` (to the time they were read as) unless a
    reviewer dismissed the repair. An anchor already written as its new time is left."""
    from ..align import is_mmss_form, readings

    edits = []
    for check in alignment.checks:
        c, ms = check.citation, check.resolved_ms
        if ms is None or check.decision == "dismissed":
            continue
        if check.decision == "accepted":
            edit = AnchorEdit(c, ms, "accepted")
        elif (check.status == "repaired" and is_mmss_form(c.written)
              and any(r.rule == "mmss_00" and r.ms == ms for r in readings(c.written))):
            edit = AnchorEdit(c, ms, "repaired MM:SS:00")
        else:
            continue
        if edit.written != c.written:
            edits.append(edit)
    return edits


def rewrite_anchor(raw: str, new: str) -> str:
    """The anchor `raw` with its `data-t` value set to `new`, and its bracketed text too
    when that is a time (a label that is not a time is kept as written)."""
    found = _DATA_T.search(raw)
    if found is None:
        raise ValueError(f"not a timestamp anchor: {raw[:80]!r}")
    out = raw[:found.start(2)] + new + raw[found.end(2):]
    bracket = _BRACKET.search(out)
    if bracket is not None and (parse_timestamp(bracket.group(2)) is not None
                                or bracket.group(2).strip() == found.group(2).strip()):
        out = out[:bracket.start(2)] + new + out[bracket.end(2):]
    return out


def apply_edits(note: Note, edits: Sequence[AnchorEdit]) -> str:
    """The note's text with `edits` applied; nothing but those anchors changes."""
    text = note.render()
    where: dict[int, int] = {}
    start = 0
    for block in note.blocks:
        for c in block.citations:
            where[c.index] = start + c.offset
        start += len(block.text)
    for edit in sorted(edits, key=lambda e: -e.citation.index):
        c = edit.citation
        at = where[c.index]
        if text[at:at + len(c.raw)] != c.raw:  # the parse and the text disagree: a bug
            raise NoteError(note.path, f"anchor {c.written!r} not found where it was read",
                            c.line)
        text = text[:at] + rewrite_anchor(c.raw, edit.written) + text[at + len(c.raw):]
    return text


def unified_diff(path: Path | str, old: str, new: str) -> str:
    """`diff -u` of a note's text, old to new ("" when they are the same)."""
    name = Path(path).as_posix()
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                 f"a/{name}", f"b/{name}")
    # a last line without its newline is marked as `diff` does (diffs stay line-based)
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                   for line in lines)


def write_fixed(note: Note, new: str) -> None:
    """Write `new` over the note's file, atomically, if the file still holds the text that
    was aligned (`note.render()`, a leading BOM kept); NoteChanged otherwise."""
    try:
        data = note.path.read_bytes()
    except OSError as exc:
        raise NoteError(note.path, f"cannot read: {exc.strerror or exc}") from None
    try:
        current = data.decode("utf-8")
    except UnicodeDecodeError:
        current = None
    bom = BOM if current is not None and current.startswith(BOM) else ""
    if current is None or current.removeprefix(BOM) != note.render():
        raise NoteChanged(note.path, "changed since it was aligned; not fixed (run fix "
                                     "again to check it as it is now)")
    atomic_write_bytes(note.path, (bom + new).encode("utf-8"))
