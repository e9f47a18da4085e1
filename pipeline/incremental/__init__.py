"""Incremental runs: stage results stored under the hash of what they depend on.

`store`: keys (`content_key`, `glossary_terms_key`, ...), the on-disk `ResultStore`,
output digests and `TaskRecord`. `stages`: the run's stages over the store (align,
translate, tracks, claims tracks, render), each reporting per item whether it ran or
reused a stored result.
"""

from .stages import (
    Aligned,
    Context,
    Translated,
    align_stage,
    claims_stage,
    note_item,
    render_stage,
    tracks_stage,
    translate_stage,
    translation_key,
)
from .store import (
    SCHEME,
    ResultStore,
    TaskRecord,
    content_key,
    digests,
    file_digest,
    glossary_names_key,
    glossary_terms,
    glossary_terms_key,
    outputs_intact,
    transcript_hash,
)

__all__ = [
    "SCHEME", "Aligned", "Context", "ResultStore", "TaskRecord", "Translated", "align_stage",
    "claims_stage", "content_key", "digests", "file_digest", "glossary_names_key",
    "glossary_terms", "glossary_terms_key", "note_item", "outputs_intact", "render_stage",
    "tracks_stage", "transcript_hash", "translate_stage",
    "translation_key",
]
