"""The run's record: `manifest.json` (inputs, outputs, failures, what produced them),
`alignment.json` and the review index, written from the stages' outcomes in the vault's
order (whatever order the tasks ended in); the manifest last."""

from __future__ import annotations

import json
import platform
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from .. import __version__
from ..align import alignment_report, summary_counts
from ..fileio import atomic_write_text
from ..model import NoteAlignment, TranslatedNote
from ..render import ReviewEntry, review_index
from ..signature import Signature
from ..transcripts import FetchResult
from ..vault import VaultScan
from .context import RunContext, glossary_dir
from .orphans import sweep
from .outcome import Failure, Outcome, Output, TaskRecord, stage_times
from .stages import Keyed
from .store import file_digest


def provenance(**parts: object) -> dict[str, object]:
    """What produced an output (nested signatures written short); `signature` is a stable
    hash of it."""
    return Signature("output", parts).provenance()


@dataclass
class Manifest:
    """Built up during a run, written once at the end (atomically)."""

    vault: str
    out: str
    languages: list[str]
    settings: dict[str, object] = field(default_factory=dict)
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    began: float = field(default_factory=time.monotonic)
    inputs: list[dict[str, object]] = field(default_factory=list)
    videos: list[dict[str, object]] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    warnings: list[Failure] = field(default_factory=list)
    conflicts: list[Failure] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)  # notes of no video: translated only
    removed: list[str] = field(default_factory=list)  # outputs of notes gone from the vault
    problems: list[str] = field(default_factory=list)
    tasks: list[TaskRecord] = field(default_factory=list)
    engines: dict[str, dict[str, object]] = field(default_factory=dict)
    glossary: dict[str, object] = field(default_factory=dict)
    aligner: dict[str, object] = field(default_factory=dict)
    alignment_counts: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: Outcome[Any]) -> None:
        self.outputs += outcome.outputs
        self.failures += outcome.failures
        self.warnings += outcome.warnings
        self.conflicts += outcome.conflicts
        self.tasks += outcome.records

    def term_counts(self) -> dict[str, dict[str, int]]:
        """Glossary terms found / repaired / missing per language, over translated notes."""
        per: dict[str, Counter[str]] = {}
        for o in self.outputs:
            if o.kind == "translated_note" and o.glossary is not None:
                c = per.setdefault(str(o.lang), Counter())
                for status in ("found", "repaired", "missing"):
                    c[status] += int(o.glossary.get(status, 0))  # type: ignore[call-overload]
        return {lang: {s: c[s] for s in ("found", "repaired", "missing")}
                for lang, c in sorted(per.items())}

    @property
    def exit_status(self) -> int:
        """0 when everything asked for was produced, 1 when some items failed."""
        return 1 if self.failures or self.problems else 0

    def as_dict(self) -> dict[str, object]:
        kinds = Counter(o.kind for o in self.outputs)
        return {
            "interlinear": __version__,
            "python": platform.python_version(),
            "started_at": self.started_at,
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "vault": self.vault,
            "out": self.out,
            "languages": self.languages,
            "settings": self.settings,
            "engines": self.engines,
            "glossary": self.glossary,
            "aligner": self.aligner,
            "summary": {
                "notes": len(self.inputs),
                "videos": len(self.videos),
                "outputs": dict(sorted(kinds.items())),
                "failures": len(self.failures),
                "warnings": len(self.warnings),
                "conflicts": len(self.conflicts),
                "pages": len(self.pages),
                "removed": len(self.removed),
                "problems": len(self.problems),
                "citations": self.alignment_counts,
                "glossary_terms": self.term_counts(),
                "seconds": round(time.monotonic() - self.began, 1),
                "stages": stage_times(self.tasks),
                "exit_status": self.exit_status,
            },
            "inputs": self.inputs,
            "videos": self.videos,
            "outputs": [o.as_dict() for o in self.outputs],
            "failures": [f.as_dict() for f in self.failures],
            "warnings": [f.as_dict() for f in self.warnings],
            "conflicts": [f.as_dict() for f in self.conflicts],
            "pages": self.pages,
            "removed": self.removed,
            "problems": self.problems,
            "tasks": [t.as_dict() for t in self.tasks],
        }


