"""Text of the shared corpus for the benchmarks."""

from __future__ import annotations

import json
from pathlib import Path


def english_sentences(corpus: Path, limit: int) -> list[str]:
    """The first `limit` distinct sentences of the corpus's English transcripts (their
    `sentence_timings.json`, videos in order of id), whitespace collapsed."""
    seen: dict[str, None] = {}
    for f in sorted((corpus / "transcripts").glob("*/en/sentence_timings.json")):
        for sentence, _start, _end in json.loads(f.read_text(encoding="utf-8")):
            s = " ".join(str(sentence).split())
            if s:
                seen.setdefault(s)
            if len(seen) >= limit:
                return list(seen)
    return list(seen)
