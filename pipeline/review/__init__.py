"""The review loop: what reviewers write in the outputs is read back, kept, and written
back into the vault.

- `edits`: a reviewer's edit of an output, read back block by block (`edited_regions`).
- `store`: approved translations in one human-readable file per vault
  (`VAULT/.interlinear/review.jsonl`), never under OUT; `block_reviews` says, per block
  of a note and language, whether its translation is approved, to review again, or
  machine-made (with the old approved text as a hint when its source changed).
- `decisions`: citation decisions (accept a suggested time, dismiss a false alarm) read
  from the bilingual note's task checkboxes and kept in the same file.
- `fix`: the anchors of a note rewritten for repaired `MM:SS:00` times and accepted
  suggestions (only the `data-t` value and the bracketed time change).
"""

from .edits import Unreadable, edited_regions
from .fix import AnchorEdit, NoteChanged, anchor_edits, apply_edits, rewrite_anchor, unified_diff
from .store import (
    Approval,
    Approvals,
    BlockReview,
    ReviewStore,
    block_reviews,
    default_reviewer,
    default_store,
    review_counts,
    source_hash,
)

__all__ = [
    "AnchorEdit", "Approval", "Approvals", "BlockReview", "NoteChanged", "ReviewStore",
    "Unreadable", "anchor_edits", "apply_edits", "block_reviews", "default_reviewer",
    "default_store", "edited_regions", "review_counts", "rewrite_anchor", "source_hash",
    "unified_diff",
]
