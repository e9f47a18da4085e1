"""Whether an engine's output can be the whole translation of its input.

Measured on 1,800 corpus transcript sentences (en->pt, Bergamot, 6 to 90 words), the
output has 0.62 to 1.38 times the words of its input (0.79 to 1.22 from 30 words on).
An output is suspect when:

- it is empty;
- it has under `FLOOR` times the words of an input of `SHORT` (8) words or more: 0.5,
  0.6 from `LONG` (20) words on (sentences lost); or over `CEILING` (2.5) times plus
  `SHORT` (a runaway decoder);
- it repeats an n-gram (n <= 6) back to back at least 3 times (4 for a single word) and
  2 times more than the input does: a decoder loop ("ass, ass, ass, ass"), not a
  translation that adds a word ("No, no, that is not it" -> "Não, não, não é isso");
- one of its 4-grams occurs 4 times or more, 3 more than the input's most frequent one.

Sizes are `split.size` with a CJK character counting as `CJK` (0.7) of a word (an
English word takes about 1.5 Chinese or 2.5 Japanese characters).
"""

from __future__ import annotations

import re
from collections import Counter

from .split import size

__all__ = ["CEILING", "FLOOR", "LONG", "SHORT", "suspect"]

FLOOR = (0.5, 0.6)  # under LONG words, from LONG words on
CEILING = 2.5
SHORT = 8
LONG = 20
CJK = 0.7  # of a word, per CJK character
_MAX_N = 6
_SCANNED = 400  # tokens looked at for loops (an output that long is already too long)


def suspect(source: str, output: str) -> str | None:
    """Why `output` cannot be the whole translation of `source`, or None."""
    if not output.strip():
        return "empty output"
    n_in, n_out = size(source, CJK), size(output, CJK)
    if n_in >= SHORT and n_out < FLOOR[n_in >= LONG] * n_in:
        return f"output too short ({n_out} words for {n_in})"
    if n_out > CEILING * n_in + SHORT:
        return f"output too long ({n_out} words for {n_in})"
    src, out = _tokens(source), _tokens(output)
    for n in range(1, _MAX_N + 1):
        times, gram = _loop(out, n)
        if times >= (4 if n == 1 else 3) and times >= _loop(src, n)[0] + 2:
            return f"output repeats {' '.join(gram)!r} {times} times"
    grams = Counter(zip(*(out[i:] for i in range(4)), strict=False))
    if grams:
        gram, times = grams.most_common(1)[0]
        own = Counter(zip(*(src[i:] for i in range(4)), strict=False)).most_common(1)
        if times >= 4 and times >= (own[0][1] if own else 0) + 3:
            return f"output repeats {' '.join(gram)!r} {times} times"
    return None


def _tokens(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())[:_SCANNED]


def _loop(tokens: list[str], n: int) -> tuple[int, tuple[str, ...]]:
    """The most back-to-back repetitions of one n-gram, and that n-gram."""
    best, gram = 1, tuple(tokens[:n])
    for i in range(len(tokens) - 2 * n + 1):
        head = tokens[i:i + n]
        k = 1
        while tokens[i + k * n:i + (k + 1) * n] == head:
            k += 1
        if k > best:
            best, gram = k, tuple(head)
    return best, gram
