"""Rendering the human-facing outputs: bilingual and translated notes, the review pages.

Pure functions returning text; the caller writes the files (atomically).
"""

from .markdown import bilingual_note, front_matter, provenance_block, translated_note
from .review import (
    CueFlag,
    ReviewEntry,
    relative_href,
    review_entry,
    review_index,
    review_note_page,
    review_page_parts,
)

__all__ = [
    "CueFlag",
    "ReviewEntry",
    "bilingual_note",
    "front_matter",
    "provenance_block",
    "relative_href",
    "review_entry",
    "review_index",
    "review_note_page",
    "review_page_parts",
    "translated_note",
]
