"""The run's manifest: inputs, outputs, failures, and what produced them."""

from __future__ import annotations

import json
import platform
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from . import __version__
from .fileio import atomic_write_text, sha256_text
from .vault import Failure


def provenance(**parts: object) -> dict[str, object]:
    """What produced an output; `signature` is a stable hash of it (keys caches)."""
    base: dict[str, object] = {"interlinear": __version__, **parts}
    base["signature"] = sha256_text(json.dumps(base, sort_keys=True, default=str))[:16]
    return base


@dataclass
class Manifest:
    """Built up during a run, written once at the end (atomically)."""

    vault: str
    out: str
    languages: list[str]
    settings: dict[str, object] = field(default_factory=dict)
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    inputs: list[dict[str, object]] = field(default_factory=list)
    videos: list[dict[str, object]] = field(default_factory=list)
    outputs: list[dict[str, object]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    warnings: list[Failure] = field(default_factory=list)
    skipped: list[Failure] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    tasks: list[dict[str, object]] = field(default_factory=list)
    engines: dict[str, dict[str, object]] = field(default_factory=dict)
    glossary: dict[str, object] = field(default_factory=dict)
    alignment_counts: dict[str, int] = field(default_factory=dict)
    translation_memory: dict[str, int] = field(default_factory=dict)

    def output(self, kind: str, path: Path, out: Path, **extra: object) -> None:
        rel = path.resolve().relative_to(out.resolve()).as_posix()
        self.outputs.append({"kind": kind, "path": rel, **extra})

    def term_counts(self) -> dict[str, dict[str, int]]:
        """Glossary terms found / repaired / missing per language, over translated notes."""
        per: dict[str, Counter[str]] = {}
        for o in self.outputs:
            report = o.get("glossary")
            if o["kind"] == "translated_note" and isinstance(report, dict):
                c = per.setdefault(str(o.get("lang")), Counter())
                for status in ("found", "repaired", "missing"):
                    c[status] += int(report.get(status, 0))
        return {lang: {s: c[s] for s in ("found", "repaired", "missing")}
                for lang, c in sorted(per.items())}

    @property
    def exit_status(self) -> int:
        """0 when everything asked for was produced, 1 when some items failed."""
        return 1 if self.failures or self.problems else 0

    def as_dict(self) -> dict[str, object]:
        kinds = Counter(str(o["kind"]) for o in self.outputs)
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
            "summary": {
                "notes": len(self.inputs),
                "videos": len(self.videos),
                "outputs": dict(sorted(kinds.items())),
                "failures": len(self.failures),
                "warnings": len(self.warnings),
                "skipped": len(self.skipped),
                "problems": len(self.problems),
                "citations": self.alignment_counts,
                "glossary_terms": self.term_counts(),
                "translation_memory": self.translation_memory,
                "exit_status": self.exit_status,
            },
            "inputs": self.inputs,
            "videos": self.videos,
            "outputs": self.outputs,
            "failures": [f.as_dict() for f in self.failures],
            "warnings": [f.as_dict() for f in self.warnings],
            "skipped": [f.as_dict() for f in self.skipped],
            "problems": self.problems,
            "tasks": self.tasks,
        }

    def write(self, path: Path) -> None:
        atomic_write_text(path, json.dumps(self.as_dict(), ensure_ascii=False, indent=2) + "\n")
