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
- an exact duplicate (the same words as one of the cues just before, and the same span or
  starting while that one shows) is dropped; the cue kept lasts until the later end;
- a *carry*: a touching cue that begins with the end of the previous one (as it was before
  this pass) keeps only its new words, with its own times; one with nothing new is dropped
  (the cue before lasting until its end). Always when the carry is whole lines of both
  cues or the whole previous cue, of at least `STRONG` words, and new words follow; or
  when a cue of at most `FLASH_MS` (but not 0) repeats such an end and nothing else. In a *rolling*
  track (most touching cues carry, and several add words or flash) also shorter
  carries that are whole lines or the whole previous cue, carries of `STRONG` words or
  more anywhere, and any cue with nothing new.
Two cues that merely share a word or two are never merged outside a rolling track, and
inside one only when the shared words are whole lines or the whole previous cue. Passes
repeat until nothing changes (so merging is idempotent); nothing is ever reordered, and a
dropped word always has the copy it repeats.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from operator import itemgetter

__all__ = ["FLASH_MS", "STRONG", "TOUCH_MS", "Cue", "merge_repeats"]

Cue = tuple[int, int, tuple[str, ...]]  # start_ms, end_ms, lines (non-empty, single-spaced)
Words = tuple[str, ...]

TOUCH_MS = 250
FLASH_MS = 50  # a cue this short is not for reading: YouTube's 10 ms hold cues
STRONG = 3  # words: a carry this long is no coincidence
_LOOKBACK = 8  # cues searched back for an exact duplicate


def _words(lines: Sequence[str]) -> Words:
    return tuple(lines[0].split() if len(lines) == 1 else " ".join(lines).split())


def merge_repeats(cues: Iterable[Cue]) -> tuple[list[Cue], int]:
    """The cues (sorted by start) with duplicates merged, and how many cues were merged
    (dropped, or cut down to their new words)."""
    out = sorted(cues, key=itemgetter(0))
    words = [_words(lines) for _, _, lines in out]
    trimmed = [False] * len(out)
    total = len(out)
    while (again := _pass(out, words, trimmed)) is not None:
        out, words, trimmed = again
    return out, total - len(out) + sum(trimmed)


def _twins(prev: Cue, prev_words: Words, cue: Cue, words: Words) -> bool:
    """Same words, and the same span or `cue` starting while `prev` shows (`prev` first)."""
    return words == prev_words and (
        cue[0] < prev[1] or (cue[0], cue[1]) == (prev[0], prev[1]))


def _overlap(prev: Words, cur: Words) -> int:
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


def _flash(cue: Cue) -> bool:
    """Shown too briefly to read (a cue of no length has no known length: not a flash)."""
    return 0 < cue[1] - cue[0] <= FLASH_MS


def _carry(prev: Cue, prev_words: Words, cue: Cue, words: Words, m: int,
           rolling: bool) -> int:
    """How many of `cue`'s first words repeat `prev`'s end and are to go (0: none);
    `m`: the longest end of `prev` that `cue` begins with."""
    aligned = max(_line_carry(prev[2], cue[2]), m if m == len(prev_words) else 0)
    if rolling:
        return m if m >= STRONG else aligned
    if aligned == len(words):  # nothing new: only a flash of the previous end goes
        return aligned if _flash(cue) else 0
    return aligned if aligned >= STRONG else 0


def _is_rolling(cues: Sequence[Cue], words: Sequence[Words], overlaps: Sequence[int]) -> bool:
    """Most touching cues carry the previous one's end (exact doubles left out), and some
    add words after it or flash it alone."""
    pairs = carried = growing = flashes = 0
    for i in range(1, len(cues)):
        prev, cue, m = cues[i - 1], cues[i], overlaps[i]
        if cue[0] > prev[1] + TOUCH_MS or _twins(prev, words[i - 1], cue, words[i]):
            continue
        pairs += 1
        if m >= STRONG or (m and (m == len(words[i - 1]) or _line_carry(prev[2], cue[2]))):
            carried += 1
            growing += m < len(words[i])
            flashes += m == len(words[i]) and _flash(cue)
    return 2 * carried >= pairs and (growing >= 3 or flashes >= 2)


def _trim(cue: Cue, cut: int) -> Cue:
    lines: list[str] = []
    left = cut
    for line in cue[2]:
        split = line.split()
        if left >= len(split):
            left -= len(split)
            continue
        lines.append(" ".join(split[left:]))
        left = 0
    return cue[0], cue[1], tuple(lines)


def _pass(cues: list[Cue], words: list[Words], trimmed: list[bool]
          ) -> tuple[list[Cue], list[Words], list[bool]] | None:
    """One pass over the cues; None when it changes nothing."""
    overlaps = [0] + [_overlap(words[i - 1], words[i])
                      if cues[i][0] <= cues[i - 1][1] + TOUCH_MS else 0
                      for i in range(1, len(cues))]
    rolling = any(overlaps) and _is_rolling(cues, words, overlaps)
    out: list[Cue] = []
    out_words: list[Words] = []
    out_trimmed: list[bool] = []
    came: list[int] = []  # out[k] is cues[came[k]], maybe cut down
    seen: dict[Words, list[int]] = {}  # words of cues[came[k]] -> k
    changed = False
    for i, cue in enumerate(cues):
        w = words[i]
        same = seen.get(w)
        twin = None if same is None else next(
            (k for k in reversed(same) if k >= len(out) - _LOOKBACK
             and _twins(out[k], words[came[k]], cue, w)), None)
        cut = 0 if twin is not None or not overlaps[i] else \
            _carry(cues[i - 1], words[i - 1], cue, w, overlaps[i], rolling)
        if twin is not None or (cut and cut == len(w)):
            k = len(out) - 1 if twin is None else twin
            start, end, lines = out[k]
            out[k] = (start, max(end, cue[1]), lines)
            changed = True
            continue
        seen.setdefault(w, []).append(len(out))
        came.append(i)
        if cut:
            out.append(_trim(cue, cut))
            out_words.append(w[cut:])
            changed = True
        else:
            out.append(cue)
            out_words.append(w)
        out_trimmed.append(trimmed[i] or bool(cut))
    return (out, out_words, out_trimmed) if changed else None
