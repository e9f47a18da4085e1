"""Per-rule conformance of cues: the rules of `check_vtt.py`, on the cues as written."""

from __future__ import annotations

from collections.abc import Sequence

from ..model import Cue
from .rules import SubtitleRules
from .writer import escape, normalize_text


def rule_names(rules: SubtitleRules) -> list[str]:
    """The rule names, as `check_vtt.py` prints them for the default rules."""
    return [
        "end>start", "order", f"gap>={rules.min_gap_ms}ms", f"lines<={rules.max_lines}",
        f"cpl<={rules.max_chars_per_line}",
        f"{rules.min_duration_ms}ms<=dur<={rules.max_duration_ms / 1000:g}s",
        f"cps<={rules.hard_cps:g}", "escaped", "non-empty",
    ]


def cue_rules(cues: Sequence[Cue], k: int, rules: SubtitleRules) -> dict[str, bool]:
    """Which rules cue `k` of `cues` meets."""
    cue = cues[k]
    lines = normalize_text(cue.text).split("\n")
    chars = sum(len(line) for line in lines)
    dur = cue.end_ms - cue.start_ms
    names = rule_names(rules)
    nxt = cues[k + 1] if k + 1 < len(cues) else None
    values = [
        dur > 0,
        k == 0 or cue.start_ms >= cues[k - 1].start_ms,
        nxt is None or nxt.start_ms - cue.end_ms >= rules.min_gap_ms,
        1 <= len(lines) <= rules.max_lines,
        all(len(line) <= rules.max_chars_per_line for line in lines),
        rules.min_duration_ms <= dur <= rules.max_duration_ms,
        dur > 0 and chars * 1000 / dur <= rules.hard_cps,
        all("<" not in escape(line) for line in lines),
        any(line.strip() for line in lines),
    ]
    return dict(zip(names, values, strict=True))


def check_cues(cues: Sequence[Cue], rules: SubtitleRules) -> dict[str, float]:
    """Share (0..1) of cues meeting each rule, and `ALL`: every rule but reading speed.
    No cues: every share is 1."""
    names = rule_names(rules)
    speed = names[6]
    counts = dict.fromkeys([*names, "ALL"], 0)
    for k in range(len(cues)):
        ok = cue_rules(cues, k, rules)
        for name, value in ok.items():
            counts[name] += value
        counts["ALL"] += all(v for n, v in ok.items() if n != speed)
    n = len(cues)
    return {name: (c / n if n else 1.0) for name, c in counts.items()}