def start(scan: VaultScan, ctx: RunContext) -> Manifest:
    """The manifest of a run over `scan`: settings, inputs, the scan's failures."""
    s = ctx.settings
    manifest = Manifest(vault=str(s.vault), out=str(s.out), languages=list(s.languages),
                        settings=s.public())
    manifest.failures += scan.failures
    manifest.pages = [str(n.path) for n in scan.pages]
    manifest.problems += [str(p) for p in scan.problems]
    manifest.inputs = [{"path": str(n.path), "video_id": n.video_id, "claims": len(n.claims),
                        "citations": len(n.citations)} for n in (*scan.notes, *scan.pages)]
    manifest.glossary = {"dir": str(glossary_dir(s)), "hash": ctx.glossary.hash,
                         "terms": len(ctx.glossary.terms)}
    for issue in ctx.glossary.issues:  # an error: what it names is not enforced
        found = manifest.failures if issue.severity == "error" else manifest.warnings
        found.append(Failure("glossary", issue.where, issue.message))
    identity = ctx.aligner.identity()  # outputs name it by its short signature
    manifest.aligner = {"signature": identity.short, "model": ctx.aligner.embedder.model_id,
                        "settings": dict(ctx.aligner.settings.signature().fields)}
    return manifest


def finish(
    manifest: Manifest, scan: VaultScan, ctx: RunContext,
    fetched: Mapping[str, Outcome[FetchResult]],
    translations: Mapping[str, Outcome[dict[str, Keyed[TranslatedNote]]]],
    aligned: Mapping[str, Outcome[dict[str, Keyed[NoteAlignment]]]],
    written: Mapping[str, Outcome[None]], paged: Outcome[None] | None = None,
) -> dict[str, object]:
    """Write the alignment report, the review index and the manifest (last); return it.
    `written`: each video's outputs; `paged`: the pages' (`VaultScan.pages`)."""
    layout, s = ctx.layout, ctx.settings
    alignments: list[NoteAlignment] = []
    entries: list[ReviewEntry] = []
    for tr in translations.values():
        manifest.add(tr)
    for vid in scan.by_video:
        got = fetched[vid].value
        manifest.videos.append({"video_id": vid, "source": got.source, "track": got.track,
                                "segments": got.segments, "error": got.error,
                                "warnings": list(got.warnings),
                                "language": got.transcript.language if got.transcript else None,
                                "detected": asdict(got.detected) if got.detected else None})
        manifest.add(fetched[vid])
        if vid in aligned:
            alignments += [k.value for k in aligned[vid].value.values()]
            manifest.add(aligned[vid])
        if vid in written:
            manifest.add(written[vid])
            entries += written[vid].entries
    if paged is not None:
        manifest.add(paged)
        entries += paged.entries
    atomic_write_text(layout.alignment,
                      json.dumps(alignment_report(alignments, scan.notes), ensure_ascii=False,
                                 indent=1))
    manifest.outputs.append(Output("alignment", layout.relative(layout.alignment)))
    manifest.alignment_counts = dict(summary_counts(alignments))
    swept = sweep(scan, ctx, {p for o in manifest.outputs for p in (o.path, o.srt) if p})
    manifest.removed += swept.removed
    manifest.conflicts += swept.kept
    failures = [(f.item, f.reason) for f in manifest.failures]
    warnings = [(f.item, f.reason) for f in manifest.warnings]
    conflicts = [(f.item, f.reason) for f in manifest.conflicts]
    atomic_write_text(layout.review_index, review_index(entries, failures, warnings=warnings,
                                                        conflicts=conflicts,
                                                        removed=manifest.removed))
    manifest.outputs.append(Output("review_index", layout.relative(layout.review_index)))
    manifest.outputs = [replace(o, sha256=file_digest(s.out / o.path)) for o in manifest.outputs]
    manifest.engines = _engines(ctx, fetched.values())
    report = manifest.as_dict()
    atomic_write_text(layout.manifest, json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    return report


def _engines(ctx: RunContext, fetched: Sequence[Outcome[FetchResult]] | Any
             ) -> dict[str, dict[str, object]]:
    """The engine and model of every pair the run needs (the notes' language and each
    transcript's into each target), whichever process or machine used them."""
    s = ctx.settings
    sources = {s.source_lang} | {f.value.transcript.language for f in fetched
                                 if f.value.transcript}
    for source in sorted(sources):
        for lang in s.languages:
            if lang != source:
                ctx.engines.ident(source, lang)
    return ctx.engines.describe()
