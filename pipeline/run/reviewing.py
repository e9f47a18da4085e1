"""The review loop in the run: a note output a person edited is never overwritten silently.

Before a note's outputs are written again, each one on disk is compared with what the
run last wrote there (`Written`, kept in the result store by output path; else the hash
`manifest.json` lists). An edited output is read back block by block
(`pipeline.review.edits`): each changed translation becomes an approval in the vault's
review store. An edit that cannot be read back leaves the file as it is: the new
version is written beside it (`SLUG.new.md`) and the conflict is reported.
Approvals are then applied (`apply_reviews`) to every output of the block.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import InterlinearError
from ..model import Note, NoteAlignment, TranslatedNote
from ..render import (
    bilingual_block_text,
    bilingual_note_regions,
    translated_block_text,
    translated_note_regions,
)
from ..review import (
    Approval,
    BlockReview,
    ReviewStore,
    Unreadable,
    block_reviews,
    default_reviewer,
    edited_regions,
    source_hash,
)
from ..review.decisions import boxes_as_written
from ..review.store import now
from ..translate.note import excerpt
from .context import RunContext
from .store import content_key, glossary_terms_key

NOTE_OUTPUTS = ("translated_note", "bilingual_note")


@dataclass(frozen=True)
class Written:
    """What the run last wrote at a note output: its hash and what it was made from."""

    sha256: str
    kind: str
    note: Note
    translated: TranslatedNote
    alignment: NoteAlignment | None
    quotes: Mapping[int, str]
    provenance: Mapping[str, object]


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def written_key(ctx: RunContext, rel: str) -> str:
    return content_key("written", ctx.out_key, rel)


def note_key(note: Note, ctx: RunContext) -> str:
    """The note's path as the review store names it (relative to the vault)."""
    try:
        return note.path.resolve().relative_to(ctx.settings.vault.resolve()).as_posix()
    except ValueError:
        return note.path.as_posix()


def output_paths(note: Note, lang: str, ctx: RunContext) -> dict[str, Path]:
    return {"translated_note": ctx.layout.translated_note(note, lang),
            "bilingual_note": ctx.layout.bilingual_note(note, lang)}


def beside(path: Path) -> Path:
    """Where the new version goes when `path` holds a person's edit: `SLUG.new.md`."""
    return path.with_name(path.stem + ".new" + path.suffix)


def manifest_hashes(ctx: RunContext) -> dict[str, str]:
    """The SHA-256 of each output the last `manifest.json` lists, by OUT-relative path."""
    with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
        found = json.loads(ctx.layout.manifest.read_text(encoding="utf-8"))
        return {o["path"]: o["sha256"] for o in found["outputs"] if o.get("sha256")}
    return {}


def read_edit(rec: Written, edited: str) -> dict[int, str]:
    """The block translations a person changed in an output the run wrote (`rec`), in
    the form of `TranslatedNote.blocks`; `Unreadable` when the edit cannot be read back."""
    if rec.kind == "translated_note":
        old, regions = translated_note_regions(rec.translated, rec.provenance)
    else:
        old, regions = bilingual_note_regions(rec.note, rec.translated, rec.alignment,
                                              rec.quotes, rec.provenance)
    if sha256(old) != rec.sha256:
        raise Unreadable("written by another version of Interlinear: cannot be read back")
    edited = boxes_as_written(edited, old)  # ticked boxes are decisions, not edits
    found = {}
    for i, text in edited_regions(old, edited, regions).items():
        if rec.kind == "translated_note":
            got: str | None = translated_block_text(rec.translated, i, text)
        else:
            got = bilingual_block_text(rec.note, rec.translated, rec.alignment, rec.quotes,
                                       i, text)
        if got is None:
            raise Unreadable(f"block at line {rec.note.blocks[i].line} of the note: a "
                             "citation link or the callout's layout was changed")
        if got.rstrip("\r\n") != rec.translated.blocks[i].rstrip("\r\n"):
            found[i] = got
    return found


