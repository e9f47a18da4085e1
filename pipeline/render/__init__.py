"""Rendering the human-facing outputs: bilingual and translated notes, the review pages.

Pure functions returning text; the caller writes the files (atomically).
"""

from .common import (
    QUOTE_CHARS,
    UNTRANSLATED_QUOTES,
    UNTRANSLATED_TRACK,
    Quote,
    check_quote,
    check_quote_of,
    quote_text,
)
from .index import ReviewEntry, review_entry, review_index
from .markdown import (
    Region,
    bilingual_block_text,
    bilingual_note,
    bilingual_note_regions,
    front_matter,
    provenance_fields,
    translated_block_text,
    translated_note,
    translated_note_regions,
)
from .page import NoteSource, relative_href, review_page_parts
from .review import CueFlag, review_note_page

__all__ = [
    "QUOTE_CHARS",
    "UNTRANSLATED_QUOTES",
    "UNTRANSLATED_TRACK",
    "CueFlag",
    "NoteSource",
    "Quote",
    "Region",
    "ReviewEntry",
    "bilingual_block_text",
    "bilingual_note",
    "bilingual_note_regions",
    "check_quote",
    "check_quote_of",
    "front_matter",
    "provenance_fields",
    "quote_text",
    "relative_href",
    "review_entry",
    "review_index",
    "review_note_page",
    "review_page_parts",
    "translated_block_text",
    "translated_note",
    "translated_note_regions",
]
