"""The claims track: each claim of the notes as a cue at the moment it cites."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby

from ..model import Cue, NoteAlignment
from .breaks import cut_text
from .rules import SubtitleRules
from .timing import Plan, collapse_whitespace, spread, time_plans

_CLASS_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class ClaimItem:
    """One claim at the time its citation resolved to, with the citation's status."""

    start_ms: int
    text: str
    status: str = "ok"


def claim_items(alignment: NoteAlignment, texts: Mapping[int, str]) -> list[ClaimItem]:
    """The claims of one note at their resolved times; `texts` maps a claim index to the
    text to show (the claim, or its translation). Citations that resolved to no time are
    left out, and one claim cited twice at the same time is shown once."""
    items: list[ClaimItem] = []
    seen: set[tuple[int, int]] = set()
    for check in alignment.checks:
        if check.resolved_ms is None or check.claim_index not in texts:
            continue
        key = (check.resolved_ms, check.claim_index)
        if key not in seen:
            seen.add(key)
            items.append(ClaimItem(check.resolved_ms, texts[check.claim_index], check.status))
    return items


def status_class(status: str) -> str:
    """A cue class name for a status (`suspect`, `out_of_range`)."""
    return _CLASS_UNSAFE.sub("_", status) or "unknown"


def _clip(text: str, limit: int) -> str:
    """`text` cut at a word boundary to at most `limit` characters, with an ellipsis."""
    if len(text) <= limit:
        return text
    words = text[: max(limit - 1, 1)].split(" ")
    kept = " ".join(words[:-1]) if len(words) > 1 else words[0]
    return kept.rstrip(" ,;:") + "…"


def claims_cues(items: Sequence[ClaimItem], rules: SubtitleRules,
                max_ms: int = 7000) -> list[Cue]:
    """Cues for claims: each from its time until the next claim (minus the gap) or for at
    most `max_ms`, classed with its status. Claims at the same time share the time, one
    after another. A claim longer than can be read at the hard reading speed in its time
    is cut at a word and ends with an ellipsis; a claim needing several cues gets several,
    one after another."""
    ordered = sorted((i for i in items if collapse_whitespace(i.text)), key=lambda i: i.start_ms)
    clusters = [list(g) for _, g in groupby(ordered, key=lambda i: i.start_ms)]
    step = rules.min_duration_ms + rules.min_gap_ms
    plans: list[Plan] = []
    number = 0
    for c, cluster in enumerate(clusters):
        t = cluster[0].start_ms
        end = t + max_ms * len(cluster)
        if c + 1 < len(clusters):
            end = min(end, clusters[c + 1][0].start_ms - rules.min_gap_ms)
        end = max(end, t + len(cluster) * step - rules.min_gap_ms)
        texts = [collapse_whitespace(i.text) for i in cluster]
        total = sum(len(x) for x in texts)
        acc = 0
        for item, text in zip(cluster, texts, strict=True):
            number += 1
            a = t + (end - t) * acc / total
            acc += len(text)
            b = t + (end - t) * acc / total
            fits = max(1, int((b - a + rules.min_gap_ms) // step))
            limit = min(fits * rules.max_chars, int((b - a) * rules.hard_cps / 1000))
            shown = _clip(text, max(limit, 8))
            # cut as if read at the target speed: a short claim stays one cue, however long
            # it may stay on screen
            pieces = cut_text(shown, rules, min(b - a, len(shown) * 1000 / rules.target_cps))
            plans.extend(spread(pieces, a, b, (status_class(item.status),), f"c{number}", b))
    return time_plans(plans, rules)

