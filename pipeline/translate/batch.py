"""Batches sent to an engine with failure isolation: a segment the engine fails on is
retried alone, then reported; the other segments are kept."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import InterlinearError, ModelMissingError
from .engines.base import TranslationEngine


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
