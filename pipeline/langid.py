"""Which language a text is in, from the text alone.

py3langid (BSD-3-Clause, a maintained fork of langid.py) with the model inside its wheel
(97 languages, 4.6 MB): nothing is downloaded. `bench/bench_langid.py` chose it over
lingua-language-detector, langdetect and pycld2 on the corpus's caption text (ru, uk, de,
es, fr, pt, en): the best accuracy on single caption fragments (97.6% mean), every
ten-cue run and every whole caption file right, a 2-second load (lingua's: 39 s).
The model is loaded on first use, once per process. `Detector` keeps its answers on disk by
the text's hash, so a run whose notes and transcripts did not change never loads it.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .fileio import atomic_write_text
from .languages import model_language
from .model import Note, Transcript
from .notes import language_code, plain_text
from .signature import Signature

MIN_CONFIDENCE = 0.5  # below it a transcript keeps "und" (not recognised)
NOTE_CONFIDENCE = 0.9  # below it a note is taken to be in the run's source language
NOTE_LANG_KEY = "note_lang"  # the front matter's word for the note's own language
SAMPLE_CHARS = 20_000  # a transcript is judged on this much of its text, spread over it
UNDETERMINED = "und"

_LOCK = threading.Lock()
_MODEL: list[Any] = []
log = logging.getLogger(__name__)


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


def likelihood(text: str, lang: str) -> float:
    """The model's probability (0..1) that `text` is in `lang`; 1 when it has no letters."""
    if not any(c.isalpha() for c in text):
        return 1.0
    return float(dict(_identifier().rank(text)).get(lang, 0.0))


@functools.cache
def model_id() -> str:
    """The detector's model and settings (a new one: new answers in `Detector`)."""
    from importlib.metadata import version

    return f"py3langid-{version('py3langid')}/norm_probs"


Detect = Callable[[str], "Detected | None"]


class Detector:
    """`detect_language` with its answers kept in `folder` (one small JSON file per text,
    named by the key of a `Signature` of the model id and the text, written atomically):
    the same text is answered from the file, without loading the model. An unreadable file
    is a miss."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def __call__(self, text: str) -> Detected | None:
        key = Signature.of("langid", model=model_id(), text=text).key
        path = self.folder / key[:2] / f"{key}.json"
        try:
            kept = json.loads(path.read_text(encoding="utf-8"))
            return None if kept is None else Detected(str(kept[0]), float(kept[1]))
        except (OSError, ValueError, TypeError, IndexError, KeyError):
            pass
        found = detect_language(text)
        try:
            atomic_write_text(path, json.dumps(
                None if found is None else [found.lang, found.confidence]))
        except OSError as exc:  # the answer stands; only the next run pays again
            log.warning("language detection: cannot keep the answer in %s: %s", path, exc)
        return found


def sample_text(texts: list[str], limit: int = SAMPLE_CHARS) -> str:
    """About `limit` characters of `texts`: every k-th text, so that the beginning,
    middle and end count alike (an intro in another language does not decide alone)."""
    step = max(1, math.ceil(sum(len(t) + 1 for t in texts) / limit))
    return " ".join(texts[::step])[:limit]


def label_transcript(transcript: Transcript, detect: Detect = detect_language
                     ) -> tuple[Transcript, Detected | None]:
    """An unlabelled (`und`) transcript with the language detected from its text, and the
    detection; as it was when its language is known, or not recognised."""
    if transcript.language != UNDETERMINED or not transcript.segments:
        return transcript, None
    found = detect(sample_text([s.text for s in transcript.segments]))
    if found is None or found.confidence < MIN_CONFIDENCE:
        return transcript, found
    segments = tuple(replace(s, language=found.lang) for s in transcript.segments)
    return replace(transcript, language=found.lang, segments=segments), found


@functools.lru_cache(maxsize=8192)
def _char_script(ch: str) -> str | None:
    """The Unicode script of a letter (None for any other character)."""
    return unicodedata.name(ch, "?").split()[0] if ch.isalpha() else None


def script_counts(text: str) -> Counter[str]:
    """How many of `text`'s letters are in each Unicode script (LATIN, CYRILLIC, CJK...):
    each distinct character looked up once."""
    found: Counter[str] = Counter()
    for ch, n in Counter(text).items():
        name = _char_script(ch)
        if name is not None:
            found[name] += n
    return found


def script(text: str) -> str | None:
    """The Unicode script most of `text`'s letters are in."""
    return _most(script_counts(text))


def _most(counts: Counter[str]) -> str | None:
    return counts.most_common(1)[0][0] if counts else None


def in_main_script(texts: list[str]) -> list[str]:
    """The texts in the script most letters of all of them are in (each text judged
    whole), and those without letters."""
    counts = [script_counts(t) for t in texts]
    scripts = [_most(c) for c in counts]
    weight: Counter[str] = Counter()
    for found, count in zip(scripts, counts, strict=True):
        if found is not None:
            weight[found] += count.total()
    main = _most(weight)
    return [t for t, found in zip(texts, scripts, strict=True) if found in (main, None)]


@dataclass(frozen=True)
class NoteLanguage:
    """The language a note is written in, and how it is known: `said` (its front
    matter's `note_lang`), `detected` (from its prose; `confidence` is the model's) or
    `default` (the run's source language: nothing said, detection not sure)."""

    lang: str
    how: str
    confidence: float | None = None


def note_language(note: Note, default: str, detect: Detect = detect_language
                  ) -> NoteLanguage:
    """The note's own language: front matter `note_lang` (`lang` is its VIDEO's), else
    detected from its prose when the model is at least `NOTE_CONFIDENCE` sure, else
    `default`. A model language (`pt-BR` -> `pt`). Only the title and blocks in the
    script most of the note's letters are in count: Russian video titles quoted in an
    English index page do not make it Russian."""
    said = language_code(note.meta.get(NOTE_LANG_KEY))
    if said is not None:
        return NoteLanguage(model_language(said), "said")
    texts = [note.title, *(plain_text(b.text) for b in note.blocks
                           if b.kind not in ("front_matter", "code"))]
    found = detect(" ".join(in_main_script(texts))[:SAMPLE_CHARS])
    if found is None or found.confidence < NOTE_CONFIDENCE:
        return NoteLanguage(default, "default")
    return NoteLanguage(found.lang, "detected", found.confidence)
