"""Approved translations, in one human-readable, diff-friendly file per vault.

`VAULT/.interlinear/review.jsonl` (its place configurable): one JSON object a line, in
the order they were made; the latest for a source block and language wins. Each says
who and when, the note and block it came from, the source block's text and its SHA-256,
the language, the approved text, the glossary renderings that applied to the block then,
and the output it was read from. Never under OUT: deleting OUT loses no review.

An approval applies to a block whose text has that hash, in any note (the same text,
the same translation). A glossary change touching the block keeps the reviewer's text
and marks it `review_again`; a changed source block no longer matches: it is translated
by the engine again and marked `stale`, with the old approved text as a hint.
"""

from __future__ import annotations

import fcntl
import getpass
import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from ..errors import WriteError
from ..fileio import atomic_write_text
from ..model import Note

log = logging.getLogger(__name__)
REVIEWABLE = ("heading", "paragraph", "list_item", "table", "quote")


def source_hash(text: str) -> str:
    """The SHA-256 of a source block's text (its trailing newlines left out)."""
    return hashlib.sha256(text.rstrip("\r\n").encode("utf-8")).hexdigest()


def default_store(vault: Path) -> Path:
    return vault / ".interlinear" / "review.jsonl"


def default_reviewer() -> str:
    """Who reviews when `--reviewer` is not given: `$INTERLINEAR_REVIEWER`, else `$USER`,
    else the login name."""
    found = os.environ.get("INTERLINEAR_REVIEWER", "").strip()
    if found:
        return found
    try:
        return os.environ.get("USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Approval:
    """A reviewer's translation of one source block into one language."""

    kind: str  # "translation"
    note: str  # the note's path, relative to the vault
    block: int  # the block's index in the note when approved
    lang: str
    source_sha256: str
    source: str  # the source block's text (for people reading the file)
    text: str  # the approved translation, as `TranslatedNote.blocks` holds it
    glossary: str  # the glossary renderings that applied to the block (a key)
    reviewer: str
    at: str
    origin: str = ""  # the output it was read from (OUT-relative)


class Approvals:
    """The store's entries, looked up by source block and language (latest wins)."""

    def __init__(self, entries: Iterable[Approval] = ()) -> None:
        self.entries = list(entries)
        self.by_source = {(a.lang, a.source_sha256): a for a in self.entries}
        self.by_place = {(a.note, a.lang, a.block): a for a in self.entries}

    def langs(self, note: str) -> set[str]:
        return {a.lang for a in self.entries if a.note == note}


class ReviewStore:
    """The review file: read whole, appended under a lock (rewritten atomically)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.warnings: list[str] = []

    def load(self) -> Approvals:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return Approvals()
        found = []
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                if row.get("kind") == "translation":
                    found.append(Approval(**row))
            except (ValueError, TypeError) as exc:
                self.warnings.append(f"{self.path}:{n}: entry not read ({exc})")
        return Approvals(found)

    def add(self, approvals: Sequence[Approval]) -> None:
        if not approvals:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock = open(self.path.with_name(self.path.name + ".lock"), "w")  # noqa: SIM115
        except OSError as exc:
            raise WriteError.of(self.path, exc, "opening the review store") from exc
        with lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                text = self.path.read_text(encoding="utf-8")
            except FileNotFoundError:
                text = ""
            except (OSError, UnicodeDecodeError) as exc:
                raise WriteError(f"{self.path}: cannot be read to add to it ({exc})",
                                 self.path) from exc
            if text and not text.endswith("\n"):
                text += "\n"
            text += "".join(json.dumps(asdict(a), ensure_ascii=False) + "\n"
                            for a in approvals)
            atomic_write_text(self.path, text)


Status = Literal["approved", "review_again", "stale"]


@dataclass(frozen=True)
class BlockReview:
    """A block's review: `approved` (the reviewer's text is used), `review_again` (used,
    but the glossary changed for it since), `stale` (its source changed: the engine's
    text is used, `text` is the old approved one, a hint)."""

    status: Status
    text: str
    reviewer: str
    at: str


def block_reviews(note: Note, note_key: str, lang: str, approvals: Approvals,
                  glossary_key: Callable[[str], str]) -> dict[int, BlockReview]:
    """Each reviewable block's review in `lang` (blocks without one are machine-only).
    `glossary_key(text)`: the glossary renderings that apply to a block's text now
    (asked only of blocks the store holds an approval for)."""
    found = {}
    present = {source_hash(b.text) for b in note.blocks}
    for i, block in enumerate(note.blocks):
        if block.kind not in REVIEWABLE:
            continue
        hit = approvals.by_source.get((lang, source_hash(block.text)))
        if hit is not None:
            status: Status = "approved" if hit.glossary == glossary_key(block.text) else (
                "review_again")
            found[i] = BlockReview(status, hit.text, hit.reviewer, hit.at)
            continue
        old = approvals.by_place.get((note_key, lang, i))
        if old is not None and old.source_sha256 not in present:
            found[i] = BlockReview("stale", old.text, old.reviewer, old.at)
    return found


def review_counts(note: Note, reviews: Mapping[int, BlockReview]) -> dict[str, int]:
    """Blocks approved / machine-only / to review again (glossary changed or source changed)."""
    total = sum(1 for b in note.blocks if b.kind in REVIEWABLE)
    approved = sum(1 for r in reviews.values() if r.status == "approved")
    again = sum(1 for r in reviews.values() if r.status != "approved")
    return {"approved": approved, "machine": total - approved - again, "review_again": again}
