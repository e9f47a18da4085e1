"""Reading a vault: every note loaded or its failure recorded, notes grouped by video."""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .errors import Failure, NoteError
from .fileio import safe_name
from .model import Note
from .notes import NoteProblem, check_video_id, discover_notes, load_note, printable, problems

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VaultScan:
    root: Path
    notes: tuple[Note, ...]
    failures: tuple[Failure, ...]
    pages: tuple[Note, ...]  # notes of no (usable) videoId: translated, never aligned
    problems: tuple[NoteProblem, ...]
    by_video: dict[str, tuple[Note, ...]] = field(hash=False, compare=False)


def output_key(note: Note) -> tuple[str, ...]:
    """The note's place in the output layout (CHANNEL/SLUG as safe names), case-folded:
    two notes with the same key would overwrite each other's outputs on some system."""
    parts = [note.channel, note.slug] if note.channel else [note.slug]
    return tuple(safe_name(p).casefold() for p in parts)


def _failure(path: Path | str, reason: str) -> Failure:
    return Failure("notes", printable(str(path)), printable(reason))


def linked_folders_outside(root: Path) -> list[Path]:
    """Symlinked folders under `root` that point outside it (never followed by the scan)."""
    base = root.resolve()
    found = []
    for folder, dirs, _files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]  # .obsidian, .git: not scanned
        for name in dirs:
            p = Path(folder) / name
            if not p.is_symlink():
                continue
            target = p.resolve()
            if target != base and base not in target.parents:
                found.append(p)
    return sorted(found)


def run_folders(root: Path, skip: tuple[Path, ...] = ()) -> list[Path]:
    """Folders under `root` that hold a run's outputs, never read as notes: those given in
    `skip` (the run's own OUT) and any holding an Interlinear `manifest.json`."""
    base = root.resolve()
    found = {p.resolve() for p in skip if p.resolve() != base}
    if root.is_dir():
        for manifest in root.rglob("manifest.json"):
            try:
                with open(manifest, "rb") as fh:
                    head = fh.read(200)
            except OSError:
                continue
            if head.lstrip().startswith(b"{") and b'"interlinear"' in head:
                found.add(manifest.parent.resolve())
    return sorted(p for p in found if p == base or base in p.parents)


def scan_vault(root: Path, *, max_bytes: int = 1_000_000, skip: tuple[Path, ...] = ()
               ) -> VaultScan:
    """Load every note under `root`; one bad note never stops the others.

    Output folders inside the vault (`skip`, and any folder holding a run's manifest) are
    not read: a run's own outputs are never taken for notes. A note of no video is a page,
    translated and rendered like the others, never fetched or aligned: one with no
    `videoId` and no citations (a channel's index page, a map of content), and one whose
    `videoId` is missing or unusable, which is also a failure (its citations unchecked).

    Unusable notes become failures naming the file (and line); two notes whose outputs
    would land on the same file names (same channel folder name and slug, or names that
    differ only in case or in characters unsafe on Windows/macOS) keep the first and fail
    the other, naming both.
    """
    root = Path(root)
    notes: list[Note] = []
    failures: list[Failure] = []
    pages: list[Note] = []
    found: list[NoteProblem] = []
    groups: dict[str, list[Note]] = defaultdict(list)
    taken: dict[tuple[str, ...], Path] = {}
    if root.is_dir():
        for link in linked_folders_outside(root):
            failures.append(_failure(link, "symlinked folder points outside the vault; "
                                           "not followed"))
    outputs = run_folders(root, skip)
    for path in discover_notes(root):
        if any(folder in path.resolve().parents for folder in outputs):
            continue
        try:
            note = load_note(path, root, max_bytes)
        except NoteError as exc:
            failures.append(_failure(exc.path, exc.reason))
            continue
        except Exception as exc:  # a bug must not stop the batch: reported, exit status 1
            log.debug("scanning %s", path, exc_info=True)
            failures.append(_failure(path, f"{path}: could not be read ({type(exc).__name__}: "
                                           f"{exc})"))
            continue
        vid = None
        if note.video_id is not None or "videoId" in note.meta or note.citations:
            try:
                vid = check_video_id(note)
            except NoteError as exc:  # still translated: its text is not lost
                failures.append(_failure(exc.path, f"{exc.reason}; translated, its citations "
                                                   "not checked"))
        key = output_key(note)
        if key in taken:
            failures.append(_failure(path, (
                f"{path}: its outputs would have the same file names as {taken[key]} "
                "(same folder and file name, or names differing only in case or in characters "
                "unsafe on Windows/macOS); rename one of them")))
            continue
        taken[key] = path
        found.extend(problems(note))
        if vid is None:
            pages.append(note)
            continue
        notes.append(note)
        groups[vid].append(note)
    return VaultScan(
        root=root, notes=tuple(notes), failures=tuple(failures), pages=tuple(pages),
        problems=tuple(found), by_video={k: tuple(v) for k, v in groups.items()},
    )
