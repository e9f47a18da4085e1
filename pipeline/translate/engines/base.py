"""What every translation engine offers, and the options that shape its output.

An engine translates a batch of short texts (sentences or note segments the caller has
already split) from one language to another and returns one output per input; callers
reach it through `translate.batch` (`translate_safely`, `BoundedEngine`), which cuts texts
to a size engines translate whole and checks every output. Engines
that can do more for glossary repair also implement `NBestEngine` (several hypotheses per
text) and/or `ConstrainedEngine` (decode with sequences suppressed or a forced target
prefix); `capabilities(engine)` says which.

| engine            | translate | n-best                         | constrained (suppress, prefix) |
|-------------------|-----------|--------------------------------|--------------------------------|
| `ArgosEngine`     | yes       | yes (beam; alternatives after a prefix) | yes (CTranslate2)     |
| `BergamotEngine`  | yes       | no                             | no                             |
| `CachedEngine(e)` | yes       | as `e`                         | as `e`                         |
| `PivotEngine(a,b)`| a, then b | as `b`                         | as `b`                         |
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal, Protocol, runtime_checkable

from ...signature import Signature

Device = Literal["cpu", "cuda", "auto"]

# The registry of engine names, in the order `choose_engine` tries them: each engine's
# `name`, `choose_engine`'s override and the command line's `--engine` choices.
ARGOS = "argos"
BERGAMOT = "bergamot"
ENGINE_NAMES = (ARGOS, BERGAMOT)


@dataclass(frozen=True)
class EngineOptions:
    """How an engine decodes. The fields that change the output form `output_key`."""

    beam_size: int = 4
    max_decoding_length: int = 256
    length_penalty: float = 0.2  # as argostranslate uses
    max_batch_size: int = 4096  # source tokens per CTranslate2 batch (batch_type "tokens")
    device: Device = "cpu"
    compute_type: str = "auto"
    inter_threads: int = 1  # parallel batches (CTranslate2; Bergamot runs on one thread)
    intra_threads: int = 0  # threads per batch; 0 lets CTranslate2 pick

    def __post_init__(self) -> None:
        if self.beam_size < 1 or self.max_decoding_length < 1 or self.max_batch_size < 1:
            raise ValueError("beam_size, max_decoding_length and max_batch_size must be >= 1")
        if self.inter_threads < 1 or self.intra_threads < 0:
            raise ValueError("inter_threads must be >= 1 and intra_threads >= 0")
        if self.device not in ("cpu", "cuda", "auto"):
            raise ValueError(f"unknown device {self.device!r} (cpu, cuda, auto)")

    def signature(self) -> Signature:
        """The options that can change a translation (threads, device and batching cannot);
        what they mean does not depend on this package's version."""
        return Signature("engine-options", {
            "beam_size": self.beam_size, "max_decoding_length": self.max_decoding_length,
            "length_penalty": self.length_penalty, "compute_type": self.compute_type,
        }, version=None)

    @property
    def output_key(self) -> str:
        """`signature().key`: for the translation memory's keys."""
        return self.signature().key

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@runtime_checkable
class TranslationEngine(Protocol):
    """Translate batches of short texts. One output per input, in order."""

    name: str

    def model_id(self, source: str, target: str) -> str:
        """What produces the translations of this pair (for provenance and caches)."""
        ...

    def supports(self, source: str, target: str) -> bool: ...

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]: ...


@runtime_checkable
class NBestEngine(Protocol):
    def translate_nbest(
        self,
        texts: Sequence[str],
        source: str,
        target: str,
        n: int,
        *,
        prefixes: Sequence[str | None] | None = None,
    ) -> list[list[str]]:
        """Up to `n` hypotheses per text, best first.

        With `prefixes`, text i's hypotheses all start with prefixes[i] (when not None)
        and branch at the first position after it.
        """
        ...


@runtime_checkable
class ConstrainedEngine(Protocol):
    def translate_constrained(
        self,
        texts: Sequence[str],
        source: str,
        target: str,
        *,
        suppress: Sequence[Sequence[str]] = (),
        prefixes: Sequence[str | None] | None = None,
    ) -> list[str]:
        """Translate text i never producing any string of suppress[i] and starting with
        prefixes[i] (when given and not None)."""
        ...


def capabilities(engine: object) -> frozenset[str]:
    """`{"nbest", "constrained"}` or a part of it: what glossary repair can ask of `engine`."""
    declared = getattr(engine, "capabilities", None)
    if isinstance(declared, frozenset):
        return declared
    caps = set()
    if isinstance(engine, NBestEngine):
        caps.add("nbest")
    if isinstance(engine, ConstrainedEngine):
        caps.add("constrained")
    return frozenset(caps)


def engine_signature(engine: TranslationEngine, source: str, target: str) -> Signature:
    """What translates `source`->`target`: the engine's name, model and output-changing
    options (not the glossary; independent of this package's version)."""
    options = getattr(engine, "options", None)
    return Signature("engine", {
        "engine": engine.name, "model": engine.model_id(source, target),
        "options": options.signature() if isinstance(options, EngineOptions) else None,
    }, version=None)


def options_key(engine: object) -> str:
    """The engine's output-changing options (`engine.options.output_key`), or ""."""
    options = getattr(engine, "options", None)
    return options.output_key if isinstance(options, EngineOptions) else ""


def check_lengths(kind: str, texts: Sequence[object], other: Sequence[object] | None) -> None:
    if other is not None and len(other) not in (0, len(texts)):
        raise ValueError(f"{kind}: expected {len(texts)} entries, got {len(other)}")
