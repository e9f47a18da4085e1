"""Subtitle rules (Netflix Timed Text Style Guide, BBC subtitle guidelines), per language."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..errors import OutputError
from ..signature import Signature

# Netflix: 39 characters per line for Cyrillic (Russian); 42 for Latin-script languages.
_CPL = {"ru": 39}


class SubtitleError(OutputError):
    """Cues that cannot be written as they are (overlap, out of order, empty, ...)."""


@dataclass(frozen=True)
class SubtitleRules:
    lang: str = "en"
    max_chars_per_line: int = 42
    max_lines: int = 2
    target_cps: float = 17.0  # reading speed a cue is given time for when there is time
    hard_cps: float = 20.0  # above this a cue is flagged `fast`
    min_duration_ms: int = 833
    max_duration_ms: int = 7000
    min_gap_ms: int = 83  # two frames at 24 fps
    close_gap_ms: int = 500  # a shorter gap to the next cue is closed (down to min_gap_ms)
    # a too-fast cue may borrow reading time from its neighbours: no cue starts more than
    # this before or after where the speech puts it
    max_shift_ms: int = 300

    def __post_init__(self) -> None:
        if self.max_chars_per_line < 8 or self.max_lines not in (1, 2):
            raise ValueError(f"unusable layout rules: {self}")
        if not 0 < self.min_duration_ms <= self.max_duration_ms or self.min_gap_ms < 0:
            raise ValueError(f"unusable timing rules: {self}")
        if self.max_shift_ms < 0:
            raise ValueError(f"unusable timing rules: {self}")
        if not 0 < self.target_cps <= self.hard_cps:
            raise ValueError(f"unusable reading speed rules: {self}")

    @property
    def max_chars(self) -> int:
        """Characters a cue holds at most (its lines plus the line breaks)."""
        return self.max_lines * (self.max_chars_per_line + 1) - 1

    def signature(self) -> Signature:
        """Every rule: what, besides the text and times, the cues were cut to."""
        return Signature("subtitle-rules", asdict(self))

    def describe(self) -> str:
        """One line naming the rules, for a track's header (`close_gap_ms` left out)."""
        return (
            f"lang={self.lang} cpl={self.max_chars_per_line} lines={self.max_lines} "
            f"cps={self.target_cps:g}/{self.hard_cps:g} "
            f"dur={self.min_duration_ms}-{self.max_duration_ms}ms gap={self.min_gap_ms}ms "
            f"shift<={self.max_shift_ms}ms"
        )


def rules_for(lang: str) -> SubtitleRules:
    """The rules for `lang` (`ru`, `pt-BR`, ...)."""
    base = lang.split("-")[0].split("_")[0].lower() or "en"
    return SubtitleRules(lang=base, max_chars_per_line=_CPL.get(base, 42))
