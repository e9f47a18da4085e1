"""Time arithmetic: reading timestamps as notes write them, formatting them for outputs.

All times are integer milliseconds. Readers of notes return None for what they cannot
read; the formatters and the cue-time reader raise `TimecodeError` (an `InterlinearError`
and a `ValueError`).
"""

from __future__ import annotations

import re

from .errors import InterlinearError


class TimecodeError(InterlinearError, ValueError):
    """A time that cannot be written or read (negative, malformed)."""

_ASCII_TS = re.compile(r"(?:(\d{1,3}):)?(\d{1,2}):(\d{1,2})")
_CUE_TIME = re.compile(r"(?:([0-9]{1,9}):)?([0-9]{1,2}):([0-9]{1,2})[.,]([0-9]{1,3})")


def parse_timestamp(text: str) -> int | None:
    """`[H]H:MM:SS` or `MM:SS` (ASCII digits only) as milliseconds; None if unreadable.

    Minutes and seconds must be below 60. Forms with four fields (`1:00:21:00`) or other
    shapes are unreadable here; `align` considers other readings of them.
    """
    m = _ASCII_TS.fullmatch(text.strip())
    if not m or not text.strip().isascii():
        return None
    h, mi, s = int(m.group(1) or 0), int(m.group(2)), int(m.group(3))
    if mi >= 60 or s >= 60:
        return None
    return ((h * 60 + mi) * 60 + s) * 1000


def hms(ms: int) -> str:
    """`HH:MM:SS` (seconds truncated), as notes write citations."""
    if ms < 0:
        raise TimecodeError(f"negative time: {ms}")
    s = ms // 1000
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def vtt_time(ms: int) -> str:
    """`HH:MM:SS.mmm`, the WebVTT cue timestamp."""
    if ms < 0:
        raise TimecodeError(f"negative time: {ms}")
    s, frac = divmod(ms, 1000)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}.{frac:03d}"


def srt_time(ms: int) -> str:
    """`HH:MM:SS,mmm`, the SubRip timestamp."""
    return vtt_time(ms).replace(".", ",")


def parse_vtt_time(text: str) -> int:
    """Read `[HH:]MM:SS.mmm` (or SubRip's `,`) as milliseconds; TimecodeError if malformed."""
    m = _CUE_TIME.fullmatch(text.strip())
    if not m:
        raise TimecodeError(f"not a cue timestamp: {text[:40]!r}")
    h, mi, s = int(m.group(1) or 0), int(m.group(2)), int(m.group(3))
    frac = int(m.group(4).ljust(3, "0"))
    if mi >= 60 or s >= 60:
        raise TimecodeError(f"not a cue timestamp: {text[:40]!r}")
    return ((h * 60 + mi) * 60 + s) * 1000 + frac


def youtube_url(video_id: str, ms: int | None = None) -> str:
    url = f"https://www.youtube.com/watch?v={video_id}"
    return url if ms is None else f"{url}&t={ms // 1000}s"
