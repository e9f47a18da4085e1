"""Reading glossary files: every problem found, named by file and line, never dropped.

`read_glossary(paths)` parses and merges CSV files (format: `terms.py`) and returns the
terms that can be trusted together with every `GlossaryIssue`. An issue is an `error`
when the glossary cannot be trusted for what it names, and that is then not enforced:

- the file is not used: unreadable, not UTF-8, not valid CSV, a header that does not
  start with `en`, a column twice, no language column;
- the row is not used, and its term (the `en` cell) is not enforced in any language,
  even where another row defines it: a row with too many or too few fields (a lost or
  extra comma); the term is not enforced either when its `case` is neither `sensitive`
  nor `insensitive` (it would match the wrong words); a row without `en` is not used;
- the term is not enforced in that language (its other languages are): one term (same
  spelling and case rule) with two preferred renderings in a language, in one file or two.

A `warning` loses nothing that was meant: an empty file, a header without rows, a folder
without `*.csv` (no terms from it), an unknown column (ignored), an empty language cell
(no rule for that language, as documented), an empty alternative `a||b` or spaces around
a term (dropped, trimmed), a term defined twice in one file with the same preferred
renderings (merged). A term defined in two files with the same preferred renderings is
merged without an issue: the documented way to split a glossary into files.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .terms import LANGS, GlossaryIssue, Severity, Term

EXTRA_COLUMNS = ("case", "note")
CASE_VALUES = ("sensitive", "insensitive")
HEADER_HELP = "en,ru,uk,de,es,fr,pt[,case][,note]"
NOT_USED = "the file is not used: none of its terms is enforced"


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


@dataclass(frozen=True)
class _Row:
    term: Term
    path: str
    line: int


@dataclass
class _File:
    """What one file gave: its rows, its issues and the terms its malformed rows name."""

    path: str  # as issues name it
    name: str  # as terms' origins name it
    rows: list[_Row] = field(default_factory=list)
    issues: list[GlossaryIssue] = field(default_factory=list)
    poisoned: set[str] = field(default_factory=set)  # casefolded terms not to enforce at all

    def issue(self, line: int, msg: str, severity: Severity = "error", term: str = "") -> None:
        self.issues.append(GlossaryIssue(self.path, line, msg, severity, term))


def parse_file(text: str, path: str, name: str | None = None) -> _File:
    """The rows and problems of one file's text (pure). Issues name `path`; terms remember
    `name:line` (default `path`) as their origin."""
    found = _File(path, name or path)
    issue = found.issue
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        rows = list(reader)
    except csv.Error as exc:
        issue(reader.line_num, f"not valid CSV ({exc}): {NOT_USED}")
        return found
    if not rows:
        issue(1, f"empty file: no terms (expected a header row: {HEADER_HELP})", "warning")
        return found
    header = [h.strip().lower() for h in rows[0]]
    if not header or header[0] != "en":
        issue(1, f"header must start with 'en', found {rows[0][:1]!r}: {NOT_USED}")
        return found
    dupes = sorted({c for c in header if header.count(c) > 1})
    if dupes:
        issue(1, f"duplicate column(s) {', '.join(dupes)}: {NOT_USED}")
        return found
    if not any(c in LANGS for c in header):
        issue(1, f"no target language column (expected some of {', '.join(LANGS)}): "
                 f"{NOT_USED}")
        return found
    for col in header:
        if col not in {"en", *LANGS, *EXTRA_COLUMNS}:
            issue(1, f"unknown column {col!r} is ignored (allowed: en, {', '.join(LANGS)}, "
                     "case, note)", "warning")
    for lineno, row in enumerate(rows[1:], start=2):
        if any(cell.strip() for cell in row):
            _row(found, header, row, lineno)
    if not any(any(cell.strip() for cell in row) for row in rows[1:]):
        issue(1, "no terms (a header row only)", "warning")
    return found


def _row(found: _File, header: list[str], row: list[str], lineno: int) -> None:
    issue = found.issue
    source = _norm(row[0])
    if len(row) != len(header):
        lost = f": the row is not used, and {source!r} is not enforced in any language" \
            if source else ": the row is not used"
        issue(lineno, f"{len(row)} fields, the header has {len(header)}{lost}", term=source)
        if source:
            found.poisoned.add(source.casefold())
        return
    cells = dict(zip(header, row, strict=True))
    if not source:
        issue(lineno, "empty source term (column en): the row is not used")
        return
    if cells["en"] != cells["en"].strip():
        issue(lineno, f"source term {cells['en']!r} has spaces around it (trimmed)", "warning",
              source)
    case = cells.get("case", "").strip().lower() or "insensitive"
    if case not in CASE_VALUES:
        issue(lineno, f"case must be 'sensitive' or 'insensitive', not {cells['case']!r}: "
                      f"{source!r} is not enforced in any language", term=source)
        found.poisoned.add(source.casefold())
        return
    targets: dict[str, tuple[str, ...]] = {}
    for lang in LANGS:
        raw = cells.get(lang)
        if raw is None:
            continue
        if not raw.strip():
            issue(lineno, f"{source!r}: empty {lang} cell: no rule for {lang}", "warning",
                  source)
            continue
        alts = [_norm(a) for a in raw.split("|")]
        if any(not a for a in alts):
            issue(lineno, f"{source!r}: empty alternative in {lang} cell {raw!r} (dropped)",
                  "warning", source)
        alts = list(dict.fromkeys(a for a in alts if a))
        if alts:
            targets[lang] = tuple(alts)
    term = Term(source, targets, case == "sensitive", _norm(cells.get("note", "")),
                f"{found.name}:{lineno}")
    found.rows.append(_Row(term, found.path, lineno))


def merge(files: Sequence[_File]) -> tuple[list[Term], list[GlossaryIssue]]:
    """The terms of all files, first definition first, with the merge's issues; terms a
    file's errors name are left out, and so is a language whose renderings conflict."""
    poisoned = set().union(*(f.poisoned for f in files)) if files else set()
    merged: dict[tuple[str, bool], Term] = {}
    first_row: dict[tuple[str, bool], _Row] = {}
    defined_at: dict[tuple[tuple[str, bool], str], str] = {}  # (key, lang) -> origin
    conflicts: dict[tuple[str, bool], set[str]] = {}
    issues: list[GlossaryIssue] = []
    for row in (r for f in files for r in f.rows):
        term, key = row.term, row.term.key
        first = merged.get(key)
        for lang in term.targets:
            defined_at.setdefault((key, lang), term.origin)
        if first is None:
            merged[key], first_row[key] = term, row
            continue
        targets = dict(first.targets)
        clash = []
        for lang, alts in term.targets.items():
            have = targets.get(lang)
            if have is None:
                targets[lang] = alts
            elif have[0] != alts[0]:
                clash.append(lang)
                issues.append(GlossaryIssue(
                    row.path, row.line,
                    f"{term.source!r} {lang}: {alts[0]!r} conflicts with {have[0]!r} "
                    f"({defined_at[key, lang]}): {first.source!r} is not enforced in {lang}",
                    "error", first.source))
            else:
                targets[lang] = tuple(dict.fromkeys((*have, *alts)))
        conflicts.setdefault(key, set()).update(clash)
        if row.path == first_row[key].path and not clash:
            issues.append(GlossaryIssue(
                row.path, row.line, f"{term.source!r} is also defined on line "
                f"{first_row[key].line} (merged)", "warning", first.source))
        merged[key] = Term(first.source, targets, first.case_sensitive,
                           first.note or term.note, first.origin)
    terms = []
    for key, term in merged.items():
        if term.source.casefold() in poisoned:
            continue
        bad = conflicts.get(key, set())
        targets = {lang: alts for lang, alts in term.targets.items() if lang not in bad}
        if targets:
            terms.append(Term(term.source, targets, term.case_sensitive, term.note,
                              term.origin))
    return terms, issues


def read_file(path: Path) -> _File:
    """One file from disk; an unreadable or non-UTF-8 file is an error issue."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        failed = _File(str(path), path.name)
        failed.issue(0, f"not UTF-8 (byte offset {exc.start}): {NOT_USED}")
        return failed
    except OSError as exc:
        failed = _File(str(path), path.name)
        failed.issue(0, f"cannot read ({exc.strerror or exc}): {NOT_USED}")
        return failed
    return parse_file(text, str(path), path.name)


def read_glossary(paths: Iterable[Path]) -> tuple[list[Term], list[GlossaryIssue]]:
    """Terms and issues of these files merged in this order; issues in file and line order."""
    files = [read_file(Path(p)) for p in paths]
    terms, merged = merge(files)
    order = {f.path: i for i, f in enumerate(files)}
    issues = sorted([*(i for f in files for i in f.issues), *merged],
                    key=lambda i: (order.get(i.path, len(order)), i.line))
    return terms, issues


def validate_file(path: Path) -> list[str]:
    """The problems of one glossary file on its own, one line each (empty: none at all)."""
    return [str(i) for i in read_glossary([Path(path)])[1]]
