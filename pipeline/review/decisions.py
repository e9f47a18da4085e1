"""Citation decisions: a reviewer accepts a suggested (or repaired) time, or dismisses a
false alarm, by ticking a task checkbox under the citation in the bilingual note.

    - [ ] accept 00:10:45 ^i3-5f2a1c-accept
    - [ ] dismiss ^i3-5f2a1c-dismiss

The block id names the citation (its index in the note) and a short hash of its claim and
written time, so a tick made on an older version of the note is not taken for another
citation. Decisions are kept in the vault's review store (`VAULT/.interlinear/review.jsonl`,
one JSON line each, `"kind": "citation"`, never under OUT), and apply while the claim's
text, the written time and the transcript are those the reviewer decided on: a dismissed
false alarm is then `ok` (dismissed), an accepted suggestion `repaired` (accepted).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from ..errors import WriteError
from ..model import CitationCheck, Note, NoteAlignment, Segment
from ..timecode import hms, parse_timestamp

__all__ = ["Decision", "Tick", "apply_decisions", "checkbox_lines", "cite_id",
           "contradictory_ticks", "current", "decisions_from_ticks", "load_decisions",
           "note_key", "read_ticks", "record"]

Action = Literal["accept", "dismiss", "open"]
DECIDABLE = frozenset({"suspect", "repaired"})
_lock = threading.Lock()


@dataclass(frozen=True)
class Decision:
    note: str  # the note's path inside the vault (posix)
    citation: int  # the citation's index in the note
    written: str  # its time as the note wrote it when decided
    claim: str  # hash of the claim's text
    transcript: str  # hash of the transcript decided on
    decision: Action
    ms: int | None  # the accepted time
    who: str
    when: str  # ISO 8601, UTC

    def as_json(self) -> str:
        return json.dumps({"kind": "citation", **asdict(self)}, ensure_ascii=False,
                          sort_keys=True)


def note_key(note: Note, vault: Path) -> str:
    try:
        return note.path.resolve().relative_to(vault.resolve()).as_posix()
    except ValueError:
        return note.path.name


def claim_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def cite_id(check: CitationCheck, claim_text: str) -> str:
    """The checkbox block id of a citation: index and a short hash of claim and time."""
    tag = hashlib.sha256(f"{claim_text}\n{check.citation.written}".encode()).hexdigest()[:6]
    return f"i{check.citation.index}-{tag}"


# --------------------------------------------------------------------------- the store


def load_decisions(path: Path) -> list[Decision]:
    """The citation decisions of the store, in the order written (other kinds skipped, as
    are lines that do not parse: the file is for people too)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    found = []
    for line in lines:
        try:
            row = json.loads(line)
            if isinstance(row, dict) and row.get("kind") == "citation":
                row.pop("kind")
                found.append(Decision(**row))
        except (ValueError, TypeError):
            continue
    return found


def record(path: Path, decisions: Sequence[Decision]) -> None:
    """Append decisions to the store, one line each (whole lines, one write)."""
    if not decisions:
        return
    data = "".join(d.as_json() + "\n" for d in decisions).encode("utf-8")
    with _lock:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise WriteError.of(path, exc) from exc


def current(decisions: Iterable[Decision], note: str) -> dict[int, Decision]:
    """The latest decision per citation of `note` ("open" ones dropped)."""
    latest: dict[int, Decision] = {}
    for d in decisions:
        if d.note == note:
            latest[d.citation] = d
    return {i: d for i, d in latest.items() if d.decision != "open"}


# --------------------------------------------------------------------------- applying


def _applies(d: Decision, check: CitationCheck, claims: Mapping[int, str], thash: str) -> bool:
    return (d.written == check.citation.written and d.transcript == thash
            and d.claim == claim_hash(claims.get(check.claim_index, "")))


def apply_decisions(alignment: NoteAlignment, note: Note, decided: Mapping[int, Decision],
                    thash: str, segments: Sequence[Segment] = ()) -> NoteAlignment:
    """The alignment as the reviewer decided: a dismissed citation `ok` (dismissed), an
    accepted one `repaired` at the accepted time (its quote the words said there)."""
    claims = {c.index: c.text for c in note.claims}
    checks = []
    for check in alignment.checks:
        d = decided.get(check.citation.index)
        if d is None or not _applies(d, check, claims, thash):
            checks.append(check)
            continue
        by = f"{d.who}, {d.when[:10]}"
        if d.decision == "dismiss":
            checks.append(replace(check, status="ok", decision="dismissed",
                                  reason=f"dismissed by {by} ({check.status}: {check.reason})"))
        elif d.ms is not None:
            at = _words_at(segments, d.ms) or check.suggestion
            checks.append(replace(
                check, status="repaired", decision="accepted", resolved_ms=d.ms,
                segment=at[0] if at else check.segment, context=at or check.context,
                reason=f"{hms(d.ms)} accepted by {by}"))
        else:
            checks.append(check)
    return replace(alignment, checks=tuple(checks))


def _words_at(segments: Sequence[Segment], ms: int) -> tuple[Segment, ...]:
    at = [s for s in segments if s.start_ms <= ms < max(s.end_ms, s.start_ms + 1)]
    if not at:
        before = [s for s in segments if s.start_ms <= ms]
        at = before[-1:]
    return tuple(at)


# --------------------------------------------------------------------------- checkboxes


