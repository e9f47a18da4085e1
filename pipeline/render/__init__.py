"""Rendering the human-facing outputs: bilingual and translated notes, the review pages.

Pure functions returning text; the caller writes the files (atomically).
"""

from .index import ReviewEntry, review_entry, review_index
from .markdown import bilingual_note, front_matter, provenance_block, translated_note
from .page import relative_href, review_page_parts
from .review import CueFlag, review_note_page

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