def read_edits(note: Note, lang: str, ctx: RunContext
               ) -> tuple[list[Approval], dict[str, str]]:
    """Approvals read back from the note's outputs a person edited, and the outputs that
    hold an edit the run cannot read (kind -> why): those are kept as they are."""
    approvals: list[Approval] = []
    conflicts: dict[str, str] = {}
    hashes: dict[str, str] | None = None
    reviewer = ctx.settings.reviewer or default_reviewer()
    for kind, path in output_paths(note, lang, ctx).items():
        try:
            disk = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError) as exc:
            conflicts[kind] = f"cannot be read ({exc})"
            continue
        rel = ctx.layout.relative(path)
        rec = ctx.store.get("written", written_key(ctx, rel))
        digest = sha256(disk)
        if isinstance(rec, Written) and rec.sha256 == digest:
            continue
        if not isinstance(rec, Written):
            hashes = manifest_hashes(ctx) if hashes is None else hashes
            if hashes.get(rel) != digest:
                conflicts[kind] = "not as the run wrote it, and no record of what it wrote"
            continue
        try:
            changed = read_edit(rec, disk)
        except InterlinearError as exc:  # Unreadable, or the record no longer renders
            conflicts[kind] = exc.reason
            continue
        at = now()
        for i, text in sorted(changed.items()):
            block = rec.note.blocks[i]
            approvals.append(Approval(
                "translation", note_key(rec.note, ctx), i, lang, source_hash(block.text),
                block.text.rstrip("\r\n"), text,
                glossary_terms_key(ctx.glossary, block.text, lang), reviewer, at, rel))
    return approvals, conflicts


def disagreements(approvals: list[Approval]) -> list[str]:
    """Blocks a person edited differently in the translated and in the bilingual note
    since the last run: the last approval read applies (the store keeps both); said, never
    settled silently."""
    texts: dict[int, dict[str, str]] = {}
    for a in approvals:
        texts.setdefault(a.block, {})[a.origin] = a.text.strip()
    said = []
    for i, by_origin in sorted(texts.items()):
        if len(set(by_origin.values())) > 1:
            last = next(a for a in reversed(approvals) if a.block == i)
            said.append(f"the block {excerpt(last.source, 60)!r} was edited differently in "
                        f"{' and '.join(sorted(by_origin))}: the text of {last.origin} "
                        "applies; both edits are kept in the review store")
    return said


def apply_reviews(note: Note, tr: TranslatedNote, ctx: RunContext
                  ) -> tuple[TranslatedNote, dict[int, BlockReview], list[str]]:
    """The translation with the approved texts in place of the engine's, each block's
    review, and what the review store could not read."""
    store = ReviewStore(ctx.settings.review_path)
    approvals = store.load()
    reviews = block_reviews(note, note_key(note, ctx), tr.lang, approvals,
                            lambda text: glossary_terms_key(ctx.glossary, text, tr.lang))
    blocks = list(tr.blocks)
    for i, review in reviews.items():
        if review.status != "stale":
            blocks[i] = review.text
    return replace(tr, blocks=tuple(blocks)), reviews, store.warnings


def record_written(ctx: RunContext, kind: str, path: Path, text: str, note: Note,
                   tr: TranslatedNote, alignment: NoteAlignment | None,
                   quotes: Mapping[int, str], prov: Mapping[str, object]) -> None:
    ctx.store.put("written", written_key(ctx, ctx.layout.relative(path)),
                  Written(sha256(text), kind, note, tr, alignment, dict(quotes), dict(prov)))


def file_sha(path: Path) -> str | None:
    """The SHA-256 of a file's bytes; None when it cannot be read."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def changed_by_hand(ctx: RunContext, path: Path) -> bool:
    """Whether a file the run writes (a track) is on disk but not as the run last wrote it."""
    digest = file_sha(path)
    if digest is None:
        return False
    rel = ctx.layout.relative(path)
    rec = recorded_sha(ctx, rel)
    if rec is not None:
        return rec != digest
    hashes = manifest_hashes(ctx)  # no record (a run killed before it stored one, a new
    return rel in hashes and hashes[rel] != digest  # cache): only the manifest can tell


def recorded_sha(ctx: RunContext, rel: str) -> str | None:
    """The SHA-256 the result store recorded for the file the run last wrote at `rel`
    (a note output's `Written`, a track's digest); None without a record."""
    rec = ctx.store.get("written", written_key(ctx, rel))
    return rec.sha256 if isinstance(rec, Written) else rec if isinstance(rec, str) else None


def record_file(ctx: RunContext, path: Path) -> None:
    digest = file_sha(path)
    if digest is not None:
        ctx.store.put("written", written_key(ctx, ctx.layout.relative(path)), digest)
