"""Which language a text is in, from the text alone.

py3langid (BSD-3-Clause, a maintained fork of langid.py) with the model inside its wheel
(97 languages, 4.6 MB): nothing is downloaded. `bench/bench_langid.py` chose it over
lingua-language-detector, langdetect and pycld2 on the corpus's caption text (ru, uk, de,
es, fr, pt, en): the best accuracy on single caption fragments (97.6% mean), every
ten-cue run and every whole caption file right, a 2-second load (lingua's: 39 s).
The model is loaded on first use, once per process.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, replace
from typing import Any

from .model import Transcript

MIN_CONFIDENCE = 0.5  # below it a transcript keeps "und" (not recognised)
SAMPLE_CHARS = 20_000  # a transcript is judged on this much of its text, spread over it
UNDETERMINED = "und"

_LOCK = threading.Lock()
_MODEL: list[Any] = []


@dataclass(frozen=True)
class Detected:
    """A text's language and the model's probability for it (0..1)."""

    lang: str
    confidence: float


def _identifier() -> Any:
    with _LOCK:
        if not _MODEL:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _MODEL.append(LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True))
        return _MODEL[0]


def detect_language(text: str) -> Detected | None:
    """The language of `text`; None when it has no letters to judge by."""
    if not any(c.isalpha() for c in text):
        return None
    lang, confidence = _identifier().classify(text)
    return Detected(str(lang), round(float(confidence), 4))


def sample_text(texts: list[str], limit: int = SAMPLE_CHARS) -> str:
    """About `limit` characters of `texts`: every k-th text, so that the beginning,
    middle and end count alike (an intro in another language does not decide alone)."""
    step = max(1, math.ceil(sum(len(t) + 1 for t in texts) / limit))
    return " ".join(texts[::step])[:limit]


def label_transcript(transcript: Transcript) -> tuple[Transcript, Detected | None]:
    """An unlabelled (`und`) transcript with the language detected from its text, and the
    detection; as it was when its language is known, or not recognised."""
    if transcript.language != UNDETERMINED or not transcript.segments:
        return transcript, None
    found = detect_language(sample_text([s.text for s in transcript.segments]))
    if found is None or found.confidence < MIN_CONFIDENCE:
        return transcript, found
    segments = tuple(replace(s, language=found.lang) for s in transcript.segments)
    return replace(transcript, language=found.lang, segments=segments), found
