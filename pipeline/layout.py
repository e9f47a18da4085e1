"""Where every output goes (fixed, so that people and scripts can find things).

    OUT/manifest.json
    OUT/alignment.json
    OUT/notes/LANG/CHANNEL/SLUG.md
    OUT/bilingual/LANG/CHANNEL/SLUG.md
    OUT/subtitles/VIDEO_ID/VIDEO_ID.LANG.vtt          (+ .srt)
    OUT/subtitles/VIDEO_ID/VIDEO_ID.claims.LANG.vtt   (+ .srt)
    OUT/review/index.html
    OUT/review/LANG/CHANNEL/SLUG.html

Every path is built from safe names and checked to lie inside OUT.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .fileio import inside, safe_name
from .model import Note


@dataclass(frozen=True)
class Layout:
    out: Path

    def _note_parts(self, note: Note) -> list[str]:
        """CHANNEL (when the note is in a folder) and SLUG, as safe names."""
        parts = [note.channel, note.slug] if note.channel else [note.slug]
        return [safe_name(p) for p in parts]

    @property
    def manifest(self) -> Path:
        return inside(self.out, "manifest.json")

    @property
    def alignment(self) -> Path:
        return inside(self.out, "alignment.json")

    def translated_note(self, note: Note, lang: str) -> Path:
        *head, slug = self._note_parts(note)
        return inside(self.out, "notes", lang, *head, slug + ".md")

    def bilingual_note(self, note: Note, lang: str) -> Path:
        *head, slug = self._note_parts(note)
        return inside(self.out, "bilingual", lang, *head, slug + ".md")

    def transcript_track(self, video_id: str, lang: str, ext: str = "vtt") -> Path:
        vid, code = _track_parts(video_id, lang)
        return inside(self.out, "subtitles", vid, f"{vid}.{code}.{ext}")

    def claims_track(self, video_id: str, lang: str, ext: str = "vtt") -> Path:
        vid, code = _track_parts(video_id, lang)
        return inside(self.out, "subtitles", vid, f"{vid}.claims.{code}.{ext}")

    @property
    def review_index(self) -> Path:
        return inside(self.out, "review", "index.html")

    def review_page(self, note: Note, lang: str) -> Path:
        *head, slug = self._note_parts(note)
        return inside(self.out, "review", lang, *head, slug + ".html")

    def relative(self, path: Path) -> str:
        return path.resolve().relative_to(self.out.resolve()).as_posix()


def _track_parts(video_id: str, lang: str) -> tuple[str, str]:
    """Safe names for a track's video id and language, short enough together that the
    track's file name keeps its extension (ids and codes are short; hostile ones are cut)."""
    return safe_name(video_id, max_len=64, max_bytes=96), safe_name(lang, max_len=40,
                                                                    max_bytes=60)
