"""Transcripts from a folder of files.

Flat files `VIDEO_ID.EXT` or `VIDEO_ID.LANG.EXT` (EXT: json, srt, vtt), and the corpus
layout `VIDEO_ID/LANG/sentence_timings.json` (the original) and
`VIDEO_ID/LANG/sentence_translations.json` (a translation). A file without a language
in its name is the video's original-language transcript.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import TranscriptError
from ..model import Transcript
from .base import TranscriptNotFound, language_matches, preference_order
from .formats import PARSERS, Parser, parse_timings, parse_translations

__all__ = ["LocalSource", "read_text", "require_safe_video_id"]

SAFE_VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_LANG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")
_FLAT_RANK = {".json": 0, ".srt": 1, ".vtt": 2}
UNDETERMINED = "und"


def require_safe_video_id(video_id: str) -> None:
    """A TranscriptError unless `video_id` is safe as a file name (1 to 64 characters
    of [A-Za-z0-9_-]; the notes' own check asks for YouTube's 11)."""
    if not SAFE_VIDEO_ID.fullmatch(video_id):
        raise TranscriptError(video_id, "not a YouTube video id")


def read_text(path: Path, video_id: str, max_bytes: int) -> str:
    """A text file's content (UTF-8, with or without BOM, or UTF-16 with BOM)."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise TranscriptError(
                video_id, f"{path}: file too large ({size:,} bytes; limit {max_bytes:,})"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise TranscriptError(video_id, f"{path}: cannot read ({exc.strerror})") from None
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TranscriptError(
            video_id, f"{path}: not UTF-8 text (byte {exc.start})"
        ) from None


@dataclass(frozen=True)
class _Candidate:
    path: Path
    language: str | None  # None: not named; the video's original language
    parser: Parser
    rank: int
    original: bool  # known to be the video's original-language transcript


class LocalSource:
    """Reads transcripts from `folder`; `TranscriptNotFound` when it has none to offer."""

    def __init__(self, folder: Path, *, max_bytes: int = 200_000_000) -> None:
        self.folder = Path(folder)
        self.max_bytes = max_bytes

    def __repr__(self) -> str:
        return f"LocalSource({str(self.folder)!r})"

    def candidates(self, video_id: str) -> list[_Candidate]:
        out: list[_Candidate] = []
        try:
            names = sorted(p.name for p in self.folder.iterdir())
        except OSError:
            return out
        for name in names:
            if not name.startswith(f"{video_id}."):
                continue
            stem, dot, ext = name.rpartition(".")
            parser = PARSERS.get(f".{ext.lower()}")
            if parser is None or not dot:
                continue
            lang = stem[len(video_id) + 1:] or None
            if stem == video_id:
                lang = None
            elif lang is None or not _LANG.fullmatch(lang):
                continue
            out.append(_Candidate(self.folder / name, lang, parser, _FLAT_RANK[f".{ext.lower()}"],
                                  lang is None))
        corpus = self.folder / video_id
        if corpus.is_dir():
            for lang_dir in sorted(p for p in corpus.iterdir() if p.is_dir()):
                if not _LANG.fullmatch(lang_dir.name):
                    continue
                timings = lang_dir / "sentence_timings.json"
                translations = lang_dir / "sentence_translations.json"
                if timings.is_file():
                    out.append(_Candidate(timings, lang_dir.name, parse_timings, 10, True))
                if translations.is_file():
                    out.append(_Candidate(translations, lang_dir.name, parse_translations, 11,
                                          False))
        return sorted(out, key=lambda c: c.rank)

    def choose(
        self, video_id: str, languages: Sequence[str], original: str | None
    ) -> tuple[_Candidate, str]:
        """The file to read and the language its transcript is in."""
        found = self.candidates(video_id)
        if not found:
            raise TranscriptNotFound(video_id, f"no transcript file in {self.folder}")
        if original is None:
            marked = [c for c in found if c.original and c.language]
            original = marked[0].language if marked else None
        unnamed = [c for c in found if c.language is None]
        if original is not None:
            named = [c for c in found if c.language and language_matches(original, c.language)]
            if named:
                return named[0], named[0].language or original
            if unnamed:
                return unnamed[0], original
        elif unnamed:
            return unnamed[0], UNDETERMINED
        for lang in preference_order(languages, None):
            named = [c for c in found if c.language and language_matches(lang, c.language)]
            if named:
                return named[0], named[0].language or lang
        have = sorted({c.language or UNDETERMINED for c in found})
        if not languages and original is None and len(have) == 1:
            return found[0], have[0]
        wanted = ", ".join(preference_order(languages, original)) or "(no language known)"
        raise TranscriptNotFound(
            video_id,
            f"{self.folder} has transcripts in {', '.join(have)}, not in {wanted}",
        )

    def fetch(
        self, video_id: str, *, languages: Sequence[str] = (), original: str | None = None
    ) -> Transcript:
        require_safe_video_id(video_id)
        cand, language = self.choose(video_id, languages, original)
        text = read_text(cand.path, video_id, self.max_bytes)
        parsed = cand.parser(text, video_id=video_id, where=str(cand.path), language=language)
        return Transcript(video_id, language, parsed.segments, generated=None, source="local",
                          origin=str(cand.path), merged_cues=parsed.merged)