def accept_ms(check: CitationCheck) -> int | None:
    """The time an accept would write: the suggestion of a suspect, a repair's reading."""
    if check.decision == "accepted" or check.status == "repaired":
        return check.resolved_ms
    return check.suggested_ms if check.status == "suspect" else None


def checkbox_lines(check: CitationCheck, claim_text: str) -> list[str]:
    """The task checkboxes under a citation in the bilingual note (none when there is
    nothing to decide): accept (with the time) and dismiss, or the decision and reopen."""
    if not check.decision and check.status not in DECIDABLE:
        return []
    ident = cite_id(check, claim_text)
    ms = accept_ms(check)
    if check.decision:
        action = "accept" if check.decision == "accepted" else "dismiss"
        shown = f"accept {hms(ms)}" if action == "accept" and ms is not None else action
        return [f"- [x] {shown} ^{ident}-{action}", f"- [ ] reopen ^{ident}-reopen"]
    lines = [f"- [ ] accept {hms(ms)} ^{ident}-accept"] if ms is not None else []
    return [*lines, f"- [ ] dismiss ^{ident}-dismiss"]


_TICK = re.compile(r"^[>\s]*[-*+] \[(?P<box>[ xX])\] (?P<label>[^\^\n]*?)\s*"
                   r"\^i(?P<index>\d{1,6})-(?P<tag>[0-9a-f]{6})-(?P<action>accept|dismiss|reopen)"
                   r"\s*$", re.M)


@dataclass(frozen=True)
class Tick:
    index: int
    tag: str
    action: str  # accept / dismiss / reopen
    ticked: bool
    label: str  # the text of the line, e.g. "accept 00:10:45" (the reviewer may edit the time)


def boxes_as_written(edited: str, written: str) -> str:
    """`edited` with each checkbox line (known by its block id) as `written` has it: ticks
    are decisions, read by `read_ticks`, not edits of the note's text."""
    lines = {m.group(0).rsplit("^", 1)[1].strip(): m.group(0) for m in _TICK.finditer(written)}

    def back(m: re.Match[str]) -> str:
        return lines.get(m.group(0).rsplit("^", 1)[1].strip(), m.group(0))

    return _TICK.sub(back, edited)


def read_ticks(text: str) -> list[Tick]:
    return [Tick(int(m["index"]), m["tag"], m["action"], m["box"] != " ", m["label"])
            for m in _TICK.finditer(text)]


def _newly_ticked(ticks: Sequence[Tick], alignment: NoteAlignment, note: Note
                  ) -> dict[int, tuple[CitationCheck, list[Tick], set[str]]]:
    """Per citation: its check, its ticks (only those made for it: a tick whose citation
    changed since is ignored) and the actions newly ticked (not the decision in force)."""
    claims = {c.index: c.text for c in note.claims}
    checks = {c.citation.index: c for c in alignment.checks}
    by_cite: dict[int, list[Tick]] = {}
    for t in ticks:
        check = checks.get(t.index)
        if check is not None and cite_id(check, claims.get(check.claim_index, "")) \
                == f"i{t.index}-{t.tag}":
            by_cite.setdefault(t.index, []).append(t)
    found = {}
    for index, its in sorted(by_cite.items()):
        check = checks[index]
        found[index] = (check, its,
                        {t.action for t in its if t.ticked and t.action != _held(check)})
    return found


def _held(check: CitationCheck) -> str:
    """The box of the decision in force on the citation ("" when none)."""
    return {"accepted": "accept", "dismissed": "dismiss"}.get(check.decision or "", "")


def contradictory_ticks(ticks: Sequence[Tick], alignment: NoteAlignment, note: Note
                        ) -> list[str]:
    """Citations whose boxes say two things at once (accept and dismiss both ticked):
    `decisions_from_ticks` records nothing for them, and the run says so."""
    return [f"the citation {check.citation.written} (line {check.citation.line}): "
            "accept and dismiss are both ticked, so neither is recorded; untick one"
            for check, _, new in _newly_ticked(ticks, alignment, note).values()
            if {"accept", "dismiss"} <= new]


def decisions_from_ticks(ticks: Sequence[Tick], alignment: NoteAlignment, note: Note,
                         key: str, thash: str, who: str, when: str | None = None,
                         ) -> list[Decision]:
    """New decisions the ticks say, against the alignment as last decided (its checks
    carry the decisions in force): a newly ticked accept or dismiss, or a ticked reopen.
    Ticks for a citation that is not the one they were made for (the note changed) and
    contradictory ticks (`contradictory_ticks`) are ignored."""
    when = when or datetime.now(UTC).isoformat(timespec="seconds")
    claims = {c.index: c.text for c in note.claims}
    made = []
    for check, its, new in _newly_ticked(ticks, alignment, note).values():
        if new == {"reopen"} and _held(check):
            action: Action = "open"
        elif len(new) == 1 and new <= {"accept", "dismiss"}:
            action = "accept" if new == {"accept"} else "dismiss"
        else:
            continue
        ms = None
        if action == "accept":
            label = next(t.label for t in its if t.action == "accept")
            written = label.removeprefix("accept").strip()
            ms = parse_timestamp(written) if written else None
            ms = ms if ms is not None else accept_ms(check)
            if ms is None:
                continue
        made.append(Decision(key, check.citation.index, check.citation.written,
                             claim_hash(claims.get(check.claim_index, "")), thash, action, ms,
                             who, when))
    return made
