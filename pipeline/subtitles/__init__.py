"""Subtitle tracks: transcripts re-cut into cues that follow broadcast rules, translated
tracks cut group by group, claims tracks, and the WebVTT/SubRip writers.

Pure functions over `pipeline.model.Cue`/`Segment`, times in milliseconds; only the
`write_*` functions touch files.
"""

from .check import check_cues, cue_rules, rule_names
from .claims import ClaimItem, claim_items, claims_cues, status_class
from .rules import SubtitleError, SubtitleRules, rules_for
from .timing import (
    CueGroup,
    collapse_whitespace,
    cue_groups,
    cues_from_segments,
    translated_cues,
)
from .writer import (
    escape,
    normalize_text,
    payload,
    render_srt,
    render_vtt,
    track_note,
    unescape,
    validate_cues,
    write_srt,
    write_track,
    write_vtt,
)

__all__ = [
    "ClaimItem", "CueGroup", "SubtitleError", "SubtitleRules", "check_cues", "claim_items",
    "claims_cues", "collapse_whitespace", "cue_groups", "cue_rules", "cues_from_segments",
    "escape", "normalize_text", "payload", "render_srt", "render_vtt", "rule_names", "rules_for",
    "status_class", "track_note", "translated_cues", "unescape", "validate_cues", "write_srt",
    "write_track", "write_vtt",
]
