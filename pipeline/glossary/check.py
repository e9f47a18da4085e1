"""Re-check translated notes against their source notes: structure kept, terms present.

`check_translated` compares one source note's text with its translation: the timestamp
anchors (in order), the wiki-link targets, the heading levels and the number of list
items must be the same, and every glossary term of the source must be rendered as the
glossary says, as often as in the source (by lemma: "в Херсоне" holds "Херсон").
`glossary_check(out_dir, notes_dir, glossary)` does it for every translated note of a
run (`OUT/notes/LANG/CHANNEL/SLUG.md`) and gives a table and an overall verdict; it backs
the command `interlinear glossary check OUT_DIR`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..fileio import safe_name
from ..model import TermCheck
from ..notes import discover_notes, split_front_matter
from .morph import count
from .terms import Glossary

_ANCHOR = re.compile(r'data-t="([^"]+)"')
_LINK = re.compile(r"\[\[([^|\]]+)")
_HEADING = re.compile(r"^(#+)\s", re.M)
_LIST = re.compile(r"^\s*(?:[*+-]|\d+\.)\s", re.M)
_HIDDEN = re.compile(r"<[^>]+>|\[\[[^|\]]*\|?")
MIN_COMPLIANCE = 0.98


@dataclass(frozen=True)
class NoteCheck:
    """What `check_translated` found for one translated note."""

    problems: tuple[str, ...]  # structure differences, one line each
    terms: tuple[TermCheck, ...]  # status "found" or "missing" per term of the source

    @property
    def structure_ok(self) -> bool:
        return not self.problems

    @property
    def occurrences(self) -> int:
        return sum(t.occurrences for t in self.terms)

    @property
    def compliant(self) -> int:
        return sum(t.occurrences for t in self.terms if t.status != "missing")


def _body(text: str) -> str:
    return split_front_matter(text)[1]


def check_translated(src_note_text: str, translated_text: str, lang: str,
                     glossary: Glossary) -> NoteCheck:
    a, b = _body(src_note_text), _body(translated_text)
    problems = []
    if _ANCHOR.findall(a) != _ANCHOR.findall(b):
        missing = Counter(_ANCHOR.findall(a)) - Counter(_ANCHOR.findall(b))
        extra = Counter(_ANCHOR.findall(b)) - Counter(_ANCHOR.findall(a))
        problems.append(f"timestamp anchors differ (missing {sorted(missing)[:5]}, "
                        f"extra {sorted(extra)[:5]}" + (", or out of order" if not (
                            missing or extra) else "") + ")")
    if sorted(_LINK.findall(a)) != sorted(_LINK.findall(b)):
        missing = Counter(_LINK.findall(a)) - Counter(_LINK.findall(b))
        problems.append(f"wiki-link targets differ (missing {sorted(missing)[:5]})")
    if _HEADING.findall(a) != _HEADING.findall(b):
        problems.append(f"heading levels differ: {len(_HEADING.findall(a))} headings in the "
                        f"source, {len(_HEADING.findall(b))} in the translation")
    if len(_LIST.findall(a)) != len(_LIST.findall(b)):
        problems.append(f"list items differ: {len(_LIST.findall(a))} in the source, "
                        f"{len(_LIST.findall(b))} in the translation")
    plain_a, plain_b = _HIDDEN.sub(" ", a), _HIDDEN.sub(" ", b)
    needed: Counter[str] = Counter()
    terms = {}
    for hit in glossary.find(plain_a):
        if hit.term.expected(lang):
            needed[hit.term.source] += 1
            terms[hit.term.source] = hit.term
    checks = []
    for source, k in needed.items():
        expected = terms[source].expected(lang)
        found = count(plain_b, expected, lang)
        checks.append(TermCheck(source, expected, k, "found" if found >= k else "missing"))
    return NoteCheck(tuple(problems), tuple(checks))


def glossary_check(out_dir: Path, notes_dir: Path, glossary: Glossary,
                   langs: list[str] | None = None,
                   min_compliance: float = MIN_COMPLIANCE) -> tuple[str, bool]:
    """Check every `OUT/notes/LANG/CHANNEL/SLUG.md` against its source note in
    `notes_dir`. Returns a plain-text table and whether every note kept its structure,
    no source was missing, and each language's term compliance reached `min_compliance`."""
    out_dir, notes_dir = Path(out_dir), Path(notes_dir)
    sources: dict[tuple[str, str], Path] = {}
    for p in discover_notes(notes_dir):
        channel = "" if p.parent == notes_dir else p.parent.name
        for key in ((channel, p.stem), (safe_name(channel) if channel else "", safe_name(p.stem))):
            sources.setdefault(key, p)
    root = out_dir / "notes"
    lines = [f"{'lang':<5} {'note':<60} {'structure':<10} {'terms':>9}  missing"]
    ok = True
    found_any = False
    for lang_dir in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
        lang = lang_dir.name
        if langs and lang not in langs:
            continue
        total = compliant = notes = broken = 0
        for q in sorted(lang_dir.rglob("*.md")):
            found_any = True
            rel = q.relative_to(lang_dir)
            channel = rel.parent.as_posix() if rel.parent != Path(".") else ""
            src = sources.get((channel, q.stem))
            name = rel.as_posix()
            if src is None:
                lines.append(f"{lang:<5} {name[:60]:<60} {'NO SOURCE':<10}")
                ok = False
                continue
            check = check_translated(src.read_text(encoding="utf-8"),
                                     q.read_text(encoding="utf-8"), lang, glossary)
            notes += 1
            total += check.occurrences
            compliant += check.compliant
            broken += not check.structure_ok
            miss = ", ".join(t.term for t in check.terms if t.status == "missing")
            lines.append(f"{lang:<5} {name[:60]:<60} "
                         f"{'ok' if check.structure_ok else 'BROKEN':<10} "
                         f"{check.compliant:>4}/{check.occurrences:<4}  {miss[:60]}")
            lines.extend(f"      {p}" for p in check.problems)
        share = compliant / total if total else 1.0
        lang_ok = not broken and share >= min_compliance
        ok = ok and lang_ok
        lines.append(f"{lang:<5} {'TOTAL: ' + str(notes) + ' notes':<60} "
                     f"{'ok' if not broken else f'{broken} broken':<10} "
                     f"{compliant:>4}/{total:<4}  {100 * share:.1f}% of term occurrences "
                     f"{'(ok)' if lang_ok else f'(below {100 * min_compliance:.0f}% or broken)'}")
    if not found_any:
        lines.append(f"no translated notes under {root}")
        ok = False
    return "\n".join(lines), ok
