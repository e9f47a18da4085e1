"""A reviewer's edit of an output, read back block by block.

The run knows what it wrote and where each block's translation sits in it (`Region`s).
The edited file is compared with that, line by line; each change must fall inside one
block's translation. Anything else (a changed source line, front matter, quote callout,
a deleted block) cannot be read back: `Unreadable`, and the file is kept as it is.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from ..errors import InterlinearError
from ..render import Region


class Unreadable(InterlinearError):
    """An edit the run cannot read back as block translations."""


def _offsets(lines: Sequence[str]) -> list[int]:
    found = [0]
    for line in lines:
        found.append(found[-1] + len(line))
    return found


def _common(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _narrow(was: str, now: str, tail_first: bool = False) -> tuple[int, int]:
    """How much of a changed chunk is the same at its head and tail: trimmed head first
    the change sits as far right as it can, tail first as far left (an inserted newline
    next to a region's end belongs in it, or after it)."""
    if tail_first:
        tail = _common(was[::-1], now[::-1])
        return _common(was[:len(was) - tail], now[:len(now) - tail]), tail
    head = _common(was, now)
    return head, _common(was[head:][::-1], now[head:][::-1])


def edited_regions(old: str, new: str, regions: Sequence[Region]) -> dict[int, str]:
    """The new text of each region the edit changed, by block index; `Unreadable` when a
    change falls outside the regions or across two of them."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    ao, bo = _offsets(a), _offsets(b)
    changes: dict[int, list[tuple[int, int, str]]] = {}
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if i1 and j1 and a[i1 - 1] == b[j1 - 1]:  # a line of context each side: a change
            i1, j1 = i1 - 1, j1 - 1              # next to a line's end can sit before it
        if i2 < len(a) and j2 < len(b) and a[i2] == b[j2]:
            i2, j2 = i2 + 1, j2 + 1
        start, end = ao[i1], ao[i2]
        was, now = old[start:end], new[bo[j1]:bo[j2]]
        region, lo, hi, put = None, start, end, now
        for cut in (_narrow(was, now), _narrow(was, now, tail_first=True)):
            lo, hi, put = start + cut[0], end - cut[1], now[cut[0]:len(now) - cut[1]]
            region = next((r for r in regions if r.start <= lo and hi <= r.end), None)
            if region is not None:
                break
        if region is None:
            line = old.count("\n", 0, lo) + 1
            raise Unreadable(f"a change at line {line} is outside the translations")
        changes.setdefault(region.block, []).append((lo, hi, put))
    found = {}
    for r in regions:
        if r.block not in changes:
            continue
        text, pos = [], r.start
        for lo, hi, put in sorted(changes[r.block]):
            text.append(old[pos:lo] + put)
            pos = hi
        text.append(old[pos:r.end])
        found[r.block] = "".join(text)
    return found
