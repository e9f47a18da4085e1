"""Run settings: one frozen value, built from the command line, a deployment's
parameters or the environment, and passed to every stage."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .languages import language_tag


def default_cache_dir() -> Path:
    """Shared caches (transcripts, embeddings, translation memory).

    `INTERLINEAR_CACHE` points all workers at one place (a shared path); the default is
    `~/.cache/interlinear`.
    """
    env = os.environ.get("INTERLINEAR_CACHE")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "interlinear"


def parse_languages(value: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """`ru,pt-br` (or a list) as a tuple of standard language tags (`ru`, `pt-BR`), each
    checked against the known languages: ConfigError (one line) for one that is not."""
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    langs: list[str] = []
    for item in items:
        if not item.strip():
            continue
        tag = language_tag(item)
        if tag not in langs:
            langs.append(tag)
    return tuple(langs)


@dataclass(frozen=True)
class RunSettings:
    vault: Path
    out: Path
    languages: tuple[str, ...]
    source_lang: str = "en"  # the language the notes are written in
    transcripts: Path | None = None  # a local folder of transcripts, tried first
    transcript_langs: tuple[str, ...] = ()  # user's transcript languages, in order
    original_lang: str | None = None  # the videos' language, when the notes don't say
    offline: bool = False  # never call YouTube (local files and cache only)
    refresh: bool = False  # re-fetch cached transcripts
    cache_dir: Path = field(default_factory=default_cache_dir)
    glossary_dir: Path | None = None  # default: the project's glossary/ folder
    engine: str | None = None  # force an engine (argos / bergamot)
    allow_missing_models: bool = False  # a missing model is a warning, not a failure
    max_note_bytes: int = 1_000_000
    context_window: int = 1  # segments before and after the cited one, for quotes
    fetch_concurrency: int = 2
    min_fetch_interval_s: float = 1.0
    fetch_attempts: int = 4
    review_store: Path | None = None  # default: VAULT/.interlinear/review.jsonl
    reviewer: str | None = None  # who approves what the run reads back (default: $USER)

    def __post_init__(self) -> None:
        if self.max_note_bytes < 1 or self.fetch_concurrency < 1 or self.context_window < 0:
            raise ConfigError("limits must be positive")

    @classmethod
    def of(cls, *, vault: str | Path, languages: str | list[str] | tuple[str, ...] | None,
           out: str | Path = "output", transcripts: str | Path | None = None,
           transcript_langs: str | list[str] | tuple[str, ...] | None = None,
           cache_dir: str | Path | None = None, glossary: str | Path | None = None,
           original_lang: str | None = None, review_store: str | Path | None = None,
           **flags: object) -> RunSettings:
        """The settings from the flow's parameters (text, as a deployment or the command
        line gives them): languages parsed and checked, paths made paths, defaults filled."""
        return cls(
            vault=Path(vault), out=Path(out), languages=parse_languages(languages),
            transcripts=Path(transcripts) if transcripts else None,
            transcript_langs=parse_languages(transcript_langs),
            cache_dir=Path(cache_dir) if cache_dir else default_cache_dir(),
            glossary_dir=Path(glossary) if glossary else None,
            original_lang=language_tag(original_lang) if original_lang else None,
            review_store=Path(review_store) if review_store else None,
            **flags)  # type: ignore[arg-type]

    def parameters(self) -> dict[str, Any]:
        """The flow's parameters for these settings (what `of` reads back)."""
        return {"vault": str(self.vault), "languages": list(self.languages),
                "out": str(self.out),
                "transcripts": str(self.transcripts) if self.transcripts else None,
                "transcript_langs": list(self.transcript_langs), "offline": self.offline,
                "refresh": self.refresh, "engine": self.engine,
                "allow_missing_models": self.allow_missing_models,
                "cache_dir": str(self.cache_dir),
                "glossary": str(self.glossary_dir) if self.glossary_dir else None,
                "original_lang": self.original_lang,
                "review_store": str(self.review_store) if self.review_store else None,
                "reviewer": self.reviewer}

    @property
    def review_path(self) -> Path:
        """The vault's review store (approved translations): never under OUT."""
        return self.review_store or self.vault / ".interlinear" / "review.jsonl"

    def with_targets(self) -> RunSettings:
        """These settings, for a run that translates: ConfigError without a target language."""
        if not self.languages:
            raise ConfigError("no target language: pass --to, e.g. --to ru,pt")
        return self

    def public(self) -> dict[str, object]:
        """The settings as written to the manifest (paths as text; no secrets live here)."""
        return {k: (str(v) if isinstance(v, Path) else list(v) if isinstance(v, tuple) else v)
                for k, v in asdict(self).items()}
