"""What a stage gives back: typed outputs, failures and task records, one shape for all.

Every stage of the run, for one item (a video, a language, a note and language), returns
an `Outcome`: its value (an alignment, the translations, nothing), the files it wrote
(`Output`), what went wrong (`Failure`, made from any error), and one `TaskRecord` per
unit of work saying whether it ran or its stored result was reused. Outcomes add up
(`Outcome.join`), and the manifest is written from them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Generic, Literal, TypeVar

from ..errors import Failure
from ..render import CueFlag, ReviewEntry

T = TypeVar("T")
Status = Literal["ran", "cached"]


@dataclass(frozen=True)
class TaskRecord:
    """One unit of work of a run, and whether it ran or its stored result was reused."""

    task: str  # fetch / align / translate / tracks / claims_tracks / render
    item: str  # a video id, a note path, `note [lang]`...
    status: Status
    seconds: float = 0.0  # the work's wall time (a batch's is shared by its items)
    began: float | None = None  # when its work began (epoch s; a batch's for its items)
    ended: float = field(default_factory=time.time)  # made when its work ended

    @property
    def span(self) -> tuple[float, float]:
        """The wall-clock interval of its work (a batch's, for an item of a batch)."""
        return (self.ended - self.seconds if self.began is None else self.began, self.ended)

    def as_dict(self) -> dict[str, object]:
        return {"task": self.task, "item": self.item, "status": self.status,
                "seconds": round(self.seconds, 3)}


def stage_times(records: Iterable[TaskRecord]) -> dict[str, dict[str, float | int]]:
    """Per task: items, how many ran and were reused, `seconds`: the wall time during which
    any of its work ran (tasks that ran at the same time counted once), and
    `task_seconds`: their times added up."""
    found: dict[str, dict[str, float | int]] = {}
    spans: dict[str, list[tuple[float, float]]] = {}
    for r in records:
        row = found.setdefault(r.task, {"items": 0, "ran": 0, "cached": 0, "seconds": 0.0,
                                        "task_seconds": 0.0})
        row["items"] += 1
        row[r.status] += 1
        row["task_seconds"] = round(row["task_seconds"] + r.seconds, 3)
        spans.setdefault(r.task, []).append(r.span)
    for task, row in found.items():
        row["seconds"] = round(covered(spans[task]), 3)
    return found


def covered(spans: Iterable[tuple[float, float]]) -> float:
    """The length of the union of the intervals."""
    total, reach = 0.0, float("-inf")
    for start, end in sorted(spans):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


@dataclass(frozen=True)
class Output:
    """A file the run wrote (path relative to OUT), with what the manifest says of it."""

    kind: str  # transcript_track / claims_track / translated_note / bilingual_note / ...
    path: str
    lang: str | None = None
    note: str | None = None  # the source note's path
    srt: str | None = None  # a track's SubRip twin
    cues: int | None = None
    signature: str | None = None
    glossary: Mapping[str, object] | None = None  # a translated note's term compliance
    sha256: str | None = None  # the file as written (filled in when the run ends)

    @property
    def files(self) -> tuple[str, ...]:
        """The files on disk: the output, and a track's `.srt`."""
        return (self.path, self.srt) if self.srt else (self.path,)

    def as_dict(self) -> dict[str, object]:
        found: dict[str, object] = {"kind": self.kind, "path": self.path}
        if self.srt is not None:
            found["srt"] = self.srt
        if self.lang is not None:
            found["lang"] = self.lang
        if self.note is not None:
            found["note"] = self.note
        if self.cues is not None:
            found["cues"] = self.cues
        if self.kind in ("translated_note", "bilingual_note", "review_page"):
            found["signature"] = self.signature
        if self.glossary is not None:
            found["glossary"] = dict(self.glossary)
        if self.sha256 is not None:
            found["sha256"] = self.sha256
        return found


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """A stage's value and everything it has to say."""

    value: T
    outputs: tuple[Output, ...] = ()
    failures: tuple[Failure, ...] = ()
    warnings: tuple[Failure, ...] = ()
    records: tuple[TaskRecord, ...] = ()
    entries: tuple[ReviewEntry, ...] = ()  # rows of the review index
    flags: tuple[CueFlag, ...] = field(default=())  # subtitle cues too fast to read
    conflicts: tuple[Failure, ...] = ()  # outputs a person edited, kept; new version beside

    @property
    def failed(self) -> str:
        """The first failures in one line ("" when none), for a task's Failed state."""
        return "; ".join(f"{f.item}: {f.reason}" for f in self.failures[:3])

    @property
    def all_cached(self) -> bool:
        return bool(self.records) and all(r.status == "cached" for r in self.records)

    def but(self, **changes: Any) -> Outcome[T]:
        return replace(self, **changes)

    @staticmethod
    def join(value: T, parts: Iterable[Outcome[Any]]) -> Outcome[T]:
        """One outcome holding `value` and everything `parts` had to say, in order."""
        parts = list(parts)
        return Outcome(
            value,
            outputs=tuple(o for p in parts for o in p.outputs),
            failures=tuple(f for p in parts for f in p.failures),
            warnings=tuple(w for p in parts for w in p.warnings),
            records=tuple(r for p in parts for r in p.records),
            entries=tuple(e for p in parts for e in p.entries),
            flags=tuple(f for p in parts for f in p.flags),
            conflicts=tuple(c for p in parts for c in p.conflicts))
