"""Outputs of notes no longer in the vault (renamed, moved or deleted) and of videos no
note cites any more: never left in OUT looking current.

After a run, every file under `OUT/notes`, `OUT/bilingual`, `OUT/review` (but the index)
and `OUT/subtitles` that belongs to no note of the vault (by its place: CHANNEL/SLUG, or
the video id of a track) is an orphan. One the run wrote and nobody changed since (its
SHA-256 is the one the result store or the last `manifest.json` recorded) is removed; any
other (a person's edit, a file the run has no record of) is kept as it is and reported as
a conflict. A note that is in the vault but could not be read keeps its outputs; while
any note could not be read, tracks are kept too (its video cannot be known). Only a run
over the vault the last run into OUT was over (its `manifest.json`) removes anything: a
run over a part of the vault, or another vault, into the same OUT leaves its files alone.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..fileio import safe_name
from ..notes import discover_notes
from ..vault import VaultScan, run_folders
from .context import RunContext
from .outcome import Failure
from .reviewing import file_sha, manifest_hashes, recorded_sha

NOTE_TREES = ("notes", "bilingual", "review")


@dataclass(frozen=True)
class Swept:
    """The orphans of a run: removed (OUT-relative paths), and kept (as conflicts)."""

    removed: tuple[str, ...] = ()
    kept: tuple[Failure, ...] = ()


def _key(channel: str, slug: str) -> tuple[str, ...]:
    parts = [channel, slug] if channel else [slug]
    return tuple(safe_name(p).casefold() for p in parts)


def present_notes(root: Path, skip: Iterable[Path]) -> set[tuple[str, ...]]:
    """The output places (CHANNEL/SLUG, case-folded) of every note file in the vault,
    whether or not it could be read; the run's output folders left out."""
    if not root.is_dir():
        return {_key("", root.stem)}
    base = root.resolve()
    outputs = run_folders(root, tuple(skip))
    found = set()
    for path in discover_notes(root):
        full = path.resolve()
        if any(folder in full.parents for folder in outputs):
            continue
        found.add(_key("" if full.parent == base else path.parent.name, path.stem))
    return found


def _note_place(parts: tuple[str, ...]) -> tuple[str, ...]:
    """CHANNEL/SLUG of an output at `TREE/LANG/[CHANNEL/]FILE` (FILE: SLUG[.new].md|.html)."""
    *head, name = parts[2:]
    stem = name.rsplit(".", 1)[0].removesuffix(".new")
    return tuple(p.casefold() for p in (*head, stem))


def candidates(out: Path) -> list[Path]:
    """The files of the note and track trees of OUT (hidden files, e.g. temporary, left out)."""
    found = []
    for tree in (*NOTE_TREES, "subtitles"):
        for folder, dirs, files in os.walk(out / tree):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            found += [Path(folder) / f for f in files if not f.startswith(".")]
    return sorted(found)


def _as_written(ctx: RunContext, rel: str, path: Path, hashes: dict[str, str]) -> bool:
    """Whether the file is as the run last wrote it (by the store's record or the manifest)."""
    digest = file_sha(path)
    return digest is not None and digest in (recorded_sha(ctx, rel), hashes.get(rel))


def sweep(scan: VaultScan, ctx: RunContext, produced: Iterable[str]) -> Swept:
    """Remove the run's own unedited outputs of notes and videos gone from the vault; keep
    and report the others. `produced`: the OUT-relative paths this run wrote (never orphans)."""
    out, layout = ctx.settings.out, ctx.layout
    if not out.is_dir() or not _same_vault(ctx):
        return Swept()
    made = set(produced)
    notes = present_notes(ctx.settings.vault, (out,))
    videos = {layout.transcript_track(v, "x").parent.name for v in scan.by_video}
    hashes = manifest_hashes(ctx)
    removed, kept = [], []
    for path in candidates(out):
        rel = layout.relative(path)
        parts = tuple(rel.split("/"))
        if rel in made or rel == "review/index.html" or len(parts) < 3:
            continue
        if parts[0] == "subtitles":
            if parts[1] in videos or scan.failures:
                continue
            whose = f"video {parts[1]} is cited by no note of the vault any more"
        elif _note_place(parts) in notes:
            continue
        else:
            whose = f"its note ({'/'.join(parts[2:])}) is no longer in the vault"
        if _as_written(ctx, rel, path, hashes):
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:  # e.g. a read-only folder: said, never fatal
                kept.append(Failure("orphan", rel, f"{whose}; could not be removed ({exc})"))
                continue
            removed.append(rel)
            _prune(path.parent, out)
        else:
            kept.append(Failure("orphan", rel, f"{whose}; not as the run wrote it (edited by "
                                               "hand?): kept as it is, delete it when done"))
    return Swept(tuple(removed), tuple(kept))


def _same_vault(ctx: RunContext) -> bool:
    """Whether the last run into OUT (its `manifest.json`) was over this vault: a run over
    another folder (a part of the vault, another vault) removes nothing."""
    with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
        last = json.loads(ctx.layout.manifest.read_text(encoding="utf-8"))["vault"]
        return bool(Path(last).resolve() == ctx.settings.vault.resolve())
    return False


def _prune(folder: Path, out: Path) -> None:
    """Remove `folder` and its parents up to OUT's trees while they are empty."""
    stop = {out.resolve(), *((out / t).resolve() for t in (*NOTE_TREES, "subtitles"))}
    while folder.resolve() not in stop and out.resolve() in folder.resolve().parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
