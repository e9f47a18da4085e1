"""Reading a vault: every note loaded or its failure recorded, notes grouped by video."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .errors import NoteError
from .model import Note
from .notes import NoteProblem, check_video_id, discover_notes, load_note, problems


@dataclass(frozen=True)
class Failure:
    """One item of the run that could not be produced, and why (one line)."""

    stage: str  # notes / fetch / align / translate / render / models
    item: str  # a note path, a video id, a language...
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"stage": self.stage, "item": self.item, "reason": self.reason}


@dataclass(frozen=True)
class VaultScan:
    root: Path
    notes: tuple[Note, ...]
    failures: tuple[Failure, ...]
    skipped: tuple[Failure, ...]  # not errors: index pages without a videoId or citations
    problems: tuple[NoteProblem, ...]
    by_video: dict[str, tuple[Note, ...]] = field(hash=False, compare=False)

    @property
    def video_ids(self) -> list[str]:
        return sorted(self.by_video)


def scan_vault(root: Path, *, max_bytes: int = 1_000_000) -> VaultScan:
    """Load every note under `root`; one bad note never stops the others."""
    root = Path(root)
    notes: list[Note] = []
    failures: list[Failure] = []
    skipped: list[Failure] = []
    found: list[NoteProblem] = []
    groups: dict[str, list[Note]] = defaultdict(list)
    for path in discover_notes(root):
        try:
            note = load_note(path, root, max_bytes)
            if note.video_id is None and not note.citations:
                reason = "no videoId and no citations (an index page?)"
                skipped.append(Failure("notes", str(path), reason))
                continue
            vid = check_video_id(note)
        except NoteError as exc:
            failures.append(Failure("notes", str(exc.path), exc.reason))
            continue
        notes.append(note)
        groups[vid].append(note)
        found.extend(problems(note))
    return VaultScan(
        root=root, notes=tuple(notes), failures=tuple(failures), skipped=tuple(skipped),
        problems=tuple(found), by_video={k: tuple(v) for k, v in groups.items()},
    )
