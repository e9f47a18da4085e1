"""Duplicated cues merged: exact doubles, and the rolling repeats of YouTube's auto-captions.

Some exporters write every cue twice. YouTube's auto-generated captions "roll": each cue
shows the previous cue's last line again above the new words, and a 10 ms cue shows that
line alone in between (yt-dlp's WebVTT, after clean-up; converted to SubRip it is the same):

    00:00:00.160 --> 00:00:03.429   Linus, do your kids think your job is
    00:00:03.429 --> 00:00:03.439   Linus, do your kids think your job is
    00:00:03.439 --> 00:00:05.749   Linus, do your kids think your job is
                                    cool or is dad's job always by

Cues are taken in order of start; a cue *touches* the previous one when it starts at most
`TOUCH_MS` after that one ends. The rules:
- an exact duplicate (same words, starting with or before the end of a cue with the same
  words) is dropped; the cue kept lasts until the later end;
- a *carry*: a touching cue that begins with the end of the previous one (as it was before
  this pass) keeps only its new words, with its own times; one with nothing new is dropped
  (the cue before lasting until its end). Always when the carry is whole lines of both
  cues or the whole previous cue, of at least `STRONG` words, and new words follow; or
  when a cue of at most `FLASH_MS` repeats such an end and nothing else. In a *rolling*
  track (most touching cues carry, and several add words or some flash) also shorter
  carries that are whole lines or the whole previous cue, carries of `STRONG` words or
  more anywhere, and any cue with nothing new.
Two cues that merely share a word or two are never merged outside a rolling track, and
inside one only when the shared words are whole lines or the whole previous cue. Passes
repeat until nothing changes (so merging is idempotent); nothing is ever reordered, and a
dropped word always has the copy it repeats.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["FLASH_MS", "STRONG", "TOUCH_MS", "Cue", "merge_repeats"]

Cue = tuple[int, int, tuple[str, ...]]  # start_ms, end_ms, lines (non-empty, single-spaced)

TOUCH_MS = 250
FLASH_MS = 50  # a cue this short is not for reading: YouTube's 10 ms hold cues
STRONG = 3  # words: a carry this long is no coincidence
_LOOKBACK = 8  # cues searched back for an exact duplicate


@dataclass(slots=True)
class _Item:
    start: int
    end: int
    lines: tuple[str, ...]
    words: tuple[str, ...]
    trimmed: bool = False


def _words(lines: Sequence[str]) -> tuple[str, ...]:
    return tuple(" ".join(lines).split())


def merge_repeats(cues: Iterable[Cue]) -> tuple[list[Cue], int]:
    """The cues (sorted by start) with duplicates merged, and how many cues were merged
    (dropped, or cut down to their new words)."""
    items = [_Item(s, e, tuple(lines), _words(lines))
             for s, e, lines in sorted(cues, key=lambda c: c[0])]
    total = len(items)
    changed = True
    while changed:
        items, changed = _pass(items)
    merged = total - len(items) + sum(it.trimmed for it in items)
    return [(it.start, it.end, it.lines) for it in items], merged


def _touches(prev: _Item, cue: _Item) -> bool:
    return cue.start <= prev.end + TOUCH_MS


def _twins(prev: _Item, cue: _Item) -> bool:
    """Same words, and the same span or `cue` starting while `prev` shows (`prev` first)."""
    return cue.words == prev.words and (
        cue.start < prev.end or (cue.start, cue.end) == (prev.start, prev.end))


def _overlap(prev: tuple[str, ...], cur: tuple[str, ...]) -> int:
    """The length of the longest end of `prev` that `cur` begins with."""
    if not cur or cur[0] not in prev:
        return 0
    first, size = cur[0], len(prev)
    for i in range(max(0, size - len(cur)), size):
        if prev[i] == first and prev[i:] == cur[:size - i]:
            return size - i
    return 0


def _line_carry(prev: Sequence[str], cur: Sequence[str]) -> int:
    """Words in the longest run of `cur`'s first lines that are `prev`'s last lines."""
    for k in range(min(len(prev), len(cur)), 0, -1):
        if tuple(prev[-k:]) == tuple(cur[:k]):
            return len(_words(cur[:k]))
    return 0


def _flash(cue: _Item) -> bool:
    return cue.end - cue.start <= FLASH_MS


def _carry(prev: _Item, cue: _Item, m: int, rolling: bool) -> int:
    """How many of `cue`'s first words repeat `prev`'s end and are to go (0: none);
    `m`: the longest end of `prev` that `cue` begins with."""
    if not m:
        return 0
    aligned = max(_line_carry(prev.lines, cue.lines), m if m == len(prev.words) else 0)
    if rolling:
        return m if m >= STRONG else aligned
    if aligned == len(cue.words):  # nothing new: only a flash of the previous end goes
        return aligned if _flash(cue) else 0
    return aligned if aligned >= STRONG else 0


def _is_rolling(items: Sequence[_Item], overlaps: Sequence[int]) -> bool:
    """Most touching cues carry the previous one's end (exact doubles left out), and some
    add words after it or flash it alone."""
    pairs = carried = growing = flashes = 0
    for prev, cue, m in zip(items, items[1:], overlaps[1:], strict=False):
        if not _touches(prev, cue) or _twins(prev, cue):
            continue
        pairs += 1
        if m >= STRONG or (m and (m == len(prev.words) or _line_carry(prev.lines, cue.lines))):
            carried += 1
            growing += m < len(cue.words)
            flashes += m == len(cue.words) and _flash(cue)
    return 2 * carried >= pairs and (growing >= 3 or flashes >= 1)


def _trim(cue: _Item, cut: int) -> _Item:
    lines: list[str] = []
    left = cut
    for line in cue.lines:
        words = line.split()
        if left >= len(words):
            left -= len(words)
            continue
        lines.append(" ".join(words[left:]))
        left = 0
    return _Item(cue.start, cue.end, tuple(lines), cue.words[cut:], trimmed=True)


def _pass(items: list[_Item]) -> tuple[list[_Item], bool]:
    overlaps = [0] + [_overlap(prev.words, cue.words) if _touches(prev, cue) else 0
                      for prev, cue in zip(items, items[1:], strict=False)]
    rolling = _is_rolling(items, overlaps)
    out: list[_Item] = []
    came: list[_Item] = []  # out[i] as it came into this pass
    seen: dict[tuple[str, ...], list[int]] = {}  # words -> where in `came`
    changed = False
    for i, cue in enumerate(items):
        twin = None
        for j in reversed(seen.get(cue.words, ())):
            if j < len(came) - _LOOKBACK:
                break
            if _twins(came[j], cue):
                twin = j
                break
        cut = 0 if twin is not None or not i else _carry(items[i - 1], cue, overlaps[i], rolling)
        if twin is not None or (cut and cut == len(cue.words)):
            keep = out[-1] if twin is None else out[twin]
            keep.end = max(keep.end, cue.end)
            changed = True
            continue
        seen.setdefault(cue.words, []).append(len(came))
        out.append(_trim(cue, cut) if cut else cue)
        came.append(cue)
        changed = changed or bool(cut)
    return out, changed
