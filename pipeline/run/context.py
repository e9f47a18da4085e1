"""The run's composition, built in one place: glossary, translation memory and engines,
transcript sources, aligner, result store. The flow's tasks and every CLI command use it.

Built once per process and settings (`context(settings)`), so tasks on threads or on Dask
workers share the heavy parts without passing them between tasks; a changed glossary
folder makes a new one. Models load on first use only: a run whose results are all stored
loads none. Native models are serialised by `pipeline.native` alone.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..align import (
    Aligner,
    AlignSettings,
    E5WordVectors,
    chosen_embedder,
    precise_embedder,
    word_vectors,
)
from ..errors import ConfigError, ModelMissingError
from ..glossary import Glossary
from ..glossary.lines import FILE_NAME as VAULT_LINES
from ..langid import Detect, Detector
from ..languages import NOT_LANGUAGES, model_language
from ..layout import Layout
from ..settings import RunSettings
from ..signature import Signature
from ..transcripts import RetryPolicy, TranscriptSource, YouTubeSettings, build_source
from ..translate import (
    PIVOT,
    ArgosEngine,
    BergamotEngine,
    CachedEngine,
    PivotEngine,
    Route,
    TranslationEngine,
    TranslationMemory,
    choose_engine,
    engine_signature,
    plan,
)
from ..translate.choose import serves
from .store import ResultStore

GLOSSARY_DIR = Path(__file__).resolve().parents[2] / "glossary"


class Engines:
    """One engine per language pair, wrapped in the translation memory; built lazily.
    A pair no model translates goes through English when models serve both legs (argos
    ru->en, then Bergamot en->pt: one `PivotEngine`, each leg also in the memory, so a
    ru->en leg serves every target). A pair may name variants (`pt-BR`): its engine is
    the languages' (`pt`). Without a way, the reason names the commands that would make
    one (`interlinear models install ru en`)."""

    def __init__(self, settings: RunSettings, memory: TranslationMemory, glossary: Glossary):
        self.settings, self.memory, self.glossary = settings, memory, glossary
        self._engines: dict[tuple[str, str], CachedEngine | ModelMissingError] = {}
        self._plain: dict[tuple[str, str], CachedEngine] = {}
        self._installed: tuple[ArgosEngine, BergamotEngine] | None = None
        self._lock = threading.Lock()

    def _local(self) -> tuple[ArgosEngine, BergamotEngine]:
        """The argos and Bergamot engines every pair shares (packages scanned once)."""
        with self._lock:
            if self._installed is None:
                self._installed = (ArgosEngine(), BergamotEngine())
            return self._installed

    def route(self, source: str, target: str) -> Route:
        """How the pair is translated, or which models it lacks."""
        argos, bergamot = self._local()

        def has(s: str, t: str) -> bool:
            return serves(s, t, self.settings.engine, argos=argos, bergamot=bergamot)

        return plan(model_language(source), model_language(target), has)

    def get(self, source: str, target: str) -> CachedEngine:
        """The engine for the pair; ModelMissingError when none has a model."""
        key = (model_language(source), model_language(target))
        if key not in self._engines:
            route = self.route(*key)
            argos, bergamot = self._local()
            try:
                if key[0] in NOT_LANGUAGES:
                    raise ModelMissingError(
                        "the source language is not known (not labelled, and not "
                        "recognised from the text): name it, e.g. VIDEO_ID.ru.json or "
                        "--original-lang ru", source=key[0], target=key[1])
                if not route.ok:
                    raise ModelMissingError(route.advice(), source=key[0], target=key[1])
                legs: list[TranslationEngine] = [
                    choose_engine(s, t, self.settings.engine, argos=argos, bergamot=bergamot)
                    for s, t in route.legs or (key,)]
                inner = legs[0] if len(legs) == 1 else PivotEngine(
                    CachedEngine(legs[0], self.memory, ""),
                    CachedEngine(legs[1], self.memory, ""), PIVOT, self.glossary)
                self._engines[key] = CachedEngine(inner, self.memory, self.glossary.hash)
            except ModelMissingError as exc:
                self._engines[key] = exc
        found = self._engines[key]
        if isinstance(found, ModelMissingError):
            raise found
        return found

    def plain(self, source: str, target: str) -> CachedEngine:
        """The pair's engine for texts translated without the glossary (quotes, subtitle
        cues): the memory keys them without the glossary's hash, so a glossary change does
        not send them to the engine again. ModelMissingError as `get`. (Claims go through
        `get`, as the sentences of their note do.)"""
        key = (model_language(source), model_language(target))
        if key not in self._plain:
            inner = self.get(*key).engine
            if isinstance(inner, PivotEngine):  # without the glossary on its first leg
                inner = inner.without_glossary()
            self._plain[key] = CachedEngine(inner, self.memory, "")
        return self._plain[key]

    def ident(self, source: str, target: str) -> Signature:
        """Engine, model and options of a pair, or why there is none (for keys)."""
        source, target = model_language(source), model_language(target)
        try:
            return engine_signature(self.get(source, target), source, target)
        except ModelMissingError as exc:
            return Signature("engine-missing", {"reason": exc.reason})

    def check_targets(self) -> list[str]:
        """Before any work: each target language the notes cannot be translated into, with
        the commands that would make it work. ConfigError naming them all, unless missing
        models are allowed (then they are returned, to be shown as warnings)."""
        s = self.settings
        reasons = []
        for lang in s.languages:
            if model_language(lang) == s.source_lang:
                continue
            try:
                self.get(s.source_lang, lang)
            except ModelMissingError as exc:
                reasons.append(f"--to {lang}: {exc.reason}")
        if reasons and not s.allow_missing_models:
            raise ConfigError("; ".join(reasons) + "; or run with --allow-missing-models "
                              "to write everything else")
        return reasons

    def describe(self) -> dict[str, dict[str, object]]:
        return {
            f"{s}->{t}": ({"engine": e.name, "model": e.model_id(s, t)}
                          if isinstance(e, CachedEngine) else {"missing": e.reason})
            for (s, t), e in sorted(self._engines.items()) if s != t
        }


@dataclass(frozen=True)
class RunContext:
    """Everything the stages need besides their inputs."""

    settings: RunSettings
    glossary: Glossary
    memory: TranslationMemory
    engines: Engines
    source: TranscriptSource  # local files, the transcript cache, then YouTube
    local_source: TranscriptSource  # local files and the transcript cache only
    aligner: Aligner
    store: ResultStore
    detect: Detect  # a note's or transcript's language, answers kept in the cache
    words: E5WordVectors | None = None  # where lexical matching places no link or bold

    @property
    def layout(self) -> Layout:
        return Layout(self.settings.out)

    @property
    def out_key(self) -> str:
        return str(self.settings.out.resolve())


def glossary_dir(settings: RunSettings) -> Path:
    return settings.glossary_dir or GLOSSARY_DIR


def _glossary_stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """The glossary files as they are now (name, size, mtime): a changed glossary makes a
    new context, also in a long-lived process (a Dask worker, a test)."""
    try:
        return tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns)
                     for p in sorted([*folder.glob("*.csv"), *folder.glob(VAULT_LINES)]))
    except OSError:
        return ()


@lru_cache(maxsize=4)
def _build(settings: RunSettings, stamp: tuple[tuple[str, int, int], ...]) -> RunContext:
    return compose(settings)


def compose(settings: RunSettings, *, glossary: Glossary | None = None,
            memory: TranslationMemory | None = None,
            engines: type[Engines] = Engines) -> RunContext:
    """A new composition for `settings`; the parts given are used as they are (a test's
    engines, an in-memory glossary)."""
    if glossary is None:  # (an empty glossary or memory is falsy: given all the same)
        glossary = Glossary.load(glossary_dir(settings))
    if memory is None:
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
    words = word_vectors(settings.cache_dir)
    embedder = chosen_embedder(settings.cache_dir)
    aligner = Aligner(align, embedder, settings.cache_dir / "embeddings", words=words,
                      precise=precise_embedder(embedder, settings.cache_dir))
    return RunContext(settings, glossary, memory, engines(settings, memory, glossary), source,
                      local, aligner, ResultStore(settings.cache_dir / "results"),
                      Detector(settings.cache_dir / "langid"), words)


def check_targets(settings: RunSettings) -> list[str]:
    """`Engines.check_targets` for `settings` without building the rest of the
    composition (the aligner's model files are its slow part): a run's first check, made
    before its work and its Prefect server start."""
    glossary = Glossary.load(glossary_dir(settings))
    return Engines(settings, TranslationMemory(":memory:"), glossary).check_targets()


_build_lock = threading.Lock()


def context(settings: RunSettings) -> RunContext:
    """The run's composition for `settings` (one per process, rebuilt on a glossary change)."""
    stamp = _glossary_stamp(glossary_dir(settings))
    with _build_lock:
        return _build(settings, stamp)
