"""The review loop: what reviewers write in the outputs is read back and kept.

- `edits`: a reviewer's edit of an output, read back block by block (`edited_regions`).
- `store`: approved translations in one human-readable file per vault
  (`VAULT/.interlinear/review.jsonl`), never under OUT; `block_reviews` says, per block
  of a note and language, whether its translation is approved, to review again, or
  machine-made (with the old approved text as a hint when its source changed).
"""

from .edits import Unreadable, edited_regions
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
    "Approval", "Approvals", "BlockReview", "ReviewStore", "Unreadable", "block_reviews",
    "default_reviewer", "default_store", "edited_regions", "review_counts", "source_hash",
]
