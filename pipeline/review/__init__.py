"""The review loop: what a reviewer decides is kept and written back into the vault.

- `fix`: the anchors of a note rewritten for repaired `MM:SS:00` times and accepted
  suggestions (only the `data-t` value and the bracketed time change), as a unified diff
  or an atomic write that refuses a note changed since it was aligned.
- `decisions`: citation decisions (accept a suggested time, dismiss a false alarm) read
  from the bilingual note's task checkboxes and kept in the vault's review store.
"""

from .fix import AnchorEdit, NoteChanged, anchor_edits, apply_edits, rewrite_anchor, unified_diff

__all__ = ["AnchorEdit", "NoteChanged", "anchor_edits", "apply_edits", "rewrite_anchor",
           "unified_diff"]
