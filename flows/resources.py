"""Heavy per-process resources (engines, memory, embedder, transcript source).

Built once per process and settings, so tasks on threads or on Dask workers share them
without passing unpicklable objects between tasks.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline.align import AlignSettings, E5Embedder
from pipeline.glossary import Glossary
from pipeline.produce import Engines
from pipeline.settings import RunSettings
from pipeline.transcripts import RetryPolicy, TranscriptSource, YouTubeSettings, build_source
from pipeline.translate import TranslationMemory

GLOSSARY_DIR = Path(__file__).resolve().parents[1] / "glossary"


@dataclass(frozen=True)
class Resources:
    glossary: Glossary
    memory: TranslationMemory
    engines: Engines
    source: TranscriptSource
    embedder: E5Embedder
    align: AlignSettings
    lock: threading.Lock  # engines are not re-entrant: one batch at a time per process


_build_lock = threading.Lock()


def glossary_dir(settings: RunSettings) -> Path:
    return settings.glossary_dir or GLOSSARY_DIR


@lru_cache(maxsize=4)
def _resources(settings: RunSettings) -> Resources:
    glossary = Glossary.load(glossary_dir(settings))
    memory = TranslationMemory(settings.cache_dir / "translation-memory.sqlite3")
    youtube = YouTubeSettings(
        max_concurrent=settings.fetch_concurrency,
        min_interval_s=settings.min_fetch_interval_s,
        retry=RetryPolicy(attempts=settings.fetch_attempts),
    )
    source = build_source(
        settings.transcripts, cache_dir=settings.cache_dir / "transcripts",
        refresh=settings.refresh, youtube=youtube, offline=settings.offline,
    )
    embedder = E5Embedder()
    align = AlignSettings(context_before=settings.context_window,
                          context_after=settings.context_window)
    return Resources(glossary, memory, Engines(settings, memory, glossary), source, embedder,
                     align, threading.Lock())


def resources(settings: RunSettings) -> Resources:
    with _build_lock:
        return _resources(settings)
