"""A suggestion on joined captions moved to where, inside its sentence, the claim is said.

Community subtitles drop periods and merge sentences ("... как они работают Замечательно
то, что любая система ..."), so one joined sentence can hold the end of one English
sentence and the start of the next: suggested at its start, a suspect citation points a
sentence early. `refined` weighs, for each suggestion on joined captions, the sentence
against its tails from each caption fragment that starts inside it after one with no
punctuation at its end (the fragment's own time, no estimate), and keeps the tail the
claim is most similar to (the sentence itself when none is more similar). A fragment
after a comma, a colon or a dash goes on with its sentence, so a suggestion stays at the
start of "Второй признак — президент Турции Эрдоган объявил, что собирается обсудить с
Путиным ...", where the claim about Erdogan begins. The settings ask for it across languages
(`AlignSettings.refine_tails` in `cross_lingual_captions`): on captions in the claims'
language sentences line up and it only moved suggestions inside the right one. Pure but
for the embedder it is given.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from ..model import CitationCheck, Segment

__all__ = ["refined", "tails"]

# text ending in a comma, a colon, a semicolon or a dash: its sentence goes on
_GOES_ON = re.compile(r"[,;:\u2013\u2014-]\s*$")


def tails(sentence: Segment, fragments: Sequence[Segment]) -> list[Segment]:
    """`sentence` from each fragment that starts strictly inside it, after text with no
    punctuation at its end, on: the fragment's start, the sentence's end, the sentence's
    text from that fragment's first words on (found in order; a fragment whose words are
    not found is skipped)."""
    out: list[Segment] = []
    at = 1
    for frag in fragments:
        if not sentence.start_ms < frag.start_ms < sentence.end_ms:
            continue
        words = frag.text.split()
        needle = " ".join(words[:6])
        pos = sentence.text.find(needle, at) if needle else -1
        if pos <= 0:
            continue
        at = pos + 1
        if _GOES_ON.search(sentence.text, 0, pos):
            continue
        out.append(Segment(frag.start_ms, sentence.end_ms, sentence.text[pos:],
                           sentence.language))
    return out


def refined(checks: Sequence[CitationCheck], claim_vectors: dict[int, np.ndarray],
            fragments: Sequence[Segment],
            passages: Callable[[list[str]], np.ndarray]) -> list[CitationCheck]:
    """`checks` with each one-sentence suggestion moved to its best tail (see the module);
    `claim_vectors`: by claim index, unit rows; `passages`: texts -> unit rows."""
    out = []
    for check in checks:
        vec = claim_vectors.get(check.claim_index)
        if check.suggested_ms is None or len(check.suggestion) != 1 or vec is None:
            out.append(check)
            continue
        (sentence,) = check.suggestion
        options = tails(sentence, fragments)
        if not options:
            out.append(check)
            continue
        sims = passages([sentence.text, *(t.text for t in options)]) @ vec
        best = int(np.argmax(sims))  # the first of equals: the sentence on a tie
        if best == 0:
            out.append(check)
            continue
        tail = options[best - 1]
        out.append(replace(check, suggested_ms=tail.start_ms, suggestion=(tail,)))
    return out
