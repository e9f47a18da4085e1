"""The alignment report (`OUT/alignment.json`, `interlinear align --report`) and its summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any, get_args

from ..model import CitationCheck, CitationStatus, Note, NoteAlignment

__all__ = ["STATUSES", "alignment_report", "check_json", "summary_counts"]

STATUSES: tuple[str, ...] = get_args(CitationStatus)


def check_json(check: CitationCheck) -> dict[str, Any]:
    seg = check.segment
    return {
        "written": check.citation.written,
        "cited_ms": check.citation.ms,
        "status": check.status,
        "resolved_ms": check.resolved_ms,
        "suggested_ms": check.suggested_ms,
        "suggested_text": (" ".join(s.text for s in check.suggestion)
                           if check.suggestion else None),
        "decision": check.decision or None,  # a reviewer's: accepted / dismissed
        "score": check.score,
        "segment": ({"start_ms": seg.start_ms, "end_ms": seg.end_ms, "text": seg.text}
                    if seg is not None else None),
    }


def _note_json(al: NoteAlignment, texts: dict[int, str]) -> dict[str, Any]:
    claims: list[dict[str, Any]] = []
    for check in sorted(al.checks, key=lambda c: c.citation.index):
        if not claims or claims[-1]["index"] != check.claim_index:
            claims.append({"index": check.claim_index,
                           "text": texts.get(check.claim_index, ""), "citations": []})
        claims[-1]["citations"].append(check_json(check))
    return {"path": al.note_path.as_posix(), "video_id": al.video_id or "",
            "duration_ms": al.duration_ms, "claims": claims}


def alignment_report(
    alignments: Sequence[NoteAlignment], notes: Iterable[Note] | None = None
) -> dict[str, Any]:
    """The report: per note, per claim, each citation in document order.

    `notes` (the parsed notes, matched by path) supply the claims' texts; without them the
    texts are empty. `cited_ms` is the time as written, or null when it cannot be read.
    """
    by_path = {n.path: n for n in notes or ()}
    out = []
    for al in alignments:
        note = by_path.get(al.note_path)
        texts = {c.index: c.text for c in note.claims} if note is not None else {}
        out.append(_note_json(al, texts))
    return {"notes": out}


def summary_counts(alignments: Iterable[NoteAlignment]) -> dict[str, int]:
    """Citations per status (every status listed, zero included)."""
    counts: Counter[str] = Counter(c.status for al in alignments for c in al.checks)
    return {s: counts.get(s, 0) for s in STATUSES}
