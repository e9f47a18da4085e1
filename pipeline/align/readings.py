"""Readings of a written citation time: what the note may have meant by it.

Notes written by language models get times wrong in a few recurring ways: `MM:SS:00` for
`00:MM:SS` (`01:24:00` meaning 1 min 24 s), a fourth field (`1:00:21:00` for `1:00:21`),
a stray digit (`01:00:010`), minutes or seconds of 60 or more. `readings(written)` lists
every plausible reading, each with the rule that produced it and a cost (0: as written);
the aligner keeps those inside the video and picks the one the transcript supports best.
Pure: text in, readings out; never raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..timecode import parse_timestamp

__all__ = ["Reading", "readings", "as_written", "is_mmss_form"]

_FORM = re.compile(r"\s*\d{1,6}(?:\s*[:.]\s*\d{1,6}){0,4}\s*")
_MAX_FIELDS = 5


@dataclass(frozen=True)
class Reading:
    ms: int
    rule: str  # as_written / mmss_00 / drop_last / drop_first / trim_digit / overflow / join
    cost: int  # 0 for the literal reading; higher for less likely slips


def _hms(fields: list[int]) -> int | None:
    """Fields read as [[H:]M:]S with M and S below 60, in milliseconds."""
    if not 1 <= len(fields) <= 3:
        return None
    *rest, s = fields
    m = rest[-1] if rest else 0
    h = rest[-2] if len(rest) == 2 else 0
    if m >= 60 or s >= 60:
        return None
    return ((h * 60 + m) * 60 + s) * 1000


def _fields(written: str) -> list[str] | None:
    if not _FORM.fullmatch(written):
        return None
    return re.findall(r"\d+", written)


def as_written(written: str) -> int | None:
    """The time as the note writes it (`[H]H:MM:SS`, `MM:SS`), or None if unreadable."""
    return parse_timestamp(written)


def is_mmss_form(written: str) -> bool:
    """`MM:SS:00`: three fields, the last zero, the first two valid minutes and seconds."""
    f = _fields(written)
    return (f is not None and len(f) == 3 and int(f[2]) == 0
            and int(f[0]) < 60 and int(f[1]) < 60)


def _digit_variants(field: str) -> set[str]:
    """A field of three or more digits with one digit too many: each digit dropped."""
    if len(field) < 3:
        return {field}
    return {field[:i] + field[i + 1:] for i in range(len(field))}


def readings(written: str) -> tuple[Reading, ...]:
    """All plausible readings of `written`, cheapest first, one per distinct time."""
    found: dict[int, Reading] = {}

    def add(ms: int | None, rule: str, cost: int) -> None:
        if ms is None or ms < 0:
            return
        old = found.get(ms)
        if old is None or cost < old.cost:
            found[ms] = Reading(ms, rule, cost)

    literal = as_written(written)
    add(literal, "as_written", 0)
    raw = _fields(written)
    if raw is None or len(raw) > _MAX_FIELDS:
        return tuple(sorted(found.values(), key=lambda r: (r.cost, r.ms)))
    nums = [int(x) for x in raw]
    n = len(nums)
    if literal is None:
        add(_hms(nums), "as_written", 0)
    # MM:SS:00 written for 00:MM:SS; the commonest slip
    if n == 3 and nums[2] == 0:
        add(_hms(nums[:2]), "mmss_00", 1)
    # a trailing `:00` (or any trailing field) too many: 1:00:21:00, 12:34:56 (MM:SS:FF)
    if n >= 2:
        add(_hms(nums[:-1]), "drop_last", 1 if nums[-1] == 0 and n == 4 else 2)
        if n == 4 and nums[-1] == 0:
            add(_hms(nums[:2]), "drop_last", 3)
    # a leading field too many: 00:01:24:00 -> 01:24:00 is not it, but 00:00:01:24 is
    if n >= 2 and nums[0] == 0:
        add(_hms(nums[1:]), "drop_first", 1 if n == 4 else 2)
    # a stray digit: 01:00:010 -> 01:00:10 or 01:00:01
    if any(len(x) >= 3 for x in raw) and n <= 3:
        variants: list[list[str]] = [[]]
        for x in raw:
            variants = [v + [d] for v in variants for d in sorted(_digit_variants(x))]
        for v in variants[:64]:
            add(_hms([int(d) for d in v]), "trim_digit", 1)
    # minutes or seconds of 60 and more: 00:01:75 -> 1:75 -> 135 s
    if 2 <= n <= 3 and _hms(nums) is None:
        *rest, s = nums
        m = rest[-1]
        h = rest[-2] if n == 3 else 0
        add(((h * 60 + m) * 60 + s) * 1000, "overflow", 2)
    # two fields run together: 1:4:17 -> 14:17
    if n == 3 and len(raw[0]) == 1 and len(raw[1]) == 1:
        add(_hms([nums[0] * 10 + nums[1], nums[2]]), "join", 2)
    return tuple(sorted(found.values(), key=lambda r: (r.cost, r.ms)))
