"""Transcript file formats, text in, segments out (no file I/O here).

youtube-transcript-api JSON (`[{"text", "start", "duration"}]`), SubRip, WebVTT, and the
corpus layout's `sentence_timings.json` (`[[sentence, start_s, end_s]]`) and
`sentence_translations.json` (`[{"translatedText", "start", "end"}]`). Every parser returns
clean segments with duplicated cues merged (`Parsed`, see `normalise_segments`) or raises
`TranscriptError` naming `where`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import TranscriptError
from .base import Parsed, normalise_segments

__all__ = ["PARSERS", "parse_json", "parse_srt", "parse_timings", "parse_translations",
           "parse_vtt"]

Parser = Callable[..., Parsed]

_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})[,.](\d{1,3})"
_TIMING = re.compile(rf"\s*{_TIME}\s*-->\s*{_TIME}(?:[ \t].*)?")


def _ms(h: str | None, m: str, s: str, frac: str) -> int:
    if int(m) >= 60 or int(s) >= 60:
        raise ValueError("minutes or seconds of 60 or more")
    return ((int(h or 0) * 60 + int(m)) * 60 + int(s)) * 1000 + int(frac.ljust(3, "0"))
_VTT_SKIP = ("NOTE", "STYLE", "REGION")


def _load_json(text: str, video_id: str, where: str) -> Any:
    if not text.strip():
        raise TranscriptError(video_id, f"{where}: empty file")
    try:
        return json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        raise TranscriptError(
            video_id, f"{where}: not valid JSON (line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise TranscriptError(video_id, f"{where}: JSON nested too deeply") from None


def _seconds(value: Any, video_id: str, where: str, n: int, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TranscriptError(video_id, f"{where}: item {n}: {key} is not a number")
    return round(value * 1000)


def _items(data: Any, video_id: str, where: str, what: str) -> list[Any]:
    if not isinstance(data, list):
        raise TranscriptError(video_id, f"{where}: expected a JSON list of {what}")
    if not data:
        raise TranscriptError(video_id, f"{where}: no segments")
    return data


def parse_json(text: str, *, video_id: str, where: str, language: str) -> Parsed:
    """youtube-transcript-api's JSON: a list of `{"text", "start", "duration"}`."""
    data = _items(_load_json(text, video_id, where), video_id, where, '{"text", "start", '
                  '"duration"} objects')

    def raw() -> Iterator[tuple[int, int, str]]:
        for n, item in enumerate(data, 1):
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise TranscriptError(video_id, f"{where}: item {n} has no text")
            start = _seconds(item.get("start"), video_id, where, n, "start")
            dur = _seconds(item.get("duration", 0), video_id, where, n, "duration")
            yield start, start + dur, item["text"]  # a negative duration: an inverted cue

    return _segments(raw(), language, video_id, where)


def parse_timings(text: str, *, video_id: str, where: str, language: str) -> Parsed:
    """The corpus's `sentence_timings.json`: a list of `[sentence, start_s, end_s]`."""
    data = _items(_load_json(text, video_id, where), video_id, where,
                  "[sentence, start, end] lists")

    def raw() -> Iterator[tuple[int, int, str]]:
        for n, item in enumerate(data, 1):
            if not isinstance(item, list) or len(item) < 3 or not isinstance(item[0], str):
                raise TranscriptError(video_id, f"{where}: item {n} is not [sentence, start, end]")
            yield (_seconds(item[1], video_id, where, n, "start"),
                   _seconds(item[2], video_id, where, n, "end"), item[0])

    return _segments(raw(), language, video_id, where)


def parse_translations(
    text: str, *, video_id: str, where: str, language: str
) -> Parsed:
    """The corpus's `sentence_translations.json`: `{"translatedText", "start", "end"}`."""
    data = _items(_load_json(text, video_id, where), video_id, where,
                  '{"translatedText", "start", "end"} objects')

    def raw() -> Iterator[tuple[int, int, str]]:
        for n, item in enumerate(data, 1):
            if not isinstance(item, dict) or not isinstance(item.get("translatedText"), str):
                raise TranscriptError(video_id, f"{where}: item {n} has no translatedText")
            yield (_seconds(item.get("start"), video_id, where, n, "start"),
                   _seconds(item.get("end"), video_id, where, n, "end"), item["translatedText"])

    return _segments(raw(), language, video_id, where)


def _segments(
    raw: Iterator[tuple[int, int, str]], language: str, video_id: str, where: str
) -> Parsed:
    parsed = normalise_segments(raw, language, video_id=video_id, where=where)
    if not parsed.segments:
        raise TranscriptError(video_id, f"{where}: no text in any segment")
    return parsed


def _cues(text: str, *, vtt: bool, video_id: str, where: str) -> Iterator[tuple[int, int, str]]:
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    timings = [i for i, line in enumerate(lines) if "-->" in line and _TIMING.fullmatch(line)]
    if not timings:
        kind = "WebVTT" if vtt else "SubRip"
        raise TranscriptError(video_id, f"{where}: no {kind} cues found")
    for k, t in enumerate(timings):
        m = _TIMING.fullmatch(lines[t])
        assert m is not None
        try:
            start, end = _ms(*m.group(1, 2, 3, 4)), _ms(*m.group(5, 6, 7, 8))
        except ValueError:
            raise TranscriptError(video_id, f"{where}:{t + 1}: bad cue time") from None
        stop = timings[k + 1] if k + 1 < len(timings) else len(lines)
        body = lines[t + 1:stop]
        # the line just before the next timing line, after a blank line, is its identifier
        ident = stop < len(lines) and len(body) >= 2 and not body[-2].strip()
        if ident and body[-1].strip() and (vtt or body[-1].strip().isdigit()):
            body = body[:-1]
        kept: list[str] = []
        skipping = False
        for n, line in enumerate(body):
            if not line.strip():
                skipping = False
                continue
            if vtt and n > 0 and not body[n - 1].strip() and line.startswith(_VTT_SKIP):
                skipping = True
            if not skipping:
                kept.append(line)
        yield start, end, "\n".join(kept)


def parse_srt(text: str, *, video_id: str, where: str, language: str) -> Parsed:
    """SubRip: numbered cues; styling tags, BOM, CRLF, multi-line and blank-line text handled."""
    if not text.strip():
        raise TranscriptError(video_id, f"{where}: empty file")
    return _segments(_cues(text, vtt=False, video_id=video_id, where=where), language,
                     video_id, where)


def parse_vtt(text: str, *, video_id: str, where: str, language: str) -> Parsed:
    """WebVTT: header, NOTE/STYLE/REGION blocks, identifiers, cue settings, inline tags."""
    if not text.strip():
        raise TranscriptError(video_id, f"{where}: empty file")
    return _segments(_cues(text, vtt=True, video_id=video_id, where=where), language,
                     video_id, where)


PARSERS: dict[str, Parser] = {".json": parse_json, ".srt": parse_srt, ".vtt": parse_vtt}
