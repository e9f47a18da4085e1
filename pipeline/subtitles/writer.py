"""WebVTT and SubRip writers.

The WebVTT file is built with webvtt-py and read back with it before it is returned.
webvtt-py 0.6 writes `&`, `<` and `>` as they are and does not check the timings, so the
text is escaped here, and cues that are out of order, overlap or end before they start
are refused with a `SubtitleError`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import webvtt

from .. import __version__
from ..fileio import atomic_write_text
from ..model import Cue
from ..timecode import srt_time, vtt_time
from .rules import SubtitleError, SubtitleRules

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x85\u2028\u2029]")
_CLASS = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def normalize_text(text: str) -> str:
    """Cue text as it is written: each line stripped and its whitespace runs made one
    space, empty lines dropped (a blank line would end the cue), control characters made
    spaces."""
    lines = _CONTROL.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n")).split("\n")
    return "\n".join(" ".join(line.split()) for line in lines if line.strip())


def escape(text: str) -> str:
    """`&`, `<`, `>` as character references (so `-->` cannot appear either)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def payload(cue: Cue) -> str:
    """The cue text as written in WebVTT: escaped, wrapped in a `<c.class>` span when the
    cue has classes."""
    text = escape(normalize_text(cue.text))
    if not cue.classes:
        return text
    for cls in cue.classes:
        if not _CLASS.fullmatch(cls):
            raise SubtitleError(f"cue class {cls!r} is not a class name")
    return f"<c.{'.'.join(cue.classes)}>{text}</c>"


def validate_cues(cues: Sequence[Cue]) -> None:
    """Raise `SubtitleError` unless every cue has text, starts at 0 or later, ends after it
    starts, and starts no earlier than the previous cue ends (in order, no overlap)."""
    prev: Cue | None = None
    for k, cue in enumerate(cues):
        where = f"cue {k + 1} ({cue.start_ms}-{cue.end_ms} ms)"
        if cue.start_ms < 0:
            raise SubtitleError(f"{where}: starts before 0")
        if cue.end_ms <= cue.start_ms:
            raise SubtitleError(f"{where}: does not end after it starts")
        if not normalize_text(cue.text):
            raise SubtitleError(f"{where}: no text")
        if cue.identifier is not None and (
            "-->" in cue.identifier or not cue.identifier.strip()
            or normalize_text(cue.identifier) != cue.identifier or "\n" in cue.identifier
        ):
            raise SubtitleError(f"{where}: identifier {cue.identifier!r} cannot be written")
        if prev is not None and cue.start_ms < prev.start_ms:
            raise SubtitleError(f"{where}: starts before the previous cue")
        if prev is not None and cue.start_ms < prev.end_ms:
            raise SubtitleError(f"{where}: overlaps the previous cue (ends {prev.end_ms} ms)")
        prev = cue


def track_note(rules: SubtitleRules, **fields: str | None) -> str:
    """A provenance note for a track's header: the package version, the given fields
    (`kind`, `source`, `engine`, `model`, `glossary`, ...; empty ones left out) and the
    rules the cues were cut to."""
    lines = [f"interlinear {__version__}"]
    lines += [f"{key}: {value}" for key, value in fields.items() if value]
    lines.append(f"rules: {rules.describe()}")
    return "\n".join(lines)


def note_text(note: str) -> str:
    """A NOTE block's text: no blank lines, no `-->`."""
    return normalize_text(note).replace("-->", "->")


def render_vtt(cues: Sequence[Cue], header_note: str | None = None) -> str:
    """The WebVTT file for `cues`; `header_note` (provenance) goes in a NOTE block."""
    validate_cues(cues)
    captions = [
        webvtt.Caption(vtt_time(c.start_ms), vtt_time(c.end_ms), payload(c),
                       identifier=c.identifier)
        for c in cues
    ]
    note = note_text(header_note) if header_note else ""
    doc = webvtt.WebVTT(captions=captions, header_comments=[note] if note else [])
    try:
        content = doc.content
    except ValueError as err:
        raise SubtitleError(f"cues cannot be written as WebVTT: {err}") from err
    _check_read_back(content, cues)
    return content


def _check_read_back(content: str, cues: Sequence[Cue]) -> None:
    try:
        back = webvtt.from_string(content, strict=True).captions
    except Exception as err:  # webvtt-py raises its own errors and ValueError
        raise SubtitleError(f"written WebVTT does not read back: {err}") from err
    if len(back) != len(cues):
        raise SubtitleError(f"{len(cues)} cues written, {len(back)} read back")
    for cue, cap in zip(cues, back, strict=True):
        times = (cap.start_time.in_milliseconds(), cap.end_time.in_milliseconds())
        if times != (cue.start_ms, cue.end_ms) or cap.raw_text != payload(cue):
            raise SubtitleError(f"cue at {cue.start_ms} ms does not read back as written")


def render_srt(cues: Sequence[Cue]) -> str:
    """The SubRip file for `cues` (plain text, no classes)."""
    validate_cues(cues)
    blocks = [
        f"{k}\n{srt_time(c.start_ms)} --> {srt_time(c.end_ms)}\n"
        f"{normalize_text(c.text).replace('-->', '->')}\n"
        for k, c in enumerate(cues, start=1)
    ]
    return "\n".join(blocks)


def write_vtt(path: Path, cues: Sequence[Cue], header_note: str | None = None) -> Path:
    atomic_write_text(path, render_vtt(cues, header_note))
    return path


def write_srt(path: Path, cues: Sequence[Cue]) -> Path:
    atomic_write_text(path, render_srt(cues))
    return path


def write_track(vtt_path: Path, cues: Sequence[Cue],
                header_note: str | None = None) -> tuple[Path, Path]:
    """Write `VIDEO.LANG.vtt` and the `.srt` beside it; both are rendered (and checked)
    before either is written."""
    vtt_text, srt_text = render_vtt(cues, header_note), render_srt(cues)
    srt_path = vtt_path.with_suffix(".srt")
    atomic_write_text(vtt_path, vtt_text)
    atomic_write_text(srt_path, srt_text)
    return vtt_path, srt_path
